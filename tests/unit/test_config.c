/* test_config.c - the configuration file (every key, and bad files failing
 * with file:line:col and the defaults), key overrides as keys_lookup and
 * the help screen see them, and the state file of the last view per
 * context (round trip, atomic write, hostile context names). */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tui/tui.h"

static int parse(const char *text, struct config *c, struct perr *e)
{
	return config_parse(text, strlen(text), "config.yaml", c, e);
}

static void test_defaults(void **state)
{
	(void)state;
	struct config c;
	struct perr e = {{0}};
	assert_int_equal(parse("# nothing but a comment\n", &c, &e), 0);
	assert_int_equal(c.refresh_ms, 100);
	assert_int_equal(c.tick_ms, 1000);
	assert_int_equal(c.log_lines, 5000);
	assert_int_equal(c.readonly, 0);
	assert_string_equal(c.start_view, "last");
	assert_string_equal(c.theme, "");
	assert_int_equal(c.keys.n, 0);
}

static void test_every_key(void **state)
{
	(void)state;
	struct config c;
	struct perr e = {{0}};
	const char *text = "theme: solarized-dark\n"
			   "refresh: 250ms\n"
			   "tick: 2s\n"
			   "log-lines: 20000\n"
			   "readonly: true\n"
			   "start-view: po\n"
			   "keys:\n"
			   "  describe: D\n"
			   "  delete: [ctrl-x, del]\n";
	if (parse(text, &c, &e) != 0)
		fail_msg("%s", e.msg);
	assert_string_equal(c.theme, "solarized-dark");
	assert_int_equal(c.refresh_ms, 250);
	assert_int_equal(c.tick_ms, 2000);
	assert_int_equal(c.log_lines, 20000);
	assert_int_equal(c.readonly, 1);
	assert_string_equal(c.start_view, "pods"); /* aliases become the name */
	assert_int_equal(c.keys.n, 3);
	assert_int_equal(c.keys.b[0].key, 'D');
	assert_int_equal(c.keys.b[0].action, A_DESCRIBE);
	assert_int_equal(c.keys.b[1].key, 24); /* ctrl-x */
	assert_int_equal(c.keys.b[2].key, K_DEL);
}

static void expect_error(const char *text, const char *want)
{
	struct config c;
	struct perr e = {{0}};
	assert_int_equal(parse(text, &c, &e), -1);
	if (!strstr(e.msg, want))
		fail_msg("want '%s' in '%s'", want, e.msg);
	assert_null(strchr(e.msg, '\n'));
	/* the defaults, whatever the file managed to set before the error */
	assert_int_equal(c.refresh_ms, 100);
	assert_int_equal(c.readonly, 0);
	assert_string_equal(c.theme, "");
	assert_int_equal(c.keys.n, 0);
}

static void test_bad_files(void **state)
{
	(void)state;
	expect_error("theme: light\nrefresh: fast\n",
		     "config.yaml:2:10: refresh is a duration");
	expect_error("readonly: true\ntick: 5ms\n",
		     "config.yaml:2:7: tick is a duration");
	expect_error("log-lines: 10\n",
		     "config.yaml:1:12: log-lines is a number from 100");
	expect_error("log-lines: 99999999999999999999\n",
		     "log-lines is a number");
	expect_error("readonly: maybe\n",
		     "config.yaml:1:11: readonly is true or false: maybe");
	expect_error("theme: ../../etc/passwd\n",
		     "config.yaml:1:8: theme is a theme name");
	expect_error("start-view: nowhere\n",
		     "config.yaml:1:13: start-view is last or a view");
	expect_error("start-view: help\n", "start-view is last or a view");
	expect_error("colour: red\n",
		     "config.yaml:1:1: unknown key (theme, refresh");
	expect_error("keys:\n  fly: f\n", "config.yaml:2:3: unknown action");
	expect_error("keys:\n  describe: ctrl-\n",
		     "config.yaml:2:13: not a key");
	expect_error("keys:\n  describe: D\n  yaml: D\n",
		     "config.yaml:3:9: key bound twice: D");
	expect_error("keys:\n  describe: []\n",
		     "an action needs at least one key");
	expect_error("keys: D\n", "keys is a mapping");
	expect_error("theme: [a\n", "config.yaml:2:1:");
	expect_error("- a\n- b\n",
		     "config.yaml:1:1: the configuration is a mapping");
}

