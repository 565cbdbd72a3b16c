/*
 * cli_cluster.c - TYPE/NAME arguments as kubectl takes them (deployment/web,
 * deploy web, pods/x), for the commands that act on one object.
 */
#define _POSIX_C_SOURCE 200809L
#include "tui/tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube.h"

const struct kube_kind *cli_type_name(int argc, char **argv, int *i, const char **name,
				      struct perr *e)
{
	if (*i >= argc) {
		perr_set(e, "a resource is required: TYPE/NAME or TYPE NAME");
		return NULL;
	}
	const char *arg = argv[(*i)++];
	const char *slash = strchr(arg, '/');
	char type[128];
	if (slash) {
		snprintf(type, sizeof type, "%.*s", (int)(slash - arg), arg);
		*name = slash + 1;
	} else {
		snprintf(type, sizeof type, "%s", arg);
		if (*i >= argc) {
			perr_set(e, "a name is required after %s", arg);
			return NULL;
		}
		*name = argv[(*i)++];
	}
	if (!**name) {
		perr_set(e, "a name is required after %s", type);
		return NULL;
	}
	const struct kube_kind *k = kube_kind_find(type);
	if (!k)
		perr_set(e, "the server doesn't have a resource type \"%s\"", type);
	return k;
}
