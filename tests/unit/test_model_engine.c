/*
 * test_model_engine.c - the CNN engine: every kernel's forward pass against
 * a naive double-precision reference written here, every backward pass by
 * central finite differences of that reference, the fused conv/relu/pool
 * path against the layer-by-layer one, Adam against hand-computed values,
 * whole networks by finite differences, determinism, a toy problem learnt,
 * and the architecture's JSON form and rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

static void fill(struct rng *r, float *p, size_t n, float lo, float hi)
{
	for (size_t i = 0; i < n; i++)
		p[i] = rng_uniform(r, lo, hi);
}

/* |a-b| <= atol + rtol*|b|, with the index in the failure message. */
static void assert_close(const float *a, const double *b, size_t n, double atol,
			 double rtol, const char *what)
{
	for (size_t i = 0; i < n; i++)
		if (!(fabs(a[i] - b[i]) <= atol + rtol * fabs(b[i])))
			fail_msg("%s[%zu]: got %.8g, want %.8g", what, i, a[i], b[i]);
}

static void assert_closef(const float *a, const float *b, size_t n, double atol,
			  double rtol, const char *what)
{
	for (size_t i = 0; i < n; i++)
		if (!(fabs(a[i] - b[i]) <= atol + rtol * fabs(b[i])))
			fail_msg("%s[%zu]: got %.8g, want %.8g", what, i, a[i], b[i]);
}

/* ---- naive references, in double ---- */

static void ref_conv(const struct conv_shape *s, int n, const double *x,
		     const double *w, const double *b, double *y)
{
	for (int i = 0; i < n; i++)
		for (int k = 0; k < s->k; k++)
			for (int oy = 0; oy < s->oh; oy++)
				for (int ox = 0; ox < s->ow; ox++) {
					double acc = b[k];
					for (int c = 0; c < s->c; c++)
						for (int a = 0; a < s->kh; a++)
							for (int bb = 0; bb < s->kw; bb++)
								acc += w[((k * s->c + c) * s->kh + a) * s->kw + bb] *
								       x[((i * s->c + c) * s->h + oy * s->stride + a) * s->w +
									 ox * s->stride + bb];
					y[((i * s->k + k) * s->oh + oy) * s->ow + ox] = acc;
				}
}

static void ref_pool(const struct pool_shape *s, int n, const double *x, double *y)
{
	for (int p = 0; p < n * s->c; p++)
		for (int oy = 0; oy < s->oh; oy++)
			for (int ox = 0; ox < s->ow; ox++) {
				double m = -INFINITY;
				for (int a = 0; a < s->ph; a++)
					for (int b = 0; b < s->pw; b++) {
						double v = x[(p * s->h + oy * s->stride + a) * s->w +
							     ox * s->stride + b];
						if (v > m)
							m = v;
					}
				y[(p * s->oh + oy) * s->ow + ox] = m;
			}
}

static void ref_dense(int n, int in, int out, const double *x, const double *w,
		      const double *b, double *y)
{
	for (int i = 0; i < n; i++)
		for (int o = 0; o < out; o++) {
			double acc = b[o];
			for (int j = 0; j < in; j++)
				acc += x[i * in + j] * w[o * in + j];
			y[i * out + o] = acc;
		}
}

static double *to_d(const float *p, size_t n)
{
	double *d = malloc(n * sizeof(double));
	for (size_t i = 0; i < n; i++)
		d[i] = p[i];
	return d;
}

/* Central difference of L = sum(r * f(v)) with respect to each v[i]:
 * f recomputes the layer in double from the current v. */
typedef double (*loss_fn)(void *ctx);
static void numeric_grad(double *v, size_t n, loss_fn L, void *ctx, double *g)
{
	const double h = 1e-5;
	for (size_t i = 0; i < n; i++) {
		double keep = v[i];
		v[i] = keep + h;
		double up = L(ctx);
		v[i] = keep - h;
		double down = L(ctx);
		v[i] = keep;
		g[i] = (up - down) / (2 * h);
	}
}

/* ---- conv ---- */

struct conv_ctx {
	struct conv_shape s;
	int n;
	double *x, *w, *b, *y, *r;
};

static double conv_loss(void *p)
{
	struct conv_ctx *c = p;
	ref_conv(&c->s, c->n, c->x, c->w, c->b, c->y);
	double L = 0;
	for (size_t i = 0; i < (size_t)c->n * c->s.k * c->s.oh * c->s.ow; i++)
		L += c->r[i] * c->y[i];
	return L;
}

static void check_conv(struct conv_shape s, int n, uint64_t seed)
{
	struct rng r;
	rng_seed(&r, seed);
	assert_int_equal(conv_shape_init(&s), 0);
	size_t nx = (size_t)n * s.c * s.h * s.w, nw = (size_t)s.k * s.c * s.kh * s.kw;
	size_t ny = (size_t)n * s.k * s.oh * s.ow;
	float *x = malloc(nx * 4), *w = malloc(nw * 4), *b = malloc(s.k * 4), *y = malloc(ny * 4);
	float *dy = malloc(ny * 4), *dw = malloc(nw * 4), *db = malloc(s.k * 4), *dx = malloc(nx * 4);
	/* a workspace wider than the batch, and the batch in the middle of
	 * it: how a slice of a larger batch sees it */
	size_t ld = (size_t)(n + 2) * s.oh * s.ow;
	float *col = malloc((size_t)s.c * s.kh * s.kw * ld * 4), *cout = malloc((size_t)s.k * ld * 4);
	struct conv_work ws = { col + s.oh * s.ow, cout + s.oh * s.ow, ld };
	fill(&r, x, nx, -1, 1);
	fill(&r, w, nw, -1, 1);
	fill(&r, b, s.k, -1, 1);
	fill(&r, dy, ny, -1, 1);
	struct conv_ctx c = { s, n, to_d(x, nx), to_d(w, nw), to_d(b, s.k), malloc(ny * 8), to_d(dy, ny) };

	conv_forward(&s, n, x, w, b, y, &ws);
	conv_loss(&c);
	assert_close(y, c.y, ny, 1e-5, 1e-5, "conv y");

	conv_backward(&s, n, x, w, dy, dw, db, dx, &ws);
	double *g = malloc((nx > nw ? nx : nw) * 8);
	numeric_grad(c.w, nw, conv_loss, &c, g);
	assert_close(dw, g, nw, 1e-4, 1e-4, "conv dw");
	numeric_grad(c.b, s.k, conv_loss, &c, g);
	assert_close(db, g, s.k, 1e-4, 1e-4, "conv db");
	numeric_grad(c.x, nx, conv_loss, &c, g);
	assert_close(dx, g, nx, 1e-4, 1e-4, "conv dx");

	free(g);
	free(c.x), free(c.w), free(c.b), free(c.y), free(c.r);
	free(x), free(w), free(b), free(y), free(dy), free(dw), free(db), free(dx), free(col),
		free(cout);
}

