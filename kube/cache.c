/*
 * cache.c - the list/watch cache for one kind (+ namespace + selectors):
 * the logic, with no network in it.
 *
 * The cache decides which request comes next and when (a LIST page, or a
 * WATCH from its resourceVersion) and consumes what came back; the thin
 * layer in watchset.c does the HTTP with a curl multi handle. Keeping the
 * seam here lets tests drive every sequence the server can produce (pages,
 * 410 Expired, dropped streams, 429 with Retry-After, garbage) without a
 * socket.
 *
 * The rules, as client-go's reflector has them: a paged LIST, then a WATCH
 * with allowWatchBookmarks from the LIST's resourceVersion; each event moves
 * the resourceVersion on; a stream that ends cleanly (timeoutSeconds) is
 * resumed at once, one that drops is resumed from the last resourceVersion
 * after an exponential backoff with jitter; 410 Expired/Gone means the
 * resourceVersion is gone from the server's history and only a relist can
 * catch up; 429 waits as long as Retry-After says. After a relist every
 * object the new LIST did not name is removed, so the cache converges to the
 * server: nothing phantom, nothing twice.
 */
#define _POSIX_C_SOURCE 200809L
#include "kube/kube.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Backoff: client-go's reflector starts at 800 ms and caps at 30 s. */
#define BACKOFF_INITIAL_MS 800
#define BACKOFF_MAX_MS 30000
#define RETRY_AFTER_MAX_MS (10 * 60 * 1000)

enum verdict { V_NONE, V_RELIST, V_RECONNECT };

struct kube_cache {
	int auth_retried; /* a 401 was retried at once; again only after a success */
	char *path;
	char *label_selector;
	char *field_selector;
	unsigned page_limit;
	unsigned timeout_s;
	size_t max_line;
	kube_project_fn project;
	kube_project_json_fn project_json;
	kube_project_free_fn project_free;
	void *project_ctx;
	kube_change_fn on_change;
	void *change_ctx;

	enum kube_cache_state state;
	int synced;
	int need_list;    /* the next request is a LIST (first, or relist) */
	char *rv;         /* resourceVersion to watch from; NULL before a LIST */
	char *cont;       /* continue token of the next LIST page */
	char *list_rv;    /* resourceVersion of the LIST in progress */
	unsigned gen;     /* generation of the current full LIST */
	enum kube_req_kind inflight;
	long long due;    /* when the next request may start */
	long long backoff;
	long long backoff_initial, backoff_max;
	unsigned long long rng;
	enum verdict verdict;
	int saw_event;    /* the watch in flight delivered an event */
	long long watch_started;
	unsigned long long changes;
	unsigned long long relists, reconnects;
	char error[512];

	struct kube_watch *dec;
	struct jtok_doc doc; /* reused for LIST pages */

	struct kube_item **slots; /* open addressing, linear probing */
	size_t nslots, count;
};

/* ---- the item table ---- */

static unsigned long long hash_key(const char *ns, const char *name)
{
	unsigned long long h = 1469598103934665603ULL; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)ns; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	h = (h ^ '/') * 1099511628211ULL;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return h;
}

static size_t find_slot(const struct kube_cache *c, const char *ns, const char *name)
{
	size_t mask = c->nslots - 1;
	size_t i = (size_t)hash_key(ns, name) & mask;
	while (c->slots[i]) {
		if (strcmp(c->slots[i]->name, name) == 0 && strcmp(c->slots[i]->ns, ns) == 0)
			return i;
		i = (i + 1) & mask;
	}
	return i;
}

static void grow(struct kube_cache *c)
{
	size_t old_n = c->nslots;
	struct kube_item **old = c->slots;
	c->nslots = old_n ? old_n * 2 : 64;
	c->slots = xcalloc(c->nslots, sizeof *c->slots);
	for (size_t i = 0; i < old_n; i++)
		if (old[i])
			c->slots[find_slot(c, old[i]->ns, old[i]->name)] = old[i];
	free(old);
}

static void item_free(struct kube_cache *c, struct kube_item *it)
{
	if (!it)
		return;
	if (it->proj && c->project_free)
		c->project_free(it->proj);
	free(it->ns);
	free(it->name);
	free(it->rv);
	free(it->uid);
	free(it);
}

