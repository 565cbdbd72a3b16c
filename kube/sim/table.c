/*
 * table.c - the meta.k8s.io/v1 Table the real API server returns when a
 * client asks for `application/json;as=Table;v=v1;g=meta.k8s.io` (what
 * `kubectl get` sends): column definitions and one row of cells per
 * object, rendered by the server as pkg/printers/internalversion/printers.go
 * renders them (always the wide set; kubectl hides priority-1 columns
 * unless -o wide), and the AGE cells in duration.HumanDuration's format.
 *
 * Each kind is one entry in `printers`: its columns and a function that
 * renders one object's cells. Kinds without a printer get the server's
 * default table (Name, Created At).
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE 1 /* timegm */
#endif
#include "kube/kube.h"
#include "kube/sim/sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- column descriptions (the swagger docs the real server quotes) ---- */

#define D_NAME                                                                 \
	"Name must be unique within a namespace. Is required when creating "  \
	"resources, although some resources may allow a client to request "   \
	"the generation of an appropriate name automatically. Name is "       \
	"primarily intended for creation idempotence and configuration "      \
	"definition. Cannot be updated. More info: "                          \
	"http://kubernetes.io/docs/user-guide/identifiers#names"
#define D_AGE                                                                  \
	"CreationTimestamp is a timestamp representing the server time when " \
	"this object was created. It is not guaranteed to be set in "         \
	"happens-before order across separate operations. Clients may not "   \
	"set this value. It is represented in RFC3339 form and is in UTC.\n"  \
	"\nPopulated by the system. Read-only. Null for lists. More info: "   \
	"https://git.k8s.io/community/contributors/devel/sig-architecture/"   \
	"api-conventions.md#metadata"
#define D_CONTAINERS "Names of each container in the template."
#define D_IMAGES "Images referenced by each container in the template."

struct column {
	const char *name, *type, *format, *desc;
	int priority;
};

#define COL_NAME { "Name", "string", "name", D_NAME, 0 }
#define COL_AGE { "Age", "string", "", D_AGE, 0 }

/* ---- helpers ------------------------------------------------------------ */

static const char *str_at(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static long long int_at(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* RFC 3339 ("2026-11-28T11:32:09Z", fractions and offsets allowed) to
 * Unix seconds; -1 when absent or malformed. */
static long long parse_time(const char *s)
{
	struct tm tm = { 0 };
	int n = 0;
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
			 &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
			 &n) != 6)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	long long t = (long long)timegm(&tm);
	const char *p = s + n;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	int oh, om;
	if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d", &oh, &om) == 2)
		t -= (*p == '+' ? 1 : -1) * (oh * 3600LL + om * 60LL);
	return t;
}


/* translateTimestampSince: "<unknown>" for a zero time. */
static json_t *since(const char *ts, long long now)
{
	long long t = parse_time(ts);
	char buf[32];
	if (t < 0)
		return json_string("<unknown>");
	kube_human_duration(now - t, buf, sizeof buf);
	return json_string(buf);
}

static json_t *age(const json_t *obj, long long now)
{
	return since(str_at(json_object_get(obj, "metadata"),
			    "creationTimestamp"),
		     now);
}

static const char *name_of(const json_t *obj)
{
	return str_at(json_object_get(obj, "metadata"), "name");
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Keys of a JSON object, sorted (borrowed strings; caller frees array). */
static const char **sorted_keys(const json_t *o, size_t *n)
{
	*n = json_object_size(o);
	const char **keys = xcalloc(*n + 1, sizeof *keys);
	size_t i = 0;
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)o, k, v) keys[i++] = k;
	qsort(keys, *n, sizeof *keys, cmp_str);
	return keys;
}

/* labels.FormatLabels: "a=b,c=d" sorted, "<none>" when empty. */
static json_t *format_labels(const json_t *m)
{
	size_t n;
	const char **keys = sorted_keys(m, &n);
	struct dbuf b;
	dbuf_init(&b, 0);
	for (size_t i = 0; i < n; i++)
		dbuf_printf(&b, "%s%s=%s", i ? "," : "", keys[i],
			    str_at(m, keys[i]));
	free(keys);
	json_t *s = json_string(n ? b.p : "<none>");
	dbuf_free(&b);
	return s;
}

/* metav1.LabelSelectorAsSelector(sel).String(): requirements sorted by
 * key; "" for a nil or empty selector. */
