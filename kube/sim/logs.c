/*
 * logs.c - GET .../pods/NAME/log of the simulated API server: the lines
 * the simulated kubelet wrote (container, previous), cut by sinceSeconds,
 * sinceTime, tailLines and limitBytes, optionally with RFC 3339
 * timestamps, as text/plain; with follow=true the response stays open and
 * new lines are sent as the container writes them, until it stops or
 * restarts, or the client goes away.
 */
#define _GNU_SOURCE
#include "kube/sim/server.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How often a follower looks for new lines. */
#define FOLLOW_POLL_MS 100

struct log_line {
	long long ts;
	char *text;
};

struct log_lines {
	struct log_line *v;
	size_t n, cap;
};

static void collect(long long ts_ms, const char *line, void *ud)
{
	struct log_lines *l = ud;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = xrealloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n].ts = ts_ms;
	l->v[l->n].text = xstrdup(line);
	l->n++;
}

static void lines_free(struct log_lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].text);
	free(l->v);
	memset(l, 0, sizeof *l);
}

struct log_opts {
	char ns[254], pod[254], container[254];
	int has_container;
	int previous, timestamps, follow;
	long long tail;       /* -1: all */
	long long since_ms;   /* wall ms; 0: from the start */
	long long limit;      /* bytes; -1: no limit */
	int client_fd;
};

/* "2026-11-28T11:32:10Z" or with fractions; -1 when not RFC 3339. */
static long long parse_rfc3339(const char *s)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		return -1;
	long long ms = 0;
	if (*end == '.') {
		long long scale = 100;
		for (end++; *end >= '0' && *end <= '9'; end++) {
			ms += (*end - '0') * scale;
			scale /= 10;
		}
	}
	if (strcmp(end, "Z") != 0)
		return -1;
	return (long long)timegm(&tm) * 1000 + ms;
}

static void format_line(struct dbuf *b, const struct log_opts *o,
			const struct log_line *l)
{
	if (o->timestamps) {
		time_t t = (time_t)(l->ts / 1000);
		struct tm tm;
		char buf[40];
		gmtime_r(&t, &tm);
		strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
		dbuf_printf(b, "%s.%03lld000000Z ", buf, l->ts % 1000);
	}
	dbuf_puts(b, l->text);
	dbuf_puts(b, "\n");
}

/* The selected lines now: 0 with *seq the container's log position, or
 * -1 with st. Lock taken here. */
static int read_lines(struct sim *s, const struct log_opts *o,
		      struct log_lines *l, long long *seq, struct sim_status *st)
{
	sim_lock(s);
	int rc = sim_pod_log_lines(s, o->ns, o->pod,
				   o->has_container ? o->container : NULL, o->previous,
				   collect, l, st);
	*seq = sim_pod_log_seq(s, o->ns, o->pod, o->has_container ? o->container : NULL);
	sim_unlock(s);
	return rc;
}

struct follow {
	struct sim *s;
	struct log_opts o;
	struct dbuf pending;
	size_t off;
	size_t sent;   /* lines of the current instance already sent */
	long long seq; /* its position when last read */
	long long written; /* bytes, for limitBytes */
	long long cuts;    /* the sim's log_cuts when the stream began */
	int ended;
};

