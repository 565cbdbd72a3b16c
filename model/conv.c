/*
 * conv.c - valid 2-D convolution as im2col + sgemm (darknet's way), and its
 * backward pass: sgemm for the weight gradient, sgemm + col2im for the
 * input gradient. This is the general path for any conv2d layer; the net
 * swaps in fused.c for the conv -> relu -> maxpool pattern.
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

/* x [C,H,W] -> col [C*kh*kw, OH*OW]: row (c,i,j) holds x[c][oy*s+i][ox*s+j]
 * for every output pixel, so that W [K, C*kh*kw] x col is the conv. */
void conv_im2col(const struct conv_shape *s, const float *x, float *col)
{
	for (int c = 0; c < s->c; c++)
		for (int i = 0; i < s->kh; i++)
			for (int j = 0; j < s->kw; j++) {
				const float *plane = x + (size_t)c * s->h * s->w;
				for (int oy = 0; oy < s->oh; oy++) {
					const float *src =
						plane + (size_t)(oy * s->stride + i) * s->w + j;
					if (s->stride == 1) {
						memcpy(col, src, sizeof(float) * s->ow);
						col += s->ow;
					} else {
						for (int ox = 0; ox < s->ow; ox++)
							*col++ = src[ox * s->stride];
					}
				}
			}
}

/* col [C*kh*kw, OH*OW] -> dx [C,H,W]: the adjoint of im2col, summing where
 * windows overlap. */
void conv_col2im(const struct conv_shape *s, const float *col, float *dx)
{
	for (int c = 0; c < s->c; c++)
		for (int i = 0; i < s->kh; i++)
			for (int j = 0; j < s->kw; j++) {
				float *plane = dx + (size_t)c * s->h * s->w;
				for (int oy = 0; oy < s->oh; oy++) {
					float *dst = plane + (size_t)(oy * s->stride + i) * s->w + j;
					for (int ox = 0; ox < s->ow; ox++)
						dst[ox * s->stride] += *col++;
				}
			}
}

/* x [N,C,H,W] -> y [N,K,OH,OW]: per image, y_n [K,P] = W [K,CKK] x
 * col_n [CKK,P] + b, P = OH*OW. */
void conv_forward(const struct conv_shape *s, int n, const float *x,
		  const float *w, const float *b, float *y, float *col)
{
	int ckk = s->c * s->kh * s->kw, p = s->oh * s->ow;
	size_t in_sz = (size_t)s->c * s->h * s->w, out_sz = (size_t)s->k * p;
	for (int i = 0; i < n; i++) {
		float *yn = y + i * out_sz;
		for (int k = 0; k < s->k; k++)
			for (int q = 0; q < p; q++)
				yn[(size_t)k * p + q] = b[k];
		conv_im2col(s, x + i * in_sz, col);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s->k, p,
			    ckk, 1.0f, w, ckk, col, p, 1.0f, yn, p);
	}
}

/* dy [N,K,OH,OW] -> dw [K,CKK] = sum_n dy_n [K,P] x col_n^T [P,CKK];
 * db [K] = sum over n and pixels; dx_n = col2im(W^T [CKK,K] x dy_n). */
void conv_backward(const struct conv_shape *s, int n, const float *x,
		   const float *w, const float *dy, float *dw, float *db,
		   float *dx, float *col)
{
	int ckk = s->c * s->kh * s->kw, p = s->oh * s->ow;
	size_t in_sz = (size_t)s->c * s->h * s->w, out_sz = (size_t)s->k * p;
	memset(dw, 0, sizeof(float) * s->k * ckk);
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
	for (int i = 0; i < n; i++) {
		const float *dyn = dy + i * out_sz;
		conv_im2col(s, x + i * in_sz, col);
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s->k, ckk, p,
			    1.0f, dyn, p, col, p, 1.0f, dw, ckk);
		if (dx) {
			float *dxn = dx + i * in_sz;
			memset(dxn, 0, sizeof(float) * in_sz);
			cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, ckk, p,
				    s->k, 1.0f, w, ckk, dyn, p, 0.0f, col, p);
			conv_col2im(s, col, dxn);
		}
	}
}
