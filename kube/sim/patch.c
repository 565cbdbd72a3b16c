/*
 * patch.c - the three patch types the simulated API server accepts, as the
 * real one applies them: JSON merge patch (RFC 7386), JSON patch (RFC 6902,
 * with the outcomes of github.com/evanphx/json-patch that the real server
 * vendors), and strategic merge patch (k8s.io/apimachinery
 * pkg/util/strategicpatch), whose list merge keys and strategies come from
 * the Go struct tags of the kinds served and are kept here as a table.
 *
 * All functions are pure: json_t in, a new json_t out, the inputs
 * untouched.
 */
#include "kube/sim/sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_status(struct sim_status *st, int code, const char *reason,
		       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Filled directly so this file needs nothing but the struct. */
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

/* ---- RFC 7386 ----------------------------------------------------------- */

/* RFC 7386: patch merged into a copy of target. New reference. */
json_t *sim_merge_patch(const json_t *target, const json_t *patch)
{
	if (!json_is_object(patch))
		return json_deep_copy(patch);
	json_t *out = json_is_object(target) ? json_deep_copy(target)
					     : json_object();
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)patch, k, v) {
		if (json_is_null(v)) {
			json_object_del(out, k);
			continue;
		}
		json_t *merged = sim_merge_patch(json_object_get(out, k), v);
		json_object_set_new(out, k, merged);
	}
	return out;
}

/* ---- RFC 6902 ------------------------------------------------------------ */

/* One reference token of a JSON pointer, unescaped (~1 -> /, ~0 -> ~).
 * *p advances past it. Caller frees. */
static char *pointer_token(const char **p)
{
	const char *s = *p + 1; /* past '/' */
	const char *end = strchr(s, '/');
	size_t n = end ? (size_t)(end - s) : strlen(s);
	char *tok = xmalloc(n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '~' && i + 1 < n && (s[i + 1] == '0' || s[i + 1] == '1')) {
			tok[o++] = s[i + 1] == '0' ? '~' : '/';
			i++;
		} else {
			tok[o++] = s[i];
		}
	}
	tok[o] = '\0';
	*p = s + n;
	return tok;
}

/* An array index as json-patch reads it: decimal digits only. -1 if not. */
static long array_index(const char *tok)
{
	if (!*tok || strlen(tok) > 9)
		return -1;
	for (const char *p = tok; *p; p++)
		if (*p < '0' || *p > '9')
			return -1;
	return strtol(tok, NULL, 10);
}

/* findObject: the container holding the last token of path (borrowed)
 * and that token (caller frees); NULL when a step is missing. */
static json_t *find_parent(json_t *doc, const char *path, char **last)
{
	json_t *cur = doc;
	const char *p = path;
	*last = NULL;
	if (*p != '/')
		return NULL;
	for (;;) {
		char *tok = pointer_token(&p);
		if (!*p) {
			*last = tok;
			return (json_is_object(cur) || json_is_array(cur)) ? cur
									 : NULL;
		}
		json_t *next = NULL;
		if (json_is_object(cur)) {
			next = json_object_get(cur, tok);
		} else if (json_is_array(cur)) {
			long i = array_index(tok);
			if (i >= 0)
				next = json_array_get(cur, (size_t)i);
		}
		free(tok);
		if (!next)
			return NULL;
		cur = next;
	}
}

/* The container operations, with the library's error wording in err. */
static int con_get(json_t *con, const char *key, json_t **out, char *err,
		   size_t n)
{
	if (json_is_object(con)) {
		*out = json_object_get(con, key);
		return 0;
	}
	long i = array_index(key);
	if (i < 0 || (size_t)i >= json_array_size(con)) {
		snprintf(err, n,
			 "Unable to access invalid index: %ld: invalid index "
			 "referenced",
			 i);
		return -1;
	}
	*out = json_array_get(con, (size_t)i);
	return 0;
}

