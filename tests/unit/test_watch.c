/* test_watch.c - the JSON tokenizer and the watch-stream decoder, fed the
 * recorded kube-apiserver 1.20 watch streams whole, split at every byte
 * boundary and byte by byte, plus caps, garbage and invalid UTF-8. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube.h"

static char *load(const char *name, size_t *len)
{
	const char *top = getenv("TOP");
	char path[1024];
	snprintf(path, sizeof path, "%s/tests/data/kube/fixtures/%s", top ? top : ".", name);
	char *buf = NULL;
	struct perr e = { { 0 } };
	if (read_file(path, 64 << 20, &buf, len, &e) < 0)
		fail_msg("%s", e.msg);
	return buf;
}

/* What the decoder saw, as one text line per event, to compare runs. */
struct seen {
	struct dbuf log;
	int n;
};

static int record(void *ctx, const struct kube_watch_event *ev, struct perr *e)
{
	(void)e;
	struct seen *s = ctx;
	const struct jtok_doc *d = ev->doc;
	char *name = jtok_str(d, jtok_path(d, ev->object,
					   (const char *const[]){ "metadata", "name", NULL }));
	char *rv = jtok_str(d, jtok_path(d, ev->object,
					 (const char *const[]){ "metadata", "resourceVersion", NULL }));
	dbuf_printf(&s->log, "%s %s %s %d %s\n", kube_event_type_name(ev->type),
		    name ? name : "-", rv ? rv : "-", ev->status.code, ev->status.reason);
	free(name);
	free(rv);
	s->n++;
	return 0;
}

/* Decode buf in chunks given by cut points; returns the decoder's rc. */
static int decode_chunks(const char *buf, size_t len, const size_t *cuts, size_t ncuts,
			 struct seen *s, struct perr *e)
{
	struct kube_watch *w = kube_watch_new(0);
	size_t pos = 0;
	int rc = 0;
	for (size_t i = 0; i <= ncuts && rc == 0; i++) {
		size_t end = i < ncuts ? cuts[i] : len;
		/* Copy each chunk so a read past its end is caught by ASan. */
		char *chunk = xmalloc(end - pos + 1);
		memcpy(chunk, buf + pos, end - pos);
		rc = kube_watch_feed(w, chunk, end - pos, record, s, e);
		free(chunk);
		pos = end;
	}
	if (rc == 0)
		rc = kube_watch_finish(w, e);
	kube_watch_free(w);
	return rc;
}

static const struct {
	const char *file;
	int events;
	const char *first; /* the first event as record() prints it */
} fixtures[] = {
	{ "watch-pods-scaling.json", 13, "MODIFIED demo-997c454df-fc6md 1273 0 \n" },
	{ "watch-deployment-scaling.json", 9, "MODIFIED demo " },
	{ "watch-410-expired.json", 1, "ERROR - - 410 Expired\n" },
	{ "watch-410-expired-deployments.json", 1, "ERROR - - 410 Expired\n" },
};

static void test_fixtures_whole(void **state)
{
	(void)state;
	for (size_t f = 0; f < sizeof fixtures / sizeof fixtures[0]; f++) {
		size_t len;
		char *buf = load(fixtures[f].file, &len);
		struct seen s = { 0 };
		dbuf_init(&s.log, 0);
		struct perr e = { { 0 } };
		assert_int_equal(decode_chunks(buf, len, NULL, 0, &s, &e), 0);
		assert_int_equal(s.n, fixtures[f].events);
		assert_memory_equal(s.log.p, fixtures[f].first, strlen(fixtures[f].first));
		dbuf_free(&s.log);
		free(buf);
	}
}

static void test_pods_event_types(void **state)
{
	(void)state;
	size_t len;
	char *buf = load("watch-pods-scaling.json", &len);
	struct seen s = { 0 };
	dbuf_init(&s.log, 0);
	struct perr e = { { 0 } };
	assert_int_equal(decode_chunks(buf, len, NULL, 0, &s, &e), 0);
	int added = 0, modified = 0;
	for (char *p = s.log.p; *p; p = strchr(p, '\n') + 1) {
		if (strncmp(p, "ADDED ", 6) == 0)
			added++;
		if (strncmp(p, "MODIFIED ", 9) == 0)
			modified++;
	}
	assert_int_equal(added, 2);
	assert_int_equal(modified, 11);
	dbuf_free(&s.log);
	free(buf);
}

