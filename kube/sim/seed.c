/*
 * seed.c - what a new simulated cluster holds: the namespaces every
 * cluster has, three Nodes in the shape kubelets report them, the
 * `kubernetes` Service; then what the options ask for: N pods over several
 * namespaces and Deployments, created directly Running and Ready with
 * their ReplicaSets and statuses already settled (so 10,000 pods seed in a
 * fraction of a second and the controllers find nothing to do), and the
 * dashboard's demo, which the controllers bring up as on a real cluster.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube.h"
#include "kube/sim/world.h"

#define NODES 3
#define SEED_NAMESPACES 5
#define SEED_REPLICAS 10 /* pods per seeded deployment */

static int create(struct sim *s, const char *group, const char *plural,
		  const char *ns, json_t *obj, json_t **out, struct perr *e)
{
	const struct sim_kind *k = sim_kind_find(group, plural);
	struct sim_status st = { 0 };
	if (!k) {
		json_decref(obj);
		perr_set(e, "seed: no kind %s", plural);
		return -1;
	}
	json_t *name = json_object_get(json_object_get(obj, "metadata"), "name");
	if (name && sim_store_get(s, k, ns, json_string_value(name))) {
		json_decref(obj);
		return 0; /* already there */
	}
	int rc = sim_store_create(s, k, ns, obj, out, &st);
	if (rc < 0)
		perr_set(e, "seed: %s: %s", plural, st.message);
	sim_status_clear(&st);
	return rc;
}

static int seed_node(struct sim *s, int i, int max_pods, const char *now,
		     struct perr *e)
{
	char name[32], ip[32], pods[16], cidr[32];
	snprintf(name, sizeof name, "sim-node-%d", i);
	snprintf(ip, sizeof ip, "10.0.0.%d", 10 + i);
	snprintf(pods, sizeof pods, "%d", max_pods);
	snprintf(cidr, sizeof cidr, "10.244.%d.0/24", i - 1);
	json_t *res = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "cpu", "4",
				"ephemeral-storage", "102687672Ki", "hugepages-2Mi",
				"0", "memory", "16393260Ki", "pods", pods,
				"hugepages-1Gi", "0");
	json_t *conds = json_pack(
		"[{s:s,s:s,s:s,s:s,s:s,s:s},{s:s,s:s,s:s,s:s,s:s,s:s},"
		"{s:s,s:s,s:s,s:s,s:s,s:s},{s:s,s:s,s:s,s:s,s:s,s:s}]",
		"type", "MemoryPressure", "status", "False", "lastHeartbeatTime", now,
		"lastTransitionTime", now, "reason", "KubeletHasSufficientMemory",
		"message", "kubelet has sufficient memory available",
		"type", "DiskPressure", "status", "False", "lastHeartbeatTime", now,
		"lastTransitionTime", now, "reason", "KubeletHasNoDiskPressure",
		"message", "kubelet has no disk pressure",
		"type", "PIDPressure", "status", "False", "lastHeartbeatTime", now,
		"lastTransitionTime", now, "reason", "KubeletHasSufficientPID",
		"message", "kubelet has sufficient PID available",
		"type", "Ready", "status", "True", "lastHeartbeatTime", now,
		"lastTransitionTime", now, "reason", "KubeletReady",
		"message", "kubelet is posting ready status");
	json_t *node = json_pack(
		"{s:{s:s,s:{s:s,s:s,s:s,s:s,s:s},s:{s:s}},"
		"s:{s:s,s:[s],s:s},"
		"s:{s:o,s:o,s:o,s:[{s:s,s:s},{s:s,s:s}],s:{s:{s:i}},"
		"s:{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}}}",
		"metadata", "name", name, "labels", "beta.kubernetes.io/arch", "amd64",
		"beta.kubernetes.io/os", "linux", "kubernetes.io/arch", "amd64",
		"kubernetes.io/hostname", name, "kubernetes.io/os", "linux",
		"annotations", "node.alpha.kubernetes.io/ttl", "0",
		"spec", "podCIDR", cidr, "podCIDRs", cidr, "providerID",
		"podium-sim://node",
		"status", "capacity", res, "allocatable", json_deep_copy(res),
		"conditions", conds,
		"addresses", "type", "InternalIP", "address", ip, "type", "Hostname",
		"address", name, "daemonEndpoints", "kubeletEndpoint", "Port", 10250,
		"nodeInfo", "machineID", "", "systemUUID", "", "bootID", "",
		"kernelVersion", "6.1.0-18-amd64", "osImage", "Debian GNU/Linux 12 (bookworm)",
		"containerRuntimeVersion", "containerd://1.7.13", "kubeletVersion",
		"v1.20.2", "kubeProxyVersion", "v1.20.2", "operatingSystem", "linux",
		"architecture", "amd64");
	if (!node) {
		perr_set(e, "seed: node document");
		return -1;
	}
	/* The images the node's runtime holds, as its kubelet lists them. */
	static const struct {
		const char *ref;
		long long size;
	} present[] = { { "registry.k8s.io/pause:3.9", 321520 },
			{ "nginx:1.25", 70520000 },
			{ "busybox:1.36", 2231050 } };
	json_t *images = json_array();
	for (size_t k = 0; k < sizeof present / sizeof *present; k++) {
		char *norm = sim_image_normalize(present[k].ref);
		const char *id = sim_registry_lookup(sim_world(s)->reg, present[k].ref,
						     NULL, NULL);
		sim_node_add_image(sim_world(s), name, present[k].ref);
		json_array_append_new(images, json_pack("{s:[s,s],s:I}", "names",
							id ? id : norm, norm,
							"sizeBytes",
							(json_int_t)present[k].size));
		free(norm);
	}
	json_object_set_new(json_object_get(node, "status"), "images", images);
	return create(s, "", "nodes", NULL, node, NULL, e);
}

