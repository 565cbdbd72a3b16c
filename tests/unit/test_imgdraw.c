/* test_imgdraw.c - images as text: half blocks with grey colours, Unicode
 * shades, ASCII shades, and the mode chosen from locale and terminal. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "tui/tui.h"

/* 2 columns x 3 rows: black/white on top, a grey row, a last odd row. */
static const unsigned char img[] = { 0, 255, 255, 0, 128, 128 };

static void test_ascii(void **state)
{
	(void)state;
	struct dbuf b;
	dbuf_init(&b, 0);
	imgdraw_render(img, 3, 2, IMGDRAW_ASCII, "> ", &b);
	/* Rows 0+1 average to 128 ('+'), row 2 with black below to 64 (':'). */
	assert_string_equal(b.p, "> ++\n> ::\n");
	dbuf_free(&b);
}

static void test_shades(void **state)
{
	(void)state;
	const unsigned char white[] = { 255, 255 };
	struct dbuf b;
	dbuf_init(&b, 0);
	imgdraw_render(white, 2, 1, IMGDRAW_SHADES, "", &b);
	assert_string_equal(b.p, "\u2588\n");
	dbuf_free(&b);
}

static void test_color(void **state)
{
	(void)state;
	struct dbuf b;
	dbuf_init(&b, 0);
	imgdraw_render(img, 2, 2, IMGDRAW_COLOR, "", &b);
	/* Top pixel is the foreground, bottom the background. */
	assert_string_equal(b.p, "\x1b[38;5;16;48;5;231m\u2580"
				 "\x1b[38;5;231;48;5;16m\u2580\x1b[0m\n");
	dbuf_free(&b);
}

static void test_mode(void **state)
{
	(void)state;
	setlocale(LC_CTYPE, "C");
	assert_int_equal(imgdraw_mode_for(-1), IMGDRAW_ASCII);
	if (setlocale(LC_CTYPE, "C.UTF-8")) {
		/* Not a terminal: shades, no colour. */
		assert_int_equal(imgdraw_mode_for(-1), IMGDRAW_SHADES);
	}
	setlocale(LC_CTYPE, "C");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ascii),
		cmocka_unit_test(test_shades),
		cmocka_unit_test(test_color),
		cmocka_unit_test(test_mode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
