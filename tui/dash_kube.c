/*
 * dash_kube.c - what connects the dashboard to a cluster: a watch set (one
 * curl multi handle) of list/watch caches, one per resource view, driven
 * from the dashboard's poll loop; the resource views over those caches;
 * and the actions on the selected object (describe, YAML, edit, logs,
 * scale, restart, undo, delete), each as kubectl does it.
 *
 * Views hold the cache's items as an array that is only valid until the
 * cache next changes; caches change only inside kube_watchset_step, and
 * every view whose cache changed takes a fresh array right after it.
 */
#define _GNU_SOURCE /* mkstemps */
#include "tui/tui.h"
#include "kube/kube.h"

#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RES_MAX_COLS 16

struct res_view {
	struct view v;
	struct dkube *k;
	const struct kube_kind *kind;
	struct kube_cache *cache;
	char *ns;       /* NULL: all namespaces */
	char *selector; /* label selector sent to the server, or NULL */
	int models;     /* the models view: deployments labelled podium.dev/model */
	struct tview tv;
	const struct kube_item **items;
	size_t nitems;
	unsigned long long seen;
	struct tview_src src;
	const char *cols[RES_MAX_COLS];
	unsigned char wide[RES_MAX_COLS];
	int map[RES_MAX_COLS]; /* >= 0: projection column; else COL_* */
	int ncols;
	char keybuf[320]; /* src_key's answer, valid until its next call */
};

enum { COL_NAMESPACE = -1, COL_MODEL = -2, COL_SHA = -3, COL_AGE = -4,
       /* the models view's live columns (view_models.c) */
       COL_SPARK = -5, COL_RPS = -6, COL_P99 = -7, COL_CPU = -8, COL_MEM = -9 };

struct dkube {
	struct dash *d;
	struct kube_client *client; /* borrowed, or owned (after :ctx) */
	struct kube_client *owned;  /* the client :ctx made, freed here */
	struct kube_watchset *ws;
	char ns[64];
	int all_ns;
	int ns_chosen; /* -n or :ns named one */
	int log_lines;         /* a log view's buffer, in lines */
	int streaming;         /* a log view on top is streaming */
	struct view_models *models; /* the models view's live figures */
	char last_model[512];  /* what the build and compare dialogs last took */
	char last_image[512];
	long refresh_ms;       /* changes are taken at most this often */
	long tick_ms;          /* ages move on: a redraw this often */
	char view[32];         /* the resource view at the root (a : command) */
	char *state_file;      /* the last view per context */
	long long hold_until;  /* changes wait in the sockets until then */
	int probing;           /* a GET /version is out for the header's latency */
	/* Requests in flight (scale, restart, delete, YAML, edit, undo): sent
	 * on the watch set; each answer goes to the slot's step, which says
	 * it, shows it or sends the next request of the action. */
	struct action_slot {
		struct dkube *k;
		int used;
		unsigned long long id;
		void (*step)(struct action_slot *, const struct kube_answer *);
		char done[300]; /* said on success; a YAML view's title */
		const struct kube_kind *kind;
		char ns[64], name[256];
		long rev;       /* undo: the revision picked; 0 while listing them */
		char *held;     /* undo: the Deployment's answer; describe: the object's */
		size_t held_len;
		struct kube_gather *gather; /* describe: the requests its text needs */
	} actions[16];
};

static const struct kube_obj *obj_of(const struct res_view *rv, int i)
{
	return rv->items[i]->proj;
}

static void *project(void *ctx, const struct jtok_doc *d, int obj)
{
	struct kube_obj *o = xcalloc(1, sizeof *o);
	if (kube_obj_project_tok(ctx, d, obj, (long long)time(NULL), o) < 0) {
		free(o);
		return NULL;
	}
	return o;
}

static void project_free(void *p)
{
	kube_obj_clear(p);
	free(p);
}

/* ---- the table source over a cache ---------------------------------- */

static int src_count(void *ud)
{
	return (int)((struct res_view *)ud)->nitems;
}

static const char *src_name(void *ud, int i)
{
	const struct kube_obj *o = obj_of(ud, i);
	return o ? o->name : "";
}

static const char *src_key(void *ud, int i)
{
	struct res_view *rv = ud;
	const struct kube_obj *o = obj_of(rv, i);
	snprintf(rv->keybuf, sizeof rv->keybuf, "%s/%s", o ? o->namespace : "", o ? o->name : "");
	return rv->keybuf;
}

static long long src_created(void *ud, int i)
{
	const struct kube_obj *o = obj_of(ud, i);
	return o ? o->created : 0;
}

static const char *label(const struct kube_obj *o, const char *key)
{
	for (size_t i = 0; o && i < o->nlabels; i++)
		if (strcmp(o->labels[i].key, key) == 0)
			return o->labels[i].value;
	return NULL;
}

/* The text of the kind's column named name ("" when there is none). */
static const char *col_text(const struct res_view *rv, const struct kube_obj *o, const char *name)
{
	const struct kube_column *cols = rv->kind->columns;
	for (size_t c = 0; o && cols[c].name && c < o->ncols; c++)
		if (!strcmp(cols[c].name, name))
			return o->cols[c] ? o->cols[c] : "";
	return "";
}

/* The column a status is read from: STATUS, else READY as a/b. */
static enum theme_elem status_style(const struct res_view *rv, const struct kube_obj *o)
{
	if (!o)
		return TH_TABLE_ROW;
	if (o->deleting)
		return TH_DELETED;
	const struct kube_column *cols = rv->kind->columns;
	for (size_t c = 0; cols[c].name && c < o->ncols; c++) {
		const char *v = o->cols[c] ? o->cols[c] : "";
		if (!strcmp(cols[c].name, "STATUS")) {
			static const char *const bad[] = { "Err", "BackOff", "Failed", "Error",
							   "CrashLoop", "OOMKilled", "NotReady",
							   "Evicted", "Invalid", NULL };
			static const char *const wait[] = { "Pending", "Creating", "Init:",
							    "Terminating", "Unknown", NULL };
			for (int b = 0; bad[b]; b++)
				if (strstr(v, bad[b]))
					return TH_ERROR;
			for (int w = 0; wait[w]; w++)
				if (strstr(v, wait[w]))
					return TH_PENDING;
			return TH_OK;
		}
		if (!strcmp(cols[c].name, "READY") && strchr(v, '/')) {
			long a = atol(v), b = atol(strchr(v, '/') + 1);
			return a < b ? TH_PENDING : TH_OK;
		}
	}
	return TH_TABLE_ROW;
}

static enum theme_elem src_style(void *ud, int i)
{
	return status_style(ud, obj_of(ud, i));
}

static int src_rank(void *ud, int i)
{
	switch (src_style(ud, i)) {
	case TH_ERROR: return 0;
	case TH_PENDING: return 1;
	case TH_DELETED: return 2;
	default: return 3;
	}
}

static void src_cell(void *ud, int i, int col, char *buf, size_t n)
{
	struct res_view *rv = ud;
	const struct kube_obj *o = obj_of(rv, i);
	int m = rv->map[col];
	const char *v = "";
	if (!o) {
		buf[0] = '\0';
		return;
	}
	if (m == COL_NAMESPACE) {
		v = o->namespace;
	} else if (m == COL_MODEL) {
		v = label(o, "podium.dev/model");
	} else if (m == COL_SHA) {
		const char *s = label(o, "podium.dev/model-sha256");
		snprintf(buf, n, "%.12s", s ? s : "");
		return;
	} else if (m <= COL_SPARK) {
		view_models_cell(rv->k->models, o->namespace, o->name,
				 (enum view_models_col)(COL_SPARK - m), rv->k->d->utf8, buf, n);
		return;
	} else if (m == COL_AGE) {
		kube_human_duration(o->created ? (long long)time(NULL) - o->created : 0, buf, n);
		if (!o->created)
			snprintf(buf, n, "<unknown>");
		return;
	} else if ((size_t)m < o->ncols && o->cols[m]) {
		v = o->cols[m];
	}
	snprintf(buf, n, "%s", v ? v : "");
}

