/*
 * protobuf.c - request bodies in application/vnd.kubernetes.protobuf, the
 * form kubectl's typed clients send (kubectl create deployment, create
 * service, create configmap, run, ...): the "k8s\0" magic, a
 * runtime.Unknown envelope naming apiVersion and kind, and the object as
 * the Kubernetes generated.proto messages encode it, turned into the JSON
 * object the rest of the server works on.
 *
 * The schemas below are tables of field numbers from k8s.io/api's
 * generated.proto for the kinds served (what their create paths carry);
 * unknown fields are skipped by wire type. Scalars Go declares without a
 * pointer are dropped when zero, as JSON's omitempty would; pointer fields
 * (F_PTR) keep a zero.
 */
#include "kube/sim/server.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum pb_type {
	F_STR,       /* string */
	F_INT,       /* int32/int64 varint */
	F_BOOL,
	F_MSG,       /* nested message */
	F_REP_STR,   /* repeated string */
	F_REP_MSG,   /* repeated message */
	F_MAP_STR,   /* map<string,string> */
	F_MAP_BYTES, /* map<string,bytes>: values base64 */
	F_MAP_QTY,   /* map<string,Quantity> */
	F_BYTES,     /* bytes: base64 */
	F_IOS,       /* IntOrString */
	F_TIME,      /* metav1.Time: RFC 3339, or null when zero */
	F_QTY,       /* resource.Quantity */
};

#define F_PTR 0x100 /* Go pointer: keep zero values */

struct pb_msg;
struct pb_field {
	int num;
	const char *name;
	int type;
	const struct pb_msg *sub;
};
struct pb_msg {
	const struct pb_field *f;
};

#define MSG(n) static const struct pb_msg n
#define FIELDS(n) static const struct pb_field n##_f[]

/* Forward declarations of the messages that refer to each other. */
MSG(object_meta);
MSG(label_selector);
MSG(pod_template);
MSG(pod_spec);

FIELDS(owner_ref) = { { 1, "kind", F_STR, NULL },
		      { 3, "name", F_STR, NULL },
		      { 4, "uid", F_STR, NULL },
		      { 5, "apiVersion", F_STR, NULL },
		      { 6, "controller", F_BOOL | F_PTR, NULL },
		      { 7, "blockOwnerDeletion", F_BOOL | F_PTR, NULL },
		      { 0, NULL, 0, NULL } };
MSG(owner_ref) = { owner_ref_f };

FIELDS(object_meta) = { { 1, "name", F_STR, NULL },
			{ 2, "generateName", F_STR, NULL },
			{ 3, "namespace", F_STR, NULL },
			{ 5, "uid", F_STR, NULL },
			{ 6, "resourceVersion", F_STR, NULL },
			{ 7, "generation", F_INT, NULL },
			{ 8, "creationTimestamp", F_TIME, NULL },
			{ 11, "labels", F_MAP_STR, NULL },
			{ 12, "annotations", F_MAP_STR, NULL },
			{ 13, "ownerReferences", F_REP_MSG, &owner_ref },
			{ 14, "finalizers", F_REP_STR, NULL },
			{ 0, NULL, 0, NULL } };
MSG(object_meta) = { object_meta_f };

FIELDS(selector_req) = { { 1, "key", F_STR, NULL },
			 { 2, "operator", F_STR, NULL },
			 { 3, "values", F_REP_STR, NULL },
			 { 0, NULL, 0, NULL } };
MSG(selector_req) = { selector_req_f };
FIELDS(label_selector) = { { 1, "matchLabels", F_MAP_STR, NULL },
			   { 2, "matchExpressions", F_REP_MSG, &selector_req },
			   { 0, NULL, 0, NULL } };
MSG(label_selector) = { label_selector_f };

FIELDS(container_port) = { { 1, "name", F_STR, NULL },
			   { 2, "hostPort", F_INT, NULL },
			   { 3, "containerPort", F_INT, NULL },
			   { 4, "protocol", F_STR, NULL },
			   { 5, "hostIP", F_STR, NULL },
			   { 0, NULL, 0, NULL } };
MSG(container_port) = { container_port_f };
FIELDS(env_var) = { { 1, "name", F_STR, NULL },
		    { 2, "value", F_STR, NULL },
		    { 0, NULL, 0, NULL } };
