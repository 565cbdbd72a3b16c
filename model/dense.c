/*
 * dense.c - fully connected layers as one sgemm over the whole batch, in
 * PyTorch's weight layout [out,in].
 */
#include <cblas.h>

#include "model/model.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* y [out] = w [out,in] x + b for one image: four rows at a time share each
 * load of x. Reading w is the whole cost (1.4 MB for the reference fc1),
 * and this runs at the cache's bandwidth where sgemv does not. */
__attribute__((target("avx512f"))) static void matvec_avx512(int in, size_t ld,
							     int out, const float *x,
							     const float *w,
							     const float *b, float *y)
{
	int full = in & ~15;
	__mmask16 tail = (__mmask16)((1u << (in & 15)) - 1);
	int o = 0;
	for (; o + 4 <= out; o += 4) {
		const float *w0 = w + o * ld, *w1 = w0 + ld, *w2 = w1 + ld, *w3 = w2 + ld;
		__m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
		for (int i = 0; i < full; i += 16) {
			__m512 xv = _mm512_loadu_ps(x + i);
			a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w0 + i), xv, a0);
			a1 = _mm512_fmadd_ps(_mm512_loadu_ps(w1 + i), xv, a1);
			a2 = _mm512_fmadd_ps(_mm512_loadu_ps(w2 + i), xv, a2);
			a3 = _mm512_fmadd_ps(_mm512_loadu_ps(w3 + i), xv, a3);
		}
		if (tail) {
			__m512 xv = _mm512_maskz_loadu_ps(tail, x + full);
			a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, w0 + full), xv, a0);
			a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, w1 + full), xv, a1);
			a2 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, w2 + full), xv, a2);
			a3 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, w3 + full), xv, a3);
		}
		y[o] = (b ? b[o] : 0) + _mm512_reduce_add_ps(a0);
		y[o + 1] = (b ? b[o + 1] : 0) + _mm512_reduce_add_ps(a1);
		y[o + 2] = (b ? b[o + 2] : 0) + _mm512_reduce_add_ps(a2);
		y[o + 3] = (b ? b[o + 3] : 0) + _mm512_reduce_add_ps(a3);
	}
	for (; o < out; o++) {
		const float *w0 = w + o * ld;
		__m512 a0 = _mm512_setzero_ps();
		for (int i = 0; i < full; i += 16)
			a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w0 + i), _mm512_loadu_ps(x + i), a0);
		if (tail)
			a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, w0 + full),
					     _mm512_maskz_loadu_ps(tail, x + full), a0);
		y[o] = (b ? b[o] : 0) + _mm512_reduce_add_ps(a0);
	}
}
#define DENSE_AVX512 1
#endif

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
#ifdef DENSE_AVX512
		if (__builtin_cpu_supports("avx512f")) {
			for (int i = 0; i < n; i++)
				matvec_avx512(in, (size_t)in, out, x + (size_t)i * in, w, b,
					      y + (size_t)i * out);
			return;
		}
#endif
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
