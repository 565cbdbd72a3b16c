/*
 * controllers.c - one pass of everything behind the store, in the order a
 * change flows through a real cluster: deployments make ReplicaSets,
 * ReplicaSets and Jobs make pods, the scheduler and kubelet run them, the
 * endpoints controller publishes them; then the garbage collector removes
 * dependents whose owners are gone, and (in the demo) a little churn.
 * Namespace finalization is the store's: a deleted namespace empties and
 * goes as its contents go.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/sim/world.h"

/* Controllers' remembered signatures are swept this often (in steps). */
#define SWEEP_EVERY 10

/* Whether the object a reference names still exists with that uid: a
 * lookup by kind and name, so a pass needs no set of every uid. */
static int owner_exists(struct sim *s, const char *ns, const json_t *ref)
{
	const char *av = json_string_value(json_object_get(ref, "apiVersion"));
	const char *kind = json_string_value(json_object_get(ref, "kind"));
	const char *name = json_string_value(json_object_get(ref, "name"));
	const char *uid = json_string_value(json_object_get(ref, "uid"));
	if (!av || !kind || !name || !uid)
		return 1; /* not ours to judge */
	char group[128] = "";
	const char *slash = strchr(av, '/');
	if (slash)
		snprintf(group, sizeof group, "%.*s", (int)(slash - av), av);
	const struct sim_kind *k = sim_kind_by_kind(group, kind);
	if (!k)
		return 1;
	json_t *owner = sim_store_get(s, k, k->namespaced ? ns : NULL, name);
	const char *ouid = json_string_value(json_object_get(
		json_object_get(owner, "metadata"), "uid"));
	return ouid && !strcmp(ouid, uid);
}

struct orphans {
	struct sim *s;
	struct pod_group found;
};

static int find_orphan(json_t *obj, void *ud)
{
	struct orphans *o = ud;
	json_t *meta = json_object_get(obj, "metadata");
	json_t *refs = json_object_get(meta, "ownerReferences");
	if (!json_array_size(refs))
		return 0;
	const char *ns = json_string_value(json_object_get(meta, "namespace"));
	size_t i;
	json_t *r;
	json_array_foreach(refs, i, r)
		if (owner_exists(o->s, ns, r))
			return 0;
	struct pod_group *g = &o->found;
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 8;
		g->v = xrealloc(g->v, g->cap * sizeof *g->v);
	}
	g->v[g->n++] = json_incref(obj);
	return 0;
}

static void delete_found(struct sim *s, const struct sim_kind *k,
			 struct orphans *o, size_t from)
{
	for (size_t i = from; i < o->found.n; i++) {
		json_t *obj = o->found.v[i];
		json_t *meta = json_object_get(obj, "metadata");
		struct sim_status st = { 0 };
		if (!json_object_get(meta, "deletionTimestamp"))
			sim_store_delete(s, k, json_string_value(json_object_get(meta, "namespace")),
					 json_string_value(json_object_get(meta, "name")),
					 "Background", NULL, &st);
		sim_status_clear(&st);
		json_decref(obj);
	}
	o->found.n = from;
}

static int collectable(const struct sim_kind *k)
{
	return k->namespaced && strcmp(k->plural, "events");
}

/* Background garbage collection over everything: an object all of whose
 * owners are gone is deleted (its dependents follow by the store's
 * cascade). */
static void gc_full(struct sim *s)
{
	struct orphans o = { .s = s };
	for (const struct sim_kind *k = sim_kinds; k->kind; k++) {
		if (!collectable(k))
			continue;
		sim_store_each(s, k, NULL, find_orphan, &o);
		delete_found(s, k, &o, 0);
	}
	free(o.found.v);
}

/* The collector as a watcher: objects that appeared or changed with
 * owners that are not there, and the namespaces where an owner was
 * removed without its dependents. */
struct gc_scan {
	struct sim *s;
	struct orphans o;
	const struct sim_kind **kinds; /* parallel to o.found */
	size_t kcap;
	struct smap owner_gone;        /* namespace -> 1 */
};

static void gc_change(const struct sim_kind *k, const char *type, json_t *obj,
		      void *ud)
{
	struct gc_scan *g = ud;
	if (!collectable(k))
		return;
	if (!strcmp(type, "DELETED")) {
		if (k->has_scale || !strcmp(k->plural, "jobs"))
			smap_put(&g->owner_gone, json_string_value(json_object_get(
					 json_object_get(obj, "metadata"), "namespace")),
				 (void *)1);
		return;
	}
	size_t before = g->o.found.n;
	find_orphan(obj, &g->o);
	if (g->o.found.n > before) {
		if (g->kcap < g->o.found.n) {
			g->kcap = g->o.found.cap;
			g->kinds = xrealloc(g->kinds, g->kcap * sizeof *g->kinds);
		}
		g->kinds[before] = k;
	}
}

