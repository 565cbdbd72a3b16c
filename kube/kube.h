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
/* Decode a plugin's output (len bytes) for conn (whose exec names the
 * plugin in messages) into *cred, checking apiVersion and kind against
 * the configuration and the credential's fields. 0 / -1 with e set. */
int kube_exec_decode(const struct kube_conn *conn, const char *out, size_t len,
		     struct kube_exec_cred *cred, struct perr *e);

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
	unsigned long long cred_gen; /* which exec credential it carries */
};

/* A transfer for METHOD path?query (query without '?', may be NULL).
 * accept NULL: application/json. Credentials are fetched now: the exec
 * plugin runs when its credential is missing or expired, tokenFile is
 * read. Caller frees with kube_easy_free (after curl_multi_remove_handle). */
struct kube_easy *kube_easy_new(struct kube_client *c, const char *method,
				const char *path, const char *query,
				const char *accept, struct perr *e);
void kube_easy_free(struct kube_easy *x);
/* Let a synchronous transfer reuse the client's connections and TLS
 * sessions (not for handles added to a multi, which has its own pool). */
void kube_easy_share(struct kube_easy *x);
/* After the transfer ended with rc: 0 when it got a 2xx answer; else -1
 * and e holds the one-line error (unreachable, certificate, timeout, 401,
 * or the Status of body in kubectl's words). A 401 drops the cached exec
 * credential so the next kube_easy_new runs the plugin again. */
int kube_easy_check(struct kube_easy *x, CURLcode rc, const char *body,
		    size_t len, struct perr *e);
/* Put fresh credentials on x for sending it again after a 401 (which
 * kube_easy_check has seen): the exec plugin runs unless another request
 * already renewed the credential x was sent with; tokenFile is read
 * again. x must be out of any multi handle. 0 / -1 with e set (the
 * plugin failed), x then without credentials. */
int kube_easy_reauth(struct kube_easy *x, struct perr *e);

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

/* -- the table of kinds (resources.c) -- */

struct json_t; /* jansson's; only kube/ looks inside */

/* A column as kubectl prints it for a kind. */
struct kube_column {
	const char *name; /* header: NAME, READY, ... */
	int wide;         /* shown only with -o wide */
};

/* An object being projected, in either form (opaque: resources.c). */
struct kube_val;

/* One kind of object. Adding a kind is one entry in kube_kinds[]. */
struct kube_kind {
	const char *kind;        /* Deployment */
	const char *group;       /* "" for core */
	const char *version;     /* v1 */
	const char *plural;      /* deployments */
	const char *singular;    /* deployment */
	const char *short_names; /* "deploy" (comma separated) */
	int namespaced;
	const struct kube_column *columns; /* NAME first; ends with name NULL */
	/* Fill cols[1..] (cols[0] is the name) from obj (a jansson tree or
	 * tokens, read through resources.c's accessors), each a new sanitised
	 * string; now (Unix seconds) for ages. */
	void (*project)(const struct kube_val *obj, long long now, char **cols);
	int hide_name; /* kubectl prints no NAME column (events) */
	/* The time the kind is sorted by (events: last seen); NULL: created. */
	long long (*when)(const struct kube_val *obj);
	/* An alias kind over another resource ("models": deployments) lists
	 * only the objects matching this label selector, in its own columns;
	 * NULL for ordinary kinds. */
	const char *selector;
};
/* The selector to send for k combined with the user's (either may be
 * NULL): "podium.dev/model,app=x". Caller frees; NULL when both are. */
char *kube_kind_selector(const struct kube_kind *k, const char *user);

extern const struct kube_kind kube_kinds[]; /* ends with kind == NULL */
/* Resolve a name as kubectl does: pods, pod, po, Pod, deploy,
 * deployments.apps, deployments.v1.apps. NULL when unknown. */
const struct kube_kind *kube_kind_find(const char *name);
/* "apps/v1" or "v1". Borrowed static storage is not used: buf is filled. */
const char *kube_kind_api_version(const struct kube_kind *k, char *buf, size_t n);
/* "deployments.apps" or "pods": how the server names the resource in
 * messages. buf is filled and returned. */
const char *kube_kind_resource(const struct kube_kind *k, char *buf, size_t n);
/* The REST path of the collection (name NULL) or of one object; ns NULL
 * (or a cluster-scoped kind) for all namespaces. Caller frees. */
char *kube_kind_path(const struct kube_kind *k, const char *ns, const char *name);
/* Number of columns of k (NAME included). */
size_t kube_kind_ncols(const struct kube_kind *k);

struct kube_label {
	char *key;
	char *value;
};

/* The slim projection of an object that tui/ sees: every string is
 * sanitised. */
struct kube_obj {
	char *name;
	char *namespace;        /* "" for cluster-scoped */
	char *uid;
	char *resource_version;
	long long created;      /* Unix seconds; 0 when unknown */
	long long time;         /* the kind's own time (events: last seen), else created */
	int deleting;           /* has a deletionTimestamp */
	struct kube_label *labels;
	size_t nlabels;
	char **cols;            /* ncols cells, cols[0] the name */
	size_t ncols;
};

/* Project one object (borrowed json) through k's columns. 0 / -1 (not an
 * object with metadata.name). Clear with kube_obj_clear. */
int kube_obj_project(const struct kube_kind *k, const struct json_t *obj, long long now,
		     struct kube_obj *out);
struct jtok_doc;
/* The same from the tokens of an object (obj, a token of d), without a
 * jansson tree: exactly what kube_obj_project gives for the same JSON
 * (when it has no repeated member names). 0 / -1. */
int kube_obj_project_tok(const struct kube_kind *k, const struct jtok_doc *d, int obj,
			 long long now, struct kube_obj *out);
void kube_obj_clear(struct kube_obj *o);

