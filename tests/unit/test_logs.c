/* test_logs.c - the log stream's line logic: timestamps stripped or kept,
 * a cut stream resumed without losing or repeating a line, limit-bytes on
 * what is shown, the queries it sends, endless lines. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube.h"

struct out {
	struct dbuf text;
	int markers;
};

static void collect(void *ctx, const char *line, size_t n, int marker)
{
	struct out *o = ctx;
	if (marker)
		o->markers++;
	else
		dbuf_append(&o->text, line, n);
}

static void test_timestamps(void **state)
{
	(void)state;
	long long s;
	long ns;
	size_t len;
	assert_int_equal(kube_log_timestamp("2026-11-28T11:32:09.5Z rest", 27, &s, &ns, &len), 0);
	assert_int_equal(s, 1795865529LL);
	assert_int_equal(ns, 500000000);
	assert_int_equal(len, 22);
	assert_int_equal(kube_log_timestamp("2026-11-28T11:32:09.123456789Z", 30, &s, &ns, &len), 0);
	assert_int_equal(ns, 123456789);
	assert_int_equal(kube_log_timestamp("2026-11-28T12:32:09+01:00 x", 27, &s, &ns, &len), 0);
	assert_int_equal(s, 1795865529LL);
	assert_int_equal(ns, 0);
	assert_int_equal(len, 25);
	assert_int_equal(kube_log_timestamp("hello world, not a time", 23, &s, &ns, &len), -1);
	assert_int_equal(kube_log_timestamp("2026-11-28T11:32:09", 19, &s, &ns, &len), -1);
	/* digits only where digits belong (sscanf took signs and spaces) */
	assert_int_equal(kube_log_timestamp("2026-11-28T+1:32:09Z x", 22, &s, &ns, &len), -1);
	assert_int_equal(kube_log_timestamp("2026-11-28T11:32: 9Z x", 22, &s, &ns, &len), -1);
	/* only n bytes are read: a buffer without a terminating NUL (found by
	 * fuzz_logbuf; ASan in make check sees any read past it) */
	char *raw = malloc(20);
	memcpy(raw, "2026-11-28T11:32:09Z", 20);
	assert_int_equal(kube_log_timestamp(raw, 20, &s, &ns, &len), 0);
	assert_int_equal(len, 20);
	memset(raw, '9', 20);
	assert_int_equal(kube_log_timestamp(raw, 20, &s, &ns, &len), -1);
	free(raw);
}

static const char *const STREAM =
	"2026-11-28T11:00:00.1Z one\n"
	"2026-11-28T11:00:01.5Z two\n"
	"2026-11-28T11:00:01.5Z two again\n"
	"2026-11-28T11:00:02Z three\n";

static void test_strip_and_keep(void **state)
{
	(void)state;
	struct out o = { 0 };
	dbuf_init(&o.text, 0);
	struct kube_logbuf b;
	kube_logbuf_init(&b, 0, 0, collect, &o);
	/* byte by byte: lines straddle every boundary */
	for (size_t i = 0; STREAM[i]; i++)
		kube_logbuf_feed(&b, STREAM + i, 1);
	kube_logbuf_feed(&b, "no timestamp here", 17);
	kube_logbuf_finish(&b);
	assert_string_equal(o.text.p, "one\ntwo\ntwo again\nthree\nno timestamp here");
	kube_logbuf_free(&b);
	dbuf_reset(&o.text);
	kube_logbuf_init(&b, 1, 0, collect, &o);
	kube_logbuf_feed(&b, STREAM, strlen(STREAM));
	kube_logbuf_finish(&b);
	assert_string_equal(o.text.p, STREAM);
	kube_logbuf_free(&b);
	dbuf_free(&o.text);
}

/* Cut after "two" and inside "two again": the resumed stream (from the
 * second of the last stamp, so it repeats "two") shows each line once. */
