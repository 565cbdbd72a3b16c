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

#define YAML_MAX_NODES 2000000 /* values produced, aliases expanded */
#define YAML_MAX_DEPTH 512

/* ---- plain scalars, resolved as go-yaml v2 resolves them ---- */

static int in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return 1;
	return 0;
}

static const char *const yaml_true[] = { "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE",
					 "on", "On", "ON", NULL };
static const char *const yaml_false[] = { "n", "N", "no", "No", "NO", "false", "False", "FALSE",
					  "off", "Off", "OFF", NULL };
static const char *const yaml_null[] = { "", "~", "null", "Null", "NULL", NULL };
static const char *const yaml_inf_nan[] = { ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
					    "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN", NULL };

/* strconv.ParseInt(s, 0, 64) after go-yaml drops '_': sign, then 0x, 0o,
 * 0b or a leading 0 (octal). 1 with *v, 0 when s is not such an integer. */
static int int_word(const char *s, long long *v)
{
	char buf[80];
	size_t n = 0;
	if (strlen(s) >= sizeof buf)
		return 0;
	for (const char *p = s; *p; p++)
		if (*p != '_')
			buf[n++] = *p;
	buf[n] = '\0';
	const char *p = buf;
	int neg = 0;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
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

/* go-yaml's float syntax: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static int float_word(const char *s)
{
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
	return *p == '\0';
}

/* A date alone ("2001-12-14") is a timestamp to go-yaml. */
static int date_word(const char *s)
{
	static const char shape[] = "dddd-dd-dd";
	if (strlen(s) != sizeof shape - 1)
		return 0;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
			return 0;
	return 1;
}

/* Whether a plain scalar s reads back as a string (and not null, a
 * boolean, a number or a timestamp). */
static int plain_is_string(const char *s)
{
	long long iv;
	return !in_list(s, yaml_null) && !in_list(s, yaml_true) && !in_list(s, yaml_false) &&
	       !in_list(s, yaml_inf_nan) && !int_word(s, &iv) && !float_word(s) && !date_word(s);
}

/* ---- YAML document -> JSON, as sigs.k8s.io/yaml converts it ---- */

/* What can go wrong converting a parsed document: the API server's words
 * (go-yaml's and encoding/json's) and ours, for a person fixing a file. */
enum yfault { YF_NONE, YF_DEPTH, YF_ALIASES, YF_INF_NAN, YF_KEY_TYPE, YF_MERGE, YF_ANCHOR, YF_UTF8 };
static const struct {
	const char *go, *ours;
} yfault_text[] = {
	[YF_NONE] = { "yaml: invalid document", "not a YAML document" },
	[YF_DEPTH] = { "yaml: exceeded max depth", "nested deeper than 512 levels" },
	[YF_ALIASES] = { "yaml: document contains excessive aliasing",
			 "too many values (aliases expanding without bound?)" },
	[YF_INF_NAN] = { "json: unsupported value: a YAML infinity or NaN",
			 "an infinity or NaN cannot be represented in JSON: quote it to keep it a string" },
	[YF_KEY_TYPE] = { "json: unsupported type: a mapping or sequence as a mapping key",
			  "a mapping key must be a string, not a mapping or a list" },
	[YF_MERGE] = { "yaml: map merge requires map or sequence of maps as the value",
		       "a merge key (<<) takes a mapping or a list of mappings" },
	[YF_ANCHOR] = { "yaml: unknown anchor", "an alias names an unknown anchor" },
	[YF_UTF8] = { "yaml: invalid Unicode character", "a string is not valid UTF-8" },
};

struct yconv {
	yaml_document_t *doc;
	long budget;         /* values left to produce */
	enum yfault fault;   /* the first fault */
	size_t line;         /* where it is, 1-based */
};

static json_t *yfail(struct yconv *c, yaml_node_t *n, enum yfault f)
{
	if (c->fault == YF_NONE) {
		c->fault = f;
		c->line = n ? n->start_mark.line + 1 : 0;
	}
	return NULL;
}

/* A number as encoding/json prints a float64: integral values as integers. */
static json_t *json_number(double d)
{
	if (d == floor(d) && fabs(d) < 9007199254740992.0)
		return json_integer((json_int_t)d);
	return json_real(d);
}

static json_t *yconv_scalar(struct yconv *c, yaml_node_t *n)
{
	const char *s = (const char *)n->data.scalar.value;
	size_t len = n->data.scalar.length;
	/* libyaml's loader gives every untagged scalar the !!str tag, so only
	 * the style tells a quoted string from a plain word; a NUL inside
	 * keeps the bytes. */
	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && strlen(s) == len) {
		long long iv;
		if (in_list(s, yaml_null))
			return json_null();
		if (in_list(s, yaml_true))
			return json_true();
		if (in_list(s, yaml_false))
			return json_false();
		if (in_list(s, yaml_inf_nan))
			return yfail(c, n, YF_INF_NAN);
		if ((isdigit((unsigned char)s[0]) || s[0] == '-' || s[0] == '+') && int_word(s, &iv))
			return json_integer(iv);
		if (float_word(s)) {
			double d = strtod(s, NULL);
			return isinf(d) ? yfail(c, n, YF_INF_NAN) : json_number(d);
		}
		if (date_word(s)) { /* as time.Time marshals it */
			char buf[32];
			snprintf(buf, sizeof buf, "%sT00:00:00Z", s);
			return json_string(buf);
		}
	}
	json_t *j = json_stringn(s, len);
	return j ? j : yfail(c, n, YF_UTF8);
}