/* Rows for display: the server's Table form when it sent one, else a list
 * projected through the kind's own columns. */
struct kube_table {
	const struct kube_kind *kind; /* borrowed */
	size_t ncols;
	char **headers;               /* upper case, as printed */
	int *wide;                    /* per column: only with -o wide */
	struct kube_obj *rows;
	size_t nrows;
	char *resource_version;
	char *continue_token;         /* NULL on the last page */
	long long remaining;          /* remainingItemCount; -1 when absent */
	int from_server;              /* built from a meta.k8s.io Table */
};

/* Parse one page (a List of k, or a Table) and append its rows to t (its
 * headers are set by the first page). The continue token and
 * resourceVersion are the page's. 0 / -1. */
int kube_table_parse(const struct kube_kind *k, const char *body, size_t len, long long now,
		     struct kube_table *t, struct perr *e);
void kube_table_clear(struct kube_table *t);

/* The Accept header that asks for the Table form (what kubectl get sends). */
#define KUBE_ACCEPT_TABLE "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"

/* -- LIST and GET (list.c) -- */

struct kube_list_opts {
	const char *ns;             /* NULL: all namespaces */
	const char *selector;       /* label selector, or NULL */
	const char *field_selector; /* or NULL */
	int table;                  /* ask for the server's Table form */
	size_t limit;               /* page size; 0: 500 as kubectl */
	long long now;              /* for ages; 0: the clock */
};

/* Every page of k into t (limit/continue). 0 / -1; clear t either way. */
int kube_list(struct kube_client *c, const struct kube_kind *k, const struct kube_list_opts *o,
	      struct kube_table *t, struct perr *e);
/* Every page of k as one JSON List (items given apiVersion and kind, keys
 * sorted, indented as kubectl -o json). Caller frees; NULL on error. */
char *kube_list_json(struct kube_client *c, const struct kube_kind *k,
		     const struct kube_list_opts *o, struct perr *e);
/* One object as JSON (sorted, indented). Caller frees; NULL on error. */
char *kube_get_json(struct kube_client *c, const struct kube_kind *k, const char *ns,
		    const char *name, struct perr *e);
/* Several objects by name: one object's JSON when n is 1, else a List of
 * those found. Each failure is counted in *failed, handed to on_error (may
 * be NULL) and the first kept in first_err. Caller frees; NULL when none
 * was found. */
char *kube_get_json_many(struct kube_client *c, const struct kube_kind *k, const char *ns,
			 char *const *names, size_t n, size_t *failed, struct perr *first_err,
			 void (*on_error)(void *arg, const struct perr *e), void *arg);
/* One object as a table of one row (the server's Table form when table
 * and the server sends it). 0 / -1; clear t either way. */
int kube_get_row(struct kube_client *c, const struct kube_kind *k, const char *ns, const char *name,
		 int table, struct kube_table *t, struct perr *e);

/* kubectl events (events.c): every event of ns (NULL: all namespaces)
 * into t, oldest first, in that command's columns (LAST SEEN with
 * "(xN over ...)", TYPE, REASON, OBJECT as Kind/name, MESSAGE); column 0
 * is the event's name, which kubectl does not print. Paged. 0 / -1. */
int kube_events(struct kube_client *c, const char *ns, const char *selector, long long now,
		struct kube_table *t, struct perr *e);

/* kubectl describe's text for one object (in full for pods, deployments,
 * replicasets, services, jobs, configmaps, and secrets with value sizes
 * only; other kinds: metadata and events): cells separated by tabs, '\f'
 * where kubectl flushes its tabwriter. Align with tabwriter (minwidth 0,
 * padding 2). now for ages. Caller frees; NULL on error. (describe.c) */
char *kube_describe(struct kube_client *c, const struct kube_kind *k, const char *ns,
		    const char *name, long long now, struct perr *e);

/* -- YAML (yaml.c) and manifests (manifest.c) -- */

/* Block YAML of a JSON text, as kubectl -o yaml writes it: keys sorted,
 * strings that would read back as another type quoted. Caller frees; NULL
 * on error. */
char *kube_yaml_from_json(const char *json, size_t len, struct perr *e);
/* Read every document of a YAML (or JSON) stream; fn gets each non-empty
 * one as json (borrowed for the call) with the line it starts on and
 * returns 0 to go on, -1 to stop. src names the input in errors, which
 * give line and column. Node count and depth are bounded. 0 / -1. */
/* The first document of a YAML text as JSON, converted as sigs.k8s.io/yaml
 * converts it (go-yaml v2's YAML 1.1 typing of plain scalars, integral
 * floats as integers, dates as timestamps, merge keys, keys made strings),
 * which is both what kubectl sends and what the API server decodes. An
 * empty text is JSON null. NULL with msg (msgsz bytes) holding go-yaml's
 * or encoding/json's words for the fault ("yaml: line 3: ..."). The
 * caller decrefs. */
struct json_t *kube_yaml_first_json(const char *text, size_t len, char *msg, size_t msgsz);
int kube_yaml_load_all(const char *src, const char *text, size_t len,
		       int (*fn)(void *arg, struct json_t *doc, size_t line, struct perr *e),
		       void *arg, struct perr *e);

/* One object of a manifest, ready to apply. */
struct kube_manifest_doc {
	char *json;        /* the object as compact JSON: the apply body */
	size_t len;
	char *api_version; /* as written */
	char *kind;
	char *name;
	char *namespace;   /* NULL when the document names none */
	size_t line;       /* where its document starts */
	const struct kube_kind *k; /* NULL when Podium does not know the kind */
};

struct kube_manifest {
	struct kube_manifest_doc *docs;
	size_t n;
};

/* Parse a manifest (several YAML or JSON documents; kind List expanded):
 * each needs apiVersion, kind and metadata.name. src names it in errors.
 * 0 / -1; clear with kube_manifest_clear. */
