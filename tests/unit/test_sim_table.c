/* test_sim_table.c - the Table kubectl gets, compared with the real
 * server's (tests/data/sim/pods-table.json) and checked kind by kind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "kube/sim/sim.h"

/* The Date header of the recorded responses: Sat, 28 Nov 2026 11:36:18. */
#define FIXTURE_NOW 1795865778LL

static const struct sim_kind pod_kind = { "", "v1", "Pod", "pods", "pod", "po", 1, "", "all", 1, 0, NULL, 0, NULL };
static const struct sim_kind deploy_kind = { "apps", "v1", "Deployment", "deployments", "deployment", "deploy", 1, "", "all", 1, 1, NULL, 0, NULL };
static const struct sim_kind rs_kind = { "apps", "v1", "ReplicaSet", "replicasets", "replicaset", "rs", 1, "", "all", 1, 1, NULL, 0, NULL };
static const struct sim_kind node_kind = { "", "v1", "Node", "nodes", "node", "no", 0, "", NULL, 1, 0, NULL, 0, NULL };
static const struct sim_kind svc_kind = { "", "v1", "Service", "services", "service", "svc", 1, "", "all", 1, 0, NULL, 0, NULL };
static const struct sim_kind ep_kind = { "", "v1", "Endpoints", "endpoints", "endpoints", "ep", 1, "", NULL, 0, 0, NULL, 0, NULL };
static const struct sim_kind ev_kind = { "", "v1", "Event", "events", "event", "ev", 1, "", NULL, 0, 0, NULL, 0, NULL };
static const struct sim_kind job_kind = { "batch", "v1", "Job", "jobs", "job", "", 1, "", "all", 1, 0, NULL, 0, NULL };
static const struct sim_kind lease_kind = { "coordination.k8s.io", "v1", "Lease", "leases", "lease", "", 1, "", NULL, 0, 0, NULL, 0, NULL };

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

static void assert_json_equal(const json_t *got, const json_t *want)
{
	if (!json_equal((json_t *)got, (json_t *)want)) {
		char *g = json_dumps(got, JSON_SORT_KEYS | JSON_ENCODE_ANY);
		char *w = json_dumps(want, JSON_SORT_KEYS | JSON_ENCODE_ANY);
		fail_msg("got  %s\nwant %s", g, w);
	}
}

/* The pods of the list the real server served, as a Table at the same
 * moment, equal the real server's Table but for metadata.resourceVersion
 * (which the list handler adds). */
static void test_pods_fixture(void **state)
{
	(void)state;
	json_t *want = load("tests/data/sim/pods-table.json");
	json_t *list = load("tests/data/sim/pods-list.json");
	json_t *items = json_array();
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(list, "items"), i, p) {
		const char *app = json_string_value(json_object_get(json_object_get(json_object_get(p, "metadata"), "labels"), "app"));
		if (app && !strcmp(app, "demo"))
			json_array_append(items, p);
	}
	json_t *got = sim_table(&pod_kind, items, SIM_TABLE_METADATA, FIXTURE_NOW);
	json_object_set_new(json_object_get(got, "metadata"), "resourceVersion", json_string("1208"));
	assert_json_equal(json_object_get(got, "columnDefinitions"), json_object_get(want, "columnDefinitions"));
	json_t *gr = json_object_get(got, "rows"), *wr = json_object_get(want, "rows");
	assert_int_equal(json_array_size(gr), json_array_size(wr));
	for (i = 0; i < json_array_size(wr); i++) {
		assert_json_equal(json_object_get(json_array_get(gr, i), "cells"), json_object_get(json_array_get(wr, i), "cells"));
		assert_json_equal(json_object_get(json_array_get(gr, i), "object"), json_object_get(json_array_get(wr, i), "object"));
	}
	assert_json_equal(got, want);
	/* the key order is the real server's too */
	char *g = json_dumps(got, JSON_COMPACT);
	char *w = json_dumps(want, JSON_COMPACT);
	assert_string_equal(g, w);
	free(g);
	free(w);
	json_decref(got);
	/* includeObject=Object carries the pod, None a null */
	got = sim_table(&pod_kind, items, SIM_TABLE_OBJECT, FIXTURE_NOW);
	assert_json_equal(json_object_get(json_array_get(json_object_get(got, "rows"), 0), "object"), json_array_get(items, 0));
	json_decref(got);
	got = sim_table(&pod_kind, items, SIM_TABLE_NONE, FIXTURE_NOW);
	assert_true(json_is_null(json_object_get(json_array_get(json_object_get(got, "rows"), 0), "object")));
	json_decref(got);
	json_decref(items);
	json_decref(list);
	json_decref(want);
}

