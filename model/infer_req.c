/*
 * infer_req.c - the model server's request bodies: KServe v2 infer
 * requests and v1 / TF-Serving predict requests parsed into NCHW floats,
 * and the JSON replies.
 *
 * The parser is a small strict JSON reader written for this one schema
 * rather than a general DOM: a request is mostly thousands of numbers, and
 * building a tree node per number (jansson) cost more than the network's
 * forward pass. Numbers go straight into a float array while the nesting
 * of the arrays that hold them is recorded, so a nested "data" can be
 * checked against the declared shape after the whole object is read (keys
 * come in any order). Everything is bounded: nesting depth, string length,
 * the number of values (max_batch images' worth).
 */
#include "model/model.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 64 /* skipped values nested deeper are refused */
#define DATA_MAX_DEPTH 8  /* "data" / "instances" nesting */
#define SHAPE_MAX_DIMS 8
#define STR_MAX	       4096 /* id, names, datatypes */
#define NO_INDEX       ((size_t)-1)

/* A cursor over the body; the first error stops everything. */
struct jp {
	const char *p, *end;
	const char *start; /* for byte offsets in messages */
	struct perr *e;
};

/* Numbers of a "data" (or "instances") value, and the shape its nesting
 * spells: dims[d] is the length every array at depth d has. */
struct data_acc {
	float *v;
	size_t n, cap, max;
	size_t max_batch;	   /* for the message when max is hit */
	int leaf;		   /* depth of the arrays holding numbers; -1 */
	long dims[DATA_MAX_DEPTH]; /* -1: no array at that depth closed yet */
	size_t bad_u8;		   /* first value not an integer 0..255 */
	double bad_u8_val;
};

/* One input of a v2 request as read, before it is checked. */
struct v2_input {
	int has_shape, has_data;
	int ndim;
	long shape[SHAPE_MAX_DIMS];
	char *datatype;
	struct data_acc acc;
};

static int fail(struct jp *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct jp *j, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	perr_set(j->e, "%s", msg);
	return -1;
}

/* "not JSON: WHAT at byte N" for syntax errors at the cursor. */
static int syntax(struct jp *j, const char *what)
{
	return fail(j, "not JSON: %s at byte %zu", what,
		    (size_t)(j->p - j->start));
}

static void ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
				 *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

/* Skip white space, then consume c or fail. */
static int expect(struct jp *j, char c)
{
	ws(j);
	if (j->p >= j->end) {
		char what[40];
		snprintf(what, sizeof what, "ends where '%c' was expected", c);
		return fail(j, "not JSON: body %s", what);
	}
	if (*j->p != c) {
		char what[40];
		snprintf(what, sizeof what, "expected '%c'", c);
		return syntax(j, what);
	}
	j->p++;
	return 0;
}

/* After an element of an object or array: 1 for ',' (more follow), 0 for
 * the closing bracket, -1 on anything else. */
static int next_or_close(struct jp *j, char close)
{
	ws(j);
	if (j->p < j->end && *j->p == ',') {
		j->p++;
		return 1;
	}
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return 0;
	}
	return j->p >= j->end ? fail(j, "not JSON: body ends inside a value")
			      : syntax(j, close == '}' ? "expected ',' or '}'"
						       : "expected ',' or ']'");
}

/* Is the next non-space byte close (an empty object or array)? Consumes
 * it when so. */
static int empty_close(struct jp *j, char close)
{
	ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return 1;
	}
	return 0;
}

