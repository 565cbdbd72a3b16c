/* test_manpage.c - man/podium.1 is the reference: its KEYS section lists
 * exactly the key table (label, help, readonly note), and every command
 * in the command table has its own subsection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/tui.h"

static char *man;

static int setup(void **state)
{
	(void)state;
	struct perr e = { { 0 } };
	size_t len;
	if (read_file("man/podium.1", 1 << 20, &man, &len, &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(man);
	return 0;
}

static void test_keys_section_matches_table(void **state)
{
	(void)state;
	char *sec = strstr(man, "\n.SH KEYS\n");
	assert_non_null(sec);
	char *end = strstr(sec + 1, "\n.SH ");
	assert_non_null(end);
	size_t n = 0;
	for (const struct keydef *k = keydefs; k->key; k++, n++) {
		/* man writes a minus sign as \- */
		char label[64];
		size_t j = 0;
		for (const char *p = k->label; *p && j + 3 < sizeof label; p++) {
			if (*p == '-')
				label[j++] = '\\';
			label[j++] = *p;
		}
		label[j] = '\0';
		char want[600];
		snprintf(want, sizeof want, "\n.TP\n.B %s\n%s%s\n", label, k->help,
			 k->mutates ? " (refused with \\-\\-readonly)" : "");
		char *at = strstr(sec, want);
		if (!at || at > end)
			fail_msg("man/podium.1 KEYS lacks: %s", want + 1);
	}
	size_t tps = 0;
	for (char *p = sec; (p = strstr(p, "\n.TP\n")) && p < end; p++)
		tps++;
	assert_int_equal(tps, n);
}

static void test_every_command_documented(void **state)
{
	(void)state;
	for (const struct command *const *c = commands; *c; c++) {
		char want[128];
		snprintf(want, sizeof want, "\n.SS podium %s", (*c)->name);
		if (!strstr(man, want))
			fail_msg("man/podium.1 has no subsection for `podium %s`", (*c)->name);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_section_matches_table),
		cmocka_unit_test(test_every_command_documented),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
