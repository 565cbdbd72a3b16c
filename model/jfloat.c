/*
 * jfloat.c - a float as JSON text, fast: the model server writes ten
 * probabilities per image, and snprintf("%.9g") cost as much as the rest
 * of the reply. The text is the shortest decimal of at most 9 significant
 * digits that reads back as the same float (shortest among the two
 * nearest n-digit decimals for each n), laid out as %g lays it out
 * (exponent when below 1e-4 or from 1e9 on).
 *
 * Why it is exact without big numbers: a float widened to a double is
 * exact, and so are the powers of ten up to 1e22; one multiplication or
 * division of exact doubles is correctly rounded, and correct rounding is
 * monotonic, so a candidate decimal rounded to a double lies strictly
 * inside the float's rounding interval (whose ends, midpoints between
 * neighbouring floats, are exact doubles) only if the decimal itself
 * does. Where the digits would need a power beyond 1e22 (magnitudes from
 * 1e22 on, and under 1e-14 when the shortest takes more digits than the
 * power allows) the text is snprintf("%.9g")'s.
 */
#include "model/model.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const double p10[] = {
	1e0,  1e1,  1e2,  1e3,	1e4,  1e5,  1e6,  1e7,	1e8,  1e9,  1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* digits * 10^k as a correctly rounded double; |k| <= 22. */
static double scaled(double digits, int k)
{
	return k >= 0 ? digits * p10[k] : digits / p10[-k];
}

/* Does the decimal digits * 10^k read back as the float whose rounding
 * interval is (lo, hi), ends included when the float's significand is
 * even (a tie rounds to even)? Landing on an end can be a decimal just
 * outside it unless the product is exact (an integer under 2^53), so
 * otherwise that counts as no and the next length is tried. */
static int reads_back(double digits, int k, double lo, double hi, int even)
{
	double d = scaled(digits, k);
	if (d > lo && d < hi)
		return 1;
	return even && k >= 0 && d <= 9007199254740992.0 &&
	       (d == lo || d == hi);
}

/* The text of the n digits of d (no trailing zeros) with decimal
 * exponent e (d = 0.d1d2...dn * 10^(e+1)), as %g lays it out. */
static int layout(char *out, uint64_t d, int n, int e, int neg)
{
	char dig[24];
	for (int i = n - 1; i >= 0; i--) {
		dig[i] = (char)('0' + d % 10);
		d /= 10;
	}
	while (n > 1 && dig[n - 1] == '0')
		n--;
	char *o = out;
	if (neg)
		*o++ = '-';
	if (e < -4 || e >= 9) {
		*o++ = dig[0];
		if (n > 1) {
			*o++ = '.';
			memcpy(o, dig + 1, (size_t)(n - 1));
			o += n - 1;
		}
		*o++ = 'e';
		*o++ = e < 0 ? '-' : '+';
		int a = e < 0 ? -e : e;
		if (a >= 10)
			*o++ = (char)('0' + a / 10);
		else
			*o++ = '0';
		*o++ = (char)('0' + a % 10);
	} else if (e < 0) {
		*o++ = '0';
		*o++ = '.';
		for (int i = -1; i > e; i--)
			*o++ = '0';
		memcpy(o, dig, (size_t)n);
		o += n;
	} else {
		for (int i = 0; i <= e; i++)
			*o++ = i < n ? dig[i] : '0';
		if (n > e + 1) {
			*o++ = '.';
			memcpy(o, dig + e + 1, (size_t)(n - e - 1));
			o += n - e - 1;
		}
	}
	*o = '\0';
	return (int)(o - out);
}

int jfloat_format(char *out, float f)
{
	if (!isfinite(f))
		return (int)(memcpy(out, "null", 5), 4);
	if (f == 0)
		return signbit(f) ? (int)(memcpy(out, "-0", 3), 2)
				  : (int)(memcpy(out, "0", 2), 1);
	int neg = f < 0;
	float a = neg ? -f : f;
	double x = a;
	if (x < 1e-21 || x >= 1e22)
		return snprintf(out, JFLOAT_MAX, "%.9g", (double)f);

	/* The rounding interval: halfway to each neighbouring float. */
	double lo = (x + (double)nextafterf(a, 0)) / 2;
	double hi = (x + (double)nextafterf(a, INFINITY)) / 2;
	uint32_t bits;
	memcpy(&bits, &a, sizeof bits);
	int even = (bits & 1) == 0;

	/* e: the decimal exponent, 10^e <= x < 10^(e+1), give or take a
	 * rounding at the boundary, which the digit checks below absorb */
	int e = (int)floor(log10(x));
	if (e < -22)
		return snprintf(out, JFLOAT_MAX, "%.9g", (double)f);
	double y1 = scaled(x, -e);
	if (y1 >= 10)
		e++;
	else if (y1 < 1)
		e--;

	for (int n = 1; n <= 9; n++) {
		int k = e - n + 1; /* value = digits * 10^k */
		if (k < -22 || k > 22)
			break;
		double y = scaled(x, -k); /* x / 10^k: n digits */
		double fl = floor(y), cands[2] = {fl, fl + 1};
		/* the nearer first: of two that both read back, the one
		 * %.Ng would print */
		if (y - fl > 0.5) {
			cands[0] = fl + 1;
			cands[1] = fl;
		}
		for (int c = 0; c < 2; c++) {
			double d = cands[c];
			if (d < p10[n - 1] || d > p10[n] ||
			    !reads_back(d, k, lo, hi, even))
				continue;
			if (d == p10[n]) /* 10^n: one digit more in e */
				return layout(out, 1, 1, e + 1, neg);
			return layout(out, (uint64_t)d, n, e, neg);
		}
	}
	return snprintf(out, JFLOAT_MAX, "%.9g", (double)f);
}
