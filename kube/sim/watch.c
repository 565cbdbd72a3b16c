/*
 * watch.c - watch requests of the simulated API server: newline-delimited
 * JSON events over a chunked response, resumed from a resourceVersion,
 * with BOOKMARK events when asked, ended by timeoutSeconds, and the ERROR
 * event with a 410 Expired Status (then the end) when the version is older
 * than the history kept - as kube-apiserver does (watch-410-expired.json).
 *
 * The stream's reader runs on the connection's own thread and blocks there
 * waiting for events, so a slow or idle watcher holds nobody else up; the
 * store drops a watcher whose queue fills.
 */
#define _GNU_SOURCE
#include "kube/sim/server.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Idle time after which a BOOKMARK is sent (when asked for), and the
 * longest single wait, so that ends and disconnects are noticed. */
#define BOOKMARK_IDLE_MS 1000
#define WAIT_SLICE_MS 500

struct wstream {
	struct sim *s;
	struct sim_watcher *w;
	const struct sim_kind *k;
	struct sim_selector *label, *field;
	long long deadline; /* now_ms() */
	long long last_sent;
	int bookmarks;
	int fd; /* the client's socket, to notice it hang up; -1 unknown */
	struct dbuf pending;
	size_t off;
	int ended; /* nothing more after pending */
	int table; /* Accept asked for Tables: each object becomes one */
	int include; /* includeObject for those Tables */
};

/* Rewrite each event in pending so that its object is a one-row Table,
 * as the real server answers kubectl get -w. */
static void to_tables(struct wstream *ws)
{
	struct dbuf out;
	dbuf_init(&out, 0);
	char *line = ws->pending.p;
	while (line && *line) {
		char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		json_t *ev = json_loadb(line, n, 0, NULL);
		const char *type = json_string_value(json_object_get(ev, "type"));
		if (type && strcmp(type, "ERROR") != 0 && strcmp(type, "BOOKMARK") != 0) {
			json_t *obj = json_object_get(ev, "object");
			json_t *items = json_pack("[O]", obj);
			json_t *t = sim_table(ws->k, items, ws->include,
					      sim_wall_ms(ws->s) / 1000);
			json_t *rv = json_object_get(json_object_get(obj, "metadata"),
						     "resourceVersion");
			json_object_set_new(t, "metadata",
					    json_pack("{s:O}", "resourceVersion", rv));
			json_object_set_new(ev, "object", t);
			json_decref(items);
			char *txt = json_dumps(ev, JSON_COMPACT);
			dbuf_puts(&out, txt);
			dbuf_puts(&out, "\n");
			free(txt);
		} else {
			dbuf_append(&out, line, n);
			dbuf_puts(&out, "\n");
		}
		json_decref(ev);
		line = nl ? nl + 1 : line + n;
	}
	dbuf_free(&ws->pending);
	ws->pending = out;
}

/* The filter the store applies before queueing (lock held). */
static int wmatch(const json_t *obj, void *ud)
{
	struct wstream *ws = ud;
	return sim_selector_match(ws->label, obj) && sim_selector_match(ws->field, obj);
}

static void bookmark(struct wstream *ws, unsigned long long rv)
{
	char av[64];
	dbuf_printf(&ws->pending,
		    "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"%s\","
		    "\"apiVersion\":\"%s\",\"metadata\":{\"resourceVersion\":"
		    "\"%llu\",\"creationTimestamp\":null}}}\n",
		    ws->k->kind, sim_kind_api_version(ws->k, av, sizeof av), rv);
}

