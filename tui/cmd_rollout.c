/*
 * cmd_rollout.c - `podium rollout status|restart|history|undo|pause|resume
 * deployment/NAME`: kubectl's rollout commands, with its options, output
 * lines and error messages. status follows the Deployment through a
 * list/watch cache (kubectl's UntilWithSync), so a dropped watch or a 410
 * does not end it.
 */
#define _POSIX_C_SOURCE 200809L
#include "tui/tui.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kube/kube.h"

extern const struct command cmd_rollout_entry;

/* What one invocation needs, parsed from argv. */
struct rollout_args {
	const char *name;
	const char *ns;
	long revision;     /* status --revision, history --revision */
	long to_revision;  /* undo --to-revision */
	long timeout_ms;   /* status --timeout; 0: never */
	int watch;         /* status --watch (default true) */
};

typedef int (*rollout_fn)(struct kube_client *c, const struct rollout_args *a);

/* Print a line that came from the cluster, made safe for a terminal. */
static void print_safe(FILE *f, const char *s)
{
	char *t = sanitize_text(s, strlen(s), 1);
	fputs(t, f);
	fputc('\n', f);
	free(t);
}

static void print_done(const struct rollout_args *a, const char *what)
{
	char *line = xasprintf("deployment.apps/%s %s", a->name, what);
	print_safe(stdout, line);
	free(line);
}

/* ---- status ---- */

struct status_run {
	const struct rollout_args *a;
	int done;   /* 1 rolled out, -1 failed */
	struct perr e;
};

static void *keep_json(void *ctx, struct json_t *obj)
{
	(void)ctx;
	return json_incref(obj);
}

static void drop_json(void *p)
{
	json_decref(p);
}

static void on_deploy(void *ctx, enum kube_event_type t, const struct kube_item *it)
{
	struct status_run *r = ctx;
	if (r->done)
		return;
	if (t == KUBE_EVENT_DELETED) {
		perr_set(&r->e, "object has been deleted");
		r->done = -1;
		return;
	}
	char *msg = NULL;
	int rc = kube_rollout_status(it->proj, r->a->revision, &msg, &r->e);
	if (rc < 0) {
		r->done = -1;
		return;
	}
	print_safe(stdout, msg);
	fflush(stdout);
	free(msg);
	if (rc == 1 || !r->a->watch)
		r->done = 1;
}

