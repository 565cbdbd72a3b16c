/*
 * canary_run.c - the gated canary rollout of a model as a step machine:
 * the one implementation behind `podium rollout model` (which drives it
 * from a blocking loop and prints each step) and the dashboard's rollout
 * view (which drives it from its poll loop and draws each step).
 *
 * The canary Deployment NAME-canary (track canary) serves behind the same
 * Service; once it is ready its own pods are sent the test images through
 * the pod proxy and their answers compared with the local model; at the
 * minimum agreement or above (and with every image answered) the main
 * Deployment moves to the new image and the canary goes, else the canary
 * goes and the main Deployment is left as it was. A run that was
 * interrupted is picked up by the next: an existing canary is reused
 * (same image and model) or replaced, and a main Deployment already on
 * the image only has its leftovers cleaned.
 *
 * Every request goes out on a watch set and every answer comes back in a
 * callback from kube_watchset_step; waiting for a Deployment is a GET
 * every 250 ms on a timer canary_run_step looks at. Nothing here waits.
 */
#define _POSIX_C_SOURCE 200809L
#include "tui/tui.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POLL_MS	  250 /* between looks at a Deployment being waited for */
#define TOP_DIFFS 5

typedef void (*then_fn)(struct canary_run *r, int ok, const char *err);

enum timer { T_NONE, T_WAIT, T_GONE };

struct canary_run {
	struct kube_watchset *ws; /* borrowed */
	struct canary_run_opts o; /* its strings are the copies below */
	char *name, *ns, *image, *model_path, *label, *sha256, *data,
		*test_images, *test_labels, *cname;
	canary_ev_fn fn;
	void *ud;
	enum canary_phase phase;
	enum canary_outcome outcome;
	struct kube_canary_info main_d, can;
	int got; /* answers of the first reading */
	/* waiting for a Deployment to roll out, or to be gone */
	char wait_name[300];
	long long deadline, next_ms;
	enum timer timer;
	char *last_msg;
	then_fn waited;
	int ready, desired;
	/* server-side applies, one after the other */
	struct kube_apply_req rq[2];
	int nrq, irq;
	then_fn applied;
	/* removing the canary, then the result */
	int existed, strict;
	enum canary_outcome after;
	char result[768];
	/* comparing */
	char *what;
	char **targets;
	int ntargets;
	struct live_compare lc;
	struct live_cmp cmp;
	struct kube_live *live;
};

