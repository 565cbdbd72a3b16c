/* test_cli.c - what the headless commands share (tui/cli.c): the one
 * reading of --min-agreement that `model compare` and `rollout model`
 * both use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>

#include "tui/tui.h"

static void agreement_accepts_both_forms(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		double want;
	} ok[] = {
		{"99.5", 0.995}, {"99.5%", 0.995}, {"0.995", 0.995},
		{"1", 1.0},	 {"1%", 0.01},	   {"100", 1.0},
		{"100%", 1.0},	 {"0", 0.0},	   {"0%", 0.0},
		{"50", 0.5},	 {".5", 0.5},	   {"1.5", 0.015},
		{"0.5%", 0.005},
	};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		double f = -1;
		if (cli_parse_agreement(ok[i].in, &f) != 0)
			fail_msg("'%s' refused", ok[i].in);
		if (f != ok[i].want)
			fail_msg("'%s' read as %.17g, not %.17g", ok[i].in, f,
				 ok[i].want);
	}
}

static void agreement_refuses_the_rest(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		"%",
		"-1",
		"-0.5",
		"100.5",
		"101%",
		"1e2",
		"inf",
		"nan",
		"0x10",
		" 99",
		"99 ",
		"9.9.9",
		"99%%",
		"abc",
		"99.5x",
		"%99.5",
		".",
		"1234567890123456",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		double f = 0.25;
		if (cli_parse_agreement(bad[i], &f) == 0)
			fail_msg("'%s' accepted as %g", bad[i], f);
		assert_true(f == 0.25);
	}
}

/* A percentage compares with an agreement k/n as the exact values do:
 * 199 of 200 meets 99.5, 198 of 200 does not. */
static void agreement_compares_exactly(void **state)
{
	(void)state;
	double pct, frac;
	assert_int_equal(cli_parse_agreement("99.5", &pct), 0);
	assert_int_equal(cli_parse_agreement("0.995", &frac), 0);
	assert_true(pct == frac);
	assert_true(199.0 / 200.0 >= pct);
	assert_true(198.0 / 200.0 < pct);
	assert_int_equal(cli_parse_agreement("99.9%", &pct), 0);
	assert_true(999.0 / 1000.0 >= pct);
	assert_true(998.0 / 1000.0 < pct);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(agreement_accepts_both_forms),
		cmocka_unit_test(agreement_refuses_the_rest),
		cmocka_unit_test(agreement_compares_exactly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
