/* test_logs.c - the log stream's line logic: timestamps stripped or kept,
 * a cut stream resumed without losing or repeating a line, limit-bytes on
 * what is shown, the queries it sends, endless lines. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timestamps),
		cmocka_unit_test(test_strip_and_keep),
		cmocka_unit_test(test_resume),
		cmocka_unit_test(test_query_first),
		cmocka_unit_test(test_limit_bytes),
		cmocka_unit_test(test_endless_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
