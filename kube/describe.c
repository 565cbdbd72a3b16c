/*
 * describe.c - kubectl describe's text for pods, deployments, replicasets,
 * services, jobs, configmaps and secrets (and the metadata and events of
 * any other kind), written as kubectl's describers in
 * k8s.io/kubectl/pkg/describe write it: tab-separated cells, indented by
 * levels of two spaces, a form feed where kubectl flushes its tabwriter.
 * The caller aligns it with the tabwriter (minwidth 0, padding 2). Every
 * string from the cluster is sanitised here.
 */
#define _POSIX_C_SOURCE 200809L
#include "kube/kube.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ANNOTATION_LEN 140

struct dw {
	struct dbuf b;
	long long now;
};

static void w(struct dw *d, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void w(struct dw *d, int level, const char *fmt, ...)
{
	for (int i = 0; i < level; i++)
		dbuf_puts(&d->b, "  ");
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	dbuf_puts(&d->b, s);
	free(s);
}

/* Every string from the object passes here: safe for a terminal, one line. */
static char *safe(const json_t *v)
{
	const char *s = json_string_value(v);
	return sanitize_text(s ? s : "", s ? strlen(s) : 0, 0);
}

#define S(v) safe_tmp(&tmp, (v))
struct tmpstr {
	char *p[64];
	int n;
};

static const char *safe_tmp(struct tmpstr *t, const json_t *v)
{
	char *s = safe(v);
	if (t->n == 64) {
		free(t->p[0]);
		memmove(t->p, t->p + 1, 63 * sizeof *t->p);
		t->n--;
	}
	t->p[t->n++] = s;
	return s;
}

static void tmp_free(struct tmpstr *t)
{
	for (int i = 0; i < t->n; i++)
		free(t->p[i]);
	t->n = 0;
}

static json_t *jg(const json_t *o, const char *k)
{
	return json_object_get(o, k);
}

/* time.RFC1123Z in local time, as metav1.Time prints. */
static void rfc1123z(const json_t *ts, char *buf, size_t n)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	long long t;
	if (kube_parse_time(json_string_value(ts), &t) < 0) {
		snprintf(buf, n, "Mon, 01 Jan 0001 00:00:00 +0000");
		return;
	}
	time_t tt = (time_t)t;
	struct tm tm;
	localtime_r(&tt, &tm);
	long off = tm.tm_gmtoff;
	char sign = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	snprintf(buf, n, "%s, %02d %s %04d %02d:%02d:%02d %c%02ld%02ld", days[tm.tm_wday], tm.tm_mday,
		 months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, sign, off / 3600,
		 (off % 3600) / 60);
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted keys of an object (borrowed strings), NULL-terminated. */
static const char **sorted_keys(const json_t *o, size_t *n)
{
	size_t cnt = json_object_size(o);
	const char **keys = xcalloc(cnt + 1, sizeof *keys);
	size_t k = 0;
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)o, key, v)
		keys[k++] = key;
	qsort(keys, k, sizeof *keys, cmp_keys);
	*n = k;
	return keys;
}

static char *safe_str(const char *s)
{
	return sanitize_text(s, strlen(s), 0);
}

/* printLabelsMultilineWithIndent */
static void labels_multiline(struct dw *d, const char *indent, const char *title, const json_t *labels)
{
	w(d, 0, "%s%s:\t", indent, title);
	size_t n;
	const char **keys = sorted_keys(labels, &n);
	if (!n)
		w(d, 0, "<none>\n");
	for (size_t i = 0; i < n; i++) {
		char *k = safe_str(keys[i]);
		char *v = safe(jg(labels, keys[i]));
		if (i)
			w(d, 0, "%s\t", indent);
		w(d, 0, "%s=%s\n", k, v);
		free(k);
		free(v);
	}
	free(keys);
}

/* printAnnotationsMultiline: long or multi-line values on lines of their own */
static void annotations_multiline(struct dw *d, const char *title, const json_t *ann)
{
	w(d, 0, "%s:\t", title);
	size_t n;
	const char **keys = sorted_keys(ann, &n);
	size_t shown = 0;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(keys[i], "kubectl.kubernetes.io/last-applied-configuration"))
			continue;
		const char *raw = json_string_value(jg(ann, keys[i]));
		raw = raw ? raw : "";
		size_t vl = strlen(raw);
		if (vl && raw[vl - 1] == '\n')
			vl--;
		char *k = safe_str(keys[i]);
		if (shown++)
			w(d, 0, "\t");
		if (vl + strlen(keys[i]) + 2 > MAX_ANNOTATION_LEN || memchr(raw, '\n', vl)) {
			w(d, 0, "%s:\n", k);
			const char *p = raw, *end = raw + vl;
			while (p <= end) {
				const char *nl = memchr(p, '\n', (size_t)(end - p));
				size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
				char *line = sanitize_text(p, len, 0);
				if (strlen(line) > MAX_ANNOTATION_LEN - 2) /* kubectl's shorten() */
					strcpy(line + MAX_ANNOTATION_LEN - 2 - 3, "...");
				w(d, 0, "\t  %s\n", line);
				free(line);
				if (!nl)
					break;
				p = nl + 1;
			}
		} else {
			char *v = sanitize_text(raw, vl, 0);
			w(d, 0, "%s: %s\n", k, v);
			free(v);
		}
		free(k);
	}
	if (!shown)
		w(d, 0, "<none>\n");
	free(keys);
}

/* printTolerationsMultilineWithIndent */
static void tolerations_multiline(struct dw *d, const char *title, const json_t *tols)
{
	struct tmpstr tmp = { { 0 }, 0 };
	w(d, 0, "%s:\t", title);
	if (!json_array_size(tols))
		w(d, 0, "<none>\n");
	size_t i;
	json_t *t;
	json_array_foreach(tols, i, t) {
		if (i)
			w(d, 0, "\t");
		const char *key = S(jg(t, "key")), *value = S(jg(t, "value")), *effect = S(jg(t, "effect"));
		w(d, 0, "%s", key);
		if (*value)
			w(d, 0, "=%s", value);
		if (*effect)
			w(d, 0, ":%s", effect);
		if (!strcmp(S(jg(t, "operator")), "Exists") && !*value)
			w(d, 0, "%s", *key || *effect ? " op=Exists" : "op=Exists");
		if (json_is_integer(jg(t, "tolerationSeconds")))
			w(d, 0, " for %llds", (long long)json_integer_value(jg(t, "tolerationSeconds")));
		w(d, 0, "\n");
	}
	tmp_free(&tmp);
}

static void ports_string(const json_t *ports, const char *field, struct dbuf *b)
{
	size_t i;
	json_t *p;
	json_array_foreach(ports, i, p) {
		const char *proto = json_string_value(jg(p, "protocol"));
		dbuf_printf(b, "%s%lld/%s", b->len ? "," : "", (long long)json_integer_value(jg(p, field)),
			    proto ? proto : "TCP");
	}
}

