/* fuzz_apierror.c - the Status decoder (kube/apierror.c) on any bytes: a
 * Status or a refusal, never a crash or a leak; whatever decodes formats
 * into one line (multiline off) and the conflict text builds. The first
 * byte picks the HTTP code handed to kube_apierror_text. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const long codes[] = { 400, 401, 403, 404, 409, 410, 422, 429, 500, 503, 504, 200, 302, 0 };
	long code = codes[data[0] % (sizeof codes / sizeof codes[0])];
	const char *body = (const char *)data + 1;
	size_t len = size - 1;
	struct kube_apierror a;
	memset(&a, 0, sizeof a);
	if (kube_apierror_parse(body, len, &a) == 0) {
		char *one = kube_apierror_format(&a, 0);
		if (!one || strchr(one, '\n'))
			__builtin_trap(); /* one line when not multiline */
		free(one);
		free(kube_apierror_format(&a, 1));
		free(kube_apierror_conflicts(&a));
	}
	kube_apierror_clear(&a);
	kube_apierror_clear(&a); /* clearing twice is harmless */
	char *t = kube_apierror_text(code, body, len, data[0] & 1);
	if (!t)
		__builtin_trap();
	free(t);
	return 0;
}
