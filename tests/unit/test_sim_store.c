/* test_sim_store.c - the simulated cluster's store: create/update/delete
 * semantics, resourceVersions, conflicts, propagation, watch replay
 * exactly once, the 410 window, slow watchers, Status words, faults. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/sim/sim_impl.h"

static const struct sim_kind *K(const char *group, const char *plural)
{
	const struct sim_kind *k = sim_kind_find(group, plural);
	assert_non_null(k);
	return k;
}

static struct sim *new_sim(size_t history)
{
	struct sim_opts o = { .speed = 1, .seed = 42, .history = history };
	struct perr e = { { 0 } };
	struct sim *s = sim_new(&o, &e);
	assert_non_null(s);
	sim_lock(s);
	const char *nss[] = { "default", "other" };
	for (int i = 0; i < 2; i++) {
		/* sim_new seeds the default namespaces (sim_seed). */
		if (sim_store_get(s, K("", "namespaces"), NULL, nss[i]))
			continue;
		json_t *ns = json_pack("{s:{s:s}}", "metadata", "name", nss[i]);
		assert_int_equal(sim_store_create(s, K("", "namespaces"), NULL, ns,
						  NULL, NULL),
				 0);
	}
	sim_unlock(s);
	return s;
}

static json_t *load(const char *name)
{
	char path[256];
	snprintf(path, sizeof path, "tests/data/sim/%s", name);
	json_error_t err;
	json_t *j = json_load_file(path, 0, &err);
	if (!j)
		fail_msg("%s: %s", path, err.text);
	return j;
}

static char *load_text(const char *name)
{
	char path[256];
	snprintf(path, sizeof path, "tests/data/sim/%s", name);
	char *txt;
	size_t len;
	struct perr e = { { 0 } };
	if (read_file(path, 1 << 20, &txt, &len, &e) < 0)
		fail_msg("%s", e.msg);
	while (len && txt[len - 1] == '\n')
		txt[--len] = '\0';
	return txt;
}

/* The Status must be byte-identical to the recorded one. */
static void assert_status_bytes(const struct sim_status *st, const char *fixture)
{
	json_t *j = sim_status_json(st);
	char *got = json_dumps(j, JSON_COMPACT);
	char *want = load_text(fixture);
	assert_string_equal(got, want);
	free(got);
	free(want);
	json_decref(j);
}

static const char *meta(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(json_object_get(o, "metadata"), key));
}

static json_t *deployment(const char *name)
{
	json_t *d = load("create-fixture-delete-me.json");
	json_object_set_new(json_object_get(d, "metadata"), "name", json_string(name));
	return d;
}

