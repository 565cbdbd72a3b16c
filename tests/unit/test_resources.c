/* test_resources.c - the table of kinds: name resolution, paths, and the
 * projections of the recorded lists, checked cell for cell against the
 * Table the real API server printed for the same pods. */
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
#include <unistd.h>

#include "kube/kube.h"

static char data_dir[1024];
static long long rec_now; /* when the fixtures were recorded */

static char *fixture(const char *name, size_t *len)
{
	char path[1200], *s;
	snprintf(path, sizeof path, "%s/fixtures/%s", data_dir, name);
	assert_int_equal(read_file(path, 1 << 20, &s, len, NULL), 0);
	return s;
}

static void parse(const char *kind, const char *file, struct kube_table *t)
{
	size_t len;
	char *body = fixture(file, &len);
	struct perr e = { { 0 } };
	memset(t, 0, sizeof *t);
	assert_int_equal(kube_table_parse(kube_kind_find(kind), body, len, rec_now, t, &e), 0);
	free(body);
}

static void test_kind_names(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		const char *plural;
	} names[] = {
		{ "pods", "pods" }, { "pod", "pods" }, { "po", "pods" }, { "Pod", "pods" },
		{ "deploy", "deployments" }, { "deployment", "deployments" },
		{ "deployments.apps", "deployments" }, { "deployments.v1.apps", "deployments" },
		{ "deploy.apps", "deployments" }, { "rs", "replicasets" }, { "svc", "services" },
		{ "ev", "events" }, { "jobs.batch", "jobs" }, { "ns", "namespaces" },
		{ "cm", "configmaps" }, { "secret", "secrets" }, { "no", "nodes" }, { "nodes", "nodes" },
		{ "pods.v1", "pods" }, { NULL, NULL },
	};
	for (int i = 0; names[i].name; i++) {
		const struct kube_kind *k = kube_kind_find(names[i].name);
		if (!k || strcmp(k->plural, names[i].plural) != 0)
			fail_msg("%s resolved to %s", names[i].name, k ? k->plural : "nothing");
	}
	assert_null(kube_kind_find("deployments.batch"));
	assert_null(kube_kind_find("widgets"));
	/* "models" is the alias kind; "deployments" stays the plain one */
	const struct kube_kind *mk = kube_kind_find("models");
	assert_non_null(mk);
	assert_string_equal(mk->plural, "deployments");
	assert_string_equal(mk->selector, "podium.dev/model");
	assert_ptr_equal(kube_kind_find("model"), mk);
	assert_null(kube_kind_find("deployments")->selector);
	char *sel = kube_kind_selector(mk, "app=x");
	assert_string_equal(sel, "podium.dev/model,app=x");
	free(sel);
	sel = kube_kind_selector(mk, NULL);
	assert_string_equal(sel, "podium.dev/model");
	free(sel);
	assert_null(kube_kind_selector(kube_kind_find("pods"), ""));
	sel = kube_kind_selector(kube_kind_find("pods"), "a=b");
	assert_string_equal(sel, "a=b");
	free(sel);
	assert_null(kube_kind_find(""));

	const struct kube_kind *d = kube_kind_find("deploy");
	char *p = kube_kind_path(d, "default", "demo");
	assert_string_equal(p, "/apis/apps/v1/namespaces/default/deployments/demo");
	free(p);
	p = kube_kind_path(d, NULL, NULL);
	assert_string_equal(p, "/apis/apps/v1/deployments");
	free(p);
	p = kube_kind_path(kube_kind_find("nodes"), "ignored", "n1");
	assert_string_equal(p, "/api/v1/nodes/n1");
	free(p);
	char buf[64];
	assert_string_equal(kube_kind_api_version(d, buf, sizeof buf), "apps/v1");
	assert_string_equal(kube_kind_resource(d, buf, sizeof buf), "deployments.apps");
	assert_string_equal(kube_kind_api_version(kube_kind_find("po"), buf, sizeof buf), "v1");
	assert_string_equal(kube_kind_resource(kube_kind_find("po"), buf, sizeof buf), "pods");
}