static json_t *format_selector(const json_t *sel)
{
	struct req {
		const char *key;
		char *text;
	} reqs[64];
	size_t nr = 0;
	size_t n;
	const json_t *ml = json_object_get(sel, "matchLabels");
	const char **keys = sorted_keys(ml, &n);
	for (size_t i = 0; i < n && nr < 64; i++, nr++) {
		reqs[nr].key = keys[i];
		reqs[nr].text = xasprintf("%s=%s", keys[i], str_at(ml, keys[i]));
	}
	free(keys);
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(sel, "matchExpressions"), i, r) {
		if (nr >= 64)
			break;
		const char *key = str_at(r, "key");
		const char *op = str_at(r, "operator");
		const json_t *vals = json_object_get(r, "values");
		size_t nv = json_array_size(vals);
		const char **vs = xcalloc(nv + 1, sizeof *vs);
		for (size_t j = 0; j < nv; j++) {
			vs[j] = json_string_value(json_array_get(vals, j));
			if (!vs[j])
				vs[j] = "";
		}
		qsort(vs, nv, sizeof *vs, cmp_str);
		struct dbuf b;
		dbuf_init(&b, 0);
		if (!strcmp(op, "Exists"))
			dbuf_puts(&b, key);
		else if (!strcmp(op, "DoesNotExist"))
			dbuf_printf(&b, "!%s", key);
		else {
			dbuf_printf(&b, "%s %s (", key,
				    strcmp(op, "In") ? "notin" : "in");
			for (size_t j = 0; j < nv; j++)
				dbuf_printf(&b, "%s%s", j ? "," : "", vs[j]);
			dbuf_puts(&b, ")");
		}
		free(vs);
		reqs[nr].key = key;
		reqs[nr].text = dbuf_take(&b);
		nr++;
	}
	/* stable insertion sort by key, as sort.Sort(ByKey) orders them */
	for (size_t a = 1; a < nr; a++)
		for (size_t c = a; c > 0 && strcmp(reqs[c - 1].key, reqs[c].key) > 0;
		     c--) {
			struct req t = reqs[c];
			reqs[c] = reqs[c - 1];
			reqs[c - 1] = t;
		}
	struct dbuf b;
	dbuf_init(&b, 0);
	for (size_t k = 0; k < nr; k++) {
		dbuf_printf(&b, "%s%s", k ? "," : "", reqs[k].text);
		free(reqs[k].text);
	}
	json_t *s = json_string(b.p ? b.p : "");
	dbuf_free(&b);
	return s;
}

/* layoutContainerCells: names and images joined by ",". */
static void container_cells(json_t *cells, const json_t *pod_spec)
{
	struct dbuf names, images;
	dbuf_init(&names, 0);
	dbuf_init(&images, 0);
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(pod_spec, "containers"), i, c) {
		dbuf_printf(&names, "%s%s", i ? "," : "", str_at(c, "name"));
		dbuf_printf(&images, "%s%s", i ? "," : "", str_at(c, "image"));
	}
	json_array_append_new(cells, json_string(names.p ? names.p : ""));
	json_array_append_new(cells, json_string(images.p ? images.p : ""));
	dbuf_free(&names);
	dbuf_free(&images);
}

static const json_t *template_spec(const json_t *obj)
{
	return json_object_get(
		json_object_get(json_object_get(obj, "spec"), "template"),
		"spec");
}

/* ---- pods ------------------------------------------------------------------ */

static const struct column pod_cols[] = {
	COL_NAME,
	{ "Ready", "string", "",
	  "The aggregate readiness state of this pod for accepting traffic.", 0 },
	{ "Status", "string", "",
	  "The aggregate status of the containers in this pod.", 0 },
	{ "Restarts", "integer", "",
	  "The number of times the containers in this pod have been restarted.",
	  0 },
	COL_AGE,
	{ "IP", "string", "",
	  "IP address allocated to the pod. Routable at least within the "
	  "cluster. Empty if not yet allocated.",
	  1 },
	{ "Node", "string", "",
	  "NodeName is a request to schedule this pod onto a specific node. If "
	  "it is non-empty, the scheduler simply schedules this pod onto that "
	  "node, assuming that it fits resource requirements.",
	  1 },
	{ "Nominated Node", "string", "",
	  "nominatedNodeName is set only when this pod preempts other pods on "
	  "the node, but it cannot be scheduled right away as preemption "
	  "victims receive their graceful termination periods. This field does "
	  "not guarantee that the pod will be scheduled on this node. Scheduler "
	  "may decide to place the pod elsewhere if other nodes become "
	  "available sooner. Scheduler may also decide to give the resources on "
	  "this node to a higher priority pod that is created after preemption. "
	  "As a result, this field may be different than PodSpec.nodeName when "
	  "the pod is scheduled.",
	  1 },
	{ "Readiness Gates", "string", "",
	  "If specified, all readiness gates will be evaluated for pod "
	  "readiness. A pod is ready when all its containers are ready AND all "
	  "conditions specified in the readiness gates have status equal to "
	  "\"True\" More info: "
	  "https://git.k8s.io/enhancements/keps/sig-network/"
	  "0007-pod-ready%2B%2B.md",
	  1 },
	{ NULL, NULL, NULL, NULL, 0 },
};

static int has_ready_condition(const json_t *status)
{
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(status, "conditions"), i, c)
		if (!strcmp(str_at(c, "type"), "Ready") &&
		    !strcmp(str_at(c, "status"), "True"))
			return 1;
	return 0;
}

/* printPod: the STATUS reason from init containers, then containers (last
 * first), then Terminating. */
