/*
 * watchset.c - the HTTP side of the list/watch caches: several caches share
 * one curl multi handle, driven from the caller's poll loop.
 *
 * cache.c decides what to ask and consumes the answers; this file turns its
 * decisions into transfers (kube_easy_new sets up TLS and credentials),
 * streams WATCH bodies into the cache as they arrive, collects LIST pages
 * and error bodies into capped buffers, and reports how each transfer
 * ended. Nothing here blocks: kube_watchset_poll waits on curl's sockets
 * plus the caller's own descriptors (the terminal) until the next due
 * request, and kube_watchset_step does whatever is ready.
 *
 * The same multi handle carries one-shot requests (kube_watchset_send):
 * an infer batch, a GET of a Deployment, a DELETE. Each ends in its
 * caller's callback, run from kube_watchset_step; a caller that goes away
 * first cancels its requests, so no callback reaches freed memory.
 *
 * A transfer of either kind answered 401 by a cluster whose credential can
 * be fetched afresh (exec plugin, tokenFile) goes again once with a fresh
 * one before anyone hears of it, as kube_request does: tokens rotate under
 * a running dashboard, and a watch should not sit "reconnecting" for it.
 */
#define _POSIX_C_SOURCE 200809L
#include "kube/kube.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* A Status body of a failed request is small; more is not worth keeping. */
#define ERROR_BODY_MAX (1u << 20)
/* A WATCH whose server stops answering is given up this long after the
 * timeoutSeconds it asked for. */
#define WATCH_GRACE_MS 30000

struct entry {
	struct kube_cache *cache;
	struct kube_watchset *ws;
	struct kube_easy *x;       /* the transfer in flight, or NULL */
	enum kube_req_kind kind;
	struct dbuf body;          /* LIST page, or a failed answer's body */
	long status;
	long long retry_after_ms;
	int stopped;               /* we cut the transfer (the cache said so) */
	int resent;                /* sent again after a 401 already */
};

/* A one-shot request in flight. */
struct send {
	unsigned long long id;
	struct kube_easy *x;
	struct dbuf body;
	kube_answer_fn done;
	void *ud;
	long long t0;
	int resent;                /* sent again after a 401 already */
};

struct kube_watchset {
	struct kube_client *client; /* borrowed */
	CURLM *multi;
	struct entry **v;
	size_t n;
	struct send **sends;
	size_t nsends;
	unsigned long long next_id;
	long list_timeout_ms;
	double latency_ms;        /* the last answer's time to first byte; -1: none */
	long long latency_at;     /* now_ms() when it came */
};

/* The API server's latency as the header shows it: how long the last
 * LIST or one-shot request waited for its first byte (a LIST's body and a
 * WATCH's life are not latency). */
static void note_latency(struct kube_watchset *ws, CURL *h)
{
	curl_off_t us = 0;
	if (curl_easy_getinfo(h, CURLINFO_STARTTRANSFER_TIME_T, &us) == CURLE_OK && us > 0) {
		ws->latency_ms = (double)us / 1000.0;
		ws->latency_at = now_ms();
	}
}

double kube_watchset_latency(const struct kube_watchset *ws, long long *at)
{
	if (at)
		*at = ws->latency_at;
	return ws->latency_ms;
}