static int client_gone(int fd)
{
	if (fd < 0)
		return 0;
	struct pollfd p = { .fd = fd, .events = POLLRDHUP };
	return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* Append the lines from index from on, within limitBytes. */
static void emit_from(struct follow *f, struct log_lines *l, size_t from)
{
	for (size_t i = from; i < l->n; i++) {
		size_t before = f->pending.len;
		format_line(&f->pending, &f->o, &l->v[i]);
		if (f->o.limit >= 0 &&
		    f->written + (long long)(f->pending.len - before) > f->o.limit) {
			f->pending.len = before + (size_t)(f->o.limit - f->written);
			f->pending.p[f->pending.len] = '\0';
			f->ended = 1;
			f->written = f->o.limit;
			return;
		}
		f->written += (long long)(f->pending.len - before);
	}
}

static long follow_next(void *stream, char *buf, size_t max)
{
	struct follow *f = stream;
	while (f->off == f->pending.len) {
		dbuf_reset(&f->pending);
		f->off = 0;
		if (f->ended || client_gone(f->o.client_fd))
			return -1;
		sim_lock(f->s);
		long long seq = sim_pod_log_seq(f->s, f->o.ns, f->o.pod,
						f->o.has_container ? f->o.container : NULL);
		int stopping = f->s->stopping;
		int cut = f->s->log_cuts != f->cuts;
		sim_unlock(f->s);
		if (cut)
			return SIM_STREAM_CUT;
		/* Stopped, gone or restarted: a real follow ends there too. */
		if (stopping || seq < 0 || (seq >> 32) != (f->seq >> 32))
			return -1;
		if (seq == f->seq) {
			struct timespec ts = { 0, FOLLOW_POLL_MS * 1000000L };
			nanosleep(&ts, NULL);
			continue;
		}
		struct log_lines l = { 0 };
		struct sim_status st = { 0 };
		long long now_seq;
		if (read_lines(f->s, &f->o, &l, &now_seq, &st) < 0) {
			sim_status_clear(&st);
			lines_free(&l);
			return -1;
		}
		f->seq = now_seq;
		emit_from(f, &l, f->sent);
		if (l.n > f->sent)
			f->sent = l.n;
		lines_free(&l);
	}
	size_t n = f->pending.len - f->off;
	if (n > max)
		n = max;
	memcpy(buf, f->pending.p + f->off, n);
	f->off += n;
	return (long)n;
}

static void follow_done(void *stream)
{
	struct follow *f = stream;
	if (!f)
		return;
	dbuf_free(&f->pending);
	free(f);
}

/* Answer GET .../pods/NAME/log: text, or a stream with follow. */
void sim_api_logs(struct sim_request *rq, struct sim_resp *r)
{
	struct sim_status st = { 0 };
	struct log_opts o;
	struct log_lines l = { 0 };
	memset(&o, 0, sizeof o);
	snprintf(o.ns, sizeof o.ns, "%s", rq->route.ns);
	snprintf(o.pod, sizeof o.pod, "%s", rq->route.name);
	if (rq->q.container && *rq->q.container) {
		snprintf(o.container, sizeof o.container, "%s", rq->q.container);
		o.has_container = 1;
	}
	o.previous = sim_query_bool(rq->q.previous);
	o.timestamps = sim_query_bool(rq->q.timestamps);
	o.follow = sim_query_bool(rq->q.follow);
	o.tail = -1;
	o.limit = -1;
	o.client_fd = rq->client_fd;
	long long since = 0;
	if (sim_query_int("tailLines", rq->q.tail_lines, 0, 1LL << 40, &o.tail, &st) < 0 ||
	    sim_query_int("limitBytes", rq->q.limit_bytes, 1, 1LL << 40, &o.limit, &st) < 0 ||
	    sim_query_int("sinceSeconds", rq->q.since_seconds, 1, 1LL << 40, &since, &st) < 0)
		goto fail;
	if (since)
		o.since_ms = sim_wall_ms(rq->sim) - since * 1000;
	if (rq->q.since_time && *rq->q.since_time) {
		if (since) {
			sim_status_bad_request(&st, "at most one of sinceTime or "
						    "sinceSeconds may be specified");
			goto fail;
		}
		o.since_ms = parse_rfc3339(rq->q.since_time);
		if (o.since_ms < 0) {
			sim_status_bad_request(&st, "invalid value for sinceTime: \"%.64s\"",
					       rq->q.since_time);
			goto fail;
		}
	}
	sim_lock(rq->sim);
	int exists = sim_store_get(rq->sim, rq->route.kind, o.ns, o.pod) != NULL;
	sim_unlock(rq->sim);
	if (!exists) {
		sim_status_not_found(&st, rq->route.kind, o.pod);
		goto fail;
	}
	long long seq;
	if (read_lines(rq->sim, &o, &l, &seq, &st) < 0)
		goto fail;
	/* Cut: since, then tail. */
	size_t first = 0;
	while (first < l.n && o.since_ms && l.v[first].ts < o.since_ms)
		first++;
	if (o.tail >= 0 && l.n - first > (size_t)o.tail)
		first = l.n - (size_t)o.tail;
	struct follow *f = xcalloc(1, sizeof *f);
	f->s = rq->sim;
	f->o = o;
	f->seq = seq;
	f->sent = l.n;
	sim_lock(rq->sim);
	f->cuts = rq->sim->log_cuts;
	sim_unlock(rq->sim);
	dbuf_init(&f->pending, 0);
	emit_from(f, &l, first);
	lines_free(&l);
	r->code = 200;
	r->ctype = "text/plain";
	if (!o.follow || o.previous || f->ended) {
		r->len = f->pending.len;
		r->body = f->pending.p ? dbuf_take(&f->pending) : xstrdup("");
		follow_done(f);
		return;
	}
	r->stream = f;
	r->next = follow_next;
	r->done = follow_done;
	return;
fail:
	lines_free(&l);
	sim_resp_status(r, &st);
	sim_status_clear(&st);
}
