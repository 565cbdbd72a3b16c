/*
 * live_compare.c - predict-and-compare against live pods, shared by
 * `podium model compare MODEL --live deploy/NAME` and `podium rollout
 * model`: the first --samples images of the test set go to the pods
 * (kube/live.c) and through the local engine, and the report says how
 * often they agree, how accurate each is, where the probabilities differ
 * most, which inputs they disagree on (drawn), how long the pods took,
 * and every error the proxy or the pods gave.
 */
#define _POSIX_C_SOURCE 200809L
#include "kube/kube.h"
#include "model/model.h"
#include "tui/tui.h"

#include <jansson.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Disagreeing inputs drawn in the report; the rest are listed. */
#define DRAWN_MAX 3

static void progress(int done, int total, void *ud)
{
	(void)ud;
	if (isatty(2))
		fprintf(stderr, "\r  %d/%d requests answered", done, total);
	if (isatty(2) && done == total)
		fputc('\n', stderr);
}

/* The class name i of m, sanitised (caller frees). */
static char *class_name(const struct model *m, int i)
{
	if (i < 0 || i >= m->nclass)
		return xstrdup("?");
	return sanitize_text(m->classes[i], strlen(m->classes[i]), 0);
}

static void print_report(const struct live_compare *o, const struct model *m,
			 const struct idx_dataset *ds,
			 const struct kube_live_result *r,
			 const struct compare_stats *s, const int *map,
			 const float *pl)
{
	double p50 = kube_live_percentile(r->latency_ms, r->nlat, 50);
	double p99 = kube_live_percentile(r->latency_ms, r->nlat, 99);
	printf("local  %s (sha256 %.16s)", o->model_path, m->sha256);
	if (s->has_labels && s->n)
		printf("  accuracy %.2f%%", 100 * s->acc_a);
	printf("\nlive   %s", o->what);
	if (s->has_labels && s->n)
		printf("  accuracy %.2f%%", 100 * s->acc_b);
	printf("\nimages     %d sent, %d answered\n", r->n, r->nanswered);
	if (s->n)
		printf("agreement  %.2f%% (%d/%d)\n", 100 * s->agreement,
		       s->agree, s->n);
	else
		printf("agreement  - (no answers)\n");
	if (s->n)
		printf("probability difference: max %.6f, mean %.6f\n",
		       s->max_abs_diff, s->mean_abs_diff);
	if (r->nlat)
		printf("latency    p50 %.1f ms, p99 %.1f ms per request of up "
		       "to %d images "
		       "(%d answered of %d requests, %d at a time)\n",
		       p50, p99, o->batch, r->nlat, r->requests,
		       o->concurrency);
	else
		printf("latency    - (none of %d requests answered)\n",
		       r->requests);
	printf("errors     %d request%s", r->failed, r->failed == 1 ? "" : "s");
	if (r->failed)
		printf(" (%d images unanswered)", r->failed_images);
	putchar('\n');
	for (int i = 0; i < r->nerrors; i++)
		printf("  %4dx %s\n", r->errors[i].count, r->errors[i].msg);
	/* Rows of equal probabilities say nothing: only differences shown. */
	int ntop = 0;
	while (ntop < s->ntop && s->top[ntop].pa != s->top[ntop].pb)
		ntop++;
	if (ntop) {
		printf("\nlargest probability differences\n"
		       "   index  class               local      live\n");
		for (int i = 0; i < ntop; i++) {
			char *cn = class_name(m, s->top[i].cls);
			printf("  %6d  %-14.14s %9.4f %9.4f\n",
			       map[s->top[i].index], cn, (double)s->top[i].pa,
			       (double)s->top[i].pb);
			free(cn);
		}
	}
	printf("\ndisagree on %d input%s", s->ndisagree,
	       s->ndisagree == 1 ? "" : "s");
	int shown = s->ndisagree < 50 ? s->ndisagree : 50;
	for (int i = 0; i < shown; i++)
		printf("%s%d", i ? " " : ": ", map[s->disagree[i]]);
	if (shown < s->ndisagree)
		printf(" ...");
	putchar('\n');
	enum imgdraw_mode mode = imgdraw_mode_for(1);
	int drawn = s->ndisagree < DRAWN_MAX ? s->ndisagree : DRAWN_MAX;
	for (int i = 0; i < drawn; i++) {
		int k = s->disagree[i], idx = map[k];
		const float *a = pl + (size_t)k * (size_t)m->nclass;
		const float *b = r->probs + (size_t)idx * (size_t)m->nclass;
		int ca = eval_argmax(a, m->nclass),
		    cb = eval_argmax(b, m->nclass);
		char *na = class_name(m, ca), *nb = class_name(m, cb),
		     *nl = class_name(m, ds->labels[idx]);
		printf("\ninput %d (label %s): local %s %.2f, live %s %.2f\n",
		       idx, nl, na, (double)a[ca], nb, (double)b[cb]);
		struct dbuf img;
		dbuf_init(&img, 0);
		imgdraw_render(ds->pixels +
				       (size_t)idx * (size_t)(ds->h * ds->w),
			       ds->h, ds->w, mode, "  ", &img);
		fwrite(img.p, 1, img.len, stdout);
		dbuf_free(&img);
		free(na);
		free(nb);
		free(nl);
	}
	fflush(stdout);
}

