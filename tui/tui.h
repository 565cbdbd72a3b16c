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

/* ---- themes (theme.c): pure data, no curses ---------------------------- */

/* The styled elements of the screen; a theme gives each a style. */
enum theme_elem {
	TH_HEADER, TH_HEADER_LABEL, TH_BREADCRUMB, TH_TABLE_HEADER,
	TH_TABLE_ROW, TH_SELECTION, TH_OK, TH_PENDING, TH_WARNING, TH_ERROR,
	TH_DELETED, TH_DIALOG, TH_DIALOG_BORDER, TH_LOG, TH_LOG_MARK, TH_CHART,
	TH_CHART_ALT, TH_FILTER, TH_BADGE, TH_HELP_KEY,
	TH_COUNT
};

enum { TA_BOLD = 1, TA_DIM = 2, TA_UNDERLINE = 4, TA_REVERSE = 8,
       TA_ITALIC = 16 };

#define THEME_DEFAULT_COLOR (-1) /* the terminal's own colour */

struct theme_style {
	short fg, bg;     /* 0-255, or THEME_DEFAULT_COLOR */
	unsigned attrs;   /* TA_* */
};

struct theme {
	char name[64];
	char description[128];
	struct theme_style s[TH_COUNT];
};

/* The YAML key of each element ("table-header"), indexed by theme_elem. */
extern const char *const theme_elem_names[TH_COUNT];

/* The built-in default theme (the same as themes/default.yaml). */
void theme_default(struct theme *t);
/* Parse a theme from YAML text; source names it in errors. Elements the
 * file leaves out keep the default theme's style. 0 / -1 with e set (file,
 * line and column where the YAML says). */
int theme_parse(const char *text, size_t n, const char *source,
		struct theme *t, struct perr *e);
int theme_load_file(const char *path, struct theme *t, struct perr *e);
/* Find NAME.yaml in dirs (NULL-terminated, first wins) and load it. A name
 * that is not [a-z0-9_-]+ is refused. 0 / -1 with e set. */
int theme_load(const char *name, const char *const *dirs, struct theme *t,
	       struct perr *e);
/* The theme directories, first wins: $XDG_CONFIG_HOME/podium/themes (or
 * ~/.config/podium/themes), then beside the executable: ../share/podium/
 * themes and ../themes. Fills at most max entries of dirs with strings the
 * caller frees; returns the count, and dirs[count] = NULL (dirs has room
 * for max + 1). */
int theme_dirs(char **dirs, int max);
/* The theme to use: flag (--theme), else PODIUM_THEME, else default. On
 * failure t is the default theme and e says why (the caller shows it). */
int theme_choose(const char *flag, struct theme *t, struct perr *e);
/* A colour: black..white, bright-black..bright-white, default, 0-255, or
 * #rrggbb (nearest xterm-256 colour). 0 / -1. */
int theme_color_parse(const char *s, short *out);
/* The theme as a terminal with ncolors colours can show it: 256 as is;
 * 8 or 16: each colour mapped to the nearest basic one; 0 (NO_COLOR, no
 * colour support): no colours, and elements told apart by attributes. */
void theme_for_terminal(const struct theme *in, int ncolors,
			struct theme *out);
/* The nearest of the first ncolors (8 or 16) basic colours to colour c. */
short theme_color_reduce(short c, int ncolors);

#endif
