/* test_dash.c - the dashboard without a terminal: keys in, frames out as
 * text. Command mode and completion, help from the key table, filters,
 * dialogs, readonly refusing a mutation, esc and :q. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/tui.h"

static void type(struct dash *d, const char *s)
{
	for (; *s; s++)
		dash_key(d, *s == '\n' ? K_ENTER : *s == '\t' ? K_TAB : (unsigned char)*s);
}

static char *screen(struct dash *d, int w, int h)
{
	struct frame *f = frame_new(w, h);
	dash_render(d, f);
	char *t = frame_text(f);
	frame_free(f);
	return t;
}

static void free_views(struct dash *d)
{
	while (d->nviews) {
		struct view *v = d->views[--d->nviews];
		v->ops->free(v);
	}
	dialog_close(d);
}

static void test_help_from_key_table(void **state)
{
	(void)state;
	struct dash d;
	memset(&d, 0, sizeof d);
	d.utf8 = 1;
	dash_push(&d, dash_text_view("start", "hello"));
	dash_key(&d, '?');
	assert_int_equal(d.nviews, 2);
	char *t = screen(&d, 100, 60);
	/* every key of the table is on the help screen with its text */
	for (const struct keydef *k = keydefs; k->key; k++) {
		char want[200];
		snprintf(want, sizeof want, "%-8s %s", k->label, k->help);
		if (!strstr(t, want))
			fail_msg("help lacks '%s'", want);
	}
	free(t);
	dash_key(&d, K_ESC);
	assert_int_equal(d.nviews, 1);
	free_views(&d);
}

static void test_command_mode(void **state)
{
	(void)state;
	struct dash d;
	memset(&d, 0, sizeof d);
	dash_push(&d, dash_text_view("start", "hello"));
	type(&d, ":he");
	assert_int_equal(d.mode, MODE_COMMAND);
	char *t = screen(&d, 80, 10);
	assert_non_null(strstr(t, ":he_"));
	free(t);
	dash_key(&d, K_TAB);
	assert_string_equal(d.input, "help ");
	dash_key(&d, K_ENTER);
	assert_int_equal(d.mode, MODE_NORMAL);
	assert_int_equal(d.nviews, 2);
	/* unknown command: one message, nothing else changes */
	type(&d, ":nosuch\n");
	assert_int_equal(d.nviews, 2);
	assert_non_null(strstr(d.msg, "unknown command :nosuch"));
	/* esc leaves command mode without running anything */
	type(&d, ":q");
	dash_key(&d, K_ESC);
	assert_false(d.quit);
	type(&d, ":q\n");
	assert_true(d.quit);
	free_views(&d);
}

static void test_completion(void **state)
{
	(void)state;
	char line[64] = "dep";
	assert_int_equal(dash_cmd_complete(line, sizeof line), 3);
	assert_string_equal(line, "deploy");
	snprintf(line, sizeof line, "sv");
	assert_int_equal(dash_cmd_complete(line, sizeof line), 1);
	assert_string_equal(line, "svc ");
	snprintf(line, sizeof line, "zzz");
	assert_int_equal(dash_cmd_complete(line, sizeof line), 0);
	assert_ptr_equal(dash_cmd_find("po"), dash_cmd_find("pods"));
	assert_ptr_equal(dash_cmd_find("ns default"), dash_cmd_find("namespaces"));
	assert_null(dash_cmd_find("pods2"));
}

static void test_text_filter_and_hostile_text(void **state)
{
	(void)state;
	struct dash d;
	memset(&d, 0, sizeof d);
	dash_push(&d, dash_text_view("yaml", "a: 1\nevil: \x1b[2J\x1b]52;c;aGk=\x07x\nb: 2"));
	char *t = screen(&d, 60, 8);
	assert_null(strchr(t, 0x1b));
	assert_non_null(strstr(t, "evil: x"));
	free(t);
	type(&d, "/b:\n");
	assert_string_equal(d.views[0]->filter_text, "b:");
	t = screen(&d, 60, 8);
	assert_non_null(strstr(t, "/b:"));
	free(t);
	dash_key(&d, K_ESC); /* clears the filter, keeps the view */
	assert_string_equal(d.views[0]->filter_text, "");
	assert_int_equal(d.nviews, 1);
	dash_key(&d, K_ESC); /* at the root: quits */
	assert_true(d.quit);
	free_views(&d);
}

static int done_ok = -1;
static void on_done(struct dash *d, struct dialog *dl, int ok)
{
	(void)d;
	done_ok = ok ? atoi(dl->input[0] ? dl->input : "1") : 0;
}

