/*
 * yaml.c - YAML request bodies (application/apply-patch+yaml,
 * application/yaml) to the JSON the API server works on, typed as
 * Kubernetes types them: sigs.k8s.io/yaml decodes with go-yaml v2 (YAML
 * 1.1 resolution of plain scalars: true/yes/on, null/~, 0x1F and 0777
 * integers, 1e3 floats, unquoted dates as timestamps), then marshals to
 * JSON, where integral floats print as integers and mapping keys become
 * strings. Quoted and block scalars stay strings. Only the first document
 * of a stream is read, as yaml.Unmarshal reads it.
 *
 * Aliases are expanded, with a cap on the nodes produced and on depth, so
 * a "billion laughs" body is an error and not a memory blow-up.
 */
#include "kube/sim/sim.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_DEPTH 512
#define MAX_VALUES 1000000

struct conv {
	yaml_document_t *doc;
	size_t values; /* produced so far, aliases expanded */
	const char *err;
};

static int in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return 1;
	return 0;
}

static const char *const yaml_true[] = { "y", "Y", "yes", "Yes", "YES",
					 "true", "True", "TRUE", "on", "On",
					 "ON", NULL };
static const char *const yaml_false[] = { "n", "N", "no", "No", "NO",
					  "false", "False", "FALSE", "off",
					  "Off", "OFF", NULL };
static const char *const yaml_null[] = { "", "~", "null", "Null", "NULL",
					 NULL };

/* strconv.ParseInt(s, 0, 64) after go-yaml drops '_': sign, then 0x, 0o,
 * 0b or a leading 0 (octal). */
static int parse_go_int(const char *s, long long *out)
{
	char buf[80];
	size_t n = 0;
	for (const char *p = s; *p && n < sizeof buf - 1; p++)
		if (*p != '_')
			buf[n++] = *p;
	buf[n] = '\0';
	if (strlen(s) >= sizeof buf)
		return -1;
	const char *p = buf;
	int neg = 0;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	int base = 10;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	} else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O')) {
		base = 8;
		p += 2;
	} else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B')) {
		base = 2;
		p += 2;
	} else if (p[0] == '0' && p[1]) {
		base = 8;
		p += 1;
	}
	if (!*p)
		return -1;
	for (const char *q = p; *q; q++) {
		int d = isdigit((unsigned char)*q) ? *q - '0'
			: isxdigit((unsigned char)*q)
				? tolower((unsigned char)*q) - 'a' + 10
				: 99;
		if (d >= base)
			return -1;
	}
	errno = 0;
	unsigned long long v = strtoull(p, NULL, base);
	if (errno || v > (unsigned long long)9223372036854775807LL + neg)
		return -1;
	*out = neg ? (long long)(0 - v) : (long long)v;
	return 0;
}

/* go-yaml's float syntax: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static int is_yaml_float(const char *s)
{
	const char *p = s;
	if (*p == '+' || *p == '-')
		p++;
	int digits = 0;
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			p++;
			digits++;
		}
	} else {
		while (isdigit((unsigned char)*p)) {
			p++;
			digits++;
		}
		if (digits && *p == '.')
			for (p++; isdigit((unsigned char)*p); p++)
				;
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

/* A date alone ("2001-12-14") is a timestamp to go-yaml; JSON gets it as
 * time.Time marshals it. */
static int is_date(const char *s)
{
	return strlen(s) == 10 && isdigit((unsigned char)s[0]) &&
	       isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2]) &&
	       isdigit((unsigned char)s[3]) && s[4] == '-' &&
	       isdigit((unsigned char)s[5]) && isdigit((unsigned char)s[6]) &&
	       s[7] == '-' && isdigit((unsigned char)s[8]) &&
	       isdigit((unsigned char)s[9]);
}

/* A number as encoding/json prints a float64: integral values as
 * integers. NULL for Inf/NaN, which encoding/json refuses. */
static json_t *json_number(double d)
{
	if (isnan(d) || isinf(d))
		return NULL;
	if (d == floor(d) && fabs(d) < 9007199254740992.0)
		return json_integer((json_int_t)d);
	return json_real(d);
}

static json_t *scalar(struct conv *c, yaml_node_t *n)
{
	const char *s = (const char *)n->data.scalar.value;
	size_t len = n->data.scalar.length;
	if (strlen(s) != len) /* a NUL inside: keep the bytes */
		return json_stringn(s, len);
	int plain = n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	/* The document API gives every untagged scalar the default !!str
	 * tag, so tags cannot be told apart here: an explicit !!str on a
	 * plain scalar is resolved like any plain scalar, and other explicit
	 * tags too (go-yaml checks the value against the tag; we take the
	 * value as resolved). */
	if (!plain)
		return json_stringn(s, len);
	if (in_list(s, yaml_null))
		return json_null();
	if (in_list(s, yaml_true))
		return json_true();
	if (in_list(s, yaml_false))
		return json_false();
	if (!strcmp(s, ".inf") || !strcmp(s, ".Inf") || !strcmp(s, ".INF") ||
	    !strcmp(s, "+.inf") || !strcmp(s, "-.inf") || !strcmp(s, ".nan") ||
	    !strcmp(s, ".NaN") || !strcmp(s, ".NAN")) {
		c->err = "json: unsupported value: a YAML infinity or NaN";
		return NULL;
	}
	long long iv;
	if ((isdigit((unsigned char)s[0]) || s[0] == '-' || s[0] == '+') &&
	    parse_go_int(s, &iv) == 0)
		return json_integer(iv);
	if (is_yaml_float(s)) {
		json_t *j = json_number(strtod(s, NULL));
		if (!j)
			c->err = "json: unsupported value: +Inf";
		return j;
	}
	if (is_date(s)) {
		char buf[32];
		snprintf(buf, sizeof buf, "%sT00:00:00Z", s);
		return json_string(buf);
	}
	return json_stringn(s, len);
}

