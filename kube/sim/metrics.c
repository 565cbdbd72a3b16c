/*
 * metrics.c - metrics.k8s.io/v1beta1 as metrics-server serves it, so that
 * `kubectl top pods` and `kubectl top nodes` work against the simulated
 * cluster: a PodMetrics for every running pod (per container: cpu in
 * nanocores "n", memory in "Ki") and a NodeMetrics for every node (the sum
 * of its pods plus the system's own use). Values are plausible for the
 * image (nginx idles low, a model server holds its weights), differ by
 * pod, and drift slowly and deterministically with simulated time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/sim/world.h"

#define WINDOW "30s"

/* Base use of one container of an image: millicores, MiB. */
static const struct usage_base {
	const char *match; /* substring of the image reference */
	int milli, mib;
} bases[] = {
	{ "nginx", 1, 4 },       { "redis", 3, 8 },
	{ "python", 2, 22 },     { "busybox", 0, 1 },
	{ "pause", 0, 1 },       { "podium/runtime", 12, 48 },
	{ NULL, 2, 16 },
};

static uint64_t h64(uint64_t h, const char *s)
{
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	return h;
}

static const char *mstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(json_object_get(o, "metadata"), k));
}

/* One container's use now: nanocores and KiB. */
static void usage(struct sim *s, const char *ns, const char *pod,
		  const json_t *c, long long *nano, long long *kib)
{
	const char *image = json_string_value(json_object_get(c, "image"));
	const char *name = json_string_value(json_object_get(c, "name"));
	const struct usage_base *b = bases;
	while (b->match && !(image && strstr(image, b->match)))
		b++;
	uint64_t h = h64(h64(h64(1469598103934665603ULL, ns), pod), name);
	/* Drift per minute of simulated time, the same for every reader. */
	uint64_t minute = (uint64_t)(sim_now(s) / 60000);
	uint64_t d = h64(h ^ minute, "drift");
	*nano = (long long)b->milli * 1000000LL + (long long)(h % 900000) +
		(long long)(d % 2000000);
	*kib = (long long)b->mib * 1024 + (long long)(h % 2048) + (long long)(d % 256);
}

static void quantity(char *out, size_t n, long long v, const char *unit)
{
	snprintf(out, n, "%lld%s", v, unit);
}

static int running(const json_t *pod)
{
	const char *phase = json_string_value(json_object_get(
		json_object_get(pod, "status"), "phase"));
	return phase && !strcmp(phase, "Running");
}

struct pods_scan {
	struct sim *s;
	json_t *items;
	const char *ts;
	long long node_nano[64], node_kib[64];
};

static int pod_metrics(json_t *pod, void *ud)
{
	struct pods_scan *ps = ud;
	if (!running(pod))
		return 0;
	const char *ns = mstr(pod, "namespace"), *name = mstr(pod, "name");
	json_t *ctrs = json_array();
	size_t i;
	json_t *c;
	long long pn = 0, pk = 0;
	json_array_foreach(json_object_get(json_object_get(pod, "spec"), "containers"), i, c)
	{
		long long nano, kib;
		usage(ps->s, ns, name, c, &nano, &kib);
		pn += nano;
		pk += kib;
		char cpu[32], mem[32];
		quantity(cpu, sizeof cpu, nano, "n");
		quantity(mem, sizeof mem, kib, "Ki");
		json_array_append_new(ctrs, json_pack("{s:s,s:{s:s,s:s}}", "name",
						      json_string_value(json_object_get(c, "name")),
						      "usage", "cpu", cpu, "memory", mem));
	}
	const char *node = json_string_value(json_object_get(json_object_get(pod, "spec"),
							     "nodeName"));
	unsigned idx;
	if (node && sscanf(node, "sim-node-%u", &idx) == 1 && idx < 64) {
		ps->node_nano[idx] += pn;
		ps->node_kib[idx] += pk;
	}
	if (!ps->items) {
		json_decref(ctrs);
		return 0;
	}
	char *link = xasprintf("/apis/metrics.k8s.io/v1beta1/namespaces/%s/pods/%s", ns, name);
	json_t *meta = json_pack("{s:s,s:s,s:s,s:s}", "name", name, "namespace", ns,
				 "selfLink", link, "creationTimestamp", ps->ts);
	free(link);
	json_t *labels = json_object_get(json_object_get(pod, "metadata"), "labels");
	if (labels)
		json_object_set(meta, "labels", labels);
	json_array_append_new(ps->items,
			      json_pack("{s:o,s:s,s:s,s:o}", "metadata", meta, "timestamp",
					ps->ts, "window", WINDOW, "containers", ctrs));
	return 0;
}

