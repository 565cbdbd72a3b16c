/*
 * resources.c - the table of kinds Podium knows, how kubectl names them,
 * their REST paths, the columns kubectl prints for them (from
 * kubectl's printers.go), and the projection of an object into the slim
 * struct kube_obj that the rest of Podium sees. The server's Table form,
 * when it sends one, takes precedence over the kind's own columns.
 */
#define _POSIX_C_SOURCE 200809L
#include "kube/kube.h"

#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- reading json ---- */

/* The value at a path of object keys (NULL-terminated), or NULL. */
static json_t *jget(const json_t *o, ...)
{
	va_list ap;
	va_start(ap, o);
	const json_t *cur = o;
	const char *key;
	while (cur && (key = va_arg(ap, const char *)))
		cur = json_object_get(cur, key);
	va_end(ap);
	return (json_t *)cur;
}

static const char *jstr(const json_t *v)
{
	const char *s = json_string_value(v);
	return s ? s : "";
}

static long long jint(const json_t *v)
{
	return json_is_integer(v) ? json_integer_value(v) : 0;
}

/* A new sanitised copy of s (a cell); "<none>" when empty and none set. */
static char *cell(const char *s, int none)
{
	if (!s || !*s)
		return xstrdup(none ? "<none>" : "");
	return sanitize_text(s, strlen(s), 0);
}

static char *cellf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *cellf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	char *c = sanitize_text(s, strlen(s), 0);
	free(s);
	return c;
}

static char *age(const json_t *ts, long long now)
{
	long long t;
	if (kube_parse_time(json_string_value(ts), &t) < 0)
		return xstrdup("<unknown>");
	char buf[32];
	kube_human_duration(now - t, buf, sizeof buf);
	return xstrdup(buf);
}

static char *creation_age(const json_t *o, long long now)
{
	return age(jget(o, "metadata", "creationTimestamp", NULL), now);
}

/* Container names or images of a pod template spec, comma separated. */
static char *containers(const json_t *spec, const char *field)
{
	struct dbuf b;
	dbuf_init(&b, 0);
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(spec, "containers"), i, c)
		dbuf_printf(&b, "%s%s", i ? "," : "", jstr(json_object_get(c, field)));
	char *s = cell(b.p, 1);
	dbuf_free(&b);
	return s;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* metav1.FormatLabelSelector: requirements sorted by key. */
static char *selector(const json_t *sel)
{
	if (!json_is_object(sel))
		return xstrdup("<none>");
	size_t n = json_object_size(json_object_get(sel, "matchLabels")) +
		   json_array_size(json_object_get(sel, "matchExpressions"));
	char **req = xcalloc(n + 1, sizeof *req);
	size_t k = 0;
	const char *key;
	json_t *v;
	json_object_foreach(json_object_get(sel, "matchLabels"), key, v)
		req[k++] = xasprintf("%s=%s", key, jstr(v));
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(sel, "matchExpressions"), i, x) {
		const char *op = jstr(json_object_get(x, "operator"));
		const char *xk = jstr(json_object_get(x, "key"));
		struct dbuf vals;
		dbuf_init(&vals, 0);
		size_t j;
		json_t *s;
		json_array_foreach(json_object_get(x, "values"), j, s)
			dbuf_printf(&vals, "%s%s", j ? "," : "", jstr(s));
		if (strcmp(op, "In") == 0)
			req[k++] = xasprintf("%s in (%s)", xk, vals.p ? vals.p : "");
		else if (strcmp(op, "NotIn") == 0)
			req[k++] = xasprintf("%s notin (%s)", xk, vals.p ? vals.p : "");
		else if (strcmp(op, "Exists") == 0)
			req[k++] = xstrdup(xk);
		else
			req[k++] = xasprintf("!%s", xk);
		dbuf_free(&vals);
	}
	qsort(req, k, sizeof *req, cmp_str);
	struct dbuf b;
	dbuf_init(&b, 0);
	for (i = 0; i < k; i++) {
		dbuf_printf(&b, "%s%s", i ? "," : "", req[i]);
		free(req[i]);
	}
	free(req);
	char *s = cell(b.p, 1);
	dbuf_free(&b);
	return s;
}

/* ---- projections, one per kind (kubectl's printers.go) ---- */

static int pod_ready_condition(const json_t *pod)
{
	size_t i;
	json_t *c;
	json_array_foreach(jget(pod, "status", "conditions", NULL), i, c)
		if (strcmp(jstr(json_object_get(c, "type")), "Ready") == 0 &&
		    strcmp(jstr(json_object_get(c, "status")), "True") == 0)
			return 1;
	return 0;
}

