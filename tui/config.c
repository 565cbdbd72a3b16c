/*
 * config.c - the dashboard's configuration file,
 * $XDG_CONFIG_HOME/podium/config.yaml (or ~/.config/podium/config.yaml):
 * theme, refresh rate, redraw tick, log buffer size, readonly, the start
 * view, and key overrides. Parsed with libyaml's document API, as theme
 * files are; a bad file gives one file:line:col line and the defaults, so
 * the dashboard always starts.
 */
#define _POSIX_C_SOURCE 200809L
#include "kube/kube.h"
#include "tui/tui.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* A configuration is a few lines; anything larger is not one. */
#define CONFIG_MAX_BYTES (64 * 1024)

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof *c);
	c->refresh_ms = 100;
	c->tick_ms = 1000;
	c->log_lines = 5000;
	snprintf(c->start_view, sizeof c->start_view, "last");
}

/* A duration between lo and hi ms ("100ms", "1s"). */
static int parse_ms(struct yamldoc *p, yaml_node_t *v, const char *key, long lo,
		    long hi, long *out)
{
	struct perr de = {{0}};
	long ms;
	if (!yamldoc_scalar(v) || kube_parse_duration(yamldoc_scalar(v), &ms, &de) < 0 ||
	    ms < lo || ms > hi) {
		char why[128];
		snprintf(why, sizeof why,
			 "%s is a duration from %ldms to %lds (100ms, 1s): ",
			 key, lo, hi / 1000);
		return yamldoc_fail(p, v, why,
			       yamldoc_scalar(v) ? yamldoc_scalar(v) : "(not a scalar)");
	}
	*out = ms;
	return 0;
}

static int parse_bool(struct yamldoc *p, yaml_node_t *v, const char *key,
		      int *out)
{
	static const char *const yes[] = {"true", "yes", "on", NULL};
	static const char *const no[] = {"false", "no", "off", NULL};
	const char *s = yamldoc_scalar(v);
	for (int i = 0; s && yes[i]; i++)
		if (!strcmp(s, yes[i]))
			return *out = 1, 0;
	for (int i = 0; s && no[i]; i++)
		if (!strcmp(s, no[i]))
			return *out = 0, 0;
	char why[64];
	snprintf(why, sizeof why, "%s is true or false: ", key);
	return yamldoc_fail(p, v, why, s ? s : "(not a scalar)");
}

static int bind_key(struct yamldoc *p, yaml_node_t *kn, enum action a,
		    struct keymap *km)
{
	const char *label = yamldoc_scalar(kn);
	int key = label ? keys_parse(label) : -1;
	if (key < 0)
		return yamldoc_fail(
			p, kn,
			"not a key (a character, ctrl-a..ctrl-z, esc, enter, "
			"tab, space, "
			"up, down, left, right, pgup, pgdn, home, end, del): ",
			label ? label : "(not a scalar)");
	for (int i = 0; i < km->n; i++)
		if (km->b[i].key == key && km->b[i].action != a &&
		    (keys_action_scopes(km->b[i].action) &
		     keys_action_scopes(a)))
			return yamldoc_fail(p, kn, "key bound twice: ", label);
	if (km->n == KEYMAP_MAX)
		return yamldoc_fail(p, kn, "too many key overrides", NULL);
	km->b[km->n].key = key;
	km->b[km->n].action = a;
	km->n++;
	return 0;
}

