/*
 * tui.h - the program: the app state made in main(), the table of
 * subcommands, and what the headless commands and the dashboard share.
 */
#ifndef PODIUM_TUI_H
#define PODIUM_TUI_H

#include "kube/base.h"

/* Exit statuses, as DESIGN.md gives them. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* Options every cluster command shares (kubectl's global flags). */
struct global_opts {
	const char *kubeconfig;
	const char *context;
	const char *namespace;
	int all_namespaces;
	const char *selector;
	const char *output;          /* table|wide|json|yaml|name */
	const char *request_timeout; /* kubectl duration: 30s, 1m, 0 */
	const char *theme;
	const char *log_file;        /* -v FILE: debug log, secrets redacted */
	int readonly;
	int sim;
};

/* The one app struct, made in main() and passed down. */
struct app {
	struct global_opts g;
	const char *argv0;
};

/* A subcommand: tmux's cmd_entry. fn gets argv with argv[0] the command
 * name and returns an exit status. */
struct command {
	const char *name;
	const char *args;    /* usage after the name */
	const char *summary; /* one line for `podium --help` */
	const char *help;    /* the text for `podium NAME --help` */
	int kube_globals;    /* takes the global cluster options */
	int (*fn)(struct app *app, int argc, char **argv);
};

/* The NULL-terminated table of commands (main.c). */
extern const struct command *const commands[];

/* Print "podium: MSG" on stderr (one line). */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Usage error: the line, then a hint to --help; returns EXIT_USAGE. */
int cli_usage(const struct command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Non-zero when arg is -h or --help. */
int cli_is_help(const char *arg);
/* Print the command's help to stdout. */
void cli_print_help(const struct command *cmd);

/* cli_cluster.c: a client from the global options (kubeconfig, context,
 * namespace, request timeout, debug log), warning on stderr when TLS is
 * not verified. NULL with e set. Caller frees with kube_client_free. */
struct kube_client;
struct kube_kind;
struct kube_client *cli_connect(struct app *app, struct perr *e);
/* TYPE/NAME or TYPE NAME at argv[*i] (advanced past them): the kind, and
 * *name borrowed from argv. NULL with e set. */
const struct kube_kind *cli_type_name(int argc, char **argv, int *i, const char **name,
				      struct perr *e);

#endif
