/*
 * cli_cluster.c - what the headless cluster commands share: a client made
 * from the global options as kubectl makes one, and TYPE/NAME arguments.
 */
#define _POSIX_C_SOURCE 200809L
#include "tui/tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube.h"

struct kube_client *cli_connect(struct app *app, struct perr *e)
{
	struct kube_config_opts o = {
		.kubeconfig = app->g.kubeconfig,
		.context = app->g.context,
		.namespace = app->g.namespace,
	};
	long timeout = 0;
	if (app->g.request_timeout && kube_parse_duration(app->g.request_timeout, &timeout, e) < 0)
		return NULL;
	struct kube_conn *conn = kube_conn_load(&o, e);
	if (!conn)
		return NULL;
	struct kube_client_opts co = { .timeout_ms = timeout, .log_file = app->g.log_file };
	struct kube_client *c = kube_client_new(conn, &co, e);
	if (c && kube_client_warning(c))
		cli_error("warning: %s", kube_client_warning(c));
	return c;
}

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