static void test_conv(void **state)
{
	(void)state;
	check_conv((struct conv_shape){ .c = 1, .h = 6, .w = 7, .k = 3, .kh = 3, .kw = 3, .stride = 1 }, 2, 1);
	check_conv((struct conv_shape){ .c = 3, .h = 7, .w = 6, .k = 4, .kh = 2, .kw = 3, .stride = 2 }, 3, 2);
	check_conv((struct conv_shape){ .c = 2, .h = 5, .w = 5, .k = 2, .kh = 5, .kw = 1, .stride = 1 }, 1, 3);
	struct conv_shape bad = { .c = 1, .h = 2, .w = 5, .k = 1, .kh = 3, .kw = 3, .stride = 1 };
	assert_int_equal(conv_shape_init(&bad), -1);
}

/* ---- maxpool ---- */

struct pool_ctx {
	struct pool_shape s;
	int n;
	double *x, *y, *r;
};

static double pool_loss(void *p)
{
	struct pool_ctx *c = p;
	ref_pool(&c->s, c->n, c->x, c->y);
	double L = 0;
	for (size_t i = 0; i < (size_t)c->n * c->s.c * c->s.oh * c->s.ow; i++)
		L += c->r[i] * c->y[i];
	return L;
}

static void check_pool(struct pool_shape s, int n)
{
	assert_int_equal(maxpool_shape_init(&s), 0);
	size_t nx = (size_t)n * s.c * s.h * s.w, ny = (size_t)n * s.c * s.oh * s.ow;
	float *x = malloc(nx * 4), *y = malloc(ny * 4), *dy = malloc(ny * 4), *dx = malloc(nx * 4);
	int32_t *arg = malloc(ny * 4);
	struct rng r;
	rng_seed(&r, 9);
	/* distinct values a step apart, so finite differences never change
	 * a window's winner */
	uint32_t *perm = malloc(nx * 4);
	for (size_t i = 0; i < nx; i++)
		perm[i] = (uint32_t)i;
	rng_shuffle(&r, perm, nx);
	for (size_t i = 0; i < nx; i++)
		x[i] = (float)perm[i] * 0.01f - 1.0f;
	fill(&r, dy, ny, -1, 1);
	struct pool_ctx c = { s, n, to_d(x, nx), malloc(ny * 8), to_d(dy, ny) };
	maxpool_forward(&s, n, x, y, arg);
	pool_loss(&c);
	assert_close(y, c.y, ny, 0, 0, "pool y");
	maxpool_backward(&s, n, dy, arg, dx);
	double *g = malloc(nx * 8);
	numeric_grad(c.x, nx, pool_loss, &c, g);
	assert_close(dx, g, nx, 1e-6, 1e-6, "pool dx");
	free(g), free(perm), free(c.x), free(c.y), free(c.r);
	free(x), free(y), free(dy), free(dx), free(arg);
}

static void test_maxpool(void **state)
{
	(void)state;
	check_pool((struct pool_shape){ .c = 2, .h = 6, .w = 6, .ph = 2, .pw = 2, .stride = 2 }, 2);
	check_pool((struct pool_shape){ .c = 3, .h = 7, .w = 5, .ph = 2, .pw = 2, .stride = 2 }, 1);
	/* overlapping windows: gradients of a shared winner add up */
	check_pool((struct pool_shape){ .c = 1, .h = 5, .w = 6, .ph = 3, .pw = 2, .stride = 1 }, 2);
}

/* ---- dense ---- */

struct dense_ctx {
	int n, in, out;
	double *x, *w, *b, *y, *r;
};

static double dense_loss(void *p)
{
	struct dense_ctx *c = p;
	ref_dense(c->n, c->in, c->out, c->x, c->w, c->b, c->y);
	double L = 0;
	for (int i = 0; i < c->n * c->out; i++)
		L += c->r[i] * c->y[i];
	return L;
}

static void check_dense(int n, int in, int out)
{
	struct rng r;
	rng_seed(&r, (uint64_t)(n * 1000 + in));
	size_t nx = (size_t)n * in, nw = (size_t)in * out, ny = (size_t)n * out;
	float *x = malloc(nx * 4), *w = malloc(nw * 4), *b = malloc(out * 4), *y = malloc(ny * 4);
	float *dy = malloc(ny * 4), *dw = malloc(nw * 4), *db = malloc(out * 4), *dx = malloc(nx * 4);
	fill(&r, x, nx, -1, 1);
	fill(&r, w, nw, -1, 1);
	fill(&r, b, out, -1, 1);
	fill(&r, dy, ny, -1, 1);
	struct dense_ctx c = { n, in, out, to_d(x, nx), to_d(w, nw), to_d(b, out), malloc(ny * 8), to_d(dy, ny) };
	dense_forward(n, in, out, x, w, b, y);
	dense_loss(&c);
	assert_close(y, c.y, ny, 1e-5, 1e-5, "dense y");
	dense_backward(n, in, out, x, w, dy, dw, db, dx);
	double *g = malloc((nx > nw ? nx : nw) * 8);
	numeric_grad(c.w, nw, dense_loss, &c, g);
	assert_close(dw, g, nw, 1e-4, 1e-4, "dense dw");
	numeric_grad(c.b, out, dense_loss, &c, g);
	assert_close(db, g, out, 1e-4, 1e-4, "dense db");
	numeric_grad(c.x, nx, dense_loss, &c, g);
	assert_close(dx, g, nx, 1e-4, 1e-4, "dense dx");
	free(g), free(c.x), free(c.w), free(c.b), free(c.y), free(c.r);
	free(x), free(w), free(b), free(y), free(dy), free(dw), free(db), free(dx);
}

static void test_dense(void **state)
{
	(void)state;
	check_dense(1, 7, 3);  /* the sgemv path of single images */
	check_dense(5, 13, 4); /* the sgemm path */
}

/* ---- relu, softmax + cross-entropy ---- */

static void test_relu(void **state)
{
	(void)state;
	float x[6] = { -2, -0.0f, 0.5f, 3, -1e-30f, 1e-30f };
	float dy[6] = { 1, 2, 3, 4, 5, 6 };
	relu_forward(x, 6);
	const float want[6] = { 0, 0, 0.5f, 3, 0, 1e-30f };
	assert_memory_equal(x, want, sizeof(want));
	relu_backward(x, dy, 6);
	const float wantd[6] = { 0, 0, 3, 4, 0, 6 };
	assert_memory_equal(dy, wantd, sizeof(wantd));
}

struct xent_ctx {
	int n, k;
	double *z;
	const unsigned char *lab;
};

static double xent_loss(void *p)
{
	struct xent_ctx *c = p;
	double L = 0;
	for (int i = 0; i < c->n; i++) {
		double s = 0;
		for (int j = 0; j < c->k; j++)
			s += exp(c->z[i * c->k + j]);
		L += log(s) - c->z[i * c->k + c->lab[i]];
	}
	return L / c->n;
}

static void test_softmax_xent(void **state)
{
	(void)state;
	enum { N = 4, K = 5 };
	float z[N * K], p[N * K], d[N * K], p2[N * K];
	unsigned char lab[N] = { 0, 3, 4, 3 };
	struct rng r;
	rng_seed(&r, 5);
	fill(&r, z, N * K, -4, 4);
	z[1 * K + 3] = 30; /* row 1: label wins by far */
	z[2 * K + 0] = 90; /* row 2: a huge wrong logit, no overflow */
	struct xent_ctx c = { N, K, to_d(z, N * K), lab };
	int correct = -1;
	double L = loss_softmax_xent(N, K, z, lab, 1.0f / N, p, d, &correct);
	assert_true(fabs(L / N - xent_loss(&c)) < 1e-5);
	assert_true(isfinite(L));
	assert_int_equal(correct, 1 + (net_argmax(z, K) == 0) + (net_argmax(z + 3 * K, K) == 3));
	double g[N * K];
	numeric_grad(c.z, N * K, xent_loss, &c, g);
	assert_close(d, g, N * K, 1e-6, 1e-4, "xent dz");
	loss_softmax(N, K, z, p2);
	assert_memory_equal(p, p2, sizeof(p));
	for (int i = 0; i < N; i++) {
		double s = 0;
		for (int j = 0; j < K; j++)
			s += p[i * K + j];
		assert_true(fabs(s - 1) < 1e-6);
	}
	free(c.z);
}

