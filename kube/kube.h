/*
 * kube.h - Podium's Kubernetes client: kubeconfig, transport, the table of
 * kinds and their slim projections, list/watch cache, operations as kubectl
 * does them, and validation before any request. kube/ never draws and never
 * prints: it returns plain structs and fills a struct perr.
 */
#ifndef PODIUM_KUBE_H
#define PODIUM_KUBE_H

#include <stddef.h>

#include "kube/base.h"

/* ---- validation (validate.c) ---- */
/* ---- end validation ---- */

/* ---- kubeconfig and transport (kubeconfig.c, transport.c, ...) ---- */
/* ---- end kubeconfig and transport ---- */

/* ---- resources, requests, operations ---- */
/* ---- end resources, requests, operations ---- */

/* ---- list/watch cache (cache.c, watch.c) ---- */
#include <stdint.h>

struct json_t;

/* jtok.c: a strict JSON tokenizer for the hot path (watch lines, LIST
 * pages). Tokens index into the caller's buffer, which must outlive them. */
#define JTOK_MAX_TEXT (1024u * 1024u * 1024u) /* offsets are 32-bit */
enum jtok_type {
	JTOK_OBJECT = 1, JTOK_ARRAY, JTOK_STRING, JTOK_NUMBER,
	JTOK_TRUE, JTOK_FALSE, JTOK_NULL,
};
struct jtok {
	uint8_t type;    /* enum jtok_type */
	uint8_t escaped; /* string holds backslash escapes */
	uint32_t start;  /* strings: first byte after the quote */
	uint32_t len;    /* strings: raw bytes between the quotes */
	uint32_t next;   /* index of the token after this whole subtree */
	uint32_t count;  /* objects: members; arrays: elements */
};
struct jtok_doc {
	const char *buf; /* borrowed */
	size_t len;
	struct jtok *t;  /* t[0] is the root; object members are key, value */
	size_t n, cap;
};
/* Tokenize buf (len bytes) into d (zero it first; reusable). 0 / -1 with
 * "invalid JSON at byte N: what". */
int jtok_parse(struct jtok_doc *d, const char *buf, size_t len, struct perr *e);
/* Free the token array (not the text). Accepts NULL. */
void jtok_doc_free(struct jtok_doc *d);
/* The value token of member key in object obj, or -1. */
int jtok_get(const struct jtok_doc *d, int obj, const char *key);
/* Follow a NULL-terminated list of member names from tok; -1 if absent. */
int jtok_path(const struct jtok_doc *d, int tok, const char *const *keys);
/* Iterate a container: cur -1 gives the first child; objects yield key
 * tokens (the value is key + 1). -1 at the end. */
int jtok_child(const struct jtok_doc *d, int tok, int cur);
/* The unescaped string (caller frees), or NULL if tok is not a string. */
char *jtok_str(const struct jtok_doc *d, int tok);
/* Non-zero when tok is a string equal to s. */
int jtok_str_eq(const struct jtok_doc *d, int tok, const char *s);
/* An integer number token into *out; 0 / -1. */
int jtok_int(const struct jtok_doc *d, int tok, long long *out);
/* The subtree at tok as a new jansson value (caller decrefs), NULL if none. */
struct json_t *jtok_to_json(const struct jtok_doc *d, int tok);

/* watch.c: the watch-stream decoder. */
#define KUBE_WATCH_MAX_LINE (16u * 1024u * 1024u) /* default per-event cap */
enum kube_event_type {
	KUBE_EVENT_ADDED, KUBE_EVENT_MODIFIED, KUBE_EVENT_DELETED,
	KUBE_EVENT_BOOKMARK, KUBE_EVENT_ERROR,
};
/* The Status an ERROR event carries (strings unsanitised). */
struct kube_watch_status {
	int code;          /* 410 for Expired / Gone; 0 when absent */
	char reason[64];
	char message[512];
};
struct kube_watch_event {
	enum kube_event_type type;
	const struct jtok_doc *doc; /* borrowed for the callback only */
	int object;                 /* token of "object" (always an object) */
	struct kube_watch_status status; /* KUBE_EVENT_ERROR only */
};
/* Called once per event; returning -1 (with e set) stops the stream. */
typedef int (*kube_watch_fn)(void *ctx, const struct kube_watch_event *ev,
			     struct perr *e);
struct kube_watch;
/* A decoder refusing events longer than max_line bytes (0: the default).
 * Free with kube_watch_free. */
struct kube_watch *kube_watch_new(size_t max_line);
void kube_watch_free(struct kube_watch *w);
/* Forget a partial line and a failure: ready for a new stream. */
void kube_watch_reset(struct kube_watch *w);
/* Feed n bytes; every complete line becomes one call of fn. 0 / -1 (bad
 * JSON, unknown type, a line over the cap, or fn's error); after -1 the
 * decoder refuses data until reset. */
int kube_watch_feed(struct kube_watch *w, const char *data, size_t n,
		    kube_watch_fn fn, void *ctx, struct perr *e);
/* The stream ended: -1 when it stopped inside an event. */
int kube_watch_finish(struct kube_watch *w, struct perr *e);
/* Events decoded since the decoder was made. */
unsigned long long kube_watch_count(const struct kube_watch *w);
/* "ADDED", ... for a type. */
const char *kube_event_type_name(enum kube_event_type t);
/* Decode the Status object at obj into st; 0 / -1 when obj is no object. */
int kube_watch_status_decode(const struct jtok_doc *d, int obj,
			     struct kube_watch_status *st);
