/*
 * selector.c - label and field selectors as the real API server parses and
 * matches them, with its error messages.
 *
 * Labels follow k8s.io/apimachinery/pkg/labels/selector.go: a lexer that
 * reads identifiers and the longest operator among = == != ! ( ) , < >,
 * and a recursive-descent parser whose messages ("unable to parse
 * requirement: found '=', expected: identifier") the 400 carries word for
 * word. Fields follow pkg/fields/selector.go (key=value terms joined by
 * commas, '\' escapes) plus the per-kind field label conversion functions
 * that decide which fields each kind serves.
 */
#include "kube/sim/sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube.h"

enum op { OP_EQ, OP_NE, OP_IN, OP_NOTIN, OP_EXISTS, OP_NOT_EXISTS, OP_GT,
	  OP_LT };

struct req {
	char *key;   /* a label key, or a field path */
	enum op op;
	char **vals;
	int nvals;
};

struct sim_selector {
	int nreq;
	struct req *reqs;
	int fields; /* keys are field paths, values compared as strings */
};

/* Free a selector; NULL is fine. */
void sim_selector_free(struct sim_selector *sel)
{
	if (!sel)
		return;
	for (int i = 0; i < sel->nreq; i++) {
		free(sel->reqs[i].key);
		for (int j = 0; j < sel->reqs[i].nvals; j++)
			free(sel->reqs[i].vals[j]);
		free(sel->reqs[i].vals);
	}
	free(sel->reqs);
	free(sel);
}

static struct req *add_req(struct sim_selector *sel, const char *key,
			   size_t keylen, enum op op)
{
	sel->reqs = xrealloc(sel->reqs, sizeof *sel->reqs * (sel->nreq + 1));
	struct req *r = &sel->reqs[sel->nreq++];
	r->key = xstrndup(key, keylen);
	r->op = op;
	r->vals = NULL;
	r->nvals = 0;
	return r;
}

/* Values are a set: the real parser uses sets.String. */
static void add_val(struct req *r, const char *v, size_t n)
{
	for (int i = 0; i < r->nvals; i++)
		if (strlen(r->vals[i]) == n && !memcmp(r->vals[i], v, n))
			return;
	r->vals = xrealloc(r->vals, sizeof *r->vals * (r->nvals + 1));
	r->vals[r->nvals++] = xstrndup(v, n);
}

/* ---- the label lexer ---------------------------------------------------- */

enum tok { T_ERROR, T_END, T_ID, T_NOT, T_EQ, T_DEQ, T_NE, T_IN, T_NOTIN,
	   T_LPAR, T_RPAR, T_COMMA, T_GT, T_LT };

static const struct {
	const char *s;
	enum tok t;
} string2token[] = {
	{ ")", T_RPAR }, { ",", T_COMMA }, { "!", T_NOT },   { "==", T_DEQ },
	{ "=", T_EQ },	 { ">", T_GT },	   { "in", T_IN },   { "<", T_LT },
	{ "!=", T_NE },	 { "notin", T_NOTIN }, { "(", T_LPAR },
};

struct token {
	enum tok t;
	const char *lit; /* into the input, or into err for T_ERROR */
	size_t len;
};

struct lexer {
	const char *s;
	size_t pos;
	struct token items[2]; /* one token of lookahead */
	int have;
	char err[160];
};

static int is_special(char c)
{
	return c && strchr("=!(),><", c);
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static enum tok lookup(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof string2token / sizeof string2token[0];
	     i++)
		if (strlen(string2token[i].s) == n &&
		    !memcmp(string2token[i].s, s, n))
			return string2token[i].t;
	return T_ERROR;
}

