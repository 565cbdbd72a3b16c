/* test_describe_async.c - describe's two halves (kube_describe_calls, then
 * kube_describe_text over answers gathered on a watch set with
 * kube_gather_send) against the simulated cluster in process: the same
 * text, byte for byte, as the blocking kube_describe for every describer;
 * a refused auxiliary request shown as kubectl shows it; and a gather
 * cancelled with its requests out never calls back. */
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
#include "sim_fixture.h"

#define NOW 2000000000LL

static void run_for(struct kube_watchset *ws, long long ms)
{
	long long end = now_ms() + ms;
	while (now_ms() < end) {
		kube_watchset_poll(ws, NULL, 0, 10);
		kube_watchset_step(ws, now_ms());
	}
}

static void request(struct kube_client *c, const char *method, const char *path, const char *body)
{
	struct kube_response r = { 0 };
	struct perr e = { { 0 } };
	if (kube_request(c, method, path, NULL, body ? "application/json" : NULL, body,
			 body ? strlen(body) : 0, &r, &e) < 0)
		fail_msg("%s %s: %s", method, path, e.msg);
	kube_response_free(&r);
}

static int setup(void **state)
{
	struct sim_fixture *v = sim_fixture_new(20, 1);
	request(v->c, "POST", "/apis/apps/v1/namespaces/default/deployments",
		"{\"metadata\":{\"name\":\"web\"},\"spec\":{\"replicas\":2,"
		"\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
		"\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},"
		"\"spec\":{\"containers\":[{\"name\":\"nginx\",\"image\":\"nginx\"}]}}}}");
	request(v->c, "POST", "/api/v1/namespaces/default/services",
		"{\"metadata\":{\"name\":\"web\"},\"spec\":{\"selector\":{\"app\":\"web\"},"
		"\"ports\":[{\"port\":80}]}}");
	request(v->c, "POST", "/api/v1/namespaces/default/configmaps",
		"{\"metadata\":{\"name\":\"two\"},\"data\":{\"a\":\"b\"}}");
	request(v->c, "POST", "/api/v1/namespaces/default/secrets",
		"{\"metadata\":{\"name\":\"pull\"},\"data\":{\"x\":\"eXk=\"}}");
	request(v->c, "POST", "/apis/batch/v1/namespaces/default/jobs",
		"{\"metadata\":{\"name\":\"j1\"},\"spec\":{\"template\":{\"spec\":{\"restartPolicy\":\"Never\","
		"\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]}}}}");
	run_for(v->ws, 1500); /* pods, ReplicaSets, endpoints, events */
	*state = v;
	return 0;
}

/* The name of the first object of a kind in default. */
static char *first_name(struct kube_client *c, const struct kube_kind *k)
{
	char *path = kube_kind_path(k, "default", NULL);
	struct kube_response r = { 0 };
	struct perr e = { { 0 } };
	char *name = NULL;
	if (kube_request(c, "GET", path, NULL, NULL, NULL, 0, &r, &e) == 0) {
		json_t *l = json_loadb(r.body, r.len, 0, NULL);
		const char *n = json_string_value(json_object_get(
			json_object_get(json_array_get(json_object_get(l, "items"), 0), "metadata"), "name"));
		name = n ? xstrdup(n) : NULL;
		json_decref(l);
	}
	kube_response_free(&r);
	free(path);
	return name;
}

struct got {
	char *text;
	int calls;
};

struct pending {
	struct got *g;
	const struct kube_kind *k;
	const char *name;
	char *obj;
	size_t len;
};

static void gathered(void *ud, const struct kube_answer *answers, size_t n)
{
	struct pending *p = ud;
	struct perr e = { { 0 } };
	p->g->calls++;
	p->g->text = kube_describe_text(p->k, p->name, p->obj, p->len, answers, n, NOW, &e);
	if (!p->g->text)
		fail_msg("%s", e.msg);
}

/* The text as the dashboard makes it: the object, then the rest at once. */
static char *describe_async(struct sim_fixture *v, const struct kube_kind *k, const char *name)
{
	char *path = kube_kind_path(k, "default", name);
	struct kube_response r = { 0 };
	struct perr e = { { 0 } };
	assert_int_equal(kube_request(v->c, "GET", path, NULL, NULL, NULL, 0, &r, &e), 0);
	free(path);
	struct kube_call calls[KUBE_DESCRIBE_MAX_CALLS];
	size_t n = 0;
	assert_int_equal(kube_describe_calls(k, name, r.body, r.len, calls, &n, &e), 0);
	struct got g = { 0 };
	struct pending p = { &g, k, name, r.body, r.len };
	if (n == 0) {
		gathered(&p, NULL, 0);
	} else {
		struct kube_gather *ga = kube_gather_send(v->ws, NULL, calls, n, gathered, &p, &e);
		assert_non_null(ga);
		kube_watchset_drain(v->ws);
	}
	for (size_t i = 0; i < n; i++)
		kube_call_free(&calls[i]);
	kube_response_free(&r);
	assert_int_equal(g.calls, 1);
	return g.text;
}

