/*
 * state.c - what the dashboard remembers between runs: the last view of
 * each context, in $XDG_STATE_HOME/podium/state.yaml (or
 * ~/.local/state/podium/state.yaml), so `podium` opens where the operator
 * left off in that cluster. Written atomically (a temporary file in the
 * same directory, renamed over the old one): two dashboards exiting at
 * once leave one whole file, never a torn one.
 */
#define _POSIX_C_SOURCE 200809L
#include "tui/tui.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#define STATE_MAX_BYTES (256 * 1024)

char *state_path(void)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	if (xdg && *xdg)
		return xasprintf("%s/podium/state.yaml", xdg);
	if (home && *home)
		return xasprintf("%s/.local/state/podium/state.yaml", home);
	return NULL;
}

const char *state_get(const struct dash_state *st, const char *context)
{
	for (int i = 0; context && i < st->n; i++)
		if (!strcmp(st->ctx[i].context, context))
			return st->ctx[i].view;
	return NULL;
}

void state_set(struct dash_state *st, const char *context, const char *view)
{
	if (!context || !*context ||
	    strlen(context) >= sizeof st->ctx[0].context || !view)
		return;
	int i;
	for (i = 0; i < st->n; i++)
		if (!strcmp(st->ctx[i].context, context))
			break;
	if (i == st->n) {
		if (st->n == STATE_MAX_CONTEXTS) { /* forget the oldest */
			memmove(&st->ctx[0], &st->ctx[1],
				sizeof st->ctx[0] * (STATE_MAX_CONTEXTS - 1));
			i = --st->n;
		}
		st->n++;
		snprintf(st->ctx[i].context, sizeof st->ctx[i].context, "%s",
			 context);
	}
	snprintf(st->ctx[i].view, sizeof st->ctx[i].view, "%s", view);
}

/* contexts: {NAME: {view: pods}} */
int state_parse(const char *text, size_t n, const char *source,
		struct dash_state *st, struct perr *e)
{
	struct yamldoc y;
	memset(st, 0, sizeof *st);
	if (yamldoc_load(&y, text, n, source, e) < 0)
		return -1;
	yaml_document_t *doc = y.doc;
	yaml_node_t *root = yaml_document_get_root_node(doc);
	for (yaml_node_pair_t *pr = root && root->type == YAML_MAPPING_NODE
					    ? root->data.mapping.pairs.start
					    : NULL;
	     pr && pr < root->data.mapping.pairs.top; pr++) {
		const char *key = yamldoc_scalar(yaml_document_get_node(doc, pr->key));
		yaml_node_t *ctxs = yaml_document_get_node(doc, pr->value);
		if (!key || strcmp(key, "contexts") ||
		    ctxs->type != YAML_MAPPING_NODE)
			continue;
		for (yaml_node_pair_t *c = ctxs->data.mapping.pairs.start;
		     c < ctxs->data.mapping.pairs.top; c++) {
			const char *name =
				yamldoc_scalar(yaml_document_get_node(doc, c->key));
			yaml_node_t *m = yaml_document_get_node(doc, c->value);
			if (!name || m->type != YAML_MAPPING_NODE)
				continue;
			for (yaml_node_pair_t *f = m->data.mapping.pairs.start;
			     f < m->data.mapping.pairs.top; f++) {
				const char *fk = yamldoc_scalar(
					yaml_document_get_node(doc, f->key));
				const char *fv = yamldoc_scalar(
					yaml_document_get_node(doc, f->value));
				const struct dash_cmd *dc =
					fv && !strchr(fv, ' ')
						? dash_cmd_find(fv)
						: NULL;
				/* only what the dashboard could have written */
				if (fk && !strcmp(fk, "view") && dc &&
				    dc->kind == CMDK_VIEW)
					state_set(st, name, dc->name);
			}
		}
	}
	yamldoc_free(&y);
	return 0;
}

int state_load(const char *path, struct dash_state *st, struct perr *e)
{
	memset(st, 0, sizeof *st);
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	char *text;
	size_t len;
	if (read_file(path, STATE_MAX_BYTES, &text, &len, e) < 0)
		return -1;
	int rc = state_parse(text, len, path, st, e);
	free(text);
	return rc;
}

/* mkdir -p of path's directory, private to the user. */
static int make_dirs(const char *path, struct perr *e)
{
	char *dir = xstrdup(path);
	int rc = 0;
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	for (char *p = dir + 1; *p && slash; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			rc = -1;
		*p = '/';
	}
	if (slash && mkdir(dir, 0700) < 0 && errno != EEXIST)
		rc = -1;
	if (rc < 0)
		perr_set(e, "cannot make %s: %s", dir, strerror(errno));
	free(dir);
	return rc;
}

/* Context names come from kubeconfigs: quote them as YAML double-quoted
 * strings so any name reads back as itself. */
static void put_quoted(struct dbuf *b, const char *s)
{
	dbuf_puts(b, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			dbuf_printf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			dbuf_printf(b, "\\x%02x", c);
		else
			dbuf_printf(b, "%c", c);
	}
	dbuf_puts(b, "\"");
}

int state_save(const char *path, const struct dash_state *st, struct perr *e)
{
	if (make_dirs(path, e) < 0)
		return -1;
	struct dbuf b;
	dbuf_init(&b, 0);
	dbuf_puts(&b, "# written by podium: the last view of each "
		      "context\ncontexts:\n");
	for (int i = 0; i < st->n; i++) {
		dbuf_puts(&b, "  ");
		put_quoted(&b, st->ctx[i].context);
		dbuf_printf(&b, ":\n    view: %s\n", st->ctx[i].view);
	}
	char *tmp = xasprintf("%s.%ld.tmp", path, (long)getpid());
	int rc = -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		perr_set(e, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	ssize_t w = write(fd, b.p, b.len);
	int ok = w == (ssize_t)b.len && fsync(fd) == 0;
	if (close(fd) < 0)
		ok = 0;
	if (!ok || rename(tmp, path) < 0) {
		perr_set(e, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	dbuf_free(&b);
	return rc;
}
