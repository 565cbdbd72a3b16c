/* test_sim_pure.c - the simulated cluster's pure parts: image reference
 * normalisation and the registry, the pod-template-hash, the rolling-update
 * arithmetic of IntOrString values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "kube/sim/sim.h"

static void check_norm(const char *in, const char *want)
{
	char *got = sim_image_normalize(in);
	if (!want) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_normalize(void **state)
{
	(void)state;
	check_norm("nginx", "docker.io/library/nginx:latest");
	check_norm("nginx:1.25", "docker.io/library/nginx:1.25");
	check_norm("docker.io/library/nginx", "docker.io/library/nginx:latest");
	check_norm("index.docker.io/library/nginx:1.25",
		   "docker.io/library/nginx:1.25");
	check_norm("bitnami/redis", "docker.io/bitnami/redis:latest");
	check_norm("registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.9");
	check_norm("localhost:5000/m:v1", "localhost:5000/m:v1");
	check_norm("localhost/m", "localhost/m:latest");
	check_norm("ghcr.io/example/missing:1.0", "ghcr.io/example/missing:1.0");
	check_norm("nginx@sha256:abc", "docker.io/library/nginx@sha256:abc");
	check_norm("", NULL);
	check_norm("nginx:", NULL);
	check_norm("ng inx", NULL);
	check_norm(NULL, NULL);
}

static void test_registry(void **state)
{
	(void)state;
	struct sim_registry *r = sim_registry_new();
	const char *id = sim_registry_lookup(r, "nginx", NULL, NULL);
	assert_non_null(id);
	assert_true(!strncmp(id, "docker.io/library/nginx@sha256:", 31));
	assert_int_equal(strlen(id), 31 + 64);
	/* Same image under every spelling, same ID. */
	assert_ptr_equal(sim_registry_lookup(r, "docker.io/library/nginx:latest",
					     NULL, NULL), id);
	assert_non_null(sim_registry_lookup(r, "nginx:1.25", NULL, NULL));
	assert_non_null(sim_registry_lookup(r, "busybox", NULL, NULL));
	assert_non_null(sim_registry_lookup(r, "python:3.12", NULL, NULL));
	assert_non_null(sim_registry_lookup(r, SIM_RUNTIME_IMAGE, NULL, NULL));
	assert_non_null(sim_registry_lookup(r, "registry.k8s.io/pause:3.9",
					    NULL, NULL));
	assert_null(sim_registry_lookup(r, "nginx:0.0.0-nope", NULL, NULL));
	assert_null(sim_registry_lookup(r, "ghcr.io/example/missing:1.0",
					NULL, NULL));

	/* A model-server image holds its model's bytes; a push replaces. */
	const void *m;
	size_t n;
	assert_int_equal(sim_registry_add(r, "registry.local/models/mnist:v1",
					  "abc", 3), 0);
	assert_non_null(sim_registry_lookup(r, "registry.local/models/mnist:v1",
					    &m, &n));
	assert_int_equal(n, 3);
	assert_memory_equal(m, "abc", 3);
	assert_int_equal(sim_registry_add(r, "registry.local/models/mnist:v1",
					  "wxyz", 4), 0);
	sim_registry_lookup(r, "registry.local/models/mnist:v1", &m, &n);
	assert_int_equal(n, 4);
	assert_memory_equal(m, "wxyz", 4);
	sim_registry_lookup(r, "nginx", &m, &n);
	assert_null(m);
	assert_int_equal(n, 0);
	assert_int_equal(sim_registry_add(r, "bad ref", NULL, 0), -1);
	sim_registry_free(r);
	sim_registry_free(NULL);
}

static void test_safe_encode(void **state)
{
	(void)state;
	char out[16];
	/* '0' is 48, 48 % 27 = 21 -> '4'; '9' is 57 -> 3 -> 'f'. */
	sim_safe_encode("0123456789", out);
	assert_string_equal(out, "456789bcdf");
}

static void test_template_hash(void **state)
{
	(void)state;
	json_t *a = json_pack("{s:{s:{s:s}},s:{s:[{s:s,s:s}]}}", "metadata",
			      "labels", "app", "web", "spec", "containers",
			      "name", "nginx", "image", "nginx");
	json_t *b = json_pack("{s:{s:[{s:s,s:s}]},s:{s:{s:s}}}", "spec",
			      "containers", "image", "nginx", "name", "nginx",
			      "metadata", "labels", "app", "web");
	char ha[16], hb[16], hc[16], hd[16];
	sim_template_hash(a, -1, ha);
	sim_template_hash(b, -1, hb);
	/* Key order does not matter; only the safe alphabet is used. */
	assert_string_equal(ha, hb);
	assert_true(strlen(ha) >= 1 && strlen(ha) <= 10);
	for (const char *p = ha; *p; p++)
		assert_non_null(strchr("bcdfghjklmnpqrstvwxz2456789", *p));
	/* A collision count changes the hash, as does the image. */
	sim_template_hash(a, 1, hc);
	assert_string_not_equal(ha, hc);
	json_object_set_new(json_array_get(json_object_get(
				    json_object_get(a, "spec"), "containers"), 0),
			    "image", json_string("nginx:1.25"));
	sim_template_hash(a, -1, hd);
	assert_string_not_equal(ha, hd);
	json_decref(a);
	json_decref(b);
}

static void test_intstr(void **state)
{
	(void)state;
	json_t *p25 = json_string("25%"), *i2 = json_integer(2);
	json_t *p0 = json_string("0%"), *i0 = json_integer(0);
	/* 25% of 3: surge rounds up to 1, unavailable down to 0. */
	assert_int_equal(sim_intstr_scaled(p25, 3, 1, 0), 1);
	assert_int_equal(sim_intstr_scaled(p25, 3, 0, 0), 0);
	assert_int_equal(sim_intstr_scaled(p25, 10, 1, 0), 3);
	assert_int_equal(sim_intstr_scaled(p25, 10, 0, 0), 2);
	assert_int_equal(sim_intstr_scaled(i2, 10, 0, 0), 2);
	assert_int_equal(sim_intstr_scaled(NULL, 10, 0, 7), 7);
	int s, u;
	sim_fenceposts(p25, p25, 3, &s, &u);
	assert_int_equal(s, 1);
	assert_int_equal(u, 0);
	sim_fenceposts(p25, p25, 4, &s, &u);
	assert_int_equal(s, 1);
	assert_int_equal(u, 1);
	/* Both zero: one may be unavailable, or no rollout could progress. */
	sim_fenceposts(p0, i0, 5, &s, &u);
	assert_int_equal(s, 0);
	assert_int_equal(u, 1);
	json_decref(p25);
	json_decref(i2);
	json_decref(p0);
	json_decref(i0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_safe_encode),
		cmocka_unit_test(test_template_hash),
		cmocka_unit_test(test_intstr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
