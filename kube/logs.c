/*
 * logs.c - pod logs as kubectl gets them (follow, tail, since, since-time,
 * timestamps, previous, container, limit-bytes), with one thing kubectl
 * lacks: a follow stream that drops is resumed where it stopped.
 *
 * To know where it stopped, the stream always asks the server for
 * timestamps and strips them again when the caller did not want them. On a
 * drop it reconnects (with backoff) with sinceTime at the last timestamp's
 * second, skips what it had already delivered (older lines, and as many
 * lines of that very timestamp as it had seen), and tells the caller with
 * a marker line. limit-bytes is counted here, on what the caller sees, so
 * the timestamps the caller did not ask for do not use it up.
 *
 * The line logic (kube_logbuf_*) is separate from the HTTP so tests can
 * feed it any byte sequence; kube_logstream_* drives one transfer at a time
 * on its own curl multi handle from the caller's poll loop.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* timegm */
#endif
#define _POSIX_C_SOURCE 200809L
#include "kube/kube.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* A longer line is handed over in pieces of this size. */
#define LOG_LINE_MAX (1u << 20)
/* Consecutive failed reconnections before the stream gives up. */
#define LOG_MAX_RETRIES 10

/* The k decimal digits at s, or -1 when one is not a digit. */
static int ts_digits(const char *s, int k)
{
	int v = 0;
	for (int i = 0; i < k; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int kube_log_timestamp(const char *s, size_t n, long long *sec, long *nsec, size_t *len)
{
	/* 2026-11-28T11:32:09.123456789Z, or an offset instead of Z. Digits
	 * at fixed places, read within n: s is not NUL-terminated. */
	if (n < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
		return -1;
	int Y = ts_digits(s, 4), M = ts_digits(s + 5, 2), D = ts_digits(s + 8, 2),
	    h = ts_digits(s + 11, 2), m = ts_digits(s + 14, 2), sc = ts_digits(s + 17, 2);
	if (Y < 0 || M < 0 || D < 0 || h < 0 || m < 0 || sc < 0)
		return -1;
	size_t i = 19;
	long ns = 0;
	if (i < n && s[i] == '.') {
		int digits = 0;
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			if (digits++ < 9)
				ns = ns * 10 + (s[i] - '0');
		if (!digits)
			return -1;
		for (; digits < 9; digits++)
			ns *= 10;
	}
	long off = 0;
	if (i < n && s[i] == 'Z') {
		i++;
	} else if (i + 6 <= n && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
		int oh = ts_digits(s + i + 1, 2), om = ts_digits(s + i + 4, 2);
		if (oh < 0 || om < 0)
			return -1;
		off = (oh * 3600L + om * 60L) * (s[i] == '-' ? -1 : 1);
		i += 6;
	} else {
		return -1;
	}
	struct tm tm = { .tm_year = Y - 1900, .tm_mon = M - 1, .tm_mday = D,
			 .tm_hour = h, .tm_min = m, .tm_sec = sc };
	*sec = (long long)timegm(&tm) - off;
	*nsec = ns;
	*len = i;
	return 0;
}

static void rfc3339(long long sec, char *buf, size_t n)
{
	time_t t = (time_t)sec;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- lines ---- */

void kube_logbuf_init(struct kube_logbuf *b, int keep_timestamps, long long limit_bytes,
		      kube_log_line_fn fn, void *ctx)
{
	memset(b, 0, sizeof *b);
	dbuf_init(&b->line, LOG_LINE_MAX);
	b->keep_timestamps = keep_timestamps;
	b->limit = limit_bytes;
	b->fn = fn;
	b->ctx = ctx;
}

void kube_logbuf_free(struct kube_logbuf *b)
{
	if (b)
		dbuf_free(&b->line);
}

void kube_logbuf_resume(struct kube_logbuf *b)
{
	b->skip_sec = b->last_sec;
	b->skip_nsec = b->last_nsec;
	b->skip_same = b->same;
	b->skipping = b->have_last;
	dbuf_reset(&b->line);
	b->partial = 0;
}

/* Hand n bytes of user-visible text (with its newline) to the caller,
 * cut at limit-bytes. */
static void deliver(struct kube_logbuf *b, const char *p, size_t n)
{
	if (b->limit > 0) {
		long long left = b->limit - b->delivered;
		if (left <= 0) {
			b->done = 1;
			return;
		}
		if ((long long)n > left) {
			n = (size_t)left;
			b->done = 1;
		}
	}
	b->delivered += (long long)n;
	b->fn(b->ctx, p, n, 0);
	if (b->limit > 0 && b->delivered >= b->limit)
		b->done = 1;
}

/* One complete line (with its newline when it had one). */
static void take_line(struct kube_logbuf *b, const char *p, size_t n)
{
	if (b->done)
		return;
	long long sec;
	long nsec;
	size_t tl;
	if (b->partial || kube_log_timestamp(p, n, &sec, &nsec, &tl) < 0) {
		/* The rest of a long line, or a line without a timestamp (a
		 * server that ignored timestamps=true): shown as it is. */
		deliver(b, p, n);
		return;
	}
	if (b->skipping) {
		if (sec < b->skip_sec || (sec == b->skip_sec && nsec < b->skip_nsec))
			return;
		if (sec == b->skip_sec && nsec == b->skip_nsec && b->skip_same > 0) {
			b->skip_same--;
			return;
		}
		b->skipping = 0;
	}
	if (b->have_last && sec == b->last_sec && nsec == b->last_nsec) {
		b->same++;
	} else {
		b->last_sec = sec;
		b->last_nsec = nsec;
		b->same = 1;
		b->have_last = 1;
	}
	if (b->keep_timestamps) {
		deliver(b, p, n);
	} else {
		size_t skip = tl < n && p[tl] == ' ' ? tl + 1 : tl;
		deliver(b, p + skip, n - skip);
	}
}

void kube_logbuf_feed(struct kube_logbuf *b, const char *data, size_t n)
{
	while (n > 0 && !b->done) {
		const char *nl = memchr(data, '\n', n);
		size_t seg = nl ? (size_t)(nl - data) + 1 : n;
		if (b->line.len + seg > LOG_LINE_MAX) {
			/* An endless line: hand over what fits, keep going. */
			size_t room = LOG_LINE_MAX - b->line.len;
			dbuf_append(&b->line, data, room);
			take_line(b, b->line.p, b->line.len);
			dbuf_reset(&b->line);
			b->partial = 1;
			data += room;
			n -= room;
			continue;
		}
		if (!nl) {
			dbuf_append(&b->line, data, seg);
			return;
		}
		if (b->line.len) {
			dbuf_append(&b->line, data, seg);
			take_line(b, b->line.p, b->line.len);
			dbuf_reset(&b->line);
		} else {
			take_line(b, data, seg);
		}
		b->partial = 0;
		data += seg;
		n -= seg;
	}
}

void kube_logbuf_finish(struct kube_logbuf *b)
{
	if (b->line.len) {
		take_line(b, b->line.p, b->line.len);
		dbuf_reset(&b->line);
	}
	b->partial = 0;
}

char *kube_logs_query(const struct kube_logs_opts *o, const struct kube_logbuf *b, int resume)
{
	struct dbuf q;
	dbuf_init(&q, 0);
	dbuf_puts(&q, "timestamps=true");
	if (o->container && *o->container) {
		char *c = kube_query_escape(o->container);
		dbuf_printf(&q, "&container=%s", c);
		free(c);
	}
	if (o->follow)
		dbuf_puts(&q, "&follow=true");
	if (o->previous)
		dbuf_puts(&q, "&previous=true");
	if (resume && b->have_last) {
		/* Seconds are all sinceTime carries; the lines of that second
		 * already shown are skipped by the logbuf. */
		char ts[32];
		rfc3339(b->last_sec, ts, sizeof ts);
		char *e = kube_query_escape(ts);
		dbuf_printf(&q, "&sinceTime=%s", e);
		free(e);
	} else {
		/* The first request, or a resumption before any line came. */
		if (o->tail >= 0)
			dbuf_printf(&q, "&tailLines=%ld", o->tail);
		if (o->since_seconds > 0) {
			dbuf_printf(&q, "&sinceSeconds=%lld", o->since_seconds);
		} else if (o->since_time && *o->since_time) {
			char *e = kube_query_escape(o->since_time);
			dbuf_printf(&q, "&sinceTime=%s", e);
			free(e);
		}
	}
	return dbuf_take(&q);
}

/* ---- the stream ---- */

struct kube_logstream {
	struct kube_client *client; /* borrowed */
	CURLM *multi;
	struct kube_easy *x;
	char *path;
	struct kube_logs_opts o;
	char *container, *since_time;
	struct kube_logbuf buf;
	struct dbuf errbody;  /* a failed answer's Status */
	long status;
	int resumed;          /* the transfer in flight is a resumption */
	int announced;        /* the resumption marker was shown */
	int state;            /* 1 running, 0 finished, -1 failed */
	int retries;
	long long backoff, due;
	unsigned long long rng;
	struct perr e;
};

static size_t ls_header(char *data, size_t size, size_t n, void *arg)
{
	struct kube_logstream *ls = arg;
	size_t len = size * n;
	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		const char *sp = memchr(data, ' ', len);
		ls->status = sp ? strtol(sp + 1, NULL, 10) : 0;
	}
	return len;
}

static void marker(struct kube_logstream *ls)
{
	char ts[32] = "the start";
	if (ls->buf.have_last)
		rfc3339(ls->buf.last_sec, ts, sizeof ts);
	char line[128];
	int n = snprintf(line, sizeof line, "--- log stream dropped; resumed at %s ---\n", ts);
	ls->buf.fn(ls->buf.ctx, line, (size_t)n, 1);
}

static size_t ls_body(char *data, size_t size, size_t n, void *arg)
{
	struct kube_logstream *ls = arg;
	size_t len = size * n;
	if (ls->status != 200) {
		if (dbuf_append(&ls->errbody, data, len) < 0)
			return 0;
		return len;
	}
	if (ls->resumed && !ls->announced) {
		marker(ls);
		ls->announced = 1;
	}
	ls->retries = 0;
	ls->backoff = 0;
	kube_logbuf_feed(&ls->buf, data, len);
	return ls->buf.done ? 0 : len; /* limit-bytes reached: stop */
}

static int ls_start(struct kube_logstream *ls, struct perr *e)
{
	char *q = kube_logs_query(&ls->o, &ls->buf, ls->resumed);
	ls->x = kube_easy_new(ls->client, "GET", ls->path, q, "*/*", e);
	free(q);
	if (!ls->x)
		return -1;
	ls->status = 0;
	dbuf_free(&ls->errbody);
	dbuf_init(&ls->errbody, 1 << 20);
	CURL *h = ls->x->curl;
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, ls_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, ls);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, ls_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, ls);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	long t = kube_client_timeout(ls->client);
	if (!ls->o.follow && t > 0)
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, t);
	curl_multi_add_handle(ls->multi, h);
	return 0;
}

