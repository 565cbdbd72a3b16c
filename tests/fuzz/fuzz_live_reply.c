/*
 * fuzz_live_reply.c - reading a live pod's inference answer (kube/live.c)
 * on arbitrary bytes: the answer comes from the cluster, so no crash, no
 * leak, a refusal always says why, and an accepted answer filled exactly
 * the n x nclass probabilities asked for.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	/* the first two bytes pick how many images and classes are expected */
	int n = 1 + data[0] % 8, nclass = 1 + data[1] % 12;
	size_t total = (size_t)n * (size_t)nclass;
	/* a guard past the end catches a write beyond n x nclass */
	float *p = malloc((total + 1) * sizeof *p);
	p[total] = -7.0f;
	struct perr e = {{0}};
	int rc = kube_live_parse((const char *)data + 2, size - 2, n, nclass, p,
				 &e);
	if (rc < 0 && !perr_isset(&e))
		abort();
	if (p[total] != -7.0f)
		abort();
	free(p);
	return 0;
}
