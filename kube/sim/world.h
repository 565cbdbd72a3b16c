/*
 * world.h - internal to kube/sim (not a public header): the state the
 * controllers, scheduler, kubelet and event recorder keep beside the store.
 * Other directories see only struct sim_world's name, through sim.h.
 */
#ifndef PODIUM_SIM_WORLD_H
#define PODIUM_SIM_WORLD_H

#include <stdint.h>

#include "kube/sim/sim.h"

/* A string-keyed map (open addressing) owning its keys; values borrowed
 * unless free_val is set. */
struct smap_ent {
	char *key;
	void *val;
};
struct smap {
	struct smap_ent *v;
	size_t n, cap, used; /* used counts tombstones too */
	void (*free_val)(void *);
};
void smap_init(struct smap *m, void (*free_val)(void *));
void smap_free(struct smap *m);
void *smap_get(const struct smap *m, const char *key);
/* Replace or insert; the old value is freed with free_val. */
void smap_put(struct smap *m, const char *key, void *val);
void smap_del(struct smap *m, const char *key);
/* Iteration: for (i = 0; (i = smap_next(m, i, &e)) ...) */
size_t smap_next(const struct smap *m, size_t i, struct smap_ent **e);

/* What a container's log looks like (podlog.c). */
enum log_style { LOG_NONE, LOG_NGINX, LOG_REDIS, LOG_RUNTIME, LOG_PYHTTP };

/* How a container's program behaves, from its image and command. */
enum prog_kind {
	PROG_SERVER,   /* runs until stopped: nginx, redis, the runtime */
	PROG_EXIT,     /* exits by itself after run_ms with exit_code */
	PROG_LOOP,     /* a shell loop: runs its body until stopped */
};

/* One run of a container: what its log holds is a function of these. */
struct ctr_inst {
	long long start_ms;  /* wall ms; 0: never started */
	long long end_ms;    /* wall ms; 0: still running */
	int exit_code;
	int run;             /* restartCount when it started: names its ID */
};

enum ctr_state {
	CS_CREATING,   /* waiting: ContainerCreating (pulling) */
	CS_PULL_ERR,   /* waiting: ErrImagePull */
	CS_PULL_BACKOFF, /* waiting: ImagePullBackOff */
	CS_RUNNING,
	CS_CRASH_BACKOFF, /* waiting: CrashLoopBackOff */
	CS_TERMINATED, /* final (restartPolicy says no more runs) */
};

/* One statement of a container's shell command, as far as the simulated
 * runtime follows it: echo, sleep, exit, date. */
struct sh_step {
	char op;             /* 'e'cho, 's'leep, 'x' exit, 'd'ate */
	long long ms;        /* sleep */
	int code;            /* exit */
	char *text;          /* echo */
};

struct ctr {
	char *name, *image, *image_id;
	struct sh_step *sh;  /* the shell command's statements, or NULL */
	int nsh, loop_at;    /* loop_at: first statement of a `while true`
				body that repeats, or -1 */
	enum prog_kind prog;
	int log_style;       /* index into kubelet.c's log styles */
	long long run_ms;    /* PROG_EXIT: how long a run lasts */
	int exit_code;       /* PROG_EXIT */
	long long ready_delay_ms;
	int stop_fast;       /* exits on SIGTERM (else waits the grace) */
	enum ctr_state st;
	long long t_state;   /* wall ms of entering st */
	long long t_next;    /* wall ms of the next transition (0: none) */
	long long backoff_ms;
	int restarts, ready, started;
	int pull_attempts;
	char policy;         /* imagePullPolicy: 'A'lways, 'I'fNotPresent, 'N'ever */
	int present;         /* the node holds the image: no pull */
	int never;           /* Never, and the node lacks it: ErrImageNeverPull */
	int init;            /* an init container */
	int gated;           /* waiting for the init containers before it */
	char *pull_msg;      /* the last pull error, or NULL */
	struct ctr_inst cur, prev; /* prev.start_ms 0: no previous */
};