static void describe_probe(struct dw *d, const char *title, const json_t *p)
{
	if (!p)
		return;
	struct tmpstr tmp = { { 0 }, 0 };
	char attrs[256];
	/* the API server defaults these; an object without them shows zeros */
	snprintf(attrs, sizeof attrs, "delay=%llds timeout=%llds period=%llds #success=%lld #failure=%lld",
		 (long long)json_integer_value(jg(p, "initialDelaySeconds")),
		 (long long)json_integer_value(jg(p, "timeoutSeconds")),
		 (long long)json_integer_value(jg(p, "periodSeconds")),
		 (long long)json_integer_value(jg(p, "successThreshold")),
		 (long long)json_integer_value(jg(p, "failureThreshold")));
	const json_t *h = jg(p, "httpGet"), *tcp = jg(p, "tcpSocket"), *ex = jg(p, "exec");
	char port[64] = "";
	const json_t *pv = h ? jg(h, "port") : tcp ? jg(tcp, "port") : NULL;
	if (json_is_integer(pv))
		snprintf(port, sizeof port, "%lld", (long long)json_integer_value(pv));
	else if (json_is_string(pv))
		snprintf(port, sizeof port, "%s", S(pv));
	if (h) {
		char scheme[16];
		snprintf(scheme, sizeof scheme, "%s", json_is_string(jg(h, "scheme")) ? S(jg(h, "scheme")) : "HTTP");
		for (char *c = scheme; *c; c++)
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
		w(d, 2, "%s:\thttp-get %s://%s:%s%s %s\n", title, scheme, S(jg(h, "host")), port,
		  S(jg(h, "path")), attrs);
	} else if (tcp) {
		w(d, 2, "%s:\ttcp-socket %s:%s %s\n", title, S(jg(tcp, "host")), port, attrs);
	} else if (ex) {
		struct dbuf b;
		dbuf_init(&b, 0);
		size_t i;
		json_t *c;
		json_array_foreach(jg(ex, "command"), i, c)
			dbuf_printf(&b, "%s%s", i ? " " : "", S(c));
		w(d, 2, "%s:\texec [%s] %s\n", title, b.p ? b.p : "", attrs);
		dbuf_free(&b);
	} else {
		w(d, 2, "%s:\tunknown %s\n", title, attrs);
	}
	tmp_free(&tmp);
}

static void describe_state(struct dw *d, const char *title, const json_t *st)
{
	struct tmpstr tmp = { { 0 }, 0 };
	char when[64];
	const json_t *run = jg(st, "running"), *wait = jg(st, "waiting"), *term = jg(st, "terminated");
	if (run) {
		w(d, 2, "%s:\tRunning\n", title);
		rfc1123z(jg(run, "startedAt"), when, sizeof when);
		w(d, 3, "Started:\t%s\n", when);
	} else if (wait) {
		w(d, 2, "%s:\tWaiting\n", title);
		if (*S(jg(wait, "reason")))
			w(d, 3, "Reason:\t%s\n", S(jg(wait, "reason")));
	} else if (term) {
		w(d, 2, "%s:\tTerminated\n", title);
		if (*S(jg(term, "reason")))
			w(d, 3, "Reason:\t%s\n", S(jg(term, "reason")));
		if (*S(jg(term, "message")))
			w(d, 3, "Message:\t%s\n", S(jg(term, "message")));
		w(d, 3, "Exit Code:\t%lld\n", (long long)json_integer_value(jg(term, "exitCode")));
		if (json_integer_value(jg(term, "signal")) > 0)
			w(d, 3, "Signal:\t%lld\n", (long long)json_integer_value(jg(term, "signal")));
		rfc1123z(jg(term, "startedAt"), when, sizeof when);
		w(d, 3, "Started:\t%s\n", when);
		rfc1123z(jg(term, "finishedAt"), when, sizeof when);
		w(d, 3, "Finished:\t%s\n", when);
	} else {
		w(d, 2, "%s:\tWaiting\n", title);
	}
	tmp_free(&tmp);
}

/* describeContainers: statuses NULL for a pod template. */
static void describe_containers(struct dw *d, const char *label, const json_t *containers,
				const json_t *statuses, const char *space)
{
	struct tmpstr tmp = { { 0 }, 0 };
	w(d, 0, "%s%s:%s\n", space, label, json_array_size(containers) ? "" : " <none>");
	size_t i;
	json_t *c;
	json_array_foreach(containers, i, c) {
		const json_t *st = NULL;
		size_t j;
		json_t *s;
		json_array_foreach(statuses, j, s)
			if (json_equal(jg(s, "name"), jg(c, "name")))
				st = s;
		w(d, 1, "%s%s:\n", *space ? " " : "", S(jg(c, "name")));
		if (st)
			w(d, 2, "Container ID:\t%s\n", S(jg(st, "containerID")));
		w(d, 2, "Image:\t%s\n", S(jg(c, "image")));
		if (st)
			w(d, 2, "Image ID:\t%s\n", S(jg(st, "imageID")));
		struct dbuf b;
		dbuf_init(&b, 0);
		ports_string(jg(c, "ports"), "containerPort", &b);
		if (b.p && strchr(b.p, ','))
			w(d, 2, "Ports:\t%s\n", b.p);
		else
			w(d, 2, "Port:\t%s\n", b.len ? b.p : "<none>");
		dbuf_reset(&b);
		size_t k;
		json_t *p;
		json_array_foreach(jg(c, "ports"), k, p)
			if (json_integer_value(jg(p, "hostPort")))
				dbuf_printf(&b, "%s%lld/%s", b.len ? "," : "", (long long)json_integer_value(jg(p, "hostPort")),
					    json_is_string(jg(p, "protocol")) ? S(jg(p, "protocol")) : "TCP");
			else
				dbuf_printf(&b, "%s0/%s", b.len ? "," : "",
					    json_is_string(jg(p, "protocol")) ? S(jg(p, "protocol")) : "TCP");
		if (b.p && strchr(b.p, ','))
			w(d, 2, "Host Ports:\t%s\n", b.p);
		else
			w(d, 2, "Host Port:\t%s\n", b.len ? b.p : "<none>");
		dbuf_free(&b);
		static const char *const cmds[] = { "command", "Command", "args", "Args", NULL };
		for (int m = 0; cmds[m]; m += 2) {
			if (!json_array_size(jg(c, cmds[m])))
				continue;
			w(d, 2, "%s:\n", cmds[m + 1]);
			json_array_foreach(jg(c, cmds[m]), k, p) {
				const char *v = json_string_value(p);
				v = v ? v : "";
				for (const char *q = v;;) {
					const char *nl = strchr(q, '\n');
					char *line = sanitize_text(q, nl ? (size_t)(nl - q) : strlen(q), 0);
					w(d, 3, "%s\n", line);
					free(line);
					if (!nl)
						break;
					q = nl + 1;
				}
			}
		}
		if (st) {
			describe_state(d, "State", jg(st, "state"));
			if (jg(jg(st, "lastState"), "terminated"))
				describe_state(d, "Last State", jg(st, "lastState"));
			w(d, 2, "Ready:\t%s\n", json_is_true(jg(st, "ready")) ? "True" : "False");
			w(d, 2, "Restart Count:\t%lld\n", (long long)json_integer_value(jg(st, "restartCount")));
		}
		static const char *const res[] = { "limits", "Limits", "requests", "Requests", NULL };
		for (int r = 0; res[r]; r += 2) {
			const json_t *q = jg(jg(c, "resources"), res[r]);
			size_t n;
			const char **keys = sorted_keys(q, &n);
			if (n)
				w(d, 2, "%s:\n", res[r + 1]);
			for (size_t x = 0; x < n; x++) {
				char *kk = safe_str(keys[x]);
				w(d, 3, "%s:\t%s\n", kk, S(jg(q, keys[x])));
				free(kk);
			}
			free(keys);
		}
		describe_probe(d, "Liveness", jg(c, "livenessProbe"));
		describe_probe(d, "Readiness", jg(c, "readinessProbe"));
		describe_probe(d, "Startup", jg(c, "startupProbe"));
		const json_t *env = jg(c, "env");
		w(d, 2, "Environment:%s\n", json_array_size(env) ? "" : "\t<none>");
		json_array_foreach(env, k, p) {
			const json_t *from = jg(p, "valueFrom");
			const char *name = S(jg(p, "name"));
			if (!from) {
				const char *v = json_string_value(jg(p, "value"));
				v = v ? v : "";
				int first = 1;
				for (const char *q = v;;) {
					const char *nl = strchr(q, '\n');
					char *line = sanitize_text(q, nl ? (size_t)(nl - q) : strlen(q), 0);
					if (first)
						w(d, 3, "%s:\t%s\n", name, line);
					else
						w(d, 3, "\t%s\n", line);
					free(line);
					first = 0;
					if (!nl)
						break;
					q = nl + 1;
				}
			} else if (jg(from, "fieldRef")) {
				const json_t *f = jg(from, "fieldRef");
				w(d, 3, "%s:\t (%s:%s)\n", name, S(jg(f, "apiVersion")), S(jg(f, "fieldPath")));
			} else if (jg(from, "secretKeyRef")) {
				const json_t *f = jg(from, "secretKeyRef");
				w(d, 3, "%s:\t<set to the key '%s' in secret '%s'>\tOptional: %s\n", name,
				  S(jg(f, "key")), S(jg(f, "name")), json_is_true(jg(f, "optional")) ? "true" : "false");
			} else if (jg(from, "configMapKeyRef")) {
				const json_t *f = jg(from, "configMapKeyRef");
				w(d, 3, "%s:\t<set to the key '%s' of config map '%s'>\tOptional: %s\n", name,
				  S(jg(f, "key")), S(jg(f, "name")), json_is_true(jg(f, "optional")) ? "true" : "false");
			} else {
				w(d, 3, "%s:\t<set from another source>\n", name);
			}
		}
		const json_t *mounts = jg(c, "volumeMounts");
		w(d, 2, "Mounts:%s\n", json_array_size(mounts) ? "" : "\t<none>");
		json_array_foreach(mounts, k, p) {
			if (*S(jg(p, "subPath")))
				w(d, 3, "%s from %s (%s,path=\"%s\")\n", S(jg(p, "mountPath")), S(jg(p, "name")),
				  json_is_true(jg(p, "readOnly")) ? "ro" : "rw", S(jg(p, "subPath")));
			else
				w(d, 3, "%s from %s (%s)\n", S(jg(p, "mountPath")), S(jg(p, "name")),
				  json_is_true(jg(p, "readOnly")) ? "ro" : "rw");
		}
		tmp_free(&tmp);
	}
	tmp_free(&tmp);
}