static void add_col(struct res_view *rv, const char *name, int map, int wide)
{
	if (rv->ncols == RES_MAX_COLS)
		return;
	rv->cols[rv->ncols] = name;
	rv->map[rv->ncols] = map;
	rv->wide[rv->ncols] = (unsigned char)wide;
	rv->ncols++;
}

static void setup_columns(struct res_view *rv)
{
	const struct kube_column *cols = rv->kind->columns;
	add_col(rv, cols[0].name, 0, 0);
	if (!rv->ns && rv->kind->namespaced)
		add_col(rv, "NAMESPACE", COL_NAMESPACE, 0);
	if (rv->models && !rv->kind->selector) {
		add_col(rv, "MODEL", COL_MODEL, 0);
		add_col(rv, "SHA256", COL_SHA, 0);
	}
	for (int c = 1; cols[c].name; c++) {
		if (rv->models && !strcmp(cols[c].name, "AGE")) {
			add_col(rv, "REQ/S", COL_RPS, 0);
			add_col(rv, "P99", COL_P99, 0);
			add_col(rv, "CPU", COL_CPU, 0);
			add_col(rv, "MEM", COL_MEM, 0);
		}
		add_col(rv, cols[c].name, strcmp(cols[c].name, "AGE") ? c : COL_AGE,
			rv->models && !strcmp(cols[c].name, "IMAGES") ? 0 : cols[c].wide);
		if (rv->models && !strcmp(cols[c].name, "READY"))
			add_col(rv, "HISTORY", COL_SPARK, 0);
	}
	rv->src = (struct tview_src){ rv->ncols, rv->cols, rv->wide, src_count, src_key,
				      src_name, src_created, src_rank, src_style, src_cell, rv };
}

/* ---- resource views ------------------------------------------------- */

static void res_refresh(struct res_view *rv)
{
	free(rv->items);
	rv->items = NULL;
	rv->nitems = kube_cache_items(rv->cache, &rv->items);
	/* Objects that failed to project are not shown. */
	size_t n = 0;
	for (size_t i = 0; i < rv->nitems; i++)
		if (rv->items[i]->proj)
			rv->items[n++] = rv->items[i];
	rv->nitems = n;
	rv->seen = kube_cache_changes(rv->cache);
	tview_refresh(&rv->tv, &rv->src);
	/* The breadcrumb carries the count, as k9s's title does. */
	char *at = strchr(rv->v.title, '[');
	if (at && at > rv->v.title)
		at[-1] = '\0';
	size_t len = strlen(rv->v.title);
	snprintf(rv->v.title + len, sizeof rv->v.title - len, " [%d]", rv->tv.n);
}

static void res_render(struct view *v, struct dash *d, struct frame *f, int y, int h)
{
	struct res_view *rv = (struct res_view *)v;
	tview_render(&rv->tv, &rv->src, f, 0, y, f->w, h, d->utf8);
	if (rv->nitems == 0 && h > 2) {
		const char *msg = !kube_cache_synced(rv->cache) ? "loading..."
				  : rv->models ? "no model deployments here (deploy one with podium deploy; :deploy lists all)"
					       : "nothing here";
		if (kube_cache_error(rv->cache))
			msg = kube_cache_error(rv->cache);
		char *clean = sanitize_text(msg, strlen(msg), 0);
		frame_put(f, y + 2, 2, clean, f->w - 4,
			  kube_cache_error(rv->cache) ? TH_ERROR : TH_PENDING);
		free(clean);
	}
}

static void res_filter(struct view *v, struct dash *d, const char *text);

static int res_act(struct view *v, struct dash *d, enum action a)
{
	struct res_view *rv = (struct res_view *)v;
	if (a == A_LEFT || a == A_RIGHT)
		return 0;
	return tview_action(&rv->tv, &rv->src, a, d->body_h);
}

static void res_free(struct view *v)
{
	struct res_view *rv = (struct res_view *)v;
	if (rv->cache)
		kube_watchset_remove(rv->k->ws, rv->cache);
	free(rv->items);
	free(rv->ns);
	free(rv->selector);
	tview_free(&rv->tv);
	free(rv);
}

static const struct view_ops res_ops = {
	.scopes = SCOPE_TABLE | SCOPE_RESOURCE,
	.render = res_render,
	.act = res_act,
	.filter = res_filter,
	.free = res_free,
};

static int res_watch(struct res_view *rv)
{
	char *path = kube_kind_path(rv->kind, rv->ns, NULL);
	struct kube_cache_spec spec = {
		.path = path,
		.label_selector = rv->selector,
		.project = project,
		.project_free = project_free,
		.project_ctx = (void *)rv->kind,
	};
	rv->cache = kube_watchset_add(rv->k->ws, &spec);
	free(path);
	return rv->cache ? 0 : -1;
}

static struct view *res_view_new(struct dkube *k, const struct kube_kind *kind, const char *ns,
				 const char *selector, int models, const char *title)
{
	struct res_view *rv = xcalloc(1, sizeof *rv);
	rv->v.ops = &res_ops;
	rv->k = k;
	rv->kind = kind;
	rv->ns = kind->namespaced && ns ? xstrdup(ns) : NULL;
	rv->models = models;
	rv->selector = models ? xstrdup(kind->selector ? kind->selector : "podium.dev/model")
			      : xstrdup(selector);
	tview_init(&rv->tv);
	setup_columns(rv);
	snprintf(rv->v.title, sizeof rv->v.title, "%s%s%s", title,
		 rv->ns ? "@" : kind->namespaced ? "@all" : "", rv->ns ? rv->ns : "");
	if (res_watch(rv) < 0) {
		res_free(&rv->v);
		return NULL;
	}
	res_refresh(rv);
	return &rv->v;
}

/* `/-l app=web`: a label selector sent to the server; else a substring. */
static void res_filter(struct view *v, struct dash *d, const char *text)
{
	struct res_view *rv = (struct res_view *)v;
	if (strncmp(text, "-l", 2) == 0) {
		const char *sel = text + 2;
		while (*sel == ' ')
			sel++;
		kube_watchset_remove(rv->k->ws, rv->cache);
		rv->cache = NULL;
		free(rv->items);
		rv->items = NULL;
		rv->nitems = 0;
		free(rv->selector);
		rv->selector = *sel ? xstrdup(sel) : NULL;
		if (res_watch(rv) < 0)
			dash_message(d, 1, "cannot watch %s", rv->kind->plural);
		else
			res_refresh(rv);
		tview_set_filter(&rv->tv, &rv->src, "");
		return;
	}
	tview_set_filter(&rv->tv, &rv->src, text);
}

static struct res_view *as_res(struct view *v)
{
	return v && v->ops == &res_ops ? (struct res_view *)v : NULL;
}

/* ---- actions on the selection ------------------------------------------ */

static const struct kube_obj *selected(struct res_view *rv)
{
	int i = tview_selected(&rv->tv);
	return i >= 0 ? obj_of(rv, i) : NULL;
}

static int is_kind(const struct res_view *rv, const char *kind)
{
	return strcmp(rv->kind->kind, kind) == 0;
}

/* Deployments (and models) open their pods; the selector is the
 * deployment's, as kubectl get pods -l would take it. */
static void open_pods_of(struct dkube *k, struct res_view *rv, const struct kube_obj *o)
{
	const struct kube_column *cols = rv->kind->columns;
	const char *sel = NULL;
	for (size_t c = 0; cols[c].name && c < o->ncols; c++)
		if (!strcmp(cols[c].name, "SELECTOR"))
			sel = o->cols[c];
	const struct kube_kind *pods = kube_kind_find("pods");
	char title[160];
	snprintf(title, sizeof title, "pods:%s", o->name);
	struct view *v = res_view_new(k, pods, o->namespace, sel && *sel ? sel : NULL, 0, title);
	if (v)
		dash_push(k->d, v);
}

static void slot_clear(struct action_slot *ms)
{
	free(ms->held);
	ms->held = NULL;
	ms->held_len = 0;
	ms->used = 0;
}

