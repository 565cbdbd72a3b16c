/*
 * dash.c - the dashboard: one thread, one poll loop over the terminal, a
 * self-pipe for signals and (through dash_backend) the curl multi handle
 * and timers. Input changes state and sets the dirty flag; at most one
 * frame is drawn per loop iteration, and draw.c writes only the lines that
 * changed. Views are a stack (esc pops); each view draws into the frame
 * between the header and the status line.
 */
#define _POSIX_C_SOURCE 200809L
#include "tui/tui.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Signals reach the loop through this pipe (the handler only writes). */
static int sig_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	unsigned char b = (unsigned char)sig;
	int saved = errno;
	if (write(sig_pipe[1], &b, 1) < 0) {
		/* the pipe is full: a signal is already pending */
	}
	errno = saved;
}

static int setup_signals(struct perr *e)
{
	if (pipe(sig_pipe) < 0) {
		perr_set(e, "cannot make a pipe: %s", strerror(errno));
		return -1;
	}
	for (int i = 0; i < 2; i++)
		fcntl(sig_pipe[i], F_SETFL, fcntl(sig_pipe[i], F_GETFL) | O_NONBLOCK);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* Ours, not ncurses': a resize then wakes the poll like a key. */
	sigaction(SIGWINCH, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	return 0;
}

/* ---- views ------------------------------------------------------------ */

void dash_push(struct dash *d, struct view *v)
{
	if (d->nviews == DASH_MAX_VIEWS) { /* drop the oldest above the root */
		struct view *old = d->views[1];
		old->ops->free(old);
		memmove(d->views + 1, d->views + 2, sizeof d->views[0] * (DASH_MAX_VIEWS - 2));
		d->nviews--;
	}
	d->views[d->nviews++] = v;
	d->dirty = 1;
}

void dash_pop(struct dash *d)
{
	if (d->nviews <= 1) {
		d->quit = 1;
		return;
	}
	struct view *v = d->views[--d->nviews];
	v->ops->free(v);
	d->dirty = 1;
}

struct view *dash_top(struct dash *d)
{
	return d->nviews ? d->views[d->nviews - 1] : NULL;
}

void dash_message(struct dash *d, int error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof d->msg, fmt, ap);
	va_end(ap);
	char *clean = sanitize_text(d->msg, strlen(d->msg), 0);
	snprintf(d->msg, sizeof d->msg, "%s", clean);
	free(clean);
	d->msg_error = error;
	d->msg_until = now_ms() + 6000;
	d->dirty = 1;
}

/* A text view (describe, YAML, help): the textview in a view. */
struct text_view {
	struct view v;
	struct textview tv;
};

static void text_render(struct view *v, struct dash *d, struct frame *f, int y, int h)
{
	(void)d;
	struct text_view *t = (struct text_view *)v;
	textview_render(&t->tv, f, 0, y, f->w, h);
}

static int text_act(struct view *v, struct dash *d, enum action a)
{
	struct text_view *t = (struct text_view *)v;
	return textview_action(&t->tv, a, d->body_h);
}

static void text_filter(struct view *v, struct dash *d, const char *s)
{
	(void)d;
	struct text_view *t = (struct text_view *)v;
	snprintf(t->tv.search, sizeof t->tv.search, "%s", s);
	for (int i = 0; i < t->tv.n; i++)
		if (s[0] && strstr(t->tv.lines[i], s)) {
			t->tv.top = i;
			break;
		}
}

static void text_free(struct view *v)
{
	struct text_view *t = (struct text_view *)v;
	textview_free(&t->tv);
	free(t);
}

static const struct view_ops text_ops = {
	.scopes = SCOPE_TEXT,
	.render = text_render,
	.act = text_act,
	.filter = text_filter,
	.free = text_free,
};

struct view *dash_text_view(const char *title, const char *text)
{
	struct text_view *t = xcalloc(1, sizeof *t);
	t->v.ops = &text_ops;
	snprintf(t->v.title, sizeof t->v.title, "%s", title);
	textview_init(&t->tv);
	if (text)
		textview_add(&t->tv, text);
	return &t->v;
}