/* printPod: READY STATUS RESTARTS AGE | IP NODE NOMINATED-NODE READINESS-GATES */
static void project_pod(const json_t *pod, long long now, char **cols)
{
	const json_t *st = json_object_get(pod, "status");
	char reason[256];
	snprintf(reason, sizeof reason, "%s", jstr(json_object_get(st, "phase")));
	if (*jstr(json_object_get(st, "reason")))
		snprintf(reason, sizeof reason, "%s", jstr(json_object_get(st, "reason")));
	long long restarts = 0;
	int ready = 0, initializing = 0;
	size_t total = json_array_size(jget(pod, "spec", "containers", NULL));
	size_t ninit = json_array_size(jget(pod, "spec", "initContainers", NULL));
	const json_t *inits = json_object_get(st, "initContainerStatuses");
	for (size_t i = 0; i < json_array_size(inits); i++) {
		const json_t *c = json_array_get(inits, i);
		restarts += jint(json_object_get(c, "restartCount"));
		const json_t *term = jget(c, "state", "terminated", NULL);
		const json_t *wait = jget(c, "state", "waiting", NULL);
		if (term && jint(json_object_get(term, "exitCode")) == 0)
			continue;
		if (term) {
			const char *r = jstr(json_object_get(term, "reason"));
			if (*r)
				snprintf(reason, sizeof reason, "Init:%s", r);
			else if (jint(json_object_get(term, "signal")))
				snprintf(reason, sizeof reason, "Init:Signal:%lld", jint(json_object_get(term, "signal")));
			else
				snprintf(reason, sizeof reason, "Init:ExitCode:%lld", jint(json_object_get(term, "exitCode")));
		} else if (wait && *jstr(json_object_get(wait, "reason")) &&
			   strcmp(jstr(json_object_get(wait, "reason")), "PodInitializing") != 0) {
			snprintf(reason, sizeof reason, "Init:%s", jstr(json_object_get(wait, "reason")));
		} else {
			snprintf(reason, sizeof reason, "Init:%zu/%zu", i, ninit);
		}
		initializing = 1;
		break;
	}
	if (!initializing) {
		restarts = 0;
		int running = 0;
		const json_t *cs = json_object_get(st, "containerStatuses");
		for (size_t i = json_array_size(cs); i-- > 0;) {
			const json_t *c = json_array_get(cs, i);
			restarts += jint(json_object_get(c, "restartCount"));
			const json_t *wait = jget(c, "state", "waiting", NULL);
			const json_t *term = jget(c, "state", "terminated", NULL);
			if (wait && *jstr(json_object_get(wait, "reason")))
				snprintf(reason, sizeof reason, "%s", jstr(json_object_get(wait, "reason")));
			else if (term && *jstr(json_object_get(term, "reason")))
				snprintf(reason, sizeof reason, "%s", jstr(json_object_get(term, "reason")));
			else if (term && jint(json_object_get(term, "signal")))
				snprintf(reason, sizeof reason, "Signal:%lld", jint(json_object_get(term, "signal")));
			else if (term)
				snprintf(reason, sizeof reason, "ExitCode:%lld", jint(json_object_get(term, "exitCode")));
			else if (json_is_true(json_object_get(c, "ready")) && jget(c, "state", "running", NULL)) {
				running = 1;
				ready++;
			}
		}
		if (strcmp(reason, "Completed") == 0 && running)
			snprintf(reason, sizeof reason, "%s", pod_ready_condition(pod) ? "Running" : "NotReady");
	}
	if (jget(pod, "metadata", "deletionTimestamp", NULL))
		snprintf(reason, sizeof reason, "%s",
			 strcmp(jstr(json_object_get(st, "reason")), "NodeLost") == 0 ? "Unknown" : "Terminating");
	cols[1] = cellf("%d/%zu", ready, total);
	cols[2] = cell(reason, 0);
	cols[3] = cellf("%lld", restarts);
	cols[4] = creation_age(pod, now);
	cols[5] = cell(jstr(json_object_get(st, "podIP")), 1);
	cols[6] = cell(jstr(jget(pod, "spec", "nodeName", NULL)), 1);
	cols[7] = cell(jstr(json_object_get(st, "nominatedNodeName")), 1);
	size_t gates = json_array_size(jget(pod, "spec", "readinessGates", NULL));
	if (gates) {
		size_t ok = 0;
		const json_t *conds = json_object_get(st, "conditions");
		for (size_t g = 0; g < gates; g++) {
			const char *type = jstr(jget(json_array_get(jget(pod, "spec", "readinessGates", NULL), g),
						     "conditionType", NULL));
			for (size_t i = 0; i < json_array_size(conds); i++) {
				const json_t *c = json_array_get(conds, i);
				if (strcmp(jstr(json_object_get(c, "type")), type) == 0 &&
				    strcmp(jstr(json_object_get(c, "status")), "True") == 0)
					ok++;
			}
		}
		cols[8] = cellf("%zu/%zu", ok, gates);
	} else {
		cols[8] = xstrdup("<none>");
	}
}