static json_t *convert(struct conv *c, yaml_node_t *n, int depth);

/* A mapping key as sigs.k8s.io/yaml turns it into a JSON key. Caller
 * frees. */
static char *key_string(struct conv *c, yaml_node_t *k)
{
	if (k->type != YAML_SCALAR_NODE) {
		c->err = "json: unsupported type: a mapping or sequence as a "
			 "mapping key";
		return NULL;
	}
	json_t *v = scalar(c, k);
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

static int merge_into(struct conv *c, json_t *obj, yaml_node_t *src, int depth)
{
	json_t *m = convert(c, src, depth + 1);
	if (!m)
		return -1;
	if (!json_is_object(m)) {
		json_decref(m);
		c->err = "yaml: map merge requires map or sequence of maps as "
			 "the value";
		return -1;
	}
	const char *k;
	json_t *v;
	json_object_foreach(m, k, v) if (!json_object_get(obj, k))
		json_object_set(obj, k, v);
	json_decref(m);
	return 0;
}

static json_t *convert(struct conv *c, yaml_node_t *n, int depth)
{
	if (!n) {
		c->err = "yaml: unknown anchor";
		return NULL;
	}
	if (depth > MAX_DEPTH) {
		c->err = "yaml: exceeded max depth";
		return NULL;
	}
	if (++c->values > MAX_VALUES) {
		c->err = "yaml: document contains excessive aliasing";
		return NULL;
	}
	if (n->type == YAML_SCALAR_NODE)
		return scalar(c, n);
	if (n->type == YAML_SEQUENCE_NODE) {
		json_t *arr = json_array();
		for (yaml_node_item_t *it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++) {
			json_t *v = convert(c, yaml_document_get_node(c->doc, *it),
					    depth + 1);
			if (!v) {
				json_decref(arr);
				return NULL;
			}
			json_array_append_new(arr, v);
		}
		return arr;
	}
	json_t *obj = json_object();
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *vn = yaml_document_get_node(c->doc, p->value);
		if (kn && kn->type == YAML_SCALAR_NODE &&
		    kn->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		    !strcmp((const char *)kn->data.scalar.value, "<<") && vn) {
			/* YAML merge key: a map, or a list of maps (earlier
			 * ones win); keys set explicitly win over merged */
			int rc = 0;
			if (vn->type == YAML_SEQUENCE_NODE) {
				for (yaml_node_item_t *it = vn->data.sequence.items.start;
				     !rc && it < vn->data.sequence.items.top; it++)
					rc = merge_into(c, obj,
							yaml_document_get_node(c->doc, *it),
							depth);
			} else {
				rc = merge_into(c, obj, vn, depth);
			}
			if (rc) {
				json_decref(obj);
				return NULL;
			}
			continue;
		}
		char *key = kn ? key_string(c, kn) : NULL;
		if (!key) {
			if (!c->err)
				c->err = "yaml: unknown anchor";
			json_decref(obj);
			return NULL;
		}
		json_t *v = convert(c, vn, depth + 1);
		if (!v) {
			free(key);
			json_decref(obj);
			return NULL;
		}
		json_object_set_new(obj, key, v);
		free(key);
	}
	return obj;
}

/* The first YAML document as JSON; NULL with a 400 in st. */
json_t *sim_yaml_to_json(const char *text, size_t n, struct sim_status *st)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	json_t *out = NULL;
	if (!yaml_parser_initialize(&parser)) {
		sim_status_bad_request(st, "error converting YAML to JSON: yaml: out of "
				"memory");
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, n);
	if (!yaml_parser_load(&parser, &doc)) {
		sim_status_bad_request(st, "error converting YAML to JSON: yaml: line %zu: %s",
			    parser.problem_mark.line + 1,
			    parser.problem ? parser.problem : "invalid YAML");
		yaml_parser_delete(&parser);
		return NULL;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root) {
		out = json_null(); /* an empty body */
	} else {
		struct conv c = { &doc, 0, NULL };
		out = convert(&c, root, 0);
		if (!out)
			sim_status_bad_request(st, "error converting YAML to JSON: %s",
				    c.err ? c.err : "yaml: invalid document");
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return out;
}
