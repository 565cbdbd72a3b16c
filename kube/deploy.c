/*
 * deploy.c - the manifests of a model server on a cluster (`podium
 * deploy`): a Deployment running the model image and a Service in front of
 * it, least privilege, probes on the Open Inference Protocol's health
 * paths, rolling updates that never lose capacity (maxUnavailable 0).
 * Applied server-side with fieldManager=podium, so re-running is an update.
 *
 * Pods carry podium.dev/track (stable or canary) and each Deployment
 * selects its own track, while the Service selects only the app name: a
 * canary Deployment then serves behind the same Service without either
 * Deployment adopting the other's pods.
 */
#include "kube/kube.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int kube_deploy_validate(const struct kube_deploy_opts *o, struct perr *e)
{
	if (kube_validate_name(KUBE_NAME_DNS1123_SUBDOMAIN, "Deployment", o->name, e) < 0)
		return -1;
	/* The Service shares the name and is held to DNS-1035. */
	if (kube_validate_name(KUBE_NAME_DNS1035_LABEL, "Service", o->name, e) < 0)
		return -1;
	if (o->namespace &&
	    kube_validate_name(KUBE_NAME_DNS1123_LABEL, "Namespace", o->namespace, e) < 0)
		return -1;
	if (kube_validate_image(o->image, e) < 0)
		return -1;
	if (kube_validate_label("podium.dev/model", o->model ? o->model : o->name, e) < 0)
		return -1;
	if (o->cpu && kube_validate_quantity(o->cpu, e) < 0)
		return -1;
	if (o->memory && kube_validate_quantity(o->memory, e) < 0)
		return -1;
	if (o->replicas < 0) {
		perr_set(e, "--replicas must be 0 or more");
		return -1;
	}
	if (o->port < 1 || o->port > 65535) {
		perr_set(e, "--port must be between 1 and 65535");
		return -1;
	}
	if (o->service_type && strcmp(o->service_type, "ClusterIP") &&
	    strcmp(o->service_type, "NodePort") && strcmp(o->service_type, "LoadBalancer")) {
		perr_set(e, "--service-type must be ClusterIP, NodePort or LoadBalancer, not '%s'",
			 o->service_type);
		return -1;
	}
	if (o->model_sha256 && (strlen(o->model_sha256) != 64 ||
				strspn(o->model_sha256, "0123456789abcdef") != 64)) {
		perr_set(e, "the model checksum must be 64 lower-case hex digits");
		return -1;
	}
	return 0;
}

static json_t *labels(const struct kube_deploy_opts *o, int with_track)
{
	json_t *l = json_pack("{s:s, s:s, s:s}", "app.kubernetes.io/name", o->name,
			      "app.kubernetes.io/managed-by", "podium", "podium.dev/model",
			      o->model ? o->model : o->name);
	/* A label value holds at most 63 characters: the label carries the
	 * checksum's first 32 hex digits (enough to select by), the
	 * annotation of the same name the whole of it. */
	if (o->model_sha256)
		json_object_set_new(l, "podium.dev/model-sha256",
				    json_stringn(o->model_sha256, KUBE_SHA_LABEL_LEN));
	if (with_track)
		json_object_set_new(l, "podium.dev/track",
				    json_string(o->canary ? "canary" : "stable"));
	return l;
}

json_t *kube_deploy_deployment(const struct kube_deploy_opts *o)
{
	const char *cpu = o->cpu ? o->cpu : "500m";
	const char *mem = o->memory ? o->memory : "256Mi";
	const char *model = o->model ? o->model : o->name;
	char port[16];
	snprintf(port, sizeof port, "%d", o->port);
	char *dname = o->canary ? xasprintf("%s-canary", o->name) : xstrdup(o->name);
	char *cause = xasprintf("podium deploy %s --image %s", o->name, o->image);
	json_t *resources = json_pack("{s:{s:s, s:s}, s:{s:s, s:s}}", "requests", "cpu", cpu,
				      "memory", mem, "limits", "cpu", cpu, "memory", mem);
	json_t *probe_ready = json_pack("{s:{s:s, s:s}, s:i, s:i, s:i}", "httpGet", "path",
					"/v2/health/ready", "port", "http", "initialDelaySeconds", 1,
					"periodSeconds", 5, "failureThreshold", 3);
	json_t *probe_live = json_pack("{s:{s:s, s:s}, s:i, s:i, s:i}", "httpGet", "path",
				       "/v2/health/live", "port", "http", "initialDelaySeconds", 5,
				       "periodSeconds", 10, "failureThreshold", 3);
	json_t *container = json_pack(
		"{s:s, s:s, s:[s, s, s, s, s], s:[{s:s, s:i, s:s}], s:o, s:o, s:o, s:{s:b, s:b, s:b, s:{s:[s]}}}",
		"name", "model-server", "image", o->image, "args", KUBE_MODEL_PATH, "--port", port,
		"--name", model, "ports", "name", "http", "containerPort", o->port, "protocol", "TCP",
		"resources", resources, "readinessProbe", probe_ready, "livenessProbe", probe_live,
		"securityContext", "allowPrivilegeEscalation", 0, "readOnlyRootFilesystem", 1,
		"runAsNonRoot", 1, "capabilities", "drop", "ALL");
	json_t *selector = json_pack("{s:s, s:s}", "app.kubernetes.io/name", o->name,
				     "podium.dev/track", o->canary ? "canary" : "stable");
	json_t *d = json_pack(
		"{s:s, s:s, s:{s:s, s:s, s:o, s:{s:s}}, s:{s:i, s:i, s:i, s:{s:o}, s:{s:s, s:{s:i, s:i}},"
		" s:{s:{s:o}, s:{s:b, s:{s:b, s:i, s:{s:s}}, s:[o]}}}}",
		"apiVersion", "apps/v1", "kind", "Deployment", "metadata", "name", dname,
		"namespace", o->namespace ? o->namespace : "default", "labels", labels(o, 0),
		"annotations", "kubernetes.io/change-cause", cause, "spec", "replicas", o->replicas,
		"revisionHistoryLimit", 10, "progressDeadlineSeconds", 600, "selector",
		"matchLabels", selector, "strategy", "type", "RollingUpdate", "rollingUpdate",
		"maxUnavailable", 0, "maxSurge", 1, "template", "metadata", "labels", labels(o, 1),
		"spec", "automountServiceAccountToken", 0, "securityContext", "runAsNonRoot", 1,
		"runAsUser", 10001, "seccompProfile", "type", "RuntimeDefault", "containers",
		container);
	if (o->model_sha256) {
		json_t *ann = json_object_get(json_object_get(d, "metadata"), "annotations");
		json_object_set_new(ann, "podium.dev/model-sha256", json_string(o->model_sha256));
	}
	free(dname);
	free(cause);
	return d;
}

