/* test_sim_openapi_pb.c - /openapi/v2 in protobuf: the encoded document,
 * decoded back here with the field numbers of gnostic's OpenAPIv2.proto
 * (written out independently of openapi_pb.c's tables), equals the JSON
 * document openapi.c builds; what kubectl 1.20's validation reads
 * (definitions, $ref, type, items, additionalProperties, required, the
 * x-kubernetes-group-version-kind extension as YAML) is there; and the
 * Accept negotiation of kube-openapi's handler. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "kube/sim/sim.h"

/* ---- a protobuf reader ----------------------------------------------------- */

struct rd {
	const unsigned char *p, *end;
};

static uint64_t varint(struct rd *r)
{
	uint64_t v = 0;
	for (int s = 0; s < 64; s += 7) {
		assert_true(r->p < r->end);
		unsigned char c = *r->p++;
		v |= (uint64_t)(c & 0x7f) << s;
		if (!(c & 0x80))
			return v;
	}
	fail_msg("varint too long");
	return 0;
}

/* Next field: number, wire type, and the bytes of a length-delimited one
 * (in *sub) or the varint (in *v). 0 at the end. */
static int field(struct rd *r, int *num, int *wt, struct rd *sub, uint64_t *v)
{
	if (r->p >= r->end)
		return 0;
	uint64_t tag = varint(r);
	*num = (int)(tag >> 3);
	*wt = (int)(tag & 7);
	if (*wt == 2) {
		uint64_t n = varint(r);
		assert_true(n <= (uint64_t)(r->end - r->p));
		sub->p = r->p;
		sub->end = r->p + n;
		r->p += n;
	} else if (*wt == 0) {
		*v = varint(r);
	} else if (*wt == 1) {
		assert_true(r->end - r->p >= 8);
		memcpy(v, r->p, 8);
		r->p += 8;
	} else {
		fail_msg("wire type %d", *wt);
	}
	return 1;
}

static json_t *str(const struct rd *s)
{
	return json_stringn((const char *)s->p, (size_t)(s->end - s->p));
}

/* ---- the messages, from OpenAPIv2.proto -------------------------------------- */

enum k { K_STR, K_BOOL, K_STRS, K_MSG, K_MSGS, K_TYPEITEM, K_ITEMS, K_ADDL };
struct dmsg;
struct dfield {
	int num;
	const char *key;
	enum k kind;
	const struct dmsg *sub;
};
/* fields; ext: vendor_extension's number; named: Named* entries' number */
struct dmsg {
	const struct dfield *f;
	int ext, named;
	const struct dmsg *named_sub;
};

static const struct dmsg schema, properties, operation, path_item,
	params_item, responses, response_value;

static const struct dfield schema_f[] = {
	{ 1, "$ref", K_STR, NULL },	   { 2, "format", K_STR, NULL },
	{ 4, "description", K_STR, NULL }, { 19, "required", K_STRS, NULL },
	{ 21, "additionalProperties", K_ADDL, &schema },
	{ 22, "type", K_TYPEITEM, NULL },  { 23, "items", K_ITEMS, &schema },
	{ 25, "properties", K_MSG, &properties }, { 0, NULL, 0, NULL },
};
static const struct dmsg schema = { schema_f, 31, 0, NULL };
static const struct dmsg properties = { NULL, 0, 1, &schema };

static const struct dfield query_f[] = {
	{ 1, "required", K_BOOL, NULL }, { 2, "in", K_STR, NULL },
	{ 3, "description", K_STR, NULL }, { 4, "name", K_STR, NULL },
	{ 6, "type", K_STR, NULL },	 { 0, NULL, 0, NULL },
};
static const struct dfield path_f[] = {
	{ 1, "required", K_BOOL, NULL }, { 2, "in", K_STR, NULL },
	{ 3, "description", K_STR, NULL }, { 4, "name", K_STR, NULL },
	{ 5, "type", K_STR, NULL },	 { 0, NULL, 0, NULL },
};
static const struct dmsg query_param = { query_f, 23, 0, NULL };
static const struct dmsg path_param = { path_f, 22, 0, NULL };
/* NonBodyParameter's cases are the same object, one level down. */
static const struct dfield non_body_f[] = {
	{ 3, NULL, K_MSG, &query_param }, { 4, NULL, K_MSG, &path_param },
	{ 0, NULL, 0, NULL },
};
static const struct dmsg non_body = { non_body_f, 0, 0, NULL };
static const struct dfield parameter_f[] = { { 2, NULL, K_MSG, &non_body },
					     { 0, NULL, 0, NULL } };