/* Remove slot i, shifting later members of its cluster back so lookups
 * never stop at a hole (no tombstones to accumulate). */
static void remove_slot(struct kube_cache *c, size_t i)
{
	size_t mask = c->nslots - 1;
	c->slots[i] = NULL;
	c->count--;
	for (size_t j = (i + 1) & mask; c->slots[j]; j = (j + 1) & mask) {
		struct kube_item *it = c->slots[j];
		size_t home = (size_t)hash_key(it->ns, it->name) & mask;
		/* Move it back if its home is not in (i, j]. */
		if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
			c->slots[i] = it;
			c->slots[j] = NULL;
			i = j;
		}
	}
}

const struct kube_item *kube_cache_get(const struct kube_cache *c, const char *ns,
				       const char *name)
{
	if (!c || !c->nslots)
		return NULL;
	return c->slots[find_slot(c, ns ? ns : "", name)];
}

size_t kube_cache_count(const struct kube_cache *c)
{
	return c ? c->count : 0;
}

static int item_cmp(const void *a, const void *b)
{
	const struct kube_item *x = *(const struct kube_item *const *)a;
	const struct kube_item *y = *(const struct kube_item *const *)b;
	int r = strcmp(x->ns, y->ns);
	return r ? r : strcmp(x->name, y->name);
}

size_t kube_cache_items(const struct kube_cache *c, const struct kube_item ***out)
{
	*out = NULL;
	if (!c || !c->count)
		return 0;
	const struct kube_item **v = xmalloc(c->count * sizeof *v);
	size_t n = 0;
	for (size_t i = 0; i < c->nslots; i++)
		if (c->slots[i])
			v[n++] = c->slots[i];
	qsort(v, n, sizeof *v, item_cmp);
	*out = v;
	return n;
}

/* ---- applying objects ---- */

static const char *const META_NAME[] = { "metadata", "name", NULL };
static const char *const META_NS[] = { "metadata", "namespace", NULL };
static const char *const META_RV[] = { "metadata", "resourceVersion", NULL };
static const char *const META_UID[] = { "metadata", "uid", NULL };

static void *project(struct kube_cache *c, const struct jtok_doc *d, int obj)
{
	if (c->project)
		return c->project(c->project_ctx, d, obj);
	if (c->project_json) {
		/* managedFields is often half an object and no projection
		 * reads it: leaving it out doubles the ingest rate. */
		json_t *j = jtok_to_json_skip(d, obj, "managedFields");
		void *p = c->project_json(c->project_ctx, j);
		json_decref(j);
		return p;
	}
	return NULL;
}

static void notify(struct kube_cache *c, enum kube_event_type t, const struct kube_item *it)
{
	c->changes++;
	if (c->on_change)
		c->on_change(c->change_ctx, t, it);
}

/* Insert or replace the object at obj; an unchanged resourceVersion keeps
 * the stored item (a relist of an unchanged object is not a change). */
static int upsert(struct kube_cache *c, const struct jtok_doc *d, int obj, struct perr *e)
{
	int name_t = jtok_path(d, obj, META_NAME);
	if (name_t < 0 || d->t[name_t].type != JTOK_STRING || d->t[name_t].len == 0) {
		perr_set(e, "object without metadata.name");
		return -1;
	}
	char *name = jtok_str(d, name_t);
	char *ns = jtok_str(d, jtok_path(d, obj, META_NS));
	if (!ns)
		ns = xstrdup("");
	int rv_t = jtok_path(d, obj, META_RV);
	if (c->nslots == 0 || (c->count + 1) * 10 > c->nslots * 7)
		grow(c);
	size_t i = find_slot(c, ns, name);
	struct kube_item *it = c->slots[i];
	if (it) {
		it->gen = c->gen;
		if (it->rv && jtok_str_eq(d, rv_t, it->rv)) {
			free(name);
			free(ns);
			return 0;
		}
		free(name);
		free(ns);
		free(it->rv);
		free(it->uid);
		if (it->proj && c->project_free)
			c->project_free(it->proj);
		it->rv = jtok_str(d, rv_t);
		it->uid = jtok_str(d, jtok_path(d, obj, META_UID));
		it->proj = project(c, d, obj);
		notify(c, KUBE_EVENT_MODIFIED, it);
		return 0;
	}
	it = xcalloc(1, sizeof *it);
	it->name = name;
	it->ns = ns;
	it->rv = jtok_str(d, rv_t);
	it->uid = jtok_str(d, jtok_path(d, obj, META_UID));
	it->proj = project(c, d, obj);
	it->gen = c->gen;
	c->slots[i] = it;
	c->count++;
	notify(c, KUBE_EVENT_ADDED, it);
	return 0;
}

