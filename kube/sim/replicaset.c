/*
 * replicaset.c - the ReplicaSet controller, as kubernetes'
 * pkg/controller/replicaset: keep spec.replicas active pods (created from
 * the template, named <rs>-<5 chars>, owned with controller=true and
 * blockOwnerDeletion), delete the least valuable ones first when there are
 * too many, and report replicas, fullyLabeledReplicas, readyReplicas,
 * availableReplicas (ready for minReadySeconds) and observedGeneration.
 * Also the pod helpers the Job controller shares.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/sim/world.h"

/* The real controller creates at most this many pods per sync. */
#define BURST_REPLICAS 500

static const char *mstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(json_object_get(o, "metadata"), k));
}

/* The controller owner's uid of obj, or NULL. */
const char *sim_controller_uid(const json_t *obj)
{
	size_t i;
	json_t *ref;
	json_array_foreach(json_object_get(json_object_get(obj, "metadata"),
					   "ownerReferences"), i, ref)
		if (json_is_true(json_object_get(ref, "controller")))
			return json_string_value(json_object_get(ref, "uid"));
	return NULL;
}

int sim_pod_is_active(const json_t *pod)
{
	const char *phase = json_string_value(json_object_get(
		json_object_get(pod, "status"), "phase"));
	if (json_object_get(json_object_get(pod, "metadata"), "deletionTimestamp"))
		return 0;
	return !phase || (strcmp(phase, "Succeeded") && strcmp(phase, "Failed"));
}

/* The Ready condition of pod: 1 when True, and its transition time. */
int sim_pod_is_ready(const json_t *pod, long long *since)
{
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(json_object_get(pod, "status"),
					   "conditions"), i, c)
	{
		const char *t = json_string_value(json_object_get(c, "type"));
		if (!t || strcmp(t, "Ready"))
			continue;
		const char *st = json_string_value(json_object_get(c, "status"));
		if (since)
			*since = sim_world_parse_time(json_string_value(
				json_object_get(c, "lastTransitionTime")));
		return st && !strcmp(st, "True");
	}
	return 0;
}

/* Pods grouped by their controller's uid (owned references). */
void sim_pod_index_build(struct sim *s, struct smap *idx)
{
	sim_owner_index_build(s, sim_kind_find("", "pods"), idx);
}

void sim_owner_index_build(struct sim *s, const struct sim_kind *k,
			   struct smap *idx)
{
	smap_init(idx, sim_pod_group_free);
	sim_store_each(s, k, NULL, sim_pod_index_add, idx);
}

int sim_pod_index_add(json_t *pod, void *ud)
{
	struct smap *idx = ud;
	const char *uid = sim_controller_uid(pod);
	if (!uid)
		return 0;
	struct pod_group *g = smap_get(idx, uid);
	if (!g) {
		g = xcalloc(1, sizeof *g);
		smap_put(idx, uid, g);
	}
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 8;
		g->v = xrealloc(g->v, g->cap * sizeof *g->v);
	}
	g->v[g->n++] = json_incref(pod);
	return 0;
}

void sim_pod_group_free(void *p)
{
	struct pod_group *g = p;
	if (!g)
		return;
	for (size_t i = 0; i < g->n; i++)
		json_decref(g->v[i]);
	free(g->v);
	free(g);
}

int sim_pod_create_from(struct sim *s, json_t *owner, const char *owner_kind,
			const char *component, json_t **out)
{
	const struct sim_kind *pk = sim_kind_find("", "pods");
	json_t *tmpl = json_object_get(json_object_get(owner, "spec"), "template");
	json_t *tmeta = json_object_get(tmpl, "metadata");
	const char *ns = mstr(owner, "namespace");
	const char *name = mstr(owner, "name");
	char *gen = xasprintf("%s-", name);
	json_t *meta = json_pack("{s:s,s:s}", "generateName", gen, "namespace", ns);
	free(gen);
	json_t *labels = json_object_get(tmeta, "labels");
	json_t *ann = json_object_get(tmeta, "annotations");
	if (labels)
		json_object_set_new(meta, "labels", json_deep_copy(labels));
	if (ann)
		json_object_set_new(meta, "annotations", json_deep_copy(ann));
	json_object_set_new(meta, "ownerReferences",
			    json_pack("[{s:s,s:s,s:s,s:s,s:b,s:b}]", "apiVersion",
				      strcmp(owner_kind, "Job") ? "apps/v1" : "batch/v1",
				      "kind", owner_kind, "name", name, "uid",
				      mstr(owner, "uid"), "controller", 1,
				      "blockOwnerDeletion", 1));
	/* A copy: the store defaults the pod's spec in place. */
	json_t *pod = json_pack("{s:o,s:o}", "metadata", meta, "spec",
				json_deep_copy(json_object_get(tmpl, "spec")));
	struct sim_status st = { 0 };
	json_t *created = NULL;
	int rc = sim_store_create(s, pk, ns, pod, &created, &st);
	if (rc == 0) {
		sim_event(s, owner, "Normal", "SuccessfulCreate", component,
			  "Created pod: %s", mstr(created, "name"));
		if (out)
			*out = created;
	} else {
		sim_event(s, owner, "Warning", "FailedCreate", component,
			  "Error creating: %s", st.message);
	}
	sim_status_clear(&st);
	return rc;
}

