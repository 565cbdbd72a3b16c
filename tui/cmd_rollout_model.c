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

static void step(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One step of the rollout, printed as it starts. */
static void step(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("==> ");
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
	fflush(stdout);
}

static void status_line(const char *line, void *ud)
{
	(void)ud;
	char *clean = sanitize_text(line, strlen(line), 0);
	printf("    %s\n", clean);
	fflush(stdout);
	free(clean);
}

/* Remove the canary, saying so. 0 / -1 (printed). */
static int remove_canary(struct kube_client *c, const char *ns,
			 const char *cname, long timeout)
{
	struct perr e = {{0}};
	int existed = 0;
	step("removing canary deployment/%s", cname);
	if (kube_canary_delete(c, ns, cname, timeout, &existed, &e) < 0) {
		cli_error("removing the canary: %s", e.msg);
		return -1;
	}
	printf("    %s\n", existed ? "deleted" : "not there");
	fflush(stdout);
	return 0;
}

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
	char *cname = xasprintf("%s-canary", name);
	char **targets = NULL;
	int ntargets = 0;
	char *what = NULL, *report = NULL;
	rc = EXIT_FAIL;
	struct kube_client *c = cli_kube_connect(app);
	if (!c)
		goto out;
	const char *ns = cli_kube_namespace(c);
	struct kube_canary_info main_d, can;
	if (kube_canary_info(c, ns, name, &main_d, &e) < 0 ||
	    kube_canary_info(c, ns, cname, &can, &e) < 0) {
		cli_error("%s", e.msg);
		goto out;
	}
	if (!main_d.exists) {
		cli_error("deployments.apps \"%s\" not found in namespace %s: "
			  "deploy it first "
			  "(podium deploy %s --image REF --model FILE)",
			  name, ns, name);
		goto out;
	}
	char *img = sanitize_text(main_d.image, strlen(main_d.image), 0);
	printf("rolling out %s (model %s, sha256 %.16s) to deployment/%s in "
	       "%s\n"
	       "    now: %s (model %s)\n",
	       a.image, label, sha, name, ns, img,
	       *main_d.model ? main_d.model : "-");
	free(img);
	fflush(stdout);
	/* A run that promoted and was stopped before cleaning up. */
	if (!strcmp(main_d.image, a.image) && !strcmp(main_d.sha256, sha)) {
		step("deployment/%s already runs %s with this model", name,
		     a.image);
		if (kube_canary_wait(c, ns, name, a.timeout_ms, status_line,
				     NULL, &e) < 0) {
			cli_error("%s", e.msg);
			goto out;
		}
		if (remove_canary(c, ns, cname, a.timeout_ms) < 0)
			goto out;
		printf("\nresult: deployment/%s already promoted to %s\n", name,
		       a.image);
		rc = EXIT_OK;
		goto out;
	}
	struct kube_deploy_opts dop = {
		.name = name,
		.namespace = ns,
		.image = a.image,
		.model = label,
		.model_sha256 = sha,
		.replicas = (int)a.canary_replicas,
		.port = main_d.port,
		.canary = 1,
	};
	if (can.exists && !strcmp(can.image, a.image) &&
	    !strcmp(can.sha256, sha))
		step("canary deployment/%s already runs %s: reusing it", cname,
		     a.image);
	else if (can.exists)
		step("replacing canary deployment/%s (%s) with %s, %ld "
		     "replica%s",
		     cname, can.image, a.image, a.canary_replicas,
		     a.canary_replicas == 1 ? "" : "s");
	else
		step("deploying canary deployment/%s: %s, %ld replica%s behind "
		     "service/%s",
		     cname, a.image, a.canary_replicas,
		     a.canary_replicas == 1 ? "" : "s", name);
	/* The canary is the rollout's own: take over whatever changed it. */
	if (kube_deploy_apply(c, &dop, 1, &report, &e) < 0) {
		cli_error("%s", e.msg);
		goto out;
	}
	step("waiting for the canary to be ready");
	if (kube_canary_wait(c, ns, cname, a.timeout_ms, status_line, NULL,
			     &e) < 0) {
		cli_error("the canary did not become ready: %s", e.msg);
		remove_canary(c, ns, cname, a.timeout_ms);
		printf("\nresult: aborted; deployment/%s untouched\n", name);
		goto out;
	}
	targets = kube_canary_targets(c, ns, cname, main_d.port, &ntargets, &e);
	if (!targets || !ntargets) {
		cli_error("the canary has no ready pod to compare%s%s",
			  targets ? "" : ": ", targets ? "" : e.msg);
		remove_canary(c, ns, cname, a.timeout_ms);
		printf("\nresult: aborted; deployment/%s untouched\n", name);
		goto out;
	}
	step("comparing the canary's live predictions with %s (%ld images, %d "
	     "pod%s)",
	     a.model, a.samples, ntargets, ntargets == 1 ? "" : "s");
	what = xasprintf(
		"canary deployment/%s (%s, %d pod%s through the pod proxy)",
		cname, a.image, ntargets, ntargets == 1 ? "" : "s");
	struct live_compare lc = {
		.model_path = a.model,
		.data = a.data,
		.test_images = a.test_images,
		.test_labels = a.test_labels,
		.samples = (int)a.samples,
		.batch = (int)a.batch,
		.concurrency = (int)a.concurrency,
		.top = 5,
		.targets = (const char *const *)targets,
		.ntargets = ntargets,
		.served = label,
		.what = what,
	};
	struct live_outcome res;
	if (live_compare_run(c, &lc, &res) < 0) {
		remove_canary(c, ns, cname, a.timeout_ms);
		printf("\nresult: aborted; deployment/%s untouched\n", name);
		goto out;
	}
	double pct = 100 * res.agreement;
	int pass = res.answered == res.n && res.n > 0 &&
		   res.agreement >= a.min_agreement;
	putchar('\n');
	if (!pass) {
		if (res.answered < res.n)
			step("refused: the canary answered %d of %d images",
			     res.answered, res.n);
		else
			step("refused: agreement %.2f%% is below "
			     "--min-agreement %.2f%%",
			     pct, 100 * a.min_agreement);
		remove_canary(c, ns, cname, a.timeout_ms);
		char *now =
			sanitize_text(main_d.image, strlen(main_d.image), 0);
		printf("\nresult: refused; deployment/%s untouched (still "
		       "%s)\n",
		       name, now);
		free(now);
		goto out;
	}
	step("agreement %.2f%% >= %.2f%%: promoting deployment/%s to %s", pct,
	     100 * a.min_agreement, name, a.image);
	dop.canary = 0;
	dop.replicas = main_d.replicas;
	free(report);
	report = NULL;
	if (kube_deploy_apply(c, &dop, 0, &report, &e) < 0) {
		cli_error(
			"promoting: %s (the canary stays; run again to retry)",
			e.msg);
		goto out;
	}
	step("waiting for deployment/%s to roll out", name);
	if (kube_canary_wait(c, ns, name, a.timeout_ms, status_line, NULL, &e) <
	    0) {
		cli_error("%s (the canary stays; run again to finish)", e.msg);
		goto out;
	}
	if (remove_canary(c, ns, cname, a.timeout_ms) < 0)
		goto out;
	printf("\nresult: promoted; deployment/%s runs %s (model %s, agreement "
	       "%.2f%%)\n",
	       name, a.image, label, pct);
	rc = EXIT_OK;
out:
	fflush(stdout);
	kube_canary_targets_free(targets, ntargets);
	kube_client_free(c);
	free(report);
	free(what);
	free(cname);
	free(label);
	return rc;
}
