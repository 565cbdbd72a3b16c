/*
 * cmd_build.c - `podium build MODEL --image REF`: a model-server image
 * built inside the cluster by a Job (BuildKit or kaniko), the context
 * carried in ConfigMaps; with --wait the builder's log is followed to the
 * end.
 */
#define _GNU_SOURCE /* getopt_long */
#include "tui/tui.h"
#include "kube/kube.h"
#include "model/model.h"

#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern const struct command cmd_build_entry;

static volatile sig_atomic_t interrupted;

static void on_int(int sig)
{
	(void)sig;
	interrupted = 1;
}

static int is_cancelled(void *ud)
{
	(void)ud;
	return interrupted;
}

static void progress(void *ud, enum kube_build_phase ph, int i, int n, const char *text)
{
	int tty = *(int *)ud;
	switch (ph) {
	case KUBE_BUILD_CONTEXT:
		if (tty)
			fprintf(stderr, "\rcontext: ConfigMap %d of %d%s", i, n, i == n ? "\n" : "");
		else if (i == n)
			fprintf(stderr, "context: %d ConfigMaps\n", n);
		break;
	case KUBE_BUILD_JOB:
		fprintf(stderr, "job.batch/%s created\n", text);
		break;
	case KUBE_BUILD_POD:
		fprintf(stderr, "builder pod %s\n", text);
		break;
	case KUBE_BUILD_LOG:
		fputs(text, stdout);
		fflush(stdout);
		break;
	case KUBE_BUILD_DONE:
		fprintf(stderr, "built and pushed %s\n", text);
		break;
	}
}

char *cmd_build_id(const char *path)
{
	char *copy = xstrdup(path);
	char *base = basename(copy);
	char stem[32];
	size_t n = 0;
	for (const char *p = base; *p && *p != '.' && n < 20; p++) {
		char ch = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
			stem[n++] = ch;
		else if (n && stem[n - 1] != '-')
			stem[n++] = '-';
	}
	while (n && stem[n - 1] == '-')
		n--;
	stem[n] = '\0';
	free(copy);
	static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	unsigned long long r = (unsigned long long)ts.tv_nsec ^ ((unsigned long long)getpid() << 20);
	char sfx[6];
	for (int i = 0; i < 5; i++) {
		r = r * 6364136223846793005ULL + 1442695040888963407ULL;
		sfx[i] = alphabet[(r >> 33) % (sizeof alphabet - 1)];
	}
	sfx[5] = '\0';
	return xasprintf("%s%s%s", n ? stem : "", n ? "-" : "", sfx);
}

static int cmd_build(struct app *app, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "image", required_argument, NULL, 'i' },
		{ "builder", required_argument, NULL, 'b' },
		{ "push-secret", required_argument, NULL, 's' },
		{ "base-image", required_argument, NULL, 'B' },
		{ "wait", no_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct kube_build_opts o = { 0 };
	struct kube_build_watch w = { 0 };
	int tty = isatty(2), c;
	optind = 1;
	opterr = 0;
	struct perr e = { { 0 } };
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'i': o.image = optarg; break;
		case 'b': o.builder = optarg; break;
		case 's': o.push_secret = optarg; break;
		case 'B': o.base_image = optarg; break;
		case 'w': w.wait = 1; break;
		case 't':
			if (kube_parse_duration(optarg, &w.timeout_ms, &e) < 0)
				return cli_usage(&cmd_build_entry, "--timeout: %s", e.msg);
			break;
		default:
			return cli_usage(&cmd_build_entry, "unknown option or missing value: %s", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage(&cmd_build_entry, "build takes one MODEL file");
	if (!o.image)
		return cli_usage(&cmd_build_entry, "--image REF is required");
	if (app->g.readonly) {
		cli_error("--readonly: build would change the cluster");
		return EXIT_FAIL;
	}
	const char *path = argv[optind];
	int rc = EXIT_FAIL;
	char *bytes = NULL, *id = NULL;
	size_t len = 0;
	struct kube_client *cl = NULL;
	struct model *m = NULL;
	/* The model must load before it ships: a bad file fails here. */
	if (model_load(path, NULL, &m, &e) < 0)
		goto out;
	if (read_file(path, KUBE_BUILD_MAX_MODEL + 1, &bytes, &len, &e) < 0)
		goto out;
	id = cmd_build_id(path);
	o.id = id;
	o.model_sha256 = m->sha256;
	o.namespace = "default";
	if (kube_build_validate(&o, len, &e) < 0)
		goto out;
	cl = cli_connect(app, &e);
	if (!cl)
		goto out;
	o.namespace = cli_kube_namespace(cl);
	w.progress = progress;
	w.cancelled = is_cancelled;
	w.ud = &tty;
	struct sigaction sa = { 0 };
	sa.sa_handler = on_int;
	sigaction(SIGINT, &sa, NULL);
	if (kube_build_run(cl, &o, bytes, len, &w, &e) == 0)
		rc = EXIT_OK;
out:
	if (rc != EXIT_OK)
		cli_error("%s", e.msg);
	kube_client_free(cl);
	model_free(m);
	free(bytes);
	free(id);
	return rc;
}

const struct command cmd_build_entry = {
	.name = "build",
	.args = "MODEL --image REF [--builder buildkit|kaniko] [--push-secret NAME] [--wait]\n"
		"       [--timeout DURATION] [--base-image REF]",
	.summary = "build a model-server image inside the cluster",
	.help = "Build an image that serves MODEL (FROM the Podium runtime image, the model at\n"
		"/models/model.safetensors) with a Job in the cluster: the context goes into\n"
		"ConfigMaps (720 KiB of model each, at most 64), a daemonless BuildKit (default)\n"
		"or kaniko builder assembles it and pushes to REF.\n\n"
		"  --image REF          where to push (required)\n"
		"  --builder B          buildkit (default) or kaniko\n"
		"  --push-secret NAME   a kubernetes.io/dockerconfigjson Secret for the registry\n"
		"  --wait               follow the builder's log until the Job ends; then the\n"
		"                       context ConfigMaps are deleted\n"
		"  --timeout D          give up waiting after D (default 10m)\n"
		"  --base-image REF     build FROM REF instead of the runtime image\n\n"
		"Without --wait the Job goes on alone; its ConfigMaps belong to it and go with it.",
	.kube_globals = 1,
	.fn = cmd_build,
};
