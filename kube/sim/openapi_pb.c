/*
 * openapi_pb.c - /openapi/v2 in protobuf, the form kubectl 1.20 (and
 * client-go's discovery OpenAPISchema, to this day) asks for with
 * "Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf":
 * the Swagger 2.0 document openapi.c builds, encoded as gnostic's
 * openapi.v2.Document (github.com/googleapis/gnostic
 * openapiv2/OpenAPIv2.proto), as the real server's kube-openapi handler
 * does with gnostic's compiler (ToProtoBinary).
 *
 * The walk is driven by tables of the proto messages the document uses:
 * each JSON key of a Swagger object names a field number and how its
 * value is encoded. As gnostic's compiler does it:
 *  - maps (definitions, properties, paths, responses) are repeated
 *    Named* messages {1: name, 2: value}, in document order;
 *  - "x-" keys are vendor extensions: NamedAny {1: name, 2: Any {2: the
 *    value as YAML}} (kubectl reads x-kubernetes-group-version-kind and the
 *    patch strategy and merge key from there);
 *  - "type" is TypeItem {repeated string 1}, "items" ItemsItem {repeated
 *    Schema 1}, "additionalProperties" a oneof of a Schema (1) or a bool
 *    (2), parameters a oneof by "$ref" and by "in", and "$ref" the _ref
 *    field.
 * Keys with no field in the tables are dropped, as gnostic drops them; the
 * unit test decodes the result and compares it with the JSON document.
 */
#include "kube/sim/server.h"
#include "kube/kube.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum pb_kind {
	P_STR,   /* string */
	P_BOOL,  /* bool */
	P_INT,   /* int64 */
	P_NUM,   /* double */
	P_STRS,  /* repeated string */
	P_MSG,   /* message */
	P_MSGS,  /* repeated message, from a JSON array */
	P_ANY,   /* Any {2: YAML} */
	P_ANYS,  /* repeated Any, from a JSON array */
	P_WRAP,  /* message whose repeated field 1 holds the value (one or an
		  * array): strings when sub is NULL, else messages */
};

struct pb_msg;
struct pb_field {
	const char *key; /* JSON key */
	int num;
	enum pb_kind kind;
	const struct pb_msg *sub;
};

/* One proto message. A JSON object's keys go to the fields of f; "x-" keys
 * to repeated NamedAny ext (0: dropped); with named, every other key is a
 * Named* entry {name, value as named_sub} at that field number. A oneof
 * message instead has pick, which chooses the case for the value. */
struct pb_msg {
	const struct pb_field *f;
	int ext;
	int named;
	const struct pb_msg *named_sub;
	int (*pick)(const json_t *v, const struct pb_msg **sub);
};

#define MSG(n) static const struct pb_msg n
MSG(m_document);
MSG(m_info);
MSG(m_paths);
MSG(m_path_item);
MSG(m_operation);
MSG(m_params_item);
MSG(m_json_ref);
MSG(m_parameter);
MSG(m_body_param);
MSG(m_non_body_param);
MSG(m_query_param);
MSG(m_path_param);
MSG(m_responses);
MSG(m_response_value);
MSG(m_response);
MSG(m_schema_item);
MSG(m_schema);
MSG(m_definitions);
MSG(m_properties);
MSG(m_param_defs);
MSG(m_response_defs);
MSG(m_addl_props);

static const struct pb_field f_document[] = {
	{ "swagger", 1, P_STR, NULL },
	{ "info", 2, P_MSG, &m_info },
	{ "host", 3, P_STR, NULL },
	{ "basePath", 4, P_STR, NULL },
	{ "schemes", 5, P_STRS, NULL },
	{ "consumes", 6, P_STRS, NULL },
	{ "produces", 7, P_STRS, NULL },
	{ "paths", 8, P_MSG, &m_paths },
	{ "definitions", 9, P_MSG, &m_definitions },
	{ "parameters", 10, P_MSG, &m_param_defs },
	{ "responses", 11, P_MSG, &m_response_defs },
	{ NULL, 0, 0, NULL },
};
MSG(m_document) = { f_document, 16, 0, NULL, NULL };