static int hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static int put_utf8(struct dbuf *b, unsigned cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return dbuf_append(b, u, n);
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned cp;
	if (c < 0xc2)
		return 0;
	if (c < 0xe0) {
		len = 2;
		cp = c & 0x1f;
	} else if (c < 0xf0) {
		len = 3;
		cp = c & 0x0f;
	} else if (c < 0xf5) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/* A string; its decoded UTF-8 goes to out (NULL: only checked). what names
 * it in messages about its length. */
static int parse_string(struct jp *j, struct dbuf *out, const char *what)
{
	ws(j);
	if (j->p >= j->end || *j->p != '"')
		return -2; /* not a string: the caller says what was wanted */
	j->p++;
	for (;;) {
		if (j->p >= j->end)
			return fail(j, "not JSON: body ends inside a string");
		unsigned char c = (unsigned char)*j->p;
		if (c == '"') {
			j->p++;
			return 0;
		}
		if (c < 0x20)
			return syntax(j, "control character in a string");
		int r = 0;
		if (c == '\\') {
			if (j->end - j->p < 2)
				return fail(
					j,
					"not JSON: body ends inside a string");
			char esc = j->p[1];
			const char *map = strchr("\"\\/bfnrt", esc);
			if (esc && map) {
				static const char dec[] = "\"\\/\b\f\n\r\t";
				if (out)
					r = dbuf_append(
						out, &dec[map - "\"\\/bfnrt"],
						1);
				j->p += 2;
			} else if (esc == 'u') {
				unsigned cp, lo;
				if (j->end - j->p < 6 ||
				    hex4(j->p + 2, &cp) < 0)
					return syntax(j, "bad \\u escape");
				j->p += 6;
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (j->end - j->p < 6 ||
					    j->p[0] != '\\' || j->p[1] != 'u' ||
					    hex4(j->p + 2, &lo) < 0 ||
					    lo < 0xdc00 || lo > 0xdfff)
						return syntax(
							j, "unpaired surrogate "
							   "in \\u escape");
					j->p += 6;
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					     (lo - 0xdc00);
				} else if (cp >= 0xdc00 && cp <= 0xdfff) {
					return syntax(j, "unpaired surrogate "
							 "in \\u escape");
				}
				if (out && cp == 0)
					return fail(j,
						    "%s holds a NUL character",
						    what);
				if (out)
					r = put_utf8(out, cp);
			} else {
				return syntax(j, "bad escape in a string");
			}
		} else if (c < 0x80) {
			if (out)
				r = dbuf_append(out, j->p, 1);
			j->p++;
		} else {
			size_t n = utf8_len((const unsigned char *)j->p,
					    (size_t)(j->end - j->p));
			if (!n)
				return syntax(j, "invalid UTF-8 in a string");
			if (out)
				r = dbuf_append(out, j->p, n);
			j->p += n;
		}
		if (r < 0)
			return fail(j, "%s is longer than %d bytes", what,
				    STR_MAX);
	}
}

/* A string value the schema requires; *out (caller frees) replaces any
 * earlier one. */
static int take_string(struct jp *j, char **out, const char *what)
{
	struct dbuf b;
	dbuf_init(&b, STR_MAX);
	int r = parse_string(j, &b, what);
	if (r == -2) {
		dbuf_free(&b);
		return fail(j, "%s must be a string", what);
	}
	if (r < 0) {
		dbuf_free(&b);
		return -1;
	}
	free(*out);
	*out = b.p ? dbuf_take(&b) : xstrdup("");
	dbuf_free(&b);
	return 0;
}