/* Our projection of the pod list gives what the server's Table said. */
static void test_pods_match_server_table(void **state)
{
	(void)state;
	struct kube_table server, ours;
	parse("pods", "pods-table.json", &server);
	parse("pods", "pods-list-demo.json", &ours);
	assert_true(server.from_server);
	assert_false(ours.from_server);
	assert_int_equal(server.nrows, 3);
	assert_int_equal(ours.nrows, server.nrows);
	assert_int_equal(ours.ncols, server.ncols);
	for (size_t c = 0; c < server.ncols; c++) {
		assert_string_equal(ours.headers[c], server.headers[c]);
		assert_int_equal(ours.wide[c], server.wide[c]);
	}
	for (size_t r = 0; r < server.nrows; r++) {
		assert_string_equal(ours.rows[r].name, server.rows[r].name);
		for (size_t c = 0; c < server.ncols; c++)
			if (strcmp(ours.rows[r].cols[c], server.rows[r].cols[c]) != 0)
				fail_msg("%s column %s: ours %s, server %s", server.rows[r].name,
					 server.headers[c], ours.rows[r].cols[c], server.rows[r].cols[c]);
	}
	/* the server's rows carry object metadata too */
	assert_string_equal(server.rows[0].namespace, "default");
	assert_true(server.rows[0].created > 0);
	assert_string_equal(server.rows[0].cols[4], "4m9s");
	assert_string_equal(server.resource_version, "1208");
	assert_null(server.continue_token);
	kube_table_clear(&server);
	kube_table_clear(&ours);
}

static void test_paging(void **state)
{
	(void)state;
	struct kube_table t;
	parse("pods", "pods-list-limit2.json", &t);
	assert_int_equal(t.nrows, 2);
	assert_non_null(t.continue_token);
	assert_string_equal(t.continue_token, "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTIwOCwic3RhcnQiOiJkZW1vLTk5N2M0NTRkZi1sNmZ6cVx1MDAwMCJ9");
	assert_int_equal(t.remaining, 5);
	/* the next page appends */
	size_t len;
	char *body = fixture("pods-list-limit2-page2.json", &len);
	struct perr e = { { 0 } };
	assert_int_equal(kube_table_parse(t.kind, body, len, rec_now, &t, &e), 0);
	free(body);
	assert_int_equal(t.nrows, 4);
	assert_string_equal(t.rows[2].name, "demo-997c454df-w8bt9");
	/* a Table page after a List page is refused */
	body = fixture("pods-table.json", &len);
	assert_int_equal(kube_table_parse(t.kind, body, len, rec_now, &t, &e), -1);
	assert_non_null(strstr(e.msg, "different columns"));
	free(body);
	kube_table_clear(&t);
}

static void check_row(const struct kube_table *t, size_t r, const char *const *want)
{
	for (size_t c = 0; c < t->ncols; c++)
		if (strcmp(t->rows[r].cols[c], want[c]) != 0)
			fail_msg("%s %s: got \"%s\" want \"%s\"", t->rows[r].name, t->headers[c],
				 t->rows[r].cols[c], want[c]);
}

