/*
 * sim.c - the simulated cluster as one object: the lock, the store, the
 * simulated clock (real time scaled by --speed), the seeded random
 * generator, and the world of controllers behind the store.
 */
#define _POSIX_C_SOURCE 200809L
#include "kube/sim/sim_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static long long wall_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A cluster with its store, world and seed; NULL with e set. */
struct sim *sim_new(const struct sim_opts *o, struct perr *e)
{
	struct sim_opts dflt = { .speed = 1.0 };
	if (!o)
		o = &dflt;
	if (o->speed < 0) {
		perr_set(e, "speed must be positive");
		return NULL;
	}
	struct sim *s = xcalloc(1, sizeof *s);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->ctl_cv, NULL);
	s->speed = o->speed > 0 ? o->speed : 1.0;
	s->start_real_ms = now_ms();
	s->start_wall_ms = wall_now_ms();
	s->rng = o->seed ? o->seed : (unsigned long long)s->start_wall_ms;
	s->rng = s->rng * 0x9E3779B97F4A7C15ULL + 1;
	s->hist_cap = o->history;
	sim_store_init(s);
	s->world = sim_world_new(s, o);
	/* Seed with the clock turned back by seed_age_ms, so that a seeded
	 * cluster looks as settled as a real one (ages of minutes or hours,
	 * not seconds that tick on every screen). */
	sim_lock(s);
	s->start_wall_ms -= o->seed_age_ms;
	int seeded = sim_seed(s, o, e);
	s->start_wall_ms += o->seed_age_ms;
	sim_unlock(s);
	if (seeded < 0) {
		sim_free(s);
		return NULL;
	}
	if (o->faults && sim_faults_apply(s, o->faults, e) < 0) {
		sim_free(s);
		return NULL;
	}
	return s;
}

/* The controller thread: one pass of every controller each ~50 ms of real
 * time, under the lock; the simulated clock, not the period, decides how
 * far things move. */
static void *controller_thread(void *arg)
{
	struct sim *s = arg;
	sim_lock(s);
	while (!s->ctl_stop) {
		sim_controllers_step(s);
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&s->ctl_cv, &s->mu, &ts);
	}
	sim_unlock(s);
	return NULL;
}

/* Start the controller thread (once). */
int sim_start_controllers(struct sim *s, struct perr *e)
{
	if (s->ctl_running)
		return 0;
	s->ctl_stop = 0;
	if (pthread_create(&s->ctl, NULL, controller_thread, s) != 0) {
		perr_set(e, "cannot start the controller thread");
		return -1;
	}
	s->ctl_running = 1;
	return 0;
}

/* Stop the controllers and free everything; accepts NULL. */
void sim_free(struct sim *s)
{
	if (!s)
		return;
	if (s->ctl_running) {
		sim_lock(s);
		s->ctl_stop = 1;
		pthread_cond_signal(&s->ctl_cv);
		sim_unlock(s);
		pthread_join(s->ctl, NULL);
	}
	sim_lock(s);
	sim_store_fini(s);
	sim_unlock(s);
	sim_world_free(s->world);
	pthread_cond_destroy(&s->ctl_cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* Take the cluster's one lock. */
void sim_lock(struct sim *s)
{
	pthread_mutex_lock(&s->mu);
}

/* Release the cluster's lock. */
void sim_unlock(struct sim *s)
{
	pthread_mutex_unlock(&s->mu);
}

/* Simulated milliseconds since start (real time times speed). */
long long sim_now(struct sim *s)
{
	return (long long)((double)(now_ms() - s->start_real_ms) * s->speed);
}

/* The simulated wall clock in Unix milliseconds. */
long long sim_wall_ms(struct sim *s)
{
	return s->start_wall_ms + sim_now(s);
}

/* The simulated wall clock as RFC 3339 into buf. */
const char *sim_rfc3339(struct sim *s, char *buf, size_t n)
{
	time_t t = (time_t)(sim_wall_ms(s) / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/* xorshift64*: fast, seedable, good enough for names and churn. */
unsigned long long sim_rand(struct sim *s)
{
	unsigned long long x = s->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	s->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* The world behind the store (borrowed). */
struct sim_world *sim_world(struct sim *s)
{
	return s ? s->world : NULL;
}
