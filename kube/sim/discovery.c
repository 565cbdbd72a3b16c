/*
 * discovery.c - what clients read before anything else: /version, /api,
 * /apis, /apis/GROUP, the resource lists of each group-version, and the
 * health endpoints. Shaped as kube-apiserver 1.20 shapes them
 * (tests/data/sim/api*.json), built from the kinds table; only the groups
 * the simulated cluster serves are listed, so clients never chase a group
 * that would answer 404.
 */
#include "kube/sim/server.h"

#include <stdio.h>
#include <string.h>

static json_t *split_list(const char *csv)
{
	json_t *a = json_array();
	const char *p = csv;
	while (p && *p) {
		size_t n = strcspn(p, ",");
		json_array_append_new(a, json_stringn(p, n));
		p += n + (p[n] == ',');
	}
	return a;
}

static json_t *resource(const char *name, const struct sim_kind *k,
			const char *kind, const char *verbs, int top)
{
	json_t *o = json_object();
	json_object_set_new(o, "name", json_string(name));
	json_object_set_new(o, "singularName", json_string(""));
	json_object_set_new(o, "namespaced", json_boolean(k->namespaced));
	if (!top && strcmp(kind, "Scale") == 0) {
		json_object_set_new(o, "group", json_string("autoscaling"));
		json_object_set_new(o, "version", json_string("v1"));
	}
	json_object_set_new(o, "kind", json_string(kind));
	json_object_set_new(o, "verbs", split_list(verbs));
	if (top && k->short_names)
		json_object_set_new(o, "shortNames", split_list(k->short_names));
	if (top && k->categories)
		json_object_set_new(o, "categories", split_list(k->categories));
	if (top && k->storage_hash)
		json_object_set_new(o, "storageVersionHash",
				    json_string(k->storage_hash));
	return o;
}

/* Subresources of k as discovery lists them: name, kind, verbs. */
struct subres {
	const char *sub, *kind, *verbs;
};

static void add_subresources(json_t *list, const struct sim_kind *k)
{
	struct subres subs[4];
	int n = 0;
	/* In the order discovery sorts them: log, proxy, scale, status. */
	if (k->extra_sub && strstr(k->extra_sub, "log"))
		subs[n++] = (struct subres){ "log", k->kind, "get" };
	if (k->extra_sub && strstr(k->extra_sub, "proxy"))
		subs[n++] = (struct subres){
			"proxy",
			strcmp(k->kind, "Pod") == 0 ? "PodProxyOptions"
						    : "ServiceProxyOptions",
			"create,delete,get,patch,update"
		};
	if (k->has_scale)
		subs[n++] = (struct subres){ "scale", "Scale", "get,patch,update" };
	if (k->has_status)
		subs[n++] = (struct subres){ "status", k->kind, "get,patch,update" };
	for (int i = 0; i < n; i++) {
		char name[96];
		snprintf(name, sizeof name, "%s/%s", k->plural, subs[i].sub);
		json_array_append_new(list, resource(name, k, subs[i].kind,
						     subs[i].verbs, 0));
	}
}

static json_t *resource_list(const char *group, const char *version)
{
	json_t *o = json_object();
	char gv[96];
	json_object_set_new(o, "kind", json_string("APIResourceList"));
	if (group[0]) {
		/* The core list has no apiVersion in 1.20; the groups do. */
		json_object_set_new(o, "apiVersion", json_string("v1"));
		snprintf(gv, sizeof gv, "%s/%s", group, version);
	} else {
		snprintf(gv, sizeof gv, "%s", version);
	}
	json_object_set_new(o, "groupVersion", json_string(gv));
	json_t *list = json_array();
	for (const struct sim_kind *k = sim_kinds; k->kind; k++) {
		if (strcmp(k->group, group) != 0 || strcmp(k->version, version) != 0)
			continue;
		json_array_append_new(list,
				      resource(k->plural, k, k->kind, k->verbs, 1));
		add_subresources(list, k);
	}
	json_object_set_new(o, "resources", list);
	return o;
}

