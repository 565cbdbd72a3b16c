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
