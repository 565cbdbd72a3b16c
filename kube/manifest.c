/*
 * manifest.c - reading manifests for apply: a YAML or JSON stream of
 * documents (a kind List is expanded into its items, as kubectl does), each
 * checked for apiVersion, kind and metadata.name, and kept as the compact
 * JSON that goes to the server as the apply body.
 */
#define _POSIX_C_SOURCE 200809L
#include "kube/kube.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define MANIFEST_MAX_DOCS 10000

struct mctx {
	struct kube_manifest *m;
	const char *src;
	size_t ndoc;
};

static const char *mstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int manifest_add(struct mctx *c, json_t *obj, size_t line, struct perr *e)
{
	c->ndoc++;
	if (!json_is_object(obj)) {
		perr_set(e, "%s, document %zu (line %zu): not an object with apiVersion and kind", c->src,
			 c->ndoc, line);
		return -1;
	}
	const char *av = mstr(obj, "apiVersion"), *kind = mstr(obj, "kind");
	if (!av || !*av || !kind || !*kind) {
		perr_set(e, "%s, document %zu (line %zu): %s is not set", c->src, c->ndoc, line,
			 !av || !*av ? "apiVersion" : "kind");
		return -1;
	}
	if (strcmp(kind, "List") == 0 || (strlen(kind) > 4 && !strcmp(kind + strlen(kind) - 4, "List") &&
					   json_is_array(json_object_get(obj, "items")))) {
		size_t i;
		json_t *it;
		size_t base = c->ndoc;
		json_array_foreach(json_object_get(obj, "items"), i, it) {
			c->ndoc = base;
			if (manifest_add(c, it, line, e) < 0)
				return -1;
		}
		return 0;
	}
	json_t *meta = json_object_get(obj, "metadata");
	const char *name = mstr(meta, "name");
	if (!name || !*name) {
		perr_set(e, "%s, document %zu (line %zu): %s has no metadata.name (apply needs a name)",
			 c->src, c->ndoc, line, kind);
		return -1;
	}
	if (c->m->n >= MANIFEST_MAX_DOCS) {
		perr_set(e, "%s: more than %d objects", c->src, MANIFEST_MAX_DOCS);
		return -1;
	}
	struct kube_manifest_doc *d;
	c->m->docs = xrealloc(c->m->docs, (c->m->n + 1) * sizeof *c->m->docs);
	d = &c->m->docs[c->m->n++];
	memset(d, 0, sizeof *d);
	d->json = json_dumps(obj, JSON_COMPACT);
	if (!d->json)
		d->json = xstrdup("{}");
	d->len = strlen(d->json);
	d->api_version = xstrdup(av);
	d->kind = xstrdup(kind);
	d->name = xstrdup(name);
	d->namespace = xstrdup(mstr(meta, "namespace"));
	d->line = line;
	/* The kind is known when both the Kind and the group match. */
	const struct kube_kind *k = kube_kind_find(kind);
	if (k) {
		char buf[128];
		if (strcmp(kube_kind_api_version(k, buf, sizeof buf), av) == 0)
			d->k = k;
	}
	return 0;
}

static int manifest_doc(void *arg, struct json_t *doc, size_t line, struct perr *e)
{
	struct mctx *c = arg;
	if (json_is_null(doc)) /* an empty document: "---" with nothing after it */
		return 0;
	return manifest_add(c, doc, line, e);
}

int kube_manifest_parse(const char *src, const char *text, size_t len, struct kube_manifest *m,
			struct perr *e)
{
	memset(m, 0, sizeof *m);
	struct mctx c = { .m = m, .src = src };
	if (kube_yaml_load_all(src, text, len, manifest_doc, &c, e) < 0) {
		kube_manifest_clear(m);
		return -1;
	}
	if (!m->n) {
		perr_set(e, "%s: no objects in the manifest", src);
		return -1;
	}
	return 0;
}

void kube_manifest_clear(struct kube_manifest *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->docs[i].json);
		free(m->docs[i].api_version);
		free(m->docs[i].kind);
		free(m->docs[i].name);
		free(m->docs[i].namespace);
	}
	free(m->docs);
	memset(m, 0, sizeof *m);
}

/* Labels under a json map: keys and values. */
static int validate_labels(json_t *labels, struct perr *e)
{
	const char *k;
	json_t *v;
	json_object_foreach(labels, k, v) {
		if (!json_is_string(v)) {
			perr_set(e, "label %s must have a string value", k);
			return -1;
		}
		if (kube_validate_label(k, json_string_value(v), e) < 0)
			return -1;
	}
	return 0;
}

/* Images and resource quantities of the containers of a pod spec. */
static int validate_pod_spec(json_t *spec, struct perr *e)
{
	static const char *const lists[] = { "containers", "initContainers", NULL };
	for (int l = 0; lists[l]; l++) {
		size_t i;
		json_t *c;
		json_array_foreach(json_object_get(spec, lists[l]), i, c) {
			const char *image = json_string_value(json_object_get(c, "image"));
			if (image && kube_validate_image(image, e) < 0)
				return -1;
			static const char *const kinds[] = { "requests", "limits", NULL };
			for (int r = 0; kinds[r]; r++) {
				const char *res;
				json_t *q;
				json_object_foreach(json_object_get(json_object_get(c, "resources"), kinds[r]), res, q) {
					if (json_is_string(q) && kube_validate_quantity(json_string_value(q), e) < 0)
						return -1;
				}
			}
		}
	}
	return 0;
}

int kube_manifest_validate(const struct kube_manifest_doc *d, struct perr *e)
{
	json_t *obj = json_loadb(d->json, d->len, 0, NULL);
	struct perr ve = { { 0 } };
	int rc = -1;
	/* The name goes into the error line: never raw to a terminal. */
	char *shown = sanitize_text(d->name ? d->name : "", d->name ? strlen(d->name) : 0, 0);
	if (!obj) {
		perr_set(e, "%s \"%s\": not JSON", d->kind, shown);
		free(shown);
		return -1;
	}
	if (kube_validate_name(kube_name_rule_for_kind(d->kind), d->kind, d->name, &ve) < 0)
		goto out;
	if (d->namespace && kube_validate_name(KUBE_NAME_DNS1123_LABEL, "Namespace", d->namespace, &ve) < 0)
		goto out;
	json_t *meta = json_object_get(obj, "metadata");
	if (validate_labels(json_object_get(meta, "labels"), &ve) < 0)
		goto out;
	json_t *spec = json_object_get(obj, "spec");
	json_t *tmpl = json_object_get(spec, "template");
	if (validate_labels(json_object_get(json_object_get(tmpl, "metadata"), "labels"), &ve) < 0 ||
	    validate_labels(json_object_get(json_object_get(spec, "selector"), "matchLabels"), &ve) < 0)
		goto out;
	if (strcmp(d->kind, "Pod") == 0 && validate_pod_spec(spec, &ve) < 0)
		goto out;
	if (validate_pod_spec(json_object_get(tmpl, "spec"), &ve) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		perr_set(e, "%s: %s", shown, ve.msg);
	free(shown);
	json_decref(obj);
	return rc;
}