static const double pow10_exact[] = {
	1e0,  1e1,  1e2,  1e3,	1e4,  1e5,  1e6,  1e7,	1e8,  1e9,  1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/*
 * A JSON number into *v. Up to 19 significant digits are kept (more
 * cannot change a float); when the digits fit in 53 bits and the power of
 * ten is exact (|e| <= 22) the result is correctly rounded (Clinger's fast
 * path), otherwise long double arithmetic is far more precise than the
 * float the value becomes. Never uses strtod, whose meaning follows the
 * locale. Returns -2 when the next token is not a number at all.
 */
static int parse_number(struct jp *j, double *v)
{
	ws(j);
	const char *q = j->p, *end = j->end;
	int neg = 0, inexact = 0, nd = 0;
	uint64_t m = 0;
	long exp10 = 0;
	if (q < end && *q == '-') {
		neg = 1;
		q++;
	}
	if (q >= end || *q < '0' || *q > '9')
		return q == j->p ? -2 : syntax(j, "bad number");
	if (*q == '0') {
		q++;
	} else {
		for (; q < end && *q >= '0' && *q <= '9'; q++) {
			if (nd < 19) {
				m = m * 10 + (uint64_t)(*q - '0');
				nd++;
			} else {
				exp10++;
				inexact |= *q != '0';
			}
		}
	}
	if (q < end && *q == '.') {
		q++;
		if (q >= end || *q < '0' || *q > '9')
			return syntax(j, "bad number");
		for (; q < end && *q >= '0' && *q <= '9'; q++) {
			if (nd < 19) {
				m = m * 10 + (uint64_t)(*q - '0');
				if (m)
					nd++;
				exp10--;
			} else {
				inexact |= *q != '0';
			}
		}
	}
	if (q < end && (*q == 'e' || *q == 'E')) {
		q++;
		int eneg = 0;
		long ev = 0;
		if (q < end && (*q == '+' || *q == '-'))
			eneg = *q++ == '-';
		if (q >= end || *q < '0' || *q > '9')
			return syntax(j, "bad number");
		for (; q < end && *q >= '0' && *q <= '9'; q++)
			if (ev < 100000)
				ev = ev * 10 + (*q - '0');
		exp10 += eneg ? -ev : ev;
	}
	j->p = q;
	double d;
	if (m == 0) {
		d = 0.0;
	} else if (!inexact && m < (1ull << 53) && exp10 >= -22 &&
		   exp10 <= 22) {
		d = exp10 < 0 ? (double)m / pow10_exact[-exp10]
			      : (double)m * pow10_exact[exp10];
	} else {
		if (exp10 > 6000)
			exp10 = 6000;
		if (exp10 < -6000)
			exp10 = -6000;
		d = (double)((long double)m * powl(10.0L, (long double)exp10));
	}
	*v = neg ? -d : d;
	return 0;
}

/* Any JSON value, checked and thrown away. */
static int skip_value(struct jp *j, int depth)
{
	if (depth > JSON_MAX_DEPTH)
		return fail(j, "JSON nested deeper than %d levels",
			    JSON_MAX_DEPTH);
	ws(j);
	if (j->p >= j->end)
		return fail(j,
			    "not JSON: body ends where a value was expected");
	char c = *j->p;
	if (c == '{') {
		j->p++;
		if (empty_close(j, '}'))
			return 0;
		for (;;) {
			int r = parse_string(j, NULL, "key");
			if (r == -2)
				return syntax(j, "expected a key");
			if (r < 0 || expect(j, ':') < 0 ||
			    skip_value(j, depth + 1) < 0)
				return -1;
			if ((r = next_or_close(j, '}')) <= 0)
				return r;
		}
	}
	if (c == '[') {
		j->p++;
		if (empty_close(j, ']'))
			return 0;
		for (;;) {
			int r;
			if (skip_value(j, depth + 1) < 0)
				return -1;
			if ((r = next_or_close(j, ']')) <= 0)
				return r;
		}
	}
	if (c == '"') {
		return parse_string(j, NULL, "string");
	}
	static const char *const lits[] = {"true", "false", "null"};
	for (size_t i = 0; i < sizeof lits / sizeof *lits; i++) {
		size_t n = strlen(lits[i]);
		if ((size_t)(j->end - j->p) >= n &&
		    memcmp(j->p, lits[i], n) == 0) {
			j->p += n;
			return 0;
		}
	}
	double v;
	int r = parse_number(j, &v);
	return r == -2 ? syntax(j, "unexpected character") : r;
}

static void acc_init(struct data_acc *a, const struct infer_spec *s)
{
	memset(a, 0, sizeof *a);
	a->max_batch = s->max_batch;
	a->max = s->max_batch * (size_t)s->c * (size_t)s->h * (size_t)s->w;
	a->leaf = -1;
	for (int i = 0; i < DATA_MAX_DEPTH; i++)
		a->dims[i] = -1;
	a->bad_u8 = NO_INDEX;
}

static void acc_free(struct data_acc *a)
{
	free(a->v);
	a->v = NULL;
}

/* Python's json module writes NaN, Infinity and -Infinity; name them
 * rather than calling them bad JSON. */
static int nonfinite_literal(struct jp *j, const struct data_acc *a)
{
	static const char *const lits[] = {"NaN", "Infinity", "-Infinity"};
	for (size_t i = 0; i < sizeof lits / sizeof *lits; i++) {
		size_t n = strlen(lits[i]);
		if ((size_t)(j->end - j->p) >= n &&
		    memcmp(j->p, lits[i], n) == 0)
			return fail(j,
				    "data holds %s at element %zu: values must "
				    "be finite",
				    lits[i], a->n);
	}
	return 0;
}

static int acc_push(struct jp *j, struct data_acc *a, double d)
{
	float f = (float)d;
	if (!isfinite(f))
		return fail(j,
			    "data value %g at element %zu is out of FP32 range",
			    d, a->n);
	if (a->n == a->max)
		return fail(j,
			    "data holds more than %zu values: a batch over "
			    "--max-batch %zu",
			    a->max, a->max_batch);
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 1024;
		if (a->cap > a->max)
			a->cap = a->max;
		a->v = xrealloc(a->v, a->cap * sizeof *a->v);
	}
	/* (int) rather than floor(): floor is a libm call without SSE4.1 */
	if (a->bad_u8 == NO_INDEX &&
	    !(d >= 0 && d <= 255 && d == (double)(int)d)) {
		a->bad_u8 = a->n;
		a->bad_u8_val = d;
	}
	a->v[a->n++] = f;
	return 0;
}

/* An array of numbers, or of arrays of ..., at depth; records the length
 * of every array so the nesting can be checked against a shape. */
