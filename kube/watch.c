/*
 * watch.c - the watch-stream decoder: turns the bytes of a WATCH response,
 * arriving in chunks of any size, into events.
 *
 * The API server writes one JSON object per line: {"type": ADDED |
 * MODIFIED | DELETED | BOOKMARK | ERROR, "object": ...}. Lines are split
 * here without copying when a chunk holds whole lines (the usual case), and
 * buffered up to a cap when one straddles chunks, so a server that never
 * sends a newline costs at most max_line bytes. Each line is validated
 * strictly (jtok.c): garbage or invalid UTF-8 fails the stream with a
 * message saying where. ERROR events carry a Status, decoded here, since the
 * cache must tell 410 Expired/Gone (relist) from the rest (reconnect).
 */
#define _POSIX_C_SOURCE 200809L
#include "kube/kube.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kube_watch {
	struct dbuf line;      /* a partial line carried between chunks */
	size_t max_line;
	struct jtok_doc doc;   /* reused for every line */
	unsigned long long events;
	int failed;
};

static const struct {
	const char *name;
	enum kube_event_type type;
} event_types[] = {
	{ "ADDED", KUBE_EVENT_ADDED },
	{ "MODIFIED", KUBE_EVENT_MODIFIED },
	{ "DELETED", KUBE_EVENT_DELETED },
	{ "BOOKMARK", KUBE_EVENT_BOOKMARK },
	{ "ERROR", KUBE_EVENT_ERROR },
};

const char *kube_event_type_name(enum kube_event_type t)
{
	for (size_t i = 0; i < sizeof event_types / sizeof event_types[0]; i++)
		if (event_types[i].type == t)
			return event_types[i].name;
	return "?";
}

struct kube_watch *kube_watch_new(size_t max_line)
{
	struct kube_watch *w = xcalloc(1, sizeof *w);
	w->max_line = max_line ? max_line : KUBE_WATCH_MAX_LINE;
	if (w->max_line > JTOK_MAX_TEXT)
		w->max_line = JTOK_MAX_TEXT;
	dbuf_init(&w->line, w->max_line);
	return w;
}

void kube_watch_free(struct kube_watch *w)
{
	if (!w)
		return;
	dbuf_free(&w->line);
	jtok_doc_free(&w->doc);
	free(w);
}

void kube_watch_reset(struct kube_watch *w)
{
	/* Drop a large carried line's memory too, not just its length. */
	dbuf_free(&w->line);
	dbuf_init(&w->line, w->max_line);
	w->failed = 0;
}

unsigned long long kube_watch_count(const struct kube_watch *w)
{
	return w ? w->events : 0;
}

/* Copy a Status string field into dst (sanitised later by whoever shows it). */
static void status_field(const struct jtok_doc *d, int obj, const char *key,
			 char *dst, size_t size)
{
	char *s = jtok_str(d, jtok_get(d, obj, key));
	snprintf(dst, size, "%s", s ? s : "");
	free(s);
}

int kube_watch_status_decode(const struct jtok_doc *d, int obj, struct kube_watch_status *st)
{
	memset(st, 0, sizeof *st);
	if (obj < 0 || d->t[obj].type != JTOK_OBJECT)
		return -1;
	long long code = 0;
	if (jtok_int(d, jtok_get(d, obj, "code"), &code) == 0 && code > 0 &&
	    code < 1000)
		st->code = (int)code;
	status_field(d, obj, "reason", st->reason, sizeof st->reason);
	status_field(d, obj, "message", st->message, sizeof st->message);
	return 0;
}

/* Decode one complete line and hand the event to fn. */
static int process_line(struct kube_watch *w, const char *p, size_t n,
			kube_watch_fn fn, void *ctx, struct perr *e)
{
	size_t k = 0;
	while (k < n && (p[k] == ' ' || p[k] == '\t' || p[k] == '\r'))
		k++;
	if (k == n)
		return 0; /* blank line: keep-alives are allowed */
	struct perr pe = { { 0 } };
	if (jtok_parse(&w->doc, p, n, &pe) < 0) {
		perr_set(e, "watch event %llu: %s", w->events + 1, pe.msg);
		return -1;
	}
	const struct jtok_doc *d = &w->doc;
	if (d->t[0].type != JTOK_OBJECT) {
		perr_set(e, "watch event %llu: not a JSON object", w->events + 1);
		return -1;
	}
	int type = jtok_get(d, 0, "type");
	int obj = jtok_get(d, 0, "object");
	struct kube_watch_event ev;
	memset(&ev, 0, sizeof ev);
	size_t i;
	for (i = 0; i < sizeof event_types / sizeof event_types[0]; i++)
		if (jtok_str_eq(d, type, event_types[i].name))
			break;
	if (i == sizeof event_types / sizeof event_types[0]) {
		perr_set(e, "watch event %llu: missing or unknown \"type\"", w->events + 1);
		return -1;
	}
	if (obj < 0 || d->t[obj].type != JTOK_OBJECT) {
		perr_set(e, "watch event %llu: \"object\" is not a JSON object",
			 w->events + 1);
		return -1;
	}
	ev.type = event_types[i].type;
	ev.doc = d;
	ev.object = obj;
	if (ev.type == KUBE_EVENT_ERROR)
		kube_watch_status_decode(d, obj, &ev.status);
	w->events++;
	return fn(ctx, &ev, e);
}

int kube_watch_feed(struct kube_watch *w, const char *data, size_t n,
		    kube_watch_fn fn, void *ctx, struct perr *e)
{
	if (w->failed) {
		perr_set(e, "watch stream already failed");
		return -1;
	}
	while (n > 0) {
		const char *nl = memchr(data, '\n', n);
		size_t seg = nl ? (size_t)(nl - data) : n;
		if (w->line.len + seg > w->max_line) {
			perr_set(e, "watch event %llu is longer than %zu bytes: refused",
				 w->events + 1, w->max_line);
			goto fail;
		}
		if (!nl) {
			dbuf_append(&w->line, data, seg);
			return 0;
		}
		int rc;
		if (w->line.len == 0) {
			rc = process_line(w, data, seg, fn, ctx, e);
		} else {
			dbuf_append(&w->line, data, seg);
			rc = process_line(w, w->line.p, w->line.len, fn, ctx, e);
			dbuf_reset(&w->line);
		}
		if (rc < 0)
			goto fail;
		data += seg + 1;
		n -= seg + 1;
	}
	return 0;
fail:
	w->failed = 1;
	return -1;
}

int kube_watch_finish(struct kube_watch *w, struct perr *e)
{
	if (w->failed) {
		perr_set(e, "watch stream already failed");
		return -1;
	}
	int rc = 0;
	if (w->line.len > 0) {
		/* The server ends every event with a newline; a stream that stops
		 * inside one was cut, and a prefix that happens to parse is not
		 * trusted either. */
		perr_set(e, "watch stream ended inside event %llu", w->events + 1);
		rc = -1;
		w->failed = 1;
	}
	dbuf_reset(&w->line);
	return rc;
}
