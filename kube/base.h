/*
 * base.h - what every directory of Podium shares: allocation that aborts
 * cleanly, the one-line error struct, growing buffers with a cap, and the
 * sanitiser that strips control and escape sequences from outside text.
 *
 * It lives in kube/ because kube/ is the foundation the rest stands on;
 * model/ and tui/ include it as "kube/base.h".
 */
#ifndef PODIUM_BASE_H
#define PODIUM_BASE_H

#include <stdarg.h>
#include <stddef.h>

#define PODIUM_VERSION "0.1.0"

/* One line, no trailing newline; the first error set wins (curl's errbuf). */
struct perr {
	char msg[512];
};

/* Set the error unless one is already set. Accepts NULL e. */
void perr_set(struct perr *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Clear the error. */
void perr_clear(struct perr *e);
/* Non-zero when an error has been set. */
int perr_isset(const struct perr *e);

/* Allocation that never returns NULL: on failure the fatal hook runs (the
 * dashboard restores the terminal there), a line goes to stderr, abort(). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);          /* NULL in, NULL out */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap);
/* Install the hook run before an allocation failure aborts. */
void x_set_fatal_hook(void (*hook)(void));

/* A growing byte buffer with a cap: appends beyond max fail instead of
 * growing memory without bound. The content is always NUL-terminated. */
struct dbuf {
	char *p;
	size_t len;
	size_t cap;
	size_t max; /* 0: no cap */
};

void dbuf_init(struct dbuf *b, size_t max);
/* 0 on success, -1 when the cap would be exceeded (nothing appended). */
int dbuf_append(struct dbuf *b, const void *data, size_t n);
int dbuf_puts(struct dbuf *b, const char *s);
/* Room for n more bytes at once (a size known in advance, such as a
 * Content-Length), so appends up to it do not reallocate; -1 when that
 * would pass the cap (nothing changes). */
int dbuf_reserve(struct dbuf *b, size_t n);
int dbuf_printf(struct dbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void dbuf_reset(struct dbuf *b);
/* Hand the content to the caller (caller frees) and reset the buffer. */
char *dbuf_take(struct dbuf *b);
void dbuf_free(struct dbuf *b);

/*
 * Copy src (n bytes) to a new string without anything a terminal would
 * act on: C0 and C1 controls, DEL, ESC sequences (CSI, OSC, DCS...),
 * invalid UTF-8, and bidi overrides. Tabs become a space; newlines are kept
 * only when keep_newlines. Caller frees.
 */
char *sanitize_text(const char *src, size_t n, int keep_newlines);

/* Read a whole file (caller frees *out); at most max bytes. 0 / -1. */
int read_file(const char *path, size_t max, char **out, size_t *len,
	      struct perr *e);

/* Monotonic clock in milliseconds. */
long long now_ms(void);

#endif