static json_t *container(const char *name, const char *image)
{
	return json_pack("{s:s,s:s,s:{},s:s,s:s,s:s}", "name", name, "image", image,
			 "resources", "terminationMessagePath", "/dev/termination-log",
			 "terminationMessagePolicy", "File", "imagePullPolicy",
			 strchr(image, ':') && !strstr(image, ":latest") ? "IfNotPresent"
									: "Always");
}

static json_t *deployment(const char *name, const char *ns, int replicas, json_t *ctr)
{
	json_t *labels = json_pack("{s:s}", "app", name);
	return json_pack("{s:{s:s,s:s,s:o},s:{s:i,s:{s:{s:s}},"
			 "s:{s:{s:o},s:{s:[o]}}}}",
			 "metadata", "name", name, "namespace", ns, "labels",
			 json_deep_copy(labels),
			 "spec", "replicas", replicas, "selector", "matchLabels", "app",
			 name, "template", "metadata", "labels", labels, "spec",
			 "containers", ctr);
}

/* ---- seeded load: Running pods with settled owners ---------------------- */

static json_t *settled_conditions(const char *now, const char *rs)
{
	char msg[400];
	snprintf(msg, sizeof msg, "ReplicaSet \"%s\" has successfully progressed.", rs);
	return json_pack("[{s:s,s:s,s:s,s:s,s:s,s:s},{s:s,s:s,s:s,s:s,s:s,s:s}]",
			 "type", "Available", "status", "True", "lastUpdateTime", now,
			 "lastTransitionTime", now, "reason", "MinimumReplicasAvailable",
			 "message", "Deployment has minimum availability.",
			 "type", "Progressing", "status", "True", "lastUpdateTime", now,
			 "lastTransitionTime", now, "reason", "NewReplicaSetAvailable",
			 "message", msg);
}

static void update(struct sim *s, const char *group, const char *plural,
		   const char *ns, json_t *obj)
{
	struct sim_status st = { 0 };
	sim_store_update(s, sim_kind_find(group, plural), ns, obj, NULL, &st);
	sim_status_clear(&st);
}

