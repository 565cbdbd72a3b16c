/*
 * draw.c - the one place that talks to curses: opening and restoring the
 * terminal, colour pairs from the theme, drawing a frame by repainting only
 * the lines whose hash changed, and reading keys. Everything above it works
 * on frames and K_* codes, so it can be tested without a terminal.
 */
#define _XOPEN_SOURCE_EXTENDED 1
#include "tui/tui.h"

#include <curses.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

struct term {
	int open;
	int colors;           /* 256, 8 or 0 */
	int utf8;             /* the locale is UTF-8 */
	SCREEN *screen;
	struct theme theme;   /* as this terminal shows it */
	int w, h;
	unsigned long *shown; /* hash of each line on screen */
	int nshown;
	int eof_polls;
};

/* ncurses keeps one screen per process; so does this: the fatal hook and
 * the crash path need to find it. */
static struct term *the_term;

static void fatal_restore(void)
{
	term_close(the_term);
}

/* The crash path. A handler may not call curses, so what giving the
 * terminal back takes is prepared while it opens: the modes it had before
 * curses (tcsetattr is async-signal-safe) and the bytes that leave the
 * alternate screen and show the cursor again (write is). The previous
 * handlers (the default, or a sanitizer's report) then run as they would
 * have. */
static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
#define NCRASH (sizeof crash_signals / sizeof crash_signals[0])
static struct sigaction crash_prev[NCRASH];
static struct termios crash_tio;
static int crash_tio_ok;
static char crash_reset[256];
static size_t crash_reset_len;
static volatile sig_atomic_t crash_armed;

static void crash_handler(int sig)
{
	if (crash_armed) {
		crash_armed = 0;
		if (crash_tio_ok)
			tcsetattr(0, TCSANOW, &crash_tio);
		if (write(1, crash_reset, crash_reset_len) < 0) {
			/* nothing more can be done for the terminal */
		}
	}
	for (size_t i = 0; i < NCRASH; i++)
		if (crash_signals[i] == sig)
			sigaction(sig, &crash_prev[i], NULL);
	raise(sig);
}

/* Append terminfo capability cap to the reset bytes, without its padding
 * ("$<5>"), if the terminal has it. */
static void crash_add(const char *cap)
{
	const char *v = tigetstr(cap);
	if (!v || v == (const char *)-1)
		return;
	for (; *v && crash_reset_len + 1 < sizeof crash_reset; v++) {
		if (v[0] == '$' && v[1] == '<' && strchr(v, '>')) {
			v = strchr(v, '>');
			continue;
		}
		crash_reset[crash_reset_len++] = *v;
	}
}

static void crash_arm(void)
{
	crash_reset_len = 0;
	crash_add("sgr0");
	crash_add("cnorm");
	crash_add("rmkx");
	crash_add("rmcup");
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = crash_handler;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NCRASH; i++)
		sigaction(crash_signals[i], &sa, &crash_prev[i]);
	crash_armed = 1;
}

static void crash_disarm(void)
{
	if (!crash_armed)
		return;
	crash_armed = 0;
	for (size_t i = 0; i < NCRASH; i++)
		sigaction(crash_signals[i], &crash_prev[i], NULL);
}

static attr_t style_attrs(const struct theme_style *st, short pair)
{
	attr_t a = pair ? COLOR_PAIR(pair) : 0;
	if (st->attrs & TA_BOLD)
		a |= A_BOLD;
	if (st->attrs & TA_DIM)
		a |= A_DIM;
	if (st->attrs & TA_UNDERLINE)
		a |= A_UNDERLINE;
	if (st->attrs & TA_REVERSE)
		a |= A_REVERSE;
#ifdef A_ITALIC
	if (st->attrs & TA_ITALIC)
		a |= A_ITALIC;
#endif
	return a;
}

