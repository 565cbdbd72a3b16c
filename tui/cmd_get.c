/*
 * cmd_get.c - `podium get KIND [NAME...]`: kubectl get. Tables come from
 * the server's Table form (kubectl's own columns, printed through the
 * tabwriter), or the kind's columns when the server sends plain lists;
 * lists are paged (limit=500, continue). -o json and -o yaml print the
 * objects as kubectl does (a List when there are several), -o name prints
 * kind.group/name.
 */
#define _POSIX_C_SOURCE 200809L
#include "tui/tui.h"
#include "kube/kube.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct command cmd_get_entry;

enum get_output { OUT_TABLE, OUT_WIDE, OUT_JSON, OUT_YAML, OUT_NAME };

static const struct {
	const char *name;
	enum get_output out;
} get_outputs[] = {
	{ "table", OUT_TABLE }, { "wide", OUT_WIDE }, { "json", OUT_JSON },
	{ "yaml", OUT_YAML },   { "name", OUT_NAME }, { NULL, OUT_TABLE },
};

/* JSON or YAML text from the cluster, made safe for the terminal. */
static int print_document(const char *json, enum get_output out)
{
	struct perr e = { { 0 } };
	char *text = out == OUT_YAML ? kube_yaml_from_json(json, strlen(json), &e) : xstrdup(json);
	if (!text) {
		cli_error("%s", e.msg);
		return EXIT_FAIL;
	}
	char *safe = sanitize_text(text, strlen(text), 1);
	fputs(safe, stdout);
	if (out == OUT_JSON)
		fputc('\n', stdout);
	free(safe);
	free(text);
	return EXIT_OK;
}

static void print_get_error(void *arg, const struct perr *e)
{
	(void)arg;
	cli_error("%s", e->msg);
}

static void no_resources(const char *ns, const struct kube_kind *k)
{
	if (ns && k->namespaced)
		fprintf(stderr, "No resources found in %s namespace.\n", ns);
	else
		fprintf(stderr, "No resources found\n");
}

static int get_named(struct kube_client *c, const struct kube_kind *k, const char *ns,
		     char **names, size_t n, enum get_output out, int all_ns)
{
	if (out == OUT_JSON || out == OUT_YAML) {
		size_t failed;
		struct perr first = { { 0 } };
		char *json = kube_get_json_many(c, k, ns, names, n, &failed, &first, print_get_error, NULL);
		int rc = json ? print_document(json, out) : EXIT_FAIL;
		free(json);
		return failed ? EXIT_FAIL : rc;
	}
	struct kube_table all;
	memset(&all, 0, sizeof all);
	int failed = 0;
	for (size_t i = 0; i < n; i++) {
		struct kube_table t;
		struct perr e = { { 0 } };
		if (kube_get_row(c, k, ns, names[i], out != OUT_NAME && !k->selector, &t, &e) < 0) {
			cli_error("%s", e.msg);
			failed = 1;
			continue;
		}
		if (out == OUT_NAME) {
			for (size_t r = 0; r < t.nrows; r++) {
				char *s = cli_kube_obj_name(k, t.rows[r].name);
				printf("%s\n", s);
				free(s);
			}
			kube_table_clear(&t);
			continue;
		}
		/* gather the rows so that one table is aligned as a whole */
		if (!all.headers || all.ncols != t.ncols) {
			if (all.headers) {
				cli_kube_print_table(&all, out == OUT_WIDE, all_ns);
				kube_table_clear(&all);
			}
			all = t;
			continue;
		}
		all.rows = xrealloc(all.rows, (all.nrows + t.nrows) * sizeof *all.rows);
		memcpy(all.rows + all.nrows, t.rows, t.nrows * sizeof *t.rows);
		all.nrows += t.nrows;
		t.nrows = 0;
		kube_table_clear(&t);
	}
	if (all.headers)
		cli_kube_print_table(&all, out == OUT_WIDE, all_ns);
	kube_table_clear(&all);
	return failed ? EXIT_FAIL : EXIT_OK;
}

static int get_list(struct kube_client *c, const struct kube_kind *k, const char *ns,
		    const char *selector, enum get_output out)
{
	struct perr e = { { 0 } };
	/* An alias kind (models) prints its own columns, not the server's. */
	struct kube_list_opts o = { .ns = ns, .selector = selector,
				    .table = (out == OUT_TABLE || out == OUT_WIDE) && !k->selector };
	if (out == OUT_JSON || out == OUT_YAML) {
		char *json = kube_list_json(c, k, &o, &e);
		if (!json) {
			cli_error("%s", e.msg);
			return EXIT_FAIL;
		}
		int rc = print_document(json, out);
		free(json);
		return rc;
	}
	struct kube_table t;
	if (kube_list(c, k, &o, &t, &e) < 0) {
		cli_error("%s", e.msg);
		return EXIT_FAIL;
	}
	if (!t.nrows)
		no_resources(ns, k);
	else if (out == OUT_NAME)
		for (size_t r = 0; r < t.nrows; r++) {
			char *s = cli_kube_obj_name(k, t.rows[r].name);
			printf("%s\n", s);
			free(s);
		}
	else
		cli_kube_print_table(&t, out == OUT_WIDE, ns == NULL);
	kube_table_clear(&t);
	return EXIT_OK;
}