struct kube_watchset *kube_watchset_new(struct kube_client *client)
{
	struct kube_watchset *ws = xcalloc(1, sizeof *ws);
	ws->latency_ms = -1;
	ws->client = client;
	ws->multi = curl_multi_init();
	if (!ws->multi) {
		free(ws);
		return NULL;
	}
	/* HTTP/2: many watches share one connection, as client-go's do. */
	curl_multi_setopt(ws->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	long t = kube_client_timeout(client);
	ws->list_timeout_ms = t > 0 ? t : 60000;
	return ws;
}

static void finish_transfer(struct entry *en)
{
	if (!en->x)
		return;
	curl_multi_remove_handle(en->ws->multi, en->x->curl);
	kube_easy_free(en->x);
	en->x = NULL;
	en->kind = KUBE_REQ_NONE;
	dbuf_free(&en->body);
}

static void entry_free(struct entry *en)
{
	finish_transfer(en);
	kube_cache_free(en->cache);
	free(en);
}

static void send_free(struct kube_watchset *ws, struct send *sd)
{
	curl_multi_remove_handle(ws->multi, sd->x->curl);
	kube_easy_free(sd->x);
	dbuf_free(&sd->body);
	free(sd);
}

/* Take send i out of the list (the caller frees it or hands it over). */
static struct send *send_take(struct kube_watchset *ws, size_t i)
{
	struct send *sd = ws->sends[i];
	memmove(ws->sends + i, ws->sends + i + 1, (ws->nsends - i - 1) * sizeof *ws->sends);
	ws->nsends--;
	return sd;
}

void kube_watchset_free(struct kube_watchset *ws)
{
	if (!ws)
		return;
	for (size_t i = 0; i < ws->n; i++)
		entry_free(ws->v[i]);
	free(ws->v);
	for (size_t i = 0; i < ws->nsends; i++)
		send_free(ws, ws->sends[i]);
	free(ws->sends);
	curl_multi_cleanup(ws->multi);
	free(ws);
}

struct kube_cache *kube_watchset_add(struct kube_watchset *ws, const struct kube_cache_spec *spec)
{
	struct entry *en = xcalloc(1, sizeof *en);
	en->cache = kube_cache_new_spec(spec);
	en->ws = ws;
	ws->v = xrealloc(ws->v, (ws->n + 1) * sizeof *ws->v);
	ws->v[ws->n++] = en;
	return en->cache;
}

static void *project_kind(void *ctx, const struct jtok_doc *d, int obj)
{
	const struct kube_kind *k = ctx;
	struct kube_obj *o = xcalloc(1, sizeof *o);
	if (kube_obj_project_tok(k, d, obj, (long long)time(NULL), o) < 0) {
		free(o);
		return NULL;
	}
	return o;
}

static void project_kind_free(void *p)
{
	kube_obj_clear(p);
	free(p);
}

struct kube_cache *kube_cache_new(struct kube_watchset *ws, const struct kube_kind *kind,
				  const char *ns, const char *selector)
{
	return kube_cache_new_fields(ws, kind, ns, selector, NULL);
}

struct kube_cache *kube_cache_new_fields(struct kube_watchset *ws, const struct kube_kind *kind,
					 const char *ns, const char *selector,
					 const char *field_selector)
{
	char *path = kube_kind_path(kind, kind->namespaced ? ns : NULL, NULL);
	struct kube_cache_spec spec = {
		.path = path,
		.label_selector = selector,
		.field_selector = field_selector,
		.project = project_kind,
		.project_free = project_kind_free,
		.project_ctx = (void *)kind,
	};
	struct kube_cache *c = kube_watchset_add(ws, &spec);
	free(path);
	return c;
}

void kube_watchset_remove(struct kube_watchset *ws, struct kube_cache *c)
{
	for (size_t i = 0; i < ws->n; i++) {
		if (ws->v[i]->cache != c)
			continue;
		entry_free(ws->v[i]);
		memmove(ws->v + i, ws->v + i + 1, (ws->n - i - 1) * sizeof *ws->v);
		ws->n--;
		return;
	}
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	struct entry *en = arg;
	size_t len = size * n;
	static const char ra[] = "retry-after:";
	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		/* A new response (after a 100 Continue, say): start over. */
		en->retry_after_ms = -1;
		en->status = 0;
		const char *sp = memchr(data, ' ', len);
		if (sp)
			en->status = strtol(sp + 1, NULL, 10);
	} else if (len > sizeof ra && strncasecmp(data, ra, sizeof ra - 1) == 0) {
		char tmp[64];
		size_t vl = len - (sizeof ra - 1);
		if (vl >= sizeof tmp)
			vl = sizeof tmp - 1;
		memcpy(tmp, data + sizeof ra - 1, vl);
		tmp[vl] = '\0';
		en->retry_after_ms = kube_retry_after_ms(tmp);
	} else if ((len == 2 && data[0] == '\r') || (len == 1 && data[0] == '\n')) {
		if (en->kind == KUBE_REQ_WATCH && en->status == 200)
			kube_cache_watch_open(en->cache);
	}
	return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct entry *en = arg;
	size_t len = size * n;
	if (en->kind == KUBE_REQ_WATCH && en->status == 200) {
		if (kube_cache_watch_data(en->cache, data, len) < 0) {
			en->stopped = 1;
			return 0; /* libcurl ends the transfer with a write error */
		}
		return len;
	}
	if (dbuf_append(&en->body, data, len) < 0)
		return 0;
	return len;
}