static json_t *yconv_node(struct yconv *c, yaml_node_t *n, int depth);

/* A mapping key as sigs.k8s.io/yaml turns it into a JSON key. Caller frees. */
static char *yconv_key(struct yconv *c, yaml_node_t *k)
{
	if (k->type != YAML_SCALAR_NODE) {
		yfail(c, k, YF_KEY_TYPE);
		return NULL;
	}
	json_t *v = yconv_scalar(c, k);
	char *out = NULL;
	if (!v)
		return NULL;
	if (json_is_string(v))
		out = xstrndup(json_string_value(v), json_string_length(v));
	else if (json_is_null(v))
		out = xstrdup("null");
	else if (json_is_boolean(v))
		out = xstrdup(json_is_true(v) ? "true" : "false");
	else if (json_is_integer(v))
		out = xasprintf("%lld", (long long)json_integer_value(v));
	else
		out = xasprintf("%.17g", json_real_value(v));
	json_decref(v);
	return out;
}

/* The YAML merge key: src's entries not already in obj. */
static int yconv_merge(struct yconv *c, json_t *obj, yaml_node_t *src, int depth)
{
	json_t *m = yconv_node(c, src, depth + 1);
	if (!m)
		return -1;
	if (!json_is_object(m)) {
		json_decref(m);
		yfail(c, src, YF_MERGE);
		return -1;
	}
	const char *k;
	json_t *v;
	json_object_foreach(m, k, v) if (!json_object_get(obj, k))
		json_object_set(obj, k, v);
	json_decref(m);
	return 0;
}

static int is_merge_key(const yaml_node_t *k)
{
	return k && k->type == YAML_SCALAR_NODE && k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       !strcmp((const char *)k->data.scalar.value, "<<");
}

static json_t *yconv_mapping(struct yconv *c, yaml_node_t *n, int depth)
{
	json_t *obj = json_object();
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *vn = yaml_document_get_node(c->doc, p->value);
		if (!kn || !vn) {
			yfail(c, n, YF_ANCHOR);
			goto fail;
		}
		if (is_merge_key(kn)) {
			/* a map, or a list of maps (earlier ones win); keys
			 * set explicitly win over merged ones */
			if (vn->type != YAML_SEQUENCE_NODE) {
				if (yconv_merge(c, obj, vn, depth) < 0)
					goto fail;
				continue;
			}
			for (yaml_node_item_t *it = vn->data.sequence.items.start; it < vn->data.sequence.items.top;
			     it++)
				if (yconv_merge(c, obj, yaml_document_get_node(c->doc, *it), depth) < 0)
					goto fail;
			continue;
		}
		char *key = yconv_key(c, kn);
		if (!key)
			goto fail;
		json_t *v = yconv_node(c, vn, depth + 1);
		if (!v || json_object_set_new(obj, key, v) < 0) {
			free(key);
			yfail(c, kn, YF_UTF8);
			goto fail;
		}
		free(key);
	}
	return obj;
fail:
	json_decref(obj);
	return NULL;
}

