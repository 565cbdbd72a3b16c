/*
 * cmd_logs.c - `podium logs POD|TYPE/NAME [-c C] [-f] ...`: kubectl logs,
 * with a follow stream that survives a dropped connection (a marked line
 * on stderr says where it resumed). A Deployment or ReplicaSet name picks
 * one of its pods as kubectl does (the most active first).
 */
#define _POSIX_C_SOURCE 200809L
#include "tui/tui.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube.h"

extern const struct command cmd_logs_entry;

static void print_line(void *ctx, const char *line, size_t n, int marker)
{
	(void)ctx;
	char *safe = sanitize_text(line, n, 1);
	FILE *f = marker ? stderr : stdout;
	fputs(safe, f);
	fflush(f);
	free(safe);
}

static json_t *get_json(struct kube_client *c, const char *path, const char *query,
			struct perr *e)
{
	struct kube_response r = { 0 };
	json_t *j = NULL;
	if (kube_request(c, "GET", path, query, NULL, NULL, 0, &r, e) == 0) {
		j = json_loadb(r.body ? r.body : "", r.len, 0, NULL);
		if (!json_is_object(j)) {
			perr_set(e, "%s: the server's answer is not JSON", path);
			json_decref(j);
			j = NULL;
		}
	}
	kube_response_free(&r);
	return j;
}

static const char *sget(const json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);
	if (b)
		v = json_object_get(v, b);
	const char *s = json_string_value(v);
	return s ? s : "";
}

static int pod_ready(const json_t *p, const char **since)
{
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(json_object_get(p, "status"), "conditions"), i, c) {
		if (strcmp(sget(c, "type", NULL), "Ready") == 0) {
			*since = sget(c, "lastTransitionTime", NULL);
			return strcmp(sget(c, "status", NULL), "True") == 0;
		}
	}
	*since = "";
	return 0;
}

static long long max_restarts(const json_t *p)
{
	long long m = 0;
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(json_object_get(p, "status"), "containerStatuses"), i, c) {
		long long r = json_integer_value(json_object_get(c, "restartCount"));
		if (r > m)
			m = r;
	}
	return m;
}

static int phase_rank(const json_t *p)
{
	const char *ph = sget(p, "status", "phase");
	return strcmp(ph, "Running") == 0 ? 2 : strcmp(ph, "Unknown") == 0 ? 1 : 0;
}

/* kubectl's sort.Reverse(ActivePods): the pod kubectl logs picks first.
 * Negative when a should come before b. RFC 3339 UTC stamps compare as
 * strings. */
static int more_active(const void *pa, const void *pb)
{
	const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
	int an = *sget(a, "spec", "nodeName") != 0, bn = *sget(b, "spec", "nodeName") != 0;
	if (an != bn)
		return bn - an; /* assigned first */
	if (phase_rank(a) != phase_rank(b))
		return phase_rank(b) - phase_rank(a);
	const char *ra, *rb;
	int ar = pod_ready(a, &ra), br = pod_ready(b, &rb);
	if (ar != br)
		return br - ar; /* ready first */
	int ad = *sget(a, "metadata", "deletionTimestamp") != 0;
	int bd = *sget(b, "metadata", "deletionTimestamp") != 0;
	if (ad != bd)
		return ad - bd; /* not deleting first */
	if (ad && bd && strcmp(sget(a, "metadata", "deletionTimestamp"), sget(b, "metadata", "deletionTimestamp")))
		return -strcmp(sget(a, "metadata", "deletionTimestamp"), sget(b, "metadata", "deletionTimestamp"));
	if (ar && br && strcmp(ra, rb))
		return strcmp(ra, rb); /* ready longer first */
	long long xa = max_restarts(a), xb = max_restarts(b);
	if (xa != xb)
		return xa < xb ? -1 : 1; /* fewer restarts first */
	return strcmp(sget(a, "metadata", "creationTimestamp"), sget(b, "metadata", "creationTimestamp"));
}

/* The pod of a Deployment or ReplicaSet, as kubectl picks it. Caller frees. */
static char *pick_pod(struct kube_client *c, const struct kube_kind *k, const char *ns,
		      const char *name, struct perr *e)
{
	char *path = kube_kind_path(k, ns, name);
	json_t *owner = get_json(c, path, NULL, e);
	free(path);
	if (!owner)
		return NULL;
	char *sel = kube_rollout_selector(owner);
	json_decref(owner);
	char *esc = kube_query_escape(sel);
	char *query = xasprintf("labelSelector=%s", esc);
	char *nse = kube_query_escape(ns);
	char *ppath = xasprintf("/api/v1/namespaces/%s/pods", nse);
	json_t *list = get_json(c, ppath, query, e);
	free(nse);
	free(ppath);
	free(query);
	free(esc);
	free(sel);
	if (!list)
		return NULL;
	json_t *items = json_object_get(list, "items");
	size_t n = json_array_size(items);
	char *pod = NULL;
	if (n == 0) {
		perr_set(e, "no pods found for %s/%s", k->singular, name);
	} else {
		json_t **v = xmalloc(n * sizeof *v);
		for (size_t i = 0; i < n; i++)
			v[i] = json_array_get(items, i);
		qsort(v, n, sizeof *v, more_active);
		pod = xstrdup(sget(v[0], "metadata", "name"));
		if (n > 1) {
			char *safe = sanitize_text(pod, strlen(pod), 0);
			fprintf(stderr, "Found %zu pods, using pod/%s\n", n, safe);
			free(safe);
		}
		free(v);
	}
	json_decref(list);
	return pod;
}