static const struct pb_field f_info[] = {
	{ "title", 1, P_STR, NULL },
	{ "version", 2, P_STR, NULL },
	{ "description", 3, P_STR, NULL },
	{ "termsOfService", 4, P_STR, NULL },
	{ NULL, 0, 0, NULL },
};
MSG(m_info) = { f_info, 7, 0, NULL, NULL };

static const struct pb_field f_none[] = { { NULL, 0, 0, NULL } };
MSG(m_paths) = { f_none, 1, 2, &m_path_item, NULL };
MSG(m_definitions) = { f_none, 0, 1, &m_schema, NULL };
MSG(m_properties) = { f_none, 0, 1, &m_schema, NULL };
MSG(m_param_defs) = { f_none, 0, 1, &m_parameter, NULL };
MSG(m_response_defs) = { f_none, 0, 1, &m_response, NULL };
MSG(m_responses) = { f_none, 2, 1, &m_response_value, NULL };

static const struct pb_field f_path_item[] = {
	{ "$ref", 1, P_STR, NULL },
	{ "get", 2, P_MSG, &m_operation },
	{ "put", 3, P_MSG, &m_operation },
	{ "post", 4, P_MSG, &m_operation },
	{ "delete", 5, P_MSG, &m_operation },
	{ "options", 6, P_MSG, &m_operation },
	{ "head", 7, P_MSG, &m_operation },
	{ "patch", 8, P_MSG, &m_operation },
	{ "parameters", 9, P_MSGS, &m_params_item },
	{ NULL, 0, 0, NULL },
};
MSG(m_path_item) = { f_path_item, 10, 0, NULL, NULL };

static const struct pb_field f_operation[] = {
	{ "tags", 1, P_STRS, NULL },
	{ "summary", 2, P_STR, NULL },
	{ "description", 3, P_STR, NULL },
	{ "operationId", 5, P_STR, NULL },
	{ "produces", 6, P_STRS, NULL },
	{ "consumes", 7, P_STRS, NULL },
	{ "parameters", 8, P_MSGS, &m_params_item },
	{ "responses", 9, P_MSG, &m_responses },
	{ "schemes", 10, P_STRS, NULL },
	{ "deprecated", 11, P_BOOL, NULL },
	{ NULL, 0, 0, NULL },
};
MSG(m_operation) = { f_operation, 13, 0, NULL, NULL };

static const struct pb_field f_json_ref[] = {
	{ "$ref", 1, P_STR, NULL },
	{ "description", 2, P_STR, NULL },
	{ NULL, 0, 0, NULL },
};
MSG(m_json_ref) = { f_json_ref, 0, 0, NULL, NULL };

/* ParametersItem and ResponseValue: a JsonReference (2) or the thing. */
static int pick_param_ref(const json_t *v, const struct pb_msg **sub)
{
	if (json_object_get(v, "$ref")) {
		*sub = &m_json_ref;
		return 2;
	}
	*sub = &m_parameter;
	return 1;
}
MSG(m_params_item) = { NULL, 0, 0, NULL, pick_param_ref };

static int pick_response_ref(const json_t *v, const struct pb_msg **sub)
{
	if (json_object_get(v, "$ref")) {
		*sub = &m_json_ref;
		return 2;
	}
	*sub = &m_response;
	return 1;
}
MSG(m_response_value) = { NULL, 0, 0, NULL, pick_response_ref };

/* Parameter: a BodyParameter (1) or a NonBodyParameter (2). */
static int pick_parameter(const json_t *v, const struct pb_msg **sub)
{
	const char *in = json_string_value(json_object_get(v, "in"));
	if (in && !strcmp(in, "body")) {
		*sub = &m_body_param;
		return 1;
	}
	*sub = &m_non_body_param;
	return 2;
}
MSG(m_parameter) = { NULL, 0, 0, NULL, pick_parameter };

static const struct pb_field f_body_param[] = {
	{ "description", 1, P_STR, NULL },
	{ "name", 2, P_STR, NULL },
	{ "in", 3, P_STR, NULL },
	{ "required", 4, P_BOOL, NULL },
	{ "schema", 5, P_MSG, &m_schema },
	{ NULL, 0, 0, NULL },
};
MSG(m_body_param) = { f_body_param, 6, 0, NULL, NULL };

