/*
 * openapi.c - the OpenAPI documents of the simulated API server:
 * /openapi/v2 (Swagger 2.0, "definitions"), /openapi/v3 (the index of
 * group-versions) and /openapi/v3/<gv> (OpenAPI 3.0, components.schemas),
 * rendered from the schema table (schema.c) and the kinds table, with the
 * real definition names (io.k8s.api.apps.v1.Deployment,
 * io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta, ...), the
 * x-kubernetes-group-version-kind of each kind, and the patch strategy,
 * merge key and list type extensions.
 *
 * What kubectl 1.32 does with them (k8s.io/cli-runtime
 * resource/query_param_verifier_v3.go, kubectl explain):
 *  - Before create/apply/patch/replace with --validate=strict (the
 *    default), it asks whether the server supports the fieldValidation
 *    query parameter: it GETs /openapi/v3, then the document of the
 *    object's group-version (serverRelativeURL from the index), walks
 *    its paths, takes each path's PATCH operation whose
 *    x-kubernetes-group-version-kind is the object's, and looks for a
 *    parameter named fieldValidation "in": "query" among that
 *    operation's own parameters. Found: it sends fieldValidation=Strict
 *    and leaves schema validation to the server. Not found: "Path not
 *    found for GVK" or unsupported, and it falls back to the same check
 *    on /openapi/v2 (paths, PATCH, the same extension), then to
 *    client-side validation against the v2 definitions. So every kind's
 *    item path carries a PATCH operation with fieldValidation here.
 *  - The same verifier decides dryRun support (the dryRun parameter).
 *  - `kubectl explain` (1.27+) reads the v3 document of the resource's
 *    group-version and finds the schema whose
 *    x-kubernetes-group-version-kind list names the kind; references are
 *    {"allOf":[{"$ref":...}]} with the description beside them, as the
 *    real server writes them, and explain follows them field by field.
 */
#include "kube/sim/sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define V2_REF "#/definitions/"
#define V3_REF "#/components/schemas/"

/* Definitions that are strings on the wire. */
static const struct {
	const char *name, *format, *desc;
} string_types[] = {
	{ "io.k8s.apimachinery.pkg.api.resource.Quantity", NULL,
	  "Quantity is a fixed-point representation of a number. It provides "
	  "convenient marshaling/unmarshaling in JSON and YAML, in addition to "
	  "String() and AsInt64() accessors." },
	{ "io.k8s.apimachinery.pkg.util.intstr.IntOrString", "int-or-string",
	  "IntOrString is a type that can hold an int32 or a string." },
	{ "io.k8s.apimachinery.pkg.apis.meta.v1.Time", "date-time",
	  "Time is a wrapper around time.Time which supports correct "
	  "marshaling to YAML and JSON." },
	{ "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime", "date-time",
	  "MicroTime is version of Time with microsecond level precision." },
};

static const struct {
	const char *name, *type, *format;
} primitives[] = {
	{ "string", "string", NULL },	{ "integer", "integer", "int32" },
	{ "int64", "integer", "int64" }, { "boolean", "boolean", NULL },
	{ "number", "number", "double" }, { "byte", "string", "byte" },
	{ "object", "object", NULL },
};

/* A reference to type name, or the inline schema of a primitive. v3
 * wraps references in allOf when a description sits beside them. */
static json_t *type_schema(const char *type, int v3, int wrap)
{
	for (size_t i = 0; i < sizeof primitives / sizeof primitives[0]; i++)
		if (!strcmp(primitives[i].name, type)) {
			json_t *o = json_pack("{s:s}", "type", primitives[i].type);
			if (primitives[i].format)
				json_object_set_new(o, "format",
						    json_string(primitives[i].format));
			return o;
		}
	char *ref = xasprintf("%s%s", v3 ? V3_REF : V2_REF, type);
	json_t *r = json_pack("{s:s}", "$ref", ref);
	free(ref);
	if (v3 && wrap)
		return json_pack("{s:[o]}", "allOf", r);
	return r;
}