/* ---- fused conv -> relu -> maxpool against the three layers ---- */

static void check_fused_isa(struct conv_shape cs, int ph, int stride, int n, int with_dx,
			    int isa)
{
	assert_int_equal(conv_shape_init(&cs), 0);
	struct pool_shape ps = { .c = cs.k, .h = cs.oh, .w = cs.ow, .ph = ph, .pw = ph, .stride = stride };
	assert_int_equal(maxpool_shape_init(&ps), 0);
	assert_true(fused_applies(&cs, &ps));
	struct rng r;
	rng_seed(&r, 77);
	size_t nx = (size_t)n * cs.c * cs.h * cs.w, nw = (size_t)cs.k * cs.c * cs.kh * cs.kw;
	size_t nz = (size_t)n * cs.k * cs.oh * cs.ow, ny = (size_t)n * cs.k * ps.oh * ps.ow;
	float *x = malloc(nx * 4), *w = malloc(nw * 4), *b = malloc(cs.k * 4);
	float *z = malloc(nz * 4), *dz = malloc(nz * 4), *y1 = malloc(ny * 4), *y2 = malloc(ny * 4);
	float *dy = malloc(ny * 4), *dw1 = malloc(nw * 4), *dw2 = malloc(nw * 4);
	float *db1 = malloc(cs.k * 4), *db2 = malloc(cs.k * 4), *dx1 = malloc(nx * 4), *dx2 = malloc(nx * 4);
	int32_t *a1 = malloc(ny * 4), *a2 = malloc(ny * 4);
	float *scratch = malloc(fused_scratch_size(&cs) * 4);
	/* NaNs in the scratch: whatever the kernels read without writing it
	 * first shows */
	memset(scratch, 0xff, fused_scratch_size(&cs) * 4);
	size_t ld = (size_t)n * cs.oh * cs.ow;
	struct conv_work ws = { malloc((size_t)cs.c * cs.kh * cs.kw * ld * 4),
				malloc((size_t)cs.k * ld * 4), ld };
	fill(&r, x, nx, -1, 1);
	fill(&r, w, nw, -1, 1);
	fill(&r, b, cs.k, -1.5f, 0.5f);
	fill(&r, dy, ny, -1, 1);

	conv_forward(&cs, n, x, w, b, z, &ws);
	relu_forward(z, nz);
	maxpool_forward(&ps, n, z, y1, a1);
	fused_forward(&cs, &ps, n, x, w, b, y2, a2, scratch, isa);
	assert_closef(y2, y1, ny, 1e-6, 1e-6, "fused y");
	/* the winners (where relu cuts, the layers pool zeros and the fused
	 * path the raw values; the gradient is zero either way) */
	for (size_t i = 0; i < ny; i++)
		if (y1[i] > 0 && a2[i] != a1[i])
			fail_msg("fused arg[%zu] (isa %d): got %d, want %d", i, isa, a2[i], a1[i]);
	int zeros = 0;
	for (size_t i = 0; i < ny; i++)
		zeros += y1[i] == 0;
	if (!(zeros > 0 && zeros < (int)ny)) /* relu did cut some */
		fail_msg("%d of %zu pooled outputs are zero", zeros, ny);

	maxpool_backward(&ps, n, dy, a1, dz);
	relu_backward(z, dz, nz);
	conv_backward(&cs, n, x, w, dz, dw1, db1, with_dx ? dx1 : NULL, &ws);
	fused_backward(&cs, &ps, n, x, w, y2, dy, a2, dw2, db2, with_dx ? dx2 : NULL, scratch, isa);
	assert_closef(dw2, dw1, nw, 1e-5, 1e-5, "fused dw");
	assert_closef(db2, db1, cs.k, 1e-5, 1e-5, "fused db");
	if (with_dx)
		assert_closef(dx2, dx1, nx, 1e-5, 1e-5, "fused dx");
	free(x), free(w), free(b), free(z), free(dz), free(y1), free(y2), free(dy);
	free(dw1), free(dw2), free(db1), free(db2), free(dx1), free(dx2), free(a1), free(a2), free(scratch);
	free(ws.col), free(ws.out);
}

/* Every instruction set this CPU runs: each build of the kernels must
 * agree with the layer-by-layer path. */
static int cpu_isas(int isa[3])
{
	int n = 0;
	for (int i = FUSED_ISA_BASE; i <= FUSED_ISA_AVX512; i++)
		if (fused_isa(i) == i)
			isa[n++] = i;
	assert_true(n >= 1 && isa[0] == FUSED_ISA_BASE);
	return n;
}

static void check_fused(struct conv_shape cs, int ph, int stride, int n, int with_dx)
{
	int isa[3], nisa = cpu_isas(isa);
	for (int i = 0; i < nisa; i++)
		check_fused_isa(cs, ph, stride, n, with_dx, isa[i]);
}

static void test_fused(void **state)
{
	(void)state;
	/* the reference network's first block, at batch 3 */
	check_fused((struct conv_shape){ .c = 1, .h = 28, .w = 28, .k = 32, .kh = 3, .kw = 3, .stride = 1 }, 2, 2, 3, 0);
	/* several channels, odd sizes (the pool drops a row), input gradient */
	check_fused((struct conv_shape){ .c = 3, .h = 9, .w = 8, .k = 5, .kh = 2, .kw = 3, .stride = 1 }, 2, 2, 2, 1);
	/* 3x3 with several channels, filters not a multiple of four */
	check_fused((struct conv_shape){ .c = 2, .h = 10, .w = 12, .k = 6, .kh = 3, .kw = 3, .stride = 1 }, 2, 2, 2, 1);
	/* wide rows: more than 16 pool windows per row */
	check_fused((struct conv_shape){ .c = 1, .h = 6, .w = 40, .k = 5, .kh = 3, .kw = 3, .stride = 1 }, 2, 2, 2, 1);
	/* stride-1 conv, a 3x3 pool (the wide conv with the general pooling) */
	check_fused((struct conv_shape){ .c = 1, .h = 12, .w = 13, .k = 4, .kh = 3, .kw = 3, .stride = 1 }, 3, 3, 2, 1);
	/* Each instruction set's kernels work in its own vector width (16, 8
	 * or 4 floats): filter counts that leave 1, 2 or 3 after the groups
	 * of four; plane lengths L = (OH-1)*W + OW below one vector, between
	 * one and two, and not a multiple of any width; pooled rows of fewer
	 * windows than a vector, exactly 4, 8 and 16, and between widths (the
	 * last block overlapping the one before); conv outputs of an odd
	 * number of rows (the last one in no window). */
	for (int k = 1; k <= 7; k += 2)
		check_fused((struct conv_shape){ .c = 1, .h = 4, .w = 5, .k = k, .kh = 3, .kw = 3, .stride = 1 }, 2, 2, 2, 1);
	static const int widths[] = { 10, 11, 12, 18, 19, 21, 25, 34, 35, 37, 41, 51 };
	for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++)
		check_fused((struct conv_shape){ .c = 2, .h = 6 + (int)i % 2, .w = widths[i], .k = 5, .kh = 3, .kw = 3, .stride = 1 }, 2, 2, 2, 1);
	/* a 2x2 kernel: even conv rows, every column pooled */
	check_fused((struct conv_shape){ .c = 1, .h = 7, .w = 19, .k = 3, .kh = 2, .kw = 2, .stride = 1 }, 2, 2, 2, 1);
	/* strided conv, pool windows with gaps between them */
	check_fused((struct conv_shape){ .c = 2, .h = 11, .w = 11, .k = 3, .kh = 3, .kw = 3, .stride = 2 }, 2, 3, 2, 1);
	struct conv_shape cs = { .c = 1, .h = 6, .w = 6, .k = 2, .kh = 3, .kw = 3, .stride = 1 };
	conv_shape_init(&cs);
	struct pool_shape ps = { .c = 2, .h = 4, .w = 4, .ph = 2, .pw = 2, .stride = 1 };
	maxpool_shape_init(&ps);
	assert_false(fused_applies(&cs, &ps)); /* overlapping windows */
}