static void describe_volumes(struct dw *d, const json_t *vols, const char *space)
{
	struct tmpstr tmp = { { 0 }, 0 };
	if (!json_array_size(vols)) {
		w(d, 0, "%sVolumes:\t<none>\n", space);
		return;
	}
	w(d, 0, "%sVolumes:\n", space);
	size_t i;
	json_t *v;
	json_array_foreach(vols, i, v) {
		w(d, 1, "%s%s:\n", *space ? " " : "", S(jg(v, "name")));
		const json_t *x;
		if ((x = jg(v, "emptyDir"))) {
			w(d, 2, "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n"
				"    Medium:\t%s\n    SizeLimit:\t%s\n",
			  S(jg(x, "medium")), json_is_string(jg(x, "sizeLimit")) ? S(jg(x, "sizeLimit")) : "<unset>");
		} else if ((x = jg(v, "configMap"))) {
			w(d, 2, "Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t%s\n    Optional:\t%s\n",
			  S(jg(x, "name")), json_is_true(jg(x, "optional")) ? "true" : "false");
		} else if ((x = jg(v, "secret"))) {
			w(d, 2, "Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t%s\n    Optional:\t%s\n",
			  S(jg(x, "secretName")), json_is_true(jg(x, "optional")) ? "true" : "false");
		} else {
			w(d, 1, "<unknown>\n");
		}
		tmp_free(&tmp);
	}
}

/* DescribeEvents: after a flush, its own alignment. */
static int by_last_seen(const void *a, const void *b)
{
	long long x, y;
	const json_t *ea = *(json_t *const *)a, *eb = *(json_t *const *)b;
	if (kube_parse_time(json_string_value(jg(ea, "lastTimestamp")), &x) < 0)
		x = 0;
	if (kube_parse_time(json_string_value(jg(eb, "lastTimestamp")), &y) < 0)
		y = 0;
	return (x > y) - (x < y);
}

static void since(const json_t *ts, long long now, char *buf, size_t n)
{
	long long t;
	if (kube_parse_time(json_string_value(ts), &t) < 0)
		snprintf(buf, n, "<unknown>");
	else
		kube_human_duration(now - t, buf, n);
}

