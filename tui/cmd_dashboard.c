/*
 * cmd_dashboard.c - `podium` with no command: the dashboard, on the
 * cluster the kubeconfig names, or with --sim on a simulated cluster that
 * runs inside this process (its API server on a loopback port only this
 * process knows the token of).
 */
#include "tui/tui.h"
#include "kube/kube.h"
#include "kube/sim/sim.h"
#include "model/model.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern const struct command cmd_dashboard_entry;

/* 128 random bits as hex, for the embedded API server's token. */
static int random_token(char out[33], struct perr *e)
{
	unsigned char raw[16];
	int fd = open("/dev/urandom", O_RDONLY);
	if (fd < 0 || read(fd, raw, sizeof raw) != (ssize_t)sizeof raw) {
		perr_set(e, "cannot read /dev/urandom");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

struct embedded {
	struct sim *sim;
	struct sim_server *srv;
	char *model; /* the demo model's bytes */
	size_t model_len;
	char sha[65];
};

static struct kube_client *start_sim(struct app *app, struct embedded *em, struct perr *e)
{
	struct sim_opts so = { .speed = 1, .demo = 1, .seed = (unsigned)time(NULL) };
	char token[33];
	if (random_token(token, e) < 0)
		return NULL;
	/* The demo's model deployment serves a real model when one can be
	 * had; without the data set the demo runs without it. */
	struct perr me = { { 0 } };
	char *mpath = demo_model_path(!isatty(2), &me);
	struct model *m = NULL;
	if (mpath && read_file(mpath, 64 << 20, &em->model, &em->model_len, &me) == 0 &&
	    model_load(mpath, NULL, &m, &me) == 0) {
		so.demo_model = em->model;
		so.demo_model_len = em->model_len;
		snprintf(em->sha, sizeof em->sha, "%s", m->sha256);
		so.demo_model_sha256 = em->sha;
	} else {
		fprintf(stderr, "podium: the demo runs without a model: %s\n", me.msg);
	}
	model_free(m);
	free(mpath);
	em->sim = sim_new(&so, e);
	if (!em->sim || sim_start_controllers(em->sim, e) < 0)
		return NULL;
	struct sim_server_opts sv = { .listen = "127.0.0.1:0", .token = token };
	em->srv = sim_server_start(em->sim, &sv, e);
	if (!em->srv)
		return NULL;
	struct kube_conn *conn = xcalloc(1, sizeof *conn);
	conn->context = xstrdup("podium-sim");
	conn->cluster = xstrdup("podium-sim");
	conn->user = xstrdup("podium-sim");
	conn->namespace = xstrdup(app->g.namespace ? app->g.namespace : "default");
	conn->server = xstrdup(sim_server_url(em->srv));
	conn->token = xstrdup(token);
	conn->source = xstrdup("the embedded simulated cluster");
	struct kube_client_opts co = { .log_file = app->g.log_file };
	return kube_client_new(conn, &co, e);
}

static int cmd_dashboard(struct app *app, int argc, char **argv)
{
	const char *start = NULL;
	for (int i = 1; i < argc; i++) {
		if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--command")) && i + 1 < argc) {
			start = argv[++i];
			if (!dash_cmd_find(start))
				return cli_usage(&cmd_dashboard_entry, "-c: no view named '%s' (:help lists them)", start);
		} else {
			return cli_usage(&cmd_dashboard_entry, "unknown argument '%s'", argv[i]);
		}
	}
	struct perr e = { { 0 } };
	struct embedded em = { 0 };
	struct kube_client *client = NULL;
	int rc = EXIT_FAIL;
	if (app->g.sim) {
		client = start_sim(app, &em, &e);
	} else {
		client = cli_connect(app, &e);
		if (!client && !app->g.kubeconfig && !getenv("KUBECONFIG") &&
		    strstr(e.msg, "no kubeconfig")) {
			perr_clear(&e);
			perr_set(&e, "no kubeconfig found (KUBECONFIG, ~/.kube/config) and not in a "
				     "cluster: point --kubeconfig at one, or try `podium --sim`");
		}
	}
	if (!client)
		goto out;
	/* A bad configuration file is shown on the status line: the
	 * dashboard starts with the defaults all the same. */
	struct config cfg;
	struct perr ce = { { 0 } };
	int cfg_bad = config_load(&cfg, &ce) < 0;
	struct dash d;
	memset(&d, 0, sizeof d);
	d.app = app;
	d.cfg = &cfg;
	/* flags, then the environment, then the file */
	d.readonly = app->g.readonly || cfg.readonly;
	d.theme_name = config_theme(&cfg, app->g.theme);
	if (dash_kube_open(&d, client, start, &e) < 0)
		goto out;
	if (cfg_bad)
		dash_message(&d, 1, "%s; using the defaults", ce.msg);
	if (dash_run(&d, &e) == 0)
		rc = EXIT_OK;
	dash_kube_close(&d);
out:
	if (rc != EXIT_OK)
		cli_error("%s", e.msg);
	kube_client_free(client);
	sim_server_stop(em.srv);
	sim_free(em.sim);
	free(em.model);
	return rc;
}

const struct command cmd_dashboard_entry = {
	.name = "dashboard",
	.args = "[-c VIEW] [--sim] [global options]",
	.summary = "the dashboard (what `podium` alone opens)",
	.help = "Open the dashboard on the cluster of the current kubeconfig context (or\n"
		"--context, --kubeconfig), or with --sim on a simulated cluster inside this\n"
		"process, seeded with a demo. Press ? in it for the keys; man podium lists them.\n\n"
		"  -c, --command VIEW  start in VIEW (pods, deploy, models, ... as after `:`)\n\n"
		"`podium -c VIEW` is the same as `podium dashboard -c VIEW`. Without -c it opens\n"
		"the view last shown in the context. Settings (theme, refresh, log-lines,\n"
		"readonly, start-view, keys) are read from $XDG_CONFIG_HOME/podium/config.yaml;\n"
		"see CONFIGURATION in podium(1).",
	.kube_globals = 1,
	.fn = cmd_dashboard,
};
