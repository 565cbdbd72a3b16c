/* test_metrics.c - the model server's Prometheus registry: the exposition
 * text, cumulative histogram buckets, label escaping, status codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* cmocka needs the four above first */
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "model/model.h"

static void test_render(void **state)
{
	(void)state;
	struct metrics *m = metrics_new("mn\"ist\\", "abc", "0123");
	metrics_request(m, METRICS_INFER, 200);
	metrics_request(m, METRICS_INFER, 200);
	metrics_request(m, METRICS_INFER, 400);
	metrics_request(m, METRICS_LIVE, 200);
	metrics_request(m, METRICS_OTHER, 418); /* not in the table: "other" */
	metrics_request(m, (enum metrics_endpoint)99, 404);
	metrics_infer(m, 1, 0.0004); /* le 0.0005 */
	metrics_infer(m, 64, 0.02);  /* le 0.025 */
	metrics_infer(m, 3, 100);    /* only +Inf */
	char *t = metrics_render(m);
	assert_non_null(strstr(t, "podium_model_info{model=\"mn\\\"ist\\\\\","
				  "version=\"abc\",sha256=\"0123\""));
	assert_non_null(strstr(t, "\npodium_requests_total{endpoint=\"infer\","
				  "code=\"200\"} 2\n"));
	assert_non_null(strstr(t, "\npodium_requests_total{endpoint=\"infer\","
				  "code=\"400\"} 1\n"));
	assert_non_null(strstr(
		t,
		"\npodium_requests_total{endpoint=\"live\",code=\"200\"} 1\n"));
	assert_non_null(strstr(t, "\npodium_requests_total{endpoint=\"other\","
				  "code=\"other\"} 1\n"));
	assert_non_null(strstr(t, "\npodium_requests_total{endpoint=\"other\","
				  "code=\"404\"} 1\n"));
	/* series never seen are left out */
	assert_null(strstr(t, "endpoint=\"ready\""));
	assert_non_null(strstr(t, "\npodium_inference_duration_seconds_bucket{"
				  "le=\"0.00025\"} 0\n"));
	assert_non_null(strstr(t, "\npodium_inference_duration_seconds_bucket{"
				  "le=\"0.0005\"} 1\n"));
	assert_non_null(strstr(
		t,
		"\npodium_inference_duration_seconds_bucket{le=\"0.01\"} 1\n"));
	assert_non_null(strstr(t, "\npodium_inference_duration_seconds_bucket{"
				  "le=\"0.025\"} 2\n"));
	assert_non_null(strstr(
		t,
		"\npodium_inference_duration_seconds_bucket{le=\"2.5\"} 2\n"));
	assert_non_null(strstr(
		t,
		"\npodium_inference_duration_seconds_bucket{le=\"+Inf\"} 3\n"));
	assert_non_null(
		strstr(t, "\npodium_inference_duration_seconds_count 3\n"));
	assert_non_null(strstr(
		t, "\npodium_inference_duration_seconds_sum 100.020400000\n"));
	assert_non_null(strstr(t, "\npodium_images_inferred_total 68\n"));
	assert_non_null(strstr(
		t, "# TYPE podium_inference_duration_seconds histogram\n"));
	assert_int_equal(t[strlen(t) - 1], '\n');
	free(t);
	assert_string_equal(metrics_endpoint_name(METRICS_V1_PREDICT),
			    "v1_predict");
	metrics_free(m);
	metrics_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