/* A transfer answered 401: when the client's credential can be fetched
 * afresh (exec plugin, tokenFile) and x was not sent again already, give
 * it fresh credentials and send it again, as kube_request does: 1 when
 * it is back on the multi handle, 0 when the 401 stands, -1 when fresh
 * credentials could not be had (e says why). x is out of the multi after
 * 0 or -1. */
static int resend_401(struct kube_watchset *ws, struct kube_easy *x, CURLcode rc, int *resent,
		      struct perr *e)
{
	long status = 0;
	curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK || status != 401 || *resent || !kube_client_can_refresh(x->client))
		return 0;
	struct perr first = { { 0 } };
	kube_easy_check(x, rc, NULL, 0, &first); /* drops the stale credential */
	curl_multi_remove_handle(ws->multi, x->curl);
	*resent = 1;
	if (kube_easy_reauth(x, e) < 0)
		return -1;
	curl_multi_add_handle(ws->multi, x->curl);
	return 1;
}

/* Start the cache's next request if it is due. */
static void start_due(struct kube_watchset *ws, struct entry *en, long long now)
{
	char *query = NULL;
	enum kube_req_kind kind = kube_cache_start(en->cache, now, &query);
	if (kind == KUBE_REQ_NONE)
		return;
	struct perr e = { { 0 } };
	struct kube_easy *x = kube_easy_new(ws->client, "GET", kube_cache_path(en->cache), query,
					    NULL, &e);
	long timeout = ws->list_timeout_ms;
	if (kind == KUBE_REQ_WATCH) {
		const char *t = strstr(query, "timeoutSeconds=");
		timeout = (t ? strtol(t + 15, NULL, 10) * 1000 : 0) + WATCH_GRACE_MS;
	}
	free(query);
	if (!x) {
		/* No transfer (an exec plugin failed, say): as if it had failed. */
		struct kube_result r = { .transport_error = 1, .retry_after_ms = -1, .error = e.msg };
		if (kind == KUBE_REQ_LIST)
			kube_cache_list_done(en->cache, now, &r);
		else
			kube_cache_watch_done(en->cache, now, &r);
		return;
	}
	en->x = x;
	en->kind = kind;
	en->status = 0;
	en->retry_after_ms = -1;
	en->stopped = 0;
	en->resent = 0;
	dbuf_init(&en->body, kind == KUBE_REQ_LIST ? KUBE_MAX_BODY : ERROR_BODY_MAX);
	CURL *h = x->curl;
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, en);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, en);
	curl_easy_setopt(h, CURLOPT_PRIVATE, en);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_multi_add_handle(ws->multi, h);
}

/* A transfer ended: tell the cache how. */
static void complete(struct entry *en, CURLcode rc, long long now)
{
	struct perr e = { { 0 } };
	/* A (re)list or watch refused for a stale token goes on with a fresh
	 * one, unseen by the cache: no "reconnecting", no backoff. */
	int again = resend_401(en->ws, en->x, rc, &en->resent, &e);
	if (again > 0) {
		dbuf_free(&en->body);
		dbuf_init(&en->body, en->kind == KUBE_REQ_LIST ? KUBE_MAX_BODY : ERROR_BODY_MAX);
		en->status = 0;
		en->retry_after_ms = -1;
		return;
	}
	if (again < 0) {
		struct kube_result r = { .transport_error = 1, .retry_after_ms = -1, .error = e.msg };
		enum kube_req_kind kind = en->kind;
		finish_transfer(en);
		if (kind == KUBE_REQ_LIST)
			kube_cache_list_done(en->cache, now, &r);
		else
			kube_cache_watch_done(en->cache, now, &r);
		return;
	}
	long status = 0;
	curl_easy_getinfo(en->x->curl, CURLINFO_RESPONSE_CODE, &status);
	if (en->kind == KUBE_REQ_LIST && rc == CURLE_OK)
		note_latency(en->ws, en->x->curl);
	struct kube_result r = {
		.status = status,
		.transport_error = rc != CURLE_OK && !en->stopped,
		.body = en->body.p,
		.len = en->body.len,
		.retry_after_ms = en->retry_after_ms,
	};
	if (rc != CURLE_OK && !en->stopped) {
		kube_easy_check(en->x, rc, en->body.p, en->body.len, &e);
		r.error = e.msg;
	} else if (status != 200) {
		kube_easy_check(en->x, CURLE_OK, en->body.p, en->body.len, &e);
		r.error = e.msg;
	}
	enum kube_req_kind kind = en->kind;
	struct kube_cache *c = en->cache;
	/* The cache may start the next request from inside *_done's caller,
	 * so the old transfer goes first; r.body must stay valid meanwhile. */
	struct dbuf body = en->body;
	dbuf_init(&en->body, 0);
	curl_multi_remove_handle(en->ws->multi, en->x->curl);
	kube_easy_free(en->x);
	en->x = NULL;
	en->kind = KUBE_REQ_NONE;
	if (kind == KUBE_REQ_LIST)
		kube_cache_list_done(c, now, &r);
	else
		kube_cache_watch_done(c, now, &r);
	dbuf_free(&body);
}

