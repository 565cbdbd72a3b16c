/*
 * view_compare.c - `c` on a model deployment: its live predictions
 * compared with a local model file, as `podium model compare MODEL --live
 * deploy/NAME` compares them (kube/live.c through the Service proxy, the
 * local engine, compare_compute), without freezing the screen: the
 * Deployment is read and the test images sent on the dashboard's watch
 * set (kube_live_start, several batches in flight), their answers taken
 * from the loop with a progress bar, and the view then shows agreement,
 * accuracy of each, the
 * confusion between them as a heat map, the largest probability
 * differences and the inputs they disagree on, drawn in half blocks.
 */
#define _POSIX_C_SOURCE 200809L
#include "tui/tui.h"
#include "kube/kube.h"
#include "model/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 32        /* images per request: tens of ms each */
#define IN_FLIGHT 4     /* requests at a time, as kube_live_infer sends them */
#define TOP_DIFFS 10

enum cstate { CS_INFO, CS_RUNNING, CS_DONE, CS_FAILED };

struct compare_view {
	struct view v;
	struct kube_watchset *ws; /* borrowed */
	char ns[64], name[256];
	char target[512], served[256], what[600], model_path[512];
	struct kube_live *live; /* the requests, while they run */
	struct live_cmp c;      /* model, test set, the answers once all came, stats */
	enum cstate state;
	int seen;               /* the state and answers last drawn */
	char error[1024];
};

static const struct view_ops compare_ops;

/* The answers so far. */
static const struct kube_live_result *answers(const struct compare_view *cv)
{
	return cv->live ? kube_live_result_of(cv->live) : &cv->c.r;
}

/* Every image answered or not: the local engine, then the comparison. */
static void finish(struct compare_view *cv)
{
	struct perr e = { { 0 } };
	if (live_cmp_compute(&cv->c, TOP_DIFFS, &e) < 0) {
		snprintf(cv->error, sizeof cv->error, "%s", e.msg);
		cv->state = CS_FAILED;
	} else if (!cv->c.k) {
		snprintf(cv->error, sizeof cv->error, "no image was answered by %s", cv->target);
		cv->state = CS_FAILED;
	} else {
		cv->state = CS_DONE;
	}
}

int compare_view_step(struct view *v, int *changed)
{
	if (!v || v->ops != &compare_ops)
		return 0;
	struct compare_view *cv = (struct compare_view *)v;
	/* what came in kube_watchset_step (the Deployment, answers) shows */
	int seen = (int)cv->state * 1000003 + answers(cv)->requests;
	if (seen != cv->seen) {
		cv->seen = seen;
		*changed = 1;
	}
	if (cv->state == CS_INFO)
		return 1;
	if (cv->state != CS_RUNNING)
		return 0;
	if (!kube_live_finished(cv->live))
		return 1;
	*changed = 1;
	const char *err = kube_live_error(cv->live);
	kube_live_take(cv->live, &cv->c.r);
	if (err) {
		snprintf(cv->error, sizeof cv->error, "%s", err);
		cv->state = CS_FAILED;
	}
	kube_live_free(cv->live);
	cv->live = NULL;
	if (cv->state == CS_RUNNING)
		finish(cv);
	return 0;
}

/* ---- drawing ------------------------------------------------------------ */

static const char *class_short(const struct model *m, int i, char *buf, size_t n)
{
	if (i < 0 || i >= m->nclass) {
		snprintf(buf, n, "?");
		return buf;
	}
	char *c = sanitize_text(m->classes[i], strlen(m->classes[i]), 0);
	snprintf(buf, n, "%s", c);
	free(c);
	return buf;
}

/* The confusion, rows local, columns live: each cell a shade of its count
 * against the largest off-diagonal one (agreement on the diagonal in the
 * chart colour, disagreement in the alternate one). Returns rows drawn. */
