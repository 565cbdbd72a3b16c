/*
 * defaults.c - the fields the real API server fills in when an object is
 * created (its defaulting functions and admission plugins): pod spec and
 * container defaults, a Deployment's strategy and limits, a Service's
 * clusterIP, a Job's generated selector, a Namespace's finalizer, and each
 * kind's initial status. Without them kubectl's describe and rollout see
 * objects unlike a real cluster's.
 *
 * Also the canonical key order of objects, so that responses read like the
 * recorded ones (kind, apiVersion, metadata{name, generateName, ...}).
 */
#include "kube/sim/sim_impl.h"

#include <stdio.h>
#include <string.h>

/* Set key to v (stolen) unless obj already has it. */
static void dflt(json_t *obj, const char *key, json_t *v)
{
	if (json_is_object(obj) && !json_object_get(obj, key))
		json_object_set_new(obj, key, v);
	else
		json_decref(v);
}

/* obj[key] as an object, made when missing. NULL when it is not one. */
static json_t *child(json_t *obj, const char *key)
{
	json_t *c = json_object_get(obj, key);
	if (!c && json_is_object(obj)) {
		c = json_object();
		json_object_set_new(obj, key, c);
	}
	return json_is_object(c) ? c : NULL;
}

/* Always for :latest or no tag, else IfNotPresent (as the real default). */
static const char *pull_policy(const char *image)
{
	if (!image)
		return "IfNotPresent";
	if (strchr(image, '@'))
		return "IfNotPresent";
	const char *slash = strrchr(image, '/');
	const char *colon = strrchr(slash ? slash : image, ':');
	if (!colon || strcmp(colon, ":latest") == 0)
		return "Always";
	return "IfNotPresent";
}

static void probe_defaults(json_t *probe)
{
	if (!json_is_object(probe))
		return;
	dflt(probe, "timeoutSeconds", json_integer(1));
	dflt(probe, "periodSeconds", json_integer(10));
	dflt(probe, "successThreshold", json_integer(1));
	dflt(probe, "failureThreshold", json_integer(3));
	json_t *get = json_object_get(probe, "httpGet");
	if (json_is_object(get))
		dflt(get, "scheme", json_string("HTTP"));
}

static void container_defaults(json_t *c)
{
	if (!json_is_object(c))
		return;
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(c, "ports"), i, p)
	{
		if (json_is_object(p))
			dflt(p, "protocol", json_string("TCP"));
	}
	dflt(c, "resources", json_object());
	dflt(c, "terminationMessagePath", json_string("/dev/termination-log"));
	dflt(c, "terminationMessagePolicy", json_string("File"));
	dflt(c, "imagePullPolicy", json_string(pull_policy(json_string_value(
					   json_object_get(c, "image")))));
	probe_defaults(json_object_get(c, "readinessProbe"));
	probe_defaults(json_object_get(c, "livenessProbe"));
	probe_defaults(json_object_get(c, "startupProbe"));
}

/* The defaults of a PodSpec, in a pod or in a template. */
static void pod_spec_defaults(json_t *spec)
{
	if (!json_is_object(spec))
		return;
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(spec, "initContainers"), i, c)
		container_defaults(c);
	json_array_foreach(json_object_get(spec, "containers"), i, c)
		container_defaults(c);
	dflt(spec, "restartPolicy", json_string("Always"));
	dflt(spec, "terminationGracePeriodSeconds", json_integer(30));
	dflt(spec, "dnsPolicy", json_string("ClusterFirst"));
	dflt(spec, "securityContext", json_object());
	dflt(spec, "schedulerName", json_string("default-scheduler"));
}

static void template_defaults(json_t *spec)
{
	json_t *tpl = child(spec, "template");
	if (!tpl)
		return;
	json_t *meta = child(tpl, "metadata");
	if (meta)
		dflt(meta, "creationTimestamp", json_null());
	pod_spec_defaults(json_object_get(tpl, "spec"));
}

/* BestEffort without requests or limits; Guaranteed when every container
 * limits cpu and memory with requests equal to them; else Burstable. */
