/*
 * yaml.c - YAML request bodies (application/apply-patch+yaml,
 * application/yaml) to the JSON the API server works on. The API server
 * decodes them with sigs.k8s.io/yaml, as kubectl reads manifests, so the
 * conversion is kube/yaml.c's (kube_yaml_first_json: go-yaml v2 typing,
 * only the first document, aliases capped); here its fault becomes the
 * 400 the API server answers.
 */
#include "kube/sim/sim.h"
#include "kube/kube.h"

/* The first YAML document as JSON; NULL with a 400 in st. */
json_t *sim_yaml_to_json(const char *text, size_t n, struct sim_status *st)
{
	char msg[512];
	json_t *out = kube_yaml_first_json(text, n, msg, sizeof msg);
	if (!out)
		sim_status_bad_request(st, "error converting YAML to JSON: %s", msg);
	return out;
}