static void print_json(const struct live_compare *o, const struct model *m,
		       const struct kube_live_result *r,
		       const struct compare_stats *s, const int *map)
{
	json_t *j = json_object();
	json_object_set_new(j, "local",
			    json_pack("{s:s, s:s}", "model", o->model_path,
				      "sha256", m->sha256));
	json_object_set_new(j, "live", json_pack("{s:s}", "target", o->what));
	if (s->has_labels && s->n) {
		json_object_set_new(json_object_get(j, "local"), "accuracy",
				    json_real(s->acc_a));
		json_object_set_new(json_object_get(j, "live"), "accuracy",
				    json_real(s->acc_b));
	}
	json_object_set_new(j, "images", json_integer(r->n));
	json_object_set_new(j, "answered", json_integer(r->nanswered));
	json_object_set_new(j, "agree", json_integer(s->agree));
	json_object_set_new(j, "agreement", json_real(s->n ? s->agreement : 0));
	json_object_set_new(j, "max_abs_diff", json_real(s->max_abs_diff));
	json_object_set_new(
		j, "latency_ms",
		json_pack("{s:f, s:f}", "p50",
			  kube_live_percentile(r->latency_ms, r->nlat, 50),
			  "p99",
			  kube_live_percentile(r->latency_ms, r->nlat, 99)));
	json_object_set_new(j, "requests", json_integer(r->requests));
	json_t *errs = json_array();
	for (int i = 0; i < r->nerrors; i++)
		json_array_append_new(errs, json_pack("{s:s, s:i}", "message",
						      r->errors[i].msg, "count",
						      r->errors[i].count));
	json_object_set_new(j, "errors", errs);
	json_t *d = json_array();
	for (int i = 0; i < s->ndisagree; i++)
		json_array_append_new(d, json_integer(map[s->disagree[i]]));
	json_object_set_new(j, "disagree", d);
	char *txt = json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(9));
	puts(txt);
	free(txt);
	json_decref(j);
}

int live_cmp_load(const struct live_compare *o, struct live_cmp *c, struct perr *e)
{
	memset(c, 0, sizeof *c);
	if (model_load(o->model_path, NULL, &c->m, e) < 0)
		return -1;
	int lrc = o->test_images || o->test_labels
			  ? idx_dataset_load(o->test_images, o->test_labels, o->samples, &c->ds, e)
			  : idx_dataset_load_dir(o->data ? o->data : FASHION_MNIST_DIR, "t10k",
						 o->samples, &c->ds, e);
	if (lrc < 0)
		return -1;
	if (c->m->arch.in_c != 1 || c->m->arch.in_h != c->ds.h || c->m->arch.in_w != c->ds.w) {
		perr_set(e, "the model takes [%d,%d,%d] inputs; the test set holds %dx%d images",
			 c->m->arch.in_c, c->m->arch.in_h, c->m->arch.in_w, c->ds.h, c->ds.w);
		return -1;
	}
	return 0;
}

void live_cmp_opts(const struct live_compare *o, const struct live_cmp *c,
		   struct kube_live_opts *lo)
{
	*lo = (struct kube_live_opts){
		.targets = o->targets,
		.ntargets = o->ntargets,
		.model = o->served,
		.h = c->ds.h,
		.w = c->ds.w,
		.nclass = c->m->nclass,
		.batch = o->batch,
		.concurrency = o->concurrency,
	};
}