static struct token lex(struct lexer *l)
{
	struct token t = { T_END, "", 0 };
	while (is_space(l->s[l->pos]))
		l->pos++;
	const char *p = l->s + l->pos;
	if (!*p)
		return t;
	if (is_special(*p)) {
		/* the longest run of specials that is still a token */
		size_t n = 0, best = 0;
		enum tok bt = T_ERROR;
		while (is_special(p[n])) {
			n++;
			enum tok x = lookup(p, n);
			if (x != T_ERROR) {
				bt = x;
				best = n;
			} else if (bt != T_ERROR) {
				break;
			}
		}
		if (bt == T_ERROR) {
			snprintf(l->err, sizeof l->err,
				 "error expected: keyword found '%.*s'",
				 (int)n, p);
			l->pos += n;
			t.t = T_ERROR;
			t.lit = l->err;
			t.len = strlen(l->err);
			return t;
		}
		l->pos += best;
		t.t = bt;
		t.lit = p;
		t.len = best;
		return t;
	}
	size_t n = 0;
	while (p[n] && !is_special(p[n]) && !is_space(p[n]))
		n++;
	l->pos += n;
	t.lit = p;
	t.len = n;
	t.t = lookup(p, n);
	if (t.t != T_IN && t.t != T_NOTIN)
		t.t = T_ID;
	return t;
}

/* In the Values context "in" and "notin" are plain identifiers
 * (Parser.consume/lookahead with Values). */
static struct token values_ctx(struct token t)
{
	if (t.t == T_IN || t.t == T_NOTIN)
		t.t = T_ID;
	return t;
}

static struct token peek(struct lexer *l)
{
	if (!l->have) {
		l->items[0] = lex(l);
		l->have = 1;
	}
	return l->items[0];
}

static struct token next(struct lexer *l)
{
	struct token t = peek(l);
	l->have = 0;
	return t;
}

/* ---- the label parser ------------------------------------------------- */

static int check_key(const struct token *t, char *err, size_t n)
{
	struct kube_verrs v;
	char *k = xstrndup(t->lit, t->len);
	kube_check_qualified_name(k, &v);
	if (v.n) {
		int o = snprintf(err, n, "invalid label key \"%s\": ", k);
		for (int i = 0; i < v.n && o > 0 && (size_t)o < n; i++)
			o += snprintf(err + o, n - (size_t)o, "%s%s",
				      i ? "; " : "", v.msg[i]);
	}
	free(k);
	return v.n ? -1 : 0;
}

static int check_value(const struct req *r, char *err, size_t n)
{
	for (int j = 0; j < r->nvals; j++) {
		struct kube_verrs v;
		kube_check_label_value(r->vals[j], &v);
		if (!v.n)
			continue;
		int o = snprintf(err, n,
				 "invalid label value: \"%s\": at key: \"%s\": ",
				 r->vals[j], r->key);
		for (int i = 0; i < v.n && o > 0 && (size_t)o < n; i++)
			o += snprintf(err + o, n - (size_t)o, "%s%s",
				      i ? "; " : "", v.msg[i]);
		return -1;
	}
	return 0;
}

/* (a, b, c) after in/notin: parseValues and parseIdentifiersList. */
static int parse_values(struct lexer *l, struct req *r, char *err, size_t n)
{
	struct token t = values_ctx(next(l));
	if (t.t != T_LPAR) {
		snprintf(err, n, "found '%.*s' expected: '('", (int)t.len, t.lit);
		return -1;
	}
	t = values_ctx(peek(l));
	if (t.t == T_RPAR) {
		next(l);
		add_val(r, "", 0);
		return 0;
	}
	if (t.t != T_ID && t.t != T_COMMA) {
		snprintf(err, n, "found '%.*s', expected: ',', ')' or identifier",
			 (int)t.len, t.lit);
		return -1;
	}
	struct token first = t;
	for (;;) {
		t = values_ctx(next(l));
		if (t.t == T_ID) {
			add_val(r, t.lit, t.len);
			struct token t2 = values_ctx(peek(l));
			if (t2.t == T_COMMA)
				continue;
			if (t2.t == T_RPAR)
				break;
			snprintf(err, n, "found '%.*s', expected: ',' or ')'",
				 (int)t2.len, t2.lit);
			return -1;
		} else if (t.t == T_COMMA) {
			if (r->nvals == 0)
				add_val(r, "", 0);
			struct token t2 = values_ctx(peek(l));
			if (t2.t == T_RPAR) {
				add_val(r, "", 0);
				break;
			}
			if (t2.t == T_COMMA) {
				next(l);
				add_val(r, "", 0);
			}
		} else {
			snprintf(err, n, "found '%.*s', expected: ',', or identifier",
				 (int)t.len, t.lit);
			return -1;
		}
	}
	t = values_ctx(next(l));
	if (t.t != T_RPAR) {
		/* the real parser reports the token it looked at first */
		snprintf(err, n, "found '%.*s', expected: ')'", (int)first.len,
			 first.lit);
		return -1;
	}
	return 0;
}

