/*
 * api.c - the Kubernetes API proper of the simulated server: list (label
 * and field selectors, limit/continue with remainingItemCount), get,
 * create, update (with the status and scale subresources), delete (with
 * DeleteOptions) and deletecollection, each answering as kube-apiserver
 * 1.20 answers: the same list shapes, status codes and Status errors.
 *
 * The lock is held only to read or change the store; stored objects are
 * immutable, so responses are serialised after it is released.
 */
#include "kube/sim/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void method_not_allowed(struct sim_resp *r)
{
	struct sim_status st = { 0 };
	sim_status_set(&st, 405, "MethodNotAllowed",
		       "the server does not allow this method on the requested "
		       "resource");
	st.details = json_object();
	sim_resp_status(r, &st);
	sim_status_clear(&st);
}

/* Whether kind k allows verb (as its discovery entry lists verbs). */
static int verb_allowed(const struct sim_kind *k, const char *verb)
{
	size_t n = strlen(verb);
	const char *p = k->verbs;
	while (*p) {
		size_t m = strcspn(p, ",");
		if (m == n && strncmp(p, verb, n) == 0)
			return 1;
		p += m + (p[m] == ',');
	}
	return 0;
}

static const char *meta_str(const json_t *obj, const char *key)
{
	return json_string_value(
		json_object_get(json_object_get(obj, "metadata"), key));
}

/* ---- list ------------------------------------------------------------ */

/* includeObject: what each Table row carries (Metadata by default). */
static int table_include(const struct sim_request *rq)
{
	const char *v = rq->q.include_object;
	if (v && strcmp(v, "None") == 0)
		return SIM_TABLE_NONE;
	if (v && strcmp(v, "Object") == 0)
		return SIM_TABLE_OBJECT;
	return SIM_TABLE_METADATA;
}

struct list_ctx {
	const struct sim_kind *k;
	struct sim_selector *label, *field;
	int has_after;
	char after_ns[520], after_name[520];
	long long limit; /* 0: all */
	json_t *items;
	int whole; /* keep kind and apiVersion (Table rows embed objects) */
	long long count;
	long long remaining;
	int more;
	int count_rest; /* count what is left (no selectors) */
	char last_ns[520], last_name[520];
};

static int list_one(json_t *obj, void *ud)
{
	struct list_ctx *c = ud;
	const char *ns = meta_str(obj, "namespace");
	const char *name = meta_str(obj, "name");
	ns = ns && c->k->namespaced ? ns : "";
	if (!name)
		return 0;
	if (c->has_after) {
		int cmp = strcmp(ns, c->after_ns);
		if (cmp < 0 || (cmp == 0 && strcmp(name, c->after_name) <= 0))
			return 0;
	}
	if (!sim_selector_match(c->label, obj) || !sim_selector_match(c->field, obj))
		return 0;
	if (c->more) {
		c->remaining++;
		return 0;
	}
	if (c->limit && c->count == c->limit) {
		c->more = 1;
		c->remaining = 1;
		return !c->count_rest;
	}
	/* List items carry no kind/apiVersion: a shallow copy without them.
	 * Objects embedded in Table rows keep them, as the real server's. */
	if (c->whole) {
		json_array_append(c->items, obj);
	} else {
		json_t *item = json_copy(obj);
		json_object_del(item, "kind");
		json_object_del(item, "apiVersion");
		json_array_append_new(c->items, item);
	}
	c->count++;
	snprintf(c->last_ns, sizeof c->last_ns, "%s", ns);
	snprintf(c->last_name, sizeof c->last_name, "%s", name);
	return 0;
}

/* Parse both selectors; 0 / -1 with st set. */
static int selectors(struct sim_request *rq, struct sim_selector **label,
		     struct sim_selector **field, struct sim_status *st)
{
	*label = *field = NULL;
	if (rq->q.label_selector && *rq->q.label_selector) {
		*label = sim_label_selector_parse(rq->q.label_selector, st);
		if (!*label)
			return -1;
	}
	if (rq->q.field_selector && *rq->q.field_selector) {
		*field = sim_field_selector_parse(rq->route.kind,
						  rq->q.field_selector, st);
		if (!*field) {
			sim_selector_free(*label);
			*label = NULL;
			return -1;
		}
	}
	return 0;
}

static const char *list_ns(const struct sim_request *rq)
{
	return rq->route.has_ns ? rq->route.ns : NULL;
}