static json_t *split_keys(const char *csv)
{
	json_t *a = json_array();
	while (csv && *csv) {
		size_t n = strcspn(csv, ",");
		json_array_append_new(a, json_stringn(csv, n));
		csv += n + (csv[n] == ',');
	}
	return a;
}

static json_t *field_schema(const struct sim_field *f, int v3)
{
	json_t *s;
	if (f->shape == 'a') {
		s = json_pack("{s:s,s:o}", "type", "array", "items",
			      type_schema(f->type, v3, 0));
	} else if (f->shape == 'm') {
		s = json_pack("{s:s,s:o}", "type", "object",
			      "additionalProperties", type_schema(f->type, v3, 0));
	} else {
		s = type_schema(f->type, v3, 1);
	}
	if (f->desc && *f->desc)
		json_object_set_new(s, "description", json_string(f->desc));
	if (f->strategy)
		json_object_set_new(s, "x-kubernetes-patch-strategy",
				    json_string(f->strategy));
	if (f->merge_key)
		json_object_set_new(s, "x-kubernetes-patch-merge-key",
				    json_string(f->merge_key));
	if (f->shape == 'a') {
		const char *lt = !f->strategy || strncmp(f->strategy, "merge", 5)
					 ? "atomic"
				 : f->merge_key ? "map"
						: "set";
		json_object_set_new(s, "x-kubernetes-list-type", json_string(lt));
		if (f->merge_key)
			json_object_set_new(s, "x-kubernetes-list-map-keys",
					    split_keys(f->list_keys ? f->list_keys
								    : f->merge_key));
	}
	return s;
}

static json_t *gvk(const char *group, const char *version, const char *kind)
{
	return json_pack("{s:s,s:s,s:s}", "group", group, "kind", kind,
			 "version", version);
}

/* The "required" lists of the real server's documents for the types a
 * manifest sets: kubectl 1.20 checks them itself before sending ("missing
 * required field"). Names the type does not have are left out. */
static const struct {
	const char *type, *fields;
} required[] = {
	{ "io.k8s.api.apps.v1.DeploymentSpec", "selector,template" },
	{ "io.k8s.api.apps.v1.ReplicaSetSpec", "selector" },
	{ "io.k8s.api.batch.v1.JobSpec", "template" },
	{ "io.k8s.api.core.v1.PodSpec", "containers" },
	{ "io.k8s.api.core.v1.Container", "name" },
	{ "io.k8s.api.core.v1.ContainerPort", "containerPort" },
	{ "io.k8s.api.core.v1.EnvVar", "name" },
	{ "io.k8s.api.core.v1.ServicePort", "port" },
	{ "io.k8s.api.core.v1.Volume", "name" },
	{ "io.k8s.api.core.v1.VolumeMount", "name,mountPath" },
	{ "io.k8s.api.core.v1.HTTPGetAction", "port" },
	{ "io.k8s.api.core.v1.TCPSocketAction", "port" },
	{ "io.k8s.api.core.v1.HTTPHeader", "name,value" },
	{ "io.k8s.api.core.v1.ConfigMapKeySelector", "key" },
	{ "io.k8s.api.core.v1.SecretKeySelector", "key" },
	{ "io.k8s.api.core.v1.ObjectFieldSelector", "fieldPath" },
	{ "io.k8s.api.core.v1.ResourceFieldSelector", "resource" },
	{ "io.k8s.api.core.v1.KeyToPath", "key,path" },
	{ "io.k8s.api.core.v1.EndpointAddress", "ip" },
	{ "io.k8s.api.core.v1.EndpointPort", "port" },
	{ "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement",
	  "key,operator" },
	{ "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference",
	  "apiVersion,kind,name,uid" },
};

static json_t *required_of(const struct sim_type *t)
{
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
		if (strcmp(required[i].type, t->name))
			continue;
		json_t *all = split_keys(required[i].fields), *have = json_array();
		size_t j;
		json_t *n;
		json_array_foreach(all, j, n)
			if (sim_schema_field(t, json_string_value(n)))
				json_array_append(have, n);
		json_decref(all);
		if (json_array_size(have))
			return have;
		json_decref(have);
		return NULL;
	}
	return NULL;
}

