/* test_sim_apply.c - server-side apply against the real server's answers:
 * the conflict (status-409-ssa-conflict.json), the forced apply
 * (ssa-apply-force-ok.json), the partial apply whose removals fail
 * validation (status-422-ssa-same-manager-partial.json), and the
 * applier's field set in the FieldsV1 notation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "kube/sim/sim.h"

static const struct sim_kind deploy_kind = { "apps", "v1", "Deployment", "deployments", "deployment", "deploy", 1, "", "all", 1, 1, NULL, 1, NULL };

#define NOW "2026-11-28T11:36:20Z"

/* The manifest kubectl applied first (its Apply entry in the fixture). */
static const char *full_manifest =
	"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"ssa-demo\",\"labels\":{\"app\":\"ssa-demo\"}},"
	"\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"ssa-demo\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"ssa-demo\"}},"
	"\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.19\",\"ports\":[{\"containerPort\":80}],"
	"\"env\":[{\"name\":\"GREETING\",\"valueFrom\":{\"configMapKeyRef\":{\"name\":\"ssa-demo-config\",\"key\":\"greeting\"}}}]}]}}}}";

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

static json_t *yaml(const char *path)
{
	char *text = NULL;
	size_t n = 0;
	struct perr e = { { 0 } };
	struct sim_status st = { 0 };
	assert_int_equal(read_file(path, 1 << 20, &text, &n, &e), 0);
	json_t *j = sim_yaml_to_json(text, n, &st);
	free(text);
	assert_non_null(j);
	return j;
}

static void assert_json_equal(const json_t *got, const json_t *want)
{
	if (!json_equal((json_t *)got, (json_t *)want)) {
		char *g = json_dumps(got, JSON_SORT_KEYS | JSON_ENCODE_ANY);
		char *w = json_dumps(want, JSON_SORT_KEYS | JSON_ENCODE_ANY);
		fail_msg("got  %s\nwant %s", g, w);
	}
}

/* The object before fixture-manager's applies: other-manager applied
 * replicas 7 (ssa-setup-other-manager.yaml). */
static json_t *before_conflict(void)
{
	json_t *o = load("tests/data/sim/ssa-apply-force-ok.json");
	json_object_set_new(json_object_get(o, "spec"), "replicas", json_integer(7));
	json_t *mf = json_object_get(json_object_get(o, "metadata"), "managedFields");
	json_t *e = json_array_get(mf, 1);
	json_object_set_new(e, "manager", json_string("other-manager"));
	json_object_set_new(e, "time", json_string("2026-11-28T11:33:00Z"));
	return o;
}

static json_t *status_of(struct sim_status *st)
{
	return json_pack("{s:s,s:s,s:{},s:s,s:s,s:s,s:O,s:i}", "kind", "Status", "apiVersion", "v1", "metadata",
			 "status", "Failure", "message", st->message, "reason", st->reason, "details", st->details,
			 "code", st->code);
}

static void test_conflict_fixture(void **state)
{
	(void)state;
	json_t *live = before_conflict();
	json_t *cfg = yaml("tests/data/sim/ssa-conflict-apply.yaml");
	struct sim_status st = { 0 };
	assert_null(sim_apply(&deploy_kind, live, cfg, "fixture-manager", 0, NOW, &st));
	json_t *want = load("tests/data/sim/status-409-ssa-conflict.json");
	json_t *got = status_of(&st);
	assert_json_equal(got, want);
	json_decref(got);
	json_decref(want);
	json_decref(st.details);
	/* the same value is no conflict: other-manager applies 7 again */
	json_object_set_new(json_object_get(cfg, "spec"), "replicas", json_integer(7));
	memset(&st, 0, sizeof st);
	json_t *same = sim_apply(&deploy_kind, live, cfg, "fixture-manager", 0, NOW, &st);
	assert_non_null(same);
	/* both now own .spec.replicas */
	json_t *mf = json_object_get(json_object_get(same, "metadata"), "managedFields");
	int owners = 0;
	size_t i;
	json_t *e;
	json_array_foreach(mf, i, e)
		if (json_object_get(json_object_get(json_object_get(e, "fieldsV1"), "f:spec"), "f:replicas"))
			owners++;
	assert_int_equal(owners, 2);
	json_decref(same);
	json_decref(cfg);
	json_decref(live);
}