static void describe_events(struct dw *d, const json_t *items)
{
	struct tmpstr tmp = { { 0 }, 0 };
	size_t n = json_array_size(items);
	if (!n) {
		w(d, 0, "Events:\t<none>\n");
		return;
	}
	json_t **ev = xcalloc(n, sizeof *ev);
	for (size_t i = 0; i < n; i++)
		ev[i] = json_array_get(items, i);
	qsort(ev, n, sizeof *ev, by_last_seen);
	dbuf_puts(&d->b, "\f");
	w(d, 0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n");
	w(d, 1, "----\t------\t----\t----\t-------\n");
	for (size_t i = 0; i < n; i++) {
		const json_t *e = ev[i];
		char first[32], last[32], interval[96];
		if (json_is_string(jg(e, "eventTime")))
			since(jg(e, "eventTime"), d->now, first, sizeof first);
		else
			since(jg(e, "firstTimestamp"), d->now, first, sizeof first);
		const json_t *series = jg(e, "series");
		long long count = json_integer_value(jg(e, "count"));
		if (series) {
			since(jg(series, "lastObservedTime"), d->now, last, sizeof last);
			snprintf(interval, sizeof interval, "%s (x%lld over %s)", last,
				 (long long)json_integer_value(jg(series, "count")), first);
		} else if (count > 1) {
			since(jg(e, "lastTimestamp"), d->now, last, sizeof last);
			snprintf(interval, sizeof interval, "%s (x%lld over %s)", last, count, first);
		} else {
			snprintf(interval, sizeof interval, "%s", first);
		}
		const char *source = S(jg(jg(e, "source"), "component"));
		if (!*source)
			source = S(jg(e, "reportingComponent"));
		const char *msg = S(jg(e, "message"));
		size_t ml = strlen(msg);
		while (ml && msg[ml - 1] == ' ')
			ml--;
		while (*msg == ' ')
			msg++, ml--;
		w(d, 1, "%s\t%s\t%s\t%s\t%.*s\n", S(jg(e, "type")), S(jg(e, "reason")), interval, source,
		  (int)ml, msg);
		tmp_free(&tmp);
	}
	free(ev);
}

/* The GET of the events about obj: kubectl's field selector on
 * involvedObject. */
static void events_call(const json_t *obj, const char *kind, struct kube_call *m)
{
	const json_t *meta = jg(obj, "metadata");
	const char *ns = json_string_value(jg(meta, "namespace"));
	char *fs = xasprintf("involvedObject.name=%s,involvedObject.namespace=%s,involvedObject.kind=%s,"
			     "involvedObject.uid=%s",
			     json_string_value(jg(meta, "name")), ns ? ns : "", kind,
			     json_string_value(jg(meta, "uid")) ? json_string_value(jg(meta, "uid")) : "");
	char *fse = kube_query_escape(fs);
	memset(m, 0, sizeof *m);
	m->method = "GET";
	m->query = xasprintf("fieldSelector=%s&limit=500", fse);
	m->path = ns && *ns ? xasprintf("/api/v1/namespaces/%s/events", ns) : xstrdup("/api/v1/events");
	free(fse);
	free(fs);
}

/* The answer of a GET of a list as the list, or NULL (refused, not JSON):
 * the caller leaves its section out or says <none>, as kubectl does. */
static json_t *answer_list(const struct kube_answer *a)
{
	if (!a->ok)
		return NULL;
	json_t *list = json_loadb(a->body ? a->body : "", a->len, 0, NULL);
	if (!json_is_object(list)) {
		json_decref(list);
		return NULL;
	}
	return list;
}

/* The events section from the events' answer; events that cannot be read
 * leave it out, as kubectl does. */
static void answer_events(struct dw *d, const struct kube_answer *a)
{
	json_t *list = answer_list(a);
	if (list)
		describe_events(d, jg(list, "items"));
	json_decref(list);
}

/* The GET of the objects of a kind (its collection path) in obj's
 * namespace that match a label selector. */
static void selected_call(const char *collection, const json_t *obj, const char *selector,
			  struct kube_call *m)
{
	const char *nsv = json_string_value(jg(jg(obj, "metadata"), "namespace"));
	char *ns = kube_query_escape(nsv ? nsv : "");
	char *sel = kube_query_escape(selector);
	memset(m, 0, sizeof *m);
	m->method = "GET";
	m->path = xasprintf(collection, ns);
	m->query = xasprintf("labelSelector=%s", sel);
	free(sel);
	free(ns);
}

static char *selector_string(const json_t *sel)
{
	/* metav1.LabelSelectorAsSelector().String(): sorted requirements */
	size_t n;
	const char **keys = sorted_keys(jg(sel, "matchLabels"), &n);
	struct dbuf b;
	dbuf_init(&b, 0);
	for (size_t i = 0; i < n; i++) {
		char *v = safe(jg(jg(sel, "matchLabels"), keys[i]));
		char *k = safe_str(keys[i]);
		dbuf_printf(&b, "%s%s=%s", i ? "," : "", k, v);
		free(k);
		free(v);
	}
	free(keys);
	return dbuf_take(&b);
}

static void describe_pod_template(struct dw *d, const json_t *tmpl)
{
	w(d, 0, "Pod Template:\n");
	const json_t *meta = jg(tmpl, "metadata"), *spec = jg(tmpl, "spec");
	labels_multiline(d, "  ", "Labels", jg(meta, "labels"));
	if (json_object_size(jg(meta, "annotations")))
		annotations_multiline(d, "  Annotations", jg(meta, "annotations"));
	if (json_is_string(jg(spec, "serviceAccountName")) && *json_string_value(jg(spec, "serviceAccountName"))) {
		char *s = safe(jg(spec, "serviceAccountName"));
		w(d, 1, "Service Account:\t%s\n", s);
		free(s);
	}
	if (json_array_size(jg(spec, "initContainers")))
		describe_containers(d, "Init Containers", jg(spec, "initContainers"), NULL, "  ");
	describe_containers(d, "Containers", jg(spec, "containers"), NULL, "  ");
	describe_volumes(d, jg(spec, "volumes"), "  ");
	if (json_is_string(jg(spec, "priorityClassName")) && *json_string_value(jg(spec, "priorityClassName"))) {
		char *s = safe(jg(spec, "priorityClassName"));
		w(d, 1, "Priority Class Name:\t%s\n", s);
		free(s);
	}
	labels_multiline(d, "  ", "Node-Selectors", jg(spec, "nodeSelector"));
	tolerations_multiline(d, "  Tolerations", jg(spec, "tolerations"));
}

/* ans: the ReplicaSets of its selector, its events (deployment_calls) */
static void describe_deployment(struct dw *d, const json_t *dep, const char *kind,
				const struct kube_answer *ans)
{
	(void)kind;
	struct tmpstr tmp = { { 0 }, 0 };
	const json_t *meta = jg(dep, "metadata"), *spec = jg(dep, "spec"), *st = jg(dep, "status");
	char when[64];
	w(d, 0, "Name:\t%s\n", S(jg(meta, "name")));
	w(d, 0, "Namespace:\t%s\n", S(jg(meta, "namespace")));
	rfc1123z(jg(meta, "creationTimestamp"), when, sizeof when);
	w(d, 0, "CreationTimestamp:\t%s\n", when);
	labels_multiline(d, "", "Labels", jg(meta, "labels"));
	annotations_multiline(d, "Annotations", jg(meta, "annotations"));
	char *sel = selector_string(jg(spec, "selector"));
	w(d, 0, "Selector:\t%s\n", sel);
	w(d, 0, "Replicas:\t%lld desired | %lld updated | %lld total | %lld available | %lld unavailable\n",
	  (long long)json_integer_value(jg(spec, "replicas")), (long long)json_integer_value(jg(st, "updatedReplicas")),
	  (long long)json_integer_value(jg(st, "replicas")), (long long)json_integer_value(jg(st, "availableReplicas")),
	  (long long)json_integer_value(jg(st, "unavailableReplicas")));
	const json_t *strat = jg(spec, "strategy");
	w(d, 0, "StrategyType:\t%s\n", S(jg(strat, "type")));
	w(d, 0, "MinReadySeconds:\t%lld\n", (long long)json_integer_value(jg(spec, "minReadySeconds")));
	const json_t *ru = jg(strat, "rollingUpdate");
	if (ru) {
		char mu[64], ms[64];
		const json_t *u = jg(ru, "maxUnavailable"), *s = jg(ru, "maxSurge");
		if (json_is_integer(u))
			snprintf(mu, sizeof mu, "%lld", (long long)json_integer_value(u));
		else
			snprintf(mu, sizeof mu, "%s", S(u));
		if (json_is_integer(s))
			snprintf(ms, sizeof ms, "%lld", (long long)json_integer_value(s));
		else
			snprintf(ms, sizeof ms, "%s", S(s));
		w(d, 0, "RollingUpdateStrategy:\t%s max unavailable, %s max surge\n", mu, ms);
	}
	describe_pod_template(d, jg(spec, "template"));
	if (json_array_size(jg(st, "conditions"))) {
		w(d, 0, "Conditions:\n  Type\tStatus\tReason\n");
		w(d, 1, "----\t------\t------\n");
		size_t i;
		json_t *cd;
		json_array_foreach(jg(st, "conditions"), i, cd)
			w(d, 1, "%s \t%s\t%s\n", S(jg(cd, "type")), S(jg(cd, "status")), S(jg(cd, "reason")));
	}
	/* The ReplicaSets it controls; the new one has its revision. */
	json_t *list = answer_list(&ans[0]);
	if (list) {
		const char *rev = json_string_value(jg(jg(meta, "annotations"), "deployment.kubernetes.io/revision"));
		struct dbuf olds, news;
		dbuf_init(&olds, 0);
		dbuf_init(&news, 0);
		size_t i;
		json_t *rs;
		json_array_foreach(jg(list, "items"), i, rs) {
			int owned = 0;
			size_t j;
			json_t *o;
			json_array_foreach(jg(jg(rs, "metadata"), "ownerReferences"), j, o)
				owned |= json_is_true(jg(o, "controller")) && json_equal(jg(o, "uid"), jg(meta, "uid"));
			if (!owned)
				continue;
			const char *rrev = json_string_value(jg(jg(jg(rs, "metadata"), "annotations"),
								"deployment.kubernetes.io/revision"));
			char *line = xasprintf("%s (%lld/%lld replicas created)", S(jg(jg(rs, "metadata"), "name")),
					       (long long)json_integer_value(jg(jg(rs, "status"), "replicas")),
					       (long long)json_integer_value(jg(jg(rs, "spec"), "replicas")));
			if (rev && rrev && !strcmp(rev, rrev))
				dbuf_printf(&news, "%s%s", news.len ? ", " : "", line);
			else if (json_integer_value(jg(jg(rs, "spec"), "replicas")) != 0)
				dbuf_printf(&olds, "%s%s", olds.len ? ", " : "", line);
			free(line);
		}
		w(d, 0, "OldReplicaSets:\t%s\n", olds.len ? olds.p : "<none>");
		w(d, 0, "NewReplicaSet:\t%s\n", news.len ? news.p : "<none>");
		dbuf_free(&olds);
		dbuf_free(&news);
		json_decref(list);
	}
	free(sel);
	answer_events(d, &ans[1]);
	tmp_free(&tmp);
}

/* ans: its events (events_calls) */
static void describe_pod(struct dw *d, const json_t *pod, const char *kind, const struct kube_answer *ans)
{
	(void)kind;
	struct tmpstr tmp = { { 0 }, 0 };
	const json_t *meta = jg(pod, "metadata"), *spec = jg(pod, "spec"), *st = jg(pod, "status");
	char when[64];
	w(d, 0, "Name:\t%s\n", S(jg(meta, "name")));
	w(d, 0, "Namespace:\t%s\n", S(jg(meta, "namespace")));
	if (json_is_integer(jg(spec, "priority")))
		w(d, 0, "Priority:\t%lld\n", (long long)json_integer_value(jg(spec, "priority")));
	if (*S(jg(spec, "priorityClassName")))
		w(d, 0, "Priority Class Name:\t%s\n", S(jg(spec, "priorityClassName")));
	if (*S(jg(spec, "runtimeClassName")))
		w(d, 0, "Runtime Class Name:\t%s\n", S(jg(spec, "runtimeClassName")));
	if (*S(jg(spec, "serviceAccountName")))
		w(d, 0, "Service Account:\t%s\n", S(jg(spec, "serviceAccountName")));
	if (!*S(jg(spec, "nodeName")))
		w(d, 0, "Node:\t<none>\n");
	else
		w(d, 0, "Node:\t%s/%s\n", S(jg(spec, "nodeName")), S(jg(st, "hostIP")));
	if (jg(st, "startTime")) {
		rfc1123z(jg(st, "startTime"), when, sizeof when);
		w(d, 0, "Start Time:\t%s\n", when);
	}
	labels_multiline(d, "", "Labels", jg(meta, "labels"));
	annotations_multiline(d, "Annotations", jg(meta, "annotations"));
	const char *phase = S(jg(st, "phase"));
	if (jg(meta, "deletionTimestamp") && strcmp(phase, "Failed") && strcmp(phase, "Succeeded")) {
		char lasts[32];
		since(jg(meta, "deletionTimestamp"), d->now, lasts, sizeof lasts);
		w(d, 0, "Status:\tTerminating (lasts %s)\n", lasts);
		w(d, 0, "Termination Grace Period:\t%llds\n",
		  (long long)json_integer_value(jg(meta, "deletionGracePeriodSeconds")));
	} else {
		w(d, 0, "Status:\t%s\n", phase);
	}
	if (*S(jg(st, "reason")))
		w(d, 0, "Reason:\t%s\n", S(jg(st, "reason")));
	if (*S(jg(st, "message")))
		w(d, 0, "Message:\t%s\n", S(jg(st, "message")));
	w(d, 0, "IP:\t%s\n", S(jg(st, "podIP")));
	if (!json_array_size(jg(st, "podIPs"))) {
		w(d, 0, "IPs:\t<none>\n");
	} else {
		w(d, 0, "IPs:\n");
		size_t i;
		json_t *ip;
		json_array_foreach(jg(st, "podIPs"), i, ip)
			w(d, 1, "IP:\t%s\n", S(jg(ip, "ip")));
	}
	size_t i;
	json_t *o;
	json_array_foreach(jg(meta, "ownerReferences"), i, o)
		if (json_is_true(jg(o, "controller")))
			w(d, 0, "Controlled By:\t%s/%s\n", S(jg(o, "kind")), S(jg(o, "name")));
	if (*S(jg(st, "nominatedNodeName")))
		w(d, 0, "NominatedNodeName:\t%s\n", S(jg(st, "nominatedNodeName")));
	if (json_array_size(jg(spec, "initContainers")))
		describe_containers(d, "Init Containers", jg(spec, "initContainers"), jg(st, "initContainerStatuses"), "");
	describe_containers(d, "Containers", jg(spec, "containers"), jg(st, "containerStatuses"), "");
	if (json_array_size(jg(st, "conditions"))) {
		w(d, 0, "Conditions:\n  Type\tStatus\n");
		json_t *cd;
		json_array_foreach(jg(st, "conditions"), i, cd)
			w(d, 1, "%s \t%s \n", S(jg(cd, "type")), S(jg(cd, "status")));
	}
	describe_volumes(d, jg(spec, "volumes"), "");
	w(d, 0, "QoS Class:\t%s\n", S(jg(st, "qosClass")));
	labels_multiline(d, "", "Node-Selectors", jg(spec, "nodeSelector"));
	tolerations_multiline(d, "Tolerations", jg(spec, "tolerations"));
	answer_events(d, &ans[0]);
	tmp_free(&tmp);
}

/* "Controlled By" as printController writes it. */
static void controlled_by(struct dw *d, const json_t *meta)
{
	struct tmpstr tmp = { { 0 }, 0 };
	size_t i;
	json_t *o;
	json_array_foreach(jg(meta, "ownerReferences"), i, o)
		if (json_is_true(jg(o, "controller")))
			w(d, 0, "Controlled By:\t%s/%s\n", S(jg(o, "kind")), S(jg(o, "name")));
	tmp_free(&tmp);
}

/* describeReplicaSet, with getPodStatusForController's counts. */
/* ans: the pods of its selector, its events (replicaset_calls) */
static void describe_replicaset(struct dw *d, const json_t *rs, const char *kind,
				const struct kube_answer *ans)
{
	(void)kind;
	struct tmpstr tmp = { { 0 }, 0 };
	const json_t *meta = jg(rs, "metadata"), *spec = jg(rs, "spec");
	w(d, 0, "Name:\t%s\n", S(jg(meta, "name")));
	w(d, 0, "Namespace:\t%s\n", S(jg(meta, "namespace")));
	char *sel = selector_string(jg(spec, "selector"));
	w(d, 0, "Selector:\t%s\n", *sel ? sel : "<none>");
	labels_multiline(d, "", "Labels", jg(meta, "labels"));
	annotations_multiline(d, "Annotations", jg(meta, "annotations"));
	controlled_by(d, meta);
	w(d, 0, "Replicas:\t%lld current / %lld desired\n", (long long)json_integer_value(jg(jg(rs, "status"), "replicas")),
	  (long long)json_integer_value(jg(spec, "replicas")));
	w(d, 0, "Pods Status:\t");
	if (ans[0].ok) {
		json_t *list = json_loadb(ans[0].body ? ans[0].body : "", ans[0].len, 0, NULL);
		long long running = 0, waiting = 0, succeeded = 0, failed = 0;
		size_t i;
		json_t *pod;
		json_array_foreach(jg(list, "items"), i, pod) {
			int owned = 0;
			size_t j;
			json_t *o;
			json_array_foreach(jg(jg(pod, "metadata"), "ownerReferences"), j, o)
				owned |= json_is_true(jg(o, "controller")) && json_equal(jg(o, "uid"), jg(meta, "uid"));
			if (!owned)
				continue;
			const char *ph = json_string_value(jg(jg(pod, "status"), "phase"));
			ph = ph ? ph : "";
			running += !strcmp(ph, "Running");
			waiting += !strcmp(ph, "Pending");
			succeeded += !strcmp(ph, "Succeeded");
			failed += !strcmp(ph, "Failed");
		}
		w(d, 0, "%lld Running / %lld Waiting / %lld Succeeded / %lld Failed\n", running, waiting, succeeded, failed);
		json_decref(list);
	} else {
		w(d, 0, "error in fetching pods: %s\n", ans[0].error ? ans[0].error : "the request failed");
	}
	free(sel);
	describe_pod_template(d, jg(spec, "template"));
	if (json_array_size(jg(jg(rs, "status"), "conditions"))) {
		w(d, 0, "Conditions:\n  Type\tStatus\tReason\n");
		w(d, 1, "----\t------\t------\n");
		size_t i;
		json_t *cd;
		json_array_foreach(jg(jg(rs, "status"), "conditions"), i, cd)
			w(d, 1, "%s \t%s\t%s\n", S(jg(cd, "type")), S(jg(cd, "status")), S(jg(cd, "reason")));
	}
	answer_events(d, &ans[1]);
	tmp_free(&tmp);
}

/* formatEndpointSlices: at most three addresses, then "+ N more...". */
static char *service_endpoints(const json_t *slices, const char *port_name)
{
	if (!json_array_size(slices))
		return xstrdup("<none>");
	struct dbuf b;
	dbuf_init(&b, 0);
	int shown = 0, count = 0;
	size_t i;
	json_t *sl;
	json_array_foreach(slices, i, sl) {
		const json_t *ports = jg(sl, "ports");
		size_t j, k;
		json_t *p, *ep;
		if (!json_array_size(ports)) {
			json_array_foreach(jg(sl, "endpoints"), k, ep) {
				if (shown < 3) {
					char *a = safe(json_array_get(jg(ep, "addresses"), 0));
					dbuf_printf(&b, "%s%s", shown ? "," : "", a);
					free(a);
					shown++;
				}
				count++;
			}
			continue;
		}
		json_array_foreach(ports, j, p) {
			const char *pn = json_string_value(jg(p, "name"));
			if (strcmp(pn ? pn : "", port_name) != 0)
				continue;
			json_array_foreach(jg(sl, "endpoints"), k, ep) {
				if (shown < 3) {
					char *a = safe(json_array_get(jg(ep, "addresses"), 0));
					dbuf_printf(&b, strchr(a, ':') ? "%s[%s]:%lld" : "%s%s:%lld", shown ? "," : "", a,
						    (long long)json_integer_value(jg(p, "port")));
					free(a);
					shown++;
				}
				count++;
			}
		}
	}
	if (count > 3)
		dbuf_printf(&b, " + %d more...", count - 3);
	return dbuf_take(&b);
}

static void join_array(struct dw *d, const char *title, const json_t *arr, int none)
{
	struct dbuf b;
	dbuf_init(&b, 0);
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) {
		char *s = safe(v);
		dbuf_printf(&b, "%s%s", i ? "," : "", s);
		free(s);
	}
	if (b.len || none)
		w(d, 0, "%s:\t%s\n", title, b.len ? b.p : "<none>");
	dbuf_free(&b);
}