static json_t *type_def(const struct sim_type *t, int v3)
{
	json_t *d = json_pack("{s:s,s:s}", "description", t->desc, "type",
			      "object");
	if (t->fields) {
		json_t *props = json_object();
		for (const struct sim_field *f = t->fields; f->name; f++)
			json_object_set_new(props, f->name, field_schema(f, v3));
		json_object_set_new(d, "properties", props);
		json_t *req = required_of(t);
		if (req)
			json_object_set_new(d, "required", req);
	}
	if (t->kind)
		json_object_set_new(d, "x-kubernetes-group-version-kind",
				    json_pack("[o]", gvk(t->group, t->version,
							 t->kind)));
	return d;
}

/* Add type name and every type it refers to (depth-first). */
static void add_reachable(json_t *defs, const char *name, int v3)
{
	if (json_object_get(defs, name))
		return;
	for (size_t i = 0; i < sizeof string_types / sizeof string_types[0]; i++)
		if (!strcmp(string_types[i].name, name)) {
			json_t *d = json_pack("{s:s,s:s}", "description",
					      string_types[i].desc, "type",
					      "string");
			if (string_types[i].format)
				json_object_set_new(d, "format",
						    json_string(string_types[i].format));
			json_object_set_new(defs, name, d);
			return;
		}
	const struct sim_type *t = sim_schema_type(name);
	if (!t)
		return;
	json_object_set_new(defs, name, type_def(t, v3));
	if (!t->fields)
		return;
	for (const struct sim_field *f = t->fields; f->name; f++)
		add_reachable(defs, f->type, v3);
}

/* ---- paths ----------------------------------------------------------------- */

static json_t *query_param(const char *name, const char *desc, int v3)
{
	json_t *p = json_pack("{s:s,s:s,s:s}", "name", name, "in", "query",
			      "description", desc);
	if (v3)
		json_object_set_new(p, "schema", json_pack("{s:s,s:b}", "type",
							   "string", "uniqueItems",
							   1));
	else
		json_object_set_new(p, "type", json_string("string"));
	return p;
}

#define D_DRYRUN                                                               \
	"When present, indicates that modifications should not be persisted. " \
	"Valid values are: - All: all dry run stages will be processed"
#define D_MANAGER                                                              \
	"fieldManager is a name associated with the actor or entity that is "  \
	"making these changes."
#define D_VALIDATION                                                           \
	"fieldValidation instructs the server on how to handle objects in the " \
	"request (POST/PUT/PATCH) containing unknown or duplicate fields. "     \
	"Valid values are: - Ignore - Warn - Strict"
#define D_FORCE                                                                \
	"Force is going to \"force\" Apply requests. It means user will "      \
	"re-acquire conflicting fields owned by other people."

static int has_verb(const struct sim_kind *k, const char *verb)
{
	size_t n = strlen(verb);
	for (const char *p = k->verbs; p && *p;) {
		size_t m = strcspn(p, ",");
		if (m == n && !strncmp(p, verb, n))
			return 1;
		p += m + (p[m] == ',');
	}
	return 0;
}

/* One operation: action (get, list, create, update, patch, delete), its
 * query parameters, and the GVK extension kubectl's verifier reads. */