int kube_manifest_parse(const char *src, const char *text, size_t len, struct kube_manifest *m,
			struct perr *e);
void kube_manifest_clear(struct kube_manifest *m);
/* Client-side checks before any request (validate.c): the name by the
 * kind's rule, the namespace, labels of the object, its template and
 * selector, container images and resource quantities. 0 / -1 with the fix
 * in the message. */
int kube_manifest_validate(const struct kube_manifest_doc *d, struct perr *e);

/* -- operations (ops.c) -- */

/* Server-side apply of one manifest object into ns (its own namespace
 * wins): PATCH application/apply-patch+yaml, fieldManager=podium, force
 * when force_conflicts. 0 / -1; *r holds the answer (the Status of a
 * conflict) either way: free it with kube_response_free. */
int kube_apply(struct kube_client *c, const struct kube_manifest_doc *d, const char *ns,
	       int force_conflicts, struct kube_response *r, struct perr *e);

/* kubectl's --cascade: background, foreground, orphan. */
enum kube_propagation { KUBE_PROP_BACKGROUND, KUBE_PROP_FOREGROUND, KUBE_PROP_ORPHAN };
/* "background"... into *p (also kubectl's legacy true/false). 0 / -1. */
int kube_propagation_parse(const char *s, enum kube_propagation *p);
/* A request as kubectl sends it, for callers that send it themselves (the
 * dashboard, on its watch set, without waiting): the fields of a kube_req.
 * Free with kube_call_free (accepts a zeroed one). */
struct kube_call {
	const char *method, *content_type; /* content_type NULL: no body */
	char *path, *query, *body;         /* owned; query, body may be NULL */
};
void kube_call_free(struct kube_call *m);
/* The PATCH kube_apply sends, for callers that send it themselves. 0 /
 * -1 (a kind podium does not know). Free m with kube_call_free. */
int kube_apply_call(const struct kube_manifest_doc *d, const char *ns, int force_conflicts,
		    struct kube_call *m, struct perr *e);
/* kube_delete's DELETE. */
void kube_delete_call(const struct kube_kind *k, const char *ns, const char *name,
			  enum kube_propagation p, struct kube_call *m);
/* kube_scale's PATCH; -1 with e (kinds without a scale subresource,
 * replicas < 0) and nothing in m. */
int kube_scale_call(const struct kube_kind *k, const char *ns, const char *name,
			long replicas, struct kube_call *m, struct perr *e);
/* `kubectl rollout restart deployment/NAME` at unix_secs: its strategic
 * merge patch of the Deployment. */
void kube_restart_call(const char *ns, const char *name, long long unix_secs,
			   struct kube_call *m);
/* DELETE with propagationPolicy. 0 / -1; *r as for kube_apply. */
int kube_delete(struct kube_client *c, const struct kube_kind *k, const char *ns, const char *name,
		enum kube_propagation p, struct kube_response *r, struct perr *e);
/* kubectl scale: a merge patch {"spec":{"replicas":N}} on the scale
 * subresource. Kinds without one are refused. 0 / -1. */
int kube_scale(struct kube_client *c, const struct kube_kind *k, const char *ns, const char *name,
	       long replicas, struct kube_response *r, struct perr *e);

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

/* A JSON document as block YAML (yaml.c): strings that would read back as
 * another type are quoted. Caller frees; NULL with e set. */
struct json_t;
char *kube_json_to_yaml(struct json_t *doc, struct perr *e);

/* A model server on a cluster (deploy.c): a Deployment of the model image
 * and a Service in front of it. */
#define KUBE_MODEL_PATH "/models/model.safetensors" /* where model images hold it */
/* Hex digits of the model's SHA-256 in the podium.dev/model-sha256 label
 * (label values are at most 63 characters); the annotation holds all 64. */
#define KUBE_SHA_LABEL_LEN 32
struct kube_deploy_opts {
	const char *name;         /* Deployment and Service */
	const char *namespace;    /* NULL: default */
	const char *image;
	const char *model;        /* the served model's name; NULL: name */
	const char *model_sha256; /* NULL: no checksum label */
	const char *cpu, *memory; /* requests = limits; NULL: 500m, 256Mi */
	const char *service_type; /* NULL: ClusterIP */
	int replicas;
	int port;
	int canary;               /* NAME-canary, track canary, no Service */
};
/* Names, image, quantities and the rest checked before any request: 0, or
 * -1 with the fix in e. */
int kube_deploy_validate(const struct kube_deploy_opts *o, struct perr *e);
/* The manifests (new references; o validated by the caller). */
struct json_t *kube_deploy_deployment(const struct kube_deploy_opts *o);
struct json_t *kube_deploy_service(const struct kube_deploy_opts *o);
/* Both manifests as YAML documents (--dry-run). Caller frees. */
char *kube_deploy_yaml(const struct kube_deploy_opts *o, struct perr *e);
/* Validate, then server-side apply (fieldManager=podium) the Deployment
 * and the Service; *report gets kubectl's lines ("deployment.apps/x
 * serverside-applied"), caller frees. 0 / -1. */
int kube_deploy_apply(struct kube_client *c, const struct kube_deploy_opts *o, int force,
		      char **report, struct perr *e);

/* The server-side applies kube_deploy_apply makes, for a caller that
 * sends them itself (PATCH path?query, KUBE_APPLY_TYPE, body): the
 * Deployment, then the Service unless o->canary. *n set; free with
 * kube_deploy_reqs_free. 0, or -1 with e when o is not valid. */
#define KUBE_APPLY_TYPE "application/apply-patch+yaml"
struct kube_apply_req {
	char *path, *query, *body;
	char *what; /* "deployment.apps/NAME" */
};
int kube_deploy_reqs(const struct kube_deploy_opts *o, int force, struct kube_apply_req out[2],
		     int *n, struct perr *e);
