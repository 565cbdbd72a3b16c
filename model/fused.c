/*
 * fused.c - conv2d -> relu -> maxpool2d in one pass per image. Layer by
 * layer, the reference network writes, rereads and masks an [N,32,26,26]
 * activation (5.5 MB at batch 64) four times per step, and its gradient as
 * often; here one image's conv output stays in cache-sized scratch, and
 * the backward pass touches only each pool window's winner.
 *
 * relu and max commute (max(relu(a),relu(b)) = relu(max(a,b))) and the
 * winner's gradient passes relu exactly when the pooled output is > 0, so
 * the results equal the layer-by-layer path's (the tests check that).
 */
#include <cblas.h>
#include <string.h>

#include "model/model.h"

/*
 * The stride-1 kernels are the engine's hot loops. They are written once
 * with GCC vector types (fused_train.inc, fused_infer.inc) and built
 * three times, for AVX-512 (16 floats a vector), AVX2+FMA (8) and
 * baseline x86-64 (4), picked at run time by the CPU, so the binary stays
 * portable. fp-contract lets a*b+c become one FMA; that
 * changes rounding against the other builds, but one machine always runs
 * the same build, so results stay reproducible.
 */
/* the 64-byte vectors only ever live inside always-inlined helpers, so
 * the ABI for passing them never comes into play */
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wpsabi"
#pragma clang fp contract(fast)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=fast")
#pragma GCC diagnostic ignored "-Wpsabi"
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#define FUSED_DISPATCH 1
#include <immintrin.h>
#endif
#define INLINE static inline __attribute__((always_inline))

/* The widest vector in floats: padding and slack are sized for it, and so
 * fit every narrower width. */
#define VW 16

/* Non-overlapping windows: each conv output feeds at most one pool output,
 * which the backward pass relies on. */
int fused_applies(const struct conv_shape *cs, const struct pool_shape *ps)
{
	return ps->c == cs->k && ps->h == cs->oh && ps->w == cs->ow &&
	       ps->stride >= ps->ph && ps->stride >= ps->pw;
}

/* im2col (strided convs) or the wide output planes [K][OH*W] (stride 1),
 * plus the gradient planes of the backward pass. */
size_t fused_scratch_size(const struct conv_shape *cs)
{
	return conv_col_size(cs) + 2 * (size_t)cs->k * cs->oh * cs->w + 2 * (size_t)cs->w +
	       8 * VW;
}

/* 2x2 pooling with stride 2 of one wide plane (rows W apart), relu folded
 * in; arg in the [OH,OW] plane. Ties keep the first in scan order, as
 * maxpool_forward does. */
static void wide_pool2_scalar(const struct pool_shape *ps, int W, const float *z,
			      float *y, int32_t *arg)
{
	for (int py = 0; py < ps->oh; py++)
		for (int px = 0; px < ps->ow; px++) {
			const float *r0 = z + (size_t)(2 * py) * W + 2 * px, *r1 = r0 + W;
			int ga = r0[1] > r0[0], gc = r1[1] > r1[0];
			float h0 = ga ? r0[1] : r0[0], h1 = gc ? r1[1] : r1[0];
			int gv = h1 > h0;
			float v = gv ? h1 : h0;
			*y++ = v > 0 ? v : 0;
			*arg++ = (2 * py + gv) * ps->w + 2 * px + (gv ? gc : ga);
		}
}

#ifdef FUSED_DISPATCH
/* The same, 16 windows at a time: per pair of rows, each column against
 * its right neighbour, then the two rows; the even lanes of two such
 * vectors are 16 windows, gathered with one permute. Reads up to 33
 * floats past the rows: the scratch has room, and those lanes are masked
 * off. */