static const struct dmsg parameter = { parameter_f, 0, 0, NULL };
static const struct dfield params_item_f[] = { { 1, NULL, K_MSG, &parameter },
					       { 0, NULL, 0, NULL } };
static const struct dmsg params_item = { params_item_f, 0, 0, NULL };

static const struct dfield schema_item_f[] = { { 1, NULL, K_MSG, &schema },
					       { 0, NULL, 0, NULL } };
static const struct dmsg schema_item = { schema_item_f, 0, 0, NULL };
static const struct dfield response_f[] = {
	{ 1, "description", K_STR, NULL }, { 2, "schema", K_MSG, &schema_item },
	{ 0, NULL, 0, NULL },
};
static const struct dmsg response = { response_f, 5, 0, NULL };
static const struct dfield response_value_f[] = { { 1, NULL, K_MSG, &response },
						  { 0, NULL, 0, NULL } };
static const struct dmsg response_value = { response_value_f, 0, 0, NULL };
static const struct dmsg responses = { NULL, 2, 1, &response_value };

static const struct dfield operation_f[] = {
	{ 3, "description", K_STR, NULL }, { 5, "operationId", K_STR, NULL },
	{ 7, "consumes", K_STRS, NULL },   { 8, "parameters", K_MSGS, &params_item },
	{ 9, "responses", K_MSG, &responses }, { 0, NULL, 0, NULL },
};
static const struct dmsg operation = { operation_f, 13, 0, NULL };
static const struct dfield path_item_f[] = {
	{ 2, "get", K_MSG, &operation },    { 3, "put", K_MSG, &operation },
	{ 4, "post", K_MSG, &operation },   { 5, "delete", K_MSG, &operation },
	{ 8, "patch", K_MSG, &operation },  { 9, "parameters", K_MSGS, &params_item },
	{ 0, NULL, 0, NULL },
};
static const struct dmsg path_item = { path_item_f, 10, 0, NULL };
static const struct dmsg paths = { NULL, 1, 2, &path_item };
static const struct dmsg definitions = { NULL, 0, 1, &schema };
static const struct dfield info_f[] = { { 1, "title", K_STR, NULL },
					{ 2, "version", K_STR, NULL },
					{ 0, NULL, 0, NULL } };
static const struct dmsg info = { info_f, 7, 0, NULL };
static const struct dfield document_f[] = {
	{ 1, "swagger", K_STR, NULL },	      { 2, "info", K_MSG, &info },
	{ 8, "paths", K_MSG, &paths },	      { 9, "definitions", K_MSG, &definitions },
	{ 0, NULL, 0, NULL },
};
static const struct dmsg document = { document_f, 16, 0, NULL };

static void decode_into(json_t *out, struct rd r, const struct dmsg *m);

static json_t *decode(struct rd r, const struct dmsg *m)
{
	json_t *o = json_object();
	decode_into(o, r, m);
	return o;
}

/* NamedAny's Any: the yaml field (2), read as YAML. */
static json_t *any_value(struct rd r)
{
	int num, wt;
	struct rd sub;
	uint64_t v;
	json_t *val = NULL;
	while (field(&r, &num, &wt, &sub, &v))
		if (num == 2 && wt == 2) {
			char *y = strndup((const char *)sub.p, (size_t)(sub.end - sub.p));
			struct sim_status st = { 0 };
			val = sim_yaml_to_json(y, strlen(y), &st);
			if (!val)
				fail_msg("vendor extension is not YAML: %s", y);
			sim_status_clear(&st);
			free(y);
		}
	assert_non_null(val);
	return val;
}

/* Named*: {1 name, 2 value}, into out[name]. */
static void named(json_t *out, struct rd r, const struct dmsg *sub)
{
	int num, wt;
	struct rd s;
	uint64_t v;
	json_t *name = NULL, *val = NULL;
	while (field(&r, &num, &wt, &s, &v)) {
		assert_int_equal(wt, 2);
		if (num == 1)
			name = str(&s);
		else if (num == 2)
			val = sub ? decode(s, sub) : any_value(s);
	}
	assert_non_null(name);
	assert_non_null(val);
	json_object_set_new(out, json_string_value(name), val);
	json_decref(name);
}

