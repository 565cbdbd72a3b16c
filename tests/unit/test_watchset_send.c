/* test_watchset_send.c - one-shot requests on the watch set's multi handle
 * (kube_watchset_send and friends) against the simulated cluster, in
 * process: answers reach their callbacks with status and body, a 404 is
 * an error with the server's words, a callback may send the next request,
 * a cancelled request never calls back (a view closed before its answer),
 * and with the server slowed down a step never waits for it. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four above first */
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube.h"
#include "kube/sim/sim.h"

#include "sim_fixture.h"

static int setup(void **state)
{
	*state = sim_fixture_new(1, 0);
	return 0;
}

/* What a callback saw. */
struct got {
	int calls, ok;
	long status;
	char body[4096];
	char error[512];
	struct kube_watchset *ws; /* for chained requests */
	int chain;		  /* requests still to send from the callback */
};

static void record(void *ud, const struct kube_answer *a)
{
	struct got *g = ud;
	g->calls++;
	g->ok = a->ok;
	g->status = a->status;
	snprintf(g->body, sizeof g->body, "%s", a->body ? a->body : "");
	snprintf(g->error, sizeof g->error, "%s", a->error ? a->error : "");
	if (g->chain > 0) {
		g->chain--;
		struct perr e = {{0}};
		assert_int_equal(kube_watchset_request(
					 g->ws, NULL, "GET",
					 "/api/v1/namespaces/default", NULL,
					 NULL, NULL, 0, record, g, NULL, &e),
				 0);
	}
}

static void run_until(struct kube_watchset *ws, int *flag, int want,
		      long long ms)
{
	long long end = now_ms() + ms;
	while (*flag < want && now_ms() < end) {
		kube_watchset_poll(ws, NULL, 0, 20);
		kube_watchset_step(ws, now_ms());
	}
}

static void test_answers_reach_callbacks(void **state)
{
	struct sim_fixture *f = *state;
	struct perr e = {{0}};
	struct got created = {0}, found = {0}, missing = {0};
	const char *cm =
		"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
		"\"metadata\":{\"name\":\"sent\"},\"data\":{\"k\":\"v42\"}}";
	assert_int_equal(
		kube_watchset_request(f->ws, NULL, "POST",
				      "/api/v1/namespaces/default/configmaps",
				      NULL, "application/json", cm, strlen(cm),
				      record, &created, NULL, &e),
		0);
	assert_int_equal(kube_watchset_request(
				 f->ws, NULL, "GET",
				 "/api/v1/namespaces/default/configmaps/nosuch",
				 NULL, NULL, NULL, 0, record, &missing, NULL,
				 &e),
			 0);
	assert_int_equal(kube_watchset_pending(f->ws), 2);
	kube_watchset_drain(f->ws);
	assert_int_equal(kube_watchset_pending(f->ws), 0);
	assert_int_equal(created.calls, 1);
	assert_true(created.ok);
	assert_int_equal(created.status, 201);
	assert_non_null(strstr(created.body, "v42"));
	assert_int_equal(missing.calls, 1);
	assert_false(missing.ok);
	assert_int_equal(missing.status, 404);
	assert_non_null(
		strstr(missing.error, "configmaps \"nosuch\" not found"));
	/* the created object is there for the next request */
	assert_int_equal(kube_watchset_request(
				 f->ws, NULL, "GET",
				 "/api/v1/namespaces/default/configmaps/sent",
				 NULL, NULL, NULL, 0, record, &found, NULL, &e),
			 0);
	kube_watchset_drain(f->ws);
	assert_int_equal(found.calls, 1);
	assert_int_equal(found.status, 200);
	assert_non_null(strstr(found.body, "\"v42\""));
}

static void test_callback_sends_next(void **state)
{
	struct sim_fixture *f = *state;
	struct perr e = {{0}};
	struct got g = {.ws = f->ws, .chain = 3};
	assert_int_equal(kube_watchset_request(f->ws, NULL, "GET",
					       "/api/v1/namespaces/default",
					       NULL, NULL, NULL, 0, record, &g,
					       NULL, &e),
			 0);
	kube_watchset_drain(f->ws);
	assert_int_equal(g.calls, 4);
	assert_int_equal(g.chain, 0);
	assert_true(g.ok);
	assert_non_null(strstr(g.body, "\"name\":\"default\""));
}