static int heat_map(struct compare_view *cv, struct frame *f, int y, int x, int h, int utf8)
{
	static const char *const shades_u[] = { "\xc2\xb7", "\xe2\x96\x91", "\xe2\x96\x92",
						 "\xe2\x96\x93", "\xe2\x96\x88" };
	static const char *const shades_a[] = { ".", ":", "+", "*", "#" };
	int nc = cv->c.s.nclass < 10 ? cv->c.s.nclass : 10;
	if (h < 2 || nc < 1)
		return 0;
	char buf[64];
	frame_put(f, y, x, "confusion: rows local, columns live", -1, TH_TABLE_HEADER);
	int maxd = 0, maxo = 0;
	for (int a = 0; a < nc; a++)
		for (int b = 0; b < nc; b++) {
			int v = cv->c.s.confusion[a * cv->c.s.nclass + b];
			if (a == b && v > maxd)
				maxd = v;
			if (a != b && v > maxo)
				maxo = v;
		}
	int row = 1;
	frame_put(f, y + row, x, "             ", -1, TH_TABLE_ROW);
	for (int b = 0; b < nc; b++) {
		snprintf(buf, sizeof buf, "%3d", b);
		frame_put(f, y + row, x + 13 + b * 3, buf, 3, TH_TABLE_HEADER);
	}
	row++;
	for (int a = 0; a < nc && row < h; a++, row++) {
		char cn[32];
		snprintf(buf, sizeof buf, "%d %-10.10s ", a, class_short(cv->c.m, a, cn, sizeof cn));
		frame_put(f, y + row, x, buf, 13, TH_TABLE_ROW);
		for (int b = 0; b < nc; b++) {
			int v = cv->c.s.confusion[a * cv->c.s.nclass + b];
			int max = a == b ? maxd : maxo;
			int lvl = v == 0 ? 0 : 1 + (v * 3 + max - 1) / (max ? max : 1);
			if (lvl > 4)
				lvl = 4;
			const char *g = utf8 ? shades_u[lvl] : shades_a[lvl];
			enum theme_elem st = v == 0 ? TH_TABLE_ROW : a == b ? TH_CHART : TH_CHART_ALT;
			for (int k = 0; k < 2; k++)
				frame_put(f, y + row, x + 13 + b * 3 + 1 + k, g, 1, st);
		}
	}
	return row;
}