__attribute__((target("avx512f"))) static void wide_pool2_avx512(
	const struct pool_shape *ps, int W, const float *z, float *y, int32_t *arg)
{
	const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22,
					       24, 26, 28, 30);
	const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
					       13, 14, 15);
	const __m512i one = _mm512_set1_epi32(1), two = _mm512_set1_epi32(2);
	for (int py = 0; py < ps->oh; py++) {
		const float *r0 = z + (size_t)(2 * py) * W, *r1 = r0 + W;
		for (int px0 = 0; px0 < ps->ow; px0 += 16) {
			__m512 v[2];
			__m512i cd[2];
			for (int h = 0; h < 2; h++) {
				int x0 = 2 * px0 + 16 * h;
				__m512 a = _mm512_loadu_ps(r0 + x0), a1 = _mm512_loadu_ps(r0 + x0 + 1);
				__m512 c = _mm512_loadu_ps(r1 + x0), c1 = _mm512_loadu_ps(r1 + x0 + 1);
				__mmask16 ga = _mm512_cmp_ps_mask(a1, a, _CMP_GT_OQ);
				__mmask16 gc = _mm512_cmp_ps_mask(c1, c, _CMP_GT_OQ);
				__m512 h0 = _mm512_mask_blend_ps(ga, a, a1);
				__m512 h1 = _mm512_mask_blend_ps(gc, c, c1);
				__mmask16 gv = _mm512_cmp_ps_mask(h1, h0, _CMP_GT_OQ);
				v[h] = _mm512_mask_blend_ps(gv, h0, h1);
				__mmask16 lo = (__mmask16)((gv & gc) | (~gv & ga));
				cd[h] = _mm512_or_si512(_mm512_maskz_mov_epi32(gv, two),
							_mm512_maskz_mov_epi32(lo, one));
			}
			int left = ps->ow - px0;
			__mmask16 keep = left >= 16 ? 0xffff : (__mmask16)((1u << left) - 1);
			__m512 out = _mm512_permutex2var_ps(v[0], even, v[1]);
			out = _mm512_max_ps(out, _mm512_setzero_ps());
			__m512i code = _mm512_permutex2var_epi32(cd[0], even, cd[1]);
			/* arg = (2py + code>>1) * OW + 2(px0 + lane) + (code & 1) */
			__m512i col = _mm512_add_epi32(
				_mm512_slli_epi32(_mm512_add_epi32(lane, _mm512_set1_epi32(px0)), 1),
				_mm512_and_si512(code, one));
			__m512i row = _mm512_add_epi32(_mm512_set1_epi32(2 * py),
						       _mm512_srli_epi32(code, 1));
			__m512i at = _mm512_add_epi32(
				_mm512_mullo_epi32(row, _mm512_set1_epi32(ps->w)), col);
			_mm512_mask_storeu_ps(y + (size_t)py * ps->ow + px0, keep, out);
			_mm512_mask_storeu_epi32(arg + (size_t)py * ps->ow + px0, keep, at);
		}
	}
}
#endif

/* One plane's gradient dzk [OH*W] (wide, zeroed here) from the pooled
 * gradient: each window's winner gets g = dy where relu passed it (y > 0),
 * everything else 0; returns the sum of the g's (db's share). */
static float scatter_plane(const struct conv_shape *cs, const struct pool_shape *ps,
			   const float *y, const float *dy, const int32_t *arg, float *dzk)
{
	float bsum = 0;
	memset(dzk, 0, sizeof(float) * cs->oh * cs->w);
	for (int py = 0; py < ps->oh; py++)
		for (int px = 0; px < ps->ow; px++, y++, dy++, arg++) {
			/* relu's cut as a multiply, not a branch that random
			 * data mispredicts half the time */
			float g = (float)(*y > 0) * *dy;
			/* the winner's row within its window, without a
			 * division: at most ph-1 steps */
			int oy = py * ps->stride, rel = *arg - oy * cs->ow;
			for (int a = 1; a < ps->ph; a++) {
				int down = rel >= cs->ow;
				rel -= down * cs->ow;
				oy += down;
			}
			dzk[(size_t)oy * cs->w + rel] = g;
			bsum += g;
		}
	return bsum;
}

typedef void (*pool2_fn)(const struct pool_shape *ps, int W, const float *z, float *y,
			 int32_t *arg);

/* The vector helpers and the training kernels in each width
 * (fused_vec.inc, fused_train.inc), with that width's shuffles: VEVEN the
 * even lanes of a then b, VZIPLO/VZIPHI the lanes of a and b interleaved
 * (from their low and high halves). */
#define VN(f) v16_##f
#define VL 16
#define VEVEN(a, b) \
	__builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30)
#define VZIPLO(a, b) \
	__builtin_shufflevector(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23)
#define VZIPHI(a, b) \
	__builtin_shufflevector(a, b, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, \
				15, 31)