static void test_resume(void **state)
{
	(void)state;
	struct out o = { 0 };
	dbuf_init(&o.text, 0);
	struct kube_logbuf b;
	kube_logbuf_init(&b, 0, 0, collect, &o);
	const char *cut = strstr(STREAM, "two again") + 4;
	kube_logbuf_feed(&b, STREAM, (size_t)(cut - STREAM));
	kube_logbuf_resume(&b);
	struct kube_logs_opts opts = { .follow = 1, .tail = 10, .container = "srv" };
	char *q = kube_logs_query(&opts, &b, 1);
	assert_string_equal(q, "timestamps=true&container=srv&follow=true&sinceTime=2026-11-28T11%3A00%3A01Z");
	free(q);
	const char *again = strstr(STREAM, "2026-11-28T11:00:01.5Z two\n");
	kube_logbuf_feed(&b, again, strlen(again));
	kube_logbuf_feed(&b, "2026-11-28T11:00:03Z four\n", 26);
	kube_logbuf_finish(&b);
	assert_string_equal(o.text.p, "one\ntwo\ntwo again\nthree\nfour\n");
	/* A second cut right after "four": nothing shown twice. */
	kube_logbuf_resume(&b);
	kube_logbuf_feed(&b, "2026-11-28T11:00:03Z four\n2026-11-28T11:00:03.2Z five\n", 54);
	assert_string_equal(o.text.p, "one\ntwo\ntwo again\nthree\nfour\nfive\n");
	kube_logbuf_free(&b);
	dbuf_free(&o.text);
}

static void test_query_first(void **state)
{
	(void)state;
	struct kube_logbuf b;
	kube_logbuf_init(&b, 0, 0, collect, NULL);
	struct kube_logs_opts o = { .tail = 20, .since_seconds = 300, .previous = 1 };
	char *q = kube_logs_query(&o, &b, 0);
	assert_string_equal(q, "timestamps=true&previous=true&tailLines=20&sinceSeconds=300");
	free(q);
	o = (struct kube_logs_opts){ .tail = -1, .since_time = "2026-11-28T11:00:00Z", .follow = 1 };
	q = kube_logs_query(&o, &b, 0);
	assert_string_equal(q, "timestamps=true&follow=true&sinceTime=2026-11-28T11%3A00%3A00Z");
	free(q);
	/* cut before any line: ask as the first time */
	q = kube_logs_query(&o, &b, 1);
	assert_string_equal(q, "timestamps=true&follow=true&sinceTime=2026-11-28T11%3A00%3A00Z");
	free(q);
	kube_logbuf_free(&b);
}

/* limit-bytes counts what the caller sees, not the stripped stamps. */
static void test_limit_bytes(void **state)
{
	(void)state;
	struct out o = { 0 };
	dbuf_init(&o.text, 0);
	struct kube_logbuf b;
	kube_logbuf_init(&b, 0, 6, collect, &o);
	kube_logbuf_feed(&b, STREAM, strlen(STREAM));
	assert_true(b.done);
	assert_string_equal(o.text.p, "one\ntw");
	kube_logbuf_free(&b);
	dbuf_free(&o.text);
}

/* A line longer than the cap arrives in pieces; memory stays bounded. */
static void test_endless_line(void **state)
{
	(void)state;
	struct out o = { 0 };
	dbuf_init(&o.text, 0);
	struct kube_logbuf b;
	kube_logbuf_init(&b, 0, 0, collect, &o);
	char *chunk = xmalloc(1 << 16);
	memset(chunk, 'x', 1 << 16);
	kube_logbuf_feed(&b, "2026-11-28T11:00:00Z ", 21);
	for (int i = 0; i < 40; i++) /* 2.5 MiB */
		kube_logbuf_feed(&b, chunk, 1 << 16);
	kube_logbuf_feed(&b, "\n", 1);
	assert_true(b.line.cap <= (2u << 20) + 1);
	assert_int_equal(o.text.len, 40u * (1 << 16) + 1);
	assert_int_equal(o.text.p[0], 'x'); /* the stamp went */
	free(chunk);
	kube_logbuf_free(&b);
	dbuf_free(&o.text);
}

/* ---- the stream against a scripted server that cuts it ---- */

struct logsrv {
	pthread_mutex_t mu;
	int requests;
	char queries[4][256];
};

struct cut_stream {
	const char *text;
	size_t len, pos;
	int cut;
};

static ssize_t cut_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct cut_stream *s = cls;
	(void)pos;
	if (s->pos >= s->len)
		return s->cut ? MHD_CONTENT_READER_END_WITH_ERROR : MHD_CONTENT_READER_END_OF_STREAM;
	size_t n = s->len - s->pos < max ? s->len - s->pos : max;
	memcpy(buf, s->text + s->pos, n);
	s->pos += n;
	return (ssize_t)n;
}

