/* test_tview.c - the screen model and the table view, as text: filter,
 * inverse filter, sort, selection kept across updates, only visible rows
 * formatted, columns fitted to the width, wide characters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/tui.h"

struct fake {
	int n;
	char names[2000][32];
	long long created[2000];
	int cell_calls;
};

static const char *const cols[] = { "NAME", "STATUS", "AGE" };

static int f_count(void *ud) { return ((struct fake *)ud)->n; }
static const char *f_name(void *ud, int i) { return ((struct fake *)ud)->names[i]; }
static long long f_created(void *ud, int i) { return ((struct fake *)ud)->created[i]; }
static int f_rank(void *ud, int i) { (void)ud; return i % 3; }
static enum theme_elem f_style(void *ud, int i) { (void)ud; return i % 3 ? TH_OK : TH_ERROR; }
static void f_cell(void *ud, int i, int col, char *buf, size_t n)
{
	struct fake *f = ud;
	f->cell_calls++;
	if (col == 0)
		snprintf(buf, n, "%s", f->names[i]);
	else if (col == 1)
		snprintf(buf, n, "%s", i % 3 ? "Running" : "Failed");
	else
		snprintf(buf, n, "%llds", 1000 - f->created[i]);
}

static struct tview_src make_src(struct fake *f)
{
	struct tview_src s = { 3, cols, NULL, f_count, f_name, f_name, f_created,
			       f_rank, f_style, f_cell, f };
	return s;
}

static struct fake *fake_new(int n)
{
	struct fake *f = calloc(1, sizeof *f);
	f->n = n;
	for (int i = 0; i < n; i++) {
		snprintf(f->names[i], sizeof f->names[i], "pod-%04d", i);
		f->created[i] = i;
	}
	return f;
}

static void test_render_as_text(void **state)
{
	(void)state;
	struct fake *f = fake_new(5);
	struct tview_src src = make_src(f);
	struct tview tv;
	tview_init(&tv);
	tview_refresh(&tv, &src);
	struct frame *fr = frame_new(40, 4);
	tview_render(&tv, &src, fr, 0, 0, 40, 4, 1);
	char *t = frame_text(fr);
	assert_string_equal(t, "NAME      STATUS   AGE\n"
			       "pod-0000  Failed   1000s\n"
			       "pod-0001  Running  999s\n"
			       "pod-0002  Running  998s\n");
	free(t);
	/* the selection is drawn in the selection style, others by status */
	assert_int_equal(fr->cells[1 * 40 + 0].style, TH_SELECTION);
	assert_int_equal(fr->cells[2 * 40 + 0].style, TH_OK);
	assert_int_equal(fr->cells[0].style, TH_TABLE_HEADER);
	frame_free(fr);
	tview_free(&tv);
	free(f);
}

static void test_only_visible_rows_formatted(void **state)
{
	(void)state;
	struct fake *f = fake_new(2000);
	struct tview_src src = make_src(f);
	struct tview tv;
	tview_init(&tv);
	tview_refresh(&tv, &src);
	assert_int_equal(tv.n, 2000);
	struct frame *fr = frame_new(80, 24);
	f->cell_calls = 0;
	tview_render(&tv, &src, fr, 0, 0, 80, 24, 1);
	assert_int_equal(f->cell_calls, 23 * 3);
	frame_free(fr);
	tview_free(&tv);
	free(f);
}

static void test_filter_sort_selection(void **state)
{
	(void)state;
	struct fake *f = fake_new(100);
	struct tview_src src = make_src(f);
	struct tview tv;
	tview_init(&tv);
	tview_refresh(&tv, &src);
	tview_set_filter(&tv, &src, "POD-001");
	assert_int_equal(tv.n, 10); /* pod-0010..pod-0019, case-insensitive */
	tview_set_filter(&tv, &src, "!pod-001");
	assert_int_equal(tv.n, 90);
	tview_set_filter(&tv, &src, "");
	assert_int_equal(tv.n, 100);

	/* select pod-0042, then sort by age (newest first): still selected */
	for (int i = 0; i < 42; i++)
		tview_action(&tv, &src, A_DOWN, 10);
	assert_int_equal(tview_selected(&tv), 42);
	tview_action(&tv, &src, A_SORT_AGE, 10);
	assert_int_equal(tv.order[0], 99);
	assert_int_equal(tview_selected(&tv), 42);
	/* the same sort again reverses it */
	tview_action(&tv, &src, A_SORT_AGE, 10);
	assert_int_equal(tv.order[0], 0);
	/* a row removed before the selection: selection stays on pod-0042 */
	memmove(f->names[10], f->names[11], sizeof f->names[0] * 89);
	memmove(f->created + 10, f->created + 11, sizeof f->created[0] * 89);
	f->n = 99;
	tview_refresh(&tv, &src);
	assert_string_equal(f->names[tview_selected(&tv)], "pod-0042");
	/* the selected row disappears: selection stays in range */
	f->n = 5;
	tview_refresh(&tv, &src);
	assert_true(tview_selected(&tv) >= 0 && tview_selected(&tv) < 5);
	tview_action(&tv, &src, A_BOTTOM, 10);
	assert_int_equal(tv.sel, 4);
	tview_action(&tv, &src, A_DOWN, 10);
	assert_int_equal(tv.sel, 4);
	f->n = 0;
	tview_refresh(&tv, &src);
	assert_int_equal(tview_selected(&tv), -1);
	tview_free(&tv);
	free(f);
}