/* ---- fused_infer: one image through the block, flatten and dense ---- */

/* x: ZERO_NONE all positive, ZERO_HALF half the rows zero (a background),
 * ZERO_ALL nothing but zeros. */
enum { ZERO_NONE, ZERO_HALF, ZERO_ALL };

static void check_infer_isa(struct conv_shape cs, int units, int zeros, float bias_lo,
			    float bias_hi, int isa)
{
	assert_int_equal(conv_shape_init(&cs), 0);
	struct pool_shape ps = { .c = cs.k, .h = cs.oh, .w = cs.ow, .ph = 2, .pw = 2, .stride = 2 };
	assert_int_equal(maxpool_shape_init(&ps), 0);
	assert_true(fused_splits(&cs, &ps));
	struct rng r;
	rng_seed(&r, 31 + units);
	size_t nx = (size_t)cs.c * cs.h * cs.w, nw = (size_t)cs.k * cs.c * cs.kh * cs.kw;
	size_t nz = (size_t)cs.k * cs.oh * cs.ow, np = (size_t)cs.k * ps.oh * ps.ow;
	size_t nd = np * units;
	float *x = malloc(nx * 4), *w = malloc(nw * 4), *b = malloc(cs.k * 4);
	float *dw = malloc(nd * 4), *db = malloc(units * 4), *y = malloc(units * 4);
	float *y2 = malloc(units * 4), *pool = malloc(np * 4);
	int32_t *arg = malloc(np * 4);
	float *packed = malloc(fused_infer_size(&cs, &ps, units) * 4);
	float *scratch = malloc(fused_infer_scratch_size(&cs, &ps) * 4);
	float *wscratch = malloc(fused_scratch_size(&cs) * 4);
	fill(&r, x, nx, 0.05f, 1);
	if (zeros == ZERO_HALF)
		for (int c = 0; c < cs.c; c++)
			memset(x + (size_t)c * cs.h * cs.w, 0, sizeof(float) * (cs.h / 2) * cs.w);
	if (zeros == ZERO_ALL)
		memset(x, 0, nx * 4);
	fill(&r, w, nw, -1, 1);
	fill(&r, b, cs.k, bias_lo, bias_hi);
	/* Glorot-sized: outputs of order one, rounding against them */
	fill(&r, dw, nd, -0.05f, 0.05f);
	fill(&r, db, units, -1, 1);
	fused_infer_pack(&cs, &ps, units, w, b, dw, db, packed);
	fused_infer(&cs, &ps, units, packed, x, y, scratch, isa);

	/* the naive reference in double */
	double *xd = to_d(x, nx), *wd = to_d(w, nw), *bd = to_d(b, cs.k);
	double *dwd = to_d(dw, nd), *dbd = to_d(db, units);
	double *z = malloc(nz * 8), *pd = malloc(np * 8), *yd = malloc(units * 8);
	ref_conv(&cs, 1, xd, wd, bd, z);
	for (size_t i = 0; i < nz; i++)
		z[i] = z[i] > 0 ? z[i] : 0;
	ref_pool(&ps, 1, z, pd);
	ref_dense(1, (int)np, units, pd, dwd, dbd, yd);
	fused_forward(&cs, &ps, 1, x, w, b, pool, arg, wscratch, isa);
	dense_forward(1, (int)np, units, pool, dw, db, y2);
	/* float sums of thousands of terms: the rounding error scales with
	 * the sum of the terms' magnitudes, not with the result (which may
	 * cancel to near zero) */
	for (int o = 0; o < units; o++) {
		double mag = fabs(dbd[o]);
		for (size_t i = 0; i < np; i++)
			mag += fabs(pd[i] * dwd[(size_t)o * np + i]);
		double tol = 1e-6 + 2e-7 * mag;
		if (!(fabs(y[o] - yd[o]) <= tol))
			fail_msg("infer y[%d] (isa %d): got %.8g, want %.8g (tolerance %.3g)", o,
				 isa, y[o], yd[o], tol);
		/* the layer path, the same way */
		if (!(fabs(y[o] - y2[o]) <= tol))
			fail_msg("infer y[%d] (isa %d): got %.8g, the layers %.8g", o, isa, y[o],
				 y2[o]);
	}
	/* the case is what it claims */
	size_t zero = 0;
	for (size_t i = 0; i < np; i++)
		zero += pd[i] == 0;
	if (zeros == ZERO_NONE && bias_lo > 0 && zero != 0)
		fail_msg("%zu zero inputs to the dense layer, want none", zero);
	if (zeros == ZERO_HALF && !(zero >= np / 8 && zero < np))
		fail_msg("%zu of %zu inputs to the dense layer zero", zero, np);
	if (zeros == ZERO_ALL && bias_hi <= 0 && zero != np)
		fail_msg("%zu of %zu inputs to the dense layer zero, want all", zero, np);
	free(xd), free(wd), free(bd), free(dwd), free(dbd), free(z), free(pd), free(yd);
	free(x), free(w), free(b), free(dw), free(db), free(y), free(y2), free(pool), free(arg);
	free(packed), free(scratch), free(wscratch);
}

static void check_infer(struct conv_shape cs, int units, int zeros, float bias_lo,
			float bias_hi)
{
	int isa[3], nisa = cpu_isas(isa);
	for (int i = 0; i < nisa; i++)
		check_infer_isa(cs, units, zeros, bias_lo, bias_hi, isa[i]);
}

