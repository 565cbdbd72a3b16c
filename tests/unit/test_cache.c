/* test_cache.c - the list/watch cache's logic, driven without a network:
 * recorded LIST pages, watch events, 410s, drops, 429s, garbage, backoff
 * bounds, and a randomized fake server with faults after which the cache
 * must equal the server's state. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube.h"

static char *load(const char *name, size_t *len)
{
	const char *top = getenv("TOP");
	char path[1024];
	snprintf(path, sizeof path, "%s/tests/data/kube/fixtures/%s", top ? top : ".", name);
	char *buf = NULL;
	struct perr e = { { 0 } };
	if (read_file(path, 64 << 20, &buf, len, &e) < 0)
		fail_msg("%s", e.msg);
	return buf;
}

static struct kube_result ok_body(const char *body, size_t len)
{
	return (struct kube_result){ .status = 200, .body = body, .len = len,
				     .retry_after_ms = -1 };
}

static struct kube_cache *new_cache(const char *selector)
{
	struct kube_cache_spec s = { .path = "/api/v1/namespaces/default/pods",
				     .label_selector = selector, .seed = 42 };
	return kube_cache_new_spec(&s);
}

static void feed_str(struct kube_cache *c, const char *s, int want)
{
	assert_int_equal(kube_cache_watch_data(c, s, strlen(s)), want);
}

/* The recorded two-page LIST, then a WATCH from its resourceVersion. */
static struct kube_cache *listed_cache(void)
{
	struct kube_cache *c = new_cache("app=demo");
	char *q;
	assert_int_equal(kube_cache_start(c, 0, &q), KUBE_REQ_LIST);
	assert_string_equal(q, "limit=500&labelSelector=app%3Ddemo");
	free(q);
	assert_int_equal(kube_cache_start(c, 0, &q), KUBE_REQ_NONE); /* in flight */
	size_t len;
	char *p1 = load("pods-list-limit2.json", &len);
	struct kube_result r = ok_body(p1, len);
	assert_int_equal(kube_cache_list_done(c, 0, &r), 0);
	free(p1);
	assert_false(kube_cache_synced(c));
	assert_int_equal(kube_cache_start(c, 0, &q), KUBE_REQ_LIST);
	assert_non_null(strstr(q, "&continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTIwOCwic3RhcnQiOiJkZW1vLTk5N2M0NTRkZi1sNmZ6cVx1MDAwMCJ9"));
	free(q);
	/* The recorded second page still has a continue token; answer it with
	 * an empty last page to finish the LIST. */
	char *p2 = load("pods-list-limit2-page2.json", &len);
	r = ok_body(p2, len);
	assert_int_equal(kube_cache_list_done(c, 0, &r), 0);
	free(p2);
	assert_int_equal(kube_cache_start(c, 0, &q), KUBE_REQ_LIST);
	free(q);
	const char *last = "{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":\"1300\"},\"items\":[]}";
	r = ok_body(last, strlen(last));
	assert_int_equal(kube_cache_list_done(c, 0, &r), 0);
	assert_true(kube_cache_synced(c));
	assert_int_equal(kube_cache_count(c), 4);
	/* The WATCH starts at the first page's resourceVersion (one snapshot). */
	assert_string_equal(kube_cache_rv(c), "1208");
	assert_int_equal(kube_cache_state(c), KUBE_CACHE_LISTING);
	return c;
}