static void test_same_text(void **state)
{
	struct sim_fixture *v = *state;
	static const char *const kinds[] = { "deployments", "pods",    "replicasets", "services",
					     "jobs",        "configmaps", "secrets",   "events" };
	for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
		const struct kube_kind *k = kube_kind_find(kinds[i]);
		assert_non_null(k);
		char *name = first_name(v->c, k);
		if (!name)
			fail_msg("no %s in default", kinds[i]);
		struct perr e = { { 0 } };
		char *want = kube_describe(v->c, k, "default", name, NOW, &e);
		if (!want)
			fail_msg("%s/%s: %s", kinds[i], name, e.msg);
		/* the answers gathered were used */
		if (!strcmp(kinds[i], "deployments"))
			assert_non_null(strstr(want, "NewReplicaSet:\tweb-"));
		if (!strcmp(kinds[i], "replicasets"))
			assert_non_null(strstr(want, "Pods Status:\t2 Running"));
		if (!strcmp(kinds[i], "jobs") || !strcmp(kinds[i], "replicasets"))
			assert_non_null(strstr(want, "Events:"));
		char *got = describe_async(v, k, name);
		if (strcmp(want, got))
			fail_msg("%s/%s: the texts differ:\n%s\n----\n%s", kinds[i], name, want, got);
		free(want);
		free(got);
		free(name);
	}
}

/* A ReplicaSet whose pods cannot be listed says so, as kubectl does; its
 * events that cannot be read leave the section out. */
static void test_refused_answers(void **state)
{
	struct sim_fixture *v = *state;
	const struct kube_kind *k = kube_kind_find("replicasets");
	char *name = first_name(v->c, k);
	assert_non_null(name);
	char *path = kube_kind_path(k, "default", name);
	struct kube_response r = { 0 };
	struct perr e = { { 0 } };
	assert_int_equal(kube_request(v->c, "GET", path, NULL, NULL, NULL, 0, &r, &e), 0);
	struct kube_call calls[KUBE_DESCRIBE_MAX_CALLS];
	size_t n = 0;
	assert_int_equal(kube_describe_calls(k, name, r.body, r.len, calls, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_string_equal(calls[0].path, "/api/v1/namespaces/default/pods");
	assert_non_null(strstr(calls[0].query, "labelSelector="));
	assert_string_equal(calls[1].path, "/api/v1/namespaces/default/events");
	struct kube_answer no[2] = {
		{ .ok = 0, .status = 403, .body = "", .error = "pods is forbidden: no" },
		{ .ok = 0, .status = 500, .body = "", .error = "boom" },
	};
	char *text = kube_describe_text(k, name, r.body, r.len, no, 2, NOW, &e);
	assert_non_null(text);
	assert_non_null(strstr(text, "Pods Status:\terror in fetching pods: pods is forbidden: no\n"));
	assert_null(strstr(text, "Events:"));
	free(text);
	/* the wrong number of answers is refused, not read past */
	assert_null(kube_describe_text(k, name, r.body, r.len, no, 1, NOW, &e));
	assert_non_null(strstr(e.msg, "1 answers for 2 requests"));
	/* an object that is not JSON */
	struct perr e2 = { { 0 } };
	assert_int_equal(kube_describe_calls(k, name, "<html>", 6, calls + 2, &n, &e2), -1);
	assert_non_null(strstr(e2.msg, "not JSON"));
	kube_call_free(&calls[0]);
	kube_call_free(&calls[1]);
	kube_response_free(&r);
	free(path);
	free(name);
}

static void never(void *ud, const struct kube_answer *answers, size_t n)
{
	(void)answers;
	(void)n;
	(*(int *)ud)++;
}

static void test_gather_cancel(void **state)
{
	struct sim_fixture *v = *state;
	struct kube_call calls[2] = {
		{ .method = "GET", .path = "/api/v1/namespaces/default/pods" },
		{ .method = "GET", .path = "/api/v1/namespaces/default/events" },
	};
	int called = 0;
	struct perr e = { { 0 } };
	struct kube_gather *g = kube_gather_send(v->ws, NULL, calls, 2, never, &called, &e);
	assert_non_null(g);
	assert_int_equal(kube_watchset_pending(v->ws), 2);
	kube_gather_cancel(g);
	assert_int_equal(kube_watchset_pending(v->ws), 0);
	run_for(v->ws, 300);
	assert_int_equal(called, 0);
	kube_gather_cancel(NULL);
	/* nothing to send is refused */
	assert_null(kube_gather_send(v->ws, NULL, calls, 0, never, &called, &e));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_text),
		cmocka_unit_test(test_refused_answers),
		cmocka_unit_test(test_gather_cancel),
	};
	return cmocka_run_group_tests(tests, setup, sim_fixture_teardown);
}