static void handle_list(struct sim_request *rq, struct sim_resp *r)
{
	struct sim_status st = { 0 };
	const struct sim_kind *k = rq->route.kind;
	struct list_ctx c;
	memset(&c, 0, sizeof c);
	c.k = k;
	unsigned long long token_rv = 0;
	if (sim_query_int("limit", rq->q.limit, 0, 1LL << 40, &c.limit, &st) < 0)
		goto fail;
	if (rq->q.cont && *rq->q.cont) {
		char key[520];
		if (sim_continue_decode(rq->q.cont, &token_rv, key, sizeof key, &st) < 0)
			goto fail;
		char *slash = k->namespaced && !rq->route.has_ns ? strchr(key, '/') : NULL;
		if (slash) {
			*slash = '\0';
			snprintf(c.after_ns, sizeof c.after_ns, "%s", key);
			snprintf(c.after_name, sizeof c.after_name, "%s", slash + 1);
		} else {
			snprintf(c.after_ns, sizeof c.after_ns, "%s",
				 k->namespaced ? rq->route.ns : "");
			snprintf(c.after_name, sizeof c.after_name, "%s", key);
		}
		c.has_after = 1;
	}
	if (selectors(rq, &c.label, &c.field, &st) < 0)
		goto fail;
	c.count_rest = !c.label && !c.field;
	c.items = json_array();
	c.whole = sim_accept_table(rq->accept);

	sim_lock(rq->sim);
	unsigned long long rv = sim_store_rv(rq->sim);
	if (token_rv && token_rv < rq->sim->floor) {
		sim_unlock(rq->sim);
		sim_status_set(&st, 410, "Expired",
			       "The provided continue parameter is too old to "
			       "display a consistent list result. You can start a "
			       "new list without the continue parameter, or use "
			       "the continue token in this response to retrieve "
			       "the remainder of the results. Continuing with the "
			       "provided token results in an inconsistent list - "
			       "objects that were created, modified, or deleted "
			       "between the time the first chunk was returned and "
			       "now may show up in the list.");
		goto fail;
	}
	sim_store_each(rq->sim, k, list_ns(rq), list_one, &c);
	sim_unlock(rq->sim);
	if (token_rv)
		rv = token_rv;

	char buf[128];
	json_t *list = json_object();
	snprintf(buf, sizeof buf, "%sList", k->kind);
	json_object_set_new(list, "kind", json_string(buf));
	json_object_set_new(list, "apiVersion",
			    json_string(sim_kind_api_version(k, buf, sizeof buf)));
	json_t *meta = json_object();
	snprintf(buf, sizeof buf, "%llu", rv);
	json_object_set_new(meta, "resourceVersion", json_string(buf));
	if (c.more) {
		char key[1048];
		if (k->namespaced && !rq->route.has_ns)
			snprintf(key, sizeof key, "%s/%s", c.last_ns, c.last_name);
		else
			snprintf(key, sizeof key, "%s", c.last_name);
		char *tok = sim_continue_encode(rv, key);
		json_object_set_new(meta, "continue", json_string(tok));
		free(tok);
		if (c.count_rest)
			json_object_set_new(meta, "remainingItemCount",
					    json_integer(c.remaining));
	}
	json_object_set_new(list, "metadata", meta);
	json_object_set_new(list, "items", c.items);
	c.items = NULL;
	if (sim_accept_table(rq->accept)) {
		json_t *table = sim_table(k, json_object_get(list, "items"),
					  table_include(rq), sim_wall_ms(rq->sim) / 1000);
		json_object_set(table, "metadata", meta);
		json_decref(list);
		list = table;
	}

	sim_resp_json(r, 200, list);
	sim_selector_free(c.label);
	sim_selector_free(c.field);
	return;
fail:
	json_decref(c.items);
	sim_selector_free(c.label);
	sim_selector_free(c.field);
	sim_resp_status(r, &st);
	sim_status_clear(&st);
}

/* ---- get ------------------------------------------------------------- */

/* The autoscaling/v1 Scale of a deployment or replicaset. */
static json_t *scale_of(const struct sim_kind *k, const json_t *obj)
{
	(void)k;
	json_t *spec = json_object_get(obj, "spec");
	json_t *meta = json_object();
	static const char *const keys[] = { "name", "namespace", "uid",
					    "resourceVersion",
					    "creationTimestamp", NULL };
	for (const char *const *key = keys; *key; key++) {
		json_t *v = json_object_get(json_object_get(obj, "metadata"), *key);
		if (v)
			json_object_set(meta, *key, v);
	}
	/* The selector as a string, as LabelSelectorAsSelector prints it. */
	struct dbuf sel;
	dbuf_init(&sel, 4096);
	json_t *ls = json_object_get(spec, "selector");
	json_t *ml = json_object_get(ls, "matchLabels");
	const char **keysorted = NULL;
	size_t n = json_object_size(ml), i = 0;
	keysorted = xcalloc(n + 1, sizeof *keysorted);
	const char *key;
	json_t *v;
	json_object_foreach(ml, key, v)
		keysorted[i++] = key;
	for (size_t a = 1; a < n; a++)
		for (size_t b = a; b > 0 && strcmp(keysorted[b - 1], keysorted[b]) > 0; b--) {
			const char *t = keysorted[b];
			keysorted[b] = keysorted[b - 1];
			keysorted[b - 1] = t;
		}
	for (i = 0; i < n; i++)
		dbuf_printf(&sel, "%s%s=%s", i ? "," : "", keysorted[i],
			    json_string_value(json_object_get(ml, keysorted[i])));
	free(keysorted);
	size_t j;
	json_t *e;
	json_array_foreach(json_object_get(ls, "matchExpressions"), j, e)
	{
		const char *k2 = json_string_value(json_object_get(e, "key"));
		const char *op = json_string_value(json_object_get(e, "operator"));
		if (!k2 || !op)
			continue;
		if (sel.len)
			dbuf_puts(&sel, ",");
		if (strcmp(op, "Exists") == 0)
			dbuf_printf(&sel, "%s", k2);
		else if (strcmp(op, "DoesNotExist") == 0)
			dbuf_printf(&sel, "!%s", k2);
		else {
			dbuf_printf(&sel, "%s %s (", k2,
				    strcmp(op, "In") == 0 ? "in" : "notin");
			size_t x;
			json_t *val;
			json_array_foreach(json_object_get(e, "values"), x, val)
				dbuf_printf(&sel, "%s%s", x ? "," : "",
					    json_string_value(val));
			dbuf_puts(&sel, ")");
		}
	}
	json_int_t replicas = json_integer_value(json_object_get(spec, "replicas"));
	json_int_t have = json_integer_value(
		json_object_get(json_object_get(obj, "status"), "replicas"));
	json_t *scale = json_pack("{s:s,s:s,s:o,s:{s:I},s:{s:I,s:s}}", "kind", "Scale",
				  "apiVersion", "autoscaling/v1", "metadata", meta,
				  "spec", "replicas", (json_int_t)replicas, "status",
				  "replicas", (json_int_t)have, "selector",
				  sel.p ? sel.p : "");
	dbuf_free(&sel);
	return scale;
}

