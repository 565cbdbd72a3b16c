/*
 * apply.c - server-side apply as kube-apiserver does it
 * (sigs.k8s.io/structured-merge-diff Updater.Apply): the applied
 * configuration is merged into the live object; the applier's field set
 * becomes what the configuration holds; fields the applier owned before
 * and omits now are removed unless someone else owns them; fields the
 * apply would change that another manager owns are conflicts (409 naming
 * each field and owner) unless force, which takes them over; fields that
 * disappear are dropped from every manager's set.
 *
 * Field sets are tries of path elements in the FieldsV1 notation:
 * "f:<field>", "k:{<key fields sorted>}" for items of associative lists,
 * "v:<value>" for items of sets, "." for "this node itself". In memory a
 * member node carries "." (for leaves built from an object, "." holds the
 * leaf's value, so two sets can be compared leaf by leaf). The list keys
 * and atomic types come from the schema table (schema.c).
 */
#include "kube/sim/sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ITEM_MARK "\001item" /* "." of a member that is not a leaf */

static void set_status(struct sim_status *st, int code, const char *reason,
		       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void set_status(struct sim_status *st, int code, const char *reason,
		       const char *fmt, ...)
{
	if (!st || st->code)
		return;
	va_list ap;
	st->code = code;
	snprintf(st->reason, sizeof st->reason, "%s", reason);
	va_start(ap, fmt);
	vsnprintf(st->message, sizeof st->message, fmt, ap);
	va_end(ap);
}

/* ---- what the schema says about a node -------------------------------- */

enum node_kind { N_SCALAR, N_STRUCT, N_MAP, N_ALIST, N_SET, N_ATOMIC };

struct node_type {
	enum node_kind kind;
	const struct sim_type *t;   /* N_STRUCT; for lists/maps: element */
	const char *elem;           /* element type name (primitive or type) */
	const char *keys;           /* N_ALIST: "containerPort,protocol" */
};

/* metav1.LabelSelector is +structType=atomic: owned as one leaf. */
static int atomic_struct(const struct sim_type *t)
{
	return t && !strcmp(t->name, "io.k8s.apimachinery.pkg.apis.meta.v1."
				     "LabelSelector");
}

static struct node_type type_of_name(const char *name)
{
	struct node_type n = { N_SCALAR, NULL, NULL, NULL };
	const struct sim_type *t = sim_schema_type(name);
	if (t && t->fields) {
		n.kind = atomic_struct(t) ? N_ATOMIC : N_STRUCT;
		n.t = t;
	} else if ((t && !t->fields) || (name && !strcmp(name, "object"))) {
		n.kind = N_MAP; /* free-form: deduced, maps descend */
	}
	return n;
}

/* The type of field f of struct type parent (NULL: untyped, deduced from
 * the value). */
static struct node_type field_type(const struct sim_type *parent,
				   const char *name, const json_t *value)
{
	struct node_type n = { N_SCALAR, NULL, NULL, NULL };
	const struct sim_field *f = sim_schema_field(parent, name);
	if (!f) {
		if (json_is_object(value))
			n.kind = N_MAP;
		else if (json_is_array(value))
			n.kind = N_ATOMIC;
		return n;
	}
	if (f->shape == 'a') {
		n.elem = f->type;
		n.t = sim_schema_type(f->type);
		if (f->strategy && !strncmp(f->strategy, "merge", 5))
			n.kind = f->merge_key ? N_ALIST : N_SET;
		else
			n.kind = N_ATOMIC;
		n.keys = f->list_keys ? f->list_keys : f->merge_key;
		return n;
	}
	if (f->shape == 'm') {
		n.kind = N_MAP;
		n.elem = f->type;
		n.t = sim_schema_type(f->type);
		return n;
	}
	return type_of_name(f->type);
}

/* The type of a map entry or list element. */
static struct node_type elem_type(const struct node_type *parent,
				  const json_t *value)
{
	if (parent->elem)
		return type_of_name(parent->elem);
	struct node_type n = { N_SCALAR, NULL, NULL, NULL };
	if (json_is_object(value))
		n.kind = N_MAP;
	else if (json_is_array(value))
		n.kind = N_ATOMIC;
	return n;
}

/* ---- path elements ------------------------------------------------------ */

/* Key fields with the schema's defaults filled in (protocol: TCP), as
 * structured-merge-diff derives an item's key. */
static json_t *item_key(const json_t *item, const char *keys)
{
	json_t *k = json_object();
	char name[64];
	for (const char *p = keys; p && *p;) {
		size_t n = strcspn(p, ",");
		if (n >= sizeof name)
			n = sizeof name - 1;
		memcpy(name, p, n);
		name[n] = '\0';
		json_t *v = json_object_get(item, name);
		if (v)
			json_object_set(k, name, v);
		else if (!strcmp(name, "protocol"))
			json_object_set_new(k, name, json_string("TCP"));
		p += n + (p[n] == ',');
	}
	return k;
}

/* "k:{...}" with the key fields sorted by name. Caller frees. */
static char *key_element(const json_t *item, const char *keys)
{
	json_t *k = item_key(item, keys);
	char *s = json_dumps(k, JSON_COMPACT | JSON_SORT_KEYS);
	char *out = xasprintf("k:%s", s ? s : "{}");
	free(s);
	json_decref(k);
	return out;
}

static char *value_element(const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
	char *out = xasprintf("v:%s", s ? s : "null");
	free(s);
	return out;
}

/* ---- field sets ------------------------------------------------------------ */

static json_t *child(json_t *trie, const char *pe)
{
	json_t *c = json_object_get(trie, pe);
	if (!c) {
		c = json_object();
		json_object_set_new(trie, pe, c);
	}
	return c;
}

static void to_set(const json_t *v, struct node_type nt, json_t *trie);

/* toFieldSetWalker: leaves and list items are members; map entries that
 * are null, empty maps, or not declared fields are members too. */
static void to_set_map(const json_t *v, struct node_type nt, json_t *trie)
{
	const char *k;
	json_t *x;
	json_object_foreach((json_t *)v, k, x) {
		char *pe = xasprintf("f:%s", k);
		json_t *c = child(trie, pe);
		free(pe);
		struct node_type ct = nt.kind == N_STRUCT ? field_type(nt.t, k, x)
							  : elem_type(&nt, x);
		int declared = nt.kind == N_STRUCT && sim_schema_field(nt.t, k);
		to_set(x, ct, c);
		if (json_is_null(x) ||
		    (json_is_object(x) && json_object_size(x) == 0) || !declared)
			if (!json_object_get(c, "."))
				json_object_set(c, ".", x);
	}
}

static void to_set(const json_t *v, struct node_type nt, json_t *trie)
{
	switch (nt.kind) {
	case N_STRUCT:
	case N_MAP:
		if (json_is_object(v)) {
			to_set_map(v, nt, trie);
			return;
		}
		break;
	case N_ALIST:
	case N_SET:
		if (json_is_array(v)) {
			size_t i;
			json_t *x;
			json_array_foreach(v, i, x) {
				char *pe = nt.kind == N_ALIST && json_is_object(x)
						   ? key_element(x, nt.keys)
						   : value_element(x);
				json_t *c = child(trie, pe);
				free(pe);
				if (nt.kind == N_ALIST && json_is_object(x)) {
					struct node_type et = elem_type(&nt, x);
					to_set(x, et, c);
					json_object_set_new(c, ".",
							    json_string(ITEM_MARK));
				} else {
					json_object_set(c, ".", x);
				}
			}
			return;
		}
		break;
	default:
		break;
	}
	json_object_set_new(trie, ".", json_deep_copy(v)); /* a leaf */
}

static int trie_empty(const json_t *t)
{
	return json_object_size(t) == 0;
}

/* a - b: members of a that are not members of b, with their paths. */
static json_t *trie_diff(const json_t *a, const json_t *b)
{
	json_t *out = json_object();
	const char *k;
	json_t *x;
	json_object_foreach((json_t *)a, k, x) {
		if (!strcmp(k, ".")) {
			if (!json_object_get(b, "."))
				json_object_set(out, ".", x);
			continue;
		}
		json_t *d = trie_diff(x, json_object_get(b, k));
		if (!trie_empty(d))
			json_object_set(out, k, d);
		json_decref(d);
	}
	return out;
}

static json_t *trie_intersect(const json_t *a, const json_t *b)
{
	json_t *out = json_object();
	const char *k;
	json_t *x;
	json_object_foreach((json_t *)a, k, x) {
		json_t *y = json_object_get(b, k);
		if (!y)
			continue;
		if (!strcmp(k, ".")) {
			json_object_set(out, ".", x);
			continue;
		}
		json_t *d = trie_intersect(x, y);
		if (!trie_empty(d))
			json_object_set(out, k, d);
		json_decref(d);
	}
	return out;
}

static void trie_union_into(json_t *a, const json_t *b)
{
	const char *k;
	json_t *x;
	json_object_foreach((json_t *)b, k, x) {
		if (!strcmp(k, ".")) {
			if (!json_object_get(a, "."))
				json_object_set(a, ".", x);
			continue;
		}
		trie_union_into(child(a, k), x);
	}
}

/* Members of new that old lacks or whose leaf value differs: Added and
 * Modified of typed.Compare. */
static json_t *trie_changed(const json_t *old, const json_t *new)
{
	json_t *out = json_object();
	const char *k;
	json_t *x;
	json_object_foreach((json_t *)new, k, x) {
		if (!strcmp(k, ".")) {
			json_t *o = json_object_get(old, ".");
			if (!o || !json_equal(o, x))
				json_object_set(out, ".", x);
			continue;
		}
		json_t *d = trie_changed(json_object_get(old, k), x);
		if (!trie_empty(d))
			json_object_set(out, k, d);
		json_decref(d);
	}
	return out;
}

/* The fields server-side apply never tracks (fieldmanager's stripSet). */
static void strip_ignored(json_t *trie)
{
	static const char *const meta[] = {
		"f:name", "f:namespace", "f:creationTimestamp", "f:selfLink",
		"f:uid", "f:clusterName", "f:generation", "f:managedFields",
		"f:resourceVersion", NULL,
	};
	json_object_del(trie, "f:apiVersion");
	json_object_del(trie, "f:kind");
	json_t *md = json_object_get(trie, "f:metadata");
	for (int i = 0; md && meta[i]; i++)
		json_object_del(md, meta[i]);
	if (md && trie_empty(md))
		json_object_del(trie, "f:metadata");
}

/* The set of obj's fields (leaf values kept). New reference. */
static json_t *object_set(const json_t *obj, const struct sim_kind *k)
{
	json_t *trie = json_object();
	struct node_type nt = { N_MAP, NULL, NULL, NULL };
	const struct sim_type *root = sim_schema_root(k->group, k->kind);
	if (root) {
		nt.kind = N_STRUCT;
		nt.t = root;
	}
	if (json_is_object(obj))
		to_set(obj, nt, trie);
	strip_ignored(trie);
	return trie;
}

/* ---- FieldsV1 ------------------------------------------------------------ */

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The trie in the FieldsV1 notation: "." only beside children, keys
 * sorted. New reference. */
static json_t *to_fields_v1(const json_t *trie)
{
	json_t *out = json_object();
	size_t n = json_object_size(trie), i = 0;
	const char **keys = xcalloc(n + 1, sizeof *keys);
	const char *k;
	json_t *x;
	json_object_foreach((json_t *)trie, k, x) if (strcmp(k, "."))
		keys[i++] = k;
	qsort(keys, i, sizeof *keys, cmp_keys);
	if (i && json_object_get(trie, "."))
		json_object_set_new(out, ".", json_object());
	for (size_t j = 0; j < i; j++)
		json_object_set_new(out, keys[j],
				    to_fields_v1(json_object_get(trie, keys[j])));
	free(keys);
	return out;
}

/* FieldsV1 back to a trie: {} and nodes with "." are members. */
static json_t *from_fields_v1(const json_t *f)
{
	json_t *out = json_object();
	const char *k;
	json_t *x;
	if (!json_is_object(f))
		return out;
	if (json_object_size(f) == 0 || json_object_get(f, "."))
		json_object_set_new(out, ".", json_string(ITEM_MARK));
	json_object_foreach((json_t *)f, k, x) {
		if (!strcmp(k, "."))
			continue;
		json_object_set_new(out, k, from_fields_v1(x));
	}
	return out;
}

/* ---- paths in messages --------------------------------------------------- */

/* Go's %q of a string, for key values. */
static void quote(struct dbuf *b, const char *s)
{
	dbuf_puts(b, "\"");
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			dbuf_printf(b, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			dbuf_printf(b, "\\x%02x", (unsigned char)*s);
		else
			dbuf_append(b, s, 1);
	}
	dbuf_puts(b, "\"");
}

static void value_str(struct dbuf *b, const json_t *v)
{
	if (json_is_string(v)) {
		quote(b, json_string_value(v));
	} else {
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		dbuf_puts(b, s ? s : "null");
		free(s);
	}
}

/* fieldpath.Path.String(): .spec.containers[name="web"].image */
static void path_element_str(struct dbuf *b, const char *pe)
{
	json_error_t je;
	if (!strncmp(pe, "f:", 2)) {
		dbuf_printf(b, ".%s", pe + 2);
	} else if (!strncmp(pe, "k:", 2)) {
		json_t *k = json_loads(pe + 2, 0, &je);
		const char *name;
		json_t *v;
		int first = 1;
		dbuf_puts(b, "[");
		json_object_foreach(k, name, v) {
			dbuf_printf(b, "%s%s=", first ? "" : ",", name);
			value_str(b, v);
			first = 0;
		}
		dbuf_puts(b, "]");
		json_decref(k);
	} else if (!strncmp(pe, "v:", 2)) {
		json_t *v = json_loads(pe + 2, JSON_DECODE_ANY, &je);
		dbuf_puts(b, "[=");
		value_str(b, v);
		dbuf_puts(b, "]");
		json_decref(v);
	} else if (!strncmp(pe, "i:", 2)) {
		dbuf_printf(b, "[%s]", pe + 2);
	}
}

/* Every member of trie as a path string, in sorted order. */
static void trie_paths(const json_t *trie, const char *prefix, json_t *out)
{
	if (json_object_get(trie, "."))
		json_array_append_new(out, json_string(prefix));
	size_t n = json_object_size(trie), i = 0;
	const char **keys = xcalloc(n + 1, sizeof *keys);
	const char *k;
	json_t *x;
	json_object_foreach((json_t *)trie, k, x) if (strcmp(k, "."))
		keys[i++] = k;
	qsort(keys, i, sizeof *keys, cmp_keys);
	for (size_t j = 0; j < i; j++) {
		struct dbuf b;
		dbuf_init(&b, 0);
		dbuf_puts(&b, prefix);
		path_element_str(&b, keys[j]);
		trie_paths(json_object_get(trie, keys[j]), b.p, out);
		dbuf_free(&b);
	}
	free(keys);
}

/* ---- merge and prune on objects ----------------------------------------- */

static json_t *merge(const json_t *live, const json_t *cfg, struct node_type nt);

/* Find the element of list arr with path element pe. */
static long find_item(const json_t *arr, const char *pe, struct node_type nt)
{
	size_t i;
	json_t *x;
	json_array_foreach(arr, i, x) {
		char *e = nt.kind == N_ALIST && json_is_object(x)
				  ? key_element(x, nt.keys)
				  : value_element(x);
		int same = !strcmp(e, pe);
		free(e);
		if (same)
			return (long)i;
	}
	return -1;
}

/* typed.Merge: cfg wins; structs and maps merge field by field,
 * associative lists item by item (live order, new items appended), sets
 * by value; atomic values are replaced. */
static json_t *merge(const json_t *live, const json_t *cfg, struct node_type nt)
{
	if ((nt.kind == N_STRUCT || nt.kind == N_MAP) && json_is_object(cfg) &&
	    json_is_object(live)) {
		json_t *out = json_deep_copy(live);
		const char *k;
		json_t *x;
		json_object_foreach((json_t *)cfg, k, x) {
			struct node_type ct = nt.kind == N_STRUCT
						      ? field_type(nt.t, k, x)
						      : elem_type(&nt, x);
			json_object_set_new(out, k,
					    merge(json_object_get(live, k), x, ct));
		}
		return out;
	}
	if ((nt.kind == N_ALIST || nt.kind == N_SET) && json_is_array(cfg) &&
	    json_is_array(live)) {
		json_t *out = json_deep_copy(live);
		size_t i;
		json_t *x;
		json_array_foreach(cfg, i, x) {
			char *pe = nt.kind == N_ALIST && json_is_object(x)
					   ? key_element(x, nt.keys)
					   : value_element(x);
			long at = find_item(out, pe, nt);
			free(pe);
			if (at < 0) {
				json_array_append_new(out, json_deep_copy(x));
			} else if (nt.kind == N_ALIST) {
				struct node_type et = elem_type(&nt, x);
				json_array_set_new(out, (size_t)at,
						   merge(json_array_get(out, (size_t)at),
							 x, et));
			}
		}
		return out;
	}
	return json_deep_copy(cfg);
}

/* The removing walker leaves a map or list it emptied as nil, which the
 * typed object then omits. */
static int emptied(const json_t *x)
{
	return (json_is_object(x) && json_object_size(x) == 0) ||
	       (json_is_array(x) && json_array_size(x) == 0);
}

/* Remove from v (in place) the members of rm, unless keep (the union of
 * every manager's set) holds something at or under that path. Returns 1
 * when v itself is to be removed. */
static int prune(json_t *v, const json_t *rm, const json_t *keep,
		 struct node_type nt)
{
	const char *pe;
	json_t *sub;
	if (json_object_get(rm, ".") && trie_empty(keep ? keep : json_object()))
		return 1;
	void *iter = json_object_iter((json_t *)rm);
	while (iter) {
		pe = json_object_iter_key(iter);
		sub = json_object_iter_value(iter);
		iter = json_object_iter_next((json_t *)rm, iter);
		if (!strcmp(pe, "."))
			continue;
		const json_t *ksub = json_object_get(keep, pe);
		if (json_is_object(v) && !strncmp(pe, "f:", 2)) {
			json_t *x = json_object_get(v, pe + 2);
			if (!x)
				continue;
			struct node_type ct = nt.kind == N_STRUCT
						      ? field_type(nt.t, pe + 2, x)
						      : elem_type(&nt, x);
			int gone = json_object_get(sub, ".") && !ksub
					   ? 1
					   : prune(x, sub, ksub, ct) || emptied(x);
			if (gone)
				json_object_del(v, pe + 2);
		} else if (json_is_array(v)) {
			long at = find_item(v, pe, nt);
			if (at < 0)
				continue;
			json_t *x = json_array_get(v, (size_t)at);
			struct node_type et = elem_type(&nt, x);
			int gone = json_object_get(sub, ".") && !ksub
					   ? 1
					   : prune(x, sub, ksub, et) || emptied(x);
			if (gone)
				json_array_remove(v, (size_t)at);
		}
	}
	return 0;
}

/* ---- managers --------------------------------------------------------------- */

struct manager {
	const char *name, *operation, *api_version, *time; /* borrowed */
	json_t *set;                                      /* owned trie */
};

/* Apply managers are one per name; Update ones per name and apiVersion
 * (BuildManagerIdentifier). */
static int same_manager(const struct manager *m, const char *name,
			const char *op, const char *apiv)
{
	return !strcmp(m->name, name) && !strcmp(m->operation, op) &&
	       (!strcmp(op, "Apply") || !strcmp(m->api_version, apiv));
}

/* printManager: Apply managers by name, Update ones with their
 * apiVersion. Caller frees. */
static char *manager_words(const struct manager *m)
{
	struct dbuf b;
	dbuf_init(&b, 0);
	quote(&b, m->name);
	if (!strcmp(m->operation, "Update"))
		dbuf_printf(&b, " using %s", m->api_version);
	return dbuf_take(&b);
}

static int cmp_managed(const void *a, const void *b)
{
	const json_t *p = *(json_t *const *)a, *q = *(json_t *const *)b;
	static const char *const keys[] = { "operation", "time", "manager",
					    "apiVersion" };
	for (int i = 0; i < 4; i++) {
		const char *x = json_string_value(json_object_get(p, keys[i]));
		const char *y = json_string_value(json_object_get(q, keys[i]));
		int c = strcmp(x ? x : "", y ? y : "");
		if (c)
			return c;
	}
	return 0;
}

static const char *jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

/* Apply cfg onto live (NULL: create) as manager; NULL with 400/409 in st. */
json_t *sim_apply(const struct sim_kind *k, const json_t *live,
		  const json_t *cfg, const char *manager, int force,
		  const char *now_rfc3339, struct sim_status *st)
{
	json_t *out = NULL;
	struct manager *mgrs = NULL;
	size_t nm = 0;
	json_t *lastset = NULL, *newset = NULL, *oldset = NULL, *mergedset = NULL;
	json_t *changed = NULL, *removed = NULL;

	if (!json_is_object(cfg)) {
		set_status(st, 400, "BadRequest",
			   "error decoding patch: the applied configuration "
			   "is not an object");
		return NULL;
	}
	if (!manager || !*manager) {
		set_status(st, 400, "BadRequest",
			   "PATCH requests with apply content type must set a "
			   "field manager");
		return NULL;
	}
	const json_t *cmd = json_object_get(cfg, "metadata");
	if (json_object_get(cmd, "managedFields")) {
		set_status(st, 400, "BadRequest",
			   "metadata.managedFields must be nil");
		return NULL;
	}
	const char *apiv = jstr(cfg, "apiVersion");
	struct node_type root = { N_MAP, NULL, NULL, NULL };
	const struct sim_type *rt = sim_schema_root(k->group, k->kind);
	if (rt) {
		root.kind = N_STRUCT;
		root.t = rt;
	}

	/* The managers recorded on the live object. */
	const json_t *mf = json_object_get(json_object_get(live, "metadata"),
					   "managedFields");
	mgrs = xcalloc(json_array_size(mf) + 1, sizeof *mgrs);
	size_t i;
	json_t *e;
	json_array_foreach(mf, i, e) {
		struct manager *m = &mgrs[nm++];
		m->name = jstr(e, "manager");
		m->operation = jstr(e, "operation");
		m->api_version = jstr(e, "apiVersion");
		m->time = jstr(e, "time");
		m->set = from_fields_v1(json_object_get(e, "fieldsV1"));
	}
	long self = -1;
	for (i = 0; i < nm; i++)
		if (same_manager(&mgrs[i], manager, "Apply", apiv))
			self = (long)i;
	lastset = self >= 0 ? json_incref(mgrs[self].set) : json_object();

	/* Merge, then the applier's new set. */
	json_t *base = json_is_object(live) ? json_deep_copy(live) : json_object();
	json_t *merged = merge(base, cfg, root);
	json_decref(base);
	newset = object_set(cfg, k);

	/* prune: what the applier owned and no longer applies, and no
	 * manager (the applier's new set included) owns. */
	json_t *keep = json_deep_copy(newset);
	for (i = 0; i < nm; i++)
		if ((long)i != self)
			trie_union_into(keep, mgrs[i].set);
	json_t *rm = trie_diff(lastset, keep);
	prune(merged, rm, keep, root);
	json_decref(rm);
	json_decref(keep);

	/* update: conflicts are other managers' fields the apply changes */
	oldset = object_set(live, k);
	mergedset = object_set(merged, k);
	changed = trie_changed(oldset, mergedset);
	removed = trie_diff(oldset, mergedset);
	json_t *conflicts = json_array();
	int nconf = 0;
	for (i = 0; i < nm; i++) {
		if ((long)i == self)
			continue;
		json_t *c = trie_intersect(mgrs[i].set, changed);
		json_t *paths = json_array();
		trie_paths(c, "", paths);
		size_t j;
		json_t *p;
		json_array_foreach(paths, j, p) {
			json_array_append_new(conflicts,
					      json_pack("{s:I,s:O}", "m",
							(json_int_t)i, "path", p));
			nconf++;
		}
		json_decref(paths);
		if (force) {
			json_t *left = trie_diff(mgrs[i].set, c);
			json_decref(mgrs[i].set);
			mgrs[i].set = left;
		}
		json_decref(c);
	}
	if (nconf && !force) {
		struct dbuf msg;
		json_t *causes = json_array();
		dbuf_init(&msg, 0);
		/* getConflictMessage: one line, or grouped by sorted manager */
		if (nconf == 1) {
			json_t *c = json_array_get(conflicts, 0);
			char *w = manager_words(&mgrs[json_integer_value(json_object_get(c, "m"))]);
			dbuf_printf(&msg, "Apply failed with 1 conflict: conflict with %s: %s",
				    w, json_string_value(json_object_get(c, "path")));
			free(w);
		} else {
			dbuf_printf(&msg, "Apply failed with %d conflicts: ", nconf);
			char **names = xcalloc(nm + 1, sizeof *names);
			size_t nn = 0;
			for (i = 0; i < nm; i++)
				names[nn++] = manager_words(&mgrs[i]);
			int first = 1;
			for (size_t a = 0; a < nn; a++) {
				/* managers in sorted order of their words */
				size_t min = a;
				for (size_t b2 = a + 1; b2 < nn; b2++)
					if (strcmp(names[b2], names[min]) < 0)
						min = b2;
				char *t = names[a];
				names[a] = names[min];
				names[min] = t;
			}
			for (size_t a = 0; a < nn; a++) {
				int header = 0;
				size_t j;
				json_t *c;
				json_array_foreach(conflicts, j, c) {
					char *w = manager_words(&mgrs[json_integer_value(json_object_get(c, "m"))]);
					if (!strcmp(w, names[a])) {
						if (!header) {
							dbuf_printf(&msg, "%sconflicts with %s:",
								    first ? "" : "\n", w);
							header = 1;
							first = 0;
						}
						dbuf_printf(&msg, "\n- %s",
							    json_string_value(json_object_get(c, "path")));
					}
					free(w);
				}
			}
			for (i = 0; i < nn; i++)
				free(names[i]);
			free(names);
		}
		size_t j;
		json_t *c;
		json_array_foreach(conflicts, j, c) {
			char *w = manager_words(&mgrs[json_integer_value(json_object_get(c, "m"))]);
			char *cm = xasprintf("conflict with %s", w);
			json_array_append_new(causes,
					      json_pack("{s:s,s:s,s:O}", "reason",
							"FieldManagerConflict",
							"message", cm, "field",
							json_object_get(c, "path")));
			free(cm);
			free(w);
		}
		set_status(st, 409, "Conflict", "%s", msg.p);
		if (st) {
			json_decref(st->details);
			st->details = json_pack("{s:o}", "causes", causes);
		} else {
			json_decref(causes);
		}
		dbuf_free(&msg);
		json_decref(conflicts);
		json_decref(merged);
		goto out;
	}
	json_decref(conflicts);

	/* Fields that disappeared leave every other manager's set. */
	for (i = 0; i < nm; i++) {
		if ((long)i == self)
			continue;
		json_t *left = trie_diff(mgrs[i].set, removed);
		json_decref(mgrs[i].set);
		mgrs[i].set = left;
	}

	/* managedFields: the others still owning something, then the
	 * applier, sorted as the server sorts them. */
	json_t *entries = json_array();
	for (i = 0; i < nm; i++) {
		if ((long)i == self || trie_empty(mgrs[i].set))
			continue;
		json_t *src = json_array_get(mf, i);
		json_t *en = json_deep_copy(src);
		json_object_set_new(en, "fieldsV1", to_fields_v1(mgrs[i].set));
		json_array_append_new(entries, en);
	}
	if (!trie_empty(newset))
		json_array_append_new(
			entries,
			json_pack("{s:s,s:s,s:s,s:s,s:s,s:o}", "manager", manager,
				  "operation", "Apply", "apiVersion", apiv, "time",
				  now_rfc3339 ? now_rfc3339 : "", "fieldsType",
				  "FieldsV1", "fieldsV1", to_fields_v1(newset)));
	size_t ne = json_array_size(entries);
	json_t **arr = xcalloc(ne + 1, sizeof *arr);
	for (i = 0; i < ne; i++)
		arr[i] = json_array_get(entries, i);
	qsort(arr, ne, sizeof *arr, cmp_managed);
	json_t *sorted = json_array();
	for (i = 0; i < ne; i++)
		json_array_append(sorted, arr[i]);
	free(arr);
	json_decref(entries);
	json_t *md = json_object_get(merged, "metadata");
	if (!json_is_object(md)) {
		md = json_object();
		json_object_set_new(merged, "metadata", md);
	}
	json_object_set_new(md, "managedFields", sorted);
	out = merged;
out:
	for (i = 0; i < nm; i++)
		json_decref(mgrs[i].set);
	free(mgrs);
	json_decref(lastset);
	json_decref(newset);
	json_decref(oldset);
	json_decref(mergedset);
	json_decref(changed);
	json_decref(removed);
	return out;
}

/* ---- writes that are not applies --------------------------------------- */

/* Every node of v as a member, as typed.Compare sees presence: maps and
 * lists that appear are members themselves; structs are never (the typed
 * object always has them). */
static void all_set(const json_t *v, struct node_type nt, json_t *trie)
{
	switch (nt.kind) {
	case N_STRUCT:
	case N_MAP:
		if (!json_is_object(v) || json_object_size(v) == 0)
			break;
		if (nt.kind == N_MAP)
			json_object_set_new(trie, ".", json_string(ITEM_MARK));
		const char *k;
		json_t *x;
		json_object_foreach((json_t *)v, k, x) {
			char *pe = xasprintf("f:%s", k);
			json_t *c = child(trie, pe);
			free(pe);
			all_set(x, nt.kind == N_STRUCT ? field_type(nt.t, k, x)
						       : elem_type(&nt, x),
				c);
		}
		return;
	case N_ALIST:
	case N_SET:
		if (!json_is_array(v))
			break;
		json_object_set_new(trie, ".", json_string(ITEM_MARK));
		size_t i;
		json_t *x2;
		json_array_foreach(v, i, x2) {
			int keyed = nt.kind == N_ALIST && json_is_object(x2);
			char *pe = keyed ? key_element(x2, nt.keys) : value_element(x2);
			json_t *c = child(trie, pe);
			free(pe);
			if (keyed) {
				all_set(x2, elem_type(&nt, x2), c);
				json_object_set_new(c, ".", json_string(ITEM_MARK));
			} else {
				json_object_set(c, ".", x2);
			}
		}
		return;
	default:
		break;
	}
	json_object_set_new(trie, ".", json_deep_copy(v));
}

static json_t *object_all_set(const json_t *obj, const struct sim_kind *k)
{
	json_t *trie = json_object();
	struct node_type nt = { N_MAP, NULL, NULL, NULL };
	const struct sim_type *root = sim_schema_root(k->group, k->kind);
	if (root) {
		nt.kind = N_STRUCT;
		nt.t = root;
	}
	if (json_is_object(obj))
		all_set(obj, nt, trie);
	json_object_del(trie, ".");
	strip_ignored(trie);
	return trie;
}

/* Record a non-apply write by manager in obj's managedFields. */
void sim_managed_update(const struct sim_kind *k, const json_t *old,
			json_t *obj, const char *manager,
			const char *now_rfc3339)
{
	json_t *md = json_object_get(obj, "metadata");
	if (!json_is_object(md) || !manager || !*manager)
		return;
	const char *apiv = jstr(obj, "apiVersion");
	/* The request's managedFields when it set them differently (a
	 * client may reset them), else the stored ones. */
	const json_t *mine = json_object_get(md, "managedFields");
	const json_t *theirs =
		json_object_get(json_object_get(old, "metadata"), "managedFields");
	const json_t *mf = json_is_array(mine) && !json_equal((json_t *)mine,
							      (json_t *)theirs)
				   ? mine
				   : theirs;
	json_t *oldset = object_all_set(old, k);
	json_t *newset = object_all_set(obj, k);
	json_t *changed = trie_changed(oldset, newset);
	json_t *removed = trie_diff(oldset, newset);
	json_t *entries = json_array();
	int found = 0;
	size_t i;
	json_t *e;
	json_array_foreach(mf, i, e) {
		json_t *set = from_fields_v1(json_object_get(e, "fieldsV1"));
		int self = !strcmp(jstr(e, "manager"), manager) &&
			   !strcmp(jstr(e, "operation"), "Update") &&
			   !strcmp(jstr(e, "apiVersion"), apiv);
		json_t *left;
		if (self) {
			trie_union_into(set, changed);
			left = trie_diff(set, removed);
			found = 1;
		} else {
			json_t *t = trie_diff(set, changed);
			left = trie_diff(t, removed);
			json_decref(t);
		}
		if (!trie_empty(left)) {
			json_t *en = json_deep_copy(e);
			json_object_set_new(en, "fieldsV1", to_fields_v1(left));
			if (self && !trie_empty(changed))
				json_object_set_new(en, "time",
						    json_string(now_rfc3339 ? now_rfc3339 : ""));
			json_array_append_new(entries, en);
		}
		json_decref(set);
		json_decref(left);
	}
	if (!found && !trie_empty(changed))
		json_array_append_new(
			entries,
			json_pack("{s:s,s:s,s:s,s:s,s:s,s:o}", "manager", manager,
				  "operation", "Update", "apiVersion", apiv, "time",
				  now_rfc3339 ? now_rfc3339 : "", "fieldsType",
				  "FieldsV1", "fieldsV1", to_fields_v1(changed)));
	size_t ne = json_array_size(entries);
	json_t **arr = xcalloc(ne + 1, sizeof *arr);
	for (i = 0; i < ne; i++)
		arr[i] = json_array_get(entries, i);
	qsort(arr, ne, sizeof *arr, cmp_managed);
	json_t *sorted = json_array();
	for (i = 0; i < ne; i++)
		json_array_append(sorted, arr[i]);
	free(arr);
	json_decref(entries);
	if (json_array_size(sorted))
		json_object_set_new(md, "managedFields", sorted);
	else {
		json_decref(sorted);
		json_object_del(md, "managedFields");
	}
	json_decref(oldset);
	json_decref(newset);
	json_decref(changed);
	json_decref(removed);
}