static int parse_requirement(struct lexer *l, struct sim_selector *sel,
			     char *err, size_t n)
{
	int not_exists = 0;
	struct token t = values_ctx(next(l));
	if (t.t == T_NOT) {
		not_exists = 1;
		t = values_ctx(next(l));
	}
	if (t.t != T_ID) {
		snprintf(err, n, "found '%.*s', expected: identifier", (int)t.len,
			 t.lit);
		return -1;
	}
	if (check_key(&t, err, n))
		return -1;
	struct token la = values_ctx(peek(l));
	/* "!a" ends the requirement whatever follows ("!a=b" then fails
	 * in the caller on '='). */
	if (not_exists || la.t == T_END || la.t == T_COMMA) {
		add_req(sel, t.lit, t.len, not_exists ? OP_NOT_EXISTS : OP_EXISTS);
		return 0;
	}
	struct token o = next(l);
	enum op op;
	switch (o.t) {
	case T_IN: op = OP_IN; break;
	case T_NOTIN: op = OP_NOTIN; break;
	case T_EQ: case T_DEQ: op = OP_EQ; break;
	case T_NE: op = OP_NE; break;
	case T_GT: op = OP_GT; break;
	case T_LT: op = OP_LT; break;
	default:
		snprintf(err, n,
			 "found '%.*s', expected: in, notin, =, ==, !=, gt, lt",
			 (int)o.len, o.lit);
		return -1;
	}
	struct req *r = add_req(sel, t.lit, t.len, op);
	if (op == OP_IN || op == OP_NOTIN) {
		if (parse_values(l, r, err, n))
			return -1;
	} else {
		struct token v = values_ctx(peek(l));
		if (v.t == T_END || v.t == T_COMMA) {
			add_val(r, "", 0);
		} else {
			v = values_ctx(next(l));
			if (v.t != T_ID) {
				snprintf(err, n, "found '%.*s', expected: identifier",
					 (int)v.len, v.lit);
				return -1;
			}
			add_val(r, v.lit, v.len);
		}
	}
	if (op == OP_GT || op == OP_LT) {
		char *end;
		strtoll(r->vals[0], &end, 10);
		if (!r->vals[0][0] || *end) {
			snprintf(err, n, "for 'Gt', 'Lt' operators, the value must "
					 "be an integer");
			return -1;
		}
	}
	return check_value(r, err, n);
}

/* Parse a label selector; NULL with the real 400 in st. */
struct sim_selector *sim_label_selector_parse(const char *s,
					      struct sim_status *st)
{
	struct sim_selector *sel = xcalloc(1, sizeof *sel);
	struct lexer l = { .s = s ? s : "" };
	char err[768] = "";
	for (;;) {
		struct token t = values_ctx(peek(&l));
		if (t.t == T_END)
			return sel;
		if (t.t != T_ID && t.t != T_NOT) {
			snprintf(err, sizeof err,
				 "found '%.*s', expected: !, identifier, or "
				 "'end of string'",
				 (int)t.len, t.lit);
			goto fail;
		}
		char rerr[700] = "";
		if (parse_requirement(&l, sel, rerr, sizeof rerr)) {
			snprintf(err, sizeof err, "unable to parse requirement: %s",
				 rerr);
			goto fail;
		}
		t = values_ctx(next(&l));
		if (t.t == T_END)
			return sel;
		if (t.t != T_COMMA) {
			snprintf(err, sizeof err,
				 "found '%.*s', expected: ',' or 'end of string'",
				 (int)t.len, t.lit);
			goto fail;
		}
		t = values_ctx(peek(&l));
		if (t.t != T_ID && t.t != T_NOT) {
			snprintf(err, sizeof err,
				 "found '%.*s', expected: identifier after ','",
				 (int)t.len, t.lit);
			goto fail;
		}
	}
fail:
	sim_status_bad_request(st, "%s", err);
	sim_selector_free(sel);
	return NULL;
}