void sim_pod_delete_for(struct sim *s, json_t *owner, json_t *pod,
			const char *component)
{
	struct sim_status st = { 0 };
	char *name = xstrdup(mstr(pod, "name"));
	if (sim_store_delete(s, sim_kind_find("", "pods"), mstr(pod, "namespace"),
			     name, "Background", NULL, &st) == 0)
		sim_event(s, owner, "Normal", "SuccessfulDelete", component,
			  "Deleted pod: %s", name);
	sim_status_clear(&st);
	free(name);
}

/* controller.ActivePods ordering: the pod to delete first sorts first
 * (unscheduled, pending, not ready, ready for less time, more restarts,
 * newer). */
static int rank(const json_t *pod)
{
	const char *phase = json_string_value(json_object_get(
		json_object_get(pod, "status"), "phase"));
	int r = 0;
	if (json_string_value(json_object_get(json_object_get(pod, "spec"), "nodeName")))
		r += 4;
	if (phase && !strcmp(phase, "Running"))
		r += 2;
	else if (phase && strcmp(phase, "Pending"))
		r += 1;
	if (sim_pod_is_ready(pod, NULL))
		r += 8;
	return r;
}

static int restarts(const json_t *pod)
{
	int n = 0;
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(json_object_get(pod, "status"),
					   "containerStatuses"), i, c)
		n += (int)json_integer_value(json_object_get(c, "restartCount"));
	return n;
}

static int delete_order(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int rx = rank(x), ry = rank(y);
	if (rx != ry)
		return rx - ry;
	if (restarts(x) != restarts(y))
		return restarts(y) - restarts(x);
	const char *tx = mstr(x, "creationTimestamp"), *ty = mstr(y, "creationTimestamp");
	int c = strcmp(ty ? ty : "", tx ? tx : "");
	return c ? c : strcmp(mstr(y, "name"), mstr(x, "name"));
}

static int labels_match(const json_t *want, const json_t *have)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)want, k, v)
		if (!json_equal(v, json_object_get(have, k)))
			return 0;
	return 1;
}

/* Nothing to do when neither the ReplicaSet nor its pods changed since
 * its last sync, and no pod is waiting out minReadySeconds. */
static int rs_settled(struct sim *s, json_t *rs, struct pod_group *g)
{
	json_t *st = json_object_get(rs, "status");
	if (json_integer_value(json_object_get(st, "readyReplicas")) !=
	    json_integer_value(json_object_get(st, "availableReplicas"))) {
		sim_world(s)->time_pending = 1;
		return 0;
	}
	uint64_t h = sim_sig(0, mstr(rs, "resourceVersion"));
	for (size_t i = 0; g && i < g->n; i++)
		h = sim_sig(h, mstr(g->v[i], "resourceVersion"));
	return sim_world_unchanged(sim_world(s), mstr(rs, "uid"), h);
}

static void sync_rs(struct sim *s, json_t *rs, struct pod_group *g)
{
	if (rs_settled(s, rs, g))
		return;
	const struct sim_kind *rk = sim_kind_find("apps", "replicasets");
	json_t *spec = json_object_get(rs, "spec");
	json_t *want = json_object_get(spec, "replicas");
	int replicas = json_is_integer(want) ? (int)json_integer_value(want) : 1;
	int min_ready = (int)json_integer_value(json_object_get(spec, "minReadySeconds"));
	json_t *tlabels = json_object_get(json_object_get(
		json_object_get(spec, "template"), "metadata"), "labels");
	long long now = sim_wall_ms(s);
	size_t n = 0;
	json_t **act = xcalloc(g ? g->n + 1 : 1, sizeof *act);
	int ready = 0, available = 0, labeled = 0;
	for (size_t i = 0; g && i < g->n; i++) {
		json_t *p = g->v[i];
		if (!sim_pod_is_active(p))
			continue;
		act[n++] = p;
		long long since = 0;
		if (sim_pod_is_ready(p, min_ready ? &since : NULL)) {
			ready++;
			if (!min_ready || since + 1000LL * min_ready <= now)
				available++;
		}
		if (labels_match(tlabels, json_object_get(json_object_get(p, "metadata"),
							  "labels")))
			labeled++;
	}
	json_incref(rs);
	int diff = (int)n - replicas;
	if (diff < 0 && !json_object_get(json_object_get(rs, "metadata"),
					 "deletionTimestamp")) {
		int make = -diff > BURST_REPLICAS ? BURST_REPLICAS : -diff;
		for (int i = 0; i < make; i++)
			if (sim_pod_create_from(s, rs, "ReplicaSet",
						"replicaset-controller", NULL) < 0)
				break;
	} else if (diff > 0) {
		if (n > 1)
			qsort(act, n, sizeof *act, delete_order);
		for (int i = 0; i < diff; i++)
			sim_pod_delete_for(s, rs, act[i], "replicaset-controller");
	}
	free(act);

	json_t *cur = sim_store_get(s, rk, mstr(rs, "namespace"), mstr(rs, "name"));
	json_decref(rs);
	if (!cur)
		return;
	/* Pods ready but not yet available make this RS wait on time. */
	struct sim_world *w = sim_world(s);
	if (ready != available)
		smap_put(&w->rs_timed, mstr(cur, "uid"),
			 xasprintf("%s\x1f%s", mstr(cur, "namespace"), mstr(cur, "name")));
	else
		smap_del(&w->rs_timed, mstr(cur, "uid"));
	json_t *st = json_pack("{s:i}", "replicas", (int)n);
	if (labeled)
		json_object_set_new(st, "fullyLabeledReplicas", json_integer(labeled));
	if (ready)
		json_object_set_new(st, "readyReplicas", json_integer(ready));
	if (available)
		json_object_set_new(st, "availableReplicas", json_integer(available));
	json_t *gen = json_object_get(json_object_get(cur, "metadata"), "generation");
	if (gen)
		json_object_set(st, "observedGeneration", gen);
	if (json_equal(st, json_object_get(cur, "status"))) {
		json_decref(st);
		return;
	}
	json_t *copy = json_deep_copy(cur);
	json_object_set_new(copy, "status", st);
	struct sim_status err = { 0 };
	sim_store_update(s, rk, mstr(cur, "namespace"), copy, NULL, &err);
	sim_status_clear(&err);
}

