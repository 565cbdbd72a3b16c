/* test_sim_validate.c - the simulated server's 422s, compared field by
 * field with the real server's (tests/data/sim/status-422-*.json). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "kube/sim/sim.h"

static const struct sim_kind deploy_kind = { "apps", "v1", "Deployment", "deployments", "deployment", "deploy", 1, "", "all", 1, 1, NULL, 0, NULL };
static const struct sim_kind svc_kind = { "", "v1", "Service", "services", "service", "svc", 1, "", "all", 0, 0, NULL, 0, NULL };
static const struct sim_kind ns_kind = { "", "v1", "Namespace", "namespaces", "namespace", "ns", 0, "", NULL, 1, 0, NULL, 0, NULL };
static const struct sim_kind job_kind = { "batch", "v1", "Job", "jobs", "job", "", 1, "", "all", 1, 0, NULL, 0, NULL };
static const struct sim_kind cm_kind = { "", "v1", "ConfigMap", "configmaps", "configmap", "cm", 1, "", NULL, 0, 0, NULL, 0, NULL };
static const struct sim_kind pod_kind = { "", "v1", "Pod", "pods", "pod", "po", 1, "", "all", 1, 0, NULL, 0, NULL };

static json_t *load(const char *path)
{
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	if (!j)
		fail_msg("%s: %s", path, je.text);
	return j;
}

static json_t *parse(const char *s)
{
	json_error_t je;
	json_t *j = json_loads(s, 0, &je);
	if (!j)
		fail_msg("%s: %s", s, je.text);
	return j;
}

/* The Status the server would send for st, built as the real one is. */
static json_t *status_of(struct sim_status *st)
{
	return json_pack("{s:s,s:s,s:{},s:s,s:s,s:s,s:O,s:i}", "kind", "Status",
			 "apiVersion", "v1", "metadata", "status", "Failure",
			 "message", st->message, "reason", st->reason, "details",
			 st->details, "code", st->code);
}

static void assert_json_equal(json_t *got, json_t *want)
{
	if (!json_equal(got, want)) {
		char *g = json_dumps(got, JSON_SORT_KEYS);
		char *w = json_dumps(want, JSON_SORT_KEYS);
		fail_msg("got  %s\nwant %s", g, w);
	}
}

static void test_invalid_name_fixture(void **state)
{
	(void)state;
	json_t *obj = load("tests/data/sim/create-ai_model.json");
	json_t *want = load("tests/data/sim/status-422-invalid-name.json");
	struct sim_status st = { 0 };
	assert_int_equal(sim_validate(&deploy_kind, obj, NULL, &st), -1);
	json_t *got = status_of(&st);
	assert_json_equal(got, want);
	json_decref(got);
	json_decref(want);
	json_decref(st.details);
	/* the same object named ai-model passes */
	json_object_set_new(json_object_get(obj, "metadata"), "name", json_string("ai-model"));
	memset(&st, 0, sizeof st);
	assert_int_equal(sim_validate(&deploy_kind, obj, NULL, &st), 0);
	assert_int_equal(st.code, 0);
	json_decref(obj);
}

/* kubectl applied the full manifest, then the partial one (only
 * spec.replicas) with force: SSA removed selector and template, and the
 * update fails with 4 causes. */
static void test_ssa_partial_fixture(void **state)
{
	(void)state;
	json_t *old = load("tests/data/sim/ssa-apply-force-ok.json");
	json_t *want = load("tests/data/sim/status-422-ssa-same-manager-partial.json");
	json_t *obj = json_deep_copy(old);
	json_t *spec = json_object_get(obj, "spec");
	json_object_del(spec, "selector");
	json_object_del(spec, "template");
	struct sim_status st = { 0 };
	assert_int_equal(sim_validate(&deploy_kind, obj, old, &st), -1);
	json_t *got = status_of(&st);
	assert_json_equal(got, want);
	json_decref(got);
	json_decref(want);
	json_decref(st.details);
	json_decref(obj);
	json_decref(old);
}

static void expect(const struct sim_kind *k, const char *obj_json,
		   const char *old_json, const char *message)
{
	json_t *obj = parse(obj_json);
	json_t *old = old_json ? parse(old_json) : NULL;
	struct sim_status st = { 0 };
	int rc = sim_validate(k, obj, old, &st);
	if (!message) {
		if (rc)
			fail_msg("unexpected: %s", st.message);
	} else {
		assert_int_equal(rc, -1);
		assert_int_equal(st.code, 422);
		assert_string_equal(st.reason, "Invalid");
		assert_string_equal(st.message, message);
	}
	json_decref(st.details);
	json_decref(obj);
	json_decref(old);
}

