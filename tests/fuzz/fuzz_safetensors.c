/* fuzz_safetensors.c - safetensors parsing never crashes, leaks or reads
 * out of bounds; whatever parses serialises and parses back the same. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct safetensors st = { 0 };
	struct perr e = { { 0 } };
	if (safetensors_parse(data, size, "fuzz", &st, &e) < 0)
		return 0;
	char *buf = NULL;
	size_t len = 0;
	if (safetensors_serialize(&st, &buf, &len, &e) == 0) {
		struct safetensors back = { 0 };
		if (safetensors_parse(buf, len, "again", &back, &e) < 0 ||
		    back.n != st.n)
			abort();
		for (int i = 0; i < st.n; i++)
			if (back.t[i].count != st.t[i].count ||
			    memcmp(back.t[i].data, st.t[i].data,
				   st.t[i].count * sizeof(float)) != 0)
				abort();
		safetensors_free(&back);
		free(buf);
	}
	safetensors_free(&st);
	return 0;
}