static void test_create_defaults_and_metadata(void **state)
{
	(void)state;
	struct sim *s = new_sim(0);
	struct sim_status st = { 0 };
	json_t *out = NULL;
	sim_lock(s);
	unsigned long long rv0 = sim_store_rv(s);
	assert_int_equal(sim_store_create(s, K("apps", "deployments"), "default",
					  deployment("fixture-delete-me"), &out, &st),
			 0);
	assert_int_equal(sim_store_rv(s), rv0 + 1);
	char rvbuf[32];
	snprintf(rvbuf, sizeof rvbuf, "%llu", rv0 + 1);
	assert_string_equal(meta(out, "resourceVersion"), rvbuf);
	assert_int_equal(strlen(meta(out, "uid")), 36);
	assert_non_null(meta(out, "creationTimestamp"));
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(out, "metadata"), "generation")),
			 1);
	/* The spec the real server returned for the same request, field by
	 * field (tests/data/sim/deployment-create.json). */
	json_t *want = load("deployment-create.json");
	assert_true(json_equal(json_object_get(out, "spec"),
			       json_object_get(want, "spec")));
	assert_true(json_equal(json_object_get(out, "status"),
			       json_object_get(want, "status")));
	/* Key order as the real server writes it. */
	const char *order[] = { "name", "namespace", "uid", "resourceVersion",
				"generation", "creationTimestamp", "labels" };
	void *it = json_object_iter(json_object_get(out, "metadata"));
	for (size_t i = 0; i < 7; i++, it = json_object_iter_next(
					      json_object_get(out, "metadata"), it))
		assert_string_equal(json_object_iter_key(it), order[i]);
	json_decref(want);

	/* Again: AlreadyExists in the real server's words. */
	json_t *dup = deployment("demo");
	assert_int_equal(sim_store_create(s, K("apps", "deployments"), "default",
					  dup, NULL, &st),
			 0);
	assert_int_equal(sim_store_create(s, K("apps", "deployments"), "default",
					  deployment("demo"), NULL, &st),
			 -1);
	assert_status_bytes(&st, "status-409-alreadyexists.json");
	sim_status_clear(&st);

	/* A namespace that does not exist. */
	assert_int_equal(sim_store_create(s, K("apps", "deployments"), "no-such-ns",
					  deployment("x"), NULL, &st),
			 -1);
	assert_status_bytes(&st, "status-404-namespace-on-create.json");
	sim_status_clear(&st);

	/* generateName: prefix plus five characters. */
	json_t *cm = json_pack("{s:{s:s}}", "metadata", "generateName", "cfg-");
	assert_int_equal(sim_store_create(s, K("", "configmaps"), "default", cm,
					  &out, &st),
			 0);
	assert_int_equal(strlen(meta(out, "name")), 9);
	assert_memory_equal(meta(out, "name"), "cfg-", 4);
	assert_null(json_object_get(json_object_get(out, "metadata"), "generation"));

	/* No name at all. */
	assert_int_equal(sim_store_create(s, K("", "configmaps"), "default",
					  json_pack("{s:{}}", "metadata"), NULL, &st),
			 -1);
	assert_int_equal(st.code, 422);
	assert_string_equal(st.reason, "Invalid");
	sim_status_clear(&st);
	sim_unlock(s);
	sim_free(s);
}

static void test_update_conflict_generation(void **state)
{
	(void)state;
	struct sim *s = new_sim(0);
	struct sim_status st = { 0 };
	json_t *out;
	const struct sim_kind *dk = K("apps", "deployments");
	sim_lock(s);
	assert_int_equal(sim_store_create(s, dk, "default", deployment("demo"),
					  &out, &st),
			 0);
	json_t *stale = json_deep_copy(out);

	/* Same content: no write, no new version. */
	unsigned long long rv = sim_store_rv(s);
	assert_int_equal(sim_store_update(s, dk, "default", json_deep_copy(out),
					  &out, &st),
			 0);
	assert_int_equal(sim_store_rv(s), rv);

	/* A spec change bumps generation and the version. */
	json_t *c = json_deep_copy(out);
	json_object_set_new(json_object_get(c, "spec"), "replicas", json_integer(5));
	assert_int_equal(sim_store_update(s, dk, "default", c, &out, &st), 0);
	assert_int_equal(sim_store_rv(s), rv + 1);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(out, "metadata"), "generation")),
			 2);

	/* A status-only change does not bump generation. */
	c = json_deep_copy(out);
	json_object_set_new(c, "status", json_pack("{s:i}", "replicas", 5));
	assert_int_equal(sim_store_update(s, dk, "default", c, &out, &st), 0);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(out, "metadata"), "generation")),
			 2);

	/* The stale copy: Conflict, as the real server words it. */
	assert_int_equal(sim_store_update(s, dk, "default", stale, NULL, &st), -1);
	assert_status_bytes(&st, "status-409-conflict-stale-rv.json");
	sim_status_clear(&st);

	/* Without a resourceVersion the update is unconditional; uid and
	 * creationTimestamp cannot change. */
	c = json_deep_copy(out);
	json_object_del(json_object_get(c, "metadata"), "resourceVersion");
	json_object_set_new(json_object_get(c, "metadata"), "uid", json_string("x"));
	char *uid = xstrdup(meta(out, "uid"));
	assert_int_equal(sim_store_update(s, dk, "default", c, &out, &st), 0);
	assert_string_equal(meta(out, "uid"), uid);
	free(uid);

	/* Missing: NotFound. */
	c = deployment("does-not-exist");
	assert_int_equal(sim_store_update(s, dk, "default", c, NULL, &st), -1);
	assert_status_bytes(&st, "status-404-deployment-notfound.json");
	sim_status_clear(&st);
	sim_unlock(s);
	sim_free(s);
}