struct kube_logstream *kube_logstream_new(struct kube_client *c, const char *ns, const char *pod,
					  const struct kube_logs_opts *o, kube_log_line_fn fn,
					  void *ctx, struct perr *e)
{
	struct kube_logstream *ls = xcalloc(1, sizeof *ls);
	ls->client = c;
	ls->multi = curl_multi_init();
	char *n = kube_query_escape(ns), *p = kube_query_escape(pod);
	ls->path = xasprintf("/api/v1/namespaces/%s/pods/%s/log", n, p);
	free(n);
	free(p);
	ls->o = *o;
	ls->container = xstrdup(o->container);
	ls->since_time = xstrdup(o->since_time);
	ls->o.container = ls->container;
	ls->o.since_time = ls->since_time;
	ls->rng = (unsigned long long)now_ms() * 0x9E3779B97F4A7C15ULL + 1;
	kube_logbuf_init(&ls->buf, o->timestamps, o->limit_bytes, fn, ctx);
	dbuf_init(&ls->errbody, 1 << 20);
	ls->state = 1;
	if (!ls->multi || ls_start(ls, e) < 0) {
		kube_logstream_free(ls);
		return NULL;
	}
	return ls;
}

void kube_logstream_free(struct kube_logstream *ls)
{
	if (!ls)
		return;
	if (ls->x) {
		curl_multi_remove_handle(ls->multi, ls->x->curl);
		kube_easy_free(ls->x);
	}
	if (ls->multi)
		curl_multi_cleanup(ls->multi);
	kube_logbuf_free(&ls->buf);
	dbuf_free(&ls->errbody);
	free(ls->path);
	free(ls->container);
	free(ls->since_time);
	free(ls);
}

