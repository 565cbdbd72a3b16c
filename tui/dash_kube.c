/*
 * dash_kube.c - what connects the dashboard to a cluster: a watch set (one
 * curl multi handle) of list/watch caches, one per resource view, driven
 * from the dashboard's poll loop; the resource views over those caches;
 * and the actions on the selected object (describe, YAML, edit, logs,
 * scale, restart, undo, delete), each as kubectl does it.
 *
 * Views hold the cache's items as an array that is only valid until the
 * cache next changes; caches change only inside kube_watchset_step, and
 * every view whose cache changed takes a fresh array right after it
 * (changes may wait for the next refresh only while no item was freed).
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
#define REFRESH_MS 100

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
	int dropped;    /* the cache freed an item of items: refresh now */
	struct tview_src src;
	const char *cols[RES_MAX_COLS];
	unsigned char wide[RES_MAX_COLS];
	int map[RES_MAX_COLS]; /* >= 0: projection column; else COL_* */
	int ncols;
	char keybuf[320]; /* src_key's answer, valid until its next call */
};

enum { COL_NAMESPACE = -1, COL_MODEL = -2, COL_SHA = -3, COL_AGE = -4 };

struct dkube {
	struct dash *d;
	struct kube_client *client;
	struct kube_watchset *ws;
	char ns[64];
	int all_ns;
	int ns_chosen; /* -n or :ns named one */
	int log_lines;         /* a log view's buffer, in lines */
	int streaming;         /* a log view on top is streaming */
	long long refreshed;   /* when views last took their caches' changes */
	int pending;           /* changes wait for the next refresh */
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
	if (rv->models) {
		add_col(rv, "MODEL", COL_MODEL, 0);
		add_col(rv, "SHA256", COL_SHA, 0);
	}
	for (int c = 1; cols[c].name; c++)
		add_col(rv, cols[c].name, strcmp(cols[c].name, "AGE") ? c : COL_AGE,
			rv->models && !strcmp(cols[c].name, "IMAGES") ? 0 : cols[c].wide);
	rv->src = (struct tview_src){ rv->ncols, rv->cols, rv->wide, src_count, src_key,
				      src_name, src_created, src_rank, src_style, src_cell, rv };
}

/* ---- resource views ------------------------------------------------- */

/* A DELETED item is freed when this returns: the view must let go of it
 * at this step rather than hold changes back for the next refresh. */
static void res_changed(void *ctx, enum kube_event_type t, const struct kube_item *it)
{
	(void)it;
	if (t == KUBE_EVENT_DELETED)
		((struct res_view *)ctx)->dropped = 1;
}

