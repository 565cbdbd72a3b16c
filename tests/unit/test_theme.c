/* test_theme.c - theme files: every shipped theme loads, the built-in
 * default equals themes/default.yaml, bad files fail with file:line:col,
 * and colours degrade to 8 colours and to none. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/tui.h"

static const char *const repo_dirs[] = { "themes", NULL };

static void test_shipped_themes_load(void **state)
{
	(void)state;
	const char *names[] = { "default", "light", "solarized-dark",
				"high-contrast", "mono" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct theme t;
		struct perr e = { { 0 } };
		int rc = theme_load(names[i], repo_dirs, &t, &e);
		if (rc != 0)
			fail_msg("%s: %s", names[i], e.msg);
		assert_string_equal(t.name, names[i]);
		assert_true(t.description[0] != '\0');
	}
}

static void test_default_file_equals_builtin(void **state)
{
	(void)state;
	struct theme file, builtin;
	struct perr e = { { 0 } };
	assert_int_equal(theme_load_file("themes/default.yaml", &file, &e), 0);
	theme_default(&builtin);
	for (int i = 0; i < TH_COUNT; i++) {
		if (file.s[i].fg != builtin.s[i].fg || file.s[i].bg != builtin.s[i].bg ||
		    file.s[i].attrs != builtin.s[i].attrs)
			fail_msg("element %s differs", theme_elem_names[i]);
	}
}

static void test_mono_has_no_colour(void **state)
{
	(void)state;
	struct theme t;
	struct perr e = { { 0 } };
	assert_int_equal(theme_load("mono", repo_dirs, &t, &e), 0);
	for (int i = 0; i < TH_COUNT; i++) {
		assert_int_equal(t.s[i].fg, THEME_DEFAULT_COLOR);
		assert_int_equal(t.s[i].bg, THEME_DEFAULT_COLOR);
	}
	assert_true(t.s[TH_SELECTION].attrs & TA_REVERSE);
}

static void expect_error(const char *file, const char *want)
{
	struct theme t;
	struct perr e = { { 0 } };
	char path[256];
	snprintf(path, sizeof path, "tests/data/themes/%s", file);
	assert_int_equal(theme_load_file(path, &t, &e), -1);
	if (!strstr(e.msg, want))
		fail_msg("%s: got '%s', want '%s'", file, e.msg, want);
	assert_null(strchr(e.msg, '\n'));
}

static void test_bad_files(void **state)
{
	(void)state;
	expect_error("bad-colour.yaml", "bad-colour.yaml:3:17: not a colour");
	expect_error("bad-element.yaml", "bad-element.yaml:3:3: unknown element");
	expect_error("bad-attr.yaml", "unknown attribute (bold, dim, underline, reverse, italic): blink");
	expect_error("bad-yaml.yaml", "bad-yaml.yaml:3:");
	expect_error("no-styles.yaml", "no styles");
	expect_error("does-not-exist.yaml", "cannot open");
}

static void test_hostile_name_sanitised(void **state)
{
	(void)state;
	struct theme t;
	struct perr e = { { 0 } };
	assert_int_equal(theme_load_file("tests/data/themes/hostile-name.yaml", &t, &e), 0);
	assert_null(strchr(t.name, 0x1b));
	assert_null(strchr(t.name, 0x07));
	assert_string_equal(t.name, "evil");
	assert_int_equal(t.s[TH_OK].fg, 196); /* #ff0000 */
}

static void test_theme_names_refused(void **state)
{
	(void)state;
	struct theme t;
	struct perr e = { { 0 } };
	assert_int_equal(theme_load("../etc/passwd", repo_dirs, &t, &e), -1);
	assert_non_null(strstr(e.msg, "not a theme name"));
	perr_clear(&e);
	assert_int_equal(theme_load("nosuch", repo_dirs, &t, &e), -1);
	assert_non_null(strstr(e.msg, "no theme named 'nosuch'"));
	/* default is built in even with no directories */
	perr_clear(&e);
	assert_int_equal(theme_load("default", NULL, &t, &e), 0);
}

static void test_colour_parse(void **state)
{
	(void)state;
	short c;
	assert_int_equal(theme_color_parse("red", &c), 0);
	assert_int_equal(c, 1);
	assert_int_equal(theme_color_parse("bright-white", &c), 0);
	assert_int_equal(c, 15);
	assert_int_equal(theme_color_parse("default", &c), 0);
	assert_int_equal(c, -1);
	assert_int_equal(theme_color_parse("231", &c), 0);
	assert_int_equal(c, 231);
	assert_int_equal(theme_color_parse("#ffffff", &c), 0);
	assert_int_equal(c, 231);
	assert_int_equal(theme_color_parse("#808080", &c), 0);
	assert_int_equal(c, 244);
	assert_int_equal(theme_color_parse("256", &c), -1);
	assert_int_equal(theme_color_parse("#12345", &c), -1);
	assert_int_equal(theme_color_parse("#gg0000", &c), -1);
	assert_int_equal(theme_color_parse("", &c), -1);
}

static void test_degrade(void **state)
{
	(void)state;
	assert_int_equal(theme_color_reduce(196, 8), 1);  /* bright red → red */
	assert_int_equal(theme_color_reduce(46, 8), 2);   /* green */
	assert_int_equal(theme_color_reduce(226, 16), 11); /* yellow → bright yellow */
	assert_int_equal(theme_color_reduce(226, 8), 3);
	assert_int_equal(theme_color_reduce(3, 8), 3);
	assert_int_equal(theme_color_reduce(-1, 8), -1);

	struct theme t, d;
	theme_default(&t);
	theme_for_terminal(&t, 8, &d);
	for (int i = 0; i < TH_COUNT; i++) {
		assert_true(d.s[i].fg < 8);
		assert_true(d.s[i].bg < 8);
	}
	theme_for_terminal(&t, 0, &d);
	for (int i = 0; i < TH_COUNT; i++)
		assert_int_equal(d.s[i].fg, THEME_DEFAULT_COLOR);
	assert_true(d.s[TH_SELECTION].attrs & TA_REVERSE);
	assert_false(d.s[TH_TABLE_ROW].attrs & TA_REVERSE);
	theme_for_terminal(&t, 256, &d);
	assert_memory_equal(&d, &t, sizeof t);
}

static void test_choose_falls_back(void **state)
{
	(void)state;
	struct theme t;
	struct perr e = { { 0 } };
	setenv("PODIUM_THEME", "nosuch-theme", 1);
	assert_int_equal(theme_choose(NULL, &t, &e), -1);
	assert_string_equal(t.name, "default");
	assert_non_null(strstr(e.msg, "nosuch-theme"));
	unsetenv("PODIUM_THEME");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_themes_load),
		cmocka_unit_test(test_default_file_equals_builtin),
		cmocka_unit_test(test_mono_has_no_colour),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_hostile_name_sanitised),
		cmocka_unit_test(test_theme_names_refused),
		cmocka_unit_test(test_colour_parse),
		cmocka_unit_test(test_degrade),
		cmocka_unit_test(test_choose_falls_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
