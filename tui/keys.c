/*
 * keys.c - the dashboard's key table: k9s's conventions, since operators'
 * fingers know them. The help screen is drawn from this table, and a test
 * holds man/podium.1's key list to it.
 */
#include "tui/tui.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define G SCOPE_GLOBAL
#define T SCOPE_TABLE
#define X SCOPE_TEXT
#define L SCOPE_LOG
#define R SCOPE_RESOURCE

const struct keydef keydefs[] = {
	{ ':', ":", G, A_COMMAND, 0, "command mode: a view (:pods, :deploy, :models ...), :ns NAME, :ctx NAME, :q" },
	{ '/', "/", T | X | L, A_FILTER, 0, "filter: substring; /!text inverse; /-l app=web label selector" },
	{ '?', "?", G, A_HELP, 0, "this help" },
	{ K_ESC, "esc", G, A_BACK, 0, "back: clear the filter, close the view or dialog" },
	{ 'q', "q", G, A_BACK, 0, "back, as esc; quits from the first view" },
	{ 'j', "j", T | X | L, A_DOWN, 0, "down" },
	{ K_DOWN, "down", T | X | L, A_DOWN, 0, "down" },
	{ 'k', "k", T | X | L, A_UP, 0, "up" },
	{ K_UP, "up", T | X | L, A_UP, 0, "up" },
	{ K_PGDN, "pgdn", T | X | L, A_PGDN, 0, "page down" },
	{ K_PGUP, "pgup", T | X | L, A_PGUP, 0, "page up" },
	{ 'g', "g", T | X | L, A_TOP, 0, "first line" },
	{ K_HOME, "home", T | X | L, A_TOP, 0, "first line" },
	{ 'G', "G", T | X | L, A_BOTTOM, 0, "last line" },
	{ K_END, "end", T | X | L, A_BOTTOM, 0, "last line" },
	{ K_ENTER, "enter", T, A_ENTER, 0, "open: a deployment's pods, a pod's containers' logs" },
	{ K_CTRL_R, "ctrl-r", G, A_REFRESH, 0, "refresh: list again from the server" },
	{ 'N', "N", T, A_SORT_NAME, 0, "sort by name" },
	{ 'A', "A", T, A_SORT_AGE, 0, "sort by age" },
	{ 'S', "S", T, A_SORT_STATUS, 0, "sort by status" },
	{ 'R', "R", T, A_SORT_REVERSE, 0, "reverse the sort" },
	{ 'd', "d", R, A_DESCRIBE, 0, "describe the selection" },
	{ 'y', "y", R, A_YAML, 0, "the selection as YAML" },
	{ 'e', "e", R, A_EDIT, 1, "edit in $EDITOR, then server-side apply" },
	{ 'l', "l", R, A_LOGS, 0, "logs of the selected pod or deployment" },
	{ 'v', "v", R, A_EVENTS, 0, "events of the selection" },
	{ 's', "s", R, A_SCALE, 1, "scale the selected deployment" },
	{ 'r', "r", R, A_RESTART, 1, "rollout restart the selected deployment" },
	{ 'u', "u", R, A_UNDO, 1, "undo: roll back to a revision picked from its history" },
	{ K_CTRL_D, "ctrl-d", R, A_DELETE, 1, "delete the selection (asks first)" },
	{ 'c', "c", R, A_COMPARE, 0, "compare the model deployment's live predictions with a local model" },
	{ 'b', "b", R, A_BUILD, 1, "build a model-server image from a local model" },
	{ 'p', "p", R, A_ROLLOUT, 1, "promote: a new image as a canary gated on agreement with a local model" },
	{ 'f', "f", L, A_FOLLOW, 0, "follow the log on or off" },
	{ 'w', "w", L | X, A_WRAP, 0, "wrap long lines on or off" },
	{ 't', "t", L, A_TIMESTAMPS, 0, "timestamps on or off" },
	{ 'T', "T", L, A_TAIL, 0, "tail: how many lines to fetch (100, 1000, all)" },
	{ 'W', "W", L, A_SINCE, 0, "since: how far back (1m, 15m, 1h, all)" },
	{ 'o', "o", L | X, A_SAVE, 0, "save what is shown to a file" },
	{ 0, NULL, 0, A_NONE, 0, NULL },
};