static int con_add(json_t *con, const char *key, json_t *val, char *err,
		   size_t n)
{
	if (json_is_object(con)) {
		json_object_set_new(con, key, val);
		return 0;
	}
	if (!strcmp(key, "-")) {
		json_array_append_new(con, val);
		return 0;
	}
	long i = array_index(key);
	if (i < 0 || (size_t)i > json_array_size(con)) {
		snprintf(err, n,
			 "Unable to access invalid index: %ld: invalid index "
			 "referenced",
			 i);
		json_decref(val);
		return -1;
	}
	json_array_insert_new(con, (size_t)i, val);
	return 0;
}

static int con_remove(json_t *con, const char *key, char *err, size_t n)
{
	if (json_is_object(con)) {
		if (!json_object_get(con, key)) {
			snprintf(err, n,
				 "Unable to remove nonexistent key: %s: missing "
				 "value",
				 key);
			return -1;
		}
		json_object_del(con, key);
		return 0;
	}
	long i = array_index(key);
	if (i < 0 || (size_t)i >= json_array_size(con)) {
		snprintf(err, n,
			 "Unable to access invalid index: %ld: invalid index "
			 "referenced",
			 i);
		return -1;
	}
	json_array_remove(con, (size_t)i);
	return 0;
}

/* One operation on *doc (which it may replace, for the path ""). */
static int apply_op(json_t **doc, const json_t *op, char *err, size_t n)
{
	const char *kind = json_string_value(json_object_get(op, "op"));
	const char *path = json_string_value(json_object_get(op, "path"));
	const char *from = json_string_value(json_object_get(op, "from"));
	json_t *value = json_object_get(op, "value");
	char *key = NULL;
	json_t *con;
	int rc = -1;
	if (!kind)
		kind = "unknown";
	if (!path)
		path = "unknown";

	if (!strcmp(kind, "add") || !strcmp(kind, "replace") ||
	    !strcmp(kind, "copy") || !strcmp(kind, "move")) {
		json_t *val = NULL;
		if (!strcmp(kind, "copy") || !strcmp(kind, "move")) {
			char *fkey = NULL;
			json_t *fcon = from ? find_parent(*doc, from, &fkey) : NULL;
			json_t *fv = NULL;
			if (!fcon || con_get(fcon, fkey, &fv, err, n) || !fv) {
				if (!err[0])
					snprintf(err, n,
						 "%s operation does not apply: doc "
						 "is missing from path: %s: "
						 "missing value",
						 kind, from ? from : "unknown");
				free(fkey);
				return -1;
			}
			val = json_deep_copy(fv);
			if (!strcmp(kind, "move") &&
			    con_remove(fcon, fkey, err, n)) {
				free(fkey);
				json_decref(val);
				return -1;
			}
			free(fkey);
		} else {
			val = value ? json_deep_copy(value) : json_null();
		}
		if (!*path) {
			json_decref(*doc);
			*doc = val;
			return 0;
		}
		con = find_parent(*doc, path, &key);
		if (!con) {
			if (!strcmp(kind, "replace"))
				snprintf(err, n,
					 "replace operation does not apply: doc "
					 "is missing path: %s: missing value",
					 path);
			else if (!strcmp(kind, "add"))
				snprintf(err, n,
					 "add operation does not apply: doc is "
					 "missing path: \"%s\": missing value",
					 path);
			else
				snprintf(err, n,
					 "%s operation does not apply: doc is "
					 "missing destination path: %s: missing "
					 "value",
					 kind, path);
			json_decref(val);
			goto out;
		}
		if (!strcmp(kind, "replace")) {
			json_t *cur = NULL;
			if (con_get(con, key, &cur, err, n) || !cur) {
				snprintf(err, n,
					 "replace operation does not apply: doc "
					 "is missing key: %s: missing value",
					 path);
				json_decref(val);
				goto out;
			}
			if (json_is_object(con))
				json_object_set_new(con, key, val);
			else
				json_array_set_new(con,
						   (size_t)array_index(key), val);
			rc = 0;
			goto out;
		}
		char inner[256] = "";
		if (con_add(con, key, val, inner, sizeof inner)) {
			snprintf(err, n, "error in %s for path: '%s': %s", kind,
				 path, inner);
			goto out;
		}
		rc = 0;
	} else if (!strcmp(kind, "remove")) {
		con = find_parent(*doc, path, &key);
		if (!con) {
			snprintf(err, n,
				 "remove operation does not apply: doc is "
				 "missing path: \"%s\": missing value",
				 path);
			goto out;
		}
		char inner[256] = "";
		if (con_remove(con, key, inner, sizeof inner)) {
			snprintf(err, n, "error in remove for path: '%s': %s",
				 path, inner);
			goto out;
		}
		rc = 0;
	} else if (!strcmp(kind, "test")) {
		json_t *cur = NULL;
		if (!*path) {
			cur = *doc;
		} else {
			con = find_parent(*doc, path, &key);
			if (!con) {
				snprintf(err, n,
					 "test operation does not apply: is "
					 "missing path: %s: missing value",
					 path);
				goto out;
			}
			char inner[256] = "";
			if (con_get(con, key, &cur, inner, sizeof inner)) {
				snprintf(err, n, "error in test for path: '%s': %s",
					 path, inner);
				goto out;
			}
		}
		int same = cur ? (value && json_equal(cur, value))
			       : (!value || json_is_null(value));
		if (!same) {
			snprintf(err, n, "testing value %s failed: test failed",
				 path);
			goto out;
		}
		rc = 0;
	} else {
		snprintf(err, n, "Unexpected kind: %s", kind);
	}
out:
	free(key);
	return rc;
}