static int grab(void *ctx, const struct kube_watch_event *ev, struct perr *pe)
{
	(void)pe;
	assert_int_equal(ev->type, KUBE_EVENT_ERROR);
	*(struct kube_watch_status *)ctx = ev->status;
	return 0;
}

static void test_status_message(void **state)
{
	(void)state;
	size_t len;
	char *buf = load("watch-410-expired.json", &len);
	struct kube_watch *w = kube_watch_new(0);
	struct kube_watch_status got = { 0 };
	struct perr e = { { 0 } };
	assert_int_equal(kube_watch_feed(w, buf, len, grab, &got, &e), 0);
	assert_int_equal(got.code, 410);
	assert_string_equal(got.reason, "Expired");
	assert_string_equal(got.message, "too old resource version: 1 (889)");
	kube_watch_free(w);
	free(buf);
}

/* Every fixture split into two chunks at every byte boundary, and fed one
 * byte at a time, decodes to exactly the events of the whole stream. */
static void test_every_boundary(void **state)
{
	(void)state;
	for (size_t f = 0; f < sizeof fixtures / sizeof fixtures[0]; f++) {
		size_t len;
		char *buf = load(fixtures[f].file, &len);
		struct seen whole = { 0 };
		dbuf_init(&whole.log, 0);
		struct perr e = { { 0 } };
		assert_int_equal(decode_chunks(buf, len, NULL, 0, &whole, &e), 0);
		for (size_t cut = 0; cut <= len; cut++) {
			struct seen s = { 0 };
			dbuf_init(&s.log, 0);
			assert_int_equal(decode_chunks(buf, len, &cut, 1, &s, &e), 0);
			assert_int_equal(s.n, whole.n);
			assert_string_equal(s.log.p, whole.log.p);
			dbuf_free(&s.log);
		}
		size_t *cuts = xmalloc(len * sizeof *cuts);
		for (size_t i = 0; i < len; i++)
			cuts[i] = i + 1;
		struct seen s = { 0 };
		dbuf_init(&s.log, 0);
		assert_int_equal(decode_chunks(buf, len, cuts, len - 1, &s, &e), 0);
		assert_string_equal(s.log.p, whole.log.p);
		dbuf_free(&s.log);
		free(cuts);
		dbuf_free(&whole.log);
		free(buf);
	}
}

static int count_only(void *ctx, const struct kube_watch_event *ev, struct perr *e)
{
	(void)ev;
	(void)e;
	(*(int *)ctx)++;
	return 0;
}

/* A 100 MB line with no newline is refused once it passes the cap; the
 * decoder never holds more than the cap. */
static void test_line_cap(void **state)
{
	(void)state;
	struct kube_watch *w = kube_watch_new(0);
	size_t chunk = 1 << 20;
	char *junk = xmalloc(chunk);
	memset(junk, 'x', chunk);
	memcpy(junk, "{\"type\":\"ADDED\",\"object\":{\"a\":\"", 31);
	struct perr e = { { 0 } };
	int n = 0, rc = 0;
	size_t fed = 0;
	while (fed < (size_t)100 << 20) {
		rc = kube_watch_feed(w, junk, chunk, count_only, &n, &e);
		if (rc < 0)
			break;
		fed += chunk;
		memset(junk, 'x', 31);
	}
	assert_int_equal(rc, -1);
	assert_true(fed <= KUBE_WATCH_MAX_LINE);
	assert_non_null(strstr(e.msg, "longer than"));
	assert_non_null(strstr(e.msg, "refused"));
	assert_int_equal(n, 0);
	/* refused until reset; then a good line decodes */
	perr_clear(&e);
	const char *ok = "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"9\"}}}\n";
	assert_int_equal(kube_watch_feed(w, ok, strlen(ok), count_only, &n, &e), -1);
	kube_watch_reset(w);
	perr_clear(&e);
	assert_int_equal(kube_watch_feed(w, ok, strlen(ok), count_only, &n, &e), 0);
	assert_int_equal(n, 1);
	free(junk);
	kube_watch_free(w);

	/* A small cap: a line of exactly the cap passes, one byte more fails. */
	w = kube_watch_new(strlen(ok) - 1);
	n = 0;
	perr_clear(&e);
	assert_int_equal(kube_watch_feed(w, ok, strlen(ok), count_only, &n, &e), 0);
	kube_watch_free(w);
	w = kube_watch_new(strlen(ok) - 2);
	perr_clear(&e);
	assert_int_equal(kube_watch_feed(w, ok, 10, count_only, &n, &e), 0);
	assert_int_equal(kube_watch_feed(w, ok + 10, strlen(ok) - 10, count_only, &n, &e), -1);
	kube_watch_free(w);
}

