/*
 * body.c - request bodies of the simulated API server: JSON, or YAML (one
 * document, as `application/yaml` and `application/apply-patch+yaml`
 * carry) turned into the same JSON value, with the real server's 400 on a
 * malformed one. YAML goes through sim_yaml_to_json (yaml.c), which types
 * scalars as Kubernetes' YAML decoder does.
 */
#define _GNU_SOURCE
#include "kube/sim/server.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A request body (JSON, YAML or protobuf) as JSON, or NULL with st. */
json_t *sim_body_decode(const char *ctype, const char *body, size_t len,
			struct sim_status *st)
{
	if (!body || len == 0) {
		sim_status_bad_request(st, "the body of the request was empty");
		return NULL;
	}
	if (sim_media_is(ctype, "application/vnd.kubernetes.protobuf"))
		return sim_protobuf_decode(body, len, st);
	/* JSON is valid YAML: try it first, whatever the media type. */
	json_error_t jerr;
	json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j)
		return j;
	int yaml = sim_media_is(ctype, "application/yaml") ||
		   sim_media_is(ctype, "application/apply-patch+yaml");
	if (!yaml) {
		sim_status_bad_request(st, "couldn't get version/kind; json parse "
					   "error: %s", jerr.text);
		return NULL;
	}
	/* sim-json's converter (yaml.c): YAML 1.1 typing, aliases, merge
	 * keys; its errors are the 400 "error converting YAML to JSON: ...". */
	j = sim_yaml_to_json(body, len, st);
	if (j && json_is_null(j)) {
		json_decref(j);
		sim_status_bad_request(st, "error converting YAML to JSON: yaml: "
					   "empty document");
		return NULL;
	}
	return j;
}
