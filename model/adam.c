/*
 * adam.c - the Adam update in Keras's form: the bias corrections fold into
 * the step size, and epsilon is added to sqrt(v) (not to sqrt(v_hat)), so
 * trained weights follow what Keras users get.
 */
#include <math.h>

#include "model/model.h"

/* w, g, m, v [count]; t >= 1 is the step number. */
void adam_step(const struct adam *a, long t, float *w, const float *g,
	       float *m, float *v, size_t count)
{
	double b1t = pow(a->beta1, (double)t), b2t = pow(a->beta2, (double)t);
	float lr_t = (float)(a->lr * sqrt(1.0 - b2t) / (1.0 - b1t));
	float b1 = a->beta1, b2 = a->beta2, c1 = 1.0f - b1, c2 = 1.0f - b2;
	float eps = a->eps;
	for (size_t i = 0; i < count; i++) {
		float gi = g[i];
		float mi = b1 * m[i] + c1 * gi;
		float vi = b2 * v[i] + c2 * gi * gi;
		m[i] = mi;
		v[i] = vi;
		w[i] -= lr_t * mi / (sqrtf(vi) + eps);
	}
}
