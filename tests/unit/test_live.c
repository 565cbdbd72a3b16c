/* test_live.c - the pure parts of live predict-and-compare and gated
 * rollouts: the v2 request body, reading the answer's probabilities (and
 * refusing what is not one), latency percentiles, what a rollout reads of
 * a model Deployment, and the simulated builder's reading of exactly the
 * Job `podium build` makes (pushed reference, checksum). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube.h"
#include "kube/sim/world.h"

static void test_body(void **state)
{
	(void)state;
	const unsigned char pix[8] = {0, 1, 2, 255, 9, 8, 7, 6};
	char *b = kube_live_body(pix, 2, 2, 2);
	assert_string_equal(
		b, "{\"inputs\":[{\"name\":\"input\",\"shape\":[2,2,2],"
		   "\"datatype\":\"UINT8\",\"data\":[0,1,2,255,9,8,7,6]}],"
		   "\"outputs\":[{\"name\":\"probabilities\"}]}");
	free(b);
}

static void test_parse(void **state)
{
	(void)state;
	const char *ok = "{\"model_name\":\"A\",\"outputs\":[{\"name\":"
			 "\"label\",\"shape\":[2],"
			 "\"datatype\":\"INT64\",\"data\":[1,0]},{\"name\":"
			 "\"probabilities\","
			 "\"shape\":[2,3],\"datatype\":\"FP32\",\"data\":[0.1,"
			 "0.7,0.2,0.5,0.25,0.25]}]}";
	float p[6] = {0};
	struct perr e = {{0}};
	assert_int_equal(kube_live_parse(ok, strlen(ok), 2, 3, p, &e), 0);
	assert_true(p[1] > 0.69f && p[1] < 0.71f);
	assert_true(p[3] > 0.49f && p[3] < 0.51f);
	/* the wrong number of images or classes */
	struct perr e2 = {{0}};
	assert_int_equal(kube_live_parse(ok, strlen(ok), 3, 3, p, &e2), -1);
	assert_non_null(strstr(e2.msg, "shape [3,3]"));
	struct perr e3 = {{0}};
	assert_int_equal(kube_live_parse(ok, strlen(ok), 2, 10, p, &e3), -1);
	/* shape and data disagree */
	const char *short_data =
		"{\"outputs\":[{\"name\":\"probabilities\",\"shape\":[1,2],"
		"\"data\":[0.5]}]}";
	struct perr e4 = {{0}};
	assert_int_equal(
		kube_live_parse(short_data, strlen(short_data), 1, 2, p, &e4),
		-1);
	assert_non_null(strstr(e4.msg, "holds 1 probabilities"));
	const char *str =
		"{\"outputs\":[{\"name\":\"probabilities\",\"shape\":[1,2],"
		"\"data\":[0.5,\"x\"]}]}";
	struct perr e5 = {{0}};
	assert_int_equal(kube_live_parse(str, strlen(str), 1, 2, p, &e5), -1);
	assert_non_null(strstr(e5.msg, "not a number"));
	const char *none = "{\"outputs\":[{\"name\":\"label\",\"shape\":[1],"
			   "\"data\":[1]}]}";
	struct perr e6 = {{0}};
	assert_int_equal(kube_live_parse(none, strlen(none), 1, 2, p, &e6), -1);
	assert_non_null(strstr(e6.msg, "no \"probabilities\""));
	struct perr e7 = {{0}};
	assert_int_equal(kube_live_parse("<html>", 6, 1, 2, p, &e7), -1);
	assert_non_null(strstr(e7.msg, "not JSON"));
}

static void test_percentile(void **state)
{
	(void)state;
	const double v[5] = {50, 10, 30, 20, 40};
	assert_true(kube_live_percentile(v, 5, 50) == 30);
	assert_true(kube_live_percentile(v, 5, 99) == 50);
	assert_true(kube_live_percentile(v, 5, 0) == 10);
	assert_true(kube_live_percentile(v, 5, 20) == 10);
	assert_true(kube_live_percentile(v, 5, 21) == 20);
	assert_true(kube_live_percentile(v, 0, 50) == 0);
	/* the input is left as it was */
	assert_true(v[0] == 50 && v[4] == 40);
}

