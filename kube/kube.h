/*
 * kube.h - Podium's Kubernetes client: kubeconfig, transport, the table of
 * kinds and their slim projections, list/watch cache, operations as kubectl
 * does them, and validation before any request. kube/ never draws and never
 * prints: it returns plain structs and fills a struct perr.
 */
#ifndef PODIUM_KUBE_H
#define PODIUM_KUBE_H

#include <curl/curl.h>
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

/* Where the configuration comes from: kubectl's rules. kubeconfig (the
 * --kubeconfig flag) wins; else KUBECONFIG (files separated by ':', missing
 * ones skipped, merged: the first file to set a key wins); else
 * ~/.kube/config; else the in-cluster service account
 * (KUBERNETES_SERVICE_HOST/PORT and the files in
 * /var/run/secrets/kubernetes.io/serviceaccount, or PODIUM_SERVICEACCOUNT_DIR). */
struct kube_config_opts {
	const char *kubeconfig; /* --kubeconfig, or NULL */
	const char *context;    /* --context, or NULL: current-context */
	const char *namespace;  /* -n, or NULL: the context's, else "default" */
};

/* An exec credential plugin (client.authentication.k8s.io/v1, v1beta1). */
struct kube_exec_conf {
	char *api_version;
	char *command;
	char **args;          /* NULL-terminated */
	char **env;           /* NULL-terminated "NAME=VALUE" */
	char *install_hint;
	char *interactive_mode; /* Never, IfAvailable, Always; NULL */
	int provide_cluster_info;
};

/* One resolved context: the cluster to talk to and the credentials to talk
 * with. Secrets (token, password, key) are held here and never put in a
 * message. */
struct kube_conn {
	char *context;   /* context name ("in-cluster" for the service account) */
	char *cluster;   /* cluster name */
	char *user;      /* user name */
	char *namespace; /* the effective namespace */
	char *server;    /* https://host:port, no trailing slash */
	char *tls_server_name;
	char *proxy_url;
	int insecure;    /* insecure-skip-tls-verify: the caller warns */
	char *ca;        /* PEM bundle, or NULL: the system's */
	size_t ca_len;
	char *token;     /* bearer token */
	char *token_file; /* re-read on each request and after a 401 */
	char *cert;      /* PEM client certificate */
	size_t cert_len;
	char *key;       /* PEM client key */
	size_t key_len;
	char *username;  /* basic auth */
	char *password;
	struct kube_exec_conf *exec; /* NULL when none */
	char *source;    /* the files the configuration came from, for messages */
};

/* The merged kubeconfig (opaque). */
struct kube_config;

/* An empty configuration. Caller frees with kube_config_free. */
struct kube_config *kube_config_new(void);
void kube_config_free(struct kube_config *cfg);
/* Parse one kubeconfig document (text, len bytes; path names it in errors
 * and anchors its relative paths) and merge it into cfg: entries and
 * current-context already set are kept (kubectl: the first file wins).
 * An error names the file, line and column. 0 / -1. */
int kube_config_parse(struct kube_config *cfg, const char *path,
		      const char *text, size_t len, struct perr *e);
/* Find and merge the kubeconfig files as kubectl does (see
 * kube_config_opts); an empty result with in-cluster variables set yields
 * the in-cluster context. Caller frees. NULL on error. */
struct kube_config *kube_config_load(const struct kube_config_opts *o,
				     struct perr *e);
/* current-context, or NULL. Borrowed. */
const char *kube_config_current(const struct kube_config *cfg);
/* The context names in the order they were read; *n set. Borrowed until
 * kube_config_free. */
const char *const *kube_config_contexts(const struct kube_config *cfg,
					size_t *n);
/* Resolve a context (NULL: current-context) into a connection, reading
 * certificate and token files now. ns overrides the context's namespace.
 * A missing context lists the ones there are. Caller frees. */
struct kube_conn *kube_config_resolve(const struct kube_config *cfg,
				      const char *context, const char *ns,
				      struct perr *e);