static void test_fit_narrow(void **state)
{
	(void)state;
	struct fake *f = fake_new(3);
	snprintf(f->names[0], sizeof f->names[0], "a-very-long-pod-name-that-is-lo");
	struct tview_src src = make_src(f);
	struct tview tv;
	tview_init(&tv);
	tview_refresh(&tv, &src);
	struct frame *fr = frame_new(30, 3);
	tview_render(&tv, &src, fr, 0, 0, 30, 3, 0);
	for (int r = 0; r < 3; r++) {
		char *l = frame_line_text(fr, r);
		assert_true(utf8_width(l, strlen(l)) <= 30);
		free(l);
	}
	char *l = frame_line_text(fr, 1);
	assert_non_null(strchr(l, '~')); /* cut, and marked in ASCII mode */
	free(l);
	frame_free(fr);
	tview_free(&tv);
	free(f);
}

static void test_frame_wide_chars(void **state)
{
	(void)state;
	struct frame *fr = frame_new(6, 1);
	assert_int_equal(frame_put(fr, 0, 0, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", -1, TH_LOG), 6);
	char *t = frame_line_text(fr, 0);
	assert_string_equal(t, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
	free(t);
	frame_clear(fr, TH_LOG);
	/* a wide char that does not fit at the edge becomes a space */
	assert_int_equal(frame_put(fr, 0, 5, "\xe6\x97\xa5", -1, TH_LOG), 1);
	assert_int_equal(utf8_width("e\xcc\x81", 3), 1); /* combining accent */
	frame_put(fr, 0, 0, "e\xcc\x81x", -1, TH_LOG);
	t = frame_line_text(fr, 0);
	assert_string_equal(t, "e\xcc\x81x");
	free(t);
	/* line hashes change with text and with style */
	frame_hash_lines(fr);
	unsigned long h = fr->line_hash[0];
	frame_style(fr, 0, 0, 1, TH_ERROR);
	frame_hash_lines(fr);
	assert_true(h != fr->line_hash[0]);
	frame_free(fr);
}

static void test_keys_table(void **state)
{
	(void)state;
	assert_int_equal(keys_lookup(NULL, K_CTRL_D, SCOPE_RESOURCE | SCOPE_TABLE), A_DELETE);
	assert_int_equal(keys_lookup(NULL, K_CTRL_D, SCOPE_LOG), A_NONE);
	assert_int_equal(keys_lookup(NULL, ':', SCOPE_LOG), A_COMMAND);
	assert_int_equal(keys_lookup(NULL, 'f', SCOPE_LOG), A_FOLLOW);
	assert_true(keys_for_action(A_SCALE)->mutates);
	assert_false(keys_for_action(A_DESCRIBE)->mutates);
	/* every key has a label and help, and no key is bound twice in
	 * overlapping scopes to different actions */
	for (const struct keydef *a = keydefs; a->key; a++) {
		assert_non_null(a->label);
		assert_non_null(a->help);
		for (const struct keydef *b = a + 1; b->key; b++)
			if (a->key == b->key && (a->scopes & b->scopes))
				assert_int_equal(a->action, b->action);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_as_text),
		cmocka_unit_test(test_only_visible_rows_formatted),
		cmocka_unit_test(test_filter_sort_selection),
		cmocka_unit_test(test_fit_narrow),
		cmocka_unit_test(test_frame_wide_chars),
		cmocka_unit_test(test_keys_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