static void test_fused_infer(void **state)
{
	(void)state;
	struct conv_shape ref = { .c = 1, .h = 28, .w = 28, .k = 32, .kh = 3, .kw = 3, .stride = 1 };
	/* the reference block and fc1: a zero background, no zero in the
	 * input (relu still cuts), every input zero */
	check_infer(ref, 64, ZERO_HALF, -0.1f, 0.1f);
	check_infer(ref, 64, ZERO_NONE, -0.5f, 0.5f);
	check_infer(ref, 64, ZERO_ALL, -0.5f, -0.1f);
	/* no zero at all: biases larger than what the taps take away */
	check_infer(ref, 64, ZERO_NONE, 4, 5);
	/* filters and units not multiples of a vector, several channels, a
	 * kernel not 3x3, odd sizes (the pool drops a row) */
	check_infer((struct conv_shape){ .c = 3, .h = 9, .w = 8, .k = 5, .kh = 2, .kw = 3, .stride = 1 },
		    10, ZERO_HALF, -0.5f, 0.5f);
	check_infer((struct conv_shape){ .c = 2, .h = 10, .w = 12, .k = 17, .kh = 3, .kw = 3, .stride = 1 },
		    70, ZERO_HALF, -0.5f, 0.5f);
	check_infer((struct conv_shape){ .c = 1, .h = 6, .w = 40, .k = 4, .kh = 3, .kw = 3, .stride = 1 },
		    130, ZERO_NONE, 4, 5);
}

/* ---- Adam ---- */

static void test_adam(void **state)
{
	(void)state;
	struct adam a = { .lr = 1e-3f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-7f };
	float w[2] = { 1.0f, -2.0f }, g[2] = { 0.5f, -0.002f }, m[2] = { 0 }, v[2] = { 0 };
	adam_step(&a, 1, w, g, m, v, 2);
	/* step 1 by hand: m = 0.05, v = 0.00025, lr_t = 1e-3*sqrt(0.001)/0.1
	 * = 3.16227766e-4, w -= lr_t*0.05/(0.0158113883+1e-7) = 9.9999368e-4 */
	assert_true(fabs(m[0] - 0.05) < 1e-7);
	assert_true(fabs(v[0] - 0.00025) < 1e-8);
	assert_true(fabs(w[0] - (1.0 - 9.9999368e-4)) < 2e-7);
	/* a small gradient feels epsilon more: 1e-3*0.0002*sqrt(1e-3)/0.1 /
	 * (sqrt(4e-9)+1e-7) step, i.e. 6.32456e-5/(6.32456e-5+1e-7)*1e-3 */
	assert_true(fabs(w[1] - (-2.0 + 1e-3 * 6.32456e-5 / (6.32456e-5 + 1e-7))) < 2e-7);
	/* step 2, g = -0.25: m = 0.045 - 0.025 = 0.02, v = 0.00024975 + 0.0000625
	 * = 0.00031225, lr_t = 1e-3*sqrt(1-0.998001)/(1-0.81) */
	float g2[2] = { -0.25f, 0 };
	float w1 = w[0];
	adam_step(&a, 2, w, g2, m, v, 2);
	double lr_t = 1e-3 * sqrt(1 - 0.999 * 0.999) / (1 - 0.9 * 0.9);
	double want = w1 - lr_t * 0.02 / (sqrt(0.00031225) + 1e-7);
	assert_true(fabs(m[0] - 0.02f) < 1e-8);
	assert_true(fabs(w[0] - want) < 2e-7);

	/* long arrays (the vector loop where the CPU has one) give the same
	 * bits as one element at a time (always the scalar loop) */
	enum { N = 53 };
	float wa[N], wb[N], ga[N], ma[N] = { 0 }, mb[N] = { 0 }, va[N] = { 0 }, vb[N] = { 0 };
	struct rng r;
	rng_seed(&r, 4);
	fill(&r, wa, N, -1, 1);
	memcpy(wb, wa, sizeof(wa));
	for (long t = 1; t <= 3; t++) {
		fill(&r, ga, N, -1, 1);
		adam_step(&a, t, wa, ga, ma, va, N);
		for (int i = 0; i < N; i++)
			adam_step(&a, t, wb + i, ga + i, mb + i, vb + i, 1);
	}
	assert_memory_equal(wa, wb, sizeof(wa));
	assert_memory_equal(va, vb, sizeof(va));
}

/* ---- whole networks ---- */

/* A small net with every layer type; fused or not by the pool's stride,
 * and with a second conv so that conv input gradients run. */
static void small_arch(struct net_arch *a, int fuse)
{
	const char *json = fuse
		? "[{\"type\":\"conv2d\",\"name\":\"c1\",\"filters\":3,\"kernel\":[3,3]},"
		  "{\"type\":\"relu\"},{\"type\":\"maxpool2d\",\"pool\":[2,2]},"
		  "{\"type\":\"conv2d\",\"name\":\"c2\",\"filters\":4,\"kernel\":[2,2]},"
		  "{\"type\":\"relu\"},{\"type\":\"maxpool2d\",\"pool\":[2,2]},"
		  "{\"type\":\"flatten\"},{\"type\":\"dense\",\"name\":\"d1\",\"units\":6},"
		  "{\"type\":\"relu\"},{\"type\":\"dense\",\"name\":\"d2\",\"units\":3},"
		  "{\"type\":\"softmax\"}]"
		: "[{\"type\":\"conv2d\",\"name\":\"c1\",\"filters\":3,\"kernel\":[3,3]},"
		  "{\"type\":\"maxpool2d\",\"pool\":[2,2],\"stride\":1},{\"type\":\"relu\"},"
		  "{\"type\":\"conv2d\",\"name\":\"c2\",\"filters\":4,\"kernel\":[2,2],\"stride\":2},"
		  "{\"type\":\"relu\"},{\"type\":\"flatten\"},"
		  "{\"type\":\"dense\",\"name\":\"d1\",\"units\":6},{\"type\":\"relu\"},"
		  "{\"type\":\"dense\",\"name\":\"d2\",\"units\":3},{\"type\":\"softmax\"}]";
	struct perr e = { { 0 } };
	if (net_arch_from_json(a, json, 2, 11, 11, &e) < 0)
		fail_msg("%s", e.msg);
}

static double net_loss(struct net *n, const float *x, const unsigned char *y, int count)
{
	float p[8 * 3];
	net_forward(n, x, count, p);
	double L = 0;
	for (int i = 0; i < count; i++)
		L -= log((double)p[i * 3 + y[i]]);
	return L / count;
}

static void check_net_grad(int fuse, int threads)
{
	enum { B = 5 };
	struct net_arch a;
	small_arch(&a, fuse);
	struct perr e = { { 0 } };
	net_set_threads(threads);
	struct net *n = net_new(&a, 8, &e);
	assert_non_null(n);
	net_init_glorot(n, 11);
	struct rng r;
	rng_seed(&r, 12);
	float x[B * 2 * 11 * 11];
	unsigned char y[B] = { 0, 1, 2, 1, 0 };
	fill(&r, x, B * 2 * 11 * 11, 0, 1);
	/* biases off zero, so that they matter and relu cuts vary */
	for (int t = 0; t < net_n_params(n); t++) {
		struct net_param p;
		net_param(n, t, &p);
		if (p.ndim == 1)
			fill(&r, p.data, p.count, -0.1f, 0.1f);
	}
	double loss;
	assert_int_equal(net_gradients(n, x, y, B, &loss, &e), 0);
	assert_true(fabs(loss - net_loss(n, x, y, B)) < 1e-5);
	for (int t = 0; t < net_n_params(n); t++) {
		struct net_param p;
		net_param(n, t, &p);
		const float *g = net_param_grad(n, t);
		float *gs = malloc(p.count * 4);
		memcpy(gs, g, p.count * 4);
		for (size_t i = 0; i < p.count; i++) {
			/* float forward passes: a step large against rounding,
			 * small against the curvature of this loss */
			const float h = 1e-2f;
			float keep = p.data[i];
			p.data[i] = keep + h;
			net_params_changed(n);
			double up = net_loss(n, x, y, B);
			p.data[i] = keep - h;
			net_params_changed(n);
			double down = net_loss(n, x, y, B);
			p.data[i] = keep;
			net_params_changed(n);
			double num = (up - down) / (2 * (double)h);
			if (!(fabs(gs[i] - num) <= 2e-3 + 0.05 * fabs(num)))
				fail_msg("%s[%zu] (fuse %d): got %.6g, numeric %.6g", p.name, i,
					 fuse, gs[i], num);
		}
		free(gs);
	}
	net_free(n);
	net_set_threads(1);
}