/* cache.c: the list/watch cache for one kind, namespace and selectors. The
 * logic is here without network: kube_cache_start says which request to
 * make, the *_done calls consume answers; watchset.c does the HTTP. */
enum kube_cache_state {
	KUBE_CACHE_LISTING,      /* the first LIST is under way */
	KUBE_CACHE_LIVE,         /* watching */
	KUBE_CACHE_RECONNECTING, /* the watch dropped: resuming from the rv */
	KUBE_CACHE_RELISTING,    /* 410: listing again */
};
enum kube_req_kind { KUBE_REQ_NONE, KUBE_REQ_LIST, KUBE_REQ_WATCH };

/* One object in a cache. Borrowed from the cache until its next change. */
struct kube_item {
	char *ns;   /* "" for cluster-scoped kinds */
	char *name;
	char *rv;   /* metadata.resourceVersion (NULL if the server gave none) */
	char *uid;  /* NULL if absent */
	void *proj; /* the spec's projection of the object (NULL without one) */
	unsigned gen; /* internal: the LIST generation that last saw it */
};

/* Make the slim projection of an object (token form, or jansson form). */
typedef void *(*kube_project_fn)(void *ctx, const struct jtok_doc *d, int obj);
typedef void *(*kube_project_json_fn)(void *ctx, struct json_t *obj);
typedef void (*kube_project_free_fn)(void *proj);
/* Told of every change: the item is borrowed for the call (a DELETED item
 * is freed right after). */
typedef void (*kube_change_fn)(void *ctx, enum kube_event_type t,
			       const struct kube_item *it);

struct kube_cache_spec {
	const char *path;           /* /api/v1/namespaces/default/pods */
	const char *label_selector; /* NULL or "" for none */
	const char *field_selector;
	unsigned page_limit;        /* 0: 500 */
	unsigned timeout_s;         /* WATCH timeoutSeconds base; 0: 300 */
	size_t max_line;            /* watch event cap; 0: KUBE_WATCH_MAX_LINE */
	kube_project_fn project;    /* one of project, project_json, or none */
	kube_project_json_fn project_json;
	kube_project_free_fn project_free;
	void *project_ctx;
	kube_change_fn on_change;   /* optional */
	void *change_ctx;
	unsigned long long seed;    /* jitter; 0: from the clock */
};

/* What came back for a request. */
struct kube_result {
	long status;            /* HTTP status; 0 when none came */
	int transport_error;    /* the transfer failed or was cut */
	const char *body;       /* LIST: the page (borrowed) */
	size_t len;
	long long retry_after_ms; /* from Retry-After; -1: none */
	const char *error;      /* one line saying what failed, or NULL */
};

struct kube_cache;
/* A cache for spec (strings copied). Free with kube_cache_free. */
struct kube_cache *kube_cache_new_spec(const struct kube_cache_spec *s);
void kube_cache_free(struct kube_cache *c);
/* The request to make now: LIST or WATCH with *query (caller frees; the
 * path is kube_cache_path), or NONE when one is in flight or not yet due. */
enum kube_req_kind kube_cache_start(struct kube_cache *c, long long now, char **query);
/* When a request is next due (ms, now_ms clock); -1 while one is in flight. */
long long kube_cache_due(const struct kube_cache *c);
const char *kube_cache_path(const struct kube_cache *c);
/* A LIST page's answer. 0, or -1 when it failed (retry is scheduled). */
int kube_cache_list_done(struct kube_cache *c, long long now, const struct kube_result *r);
/* The WATCH answered 200: the cache is live. */
void kube_cache_watch_open(struct kube_cache *c);
/* Bytes of a 200 WATCH body. -1: stop the transfer (410, ERROR, garbage). */
int kube_cache_watch_data(struct kube_cache *c, const char *data, size_t n);
/* The WATCH ended (cleanly, dropped, refused, or stopped after -1). */
void kube_cache_watch_done(struct kube_cache *c, long long now, const struct kube_result *r);
/* Give up the request in flight as if the connection dropped. */
void kube_cache_abort(struct kube_cache *c, long long now, const char *why);

enum kube_cache_state kube_cache_state(const struct kube_cache *c);
const char *kube_cache_state_name(enum kube_cache_state s);
/* Non-zero once a full LIST has arrived. */
int kube_cache_synced(const struct kube_cache *c);
/* Incremented on every change: compare to know when to redraw. */
unsigned long long kube_cache_changes(const struct kube_cache *c);
/* The last failure (for the header), NULL when the last request worked. */
const char *kube_cache_error(const struct kube_cache *c);
const char *kube_cache_rv(const struct kube_cache *c);
void kube_cache_stats(const struct kube_cache *c, unsigned long long *relists,
		      unsigned long long *reconnects);
size_t kube_cache_count(const struct kube_cache *c);
/* The item ns/name (ns NULL or "" for cluster-scoped), borrowed, or NULL. */
const struct kube_item *kube_cache_get(const struct kube_cache *c, const char *ns,
				       const char *name);
/* All items sorted by namespace then name: *out is an array the caller
 * frees; the items are borrowed until the cache next changes. */
size_t kube_cache_items(const struct kube_cache *c, const struct kube_item ***out);
/* Exponential backoff with jitter: advances *backoff (0: start; 800 ms,
 * doubling, capped at 30 s) and returns a delay in [b, 2b) using r. */
long long kube_backoff_next(long long *backoff, unsigned long long r);
/* Retry-After delta-seconds in ms (capped at 10 min); -1 if not seconds. */
long long kube_retry_after_ms(const char *value);
/* ---- end list/watch cache ---- */

#endif