static int parse_data(struct jp *j, struct data_acc *a, int depth)
{
	if (depth >= DATA_MAX_DEPTH)
		return fail(j, "data nested deeper than %d levels",
			    DATA_MAX_DEPTH);
	ws(j);
	if (j->p >= j->end || *j->p != '[')
		return fail(
			j, depth ? "data must hold numbers or arrays of numbers"
				 : "data must be an array");
	j->p++;
	long count = 0;
	int kind = 0; /* 1 numbers, 2 arrays */
	if (!empty_close(j, ']')) {
		for (;;) {
			ws(j);
			if (j->p < j->end && *j->p == '[') {
				if (kind == 1)
					return fail(j,
						    "data mixes numbers and "
						    "arrays at depth %d",
						    depth + 1);
				kind = 2;
				if (parse_data(j, a, depth + 1) < 0)
					return -1;
			} else {
				double d;
				if (kind == 2)
					return fail(j,
						    "data mixes numbers and "
						    "arrays at depth %d",
						    depth + 1);
				kind = 1;
				if (a->leaf < 0)
					a->leaf = depth;
				else if (a->leaf != depth)
					return fail(j,
						    "data is ragged: numbers "
						    "at depths %d and %d",
						    a->leaf + 1, depth + 1);
				/* Small non-negative integers (UINT8 pixels)
				 * skip the general number parser: half the
				 * parse time. */
				const char *p = j->p, *end = j->end;
				int quick = 0;
				if (p < end && (unsigned)(*p - '0') < 10) {
					unsigned v = (unsigned)(*p++ - '0');
					if (v)
						while (p < end &&
						       (unsigned)(*p - '0') <
							       10 &&
						       v < 100000)
							v = v * 10 +
							    (unsigned)(*p++ -
								       '0');
					quick = p == end ||
						!(*p == '.' || *p == 'e' ||
						  *p == 'E' ||
						  (unsigned)(*p - '0') < 10);
					if (quick) {
						d = v;
						j->p = p;
					}
				}
				if (!quick) {
					if (j->p < end &&
					    (*j->p == 'N' || *j->p == 'I' ||
					     *j->p == '-') &&
					    nonfinite_literal(j, a) < 0)
						return -1;
					int r = parse_number(j, &d);
					if (r == -2)
						return fail(j,
							    "data must hold "
							    "numbers (element "
							    "%zu is not one)",
							    a->n);
					if (r < 0)
						return -1;
				}
				if (acc_push(j, a, d) < 0)
					return -1;
				/* A run of small integers without spaces
				 * ("0,0,12,255"), the pixels of a UINT8 body,
				 * stored straight while there is room: what
				 * the steps above would do, a third of the
				 * time. Anything else leaves the run at its
				 * ',' for them. */
				const char *q;
				while (j->p + 1 < end && j->p[0] == ',' &&
				       (unsigned)(j->p[1] - '0') < 10 &&
				       a->n < a->cap) {
					q = j->p + 1;
					unsigned v = (unsigned)(*q++ - '0');
					if (v)
						while (q < end &&
						       (unsigned)(*q - '0') <
							       10 &&
						       v < 100000)
							v = v * 10 +
							    (unsigned)(*q++ -
								       '0');
					if (q < end &&
					    (*q == '.' || *q == 'e' ||
					     *q == 'E' ||
					     (unsigned)(*q - '0') < 10))
						break;
					if (v > 255 && a->bad_u8 == NO_INDEX) {
						a->bad_u8 = a->n;
						a->bad_u8_val = v;
					}
					a->v[a->n++] = (float)v;
					count++;
					j->p = q;
				}
			}
			count++;
			int r = next_or_close(j, ']');
			if (r < 0)
				return -1;
			if (r == 0)
				break;
		}
	}
	if (a->dims[depth] < 0)
		a->dims[depth] = count;
	else if (a->dims[depth] != count)
		return fail(j,
			    "data is ragged: arrays at depth %d have %ld and "
			    "%ld elements",
			    depth + 1, a->dims[depth], count);
	return 0;
}

static void shape_str(char *buf, size_t size, const long *shape, int ndim)
{
	size_t o = 0;
	o += (size_t)snprintf(buf + o, size - o, "[");
	for (int i = 0; i < ndim && o < size; i++)
		o += (size_t)snprintf(buf + o, size - o, "%s%ld", i ? "," : "",
				      shape[i]);
	if (o < size)
		snprintf(buf + o, size - o, "]");
}

/*
 * Check values against a declared shape [N, ...] and lay them out as
 * NCHW into r. nested: the data's own nesting (a->leaf > 0) must spell the
 * shape. what: "shape" (v2) or "instance shape" (v1, shape without N).
 */
static int finish(const struct infer_spec *s, const long *shape, int ndim,
		  struct data_acc *a, int u8, int v1, struct infer_req *r,
		  struct perr *e)
{
	char sh[160], want[200];
	long C = s->c, H = s->h, W = s->w;
	enum { NCHW, NHWC, NHW, FLAT, NONE } lay = NONE;

