/*
 * body.c - request bodies of the simulated API server: JSON, or YAML (one
 * document, as `application/yaml` and `application/apply-patch+yaml`
 * carry) turned into the same JSON value (sim_yaml_to_json, yaml.c), with
 * the real server's 400 on a malformed one.
 */
#define _GNU_SOURCE
#include "kube/sim/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *sim_body_decode(const char *ctype, const char *body, size_t len,
			struct sim_status *st)
{
	if (!body || len == 0) {
		sim_status_bad_request(st, "the body of the request was empty");
		return NULL;
	}
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
	return sim_yaml_to_json(body, len, st);
}