struct view *dash_help_view(const struct keymap *km)
{
	struct text_view *t = (struct text_view *)dash_text_view("help", NULL);
	help_fill(&t->tv, km);
	return &t->v;
}

/* ---- the frame ---------------------------------------------------------- */

/* frame_put on the header row, clipped at limit. */
static int header_put(struct frame *f, int x, int limit, const char *text, enum theme_elem st)
{
	return x < limit ? frame_put(f, 0, x, text, limit - x, st) : 0;
}

static void render_header(struct dash *d, struct frame *f)
{
	frame_fill(f, 0, 0, f->w, TH_HEADER);
	int x = 0, limit = f->w;
	const char *sep = d->utf8 ? " \xe2\x94\x82 " : " | ";
	if (d->readonly) {
		/* the badge first: the rest gives way to it on a narrow terminal */
		static const char badge[] = " READONLY ";
		int bw = (int)sizeof badge - 1;
		limit = f->w - bw > 0 ? f->w - bw - 1 : 0;
		frame_put(f, 0, f->w - bw > 0 ? f->w - bw : 0, badge, -1, TH_BADGE);
	}
	x += header_put(f, x, limit, "podium " PODIUM_VERSION, TH_HEADER_LABEL);
	struct { const char *label; const char *value; } items[] = {
		{ "ctx ", d->hdr.context }, { "cluster ", d->hdr.cluster },
		{ "user ", d->hdr.user }, { "ns ", d->hdr.namespace },
		{ "api ", d->hdr.api },
	};
	for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
		if (!items[i].value[0])
			continue;
		x += header_put(f, x, limit, sep, TH_HEADER);
		x += header_put(f, x, limit, items[i].label, TH_HEADER_LABEL);
		x += header_put(f, x, limit, items[i].value, TH_HEADER);
	}
	if (d->hdr.watches[0]) {
		x += header_put(f, x, limit, sep, TH_HEADER);
		header_put(f, x, limit, d->hdr.watches, d->hdr.watches_ok ? TH_HEADER : TH_WARNING);
	}
}

static void render_crumbs(struct dash *d, struct frame *f)
{
	frame_fill(f, 1, 0, f->w, TH_TABLE_ROW);
	int x = 0;
	for (int i = 0; i < d->nviews; i++) {
		char buf[160];
		snprintf(buf, sizeof buf, " %s ", d->views[i]->title);
		x += frame_put(f, 1, x, buf, -1, i == d->nviews - 1 ? TH_BREADCRUMB : TH_HEADER);
		x += frame_put(f, 1, x, " ", -1, TH_TABLE_ROW);
	}
	struct view *v = dash_top(d);
	if (v && v->filter_text[0]) {
		char buf[300];
		snprintf(buf, sizeof buf, " /%s ", v->filter_text);
		frame_put(f, 1, x, buf, -1, TH_FILTER);
	}
}

static void render_status(struct dash *d, struct frame *f)
{
	int y = f->h - 1;
	frame_fill(f, y, 0, f->w, TH_TABLE_ROW);
	if (d->mode == MODE_COMMAND || d->mode == MODE_FILTER) {
		char buf[300];
		snprintf(buf, sizeof buf, "%c%s", d->mode == MODE_COMMAND ? ':' : '/', d->input);
		int x = frame_put(f, y, 0, buf, -1, TH_FILTER);
		frame_put(f, y, x, d->utf8 ? "\xe2\x96\x8f" : "_", 1, TH_FILTER);
		return;
	}
	if (d->msg[0] && now_ms() < d->msg_until) {
		frame_put(f, y, 0, d->msg, -1, d->msg_error ? TH_ERROR : TH_OK);
		return;
	}
	/* the keys in effect, as the configuration may have moved them */
	const struct keymap *km = d->cfg ? &d->cfg->keys : NULL;
	static const struct { enum action a; const char *what; } hints[] = {
		{ A_HELP, "help" }, { A_COMMAND, "command" }, { A_FILTER, "filter" },
		{ A_BACK, "back" },
	};
	char line[256] = "";
	size_t len = 0;
	for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++) {
		char label[32];
		keys_label_for(km, hints[i].a, label, sizeof label);
		if (label[0] && len < sizeof line)
			len += (size_t)snprintf(line + len, sizeof line - len, "%s %s  ", label,
						hints[i].what);
	}
	if (len < sizeof line)
		snprintf(line + len, sizeof line - len, ":q quit");
	frame_put(f, y, 0, line, -1, TH_HELP_KEY);
}