static void handle_get(struct sim_request *rq, struct sim_resp *r)
{
	struct sim_status st = { 0 };
	const struct sim_kind *k = rq->route.kind;
	sim_lock(rq->sim);
	json_t *obj = json_incref(sim_store_get(rq->sim, k, rq->route.ns,
						rq->route.name));
	sim_unlock(rq->sim);
	if (!obj) {
		sim_status_not_found(&st, k, rq->route.name);
		sim_resp_status(r, &st);
		sim_status_clear(&st);
		return;
	}
	if (strcmp(rq->route.sub, "scale") == 0) {
		json_t *scale = scale_of(k, obj);
		json_decref(obj);
		obj = scale;
	} else if (sim_accept_table(rq->accept)) {
		json_t *items = json_pack("[O]", obj);
		json_t *table = sim_table(k, items, table_include(rq),
					  sim_wall_ms(rq->sim) / 1000);
		json_object_set_new(table, "metadata",
				    json_pack("{s:s}", "resourceVersion",
					      meta_str(obj, "resourceVersion")));
		json_decref(items);
		json_decref(obj);
		obj = table;
	}
	sim_resp_json(r, 200, obj);
}

/* ---- create / update -------------------------------------------------- */

/* The body's kind/apiVersion and namespace must agree with the URL. */
static int check_body(struct sim_request *rq, json_t *obj, int need_name,
		      struct sim_status *st)
{
	const struct sim_kind *k = rq->route.kind;
	char av[64];
	if (!json_is_object(obj)) {
		sim_status_bad_request(st, "the object provided is not a JSON object");
		return -1;
	}
	const char *kind = json_string_value(json_object_get(obj, "kind"));
	const char *api = json_string_value(json_object_get(obj, "apiVersion"));
	const char *want_kind = strcmp(rq->route.sub, "scale") == 0 ? "Scale" : k->kind;
	const char *want_api = strcmp(rq->route.sub, "scale") == 0
				       ? "autoscaling/v1"
				       : sim_kind_api_version(k, av, sizeof av);
	if ((kind && *kind && strcmp(kind, want_kind) != 0) ||
	    (api && *api && strcmp(api, want_api) != 0)) {
		sim_status_bad_request(st, "the API version in the data (%s) does not "
					   "match the expected API version (%s)",
				       api ? api : "", want_api);
		return -1;
	}
	json_t *meta = json_object_get(obj, "metadata");
	if (meta && !json_is_object(meta)) {
		sim_status_bad_request(st, "metadata must be an object");
		return -1;
	}
	const char *ns = meta_str(obj, "namespace");
	if (k->namespaced && ns && *ns && strcmp(ns, rq->route.ns) != 0) {
		sim_status_bad_request(st, "the namespace of the provided object does "
					   "not match the namespace sent on the request");
		return -1;
	}
	const char *name = meta_str(obj, "name");
	if (need_name && (!name || strcmp(name, rq->route.name) != 0)) {
		sim_status_bad_request(st, "the name of the object (%s) does not "
					   "match the name on the URL (%s)",
				       name ? name : "", rq->route.name);
		return -1;
	}
	return 0;
}

/* dryRun: only "All" is a value; 0, or -1 with a 400 in st. */
static int dry_run(struct sim_request *rq, struct sim_status *st)
{
	const char *v = rq->q.dry_run;
	rq->dry = 0;
	if (!v || !*v)
		return 0;
	if (strcmp(v, "All") != 0) {
		sim_status_bad_request(st, "dryRun: Unsupported value: \"%.64s\": "
					   "supported values: \"All\"", v);
		return -1;
	}
	rq->dry = 1;
	return 0;
}

/* fieldValidation: Strict refuses unknown fields with the real decoder's
 * 400, Warn (the default) answers with a Warning header each, Ignore does
 * neither. 0, or -1 with st set. */
