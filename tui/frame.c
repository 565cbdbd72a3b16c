/*
 * frame.c - the screen model: a grid of cells (a UTF-8 character and a
 * style) that views draw into without knowing about curses. Keeping it
 * apart from the terminal (tmux's grid.c and tty.c) lets views be tested as
 * text, and lets the drawing layer repaint only the lines that changed.
 */
#include "tui/tui.h"

#include <stdlib.h>
#include <string.h>

struct frame *frame_new(int w, int h)
{
	struct frame *f = xcalloc(1, sizeof *f);
	f->w = w > 0 ? w : 1;
	f->h = h > 0 ? h : 1;
	f->cells = xcalloc((size_t)f->w * (size_t)f->h, sizeof *f->cells);
	f->line_hash = xcalloc((size_t)f->h, sizeof *f->line_hash);
	frame_clear(f, TH_TABLE_ROW);
	return f;
}

void frame_free(struct frame *f)
{
	if (!f)
		return;
	free(f->cells);
	free(f->line_hash);
	free(f);
}

static void blank(struct cell *c, enum theme_elem style)
{
	c->ch[0] = ' ';
	c->len = 1;
	c->style = (unsigned char)style;
}

void frame_clear(struct frame *f, enum theme_elem style)
{
	for (int i = 0; i < f->w * f->h; i++)
		blank(&f->cells[i], style);
}

void frame_fill(struct frame *f, int row, int col, int n, enum theme_elem style)
{
	if (row < 0 || row >= f->h)
		return;
	for (int c = col < 0 ? 0 : col; c < col + n && c < f->w; c++)
		blank(&f->cells[row * f->w + c], style);
}

void frame_style(struct frame *f, int row, int col, int n, enum theme_elem style)
{
	if (row < 0 || row >= f->h)
		return;
	for (int c = col < 0 ? 0 : col; c < col + n && c < f->w; c++)
		f->cells[row * f->w + c].style = (unsigned char)style;
}

/* Decode one UTF-8 sequence (text is sanitised, so valid); returns its
 * length and the code point. */
static size_t decode(const unsigned char *s, size_t n, unsigned *cp)
{
	size_t len = s[0] < 0x80 ? 1 : s[0] < 0xE0 ? 2 : s[0] < 0xF0 ? 3 : 4;
	if (len > n) {
		*cp = '?';
		return n;
	}
	unsigned c = len == 1 ? s[0] : s[0] & (0x3F >> (len - 1));
	for (size_t i = 1; i < len; i++)
		c = (c << 6) | (s[i] & 0x3F);
	*cp = c;
	return len;
}

/* Columns a code point takes: 0 for combining marks, 2 for East Asian
 * wide and emoji ranges, 1 otherwise (no locale needed, so views render
 * the same in tests as on the terminal). */
static int cp_width(unsigned cp)
{
	if ((cp >= 0x300 && cp <= 0x36F) || (cp >= 0x200B && cp <= 0x200F) ||
	    (cp >= 0xFE00 && cp <= 0xFE0F))
		return 0;
	if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
	    (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
	    (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
	    (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
	    (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD))
		return 2;
	return 1;
}

int utf8_width(const char *s, size_t n)
{
	int w = 0;
	size_t i = 0;
	while (i < n) {
		unsigned cp;
		i += decode((const unsigned char *)s + i, n - i, &cp);
		w += cp_width(cp);
	}
	return w;
}

int frame_put(struct frame *f, int row, int col, const char *text, int maxw,
	      enum theme_elem style)
{
	if (row < 0 || row >= f->h || col >= f->w || !text)
		return 0;
	int limit = maxw < 0 || col + maxw > f->w ? f->w : col + maxw;
	const unsigned char *s = (const unsigned char *)text;
	size_t n = strlen(text), i = 0;
	int c = col;
	struct cell *line = &f->cells[row * f->w];
	while (i < n && c < limit) {
		unsigned cp;
		size_t len = decode(s + i, n - i, &cp);
		int cw = cp_width(cp);
		if (cw == 0) { /* combining: attach to the previous cell */
			if (c > col && line[c - 1].len + len <= 4 && line[c - 1].len) {
				memcpy(line[c - 1].ch + line[c - 1].len, s + i, len);
				line[c - 1].len += (unsigned char)len;
			}
			i += len;
			continue;
		}
		if (c < 0) {
			c += cw;
			i += len;
			continue;
		}
		if (cw == 2 && c + 1 >= limit) {
			blank(&line[c], style);
			c++;
			break;
		}
		memcpy(line[c].ch, s + i, len);
		line[c].len = (unsigned char)len;
		line[c].style = (unsigned char)style;
		if (cw == 2) {
			line[c + 1].len = 0;
			line[c + 1].style = (unsigned char)style;
		}
		c += cw;
		i += len;
	}
	return c - col;
}

int frame_put_cell(struct frame *f, int row, int col, const char *text, int w,
		   enum theme_elem style, int utf8)
{
	if (w <= 0)
		return 0;
	int tw = utf8_width(text, strlen(text));
	if (tw <= w) {
		int got = frame_put(f, row, col, text, w, style);
		frame_fill(f, row, col + got, w - got, style);
		return w;
	}
	/* Too wide: cut and mark the cut with an ellipsis. */
	int got = frame_put(f, row, col, text, w - 1, style);
	frame_fill(f, row, col + got, w - 1 - got, style);
	frame_put(f, row, col + w - 1, utf8 ? "\xe2\x80\xa6" : "~", 1, style);
	return w;
}

void frame_hash_lines(struct frame *f)
{
	for (int r = 0; r < f->h; r++) {
		unsigned long h = 1469598103934665603UL; /* FNV-1a */
		const struct cell *line = &f->cells[r * f->w];
		for (int c = 0; c < f->w; c++) {
			for (int i = 0; i < line[c].len; i++)
				h = (h ^ (unsigned char)line[c].ch[i]) * 1099511628211UL;
			h = (h ^ ((unsigned long)line[c].style << 8 | line[c].len)) *
			    1099511628211UL;
		}
		f->line_hash[r] = h;
	}
}

char *frame_line_text(const struct frame *f, int row)
{
	struct dbuf b;
	dbuf_init(&b, 0);
	const struct cell *line = &f->cells[row * f->w];
	for (int c = 0; c < f->w; c++)
		dbuf_append(&b, line[c].ch, line[c].len);
	dbuf_append(&b, "", 0);
	while (b.len && b.p[b.len - 1] == ' ')
		b.p[--b.len] = '\0';
	return dbuf_take(&b);
}

char *frame_text(const struct frame *f)
{
	struct dbuf b;
	dbuf_init(&b, 0);
	for (int r = 0; r < f->h; r++) {
		char *l = frame_line_text(f, r);
		dbuf_puts(&b, l);
		dbuf_puts(&b, "\n");
		free(l);
	}
	return dbuf_take(&b);
}

const char *utf8_skip_cols(const char *p, int cols)
{
	int w = 0;
	while (*p && w < cols) {
		size_t len = 1;
		while ((p[len] & 0xC0) == 0x80)
			len++;
		w += utf8_width(p, len);
		p += len;
	}
	return p;
}

void frame_bar(struct frame *f, int row, int col, int w, double frac, int utf8,
	       enum theme_elem style)
{
	int fill = (int)(frac * w + 0.5);
	for (int i = 0; i < w; i++)
		frame_put(f, row, col + i,
			  i < fill ? (utf8 ? "\xe2\x96\x88" : "#") : (utf8 ? "\xe2\x96\x91" : "."), 1,
			  i < fill ? style : TH_TABLE_ROW);
}
