/* fuzz_prom.c - a model server's /metrics as the dashboard decodes it
 * (kube/prom.c) on any bytes: no crash, bounds ascending, a quantile that
 * is NaN or within the finite bounds; and the PodMetricsList decoder
 * (kube/podmetrics.c) on the same bytes. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "kube/kube.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kube_prom_scrape s, d, sum = { 0 };
	struct perr e = { { 0 } };
	if (kube_prom_parse((const char *)data, size, &s, &e) == 0) {
		if (s.nbuckets > KUBE_PROM_MAX_BUCKETS)
			__builtin_trap();
		for (int i = 1; i < s.nbuckets; i++)
			if (!(s.le[i - 1] < s.le[i]))
				__builtin_trap();
		double q = kube_prom_quantile(0.99, s.le, s.count, s.nbuckets);
		(void)q;
		kube_prom_delta(&s, &s, &d);
		kube_prom_add(&sum, &d);
	}
	struct kube_pod_usage *u = NULL;
	size_t n = 0;
	if (kube_podmetrics_parse((const char *)data, size, &u, &n, &e) == 0)
		free(u);
	return 0;
}