static void test_overrides_in_lookup(void **state)
{
	(void)state;
	struct config c;
	struct perr e = {{0}};
	/* describe moves to D; l (logs) is taken for yaml */
	assert_int_equal(parse("keys:\n  describe: D\n  yaml: l\n", &c, &e), 0);
	const struct keymap *km = &c.keys;
	unsigned res = SCOPE_TABLE | SCOPE_RESOURCE;
	assert_int_equal(keys_lookup(km, 'D', res), A_DESCRIBE);
	assert_int_equal(keys_lookup(km, 'd', res),
			 A_NONE); /* the old key is gone */
	assert_int_equal(keys_lookup(km, 'l', res), A_YAML);
	assert_int_equal(keys_lookup(km, 'y', res), A_NONE);
	/* overrides act in their action's scopes only */
	assert_int_equal(keys_lookup(km, 'D', SCOPE_LOG), A_NONE);
	/* the rest of the table is untouched */
	assert_int_equal(keys_lookup(km, 's', res), A_SCALE);
	assert_int_equal(keys_lookup(km, 'j', res), A_DOWN);
	assert_int_equal(keys_lookup(NULL, 'd', res), A_DESCRIBE);
}

static void test_key_labels(void **state)
{
	(void)state;
	const char *labels[] = {"esc", "enter", "ctrl-d", "pgdn",
				"D",   "/",	"space",  "shift-tab"};
	for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
		int k = keys_parse(labels[i]);
		assert_true(k >= 0);
		char back[32];
		keys_label(k, back, sizeof back);
		assert_string_equal(back, labels[i]);
	}
	assert_int_equal(keys_parse("ctrl-1"), -1);
	assert_int_equal(keys_parse("ab"), -1);
	assert_int_equal(keys_parse(""), -1);
	assert_int_equal(keys_parse("\xc3\xa9"), -1);
	/* every table key's label reads back as that key, and every action
	 * with a key has a configuration name */
	for (const struct keydef *k = keydefs; k->key; k++) {
		assert_int_equal(keys_parse(k->label), k->key);
		assert_non_null(keys_action_name(k->action));
		assert_int_equal(keys_action_find(keys_action_name(k->action)),
				 k->action);
	}
}

static void test_help_shows_effective_keys(void **state)
{
	(void)state;
	struct config c;
	struct perr e = {{0}};
	assert_int_equal(
		parse("keys:\n  describe: [D, ctrl-x]\n  yaml: l\n", &c, &e),
		0);
	struct textview tv;
	textview_init(&tv);
	help_fill(&tv, &c.keys);
	int d_line = 0, cx_line = 0, old_d = 0, l_logs = 0, l_yaml = 0;
	for (int i = 0; i < tv.n; i++) {
		if (strstr(tv.lines[i], "  D        describe the selection"))
			d_line++;
		if (strstr(tv.lines[i], "  ctrl-x   describe the selection"))
			cx_line++;
		if (strstr(tv.lines[i], "  d        describe"))
			old_d++;
		if (strstr(tv.lines[i], "  l        logs"))
			l_logs++;
		if (strstr(tv.lines[i], "  l        the selection as YAML"))
			l_yaml++;
	}
	assert_int_equal(d_line, 1);
	assert_int_equal(cx_line, 1);
	assert_int_equal(old_d, 0);
	assert_int_equal(l_logs, 0); /* l no longer opens logs */
	assert_int_equal(l_yaml, 1);
	textview_free(&tv);
}

