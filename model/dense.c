/*
 * dense.c - fully connected layers as one sgemm over the whole batch, in
 * PyTorch's weight layout [out,in].
 */
#include <cblas.h>

#include "model/model.h"

/* x [N,in] x w^T [in,out] + b -> y [N,out]. */
void dense_forward(int n, int in, int out, const float *x, const float *w,
		   const float *b, float *y)
{
	for (int i = 0; i < n; i++)
		for (int o = 0; o < out; o++)
			y[(size_t)i * out + o] = b[o];
	/* sgemm packs all of w on every call; for a few images (single-image
	 * inference) reading it once per image with sgemv is several times
	 * faster */
	if (n < 4) {
		for (int i = 0; i < n; i++)
			cblas_sgemv(CblasRowMajor, CblasNoTrans, out, in, 1.0f, w, in,
				    x + (size_t)i * in, 1, 1.0f, y + (size_t)i * out, 1);
		return;
	}
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, 1.0f,
		    x, in, w, in, 1.0f, y, out);
}

/* dw [out,in] = dy^T [out,N] x x [N,in]; db = column sums of dy;
 * dx [N,in] = dy [N,out] x w [out,in]. */
void dense_backward(int n, int in, int out, const float *x, const float *w,
		    const float *dy, float *dw, float *db, float *dx)
{
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, n, 1.0f,
		    dy, out, x, in, 0.0f, dw, in);
	for (int o = 0; o < out; o++) {
		float sum = 0;
		for (int i = 0; i < n; i++)
			sum += dy[(size_t)i * out + o];
		db[o] = sum;
	}
	if (dx)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, in, out,
			    1.0f, dy, out, w, in, 0.0f, dx, in);
}