static void setup_colors(struct term *tm, const struct theme *t)
{
	tm->colors = 0;
	const char *nc = getenv("NO_COLOR");
	if (!(nc && *nc) && has_colors() && start_color() == OK) {
		use_default_colors();
		tm->colors = COLORS >= 256 ? 256 : COLORS >= 16 ? 16 : COLORS >= 8 ? 8 : 0;
	}
	theme_for_terminal(t, tm->colors, &tm->theme);
	if (!tm->colors)
		return;
	for (int i = 0; i < TH_COUNT; i++)
		init_pair((short)(i + 1), tm->theme.s[i].fg, tm->theme.s[i].bg);
}

struct term *term_open(const struct theme *t, int *utf8, struct perr *e)
{
	setlocale(LC_ALL, "");
	const char *cs = nl_langinfo(CODESET);
	*utf8 = cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
	if (!isatty(0) || !isatty(1)) {
		perr_set(e, "the dashboard needs a terminal: run it in one, or use the headless commands (podium --help)");
		return NULL;
	}
	/* Short ESC delay: esc is a key here, and SSH adds latency anyway. */
	if (!getenv("ESCDELAY"))
		setenv("ESCDELAY", "25", 1);
	/* newterm, not initscr: initscr prints its own error and exits on a
	 * TERM the terminfo database does not know. */
	const char *tname = getenv("TERM");
	crash_tio_ok = tcgetattr(0, &crash_tio) == 0;
	SCREEN *scr = newterm(NULL, stdout, stdin);
	if (!scr) {
		perr_set(e, "cannot start curses on this terminal (TERM=%s is not in the terminfo "
			    "database): set TERM to your terminal's, e.g. xterm-256color",
			 tname ? tname : "");
		return NULL;
	}
	/* A terminal that cannot move the cursor (TERM=dumb, an editor's
	 * shell buffer) would get a smear of rows: say so instead. */
	char *cup = tigetstr("cup");
	if (!cup || cup == (char *)-1) {
		endwin();
		delscreen(scr);
		perr_set(e, "this terminal (TERM=%s) cannot move the cursor: the dashboard needs one "
			    "that can; the headless commands work anywhere (podium --help)",
			 tname ? tname : "");
		return NULL;
	}
	struct term *tm = xcalloc(1, sizeof *tm);
	tm->screen = scr;
	tm->open = 1;
	tm->utf8 = *utf8;
	the_term = tm;
	x_set_fatal_hook(fatal_restore);
	crash_arm();
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	/* The cursor is hidden, so it may stay wherever the last change left
	 * it: without leaveok every refresh ends by moving it back to stdscr's
	 * cursor (a CR and a row address, 5-6 bytes a frame for nothing seen).
	 * A terminal that cannot hide it keeps it parked. */
	if (curs_set(0) != ERR)
		leaveok(stdscr, TRUE);
	setup_colors(tm, t);
	getmaxyx(stdscr, tm->h, tm->w);
	return tm;
}

void term_close(struct term *tm)
{
	if (!tm || !tm->open)
		return;
	tm->open = 0;
	crash_disarm();
	curs_set(1);
	endwin();
	delscreen(tm->screen);
	free(tm->shown);
	tm->shown = NULL;
	if (the_term == tm)
		the_term = NULL;
	free(tm);
}

void term_size(struct term *tm, int *w, int *h)
{
	/* SIGWINCH is the dashboard's: tell curses the new size here. */
	struct winsize ws;
	if (ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0 &&
	    (ws.ws_row != LINES || ws.ws_col != COLS))
		resize_term(ws.ws_row, ws.ws_col);
	getmaxyx(stdscr, tm->h, tm->w);
	*w = tm->w;
	*h = tm->h;
}

int term_colors(const struct term *tm)
{
	return tm->colors;
}

void term_invalidate(struct term *tm)
{
	free(tm->shown);
	tm->shown = NULL;
	tm->nshown = 0;
	clearok(curscr, TRUE);
}

/* ASCII stand-ins for the few characters messages and marks use. */
static const struct {
	const char *utf8;
	char ascii;
} ascii_map[] = {
	{ "\xe2\x80\x94", '-' }, { "\xe2\x80\x93", '-' }, { "\xe2\x80\xa6", '~' },
	{ "\xe2\x94\x82", '|' }, { "\xe2\x94\x80", '-' }, { "\xe2\x94\x8c", '+' },
	{ "\xe2\x94\x90", '+' }, { "\xe2\x94\x94", '+' }, { "\xe2\x94\x98", '+' },
	{ "\xe2\x96\x8f", '_' }, { "\xe2\x80\x98", '\'' }, { "\xe2\x80\x99", '\'' },
	{ "\xe2\x80\x9c", '"' }, { "\xe2\x80\x9d", '"' }, { NULL, 0 },
};

