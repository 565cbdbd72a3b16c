/*
 * theme.c - colour themes: YAML files of named styles (themes/, then the
 * user's $XDG_CONFIG_HOME/podium/themes), parsed with libyaml into a struct
 * theme, and degraded to what the terminal can show (256 colours, 8, none).
 * Pure data: the drawing layer turns styles into curses colour pairs.
 */
#define _POSIX_C_SOURCE 200809L
#include "tui/tui.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

/* Theme files are small; anything larger is not a theme. */
#define THEME_MAX_BYTES (64 * 1024)

const char *const theme_elem_names[TH_COUNT] = {
	[TH_HEADER] = "header",
	[TH_HEADER_LABEL] = "header-label",
	[TH_BREADCRUMB] = "breadcrumb",
	[TH_TABLE_HEADER] = "table-header",
	[TH_TABLE_ROW] = "table-row",
	[TH_SELECTION] = "selection",
	[TH_OK] = "ok",
	[TH_PENDING] = "pending",
	[TH_WARNING] = "warning",
	[TH_ERROR] = "error",
	[TH_DELETED] = "deleted",
	[TH_DIALOG] = "dialog",
	[TH_DIALOG_BORDER] = "dialog-border",
	[TH_LOG] = "log",
	[TH_LOG_MARK] = "log-mark",
	[TH_CHART] = "chart",
	[TH_CHART_ALT] = "chart-alt",
	[TH_FILTER] = "filter",
	[TH_BADGE] = "badge",
	[TH_HELP_KEY] = "help-key",
};

/* Without colour these elements must still stand out from the rows around
 * them, so they fall back to reverse video when their colours go. */
static const unsigned char stands_out[TH_COUNT] = {
	[TH_SELECTION] = 1, [TH_BADGE] = 1, [TH_BREADCRUMB] = 1,
	[TH_HEADER] = 1, [TH_LOG_MARK] = 1,
};

/* The built-in default: the same styles as themes/default.yaml (a unit
 * test holds the two equal), so Podium draws well with no files at all. */
static const struct theme_style default_styles[TH_COUNT] = {
	[TH_HEADER] = { 252, 236, 0 },
	[TH_HEADER_LABEL] = { 109, 236, TA_BOLD },
	[TH_BREADCRUMB] = { 16, 110, 0 },
	[TH_TABLE_HEADER] = { 250, -1, TA_BOLD },
	[TH_TABLE_ROW] = { 252, -1, 0 },
	[TH_SELECTION] = { 16, 110, 0 },
	[TH_OK] = { 114, -1, 0 },
	[TH_PENDING] = { 180, -1, 0 },
	[TH_WARNING] = { 214, -1, 0 },
	[TH_ERROR] = { 203, -1, TA_BOLD },
	[TH_DELETED] = { 242, -1, TA_DIM },
	[TH_DIALOG] = { 252, 238, 0 },
	[TH_DIALOG_BORDER] = { 110, 238, 0 },
	[TH_LOG] = { 250, -1, 0 },
	[TH_LOG_MARK] = { 214, -1, TA_REVERSE },
	[TH_CHART] = { 110, -1, 0 },
	[TH_CHART_ALT] = { 176, -1, 0 },
	[TH_FILTER] = { 214, -1, TA_BOLD },
	[TH_BADGE] = { 16, 214, TA_BOLD },
	[TH_HELP_KEY] = { 110, -1, TA_BOLD },
};

void theme_default(struct theme *t)
{
	memset(t, 0, sizeof *t);
	snprintf(t->name, sizeof t->name, "default");
	snprintf(t->description, sizeof t->description,
		 "dark, the terminal's background");
	memcpy(t->s, default_styles, sizeof t->s);
}

static const char *const basic_names[16] = {
	"black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
	"bright-black", "bright-red", "bright-green", "bright-yellow",
	"bright-blue", "bright-magenta", "bright-cyan", "bright-white",
};