static void test_force_fixture(void **state)
{
	(void)state;
	json_t *live = before_conflict();
	json_t *cfg = yaml("tests/data/sim/ssa-conflict-apply.yaml");
	struct sim_status st = { 0 };
	json_t *got = sim_apply(&deploy_kind, live, cfg, "fixture-manager", 1, NOW, &st);
	assert_non_null(got);
	assert_int_equal(st.code, 0);
	json_t *want = load("tests/data/sim/ssa-apply-force-ok.json");
	/* the store stamps resourceVersion and generation; the rest is the
	 * apply's: spec and managedFields as the real server left them */
	assert_json_equal(json_object_get(got, "spec"), json_object_get(want, "spec"));
	assert_json_equal(json_object_get(json_object_get(got, "metadata"), "managedFields"),
			  json_object_get(json_object_get(want, "metadata"), "managedFields"));
	char *g = json_dumps(json_object_get(json_object_get(got, "metadata"), "managedFields"), JSON_COMPACT);
	char *w = json_dumps(json_object_get(json_object_get(want, "metadata"), "managedFields"), JSON_COMPACT);
	assert_string_equal(g, w);
	free(g);
	free(w);
	json_decref(want);
	json_decref(got);
	json_decref(cfg);
	json_decref(live);
}

/* kubectl applies the partial manifest with force: what it owned and
 * omits now goes, and the result fails validation as the real one did. */
static void test_partial_apply_fixture(void **state)
{
	(void)state;
	json_t *live = load("tests/data/sim/ssa-apply-force-ok.json");
	json_t *cfg = yaml("tests/data/sim/ssa-conflict-apply.yaml");
	struct sim_status st = { 0 };
	json_t *got = sim_apply(&deploy_kind, live, cfg, "kubectl", 1, NOW, &st);
	assert_non_null(got);
	json_t *spec = json_object_get(got, "spec");
	assert_null(json_object_get(spec, "selector"));
	assert_null(json_object_get(json_object_get(json_object_get(spec, "template"), "metadata"), "labels"));
	assert_null(json_object_get(json_object_get(json_object_get(spec, "template"), "spec"), "containers"));
	assert_null(json_object_get(json_object_get(got, "metadata"), "labels"));
	/* fields others own stay: the controller's annotation */
	assert_non_null(json_object_get(json_object_get(json_object_get(got, "metadata"), "annotations"), "deployment.kubernetes.io/revision"));
	/* replicas keeps its value (4): no conflict, so fixture-manager and
	 * kubectl now share it */
	json_t *mf = json_object_get(json_object_get(got, "metadata"), "managedFields");
	assert_int_equal(json_array_size(mf), 3);
	/* sorted: Apply before Update, then by time, then by name */
	assert_string_equal(json_string_value(json_object_get(json_array_get(mf, 0), "manager")), "fixture-manager");
	assert_string_equal(json_string_value(json_object_get(json_array_get(mf, 1), "manager")), "kubectl");
	assert_string_equal(json_string_value(json_object_get(json_array_get(mf, 2), "manager")), "kube-controller-manager");
	json_t *only = parse("{\"f:spec\":{\"f:replicas\":{}}}");
	assert_json_equal(json_object_get(json_array_get(mf, 0), "fieldsV1"), only);
	assert_json_equal(json_object_get(json_array_get(mf, 1), "fieldsV1"), only);
	json_decref(only);
	/* and validation answers as the real server did */
	st = (struct sim_status){ 0 };
	assert_int_equal(sim_validate(&deploy_kind, got, live, &st), -1);
	json_t *want = load("tests/data/sim/status-422-ssa-same-manager-partial.json");
	json_t *s = status_of(&st);
	assert_json_equal(s, want);
	json_decref(s);
	json_decref(want);
	json_decref(st.details);
	json_decref(got);
	json_decref(cfg);
	json_decref(live);
}

/* Creating by apply: the applier's set in FieldsV1 is the one the real
 * server recorded for kubectl. */
static void test_create_fields_v1(void **state)
{
	(void)state;
	json_t *cfg = parse(full_manifest);
	struct sim_status st = { 0 };
	json_t *got = sim_apply(&deploy_kind, NULL, cfg, "kubectl", 0, "2026-11-28T11:32:53Z", &st);
	assert_non_null(got);
	json_t *want = load("tests/data/sim/ssa-apply-force-ok.json");
	json_t *want_entry = json_array_get(json_object_get(json_object_get(want, "metadata"), "managedFields"), 0);
	json_t *mf = json_object_get(json_object_get(got, "metadata"), "managedFields");
	assert_int_equal(json_array_size(mf), 1);
	char *g = json_dumps(json_array_get(mf, 0), JSON_COMPACT);
	char *w = json_dumps(want_entry, JSON_COMPACT);
	assert_string_equal(g, w);
	free(g);
	free(w);
	assert_string_equal(json_string_value(json_object_get(json_object_get(got, "metadata"), "name")), "ssa-demo");
	json_decref(want);
	json_decref(got);
	json_decref(cfg);
}

