/* test_sim_yaml.c - YAML bodies to JSON, typed as Kubernetes' decoder
 * types them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "kube/sim/sim.h"

static void yaml_case(const char *yaml, const char *want_json)
{
	struct sim_status st = { 0 };
	json_t *got = sim_yaml_to_json(yaml, strlen(yaml), &st);
	if (!got)
		fail_msg("%s: %s", yaml, st.message);
	json_error_t je;
	json_t *want = json_loads(want_json, JSON_DECODE_ANY, &je);
	assert_non_null(want);
	if (!json_equal(got, want)) {
		char *g = json_dumps(got, JSON_ENCODE_ANY | JSON_SORT_KEYS);
		fail_msg("%s\ngot  %s\nwant %s", yaml, g, want_json);
	}
	json_decref(got);
	json_decref(want);
}

static void yaml_error(const char *yaml, const char *msg)
{
	struct sim_status st = { 0 };
	json_t *got = sim_yaml_to_json(yaml, strlen(yaml), &st);
	assert_null(got);
	assert_int_equal(st.code, 400);
	assert_string_equal(st.reason, "BadRequest");
	assert_string_equal(st.message, msg);
}

static void test_types(void **state)
{
	(void)state;
	yaml_case("a: 1\nb: \"1\"\nc: '1'\nd: 1.5\ne: true\nf: \"true\"\ng: null\nh: ~\ni:\nj: yes\nk: off\nl: abc",
		  "{\"a\":1,\"b\":\"1\",\"c\":\"1\",\"d\":1.5,\"e\":true,\"f\":\"true\",\"g\":null,\"h\":null,\"i\":null,\"j\":true,\"k\":false,\"l\":\"abc\"}");
	yaml_case("hex: 0x1F\noct: 0777\nexp: 1e3\nneg: -12\nunder: 1_000\nbig: 9223372036854775807\nf0: 1.0\neight: 08\nver: 1.20.2\n",
		  "{\"hex\":31,\"oct\":511,\"exp\":1000,\"neg\":-12,\"under\":1000,\"big\":9223372036854775807,\"f0\":1,\"eight\":8,\"ver\":\"1.20.2\"}");
	yaml_case("date: 2001-12-14\nquoted: \"2001-12-14\"", "{\"date\":\"2001-12-14T00:00:00Z\",\"quoted\":\"2001-12-14\"}");
	yaml_case("1: a\ntrue: b\nnull: c\n", "{\"1\":\"a\",\"true\":\"b\",\"null\":\"c\"}");
	yaml_case("s: |\n  line1\n  line2\nf: >\n  folded\n  text\n", "{\"s\":\"line1\\nline2\\n\",\"f\":\"folded text\\n\"}");
	yaml_case("", "null");
	yaml_case("- a\n- 2\n", "[\"a\",2]");
	/* anchors, aliases and merge keys */
	yaml_case("base: &b {p: 1, q: 2}\nd:\n  <<: *b\n  q: 3\nl: [*b]\n",
		  "{\"base\":{\"p\":1,\"q\":2},\"d\":{\"p\":1,\"q\":3},\"l\":[{\"p\":1,\"q\":2}]}");
	/* YAML 1.1, as go-yaml v2 reads it: the key y is the boolean true */
	yaml_case("x: 1\ny: 2\n", "{\"x\":1,\"true\":2}");
	/* only the first document */
	yaml_case("a: 1\n---\nb: 2\n", "{\"a\":1}");
	/* an apply body as kubectl sends it */
	yaml_case("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ssa-demo\nspec:\n  replicas: 4\n",
		  "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"ssa-demo\"},\"spec\":{\"replicas\":4}}");
}

static void test_errors(void **state)
{
	(void)state;
	yaml_error("a: b: c\n", "error converting YAML to JSON: yaml: line 1: mapping values are not allowed in this context");
	yaml_error("a:\n  - b\n  c: d\n", "error converting YAML to JSON: yaml: line 3: did not find expected '-' indicator");
	yaml_error("a: .inf\n", "error converting YAML to JSON: json: unsupported value: a YAML infinity or NaN");
	yaml_error("? [a]\n: b\n", "error converting YAML to JSON: json: unsupported type: a mapping or sequence as a mapping key");
	/* a billion laughs is refused, not expanded */
	const char *lol =
		"a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
		"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
		"g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n";
	yaml_error(lol, "error converting YAML to JSON: yaml: document contains excessive aliasing");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