/* The dashboard with overrides: the moved key acts, the old one does not,
 * and the status line's hint names the key in effect. */
static void test_dash_uses_overrides(void **state)
{
	(void)state;
	struct config c;
	struct perr e = {{0}};
	assert_int_equal(parse("keys:\n  help: F\n", &c, &e), 0);
	struct dash d;
	memset(&d, 0, sizeof d);
	d.cfg = &c;
	dash_push(&d, dash_text_view("start", "hello"));
	dash_key(&d, '?');
	assert_int_equal(d.nviews, 1);
	dash_key(&d, 'F');
	assert_int_equal(d.nviews, 2);
	struct frame *f = frame_new(80, 24);
	dash_render(&d, f);
	char *last = frame_line_text(f, 23);
	assert_string_equal(last,
			    "F help  : command  / filter  esc back  :q quit");
	free(last);
	frame_free(f);
	while (d.nviews) {
		struct view *v = d.views[--d.nviews];
		v->ops->free(v);
	}
}

static void test_theme_precedence(void **state)
{
	(void)state;
	struct config c;
	struct perr e = {{0}};
	assert_int_equal(parse("theme: light\n", &c, &e), 0);
	unsetenv("PODIUM_THEME");
	assert_string_equal(config_theme(&c, NULL), "light");
	setenv("PODIUM_THEME", "mono", 1);
	assert_string_equal(config_theme(&c, NULL), "mono");
	assert_string_equal(config_theme(&c, "high-contrast"), "high-contrast");
	unsetenv("PODIUM_THEME");
	config_defaults(&c);
	assert_null(config_theme(&c, NULL));
}

static char tmpdir[] = "/tmp/podium-test-config-XXXXXX";

static void test_load_from_xdg(void **state)
{
	(void)state;
	char *dir = xasprintf("%s/podium", tmpdir);
	char *file = xasprintf("%s/config.yaml", dir);
	setenv("XDG_CONFIG_HOME", tmpdir, 1);
	struct config c;
	struct perr e = {{0}};
	/* no file: the defaults, no error */
	assert_int_equal(config_load(&c, &e), 0);
	assert_int_equal(c.log_lines, 5000);
	char *path = config_path();
	assert_string_equal(path, file);
	free(path);
	assert_int_equal(mkdir(dir, 0700), 0);
	FILE *f = fopen(file, "w");
	fputs("log-lines: 300\n", f);
	fclose(f);
	assert_int_equal(config_load(&c, &e), 0);
	assert_int_equal(c.log_lines, 300);
	f = fopen(file, "w");
	fputs("log-lines: 300\nrefresh: now\n", f);
	fclose(f);
	assert_int_equal(config_load(&c, &e), -1);
	assert_int_equal(c.log_lines, 5000);
	assert_non_null(strstr(e.msg, "config.yaml:2:10: refresh"));
	unlink(file);
	rmdir(dir);
	free(file);
	free(dir);
}