/* RFC 6902 on a copy of target; NULL with st set when an op fails. */
json_t *sim_json_patch(const json_t *target, const json_t *ops,
		       struct sim_status *st)
{
	if (!json_is_array(ops)) {
		set_status(st, 400, "BadRequest",
			   "json: cannot unmarshal %s into Go value of type "
			   "jsonpatch.Patch",
			   json_is_object(ops)   ? "object"
			   : json_is_string(ops) ? "string"
			   : json_is_number(ops) ? "number"
			   : json_is_boolean(ops) ? "bool"
						 : "null");
		return NULL;
	}
	if (json_array_size(ops) > 10000) {
		set_status(st, 413, "RequestEntityTooLarge",
			   "Request entity too large: The allowed maximum "
			   "operations in a JSON patch is 10000, got %zu",
			   json_array_size(ops));
		return NULL;
	}
	json_t *doc = json_deep_copy(target);
	size_t i;
	json_t *op;
	json_array_foreach(ops, i, op) {
		char err[512] = "";
		if (!json_is_object(op)) {
			set_status(st, 400, "BadRequest",
				   "json: cannot unmarshal %s into Go value of "
				   "type jsonpatch.Operation",
				   json_is_array(op) ? "array" : "string");
			json_decref(doc);
			return NULL;
		}
		if (apply_op(&doc, op, err, sizeof err)) {
			/* The real server answers a failed operation with
			 * NewGenericServerResponse(422, ...): the library's
			 * message (err) is not passed on to the client. */
			set_status(st, 422, "Invalid",
				   "the server rejected our request due to an "
				   "error in our request");
			if (st) {
				json_decref(st->details);
				st->details = json_object();
			}
			json_decref(doc);
			return NULL;
		}
	}
	return doc;
}

/* ---- strategic merge patch ------------------------------------------------ */

/* The error the real patcher would return: 400 for the malformed-format
 * errors (interpretStrategicMergePatchError), otherwise a plain error,
 * which the server answers as a 500 with no reason. */
struct smp {
	struct sim_status *st;
	int failed;
};

