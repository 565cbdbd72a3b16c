/*
 * cmd_rollout_model.c - `podium rollout model NAME --image REF --model
 * FILE`: a new model version goes out as a canary gated on live
 * predict-and-compare. The canary Deployment NAME-canary (track canary)
 * serves behind the same Service; once it is ready its own pods are sent
 * the test images through the pod proxy and their answers compared with
 * the local model; at --min-agreement or above (and with every image
 * answered) the main Deployment moves to REF and the canary goes, else
 * the canary goes and the main Deployment is left as it was. Each step is
 * printed as it happens. A run that was interrupted is picked up by the
 * next: an existing canary is reused (same image and model) or replaced,
 * and a main Deployment already on REF only has its leftovers cleaned.
 *
 * Also `podium model compare MODEL --live deploy/NAME`: the same
 * comparison through the Deployment's Service.
 */
#define _POSIX_C_SOURCE 200809L
#include "kube/kube.h"
#include "model/model.h"
#include "tui/tui.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern const struct command cmd_rollout_entry;

/* "deploy/NAME" (deployment/, deployments/, deployments.apps/) or NAME:
 * the name, borrowed from s; NULL when it names another kind. */
static const char *deploy_name(const char *s)
{
	static const char *const prefixes[] = {
		"deploy/",	    "deployment/",	 "deployments/",
		"deployment.apps/", "deployments.apps/", NULL};
	for (int i = 0; prefixes[i]; i++)
		if (!strncmp(s, prefixes[i], strlen(prefixes[i])))
			return s + strlen(prefixes[i]);
	return strchr(s, '/') ? NULL : s;
}

int model_compare_live(struct app *app, const char *model_path,
		       const char *target, const struct live_compare *base,
		       double min_agreement)
{
	const char *name = deploy_name(target);
	struct perr e = {{0}};
	if (!name || kube_validate_name(KUBE_NAME_DNS1123_SUBDOMAIN,
					"Deployment", name, &e) < 0) {
		cli_error("--live takes deploy/NAME, not '%s'", target);
		return EXIT_USAGE;
	}
	struct kube_client *c = cli_kube_connect(app);
	if (!c)
		return EXIT_FAIL;
	const char *ns = cli_kube_namespace(c);
	struct kube_canary_info d;
	int rc = EXIT_FAIL;
	char *svc = NULL, *what = NULL;
	if (kube_canary_info(c, ns, name, &d, &e) < 0) {
		cli_error("%s", e.msg);
		goto out;
	}
	if (!d.exists) {
		cli_error("deployments.apps \"%s\" not found in namespace %s",
			  name, ns);
		goto out;
	}
	/* podium deploy's Service has the Deployment's name and a port
	 * named http; the pods serve the model under its label's name. */
	svc = xasprintf("/api/v1/namespaces/%s/services/%s:http/proxy", ns,
			name);
	char *clean = sanitize_text(d.image, strlen(d.image), 0);
	what = xasprintf("deploy/%s (service %s, image %s)", name, name, clean);
	free(clean);
	struct live_compare o = *base;
	const char *targets[] = {svc};
	o.targets = targets;
	o.ntargets = 1;
	o.served = *d.model ? d.model : name;
	o.what = what;
	o.model_path = model_path;
	struct live_outcome res;
	if (live_compare_run(c, &o, &res) < 0)
		goto out;
	if (!res.answered) {
		cli_error("no image was answered by deploy/%s", name);
		goto out;
	}
	rc = EXIT_OK;
	if (min_agreement >= 0 && res.agreement < min_agreement) {
		cli_error("agreement %.2f%% is below --min-agreement %.2f%%",
			  100 * res.agreement, 100 * min_agreement);
		rc = EXIT_FAIL;
	}
out:
	free(svc);
	free(what);
	kube_client_free(c);
	return rc;
}

/* ---- rollout model ---- */

struct rm_args {
	const char *name, *image, *model, *data, *test_images, *test_labels;
	long canary_replicas, samples, batch, concurrency;
	double min_agreement; /* a fraction, 0..1 */
	long timeout_ms;
};

static int parse_long(const char *opt, const char *v, long min, long *out)
{
	char *end;
	long n = strtol(v, &end, 10);
	if (!*v || *end || n < min)
		return cli_usage(&cmd_rollout_entry,
				 "%s needs a whole number >= %ld, not '%s'",
				 opt, min, v);
	*out = n;
	return 0;
}

