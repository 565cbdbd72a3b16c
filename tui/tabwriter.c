/*
 * tabwriter.c - Go's text/tabwriter, which kubectl aligns every table and
 * every describe section with: text is cut into cells at tabs; a column
 * block is a run of adjacent lines that have a cell in that column, and
 * each block is as wide as its widest cell plus padding (at least
 * minwidth). The last cell of a line is not a column and is not padded.
 * Widths count code points, as Go counts runes.
 */
#include "tui/tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tw_line {
	const char **cells; /* pointers into the text */
	size_t *lens;
	size_t n;           /* cells, the last one unterminated */
};

static size_t tw_width(const char *s, size_t n)
{
	size_t w = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			w++;
	return w;
}

struct tw_state {
	struct tw_line *lines;
	size_t *widths;
	size_t nwidths;
	size_t minwidth, padding;
	struct dbuf *out;
};

static void tw_write_lines(struct tw_state *s, size_t line0, size_t line1)
{
	for (size_t i = line0; i < line1; i++) {
		struct tw_line *l = &s->lines[i];
		for (size_t j = 0; j < l->n; j++) {
			dbuf_append(s->out, l->cells[j], l->lens[j]);
			if (j + 1 < l->n && j < s->nwidths) {
				size_t w = tw_width(l->cells[j], l->lens[j]);
				for (; w < s->widths[j]; w++)
					dbuf_append(s->out, " ", 1);
			}
		}
		dbuf_append(s->out, "\n", 1);
	}
}

/* text/tabwriter's format(), recursive over columns. */
static void tw_format(struct tw_state *s, size_t line0, size_t line1)
{
	size_t column = s->nwidths;
	for (size_t this = line0; this < line1; this++) {
		if (column + 1 >= s->lines[this].n)
			continue;
		tw_write_lines(s, line0, this);
		line0 = this;
		size_t width = s->minwidth;
		for (; this < line1; this++) {
			struct tw_line *l = &s->lines[this];
			if (column + 1 >= l->n)
				break;
			size_t w = tw_width(l->cells[column], l->lens[column]) + s->padding;
			if (w > width)
				width = w;
		}
		s->widths = xrealloc(s->widths, (s->nwidths + 1) * sizeof *s->widths);
		s->widths[s->nwidths++] = width;
		tw_format(s, line0, this);
		s->nwidths--;
		line0 = this;
		if (this >= line1)
			break;
		this--; /* the loop's ++ revisits the line that ended the block */
	}
	tw_write_lines(s, line0, line1);
}

/* One segment: text up to a form feed, aligned on its own. */
static void tabwriter_segment(const char *text, size_t minwidth, size_t padding, struct dbuf *out);

char *tabwriter_format(const char *text, size_t minwidth, size_t padding)
{
	/* A form feed ends every column, as Flush does in kubectl. */
	struct dbuf out;
	dbuf_init(&out, 0);
	const char *p = text;
	for (;;) {
		const char *ff = strchr(p, '\f');
		char *seg = ff ? xstrndup(p, (size_t)(ff - p)) : xstrdup(p);
		tabwriter_segment(seg, minwidth, padding, &out);
		free(seg);
		if (!ff)
			break;
		p = ff + 1;
	}
	return dbuf_take(&out);
}

static void tabwriter_segment(const char *text, size_t minwidth, size_t padding, struct dbuf *outb)
{
	struct tw_state s = { .minwidth = minwidth, .padding = padding };
	size_t nlines = 0, cap = 0;
	const char *p = text;
	while (*p) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (nlines == cap) {
			cap = cap ? cap * 2 : 64;
			s.lines = xrealloc(s.lines, cap * sizeof *s.lines);
		}
		struct tw_line *l = &s.lines[nlines++];
		size_t ncells = 1;
		for (size_t i = 0; i < len; i++)
			ncells += p[i] == '\t';
		l->cells = xcalloc(ncells, sizeof *l->cells);
		l->lens = xcalloc(ncells, sizeof *l->lens);
		l->n = 0;
		const char *c = p;
		for (size_t i = 0; i <= len; i++) {
			if (i == len || p[i] == '\t') {
				l->cells[l->n] = c;
				l->lens[l->n] = (size_t)(p + i - c);
				l->n++;
				c = p + i + 1;
			}
		}
		p = end ? end + 1 : p + len;
	}
	s.out = outb;
	tw_format(&s, 0, nlines);
	for (size_t i = 0; i < nlines; i++) {
		free(s.lines[i].cells);
		free(s.lines[i].lens);
	}
	free(s.lines);
	free(s.widths);
}