/* describeService, endpoints from the EndpointSlices named for it. */
/* ans: its EndpointSlices, its events (service_calls) */
static void describe_service(struct dw *d, const json_t *svc, const char *kind, const struct kube_answer *ans)
{
	(void)kind;
	struct tmpstr tmp = { { 0 }, 0 };
	const json_t *meta = jg(svc, "metadata"), *spec = jg(svc, "spec");
	w(d, 0, "Name:\t%s\n", S(jg(meta, "name")));
	w(d, 0, "Namespace:\t%s\n", S(jg(meta, "namespace")));
	labels_multiline(d, "", "Labels", jg(meta, "labels"));
	annotations_multiline(d, "Annotations", jg(meta, "annotations"));
	/* labels.FormatLabels: sorted k=v, "<none>" when empty */
	json_t *wrapped = json_pack("{s:O}", "matchLabels", jg(spec, "selector") ? jg(spec, "selector") : json_null());
	char *sel = selector_string(wrapped);
	json_decref(wrapped);
	w(d, 0, "Selector:\t%s\n", *sel ? sel : "<none>");
	free(sel);
	w(d, 0, "Type:\t%s\n", S(jg(spec, "type")));
	if (json_is_string(jg(spec, "ipFamilyPolicy")))
		w(d, 0, "IP Family Policy:\t%s\n", S(jg(spec, "ipFamilyPolicy")));
	join_array(d, "IP Families", jg(spec, "ipFamilies"), 1);
	w(d, 0, "IP:\t%s\n", S(jg(spec, "clusterIP")));
	join_array(d, "IPs", jg(spec, "clusterIPs"), 1);
	join_array(d, "External IPs", jg(spec, "externalIPs"), 0);
	if (*S(jg(spec, "loadBalancerIP")))
		w(d, 0, "IP:\t%s\n", S(jg(spec, "loadBalancerIP")));
	if (json_is_string(jg(spec, "loadBalancerClass")))
		w(d, 0, "LoadBalancer Class:\t%s\n", S(jg(spec, "loadBalancerClass")));
	const json_t *ingress = jg(jg(jg(svc, "status"), "loadBalancer"), "ingress");
	if (json_array_size(ingress)) {
		struct dbuf b;
		dbuf_init(&b, 0);
		size_t i;
		json_t *in;
		json_array_foreach(ingress, i, in)
			dbuf_printf(&b, "%s%s", i ? ", " : "", *S(jg(in, "ip")) ? S(jg(in, "ip")) : S(jg(in, "hostname")));
		w(d, 0, "LoadBalancer Ingress:\t%s\n", b.p);
		dbuf_free(&b);
	}
	if (*S(jg(spec, "externalName")))
		w(d, 0, "External Name:\t%s\n", S(jg(spec, "externalName")));
	/* as kubectl: slices that cannot be listed show as <none> */
	json_t *list = answer_list(&ans[0]);
	json_t *slices = json_incref(jg(list, "items"));
	json_decref(list);
	size_t i;
	json_t *p;
	json_array_foreach(jg(spec, "ports"), i, p) {
		const char *name = *S(jg(p, "name")) ? S(jg(p, "name")) : "<unset>";
		const char *proto = json_is_string(jg(p, "protocol")) ? S(jg(p, "protocol")) : "TCP";
		w(d, 0, "Port:\t%s\t%lld/%s\n", name, (long long)json_integer_value(jg(p, "port")), proto);
		const json_t *tp = jg(p, "targetPort");
		if (json_is_string(tp))
			w(d, 0, "TargetPort:\t%s/%s\n", S(tp), proto);
		else
			w(d, 0, "TargetPort:\t%lld/%s\n", (long long)json_integer_value(tp), proto);
		if (json_integer_value(jg(p, "nodePort")))
			w(d, 0, "NodePort:\t%s\t%lld/%s\n", name, (long long)json_integer_value(jg(p, "nodePort")), proto);
		char *eps = service_endpoints(slices, json_is_string(jg(p, "name")) ? json_string_value(jg(p, "name")) : "");
		w(d, 0, "Endpoints:\t%s\n", eps);
		free(eps);
	}
	json_decref(slices);
	w(d, 0, "Session Affinity:\t%s\n", S(jg(spec, "sessionAffinity")));
	if (*S(jg(spec, "externalTrafficPolicy")))
		w(d, 0, "External Traffic Policy:\t%s\n", S(jg(spec, "externalTrafficPolicy")));
	if (json_is_string(jg(spec, "internalTrafficPolicy")))
		w(d, 0, "Internal Traffic Policy:\t%s\n", S(jg(spec, "internalTrafficPolicy")));
	if (json_integer_value(jg(spec, "healthCheckNodePort")))
		w(d, 0, "HealthCheck NodePort:\t%lld\n", (long long)json_integer_value(jg(spec, "healthCheckNodePort")));
	join_array(d, "LoadBalancer Source Ranges", jg(spec, "loadBalancerSourceRanges"), 0);
	answer_events(d, &ans[1]);
	tmp_free(&tmp);
}