/* printDeployment: READY UP-TO-DATE AVAILABLE AGE | CONTAINERS IMAGES SELECTOR */
static void project_deployment(const json_t *d, long long now, char **cols)
{
	const json_t *st = json_object_get(d, "status");
	cols[1] = cellf("%lld/%lld", jint(json_object_get(st, "readyReplicas")),
			jint(jget(d, "spec", "replicas", NULL)));
	cols[2] = cellf("%lld", jint(json_object_get(st, "updatedReplicas")));
	cols[3] = cellf("%lld", jint(json_object_get(st, "availableReplicas")));
	cols[4] = creation_age(d, now);
	const json_t *spec = jget(d, "spec", "template", "spec", NULL);
	cols[5] = containers(spec, "name");
	cols[6] = containers(spec, "image");
	cols[7] = selector(jget(d, "spec", "selector", NULL));
}

/* `podium get models`: a Deployment as a model server. The checksum's
 * first 12 hex digits (from the annotation, which holds all 64, else the
 * label's 32), the rollout revision the Deployment controller writes, and
 * the images. MODEL SHA256 READY REVISION IMAGE AGE | SELECTOR */
static void project_model(const json_t *d, long long now, char **cols)
{
	const char *sha = jstr(jget(d, "metadata", "annotations", "podium.dev/model-sha256", NULL));
	if (!*sha)
		sha = jstr(jget(d, "metadata", "labels", "podium.dev/model-sha256", NULL));
	cols[1] = cell(jstr(jget(d, "metadata", "labels", "podium.dev/model", NULL)), 1);
	cols[2] = *sha ? cellf("%.12s", sha) : xstrdup("<none>");
	cols[3] = cellf("%lld/%lld", jint(jget(d, "status", "readyReplicas", NULL)),
			jint(jget(d, "spec", "replicas", NULL)));
	cols[4] = cell(jstr(jget(d, "metadata", "annotations", "deployment.kubernetes.io/revision", NULL)), 1);
	cols[5] = containers(jget(d, "spec", "template", "spec", NULL), "image");
	cols[6] = creation_age(d, now);
	cols[7] = selector(jget(d, "spec", "selector", NULL));
}

/* printReplicaSet: DESIRED CURRENT READY AGE | CONTAINERS IMAGES SELECTOR */
static void project_replicaset(const json_t *r, long long now, char **cols)
{
	cols[1] = cellf("%lld", jint(jget(r, "spec", "replicas", NULL)));
	cols[2] = cellf("%lld", jint(jget(r, "status", "replicas", NULL)));
	cols[3] = cellf("%lld", jint(jget(r, "status", "readyReplicas", NULL)));
	cols[4] = creation_age(r, now);
	const json_t *spec = jget(r, "spec", "template", "spec", NULL);
	cols[5] = containers(spec, "name");
	cols[6] = containers(spec, "image");
	cols[7] = selector(jget(r, "spec", "selector", NULL));
}

static void join_strings(struct dbuf *b, const json_t *arr)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
		dbuf_printf(b, "%s%s", b->len ? "," : "", jstr(v));
}

/* printService: TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE | SELECTOR */
static void project_service(const json_t *s, long long now, char **cols)
{
	const json_t *spec = json_object_get(s, "spec");
	const char *type = jstr(json_object_get(spec, "type"));
	cols[1] = cell(type, 0);
	cols[2] = cell(jstr(json_object_get(spec, "clusterIP")), 1);
	struct dbuf b;
	dbuf_init(&b, 0);
	if (strcmp(type, "ExternalName") == 0) {
		dbuf_puts(&b, jstr(json_object_get(spec, "externalName")));
	} else if (strcmp(type, "LoadBalancer") == 0) {
		size_t i;
		json_t *ing;
		json_array_foreach(jget(s, "status", "loadBalancer", "ingress", NULL), i, ing) {
			const char *v = *jstr(json_object_get(ing, "ip")) ? jstr(json_object_get(ing, "ip"))
									   : jstr(json_object_get(ing, "hostname"));
			dbuf_printf(&b, "%s%s", b.len ? "," : "", v);
		}
		join_strings(&b, json_object_get(spec, "externalIPs"));
		if (!b.len)
			dbuf_puts(&b, "<pending>");
	} else {
		join_strings(&b, json_object_get(spec, "externalIPs"));
	}
	cols[3] = cell(b.p, 1);
	dbuf_reset(&b);
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(spec, "ports"), i, p) {
		const char *proto = *jstr(json_object_get(p, "protocol")) ? jstr(json_object_get(p, "protocol")) : "TCP";
		if (jint(json_object_get(p, "nodePort")))
			dbuf_printf(&b, "%s%lld:%lld/%s", i ? "," : "", jint(json_object_get(p, "port")),
				    jint(json_object_get(p, "nodePort")), proto);
		else
			dbuf_printf(&b, "%s%lld/%s", i ? "," : "", jint(json_object_get(p, "port")), proto);
	}
	cols[4] = cell(b.p, 1);
	dbuf_free(&b);
	cols[5] = creation_age(s, now);
	/* The selector of a Service is a plain map: sorted k=v. */
	json_t *sel = json_object_get(spec, "selector");
	if (json_object_size(sel)) {
		json_t *wrapped = json_pack("{s:O}", "matchLabels", sel);
		cols[6] = selector(wrapped);
		json_decref(wrapped);
	} else {
		cols[6] = xstrdup("<none>");
	}
}

