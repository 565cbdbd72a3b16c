/* test_rollout.c - rollout status, history, undo and restart decisions on
 * the Deployment and ReplicaSets recorded from kube-apiserver 1.20. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube.h"

static json_t *load(const char *name)
{
	const char *top = getenv("TOP");
	char path[1024];
	snprintf(path, sizeof path, "%s/tests/data/kube/fixtures/%s", top ? top : ".", name);
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	if (!j)
		fail_msg("%s: %s", path, je.text);
	return j;
}

static void set_status(json_t *d, long long gen, long long observed, long long spec,
		       long long replicas, long long updated, long long available)
{
	json_object_set_new(json_object_get(d, "metadata"), "generation", json_integer(gen));
	json_t *st = json_object_get(d, "status");
	json_object_set_new(st, "observedGeneration", json_integer(observed));
	json_object_set_new(json_object_get(d, "spec"), "replicas", json_integer(spec));
	json_object_set_new(st, "replicas", json_integer(replicas));
	json_object_set_new(st, "updatedReplicas", json_integer(updated));
	json_object_set_new(st, "availableReplicas", json_integer(available));
}

static void expect_status(json_t *d, long rev, int want_rc, const char *want)
{
	char *msg = NULL;
	struct perr e = { { 0 } };
	int rc = kube_rollout_status(d, rev, &msg, &e);
	assert_int_equal(rc, want_rc);
	assert_string_equal(rc < 0 ? e.msg : msg, want);
	free(msg);
}

static void test_status_messages(void **state)
{
	(void)state;
	json_t *d = load("deployment.json");
	expect_status(d, 0, 1, "deployment \"demo\" successfully rolled out");
	expect_status(d, 3, 1, "deployment \"demo\" successfully rolled out");
	expect_status(d, 2, -1, "desired revision (2) is different from the running revision (3)");
	set_status(d, 20, 19, 3, 3, 3, 3);
	expect_status(d, 0, 0, "Waiting for deployment spec update to be observed...");
	set_status(d, 20, 20, 5, 4, 2, 2);
	expect_status(d, 0, 0, "Waiting for deployment \"demo\" rollout to finish: 2 out of 5 new replicas have been updated...");
	set_status(d, 20, 20, 3, 5, 3, 3);
	expect_status(d, 0, 0, "Waiting for deployment \"demo\" rollout to finish: 2 old replicas are pending termination...");
	set_status(d, 20, 20, 3, 3, 3, 1);
	expect_status(d, 0, 0, "Waiting for deployment \"demo\" rollout to finish: 1 of 3 updated replicas are available...");
	json_t *cond = json_array_get(json_object_get(json_object_get(d, "status"), "conditions"), 0);
	json_object_set_new(cond, "reason", json_string("ProgressDeadlineExceeded"));
	expect_status(d, 0, -1, "deployment \"demo\" exceeded its progress deadline");
	json_decref(d);
}

static void test_history(void **state)
{
	(void)state;
	json_t *d = load("deployment.json");
	json_t *rs = load("replicasets-demo.json");
	struct kube_revision *v;
	size_t n = kube_rollout_revisions(d, rs, &v);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].revision, 2);
	assert_string_equal(v[0].rs_name, "demo-5c86f8657");
	assert_int_equal(v[1].revision, 3);
	char *t = kube_rollout_history_table(v, n);
	assert_string_equal(t, "REVISION  CHANGE-CAUSE\n2         <none>\n3         <none>\n");
	free(t);
	kube_revisions_free(v, n);
	/* A change-cause shows; ReplicaSets of another owner do not. */
	json_t *first = json_array_get(json_object_get(rs, "items"), 0);
	json_object_set_new(json_object_get(json_object_get(first, "metadata"), "annotations"),
			    "kubernetes.io/change-cause", json_string("kubectl set image x"));
	json_t *second = json_array_get(json_object_get(rs, "items"), 1);
	json_t *ref = json_array_get(json_object_get(json_object_get(second, "metadata"), "ownerReferences"), 0);
	json_object_set_new(ref, "uid", json_string("someone-else"));
	n = kube_rollout_revisions(d, rs, &v);
	assert_int_equal(n, 1);
	t = kube_rollout_history_table(v, n);
	assert_string_equal(t, "REVISION  CHANGE-CAUSE\n2         kubectl set image x\n");
	free(t);
	kube_revisions_free(v, n);
	t = kube_rollout_history_table(NULL, 0);
	assert_string_equal(t, "No rollout history found.\n");
	free(t);
	json_decref(d);
	json_decref(rs);
}