/* NonBodyParameter: header (1), formData (2), query (3), path (4) - the
 * header and path sub-schemas share one layout, query and formData
 * another (they have allowEmptyValue at 5). */
static const struct {
	const char *in;
	int num;
	const struct pb_msg *sub;
} non_body[] = {
	{ "header", 1, &m_path_param },
	{ "formData", 2, &m_query_param },
	{ "query", 3, &m_query_param },
	{ "path", 4, &m_path_param },
};

static int pick_non_body(const json_t *v, const struct pb_msg **sub)
{
	const char *in = json_string_value(json_object_get(v, "in"));
	for (size_t i = 0; in && i < sizeof non_body / sizeof non_body[0]; i++)
		if (!strcmp(in, non_body[i].in)) {
			*sub = non_body[i].sub;
			return non_body[i].num;
		}
	return 0;
}
MSG(m_non_body_param) = { NULL, 0, 0, NULL, pick_non_body };

static const struct pb_field f_query_param[] = {
	{ "required", 1, P_BOOL, NULL },
	{ "in", 2, P_STR, NULL },
	{ "description", 3, P_STR, NULL },
	{ "name", 4, P_STR, NULL },
	{ "allowEmptyValue", 5, P_BOOL, NULL },
	{ "type", 6, P_STR, NULL },
	{ "format", 7, P_STR, NULL },
	{ "collectionFormat", 9, P_STR, NULL },
	{ "default", 10, P_ANY, NULL },
	{ "uniqueItems", 20, P_BOOL, NULL },
	{ "enum", 21, P_ANYS, NULL },
	{ NULL, 0, 0, NULL },
};
MSG(m_query_param) = { f_query_param, 23, 0, NULL, NULL };

static const struct pb_field f_path_param[] = {
	{ "required", 1, P_BOOL, NULL },
	{ "in", 2, P_STR, NULL },
	{ "description", 3, P_STR, NULL },
	{ "name", 4, P_STR, NULL },
	{ "type", 5, P_STR, NULL },
	{ "format", 6, P_STR, NULL },
	{ "collectionFormat", 8, P_STR, NULL },
	{ "default", 9, P_ANY, NULL },
	{ "uniqueItems", 19, P_BOOL, NULL },
	{ "enum", 20, P_ANYS, NULL },
	{ NULL, 0, 0, NULL },
};
MSG(m_path_param) = { f_path_param, 22, 0, NULL, NULL };

static const struct pb_field f_response[] = {
	{ "description", 1, P_STR, NULL },
	{ "schema", 2, P_MSG, &m_schema_item },
	{ NULL, 0, 0, NULL },
};
MSG(m_response) = { f_response, 5, 0, NULL, NULL };

/* SchemaItem: a Schema (1); FileSchema (2, type "file") is never served. */
static int pick_schema_item(const json_t *v, const struct pb_msg **sub)
{
	(void)v;
	*sub = &m_schema;
	return 1;
}
MSG(m_schema_item) = { NULL, 0, 0, NULL, pick_schema_item };

static const struct pb_field f_schema[] = {
	{ "$ref", 1, P_STR, NULL },
	{ "format", 2, P_STR, NULL },
	{ "title", 3, P_STR, NULL },
	{ "description", 4, P_STR, NULL },
	{ "default", 5, P_ANY, NULL },
	{ "multipleOf", 6, P_NUM, NULL },
	{ "maximum", 7, P_NUM, NULL },
	{ "exclusiveMaximum", 8, P_BOOL, NULL },
	{ "minimum", 9, P_NUM, NULL },
	{ "exclusiveMinimum", 10, P_BOOL, NULL },
	{ "maxLength", 11, P_INT, NULL },
	{ "minLength", 12, P_INT, NULL },
	{ "pattern", 13, P_STR, NULL },
	{ "maxItems", 14, P_INT, NULL },
	{ "minItems", 15, P_INT, NULL },
	{ "uniqueItems", 16, P_BOOL, NULL },
	{ "maxProperties", 17, P_INT, NULL },
	{ "minProperties", 18, P_INT, NULL },
	{ "required", 19, P_STRS, NULL },
	{ "enum", 20, P_ANYS, NULL },
	{ "additionalProperties", 21, P_MSG, &m_addl_props },
	{ "type", 22, P_WRAP, NULL },
	{ "items", 23, P_WRAP, &m_schema },
	{ "allOf", 24, P_MSGS, &m_schema },
	{ "properties", 25, P_MSG, &m_properties },
	{ "discriminator", 26, P_STR, NULL },
	{ "readOnly", 27, P_BOOL, NULL },
	{ "example", 30, P_ANY, NULL },
	{ NULL, 0, 0, NULL },
};
MSG(m_schema) = { f_schema, 31, 0, NULL, NULL };

