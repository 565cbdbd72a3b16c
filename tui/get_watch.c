/*
 * get_watch.c - `podium get KIND -w`: the table kubectl get prints, then one
 * row per change as kubectl get -w prints them (each row through the
 * tabwriter on its own). Unlike kubectl's, it keeps going: the rows come
 * from a list/watch cache, which resumes dropped watches and relists after
 * a 410, and a relist's differences come out as rows too (objects gone
 * while the watch was down print as deleted ones do).
 */
#define _POSIX_C_SOURCE 200809L
#include "tui/tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube.h"

struct get_watch {
	const struct kube_kind *kind;
	int wide, with_ns, names_only;
	int events;  /* --output-watch-events: an EVENT column first */
	int printed; /* the first table is out: rows from now on */
};

/* Append one object's cells (tab separated, one line) to b; t is the
 * change that brought it (shown with --output-watch-events). */
static void row_text(const struct get_watch *w, enum kube_event_type t, const struct kube_obj *o,
		     struct dbuf *b)
{
	size_t first = w->kind->hide_name ? 1 : 0;
	int sep = 0;
	if (w->events) {
		dbuf_puts(b, kube_event_type_name(t));
		sep = 1;
	}
	if (w->with_ns) {
		dbuf_puts(b, sep ? "\t" : "");
		dbuf_puts(b, o->namespace);
		sep = 1;
	}
	for (size_t c = first; c < o->ncols && w->kind->columns[c].name; c++) {
		if (w->kind->columns[c].wide && !w->wide)
			continue;
		dbuf_puts(b, sep ? "\t" : "");
		/* cells are sanitised already; a tab would split a column */
		for (const char *p = o->cols[c]; *p; p++)
			dbuf_append(b, *p == '\t' ? " " : p, 1);
		sep = 1;
	}
	dbuf_puts(b, "\n");
}

static void header_text(const struct get_watch *w, struct dbuf *b)
{
	size_t first = w->kind->hide_name ? 1 : 0;
	int sep = 0;
	if (w->events) {
		dbuf_puts(b, "EVENT");
		sep = 1;
	}
	if (w->with_ns) {
		dbuf_puts(b, sep ? "\tNAMESPACE" : "NAMESPACE");
		sep = 1;
	}
	for (size_t c = first; w->kind->columns[c].name; c++) {
		if (w->kind->columns[c].wide && !w->wide)
			continue;
		dbuf_printf(b, "%s%s", sep ? "\t" : "", w->kind->columns[c].name);
		sep = 1;
	}
	dbuf_puts(b, "\n");
}

static void print_text(struct dbuf *b)
{
	char *out = tabwriter_format(b->p ? b->p : "", 6, 3);
	fputs(out, stdout);
	fflush(stdout);
	free(out);
}

static void print_name(const struct get_watch *w, const struct kube_item *it)
{
	char *safe = sanitize_text(it->name, strlen(it->name), 0);
	char *s = cli_kube_obj_name(w->kind, safe);
	printf("%s\n", s);
	fflush(stdout);
	free(s);
	free(safe);
}

static void on_change(void *ctx, enum kube_event_type t, const struct kube_item *it)
{
	struct get_watch *w = ctx;
	if (!w->printed || !it->proj)
		return; /* the first table prints the whole LIST at once */
	if (w->names_only) {
		print_name(w, it);
		return;
	}
	struct dbuf b;
	dbuf_init(&b, 0);
	row_text(w, t, it->proj, &b);
	print_text(&b);
	dbuf_free(&b);
}

static void print_initial(struct get_watch *w, struct kube_cache *c, const char *ns, int watch_only)
{
	w->printed = 1;
	if (watch_only)
		return;
	const struct kube_item **items;
	size_t n = kube_cache_items(c, &items);
	if (n == 0) {
		if (ns && w->kind->namespaced)
			fprintf(stderr, "No resources found in %s namespace.\n", ns);
		else
			fprintf(stderr, "No resources found\n");
		return;
	}
	struct dbuf b;
	dbuf_init(&b, 0);
	if (!w->names_only)
		header_text(w, &b);
	for (size_t i = 0; i < n; i++) {
		if (w->names_only)
			print_name(w, items[i]);
		else if (items[i]->proj)
			row_text(w, KUBE_EVENT_ADDED, items[i]->proj, &b);
	}
	if (!w->names_only)
		print_text(&b);
	dbuf_free(&b);
	free(items);
}

int get_watch(struct kube_client *c, const struct kube_kind *k, const char *ns,
	      const char *selector, const char *name, int wide, int names_only, int watch_only,
	      int events)
{
	struct kube_watchset *ws = kube_watchset_new(c);
	if (!ws) {
		cli_error("cannot start libcurl");
		return EXIT_FAIL;
	}
	char *field = name ? xasprintf("metadata.name=%s", name) : NULL;
	struct kube_cache *cache = kube_cache_new_fields(ws, k, ns, selector, field);
	free(field);
	struct get_watch w = {
		.kind = k,
		.wide = wide,
		.with_ns = ns == NULL && k->namespaced,
		.names_only = names_only,
		.events = events,
	};
	kube_cache_set_on_change(cache, on_change, &w);
	/* Until the first LIST succeeds an error is final, as kubectl's is
	 * (a wrong selector, no permission); after it, the cache rides out
	 * drops and 410s. */
	for (;;) {
		kube_watchset_poll(ws, NULL, 0, 1000);
		kube_watchset_step(ws, now_ms());
		if (!w.printed && kube_cache_synced(cache)) {
			print_initial(&w, cache, ns, watch_only);
		} else if (!w.printed && kube_cache_error(cache)) {
			cli_error("%s", kube_cache_error(cache));
			kube_watchset_free(ws);
			return EXIT_FAIL;
		}
	}
}
