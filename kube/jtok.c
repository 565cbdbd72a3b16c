/*
 * jtok.c - a strict, fast JSON tokenizer for the list/watch hot path.
 *
 * Watch streams and LIST pages are the bulk of what the cluster sends, and
 * building a jansson tree for every event (hash tables, one allocation per
 * value) caps ingestion near 20,000 pod events per second. The cache only
 * reads a handful of fields per object, so this validates the whole text
 * (RFC 8259 grammar, UTF-8 inside strings, escapes, a depth limit) in one
 * pass and records a flat array of tokens, each knowing where its subtree
 * ends; lookups walk siblings without parsing anything again. Strings stay
 * in the caller's buffer; jtok_str() unescapes only what is asked for.
 */
#define _POSIX_C_SOURCE 200809L
#include "kube/kube.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Deep enough for any Kubernetes object, shallow enough for the C stack. */
#define JTOK_MAX_DEPTH 256

struct jtok_parser {
	struct jtok_doc *d;
	const unsigned char *s;
	size_t n, i;
	struct perr *e;
};

/* Byte classes for the string fast path: 0 plain ASCII, 1 needs a look
 * ('"', '\\', controls, bytes >= 0x80). */
static const unsigned char str_special[256] = {
	[0 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x80 ... 0xff] = 1,
};

static int fail(struct jtok_parser *p, const char *what)
{
	perr_set(p->e, "invalid JSON at byte %zu: %s", p->i, what);
	return -1;
}

static inline uint32_t push(struct jtok_parser *p, enum jtok_type type)
{
	struct jtok_doc *d = p->d;
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 256;
		d->t = xrealloc(d->t, d->cap * sizeof *d->t);
	}
	struct jtok *t = &d->t[d->n];
	t->type = (uint8_t)type;
	t->escaped = 0;
	t->start = (uint32_t)p->i;
	t->len = 0;
	t->next = 0;
	t->count = 0;
	return (uint32_t)d->n++;
}