static json_t *owned(const char *name, const json_t *owner, const char *kind)
{
	json_t *o = json_pack("{s:{s:s,s:[{s:s,s:s,s:s,s:s,s:b}]}}", "metadata",
			      "name", name, "ownerReferences", "apiVersion",
			      "apps/v1", "kind", kind, "name", meta(owner, "name"),
			      "uid", meta(owner, "uid"), "controller", 1);
	return o;
}

/* A ReplicaSet owned by deployment d, with d's selector and template. */
static json_t *owned_rs(const char *name, const json_t *d)
{
	json_t *rs = owned(name, d, "Deployment");
	json_t *spec = json_deep_copy(json_object_get(d, "spec"));
	json_t *keep = json_pack("{s:O,s:O,s:O}", "replicas",
				 json_object_get(spec, "replicas"), "selector",
				 json_object_get(spec, "selector"), "template",
				 json_object_get(spec, "template"));
	json_decref(spec);
	json_object_set_new(rs, "spec", keep);
	return rs;
}

static json_t *pod(const char *name, const json_t *owner, const char *node)
{
	json_t *p = owner ? owned(name, owner, "ReplicaSet")
			  : json_pack("{s:{s:s}}", "metadata", "name", name);
	json_object_set_new(p, "spec",
			    json_pack("{s:[{s:s,s:s}]}", "containers", "name", "c",
				      "image", "nginx"));
	if (node)
		json_object_set_new(json_object_get(p, "spec"), "nodeName",
				    json_string(node));
	return p;
}

static void test_delete_propagation(void **state)
{
	(void)state;
	struct sim *s = new_sim(0);
	struct sim_status st = { 0 };
	const struct sim_kind *dk = K("apps", "deployments"), *rk = K("apps", "replicasets"),
			      *pk = K("", "pods");
	json_t *d, *rs, *out;
	sim_lock(s);
	assert_int_equal(sim_store_create(s, dk, "default", deployment("demo"), &d, &st), 0);
	assert_int_equal(sim_store_create(s, rk, "default", owned_rs("demo-1", d),
					  &rs, &st),
			 0);
	assert_int_equal(sim_store_create(s, pk, "default", pod("demo-1-a", rs, "node-1"),
					  NULL, &st),
			 0);
	assert_int_equal(sim_store_create(s, pk, "default", pod("demo-1-b", rs, NULL),
					  NULL, &st),
			 0);
	assert_int_equal(sim_store_create(s, pk, "default", pod("lonely", NULL, NULL),
					  NULL, &st),
			 0);

	/* Background: the deployment goes now with a Success Status naming
	 * it, the ReplicaSet goes, the scheduled pod terminates gracefully,
	 * the unscheduled one goes at once. */
	char *uid = xstrdup(meta(d, "uid"));
	assert_int_equal(sim_store_delete(s, dk, "default", "demo", "Background",
					  &out, &st),
			 0);
	json_t *want = load("deployment-delete.json");
	json_object_set_new(json_object_get(want, "details"), "name", json_string("demo"));
	json_object_set_new(json_object_get(want, "details"), "uid", json_string(uid));
	assert_true(json_equal(out, want));
	json_decref(want);
	json_decref(out);
	free(uid);
	assert_null(sim_store_get(s, dk, "default", "demo"));
	assert_null(sim_store_get(s, rk, "default", "demo-1"));
	json_t *a = sim_store_get(s, pk, "default", "demo-1-a");
	assert_non_null(a);
	assert_non_null(meta(a, "deletionTimestamp"));
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(a, "metadata"),
				 "deletionGracePeriodSeconds")),
			 30);
	assert_null(sim_store_get(s, pk, "default", "demo-1-b"));
	assert_non_null(sim_store_get(s, pk, "default", "lonely"));

	/* grace 0 removes a scheduled pod at once and returns it. */
	assert_int_equal(sim_store_delete_grace(s, pk, "default", "demo-1-a", NULL, 0,
						&out, &st),
			 0);
	assert_string_equal(json_string_value(json_object_get(out, "kind")), "Pod");
	json_decref(out);
	assert_null(sim_store_get(s, pk, "default", "demo-1-a"));

	/* Orphan: the dependents stay, without the owner reference. */
	assert_int_equal(sim_store_create(s, dk, "default", deployment("keep"), &d, &st), 0);
	assert_int_equal(sim_store_create(s, rk, "default", owned_rs("keep-1", d),
					  NULL, &st),
			 0);
	assert_int_equal(sim_store_delete(s, dk, "default", "keep", "Orphan", &out, &st), 0);
	json_decref(out);
	rs = sim_store_get(s, rk, "default", "keep-1");
	assert_non_null(rs);
	assert_null(json_object_get(json_object_get(rs, "metadata"), "ownerReferences"));

	/* An unknown policy is refused. */
	assert_int_equal(sim_store_delete(s, rk, "default", "keep-1", "Sideways", &out,
					  &st),
			 -1);
	assert_int_equal(st.code, 422);
	sim_status_clear(&st);

	/* A namespace empties, then goes. */
	assert_int_equal(sim_store_create(s, K("", "configmaps"), "other",
					  json_pack("{s:{s:s}}", "metadata", "name", "c"),
					  NULL, &st),
			 0);
	assert_int_equal(sim_store_delete(s, K("", "namespaces"), NULL, "other", NULL,
					  &out, &st),
			 0);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(out, "status"), "phase")),
			    "Terminating");
	json_decref(out);
	assert_null(sim_store_get(s, K("", "configmaps"), "other", "c"));
	assert_null(sim_store_get(s, K("", "namespaces"), NULL, "other"));

	/* Missing: NotFound. */
	assert_int_equal(sim_store_delete(s, dk, "default", "does-not-exist", NULL,
					  &out, &st),
			 -1);
	assert_status_bytes(&st, "status-404-deployment-notfound.json");
	sim_status_clear(&st);
	sim_unlock(s);
	sim_free(s);
}

