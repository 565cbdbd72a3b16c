/*
 * rollout.c - Deployment rollouts as kubectl does them: status (the
 * DeploymentStatusViewer's algorithm and words), restart (the restartedAt
 * annotation on the pod template, as a strategic merge patch), pause and
 * resume (spec.paused), history (the ReplicaSets the Deployment controls,
 * by revision, with their change-cause) and undo (a JSON patch that puts a
 * ReplicaSet's template back, with kubectl's rules for annotations).
 *
 * The decisions are pure functions over jansson values, so the recorded
 * Deployment and ReplicaSets test them; kube_rollout_fetch and the patch
 * calls are the only ones that talk to the server.
 */
#define _POSIX_C_SOURCE 200809L
#include "kube/kube.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REVISION_ANNOTATION "deployment.kubernetes.io/revision"
#define CHANGE_CAUSE_ANNOTATION "kubernetes.io/change-cause"
#define HASH_LABEL "pod-template-hash"
#define RESTARTED_AT "kubectl.kubernetes.io/restartedAt"

/* Deployment annotations that undo keeps from the Deployment instead of
 * copying them from the ReplicaSet (kubectl's annotationsToSkip). */
static const char *const annotations_to_skip[] = {
	"kubectl.kubernetes.io/last-applied-configuration",
	REVISION_ANNOTATION,
	"deployment.kubernetes.io/revision-history",
	"deployment.kubernetes.io/desired-replicas",
	"deployment.kubernetes.io/max-replicas",
	"deprecated.deployment.rollback.to",
	NULL,
};

static int skip_annotation(const char *k)
{
	for (const char *const *s = annotations_to_skip; *s; s++)
		if (strcmp(*s, k) == 0)
			return 1;
	return 0;
}

static json_t *path_get(const json_t *o, const char *a, const char *b, const char *c)
{
	json_t *v = json_object_get(o, a);
	if (v && b)
		v = json_object_get(v, b);
	if (v && c)
		v = json_object_get(v, c);
	return v;
}

static long long int_at(const json_t *o, const char *a, const char *b)
{
	return json_integer_value(path_get(o, a, b, NULL));
}

static const char *str_at(const json_t *o, const char *a, const char *b, const char *c)
{
	const char *s = json_string_value(path_get(o, a, b, c));
	return s ? s : "";
}

/* A revision annotation as a number; -1 when absent or not a number. */
static long parse_revision(const json_t *obj)
{
	const char *s = json_string_value(path_get(obj, "metadata", "annotations", REVISION_ANNOTATION));
	if (!s || !*s)
		return -1;
	char *end;
	long v = strtol(s, &end, 10);
	return *end || v < 0 ? -1 : v;
}

int kube_rollout_status(const json_t *d, long revision, char **msg, struct perr *e)
{
	*msg = NULL;
	const char *name = str_at(d, "metadata", "name", NULL);
	if (revision > 0) {
		long rev = parse_revision(d);
		if (rev < 0) {
			perr_set(e, "cannot get the revision of deployment \"%s\"", name);
			return -1;
		}
		if (rev != revision) {
			perr_set(e, "desired revision (%ld) is different from the running revision (%ld)",
				 revision, rev);
			return -1;
		}
	}
	long long generation = int_at(d, "metadata", "generation");
	long long observed = int_at(d, "status", "observedGeneration");
	if (generation > observed) {
		*msg = xstrdup("Waiting for deployment spec update to be observed...");
		return 0;
	}
	size_t i;
	json_t *cond;
	json_array_foreach(path_get(d, "status", "conditions", NULL), i, cond) {
		if (strcmp(str_at(cond, "type", NULL, NULL), "Progressing") == 0 &&
		    strcmp(str_at(cond, "reason", NULL, NULL), "ProgressDeadlineExceeded") == 0) {
			perr_set(e, "deployment \"%s\" exceeded its progress deadline", name);
			return -1;
		}
	}
	json_t *spec_replicas = path_get(d, "spec", "replicas", NULL);
	long long updated = int_at(d, "status", "updatedReplicas");
	long long replicas = int_at(d, "status", "replicas");
	long long available = int_at(d, "status", "availableReplicas");
	if (json_is_integer(spec_replicas) && updated < json_integer_value(spec_replicas)) {
		*msg = xasprintf("Waiting for deployment \"%s\" rollout to finish: %lld out of %lld new replicas have been updated...",
				 name, updated, (long long)json_integer_value(spec_replicas));
		return 0;
	}
	if (replicas > updated) {
		*msg = xasprintf("Waiting for deployment \"%s\" rollout to finish: %lld old replicas are pending termination...",
				 name, replicas - updated);
		return 0;
	}
	if (available < updated) {
		*msg = xasprintf("Waiting for deployment \"%s\" rollout to finish: %lld of %lld updated replicas are available...",
				 name, available, updated);
		return 0;
	}
	*msg = xasprintf("deployment \"%s\" successfully rolled out", name);
	return 1;
}