static void test_other_kinds(void **state)
{
	(void)state;
	struct kube_table t;
	parse("deploy", "deployments-list.json", &t);
	assert_int_equal(t.nrows, 2);
	check_row(&t, 0, (const char *const[]){ "demo", "3/3", "3", "3", "4m15s", "nginx", "nginx", "app=demo" });
	assert_string_equal(t.headers[2], "UP-TO-DATE");
	assert_int_equal(t.rows[0].nlabels, 1);
	assert_string_equal(t.rows[0].labels[0].key, "app");
	kube_table_clear(&t);

	parse("rs", "replicasets-demo.json", &t);
	assert_int_equal(t.nrows, 2);
	check_row(&t, 1, (const char *const[]){ "demo-997c454df", "3", "3", "3", "4m15s", "nginx", "nginx",
						"app=demo,pod-template-hash=997c454df" });
	assert_string_equal(t.rows[0].cols[1], "0");
	kube_table_clear(&t);

	parse("nodes", "nodes-list.json", &t);
	assert_int_equal(t.nrows, 2);
	check_row(&t, 0, (const char *const[]){ "hollow-node-1", "Ready", "<none>", "4m36s", "v1.20.2",
						"127.0.0.1", "<none>", "Debian GNU/Linux 7 (wheezy)",
						"3.16.0-0.bpo.4-amd64", "fakeRuntime://0.1.0" });
	assert_string_equal(t.rows[0].namespace, "");
	kube_table_clear(&t);
}

/* Objects the fixtures do not have: services, events, jobs, secrets, and
 * pods in the states kubectl names. */
static void project_one(const char *kind, const char *json, const char *const *want)
{
	json_error_t je;
	json_t *o = json_loads(json, 0, &je);
	if (!o)
		fail_msg("bad test json: %s", je.text);
	struct kube_obj obj;
	const struct kube_kind *k = kube_kind_find(kind);
	assert_int_equal(kube_obj_project(k, o, rec_now, &obj), 0);
	for (size_t c = 0; c < obj.ncols; c++)
		if (strcmp(obj.cols[c], want[c]) != 0)
			fail_msg("%s %s: got \"%s\" want \"%s\"", kind, k->columns[c].name, obj.cols[c], want[c]);
	kube_obj_clear(&obj);
	json_decref(o);
}