static void smp_fail(struct smp *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void smp_fail(struct smp *c, int code, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	if (c->failed)
		return;
	c->failed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	set_status(c->st, code, code == 400 ? "BadRequest" : "", "%s", msg);
}

static int is_directive(const char *k)
{
	return k[0] == '$';
}

/* A patch value stored as it is: directives and nulls dropped, as the
 * real server drops them (discardNullValuesFromPatch, then decoding into
 * the typed object). New reference. */
static json_t *smp_strip(const json_t *v)
{
	if (json_is_object(v)) {
		json_t *o = json_object();
		const char *k;
		json_t *x;
		json_object_foreach((json_t *)v, k, x) {
			if (is_directive(k) || json_is_null(x))
				continue;
			json_object_set_new(o, k, smp_strip(x));
		}
		return o;
	}
	if (json_is_array(v)) {
		json_t *a = json_array();
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) {
			if (json_is_object(x) && json_object_get(x, "$patch"))
				continue;
			json_array_append_new(a, smp_strip(x));
		}
		return a;
	}
	return json_deep_copy(v);
}

/* Go's %v of a JSON value, for the messages that quote a map. */
static void go_value(struct dbuf *b, const json_t *v)
{
	if (json_is_object(v)) {
		/* fmt prints maps sorted by key */
		size_t n = json_object_size(v), i = 0;
		const char **keys = xcalloc(n + 1, sizeof *keys);
		const char *k;
		json_t *x;
		json_object_foreach((json_t *)v, k, x) keys[i++] = k;
		for (size_t a = 1; a < n; a++)
			for (size_t c = a; c > 0 && strcmp(keys[c - 1], keys[c]) > 0;
			     c--) {
				const char *t = keys[c];
				keys[c] = keys[c - 1];
				keys[c - 1] = t;
			}
		dbuf_puts(b, "map[");
		for (i = 0; i < n; i++) {
			dbuf_printf(b, "%s%s:", i ? " " : "", keys[i]);
			go_value(b, json_object_get(v, keys[i]));
		}
		dbuf_puts(b, "]");
		free(keys);
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;
		dbuf_puts(b, "[");
		json_array_foreach(v, i, x) {
			if (i)
				dbuf_puts(b, " ");
			go_value(b, x);
		}
		dbuf_puts(b, "]");
	} else if (json_is_string(v)) {
		dbuf_puts(b, json_string_value(v));
	} else if (json_is_null(v)) {
		dbuf_puts(b, "<nil>");
	} else {
		char *s = json_dumps(v, JSON_ENCODE_ANY);
		dbuf_puts(b, s ? s : "");
		free(s);
	}
}

static void smp_no_merge_key(struct smp *c, const json_t *m, const char *key)
{
	struct dbuf b;
	dbuf_init(&b, 4096);
	go_value(&b, m);
	smp_fail(c, 500, "map: %s does not contain declared merge key: %s",
		 b.p ? b.p : "map[]", key);
	dbuf_free(&b);
}

static void smp_bad_patch_type(struct smp *c, const json_t *t, const json_t *m)
{
	struct dbuf b;
	dbuf_init(&b, 4096);
	go_value(&b, m);
	smp_fail(c, 500, "unknown patch type: %s in map: %s",
		 json_is_string(t) ? json_string_value(t) : "?",
		 b.p ? b.p : "map[]");
	dbuf_free(&b);
}

/* The identity of a list element: its merge key's value for maps, the
 * value itself for primitives. Borrowed. */
static const json_t *elem_id(const json_t *e, const char *key)
{
	return key ? json_object_get(e, key) : e;
}

/* index() of mergeSortedSlice: e's position in order, or -1. */
static long order_index(const json_t *order, const json_t *e, const char *key,
			int order_is_ids)
{
	const json_t *id = elem_id(e, key);
	size_t i;
	json_t *o;
	if (!id)
		return -1;
	json_array_foreach(order, i, o) {
		const json_t *oid = order_is_ids ? o : elem_id(o, key);
		if (oid && json_equal((json_t *)oid, (json_t *)id))
			return (long)i;
	}
	return -1;
}