void dash_render(struct dash *d, struct frame *f)
{
	frame_clear(f, TH_TABLE_ROW);
	d->body_h = f->h - 3 > 0 ? f->h - 3 : 0;
	render_header(d, f);
	render_crumbs(d, f);
	struct view *v = dash_top(d);
	if (v && v->ops->render && d->body_h > 0)
		v->ops->render(v, d, f, 2, d->body_h);
	if (d->dialog && d->body_h > 0)
		dialog_render(d->dialog, d, f);
	render_status(d, f);
}

/* ---- input ---------------------------------------------------------- */

static void run_command(struct dash *d, const char *line)
{
	while (*line == ' ')
		line++;
	if (!*line)
		return;
	const struct dash_cmd *c = dash_cmd_find(line);
	if (!c) {
		dash_message(d, 1, "unknown command :%s (tab completes; :help lists them)", line);
		return;
	}
	const char *arg = strchr(line, ' ');
	while (arg && *arg == ' ')
		arg++;
	switch (c->kind) {
	case CMDK_QUIT:
		d->quit = 1;
		return;
	case CMDK_HELP:
		dash_push(d, dash_help_view(d->cfg ? &d->cfg->keys : NULL));
		return;
	default:
		break;
	}
	if (!d->backend || !d->backend->command) {
		dash_message(d, 1, "not connected to a cluster");
		return;
	}
	d->backend->command(d, c, arg && *arg ? arg : NULL);
}

static void edit_input(struct dash *d, int key)
{
	size_t len = strlen(d->input);
	if (key == K_ESC) {
		d->mode = MODE_NORMAL;
		d->input[0] = '\0';
	} else if (key == K_ENTER) {
		int mode = d->mode;
		d->mode = MODE_NORMAL;
		struct view *v = dash_top(d);
		if (mode == MODE_COMMAND)
			run_command(d, d->input);
		else if (v && v->ops->filter) {
			snprintf(v->filter_text, sizeof v->filter_text, "%s", d->input);
			v->ops->filter(v, d, d->input);
		}
		d->input[0] = '\0';
	} else if (key == K_BACKSPACE) {
		if (len == 0) {
			d->mode = MODE_NORMAL;
		} else {
			/* drop a whole UTF-8 character */
			do
				len--;
			while (len && (d->input[len] & 0xC0) == 0x80);
			d->input[len] = '\0';
		}
	} else if (key == K_TAB && d->mode == MODE_COMMAND) {
		if (dash_cmd_complete(d->input, sizeof d->input) == 0)
			dash_message(d, 1, "no command starts with '%s'", d->input);
	} else if (key >= 0x20 && key < 0x100 && key != 0x7f && len + 1 < sizeof d->input) {
		d->input[len] = (char)key;
		d->input[len + 1] = '\0';
	}
	d->dirty = 1;
}