static int seed_running_deployment(struct sim *s, const char *ns, const char *name,
				   int replicas, const char *image, const char *now,
				   struct perr *e)
{
	struct sim_world *w = sim_world(s);
	json_t *d = NULL;
	if (create(s, "apps", "deployments", ns,
		   deployment(name, ns, replicas, container("app", image)), &d,
		   e) < 0 || !d)
		return -1;
	json_t *tmpl = json_object_get(json_object_get(d, "spec"), "template");
	char hash[16], rsname[300];
	sim_template_hash(tmpl, -1, hash);
	snprintf(rsname, sizeof rsname, "%s-%s", name, hash);
	int surge, unavail;
	json_t *ru = json_object_get(json_object_get(json_object_get(d, "spec"),
						     "strategy"), "rollingUpdate");
	sim_fenceposts(json_object_get(ru, "maxSurge"),
		       json_object_get(ru, "maxUnavailable"), replicas, &surge, &unavail);
	char desired[16], maxr[16];
	snprintf(desired, sizeof desired, "%d", replicas);
	snprintf(maxr, sizeof maxr, "%d", replicas + surge);
	json_t *rtmpl = json_deep_copy(tmpl);
	json_t *labels = json_object_get(json_object_get(rtmpl, "metadata"), "labels");
	json_object_set_new(labels, "pod-template-hash", json_string(hash));
	json_t *rs = json_pack(
		"{s:{s:s,s:o,s:{s:s,s:s,s:s},s:[{s:s,s:s,s:s,s:s,s:b,s:b}]},"
		"s:{s:i,s:{s:o},s:o},s:{s:i,s:i,s:i,s:i,s:i}}",
		"metadata", "name", rsname, "labels", json_deep_copy(labels),
		"annotations",
		"deployment.kubernetes.io/desired-replicas", desired,
		"deployment.kubernetes.io/max-replicas", maxr,
		"deployment.kubernetes.io/revision", "1", "ownerReferences",
		"apiVersion", "apps/v1", "kind", "Deployment", "name", name, "uid",
		json_string_value(json_object_get(json_object_get(d, "metadata"), "uid")),
		"controller", 1, "blockOwnerDeletion", 1,
		"spec", "replicas", replicas, "selector", "matchLabels",
		json_deep_copy(labels),
		"template", rtmpl,
		"status", "replicas", replicas, "fullyLabeledReplicas", replicas,
		"readyReplicas", replicas, "availableReplicas", replicas,
		"observedGeneration", 1);
	json_t *rso = NULL;
	if (create(s, "apps", "replicasets", ns, rs, &rso, e) < 0 || !rso)
		return -1;
	const char *rsuid = json_string_value(json_object_get(
		json_object_get(rso, "metadata"), "uid"));
	char *norm = sim_image_normalize(image);
	const char *image_id = sim_registry_lookup(w->reg, image, NULL, NULL);
	/* Seeded pods of one deployment share their identical parts (spec per
	 * node, labels, owner, conditions): stored objects are never changed
	 * in place (every writer copies first), and sharing is what lets
	 * 10,000 pods fit the server's memory budget. */
	json_t *specs[NODES + 1] = { 0 };
	json_t *plabels = json_deep_copy(labels);
	json_t *owners = json_pack("[{s:s,s:s,s:s,s:s,s:b,s:b}]", "apiVersion", "apps/v1",
				   "kind", "ReplicaSet", "name", rsname, "uid", rsuid,
				   "controller", 1, "blockOwnerDeletion", 1);
	json_t *conds = json_pack("[{s:s,s:s,s:n,s:s},{s:s,s:s,s:n,s:s},{s:s,s:s,s:n,s:s},"
				  "{s:s,s:s,s:n,s:s}]",
				  "type", "Initialized", "status", "True", "lastProbeTime",
				  "lastTransitionTime", now,
				  "type", "Ready", "status", "True", "lastProbeTime",
				  "lastTransitionTime", now,
				  "type", "ContainersReady", "status", "True", "lastProbeTime",
				  "lastTransitionTime", now,
				  "type", "PodScheduled", "status", "True", "lastProbeTime",
				  "lastTransitionTime", now);
	int rc = 0;
	for (int i = 0; i < replicas && rc == 0; i++) {
		char ip[20], node[32], pname[320], cid[80], hostip[20];
		unsigned n = w->ip_next++;
		int ni = 1 + (int)(n % NODES);
		sim_world_pod_ip(w, ni, ip);
		snprintf(node, sizeof node, "sim-node-%d", ni);
		snprintf(hostip, sizeof hostip, "10.0.0.%d", 10 + ni);
		/* Named here (not by generateName) so the container ID is the
		 * one the kubelet derives for the pod. */
		char suffix[6];
		do {
			sim_world_rand_suffix(w, suffix, 5);
			snprintf(pname, sizeof pname, "%s-%s", rsname, suffix);
		} while (sim_store_get(s, sim_kind_find("", "pods"), ns, pname));
		sim_container_id(w, ns, pname, "app", 0, cid);
		if (!specs[ni]) {
			specs[ni] = json_deep_copy(json_object_get(rtmpl, "spec"));
			json_object_set_new(specs[ni], "nodeName", json_string(node));
		}
		json_t *pod = json_pack(
			"{s:{s:s,s:O,s:O},s:O,"
			"s:{s:s,s:O,s:s,s:s,s:[{s:s}],s:s,"
			"s:[{s:s,s:{s:{s:s}},s:{},s:b,s:i,s:s,s:s,s:s,s:b}]}}",
			"metadata", "name", pname, "labels", plabels,
			"ownerReferences", owners, "spec", specs[ni],
			"status", "phase", "Running", "conditions", conds,
			"hostIP", hostip, "podIP", ip, "podIPs", "ip", ip, "startTime", now,
			"containerStatuses", "name", "app", "state", "running", "startedAt",
			now, "lastState", "ready", 1, "restartCount", 0, "image",
			norm ? norm : image, "imageID", image_id ? image_id : "",
			"containerID", cid, "started", 1);
		if (!pod)
			rc = -1;
		else
			rc = create(s, "", "pods", ns, pod, NULL, e);
	}
	for (int i = 0; i <= NODES; i++)
		json_decref(specs[i]);
	json_decref(plabels);
	json_decref(owners);
	json_decref(conds);
	if (rc < 0) {
		free(norm);
		return -1;
	}
	free(norm);
	/* The deployment as its controller leaves a settled one. */
	json_t *dc = json_deep_copy(d);
	json_t *meta = json_object_get(dc, "metadata");
	json_object_set_new(meta, "annotations",
			    json_pack("{s:s}", "deployment.kubernetes.io/revision", "1"));
	json_object_set_new(dc, "status",
			    json_pack("{s:i,s:i,s:i,s:i,s:i,s:o}", "observedGeneration", 1,
				      "replicas", replicas, "updatedReplicas", replicas,
				      "readyReplicas", replicas, "availableReplicas",
				      replicas, "conditions",
				      settled_conditions(now, rsname)));
	update(s, "apps", "deployments", ns, dc);
	return 0;
}

