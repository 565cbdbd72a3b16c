/*
 * cmd_describe.c - `podium describe KIND NAME`: kubectl describe's sections
 * for pods, deployments, replicasets, services, jobs, configmaps and
 * secrets (sizes, never values), and the metadata and events of other
 * kinds, aligned as kubectl aligns them.
 */
#define _POSIX_C_SOURCE 200809L
#include "tui/tui.h"
#include "kube/kube.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern const struct command cmd_describe_entry;

static int cmd_describe(struct app *app, int argc, char **argv)
{
	const char *pos[2] = { NULL, NULL };
	int npos = 0;
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1])
			return cli_usage(&cmd_describe_entry, "unknown option '%s'", argv[i]);
		if (npos == 2)
			return cli_usage(&cmd_describe_entry, "unexpected argument '%s'", argv[i]);
		pos[npos++] = argv[i];
	}
	if (!npos)
		return cli_usage(&cmd_describe_entry, "describe needs KIND NAME or KIND/NAME");
	char *kind_arg = xstrdup(pos[0]);
	const char *name = pos[1];
	char *slash = strchr(kind_arg, '/');
	if (slash) {
		*slash = '\0';
		if (!name)
			name = slash + 1;
	}
	int rc = EXIT_FAIL;
	struct kube_client *c = NULL;
	if (!name || !*name) {
		rc = cli_usage(&cmd_describe_entry, "describe needs the name of the %s", kind_arg);
		goto out;
	}
	const struct kube_kind *k = kube_kind_find(kind_arg);
	if (!k) {
		cli_error("the server doesn't have a resource type \"%s\"", kind_arg);
		goto out;
	}
	c = cli_kube_connect(app);
	if (!c)
		goto out;
	struct perr e = { { 0 } };
	char *text = kube_describe(c, k, cli_kube_namespace(c), name, (long long)time(NULL), &e);
	if (!text) {
		cli_error("%s", e.msg);
		goto out;
	}
	char *aligned = tabwriter_format(text, 0, 2);
	fputs(aligned, stdout);
	free(aligned);
	free(text);
	rc = EXIT_OK;
out:
	kube_client_free(c);
	free(kind_arg);
	return rc;
}

const struct command cmd_describe_entry = {
	.name = "describe",
	.args = "KIND NAME | KIND/NAME",
	.summary = "show an object in detail, as kubectl describe",
	.help = "Show one object as kubectl describe does. Pods: node, status, IPs, owner,\n"
		"containers (image, ports, state, resources, probes, environment, mounts),\n"
		"conditions, volumes, QoS, events. Deployments: selector, replicas, strategy,\n"
		"pod template, conditions, old and new ReplicaSets, events. ReplicaSets,\n"
		"Services, Jobs, ConfigMaps and Secrets (value sizes only) as kubectl shows\n"
		"them too. Other kinds: name, namespace, labels, annotations and events.",
	.kube_globals = 1,
	.fn = cmd_describe,
};
