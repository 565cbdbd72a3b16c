/*
 * kinds.c - the table of kinds the simulated cluster serves, as the real
 * kube-apiserver 1.20 lists them in discovery (verbs, short names,
 * categories, storage version hashes), and lookups by plural and by kind.
 *
 * Within a group-version the entries are in the order discovery lists
 * them (alphabetical by plural), so the server can walk the table to
 * build an APIResourceList.
 */
#include "kube/sim/sim.h"

#include <stdio.h>
#include <string.h>

#define VERBS_ALL "create,delete,deletecollection,get,list,patch,update,watch"
#define VERBS_NO_DC "create,delete,get,list,patch,update,watch"

const struct sim_kind sim_kinds[] = {
	{ "", "v1", "ConfigMap", "configmaps", "configmap", "cm", 1, VERBS_ALL,
	  NULL, 0, 0, "qFsyl6wFWjQ=", 0, NULL },
	{ "", "v1", "Endpoints", "endpoints", "endpoints", "ep", 1, VERBS_ALL,
	  NULL, 0, 0, "fWeeMqaN/OA=", 0, NULL },
	{ "", "v1", "Event", "events", "event", "ev", 1, VERBS_ALL, NULL, 0, 0,
	  "r2yiGXH7wu8=", 0, NULL },
	{ "", "v1", "Namespace", "namespaces", "namespace", "ns", 0, VERBS_NO_DC,
	  NULL, 1, 0, "Q3oi5N2YM8M=", 0, NULL },
	{ "", "v1", "Node", "nodes", "node", "no", 0, VERBS_ALL, NULL, 1, 0,
	  "XwShjMxG9Fs=", 0, NULL },
	{ "", "v1", "Pod", "pods", "pod", "po", 1, VERBS_ALL, "all", 1, 0,
	  "xPOwRZ+Yhw8=", 0, "log,proxy" },
	{ "", "v1", "Secret", "secrets", "secret", NULL, 1, VERBS_ALL, NULL, 0,
	  0, "S6u1pOWzb84=", 0, NULL },
	{ "", "v1", "Service", "services", "service", "svc", 1, VERBS_NO_DC,
	  "all", 1, 0, "0/CO1lhkEBI=", 0, "proxy" },
	{ "apps", "v1", "Deployment", "deployments", "deployment", "deploy", 1,
	  VERBS_ALL, "all", 1, 1, "8aSe+NMegvE=", 1, NULL },
	{ "apps", "v1", "ReplicaSet", "replicasets", "replicaset", "rs", 1,
	  VERBS_ALL, "all", 1, 1, "P1RzHs8/mWQ=", 1, NULL },
	{ "batch", "v1", "Job", "jobs", "job", NULL, 1, VERBS_ALL, "all", 1, 0,
	  "mudhfqk/qZY=", 1, NULL },
	{ "metrics.k8s.io", "v1beta1", "NodeMetrics", "nodes", "", NULL, 0,
	  "get,list", NULL, 0, 0, NULL, 0, NULL },
	{ "metrics.k8s.io", "v1beta1", "PodMetrics", "pods", "", NULL, 1,
	  "get,list", NULL, 0, 0, NULL, 0, NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, 0, 0, NULL, 0, NULL },
};

/* The kind served as group/plural, or NULL. */
const struct sim_kind *sim_kind_find(const char *group, const char *plural)
{
	if (!group || !plural)
		return NULL;
	for (const struct sim_kind *k = sim_kinds; k->kind; k++)
		if (strcmp(k->group, group) == 0 && strcmp(k->plural, plural) == 0)
			return k;
	return NULL;
}

/* The kind served as group/Kind, or NULL. */
const struct sim_kind *sim_kind_by_kind(const char *group, const char *kind)
{
	if (!group || !kind)
		return NULL;
	for (const struct sim_kind *k = sim_kinds; k->kind; k++)
		if (strcmp(k->group, group) == 0 && strcmp(k->kind, kind) == 0)
			return k;
	return NULL;
}

/* "apps/v1" for grouped kinds, "v1" for core; written into buf. */
const char *sim_kind_api_version(const struct sim_kind *k, char *buf, size_t n)
{
	if (k->group[0])
		snprintf(buf, n, "%s/%s", k->group, k->version);
	else
		snprintf(buf, n, "%s", k->version);
	return buf;
}