static void action_answered(void *ud, const struct kube_answer *a)
{
	struct action_slot *ms = ud;
	ms->used = 0;
	if (a->ok)
		ms->step(ms, a); /* may send the action's next request */
	else
		dash_message(ms->k->d, 1, "%s", a->error ? a->error : "the request failed");
	if (!ms->used)
		slot_clear(ms);
}

/* Send m (freed) for slot ms, whose answer goes to step. 0, or -1 with
 * the error said. */
static int slot_send(struct action_slot *ms, struct kube_call *m,
		     void (*step)(struct action_slot *, const struct kube_answer *))
{
	struct dkube *k = ms->k;
	struct perr e = { { 0 } };
	ms->step = step;
	int rc = kube_watchset_request(k->ws, k->client, m->method, m->path, m->query,
				       m->content_type, m->body, m->body ? strlen(m->body) : 0,
				       action_answered, ms, &ms->id, &e);
	if (rc < 0)
		dash_message(k->d, 1, "%s", e.msg);
	else
		ms->used = 1;
	kube_call_free(m);
	return rc;
}

static void step_said(struct action_slot *ms, const struct kube_answer *a)
{
	(void)a;
	dash_message(ms->k->d, 0, "%s", ms->done);
}

static void step_yaml(struct action_slot *ms, const struct kube_answer *a)
{
	struct perr e = { { 0 } };
	char *y = kube_op_yaml_answer(a->body, a->len, 0, &e);
	if (!y) {
		dash_message(ms->k->d, 1, "%s", e.msg);
		return;
	}
	dash_push(ms->k->d, dash_text_view(ms->done, y));
	free(y);
}

/* Send m (freed) as a new action on ns/name; its answer goes to step,
 * doing is said now, done kept for the end. The slot, or NULL with the
 * reason said. The answer comes from a later loop iteration, so the
 * caller may still fill the slot. */
static struct action_slot *send_action(struct dkube *k, struct kube_call *m,
				       void (*step)(struct action_slot *, const struct kube_answer *),
				       const char *ns, const char *name, const char *doing,
				       const char *done)
{
	struct action_slot *ms = NULL;
	for (size_t i = 0; i < sizeof k->actions / sizeof *k->actions && !ms; i++)
		if (!k->actions[i].used)
			ms = &k->actions[i];
	if (!ms) {
		dash_message(k->d, 1, "too many requests still going: try again in a moment");
		kube_call_free(m);
		return NULL;
	}
	slot_clear(ms);
	ms->k = k;
	ms->rev = 0;
	snprintf(ms->ns, sizeof ms->ns, "%s", ns ? ns : "");
	snprintf(ms->name, sizeof ms->name, "%s", name ? name : "");
	snprintf(ms->done, sizeof ms->done, "%s", done);
	if (slot_send(ms, m, step) < 0)
		return NULL;
	dash_message(k->d, 0, "%s", doing);
	return ms;
}

/* The watch set goes (a context switch, the end): the requests still out
 * are cancelled first, so none answers into a slot that is gone. */
static void actions_forget(struct dkube *k)
{
	for (size_t i = 0; i < sizeof k->actions / sizeof *k->actions; i++) {
		struct action_slot *ms = &k->actions[i];
		if (ms->used && ms->gather)
			kube_gather_cancel(ms->gather);
		else if (ms->used)
			kube_watchset_cancel(k->ws, ms->id);
		ms->gather = NULL;
		slot_clear(ms);
	}
	k->probing = 0; /* its request goes with the watch set */
}

struct scale_ctx {
	struct dkube *k;
	const struct kube_kind *kind;
	char ns[64], name[256];
};

static void scale_done(struct dash *d, struct dialog *dl, int ok)
{
	struct scale_ctx *sc = dl->ud;
	if (!ok)
		return;
	struct perr e = { { 0 } };
	long n = atol(dl->input);
	struct kube_call m;
	if (kube_scale_call(sc->kind, sc->ns, sc->name, n, &m, &e) < 0) {
		dash_message(d, 1, "%s", e.msg);
		return;
	}
	char doing[300], done[300];
	snprintf(doing, sizeof doing, "scaling %s.%s/%s to %ld...", sc->kind->plural,
		 sc->kind->group[0] ? sc->kind->group : "", sc->name, n);
	snprintf(done, sizeof done, "%s.%s/%s scaled to %ld", sc->kind->plural,
		 sc->kind->group[0] ? sc->kind->group : "", sc->name, n);
	send_action(sc->k, &m, step_said, sc->ns, sc->name, doing, done);
}

static void delete_done(struct dash *d, struct dialog *dl, int ok)
{
	struct scale_ctx *sc = dl->ud;
	if (!ok)
		return;
	(void)d;
	struct kube_call m;
	kube_delete_call(sc->kind, sc->ns, sc->name, KUBE_PROP_BACKGROUND, &m);
	char doing[300], done[300];
	snprintf(doing, sizeof doing, "deleting %s \"%s\"...", sc->kind->singular, sc->name);
	snprintf(done, sizeof done, "%s \"%s\" deleted", sc->kind->singular, sc->name);
	send_action(sc->k, &m, step_said, sc->ns, sc->name, doing, done);
}

static struct dialog *dialog_new(struct dkube *k, const struct kube_kind *kind, const char *ns,
				 const char *name, enum dialog_kind dkind,
				 void (*done)(struct dash *, struct dialog *, int))
{
	struct dialog *dl = xcalloc(1, sizeof *dl);
	struct scale_ctx *sc = xcalloc(1, sizeof *sc);
	sc->k = k;
	sc->kind = kind;
	snprintf(sc->ns, sizeof sc->ns, "%s", ns);
	snprintf(sc->name, sizeof sc->name, "%s", name);
	dl->kind = dkind;
	dl->ud = sc;
	dl->ud_free = free;
	dl->on_done = done;
	return dl;
}

static struct dialog *dialog_for(struct dkube *k, struct res_view *rv, const struct kube_obj *o,
				 enum dialog_kind kind, void (*done)(struct dash *, struct dialog *, int))
{
	return dialog_new(k, rv->kind, o->namespace, o->name, kind, done);
}

/* ---- undo: the Deployment, its ReplicaSets, then the picker or the
 * rollback, each request sent when the one before answered ---- */

static void undo_picked(struct dash *d, struct dialog *dl, int ok);

static void undo_history(struct action_slot *ms, const struct kube_answer *a)
{
	struct dkube *k = ms->k;
	struct perr e = { { 0 } };
	if (ms->rev > 0) {
		long chosen = 0;
		struct kube_call m;
		int rc = kube_op_undo(ms->ns, ms->name, ms->held, ms->held_len, a->body, a->len, ms->rev,
				      &chosen, &m, &e);
		if (rc < 0)
			dash_message(k->d, 1, "%s", e.msg);
		else if (rc == 1)
			dash_message(k->d, 0, "skipped rollback (current template already matches revision %ld)",
				     chosen);
		else
			slot_send(ms, &m, step_said);
		return;
	}
	struct kube_rev_info *revs = NULL;
	size_t n = kube_op_revisions(ms->held, ms->held_len, a->body, a->len, &revs, &e);
	if (n == 0) {
		dash_message(k->d, 1, "%s", perr_isset(&e) ? e.msg : "no rollout history found");
		kube_rev_info_free(revs, n);
		return;
	}
	struct dialog *dl = dialog_new(k, kube_kind_find("deployments"), ms->ns, ms->name, DIALOG_PICK,
				       undo_picked);
	snprintf(dl->title, sizeof dl->title, "Undo %.100s", ms->name);
	snprintf(dl->prompt, sizeof dl->prompt, "Roll back to revision (enter), esc: cancel");
	dl->options = xcalloc(n, sizeof *dl->options);
	for (size_t i = 0; i < n; i++)
		dl->options[dl->noptions++] = xasprintf("%-4ld %s%s%s", revs[i].revision, revs[i].image,
							revs[i].change_cause[0] ? "  " : "",
							revs[i].change_cause);
	dl->sel = n > 1 ? 1 : 0; /* the previous revision */
	kube_rev_info_free(revs, n);
	dialog_open(k->d, dl);
}

