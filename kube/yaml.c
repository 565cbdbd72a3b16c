/*
 * yaml.c - YAML in and out, as kubectl's YAML path (sigs.k8s.io/yaml over
 * go-yaml v2) does it: -o yaml emits JSON objects as block YAML with
 * sorted keys, quoting strings that would otherwise read back as another
 * type; manifests are read as YAML 1.1 with go-yaml's resolution of plain
 * scalars (yes/no/on/off are booleans, 0x1F an integer).
 *
 * Aliases are expanded by libyaml's document loader; the conversion counts
 * nodes so that a "billion laughs" document fails instead of exhausting
 * memory, and bounds the nesting depth.
 */
#define _POSIX_C_SOURCE 200809L
#include "kube/kube.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#define YAML_MAX_NODES 2000000
#define YAML_MAX_DEPTH 200

/* ---- plain scalar resolution (go-yaml v2 resolve.go) ---- */

enum yscalar { Y_STR, Y_NULL, Y_BOOL, Y_INT, Y_REAL };

static int is_null_word(const char *s)
{
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

static int bool_word(const char *s)
{
	static const char *const t[] = { "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", NULL };
	static const char *const f[] = { "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", NULL };
	for (int i = 0; t[i]; i++)
		if (!strcmp(s, t[i]))
			return 1;
	for (int i = 0; f[i]; i++)
		if (!strcmp(s, f[i]))
			return 0;
	return -1;
}

/* An integer in go-yaml's forms: decimal, 0x, 0o, 0b, leading-0 octal. */
static int int_word(const char *s, long long *v)
{
	const char *p = s;
	int neg = 0;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (!*p)
		return 0;
	int base = 10;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		base = 16, p += 2;
	else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O'))
		base = 8, p += 2;
	else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B'))
		base = 2, p += 2;
	else if (p[0] == '0' && p[1])
		base = 8, p += 1;
	if (!*p)
		return 0;
	for (const char *q = p; *q; q++) {
		int d = isdigit((unsigned char)*q) ? *q - '0'
			: isxdigit((unsigned char)*q) ? 10 + (tolower((unsigned char)*q) - 'a') : 99;
		if (d >= base)
			return 0;
	}
	errno = 0;
	unsigned long long u = strtoull(p, NULL, base);
	if (errno || u > (unsigned long long)9223372036854775807LL + (unsigned long long)neg)
		return 0;
	*v = neg ? (long long)(0 - u) : (long long)u;
	return 1;
}

static int real_word(const char *s, double *v)
{
	if (!strcmp(s, ".inf") || !strcmp(s, ".Inf") || !strcmp(s, ".INF") || !strcmp(s, "+.inf")) {
		*v = INFINITY;
		return 1;
	}
	if (!strcmp(s, "-.inf") || !strcmp(s, "-.Inf") || !strcmp(s, "-.INF")) {
		*v = -INFINITY;
		return 1;
	}
	if (!strcmp(s, ".nan") || !strcmp(s, ".NaN") || !strcmp(s, ".NAN")) {
		*v = NAN;
		return 1;
	}
	/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
	const char *p = s;
	if (*p == '+' || *p == '-')
		p++;
	int digits = 0;
	while (isdigit((unsigned char)*p))
		p++, digits++;
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p))
			p++, digits++;
	}
	if (!digits)
		return 0;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char)*p))
			return 0;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p)
		return 0;
	*v = strtod(s, NULL);
	return 1;
}

static enum yscalar resolve(const char *s, long long *iv, double *rv)
{
	if (is_null_word(s))
		return Y_NULL;
	int b = bool_word(s);
	if (b >= 0) {
		*iv = b;
		return Y_BOOL;
	}
	if (int_word(s, iv))
		return Y_INT;
	if (real_word(s, rv))
		return Y_REAL;
	return Y_STR;
}

/* ---- YAML document -> json ---- */

struct yconv {
	yaml_document_t *doc;
	long budget;
	struct perr *e;
	const char *src;
};