static void test_projections(void **state)
{
	(void)state;
	project_one("svc",
		    "{\"metadata\":{\"name\":\"web\",\"creationTimestamp\":\"2026-11-28T09:36:18Z\"},"
		    "\"spec\":{\"type\":\"NodePort\",\"clusterIP\":\"10.0.0.7\",\"selector\":{\"b\":\"2\",\"a\":\"1\"},"
		    "\"ports\":[{\"port\":80,\"nodePort\":30080,\"protocol\":\"TCP\"},{\"port\":53,\"protocol\":\"UDP\"}]}}",
		    (const char *const[]){ "web", "NodePort", "10.0.0.7", "<none>", "80:30080/TCP,53/UDP", "120m", "a=1,b=2" });
	project_one("svc",
		    "{\"metadata\":{\"name\":\"lb\",\"creationTimestamp\":\"2026-11-20T11:36:18Z\"},"
		    "\"spec\":{\"type\":\"LoadBalancer\",\"clusterIP\":\"10.0.0.8\",\"ports\":[]}}",
		    (const char *const[]){ "lb", "LoadBalancer", "10.0.0.8", "<pending>", "<none>", "8d", "<none>" });
	project_one("ev",
		    "{\"metadata\":{\"name\":\"demo.1\"},\"type\":\"Warning\",\"reason\":\"BackOff\","
		    "\"involvedObject\":{\"kind\":\"Pod\",\"name\":\"demo-1\"},\"lastTimestamp\":\"2026-11-28T11:35:18Z\","
		    "\"message\":\"Back-off pulling image\\nsecond line\"}",
		    (const char *const[]){ "demo.1", "60s", "Warning", "BackOff", "pod/demo-1", "Back-off pulling image" });
	project_one("job",
		    "{\"metadata\":{\"name\":\"build\",\"creationTimestamp\":\"2026-11-28T11:30:18Z\"},"
		    "\"spec\":{\"completions\":1,\"template\":{\"spec\":{\"containers\":[{\"name\":\"b\",\"image\":\"moby/buildkit\"}]}},"
		    "\"selector\":{\"matchExpressions\":[{\"key\":\"job\",\"operator\":\"In\",\"values\":[\"x\",\"y\"]}]}},"
		    "\"status\":{\"succeeded\":1,\"startTime\":\"2026-11-28T11:30:20Z\",\"completionTime\":\"2026-11-28T11:31:05Z\"}}",
		    (const char *const[]){ "build", "1/1", "45s", "6m", "b", "moby/buildkit", "job in (x,y)" });
	/* a Secret shows its key count, never its values */
	project_one("secret",
		    "{\"metadata\":{\"name\":\"pull\",\"creationTimestamp\":\"2026-11-28T11:36:00Z\"},"
		    "\"type\":\"kubernetes.io/dockerconfigjson\",\"data\":{\".dockerconfigjson\":\"c2VjcmV0\"}}",
		    (const char *const[]){ "pull", "kubernetes.io/dockerconfigjson", "1", "18s" });
	project_one("cm", "{\"metadata\":{\"name\":\"ctx\"},\"data\":{\"a\":\"1\",\"b\":\"2\"},\"binaryData\":{\"c\":\"AA==\"}}",
		    (const char *const[]){ "ctx", "3", "<unknown>" });
	/* models: an alias over deployments with its own columns; the
	 * annotation's full checksum wins over the label's 32 digits */
	project_one("models",
		    "{\"metadata\":{\"name\":\"fm\",\"creationTimestamp\":\"2026-11-28T11:30:18Z\","
		    "\"labels\":{\"podium.dev/model\":\"fashion\",\"podium.dev/model-sha256\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"},"
		    "\"annotations\":{\"podium.dev/model-sha256\":\"e5d6284ecab1f5787e4fe01952f86af8d4f4b8353a64ba5b23620993537fb78e\","
		    "\"deployment.kubernetes.io/revision\":\"3\"}},"
		    "\"spec\":{\"replicas\":3,\"selector\":{\"matchLabels\":{\"app\":\"fm\"}},"
		    "\"template\":{\"spec\":{\"containers\":[{\"name\":\"s\",\"image\":\"reg/fm:3\"}]}}},"
		    "\"status\":{\"readyReplicas\":2}}",
		    (const char *const[]){ "fm", "fashion", "e5d6284ecab1", "2/3", "3", "reg/fm:3", "6m", "app=fm" });
	project_one("model", "{\"metadata\":{\"name\":\"bare\"},\"spec\":{}}",
		    (const char *const[]){ "bare", "<none>", "<none>", "0/0", "<none>", "<none>", "<unknown>", "<none>" });
	project_one("ns", "{\"metadata\":{\"name\":\"models\",\"creationTimestamp\":\"2026-11-28T11:36:18Z\"},\"status\":{\"phase\":\"Active\"}}",
		    (const char *const[]){ "models", "Active", "0s" });

	/* pod states: an image that does not pull, a crash, init, terminating */
	const char *pod_fmt_start = "{\"metadata\":{\"name\":\"p\",\"creationTimestamp\":\"2026-11-28T11:36:08Z\"";
	char buf[2048];
	snprintf(buf, sizeof buf, "%s},\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]},"
		 "\"status\":{\"phase\":\"Pending\",\"containerStatuses\":["
		 "{\"name\":\"a\",\"ready\":true,\"restartCount\":1,\"state\":{\"running\":{}}},"
		 "{\"name\":\"b\",\"ready\":false,\"restartCount\":2,\"state\":{\"waiting\":{\"reason\":\"ImagePullBackOff\"}}}]}}",
		 pod_fmt_start);
	project_one("po", buf, (const char *const[]){ "p", "1/2", "ImagePullBackOff", "3", "10s", "<none>", "<none>", "<none>", "<none>" });
	snprintf(buf, sizeof buf, "%s},\"spec\":{\"initContainers\":[{\"name\":\"i\"},{\"name\":\"j\"}],\"containers\":[{\"name\":\"a\"}]},"
		 "\"status\":{\"phase\":\"Pending\",\"initContainerStatuses\":["
		 "{\"name\":\"i\",\"restartCount\":0,\"state\":{\"terminated\":{\"exitCode\":0}}},"
		 "{\"name\":\"j\",\"restartCount\":0,\"state\":{\"running\":{}}}]}}",
		 pod_fmt_start);
	project_one("po", buf, (const char *const[]){ "p", "0/1", "Init:1/2", "0", "10s", "<none>", "<none>", "<none>", "<none>" });
	snprintf(buf, sizeof buf, "%s,\"deletionTimestamp\":\"2026-11-28T11:36:10Z\"},\"spec\":{\"nodeName\":\"n1\",\"containers\":[{\"name\":\"a\"}]},"
		 "\"status\":{\"phase\":\"Running\",\"podIP\":\"10.1.0.4\",\"containerStatuses\":["
		 "{\"name\":\"a\",\"ready\":true,\"restartCount\":0,\"state\":{\"running\":{}}}]}}",
		 pod_fmt_start);
	project_one("po", buf, (const char *const[]){ "p", "1/1", "Terminating", "0", "10s", "10.1.0.4", "n1", "<none>", "<none>" });
	snprintf(buf, sizeof buf, "%s},\"spec\":{\"containers\":[{\"name\":\"a\"}]},"
		 "\"status\":{\"phase\":\"Running\",\"containerStatuses\":["
		 "{\"name\":\"a\",\"ready\":false,\"restartCount\":4,\"state\":{\"terminated\":{\"exitCode\":137,\"signal\":9}}}]}}",
		 pod_fmt_start);
	project_one("po", buf, (const char *const[]){ "p", "0/1", "Signal:9", "4", "10s", "<none>", "<none>", "<none>", "<none>" });
	/* escape sequences from the cluster never reach a cell */
	snprintf(buf, sizeof buf, "%s},\"spec\":{\"containers\":[{\"name\":\"a\"}]},"
		 "\"status\":{\"phase\":\"Run\\u001b[31mning\"}}", pod_fmt_start);
	project_one("po", buf, (const char *const[]){ "p", "0/1", "Running", "0", "10s", "<none>", "<none>", "<none>", "<none>" });
}