/* AdditionalPropertiesItem: a Schema (1) or a bool (2, no message). */
static int pick_addl_props(const json_t *v, const struct pb_msg **sub)
{
	*sub = json_is_boolean(v) ? NULL : &m_schema;
	return json_is_boolean(v) ? 2 : 1;
}
MSG(m_addl_props) = { NULL, 0, 0, NULL, pick_addl_props };

/* ---- wire format ----------------------------------------------------------- */

enum { WT_VARINT = 0, WT_FIXED64 = 1, WT_LEN = 2 };

static void put_varint(struct dbuf *b, uint64_t v)
{
	unsigned char tmp[10];
	size_t n = 0;
	do {
		tmp[n] = v & 0x7f;
		v >>= 7;
		if (v)
			tmp[n] |= 0x80;
		n++;
	} while (v);
	dbuf_append(b, tmp, n);
}

static void put_tag(struct dbuf *b, int num, int wt)
{
	put_varint(b, ((uint64_t)num << 3) | (uint64_t)wt);
}

static void put_bytes(struct dbuf *b, int num, const void *p, size_t n)
{
	put_tag(b, num, WT_LEN);
	put_varint(b, n);
	dbuf_append(b, p, n);
}

static void put_str(struct dbuf *b, int num, const char *s)
{
	put_bytes(b, num, s, strlen(s));
}

static void put_double(struct dbuf *b, int num, double d)
{
	uint64_t u;
	unsigned char le[8];
	memcpy(&u, &d, sizeof u);
	for (int i = 0; i < 8; i++)
		le[i] = (unsigned char)(u >> (8 * i));
	put_tag(b, num, WT_FIXED64);
	dbuf_append(b, le, 8);
}

static void put_msg(struct dbuf *b, int num, const struct pb_msg *m,
		    const json_t *v);

/* Any {2: yaml}: the value as YAML, as gnostic's NewAny marshals it. */
static void put_any(struct dbuf *b, int num, const json_t *v)
{
	struct perr e = { 0 };
	char *yaml = kube_json_to_yaml((json_t *)v, &e);
	struct dbuf any;
	dbuf_init(&any, 0);
	if (yaml)
		put_str(&any, 2, yaml);
	put_bytes(b, num, any.p, any.len);
	dbuf_free(&any);
	free(yaml);
}

/* One field of kind f->kind holding v. Values of the wrong JSON type are
 * dropped (gnostic would refuse the document; openapi.c never makes one). */
static void put_field(struct dbuf *b, const struct pb_field *f, const json_t *v)
{
	size_t i;
	const json_t *x;
	switch (f->kind) {
	case P_STR:
		if (json_is_string(v))
			put_str(b, f->num, json_string_value(v));
		break;
	case P_BOOL:
		if (json_is_true(v)) {
			put_tag(b, f->num, WT_VARINT);
			put_varint(b, 1);
		}
		break;
	case P_INT:
		if (json_is_integer(v) && json_integer_value(v)) {
			put_tag(b, f->num, WT_VARINT);
			put_varint(b, (uint64_t)json_integer_value(v));
		}
		break;
	case P_NUM:
		if (json_is_number(v) && json_number_value(v) != 0)
			put_double(b, f->num, json_number_value(v));
		break;
	case P_STRS:
		json_array_foreach(v, i, x)
			if (json_is_string(x))
				put_str(b, f->num, json_string_value(x));
		break;
	case P_MSG:
		put_msg(b, f->num, f->sub, v);
		break;
	case P_MSGS:
		json_array_foreach(v, i, x)
			put_msg(b, f->num, f->sub, x);
		break;
	case P_ANY:
		put_any(b, f->num, v);
		break;
	case P_ANYS:
		json_array_foreach(v, i, x)
			put_any(b, f->num, x);
		break;
	case P_WRAP: {
		struct dbuf w;
		dbuf_init(&w, 0);
		const struct pb_field one = { NULL, 1, f->sub ? P_MSG : P_STR, f->sub };
		if (json_is_array(v)) {
			json_array_foreach(v, i, x)
				put_field(&w, &one, x);
		} else {
			put_field(&w, &one, v);
		}
		put_bytes(b, f->num, w.p, w.len);
		dbuf_free(&w);
		break;
	}
	}
}

