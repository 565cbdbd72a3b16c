/*
 * tui.h - the program: the app state made in main(), the table of
 * subcommands, and what the headless commands and the dashboard share.
 */
#ifndef PODIUM_TUI_H
#define PODIUM_TUI_H

#include <yaml.h>
#include "kube/base.h"
#include "kube/kube.h"   /* struct live_cmp holds a kube_live_result */
#include "model/model.h" /* and a model, a test set, compare_stats */

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
/* A client for the cluster the global options name (kubeconfig, context,
 * namespace, request timeout, debug log), as kubectl finds it; warnings
 * (insecure-skip-tls-verify) go to stderr. NULL with e set. */
struct kube_client;
struct kube_client *cli_connect(struct app *app, struct perr *e);
/* The podium.dev/model label a model file gets (`deploy --model`,
 * `rollout model`): its base name without the extension, made a valid
 * label value. Caller frees. */
char *cli_model_label(const char *path);
/* --min-agreement's value as a fraction 0..1: "99.5" or "99.5%" is a
 * percentage (a value over 1, or any value ending in '%'), "0.995" or "1"
 * a fraction. 0, or -1 for anything else (negative, over 100, not a
 * number, more than 15 digits); *fraction is untouched then. */
int cli_parse_agreement(const char *s, double *fraction);
/* The usage line for a refused --min-agreement value (one %s: it). */
#define CLI_AGREEMENT_USAGE                                                    \
	"--min-agreement takes a percentage (99.5 or 99.5%%) or a fraction "   \
	"(0.995), from 0 to 100%%, not '%s'"


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

/* ---- the screen model (frame.c): cells of text and style, no curses --- */

/* One cell: a UTF-8 character (or nothing, for the right half of a wide
 * character) and its style. */
struct cell {
	char ch[4];
	unsigned char len;   /* bytes in ch; 0: continuation of a wide char */
	unsigned char style; /* enum theme_elem */
};

/* What the screen should show: views draw into a frame; draw.c turns the
 * lines that changed since the last frame into curses calls. */
struct frame {
	int w, h;
	struct cell *cells;      /* h * w */
	unsigned long *line_hash; /* per line, computed by frame_hash_lines */
};

/* A frame of w x h blank cells (caller frees with frame_free). */
struct frame *frame_new(int w, int h);
void frame_free(struct frame *f);
/* Blank every cell with the given style. */
void frame_clear(struct frame *f, enum theme_elem style);
/* Fill columns [col, col+n) of row with spaces in style. */
void frame_fill(struct frame *f, int row, int col, int n, enum theme_elem style);
/* Write UTF-8 text (already sanitised) at row, col, at most maxw columns
 * (-1: to the edge), in style. Wide characters take two columns; a wide
 * character that does not fit is replaced by a space. Returns the columns
 * written. */
int frame_put(struct frame *f, int row, int col, const char *text, int maxw,
	      enum theme_elem style);
/* The same, text padded with spaces (or cut with "…"/"~") to exactly w
 * columns; utf8 selects the ellipsis. */
/* A progress bar of w cells at row, col: frac (0..1) of them full in
 * style, the rest empty (block characters, or # and . without UTF-8). */
void frame_bar(struct frame *f, int row, int col, int w, double frac, int utf8,
	       enum theme_elem style);
int frame_put_cell(struct frame *f, int row, int col, const char *text, int w,
		   enum theme_elem style, int utf8);
/* Set the style of columns [col, col+n) of row, keeping the text. */
void frame_style(struct frame *f, int row, int col, int n, enum theme_elem style);
/* Compute line_hash for every line (text and styles). */
void frame_hash_lines(struct frame *f);
/* Row as plain text, trailing spaces removed (caller frees). */
char *frame_line_text(const struct frame *f, int row);
/* The whole frame as text, one line per row (caller frees). */
char *frame_text(const struct frame *f);
/* Display columns of UTF-8 text (n bytes). */
int utf8_width(const char *s, size_t n);
/* The text after its first cols display columns (for wrapping). */
const char *utf8_skip_cols(const char *p, int cols);

/* ---- keys (keys.c): the key table is data; help and man page follow it */

/* Key codes: characters as themselves, ctrl-X as 1..26, special keys from
 * K_SPECIAL up (draw.c maps curses' codes to these). */
