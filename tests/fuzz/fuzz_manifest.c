/* fuzz_manifest.c - the manifest reader (YAML or JSON documents), the
 * client-side validation and the YAML writer on any bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "kube/kube.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kube_manifest m;
	struct perr e = { { 0 } };
	if (kube_manifest_parse("fuzz", (const char *)data, size, &m, &e) == 0) {
		for (size_t i = 0; i < m.n; i++) {
			struct perr ve = { { 0 } };
			kube_manifest_validate(&m.docs[i], &ve);
			struct perr ye = { { 0 } };
			free(kube_yaml_from_json(m.docs[i].json, m.docs[i].len, &ye));
		}
		kube_manifest_clear(&m);
	}
	return 0;
}