static json_t *yconv_node(struct yconv *c, yaml_node_t *n, int depth)
{
	if (!n)
		return yfail(c, NULL, YF_ANCHOR);
	if (depth > YAML_MAX_DEPTH)
		return yfail(c, n, YF_DEPTH);
	if (--c->budget < 0)
		return yfail(c, n, YF_ALIASES);
	if (n->type == YAML_SCALAR_NODE)
		return yconv_scalar(c, n);
	if (n->type == YAML_MAPPING_NODE)
		return yconv_mapping(c, n, depth);
	json_t *arr = json_array();
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		json_t *v = yconv_node(c, yaml_document_get_node(c->doc, *it), depth + 1);
		if (!v) {
			json_decref(arr);
			return NULL;
		}
		json_array_append_new(arr, v);
	}
	return arr;
}

/* Read documents one by one: 1 with *out (NULL at the end of the stream),
 * 0 on a fault (f, line filled), consuming the caller's budget. */
struct yreader {
	yaml_parser_t parser;
	long budget;
	enum yfault fault;
	int syntax;          /* the fault is the parser's */
	size_t line, column; /* 1-based */
};

static int yreader_next(struct yreader *r, json_t **out, size_t *doc_line)
{
	yaml_document_t doc;
	*out = NULL;
	if (!yaml_parser_load(&r->parser, &doc)) {
		r->syntax = 1;
		r->line = r->parser.problem_mark.line + 1;
		r->column = r->parser.problem_mark.column + 1;
		return 0;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root) {
		yaml_document_delete(&doc);
		return 1;
	}
	struct yconv c = { .doc = &doc, .budget = r->budget };
	if (doc_line)
		*doc_line = root->start_mark.line + 1;
	*out = yconv_node(&c, root, 0);
	r->budget = c.budget;
	r->fault = c.fault;
	r->line = c.line;
	yaml_document_delete(&doc);
	return *out != NULL;
}

json_t *kube_yaml_first_json(const char *text, size_t len, char *msg, size_t msgsz)
{
	struct yreader r = { .budget = YAML_MAX_NODES };
	json_t *out = NULL;
	if (!yaml_parser_initialize(&r.parser)) {
		snprintf(msg, msgsz, "yaml: out of memory");
		return NULL;
	}
	yaml_parser_set_input_string(&r.parser, (const unsigned char *)text, len);
	if (!yreader_next(&r, &out, NULL)) {
		if (r.syntax)
			snprintf(msg, msgsz, "yaml: line %zu: %s", r.line,
				 r.parser.problem ? r.parser.problem : "invalid YAML");
		else
			snprintf(msg, msgsz, "%s", yfault_text[r.fault].go);
	} else if (!out) {
		out = json_null(); /* an empty text */
	}
	yaml_parser_delete(&r.parser);
	return out;
}

int kube_yaml_load_all(const char *src, const char *text, size_t len,
		       int (*fn)(void *arg, struct json_t *doc, size_t line, struct perr *e),
		       void *arg, struct perr *e)
{
	struct yreader r = { .budget = YAML_MAX_NODES };
	if (!yaml_parser_initialize(&r.parser)) {
		perr_set(e, "%s: cannot start the YAML parser", src);
		return -1;
	}
	yaml_parser_set_input_string(&r.parser, (const unsigned char *)text, len);
	int rc = 0;
	for (;;) {
		json_t *j;
		size_t line = 0;
		if (!yreader_next(&r, &j, &line)) {
			if (r.syntax)
				perr_set(e, "%s, line %zu, column %zu: %s%s%s", src, r.line, r.column,
					 r.parser.problem ? r.parser.problem : "invalid YAML",
					 r.parser.context ? " " : "", r.parser.context ? r.parser.context : "");
			else
				perr_set(e, "%s, line %zu: %s", src, r.line, yfault_text[r.fault].ours);
			rc = -1;
			break;
		}
		if (!j) /* the end of the stream */
			break;
		rc = fn(arg, j, line, e);
		json_decref(j);
		if (rc < 0)
			break;
	}
	yaml_parser_delete(&r.parser);
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
	yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;
	if (strlen(s) == len && (!plain_is_string(s) || looks_like_timestamp(s) || looks_like_base60(s)))
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

char *kube_json_to_yaml(json_t *root, struct perr *e)
{
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
	if (!ok) {
		dbuf_free(&out);
		return NULL;
	}
	return dbuf_take(&out);
}

char *kube_yaml_from_json(const char *json, size_t len, struct perr *e)
{
	json_error_t je;
	json_t *root = json_loadb(json, len, JSON_DECODE_ANY, &je);
	if (!root) {
		perr_set(e, "cannot show the answer as YAML: it is not JSON (line %d: %s)", je.line, je.text);
		return NULL;
	}
	char *y = kube_json_to_yaml(root, e);
	json_decref(root);
	return y;
}
