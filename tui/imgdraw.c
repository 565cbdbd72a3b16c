/*
 * imgdraw.c - an input image drawn as text, for `podium model predict`
 * and the dashboard's compare view: Unicode upper half blocks with the
 * 256-colour grey ramp (the top pixel is the foreground, the bottom one the
 * background, so one line holds two pixel rows), plain half blocks where
 * only text can go (the dashboard), or shades when colour or Unicode is not
 * available. It builds text; callers decide where it goes.
 */
#define _POSIX_C_SOURCE 200809L
#include "tui/tui.h"

#include <langinfo.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

enum imgdraw_mode imgdraw_mode_for(int fd)
{
	const char *cs = nl_langinfo(CODESET);
	int utf8 = cs && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "utf8") == 0);
	if (!utf8)
		return IMGDRAW_ASCII;
	const char *term = getenv("TERM");
	const char *nc = getenv("NO_COLOR");
	if (isatty(fd) && !(nc && *nc) && term && strcmp(term, "dumb") != 0)
		return IMGDRAW_COLOR;
	return IMGDRAW_SHADES;
}

/* xterm's 256-colour greys: 16 is black, 232..255 the ramp, 231 white. */
static int grey256(int v)
{
	if (v < 6)
		return 16;
	if (v > 249)
		return 231;
	return 232 + (v - 6) * 24 / 244;
}

void imgdraw_render(const unsigned char *pix, int h, int w,
		    enum imgdraw_mode mode, const char *indent, struct dbuf *out)
{
	static const char ascii[] = " .:-=+*#%@";
	static const char *const shades[] = { " ", "\u2591", "\u2592", "\u2593",
					      "\u2588" };
	for (int y = 0; y < h; y += 2) {
		dbuf_puts(out, indent);
		for (int x = 0; x < w; x++) {
			int top = pix[y * w + x];
			int bot = y + 1 < h ? pix[(y + 1) * w + x] : 0;
			if (mode == IMGDRAW_COLOR) {
				dbuf_printf(out, "\x1b[38;5;%d;48;5;%dm\u2580",
					    grey256(top), grey256(bot));
				continue;
			}
			if (mode == IMGDRAW_HALF) {
				static const char *const half[] = { " ", "\u2584", "\u2580",
								    "\u2588" };
				dbuf_puts(out, half[(top >= 40) * 2 + (bot >= 40)]);
				continue;
			}
			int avg = (top + bot + 1) / 2;
			if (mode == IMGDRAW_SHADES)
				dbuf_puts(out, shades[(avg * 5) / 256]);
			else
				dbuf_append(out, &ascii[(avg * 10) / 256], 1);
		}
		if (mode == IMGDRAW_COLOR)
			dbuf_puts(out, "\x1b[0m");
		dbuf_puts(out, "\n");
	}
}