#include "model/fused_vec.inc"
#include "model/fused_train.inc"
#undef VN
#undef VL
#undef VEVEN
#undef VZIPLO
#undef VZIPHI
#define VN(f) v8_##f
#define VL 8
#define VEVEN(a, b) __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14)
#define VZIPLO(a, b) __builtin_shufflevector(a, b, 0, 8, 1, 9, 2, 10, 3, 11)
#define VZIPHI(a, b) __builtin_shufflevector(a, b, 4, 12, 5, 13, 6, 14, 7, 15)
#include "model/fused_vec.inc"
#include "model/fused_train.inc"
#undef VN
#undef VL
#undef VEVEN
#undef VZIPLO
#undef VZIPHI
#define VN(f) v4_##f
#define VL 4
#define VEVEN(a, b) __builtin_shufflevector(a, b, 0, 2, 4, 6)
#define VZIPLO(a, b) __builtin_shufflevector(a, b, 0, 4, 1, 5)
#define VZIPHI(a, b) __builtin_shufflevector(a, b, 2, 6, 3, 7)
#include "model/fused_vec.inc"
#include "model/fused_train.inc"
#undef VN
#undef VL
#undef VEVEN
#undef VZIPLO
#undef VZIPHI

/* One build per instruction set, each in its registers' width; the
 * dispatch is a feature test per call (a load and a branch). */
#ifdef FUSED_DISPATCH
/* the pool in intrinsics: GCC 12 builds v16_pool2 for AVX-512 with its
 * masks through memory (43 us an image against 6.4) */
__attribute__((target("avx512f"))) static void wide_forward_avx512(
	const struct conv_shape *cs, const struct pool_shape *ps, const float *x,
	const float *w, const float *b, float *z, float *y, int32_t *arg, int k0, int k1)
{
	v16_wide_forward(cs, ps, x, w, b, z, y, arg, k0, k1, wide_pool2_avx512);
}
__attribute__((target("avx2,fma"))) static void wide_forward_avx2(
	const struct conv_shape *cs, const struct pool_shape *ps, const float *x,
	const float *w, const float *b, float *z, float *y, int32_t *arg, int k0, int k1)
{
	v8_wide_forward(cs, ps, x, w, b, z, y, arg, k0, k1, v8_pool2);
}
__attribute__((target("avx512f"))) static void wide_conv_avx512(
	const struct conv_shape *cs, const float *x, const float *w, const float *b, float *z)
{
	v16_wide_conv(cs, x, w, b, z);
}
__attribute__((target("avx2,fma"))) static void wide_conv_avx2(
	const struct conv_shape *cs, const float *x, const float *w, const float *b, float *z)
{
	v8_wide_conv(cs, x, w, b, z);
}
/* in 8 lanes: the reference network's pooled rows are 13 windows, too
 * few for 16 */
__attribute__((target("avx512f"))) static void wide_scatter2_avx512(
	const struct conv_shape *cs, const struct pool_shape *ps, const float *y,
	const float *dy, const int32_t *arg, float *dz, float *db)
{
	v8_scatter2(cs, ps, y, dy, arg, dz, db);
}
__attribute__((target("avx2,fma"))) static void wide_scatter2_avx2(
	const struct conv_shape *cs, const struct pool_shape *ps, const float *y,
	const float *dy, const int32_t *arg, float *dz, float *db)
{
	v8_scatter2(cs, ps, y, dy, arg, dz, db);
}
__attribute__((target("avx512f"))) static void wide_grad_avx512(
	const struct conv_shape *cs, const float *x, const float *w, const float *dz,
	float *dw, float *dx)
{
	v16_wide_grad(cs, x, w, dz, dw, dx);
}
__attribute__((target("avx2,fma"))) static void wide_grad_avx2(
	const struct conv_shape *cs, const float *x, const float *w, const float *dz,
	float *dw, float *dx)
{
	v8_wide_grad(cs, x, w, dz, dw, dx);
}
#endif

/* The best instruction set this CPU runs, or isa itself when it is not
 * FUSED_ISA_BEST and the CPU has it (the tests run every one). */
int fused_isa(int isa)
{
	int best = FUSED_ISA_BASE;
#ifdef FUSED_DISPATCH
	if (__builtin_cpu_supports("avx512f"))
		best = FUSED_ISA_AVX512;
	else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		best = FUSED_ISA_AVX2;
#endif
	if (isa == FUSED_ISA_BEST)
		return best;
	return isa <= best ? isa : -1;
}