/* xterm's values for the 16 basic colours. */
static const unsigned char basic_rgb[16][3] = {
	{ 0, 0, 0 }, { 205, 0, 0 }, { 0, 205, 0 }, { 205, 205, 0 },
	{ 0, 0, 238 }, { 205, 0, 205 }, { 0, 205, 205 }, { 229, 229, 229 },
	{ 127, 127, 127 }, { 255, 0, 0 }, { 0, 255, 0 }, { 255, 255, 0 },
	{ 92, 92, 255 }, { 255, 0, 255 }, { 0, 255, 255 }, { 255, 255, 255 },
};

static const unsigned char cube_levels[6] = { 0, 95, 135, 175, 215, 255 };

/* The RGB value xterm gives colour c (0-255). */
static void xterm_rgb(int c, int rgb[3])
{
	if (c < 16) {
		for (int i = 0; i < 3; i++)
			rgb[i] = basic_rgb[c][i];
	} else if (c < 232) {
		c -= 16;
		rgb[0] = cube_levels[c / 36];
		rgb[1] = cube_levels[(c / 6) % 6];
		rgb[2] = cube_levels[c % 6];
	} else {
		rgb[0] = rgb[1] = rgb[2] = 8 + 10 * (c - 232);
	}
}

static long rgb_dist(const int a[3], const int b[3])
{
	long d = 0;
	for (int i = 0; i < 3; i++)
		d += (long)(a[i] - b[i]) * (a[i] - b[i]);
	return d;
}

/* The xterm colour in [from, 256) nearest to rgb. */
static short nearest(const int rgb[3], int from, int to)
{
	short best = (short)from;
	long bestd = LONG_MAX;
	for (int c = from; c < to; c++) {
		int x[3];
		xterm_rgb(c, x);
		long d = rgb_dist(rgb, x);
		if (d < bestd) {
			bestd = d;
			best = (short)c;
		}
	}
	return best;
}

int theme_color_parse(const char *s, short *out)
{
	if (!s || !*s)
		return -1;
	if (strcmp(s, "default") == 0) {
		*out = THEME_DEFAULT_COLOR;
		return 0;
	}
	for (int i = 0; i < 16; i++)
		if (strcmp(s, basic_names[i]) == 0) {
			*out = (short)i;
			return 0;
		}
	if (s[0] == '#') {
		if (strlen(s) != 7)
			return -1;
		int rgb[3];
		for (int i = 0; i < 3; i++) {
			char hex[3] = { s[1 + 2 * i], s[2 + 2 * i], 0 };
			if (!isxdigit((unsigned char)hex[0]) ||
			    !isxdigit((unsigned char)hex[1]))
				return -1;
			rgb[i] = (int)strtol(hex, NULL, 16);
		}
		/* Skip 0-15: terminals redefine the basic colours freely. */
		*out = nearest(rgb, 16, 256);
		return 0;
	}
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || end == s || v < 0 || v > 255)
		return -1;
	*out = (short)v;
	return 0;
}

short theme_color_reduce(short c, int ncolors)
{
	if (c < 0 || c < ncolors)
		return c;
	int rgb[3];
	xterm_rgb(c, rgb);
	return nearest(rgb, 0, ncolors >= 16 ? 16 : 8);
}

void theme_for_terminal(const struct theme *in, int ncolors, struct theme *out)
{
	if (out != in)
		*out = *in;
	for (int i = 0; i < TH_COUNT; i++) {
		struct theme_style *st = &out->s[i];
		if (ncolors >= 256)
			continue;
		if (ncolors >= 8) {
			st->fg = theme_color_reduce(st->fg, ncolors);
			st->bg = theme_color_reduce(st->bg, ncolors);
			/* Two colours may collapse into one: keep text legible. */
			if (st->fg >= 0 && st->fg == st->bg)
				st->attrs |= TA_REVERSE, st->bg = THEME_DEFAULT_COLOR;
			continue;
		}
		if (st->bg != THEME_DEFAULT_COLOR && stands_out[i])
			st->attrs |= TA_REVERSE;
		st->fg = st->bg = THEME_DEFAULT_COLOR;
	}
}

