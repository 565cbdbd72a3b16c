/* test_sim_openapi.c - the OpenAPI documents: what kubectl's
 * fieldValidation verifier and `kubectl explain` look for, and that every
 * reference resolves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "kube/sim/sim.h"

/* Every "$ref" under v names a definition in defs. */
static void check_refs(const json_t *v, const json_t *defs, const char *prefix)
{
	if (json_is_object(v)) {
		const char *k;
		json_t *x;
		json_object_foreach((json_t *)v, k, x) {
			if (!strcmp(k, "$ref")) {
				const char *r = json_string_value(x);
				assert_non_null(r);
				assert_true(!strncmp(r, prefix, strlen(prefix)));
				if (!json_object_get(defs, r + strlen(prefix)))
					fail_msg("dangling $ref %s", r);
			} else {
				check_refs(x, defs, prefix);
			}
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) check_refs(x, defs, prefix);
	}
}

/* hasGVKExtensionV3 from cli-runtime: the PATCH operation of the kind's
 * path, then a query parameter named fieldValidation. 1 found, 0 path
 * found without the parameter, -1 no path. */
static int verifier_finds(const json_t *paths, const char *group, const char *version, const char *kind, const char *param)
{
	const char *p;
	json_t *path;
	json_object_foreach((json_t *)paths, p, path) {
		json_t *op = json_object_get(path, "patch");
		if (!op)
			continue;
		json_t *g = json_object_get(op, "x-kubernetes-group-version-kind");
		if (strcmp(json_string_value(json_object_get(g, "group")), group) ||
		    strcmp(json_string_value(json_object_get(g, "version")), version) ||
		    strcmp(json_string_value(json_object_get(g, "kind")), kind))
			continue;
		size_t i;
		json_t *prm;
		json_array_foreach(json_object_get(op, "parameters"), i, prm)
			if (!strcmp(json_string_value(json_object_get(prm, "name")), param) &&
			    !strcmp(json_string_value(json_object_get(prm, "in")), "query"))
				return 1;
		return 0;
	}
	return -1;
}