MSG(env_var) = { env_var_f };
FIELDS(resources) = { { 1, "limits", F_MAP_QTY, NULL },
		      { 2, "requests", F_MAP_QTY, NULL },
		      { 0, NULL, 0, NULL } };
MSG(resources) = { resources_f };
FIELDS(volume_mount) = { { 1, "name", F_STR, NULL },
			 { 2, "readOnly", F_BOOL, NULL },
			 { 3, "mountPath", F_STR, NULL },
			 { 4, "subPath", F_STR, NULL },
			 { 0, NULL, 0, NULL } };
MSG(volume_mount) = { volume_mount_f };
FIELDS(http_get) = { { 1, "path", F_STR, NULL },
		     { 2, "port", F_IOS, NULL },
		     { 3, "host", F_STR, NULL },
		     { 4, "scheme", F_STR, NULL },
		     { 0, NULL, 0, NULL } };
MSG(http_get) = { http_get_f };
FIELDS(tcp_socket) = { { 1, "port", F_IOS, NULL },
		       { 2, "host", F_STR, NULL },
		       { 0, NULL, 0, NULL } };
MSG(tcp_socket) = { tcp_socket_f };
FIELDS(exec_action) = { { 1, "command", F_REP_STR, NULL }, { 0, NULL, 0, NULL } };
MSG(exec_action) = { exec_action_f };
FIELDS(probe_handler) = { { 1, "exec", F_MSG, &exec_action },
			  { 2, "httpGet", F_MSG, &http_get },
			  { 3, "tcpSocket", F_MSG, &tcp_socket },
			  { 0, NULL, 0, NULL } };
MSG(probe_handler) = { probe_handler_f };
/* Probe embeds its handler as field 1; its fields are merged up. */
FIELDS(probe) = { { 1, "", F_MSG, &probe_handler },
		  { 2, "initialDelaySeconds", F_INT, NULL },
		  { 3, "timeoutSeconds", F_INT, NULL },
		  { 4, "periodSeconds", F_INT, NULL },
		  { 5, "successThreshold", F_INT, NULL },
		  { 6, "failureThreshold", F_INT, NULL },
		  { 0, NULL, 0, NULL } };
MSG(probe) = { probe_f };

FIELDS(container) = { { 1, "name", F_STR, NULL },
		      { 2, "image", F_STR, NULL },
		      { 3, "command", F_REP_STR, NULL },
		      { 4, "args", F_REP_STR, NULL },
		      { 5, "workingDir", F_STR, NULL },
		      { 6, "ports", F_REP_MSG, &container_port },
		      { 7, "env", F_REP_MSG, &env_var },
		      { 8, "resources", F_MSG | F_PTR, &resources },
		      { 9, "volumeMounts", F_REP_MSG, &volume_mount },
		      { 10, "livenessProbe", F_MSG, &probe },
		      { 11, "readinessProbe", F_MSG, &probe },
		      { 13, "terminationMessagePath", F_STR, NULL },
		      { 14, "imagePullPolicy", F_STR, NULL },
		      { 16, "stdin", F_BOOL, NULL },
		      { 17, "stdinOnce", F_BOOL, NULL },
		      { 18, "tty", F_BOOL, NULL },
		      { 20, "terminationMessagePolicy", F_STR, NULL },
		      { 22, "startupProbe", F_MSG, &probe },
		      { 0, NULL, 0, NULL } };
MSG(container) = { container_f };

FIELDS(local_ref) = { { 1, "name", F_STR, NULL }, { 0, NULL, 0, NULL } };
MSG(local_ref) = { local_ref_f };
FIELDS(toleration) = { { 1, "key", F_STR, NULL },
		       { 2, "operator", F_STR, NULL },
		       { 3, "value", F_STR, NULL },
		       { 4, "effect", F_STR, NULL },
		       { 5, "tolerationSeconds", F_INT | F_PTR, NULL },
		       { 0, NULL, 0, NULL } };
MSG(toleration) = { toleration_f };
FIELDS(empty) = { { 0, NULL, 0, NULL } };
MSG(empty) = { empty_f };

