/* test_modelmetrics.c - what the models view reads: a model server's
 * /metrics (kube_prom_*), metrics.k8s.io pod usage (kube_podmetrics_parse),
 * and the sparkline of ready replicas (view_models_spark). The fixtures
 * were recorded from `podium sim --demo-model` serving the demo model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube.h"
#include "tui/tui.h"

static char *fixture(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof path, "%s/tests/data/models/%s", getenv("TOP") ? getenv("TOP") : ".", name);
	char *text = NULL;
	struct perr e = { { 0 } };
	if (read_file(path, 1 << 20, &text, len, &e) < 0)
		fail_msg("%s", e.msg);
	return text;
}

static void test_prom_serve_metrics(void **state)
{
	(void)state;
	size_t len;
	char *text = fixture("serve-metrics.txt", &len);
	struct kube_prom_scrape s;
	struct perr e = { { 0 } };
	assert_int_equal(kube_prom_parse(text, len, &s, &e), 0);
	/* infer only: the metadata, /metrics and 404 requests are no load */
	assert_true(s.requests == 30);
	assert_true(s.errors == 0);
	assert_int_equal(s.found, KUBE_PROM_HAS_REQUESTS | KUBE_PROM_HAS_HISTOGRAM);
	assert_int_equal(s.nbuckets, 14);
	assert_true(isinf(s.le[13]));
	assert_true(s.count[0] == 25 && s.count[13] == 30);
	assert_true(s.hist_count == 30);
	/* rank 29.7 lies in (0.001, 0.0025] holding one observation */
	double p99 = kube_prom_quantile(0.99, s.le, s.count, s.nbuckets);
	assert_true(fabs(p99 - 0.00205) < 1e-9);
	free(text);
}

static void test_prom_strict(void **state)
{
	(void)state;
	struct kube_prom_scrape s;
	struct perr e = { { 0 } };
	const char *none = "# HELP x\nother_metric 3\n";
	assert_int_equal(kube_prom_parse(none, strlen(none), &s, &e), -1);
	assert_non_null(strstr(e.msg, "podium_requests_total"));
	/* a label value holding a quote and a brace, an error code, v1
	 * predictions, garbage lines and a NaN are each taken or skipped */
	const char *t = "podium_requests_total{endpoint=\"infer\",code=\"400\",x=\"a\\\"}b\"} 4\n"
			"podium_requests_total{endpoint=\"v1_predict\",code=\"200\"} 6 1700000000\n"
			"podium_requests_total{endpoint=\"metrics\",code=\"200\"} 100\n"
			"podium_requests_total{endpoint=\"infer\",code=\"200\"} NaN\n"
			"podium_requests_total{endpoint=\"infer\" 9\n"
			"podium_requests_total{endpoint=infer} 9\n"
			"podium_inference_duration_seconds_bucket{le=\"+Inf\"} 10\n"
			"podium_inference_duration_seconds_bucket{le=\"0.1\"} 10\r\n";
	assert_int_equal(kube_prom_parse(t, strlen(t), &s, &e), 0);
	assert_true(s.requests == 10);
	assert_true(s.errors == 4);
	/* bounds come out ascending whatever the order they came in */
	assert_int_equal(s.nbuckets, 2);
	assert_true(s.le[0] == 0.1 && isinf(s.le[1]));
	assert_true(fabs(kube_prom_quantile(0.5, s.le, s.count, s.nbuckets) - 0.05) < 1e-12);
}

static void test_prom_delta(void **state)
{
	(void)state;
	struct kube_prom_scrape a, b, d, sum;
	struct perr e = { { 0 } };
	const char *t1 = "podium_requests_total{endpoint=\"infer\",code=\"200\"} 10\n"
			 "podium_inference_duration_seconds_bucket{le=\"0.01\"} 10\n"
			 "podium_inference_duration_seconds_bucket{le=\"1\"} 10\n"
			 "podium_inference_duration_seconds_bucket{le=\"+Inf\"} 10\n"
			 "podium_inference_duration_seconds_count 10\n";
	const char *t2 = "podium_requests_total{endpoint=\"infer\",code=\"200\"} 110\n"
			 "podium_inference_duration_seconds_bucket{le=\"0.01\"} 10\n"
			 "podium_inference_duration_seconds_bucket{le=\"1\"} 110\n"
			 "podium_inference_duration_seconds_bucket{le=\"+Inf\"} 110\n"
			 "podium_inference_duration_seconds_count 110\n";
	assert_int_equal(kube_prom_parse(t1, strlen(t1), &a, &e), 0);
	assert_int_equal(kube_prom_parse(t2, strlen(t2), &b, &e), 0);
	/* the slow hundred since the first scrape decide the p99, not the
	 * fast ten before it */
	assert_int_equal(kube_prom_delta(&a, &b, &d), 0);
	assert_true(d.requests == 100);
	double p99 = kube_prom_quantile(0.99, d.le, d.count, d.nbuckets);
	assert_true(fabs(p99 - (0.01 + 0.99 * 0.99)) < 1e-9);
	/* a restarted server counts from zero */
	assert_int_equal(kube_prom_delta(&b, &a, &d), 1);
	assert_true(d.requests == 10);
	/* two pods add up */
	memset(&sum, 0, sizeof sum);
	kube_prom_add(&sum, &a);
	kube_prom_add(&sum, &b);
	assert_true(sum.requests == 120);
	assert_int_equal(sum.nbuckets, 3);
	assert_true(sum.count[2] == 120);
	/* no observation: no quantile */
	memset(&d, 0, sizeof d);
	assert_true(isnan(kube_prom_quantile(0.99, d.le, d.count, 0)));
	double le[] = { 1, INFINITY }, zero[] = { 0, 0 };
	assert_true(isnan(kube_prom_quantile(0.99, le, zero, 2)));
	/* everything above the highest bound: that bound */
	double over[] = { 0, 5 };
	assert_true(kube_prom_quantile(0.99, le, over, 2) == 1);
}