static int count_each(json_t *obj, void *ud)
{
	(void)obj;
	(*(int *)ud)++;
	return 0;
}

static void test_sorted_iteration(void **state)
{
	(void)state;
	struct sim *s = new_sim(0);
	const struct sim_kind *ck = K("", "configmaps");
	const char *names[] = { "m", "b", "z", "a" };
	sim_lock(s);
	for (int i = 0; i < 4; i++) {
		sim_store_create(s, ck, "other",
				 json_pack("{s:{s:s}}", "metadata", "name", names[i]),
				 NULL, NULL);
		sim_store_create(s, ck, "default",
				 json_pack("{s:{s:s}}", "metadata", "name", names[i]),
				 NULL, NULL);
	}
	assert_int_equal(sim_store_count(s, ck, NULL), 8);
	assert_int_equal(sim_store_count(s, ck, "other"), 4);
	int n = 0;
	sim_store_each(s, ck, "default", count_each, &n);
	assert_int_equal(n, 4);
	/* Walk all: namespace then name order. */
	struct sim_bucket *b = &s->buckets[sim_kind_index(ck)];
	for (size_t i = 1; i < b->n; i++) {
		int c = strcmp(b->v[i - 1].ns, b->v[i].ns);
		assert_true(c < 0 || (c == 0 && strcmp(b->v[i - 1].name, b->v[i].name) < 0));
	}
	assert_string_equal(b->v[0].ns, "default");
	assert_string_equal(b->v[0].name, "a");
	sim_unlock(s);
	sim_free(s);
}

/* Split the watcher's output into events: "TYPE name" lines. */
static int drain(struct sim *s, struct sim_watcher *w, char *out, size_t n)
{
	struct dbuf b;
	dbuf_init(&b, 0);
	int r;
	while ((r = sim_watch_next(s, w, &b, 0)) == 1)
		;
	out[0] = '\0';
	int events = 0;
	char *line = b.p;
	while (line && *line) {
		char *nl = strchr(line, '\n');
		assert_non_null(nl);
		*nl = '\0';
		json_t *ev = json_loads(line, 0, NULL);
		assert_non_null(ev);
		size_t len = strlen(out);
		snprintf(out + len, n - len, "%s%s %s",
			 events ? "," : "",
			 json_string_value(json_object_get(ev, "type")),
			 meta(json_object_get(ev, "object"), "name"));
		json_decref(ev);
		events++;
		line = nl + 1;
	}
	dbuf_free(&b);
	return r == -1 ? -1 : events;
}

