/* test_jfloat.c - floats as JSON text (model/jfloat.c): every finite float
 * tried reads back bit for bit, with at most 9 significant digits and no
 * more than the shortest %.Ne that reads back; the layout is %g's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

static float from_bits(uint32_t b)
{
	float f;
	memcpy(&f, &b, sizeof f);
	return f;
}

static uint32_t bits_of(float f)
{
	uint32_t b;
	memcpy(&b, &f, sizeof b);
	return b;
}

/* Significant digits in a %g-style text. */
static int sig_digits(const char *s)
{
	int n = 0, started = 0;
	for (; *s && *s != 'e'; s++) {
		if (*s < '0' || *s > '9')
			continue;
		if (*s != '0')
			started = 1;
		if (started)
			n++;
	}
	/* trailing zeros of an integer part ("100") are not significant */
	return n;
}

/* The fewest digits n for which snprintf's correctly rounded %.(n-1)e
 * reads back. */
static int shortest_printf(float f)
{
	char b[64];
	for (int n = 1; n <= 9; n++) {
		snprintf(b, sizeof b, "%.*e", n - 1, (double)f);
		if (strtof(b, NULL) == f)
			return n;
	}
	return 9;
}

static void check(float f, int brute)
{
	char out[JFLOAT_MAX + 8];
	memset(out, 'x', sizeof out);
	int n = jfloat_format(out, f);
	if (n < 1 || n >= JFLOAT_MAX || (int)strlen(out) != n)
		fail_msg("%a: length %d for \"%s\"", (double)f, n, out);
	char *end;
	float back = strtof(out, &end);
	if (*end || bits_of(back) != bits_of(f))
		fail_msg("%a (%.9g) wrote \"%s\", which reads back as %a",
			 (double)f, (double)f, out, (double)back);
	int d = sig_digits(out);
	if (d > 9)
		fail_msg("%.9g wrote \"%s\": %d digits", (double)f, out, d);
	/* outside [1e-14, 1e22) the text is %.9g's: it reads back, but may
	 * be longer than it needs */
	if (brute && fabs((double)f) >= 1e-14 && fabs((double)f) < 1e22) {
		int s = shortest_printf(f);
		/* "100" counts 3 digits here and 1 for %e: compare the
		 * mantissa digits only when there is no integer padding */
		if (d > s && !(strchr(out, '.') == NULL && !strchr(out, 'e')))
			fail_msg("%.9g wrote \"%s\" (%d digits); %d read back",
				 (double)f, out, d, s);
	}
}

static void known_texts(void **state)
{
	(void)state;
	static const struct {
		float f;
		const char *want;
	} t[] = {
		{0.0f, "0"},
		{-0.0f, "-0"},
		{1.0f, "1"},
		{-2.5f, "-2.5"},
		{0.1f, "0.1"},
		{0.5f, "0.5"},
		{100.0f, "100"},
		{123456.0f, "123456"},
		{0.000123f, "0.000123"},
		{1e-5f, "1e-05"},
		{1.5e-5f, "1.5e-05"},
		{1e9f, "1e+09"},
		{123456792.0f, "123456790"}, /* floats there are 8 apart */
		{16777216.0f, "16777216"},
		{3.14159274f, "3.1415927"},
		{0.333333343f, "0.33333334"},
		{4.75997331e-05f, "4.7599733e-05"},
		{1e-14f, "1e-14"},
		{1e21f, "1e+21"},
	};
	char out[JFLOAT_MAX];
	for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
		jfloat_format(out, t[i].f);
		if (strcmp(out, t[i].want))
			fail_msg("%.9g: \"%s\", want \"%s\"", (double)t[i].f,
				 out, t[i].want);
		check(t[i].f, 1);
	}
	assert_int_equal(jfloat_format(out, NAN), 4);
	assert_string_equal(out, "null");
	jfloat_format(out, -INFINITY);
	assert_string_equal(out, "null");
	/* the ends of the range (the snprintf path) */
	check(FLT_MAX, 1);
	check(-FLT_MAX, 1);
	check(FLT_MIN, 1);
	check(from_bits(1), 1); /* the smallest subnormal */
	check(1e-15f, 1);
	check(1e22f, 1);
}

/* Every power of ten and its neighbours: where the exponent is decided. */
static void powers_of_ten(void **state)
{
	(void)state;
	for (int e = -44; e <= 38; e++) {
		float p = (float)pow(10, e);
		check(p, 1);
		check(nextafterf(p, 0), 1);
		check(nextafterf(p, INFINITY), 1);
	}
}

/* A stride over every float in [0, 1] (probabilities) and random bit
 * patterns over the whole range, against snprintf's shortest on a part. */
static void sweep(void **state)
{
	(void)state;
	uint32_t one = bits_of(1.0f);
	for (uint32_t b = 0; b <= one; b += 1031)
		check(from_bits(b), b % 16 == 0);
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (int i = 0; i < 300000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		float f = from_bits((uint32_t)x);
		if (isfinite(f))
			check(f, i % 8 == 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known_texts),
		cmocka_unit_test(powers_of_ten),
		cmocka_unit_test(sweep),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
