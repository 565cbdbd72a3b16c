/* test_canary_run.c - the gated rollout's step machine (canary_run.c)
 * against the simulated cluster, in process, with the server slowed down:
 * a missing Deployment is an error and nothing is made, and so is one
 * podium deploy did not make (its selector cannot move); a canary whose
 * image cannot be pulled never gets ready, so the run aborts, removes the
 * canary and leaves the Deployment as it was; freeing a run in flight
 * calls nothing back; and no step of the loop ever waits for the server.
 * (Promotion and refusal, which need model images, are proven end to end
 * by tests/integration/model_live.sh and tests/e2e/rollout.sh.) */
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
#include "tui/tui.h"

#include "sim_fixture.h"

static int setup(void **state)
{
	*state = sim_fixture_new(10, 1);
	return 0;
}

/* The events, one line each, as the command would print them. */
struct events {
	struct dbuf text;
	int errors, results;
};

static void on_event(void *ud, enum canary_ev ev, const char *text)
{
	struct events *v = ud;
	dbuf_printf(&v->text, "%s%s\n", canary_ev_prefix(ev), text);
	v->errors += ev == CEV_ERROR;
	v->results += ev == CEV_RESULT;
}

static const struct canary_run_opts base = {
	.name = "web",
	.ns = "default",
	.image = "registry.local/models/web:2",
	.model_path = "/nonexistent/web.safetensors",
	.label = "web",
	.sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab"
		  "cdef",
	.canary_replicas = 1,
	.samples = 10,
	.batch = 5,
	.concurrency = 2,
	.min_agreement = 0.995,
	.timeout_ms = 1500,
};

/* A run of base to its end (events into *v); its state in *st and the
 * longest single loop step in *worst (ms). */
static void run_to_end(struct sim_fixture *f, struct events *v, long long ms,
		       struct canary_run_state *st, long long *worst)
{
	dbuf_init(&v->text, 0);
	struct canary_run *r = canary_run_new(f->ws, &base, on_event, v);
	long long end = now_ms() + ms;
	*worst = 0;
	for (;;) {
		long long t0 = now_ms();
		kube_watchset_step(f->ws, now_ms());
		int going = canary_run_step(r, now_ms());
		if (now_ms() - t0 > *worst)
			*worst = now_ms() - t0;
		if (!going || now_ms() > end)
			break;
		long long t = canary_run_timeout(r, now_ms());
		kube_watchset_poll(f->ws, NULL, 0,
				   t >= 0 && t < 50 ? (int)t : 50);
	}
	canary_run_state(r, st);
	canary_run_free(r);
}

static int deployment_exists(struct sim_fixture *f, const char *name)
{
	struct kube_canary_info info;
	struct perr e = {{0}};
	assert_int_equal(kube_canary_info(f->c, "default", name, &info, &e), 0);
	return info.exists;
}

static void test_missing_deployment(void **state)
{
	struct sim_fixture *f = *state;
	struct events v = {0};
	struct canary_run_state st;
	long long worst;
	run_to_end(f, &v, 5000, &st, &worst);
	assert_int_equal(st.phase, CP_DONE);
	assert_int_equal(st.outcome, CO_FAILED);
	assert_int_equal(v.errors, 1);
	assert_int_equal(v.results, 0);
	assert_non_null(
		strstr(v.text.p,
		       "error: deployments.apps \"web\" not found in namespace "
		       "default: deploy it first"));
	assert_false(deployment_exists(f, "web-canary"));
	dbuf_free(&v.text);
}