static void test_list_then_watch(void **state)
{
	(void)state;
	struct kube_cache *c = listed_cache();
	char *q;
	assert_int_equal(kube_cache_start(c, 5, &q), KUBE_REQ_WATCH);
	assert_non_null(strstr(q, "watch=1&allowWatchBookmarks=true&resourceVersion=1208&timeoutSeconds="));
	assert_non_null(strstr(q, "&labelSelector=app%3Ddemo"));
	unsigned t = (unsigned)atoi(strstr(q, "timeoutSeconds=") + 15);
	assert_true(t >= 300 && t < 600);
	free(q);
	kube_cache_watch_open(c);
	assert_int_equal(kube_cache_state(c), KUBE_CACHE_LIVE);
	unsigned long long ch = kube_cache_changes(c);
	/* The recorded pod watch: 2 new pods and modifications. */
	size_t len;
	char *w = load("watch-pods-scaling.json", &len);
	assert_int_equal(kube_cache_watch_data(c, w, len), 0);
	free(w);
	assert_true(kube_cache_changes(c) > ch);
	assert_int_equal(kube_cache_count(c), 7);
	const struct kube_item *it = kube_cache_get(c, "default", "demo-997c454df-fc6md");
	assert_non_null(it);
	assert_string_equal(it->rv, "1273");
	assert_string_equal(kube_cache_rv(c), "1302");
	/* DELETED removes; BOOKMARK moves the rv only; an ADDED for a known
	 * object replaces it (never twice). */
	ch = kube_cache_changes(c);
	feed_str(c, "{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"demo-997c454df-fc6md\",\"namespace\":\"default\",\"resourceVersion\":\"1400\"}}}\n", 0);
	assert_null(kube_cache_get(c, "default", "demo-997c454df-fc6md"));
	feed_str(c, "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Pod\",\"metadata\":{\"resourceVersion\":\"1500\"}}}\n", 0);
	assert_string_equal(kube_cache_rv(c), "1500");
	feed_str(c, "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"demo-997c454df-jrshh\",\"namespace\":\"default\",\"resourceVersion\":\"1501\"}}}\n", 0);
	assert_int_equal(kube_cache_count(c), 6);
	assert_int_equal(kube_cache_changes(c), ch + 2);
	/* The same rv again is no change. */
	feed_str(c, "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"demo-997c454df-jrshh\",\"namespace\":\"default\",\"resourceVersion\":\"1501\"}}}\n", 0);
	assert_int_equal(kube_cache_changes(c), ch + 2);
	const struct kube_item **items;
	size_t n = kube_cache_items(c, &items);
	assert_int_equal(n, 6);
	for (size_t i = 1; i < n; i++)
		assert_true(strcmp(items[i - 1]->name, items[i]->name) < 0);
	free(items);
	/* A clean end (timeoutSeconds) resumes at once from the last rv. */
	struct kube_result r = ok_body(NULL, 0);
	kube_cache_watch_done(c, 100, &r);
	assert_int_equal(kube_cache_due(c), 100);
	assert_int_equal(kube_cache_start(c, 100, &q), KUBE_REQ_WATCH);
	assert_non_null(strstr(q, "resourceVersion=1501&"));
	free(q);
	/* A stream that ends at once, empty, is not retried at once. */
	kube_cache_watch_open(c);
	kube_cache_watch_done(c, 150, &r);
	assert_true(kube_cache_due(c) >= 150 + 800 && kube_cache_due(c) < 150 + 1600);
	kube_cache_free(c);
}

/* 410 in the stream: stop, relist, and drop what the new LIST lacks. */
static void test_410_relists_and_prunes(void **state)
{
	(void)state;
	struct kube_cache *c = listed_cache();
	char *q;
	assert_int_equal(kube_cache_start(c, 0, &q), KUBE_REQ_WATCH);
	free(q);
	kube_cache_watch_open(c);
	feed_str(c, "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"phantom\",\"namespace\":\"default\",\"resourceVersion\":\"1250\"}}}\n", 0);
	assert_non_null(kube_cache_get(c, "default", "phantom"));
	size_t len;
	char *g = load("watch-410-expired.json", &len);
	assert_int_equal(kube_cache_watch_data(c, g, len), -1);
	free(g);
	assert_int_equal(kube_cache_watch_data(c, "x", 1), -1); /* stays stopped */
	struct kube_result r = ok_body(NULL, 0);
	kube_cache_watch_done(c, 1000, &r);
	assert_int_equal(kube_cache_state(c), KUBE_CACHE_RELISTING);
	assert_non_null(strstr(kube_cache_error(c), "410"));
	assert_int_equal(kube_cache_start(c, 1000, &q), KUBE_REQ_LIST);
	assert_null(strstr(q, "continue"));
	free(q);
	/* Items stay visible while the relist runs. */
	assert_int_equal(kube_cache_count(c), 5);
	char *all = load("pods-list.json", &len);
	r = ok_body(all, len);
	assert_int_equal(kube_cache_list_done(c, 1000, &r), 0);
	free(all);
	assert_null(kube_cache_get(c, "default", "phantom"));
	assert_int_equal(kube_cache_count(c), 7);
	assert_null(kube_cache_error(c));
	unsigned long long relists;
	kube_cache_stats(c, &relists, NULL);
	assert_int_equal(relists, 1);
	assert_int_equal(kube_cache_start(c, 1000, &q), KUBE_REQ_WATCH);
	assert_non_null(strstr(q, "resourceVersion=1208&"));
	free(q);
	/* An HTTP 410 answer to the WATCH relists too; right after a LIST
	 * with no event seen, it backs off instead of looping hot. */
	r = (struct kube_result){ .status = 410, .retry_after_ms = -1, .error = "Gone" };
	kube_cache_watch_done(c, 2000, &r);
	assert_int_equal(kube_cache_state(c), KUBE_CACHE_RELISTING);
	assert_true(kube_cache_due(c) >= 2800 && kube_cache_due(c) < 3600);
	assert_int_equal(kube_cache_start(c, 2500, &q), KUBE_REQ_NONE);
	kube_cache_free(c);
}

