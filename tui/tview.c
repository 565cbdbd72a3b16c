/*
 * tview.c - the table view every resource list uses: filter, sort,
 * selection and scrolling over a source of rows, formatting only the rows
 * on screen (a big cluster's 10,000 pods cost one sort, not 10,000 lines
 * of text per redraw).
 */
#define _GNU_SOURCE /* qsort_r */
#include "tui/tui.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CELL_MAX 256
#define MAX_COLS 16

void tview_init(struct tview *tv)
{
	memset(tv, 0, sizeof *tv);
	tv->sort = TSORT_NONE;
}

void tview_free(struct tview *tv)
{
	if (!tv)
		return;
	free(tv->order);
	free(tv->sel_key);
	tv->order = NULL;
	tv->sel_key = NULL;
	tv->n = tv->cap = 0;
}

/* Case-insensitive substring match. */
static int contains(const char *hay, const char *needle)
{
	size_t nl = strlen(needle);
	if (!nl)
		return 1;
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, nl) == 0)
			return 1;
	return 0;
}

struct sort_ctx {
	const struct tview_src *src;
	enum tview_sort kind;
	int reverse;
};

static int cmp_rows(const void *a, const void *b, void *arg)
{
	const struct sort_ctx *ctx = arg;
	int i = *(const int *)a, j = *(const int *)b;
	const struct tview_src *s = ctx->src;
	enum tview_sort sort_kind = ctx->kind;
	int r = 0;
	if (sort_kind == TSORT_AGE && s->created) {
		long long ci = s->created(s->ud, i), cj = s->created(s->ud, j);
		r = ci > cj ? -1 : ci < cj; /* newest first, as ages grow */
	} else if (sort_kind == TSORT_STATUS && s->status_rank) {
		r = s->status_rank(s->ud, i) - s->status_rank(s->ud, j);
	}
	if (r == 0 && s->name)
		r = strcmp(s->name(s->ud, i), s->name(s->ud, j));
	if (r == 0)
		r = i - j;
	return ctx->reverse ? -r : r;
}

void tview_refresh(struct tview *tv, const struct tview_src *src)
{
	int count = src->count(src->ud);
	if (count > tv->cap) {
		tv->cap = count + count / 2 + 16;
		tv->order = xrealloc(tv->order, (size_t)tv->cap * sizeof *tv->order);
	}
	tv->n = 0;
	for (int i = 0; i < count; i++) {
		int m = 1;
		if (tv->filter[0] && src->name)
			m = contains(src->name(src->ud, i), tv->filter) != tv->inverse;
		if (m)
			tv->order[tv->n++] = i;
	}
	if (tv->sort != TSORT_NONE || tv->reverse) {
		struct sort_ctx ctx = { src, tv->sort, tv->reverse };
		qsort_r(tv->order, (size_t)tv->n, sizeof *tv->order, cmp_rows, &ctx);
	}
	/* Keep the selection on the same object when it is still there. */
	int sel = tv->sel < tv->n ? tv->sel : tv->n - 1;
	if (tv->sel_key && src->key) {
		for (int k = 0; k < tv->n; k++)
			if (strcmp(src->key(src->ud, tv->order[k]), tv->sel_key) == 0) {
				sel = k;
				break;
			}
	}
	tv->sel = sel < 0 ? 0 : sel;
	free(tv->sel_key);
	tv->sel_key = tv->n && src->key ? xstrdup(src->key(src->ud, tv->order[tv->sel]))
				       : NULL;
}

void tview_set_filter(struct tview *tv, const struct tview_src *src,
		      const char *filter)
{
	tv->inverse = filter[0] == '!';
	const char *f = filter + tv->inverse;
	size_t len = strlen(f);
	if (len >= sizeof tv->filter)
		len = sizeof tv->filter - 1;
	memcpy(tv->filter, f, len);
	tv->filter[len] = '\0';
	tview_refresh(tv, src);
}

int tview_selected(const struct tview *tv)
{
	return tv->n ? tv->order[tv->sel] : -1;
}

static void set_sort(struct tview *tv, enum tview_sort s)
{
	if (tv->sort == s)
		tv->reverse = !tv->reverse;
	else
		tv->sort = s, tv->reverse = 0;
}

