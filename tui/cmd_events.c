/*
 * cmd_events.c - `podium events [-A]`: kubectl events, the namespace's
 * events (-A: every namespace's), oldest first, in kubectl's columns.
 */
#define _POSIX_C_SOURCE 200809L
#include "tui/tui.h"
#include "kube/kube.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct command cmd_events_entry;

static int cmd_events(struct app *app, int argc, char **argv)
{
	if (argc > 1)
		return cli_usage(&cmd_events_entry, "unexpected argument '%s'", argv[1]);
	struct kube_client *c = cli_kube_connect(app);
	if (!c)
		return EXIT_FAIL;
	const char *ns = app->g.all_namespaces ? NULL : cli_kube_namespace(c);
	struct kube_table t;
	struct perr e = { { 0 } };
	int rc = EXIT_OK;
	if (kube_events(c, ns, app->g.selector, 0, &t, &e) < 0) {
		cli_error("%s", e.msg);
		rc = EXIT_FAIL;
	} else if (!t.nrows) {
		if (ns)
			fprintf(stderr, "No events found in %s namespace.\n", ns);
		else
			fprintf(stderr, "No events found.\n");
	} else {
		cli_kube_print_table(&t, 0, ns == NULL);
	}
	kube_table_clear(&t);
	kube_client_free(c);
	return rc;
}

const struct command cmd_events_entry = {
	.name = "events",
	.args = "[-A] [-l SEL]",
	.summary = "list events, oldest first, as kubectl events",
	.help = "List the events of the namespace (-A: of every namespace), oldest first:\n"
		"LAST SEEN, TYPE, REASON, OBJECT and MESSAGE.",
	.kube_globals = 1,
	.fn = cmd_events,
};
