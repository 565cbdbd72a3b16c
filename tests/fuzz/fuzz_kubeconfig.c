/* fuzz_kubeconfig.c - the kubeconfig parser and context resolution on any
 * bytes: errors, never crashes or leaks. */
#include <stddef.h>
#include <stdint.h>

#include "kube/kube.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kube_config *cfg = kube_config_new();
	struct perr e = { { 0 } };
	if (kube_config_parse(cfg, "/fuzz/kubeconfig", (const char *)data, size, &e) == 0) {
		size_t n;
		const char *const *names = kube_config_contexts(cfg, &n);
		for (size_t i = 0; i < n && i < 4; i++) {
			struct perr re = { { 0 } };
			kube_conn_free(kube_config_resolve(cfg, names[i], NULL, &re));
		}
		struct perr re = { { 0 } };
		kube_conn_free(kube_config_resolve(cfg, NULL, "ns", &re));
	}
	kube_config_free(cfg);
	return 0;
}
