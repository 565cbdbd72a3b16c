/*
 * resources.c - the table of kinds Podium knows, how kubectl names them,
 * their REST paths, the columns kubectl prints for them (from
 * kubectl's printers.go), and the projection of an object into the slim
 * struct kube_obj that the rest of Podium sees. The server's Table form,
 * when it sends one, takes precedence over the kind's own columns.
 * Projections read an object as a jansson tree or as jtok tokens (watch
 * lines, LIST pages) through one set of accessors, so each kind's columns
 * are written once and the two forms give the same cells.
 */
#define _POSIX_C_SOURCE 200809L
#include "kube/kube.h"

#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- reading an object in either form ----
 *
 * Every kind's columns are written once, against these accessors, and read
 * either a jansson tree (kube_obj_project: get, describe, the Table path)
 * or the tokens of a watch line or LIST page (kube_obj_project_tok: the
 * caches), which spares building a tree per event. They answer as jansson
 * does: a missing member or a value of another type reads as absent, "" or
 * 0, so the two forms give the same cells. */

/* The document being read, and room for the strings unescaped from it. */
struct vsrc {
	const struct jtok_doc *d; /* token form; NULL for jansson */
	char fixed[2048];         /* token strings, while they fit ... */
	size_t used;
	char **heap;              /* ... then one allocation each */
	size_t nheap;
};

/* A value: present when its token (t >= 0) or its json (j) is. */
struct kube_val {
	struct vsrc *s;
	const json_t *j;
	int t;
};

static void vsrc_init(struct vsrc *s, const struct jtok_doc *d)
{
	s->d = d;
	s->used = 0;
	s->heap = NULL;
	s->nheap = 0;
}

/* Strings handed out live until here: one projection's worth, bounded by
 * the lookups the columns make, not by anything the object repeats. */
static void vsrc_free(struct vsrc *s)
{
	for (size_t i = 0; i < s->nheap; i++)
		free(s->heap[i]);
	free(s->heap);
}

static char *vsrc_alloc(struct vsrc *s, size_t n)
{
	if (n <= sizeof s->fixed - s->used) {
		char *p = s->fixed + s->used;
		s->used += n;
		return p;
	}
	s->heap = xrealloc(s->heap, (s->nheap + 1) * sizeof *s->heap);
	return s->heap[s->nheap++] = xmalloc(n);
}

static struct kube_val v_none(struct vsrc *s)
{
	return (struct kube_val){ s, NULL, -1 };
}

static int v_present(struct kube_val v)
{
	return v.s->d ? v.t >= 0 : v.j != NULL;
}

/* The value's type as a jtok type (both numbers are JTOK_NUMBER); 0 when
 * absent. */
static int v_type(struct kube_val v)
{
	if (v.s->d)
		return v.t >= 0 ? v.s->d->t[v.t].type : 0;
	static const int of_json[] = {
		[JSON_OBJECT] = JTOK_OBJECT, [JSON_ARRAY] = JTOK_ARRAY,
		[JSON_STRING] = JTOK_STRING, [JSON_INTEGER] = JTOK_NUMBER,
		[JSON_REAL] = JTOK_NUMBER,   [JSON_TRUE] = JTOK_TRUE,
		[JSON_FALSE] = JTOK_FALSE,   [JSON_NULL] = JTOK_NULL,
	};
	return v.j ? of_json[json_typeof(v.j)] : 0;
}

/* Member key of object tok. A key written with escapes matches too, as
 * it does in jansson, which unescapes keys. */
static int tok_get(const struct jtok_doc *d, int obj, const char *key)
{
	if (obj < 0 || d->t[obj].type != JTOK_OBJECT)
		return -1;
	size_t kl = strlen(key);
	uint32_t end = d->t[obj].next;
	for (uint32_t i = (uint32_t)obj + 1; i < end; i = d->t[i + 1].next) {
		const struct jtok *k = &d->t[i];
		if (k->escaped ? jtok_str_eq(d, (int)i, key)
			       : k->len == kl && memcmp(d->buf + k->start, key, kl) == 0)
			return (int)i + 1;
	}
	return -1;
}

static struct kube_val v_get(struct kube_val v, const char *key)
{
	if (v.s->d)
		v.t = tok_get(v.s->d, v.t, key);
	else
		v.j = json_object_get(v.j, key);
	return v;
}

/* The value at a path of member names (NULL-terminated). */
static struct kube_val v_path(struct kube_val v, ...)
{
	va_list ap;
	va_start(ap, v);
	const char *key;
	while (v_present(v) && (key = va_arg(ap, const char *)))
		v = v_get(v, key);
	va_end(ap);
	return v;
}