static json_t *operation(const struct sim_kind *k, const char *action,
			 const char *op_verb, const char *type_name, int v3)
{
	char id[160];
	snprintf(id, sizeof id, "%s%s%s%s", op_verb,
		 *k->group ? k->group : "Core", k->version, k->kind);
	json_t *params = json_array();
	int writes = !strcmp(action, "post") || !strcmp(action, "put") ||
		     !strcmp(action, "patch");
	if (writes) {
		json_array_append_new(params, query_param("dryRun", D_DRYRUN, v3));
		json_array_append_new(params,
				      query_param("fieldManager", D_MANAGER, v3));
		json_array_append_new(params, query_param("fieldValidation",
							  D_VALIDATION, v3));
	}
	if (!strcmp(action, "patch"))
		json_array_append_new(params, query_param("force", D_FORCE, v3));
	json_t *schema = type_schema(type_name, v3, 0);
	json_t *ok;
	if (v3)
		ok = json_pack("{s:s,s:{s:{s:o}}}", "description", "OK",
			       "content", "application/json", "schema", schema);
	else
		ok = json_pack("{s:s,s:o}", "description", "OK", "schema", schema);
	json_t *op = json_pack("{s:s,s:s,s:o,s:{s:o}}", "description", id,
			       "operationId", id, "parameters", params,
			       "responses", "200", ok);
	if (!strcmp(action, "patch")) {
		static const char *const types[] = {
			"application/apply-patch+yaml",
			"application/json-patch+json",
			"application/merge-patch+json",
			"application/strategic-merge-patch+json",
		};
		if (v3) {
			json_t *content = json_object();
			for (size_t i = 0; i < 4; i++)
				json_object_set_new(
					content, types[i],
					json_pack("{s:{s:s}}", "schema", "$ref",
						  V3_REF "io.k8s.apimachinery.pkg."
							 "apis.meta.v1.Patch"));
			json_object_set_new(op, "requestBody",
					    json_pack("{s:o,s:b}", "content",
						      content, "required", 1));
		} else {
			json_t *c = json_array();
			for (size_t i = 0; i < 4; i++)
				json_array_append_new(c, json_string(types[i]));
			json_object_set_new(op, "consumes", c);
		}
	}
	json_object_set_new(op, "x-kubernetes-action", json_string(op_verb));
	json_object_set_new(op, "x-kubernetes-group-version-kind",
			    gvk(k->group, k->version, k->kind));
	return op;
}

static void gv_path(const struct sim_kind *k, char *buf, size_t n)
{
	if (*k->group)
		snprintf(buf, n, "apis/%s/%s", k->group, k->version);
	else
		snprintf(buf, n, "api/%s", k->version);
}

/* The collection and item paths of kind k. */
static void add_paths(json_t *paths, const struct sim_kind *k,
		      const char *type_name, int v3)
{
	char gv[128], coll[256], item[300];
	gv_path(k, gv, sizeof gv);
	snprintf(coll, sizeof coll, "/%s/%s%s", gv,
		 k->namespaced ? "namespaces/{namespace}/" : "", k->plural);
	snprintf(item, sizeof item, "%s/{name}", coll);
	json_t *c = json_object(), *it = json_object();
	if (has_verb(k, "list"))
		json_object_set_new(c, "get",
				    operation(k, "get", "list", "object", v3));
	if (has_verb(k, "create"))
		json_object_set_new(c, "post",
				    operation(k, "post", "create", type_name, v3));
	if (has_verb(k, "get"))
		json_object_set_new(it, "get",
				    operation(k, "get", "get", type_name, v3));
	if (has_verb(k, "update"))
		json_object_set_new(it, "put",
				    operation(k, "put", "update", type_name, v3));
	if (has_verb(k, "patch"))
		json_object_set_new(it, "patch",
				    operation(k, "patch", "patch", type_name, v3));
	if (has_verb(k, "delete"))
		json_object_set_new(it, "delete",
				    operation(k, "delete", "delete", "object", v3));
	json_t *params = json_array();
	json_array_append_new(params,
			      json_pack(v3 ? "{s:s,s:s,s:b,s:{s:s}}"
					   : "{s:s,s:s,s:b,s:s}",
					"name", "name", "in", "path", "required",
					1, v3 ? "schema" : "type",
					v3 ? "type" : "string", "string"));
	if (k->namespaced)
		json_array_append_new(
			params, json_pack(v3 ? "{s:s,s:s,s:b,s:{s:s}}"
					     : "{s:s,s:s,s:b,s:s}",
					  "name", "namespace", "in", "path",
					  "required", 1, v3 ? "schema" : "type",
					  v3 ? "type" : "string", "string"));
	json_object_set_new(it, "parameters", params);
	if (k->namespaced) {
		json_t *cp = json_array();
		json_array_append(cp, json_array_get(params, 1));
		json_object_set_new(c, "parameters", cp);
	}
	json_object_set_new(paths, coll, c);
	json_object_set_new(paths, item, it);
}