static void undo_deployment(struct action_slot *ms, const struct kube_answer *a)
{
	struct perr e = { { 0 } };
	struct kube_call m;
	if (kube_op_history_call(a->body, a->len, &m, &e) < 0) {
		dash_message(ms->k->d, 1, "%s", e.msg);
		return;
	}
	ms->held = xmalloc(a->len + 1);
	memcpy(ms->held, a->body ? a->body : "", a->len);
	ms->held[a->len] = 0;
	ms->held_len = a->len;
	slot_send(ms, &m, undo_history);
}

/* Read the history of deployment ns/name afresh (as kubectl rollout undo
 * does), then roll back to rev, or (rev 0) offer the picker. */
static void undo_start(struct dkube *k, const char *ns, const char *name, long rev)
{
	struct kube_call m = { .method = "GET",
			       .path = kube_kind_path(kube_kind_find("deployments"), ns, name) };
	char doing[400], done[400];
	if (rev > 0)
		snprintf(doing, sizeof doing, "rolling deployment.apps/%s back to revision %ld...", name, rev);
	else
		snprintf(doing, sizeof doing, "reading the revisions of deployment.apps/%s...", name);
	snprintf(done, sizeof done, "deployment.apps/%s rolled back to revision %ld", name, rev);
	struct action_slot *ms = send_action(k, &m, undo_deployment, ns, name, doing, done);
	if (ms)
		ms->rev = rev;
}

static void undo_picked(struct dash *d, struct dialog *dl, int ok)
{
	struct scale_ctx *sc = dl->ud;
	(void)d;
	if (ok && dl->sel >= 0)
		undo_start(sc->k, sc->ns, sc->name, atol(dl->options[dl->sel]));
}

/* ---- edit: the object's YAML in $EDITOR, then server-side apply ---- */

/* The editor on y; the edited text (caller frees), or NULL with the
 * reason said (also "no changes"). */