	/* only the messages need the shape as text; the success path must
	 * not pay for a printf */
#define SHAPE_STR()                                                            \
	shape_str(sh, sizeof sh, v1 ? shape + 1 : shape, v1 ? ndim - 1 : ndim)
	if (ndim == 4 && shape[1] == C && shape[2] == H && shape[3] == W)
		lay = NCHW;
	else if (ndim == 4 && shape[1] == H && shape[2] == W && shape[3] == C)
		lay = NHWC;
	else if (ndim == 3 && C == 1 && shape[1] == H && shape[2] == W)
		lay = NHW;
	else if (ndim == 2 && shape[1] == C * H * W)
		lay = FLAT;
	if (lay == NONE) {
		char hw[40] = "";
		SHAPE_STR();
		if (C == 1)
			snprintf(hw, sizeof hw, ", [%s%ld,%ld]", v1 ? "" : "N,",
				 H, W);
		snprintf(want, sizeof want,
			 "[%s%ld,%ld,%ld], [%s%ld,%ld,%ld]%s or [%s%ld]",
			 v1 ? "" : "N,", C, H, W, v1 ? "" : "N,", H, W, C, hw,
			 v1 ? "" : "N,", C * H * W);
		perr_set(e,
			 "%s %s does not fit the model's input [%ld,%ld,%ld]: "
			 "use %s",
			 v1 ? "instance shape" : "shape", sh, C, H, W, want);
		return -1;
	}
	long n = shape[0];
	if (n < 1) {
		SHAPE_STR();
		perr_set(e,
			 v1 ? "\"instances\" is empty"
			    : "shape %s has no images",
			 sh);
		return -1;
	}
	if ((size_t)n > s->max_batch) {
		perr_set(e, "batch of %ld images is over --max-batch %zu", n,
			 s->max_batch);
		return -1;
	}
	size_t chw = (size_t)(C * H * W), need = (size_t)n * chw;
	if (a->leaf > 0) {
		long nested[DATA_MAX_DEPTH];
		int nd = a->leaf + 1;
		for (int i = 0; i < nd; i++)
			nested[i] = a->dims[i];
		if (nd != ndim ||
		    memcmp(nested, shape, (size_t)nd * sizeof *shape)) {
			char ns[160];
			SHAPE_STR();
			shape_str(ns, sizeof ns, nested, nd);
			perr_set(e, "data nested as %s does not match shape %s",
				 ns, sh);
			return -1;
		}
	}
	if (a->n != need) {
		SHAPE_STR();
		perr_set(e, "data has %zu values but shape %s needs %zu", a->n,
			 sh, need);
		return -1;
	}
	if (u8 && a->bad_u8 != NO_INDEX) {
		perr_set(
			e,
			"UINT8 data must be integers 0..255: element %zu is %g",
			a->bad_u8, a->bad_u8_val);
		return -1;
	}
#undef SHAPE_STR
	float *x;
	if (lay == NHWC && C > 1) {
		/* [N,H,W,C] -> [N,C,H,W] */
		x = xmalloc(need * sizeof *x);
		for (long i = 0; i < n; i++)
			for (long c = 0; c < C; c++)
				for (long p = 0; p < H * W; p++)
					x[(size_t)(i * C * H * W + c * H * W +
						   p)] =
						a->v[(size_t)(i * H * W * C +
							      p * C + c)];
		free(a->v);
	} else {
		x = a->v;
	}
	a->v = NULL;
	if (u8)
		for (size_t i = 0; i < need; i++)
			x[i] = x[i] * s->u8_scale + s->u8_shift;
	r->n = (size_t)n;
	r->x = x;
	return 0;
}

/* "shape": [n, ...] of non-negative integers. */
static int parse_shape(struct jp *j, struct v2_input *in)
{
	ws(j);
	if (j->p >= j->end || *j->p != '[')
		return fail(j, "\"shape\" must be an array of integers");
	j->p++;
	in->ndim = 0;
	if (empty_close(j, ']'))
		return fail(j, "\"shape\" is empty");
	for (;;) {
		double d;
		int r = parse_number(j, &d);
		if (r == -2 || (r == 0 && (d < 0 || d != floor(d) || d > 1e9)))
			return fail(
				j, "\"shape\" must hold non-negative integers");
		if (r < 0)
			return -1;
		if (in->ndim == SHAPE_MAX_DIMS)
			return fail(j, "\"shape\" has more than %d dimensions",
				    SHAPE_MAX_DIMS);
		in->shape[in->ndim++] = (long)d;
		if ((r = next_or_close(j, ']')) <= 0)
			return r;
	}
}