static json_t *cells_of(const struct sim_kind *k, const char *obj_json, long long now)
{
	json_t *items = json_pack("[o]", parse(obj_json));
	json_t *t = sim_table(k, items, SIM_TABLE_METADATA, now);
	json_t *cells = json_incref(json_object_get(json_array_get(json_object_get(t, "rows"), 0), "cells"));
	json_decref(t);
	json_decref(items);
	return cells;
}

static void expect_cells(const struct sim_kind *k, const char *obj, long long now, const char *want_s)
{
	json_t *got = cells_of(k, obj, now);
	json_t *want = parse(want_s);
	assert_json_equal(got, want);
	json_decref(got);
	json_decref(want);
}

#define T0 1795865778LL /* 2026-11-28T11:36:18Z */
#define META(name, created) "\"metadata\":{\"name\":\"" name "\",\"creationTimestamp\":\"" created "\"}"

static void test_pod_status_column(void **state)
{
	(void)state;
	/* CrashLoopBackOff with restarts, one of two ready */
	expect_cells(&pod_kind, "{" META("p", "2026-11-28T11:00:00Z") ",\"spec\":{\"nodeName\":\"n1\",\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]},"
		     "\"status\":{\"phase\":\"Running\",\"podIPs\":[{\"ip\":\"10.0.0.5\"}],\"containerStatuses\":["
		     "{\"name\":\"a\",\"ready\":true,\"restartCount\":1,\"state\":{\"running\":{}}},"
		     "{\"name\":\"b\",\"ready\":false,\"restartCount\":4,\"state\":{\"waiting\":{\"reason\":\"CrashLoopBackOff\"}}}]}}",
		     T0, "[\"p\",\"1/2\",\"CrashLoopBackOff\",5,\"36m\",\"10.0.0.5\",\"n1\",\"<none>\",\"<none>\"]");
	/* init containers */
	expect_cells(&pod_kind, "{" META("p", "2026-11-28T11:36:00Z") ",\"spec\":{\"initContainers\":[{\"name\":\"i\"},{\"name\":\"j\"}],\"containers\":[{\"name\":\"a\"}]},"
		     "\"status\":{\"phase\":\"Pending\",\"initContainerStatuses\":[{\"name\":\"i\",\"restartCount\":0,\"state\":{\"terminated\":{\"exitCode\":0}}},"
		     "{\"name\":\"j\",\"restartCount\":2,\"state\":{\"running\":{}}}]}}",
		     T0, "[\"p\",\"0/1\",\"Init:1/2\",2,\"18s\",\"<none>\",\"<none>\",\"<none>\",\"<none>\"]");
	/* Terminating, readiness gates, ErrImagePull */
	expect_cells(&pod_kind, "{\"metadata\":{\"name\":\"p\",\"creationTimestamp\":\"2026-11-20T11:36:18Z\",\"deletionTimestamp\":\"2026-11-28T11:36:18Z\"},"
		     "\"spec\":{\"containers\":[{\"name\":\"a\"}],\"readinessGates\":[{\"conditionType\":\"x\"},{\"conditionType\":\"y\"}]},"
		     "\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"x\",\"status\":\"True\"}],\"containerStatuses\":[{\"name\":\"a\",\"state\":{\"waiting\":{\"reason\":\"ErrImagePull\"}}}]}}",
		     T0, "[\"p\",\"0/1\",\"Terminating\",0,\"8d\",\"<none>\",\"<none>\",\"<none>\",\"1/2\"]");
	/* a succeeded pod's row carries the Completed condition */
	json_t *items = json_pack("[o]", parse("{" META("p", "2026-11-28T11:36:18Z") ",\"spec\":{\"containers\":[{\"name\":\"a\"}]},\"status\":{\"phase\":\"Succeeded\","
					       "\"containerStatuses\":[{\"name\":\"a\",\"state\":{\"terminated\":{\"exitCode\":0,\"reason\":\"Completed\"}}}]}}"));
	json_t *t = sim_table(&pod_kind, items, SIM_TABLE_METADATA, T0);
	json_t *row = json_array_get(json_object_get(t, "rows"), 0);
	json_t *want = parse("[{\"type\":\"Completed\",\"status\":\"True\",\"reason\":\"Succeeded\",\"message\":\"The pod has completed successfully.\"}]");
	assert_json_equal(json_object_get(row, "conditions"), want);
	assert_string_equal(json_string_value(json_array_get(json_object_get(row, "cells"), 2)), "Completed");
	json_decref(want);
	json_decref(t);
	json_decref(items);
}