static void expect_error(const char *stream, const char *want)
{
	struct kube_watch *w = kube_watch_new(0);
	struct perr e = { { 0 } };
	int n = 0;
	int rc = kube_watch_feed(w, stream, strlen(stream), count_only, &n, &e);
	if (rc == 0)
		rc = kube_watch_finish(w, &e);
	assert_int_equal(rc, -1);
	if (!strstr(e.msg, want))
		fail_msg("error '%s' lacks '%s'", e.msg, want);
	kube_watch_free(w);
}

static void test_garbage(void **state)
{
	(void)state;
	expect_error("hello\n", "invalid JSON at byte 0");
	expect_error("<html>503</html>\n", "invalid JSON");
	expect_error("[1,2]\n", "not a JSON object");
	expect_error("{\"type\":\"ADDED\"}\n", "\"object\" is not a JSON object");
	expect_error("{\"type\":\"RENAMED\",\"object\":{}}\n", "unknown \"type\"");
	expect_error("{\"type\":\"ADDED\",\"object\":{\"n\":\"\xff\"}}\n", "invalid UTF-8");
	expect_error("{\"type\":\"ADDED\",\"object\":{\"n\":\"\xc0\xaf\"}}\n", "invalid UTF-8");
	expect_error("{\"type\":\"ADDED\",\"object\":{\"n\":\"\xed\xa0\x80\"}}\n", "invalid UTF-8");
	expect_error("{\"type\":\"ADDED\",\"object\":{}} x\n", "trailing data");
	expect_error("{\"type\":\"ADDED\",\"object\":{\"n\":\"a\nb\"}}\n", "unterminated");
	expect_error("{\"type\":\"ADDED\",\"object\":{}}\n{\"type\":", "ended inside event 2");
	expect_error("{\"type\":\"ADDED\",\"object\":{\"n\":\"\\ud800\"}}\n", "surrogate");
	expect_error("{\"type\":\"ADDED\",\"object\":{\"n\":01}}\n", "expected ',' or '}'");
	expect_error("{\"type\":\"ADDED\",\"object\":{\"n\":1.}}\n", "bad fraction");
	expect_error("{\"type\":\"ADDED\",\"object\":{\"n\":tru}}\n", "unexpected character");
	expect_error("{\"type\":\"ADDED\",\"object\":{\"n\":[1,]}}\n", "invalid JSON");
	expect_error("{\"type\":\"ADDED\",\"object\":{\"n\" 1}}\n", "expected ':'");
	struct dbuf deep;
	dbuf_init(&deep, 0);
	dbuf_puts(&deep, "{\"type\":\"ADDED\",\"object\":{\"n\":");
	for (int i = 0; i < 300; i++)
		dbuf_puts(&deep, "[");
	dbuf_puts(&deep, "\n");
	expect_error(deep.p, "nested too deeply");
	dbuf_free(&deep);
}

/* Blank lines and CRLF endings are accepted; events keep their order. */
static void test_blank_and_crlf(void **state)
{
	(void)state;
	const char *s = "\n  \r\n{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\"}}}\r\n"
			"{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"a\"}}}\n";
	struct seen seen = { 0 };
	dbuf_init(&seen.log, 0);
	struct perr e = { { 0 } };
	assert_int_equal(decode_chunks(s, strlen(s), NULL, 0, &seen, &e), 0);
	assert_string_equal(seen.log.p, "ADDED a - 0 \nDELETED a - 0 \n");
	dbuf_free(&seen.log);
}

/* A callback's error stops the stream and comes back to the caller. */
static int refuse(void *ctx, const struct kube_watch_event *ev, struct perr *e)
{
	(void)ctx;
	(void)ev;
	perr_set(e, "no thanks");
	return -1;
}