static inline void skip_ws(struct jtok_parser *p)
{
	/* most JSON from the API server is compact: one test and out */
	if (p->i < p->n && p->s[p->i] > ' ')
		return;
	while (p->i < p->n) {
		unsigned char c = p->s[p->i];
		if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
			break;
		p->i++;
	}
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits at s (n bytes available) into *u; 0 / -1. */
static int hex4(const unsigned char *s, size_t n, unsigned *u)
{
	if (n < 4)
		return -1;
	unsigned v = 0;
	for (int k = 0; k < 4; k++) {
		int h = hexval(s[k]);
		if (h < 0)
			return -1;
		v = (v << 4) | (unsigned)h;
	}
	*u = v;
	return 0;
}

/* Length of the valid UTF-8 sequence at s, 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0], cp, min;
	size_t len;
	if (c >= 0xC2 && c <= 0xDF)
		len = 2, min = 0x80, cp = c & 0x1F;
	else if ((c & 0xF0) == 0xE0)
		len = 3, min = 0x800, cp = c & 0x0F;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4, min = 0x10000, cp = c & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t k = 1; k < len; k++) {
		if ((s[k] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[k] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

static int parse_string(struct jtok_parser *p)
{
	uint32_t ti = push(p, JTOK_STRING);
	p->i++; /* opening quote */
	size_t start = p->i;
	const unsigned char *s = p->s;
	size_t n = p->n, i = p->i;
	int escaped = 0;
	for (;;) {
		/* Eight bytes at a time, looking for a quote, backslash,
		 * control or non-ASCII byte: each test sets the high bit of
		 * such a byte (and maybe of later ones, by a borrow), so the
		 * lowest bit set is the first special byte, read as little
		 * endian. */
		while (i + 8 <= n) {
			const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
			uint64_t w;
			memcpy(&w, s + i, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
			w = __builtin_bswap64(w);
#endif
			uint64_t quote = w ^ (ones * '"'), bslash = w ^ (ones * '\\');
			uint64_t special = (w | ((quote - ones) & ~quote) | ((bslash - ones) & ~bslash) |
					    ((w - ones * 0x20) & ~w)) & high;
			if (special) {
				i += (size_t)__builtin_ctzll(special) >> 3;
				break;
			}
			i += 8;
		}
		while (i < n && !str_special[s[i]])
			i++;
		if (i >= n) {
			p->i = i;
			return fail(p, "unterminated string");
		}
		unsigned char c = s[i];
		if (c == '"')
			break;
		if (c < 0x20) {
			p->i = i;
			return fail(p, "control character in string");
		}
		if (c == '\\') {
			escaped = 1;
			if (i + 1 >= n) {
				p->i = i;
				return fail(p, "unterminated escape");
			}
			unsigned char x = s[i + 1];
			if (x == 'u') {
				unsigned u;
				if (hex4(s + i + 2, n - i - 2, &u) < 0) {
					p->i = i;
					return fail(p, "bad \\u escape");
				}
				i += 6;
				if (u >= 0xD800 && u <= 0xDBFF) {
					unsigned lo;
					if (i + 1 >= n || s[i] != '\\' || s[i + 1] != 'u' ||
					    hex4(s + i + 2, n - i - 2, &lo) < 0 || lo < 0xDC00 ||
					    lo > 0xDFFF) {
						p->i = i;
						return fail(p, "unpaired surrogate escape");
					}
					i += 6;
				} else if (u >= 0xDC00 && u <= 0xDFFF) {
					p->i = i;
					return fail(p, "unpaired surrogate escape");
				}
				continue;
			}
			if (!strchr("\"\\/bfnrt", x) || x == 0) {
				p->i = i;
				return fail(p, "bad escape");
			}
			i += 2;
			continue;
		}
		size_t l = utf8_len(s + i, n - i);
		if (!l) {
			p->i = i;
			return fail(p, "invalid UTF-8");
		}
		i += l;
	}
	struct jtok *t = &p->d->t[ti];
	t->start = (uint32_t)start;
	t->len = (uint32_t)(i - start);
	t->escaped = (uint8_t)escaped;
	t->next = ti + 1;
	p->i = i + 1;
	return 0;
}

static int parse_number(struct jtok_parser *p)
{
	uint32_t ti = push(p, JTOK_NUMBER);
	const unsigned char *s = p->s;
	size_t n = p->n, i = p->i, start = i;
	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0') {
		i++;
	} else if (i < n && s[i] >= '1' && s[i] <= '9') {
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	} else {
		p->i = i;
		return fail(p, "bad number");
	}
	if (i < n && s[i] == '.') {
		i++;
		if (i >= n || s[i] < '0' || s[i] > '9') {
			p->i = i;
			return fail(p, "bad fraction");
		}
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || s[i] < '0' || s[i] > '9') {
			p->i = i;
			return fail(p, "bad exponent");
		}
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	struct jtok *t = &p->d->t[ti];
	t->start = (uint32_t)start;
	t->len = (uint32_t)(i - start);
	t->next = ti + 1;
	p->i = i;
	return 0;
}

static int parse_word(struct jtok_parser *p, const char *w, enum jtok_type type)
{
	size_t l = strlen(w);
	if (p->n - p->i < l || memcmp(p->s + p->i, w, l) != 0)
		return fail(p, "unexpected character");
	uint32_t ti = push(p, type);
	p->d->t[ti].len = (uint32_t)l;
	p->d->t[ti].next = ti + 1;
	p->i += l;
	return 0;
}

static int parse_value(struct jtok_parser *p, int depth);