/* NamedAny / Named*: {1: name, 2: value}. */
static void put_named(struct dbuf *b, int num, const char *name,
		      const struct pb_msg *sub, const json_t *v)
{
	struct dbuf e;
	dbuf_init(&e, 0);
	put_str(&e, 1, name);
	if (sub)
		put_msg(&e, 2, sub, v);
	else
		put_any(&e, 2, v);
	put_bytes(b, num, e.p, e.len);
	dbuf_free(&e);
}

/* The fields of message m from v, without tag and length. */
static void encode(struct dbuf *b, const struct pb_msg *m, const json_t *v)
{
	if (m->pick) {
		const struct pb_msg *sub = NULL;
		int num = m->pick(v, &sub);
		if (num && sub)
			put_msg(b, num, sub, v);
		else if (num) { /* a oneof bool is set even when false */
			put_tag(b, num, WT_VARINT);
			put_varint(b, json_is_true(v));
		}
		return;
	}
	if (!json_is_object(v))
		return;
	/* Fields in the order of the table (field number order), then the
	 * named entries and the vendor extensions in document order. */
	for (const struct pb_field *f = m->f; f->key; f++) {
		const json_t *x = json_object_get(v, f->key);
		if (x)
			put_field(b, f, x);
	}
	const char *k;
	const json_t *x;
	json_object_foreach((json_t *)v, k, x) {
		if (!strncmp(k, "x-", 2)) {
			if (m->ext)
				put_named(b, m->ext, k, NULL, x);
		} else if (m->named) {
			put_named(b, m->named, k, m->named_sub, x);
		}
	}
}

static void put_msg(struct dbuf *b, int num, const struct pb_msg *m,
		    const json_t *v)
{
	struct dbuf sub;
	dbuf_init(&sub, 0);
	encode(&sub, m, v);
	put_bytes(b, num, sub.p, sub.len);
	dbuf_free(&sub);
}

/* doc (a Swagger 2.0 document) as a gnostic openapi.v2.Document. Caller
 * frees *out. */
void sim_openapi_v2_pb(const json_t *doc, char **out, size_t *len)
{
	struct dbuf b;
	dbuf_init(&b, 0);
	encode(&b, &m_document, doc);
	*len = b.len;
	*out = dbuf_take(&b);
}

/* Answer r with the protobuf /openapi/v2: application/octet-stream, the
 * type Go's http.ServeContent sniffs for it on the real server. */
void sim_openapi_v2_pb_resp(struct sim_resp *r)
{
	json_t *doc = sim_openapi_v2();
	r->code = 200;
	sim_openapi_v2_pb(doc, &r->body, &r->len);
	r->ctype = "application/octet-stream";
	json_decref(doc);
}

/* Does Accept ask for the protobuf document before JSON? kube-openapi's
 * handler serves the first clause that names either (or a wildcard). */
int sim_openapi_pb_wanted(const char *accept)
{
	if (!accept)
		return 0;
	for (const char *p = accept; *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t n = strcspn(p, ",;");
		if (n == strlen(SIM_OPENAPI_V2_PB) &&
		    !strncasecmp(p, SIM_OPENAPI_V2_PB, n))
			return 1;
		if ((n == 16 && !strncasecmp(p, "application/json", n)) ||
		    (n == 13 && !strncmp(p, "application/*", n)) ||
		    (n == 3 && !strncmp(p, "*/*", n)))
			return 0;
		p += strcspn(p, ",");
	}
	return 0;
}
