/*
 * cmd_deploy.c - `podium deploy NAME --image REF`: a model server's
 * Deployment and Service, server-side applied (or printed with --dry-run).
 */
#define _GNU_SOURCE /* getopt_long */
#include "tui/tui.h"
#include "kube/kube.h"
#include "model/model.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct command cmd_deploy_entry;

static int cmd_deploy(struct app *app, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "image", required_argument, NULL, 'i' },
		{ "replicas", required_argument, NULL, 'r' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "memory", required_argument, NULL, 'm' },
		{ "port", required_argument, NULL, 'p' },
		{ "service-type", required_argument, NULL, 't' },
		{ "model", required_argument, NULL, 'M' },
		{ "dry-run", no_argument, NULL, 'd' },
		{ "force-conflicts", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct kube_deploy_opts o = { .replicas = 3, .port = 8080 };
	const char *model_path = NULL;
	int dry = 0, force = 0, c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'i': o.image = optarg; break;
		case 'r':
			o.replicas = (int)strtol(optarg, &end, 10);
			if (*end || end == optarg || o.replicas < 0)
				return cli_usage(&cmd_deploy_entry, "--replicas takes a number (0 or more), not '%s'", optarg);
			break;
		case 'c': o.cpu = optarg; break;
		case 'm': o.memory = optarg; break;
		case 'p':
			o.port = (int)strtol(optarg, &end, 10);
			if (*end || end == optarg)
				return cli_usage(&cmd_deploy_entry, "--port takes a number, not '%s'", optarg);
			break;
		case 't': o.service_type = optarg; break;
		case 'M': model_path = optarg; break;
		case 'd': dry = 1; break;
		case 'f': force = 1; break;
		default:
			return cli_usage(&cmd_deploy_entry, "unknown option or missing value: %s", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage(&cmd_deploy_entry, "deploy takes one NAME");
	if (!o.image)
		return cli_usage(&cmd_deploy_entry, "--image REF is required");
	o.name = argv[optind];

	struct perr e = { { 0 } };
	char *label = NULL;
	int rc = EXIT_FAIL;
	struct kube_client *cl = NULL;
	if (model_path) {
		struct model *m = NULL;
		if (model_load(model_path, NULL, &m, &e) < 0)
			goto out;
		label = cli_model_label(model_path);
		o.model = label;
		o.model_sha256 = xstrdup(m->sha256);
		model_free(m);
	}
	if (dry) {
		o.namespace = app->g.namespace ? app->g.namespace : "default";
		char *y = kube_deploy_yaml(&o, &e);
		if (!y)
			goto out;
		fputs(y, stdout);
		free(y);
		rc = EXIT_OK;
		goto out;
	}
	if (app->g.readonly) {
		perr_set(&e, "--readonly: deploy would change the cluster");
		goto out;
	}
	/* Check before connecting: a bad name needs no cluster to be wrong. */
	if (kube_deploy_validate(&o, &e) < 0)
		goto out;
	cl = cli_connect(app, &e);
	if (!cl)
		goto out;
	o.namespace = cli_kube_namespace(cl);
	char *report = NULL;
	int ok = kube_deploy_apply(cl, &o, force, &report, &e);
	if (report)
		fputs(report, stdout);
	free(report);
	if (ok == 0)
		rc = EXIT_OK;
out:
	if (rc != EXIT_OK && perr_isset(&e))
		cli_error("%s", e.msg);
	kube_client_free(cl);
	free(label);
	free((char *)o.model_sha256);
	return rc;
}

const struct command cmd_deploy_entry = {
	.name = "deploy",
	.args = "NAME --image REF [--replicas N] [--cpu Q] [--memory Q] [--port 8080]\n"
		"       [--service-type ClusterIP|NodePort|LoadBalancer] [--model FILE] [--dry-run]\n"
		"       [--force-conflicts]",
	.summary = "deploy a model server (Deployment + Service)",
	.help = "Server-side apply (fieldManager=podium) a Deployment running the model image REF\n"
		"and a Service in front of it, in the namespace of -n or the context.\n"
		"Names are checked first, with the fix suggested.\n\n"
		"  --image REF          the model-server image (built by `podium build`)\n"
		"  --replicas N         pods (default 3)\n"
		"  --cpu Q, --memory Q  requests and limits (default 500m, 256Mi)\n"
		"  --port N             the server's port (default 8080)\n"
		"  --service-type T     ClusterIP (default), NodePort or LoadBalancer\n"
		"  --model FILE         the model in the image: labels podium.dev/model and\n"
		"                       podium.dev/model-sha256 from the file\n"
		"  --dry-run            print the manifests as YAML; change nothing\n"
		"  --force-conflicts    take fields another manager owns",
	.kube_globals = 1,
	.fn = cmd_deploy,
};