static int field_validation(struct sim_request *rq, const json_t *obj,
			    struct sim_resp *r, struct sim_status *st)
{
	const char *mode = rq->q.field_validation;
	if ((mode && strcmp(mode, "Ignore") == 0) || strcmp(rq->route.sub, "scale") == 0)
		return 0;
	json_t *unknown = json_array();
	if (sim_unknown_fields(rq->route.kind, obj, unknown) > 0) {
		if (mode && strcmp(mode, "Strict") == 0) {
			struct dbuf b;
			dbuf_init(&b, 900);
			size_t i;
			json_t *u;
			json_array_foreach(unknown, i, u)
				dbuf_printf(&b, "%s%s", i ? ", " : "", json_string_value(u));
			const struct sim_kind *k = rq->route.kind;
			sim_status_bad_request(st, "%s in version \"%s\" cannot be handled "
						   "as a %s: strict decoding error: %s",
					       k->kind, k->version, k->kind, b.p ? b.p : "");
			dbuf_free(&b);
			json_decref(unknown);
			return -1;
		}
		if (!r->warnings)
			r->warnings = json_array();
		json_array_extend(r->warnings, unknown);
	}
	json_decref(unknown);
	return 0;
}

/* The manager of a write that is not an apply: fieldManager, else the
 * User-Agent's program name, as the real server defaults it. */
static void manager_of(const struct sim_request *rq, char *buf, size_t n)
{
	const char *m = rq->q.field_manager;
	if (m && *m) {
		snprintf(buf, n, "%.128s", m);
		return;
	}
	const char *ua = rq->user_agent ? rq->user_agent : "unknown";
	size_t len = strcspn(ua, "/");
	if (len > 128)
		len = 128;
	snprintf(buf, n, "%.*s", (int)len, ua);
}

/* managedFields for a write that is not an apply (lock held). */
static void managed_update(struct sim_request *rq, const json_t *old, json_t *obj)
{
	char manager[160], now[32];
	manager_of(rq, manager, sizeof manager);
	sim_managed_update(rq->route.kind, old, obj, manager,
			   sim_rfc3339(rq->sim, now, sizeof now));
}

static void handle_create(struct sim_request *rq, struct sim_resp *r)
{
	struct sim_status st = { 0 };
	json_t *obj = sim_body_decode(rq->ctype, rq->body, rq->body_len, &st);
	json_t *out = NULL;
	if (!obj || check_body(rq, obj, 0, &st) < 0 ||
	    field_validation(rq, obj, r, &st) < 0)
		goto fail;
	sim_lock(rq->sim);
	managed_update(rq, NULL, obj);
	int rc = (rq->dry ? sim_store_create_dry : sim_store_create)(
		rq->sim, rq->route.kind, rq->route.has_ns ? rq->route.ns : NULL, obj,
		&out, &st);
	obj = NULL;
	if (!rq->dry)
		json_incref(out);
	sim_unlock(rq->sim);
	if (rc < 0)
		goto fail;
	sim_resp_json(r, 201, out);
	return;
fail:
	json_decref(obj);
	sim_resp_status(r, &st);
	sim_status_clear(&st);
}

/* Build what PUT stores, from the body and the live object (lock held):
 * the main resource keeps the live status, /status keeps the live spec and
 * metadata, /scale changes only spec.replicas. */
static json_t *merge_update(struct sim_request *rq, const json_t *live,
			    json_t *body)
{
	const char *sub = rq->route.sub;
	if (!*sub) {
		if (rq->route.kind->has_status) {
			json_t *status = json_object_get(live, "status");
			if (status)
				json_object_set(body, "status", status);
			else
				json_object_del(body, "status");
		}
		return json_incref(body);
	}
	json_t *n = json_deep_copy(live);
	json_t *rv = json_object_get(json_object_get(body, "metadata"),
				     "resourceVersion");
	if (rv)
		json_object_set(json_object_get(n, "metadata"), "resourceVersion", rv);
	else
		json_object_del(json_object_get(n, "metadata"), "resourceVersion");
	if (strcmp(sub, "status") == 0) {
		json_t *status = json_object_get(body, "status");
		if (status)
			json_object_set(n, "status", status);
	} else if (strcmp(sub, "scale") == 0) {
		json_t *rep = json_object_get(json_object_get(body, "spec"), "replicas");
		json_t *spec = json_object_get(n, "spec");
		if (json_is_integer(rep) && json_is_object(spec))
			json_object_set(spec, "replicas", rep);
	}
	return n;
}

/* Store obj as the new state of the routed object and answer with it (or
 * its Scale). Takes ownership of obj. Lock held on entry, released. */
static void store_update(struct sim_request *rq, json_t *obj, int created,
			 int applied, struct sim_resp *r)
{
	struct sim_status st = { 0 };
	json_t *out = NULL;
	int rc;
	if (!applied)
		managed_update(rq, created ? NULL : sim_store_get(rq->sim, rq->route.kind,
								  rq->route.ns,
								  rq->route.name),
			       obj);
	if (created)
		rc = (rq->dry ? sim_store_create_dry : sim_store_create)(
			rq->sim, rq->route.kind, rq->route.ns, obj, &out, &st);
	else
		rc = (rq->dry ? sim_store_update_dry : sim_store_update)(
			rq->sim, rq->route.kind, rq->route.ns, obj, &out, &st);
	if (!rq->dry)
		json_incref(out);
	sim_unlock(rq->sim);
	if (rc < 0) {
		sim_resp_status(r, &st);
		sim_status_clear(&st);
		return;
	}
	if (strcmp(rq->route.sub, "scale") == 0) {
		json_t *scale = scale_of(rq->route.kind, out);
		json_decref(out);
		out = scale;
	}
	sim_resp_json(r, created ? 201 : 200, out);
}