static void wide_forward(const struct conv_shape *cs, const struct pool_shape *ps,
			 const float *x, const float *w, const float *b, float *z,
			 float *y, int32_t *arg, int isa, int k0, int k1)
{
	(void)isa; /* one build only without the dispatch */
#ifdef FUSED_DISPATCH
	if (isa == FUSED_ISA_AVX512)
		wide_forward_avx512(cs, ps, x, w, b, z, y, arg, k0, k1);
	else if (isa == FUSED_ISA_AVX2)
		wide_forward_avx2(cs, ps, x, w, b, z, y, arg, k0, k1);
	else
#endif
		v4_wide_forward(cs, ps, x, w, b, z, y, arg, k0, k1, v4_pool2);
}

static void wide_conv(const struct conv_shape *cs, const float *x, const float *w,
		      const float *b, float *z, int isa)
{
	(void)isa; /* one build only without the dispatch */
#ifdef FUSED_DISPATCH
	if (isa == FUSED_ISA_AVX512)
		wide_conv_avx512(cs, x, w, b, z);
	else if (isa == FUSED_ISA_AVX2)
		wide_conv_avx2(cs, x, w, b, z);
	else
#endif
		v4_wide_conv(cs, x, w, b, z);
}

static void wide_scatter2(const struct conv_shape *cs, const struct pool_shape *ps,
			  const float *y, const float *dy, const int32_t *arg, float *dz,
			  float *db, int isa)
{
	(void)isa; /* one build only without the dispatch */
#ifdef FUSED_DISPATCH
	if (isa == FUSED_ISA_AVX512)
		wide_scatter2_avx512(cs, ps, y, dy, arg, dz, db);
	else if (isa == FUSED_ISA_AVX2)
		wide_scatter2_avx2(cs, ps, y, dy, arg, dz, db);
	else
#endif
		v4_scatter2(cs, ps, y, dy, arg, dz, db);
}

static void wide_grad(const struct conv_shape *cs, const float *x, const float *w,
		      const float *dz, float *dw, float *dx, int isa)
{
	(void)isa; /* one build only without the dispatch */
#ifdef FUSED_DISPATCH
	if (isa == FUSED_ISA_AVX512)
		wide_grad_avx512(cs, x, w, dz, dw, dx);
	else if (isa == FUSED_ISA_AVX2)
		wide_grad_avx2(cs, x, w, dz, dw, dx);
	else
#endif
		v4_wide_grad(cs, x, w, dz, dw, dx);
}

/* Pool one conv output plane (rows ld floats apart) into [PH,PW], relu
 * folded in; arg in the [OH,OW] plane. Branch-free selects: on random data
 * a branch per comparison mispredicts half the time. */
static void pool_plane(const struct pool_shape *ps, const float *z, int ld,
		       float *y, int32_t *arg)
{
	for (int py = 0; py < ps->oh; py++)
		for (int px = 0; px < ps->ow; px++) {
			int y0 = py * ps->stride, x0 = px * ps->stride;
			float bv = z[y0 * ld + x0];
			int best = y0 * ps->w + x0;
			for (int i = 0; i < ps->ph; i++) {
				const float *row = z + (y0 + i) * ld + x0;
				for (int j = 0; j < ps->pw; j++) {
					float v = row[j];
					int gt = v > bv;
					bv = gt ? v : bv;
					best = gt ? (y0 + i) * ps->w + x0 + j : best;
				}
			}
			*y++ = bv > 0 ? bv : 0;
			*arg++ = best;
		}
}

/* The wide path with the vectorised pool (stride-1 conv, 2x2 pool of
 * stride 2), and the shape fused_infer covers. */
int fused_splits(const struct conv_shape *cs, const struct pool_shape *ps)
{
	return cs->stride == 1 && ps->ph == 2 && ps->pw == 2 && ps->stride == 2;
}

/* Per image, by the fastest route that applies: the wide kernels with the
 * vectorised 2x2 pool; the wide conv with any non-overlapping pool; or
 * (strided convs) z [K,OH,OW] = W x im2col(x) + b in scratch, then pool. */
