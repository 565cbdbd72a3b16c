/* fuzz_exec.c - an exec credential plugin's output (ExecCredential JSON):
 * any bytes give a credential or one error line, never a crash, and no
 * secret from the input in the message. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kube_exec_conf x = { .api_version = "client.authentication.k8s.io/v1",
				    .command = "fuzz-plugin" };
	struct kube_conn conn = { .context = "fuzz", .exec = &x };
	struct kube_exec_cred cred;
	memset(&cred, 0, sizeof cred);
	struct perr e = { { 0 } };
	if (kube_exec_decode(&conn, (const char *)data, size, &cred, &e) < 0) {
		if (!e.msg[0] || strchr(e.msg, '\n'))
			__builtin_trap();
	} else {
		kube_exec_cred_clear(&cred);
	}
	return 0;
}