#define DEPLOY(spec) "{\"metadata\":{\"name\":\"web\"},\"spec\":" spec "}"
#define TMPL(labels, ctrs) "\"template\":{\"metadata\":{\"labels\":" labels "},\"spec\":{\"containers\":" ctrs "}}"

static void test_deployment_rules(void **state)
{
	(void)state;
	expect(&deploy_kind, DEPLOY("{\"replicas\":2,\"selector\":{\"matchLabels\":{\"app\":\"web\"}}," TMPL("{\"app\":\"web\"}", "[{\"name\":\"web\",\"image\":\"nginx\"}]") "}"), NULL, NULL);
	expect(&deploy_kind, DEPLOY("{\"replicas\":-1,\"selector\":{\"matchLabels\":{\"app\":\"web\"}}," TMPL("{\"app\":\"db\"}", "[{\"name\":\"Web\",\"image\":\"\"}]") "}"), NULL,
	       "Deployment.apps \"web\" is invalid: [spec.replicas: Invalid value: -1: must be greater than or equal to 0, "
	       "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"db\"}: `selector` does not match template `labels`, "
	       "spec.template.spec.containers[0].name: Invalid value: \"Web\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?'), "
	       "spec.template.spec.containers[0].image: Required value]");
	expect(&deploy_kind, DEPLOY("{\"selector\":{\"matchLabels\":{}}," TMPL("{\"app\":\"web\"}", "[{\"name\":\"a\",\"image\":\"x\"},{\"name\":\"a\",\"image\":\"x\"}]") "}"), NULL,
	       "Deployment.apps \"web\" is invalid: [spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment, "
	       "spec.template.spec.containers[1].name: Duplicate value: \"a\"]");
	expect(&deploy_kind, DEPLOY("{\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"strategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxUnavailable\":0,\"maxSurge\":0}}," TMPL("{\"app\":\"web\"}", "[{\"name\":\"a\",\"image\":\"x\",\"ports\":[{\"containerPort\":70000}]}]") "}"), NULL,
	       "Deployment.apps \"web\" is invalid: [spec.template.spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive, "
	       "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}: may not be 0 when `maxSurge` is 0]");
	expect(&deploy_kind, DEPLOY("{\"selector\":{\"matchLabels\":{\"app\":\"web\"}}," TMPL("{\"app\":\"web\"}", "[{\"name\":\"a\",\"image\":\"x\"}]") "}"),
	       DEPLOY("{\"selector\":{\"matchLabels\":{\"app\":\"old\"}}}"),
	       "Deployment.apps \"web\" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable");
	expect(&deploy_kind, "{\"metadata\":{\"generateName\":\"web-\",\"labels\":{\"bad key\":\"v\"}},\"spec\":{\"selector\":{\"matchLabels\":{\"a\":\"b\"}}," TMPL("{\"a\":\"b\"}", "[{\"name\":\"a\",\"image\":\"x\",\"resources\":{\"limits\":{\"cpu\":\"1\"},\"requests\":{\"cpu\":\"2\"}}}]") "}}", NULL,
	       "Deployment.apps \"\" is invalid: [metadata.labels: Invalid value: \"bad key\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'), "
	       "spec.template.spec.containers[0].resources.requests: Invalid value: \"2\": must be less than or equal to cpu limit]");
	expect(&deploy_kind, "{\"metadata\":{}}", NULL,
	       "Deployment.apps \"\" is invalid: [metadata.name: Required value: name or generateName is required, spec.selector: Required value, "
	       "spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`, spec.template.spec.containers: Required value]");
}

