/*
 * dialog.c - modal dialogs: a number (scale), a yes/no (delete), a pick
 * from a list (the revision to undo to), lines of text (the model file and
 * image of a build). Drawn centred over the view.
 */
#include "tui/tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void dialog_free(struct dialog *dl)
{
	if (!dl)
		return;
	for (int i = 0; i < dl->noptions; i++)
		free(dl->options[i]);
	free(dl->options);
	if (dl->ud_free)
		dl->ud_free(dl->ud);
	free(dl);
}

void dialog_open(struct dash *d, struct dialog *dl)
{
	dialog_close(d);
	d->dialog = dl;
	d->dirty = 1;
}

void dialog_close(struct dash *d)
{
	dialog_free(d->dialog);
	d->dialog = NULL;
	d->dirty = 1;
}

/* Finish: detach first, so on_done may open another dialog. */
static void finish(struct dialog *dl, struct dash *d, int ok)
{
	d->dialog = NULL;
	if (dl->on_done)
		dl->on_done(d, dl, ok);
	dialog_free(dl);
	d->dirty = 1;
}

void dialog_key(struct dialog *dl, struct dash *d, int key)
{
	size_t len = strlen(dl->input);
	if (key == K_ESC || (dl->kind == DIALOG_CONFIRM && (key == 'n' || key == 'N'))) {
		finish(dl, d, 0);
		return;
	}
	switch (dl->kind) {
	case DIALOG_NUMBER:
		if (key >= '0' && key <= '9' && len + 1 < sizeof dl->input && len < 6) {
			dl->input[len] = (char)key;
			dl->input[len + 1] = '\0';
		} else if (key == K_BACKSPACE && len) {
			dl->input[len - 1] = '\0';
		} else if (key == K_UP || key == '+' || key == K_DOWN || key == '-') {
			long v = atol(dl->input) + (key == K_UP || key == '+' ? 1 : -1);
			snprintf(dl->input, sizeof dl->input, "%ld", v < 0 ? 0 : v);
		} else if (key == K_ENTER && len) {
			finish(dl, d, 1);
		}
		break;
	case DIALOG_CONFIRM:
		if (key == 'y' || key == 'Y')
			finish(dl, d, 1);
		break;
	case DIALOG_TEXT: {
		char *t = dl->text[dl->field];
		size_t tl = strlen(t);
		if (key == K_TAB || key == K_DOWN) {
			dl->field = (dl->field + 1) % (dl->nfields ? dl->nfields : 1);
		} else if (key == K_BTAB || key == K_UP) {
			dl->field = (dl->field + dl->nfields - 1) % (dl->nfields ? dl->nfields : 1);
		} else if (key == K_BACKSPACE && tl) {
			do /* a whole UTF-8 character */
				tl--;
			while (tl && (t[tl] & 0xC0) == 0x80);
			t[tl] = '\0';
		} else if (key == K_ENTER) {
			int empty = -1;
			for (int i = 0; i < dl->nfields && empty < 0; i++)
				if (!dl->text[i][0])
					empty = i;
			if (empty < 0)
				finish(dl, d, 1);
			else
				dl->field = empty;
			return;
		} else if (key >= 0x20 && key < 0x100 && key != 0x7f && tl + 1 < sizeof dl->text[0]) {
			t[tl] = (char)key;
			t[tl + 1] = '\0';
		}
		break;
	}
	case DIALOG_PICK:
		if ((key == K_UP || key == 'k') && dl->sel > 0)
			dl->sel--;
		else if ((key == K_DOWN || key == 'j') && dl->sel + 1 < dl->noptions)
			dl->sel++;
		else if (key == K_ENTER && dl->noptions)
			finish(dl, d, 1);
		break;
	}
	d->dirty = 1;
}