void fused_forward(const struct conv_shape *cs, const struct pool_shape *ps,
		   int n, const float *x, const float *w, const float *b,
		   float *y, int32_t *arg, float *scratch, int isa)
{
	isa = fused_isa(isa);
	if (isa < 0)
		isa = FUSED_ISA_BASE;
	int ckk = cs->c * cs->kh * cs->kw, p = cs->oh * cs->ow;
	size_t in_sz = (size_t)cs->c * cs->h * cs->w, q = (size_t)ps->oh * ps->ow;
	float *col = scratch, *z = scratch + conv_col_size(cs);
	if (fused_splits(cs, ps)) {
		for (int i = 0; i < n; i++)
			wide_forward(cs, ps, x + i * in_sz, w, b, z,
				     y + (size_t)i * cs->k * q, arg + (size_t)i * cs->k * q, isa, 0,
				     cs->k);
		return;
	}
	if (cs->stride == 1) {
		size_t zp = (size_t)cs->oh * cs->w;
		for (int i = 0; i < n; i++) {
			wide_conv(cs, x + i * in_sz, w, b, z, isa);
			for (int k = 0; k < cs->k; k++)
				pool_plane(ps, z + k * zp, cs->w, y + ((size_t)i * cs->k + k) * q,
					   arg + ((size_t)i * cs->k + k) * q);
		}
		return;
	}
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < cs->k; k++)
			for (int t = 0; t < p; t++)
				z[(size_t)k * p + t] = b[k];
		conv_im2col(cs, x + i * in_sz, col, (size_t)p);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, cs->k, p, ckk,
			    1.0f, w, ckk, col, p, 1.0f, z, p);
		for (int k = 0; k < cs->k; k++)
			pool_plane(ps, z + (size_t)k * p, cs->ow, y + ((size_t)i * cs->k + k) * q,
				   arg + ((size_t)i * cs->k + k) * q);
	}
}

/* For each winner (oy,ox) of filter k with gradient g (0 where relu cut
 * it): dw[k] += g * the input window at (oy,ox); db[k] += g; and the
 * window of dx += g * w[k]. */
void fused_backward(const struct conv_shape *cs, const struct pool_shape *ps,
		    int n, const float *x, const float *w, const float *y,
		    const float *dy, const int32_t *arg, float *dw, float *db,
		    float *dx, float *scratch, int isa)
{
	isa = fused_isa(isa);
	if (isa < 0)
		isa = FUSED_ISA_BASE;
	int ckk = cs->c * cs->kh * cs->kw, s = cs->stride;
	size_t in_sz = (size_t)cs->c * cs->h * cs->w, q = (size_t)ps->oh * ps->ow;
	size_t plane = (size_t)cs->h * cs->w;
	memset(dw, 0, sizeof(float) * cs->k * ckk);
	memset(db, 0, sizeof(float) * cs->k);
	if (dx)
		memset(dx, 0, sizeof(float) * n * in_sz);
	if (s == 1) {
		/* scatter each winner's gradient into wide planes of zeros,
		 * then dense, vectorised correlations: 4x the multiply-adds of
		 * visiting winners only, at a vector's lanes instead of one */
		size_t zp = (size_t)cs->oh * cs->w;
		float *dz = scratch;
		for (int i = 0; i < n; i++) {
			size_t o = (size_t)i * cs->k * q;
			if (fused_splits(cs, ps))
				wide_scatter2(cs, ps, y + o, dy + o, arg + o, dz, db, isa);
			else
				for (int k = 0; k < cs->k; k++)
					db[k] += scatter_plane(cs, ps, y + o + k * q, dy + o + k * q,
							       arg + o + k * q, dz + k * zp);
			wide_grad(cs, x + i * in_sz, w, dz, dw, dx ? dx + i * in_sz : NULL, isa);
		}
		return;
	}
	for (int i = 0; i < n; i++) {
		const float *xi = x + i * in_sz;
		float *dxi = dx ? dx + i * in_sz : NULL;
		for (int k = 0; k < cs->k; k++) {
			size_t o = ((size_t)i * cs->k + k) * q;
			float *dwk = dw + (size_t)k * ckk, bsum = 0;
			const float *wk = w + (size_t)k * ckk;
			for (size_t t = 0; t < q; t++) {
				if (!(y[o + t] > 0))
					continue;
				float g = dy[o + t];
				int oy = arg[o + t] / cs->ow, ox = arg[o + t] % cs->ow;
				size_t at = (size_t)oy * s * cs->w + (size_t)ox * s;
				bsum += g;
				int r = 0;
				for (int c = 0; c < cs->c; c++)
					for (int a = 0; a < cs->kh; a++) {
						const float *src = xi + c * plane + at + (size_t)a * cs->w;
						for (int bb = 0; bb < cs->kw; bb++, r++)
							dwk[r] += g * src[bb];
					}
				if (dxi) {
					r = 0;
					for (int c = 0; c < cs->c; c++)
						for (int a = 0; a < cs->kh; a++) {
							float *dst = dxi + c * plane + at + (size_t)a * cs->w;
							for (int bb = 0; bb < cs->kw; bb++, r++)
								dst[bb] += g * wk[r];
						}
				}
			}
			db[k] += bsum;
		}
	}
}