static void test_canary_info(void **state)
{
	(void)state;
	const char *sha = "0fc4f2ac6ccbfa73ccf330934e310da195baab530a7e6a473c7c"
			  "09a3d83d1048";
	struct kube_deploy_opts o = {.name = "fash",
				     .namespace = "models",
				     .image = "registry.local/models/a:2",
				     .model = "A",
				     .model_sha256 = sha,
				     .replicas = 3,
				     .port = 9000,
				     .canary = 1};
	json_t *d = kube_deploy_deployment(&o);
	struct kube_canary_info in;
	kube_canary_info_from(d, &in);
	assert_int_equal(in.exists, 1);
	assert_string_equal(in.image, "registry.local/models/a:2");
	assert_string_equal(in.model, "A");
	assert_string_equal(in.sha256, sha);
	assert_int_equal(in.port, 9000);
	assert_int_equal(in.replicas, 3);
	assert_int_equal(in.ready, 0);
	json_decref(d);
	kube_canary_info_from(NULL, &in);
	assert_int_equal(in.exists, 0);
	assert_int_equal(in.port, 8080);
}

/* The simulated builder reads what podium build writes. */
static void test_builder_reads_build_job(void **state)
{
	(void)state;
	const char *sha = "00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff"
			  "00ff00ffabcd";
	const char *builders[] = {NULL, "kaniko"};
	for (int k = 0; k < 2; k++) {
		struct kube_build_opts o = {
			.id = "x7k2p",
			.namespace = "models",
			.image = "registry.local:5000/models/fashion:2",
			.builder = builders[k],
			.model_sha256 = sha};
		json_t *job = kube_build_job(&o, 3 * KUBE_BUILD_CHUNK);
		json_t *spec = json_object_get(
			json_object_get(json_object_get(job, "spec"),
					"template"),
			"spec");
		json_t *init = json_array_get(
			json_object_get(spec, "initContainers"), 0);
		json_t *ctr =
			json_array_get(json_object_get(spec, "containers"), 0);
		char got[65];
		assert_int_equal(sim_builder_checksum(init, got), 0);
		assert_string_equal(got, sha);
		char *ref = sim_builder_ref(ctr, k);
		assert_non_null(ref);
		assert_string_equal(ref,
				    "registry.local:5000/models/fashion:2");
		free(ref);
		/* the other builder's flags name nothing */
		assert_null(sim_builder_ref(ctr, !k));
		json_decref(job);
	}
	json_t *plain =
		json_pack("{s:[s, s, s]}", "command", "sh", "-c", "echo hi");
	char got[65];
	assert_int_equal(sim_builder_checksum(plain, got), -1);
	json_decref(plain);
	json_t *sep = json_pack("{s:[s, s]}", "args", "-d", "r.io/x:1");
	char *ref = sim_builder_ref(sep, 1);
	assert_string_equal(ref, "r.io/x:1");
	free(ref);
	json_decref(sep);
}

/* A model pod is ready only when its readiness probe reaches the server. */
static void test_probe(void **state)
{
	(void)state;
	struct kube_deploy_opts o = {.name = "fash",
				     .image = "registry.local/models/a:1",
				     .model = "A",
				     .replicas = 1,
				     .port = 8080};
	json_t *d = kube_deploy_deployment(&o);
	json_t *ctr = json_array_get(
		json_object_get(
			json_object_get(
				json_object_get(json_object_get(d, "spec"),
						"template"),
				"spec"),
			"containers"),
		0);
	json_t *ready = json_object_get(ctr, "readinessProbe");
	json_t *live = json_object_get(ctr, "livenessProbe");
	/* what podium deploy writes passes (port by name) */
	assert_true(sim_modelpod_probe_ok(ctr, ready));
	assert_true(sim_modelpod_probe_ok(ctr, live));
	assert_true(sim_modelpod_probe_ok(ctr, NULL));
	json_t *get = json_object_get(ready, "httpGet");
	json_object_set_new(get, "port", json_integer(8080));
	assert_true(sim_modelpod_probe_ok(ctr, ready));
	json_object_set_new(get, "path", json_string("/v2/models/A/ready"));
	assert_true(sim_modelpod_probe_ok(ctr, ready));
	/* another model's path, another port, a port name it lacks: never */
	json_object_set_new(get, "path", json_string("/v2/models/B/ready"));
	assert_false(sim_modelpod_probe_ok(ctr, ready));
	json_object_set_new(get, "path", json_string("/healthz"));
	assert_false(sim_modelpod_probe_ok(ctr, ready));
	json_object_set_new(get, "path", json_string("/v2/health/ready"));
	json_object_set_new(get, "port", json_integer(80));
	assert_false(sim_modelpod_probe_ok(ctr, ready));
	json_object_set_new(get, "port", json_string("metrics"));
	assert_false(sim_modelpod_probe_ok(ctr, ready));
	json_decref(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_body),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_percentile),
		cmocka_unit_test(test_canary_info),
		cmocka_unit_test(test_builder_reads_build_job),
		cmocka_unit_test(test_probe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
