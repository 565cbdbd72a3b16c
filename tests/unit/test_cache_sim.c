/* test_cache_sim.c - the list/watch cache against the simulated cluster,
 * in process, while ConfigMaps are created, changed and deleted and the
 * cluster drops watches, expires resourceVersions (410), fails requests
 * with 500 and answers 429 with Retry-After. Afterwards the cache must
 * equal a fresh LIST: nothing lost, nothing phantom, nothing twice. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube.h"
#include "kube/sim/sim.h"

/* A request whose failure is expected under faults: the truth is the
 * final LIST, not what each mutation returned. */
static void mutate(struct kube_client *c, unsigned long long *rng)
{
	*rng ^= *rng << 13;
	*rng ^= *rng >> 7;
	*rng ^= *rng << 17;
	int n = (int)(*rng % 30);
	int op = (int)((*rng >> 8) % 3);
	struct kube_response r = { 0 };
	struct perr e = { { 0 } };
	char path[128], body[256];
	if (op == 2) {
		snprintf(path, sizeof path, "/api/v1/namespaces/default/configmaps/cm-%d", n);
		kube_request(c, "DELETE", path, NULL, NULL, NULL, 0, &r, &e);
	} else {
		snprintf(body, sizeof body,
			 "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm-%d\"},"
			 "\"data\":{\"v\":\"%llu\"}}", n, *rng % 1000);
		if (op == 0) {
			kube_request(c, "POST", "/api/v1/namespaces/default/configmaps", NULL,
				     "application/json", body, strlen(body), &r, &e);
		} else {
			snprintf(path, sizeof path, "/api/v1/namespaces/default/configmaps/cm-%d", n);
			kube_request(c, "PATCH", path, NULL, "application/merge-patch+json", body,
				     strlen(body), &r, &e);
		}
	}
	kube_response_free(&r);
}

static void run_for(struct kube_watchset *ws, long long ms)
{
	long long end = now_ms() + ms;
	while (now_ms() < end) {
		kube_watchset_poll(ws, NULL, 0, 10);
		kube_watchset_step(ws, now_ms());
	}
}

static void test_cache_equals_fresh_list(void **state)
{
	(void)state;
	struct perr e = { { 0 } };
	struct sim_opts so = { .speed = 1, .seed = 7 };
	struct sim *s = sim_new(&so, &e);
	assert_non_null(s);
	struct sim_server_opts svo = { .listen = "127.0.0.1:0" };
	struct sim_server *srv = sim_server_start(s, &svo, &e);
	if (!srv)
		fail_msg("%s", e.msg);
	struct kube_conn *conn = xcalloc(1, sizeof *conn);
	conn->context = xstrdup("sim");
	conn->cluster = xstrdup("sim");
	conn->namespace = xstrdup("default");
	conn->server = xstrdup(sim_server_url(srv));
	struct kube_client_opts co = { .timeout_ms = 5000 };
	struct kube_client *c = kube_client_new(conn, &co, &e);
	assert_non_null(c);
	struct kube_watchset *ws = kube_watchset_new(c);
	struct kube_cache_spec spec = { .path = "/api/v1/configmaps", .page_limit = 7, .seed = 3,
					.backoff_initial_ms = 20, .backoff_max_ms = 200 };
	struct kube_cache *cache = kube_watchset_add(ws, &spec);

	static const char *const faults[] = {
		"drop-watches", "expire-watches", "errors=30%", "clear", "throttle=0.3",
		"drop-watches", "expire-watches,drop-watches", "errors=50%", "clear",
	};
	unsigned long long rng = 88172645463325252ULL;
	for (size_t f = 0; f < sizeof faults / sizeof faults[0]; f++) {
		for (int i = 0; i < 8; i++) {
			mutate(c, &rng);
			run_for(ws, 20);
		}
		assert_int_equal(sim_faults_apply(s, faults[f], &e), 0);
		run_for(ws, 150);
	}
	assert_int_equal(sim_faults_apply(s, "clear", &e), 0);
	/* Settle: no more changes; the cache catches up and goes live. */
	long long end = now_ms() + 8000;
	while (now_ms() < end && kube_cache_state(cache) != KUBE_CACHE_LIVE)
		run_for(ws, 50);
	run_for(ws, 500);
	assert_int_equal(kube_cache_state(cache), KUBE_CACHE_LIVE);
	unsigned long long relists, reconnects;
	kube_cache_stats(cache, &relists, &reconnects);
	assert_true(relists >= 1);    /* the 410s were seen */
	print_message("relists %llu, reconnects %llu\n", relists, reconnects);

	struct kube_response r = { 0 };
	assert_int_equal(kube_request(c, "GET", "/api/v1/configmaps", NULL, NULL, NULL, 0, &r, &e), 0);
	json_t *list = json_loadb(r.body, r.len, 0, NULL);
	kube_response_free(&r);
	json_t *items = json_object_get(list, "items");
	size_t i;
	json_t *it;
	size_t ours = 0;
	json_array_foreach(items, i, it) {
		json_t *m = json_object_get(it, "metadata");
		const char *ns = json_string_value(json_object_get(m, "namespace"));
		const char *name = json_string_value(json_object_get(m, "name"));
		const struct kube_item *ci = kube_cache_get(cache, ns, name);
		if (!ci)
			fail_msg("%s/%s is missing from the cache", ns, name);
		assert_string_equal(ci->rv, json_string_value(json_object_get(m, "resourceVersion")));
		ours += strncmp(name, "cm-", 3) == 0;
	}
	/* As many as the server holds, each once: nothing phantom. */
	assert_int_equal(kube_cache_count(cache), json_array_size(items));
	assert_true(ours > 0);
	json_decref(list);
	kube_watchset_free(ws);
	kube_client_free(c);
	sim_server_stop(srv);
	sim_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache_equals_fresh_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
