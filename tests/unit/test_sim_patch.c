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

static const struct sim_kind deploy_kind = { "apps", "v1", "Deployment", "deployments", "deployment", "deploy", 1, "", "all", 1, 1, NULL, 1, NULL };
static const struct sim_kind svc_kind = { "", "v1", "Service", "services", "service", "svc", 1, "", "all", 0, 0, NULL, 0, NULL };

static void smp_case(const struct sim_kind *k, const char *t, const char *p, const char *want)
{
	json_t *tj = parse(t), *pj = parse(p);
	struct sim_status st = { 0 };
	json_t *got = sim_strategic_merge_patch(k, tj, pj, &st);
	if (!got)
		fail_msg("%s failed: %d %s", p, st.code, st.message);
	assert_json(got, want);
	assert_json(tj, t);
	/* exact order of list elements matters: compare dumps */
	json_t *w = parse(want);
	char *gs = json_dumps(got, JSON_SORT_KEYS), *ws = json_dumps(w, JSON_SORT_KEYS);
	assert_string_equal(gs, ws);
	free(gs);
	free(ws);
	json_decref(w);
	json_decref(got);
	json_decref(tj);
	json_decref(pj);
}

static void smp_fail_case(const struct sim_kind *k, const char *t, const char *p, int code, const char *msg)
{
	json_t *tj = parse(t), *pj = parse(p);
	struct sim_status st = { 0 };
	json_t *got = sim_strategic_merge_patch(k, tj, pj, &st);
	assert_null(got);
	assert_int_equal(st.code, code);
	assert_string_equal(st.message, msg);
	json_decref(st.details);
	json_decref(tj);
	json_decref(pj);
}

#define DEP(ctrs) "{\"spec\":{\"replicas\":2,\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":" ctrs "}}}}"

static void test_strategic_lists(void **state)
{
	(void)state;
	/* kubectl set image: the container merged by name, the rest kept */
	smp_case(&deploy_kind,
		 DEP("[{\"name\":\"web\",\"image\":\"nginx:1.19\",\"ports\":[{\"containerPort\":80}]},{\"name\":\"log\",\"image\":\"busybox\"}]"),
		 "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"image\":\"nginx:1.25\",\"name\":\"web\"}]}}}}",
		 DEP("[{\"name\":\"web\",\"image\":\"nginx:1.25\",\"ports\":[{\"containerPort\":80}]},{\"name\":\"log\",\"image\":\"busybox\"}]"));
	/* env merged by name, one deleted with $patch, a new one appended */
	smp_case(&deploy_kind,
		 DEP("[{\"name\":\"web\",\"env\":[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"B\",\"value\":\"2\"}]}]"),
		 "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"web\",\"env\":[{\"name\":\"B\",\"$patch\":\"delete\"},{\"name\":\"A\",\"value\":\"9\"},{\"name\":\"C\",\"value\":\"3\"}]}]}}}}",
		 DEP("[{\"name\":\"web\",\"env\":[{\"name\":\"A\",\"value\":\"9\"},{\"name\":\"C\",\"value\":\"3\"}]}]"));
	/* patch order wins for the items it names; server-only items keep
	 * their place (normalizeElementOrder) */
	smp_case(&deploy_kind,
		 DEP("[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"c\"}]"),
		 "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"b\",\"image\":\"x\"},{\"name\":\"a\",\"image\":\"y\"}]}}}}",
		 DEP("[{\"name\":\"b\",\"image\":\"x\"},{\"name\":\"a\",\"image\":\"y\"},{\"name\":\"c\"}]"));
	/* $setElementOrder as kubectl apply sends it */
	smp_case(&deploy_kind,
		 DEP("[{\"name\":\"a\",\"image\":\"1\"},{\"name\":\"b\",\"image\":\"2\"}]"),
		 "{\"spec\":{\"template\":{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"b\"},{\"name\":\"a\"}],\"containers\":[{\"name\":\"a\",\"image\":\"3\"}]}}}}",
		 DEP("[{\"name\":\"b\",\"image\":\"2\"},{\"name\":\"a\",\"image\":\"3\"}]"));
	/* $patch: replace inside a list replaces it */
	smp_case(&deploy_kind,
		 DEP("[{\"name\":\"a\"},{\"name\":\"b\"}]"),
		 "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"z\"},{\"$patch\":\"replace\"}]}}}}",
		 DEP("[{\"name\":\"z\"}]"));
	/* ports merged by containerPort; tolerations (no strategy) replaced */
	smp_case(&deploy_kind,
		 "{\"spec\":{\"template\":{\"spec\":{\"tolerations\":[{\"key\":\"a\"}],\"containers\":[{\"name\":\"w\",\"ports\":[{\"containerPort\":80,\"name\":\"http\"}]}]}}}}",
		 "{\"spec\":{\"template\":{\"spec\":{\"tolerations\":[{\"key\":\"b\"}],\"containers\":[{\"name\":\"w\",\"ports\":[{\"containerPort\":443},{\"containerPort\":80,\"protocol\":\"TCP\"}]}]}}}}",
		 "{\"spec\":{\"template\":{\"spec\":{\"tolerations\":[{\"key\":\"b\"}],\"containers\":[{\"name\":\"w\",\"ports\":[{\"containerPort\":443},{\"containerPort\":80,\"name\":\"http\",\"protocol\":\"TCP\"}]}]}}}}");
	/* service ports merge by port */
	smp_case(&svc_kind,
		 "{\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":8080}],\"selector\":{\"app\":\"a\"}}}",
		 "{\"spec\":{\"ports\":[{\"port\":80,\"name\":\"http\"}],\"selector\":{\"app\":null,\"tier\":\"b\"}}}",
		 "{\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":8080,\"name\":\"http\"}],\"selector\":{\"tier\":\"b\"}}}");
	/* finalizers: a merged set, and $deleteFromPrimitiveList */
	smp_case(&deploy_kind,
		 "{\"metadata\":{\"finalizers\":[\"a\",\"b\"]}}",
		 "{\"metadata\":{\"finalizers\":[\"c\",\"a\"],\"$deleteFromPrimitiveList/finalizers\":[\"b\"]}}",
		 "{\"metadata\":{\"finalizers\":[\"c\",\"a\"]}}");
}