static void handle_update(struct sim_request *rq, struct sim_resp *r)
{
	struct sim_status st = { 0 };
	json_t *body = sim_body_decode(rq->ctype, rq->body, rq->body_len, &st);
	if (!body || check_body(rq, body, 1, &st) < 0 ||
	    field_validation(rq, body, r, &st) < 0)
		goto fail;
	sim_lock(rq->sim);
	json_t *live = sim_store_get(rq->sim, rq->route.kind, rq->route.ns,
				     rq->route.name);
	if (!live) {
		sim_unlock(rq->sim);
		sim_status_not_found(&st, rq->route.kind, rq->route.name);
		goto fail;
	}
	json_t *obj = merge_update(rq, live, body);
	json_decref(body);
	store_update(rq, obj, 0, 0, r);
	return;
fail:
	json_decref(body);
	sim_resp_status(r, &st);
	sim_status_clear(&st);
}

/* ---- patch ------------------------------------------------------------ */

static json_t *merge_fn(const struct sim_kind *k, const json_t *live,
			const json_t *patch, struct sim_status *st)
{
	(void)k;
	if (!json_is_object(patch)) {
		sim_status_bad_request(st, "json: cannot unmarshal %s into Go value of "
					   "type map[string]interface {}",
				       json_is_array(patch) ? "array" : "value");
		return NULL;
	}
	return sim_merge_patch(live, patch);
}

static json_t *json_patch_fn(const struct sim_kind *k, const json_t *live,
			     const json_t *patch, struct sim_status *st)
{
	(void)k;
	return sim_json_patch(live, patch, st);
}

static json_t *strategic_fn(const struct sim_kind *k, const json_t *live,
			    const json_t *patch, struct sim_status *st)
{
	/* The Scale subresource has no strategy to merge by. */
	const char *kind = json_string_value(json_object_get(live, "kind"));
	if (kind && strcmp(kind, "Scale") == 0)
		return merge_fn(k, live, patch, st);
	return sim_strategic_merge_patch(k, live, patch, st);
}

/* The patch types, by Content-Type, as the real server accepts them. */
static const struct {
	const char *ctype;
	json_t *(*fn)(const struct sim_kind *k, const json_t *live,
		      const json_t *patch, struct sim_status *st);
} patch_types[] = {
	{ "application/json-patch+json", json_patch_fn },
	{ "application/merge-patch+json", merge_fn },
	{ "application/apply-patch+yaml", NULL }, /* handle_apply */
	{ "application/strategic-merge-patch+json", strategic_fn },
	{ NULL, NULL },
};

static void unsupported_patch(struct sim_status *st)
{
	struct dbuf b;
	dbuf_init(&b, 1024);
	for (size_t i = 0; patch_types[i].ctype; i++)
		dbuf_printf(&b, "%s%s", i ? ", " : "", patch_types[i].ctype);
	sim_status_set(st, 415, "UnsupportedMediaType",
		       "the body of the request was in an unknown format - "
		       "accepted media types include: %s",
		       b.p);
	st->details = json_object();
	dbuf_free(&b);
}

/* What a patch applies to: the object, or its Scale. */
static json_t *patch_target(struct sim_request *rq, json_t *live)
{
	if (strcmp(rq->route.sub, "scale") == 0)
		return scale_of(rq->route.kind, live);
	return json_incref(live);
}

/* Server-side apply: sim_apply merges the configuration into the live
 * object (or makes one) under fieldManager, with managedFields and 409s on
 * conflicts unless force=true. */
static void handle_apply(struct sim_request *rq, struct sim_resp *r)
{
	struct sim_status st = { 0 };
	json_t *cfg = NULL;
	const char *manager = rq->q.field_manager;
	if (*rq->route.sub && strcmp(rq->route.sub, "status") != 0) {
		sim_status_bad_request(&st, "apply is not supported on the %s "
					    "subresource of the simulated cluster",
				       rq->route.sub);
		goto fail;
	}
	if (!manager || !*manager) {
		sim_status_bad_request(&st, "PatchOptions.meta.k8s.io \"\" is invalid: "
					    "fieldManager: Required value: is required "
					    "for apply patch");
		goto fail;
	}
	cfg = sim_body_decode(rq->ctype, rq->body, rq->body_len, &st);
	if (!cfg)
		goto fail;
	if (!json_is_object(cfg)) {
		sim_status_bad_request(&st, "the object provided is not a JSON object");
		goto fail;
	}
	if (field_validation(rq, cfg, r, &st) < 0)
		goto fail;
	char now[32];
	sim_lock(rq->sim);
	json_t *live = sim_store_get(rq->sim, rq->route.kind, rq->route.ns,
				     rq->route.name);
	if (!live && *rq->route.sub) {
		sim_unlock(rq->sim);
		sim_status_not_found(&st, rq->route.kind, rq->route.name);
		goto fail;
	}
	json_t *res = sim_apply(rq->route.kind, live, cfg, manager,
				sim_query_bool(rq->q.force),
				sim_rfc3339(rq->sim, now, sizeof now), &st);
	if (!res) {
		sim_unlock(rq->sim);
		if (!st.code)
			sim_status_bad_request(&st, "the apply could not be done");
		goto fail;
	}
	json_decref(cfg);
	if (!json_is_object(json_object_get(res, "metadata")))
		json_object_set_new(res, "metadata", json_object());
	json_object_set_new(json_object_get(res, "metadata"), "name",
			    json_string(rq->route.name));
	if (!live) {
		store_update(rq, res, 1, 1, r);
		return;
	}
	json_t *obj = merge_update(rq, live, res);
	json_decref(res);
	store_update(rq, obj, 0, 1, r);
	return;
fail:
	json_decref(cfg);
	sim_resp_status(r, &st);
	sim_status_clear(&st);
}