static json_t *yconv_node(struct yconv *c, yaml_node_t *n, int depth)
{
	if (!n)
		return json_null();
	if (--c->budget < 0) {
		perr_set(c->e, "%s: too many nodes (aliases expanding without bound?)", c->src);
		return NULL;
	}
	if (depth > YAML_MAX_DEPTH) {
		perr_set(c->e, "%s, line %zu: nested deeper than %d levels", c->src,
			 n->start_mark.line + 1, YAML_MAX_DEPTH);
		return NULL;
	}
	switch (n->type) {
	case YAML_SCALAR_NODE: {
		const char *s = (const char *)n->data.scalar.value;
		size_t len = n->data.scalar.length;
		/* libyaml's loader gives every untagged scalar the !!str tag, so
		 * only the style tells a quoted string from a plain word. */
		if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE || strlen(s) != len) {
			json_t *j = json_stringn(s, len);
			if (!j)
				perr_set(c->e, "%s, line %zu: a string is not valid UTF-8", c->src, n->start_mark.line + 1);
			return j;
		}
		long long iv = 0;
		double rv = 0;
		switch (resolve(s, &iv, &rv)) {
		case Y_NULL:
			return json_null();
		case Y_BOOL:
			return json_boolean(iv);
		case Y_INT:
			return json_integer(iv);
		case Y_REAL:
			if (isnan(rv) || isinf(rv)) { /* JSON has no such numbers */
				perr_set(c->e, "%s, line %zu: %s cannot be represented in JSON", c->src,
					 n->start_mark.line + 1, s);
				return NULL;
			}
			return json_real(rv);
		default: {
			json_t *j = json_stringn(s, len);
			if (!j)
				perr_set(c->e, "%s, line %zu: a string is not valid UTF-8", c->src, n->start_mark.line + 1);
			return j;
		}
		}
	}
	case YAML_SEQUENCE_NODE: {
		json_t *a = json_array();
		for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
			json_t *v = yconv_node(c, yaml_document_get_node(c->doc, *it), depth + 1);
			if (!v) {
				json_decref(a);
				return NULL;
			}
			json_array_append_new(a, v);
		}
		return a;
	}
	case YAML_MAPPING_NODE: {
		json_t *o = json_object();
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
			if (!k || k->type != YAML_SCALAR_NODE) {
				perr_set(c->e, "%s, line %zu, column %zu: a mapping key must be a string", c->src,
					 k ? k->start_mark.line + 1 : 0, k ? k->start_mark.column + 1 : 0);
				json_decref(o);
				return NULL;
			}
			json_t *v = yconv_node(c, yaml_document_get_node(c->doc, p->value), depth + 1);
			if (!v) {
				json_decref(o);
				return NULL;
			}
			char *key = xstrndup((const char *)k->data.scalar.value, k->data.scalar.length);
			if (json_object_set_new(o, key, v) < 0) {
				perr_set(c->e, "%s, line %zu: a key is not valid UTF-8", c->src, k->start_mark.line + 1);
				free(key);
				json_decref(o);
				return NULL;
			}
			free(key);
		}
		return o;
	}
	default:
		return json_null();
	}
}

int kube_yaml_load_all(const char *src, const char *text, size_t len,
		       int (*fn)(void *arg, struct json_t *doc, size_t line, struct perr *e),
		       void *arg, struct perr *e)
{
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser)) {
		perr_set(e, "%s: cannot start the YAML parser", src);
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	int rc = 0;
	long budget = YAML_MAX_NODES;
	for (;;) {
		yaml_document_t doc;
		if (!yaml_parser_load(&parser, &doc)) {
			perr_set(e, "%s, line %zu, column %zu: %s%s%s", src, parser.problem_mark.line + 1,
				 parser.problem_mark.column + 1, parser.problem ? parser.problem : "invalid YAML",
				 parser.context ? " " : "", parser.context ? parser.context : "");
			rc = -1;
			break;
		}
		yaml_node_t *root = yaml_document_get_root_node(&doc);
		if (!root) { /* the end of the stream */
			yaml_document_delete(&doc);
			break;
		}
		struct yconv c = { .doc = &doc, .budget = budget, .e = e, .src = src };
		size_t line = root->start_mark.line + 1;
		json_t *j = yconv_node(&c, root, 0);
		budget = c.budget;
		yaml_document_delete(&doc);
		if (!j) {
			rc = -1;
			break;
		}
		rc = fn(arg, j, line, e);
		json_decref(j);
		if (rc < 0)
			break;
	}
	yaml_parser_delete(&parser);
	return rc;
}

/* ---- json -> YAML ---- */

static int emit_write(void *data, unsigned char *buf, size_t size)
{
	return dbuf_append(data, buf, size) == 0;
}

static int emit_scalar(yaml_emitter_t *em, const char *s, size_t len, yaml_scalar_style_t style)
{
	yaml_event_t ev;
	yaml_scalar_event_initialize(&ev, NULL, (yaml_char_t *)YAML_STR_TAG, (yaml_char_t *)s, (int)len,
				     1, 1, style);
	return yaml_emitter_emit(em, &ev);
}

/* go-yaml v2 also reads timestamps (2006-1-2, with a time after T, t or a
 * space) and base-60 floats (1:20) from plain scalars, so it quotes such
 * strings when it writes them. */
static int looks_like_timestamp(const char *s)
{
	int n = 0;
	while (isdigit((unsigned char)s[n]))
		n++;
	if (n != 4 || s[n] != '-')
		return 0;
	s += n + 1;
	for (int part = 0; part < 2; part++) {
		int d = 0;
		while (isdigit((unsigned char)s[d]))
			d++;
		if (d < 1 || d > 2)
			return 0;
		s += d;
		if (part == 0) {
			if (*s != '-')
				return 0;
			s++;
		}
	}
	return !*s || *s == 'T' || *s == 't' || *s == ' ';
}