static int do_status(struct kube_client *c, const struct rollout_args *a)
{
	struct perr e = { { 0 } };
	/* kubectl looks the object up first: a missing one is NotFound. */
	json_t *d = kube_rollout_get(c, a->ns, a->name, &e);
	if (!d) {
		cli_error("%s", e.msg);
		return EXIT_FAIL;
	}
	json_decref(d);
	struct status_run run = { .a = a };
	char *field = xasprintf("metadata.name=%s", a->name);
	char *esc = kube_query_escape(a->ns);
	char *path = xasprintf("/apis/apps/v1/namespaces/%s/deployments", esc);
	free(esc);
	struct kube_cache_spec spec = {
		.path = path,
		.field_selector = field,
		.project_json = keep_json,
		.project_free = drop_json,
		.on_change = on_deploy,
		.change_ctx = &run,
	};
	struct kube_watchset *ws = kube_watchset_new(c);
	if (!ws) {
		cli_error("cannot start libcurl");
		free(field);
		free(path);
		return EXIT_FAIL;
	}
	kube_watchset_add(ws, &spec);
	long long deadline = a->timeout_ms > 0 ? now_ms() + a->timeout_ms : -1;
	while (!run.done) {
		long long now = now_ms();
		if (deadline >= 0 && now >= deadline) {
			perr_set(&run.e, "timed out waiting for the condition");
			run.done = -1;
			break;
		}
		int wait = deadline >= 0 ? (int)(deadline - now) : 1000;
		kube_watchset_poll(ws, NULL, 0, wait);
		kube_watchset_step(ws, now_ms());
	}
	kube_watchset_free(ws);
	free(field);
	free(path);
	if (run.done < 0) {
		cli_error("%s", run.e.msg);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* ---- the patch commands ---- */

static int fetch(struct kube_client *c, const struct rollout_args *a, json_t **d)
{
	struct perr e = { { 0 } };
	*d = kube_rollout_get(c, a->ns, a->name, &e);
	if (!*d) {
		cli_error("%s", e.msg);
		return -1;
	}
	return 0;
}

static int paused(const json_t *d)
{
	return json_is_true(json_object_get(json_object_get(d, "spec"), "paused"));
}

static int send_patch(struct kube_client *c, const struct rollout_args *a, const char *type,
		      const char *patch, const char *prefix)
{
	struct perr e = { { 0 } };
	if (kube_rollout_patch(c, a->ns, a->name, type, patch, &e) < 0) {
		if (prefix)
			cli_error("%s%s", prefix, e.msg);
		else
			cli_error("%s", e.msg);
		return -1;
	}
	return 0;
}

static int do_restart(struct kube_client *c, const struct rollout_args *a)
{
	json_t *d;
	if (fetch(c, a, &d) < 0)
		return EXIT_FAIL;
	int p = paused(d);
	json_decref(d);
	if (p) {
		cli_error("deployments.apps \"%s\" can't restart paused deployment (run rollout resume first)",
			  a->name);
		return EXIT_FAIL;
	}
	char *patch = kube_rollout_restart_patch((long long)time(NULL));
	int rc = send_patch(c, a, "application/strategic-merge-patch+json", patch, NULL);
	free(patch);
	if (rc < 0)
		return EXIT_FAIL;
	print_done(a, "restarted");
	return EXIT_OK;
}

static int set_paused(struct kube_client *c, const struct rollout_args *a, int want)
{
	json_t *d;
	if (fetch(c, a, &d) < 0)
		return EXIT_FAIL;
	int p = paused(d);
	json_decref(d);
	if (p == want) {
		cli_error("deployments.apps \"%s\" %s", a->name, want ? "is already paused" : "is not paused");
		return EXIT_FAIL;
	}
	/* What kubectl's two-way strategic diff of paused true/false gives:
	 * false is omitted, so resuming deletes the field. */
	const char *patch = want ? "{\"spec\":{\"paused\":true}}" : "{\"spec\":{\"paused\":null}}";
	if (send_patch(c, a, "application/strategic-merge-patch+json", patch, "failed to patch: ") < 0)
		return EXIT_FAIL;
	print_done(a, want ? "paused" : "resumed");
	return EXIT_OK;
}

static int do_pause(struct kube_client *c, const struct rollout_args *a)
{
	return set_paused(c, a, 1);
}

static int do_resume(struct kube_client *c, const struct rollout_args *a)
{
	return set_paused(c, a, 0);
}

/* The revisions of the Deployment; -1 after printing the error. */
static int revisions(struct kube_client *c, const struct rollout_args *a, json_t **d,
		     struct kube_revision **v, size_t *n)
{
	if (fetch(c, a, d) < 0)
		return -1;
	struct perr e = { { 0 } };
	json_t *rs = kube_rollout_replicasets(c, *d, &e);
	if (!rs) {
		cli_error("failed to retrieve replica sets from deployment %s: %s", a->name, e.msg);
		json_decref(*d);
		return -1;
	}
	*n = kube_rollout_revisions(*d, rs, v);
	json_decref(rs);
	return 0;
}

static const char *jstr(const json_t *v)
{
	const char *s = json_string_value(v);
	return s ? s : "";
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* kubectl's printLabelsMultiline: sorted "k=v" (or "k: v" for
 * annotations), one a line, the first after the title. */
static void put_map(struct dbuf *b, const char *title, const json_t *m, const char *sep,
		    int show_none)
{
	size_t n = json_object_size(m);
	if (!n) {
		if (show_none)
			dbuf_printf(b, "%s:\t<none>\n", title);
		return;
	}
	const char **keys = xmalloc(n * sizeof *keys);
	size_t i = 0;
	const char *k;
	json_t *x;
	json_object_foreach((json_t *)m, k, x)
		keys[i++] = k;
	qsort(keys, n, sizeof *keys, key_cmp);
	for (i = 0; i < n; i++) {
		if (i)
			dbuf_puts(b, "\t");
		else
			dbuf_printf(b, "%s:\t", title);
		dbuf_printf(b, "%s%s%s\n", keys[i], sep, jstr(json_object_get(m, keys[i])));
	}
	free(keys);
}

/* Resource quantities, sorted by name, one a line. */
static void put_quantities(struct dbuf *b, const json_t *m)
{
	size_t n = json_object_size(m), i = 0;
	const char **keys = xmalloc(n * sizeof *keys);
	const char *k;
	json_t *x;
	json_object_foreach((json_t *)m, k, x)
		keys[i++] = k;
	qsort(keys, n, sizeof *keys, key_cmp);
	for (i = 0; i < n; i++)
		dbuf_printf(b, "      %s:\t%s\n", keys[i], jstr(json_object_get(m, keys[i])));
	free(keys);
}

static long long num(const json_t *o, const char *k, long long dflt)
{
	json_t *v = json_object_get(o, k);
	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

/* An int-or-string port as text. */
static void put_port(struct dbuf *b, const json_t *p)
{
	if (json_is_integer(p))
		dbuf_printf(b, "%lld", json_integer_value(p));
	else
		dbuf_puts(b, jstr(p));
}

/* kubectl's DescribeProbe: the action, then its timings (the server's
 * defaults when absent). */
static void put_probe(struct dbuf *b, const json_t *pr)
{
	json_t *h = json_object_get(pr, "httpGet"), *tcp = json_object_get(pr, "tcpSocket");
	json_t *ex = json_object_get(pr, "exec"), *grpc = json_object_get(pr, "grpc");
	if (json_is_object(h)) {
		const char *scheme = *jstr(json_object_get(h, "scheme")) ? jstr(json_object_get(h, "scheme")) : "HTTP";
		dbuf_puts(b, "http-get ");
		for (const char *c = scheme; *c; c++)
			dbuf_printf(b, "%c", *c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
		dbuf_printf(b, "://%s:", jstr(json_object_get(h, "host")));
		put_port(b, json_object_get(h, "port"));
		dbuf_printf(b, "%s ", jstr(json_object_get(h, "path")));
	} else if (json_is_object(tcp)) {
		dbuf_printf(b, "tcp-socket %s:", jstr(json_object_get(tcp, "host")));
		put_port(b, json_object_get(tcp, "port"));
		dbuf_puts(b, " ");
	} else if (json_is_object(grpc)) {
		dbuf_printf(b, "grpc <pod>:%lld %s ", num(grpc, "port", 0), jstr(json_object_get(grpc, "service")));
	} else if (json_is_object(ex)) {
		dbuf_puts(b, "exec [");
		size_t i;
		json_t *a;
		json_array_foreach(json_object_get(ex, "command"), i, a)
			dbuf_printf(b, "%s%s", i ? " " : "", jstr(a));
		dbuf_puts(b, "] ");
	} else {
		dbuf_puts(b, "unknown ");
	}
	dbuf_printf(b, "delay=%llds timeout=%llds period=%llds #success=%lld #failure=%lld\n",
		    num(pr, "initialDelaySeconds", 0), num(pr, "timeoutSeconds", 1),
		    num(pr, "periodSeconds", 10), num(pr, "successThreshold", 1),
		    num(pr, "failureThreshold", 3));
}

/* kubectl's DescribePodTemplate for what a model server's template holds:
 * labels, annotations, containers (image, ports, args, env), volumes, node
 * selectors, tolerations. Tabs stay as kubectl leaves them. */
static void print_template(const json_t *t)
{
	struct dbuf b;
	dbuf_init(&b, 0);
	dbuf_puts(&b, "Pod Template:\n");
	const json_t *meta = json_object_get(t, "metadata");
	const json_t *spec = json_object_get(t, "spec");
	put_map(&b, "  Labels", json_object_get(meta, "labels"), "=", 1);
	put_map(&b, "  Annotations", json_object_get(meta, "annotations"), ": ", 0);
	dbuf_puts(&b, "  Containers:\n");
	size_t i;
	json_t *ctr;
	json_array_foreach(json_object_get(spec, "containers"), i, ctr) {
		dbuf_printf(&b, "   %s:\n", jstr(json_object_get(ctr, "name")));
		dbuf_printf(&b, "    Image:\t%s\n", jstr(json_object_get(ctr, "image")));
		json_t *ports = json_object_get(ctr, "ports");
		if (!json_array_size(ports)) {
			dbuf_puts(&b, "    Port:\t<none>\n    Host Port:\t<none>\n");
		} else {
			json_t *p0 = json_array_get(ports, 0);
			const char *proto = json_string_value(json_object_get(p0, "protocol"));
			dbuf_printf(&b, "    Port:\t%lld/%s\n", json_integer_value(json_object_get(p0, "containerPort")),
				    proto ? proto : "TCP");
			dbuf_printf(&b, "    Host Port:\t%lld/%s\n", json_integer_value(json_object_get(p0, "hostPort")),
				    proto ? proto : "TCP");
		}
		static const char *const lists[][2] = { { "command", "Command" }, { "args", "Args" } };
		for (size_t l = 0; l < 2; l++) {
			json_t *args = json_object_get(ctr, lists[l][0]);
			if (!json_array_size(args))
				continue;
			dbuf_printf(&b, "    %s:\n", lists[l][1]);
			size_t j;
			json_t *arg;
			json_array_foreach(args, j, arg)
				dbuf_printf(&b, "      %s\n", jstr(arg));
		}
		json_t *res = json_object_get(ctr, "resources");
		static const char *const quotas[][2] = { { "limits", "Limits" }, { "requests", "Requests" } };
		for (size_t q = 0; q < 2; q++) {
			json_t *m = json_object_get(res, quotas[q][0]);
			if (!json_object_size(m))
				continue;
			dbuf_printf(&b, "    %s:\n", quotas[q][1]);
			put_quantities(&b, m);
		}
		static const char *const probes[][2] = { { "livenessProbe", "Liveness" },
							 { "readinessProbe", "Readiness" },
							 { "startupProbe", "Startup" } };
		for (size_t q = 0; q < 3; q++) {
			json_t *pr = json_object_get(ctr, probes[q][0]);
			if (json_is_object(pr)) {
				dbuf_printf(&b, "    %s:\t", probes[q][1]);
				put_probe(&b, pr);
			}
		}
		json_t *env = json_object_get(ctr, "env");
		if (!json_array_size(env)) {
			dbuf_puts(&b, "    Environment:\t<none>\n");
		} else {
			dbuf_puts(&b, "    Environment:\n");
			size_t j;
			json_t *ev;
			json_array_foreach(env, j, ev)
				dbuf_printf(&b, "      %s:\t%s\n", jstr(json_object_get(ev, "name")),
					    jstr(json_object_get(ev, "value")));
		}
		dbuf_puts(&b, "    Mounts:\t<none>\n");
	}
	json_t *vols = json_object_get(spec, "volumes");
	if (!json_array_size(vols))
		dbuf_puts(&b, "  Volumes:\t<none>\n");
	else
		dbuf_puts(&b, "  Volumes:\n");
	json_t *vol;
	json_array_foreach(vols, i, vol)
		dbuf_printf(&b, "   %s:\n", jstr(json_object_get(vol, "name")));
	put_map(&b, "  Node-Selectors", json_object_get(spec, "nodeSelector"), "=", 1);
	json_t *tols = json_object_get(spec, "tolerations");
	if (!json_array_size(tols))
		dbuf_puts(&b, "  Tolerations:\t<none>\n");
	json_t *tol;
	json_array_foreach(tols, i, tol) {
		/* key[=value][:effect] [op=Exists] [for Ns], as kubectl writes it */
		dbuf_puts(&b, i ? "\t" : "  Tolerations:\t");
		dbuf_puts(&b, jstr(json_object_get(tol, "key")));
		if (*jstr(json_object_get(tol, "value")))
			dbuf_printf(&b, "=%s", jstr(json_object_get(tol, "value")));
		if (*jstr(json_object_get(tol, "effect")))
			dbuf_printf(&b, ":%s", jstr(json_object_get(tol, "effect")));
		if (strcmp(jstr(json_object_get(tol, "operator")), "Exists") == 0 &&
		    !*jstr(json_object_get(tol, "value")))
			dbuf_puts(&b, " op=Exists");
		if (json_is_integer(json_object_get(tol, "tolerationSeconds")))
			dbuf_printf(&b, " for %llds", json_integer_value(json_object_get(tol, "tolerationSeconds")));
		dbuf_puts(&b, "\n");
	}
	/* Sanitise between the tabs, so kubectl's tabs survive and nothing
	 * from the cluster reaches the terminal raw. */
	for (char *seg = b.p, *tab;; seg = tab + 1) {
		tab = strchr(seg, '\t');
		size_t len = tab ? (size_t)(tab - seg) : strlen(seg);
		char *safe = sanitize_text(seg, len, 1);
		fputs(safe, stdout);
		free(safe);
		if (!tab)
			break;
		fputc('\t', stdout);
	}
	dbuf_free(&b);
}

static int do_history(struct kube_client *c, const struct rollout_args *a)
{
	json_t *d;
	struct kube_revision *v;
	size_t n;
	if (revisions(c, a, &d, &v, &n) < 0)
		return EXIT_FAIL;
	int rc = EXIT_OK;
	if (a->revision > 0) {
		const struct kube_revision *r = NULL;
		for (size_t i = 0; i < n; i++)
			if (v[i].revision == a->revision)
				r = &v[i];
		if (!r) {
			cli_error("unable to find the specified revision");
			rc = EXIT_FAIL;
		} else {
			printf("deployment.apps/%s with revision #%ld\n", a->name, a->revision);
			json_t *t = json_deep_copy(json_object_get(json_object_get(r->rs, "spec"), "template"));
			/* kubectl shows the change-cause among the annotations */
			if (r->change_cause) {
				json_t *meta = json_object_get(t, "metadata");
				if (!json_object_get(meta, "annotations"))
					json_object_set_new(meta, "annotations", json_object());
				json_object_set_new(json_object_get(meta, "annotations"),
						    "kubernetes.io/change-cause", json_string(r->change_cause));
			}
			print_template(t);
			json_decref(t);
			printf("\n");
		}
	} else {
		char *table = kube_rollout_history_table(v, n);
		char *safe = sanitize_text(table, strlen(table), 1);
		/* kubectl's name printer: "deployment.apps/NAME " then the table. */
		char *name = sanitize_text(a->name, strlen(a->name), 0);
		printf("deployment.apps/%s \n%s\n", name, safe);
		free(name);
		free(safe);
		free(table);
	}
	kube_revisions_free(v, n);
	json_decref(d);
	return rc;
}

static int do_undo(struct kube_client *c, const struct rollout_args *a)
{
	json_t *d;
	struct kube_revision *v;
	size_t n;
	if (revisions(c, a, &d, &v, &n) < 0)
		return EXIT_FAIL;
	char *patch = NULL;
	long chosen = 0;
	struct perr e = { { 0 } };
	int rc = kube_rollout_undo_patch(d, v, n, a->to_revision, &patch, &chosen, &e);
	int out = EXIT_OK;
	if (rc < 0) {
		cli_error("%s", e.msg);
		out = EXIT_FAIL;
	} else if (rc == 1) {
		char what[128];
		snprintf(what, sizeof what,
			 "skipped rollback (current template already matches revision %ld)", chosen);
		print_done(a, what);
	} else {
		char pre[64];
		snprintf(pre, sizeof pre, "failed restoring revision %ld: ", chosen);
		if (send_patch(c, a, "application/json-patch+json", patch, pre) < 0)
			out = EXIT_FAIL;
		else
			print_done(a, "rolled back");
	}
	free(patch);
	kube_revisions_free(v, n);
	json_decref(d);
	return out;
}

static const struct {
	const char *name;
	rollout_fn fn;
} subcommands[] = {
	{ "status", do_status },   { "restart", do_restart }, { "history", do_history },
	{ "undo", do_undo },       { "pause", do_pause },     { "resume", do_resume },
};

/* A non-negative integer option value; -1 when it is not one. */
static long parse_count(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	return *s && !*end && v >= 0 ? v : -1;
}

/* Match --opt=VAL or --opt VAL at argv[*i]; *val is set and *i advanced. */
static int opt_value(int argc, char **argv, int *i, const char *opt, const char **val)
{
	size_t l = strlen(opt);
	const char *a = argv[*i];
	if (strncmp(a, opt, l) != 0)
		return 0;
	if (a[l] == '=') {
		*val = a + l + 1;
		return 1;
	}
	if (a[l] != '\0')
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*val = argv[++*i];
	return 1;
}

static int cmd_rollout(struct app *app, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage(&cmd_rollout_entry, "rollout needs a subcommand: status, restart, history, undo, pause, resume or model");
	/* A gated model rollout has options of its own (cmd_rollout_model.c). */
	if (strcmp(argv[1], "model") == 0)
		return rollout_model(app, argc - 1, argv + 1);
	rollout_fn fn = NULL;
	const char *sub = argv[1];
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		if (strcmp(subcommands[i].name, sub) == 0)
			fn = subcommands[i].fn;
	if (!fn)
		return cli_usage(&cmd_rollout_entry, "unknown rollout subcommand '%s'", sub);
	struct rollout_args a = { .watch = 1 };
	const char *positional[3];
	int npos = 0;
	for (int i = 2; i < argc; i++) {
		const char *val = NULL;
		int r;
		if ((r = opt_value(argc, argv, &i, "--revision", &val)) != 0 &&
		    (strcmp(sub, "status") == 0 || strcmp(sub, "history") == 0)) {
			if (r < 0 || (a.revision = parse_count(val)) < 0)
				return cli_usage(&cmd_rollout_entry, "--revision needs a revision number");
		} else if ((r = opt_value(argc, argv, &i, "--to-revision", &val)) != 0 &&
			   strcmp(sub, "undo") == 0) {
			if (r < 0 || (a.to_revision = parse_count(val)) < 0)
				return cli_usage(&cmd_rollout_entry, "--to-revision needs a revision number");
		} else if ((r = opt_value(argc, argv, &i, "--timeout", &val)) != 0 &&
			   strcmp(sub, "status") == 0) {
			struct perr e = { { 0 } };
			if (r < 0 || kube_parse_duration(val, &a.timeout_ms, &e) < 0)
				return cli_usage(&cmd_rollout_entry, "--timeout needs a duration (30s, 5m): %s", e.msg);
		} else if (strcmp(sub, "status") == 0 &&
			   (strcmp(argv[i], "--watch=false") == 0 || strcmp(argv[i], "-w=false") == 0)) {
			a.watch = 0;
		} else if (strcmp(sub, "status") == 0 &&
			   (strcmp(argv[i], "--watch") == 0 || strcmp(argv[i], "-w") == 0 ||
			    strcmp(argv[i], "--watch=true") == 0)) {
			a.watch = 1;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return cli_usage(&cmd_rollout_entry, "unknown option '%s' for rollout %s", argv[i], sub);
		} else if (npos < 2) {
			positional[npos++] = argv[i];
		} else {
			return cli_usage(&cmd_rollout_entry, "too many arguments");
		}
	}
	int pi = 0;
	struct perr e = { { 0 } };
	const struct kube_kind *k = cli_type_name(npos, (char **)positional, &pi, &a.name, &e);
	if (!k)
		return cli_usage(&cmd_rollout_entry, "%s", e.msg);
	if (pi != npos)
		return cli_usage(&cmd_rollout_entry, "too many arguments");
	if (strcmp(k->kind, "Deployment") != 0) {
		cli_error("rollout %s is supported for deployments only, not %s", sub, k->plural);
		return EXIT_FAIL;
	}
	if (app->g.readonly && strcmp(sub, "status") != 0 && strcmp(sub, "history") != 0) {
		cli_error("--readonly: rollout %s would change the cluster", sub);
		return EXIT_FAIL;
	}
	struct kube_client *c = cli_kube_connect(app);
	if (!c)
		return EXIT_FAIL;
	a.ns = cli_kube_namespace(c);
	int rc = fn(c, &a);
	kube_client_free(c);
	return rc;
}

const struct command cmd_rollout_entry = {
	.name = "rollout",
	.args = "status|restart|history|undo|pause|resume deployment/NAME [options]\n"
		"       podium rollout model NAME --image REF --model FILE [options]",
	.summary = "manage a Deployment's rollout, as kubectl rollout does",
	.help = "  status   follow the rollout until it finishes (--timeout D, --revision N,\n"
		"           --watch=false); keeps going across dropped watches\n"
		"  restart  restart the pods (kubectl.kubernetes.io/restartedAt)\n"
		"  history  the revisions and their change-cause (--revision N: its template)\n"
		"  undo     go back to the previous revision (--to-revision N)\n"
		"  pause    stop rolling out template changes\n"
		"  resume   roll them out again\n"
		"  model    a new model image as a canary gated on live predict-and-compare:\n"
		"           model NAME --image REF --model FILE [--canary-replicas 1]\n"
		"           [--min-agreement 99.5] [--samples 1000] [--batch 64]\n"
		"           [--concurrency 4] [--timeout 5m] [--data DIR | --test-images F\n"
		"           --test-labels F]\n"
		"The resource is deployment/NAME or deployment NAME; -n chooses the namespace.",
	.kube_globals = 1,
	.fn = cmd_rollout,
};