/* ---- history ---- */

void kube_revisions_free(struct kube_revision *v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++) {
		free(v[i].rs_name);
		free(v[i].change_cause);
		json_decref(v[i].rs);
	}
	free(v);
}

static int rev_cmp(const void *a, const void *b)
{
	const struct kube_revision *x = a, *y = b;
	return (x->revision > y->revision) - (x->revision < y->revision);
}

/* Whether rs is controlled by the Deployment with uid. */
static int controlled_by(const json_t *rs, const char *uid)
{
	size_t i;
	json_t *ref;
	json_array_foreach(path_get(rs, "metadata", "ownerReferences", NULL), i, ref) {
		if (json_is_true(json_object_get(ref, "controller")) &&
		    strcmp(str_at(ref, "uid", NULL, NULL), uid) == 0)
			return 1;
	}
	return 0;
}

size_t kube_rollout_revisions(const json_t *d, const json_t *rs_list, struct kube_revision **out)
{
	*out = NULL;
	const char *uid = str_at(d, "metadata", "uid", NULL);
	size_t n = 0, i;
	json_t *rs;
	json_t *items = json_object_get(rs_list, "items");
	struct kube_revision *v = xcalloc(json_array_size(items) + 1, sizeof *v);
	json_array_foreach(items, i, rs) {
		if (!controlled_by(rs, uid))
			continue;
		long rev = parse_revision(rs);
		if (rev < 0)
			continue; /* kubectl warns and skips it too */
		/* Two ReplicaSets claiming one revision: the later one listed
		 * wins, as kubectl's map does. */
		size_t k;
		for (k = 0; k < n && v[k].revision != rev; k++)
			;
		if (k < n) {
			free(v[k].rs_name);
			free(v[k].change_cause);
			json_decref(v[k].rs);
		} else {
			n++;
		}
		v[k].revision = rev;
		v[k].rs_name = xstrdup(str_at(rs, "metadata", "name", NULL));
		const char *cause = json_string_value(path_get(rs, "metadata", "annotations", CHANGE_CAUSE_ANNOTATION));
		v[k].change_cause = cause && *cause ? xstrdup(cause) : NULL;
		v[k].rs = json_incref(rs);
	}
	qsort(v, n, sizeof *v, rev_cmp);
	*out = v;
	return n;
}

char *kube_rollout_history_table(const struct kube_revision *v, size_t n)
{
	if (n == 0)
		return xstrdup("No rollout history found.\n");
	/* Go's tabwriter (padding 2): the first column is as wide as its
	 * widest cell plus two; the last one is not padded. */
	size_t w = strlen("REVISION");
	for (size_t i = 0; i < n; i++) {
		char num[32];
		size_t l = (size_t)snprintf(num, sizeof num, "%ld", v[i].revision);
		if (l > w)
			w = l;
	}
	struct dbuf b;
	dbuf_init(&b, 0);
	dbuf_printf(&b, "%-*s%s\n", (int)(w + 2), "REVISION", "CHANGE-CAUSE");
	for (size_t i = 0; i < n; i++) {
		char num[32];
		snprintf(num, sizeof num, "%ld", v[i].revision);
		dbuf_printf(&b, "%-*s%s\n", (int)(w + 2), num,
			    v[i].change_cause ? v[i].change_cause : "<none>");
	}
	return dbuf_take(&b);
}

/* ---- undo ---- */

/* The zero value of a Go field: what a missing member decodes to. */
static int is_zero(const json_t *v)
{
	if (!v || json_is_null(v) || json_is_false(v))
		return 1;
	if (json_is_string(v))
		return json_string_length(v) == 0;
	if (json_is_integer(v))
		return json_integer_value(v) == 0;
	if (json_is_real(v))
		return json_real_value(v) == 0.0;
	if (json_is_array(v))
		return json_array_size(v) == 0;
	if (json_is_object(v))
		return json_object_size(v) == 0;
	return 0;
}

/* apimachinery's Semantic.DeepEqual over decoded JSON: a missing member,
 * null, and an empty map, list or string are the same. */