static int collect(json_t *obj, void *ud)
{
	struct pod_group *l = ud;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xrealloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n++] = json_incref(obj);
	return 0;
}

/* More than this many changed ReplicaSets: one full pass is cheaper. */
#define DIRTY_MAX 32

static void on_change(const struct sim_kind *k, const char *type, json_t *obj,
		      void *ud)
{
	struct sim_dirty *d = ud;
	if (k == sim_kind_find("apps", "replicasets")) {
		if (strcmp(type, "DELETED"))
			sim_dirty_mark(d, mstr(obj, "uid"), mstr(obj, "namespace"),
				       mstr(obj, "name"));
		return;
	}
	if (k != sim_kind_find("", "pods"))
		return;
	size_t i;
	json_t *ref;
	json_array_foreach(json_object_get(json_object_get(obj, "metadata"),
					   "ownerReferences"), i, ref)
	{
		const char *kind = json_string_value(json_object_get(ref, "kind"));
		if (json_is_true(json_object_get(ref, "controller")) && kind &&
		    !strcmp(kind, "ReplicaSet"))
			sim_dirty_mark(d, json_string_value(json_object_get(ref, "uid")),
			     mstr(obj, "namespace"),
			     json_string_value(json_object_get(ref, "name")));
	}
}

static void full_pass(struct sim *s)
{
	struct smap idx;
	sim_pod_index_build(s, &idx);
	struct pod_group rss = { 0 };
	sim_store_each(s, sim_kind_find("apps", "replicasets"), NULL, collect, &rss);
	for (size_t i = 0; i < rss.n; i++)
		sync_rs(s, rss.v[i], smap_get(&idx, mstr(rss.v[i], "uid")));
	for (size_t i = 0; i < rss.n; i++)
		json_decref(rss.v[i]);
	free(rss.v);
	smap_free(&idx);
}

void sim_replicaset_sync(struct sim *s)
{
	struct sim_world *w = sim_world(s);
	sim_sync_changed(s, &w->rs_rv, &w->rs_timed, DIRTY_MAX, on_change, full_pass,
			 sim_kind_find("apps", "replicasets"), sim_kind_find("", "pods"), sync_rs);
}

struct owned {
	const char *uid;
	struct pod_group *g;
};

static int collect_owned(json_t *obj, void *ud)
{
	struct owned *o = ud;
	const char *uid = sim_controller_uid(obj);
	if (uid && !strcmp(uid, o->uid)) {
		struct pod_group *g = o->g;
		if (g->n == g->cap) {
			g->cap = g->cap ? g->cap * 2 : 16;
			g->v = xrealloc(g->v, g->cap * sizeof *g->v);
		}
		g->v[g->n++] = json_incref(obj);
	}
	return 0;
}

void sim_collect_owned(struct sim *s, const struct sim_kind *k, const char *ns,
		       const char *uid, struct pod_group *out)
{
	memset(out, 0, sizeof *out);
	struct owned o = { uid, out };
	sim_store_each(s, k, ns, collect_owned, &o);
}

void sim_collect(struct sim *s, const struct sim_kind *k, const char *ns,
		 struct pod_group *out)
{
	memset(out, 0, sizeof *out);
	sim_store_each(s, k, ns, collect, out);
}