static void pod_row(json_t *row, json_t *cells, const json_t *obj,
		    long long now)
{
	const json_t *spec = json_object_get(obj, "spec");
	const json_t *status = json_object_get(obj, "status");
	const json_t *md = json_object_get(obj, "metadata");
	long long restarts = 0;
	int ready = 0;
	char reason[256];
	snprintf(reason, sizeof reason, "%s",
		 *str_at(status, "reason") ? str_at(status, "reason")
					   : str_at(status, "phase"));
	const char *phase = str_at(status, "phase");
	if (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed")) {
		int ok = !strcmp(phase, "Succeeded");
		json_object_set_new(
			row, "conditions",
			json_pack("[{s:s,s:s,s:s,s:s}]", "type", "Completed",
				  "status", "True", "reason", phase, "message",
				  ok ? "The pod has completed successfully."
				     : "The pod failed."));
	}
	int initializing = 0;
	const json_t *ics = json_object_get(status, "initContainerStatuses");
	size_t n_init = json_array_size(json_object_get(spec, "initContainers"));
	for (size_t i = 0; i < json_array_size(ics); i++) {
		const json_t *c = json_array_get(ics, i);
		const json_t *state = json_object_get(c, "state");
		const json_t *term = json_object_get(state, "terminated");
		const json_t *wait = json_object_get(state, "waiting");
		restarts += int_at(c, "restartCount");
		if (term && int_at(term, "exitCode") == 0)
			continue;
		if (term) {
			if (*str_at(term, "reason"))
				snprintf(reason, sizeof reason, "Init:%s",
					 str_at(term, "reason"));
			else if (int_at(term, "signal"))
				snprintf(reason, sizeof reason, "Init:Signal:%lld",
					 int_at(term, "signal"));
			else
				snprintf(reason, sizeof reason,
					 "Init:ExitCode:%lld",
					 int_at(term, "exitCode"));
		} else if (wait && *str_at(wait, "reason") &&
			   strcmp(str_at(wait, "reason"), "PodInitializing")) {
			snprintf(reason, sizeof reason, "Init:%s",
				 str_at(wait, "reason"));
		} else {
			snprintf(reason, sizeof reason, "Init:%zu/%zu", i, n_init);
		}
		initializing = 1;
		break;
	}
	if (!initializing) {
		restarts = 0;
		int has_running = 0;
		const json_t *cs = json_object_get(status, "containerStatuses");
		for (size_t k = json_array_size(cs); k-- > 0;) {
			const json_t *c = json_array_get(cs, k);
			const json_t *state = json_object_get(c, "state");
			const json_t *term = json_object_get(state, "terminated");
			const json_t *wait = json_object_get(state, "waiting");
			restarts += int_at(c, "restartCount");
			if (wait && *str_at(wait, "reason"))
				snprintf(reason, sizeof reason, "%s",
					 str_at(wait, "reason"));
			else if (term && *str_at(term, "reason"))
				snprintf(reason, sizeof reason, "%s",
					 str_at(term, "reason"));
			else if (term && int_at(term, "signal"))
				snprintf(reason, sizeof reason, "Signal:%lld",
					 int_at(term, "signal"));
			else if (term)
				snprintf(reason, sizeof reason, "ExitCode:%lld",
					 int_at(term, "exitCode"));
			else if (json_is_true(json_object_get(c, "ready")) &&
				 json_object_get(state, "running")) {
				has_running = 1;
				ready++;
			}
		}
		if (!strcmp(reason, "Completed") && has_running)
			snprintf(reason, sizeof reason, "%s",
				 has_ready_condition(status) ? "Running"
							     : "NotReady");
	}
	if (json_object_get(md, "deletionTimestamp"))
		snprintf(reason, sizeof reason, "%s",
			 !strcmp(str_at(status, "reason"), "NodeLost")
				 ? "Unknown"
				 : "Terminating");

	char buf[64];
	snprintf(buf, sizeof buf, "%d/%zu", ready,
		 json_array_size(json_object_get(spec, "containers")));
	json_array_append_new(cells, json_string(name_of(obj)));
	json_array_append_new(cells, json_string(buf));
	json_array_append_new(cells, json_string(reason));
	json_array_append_new(cells, json_integer(restarts));
	json_array_append_new(cells, age(obj, now));

	const char *ip = str_at(json_array_get(json_object_get(status, "podIPs"), 0),
				"ip");
	const char *node = str_at(spec, "nodeName");
	const char *nominated = str_at(status, "nominatedNodeName");
	json_array_append_new(cells, json_string(*ip ? ip : "<none>"));
	json_array_append_new(cells, json_string(*node ? node : "<none>"));
	json_array_append_new(cells,
			      json_string(*nominated ? nominated : "<none>"));
	const json_t *gates = json_object_get(spec, "readinessGates");
	if (json_array_size(gates) == 0) {
		json_array_append_new(cells, json_string("<none>"));
		return;
	}
	int true_conds = 0;
	size_t i;
	json_t *g;
	json_array_foreach(gates, i, g) {
		size_t j;
		json_t *c;
		json_array_foreach(json_object_get(status, "conditions"), j, c) {
			if (!strcmp(str_at(c, "type"), str_at(g, "conditionType"))) {
				if (!strcmp(str_at(c, "status"), "True"))
					true_conds++;
				break;
			}
		}
	}
	snprintf(buf, sizeof buf, "%d/%zu", true_conds, json_array_size(gates));
	json_array_append_new(cells, json_string(buf));
}

/* ---- workloads ------------------------------------------------------------ */

static const struct column deploy_cols[] = {
	COL_NAME,
	{ "Ready", "string", "", "Number of the pod with ready state", 0 },
	{ "Up-to-date", "string", "",
	  "Total number of non-terminated pods targeted by this deployment that "
	  "have the desired template spec.",
	  0 },
	{ "Available", "string", "",
	  "Total number of available pods (ready for at least minReadySeconds) "
	  "targeted by this deployment.",
	  0 },
	COL_AGE,
	{ "Containers", "string", "", D_CONTAINERS, 1 },
	{ "Images", "string", "", D_IMAGES, 1 },
	{ "Selector", "string", "",
	  "Label selector for pods. Existing ReplicaSets whose pods are "
	  "selected by this will be the ones affected by this deployment.",
	  1 },
	{ NULL, NULL, NULL, NULL, 0 },
};