/* The transfer ended with rc: finished, failed, or resume later. */
static void ls_done(struct kube_logstream *ls, CURLcode rc, long long now)
{
	struct perr e = { { 0 } };
	int stopped_by_limit = ls->buf.done;
	int ok = kube_easy_check(ls->x, stopped_by_limit ? CURLE_OK : rc, ls->errbody.p,
				 ls->errbody.len, &e) == 0;
	long status = ls->status;
	curl_multi_remove_handle(ls->multi, ls->x->curl);
	kube_easy_free(ls->x);
	ls->x = NULL;
	if (stopped_by_limit || (ok && rc == CURLE_OK)) {
		/* The server ended the stream (the container stopped, or the
		 * logs were all sent): done. */
		kube_logbuf_finish(&ls->buf);
		ls->state = 0;
		return;
	}
	/* A refusal (404, 400 for previous...) is final; a cut connection or
	 * a server error is worth another try. */
	if (status >= 400 && status < 500 && status != 429) {
		perr_set(&ls->e, "%s", e.msg);
		ls->state = -1;
		return;
	}
	if (++ls->retries > LOG_MAX_RETRIES) {
		perr_set(&ls->e, "log stream dropped and could not resume: %s", e.msg);
		ls->state = -1;
		return;
	}
	ls->rng ^= ls->rng << 13;
	ls->rng ^= ls->rng >> 7;
	ls->rng ^= ls->rng << 17;
	ls->due = now + kube_backoff_next(&ls->backoff, ls->rng);
	/* A partial line of the cut stream is not shown: the resumed stream
	 * sends it again whole. */
	kube_logbuf_resume(&ls->buf);
	ls->resumed = 1;
	ls->announced = 0;
}