enum {
	K_CTRL_D = 4, K_TAB = 9, K_ENTER = 13, K_CTRL_R = 18, K_ESC = 27,
	K_BACKSPACE = 127,
	K_SPECIAL = 0x1000, K_UP, K_DOWN, K_LEFT, K_RIGHT, K_PGUP, K_PGDN,
	K_HOME, K_END, K_RESIZE, K_DEL, K_BTAB, K_EOF,
};

/* Where a key acts. */
enum {
	SCOPE_GLOBAL = 1, SCOPE_TABLE = 2, SCOPE_TEXT = 4, SCOPE_LOG = 8,
	SCOPE_RESOURCE = 16, /* tables of cluster objects */
};

enum action {
	A_NONE, A_QUIT, A_COMMAND, A_FILTER, A_HELP, A_BACK, A_UP, A_DOWN,
	A_PGUP, A_PGDN, A_TOP, A_BOTTOM, A_LEFT, A_RIGHT, A_ENTER, A_REFRESH,
	A_SORT_NAME, A_SORT_AGE, A_SORT_STATUS, A_SORT_REVERSE,
	A_DESCRIBE, A_YAML, A_EDIT, A_LOGS, A_SCALE, A_RESTART, A_UNDO,
	A_DELETE, A_COMPARE, A_BUILD, A_ROLLOUT, A_EVENTS,
	A_FOLLOW, A_WRAP, A_TIMESTAMPS, A_SAVE, A_TAIL, A_SINCE,
};

struct keydef {
	int key;
	const char *label;  /* as help and the man page show it: "ctrl-d" */
	unsigned scopes;
	enum action action;
	int mutates;        /* refused under --readonly */
	const char *help;
};

/* The key table, terminated by key == 0. */
extern const struct keydef keydefs[];

/* Key overrides (the configuration's `keys:`): each binds a key to an
 * action; an action with overrides loses its table keys. */
#define KEYMAP_MAX 64
struct keymap {
	struct { int key; enum action action; } b[KEYMAP_MAX];
	int n;
};

/* The action of key in a view of the given scopes (global keys always
 * apply; A_NONE if none): km's overrides (NULL: none) first, then the
 * table. Later table entries for the same key in a narrower scope win. */
enum action keys_lookup(const struct keymap *km, int key, unsigned scopes);
/* The key definition bound to action a (first match), or NULL. */
const struct keydef *keys_for_action(enum action a);
/* The override action of key in scopes, or A_NONE. */
enum action keymap_bound(const struct keymap *km, int key, unsigned scopes);
/* Non-zero when km rebinds action a. */
int keymap_overrides(const struct keymap *km, enum action a);
/* An action's name in configuration files ("describe"), or NULL; the
 * action a name gives, or A_NONE. */
const char *keys_action_name(enum action a);
enum action keys_action_find(const char *name);
/* The scopes the table's keys for a act in (0: no key does a). */
unsigned keys_action_scopes(enum action a);
/* The label of the first key that does a, as km rebinds it ("" if none). */
void keys_label_for(const struct keymap *km, enum action a, char *buf, size_t n);
/* A key from its label ("D", "ctrl-x", "esc", "pgdn", "space"), or -1;
 * and back. */
int keys_parse(const char *s);
void keys_label(int key, char *buf, size_t n);

/* ---- table view (tview.c): rows formatted only when visible ----------- */

/* Where a table's rows come from. Row indices are the source's own; the
 * view keeps its filtered, sorted order of them. */
struct tview_src {
	int ncols;
	const char *const *cols;     /* column titles */
	const unsigned char *wide;   /* per column: only in wide mode (or NULL) */
	int (*count)(void *ud);
	/* Identity that survives updates ("ns/name"): keeps the selection. */
	const char *(*key)(void *ud, int i);
	/* What filters match and name sorts by. */
	const char *(*name)(void *ud, int i);
	long long (*created)(void *ud, int i); /* unix seconds, for age sort */
	int (*status_rank)(void *ud, int i);   /* for status sort */
	enum theme_elem (*style)(void *ud, int i);
	/* Cell text of column col (sanitised); only visible rows are asked. */
	void (*cell)(void *ud, int i, int col, char *buf, size_t n);
	void *ud;
};