static int cmd_get(struct app *app, int argc, char **argv)
{
	enum get_output out = OUT_TABLE;
	if (app->g.output) {
		int found = 0;
		for (int i = 0; get_outputs[i].name; i++)
			if (strcmp(app->g.output, get_outputs[i].name) == 0) {
				out = get_outputs[i].out;
				found = 1;
			}
		if (!found)
			return cli_usage(&cmd_get_entry, "unknown output format '%s' (table, wide, json, yaml, name)",
					 app->g.output);
	}
	if (argc < 2)
		return cli_usage(&cmd_get_entry, "get needs a resource type (pods, deployments, ...)");
	/* -w / --watch and --watch-only are taken out of argv here. */
	int watch = 0, watch_only = 0, events = 0, nargs = 1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-w") == 0 || strcmp(argv[i], "--watch") == 0 ||
		    strcmp(argv[i], "--watch=true") == 0)
			watch = 1;
		else if (strcmp(argv[i], "--watch-only") == 0)
			watch = watch_only = 1;
		else if (strcmp(argv[i], "--output-watch-events") == 0 ||
			 strcmp(argv[i], "--output-watch-events=true") == 0)
			events = 1;
		else if (argv[i][0] == '-' && argv[i][1])
			return cli_usage(&cmd_get_entry, "unknown option '%s'", argv[i]);
		else
			argv[nargs++] = argv[i];
	}
	argc = nargs;
	if (argc < 2)
		return cli_usage(&cmd_get_entry, "get needs a resource type (pods, deployments, ...)");
	if (watch && (out == OUT_JSON || out == OUT_YAML))
		return cli_usage(&cmd_get_entry, "-w prints tables or names (-o table, wide or name)");
	if (events && (!watch || out == OUT_NAME))
		return cli_usage(&cmd_get_entry, "--output-watch-events goes with -w and a table (-o table or wide)");
	/* KIND NAME... or KIND/NAME */
	char *kind_arg = xstrdup(argv[1]);
	char **names = xcalloc((size_t)argc + 1, sizeof *names);
	size_t n = 0;
	char *slash = strchr(kind_arg, '/');
	if (slash) {
		*slash = '\0';
		names[n++] = slash + 1;
	}
	for (int i = 2; i < argc; i++)
		names[n++] = argv[i];
	int rc = EXIT_FAIL;
	struct kube_client *c = NULL;
	char *sel = NULL;
	const struct kube_kind *k = kube_kind_find(kind_arg);
	if (!k) {
		cli_error("the server doesn't have a resource type \"%s\"", kind_arg);
		goto out;
	}
	if (n && app->g.all_namespaces && k->namespaced) {
		cli_error("a resource cannot be retrieved by name across all namespaces");
		goto out;
	}
	if (n && app->g.selector) {
		rc = cli_usage(&cmd_get_entry, "a name and a label selector cannot be given together");
		goto out;
	}
	sel = kube_kind_selector(k, app->g.selector);
	c = cli_kube_connect(app);
	if (!c)
		goto out;
	const char *ns = app->g.all_namespaces ? NULL : cli_kube_namespace(c);
	if (watch && n > 1) {
		cli_error("watch is only supported on individual resources and resource collections, but %zu resources were found",
			  n);
		goto out;
	}
	if (watch)
		rc = get_watch(c, k, n ? cli_kube_namespace(c) : ns, sel, n ? names[0] : NULL,
			       out == OUT_WIDE, out == OUT_NAME, watch_only, events);
	else if (n)
		rc = get_named(c, k, cli_kube_namespace(c), names, n, out, 0);
	else
		rc = get_list(c, k, ns, sel, out);
out:
	free(sel);
	kube_client_free(c);
	free(names);
	free(kind_arg);
	return rc;
}

const struct command cmd_get_entry = {
	.name = "get",
	.args = "KIND [NAME...] | KIND/NAME [-o table|wide|json|yaml|name] [-l SEL] [-A] [-w|--watch-only] [--output-watch-events]",
	.summary = "list or show objects, as kubectl get",
	.help = "Show objects of one kind: pods (po), deployments (deploy), replicasets (rs),\n"
		"services (svc), events (ev), jobs, namespaces (ns), configmaps (cm), secrets,\n"
		"nodes (no); models: the deployments labelled podium.dev/model, with MODEL,\n"
		"SHA256 (of the model file), READY, REVISION and IMAGE; also as deployments.apps. Without a name, every object of the kind\n"
		"in the namespace (-A: in all namespaces; -l: those matching a label selector),\n"
		"fetched in pages of 500. Tables show kubectl's columns; -o wide adds more,\n"
		"-o json and -o yaml print the objects, -o name prints kind/name.\n"
		"-w, --watch: after the table, a row per change, across dropped watches and\n"
		"410s (relists); --watch-only: the changes alone; --output-watch-events: an\n"
		"EVENT column first (ADDED, MODIFIED, DELETED).",
	.kube_globals = 1,
	.fn = cmd_get,
};