static void test_state_round_trip(void **state)
{
	(void)state;
	struct dash_state *st = xcalloc(1, sizeof *st);
	state_set(st, "prod", "pods");
	state_set(st, "kind-dev", "deployments");
	state_set(st, "prod", "services"); /* replaces */
	state_set(st, "we\"ird: name\\\n", "events");
	assert_int_equal(st->n, 3);
	char *path = xasprintf("%s/state/podium/state.yaml", tmpdir);
	struct perr e = {{0}};
	if (state_save(path, st, &e) < 0)
		fail_msg("%s", e.msg);
	struct dash_state *back = xcalloc(1, sizeof *back);
	if (state_load(path, back, &e) < 0)
		fail_msg("%s", e.msg);
	assert_int_equal(back->n, 3);
	assert_string_equal(state_get(back, "prod"), "services");
	assert_string_equal(state_get(back, "kind-dev"), "deployments");
	assert_string_equal(state_get(back, "we\"ird: name\\\n"), "events");
	assert_null(state_get(back, "nowhere"));
	/* written through a temporary file that is gone after the rename */
	char *dir = xasprintf("%s/state/podium", tmpdir);
	DIR *dd = opendir(dir);
	int files = 0;
	for (struct dirent *de; (de = readdir(dd));)
		if (de->d_name[0] != '.')
			files++;
	closedir(dd);
	assert_int_equal(files, 1);
	/* a missing file is no error; a state naming no view is skipped */
	unlink(path);
	assert_int_equal(state_load(path, back, &e), 0);
	assert_int_equal(back->n, 0);
	const char *odd = "contexts:\n  a: {view: pods}\n  b: {view: help}\n  "
			  "c: [1]\n  d: {view: nope}\n";
	assert_int_equal(state_parse(odd, strlen(odd), "s", back, &e), 0);
	assert_int_equal(back->n, 1);
	assert_string_equal(state_get(back, "a"), "pods");
	assert_int_equal(state_parse("a: [", 4, "s.yaml", back, &e), -1);
	assert_non_null(strstr(e.msg, "s.yaml:"));
	char *sdir = xasprintf("%s/state", tmpdir);
	rmdir(dir);
	rmdir(sdir);
	free(sdir);
	free(dir);
	free(path);
	free(back);
	free(st);
}

static void test_state_forgets_oldest(void **state)
{
	(void)state;
	struct dash_state *st = xcalloc(1, sizeof *st);
	for (int i = 0; i < STATE_MAX_CONTEXTS + 5; i++) {
		char name[32];
		snprintf(name, sizeof name, "ctx-%d", i);
		state_set(st, name, "pods");
	}
	assert_int_equal(st->n, STATE_MAX_CONTEXTS);
	assert_null(state_get(st, "ctx-0"));
	assert_non_null(state_get(st, "ctx-5"));
	free(st);
}

/* man/podium.1's CONFIGURATION names every key of the file and every
 * action a key can be rebound to. */
static void test_manpage_documents_config(void **state)
{
	(void)state;
	char *man;
	size_t len;
	struct perr e = {{0}};
	if (read_file("man/podium.1", 1 << 20, &man, &len, &e) < 0)
		fail_msg("%s", e.msg);
	char *sec = strstr(man, "\n.SH CONFIGURATION\n");
	assert_non_null(sec);
	char *end = strstr(sec + 1, "\n.SH ");
	assert_non_null(end);
	*end = '\0';
	const char *keys[] = {
		".BI theme: ",	   ".BI refresh: ",  ".BI tick: ",
		".BI log-lines: ", ".BI readonly: ", ".BI start-view: ",
		".B keys:"};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (!strstr(sec, keys[i]))
			fail_msg("CONFIGURATION lacks %s", keys[i]);
	for (const struct keydef *k = keydefs; k->key; k++) {
		char want[64];
		snprintf(want, sizeof want, "%s,", keys_action_name(k->action));
		char want_end[64];
		snprintf(want_end, sizeof want_end, "%s.\n",
			 keys_action_name(k->action));
		if (!strstr(sec, want) && !strstr(sec, want_end))
			fail_msg("CONFIGURATION does not list the action %s",
				 keys_action_name(k->action));
	}
	free(man);
}

int main(void)
{
	if (!mkdtemp(tmpdir))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_overrides_in_lookup),
		cmocka_unit_test(test_key_labels),
		cmocka_unit_test(test_help_shows_effective_keys),
		cmocka_unit_test(test_dash_uses_overrides),
		cmocka_unit_test(test_theme_precedence),
		cmocka_unit_test(test_load_from_xdg),
		cmocka_unit_test(test_state_round_trip),
		cmocka_unit_test(test_state_forgets_oldest),
		cmocka_unit_test(test_manpage_documents_config),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(tmpdir);
	return rc;
}
