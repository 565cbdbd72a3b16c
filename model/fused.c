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

/* Non-overlapping windows: each conv output feeds at most one pool output,
 * which the backward pass relies on. */
int fused_applies(const struct conv_shape *cs, const struct pool_shape *ps)
{
	return ps->c == cs->k && ps->h == cs->oh && ps->w == cs->ow &&
	       ps->stride >= ps->ph && ps->stride >= ps->pw;
}

size_t fused_scratch_size(const struct conv_shape *cs)
{
	return conv_col_size(cs) + (size_t)cs->k * cs->oh * cs->ow;
}

/* Pool one conv output plane [OH,OW] into [PH,PW], relu folded in. */
static void pool_plane(const struct pool_shape *ps, const float *z, float *y,
		       int32_t *arg)
{
	for (int py = 0; py < ps->oh; py++)
		for (int px = 0; px < ps->ow; px++) {
			int best = py * ps->stride * ps->w + px * ps->stride;
			float bv = z[best];
			for (int i = 0; i < ps->ph; i++) {
				const float *row = z + (py * ps->stride + i) * ps->w + px * ps->stride;
				for (int j = 0; j < ps->pw; j++)
					if (row[j] > bv) {
						bv = row[j];
						best = (py * ps->stride + i) * ps->w + px * ps->stride + j;
					}
			}
			*y++ = bv > 0 ? bv : 0;
			*arg++ = best;
		}
}

/* Per image: z [K,OH,OW] = W x im2col(x) + b in scratch, then pool. */
void fused_forward(const struct conv_shape *cs, const struct pool_shape *ps,
		   int n, const float *x, const float *w, const float *b,
		   float *y, int32_t *arg, float *scratch)
{
	int ckk = cs->c * cs->kh * cs->kw, p = cs->oh * cs->ow;
	size_t in_sz = (size_t)cs->c * cs->h * cs->w, q = (size_t)ps->oh * ps->ow;
	float *col = scratch, *z = scratch + conv_col_size(cs);
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < cs->k; k++)
			for (int t = 0; t < p; t++)
				z[(size_t)k * p + t] = b[k];
		conv_im2col(cs, x + i * in_sz, col);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, cs->k, p, ckk,
			    1.0f, w, ckk, col, p, 1.0f, z, p);
		for (int k = 0; k < cs->k; k++)
			pool_plane(ps, z + (size_t)k * p, y + ((size_t)i * cs->k + k) * q,
				   arg + ((size_t)i * cs->k + k) * q);
	}
}

/* For each winner (oy,ox) of filter k with gradient g (0 where relu cut
 * it): dw[k] += g * the input window at (oy,ox); db[k] += g; and the
 * window of dx += g * w[k]. */
void fused_backward(const struct conv_shape *cs, const struct pool_shape *ps,
		    int n, const float *x, const float *w, const float *y,
		    const float *dy, const int32_t *arg, float *dw, float *db,
		    float *dx)
{
	int ckk = cs->c * cs->kh * cs->kw, s = cs->stride;
	size_t in_sz = (size_t)cs->c * cs->h * cs->w, q = (size_t)ps->oh * ps->ow;
	size_t plane = (size_t)cs->h * cs->w;
	memset(dw, 0, sizeof(float) * cs->k * ckk);
	memset(db, 0, sizeof(float) * cs->k);
	if (dx)
		memset(dx, 0, sizeof(float) * n * in_sz);
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
