/*
 * op.c - what the dashboard does to one object, as plain calls: kube/
 * decodes the JSON, tui/ gets strings and numbers. Each is what kubectl
 * does for the same action (restart by the restartedAt annotation, undo by
 * the template of a ReplicaSet revision, edit as a server-side apply);
 * scale and delete are ops.c's.
 */
#define _POSIX_C_SOURCE 200809L
#include "kube/kube.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* j (consumed) as kube_op_yaml_answer shows it. */
static char *obj_yaml(json_t *j, int for_edit, struct perr *e)
{
	if (for_edit) {
		/* What an apply may not carry, or should not: the server's
		 * bookkeeping and the status it writes itself. */
		json_t *md = json_object_get(j, "metadata");
		json_object_del(md, "managedFields");
		json_object_del(md, "resourceVersion");
		json_object_del(md, "uid");
		json_object_del(md, "creationTimestamp");
		json_object_del(md, "generation");
		json_object_del(j, "status");
	}
	char *y = kube_json_to_yaml(j, e);
	json_decref(j);
	return y;
}

char *kube_op_yaml_answer(const char *body, size_t len, int for_edit, struct perr *e)
{
	json_t *j = json_loadb(body ? body : "", len, 0, NULL);
	if (!j) {
		perr_set(e, "the server's answer is not JSON");
		return NULL;
	}
	return obj_yaml(j, for_edit, e);
}

int kube_op_restart(struct kube_client *c, const char *ns, const char *name, struct perr *e)
{
	char *body = kube_rollout_restart_patch((long long)time(NULL));
	int rc = kube_rollout_patch(c, ns, name, "application/strategic-merge-patch+json", body, e);
	free(body);
	return rc;
}

/* The image(s) of a ReplicaSet's pod template, comma separated. */
static char *template_images(json_t *rs)
{
	struct dbuf b;
	dbuf_init(&b, 4096);
	json_t *containers = json_object_get(
		json_object_get(json_object_get(json_object_get(rs, "spec"), "template"), "spec"),
		"containers");
	size_t i;
	json_t *ct;
	json_array_foreach(containers, i, ct) {
		const char *img = json_string_value(json_object_get(ct, "image"));
		if (img)
			dbuf_printf(&b, "%s%s", b.len ? "," : "", img);
	}
	char *raw = dbuf_take(&b);
	char *clean = sanitize_text(raw, strlen(raw), 0);
	free(raw);
	return clean;
}

/* The answers of a Deployment's GET and its ReplicaSets' list as
 * objects; -1 with e when either is not JSON. */
static int history_of(const char *dep, size_t dlen, const char *rsl, size_t rlen, json_t **d,
		      json_t **l, struct perr *e)
{
	*d = json_loadb(dep ? dep : "", dlen, 0, NULL);
	*l = rsl ? json_loadb(rsl, rlen, 0, NULL) : NULL;
	if (!json_is_object(*d))
		perr_set(e, "the server's answer for the deployment is not JSON");
	else if (rsl && !json_is_object(*l))
		perr_set(e, "replicasets: the server's answer is not JSON");
	else
		return 0;
	json_decref(*d);
	json_decref(*l);
	*d = *l = NULL;
	return -1;
}

int kube_op_history_call(const char *dep, size_t len, struct kube_call *m, struct perr *e)
{
	json_t *d, *l;
	memset(m, 0, sizeof *m);
	if (history_of(dep, len, NULL, 0, &d, &l, e) < 0)
		return -1;
	kube_replicasets_call(d, m);
	json_decref(d);
	return 0;
}

size_t kube_op_revisions(const char *dep, size_t dlen, const char *rsl, size_t rlen,
			 struct kube_rev_info **out, struct perr *e)
{
	*out = NULL;
	json_t *d, *rs_list;
	if (history_of(dep, dlen, rsl, rlen, &d, &rs_list, e) < 0)
		return 0;
	struct kube_revision *v = NULL;
	size_t n = kube_rollout_revisions(d, rs_list, &v);
	struct kube_rev_info *info = xcalloc(n ? n : 1, sizeof *info);
	/* Newest first: the picker starts at the most recent. */
	for (size_t i = 0; i < n; i++) {
		struct kube_revision *r = &v[n - 1 - i];
		info[i].revision = r->revision;
		info[i].rs_name = sanitize_text(r->rs_name, strlen(r->rs_name), 0);
		info[i].image = template_images(r->rs);
		info[i].change_cause = r->change_cause
					       ? sanitize_text(r->change_cause, strlen(r->change_cause), 0)
					       : xstrdup("");
	}
	kube_revisions_free(v, n);
	json_decref(rs_list);
	json_decref(d);
	*out = info;
	return n;
}

void kube_rev_info_free(struct kube_rev_info *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].rs_name);
		free(v[i].image);
		free(v[i].change_cause);
	}
	free(v);
}

int kube_op_undo(const char *ns, const char *name, const char *dep, size_t dlen, const char *rsl,
		 size_t rlen, long to_revision, long *chosen, struct kube_call *m, struct perr *e)
{
	memset(m, 0, sizeof *m);
	json_t *d, *rs_list;
	if (history_of(dep, dlen, rsl, rlen, &d, &rs_list, e) < 0)
		return -1;
	struct kube_revision *v = NULL;
	size_t n = kube_rollout_revisions(d, rs_list, &v);
	char *p = NULL;
	int rc = kube_rollout_undo_patch(d, v, n, to_revision, &p, chosen, e);
	if (rc == 0)
		kube_undo_call(ns, name, p, m);
	kube_revisions_free(v, n);
	json_decref(rs_list);
	json_decref(d);
	return rc;
}

char *kube_op_logs(struct kube_client *c, const char *ns, const char *pod,
		   const char *container, long tail, int timestamps, struct perr *e)
{
	char *path = xasprintf("/api/v1/namespaces/%s/pods/%s/log", ns, pod);
	struct dbuf q;
	dbuf_init(&q, 0);
	if (tail >= 0)
		dbuf_printf(&q, "tailLines=%ld", tail);
	if (timestamps)
		dbuf_printf(&q, "%stimestamps=true", q.len ? "&" : "");
	if (container) {
		char *esc = kube_query_escape(container);
		dbuf_printf(&q, "%scontainer=%s", q.len ? "&" : "", esc);
		free(esc);
	}
	char *query = dbuf_take(&q);
	struct kube_response r;
	memset(&r, 0, sizeof r);
	memset(&r, 0, sizeof r);
	char *text = NULL;
	if (kube_request(c, "GET", path, query[0] ? query : NULL, NULL, NULL, 0, &r, e) == 0)
		text = sanitize_text(r.body ? r.body : "", r.len, 1);
	kube_response_free(&r);
	free(query);
	free(path);
	return text;
}

int kube_op_apply_call(const char *ns, const char *yaml, struct kube_call *m, struct perr *e)
{
	memset(m, 0, sizeof *m);
	struct kube_manifest mf;
	memset(&mf, 0, sizeof mf);
	if (kube_manifest_parse("the edited object", yaml, strlen(yaml), &mf, e) < 0)
		return -1;
	int rc = -1;
	if (mf.n != 1)
		perr_set(e, "the edited text holds %zu objects: edit one object", mf.n);
	else if (kube_manifest_validate(&mf.docs[0], e) == 0)
		rc = kube_apply_call(&mf.docs[0], ns, 1, m, e);
	kube_manifest_clear(&mf);
	return rc;
}