/* The whole of kubectl's path: load, then resolve o->context. */
struct kube_conn *kube_conn_load(const struct kube_config_opts *o,
				 struct perr *e);
void kube_conn_free(struct kube_conn *c);
void kube_exec_conf_free(struct kube_exec_conf *x);

/* Base64 (standard alphabet, padding optional on decode, whitespace
 * skipped). Caller frees; decode returns NULL on invalid input. */
char *kube_base64_encode(const void *data, size_t n);
char *kube_base64_decode(const char *s, size_t n, size_t *out_len);

/* What an exec credential plugin gave (exec.c). */
struct kube_exec_cred {
	char *token;
	char *cert; /* PEM */
	size_t cert_len;
	char *key;  /* PEM */
	size_t key_len;
	long long expires; /* Unix seconds; 0: no expiry */
};

/* Run the plugin of conn (conn->exec) and decode its ExecCredential.
 * Missing commands get the installHint in the message. Fills *out (free
 * with kube_exec_cred_clear). 0 / -1. */
int kube_exec_run(const struct kube_conn *conn, struct kube_exec_cred *out,
		  struct perr *e);
void kube_exec_cred_clear(struct kube_exec_cred *c);

/* The client: a connection plus what requests share (credential cache,
 * debug log, timeouts). One per thread. */
struct kube_client;

struct kube_client_opts {
	long timeout_ms;      /* a whole request; 0: none */
	const char *log_file; /* -v FILE: requests and responses, secrets redacted */
};

/* Takes ownership of conn (also on failure). Caller frees. */
struct kube_client *kube_client_new(struct kube_conn *conn,
				    const struct kube_client_opts *o,
				    struct perr *e);
void kube_client_free(struct kube_client *c);
/* The connection (borrowed). */
const struct kube_conn *kube_client_conn(const struct kube_client *c);
/* A warning the caller should show (insecure-skip-tls-verify), or NULL. */
const char *kube_client_warning(const struct kube_client *c);

/* Non-zero when a 401 may be cured by fetching the credential again
 * (tokenFile, exec plugin): worth one retry. */
int kube_client_can_refresh(const struct kube_client *c);
/* The whole-request timeout in ms (0: none). */
long kube_client_timeout(const struct kube_client *c);

/* Parse a kubectl duration (0, 30, 30s, 1m30s, 500ms, 2h) into ms. */
int kube_parse_duration(const char *s, long *ms, struct perr *e);
/* An RFC 3339 timestamp (2026-11-28T11:32:09Z, offsets, fractions) into
 * Unix seconds. 0 / -1. */
int kube_parse_time(const char *s, long long *out);
/* kubectl's AGE: apimachinery's HumanDuration of secs (4m9s, 3h, 12d). */
void kube_human_duration(long long secs, char *buf, size_t n);

/* ---- end kubeconfig and transport ---- */

/* ---- resources, requests, operations ---- */

/* Responses bigger than this are refused (a LIST is paged well below it). */
#define KUBE_MAX_BODY (256u << 20)

/* One transfer to the API server, set up as kube_request sets it up (URL,
 * TLS material as blobs, credentials, User-Agent, Accept, HTTP/2, connect
 * timeout, debug log) but not started: the caller sets CURLOPT_WRITEFUNCTION
 * (and PRIVATE, a timeout...) and adds curl to its multi handle. */
struct kube_easy {
	CURL *curl;                 /* owned */
	struct curl_slist *headers; /* owned; must outlive the transfer */
	char errbuf[CURL_ERROR_SIZE];
	char *url;                  /* for messages */
	struct kube_client *client; /* borrowed */
};

/* A transfer for METHOD path?query (query without '?', may be NULL).
 * accept NULL: application/json. Credentials are fetched now: the exec
 * plugin runs when its credential is missing or expired, tokenFile is
 * read. Caller frees with kube_easy_free (after curl_multi_remove_handle). */