static char ascii_for(const struct cell *cl)
{
	for (int i = 0; cl->len && ascii_map[i].utf8; i++)
		if (strlen(ascii_map[i].utf8) <= cl->len &&
		    memcmp(cl->ch, ascii_map[i].utf8, strlen(ascii_map[i].utf8)) == 0)
			return ascii_map[i].ascii;
	return '?';
}

static void draw_line(struct term *tm, const struct frame *f, int r)
{
	const struct cell *line = &f->cells[r * f->w];
	int c = 0;
	move(r, 0);
	while (c < f->w) {
		int st = line[c].style < TH_COUNT ? line[c].style : TH_TABLE_ROW;
		attrset(style_attrs(&tm->theme.s[st], tm->colors ? (short)(st + 1) : 0));
		/* One run of cells in the same style, one curses call. */
		char buf[1024];
		size_t n = 0;
		while (c < f->w && line[c].style == st && n + 4 < sizeof buf) {
			if (tm->utf8) {
				memcpy(buf + n, line[c].ch, line[c].len);
				n += line[c].len;
			} else if (line[c].len == 0 || (unsigned char)line[c].ch[0] >= 0x80) {
				/* Not a UTF-8 terminal: whatever views let through
				 * (a log line's text, a message's dash, a wide
				 * character's two columns) is one ASCII character a
				 * column, never raw bytes. */
				buf[n++] = ascii_for(&line[c]);
			} else {
				buf[n++] = line[c].ch[0]; /* combining marks dropped */
			}
			c++;
		}
		/* The bottom-right cell returns ERR (the cursor cannot move on)
		 * but is drawn: scrolling is off. */
		addnstr(buf, (int)n);
	}
}

void term_draw(struct term *tm, struct frame *f)
{
	frame_hash_lines(f);
	if (tm->nshown != f->h) {
		free(tm->shown);
		tm->shown = xcalloc((size_t)f->h, sizeof *tm->shown);
		tm->nshown = f->h;
		for (int r = 0; r < f->h; r++)
			tm->shown[r] = ~f->line_hash[r];
	}
	for (int r = 0; r < f->h; r++) {
		if (tm->shown[r] == f->line_hash[r])
			continue;
		draw_line(tm, f, r);
		tm->shown[r] = f->line_hash[r];
	}
	refresh();
}

static const struct {
	int curses;
	int key;
} keymap[] = {
	{ KEY_UP, K_UP },       { KEY_DOWN, K_DOWN },   { KEY_LEFT, K_LEFT },
	{ KEY_RIGHT, K_RIGHT }, { KEY_PPAGE, K_PGUP },  { KEY_NPAGE, K_PGDN },
	{ KEY_HOME, K_HOME },   { KEY_END, K_END },     { KEY_RESIZE, K_RESIZE },
	{ KEY_DC, K_DEL },      { KEY_BTAB, K_BTAB },   { KEY_BACKSPACE, K_BACKSPACE },
	{ KEY_ENTER, K_ENTER }, { 8, K_BACKSPACE },     { '\n', K_ENTER },
	{ 0, 0 },
};

int term_key(struct term *tm)
{
	int ch = getch();
	if (ch == ERR)
		return -1;
	if (ch == KEY_RESIZE)
		getmaxyx(stdscr, tm->h, tm->w);
	for (int i = 0; keymap[i].curses; i++)
		if (keymap[i].curses == ch)
			return keymap[i].key;
	if (ch >= KEY_MIN)
		return -1;
	return ch;
}

void term_suspend(struct term *tm)
{
	(void)tm;
	def_prog_mode();
	endwin();
}

void term_resume(struct term *tm)
{
	reset_prog_mode();
	term_invalidate(tm);
	refresh();
}