static void decode_into(json_t *out, struct rd r, const struct dmsg *m)
{
	int num, wt;
	struct rd sub;
	uint64_t v;
	while (field(&r, &num, &wt, &sub, &v)) {
		if (m->ext && num == m->ext) {
			named(out, sub, NULL);
			continue;
		}
		if (m->named && num == m->named) {
			named(out, sub, m->named_sub);
			continue;
		}
		const struct dfield *f = m->f;
		while (f && f->num && f->num != num)
			f++;
		if (!f || !f->num)
			fail_msg("field %d not in the tables", num);
		json_t *x;
		switch (f->kind) {
		case K_STR:
			json_object_set_new(out, f->key, str(&sub));
			break;
		case K_BOOL:
			json_object_set_new(out, f->key, json_boolean(v));
			break;
		case K_STRS:
			if (!json_object_get(out, f->key))
				json_object_set_new(out, f->key, json_array());
			json_array_append_new(json_object_get(out, f->key), str(&sub));
			break;
		case K_MSG:
			if (f->key)
				json_object_set_new(out, f->key, decode(sub, f->sub));
			else /* a oneof case: the same object */
				decode_into(out, sub, f->sub);
			break;
		case K_MSGS:
			if (!json_object_get(out, f->key))
				json_object_set_new(out, f->key, json_array());
			json_array_append_new(json_object_get(out, f->key), decode(sub, f->sub));
			break;
		case K_TYPEITEM: { /* TypeItem {repeated string value = 1} */
			int n2, w2;
			struct rd s2;
			uint64_t v2;
			x = NULL;
			while (field(&sub, &n2, &w2, &s2, &v2)) {
				assert_int_equal(n2, 1);
				assert_null(x); /* openapi.c writes one type */
				x = str(&s2);
			}
			json_object_set_new(out, f->key, x);
			break;
		}
		case K_ITEMS: { /* ItemsItem {repeated Schema schema = 1} */
			int n2, w2;
			struct rd s2;
			uint64_t v2;
			x = NULL;
			while (field(&sub, &n2, &w2, &s2, &v2)) {
				assert_int_equal(n2, 1);
				assert_null(x);
				x = decode(s2, &schema);
			}
			json_object_set_new(out, f->key, x);
			break;
		}
		case K_ADDL: { /* oneof {Schema schema = 1; bool boolean = 2} */
			int n2, w2;
			struct rd s2;
			uint64_t v2;
			assert_true(field(&sub, &n2, &w2, &s2, &v2));
			x = n2 == 1 ? decode(s2, &schema) : json_boolean(v2);
			json_object_set_new(out, f->key, x);
			break;
		}
		}
	}
}

/* ---- tests ----------------------------------------------------------------- */

static json_t *round_trip(const json_t *doc, size_t *len)
{
	char *pb;
	sim_openapi_v2_pb(doc, &pb, len);
	json_t *back = decode((struct rd){ (const unsigned char *)pb,
					   (const unsigned char *)pb + *len },
			      &document);
	free(pb);
	return back;
}

/* Drop what proto3 cannot carry, as gnostic drops it: empty lists and
 * false bools are the absent field. */