static int name_starts_with_k(const json_t *obj, void *ud)
{
	(void)ud;
	const char *n = meta(obj, "name");
	return n && n[0] == 'k';
}

static void test_watch_replay_exactly_once(void **state)
{
	(void)state;
	struct sim *s = new_sim(0);
	struct sim_status st = { 0 };
	const struct sim_kind *ck = K("", "configmaps");
	char got[1024];
	json_t *out;
	sim_lock(s);
	sim_store_create(s, ck, "default",
			 json_pack("{s:{s:s}}", "metadata", "name", "before"), NULL, NULL);
	unsigned long long from = sim_store_rv(s);
	sim_store_create(s, ck, "default",
			 json_pack("{s:{s:s}}", "metadata", "name", "k1"), &out, NULL);
	json_t *c = json_deep_copy(out);
	json_object_set_new(c, "data", json_pack("{s:s}", "a", "b"));
	sim_store_update(s, ck, "default", c, NULL, NULL);
	sim_store_create(s, ck, "other",
			 json_pack("{s:{s:s}}", "metadata", "name", "k2"), NULL, NULL);

	/* Resumed from `from`: exactly the three changes after it. */
	struct sim_watcher *w = sim_watch_open(s, ck, NULL, from, NULL, NULL, &st);
	assert_non_null(w);
	/* And one in namespace default with a filter, opened now. */
	struct sim_watcher *wf =
		sim_watch_open(s, ck, "default", sim_store_rv(s), name_starts_with_k,
			       NULL, &st);
	assert_non_null(wf);
	assert_int_equal(drain(s, w, got, sizeof got), 3);
	assert_string_equal(got, "ADDED k1,MODIFIED k1,ADDED k2");
	assert_int_equal(drain(s, w, got, sizeof got), 0);

	/* Live changes reach each watcher once, filtered. */
	sim_store_create(s, ck, "default",
			 json_pack("{s:{s:s}}", "metadata", "name", "k3"), NULL, NULL);
	sim_store_create(s, ck, "default",
			 json_pack("{s:{s:s}}", "metadata", "name", "x"), NULL, NULL);
	sim_store_remove(s, ck, "default", "k1", NULL);
	assert_int_equal(drain(s, w, got, sizeof got), 3);
	assert_string_equal(got, "ADDED k3,ADDED x,DELETED k1");
	assert_int_equal(drain(s, wf, got, sizeof got), 2);
	assert_string_equal(got, "ADDED k3,DELETED k1");

	/* From 0: the current state as ADDED. */
	struct sim_watcher *w0 = sim_watch_open(s, ck, "default", 0, NULL, NULL, &st);
	assert_int_equal(drain(s, w0, got, sizeof got), 3);
	assert_string_equal(got, "ADDED before,ADDED k3,ADDED x");

	/* A timed wait with nothing to say times out. */
	struct dbuf b;
	dbuf_init(&b, 0);
	assert_int_equal(sim_watch_next(s, w0, &b, 20), 0);
	dbuf_free(&b);
	sim_watch_close(s, w);
	sim_watch_close(s, wf);
	sim_watch_close(s, w0);
	sim_unlock(s);
	sim_free(s);
}

static int tier_web(const json_t *obj, void *ud)
{
	(void)ud;
	const char *t = json_string_value(json_object_get(
		json_object_get(json_object_get(obj, "metadata"), "labels"), "tier"));
	return t && strcmp(t, "web") == 0;
}

static json_t *relabel(struct sim *s, const char *tier, const char *data)
{
	const struct sim_kind *ck = K("", "configmaps");
	json_t *c = json_deep_copy(sim_store_get(s, ck, "default", "moving"));
	json_object_set_new(json_object_get(json_object_get(c, "metadata"), "labels"), "tier",
			    json_string(tier));
	json_object_set_new(c, "data", json_pack("{s:s}", "v", data));
	json_t *out;
	assert_int_equal(sim_store_update(s, ck, "default", c, &out, NULL), 0);
	return out;
}

/* Through a selector, an object moving in is ADDED and one moving out is
 * DELETED with its last matching content, as the real watch cache. */