static void test_v3(void **state)
{
	(void)state;
	json_t *idx = sim_openapi_v3_index();
	json_t *paths = json_object_get(idx, "paths");
	const char *gvs[] = { "api/v1", "apis/apps/v1", "apis/batch/v1" };
	for (size_t i = 0; i < 3; i++) {
		const char *url = json_string_value(json_object_get(json_object_get(paths, gvs[i]), "serverRelativeURL"));
		assert_non_null(url);
		char want[64];
		snprintf(want, sizeof want, "/openapi/v3/%s?hash=", gvs[i]);
		assert_true(!strncmp(url, want, strlen(want)));
		assert_int_equal(strlen(url), strlen(want) + 16);
	}
	/* metrics has no schema, so no document is listed */
	assert_null(json_object_get(paths, "apis/metrics.k8s.io/v1beta1"));
	json_decref(idx);

	json_t *doc = sim_openapi_v3("apis/apps/v1");
	assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.0.0");
	json_t *schemas = json_object_get(json_object_get(doc, "components"), "schemas");
	check_refs(doc, schemas, "#/components/schemas/");
	json_t *dep = json_object_get(schemas, "io.k8s.api.apps.v1.Deployment");
	assert_non_null(dep);
	json_t *g = json_array_get(json_object_get(dep, "x-kubernetes-group-version-kind"), 0);
	assert_string_equal(json_string_value(json_object_get(g, "group")), "apps");
	assert_string_equal(json_string_value(json_object_get(g, "kind")), "Deployment");
	json_t *spec = json_object_get(json_object_get(dep, "properties"), "spec");
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(spec, "allOf"), 0), "$ref")),
			    "#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec");
	assert_non_null(json_object_get(spec, "description"));
	/* what kubectl explain deployment.spec prints from */
	json_t *ds = json_object_get(json_object_get(schemas, "io.k8s.api.apps.v1.DeploymentSpec"), "properties");
	assert_non_null(json_object_get(ds, "replicas"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(ds, "replicas"), "type")), "integer");
	assert_non_null(json_object_get(json_object_get(ds, "strategy"), "x-kubernetes-patch-strategy"));
	json_t *ctrs = json_object_get(json_object_get(json_object_get(schemas, "io.k8s.api.core.v1.PodSpec"), "properties"), "containers");
	assert_string_equal(json_string_value(json_object_get(ctrs, "x-kubernetes-patch-merge-key")), "name");
	assert_string_equal(json_string_value(json_object_get(ctrs, "x-kubernetes-list-type")), "map");
	json_t *ports = json_object_get(json_object_get(json_object_get(schemas, "io.k8s.api.core.v1.Container"), "properties"), "ports");
	json_t *keys = json_object_get(ports, "x-kubernetes-list-map-keys");
	assert_int_equal(json_array_size(keys), 2);
	assert_string_equal(json_string_value(json_array_get(keys, 1)), "protocol");
	assert_non_null(json_object_get(schemas, "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(schemas, "io.k8s.apimachinery.pkg.util.intstr.IntOrString"), "format")), "int-or-string");
	/* kubectl's verifier finds fieldValidation and dryRun */
	json_t *dpaths = json_object_get(doc, "paths");
	assert_int_equal(verifier_finds(dpaths, "apps", "v1", "Deployment", "fieldValidation"), 1);
	assert_int_equal(verifier_finds(dpaths, "apps", "v1", "ReplicaSet", "dryRun"), 1);
	assert_int_equal(verifier_finds(dpaths, "batch", "v1", "Job", "fieldValidation"), -1);
	assert_non_null(json_object_get(dpaths, "/apis/apps/v1/namespaces/{namespace}/deployments/{name}"));
	json_decref(doc);

	doc = sim_openapi_v3("api/v1");
	dpaths = json_object_get(doc, "paths");
	assert_int_equal(verifier_finds(dpaths, "", "v1", "Pod", "fieldValidation"), 1);
	assert_int_equal(verifier_finds(dpaths, "", "v1", "Namespace", "fieldValidation"), 1);
	assert_non_null(json_object_get(dpaths, "/api/v1/nodes/{name}"));
	assert_null(json_object_get(json_object_get(json_object_get(doc, "components"), "schemas"), "io.k8s.api.apps.v1.Deployment"));
	check_refs(doc, json_object_get(json_object_get(doc, "components"), "schemas"), "#/components/schemas/");
	json_decref(doc);
	assert_null(sim_openapi_v3("apis/nope/v1"));
	assert_null(sim_openapi_v3(NULL));
}

static void test_v2(void **state)
{
	(void)state;
	json_t *doc = sim_openapi_v2();
	assert_string_equal(json_string_value(json_object_get(doc, "swagger")), "2.0");
	json_t *defs = json_object_get(doc, "definitions");
	check_refs(doc, defs, "#/definitions/");
	const char *kinds[] = { "io.k8s.api.core.v1.Pod", "io.k8s.api.apps.v1.Deployment", "io.k8s.api.apps.v1.ReplicaSet",
				"io.k8s.api.batch.v1.Job", "io.k8s.api.core.v1.Service", "io.k8s.api.core.v1.ConfigMap",
				"io.k8s.api.core.v1.Secret", "io.k8s.api.core.v1.Namespace", "io.k8s.api.core.v1.Node",
				"io.k8s.api.core.v1.Event", "io.k8s.api.core.v1.Endpoints" };
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		json_t *d = json_object_get(defs, kinds[i]);
		if (!d)
			fail_msg("no %s", kinds[i]);
		assert_int_equal(json_array_size(json_object_get(d, "x-kubernetes-group-version-kind")), 1);
	}
	json_t *spec = json_object_get(json_object_get(json_object_get(defs, "io.k8s.api.apps.v1.Deployment"), "properties"), "spec");
	assert_string_equal(json_string_value(json_object_get(spec, "$ref")), "#/definitions/io.k8s.api.apps.v1.DeploymentSpec");
	json_t *paths = json_object_get(doc, "paths");
	assert_int_equal(verifier_finds(paths, "apps", "v1", "Deployment", "fieldValidation"), 1);
	assert_int_equal(verifier_finds(paths, "batch", "v1", "Job", "fieldValidation"), 1);
	json_t *patch = json_object_get(json_object_get(paths, "/apis/apps/v1/namespaces/{namespace}/deployments/{name}"), "patch");
	assert_int_equal(json_array_size(json_object_get(patch, "consumes")), 4);
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v3),
		cmocka_unit_test(test_v2),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
