/*
 * workers.c - a small fixed pool of threads that run one function on ids
 * 0..n-1 and wait for all of them: the engine's data parallelism (each id
 * takes a slice of the batch). The caller's thread runs id 0, so a pool of
 * one spawns nothing. Waiting sleeps on a condition variable instead of
 * spinning: the machine is shared.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdlib.h>

#include "model/model.h"

struct workers {
	int size;
	pthread_t *th;
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	unsigned long gen; /* bumped per run: a worker runs once per value */
	int active;        /* ids 1..active-1 run this generation */
	int pending;       /* of those, not finished yet */
	int quit;
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
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->quit && w->gen == seen)
			pthread_cond_wait(&w->go, &w->mu);
		if (w->quit)
			break;
		seen = w->gen;
		if (st.id >= w->active)
			continue;
		workers_fn fn = w->fn;
		void *arg = w->arg;
		pthread_mutex_unlock(&w->mu);
		fn(arg, st.id);
		pthread_mutex_lock(&w->mu);
		if (--w->pending == 0)
			pthread_cond_signal(&w->done);
	}
	pthread_mutex_unlock(&w->mu);
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
	w->pending = n - 1;
	w->gen++;
	pthread_cond_broadcast(&w->go);
	pthread_mutex_unlock(&w->mu);
	fn(arg, 0);
	pthread_mutex_lock(&w->mu);
	while (w->pending > 0)
		pthread_cond_wait(&w->done, &w->mu);
	pthread_mutex_unlock(&w->mu);
}

void workers_free(struct workers *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->quit = 1;
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