/* The names configuration files use for actions (`keys: {describe: D}`). */
static const struct {
	enum action action;
	const char *name;
} action_names[] = {
	{ A_COMMAND, "command" }, { A_FILTER, "filter" }, { A_HELP, "help" },
	{ A_BACK, "back" }, { A_UP, "up" }, { A_DOWN, "down" },
	{ A_PGUP, "page-up" }, { A_PGDN, "page-down" }, { A_TOP, "top" },
	{ A_BOTTOM, "bottom" }, { A_ENTER, "open" }, { A_REFRESH, "refresh" },
	{ A_SORT_NAME, "sort-name" }, { A_SORT_AGE, "sort-age" },
	{ A_SORT_STATUS, "sort-status" }, { A_SORT_REVERSE, "sort-reverse" },
	{ A_DESCRIBE, "describe" }, { A_YAML, "yaml" }, { A_EDIT, "edit" },
	{ A_LOGS, "logs" }, { A_SCALE, "scale" }, { A_RESTART, "restart" },
	{ A_UNDO, "undo" }, { A_DELETE, "delete" }, { A_COMPARE, "compare" },
	{ A_BUILD, "build" }, { A_ROLLOUT, "rollout" }, { A_EVENTS, "events" }, { A_FOLLOW, "follow" },
	{ A_WRAP, "wrap" }, { A_TIMESTAMPS, "timestamps" }, { A_SAVE, "save" },
	{ A_TAIL, "tail" }, { A_SINCE, "since" }, { A_NONE, NULL },
};

/* Keys by name, as labels show them; ctrl-a..ctrl-z are computed. */
static const struct {
	int key;
	const char *name;
} key_names[] = {
	{ K_ESC, "esc" }, { K_ENTER, "enter" }, { K_TAB, "tab" },
	{ K_BACKSPACE, "backspace" }, { K_UP, "up" }, { K_DOWN, "down" },
	{ K_LEFT, "left" }, { K_RIGHT, "right" }, { K_PGUP, "pgup" },
	{ K_PGDN, "pgdn" }, { K_HOME, "home" }, { K_END, "end" },
	{ K_DEL, "del" }, { K_BTAB, "shift-tab" }, { ' ', "space" }, { 0, NULL },
};

const char *keys_action_name(enum action a)
{
	for (int i = 0; action_names[i].name; i++)
		if (action_names[i].action == a)
			return action_names[i].name;
	return NULL;
}

enum action keys_action_find(const char *name)
{
	for (int i = 0; action_names[i].name; i++)
		if (strcmp(action_names[i].name, name) == 0)
			return action_names[i].action;
	return A_NONE;
}

int keys_parse(const char *s)
{
	for (int i = 0; key_names[i].name; i++)
		if (strcmp(key_names[i].name, s) == 0)
			return key_names[i].key;
	if (strncmp(s, "ctrl-", 5) == 0 && s[5] >= 'a' && s[5] <= 'z' && !s[6])
		return s[5] - 'a' + 1;
	if (s[0] > ' ' && s[0] < 0x7f && !s[1])
		return (unsigned char)s[0];
	return -1;
}

void keys_label(int key, char *buf, size_t n)
{
	for (int i = 0; key_names[i].name; i++)
		if (key_names[i].key == key) {
			snprintf(buf, n, "%s", key_names[i].name);
			return;
		}
	if (key >= 1 && key <= 26)
		snprintf(buf, n, "ctrl-%c", 'a' + key - 1);
	else if (key > ' ' && key < 0x7f)
		snprintf(buf, n, "%c", key);
	else
		snprintf(buf, n, "#%d", key);
}

unsigned keys_action_scopes(enum action a)
{
	unsigned s = 0;
	for (const struct keydef *k = keydefs; k->key; k++)
		if (k->action == a)
			s |= k->scopes;
	return s;
}

int keymap_overrides(const struct keymap *km, enum action a)
{
	for (int i = 0; km && i < km->n; i++)
		if (km->b[i].action == a)
			return 1;
	return 0;
}

enum action keymap_bound(const struct keymap *km, int key, unsigned scopes)
{
	for (int i = 0; km && i < km->n; i++)
		if (km->b[i].key == key &&
		    (keys_action_scopes(km->b[i].action) & (scopes | SCOPE_GLOBAL)))
			return km->b[i].action;
	return A_NONE;
}

void keys_label_for(const struct keymap *km, enum action a, char *buf, size_t n)
{
	for (int i = 0; km && i < km->n; i++)
		if (km->b[i].action == a) {
			keys_label(km->b[i].key, buf, n);
			return;
		}
	const struct keydef *k = keys_for_action(a);
	snprintf(buf, n, "%s", k ? k->label : "");
}

enum action keys_lookup(const struct keymap *km, int key, unsigned scopes)
{
	/* An override acts in the scopes its action's table keys act in, and
	 * takes the key from whatever the table gave it to there. */
	enum action found = keymap_bound(km, key, scopes);
	if (found != A_NONE)
		return found;
	for (const struct keydef *k = keydefs; k->key; k++)
		if (k->key == key && (k->scopes & (scopes | SCOPE_GLOBAL)) &&
		    !keymap_overrides(km, k->action))
			found = k->action;
	return found;
}

const struct keydef *keys_for_action(enum action a)
{
	for (const struct keydef *k = keydefs; k->key; k++)
		if (k->action == a)
			return k;
	return NULL;
}