static int seed_load(struct sim *s, int npods, const char *now, struct perr *e)
{
	for (int i = 0; i < SEED_NAMESPACES; i++) {
		char ns[32];
		snprintf(ns, sizeof ns, "load-%d", i + 1);
		if (create(s, "", "namespaces", NULL,
			   json_pack("{s:{s:s}}", "metadata", "name", ns), NULL, e) < 0)
			return -1;
	}
	static const char *const images[] = { "nginx:1.25", "redis:7",
					      "nginx:1.27", SIM_RUNTIME_IMAGE };
	for (int d = 0, left = npods; left > 0; d++) {
		int n = left < SEED_REPLICAS ? left : SEED_REPLICAS;
		char ns[32], name[32];
		snprintf(ns, sizeof ns, "load-%d", d % SEED_NAMESPACES + 1);
		snprintf(name, sizeof name, "svc-%04d", d);
		if (seed_running_deployment(s, ns, name, n, images[d % 4], now, e) < 0)
			return -1;
		left -= n;
	}
	return 0;
}

/* ---- the demo ------------------------------------------------------------ */

static json_t *service(const char *name, const char *ns, int port, int target)
{
	return json_pack("{s:{s:s,s:s,s:{s:s}},s:{s:{s:s},s:[{s:s,s:s,s:i,s:i}]}}",
			 "metadata", "name", name, "namespace", ns, "labels", "app", name,
			 "spec", "selector", "app", name, "ports", "name", "http",
			 "protocol", "TCP", "port", port, "targetPort", target);
}

