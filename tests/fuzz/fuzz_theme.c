/* fuzz_theme.c - theme files: any bytes give a theme or one error line. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tui/tui.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct theme t;
	struct perr e = { { 0 } };
	if (theme_parse((const char *)data, size, "fuzz", &t, &e) < 0) {
		if (!e.msg[0] || strchr(e.msg, '\n'))
			__builtin_trap();
		return 0;
	}
	struct theme d;
	theme_for_terminal(&t, 8, &d);
	theme_for_terminal(&t, 0, &d);
	return 0;
}
