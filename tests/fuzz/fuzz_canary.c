/* fuzz_canary.c - the answers a gated rollout reads (canary.c): any bytes
 * as a Deployment (its info, its rollout status, the query for its pods)
 * and as a pod list (the proxy paths of its ready pods) give a result or
 * one error line, never a crash; every target path names a pod. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one_line(const struct perr *e)
{
	if (!e->msg[0] || strchr(e->msg, '\n'))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	struct kube_canary_info info;
	struct perr e = {{0}};
	if (kube_canary_info_answer("fuzz", 200, 1, body, size, NULL, &info,
				    &e) < 0)
		one_line(&e);
	perr_clear(&e);
	char *msg = NULL;
	int st = kube_canary_status(body, size, &info, &msg, &e);
	if (st < 0)
		one_line(&e);
	else if (st > 1)
		__builtin_trap();
	free(msg);
	perr_clear(&e);
	char *q = kube_canary_pods_query(body, size, &e);
	if (!q)
		one_line(&e);
	else if (strncmp(q, "labelSelector=", 14))
		__builtin_trap();
	free(q);
	int n = 0;
	char **t = kube_canary_pod_targets(body, size, "ns", 8080, &n);
	for (int i = 0; i < n; i++)
		if (strncmp(t[i], "/api/v1/namespaces/ns/pods/", 27))
			__builtin_trap();
	kube_canary_targets_free(t, n);
	return 0;
}
