/* test_eval.c - evaluation and comparison statistics, and top-K. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "model/model.h"

static void test_eval_stats(void **state)
{
	(void)state;
	/* 3 classes; true 0 0 1 1 1 2; predicted 0 1 1 1 2 2. */
	int y[] = { 0, 0, 1, 1, 1, 2 }, p[] = { 0, 1, 1, 1, 2, 2 };
	struct eval_stats s;
	struct perr e = { { 0 } };
	assert_int_equal(eval_stats_compute(y, p, 6, 3, &s, &e), 0);
	assert_int_equal(s.correct, 4);
	assert_true(fabs(s.accuracy - 4.0 / 6) < 1e-12);
	assert_int_equal(s.confusion[0 * 3 + 1], 1); /* a 0 taken for a 1 */
	assert_int_equal(s.confusion[1 * 3 + 2], 1);
	assert_int_equal(s.confusion[1 * 3 + 1], 2);
	assert_true(fabs(s.precision[1] - 2.0 / 3) < 1e-12);
	assert_true(fabs(s.recall[1] - 2.0 / 3) < 1e-12);
	assert_true(fabs(s.precision[2] - 0.5) < 1e-12);
	assert_true(fabs(s.recall[2] - 1.0) < 1e-12);
	assert_true(fabs(s.recall[0] - 0.5) < 1e-12);
	assert_int_equal(s.support[1], 3);
	eval_stats_free(&s);
	eval_stats_free(NULL);
	/* A class never predicted and one never seen: 0, not NaN. */
	int y2[] = { 0, 0 }, p2[] = { 0, 0 };
	assert_int_equal(eval_stats_compute(y2, p2, 2, 3, &s, &e), 0);
	assert_true(s.precision[1] == 0.0 && s.recall[2] == 0.0);
	eval_stats_free(&s);
	int bad[] = { 0, 3 };
	assert_int_equal(eval_stats_compute(bad, p2, 2, 3, &s, &e), -1);
	assert_string_equal(e.msg, "label 3 of sample 1 is outside the 3 classes");
}

static void test_topk(void **state)
{
	(void)state;
	float p[] = { 0.1f, 0.4f, 0.05f, 0.4f, 0.05f };
	int idx[5];
	assert_int_equal(eval_topk(p, 5, 3, idx), 3);
	assert_int_equal(idx[0], 1); /* ties: lower index first */
	assert_int_equal(idx[1], 3);
	assert_int_equal(idx[2], 0);
	assert_int_equal(eval_topk(p, 5, 9, idx), 5);
	assert_int_equal(idx[3], 2);
	assert_int_equal(idx[4], 4);
	assert_int_equal(eval_argmax(p, 5), 1);
}

static void test_compare(void **state)
{
	(void)state;
	/* 4 inputs, 2 classes. */
	float a[] = { 0.9f, 0.1f, 0.2f, 0.8f, 0.6f, 0.4f, 0.3f, 0.7f };
	float b[] = { 0.8f, 0.2f, 0.1f, 0.9f, 0.3f, 0.7f, 0.3f, 0.7f };
	int y[] = { 0, 1, 1, 0 };
	struct compare_stats s;
	struct perr e = { { 0 } };
	assert_int_equal(compare_compute(a, b, y, 4, 2, 2, &s, &e), 0);
	assert_int_equal(s.agree, 3);
	assert_true(fabs(s.agreement - 0.75) < 1e-12);
	assert_int_equal(s.ndisagree, 1);
	assert_int_equal(s.disagree[0], 2);
	assert_int_equal(s.confusion[0 * 2 + 1], 1); /* A said 0, B said 1 */
	assert_int_equal(s.confusion[1 * 2 + 1], 2);
	assert_true(fabs(s.acc_a - 0.5) < 1e-12); /* hits: 0, 1 */
	assert_true(fabs(s.acc_b - 0.75) < 1e-12); /* hits: 0, 1, 2 */
	assert_int_equal(s.ntop, 2);
	assert_int_equal(s.top[0].index, 2);
	assert_true(fabsf(s.top[0].pa - s.top[0].pb) > 0.29f);
	assert_true(s.top[1].index == 0 || s.top[1].index == 1);
	assert_true(fabs(s.max_abs_diff - 0.3) < 1e-6);
	compare_stats_free(&s);
	/* A model against itself agrees everywhere. */
	assert_int_equal(compare_compute(a, a, NULL, 4, 2, 3, &s, &e), 0);
	assert_int_equal(s.agree, 4);
	assert_int_equal(s.ndisagree, 0);
	assert_true(s.max_abs_diff == 0.0);
	assert_false(s.has_labels);
	compare_stats_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eval_stats),
		cmocka_unit_test(test_topk),
		cmocka_unit_test(test_compare),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
