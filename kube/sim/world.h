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

/* How a container's program behaves, from its image and command. */
enum prog_kind {
	PROG_SERVER,   /* runs until stopped: nginx, redis, the runtime */
	PROG_EXIT,     /* exits by itself after run_ms with exit_code */
	PROG_LOOP,     /* a shell loop: echoes every loop_ms until stopped */
};

/* One run of a container: what its log holds is a function of these. */
struct ctr_inst {
	long long start_ms;  /* wall ms; 0: never started */
	long long end_ms;    /* wall ms; 0: still running */
	int exit_code;
	char id[80];         /* containerd://... */
};

enum ctr_state {
	CS_CREATING,   /* waiting: ContainerCreating (pulling) */
	CS_PULL_ERR,   /* waiting: ErrImagePull */
	CS_PULL_BACKOFF, /* waiting: ImagePullBackOff */
	CS_RUNNING,
	CS_CRASH_BACKOFF, /* waiting: CrashLoopBackOff */
	CS_TERMINATED, /* final (restartPolicy says no more runs) */
};

struct ctr {
	char *name, *image, *image_id;
	char *echo;          /* what the shell program echoes, or NULL */
	enum prog_kind prog;
	int log_style;       /* index into kubelet.c's log styles */
	long long run_ms;    /* PROG_EXIT: how long a run lasts */
	long long loop_ms;   /* PROG_LOOP: period */
	int exit_code;       /* PROG_EXIT */
	long long ready_delay_ms;
	int stop_fast;       /* exits on SIGTERM (else waits the grace) */
	enum ctr_state st;
	long long t_state;   /* wall ms of entering st */
	long long t_next;    /* wall ms of the next transition (0: none) */
	long long backoff_ms;
	int restarts, ready, started;
	int pull_attempts;
	char pull_msg[400];
	struct ctr_inst cur, prev; /* prev.start_ms 0: no previous */
};

struct pod_state {
	char *ns, *name, *uid, *node;
	unsigned long long seed;
	int nctr;
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
	long long epoch_ms;  /* wall ms when the cluster started */
	struct smap pods;    /* uid -> struct pod_state */
	unsigned gen;
	unsigned ip_next;
	/* events: aggregation key -> "ns/name"; oldest first ring */
	struct smap ev_keys;
	char **ev_ring;
	size_t ev_head, ev_len, ev_max;
	unsigned ev_seq;
	/* demo churn */
	int demo;
	long long churn_next;
};

uint64_t sim_world_rand(struct sim_world *w);
/* n random characters of the real name suffix alphabet into out (n + 1). */
void sim_world_rand_suffix(struct sim_world *w, char *out, int n);
/* Parse RFC 3339 "2026-11-28T11:32:03Z" into wall ms; 0 on error. */
long long sim_world_parse_time(const char *s);
void sim_world_free_pod(void *p);

#endif
