/*
 * body.c - request bodies of the simulated API server: JSON, or YAML (one
 * document, as `application/yaml` and `application/apply-patch+yaml`
 * carry) turned into the same JSON value, with the real server's 400 on a
 * malformed one. YAML goes through libyaml's event parser; plain scalars
 * become null, booleans and numbers as YAML 1.2's core schema reads them,
 * quoted ones stay strings.
 */
#define _GNU_SOURCE
#include "kube/sim/server.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* Nesting bound: a hostile body cannot exhaust the stack. */
#define MAX_DEPTH 64

static json_t *scalar(const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	size_t n = ev->data.scalar.length;
	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return json_stringn(v, n);
	if (n == 0 || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	    strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0)
		return json_null();
	if (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "TRUE"))
		return json_true();
	if (!strcmp(v, "false") || !strcmp(v, "False") || !strcmp(v, "FALSE"))
		return json_false();
	char *end;
	errno = 0;
	long long i = strtoll(v, &end, 10);
	if (!errno && *end == '\0' && end != v && (v[0] != '0' || n == 1) &&
	    !(v[0] == '-' && v[1] == '0' && n > 2))
		return json_integer(i);
	if (strspn(v, "+-0123456789.eE") == n && strpbrk(v, "0123456789")) {
		errno = 0;
		double d = strtod(v, &end);
		if (!errno && *end == '\0' && isfinite(d))
			return json_real(d);
	}
	return json_stringn(v, n);
}

struct yparser {
	yaml_parser_t p;
	char *err;
	size_t errn;
};

static int next_event(struct yparser *y, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&y->p, ev)) {
		snprintf(y->err, y->errn, "yaml: line %zu: %s",
			 y->p.problem_mark.line + 1,
			 y->p.problem ? y->p.problem : "parse error");
		return -1;
	}
	return 0;
}

static json_t *node(struct yparser *y, yaml_event_t *ev, int depth);

static json_t *collection(struct yparser *y, int mapping, int depth)
{
	json_t *c = mapping ? json_object() : json_array();
	for (;;) {
		yaml_event_t ev;
		if (next_event(y, &ev) < 0)
			goto fail;
		if (ev.type == YAML_MAPPING_END_EVENT ||
		    ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return c;
		}
		if (!mapping) {
			json_t *v = node(y, &ev, depth + 1);
			yaml_event_delete(&ev);
			if (!v)
				goto fail;
			json_array_append_new(c, v);
			continue;
		}
		if (ev.type != YAML_SCALAR_EVENT) {
			yaml_event_delete(&ev);
			snprintf(y->err, y->errn,
				 "yaml: only string keys are supported");
			goto fail;
		}
		char *key = xstrndup((const char *)ev.data.scalar.value,
				     ev.data.scalar.length);
		yaml_event_delete(&ev);
		if (next_event(y, &ev) < 0) {
			free(key);
			goto fail;
		}
		json_t *v = node(y, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (!v) {
			free(key);
			goto fail;
		}
		json_object_set_new(c, key, v);
		free(key);
	}
fail:
	json_decref(c);
	return NULL;
}

static json_t *node(struct yparser *y, yaml_event_t *ev, int depth)
{
	if (depth > MAX_DEPTH) {
		snprintf(y->err, y->errn, "yaml: exceeded max depth of %d", MAX_DEPTH);
		return NULL;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return scalar(ev);
	case YAML_MAPPING_START_EVENT:
		return collection(y, 1, depth);
	case YAML_SEQUENCE_START_EVENT:
		return collection(y, 0, depth);
	case YAML_ALIAS_EVENT:
		snprintf(y->err, y->errn, "yaml: aliases are not supported");
		return NULL;
	default:
		snprintf(y->err, y->errn, "yaml: unexpected event");
		return NULL;
	}
}

json_t *sim_yaml_to_json(const char *text, size_t len, char *err, size_t errn)
{
	struct yparser y = { .err = err, .errn = errn };
	json_t *out = NULL;
	yaml_event_t ev;
	err[0] = '\0';
	yaml_parser_initialize(&y.p);
	yaml_parser_set_input_string(&y.p, (const unsigned char *)text, len);
	/* STREAM-START, DOCUMENT-START, the node. */
	for (;;) {
		if (next_event(&y, &ev) < 0)
			goto out;
		if (ev.type == YAML_STREAM_START_EVENT ||
		    ev.type == YAML_DOCUMENT_START_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		break;
	}
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		snprintf(err, errn, "yaml: empty document");
		goto out;
	}
	out = node(&y, &ev, 0);
	yaml_event_delete(&ev);
out:
	yaml_parser_delete(&y.p);
	return out;
}

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
	char err[256];
	j = sim_yaml_to_json(body, len, err, sizeof err);
	if (!j) {
		sim_status_bad_request(st, "error converting YAML to JSON: %s", err);
		return NULL;
	}
	return j;
}