static char *run_editor(struct dash *d, const char *y)
{
	struct perr e = { { 0 } };
	char path[] = "/tmp/podium-edit-XXXXXX.yaml";
	int fd = mkstemps(path, 5);
	if (fd < 0 || write(fd, y, strlen(y)) != (ssize_t)strlen(y)) {
		dash_message(d, 1, "cannot write a temporary file: %s", strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		return NULL;
	}
	close(fd);
	const char *editor = getenv("EDITOR");
	if (!editor || !*editor)
		editor = "vi";
	term_suspend(d->term);
	pid_t pid = fork();
	if (pid == 0) {
		execlp("sh", "sh", "-c", "exec $0 \"$1\"", editor, path, (char *)NULL);
		_exit(127);
	}
	int st = 0;
	if (pid > 0)
		waitpid(pid, &st, 0);
	term_resume(d->term);
	char *edited = NULL;
	size_t len = 0;
	if (pid < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		dash_message(d, 1, "the editor failed: nothing applied");
	} else if (read_file(path, 3 << 20, &edited, &len, &e) < 0) {
		dash_message(d, 1, "%s", e.msg);
	} else if (strcmp(edited, y) == 0) {
		dash_message(d, 0, "Edit cancelled, no changes made.");
		free(edited);
		edited = NULL;
	}
	unlink(path);
	return edited;
}

/* The GET answered: edit its YAML, then send the apply. */
static void edit_answered(struct action_slot *ms, const struct kube_answer *a)
{
	struct dash *d = ms->k->d;
	struct perr e = { { 0 } };
	char *y = kube_op_yaml_answer(a->body, a->len, 1, &e);
	if (!y) {
		dash_message(d, 1, "%s", e.msg);
		return;
	}
	char *edited = run_editor(d, y);
	struct kube_call m;
	if (!edited) {
		/* the reason is said */
	} else if (kube_op_apply_call(ms->ns, edited, &m, &e) < 0) {
		dash_message(d, 1, "%s", e.msg);
	} else if (slot_send(ms, &m, step_said) == 0) {
		dash_message(d, 0, "applying %s...", ms->name);
	}
	free(edited);
	free(y);
}

static void edit(struct dkube *k, struct res_view *rv, const struct kube_obj *o)
{
	struct kube_call m = { .method = "GET", .path = kube_kind_path(rv->kind, o->namespace, o->name) };
	char doing[400], done[400];
	snprintf(doing, sizeof doing, "getting %s to edit...", o->name);
	snprintf(done, sizeof done, "%s/%s edited", rv->kind->singular, o->name);
	send_action(k, &m, edit_answered, o->namespace, o->name, doing, done);
}

/* Logs of the selected pod, followed. */
static void open_logs(struct dkube *k, struct res_view *rv, const struct kube_obj *o)
{
	if (!is_kind(rv, "Pod")) {
		dash_message(k->d, 1, "logs: select a pod (enter opens a deployment's pods)");
		return;
	}
	struct perr e = { { 0 } };
	struct view *v = log_view_new(k->client, o->namespace, o->name, k->log_lines, &e);
	if (!v) {
		dash_message(k->d, 1, "%s", e.msg);
		return;
	}
	dash_push(k->d, v);
}

/* ---- describe: the object, then the requests its text needs, all at
 * once; the text view when the last has answered ---- */

static void describe_show(struct action_slot *ms, const struct kube_answer *answers, size_t n)
{
	struct perr e = { { 0 } };
	char *text = kube_describe_text(ms->kind, ms->name, ms->held, ms->held_len, answers, n,
					(long long)time(NULL), &e);
	if (!text) {
		dash_message(ms->k->d, 1, "%s", e.msg);
		return;
	}
	char *aligned = tabwriter_format(text, 0, 2);
	dash_message(ms->k->d, 0, "%s", "");
	dash_push(ms->k->d, dash_text_view(ms->done, aligned));
	free(aligned);
	free(text);
}

static void describe_gathered(void *ud, const struct kube_answer *answers, size_t n)
{
	struct action_slot *ms = ud;
	ms->gather = NULL;
	describe_show(ms, answers, n);
	slot_clear(ms);
}

static void describe_object(struct action_slot *ms, const struct kube_answer *a)
{
	struct dkube *k = ms->k;
	struct perr e = { { 0 } };
	struct kube_call calls[KUBE_DESCRIBE_MAX_CALLS];
	size_t n = 0;
	if (kube_describe_calls(ms->kind, ms->name, a->body, a->len, calls, &n, &e) < 0) {
		dash_message(k->d, 1, "%s", e.msg);
		return;
	}
	ms->held = xmalloc(a->len + 1);
	memcpy(ms->held, a->body ? a->body : "", a->len);
	ms->held[a->len] = 0;
	ms->held_len = a->len;
	if (n == 0) {
		describe_show(ms, NULL, 0);
		return;
	}
	ms->gather = kube_gather_send(k->ws, k->client, calls, n, describe_gathered, ms, &e);
	for (size_t i = 0; i < n; i++)
		kube_call_free(&calls[i]);
	if (ms->gather)
		ms->used = 1; /* until describe_gathered */
	else
		dash_message(k->d, 1, "%s", e.msg);
}

static void describe(struct dkube *k, struct res_view *rv, const struct kube_obj *o)
{
	struct kube_call m = { .method = "GET", .path = kube_kind_path(rv->kind, o->namespace, o->name) };
	char doing[400], title[300];
	snprintf(doing, sizeof doing, "describing %s/%s...", rv->kind->singular, o->name);
	snprintf(title, sizeof title, "describe:%s", o->name);
	struct action_slot *ms = send_action(k, &m, describe_object, o->namespace, o->name, doing, title);
	if (ms)
		ms->kind = rv->kind;
}

static void build_done(struct dash *d, struct dialog *dl, int ok)
{
	struct scale_ctx *sc = dl->ud;
	struct dkube *k = sc->k;
	if (!ok)
		return;
	snprintf(k->last_model, sizeof k->last_model, "%s", dl->text[0]);
	snprintf(k->last_image, sizeof k->last_image, "%s", dl->text[1]);
	struct perr e = { { 0 } };
	struct view *v = build_view_new(k->ws, sc->ns, dl->text[0], dl->text[1], &e);
	if (!v) {
		dash_message(d, 1, "%s", e.msg);
		return;
	}
	dash_push(d, v);
}

/* b: a dialog for the model file and the image, then the build view. The
 * build goes into the selected object's namespace; the image defaults to
 * the last one built, else a model deployment's own. */
static void open_build(struct dkube *k, struct res_view *rv, const struct kube_obj *o)
{
	struct dialog *dl = dialog_for(k, rv, o, DIALOG_TEXT, build_done);
	if (!rv->kind->namespaced)
		snprintf(((struct scale_ctx *)dl->ud)->ns, sizeof ((struct scale_ctx *)dl->ud)->ns, "%s", k->ns);
	snprintf(dl->title, sizeof dl->title, "Build a model image in %s", ((struct scale_ctx *)dl->ud)->ns);
	snprintf(dl->prompt, sizeof dl->prompt, "tab: next field  enter: build  esc: cancel");
	dl->nfields = 2;
	snprintf(dl->label[0], sizeof dl->label[0], "model file");
	snprintf(dl->label[1], sizeof dl->label[1], "image");
	snprintf(dl->text[0], sizeof dl->text[0], "%s", k->last_model);
	const char *img = rv->models ? col_text(rv, o, "IMAGE") : "";
	snprintf(dl->text[1], sizeof dl->text[1], "%s", k->last_image[0] ? k->last_image : img);
	dl->field = dl->text[0][0] ? 1 : 0;
	dialog_open(k->d, dl);
}
static void use_namespace(struct dkube *k, const char *ns, int all);

static void compare_done(struct dash *d, struct dialog *dl, int ok)
{
	struct scale_ctx *sc = dl->ud;
	struct dkube *k = sc->k;
	if (!ok)
		return;
	snprintf(k->last_model, sizeof k->last_model, "%s", dl->text[0]);
	struct perr e = { { 0 } };
	struct view *v = compare_view_new(k->ws, sc->ns, sc->name, dl->text[0],
					  atoi(dl->text[1]), &e);
	if (!v) {
		dash_message(d, 1, "%s", e.msg);
		return;
	}
	dash_push(d, v);
}

/* c: a dialog for the local model file (the last one taken) and how many
 * test images, then the compare view. */
static void open_compare(struct dkube *k, struct res_view *rv, const struct kube_obj *o)
{
	struct dialog *dl = dialog_for(k, rv, o, DIALOG_TEXT, compare_done);
	snprintf(dl->title, sizeof dl->title, "Compare %s with a local model", o->name);
	snprintf(dl->prompt, sizeof dl->prompt, "tab: next field  enter: compare  esc: cancel");
	dl->nfields = 2;
	snprintf(dl->label[0], sizeof dl->label[0], "model file");
	snprintf(dl->label[1], sizeof dl->label[1], "test images");
	snprintf(dl->text[0], sizeof dl->text[0], "%s", k->last_model);
	snprintf(dl->text[1], sizeof dl->text[1], "500");
	dialog_open(k->d, dl);
}

/* A whole number in [min, max] from a dialog field, or -1. */
static long field_long(const char *t, long min, long max)
{
	char *end;
	long n = strtol(t, &end, 10);
	return *t && !*end && n >= min && n <= max ? n : -1;
}

static void rollout_done(struct dash *d, struct dialog *dl, int ok)
{
	struct scale_ctx *sc = dl->ud;
	struct dkube *k = sc->k;
	if (!ok)
		return;
	struct perr e = { { 0 } };
	double min;
	long replicas = field_long(dl->text[2], 1, 100), samples = field_long(dl->text[4], 1, 10000);
	if (kube_validate_image(dl->text[0], &e) < 0) {
		dash_message(d, 1, "%s", e.msg);
		return;
	}
	if (replicas < 0 || samples < 0 || cli_parse_agreement(dl->text[3], &min) < 0) {
		dash_message(d, 1, "canary replicas (1-100), min agreement (99.5%% or 0.995) and test "
				   "images (1-10000) must be numbers");
		return;
	}
	snprintf(k->last_model, sizeof k->last_model, "%s", dl->text[1]);
	struct view *v = rollout_view_new(k->ws, sc->ns, sc->name, dl->text[0], dl->text[1],
					  (int)replicas, min, (int)samples, &e);
	if (!v) {
		dash_message(d, 1, "%s", e.msg);
		return;
	}
	dash_push(d, v);
}

/* p: a dialog for the new image (the deployment's own offered), the model
 * file it must agree with, the canary's replicas, the minimum agreement
 * and the test images, as `podium rollout model` takes them; then the
 * rollout view. */
static void open_rollout(struct dkube *k, struct res_view *rv, const struct kube_obj *o)
{
	struct dialog *dl = dialog_for(k, rv, o, DIALOG_TEXT, rollout_done);
	snprintf(dl->title, sizeof dl->title, "Roll out %s behind a canary", o->name);
	snprintf(dl->prompt, sizeof dl->prompt, "tab: next field  enter: roll out  esc: cancel");
	dl->nfields = 5;
	static const char *const labels[] = { "new image", "model file", "canary replicas",
					      "min agreement", "test images" };
	for (int i = 0; i < 5; i++)
		snprintf(dl->label[i], sizeof dl->label[i], "%s", labels[i]);
	snprintf(dl->text[0], sizeof dl->text[0], "%s", col_text(rv, o, "IMAGE"));
	snprintf(dl->text[1], sizeof dl->text[1], "%s", k->last_model);
	snprintf(dl->text[2], sizeof dl->text[2], "1");
	snprintf(dl->text[3], sizeof dl->text[3], "99.5%%");
	snprintf(dl->text[4], sizeof dl->text[4], "1000");
	dialog_open(k->d, dl);
}

static int kube_action(struct dash *d, struct view *v, enum action a)
{
	struct dkube *k = d->backend->ud;
	struct res_view *rv = as_res(v);
	if (a == A_REFRESH && rv) {
		kube_watchset_remove(k->ws, rv->cache);
		rv->cache = NULL;
		free(rv->items);
		rv->items = NULL;
		rv->nitems = 0;
		res_watch(rv);
		res_refresh(rv);
		dash_message(d, 0, "listing %s again", rv->kind->plural);
		return 1;
	}
	if (!rv)
		return 0;
	const struct kube_obj *o = selected(rv);
	if (!o) {
		dash_message(d, 1, "nothing selected");
		return 1;
	}
	char title[300];
	int deploy = is_kind(rv, "Deployment");
	switch (a) {
	case A_ENTER:
		if (deploy || is_kind(rv, "ReplicaSet") || is_kind(rv, "Job"))
			open_pods_of(k, rv, o);
		else if (is_kind(rv, "Pod"))
			open_logs(k, rv, o);
		else if (is_kind(rv, "Namespace")) {
			/* the views reopen: o goes with this view's cache */
			char ns[64];
			snprintf(ns, sizeof ns, "%s", o->name);
			use_namespace(k, ns, 0);
		}
		return 1;
	case A_DESCRIBE:
		describe(k, rv, o);
		return 1;
	case A_YAML:
		{
			struct kube_call m = { .method = "GET",
					       .path = kube_kind_path(rv->kind, o->namespace, o->name) };
			char doing[300];
			snprintf(title, sizeof title, "yaml:%s", o->name);
			snprintf(doing, sizeof doing, "getting %s...", o->name);
			send_action(k, &m, step_yaml, o->namespace, o->name, doing, title);
		}
		return 1;
	case A_EDIT:
		edit(k, rv, o);
		return 1;
	case A_LOGS:
		open_logs(k, rv, o);
		return 1;
	case A_EVENTS: {
		const struct kube_kind *ev = kube_kind_find("events");
		char sel[300];
		snprintf(sel, sizeof sel, "events:%s", o->name);
		struct view *nv = res_view_new(k, ev, o->namespace, NULL, 0, sel);
		if (nv) {
			dash_push(d, nv);
			struct res_view *erv = as_res(nv);
			snprintf(nv->filter_text, sizeof nv->filter_text, "%s", o->name);
			tview_set_filter(&erv->tv, &erv->src, "");
		}
		return 1;
	}
	case A_SCALE: {
		if (!deploy && !is_kind(rv, "ReplicaSet")) {
			dash_message(d, 1, "scale: select a deployment or replica set");
			return 1;
		}
		struct dialog *dl = dialog_for(k, rv, o, DIALOG_NUMBER, scale_done);
		snprintf(dl->title, sizeof dl->title, "Scale %s", o->name);
		snprintf(dl->prompt, sizeof dl->prompt, "Replicas (up/down or digits):");
		/* READY is "ready/desired": start from the desired count. */
		const char *ready = col_text(rv, o, "READY");
		snprintf(dl->input, sizeof dl->input, "%ld",
			 strchr(ready, '/') ? atol(strchr(ready, '/') + 1) : 1);
		dialog_open(d, dl);
		return 1;
	}
	case A_RESTART:
		if (!deploy) {
			dash_message(d, 1, "restart: select a deployment");
			return 1;
		}
		{
			struct kube_call m;
			char doing[300], done[300];
			kube_restart_call(o->namespace, o->name, (long long)time(NULL), &m);
			snprintf(doing, sizeof doing, "restarting deployment.apps/%s...", o->name);
			snprintf(done, sizeof done, "deployment.apps/%s restarted", o->name);
			send_action(k, &m, step_said, o->namespace, o->name, doing, done);
		}
		return 1;
	case A_UNDO:
		if (!deploy) {
			dash_message(d, 1, "undo: select a deployment");
			return 1;
		}
		undo_start(k, o->namespace, o->name, 0);
		return 1;
	case A_DELETE: {
		struct dialog *dl = dialog_for(k, rv, o, DIALOG_CONFIRM, delete_done);
		snprintf(dl->title, sizeof dl->title, "Delete");
		snprintf(dl->prompt, sizeof dl->prompt, "Delete %s %s/%s?", rv->kind->singular,
			 o->namespace, o->name);
		dialog_open(d, dl);
		return 1;
	}
	case A_COMPARE:
		if (!deploy) {
			dash_message(d, 1, "compare: select a model deployment (:models)");
			return 1;
		}
		open_compare(k, rv, o);
		return 1;
	case A_BUILD:
		open_build(k, rv, o);
		return 1;
	case A_ROLLOUT:
		if (!deploy) {
			dash_message(d, 1, "rollout: select a model deployment (:models)");
			return 1;
		}
		open_rollout(k, rv, o);
		return 1;
	default:
		return 0;
	}
}

/* ---- commands, the loop's hooks ------------------------------------------- */

/* ---- contexts: the kubeconfig's, one switched to in place ------------ */

struct ctx_row {
	char *name, *cluster, *user, *ns;
	int current;
};

struct ctx_view {
	struct view v;
	struct dkube *k;
	struct ctx_row *rows;
	int n;
	struct tview tv;
	struct tview_src src;
};

static const char *const ctx_cols[] = { "", "NAME", "CLUSTER", "USER", "NAMESPACE" };

static int ctx_count(void *ud)
{
	return ((struct ctx_view *)ud)->n;
}

static const char *ctx_name(void *ud, int i)
{
	return ((struct ctx_view *)ud)->rows[i].name;
}

static void ctx_cell(void *ud, int i, int col, char *buf, size_t n)
{
	const struct ctx_row *r = &((struct ctx_view *)ud)->rows[i];
	const char *v = col == 0 ? (r->current ? "*" : "") : col == 1 ? r->name
		      : col == 2 ? r->cluster : col == 3 ? r->user : r->ns;
	char *clean = sanitize_text(v ? v : "", strlen(v ? v : ""), 0);
	snprintf(buf, n, "%s", clean);
	free(clean);
}

static enum theme_elem ctx_style(void *ud, int i)
{
	return ((struct ctx_view *)ud)->rows[i].current ? TH_OK : TH_TABLE_ROW;
}

static void ctx_render(struct view *v, struct dash *d, struct frame *f, int y, int h)
{
	struct ctx_view *cv = (struct ctx_view *)v;
	tview_render(&cv->tv, &cv->src, f, 0, y, f->w, h, d->utf8);
}

static void ctx_filter(struct view *v, struct dash *d, const char *text)
{
	(void)d;
	struct ctx_view *cv = (struct ctx_view *)v;
	tview_set_filter(&cv->tv, &cv->src, text);
}

static void ctx_free(struct view *v)
{
	struct ctx_view *cv = (struct ctx_view *)v;
	for (int i = 0; i < cv->n; i++) {
		free(cv->rows[i].name);
		free(cv->rows[i].cluster);
		free(cv->rows[i].user);
		free(cv->rows[i].ns);
	}
	free(cv->rows);
	tview_free(&cv->tv);
	free(cv);
}

static int switch_context(struct dkube *k, const char *name);

static int ctx_act(struct view *v, struct dash *d, enum action a)
{
	struct ctx_view *cv = (struct ctx_view *)v;
	if (a != A_ENTER)
		return tview_action(&cv->tv, &cv->src, a, d->body_h);
	int i = tview_selected(&cv->tv);
	if (i < 0)
		return 1;
	/* switching frees this view: nothing of cv after it */
	char *name = xstrdup(cv->rows[i].name);
	switch_context(cv->k, name);
	free(name);
	return 1;
}

static const struct view_ops ctx_ops = {
	.scopes = SCOPE_TABLE,
	.render = ctx_render,
	.act = ctx_act,
	.filter = ctx_filter,
	.free = ctx_free,
};

static struct kube_config *load_kubeconfig(struct dkube *k, struct perr *e)
{
	struct kube_config_opts o = { .kubeconfig = k->d->app ? k->d->app->g.kubeconfig : NULL };
	return kube_config_load(&o, e);
}

static struct view *ctx_view_new(struct dkube *k, struct perr *e)
{
	struct kube_config *cfg = load_kubeconfig(k, e);
	if (!cfg)
		return NULL;
	size_t n = 0;
	const char *const *names = kube_config_contexts(cfg, &n);
	const char *cur = kube_client_conn(k->client)->context;
	struct ctx_view *cv = xcalloc(1, sizeof *cv);
	cv->v.ops = &ctx_ops;
	cv->k = k;
	cv->rows = xcalloc(n ? n : 1, sizeof *cv->rows);
	for (size_t i = 0; i < n; i++) {
		struct ctx_row *r = &cv->rows[cv->n++];
		r->name = xstrdup(names[i]);
		r->current = cur && !strcmp(cur, names[i]);
		/* cluster, user and namespace as the context resolves; a context
		 * that does not resolve is still listed (enter says why) */
		struct perr re = { { 0 } };
		struct kube_conn *conn = kube_config_resolve(cfg, names[i], NULL, &re);
		if (conn) {
			r->cluster = xstrdup(conn->cluster ? conn->cluster : "");
			r->user = xstrdup(conn->user ? conn->user : "");
			r->ns = xstrdup(conn->namespace ? conn->namespace : "");
		}
		kube_conn_free(conn);
	}
	kube_config_free(cfg);
	cv->src = (struct tview_src){ 5, ctx_cols, NULL, ctx_count, ctx_name, ctx_name, NULL, NULL,
				      ctx_style, ctx_cell, cv };
	tview_init(&cv->tv);
	tview_refresh(&cv->tv, &cv->src);
	for (int i = 0; i < cv->tv.n; i++)
		if (cv->rows[cv->tv.order[i]].current)
			cv->tv.sel = i;
	snprintf(cv->v.title, sizeof cv->v.title, "contexts [%d]", cv->n);
	return &cv->v;
}

static const char *current_context(struct dkube *k)
{
	const char *c = kube_client_conn(k->client)->context;
	return c ? c : "";
}

/* Merge this context's view into the file as it is now (another dashboard
 * may have written other contexts since this one started). */
static void save_state(struct dkube *k)
{
	if (!k->state_file || !k->view[0])
		return;
	struct dash_state *st = xcalloc(1, sizeof *st);
	struct perr e = { { 0 } };
	if (state_load(k->state_file, st, &e) < 0)
		memset(st, 0, sizeof *st); /* unreadable: written anew */
	state_set(st, current_context(k), k->view);
	perr_clear(&e);
	if (state_save(k->state_file, st, &e) < 0)
		dash_message(k->d, 1, "%s", e.msg);
	free(st);
}

static void set_header(struct dkube *k)
{
	struct dash *d = k->d;
	const struct kube_conn *conn = kube_client_conn(k->client);
	snprintf(d->hdr.context, sizeof d->hdr.context, "%s", conn->context ? conn->context : "");
	snprintf(d->hdr.cluster, sizeof d->hdr.cluster, "%s", conn->cluster ? conn->cluster : "");
	snprintf(d->hdr.user, sizeof d->hdr.user, "%s", conn->user ? conn->user : "");
	snprintf(d->hdr.namespace, sizeof d->hdr.namespace, "%s", k->all_ns ? "all" : k->ns);
	d->hdr.watches[0] = '\0';
}

static void kube_command(struct dash *d, const struct dash_cmd *c, const char *arg);

/* Open the root view again (after the namespace or context changed). */
static void reopen(struct dkube *k)
{
	const struct dash_cmd *c = dash_cmd_find(k->view[0] ? k->view : "models");
	kube_command(k->d, c ? c : dash_cmd_find("models"), NULL);
}

static void use_namespace(struct dkube *k, const char *ns, int all)
{
	if (!all)
		snprintf(k->ns, sizeof k->ns, "%s", ns);
	k->all_ns = all;
	k->ns_chosen = 1;
	snprintf(k->d->hdr.namespace, sizeof k->d->hdr.namespace, "%s", all ? "all" : k->ns);
	reopen(k);
	dash_message(k->d, 0, "namespace %s", k->d->hdr.namespace);
}

/* A client for context name, as kubectl would make it with --context. */
static struct kube_client *client_for(struct dkube *k, const char *name, struct perr *e)
{
	struct app *app = k->d->app;
	struct kube_client_opts co = { .log_file = app ? app->g.log_file : NULL };
	struct perr de = { { 0 } };
	if (app && app->g.request_timeout &&
	    kube_parse_duration(app->g.request_timeout, &co.timeout_ms, &de) < 0) {
		perr_set(e, "--request-timeout: %s", de.msg);
		return NULL;
	}
	struct kube_config *cfg = load_kubeconfig(k, e);
	if (!cfg)
		return NULL;
	struct kube_conn *conn = kube_config_resolve(cfg, name, NULL, e);
	kube_config_free(cfg);
	return conn ? kube_client_new(conn, &co, e) : NULL;
}

/* Switch to context name in place: a new client and watch set, the views
 * reopened in the context's namespace. The old ones stay if it fails. */
static int switch_context(struct dkube *k, const char *name)
{
	struct dash *d = k->d;
	struct perr e = { { 0 } };
	struct kube_client *c = client_for(k, name, &e);
	struct kube_watchset *ws = c ? kube_watchset_new(c) : NULL;
	if (!ws) {
		dash_message(d, 1, "%s", c ? "cannot start curl" : e.msg);
		kube_client_free(c);
		return -1;
	}
	save_state(k);
	/* views hold the old watch set's caches and the old client */
	dialog_close(d);
	while (d->nviews > 0) {
		struct view *v = d->views[--d->nviews];
		v->ops->free(v);
	}
	/* the models view's figures scrape through the old client */
	view_models_free(k->models);
	actions_forget(k);
	kube_watchset_free(k->ws);
	kube_client_free(k->owned);
	k->ws = ws;
	k->client = k->owned = c;
	k->models = view_models_new(c, ws);
	const struct kube_conn *conn = kube_client_conn(c);
	snprintf(k->ns, sizeof k->ns, "%s", conn->namespace && *conn->namespace ? conn->namespace : "default");
	k->all_ns = 0;
	k->ns_chosen = 0;
	k->hold_until = 0;
	k->streaming = 0;
	set_header(k);
	reopen(k);
	if (kube_client_warning(c))
		dash_message(d, 1, "context %s: warning: %s", name, kube_client_warning(c));
	else
		dash_message(d, 0, "context %s", name);
	return 0;
}

/* ---- commands, the loop's hooks ------------------------------------------- */

/* Replace the whole stack with v, as k9s does for a view command. */
static void set_root(struct dash *d, struct view *v)
{
	dialog_close(d);
	while (d->nviews > 0) {
		struct view *old = d->views[--d->nviews];
		old->ops->free(old);
	}
	dash_push(d, v);
}

static void kube_command(struct dash *d, const struct dash_cmd *c, const char *arg)
{
	struct dkube *k = d->backend->ud;
	if (c->kind == CMDK_NS && arg) {
		if (!strcmp(arg, "all") || !strcmp(arg, "-A")) {
			use_namespace(k, NULL, 1);
			return;
		}
		struct perr e = { { 0 } };
		if (kube_validate_name(KUBE_NAME_DNS1123_LABEL, "Namespace", arg, &e) < 0) {
			dash_message(d, 1, "%s", e.msg);
			return;
		}
		use_namespace(k, arg, 0);
		return;
	}
	if (c->kind == CMDK_CTX) {
		if (d->app && d->app->g.sim) {
			dash_message(d, 1, "the simulated cluster has one context: %s", current_context(k));
			return;
		}
		if (arg) {
			if (strcmp(arg, current_context(k)) == 0)
				dash_message(d, 0, "already in context %s", arg);
			else
				switch_context(k, arg);
			return;
		}
		struct perr e = { { 0 } };
		struct view *v = ctx_view_new(k, &e);
		if (!v) {
			dash_message(d, 1, "%s", e.msg);
			return;
		}
		set_root(d, v);
		return;
	}
	const char *kname = c->kind == CMDK_NS ? "namespaces" : c->name;
	const struct kube_kind *kind = kube_kind_find(kname);
	if (!kind) {
		dash_message(d, 1, "no such kind: %s", kname);
		return;
	}
	/* Model deployments are few and an operator wants all of them: the
	 * models view spans namespaces unless one was asked for. */
	int models = !strcmp(c->name, "models");
	const char *ns = k->all_ns || (models && !k->ns_chosen) ? NULL : k->ns;
	struct view *v = res_view_new(k, kind, ns, NULL, models, c->name);
	if (!v) {
		dash_message(d, 1, "cannot watch %s", kind->plural);
		return;
	}
	set_root(d, v);
	if (c->kind == CMDK_VIEW)
		snprintf(k->view, sizeof k->view, "%s", c->name);
}

/* The header's API latency comes from the requests the dashboard makes;
 * when none has answered for this long (only watches open), a GET
 * /version measures it. */
#define LATENCY_PROBE_MS 30000

static void probe_answered(void *ud, const struct kube_answer *a)
{
	(void)a; /* the watch set noted its latency */
	((struct dkube *)ud)->probing = 0;
}

static void update_latency(struct dash *d, struct dkube *k)
{
	long long at = 0;
	double ms = kube_watchset_latency(k->ws, &at);
	char buf[sizeof d->hdr.api];
	if (ms < 0)
		buf[0] = '\0';
	else
		snprintf(buf, sizeof buf, ms < 10 ? "%.1f ms" : "%.0f ms", ms);
	if (strcmp(buf, d->hdr.api)) {
		snprintf(d->hdr.api, sizeof d->hdr.api, "%s", buf);
		d->dirty = 1;
	}
	if (!k->probing && now_ms() - at > LATENCY_PROBE_MS) {
		struct perr e = { { 0 } };
		k->probing = kube_watchset_request(k->ws, k->client, "GET", "/version", NULL, NULL, NULL,
						   0, probe_answered, k, NULL, &e) == 0;
	}
}

static void update_header(struct dash *d, struct dkube *k)
{
	update_latency(d, k);
	struct dbuf b;
	dbuf_init(&b, sizeof d->hdr.watches - 1);
	int ok = 1;
	for (int i = 0; i < d->nviews; i++) {
		struct res_view *rv = as_res(d->views[i]);
		if (!rv || !rv->cache)
			continue;
		enum kube_cache_state st = kube_cache_state(rv->cache);
		if (st != KUBE_CACHE_LIVE)
			ok = 0;
		dbuf_printf(&b, "%s%s %s", b.len ? "  " : "", rv->kind->plural,
			    kube_cache_state_name(st));
	}
	snprintf(d->hdr.watches, sizeof d->hdr.watches, "%s", b.p ? b.p : "");
	d->hdr.watches_ok = ok;
	dbuf_free(&b);
}

static int kube_wait(struct dash *d, struct pollfd *fds, int nfds, long timeout_ms)
{
	struct dkube *k = d->backend->ud;
	struct curl_waitfd extra[4];
	for (int i = 0; i < nfds && i < 4; i++)
		extra[i] = (struct curl_waitfd){ .fd = fds[i].fd, .events = CURL_WAIT_POLLIN };
	long long now = now_ms();
	/* A followed log has its own transfer: look again shortly. */
	if (k->streaming && timeout_ms > k->refresh_ms)
		timeout_ms = k->refresh_ms;
	/* Changes are held back: wait for the keyboard alone until they are
	 * due (curl's sockets would wake this at once). */
	if (k->hold_until > now) {
		if (timeout_ms > k->hold_until - now)
			timeout_ms = (long)(k->hold_until - now);
		return poll(fds, (nfds_t)nfds, (int)timeout_ms);
	}
	long long t = kube_watchset_timeout(k->ws, now);
	if (t >= 0 && t < timeout_ms)
		timeout_ms = (long)t;
	/* The models view's scrapes are due soon: look again shortly. */
	if (view_models_busy(k->models) && timeout_ms > k->refresh_ms)
		timeout_ms = k->refresh_ms;
	int n = kube_watchset_poll(k->ws, extra, (unsigned)nfds, (int)timeout_ms);
	for (int i = 0; i < nfds && i < 4; i++) {
		fds[i].revents = 0;
		if (extra[i].revents & CURL_WAIT_POLLIN)
			fds[i].revents |= POLLIN;
	}
	/* curl does not report hang-ups on extra descriptors: ask poll. */
	if (nfds > 0) {
		struct pollfd p = { .fd = fds[0].fd, .events = POLLIN };
		if (poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR | POLLNVAL)))
			fds[0].revents |= p.revents & (POLLHUP | POLLERR | POLLNVAL);
	}
	return n;
}