static void res_refresh(struct res_view *rv)
{
	rv->dropped = 0;
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
		.on_change = res_changed,
		.change_ctx = rv,
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
	rv->selector = models ? xstrdup("podium.dev/model") : xstrdup(selector);
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

static void show_text(struct dash *d, const char *title, char *text, struct perr *e)
{
	if (!text) {
		dash_message(d, 1, "%s", e->msg);
		return;
	}
	dash_push(d, dash_text_view(title, text));
	free(text);
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
	struct kube_response r;
	memset(&r, 0, sizeof r);
	int rc = kube_scale(sc->k->client, sc->kind, sc->ns, sc->name, n, &r, &e);
	kube_response_free(&r);
	if (rc < 0)
		dash_message(d, 1, "%s", e.msg);
	else
		dash_message(d, 0, "%s.%s/%s scaled to %ld", sc->kind->plural,
			     sc->kind->group[0] ? sc->kind->group : "", sc->name, n);
}

static void delete_done(struct dash *d, struct dialog *dl, int ok)
{
	struct scale_ctx *sc = dl->ud;
	if (!ok)
		return;
	struct perr e = { { 0 } };
	struct kube_response r;
	memset(&r, 0, sizeof r);
	int rc = kube_delete(sc->k->client, sc->kind, sc->ns, sc->name, KUBE_PROP_BACKGROUND, &r, &e);
	kube_response_free(&r);
	if (rc < 0)
		dash_message(d, 1, "%s", e.msg);
	else
		dash_message(d, 0, "%s \"%s\" deleted", sc->kind->singular, sc->name);
}

static void undo_done(struct dash *d, struct dialog *dl, int ok)
{
	struct scale_ctx *sc = dl->ud;
	if (!ok || dl->sel < 0)
		return;
	long rev = atol(dl->options[dl->sel]);
	struct perr e = { { 0 } };
	long chosen = 0;
	int rc = kube_op_undo(sc->k->client, sc->ns, sc->name, rev, &chosen, &e);
	if (rc < 0)
		dash_message(d, 1, "%s", e.msg);
	else if (rc == 1)
		dash_message(d, 0, "skipped rollback (current template already matches revision %ld)", chosen);
	else
		dash_message(d, 0, "deployment.apps/%s rolled back to revision %ld", sc->name, chosen);
}

static struct dialog *dialog_for(struct dkube *k, struct res_view *rv, const struct kube_obj *o,
				 enum dialog_kind kind, void (*done)(struct dash *, struct dialog *, int))
{
	struct dialog *dl = xcalloc(1, sizeof *dl);
	struct scale_ctx *sc = xcalloc(1, sizeof *sc);
	sc->k = k;
	sc->kind = rv->kind;
	snprintf(sc->ns, sizeof sc->ns, "%s", o->namespace);
	snprintf(sc->name, sizeof sc->name, "%s", o->name);
	dl->kind = kind;
	dl->ud = sc;
	dl->ud_free = free;
	dl->on_done = done;
	return dl;
}

static void open_undo(struct dkube *k, struct res_view *rv, const struct kube_obj *o)
{
	struct perr e = { { 0 } };
	struct kube_rev_info *revs = NULL;
	size_t n = kube_op_revisions(k->client, o->namespace, o->name, &revs, &e);
	if (n == 0) {
		dash_message(k->d, 1, "%s", perr_isset(&e) ? e.msg : "no rollout history found");
		kube_rev_info_free(revs, n);
		return;
	}
	struct dialog *dl = dialog_for(k, rv, o, DIALOG_PICK, undo_done);
	snprintf(dl->title, sizeof dl->title, "Undo %s", o->name);
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

/* Edit: the object's YAML in $EDITOR, then server-side apply. */
static void edit(struct dkube *k, struct res_view *rv, const struct kube_obj *o)
{
	struct dash *d = k->d;
	struct perr e = { { 0 } };
	char *y = kube_op_yaml(k->client, rv->kind, o->namespace, o->name, 1, &e);
	if (!y) {
		dash_message(d, 1, "%s", e.msg);
		return;
	}
	char path[] = "/tmp/podium-edit-XXXXXX.yaml";
	int fd = mkstemps(path, 5);
	if (fd < 0 || write(fd, y, strlen(y)) != (ssize_t)strlen(y)) {
		dash_message(d, 1, "cannot write a temporary file: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		free(y);
		return;
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
	} else if (kube_op_apply_yaml(k->client, o->namespace, edited, &e) < 0) {
		dash_message(d, 1, "%s", e.msg);
	} else {
		dash_message(d, 0, "%s/%s edited", rv->kind->singular, o->name);
	}
	unlink(path);
	free(edited);
	free(y);
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

static void describe(struct dkube *k, struct res_view *rv, const struct kube_obj *o)
{
	struct perr e = { { 0 } };
	char *text = kube_describe(k->client, rv->kind, o->namespace, o->name, (long long)time(NULL), &e);
	if (!text) {
		dash_message(k->d, 1, "%s", e.msg);
		return;
	}
	char *aligned = tabwriter_format(text, 0, 2);
	char title[300];
	snprintf(title, sizeof title, "describe:%s", o->name);
	dash_push(k->d, dash_text_view(title, aligned));
	free(aligned);
	free(text);
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
	struct perr e = { { 0 } };
	char title[300];
	int deploy = is_kind(rv, "Deployment");
	switch (a) {
	case A_ENTER:
		if (deploy || is_kind(rv, "ReplicaSet") || is_kind(rv, "Job"))
			open_pods_of(k, rv, o);
		else if (is_kind(rv, "Pod"))
			open_logs(k, rv, o);
		else if (is_kind(rv, "Namespace")) {
			snprintf(k->ns, sizeof k->ns, "%s", o->name);
			k->all_ns = 0;
			dash_message(d, 0, "namespace %s", o->name);
			snprintf(d->hdr.namespace, sizeof d->hdr.namespace, "%s", o->name);
		}
		return 1;
	case A_DESCRIBE:
		describe(k, rv, o);
		return 1;
	case A_YAML:
		snprintf(title, sizeof title, "yaml:%s", o->name);
		show_text(d, title, kube_op_yaml(k->client, rv->kind, o->namespace, o->name, 0, &e), &e);
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
		const char *ready = o->ncols > 1 && o->cols[1] ? o->cols[1] : "";
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
		if (kube_op_restart(k->client, o->namespace, o->name, &e) < 0)
			dash_message(d, 1, "%s", e.msg);
		else
			dash_message(d, 0, "deployment.apps/%s restarted", o->name);
		return 1;
	case A_UNDO:
		if (!deploy) {
			dash_message(d, 1, "undo: select a deployment");
			return 1;
		}
		open_undo(k, rv, o);
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
	case A_BUILD:
		dash_message(d, 1, "%s: use `podium %s` for now (see podium(1))",
			     a == A_COMPARE ? "compare" : "build",
			     a == A_COMPARE ? "model compare MODEL --live deploy/NAME" : "build");
		return 1;
	default:
		return 0;
	}
}

/* ---- commands, the loop's hooks ------------------------------------------- */

static void kube_command(struct dash *d, const struct dash_cmd *c, const char *arg)
{
	struct dkube *k = d->backend->ud;
	if (c->kind == CMDK_NS && arg) {
		if (!strcmp(arg, "all") || !strcmp(arg, "-A")) {
			k->all_ns = 1;
		} else {
			struct perr e = { { 0 } };
			if (kube_validate_name(KUBE_NAME_DNS1123_LABEL, "Namespace", arg, &e) < 0) {
				dash_message(d, 1, "%s", e.msg);
				return;
			}
			snprintf(k->ns, sizeof k->ns, "%s", arg);
			k->all_ns = 0;
			k->ns_chosen = 1;
		}
		snprintf(d->hdr.namespace, sizeof d->hdr.namespace, "%s", k->all_ns ? "all" : k->ns);
		dash_message(d, 0, "namespace %s: views opened from now on use it", d->hdr.namespace);
		return;
	}
	if (c->kind == CMDK_CTX) {
		dash_message(d, 1, "contexts: restart with --context NAME (switching in place is not there yet)");
		return;
	}
	const char *kname = c->kind == CMDK_NS ? "namespaces" : !strcmp(c->name, "models") ? "deployments" : c->name;
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
	/* A view command replaces the stack above the root, as k9s does. */
	while (d->nviews > 0) {
		struct view *old = d->views[--d->nviews];
		old->ops->free(old);
	}
	dash_push(d, v);
}

static void update_header(struct dash *d, struct dkube *k)
{
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
	(void)k;
}

static int kube_wait(struct dash *d, struct pollfd *fds, int nfds, long timeout_ms)
{
	struct dkube *k = d->backend->ud;
	struct curl_waitfd extra[4];
	for (int i = 0; i < nfds && i < 4; i++)
		extra[i] = (struct curl_waitfd){ .fd = fds[i].fd, .events = CURL_WAIT_POLLIN };
	long long t = kube_watchset_timeout(k->ws, now_ms());
	if (t >= 0 && t < timeout_ms)
		timeout_ms = (long)t;
	/* A followed log has its own transfer, and held-back changes are due
	 * soon: look again shortly. */
	if ((k->streaming || k->pending) && timeout_ms > REFRESH_MS)
		timeout_ms = REFRESH_MS;
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

static void kube_step(struct dash *d)
{
	struct dkube *k = d->backend->ud;
	long long now = now_ms();
	kube_watchset_step(k->ws, now);
	/* Under churn, take changes at most ten times a second: a redraw per
	 * event would cost CPU and SSH bandwidth for nothing the eye sees. */
	k->pending = 0;
	for (int i = 0; i < d->nviews; i++) {
		struct res_view *rv = as_res(d->views[i]);
		if (!rv || !rv->cache || kube_cache_changes(rv->cache) == rv->seen)
			continue;
		if (now - k->refreshed < REFRESH_MS && kube_cache_synced(rv->cache) && rv->nitems &&
		    !rv->dropped) {
			k->pending = 1;
			continue;
		}
		res_refresh(rv);
		if (i == d->nviews - 1)
			d->dirty = 1;
	}
	if (!k->pending)
		k->refreshed = now;
	int changed = 0;
	k->streaming = d->nviews && log_view_step(d->views[d->nviews - 1], &changed);
	if (changed)
		d->dirty = 1;
	char old[sizeof d->hdr.watches];
	memcpy(old, d->hdr.watches, sizeof old);
	update_header(d, k);
	if (strcmp(old, d->hdr.watches))
		d->dirty = 1;
	/* Ages move on: redraw once a second even when nothing changed. */
	static const long long tick = 1000;
	if (now_ms() / tick != d->last_tick) {
		d->last_tick = now_ms() / tick;
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
	const struct kube_conn *conn = kube_client_conn(client);
	snprintf(k->ns, sizeof k->ns, "%s", d->app && d->app->g.namespace ? d->app->g.namespace
					    : conn->namespace && *conn->namespace ? conn->namespace : "default");
	k->all_ns = d->app && d->app->g.all_namespaces;
	k->ns_chosen = d->app && d->app->g.namespace;
	snprintf(d->hdr.context, sizeof d->hdr.context, "%s", conn->context ? conn->context : "");
	snprintf(d->hdr.cluster, sizeof d->hdr.cluster, "%s", conn->cluster ? conn->cluster : "");
	snprintf(d->hdr.user, sizeof d->hdr.user, "%s", conn->user ? conn->user : "");
	snprintf(d->hdr.namespace, sizeof d->hdr.namespace, "%s", k->all_ns ? "all" : k->ns);
	struct dash_backend *b = xcalloc(1, sizeof *b);
	b->wait = kube_wait;
	b->step = kube_step;
	b->command = kube_command;
	b->action = kube_action;
	b->ud = k;
	d->backend = b;
	const struct dash_cmd *c = dash_cmd_find(start ? start : "models");
	if (!c)
		c = dash_cmd_find("pods");
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
	kube_watchset_free(k->ws);
	free(k);
	free(d->backend);
	d->backend = NULL;
}