struct pod_state {
	char *ns, *name, *uid, *node;
	int node_idx;        /* N of sim-node-N, or -1 */
	double req_cpu_m, req_mem; /* resource requests: millicores, bytes */
	unsigned long long seed;
	int nctr, ninit;     /* c[0..ninit) are the init containers, in order */
	struct ctr *c;
	char restart_policy; /* 'A'lways, 'O'nFailure, 'N'ever */
	long long t_start, t_sched, t_init, t_ready_change, t_cready_change;
	int ready;           /* all containers ready */
	long long t_delete_seen; /* wall ms; 0: not deleting */
	long long t_remove;
	int dirty;           /* status must be written */
	unsigned gen;        /* last sweep that saw it */
	char ip[20];
};

struct sim_world {
	struct sim *s;
	struct sim_registry *reg;
	uint64_t rng;
	unsigned seed;
	struct smap pods;    /* uid -> struct pod_state */
	unsigned gen;
	unsigned ip_next;    /* pods placed by the seed, round robin */
	unsigned node_ips[64]; /* pod addresses given out on each node */
	/* events: aggregation key -> "ns/name"; oldest first ring */
	struct smap sigs;    /* uid -> struct sig: what a controller last saw */
	struct smap ev_keys;
	char **ev_ring;
	size_t ev_head, ev_len, ev_max;
	unsigned ev_seq;
	/* demo churn */
	int demo;
	long long churn_next;
	long long heartbeat_next; /* sim_now of the nodes' next heartbeat */
	unsigned long steps;
	/* Idle steps are nearly free: the store's version after the last
	 * step, whether some controller waits on time rather than on a
	 * change, and when the kubelet's next timer is due (wall ms). */
	unsigned long long last_rv; /* at the start of the previous step */
	int store_idle;      /* nothing written since then */
	int time_pending;
	long long kubelet_next;
	unsigned long long kubelet_rv; /* store version at its last pass */
	unsigned long long rs_rv;      /* the same for the ReplicaSet pass */
	struct smap node_images; /* "node\x1fref" -> 1: images nodes hold */
	struct smap unsched; /* "ns\x1fname" -> long long *: next scheduling try */
	struct smap rs_timed;
	unsigned long long dep_rv;     /* store version at the deployment pass */
	unsigned long long gc_rv;      /* the same for the garbage collector */
	unsigned long long ep_rv;      /* and for the endpoints controller */
	struct sim_builds *builds;  /* builder.c: pushes waiting on a builder */
	struct sim_served *served;  /* modelpod.c: the model servers running */
	struct smap dep_timed; /* deployment uid -> "ns\x1fname": deadline running */ /* RS uid -> "ns\x1fname": waiting on minReadySeconds */
};

/* Controllers skip objects whose inputs have not changed since their last
 * sync: sig folds the resourceVersions they read. 1 when key's signature
 * is still sig; else it is recorded and 0 returned. */
uint64_t sim_sig(uint64_t h, const char *s);
int sim_world_unchanged(struct sim_world *w, const char *key, uint64_t sig);
/* Forget signatures not seen for a while (deleted objects). */
void sim_world_sweep_sigs(struct sim_world *w);

/* Each change the store made after resourceVersion since, oldest first
 * (from its watch history, as an informer would see them). -1 when the
 * history no longer reaches back that far: the caller does a full pass. */
int sim_world_changes(struct sim *s, unsigned long long since,
		      void (*fn)(const struct sim_kind *k, const char *type,
				 json_t *obj, void *ud),
		      void *ud);

/* The objects an incremental pass looks at: uid -> "ns\x1fname", up to
 * max of them (beyond that, overflow: one full pass is cheaper). */
struct sim_dirty {
	struct smap m;
	size_t max;
	int overflow;
};
void sim_dirty_init(struct sim_dirty *d, size_t max);
void sim_dirty_mark(struct sim_dirty *d, const char *uid, const char *ns,
		    const char *name);
