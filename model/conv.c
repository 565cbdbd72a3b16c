/*
 * conv.c - valid 2-D convolution as im2col + sgemm over the whole batch,
 * and its backward pass: one sgemm for the weight gradient, one sgemm +
 * col2im for the input gradient. This is the general path for any conv2d
 * layer; the net swaps in fused.c for the conv -> relu -> maxpool pattern.
 */
#include <cblas.h>
#include <string.h>

#include "model/model.h"

/* Output size of a valid convolution; -1 when nothing fits. */
int conv_shape_init(struct conv_shape *s)
{
	if (s->c <= 0 || s->h <= 0 || s->w <= 0 || s->k <= 0 || s->kh <= 0 ||
	    s->kw <= 0 || s->stride <= 0 || s->kh > s->h || s->kw > s->w)
		return -1;
	s->oh = (s->h - s->kh) / s->stride + 1;
	s->ow = (s->w - s->kw) / s->stride + 1;
	return 0;
}

/* One image's im2col matrix: [C*kh*kw, OH*OW] floats. */
size_t conv_col_size(const struct conv_shape *s)
{
	return (size_t)s->c * s->kh * s->kw * s->oh * s->ow;
}

/* x [C,H,W] -> col [C*kh*kw, OH*OW], rows ld apart: row (c,i,j) holds
 * x[c][oy*s+i][ox*s+j] for every output pixel, so that W [K, C*kh*kw] x
 * col is the conv. */
void conv_im2col(const struct conv_shape *s, const float *x, float *col, size_t ld)
{
	float *row = col;
	for (int c = 0; c < s->c; c++)
		for (int i = 0; i < s->kh; i++)
			for (int j = 0; j < s->kw; j++, row += ld) {
				const float *plane = x + (size_t)c * s->h * s->w;
				float *dst = row;
				for (int oy = 0; oy < s->oh; oy++) {
					const float *src =
						plane + (size_t)(oy * s->stride + i) * s->w + j;
					if (s->stride == 1) {
						memcpy(dst, src, sizeof(float) * s->ow);
						dst += s->ow;
					} else {
						for (int ox = 0; ox < s->ow; ox++)
							*dst++ = src[ox * s->stride];
					}
				}
			}
}

/* col [C*kh*kw, OH*OW] (rows ld apart) -> dx [C,H,W]: the adjoint of
 * im2col, summing where windows overlap. */
void conv_col2im(const struct conv_shape *s, const float *col, size_t ld, float *dx)
{
	const float *row = col;
	for (int c = 0; c < s->c; c++)
		for (int i = 0; i < s->kh; i++)
			for (int j = 0; j < s->kw; j++, row += ld) {
				float *plane = dx + (size_t)c * s->h * s->w;
				const float *src = row;
				for (int oy = 0; oy < s->oh; oy++) {
					float *dst = plane + (size_t)(oy * s->stride + i) * s->w + j;
					for (int ox = 0; ox < s->ow; ox++)
						dst[ox * s->stride] += *src++;
				}
			}
}

/* x [N,C,H,W] -> ws->col [CKK, N*P]: every image's im2col matrix side by
 * side (image i in columns i*P..), P = OH*OW. */
static void im2col_batch(const struct conv_shape *s, int n, const float *x,
			 const struct conv_work *ws)
{
	size_t in_sz = (size_t)s->c * s->h * s->w, p = (size_t)s->oh * s->ow;
	for (int i = 0; i < n; i++)
		conv_im2col(s, x + i * in_sz, ws->col + i * p, ws->ld);
}

/* x [N,C,H,W] -> y [N,K,OH,OW] with one sgemm over the batch: out [K,N*P]
 * = W [K,CKK] x col [CKK,N*P], then y_n[k] = out[k][n*P..] + b[k] (the
 * sgemm's [K][N][P] order is not NCHW). */
void conv_forward(const struct conv_shape *s, int n, const float *x,
		  const float *w, const float *b, float *y, const struct conv_work *ws)
{
	int ckk = s->c * s->kh * s->kw, p = s->oh * s->ow;
	im2col_batch(s, n, x, ws);
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s->k, n * p, ckk, 1.0f, w,
		    ckk, ws->col, (int)ws->ld, 0.0f, ws->out, (int)ws->ld);
	for (int i = 0; i < n; i++)
		for (int k = 0; k < s->k; k++) {
			float *yk = y + ((size_t)i * s->k + k) * p;
			const float *src = ws->out + k * ws->ld + (size_t)i * p;
			for (int q = 0; q < p; q++)
				yk[q] = src[q] + b[k];
		}
}

/* dy [N,K,OH,OW] -> out [K,N*P] (the sgemm's order), then dw [K,CKK] =
 * out x col^T [N*P,CKK] and col = W^T [CKK,K] x out, one sgemm each over
 * the batch; db [K] = sums over n and pixels; dx_n = col2im(col_n). */
void conv_backward(const struct conv_shape *s, int n, const float *x,
		   const float *w, const float *dy, float *dw, float *db,
		   float *dx, const struct conv_work *ws)
{
	int ckk = s->c * s->kh * s->kw, p = s->oh * s->ow;
	size_t in_sz = (size_t)s->c * s->h * s->w, out_sz = (size_t)s->k * p;
	for (int k = 0; k < s->k; k++) {
		double sum = 0;
		for (int i = 0; i < n; i++) {
			const float *d = dy + i * out_sz + (size_t)k * p;
			float part = 0;
			for (int q = 0; q < p; q++)
				part += d[q];
			sum += part;
		}
		db[k] = (float)sum;
	}
	for (int i = 0; i < n; i++)
		for (int k = 0; k < s->k; k++)
			memcpy(ws->out + k * ws->ld + (size_t)i * p, dy + i * out_sz + (size_t)k * p,
			       sizeof(float) * p);
	im2col_batch(s, n, x, ws);
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s->k, ckk, n * p, 1.0f, ws->out,
		    (int)ws->ld, ws->col, (int)ws->ld, 0.0f, dw, ckk);
	if (!dx)
		return;
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, ckk, n * p, s->k, 1.0f, w, ckk,
		    ws->out, (int)ws->ld, 0.0f, ws->col, (int)ws->ld);
	memset(dx, 0, sizeof(float) * n * in_sz);
	for (int i = 0; i < n; i++)
		conv_col2im(s, ws->col + (size_t)i * p, ws->ld, dx + i * in_sz);
}