FIELDS(pod_spec) = { { 2, "containers", F_REP_MSG, &container },
		     { 3, "restartPolicy", F_STR, NULL },
		     { 4, "terminationGracePeriodSeconds", F_INT | F_PTR, NULL },
		     { 5, "activeDeadlineSeconds", F_INT | F_PTR, NULL },
		     { 6, "dnsPolicy", F_STR, NULL },
		     { 7, "nodeSelector", F_MAP_STR, NULL },
		     { 8, "serviceAccountName", F_STR, NULL },
		     { 9, "serviceAccount", F_STR, NULL },
		     { 10, "nodeName", F_STR, NULL },
		     { 11, "hostNetwork", F_BOOL, NULL },
		     { 14, "securityContext", F_MSG | F_PTR, &empty },
		     { 15, "imagePullSecrets", F_REP_MSG, &local_ref },
		     { 16, "hostname", F_STR, NULL },
		     { 17, "subdomain", F_STR, NULL },
		     { 19, "schedulerName", F_STR, NULL },
		     { 20, "initContainers", F_REP_MSG, &container },
		     { 22, "tolerations", F_REP_MSG, &toleration },
		     { 0, NULL, 0, NULL } };
MSG(pod_spec) = { pod_spec_f };

FIELDS(pod_template) = { { 1, "metadata", F_MSG | F_PTR, &object_meta },
			 { 2, "spec", F_MSG | F_PTR, &pod_spec },
			 { 0, NULL, 0, NULL } };
MSG(pod_template) = { pod_template_f };

FIELDS(rolling_update) = { { 1, "maxUnavailable", F_IOS, NULL },
			   { 2, "maxSurge", F_IOS, NULL },
			   { 0, NULL, 0, NULL } };
MSG(rolling_update) = { rolling_update_f };
FIELDS(strategy) = { { 1, "type", F_STR, NULL },
		     { 2, "rollingUpdate", F_MSG, &rolling_update },
		     { 0, NULL, 0, NULL } };
MSG(strategy) = { strategy_f };

FIELDS(deployment_spec) = { { 1, "replicas", F_INT | F_PTR, NULL },
			    { 2, "selector", F_MSG | F_PTR, &label_selector },
			    { 3, "template", F_MSG | F_PTR, &pod_template },
			    { 4, "strategy", F_MSG | F_PTR, &strategy },
			    { 5, "minReadySeconds", F_INT, NULL },
			    { 6, "revisionHistoryLimit", F_INT | F_PTR, NULL },
			    { 7, "paused", F_BOOL, NULL },
			    { 9, "progressDeadlineSeconds", F_INT | F_PTR, NULL },
			    { 0, NULL, 0, NULL } };
MSG(deployment_spec) = { deployment_spec_f };
FIELDS(replicaset_spec) = { { 1, "replicas", F_INT | F_PTR, NULL },
			    { 2, "selector", F_MSG | F_PTR, &label_selector },
			    { 3, "template", F_MSG | F_PTR, &pod_template },
			    { 4, "minReadySeconds", F_INT, NULL },
			    { 0, NULL, 0, NULL } };
MSG(replicaset_spec) = { replicaset_spec_f };
FIELDS(job_spec) = { { 1, "parallelism", F_INT | F_PTR, NULL },
		     { 2, "completions", F_INT | F_PTR, NULL },
		     { 3, "activeDeadlineSeconds", F_INT | F_PTR, NULL },
		     { 4, "selector", F_MSG, &label_selector },
		     { 5, "manualSelector", F_BOOL | F_PTR, NULL },
		     { 6, "template", F_MSG | F_PTR, &pod_template },
		     { 7, "backoffLimit", F_INT | F_PTR, NULL },
		     { 8, "ttlSecondsAfterFinished", F_INT | F_PTR, NULL },
		     { 0, NULL, 0, NULL } };
MSG(job_spec) = { job_spec_f };

FIELDS(service_port) = { { 1, "name", F_STR, NULL },
			 { 2, "protocol", F_STR, NULL },
			 { 3, "port", F_INT | F_PTR, NULL },
			 { 4, "targetPort", F_IOS, NULL },
			 { 5, "nodePort", F_INT, NULL },
			 { 0, NULL, 0, NULL } };
MSG(service_port) = { service_port_f };
FIELDS(service_spec) = { { 1, "ports", F_REP_MSG, &service_port },
			 { 2, "selector", F_MAP_STR, NULL },
			 { 3, "clusterIP", F_STR, NULL },
			 { 4, "type", F_STR, NULL },
			 { 5, "externalIPs", F_REP_STR, NULL },
			 { 7, "sessionAffinity", F_STR, NULL },
			 { 10, "externalName", F_STR, NULL },
			 { 0, NULL, 0, NULL } };