static void test_dialogs(void **state)
{
	(void)state;
	struct dash d;
	memset(&d, 0, sizeof d);
	d.body_h = 20;
	dash_push(&d, dash_text_view("deploy", ""));
	struct dialog *dl = xcalloc(1, sizeof *dl);
	dl->kind = DIALOG_NUMBER;
	snprintf(dl->title, sizeof dl->title, "Scale web");
	snprintf(dl->input, sizeof dl->input, "3");
	dl->on_done = on_done;
	dialog_open(&d, dl);
	char *t = screen(&d, 80, 24);
	assert_non_null(strstr(t, "Scale web"));
	assert_non_null(strstr(t, "> 3_"));
	free(t);
	type(&d, "x5"); /* letters ignored */
	dash_key(&d, K_ENTER);
	assert_null(d.dialog);
	assert_int_equal(done_ok, 35);

	dl = xcalloc(1, sizeof *dl);
	dl->kind = DIALOG_CONFIRM;
	dl->on_done = on_done;
	dialog_open(&d, dl);
	dash_key(&d, 'n');
	assert_int_equal(done_ok, 0);
	assert_null(d.dialog);
	free_views(&d);
}

static char done_text[2][512];
static void on_text(struct dash *d, struct dialog *dl, int ok)
{
	(void)d;
	done_ok = ok;
	memcpy(done_text, dl->text, sizeof done_text);
}

/* The build and compare dialogs: two lines of text, tab between them,
 * enter only when both are filled in. */
static void test_text_dialog(void **state)
{
	(void)state;
	struct dash d;
	memset(&d, 0, sizeof d);
	d.body_h = 20;
	d.utf8 = 1;
	dash_push(&d, dash_text_view("models", ""));
	struct dialog *dl = xcalloc(1, sizeof *dl);
	dl->kind = DIALOG_TEXT;
	dl->nfields = 2;
	snprintf(dl->title, sizeof dl->title, "Build");
	snprintf(dl->label[0], sizeof dl->label[0], "model file");
	snprintf(dl->label[1], sizeof dl->label[1], "image");
	snprintf(dl->text[1], sizeof dl->text[1], "reg/x:1");
	dl->on_done = on_text;
	dialog_open(&d, dl);
	done_ok = -1;
	dash_key(&d, K_ENTER); /* the model file is empty: not done */
	assert_non_null(d.dialog);
	assert_int_equal(done_ok, -1);
	type(&d, "/m/a\xc3\xa9.st");
	dash_key(&d, K_BACKSPACE); /* one character */
	dash_key(&d, K_BACKSPACE);
	dash_key(&d, K_BACKSPACE);
	dash_key(&d, K_BACKSPACE); /* the two bytes of é */
	char *t = screen(&d, 80, 24);
	assert_non_null(strstr(t, "model file /m/a"));
	assert_non_null(strstr(t, "image      reg/x:1"));
	free(t);
	type(&d, ".safetensors\t");
	dash_key(&d, K_BACKSPACE);
	type(&d, "2\n");
	assert_null(d.dialog);
	assert_int_equal(done_ok, 1);
	assert_string_equal(done_text[0], "/m/a.safetensors");
	assert_string_equal(done_text[1], "reg/x:2");
	free_views(&d);
}

static void test_readonly_refuses(void **state)
{
	(void)state;
	struct dash d;
	memset(&d, 0, sizeof d);
	d.readonly = 1;
	struct view_ops ops = { SCOPE_TABLE | SCOPE_RESOURCE, NULL, NULL, NULL, NULL };
	struct view v = { &ops, "deploy", "" };
	d.views[0] = &v;
	d.nviews = 1;
	dash_key(&d, 's');
	assert_non_null(strstr(d.msg, "--readonly"));
	char *t = screen(&d, 80, 5);
	assert_non_null(strstr(t, "READONLY"));
	free(t);
	/* a header wider than the terminal gives way to the badge */
	snprintf(d.hdr.context, sizeof d.hdr.context, "a-long-context-name-from-a-cloud");
	snprintf(d.hdr.cluster, sizeof d.hdr.cluster, "arn-aws-eks-eu-west-1-cluster-name");
	snprintf(d.hdr.user, sizeof d.hdr.user, "someone@example.com");
	snprintf(d.hdr.api, sizeof d.hdr.api, "12 ms");
	t = screen(&d, 80, 5);
	char *nl = strchr(t, '\n');
	assert_non_null(nl);
	*nl = '\0';
	assert_non_null(strstr(t, " READONLY"));
	free(t);
	d.nviews = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_help_from_key_table),
		cmocka_unit_test(test_command_mode),
		cmocka_unit_test(test_completion),
		cmocka_unit_test(test_text_filter_and_hostile_text),
		cmocka_unit_test(test_dialogs),
		cmocka_unit_test(test_text_dialog),
		cmocka_unit_test(test_readonly_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