static void test_net_gradients(void **state)
{
	(void)state;
	check_net_grad(1, 1);
	check_net_grad(0, 1);
	check_net_grad(1, 2);
	/* unfused convs, the batch in two slices of one workspace */
	check_net_grad(0, 2);
}

/* The reference network's probabilities [count,10] for x [count,784], in
 * double, from n's weights: the naive layers one after the other. */
static void ref_reference_net(struct net *n, const float *x, int count, double *probs)
{
	struct conv_shape cs = { .c = 1, .h = 28, .w = 28, .k = 32, .kh = 3, .kw = 3, .stride = 1 };
	conv_shape_init(&cs);
	struct pool_shape ps = { .c = 32, .h = 26, .w = 26, .ph = 2, .pw = 2, .stride = 2 };
	maxpool_shape_init(&ps);
	const char *names[6] = { "conv1.weight", "conv1.bias", "fc1.weight",
				 "fc1.bias",     "fc2.weight", "fc2.bias" };
	double *t[6];
	for (int i = 0; i < 6; i++) {
		struct net_param p;
		assert_int_equal(net_param_find(n, names[i], &p), 0);
		t[i] = to_d(p.data, p.count);
	}
	double *z = malloc(32 * 26 * 26 * 8), *pool = malloc(5408 * 8), h[64];
	for (int i = 0; i < count; i++) {
		double *xd = to_d(x + 784 * i, 784), *o = probs + 10 * i;
		ref_conv(&cs, 1, xd, t[0], t[1], z);
		for (int j = 0; j < 32 * 26 * 26; j++)
			z[j] = z[j] > 0 ? z[j] : 0;
		ref_pool(&ps, 1, z, pool);
		ref_dense(1, 5408, 64, pool, t[2], t[3], h);
		for (int j = 0; j < 64; j++)
			h[j] = h[j] > 0 ? h[j] : 0;
		ref_dense(1, 64, 10, h, t[4], t[5], o);
		double mx = o[0], sum = 0;
		for (int j = 1; j < 10; j++)
			mx = o[j] > mx ? o[j] : mx;
		for (int j = 0; j < 10; j++)
			sum += o[j] = exp(o[j] - mx);
		for (int j = 0; j < 10; j++)
			o[j] /= sum;
		free(xd);
	}
	for (int i = 0; i < 6; i++)
		free(t[i]);
	free(z), free(pool);
}

/* Inference (fused_infer's route) through the reference network against
 * the naive layers: one image at a time and in a batch, on one thread and
 * two (one image: the same bits, call after call). Weights written
 * through net_param, or changed by a training step, are seen by the next
 * forward pass. */
static void test_inference(void **state)
{
	(void)state;
	enum { B = 12 };
	struct net_arch a;
	net_arch_reference(&a);
	struct perr e = { { 0 } };
	struct net *n = net_new(&a, B, &e);
	net_init_glorot(n, 3);
	struct rng r;
	rng_seed(&r, 6);
	float x[B * 784], p1[B * 10], p2[B * 10], p3[B * 10], pb[B * 10];
	double want[B * 10];
	fill(&r, x, B * 784, 0, 1);
	for (int i = 0; i < B / 2; i++) /* half the images: a zero background */
		memset(x + 784 * i, 0, sizeof(float) * 28 * 10);
	for (int t = 0; t < net_n_params(n); t++) {
		struct net_param p;
		net_param(n, t, &p);
		if (p.ndim == 1)
			fill(&r, p.data, p.count, -0.1f, 0.1f);
	}
	ref_reference_net(n, x, B, want);
	net_set_threads(1);
	for (int i = 0; i < B; i++)
		assert_int_equal(net_forward(n, x + 784 * i, 1, p1 + 10 * i), 0);
	assert_close(p1, want, B * 10, 1e-6, 1e-5, "single-image probs");
	assert_int_equal(net_forward(n, x, B, pb), 0);
	assert_close(pb, want, B * 10, 1e-6, 1e-5, "batch probs");
	net_set_threads(2);
	for (int i = 0; i < B; i++)
		assert_int_equal(net_forward(n, x + 784 * i, 1, p2 + 10 * i), 0);
	for (int i = 0; i < B; i++)
		assert_int_equal(net_forward(n, x + 784 * i, 1, p3 + 10 * i), 0);
	assert_memory_equal(p2, p1, sizeof(p1));
	assert_memory_equal(p2, p3, sizeof(p2));
	assert_int_equal(net_forward(n, x, B, p3), 0);
	assert_close(p3, want, B * 10, 1e-6, 1e-5, "batch probs, two threads");
	net_set_threads(1);

	/* a weight written through net_param's data */
	struct net_param w;
	assert_int_equal(net_param_find(n, "fc1.weight", &w), 0);
	for (size_t i = 0; i < w.count; i += 7)
		w.data[i] *= -2;
	assert_int_equal(net_forward(n, x, 1, p1), 0);
	ref_reference_net(n, x, 1, want);
	assert_close(p1, want, 10, 1e-6, 1e-5, "probs after a write");
	/* ... and one written later (after a forward pass has packed the
	 * weights anew), announced with net_params_changed */
	assert_int_equal(net_forward(n, x, 1, p3), 0);
	for (size_t i = 0; i < w.count; i += 5)
		w.data[i] *= 0.5f;
	net_params_changed(n);
	assert_int_equal(net_forward(n, x, 1, p1), 0);
	ref_reference_net(n, x, 1, want);
	assert_close(p1, want, 10, 1e-6, 1e-5, "probs after net_params_changed");
	/* a training step */
	unsigned char lab[B] = { 0 };
	assert_int_equal(net_forward(n, x, 1, p3), 0);
	assert_int_equal(net_train_batch(n, x, lab, B, NULL, NULL, &e), 0);
	assert_int_equal(net_forward(n, x, 1, p1), 0);
	assert_true(p1[0] > p3[0]); /* it learnt class 0 */
	ref_reference_net(n, x, 1, want);
	assert_close(p1, want, 10, 1e-6, 1e-5, "probs after training");
	assert_int_equal(net_forward(n, x, B + 1, pb), -1);
	net_free(n);
}