static void gc(struct sim *s, struct sim_world *w)
{
	unsigned long long since = w->gc_rv;
	w->gc_rv = sim_store_rv(s);
	struct gc_scan g = { .s = s, .o = { .s = s } };
	smap_init(&g.owner_gone, NULL);
	if (!since || sim_world_changes(s, since, gc_change, &g) < 0) {
		for (size_t i = 0; i < g.o.found.n; i++)
			json_decref(g.o.found.v[i]);
		free(g.o.found.v);
		free(g.kinds);
		smap_free(&g.owner_gone);
		gc_full(s);
		return;
	}
	size_t n = g.o.found.n;
	for (size_t i = 0; i < n; i++) {
		struct orphans one = { .s = s };
		one.found.v = &g.o.found.v[i];
		one.found.n = 1;
		delete_found(s, g.kinds[i], &one, 0);
	}
	free(g.o.found.v);
	free(g.kinds);
	struct smap_ent *e;
	for (size_t i = 0; (i = smap_next(&g.owner_gone, i, &e));) {
		struct orphans o = { .s = s };
		for (const struct sim_kind *k = sim_kinds; k->kind; k++) {
			if (!collectable(k))
				continue;
			sim_store_each(s, k, e->key, find_orphan, &o);
			delete_found(s, k, &o, 0);
		}
		free(o.found.v);
	}
	smap_free(&g.owner_gone);
}

/* The kubelets report their nodes every minute (lastHeartbeatTime), as a
 * 1.20 kubelet updates NodeStatus when nothing else changes. */
#define HEARTBEAT_MS 60000

static int heartbeat_node(json_t *node, void *ud)
{
	struct sim *s = ud;
	char now[32];
	sim_rfc3339(s, now, sizeof now);
	json_t *copy = json_deep_copy(node);
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(json_object_get(copy, "status"), "conditions"),
			   i, c)
		json_object_set_new(c, "lastHeartbeatTime", json_string(now));
	struct sim_status st = { 0 };
	/* (The list walked is a copy: updating replaces the stored node.) */
	sim_store_update(s, sim_kind_find("", "nodes"), NULL, copy, NULL, &st);
	sim_status_clear(&st);
	return 0;
}

static void heartbeat(struct sim *s, struct sim_world *w)
{
	long long now = sim_now(s);
	if (now < w->heartbeat_next)
		return;
	w->heartbeat_next = now + HEARTBEAT_MS;
	if (!w->steps)
		return; /* the seed just wrote them */
	struct pod_group nodes;
	sim_collect(s, sim_kind_find("", "nodes"), NULL, &nodes);
	for (size_t i = 0; i < nodes.n; i++) {
		heartbeat_node(nodes.v[i], s);
		json_decref(nodes.v[i]);
	}
	free(nodes.v);
}

/* Demo churn: now and then a demo deployment is scaled or restarted, so
 * the dashboard has something to show. */
static void churn(struct sim *s, struct sim_world *w)
{
	static const char *const targets[] = { "web", "cache", "api" };
	long long now = sim_now(s);
	if (!w->churn_next) {
		w->churn_next = now + 60000;
		return;
	}
	if (now < w->churn_next)
		return;
	w->churn_next = now + 45000 + (long long)(sim_world_rand(w) % 60000);
	const struct sim_kind *dk = sim_kind_find("apps", "deployments");
	const char *name = targets[sim_world_rand(w) % 3];
	json_t *d = sim_store_get(s, dk, "default", name);
	if (!d)
		return;
	json_t *copy = json_deep_copy(d);
	json_t *spec = json_object_get(copy, "spec");
	if (sim_world_rand(w) % 2) {
		json_object_set_new(spec, "replicas",
				    json_integer(2 + (json_int_t)(sim_world_rand(w) % 3)));
	} else {
		json_t *tmeta = json_object_get(json_object_get(spec, "template"), "metadata");
		json_t *ann = json_object_get(tmeta, "annotations");
		if (!json_is_object(ann)) {
			ann = json_object();
			json_object_set_new(tmeta, "annotations", ann);
		}
		char t[32];
		json_object_set_new(ann, "kubectl.kubernetes.io/restartedAt",
				    json_string(sim_rfc3339(s, t, sizeof t)));
	}
	struct sim_status st = { 0 };
	sim_store_update(s, dk, "default", copy, NULL, &st);
	sim_status_clear(&st);
}

void sim_controllers_step(struct sim *s)
{
	struct sim_world *w = sim_world(s);
	if (!w)
		return;
	if (w->demo)
		churn(s, w);
	heartbeat(s, w);
	/* Controllers react to changes; with none since the previous step
	 * began (its own writes count) and none of them waiting on time, only
	 * the kubelet's timers run. */
	unsigned long long rv0 = sim_store_rv(s);
	w->store_idle = w->steps && rv0 == w->last_rv;
	w->last_rv = rv0;
	int idle = w->store_idle && !w->time_pending;
	if (!idle) {
		w->time_pending = 0;
		sim_deployment_sync(s);
		sim_replicaset_sync(s);
		sim_job_sync(s);
	}
	sim_kubelet_sync(s);
	if (!idle) {
		sim_endpoints_sync(s);
		gc(s, w);
	}
	if (w->steps % SWEEP_EVERY == 0 && !idle)
		sim_world_sweep_sigs(w);
	w->steps++;
}
