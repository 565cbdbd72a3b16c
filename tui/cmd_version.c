/*
 * cmd_version.c - `podium version`: the client version (and, later, the
 * server's when a cluster is reachable).
 */
#include "tui/tui.h"

#include <stdio.h>

extern const struct command cmd_version_entry;

static int cmd_version(struct app *app, int argc, char **argv)
{
	(void)app;
	(void)argv;
	if (argc > 1)
		return cli_usage(&cmd_version_entry, "version takes no arguments");
	printf("podium %s\n", PODIUM_VERSION);
	return EXIT_OK;
}

const struct command cmd_version_entry = {
	.name = "version",
	.args = "",
	.summary = "print the version",
	.help = "Print Podium's version. The same as `podium --version`.",
	.kube_globals = 0,
	.fn = cmd_version,
};