static void handle_patch(struct sim_request *rq, struct sim_resp *r)
{
	struct sim_status st = { 0 };
	json_t *patch = NULL;
	size_t t;
	for (t = 0; patch_types[t].ctype; t++)
		if (sim_media_is(rq->ctype, patch_types[t].ctype))
			break;
	if (!patch_types[t].ctype) {
		unsupported_patch(&st);
		goto fail;
	}
	if (!patch_types[t].fn) {
		handle_apply(rq, r);
		return;
	}
	patch = sim_body_decode(rq->ctype, rq->body, rq->body_len, &st);
	if (!patch)
		goto fail;
	sim_lock(rq->sim);
	json_t *live = sim_store_get(rq->sim, rq->route.kind, rq->route.ns,
				     rq->route.name);
	if (!live) {
		sim_unlock(rq->sim);
		sim_status_not_found(&st, rq->route.kind, rq->route.name);
		goto fail;
	}
	json_t *target = patch_target(rq, live);
	json_t *res = patch_types[t].fn(rq->route.kind, target, patch, &st);
	json_decref(target);
	if (!res) {
		sim_unlock(rq->sim);
		if (!st.code)
			sim_status_bad_request(&st, "the patch could not be applied");
		goto fail;
	}
	if (field_validation(rq, res, r, &st) < 0) {
		sim_unlock(rq->sim);
		json_decref(res);
		goto fail;
	}
	/* The name and namespace are the URL's, whatever the patch says. */
	if (!json_is_object(json_object_get(res, "metadata")))
		json_object_set_new(res, "metadata", json_object());
	json_t *meta = json_object_get(res, "metadata");
	json_object_set_new(meta, "name", json_string(rq->route.name));
	json_t *obj = merge_update(rq, live, res);
	json_decref(res);
	json_decref(patch);
	store_update(rq, obj, 0, 0, r);
	return;
fail:
	json_decref(patch);
	sim_resp_status(r, &st);
	sim_status_clear(&st);
}

/* ---- delete ----------------------------------------------------------- */

struct delete_opts {
	const char *propagation;
	long long grace;
};

/* DeleteOptions from the body (kubectl sends one) and the query. */
static int delete_options(struct sim_request *rq, struct delete_opts *o,
			  json_t **body, struct sim_status *st)
{
	o->propagation = rq->q.propagation;
	o->grace = -1;
	*body = NULL;
	if (sim_query_int("gracePeriodSeconds", rq->q.grace, 0, 1LL << 40, &o->grace,
			  st) < 0)
		return -1;
	if (rq->body_len) {
		*body = sim_body_decode(rq->ctype, rq->body, rq->body_len, st);
		if (!*body)
			return -1;
		if (!json_is_object(*body)) {
			sim_status_bad_request(st, "the body of the request was not "
						   "DeleteOptions");
			json_decref(*body);
			*body = NULL;
			return -1;
		}
		const char *p = json_string_value(
			json_object_get(*body, "propagationPolicy"));
		if (p)
			o->propagation = p;
		json_t *g = json_object_get(*body, "gracePeriodSeconds");
		if (json_is_integer(g) && json_integer_value(g) >= 0)
			o->grace = json_integer_value(g);
		json_t *orphan = json_object_get(*body, "orphanDependents");
		if (json_is_true(orphan) && !p)
			o->propagation = "Orphan";
	}
	return 0;
}

/* Preconditions (uid, resourceVersion) from DeleteOptions; lock held. */
static int preconditions(struct sim_request *rq, const json_t *body,
			 struct sim_status *st)
{
	json_t *pre = json_object_get(body, "preconditions");
	if (!pre)
		return 0;
	json_t *live = sim_store_get(rq->sim, rq->route.kind, rq->route.ns,
				     rq->route.name);
	if (!live)
		return 0;
	const char *uid = json_string_value(json_object_get(pre, "uid"));
	const char *rv = json_string_value(json_object_get(pre, "resourceVersion"));
	if ((uid && strcmp(uid, meta_str(live, "uid")) != 0) ||
	    (rv && strcmp(rv, meta_str(live, "resourceVersion")) != 0)) {
		char res[128];
		sim_status_set(st, 409, "Conflict",
			       "Operation cannot be fulfilled on %s \"%s\": "
			       "Precondition failed: %s: %s, %s: %s",
			       sim_kind_resource(rq->route.kind, res, sizeof res),
			       rq->route.name, uid ? "UID in precondition" :
						     "ResourceVersion in precondition",
			       uid ? uid : rv, uid ? "UID in object meta" :
						 "ResourceVersion in object meta",
			       uid ? meta_str(live, "uid") :
				     meta_str(live, "resourceVersion"));
		st->details = sim_status_details(rq->route.kind, rq->route.name);
		return -1;
	}
	return 0;
}