static void test_podmetrics(void **state)
{
	(void)state;
	size_t len, n;
	char *text = fixture("podmetrics.json", &len);
	struct kube_pod_usage *u;
	struct perr e = { { 0 } };
	assert_int_equal(kube_podmetrics_parse(text, len, &u, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_string_equal(u[0].ns, "models");
	assert_non_null(strstr(u[0].name, "fashion-mnist-"));
	assert_true(u[0].has_cpu && u[0].has_mem);
	/* nanocores and Ki as the fixture holds them */
	assert_true(u[0].cpu_cores > 0 && u[0].cpu_cores < 1);
	assert_true(u[0].mem_bytes > 1024 * 1024 && fmod(u[0].mem_bytes, 1024) == 0);
	free(u);
	free(text);
	const char *two = "{\"items\":[{\"metadata\":{\"name\":\"p\",\"namespace\":\"n\"},"
			  "\"containers\":[{\"usage\":{\"cpu\":\"250m\",\"memory\":\"1Mi\"}},"
			  "{\"usage\":{\"cpu\":\"1\",\"memory\":\"bogus\"}}]},"
			  "{\"metadata\":{}}]}";
	assert_int_equal(kube_podmetrics_parse(two, strlen(two), &u, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_true(fabs(u[0].cpu_cores - 1.25) < 1e-12);
	assert_true(u[0].mem_bytes == 1048576);
	free(u);
	assert_int_equal(kube_podmetrics_parse("{\"kind\":\"Status\"}", 17, &u, &n, &e), -1);
	assert_non_null(strstr(e.msg, "PodMetricsList"));
	assert_int_equal(kube_podmetrics_parse("nope", 4, &u, &n, &e), -1);
}

static void test_spark(void **state)
{
	(void)state;
	char buf[64];
	int v[] = { 0, 1, 2, 3 };
	view_models_spark(v, 4, 3, 1, buf, sizeof buf);
	assert_string_equal(buf, "\u2581\u2583\u2586\u2588");
	view_models_spark(v, 4, 3, 0, buf, sizeof buf);
	assert_string_equal(buf, "_.=#");
	/* scaled to the desired count, or to the highest value above it */
	int w[] = { 2, 4 };
	view_models_spark(w, 2, 2, 0, buf, sizeof buf);
	assert_string_equal(buf, "-#");
	view_models_spark(w, 2, 8, 0, buf, sizeof buf);
	assert_string_equal(buf, ".-");
	/* a small buffer ends on a whole glyph */
	view_models_spark(v, 4, 3, 1, buf, 8);
	assert_string_equal(buf, "\u2581\u2583");
	view_models_spark(v, 0, 0, 1, buf, sizeof buf);
	assert_string_equal(buf, "");
}

static void test_spark_sampling(void **state)
{
	(void)state;
	struct view_models *m = view_models_new(NULL, NULL);
	char buf[128];
	long long t = 1000000; /* a bucket boundary: 10 s buckets */
	view_models_sample(m, "ns", "d", "app=d", 1, 3, t);
	view_models_sample(m, "ns", "d", "app=d", 2, 3, t + 5000);   /* same bucket: replaced */
	view_models_sample(m, "ns", "d", "app=d", 3, 3, t + 30000);  /* 2 carried twice, then 3 */
	view_models_cell(m, "ns", "d", VM_SPARK, 0, buf, sizeof buf);
	assert_string_equal(buf, "===#");
	view_models_cell(m, "ns", "d", VM_RPS, 0, buf, sizeof buf);
	assert_string_equal(buf, "-");
	view_models_cell(m, "ns", "other", VM_SPARK, 0, buf, sizeof buf);
	assert_string_equal(buf, "-");
	/* at most 12 samples: a long gap keeps the newest */
	view_models_sample(m, "ns", "d", "app=d", 0, 3, t + 1000000);
	view_models_cell(m, "ns", "d", VM_SPARK, 0, buf, sizeof buf);
	assert_int_equal(strlen(buf), 12);
	assert_int_equal(buf[11], '_');
	assert_int_equal(buf[10], '#');
	view_models_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prom_serve_metrics),
		cmocka_unit_test(test_prom_strict),
		cmocka_unit_test(test_prom_delta),
		cmocka_unit_test(test_podmetrics),
		cmocka_unit_test(test_spark),
		cmocka_unit_test(test_spark_sampling),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
