/*
 * list.c - LIST as kubectl pages it (limit=500, then continue until the
 * server says the list is complete), into display rows (kube_table) or
 * into one JSON List for -o json/yaml, and GET of one object.
 */
#define _POSIX_C_SOURCE 200809L
#include "kube/kube.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LIST_LIMIT 500

/* kubectl hides metadata.managedFields unless --show-managed-fields.
 * Podium shows Secrets by name only: their values never reach output. */
static void strip_managed(json_t *obj)
{
	json_object_del(json_object_get(obj, "metadata"), "managedFields");
	const char *kind = json_string_value(json_object_get(obj, "kind"));
	if (kind && strcmp(kind, "Secret") == 0) {
		static const char *const fields[] = { "data", "stringData", NULL };
		for (int f = 0; fields[f]; f++) {
			const char *key;
			json_t *v;
			json_object_foreach(json_object_get(obj, fields[f]), key, v)
				json_object_set_new(json_object_get(obj, fields[f]), key, json_string("<redacted>"));
		}
	}
}

/* "limit=500&labelSelector=...&continue=..." Caller frees. */
static char *list_query(const struct kube_list_opts *o, const char *cont)
{
	struct dbuf b;
	dbuf_init(&b, 0);
	dbuf_printf(&b, "limit=%zu", o && o->limit ? o->limit : (size_t)LIST_LIMIT);
	if (o && o->selector && *o->selector) {
		char *s = kube_query_escape(o->selector);
		dbuf_printf(&b, "&labelSelector=%s", s);
		free(s);
	}
	if (o && o->field_selector && *o->field_selector) {
		char *s = kube_query_escape(o->field_selector);
		dbuf_printf(&b, "&fieldSelector=%s", s);
		free(s);
	}
	if (cont) {
		char *s = kube_query_escape(cont);
		dbuf_printf(&b, "&continue=%s", s);
		free(s);
	}
	return dbuf_take(&b);
}

int kube_list(struct kube_client *c, const struct kube_kind *k, const struct kube_list_opts *o,
	      struct kube_table *t, struct perr *e)
{
	memset(t, 0, sizeof *t);
	t->kind = k;
	char *path = kube_kind_path(k, o ? o->ns : NULL, NULL);
	long long now = o && o->now ? o->now : (long long)time(NULL);
	char *cont = NULL;
	int rc = -1;
	for (;;) {
		char *q = list_query(o, cont);
		struct kube_req rq = { .method = "GET", .path = path, .query = q,
				       .accept = o && o->table ? KUBE_ACCEPT_TABLE : NULL };
		struct kube_response r;
		int ok = kube_request_ex(c, &rq, &r, e);
		free(q);
		if (ok == 0)
			ok = kube_table_parse(k, r.body, r.len, now, t, e);
		kube_response_free(&r);
		if (ok < 0)
			goto out;
		free(cont);
		cont = xstrdup(t->continue_token);
		if (!cont)
			break;
	}
	rc = 0;
out:
	free(cont);
	free(path);
	if (rc < 0)
		kube_table_clear(t);
	return rc;
}

char *kube_list_json(struct kube_client *c, const struct kube_kind *k,
		     const struct kube_list_opts *o, struct perr *e)
{
	char *path = kube_kind_path(k, o ? o->ns : NULL, NULL);
	char *cont = NULL, *out = NULL;
	char av[128];
	kube_kind_api_version(k, av, sizeof av);
	json_t *items = json_array();
	for (;;) {
		char *q = list_query(o, cont);
		struct kube_response r;
		int ok = kube_request(c, "GET", path, q, NULL, NULL, 0, &r, e);
		free(q);
		json_t *page = NULL;
		if (ok == 0) {
			json_error_t je;
			page = json_loadb(r.body, r.len, 0, &je);
			if (!json_is_array(json_object_get(page, "items"))) {
				perr_set(e, "the server's answer is not a list of %s", k->plural);
				ok = -1;
			}
		}
		kube_response_free(&r);
		if (ok < 0) {
			json_decref(page);
			goto out;
		}
		size_t i;
		json_t *it;
		/* The items of a list lack apiVersion and kind; kubectl adds them. */
		json_array_foreach(json_object_get(page, "items"), i, it) {
			json_object_set_new(it, "apiVersion", json_string(av));
			json_object_set_new(it, "kind", json_string(k->kind));
			strip_managed(it);
			json_array_append(items, it);
		}
		free(cont);
		const char *next = json_string_value(json_object_get(json_object_get(page, "metadata"), "continue"));
		cont = next && *next ? xstrdup(next) : NULL;
		json_decref(page);
		if (!cont)
			break;
	}
	json_t *list = json_pack("{s:s, s:O, s:s, s:{s:s}}", "apiVersion", "v1", "items", items, "kind",
				 "List", "metadata", "resourceVersion", "");
	out = json_dumps(list, JSON_SORT_KEYS | JSON_INDENT(4));
	json_decref(list);
out:
	json_decref(items);
	free(cont);
	free(path);
	return out;
}