/* ---- one-shot requests ---- */

static size_t send_body(char *data, size_t size, size_t n, void *arg)
{
	struct send *sd = arg;
	return dbuf_append(&sd->body, data, size * n) < 0 ? 0 : size * n;
}

unsigned long long kube_watchset_send(struct kube_watchset *ws, struct kube_easy *x,
				      size_t max_body, kube_answer_fn done, void *ud)
{
	struct send *sd = xcalloc(1, sizeof *sd);
	sd->id = ++ws->next_id;
	sd->x = x;
	sd->done = done;
	sd->ud = ud;
	sd->t0 = now_ms();
	dbuf_init(&sd->body, max_body ? max_body : KUBE_MAX_BODY);
	CURL *h = x->curl;
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, send_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, sd);
	curl_easy_setopt(h, CURLOPT_PRIVATE, NULL);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, ws->list_timeout_ms);
	ws->sends = xrealloc(ws->sends, (ws->nsends + 1) * sizeof *ws->sends);
	ws->sends[ws->nsends++] = sd;
	curl_multi_add_handle(ws->multi, h);
	return sd->id;
}

void kube_watchset_cancel(struct kube_watchset *ws, unsigned long long id)
{
	for (size_t i = 0; ws && i < ws->nsends; i++)
		if (ws->sends[i]->id == id) {
			send_free(ws, send_take(ws, i));
			return;
		}
}

void kube_watchset_cancel_ud(struct kube_watchset *ws, const void *ud)
{
	for (size_t i = 0; ws && i < ws->nsends;) {
		if (ws->sends[i]->ud == ud)
			send_free(ws, send_take(ws, i));
		else
			i++;
	}
}

int kube_watchset_pending(const struct kube_watchset *ws)
{
	return ws ? (int)ws->nsends : 0;
}

struct kube_client *kube_watchset_client(const struct kube_watchset *ws)
{
	return ws->client;
}

