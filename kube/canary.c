/*
 * canary.c - the cluster side of a gated model rollout (`podium rollout
 * model`): what a model Deployment runs (image, model, checksum, port,
 * replicas), a Deployment's rollout as kubectl's rollout status judges
 * it, and the proxy paths of a Deployment's ready pods (so a canary is
 * compared on its own pods, not through the Service that mixes it with
 * the stable ones), each read from an answer the caller's loop got
 * (tui/canary_run.c sends the requests). Each step is a plain request, so
 * an interrupted rollout leaves objects the next run finds and continues
 * from or removes.
 */
#define _POSIX_C_SOURCE 200809L
#include "kube/kube.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

void kube_canary_info_from(const json_t *d, struct kube_canary_info *out)
{
	memset(out, 0, sizeof *out);
	out->port = 8080;
	if (!d)
		return;
	out->exists = 1;
	json_t *meta = json_object_get(d, "metadata");
	json_t *spec = json_object_get(d, "spec");
	json_t *tmpl =
		json_object_get(json_object_get(spec, "template"), "spec");
	json_t *ctr = json_array_get(json_object_get(tmpl, "containers"), 0);
	snprintf(out->image, sizeof out->image, "%s",
		 jstr(ctr, "image") ? jstr(ctr, "image") : "");
	const char *model =
		jstr(json_object_get(meta, "labels"), "podium.dev/model");
	snprintf(out->model, sizeof out->model, "%s", model ? model : "");
	const char *sha = jstr(json_object_get(meta, "annotations"),
			       "podium.dev/model-sha256");
	snprintf(out->sha256, sizeof out->sha256, "%s", sha ? sha : "");
	json_t *port = json_object_get(
		json_array_get(json_object_get(ctr, "ports"), 0),
		"containerPort");
	if (json_is_integer(port))
		out->port = (int)json_integer_value(port);
	/* podium deploy selects its own track by name, nothing else */
	json_t *ml = json_object_get(json_object_get(spec, "selector"), "matchLabels");
	const char *name = jstr(meta, "name"), *app = jstr(ml, "app.kubernetes.io/name"),
		   *track = jstr(ml, "podium.dev/track");
	out->podium_selector = json_object_size(ml) == 2 && name && app && !strcmp(app, name) &&
			       track && !strcmp(track, "stable") &&
			       !json_object_get(json_object_get(spec, "selector"), "matchExpressions");
	char *sel = kube_rollout_selector(d);
	snprintf(out->selector, sizeof out->selector, "%s", sel ? sel : "");
	free(sel);
	json_t *rep = json_object_get(spec, "replicas");
	out->replicas = json_is_integer(rep) ? (int)json_integer_value(rep) : 1;
	out->ready = (int)json_integer_value(
		json_object_get(json_object_get(d, "status"), "readyReplicas"));
}

int kube_canary_info_answer(const char *name, long status, int ok, const char *body, size_t len,
			    const char *error, struct kube_canary_info *out, struct perr *e)
{
	kube_canary_info_from(NULL, out);
	if (!ok && status == 404)
		return 0; /* absent: exists stays 0 */
	if (!ok) {
		perr_set(e, "%s", error ? error : "request failed");
		return -1;
	}
	json_t *d = json_loadb(body ? body : "", len, 0, NULL);
	if (!d) {
		perr_set(e, "deployment %s: the answer is not JSON", name);
		return -1;
	}
	kube_canary_info_from(d, out);
	json_decref(d);
	return 0;
}

char *kube_canary_path(const char *ns, const char *name)
{
	return xasprintf("/apis/apps/v1/namespaces/%s/deployments/%s", ns, name);
}

int kube_canary_info(struct kube_client *c, const char *ns, const char *name,
		     struct kube_canary_info *out, struct perr *e)
{
	char *path = kube_canary_path(ns, name);
	struct kube_response r;
	memset(&r, 0, sizeof r);
	struct perr pe = {{0}};
	int rc = kube_request(c, "GET", path, NULL, NULL, NULL, 0, &r, &pe);
	free(path);
	rc = kube_canary_info_answer(name, r.status, rc == 0, r.body, r.len, pe.msg, out, e);
	kube_response_free(&r);
	return rc;
}

/* Is pod ready and not going away? */
static int pod_ready(const json_t *pod)
{
	if (json_object_get(json_object_get(pod, "metadata"),
			    "deletionTimestamp"))
		return 0;
	size_t i;
	json_t *cnd;
	json_array_foreach(
		json_object_get(json_object_get(pod, "status"), "conditions"),
		i, cnd) if (jstr(cnd, "type") &&
			    !strcmp(jstr(cnd, "type"),
				    "Ready")) return jstr(cnd, "status") &&
		!strcmp(jstr(cnd, "status"), "True");
	return 0;
}

int kube_canary_status(const char *body, size_t len, struct kube_canary_info *info, char **msg,
			struct perr *e)
{
	*msg = NULL;
	json_t *d = json_loadb(body ? body : "", len, 0, NULL);
	kube_canary_info_from(d, info);
	if (!d) {
		perr_set(e, "the Deployment's answer is not JSON");
		return -1;
	}
	int st = kube_rollout_status(d, 0, msg, e);
	json_decref(d);
	return st;
}

char *kube_canary_pods_query(const char *body, size_t len, struct perr *e)
{
	json_t *d = json_loadb(body ? body : "", len, 0, NULL);
	if (!d) {
		perr_set(e, "the Deployment's answer is not JSON");
		return NULL;
	}
	char *sel = kube_rollout_selector(d);
	json_decref(d);
	char *esc = kube_query_escape(sel);
	char *query = xasprintf("labelSelector=%s", esc);
	free(esc);
	free(sel);
	return query;
}

char **kube_canary_pod_targets(const char *body, size_t len, const char *ns, int port, int *n)
{
	*n = 0;
	json_t *list = json_loadb(body ? body : "", len, 0, NULL);
	json_t *items = json_object_get(list, "items");
	char **out = xcalloc(json_array_size(items) + 1, sizeof *out);
	size_t i;
	json_t *pod;
	json_array_foreach(items, i, pod)
	{
		const char *name = jstr(json_object_get(pod, "metadata"), "name");
		if (name && pod_ready(pod))
			out[(*n)++] = xasprintf("/api/v1/namespaces/%s/pods/%s:%d/proxy", ns, name,
						port);
	}
	json_decref(list);
	return out;
}

void kube_canary_targets_free(char **t, int n)
{
	for (int i = 0; t && i < n; i++)
		free(t[i]);
	free(t);
}