static void deploy_row(json_t *row, json_t *cells, const json_t *obj,
		       long long now)
{
	(void)row;
	const json_t *spec = json_object_get(obj, "spec");
	const json_t *status = json_object_get(obj, "status");
	char buf[64];
	snprintf(buf, sizeof buf, "%lld/%lld", int_at(status, "readyReplicas"),
		 int_at(spec, "replicas"));
	json_array_append_new(cells, json_string(name_of(obj)));
	json_array_append_new(cells, json_string(buf));
	json_array_append_new(cells, json_integer(int_at(status, "updatedReplicas")));
	json_array_append_new(cells,
			      json_integer(int_at(status, "availableReplicas")));
	json_array_append_new(cells, age(obj, now));
	container_cells(cells, template_spec(obj));
	json_array_append_new(cells,
			      format_selector(json_object_get(spec, "selector")));
}

static const struct column rs_cols[] = {
	COL_NAME,
	{ "Desired", "integer", "",
	  "Replicas is the number of desired replicas. This is a pointer to "
	  "distinguish between explicit zero and unspecified. Defaults to 1. "
	  "More info: https://kubernetes.io/docs/concepts/workloads/controllers/"
	  "replicationcontroller/#what-is-a-replicationcontroller",
	  0 },
	{ "Current", "integer", "",
	  "Replicas is the most recently oberved number of replicas. More info: "
	  "https://kubernetes.io/docs/concepts/workloads/controllers/"
	  "replicationcontroller/#what-is-a-replicationcontroller",
	  0 },
	{ "Ready", "integer", "",
	  "The number of ready replicas for this replica set.", 0 },
	COL_AGE,
	{ "Containers", "string", "", D_CONTAINERS, 1 },
	{ "Images", "string", "", D_IMAGES, 1 },
	{ "Selector", "string", "",
	  "Selector is a label query over pods that should match the replica "
	  "count. Label keys and values that must match in order to be "
	  "controlled by this replica set. It must match the pod template's "
	  "labels. More info: https://kubernetes.io/docs/concepts/overview/"
	  "working-with-objects/labels/#label-selectors",
	  1 },
	{ NULL, NULL, NULL, NULL, 0 },
};

static void rs_row(json_t *row, json_t *cells, const json_t *obj,
		   long long now)
{
	(void)row;
	const json_t *spec = json_object_get(obj, "spec");
	const json_t *status = json_object_get(obj, "status");
	json_array_append_new(cells, json_string(name_of(obj)));
	json_array_append_new(cells, json_integer(int_at(spec, "replicas")));
	json_array_append_new(cells, json_integer(int_at(status, "replicas")));
	json_array_append_new(cells, json_integer(int_at(status, "readyReplicas")));
	json_array_append_new(cells, age(obj, now));
	container_cells(cells, template_spec(obj));
	json_array_append_new(cells,
			      format_selector(json_object_get(spec, "selector")));
}

static const struct column job_cols[] = {
	COL_NAME,
	{ "Completions", "string", "",
	  "The number of pods which reached phase Succeeded.", 0 },
	{ "Duration", "string", "", "Time required to complete the job.", 0 },
	COL_AGE,
	{ "Containers", "string", "", D_CONTAINERS, 1 },
	{ "Images", "string", "", D_IMAGES, 1 },
	{ "Selector", "string", "",
	  "A label query over pods that should match the pod count. Normally, "
	  "the system sets this field for you. More info: "
	  "https://kubernetes.io/docs/concepts/overview/working-with-objects/"
	  "labels/#label-selectors",
	  1 },
	{ NULL, NULL, NULL, NULL, 0 },
};

static void job_row(json_t *row, json_t *cells, const json_t *obj,
		    long long now)
{
	(void)row;
	const json_t *spec = json_object_get(obj, "spec");
	const json_t *status = json_object_get(obj, "status");
	char buf[64];
	long long ok = int_at(status, "succeeded");
	if (json_is_integer(json_object_get(spec, "completions")))
		snprintf(buf, sizeof buf, "%lld/%lld", ok,
			 int_at(spec, "completions"));
	else if (int_at(spec, "parallelism") > 1)
		snprintf(buf, sizeof buf, "%lld/1 of %lld", ok,
			 int_at(spec, "parallelism"));
	else
		snprintf(buf, sizeof buf, "%lld/1", ok);
	json_array_append_new(cells, json_string(name_of(obj)));
	json_array_append_new(cells, json_string(buf));
	long long start = parse_time(str_at(status, "startTime"));
	long long end = parse_time(str_at(status, "completionTime"));
	char dur[32] = "";
	if (start >= 0)
		kube_human_duration((end >= 0 ? end : now) - start, dur, sizeof dur);
	json_array_append_new(cells, json_string(dur));
	json_array_append_new(cells, age(obj, now));
	container_cells(cells, template_spec(obj));
	const json_t *sel = json_object_get(spec, "selector");
	json_array_append_new(cells, sel ? format_selector(sel) : json_string(""));
}

/* ---- services and endpoints ---------------------------------------------- */