json_t *sim_metrics_pods(struct sim *s, const char *ns)
{
	char ts[32];
	sim_rfc3339(s, ts, sizeof ts);
	struct pods_scan ps = { .s = s, .items = json_array(), .ts = ts };
	sim_store_each(s, sim_kind_find("", "pods"), ns, pod_metrics, &ps);
	char *link = ns ? xasprintf("/apis/metrics.k8s.io/v1beta1/namespaces/%s/pods", ns)
			: xstrdup("/apis/metrics.k8s.io/v1beta1/pods");
	json_t *out = json_pack("{s:s,s:s,s:{s:s},s:o}", "kind", "PodMetricsList",
				"apiVersion", "metrics.k8s.io/v1beta1", "metadata",
				"selfLink", link, "items", ps.items);
	free(link);
	return out;
}

struct nodes_scan {
	struct pods_scan *ps;
	json_t *items;
};

static int node_metrics(json_t *node, void *ud)
{
	struct nodes_scan *ns = ud;
	const char *name = mstr(node, "name");
	unsigned idx = 0;
	long long nano = 0, kib = 0;
	if (name && sscanf(name, "sim-node-%u", &idx) == 1 && idx < 64) {
		nano = ns->ps->node_nano[idx];
		kib = ns->ps->node_kib[idx];
	}
	/* The kubelet, the runtime and the system: ~80m and ~900 MiB. */
	uint64_t h = h64(1469598103934665603ULL, name);
	nano += 80000000LL + (long long)(h % 20000000);
	kib += 900LL * 1024 + (long long)(h % 65536);
	char cpu[32], mem[32];
	quantity(cpu, sizeof cpu, nano, "n");
	quantity(mem, sizeof mem, kib, "Ki");
	char *link = xasprintf("/apis/metrics.k8s.io/v1beta1/nodes/%s", name);
	json_t *meta = json_pack("{s:s,s:s,s:s}", "name", name, "selfLink", link,
				 "creationTimestamp", ns->ps->ts);
	free(link);
	json_t *labels = json_object_get(json_object_get(node, "metadata"), "labels");
	if (labels)
		json_object_set(meta, "labels", labels);
	json_array_append_new(ns->items,
			      json_pack("{s:o,s:s,s:s,s:{s:s,s:s}}", "metadata", meta,
					"timestamp", ns->ps->ts, "window", WINDOW, "usage",
					"cpu", cpu, "memory", mem));
	return 0;
}

json_t *sim_metrics_nodes(struct sim *s)
{
	char ts[32];
	sim_rfc3339(s, ts, sizeof ts);
	struct pods_scan ps = { .s = s, .ts = ts };
	sim_store_each(s, sim_kind_find("", "pods"), NULL, pod_metrics, &ps);
	struct nodes_scan ns = { &ps, json_array() };
	sim_store_each(s, sim_kind_find("", "nodes"), NULL, node_metrics, &ns);
	return json_pack("{s:s,s:s,s:{s:s},s:o}", "kind", "NodeMetricsList", "apiVersion",
			 "metrics.k8s.io/v1beta1", "metadata", "selfLink",
			 "/apis/metrics.k8s.io/v1beta1/nodes", "items", ns.items);
}
