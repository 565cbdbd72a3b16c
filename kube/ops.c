/*
 * ops.c - the mutations the headless commands make, each as kubectl makes
 * it against the API: server-side apply (PATCH application/apply-patch+yaml,
 * fieldManager=podium), delete with a propagation policy, and scale as a
 * merge patch on the scale subresource.
 */
#define _POSIX_C_SOURCE 200809L
#include "kube/kube.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FIELD_MANAGER "podium"

/* Send m and wait for the answer, as kube_request does. */
static int call_send(struct kube_client *c, const struct kube_call *m,
			 struct kube_response *r, struct perr *e)
{
	return kube_request(c, m->method, m->path, m->query, m->content_type, m->body,
			    m->body ? strlen(m->body) : 0, r, e);
}

int kube_apply_call(const struct kube_manifest_doc *d, const char *ns, int force_conflicts,
		    struct kube_call *m, struct perr *e)
{
	memset(m, 0, sizeof *m);
	if (!d->k) {
		perr_set(e, "%s \"%s\": podium does not know kind %s in %s", d->kind, d->name, d->kind,
			 d->api_version);
		return -1;
	}
	m->method = "PATCH";
	m->content_type = "application/apply-patch+yaml";
	m->path = kube_kind_path(d->k, d->namespace ? d->namespace : ns, d->name);
	m->query = xstrdup(force_conflicts ? "fieldManager=" FIELD_MANAGER "&force=true"
					   : "fieldManager=" FIELD_MANAGER);
	m->body = xmalloc(d->len + 1);
	memcpy(m->body, d->json, d->len);
	m->body[d->len] = 0;
	return 0;
}

int kube_apply(struct kube_client *c, const struct kube_manifest_doc *d, const char *ns,
	       int force_conflicts, struct kube_response *r, struct perr *e)
{
	memset(r, 0, sizeof *r);
	struct kube_call m;
	if (kube_apply_call(d, ns, force_conflicts, &m, e) < 0)
		return -1;
	int rc = call_send(c, &m, r, e);
	kube_call_free(&m);
	return rc;
}

static const struct {
	const char *name;
	enum kube_propagation p;
	const char *policy;
} propagations[] = {
	{ "background", KUBE_PROP_BACKGROUND, "Background" },
	{ "foreground", KUBE_PROP_FOREGROUND, "Foreground" },
	{ "orphan", KUBE_PROP_ORPHAN, "Orphan" },
	{ "true", KUBE_PROP_BACKGROUND, "Background" }, /* kubectl's old booleans */
	{ "false", KUBE_PROP_ORPHAN, "Orphan" },
	{ NULL, 0, NULL },
};

int kube_propagation_parse(const char *s, enum kube_propagation *p)
{
	for (int i = 0; propagations[i].name; i++)
		if (s && strcasecmp(s, propagations[i].name) == 0) {
			*p = propagations[i].p;
			return 0;
		}
	return -1;
}

void kube_call_free(struct kube_call *m)
{
	if (!m)
		return;
	free(m->path);
	free(m->query);
	free(m->body);
	memset(m, 0, sizeof *m);
}

void kube_delete_call(const struct kube_kind *k, const char *ns, const char *name,
			  enum kube_propagation p, struct kube_call *m)
{
	const char *policy = "Background";
	for (int i = 0; propagations[i].name; i++)
		if (propagations[i].p == p)
			policy = propagations[i].policy;
	memset(m, 0, sizeof *m);
	m->method = "DELETE";
	m->path = kube_kind_path(k, ns, name);
	m->query = xasprintf("propagationPolicy=%s", policy);
}

int kube_scale_call(const struct kube_kind *k, const char *ns, const char *name,
			long replicas, struct kube_call *m, struct perr *e)
{
	memset(m, 0, sizeof *m);
	if (strcmp(k->plural, "deployments") != 0 && strcmp(k->plural, "replicasets") != 0) {
		char res[128];
		perr_set(e, "%s cannot be scaled: only deployments and replicasets have a scale subresource",
			 kube_kind_resource(k, res, sizeof res));
		return -1;
	}
	if (replicas < 0) {
		perr_set(e, "the number of replicas must be 0 or more");
		return -1;
	}
	char *obj = kube_kind_path(k, ns, name);
	m->method = "PATCH";
	m->content_type = "application/merge-patch+json";
	m->path = xasprintf("%s/scale", obj);
	m->body = xasprintf("{\"spec\":{\"replicas\":%ld}}", replicas);
	free(obj);
	return 0;
}


int kube_delete(struct kube_client *c, const struct kube_kind *k, const char *ns, const char *name,
		enum kube_propagation p, struct kube_response *r, struct perr *e)
{
	struct kube_call m;
	kube_delete_call(k, ns, name, p, &m);
	int rc = call_send(c, &m, r, e);
	kube_call_free(&m);
	return rc;
}

int kube_scale(struct kube_client *c, const struct kube_kind *k, const char *ns, const char *name,
	       long replicas, struct kube_response *r, struct perr *e)
{
	memset(r, 0, sizeof *r);
	struct kube_call m;
	if (kube_scale_call(k, ns, name, replicas, &m, e) < 0)
		return -1;
	int rc = call_send(c, &m, r, e);
	kube_call_free(&m);
	return rc;
}
