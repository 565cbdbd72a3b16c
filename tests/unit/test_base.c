/* test_base.c - the shared base: errors, capped buffers, the sanitiser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "kube/base.h"

static void test_perr_first_wins(void **state)
{
	(void)state;
	struct perr e = { { 0 } };
	assert_false(perr_isset(&e));
	perr_set(&e, "first %d", 1);
	perr_set(&e, "second");
	assert_string_equal(e.msg, "first 1");
	perr_clear(&e);
	perr_set(&e, "line one\nline two");
	assert_string_equal(e.msg, "line one");
	perr_set(NULL, "no crash");
}

/* dbuf_reserve makes room once: appends up to it keep the same block;
 * past the cap it refuses and changes nothing. */
static void test_dbuf_reserve(void **state)
{
	(void)state;
	struct dbuf b;
	dbuf_init(&b, 100);
	assert_int_equal(dbuf_puts(&b, "ab"), 0);
	assert_int_equal(dbuf_reserve(&b, 99), -1);
	assert_string_equal(b.p, "ab");
	assert_int_equal(dbuf_reserve(&b, 90), 0);
	char *block = b.p;
	for (int i = 0; i < 90; i++)
		assert_int_equal(dbuf_append(&b, "x", 1), 0);
	assert_ptr_equal(b.p, block);
	assert_int_equal(b.len, 92);
	assert_int_equal(b.p[92], '\0');
	assert_int_equal(dbuf_append(&b, "123456789", 9), -1);
	dbuf_free(&b);
	dbuf_init(&b, 0);
	assert_int_equal(dbuf_reserve(&b, 5), 0);
	assert_string_equal(b.p, "");
	dbuf_free(&b);
}

static void test_dbuf_cap(void **state)
{
	(void)state;
	struct dbuf b;
	dbuf_init(&b, 10);
	assert_int_equal(dbuf_puts(&b, "hello"), 0);
	assert_int_equal(dbuf_puts(&b, "world"), 0);
	assert_int_equal(dbuf_puts(&b, "!"), -1);
	assert_string_equal(b.p, "helloworld");
	char *s = dbuf_take(&b);
	assert_string_equal(s, "helloworld");
	assert_null(b.p);
	free(s);
	dbuf_free(&b);
}

static void check_sanitized(const char *in, const char *want, int nl)
{
	char *got = sanitize_text(in, strlen(in), nl);
	assert_string_equal(got, want);
	free(got);
}

static void test_sanitize(void **state)
{
	(void)state;
	check_sanitized("plain", "plain", 0);
	check_sanitized("a\x1b[2Jb", "ab", 0);
	check_sanitized("x\x1b]52;c;aGVsbG8=\x07y", "xy", 0);
	check_sanitized("x\x1b]8;;http://e\x1b\\link\x1b]8;;\x1b\\y", "xlinky", 0);
	check_sanitized("t\x1b]0;title\x07", "t", 0);
	check_sanitized("c1\xc2\x9b" "31m", "c131m", 0);
	check_sanitized("bad\xff\xfeutf", "bad??utf", 0);
	check_sanitized("bidi\xe2\x80\xae" "evil", "bidievil", 0);
	check_sanitized("tab\there", "tab here", 0);
	check_sanitized("l1\nl2\r", "l1l2", 0);
	check_sanitized("l1\nl2", "l1\nl2", 1);
	check_sanitized("caf\xc3\xa9 \xe2\x96\x80", "caf\xc3\xa9 \xe2\x96\x80", 0);
	check_sanitized("overlong\xc0\xaf", "overlong??", 0);
	check_sanitized("esc at end\x1b", "esc at end", 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_perr_first_wins),
		cmocka_unit_test(test_dbuf_cap),
		cmocka_unit_test(test_dbuf_reserve),
		cmocka_unit_test(test_sanitize),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