static int semantic_equal(const json_t *a, const json_t *b)
{
	if (is_zero(a) && is_zero(b))
		return 1;
	if (!a || !b)
		return 0;
	if (json_is_object(a) && json_is_object(b)) {
		const char *k;
		json_t *x;
		json_object_foreach((json_t *)a, k, x) {
			if (!semantic_equal(x, json_object_get(b, k)))
				return 0;
		}
		json_object_foreach((json_t *)b, k, x) {
			if (!json_object_get(a, k) && !is_zero(x))
				return 0;
		}
		return 1;
	}
	if (json_is_array(a) && json_is_array(b)) {
		if (json_array_size(a) != json_array_size(b))
			return 0;
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!semantic_equal(json_array_get(a, i), json_array_get(b, i)))
				return 0;
		return 1;
	}
	return json_equal(a, b);
}

/* A copy of a template without the pod-template-hash label. */
static json_t *template_without_hash(const json_t *t)
{
	json_t *c = json_deep_copy(t ? t : json_object());
	json_t *labels = path_get(c, "metadata", "labels", NULL);
	if (labels)
		json_object_del(labels, HASH_LABEL);
	return c;
}

int kube_rollout_undo_patch(const json_t *d, const struct kube_revision *v, size_t n,
			    long to_revision, char **patch, long *chosen, struct perr *e)
{
	*patch = NULL;
	*chosen = to_revision;
	const char *name = str_at(d, "metadata", "name", NULL);
	if (to_revision < 0) {
		perr_set(e, "unable to find specified revision %ld in history", to_revision);
		return -1;
	}
	const struct kube_revision *pick = NULL;
	if (to_revision > 0) {
		for (size_t i = 0; i < n; i++)
			if (v[i].revision == to_revision)
				pick = &v[i];
		if (!pick) {
			perr_set(e, "unable to find specified revision %ld in history", to_revision);
			return -1;
		}
	} else {
		/* The previous revision: the second newest (v is sorted). */
		if (n < 2) {
			perr_set(e, "no rollout history found for deployment \"%s\"", name);
			return -1;
		}
		pick = &v[n - 2];
		*chosen = pick->revision;
	}
	if (json_is_true(path_get(d, "spec", "paused", NULL))) {
		perr_set(e, "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again");
		return -1;
	}
	json_t *want = template_without_hash(path_get(pick->rs, "spec", "template", NULL));
	json_t *have = template_without_hash(path_get(d, "spec", "template", NULL));
	int same = semantic_equal(want, have);
	json_decref(have);
	if (same) {
		json_decref(want);
		return 1;
	}
	json_t *annotations = json_object();
	const char *k;
	json_t *x;
	json_object_foreach(path_get(d, "metadata", "annotations", NULL), k, x) {
		if (skip_annotation(k))
			json_object_set(annotations, k, x);
	}
	json_object_foreach(path_get(pick->rs, "metadata", "annotations", NULL), k, x) {
		if (!skip_annotation(k))
			json_object_set(annotations, k, x);
	}
	json_t *ops = json_pack("[{s:s, s:s, s:o}, {s:s, s:s, s:o}]", "op", "replace", "path",
				"/spec/template", "value", want, "op", "replace", "path",
				"/metadata/annotations", "value", annotations);
	*patch = json_dumps(ops, JSON_COMPACT);
	json_decref(ops);
	return 0;
}

char *kube_rollout_restart_patch(long long unix_secs)
{
	time_t t = (time_t)unix_secs;
	struct tm tm;
	char ts[32];
	/* RFC 3339 in local time with its offset, as Go's time.Now().Format
	 * gives it. */
	tzset(); /* localtime_r need not look at TZ again */
	localtime_r(&t, &tm);
	char off[8];
	strftime(off, sizeof off, "%z", &tm); /* +0100 */
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
	char when[48];
	if (strcmp(off, "+0000") == 0)
		snprintf(when, sizeof when, "%sZ", ts);
	else
		snprintf(when, sizeof when, "%s%.3s:%.2s", ts, off, off + 3);
	json_t *p = json_pack("{s:{s:{s:{s:{s:s}}}}}", "spec", "template", "metadata", "annotations",
			      RESTARTED_AT, when);
	char *s = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	return s;
}

/* ---- talking to the server ---- */

static char *deploy_path(const char *ns, const char *name)
{
	char *n = kube_query_escape(ns), *m = kube_query_escape(name);
	char *p = xasprintf("/apis/apps/v1/namespaces/%s/deployments/%s", n, m);
	free(n);
	free(m);
	return p;
}

json_t *kube_rollout_get(struct kube_client *c, const char *ns, const char *name, struct perr *e)
{
	char *path = deploy_path(ns, name);
	struct kube_response r = { 0 };
	json_t *d = NULL;
	if (kube_request(c, "GET", path, NULL, NULL, NULL, 0, &r, e) == 0) {
		json_error_t je;
		d = json_loadb(r.body ? r.body : "", r.len, 0, &je);
		if (!json_is_object(d)) {
			perr_set(e, "deployment %s: the server's answer is not JSON: %s", name, je.text);
			json_decref(d);
			d = NULL;
		}
	}
	kube_response_free(&r);
	free(path);
	return d;
}