/* Mark every entry of a "ns\x1fname" map (the waiting-on-time sets). */
void sim_dirty_mark_all(struct sim_dirty *d, const struct smap *timed);
/* The object a dirty entry names, if it is still the one with that uid
 * (borrowed); *ns gets its namespace (caller frees). */
json_t *sim_dirty_get(struct sim *s, const struct sim_kind *k,
		      const struct smap_ent *e, char **ns);
void sim_dirty_free(struct sim_dirty *d);

/* Deterministic mixing for names, logs and IDs: a 64-bit finaliser, and
 * FNV-1a continued from h over s. */
uint64_t sim_mix(uint64_t x);
uint64_t sim_hash_str(uint64_t h, const char *s);

/* ---- the scheduler (scheduler.c) ---- */

#define SIM_MAX_NODES 64 /* sim-node-1 .. sim-node-63 */

/* What the pods bound to each node ask of it. */
struct sim_node_load {
	size_t pods[SIM_MAX_NODES];
	double cpu_m[SIM_MAX_NODES], mem[SIM_MAX_NODES];
};
void sim_node_load_add(struct sim_node_load *l, int node_idx, double cpu_m,
		       double mem);
/* A Kubernetes quantity ("500m", "2", "128Mi", "1Gi"): milli, the value in
 * thousandths (cpu); else in units (bytes). */
double sim_quantity(const char *q, int milli);
/* What a pod asks of a node: the sum of its containers' requests (a limit
 * without a request stands for it, as the API defaults it). */
void sim_pod_requests(const json_t *spec, double *cpu_m, double *mem);
/* Bind pod (borrowed) to the least loaded node that fits it (nodeName,
 * PodScheduled, the Scheduled event; load updated), or mark it
 * Unschedulable with FailedScheduling and a retry in a few seconds. */
void sim_schedule(struct sim *s, struct sim_node_load *load, json_t *pod,
		  long long now);
/* Retries: forget a pod; whether one waits for a later try; call fn for
 * each whose try is due; the earliest try (wall ms, 0: none). */
void sim_schedule_forget(struct sim_world *w, const char *ns, const char *name);
int sim_schedule_waiting(struct sim_world *w, const char *ns, const char *name,
			 long long now);
void sim_schedule_due(struct sim_world *w, long long now,
		      void (*fn)(const char *ns, const char *name, void *ud), void *ud);
long long sim_schedule_next(struct sim_world *w);

/* The kubelet's per-pod seed (logs, IDs) and the runtime's ID of run
 * number run of a container, as the kubelet derives them (kubelet.c). */
uint64_t sim_pod_seed(const struct sim_world *w, const char *ns, const char *pod);
const char *sim_container_id(const struct sim_world *w, const char *ns,
			     const char *pod, const char *ctr, int run, char buf[80]);

/* The next pod address on node sim-node-<idx>: from its podCIDR
 * 10.244.<idx-1>.0/24, then (past 253 pods) the /24s three further on. */
void sim_world_pod_ip(struct sim_world *w, int idx, char out[20]);

/* Whether node holds image, and record that it does (a pull, a seed). */
int sim_node_has_image(struct sim_world *w, const char *node, const char *image);
void sim_node_add_image(struct sim_world *w, const char *node, const char *image);

/* Keep at most max events (2000 by default), removing the oldest. */
void sim_event_limit(struct sim *s, size_t max);

uint64_t sim_world_rand(struct sim_world *w);
/* n random characters of the real name suffix alphabet into out (n + 1). */
void sim_world_rand_suffix(struct sim_world *w, char *out, int n);
/* Parse RFC 3339 "2026-11-28T11:32:03Z" into wall ms; 0 on error. */
long long sim_world_parse_time(const char *s);
void sim_world_free_pod(void *p);

/* ---- shared by the controllers (replicaset.c) ---- */