/* The models view's sparkline samples and live figures, while it is the
 * view on top. 1 when a figure changed. */
static int models_step(struct dkube *k, long long now)
{
	struct res_view *rv = k->d->nviews ? as_res(k->d->views[k->d->nviews - 1]) : NULL;
	if (!rv || !rv->models || !k->models)
		return 0;
	view_models_mark(k->models);
	for (size_t i = 0; i < rv->nitems; i++) {
		const struct kube_obj *o = obj_of(rv, (int)i);
		const char *ready = col_text(rv, o, "READY");
		const char *slash = strchr(ready, '/');
		view_models_sample(k->models, o->namespace, o->name, col_text(rv, o, "SELECTOR"),
				   atoi(ready), slash ? atoi(slash + 1) : 0, now);
	}
	return view_models_step(k->models, rv->ns, now);
}

static void kube_step(struct dash *d)
{
	struct dkube *k = d->backend->ud;
	long long now = now_ms();
	/* Under churn, take changes at most ten times a second: a redraw per
	 * event would cost CPU and SSH bandwidth for nothing the eye sees. It
	 * is the step that waits, not the views: a view's array points into
	 * its cache, so every view must take a fresh one right after a step
	 * that changed its cache (a held-back view drew freed items). While
	 * a LIST is under way nothing waits, so the first frame is not slowed. */
	if (k->hold_until <= now) {
		kube_watchset_step(k->ws, now);
		int changed = 0, synced = 1;
		for (int i = 0; i < d->nviews; i++) {
			struct res_view *rv = as_res(d->views[i]);
			if (!rv || !rv->cache)
				continue;
			synced &= kube_cache_synced(rv->cache) != 0;
			if (kube_cache_changes(rv->cache) == rv->seen)
				continue;
			res_refresh(rv);
			changed = 1;
			if (i == d->nviews - 1)
				d->dirty = 1;
		}
		k->hold_until = changed && synced ? now + k->refresh_ms : 0;
	}
	if (models_step(k, now))
		d->dirty = 1;
	int changed = 0;
	k->streaming = d->nviews && log_view_step(d->views[d->nviews - 1], &changed);
	/* Builds, compares and rollouts go on under other views; only the top one
	 * redraws. */
	for (int i = 0; i < d->nviews; i++) {
		int bc = 0;
		if (build_view_step(d->views[i], &bc) || compare_view_step(d->views[i], &bc) ||
		    rollout_view_step(d->views[i], &bc))
			k->streaming = 1;
		if (bc && i == d->nviews - 1)
			changed = 1;
	}
	if (changed)
		d->dirty = 1;
	char old[sizeof d->hdr.watches];
	memcpy(old, d->hdr.watches, sizeof old);
	update_header(d, k);
	if (strcmp(old, d->hdr.watches))
		d->dirty = 1;
	/* Ages move on: redraw once a tick even when nothing changed. */
	if (now_ms() / k->tick_ms != d->last_tick) {
		d->last_tick = now_ms() / k->tick_ms;
		d->dirty = 1;
	}
}