enum tview_sort { TSORT_NONE, TSORT_NAME, TSORT_AGE, TSORT_STATUS };

struct tview {
	int *order;  /* source indices after filter and sort */
	int n, cap;
	int sel;     /* index into order */
	int top;     /* first visible index into order */
	char *sel_key;
	enum tview_sort sort;
	int reverse;
	char filter[256];
	int inverse;  /* /!text */
	int wide;
};

void tview_init(struct tview *tv);
void tview_free(struct tview *tv);
/* Filter and sort again from src (after it changed), keeping the
 * selected row by key. */
void tview_refresh(struct tview *tv, const struct tview_src *src);
/* Set the substring filter ("!text" inverts). Refreshes. */
void tview_set_filter(struct tview *tv, const struct tview_src *src,
		      const char *filter);
/* Navigation and sort actions; returns 1 if handled. */
int tview_action(struct tview *tv, const struct tview_src *src,
		 enum action a, int page);
/* The selected source index, or -1. */
int tview_selected(const struct tview *tv);
/* Draw the column header at row y and the visible rows below it, in h
 * lines of width w starting at x. */
void tview_render(struct tview *tv, const struct tview_src *src,
		  struct frame *f, int x, int y, int w, int h, int utf8);

/* ---- the terminal (draw.c: the only file that includes curses.h) ------ */

struct term;

/* Take the terminal: curses on /dev/tty, colours as the terminal and
 * NO_COLOR allow, the theme's styles as colour pairs. *utf8 tells whether
 * the locale is UTF-8 (else ASCII lines and marks). NULL with e set. */
struct term *term_open(const struct theme *t, int *utf8, struct perr *e);
/* Give the terminal back as it was. Safe to call twice, and from the
 * fatal-allocation hook. Accepts NULL. */
void term_close(struct term *tm);
/* The screen size now. */
void term_size(struct term *tm, int *w, int *h);
/* Colours the terminal is drawn with (256, 8, or 0). */
int term_colors(const struct term *tm);
/* Make the screen show f, writing only the lines that changed since the
 * last call (all of them after a resize or term_invalidate). */
void term_draw(struct term *tm, struct frame *f);
void term_invalidate(struct term *tm);
/* The next key (K_* or a character), or -1 when none is waiting; K_EOF
 * when input has ended. Never blocks. */
int term_key(struct term *tm);
/* Suspend curses to run a program on the terminal (an editor), and
 * resume. */
void term_suspend(struct term *tm);
void term_resume(struct term *tm);

/* ---- text views (textview.c): describe, YAML, help ------------------- */

struct textview {
	char **lines; /* sanitised */
	int n, cap;
	int top;
	int wrap;
	char search[128];
};

void textview_init(struct textview *tv);
void textview_free(struct textview *tv);
/* Append text (split at newlines; sanitised here). */
void textview_add(struct textview *tv, const char *text);
/* Navigation; returns 1 if handled. */
int textview_action(struct textview *tv, enum action a, int page);
/* Draw lines [top..] into h rows of width w at x, y; lines matching the
 * search are drawn in the filter style. */
void textview_render(struct textview *tv, struct frame *f, int x, int y,
		     int w, int h);
/* The help text: every key of the table grouped by scope, as km (NULL:
 * none) rebinds them, then the commands. Lines added to tv. */
void help_fill(struct textview *tv, const struct keymap *km);

/* ---- command line (cmdline.c): `:` commands, aliases, completion ------ */

enum cmd_kind { CMDK_VIEW, CMDK_NS, CMDK_CTX, CMDK_QUIT, CMDK_HELP };

struct dash_cmd {
	const char *name;    /* canonical: "pods" */
	const char *aliases; /* space separated: "po pod" */
	enum cmd_kind kind;
	const char *help;
};

extern const struct dash_cmd dash_cmds[]; /* terminated by name == NULL */
/* The command a word names (name or alias), or NULL. */
const struct dash_cmd *dash_cmd_find(const char *word);
/* Complete the first word of line in place (size n): the longest common
 * prefix of the names and aliases it starts; returns the number of
 * candidates. */
int dash_cmd_complete(char *line, size_t n);