static const struct {
	const char *name;
	unsigned bit;
} attr_names[] = {
	{ "bold", TA_BOLD },         { "dim", TA_DIM },
	{ "underline", TA_UNDERLINE }, { "reverse", TA_REVERSE },
	{ "italic", TA_ITALIC },     { NULL, 0 },
};

static int parse_style(struct yamldoc *p, yaml_node_t *map, struct theme_style *st)
{
	if (map->type != YAML_MAPPING_NODE)
		return yamldoc_fail(p, map, "a style is a mapping of fg, bg and attrs", NULL);
	struct theme_style out = { THEME_DEFAULT_COLOR, THEME_DEFAULT_COLOR, 0 };
	for (yaml_node_pair_t *pr = map->data.mapping.pairs.start;
	     pr < map->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(p->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(p->doc, pr->value);
		const char *key = yamldoc_scalar(k);
		if (!key)
			return yamldoc_fail(p, k, "style keys are fg, bg and attrs", NULL);
		if (strcmp(key, "fg") == 0 || strcmp(key, "bg") == 0) {
			short c;
			if (!yamldoc_scalar(v) || theme_color_parse(yamldoc_scalar(v), &c) < 0)
				return yamldoc_fail(p, v,
					       "not a colour (a name such as red or bright-blue, "
					       "0-255, #rrggbb, or default): ",
					       yamldoc_scalar(v) ? yamldoc_scalar(v) : "(not a scalar)");
			if (key[0] == 'f')
				out.fg = c;
			else
				out.bg = c;
		} else if (strcmp(key, "attrs") == 0) {
			if (v->type != YAML_SEQUENCE_NODE)
				return yamldoc_fail(p, v, "attrs is a list, e.g. [bold, underline]", NULL);
			for (yaml_node_item_t *it = v->data.sequence.items.start;
			     it < v->data.sequence.items.top; it++) {
				yaml_node_t *a = yaml_document_get_node(p->doc, *it);
				const char *an = yamldoc_scalar(a);
				int found = 0;
				for (int i = 0; an && attr_names[i].name; i++)
					if (strcmp(an, attr_names[i].name) == 0) {
						out.attrs |= attr_names[i].bit;
						found = 1;
					}
				if (!found)
					return yamldoc_fail(p, a,
						       "unknown attribute (bold, dim, underline, reverse, italic): ",
						       an ? an : "(not a scalar)");
			}
		} else {
			return yamldoc_fail(p, k, "unknown style key (fg, bg, attrs): ", key);
		}
	}
	*st = out;
	return 0;
}

static int parse_root(struct yamldoc *p, yaml_node_t *root, struct theme *t)
{
	if (!root || root->type != YAML_MAPPING_NODE)
		return yamldoc_fail(p, root, "a theme is a mapping with name and styles", NULL);
	int have_styles = 0;
	for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
	     pr < root->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(p->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(p->doc, pr->value);
		const char *key = yamldoc_scalar(k);
		if (!key)
			return yamldoc_fail(p, k, "keys are name, description and styles", NULL);
		if (strcmp(key, "name") == 0 || strcmp(key, "description") == 0) {
			if (!yamldoc_scalar(v))
				return yamldoc_fail(p, v, key, " must be a string");
			char *clean = sanitize_text(yamldoc_scalar(v), strlen(yamldoc_scalar(v)), 0);
			if (key[0] == 'n')
				snprintf(t->name, sizeof t->name, "%s", clean);
			else
				snprintf(t->description, sizeof t->description, "%s", clean);
			free(clean);
		} else if (strcmp(key, "styles") == 0) {
			if (v->type != YAML_MAPPING_NODE)
				return yamldoc_fail(p, v, "styles is a mapping of element: style", NULL);
			have_styles = 1;
			for (yaml_node_pair_t *sp = v->data.mapping.pairs.start;
			     sp < v->data.mapping.pairs.top; sp++) {
				yaml_node_t *ek = yaml_document_get_node(p->doc, sp->key);
				yaml_node_t *ev = yaml_document_get_node(p->doc, sp->value);
				const char *en = yamldoc_scalar(ek);
				int idx = -1;
				for (int i = 0; en && i < TH_COUNT; i++)
					if (strcmp(en, theme_elem_names[i]) == 0)
						idx = i;
				if (idx < 0)
					return yamldoc_fail(p, ek, "unknown element (see podium-themes(5)): ",
						       en ? en : "(not a scalar)");
				if (parse_style(p, ev, &t->s[idx]) < 0)
					return -1;
			}
		} else {
			return yamldoc_fail(p, k, "unknown key (name, description, styles): ", key);
		}
	}
	if (!have_styles)
		return yamldoc_fail(p, root, "no styles: mapping", NULL);
	return 0;
}

int theme_parse(const char *text, size_t n, const char *source, struct theme *t,
		struct perr *e)
{
	struct yamldoc p;
	struct theme out;
	int rc = -1;

	theme_default(&out);
	out.description[0] = '\0';
	if (yamldoc_load(&p, text, n, source, e) < 0)
		return -1;
	yaml_node_t *root = yaml_document_get_root_node(p.doc);
	if (!root) {
		perr_set(e, "%s: empty theme file", source);
		goto out;
	}
	if (parse_root(&p, root, &out) < 0)
		goto out;
	*t = out;
	rc = 0;
out:
	yamldoc_free(&p);
	return rc;
}

int theme_load_file(const char *path, struct theme *t, struct perr *e)
{
	char *text;
	size_t len;
	if (read_file(path, THEME_MAX_BYTES, &text, &len, e) < 0)
		return -1;
	int rc = theme_parse(text, len, path, t, e);
	free(text);
	return rc;
}

int theme_load(const char *name, const char *const *dirs, struct theme *t,
	       struct perr *e)
{
	if (!name || !*name || strlen(name) > 64 ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(name)) {
		perr_set(e, "'%s' is not a theme name: use lower-case letters, digits, - and _",
			 name ? name : "");
		return -1;
	}
	for (int i = 0; dirs && dirs[i]; i++) {
		char *path = xasprintf("%s/%s.yaml", dirs[i], name);
		if (access(path, R_OK) == 0) {
			int rc = theme_load_file(path, t, e);
			free(path);
			return rc;
		}
		free(path);
	}
	if (strcmp(name, "default") == 0) { /* built in: needs no file */
		theme_default(t);
		return 0;
	}
	perr_set(e, "no theme named '%s' (themes are NAME.yaml in %s%s)", name,
		 dirs && dirs[0] ? dirs[0] : "themes/",
		 dirs && dirs[0] && dirs[1] ? " or the installed themes" : "");
	return -1;
}

int theme_dirs(char **dirs, int max)
{
	int n = 0;
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	if (n < max && xdg && *xdg)
		dirs[n++] = xasprintf("%s/podium/themes", xdg);
	else if (n < max && home && *home)
		dirs[n++] = xasprintf("%s/.config/podium/themes", home);
	char exe[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (len > 0) {
		exe[len] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		if (n < max)
			dirs[n++] = xasprintf("%s/../share/podium/themes", exe);
		if (n < max)
			dirs[n++] = xasprintf("%s/../themes", exe);
	}
	dirs[n] = NULL;
	return n;
}

int theme_choose(const char *flag, struct theme *t, struct perr *e)
{
	const char *name = flag;
	if (!name || !*name)
		name = getenv("PODIUM_THEME");
	if (!name || !*name)
		name = "default";
	char *dirs[4];
	theme_dirs(dirs, 3);
	int rc = theme_load(name, (const char *const *)dirs, t, e);
	for (int i = 0; dirs[i]; i++)
		free(dirs[i]);
	if (rc < 0)
		theme_default(t);
	return rc;
}