MSG(service_spec) = { service_spec_f };
FIELDS(namespace_spec) = { { 1, "finalizers", F_REP_STR, NULL }, { 0, NULL, 0, NULL } };
MSG(namespace_spec) = { namespace_spec_f };

/* Top-level kinds: metadata is 1 everywhere. */
FIELDS(with_spec_deploy) = { { 1, "metadata", F_MSG | F_PTR, &object_meta },
			     { 2, "spec", F_MSG | F_PTR, &deployment_spec },
			     { 0, NULL, 0, NULL } };
FIELDS(with_spec_rs) = { { 1, "metadata", F_MSG | F_PTR, &object_meta },
			 { 2, "spec", F_MSG | F_PTR, &replicaset_spec },
			 { 0, NULL, 0, NULL } };
FIELDS(with_spec_job) = { { 1, "metadata", F_MSG | F_PTR, &object_meta },
			  { 2, "spec", F_MSG | F_PTR, &job_spec },
			  { 0, NULL, 0, NULL } };
FIELDS(with_spec_pod) = { { 1, "metadata", F_MSG | F_PTR, &object_meta },
			  { 2, "spec", F_MSG | F_PTR, &pod_spec },
			  { 0, NULL, 0, NULL } };
FIELDS(with_spec_svc) = { { 1, "metadata", F_MSG | F_PTR, &object_meta },
			  { 2, "spec", F_MSG | F_PTR, &service_spec },
			  { 0, NULL, 0, NULL } };
FIELDS(with_spec_ns) = { { 1, "metadata", F_MSG | F_PTR, &object_meta },
			 { 2, "spec", F_MSG | F_PTR, &namespace_spec },
			 { 0, NULL, 0, NULL } };
FIELDS(configmap) = { { 1, "metadata", F_MSG | F_PTR, &object_meta },
		      { 2, "data", F_MAP_STR, NULL },
		      { 3, "binaryData", F_MAP_BYTES, NULL },
		      { 4, "immutable", F_BOOL | F_PTR, NULL },
		      { 0, NULL, 0, NULL } };
FIELDS(secret) = { { 1, "metadata", F_MSG | F_PTR, &object_meta },
		   { 2, "data", F_MAP_BYTES, NULL },
		   { 3, "type", F_STR, NULL },
		   { 4, "stringData", F_MAP_STR, NULL },
		   { 5, "immutable", F_BOOL | F_PTR, NULL },
		   { 0, NULL, 0, NULL } };
MSG(m_deploy) = { with_spec_deploy_f };
MSG(m_rs) = { with_spec_rs_f };
MSG(m_job) = { with_spec_job_f };
MSG(m_pod) = { with_spec_pod_f };
MSG(m_svc) = { with_spec_svc_f };
MSG(m_ns) = { with_spec_ns_f };
MSG(m_cm) = { configmap_f };
MSG(m_secret) = { secret_f };

static const struct {
	const char *api_version, *kind;
	const struct pb_msg *msg;
} pb_kinds[] = {
	{ "apps/v1", "Deployment", &m_deploy }, { "apps/v1", "ReplicaSet", &m_rs },
	{ "batch/v1", "Job", &m_job },		{ "v1", "Pod", &m_pod },
	{ "v1", "Service", &m_svc },		{ "v1", "Namespace", &m_ns },
	{ "v1", "ConfigMap", &m_cm },		{ "v1", "Secret", &m_secret },
	{ NULL, NULL, NULL },
};

/* ---- the wire format ---- */

struct rd {
	const unsigned char *p, *end;
	int depth;
};

static int varint(struct rd *r, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (r->p >= r->end)
			return -1;
		unsigned char b = *r->p++;
		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return 0;
	}
	return -1;
}

/* The next field's number, wire type and, for length-delimited ones, its
 * bytes. */
static int next_field(struct rd *r, int *num, int *wt, struct rd *sub, uint64_t *v)
{
	uint64_t key;
	if (varint(r, &key) < 0 || key >> 3 == 0 || key >> 3 > 536870911)
		return -1;
	*num = (int)(key >> 3);
	*wt = (int)(key & 7);
	switch (*wt) {
	case 0:
		return varint(r, v);
	case 1:
		if (r->end - r->p < 8)
			return -1;
		r->p += 8;
		return 0;
	case 5:
		if (r->end - r->p < 4)
			return -1;
		r->p += 4;
		return 0;
	case 2: {
		uint64_t n;
		if (varint(r, &n) < 0 || n > (uint64_t)(r->end - r->p))
			return -1;
		sub->p = r->p;
		sub->end = r->p + n;
		sub->depth = r->depth + 1;
		r->p += n;
		return 0;
	}
	default:
		return -1;
	}
}