static void test_other_kinds(void **state)
{
	(void)state;
	expect(&svc_kind, "{\"metadata\":{\"name\":\"web.svc\"},\"spec\":{\"ports\":[{\"port\":80}]}}", NULL,
	       "Service \"web.svc\" is invalid: metadata.name: Invalid value: \"web.svc\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')");
	expect(&svc_kind, "{\"metadata\":{\"name\":\"web\"},\"spec\":{\"selector\":{\"app\":\"web\"}}}", NULL,
	       "Service \"web\" is invalid: spec.ports: Required value");
	expect(&svc_kind, "{\"metadata\":{\"name\":\"web\"},\"spec\":{\"ports\":[{\"port\":80},{\"name\":\"b\",\"port\":0}]}}", NULL,
	       "Service \"web\" is invalid: [spec.ports[0].name: Required value, spec.ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive]");
	expect(&ns_kind, "{\"metadata\":{\"name\":\"team.a\"}}", NULL,
	       "Namespace \"team.a\" is invalid: metadata.name: Invalid value: \"team.a\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
	expect(&job_kind, "{\"metadata\":{\"name\":\"train\"},\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"t\",\"image\":\"python\"}]}}}}", NULL,
	       "Job.batch \"train\" is invalid: spec.template.spec.restartPolicy: Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\"");
	expect(&job_kind, "{\"metadata\":{\"name\":\"train\"},\"spec\":{\"template\":{\"spec\":{\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"t\",\"image\":\"python\"}]}}}}", NULL, NULL);
	expect(&cm_kind, "{\"metadata\":{\"name\":\"cfg\"},\"data\":{\"ok.key\":\"1\",\"bad/key\":\"2\"}}", NULL,
	       "ConfigMap \"cfg\" is invalid: data[bad/key]: Invalid value: \"bad/key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')");
	expect(&pod_kind, "{\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\",\"env\":[{\"name\":\"1X\"}]}]}}", NULL,
	       "Pod \"p\" is invalid: spec.containers[0].env[0].name: Invalid value: \"1X\": a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')");
}

static const struct sim_kind node_kind = { "", "v1", "Node", "nodes", "node", "no", 0, "", NULL, 1, 0, NULL, 0, NULL };

/* Every object the real 1.20 server served has no unknown field: the
 * closed types really are complete. */
static void test_no_unknown_fields_in_real_objects(void **state)
{
	(void)state;
	static const struct {
		const char *file;
		const struct sim_kind *k;
	} lists[] = {
		{ "tests/data/sim/pods-list.json", &pod_kind },
		{ "tests/data/sim/deployments-list.json", &deploy_kind },
		{ "tests/data/sim/nodes-list.json", &node_kind },
	};
	for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
		json_t *list = load(lists[l].file);
		size_t i;
		json_t *o;
		json_array_foreach(json_object_get(list, "items"), i, o) {
			json_t *u = json_array();
			json_object_set_new(o, "apiVersion", json_string(lists[l].k->group[0] ? "apps/v1" : "v1"));
			json_object_set_new(o, "kind", json_string(lists[l].k->kind));
			if (sim_unknown_fields(lists[l].k, o, u)) {
				char *d = json_dumps(u, 0);
				fail_msg("%s item %zu: %s", lists[l].file, i, d);
			}
			json_decref(u);
		}
		json_decref(list);
	}
	json_t *d = load("tests/data/sim/ssa-apply-force-ok.json");
	json_t *u = json_array();
	assert_int_equal(sim_unknown_fields(&deploy_kind, d, u), 0);
	json_decref(u);
	json_decref(d);
}

static void test_unknown_fields(void **state)
{
	(void)state;
	json_t *o = parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"lables\":{\"a\":\"b\"}},"
			  "\"spec\":{\"replica\":3,\"selector\":{\"matchLabels\":{\"a\":\"b\"}},\"template\":{\"metadata\":{\"labels\":{\"a\":\"b\"}},"
			  "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\"},{\"name\":\"d\",\"imagee\":\"y\",\"resources\":{\"limitz\":{}}}],"
			  "\"volumes\":[{\"name\":\"v\",\"csi\":{\"driver\":\"x\"}}]}}}}");
	json_t *u = json_array();
	assert_int_equal(sim_unknown_fields(&deploy_kind, o, u), 4);
	json_t *want = parse("[\"unknown field \\\"metadata.lables\\\"\",\"unknown field \\\"spec.replica\\\"\","
			     "\"unknown field \\\"spec.template.spec.containers[1].imagee\\\"\",\"unknown field \\\"spec.template.spec.containers[1].resources.limitz\\\"\"]");
	if (!json_equal(u, want)) {
		char *g = json_dumps(u, 0);
		fail_msg("got %s", g);
	}
	json_decref(want);
	json_decref(u);
	json_decref(o);
	/* a volume source spelled wrong, in a pod */
	o = parse("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\","
		  "\"securityContext\":{\"runAsUser\":1000}}],\"volumes\":[{\"name\":\"v\",\"configmap\":{\"name\":\"cm\"}}]}}");
	u = json_array();
	assert_int_equal(sim_unknown_fields(&pod_kind, o, u), 1);
	assert_string_equal(json_string_value(json_array_get(u, 0)), "unknown field \"spec.volumes[0].configmap\"");
	json_decref(u);
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invalid_name_fixture),
		cmocka_unit_test(test_ssa_partial_fixture),
		cmocka_unit_test(test_deployment_rules),
		cmocka_unit_test(test_other_kinds),
		cmocka_unit_test(test_no_unknown_fields_in_real_objects),
		cmocka_unit_test(test_unknown_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