void dash_key(struct dash *d, int key)
{
	d->dirty = 1;
	if (key == K_RESIZE) {
		d->resized = 1;
		return;
	}
	if (d->mode != MODE_NORMAL) {
		edit_input(d, key);
		return;
	}
	if (d->dialog) {
		dialog_key(d->dialog, d, key);
		return;
	}
	struct view *v = dash_top(d);
	unsigned scopes = v ? v->ops->scopes : 0;
	enum action a = keys_lookup(d->cfg ? &d->cfg->keys : NULL, key, scopes);
	const struct keydef *kd = keys_for_action(a);
	if (kd && kd->mutates && d->readonly) {
		dash_message(d, 1, "--readonly: %s is disabled", kd->help);
		return;
	}
	switch (a) {
	case A_NONE:
		return;
	case A_COMMAND:
		d->mode = MODE_COMMAND;
		d->input[0] = '\0';
		return;
	case A_FILTER:
		d->mode = MODE_FILTER;
		d->input[0] = '\0';
		return;
	case A_HELP:
		dash_push(d, dash_help_view(d->cfg ? &d->cfg->keys : NULL));
		return;
	case A_BACK:
		if (v && v->filter_text[0] && key == K_ESC) {
			v->filter_text[0] = '\0';
			if (v->ops->filter)
				v->ops->filter(v, d, "");
			return;
		}
		dash_pop(d);
		return;
	case A_QUIT:
		d->quit = 1;
		return;
	default:
		break;
	}
	if (v && v->ops->act && v->ops->act(v, d, a))
		return;
	if (d->backend && d->backend->action && d->backend->action(d, v, a))
		return;
}

/* ---- the loop ------------------------------------------------------- */

int dash_run(struct dash *d, struct perr *e)
{
	if (setup_signals(e) < 0)
		return -1;
	struct theme theme;
	struct perr te = { { 0 } };
	if (theme_choose(d->theme_name, &theme, &te) < 0) {
		/* keep a message already waiting (a bad configuration file) */
		char prev[sizeof d->msg];
		snprintf(prev, sizeof prev, "%s", d->msg[0] ? d->msg : "");
		dash_message(d, 1, "%s%s%s; using the default theme", prev, prev[0] ? "; " : "",
			     te.msg);
	}
	d->term = term_open(&theme, &d->utf8, e);
	if (!d->term)
		return -1;
	int w, h;
	term_size(d->term, &w, &h);
	struct frame *f = frame_new(w, h);
	d->dirty = 1;
	int rc = 0;
	while (!d->quit) {
		if (d->resized) {
			term_size(d->term, &w, &h);
			frame_free(f);
			f = frame_new(w, h);
			term_invalidate(d->term);
			d->resized = 0;
			d->dirty = 1;
		}
		if (d->dirty) {
			dash_render(d, f);
			term_draw(d->term, f);
			d->dirty = 0;
		}
		struct pollfd pfd[2];
		pfd[0] = (struct pollfd){ .fd = 0, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = sig_pipe[0], .events = POLLIN };
		long timeout = d->cfg ? d->cfg->tick_ms : 1000;
		if (d->msg[0] && d->msg_until > now_ms())
			timeout = d->msg_until - now_ms() + 10;
		int n = d->backend && d->backend->wait
				? d->backend->wait(d, pfd, 2, timeout)
				: poll(pfd, 2, (int)timeout);
		if (n < 0 && errno != EINTR) {
			perr_set(e, "poll: %s", strerror(errno));
			rc = -1;
			break;
		}
		if (pfd[1].revents & POLLIN) {
			unsigned char sig;
			while (read(sig_pipe[0], &sig, 1) == 1) {
				if (sig == SIGWINCH)
					d->resized = 1;
				else
					d->quit = 1; /* SIGHUP, SIGTERM, SIGINT: leave cleanly */
			}
		}
		if (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL)) {
			d->quit = 1; /* the terminal went away: an SSH drop */
		} else if (pfd[0].revents & POLLIN) {
			int key, got = 0;
			while ((key = term_key(d->term)) >= 0) {
				got = 1;
				dash_key(d, key);
				if (d->quit)
					break;
			}
			/* readable yet nothing to read: end of input */
			if (!got && ++d->empty_reads > 50)
				d->quit = 1;
			if (got)
				d->empty_reads = 0;
		}
		if (d->backend && d->backend->step)
			d->backend->step(d);
		/* the message expired: redraw without it */
		if (d->msg[0] && now_ms() >= d->msg_until) {
			d->msg[0] = '\0';
			d->dirty = 1;
		}
	}
	frame_free(f);
	term_close(d->term);
	d->term = NULL;
	return rc;
}
