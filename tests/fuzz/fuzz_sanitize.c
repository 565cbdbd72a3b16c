/* fuzz_sanitize.c - the terminal sanitiser: whatever comes in, nothing a
 * terminal acts on comes out (no C0/C1 controls, no ESC, valid UTF-8). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/base.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *out = sanitize_text((const char *)data, size, size & 1);
	const unsigned char *s = (const unsigned char *)out;
	size_t n = strlen(out);
	if (n > size)
		__builtin_trap();
	for (size_t i = 0; i < n; i++) {
		if ((s[i] < 0x20 && s[i] != '\n') || s[i] == 0x7f)
			__builtin_trap();
		if (s[i] == '\n' && !(size & 1))
			__builtin_trap();
		if (s[i] == 0xc2 && i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f)
			__builtin_trap(); /* C1 control */
	}
	free(out);
	return 0;
}