static const char *qos_class(const json_t *spec)
{
	int any = 0, guaranteed = 1;
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(spec, "containers"), i, c)
	{
		json_t *res = json_object_get(c, "resources");
		json_t *req = json_object_get(res, "requests");
		json_t *lim = json_object_get(res, "limits");
		if (json_object_size(req) || json_object_size(lim))
			any = 1;
		static const char *const rs[] = { "cpu", "memory" };
		for (int r = 0; r < 2; r++) {
			json_t *l = json_object_get(lim, rs[r]);
			json_t *q = json_object_get(req, rs[r]);
			if (!l || (q && !json_equal(l, q)))
				guaranteed = 0;
		}
	}
	if (!any)
		return "BestEffort";
	return guaranteed ? "Guaranteed" : "Burstable";
}

static void pod_defaults(struct sim *s, json_t *obj)
{
	(void)s;
	json_t *spec = child(obj, "spec");
	pod_spec_defaults(spec);
	dflt(spec, "serviceAccountName", json_string("default"));
	dflt(spec, "serviceAccount", json_string("default"));
	dflt(spec, "tolerations",
	     json_pack("[{s:s,s:s,s:s,s:i},{s:s,s:s,s:s,s:i}]", "key",
		       "node.kubernetes.io/not-ready", "operator", "Exists",
		       "effect", "NoExecute", "tolerationSeconds", 300, "key",
		       "node.kubernetes.io/unreachable", "operator", "Exists",
		       "effect", "NoExecute", "tolerationSeconds", 300));
	dflt(spec, "priority", json_integer(0));
	dflt(spec, "enableServiceLinks", json_true());
	dflt(spec, "preemptionPolicy", json_string("PreemptLowerPriority"));
	json_t *status = child(obj, "status");
	dflt(status, "phase", json_string("Pending"));
	dflt(status, "qosClass", json_string(qos_class(spec)));
}

static void deployment_defaults(struct sim *s, json_t *obj)
{
	(void)s;
	json_t *spec = child(obj, "spec");
	dflt(spec, "replicas", json_integer(1));
	template_defaults(spec);
	json_t *strat = child(spec, "strategy");
	dflt(strat, "type", json_string("RollingUpdate"));
	const char *type = json_string_value(json_object_get(strat, "type"));
	if (type && strcmp(type, "RollingUpdate") == 0) {
		json_t *ru = child(strat, "rollingUpdate");
		dflt(ru, "maxUnavailable", json_string("25%"));
		dflt(ru, "maxSurge", json_string("25%"));
	}
	dflt(spec, "revisionHistoryLimit", json_integer(10));
	dflt(spec, "progressDeadlineSeconds", json_integer(600));
	dflt(obj, "status", json_object());
}

static void replicaset_defaults(struct sim *s, json_t *obj)
{
	(void)s;
	json_t *spec = child(obj, "spec");
	dflt(spec, "replicas", json_integer(1));
	template_defaults(spec);
	json_t *status = child(obj, "status");
	dflt(status, "replicas", json_integer(0));
}

static void job_defaults(struct sim *s, json_t *obj)
{
	(void)s;
	json_t *spec = child(obj, "spec");
	const char *uid = json_string_value(
		json_object_get(json_object_get(obj, "metadata"), "uid"));
	const char *name = json_string_value(
		json_object_get(json_object_get(obj, "metadata"), "name"));
	dflt(spec, "parallelism", json_integer(1));
	dflt(spec, "completions", json_integer(1));
	dflt(spec, "backoffLimit", json_integer(6));
	if (uid && !json_object_get(spec, "selector") &&
	    !json_is_true(json_object_get(spec, "manualSelector"))) {
		json_object_set_new(spec, "selector",
				    json_pack("{s:{s:s}}", "matchLabels",
					      "controller-uid", uid));
		json_t *tpl = child(spec, "template");
		json_t *labels = child(child(tpl, "metadata"), "labels");
		if (labels) {
			json_object_set_new(labels, "controller-uid", json_string(uid));
			if (name)
				json_object_set_new(labels, "job-name", json_string(name));
		}
	}
	template_defaults(spec);
	dflt(obj, "status", json_object());
}

struct ip_scan {
	char ip[32];
	int taken;
};

static int ip_taken(json_t *svc, void *ud)
{
	struct ip_scan *sc = ud;
	const char *ip = json_string_value(
		json_object_get(json_object_get(svc, "spec"), "clusterIP"));
	if (ip && strcmp(ip, sc->ip) == 0) {
		sc->taken = 1;
		return 1;
	}
	return 0;
}