/* When an event was last seen: lastTimestamp, else eventTime, else
 * firstTimestamp, else its creation. */
static const json_t *event_last_seen(const json_t *ev)
{
	const json_t *ts = json_object_get(ev, "lastTimestamp");
	if (!json_is_string(ts))
		ts = json_object_get(ev, "eventTime");
	if (!json_is_string(ts))
		ts = json_object_get(ev, "firstTimestamp");
	if (!json_is_string(ts))
		ts = jget(ev, "metadata", "creationTimestamp", NULL);
	return ts;
}

static long long event_when(const json_t *ev)
{
	long long t;
	return kube_parse_time(json_string_value(event_last_seen(ev)), &t) == 0 ? t : 0;
}

/* kubectl get events: LAST SEEN TYPE REASON OBJECT MESSAGE */
static void project_event(const json_t *ev, long long now, char **cols)
{
	cols[1] = age(event_last_seen(ev), now);
	cols[2] = cell(jstr(json_object_get(ev, "type")), 0);
	cols[3] = cell(jstr(json_object_get(ev, "reason")), 0);
	char kind[128];
	snprintf(kind, sizeof kind, "%s", jstr(jget(ev, "involvedObject", "kind", NULL)));
	for (char *c = kind; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	cols[4] = cellf("%s/%s", kind, jstr(jget(ev, "involvedObject", "name", NULL)));
	const char *msg = jstr(json_object_get(ev, "message"));
	size_t n = strcspn(msg, "\n");
	char *first = xstrndup(msg, n);
	cols[5] = cell(first, 0);
	free(first);
}

/* printJob: COMPLETIONS DURATION AGE | CONTAINERS IMAGES SELECTOR */
static void project_job(const json_t *j, long long now, char **cols)
{
	long long succeeded = jint(jget(j, "status", "succeeded", NULL));
	const json_t *completions = jget(j, "spec", "completions", NULL);
	long long par = jint(jget(j, "spec", "parallelism", NULL));
	if (json_is_integer(completions))
		cols[1] = cellf("%lld/%lld", succeeded, jint(completions));
	else if (par > 1)
		cols[1] = cellf("%lld/1 of %lld", succeeded, par);
	else
		cols[1] = cellf("%lld/1", succeeded);
	long long start, end;
	if (kube_parse_time(json_string_value(jget(j, "status", "startTime", NULL)), &start) == 0) {
		if (kube_parse_time(json_string_value(jget(j, "status", "completionTime", NULL)), &end) < 0)
			end = now;
		char buf[32];
		kube_human_duration(end - start, buf, sizeof buf);
		cols[2] = xstrdup(buf);
	} else {
		cols[2] = xstrdup("");
	}
	cols[3] = creation_age(j, now);
	const json_t *spec = jget(j, "spec", "template", "spec", NULL);
	cols[4] = containers(spec, "name");
	cols[5] = containers(spec, "image");
	cols[6] = selector(jget(j, "spec", "selector", NULL));
}

static void project_namespace(const json_t *n, long long now, char **cols)
{
	cols[1] = cell(jstr(jget(n, "status", "phase", NULL)), 0);
	cols[2] = creation_age(n, now);
}

static void project_configmap(const json_t *c, long long now, char **cols)
{
	cols[1] = cellf("%zu", json_object_size(json_object_get(c, "data")) +
				       json_object_size(json_object_get(c, "binaryData")));
	cols[2] = creation_age(c, now);
}

/* Secrets: names, type and how many keys; the values are never read. */
static void project_secret(const json_t *s, long long now, char **cols)
{
	cols[1] = cell(jstr(json_object_get(s, "type")), 0);
	cols[2] = cellf("%zu", json_object_size(json_object_get(s, "data")));
	cols[3] = creation_age(s, now);
}

/* printNode: STATUS ROLES AGE VERSION | INTERNAL-IP EXTERNAL-IP OS-IMAGE
 * KERNEL-VERSION CONTAINER-RUNTIME */
static void project_node(const json_t *n, long long now, char **cols)
{
	const char *ready = "Unknown";
	size_t i;
	json_t *c;
	json_array_foreach(jget(n, "status", "conditions", NULL), i, c)
		if (strcmp(jstr(json_object_get(c, "type")), "Ready") == 0)
			ready = strcmp(jstr(json_object_get(c, "status")), "True") == 0 ? "Ready" : "NotReady";
	cols[1] = json_is_true(jget(n, "spec", "unschedulable", NULL)) ? cellf("%s,SchedulingDisabled", ready)
									 : xstrdup(ready);
	/* roles: node-role.kubernetes.io/ROLE labels and kubernetes.io/role */
	const char *key;
	json_t *v;
	char *roles[64];
	size_t nr = 0;
	json_object_foreach(jget(n, "metadata", "labels", NULL), key, v) {
		if (nr == 64)
			break;
		if (strncmp(key, "node-role.kubernetes.io/", 24) == 0 && key[24])
			roles[nr++] = xstrdup(key + 24);
		else if (strcmp(key, "kubernetes.io/role") == 0 && *jstr(v))
			roles[nr++] = xstrdup(jstr(v));
	}
	qsort(roles, nr, sizeof *roles, cmp_str);
	struct dbuf b;
	dbuf_init(&b, 0);
	for (i = 0; i < nr; i++) {
		dbuf_printf(&b, "%s%s", i ? "," : "", roles[i]);
		free(roles[i]);
	}
	cols[2] = cell(b.p, 1);
	dbuf_free(&b);
	cols[3] = creation_age(n, now);
	cols[4] = cell(jstr(jget(n, "status", "nodeInfo", "kubeletVersion", NULL)), 0);
	const char *internal = "", *external = "";
	json_array_foreach(jget(n, "status", "addresses", NULL), i, c) {
		if (strcmp(jstr(json_object_get(c, "type")), "InternalIP") == 0 && !*internal)
			internal = jstr(json_object_get(c, "address"));
		if (strcmp(jstr(json_object_get(c, "type")), "ExternalIP") == 0 && !*external)
			external = jstr(json_object_get(c, "address"));
	}
	cols[5] = cell(internal, 1);
	cols[6] = cell(external, 1);
	const json_t *info = jget(n, "status", "nodeInfo", NULL);
	cols[7] = cell(jstr(json_object_get(info, "osImage")), 1);
	cols[8] = cell(jstr(json_object_get(info, "kernelVersion")), 1);
	cols[9] = cell(jstr(json_object_get(info, "containerRuntimeVersion")), 1);
}

/* ---- the table ---- */

static const struct kube_column pod_cols[] = {
	{ "NAME", 0 }, { "READY", 0 }, { "STATUS", 0 }, { "RESTARTS", 0 }, { "AGE", 0 },
	{ "IP", 1 }, { "NODE", 1 }, { "NOMINATED NODE", 1 }, { "READINESS GATES", 1 }, { NULL, 0 },
};
static const struct kube_column deploy_cols[] = {
	{ "NAME", 0 }, { "READY", 0 }, { "UP-TO-DATE", 0 }, { "AVAILABLE", 0 }, { "AGE", 0 },
	{ "CONTAINERS", 1 }, { "IMAGES", 1 }, { "SELECTOR", 1 }, { NULL, 0 },
};
static const struct kube_column model_cols[] = {
	{ "NAME", 0 }, { "MODEL", 0 }, { "SHA256", 0 }, { "READY", 0 }, { "REVISION", 0 },
	{ "IMAGE", 0 }, { "AGE", 0 }, { "SELECTOR", 1 }, { NULL, 0 },
};
static const struct kube_column rs_cols[] = {
	{ "NAME", 0 }, { "DESIRED", 0 }, { "CURRENT", 0 }, { "READY", 0 }, { "AGE", 0 },
	{ "CONTAINERS", 1 }, { "IMAGES", 1 }, { "SELECTOR", 1 }, { NULL, 0 },
};
static const struct kube_column svc_cols[] = {
	{ "NAME", 0 }, { "TYPE", 0 }, { "CLUSTER-IP", 0 }, { "EXTERNAL-IP", 0 }, { "PORT(S)", 0 },
	{ "AGE", 0 }, { "SELECTOR", 1 }, { NULL, 0 },
};
/* kubectl get events puts no NAME column first; the object name is kept
 * in kube_obj.name and the printer skips column 0 for events. */
static const struct kube_column event_cols[] = {
	{ "NAME", 0 }, { "LAST SEEN", 0 }, { "TYPE", 0 }, { "REASON", 0 }, { "OBJECT", 0 },
	{ "MESSAGE", 0 }, { NULL, 0 },
};
static const struct kube_column job_cols[] = {
	{ "NAME", 0 }, { "COMPLETIONS", 0 }, { "DURATION", 0 }, { "AGE", 0 },
	{ "CONTAINERS", 1 }, { "IMAGES", 1 }, { "SELECTOR", 1 }, { NULL, 0 },
};
static const struct kube_column ns_cols[] = {
	{ "NAME", 0 }, { "STATUS", 0 }, { "AGE", 0 }, { NULL, 0 },
};
static const struct kube_column cm_cols[] = {
	{ "NAME", 0 }, { "DATA", 0 }, { "AGE", 0 }, { NULL, 0 },
};
static const struct kube_column secret_cols[] = {
	{ "NAME", 0 }, { "TYPE", 0 }, { "DATA", 0 }, { "AGE", 0 }, { NULL, 0 },
};
static const struct kube_column node_cols[] = {
	{ "NAME", 0 }, { "STATUS", 0 }, { "ROLES", 0 }, { "AGE", 0 }, { "VERSION", 0 },
	{ "INTERNAL-IP", 1 }, { "EXTERNAL-IP", 1 }, { "OS-IMAGE", 1 }, { "KERNEL-VERSION", 1 },
	{ "CONTAINER-RUNTIME", 1 }, { NULL, 0 },
};

const struct kube_kind kube_kinds[] = {
	{ "Pod", "", "v1", "pods", "pod", "po", 1, pod_cols, project_pod, 0, NULL, NULL },
	{ "Deployment", "apps", "v1", "deployments", "deployment", "deploy", 1, deploy_cols, project_deployment, 0, NULL, NULL },
	{ "ReplicaSet", "apps", "v1", "replicasets", "replicaset", "rs", 1, rs_cols, project_replicaset, 0, NULL, NULL },
	{ "Service", "", "v1", "services", "service", "svc", 1, svc_cols, project_service, 0, NULL, NULL },
	{ "Event", "", "v1", "events", "event", "ev", 1, event_cols, project_event, 1, event_when, NULL },
	{ "Job", "batch", "v1", "jobs", "job", "", 1, job_cols, project_job, 0, NULL, NULL },
	{ "Namespace", "", "v1", "namespaces", "namespace", "ns", 0, ns_cols, project_namespace, 0, NULL, NULL },
	{ "ConfigMap", "", "v1", "configmaps", "configmap", "cm", 1, cm_cols, project_configmap, 0, NULL, NULL },
	{ "Secret", "", "v1", "secrets", "secret", "", 1, secret_cols, project_secret, 0, NULL, NULL },
	{ "Node", "", "v1", "nodes", "node", "no", 0, node_cols, project_node, 0, NULL, NULL },
	/* An alias over deployments: found by "models" after the Deployment
	 * entry has answered "deployments". */
	{ "Deployment", "apps", "v1", "deployments", "deployment", "models,model", 1, model_cols,
	  project_model, 0, NULL, "podium.dev/model" },
	{ NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, 0, NULL, NULL },
};

char *kube_kind_selector(const struct kube_kind *k, const char *user)
{
	const char *own = k ? k->selector : NULL;
	if (own && user && *user)
		return xasprintf("%s,%s", own, user);
	if (own)
		return xstrdup(own);
	return user && *user ? xstrdup(user) : NULL;
}

size_t kube_kind_ncols(const struct kube_kind *k)
{
	size_t n = 0;
	while (k->columns[n].name)
		n++;
	return n;
}

static int kind_has_short(const struct kube_kind *k, const char *name)
{
	const char *p = k->short_names;
	size_t n = strlen(name);
	while (p && *p) {
		size_t len = strcspn(p, ",");
		if (len == n && strncasecmp(p, name, n) == 0)
			return 1;
		p += len + (p[len] == ',');
	}
	return 0;
}

const struct kube_kind *kube_kind_find(const char *name)
{
	if (!name || !*name)
		return NULL;
	/* RESOURCE[.VERSION][.GROUP]: deployments.apps, deployments.v1.apps */
	const char *dot = strchr(name, '.');
	size_t base = dot ? (size_t)(dot - name) : strlen(name);
	char b[128];
	if (base >= sizeof b)
		return NULL;
	memcpy(b, name, base);
	b[base] = '\0';
	const char *qual = dot ? dot + 1 : NULL;
	for (const struct kube_kind *k = kube_kinds; k->kind; k++) {
		if (strcasecmp(b, k->plural) != 0 && strcasecmp(b, k->singular) != 0 &&
		    strcasecmp(b, k->kind) != 0 && !kind_has_short(k, b))
			continue;
		if (!qual)
			return k;
		char vg[128];
		snprintf(vg, sizeof vg, "%s.%s", k->version, k->group);
		if (strcmp(qual, k->group) == 0 || strcmp(qual, vg) == 0 ||
		    (!*k->group && strcmp(qual, k->version) == 0))
			return k;
	}
	return NULL;
}

const char *kube_kind_api_version(const struct kube_kind *k, char *buf, size_t n)
{
	if (*k->group)
		snprintf(buf, n, "%s/%s", k->group, k->version);
	else
		snprintf(buf, n, "%s", k->version);
	return buf;
}

const char *kube_kind_resource(const struct kube_kind *k, char *buf, size_t n)
{
	if (*k->group)
		snprintf(buf, n, "%s.%s", k->plural, k->group);
	else
		snprintf(buf, n, "%s", k->plural);
	return buf;
}

char *kube_kind_path(const struct kube_kind *k, const char *ns, const char *name)
{
	struct dbuf b;
	dbuf_init(&b, 0);
	if (*k->group)
		dbuf_printf(&b, "/apis/%s/%s", k->group, k->version);
	else
		dbuf_printf(&b, "/api/%s", k->version);
	if (k->namespaced && ns && *ns) {
		char *e = kube_query_escape(ns);
		dbuf_printf(&b, "/namespaces/%s", e);
		free(e);
	}
	dbuf_printf(&b, "/%s", k->plural);
	if (name) {
		char *e = kube_query_escape(name);
		dbuf_printf(&b, "/%s", e);
		free(e);
	}
	return dbuf_take(&b);
}

/* ---- objects ---- */

void kube_obj_clear(struct kube_obj *o)
{
	if (!o)
		return;
	free(o->name);
	free(o->namespace);
	free(o->uid);
	free(o->resource_version);
	for (size_t i = 0; i < o->nlabels; i++) {
		free(o->labels[i].key);
		free(o->labels[i].value);
	}
	free(o->labels);
	for (size_t i = 0; i < o->ncols; i++)
		free(o->cols[i]);
	free(o->cols);
	memset(o, 0, sizeof *o);
}

/* name, namespace, uid, resourceVersion, labels, creation time. */
static int obj_metadata(const json_t *meta, struct kube_obj *o)
{
	const char *name = json_string_value(json_object_get(meta, "name"));
	if (!name)
		return -1;
	o->name = cell(name, 0);
	o->namespace = cell(jstr(json_object_get(meta, "namespace")), 0);
	o->uid = cell(jstr(json_object_get(meta, "uid")), 0);
	o->resource_version = cell(jstr(json_object_get(meta, "resourceVersion")), 0);
	if (kube_parse_time(json_string_value(json_object_get(meta, "creationTimestamp")), &o->created) < 0)
		o->created = 0;
	o->deleting = json_object_get(meta, "deletionTimestamp") != NULL;
	const json_t *labels = json_object_get(meta, "labels");
	if (json_object_size(labels)) {
		o->labels = xcalloc(json_object_size(labels), sizeof *o->labels);
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)labels, k, v) {
			o->labels[o->nlabels].key = cell(k, 0);
			o->labels[o->nlabels].value = cell(jstr(v), 0);
			o->nlabels++;
		}
	}
	return 0;
}