static void test_canary_never_ready_aborts(void **state)
{
	struct sim_fixture *f = *state;
	struct perr e = {{0}};
	/* the main Deployment as podium deploy makes it */
	struct kube_deploy_opts dop = {.name = "web",
				       .namespace = "default",
				       .image = "registry.local/models/web:1",
				       .model = "web",
				       .replicas = 1,
				       .port = 8080};
	char *report = NULL;
	assert_int_equal(kube_deploy_apply(f->c, &dop, 0, &report, &e), 0);
	free(report);
	assert_int_equal(sim_faults_apply(f->s, "latency=100", &e), 0);
	struct events v = {0};
	struct canary_run_state st;
	long long worst;
	run_to_end(f, &v, 20000, &st, &worst);
	print_message("%s", v.text.p);
	assert_int_equal(st.phase, CP_DONE);
	assert_int_equal(st.outcome, CO_ABORTED);
	const char *want[] = {
		"rolling out registry.local/models/web:2 (model web, sha256 "
		"0123456789abcdef) to "
		"deployment/web in default\n",
		"    now: registry.local/models/web:1 (model web)\n",
		"==> deploying canary deployment/web-canary: "
		"registry.local/models/web:2, 1 replica "
		"behind service/web\n",
		"==> waiting for the canary to be ready\n",
		"error: the canary did not become ready: deployment "
		"\"web-canary\" did not roll out "
		"within 1s\n",
		"==> removing canary deployment/web-canary\n",
		"    deleted\n",
		"result: aborted; deployment/web untouched\n",
	};
	const char *at = v.text.p;
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		const char *p = strstr(at, want[i]);
		if (!p)
			fail_msg("missing or out of order: %s", want[i]);
		at = p + strlen(want[i]);
	}
	/* the waits were on a timer, each request answered 100 ms later:
	 * no step of the loop waited for one */
	assert_true(worst < 60);
	assert_false(deployment_exists(f, "web-canary"));
	struct kube_canary_info info;
	assert_int_equal(kube_canary_info(f->c, "default", "web", &info, &e),
			 0);
	assert_string_equal(info.image, "registry.local/models/web:1");
	dbuf_free(&v.text);
	assert_int_equal(sim_faults_apply(f->s, "clear", &e), 0);
}

/* A Deployment podium deploy did not make (its selector is another) cannot
 * be moved by an apply: refused before any canary is made. */
static void test_foreign_selector_refused(void **state)
{
	struct sim_fixture *f = *state;
	struct perr e = {{0}};
	const char *d =
		"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
		"\"metadata\":{\"name\":\"web\",\"labels\":{\"podium.dev/"
		"model\":\"web\"}},"
		"\"spec\":{\"replicas\":1,\"selector\":{\"matchLabels\":{"
		"\"app\":\"web\"}},"
		"\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},"
		"\"spec\":{\"containers\":[{\"name\":\"m\",\"image\":"
		"\"registry.local/web:1\"}]}}}}";
	struct kube_response resp = {0};
	assert_int_equal(
		kube_request(f->c, "POST",
			     "/apis/apps/v1/namespaces/default/deployments",
			     NULL, "application/json", d, strlen(d), &resp, &e),
		0);
	kube_response_free(&resp);
	struct events v = {0};
	struct canary_run_state st;
	long long worst;
	run_to_end(f, &v, 5000, &st, &worst);
	assert_int_equal(st.outcome, CO_FAILED);
	assert_string_equal(
		v.text.p,
		"error: deployment/web selects its pods by app=web, not as "
		"podium "
		"deploy makes model deployments (app.kubernetes.io/name=web,"
		"podium.dev/track=stable): a rollout cannot move it\n");
	assert_false(deployment_exists(f, "web-canary"));
	dbuf_free(&v.text);
}

/* A view closed mid-run: the requests out are cancelled, nothing calls
 * back into the freed run (ASan would see it). */
static void test_free_in_flight(void **state)
{
	struct sim_fixture *f = *state;
	struct perr e = {{0}};
	assert_int_equal(sim_faults_apply(f->s, "latency=300", &e), 0);
	struct events v = {0};
	dbuf_init(&v.text, 0);
	struct canary_run *r = canary_run_new(f->ws, &base, on_event, &v);
	kube_watchset_step(f->ws, now_ms());
	assert_true(kube_watchset_pending(f->ws) > 0);
	canary_run_free(r);
	assert_int_equal(kube_watchset_pending(f->ws), 0);
	long long end = now_ms() + 600;
	while (now_ms() < end) {
		kube_watchset_poll(f->ws, NULL, 0, 50);
		kube_watchset_step(f->ws, now_ms());
	}
	assert_int_equal(v.text.len, 0);
	dbuf_free(&v.text);
	assert_int_equal(sim_faults_apply(f->s, "clear", &e), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_missing_deployment, setup,
						sim_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_canary_never_ready_aborts,
						setup, sim_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_foreign_selector_refused,
						setup, sim_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_free_in_flight, setup,
						sim_fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