static void test_undo(void **state)
{
	(void)state;
	json_t *d = load("deployment.json");
	json_t *rs = load("replicasets-demo.json");
	struct kube_revision *v;
	size_t n = kube_rollout_revisions(d, rs, &v);
	char *patch;
	long chosen;
	struct perr e = { { 0 } };
	/* The current revision (3) matches the template: skipped. */
	assert_int_equal(kube_rollout_undo_patch(d, v, n, 3, &patch, &chosen, &e), 1);
	assert_null(patch);
	assert_int_equal(chosen, 3);
	assert_int_equal(kube_rollout_undo_patch(d, v, n, 7, &patch, &chosen, &e), -1);
	assert_string_equal(e.msg, "unable to find specified revision 7 in history");
	/* The previous revision: 2, whose template has the restartedAt
	 * annotation; the hash label goes, the Deployment keeps its own
	 * revision annotation and gets none of the ReplicaSet's skipped ones. */
	perr_clear(&e);
	assert_int_equal(kube_rollout_undo_patch(d, v, n, 0, &patch, &chosen, &e), 0);
	assert_int_equal(chosen, 2);
	json_t *p = json_loads(patch, 0, NULL);
	assert_true(json_is_array(p));
	assert_int_equal(json_array_size(p), 2);
	json_t *op0 = json_array_get(p, 0), *op1 = json_array_get(p, 1);
	assert_string_equal(json_string_value(json_object_get(op0, "op")), "replace");
	assert_string_equal(json_string_value(json_object_get(op0, "path")), "/spec/template");
	json_t *meta = json_object_get(json_object_get(op0, "value"), "metadata");
	assert_null(json_object_get(json_object_get(meta, "labels"), "pod-template-hash"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(meta, "labels"), "app")), "demo");
	assert_string_equal(json_string_value(json_object_get(json_object_get(meta, "annotations"),
							      "kubectl.kubernetes.io/restartedAt")),
			    "2026-11-28T11:32:06Z");
	assert_string_equal(json_string_value(json_object_get(op1, "path")), "/metadata/annotations");
	json_t *ann = json_object_get(op1, "value");
	assert_int_equal(json_object_size(ann), 1);
	assert_string_equal(json_string_value(json_object_get(ann, "deployment.kubernetes.io/revision")), "3");
	json_decref(p);
	free(patch);
	/* A paused Deployment is not rolled back. */
	json_object_set_new(json_object_get(d, "spec"), "paused", json_true());
	perr_clear(&e);
	assert_int_equal(kube_rollout_undo_patch(d, v, n, 2, &patch, &chosen, &e), -1);
	assert_non_null(strstr(e.msg, "you cannot rollback a paused deployment"));
	/* No previous revision. */
	perr_clear(&e);
	assert_int_equal(kube_rollout_undo_patch(d, v, 1, 0, &patch, &chosen, &e), -1);
	assert_string_equal(e.msg, "no rollout history found for deployment \"demo\"");
	kube_revisions_free(v, n);
	json_decref(d);
	json_decref(rs);
}

static void test_restart_patch(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	char *p = kube_rollout_restart_patch(1795865526LL);
	assert_string_equal(p, "{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"kubectl.kubernetes.io/restartedAt\":\"2026-11-28T11:32:06Z\"}}}}}");
	free(p);
	setenv("TZ", "CET-1", 1);
	p = kube_rollout_restart_patch(1795865526LL);
	assert_non_null(strstr(p, "\"2026-11-28T12:32:06+01:00\""));
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_messages),
		cmocka_unit_test(test_history),
		cmocka_unit_test(test_undo),
		cmocka_unit_test(test_restart_patch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