int kube_obj_project(const struct kube_kind *k, const struct json_t *obj, long long now,
		     struct kube_obj *out)
{
	memset(out, 0, sizeof *out);
	if (!json_is_object(obj) || obj_metadata(json_object_get(obj, "metadata"), out) < 0) {
		kube_obj_clear(out);
		return -1;
	}
	out->ncols = kube_kind_ncols(k);
	out->cols = xcalloc(out->ncols, sizeof *out->cols);
	out->cols[0] = xstrdup(out->name);
	k->project(obj, now, out->cols);
	out->time = k->when ? k->when(obj) : out->created;
	for (size_t i = 0; i < out->ncols; i++) /* a projection left a cell out */
		if (!out->cols[i])
			out->cols[i] = xstrdup("");
	return 0;
}

void kube_table_clear(struct kube_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->ncols; i++)
		free(t->headers[i]);
	free(t->headers);
	free(t->wide);
	for (size_t i = 0; i < t->nrows; i++)
		kube_obj_clear(&t->rows[i]);
	free(t->rows);
	free(t->resource_version);
	free(t->continue_token);
	memset(t, 0, sizeof *t);
}

/* A Table cell as kubectl's table printer shows it (%v). */
static char *table_cell(const json_t *v)
{
	if (json_is_string(v)) {
		/* multi-line strings show their first line and "..." */
		const char *s = json_string_value(v);
		size_t n = strcspn(s, "\n");
		if (s[n]) {
			char *first = xasprintf("%.*s...", (int)n, s);
			char *c = cell(first, 0);
			free(first);
			return c;
		}
		return cell(s, 0);
	}
	if (json_is_integer(v))
		return xasprintf("%lld", (long long)json_integer_value(v));
	if (json_is_real(v))
		return xasprintf("%g", json_real_value(v));
	if (json_is_boolean(v))
		return xstrdup(json_is_true(v) ? "true" : "false");
	if (!v || json_is_null(v))
		return xstrdup("");
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	char *c = cell(s, 0);
	free(s);
	return c;
}