static void test_cancel_never_calls_back(void **state)
{
	struct sim_fixture *f = *state;
	struct perr e = {{0}};
	assert_int_equal(sim_faults_apply(f->s, "latency=300", &e), 0);
	struct got a = {0}, b = {0}, kept = {0};
	unsigned long long id = 0;
	assert_int_equal(kube_watchset_request(f->ws, NULL, "GET",
					       "/api/v1/namespaces/default",
					       NULL, NULL, NULL, 0, record, &a,
					       &id, &e),
			 0);
	assert_true(id > 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(kube_watchset_request(f->ws, NULL, "GET",
						       "/api/v1/namespaces",
						       NULL, NULL, NULL, 0,
						       record, &b, NULL, &e),
				 0);
	assert_int_equal(kube_watchset_request(f->ws, NULL, "GET",
					       "/api/v1/namespaces/default",
					       NULL, NULL, NULL, 0, record,
					       &kept, NULL, &e),
			 0);
	/* under way, not answered yet */
	kube_watchset_poll(f->ws, NULL, 0, 20);
	kube_watchset_step(f->ws, now_ms());
	kube_watchset_cancel(f->ws, id);
	kube_watchset_cancel_ud(f->ws, &b);
	assert_int_equal(kube_watchset_pending(f->ws), 1);
	kube_watchset_cancel(f->ws, id); /* twice: ignored */
	kube_watchset_drain(f->ws);
	assert_int_equal(a.calls, 0);
	assert_int_equal(b.calls, 0);
	assert_int_equal(kept.calls, 1);
	assert_true(kept.ok);
	assert_int_equal(sim_faults_apply(f->s, "clear", &e), 0);
}

/* The point of it all: with every answer 400 ms away, the loop's steps
 * return at once and its poll wakes on time for the keyboard. */
static void test_slow_server_never_blocks(void **state)
{
	struct sim_fixture *f = *state;
	struct perr e = {{0}};
	assert_int_equal(sim_faults_apply(f->s, "latency=400", &e), 0);
	struct got g = {0};
	for (int i = 0; i < 4; i++)
		assert_int_equal(kube_watchset_request(
					 f->ws, NULL, "GET",
					 "/api/v1/namespaces/default", NULL,
					 NULL, NULL, 0, record, &g, NULL, &e),
				 0);
	long long t0 = now_ms(), worst = 0;
	int steps = 0;
	while (g.calls < 4 && now_ms() - t0 < 5000) {
		kube_watchset_poll(f->ws, NULL, 0, 20);
		long long s0 = now_ms();
		kube_watchset_step(f->ws, now_ms());
		if (now_ms() - s0 > worst)
			worst = now_ms() - s0;
		steps++;
	}
	assert_int_equal(g.calls, 4);
	/* the four went together: about one latency, not four */
	assert_true(now_ms() - t0 < 1400);
	assert_true(now_ms() - t0 >= 390);
	assert_true(worst < 100);
	assert_true(steps > 5); /* the loop went round while they waited */
	assert_int_equal(sim_faults_apply(f->s, "clear", &e), 0);
}

/* Freeing a set with requests in flight frees them without callbacks
 * (the dashboard switching context under a compare). */
static void test_free_with_pending(void **state)
{
	struct sim_fixture *f = *state;
	struct perr e = {{0}};
	struct kube_watchset *ws = kube_watchset_new(f->c);
	struct got g = {0};
	assert_int_equal(kube_watchset_request(ws, NULL, "GET",
					       "/api/v1/namespaces", NULL, NULL,
					       NULL, 0, record, &g, NULL, &e),
			 0);
	kube_watchset_step(ws, now_ms());
	kube_watchset_free(ws);
	assert_int_equal(g.calls, 0);
	run_until(f->ws, &g.calls, 1, 50);
	assert_int_equal(g.calls, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_answers_reach_callbacks,
						setup, sim_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_callback_sends_next, setup,
						sim_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_cancel_never_calls_back,
						setup, sim_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_slow_server_never_blocks,
						setup, sim_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_free_with_pending, setup,
						sim_fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
