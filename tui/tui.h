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

/* ---- model commands (model-files) ---- */

/* How an image is drawn in text (imgdraw.c): Unicode upper half blocks
 * with 256-colour greys (two pixel rows per line), Unicode shades, or
 * ASCII shades (both one cell per two pixel rows, averaged). */
enum imgdraw_mode { IMGDRAW_COLOR, IMGDRAW_SHADES, IMGDRAW_ASCII };

/* The mode for a terminal on fd: colour only on a tty without NO_COLOR or
 * TERM=dumb, Unicode only when the locale's codeset is UTF-8 (call
 * setlocale(LC_ALL, "") first). */
enum imgdraw_mode imgdraw_mode_for(int fd);
/* Append the image pix [h, w] (0 black .. 255 white) as text lines, each
 * prefixed by indent, to out. */
void imgdraw_render(const unsigned char *pix, int h, int w,
		    enum imgdraw_mode mode, const char *indent, struct dbuf *out);

/* ---- end model commands ---- */

#endif