void kube_deploy_reqs_free(struct kube_apply_req *v, int n);

/* Building a model-server image inside the cluster (build.c). */
#define KUBE_RUNTIME_IMAGE "ghcr.io/podium/runtime:" PODIUM_VERSION
/* ConfigMaps hold at most 1 MiB; base64 grows data by 4/3 and the object
 * carries metadata, so each chunk holds 720 KiB of model. */
#define KUBE_BUILD_CHUNK (720u * 1024u)
#define KUBE_BUILD_MAX_CHUNKS 64u
#define KUBE_BUILD_MAX_MODEL (KUBE_BUILD_CHUNK * KUBE_BUILD_MAX_CHUNKS)
struct kube_build_opts {
	const char *id;           /* names the objects: podium-build-ID[-N] */
	const char *namespace;
	const char *image;        /* where to push */
	const char *builder;      /* "buildkit" (NULL) or "kaniko" */
	const char *push_secret;  /* a kubernetes.io/dockerconfigjson Secret, or NULL */
	const char *base_image;   /* NULL: KUBE_RUNTIME_IMAGE */
	const char *model_sha256; /* checked by the Job after reassembly */
};
/* Image reference, builder, secret name and model size checked: 0 / -1
 * with the fix (or the size limit) in e. */
int kube_build_validate(const struct kube_build_opts *o, size_t model_len, struct perr *e);
/* The generated Dockerfile (caller frees). */
char *kube_build_dockerfile(const char *base_image, int port);
/* How many ConfigMaps carry a model of model_len bytes. */
int kube_build_chunks(size_t model_len);
/* ConfigMap i of the context (binaryData model.safetensors.NNN; the first
 * also holds the Dockerfile). New reference. */
struct json_t *kube_build_configmap(const struct kube_build_opts *o, int i,
				    const void *model, size_t model_len);
/* The build Job. New reference. */
struct json_t *kube_build_job(const struct kube_build_opts *o, size_t model_len);

enum kube_build_phase {
	KUBE_BUILD_CONTEXT, /* ConfigMap i of n created */
	KUBE_BUILD_JOB,     /* the Job created (text: its name) */
	KUBE_BUILD_POD,     /* its pod found (text: the name) */
	KUBE_BUILD_LOG,     /* new builder log text (sanitised) */
	KUBE_BUILD_DONE,    /* pushed (text: the image) */
};
struct kube_build_watch {
	int wait;          /* follow the Job to its end */
	long timeout_ms;   /* 0: 10 minutes */
	void (*progress)(void *ud, enum kube_build_phase ph, int i, int n, const char *text);
	int (*cancelled)(void *ud); /* non-zero: stop following (Ctrl-C) */
	void *ud;
};
/* Create the context ConfigMaps and the Job (the ConfigMaps then owned by
 * the Job, so they go when it goes), and with w->wait follow the builder's
 * log until the Job completes or fails, then delete the ConfigMaps. A
 * failure says the builder's reason. 0 / -1. */
int kube_build_run(struct kube_client *c, const struct kube_build_opts *o, const void *model,
		   size_t model_len, const struct kube_build_watch *w, struct perr *e);
/* kube_build_run in steps, for a caller with its own loop (the dashboard).
 * Start: validate, then the context ConfigMaps and the Job are created by
 * requests on ws (borrowed; its client makes them), one after the other,
 * w->progress told as each is made (wait and timeout ignored). The model
 * bytes are copied; w is borrowed until kube_build_free. Free with
 * kube_build_free. NULL with e set when o is not valid; a failure to
 * create comes from kube_build_step (what was made is deleted). */
struct kube_build;
struct kube_watchset;
struct kube_build *kube_build_start(struct kube_watchset *ws, const struct kube_build_opts *o,
				    const void *model, size_t model_len,
				    const struct kube_build_watch *w, struct perr *e);
/* Non-zero once the context and the Job are made. */
int kube_build_started(const struct kube_build *b);
/* Never waits: starts a look at the Job, its pod and the builder's log
 * on ws (at most every 500 ms; its answers come in kube_watchset_step and
 * tell w->progress), and says what the looks so far found: 0 still
 * running, 1 pushed, -1 failed (e set). On 1 or -1 the deletions of the
 * context ConfigMaps are sent on ws. */
int kube_build_step(struct kube_build *b, struct kube_watchset *ws, long long now,
		    struct perr *e);
/* "podium-build-ID" (borrowed). */
const char *kube_build_job_name(const struct kube_build *b);
/* Frees b, cancelling a look in flight; a build still running goes on in
 * the cluster (its Job owns the context). Accepts NULL. */
void kube_build_free(struct kube_build *b);

/* A model server's /metrics, as the dashboard reads it (prom.c). */
#define KUBE_PROM_MAX_BUCKETS 32
enum { KUBE_PROM_HAS_REQUESTS = 1, KUBE_PROM_HAS_HISTOGRAM = 2 };
struct kube_prom_scrape {
	int found;          /* KUBE_PROM_HAS_* */
	double requests;    /* podium_requests_total of infer and v1_predict */
	double errors;      /* of those, answers that were not 2xx */
	int nbuckets;       /* podium_inference_duration_seconds_bucket */
	double le[KUBE_PROM_MAX_BUCKETS];    /* ascending; the last +Inf */
	double count[KUBE_PROM_MAX_BUCKETS]; /* cumulative */
	double hist_count, hist_sum;
};
/* Decode Prometheus text (version 0.0.4) from a model server. 0, or -1
 * with e set when it holds none of podium's series. */
int kube_prom_parse(const char *text, size_t len, struct kube_prom_scrape *out, struct perr *e);
/* What happened between two scrapes of one server into *out; a counter
 * that went down (a restart) counts from zero. Returns 1 on a reset. */