static int key_is(const struct dbuf *k, const char *s)
{
	return k->p && strcmp(k->p, s) == 0;
}

/* Read an object's key and the ':' after it into k (reset first). */
static int parse_key(struct jp *j, struct dbuf *k)
{
	dbuf_reset(k);
	int r = parse_string(j, k, "key");
	if (r == -2)
		return syntax(j, "expected a key");
	if (r < 0)
		return -1;
	return expect(j, ':');
}

static int parse_input(struct jp *j, const struct infer_spec *s,
		       struct v2_input *in)
{
	struct dbuf k;
	int r = -1, have_name = 0, have_dt = 0;
	char *name = NULL;
	dbuf_init(&k, STR_MAX);
	if (expect(j, '{') < 0)
		goto out;
	if (!empty_close(j, '}')) {
		for (;;) {
			if (parse_key(j, &k) < 0)
				goto out;
			int dup = 0;
			if (key_is(&k, "name")) {
				dup = have_name++;
				if (!dup &&
				    take_string(j, &name, "input \"name\"") < 0)
					goto out;
			} else if (key_is(&k, "datatype")) {
				dup = have_dt++;
				if (!dup && take_string(j, &in->datatype,
							"\"datatype\"") < 0)
					goto out;
			} else if (key_is(&k, "shape")) {
				dup = in->has_shape++;
				if (!dup && parse_shape(j, in) < 0)
					goto out;
			} else if (key_is(&k, "data")) {
				dup = in->has_data++;
				if (!dup) {
					acc_init(&in->acc, s);
					if (parse_data(j, &in->acc, 0) < 0)
						goto out;
				}
			} else if (skip_value(j, 2) < 0) {
				goto out;
			}
			if (dup) {
				fail(j, "input has \"%s\" twice", k.p);
				goto out;
			}
			int c = next_or_close(j, '}');
			if (c < 0)
				goto out;
			if (c == 0)
				break;
		}
	}
	r = 0;
out:
	free(name);
	dbuf_free(&k);
	return r;
}

/* "outputs": [{"name": "probabilities" | "label", ...}, ...] */
static int parse_outputs(struct jp *j, unsigned *mask)
{
	struct dbuf k;
	char *name = NULL;
	int r = -1;
	dbuf_init(&k, STR_MAX);
	*mask = 0;
	if (expect(j, '[') < 0)
		goto out;
	if (empty_close(j, ']')) {
		r = 0;
		goto out;
	}
	for (;;) {
		if (expect(j, '{') < 0)
			goto out;
		free(name);
		name = NULL;
		if (!empty_close(j, '}')) {
			for (;;) {
				if (parse_key(j, &k) < 0)
					goto out;
				if (key_is(&k, "name")) {
					if (take_string(j, &name,
							"output \"name\"") < 0)
						goto out;
				} else if (skip_value(j, 3) < 0) {
					goto out;
				}
				int c = next_or_close(j, '}');
				if (c < 0)
					goto out;
				if (c == 0)
					break;
			}
		}
		if (!name) {
			fail(j, "a requested output has no \"name\"");
			goto out;
		}
		if (strcmp(name, "probabilities") == 0) {
			*mask |= INFER_OUT_PROBS;
		} else if (strcmp(name, "label") == 0) {
			*mask |= INFER_OUT_LABEL;
		} else {
			char *clean = sanitize_text(name, strlen(name), 0);
			fail(j,
			     "unknown output \"%.64s\": the model has "
			     "\"probabilities\" and \"label\"",
			     clean);
			free(clean);
			goto out;
		}
		int c = next_or_close(j, ']');
		if (c < 0)
			goto out;
		if (c == 0)
			break;
	}
	r = 0;
out:
	free(name);
	dbuf_free(&k);
	return r;
}

/* Nothing but white space may follow the top-level object. */
static int at_end(struct jp *j)
{
	ws(j);
	return j->p == j->end
		       ? 0
		       : syntax(j, "trailing characters after the object");
}

int infer_req_parse_v2(const struct infer_spec *s, const char *body, size_t len,
		       struct infer_req *r, struct perr *e)
{
	struct jp j = {body, body + len, body, e};
	struct dbuf k;
	struct v2_input in;
	char *id = NULL;
	int ninputs = 0, have_id = 0, have_outputs = 0, rc = -1;
	unsigned mask = 0;

