/*
 * fuzz_arch_json.c - the architecture parser (a model file's
 * __metadata__ "architecture") on arbitrary bytes: no crash, no leak, and
 * whatever it accepts passes the checks, round-trips through its JSON
 * form, and builds a network.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	/* the first three bytes pick the input shape */
	int c = 1 + data[0] % 4, h = 1 + data[1] % 40, w = 1 + data[2] % 40;
	char *json = malloc(size - 3 + 1);
	memcpy(json, data + 3, size - 3);
	json[size - 3] = 0;
	struct net_arch a, b;
	struct perr e = { { 0 } };
	if (net_arch_from_json(&a, json, c, h, w, &e) == 0) {
		if (net_arch_check(&a, &e) != 0)
			abort();
		char *s = net_arch_to_json(&a);
		if (net_arch_from_json(&b, s, c, h, w, &e) != 0 || memcmp(&a, &b, sizeof(a)) != 0)
			abort();
		free(s);
		/* small enough to build: build it and run one image */
		if (net_arch_param_count(&a) < 200000) {
			struct net *n = net_new(&a, 1, &e);
			if (!n)
				abort();
			net_init_glorot(n, 1);
			float *x = calloc((size_t)c * h * w, sizeof(float));
			float *p = calloc((size_t)net_arch_classes(&a), sizeof(float));
			if (net_forward(n, x, 1, p) != 0)
				abort();
			free(x);
			free(p);
			net_free(n);
		}
	} else if (!perr_isset(&e)) {
		abort(); /* a refusal always says why */
	}
	free(json);
	return 0;
}