static void compare_render(struct view *v, struct dash *d, struct frame *f, int y, int h)
{
	struct compare_view *cv = (struct compare_view *)v;
	char buf[1536];
	snprintf(buf, sizeof buf, " local %s (sha256 %.12s)  vs  %s", cv->model_path, cv->c.m->sha256,
		 cv->what);
	frame_put(f, y, 0, buf, f->w, TH_TABLE_HEADER);
	if (h < 3)
		return;
	const struct kube_live_result *r = answers(cv);
	double p50 = kube_live_percentile(r->latency_ms, r->nlat, 50);
	double p99 = kube_live_percentile(r->latency_ms, r->nlat, 99);
	if (cv->state == CS_INFO) {
		snprintf(buf, sizeof buf, " reading deployment %s...", cv->name);
		frame_put(f, y + 1, 0, buf, f->w, TH_PENDING);
		return;
	}
	if (cv->state == CS_RUNNING || (cv->state == CS_FAILED && !cv->c.s.n)) {
		int sent = cv->live ? kube_live_sent(cv->live) : cv->c.ds.n;
		int bw = f->w - 40 > 10 ? (f->w - 40 < 50 ? f->w - 40 : 50) : 10;
		frame_put(f, y + 1, 1, "[", 1, TH_TABLE_ROW);
		frame_bar(f, y + 1, 2, bw, cv->c.ds.n ? (double)r->nanswered / cv->c.ds.n : 0, d->utf8,
		    cv->state == CS_FAILED ? TH_ERROR : TH_CHART);
		snprintf(buf, sizeof buf, "] %d/%d images sent, %d answered, %d failed requests",
			 sent, cv->c.ds.n, r->nanswered, r->failed);
		frame_put(f, y + 1, 2 + bw, buf, f->w - 2 - bw, TH_TABLE_ROW);
		if (cv->state == CS_FAILED)
			frame_put(f, y + 2, 1, cv->error, f->w - 2, TH_ERROR);
		for (int i = 0; i < r->nerrors && 3 + i < h; i++) {
			snprintf(buf, sizeof buf, "%5dx %s", r->errors[i].count, r->errors[i].msg);
			frame_put(f, y + 3 + i, 1, buf, f->w - 2, TH_ERROR);
		}
		return;
	}
	const struct compare_stats *s = &cv->c.s;
	snprintf(buf, sizeof buf, " agreement %.2f%% (%d/%d)", 100 * s->agreement, s->agree, s->n);
	int x = frame_put(f, y + 1, 0, buf, f->w, s->agree == s->n ? TH_OK : TH_WARNING);
	if (s->has_labels)
		snprintf(buf, sizeof buf, "   accuracy local %.2f%%  live %.2f%%", 100 * s->acc_a,
			 100 * s->acc_b);
	else
		buf[0] = '\0';
	x += frame_put(f, y + 1, x, buf, f->w - x, TH_TABLE_ROW);
	snprintf(buf, sizeof buf, "   latency p50 %.1f ms p99 %.1f ms   max |diff| %.6f", p50, p99,
		 s->max_abs_diff);
	frame_put(f, y + 1, x, buf, f->w - x, TH_TABLE_ROW);
	snprintf(buf, sizeof buf, " %d images, %d answered, %d requests, %d failed", cv->c.ds.n,
		 r->nanswered, r->requests, r->failed);
	x = frame_put(f, y + 2, 0, buf, f->w, r->failed ? TH_ERROR : TH_TABLE_ROW);
	for (int i = 0; i < r->nerrors && x < f->w; i++) {
		snprintf(buf, sizeof buf, "  %dx %s", r->errors[i].count, r->errors[i].msg);
		x += frame_put(f, y + 2, x, buf, f->w - x, TH_ERROR);
	}
	int top = y + 4, avail = h - 4;
	int rows = heat_map(cv, f, top, 1, avail, d->utf8);
	/* the largest differences beside the map */
	int rx = 1 + 13 + 10 * 3 + 4;
	if (rx + 30 <= f->w && avail > 1) {
		int ntop = 0;
		while (ntop < s->ntop && s->top[ntop].pa != s->top[ntop].pb)
			ntop++;
		frame_put(f, top, rx, ntop ? "largest probability differences" : "no probability differs",
			  f->w - rx, TH_TABLE_HEADER);
		if (ntop)
			frame_put(f, top + 1, rx, " input  class           local    live", f->w - rx,
				  TH_TABLE_HEADER);
		for (int i = 0; i < ntop && 2 + i < avail; i++) {
			char cn[32];
			snprintf(buf, sizeof buf, "%6d  %-12.12s %8.4f %8.4f", cv->c.map[s->top[i].index],
				 class_short(cv->c.m, s->top[i].cls, cn, sizeof cn), (double)s->top[i].pa,
				 (double)s->top[i].pb);
			frame_put(f, top + 2 + i, rx, buf, f->w - rx, TH_TABLE_ROW);
		}
	}
	/* the inputs they disagree on, side by side in half blocks */
	int iy = top + rows + 1;
	if (iy >= y + h)
		return;
	if (!s->ndisagree) {
		frame_put(f, iy, 1, "no disagreement: the live pods answer as the local model does",
			  f->w - 2, TH_OK);
		return;
	}
	snprintf(buf, sizeof buf, "disagree on %d input%s:", s->ndisagree, s->ndisagree == 1 ? "" : "s");
	x = 1 + frame_put(f, iy, 1, buf, f->w - 2, TH_WARNING);
	for (int i = 0; i < s->ndisagree && x < f->w - 6; i++) {
		snprintf(buf, sizeof buf, " %d", cv->c.map[s->disagree[i]]);
		x += frame_put(f, iy, x, buf, f->w - x, TH_WARNING);
	}
	int cell_w = cv->c.ds.w + 3, ix = 1;
	for (int i = 0; i < s->ndisagree && ix + cv->c.ds.w <= f->w; i++, ix += cell_w) {
		int k = s->disagree[i], idx = cv->c.map[k];
		const float *a = cv->c.pa + (size_t)k * (size_t)cv->c.m->nclass;
		const float *b = r->probs + (size_t)idx * (size_t)cv->c.m->nclass;
		int ca = eval_argmax(a, cv->c.m->nclass), cb = eval_argmax(b, cv->c.m->nclass);
		char na[32], nb[32];
		snprintf(buf, sizeof buf, "#%d %s/%s", idx, class_short(cv->c.m, ca, na, sizeof na),
			 class_short(cv->c.m, cb, nb, sizeof nb));
		frame_put(f, iy + 1, ix, buf, cv->c.ds.w, TH_TABLE_HEADER);
		struct dbuf img;
		dbuf_init(&img, 0);
		imgdraw_render(cv->c.ds.pixels + (size_t)idx * (size_t)(cv->c.ds.h * cv->c.ds.w), cv->c.ds.h,
			       cv->c.ds.w, d->utf8 ? IMGDRAW_HALF : IMGDRAW_ASCII, "", &img);
		char *line = img.p;
		for (int r = 0; line && *line && iy + 2 + r < y + h; r++) {
			char *nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			frame_put(f, iy + 2 + r, ix, line, cv->c.ds.w, TH_TABLE_ROW);
			line = nl ? nl + 1 : NULL;
		}
		dbuf_free(&img);
	}
}