static int rm_parse(int argc, char **argv, struct rm_args *a)
{
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		static const char *const with_value[] = {
			"--image",	   "--model",	    "--canary-replicas",
			"--min-agreement", "--samples",	    "--batch",
			"--concurrency",   "--timeout",	    "--data",
			"--test-images",   "--test-labels", NULL,
		};
		int takes = 0;
		for (int k = 0; with_value[k]; k++)
			takes |= !strcmp(o, with_value[k]);
		if (!takes) {
			if (o[0] == '-' && o[1])
				return cli_usage(
					&cmd_rollout_entry,
					"unknown option '%s' for rollout model",
					o);
			if (a->name)
				return cli_usage(&cmd_rollout_entry,
						 "too many arguments");
			a->name = o;
			continue;
		}
		if (!v)
			return cli_usage(&cmd_rollout_entry, "%s needs a value",
					 o);
		i++;
		int rc = 0;
		if (!strcmp(o, "--image"))
			a->image = v;
		else if (!strcmp(o, "--model"))
			a->model = v;
		else if (!strcmp(o, "--data"))
			a->data = v;
		else if (!strcmp(o, "--test-images"))
			a->test_images = v;
		else if (!strcmp(o, "--test-labels"))
			a->test_labels = v;
		else if (!strcmp(o, "--canary-replicas"))
			rc = parse_long(o, v, 1, &a->canary_replicas);
		else if (!strcmp(o, "--samples"))
			rc = parse_long(o, v, 1, &a->samples);
		else if (!strcmp(o, "--batch"))
			rc = parse_long(o, v, 1, &a->batch);
		else if (!strcmp(o, "--concurrency"))
			rc = parse_long(o, v, 1, &a->concurrency);
		else if (!strcmp(o, "--timeout")) {
			struct perr e = {{0}};
			if (kube_parse_duration(v, &a->timeout_ms, &e) < 0 ||
			    a->timeout_ms <= 0)
				return cli_usage(&cmd_rollout_entry,
						 "--timeout needs a duration "
						 "(30s, 5m), not '%s'",
						 v);
		} else if (!strcmp(o, "--min-agreement")) {
			if (cli_parse_agreement(v, &a->min_agreement) < 0)
				return cli_usage(&cmd_rollout_entry,
						 CLI_AGREEMENT_USAGE, v);
		}
		if (rc)
			return rc;
	}
	if (!a->name || !a->image || !a->model)
		return cli_usage(&cmd_rollout_entry,
				 "rollout model needs NAME, --image REF and "
				 "--model FILE");
	if ((a->test_images || a->test_labels) &&
	    (!a->test_images || !a->test_labels || a->data))
		return cli_usage(&cmd_rollout_entry,
				 "give both --test-images and --test-labels, "
				 "or --data DIR");
	return 0;
}

/* The rollout's events on stdout (errors on stderr), kubectl-like. */
struct printer {
	struct canary_run *run;
};

static void print_event(void *ud, enum canary_ev ev, const char *text)
{
	struct printer *p = ud;
	if (ev == CEV_ERROR) {
		fflush(stdout);
		cli_error("%s", text);
	} else if (ev == CEV_REPORT) {
		const struct live_compare *o = NULL;
		const struct live_cmp *c = canary_run_compare(p->run, &o);
		live_cmp_report(o, c);
		putchar('\n');
	} else {
		/* the result stands apart from the steps */
		printf("%s%s%s\n", ev == CEV_RESULT ? "\n" : "", canary_ev_prefix(ev), text);
	}
	fflush(stdout);
}

int rollout_model(struct app *app, int argc, char **argv)
{
	struct rm_args a = {
		.canary_replicas = 1,
		.samples = 1000,
		.batch = 64,
		.concurrency = 4,
		.min_agreement = 0.995,
		.timeout_ms = 300000,
	};
	int rc = rm_parse(argc, argv, &a);
	if (rc)
		return rc;
	const char *name = deploy_name(a.name);
	struct perr e = {{0}};
	if (!name || kube_validate_name(KUBE_NAME_DNS1123_LABEL, "Deployment",
					name, &e) < 0)
		return cli_usage(&cmd_rollout_entry, "%s",
				 name ? e.msg
				      : "rollout model takes a deployment");
	if (kube_validate_image(a.image, &e) < 0)
		return cli_usage(&cmd_rollout_entry, "%s", e.msg);
	if (app->g.readonly) {
		cli_error("--readonly: rollout model would change the cluster");
		return EXIT_FAIL;
	}
	struct model *m = NULL;
	if (model_load(a.model, NULL, &m, &e) < 0) {
		cli_error("%s", e.msg);
		return EXIT_FAIL;
	}
	char sha[65];
	memcpy(sha, m->sha256, sizeof sha);
	model_free(m);
	char *label = cli_model_label(a.model);
	rc = EXIT_FAIL;
	struct kube_client *c = cli_kube_connect(app);
	struct kube_watchset *ws = c ? kube_watchset_new(c) : NULL;
	if (!ws) {
		if (c)
			cli_error("cannot start curl");
		goto out;
	}
	struct canary_run_opts co = {
		.name = name,
		.ns = cli_kube_namespace(c),
		.image = a.image,
		.model_path = a.model,
		.label = label,
		.sha256 = sha,
		.data = a.data,
		.test_images = a.test_images,
		.test_labels = a.test_labels,
		.canary_replicas = (int)a.canary_replicas,
		.samples = (int)a.samples,
		.batch = (int)a.batch,
		.concurrency = (int)a.concurrency,
		.min_agreement = a.min_agreement,
		.timeout_ms = a.timeout_ms,
	};
	struct printer pr = { 0 };
	struct canary_run *run = canary_run_new(ws, &co, print_event, &pr);
	pr.run = run;
	int shown = -1;
	while (canary_run_step(run, now_ms())) {
		long long t = canary_run_timeout(run, now_ms());
		kube_watchset_poll(ws, NULL, 0, t >= 0 && t < 200 ? (int)t : 200);
		kube_watchset_step(ws, now_ms());
		struct canary_run_state st;
		canary_run_state(run, &st);
		/* the answers as they come, where someone watches */
		if (st.phase == CP_COMPARE && isatty(2) && st.requests != shown) {
			shown = st.requests;
			fprintf(stderr, "\r  %d/%d images answered", st.answered, st.images);
		}
	}
	if (shown >= 0)
		fputc('\n', stderr);
	struct canary_run_state st;
	canary_run_state(run, &st);
	canary_run_free(run);
	rc = st.outcome == CO_PROMOTED || st.outcome == CO_ALREADY ? EXIT_OK : EXIT_FAIL;
out:
	fflush(stdout);
	kube_watchset_free(ws);
	kube_client_free(c);
	free(label);
	return rc;
}
