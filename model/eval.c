/*
 * eval.c - what `podium model eval` reports: accuracy, the confusion
 * matrix, per-class precision and recall; and the arg-max / top-K helpers
 * every prediction path uses. Pure statistics over arrays: no printing.
 */
#include "model/model.h"

#include <stdlib.h>
#include <string.h>

int eval_stats_compute(const int *labels, const int *pred, int n, int nclass,
		       struct eval_stats *out, struct perr *e)
{
	if (n < 0 || nclass <= 0) {
		perr_set(e, "evaluation needs a class count and samples");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		if (labels[i] < 0 || labels[i] >= nclass) {
			perr_set(e, "label %d of sample %d is outside the %d classes",
				 labels[i], i, nclass);
			return -1;
		}
		if (pred[i] < 0 || pred[i] >= nclass) {
			perr_set(e, "prediction %d of sample %d is outside the %d classes",
				 pred[i], i, nclass);
			return -1;
		}
	}
	memset(out, 0, sizeof *out);
	out->n = n;
	out->nclass = nclass;
	out->confusion = xcalloc((size_t)nclass * (size_t)nclass,
				 sizeof *out->confusion);
	out->precision = xcalloc((size_t)nclass, sizeof *out->precision);
	out->recall = xcalloc((size_t)nclass, sizeof *out->recall);
	out->support = xcalloc((size_t)nclass, sizeof *out->support);
	for (int i = 0; i < n; i++) {
		out->confusion[labels[i] * nclass + pred[i]]++;
		out->support[labels[i]]++;
		out->correct += labels[i] == pred[i];
	}
	out->accuracy = n ? (double)out->correct / n : 0.0;
	for (int c = 0; c < nclass; c++) {
		int predicted = 0;
		for (int r = 0; r < nclass; r++)
			predicted += out->confusion[r * nclass + c];
		int tp = out->confusion[c * nclass + c];
		out->precision[c] = predicted ? (double)tp / predicted : 0.0;
		out->recall[c] = out->support[c] ? (double)tp / out->support[c] : 0.0;
	}
	return 0;
}

void eval_stats_free(struct eval_stats *s)
{
	if (!s)
		return;
	free(s->confusion);
	free(s->precision);
	free(s->recall);
	free(s->support);
	memset(s, 0, sizeof *s);
}

int eval_argmax(const float *p, int n)
{
	int best = 0;
	for (int i = 1; i < n; i++)
		if (p[i] > p[best])
			best = i;
	return best;
}

int eval_topk(const float *p, int n, int k, int *idx)
{
	if (k > n)
		k = n;
	if (k < 0)
		k = 0;
	/* Insertion into a sorted prefix: k and n are class counts (small). */
	int have = 0;
	for (int i = 0; i < n; i++) {
		int pos = have;
		while (pos > 0 && p[i] > p[idx[pos - 1]])
			pos--;
		if (pos >= k)
			continue;
		int last = have < k ? have : k - 1;
		for (int j = last; j > pos; j--)
			idx[j] = idx[j - 1];
		idx[pos] = i;
		if (have < k)
			have++;
	}
	return k;
}