/* A dropped stream resumes from the last rv after backoff with jitter;
 * the backoff doubles, and resets once a watch delivered events. */
static void test_drop_backoff(void **state)
{
	(void)state;
	struct kube_cache *c = listed_cache();
	char *q;
	assert_int_equal(kube_cache_start(c, 0, &q), KUBE_REQ_WATCH);
	free(q);
	kube_cache_watch_open(c);
	/* Cut in the middle of an event: the half line is not applied. */
	feed_str(c, "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"half\",\"namespace\":\"default\",\"resourceVersion\":\"1600\"", 0);
	struct kube_result drop = { .status = 200, .transport_error = 1, .retry_after_ms = -1,
				    .error = "Connection reset by peer" };
	kube_cache_watch_done(c, 10000, &drop);
	assert_null(kube_cache_get(c, "default", "half"));
	assert_int_equal(kube_cache_state(c), KUBE_CACHE_RECONNECTING);
	assert_non_null(strstr(kube_cache_error(c), "Connection reset"));
	long long due = kube_cache_due(c);
	assert_true(due >= 10800 && due < 11600);
	assert_int_equal(kube_cache_start(c, due - 1, &q), KUBE_REQ_NONE);
	assert_int_equal(kube_cache_start(c, due, &q), KUBE_REQ_WATCH);
	assert_non_null(strstr(q, "resourceVersion=1208&"));
	free(q);
	kube_cache_watch_done(c, 20000, &drop); /* refused again: 1.6 s base */
	due = kube_cache_due(c);
	assert_true(due >= 21600 && due < 23200);
	assert_int_equal(kube_cache_start(c, due, &q), KUBE_REQ_WATCH);
	free(q);
	kube_cache_watch_open(c);
	feed_str(c, "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"new\",\"namespace\":\"default\",\"resourceVersion\":\"1700\"}}}\n", 0);
	kube_cache_watch_done(c, 30000, &drop);
	due = kube_cache_due(c);
	assert_true(due >= 30800 && due < 31600); /* back to 800 ms */
	assert_int_equal(kube_cache_start(c, due, &q), KUBE_REQ_WATCH);
	assert_non_null(strstr(q, "resourceVersion=1700&"));
	free(q);
	/* 429 waits exactly Retry-After. */
	struct kube_result busy = { .status = 429, .retry_after_ms = 7000,
				    .error = "Too many requests" };
	kube_cache_watch_done(c, 40000, &busy);
	assert_int_equal(kube_cache_due(c), 47000);
	/* Garbage in the stream: stop, reconnect with backoff. */
	assert_int_equal(kube_cache_start(c, 47000, &q), KUBE_REQ_WATCH);
	free(q);
	kube_cache_watch_open(c);
	feed_str(c, "<html>bad gateway</html>\n", -1);
	assert_non_null(strstr(kube_cache_error(c), "invalid JSON"));
	kube_cache_watch_done(c, 50000, &(struct kube_result){ .status = 200, .retry_after_ms = -1 });
	assert_int_equal(kube_cache_state(c), KUBE_CACHE_RECONNECTING);
	assert_true(kube_cache_due(c) > 50000);
	/* An ERROR that is not 410 reconnects (it does not relist). */
	assert_int_equal(kube_cache_start(c, kube_cache_due(c), &q), KUBE_REQ_WATCH);
	free(q);
	feed_str(c, "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":500,\"reason\":\"InternalError\",\"message\":\"boom\"}}\n", -1);
	kube_cache_watch_done(c, 60000, &(struct kube_result){ .status = 200, .retry_after_ms = -1 });
	assert_int_equal(kube_cache_state(c), KUBE_CACHE_RECONNECTING);
	assert_non_null(strstr(kube_cache_error(c), "boom"));
	unsigned long long reconnects;
	kube_cache_stats(c, NULL, &reconnects);
	assert_int_equal(reconnects, 6);
	kube_cache_free(c);
}