/* describeJob */
/* ans: its events (events_calls) */
static void describe_job(struct dw *d, const json_t *job, const char *kind, const struct kube_answer *ans)
{
	(void)kind;
	struct tmpstr tmp = { { 0 }, 0 };
	const json_t *meta = jg(job, "metadata"), *spec = jg(job, "spec"), *st = jg(job, "status");
	char when[64];
	w(d, 0, "Name:\t%s\n", S(jg(meta, "name")));
	w(d, 0, "Namespace:\t%s\n", S(jg(meta, "namespace")));
	char *sel = selector_string(jg(spec, "selector"));
	w(d, 0, "Selector:\t%s\n", sel);
	free(sel);
	labels_multiline(d, "", "Labels", jg(meta, "labels"));
	annotations_multiline(d, "Annotations", jg(meta, "annotations"));
	controlled_by(d, meta);
	if (json_is_integer(jg(spec, "parallelism")))
		w(d, 0, "Parallelism:\t%lld\n", (long long)json_integer_value(jg(spec, "parallelism")));
	if (json_is_integer(jg(spec, "completions")))
		w(d, 0, "Completions:\t%lld\n", (long long)json_integer_value(jg(spec, "completions")));
	else
		w(d, 0, "Completions:\t<unset>\n");
	if (json_is_string(jg(spec, "completionMode")))
		w(d, 0, "Completion Mode:\t%s\n", S(jg(spec, "completionMode")));
	if (json_is_boolean(jg(spec, "suspend")))
		w(d, 0, "Suspend:\t%s\n", json_is_true(jg(spec, "suspend")) ? "true" : "false");
	if (json_is_integer(jg(spec, "backoffLimit")))
		w(d, 0, "Backoff Limit:\t%lld\n", (long long)json_integer_value(jg(spec, "backoffLimit")));
	if (json_is_integer(jg(spec, "ttlSecondsAfterFinished")))
		w(d, 0, "TTL Seconds After Finished:\t%lld\n", (long long)json_integer_value(jg(spec, "ttlSecondsAfterFinished")));
	if (jg(st, "startTime")) {
		rfc1123z(jg(st, "startTime"), when, sizeof when);
		w(d, 0, "Start Time:\t%s\n", when);
	}
	if (jg(st, "completionTime")) {
		rfc1123z(jg(st, "completionTime"), when, sizeof when);
		w(d, 0, "Completed At:\t%s\n", when);
	}
	long long t0, t1;
	if (kube_parse_time(json_string_value(jg(st, "startTime")), &t0) == 0 &&
	    kube_parse_time(json_string_value(jg(st, "completionTime")), &t1) == 0) {
		char dur[32];
		kube_human_duration(t1 - t0, dur, sizeof dur);
		w(d, 0, "Duration:\t%s\n", dur);
	}
	if (json_is_integer(jg(spec, "activeDeadlineSeconds")))
		w(d, 0, "Active Deadline Seconds:\t%llds\n", (long long)json_integer_value(jg(spec, "activeDeadlineSeconds")));
	if (json_is_integer(jg(st, "ready")))
		w(d, 0, "Pods Statuses:\t%lld Active (%lld Ready) / %lld Succeeded / %lld Failed\n",
		  (long long)json_integer_value(jg(st, "active")), (long long)json_integer_value(jg(st, "ready")),
		  (long long)json_integer_value(jg(st, "succeeded")), (long long)json_integer_value(jg(st, "failed")));
	else
		w(d, 0, "Pods Statuses:\t%lld Active / %lld Succeeded / %lld Failed\n",
		  (long long)json_integer_value(jg(st, "active")), (long long)json_integer_value(jg(st, "succeeded")),
		  (long long)json_integer_value(jg(st, "failed")));
	describe_pod_template(d, jg(spec, "template"));
	answer_events(d, &ans[0]);
	tmp_free(&tmp);
}