static int parse_container(struct jtok_parser *p, int depth, int object)
{
	if (depth >= JTOK_MAX_DEPTH)
		return fail(p, "nested too deeply");
	uint32_t ti = push(p, object ? JTOK_OBJECT : JTOK_ARRAY);
	size_t start = p->i;
	uint32_t count = 0;
	p->i++;
	skip_ws(p);
	char close = object ? '}' : ']';
	if (p->i < p->n && p->s[p->i] == (unsigned char)close) {
		p->i++;
	} else {
		for (;;) {
			skip_ws(p);
			if (object) {
				if (p->i >= p->n || p->s[p->i] != '"')
					return fail(p, "expected a member name");
				if (parse_string(p) < 0)
					return -1;
				skip_ws(p);
				if (p->i >= p->n || p->s[p->i] != ':')
					return fail(p, "expected ':'");
				p->i++;
				skip_ws(p);
			}
			if (parse_value(p, depth + 1) < 0)
				return -1;
			count++;
			skip_ws(p);
			if (p->i >= p->n)
				return fail(p, "unterminated container");
			unsigned char c = p->s[p->i++];
			if (c == (unsigned char)close)
				break;
			if (c != ',')
				return fail(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
		}
	}
	struct jtok *t = &p->d->t[ti];
	t->start = (uint32_t)start;
	t->len = (uint32_t)(p->i - start);
	t->count = count;
	t->next = (uint32_t)p->d->n;
	return 0;
}

static int parse_value(struct jtok_parser *p, int depth)
{
	if (p->i >= p->n)
		return fail(p, "unexpected end");
	switch (p->s[p->i]) {
	case '{':
		return parse_container(p, depth, 1);
	case '[':
		return parse_container(p, depth, 0);
	case '"':
		return parse_string(p);
	case 't':
		return parse_word(p, "true", JTOK_TRUE);
	case 'f':
		return parse_word(p, "false", JTOK_FALSE);
	case 'n':
		return parse_word(p, "null", JTOK_NULL);
	default:
		return parse_number(p);
	}
}

int jtok_parse(struct jtok_doc *d, const char *buf, size_t len, struct perr *e)
{
	d->buf = buf;
	d->len = len;
	d->n = 0;
	if (len > JTOK_MAX_TEXT) {
		perr_set(e, "JSON text of %zu bytes is larger than %u", len,
			 (unsigned)JTOK_MAX_TEXT);
		return -1;
	}
	struct jtok_parser p = { d, (const unsigned char *)buf, len, 0, e };
	skip_ws(&p);
	if (p.i >= p.n) {
		perr_set(e, "empty JSON text");
		return -1;
	}
	if (parse_value(&p, 0) < 0) {
		d->n = 0;
		return -1;
	}
	skip_ws(&p);
	if (p.i != p.n) {
		fail(&p, "trailing data after the value");
		d->n = 0;
		return -1;
	}
	return 0;
}

void jtok_doc_free(struct jtok_doc *d)
{
	if (!d)
		return;
	free(d->t);
	d->t = NULL;
	d->n = d->cap = 0;
}

int jtok_get(const struct jtok_doc *d, int obj, const char *key)
{
	if (obj < 0 || (size_t)obj >= d->n || d->t[obj].type != JTOK_OBJECT)
		return -1;
	size_t kl = strlen(key);
	uint32_t end = d->t[obj].next;
	uint32_t i = (uint32_t)obj + 1;
	while (i < end) {
		const struct jtok *k = &d->t[i];
		/* Keys with escapes never match a plain C key: Kubernetes field
		 * names are plain ASCII, and a crafted "\u006eame" must not be
		 * taken for "name" by one reader and not another. */
		if (k->len == kl && !k->escaped && memcmp(d->buf + k->start, key, kl) == 0)
			return (int)i + 1;
		i = d->t[i + 1].next;
	}
	return -1;
}

int jtok_path(const struct jtok_doc *d, int tok, const char *const *keys)
{
	for (; *keys && tok >= 0; keys++)
		tok = jtok_get(d, tok, *keys);
	return tok;
}

int jtok_child(const struct jtok_doc *d, int tok, int cur)
{
	if (tok < 0 || (size_t)tok >= d->n)
		return -1;
	const struct jtok *t = &d->t[tok];
	if (t->type != JTOK_ARRAY && t->type != JTOK_OBJECT)
		return -1;
	uint32_t i;
	if (cur < 0)
		i = (uint32_t)tok + 1;
	else if (t->type == JTOK_OBJECT) /* cur is a key: skip its value */
		i = d->t[cur + 1].next;
	else
		i = d->t[cur].next;
	return i < t->next ? (int)i : -1;
}

/* Append the code point cp as UTF-8. */
static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Unescape a validated string token into out (room for t->len + 1). A
 * \u0000 escape would cut a C string short; it becomes U+FFFD. */
static size_t unescape(const struct jtok_doc *d, const struct jtok *t, char *out)
{
	const unsigned char *s = (const unsigned char *)d->buf + t->start;
	size_t n = t->len, o = 0;
	if (!t->escaped) {
		memcpy(out, s, n);
		out[n] = '\0';
		return n;
	}
	for (size_t i = 0; i < n;) {
		if (s[i] != '\\') {
			out[o++] = (char)s[i++];
			continue;
		}
		unsigned char x = s[i + 1];
		i += 2;
		switch (x) {
		case 'b': out[o++] = '\b'; break;
		case 'f': out[o++] = '\f'; break;
		case 'n': out[o++] = '\n'; break;
		case 'r': out[o++] = '\r'; break;
		case 't': out[o++] = '\t'; break;
		case 'u': {
			unsigned u = 0, lo = 0;
			hex4(s + i, n - i, &u);
			i += 4;
			if (u >= 0xD800 && u <= 0xDBFF) {
				hex4(s + i + 2, n - i - 2, &lo);
				i += 6;
				u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
			}
			if (u == 0)
				u = 0xFFFD;
			o += put_utf8(out + o, u);
			break;
		}
		default: out[o++] = (char)x; break;
		}
	}
	out[o] = '\0';
	return o;
}

char *jtok_str(const struct jtok_doc *d, int tok)
{
	if (tok < 0 || (size_t)tok >= d->n || d->t[tok].type != JTOK_STRING)
		return NULL;
	const struct jtok *t = &d->t[tok];
	/* Escapes only shrink (\uXXXX is 6 bytes for at most 3 of UTF-8, a
	 * surrogate pair 12 for 4), so the raw length bounds the result. */
	char *out = xmalloc((size_t)t->len + 1);
	unescape(d, t, out);
	return out;
}

size_t jtok_str_copy(const struct jtok_doc *d, int tok, char *out)
{
	if (tok < 0 || (size_t)tok >= d->n || d->t[tok].type != JTOK_STRING) {
		out[0] = '\0';
		return 0;
	}
	return unescape(d, &d->t[tok], out);
}

int jtok_str_eq(const struct jtok_doc *d, int tok, const char *s)
{
	if (tok < 0 || (size_t)tok >= d->n || d->t[tok].type != JTOK_STRING)
		return 0;
	const struct jtok *t = &d->t[tok];
	size_t l = strlen(s);
	if (!t->escaped)
		return t->len == l && memcmp(d->buf + t->start, s, l) == 0;
	char *u = jtok_str(d, tok);
	int eq = strcmp(u, s) == 0;
	free(u);
	return eq;
}

int jtok_int(const struct jtok_doc *d, int tok, long long *out)
{
	if (tok < 0 || (size_t)tok >= d->n || d->t[tok].type != JTOK_NUMBER)
		return -1;
	const struct jtok *t = &d->t[tok];
	char num[32];
	if (t->len >= sizeof num)
		return -1;
	memcpy(num, d->buf + t->start, t->len);
	num[t->len] = '\0';
	if (strpbrk(num, ".eE"))
		return -1;
	char *end;
	long long v = strtoll(num, &end, 10);
	if (*end)
		return -1;
	*out = v;
	return 0;
}

/* Build the jansson value for token i; sets *next to the token after it. */
static json_t *to_json(const struct jtok_doc *d, uint32_t i, const char *skip)
{
	const struct jtok *t = &d->t[i];
	switch ((enum jtok_type)t->type) {
	case JTOK_OBJECT: {
		json_t *o = json_object();
		for (uint32_t k = i + 1; k < t->next; k = d->t[k + 1].next) {
			if (skip && jtok_str_eq(d, (int)k, skip))
				continue;
			char *key = jtok_str(d, (int)k);
			/* set_new_nocheck: keys were validated as UTF-8 already */
			json_object_set_new_nocheck(o, key, to_json(d, k + 1, skip));
			free(key);
		}
		return o;
	}
	case JTOK_ARRAY: {
		json_t *a = json_array();
		for (uint32_t k = i + 1; k < t->next; k = d->t[k].next)
			json_array_append_new(a, to_json(d, k, skip));
		return a;
	}
	case JTOK_STRING: {
		char *s = xmalloc((size_t)t->len + 1);
		size_t l = unescape(d, t, s);
		json_t *v = json_stringn(s, l);
		free(s);
		return v;
	}
	case JTOK_NUMBER: {
		long long v;
		if (jtok_int(d, (int)i, &v) == 0)
			return json_integer(v);
		char num[64];
		size_t l = t->len < sizeof num - 1 ? t->len : sizeof num - 1;
		memcpy(num, d->buf + t->start, l);
		num[l] = '\0';
		return json_real(strtod(num, NULL));
	}
	case JTOK_TRUE:
		return json_true();
	case JTOK_FALSE:
		return json_false();
	case JTOK_NULL:
	default:
		return json_null();
	}
}

json_t *jtok_to_json(const struct jtok_doc *d, int tok)
{
	if (tok < 0 || (size_t)tok >= d->n)
		return NULL;
	return to_json(d, (uint32_t)tok, NULL);
}

json_t *jtok_to_json_skip(const struct jtok_doc *d, int tok, const char *skip)
{
	if (tok < 0 || (size_t)tok >= d->n)
		return NULL;
	return to_json(d, (uint32_t)tok, skip);
}