static const struct column svc_cols[] = {
	COL_NAME,
	{ "Type", "string", "",
	  "type determines how the Service is exposed. Defaults to ClusterIP. "
	  "Valid options are ExternalName, ClusterIP, NodePort, and "
	  "LoadBalancer. \"ExternalName\" maps to the specified externalName. "
	  "\"ClusterIP\" allocates a cluster-internal IP address for "
	  "load-balancing to endpoints. Endpoints are determined by the "
	  "selector or if that is not specified, by manual construction of an "
	  "Endpoints object. If clusterIP is \"None\", no virtual IP is "
	  "allocated and the endpoints are published as a set of endpoints "
	  "rather than a stable IP. \"NodePort\" builds on ClusterIP and "
	  "allocates a port on every node which routes to the clusterIP. "
	  "\"LoadBalancer\" builds on NodePort and creates an external "
	  "load-balancer (if supported in the current cloud) which routes to "
	  "the clusterIP. More info: https://kubernetes.io/docs/concepts/"
	  "services-networking/service/#publishing-services-service-types",
	  0 },
	{ "Cluster-IP", "string", "",
	  "clusterIP is the IP address of the service and is usually assigned "
	  "randomly by the master.",
	  0 },
	{ "External-IP", "string", "",
	  "externalIPs is a list of IP addresses for which nodes in the "
	  "cluster will also accept traffic for this service.  These IPs are "
	  "not managed by Kubernetes.  The user is responsible for ensuring "
	  "that traffic arrives at a node with this IP.  A common example is "
	  "external load-balancers that are not part of the Kubernetes "
	  "system.",
	  0 },
	{ "Port(s)", "string", "",
	  "The list of ports that are exposed by this service. More info: "
	  "https://kubernetes.io/docs/concepts/services-networking/service/"
	  "#virtual-ips-and-service-proxies",
	  0 },
	COL_AGE,
	{ "Selector", "string", "",
	  "Route service traffic to pods with label keys and values matching "
	  "this selector. If empty or not present, the service is assumed to "
	  "have an external process managing its endpoints, which Kubernetes "
	  "will not modify. Only applies to types ClusterIP, NodePort, and "
	  "LoadBalancer. Ignored if type is ExternalName. More info: "
	  "https://kubernetes.io/docs/concepts/services-networking/service/",
	  1 },
	{ NULL, NULL, NULL, NULL, 0 },
};

static void join_strings(struct dbuf *b, const json_t *arr, const char *field)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) {
		const char *s = field ? str_at(v, field) : json_string_value(v);
		if (s && *s)
			dbuf_printf(b, "%s%s", b->len ? "," : "", s);
	}
}

/* getServiceExternalIP (wide). */
static json_t *service_external_ip(const json_t *obj)
{
	const json_t *spec = json_object_get(obj, "spec");
	const char *type = str_at(spec, "type");
	struct dbuf b;
	dbuf_init(&b, 0);
	json_t *out;
	if (!strcmp(type, "ExternalName")) {
		out = json_string(str_at(spec, "externalName"));
	} else if (!strcmp(type, "LoadBalancer")) {
		const json_t *ing = json_object_get(
			json_object_get(json_object_get(obj, "status"),
					"loadBalancer"),
			"ingress");
		join_strings(&b, json_object_get(spec, "externalIPs"), NULL);
		join_strings(&b, ing, "ip");
		join_strings(&b, ing, "hostname");
		out = json_string(b.len ? b.p : "<pending>");
	} else {
		join_strings(&b, json_object_get(spec, "externalIPs"), NULL);
		out = json_string(b.len ? b.p : "<none>");
	}
	dbuf_free(&b);
	return out;
}

static void svc_row(json_t *row, json_t *cells, const json_t *obj,
		    long long now)
{
	(void)row;
	const json_t *spec = json_object_get(obj, "spec");
	const char *ip = json_string_value(
		json_array_get(json_object_get(spec, "clusterIPs"), 0));
	if (!ip || !*ip)
		ip = str_at(spec, "clusterIP");
	json_array_append_new(cells, json_string(name_of(obj)));
	json_array_append_new(cells, json_string(str_at(spec, "type")));
	json_array_append_new(cells, json_string(*ip ? ip : "<none>"));
	json_array_append_new(cells, service_external_ip(obj));
	struct dbuf b;
	dbuf_init(&b, 0);
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(spec, "ports"), i, p) {
		const char *proto = *str_at(p, "protocol") ? str_at(p, "protocol")
							   : "TCP";
		if (int_at(p, "nodePort"))
			dbuf_printf(&b, "%s%lld:%lld/%s", i ? "," : "",
				    int_at(p, "port"), int_at(p, "nodePort"),
				    proto);
		else
			dbuf_printf(&b, "%s%lld/%s", i ? "," : "",
				    int_at(p, "port"), proto);
	}
	json_array_append_new(cells, json_string(b.len ? b.p : "<none>"));
	dbuf_free(&b);
	json_array_append_new(cells, age(obj, now));
	json_array_append_new(cells,
			      format_labels(json_object_get(spec, "selector")));
}

static const struct column ep_cols[] = {
	COL_NAME,
	{ "Endpoints", "string", "",
	  "The set of all endpoints is the union of all subsets. Addresses are "
	  "placed into subsets according to the IPs they share. A single "
	  "address with multiple ports, some of which are ready and some of "
	  "which are not (because they come from different containers) will "
	  "result in the address being displayed in different subsets for the "
	  "different ports. No address will appear in both Addresses and "
	  "NotReadyAddresses in the same subset. Sets of addresses and ports "
	  "that comprise a service.",
	  0 },
	COL_AGE,
	{ NULL, NULL, NULL, NULL, 0 },
};