/*
 * Inference of one image through a conv -> relu -> 2x2 maxpool block and
 * the flatten and dense layers after it (fused_infer). Two facts make it
 * several times faster than the layer path for one image:
 *
 * - Filters go across the vector lanes: an input pixel is broadcast once
 *   and multiplied with the weights of 16 filters, the four conv outputs
 *   of a pool window stay in registers, and only the pooled maximum is
 *   stored, channels last ([PH*PW, K]), with no argmax (nothing goes
 *   backward) and no im2col.
 * - The dense layer costs reading its weights (1.4 MB for the reference
 *   fc1, more than a core's L2), but relu and pooling leave about half of
 *   its inputs exactly zero, and a zero input needs no weights at all. So
 *   the weights are kept transposed, one row of units per input, in the
 *   channels-last order of the pooled output: the layer reads the rows of
 *   the nonzero inputs only, each a few whole cache lines, and those rows
 *   (the same ones image after image: backgrounds are zero) stay in L2.
 *
 * The packed copy of the weights is built by fused_infer_pack whenever
 * they change. Filters and units are padded to whole vectors with zeros:
 * a padded filter pools to exactly 0 and is skipped like any other zero.
 */
struct infer_dims {
	int kp, up;        /* filters and units rounded up to whole vectors */
	size_t p;          /* pool positions PH*PW */
	size_t cb, dw, db; /* offsets of conv bias, dense rows, dense bias */
	size_t size;       /* floats in all */
};

static void infer_dims(const struct conv_shape *cs, const struct pool_shape *ps,
		       int units, struct infer_dims *d)
{
	d->kp = (cs->k + VW - 1) / VW * VW;
	d->up = (units + VW - 1) / VW * VW;
	d->p = (size_t)ps->oh * ps->ow;
	d->cb = (size_t)cs->c * cs->kh * cs->kw * d->kp;
	d->dw = d->cb + d->kp;
	d->db = d->dw + d->p * d->kp * d->up;
	d->size = d->db + d->up;
}

size_t fused_infer_size(const struct conv_shape *cs, const struct pool_shape *ps,
			int units)
{
	struct infer_dims d;
	infer_dims(cs, ps, units, &d);
	return d.size;
}

/* The pooled output, channels last, and the (index, value) list of its
 * nonzero entries, each with a vector's slack for the compaction's
 * whole-vector stores. */
size_t fused_infer_scratch_size(const struct conv_shape *cs,
				const struct pool_shape *ps)
{
	struct infer_dims d;
	infer_dims(cs, ps, 1, &d);
	return 3 * (d.p * d.kp + VW);
}

/* Conv weights [K][C*kh*kw] -> [C*kh*kw][Kp]; dense weights [units][K*P]
 * (flatten's C,H,W order) -> rows [P*Kp][Up], row p*Kp+k for pooled
 * output (k,p); biases padded. Padding is zero. */
void fused_infer_pack(const struct conv_shape *cs, const struct pool_shape *ps,
		      int units, const float *cw, const float *cb, const float *dw,
		      const float *db, float *packed)
{
	struct infer_dims d;
	infer_dims(cs, ps, units, &d);
	int ckk = cs->c * cs->kh * cs->kw;
	size_t in = (size_t)cs->k * d.p;
	memset(packed, 0, sizeof(float) * d.size);
	for (int k = 0; k < cs->k; k++) {
		for (int r = 0; r < ckk; r++)
			packed[(size_t)r * d.kp + k] = cw[(size_t)k * ckk + r];
		packed[d.cb + k] = cb[k];
	}
	for (int u = 0; u < units; u++) {
		const float *row = dw + u * in;
		for (int k = 0; k < cs->k; k++)
			for (size_t p = 0; p < d.p; p++)
				packed[d.dw + (p * d.kp + k) * d.up + u] = row[k * d.p + p];
		packed[d.db + u] = db[u];
	}
}