static void test_bad_input(void **state)
{
	(void)state;
	struct kube_table t;
	memset(&t, 0, sizeof t);
	struct perr e = { { 0 } };
	const struct kube_kind *k = kube_kind_find("pods");
	assert_int_equal(kube_table_parse(k, "not json", 8, 0, &t, &e), -1);
	assert_non_null(strstr(e.msg, "is not JSON"));
	perr_clear(&e);
	assert_int_equal(kube_table_parse(k, "{\"kind\":\"PodList\"}", 18, 0, &t, &e), -1);
	assert_non_null(strstr(e.msg, "no items"));
	perr_clear(&e);
	/* items without names are skipped, not crashed on */
	const char *odd = "{\"kind\":\"PodList\",\"items\":[{},3,{\"metadata\":{\"name\":\"ok\"}}]}";
	assert_int_equal(kube_table_parse(k, odd, strlen(odd), 0, &t, &e), 0);
	assert_int_equal(t.nrows, 1);
	assert_string_equal(t.rows[0].cols[2], "");
	kube_table_clear(&t);
}

int main(void)
{
	const char *top = getenv("TOP");
	char cwd[512];
	if (top && top[0] == '/')
		snprintf(data_dir, sizeof data_dir, "%s/tests/data/kube", top);
	else if (getcwd(cwd, sizeof cwd))
		snprintf(data_dir, sizeof data_dir, "%s/tests/data/kube", cwd);
	/* Date: Sat, 28 Nov 2026 11:36:18 GMT on the recorded answers */
	assert_int_equal(kube_parse_time("2026-11-28T11:36:18Z", &rec_now), 0);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_pods_match_server_table),
		cmocka_unit_test(test_paging),
		cmocka_unit_test(test_other_kinds),
		cmocka_unit_test(test_projections),
		cmocka_unit_test(test_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
