/*
 * sim_impl.h - what the store, the cluster and the HTTP server of kube/sim
 * share and nobody else needs: the layout of struct sim, the watch queues,
 * the fault state and the object defaults. Not a public header: code
 * outside kube/sim uses sim.h.
 */
#ifndef PODIUM_SIM_IMPL_H
#define PODIUM_SIM_IMPL_H

#include <pthread.h>

#include "kube/sim/sim.h"

/* One change, shared by the history and by every watcher queue holding
 * it; freed when the last reference goes (counted under the sim lock). */
struct sim_wev {
	int refs;
	unsigned long long rv;
	const struct sim_kind *kind;
	const char *type; /* "ADDED", "MODIFIED", "DELETED" */
	char *ns;         /* "" for cluster-scoped objects */
	json_t *obj;      /* immutable once stored */
	json_t *prev;     /* MODIFIED: the object before; else NULL */
	char *line;       /* the event as one JSON line, made on first use */
	size_t line_len;
};

/* A queued event as one watcher sees it: with a selector, an object that
 * starts matching arrives as ADDED and one that stops matching as DELETED
 * (with its previous content), as the real watch cache sends them. */
struct sim_wq {
	struct sim_wev *ev;
	const char *type;
	int use_prev;
};

/* A watcher's filter beyond kind and namespace (selectors); returns
 * non-zero to deliver. Called with the lock held. */
typedef int (*sim_watch_match_fn)(const json_t *obj, void *ud);

struct sim_watcher {
	struct sim_watcher *next;
	const struct sim_kind *kind;
	char *ns; /* NULL: every namespace */
	sim_watch_match_fn match;
	void *match_ud;
	struct sim_wq *q; /* ring of queued events */
	size_t qcap, qhead, qlen;
	int closed; /* dropped (too slow) or closed by a fault */
	pthread_cond_t cv;
};

/* Faults injected by `podium sim fault`; read and written under the lock. */
struct sim_faults {
	double error_rate;        /* share of requests answered 500 */
	long long throttle_until; /* now_ms() before which requests get 429 */
	long long latency_ms;     /* added to every request */
	long long stall_until;    /* now_ms() before which nothing is answered */
};

/* One kind's objects, sorted by namespace then name. */
struct sim_entry {
	char *ns; /* "" for cluster-scoped kinds */
	char *name;
	json_t *obj;
};

struct sim_bucket {
	struct sim_entry *v;
	size_t n, cap;
};

struct sim {
	pthread_mutex_t mu;
	struct sim_bucket *buckets; /* one per sim_kinds[] entry */
	size_t nkinds;
	unsigned long long rv;
	unsigned long long rng;

	/* Watch history: a ring of the latest events. A watch may resume from
	 * any resourceVersion >= floor; older ones get 410 Expired. */
	struct sim_wev **hist;
	size_t hist_cap, hist_head, hist_len;
	unsigned long long floor;
	struct sim_watcher *watchers;
	size_t watch_queue_cap;

	long long start_real_ms; /* now_ms() at start */
	long long start_wall_ms; /* Unix ms at start */
	double speed;

	pthread_t ctl;
	int ctl_running;
	int ctl_stop;
	pthread_cond_t ctl_cv;

	struct sim_world *world;
	struct sim_faults faults;
	int stopping; /* the server is shutting down: end every watch */
	long long log_cuts; /* drop-logs: followed logs cut when it moves */
};

/* Index of k in sim_kinds[]. */
size_t sim_kind_index(const struct sim_kind *k);

/* ---- watches (store.c) ---- */

/* Register a watcher on kind k in ns (NULL: all). from_rv 0: start with
 * an ADDED event for every current object; otherwise replay every event
 * after from_rv from the history, or fail with 410 Expired when it is no
 * longer held. match/ud filter (may be NULL); ud stays the caller's. Lock
 * held. */
struct sim_watcher *sim_watch_open(struct sim *s, const struct sim_kind *k,
				   const char *ns, unsigned long long from_rv,
				   sim_watch_match_fn match, void *ud,
				   struct sim_status *st);
/* Wait up to timeout_ms for events and append their lines to out (at most
 * max_bytes at once). 1: lines appended; 0: timed out; -1: the watcher was
 * closed (dropped or faulted). Lock held (the wait releases it). */
int sim_watch_next(struct sim *s, struct sim_watcher *w, struct dbuf *out,
		   long long timeout_ms);
/* Unregister and free; lock held. Accepts NULL. */
void sim_watch_close(struct sim *s, struct sim_watcher *w);
/* Close every watcher now (drop-watches fault); lock held. */
void sim_watch_drop_all(struct sim *s);
/* Make every resourceVersion up to now too old to resume from, and close
 * the watchers (expire-watches fault); lock held. */
void sim_watch_expire_all(struct sim *s);

/* ---- store internals (store.c) ---- */

/* Dry runs (dryRun=All): every check and default of sim_store_create and
 * sim_store_update, nothing stored, no event; *out is a new reference the
 * caller frees. Take ownership of obj. */
int sim_store_create_dry(struct sim *s, const struct sim_kind *k, const char *ns,
			 json_t *obj, json_t **out, struct sim_status *st);
int sim_store_update_dry(struct sim *s, const struct sim_kind *k, const char *ns,
			 json_t *obj, json_t **out, struct sim_status *st);

/* Build the object and the bucket array; called by sim_new. */
void sim_store_init(struct sim *s);
void sim_store_fini(struct sim *s);

/* ---- defaults (defaults.c) ---- */

/* Fill the fields the real API server defaults on create for kind k:
 * pod spec defaults, deployment strategy, service type and clusterIP,
 * job selector, namespace finalizers, the initial status. Lock held. */
void sim_defaults_apply(struct sim *s, const struct sim_kind *k, json_t *obj);

/* Reorder obj's top-level and metadata keys as the real server writes
 * them (kind, apiVersion, metadata{name, generateName, namespace, uid,
 * resourceVersion, ...}, spec, status). In place. */
void sim_canonical_order(json_t *obj);

#endif