/* ---- configuration (config.c) and remembered state (state.c) -------- */

/* yamldoc.c: one YAML document of a file the dashboard reads, faults
 * worded SOURCE:LINE:COLUMN: what. */
struct yamldoc {
	yaml_parser_t parser;
	yaml_document_t store;
	yaml_document_t *doc; /* &store once loaded, else NULL */
	const char *source;   /* borrowed: names the file in errors */
	struct perr *e;       /* borrowed: where faults go */
};
/* Load text (n bytes) named source: 0, or -1 with e set and nothing to free. */
int yamldoc_load(struct yamldoc *y, const char *text, size_t n, const char *source, struct perr *e);
void yamldoc_free(struct yamldoc *y);
/* "SOURCE:LINE:COL: msg what" into y's error (what may be NULL); -1. */
int yamldoc_fail(struct yamldoc *y, yaml_node_t *n, const char *msg, const char *what);
/* A scalar node's text (borrowed), NULL for anything else. */
const char *yamldoc_scalar(yaml_node_t *n);

/* $XDG_CONFIG_HOME/podium/config.yaml. Command-line flags win over the
 * environment, which wins over the file. */
struct config {
	char theme[65];      /* "": not set */
	long refresh_ms;     /* refresh: how often views take the cluster's changes */
	long tick_ms;        /* tick: how often the screen is redrawn for ages */
	int log_lines;       /* log-lines: a log view's buffer */
	int readonly;        /* readonly: as --readonly */
	char start_view[32]; /* start-view: a view name, or "last" */
	struct keymap keys;  /* keys: action: key or [keys] */
};

/* The defaults: 100ms, 1s, 5000 lines, read-write, "last", no overrides. */
void config_defaults(struct config *c);
/* Parse a configuration from YAML text; source names it in errors. On
 * failure c holds the defaults and e says file:line:col what is wrong. */
int config_parse(const char *text, size_t n, const char *source,
		 struct config *c, struct perr *e);
/* The theme to use: flag (--theme), else PODIUM_THEME, else the file's,
 * else NULL (the default). Borrowed. */
const char *config_theme(const struct config *c, const char *flag);
/* The configuration file's path (caller frees), or NULL without HOME. */
char *config_path(void);
/* Load config_path(): 0 with the file's settings, or the defaults when
 * there is no file; -1 with the defaults and e set when the file is bad. */
int config_load(struct config *c, struct perr *e);

/* The last view per context, in $XDG_STATE_HOME/podium/state.yaml (or
 * ~/.local/state/podium). */
#define STATE_MAX_CONTEXTS 256
struct dash_state {
	struct { char context[128]; char view[32]; } ctx[STATE_MAX_CONTEXTS];
	int n;
};

/* The state file's path (caller frees), or NULL without HOME. */
char *state_path(void);
/* Parse a state file; entries that are not a context and a known view are
 * skipped. 0 / -1 with e set (st then empty). */
int state_parse(const char *text, size_t n, const char *source,
		struct dash_state *st, struct perr *e);
/* Load path (no file: empty, 0). 0 / -1 with e set. */
int state_load(const char *path, struct dash_state *st, struct perr *e);
/* Write st to path atomically (a temporary file renamed over it),
 * creating the directories. 0 / -1 with e set. */
int state_save(const char *path, const struct dash_state *st, struct perr *e);
/* The view remembered for context, or NULL (borrowed). */
const char *state_get(const struct dash_state *st, const char *context);
/* Remember view for context (the oldest entry goes when full). */
void state_set(struct dash_state *st, const char *context, const char *view);

/* ---- the dashboard (dash.c, dialog.c) ---------------------------------- */

struct dash;
struct view;
struct pollfd;

struct view_ops {
	unsigned scopes; /* SCOPE_* the view's keys come from */
	/* Draw into rows [y, y+h) of f. */
	void (*render)(struct view *v, struct dash *d, struct frame *f, int y, int h);
	/* Handle an action; 1 if handled. */
	int (*act)(struct view *v, struct dash *d, enum action a);
	/* Apply the `/` filter text. */
	void (*filter)(struct view *v, struct dash *d, const char *text);
	void (*free)(struct view *v);
};

/* Views embed this first. */
struct view {
	const struct view_ops *ops;
	char title[128];
	char filter_text[256];
};