static void delete_obj(struct kube_cache *c, const struct jtok_doc *d, int obj)
{
	char *name = jtok_str(d, jtok_path(d, obj, META_NAME));
	char *ns = jtok_str(d, jtok_path(d, obj, META_NS));
	if (name && c->nslots) {
		size_t i = find_slot(c, ns ? ns : "", name);
		struct kube_item *it = c->slots[i];
		if (it) {
			notify(c, KUBE_EVENT_DELETED, it);
			remove_slot(c, i);
			item_free(c, it);
		}
	}
	free(name);
	free(ns);
}

/* Remove every item the LIST that just finished did not name. */
static void prune(struct kube_cache *c)
{
	for (size_t i = 0; i < c->nslots;) {
		struct kube_item *it = c->slots[i];
		if (it && it->gen != c->gen) {
			notify(c, KUBE_EVENT_DELETED, it);
			remove_slot(c, i);
			item_free(c, it);
			continue; /* slot i may now hold a shifted item */
		}
		i++;
	}
}

/* ---- scheduling ---- */

/* xorshift64*: the jitter only has to decorrelate clients. */
static unsigned long long rnd(struct kube_cache *c)
{
	unsigned long long x = c->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	c->rng = x;
	return x * 2685821657736338717ULL;
}

static long long backoff_step(long long *backoff, unsigned long long r, long long initial,
				long long max)
{
	if (*backoff <= 0)
		*backoff = initial;
	else if (*backoff < max)
		*backoff = *backoff * 2 > max ? max : *backoff * 2;
	/* Jitter factor 1.0, as client-go: uniform in [b, 2b). */
	return *backoff + (long long)(r % (unsigned long long)*backoff);
}

long long kube_backoff_next(long long *backoff, unsigned long long r)
{
	return backoff_step(backoff, r, BACKOFF_INITIAL_MS, BACKOFF_MAX_MS);
}

static void schedule_backoff(struct kube_cache *c, long long now)
{
	c->due = now + backoff_step(&c->backoff, rnd(c), c->backoff_initial, c->backoff_max);
}

long long kube_retry_after_ms(const char *value)
{
	if (!value)
		return -1;
	while (*value == ' ')
		value++;
	if (*value < '0' || *value > '9')
		return -1; /* an HTTP-date: the caller falls back to backoff */
	long long s = 0;
	for (; *value >= '0' && *value <= '9'; value++) {
		s = s * 10 + (*value - '0');
		if (s * 1000 > RETRY_AFTER_MAX_MS)
			return RETRY_AFTER_MAX_MS;
	}
	while (*value == ' ' || *value == '\r' || *value == '\n')
		value++;
	return *value ? -1 : s * 1000;
}

/* The one line the header shows for this cache (vsnprintf: truncation of
 * a server's long message is fine here). */
static void __attribute__((format(printf, 2, 3)))
set_error(struct kube_cache *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->error, sizeof c->error, fmt, ap);
	va_end(ap);
}

/* Start over with a full LIST, keeping the items until it completes. */
static void begin_relist(struct kube_cache *c)
{
	free(c->cont);
	c->cont = NULL;
	free(c->list_rv);
	c->list_rv = NULL;
	c->need_list = 1;
	c->relists += c->synced;
	c->state = c->synced ? KUBE_CACHE_RELISTING : KUBE_CACHE_LISTING;
}

/* ---- the public logic ---- */