static void test_callback_error(void **state)
{
	(void)state;
	const char *s = "{\"type\":\"ADDED\",\"object\":{}}\n";
	struct kube_watch *w = kube_watch_new(0);
	struct perr e = { { 0 } };
	assert_int_equal(kube_watch_feed(w, s, strlen(s), refuse, NULL, &e), -1);
	assert_string_equal(e.msg, "no thanks");
	kube_watch_free(w);
}

/* The tokenizer: lookups, escapes, numbers, and the same tree jansson
 * builds for every fixture line. */
static void test_jtok(void **state)
{
	(void)state;
	const char *s = "{\"a\":{\"b\":[1,-2.5e3,true,null,\"x\"]},\"k\\n\":\"caf\\u00e9 \\ud83d\\ude00 \\\"q\\\"\",\"z\":\"\\u0000\"}";
	struct jtok_doc d = { 0 };
	struct perr e = { { 0 } };
	assert_int_equal(jtok_parse(&d, s, strlen(s), &e), 0);
	int b = jtok_path(&d, 0, (const char *const[]){ "a", "b", NULL });
	assert_int_equal(d.t[b].type, JTOK_ARRAY);
	assert_int_equal(d.t[b].count, 5);
	int c = jtok_child(&d, b, -1);
	long long v;
	assert_int_equal(jtok_int(&d, c, &v), 0);
	assert_int_equal(v, 1);
	c = jtok_child(&d, b, c);
	assert_int_equal(jtok_int(&d, c, &v), -1); /* not an integer */
	c = jtok_child(&d, b, c);
	assert_int_equal(d.t[c].type, JTOK_TRUE);
	c = jtok_child(&d, b, jtok_child(&d, b, c));
	assert_true(jtok_str_eq(&d, c, "x"));
	assert_int_equal(jtok_child(&d, b, c), -1);
	/* escaped keys never match plain lookups */
	assert_int_equal(jtok_get(&d, 0, "k\n"), -1);
	int k = jtok_child(&d, 0, jtok_child(&d, 0, -1));
	char *str = jtok_str(&d, k + 1);
	assert_string_equal(str, "caf\xc3\xa9 \xf0\x9f\x98\x80 \"q\"");
	free(str);
	str = jtok_str(&d, jtok_get(&d, 0, "z"));
	assert_string_equal(str, "\xef\xbf\xbd");
	free(str);
	assert_int_equal(jtok_get(&d, 0, "missing"), -1);
	assert_null(jtok_str(&d, b));
	json_t *j = jtok_to_json(&d, 0);
	json_t *ref = json_loads(s, JSON_ALLOW_NUL, NULL);
	assert_non_null(ref);
	/* jansson keeps \u0000; we replace it: compare the rest. */
	json_object_del(j, "z");
	json_object_del(ref, "z");
	assert_true(json_equal(j, ref));
	json_decref(j);
	json_decref(ref);

	for (size_t f = 0; f < sizeof fixtures / sizeof fixtures[0]; f++) {
		size_t len;
		char *buf = load(fixtures[f].file, &len);
		for (char *line = buf, *nl; (nl = memchr(line, '\n', len - (size_t)(line - buf)));
		     line = nl + 1) {
			assert_int_equal(jtok_parse(&d, line, (size_t)(nl - line), &e), 0);
			json_t *mine = jtok_to_json(&d, 0);
			json_t *theirs = json_loadb(line, (size_t)(nl - line), 0, NULL);
			assert_true(json_equal(mine, theirs));
			/* without managedFields: the rest is the same */
			json_t *slim = jtok_to_json_skip(&d, 0, "managedFields");
			json_t *meta = json_object_get(json_object_get(theirs, "object"), "metadata");
			json_object_del(meta, "managedFields");
			assert_true(json_equal(slim, theirs));
			json_decref(slim);
			json_decref(mine);
			json_decref(theirs);
		}
		free(buf);
	}
	jtok_doc_free(&d);
	jtok_doc_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures_whole),
		cmocka_unit_test(test_pods_event_types),
		cmocka_unit_test(test_status_message),
		cmocka_unit_test(test_every_boundary),
		cmocka_unit_test(test_line_cap),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_blank_and_crlf),
		cmocka_unit_test(test_callback_error),
		cmocka_unit_test(test_jtok),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