/* formatEndpoints: at most three ip:port, then " + N more...". */
static void ep_row(json_t *row, json_t *cells, const json_t *obj,
		   long long now)
{
	(void)row;
	const json_t *subsets = json_object_get(obj, "subsets");
	struct dbuf b;
	dbuf_init(&b, 0);
	int listed = 0, count = 0;
	size_t i;
	json_t *ss;
	json_array_foreach(subsets, i, ss) {
		const json_t *ports = json_object_get(ss, "ports");
		const json_t *addrs = json_object_get(ss, "addresses");
		size_t np = json_array_size(ports);
		for (size_t p = 0; p < (np ? np : 1); p++) {
			size_t a;
			json_t *addr;
			json_array_foreach(addrs, a, addr) {
				if (listed < 3) {
					const char *ip = str_at(addr, "ip");
					int v6 = strchr(ip, ':') != NULL;
					dbuf_printf(&b, "%s%s%s%s", listed ? "," : "",
						    v6 ? "[" : "", ip, v6 ? "]" : "");
					if (np)
						dbuf_printf(&b, ":%lld",
							    int_at(json_array_get(ports, p),
								   "port"));
					listed++;
				}
				count++;
			}
		}
	}
	if (count > 3)
		dbuf_printf(&b, " + %d more...", count - 3);
	json_array_append_new(cells, json_string(name_of(obj)));
	json_array_append_new(cells,
			      json_string(json_array_size(subsets) == 0
						  ? "<none>"
						  : (b.p ? b.p : "")));
	dbuf_free(&b);
	json_array_append_new(cells, age(obj, now));
}

/* ---- events ------------------------------------------------------------------ */

static const struct column event_cols[] = {
	{ "Last Seen", "string", "",
	  "The time at which the most recent occurrence of this event was "
	  "recorded.",
	  0 },
	{ "Type", "string", "",
	  "Type of this event (Normal, Warning), new types could be added in "
	  "the future",
	  0 },
	{ "Reason", "string", "",
	  "This should be a short, machine understandable string that gives the "
	  "reason for the transition into the object's current status.",
	  0 },
	{ "Object", "string", "", "The object that this event is about.", 0 },
	{ "Subobject", "string", "",
	  "If referring to a piece of an object instead of an entire object, "
	  "this string should contain a valid JSON/Go field access statement, "
	  "such as desiredState.manifest.containers[2]. For example, if the "
	  "object reference is to a container within a pod, this would take on "
	  "a value like: \"spec.containers{name}\" (where \"name\" refers to "
	  "the name of the container that triggered the event) or if no "
	  "container name is specified \"spec.containers[2]\" (container with "
	  "index 2 in this pod). This syntax is chosen only to have some "
	  "well-defined way of referencing a part of an object.",
	  1 },
	{ "Source", "string", "",
	  "The component reporting this event. Should be a short machine "
	  "understandable string.",
	  1 },
	{ "Message", "string", "",
	  "A human-readable description of the status of this operation.", 0 },
	{ "First Seen", "string", "",
	  "The time at which the event was first recorded. (Time of server "
	  "receipt is in TypeMeta.)",
	  1 },
	{ "Count", "string", "",
	  "The number of times this event has occurred.", 1 },
	{ "Name", "string", "name", D_NAME, 1 },
	{ NULL, NULL, NULL, NULL, 0 },
};

