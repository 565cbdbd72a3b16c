/*
 * compare.c - two models on the same inputs: how often they agree, the
 * confusion between their answers, and where their probabilities differ
 * most. `podium model compare` prints it and gates scripts on agreement;
 * the live compare against a Deployment uses the same numbers.
 */
#include "model/model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Keep the top list sorted by |pa - pb| descending; an insertion step. */
static void keep_top(struct compare_diff *top, int *ntop, int cap,
		     struct compare_diff d)
{
	float v = fabsf(d.pa - d.pb);
	int pos = *ntop;
	while (pos > 0 && v > fabsf(top[pos - 1].pa - top[pos - 1].pb))
		pos--;
	if (pos >= cap)
		return;
	int last = *ntop < cap ? *ntop : cap - 1;
	for (int j = last; j > pos; j--)
		top[j] = top[j - 1];
	top[pos] = d;
	if (*ntop < cap)
		(*ntop)++;
}

int compare_compute(const float *pa, const float *pb, const int *labels,
		    int n, int nclass, int top_k, struct compare_stats *out,
		    struct perr *e)
{
	if (n < 0 || nclass <= 0) {
		perr_set(e, "comparison needs a class count and samples");
		return -1;
	}
	if (labels)
		for (int i = 0; i < n; i++)
			if (labels[i] < 0 || labels[i] >= nclass) {
				perr_set(e, "label %d of sample %d is outside the %d classes",
					 labels[i], i, nclass);
				return -1;
			}
	if (top_k < 0)
		top_k = 0;
	memset(out, 0, sizeof *out);
	out->n = n;
	out->nclass = nclass;
	out->has_labels = labels != NULL;
	out->confusion = xcalloc((size_t)nclass * (size_t)nclass,
				 sizeof *out->confusion);
	out->disagree = xmalloc(((size_t)n + 1) * sizeof *out->disagree);
	out->top = xmalloc(((size_t)top_k + 1) * sizeof *out->top);
	int correct_a = 0, correct_b = 0;
	double sum = 0;
	for (int i = 0; i < n; i++) {
		const float *a = pa + (size_t)i * nclass;
		const float *b = pb + (size_t)i * nclass;
		int ca = eval_argmax(a, nclass), cb = eval_argmax(b, nclass);
		out->confusion[ca * nclass + cb]++;
		if (ca == cb)
			out->agree++;
		else
			out->disagree[out->ndisagree++] = i;
		if (labels) {
			correct_a += ca == labels[i];
			correct_b += cb == labels[i];
		}
		int worst = 0;
		for (int c = 0; c < nclass; c++) {
			double d = fabs((double)a[c] - (double)b[c]);
			sum += d;
			if (d > out->max_abs_diff)
				out->max_abs_diff = d;
			if (d > fabs((double)a[worst] - (double)b[worst]))
				worst = c;
		}
		if (top_k)
			keep_top(out->top, &out->ntop, top_k,
				 (struct compare_diff){ i, worst, a[worst], b[worst] });
	}
	out->agreement = n ? (double)out->agree / n : 1.0;
	out->mean_abs_diff = n ? sum / ((double)n * nclass) : 0.0;
	if (labels && n) {
		out->acc_a = (double)correct_a / n;
		out->acc_b = (double)correct_b / n;
	}
	return 0;
}

void compare_stats_free(struct compare_stats *s)
{
	if (!s)
		return;
	free(s->confusion);
	free(s->disagree);
	free(s->top);
	memset(s, 0, sizeof *s);
}