/* kubectl's container choice: -c, else the default-container annotation,
 * else the first (saying so when there were several). */
static int choose_container(struct kube_client *c, const char *ns, const char *pod,
			    const char **container, char **owned, struct perr *e)
{
	char *nse = kube_query_escape(ns), *pe = kube_query_escape(pod);
	char *path = xasprintf("/api/v1/namespaces/%s/pods/%s", nse, pe);
	free(nse);
	free(pe);
	json_t *p = get_json(c, path, NULL, e);
	free(path);
	if (!p)
		return -1;
	json_t *ctrs = json_object_get(json_object_get(p, "spec"), "containers");
	struct dbuf names;
	dbuf_init(&names, 0);
	size_t i;
	json_t *ct;
	json_array_foreach(ctrs, i, ct)
		dbuf_printf(&names, "%s%s", i ? ", " : "", sget(ct, "name", NULL));
	json_array_foreach(json_object_get(json_object_get(p, "spec"), "initContainers"), i, ct)
		dbuf_printf(&names, "%s%s (init)", names.len ? ", " : "", sget(ct, "name", NULL));
	int rc = 0;
	const char *want = *container;
	if (!want || !*want) {
		json_t *ann = json_object_get(json_object_get(p, "metadata"), "annotations");
		const char *d = json_string_value(json_object_get(ann, "kubectl.kubernetes.io/default-container"));
		if (d && *d)
			want = d;
		else if (json_array_size(ctrs) > 0)
			want = sget(json_array_get(ctrs, 0), "name", NULL);
		if (!d && json_array_size(ctrs) > 1) {
			char *s = sanitize_text(names.p, names.len, 0);
			char *w = sanitize_text(want, strlen(want), 0);
			fprintf(stderr, "Defaulted container \"%s\" out of: %s\n", w, s);
			free(s);
			free(w);
		}
	}
	int found = 0;
	json_array_foreach(ctrs, i, ct)
		found |= strcmp(sget(ct, "name", NULL), want ? want : "") == 0;
	json_array_foreach(json_object_get(json_object_get(p, "spec"), "initContainers"), i, ct)
		found |= strcmp(sget(ct, "name", NULL), want ? want : "") == 0;
	if (!found) {
		perr_set(e, "container %s is not valid for pod %s out of: %s", want ? want : "", pod,
			 names.p ? names.p : "");
		rc = -1;
	} else {
		*owned = xstrdup(want);
		*container = *owned;
	}
	dbuf_free(&names);
	json_decref(p);
	return rc;
}

/* -x VAL, -xVAL, --long VAL, --long=VAL: 1 matched (*val set), 0 not, -1
 * missing value. */
static int opt(int argc, char **argv, int *i, char shrt, const char *lng, const char **val)
{
	const char *a = argv[*i];
	size_t l = strlen(lng);
	if (a[0] == '-' && a[1] == '-' && strncmp(a + 2, lng, l) == 0 && (a[2 + l] == '=' || !a[2 + l])) {
		if (a[2 + l] == '=') {
			*val = a + 3 + l;
			return 1;
		}
	} else if (shrt && a[0] == '-' && a[1] == shrt) {
		if (a[2]) {
			*val = a + 2;
			return 1;
		}
	} else {
		return 0;
	}
	if (*i + 1 >= argc)
		return -1;
	*val = argv[++*i];
	return 1;
}

static int flag(const char *a, char shrt, const char *lng)
{
	if (shrt && a[0] == '-' && a[1] == shrt && !a[2])
		return 1;
	size_t l = strlen(lng);
	if (strncmp(a, "--", 2) == 0 && strncmp(a + 2, lng, l) == 0) {
		if (!a[2 + l] || strcmp(a + 2 + l, "=true") == 0)
			return 1;
		if (strcmp(a + 2 + l, "=false") == 0)
			return -1;
	}
	return 0;
}

