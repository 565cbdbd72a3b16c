/*
 * endpoints.c - the Endpoints controller: for every Service with a
 * selector, an Endpoints object of the same name whose subset lists the
 * selected pods that have an IP, ready ones under addresses and the others
 * under notReadyAddresses, with the Service's ports resolved to the pods'
 * target ports, as kubernetes' pkg/controller/endpoint writes it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/sim/world.h"

static const char *mstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(json_object_get(o, "metadata"), k));
}

static int selects(const json_t *sel, const json_t *pod)
{
	json_t *labels = json_object_get(json_object_get(pod, "metadata"), "labels");
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)sel, k, v)
		if (!json_equal(v, json_object_get(labels, k)))
			return 0;
	return 1;
}

/* A named targetPort is looked up among the pod's container ports. */
static json_int_t target_port(const json_t *sp, const json_t *pod)
{
	json_t *tp = json_object_get(sp, "targetPort");
	if (json_is_integer(tp))
		return json_integer_value(tp);
	if (!json_is_string(tp))
		return json_integer_value(json_object_get(sp, "port"));
	size_t i, j;
	json_t *c, *p;
	json_array_foreach(json_object_get(json_object_get(pod, "spec"), "containers"), i, c)
		json_array_foreach(json_object_get(c, "ports"), j, p)
		{
			const char *n = json_string_value(json_object_get(p, "name"));
			if (n && !strcmp(n, json_string_value(tp)))
				return json_integer_value(json_object_get(p, "containerPort"));
		}
	return 0;
}

static json_t *address(const json_t *pod)
{
	json_t *st = json_object_get(pod, "status");
	json_t *a = json_pack("{s:s}", "ip",
			      json_string_value(json_object_get(st, "podIP")));
	const char *node = json_string_value(json_object_get(json_object_get(pod, "spec"),
							     "nodeName"));
	if (node)
		json_object_set_new(a, "nodeName", json_string(node));
	json_object_set_new(a, "targetRef",
			    json_pack("{s:s,s:s,s:s,s:s,s:s}", "kind", "Pod",
				      "namespace", mstr(pod, "namespace"), "name",
				      mstr(pod, "name"), "uid", mstr(pod, "uid"),
				      "resourceVersion", mstr(pod, "resourceVersion")));
	return a;
}

static void sync_service(struct sim *s, json_t *svc)
{
	const struct sim_kind *ek = sim_kind_find("", "endpoints");
	const char *ns = mstr(svc, "namespace"), *name = mstr(svc, "name");
	json_t *sel = json_object_get(json_object_get(svc, "spec"), "selector");
	if (!json_object_size(sel))
		return; /* endpoints of selector-less services are the user's */
	struct pod_group pods;
	sim_collect(s, sim_kind_find("", "pods"), ns, &pods);
	json_t *ready = json_array(), *unready = json_array(), *ports = json_array();
	json_t *first = NULL;
	for (size_t i = 0; i < pods.n; i++) {
		json_t *p = pods.v[i];
		if (!selects(sel, p) || !sim_pod_is_active(p) ||
		    !json_string_value(json_object_get(json_object_get(p, "status"), "podIP")))
			continue;
		if (!first)
			first = p;
		json_array_append_new(sim_pod_is_ready(p, NULL) ? ready : unready,
				      address(p));
	}
	size_t i;
	json_t *sp;
	json_array_foreach(json_object_get(json_object_get(svc, "spec"), "ports"), i, sp)
	{
		json_t *ep = json_object();
		const char *pn = json_string_value(json_object_get(sp, "name"));
		if (pn)
			json_object_set_new(ep, "name", json_string(pn));
		json_object_set_new(ep, "port", json_integer(target_port(sp, first)));
		const char *proto = json_string_value(json_object_get(sp, "protocol"));
		json_object_set_new(ep, "protocol", json_string(proto ? proto : "TCP"));
		json_array_append_new(ports, ep);
	}
	json_t *ep = json_pack("{s:{s:s,s:s}}", "metadata", "name", name,
			       "namespace", ns);
	json_t *labels = json_object_get(json_object_get(svc, "metadata"), "labels");
	if (labels)
		json_object_set(json_object_get(ep, "metadata"), "labels", labels);
	if (json_array_size(ready) || json_array_size(unready)) {
		json_t *sub = json_object();
		if (json_array_size(ready))
			json_object_set(sub, "addresses", ready);
		if (json_array_size(unready))
			json_object_set(sub, "notReadyAddresses", unready);
		json_object_set(sub, "ports", ports);
		json_object_set_new(ep, "subsets", json_pack("[o]", sub));
	}
	json_decref(ready);
	json_decref(unready);
	json_decref(ports);
	for (size_t j = 0; j < pods.n; j++)
		json_decref(pods.v[j]);
	free(pods.v);

	struct sim_status st = { 0 };
	json_t *cur = sim_store_get(s, ek, ns, name);
	if (!cur) {
		sim_store_create(s, ek, ns, ep, NULL, &st);
	} else if (!json_equal(json_object_get(cur, "subsets"),
			       json_object_get(ep, "subsets")) ||
		   !json_equal(json_object_get(json_object_get(cur, "metadata"), "labels"),
			       labels)) {
		json_t *copy = json_deep_copy(cur);
		json_t *subs = json_object_get(ep, "subsets");
		if (subs)
			json_object_set(copy, "subsets", subs);
		else
			json_object_del(copy, "subsets");
		if (labels)
			json_object_set(json_object_get(copy, "metadata"), "labels", labels);
		sim_store_update(s, ek, ns, copy, NULL, &st);
		json_decref(ep);
	} else {
		json_decref(ep);
	}
	sim_status_clear(&st);
}

/* The namespaces whose pods or services changed. */
static void on_change(const struct sim_kind *k, const char *type, json_t *obj,
		      void *ud)
{
	(void)type;
	if (k != sim_kind_find("", "pods") && k != sim_kind_find("", "services"))
		return;
	const char *ns = mstr(obj, "namespace");
	if (ns)
		smap_put(ud, ns, (void *)1);
}

static void sync_ns(struct sim *s, const char *ns)
{
	struct pod_group svcs;
	sim_collect(s, sim_kind_find("", "services"), ns, &svcs);
	for (size_t i = 0; i < svcs.n; i++) {
		sync_service(s, svcs.v[i]);
		json_decref(svcs.v[i]);
	}
	free(svcs.v);
}

void sim_endpoints_sync(struct sim *s)
{
	struct sim_world *w = sim_world(s);
	unsigned long long since = w->ep_rv;
	w->ep_rv = sim_store_rv(s);
	struct smap nss;
	smap_init(&nss, NULL);
	if (!since || sim_world_changes(s, since, on_change, &nss) < 0) {
		sync_ns(s, NULL);
	} else {
		struct smap_ent *e;
		for (size_t i = 0; (i = smap_next(&nss, i, &e));)
			sync_ns(s, e->key);
	}
	smap_free(&nss);
}