static void test_owned_removal_and_errors(void **state)
{
	(void)state;
	struct sim_status st = { 0 };
	json_t *cfg = parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\",\"labels\":{\"a\":\"1\",\"b\":\"2\"}},"
			    "\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"x\",\"image\":\"i\"},{\"name\":\"y\",\"image\":\"j\"}]}}}}");
	json_t *one = sim_apply(&deploy_kind, NULL, cfg, "m1", 0, NOW, &st);
	assert_non_null(one);
	/* m2 takes label b and container y's image (same values: no conflict) */
	json_t *cfg2 = parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\",\"labels\":{\"b\":\"2\"}},"
			     "\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"y\",\"image\":\"j\"}]}}}}");
	json_t *two = sim_apply(&deploy_kind, one, cfg2, "m2", 0, NOW, &st);
	assert_non_null(two);
	/* m1 drops both labels and container y: a goes, b and y stay (m2) */
	json_t *cfg3 = parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\"},"
			     "\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"x\",\"image\":\"i\"}]}}}}");
	json_t *three = sim_apply(&deploy_kind, two, cfg3, "m1", 0, NOW, &st);
	assert_non_null(three);
	json_t *want_labels = parse("{\"b\":\"2\"}");
	assert_json_equal(json_object_get(json_object_get(three, "metadata"), "labels"), want_labels);
	json_decref(want_labels);
	json_t *ctrs = json_object_get(json_object_get(json_object_get(json_object_get(three, "spec"), "template"), "spec"), "containers");
	assert_int_equal(json_array_size(ctrs), 2);
	/* m1 changes y's image now: a conflict with m2 */
	json_t *cfg4 = parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\",\"labels\":{\"b\":\"3\"}},"
			     "\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"x\",\"image\":\"i\"},{\"name\":\"y\",\"image\":\"k\"}]}}}}");
	assert_null(sim_apply(&deploy_kind, three, cfg4, "m1", 0, NOW, &st));
	assert_int_equal(st.code, 409);
	assert_string_equal(st.message, "Apply failed with 2 conflicts: conflicts with \"m2\":\n- .metadata.labels.b\n- .spec.template.spec.containers[name=\"y\"].image");
	assert_int_equal(json_array_size(json_object_get(st.details, "causes")), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(st.details, "causes"), 1), "field")),
			    ".spec.template.spec.containers[name=\"y\"].image");
	json_decref(st.details);
	st = (struct sim_status){ 0 };
	/* managedFields in the config, and no manager */
	json_t *bad = parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\",\"managedFields\":[]}}");
	assert_null(sim_apply(&deploy_kind, NULL, bad, "m", 0, NOW, &st));
	assert_int_equal(st.code, 400);
	assert_string_equal(st.message, "metadata.managedFields must be nil");
	st = (struct sim_status){ 0 };
	assert_null(sim_apply(&deploy_kind, NULL, cfg, "", 0, NOW, &st));
	assert_int_equal(st.code, 400);
	json_decref(bad);
	json_decref(cfg4);
	json_decref(three);
	json_decref(cfg3);
	json_decref(two);
	json_decref(cfg2);
	json_decref(one);
	json_decref(cfg);
}

/* The ReplicaSet controller creating a pod: its Update entry is the one
 * the real server recorded (pods-list.json), but for "." on the new
 * containers list, which the real typed object always has (a required
 * field) and ours does not. */