static int add_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	struct dbuf *b = cls;
	dbuf_printf(b, "%s%s=%s", b->len ? "&" : "", key, value ? value : "");
	return MHD_YES;
}

static enum MHD_Result log_handler(void *cls, struct MHD_Connection *conn, const char *url,
				   const char *method, const char *version, const char *upload,
				   size_t *upload_size, void **con_cls)
{
	(void)url, (void)method, (void)version, (void)upload, (void)upload_size, (void)con_cls;
	struct logsrv *sv = cls;
	pthread_mutex_lock(&sv->mu);
	int n = sv->requests++;
	if (n < 4) {
		struct dbuf q;
		dbuf_init(&q, 250);
		MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, (MHD_KeyValueIterator)add_arg, &q);
		snprintf(sv->queries[n], sizeof sv->queries[n], "%s", q.p ? q.p : "");
		dbuf_free(&q);
	}
	pthread_mutex_unlock(&sv->mu);
	struct cut_stream *s = xcalloc(1, sizeof *s);
	if (n == 0) {
		/* three lines, then the connection drops inside the fourth */
		s->text = "2026-11-28T11:00:00.1Z one\n2026-11-28T11:00:01.5Z two\n"
			  "2026-11-28T11:00:01.5Z two again\n2026-11-28T11:00:02Z thr";
		s->cut = 1;
	} else {
		/* from sinceTime (whole seconds): the second's lines again */
		s->text = "2026-11-28T11:00:01.5Z two\n2026-11-28T11:00:01.5Z two again\n"
			  "2026-11-28T11:00:02Z three\n2026-11-28T11:00:03Z four\n";
	}
	s->len = strlen(s->text);
	struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 1024, cut_read, s, free);
	MHD_add_response_header(r, "Content-Type", "text/plain");
	enum MHD_Result ret = MHD_queue_response(conn, 200, r);
	MHD_destroy_response(r);
	return ret;
}

static void test_stream_resumes(void **state)
{
	(void)state;
	struct logsrv sv = { .mu = PTHREAD_MUTEX_INITIALIZER };
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
						(MHD_AccessHandlerCallback)log_handler, &sv,
						MHD_OPTION_END);
	assert_non_null(d);
	unsigned port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
	struct kube_conn *conn = xcalloc(1, sizeof *conn);
	conn->context = xstrdup("test");
	conn->cluster = xstrdup("test");
	conn->namespace = xstrdup("default");
	conn->server = xasprintf("http://127.0.0.1:%u", port);
	struct perr e = { { 0 } };
	struct kube_client_opts co = { 0 };
	struct kube_client *c = kube_client_new(conn, &co, &e);
	assert_non_null(c);
	struct out o = { 0 };
	dbuf_init(&o.text, 0);
	struct kube_logs_opts opts = { .follow = 1, .tail = 5 };
	struct kube_logstream *ls = kube_logstream_new(c, "default", "p", &opts, collect, &o, &e);
	assert_non_null(ls);
	int st;
	long long start = now_ms();
	while ((st = kube_logstream_step(ls, now_ms())) == 1 && now_ms() - start < 10000)
		kube_logstream_poll(ls, NULL, 0, 100);
	assert_int_equal(st, 0);
	assert_string_equal(o.text.p, "one\ntwo\ntwo again\nthree\nfour\n");
	assert_int_equal(o.markers, 1);
	assert_int_equal(sv.requests, 2);
	assert_non_null(strstr(sv.queries[0], "tailLines=5"));
	assert_non_null(strstr(sv.queries[0], "timestamps=true"));
	assert_null(strstr(sv.queries[1], "tailLines"));
	assert_non_null(strstr(sv.queries[1], "sinceTime=2026-11-28T11:00:01Z"));
	kube_logstream_free(ls);
	kube_client_free(c);
	dbuf_free(&o.text);
	MHD_stop_daemon(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timestamps),
		cmocka_unit_test(test_strip_and_keep),
		cmocka_unit_test(test_resume),
		cmocka_unit_test(test_query_first),
		cmocka_unit_test(test_limit_bytes),
		cmocka_unit_test(test_endless_line),
		cmocka_unit_test(test_stream_resumes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