int kube_prom_delta(const struct kube_prom_scrape *prev, const struct kube_prom_scrape *cur,
		    struct kube_prom_scrape *out);
/* Add s into sum (several pods of one Deployment). */
void kube_prom_add(struct kube_prom_scrape *sum, const struct kube_prom_scrape *s);
/* Prometheus' histogram_quantile(q) over cumulative buckets (le ascending,
 * the last +Inf); NaN when there is no observation. */
double kube_prom_quantile(double q, const double *le, const double *count, int n);

/* One pod's usage from metrics.k8s.io (podmetrics.c). */
struct kube_pod_usage {
	char ns[64], name[256]; /* sanitised */
	double cpu_cores;       /* summed over containers */
	double mem_bytes;
	int has_cpu, has_mem;
};
/* Decode a PodMetricsList. *out (caller frees) holds *n pods. 0 / -1. */
int kube_podmetrics_parse(const char *body, size_t len, struct kube_pod_usage **out, size_t *n,
			  struct perr *e);

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
/* Unescape string tok into out, which has room for its raw length + 1
 * (d->t[tok].len + 1); "" when tok is not a string. Returns the length. */
size_t jtok_str_copy(const struct jtok_doc *d, int tok, char *out);
/* Non-zero when tok is a string equal to s. */
int jtok_str_eq(const struct jtok_doc *d, int tok, const char *s);
/* An integer number token into *out; 0 / -1. */
int jtok_int(const struct jtok_doc *d, int tok, long long *out);
/* The subtree at tok as a new jansson value (caller decrefs), NULL if none. */
struct json_t *jtok_to_json(const struct jtok_doc *d, int tok);
/* The same without any member named skip, at any depth. */
struct json_t *jtok_to_json_skip(const struct jtok_doc *d, int tok, const char *skip);

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
	kube_project_fn project;    /* one of project, project_json, or none;
				     * project_json's object lacks managedFields */
	kube_project_json_fn project_json;
	kube_project_free_fn project_free;
	void *project_ctx;
	kube_change_fn on_change;   /* optional */
	void *change_ctx;
	unsigned long long seed;    /* jitter; 0: from the clock */
	long backoff_initial_ms;    /* 0: 800 ms (client-go's) */
	long backoff_max_ms;        /* 0: 30 s */
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

/* Be told of every change from now on (fn NULL: no more). */
void kube_cache_set_on_change(struct kube_cache *c, kube_change_fn fn, void *ctx);
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
/* watchset.c: several caches on one curl multi handle, driven from the
 * caller's poll loop; nothing blocks. */
struct kube_watchset;
/* Borrows client (it must outlive the set). NULL if curl cannot start. */
struct kube_watchset *kube_watchset_new(struct kube_client *client);
/* Frees every cache in the set. Accepts NULL. */
void kube_watchset_free(struct kube_watchset *ws);
/* A new cache in the set (owned by the set; borrowed by the caller). */
struct kube_cache *kube_watchset_add(struct kube_watchset *ws, const struct kube_cache_spec *spec);
/* A cache of kind in ns (NULL: all namespaces) with a label selector (NULL:
 * none) whose items' proj is the kind's struct kube_obj (sanitised
 * columns). Owned by the set. */
struct kube_cache *kube_cache_new(struct kube_watchset *ws, const struct kube_kind *kind,
				  const char *ns, const char *selector);
/* The same with a field selector too (metadata.name=NAME). */
struct kube_cache *kube_cache_new_fields(struct kube_watchset *ws, const struct kube_kind *kind,
					 const char *ns, const char *selector,
					 const char *field_selector);
/* Stop and free one cache. */
void kube_watchset_remove(struct kube_watchset *ws, struct kube_cache *c);
/* Start due requests, move transfers on, hand finished ones to their
 * caches. Returns the number of transfers still running. */
int kube_watchset_step(struct kube_watchset *ws, long long now);
/* Milliseconds until kube_watchset_step has work (-1: none scheduled). */
long long kube_watchset_timeout(const struct kube_watchset *ws, long long now);
/* Wait on curl's sockets and the caller's extra descriptors (revents set)
 * for at most max_ms (-1: until curl or a cache needs a step). Returns
 * the number of ready descriptors, -1 on failure. */
int kube_watchset_poll(struct kube_watchset *ws, struct curl_waitfd *extra, unsigned n_extra,
		       int max_ms);
/* One-shot requests on the watch set's multi handle: the answer goes to
 * a callback from inside kube_watchset_step, so the caller's loop never
 * waits on the network. */
struct kube_answer {
	int ok;             /* a 2xx answer */
	long status;        /* HTTP status; 0 when none came */
	const char *body;   /* NUL-terminated (or NULL); borrowed for the call */
	size_t len;
	const char *error;  /* when !ok: the one-line error (kube_easy_check) */
	double ms;          /* from the start of the transfer to its end */
};
typedef void (*kube_answer_fn)(void *ud, const struct kube_answer *a);
/* Start x (takes ownership, also on failure) on the set's multi handle;
 * done(ud, answer) runs once when it ends, from kube_watchset_step. The
 * answer body is kept up to max_body bytes (0: KUBE_MAX_BODY; more fails
 * the request). Returns an id > 0 for kube_watchset_cancel. */
unsigned long long kube_watchset_send(struct kube_watchset *ws, struct kube_easy *x,
				      size_t max_body, kube_answer_fn done, void *ud);