static void test_update_create_fixture(void **state)
{
	(void)state;
	static const struct sim_kind pod_kind = { "", "v1", "Pod", "pods", "pod", "po", 1, "", "all", 1, 0, NULL, 0, NULL };
	json_t *list = load("tests/data/sim/pods-list.json");
	json_t *live = json_array_get(json_object_get(list, "items"), 0);
	json_t *want = json_deep_copy(json_object_get(json_array_get(json_object_get(json_object_get(live, "metadata"), "managedFields"), 0), "fieldsV1"));
	json_t *md = json_object_get(live, "metadata");
	json_t *spec = json_object_get(live, "spec");
	json_t *c0 = json_array_get(json_object_get(spec, "containers"), 0);
	json_t *obj = json_pack("{s:s,s:s,s:{s:O,s:O,s:O,s:O},s:{s:[{s:O,s:O,s:O,s:O,s:O,s:O}],s:O,s:O,s:O,s:O,s:O,s:O}}",
				"apiVersion", "v1", "kind", "Pod", "metadata", "generateName", json_object_get(md, "generateName"),
				"namespace", json_object_get(md, "namespace"), "labels", json_object_get(md, "labels"),
				"ownerReferences", json_object_get(md, "ownerReferences"), "spec", "containers",
				"name", json_object_get(c0, "name"), "image", json_object_get(c0, "image"),
				"imagePullPolicy", json_object_get(c0, "imagePullPolicy"), "resources", json_object_get(c0, "resources"),
				"terminationMessagePath", json_object_get(c0, "terminationMessagePath"),
				"terminationMessagePolicy", json_object_get(c0, "terminationMessagePolicy"),
				"dnsPolicy", json_object_get(spec, "dnsPolicy"), "enableServiceLinks", json_object_get(spec, "enableServiceLinks"),
				"restartPolicy", json_object_get(spec, "restartPolicy"), "schedulerName", json_object_get(spec, "schedulerName"),
				"securityContext", json_object_get(spec, "securityContext"),
				"terminationGracePeriodSeconds", json_object_get(spec, "terminationGracePeriodSeconds"));
	assert_non_null(obj);
	sim_managed_update(&pod_kind, NULL, obj, "kube-controller-manager", "2026-11-28T11:35:20Z");
	json_t *mf = json_object_get(json_object_get(obj, "metadata"), "managedFields");
	assert_int_equal(json_array_size(mf), 1);
	json_t *e = json_array_get(mf, 0);
	assert_string_equal(json_string_value(json_object_get(e, "operation")), "Update");
	assert_string_equal(json_string_value(json_object_get(e, "apiVersion")), "v1");
	json_t *got = json_object_get(e, "fieldsV1");
	json_object_del(json_object_get(json_object_get(got, "f:spec"), "f:containers"), ".");
	char *g = json_dumps(got, JSON_COMPACT), *w = json_dumps(want, JSON_COMPACT);
	assert_string_equal(g, w);
	free(g);
	free(w);
	json_decref(obj);
	json_decref(want);
	json_decref(list);
}

/* kubectl scale (an Update) takes .spec.replicas from the applier; the
 * applier's next change of it conflicts, naming the Update manager as the
 * real server does. */
static void test_update_then_apply(void **state)
{
	(void)state;
	struct sim_status st = { 0 };
	json_t *cfg = parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\"},\"spec\":{\"replicas\":2}}");
	json_t *one = sim_apply(&deploy_kind, NULL, cfg, "m1", 0, NOW, &st);
	json_t *scaled = json_deep_copy(one);
	json_object_set_new(json_object_get(scaled, "spec"), "replicas", json_integer(5));
	sim_managed_update(&deploy_kind, one, scaled, "kubectl", "2026-11-28T11:40:00Z");
	json_t *mf = json_object_get(json_object_get(scaled, "metadata"), "managedFields");
	assert_int_equal(json_array_size(mf), 1); /* m1 owned nothing else */
	assert_string_equal(json_string_value(json_object_get(json_array_get(mf, 0), "manager")), "kubectl");
	json_t *want = parse("{\"f:spec\":{\"f:replicas\":{}}}");
	assert_json_equal(json_object_get(json_array_get(mf, 0), "fieldsV1"), want);
	json_decref(want);
	json_object_set_new(json_object_get(cfg, "spec"), "replicas", json_integer(3));
	assert_null(sim_apply(&deploy_kind, scaled, cfg, "m1", 0, NOW, &st));
	assert_int_equal(st.code, 409);
	assert_string_equal(st.message, "Apply failed with 1 conflict: conflict with \"kubectl\" using apps/v1: .spec.replicas");
	json_decref(st.details);
	/* a write that changes nothing adds no entry */
	json_t *same = json_deep_copy(scaled);
	sim_managed_update(&deploy_kind, scaled, same, "other", NOW);
	assert_int_equal(json_array_size(json_object_get(json_object_get(same, "metadata"), "managedFields")), 1);
	json_decref(same);
	json_decref(scaled);
	json_decref(one);
	json_decref(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conflict_fixture),
		cmocka_unit_test(test_force_fixture),
		cmocka_unit_test(test_partial_apply_fixture),
		cmocka_unit_test(test_create_fields_v1),
		cmocka_unit_test(test_owned_removal_and_errors),
		cmocka_unit_test(test_update_create_fixture),
		cmocka_unit_test(test_update_then_apply),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
