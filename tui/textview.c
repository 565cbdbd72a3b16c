/*
 * textview.c - a scrolling view of lines: describe, YAML, help. Text is
 * sanitised as it is added, so whatever the cluster sent is drawn
 * harmlessly.
 */
#include "tui/tui.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A bounded view: describe and YAML are small, but a hostile object can
 * carry megabytes of annotations. */
#define TEXTVIEW_MAX_LINES 200000

void textview_init(struct textview *tv)
{
	memset(tv, 0, sizeof *tv);
}

void textview_free(struct textview *tv)
{
	if (!tv)
		return;
	for (int i = 0; i < tv->n; i++)
		free(tv->lines[i]);
	free(tv->lines);
	memset(tv, 0, sizeof *tv);
}

void textview_add(struct textview *tv, const char *text)
{
	const char *p = text;
	for (;;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (!nl && len == 0 && p != text)
			break;
		if (tv->n >= TEXTVIEW_MAX_LINES)
			return;
		if (tv->n == tv->cap) {
			tv->cap = tv->cap ? tv->cap * 2 : 64;
			tv->lines = xrealloc(tv->lines, (size_t)tv->cap * sizeof *tv->lines);
		}
		tv->lines[tv->n++] = sanitize_text(p, len, 0);
		if (!nl)
			break;
		p = nl + 1;
	}
}

int textview_action(struct textview *tv, enum action a, int page)
{
	int top = tv->top;
	switch (a) {
	case A_UP: top--; break;
	case A_DOWN: top++; break;
	case A_PGUP: top -= page > 1 ? page - 1 : 1; break;
	case A_PGDN: top += page > 1 ? page - 1 : 1; break;
	case A_TOP: top = 0; break;
	case A_BOTTOM: top = tv->n - page; break;
	case A_WRAP: tv->wrap = !tv->wrap; return 1;
	default: return 0;
	}
	if (top > tv->n - 1)
		top = tv->n - 1;
	if (top < 0)
		top = 0;
	tv->top = top;
	return 1;
}

static int matches(const char *line, const char *needle)
{
	size_t nl = strlen(needle);
	if (!nl)
		return 0;
	for (; *line; line++)
		if (strncasecmp(line, needle, nl) == 0)
			return 1;
	return 0;
}

void textview_render(struct textview *tv, struct frame *f, int x, int y,
		     int w, int h)
{
	int row = 0;
	for (int i = tv->top; i < tv->n && row < h; i++) {
		enum theme_elem st = matches(tv->lines[i], tv->search) ? TH_FILTER : TH_LOG;
		const char *p = tv->lines[i];
		do {
			frame_fill(f, y + row, x, w, st);
			int got = frame_put(f, y + row, x, p, w, st);
			row++;
			if (!tv->wrap)
				break;
			p = utf8_skip_cols(p, got);
		} while (*p && row < h);
	}
	for (; row < h; row++)
		frame_fill(f, y + row, x, w, TH_LOG);
}

static const struct {
	unsigned scope;
	const char *title;
} help_groups[] = {
	{ SCOPE_GLOBAL, "Everywhere" },
	{ SCOPE_TABLE, "Lists" },
	{ SCOPE_RESOURCE, "Cluster objects" },
	{ SCOPE_LOG, "Logs" },
	{ SCOPE_TEXT, "Text (describe, YAML, help)" },
	{ 0, NULL },
};

static void help_line(struct textview *tv, const char *label, const struct keydef *k)
{
	char *line = xasprintf("  %-8s %s%s", label, k->help,
			       k->mutates ? " (not with --readonly)" : "");
	textview_add(tv, line);
	free(line);
}

void help_fill(struct textview *tv, const struct keymap *km)
{
	for (int g = 0; help_groups[g].title; g++) {
		unsigned scope = help_groups[g].scope;
		textview_add(tv, help_groups[g].title);
		for (const struct keydef *k = keydefs; k->key; k++) {
			if (!(k->scopes & scope))
				continue;
			if (keymap_overrides(km, k->action)) {
				/* the rebound keys, once, where the action's first key was */
				int seen = 0;
				for (const struct keydef *p = keydefs; p < k; p++)
					if (p->action == k->action && (p->scopes & scope))
						seen = 1;
				if (seen)
					continue;
				for (int i = 0; i < km->n; i++) {
					if (km->b[i].action != k->action)
						continue;
					char label[32];
					keys_label(km->b[i].key, label, sizeof label);
					help_line(tv, label, k);
				}
				continue;
			}
			/* a key an override took in this scope no longer does this */
			if (keymap_bound(km, k->key, k->scopes) != A_NONE)
				continue;
			help_line(tv, k->label, k);
		}
		textview_add(tv, "");
	}
	textview_add(tv, "Commands (:name, tab completes)");
	for (const struct dash_cmd *c = dash_cmds; c->name; c++) {
		char *line = xasprintf("  :%-12s %s%s%s", c->name, c->help,
				       c->aliases[0] ? "  also: " : "", c->aliases);
		textview_add(tv, line);
		free(line);
	}
}