static void service_defaults(struct sim *s, json_t *obj)
{
	json_t *spec = child(obj, "spec");
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(spec, "ports"), i, p)
	{
		if (!json_is_object(p))
			continue;
		dflt(p, "protocol", json_string("TCP"));
		json_t *port = json_object_get(p, "port");
		if (port)
			dflt(p, "targetPort", json_incref(port));
	}
	const char *ip = json_string_value(json_object_get(spec, "clusterIP"));
	if (!ip || !*ip) {
		/* Allocate from the default service range 10.96.0.0/12. */
		struct ip_scan sc;
		for (int tries = 0; tries < 64; tries++) {
			unsigned long long r = sim_rand(s);
			snprintf(sc.ip, sizeof sc.ip, "10.%llu.%llu.%llu",
				 96 + (r & 15), (r >> 4) & 255, 1 + ((r >> 12) % 254));
			sc.taken = 0;
			sim_store_each(s, sim_kind_find("", "services"), NULL,
				       ip_taken, &sc);
			if (!sc.taken)
				break;
		}
		json_object_set_new(spec, "clusterIP", json_string(sc.ip));
		ip = json_string_value(json_object_get(spec, "clusterIP"));
	}
	dflt(spec, "clusterIPs", json_pack("[s]", ip));
	dflt(spec, "type", json_string("ClusterIP"));
	dflt(spec, "sessionAffinity", json_string("None"));
	dflt(spec, "ipFamilies", json_pack("[s]", "IPv4"));
	dflt(spec, "ipFamilyPolicy", json_string("SingleStack"));
	json_t *status = child(obj, "status");
	dflt(status, "loadBalancer", json_object());
}

static void namespace_defaults(struct sim *s, json_t *obj)
{
	(void)s;
	json_t *spec = child(obj, "spec");
	dflt(spec, "finalizers", json_pack("[s]", "kubernetes"));
	json_t *status = child(obj, "status");
	dflt(status, "phase", json_string("Active"));
}

static void secret_defaults(struct sim *s, json_t *obj)
{
	(void)s;
	dflt(obj, "type", json_string("Opaque"));
}

static const struct {
	const char *group, *kind;
	void (*fn)(struct sim *s, json_t *obj);
} defaulters[] = {
	{ "", "Pod", pod_defaults },
	{ "", "Service", service_defaults },
	{ "", "Namespace", namespace_defaults },
	{ "", "Secret", secret_defaults },
	{ "apps", "Deployment", deployment_defaults },
	{ "apps", "ReplicaSet", replicaset_defaults },
	{ "batch", "Job", job_defaults },
	{ NULL, NULL, NULL },
};

/* Fill the real server's create-time defaults for kind k. */
void sim_defaults_apply(struct sim *s, const struct sim_kind *k, json_t *obj)
{
	for (size_t i = 0; defaulters[i].kind; i++)
		if (strcmp(defaulters[i].group, k->group) == 0 &&
		    strcmp(defaulters[i].kind, k->kind) == 0)
			defaulters[i].fn(s, obj);
}

/* Rebuild obj with the keys named first, in that order, then the rest. */
static void reorder(json_t *obj, const char *const *first)
{
	if (!json_is_object(obj))
		return;
	json_t *n = json_object();
	for (const char *const *k = first; *k; k++) {
		json_t *v = json_object_get(obj, *k);
		if (v)
			json_object_set(n, *k, v);
	}
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v)
	{
		if (!json_object_get(n, key))
			json_object_set(n, key, v);
	}
	json_object_clear(obj);
	json_object_update(obj, n);
	json_decref(n);
}

/* Reorder keys as the real server writes them, in place. */
void sim_canonical_order(json_t *obj)
{
	static const char *const top[] = { "kind", "apiVersion", "metadata", NULL };
	static const char *const meta[] = {
		"name", "generateName", "namespace", "selfLink", "uid",
		"resourceVersion", "generation", "creationTimestamp",
		"deletionTimestamp", "deletionGracePeriodSeconds", "labels",
		"annotations", "ownerReferences", "finalizers", "managedFields",
		NULL
	};
	reorder(obj, top);
	reorder(json_object_get(obj, "metadata"), meta);
}
