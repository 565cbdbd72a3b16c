/*
 * cli.c - what the headless commands share for talking to the user: error
 * lines on stderr, usage errors, help.
 */
#include "tui/tui.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("podium: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int cli_usage(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("podium: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cmd)
		fprintf(stderr, " (see `podium %s --help`)\n", cmd->name);
	else
		fputs(" (see `podium --help`)\n", stderr);
	return EXIT_USAGE;
}

int cli_is_help(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

void cli_print_help(const struct command *cmd)
{
	printf("usage: podium %s %s\n\n%s\n", cmd->name, cmd->args, cmd->help);
}