/* describeConfigMap; keys sorted (kubectl walks a Go map). */
/* ans: its events (events_calls) */
static void describe_configmap(struct dw *d, const json_t *cm, const char *kind,
			       const struct kube_answer *ans)
{
	(void)kind;
	struct tmpstr tmp = { { 0 }, 0 };
	const json_t *meta = jg(cm, "metadata");
	w(d, 0, "Name:\t%s\n", S(jg(meta, "name")));
	w(d, 0, "Namespace:\t%s\n", S(jg(meta, "namespace")));
	labels_multiline(d, "", "Labels", jg(meta, "labels"));
	annotations_multiline(d, "Annotations", jg(meta, "annotations"));
	w(d, 0, "\nData\n====\n");
	size_t n;
	const char **keys = sorted_keys(jg(cm, "data"), &n);
	for (size_t i = 0; i < n; i++) {
		char *k = safe_str(keys[i]);
		const char *v = json_string_value(jg(jg(cm, "data"), keys[i]));
		char *sv = sanitize_text(v ? v : "", v ? strlen(v) : 0, 1);
		w(d, 0, "%s:\n----\n%s\n\n", k, sv);
		free(sv);
		free(k);
	}
	free(keys);
	w(d, 0, "\nBinaryData\n====\n");
	keys = sorted_keys(jg(cm, "binaryData"), &n);
	for (size_t i = 0; i < n; i++) {
		const char *v = json_string_value(jg(jg(cm, "binaryData"), keys[i]));
		size_t len = 0;
		char *bin = v ? kube_base64_decode(v, strlen(v), &len) : NULL;
		free(bin);
		char *k = safe_str(keys[i]);
		w(d, 0, "%s: %zu bytes\n", k, len);
		free(k);
	}
	free(keys);
	w(d, 0, "\n");
	answer_events(d, &ans[0]);
	tmp_free(&tmp);
}

/* describeSecret: the size of each value, never the value (kubectl shows
 * service-account tokens; Podium shows Secrets by name only). */