/* ---- field selectors ---------------------------------------------------- */

/* The fields each kind's field label conversion function accepts; kinds
 * without one accept only metadata.name and metadata.namespace and answer
 * with the default message. */
static const struct field_set {
	const char *group, *kind;
	const char *fields[16];
} field_sets[] = {
	{ "", "Pod",
	  { "metadata.name", "metadata.namespace", "spec.nodeName",
	    "spec.restartPolicy", "spec.schedulerName",
	    "spec.serviceAccountName", "status.phase", "status.podIP",
	    "status.nominatedNodeName" } },
	{ "", "Event",
	  { "metadata.name", "metadata.namespace", "involvedObject.kind",
	    "involvedObject.namespace", "involvedObject.name",
	    "involvedObject.uid", "involvedObject.apiVersion",
	    "involvedObject.resourceVersion", "involvedObject.fieldPath",
	    "reason", "reportingComponent", "source", "type" } },
	{ "", "Node", { "metadata.name", "spec.unschedulable" } },
	{ "", "Namespace", { "metadata.name", "status.phase" } },
	{ "", "Secret", { "metadata.name", "metadata.namespace", "type" } },
	{ "apps", "ReplicaSet",
	  { "metadata.name", "metadata.namespace", "status.replicas" } },
	{ "batch", "Job",
	  { "metadata.name", "metadata.namespace", "status.successful" } },
};

static const struct field_set *field_set_for(const struct sim_kind *k)
{
	if (!k)
		return NULL;
	for (size_t i = 0; i < sizeof field_sets / sizeof field_sets[0]; i++)
		if (!strcmp(field_sets[i].group, k->group) &&
		    !strcmp(field_sets[i].kind, k->kind))
			return &field_sets[i];
	return NULL;
}

/* 0 when kind k serves field label f, else -1 with the 400 set. */
static int field_supported(const struct sim_kind *k, const char *f,
			   struct sim_status *st)
{
	const struct field_set *fs = field_set_for(k);
	if (!fs) {
		if (!strcmp(f, "metadata.name") || !strcmp(f, "metadata.namespace"))
			return 0;
		sim_status_bad_request(st,
			    "\"%s\" is not a known field selector: only "
			    "\"metadata.name\", \"metadata.namespace\"",
			    f);
		return -1;
	}
	for (int i = 0; fs->fields[i]; i++)
		if (!strcmp(fs->fields[i], f))
			return 0;
	sim_status_bad_request(st, "field label not supported: %s", f);
	return -1;
}

/* UnescapeValue: \\ \, \= only; an unescaped , or = is an error. */
static char *unescape(const char *s, size_t n, struct sim_status *st)
{
	char *out = xmalloc(n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\') {
			if (i + 1 >= n || !strchr("\\,=", s[i + 1])) {
				sim_status_bad_request(st,
					    "invalid field selector: invalid "
					    "escape sequence: \\%.*s",
					    i + 1 < n ? 1 : 0, s + i + 1);
				free(out);
				return NULL;
			}
			out[o++] = s[++i];
		} else if (s[i] == ',' || s[i] == '=') {
			sim_status_bad_request(st,
				    "invalid field selector: unescaped character "
				    "in value: %c",
				    s[i]);
			free(out);
			return NULL;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

/* Parse a field selector for kind k; NULL with the real 400 in st. */
struct sim_selector *sim_field_selector_parse(const struct sim_kind *k,
					      const char *s,
					      struct sim_status *st)
{
	struct sim_selector *sel = xcalloc(1, sizeof *sel);
	sel->fields = 1;
	s = s ? s : "";
	size_t start = 0, len = strlen(s);
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] == '\\') {
			i++;
			continue;
		}
		if (i < len && s[i] != ',')
			continue;
		const char *term = s + start;
		size_t tn = i - start;
		start = i + 1;
		if (tn == 0)
			continue;
		/* splitTerm: the first !=, == or = not after a '\' */
		size_t opos = 0, olen = 0;
		enum op op = OP_EQ;
		for (size_t j = 0; j < tn && !olen; j++) {
			if (term[j] == '\\') {
				j++;
				continue;
			}
			if (j + 1 < tn && term[j] == '!' && term[j + 1] == '=') {
				op = OP_NE;
				olen = 2;
			} else if (j + 1 < tn && term[j] == '=' &&
				   term[j + 1] == '=') {
				olen = 2;
			} else if (term[j] == '=') {
				olen = 1;
			}
			opos = j;
		}
		if (!olen) {
			sim_status_bad_request(st,
				    "invalid selector: '%s'; can't understand "
				    "'%.*s'",
				    s, (int)tn, term);
			goto fail;
		}
		char *key = xstrndup(term, opos);
		if (field_supported(k, key, st)) {
			free(key);
			goto fail;
		}
		char *val = unescape(term + opos + olen, tn - opos - olen, st);
		if (!val) {
			free(key);
			goto fail;
		}
		struct req *r = add_req(sel, key, strlen(key), op);
		add_val(r, val, strlen(val));
		free(key);
		free(val);
	}
	return sel;