/* What a delete would answer, without deleting (lock held): pods and
 * namespaces answer with the object, the rest with the Success Status. */
static int dry_delete(struct sim_request *rq, json_t **out, struct sim_status *st)
{
	const struct sim_kind *k = rq->route.kind;
	json_t *obj = sim_store_get(rq->sim, k, rq->route.ns, rq->route.name);
	if (!obj) {
		sim_status_not_found(st, k, rq->route.name);
		return -1;
	}
	if (!k->group[0] && (strcmp(k->kind, "Pod") == 0 || strcmp(k->kind, "Namespace") == 0)) {
		*out = json_incref(obj);
		return 0;
	}
	json_t *det = sim_status_details(k, rq->route.name);
	json_object_set(det, "uid", json_object_get(json_object_get(obj, "metadata"), "uid"));
	*out = sim_status_success_json(det);
	return 0;
}

static void handle_delete(struct sim_request *rq, struct sim_resp *r)
{
	struct sim_status st = { 0 };
	struct delete_opts o;
	json_t *body = NULL, *out = NULL;
	if (delete_options(rq, &o, &body, &st) < 0)
		goto fail;
	sim_lock(rq->sim);
	int rc = preconditions(rq, body, &st);
	if (rc == 0 && rq->dry)
		rc = dry_delete(rq, &out, &st);
	else if (rc == 0)
		rc = sim_store_delete_grace(rq->sim, rq->route.kind, rq->route.ns,
					    rq->route.name, o.propagation, o.grace,
					    &out, &st);
	sim_unlock(rq->sim);
	json_decref(body);
	if (rc < 0)
		goto fail;
	sim_resp_json(r, 200, out);
	return;
fail:
	sim_resp_status(r, &st);
	sim_status_clear(&st);
}

static int collect_names(json_t *obj, void *ud)
{
	json_array_append(ud, obj);
	return 0;
}

static void handle_delete_collection(struct sim_request *rq, struct sim_resp *r)
{
	struct sim_status st = { 0 };
	struct delete_opts o;
	struct sim_selector *label = NULL, *field = NULL;
	json_t *body = NULL, *all = json_array(), *items = json_array();
	const struct sim_kind *k = rq->route.kind;
	if (delete_options(rq, &o, &body, &st) < 0 ||
	    selectors(rq, &label, &field, &st) < 0)
		goto fail;
	sim_lock(rq->sim);
	sim_store_each(rq->sim, k, list_ns(rq), collect_names, all);
	size_t i;
	json_t *obj;
	json_array_foreach(all, i, obj)
	{
		if (!sim_selector_match(label, obj) || !sim_selector_match(field, obj))
			continue;
		json_t *out = NULL;
		if (rq->dry) {
			json_array_append(items, obj);
			continue;
		}
		if (sim_store_delete_grace(rq->sim, k, meta_str(obj, "namespace"),
					   meta_str(obj, "name"), o.propagation,
					   o.grace, &out, NULL) == 0 &&
		    out && json_object_get(out, "metadata") &&
		    strcmp(json_string_value(json_object_get(out, "kind")), "Status"))
			json_array_append_new(items, out);
		else
			json_decref(out);
	}
	unsigned long long rv = sim_store_rv(rq->sim);
	sim_unlock(rq->sim);
	char buf[64], kind[80];
	snprintf(kind, sizeof kind, "%sList", k->kind);
	snprintf(buf, sizeof buf, "%llu", rv);
	json_t *list = json_object();
	json_object_set_new(list, "kind", json_string(kind));
	json_object_set_new(list, "apiVersion",
			    json_string(sim_kind_api_version(k, kind, sizeof kind)));
	json_object_set_new(list, "metadata", json_pack("{s:s}", "resourceVersion", buf));
	json_object_set_new(list, "items", items);
	items = NULL;
	sim_resp_json(r, 200, list);
	goto out;
fail:
	sim_resp_status(r, &st);
	sim_status_clear(&st);
out:
	json_decref(items);
	json_decref(all);
	json_decref(body);
	sim_selector_free(label);
	sim_selector_free(field);
}

/* ---- metrics.k8s.io ------------------------------------------------------ */

/* PodMetrics and NodeMetrics as metrics-server serves them: lists (with a
 * label selector) and single objects. */