static void test_reference_params(void **state)
{
	(void)state;
	struct net_arch a;
	net_arch_reference(&a);
	struct perr e = { { 0 } };
	struct net *n = net_new(&a, 4, &e);
	assert_non_null(n);
	assert_int_equal(net_arch_param_count(&a), 347146);
	assert_int_equal(net_arch_classes(&a), 10);
	static const struct {
		const char *name;
		int ndim, shape[4];
	} want[] = {
		{ "conv1.weight", 4, { 32, 1, 3, 3 } }, { "conv1.bias", 1, { 32 } },
		{ "fc1.weight", 2, { 64, 5408 } },      { "fc1.bias", 1, { 64 } },
		{ "fc2.weight", 2, { 10, 64 } },        { "fc2.bias", 1, { 10 } },
	};
	assert_int_equal(net_n_params(n), 6);
	for (int i = 0; i < 6; i++) {
		struct net_param p;
		assert_int_equal(net_param(n, i, &p), 0);
		assert_string_equal(p.name, want[i].name);
		assert_int_equal(p.ndim, want[i].ndim);
		for (int d = 0; d < p.ndim; d++)
			assert_int_equal(p.shape[d], want[i].shape[d]);
	}
	struct net_param p;
	assert_int_equal(net_param(n, 6, &p), -1);
	assert_int_equal(net_param_find(n, "fc1.bias", &p), 0);
	assert_int_equal(p.count, 64);
	assert_int_equal(net_param_find(n, "fc3.bias", &p), -1);
	/* glorot: conv limit sqrt(6/(9+288)), biases zero */
	net_init_glorot(n, 1);
	net_param_find(n, "conv1.weight", &p);
	float lim = sqrtf(6.0f / (9 + 288)), mx = 0;
	for (size_t i = 0; i < p.count; i++)
		mx = fabsf(p.data[i]) > mx ? fabsf(p.data[i]) : mx;
	assert_true(mx <= lim && mx > 0.8f * lim);
	net_param_find(n, "fc1.bias", &p);
	for (size_t i = 0; i < p.count; i++)
		assert_true(p.data[i] == 0);
	net_free(n);
	net_free(NULL);
}

/* Two classes of 1x8x8 images: a bright left or right half, plus noise. */
static void toy_data(unsigned char *img, unsigned char *lab, int n, uint64_t seed)
{
	struct rng r;
	rng_seed(&r, seed);
	for (int i = 0; i < n; i++) {
		lab[i] = (unsigned char)(rng_next(&r) & 1);
		for (int y = 0; y < 8; y++)
			for (int x = 0; x < 8; x++) {
				int bright = (x < 4) == (lab[i] == 0);
				img[i * 64 + y * 8 + x] =
					(unsigned char)((bright ? 120 : 40) + (rng_next(&r) % 100));
			}
	}
}

static const char toy_json[] =
	"[{\"type\":\"conv2d\",\"name\":\"conv\",\"filters\":4,\"kernel\":[3,3]},"
	"{\"type\":\"relu\"},{\"type\":\"maxpool2d\",\"pool\":[2,2]},{\"type\":\"flatten\"},"
	"{\"type\":\"dense\",\"name\":\"out\",\"units\":2},{\"type\":\"softmax\"}]";

static int count_calls(size_t done, size_t total, double loss, double acc, void *ud)
{
	(void)loss, (void)acc;
	int *calls = ud;
	(*calls)++;
	assert_true(done <= total);
	return 0;
}

static void test_toy_learns(void **state)
{
	(void)state;
	enum { N = 512 };
	unsigned char img[N * 64], lab[N];
	toy_data(img, lab, N, 3);
	struct net_arch a;
	struct perr e = { { 0 } };
	assert_int_equal(net_arch_from_json(&a, toy_json, 1, 8, 8, &e), 0);
	struct net *n = net_new(&a, 32, &e);
	net_init_glorot(n, 5);
	net_set_adam(n, 1e-2f, 0.9f, 0.999f, 1e-7f);
	struct net_scaling sc = { 1.0f / 255, 0 };
	struct net_epoch_stats first, last;
	int calls = 0;
	assert_int_equal(net_train_epoch(n, img, lab, N, 32, sc, 1, 0, count_calls, &calls, &first, &e), 0);
	assert_int_equal(calls, N / 32);
	for (int ep = 1; ep < 4; ep++)
		assert_int_equal(net_train_epoch(n, img, lab, N, 32, sc, 1, ep, NULL, NULL, &last, &e), 0);
	if (!(last.loss < first.loss * 0.5))
		fail_msg("loss %.4f after the first epoch, %.4f after the fourth", first.loss, last.loss);
	assert_int_equal(last.images, N);
	/* held-out images */
	unsigned char ti[256 * 64], tl[256];
	toy_data(ti, tl, 256, 4);
	float probs[256 * 2];
	assert_int_equal(net_predict(n, ti, 256, sc, probs, NULL, NULL, &e), 0);
	int hits = 0;
	for (int i = 0; i < 256; i++)
		hits += net_argmax(probs + 2 * i, 2) == tl[i];
	assert_true(hits >= 0.95 * 256);
	net_free(n);
}

static int stop_after_two(size_t done, size_t total, double loss, double acc, void *ud)
{
	(void)total, (void)loss, (void)acc, (void)ud;
	return done >= 64;
}

/* Train from seed: two epochs, 300 images (a partial last batch). */
static struct net *train_toy(uint64_t seed, int threads)
{
	enum { N = 300 };
	static unsigned char img[N * 64], lab[N];
	toy_data(img, lab, N, 8);
	net_set_threads(threads);
	struct net_arch a;
	struct perr e = { { 0 } };
	net_arch_from_json(&a, toy_json, 1, 8, 8, &e);
	struct net *n = net_new(&a, 32, &e);
	net_init_glorot(n, seed);
	struct net_scaling sc = { 1.0f / 255, 0 };
	for (int ep = 0; ep < 2; ep++)
		assert_int_equal(net_train_epoch(n, img, lab, N, 32, sc, seed, ep, NULL, NULL, NULL, &e), 0);
	net_set_threads(1);
	return n;
}

static int params_equal(struct net *a, struct net *b)
{
	for (int t = 0; t < net_n_params(a); t++) {
		struct net_param p, q;
		net_param(a, t, &p);
		net_param(b, t, &q);
		if (memcmp(p.data, q.data, p.count * sizeof(float)))
			return 0;
	}
	return 1;
}

static void test_determinism(void **state)
{
	(void)state;
	for (int threads = 1; threads <= 2; threads++) {
		struct net *a = train_toy(21, threads), *b = train_toy(21, threads);
		struct net *c = train_toy(22, threads);
		assert_true(params_equal(a, b));
		assert_false(params_equal(a, c));
		net_free(a), net_free(b), net_free(c);
	}
	/* a stopped epoch keeps the batches done */
	unsigned char img[256 * 64], lab[256];
	toy_data(img, lab, 256, 1);
	struct net_arch a;
	struct perr e = { { 0 } };
	net_arch_from_json(&a, toy_json, 1, 8, 8, &e);
	struct net *n = net_new(&a, 32, &e);
	net_init_glorot(n, 1);
	struct net_epoch_stats st;
	struct net_scaling sc = { 1.0f / 255, 0 };
	assert_int_equal(net_train_epoch(n, img, lab, 256, 32, sc, 1, 0, stop_after_two, NULL, &st, &e), 1);
	assert_int_equal(st.images, 64);
	/* bad batch and bad label are errors, not crashes */
	assert_int_equal(net_train_epoch(n, img, lab, 256, 33, sc, 1, 0, NULL, NULL, &st, &e), -1);
	assert_non_null(strstr(e.msg, "batch size 33"));
	perr_clear(&e);
	float x[64] = { 0 };
	unsigned char bad = 2;
	assert_int_equal(net_train_batch(n, x, &bad, 1, NULL, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "label 2"));
	net_free(n);
}