/* What connects the dashboard to a cluster: the poll loop asks it for
 * descriptors and a timeout, lets it perform, and hands it what the
 * dashboard itself does not know (views of kinds, actions on objects). */
struct dash_backend {
	/* Wait up to timeout_ms for the descriptors in fds (revents filled)
	 * or the backend's own transfers; returns the number ready, -1 on
	 * failure. Without a backend the loop polls fds itself. */
	int (*wait)(struct dash *d, struct pollfd *fds, int nfds, long timeout_ms);
	/* After each wait: move transfers on, refresh views that changed. */
	void (*step)(struct dash *d);
	/* A `:` command naming a view, a namespace or a context. */
	void (*command)(struct dash *d, const struct dash_cmd *c, const char *arg);
	/* An action the top view did not handle; 1 if handled. */
	int (*action)(struct dash *d, struct view *v, enum action a);
	void *ud;
};

enum dash_mode { MODE_NORMAL, MODE_COMMAND, MODE_FILTER };

enum dialog_kind { DIALOG_NUMBER, DIALOG_CONFIRM, DIALOG_PICK, DIALOG_TEXT };

#define DIALOG_MAX_FIELDS 5

/* A modal dialog; on_done runs with ok set when the user confirmed. */
struct dialog {
	enum dialog_kind kind;
	char title[128];
	char prompt[256];
	char input[32];   /* DIALOG_NUMBER */
	char **options;   /* DIALOG_PICK, sanitised; owned */
	int noptions, sel;
	/* DIALOG_TEXT: nfields lines of text, tab and the arrows move
	 * between them; enter confirms when every one is filled in */
	int nfields, field;
	char label[DIALOG_MAX_FIELDS][32];
	char text[DIALOG_MAX_FIELDS][512];
	void (*on_done)(struct dash *d, struct dialog *dl, int ok);
	void *ud;         /* the caller's; freed by ud_free if set */
	void (*ud_free)(void *ud);
};

#define DASH_MAX_VIEWS 16

struct dash_header {
	char context[64], cluster[96], user[64], namespace[64], api[32];
	char watches[160]; /* "pods live  deploy reconnecting" */
	int watches_ok;
};

struct dash {
	struct app *app;
	const struct config *cfg; /* borrowed; NULL: the defaults */
	struct term *term;
	const char *theme_name;
	int utf8;
	int readonly;
	struct view *views[DASH_MAX_VIEWS];
	int nviews;
	enum dash_mode mode;
	char input[256];
	char msg[256];
	int msg_error;
	long long msg_until;
	int dirty, quit, resized, empty_reads;
	long long last_tick; /* second of the last redraw for ages */
	int body_h; /* rows between the header lines and the status line */
	struct dash_header hdr;
	struct dialog *dialog;
	struct dash_backend *backend;
};

