/*
 * cmd_serve.c - `podium serve MODEL`: the model server that model images
 * run. Loads the model file, starts model/serve.c's HTTP server and waits
 * for SIGTERM or SIGINT (Kubernetes stops a pod with SIGTERM), then stops
 * gracefully and exits 0. A server process: it logs one line to stderr
 * when it starts listening and one when it has stopped.
 */
#define _POSIX_C_SOURCE 200809L
#include "model/model.h"
#include "tui/tui.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern const struct command cmd_serve_entry;

/* How long in-flight requests get to finish after SIGTERM: under
 * Kubernetes' default 30 s termination grace period. */
#define GRACE_MS 25000

/* A whole number in [lo, hi] from text, or -1. */
static int parse_int(const char *s, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* The file's base name without its extension: the default model name. */
static char *default_name(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *dot = strrchr(base, '.');
	size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
	return xstrndup(base, n);
}

/* What the command line asked for. */
struct serve_args {
	const char *model;
	const char *listen;
	const char *name;
	long port, threads, max_batch;
};

static int cmd_serve(struct app *app, int argc, char **argv)
{
	struct serve_args a = {NULL, "0.0.0.0", NULL, 8080, 0, 256};
	const struct {
		const char *opt;
		long lo, hi;
		long *num;
		const char **str;
	} opts[] = {
		{"--port", 0, 65535, &a.port, NULL},
		{"--threads", 1, 256, &a.threads, NULL},
		{"--max-batch", 1, 65536, &a.max_batch, NULL},
		{"--listen", 0, 0, NULL, &a.listen},
		{"--name", 0, 0, NULL, &a.name},
	};
	(void)app;

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (arg[0] != '-' || strcmp(arg, "-") == 0) {
			if (a.model)
				return cli_usage(&cmd_serve_entry,
						 "one model file, not '%s' too",
						 arg);
			a.model = arg;
			continue;
		}
		size_t k = 0, n = sizeof opts / sizeof *opts;
		const char *val = NULL;
		for (; k < n; k++) {
			size_t ln = strlen(opts[k].opt);
			if (strncmp(arg, opts[k].opt, ln) == 0 &&
			    (arg[ln] == '\0' || arg[ln] == '=')) {
				val = arg[ln] == '=' ? arg + ln + 1 : NULL;
				break;
			}
		}
		if (k == n)
			return cli_usage(&cmd_serve_entry,
					 "unknown option '%s'", arg);
		if (!val) {
			if (i + 1 >= argc)
				return cli_usage(&cmd_serve_entry,
						 "%s needs a value",
						 opts[k].opt);
			val = argv[++i];
		}
		if (opts[k].num &&
		    parse_int(val, opts[k].lo, opts[k].hi, opts[k].num) < 0)
			return cli_usage(
				&cmd_serve_entry,
				"%s must be a number %ld..%ld, not '%s'",
				opts[k].opt, opts[k].lo, opts[k].hi, val);
		if (opts[k].str)
			*opts[k].str = val;
	}
	if (!a.model)
		return cli_usage(&cmd_serve_entry,
				 "which model file? (podium serve MODEL)");
	if (!a.threads) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		a.threads = cpus < 1 ? 1 : cpus > 4 ? 4 : cpus;
	}

	struct perr e = {{0}};
	struct model *m = NULL;
	struct serve *srv = NULL;
	char *name = a.name ? xstrdup(a.name) : default_name(a.model);
	int rc = EXIT_FAIL;
	struct model_load_opts lo = {NULL, NULL, 1};
	if (model_load(a.model, &lo, &m, &e) < 0) {
		cli_error("%s", e.msg);
		goto out;
	}
	/* The server runs requests side by side, one per server thread; BLAS
	 * threads inside each forward pass would only contend with them. */
	net_set_threads(1);

	/* Block the stop signals before the server's threads start, so they
	 * inherit the mask and only sigwait() below sees them. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	/* a client that hangs up mid-answer is not a reason to die */
	signal(SIGPIPE, SIG_IGN);

	struct serve_opts so = {
		.listen = a.listen,
		.port = (int)a.port,
		.name = name,
		.threads = (int)a.threads,
		.max_batch = (size_t)a.max_batch,
	};
	if (serve_start(m->net, m->scaling, m->sha256, &so, &srv, &e) < 0) {
		cli_error("%s", e.msg);
		goto out;
	}
	int v6 = strchr(a.listen, ':') != NULL;
	fprintf(stderr,
		"podium serve: listening on http://%s%s%s:%d (model %s version "
		"%s, "
		"%ld threads, max batch %ld, body limit %zu bytes)\n",
		v6 ? "[" : "", a.listen, v6 ? "]" : "", serve_port(srv), name,
		serve_version(srv), a.threads, a.max_batch,
		serve_max_body(srv));

	int sig = 0;
	while (sigwait(&stop, &sig) != 0)
		;
	int cut = serve_stop(srv, GRACE_MS);
	srv = NULL;
	fprintf(stderr, "podium serve: stopped on %s (%d requests cut off)\n",
		sig == SIGTERM ? "SIGTERM" : "SIGINT", cut);
	rc = EXIT_OK;
out:
	serve_stop(srv, 0);
	model_free(m);
	free(name);
	return rc;
}

const struct command cmd_serve_entry = {
	.name = "serve",
	.args = "MODEL [--port 8080] [--listen ADDR] [--name NAME] [--threads "
		"N] [--max-batch N]",
	.summary = "serve a model over HTTP (KServe v2, v1, /metrics)",
	.help = "Serve the model file MODEL over HTTP: the Open Inference "
		"Protocol (KServe v2:\n"
		"/v2/health/live, /v2/health/ready, /v2, "
		"/v2/models/NAME[/ready],\n"
		"POST /v2/models/NAME/infer), the v1 / TF-Serving REST form "
		"(GET /v1/models/NAME,\n"
		"POST /v1/models/NAME:predict) and /metrics in Prometheus text "
		"format.\n\n"
		"  --port N       TCP port (default 8080; 0 picks a free one)\n"
		"  --listen ADDR  numeric address to listen on (default "
		"0.0.0.0)\n"
		"  --name NAME    the model's name in URLs (default: the "
		"file's base name)\n"
		"  --threads N    server threads, one network each "
		"(default: CPUs, at most 4)\n"
		"  --max-batch N  most images in one request (default 256)\n\n"
		"SIGTERM or SIGINT stops it gracefully: readiness turns 503, "
		"requests in\n"
		"flight finish, and it exits 0.",
	.kube_globals = 0,
	.fn = cmd_serve,
};