/* Drop the request id (no callback); an id already done is ignored. */
void kube_watchset_cancel(struct kube_watchset *ws, unsigned long long id);
/* Drop every request whose callback data is ud (a view that closes). */
void kube_watchset_cancel_ud(struct kube_watchset *ws, const void *ud);
/* Requests sent and not yet answered. */
int kube_watchset_pending(const struct kube_watchset *ws);
/* Give x a body (copied) with its Content-Type (NULL: application/json). */
void kube_easy_body(struct kube_easy *x, const char *content_type, const char *body, size_t len);
/* A transfer for METHOD path?query with an optional body (NULL: none),
 * sent on ws: kube_easy_new then kube_watchset_send. 0 (the id in *id
 * when id is not NULL), or -1 with e set and no callback. */
int kube_watchset_request(struct kube_watchset *ws, struct kube_client *c, const char *method,
			  const char *path, const char *query, const char *content_type,
			  const char *body, size_t body_len, kube_answer_fn done, void *ud,
			  unsigned long long *id, struct perr *e);
/* The API server's latency: the time to first byte of the last LIST or
 * one-shot request answered on ws, in ms (-1: none yet); *at (may be
 * NULL) the now_ms() it came at. */
double kube_watchset_latency(const struct kube_watchset *ws, long long *at);
/* The client the set's requests are made with (borrowed). */
struct kube_client *kube_watchset_client(const struct kube_watchset *ws);
/* Drive ws until no request sent on it is pending (the watches of its
 * caches move on too): a blocking loop for headless callers. */
void kube_watchset_drain(struct kube_watchset *ws);
/* gather.c: n calls sent at once on ws (with client c; NULL: the set's);
 * done(ud, answers, n) runs once, from kube_watchset_step, when the last
 * has answered, the answers in the order of calls (borrowed for the
 * call); then the gather is freed. NULL with e when one cannot be sent
 * (none is left out). */
struct kube_gather;
typedef void (*kube_gather_fn)(void *ud, const struct kube_answer *answers, size_t n);
struct kube_gather *kube_gather_send(struct kube_watchset *ws, struct kube_client *c,
				     const struct kube_call *calls, size_t n, kube_gather_fn done,
				     void *ud, struct perr *e);
/* Cancel g's requests still out and free it, no callback; while ws lives
 * and before done ran. Accepts NULL. */
void kube_gather_cancel(struct kube_gather *g);
/* kube_describe in two halves, for callers that send the requests
 * themselves: from the object's GET answer, the requests its text needs
 * (a Deployment's ReplicaSets, the events...; at most
 * KUBE_DESCRIBE_MAX_CALLS, *n set; free each with kube_call_free), 0 / -1
 * with e when the answer is not an object; then the text from the object
 * and their answers in the same order (a refused one leaves its section
 * out as kubectl does). Caller frees; NULL with e. */
#define KUBE_DESCRIBE_MAX_CALLS 4
int kube_describe_calls(const struct kube_kind *k, const char *name, const char *obj, size_t len,
			struct kube_call *calls, size_t *n, struct perr *e);
char *kube_describe_text(const struct kube_kind *k, const char *name, const char *obj, size_t len,
			 const struct kube_answer *answers, size_t n, long long now, struct perr *e);
/* rollout.c: Deployment rollouts as kubectl does them. The pure parts take
 * jansson values so recorded objects test them. */
/* kubectl's DeploymentStatusViewer: *msg (caller frees, no newline) is the
 * line kubectl prints; 1 when rolled out, 0 when still waiting, -1 on an
 * error (progress deadline exceeded, revision mismatch) in e. revision 0:
 * any. */
int kube_rollout_status(const struct json_t *deploy, long revision, char **msg, struct perr *e);
/* One revision of a Deployment: a ReplicaSet it controls. */
struct kube_revision {
	long revision;
	char *rs_name;
	char *change_cause;   /* kubernetes.io/change-cause, NULL if none */
	struct json_t *rs;    /* the ReplicaSet (a reference) */
};
/* The revisions of deploy among rs_list's items (controlled by its uid),
 * ascending. *out: free with kube_revisions_free. */
size_t kube_rollout_revisions(const struct json_t *deploy, const struct json_t *rs_list,
			      struct kube_revision **out);
void kube_revisions_free(struct kube_revision *v, size_t n);
/* kubectl's REVISION / CHANGE-CAUSE table, or "No rollout history found."
 * (with a newline). Caller frees. */
char *kube_rollout_history_table(const struct kube_revision *v, size_t n);
/* The JSON patch kubectl's rollback sends to go to to_revision (0: the
 * previous one), in *patch (caller frees); *chosen is the revision. 0 with
 * a patch; 1 when the template already matches (skipped, no patch); -1 on
 * an error ("unable to find specified revision N in history", paused). */
int kube_rollout_undo_patch(const struct json_t *deploy, const struct kube_revision *v,
			    size_t n, long to_revision, char **patch, long *chosen,
			    struct perr *e);
/* The strategic merge patch of `rollout restart` at unix_secs. Caller frees. */
char *kube_rollout_restart_patch(long long unix_secs);
/* GET the Deployment ns/name (caller decrefs), NULL with e set. */
struct json_t *kube_rollout_get(struct kube_client *c, const char *ns, const char *name,
				struct perr *e);
/* The ReplicaSets matching deploy's selector (caller decrefs), NULL with e. */
struct json_t *kube_rollout_replicasets(struct kube_client *c, const struct json_t *deploy,
					struct perr *e);
/* The GET kube_rollout_replicasets sends: the ReplicaSets of the
 * Deployment's namespace matching its selector. Free m with kube_call_free. */
void kube_replicasets_call(const struct json_t *deploy, struct kube_call *m);
/* The PATCH of kubectl rollout undo: patch (a JSON patch from
 * kube_rollout_undo_patch; m takes it) on Deployment ns/name. */
