/*
 * scheduler.c - the default-scheduler of the simulated cluster: it binds
 * each pod without a node to the least loaded Node that fits it (node
 * selector, unschedulable nodes, pod count, cpu and memory requests
 * against allocatable), with the Scheduled event; a pod that fits nowhere
 * gets PodScheduled=False/Unschedulable and a FailedScheduling event in
 * the real scheduler's words, and is tried again every few seconds.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/sim/world.h"

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static const char *meta_str(const json_t *o, const char *k)
{
	return jstr(json_object_get(o, "metadata"), k);
}

/* The PodScheduled condition as the pod status carries it. */
static json_t *cond(const char *type, int ok, const char *t,
		    const char *reason, const char *msg)
{
	json_t *c = json_pack("{s:s,s:s,s:n,s:s}", "type", type, "status",
			      ok ? "True" : "False", "lastProbeTime",
			      "lastTransitionTime", t);
	if (reason)
		json_object_set_new(c, "reason", json_string(reason));
	if (msg)
		json_object_set_new(c, "message", json_string(msg));
	return c;
}

void sim_node_load_add(struct sim_node_load *l, int idx, double cpu_m, double mem)
{
	if (idx < 0 || idx >= SIM_MAX_NODES)
		return;
	l->pods[idx]++;
	l->cpu_m[idx] += cpu_m;
	l->mem[idx] += mem;
}

double sim_quantity(const char *q, int milli)
{
	static const struct {
		const char *sfx;
		double mul;
	} sfx[] = {
		{ "Ki", 1024.0 }, { "Mi", 1048576.0 }, { "Gi", 1073741824.0 },
		{ "Ti", 1099511627776.0 }, { "k", 1e3 }, { "K", 1e3 }, { "M", 1e6 },
		{ "G", 1e9 }, { "T", 1e12 }, { "m", 1e-3 }, { NULL, 1 },
	};
	if (!q)
		return 0;
	char *end;
	double v = strtod(q, &end);
	for (size_t i = 0; sfx[i].sfx; i++)
		if (!strcmp(end, sfx[i].sfx)) {
			v *= sfx[i].mul;
			break;
		}
	return milli ? v * 1000.0 : v;
}

void sim_pod_requests(const json_t *spec, double *cpu_m, double *mem)
{
	*cpu_m = *mem = 0;
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(spec, "containers"), i, c)
	{
		json_t *r = json_object_get(c, "resources");
		json_t *req = json_object_get(r, "requests");
		json_t *lim = json_object_get(r, "limits");
		const char *cpu = jstr(req, "cpu") ? jstr(req, "cpu") : jstr(lim, "cpu");
		const char *m = jstr(req, "memory") ? jstr(req, "memory") : jstr(lim, "memory");
		*cpu_m += sim_quantity(cpu, 1);
		*mem += sim_quantity(m, 0);
	}
}

/* Why nodes did not fit, counted as the scheduler reports them. */
enum misfit { MF_SELECTOR, MF_UNSCHEDULABLE, MF_PODS, MF_CPU, MF_MEMORY, MF_N };
static const char *const misfit_words[MF_N] = {
	[MF_SELECTOR] = "node(s) didn't match node selector",
	[MF_UNSCHEDULABLE] = "node(s) were unschedulable",
	[MF_PODS] = "Too many pods",
	[MF_CPU] = "Insufficient cpu",
	[MF_MEMORY] = "Insufficient memory",
};

struct node_pick {
	const struct sim_node_load *load;
	const json_t *selector;
	double cpu, mem;
	char best[128];
	size_t best_load;
	int nodes;
	int misfits[MF_N];
};

