/* fuzz_table.c - a LIST page or a server Table (kube_table_parse) and the
 * projection of every object through its kind's columns, on any bytes:
 * rows or one error line, never a crash or a leak. The first byte picks
 * the kind; the body is parsed twice into one table, as two pages are. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kube/kube.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t nkinds = 0;
	while (kube_kinds[nkinds].kind)
		nkinds++;
	const struct kube_kind *k = &kube_kinds[data[0] % nkinds];
	const char *body = (const char *)data + 1;
	size_t len = size - 1;
	struct kube_table t;
	memset(&t, 0, sizeof t);
	for (int page = 0; page < 2; page++) {
		struct perr e = { { 0 } };
		if (kube_table_parse(k, body, len, 1795865529LL, &t, &e) < 0) {
			if (!e.msg[0] || strchr(e.msg, '\n'))
				__builtin_trap(); /* one line saying why */
			break;
		}
		for (size_t r = 0; r < t.nrows; r++)
			if (t.rows[r].ncols && !t.rows[r].cols)
				__builtin_trap();
	}
	kube_table_clear(&t);
	return 0;
}