/* keys: {action: key, action: [key, key]} */
static int parse_keys(struct yamldoc *p, yaml_node_t *map, struct keymap *km)
{
	if (map->type != YAML_MAPPING_NODE)
		return yamldoc_fail(p, map,
			       "keys is a mapping of action: key (describe: D)",
			       NULL);
	for (yaml_node_pair_t *pr = map->data.mapping.pairs.start;
	     pr < map->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(p->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(p->doc, pr->value);
		const char *name = yamldoc_scalar(k);
		enum action a = name ? keys_action_find(name) : A_NONE;
		if (a == A_NONE || !keys_action_scopes(a))
			return yamldoc_fail(p, k,
				       "unknown action (see KEYS and "
				       "CONFIGURATION in podium(1)): ",
				       name ? name : "(not a scalar)");
		if (keymap_overrides(km, a))
			return yamldoc_fail(p, k, "action given twice: ", name);
		if (v->type == YAML_SEQUENCE_NODE) {
			if (v->data.sequence.items.start ==
			    v->data.sequence.items.top)
				return yamldoc_fail(
					p, v,
					"an action needs at least one key: ",
					name);
			for (yaml_node_item_t *it =
				     v->data.sequence.items.start;
			     it < v->data.sequence.items.top; it++)
				if (bind_key(
					    p,
					    yaml_document_get_node(p->doc, *it),
					    a, km) < 0)
					return -1;
		} else if (bind_key(p, v, a, km) < 0) {
			return -1;
		}
	}
	return 0;
}

static int parse_root(struct yamldoc *p, yaml_node_t *root, struct config *c)
{
	if (root->type != YAML_MAPPING_NODE)
		return yamldoc_fail(
			p, root,
			"the configuration is a mapping (theme: light, ...)",
			NULL);
	for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
	     pr < root->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(p->doc, pr->key);
		yaml_node_t *v = yaml_document_get_node(p->doc, pr->value);
		const char *key = yamldoc_scalar(k);
		const char *val = yamldoc_scalar(v);
		if (!key)
			return yamldoc_fail(p, k,
				       "keys are names (theme, refresh, ...)",
				       NULL);
		if (!strcmp(key, "theme")) {
			if (!val || !*val || strlen(val) > 64 ||
			    strspn(val,
				   "abcdefghijklmnopqrstuvwxyz0123456789_-") !=
				    strlen(val))
				return yamldoc_fail(
					p, v,
					"theme is a theme name (lower-case "
					"letters, digits, - and _): ",
					val ? val : "(not a scalar)");
			snprintf(c->theme, sizeof c->theme, "%s", val);
		} else if (!strcmp(key, "refresh")) {
			if (parse_ms(p, v, key, 10, 10000, &c->refresh_ms) < 0)
				return -1;
		} else if (!strcmp(key, "tick")) {
			if (parse_ms(p, v, key, 100, 60000, &c->tick_ms) < 0)
				return -1;
		} else if (!strcmp(key, "log-lines")) {
			char *end = NULL;
			errno = 0;
			long n = val ? strtol(val, &end, 10) : 0;
			if (!val || !*val || *end || errno || n < 100 ||
			    n > 1000000)
				return yamldoc_fail(p, v,
					       "log-lines is a number from 100 "
					       "to 1000000: ",
					       val ? val : "(not a scalar)");
			c->log_lines = (int)n;
		} else if (!strcmp(key, "readonly")) {
			if (parse_bool(p, v, key, &c->readonly) < 0)
				return -1;
		} else if (!strcmp(key, "start-view")) {
			const struct dash_cmd *dc = val && !strchr(val, ' ')
							    ? dash_cmd_find(val)
							    : NULL;
			if (val && !strcmp(val, "last")) {
				snprintf(c->start_view, sizeof c->start_view,
					 "last");
			} else if (!dc || (dc->kind != CMDK_VIEW &&
					   dc->kind != CMDK_NS)) {
				return yamldoc_fail(p, v,
					       "start-view is last or a view "
					       "(models, pods, deploy ...): ",
					       val ? val : "(not a scalar)");
			} else {
				snprintf(c->start_view, sizeof c->start_view,
					 "%s", dc->name);
			}
		} else if (!strcmp(key, "keys")) {
			if (parse_keys(p, v, &c->keys) < 0)
				return -1;
		} else {
			return yamldoc_fail(
				p, k,
				"unknown key (theme, refresh, tick, log-lines, "
				"readonly, start-view, keys): ",
				key);
		}
	}
	return 0;
}

int config_parse(const char *text, size_t n, const char *source,
		 struct config *c, struct perr *e)
{
	struct yamldoc p;
	struct config out;
	int rc = -1;

	config_defaults(c);
	config_defaults(&out);
	if (yamldoc_load(&p, text, n, source, e) < 0)
		return -1;
	yaml_node_t *root = yaml_document_get_root_node(p.doc);
	/* An empty file (or only comments) is the defaults. */
	if (root && parse_root(&p, root, &out) < 0)
		goto out;
	*c = out;
	rc = 0;
out:
	yamldoc_free(&p);
	return rc;
}

const char *config_theme(const struct config *c, const char *flag)
{
	const char *env = getenv("PODIUM_THEME");
	if (flag && *flag)
		return flag;
	if (env && *env)
		return env;
	return c && c->theme[0] ? c->theme : NULL;
}

char *config_path(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	if (xdg && *xdg)
		return xasprintf("%s/podium/config.yaml", xdg);
	if (home && *home)
		return xasprintf("%s/.config/podium/config.yaml", home);
	return NULL;
}

int config_load(struct config *c, struct perr *e)
{
	config_defaults(c);
	char *path = config_path();
	if (!path)
		return 0;
	char *text = NULL;
	size_t len = 0;
	int rc = 0;
	FILE *f = fopen(path, "r");
	if (!f && errno == ENOENT)
		goto out; /* no file: the defaults */
	if (f)
		fclose(f);
	if (read_file(path, CONFIG_MAX_BYTES, &text, &len, e) < 0 ||
	    config_parse(text, len, path, c, e) < 0) {
		config_defaults(c);
		rc = -1;
	}
out:
	free(text);
	free(path);
	return rc;
}