static int looks_like_base60(const char *s)
{
	const char *p = s;
	if (*p == '+' || *p == '-')
		p++;
	if (!isdigit((unsigned char)*p))
		return 0;
	while (isdigit((unsigned char)*p) || *p == '_')
		p++;
	int parts = 0;
	while (*p == ':') {
		p++;
		int d = 0;
		while (isdigit((unsigned char)p[d]))
			d++;
		if (d < 1 || d > 2 || (d == 2 && p[0] > '5'))
			return 0;
		p += d;
		parts++;
	}
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p) || *p == '_'; p++)
			;
	return parts > 0 && !*p;
}

/* A string that go-yaml would read back as something else is quoted. */
static int emit_string(yaml_emitter_t *em, const char *s, size_t len)
{
	long long iv;
	double rv;
	yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;
	if (strlen(s) == len && (resolve(s, &iv, &rv) != Y_STR || looks_like_timestamp(s) ||
				 looks_like_base60(s)))
		style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	else if (memchr(s, '\n', len))
		style = YAML_LITERAL_SCALAR_STYLE;
	return emit_scalar(em, s, len, style);
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int emit_json(yaml_emitter_t *em, json_t *v)
{
	yaml_event_t ev;
	char buf[64];
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		size_t n = json_object_size(v);
		yaml_mapping_start_event_initialize(&ev, NULL, (yaml_char_t *)YAML_MAP_TAG, 1,
						    n ? YAML_BLOCK_MAPPING_STYLE : YAML_FLOW_MAPPING_STYLE);
		if (!yaml_emitter_emit(em, &ev))
			return 0;
		const char **keys = xcalloc(n + 1, sizeof *keys);
		size_t k = 0;
		const char *key;
		json_t *val;
		json_object_foreach(v, key, val)
			keys[k++] = key;
		qsort(keys, k, sizeof *keys, cmp_keys);
		int ok = 1;
		for (size_t i = 0; i < k && ok; i++)
			ok = emit_string(em, keys[i], strlen(keys[i])) && emit_json(em, json_object_get(v, keys[i]));
		free(keys);
		if (!ok)
			return 0;
		yaml_mapping_end_event_initialize(&ev);
		return yaml_emitter_emit(em, &ev);
	}
	case JSON_ARRAY: {
		size_t n = json_array_size(v);
		yaml_sequence_start_event_initialize(&ev, NULL, (yaml_char_t *)YAML_SEQ_TAG, 1,
						     n ? YAML_BLOCK_SEQUENCE_STYLE : YAML_FLOW_SEQUENCE_STYLE);
		if (!yaml_emitter_emit(em, &ev))
			return 0;
		for (size_t i = 0; i < n; i++)
			if (!emit_json(em, json_array_get(v, i)))
				return 0;
		yaml_sequence_end_event_initialize(&ev);
		return yaml_emitter_emit(em, &ev);
	}
	case JSON_STRING:
		return emit_string(em, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
		return emit_scalar(em, buf, strlen(buf), YAML_PLAIN_SCALAR_STYLE);
	case JSON_REAL: {
		double d = json_real_value(v);
		snprintf(buf, sizeof buf, "%.15g", d);
		if (strtod(buf, NULL) != d)
			snprintf(buf, sizeof buf, "%.17g", d);
		return emit_scalar(em, buf, strlen(buf), YAML_PLAIN_SCALAR_STYLE);
	}
	case JSON_TRUE:
		return emit_scalar(em, "true", 4, YAML_PLAIN_SCALAR_STYLE);
	case JSON_FALSE:
		return emit_scalar(em, "false", 5, YAML_PLAIN_SCALAR_STYLE);
	default:
		return emit_scalar(em, "null", 4, YAML_PLAIN_SCALAR_STYLE);
	}
}

char *kube_yaml_from_json(const char *json, size_t len, struct perr *e)
{
	json_error_t je;
	json_t *root = json_loadb(json, len, JSON_DECODE_ANY, &je);
	if (!root) {
		perr_set(e, "cannot show the answer as YAML: it is not JSON (line %d: %s)", je.line, je.text);
		return NULL;
	}
	yaml_emitter_t em;
	struct dbuf out;
	dbuf_init(&out, 0);
	yaml_emitter_initialize(&em);
	yaml_emitter_set_output(&em, emit_write, &out);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_indent(&em, 2);
	yaml_event_t ev;
	int ok = 1;
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	ok = yaml_emitter_emit(&em, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	ok = ok && yaml_emitter_emit(&em, &ev);
	ok = ok && emit_json(&em, root);
	yaml_document_end_event_initialize(&ev, 1);
	ok = ok && yaml_emitter_emit(&em, &ev);
	yaml_stream_end_event_initialize(&ev);
	ok = ok && yaml_emitter_emit(&em, &ev);
	ok = ok && yaml_emitter_flush(&em);
	if (!ok)
		perr_set(e, "cannot write YAML: %s", em.problem ? em.problem : "emitter error");
	yaml_emitter_delete(&em);
	json_decref(root);
	if (!ok) {
		dbuf_free(&out);
		return NULL;
	}
	return dbuf_take(&out);
}