static int compare_act(struct view *v, struct dash *d, enum action a)
{
	(void)v;
	(void)d;
	(void)a;
	return 0;
}

static void compare_free(struct view *v)
{
	struct compare_view *cv = (struct compare_view *)v;
	/* no answer may reach this view once it is gone */
	kube_watchset_cancel_ud(cv->ws, cv);
	kube_live_free(cv->live);
	live_cmp_free(&cv->c);
	free(cv);
}

static const struct view_ops compare_ops = {
	.scopes = SCOPE_TEXT,
	.render = compare_render,
	.act = compare_act,
	.filter = NULL,
	.free = compare_free,
};

/* The Deployment's answer: where its pods are, then the images go. */
static void on_info(void *ud, const struct kube_answer *a)
{
	struct compare_view *cv = ud;
	struct kube_canary_info info;
	struct perr e = { { 0 } };
	cv->state = CS_FAILED;
	if (kube_canary_info_answer(cv->name, a->status, a->ok, a->body, a->len, a->error, &info,
				    &e) < 0) {
		snprintf(cv->error, sizeof cv->error, "%s", e.msg);
		return;
	}
	if (!info.exists) {
		snprintf(cv->error, sizeof cv->error,
			 "deployments.apps \"%s\" not found in namespace %s", cv->name, cv->ns);
		return;
	}
	/* as `podium model compare --live` reaches them: podium deploy's
	 * Service (the Deployment's name, port http), the model served
	 * under its label's name */
	snprintf(cv->target, sizeof cv->target, "/api/v1/namespaces/%s/services/%s:http/proxy",
		 cv->ns, cv->name);
	snprintf(cv->served, sizeof cv->served, "%s", *info.model ? info.model : cv->name);
	char *clean = sanitize_text(info.image, strlen(info.image), 0);
	snprintf(cv->what, sizeof cv->what, "deploy/%s (%s)", cv->name, clean);
	free(clean);
	const char *targets[] = { cv->target };
	struct kube_live_opts lo = { .targets = targets, .ntargets = 1, .model = cv->served,
				     .h = cv->c.ds.h, .w = cv->c.ds.w, .nclass = cv->c.m->nclass,
				     .batch = BATCH, .concurrency = IN_FLIGHT };
	cv->live = kube_live_start(cv->ws, &lo, cv->c.ds.pixels, cv->c.ds.n, &e);
	if (!cv->live) {
		snprintf(cv->error, sizeof cv->error, "%s", e.msg);
		return;
	}
	cv->state = CS_RUNNING;
}

struct view *compare_view_new(struct kube_watchset *ws, const char *ns, const char *name,
			      const char *model_path, int samples, struct perr *e)
{
	struct compare_view *cv = xcalloc(1, sizeof *cv);
	cv->v.ops = &compare_ops;
	cv->ws = ws;
	snprintf(cv->v.title, sizeof cv->v.title, "compare:%s", name);
	snprintf(cv->ns, sizeof cv->ns, "%s", ns);
	snprintf(cv->name, sizeof cv->name, "%s", name);
	char *clean = sanitize_text(model_path, strlen(model_path), 0);
	snprintf(cv->model_path, sizeof cv->model_path, "%s", clean);
	free(clean);
	snprintf(cv->what, sizeof cv->what, "deploy/%s", name);
	struct live_compare lc = { .model_path = model_path, .samples = samples };
	if (live_cmp_load(&lc, &cv->c, e) < 0)
		goto fail;
	if (cv->c.ds.n == 0) {
		perr_set(e, "no test images in %s", FASHION_MNIST_DIR);
		goto fail;
	}
	char *path = kube_canary_path(ns, name);
	int rc = kube_watchset_request(ws, NULL, "GET", path, NULL, NULL, NULL, 0, on_info, cv,
				       NULL, e);
	free(path);
	if (rc < 0)
		goto fail;
	return &cv->v;
fail:
	compare_free(&cv->v);
	return NULL;
}