/* duration.HumanDuration through the AGE cell. */
static void test_ages(void **state)
{
	(void)state;
	static const struct {
		long long secs;
		const char *want;
	} cases[] = {
		{ -5, "<invalid>" }, { -1, "0s" }, { 0, "0s" }, { 119, "119s" }, { 120, "2m" },
		{ 302, "5m2s" }, { 599, "9m59s" }, { 600, "10m" }, { 179 * 60 + 59, "179m" },
		{ 3 * 3600, "3h" }, { 3 * 3600 + 60 * 7, "3h7m" }, { 8 * 3600, "8h" },
		{ 47 * 3600, "47h" }, { 48 * 3600, "2d" }, { 50 * 3600, "2d2h" },
		{ 8 * 86400, "8d" }, { 729LL * 86400, "729d" }, { 730LL * 86400, "2y" },
		{ 731LL * 86400, "2y1d" }, { 8LL * 365 * 86400, "8y" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *c = cells_of(&node_kind, "{" META("n", "2026-11-28T11:36:18Z") "}", T0 + cases[i].secs);
		const char *got = json_string_value(json_array_get(c, 3));
		if (strcmp(got, cases[i].want))
			fail_msg("%lld s: got %s want %s", cases[i].secs, got, cases[i].want);
		json_decref(c);
	}
	json_t *c = cells_of(&node_kind, "{\"metadata\":{\"name\":\"n\"}}", T0);
	assert_string_equal(json_string_value(json_array_get(c, 3)), "<unknown>");
	json_decref(c);
}

/* Deployments and replicasets from the recorded lists. */
static void test_workloads_from_fixtures(void **state)
{
	(void)state;
	json_t *list = load("tests/data/sim/deployments-list.json");
	json_t *t = sim_table(&deploy_kind, json_object_get(list, "items"), SIM_TABLE_METADATA, T0);
	json_t *cols = json_object_get(t, "columnDefinitions");
	const char *names[] = { "Name", "Ready", "Up-to-date", "Available", "Age", "Containers", "Images", "Selector" };
	assert_int_equal(json_array_size(cols), 8);
	for (size_t i = 0; i < 8; i++) {
		assert_string_equal(json_string_value(json_object_get(json_array_get(cols, i), "name")), names[i]);
		assert_int_equal(json_integer_value(json_object_get(json_array_get(cols, i), "priority")), i >= 5);
	}
	json_t *rows = json_object_get(t, "rows");
	assert_int_equal(json_array_size(rows), json_array_size(json_object_get(list, "items")));
	size_t i;
	json_t *r;
	int seen_demo = 0;
	json_array_foreach(rows, i, r) {
		json_t *cells = json_object_get(r, "cells");
		if (strcmp(json_string_value(json_array_get(cells, 0)), "demo"))
			continue;
		seen_demo = 1;
		json_t *d = json_array_get(json_object_get(list, "items"), i);
		char ready[32];
		snprintf(ready, sizeof ready, "%lld/%lld",
			 (long long)json_integer_value(json_object_get(json_object_get(d, "status"), "readyReplicas")),
			 (long long)json_integer_value(json_object_get(json_object_get(d, "spec"), "replicas")));
		assert_string_equal(json_string_value(json_array_get(cells, 1)), ready);
		assert_string_equal(json_string_value(json_array_get(cells, 7)), "app=demo");
	}
	assert_true(seen_demo);
	json_decref(t);
	json_decref(list);

	expect_cells(&rs_kind, "{" META("web-5d4f", "2026-11-28T11:30:18Z") ",\"spec\":{\"replicas\":3,\"selector\":{\"matchLabels\":{\"pod-template-hash\":\"5d4f\",\"app\":\"web\"},"
		     "\"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"In\",\"values\":[\"b\",\"a\"]},{\"key\":\"gpu\",\"operator\":\"DoesNotExist\"}]},"
		     "\"template\":{\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.25\"},{\"name\":\"log\",\"image\":\"busybox\"}]}}},"
		     "\"status\":{\"replicas\":3,\"readyReplicas\":2}}",
		     T0, "[\"web-5d4f\",3,3,2,\"6m\",\"web,log\",\"nginx:1.25,busybox\",\"app=web,!gpu,pod-template-hash=5d4f,tier in (a,b)\"]");
	expect_cells(&job_kind, "{" META("train", "2026-11-28T11:26:18Z") ",\"spec\":{\"completions\":3,\"template\":{\"spec\":{\"containers\":[{\"name\":\"t\",\"image\":\"python:3\"}]}}},"
		     "\"status\":{\"succeeded\":1,\"startTime\":\"2026-11-28T11:26:20Z\",\"completionTime\":\"2026-11-28T11:30:20Z\"}}",
		     T0, "[\"train\",\"1/3\",\"4m\",\"10m\",\"t\",\"python:3\",\"\"]");
}

static void test_other_kinds(void **state)
{
	(void)state;
	json_t *list = load("tests/data/sim/nodes-list.json");
	json_t *n0 = json_array_get(json_object_get(list, "items"), 0);
	json_t *items = json_pack("[O]", n0);
	json_t *t = sim_table(&node_kind, items, SIM_TABLE_METADATA, T0);
	json_t *cells = json_object_get(json_array_get(json_object_get(t, "rows"), 0), "cells");
	assert_int_equal(json_array_size(cells), 10);
	assert_string_equal(json_string_value(json_array_get(cells, 1)), "Ready");
	assert_string_equal(json_string_value(json_array_get(cells, 4)),
			    json_string_value(json_object_get(json_object_get(json_object_get(n0, "status"), "nodeInfo"), "kubeletVersion")));
	json_decref(t);
	json_decref(items);
	json_decref(list);
	expect_cells(&node_kind, "{" META("n1", "2026-11-28T11:36:18Z") ",\"metadata\":{\"name\":\"n1\",\"creationTimestamp\":\"2026-11-28T11:36:18Z\",\"labels\":{\"node-role.kubernetes.io/master\":\"\",\"kubernetes.io/role\":\"gpu\"}},"
		     "\"spec\":{\"unschedulable\":true},\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"}],\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"10.1.0.1\"}],\"nodeInfo\":{\"kubeletVersion\":\"v1.20.2\"}}}",
		     T0, "[\"n1\",\"NotReady,SchedulingDisabled\",\"gpu,master\",\"0s\",\"v1.20.2\",\"10.1.0.1\",\"<none>\",\"<unknown>\",\"<unknown>\",\"<unknown>\"]");
	expect_cells(&svc_kind, "{" META("web", "2026-11-28T11:36:18Z") ",\"spec\":{\"type\":\"NodePort\",\"clusterIP\":\"10.96.0.10\",\"clusterIPs\":[\"10.96.0.10\"],"
		     "\"ports\":[{\"port\":80,\"nodePort\":30080,\"protocol\":\"TCP\"},{\"port\":53,\"protocol\":\"UDP\"}],\"selector\":{\"b\":\"2\",\"a\":\"1\"}}}",
		     T0, "[\"web\",\"NodePort\",\"10.96.0.10\",\"<none>\",\"80:30080/TCP,53/UDP\",\"0s\",\"a=1,b=2\"]");
	expect_cells(&svc_kind, "{" META("lb", "2026-11-28T11:36:18Z") ",\"spec\":{\"type\":\"LoadBalancer\",\"clusterIP\":\"10.96.0.11\",\"ports\":[{\"port\":443}]}}",
		     T0, "[\"lb\",\"LoadBalancer\",\"10.96.0.11\",\"<pending>\",\"443/TCP\",\"0s\",\"<none>\"]");
	expect_cells(&ep_kind, "{" META("web", "2026-11-28T11:36:18Z") ",\"subsets\":[{\"addresses\":[{\"ip\":\"10.0.0.1\"},{\"ip\":\"10.0.0.2\"},{\"ip\":\"10.0.0.3\"},{\"ip\":\"10.0.0.4\"}],\"ports\":[{\"port\":80}]}]}",
		     T0, "[\"web\",\"10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 1 more...\",\"0s\"]");
	expect_cells(&ep_kind, "{" META("none", "2026-11-28T11:36:18Z") "}", T0, "[\"none\",\"<none>\",\"0s\"]");
	expect_cells(&ev_kind, "{" META("web.1", "2026-11-28T11:30:18Z") ",\"involvedObject\":{\"kind\":\"Pod\",\"name\":\"web-1\",\"fieldPath\":\"spec.containers{web}\"},"
		     "\"reason\":\"Pulled\",\"message\":\" Successfully pulled image \\\"nginx\\\"\\n\",\"source\":{\"component\":\"kubelet\",\"host\":\"node-1\"},"
		     "\"firstTimestamp\":\"2026-11-28T11:30:18Z\",\"lastTimestamp\":\"2026-11-28T11:35:18Z\",\"count\":3,\"type\":\"Normal\"}",
		     T0, "[\"60s\",\"Normal\",\"Pulled\",\"pod/web-1\",\"spec.containers{web}\",\"kubelet, node-1\",\"Successfully pulled image \\\"nginx\\\"\",\"6m\",3,\"web.1\"]");
	/* kinds without a printer: the default Name / Created At table */
	json_t *leases = json_pack("[{s:{s:s,s:s}}]", "metadata", "name", "l", "creationTimestamp", "2026-11-28T11:36:18Z");
	json_t *dt = sim_table(&lease_kind, leases, SIM_TABLE_NONE, T0);
	json_decref(leases);
	json_t *want = parse("[\"l\",\"2026-11-28T11:36:18Z\"]");
	assert_json_equal(json_object_get(json_array_get(json_object_get(dt, "rows"), 0), "cells"), want);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(dt, "columnDefinitions"), 1), "name")), "Created At");
	json_decref(want);
	json_decref(dt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pods_fixture),
		cmocka_unit_test(test_pod_status_column),
		cmocka_unit_test(test_ages),
		cmocka_unit_test(test_workloads_from_fixtures),
		cmocka_unit_test(test_other_kinds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