/* Kinds of group-version path gvp ("api/v1"; NULL: all) that have a
 * schema, with their paths and definitions added. */
static void add_kinds(json_t *paths, json_t *defs, const char *gvp, int v3)
{
	for (const struct sim_kind *k = sim_kinds; k->kind; k++) {
		const struct sim_type *t = sim_schema_root(k->group, k->kind);
		char gv[128];
		if (!t)
			continue;
		gv_path(k, gv, sizeof gv);
		if (gvp && strcmp(gv, gvp))
			continue;
		add_reachable(defs, t->name, v3);
		add_paths(paths, k, t->name, v3);
	}
	json_object_set_new(defs, "io.k8s.apimachinery.pkg.apis.meta.v1.Patch",
			    json_pack("{s:s,s:s}", "description",
				      "Patch is provided to give a concrete name "
				      "and type to the Kubernetes PATCH request "
				      "body.",
				      "type", "object"));
}

/* The Swagger 2.0 document of every kind served. New reference. */
json_t *sim_openapi_v2(void)
{
	json_t *paths = json_object(), *defs = json_object();
	add_kinds(paths, defs, NULL, 0);
	return json_pack("{s:s,s:{s:s,s:s},s:o,s:o}", "swagger", "2.0", "info",
			 "title", "Kubernetes", "version", "v1.20.2", "paths",
			 paths, "definitions", defs);
}

/* The OpenAPI 3 document of one group-version, or NULL. New reference. */
json_t *sim_openapi_v3(const char *group_version_path)
{
	if (!group_version_path)
		return NULL;
	int found = 0;
	for (const struct sim_kind *k = sim_kinds; k->kind; k++) {
		char gv[128];
		gv_path(k, gv, sizeof gv);
		if (!strcmp(gv, group_version_path) &&
		    sim_schema_root(k->group, k->kind))
			found = 1;
	}
	if (!found)
		return NULL;
	json_t *paths = json_object(), *defs = json_object();
	add_kinds(paths, defs, group_version_path, 1);
	return json_pack("{s:s,s:{s:s,s:s},s:o,s:{s:o}}", "openapi", "3.0.0",
			 "info", "title", "Kubernetes", "version", "v1.20.2",
			 "paths", paths, "components", "schemas", defs);
}

/* FNV-1a 64 of the document, as the hash the index names it by: clients
 * cache a group-version's document under it. */
static void doc_hash(const json_t *doc, char out[17])
{
	char *s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	unsigned long long h = 1469598103934665603ULL;
	for (const char *p = s; p && *p; p++) {
		h ^= (unsigned char)*p;
		h *= 1099511628211ULL;
	}
	snprintf(out, 17, "%016llX", h);
	free(s);
}

/* The /openapi/v3 index: each group-version and its URL. New reference. */
json_t *sim_openapi_v3_index(void)
{
	json_t *paths = json_object();
	for (const struct sim_kind *k = sim_kinds; k->kind; k++) {
		char gv[128], hash[17];
		gv_path(k, gv, sizeof gv);
		if (json_object_get(paths, gv) ||
		    !sim_schema_root(k->group, k->kind))
			continue;
		json_t *doc = sim_openapi_v3(gv);
		doc_hash(doc, hash);
		json_decref(doc);
		char *url = xasprintf("/openapi/v3/%s?hash=%s", gv, hash);
		json_object_set_new(paths, gv,
				    json_pack("{s:s}", "serverRelativeURL", url));
		free(url);
	}
	return json_pack("{s:o}", "paths", paths);
}