static int pick_node(json_t *node, void *ud)
{
	struct node_pick *np = ud;
	const char *name = meta_str(node, "name");
	if (!name)
		return 0;
	np->nodes++;
	unsigned idx = 0;
	int i = sscanf(name, "sim-node-%u", &idx) == 1 && idx < SIM_MAX_NODES ? (int)idx : -1;
	json_t *labels = json_object_get(json_object_get(node, "metadata"), "labels");
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)np->selector, k, v)
		if (!json_equal(v, json_object_get(labels, k))) {
			np->misfits[MF_SELECTOR]++;
			return 0;
		}
	if (json_is_true(json_object_get(json_object_get(node, "spec"), "unschedulable"))) {
		np->misfits[MF_UNSCHEDULABLE]++;
		return 0;
	}
	json_t *alloc = json_object_get(json_object_get(node, "status"), "allocatable");
	size_t load = i >= 0 ? np->load->pods[i] : 0;
	double used_cpu = i >= 0 ? np->load->cpu_m[i] : 0;
	double used_mem = i >= 0 ? np->load->mem[i] : 0;
	if (jstr(alloc, "pods") && (double)load + 1 > sim_quantity(jstr(alloc, "pods"), 0)) {
		np->misfits[MF_PODS]++;
		return 0;
	}
	int cpu_short = jstr(alloc, "cpu") && used_cpu + np->cpu > sim_quantity(jstr(alloc, "cpu"), 1);
	int mem_short = jstr(alloc, "memory") &&
			used_mem + np->mem > sim_quantity(jstr(alloc, "memory"), 0);
	if (cpu_short || mem_short) {
		if (cpu_short)
			np->misfits[MF_CPU]++;
		if (mem_short)
			np->misfits[MF_MEMORY]++;
		return 0;
	}
	if (!np->best[0] || load < np->best_load) {
		snprintf(np->best, sizeof np->best, "%s", name);
		np->best_load = load;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match
 * node selector." - the reasons sorted as the scheduler sorts them. */
static char *unschedulable_message(const struct node_pick *np)
{
	char *parts[MF_N];
	int n = 0;
	for (int i = 0; i < MF_N; i++)
		if (np->misfits[i])
			parts[n++] = xasprintf("%d %s", np->misfits[i], misfit_words[i]);
	qsort(parts, (size_t)n, sizeof *parts, cmp_str);
	struct dbuf b;
	dbuf_init(&b, 4096);
	dbuf_printf(&b, "0/%d nodes are available", np->nodes);
	for (int i = 0; i < n; i++) {
		dbuf_printf(&b, "%s%s", i ? ", " : ": ", parts[i]);
		free(parts[i]);
	}
	dbuf_puts(&b, ".");
	return dbuf_take(&b);
}

/* The scheduler retries a pod that fits nowhere, as nodes and pods change. */
#define RESCHEDULE_MS 5000

static void unschedulable(struct sim *s, json_t *pod, long long now,
			  const struct node_pick *np)
{
	char *msg = unschedulable_message(np);
	char key[600];
	snprintf(key, sizeof key, "%s\x1f%s", meta_str(pod, "namespace"),
		 meta_str(pod, "name"));
	long long *next = xmalloc(sizeof *next);
	*next = now + RESCHEDULE_MS;
	smap_put(&sim_world(s)->unsched, key, next);
	sim_event(s, pod, "Warning", "FailedScheduling", "default-scheduler", "%s", msg);
	json_t *c = json_array_get(json_object_get(json_object_get(pod, "status"),
						   "conditions"), 0);
	if (c && !strcmp(jstr(c, "reason") ? jstr(c, "reason") : "", "Unschedulable") &&
	    !strcmp(jstr(c, "message") ? jstr(c, "message") : "", msg)) {
		free(msg);
		return;
	}
	char t[32];
	sim_world_time_str(s, now, t);
	json_t *copy = json_deep_copy(pod);
	json_t *status = json_object_get(copy, "status");
	if (!json_is_object(status)) {
		status = json_object();
		json_object_set_new(copy, "status", status);
	}
	json_object_set_new(status, "phase", json_string("Pending"));
	json_object_set_new(status, "conditions",
			    json_pack("[o]", cond("PodScheduled", 0, t, "Unschedulable", msg)));
	struct sim_status st = { 0 };
	sim_store_update(s, sim_kind_find("", "pods"), meta_str(pod, "namespace"), copy,
			 NULL, &st);
	sim_status_clear(&st);
	free(msg);
}

void sim_schedule(struct sim *s, struct sim_node_load *load, json_t *pod, long long now)
{
	json_t *spec = json_object_get(pod, "spec");
	struct node_pick np = { .load = load, .selector = json_object_get(spec, "nodeSelector") };
	sim_pod_requests(spec, &np.cpu, &np.mem);
	sim_store_each(s, sim_kind_find("", "nodes"), NULL, pick_node, &np);
	if (!np.best[0]) {
		if (np.nodes)
			unschedulable(s, pod, now, &np);
		return;
	}
	char key[600];
	snprintf(key, sizeof key, "%s\x1f%s", meta_str(pod, "namespace"),
		 meta_str(pod, "name"));
	smap_del(&sim_world(s)->unsched, key);
	const struct sim_kind *pk = sim_kind_find("", "pods");
	json_t *copy = json_deep_copy(pod);
	json_object_set_new(json_object_get(copy, "spec"), "nodeName",
			    json_string(np.best));
	char t[32];
	sim_world_time_str(s, now, t);
	json_t *status = json_object_get(copy, "status");
	if (!status) {
		status = json_object();
		json_object_set_new(copy, "status", status);
	}
	json_object_set_new(status, "phase", json_string("Pending"));
	json_object_set_new(status, "conditions",
			    json_pack("[o]", cond("PodScheduled", 1, t, NULL, NULL)));
	struct sim_status st = { 0 };
	json_t *out = NULL;
	if (sim_store_update(s, pk, meta_str(pod, "namespace"), copy, &out, &st) == 0) {
		unsigned idx;
		if (sscanf(np.best, "sim-node-%u", &idx) == 1)
			sim_node_load_add(load, (int)idx, np.cpu, np.mem);
		sim_event(s, out, "Normal", "Scheduled", "default-scheduler",
			  "Successfully assigned %s/%s to %s",
			  meta_str(out, "namespace"), meta_str(out, "name"), np.best);
	}
	sim_status_clear(&st);
}

static void key_of(char *key, size_t n, const char *ns, const char *name)
{
	snprintf(key, n, "%s\x1f%s", ns, name);
}

void sim_schedule_forget(struct sim_world *w, const char *ns, const char *name)
{
	char key[600];
	key_of(key, sizeof key, ns, name);
	smap_del(&w->unsched, key);
}

int sim_schedule_waiting(struct sim_world *w, const char *ns, const char *name,
			 long long now)
{
	char key[600];
	key_of(key, sizeof key, ns, name);
	long long *next = smap_get(&w->unsched, key);
	return next && *next > now;
}

void sim_schedule_due(struct sim_world *w, long long now,
		      void (*fn)(const char *ns, const char *name, void *ud), void *ud)
{
	struct smap_ent *e;
	for (size_t i = 0; (i = smap_next(&w->unsched, i, &e));) {
		if (*(long long *)e->val > now)
			continue;
		const char *sep = strchr(e->key, '\x1f');
		char *ns = xstrndup(e->key, (size_t)(sep - e->key));
		fn(ns, sep + 1, ud);
		free(ns);
	}
}

long long sim_schedule_next(struct sim_world *w)
{
	long long n = 0;
	struct smap_ent *e;
	for (size_t i = 0; (i = smap_next(&w->unsched, i, &e));) {
		long long t = *(long long *)e->val;
		if (!n || t < n)
			n = t;
	}
	return n;
}