static json_t *decode_msg(struct rd *r, const struct pb_msg *m);

static json_t *str_of(const struct rd *s)
{
	return json_stringn((const char *)s->p, (size_t)(s->end - s->p));
}

/* A map entry {key=1, value=2}: key string, value as typed. */
static int map_entry(struct rd *r, int type, json_t *map)
{
	json_t *key = NULL, *val = NULL;
	int num, wt;
	uint64_t v;
	struct rd sub;
	while (r->p < r->end) {
		if (next_field(r, &num, &wt, &sub, &v) < 0)
			goto fail;
		if (wt != 2)
			continue;
		if (num == 1) {
			json_decref(key);
			key = str_of(&sub);
		} else if (num == 2) {
			json_decref(val);
			if (type == F_MAP_STR) {
				val = str_of(&sub);
			} else if (type == F_MAP_BYTES) {
				char *b = sim_base64(sub.p, (size_t)(sub.end - sub.p));
				val = json_string(b);
				free(b);
			} else {
				/* Quantity{string=1} */
				int n2, w2;
				uint64_t v2;
				struct rd q;
				val = NULL;
				while (sub.p < sub.end) {
					if (next_field(&sub, &n2, &w2, &q, &v2) < 0)
						goto fail;
					if (n2 == 1 && w2 == 2) {
						json_decref(val);
						val = str_of(&q);
					}
				}
			}
		}
	}
	if (!key || !json_string_value(key)) {
		json_decref(key);
		json_decref(val);
		return -1;
	}
	json_object_set_new(map, json_string_value(key), val ? val : json_string(""));
	json_decref(key);
	return 0;
fail:
	json_decref(key);
	json_decref(val);
	return -1;
}

/* IntOrString{type=1, intVal=2, strVal=3}. */
static json_t *int_or_string(struct rd *r)
{
	long long type = 0, iv = 0;
	json_t *sv = NULL;
	int num, wt;
	uint64_t v;
	struct rd sub;
	while (r->p < r->end) {
		if (next_field(r, &num, &wt, &sub, &v) < 0) {
			json_decref(sv);
			return NULL;
		}
		if (num == 1 && wt == 0)
			type = (long long)v;
		else if (num == 2 && wt == 0)
			iv = (long long)(int32_t)v;
		else if (num == 3 && wt == 2) {
			json_decref(sv);
			sv = str_of(&sub);
		}
	}
	if (type == 1)
		return sv ? sv : json_string("");
	json_decref(sv);
	return json_integer(iv);
}