struct kube_cache *kube_cache_new_spec(const struct kube_cache_spec *s)
{
	struct kube_cache *c = xcalloc(1, sizeof *c);
	c->path = xstrdup(s->path);
	c->label_selector = s->label_selector && *s->label_selector ? xstrdup(s->label_selector) : NULL;
	c->field_selector = s->field_selector && *s->field_selector ? xstrdup(s->field_selector) : NULL;
	c->page_limit = s->page_limit ? s->page_limit : 500;
	c->timeout_s = s->timeout_s ? s->timeout_s : 300;
	c->max_line = s->max_line;
	c->backoff_initial = s->backoff_initial_ms > 0 ? s->backoff_initial_ms : BACKOFF_INITIAL_MS;
	c->backoff_max = s->backoff_max_ms > 0 ? s->backoff_max_ms : BACKOFF_MAX_MS;
	if (c->backoff_max < c->backoff_initial)
		c->backoff_max = c->backoff_initial;
	c->project = s->project;
	c->project_json = s->project_json;
	c->project_free = s->project_free;
	c->project_ctx = s->project_ctx;
	c->on_change = s->on_change;
	c->change_ctx = s->change_ctx;
	c->rng = s->seed ? s->seed : 0x9E3779B97F4A7C15ULL ^ (unsigned long long)now_ms();
	c->state = KUBE_CACHE_LISTING;
	c->need_list = 1;
	c->gen = 1;
	c->dec = kube_watch_new(s->max_line);
	return c;
}

void kube_cache_free(struct kube_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nslots; i++)
		item_free(c, c->slots[i]);
	free(c->slots);
	free(c->path);
	free(c->label_selector);
	free(c->field_selector);
	free(c->rv);
	free(c->cont);
	free(c->list_rv);
	kube_watch_free(c->dec);
	jtok_doc_free(&c->doc);
	free(c);
}

/* Percent-encode for a query value (RFC 3986 unreserved kept). */
static void put_escaped(struct dbuf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p)) {
			dbuf_append(b, p, 1);
		} else {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			dbuf_append(b, e, 3);
		}
	}
}

static void put_selectors(struct kube_cache *c, struct dbuf *b)
{
	if (c->label_selector) {
		dbuf_puts(b, "&labelSelector=");
		put_escaped(b, c->label_selector);
	}
	if (c->field_selector) {
		dbuf_puts(b, "&fieldSelector=");
		put_escaped(b, c->field_selector);
	}
}

enum kube_req_kind kube_cache_start(struct kube_cache *c, long long now, char **query)
{
	*query = NULL;
	if (c->inflight != KUBE_REQ_NONE || now < c->due)
		return KUBE_REQ_NONE;
	struct dbuf b;
	dbuf_init(&b, 0);
	if (c->need_list || !c->rv) {
		if (!c->cont)
			c->gen++; /* a new full LIST: items not in it go at its end */
		dbuf_printf(&b, "limit=%u", c->page_limit);
		put_selectors(c, &b);
		if (c->cont) {
			dbuf_puts(&b, "&continue=");
			put_escaped(&b, c->cont);
		}
		c->inflight = KUBE_REQ_LIST;
	} else {
		/* Spread the server-side timeouts so many clients do not all
		 * reconnect at once: [t, 2t). */
		unsigned t = c->timeout_s + (unsigned)(rnd(c) % c->timeout_s);
		dbuf_puts(&b, "watch=1&allowWatchBookmarks=true&resourceVersion=");
		put_escaped(&b, c->rv);
		dbuf_printf(&b, "&timeoutSeconds=%u", t);
		put_selectors(c, &b);
		c->inflight = KUBE_REQ_WATCH;
		c->watch_started = now;
		c->verdict = V_NONE;
		c->saw_event = 0;
		kube_watch_reset(c->dec);
	}
	*query = dbuf_take(&b);
	return c->inflight;
}

long long kube_cache_due(const struct kube_cache *c)
{
	return c->inflight != KUBE_REQ_NONE ? -1 : c->due;
}

const char *kube_cache_path(const struct kube_cache *c)
{
	return c->path;
}

/* A failed request of either kind: 429 waits Retry-After, anything else
 * backs off. The error stays for the header until something succeeds. */
static void failed(struct kube_cache *c, long long now, const struct kube_result *r)
{
	if (r->fresh_credentials && !c->auth_retried) {
		/* The credential expired (kube_easy_check dropped it): one
		 * retry at once fetches a new one, as kube_request does. */
		c->auth_retried = 1;
		c->due = now;
		set_error(c, "%s", r->error && *r->error ? r->error : "401 Unauthorized");
		return;
	}
	if (r->status == 429 && r->retry_after_ms >= 0) {
		c->due = now + r->retry_after_ms;
		set_error(c, "%s", r->error && *r->error ? r->error : "429 Too Many Requests");
		return;
	}
	schedule_backoff(c, now);
	if (r->error && *r->error)
		set_error(c, "%s", r->error);
	else if (r->status)
		set_error(c, "HTTP %ld", r->status);
	else
		set_error(c, "%s", "connection failed");
}