	memset(&in, 0, sizeof in);
	acc_init(&in.acc, s);
	dbuf_init(&k, STR_MAX);
	memset(r, 0, sizeof *r);
	ws(&j);
	if (j.p >= j.end) {
		perr_set(e,
			 "empty body: expected a JSON object with \"inputs\"");
		goto out;
	}
	if (*j.p != '{') {
		fail(&j, "not JSON: body must be an object");
		goto out;
	}
	j.p++;
	if (!empty_close(&j, '}')) {
		for (;;) {
			if (parse_key(&j, &k) < 0)
				goto out;
			int dup = 0;
			if (key_is(&k, "id")) {
				dup = have_id++;
				if (!dup && take_string(&j, &id, "\"id\"") < 0)
					goto out;
			} else if (key_is(&k, "inputs")) {
				dup = ninputs > 0;
				if (!dup) {
					if (expect(&j, '[') < 0)
						goto out;
					if (empty_close(&j, ']')) {
						fail(&j, "\"inputs\" is empty");
						goto out;
					}
					for (;;) {
						if (++ninputs > 1) {
							fail(&j,
							     "the model takes "
							     "1 input; the "
							     "request has "
							     "more");
							goto out;
						}
						if (parse_input(&j, s, &in) < 0)
							goto out;
						int c = next_or_close(&j, ']');
						if (c < 0)
							goto out;
						if (c == 0)
							break;
					}
				}
			} else if (key_is(&k, "outputs")) {
				dup = have_outputs++;
				if (!dup && parse_outputs(&j, &mask) < 0)
					goto out;
			} else if (skip_value(&j, 1) < 0) {
				goto out;
			}
			if (dup) {
				fail(&j, "body has \"%s\" twice", k.p);
				goto out;
			}
			int c = next_or_close(&j, '}');
			if (c < 0)
				goto out;
			if (c == 0)
				break;
		}
	}
	if (at_end(&j) < 0)
		goto out;
	if (!ninputs) {
		perr_set(e, "body has no \"inputs\"");
		goto out;
	}
	if (!in.datatype) {
		perr_set(e, "input has no \"datatype\" (FP32 or UINT8)");
		goto out;
	}
	int u8 = strcmp(in.datatype, "UINT8") == 0;
	if (!u8 && strcmp(in.datatype, "FP32") != 0) {
		char *clean =
			sanitize_text(in.datatype, strlen(in.datatype), 0);
		perr_set(e,
			 "datatype \"%.32s\" is not supported: use FP32 or "
			 "UINT8",
			 clean);
		free(clean);
		goto out;
	}
	if (!in.has_shape) {
		perr_set(e, "input has no \"shape\"");
		goto out;
	}
	if (!in.has_data) {
		perr_set(e, "input has no \"data\"");
		goto out;
	}
	if (finish(s, in.shape, in.ndim, &in.acc, u8, 0, r, e) < 0)
		goto out;
	r->id = id;
	id = NULL;
	r->outputs = mask ? mask : INFER_OUT_PROBS | INFER_OUT_LABEL;
	rc = 0;
out:
	free(id);
	free(in.datatype);
	acc_free(&in.acc);
	dbuf_free(&k);
	return rc;
}

int infer_req_parse_v1(const struct infer_spec *s, const char *body, size_t len,
		       struct infer_req *r, struct perr *e)
{
	struct jp j = {body, body + len, body, e};
	struct dbuf k;
	struct data_acc a;
	int have = 0, rc = -1;

	acc_init(&a, s);
	dbuf_init(&k, STR_MAX);
	memset(r, 0, sizeof *r);
	ws(&j);
	if (j.p >= j.end) {
		perr_set(e, "empty body: expected a JSON object with "
			    "\"instances\"");
		goto out;
	}
	if (*j.p != '{') {
		fail(&j, "not JSON: body must be an object");
		goto out;
	}
	j.p++;
	if (!empty_close(&j, '}')) {
		for (;;) {
			if (parse_key(&j, &k) < 0)
				goto out;
			if (key_is(&k, "instances")) {
				if (have++) {
					fail(&j,
					     "body has \"instances\" twice");
					goto out;
				}
				ws(&j);
				if (j.p >= j.end || *j.p != '[') {
					fail(&j, "\"instances\" must be an "
						 "array of images");
					goto out;
				}
				if (parse_data(&j, &a, 0) < 0)
					goto out;
			} else if (skip_value(&j, 1) < 0) {
				goto out;
			}
			int c = next_or_close(&j, '}');
			if (c < 0)
				goto out;
			if (c == 0)
				break;
		}
	}
	if (at_end(&j) < 0)
		goto out;
	if (!have) {
		perr_set(e, "body has no \"instances\"");
		goto out;
	}
	if (a.dims[0] == 0) {
		perr_set(e, "\"instances\" is empty");
		goto out;
	}
	if (a.leaf < 1) {
		perr_set(e, "each instance must be an array of pixel values");
		goto out;
	}
	long shape[DATA_MAX_DEPTH];
	for (int i = 0; i <= a.leaf; i++)
		shape[i] = a.dims[i];
	if (finish(s, shape, a.leaf + 1, &a, 0, 1, r, e) < 0)
		goto out;
	r->outputs = INFER_OUT_PROBS;
	rc = 0;
out:
	acc_free(&a);
	dbuf_free(&k);
	return rc;
}

