/*
 * workers.c - a small fixed pool of threads that run one function on ids
 * 0..n-1 and wait for all of them: the engine's parallelism (each id takes
 * a slice of a batch, or of a layer's filters or rows for one image). The
 * caller's thread runs id 0, so a pool of one spawns nothing.
 *
 * Waking a sleeping thread costs several microseconds, as much as a whole
 * single-image forward pass, so after each run a worker spins for a
 * bounded while (about 0.1 ms) watching for the next one before it sleeps
 * on a condition variable; the caller likewise spins briefly for the
 * workers to finish. Back-to-back runs (a training epoch, a stream of
 * predictions) then never sleep, and an idle pool costs nothing.
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
	atomic_ulong gen;   /* bumped per run: a worker runs once per value */
	atomic_int pending; /* workers of this run not finished yet */
	atomic_int quit;
	int active;         /* ids 1..active-1 run this generation */
	workers_fn fn;
	void *arg;
};

struct worker_start {
	struct workers *w;
	int id;
};

static void *worker_main(void *p)
{
	struct worker_start st = *(struct worker_start *)p;
	free(p);
	struct workers *w = st.w;
	unsigned long seen = 0;
	for (;;) {
		unsigned long g = atomic_load(&w->gen);
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
		/* gen is stored after fn, arg and active (release/acquire by
		 * the seq_cst atomics), so they are current here */
		if (st.id >= w->active)
			continue;
		w->fn(w->arg, st.id);
		if (atomic_fetch_sub(&w->pending, 1) == 1) {
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
	atomic_init(&w->pending, 0);
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

/* fn(arg, id) for id in 0..n-1 (n clamped to the pool), id 0 here. */
void workers_run(struct workers *w, int n, workers_fn fn, void *arg)
{
	if (!w || n <= 1) {
		fn(arg, 0);
		return;
	}
	if (n > w->size)
		n = w->size;
	pthread_mutex_lock(&w->mu);
	w->fn = fn;
	w->arg = arg;
	w->active = n;
	atomic_store(&w->pending, n - 1);
	atomic_fetch_add(&w->gen, 1);
	pthread_cond_broadcast(&w->go);
	pthread_mutex_unlock(&w->mu);
	fn(arg, 0);
	for (int i = 0; i < SPINS && atomic_load(&w->pending) > 0; i++)
		cpu_relax();
	if (atomic_load(&w->pending) > 0) {
		pthread_mutex_lock(&w->mu);
		while (atomic_load(&w->pending) > 0)
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