/* The label selector of a Deployment as a query string value. */
char *kube_rollout_selector(const json_t *d)
{
	json_t *sel = path_get(d, "spec", "selector", NULL);
	struct dbuf b;
	dbuf_init(&b, 0);
	const char *k;
	json_t *x;
	json_object_foreach(json_object_get(sel, "matchLabels"), k, x) {
		dbuf_printf(&b, "%s%s=%s", b.len ? "," : "", k, json_string_value(x) ? json_string_value(x) : "");
	}
	size_t i;
	json_t *ex;
	json_array_foreach(json_object_get(sel, "matchExpressions"), i, ex) {
		const char *key = str_at(ex, "key", NULL, NULL);
		const char *op = str_at(ex, "operator", NULL, NULL);
		if (b.len)
			dbuf_puts(&b, ",");
		if (strcmp(op, "Exists") == 0) {
			dbuf_puts(&b, key);
		} else if (strcmp(op, "DoesNotExist") == 0) {
			dbuf_printf(&b, "!%s", key);
		} else {
			dbuf_printf(&b, "%s %s (", key, strcmp(op, "NotIn") == 0 ? "notin" : "in");
			size_t j;
			json_t *val;
			json_array_foreach(json_object_get(ex, "values"), j, val)
				dbuf_printf(&b, "%s%s", j ? "," : "", json_string_value(val) ? json_string_value(val) : "");
			dbuf_puts(&b, ")");
		}
	}
	return dbuf_take(&b);
}

void kube_replicasets_call(const json_t *d, struct kube_call *m)
{
	memset(m, 0, sizeof *m);
	const char *ns = str_at(d, "metadata", "namespace", NULL);
	char *n = kube_query_escape(ns);
	char *sel = kube_rollout_selector(d);
	char *esc = kube_query_escape(sel);
	m->method = "GET";
	m->path = xasprintf("/apis/apps/v1/namespaces/%s/replicasets", n);
	m->query = xasprintf("labelSelector=%s", esc);
	free(esc);
	free(sel);
	free(n);
}

json_t *kube_rollout_replicasets(struct kube_client *c, const json_t *d, struct perr *e)
{
	struct kube_call m;
	kube_replicasets_call(d, &m);
	struct kube_response r = { 0 };
	json_t *list = NULL;
	if (kube_request(c, "GET", m.path, m.query, NULL, NULL, 0, &r, e) == 0) {
		list = json_loadb(r.body ? r.body : "", r.len, 0, NULL);
		if (!json_is_object(list)) {
			perr_set(e, "replicasets: the server's answer is not JSON");
			json_decref(list);
			list = NULL;
		}
	}
	kube_response_free(&r);
	kube_call_free(&m);
	return list;
}

void kube_undo_call(const char *ns, const char *name, char *patch, struct kube_call *m)
{
	memset(m, 0, sizeof *m);
	m->method = "PATCH";
	m->content_type = "application/json-patch+json";
	m->path = deploy_path(ns, name);
	m->body = patch;
}

void kube_restart_call(const char *ns, const char *name, long long unix_secs,
			   struct kube_call *m)
{
	memset(m, 0, sizeof *m);
	m->method = "PATCH";
	m->content_type = "application/strategic-merge-patch+json";
	m->path = deploy_path(ns, name);
	m->body = kube_rollout_restart_patch(unix_secs);
}

int kube_rollout_patch(struct kube_client *c, const char *ns, const char *name,
		       const char *content_type, const char *patch, struct perr *e)
{
	char *path = deploy_path(ns, name);
	struct kube_response r = { 0 };
	struct perr first = { { 0 } };
	int rc = kube_request(c, "PATCH", path, NULL, content_type, patch, strlen(patch), &r,
			      &first);
	if (rc < 0 && r.status == 415 &&
	    strcmp(content_type, "application/strategic-merge-patch+json") == 0) {
		/* A server without strategic merge (an aggregated API, a small
		 * simulator): the patches made here hold no lists, so as a JSON
		 * merge patch they mean the same. */
		kube_response_free(&r);
		rc = kube_request(c, "PATCH", path, NULL, "application/merge-patch+json", patch,
				  strlen(patch), &r, e);
	} else if (rc < 0) {
		perr_set(e, "%s", first.msg);
	}
	kube_response_free(&r);
	free(path);
	return rc;
}