/* The string, or NULL when v is no string. Borrowed until vsrc_free. */
static const char *v_strn(struct kube_val v)
{
	if (!v.s->d)
		return json_string_value(v.j);
	if (v_type(v) != JTOK_STRING)
		return NULL;
	char *out = vsrc_alloc(v.s, (size_t)v.s->d->t[v.t].len + 1);
	jtok_str_copy(v.s->d, v.t, out);
	return out;
}

static const char *v_str(struct kube_val v)
{
	const char *s = v_strn(v);
	return s ? s : "";
}

/* v_str(v) equals s, without copying a token string. */
static int v_streq(struct kube_val v, const char *s)
{
	if (!v.s->d)
		return strcmp(v_str(v), s) == 0;
	if (v_type(v) != JTOK_STRING)
		return !*s;
	return jtok_str_eq(v.s->d, v.t, s);
}

static int v_is_int(struct kube_val v)
{
	long long x;
	return v.s->d ? jtok_int(v.s->d, v.t, &x) == 0 : json_is_integer(v.j);
}

static long long v_int(struct kube_val v)
{
	long long x;
	if (v.s->d)
		return jtok_int(v.s->d, v.t, &x) == 0 ? x : 0;
	return json_is_integer(v.j) ? json_integer_value(v.j) : 0;
}

static int v_true(struct kube_val v)
{
	return v_type(v) == JTOK_TRUE;
}

/* Members of an object, elements of an array; 0 for anything else. */
static size_t v_osize(struct kube_val v)
{
	if (!v.s->d)
		return json_object_size(v.j);
	return v_type(v) == JTOK_OBJECT ? v.s->d->t[v.t].count : 0;
}

static size_t v_asize(struct kube_val v)
{
	if (!v.s->d)
		return json_array_size(v.j);
	return v_type(v) == JTOK_ARRAY ? v.s->d->t[v.t].count : 0;
}

/* Walking an array's elements or an object's members in order. */
struct v_iter {
	struct kube_val c;
	size_t i;  /* jansson array: next index */
	int cur;   /* tokens: the last child */
	void *ji;  /* jansson object: the iterator */
	int done;
};

static struct v_iter v_iter(struct kube_val c)
{
	return (struct v_iter){ c, 0, -1, NULL, 0 };
}

/* The next element of an array (nothing for a non-array): 1, or 0. */
static int v_arr_next(struct v_iter *it, struct kube_val *out)
{
	*out = it->c;
	if (!it->c.s->d) {
		if (it->i >= json_array_size(it->c.j))
			return 0;
		out->j = json_array_get(it->c.j, it->i++);
		return 1;
	}
	if (it->done || v_type(it->c) != JTOK_ARRAY)
		return 0;
	it->cur = jtok_child(it->c.s->d, it->c.t, it->cur);
	if (it->cur < 0) {
		it->done = 1;
		return 0;
	}
	out->t = it->cur;
	return 1;
}

/* The next member of an object (nothing for a non-object): 1 with *key
 * (borrowed until vsrc_free) and *out, or 0. */
static int v_obj_next(struct v_iter *it, const char **key, struct kube_val *out)
{
	*out = it->c;
	if (!it->c.s->d) {
		it->ji = it->done ? json_object_iter_next((json_t *)it->c.j, it->ji)
				  : json_object_iter((json_t *)it->c.j);
		it->done = 1;
		if (!it->ji)
			return 0;
		*key = json_object_iter_key(it->ji);
		out->j = json_object_iter_value(it->ji);
		return 1;
	}
	if (it->done || v_type(it->c) != JTOK_OBJECT)
		return 0;
	it->cur = jtok_child(it->c.s->d, it->c.t, it->cur);
	if (it->cur < 0) {
		it->done = 1;
		return 0;
	}
	out->t = it->cur;
	*key = v_str(*out);
	out->t = it->cur + 1;
	return 1;
}

#define v_array_foreach(arr, it, el) for (struct v_iter it = v_iter(arr); v_arr_next(&it, &(el));)
#define v_object_foreach(obj, it, key, el) \
	for (struct v_iter it = v_iter(obj); v_obj_next(&it, &(key), &(el));)