int tview_action(struct tview *tv, const struct tview_src *src,
		 enum action a, int page)
{
	int sel = tv->sel;
	switch (a) {
	case A_UP: sel--; break;
	case A_DOWN: sel++; break;
	case A_PGUP: sel -= page > 1 ? page - 1 : 1; break;
	case A_PGDN: sel += page > 1 ? page - 1 : 1; break;
	case A_TOP: sel = 0; break;
	case A_BOTTOM: sel = tv->n - 1; break;
	case A_SORT_NAME: set_sort(tv, TSORT_NAME); tview_refresh(tv, src); return 1;
	case A_SORT_AGE: set_sort(tv, TSORT_AGE); tview_refresh(tv, src); return 1;
	case A_SORT_STATUS: set_sort(tv, TSORT_STATUS); tview_refresh(tv, src); return 1;
	case A_SORT_REVERSE: tv->reverse = !tv->reverse; tview_refresh(tv, src); return 1;
	default: return 0;
	}
	if (sel >= tv->n)
		sel = tv->n - 1;
	if (sel < 0)
		sel = 0;
	tv->sel = sel;
	free(tv->sel_key);
	tv->sel_key = tv->n && src->key ? xstrdup(src->key(src->ud, tv->order[sel])) : NULL;
	return 1;
}

void tview_render(struct tview *tv, const struct tview_src *src,
		  struct frame *f, int x, int y, int w, int h, int utf8)
{
	if (h < 1 || w < 1)
		return;
	int rows = h - 1;
	/* Scroll so the selection is visible. */
	if (tv->sel < tv->top)
		tv->top = tv->sel;
	if (rows > 0 && tv->sel >= tv->top + rows)
		tv->top = tv->sel - rows + 1;
	if (tv->top > tv->n - rows)
		tv->top = tv->n - rows > 0 ? tv->n - rows : 0;

	int ncols = src->ncols < MAX_COLS ? src->ncols : MAX_COLS;
	int shown[MAX_COLS], widths[MAX_COLS], nshown = 0;
	for (int c = 0; c < ncols; c++)
		if (!src->wide || !src->wide[c] || tv->wide)
			shown[nshown++] = c;

	/* Format the visible rows once; widths from them and the titles. */
	int nvis = tv->n - tv->top < rows ? tv->n - tv->top : rows;
	if (nvis < 0)
		nvis = 0;
	char (*cells)[MAX_COLS][CELL_MAX] = xcalloc((size_t)(nvis ? nvis : 1), sizeof *cells);
	for (int k = 0; k < nshown; k++)
		widths[k] = utf8_width(src->cols[shown[k]], strlen(src->cols[shown[k]]));
	for (int r = 0; r < nvis; r++) {
		int i = tv->order[tv->top + r];
		for (int k = 0; k < nshown; k++) {
			src->cell(src->ud, i, shown[k], cells[r][k], CELL_MAX);
			int cw = utf8_width(cells[r][k], strlen(cells[r][k]));
			if (cw > widths[k])
				widths[k] = cw;
		}
	}
	/* Fit to w: the first column (the name) gives way last. */
	int gap = 2, total = 0;
	for (int k = 0; k < nshown; k++)
		total += widths[k] + (k ? gap : 0);
	for (int k = nshown - 1; total > w && k > 0; k--) {
		int cut = total - w;
		int minw = 6;
		int can = widths[k] > minw ? widths[k] - minw : 0;
		if (can > cut)
			can = cut;
		widths[k] -= can;
		total -= can;
	}
	if (total > w && nshown)
		widths[0] -= total - w < widths[0] - 4 ? total - w : widths[0] - 4;

	frame_fill(f, y, x, w, TH_TABLE_HEADER);
	int cx = x;
	for (int k = 0; k < nshown && cx < x + w; k++) {
		int cw = widths[k] < x + w - cx ? widths[k] : x + w - cx;
		frame_put_cell(f, y, cx, src->cols[shown[k]], cw, TH_TABLE_HEADER, utf8);
		cx += cw + gap;
	}
	for (int r = 0; r < rows; r++) {
		int row = y + 1 + r;
		if (r >= nvis) {
			frame_fill(f, row, x, w, TH_TABLE_ROW);
			continue;
		}
		int i = tv->order[tv->top + r];
		enum theme_elem st = src->style ? src->style(src->ud, i) : TH_TABLE_ROW;
		if (tv->top + r == tv->sel)
			st = TH_SELECTION;
		frame_fill(f, row, x, w, st);
		cx = x;
		for (int k = 0; k < nshown && cx < x + w; k++) {
			int cw = widths[k] < x + w - cx ? widths[k] : x + w - cx;
			frame_put_cell(f, row, cx, cells[r][k], cw, st, utf8);
			cx += cw + gap;
		}
	}
	free(cells);
}