/* LIST failures: a 410 on a continue token restarts the LIST; a 500 keeps
 * the page and backs off; 429 honours Retry-After; a body that is not a
 * list fails. */
static void test_list_failures(void **state)
{
	(void)state;
	struct kube_cache *c = new_cache(NULL);
	char *q;
	assert_int_equal(kube_cache_start(c, 0, &q), KUBE_REQ_LIST);
	assert_string_equal(q, "limit=500");
	free(q);
	struct kube_result r = { .status = 500, .retry_after_ms = -1, .error = "Internal error" };
	assert_int_equal(kube_cache_list_done(c, 0, &r), -1);
	assert_true(kube_cache_due(c) >= 800 && kube_cache_due(c) < 1600);
	assert_string_equal(kube_cache_error(c), "Internal error");
	assert_int_equal(kube_cache_start(c, 2000, &q), KUBE_REQ_LIST);
	free(q);
	size_t len;
	char *p1 = load("pods-list-limit2.json", &len);
	r = ok_body(p1, len);
	assert_int_equal(kube_cache_list_done(c, 2000, &r), 0);
	free(p1);
	assert_int_equal(kube_cache_start(c, 2000, &q), KUBE_REQ_LIST);
	assert_non_null(strstr(q, "continue="));
	free(q);
	r = (struct kube_result){ .status = 429, .retry_after_ms = 3000 };
	assert_int_equal(kube_cache_list_done(c, 2000, &r), -1);
	assert_int_equal(kube_cache_due(c), 5000);
	assert_int_equal(kube_cache_start(c, 5000, &q), KUBE_REQ_LIST);
	assert_non_null(strstr(q, "continue=")); /* the same page again */
	free(q);
	r = (struct kube_result){ .status = 410, .retry_after_ms = -1 };
	assert_int_equal(kube_cache_list_done(c, 5000, &r), 0);
	assert_int_equal(kube_cache_start(c, 5000, &q), KUBE_REQ_LIST);
	assert_string_equal(q, "limit=500");
	free(q);
	const char *bad = "{\"kind\":\"Status\",\"code\":200}";
	r = ok_body(bad, strlen(bad));
	assert_int_equal(kube_cache_list_done(c, 6000, &r), -1);
	assert_non_null(strstr(kube_cache_error(c), "not a list"));
	assert_false(kube_cache_synced(c));
	assert_int_equal(kube_cache_state(c), KUBE_CACHE_LISTING);
	kube_cache_abort(c, 0, "nothing in flight"); /* harmless */
	kube_cache_free(c);
	kube_cache_free(NULL);
}

/* A 401 from a client that can fetch a new credential is retried at once,
 * once; a second 401 backs off like any failure, until a success resets it. */
static void test_unauthorized_retry(void **state)
{
	(void)state;
	struct kube_cache *c = new_cache(NULL);
	char *q;
	assert_int_equal(kube_cache_start(c, 1000, &q), KUBE_REQ_LIST);
	free(q);
	struct kube_result r = { .status = 401, .retry_after_ms = -1, .error = "Unauthorized",
				 .fresh_credentials = 1 };
	assert_int_equal(kube_cache_list_done(c, 1000, &r), -1);
	assert_int_equal(kube_cache_due(c), 1000); /* at once */
	assert_string_equal(kube_cache_error(c), "Unauthorized");
	assert_int_equal(kube_cache_start(c, 1000, &q), KUBE_REQ_LIST);
	free(q);
	assert_int_equal(kube_cache_list_done(c, 1000, &r), -1);
	assert_true(kube_cache_due(c) >= 1800 && kube_cache_due(c) < 2600); /* backed off */
	assert_int_equal(kube_cache_start(c, 3000, &q), KUBE_REQ_LIST);
	free(q);
	size_t len;
	char *p1 = load("pods-list-limit2.json", &len);
	struct kube_result ok = ok_body(p1, len);
	assert_int_equal(kube_cache_list_done(c, 3000, &ok), 0);
	free(p1);
	assert_int_equal(kube_cache_start(c, 3000, &q), KUBE_REQ_LIST); /* next page */
	free(q);
	/* after a success, the next 401 is retried at once again */
	assert_int_equal(kube_cache_list_done(c, 3000, &r), -1);
	assert_int_equal(kube_cache_due(c), 3000);
	/* a client that cannot fetch a new one backs off at once */
	struct kube_cache *c2 = new_cache(NULL);
	assert_int_equal(kube_cache_start(c2, 0, &q), KUBE_REQ_LIST);
	free(q);
	r.fresh_credentials = 0;
	assert_int_equal(kube_cache_list_done(c2, 0, &r), -1);
	assert_true(kube_cache_due(c2) >= 800);
	kube_cache_free(c2);
	kube_cache_free(c);
}

