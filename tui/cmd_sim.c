/*
 * cmd_sim.c - `podium sim`: the simulated cluster as a server on loopback,
 * with a kubeconfig that kubectl and Podium use as is, until SIGINT or
 * SIGTERM; and `podium sim fault SPEC`, which injects a fault into a
 * running one.
 */
#define _POSIX_C_SOURCE 200809L
#include "tui/tui.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/sim/sim.h"
#include "model/model.h"

extern const struct command cmd_sim_entry;

struct sim_args {
	struct sim_opts o;
	struct sim_server_opts so;
	const char *demo_model; /* --demo-model FILE */
};

/* A number option in [min,max]; 0 / -1 (usage error printed). */
static int num_arg(const char *opt, const char *v, double min, double max, double *out)
{
	char *end;
	errno = 0;
	double d = strtod(v ? v : "", &end);
	if (!v || !*v || errno || *end || d < min || d > max) {
		cli_usage(&cmd_sim_entry, "%s needs a number from %g to %g, not '%s'", opt,
			  min, max, v ? v : "");
		return -1;
	}
	*out = d;
	return 0;
}

/* The value of --opt VALUE or --opt=VALUE at argv[*i]; NULL when argv[*i]
 * is not opt. *i ends on the last argument used. */
static const char *opt_value(const char *opt, int argc, char **argv, int *i, int *missing)
{
	size_t n = strlen(opt);
	const char *a = argv[*i];
	if (strncmp(a, opt, n) != 0)
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = 1;
		return NULL;
	}
	return argv[++*i];
}

static int cmd_sim_fault(struct app *app, int argc, char **argv)
{
	const char *kubeconfig = app->g.kubeconfig;
	const char *spec = NULL;
	for (int i = 1; i < argc; i++) {
		int missing = 0;
		const char *v = opt_value("--kubeconfig", argc, argv, &i, &missing);
		if (missing)
			return cli_usage(&cmd_sim_entry, "--kubeconfig needs a file");
		if (v) {
			kubeconfig = v;
			continue;
		}
		if (argv[i][0] == '-')
			return cli_usage(&cmd_sim_entry, "unknown option '%s'", argv[i]);
		if (spec)
			return cli_usage(&cmd_sim_entry, "sim fault takes one SPEC");
		spec = argv[i];
	}
	if (!spec)
		return cli_usage(&cmd_sim_entry, "sim fault needs a SPEC");
	char *fallback = NULL;
	if (!kubeconfig) {
		const char *env = getenv("KUBECONFIG");
		if (env && *env) {
			/* The first file of the list names the cluster. */
			fallback = strndup(env, strcspn(env, ":"));
		} else {
			const char *home = getenv("HOME");
			fallback = xasprintf("%s/.kube/config", home ? home : ".");
		}
		kubeconfig = fallback;
	}
	struct perr e = { { 0 } };
	int rc = sim_fault_remote(kubeconfig, spec, &e);
	free(fallback);
	if (rc < 0) {
		cli_error("%s", e.msg);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* Fill a from the arguments: 0, or the usage exit status (line printed). */
static int parse_args(int argc, char **argv, struct sim_args *a)
{
	memset(a, 0, sizeof *a);
	a->o.speed = 1;
	a->so.listen = "127.0.0.1:0";
	for (int i = 1; i < argc; i++) {
		int missing = 0;
		const char *v;
		double d;
		if (strcmp(argv[i], "--tls") == 0) {
			a->so.tls = 1;
		} else if (strcmp(argv[i], "--client-cert") == 0) {
			a->so.client_cert = 1;
		} else if (strcmp(argv[i], "--demo") == 0) {
			a->o.demo = 1;
		} else if ((v = opt_value("--demo-model", argc, argv, &i, &missing))) {
			a->demo_model = v;
			a->o.demo = 1;
		} else if ((v = opt_value("--listen", argc, argv, &i, &missing))) {
			a->so.listen = v;
		} else if ((v = opt_value("--token", argc, argv, &i, &missing))) {
			for (const char *p = v; *p; p++)
				if ((unsigned char)*p <= ' ' || *p == 0x7f)
					return cli_usage(&cmd_sim_entry,
							 "--token must be printable, without spaces");
			a->so.token = v;
		} else if ((v = opt_value("--token-file", argc, argv, &i, &missing))) {
			a->so.token_file = v;
		} else if ((v = opt_value("--kubeconfig-out", argc, argv, &i, &missing))) {
			a->so.kubeconfig_out = v;
		} else if ((v = opt_value("--seed-pods", argc, argv, &i, &missing))) {
			if (num_arg("--seed-pods", v, 0, 1000000, &d) < 0)
				return EXIT_USAGE;
			a->o.seed_pods = (int)d;
		} else if ((v = opt_value("--seed-age", argc, argv, &i, &missing))) {
			long ms;
			struct perr e = { { 0 } };
			if (kube_parse_duration(v, &ms, &e) < 0 || ms < 0)
				return cli_usage(&cmd_sim_entry, "--seed-age takes a duration (30m, 2h), not '%s'", v);
			a->o.seed_age_ms = ms;
		} else if ((v = opt_value("--speed", argc, argv, &i, &missing))) {
			if (num_arg("--speed", v, 0.01, 10000, &d) < 0)
				return EXIT_USAGE;
			a->o.speed = d;
		} else if ((v = opt_value("--faults", argc, argv, &i, &missing))) {
			a->o.faults = v;
		} else if ((v = opt_value("--seed", argc, argv, &i, &missing))) {
			if (num_arg("--seed", v, 0, 4294967295.0, &d) < 0)
				return EXIT_USAGE;
			a->o.seed = (unsigned)d;
		} else if (missing) {
			return cli_usage(&cmd_sim_entry, "option %s needs a value", argv[i]);
		} else {
			return cli_usage(&cmd_sim_entry, "unknown argument '%s'", argv[i]);
		}
	}
	if (a->so.client_cert && !a->so.tls)
		return cli_usage(&cmd_sim_entry, "--client-cert needs --tls");
	if (a->so.token && a->so.token_file)
		return cli_usage(&cmd_sim_entry, "--token and --token-file exclude each other");
	if (a->so.token_file && a->so.token_file[0] != '/')
		return cli_usage(&cmd_sim_entry, "--token-file needs an absolute path");
	return 0;
}

static int cmd_sim(struct app *app, int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "fault") == 0)
		return cmd_sim_fault(app, argc - 1, argv + 1);
	struct sim_args a;
	int rc = parse_args(argc, argv, &a);
	if (rc)
		return rc;

	/* Signals are taken by sigwait here: block them before any thread
	 * starts, so that every thread inherits the mask. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct perr e = { { 0 } };
	/* --demo-model: the demo's model deployment serves this file, as the
	 * embedded `podium --sim` serves its trained demo model. */
	char *model_bytes = NULL, sha[65] = "";
	size_t model_len = 0;
	if (a.demo_model) {
		struct model *m = NULL;
		if (model_load(a.demo_model, NULL, &m, &e) < 0 ||
		    read_file(a.demo_model, 64 << 20, &model_bytes, &model_len, &e) < 0) {
			cli_error("%s", e.msg);
			model_free(m);
			return EXIT_FAIL;
		}
		snprintf(sha, sizeof sha, "%s", m->sha256);
		model_free(m);
		a.o.demo_model = model_bytes;
		a.o.demo_model_len = model_len;
		a.o.demo_model_sha256 = sha;
	}
	struct sim *s = sim_new(&a.o, &e);
	if (!s) {
		cli_error("%s", e.msg);
		free(model_bytes);
		return EXIT_FAIL;
	}
	struct sim_server *srv = NULL;
	if (sim_start_controllers(s, &e) < 0 || !(srv = sim_server_start(s, &a.so, &e))) {
		cli_error("%s", e.msg);
		sim_free(s);
		free(model_bytes);
		return EXIT_FAIL;
	}
	/* One line, flushed: scripts and tests wait for it. */
	printf("%s\n", sim_server_url(srv));
	fflush(stdout);
	if (a.so.kubeconfig_out)
		fprintf(stderr, "podium: kubeconfig written to %s\n", a.so.kubeconfig_out);
	int sig = 0;
	sigwait(&set, &sig);
	sim_server_stop(srv);
	sim_free(s);
	free(model_bytes);
	return EXIT_OK;
}