static void proto3_normalize(json_t *v)
{
	const char *k;
	json_t *x;
	void *tmp;
	size_t i;
	if (json_is_object(v)) {
		json_object_foreach_safe(v, tmp, k, x) {
			if (json_is_false(x) ||
			    (json_is_array(x) && !json_array_size(x)))
				json_object_del(v, k);
			else
				proto3_normalize(x);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			proto3_normalize(x);
	}
}

/* The served document decodes back to the JSON one, key for key. */
static void test_served_document(void **state)
{
	(void)state;
	json_t *doc = sim_openapi_v2();
	proto3_normalize(doc);
	size_t len;
	json_t *back = round_trip(doc, &len);
	assert_true(len > 10000);
	if (!json_equal(doc, back)) {
		const char *k;
		json_t *x;
		json_object_foreach(doc, k, x)
			if (!json_equal(x, json_object_get(back, k))) {
				char *a = json_dumps(x, JSON_SORT_KEYS | JSON_INDENT(1));
				char *b = json_dumps(json_object_get(back, k),
						     JSON_SORT_KEYS | JSON_INDENT(1));
				print_error("%s:\n%s\n%s\n", k, a, b ? b : "(none)");
				free(a);
				free(b);
			}
		fail_msg("the decoded document differs");
	}
	/* what kubectl 1.20's validation looks up: the kind by its GVK */
	json_t *dep = json_object_get(json_object_get(back, "definitions"), "io.k8s.api.apps.v1.Deployment");
	json_t *gvk = json_array_get(json_object_get(dep, "x-kubernetes-group-version-kind"), 0);
	assert_string_equal(json_string_value(json_object_get(gvk, "group")), "apps");
	assert_string_equal(json_string_value(json_object_get(gvk, "kind")), "Deployment");
	assert_string_equal(json_string_value(json_object_get(gvk, "version")), "v1");
	/* and the required fields it reports missing */
	json_t *req = json_object_get(json_object_get(json_object_get(back, "definitions"),
						      "io.k8s.api.apps.v1.DeploymentSpec"),
				      "required");
	assert_int_equal(json_array_size(req), 2);
	assert_string_equal(json_string_value(json_array_get(req, 0)), "selector");
	assert_string_equal(json_string_value(json_array_get(req, 1)), "template");
	json_decref(back);
	json_decref(doc);
}

/* Every schema form the encoder knows, including what openapi.c does not
 * make today (required, a bool additionalProperties, body and path
 * parameters), survives the trip. */
static void test_schema_forms(void **state)
{
	(void)state;
	json_t *doc = json_loads(
		"{\"swagger\":\"2.0\",\"info\":{\"title\":\"T\",\"version\":\"v9\"},"
		"\"paths\":{\"/x/{name}\":{\"get\":{\"description\":\"d\","
		"\"operationId\":\"op\",\"parameters\":[{\"name\":\"limit\",\"in\":\"query\","
		"\"type\":\"integer\"}],\"responses\":{\"200\":"
		"{\"description\":\"OK\",\"schema\":{\"$ref\":\"#/definitions/a.B\"}}},"
		"\"x-kubernetes-action\":\"get\"},\"parameters\":[{\"name\":\"name\","
		"\"in\":\"path\",\"type\":\"string\",\"required\":true}]}},"
		"\"definitions\":{\"a.B\":{\"description\":\"B\",\"required\":[\"spec\",\"kind\"],"
		"\"type\":\"object\",\"properties\":{\"spec\":{\"$ref\":\"#/definitions/a.C\"},"
		"\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},"
		"\"x-kubernetes-list-type\":\"set\"},\"labels\":{\"type\":\"object\","
		"\"additionalProperties\":{\"type\":\"string\"}},\"open\":{\"type\":\"object\","
		"\"additionalProperties\":false},\"n\":{\"type\":\"integer\",\"format\":\"int64\"}},"
		"\"x-kubernetes-group-version-kind\":[{\"group\":\"a\",\"kind\":\"B\",\"version\":\"v1\"}]},"
		"\"a.C\":{\"type\":\"object\",\"properties\":{\"on\":{\"type\":\"boolean\"}}}}}",
		0, NULL);
	assert_non_null(doc);
	size_t len;
	json_t *back = round_trip(doc, &len);
	if (!json_equal(doc, back)) {
		char *b = json_dumps(back, JSON_SORT_KEYS | JSON_COMPACT);
		fail_msg("differs: %s", b);
	}
	json_decref(back);
	json_decref(doc);
}

/* The first clause that names JSON or the protobuf type decides, as in
 * kube-openapi's handler; no Accept is JSON. */
static void test_accept(void **state)
{
	(void)state;
	assert_true(sim_openapi_pb_wanted(SIM_OPENAPI_V2_PB));
	assert_true(sim_openapi_pb_wanted(SIM_OPENAPI_V2_PB ", application/json"));
	assert_true(sim_openapi_pb_wanted("text/html, " SIM_OPENAPI_V2_PB ";q=0.9"));
	assert_false(sim_openapi_pb_wanted("application/json, " SIM_OPENAPI_V2_PB));
	assert_false(sim_openapi_pb_wanted("application/json"));
	assert_false(sim_openapi_pb_wanted("*/*"));
	assert_false(sim_openapi_pb_wanted(NULL));
	assert_false(sim_openapi_pb_wanted("application/com.github.proto-openapi.spec.v2"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_served_document),
		cmocka_unit_test(test_schema_forms),
		cmocka_unit_test(test_accept),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
