/* test_sim_selector.c - label and field selectors: parsing, the real
 * parser's error messages, and matching. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "kube/sim/sim.h"

static const struct sim_kind pod_kind = {
	.group = "", .version = "v1", .kind = "Pod", .plural = "pods",
	.singular = "pod", .short_names = "po", .namespaced = 1, .verbs = "",
	.categories = "all", .has_status = 1,
};
static const struct sim_kind cm_kind = {
	.group = "", .version = "v1", .kind = "ConfigMap", .plural = "configmaps",
	.singular = "configmap", .short_names = "cm", .namespaced = 1, .verbs = "",
};
static const struct sim_kind ev_kind = {
	.group = "", .version = "v1", .kind = "Event", .plural = "events",
	.singular = "event", .short_names = "ev", .namespaced = 1, .verbs = "",
};

static json_t *obj_with_labels(const char *labels_json)
{
	json_error_t je;
	json_t *l = json_loads(labels_json, 0, &je);
	assert_non_null(l);
	return json_pack("{s:{s:s, s:o}}", "metadata", "name", "x", "labels", l);
}

/* Parses sel, asserts it parses, and returns whether obj matches. */
static int lmatch(const char *sel, const char *labels)
{
	struct sim_status st = { 0 };
	struct sim_selector *s = sim_label_selector_parse(sel, &st);
	assert_non_null(s);
	assert_int_equal(st.code, 0);
	json_t *o = obj_with_labels(labels);
	int m = sim_selector_match(s, o);
	json_decref(o);
	sim_selector_free(s);
	return m;
}

static void test_label_operators(void **state)
{
	(void)state;
	const char *l = "{\"app\":\"demo\",\"tier\":\"web\",\"n\":\"5\"}";
	assert_true(lmatch("", l));
	assert_true(lmatch("app=demo", l));
	assert_true(lmatch("app==demo", l));
	assert_false(lmatch("app=other", l));
	assert_true(lmatch("app!=other", l));
	assert_false(lmatch("app!=demo", l));
	assert_true(lmatch("missing!=x", l)); /* absent matches != */
	assert_true(lmatch("app in (demo, other)", l));
	assert_false(lmatch("app notin (demo)", l));
	assert_true(lmatch("missing notin (demo)", l));
	assert_true(lmatch("tier", l));
	assert_false(lmatch("!tier", l));
	assert_true(lmatch("!missing", l));
	assert_true(lmatch("app=demo,tier=web", l));
	assert_false(lmatch("app=demo,tier=db", l));
	assert_true(lmatch("n>4,n<6", l));
	assert_false(lmatch("n>5", l));
	assert_true(lmatch(" app = demo ", l));
	/* in/notin are identifiers as values */
	assert_true(lmatch("x notin (in, notin)", l));
	assert_true(lmatch("example.com/role in (a,b),app", "{\"example.com/role\":\"b\",\"app\":\"\"}"));
	assert_true(lmatch("app=", "{\"app\":\"\"}"));
	assert_true(lmatch("app in ()", "{\"app\":\"\"}"));
}

static void expect_label_error(const char *sel, const char *msg)
{
	struct sim_status st = { 0 };
	struct sim_selector *s = sim_label_selector_parse(sel, &st);
	assert_null(s);
	assert_int_equal(st.code, 400);
	assert_string_equal(st.reason, "BadRequest");
	assert_string_equal(st.message, msg);
}