static int client_gone(int fd)
{
	if (fd < 0)
		return 0;
	struct pollfd p = { .fd = fd, .events = POLLRDHUP };
	return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* Fill ws->pending with the next events; 0, or -1 at the end. */
static int refill(struct wstream *ws)
{
	dbuf_reset(&ws->pending);
	ws->off = 0;
	for (;;) {
		if (ws->ended)
			return -1;
		long long now = now_ms();
		if (now >= ws->deadline || client_gone(ws->fd))
			return -1;
		long long wait = ws->deadline - now;
		if (wait > WAIT_SLICE_MS)
			wait = WAIT_SLICE_MS;
		sim_lock(ws->s);
		int r;
		if (ws->s->stopping)
			r = -1;
		else if (ws->s->faults.stall_until > now_ms())
			r = 0; /* stalled: hold events back */
		else
			r = sim_watch_next(ws->s, ws->w, &ws->pending, wait);
		if (r == 0 && ws->bookmarks && now_ms() - ws->last_sent >= BOOKMARK_IDLE_MS &&
		    ws->w->qlen == 0 && ws->s->faults.stall_until <= now_ms()) {
			bookmark(ws, sim_store_rv(ws->s));
			r = 1;
		}
		sim_unlock(ws->s);
		if (r == 0 && ws->s->faults.stall_until > now_ms()) {
			struct timespec ts = { 0, 100 * 1000000L };
			nanosleep(&ts, NULL);
		}
		if (r < 0)
			return -1;
		if (r == 1) {
			ws->last_sent = now_ms();
			if (ws->table)
				to_tables(ws);
			return 0;
		}
	}
}

static long wnext(void *stream, char *buf, size_t max)
{
	struct wstream *ws = stream;
	if (ws->off == ws->pending.len && refill(ws) < 0)
		return -1;
	size_t n = ws->pending.len - ws->off;
	if (n > max)
		n = max;
	memcpy(buf, ws->pending.p + ws->off, n);
	ws->off += n;
	return (long)n;
}

static void wdone(void *stream)
{
	struct wstream *ws = stream;
	if (!ws)
		return;
	if (ws->w) {
		sim_lock(ws->s);
		sim_watch_close(ws->s, ws->w);
		sim_unlock(ws->s);
	}
	sim_selector_free(ws->label);
	sim_selector_free(ws->field);
	dbuf_free(&ws->pending);
	free(ws);
}

/* Start a watch stream (or its single ERROR event) in r. */
void sim_api_watch(struct sim_request *rq, struct sim_resp *r)
{
	struct sim_status st = { 0 };
	struct wstream *ws = xcalloc(1, sizeof *ws);
	ws->s = rq->sim;
	ws->k = rq->route.kind;
	ws->fd = rq->client_fd;
	dbuf_init(&ws->pending, 0);
	long long timeout = 1800 + (long long)(now_ms() % 1800);
	long long rv = 0;
	if (sim_query_int("timeoutSeconds", rq->q.timeout_seconds, 0, 1LL << 31,
			  &timeout, &st) < 0 ||
	    sim_query_int("resourceVersion", rq->q.rv, 0, 1LL << 62, &rv, &st) < 0)
		goto fail;
	if (rq->q.label_selector && *rq->q.label_selector &&
	    !(ws->label = sim_label_selector_parse(rq->q.label_selector, &st)))
		goto fail;
	if (rq->q.field_selector && *rq->q.field_selector &&
	    !(ws->field = sim_field_selector_parse(ws->k, rq->q.field_selector, &st)))
		goto fail;
	ws->bookmarks = sim_query_bool(rq->q.bookmarks);
	ws->table = sim_accept_table(rq->accept);
	ws->include = rq->q.include_object && strcmp(rq->q.include_object, "None") == 0
			      ? SIM_TABLE_NONE
		      : rq->q.include_object && strcmp(rq->q.include_object, "Object") == 0
			      ? SIM_TABLE_OBJECT
			      : SIM_TABLE_METADATA;
	ws->deadline = now_ms() + timeout * 1000;
	ws->last_sent = now_ms();

	sim_lock(rq->sim);
	ws->w = sim_watch_open(rq->sim, ws->k, rq->route.has_ns ? rq->route.ns : NULL,
			       (unsigned long long)rv, wmatch, ws, &st);
	sim_unlock(rq->sim);
	if (!ws->w) {
		/* 200, one ERROR event carrying the Status, then the end. */
		json_t *ev = json_object();
		json_object_set_new(ev, "type", json_string("ERROR"));
		json_object_set_new(ev, "object", sim_status_json(&st));
		char *line = json_dumps(ev, JSON_COMPACT);
		json_decref(ev);
		dbuf_puts(&ws->pending, line);
		dbuf_puts(&ws->pending, "\n");
		free(line);
		ws->ended = 1;
		sim_status_clear(&st);
	}
	r->code = 200;
	r->ctype = "application/json";
	r->stream = ws;
	r->next = wnext;
	r->done = wdone;
	return;
fail:
	wdone(ws);
	sim_resp_status(r, &st);
	sim_status_clear(&st);
}