/* Run the loop until quit; the terminal is restored on return. 0 / -1. */
int dash_run(struct dash *d, struct perr *e);
/* Handle one key (K_* or character) as the loop would. */
void dash_key(struct dash *d, int key);
/* Compose the whole screen into f (no terminal needed: tests call it). */
void dash_render(struct dash *d, struct frame *f);
/* Push a view (the dashboard owns it); pop the top one (quits at the root). */
void dash_push(struct dash *d, struct view *v);
void dash_pop(struct dash *d);
struct view *dash_top(struct dash *d);
/* A message on the status line for a few seconds. */
void dash_message(struct dash *d, int error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A text view of text (sanitised); the help view from the key table. */
struct view *dash_text_view(const char *title, const char *text);
struct view *dash_help_view(const struct keymap *km);

/* Connect the dashboard to a cluster through client (borrowed; it must
 * outlive the dashboard) and open the start view (a `:` command name;
 * NULL: models). 0 / -1. dash_kube_close undoes it. */
int dash_kube_open(struct dash *d, struct kube_client *client, const char *start,
		   struct perr *e);
void dash_kube_close(struct dash *d);

/* A pod's log, followed, in a ring of at most max_lines lines (0: 5000)
 * (view_log.c). c is borrowed. NULL with e set. */
struct kube_client;
struct view *log_view_new(struct kube_client *c, const char *ns, const char *pod,
			  int max_lines, struct perr *e);
/* Move a log view's stream on (no wait); *changed set when lines came.
 * Returns 1 while it streams, 0 otherwise (or when v is no log view). */
int log_view_step(struct view *v, int *changed);

/* ---- the models view's live figures (view_models.c) ---- */
struct view_models;
struct kube_watchset;
enum view_models_col { VM_SPARK, VM_RPS, VM_P99, VM_CPU, VM_MEM };
/* The monitor of model Deployments: c and ws borrowed (they outlive it).
 * NULL if curl cannot start. */
struct view_models *view_models_new(struct kube_client *c, struct kube_watchset *ws);
void view_models_free(struct view_models *m);
/* Before the models view reports its rows: rows not reported again are
 * dropped at the next scrape round. */
void view_models_mark(struct view_models *m);
/* A model Deployment as the models view sees it now (selector "k=v,...",
 * its ready and desired replicas); feeds the sparkline. */
void view_models_sample(struct view_models *m, const char *ns, const char *name,
			const char *selector, int ready, int desired, long long now);
/* Move the scrapes on (no wait) for the pods of ns (NULL: all
 * namespaces); 1 when a figure changed. */
int view_models_step(struct view_models *m, const char *ns, long long now);
/* Non-zero while a scrape is under way (the loop should look again soon). */
int view_models_busy(const struct view_models *m);
/* The text of a live column for ns/name ("-" when unknown). */
void view_models_cell(const struct view_models *m, const char *ns, const char *name,
		      enum view_models_col col, int utf8, char *buf, size_t n);
/* A sparkline of the n values v (oldest first) scaled to max (or their
 * maximum if higher): one of ▁▂▃▄▅▆▇█ per value, or _.-=# without UTF-8.
 * buf always ends with a NUL. */
void view_models_spark(const int *v, int n, int max, int utf8, char *buf, size_t size);

/* The demo's model file: cached in $XDG_CACHE_HOME/podium, else trained
 * now on part of Fashion-MNIST (a progress bar on stderr unless quiet).
 * Caller frees the path; NULL with e set (no data set, say). */
char *demo_model_path(int quiet, struct perr *e);

/* Dialogs (dialog.c). The dashboard owns an opened dialog. */
void dialog_open(struct dash *d, struct dialog *dl);
void dialog_close(struct dash *d);
void dialog_key(struct dialog *dl, struct dash *d, int key);
void dialog_render(struct dialog *dl, struct dash *d, struct frame *f);

/* ---- model commands (model-files) ---- */

/* How an image is drawn in text (imgdraw.c): Unicode upper half blocks
 * with 256-colour greys (two pixel rows per line), Unicode shades, or
 * ASCII shades (both one cell per two pixel rows, averaged). */
enum imgdraw_mode { IMGDRAW_COLOR, IMGDRAW_SHADES, IMGDRAW_ASCII,
		   /* half blocks without colour escapes (the dashboard's frame):
		    * each pixel on or off, on from a faint grey (40 of 255),
		    * so a garment shows as its silhouette */
		   IMGDRAW_HALF };

/* The mode for a terminal on fd: colour only on a tty without NO_COLOR or
 * TERM=dumb, Unicode only when the locale's codeset is UTF-8 (call
 * setlocale(LC_ALL, "") first). */
enum imgdraw_mode imgdraw_mode_for(int fd);
/* Append the image pix [h, w] (0 black .. 255 white) as text lines, each
 * prefixed by indent, to out. */
void imgdraw_render(const unsigned char *pix, int h, int w,
		    enum imgdraw_mode mode, const char *indent, struct dbuf *out);

/* ---- end model commands ---- */

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

/* cmd_build.c: the ID of a build of the model file at path: its stem and
 * five random letters, so podium-build-ID is a DNS-1123 label of at most
 * 63. Caller frees. */
char *cmd_build_id(const char *path);

/* view_build.c: a build of the model file at model_path pushed to image,
 * in namespace ns, with its progress and the builder's log; the build is
 * started here (the context and the Job made by requests on ws) and
 * followed by build_view_step
 * through ws (borrowed; its client makes the requests). NULL with e set. */
struct kube_watchset;
struct view *build_view_new(struct kube_watchset *ws, const char *ns, const char *model_path,
			    const char *image, struct perr *e);
/* Move a build view's build on (no wait); *changed set when it did.
 * Returns 1 while it runs, 0 otherwise (or when v is no build view). */
int build_view_step(struct view *v, int *changed);

/* view_rollout.c: the gated canary rollout of Deployment ns/name to image,
 * gated on agreement with the model file at model_path (canary_run.c),
 * run on ws (borrowed; it must outlive the view) and shown step by step
 * with progress bars and the result. Closing the view stops the run where
 * it is (a canary left behind is reused or replaced by the next run).
 * NULL with e set (a bad model file). */
struct view *rollout_view_new(struct kube_watchset *ws, const char *ns, const char *name,
			      const char *image, const char *model_path, int canary_replicas,
			      double min_agreement, int samples, struct perr *e);
/* Move the run on (no wait); *changed set when it did. Returns 1 while
 * it runs, 0 otherwise (or when v is no rollout view). */
int rollout_view_step(struct view *v, int *changed);

/* view_compare.c: the live predictions of Deployment ns/name compared
 * with the model file at model_path on the first samples Fashion-MNIST
 * test images (0: all), the Deployment read and the images sent on ws
 * (borrowed; it must outlive the view), never waited for. NULL with e
 * set (a bad model, no data); a missing Deployment shows in the view. */
struct kube_watchset;
struct view *compare_view_new(struct kube_watchset *ws, const char *ns, const char *name,
			      const char *model_path, int samples, struct perr *e);
/* After the loop's kube_watchset_step: take the answers that came, and
 * compare once all did; *changed set while running. Returns 1 while
 * requests are out, 0 otherwise (or when v is no compare view). */
int compare_view_step(struct view *v, int *changed);

/* get_watch.c: `get -w`: the table of k in ns (NULL: all namespaces), then
 * a row per change, until interrupted. name: watch that object only.
 * events: kubectl's --output-watch-events (ADDED, MODIFIED, DELETED first). */
int get_watch(struct kube_client *c, const struct kube_kind *k, const char *ns,
	      const char *selector, const char *name, int wide, int names_only, int watch_only,
	      int events);

/* cli_cluster.c: TYPE/NAME or TYPE NAME at argv[*i] (advanced past them):
 * the kind, and *name borrowed from argv. NULL with e set. */
const struct kube_kind *cli_type_name(int argc, char **argv, int *i, const char **name,
				      struct perr *e);

/* ---- live compare and gated model rollouts (model-live) ---- */

/* A comparison of a local model with live pods (live_compare.c). */
struct live_compare {
	const char *model_path;   /* the local model file */
	const char *data;         /* test set directory, or NULL */
	const char *test_images, *test_labels; /* or these two */
	int samples;              /* the first N test images; 0: all */
	int batch, concurrency, top;
	const char *const *targets; /* proxy base paths (kube_live_opts) */
	int ntargets;
	const char *served;       /* the model's name in the pods' URLs */
	const char *what;         /* how the report names the pods */
	int json;                 /* -o json instead of the report */
};
struct live_outcome {
	int n, answered, failed;
	double agreement;         /* over the answered inputs, 0..1 */
};
/* A comparison's parts, for callers that send the images themselves
 * (canary_run.c): the model and test set, the pods' answers, the local
 * engine's, and the statistics. */
struct live_cmp {
	struct model *m;
	struct idx_dataset ds;
	struct kube_live_result r; /* the pods' answers: the caller fills it */
	struct compare_stats s;
	float *pl, *pa, *pb;       /* local [n], then compared rows of each */
	int *map, *lab;            /* compared row -> input, its label */
	int k;                     /* rows compared (answered) */
	double agreement;
};
/* Load o's model and test set into *c (free with live_cmp_free, also on
 * failure). 0 / -1 with e. */
int live_cmp_load(const struct live_compare *o, struct live_cmp *c, struct perr *e);
/* The kube_live_opts that send c's images to o's targets. */
struct kube_live_opts;
void live_cmp_opts(const struct live_compare *o, const struct live_cmp *c,
		   struct kube_live_opts *lo);
/* The local engine's answers on c's images (once). 0 / -1 with e. */
int live_cmp_local(struct live_cmp *c, struct perr *e);
/* After live_cmp_local: how many of the images r answered so far agree
 * with the local engine; *n the answered. */
int live_cmp_agree_so_far(const struct live_cmp *c, const struct kube_live_result *r, int *n);
/* With c->r filled: the local engine on the same images (unless done),
 * then the statistics (top differences kept). 0 / -1 with e. */
int live_cmp_compute(struct live_cmp *c, int top, struct perr *e);
/* Print the report (or o->json's JSON) on stdout. */
void live_cmp_report(const struct live_compare *o, const struct live_cmp *c);
void live_cmp_free(struct live_cmp *c);
/* Run the comparison and print its report. 0 with out filled, or -1
 * after printing the error. */
int live_compare_run(struct kube_client *c, const struct live_compare *o,
		     struct live_outcome *out);
/* The gated canary rollout as a step machine (canary_run.c): one
 * implementation for `podium rollout model` and the dashboard. */
struct canary_run_opts {
	const char *name, *ns;     /* the main Deployment */
	const char *image;         /* the new image */
	const char *model_path;    /* the local model it must agree with */
	const char *label, *sha256; /* the model's name and checksum */
	const char *data, *test_images, *test_labels; /* as live_compare's */
	int canary_replicas, samples, batch, concurrency;
	double min_agreement;      /* a fraction, 0..1 */
	long timeout_ms;           /* each wait */
};
/* What the run tells its caller, as it happens: a plain line, a step
 * ("==> "), a status line under it, an error, the comparison done (its
 * report: canary_run_compare), the result. */
enum canary_ev { CEV_LINE, CEV_STEP, CEV_STATUS, CEV_ERROR, CEV_REPORT, CEV_RESULT };
typedef void (*canary_ev_fn)(void *ud, enum canary_ev ev, const char *text);
enum canary_phase { CP_READING, CP_CANARY, CP_WAIT_CANARY, CP_PODS, CP_COMPARE, CP_PROMOTE,
		    CP_WAIT_MAIN, CP_CLEANUP, CP_DONE, CP_COUNT };
enum canary_outcome { CO_RUNNING, CO_PROMOTED, CO_ALREADY, CO_REFUSED, CO_ABORTED, CO_FAILED };
struct canary_run_state {
	enum canary_phase phase;
	enum canary_outcome outcome;
	int ready, desired;        /* of the Deployment waited for */
	int images, sent, answered, requests, failed, compared;
	double agreement, min_agreement; /* fractions, 0..1 */
	int agree_so_far, compared_so_far; /* while comparing */
};
struct canary_run;
/* Start a rollout on ws (borrowed; its client makes the requests): the
 * two Deployments are asked for now; events go to fn(ud, ...) from inside
 * kube_watchset_step and canary_run_step. o is copied. Free with
 * canary_run_free (which cancels what is in flight). */
struct canary_run *canary_run_new(struct kube_watchset *ws, const struct canary_run_opts *o,
				  canary_ev_fn fn, void *ud);
/* After kube_watchset_step: compare once the answers are in, send the
 * next look when its timer is due. Never waits. 1 while running. */
int canary_run_step(struct canary_run *r, long long now);
/* Milliseconds until canary_run_step has a timer due (-1: none). */
long long canary_run_timeout(const struct canary_run *r, long long now);
void canary_run_state(const struct canary_run *r, struct canary_run_state *st);
/* The comparison (after CEV_REPORT) and its options, borrowed. */
const struct live_cmp *canary_run_compare(const struct canary_run *r,
					  const struct live_compare **o);
const char *canary_phase_name(enum canary_phase p);
/* How an event's line starts when shown: "==> " for a step, "    " for
 * a status line, "error: ", "result: ", else "". */
const char *canary_ev_prefix(enum canary_ev ev);
void canary_run_free(struct canary_run *r);
/* `podium rollout model NAME ...` (cmd_rollout_model.c); argv[0] is
 * "model". */
int rollout_model(struct app *app, int argc, char **argv);
/* `podium model compare MODEL --live deploy/NAME` (cmd_rollout_model.c). */
int model_compare_live(struct app *app, const char *model_path, const char *target,
		       const struct live_compare *base, double min_agreement);

/* ---- end live compare and gated model rollouts ---- */

#endif
