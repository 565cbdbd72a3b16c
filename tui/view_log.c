/*
 * view_log.c - a pod's log in the dashboard: followed as it grows through
 * kube_logstream (which resumes a dropped stream where it stopped and
 * marks the place), kept in a bounded buffer of lines (the oldest go), with
 * wrap, timestamps and save-to-file. The stream's transfer is moved on from
 * the dashboard's loop, a little at every iteration, so nothing blocks.
 */
#include "tui/tui.h"
#include "kube/kube.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct log_view {
	struct view v;
	struct kube_client *client; /* borrowed */
	char *ns, *pod;
	struct kube_logs_opts opts;
	struct kube_logstream *ls;
	char **lines;        /* ring of sanitised lines */
	unsigned char *mark; /* per line: a resume mark */
	int cap, head, n;    /* ring: n lines ending before head */
	int top;             /* first shown, as an index 0..n-1 */
	int follow, wrap;
	long long dropped;   /* lines dropped off the front */
	char state[96];      /* "following", "ended", the error */
};

static const char *line_at(const struct log_view *lv, int i)
{
	return lv->lines[(lv->head - lv->n + i + lv->cap) % lv->cap];
}

static int mark_at(const struct log_view *lv, int i)
{
	return lv->mark[(lv->head - lv->n + i + lv->cap) % lv->cap];
}

static void on_line(void *ctx, const char *line, size_t n, int marker)
{
	struct log_view *lv = ctx;
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	int slot = lv->head;
	if (lv->n == lv->cap) {
		free(lv->lines[slot]);
		lv->dropped++;
		if (lv->top > 0)
			lv->top--;
	} else {
		lv->n++;
	}
	lv->lines[slot] = sanitize_text(line, n, 0);
	lv->mark[slot] = (unsigned char)marker;
	lv->head = (lv->head + 1) % lv->cap;
}

static int log_start(struct log_view *lv, struct perr *e)
{
	kube_logstream_free(lv->ls);
	lv->ls = kube_logstream_new(lv->client, lv->ns, lv->pod, &lv->opts, on_line, lv, e);
	snprintf(lv->state, sizeof lv->state, "%s", lv->ls ? (lv->opts.follow ? "following" : "loading") : "failed");
	return lv->ls ? 0 : -1;
}

static void clear_lines(struct log_view *lv)
{
	for (int i = 0; i < lv->cap; i++) {
		free(lv->lines[i]);
		lv->lines[i] = NULL;
	}
	lv->n = lv->head = lv->top = 0;
}

static void log_render(struct view *v, struct dash *d, struct frame *f, int y, int h)
{
	struct log_view *lv = (struct log_view *)v;
	int body = h - 1;
	if (lv->follow)
		lv->top = lv->n - body > 0 ? lv->n - body : 0;
	int row = 0;
	for (int i = lv->top; i < lv->n && row < body; i++) {
		const char *p = line_at(lv, i);
		enum theme_elem st = mark_at(lv, i) ? TH_LOG_MARK : TH_LOG;
		do {
			frame_fill(f, y + row, 0, f->w, st);
			int got = frame_put(f, y + row, 0, p, f->w, st);
			row++;
			if (!lv->wrap)
				break;
			p = utf8_skip_cols(p, got);
		} while (*p && row < body);
	}
	for (; row < body; row++)
		frame_fill(f, y + row, 0, f->w, TH_LOG);
	char status[256];
	snprintf(status, sizeof status, " %s  %d lines%s%s  f follow:%s  w wrap:%s  t timestamps:%s  o save ",
		 lv->state, lv->n, lv->dropped ? " (older dropped)" : "", "",
		 lv->follow ? "on" : "off", lv->wrap ? "on" : "off", lv->opts.timestamps ? "on" : "off");
	frame_fill(f, y + h - 1, 0, f->w, TH_HEADER);
	frame_put(f, y + h - 1, 0, status, f->w, TH_HEADER);
	(void)d;
}

static void save(struct log_view *lv, struct dash *d)
{
	char path[256];
	snprintf(path, sizeof path, "podium-%s-%lld.log", lv->pod, (long long)time(NULL));
	FILE *fp = fopen(path, "w");
	if (!fp) {
		dash_message(d, 1, "cannot write %s", path);
		return;
	}
	for (int i = 0; i < lv->n; i++)
		fprintf(fp, "%s\n", line_at(lv, i));
	fclose(fp);
	dash_message(d, 0, "saved %d lines to %s", lv->n, path);
}