/* Apply one LIST page. */
static int apply_page(struct kube_cache *c, const char *body, size_t len, struct perr *e)
{
	if (jtok_parse(&c->doc, body, len, e) < 0)
		return -1;
	const struct jtok_doc *d = &c->doc;
	int items = jtok_get(d, 0, "items");
	int rv_t = jtok_path(d, 0, (const char *const[]){ "metadata", "resourceVersion", NULL });
	if (items < 0 || (d->t[items].type != JTOK_ARRAY && d->t[items].type != JTOK_NULL) ||
	    rv_t < 0 || d->t[rv_t].type != JTOK_STRING) {
		perr_set(e, "LIST answer is not a list (no items or resourceVersion)");
		return -1;
	}
	for (int it = jtok_child(d, items, -1); it >= 0; it = jtok_child(d, items, it)) {
		if (d->t[it].type != JTOK_OBJECT) {
			perr_set(e, "LIST item is not an object");
			return -1;
		}
		if (upsert(c, d, it, e) < 0)
			return -1;
	}
	/* A paged LIST is one snapshot: the first page's resourceVersion is
	 * where the WATCH starts. */
	if (!c->list_rv)
		c->list_rv = jtok_str(d, rv_t);
	free(c->cont);
	c->cont = jtok_str(d, jtok_path(d, 0, (const char *const[]){ "metadata", "continue", NULL }));
	if (c->cont && !*c->cont) {
		free(c->cont);
		c->cont = NULL;
	}
	return 0;
}

int kube_cache_list_done(struct kube_cache *c, long long now, const struct kube_result *r)
{
	c->inflight = KUBE_REQ_NONE;
	if (r->status == 410 && c->cont) {
		/* The continue token expired: the snapshot is gone, start over. */
		begin_relist(c);
		c->due = now;
		return 0;
	}
	if (r->transport_error || r->status != 200) {
		failed(c, now, r);
		return -1;
	}
	struct perr e = { { 0 } };
	if (apply_page(c, r->body, r->len, &e) < 0) {
		set_error(c, "LIST: %s", e.msg);
		begin_relist(c);
		c->relists -= c->synced; /* not a server-requested relist */
		schedule_backoff(c, now);
		return -1;
	}
	c->due = now;
	c->auth_retried = 0; /* the credential works */
	if (c->cont)
		return 0; /* next page at once */
	prune(c);
	free(c->rv);
	c->rv = c->list_rv;
	c->list_rv = NULL;
	c->synced = 1;
	c->need_list = 0;
	c->backoff = 0;
	c->error[0] = '\0';
	/* The state turns live when the WATCH answers. */
	return 0;
}

void kube_cache_watch_open(struct kube_cache *c)
{
	c->state = KUBE_CACHE_LIVE;
	c->auth_retried = 0;
}

static int on_event(void *ctx, const struct kube_watch_event *ev, struct perr *e)
{
	struct kube_cache *c = ctx;
	const struct jtok_doc *d = ev->doc;
	if (ev->type == KUBE_EVENT_ERROR) {
		if (ev->status.code == 410 || strcmp(ev->status.reason, "Expired") == 0 ||
		    strcmp(ev->status.reason, "Gone") == 0) {
			c->verdict = V_RELIST;
			set_error(c, "watch expired (410): relisting");
		} else {
			c->verdict = V_RECONNECT;
			set_error(c, "watch error %d %s: %s",
				 ev->status.code, ev->status.reason, ev->status.message);
		}
		perr_set(e, "%s", c->error);
		return -1; /* stop reading: the server closes after an ERROR */
	}
	int rv_t = jtok_path(d, ev->object, META_RV);
	if (rv_t < 0 || d->t[rv_t].type != JTOK_STRING) {
		perr_set(e, "%s event without metadata.resourceVersion",
			 kube_event_type_name(ev->type));
		return -1;
	}
	if (ev->type == KUBE_EVENT_DELETED)
		delete_obj(c, d, ev->object);
	else if (ev->type != KUBE_EVENT_BOOKMARK && upsert(c, d, ev->object, e) < 0)
		return -1;
	if (!c->rv || !jtok_str_eq(d, rv_t, c->rv)) {
		free(c->rv);
		c->rv = jtok_str(d, rv_t);
	}
	c->saw_event = 1;
	return 0;
}

