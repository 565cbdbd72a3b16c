/*
 * view_build.c - `b` in the dashboard: a model-server image built in the
 * cluster as `podium build --wait` builds it (kube_build_start making the
 * context and the Job, then kube_build_step moved on from the loop, one
 * look every half second, all on the dashboard's watch set, the answers
 * taken without waiting), with
 * a progress bar over the build's phases and the builder's log below it.
 * Leaving the view leaves the Job running; its context belongs to it.
 */
#include "tui/tui.h"
#include "kube/kube.h"
#include "model/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LOG_LINES 5000 /* the builder's log kept here, at most */

enum phase { PH_CONTEXT, PH_JOB, PH_POD, PH_BUILDING, PH_DONE, PH_COUNT };

struct build_view {
	struct view v;
	struct kube_watchset *ws; /* borrowed */
	struct kube_build *b;
	struct kube_build_watch w;
	struct textview log;
	enum phase phase;
	int failed;
	int ctx_i, ctx_n;
	char job[128], pod[256], image[256], model[512];
	char sha[16];
	char error[512];
	long long started, ended;
	int changed;
};

static const struct view_ops build_ops;

static void on_progress(void *ud, enum kube_build_phase ph, int i, int n, const char *text)
{
	struct build_view *bv = ud;
	bv->changed = 1;
	switch (ph) {
	case KUBE_BUILD_CONTEXT:
		bv->phase = PH_CONTEXT;
		bv->ctx_i = i;
		bv->ctx_n = n;
		break;
	case KUBE_BUILD_JOB:
		bv->phase = PH_JOB;
		snprintf(bv->job, sizeof bv->job, "%s", text);
		break;
	case KUBE_BUILD_POD:
		bv->phase = PH_POD;
		snprintf(bv->pod, sizeof bv->pod, "%s", text);
		break;
	case KUBE_BUILD_LOG:
		bv->phase = PH_BUILDING;
		if (bv->log.n < MAX_LOG_LINES)
			textview_add(&bv->log, text);
		break;
	case KUBE_BUILD_DONE:
		bv->phase = PH_DONE;
		break;
	}
}

static void build_render(struct view *v, struct dash *d, struct frame *f, int y, int h)
{
	struct build_view *bv = (struct build_view *)v;
	char buf[1024];
	long long secs = ((bv->ended ? bv->ended : now_ms()) - bv->started) / 1000;
	static const char *const names[PH_COUNT] = { "context", "job", "builder pod", "building",
						     "pushed" };
	snprintf(buf, sizeof buf, " %s (sha256 %s) -> %s", bv->model, bv->sha, bv->image);
	frame_put(f, y, 0, buf, f->w, TH_TABLE_HEADER);
	if (h < 4)
		return;
	/* the bar: one share per phase, the context's by ConfigMap */
	int bw = f->w - 30 > 10 ? (f->w - 30 < 50 ? f->w - 30 : 50) : 10;
	double frac = (bv->phase + (bv->phase == PH_CONTEXT && bv->ctx_n
					    ? (double)bv->ctx_i / bv->ctx_n : 0)) / (PH_COUNT - 1);
	if (frac > 1)
		frac = 1;
	int x = frame_put(f, y + 1, 1, "[", -1, TH_TABLE_ROW) + 1;
	frame_bar(f, y + 1, x, bw, frac, d->utf8, bv->failed ? TH_ERROR : TH_CHART);
	x += bw;
	snprintf(buf, sizeof buf, "] %3d%%  %s  %llds", (int)(frac * 100 + 0.5),
		 bv->failed ? "failed" : names[bv->phase], secs);
	frame_put(f, y + 1, x, buf, f->w - x,
		  bv->failed ? TH_ERROR : bv->phase == PH_DONE ? TH_OK : TH_PENDING);
	const char *status = bv->failed ? bv->error
			     : bv->phase == PH_DONE ? "built and pushed; deploy it with podium deploy NAME --image REF"
			     : bv->job[0] ? bv->job : "creating the context";
	snprintf(buf, sizeof buf, " %s%s%s", status, bv->pod[0] && !bv->failed && bv->phase != PH_DONE ? "  pod " : "",
		 bv->pod[0] && !bv->failed && bv->phase != PH_DONE ? bv->pod : "");
	frame_put(f, y + 2, 0, buf, f->w,
		  bv->failed ? TH_ERROR : bv->phase == PH_DONE ? TH_OK : TH_TABLE_ROW);
	/* the log, following its end */
	int body = h - 3;
	if (bv->log.n > body)
		bv->log.top = bv->log.n - body;
	textview_render(&bv->log, f, 0, y + 3, f->w, body);
}

static int build_act(struct view *v, struct dash *d, enum action a)
{
	struct build_view *bv = (struct build_view *)v;
	return textview_action(&bv->log, a, d->body_h - 3);
}

static void build_free(struct view *v)
{
	struct build_view *bv = (struct build_view *)v;
	kube_build_free(bv->b);
	textview_free(&bv->log);
	free(bv);
}

static const struct view_ops build_ops = {
	.scopes = SCOPE_TEXT,
	.render = build_render,
	.act = build_act,
	.filter = NULL,
	.free = build_free,
};

struct view *build_view_new(struct kube_watchset *ws, const char *ns, const char *model_path,
			    const char *image, struct perr *e)
{
	struct model *m = NULL;
	char *bytes = NULL, *id = NULL;
	size_t len = 0;
	struct build_view *bv = NULL;
	/* The model must load before it ships: a bad file fails here. */
	if (model_load(model_path, NULL, &m, e) < 0 ||
	    read_file(model_path, KUBE_BUILD_MAX_MODEL + 1, &bytes, &len, e) < 0)
		goto out;
	bv = xcalloc(1, sizeof *bv);
	bv->v.ops = &build_ops;
	bv->ws = ws;
	textview_init(&bv->log);
	id = cmd_build_id(model_path);
	snprintf(bv->v.title, sizeof bv->v.title, "build:%s", id);
	char *clean = sanitize_text(model_path, strlen(model_path), 0);
	snprintf(bv->model, sizeof bv->model, "%s", clean);
	free(clean);
	clean = sanitize_text(image, strlen(image), 0);
	snprintf(bv->image, sizeof bv->image, "%s", clean);
	free(clean);
	snprintf(bv->sha, sizeof bv->sha, "%.12s", m->sha256);
	bv->w.progress = on_progress;
	bv->w.ud = bv;
	bv->started = now_ms();
	struct kube_build_opts o = { .id = id, .namespace = ns, .image = image,
				     .model_sha256 = m->sha256 };
	bv->b = kube_build_start(ws, &o, bytes, len, &bv->w, e);
	if (!bv->b) {
		build_free(&bv->v);
		bv = NULL;
	}
out:
	model_free(m);
	free(bytes);
	free(id);
	return bv ? &bv->v : NULL;
}

int build_view_step(struct view *v, int *changed)
{
	if (!v || v->ops != &build_ops)
		return 0;
	struct build_view *bv = (struct build_view *)v;
	if (bv->ended)
		return 0;
	struct perr e = { { 0 } };
	int r = kube_build_step(bv->b, bv->ws, now_ms(), &e);
	if (r != 0) {
		bv->ended = now_ms();
		bv->failed = r < 0;
		snprintf(bv->error, sizeof bv->error, "%s", e.msg);
		bv->changed = 1;
	}
	*changed = bv->changed;
	bv->changed = 0;
	return !bv->ended;
}