void infer_req_free(struct infer_req *r)
{
	if (!r)
		return;
	free(r->x);
	free(r->id);
	memset(r, 0, sizeof *r);
}

int infer_req_json_string(struct dbuf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	if (dbuf_append(b, "\"", 1) < 0)
		return -1;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char esc[7];
		const char *out = esc;
		size_t n = 2;
		esc[0] = '\\';
		switch (*p) {
		case '"':
			esc[1] = '"';
			break;
		case '\\':
			esc[1] = '\\';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[*p >> 4];
				esc[5] = hex[*p & 15];
				n = 6;
			} else {
				out = (const char *)p;
				n = 1;
			}
		}
		if (dbuf_append(b, out, n) < 0)
			return -1;
	}
	return dbuf_append(b, "\"", 1);
}

/* A float that reads back as the same float (jfloat.c: snprintf's "%.9g"
 * cost as much as the rest of the reply). */
static void put_float(struct dbuf *b, float f)
{
	char buf[JFLOAT_MAX];
	dbuf_append(b, buf, (size_t)jfloat_format(buf, f));
}

/* A count or label: printf's parsing of a format is the slow part. */
static void put_uint(struct dbuf *b, size_t v)
{
	char buf[24], *p = buf + sizeof buf;
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10));
	dbuf_append(b, p, (size_t)(buf + sizeof buf - p));
}

char *infer_req_v2_reply(const struct infer_req *r, const float *probs,
			 int classes, const char *model, const char *version)
{
	struct dbuf b;
	const char *sep = "";
	dbuf_init(&b, 0);
	dbuf_puts(&b, "{\"model_name\":");
	infer_req_json_string(&b, model);
	dbuf_puts(&b, ",\"model_version\":");
	infer_req_json_string(&b, version);
	if (r->id) {
		dbuf_puts(&b, ",\"id\":");
		infer_req_json_string(&b, r->id);
	}
	dbuf_puts(&b, ",\"outputs\":[");
	if (r->outputs & INFER_OUT_PROBS) {
		dbuf_puts(&b, "{\"name\":\"probabilities\",\"datatype\":"
			      "\"FP32\",\"shape\":[");
		put_uint(&b, r->n);
		dbuf_append(&b, ",", 1);
		put_uint(&b, (size_t)classes);
		dbuf_puts(&b, "],\"data\":[");
		for (size_t i = 0; i < r->n * (size_t)classes; i++) {
			if (i)
				dbuf_append(&b, ",", 1);
			put_float(&b, probs[i]);
		}
		dbuf_puts(&b, "]}");
		sep = ",";
	}
	if (r->outputs & INFER_OUT_LABEL) {
		dbuf_puts(&b, sep);
		dbuf_puts(&b, "{\"name\":\"label\",\"datatype\":\"INT64\","
			      "\"shape\":[");
		put_uint(&b, r->n);
		dbuf_puts(&b, "],\"data\":[");
		for (size_t i = 0; i < r->n; i++) {
			const float *p = probs + i * (size_t)classes;
			int best = 0;
			for (int c = 1; c < classes; c++)
				if (p[c] > p[best])
					best = c;
			if (i)
				dbuf_append(&b, ",", 1);
			put_uint(&b, (size_t)best);
		}
		dbuf_puts(&b, "]}");
	}
	dbuf_puts(&b, "]}");
	return dbuf_take(&b);
}

char *infer_req_v1_reply(const struct infer_req *r, const float *probs,
			 int classes)
{
	struct dbuf b;
	dbuf_init(&b, 0);
	dbuf_puts(&b, "{\"predictions\":[");
	for (size_t i = 0; i < r->n; i++) {
		dbuf_puts(&b, i ? ",[" : "[");
		for (int c = 0; c < classes; c++) {
			if (c)
				dbuf_append(&b, ",", 1);
			put_float(&b, probs[i * (size_t)classes + (size_t)c]);
		}
		dbuf_append(&b, "]", 1);
	}
	dbuf_puts(&b, "]}");
	return dbuf_take(&b);
}

char *infer_req_error_json(const char *msg)
{
	struct dbuf b;
	dbuf_init(&b, 0);
	dbuf_puts(&b, "{\"error\":");
	infer_req_json_string(&b, msg);
	dbuf_puts(&b, "}");
	return dbuf_take(&b);
}