static void describe_secret(struct dw *d, const json_t *sec, const char *kind, const struct kube_answer *ans)
{
	(void)kind;
	(void)ans;
	struct tmpstr tmp = { { 0 }, 0 };
	const json_t *meta = jg(sec, "metadata");
	w(d, 0, "Name:\t%s\n", S(jg(meta, "name")));
	w(d, 0, "Namespace:\t%s\n", S(jg(meta, "namespace")));
	labels_multiline(d, "", "Labels", jg(meta, "labels"));
	annotations_multiline(d, "Annotations", jg(meta, "annotations"));
	w(d, 0, "\nType:\t%s\n", S(jg(sec, "type")));
	w(d, 0, "\nData\n====\n");
	size_t n;
	const char **keys = sorted_keys(jg(sec, "data"), &n);
	for (size_t i = 0; i < n; i++) {
		const char *v = json_string_value(jg(jg(sec, "data"), keys[i]));
		size_t len = 0;
		char *bin = v ? kube_base64_decode(v, strlen(v), &len) : NULL;
		if (bin)
			memset(bin, 0, len);
		free(bin);
		char *k = safe_str(keys[i]);
		w(d, 0, "%s:\t%zu bytes\n", k, len);
		free(k);
	}
	free(keys);
	tmp_free(&tmp);
}

/* Any other kind: what every object has, then its events. */
/* ans: its events (events_calls) */
static void describe_generic(struct dw *d, const json_t *obj, const char *kind, const struct kube_answer *ans)
{
	(void)kind;
	struct tmpstr tmp = { { 0 }, 0 };
	const json_t *meta = jg(obj, "metadata");
	w(d, 0, "Name:\t%s\n", S(jg(meta, "name")));
	if (*S(jg(meta, "namespace")))
		w(d, 0, "Namespace:\t%s\n", S(jg(meta, "namespace")));
	labels_multiline(d, "", "Labels", jg(meta, "labels"));
	annotations_multiline(d, "Annotations", jg(meta, "annotations"));
	answer_events(d, &ans[0]);
	tmp_free(&tmp);
}

static size_t events_calls(const json_t *obj, const char *kind, struct kube_call *out)
{
	events_call(obj, kind, &out[0]);
	return 1;
}

/* The objects of collection its spec.selector matches, then its events. */
static size_t selected_calls(const char *collection, const json_t *obj, const char *kind,
			     struct kube_call *out)
{
	char *sel = selector_string(jg(jg(obj, "spec"), "selector"));
	selected_call(collection, obj, sel, &out[0]);
	free(sel);
	events_call(obj, kind, &out[1]);
	return 2;
}

static size_t deployment_calls(const json_t *dep, const char *kind, struct kube_call *out)
{
	return selected_calls("/apis/apps/v1/namespaces/%s/replicasets", dep, kind, out);
}

static size_t replicaset_calls(const json_t *rs, const char *kind, struct kube_call *out)
{
	return selected_calls("/api/v1/namespaces/%s/pods", rs, kind, out);
}

static size_t service_calls(const json_t *svc, const char *kind, struct kube_call *out)
{
	char *sel = xasprintf("kubernetes.io/service-name=%s", json_string_value(jg(jg(svc, "metadata"), "name")));
	selected_call("/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices", svc, sel, &out[0]);
	free(sel);
	events_call(svc, kind, &out[1]);
	return 2;
}

static size_t no_calls(const json_t *obj, const char *kind, struct kube_call *out)
{
	(void)obj;
	(void)kind;
	(void)out;
	return 0;
}

/* Each kind's describer: the requests it needs beyond the object, and the
 * text from the object and their answers, in that order. */
static const struct describer {
	const char *kind; /* NULL: any other kind */
	size_t (*calls)(const json_t *obj, const char *kind, struct kube_call *out);
	void (*text)(struct dw *d, const json_t *obj, const char *kind, const struct kube_answer *ans);
} describers[] = {
	{ "Deployment", deployment_calls, describe_deployment },
	{ "Pod", events_calls, describe_pod },
	{ "ReplicaSet", replicaset_calls, describe_replicaset },
	{ "Service", service_calls, describe_service },
	{ "Job", events_calls, describe_job },
	{ "ConfigMap", events_calls, describe_configmap },
	{ "Secret", no_calls, describe_secret },
	{ NULL, events_calls, describe_generic },
};

static const struct describer *describer_of(const struct kube_kind *k)
{
	const struct describer *w = describers;
	while (w->kind && strcmp(w->kind, k->kind))
		w++;
	return w;
}

/* The object's GET answer as an object, or NULL with e. */
static json_t *answer_object(const struct kube_kind *k, const char *name, const char *body, size_t len,
			     struct perr *e)
{
	json_t *obj = json_loadb(body ? body : "", len, 0, NULL);
	if (!json_is_object(obj)) {
		perr_set(e, "the server's answer for %s \"%s\" is not JSON", k->singular, name);
		json_decref(obj);
		return NULL;
	}
	return obj;
}

int kube_describe_calls(const struct kube_kind *k, const char *name, const char *obj, size_t len,
			struct kube_call *calls, size_t *n, struct perr *e)
{
	*n = 0;
	json_t *o = answer_object(k, name, obj, len, e);
	if (!o)
		return -1;
	*n = describer_of(k)->calls(o, k->kind, calls);
	json_decref(o);
	return 0;
}

char *kube_describe_text(const struct kube_kind *k, const char *name, const char *obj, size_t len,
			 const struct kube_answer *answers, size_t n, long long now, struct perr *e)
{
	json_t *o = answer_object(k, name, obj, len, e);
	if (!o)
		return NULL;
	const struct describer *dsc = describer_of(k);
	struct kube_call calls[KUBE_DESCRIBE_MAX_CALLS];
	size_t want = dsc->calls(o, k->kind, calls);
	for (size_t i = 0; i < want; i++)
		kube_call_free(&calls[i]);
	char *out = NULL;
	if (n != want) {
		perr_set(e, "describe: %zu answers for %zu requests", n, want);
	} else {
		struct dw d = { .now = now };
		dbuf_init(&d.b, 0);
		dsc->text(&d, o, k->kind, answers);
		out = dbuf_take(&d.b);
	}
	json_decref(o);
	return out;
}

char *kube_describe(struct kube_client *c, const struct kube_kind *k, const char *ns, const char *name,
		    long long now, struct perr *e)
{
	char *path = kube_kind_path(k, ns, name);
	struct kube_response r;
	char *out = NULL;
	struct kube_call calls[KUBE_DESCRIBE_MAX_CALLS];
	struct kube_response rs[KUBE_DESCRIBE_MAX_CALLS];
	struct kube_answer ans[KUBE_DESCRIBE_MAX_CALLS];
	struct perr errs[KUBE_DESCRIBE_MAX_CALLS];
	size_t n = 0;
	if (kube_request(c, "GET", path, NULL, NULL, NULL, 0, &r, e) == 0 &&
	    kube_describe_calls(k, name, r.body, r.len, calls, &n, e) == 0) {
		for (size_t i = 0; i < n; i++) {
			memset(&errs[i], 0, sizeof errs[i]);
			const struct kube_call *m = &calls[i];
			ans[i].ok = kube_request(c, m->method, m->path, m->query, m->content_type, m->body,
						 m->body ? strlen(m->body) : 0, &rs[i], &errs[i]) == 0;
			ans[i].status = rs[i].status;
			ans[i].body = rs[i].body;
			ans[i].len = rs[i].len;
			ans[i].error = ans[i].ok ? NULL : errs[i].msg;
			ans[i].ms = 0;
		}
		out = kube_describe_text(k, name, r.body, r.len, ans, n, now, e);
		for (size_t i = 0; i < n; i++) {
			kube_response_free(&rs[i]);
			kube_call_free(&calls[i]);
		}
	}
	kube_response_free(&r);
	free(path);
	return out;
}
