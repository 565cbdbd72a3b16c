/*
 * loss.c - softmax, and softmax fused with sparse categorical cross-entropy:
 * fused, the gradient with respect to the logits is simply (p - onehot)/N,
 * and the loss comes from log-sum-exp without taking log of a tiny p.
 */
#include <math.h>

#include "model/model.h"

/* logits [K] -> probs [K]; returns log(sum(exp(logit - max))) + max. */
static double softmax_row(int k, const float *z, float *p)
{
	float mx = z[0];
	for (int j = 1; j < k; j++)
		if (z[j] > mx)
			mx = z[j];
	double sum = 0;
	for (int j = 0; j < k; j++) {
		float e = expf(z[j] - mx);
		p[j] = e;
		sum += e;
	}
	float inv = (float)(1.0 / sum);
	for (int j = 0; j < k; j++)
		p[j] *= inv;
	return log(sum) + mx;
}

/* logits [N,K] -> probs [N,K]. */
void loss_softmax(int n, int k, const float *logits, float *probs)
{
	for (int i = 0; i < n; i++)
		softmax_row(k, logits + (size_t)i * k, probs + (size_t)i * k);
}

/* logits [N,K], labels [N] -> probs [N,K], dlogits [N,K]; loss summed over
 * the batch: sum_i lse(z_i) - z_i[label_i]. */
double loss_softmax_xent(int n, int k, const float *logits,
			 const unsigned char *labels, float gscale,
			 float *probs, float *dlogits, int *correct)
{
	double loss = 0;
	int hits = 0;
	for (int i = 0; i < n; i++) {
		const float *z = logits + (size_t)i * k;
		float *p = probs + (size_t)i * k;
		float zl = z[labels[i]];
		loss += softmax_row(k, z, p) - zl;
		if (net_argmax(p, k) == labels[i])
			hits++;
		if (dlogits) {
			float *d = dlogits + (size_t)i * k;
			for (int j = 0; j < k; j++)
				d[j] = (p[j] - (j == labels[i] ? 1.0f : 0.0f)) * gscale;
		}
	}
	if (correct)
		*correct = hits;
	return loss;
}

/* Index of the largest probability (the first on ties). */
int net_argmax(const float *probs, int classes)
{
	int best = 0;
	for (int j = 1; j < classes; j++)
		if (probs[j] > probs[best])
			best = j;
	return best;
}
