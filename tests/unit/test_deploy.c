/* test_deploy.c - the model server's manifests: validation with the fix,
 * the least-privilege pod, probes, track labels that keep a canary apart,
 * and YAML that keeps strings strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube.h"

static struct kube_deploy_opts base(void)
{
	struct kube_deploy_opts o = { .name = "fashion", .image = "registry.local:5000/models/fashion:1",
				      .replicas = 3, .port = 8080 };
	return o;
}

static void expect_invalid(struct kube_deploy_opts o, const char *want)
{
	struct perr e = { { 0 } };
	assert_int_equal(kube_deploy_validate(&o, &e), -1);
	if (!strstr(e.msg, want))
		fail_msg("got '%s', want '%s'", e.msg, want);
}

static void test_validation(void **state)
{
	(void)state;
	struct kube_deploy_opts o = base();
	struct perr e = { { 0 } };
	assert_int_equal(kube_deploy_validate(&o, &e), 0);
	o.name = "ai_model";
	expect_invalid(o, "use `ai-model`");
	o = base();
	o.name = "1model"; /* a fine Deployment name, but not a Service name */
	expect_invalid(o, "Service");
	o = base();
	o.image = "Registry/UPPER:1";
	expect_invalid(o, "image");
	o = base();
	o.cpu = "half";
	expect_invalid(o, "quantit");
	o = base();
	o.service_type = "External";
	expect_invalid(o, "--service-type must be ClusterIP, NodePort or LoadBalancer");
	o = base();
	o.port = 70000;
	expect_invalid(o, "--port");
	o = base();
	o.model_sha256 = "abc";
	expect_invalid(o, "64 lower-case hex");
}

static const char *str_at(json_t *root, const char *path)
{
	json_t *v = root;
	char *copy = strdup(path), *save = NULL;
	for (char *tok = strtok_r(copy, ".", &save); tok && v; tok = strtok_r(NULL, ".", &save)) {
		if (json_is_array(v))
			v = json_array_get(v, (size_t)atoi(tok));
		else
			v = json_object_get(v, tok);
	}
	free(copy);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void test_deployment_shape(void **state)
{
	(void)state;
	struct kube_deploy_opts o = base();
	o.model_sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	json_t *d = kube_deploy_deployment(&o);
	json_t *spec = json_object_get(d, "spec");
	assert_int_equal(json_integer_value(json_object_get(spec, "replicas")), 3);
	json_t *ru = json_object_get(json_object_get(spec, "strategy"), "rollingUpdate");
	assert_int_equal(json_integer_value(json_object_get(ru, "maxUnavailable")), 0);
	json_t *ml = json_object_get(json_object_get(spec, "selector"), "matchLabels");
	assert_string_equal(json_string_value(json_object_get(ml, "podium.dev/track")), "stable");
	json_t *tl = json_object_get(json_object_get(json_object_get(spec, "template"), "metadata"), "labels");
	assert_int_equal(strlen(json_string_value(json_object_get(tl, "podium.dev/model-sha256"))), 32);
	assert_memory_equal(json_string_value(json_object_get(tl, "podium.dev/model-sha256")), o.model_sha256, 32);
	json_t *ann = json_object_get(json_object_get(d, "metadata"), "annotations");
	assert_string_equal(json_string_value(json_object_get(ann, "podium.dev/model-sha256")), o.model_sha256);
	/* every label value passes the API server's rule */
	const char *key;
	json_t *val;
	json_object_foreach(tl, key, val) {
		struct perr le = { { 0 } };
		assert_int_equal(kube_validate_label(key, json_string_value(val), &le), 0);
	}
	assert_string_equal(json_string_value(json_object_get(tl, "podium.dev/track")), "stable");
	json_t *c = json_array_get(json_object_get(json_object_get(json_object_get(spec, "template"), "spec"), "containers"), 0);
	assert_string_equal(str_at(c, "readinessProbe.httpGet.path"), "/v2/health/ready");
	assert_string_equal(str_at(c, "livenessProbe.httpGet.path"), "/v2/health/live");
	assert_string_equal(str_at(c, "securityContext.capabilities.drop.0"), "ALL");
	assert_true(json_is_false(json_object_get(json_object_get(c, "securityContext"), "allowPrivilegeEscalation")));
	assert_true(json_is_true(json_object_get(json_object_get(c, "securityContext"), "readOnlyRootFilesystem")));
	assert_string_equal(str_at(c, "resources.limits.memory"), "256Mi");
	assert_string_equal(str_at(c, "args.0"), KUBE_MODEL_PATH);
	json_decref(d);

	/* the canary: its own name and track; the Service selects both */
	o.canary = 1;
	d = kube_deploy_deployment(&o);
	assert_string_equal(str_at(d, "metadata.name"), "fashion-canary");
	ml = json_object_get(json_object_get(json_object_get(d, "spec"), "selector"), "matchLabels");
	assert_string_equal(json_string_value(json_object_get(ml, "podium.dev/track")), "canary");
	json_decref(d);
	json_t *s = kube_deploy_service(&o);
	json_t *sel = json_object_get(json_object_get(s, "spec"), "selector");
	assert_int_equal(json_object_size(sel), 1);
	assert_string_equal(json_string_value(json_object_get(sel, "app.kubernetes.io/name")), "fashion");
	json_decref(s);
}

static void test_yaml(void **state)
{
	(void)state;
	struct kube_deploy_opts o = base();
	struct perr e = { { 0 } };
	char *y = kube_deploy_yaml(&o, &e);
	assert_non_null(y);
	assert_non_null(strstr(y, "kind: Deployment\n"));
	assert_non_null(strstr(y, "\n---\napiVersion: v1\nkind: Service\n"));
	assert_non_null(strstr(y, "- \"8080\"\n")); /* a string arg stays a string */
	assert_non_null(strstr(y, "containerPort: 8080\n"));
	assert_non_null(strstr(y, "automountServiceAccountToken: false\n"));
	free(y);

	json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:n, s:s}", "a", "true", "b", "1.5", "c", "",
				"d", "two\nlines", "e", "plain", "f", "g", "null");
	y = kube_json_to_yaml(doc, &e);
	assert_non_null(y);
	assert_non_null(strstr(y, "a: \"true\"\n"));
	assert_non_null(strstr(y, "b: \"1.5\"\n"));
	assert_non_null(strstr(y, "c: \"\"\n"));
	assert_non_null(strstr(y, "e: plain\n"));
	assert_non_null(strstr(y, "f: null\n"));
	assert_non_null(strstr(y, "g: \"null\"\n"));
	free(y);
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validation),
		cmocka_unit_test(test_deployment_shape),
		cmocka_unit_test(test_yaml),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
