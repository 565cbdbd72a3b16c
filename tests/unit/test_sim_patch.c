/* test_sim_patch.c - merge patch (RFC 7386 appendix A cases), JSON patch
 * (RFC 6902 appendix A cases and the server's error answers), strategic
 * merge patch as kubectl sends it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "kube/sim/sim.h"

static json_t *parse(const char *s)
{
	json_error_t je;
	json_t *j = json_loads(s, JSON_DECODE_ANY, &je);
	if (!j)
		fail_msg("%s: %s", s, je.text);
	return j;
}

static void assert_json(json_t *got, const char *want_s)
{
	json_t *want = parse(want_s);
	if (!json_equal(got, want)) {
		char *g = json_dumps(got, JSON_SORT_KEYS | JSON_ENCODE_ANY);
		fail_msg("got  %s\nwant %s", g, want_s);
	}
	json_decref(want);
}

static void merge_case(const char *t, const char *p, const char *want)
{
	json_t *tj = parse(t), *pj = parse(p);
	json_t *got = sim_merge_patch(tj, pj);
	assert_json(got, want);
	/* inputs untouched */
	assert_json(tj, t);
	json_decref(got);
	json_decref(tj);
	json_decref(pj);
}

/* RFC 7386 Appendix A. */
static void test_merge_patch(void **state)
{
	(void)state;
	merge_case("{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
	merge_case("{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}");
	merge_case("{\"a\":\"b\"}", "{\"a\":null}", "{}");
	merge_case("{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}");
	merge_case("{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
	merge_case("{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}");
	merge_case("{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}", "{\"a\":{\"b\":\"d\"}}");
	merge_case("{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}");
	merge_case("[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]");
	merge_case("{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]");
	merge_case("{\"a\":\"foo\"}", "null", "null");
	merge_case("{\"a\":\"foo\"}", "\"bar\"", "\"bar\"");
	merge_case("{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}");
	merge_case("[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}");
	merge_case("{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}");
	/* what kubectl scale --type=merge sends */
	merge_case("{\"spec\":{\"replicas\":3,\"paused\":false}}", "{\"spec\":{\"replicas\":5}}", "{\"spec\":{\"replicas\":5,\"paused\":false}}");
}

static void json_case(const char *t, const char *ops, const char *want)
{
	json_t *tj = parse(t), *oj = parse(ops);
	struct sim_status st = { 0 };
	json_t *got = sim_json_patch(tj, oj, &st);
	if (!got)
		fail_msg("%s failed: %s", ops, st.message);
	assert_json(got, want);
	assert_json(tj, t);
	json_decref(got);
	json_decref(tj);
	json_decref(oj);
}

static void json_fail(const char *t, const char *ops, int code)
{
	json_t *tj = parse(t), *oj = parse(ops);
	struct sim_status st = { 0 };
	json_t *got = sim_json_patch(tj, oj, &st);
	if (got)
		fail_msg("%s should fail", ops);
	assert_int_equal(st.code, code);
	if (code == 422) {
		assert_string_equal(st.reason, "Invalid");
		assert_string_equal(st.message, "the server rejected our request due to an error in our request");
		assert_non_null(st.details);
		assert_int_equal(json_object_size(st.details), 0);
	}
	json_decref(st.details);
	json_decref(tj);
	json_decref(oj);
}

/* RFC 6902 Appendix A, then the failures. */
static void test_json_patch(void **state)
{
	(void)state;
	json_case("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\"}]", "{\"baz\":\"qux\",\"foo\":\"bar\"}");
	json_case("{\"foo\":[\"bar\",\"baz\"]}", "[{\"op\":\"add\",\"path\":\"/foo/1\",\"value\":\"qux\"}]", "{\"foo\":[\"bar\",\"qux\",\"baz\"]}");
	json_case("{\"baz\":\"qux\",\"foo\":\"bar\"}", "[{\"op\":\"remove\",\"path\":\"/baz\"}]", "{\"foo\":\"bar\"}");
	json_case("{\"foo\":[\"bar\",\"qux\",\"baz\"]}", "[{\"op\":\"remove\",\"path\":\"/foo/1\"}]", "{\"foo\":[\"bar\",\"baz\"]}");
	json_case("{\"baz\":\"qux\",\"foo\":\"bar\"}", "[{\"op\":\"replace\",\"path\":\"/baz\",\"value\":\"boo\"}]", "{\"baz\":\"boo\",\"foo\":\"bar\"}");
	json_case("{\"foo\":{\"bar\":\"baz\",\"waldo\":\"fred\"},\"qux\":{\"corge\":\"grault\"}}", "[{\"op\":\"move\",\"from\":\"/foo/waldo\",\"path\":\"/qux/thud\"}]",
		  "{\"foo\":{\"bar\":\"baz\"},\"qux\":{\"corge\":\"grault\",\"thud\":\"fred\"}}");
	json_case("{\"foo\":[\"all\",\"grass\",\"cows\",\"eat\"]}", "[{\"op\":\"move\",\"from\":\"/foo/1\",\"path\":\"/foo/3\"}]", "{\"foo\":[\"all\",\"cows\",\"eat\",\"grass\"]}");
	json_case("{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}", "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"qux\"},{\"op\":\"test\",\"path\":\"/foo/1\",\"value\":2}]", "{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}");
	json_case("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/child\",\"value\":{\"grandchild\":{}}}]", "{\"foo\":\"bar\",\"child\":{\"grandchild\":{}}}");
	json_case("{\"foo\":[\"bar\"]}", "[{\"op\":\"add\",\"path\":\"/foo/-\",\"value\":[\"abc\",\"def\"]}]", "{\"foo\":[\"bar\",[\"abc\",\"def\"]]}");
	json_case("{\"/\":9,\"~1\":10}", "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":10},{\"op\":\"copy\",\"from\":\"/~1\",\"path\":\"/c\"}]", "{\"/\":9,\"~1\":10,\"c\":9}");
	/* kubectl patch --type=json on a deployment */
	json_case("{\"metadata\":{\"annotations\":{\"a/b\":\"x\"}},\"spec\":{\"replicas\":3}}",
		  "[{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":5},{\"op\":\"remove\",\"path\":\"/metadata/annotations/a~1b\"}]",
		  "{\"metadata\":{\"annotations\":{}},\"spec\":{\"replicas\":5}}");
	json_case("{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"\",\"value\":[1]}]", "[1]");

	json_fail("{\"baz\":\"qux\"}", "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"bar\"}]", 422);
	json_fail("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz/bat\",\"value\":\"qux\"}]", 422);
	json_fail("{\"foo\":\"bar\"}", "[{\"op\":\"remove\",\"path\":\"/nope\"}]", 422);
	json_fail("{\"foo\":\"bar\"}", "[{\"op\":\"replace\",\"path\":\"/nope\",\"value\":1}]", 422);
	json_fail("{\"foo\":[1]}", "[{\"op\":\"add\",\"path\":\"/foo/5\",\"value\":1}]", 422);
	json_fail("{\"foo\":[1]}", "[{\"op\":\"move\",\"from\":\"/bar\",\"path\":\"/x\"}]", 422);
	json_fail("{\"foo\":[1]}", "[{\"op\":\"frobnicate\",\"path\":\"/x\"}]", 422);
	json_fail("{\"foo\":1}", "{\"op\":\"add\"}", 400);
	/* nothing applied when an op fails: the target is untouched */
	json_t *t = parse("{\"a\":1}");
	json_t *ops = parse("[{\"op\":\"add\",\"path\":\"/b\",\"value\":2},{\"op\":\"test\",\"path\":\"/a\",\"value\":2}]");
	struct sim_status st = { 0 };
	assert_null(sim_json_patch(t, ops, &st));
	assert_json(t, "{\"a\":1}");
	json_decref(st.details);
	json_decref(t);
	json_decref(ops);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_patch),
		cmocka_unit_test(test_json_patch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