void kube_undo_call(const char *ns, const char *name, char *patch, struct kube_call *m);
/* PATCH the Deployment with content_type (application/json-patch+json,
 * application/strategic-merge-patch+json, ...). A strategic merge patch
 * refused with 415 is sent again as a JSON merge patch: only for patches
 * without lists (restart, pause, resume), where both mean the same. 0 / -1. */
int kube_rollout_patch(struct kube_client *c, const char *ns, const char *name,
		       const char *content_type, const char *patch, struct perr *e);
/* logs.c: pod logs; a dropped stream resumes where it stopped. */
struct kube_logs_opts {
	const char *container;   /* NULL: the server's default */
	int follow;
	long tail;               /* -1: all lines */
	long long since_seconds; /* 0: none */
	const char *since_time;  /* RFC 3339, NULL: none */
	int timestamps;          /* the caller wants them shown */
	int previous;
	long long limit_bytes;   /* 0: no limit (counted on what is shown) */
};
/* One line (with its newline when it had one; not sanitised) or, when
 * marker is set, Podium's own note that the stream was resumed. */
typedef void (*kube_log_line_fn)(void *ctx, const char *line, size_t n, int marker);
/* The line logic of a log stream (exposed for tests). */
struct kube_logbuf {
	struct dbuf line;
	int partial, keep_timestamps, done;
	long long limit, delivered;
	int have_last;
	long long last_sec;
	long last_nsec, same;      /* lines seen with exactly the last stamp */
	int skipping;              /* after a resume: skip what was shown */
	long long skip_sec;
	long skip_nsec, skip_same;
	kube_log_line_fn fn;
	void *ctx;
};
void kube_logbuf_init(struct kube_logbuf *b, int keep_timestamps, long long limit_bytes,
		      kube_log_line_fn fn, void *ctx);
void kube_logbuf_free(struct kube_logbuf *b);
/* Bytes of a (timestamped) log stream. */
void kube_logbuf_feed(struct kube_logbuf *b, const char *data, size_t n);
/* The stream ended: a last line without a newline is handed over. */
void kube_logbuf_finish(struct kube_logbuf *b);
/* The stream was cut: drop a partial line, skip what was shown next time. */
void kube_logbuf_resume(struct kube_logbuf *b);
/* The query of a log request (caller frees); resume: continue after b. */
char *kube_logs_query(const struct kube_logs_opts *o, const struct kube_logbuf *b, int resume);
/* Parse the RFC 3339 timestamp at s (n bytes): seconds, nanoseconds and its
 * length. 0 / -1. */
int kube_log_timestamp(const char *s, size_t n, long long *sec, long *nsec, size_t *len);
struct kube_logstream;
/* Start streaming the logs of ns/pod to fn (c borrowed; must outlive it).
 * NULL with e set. */
struct kube_logstream *kube_logstream_new(struct kube_client *c, const char *ns, const char *pod,
					  const struct kube_logs_opts *o, kube_log_line_fn fn,
					  void *ctx, struct perr *e);
void kube_logstream_free(struct kube_logstream *ls);
/* Move the stream on: 1 running, 0 finished, -1 failed (kube_logstream_error). */
int kube_logstream_step(struct kube_logstream *ls, long long now);
/* Wait for the stream's socket or extra descriptors, at most max_ms. */
int kube_logstream_poll(struct kube_logstream *ls, struct curl_waitfd *extra, unsigned n_extra,
			int max_ms);
const char *kube_logstream_error(const struct kube_logstream *ls);
/* The label selector of a Deployment as a query value. Caller frees. */
char *kube_rollout_selector(const struct json_t *deploy);
/* ---- end list/watch cache ---- */

/* ---- operations on one object (op.c): plain strings for tui/ ---- */
/* The object as YAML from the body of a GET of it (sent by the caller,
 * e.g. on a watch set). for_edit drops what an apply may not carry
 * (managedFields, resourceVersion, uid, status...). Caller frees; NULL
 * with e. */
char *kube_op_yaml_answer(const char *body, size_t len, int for_edit, struct perr *e);
/* kubectl rollout restart of a Deployment. 0 / -1. */
int kube_op_restart(struct kube_client *c, const char *ns, const char *name, struct perr *e);
/* A Deployment revision for a picker: sanitised strings. */
struct kube_rev_info {
	long revision;
	char *rs_name;
	char *image;
	char *change_cause; /* "" when none */
};
/* Undo in the answers of its requests, sent by the caller: the GET of the
 * Deployment (dep), then the call this gives for its ReplicaSets (rsl).
 * 0 / -1 with e when dep is not a Deployment's JSON. */
int kube_op_history_call(const char *dep, size_t len, struct kube_call *m, struct perr *e);
/* The revisions in those answers, newest first; *out freed with
 * kube_rev_info_free. Returns the count (0 with e set on failure). */
size_t kube_op_revisions(const char *dep, size_t dlen, const char *rsl, size_t rlen,
			 struct kube_rev_info **out, struct perr *e);
void kube_rev_info_free(struct kube_rev_info *v, size_t n);
/* kubectl rollout undo --to-revision (0: the previous) of Deployment
 * ns/name from the same answers: *chosen the revision; 0 with the PATCH in
 * *m (free with kube_call_free), 1 skipped (already that template), -1
 * error. */
int kube_op_undo(const char *ns, const char *name, const char *dep, size_t dlen, const char *rsl,
		 size_t rlen, long to_revision, long *chosen, struct kube_call *m, struct perr *e);
/* A pod's log (tail < 0: all), sanitised, newlines kept. Caller frees. */
char *kube_op_logs(struct kube_client *c, const char *ns, const char *pod,
		   const char *container, long tail, int timestamps, struct perr *e);
/* The server-side apply (fieldManager=podium, force) of edited YAML
 * holding one object, checked first as apply checks manifests: 0 with the
 * PATCH in *m (free with kube_call_free), -1 with e. */