static int log_act(struct view *v, struct dash *d, enum action a)
{
	struct log_view *lv = (struct log_view *)v;
	int page = d->body_h - 1;
	struct perr e = { { 0 } };
	switch (a) {
	case A_UP: lv->follow = 0; lv->top--; break;
	case A_DOWN: lv->top++; break;
	case A_PGUP: lv->follow = 0; lv->top -= page; break;
	case A_PGDN: lv->top += page; break;
	case A_TOP: lv->follow = 0; lv->top = 0; break;
	case A_BOTTOM: lv->follow = 1; break;
	case A_FOLLOW:
		lv->follow = !lv->follow;
		if (lv->follow && !lv->opts.follow) {
			lv->opts.follow = 1;
			lv->opts.tail = 0; /* what is shown stays; new lines come */
			if (log_start(lv, &e) < 0)
				dash_message(d, 1, "%s", e.msg);
		}
		return 1;
	case A_WRAP: lv->wrap = !lv->wrap; return 1;
	case A_TIMESTAMPS:
		lv->opts.timestamps = !lv->opts.timestamps;
		lv->opts.tail = lv->n > 0 ? lv->n : 500;
		clear_lines(lv);
		if (log_start(lv, &e) < 0)
			dash_message(d, 1, "%s", e.msg);
		return 1;
	case A_SAVE: save(lv, d); return 1;
	default: return 0;
	}
	if (lv->top > lv->n - 1)
		lv->top = lv->n - 1;
	if (lv->top < 0)
		lv->top = 0;
	return 1;
}

static void log_filter(struct view *v, struct dash *d, const char *text)
{
	struct log_view *lv = (struct log_view *)v;
	(void)d;
	if (!*text)
		return;
	for (int i = lv->n - 1; i >= 0; i--)
		if (strstr(line_at(lv, i), text)) {
			lv->follow = 0;
			lv->top = i;
			return;
		}
}

static void log_free(struct view *v)
{
	struct log_view *lv = (struct log_view *)v;
	kube_logstream_free(lv->ls);
	clear_lines(lv);
	free(lv->lines);
	free(lv->mark);
	free(lv->ns);
	free(lv->pod);
	free(lv);
}

static const struct view_ops log_ops = {
	.scopes = SCOPE_LOG,
	.render = log_render,
	.act = log_act,
	.filter = log_filter,
	.free = log_free,
};

struct view *log_view_new(struct kube_client *c, const char *ns, const char *pod, int max_lines,
			  struct perr *e)
{
	struct log_view *lv = xcalloc(1, sizeof *lv);
	lv->v.ops = &log_ops;
	snprintf(lv->v.title, sizeof lv->v.title, "logs:%s", pod);
	lv->client = c;
	lv->ns = xstrdup(ns);
	lv->pod = xstrdup(pod);
	lv->cap = max_lines > 0 ? max_lines : 5000;
	lv->lines = xcalloc((size_t)lv->cap, sizeof *lv->lines);
	lv->mark = xcalloc((size_t)lv->cap, 1);
	lv->opts.tail = 500;
	lv->opts.follow = 1;
	lv->follow = 1;
	if (log_start(lv, e) < 0) {
		log_free(&lv->v);
		return NULL;
	}
	return &lv->v;
}

int log_view_step(struct view *v, int *changed)
{
	if (!v || v->ops != &log_ops)
		return 0;
	struct log_view *lv = (struct log_view *)v;
	if (!lv->ls)
		return 0;
	int before = lv->n + (int)lv->dropped;
	kube_logstream_poll(lv->ls, NULL, 0, 0);
	int r = kube_logstream_step(lv->ls, now_ms());
	if (r <= 0) {
		snprintf(lv->state, sizeof lv->state, "%s",
			 r == 0 ? "ended" : kube_logstream_error(lv->ls) ? kube_logstream_error(lv->ls) : "failed");
		kube_logstream_free(lv->ls);
		lv->ls = NULL;
		*changed = 1;
		return 0;
	}
	if (lv->n + (int)lv->dropped != before)
		*changed = 1;
	return 1;
}