const struct command cmd_sim_entry = {
	.name = "sim",
	.args = "[--listen 127.0.0.1:PORT] [--tls] [--token T | --token-file FILE]\n"
		"                 [--kubeconfig-out FILE]\n"
		"                 [--seed-pods N] [--seed-age D] [--speed X] [--faults SPEC] [--demo]\n"
		"                 [--demo-model FILE]\n"
		"       podium sim fault [--kubeconfig FILE] SPEC",
	.summary = "run the simulated cluster as an API server on loopback",
	.help = "Serve the simulated cluster on 127.0.0.1 until interrupted (SIGINT,\n"
		"SIGTERM). Port 0 (the default) picks a free port; the URL is printed on\n"
		"stdout as one line.\n\n"
		"  --listen ADDR         127.0.0.1:PORT to listen on (loopback only)\n"
		"  --tls                 serve HTTPS with a CA, server and client\n"
		"                        certificates made at start\n"
		"  --token T             require this bearer token\n"
		"  --token-file FILE     require the token FILE holds at each request\n"
		"                        (absolute path; tests rotate it)\n"
		"  --client-cert         also put the client certificate in the kubeconfig\n"
		"  --kubeconfig-out FILE write a kubeconfig for this cluster (mode 0600):\n"
		"                        the CA with --tls, the token if given, else the\n"
		"                        client certificate\n"
		"  --seed-pods N         seed N running pods over several namespaces\n"
		"  --seed-age D          seed as if D ago (30m, 2h): settled ages\n"
		"  --speed X             simulated seconds per real second (default 1)\n"
		"  --faults SPEC         faults from the start (as sim fault takes them)\n"
		"  --demo                seed the demo deployments\n"
		"  --demo-model FILE     seed the demo, its model deployment serving FILE\n"
		"  --seed N              random seed for names\n\n"
		"podium sim fault SPEC injects faults into a running cluster named by the\n"
		"kubeconfig (--kubeconfig, KUBECONFIG or ~/.kube/config). SPEC is a comma\n"
		"separated list of: drop-watches, expire-watches, errors=RATE (0-1 or N%),\n"
		"throttle=SECONDS, latency=MS, stall=SECONDS, clear.",
	.kube_globals = 0,
	.fn = cmd_sim,
};