static void event_row(json_t *row, json_t *cells, const json_t *obj,
		      long long now)
{
	(void)row;
	const char *first_ts = str_at(obj, "firstTimestamp");
	json_t *first = since(*first_ts ? first_ts : str_at(obj, "eventTime"),
			      now);
	const char *last_ts = str_at(obj, "lastTimestamp");
	json_t *last = *last_ts ? since(last_ts, now) : json_copy(first);
	long long count = int_at(obj, "count");
	const json_t *series = json_object_get(obj, "series");
	if (series) {
		json_decref(last);
		last = since(str_at(series, "lastObservedTime"), now);
		count = int_at(series, "count");
	} else if (count == 0) {
		count = 1;
	}
	const json_t *io = json_object_get(obj, "involvedObject");
	char *kind = xstrdup(str_at(io, "kind"));
	for (char *p = kind; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	char *target = *str_at(io, "name")
			       ? xasprintf("%s/%s", kind, str_at(io, "name"))
			       : xstrdup(kind);
	const json_t *src = json_object_get(obj, "source");
	const char *comp = *str_at(src, "component")
				   ? str_at(src, "component")
				   : str_at(obj, "reportingComponent");
	const char *host = *str_at(src, "host") ? str_at(src, "host")
						: str_at(obj, "reportingInstance");
	char *source = *host ? xasprintf("%s, %s", comp, host) : xstrdup(comp);
	/* strings.TrimSpace */
	const char *msg = str_at(obj, "message");
	while (*msg == ' ' || *msg == '\t' || *msg == '\n' || *msg == '\r')
		msg++;
	size_t ml = strlen(msg);
	while (ml && strchr(" \t\n\r", msg[ml - 1]))
		ml--;

	json_array_append_new(cells, last);
	json_array_append_new(cells, json_string(str_at(obj, "type")));
	json_array_append_new(cells, json_string(str_at(obj, "reason")));
	json_array_append_new(cells, json_string(target));
	json_array_append_new(cells, json_string(str_at(io, "fieldPath")));
	json_array_append_new(cells, json_string(source));
	json_array_append_new(cells, json_stringn(msg, ml));
	json_array_append_new(cells, first);
	json_array_append_new(cells, json_integer(count));
	json_array_append_new(cells, json_string(name_of(obj)));
	free(kind);
	free(target);
	free(source);
}

/* ---- config, namespaces, nodes ---------------------------------------------- */

static const struct column cm_cols[] = {
	COL_NAME,
	{ "Data", "integer", "",
	  "Data contains the configuration data. Each key must consist of "
	  "alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 "
	  "byte sequences must use the BinaryData field. The keys stored in "
	  "Data must not overlap with the keys in the BinaryData field, this "
	  "is enforced during validation process.",
	  0 },
	COL_AGE,
	{ NULL, NULL, NULL, NULL, 0 },
};

static void cm_row(json_t *row, json_t *cells, const json_t *obj,
		   long long now)
{
	(void)row;
	json_array_append_new(cells, json_string(name_of(obj)));
	json_array_append_new(
		cells,
		json_integer((json_int_t)(json_object_size(json_object_get(obj, "data")) +
					  json_object_size(json_object_get(obj, "binaryData")))));
	json_array_append_new(cells, age(obj, now));
}

static const struct column secret_cols[] = {
	COL_NAME,
	{ "Type", "string", "",
	  "Used to facilitate programmatic handling of secret data.", 0 },
	{ "Data", "string", "",
	  "Data contains the secret data. Each key must consist of "
	  "alphanumeric characters, '-', '_' or '.'. The serialized form of "
	  "the secret data is a base64 encoded string, representing the "
	  "arbitrary (possibly non-string) data value here. Described in "
	  "https://tools.ietf.org/html/rfc4648#section-4",
	  0 },
	COL_AGE,
	{ NULL, NULL, NULL, NULL, 0 },
};

static void secret_row(json_t *row, json_t *cells, const json_t *obj,
		       long long now)
{
	(void)row;
	json_array_append_new(cells, json_string(name_of(obj)));
	json_array_append_new(cells, json_string(str_at(obj, "type")));
	json_array_append_new(
		cells,
		json_integer((json_int_t)json_object_size(json_object_get(obj, "data"))));
	json_array_append_new(cells, age(obj, now));
}

static const struct column ns_cols[] = {
	COL_NAME,
	{ "Status", "string", "", "The status of the namespace", 0 },
	COL_AGE,
	{ NULL, NULL, NULL, NULL, 0 },
};

static void ns_row(json_t *row, json_t *cells, const json_t *obj,
		   long long now)
{
	(void)row;
	json_array_append_new(cells, json_string(name_of(obj)));
	json_array_append_new(
		cells, json_string(str_at(json_object_get(obj, "status"), "phase")));
	json_array_append_new(cells, age(obj, now));
}

static const struct column node_cols[] = {
	COL_NAME,
	{ "Status", "string", "", "The status of the node", 0 },
	{ "Roles", "string", "", "The roles of the node", 0 },
	COL_AGE,
	{ "Version", "string", "", "Kubelet Version reported by the node.", 0 },
	{ "Internal-IP", "string", "",
	  "List of addresses reachable to the node. Queried from cloud provider, "
	  "if available. More info: https://kubernetes.io/docs/concepts/nodes/"
	  "node/#addresses Note: This field is declared as mergeable, but the "
	  "merge key is not sufficiently unique, which can cause data "
	  "corruption when it is merged. Callers should instead use a "
	  "full-replacement patch. See http://pr.k8s.io/79391 for an example.",
	  1 },
	{ "External-IP", "string", "",
	  "List of addresses reachable to the node. Queried from cloud provider, "
	  "if available. More info: https://kubernetes.io/docs/concepts/nodes/"
	  "node/#addresses Note: This field is declared as mergeable, but the "
	  "merge key is not sufficiently unique, which can cause data "
	  "corruption when it is merged. Callers should instead use a "
	  "full-replacement patch. See http://pr.k8s.io/79391 for an example.",
	  1 },
	{ "OS-Image", "string", "",
	  "OS Image reported by the node from /etc/os-release (e.g. Debian "
	  "GNU/Linux 7 (wheezy)).",
	  1 },
	{ "Kernel-Version", "string", "",
	  "Kernel Version reported by the node from 'uname -r' (e.g. "
	  "3.16.0-0.bpo.4-amd64).",
	  1 },
	{ "Container-Runtime", "string", "",
	  "ContainerRuntime Version reported by the node through runtime remote "
	  "API (e.g. docker://1.5.0).",
	  1 },
	{ NULL, NULL, NULL, NULL, 0 },
};

static json_t *node_address(const json_t *status, const char *type)
{
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(status, "addresses"), i, a)
		if (!strcmp(str_at(a, "type"), type))
			return json_string(str_at(a, "address"));
	return json_string("<none>");
}

static json_t *or_unknown(const char *s)
{
	return json_string(*s ? s : "<unknown>");
}

