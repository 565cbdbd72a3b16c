/*
 * sim.h - the embedded simulated cluster: an API server on loopback that
 * real clients accept (kubectl, Podium), the object store behind it, and the
 * controllers, scheduler, kubelet and registry that make it behave like a
 * real cluster. Objects are jansson json_t documents in the API's own shape.
 *
 * Threading: the HTTP server serves each connection on its own thread; the
 * store has one mutex (sim_lock/sim_unlock). Controllers run on one thread
 * of their own and take the lock for each step. Watchers read from a
 * bounded per-watcher queue; a watcher that falls too far behind is closed,
 * as the real watch cache closes a slow watcher.
 */
#ifndef PODIUM_SIM_H
#define PODIUM_SIM_H

#include <jansson.h>
#include <stddef.h>

#include "kube/base.h"

struct sim;

/* ---- kinds ------------------------------------------------------------ */

/* One served resource. Adding a kind is one entry in sim_kinds[]. */
struct sim_kind {
	const char *group;   /* "" for core */
	const char *version; /* "v1", "v1beta1" */
	const char *kind;    /* "Pod" */
	const char *plural;  /* "pods" */
	const char *singular;
	const char *short_names; /* comma separated: "po" */
	int namespaced;
	const char *verbs;       /* comma separated, as discovery lists them */
	const char *categories;  /* "all" or NULL */
	int has_status;          /* has a status subresource */
	int has_scale;           /* has a scale subresource */
	const char *storage_hash; /* storageVersionHash in discovery, or NULL */
	int has_generation;      /* metadata.generation tracks spec changes */
	const char *extra_sub;   /* other subresources discovery lists:
				    "log,proxy" (comma separated) or NULL */
};

extern const struct sim_kind sim_kinds[]; /* terminated by kind == NULL */
const struct sim_kind *sim_kind_find(const char *group, const char *plural);
const struct sim_kind *sim_kind_by_kind(const char *group, const char *kind);
/* "apps/v1" or "v1" */
const char *sim_kind_api_version(const struct sim_kind *k, char *buf, size_t n);
/* "deployments.apps" or "pods": how messages name the resource. */
const char *sim_kind_resource(const struct sim_kind *k, char *buf, size_t n);

/* ---- Status errors ---------------------------------------------------- */

/* An API error as the real server words it: HTTP code, reason, message,
 * and optional details (kind, name, group, causes). */
struct sim_status {
	int code;           /* 0: no error */
	char reason[64];    /* NotFound, AlreadyExists, Conflict, Invalid, ... */
	char message[1024];
	json_t *details;    /* owned; NULL when none */
};

