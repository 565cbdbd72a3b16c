/* fuzz_idx.c - IDX decoding (plain and through gunzip) and PGM decoding
 * never crash, leak or read out of bounds on any input. */
#include <stdint.h>
#include <stdlib.h>

#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct idx x = { 0 };
	struct perr e = { { 0 } };
	if (idx_decode(data, size, "fuzz", &x, &e) == 0)
		idx_free(&x);
	unsigned char *plain = NULL;
	size_t plen = 0;
	perr_clear(&e);
	if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b &&
	    idx_gunzip(data, size, 1 << 20, "fuzz", &plain, &plen, &e) == 0) {
		if (idx_decode(plain, plen, "fuzz", &x, &e) == 0)
			idx_free(&x);
		free(plain);
	}
	unsigned char *pix = NULL;
	perr_clear(&e);
	if (pgm_decode(data, size, "fuzz", 28, 28, &pix, &e) == 0)
		free(pix);
	return 0;
}