static void test_backoff_bounds(void **state)
{
	(void)state;
	unsigned long long x = 88172645463325252ULL;
	for (int run = 0; run < 200; run++) {
		long long b = 0, want = 800;
		for (int k = 0; k < 10; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			long long d = kube_backoff_next(&b, x);
			assert_int_equal(b, want);
			assert_true(d >= b && d < 2 * b);
			want = want * 2 > 30000 ? 30000 : want * 2;
		}
	}
	long long b = 0;
	assert_int_equal(kube_backoff_next(&b, 0), 800);
	assert_int_equal(kube_retry_after_ms("7"), 7000);
	assert_int_equal(kube_retry_after_ms(" 0\r\n"), 0);
	assert_int_equal(kube_retry_after_ms("99999999999999"), 600000);
	assert_int_equal(kube_retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT"), -1);
	assert_int_equal(kube_retry_after_ms("5x"), -1);
	assert_int_equal(kube_retry_after_ms(NULL), -1);
}

/* ---- a fake server with faults ---- */

#define NOBJ 40
struct fake {
	int rv;               /* the server's resourceVersion counter */
	int exists[NOBJ], orv[NOBJ];
	int compacted;        /* watches from below this rv get 410 */
	struct hist { int rv, obj, type; } hist[4096];
	int nhist;
	unsigned long long rng;
	/* a paged LIST's snapshot */
	int snap_exists[NOBJ], snap_orv[NOBJ], snap_rv;
};

static unsigned frand(struct fake *f, unsigned n)
{
	f->rng ^= f->rng << 13;
	f->rng ^= f->rng >> 7;
	f->rng ^= f->rng << 17;
	return (unsigned)(f->rng % n);
}

static void mutate(struct fake *f)
{
	int o = (int)frand(f, NOBJ);
	int type;
	if (!f->exists[o]) {
		f->exists[o] = 1;
		type = KUBE_EVENT_ADDED;
	} else if (frand(f, 3) == 0) {
		f->exists[o] = 0;
		type = KUBE_EVENT_DELETED;
	} else {
		type = KUBE_EVENT_MODIFIED;
	}
	f->orv[o] = ++f->rv;
	if (f->nhist < 4096)
		f->hist[f->nhist++] = (struct hist){ f->rv, o, type };
}

static void obj_json(struct dbuf *b, int o, int rv)
{
	dbuf_printf(b, "{\"metadata\":{\"name\":\"o%d\",\"namespace\":\"ns%d\",\"resourceVersion\":\"%d\"}}",
		    o, o % 3, rv);
}

/* One LIST page from the snapshot; the continue token is the next index. */
static char *list_page(struct fake *f, const char *query)
{
	const char *c = strstr(query, "continue=");
	int start = c ? atoi(c + 9) : 0;
	if (!c) {
		memcpy(f->snap_exists, f->exists, sizeof f->exists);
		memcpy(f->snap_orv, f->orv, sizeof f->orv);
		f->snap_rv = f->rv;
	}
	struct dbuf b;
	dbuf_init(&b, 0);
	int end = start + 7 < NOBJ ? start + 7 : NOBJ;
	dbuf_printf(&b, "{\"kind\":\"List\",\"metadata\":{\"resourceVersion\":\"%d\"", f->snap_rv);
	if (end < NOBJ)
		dbuf_printf(&b, ",\"continue\":\"%d\"", end);
	dbuf_puts(&b, "},\"items\":[");
	int first = 1;
	for (int o = start; o < end; o++) {
		if (!f->snap_exists[o])
			continue;
		if (!first)
			dbuf_puts(&b, ",");
		first = 0;
		obj_json(&b, o, f->snap_orv[o]);
	}
	dbuf_puts(&b, "]}");
	return dbuf_take(&b);
}

static const char *const type_names[] = { "ADDED", "MODIFIED", "DELETED" };

/* The events after rv, as the server would stream them. */
static char *watch_body(struct fake *f, int from)
{
	struct dbuf b;
	dbuf_init(&b, 0);
	for (int i = 0; i < f->nhist; i++) {
		if (f->hist[i].rv <= from)
			continue;
		dbuf_printf(&b, "{\"type\":\"%s\",\"object\":", type_names[f->hist[i].type]);
		obj_json(&b, f->hist[i].obj, f->hist[i].rv);
		dbuf_puts(&b, "}\n");
	}
	if (frand(f, 4) == 0)
		dbuf_printf(&b, "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"%d\"}}}\n", f->rv);
	return dbuf_take(&b);
}

static void run_step(struct fake *f, struct kube_cache *c, long long *now, int faults)
{
	char *q;
	enum kube_req_kind k = kube_cache_start(c, *now, &q);
	if (k == KUBE_REQ_NONE) {
		long long due = kube_cache_due(c);
		*now = due > *now ? due : *now + 1;
		return;
	}
	unsigned fault = faults ? frand(f, 10) : 9;
	if (k == KUBE_REQ_LIST) {
		if (fault == 0) {
			kube_cache_list_done(c, *now, &(struct kube_result){ .status = 500, .retry_after_ms = -1 });
		} else if (fault == 1) {
			kube_cache_list_done(c, *now, &(struct kube_result){ .status = 429, .retry_after_ms = 1000 });
		} else if (fault == 2 && strstr(q, "continue=")) {
			kube_cache_list_done(c, *now, &(struct kube_result){ .status = 410, .retry_after_ms = -1 });
		} else {
			char *page = list_page(f, q);
			struct kube_result r = ok_body(page, strlen(page));
			kube_cache_list_done(c, *now, &r);
			free(page);
		}
	} else {
		int from = atoi(strstr(q, "resourceVersion=") + 16);
		kube_cache_watch_open(c);
		if (from < f->compacted) {
			const char *g = "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\"}}\n";
			kube_cache_watch_data(c, g, strlen(g));
			kube_cache_watch_done(c, *now, &(struct kube_result){ .status = 200, .retry_after_ms = -1 });
		} else {
			char *body = watch_body(f, from);
			size_t len = strlen(body);
			int drop = fault <= 2 && len > 0;
			size_t cut = drop ? frand(f, (unsigned)len) : len;
			/* deliver in random chunks */
			int stopped = 0;
			for (size_t pos = 0; pos < cut && !stopped;) {
				size_t n = 1 + frand(f, 200);
				if (n > cut - pos)
					n = cut - pos;
				stopped = kube_cache_watch_data(c, body + pos, n) < 0;
				pos += n;
			}
			struct kube_result r = { .status = 200, .transport_error = drop,
						 .retry_after_ms = -1, .error = drop ? "cut" : NULL };
			kube_cache_watch_done(c, *now, &r);
			free(body);
		}
	}
	free(q);
	/* The world moves on between requests; history gets compacted. */
	for (unsigned m = frand(f, 4); m > 0; m--)
		mutate(f);
	if (faults && frand(f, 8) == 0)
		f->compacted = f->rv;
}

static void assert_converged(struct fake *f, struct kube_cache *c)
{
	size_t want = 0;
	for (int o = 0; o < NOBJ; o++) {
		char ns[16], name[16], rv[16];
		snprintf(ns, sizeof ns, "ns%d", o % 3);
		snprintf(name, sizeof name, "o%d", o);
		snprintf(rv, sizeof rv, "%d", f->orv[o]);
		const struct kube_item *it = kube_cache_get(c, ns, name);
		if (f->exists[o]) {
			want++;
			if (!it)
				fail_msg("o%d missing", o);
			assert_string_equal(it->rv, rv);
		} else if (it) {
			fail_msg("o%d is a phantom", o);
		}
	}
	assert_int_equal(kube_cache_count(c), want);
}

static void test_converges_under_faults(void **state)
{
	(void)state;
	unsigned long long relists = 0, reconnects = 0;
	for (unsigned long long seed = 1; seed <= 40; seed++) {
		struct fake *f = xcalloc(1, sizeof *f);
		f->rng = seed * 0x9E3779B97F4A7C15ULL;
		f->rv = 100;
		for (int i = 0; i < 25; i++)
			mutate(f);
		struct kube_cache_spec s = { .path = "/x", .seed = seed, .page_limit = 7 };
		struct kube_cache *c = kube_cache_new_spec(&s);
		long long now = 0;
		for (int step = 0; step < 300; step++)
			run_step(f, c, &now, 1);
		/* Faults stop; within a few requests the cache equals the server. */
		int mutated = f->rv;
		for (int step = 0; step < 40; step++) {
			char *q;
			if (kube_cache_state(c) == KUBE_CACHE_LIVE && f->rv == mutated &&
			    kube_cache_rv(c) && atoi(kube_cache_rv(c)) >= f->rv - 0)
				break;
			/* no mutations now */
			enum kube_req_kind k = kube_cache_start(c, now, &q);
			if (k == KUBE_REQ_NONE) {
				now = kube_cache_due(c) > now ? kube_cache_due(c) : now + 1;
				continue;
			}
			if (k == KUBE_REQ_LIST) {
				char *page = list_page(f, q);
				struct kube_result r = ok_body(page, strlen(page));
				kube_cache_list_done(c, now, &r);
				free(page);
			} else {
				int from = atoi(strstr(q, "resourceVersion=") + 16);
				kube_cache_watch_open(c);
				char *body = from < f->compacted
					? xstrdup("{\"type\":\"ERROR\",\"object\":{\"code\":410}}\n")
					: watch_body(f, from);
				kube_cache_watch_data(c, body, strlen(body));
				free(body);
				kube_cache_watch_done(c, now, &(struct kube_result){ .status = 200, .retry_after_ms = -1 });
			}
			free(q);
		}
		assert_true(kube_cache_synced(c));
		assert_converged(f, c);
		unsigned long long rl, rc;
		kube_cache_stats(c, &rl, &rc);
		relists += rl;
		reconnects += rc;
		kube_cache_free(c);
		free(f);
	}
	/* The faults really happened. */
	assert_true(relists > 40);
	assert_true(reconnects > 40);
}

/* Projections: made per object, replaced on change, freed with the item. */
static void *proj_name_len(void *ctx, const struct jtok_doc *d, int obj)
{
	(*(int *)ctx)++;
	char *s = jtok_str(d, jtok_path(d, obj, (const char *const[]){ "spec", "nodeName", NULL }));
	return s ? s : xstrdup("");
}

static void test_projection(void **state)
{
	(void)state;
	int made = 0;
	struct kube_cache_spec s = { .path = "/p", .project = proj_name_len,
				     .project_free = free, .project_ctx = &made };
	struct kube_cache *c = kube_cache_new_spec(&s);
	char *q;
	kube_cache_start(c, 0, &q);
	free(q);
	size_t len;
	char *all = load("pods-list.json", &len);
	struct kube_result r = ok_body(all, len);
	assert_int_equal(kube_cache_list_done(c, 0, &r), 0);
	assert_int_equal(made, 7);
	const struct kube_item *it = kube_cache_get(c, "default", "demo-997c454df-jrshh");
	assert_non_null(it);
	assert_string_equal(it->proj, "hollow-node-1");
	/* The same LIST again: unchanged objects are not projected again. */
	kube_cache_watch_done(c, 0, &(struct kube_result){ .status = 410, .retry_after_ms = -1 });
	kube_cache_start(c, 5000, &q);
	free(q);
	assert_int_equal(kube_cache_list_done(c, 5000, &r), 0);
	assert_int_equal(made, 7);
	free(all);
	kube_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_then_watch),
		cmocka_unit_test(test_410_relists_and_prunes),
		cmocka_unit_test(test_drop_backoff),
		cmocka_unit_test(test_list_failures),
		cmocka_unit_test(test_unauthorized_retry),
		cmocka_unit_test(test_backoff_bounds),
		cmocka_unit_test(test_converges_under_faults),
		cmocka_unit_test(test_projection),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