void kube_easy_body(struct kube_easy *x, const char *content_type, const char *body, size_t len)
{
	char *ct = xasprintf("Content-Type: %s", content_type ? content_type : "application/json");
	x->headers = curl_slist_append(x->headers, ct);
	free(ct);
	curl_easy_setopt(x->curl, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(x->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(x->curl, CURLOPT_COPYPOSTFIELDS, body);
}

int kube_watchset_request(struct kube_watchset *ws, struct kube_client *c, const char *method,
			  const char *path, const char *query, const char *content_type,
			  const char *body, size_t body_len, kube_answer_fn done, void *ud,
			  unsigned long long *id, struct perr *e)
{
	struct kube_easy *x = kube_easy_new(c ? c : ws->client, method, path, query, NULL, e);
	if (!x)
		return -1;
	if (body)
		kube_easy_body(x, content_type, body, body_len);
	unsigned long long i = kube_watchset_send(ws, x, 0, done, ud);
	if (id)
		*id = i;
	return 0;
}

/* A one-shot request ended: out of the list first (its callback may send
 * or cancel), then the callback, then freed. */
static void send_complete(struct kube_watchset *ws, size_t i, CURLcode rc)
{
	struct perr e = { { 0 } };
	struct kube_answer a = { 0 };
	int again = resend_401(ws, ws->sends[i]->x, rc, &ws->sends[i]->resent, &e);
	if (again > 0) {
		dbuf_reset(&ws->sends[i]->body);
		return;
	}
	struct send *sd = send_take(ws, i);
	if (again < 0) {
		a.status = 401;
		a.error = e.msg;
		a.ms = (double)(now_ms() - sd->t0);
		sd->done(sd->ud, &a);
		send_free(ws, sd);
		return;
	}
	curl_easy_getinfo(sd->x->curl, CURLINFO_RESPONSE_CODE, &a.status);
	/* dbuf_append keeps a NUL after the data */
	a.body = sd->body.p;
	a.len = sd->body.len;
	a.ok = kube_easy_check(sd->x, rc, sd->body.p, sd->body.len, &e) == 0;
	a.error = a.ok ? NULL : e.msg;
	a.ms = (double)(now_ms() - sd->t0);
	if (rc == CURLE_OK)
		note_latency(ws, sd->x->curl);
	curl_multi_remove_handle(ws->multi, sd->x->curl);
	sd->done(sd->ud, &a);
	send_free(ws, sd);
}

void kube_watchset_drain(struct kube_watchset *ws)
{
	while (ws->nsends) {
		kube_watchset_poll(ws, NULL, 0, 200);
		kube_watchset_step(ws, now_ms());
	}
}

/* A finished transfer, looked up by handle (a callback run before may
 * have cancelled a request or removed a cache whose message is pending). */
static int finish_handle(struct kube_watchset *ws, CURL *h, CURLcode rc, long long now)
{
	for (size_t i = 0; i < ws->nsends; i++)
		if (ws->sends[i]->x->curl == h) {
			send_complete(ws, i, rc);
			return 0;
		}
	for (size_t i = 0; i < ws->n; i++)
		if (ws->v[i]->x && ws->v[i]->x->curl == h) {
			complete(ws->v[i], rc, now);
			return 1;
		}
	return 0;
}

int kube_watchset_step(struct kube_watchset *ws, long long now)
{
	for (size_t i = 0; i < ws->n; i++)
		start_due(ws, ws->v[i], now);
	int running = 0;
	curl_multi_perform(ws->multi, &running);
	CURLMsg *m;
	int left;
	int done = 0;
	/* Messages first, callbacks after: a callback that removes a handle
	 * would invalidate the messages curl still holds. */
	struct { CURL *h; CURLcode rc; } fin[64];
	int nfin, any = 0;
	do {
		nfin = 0;
		while (nfin < 64 && (m = curl_multi_info_read(ws->multi, &left))) {
			if (m->msg != CURLMSG_DONE)
				continue;
			fin[nfin].h = m->easy_handle;
			fin[nfin++].rc = m->data.result;
		}
		for (int i = 0; i < nfin; i++)
			done += finish_handle(ws, fin[i].h, fin[i].rc, now);
		any |= nfin;
	} while (nfin == 64);
	/* requests the callbacks sent */
	if (any)
		curl_multi_perform(ws->multi, &running);
	/* Requests due right away (the next LIST page, a clean rewatch). */
	if (done)
		for (size_t i = 0; i < ws->n; i++)
			start_due(ws, ws->v[i], now);
	if (done)
		curl_multi_perform(ws->multi, &running);
	return running;
}

long long kube_watchset_timeout(const struct kube_watchset *ws, long long now)
{
	long long wait = -1;
	long curl_ms = -1;
	curl_multi_timeout(ws->multi, &curl_ms);
	if (curl_ms >= 0)
		wait = curl_ms;
	for (size_t i = 0; i < ws->n; i++) {
		long long due = kube_cache_due(ws->v[i]->cache);
		if (due < 0)
			continue;
		long long d = due > now ? due - now : 0;
		if (wait < 0 || d < wait)
			wait = d;
	}
	return wait;
}

int kube_watchset_poll(struct kube_watchset *ws, struct curl_waitfd *extra, unsigned n_extra,
		       int max_ms)
{
	long long t = kube_watchset_timeout(ws, now_ms());
	int ms = max_ms;
	if (t >= 0 && (ms < 0 || t < ms))
		ms = (int)t;
	if (ms < 0)
		ms = 1000; /* curl_multi_poll needs a bound; nothing is lost */
	int numfds = 0;
	if (curl_multi_poll(ws->multi, extra, n_extra, ms, &numfds) != CURLM_OK)
		return -1;
	return numfds;
}
