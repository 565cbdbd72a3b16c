/*
 * cmd_scale.c - `podium scale KIND/NAME --replicas N`: kubectl scale, a
 * merge patch of spec.replicas on the scale subresource.
 */
#define _POSIX_C_SOURCE 200809L
#include "tui/tui.h"
#include "kube/kube.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct command cmd_scale_entry;

static int cmd_scale(struct app *app, int argc, char **argv)
{
	const char *replicas = NULL;
	const char *pos[3] = { NULL, NULL, NULL };
	int npos = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--replicas") == 0) {
			if (i + 1 >= argc)
				return cli_usage(&cmd_scale_entry, "--replicas needs a number");
			replicas = argv[++i];
		} else if (strncmp(argv[i], "--replicas=", 11) == 0) {
			replicas = argv[i] + 11;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return cli_usage(&cmd_scale_entry, "unknown option '%s'", argv[i]);
		} else if (npos < 2) {
			pos[npos++] = argv[i];
		} else {
			return cli_usage(&cmd_scale_entry, "unexpected argument '%s'", argv[i]);
		}
	}
	if (!replicas)
		return cli_usage(&cmd_scale_entry, "--replicas is required");
	char *end;
	errno = 0;
	long n = strtol(replicas, &end, 10);
	if (errno || *end || end == replicas || n < 0 || n > 2147483647L)
		return cli_usage(&cmd_scale_entry, "--replicas must be a number, 0 or more, not '%s'", replicas);
	if (!npos)
		return cli_usage(&cmd_scale_entry, "scale needs KIND/NAME or KIND NAME");
	char *kind_arg = xstrdup(pos[0]);
	const char *name = pos[1];
	char *slash = strchr(kind_arg, '/');
	if (slash) {
		*slash = '\0';
		if (name) {
			free(kind_arg);
			return cli_usage(&cmd_scale_entry, "give KIND/NAME or KIND NAME, not both");
		}
		name = slash + 1;
	}
	int rc = EXIT_FAIL;
	struct kube_client *c = NULL;
	if (!name || !*name) {
		rc = cli_usage(&cmd_scale_entry, "scale needs the name of the %s", kind_arg);
		goto out;
	}
	const struct kube_kind *k = kube_kind_find(kind_arg);
	if (!k) {
		cli_error("the server doesn't have a resource type \"%s\"", kind_arg);
		goto out;
	}
	if (cli_kube_readonly(app, "scale"))
		goto out;
	c = cli_kube_connect(app);
	if (!c)
		goto out;
	struct kube_response r;
	struct perr e = { { 0 } };
	if (kube_scale(c, k, cli_kube_namespace(c), name, n, &r, &e) == 0) {
		char *o = cli_kube_obj_name(k, name);
		char *safe = sanitize_text(o, strlen(o), 0);
		printf("%s scaled\n", safe);
		free(safe);
		free(o);
		rc = EXIT_OK;
	} else {
		rc = cli_kube_fail(&e, &r);
	}
	kube_response_free(&r);
out:
	kube_client_free(c);
	free(kind_arg);
	return rc;
}

const struct command cmd_scale_entry = {
	.name = "scale",
	.args = "KIND/NAME --replicas N",
	.summary = "set the replicas of a deployment or replicaset",
	.help = "Set the number of replicas of a Deployment or ReplicaSet, as kubectl scale\n"
		"does: a merge patch of spec.replicas on its scale subresource.",
	.kube_globals = 1,
	.fn = cmd_scale,
};