int kube_logstream_step(struct kube_logstream *ls, long long now)
{
	if (ls->state != 1)
		return ls->state;
	if (!ls->x && now >= ls->due) {
		struct perr e = { { 0 } };
		if (ls_start(ls, &e) < 0) {
			perr_set(&ls->e, "%s", e.msg);
			ls->state = -1;
			return -1;
		}
	}
	int running;
	curl_multi_perform(ls->multi, &running);
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(ls->multi, &left)))
		if (m->msg == CURLMSG_DONE && ls->x && m->easy_handle == ls->x->curl)
			ls_done(ls, m->data.result, now);
	return ls->state;
}

int kube_logstream_poll(struct kube_logstream *ls, struct curl_waitfd *extra, unsigned n_extra,
			int max_ms)
{
	int ms = max_ms < 0 ? 1000 : max_ms;
	if (!ls->x) {
		long long wait = ls->due - now_ms();
		if (wait < ms)
			ms = wait > 0 ? (int)wait : 0;
	}
	int numfds = 0;
	if (curl_multi_poll(ls->multi, extra, n_extra, ms, &numfds) != CURLM_OK)
		return -1;
	return numfds;
}

const char *kube_logstream_error(const struct kube_logstream *ls)
{
	return ls->e.msg[0] ? ls->e.msg : NULL;
}