/* normalizeElementOrder: the items named in `order` sorted by it, the
 * others kept in their server order, then the two merged as
 * mergeSortedSlice merges them against the server's order. Takes
 * ownership of merged; new reference. */
static json_t *smp_reorder(json_t *merged, const json_t *order,
			   int order_is_ids, const json_t *server,
			   const char *key)
{
	json_t *left = json_array(), *right = json_array();
	size_t i;
	json_t *e;
	json_array_foreach(merged, i, e) {
		if (order_index(order, e, key, order_is_ids) >= 0)
			json_array_append(right, e);
		else
			json_array_append(left, e);
	}
	/* stable insertion sort of right by position in order */
	size_t n = json_array_size(right);
	for (size_t a = 1; a < n; a++)
		for (size_t b = a; b > 0; b--) {
			json_t *x = json_array_get(right, b - 1);
			json_t *y = json_array_get(right, b);
			if (order_index(order, x, key, order_is_ids) <=
			    order_index(order, y, key, order_is_ids))
				break;
			json_incref(x);
			json_array_set(right, b - 1, y);
			json_array_set_new(right, b, x);
		}
	json_t *out = json_array();
	size_t li = 0, ri = 0, ln = json_array_size(left), rn = n;
	while (li < ln || ri < rn) {
		if (li >= ln) {
			json_array_append(out, json_array_get(right, ri++));
		} else if (ri >= rn) {
			json_array_append(out, json_array_get(left, li++));
		} else {
			long l = order_index(server, json_array_get(left, li), key, 0);
			long r = order_index(server, json_array_get(right, ri), key, 0);
			if (l >= 0 && r >= 0 && l < r)
				json_array_append(out, json_array_get(left, li++));
			else
				json_array_append(out, json_array_get(right, ri++));
		}
	}
	json_decref(left);
	json_decref(right);
	json_decref(merged);
	return out;
}

static json_t *smp_map(const json_t *orig, const json_t *patch,
		       const struct sim_type *t, struct smp *c, int depth);

/* mergeSlice for a list with the merge strategy. */
static json_t *smp_list(const json_t *orig, const json_t *patch,
			const struct sim_field *f, struct smp *c, int depth)
{
	const char *key = f ? f->merge_key : NULL;
	const struct sim_type *et = f ? sim_schema_type(f->type) : NULL;
	json_t *server = json_is_array(orig) ? json_deep_copy(orig) : json_array();
	int maps = json_is_object(json_array_get(patch, 0)) ||
		   json_is_object(json_array_get(server, 0));
	if (!maps) {
		/* primitives: union without duplicates, patch order kept */
		json_t *merged = json_deep_copy(server);
		size_t i;
		json_t *v;
		json_array_foreach(patch, i, v) {
			if (order_index(merged, v, NULL, 1) < 0)
				json_array_append(merged, v);
		}
		json_t *out = smp_reorder(merged, patch, 1, server, NULL);
		json_decref(server);
		return out;
	}
	if (!key) {
		smp_fail(c, 500, "cannot merge lists without merge key for %s",
			 f && f->name ? f->name : "list");
		json_decref(server);
		return NULL;
	}
	/* mergeSliceWithSpecialElements */
	json_t *plain = json_array();
	int replace = 0;
	size_t i;
	json_t *v;
	json_array_foreach(patch, i, v) {
		json_t *d = json_object_get(v, "$patch");
		if (!d) {
			json_array_append(plain, v);
			continue;
		}
		const char *ds = json_string_value(d);
		if (ds && !strcmp(ds, "delete")) {
			const json_t *id = json_object_get(v, key);
			if (!id) {
				smp_no_merge_key(c, v, key);
				goto fail;
			}
			for (size_t j = json_array_size(server); j-- > 0;)
				if (json_equal(elem_id(json_array_get(server, j), key),
					       (json_t *)id))
					json_array_remove(server, j);
		} else if (ds && !strcmp(ds, "replace")) {
			replace = 1;
		} else if (ds && !strcmp(ds, "merge")) {
			smp_fail(c, 500, "merging lists cannot yet be specified "
					 "in the patch");
			goto fail;
		} else {
			smp_bad_patch_type(c, d, v);
			goto fail;
		}
	}
	if (replace) {
		json_t *out = smp_strip(plain);
		json_decref(plain);
		json_decref(server);
		return out;
	}
	/* mergeSliceWithoutSpecialElements */
	json_t *merged = json_deep_copy(server);
	json_array_foreach(plain, i, v) {
		if (!json_is_object(v) || !json_object_get(v, key)) {
			if (json_is_object(v))
				smp_no_merge_key(c, v, key);
			else
				smp_fail(c, 500, "invalid value for a list of "
						 "maps: not a map");
			json_decref(merged);
			goto fail;
		}
		long at = order_index(merged, v, key, 0);
		json_t *m = smp_map(at >= 0 ? json_array_get(merged, (size_t)at)
					    : NULL,
				    v, et, c, depth + 1);
		if (!m) {
			json_decref(merged);
			goto fail;
		}
		if (at >= 0)
			json_array_set_new(merged, (size_t)at, m);
		else
			json_array_append_new(merged, m);
	}
	json_t *out = smp_reorder(merged, plain, 0, server, key);
	json_decref(plain);
	json_decref(server);
	return out;
fail:
	json_decref(plain);
	json_decref(server);
	return NULL;
}