struct kube_easy *kube_easy_new(struct kube_client *c, const char *method,
				const char *path, const char *query,
				const char *accept, struct perr *e);
void kube_easy_free(struct kube_easy *x);
/* After the transfer ended with rc: 0 when it got a 2xx answer; else -1
 * and e holds the one-line error (unreachable, certificate, timeout, 401,
 * or the Status of body in kubectl's words). A 401 drops the cached exec
 * credential so the next kube_easy_new runs the plugin again. */
int kube_easy_check(struct kube_easy *x, CURLcode rc, const char *body,
		    size_t len, struct perr *e);

/* A synchronous request's answer. */
struct kube_response {
	long status;            /* HTTP status; 0 when none came */
	char *body;             /* owned, NUL-terminated; NULL when none */
	size_t len;
	char content_type[128];
	long retry_after;       /* seconds, from Retry-After; 0: none */
};
void kube_response_free(struct kube_response *r);

struct kube_req {
	const char *method;       /* GET, POST, PUT, PATCH, DELETE */
	const char *path;         /* /api/v1/namespaces/x/pods */
	const char *query;        /* "limit=500&continue=..." or NULL */
	const char *accept;       /* NULL: application/json */
	const char *content_type; /* of body; NULL when no body */
	const char *body;
	size_t body_len;
	size_t max_body;          /* 0: KUBE_MAX_BODY */
};

/* Perform rq and wait for the answer (the client's timeout applies). 0 on a
 * 2xx answer; -1 otherwise, with e set as kube_easy_check sets it and *r
 * holding whatever answer came (the Status body for the caller's detail).
 * A 401 with tokenFile or an exec plugin is retried once with fresh
 * credentials. Free *r with kube_response_free in both cases. */
int kube_request_ex(struct kube_client *c, const struct kube_req *rq,
		    struct kube_response *r, struct perr *e);
/* kube_request_ex with the usual fields. */
int kube_request(struct kube_client *c, const char *method, const char *path,
		 const char *query, const char *content_type, const char *body,
		 size_t body_len, struct kube_response *r, struct perr *e);
/* Percent-encode s for a query value. Caller frees. */
char *kube_query_escape(const char *s);

/* A Status error from the API server (apierror.c). */
struct kube_status_cause {
	char *reason;  /* FieldValueInvalid, FieldManagerConflict, ... */
	char *message;
	char *field;
};

struct kube_apierror {
	int code;       /* HTTP code in the Status */
	char *reason;   /* NotFound, AlreadyExists, Conflict, Invalid, ... ("" when none) */
	char *message;
	char *kind;     /* details */
	char *name;
	char *group;
	struct kube_status_cause *causes;
	size_t ncauses;
};

/* Decode a Status body. 0 when body is a Status (kind Status, or an object
 * with status Failure); -1 otherwise (*a left empty). Clear with
 * kube_apierror_clear. */
int kube_apierror_parse(const char *body, size_t len, struct kube_apierror *a);
void kube_apierror_clear(struct kube_apierror *a);
/* kubectl's error text for a: "Error from server (NotFound): ...", or for
 * Invalid with causes "The Deployment \"x\" is invalid: field: message"
 * (several causes: one "* field: message" line each when multiline, else
 * joined with "; "). No trailing newline. Caller frees. */
char *kube_apierror_format(const struct kube_apierror *a, int multiline);
/* The same for an HTTP answer: its Status if it has one, else the words
 * client-go uses for that HTTP code. Caller frees. */
char *kube_apierror_text(long http_status, const char *body, size_t len, int multiline);
/* For a server-side-apply conflict (409 with FieldManagerConflict causes):
 * "Apply failed with N conflicts: conflict with \"m\": .spec.replicas ..."
 * plus kubectl's hint about --force-conflicts, as lines. NULL when a is
 * not such a conflict. Caller frees. */
char *kube_apierror_conflicts(const struct kube_apierror *a);

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