char *kube_get_json(struct kube_client *c, const struct kube_kind *k, const char *ns,
		    const char *name, struct perr *e)
{
	char *path = kube_kind_path(k, ns, name);
	struct kube_response r;
	char *out = NULL;
	if (kube_request(c, "GET", path, NULL, NULL, NULL, 0, &r, e) == 0) {
		json_error_t je;
		json_t *obj = json_loadb(r.body, r.len, 0, &je);
		strip_managed(obj);
		if (obj)
			out = json_dumps(obj, JSON_SORT_KEYS | JSON_INDENT(4));
		else
			perr_set(e, "the server's answer for %s \"%s\" is not JSON", k->singular, name);
		json_decref(obj);
	}
	kube_response_free(&r);
	free(path);
	return out;
}

int kube_get_row(struct kube_client *c, const struct kube_kind *k, const char *ns, const char *name,
		 int table, struct kube_table *t, struct perr *e)
{
	memset(t, 0, sizeof *t);
	t->kind = k;
	char *path = kube_kind_path(k, ns, name);
	struct kube_req rq = { .method = "GET", .path = path, .accept = table ? KUBE_ACCEPT_TABLE : NULL };
	struct kube_response r;
	int rc = kube_request_ex(c, &rq, &r, e);
	if (rc == 0) {
		json_t *root = json_loadb(r.body, r.len, 0, NULL);
		const char *kind = json_string_value(json_object_get(root, "kind"));
		if (kind && strcmp(kind, "Table") == 0) {
			rc = kube_table_parse(k, r.body, r.len, (long long)time(NULL), t, e);
		} else {
			/* one object: wrap it as a list of one */
			json_t *list = json_pack("{s:s, s:[O]}", "kind", "List", "items", root ? root : json_null());
			char *s = json_dumps(list, JSON_COMPACT);
			rc = kube_table_parse(k, s, strlen(s), (long long)time(NULL), t, e);
			free(s);
			json_decref(list);
		}
		json_decref(root);
	}
	kube_response_free(&r);
	free(path);
	return rc;
}

char *kube_get_json_many(struct kube_client *c, const struct kube_kind *k, const char *ns,
			 char *const *names, size_t n, size_t *failed, struct perr *first_err,
			 void (*on_error)(void *arg, const struct perr *e), void *arg)
{
	json_t *items = json_array();
	*failed = 0;
	for (size_t i = 0; i < n; i++) {
		struct perr e = { { 0 } };
		char *s = kube_get_json(c, k, ns, names[i], &e);
		json_t *obj = s ? json_loads(s, 0, NULL) : NULL;
		free(s);
		if (!obj) {
			(*failed)++;
			perr_set(first_err, "%s", e.msg);
			if (on_error)
				on_error(arg, &e);
			continue;
		}
		json_array_append_new(items, obj);
	}
	char *out = NULL;
	if (n == 1 && json_array_size(items) == 1)
		out = json_dumps(json_array_get(items, 0), JSON_SORT_KEYS | JSON_INDENT(4));
	else if (json_array_size(items)) {
		json_t *list = json_pack("{s:s, s:O, s:s, s:{s:s}}", "apiVersion", "v1", "items", items,
					 "kind", "List", "metadata", "resourceVersion", "");
		out = json_dumps(list, JSON_SORT_KEYS | JSON_INDENT(4));
		json_decref(list);
	}
	json_decref(items);
	return out;
}
