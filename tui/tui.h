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

/* ---- cluster commands (cli_kube.c, tabwriter.c) ---- */

struct kube_client;
struct kube_kind;
struct kube_table;
struct kube_response;

/* Go's text/tabwriter over text (cells separated by tabs, lines by
 * newlines): kubectl get uses minwidth 6, padding 3; describe 0 and 2.
 * Caller frees. */
char *tabwriter_format(const char *text, size_t minwidth, size_t padding);

/* Connect as kubectl would with app->g (--kubeconfig, --context, -n,
 * --request-timeout, -v FILE), printing the insecure warning on stderr.
 * NULL after printing the error. Caller frees with kube_client_free. */
struct kube_client *cli_kube_connect(struct app *app);
/* The namespace commands act in: -n, else the context's. Borrowed. */
const char *cli_kube_namespace(struct kube_client *c);
/* Print the error of a failed request: e's line, or for a Status with
 * several causes kubectl's multi-line form. Returns EXIT_FAIL. */
int cli_kube_fail(const struct perr *e, const struct kube_response *r);
/* Print t as kubectl does (wide: -o wide columns; with_ns: a NAMESPACE
 * column first). */
void cli_kube_print_table(const struct kube_table *t, int wide, int with_ns);
/* With --readonly, print why verb is refused and return non-zero. */
int cli_kube_readonly(const struct app *app, const char *verb);
/* "deployment.apps/demo" (kubectl's -o name). Caller frees. */
char *cli_kube_obj_name(const struct kube_kind *k, const char *name);
/* ---- end cluster commands ---- */

/* get_watch.c: `get -w`: the table of k in ns (NULL: all namespaces), then
 * a row per change, until interrupted. name: watch that object only. */
int get_watch(struct kube_client *c, const struct kube_kind *k, const char *ns,
	      const char *selector, const char *name, int wide, int names_only, int watch_only);

/* cli_cluster.c: TYPE/NAME or TYPE NAME at argv[*i] (advanced past them):
 * the kind, and *name borrowed from argv. NULL with e set. */
const struct kube_kind *cli_type_name(int argc, char **argv, int *i, const char **name,
				      struct perr *e);

#endif