/* The nonzero entries of v [n] (all >= 0: relu outputs) as (index, value)
 * pairs, in order; their number. Branch-free: whether an entry is zero is
 * a coin toss the branch predictor would lose. */
static int infer_compact_scalar(const float *v, int n, int32_t *idx, float *val)
{
	int m = 0;
	for (int i = 0; i < n; i++) {
		idx[m] = i;
		val[m] = v[i];
		m += v[i] > 0;
	}
	return m;
}

#ifdef FUSED_DISPATCH
/* The same 16 at a time (n a multiple of 16): compress the nonzero lanes,
 * store the whole vector, advance by their count. */
__attribute__((target("avx512f,popcnt"))) static int
infer_compact_avx512(const float *v, int n, int32_t *idx, float *val)
{
	__m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
					 14, 15);
	const __m512i step = _mm512_set1_epi32(16);
	int m = 0;
	for (int i = 0; i < n; i += 16) {
		__m512 x = _mm512_loadu_ps(v + i);
		__mmask16 nz = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GT_OQ);
		_mm512_storeu_si512(idx + m, _mm512_maskz_compress_epi32(nz, lane));
		_mm512_storeu_ps(val + m, _mm512_maskz_compress_ps(nz, x));
		m += __builtin_popcount(nz);
		lane = _mm512_add_epi32(lane, step);
	}
	return m;
}
#endif

/* Where the pooled output, the nonzero list's values and its indices sit
 * in the scratch. */
struct infer_scratch {
	float *pooled, *val;
	int32_t *idx;
	int n; /* pooled floats */
};

static struct infer_scratch infer_scratch(const struct infer_dims *d, float *scratch)
{
	int n = (int)(d->p * d->kp);
	float *val = scratch + n + VW;
	return (struct infer_scratch){ scratch, val, (int32_t *)(val + n + VW), n };
}

typedef int (*infer_compact_fn)(const float *v, int n, int32_t *idx, float *val);

/* The kernels in each width (fused_infer.inc, on the helpers included
 * above). */
#define VN(f) v16_##f
#define VL 16
#include "model/fused_infer.inc"
#undef VN
#undef VL
#define VN(f) v8_##f
#define VL 8
#include "model/fused_infer.inc"
#undef VN
#undef VL
#define VN(f) v4_##f
#define VL 4
#include "model/fused_infer.inc"
#undef VN
#undef VL

/* One build per instruction set. */
#ifdef FUSED_DISPATCH
__attribute__((target("avx512f,popcnt"))) static void infer_avx512(
	const struct conv_shape *cs, const struct pool_shape *ps, const struct infer_dims *d,
	int units, const float *packed, const float *x, float *y, struct infer_scratch *s)
{
	v16_run(cs, ps, d, units, packed, x, y, s, infer_compact_avx512);
}
__attribute__((target("avx2,fma"))) static void infer_avx2(
	const struct conv_shape *cs, const struct pool_shape *ps, const struct infer_dims *d,
	int units, const float *packed, const float *x, float *y, struct infer_scratch *s)
{
	v8_run(cs, ps, d, units, packed, x, y, s, infer_compact_scalar);
}
#endif

/* y [units] = dense(flatten(maxpool(relu(conv(x))))) for one image x
 * [C,H,W], from the packed weights; where fused_splits. */
void fused_infer(const struct conv_shape *cs, const struct pool_shape *ps, int units,
		 const float *packed, const float *x, float *y, float *scratch, int isa)
{
	struct infer_dims d;
	infer_dims(cs, ps, units, &d);
	struct infer_scratch s = infer_scratch(&d, scratch);
	isa = fused_isa(isa);
#ifdef FUSED_DISPATCH
	if (isa == FUSED_ISA_AVX512)
		infer_avx512(cs, ps, &d, units, packed, x, y, &s);
	else if (isa == FUSED_ISA_AVX2)
		infer_avx2(cs, ps, &d, units, packed, x, y, &s);
	else
#endif
		v4_run(cs, ps, &d, units, packed, x, y, &s, infer_compact_scalar);
}