/* Merge patch value v into the original value o (may be NULL) of field f
 * of type t. New reference, NULL on error. */
static json_t *smp_value(const json_t *o, const json_t *v,
			 const struct sim_type *t, const char *name,
			 struct smp *c, int depth)
{
	const struct sim_field *f = sim_schema_field(t, name);
	const struct sim_type *sub = f && f->shape == 0 ? sim_schema_type(f->type)
						       : NULL;
	if (depth > 200) {
		smp_fail(c, 400, "patch nests too deep");
		return NULL;
	}
	if (json_is_object(v) && (!o || json_is_object(o))) {
		if (f && f->strategy && !strcmp(f->strategy, "replace"))
			return smp_strip(v);
		return smp_map(o, v, sub, c, depth + 1);
	}
	if (json_is_array(v) && (!o || json_is_array(o))) {
		if (f && f->shape == 'a' && f->strategy &&
		    !strncmp(f->strategy, "merge", 5))
			return smp_list(o, v, f, c, depth + 1);
		return smp_strip(v);
	}
	return smp_strip(v);
}

static json_t *smp_map(const json_t *orig, const json_t *patch,
		       const struct sim_type *t, struct smp *c, int depth)
{
	json_t *d = json_object_get(patch, "$patch");
	if (d) {
		const char *ds = json_string_value(d);
		if (ds && !strcmp(ds, "replace"))
			return smp_strip(patch);
		if (ds && !strcmp(ds, "delete"))
			return json_object();
		smp_bad_patch_type(c, d, patch);
		return NULL;
	}
	json_t *out = json_is_object(orig) ? json_deep_copy(orig) : json_object();
	const char *k;
	json_t *v;

	/* applyRetainKeysDirective */
	json_t *retain = json_object_get(patch, "$retainKeys");
	if (retain) {
		if (!json_is_array(retain))
			goto bad_retain;
		json_object_foreach((json_t *)patch, k, v) {
			if (json_is_null(v) || is_directive(k))
				continue;
			size_t i;
			json_t *r;
			int found = 0;
			json_array_foreach(retain, i, r) if (json_is_string(r) &&
							     !strcmp(json_string_value(r), k))
				found = 1;
			if (!found)
				goto bad_retain;
		}
		void *iter = json_object_iter(out);
		while (iter) {
			const char *ok = json_object_iter_key(iter);
			void *next = json_object_iter_next(out, iter);
			size_t i;
			json_t *r;
			int found = 0;
			json_array_foreach(retain, i, r) if (json_is_string(r) &&
							     !strcmp(json_string_value(r), ok))
				found = 1;
			if (!found)
				json_object_del(out, ok);
			iter = next;
		}
	}

	/* mergePatchIntoOriginal: lists with $setElementOrder first */
	json_t *done = json_object();
	json_object_foreach((json_t *)patch, k, v) {
		if (strncmp(k, "$setElementOrder/", 17))
			continue;
		const char *lk = k + 17;
		if (!json_is_array(v)) {
			smp_fail(c, 400, "invalid patch format of "
					 "setElementOrder list");
			goto fail;
		}
		const struct sim_field *f = sim_schema_field(t, lk);
		const char *key = f ? f->merge_key : NULL;
		json_t *server = json_object_get(out, lk);
		json_t *pl = json_object_get(patch, lk);
		json_t *merged;
		if (pl)
			merged = smp_value(server, pl, t, lk, c, depth);
		else
			merged = json_is_array(server) ? json_deep_copy(server)
						       : json_array();
		if (!merged)
			goto fail;
		/* the order list names elements by their merge key */
		json_t *ids = json_array();
		size_t i;
		json_t *o;
		json_array_foreach(v, i, o)
			json_array_append(ids, key && json_is_object(o)
						       ? json_object_get(o, key)
						       : o);
		merged = smp_reorder(merged, ids, 1,
				     json_is_array(server) ? server : merged, key);
		json_decref(ids);
		json_object_set_new(out, lk, merged);
		json_object_set_new(done, lk, json_true());
	}

	json_object_foreach((json_t *)patch, k, v) {
		if (json_object_get(done, k))
			continue;
		if (!strncmp(k, "$deleteFromPrimitiveList/", 25)) {
			const char *lk = k + 25;
			json_t *cur = json_object_get(out, lk);
			if (!json_is_array(v)) {
				smp_fail(c, 400, "invalid patch format of "
						 "primitive list");
				goto fail;
			}
			if (!json_is_array(cur))
				continue;
			json_t *kept = json_array();
			size_t i;
			json_t *e;
			json_array_foreach(cur, i, e) if (order_index(v, e, NULL, 1) < 0)
				json_array_append(kept, e);
			json_object_set_new(out, lk, kept);
			continue;
		}
		if (is_directive(k))
			continue;
		if (json_is_null(v)) {
			json_object_del(out, k);
			continue;
		}
		json_t *m = smp_value(json_object_get(out, k), v, t, k, c, depth);
		if (!m)
			goto fail;
		json_object_set_new(out, k, m);
	}
	json_decref(done);
	return out;
bad_retain:
	smp_fail(c, 400, "invalid patch format of retainKeys");
	json_decref(out);
	return NULL;
fail:
	json_decref(done);
	json_decref(out);
	return NULL;
}

/* Strategic merge of patch into a copy of target; NULL with st set. */
json_t *sim_strategic_merge_patch(const struct sim_kind *k,
				  const json_t *target, const json_t *patch,
				  struct sim_status *st)
{
	struct smp c = { st, 0 };
	if (!json_is_object(patch)) {
		set_status(st, 400, "BadRequest",
			   "json: cannot unmarshal %s into Go value of type "
			   "map[string]interface {}",
			   json_is_array(patch)	   ? "array"
			   : json_is_string(patch) ? "string"
			   : json_is_number(patch) ? "number"
			   : json_is_boolean(patch) ? "bool"
						    : "null");
		return NULL;
	}
	const struct sim_type *t = k ? sim_schema_root(k->group, k->kind) : NULL;
	json_t *out = smp_map(target, patch, t, &c, 0);
	if (!out && !c.failed)
		set_status(st, 500, "", "strategic merge patch failed");
	return out;
}
