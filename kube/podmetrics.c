/*
 * podmetrics.c - a metrics.k8s.io/v1beta1 PodMetricsList (what
 * metrics-server answers for /apis/metrics.k8s.io/v1beta1/namespaces/NS/pods)
 * decoded into plain structs: per pod, the CPU in cores and the memory in
 * bytes summed over its containers. Quantities are read with the
 * Kubernetes grammar ("12345n", "250m", "20Ki"); a container whose usage
 * does not parse is left out rather than guessed.
 */
#define _POSIX_C_SOURCE 200809L
#include "kube/kube.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BODY (64u << 20)

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

int kube_podmetrics_parse(const char *body, size_t len, struct kube_pod_usage **out, size_t *n,
			  struct perr *e)
{
	*out = NULL;
	*n = 0;
	if (len > MAX_BODY) {
		perr_set(e, "the pod metrics are larger than %u MiB", MAX_BODY >> 20);
		return -1;
	}
	json_error_t je;
	json_t *root = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		perr_set(e, "the pod metrics are not JSON: %s", je.text);
		return -1;
	}
	json_t *items = json_object_get(root, "items");
	if (!json_is_array(items)) {
		perr_set(e, "the pod metrics have no items (not a PodMetricsList)");
		json_decref(root);
		return -1;
	}
	struct kube_pod_usage *u = xcalloc(json_array_size(items) + 1, sizeof *u);
	size_t k = 0, i;
	json_t *it;
	json_array_foreach(items, i, it) {
		const json_t *meta = json_object_get(it, "metadata");
		const char *name = str(meta, "name");
		if (!*name)
			continue;
		char *ns = sanitize_text(str(meta, "namespace"), strlen(str(meta, "namespace")), 0);
		char *nm = sanitize_text(name, strlen(name), 0);
		snprintf(u[k].ns, sizeof u[k].ns, "%s", ns);
		snprintf(u[k].name, sizeof u[k].name, "%s", nm);
		free(ns);
		free(nm);
		size_t c;
		json_t *ctr;
		json_array_foreach(json_object_get(it, "containers"), c, ctr) {
			const json_t *usage = json_object_get(ctr, "usage");
			double v;
			if (kube_quantity_parse(str(usage, "cpu"), &v) == 0 && v >= 0) {
				u[k].cpu_cores += v;
				u[k].has_cpu = 1;
			}
			if (kube_quantity_parse(str(usage, "memory"), &v) == 0 && v >= 0) {
				u[k].mem_bytes += v;
				u[k].has_mem = 1;
			}
		}
		k++;
	}
	json_decref(root);
	*out = u;
	*n = k;
	return 0;
}
