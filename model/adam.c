/*
 * adam.c - the Adam update in Keras's form: the bias corrections fold into
 * the step size, and epsilon is added to sqrt(v) (not to sqrt(v_hat)), so
 * trained weights follow what Keras users get.
 *
 * The step touches every parameter and three more arrays like it, so it is
 * vectorised where the CPU allows (AVX-512). The vector loop does exactly
 * the scalar loop's operations in the same order (no fused multiply-add;
 * sqrt and division are correctly rounded either way), so both give the
 * same bits.
 */
#include <math.h>

#include "model/model.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define ADAM_AVX512 1
#endif

struct adam_k {
	float lr_t, b1, b2, c1, c2, eps;
};

static void adam_scalar(const struct adam_k *k, float *w, const float *g, float *m,
			float *v, size_t from, size_t count)
{
	for (size_t i = from; i < count; i++) {
		float gi = g[i];
		float mi = k->b1 * m[i] + k->c1 * gi;
		float vi = k->b2 * v[i] + k->c2 * gi * gi;
		m[i] = mi;
		v[i] = vi;
		w[i] -= k->lr_t * mi / (sqrtf(vi) + k->eps);
	}
}

#ifdef ADAM_AVX512
__attribute__((target("avx512f"))) static void adam_avx512(const struct adam_k *k,
							   float *w, const float *g,
							   float *m, float *v,
							   size_t count)
{
	__m512 b1 = _mm512_set1_ps(k->b1), b2 = _mm512_set1_ps(k->b2);
	__m512 c1 = _mm512_set1_ps(k->c1), c2 = _mm512_set1_ps(k->c2);
	__m512 lr = _mm512_set1_ps(k->lr_t), eps = _mm512_set1_ps(k->eps);
	size_t i = 0;
	for (; i + 16 <= count; i += 16) {
		__m512 gi = _mm512_loadu_ps(g + i);
		__m512 mi = _mm512_add_ps(_mm512_mul_ps(b1, _mm512_loadu_ps(m + i)),
					  _mm512_mul_ps(c1, gi));
		__m512 vi = _mm512_add_ps(_mm512_mul_ps(b2, _mm512_loadu_ps(v + i)),
					  _mm512_mul_ps(_mm512_mul_ps(c2, gi), gi));
		_mm512_storeu_ps(m + i, mi);
		_mm512_storeu_ps(v + i, vi);
		__m512 step = _mm512_div_ps(_mm512_mul_ps(lr, mi),
					    _mm512_add_ps(_mm512_sqrt_ps(vi), eps));
		_mm512_storeu_ps(w + i, _mm512_sub_ps(_mm512_loadu_ps(w + i), step));
	}
	adam_scalar(k, w, g, m, v, i, count);
}
#endif

/* w, g, m, v [count]; t >= 1 is the step number. */
void adam_step(const struct adam *a, long t, float *w, const float *g,
	       float *m, float *v, size_t count)
{
	double b1t = pow(a->beta1, (double)t), b2t = pow(a->beta2, (double)t);
	struct adam_k k = {
		.lr_t = (float)(a->lr * sqrt(1.0 - b2t) / (1.0 - b1t)),
		.b1 = a->beta1,
		.b2 = a->beta2,
		.c1 = 1.0f - a->beta1,
		.c2 = 1.0f - a->beta2,
		.eps = a->eps,
	};
#ifdef ADAM_AVX512
	if (__builtin_cpu_supports("avx512f")) {
		adam_avx512(&k, w, g, m, v, count);
		return;
	}
#endif
	adam_scalar(&k, w, g, m, v, 0, count);
}