fail:
	sim_selector_free(sel);
	return NULL;
}

/* ---- matching ---------------------------------------------------------- */

/* The field's value as the server's *ToSelectableFields renders it:
 * strings as they are, booleans and numbers in Go's %v, absent as "". */
static char *field_value(const json_t *obj, const char *path)
{
	const json_t *v = obj;
	const char *p = path;
	while (v && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		char key[64];
		if (n >= sizeof key)
			return xstrdup("");
		memcpy(key, p, n);
		key[n] = '\0';
		v = json_is_object(v) ? json_object_get(v, key) : NULL;
		p = dot ? dot + 1 : p + n;
	}
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_boolean(v))
		return xstrdup(json_is_true(v) ? "true" : "false");
	if (json_is_integer(v))
		return xasprintf("%lld", (long long)json_integer_value(v));
	/* spec.unschedulable and status.successful default to false / 0 */
	if (!strcmp(path, "spec.unschedulable"))
		return xstrdup("false");
	if (!strcmp(path, "status.successful") ||
	    !strcmp(path, "status.replicas"))
		return xstrdup("0");
	return xstrdup("");
}

static int in_set(const struct req *r, const char *v)
{
	for (int i = 0; i < r->nvals; i++)
		if (!strcmp(r->vals[i], v))
			return 1;
	return 0;
}

static int match_label_req(const struct req *r, const json_t *labels)
{
	const json_t *jv = json_object_get(labels, r->key);
	const char *v = json_is_string(jv) ? json_string_value(jv) : NULL;
	switch (r->op) {
	case OP_EQ:
	case OP_IN:
		return v && in_set(r, v);
	case OP_NE:
	case OP_NOTIN:
		return !v || !in_set(r, v);
	case OP_EXISTS:
		return v != NULL;
	case OP_NOT_EXISTS:
		return v == NULL;
	case OP_GT:
	case OP_LT: {
		char *end;
		if (!v)
			return 0;
		long long have = strtoll(v, &end, 10);
		if (!*v || *end)
			return 0;
		long long want = strtoll(r->vals[0], NULL, 10);
		return r->op == OP_GT ? have > want : have < want;
	}
	}
	return 0;
}

/* Non-zero when obj matches sel (NULL matches everything). */
int sim_selector_match(const struct sim_selector *sel, const json_t *obj)
{
	if (!sel)
		return 1;
	const json_t *labels =
		json_object_get(json_object_get(obj, "metadata"), "labels");
	for (int i = 0; i < sel->nreq; i++) {
		const struct req *r = &sel->reqs[i];
		int ok;
		if (sel->fields) {
			char *v = field_value(obj, r->key);
			ok = !strcmp(v, r->vals[0]) == (r->op == OP_EQ);
			free(v);
		} else {
			ok = match_label_req(r, labels);
		}
		if (!ok)
			return 0;
	}
	return 1;
}