static void handle_metrics(struct sim_request *rq, struct sim_resp *r)
{
	struct sim_status st = { 0 };
	const struct sim_kind *k = rq->route.kind;
	struct sim_selector *label = NULL, *field = NULL;
	if (strcmp(rq->method, "GET") != 0 || *rq->route.sub ||
	    sim_query_bool(rq->q.watch)) {
		method_not_allowed(r);
		return;
	}
	if (selectors(rq, &label, &field, &st) < 0)
		goto fail;
	int pods = k->namespaced;
	sim_lock(rq->sim);
	json_t *list = pods ? sim_metrics_pods(rq->sim, list_ns(rq))
			    : sim_metrics_nodes(rq->sim);
	sim_unlock(rq->sim);
	json_t *items = json_object_get(list, "items");
	for (size_t i = json_array_size(items); i-- > 0;) {
		json_t *it = json_array_get(items, i);
		const char *name = meta_str(it, "name");
		if ((rq->route.type == SIM_ROUTE_OBJECT &&
		     (!name || strcmp(name, rq->route.name) != 0)) ||
		    !sim_selector_match(label, it) || !sim_selector_match(field, it))
			json_array_remove(items, i);
	}
	if (rq->route.type == SIM_ROUTE_OBJECT) {
		json_t *it = json_incref(json_array_get(items, 0));
		json_decref(list);
		if (!it) {
			sim_status_not_found(&st, k, rq->route.name);
			goto fail;
		}
		json_t *o = json_object();
		json_object_set_new(o, "kind", json_string(k->kind));
		json_object_set_new(o, "apiVersion", json_string("metrics.k8s.io/v1beta1"));
		json_object_update(o, it);
		json_decref(it);
		list = o;
	}
	sim_resp_json(r, 200, list);
	sim_selector_free(label);
	sim_selector_free(field);
	return;
fail:
	sim_selector_free(label);
	sim_selector_free(field);
	sim_resp_status(r, &st);
	sim_status_clear(&st);
}

/* ---- dispatch --------------------------------------------------------- */

/* One table: which handler serves a method on a collection, an object or
 * a subresource, and the verb discovery must list for it. */
static const struct {
	int type;        /* SIM_ROUTE_COLLECTION or SIM_ROUTE_OBJECT */
	const char *sub; /* "" main resource, "*" any subresource */
	const char *method;
	const char *verb;
	void (*fn)(struct sim_request *rq, struct sim_resp *r);
} api_table[] = {
	{ SIM_ROUTE_COLLECTION, "", "GET", "list", handle_list },
	{ SIM_ROUTE_COLLECTION, "", "POST", "create", handle_create },
	{ SIM_ROUTE_COLLECTION, "", "DELETE", "deletecollection",
	  handle_delete_collection },
	{ SIM_ROUTE_OBJECT, "", "GET", "get", handle_get },
	{ SIM_ROUTE_OBJECT, "", "PUT", "update", handle_update },
	{ SIM_ROUTE_OBJECT, "", "DELETE", "delete", handle_delete },
	{ SIM_ROUTE_OBJECT, "", "PATCH", "patch", handle_patch },
	{ SIM_ROUTE_OBJECT, "status", "PATCH", "patch", handle_patch },
	{ SIM_ROUTE_OBJECT, "scale", "PATCH", "patch", handle_patch },
	{ SIM_ROUTE_OBJECT, "status", "GET", "get", handle_get },
	{ SIM_ROUTE_OBJECT, "status", "PUT", "update", handle_update },
	{ SIM_ROUTE_OBJECT, "scale", "GET", "get", handle_get },
	{ SIM_ROUTE_OBJECT, "scale", "PUT", "update", handle_update },
	{ SIM_ROUTE_OBJECT, "log", "GET", "get", sim_api_logs },
	{ SIM_ROUTE_OBJECT, "proxy", "GET", "get", sim_api_proxy },
	{ SIM_ROUTE_OBJECT, "proxy", "POST", "create", sim_api_proxy },
	{ SIM_ROUTE_OBJECT, "proxy", "PUT", "update", sim_api_proxy },
	{ SIM_ROUTE_OBJECT, "proxy", "DELETE", "delete", sim_api_proxy },
	{ SIM_ROUTE_OBJECT, "proxy", "HEAD", "get", sim_api_proxy },
	{ 0, NULL, NULL, NULL, NULL },
};

/* Answer a request on a collection or an object, by the table above. */
void sim_api_handle(struct sim_request *rq, struct sim_resp *r)
{
	const struct sim_route *rt = &rq->route;
	struct sim_status st = { 0 };
	if (dry_run(rq, &st) < 0) {
		sim_resp_status(r, &st);
		sim_status_clear(&st);
		return;
	}
	if (strcmp(rt->kind->group, "metrics.k8s.io") == 0) {
		handle_metrics(rq, r);
		return;
	}
	if (rt->type == SIM_ROUTE_COLLECTION && strcmp(rq->method, "GET") == 0 &&
	    sim_query_bool(rq->q.watch)) {
		if (!verb_allowed(rt->kind, "watch")) {
			method_not_allowed(r);
			return;
		}
		sim_api_watch(rq, r);
		return;
	}
	for (size_t i = 0; api_table[i].fn; i++) {
		if (api_table[i].type != rt->type ||
		    strcmp(api_table[i].sub, rt->sub) != 0 ||
		    strcmp(api_table[i].method, rq->method) != 0)
			continue;
		/* Subresources have their own verbs in discovery. */
		if (!*rt->sub && !verb_allowed(rt->kind, api_table[i].verb))
			break;
		api_table[i].fn(rq, r);
		return;
	}
	method_not_allowed(r);
}