static void table_set_headers(struct kube_table *t, size_t n)
{
	t->ncols = n;
	t->headers = xcalloc(n, sizeof *t->headers);
	t->wide = xcalloc(n, sizeof *t->wide);
}

static int table_from_server(const struct kube_kind *k, const json_t *root, struct kube_table *t,
			     struct perr *e)
{
	const json_t *defs = json_object_get(root, "columnDefinitions");
	size_t n = json_array_size(defs);
	if (!n) {
		perr_set(e, "the server's Table for %s has no columns", k->plural);
		return -1;
	}
	if (!t->headers) {
		table_set_headers(t, n);
		for (size_t i = 0; i < n; i++) {
			const json_t *d = json_array_get(defs, i);
			char *h = cell(jstr(json_object_get(d, "name")), 0);
			for (char *c = h; *c; c++)
				*c = (char)toupper((unsigned char)*c);
			t->headers[i] = h;
			t->wide[i] = jint(json_object_get(d, "priority")) > 0;
		}
		t->from_server = 1;
	} else if (t->ncols != n || !t->from_server) {
		perr_set(e, "the pages of the %s list have different columns", k->plural);
		return -1;
	}
	const json_t *rows = json_object_get(root, "rows");
	t->rows = xrealloc(t->rows, (t->nrows + json_array_size(rows) + 1) * sizeof *t->rows);
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		struct kube_obj *o = &t->rows[t->nrows];
		memset(o, 0, sizeof *o);
		const json_t *cells = json_object_get(row, "cells");
		if (obj_metadata(jget(row, "object", "metadata", NULL), o) < 0) {
			/* no object metadata: the first cell is the name */
			o->name = table_cell(json_array_get(cells, 0));
			o->namespace = xstrdup("");
			o->uid = xstrdup("");
			o->resource_version = xstrdup("");
		}
		o->time = o->created;
		o->ncols = n;
		o->cols = xcalloc(n, sizeof *o->cols);
		for (size_t c = 0; c < n; c++)
			o->cols[c] = table_cell(json_array_get(cells, c));
		t->nrows++;
	}
	return 0;
}