json_t *kube_deploy_service(const struct kube_deploy_opts *o)
{
	return json_pack("{s:s, s:s, s:{s:s, s:s, s:o}, s:{s:s, s:{s:s}, s:[{s:s, s:i, s:s, s:s}]}}",
			 "apiVersion", "v1", "kind", "Service", "metadata", "name", o->name,
			 "namespace", o->namespace ? o->namespace : "default", "labels",
			 labels(o, 0), "spec", "type", o->service_type ? o->service_type : "ClusterIP",
			 "selector", "app.kubernetes.io/name", o->name, "ports", "name", "http",
			 "port", o->port, "targetPort", "http", "protocol", "TCP");
}

char *kube_deploy_yaml(const struct kube_deploy_opts *o, struct perr *e)
{
	if (kube_deploy_validate(o, e) < 0)
		return NULL;
	json_t *d = kube_deploy_deployment(o);
	char *dy = kube_json_to_yaml(d, e);
	json_decref(d);
	char *out = NULL;
	if (dy && !o->canary) {
		json_t *s = kube_deploy_service(o);
		char *sy = kube_json_to_yaml(s, e);
		json_decref(s);
		if (sy)
			out = xasprintf("%s---\n%s", dy, sy);
		free(sy);
	} else if (dy) {
		out = xstrdup(dy);
	}
	free(dy);
	return out;
}

/* Server-side apply of one object; *verb gets what happened. */
void kube_deploy_reqs_free(struct kube_apply_req *v, int n)
{
	for (int i = 0; v && i < n; i++) {
		free(v[i].path);
		free(v[i].query);
		free(v[i].body);
		free(v[i].what);
	}
}

/* One server-side apply of obj at path. */
static void apply_req(struct kube_apply_req *r, char *path, json_t *obj, int force,
		      const char *what)
{
	r->path = path;
	r->query = xasprintf("fieldManager=podium%s", force ? "&force=true" : "");
	/* JSON is YAML: the apply content type takes it as it is. */
	r->body = json_dumps(obj, JSON_COMPACT);
	r->what = xstrdup(what);
}

int kube_deploy_reqs(const struct kube_deploy_opts *o, int force, struct kube_apply_req out[2],
		     int *n, struct perr *e)
{
	*n = 0;
	memset(out, 0, 2 * sizeof *out);
	if (kube_deploy_validate(o, e) < 0)
		return -1;
	const char *ns = o->namespace ? o->namespace : "default";
	json_t *d = kube_deploy_deployment(o);
	const char *dname = json_string_value(json_object_get(json_object_get(d, "metadata"), "name"));
	char *what = xasprintf("deployment.apps/%s", dname);
	apply_req(&out[(*n)++], xasprintf("/apis/apps/v1/namespaces/%s/deployments/%s", ns, dname),
		  d, force, what);
	free(what);
	json_decref(d);
	if (!o->canary) {
		json_t *s = kube_deploy_service(o);
		what = xasprintf("service/%s", o->name);
		apply_req(&out[(*n)++], xasprintf("/api/v1/namespaces/%s/services/%s", ns, o->name),
			  s, force, what);
		free(what);
		json_decref(s);
	}
	return 0;
}

int kube_deploy_apply(struct kube_client *c, const struct kube_deploy_opts *o, int force,
		      char **report, struct perr *e)
{
	*report = NULL;
	struct kube_apply_req rq[2];
	int n = 0;
	if (kube_deploy_reqs(o, force, rq, &n, e) < 0)
		return -1;
	struct dbuf out;
	dbuf_init(&out, 0);
	int rc = 0;
	for (int i = 0; i < n && rc == 0; i++) {
		struct kube_response r;
		memset(&r, 0, sizeof r);
		rc = kube_request(c, "PATCH", rq[i].path, rq[i].query, KUBE_APPLY_TYPE, rq[i].body,
				  strlen(rq[i].body), &r, e);
		kube_response_free(&r);
		if (rc == 0)
			dbuf_printf(&out, "%s serverside-applied\n", rq[i].what);
	}
	kube_deploy_reqs_free(rq, n);
	*report = dbuf_take(&out);
	return rc;
}