int kube_cache_watch_data(struct kube_cache *c, const char *data, size_t n)
{
	if (c->verdict != V_NONE)
		return -1;
	struct perr e = { { 0 } };
	if (kube_watch_feed(c->dec, data, n, on_event, c, &e) < 0) {
		if (c->verdict == V_NONE) {
			c->verdict = V_RECONNECT;
			set_error(c, "%s", e.msg);
		}
		return -1;
	}
	return 0;
}

void kube_cache_watch_done(struct kube_cache *c, long long now, const struct kube_result *r)
{
	c->inflight = KUBE_REQ_NONE;
	if (c->verdict == V_NONE && r->status == 200 && !r->transport_error) {
		struct perr e = { { 0 } };
		if (kube_watch_finish(c->dec, &e) < 0) {
			c->verdict = V_RECONNECT;
			set_error(c, "%s", e.msg);
		}
	}
	if (c->verdict == V_RELIST || r->status == 410) {
		begin_relist(c);
		/* A 410 right after a fresh LIST would loop hot: back off then. */
		if (c->saw_event)
			c->due = now;
		else
			schedule_backoff(c, now);
		if (r->status == 410)
			set_error(c, "watch expired (410): relisting");
		return;
	}
	if (c->verdict == V_NONE && r->status == 200 && !r->transport_error) {
		/* The server ended the stream at timeoutSeconds: resume now.
		 * One that ends at once with nothing in it (a proxy closing
		 * every stream) would loop hot: back off then. */
		if (!c->saw_event && now - c->watch_started < 1000) {
			schedule_backoff(c, now);
			return;
		}
		c->backoff = 0;
		c->due = now;
		return;
	}
	c->reconnects++;
	c->state = KUBE_CACHE_RECONNECTING;
	if (c->saw_event)
		c->backoff = 0; /* it worked for a while: start the backoff over */
	if (c->verdict == V_RECONNECT) {
		schedule_backoff(c, now);
		return;
	}
	char msg[512];
	if (r->transport_error || !r->status)
		snprintf(msg, sizeof msg, "watch dropped: %s",
			 r->error && *r->error ? r->error : "connection lost");
	else
		snprintf(msg, sizeof msg, "watch: %s",
			 r->error && *r->error ? r->error : "failed");
	struct kube_result rr = *r;
	rr.error = msg;
	failed(c, now, &rr);
}

void kube_cache_abort(struct kube_cache *c, long long now, const char *why)
{
	struct kube_result r = { .status = 0, .transport_error = 1, .retry_after_ms = -1,
				 .error = why };
	if (c->inflight == KUBE_REQ_LIST)
		kube_cache_list_done(c, now, &r);
	else if (c->inflight == KUBE_REQ_WATCH)
		kube_cache_watch_done(c, now, &r);
}

void kube_cache_set_on_change(struct kube_cache *c, kube_change_fn fn, void *ctx)
{
	c->on_change = fn;
	c->change_ctx = ctx;
}

enum kube_cache_state kube_cache_state(const struct kube_cache *c)
{
	return c->state;
}

const char *kube_cache_state_name(enum kube_cache_state s)
{
	static const char *const names[] = {
		[KUBE_CACHE_LISTING] = "listing",
		[KUBE_CACHE_LIVE] = "live",
		[KUBE_CACHE_RECONNECTING] = "reconnecting",
		[KUBE_CACHE_RELISTING] = "relisting",
	};
	return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

int kube_cache_synced(const struct kube_cache *c)
{
	return c->synced;
}

unsigned long long kube_cache_changes(const struct kube_cache *c)
{
	return c->changes;
}

const char *kube_cache_error(const struct kube_cache *c)
{
	return c->error[0] ? c->error : NULL;
}

const char *kube_cache_rv(const struct kube_cache *c)
{
	return c->rv;
}

void kube_cache_stats(const struct kube_cache *c, unsigned long long *relists,
		      unsigned long long *reconnects)
{
	if (relists)
		*relists = c->relists;
	if (reconnects)
		*reconnects = c->reconnects;
}
