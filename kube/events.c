/*
 * events.c - `kubectl events`: the events of a namespace (or all), in the
 * events command's own printer (k8s.io/kubectl/pkg/cmd/events): LAST SEEN
 * as getInterval writes it ("5s (x3 over 2m)"), OBJECT as Kind/name, the
 * message trimmed, oldest first by the event's own time (series last
 * observed, else lastTimestamp, else eventTime). kubectl sorts with Go's
 * unstable sort; ties keep the server's order here.
 */
#define _POSIX_C_SOURCE 200809L
#include "kube/kube.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct kube_column events_cols[] = {
	{ "NAME", 0 }, { "LAST SEEN", 0 }, { "TYPE", 0 }, { "REASON", 0 }, { "OBJECT", 0 },
	{ "MESSAGE", 0 }, { NULL, 0 },
};

static long long ev_time(const json_t *v)
{
	long long t;
	return kube_parse_time(json_string_value(v), &t) == 0 ? t : 0;
}

static void ev_since(const json_t *v, long long now, char *buf, size_t n)
{
	long long t;
	if (kube_parse_time(json_string_value(v), &t) < 0)
		snprintf(buf, n, "<unknown>");
	else
		kube_human_duration(now - t, buf, n);
}

static char *ev_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return sanitize_text(s ? s : "", s ? strlen(s) : 0, 0);
}

/* One event into o, as printOneEvent prints it. */
static int ev_row(const json_t *e, long long now, struct kube_obj *o)
{
	memset(o, 0, sizeof *o);
	const json_t *meta = json_object_get(e, "metadata");
	if (!json_is_string(json_object_get(meta, "name")))
		return -1;
	o->name = ev_str(meta, "name");
	o->namespace = ev_str(meta, "namespace");
	o->uid = ev_str(meta, "uid");
	o->resource_version = ev_str(meta, "resourceVersion");
	o->created = ev_time(json_object_get(meta, "creationTimestamp"));
	const json_t *series = json_object_get(e, "series");
	char first[32], last[32], interval[96];
	if (json_is_string(json_object_get(e, "eventTime")))
		ev_since(json_object_get(e, "eventTime"), now, first, sizeof first);
	else
		ev_since(json_object_get(e, "firstTimestamp"), now, first, sizeof first);
	long long count = json_integer_value(json_object_get(e, "count"));
	if (series) {
		ev_since(json_object_get(series, "lastObservedTime"), now, last, sizeof last);
		snprintf(interval, sizeof interval, "%s (x%lld over %s)", last,
			 (long long)json_integer_value(json_object_get(series, "count")), first);
		o->time = ev_time(json_object_get(series, "lastObservedTime"));
	} else if (count > 1) {
		ev_since(json_object_get(e, "lastTimestamp"), now, last, sizeof last);
		snprintf(interval, sizeof interval, "%s (x%lld over %s)", last, count, first);
	} else {
		snprintf(interval, sizeof interval, "%s", first);
	}
	if (!series) {
		o->time = ev_time(json_object_get(e, "lastTimestamp"));
		if (!o->time)
			o->time = ev_time(json_object_get(e, "eventTime"));
	}
	const json_t *inv = json_object_get(e, "involvedObject");
	char *kind = ev_str(inv, "kind"), *name = ev_str(inv, "name");
	char *msg = ev_str(e, "message");
	size_t ml = strlen(msg), start = 0;
	while (ml && msg[ml - 1] == ' ')
		ml--;
	while (start < ml && msg[start] == ' ')
		start++;
	o->ncols = 6;
	o->cols = xcalloc(6, sizeof *o->cols);
	o->cols[0] = xstrdup(o->name);
	o->cols[1] = xstrdup(interval);
	o->cols[2] = ev_str(e, "type");
	o->cols[3] = ev_str(e, "reason");
	o->cols[4] = xasprintf("%s/%s", kind, name);
	o->cols[5] = xstrndup(msg + start, ml - start);
	free(kind);
	free(name);
	free(msg);
	return 0;
}

static int by_time(const void *a, const void *b)
{
	const struct kube_obj *x = a, *y = b;
	if (x->time != y->time)
		return (x->time > y->time) - (x->time < y->time);
	/* qsort is not stable: the original position breaks ties */
	return (x->created > y->created) - (x->created < y->created);
}

int kube_events(struct kube_client *c, const char *ns, const char *selector, long long now,
		struct kube_table *t, struct perr *e)
{
	memset(t, 0, sizeof *t);
	const struct kube_kind *k = kube_kind_find("events");
	t->kind = k;
	char *path = kube_kind_path(k, ns, NULL);
	char *cont = NULL;
	int rc = -1;
	if (!now)
		now = (long long)time(NULL);
	t->ncols = 6;
	t->headers = xcalloc(6, sizeof *t->headers);
	t->wide = xcalloc(6, sizeof *t->wide);
	for (int i = 0; i < 6; i++)
		t->headers[i] = xstrdup(events_cols[i].name);
	for (;;) {
		struct dbuf q;
		dbuf_init(&q, 0);
		dbuf_puts(&q, "limit=500");
		if (selector && *selector) {
			char *s = kube_query_escape(selector);
			dbuf_printf(&q, "&labelSelector=%s", s);
			free(s);
		}
		if (cont) {
			char *s = kube_query_escape(cont);
			dbuf_printf(&q, "&continue=%s", s);
			free(s);
		}
		struct kube_response r;
		int ok = kube_request(c, "GET", path, q.p, NULL, NULL, 0, &r, e);
		dbuf_free(&q);
		json_t *list = NULL;
		if (ok == 0) {
			list = json_loadb(r.body, r.len, 0, NULL);
			if (!json_is_array(json_object_get(list, "items"))) {
				perr_set(e, "the server's answer is not a list of events");
				ok = -1;
			}
		}
		kube_response_free(&r);
		if (ok < 0) {
			json_decref(list);
			goto out;
		}
		const json_t *items = json_object_get(list, "items");
		t->rows = xrealloc(t->rows, (t->nrows + json_array_size(items) + 1) * sizeof *t->rows);
		size_t i;
		json_t *it;
		json_array_foreach(items, i, it)
			if (ev_row(it, now, &t->rows[t->nrows]) == 0)
				t->nrows++;
		free(cont);
		const char *next = json_string_value(json_object_get(json_object_get(list, "metadata"), "continue"));
		cont = next && *next ? xstrdup(next) : NULL;
		json_decref(list);
		if (!cont)
			break;
	}
	/* created holds the arrival order for a stable sort; restored after */
	long long *created = xcalloc(t->nrows + 1, sizeof *created);
	for (size_t i = 0; i < t->nrows; i++) {
		created[i] = t->rows[i].created;
		t->rows[i].created = (long long)i;
	}
	qsort(t->rows, t->nrows, sizeof *t->rows, by_time);
	for (size_t i = 0; i < t->nrows; i++)
		t->rows[i].created = created[t->rows[i].created];
	free(created);
	rc = 0;
out:
	free(cont);
	free(path);
	if (rc < 0)
		kube_table_clear(t);
	return rc;
}