void dialog_render(struct dialog *dl, struct dash *d, struct frame *f)
{
	int lines = dl->kind == DIALOG_PICK ? dl->noptions + 4
		    : dl->kind == DIALOG_TEXT ? dl->nfields + 4 : 5;
	int w = f->w - 4 < 64 ? f->w - 4 : 64;
	if (dl->kind == DIALOG_PICK)
		for (int i = 0; i < dl->noptions; i++) {
			int ow = utf8_width(dl->options[i], strlen(dl->options[i])) + 6;
			if (ow > w)
				w = ow < f->w - 2 ? ow : f->w - 2;
		}
	if (lines > d->body_h)
		lines = d->body_h;
	if (w < 10 || lines < 3)
		return;
	int x = (f->w - w) / 2, y = 2 + (d->body_h - lines) / 2;
	const char *h = d->utf8 ? "\xe2\x94\x80" : "-";
	for (int r = 0; r < lines; r++) {
		frame_fill(f, y + r, x, w, TH_DIALOG);
		frame_put(f, y + r, x, d->utf8 ? "\xe2\x94\x82" : "|", 1, TH_DIALOG_BORDER);
		frame_put(f, y + r, x + w - 1, d->utf8 ? "\xe2\x94\x82" : "|", 1, TH_DIALOG_BORDER);
	}
	for (int c = 1; c < w - 1; c++) {
		frame_put(f, y, x + c, h, 1, TH_DIALOG_BORDER);
		frame_put(f, y + lines - 1, x + c, h, 1, TH_DIALOG_BORDER);
	}
	frame_put(f, y, x, d->utf8 ? "\xe2\x94\x8c" : "+", 1, TH_DIALOG_BORDER);
	frame_put(f, y, x + w - 1, d->utf8 ? "\xe2\x94\x90" : "+", 1, TH_DIALOG_BORDER);
	frame_put(f, y + lines - 1, x, d->utf8 ? "\xe2\x94\x94" : "+", 1, TH_DIALOG_BORDER);
	frame_put(f, y + lines - 1, x + w - 1, d->utf8 ? "\xe2\x94\x98" : "+", 1, TH_DIALOG_BORDER);
	char buf[300];
	snprintf(buf, sizeof buf, " %s ", dl->title);
	frame_put(f, y, x + 2, buf, w - 4, TH_DIALOG_BORDER);
	frame_put(f, y + 1, x + 2, dl->prompt, w - 4, TH_DIALOG);
	switch (dl->kind) {
	case DIALOG_NUMBER:
		snprintf(buf, sizeof buf, "> %s%s   (enter: ok, esc: cancel)", dl->input,
			 d->utf8 ? "\xe2\x96\x8f" : "_");
		frame_put(f, y + 2, x + 2, buf, w - 4, TH_DIALOG);
		break;
	case DIALOG_CONFIRM:
		frame_put(f, y + 2, x + 2, "y: yes   n/esc: no", w - 4, TH_DIALOG);
		break;
	case DIALOG_TEXT:
		for (int i = 0; i < dl->nfields && 2 + i < lines - 1; i++) {
			int row = y + 2 + i, lw = 0;
			for (int j = 0; j < dl->nfields; j++) {
				int l = (int)strlen(dl->label[j]);
				lw = l > lw ? l : lw;
			}
			enum theme_elem st = i == dl->field ? TH_SELECTION : TH_DIALOG;
			snprintf(buf, sizeof buf, "%-*s ", lw, dl->label[i]);
			int cx = x + 2 + frame_put(f, row, x + 2, buf, w - 4, TH_DIALOG);
			int room = x + w - 2 - cx;
			if (room < 4)
				continue;
			frame_fill(f, row, cx, room, st);
			/* the end of a long path is what one types at */
			const char *t = dl->text[i];
			int tw = utf8_width(t, strlen(t));
			while (*t && tw > room - 1) {
				size_t cl = 1;
				while ((t[cl] & 0xC0) == 0x80)
					cl++;
				tw -= utf8_width(t, cl);
				t += cl;
			}
			int put = frame_put(f, row, cx, t, room, st);
			if (i == dl->field && put < room)
				frame_put(f, row, cx + put, d->utf8 ? "\xe2\x96\x8f" : "_", 1, st);
		}
		break;
	case DIALOG_PICK:
		for (int i = 0; i < dl->noptions && 2 + i < lines - 1; i++) {
			int row = y + 2 + i;
			enum theme_elem st = i == dl->sel ? TH_SELECTION : TH_DIALOG;
			frame_fill(f, row, x + 1, w - 2, st);
			frame_put(f, row, x + 2, dl->options[i], w - 4, st);
		}
		break;
	}
}