static int seed_demo(struct sim *s, const struct sim_opts *o, struct perr *e)
{
	/* With a model from the caller, the model deployment runs an image
	 * that holds it, so its pods really serve it. */
	const char *model_image = SIM_RUNTIME_IMAGE;
	if (o->demo_model && o->demo_model_len &&
	    sim_registry_put(s, SIM_DEMO_MODEL_IMAGE, o->demo_model, o->demo_model_len) == 0)
		model_image = SIM_DEMO_MODEL_IMAGE;
	if (create(s, "", "namespaces", NULL,
		   json_pack("{s:{s:s}}", "metadata", "name", "models"), NULL, e) < 0)
		return -1;
	json_t *api = container("api", "python:3.12");
	json_object_set_new(api, "command",
			    json_pack("[s,s,s,s]", "python", "-m", "http.server", "8000"));
	struct {
		const char *ns, *name;
		int replicas;
		json_t *ctr;
		int port, target;
	} demo[] = {
		{ "default", "web", 3, container("nginx", "nginx:1.25"), 80, 80 },
		{ "default", "cache", 1, container("redis", "redis:7"), 6379, 6379 },
		{ "default", "api", 2, api, 80, 8000 },
		{ "default", "broken", 1, container("app", "ghcr.io/example/missing:1.0"), 0, 0 },
	};
	int rc = 0;
	for (size_t i = 0; i < sizeof demo / sizeof *demo; i++) {
		if (rc < 0) {
			json_decref(demo[i].ctr);
			continue;
		}
		rc = create(s, "apps", "deployments", demo[i].ns,
			    deployment(demo[i].name, demo[i].ns, demo[i].replicas,
				       demo[i].ctr), NULL, e);
		if (rc == 0 && demo[i].port)
			rc = create(s, "", "services", demo[i].ns,
				    service(demo[i].name, demo[i].ns, demo[i].port,
					    demo[i].target), NULL, e);
	}
	if (rc < 0)
		return -1;
	/* The model deployment exactly as `podium deploy` makes it, so that
	 * everything podium does to one (compare, the gated rollout) works on
	 * the demo's too. */
	struct kube_deploy_opts mo = {
		.name = "fashion-mnist",
		.namespace = "models",
		.image = model_image,
		.model_sha256 = strcmp(model_image, SIM_RUNTIME_IMAGE) ? o->demo_model_sha256 : NULL,
		.replicas = 2,
		.port = 8080,
	};
	if (create(s, "apps", "deployments", "models", kube_deploy_deployment(&mo), NULL, e) < 0 ||
	    create(s, "", "services", "models", kube_deploy_service(&mo), NULL, e) < 0)
		return -1;
	json_t *job_ctr = container("report", "busybox:1.36");
	json_object_set_new(job_ctr, "command",
			    json_pack("[s,s,s]", "sh", "-c",
				      "echo report generated; sleep 5"));
	json_t *job = json_pack("{s:{s:s},s:{s:{s:{s:[o],s:s}}}}", "metadata", "name",
				"nightly-report", "spec", "template", "spec",
				"containers", job_ctr, "restartPolicy", "Never");
	return create(s, "batch", "jobs", "default", job, NULL, e);
}

int sim_seed(struct sim *s, const struct sim_opts *o, struct perr *e)
{
	static const char *const namespaces[] = { "default", "kube-system",
						  "kube-public", "kube-node-lease",
						  NULL };
	char now[32];
	sim_rfc3339(s, now, sizeof now);
	for (size_t i = 0; namespaces[i]; i++)
		if (create(s, "", "namespaces", NULL,
			   json_pack("{s:{s:s}}", "metadata", "name", namespaces[i]),
			   NULL, e) < 0)
			return -1;
	int npods = o ? o->seed_pods : 0;
	int max_pods = 110;
	if (npods / NODES + 10 > max_pods)
		max_pods = npods / NODES + 10;
	for (int i = 1; i <= NODES; i++)
		if (seed_node(s, i, max_pods, now, e) < 0)
			return -1;
	json_t *svc = json_pack("{s:{s:s,s:{s:s,s:s}},s:{s:[{s:s,s:s,s:i,s:i}],"
				"s:s,s:s,s:s}}",
				"metadata", "name", "kubernetes", "labels", "component",
				"apiserver", "provider", "kubernetes", "spec", "ports",
				"name", "https", "protocol", "TCP", "port", 443,
				"targetPort", 6443, "clusterIP", "10.96.0.1", "type",
				"ClusterIP", "sessionAffinity", "None");
	if (create(s, "", "services", "default", svc, NULL, e) < 0)
		return -1;
	json_t *ep = json_pack("{s:{s:s},s:[{s:[{s:s}],s:[{s:s,s:i,s:s}]}]}",
			       "metadata", "name", "kubernetes", "subsets", "addresses",
			       "ip", "10.0.0.1", "ports", "name", "https", "port", 6443,
			       "protocol", "TCP");
	if (create(s, "", "endpoints", "default", ep, NULL, e) < 0)
		return -1;
	if (npods > 0 && seed_load(s, npods, now, e) < 0)
		return -1;
	if (o && o->demo && seed_demo(s, o, e) < 0)
		return -1;
	return 0;
}