/* The elements of an array, for walking it backwards (caller frees). */
static struct kube_val *v_elems(struct kube_val arr, size_t *n)
{
	struct kube_val *out = xcalloc(v_asize(arr) + 1, sizeof *out), el;
	*n = 0;
	v_array_foreach(arr, it, el)
		out[(*n)++] = el;
	return out;
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

static char *age(struct kube_val ts, long long now)
{
	long long t;
	if (kube_parse_time(v_strn(ts), &t) < 0)
		return xstrdup("<unknown>");
	char buf[32];
	kube_human_duration(now - t, buf, sizeof buf);
	return xstrdup(buf);
}

static char *creation_age(struct kube_val o, long long now)
{
	return age(v_path(o, "metadata", "creationTimestamp", NULL), now);
}

/* Container names or images of a pod template spec, comma separated. */
static char *containers(struct kube_val spec, const char *field)
{
	struct dbuf b;
	dbuf_init(&b, 0);
	size_t i = 0;
	struct kube_val c;
	v_array_foreach(v_get(spec, "containers"), it, c)
		dbuf_printf(&b, "%s%s", i++ ? "," : "", v_str(v_get(c, field)));
	char *s = cell(b.p, 1);
	dbuf_free(&b);
	return s;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* metav1.FormatLabelSelector of matchLabels and matchExpressions:
 * requirements sorted by key. */
static char *selector_of(struct kube_val labels, struct kube_val exprs)
{
	size_t n = v_osize(labels) + v_asize(exprs);
	char **req = xcalloc(n + 1, sizeof *req);
	size_t k = 0;
	const char *key;
	struct kube_val v, x;
	v_object_foreach(labels, it, key, v)
		req[k++] = xasprintf("%s=%s", key, v_str(v));
	v_array_foreach(exprs, it, x) {
		struct kube_val op = v_get(x, "operator");
		const char *xk = v_str(v_get(x, "key"));
		struct dbuf vals;
		dbuf_init(&vals, 0);
		size_t j = 0;
		struct kube_val s;
		v_array_foreach(v_get(x, "values"), vit, s)
			dbuf_printf(&vals, "%s%s", j++ ? "," : "", v_str(s));
		if (v_streq(op, "In"))
			req[k++] = xasprintf("%s in (%s)", xk, vals.p ? vals.p : "");
		else if (v_streq(op, "NotIn"))
			req[k++] = xasprintf("%s notin (%s)", xk, vals.p ? vals.p : "");
		else if (v_streq(op, "Exists"))
			req[k++] = xstrdup(xk);
		else
			req[k++] = xasprintf("!%s", xk);
		dbuf_free(&vals);
	}
	qsort(req, k, sizeof *req, cmp_str);
	struct dbuf b;
	dbuf_init(&b, 0);
	for (size_t i = 0; i < k; i++) {
		dbuf_printf(&b, "%s%s", i ? "," : "", req[i]);
		free(req[i]);
	}
	free(req);
	char *s = cell(b.p, 1);
	dbuf_free(&b);
	return s;
}

/* A LabelSelector object; "<none>" when there is none. */
static char *selector(struct kube_val sel)
{
	if (v_type(sel) != JTOK_OBJECT)
		return xstrdup("<none>");
	return selector_of(v_get(sel, "matchLabels"), v_get(sel, "matchExpressions"));
}

/* ---- projections, one per kind (kubectl's printers.go) ---- */

static int pod_ready_condition(struct kube_val pod)
{
	struct kube_val c;
	v_array_foreach(v_path(pod, "status", "conditions", NULL), it, c)
		if (v_streq(v_get(c, "type"), "Ready") && v_streq(v_get(c, "status"), "True"))
			return 1;
	return 0;
}

/* printPod: READY STATUS RESTARTS AGE | IP NODE NOMINATED-NODE READINESS-GATES */
static void project_pod(const struct kube_val *obj, long long now, char **cols)
{
	struct kube_val pod = *obj;
	struct kube_val st = v_get(pod, "status");
	char reason[256];
	snprintf(reason, sizeof reason, "%s", v_str(v_get(st, "phase")));
	const char *st_reason = v_str(v_get(st, "reason"));
	if (*st_reason)
		snprintf(reason, sizeof reason, "%s", st_reason);
	long long restarts = 0;
	int ready = 0, initializing = 0;
	size_t total = v_asize(v_path(pod, "spec", "containers", NULL));
	size_t ninit = v_asize(v_path(pod, "spec", "initContainers", NULL));
	struct kube_val c;
	size_t i = 0;
	for (struct v_iter it = v_iter(v_get(st, "initContainerStatuses")); v_arr_next(&it, &c); i++) {
		restarts += v_int(v_get(c, "restartCount"));
		struct kube_val term = v_path(c, "state", "terminated", NULL);
		struct kube_val wait = v_path(c, "state", "waiting", NULL);
		if (v_present(term) && v_int(v_get(term, "exitCode")) == 0)
			continue;
		const char *wait_reason = v_str(v_get(wait, "reason"));
		if (v_present(term)) {
			const char *r = v_str(v_get(term, "reason"));
			if (*r)
				snprintf(reason, sizeof reason, "Init:%s", r);
			else if (v_int(v_get(term, "signal")))
				snprintf(reason, sizeof reason, "Init:Signal:%lld", v_int(v_get(term, "signal")));
			else
				snprintf(reason, sizeof reason, "Init:ExitCode:%lld", v_int(v_get(term, "exitCode")));
		} else if (v_present(wait) && *wait_reason && strcmp(wait_reason, "PodInitializing") != 0) {
			snprintf(reason, sizeof reason, "Init:%s", wait_reason);
		} else {
			snprintf(reason, sizeof reason, "Init:%zu/%zu", i, ninit);
		}
		initializing = 1;
		break;
	}
	if (!initializing) {
		restarts = 0;
		int running = 0;
		size_t n;
		struct kube_val *cs = v_elems(v_get(st, "containerStatuses"), &n);
		while (n-- > 0) {
			c = cs[n];
			restarts += v_int(v_get(c, "restartCount"));
			struct kube_val wait = v_path(c, "state", "waiting", NULL);
			struct kube_val term = v_path(c, "state", "terminated", NULL);
			const char *wait_reason = v_str(v_get(wait, "reason"));
			const char *term_reason = v_str(v_get(term, "reason"));
			if (v_present(wait) && *wait_reason)
				snprintf(reason, sizeof reason, "%s", wait_reason);
			else if (v_present(term) && *term_reason)
				snprintf(reason, sizeof reason, "%s", term_reason);
			else if (v_present(term) && v_int(v_get(term, "signal")))
				snprintf(reason, sizeof reason, "Signal:%lld", v_int(v_get(term, "signal")));
			else if (v_present(term))
				snprintf(reason, sizeof reason, "ExitCode:%lld", v_int(v_get(term, "exitCode")));
			else if (v_true(v_get(c, "ready")) && v_present(v_path(c, "state", "running", NULL))) {
				running = 1;
				ready++;
			}
		}
		free(cs);
		if (strcmp(reason, "Completed") == 0 && running)
			snprintf(reason, sizeof reason, "%s", pod_ready_condition(pod) ? "Running" : "NotReady");
	}
	if (v_present(v_path(pod, "metadata", "deletionTimestamp", NULL)))
		snprintf(reason, sizeof reason, "%s",
			 v_streq(v_get(st, "reason"), "NodeLost") ? "Unknown" : "Terminating");
	cols[1] = cellf("%d/%zu", ready, total);
	cols[2] = cell(reason, 0);
	cols[3] = cellf("%lld", restarts);
	cols[4] = creation_age(pod, now);
	cols[5] = cell(v_str(v_get(st, "podIP")), 1);
	cols[6] = cell(v_str(v_path(pod, "spec", "nodeName", NULL)), 1);
	cols[7] = cell(v_str(v_get(st, "nominatedNodeName")), 1);
	struct kube_val gates = v_path(pod, "spec", "readinessGates", NULL);
	if (v_asize(gates)) {
		size_t ok = 0;
		struct kube_val g, cond;
		v_array_foreach(gates, git, g) {
			const char *type = v_str(v_get(g, "conditionType"));
			v_array_foreach(v_get(st, "conditions"), cit, cond)
				if (v_streq(v_get(cond, "type"), type) && v_streq(v_get(cond, "status"), "True"))
					ok++;
		}
		cols[8] = cellf("%zu/%zu", ok, v_asize(gates));
	} else {
		cols[8] = xstrdup("<none>");
	}
}

/* printDeployment: READY UP-TO-DATE AVAILABLE AGE | CONTAINERS IMAGES SELECTOR */
static void project_deployment(const struct kube_val *obj, long long now, char **cols)
{
	struct kube_val d = *obj;
	struct kube_val st = v_get(d, "status");
	cols[1] = cellf("%lld/%lld", v_int(v_get(st, "readyReplicas")),
			v_int(v_path(d, "spec", "replicas", NULL)));
	cols[2] = cellf("%lld", v_int(v_get(st, "updatedReplicas")));
	cols[3] = cellf("%lld", v_int(v_get(st, "availableReplicas")));
	cols[4] = creation_age(d, now);
	struct kube_val spec = v_path(d, "spec", "template", "spec", NULL);
	cols[5] = containers(spec, "name");
	cols[6] = containers(spec, "image");
	cols[7] = selector(v_path(d, "spec", "selector", NULL));
}

/* `podium get models`: a Deployment as a model server. The checksum's
 * first 12 hex digits (from the annotation, which holds all 64, else the
 * label's 32), the rollout revision the Deployment controller writes, and
 * the images. MODEL SHA256 READY REVISION IMAGE AGE | SELECTOR */
static void project_model(const struct kube_val *obj, long long now, char **cols)
{
	struct kube_val d = *obj;
	const char *sha = v_str(v_path(d, "metadata", "annotations", "podium.dev/model-sha256", NULL));
	if (!*sha)
		sha = v_str(v_path(d, "metadata", "labels", "podium.dev/model-sha256", NULL));
	cols[1] = cell(v_str(v_path(d, "metadata", "labels", "podium.dev/model", NULL)), 1);
	cols[2] = *sha ? cellf("%.12s", sha) : xstrdup("<none>");
	cols[3] = cellf("%lld/%lld", v_int(v_path(d, "status", "readyReplicas", NULL)),
			v_int(v_path(d, "spec", "replicas", NULL)));
	cols[4] = cell(v_str(v_path(d, "metadata", "annotations", "deployment.kubernetes.io/revision", NULL)), 1);
	cols[5] = containers(v_path(d, "spec", "template", "spec", NULL), "image");
	cols[6] = creation_age(d, now);
	cols[7] = selector(v_path(d, "spec", "selector", NULL));
}

/* printReplicaSet: DESIRED CURRENT READY AGE | CONTAINERS IMAGES SELECTOR */
static void project_replicaset(const struct kube_val *obj, long long now, char **cols)
{
	struct kube_val r = *obj;
	cols[1] = cellf("%lld", v_int(v_path(r, "spec", "replicas", NULL)));
	cols[2] = cellf("%lld", v_int(v_path(r, "status", "replicas", NULL)));
	cols[3] = cellf("%lld", v_int(v_path(r, "status", "readyReplicas", NULL)));
	cols[4] = creation_age(r, now);
	struct kube_val spec = v_path(r, "spec", "template", "spec", NULL);
	cols[5] = containers(spec, "name");
	cols[6] = containers(spec, "image");
	cols[7] = selector(v_path(r, "spec", "selector", NULL));
}

static void join_strings(struct dbuf *b, struct kube_val arr)
{
	struct kube_val v;
	v_array_foreach(arr, it, v)
		dbuf_printf(b, "%s%s", b->len ? "," : "", v_str(v));
}

/* printService: TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE | SELECTOR */
static void project_service(const struct kube_val *obj, long long now, char **cols)
{
	struct kube_val s = *obj;
	struct kube_val spec = v_get(s, "spec");
	const char *type = v_str(v_get(spec, "type"));
	cols[1] = cell(type, 0);
	cols[2] = cell(v_str(v_get(spec, "clusterIP")), 1);
	struct dbuf b;
	dbuf_init(&b, 0);
	if (strcmp(type, "ExternalName") == 0) {
		dbuf_puts(&b, v_str(v_get(spec, "externalName")));
	} else if (strcmp(type, "LoadBalancer") == 0) {
		struct kube_val ing;
		v_array_foreach(v_path(s, "status", "loadBalancer", "ingress", NULL), it, ing) {
			const char *ip = v_str(v_get(ing, "ip"));
			const char *v = *ip ? ip : v_str(v_get(ing, "hostname"));
			dbuf_printf(&b, "%s%s", b.len ? "," : "", v);
		}
		join_strings(&b, v_get(spec, "externalIPs"));
		if (!b.len)
			dbuf_puts(&b, "<pending>");
	} else {
		join_strings(&b, v_get(spec, "externalIPs"));
	}
	cols[3] = cell(b.p, 1);
	dbuf_reset(&b);
	size_t i = 0;
	struct kube_val p;
	v_array_foreach(v_get(spec, "ports"), it, p) {
		const char *proto = v_str(v_get(p, "protocol"));
		if (!*proto)
			proto = "TCP";
		if (v_int(v_get(p, "nodePort")))
			dbuf_printf(&b, "%s%lld:%lld/%s", i ? "," : "", v_int(v_get(p, "port")),
				    v_int(v_get(p, "nodePort")), proto);
		else
			dbuf_printf(&b, "%s%lld/%s", i ? "," : "", v_int(v_get(p, "port")), proto);
		i++;
	}
	cols[4] = cell(b.p, 1);
	dbuf_free(&b);
	cols[5] = creation_age(s, now);
	/* The selector of a Service is a plain map: sorted k=v. */
	struct kube_val sel = v_get(spec, "selector");
	cols[6] = v_osize(sel) ? selector_of(sel, v_none(s.s)) : xstrdup("<none>");
}

/* When an event was last seen: lastTimestamp, else eventTime, else
 * firstTimestamp, else its creation. */
static struct kube_val event_last_seen(struct kube_val ev)
{
	struct kube_val ts = v_get(ev, "lastTimestamp");
	if (v_type(ts) != JTOK_STRING)
		ts = v_get(ev, "eventTime");
	if (v_type(ts) != JTOK_STRING)
		ts = v_get(ev, "firstTimestamp");
	if (v_type(ts) != JTOK_STRING)
		ts = v_path(ev, "metadata", "creationTimestamp", NULL);
	return ts;
}

static long long event_when(const struct kube_val *ev)
{
	long long t;
	return kube_parse_time(v_strn(event_last_seen(*ev)), &t) == 0 ? t : 0;
}

/* kubectl get events: LAST SEEN TYPE REASON OBJECT MESSAGE */
static void project_event(const struct kube_val *obj, long long now, char **cols)
{
	struct kube_val ev = *obj;
	cols[1] = age(event_last_seen(ev), now);
	cols[2] = cell(v_str(v_get(ev, "type")), 0);
	cols[3] = cell(v_str(v_get(ev, "reason")), 0);
	char kind[128];
	snprintf(kind, sizeof kind, "%s", v_str(v_path(ev, "involvedObject", "kind", NULL)));
	for (char *c = kind; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	cols[4] = cellf("%s/%s", kind, v_str(v_path(ev, "involvedObject", "name", NULL)));
	const char *msg = v_str(v_get(ev, "message"));
	size_t n = strcspn(msg, "\n");
	char *first = xstrndup(msg, n);
	cols[5] = cell(first, 0);
	free(first);
}

/* printJob: COMPLETIONS DURATION AGE | CONTAINERS IMAGES SELECTOR */
static void project_job(const struct kube_val *obj, long long now, char **cols)
{
	struct kube_val j = *obj;
	long long succeeded = v_int(v_path(j, "status", "succeeded", NULL));
	struct kube_val completions = v_path(j, "spec", "completions", NULL);
	long long par = v_int(v_path(j, "spec", "parallelism", NULL));
	if (v_is_int(completions))
		cols[1] = cellf("%lld/%lld", succeeded, v_int(completions));
	else if (par > 1)
		cols[1] = cellf("%lld/1 of %lld", succeeded, par);
	else
		cols[1] = cellf("%lld/1", succeeded);
	long long start, end;
	if (kube_parse_time(v_strn(v_path(j, "status", "startTime", NULL)), &start) == 0) {
		if (kube_parse_time(v_strn(v_path(j, "status", "completionTime", NULL)), &end) < 0)
			end = now;
		char buf[32];
		kube_human_duration(end - start, buf, sizeof buf);
		cols[2] = xstrdup(buf);
	} else {
		cols[2] = xstrdup("");
	}
	cols[3] = creation_age(j, now);
	struct kube_val spec = v_path(j, "spec", "template", "spec", NULL);
	cols[4] = containers(spec, "name");
	cols[5] = containers(spec, "image");
	cols[6] = selector(v_path(j, "spec", "selector", NULL));
}

static void project_namespace(const struct kube_val *obj, long long now, char **cols)
{
	cols[1] = cell(v_str(v_path(*obj, "status", "phase", NULL)), 0);
	cols[2] = creation_age(*obj, now);
}

static void project_configmap(const struct kube_val *obj, long long now, char **cols)
{
	cols[1] = cellf("%zu", v_osize(v_get(*obj, "data")) + v_osize(v_get(*obj, "binaryData")));
	cols[2] = creation_age(*obj, now);
}

/* Secrets: names, type and how many keys; the values are never read. */
static void project_secret(const struct kube_val *obj, long long now, char **cols)
{
	cols[1] = cell(v_str(v_get(*obj, "type")), 0);
	cols[2] = cellf("%zu", v_osize(v_get(*obj, "data")));
	cols[3] = creation_age(*obj, now);
}

/* printNode: STATUS ROLES AGE VERSION | INTERNAL-IP EXTERNAL-IP OS-IMAGE
 * KERNEL-VERSION CONTAINER-RUNTIME */
static void project_node(const struct kube_val *obj, long long now, char **cols)
{
	struct kube_val n = *obj;
	const char *ready = "Unknown";
	struct kube_val c;
	v_array_foreach(v_path(n, "status", "conditions", NULL), it, c)
		if (v_streq(v_get(c, "type"), "Ready"))
			ready = v_streq(v_get(c, "status"), "True") ? "Ready" : "NotReady";
	cols[1] = v_true(v_path(n, "spec", "unschedulable", NULL)) ? cellf("%s,SchedulingDisabled", ready)
								   : xstrdup(ready);
	/* roles: node-role.kubernetes.io/ROLE labels and kubernetes.io/role */
	const char *key;
	struct kube_val v;
	char *roles[64];
	size_t nr = 0;
	v_object_foreach(v_path(n, "metadata", "labels", NULL), it, key, v) {
		if (nr == 64)
			break;
		if (strncmp(key, "node-role.kubernetes.io/", 24) == 0 && key[24])
			roles[nr++] = xstrdup(key + 24);
		else if (strcmp(key, "kubernetes.io/role") == 0 && *v_str(v))
			roles[nr++] = xstrdup(v_str(v));
	}
	qsort(roles, nr, sizeof *roles, cmp_str);
	struct dbuf b;
	dbuf_init(&b, 0);
	for (size_t i = 0; i < nr; i++) {
		dbuf_printf(&b, "%s%s", i ? "," : "", roles[i]);
		free(roles[i]);
	}
	cols[2] = cell(b.p, 1);
	dbuf_free(&b);
	cols[3] = creation_age(n, now);
	cols[4] = cell(v_str(v_path(n, "status", "nodeInfo", "kubeletVersion", NULL)), 0);
	const char *internal = "", *external = "";
	v_array_foreach(v_path(n, "status", "addresses", NULL), it, c) {
		if (v_streq(v_get(c, "type"), "InternalIP") && !*internal)
			internal = v_str(v_get(c, "address"));
		if (v_streq(v_get(c, "type"), "ExternalIP") && !*external)
			external = v_str(v_get(c, "address"));
	}
	cols[5] = cell(internal, 1);
	cols[6] = cell(external, 1);
	struct kube_val info = v_path(n, "status", "nodeInfo", NULL);
	cols[7] = cell(v_str(v_get(info, "osImage")), 1);
	cols[8] = cell(v_str(v_get(info, "kernelVersion")), 1);
	cols[9] = cell(v_str(v_get(info, "containerRuntimeVersion")), 1);
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
static int obj_metadata(struct kube_val meta, struct kube_obj *o)
{
	const char *name = v_strn(v_get(meta, "name"));
	if (!name)
		return -1;
	o->name = cell(name, 0);
	o->namespace = cell(v_str(v_get(meta, "namespace")), 0);
	o->uid = cell(v_str(v_get(meta, "uid")), 0);
	o->resource_version = cell(v_str(v_get(meta, "resourceVersion")), 0);
	if (kube_parse_time(v_strn(v_get(meta, "creationTimestamp")), &o->created) < 0)
		o->created = 0;
	o->deleting = v_present(v_get(meta, "deletionTimestamp"));
	struct kube_val labels = v_get(meta, "labels");
	size_t n = v_osize(labels);
	if (n) {
		o->labels = xcalloc(n, sizeof *o->labels);
		const char *k;
		struct kube_val v;
		v_object_foreach(labels, it, k, v) {
			if (o->nlabels == n)
				break;
			o->labels[o->nlabels].key = cell(k, 0);
			o->labels[o->nlabels].value = cell(v_str(v), 0);
			o->nlabels++;
		}
	}
	return 0;
}

/* The projection of obj, in whichever form it comes. */
static int obj_project(const struct kube_kind *k, struct kube_val obj, long long now,
		       struct kube_obj *out)
{
	memset(out, 0, sizeof *out);
	if (v_type(obj) != JTOK_OBJECT || obj_metadata(v_get(obj, "metadata"), out) < 0) {
		kube_obj_clear(out);
		return -1;
	}
	out->ncols = kube_kind_ncols(k);
	out->cols = xcalloc(out->ncols, sizeof *out->cols);
	out->cols[0] = xstrdup(out->name);
	k->project(&obj, now, out->cols);
	out->time = k->when ? k->when(&obj) : out->created;
	for (size_t i = 0; i < out->ncols; i++) /* a projection left a cell out */
		if (!out->cols[i])
			out->cols[i] = xstrdup("");
	return 0;
}

int kube_obj_project(const struct kube_kind *k, const struct json_t *obj, long long now,
		     struct kube_obj *out)
{
	struct vsrc s;
	vsrc_init(&s, NULL);
	int rc = obj_project(k, (struct kube_val){ &s, obj, -1 }, now, out);
	vsrc_free(&s);
	return rc;
}

int kube_obj_project_tok(const struct kube_kind *k, const struct jtok_doc *d, int obj,
			 long long now, struct kube_obj *out)
{
	if (obj < 0 || (size_t)obj >= d->n) {
		memset(out, 0, sizeof *out);
		return -1;
	}
	struct vsrc s;
	vsrc_init(&s, d);
	int rc = obj_project(k, (struct kube_val){ &s, NULL, obj }, now, out);
	vsrc_free(&s);
	return rc;
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

/* ---- the server's Table and List answers ----
 *
 * Read from tokens too: a page of 500 pods is megabytes of JSON, and
 * `podium get` should not build a jansson tree of it to print a few cells
 * per row. */

/* A Table cell as kubectl's table printer shows it (%v); v is a token. */
static char *table_cell(struct kube_val v)
{
	switch (v_type(v)) {
	case JTOK_STRING: {
		/* multi-line strings show their first line and "..." */
		const char *s = v_str(v);
		size_t n = strcspn(s, "\n");
		if (s[n]) {
			char *first = xasprintf("%.*s...", (int)n, s);
			char *c = cell(first, 0);
			free(first);
			return c;
		}
		return cell(s, 0);
	}
	case JTOK_NUMBER: {
		if (v_is_int(v))
			return xasprintf("%lld", v_int(v));
		const struct jtok *t = &v.s->d->t[v.t];
		char *num = xstrndup(v.s->d->buf + t->start, t->len);
		char *c = xasprintf("%g", strtod(num, NULL));
		free(num);
		return c;
	}
	case JTOK_TRUE:
		return xstrdup("true");
	case JTOK_FALSE:
		return xstrdup("false");
	case JTOK_OBJECT:
	case JTOK_ARRAY: {
		json_t *j = jtok_to_json(v.s->d, v.t);
		char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
		json_decref(j);
		char *c = cell(s, 0);
		free(s);
		return c;
	}
	default: /* absent, null */
		return xstrdup("");
	}
}

static void table_set_headers(struct kube_table *t, size_t n)
{
	t->ncols = n;
	t->headers = xcalloc(n, sizeof *t->headers);
	t->wide = xcalloc(n, sizeof *t->wide);
}

static int table_from_server(const struct kube_kind *k, struct kube_val root, struct kube_table *t,
			     struct perr *e)
{
	struct kube_val defs = v_get(root, "columnDefinitions");
	size_t n = v_asize(defs);
	if (!n) {
		perr_set(e, "the server's Table for %s has no columns", k->plural);
		return -1;
	}
	if (!t->headers) {
		table_set_headers(t, n);
		size_t i = 0;
		struct kube_val d;
		v_array_foreach(defs, it, d) {
			char *h = cell(v_str(v_get(d, "name")), 0);
			for (char *c = h; *c; c++)
				*c = (char)toupper((unsigned char)*c);
			t->headers[i] = h;
			t->wide[i] = v_int(v_get(d, "priority")) > 0;
			i++;
		}
		t->from_server = 1;
	} else if (t->ncols != n || !t->from_server) {
		perr_set(e, "the pages of the %s list have different columns", k->plural);
		return -1;
	}
	struct kube_val rows = v_get(root, "rows");
	t->rows = xrealloc(t->rows, (t->nrows + v_asize(rows) + 1) * sizeof *t->rows);
	struct kube_val row;
	v_array_foreach(rows, it, row) {
		/* each row's strings are its own: scratch stays one row big */
		struct vsrc src;
		vsrc_init(&src, root.s->d);
		row.s = &src;
		struct kube_obj *o = &t->rows[t->nrows];
		memset(o, 0, sizeof *o);
		size_t nc;
		struct kube_val *cells = v_elems(v_get(row, "cells"), &nc);
		if (obj_metadata(v_path(row, "object", "metadata", NULL), o) < 0) {
			/* no object metadata: the first cell is the name */
			o->name = table_cell(nc ? cells[0] : v_none(&src));
			o->namespace = xstrdup("");
			o->uid = xstrdup("");
			o->resource_version = xstrdup("");
		}
		o->time = o->created;
		o->ncols = n;
		o->cols = xcalloc(n, sizeof *o->cols);
		for (size_t c = 0; c < n; c++)
			o->cols[c] = table_cell(c < nc ? cells[c] : v_none(&src));
		free(cells);
		vsrc_free(&src);
		t->nrows++;
	}
	return 0;
}

static int table_from_list(const struct kube_kind *k, struct kube_val root, long long now,
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
	struct kube_val items = v_get(root, "items");
	if (v_type(items) != JTOK_ARRAY) {
		perr_set(e, "the answer is not a list of %s (no items)", k->plural);
		return -1;
	}
	t->rows = xrealloc(t->rows, (t->nrows + v_asize(items) + 1) * sizeof *t->rows);
	struct kube_val it;
	v_array_foreach(items, iter, it)
		if (kube_obj_project_tok(k, root.s->d, it.t, now, &t->rows[t->nrows]) == 0)
			t->nrows++;
	return 0;
}

int kube_table_parse(const struct kube_kind *k, const char *body, size_t len, long long now,
		     struct kube_table *t, struct perr *e)
{
	struct jtok_doc d = { 0 };
	struct perr je = { { 0 } };
	if (jtok_parse(&d, body, len, &je) < 0 || d.t[0].type != JTOK_OBJECT) {
		perr_set(e, "the server's answer for %s is not JSON (%s)", k->plural,
			 d.n ? "not an object" : je.msg);
		jtok_doc_free(&d);
		return -1;
	}
	struct vsrc s;
	vsrc_init(&s, &d);
	struct kube_val root = { &s, NULL, 0 };
	t->kind = k;
	int rc;
	if (v_streq(v_get(root, "kind"), "Table"))
		rc = table_from_server(k, root, t, e);
	else
		rc = table_from_list(k, root, now, t, e);
	if (rc == 0) {
		struct kube_val meta = v_get(root, "metadata");
		free(t->resource_version);
		free(t->continue_token);
		t->resource_version = xstrdup(v_str(v_get(meta, "resourceVersion")));
		const char *cont = v_str(v_get(meta, "continue"));
		t->continue_token = *cont ? xstrdup(cont) : NULL;
		struct kube_val rem = v_get(meta, "remainingItemCount");
		t->remaining = v_is_int(rem) ? v_int(rem) : -1;
	}
	vsrc_free(&s);
	jtok_doc_free(&d);
	return rc;
}
