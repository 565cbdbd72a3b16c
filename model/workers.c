/*
 * workers.c - a small fixed pool of threads that share out tasks 0..n-1
 * of one function and wait for all of them: the engine's parallelism (a
 * task is a slice of a batch, or a block of a layer's filters or rows for
 * one image). The caller's thread works too, so a pool of one spawns
 * nothing.
 *
 * Tasks are claimed, not assigned: whoever is running takes the next one.
 * On a busy machine a worker may not get a CPU for a whole scheduler tick;
 * the caller then does its tasks itself instead of waiting. What a task
 * computes never depends on who runs it, so results stay reproducible.
 *
 * Waking a sleeping thread costs several microseconds, as much as a whole
 * single-image forward pass, so after each run a worker spins for a
 * bounded while (well under a millisecond) watching for the next one
 * before it sleeps on a condition variable; the caller likewise spins
 * briefly for tasks still running. Back-to-back runs (a training epoch, a
 * stream of predictions) then never sleep, and an idle pool costs nothing.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "model/model.h"

#define SPINS 20000

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

struct workers {
	int size;
	pthread_t *th;
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	atomic_uint gen;     /* bumped per run */
	/* (generation << 32) | next task: a claim is a compare-and-swap, so
	 * a latecomer from an earlier run can never take a task of this one */
	atomic_ullong claim;
	atomic_int left;     /* tasks of this run not finished */
	atomic_int quit;
	atomic_int ntasks;   /* a latecomer may read it as a run starts */
	workers_fn fn;
	void *arg;
};

struct worker_start {
	struct workers *w;
	int id;
};

/* Claim and run tasks of run gen until none is left; 1 when this thread
 * finished the run's last task. */
static int work(struct workers *w, unsigned gen, int self)
{
	int last = 0;
	for (;;) {
		unsigned long long c = atomic_load(&w->claim);
		if ((unsigned)(c >> 32) != gen ||
		    (int)(c & 0xffffffffu) >= atomic_load(&w->ntasks))
			break;
		if (!atomic_compare_exchange_weak(&w->claim, &c, c + 1))
			continue;
		/* holding a task of run gen: the run cannot end, so fn, arg
		 * and ntasks stay those of gen */
		w->fn(w->arg, (int)(c & 0xffffffffu), self);
		if (atomic_fetch_sub(&w->left, 1) == 1)
			last = 1;
	}
	return last;
}

static void *worker_main(void *p)
{
	struct worker_start st = *(struct worker_start *)p;
	free(p);
	struct workers *w = st.w;
	unsigned seen = 0;
	for (;;) {
		unsigned g = atomic_load(&w->gen);
		for (int i = 0; i < SPINS && g == seen && !atomic_load(&w->quit); i++) {
			cpu_relax();
			g = atomic_load(&w->gen);
		}
		if (g == seen) {
			pthread_mutex_lock(&w->mu);
			while (atomic_load(&w->gen) == seen && !atomic_load(&w->quit))
				pthread_cond_wait(&w->go, &w->mu);
			pthread_mutex_unlock(&w->mu);
			g = atomic_load(&w->gen);
		}
		if (atomic_load(&w->quit))
			break;
		seen = g;
		if (work(w, g, st.id)) {
			pthread_mutex_lock(&w->mu);
			pthread_cond_signal(&w->done);
			pthread_mutex_unlock(&w->mu);
		}
	}
	return NULL;
}

/* A pool of size threads in all (size-1 spawned). Caller frees. */
struct workers *workers_new(int size)
{
	struct workers *w = xcalloc(1, sizeof(*w));
	w->size = size < 1 ? 1 : size;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->go, NULL);
	pthread_cond_init(&w->done, NULL);
	atomic_init(&w->gen, 0);
	atomic_init(&w->claim, 0);
	atomic_init(&w->left, 0);
	atomic_init(&w->ntasks, 0);
	atomic_init(&w->quit, 0);
	w->th = xcalloc((size_t)w->size, sizeof(pthread_t));
	for (int i = 1; i < w->size; i++) {
		struct worker_start *st = xmalloc(sizeof(*st));
		st->w = w;
		st->id = i;
		if (pthread_create(&w->th[i], NULL, worker_main, st) != 0) {
			/* no thread, smaller pool: still correct, only slower */
			free(st);
			w->size = i;
			break;
		}
	}
	return w;
}

int workers_size(const struct workers *w)
{
	return w ? w->size : 1;
}

/* fn(arg, task, self) for every task 0..n-1, shared among the pool's
 * threads and this one (self 0); returns when all are done. */
void workers_run(struct workers *w, int n, workers_fn fn, void *arg)
{
	if (!w || w->size <= 1 || n <= 1) {
		for (int t = 0; t < n; t++)
			fn(arg, t, 0);
		return;
	}
	pthread_mutex_lock(&w->mu);
	unsigned gen = atomic_load(&w->gen) + 1;
	w->fn = fn;
	w->arg = arg;
	atomic_store(&w->ntasks, n);
	atomic_store(&w->left, n);
	atomic_store(&w->claim, (unsigned long long)gen << 32);
	atomic_store(&w->gen, gen);
	pthread_cond_broadcast(&w->go);
	pthread_mutex_unlock(&w->mu);
	work(w, gen, 0);
	for (int i = 0; i < SPINS && atomic_load(&w->left) > 0; i++)
		cpu_relax();
	if (atomic_load(&w->left) > 0) {
		pthread_mutex_lock(&w->mu);
		while (atomic_load(&w->left) > 0)
			pthread_cond_wait(&w->done, &w->mu);
		pthread_mutex_unlock(&w->mu);
	}
}

void workers_free(struct workers *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	atomic_store(&w->quit, 1);
	pthread_cond_broadcast(&w->go);
	pthread_mutex_unlock(&w->mu);
	for (int i = 1; i < w->size; i++)
		pthread_join(w->th[i], NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->go);
	pthread_cond_destroy(&w->done);
	free(w->th);
	free(w);
}