/* Time{seconds=1, nanos=2}: RFC 3339, null when zero. */
static json_t *time_of(struct rd *r)
{
	long long secs = 0;
	int num, wt;
	uint64_t v;
	struct rd sub;
	while (r->p < r->end) {
		if (next_field(r, &num, &wt, &sub, &v) < 0)
			return NULL;
		if (num == 1 && wt == 0)
			secs = (long long)v;
	}
	if (secs <= 0)
		return json_null();
	time_t t = (time_t)secs;
	struct tm tm;
	char buf[32];
	if (!gmtime_r(&t, &tm))
		return json_null();
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

static const struct pb_field *field_of(const struct pb_msg *m, int num)
{
	for (const struct pb_field *f = m->f; f->name; f++)
		if (f->num == num)
			return f;
	return NULL;
}

static json_t *decode_msg(struct rd *r, const struct pb_msg *m)
{
	if (r->depth > 32)
		return NULL;
	json_t *o = json_object();
	int num, wt;
	uint64_t v;
	struct rd sub;
	while (r->p < r->end) {
		if (next_field(r, &num, &wt, &sub, &v) < 0)
			goto fail;
		const struct pb_field *f = field_of(m, num);
		if (!f)
			continue;
		int type = f->type & 0xff, keep0 = f->type & F_PTR;
		json_t *val = NULL;
		if ((type == F_INT || type == F_BOOL) != (wt == 0) ||
		    (type != F_INT && type != F_BOOL && wt != 2))
			goto fail;
		switch (type) {
		case F_STR:
			if (sub.end == sub.p && !keep0)
				continue;
			val = str_of(&sub);
			break;
		case F_INT:
			if (!v && !keep0)
				continue;
			val = json_integer((json_int_t)(int64_t)v);
			break;
		case F_BOOL:
			if (!v && !keep0)
				continue;
			val = json_boolean(v != 0);
			break;
		case F_BYTES: {
			char *b = sim_base64(sub.p, (size_t)(sub.end - sub.p));
			val = json_string(b);
			free(b);
			break;
		}
		case F_MSG:
			val = decode_msg(&sub, f->sub);
			if (val && !*f->name) {
				/* An embedded message: its fields join ours. */
				json_object_update(o, val);
				json_decref(val);
				continue;
			}
			break;
		case F_REP_STR:
		case F_REP_MSG: {
			json_t *arr = json_object_get(o, f->name);
			if (!arr) {
				arr = json_array();
				json_object_set_new(o, f->name, arr);
			}
			json_t *item = type == F_REP_STR ? str_of(&sub)
							 : decode_msg(&sub, f->sub);
			if (!item)
				goto fail;
			json_array_append_new(arr, item);
			continue;
		}
		case F_MAP_STR:
		case F_MAP_BYTES:
		case F_MAP_QTY: {
			json_t *map = json_object_get(o, f->name);
			if (!map) {
				map = json_object();
				json_object_set_new(o, f->name, map);
			}
			if (map_entry(&sub, type, map) < 0)
				goto fail;
			continue;
		}
		case F_IOS:
			val = int_or_string(&sub);
			break;
		case F_TIME:
			val = time_of(&sub);
			break;
		case F_QTY:
			val = str_of(&sub);
			break;
		}
		if (!val)
			goto fail;
		json_object_set_new(o, f->name, val);
	}
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* A k8s protobuf body (magic, Unknown envelope, message) as JSON. */
json_t *sim_protobuf_decode(const char *body, size_t len, struct sim_status *st)
{
	static const unsigned char magic[4] = { 'k', '8', 's', 0 };
	if (len < 4 || memcmp(body, magic, 4) != 0) {
		sim_status_bad_request(st, "provided object is not a protobuf message "
					   "(missing the k8s magic prefix)");
		return NULL;
	}
	struct rd r = { (const unsigned char *)body + 4, (const unsigned char *)body + len, 0 };
	json_t *api = NULL, *kind = NULL;
	struct rd raw = { NULL, NULL, 0 };
	int num, wt;
	uint64_t v;
	struct rd sub;
	while (r.p < r.end) {
		if (next_field(&r, &num, &wt, &sub, &v) < 0)
			goto bad;
		if (num == 1 && wt == 2) { /* TypeMeta{apiVersion=1, kind=2} */
			struct rd tm;
			int n2, w2;
			uint64_t v2;
			while (sub.p < sub.end) {
				if (next_field(&sub, &n2, &w2, &tm, &v2) < 0)
					goto bad;
				if (w2 != 2)
					continue;
				if (n2 == 1) {
					json_decref(api);
					api = str_of(&tm);
				} else if (n2 == 2) {
					json_decref(kind);
					kind = str_of(&tm);
				}
			}
		} else if (num == 2 && wt == 2) {
			raw = sub;
		}
	}
	const char *a = json_string_value(api), *k = json_string_value(kind);
	for (size_t i = 0; a && k && pb_kinds[i].kind; i++) {
		if (strcmp(pb_kinds[i].api_version, a) != 0 || strcmp(pb_kinds[i].kind, k) != 0)
			continue;
		raw.depth = 0;
		json_t *obj = raw.p ? decode_msg(&raw, pb_kinds[i].msg) : json_object();
		if (!obj)
			goto bad;
		json_t *out = json_object();
		json_object_set_new(out, "kind", json_string(k));
		json_object_set_new(out, "apiVersion", json_string(a));
		json_object_update(out, obj);
		json_decref(obj);
		json_decref(api);
		json_decref(kind);
		return out;
	}
	sim_status_set(st, 415, "UnsupportedMediaType",
		       "the body of the request was in an unknown format - accepted "
		       "media types include: application/json, application/yaml");
	if (st)
		st->details = json_object();
	json_decref(api);
	json_decref(kind);
	return NULL;
bad:
	json_decref(api);
	json_decref(kind);
	sim_status_bad_request(st, "unable to decode the protobuf body");
	return NULL;
}
