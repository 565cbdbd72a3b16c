/*
 * cli_kube.c - what the headless cluster commands share: connecting with
 * kubectl's global flags, printing errors in kubectl's words, and printing
 * tables through the tabwriter as kubectl get does.
 */
#define _POSIX_C_SOURCE 200809L
#include "tui/tui.h"
#include "kube/kube.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kube_client *cli_kube_connect(struct app *app)
{
	struct perr e = { { 0 } };
	long timeout = 0;
	if (app->g.request_timeout && kube_parse_duration(app->g.request_timeout, &timeout, &e) < 0) {
		cli_error("--request-timeout: %s", e.msg);
		return NULL;
	}
	struct kube_config_opts o = {
		.kubeconfig = app->g.kubeconfig,
		.context = app->g.context,
		.namespace = app->g.namespace,
	};
	struct kube_conn *conn = kube_conn_load(&o, &e);
	if (!conn) {
		cli_error("%s", e.msg);
		return NULL;
	}
	struct kube_client_opts co = { .timeout_ms = timeout, .log_file = app->g.log_file };
	struct kube_client *c = kube_client_new(conn, &co, &e);
	if (!c) {
		cli_error("%s", e.msg);
		return NULL;
	}
	if (kube_client_warning(c))
		fprintf(stderr, "podium: warning: %s\n", kube_client_warning(c));
	return c;
}

const char *cli_kube_namespace(struct kube_client *c)
{
	return kube_client_conn(c)->namespace;
}

int cli_kube_fail(const struct perr *e, const struct kube_response *r)
{
	struct kube_apierror a;
	if (r && r->status >= 400 && r->status != 401 && kube_apierror_parse(r->body, r->len, &a) == 0) {
		char *m = kube_apierror_format(&a, 1);
		if (strchr(m, '\n')) {
			fprintf(stderr, "podium: %s\n", m);
			free(m);
			kube_apierror_clear(&a);
			return EXIT_FAIL;
		}
		free(m);
		kube_apierror_clear(&a);
	}
	cli_error("%s", e->msg);
	return EXIT_FAIL;
}

void cli_kube_print_table(const struct kube_table *t, int wide, int with_ns)
{
	struct dbuf b;
	dbuf_init(&b, 0);
	/* kubectl hides NAME for events printed from the kind's own columns */
	size_t first = !t->from_server && t->kind && t->kind->hide_name ? 1 : 0;
	int ns_col = with_ns && t->kind && t->kind->namespaced;
	int sep = 0;
	if (ns_col) {
		dbuf_puts(&b, "NAMESPACE");
		sep = 1;
	}
	for (size_t c = first; c < t->ncols; c++) {
		if (t->wide[c] && !wide)
			continue;
		dbuf_printf(&b, "%s%s", sep ? "\t" : "", t->headers[c]);
		sep = 1;
	}
	dbuf_puts(&b, "\n");
	for (size_t r = 0; r < t->nrows; r++) {
		const struct kube_obj *o = &t->rows[r];
		sep = 0;
		if (ns_col) {
			dbuf_puts(&b, o->namespace);
			sep = 1;
		}
		for (size_t c = first; c < t->ncols && c < o->ncols; c++) {
			if (t->wide[c] && !wide)
				continue;
			/* cells are sanitised already; a tab would split a column */
			dbuf_printf(&b, "%s", sep ? "\t" : "");
			for (const char *p = o->cols[c]; *p; p++)
				dbuf_append(&b, *p == '\t' ? " " : p, 1);
			sep = 1;
		}
		dbuf_puts(&b, "\n");
	}
	char *out = tabwriter_format(b.p, 6, 3);
	fputs(out, stdout);
	free(out);
	dbuf_free(&b);
}

char *cli_kube_obj_name(const struct kube_kind *k, const char *name)
{
	char kind[128];
	snprintf(kind, sizeof kind, "%s", k->kind);
	for (char *p = kind; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (*k->group)
		return xasprintf("%s.%s/%s", kind, k->group, name);
	return xasprintf("%s/%s", kind, name);
}

int cli_kube_readonly(const struct app *app, const char *verb)
{
	if (!app->g.readonly)
		return 0;
	cli_error("%s changes the cluster, and --readonly is set", verb);
	return 1;
}