int dash_kube_open(struct dash *d, struct kube_client *client, const char *start, struct perr *e)
{
	struct dkube *k = xcalloc(1, sizeof *k);
	k->d = d;
	k->client = client;
	k->ws = kube_watchset_new(client);
	if (!k->ws) {
		perr_set(e, "cannot start curl");
		free(k);
		return -1;
	}
	struct config defaults;
	config_defaults(&defaults);
	const struct config *cfg = d->cfg ? d->cfg : &defaults;
	k->refresh_ms = cfg->refresh_ms > 0 ? cfg->refresh_ms : 100;
	k->tick_ms = cfg->tick_ms > 0 ? cfg->tick_ms : 1000;
	k->log_lines = cfg->log_lines;
	const struct kube_conn *conn = kube_client_conn(client);
	snprintf(k->ns, sizeof k->ns, "%s", d->app && d->app->g.namespace ? d->app->g.namespace
					    : conn->namespace && *conn->namespace ? conn->namespace : "default");
	k->all_ns = d->app && d->app->g.all_namespaces;
	k->ns_chosen = d->app && d->app->g.namespace;
	set_header(k);
	k->state_file = state_path();
	k->models = view_models_new(client, k->ws);
	struct dash_backend *b = xcalloc(1, sizeof *b);
	b->wait = kube_wait;
	b->step = kube_step;
	b->command = kube_command;
	b->action = kube_action;
	b->ud = k;
	d->backend = b;
	/* -c, else the configured start view, else where this context was
	 * left, else models */
	char last[32] = "";
	if (!start && strcmp(cfg->start_view, "last") != 0)
		start = cfg->start_view;
	if (!start && k->state_file) {
		struct dash_state *st = xcalloc(1, sizeof *st);
		struct perr se = { { 0 } };
		if (state_load(k->state_file, st, &se) < 0)
			dash_message(d, 1, "%s (the last views are forgotten)", se.msg);
		else if (state_get(st, current_context(k)))
			snprintf(last, sizeof last, "%s", state_get(st, current_context(k)));
		free(st);
		start = last[0] ? last : NULL;
	}
	const struct dash_cmd *c = dash_cmd_find(start ? start : "models");
	if (!c || (c->kind != CMDK_VIEW && c->kind != CMDK_NS))
		c = dash_cmd_find("models");
	kube_command(d, c, NULL);
	return 0;
}

void dash_kube_close(struct dash *d)
{
	if (!d->backend)
		return;
	struct dkube *k = d->backend->ud;
	while (d->nviews > 0) {
		struct view *v = d->views[--d->nviews];
		v->ops->free(v);
	}
	dialog_close(d);
	save_state(k);
	view_models_free(k->models);
	actions_forget(k);
	kube_watchset_free(k->ws);
	kube_client_free(k->owned);
	free(k->state_file);
	free(k);
	free(d->backend);
	d->backend = NULL;
}