static void node_row(json_t *row, json_t *cells, const json_t *obj,
		     long long now)
{
	(void)row;
	const json_t *status = json_object_get(obj, "status");
	const json_t *info = json_object_get(status, "nodeInfo");
	const json_t *labels =
		json_object_get(json_object_get(obj, "metadata"), "labels");
	struct dbuf st;
	dbuf_init(&st, 0);
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(status, "conditions"), i, c)
		if (!strcmp(str_at(c, "type"), "Ready"))
			dbuf_puts(&st, strcmp(str_at(c, "status"), "True")
					       ? "NotReady"
					       : "Ready");
	if (!st.len)
		dbuf_puts(&st, "Unknown");
	if (json_is_true(json_object_get(json_object_get(obj, "spec"),
					 "unschedulable")))
		dbuf_puts(&st, ",SchedulingDisabled");
	/* findNodeRoles: node-role.kubernetes.io/<role> and
	 * kubernetes.io/role=<role>, as a sorted set */
	size_t nk;
	const char **keys = sorted_keys(labels, &nk);
	const char **roles = xcalloc(nk + 1, sizeof *roles);
	size_t nr = 0;
	for (size_t k = 0; k < nk; k++) {
		const char *r = NULL;
		if (!strncmp(keys[k], "node-role.kubernetes.io/", 24))
			r = keys[k] + 24;
		else if (!strcmp(keys[k], "kubernetes.io/role"))
			r = str_at(labels, keys[k]);
		if (r && *r)
			roles[nr++] = r;
	}
	qsort(roles, nr, sizeof *roles, cmp_str);
	struct dbuf rb;
	dbuf_init(&rb, 0);
	for (size_t k = 0; k < nr; k++)
		if (!k || strcmp(roles[k], roles[k - 1]))
			dbuf_printf(&rb, "%s%s", rb.len ? "," : "", roles[k]);
	free(keys);
	free(roles);
	json_array_append_new(cells, json_string(name_of(obj)));
	json_array_append_new(cells, json_string(st.p));
	json_array_append_new(cells, json_string(rb.len ? rb.p : "<none>"));
	json_array_append_new(cells, age(obj, now));
	json_array_append_new(cells, json_string(str_at(info, "kubeletVersion")));
	json_array_append_new(cells, node_address(status, "InternalIP"));
	json_array_append_new(cells, node_address(status, "ExternalIP"));
	json_array_append_new(cells, or_unknown(str_at(info, "osImage")));
	json_array_append_new(cells, or_unknown(str_at(info, "kernelVersion")));
	json_array_append_new(cells,
			      or_unknown(str_at(info, "containerRuntimeVersion")));
	dbuf_free(&st);
	dbuf_free(&rb);
}

/* ---- the default table ---------------------------------------------------- */

static const struct column default_cols[] = {
	COL_NAME,
	{ "Created At", "date", "", D_AGE, 0 },
	{ NULL, NULL, NULL, NULL, 0 },
};

static void default_row(json_t *row, json_t *cells, const json_t *obj,
			long long now)
{
	(void)row;
	(void)now;
	json_array_append_new(cells, json_string(name_of(obj)));
	json_array_append_new(cells,
			      json_string(str_at(json_object_get(obj, "metadata"),
						 "creationTimestamp")));
}

static const struct printer {
	const char *group, *kind;
	const struct column *cols;
	void (*row)(json_t *row, json_t *cells, const json_t *obj,
		    long long now);
} printers[] = {
	{ "", "Pod", pod_cols, pod_row },
	{ "apps", "Deployment", deploy_cols, deploy_row },
	{ "apps", "ReplicaSet", rs_cols, rs_row },
	{ "batch", "Job", job_cols, job_row },
	{ "", "Service", svc_cols, svc_row },
	{ "", "Endpoints", ep_cols, ep_row },
	{ "", "Event", event_cols, event_row },
	{ "", "ConfigMap", cm_cols, cm_row },
	{ "", "Secret", secret_cols, secret_row },
	{ "", "Namespace", ns_cols, ns_row },
	{ "", "Node", node_cols, node_row },
};

/* The Table of items (borrowed) for kind k at now_unix. New reference. */
json_t *sim_table(const struct sim_kind *k, json_t *items, int include_object,
		  long long now_unix)
{
	const struct printer *pr = NULL;
	static const struct printer fallback = { "", "", default_cols,
						 default_row };
	for (size_t i = 0; k && i < sizeof printers / sizeof printers[0]; i++)
		if (!strcmp(printers[i].group, k->group) &&
		    !strcmp(printers[i].kind, k->kind))
			pr = &printers[i];
	if (!pr)
		pr = &fallback;

	json_t *cols = json_array();
	for (const struct column *c = pr->cols; c->name; c++)
		json_array_append_new(cols,
				      json_pack("{s:s,s:s,s:s,s:s,s:i}", "name",
						c->name, "type", c->type,
						"format", c->format,
						"description", c->desc,
						"priority", c->priority));
	json_t *rows = json_array();
	size_t i;
	json_t *obj;
	json_array_foreach(items, i, obj) {
		json_t *row = json_object();
		json_t *cells = json_array();
		json_object_set_new(row, "cells", cells);
		pr->row(row, cells, obj, now_unix);
		json_t *o;
		if (include_object == SIM_TABLE_OBJECT)
			o = json_deep_copy(obj);
		else if (include_object == SIM_TABLE_METADATA)
			o = json_pack("{s:s,s:s,s:o}", "kind",
				      "PartialObjectMetadata", "apiVersion",
				      "meta.k8s.io/v1", "metadata",
				      json_object_get(obj, "metadata")
					      ? json_deep_copy(json_object_get(
							obj, "metadata"))
					      : json_object());
		else
			o = json_null();
		json_object_set_new(row, "object", o);
		json_array_append_new(rows, row);
	}
	return json_pack("{s:s,s:s,s:{},s:o,s:o}", "kind", "Table", "apiVersion",
			 "meta.k8s.io/v1", "metadata", "columnDefinitions", cols,
			 "rows", rows);
}
