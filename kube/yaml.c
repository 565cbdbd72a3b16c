/*
 * yaml.c - JSON documents written as YAML (kubectl's -o yaml, --dry-run
 * manifests) with libyaml's emitter. Strings that YAML would read as
 * something else (numbers, booleans, null, empty) are quoted, so the YAML
 * reads back as the same JSON.
 */
#include "kube/kube.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

/* Would a plain scalar s be read back as something other than a string? */
static int needs_quotes(const char *s)
{
	static const char *const special[] = {
		"", "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n", NULL,
	};
	for (int i = 0; special[i]; i++)
		if (strcasecmp(s, special[i]) == 0)
			return 1;
	char *end;
	strtod(s, &end);
	if (*s && *end == '\0')
		return 1;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'o'))
		return 1;
	return 0;
}

static int emit(yaml_emitter_t *em, yaml_event_t *ev)
{
	return yaml_emitter_emit(em, ev) ? 0 : -1;
}

static int emit_scalar(yaml_emitter_t *em, const char *s, int quoted)
{
	yaml_event_t ev;
	yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;
	if (quoted && needs_quotes(s))
		style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	else if (quoted && strchr(s, '\n'))
		style = YAML_LITERAL_SCALAR_STYLE;
	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s),
				     style == YAML_ANY_SCALAR_STYLE, 1, style);
	return emit(em, &ev);
}

static int emit_value(yaml_emitter_t *em, json_t *v)
{
	yaml_event_t ev;
	char buf[64];
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
		if (emit(em, &ev) < 0)
			return -1;
		const char *k;
		json_t *val;
		json_object_foreach(v, k, val) {
			if (emit_scalar(em, k, 1) < 0 || emit_value(em, val) < 0)
				return -1;
		}
		yaml_mapping_end_event_initialize(&ev);
		return emit(em, &ev);
	}
	case JSON_ARRAY: {
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
		if (emit(em, &ev) < 0)
			return -1;
		size_t i;
		json_t *val;
		json_array_foreach(v, i, val)
			if (emit_value(em, val) < 0)
				return -1;
		yaml_sequence_end_event_initialize(&ev);
		return emit(em, &ev);
	}
	case JSON_STRING:
		return emit_scalar(em, json_string_value(v), 1);
	case JSON_INTEGER:
		snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return emit_scalar(em, buf, 0);
	case JSON_REAL:
		snprintf(buf, sizeof buf, "%.17g", json_real_value(v));
		return emit_scalar(em, buf, 0);
	case JSON_TRUE:
		return emit_scalar(em, "true", 0);
	case JSON_FALSE:
		return emit_scalar(em, "false", 0);
	case JSON_NULL:
	default:
		return emit_scalar(em, "null", 0);
	}
}

static int write_cb(void *data, unsigned char *buffer, size_t size)
{
	return dbuf_append(data, buffer, size) == 0;
}

char *kube_json_to_yaml(json_t *doc, struct perr *e)
{
	yaml_emitter_t em;
	yaml_event_t ev;
	struct dbuf b;
	dbuf_init(&b, 0);
	if (!yaml_emitter_initialize(&em)) {
		perr_set(e, "cannot start the YAML emitter");
		return NULL;
	}
	yaml_emitter_set_output(&em, write_cb, &b);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, -1);
	yaml_emitter_set_indent(&em, 2);
	int rc = -1;
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	if (emit(&em, &ev) < 0)
		goto out;
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	if (emit(&em, &ev) < 0 || emit_value(&em, doc) < 0)
		goto out;
	yaml_document_end_event_initialize(&ev, 1);
	if (emit(&em, &ev) < 0)
		goto out;
	yaml_stream_end_event_initialize(&ev);
	if (emit(&em, &ev) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		perr_set(e, "cannot write YAML: %s", em.problem ? em.problem : "emitter error");
	yaml_emitter_delete(&em);
	if (rc < 0) {
		dbuf_free(&b);
		return NULL;
	}
	return dbuf_take(&b);
}
