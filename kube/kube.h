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
/* The checks the API server makes on names, label keys and values, and
 * resource quantities, in its own words (k8s.io/apimachinery
 * pkg/util/validation), shared by the client (kube_validate_*) and the
 * simulated server (sim_validate). One message per failed rule, as the real
 * functions return a []string. */
enum kube_name_rule {
	KUBE_NAME_DNS1123_SUBDOMAIN, /* most kinds: Deployment, Pod, ... */
	KUBE_NAME_DNS1123_LABEL,     /* Namespace; container names */
	KUBE_NAME_DNS1035_LABEL,     /* Service */
};

#define KUBE_VERRS_MAX 4
struct kube_verrs {
	int n;
	char msg[KUBE_VERRS_MAX][400];
};

/* The rule the real server applies to metadata.name of kind ("Service",
 * "Namespace", anything else: DNS-1123 subdomain). */
enum kube_name_rule kube_name_rule_for_kind(const char *kind);
/* IsDNS1123Subdomain / IsDNS1123Label / IsDNS1035Label; out->n 0: valid. */
void kube_check_name(enum kube_name_rule rule, const char *v,
		     struct kube_verrs *out);
/* IsQualifiedName: label and annotation keys ("prefix/name"). */
void kube_check_qualified_name(const char *k, struct kube_verrs *out);
/* IsValidLabelValue. */
void kube_check_label_value(const char *v, struct kube_verrs *out);

/* A resource quantity ("100m", "1.5Gi", "1e3", "128974848") in the
 * Kubernetes grammar; its value in base units in *value (may be NULL).
 * 0; -1 when it does not match the grammar (KUBE_QUANTITY_ERR); -2 when
 * the number is fine but the suffix is not one (KUBE_QUANTITY_SUFFIX_ERR). */
int kube_quantity_parse(const char *s, double *value);
/* The real parser's error for a malformed quantity. */
#define KUBE_QUANTITY_ERR \
	"quantities must match the regular expression " \
	"'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
#define KUBE_QUANTITY_SUFFIX_ERR "unable to parse quantity's suffix"

/* Client-side checks before a request: 0, or -1 with e saying what is
 * wrong and suggesting the fix (`ai_model` ... use `ai-model`). kind names
 * the object in the message ("Deployment"). */
int kube_validate_name(enum kube_name_rule rule, const char *kind,
		       const char *name, struct perr *e);
int kube_validate_label(const char *key, const char *value, struct perr *e);
/* Docker reference grammar: [host[:port]/]path[:tag][@algo:hex]. */
int kube_validate_image(const char *ref, struct perr *e);
int kube_validate_quantity(const char *q, struct perr *e);
/* A valid name close to name under rule (caller frees); "" cannot be
 * fixed, so NULL then. */
char *kube_name_suggest(enum kube_name_rule rule, const char *name);
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
/* ---- end list/watch cache ---- */

#endif