static void test_label_errors(void **state)
{
	(void)state;
	expect_label_error("app=,", "found '', expected: identifier after ','");
	expect_label_error("app in demo",
			   "unable to parse requirement: found 'demo' expected: '('");
	expect_label_error("app demo",
			   "unable to parse requirement: found 'demo', expected: in, notin, =, ==, !=, gt, lt");
	expect_label_error("=x", "found '=', expected: !, identifier, or 'end of string'");
	expect_label_error("app in (a b)",
			   "unable to parse requirement: found 'b', expected: ',' or ')'");
	expect_label_error("n>x",
			   "unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer");
	expect_label_error("!a=b", "found '=', expected: ',' or 'end of string'");
	expect_label_error("a_=b",
			   "unable to parse requirement: invalid label key \"a_\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
	expect_label_error("a=b_",
			   "unable to parse requirement: invalid label value: \"b_\": at key: \"a\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
}

/* The fixture: GET pods?labelSelector=app%3D%3D%3Dx from the real server. */
static void test_label_error_fixture(void **state)
{
	(void)state;
	json_error_t je;
	json_t *fx = json_load_file("tests/data/sim/status-400-bad-labelselector.json", 0, &je);
	assert_non_null(fx);
	struct sim_status st = { 0 };
	assert_null(sim_label_selector_parse("app===x", &st));
	assert_int_equal(st.code, json_integer_value(json_object_get(fx, "code")));
	assert_string_equal(st.reason, json_string_value(json_object_get(fx, "reason")));
	assert_string_equal(st.message, json_string_value(json_object_get(fx, "message")));
	json_decref(fx);
}

static void test_field_selectors(void **state)
{
	(void)state;
	struct sim_status st = { 0 };
	json_t *pod = json_pack("{s:{s:s,s:s}, s:{s:s}, s:{s:s}}", "metadata",
				"name", "web-1", "namespace", "default", "spec",
				"nodeName", "node-a", "status", "phase", "Running");
	struct sim_selector *s = sim_field_selector_parse(
		&pod_kind, "metadata.name=web-1,status.phase!=Pending", &st);
	assert_non_null(s);
	assert_true(sim_selector_match(s, pod));
	sim_selector_free(s);
	s = sim_field_selector_parse(&pod_kind, "spec.nodeName==node-b", &st);
	assert_non_null(s);
	assert_false(sim_selector_match(s, pod));
	sim_selector_free(s);
	/* an absent field is "" */
	s = sim_field_selector_parse(&pod_kind, "status.podIP=", &st);
	assert_true(sim_selector_match(s, pod));
	sim_selector_free(s);
	/* escaped comma in a value */
	json_object_set_new(json_object_get(pod, "metadata"), "name", json_string("a,b"));
	s = sim_field_selector_parse(&pod_kind, "metadata.name=a\\,b", &st);
	assert_non_null(s);
	assert_true(sim_selector_match(s, pod));
	sim_selector_free(s);
	json_decref(pod);

	s = sim_field_selector_parse(&pod_kind, "foo=bar", &st);
	assert_null(s);
	assert_int_equal(st.code, 400);
	assert_string_equal(st.message, "field label not supported: foo");
	memset(&st, 0, sizeof st);
	s = sim_field_selector_parse(&cm_kind, "data.x=1", &st);
	assert_null(s);
	assert_string_equal(st.message, "\"data.x\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"");
	memset(&st, 0, sizeof st);
	s = sim_field_selector_parse(&pod_kind, "metadata.name", &st);
	assert_null(s);
	assert_string_equal(st.message, "invalid selector: 'metadata.name'; can't understand 'metadata.name'");

	memset(&st, 0, sizeof st);
	json_t *ev = json_pack("{s:{s:s}, s:{s:s,s:s}, s:s, s:s}", "metadata", "name", "e1",
			       "involvedObject", "kind", "Pod", "name", "web-1",
			       "reason", "Scheduled", "type", "Normal");
	s = sim_field_selector_parse(&ev_kind, "involvedObject.kind=Pod,involvedObject.name=web-1,type=Normal", &st);
	assert_non_null(s);
	assert_true(sim_selector_match(s, ev));
	sim_selector_free(s);
	s = sim_field_selector_parse(&ev_kind, "reason=Pulled", &st);
	assert_false(sim_selector_match(s, ev));
	sim_selector_free(s);
	json_decref(ev);
	/* NULL selectors match everything */
	assert_true(sim_selector_match(NULL, NULL));
	sim_selector_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_label_operators),
		cmocka_unit_test(test_label_errors),
		cmocka_unit_test(test_label_error_fixture),
		cmocka_unit_test(test_field_selectors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