int kube_op_apply_call(const char *ns, const char *yaml, struct kube_call *m, struct perr *e);

/* ---- live predictions and gated model rollouts (live.c, canary.c) ---- */

/* Where and how live.c sends images: each target is a proxy base path
 * (".../services/NAME:PORT/proxy" or ".../pods/NAME:PORT/proxy"), used
 * in turn; the images are UINT8 [N,H,W] as the model server takes them. */
struct kube_live_opts {
	const char *const *targets; /* borrowed */
	int ntargets;
	const char *model;          /* the served model's name in URLs */
	int h, w, nclass;
	int batch;                  /* images per request; 0: 64 */
	int concurrency;            /* requests in flight; 0: 4 */
	void (*progress)(int done, int total, void *ud); /* may be NULL */
	void *ud;
};
/* One error the pods or the proxy gave, and how many requests got it. */
struct kube_live_error {
	char *msg; /* sanitised */
	int count;
};
struct kube_live_result {
	int n, nclass;
	float *probs;            /* [n][nclass]; zero rows where unanswered */
	unsigned char *answered; /* [n] */
	int nanswered;
	double *latency_ms;      /* of each answered request */
	int nlat;
	int requests, failed, failed_images;
	struct kube_live_error *errors;
	int nerrors;
};
/* Send n images (pix [n][h][w], borrowed) through the targets, batched,
 * concurrency requests at a time. 0 when every request was made (failed
 * answers are counted in r, not an error); -1 with e when requests could
 * not be made. Free r with kube_live_result_free in both cases. */
int kube_live_infer(struct kube_client *c, const struct kube_live_opts *o,
		    const unsigned char *pix, int n, struct kube_live_result *r, struct perr *e);
void kube_live_result_free(struct kube_live_result *r);
/* The same without waiting: the requests go out on ws (its client), at
 * most o->concurrency in flight, and move on from kube_watchset_step
 * (o->progress called there). o is copied; pix is borrowed and must
 * outlive l. NULL with e when there is nothing to send to. */
struct kube_live;
struct kube_live *kube_live_start(struct kube_watchset *ws, const struct kube_live_opts *o,
				  const unsigned char *pix, int n, struct perr *e);
/* 1 when every request has been answered or has failed (or no more
 * could be made: kube_live_error). */
int kube_live_finished(const struct kube_live *l);
/* Images sent so far. */
int kube_live_sent(const struct kube_live *l);
/* The answers so far (borrowed until kube_live_take or kube_live_free). */
const struct kube_live_result *kube_live_result_of(const struct kube_live *l);
/* Why requests could not be made, or NULL. */
const char *kube_live_error(const struct kube_live *l);
/* Move the result into *r (caller frees with kube_live_result_free). */
void kube_live_take(struct kube_live *l, struct kube_live_result *r);
/* Cancels the requests still in flight (no callback after). NULL ok. */
void kube_live_free(struct kube_live *l);
/* The v2 infer body for n UINT8 images of h x w. Caller frees. */
char *kube_live_body(const unsigned char *pix, int n, int h, int w);
/* The "probabilities" output of a v2 answer for n images into probs
 * [n][nclass]. 0 / -1 with e naming what is wrong. */
int kube_live_parse(const char *body, size_t len, int n, int nclass, float *probs,
		    struct perr *e);
/* The p-th percentile (nearest rank) of v[0..n); 0 when n is 0. */
double kube_live_percentile(const double *v, int n, double p);

/* A model Deployment as a rollout sees it (canary.c). */
struct kube_canary_info {
	int exists;
	char image[512];
	char model[128];  /* podium.dev/model label */
	char sha256[65];  /* podium.dev/model-sha256 annotation */
	int port;         /* first container port; 8080 when none */
	int replicas, ready;
	/* its selector is podium deploy's (app.kubernetes.io/name=NAME,
	 * podium.dev/track=stable), so an apply can move it */
	int podium_selector;
	char selector[256]; /* "k=v,..." as it is, for messages */
};
/* From a Deployment object (NULL: absent). */
void kube_canary_info_from(const struct json_t *d, struct kube_canary_info *out);
/* The answer to a GET of Deployment name (status, ok: 2xx, body, the
 * request's error) as kube_canary_info reads it: 0 (a 404 is exists 0),
 * -1 with e. */
int kube_canary_info_answer(const char *name, long status, int ok, const char *body, size_t len,
			    const char *error, struct kube_canary_info *out, struct perr *e);
/* The path of Deployment ns/name. Caller frees. */
char *kube_canary_path(const char *ns, const char *name);
/* GET Deployment ns/name: 0 (out->exists 0 when it is not there), -1 with e. */
int kube_canary_info(struct kube_client *c, const char *ns, const char *name,
		     struct kube_canary_info *out, struct perr *e);
/* The answer to a GET of a Deployment as a rollout waits on it: *info
 * filled, *msg (caller frees) kubectl's rollout status line; 1 rolled
 * out, 0 still waiting, -1 with e (deadline exceeded, not JSON). */
int kube_canary_status(const char *body, size_t len, struct kube_canary_info *info, char **msg,
		       struct perr *e);
/* From a Deployment's answer, the query listing its pods
 * ("labelSelector=..."; caller frees). NULL with e. */
char *kube_canary_pods_query(const char *body, size_t len, struct perr *e);
/* From a pod list's answer, the proxy base paths of its ready pods on
 * port (*n of them; free with kube_canary_targets_free). */
char **kube_canary_pod_targets(const char *body, size_t len, const char *ns, int port, int *n);
void kube_canary_targets_free(char **t, int n);
/* The body of a DELETE whose object goes once its dependents have. */
#define KUBE_DELETE_FOREGROUND \
	"{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"propagationPolicy\":\"Foreground\"}"

/* ---- end live predictions and gated model rollouts ---- */

#endif