static void emit(struct canary_run *r, enum canary_ev ev, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Tell the caller; cluster strings in the text are sanitised here. */
static void emit(struct canary_run *r, enum canary_ev ev, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	char *clean = sanitize_text(buf, strlen(buf), 0);
	r->fn(r->ud, ev, clean);
	free(clean);
}

static void finish(struct canary_run *r, enum canary_outcome out,
		   const char *result)
{
	if (result && *result)
		emit(r, CEV_RESULT, "%s", result);
	r->outcome = out;
	r->phase = CP_DONE;
	r->timer = T_NONE;
}

static void fail(struct canary_run *r, const char *msg)
{
	emit(r, CEV_ERROR, "%s", msg);
	finish(r, CO_FAILED, NULL);
}

static void send_get(struct canary_run *r, const char *path, const char *query,
		     kube_answer_fn fn)
{
	struct perr e = {{0}};
	if (kube_watchset_request(r->ws, NULL, "GET", path, query, NULL, NULL,
				  0, fn, r, NULL, &e) < 0)
		fail(r, e.msg);
}

/* ---- waiting for a Deployment to roll out ---- */

static void on_wait(void *ud, const struct kube_answer *a)
{
	struct canary_run *r = ud;
	if (!a->ok) {
		r->waited(r, 0, a->error);
		return;
	}
	struct kube_canary_info info;
	struct perr e = {{0}};
	char *msg = NULL;
	int st = kube_canary_status(a->body, a->len, &info, &msg, &e);
	r->ready = info.ready;
	r->desired = info.replicas;
	/* each line once, as kubectl rollout status prints them */
	if (msg && (!r->last_msg || strcmp(r->last_msg, msg)))
		emit(r, CEV_STATUS, "%s", msg);
	free(r->last_msg);
	r->last_msg = msg;
	if (st > 0) {
		r->waited(r, 1, NULL);
	} else if (st < 0) {
		r->waited(r, 0, e.msg);
	} else if (now_ms() >= r->deadline) {
		char m[512];
		snprintf(m, sizeof m,
			 "deployment \"%s\" did not roll out within %lds",
			 r->wait_name, r->o.timeout_ms / 1000);
		r->waited(r, 0, m);
	} else {
		r->timer = T_WAIT;
		r->next_ms = now_ms() + POLL_MS;
	}
}

static void wait_rollout(struct canary_run *r, const char *name, then_fn then)
{
	snprintf(r->wait_name, sizeof r->wait_name, "%s", name);
	r->deadline = now_ms() + r->o.timeout_ms;
	free(r->last_msg);
	r->last_msg = NULL;
	r->ready = r->desired = 0;
	r->waited = then;
	char *path = kube_canary_path(r->ns, name);
	send_get(r, path, NULL, on_wait);
	free(path);
}

/* ---- server-side applies ---- */

static void on_applied(void *ud, const struct kube_answer *a)
{
	struct canary_run *r = ud;
	if (!a->ok) {
		r->applied(r, 0, a->error);
		return;
	}
	if (++r->irq < r->nrq) {
		struct kube_apply_req *q = &r->rq[r->irq];
		struct perr e = {{0}};
		if (kube_watchset_request(r->ws, NULL, "PATCH", q->path,
					  q->query, KUBE_APPLY_TYPE, q->body,
					  strlen(q->body), on_applied, r, NULL,
					  &e) < 0)
			r->applied(r, 0, e.msg);
		return;
	}
	r->applied(r, 1, NULL);
}

/* Apply the main Deployment and its Service (canary 0) or the canary. */
static void apply(struct canary_run *r, int canary, then_fn then)
{
	struct kube_deploy_opts dop = {
		.name = r->name,
		.namespace = r->ns,
		.image = r->image,
		.model = r->label,
		.model_sha256 = r->sha256,
		.replicas = canary ? r->o.canary_replicas : r->main_d.replicas,
		.port = r->main_d.port,
		.canary = canary,
	};
	struct perr e = {{0}};
	kube_deploy_reqs_free(r->rq, r->nrq);
	r->nrq = r->irq = 0;
	r->applied = then;
	/* The canary is the rollout's own: take over whatever changed it. */
	if (kube_deploy_reqs(&dop, canary, r->rq, &r->nrq, &e) < 0 ||
	    kube_watchset_request(r->ws, NULL, "PATCH", r->rq[0].path,
				  r->rq[0].query, KUBE_APPLY_TYPE,
				  r->rq[0].body, strlen(r->rq[0].body),
				  on_applied, r, NULL, &e) < 0)
		then(r, 0, e.msg);
}

/* ---- removing the canary ---- */

static void removed(struct canary_run *r, int ok)
{
	if (!ok && r->strict) {
		finish(r, CO_FAILED, NULL);
		return;
	}
	if (ok)
		emit(r, CEV_STATUS, "%s", r->existed ? "deleted" : "not there");
	finish(r, r->after, r->result);
}

static void on_gone(void *ud, const struct kube_answer *a)
{
	struct canary_run *r = ud;
	if (!a->ok && a->status == 404) {
		removed(r, 1);
	} else if (now_ms() >= r->deadline) {
		emit(r, CEV_ERROR,
		     "removing the canary: deployment \"%s\" was not gone "
		     "within %lds",
		     r->cname, r->o.timeout_ms / 1000);
		removed(r, 0);
	} else {
		r->timer = T_GONE;
		r->next_ms = now_ms() + POLL_MS;
	}
}

static void on_deleted(void *ud, const struct kube_answer *a)
{
	struct canary_run *r = ud;
	r->existed = a->ok;
	if (!a->ok && a->status != 404) {
		emit(r, CEV_ERROR, "removing the canary: %s", a->error);
		removed(r, 0);
		return;
	}
	/* Foreground: the Deployment goes once its pods have gone. */
	r->deadline = now_ms() + r->o.timeout_ms;
	char *path = kube_canary_path(r->ns, r->cname);
	send_get(r, path, NULL, on_gone);
	free(path);
}

/* Remove the canary, then end with outcome after and result; strict: a
 * failed removal fails the run (no result). */
static void remove_canary(struct canary_run *r, enum canary_outcome after,
			  int strict, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void remove_canary(struct canary_run *r, enum canary_outcome after,
			  int strict, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->result, sizeof r->result, fmt, ap);
	va_end(ap);
	r->after = after;
	r->strict = strict;
	r->phase = CP_CLEANUP;
	emit(r, CEV_STEP, "removing canary deployment/%s", r->cname);
	char *path = kube_canary_path(r->ns, r->cname);
	struct perr e = {{0}};
	if (kube_watchset_request(r->ws, NULL, "DELETE", path, NULL,
				  "application/json", KUBE_DELETE_FOREGROUND,
				  strlen(KUBE_DELETE_FOREGROUND), on_deleted, r,
				  NULL, &e) < 0) {
		emit(r, CEV_ERROR, "removing the canary: %s", e.msg);
		removed(r, 0);
	}
	free(path);
}

static void abort_run(struct canary_run *r)
{
	remove_canary(r, CO_ABORTED, 0, "aborted; deployment/%s untouched",
		      r->name);
}

/* ---- the steps ---- */

static void after_main_ready(struct canary_run *r, int ok, const char *err)
{
	if (!ok) {
		emit(r, CEV_ERROR, "%s (the canary stays; run again to finish)",
		     err);
		finish(r, CO_FAILED, NULL);
		return;
	}
	remove_canary(
		r, CO_PROMOTED, 1,
		"promoted; deployment/%s runs %s (model %s, agreement %.2f%%)",
		r->name, r->image, r->label, 100 * r->cmp.agreement);
}

static void after_promoted(struct canary_run *r, int ok, const char *err)
{
	if (!ok) {
		emit(r, CEV_ERROR,
		     "promoting: %s (the canary stays; run again to retry)",
		     err);
		finish(r, CO_FAILED, NULL);
		return;
	}
	emit(r, CEV_STEP, "waiting for deployment/%s to roll out", r->name);
	r->phase = CP_WAIT_MAIN;
	wait_rollout(r, r->name, after_main_ready);
}

/* Every answer came: compare, then promote or refuse. */
static void compared(struct canary_run *r)
{
	struct perr e = {{0}};
	const char *err = kube_live_error(r->live);
	if (err) {
		emit(r, CEV_ERROR, "%s", err);
		abort_run(r);
		return;
	}
	kube_live_take(r->live, &r->cmp.r);
	kube_live_free(r->live);
	r->live = NULL;
	if (live_cmp_compute(&r->cmp, TOP_DIFFS, &e) < 0) {
		emit(r, CEV_ERROR, "%s", e.msg);
		abort_run(r);
		return;
	}
	r->fn(r->ud, CEV_REPORT, "");
	double pct = 100 * r->cmp.agreement;
	int n = r->cmp.ds.n, answered = r->cmp.r.nanswered;
	if (!(answered == n && n > 0 && r->cmp.agreement >= r->o.min_agreement)) {
		if (answered < n)
			emit(r, CEV_STEP,
			     "refused: the canary answered %d of %d images",
			     answered, n);
		else
			emit(r, CEV_STEP,
			     "refused: agreement %.2f%% is below "
			     "--min-agreement %.2f%%",
			     pct, 100 * r->o.min_agreement);
		remove_canary(r, CO_REFUSED, 0,
			      "refused; deployment/%s untouched (still %s)",
			      r->name, r->main_d.image);
		return;
	}
	emit(r, CEV_STEP,
	     "agreement %.2f%% >= %.2f%%: promoting deployment/%s to %s", pct,
	     100 * r->o.min_agreement, r->name, r->image);
	r->phase = CP_PROMOTE;
	apply(r, 0, after_promoted);
}

static void compare_start(struct canary_run *r)
{
	emit(r, CEV_STEP,
	     "comparing the canary's live predictions with %s (%d images, %d "
	     "pod%s)",
	     r->model_path, r->o.samples, r->ntargets,
	     r->ntargets == 1 ? "" : "s");
	r->what = xasprintf(
		"canary deployment/%s (%s, %d pod%s through the pod proxy)",
		r->cname, r->image, r->ntargets, r->ntargets == 1 ? "" : "s");
	r->lc = (struct live_compare){
		.model_path = r->model_path,
		.data = r->data,
		.test_images = r->test_images,
		.test_labels = r->test_labels,
		.samples = r->o.samples,
		.batch = r->o.batch,
		.concurrency = r->o.concurrency,
		.top = TOP_DIFFS,
		.targets = (const char *const *)r->targets,
		.ntargets = r->ntargets,
		.served = r->label,
		.what = r->what,
	};
	struct perr e = {{0}};
	struct kube_live_opts lo;
	r->phase = CP_COMPARE;
	if (live_cmp_load(&r->lc, &r->cmp, &e) < 0) {
		emit(r, CEV_ERROR, "%s", e.msg);
		abort_run(r);
		return;
	}
	/* the local answers first, so the view can show agreement so far */
	if (live_cmp_local(&r->cmp, &e) < 0) {
		emit(r, CEV_ERROR, "%s", e.msg);
		abort_run(r);
		return;
	}
	live_cmp_opts(&r->lc, &r->cmp, &lo);
	r->live =
		kube_live_start(r->ws, &lo, r->cmp.ds.pixels, r->cmp.ds.n, &e);
	if (!r->live) {
		emit(r, CEV_ERROR, "%s", e.msg);
		abort_run(r);
	}
}

static void on_pods(void *ud, const struct kube_answer *a)
{
	struct canary_run *r = ud;
	if (!a->ok) {
		emit(r, CEV_ERROR, "the canary has no ready pod to compare: %s",
		     a->error);
		abort_run(r);
		return;
	}
	r->targets = kube_canary_pod_targets(a->body, a->len, r->ns,
					     r->main_d.port, &r->ntargets);
	if (!r->ntargets) {
		emit(r, CEV_ERROR, "the canary has no ready pod to compare");
		abort_run(r);
		return;
	}
	compare_start(r);
}

static void on_canary_deploy(void *ud, const struct kube_answer *a)
{
	struct canary_run *r = ud;
	struct perr e = {{0}};
	char *query =
		a->ok ? kube_canary_pods_query(a->body, a->len, &e) : NULL;
	if (!query) {
		emit(r, CEV_ERROR, "the canary has no ready pod to compare: %s",
		     a->ok ? e.msg : a->error);
		abort_run(r);
		return;
	}
	char *path = xasprintf("/api/v1/namespaces/%s/pods", r->ns);
	send_get(r, path, query, on_pods);
	free(path);
	free(query);
}

static void after_canary_ready(struct canary_run *r, int ok, const char *err)
{
	if (!ok) {
		emit(r, CEV_ERROR, "the canary did not become ready: %s", err);
		abort_run(r);
		return;
	}
	r->phase = CP_PODS;
	char *path = kube_canary_path(r->ns, r->cname);
	send_get(r, path, NULL, on_canary_deploy);
	free(path);
}

static void after_canary_applied(struct canary_run *r, int ok, const char *err)
{
	if (!ok) {
		fail(r, err);
		return;
	}
	emit(r, CEV_STEP, "waiting for the canary to be ready");
	r->phase = CP_WAIT_CANARY;
	wait_rollout(r, r->cname, after_canary_ready);
}

static void after_already(struct canary_run *r, int ok, const char *err)
{
	if (!ok) {
		fail(r, err);
		return;
	}
	remove_canary(r, CO_ALREADY, 1, "deployment/%s already promoted to %s",
		      r->name, r->image);
}

/* Both Deployments read: what this run has to do. */
static void begin(struct canary_run *r)
{
	if (!r->main_d.exists) {
		emit(r, CEV_ERROR,
		     "deployments.apps \"%s\" not found in namespace %s: "
		     "deploy it first "
		     "(podium deploy %s --image REF --model FILE)",
		     r->name, r->ns, r->name);
		finish(r, CO_FAILED, NULL);
		return;
	}
	/* A Deployment podium deploy did not make cannot be moved by its
	 * apply (a selector is immutable): say so now, not after the canary. */
	if (!r->main_d.podium_selector) {
		emit(r, CEV_ERROR,
		     "deployment/%s selects its pods by %s, not as podium deploy "
		     "makes model deployments (app.kubernetes.io/name=%s,"
		     "podium.dev/track=stable): a rollout cannot move it",
		     r->name, r->main_d.selector, r->name);
		finish(r, CO_FAILED, NULL);
		return;
	}
	emit(r, CEV_LINE,
	     "rolling out %s (model %s, sha256 %.16s) to deployment/%s in %s",
	     r->image, r->label, r->sha256, r->name, r->ns);
	emit(r, CEV_LINE, "    now: %s (model %s)", r->main_d.image,
	     *r->main_d.model ? r->main_d.model : "-");
	/* A run that promoted and was stopped before cleaning up. */
	if (!strcmp(r->main_d.image, r->image) &&
	    !strcmp(r->main_d.sha256, r->sha256)) {
		emit(r, CEV_STEP,
		     "deployment/%s already runs %s with this model", r->name,
		     r->image);
		r->phase = CP_WAIT_MAIN;
		wait_rollout(r, r->name, after_already);
		return;
	}
	long n = r->o.canary_replicas;
	if (r->can.exists && !strcmp(r->can.image, r->image) &&
	    !strcmp(r->can.sha256, r->sha256))
		emit(r, CEV_STEP,
		     "canary deployment/%s already runs %s: reusing it",
		     r->cname, r->image);
	else if (r->can.exists)
		emit(r, CEV_STEP,
		     "replacing canary deployment/%s (%s) with %s, %ld "
		     "replica%s",
		     r->cname, r->can.image, r->image, n, n == 1 ? "" : "s");
	else
		emit(r, CEV_STEP,
		     "deploying canary deployment/%s: %s, %ld replica%s behind "
		     "service/%s",
		     r->cname, r->image, n, n == 1 ? "" : "s", r->name);
	r->phase = CP_CANARY;
	apply(r, 1, after_canary_applied);
}

static void on_info(struct canary_run *r, const struct kube_answer *a,
		    const char *name, struct kube_canary_info *out)
{
	if (r->phase == CP_DONE)
		return; /* the other reading failed */
	struct perr e = {{0}};
	if (kube_canary_info_answer(name, a->status, a->ok, a->body, a->len,
				    a->error, out, &e) < 0) {
		fail(r, e.msg);
		return;
	}
	if (++r->got == 2)
		begin(r);
}

static void on_main(void *ud, const struct kube_answer *a)
{
	struct canary_run *r = ud;
	on_info(r, a, r->name, &r->main_d);
}

static void on_canary(void *ud, const struct kube_answer *a)
{
	struct canary_run *r = ud;
	on_info(r, a, r->cname, &r->can);
}

/* ---- the machine ---- */

struct canary_run *canary_run_new(struct kube_watchset *ws,
				  const struct canary_run_opts *o,
				  canary_ev_fn fn, void *ud)
{
	struct canary_run *r = xcalloc(1, sizeof *r);
	r->ws = ws;
	r->o = *o;
	r->name = xstrdup(o->name);
	r->ns = xstrdup(o->ns);
	r->image = xstrdup(o->image);
	r->model_path = xstrdup(o->model_path);
	r->label = xstrdup(o->label);
	r->sha256 = xstrdup(o->sha256);
	r->data = xstrdup(o->data);
	r->test_images = xstrdup(o->test_images);
	r->test_labels = xstrdup(o->test_labels);
	r->cname = xasprintf("%s-canary", o->name);
	r->fn = fn;
	r->ud = ud;
	r->phase = CP_READING;
	char *main_path = kube_canary_path(r->ns, r->name);
	char *can_path = kube_canary_path(r->ns, r->cname);
	send_get(r, main_path, NULL, on_main);
	if (r->phase != CP_DONE)
		send_get(r, can_path, NULL, on_canary);
	free(main_path);
	free(can_path);
	return r;
}

int canary_run_step(struct canary_run *r, long long now)
{
	if (r->phase == CP_COMPARE && r->live && kube_live_finished(r->live))
		compared(r);
	if (r->timer != T_NONE && now >= r->next_ms) {
		enum timer t = r->timer;
		r->timer = T_NONE;
		char *path = kube_canary_path(r->ns, r->wait_name);
		if (t == T_GONE) {
			free(path);
			path = kube_canary_path(r->ns, r->cname);
		}
		send_get(r, path, NULL, t == T_WAIT ? on_wait : on_gone);
		free(path);
	}
	return r->phase != CP_DONE;
}

long long canary_run_timeout(const struct canary_run *r, long long now)
{
	if (r->timer == T_NONE)
		return -1;
	return r->next_ms > now ? r->next_ms - now : 0;
}

void canary_run_state(const struct canary_run *r, struct canary_run_state *st)
{
	memset(st, 0, sizeof *st);
	st->phase = r->phase;
	st->outcome = r->outcome;
	st->ready = r->ready;
	st->desired = r->desired;
	const struct kube_live_result *lr =
		r->live ? kube_live_result_of(r->live) : &r->cmp.r;
	st->images = r->cmp.ds.n;
	st->sent = r->live ? kube_live_sent(r->live)
			   : lr->nanswered + lr->failed_images;
	st->answered = lr->nanswered;
	st->requests = lr->requests;
	st->failed = lr->failed;
	st->compared = r->cmp.k;
	st->agreement = r->cmp.agreement;
	st->min_agreement = r->o.min_agreement;
	if (r->cmp.pl)
		st->agree_so_far = live_cmp_agree_so_far(&r->cmp, lr,
							 &st->compared_so_far);
}

const struct live_cmp *canary_run_compare(const struct canary_run *r,
					  const struct live_compare **o)
{
	*o = &r->lc;
	return &r->cmp;
}

const char *canary_ev_prefix(enum canary_ev ev)
{
	static const char *const prefixes[] = {
		[CEV_LINE] = "",       [CEV_STEP] = "==> ",
		[CEV_STATUS] = "    ", [CEV_ERROR] = "error: ",
		[CEV_REPORT] = "",     [CEV_RESULT] = "result: ",
	};
	return ev <= CEV_RESULT ? prefixes[ev] : "";
}

const char *canary_phase_name(enum canary_phase p)
{
	static const char *const names[CP_COUNT] = {
		[CP_READING] = "reading",
		[CP_CANARY] = "applying the canary",
		[CP_WAIT_CANARY] = "waiting for the canary",
		[CP_PODS] = "finding its pods",
		[CP_COMPARE] = "comparing",
		[CP_PROMOTE] = "promoting",
		[CP_WAIT_MAIN] = "rolling out",
		[CP_CLEANUP] = "removing the canary",
		[CP_DONE] = "done",
	};
	return p < CP_COUNT ? names[p] : "?";
}

void canary_run_free(struct canary_run *r)
{
	if (!r)
		return;
	/* no answer may reach r once it is gone */
	kube_watchset_cancel_ud(r->ws, r);
	kube_live_free(r->live);
	live_cmp_free(&r->cmp);
	kube_deploy_reqs_free(r->rq, r->nrq);
	kube_canary_targets_free(r->targets, r->ntargets);
	free(r->what);
	free(r->last_msg);
	free(r->name);
	free(r->ns);
	free(r->image);
	free(r->model_path);
	free(r->label);
	free(r->sha256);
	free(r->data);
	free(r->test_images);
	free(r->test_labels);
	free(r->cname);
	free(r);
}