/* ---- architecture JSON and rules ---- */

static void test_arch_json(void **state)
{
	(void)state;
	struct net_arch a, b;
	net_arch_reference(&a);
	char *s = net_arch_to_json(&a);
	assert_string_equal(s,
			    "[{\"type\":\"conv2d\",\"name\":\"conv1\",\"filters\":32,\"kernel\":[3,3]},"
			    "{\"type\":\"relu\"},{\"type\":\"maxpool2d\",\"pool\":[2,2]},"
			    "{\"type\":\"flatten\"},{\"type\":\"dense\",\"name\":\"fc1\",\"units\":64},"
			    "{\"type\":\"relu\"},{\"type\":\"dense\",\"name\":\"fc2\",\"units\":10},"
			    "{\"type\":\"softmax\"}]");
	struct perr e = { { 0 } };
	assert_int_equal(net_arch_from_json(&b, s, 1, 28, 28, &e), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	free(s);
	/* strides survive the round trip */
	small_arch(&a, 0);
	s = net_arch_to_json(&a);
	assert_int_equal(net_arch_from_json(&b, s, 2, 11, 11, &e), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_int_equal(b.layers[1].stride, 1);
	assert_int_equal(b.layers[3].stride, 2);
	free(s);
}

static void expect_bad(const char *json, int c, int h, int w, const char *msg)
{
	struct net_arch a;
	struct perr e = { { 0 } };
	assert_int_equal(net_arch_from_json(&a, json, c, h, w, &e), -1);
	if (!strstr(e.msg, msg))
		fail_msg("for %s: message \"%s\" lacks \"%s\"", json, e.msg, msg);
}

#define SM ",{\"type\":\"dense\",\"name\":\"o\",\"units\":2},{\"type\":\"softmax\"}]"
static void test_arch_rejects(void **state)
{
	(void)state;
	expect_bad("[{\"type\":\"conv2d\"", 1, 8, 8, "bad JSON");
	expect_bad("{}", 1, 8, 8, "not a JSON list");
	expect_bad("[]", 1, 8, 8, "0 layers");
	expect_bad("[{\"type\":\"conv3d\"}]", 1, 8, 8, "unknown layer type \"conv3d\"");
	expect_bad("[{\"type\":\"flatten\",\"units\":3}" SM, 1, 8, 8, "unknown key \"units\"");
	expect_bad("[{\"type\":\"conv2d\",\"name\":\"c\",\"filters\":0,\"kernel\":[3,3]},{\"type\":\"flatten\"}" SM,
		   1, 8, 8, "\"filters\" > 0");
	expect_bad("[{\"type\":\"conv2d\",\"name\":\"c\",\"filters\":2,\"kernel\":[3,0]},{\"type\":\"flatten\"}" SM,
		   1, 8, 8, "\"kernel\"");
	expect_bad("[{\"type\":\"conv2d\",\"name\":\"c\",\"filters\":2,\"kernel\":[9,3]},{\"type\":\"flatten\"}" SM,
		   1, 8, 8, "kernel 9x3 does not fit its input [1,8,8]");
	expect_bad("[{\"type\":\"dense\",\"name\":\"d\",\"units\":4}" SM, 1, 8, 8, "add a flatten layer");
	expect_bad("[{\"type\":\"flatten\"},{\"type\":\"maxpool2d\",\"pool\":[2,2]}" SM, 1, 8, 8,
		   "flatten comes before it");
	expect_bad("[{\"type\":\"flatten\"},{\"type\":\"dense\",\"name\":\"d\",\"units\":0}" SM, 1, 8, 8,
		   "\"units\" > 0");
	expect_bad("[{\"type\":\"flatten\"},{\"type\":\"dense\",\"name\":\"o\",\"units\":2}" SM, 1, 8, 8,
		   "already used by layer 2");
	expect_bad("[{\"type\":\"flatten\"},{\"type\":\"dense\",\"name\":\"bad name\",\"units\":2}" SM, 1, 8, 8,
		   "\"name\" must be");
	expect_bad("[{\"type\":\"flatten\"},{\"type\":\"dense\",\"name\":\"o\",\"units\":2}]", 1, 8, 8,
		   "last layer must be softmax");
	expect_bad("[{\"type\":\"flatten\"},{\"type\":\"softmax\"}" SM, 1, 8, 8,
		   "softmax must be the last layer");
	expect_bad("[{\"type\":\"flatten\"},{\"type\":\"dense\",\"name\":\"o\",\"units\":2},"
		   "{\"type\":\"relu\"},{\"type\":\"softmax\"}]", 1, 8, 8, "must follow a dense layer");
	expect_bad("[{\"type\":\"flatten\"}" SM, 0, 8, 8, "input shape [0,8,8]");
	expect_bad("[{\"type\":\"maxpool2d\",\"pool\":[2]},{\"type\":\"flatten\"}" SM, 1, 8, 8, "\"pool\"");
	/* net_new checks too (architectures built in code) */
	struct net_arch a;
	net_arch_reference(&a);
	a.layers[4].units = 0;
	struct perr e = { { 0 } };
	assert_null(net_new(&a, 8, &e));
	assert_non_null(strstr(e.msg, "layer 5 (dense)"));
	net_arch_reference(&a);
	perr_clear(&e);
	assert_null(net_new(&a, 0, &e));
	assert_non_null(strstr(e.msg, "batch size 0"));
}

static void test_rng(void **state)
{
	(void)state;
	struct rng a, b;
	rng_seed(&a, 123);
	rng_seed(&b, 123);
	for (int i = 0; i < 100; i++)
		assert_true(rng_next(&a) == rng_next(&b));
	uint32_t idx[50];
	int seen[50] = { 0 };
	for (int i = 0; i < 50; i++)
		idx[i] = (uint32_t)i;
	rng_shuffle(&a, idx, 50);
	int moved = 0;
	for (int i = 0; i < 50; i++) {
		seen[idx[i]]++;
		moved += idx[i] != (uint32_t)i;
	}
	for (int i = 0; i < 50; i++)
		assert_int_equal(seen[i], 1);
	assert_true(moved > 30);
	float u = rng_uniform(&a, -2, 3);
	assert_true(u >= -2 && u < 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rng),
		cmocka_unit_test(test_conv),
		cmocka_unit_test(test_maxpool),
		cmocka_unit_test(test_dense),
		cmocka_unit_test(test_relu),
		cmocka_unit_test(test_softmax_xent),
		cmocka_unit_test(test_fused),
		cmocka_unit_test(test_adam),
		cmocka_unit_test(test_net_gradients),
		cmocka_unit_test(test_reference_params),
		cmocka_unit_test(test_inference),
		cmocka_unit_test(test_fused_infer),
		cmocka_unit_test(test_toy_learns),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_arch_json),
		cmocka_unit_test(test_arch_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