static json_t *group_json(const char *group)
{
	json_t *versions = json_array();
	json_t *preferred = NULL;
	for (const struct sim_kind *k = sim_kinds; k->kind; k++) {
		if (strcmp(k->group, group) != 0)
			continue;
		char gv[96];
		snprintf(gv, sizeof gv, "%s/%s", group, k->version);
		int seen = 0;
		size_t i;
		json_t *v;
		json_array_foreach(versions, i, v)
		{
			if (strcmp(json_string_value(json_object_get(v, "groupVersion")),
				   gv) == 0)
				seen = 1;
		}
		if (seen)
			continue;
		json_t *e = json_pack("{s:s,s:s}", "groupVersion", gv, "version",
				      k->version);
		json_array_append_new(versions, e);
		if (!preferred)
			preferred = json_deep_copy(e);
	}
	json_t *g = json_object();
	json_object_set_new(g, "name", json_string(group));
	json_object_set_new(g, "versions", versions);
	json_object_set_new(g, "preferredVersion", preferred ? preferred : json_object());
	return g;
}

static json_t *group_list(void)
{
	json_t *o = json_object();
	json_object_set_new(o, "kind", json_string("APIGroupList"));
	json_object_set_new(o, "apiVersion", json_string("v1"));
	json_t *groups = json_array();
	for (const struct sim_kind *k = sim_kinds; k->kind; k++) {
		if (!k->group[0] || (k != sim_kinds && strcmp(k[-1].group, k->group) == 0))
			continue;
		json_array_append_new(groups, group_json(k->group));
	}
	json_object_set_new(o, "groups", groups);
	return o;
}

static json_t *api_versions(const char *server_address)
{
	return json_pack("{s:s,s:[s],s:[{s:s,s:s}]}", "kind", "APIVersions",
			 "versions", "v1", "serverAddressByClientCIDRs",
			 "clientCIDR", "0.0.0.0/0", "serverAddress", server_address);
}

/* /version as 1.20.2 answers it (always indented, as the real one). */
static void version(struct sim_resp *r)
{
	json_t *v = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "major", "1",
			      "minor", "20", "gitVersion", "v1.20.2", "gitCommit",
			      "faecb196815e248d3ecfb03c680a4507229c2a56",
			      "gitTreeState", "archive", "buildDate",
			      "2026-11-28T11:25:11Z", "goVersion", "go1.19.8",
			      "compiler", "gc", "platform", "linux/amd64");
	char *txt = json_dumps(v, JSON_INDENT(2));
	json_decref(v);
	r->code = 200;
	r->body = txt;
	r->len = strlen(txt);
	r->ctype = "application/json";
}

/* Answer discovery, health and OpenAPI requests. */
void sim_discovery_handle(struct sim_request *rq, struct sim_resp *r)
{
	char addr[64];
	switch (rq->route.type) {
	case SIM_ROUTE_VERSION:
		version(r);
		return;
	case SIM_ROUTE_HEALTH:
		r->code = 200;
		r->body = xstrdup("ok");
		r->len = 2;
		r->ctype = "text/plain; charset=utf-8";
		return;
	case SIM_ROUTE_API:
		snprintf(addr, sizeof addr, "%s", rq->server_addr ? rq->server_addr : "127.0.0.1");
		sim_resp_json(r, 200, api_versions(addr));
		return;
	case SIM_ROUTE_APIS:
		sim_resp_json(r, 200, group_list());
		return;
	case SIM_ROUTE_GROUP: {
		json_t *g = group_json(rq->route.group);
		json_t *o = json_object();
		json_object_set_new(o, "kind", json_string("APIGroup"));
		json_object_set_new(o, "apiVersion", json_string("v1"));
		json_object_update(o, g);
		json_decref(g);
		sim_resp_json(r, 200, o);
		return;
	}
	case SIM_ROUTE_RESOURCES:
		sim_resp_json(r, 200, resource_list(rq->route.group, rq->route.version));
		return;
	case SIM_ROUTE_OPENAPI_V2:
		if (sim_openapi_pb_wanted(rq->accept)) {
			sim_openapi_v2_pb_resp(r);
			return;
		}
		sim_resp_json(r, 200, sim_openapi_v2());
		return;
	case SIM_ROUTE_OPENAPI_V3_INDEX:
		sim_resp_json(r, 200, sim_openapi_v3_index());
		return;
	case SIM_ROUTE_OPENAPI_V3: {
		json_t *doc = sim_openapi_v3(rq->route.gv_path);
		if (doc) {
			sim_resp_json(r, 200, doc);
			return;
		}
		break;
	}
	default:
		break;
	}
	{
		struct sim_status st = { 0 };
		sim_status_set(&st, 404, "NotFound",
			       "the server could not find the requested resource");
		st.details = json_object();
		sim_resp_status(r, &st);
		sim_status_clear(&st);
	}
}