static void test_watch_selector_transitions(void **state)
{
	(void)state;
	struct sim *s = new_sim(0);
	struct sim_status st = { 0 };
	const struct sim_kind *ck = K("", "configmaps");
	sim_lock(s);
	unsigned long long from = sim_store_rv(s);
	sim_store_create(s, ck, "default",
			 json_pack("{s:{s:s,s:{s:s}}}", "metadata", "name", "moving",
				   "labels", "tier", "db"),
			 NULL, NULL);
	struct sim_watcher *w = sim_watch_open(s, ck, NULL, from, tier_web, NULL, &st);
	struct sim_watcher *all = sim_watch_open(s, ck, NULL, from, NULL, NULL, &st);
	relabel(s, "web", "1");
	relabel(s, "web", "2");
	json_t *last = relabel(s, "db", "3");
	char rv[32];
	snprintf(rv, sizeof rv, "%s", json_string_value(json_object_get(
					      json_object_get(last, "metadata"), "resourceVersion")));
	struct dbuf b;
	dbuf_init(&b, 0);
	while (sim_watch_next(s, w, &b, 0) == 1)
		;
	/* ADDED (1), MODIFIED (2), DELETED carrying data 2 at the last rv. */
	char *l1 = b.p, *l2 = strchr(l1, '\n') + 1, *l3 = strchr(l2, '\n') + 1;
	json_t *e1 = json_loadb(l1, (size_t)(l2 - l1), 0, NULL);
	json_t *e2 = json_loadb(l2, (size_t)(l3 - l2), 0, NULL);
	json_t *e3 = json_loads(l3, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(e1, "type")), "ADDED");
	assert_string_equal(json_string_value(json_object_get(e2, "type")), "MODIFIED");
	assert_string_equal(json_string_value(json_object_get(e3, "type")), "DELETED");
	json_t *o3 = json_object_get(e3, "object");
	assert_string_equal(json_string_value(json_object_get(json_object_get(o3, "data"), "v")),
			    "2");
	assert_string_equal(meta(o3, "resourceVersion"), rv);
	json_decref(e1);
	json_decref(e2);
	json_decref(e3);
	dbuf_free(&b);
	/* Without a selector: ADDED, then three MODIFIED. */
	char got[1024];
	assert_int_equal(drain(s, all, got, sizeof got), 4);
	assert_string_equal(got, "ADDED moving,MODIFIED moving,MODIFIED moving,MODIFIED moving");
	sim_watch_close(s, w);
	sim_watch_close(s, all);
	sim_unlock(s);
	sim_free(s);
}

static void test_watch_410_window(void **state)
{
	(void)state;
	struct sim *s = new_sim(8);
	struct sim_status st = { 0 };
	const struct sim_kind *ck = K("", "configmaps");
	char name[16];
	sim_lock(s);
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof name, "c%d", i);
		sim_store_create(s, ck, "default",
				 json_pack("{s:{s:s}}", "metadata", "name", name),
				 NULL, NULL);
	}
	unsigned long long rv = sim_store_rv(s);
	/* 8 events kept: resuming from rv-8 works, from rv-9 does not. */
	struct sim_watcher *w = sim_watch_open(s, ck, NULL, rv - 8, NULL, NULL, &st);
	assert_non_null(w);
	char got[1024];
	assert_int_equal(drain(s, w, got, sizeof got), 8);
	sim_watch_close(s, w);
	assert_null(sim_watch_open(s, ck, NULL, 1, NULL, NULL, &st));
	assert_int_equal(st.code, 410);
	/* The recorded ERROR event, with our versions in the message. */
	json_t *rec = load("watch-410-expired.json");
	json_t *want = json_object_get(rec, "object");
	char msg[128];
	snprintf(msg, sizeof msg, "too old resource version: 1 (%llu)", rv - 8);
	json_object_set_new(want, "message", json_string(msg));
	json_t *j = sim_status_json(&st);
	char *a = json_dumps(j, JSON_COMPACT), *b = json_dumps(want, JSON_COMPACT);
	assert_string_equal(a, b);
	free(a);
	free(b);
	json_decref(j);
	json_decref(rec);
	sim_status_clear(&st);

	/* expire-watches: every earlier version is gone, the current one
	 * (after a fresh list) resumes. */
	w = sim_watch_open(s, ck, NULL, rv, NULL, NULL, &st);
	sim_watch_expire_all(s);
	struct dbuf db;
	dbuf_init(&db, 0);
	assert_int_equal(sim_watch_next(s, w, &db, 0), -1);
	dbuf_free(&db);
	sim_watch_close(s, w);
	assert_null(sim_watch_open(s, ck, NULL, rv, NULL, NULL, &st));
	sim_status_clear(&st);
	w = sim_watch_open(s, ck, NULL, sim_store_rv(s), NULL, NULL, &st);
	assert_non_null(w);
	sim_watch_close(s, w);
	sim_unlock(s);
	sim_free(s);
}