static int cmd_logs(struct app *app, int argc, char **argv)
{
	struct kube_logs_opts o = { .tail = -1 };
	const char *target = NULL, *val = NULL;
	for (int i = 1; i < argc; i++) {
		int r, f;
		if ((r = opt(argc, argv, &i, 'c', "container", &val)) != 0) {
			if (r < 0)
				return cli_usage(&cmd_logs_entry, "-c needs a container name");
			o.container = val;
		} else if ((r = opt(argc, argv, &i, 0, "tail", &val)) != 0) {
			char *end;
			if (r < 0 || (o.tail = strtol(val, &end, 10), *end) || o.tail < -1)
				return cli_usage(&cmd_logs_entry, "--tail needs a number of lines (-1: all)");
		} else if ((r = opt(argc, argv, &i, 0, "since-time", &val)) != 0) {
			long long t;
			if (r < 0 || kube_parse_time(val, &t) < 0)
				return cli_usage(&cmd_logs_entry, "--since-time needs an RFC 3339 time (2026-11-28T11:00:00Z)");
			o.since_time = val;
		} else if ((r = opt(argc, argv, &i, 0, "since", &val)) != 0) {
			long ms;
			struct perr e = { { 0 } };
			if (r < 0 || kube_parse_duration(val, &ms, &e) < 0)
				return cli_usage(&cmd_logs_entry, "--since needs a duration (5s, 2m, 3h)");
			/* the server takes whole seconds; kubectl rounds up */
			o.since_seconds = (ms + 999) / 1000;
		} else if ((r = opt(argc, argv, &i, 0, "limit-bytes", &val)) != 0) {
			char *end;
			if (r < 0 || (o.limit_bytes = strtoll(val, &end, 10), *end) || o.limit_bytes < 0)
				return cli_usage(&cmd_logs_entry, "--limit-bytes needs a number of bytes");
		} else if ((f = flag(argv[i], 'f', "follow")) != 0) {
			o.follow = f > 0;
		} else if ((f = flag(argv[i], 'p', "previous")) != 0) {
			o.previous = f > 0;
		} else if ((f = flag(argv[i], 0, "timestamps")) != 0) {
			o.timestamps = f > 0;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return cli_usage(&cmd_logs_entry, "unknown option '%s' for logs", argv[i]);
		} else if (!target) {
			target = argv[i];
		} else if (!o.container) {
			o.container = argv[i]; /* kubectl logs POD CONTAINER */
		} else {
			return cli_usage(&cmd_logs_entry, "too many arguments");
		}
	}
	if (!target)
		return cli_usage(&cmd_logs_entry, "logs needs a pod (POD, pod/NAME or deployment/NAME)");
	if (o.since_seconds && o.since_time)
		return cli_usage(&cmd_logs_entry, "at most one of --since-time / --since may be used");
	struct perr e = { { 0 } };
	struct kube_client *c = cli_kube_connect(app);
	if (!c)
		return EXIT_FAIL;
	const char *ns = cli_kube_namespace(c);
	char *pod = NULL, *container = NULL;
	int rc = EXIT_FAIL;
	struct kube_logstream *ls = NULL;
	if (strchr(target, '/')) {
		int pi = 0;
		const char *name;
		char *args[1] = { (char *)target };
		const struct kube_kind *k = cli_type_name(1, args, &pi, &name, &e);
		if (!k)
			goto out;
		if (strcmp(k->kind, "Pod") == 0) {
			pod = xstrdup(name);
		} else if (strcmp(k->kind, "Deployment") == 0 || strcmp(k->kind, "ReplicaSet") == 0 ||
			   strcmp(k->kind, "Job") == 0) {
			pod = pick_pod(c, k, ns, name, &e);
			if (!pod)
				goto out;
		} else {
			perr_set(&e, "cannot get the logs from %s", k->plural);
			goto out;
		}
	} else {
		pod = xstrdup(target);
	}
	if (choose_container(c, ns, pod, &o.container, &container, &e) < 0)
		goto out;
	ls = kube_logstream_new(c, ns, pod, &o, print_line, NULL, &e);
	if (!ls)
		goto out;
	int st;
	while ((st = kube_logstream_step(ls, now_ms())) == 1)
		kube_logstream_poll(ls, NULL, 0, 1000);
	if (st < 0) {
		perr_set(&e, "%s", kube_logstream_error(ls));
		goto out;
	}
	rc = EXIT_OK;
out:
	if (rc != EXIT_OK)
		cli_error("%s", e.msg);
	kube_logstream_free(ls);
	free(pod);
	free(container);
	kube_client_free(c);
	return rc;
}

const struct command cmd_logs_entry = {
	.name = "logs",
	.args = "POD|TYPE/NAME [CONTAINER] [-c C] [-f] [--tail N] [--since D] [--since-time T] [--timestamps] [-p] [--limit-bytes N]",
	.summary = "print a pod's logs, as kubectl logs does",
	.help = "  -c, --container C  the container (default: the pod's default or first)\n"
		"  -f, --follow       keep streaming; a dropped stream resumes where it\n"
		"                     stopped, with a marked line on stderr\n"
		"  --tail N           the last N lines (-1: all)\n"
		"  --since D          only lines newer than D (5s, 2m, 3h)\n"
		"  --since-time T     only lines after the RFC 3339 time T\n"
		"  --timestamps       prefix each line with its timestamp\n"
		"  -p, --previous     the previous (terminated) container\n"
		"  --limit-bytes N    stop after N bytes\n"
		"deployment/NAME (or replicaset/NAME, job/NAME) picks one of its pods.",
	.kube_globals = 1,
	.fn = cmd_logs,
};