static int table_from_list(const struct kube_kind *k, const json_t *root, long long now,
			   struct kube_table *t, struct perr *e)
{
	size_t n = kube_kind_ncols(k);
	if (!t->headers) {
		table_set_headers(t, n);
		for (size_t i = 0; i < n; i++) {
			t->headers[i] = xstrdup(k->columns[i].name);
			t->wide[i] = k->columns[i].wide;
		}
	} else if (t->from_server) {
		perr_set(e, "the pages of the %s list have different columns", k->plural);
		return -1;
	}
	const json_t *items = json_object_get(root, "items");
	if (!json_is_array(items)) {
		perr_set(e, "the answer is not a list of %s (no items)", k->plural);
		return -1;
	}
	t->rows = xrealloc(t->rows, (t->nrows + json_array_size(items) + 1) * sizeof *t->rows);
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it)
		if (kube_obj_project(k, it, now, &t->rows[t->nrows]) == 0)
			t->nrows++;
	return 0;
}

int kube_table_parse(const struct kube_kind *k, const char *body, size_t len, long long now,
		     struct kube_table *t, struct perr *e)
{
	json_error_t je;
	json_t *root = json_loadb(body, len, 0, &je);
	if (!json_is_object(root)) {
		perr_set(e, "the server's answer for %s is not JSON (line %d: %s)", k->plural, je.line,
			 root ? "not an object" : je.text);
		json_decref(root);
		return -1;
	}
	t->kind = k;
	int rc;
	if (strcmp(jstr(json_object_get(root, "kind")), "Table") == 0)
		rc = table_from_server(k, root, t, e);
	else
		rc = table_from_list(k, root, now, t, e);
	if (rc == 0) {
		const json_t *meta = json_object_get(root, "metadata");
		free(t->resource_version);
		free(t->continue_token);
		t->resource_version = xstrdup(jstr(json_object_get(meta, "resourceVersion")));
		const char *cont = jstr(json_object_get(meta, "continue"));
		t->continue_token = *cont ? xstrdup(cont) : NULL;
		const json_t *rem = json_object_get(meta, "remainingItemCount");
		t->remaining = json_is_integer(rem) ? json_integer_value(rem) : -1;
	}
	json_decref(root);
	return rc;
}