void sim_status_set(struct sim_status *st, int code, const char *reason,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void sim_status_clear(struct sim_status *st);
/* The Status object for st (new reference). */
json_t *sim_status_json(const struct sim_status *st);
/* 404 in the real server's words: `deployments.apps "x" not found`. */
void sim_status_not_found(struct sim_status *st, const struct sim_kind *k,
			  const char *name);
/* The details the real server attaches about one object: {"name","group",
 * "kind": plural} (group left out for core). New reference. */
json_t *sim_status_details(const struct sim_kind *k, const char *name);
/* 409 `deployments.apps "x" already exists`. */
void sim_status_already_exists(struct sim_status *st, const struct sim_kind *k,
			       const char *name);
/* 409 Conflict on a stale resourceVersion, in the real server's words. */
void sim_status_conflict(struct sim_status *st, const struct sim_kind *k,
			 const char *name);
/* 410 Expired: `too old resource version: RV (OLDEST)`. */
void sim_status_expired(struct sim_status *st, unsigned long long rv,
			unsigned long long oldest);
/* 400 BadRequest with the message as given. */
void sim_status_bad_request(struct sim_status *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The Success Status a delete returns: {"status":"Success","details":...}.
 * Takes ownership of details (may be NULL). New reference. */
json_t *sim_status_success_json(json_t *details);

/* ---- the store ---------------------------------------------------------- */

/* Every mutation bumps one global resourceVersion, stamps it on the object
 * and appends a watch event (ADDED/MODIFIED/DELETED) to a bounded history
 * from which watches replay. Objects handed out are borrowed while the lock
 * is held; callers that keep them take json_deep_copy.
 *
 * Stored objects are immutable: the watch history and the server's
 * responses share them by reference. To change one, json_deep_copy it,
 * change the copy and hand the copy to sim_store_update. */
void sim_lock(struct sim *s);
void sim_unlock(struct sim *s);

/* Borrowed; NULL when absent. ns is ignored for cluster-scoped kinds. */
json_t *sim_store_get(struct sim *s, const struct sim_kind *k, const char *ns,
		      const char *name);
/* Calls fn for each object of kind k in ns (NULL: all namespaces), in
 * namespace/name order. fn returns non-zero to stop. */
void sim_store_each(struct sim *s, const struct sim_kind *k, const char *ns,
		    int (*fn)(json_t *obj, void *ud), void *ud);
size_t sim_store_count(struct sim *s, const struct sim_kind *k, const char *ns);

/* Create: fills metadata (uid, creationTimestamp, resourceVersion,
 * generation, generateName) and the defaults the real server applies;
 * validates names and fields. Takes ownership of obj; *out borrowed. */
int sim_store_create(struct sim *s, const struct sim_kind *k, const char *ns,
		     json_t *obj, json_t **out, struct sim_status *st);
/* Replace: 409 Conflict when obj carries a resourceVersion that is not the
 * current one; bumps generation when spec changed. Takes ownership. */
int sim_store_update(struct sim *s, const struct sim_kind *k, const char *ns,
		     json_t *obj, json_t **out, struct sim_status *st);
/* Delete now (no grace, no propagation): emits DELETED. */
int sim_store_remove(struct sim *s, const struct sim_kind *k, const char *ns,
		     const char *name, struct sim_status *st);
/* The API's delete: graceful for pods (deletionTimestamp set; the kubelet
 * removes them), propagation (Background, Foreground, Orphan) through
 * ownerReferences. *out is a new reference to what the API returns. */
int sim_store_delete(struct sim *s, const struct sim_kind *k, const char *ns,
		     const char *name, const char *propagation,
		     json_t **out, struct sim_status *st);

/* The current resourceVersion (a counter; rendered as a decimal string). */
unsigned long long sim_store_rv(struct sim *s);
/* sim_store_delete with a grace period in seconds for pods (-1: the pod's
 * terminationGracePeriodSeconds; 0: remove now), as DeleteOptions give. */
int sim_store_delete_grace(struct sim *s, const struct sim_kind *k,
			   const char *ns, const char *name,
			   const char *propagation, long long grace,
			   json_t **out, struct sim_status *st);

/* ---- the cluster -------------------------------------------------------- */

struct sim_opts {
	double speed;      /* simulated seconds per real second; 1 realistic */
	int seed_pods;     /* seed this many pods (over namespaces/deployments) */
	const char *faults;/* initial fault spec, as `podium sim fault` takes */
	unsigned seed;     /* random seed for names and churn */
	int demo;          /* seed the demo objects the dashboard shows */
	const void *demo_model; /* with demo: a model file the demo's model
				   deployment serves (image SIM_DEMO_MODEL_IMAGE) */
	size_t demo_model_len;
	const char *demo_model_sha256; /* its label value, or NULL */
	size_t history;    /* watch events kept for resuming; 0: 4096 */
	long long seed_age_ms; /* what is seeded was made this long ago */
};

/* Make a cluster with its default namespaces and nodes; NULL on error. */
struct sim *sim_new(const struct sim_opts *o, struct perr *e);
void sim_free(struct sim *s);
/* Simulated time in milliseconds since the cluster started (scaled). */
long long sim_now(struct sim *s);
/* The simulated wall clock: the real time the cluster started plus
 * sim_now, in Unix milliseconds, and as RFC 3339 ("2026-11-28T11:32:09Z",
 * buf of at least 32 bytes) for timestamps in objects. */
long long sim_wall_ms(struct sim *s);
const char *sim_rfc3339(struct sim *s, char *buf, size_t n);
/* A random number from the cluster's seeded generator; lock held. */
unsigned long long sim_rand(struct sim *s);
/* Start the controller thread. */
int sim_start_controllers(struct sim *s, struct perr *e);

/* ---- controllers (world.c, controllers.c, deployment.c, replicaset.c,
 * job.c, endpoints.c, scheduler.c, kubelet.c, podlog.c, events.c,
 * registry.c, seed.c, metrics.c) ---------------------------------------- */

/* Everything the controllers, scheduler, kubelet and registry keep beside
 * the store (container states, logs, images, churn). Opaque; sim_new makes
 * it after the store, sim_free frees it. */
struct sim_world;
struct sim_world *sim_world_new(struct sim *s, const struct sim_opts *o);
void sim_world_free(struct sim_world *w);
/* The world of a cluster (borrowed). */
struct sim_world *sim_world(struct sim *s);
/* Default namespaces and nodes, and what o asks for: seed_pods pods over
 * several namespaces and deployments, the demo objects. Lock held. */
int sim_seed(struct sim *s, const struct sim_opts *o, struct perr *e);
/* metrics.k8s.io/v1beta1 PodMetricsList (ns NULL: all) and
 * NodeMetricsList, as metrics-server serves them. New references. */
json_t *sim_metrics_pods(struct sim *s, const char *ns);
json_t *sim_metrics_nodes(struct sim *s);

/* One pass of every controller; called with the lock held, on the
 * controller thread (or by tests directly, with a fixed clock). */
void sim_controllers_step(struct sim *s);

/* Pod logs for container (NULL: the only or first one); previous: the
 * last terminated instance. New string (caller frees) or NULL with st set. */
char *sim_pod_logs(struct sim *s, const char *ns, const char *pod,
		   const char *container, int previous, struct sim_status *st);

/* The simulated registry: image references the kubelet can pull, each
 * optionally holding a model file (a model-server image). */
int sim_registry_has(struct sim *s, const char *image);
int sim_registry_put(struct sim *s, const char *image, const void *model,
		     size_t model_len);
/* Borrowed model bytes of an image, or NULL. */
const void *sim_registry_model(struct sim *s, const char *image,
			       size_t *len);

/* An event in the real components' words: reason, message, type (Normal,
 * Warning), from component, about the object involved. */
void sim_event(struct sim *s, json_t *involved, const char *type,
	       const char *reason, const char *component, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* ---- controllers' shared parts (world.c, registry.c, deployment.c,
 * events.c, podlog.c); used across kube/sim and by its tests ---------- */

/* Podium's runtime image: the image `podium build` bases model servers on
 * and the registry holds from the start. */
#define SIM_RUNTIME_IMAGE "ghcr.io/podium/runtime:0.1.0"
/* The image the demo's model deployment runs when given a model. */
#define SIM_DEMO_MODEL_IMAGE "registry.local/models/fashion-mnist:1"

/* Docker's normalisation: "nginx" -> "docker.io/library/nginx:latest".
 * Caller frees; NULL for a reference that is not one. */
char *sim_image_normalize(const char *ref);

/* The registry itself (the sim_registry_* calls above go through the
 * world's). _add copies model; _lookup returns the image ID (borrowed) or
 * NULL when the registry lacks the image, and the model bytes (borrowed). */
struct sim_registry;
struct sim_registry *sim_registry_new(void);
void sim_registry_free(struct sim_registry *r);
int sim_registry_add(struct sim_registry *r, const char *image,
		     const void *model, size_t model_len);
const char *sim_registry_lookup(struct sim_registry *r, const char *image,
				const void **model, size_t *model_len);
/* The world's registry (borrowed). */
struct sim_registry *sim_world_registry(struct sim_world *w);

/* pod-template-hash as the deployment controller computes it: FNV-32a of
 * the template (here its canonical JSON), then the collision count when
 * >= 0, rendered with SafeEncodeString. out holds at least 16 bytes. */
void sim_template_hash(const json_t *tmpl, int collision_count, char *out);
/* k8s.io/apimachinery rand.SafeEncodeString: each byte mapped into
 * "bcdfghjklmnpqrstvwxz2456789". out holds strlen(s) + 1 bytes. */
void sim_safe_encode(const char *s, char *out);
/* An IntOrString (int, or "25%") scaled against total, rounding up or
 * down as intstr.GetScaledValueFromIntOrPercent; def when v is absent. */
int sim_intstr_scaled(const json_t *v, int total, int round_up, int def);
/* deploymentutil.ResolveFenceposts: maxSurge rounded up, maxUnavailable
 * down, and unavailable 1 when both come to 0. */
void sim_fenceposts(const json_t *max_surge, const json_t *max_unavailable,
		    int desired, int *surge, int *unavailable);

/* sim_wall_ms; and a wall time (ms) as RFC 3339 ("2026-11-28T11:32:03Z"). */
long long sim_world_wall_ms(struct sim *s);
void sim_world_time_str(struct sim *s, long long wall_ms, char out[32]);

/* An event with the object's container (field_path, e.g.
 * "spec.containers{nginx}", or NULL) and the reporting host (or NULL). */
void sim_event_at(struct sim *s, json_t *involved, const char *field_path,
		  const char *host, const char *type, const char *reason,
		  const char *component, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));

/* Pod log lines of a container (NULL: the first), oldest first, each with
 * its simulated wall time in ms; previous: the last terminated instance.
 * -1 with st set (404 pod, 400 container or previous, as the real API). */
int sim_pod_log_lines(struct sim *s, const char *ns, const char *pod,
		      const char *container, int previous,
		      void (*fn)(long long ts_ms, const char *line, void *ud),
		      void *ud, struct sim_status *st);
/* A sequence number of the container's log: the lines its current
 * instance has written so far, with the restart count in the bits above
 * 32, so it changes whenever there is something new to read. A follower
 * polls it. -1 when the pod or container is unknown or has not started. */
long long sim_pod_log_seq(struct sim *s, const char *ns, const char *pod,
			  const char *container);

/* The controllers sim_controllers_step runs, one file each. Lock held. */
void sim_deployment_sync(struct sim *s);
void sim_replicaset_sync(struct sim *s);
void sim_job_sync(struct sim *s);
void sim_kubelet_sync(struct sim *s);
void sim_endpoints_sync(struct sim *s);

/* ---- schema (schema.c): the types of the kinds served, one table behind
 * the OpenAPI documents, strategic merge patch and server-side apply ---- */

/* One field of a type. type is a primitive ("string", "integer", "int64",
 * "boolean", "number", "byte", "object" for free-form) or the full name of
 * another type ("io.k8s.api.core.v1.Container"). */
struct sim_field {
	const char *name;
	const char *type;
	char shape;            /* 0: one value, 'a': list of, 'm': map of */
	const char *strategy;  /* x-kubernetes-patch-strategy, or NULL */
	const char *merge_key; /* x-kubernetes-patch-merge-key, or NULL */
	const char *list_keys; /* apply's list-map keys when not merge_key
				  alone: "containerPort,protocol" */
	const char *desc;
};

struct sim_type {
	const char *name;   /* "io.k8s.api.apps.v1.Deployment" */
	const char *desc;
	const struct sim_field *fields; /* NULL-terminated; NULL: free-form */
	const char *group, *version, *kind; /* top-level kinds only */
	int closed; /* fields lists every field of the 1.20 type: others
		       are unknown to strict field validation */
};

extern const struct sim_type sim_schema_types[]; /* name == NULL ends */
/* Borrowed; NULL when unknown. */
const struct sim_type *sim_schema_type(const char *name);
const struct sim_type *sim_schema_root(const char *group, const char *kind);
const struct sim_field *sim_schema_field(const struct sim_type *t,
					 const char *name);

/* ---- pure JSON helpers (patch.c, selector.c, table.c, openapi.c) ------ */

/* RFC 7386 merge patch. New reference. */
json_t *sim_merge_patch(const json_t *target, const json_t *patch);
/* RFC 6902 JSON patch; NULL with st set on a failed op. */
json_t *sim_json_patch(const json_t *target, const json_t *ops,
		       struct sim_status *st);
/* Strategic merge patch as kubectl sends it for the kinds served: lists of
 * containers, env, ports, volumes... merged by their key; $patch: delete /
 * replace; $retainKeys; $setElementOrder. */
json_t *sim_strategic_merge_patch(const struct sim_kind *k,
				  const json_t *target, const json_t *patch,
				  struct sim_status *st);
/* Server-side apply: merge cfg into live (may be NULL: create) owned by
 * manager; managedFields updated; 409 Conflict naming fields and owners
 * unless force. New reference. */
json_t *sim_apply(const struct sim_kind *k, const json_t *live,
		  const json_t *cfg, const char *manager, int force,
		  const char *now_rfc3339, struct sim_status *st);

/* A YAML body (one document; later ones ignored) as JSON, typed as
 * Kubernetes' YAML decoder types it: unquoted ints, floats, bools and null
 * resolved, quoted strings kept. NULL with a 400 in st. New reference. */
json_t *sim_yaml_to_json(const char *text, size_t n, struct sim_status *st);

/* managedFields after a write that is not an apply (create, update, merge,
 * JSON or strategic patch) by manager (the fieldManager parameter, or
 * the user agent's program name as the real server defaults it): an
 * Update entry owning what the write added or changed, taken from the
 * other managers; removed fields leave every set. obj (the object about
 * to be stored) gets metadata.managedFields; old is NULL on create. */
void sim_managed_update(const struct sim_kind *k, const json_t *old,
			json_t *obj, const char *manager,
			const char *now_rfc3339);

/* Label selectors (=, ==, !=, in, notin, exists, !key) and field
 * selectors. NULL/"" matches everything. */
struct sim_selector;
struct sim_selector *sim_label_selector_parse(const char *s,
					      struct sim_status *st);
struct sim_selector *sim_field_selector_parse(const struct sim_kind *k,
					      const char *s,
					      struct sim_status *st);
int sim_selector_match(const struct sim_selector *sel, const json_t *obj);
void sim_selector_free(struct sim_selector *sel);

/* The meta.k8s.io/v1 Table kubectl asks for (Accept: ...;as=Table), with
 * the columns the real server prints for each kind. New reference.
 * include_object is the includeObject parameter: rows carry the object as
 * null (None), PartialObjectMetadata (Metadata, kubectl's default) or the
 * whole object. metadata is {}: the caller adds resourceVersion and
 * continue as for a list. */
enum { SIM_TABLE_NONE, SIM_TABLE_METADATA, SIM_TABLE_OBJECT };
json_t *sim_table(const struct sim_kind *k, json_t *items, int include_object,
		  long long now_unix);
/* OpenAPI documents: /openapi/v2, /openapi/v3, /openapi/v3/<gv path>. */
json_t *sim_openapi_v2(void);
json_t *sim_openapi_v3_index(void);
json_t *sim_openapi_v3(const char *group_version_path); /* "api/v1", "apis/apps/v1" */
/* The v2 document as gnostic's openapi.v2.Document protobuf (openapi_pb.c),
 * served when Accept asks for SIM_OPENAPI_V2_PB first: *out caller frees. */
#define SIM_OPENAPI_V2_PB "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
void sim_openapi_v2_pb(const json_t *doc, char **out, size_t *len);
int sim_openapi_pb_wanted(const char *accept);

/* Strict field validation (fieldValidation=Strict or Warn, which kubectl
 * 1.32 sends because the OpenAPI documents advertise it): appends to
 * unknown one string per field obj has that its type does not declare,
 * as the real decoder words them: `unknown field "spec.replica"`. Only
 * types the schema table lists completely are checked. Returns the
 * number appended. The server answers Strict with a 400 `<Kind> in
 * version "<v>" cannot be handled as a <Kind>: strict decoding error:
 * <the strings joined by ", ">` and Warn with a Warning header each. */
int sim_unknown_fields(const struct sim_kind *k, const json_t *obj,
		       json_t *unknown);

/* Validation as the real API server words it (Invalid, with causes). */
int sim_validate(const struct sim_kind *k, const json_t *obj,
		 const json_t *old, struct sim_status *st);

/* ---- the server -------------------------------------------------------- */

struct sim_server_opts {
	const char *listen;        /* "127.0.0.1:0" */
	int tls;
	const char *token;         /* bearer token, or NULL for none */
	const char *token_file;    /* or the token this file holds when a
				    * request comes (tests rotate it); an
				    * absolute path */
	const char *kubeconfig_out;/* write a kubeconfig here (0600) */
	int client_cert;           /* also issue a client certificate */
};

struct sim_server;
struct sim_server *sim_server_start(struct sim *s,
				    const struct sim_server_opts *o,
				    struct perr *e);
int sim_server_port(const struct sim_server *srv);
/* The URL clients use, e.g. https://127.0.0.1:34567. Borrowed. */
const char *sim_server_url(const struct sim_server *srv);
void sim_server_stop(struct sim_server *srv);

/* Faults (`podium sim fault`): drop-watches, expire-watches, errors=RATE,
 * throttle=SECONDS, latency=MS, stall=SECONDS, clear. Several separated by
 * commas. 0 / -1 with e set. */
int sim_faults_apply(struct sim *s, const char *spec, struct perr *e);
/* The client side: POST spec to the cluster the kubeconfig's current
 * context names (its /sim/v1/faults), with its credentials. 0 / -1. */
int sim_fault_remote(const char *kubeconfig, const char *spec, struct perr *e);

#endif
