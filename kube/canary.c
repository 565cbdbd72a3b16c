/*
 * canary.c - the cluster side of a gated model rollout (`podium rollout
 * model`): what a model Deployment runs (image, model, checksum, port,
 * replicas), waiting for a Deployment to roll out as kubectl's rollout
 * status judges it, the proxy paths of a Deployment's ready pods (so a
 * canary is compared on its own pods, not through the Service that mixes
 * it with the stable ones), and removing a canary and waiting until it
 * is gone. Each step is a plain request, so an interrupted rollout leaves
 * objects the next run finds and continues from or removes.
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

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
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

int kube_canary_wait(struct kube_client *c, const char *ns, const char *name,
		     long timeout_ms, void (*fn)(const char *line, void *ud),
		     void *ud, struct perr *e)
{
	long long deadline = now_ms() + timeout_ms;
	char *last = NULL;
	int rc = -1;
	for (;;) {
		json_t *d = kube_rollout_get(c, ns, name, e);
		if (!d)
			break;
		char *msg = NULL;
		int st = kube_rollout_status(d, 0, &msg, e);
		json_decref(d);
		/* Each line once, as kubectl rollout status prints them. */
		if (msg && fn && (!last || strcmp(last, msg)))
			fn(msg, ud);
		free(last);
		last = msg;
		if (st != 0) {
			rc = st > 0 ? 0 : -1;
			break;
		}
		if (now_ms() >= deadline) {
			perr_set(e,
				 "deployment \"%s\" did not roll out within "
				 "%lds",
				 name, timeout_ms / 1000);
			break;
		}
		sleep_ms(250);
	}
	free(last);
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

char **kube_canary_targets(struct kube_client *c, const char *ns,
			   const char *name, int port, int *n, struct perr *e)
{
	*n = 0;
	json_t *d = kube_rollout_get(c, ns, name, e);
	if (!d)
		return NULL;
	char *sel = kube_rollout_selector(d);
	json_decref(d);
	char *esc = kube_query_escape(sel);
	char *query = xasprintf("labelSelector=%s", esc);
	char *path = xasprintf("/api/v1/namespaces/%s/pods", ns);
	struct kube_response r;
	memset(&r, 0, sizeof r);
	char **out = NULL;
	if (kube_request(c, "GET", path, query, NULL, NULL, 0, &r, e) == 0) {
		json_t *list = json_loadb(r.body, r.len, 0, NULL);
		size_t i;
		json_t *pod;
		out = xcalloc(json_array_size(json_object_get(list, "items")) +
				      1,
			      sizeof *out);
		json_array_foreach(json_object_get(list, "items"), i,
				   pod) if (pod_ready(pod)) out[(*n)++] =
			xasprintf(
				"/api/v1/namespaces/%s/pods/%s:%d/proxy", ns,
				jstr(json_object_get(pod, "metadata"), "name"),
				port);
		json_decref(list);
	}
	kube_response_free(&r);
	free(path);
	free(query);
	free(esc);
	free(sel);
	return out;
}

void kube_canary_targets_free(char **t, int n)
{
	for (int i = 0; t && i < n; i++)
		free(t[i]);
	free(t);
}

int kube_canary_delete(struct kube_client *c, const char *ns, const char *name,
		       long timeout_ms, int *existed, struct perr *e)
{
	char *path = xasprintf("/apis/apps/v1/namespaces/%s/deployments/%s", ns,
			       name);
	const char *body = "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\","
			   "\"propagationPolicy\":\"Foreground\"}";
	struct kube_response r;
	memset(&r, 0, sizeof r);
	struct perr pe = {{0}};
	int rc = kube_request(c, "DELETE", path, NULL, "application/json", body,
			      strlen(body), &r, &pe);
	*existed = rc == 0;
	long status = r.status;
	kube_response_free(&r);
	if (rc < 0 && status != 404) {
		perr_set(e, "%s", pe.msg);
		free(path);
		return -1;
	}
	/* Foreground: the Deployment goes once its pods have gone. */
	long long deadline = now_ms() + timeout_ms;
	rc = -1;
	for (;;) {
		memset(&r, 0, sizeof r);
		int g = kube_request(c, "GET", path, NULL, NULL, NULL, 0, &r,
				     &pe);
		status = r.status;
		kube_response_free(&r);
		if (g < 0 && status == 404) {
			rc = 0;
			break;
		}
		if (now_ms() >= deadline) {
			perr_set(e,
				 "deployment \"%s\" was not gone within %lds",
				 name, timeout_ms / 1000);
			break;
		}
		sleep_ms(250);
	}
	free(path);
	return rc;
}