/* A list of objects, each an owned reference. */
struct pod_group {
	json_t **v;
	size_t n, cap;
};
void sim_pod_group_free(void *g);
/* Every object of kind k in ns (NULL: all) into out (owned references;
 * free with free(out->v) after json_decref of each). */
void sim_collect(struct sim *s, const struct sim_kind *k, const char *ns,
		 struct pod_group *out);
/* Objects of kind k in ns whose controller's uid is uid (owned refs). */
void sim_collect_owned(struct sim *s, const struct sim_kind *k, const char *ns,
		       const char *uid, struct pod_group *out);

/* An informer-style pass of one owner controller: the owners changed since
 * *since_rv (fn marks them, from the store's history) or waiting in timed
 * are synced one by one, each with the children (of kind child) it owns;
 * when too many changed (more than max) or the history no longer reaches
 * back, full_pass runs instead. An owner gone from the store leaves timed. */
void sim_sync_changed(struct sim *s, unsigned long long *since_rv, struct smap *timed,
		      size_t max,
		      void (*fn)(const struct sim_kind *k, const char *type, json_t *obj,
				 void *ud),
		      void (*full_pass)(struct sim *s), const struct sim_kind *owner,
		      const struct sim_kind *child,
		      void (*sync)(struct sim *s, json_t *obj, struct pod_group *g));
/* Pods grouped by their controller's uid: uid -> struct pod_group. */
void sim_pod_index_build(struct sim *s, struct smap *idx);
/* The same for any kind: objects grouped by controller uid. */
void sim_owner_index_build(struct sim *s, const struct sim_kind *k,
			   struct smap *idx);
int sim_pod_index_add(json_t *pod, void *ud);
/* The uid of obj's controller owner (borrowed), or NULL. */
const char *sim_controller_uid(const json_t *obj);
/* Not being deleted and not Succeeded/Failed. */
int sim_pod_is_active(const json_t *pod);
/* Ready=True; *since gets the condition's transition time (wall ms). */
int sim_pod_is_ready(const json_t *pod, long long *since);
/* A pod from owner's template, named <owner>-<5 chars>, with the
 * SuccessfulCreate event from component. *out borrowed. 0 / -1. */
int sim_pod_create_from(struct sim *s, json_t *owner, const char *owner_kind,
			const char *component, json_t **out);
/* Delete pod gracefully, with the SuccessfulDelete event. */
void sim_pod_delete_for(struct sim *s, json_t *owner, json_t *pod,
			const char *component);

/* Builds (builder.c) and model pods (modelpod.c). The hooks run in the
 * kubelet with the lock held: _admit when it admits a pod, _exited when a
 * container exits. */
struct sim_builds *sim_builds_new(void);
void sim_builds_free(struct sim_builds *b);
void sim_builder_admit(struct sim *s, const json_t *pod, struct pod_state *ps);
void sim_builder_exited(struct sim *s, struct pod_state *ps, const struct ctr *c, int code);
/* The reference a builder container pushes (caller frees; NULL: none) and
 * the checksum an init container checks (0 / -1); pure, for tests. */
char *sim_builder_ref(const json_t *ctr, int kaniko);
int sim_builder_checksum(const json_t *init, char out[65]);
struct sim_served *sim_served_new(void);
void sim_served_free(struct sim_served *s);
/* The pod with uid is gone: stop its model server, if it has one. */
void sim_served_forget(struct sim_served *s, const char *uid);
void sim_modelpod_admit(struct sim *s, const json_t *pod, struct pod_state *ps);
/* Whether a model container's httpGet probe reaches its server on a path
 * the server answers 200 (pure, for tests). */
int sim_modelpod_probe_ok(const json_t *ctr, const json_t *probe);
/* Load a model file held in memory (through a temporary file). Caller
 * model_free()s *out. 0 / -1 with e set. */
struct model;
int sim_model_from_bytes(const void *bytes, size_t len, struct model **out, struct perr *e);

#endif