int live_cmp_local(struct live_cmp *c, struct perr *e)
{
	if (c->pl)
		return 0;
	size_t n = (size_t)c->ds.n, nc = (size_t)c->m->nclass;
	c->pl = xmalloc((n * nc + 1) * sizeof *c->pl);
	struct perr pe = { { 0 } };
	if (net_predict(c->m->net, c->ds.pixels, n, c->m->scaling, c->pl, NULL, NULL, &pe) != 0) {
		perr_set(e, "prediction failed: %s", pe.msg);
		free(c->pl);
		c->pl = NULL;
		return -1;
	}
	return 0;
}

int live_cmp_agree_so_far(const struct live_cmp *c, const struct kube_live_result *r, int *n)
{
	int agree = 0, nc = c->m ? c->m->nclass : 0;
	*n = 0;
	for (int i = 0; c->pl && i < r->n && i < c->ds.n; i++) {
		if (!r->answered[i])
			continue;
		(*n)++;
		agree += eval_argmax(c->pl + (size_t)i * nc, nc) ==
			 eval_argmax(r->probs + (size_t)i * nc, nc);
	}
	return agree;
}

int live_cmp_compute(struct live_cmp *c, int top, struct perr *e)
{
	const struct kube_live_result *r = &c->r;
	int n = c->ds.n;
	size_t nc = (size_t)c->m->nclass;
	if (live_cmp_local(c, e) < 0)
		return -1;
	/* Compare only what the pods answered; map takes a compared row back
	 * to its input. */
	c->pa = xmalloc(((size_t)r->nanswered * nc + 1) * sizeof *c->pa);
	c->pb = xmalloc(((size_t)r->nanswered * nc + 1) * sizeof *c->pb);
	c->map = xmalloc(((size_t)r->nanswered + 1) * sizeof *c->map);
	c->lab = xmalloc(((size_t)r->nanswered + 1) * sizeof *c->lab);
	int k = 0, labelled = 1;
	for (int i = 0; i < n; i++) {
		if (!r->answered[i])
			continue;
		memcpy(c->pa + (size_t)k * nc, c->pl + (size_t)i * nc, nc * sizeof *c->pa);
		memcpy(c->pb + (size_t)k * nc, r->probs + (size_t)i * nc, nc * sizeof *c->pb);
		c->map[k] = i;
		c->lab[k] = c->ds.labels[i];
		labelled &= c->ds.labels[i] < c->m->nclass;
		k++;
	}
	c->k = k;
	if (k && compare_compute(c->pa, c->pb, labelled ? c->lab : NULL, k, c->m->nclass, top,
				 &c->s, e) < 0)
		return -1;
	c->agreement = k ? c->s.agreement : 0;
	return 0;
}

void live_cmp_report(const struct live_compare *o, const struct live_cmp *c)
{
	if (o->json)
		print_json(o, c->m, &c->r, &c->s, c->map);
	else
		print_report(o, c->m, &c->ds, &c->r, &c->s, c->map, c->pa);
}

void live_cmp_free(struct live_cmp *c)
{
	compare_stats_free(&c->s);
	kube_live_result_free(&c->r);
	idx_dataset_free(&c->ds);
	model_free(c->m);
	free(c->pl);
	free(c->pa);
	free(c->pb);
	free(c->map);
	free(c->lab);
	memset(c, 0, sizeof *c);
}

int live_compare_run(struct kube_client *c, const struct live_compare *o,
		     struct live_outcome *out)
{
	memset(out, 0, sizeof *out);
	struct perr e = { { 0 } };
	struct live_cmp lc;
	int rc = -1;
	if (live_cmp_load(o, &lc, &e) < 0)
		goto out;
	struct kube_live_opts lo;
	live_cmp_opts(o, &lc, &lo);
	lo.progress = progress;
	if (kube_live_infer(c, &lo, lc.ds.pixels, lc.ds.n, &lc.r, &e) < 0 ||
	    live_cmp_compute(&lc, o->top, &e) < 0)
		goto out;
	live_cmp_report(o, &lc);
	out->n = lc.ds.n;
	out->answered = lc.r.nanswered;
	out->failed = lc.r.failed;
	out->agreement = lc.agreement;
	rc = 0;
out:
	if (rc < 0)
		cli_error("%s", e.msg);
	live_cmp_free(&lc);
	return rc;
}
