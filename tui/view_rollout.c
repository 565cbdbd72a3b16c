/*
 * view_rollout.c - `p` on a model deployment: the gated canary rollout
 * `podium rollout model` makes (canary_run.c, the same step machine),
 * driven from the dashboard's loop on its watch set, so nothing waits:
 * a bar of the phase's progress (the ready replicas of the Deployment
 * waited for, or the images the canary answered with the agreement so
 * far), the steps as they happen below it, and the result.
 */
#define _POSIX_C_SOURCE 200809L
#include "tui/tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rollout_view {
	struct view v;
	struct canary_run *run;
	struct textview log;
	char name[256], image[512], model[512];
	char result[1200];
	struct canary_run_state last;
	int changed;
};

static const struct view_ops rollout_ops;

/* The run's events, as the headless command prints them. */
static void on_event(void *ud, enum canary_ev ev, const char *text)
{
	struct rollout_view *rv = ud;
	char line[1200];
	rv->changed = 1;
	if (ev == CEV_REPORT) {
		const struct live_compare *o;
		const struct live_cmp *c = canary_run_compare(rv->run, &o);
		snprintf(line, sizeof line,
			 "    agreement %.2f%% (%d/%d), %d images answered of "
			 "%d, %d requests failed, "
			 "latency p50 %.1f ms",
			 100 * c->agreement, c->s.agree, c->k, c->r.nanswered,
			 c->ds.n, c->r.failed,
			 kube_live_percentile(c->r.latency_ms, c->r.nlat, 50));
	} else {
		snprintf(line, sizeof line, "%s%s", canary_ev_prefix(ev), text);
	}
	if (ev == CEV_RESULT)
		snprintf(rv->result, sizeof rv->result, "%s", line);
	textview_add(&rv->log, line);
}

static void rollout_render(struct view *v, struct dash *d, struct frame *f,
			   int y, int h)
{
	struct rollout_view *rv = (struct rollout_view *)v;
	struct canary_run_state st;
	canary_run_state(rv->run, &st);
	char buf[1600];
	snprintf(buf, sizeof buf, " rollout deployment/%s -> %s, gated on %s",
		 rv->name, rv->image, rv->model);
	frame_put(f, y, 0, buf, f->w, TH_TABLE_HEADER);
	if (h < 4)
		return;
	int bw = f->w - 60 > 10 ? (f->w - 60 < 40 ? f->w - 60 : 40) : 10;
	double frac = 0;
	if (st.phase == CP_COMPARE) {
		frac = st.images ? (double)st.answered / st.images : 0;
		snprintf(buf, sizeof buf,
			 "] comparing: %d/%d images answered, agreement so far "
			 "%.2f%% "
			 "(%d/%d; needs %.2f%%)",
			 st.answered, st.images,
			 st.compared_so_far
				 ? 100.0 * st.agree_so_far / st.compared_so_far
				 : 0,
			 st.agree_so_far, st.compared_so_far, 100 * st.min_agreement);
	} else if (st.phase == CP_WAIT_CANARY || st.phase == CP_WAIT_MAIN) {
		frac = st.desired ? (double)st.ready / st.desired : 0;
		snprintf(buf, sizeof buf, "] %s: %d/%d replicas ready",
			 canary_phase_name(st.phase), st.ready, st.desired);
	} else if (st.phase == CP_DONE) {
		frac = 1;
		snprintf(buf, sizeof buf, "] done");
	} else {
		snprintf(buf, sizeof buf, "] %s", canary_phase_name(st.phase));
	}
	int ok = st.outcome == CO_PROMOTED || st.outcome == CO_ALREADY;
	enum theme_elem style = st.phase != CP_DONE	   ? TH_CHART
				: ok			   ? TH_OK
				: st.outcome == CO_REFUSED ? TH_WARNING
							   : TH_ERROR;
	frame_put(f, y + 1, 1, "[", 1, TH_TABLE_ROW);
	frame_bar(f, y + 1, 2, bw, frac, d->utf8, style);
	frame_put(f, y + 1, 2 + bw, buf, f->w - 2 - bw,
		  st.phase == CP_DONE ? style : TH_PENDING);
	if (rv->result[0])
		frame_put(f, y + 2, 1, rv->result, f->w - 2, style);
	/* the steps, following their end */
	int body = h - 3;
	if (rv->log.n > body)
		rv->log.top = rv->log.n - body;
	textview_render(&rv->log, f, 0, y + 3, f->w, body);
}

static int rollout_act(struct view *v, struct dash *d, enum action a)
{
	struct rollout_view *rv = (struct rollout_view *)v;
	return textview_action(&rv->log, a, d->body_h - 3);
}

static void rollout_free(struct view *v)
{
	struct rollout_view *rv = (struct rollout_view *)v;
	canary_run_free(rv->run);
	textview_free(&rv->log);
	free(rv);
}

static const struct view_ops rollout_ops = {
	.scopes = SCOPE_TEXT,
	.render = rollout_render,
	.act = rollout_act,
	.filter = NULL,
	.free = rollout_free,
};

struct view *rollout_view_new(struct kube_watchset *ws, const char *ns,
			      const char *name, const char *image,
			      const char *model_path, int canary_replicas,
			      double min_agreement, int samples, struct perr *e)
{
	struct model *m = NULL;
	if (model_load(model_path, NULL, &m, e) < 0)
		return NULL;
	struct rollout_view *rv = xcalloc(1, sizeof *rv);
	rv->v.ops = &rollout_ops;
	textview_init(&rv->log);
	snprintf(rv->v.title, sizeof rv->v.title, "rollout:%s", name);
	char *clean = sanitize_text(name, strlen(name), 0);
	snprintf(rv->name, sizeof rv->name, "%s", clean);
	free(clean);
	clean = sanitize_text(image, strlen(image), 0);
	snprintf(rv->image, sizeof rv->image, "%s", clean);
	free(clean);
	clean = sanitize_text(model_path, strlen(model_path), 0);
	snprintf(rv->model, sizeof rv->model, "%s", clean);
	free(clean);
	char *label = cli_model_label(model_path);
	struct canary_run_opts co = {
		.name = name,
		.ns = ns,
		.image = image,
		.model_path = model_path,
		.label = label,
		.sha256 = m->sha256,
		.canary_replicas = canary_replicas,
		.samples = samples,
		.batch = 64,
		.concurrency = 4,
		.min_agreement = min_agreement,
		.timeout_ms = 300000,
	};
	rv->run = canary_run_new(ws, &co, on_event, rv);
	free(label);
	model_free(m);
	return &rv->v;
}

int rollout_view_step(struct view *v, int *changed)
{
	if (!v || v->ops != &rollout_ops)
		return 0;
	struct rollout_view *rv = (struct rollout_view *)v;
	int running = canary_run_step(rv->run, now_ms());
	struct canary_run_state st;
	canary_run_state(rv->run, &st);
	if (memcmp(&st, &rv->last, sizeof st))
		rv->changed = 1;
	rv->last = st;
	*changed = rv->changed;
	rv->changed = 0;
	return running;
}
