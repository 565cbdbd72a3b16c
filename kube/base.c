/*
 * base.c - allocation wrappers, the error struct, capped buffers and the
 * terminal-safety sanitiser shared by every part of Podium.
 */
#define _POSIX_C_SOURCE 200809L
#include "kube/base.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void (*fatal_hook)(void);

void x_set_fatal_hook(void (*hook)(void))
{
	fatal_hook = hook;
}

static void oom(size_t n)
{
	if (fatal_hook)
		fatal_hook();
	fprintf(stderr, "podium: out of memory allocating %zu bytes\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom(n * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *xstrdup(const char *s)
{
	if (!s)
		return NULL;
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	va_list aq;
	va_copy(aq, ap);
	int n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		n = 0;
	char *p = xmalloc((size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

void perr_set(struct perr *e, const char *fmt, ...)
{
	if (!e || e->msg[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	/* One line: cut at the first newline. */
	char *nl = strpbrk(e->msg, "\r\n");
	if (nl)
		*nl = '\0';
	if (!e->msg[0])
		snprintf(e->msg, sizeof e->msg, "unknown error");
}

void perr_clear(struct perr *e)
{
	if (e)
		e->msg[0] = '\0';
}

int perr_isset(const struct perr *e)
{
	return e && e->msg[0];
}

void dbuf_init(struct dbuf *b, size_t max)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

int dbuf_append(struct dbuf *b, const void *data, size_t n)
{
	if (b->max && b->len + n > b->max)
		return -1;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = xrealloc(b->p, cap);
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int dbuf_reserve(struct dbuf *b, size_t n)
{
	if (b->max && b->len + n > b->max)
		return -1;
	if (b->len + n + 1 > b->cap) {
		b->p = xrealloc(b->p, b->len + n + 1);
		b->cap = b->len + n + 1;
		b->p[b->len] = '\0';
	}
	return 0;
}

int dbuf_puts(struct dbuf *b, const char *s)
{
	return dbuf_append(b, s, strlen(s));
}

int dbuf_printf(struct dbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	int rc = dbuf_puts(b, s);
	free(s);
	return rc;
}

void dbuf_reset(struct dbuf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

char *dbuf_take(struct dbuf *b)
{
	char *p = b->p ? b->p : xstrdup("");
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void dbuf_free(struct dbuf *b)
{
	if (!b)
		return;
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* Length of a valid UTF-8 sequence at s (at most n bytes), its code point in
 * *cp; 0 when invalid (overlong, surrogate, out of range, truncated). */
static size_t utf8_decode(const unsigned char *s, size_t n, unsigned *cp)
{
	unsigned c = s[0];
	size_t len;
	unsigned min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xE0) == 0xC0) {
		len = 2, min = 0x80, c &= 0x1F;
	} else if ((c & 0xF0) == 0xE0) {
		len = 3, min = 0x800, c &= 0x0F;
	} else if ((c & 0xF8) == 0xF0) {
		len = 4, min = 0x10000, c &= 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return len;
}

/* Bidi embeddings, overrides and isolates, and the marks: they reorder what
 * the operator sees, so a name could pretend to be another. */
static int is_bidi_control(unsigned cp)
{
	return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
	       cp == 0x200E || cp == 0x200F || cp == 0x061C;
}

/* Skip an escape sequence starting at s[0] == ESC; returns bytes consumed. */
static size_t skip_escape(const unsigned char *s, size_t n)
{
	if (n < 2)
		return n;
	unsigned char c = s[1];
	size_t i;
	if (c == '[') { /* CSI: parameters and intermediates, then a final byte */
		for (i = 2; i < n; i++)
			if (s[i] >= 0x40 && s[i] <= 0x7E)
				return i + 1;
		return n;
	}
	if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_') {
		/* OSC, DCS, SOS, PM, APC: up to BEL or ST (ESC \) */
		for (i = 2; i < n; i++) {
			if (s[i] == 0x07)
				return i + 1;
			if (s[i] == 0x1B && i + 1 < n && s[i + 1] == '\\')
				return i + 2;
		}
		return n;
	}
	/* Two-byte (or with intermediates) escape: ESC [ -/]* final */
	for (i = 1; i < n; i++)
		if (s[i] >= 0x30 && s[i] <= 0x7E)
			return i + 1;
	return n;
}

char *sanitize_text(const char *src, size_t n, int keep_newlines)
{
	const unsigned char *s = (const unsigned char *)src;
	char *out = xmalloc(n + 1);
	size_t o = 0, i = 0;
	while (i < n) {
		unsigned char c = s[i];
		if (c == 0x1B) {
			i += skip_escape(s + i, n - i);
			continue;
		}
		if (c == '\n' && keep_newlines) {
			out[o++] = '\n';
			i++;
			continue;
		}
		if (c == '\t') {
			out[o++] = ' ';
			i++;
			continue;
		}
		if (c < 0x20 || c == 0x7F) {
			i++;
			continue;
		}
		unsigned cp;
		size_t len = utf8_decode(s + i, n - i, &cp);
		if (len == 0) { /* invalid byte: show it as '?' */
			out[o++] = '?';
			i++;
			continue;
		}
		if ((cp >= 0x80 && cp <= 0x9F) || is_bidi_control(cp)) {
			i += len;
			continue;
		}
		memcpy(out + o, s + i, len);
		o += len;
		i += len;
	}
	out[o] = '\0';
	return out;
}

int read_file(const char *path, size_t max, char **out, size_t *len,
	      struct perr *e)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perr_set(e, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	struct dbuf b;
	dbuf_init(&b, max);
	char chunk[65536];
	size_t got;
	int rc = 0;
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (dbuf_append(&b, chunk, got) < 0) {
			perr_set(e, "%s is larger than %zu bytes", path, max);
			rc = -1;
			break;
		}
	}
	if (rc == 0 && ferror(f)) {
		perr_set(e, "cannot read %s: %s", path, strerror(errno));
		rc = -1;
	}
	fclose(f);
	if (rc < 0) {
		dbuf_free(&b);
		return -1;
	}
	if (len)
		*len = b.len;
	*out = dbuf_take(&b);
	return 0;
}

long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