static void test_strategic_maps(void **state)
{
	(void)state;
	/* kubectl rollout restart and scale */
	smp_case(&deploy_kind, DEP("[{\"name\":\"web\"}]"),
		 "{\"spec\":{\"replicas\":5,\"template\":{\"metadata\":{\"annotations\":{\"kubectl.kubernetes.io/restartedAt\":\"2026-11-28T12:00:00Z\"}}}}}",
		 "{\"spec\":{\"replicas\":5,\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"},\"annotations\":{\"kubectl.kubernetes.io/restartedAt\":\"2026-11-28T12:00:00Z\"}},\"spec\":{\"containers\":[{\"name\":\"web\"}]}}}}");
	/* $retainKeys on the deployment strategy, as kubectl apply sends a
	 * switch to Recreate */
	smp_case(&deploy_kind,
		 "{\"spec\":{\"strategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxSurge\":1}}}}",
		 "{\"spec\":{\"strategy\":{\"$retainKeys\":[\"type\"],\"type\":\"Recreate\"}}}",
		 "{\"spec\":{\"strategy\":{\"type\":\"Recreate\"}}}");
	/* $patch on a map */
	smp_case(&deploy_kind,
		 "{\"metadata\":{\"labels\":{\"a\":\"1\",\"b\":\"2\"}}}",
		 "{\"metadata\":{\"labels\":{\"$patch\":\"replace\",\"c\":\"3\"}}}",
		 "{\"metadata\":{\"labels\":{\"c\":\"3\"}}}");
	smp_case(&deploy_kind,
		 "{\"metadata\":{\"labels\":{\"a\":\"1\"}}}",
		 "{\"metadata\":{\"labels\":{\"$patch\":\"delete\"}}}",
		 "{\"metadata\":{\"labels\":{}}}");
	/* a new list is taken with its directives removed */
	smp_case(&deploy_kind, "{\"spec\":{}}",
		 "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"env\":null},{\"name\":\"b\",\"$patch\":\"delete\"}]}}}}",
		 "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}}}");

	smp_fail_case(&deploy_kind, DEP("[{\"name\":\"web\"}]"),
		      "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"image\":\"x\"}]}}}}", 500,
		      "map: map[image:x] does not contain declared merge key: name");
	smp_fail_case(&deploy_kind, "{\"spec\":{\"strategy\":{}}}",
		      "{\"spec\":{\"strategy\":{\"$retainKeys\":[\"type\"],\"rollingUpdate\":{}}}}", 400,
		      "invalid patch format of retainKeys");
	smp_fail_case(&deploy_kind, "{}", "{\"metadata\":{\"$patch\":\"merge\"}}", 500,
		      "unknown patch type: merge in map: map[$patch:merge]");
	smp_fail_case(&deploy_kind, "{}", "[1]", 400,
		      "json: cannot unmarshal array into Go value of type map[string]interface {}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_patch),
		cmocka_unit_test(test_json_patch),
		cmocka_unit_test(test_strategic_lists),
		cmocka_unit_test(test_strategic_maps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