static void test_slow_watcher_dropped(void **state)
{
	(void)state;
	struct sim *s = new_sim(0);
	struct sim_status st = { 0 };
	const struct sim_kind *ck = K("", "configmaps");
	sim_lock(s);
	s->watch_queue_cap = 4;
	struct sim_watcher *slow = sim_watch_open(s, ck, NULL, sim_store_rv(s), NULL,
						  NULL, &st);
	char name[16];
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof name, "c%d", i);
		sim_store_create(s, ck, "default",
				 json_pack("{s:{s:s}}", "metadata", "name", name),
				 NULL, NULL);
	}
	/* The store went on; the watcher delivers what it had, then ends. */
	assert_int_equal(sim_store_count(s, ck, NULL), 10);
	char got[1024];
	assert_int_equal(drain(s, slow, got, sizeof got), -1);
	sim_watch_close(s, slow);
	sim_unlock(s);
	sim_free(s);
}

static void test_faults_spec(void **state)
{
	(void)state;
	struct sim *s = new_sim(0);
	struct perr e = { { 0 } };
	assert_int_equal(sim_faults_apply(s, "errors=0.25,latency=30", &e), 0);
	assert_true(s->faults.error_rate > 0.24 && s->faults.error_rate < 0.26);
	assert_int_equal(s->faults.latency_ms, 30);
	assert_int_equal(sim_faults_apply(s, "errors=10%", &e), 0);
	assert_true(s->faults.error_rate > 0.09 && s->faults.error_rate < 0.11);
	/* A bad item applies nothing. */
	assert_int_equal(sim_faults_apply(s, "clear,bogus", &e), -1);
	assert_non_null(strstr(e.msg, "bogus"));
	assert_int_equal(s->faults.latency_ms, 30);
	perr_clear(&e);
	assert_int_equal(sim_faults_apply(s, "errors=2", &e), -1);
	perr_clear(&e);
	assert_int_equal(sim_faults_apply(s, "drop-watches=1", &e), -1);
	perr_clear(&e);
	assert_int_equal(sim_faults_apply(s, "throttle=5", &e), 0);
	assert_true(s->faults.throttle_until > now_ms());
	assert_int_equal(sim_faults_apply(s, "clear", &e), 0);
	assert_int_equal(s->faults.latency_ms, 0);
	assert_int_equal(s->faults.throttle_until, 0);
	sim_free(s);
}

static void test_kinds_table(void **state)
{
	(void)state;
	char buf[64];
	assert_string_equal(sim_kind_api_version(K("apps", "deployments"), buf, sizeof buf),
			    "apps/v1");
	assert_string_equal(sim_kind_api_version(K("", "pods"), buf, sizeof buf), "v1");
	assert_ptr_equal(sim_kind_by_kind("apps", "ReplicaSet"), K("apps", "replicasets"));
	assert_null(sim_kind_find("", "deployments"));
	assert_string_equal(sim_kind_resource(K("", "pods"), buf, sizeof buf), "pods");
	assert_string_equal(
		sim_kind_by_kind("metrics.k8s.io", "PodMetrics")->plural, "pods");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds_table),
		cmocka_unit_test(test_create_defaults_and_metadata),
		cmocka_unit_test(test_update_conflict_generation),
		cmocka_unit_test(test_delete_propagation),
		cmocka_unit_test(test_sorted_iteration),
		cmocka_unit_test(test_watch_replay_exactly_once),
		cmocka_unit_test(test_watch_selector_transitions),
		cmocka_unit_test(test_watch_410_window),
		cmocka_unit_test(test_slow_watcher_dropped),
		cmocka_unit_test(test_faults_spec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
