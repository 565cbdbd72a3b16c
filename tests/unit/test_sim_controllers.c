/* test_sim_controllers.c - the controllers, scheduler and kubelet behind
 * the simulated store, driven step by step under a clock the test moves:
 * deployments and rolling updates within their bounds, image pull
 * failures and progress deadlines, jobs, endpoints, graceful deletion,
 * garbage collection, logs, and seeding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/sim/sim_impl.h"
#include "kube/sim/world.h"

/* Real time barely moves the simulated clock (a real millisecond is a
 * simulated nanosecond): the test alone moves it, so slow builds
 * (sanitizers) see the same states at the same steps. */
#define TEST_SPEED 1e-6

static const struct sim_kind *K(const char *group, const char *plural)
{
	const struct sim_kind *k = sim_kind_find(group, plural);
	assert_non_null(k);
	return k;
}

static const char *jp(const json_t *o, const char *path)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s", path);
	const json_t *v = o;
	for (char *save, *p = strtok_r(buf, ".", &save); p && v;
	     p = strtok_r(NULL, ".", &save))
		v = json_object_get(v, p);
	return json_string_value(v);
}

static int ji(const json_t *o, const char *path)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s", path);
	const json_t *v = o;
	for (char *save, *p = strtok_r(buf, ".", &save); p && v;
	     p = strtok_r(NULL, ".", &save))
		v = json_object_get(v, p);
	return (int)json_integer_value(v);
}

static json_t *jget_obj(const json_t *o, const char *a, const char *b)
{
	return json_object_get(json_object_get(o, a), b);
}

static struct sim *new_sim(void)
{
	struct sim_opts o = { .speed = TEST_SPEED, .seed = 42 };
	struct perr e = { { 0 } };
	struct sim *s = sim_new(&o, &e);
	assert_non_null(s);
	return s;
}

typedef void (*check_fn)(struct sim *s, void *ud);

/* Move simulated time by ms in steps of 250 ms, running the controllers
 * (and check, if given) at every step. */
static void advance(struct sim *s, long long ms, check_fn check, void *ud)
{
	for (long long t = 0; t < ms; t += 250) {
		sim_lock(s);
		s->start_real_ms -= (long long)(250 / s->speed);
		sim_controllers_step(s);
		if (check)
			check(s, ud);
		sim_unlock(s);
	}
}

static void create(struct sim *s, const char *group, const char *plural,
		   const char *ns, const char *doc)
{
	json_error_t err;
	json_t *obj = json_loads(doc, 0, &err);
	assert_non_null(obj);
	struct sim_status st = { 0 };
	sim_lock(s);
	int rc = sim_store_create(s, K(group, plural), ns, obj, NULL, &st);
	sim_unlock(s);
	if (rc)
		fprintf(stderr, "create: %s\n", st.message);
	assert_int_equal(rc, 0);
	sim_status_clear(&st);
}

struct list {
	json_t *v[256];
	size_t n;
	const char *prefix;
};

static int collect(json_t *obj, void *ud)
{
	struct list *l = ud;
	const char *name = jp(obj, "metadata.name");
	if (l->prefix && strncmp(name, l->prefix, strlen(l->prefix)))
		return 0;
	if (l->n < 256)
		l->v[l->n++] = obj;
	return 0;
}

/* Objects of a kind whose name starts with prefix (borrowed; lock held). */
static void list(struct sim *s, const char *group, const char *plural,
		 const char *prefix, struct list *l)
{
	memset(l, 0, sizeof *l);
	l->prefix = prefix;
	sim_store_each(s, K(group, plural), "default", collect, l);
}

static const char *cond_field(const json_t *obj, const char *type,
			      const char *field)
{
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(json_object_get(obj, "status"), "conditions"),
			   i, c)
		if (!strcmp(json_string_value(json_object_get(c, "type")), type))
			return json_string_value(json_object_get(c, field));
	return NULL;
}

static void set_image(struct sim *s, const char *deploy, const char *image)
{
	sim_lock(s);
	json_t *d = json_deep_copy(sim_store_get(s, K("apps", "deployments"),
						 "default", deploy));
	json_t *c = json_array_get(json_object_get(json_object_get(json_object_get(
		json_object_get(d, "spec"), "template"), "spec"), "containers"), 0);
	json_object_set_new(c, "image", json_string(image));
	struct sim_status st = { 0 };
	assert_int_equal(sim_store_update(s, K("apps", "deployments"), "default", d,
					  NULL, &st), 0);
	sim_unlock(s);
}

static const char *web_doc =
	"{\"metadata\":{\"name\":\"web\"},\"spec\":{\"replicas\":4,"
	"\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
	"\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},"
	"\"spec\":{\"containers\":[{\"name\":\"nginx\",\"image\":\"nginx\"}]}}}}";

/* maxSurge 25% of 4 = 1 up, maxUnavailable 25% of 4 = 1 down. */
static void rolling_bounds(struct sim *s, void *ud)
{
	int *worst = ud;
	struct list rs, pods;
	list(s, "apps", "replicasets", "web-", &rs);
	int total = 0;
	for (size_t i = 0; i < rs.n; i++)
		total += ji(rs.v[i], "spec.replicas");
	assert_true(total <= 5);
	list(s, "", "pods", "web-", &pods);
	int ready = 0;
	for (size_t i = 0; i < pods.n; i++) {
		if (json_object_get(json_object_get(pods.v[i], "metadata"),
				    "deletionTimestamp"))
			continue;
		const char *r = cond_field(pods.v[i], "Ready", "status");
		if (r && !strcmp(r, "True"))
			ready++;
	}
	assert_true(ready >= 3);
	if (total > worst[0])
		worst[0] = total;
}

static void test_deployment_rollout(void **state)
{
	(void)state;
	struct sim *s = new_sim();
	create(s, "apps", "deployments", "default", web_doc);
	advance(s, 500, NULL, NULL);

	sim_lock(s);
	struct list rs, pods;
	list(s, "apps", "replicasets", "web-", &rs);
	assert_int_equal(rs.n, 1);
	const char *rsname = jp(rs.v[0], "metadata.name");
	const char *hash = jp(rs.v[0], "metadata.labels.pod-template-hash");
	assert_non_null(hash);
	char want[64];
	snprintf(want, sizeof want, "web-%s", hash);
	assert_string_equal(rsname, want);
	for (const char *p = hash; *p; p++)
		assert_non_null(strchr("bcdfghjklmnpqrstvwxz2456789", *p));
	json_t *ann = json_object_get(json_object_get(rs.v[0], "metadata"), "annotations");
	assert_string_equal(json_string_value(json_object_get(
				    ann, "deployment.kubernetes.io/revision")), "1");
	assert_string_equal(json_string_value(json_object_get(
				    ann, "deployment.kubernetes.io/desired-replicas")), "4");
	assert_string_equal(json_string_value(json_object_get(
				    ann, "deployment.kubernetes.io/max-replicas")), "5");
	assert_true(json_is_true(json_object_get(json_array_get(json_object_get(
		json_object_get(rs.v[0], "metadata"), "ownerReferences"), 0), "controller")));
	char rs1[64];
	snprintf(rs1, sizeof rs1, "%s", rsname);
	list(s, "", "pods", rs1, &pods);
	assert_int_equal(pods.n, 4);
	/* <rs>-<5 chars of the alphabet> */
	assert_int_equal(strlen(jp(pods.v[0], "metadata.name")), strlen(rs1) + 6);
	sim_unlock(s);

	advance(s, 10000, NULL, NULL);
	sim_lock(s);
	json_t *d = sim_store_get(s, K("apps", "deployments"), "default", "web");
	assert_int_equal(ji(d, "status.availableReplicas"), 4);
	assert_int_equal(ji(d, "status.readyReplicas"), 4);
	assert_int_equal(ji(d, "status.updatedReplicas"), 4);
	assert_int_equal(ji(d, "status.observedGeneration"), ji(d, "metadata.generation"));
	assert_string_equal(cond_field(d, "Available", "reason"), "MinimumReplicasAvailable");
	assert_string_equal(cond_field(d, "Progressing", "reason"), "NewReplicaSetAvailable");
	char msg[128];
	snprintf(msg, sizeof msg, "ReplicaSet \"%s\" has successfully progressed.", rs1);
	assert_string_equal(cond_field(d, "Progressing", "message"), msg);
	list(s, "", "pods", rs1, &pods);
	json_t *cs = json_array_get(json_object_get(json_object_get(pods.v[0], "status"),
						    "containerStatuses"), 0);
	assert_true(json_is_true(json_object_get(cs, "ready")));
	assert_non_null(jp(cs, "state.running.startedAt"));
	assert_string_equal(jp(cs, "image"), "docker.io/library/nginx:latest");
	assert_non_null(strstr(jp(cs, "imageID"), "@sha256:"));
	assert_string_equal(jp(pods.v[0], "status.phase"), "Running");
	assert_non_null(jp(pods.v[0], "spec.nodeName"));
	/* The address comes from the node's podCIDR. */
	const char *cidr = jp(sim_store_get(s, K("", "nodes"), NULL,
					     jp(pods.v[0], "spec.nodeName")), "spec.podCIDR");
	assert_non_null(cidr);
	assert_true(!strncmp(jp(pods.v[0], "status.podIP"), cidr, strlen(cidr) - 4));
	sim_unlock(s);

	/* A new image: revision 2, within maxSurge/maxUnavailable throughout;
	 * the Deployment's change-cause goes to the new ReplicaSet (the
	 * controller's copyDeploymentAnnotationsToReplicaSet), its own
	 * revision annotation does not. */
	sim_lock(s);
	json_t *ad = json_deep_copy(sim_store_get(s, K("apps", "deployments"), "default", "web"));
	json_object_set_new(json_object_get(json_object_get(ad, "metadata"), "annotations"),
			    "kubernetes.io/change-cause", json_string("image 1.27"));
	struct sim_status ast = { 0 };
	assert_int_equal(sim_store_update(s, K("apps", "deployments"), "default", ad, NULL, &ast), 0);
	sim_unlock(s);
	set_image(s, "web", "nginx:1.27");
	int worst = 0;
	advance(s, 30000, rolling_bounds, &worst);
	assert_int_equal(worst, 5); /* the surge was used */
	sim_lock(s);
	list(s, "apps", "replicasets", "web-", &rs);
	assert_int_equal(rs.n, 2);
	json_t *old = NULL, *cur = NULL;
	for (size_t i = 0; i < rs.n; i++) {
		if (!strcmp(jp(rs.v[i], "metadata.name"), rs1))
			old = rs.v[i];
		else
			cur = rs.v[i];
	}
	assert_non_null(old);
	assert_non_null(cur);
	assert_int_equal(ji(old, "spec.replicas"), 0);
	assert_int_equal(ji(cur, "spec.replicas"), 4);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_object_get(cur, "metadata"), "annotations"),
				    "deployment.kubernetes.io/revision")), "2");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_object_get(cur, "metadata"), "annotations"),
				    "kubernetes.io/change-cause")), "image 1.27");
	d = sim_store_get(s, K("apps", "deployments"), "default", "web");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_object_get(d, "metadata"), "annotations"),
				    "deployment.kubernetes.io/revision")), "2");
	assert_int_equal(ji(d, "status.updatedReplicas"), 4);
	assert_int_equal(ji(d, "status.availableReplicas"), 4);
	assert_string_equal(cond_field(d, "Progressing", "reason"), "NewReplicaSetAvailable");
	sim_unlock(s);

	/* Rollback: the old template again makes the old RS revision 3. */
	set_image(s, "web", "nginx");
	advance(s, 30000, rolling_bounds, &worst);
	sim_lock(s);
	json_t *back = sim_store_get(s, K("apps", "replicasets"), "default", rs1);
	assert_int_equal(ji(back, "spec.replicas"), 4);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_object_get(back, "metadata"), "annotations"),
				    "deployment.kubernetes.io/revision")), "3");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_object_get(back, "metadata"), "annotations"),
				    "deployment.kubernetes.io/revision-history")), "1");
	list(s, "apps", "replicasets", "web-", &rs);
	assert_int_equal(rs.n, 2);
	sim_unlock(s);
	sim_free(s);
}

static void test_image_pull_failure_and_deadline(void **state)
{
	(void)state;
	struct sim *s = new_sim();
	create(s, "apps", "deployments", "default",
	       "{\"metadata\":{\"name\":\"broken\"},\"spec\":{\"replicas\":1,"
	       "\"progressDeadlineSeconds\":20,"
	       "\"selector\":{\"matchLabels\":{\"app\":\"broken\"}},"
	       "\"template\":{\"metadata\":{\"labels\":{\"app\":\"broken\"}},"
	       "\"spec\":{\"containers\":[{\"name\":\"app\","
	       "\"image\":\"ghcr.io/example/missing:1.0\"}]}}}}");
	/* The pull fails within the first few seconds: ErrImagePull. */
	struct list pods;
	json_t *cs = NULL;
	for (int i = 0; i < 20; i++) {
		advance(s, 250, NULL, NULL);
		sim_lock(s);
		list(s, "", "pods", "broken-", &pods);
		cs = json_array_get(json_object_get(json_object_get(pods.v[0], "status"),
						    "containerStatuses"), 0);
		const char *r = jp(cs, "state.waiting.reason");
		sim_unlock(s);
		if (r && strcmp(r, "ContainerCreating"))
			break;
	}
	sim_lock(s);
	assert_int_equal(pods.n, 1);
	assert_string_equal(jp(cs, "state.waiting.reason"), "ErrImagePull");
	assert_non_null(strstr(jp(cs, "state.waiting.message"),
			       "ghcr.io/example/missing:1.0: not found"));
	assert_string_equal(jp(pods.v[0], "status.phase"), "Pending");
	sim_unlock(s);
	advance(s, 2000, NULL, NULL);
	sim_lock(s);
	list(s, "", "pods", "broken-", &pods);
	cs = json_array_get(json_object_get(json_object_get(pods.v[0], "status"),
					    "containerStatuses"), 0);
	assert_string_equal(jp(cs, "state.waiting.reason"), "ImagePullBackOff");
	assert_string_equal(jp(cs, "state.waiting.message"),
			    "Back-off pulling image \"ghcr.io/example/missing:1.0\"");
	json_t *d = sim_store_get(s, K("apps", "deployments"), "default", "broken");
	assert_string_equal(cond_field(d, "Progressing", "status"), "True");
	assert_string_equal(cond_field(d, "Available", "status"), "False");
	assert_string_equal(cond_field(d, "Available", "reason"), "MinimumReplicasUnavailable");
	/* The log of a container that never started, in the API's words. */
	struct sim_status st = { 0 };
	char *log = sim_pod_logs(s, "default", jp(pods.v[0], "metadata.name"), NULL, 0, &st);
	assert_null(log);
	assert_int_equal(st.code, 400);
	assert_non_null(strstr(st.message, "is waiting to start: image can't be pulled"));
	sim_status_clear(&st);
	sim_unlock(s);
	advance(s, 25000, NULL, NULL);
	sim_lock(s);
	d = sim_store_get(s, K("apps", "deployments"), "default", "broken");
	assert_string_equal(cond_field(d, "Progressing", "status"), "False");
	assert_string_equal(cond_field(d, "Progressing", "reason"), "ProgressDeadlineExceeded");
	assert_non_null(strstr(cond_field(d, "Progressing", "message"),
			       "has timed out progressing."));
	sim_unlock(s);
	/* Pushing the image lets the next pull succeed. */
	sim_lock(s);
	sim_registry_put(s, "ghcr.io/example/missing:1.0", NULL, 0);
	sim_unlock(s);
	advance(s, 330000, NULL, NULL);
	sim_lock(s);
	list(s, "", "pods", "broken-", &pods);
	assert_string_equal(jp(pods.v[0], "status.phase"), "Running");
	sim_unlock(s);
	sim_free(s);
}

struct evfind {
	const char *reason, *needle;
	int found;
};

static int find_event(json_t *ev, void *ud)
{
	struct evfind *f = ud;
	if (!strcmp(jp(ev, "reason"), f->reason) &&
	    (!f->needle || strstr(jp(ev, "message"), f->needle)))
		f->found++;
	return 0;
}

static int events(struct sim *s, const char *reason, const char *needle)
{
	struct evfind f = { reason, needle, 0 };
	sim_store_each(s, K("", "events"), "default", find_event, &f);
	return f.found;
}

static void test_events(void **state)
{
	(void)state;
	struct sim *s = new_sim();
	create(s, "apps", "deployments", "default", web_doc);
	advance(s, 8000, NULL, NULL);
	sim_lock(s);
	assert_int_equal(events(s, "ScalingReplicaSet", "Scaled up replica set web-"), 1);
	assert_int_equal(events(s, "SuccessfulCreate", "Created pod: web-"), 4);
	assert_int_equal(events(s, "Scheduled", "Successfully assigned default/web-"), 4);
	assert_int_equal(events(s, "Pulling", "Pulling image \"nginx\""), 4);
	assert_int_equal(events(s, "Pulled", "Successfully pulled image \"nginx\" in "), 4);
	assert_int_equal(events(s, "Created", "Created container nginx"), 4);
	assert_int_equal(events(s, "Started", "Started container nginx"), 4);
	sim_unlock(s);
	/* IfNotPresent with the image on the node: no pull; Never without
	 * it: ErrImageNeverPull. */
	create(s, "", "pods", "default",
	       "{\"metadata\":{\"name\":\"cached\"},\"spec\":{\"containers\":"
	       "[{\"name\":\"c\",\"image\":\"nginx:1.25\"}]}}");
	create(s, "", "pods", "default",
	       "{\"metadata\":{\"name\":\"never\"},\"spec\":{\"containers\":"
	       "[{\"name\":\"c\",\"image\":\"redis:7\",\"imagePullPolicy\":\"Never\"}]}}");
	advance(s, 3000, NULL, NULL);
	sim_lock(s);
	assert_int_equal(events(s, "Pulled",
				"Container image \"nginx:1.25\" already present on machine"), 1);
	assert_int_equal(events(s, "Pulling", "nginx:1.25"), 0);
	json_t *p = sim_store_get(s, K("", "pods"), "default", "cached");
	assert_string_equal(jp(p, "status.phase"), "Running");
	p = sim_store_get(s, K("", "pods"), "default", "never");
	json_t *cs = json_array_get(jget_obj(p, "status", "containerStatuses"), 0);
	assert_string_equal(jp(cs, "state.waiting.reason"), "ErrImageNeverPull");
	assert_string_equal(jp(cs, "state.waiting.message"),
			    "Container image \"redis:7\" is not present with pull policy of Never");
	assert_int_equal(events(s, "ErrImageNeverPull", "redis:7"), 1);
	sim_unlock(s);
	sim_free(s);
}

static void test_job_completes(void **state)
{
	(void)state;
	struct sim *s = new_sim();
	create(s, "batch", "jobs", "default",
	       "{\"metadata\":{\"name\":\"hello\"},\"spec\":{\"completions\":2,"
	       "\"template\":{\"spec\":{\"restartPolicy\":\"Never\",\"containers\":"
	       "[{\"name\":\"hello\",\"image\":\"busybox\",\"command\":"
	       "[\"sh\",\"-c\",\"echo hello from the job\"]}]}}}}");
	advance(s, 15000, NULL, NULL);
	sim_lock(s);
	json_t *job = sim_store_get(s, K("batch", "jobs"), "default", "hello");
	assert_int_equal(ji(job, "status.succeeded"), 2);
	assert_null(json_object_get(json_object_get(job, "status"), "active"));
	assert_string_equal(cond_field(job, "Complete", "status"), "True");
	assert_non_null(jp(job, "status.completionTime"));
	assert_non_null(jp(job, "status.startTime"));
	struct list pods;
	list(s, "", "pods", "hello-", &pods);
	assert_int_equal(pods.n, 2);
	assert_string_equal(jp(pods.v[0], "status.phase"), "Succeeded");
	assert_string_equal(jp(pods.v[0], "metadata.labels.job-name"), "hello");
	struct sim_status st = { 0 };
	char *log = sim_pod_logs(s, "default", jp(pods.v[0], "metadata.name"), NULL, 0, &st);
	assert_non_null(log);
	assert_string_equal(log, "hello from the job\n");
	free(log);
	assert_int_equal(events(s, "Completed", "Job completed"), 1);
	sim_unlock(s);
	sim_free(s);
}

static void test_endpoints_and_graceful_delete(void **state)
{
	(void)state;
	struct sim *s = new_sim();
	create(s, "apps", "deployments", "default", web_doc);
	create(s, "", "services", "default",
	       "{\"metadata\":{\"name\":\"web\"},\"spec\":{\"selector\":{\"app\":\"web\"},"
	       "\"ports\":[{\"name\":\"http\",\"port\":80,\"targetPort\":8080}]}}");
	advance(s, 1250, NULL, NULL);
	sim_lock(s);
	json_t *ep = sim_store_get(s, K("", "endpoints"), "default", "web");
	assert_non_null(ep);
	/* Pods with an IP that are not ready yet are listed apart. */
	assert_true(json_array_size(json_object_get(json_array_get(
		json_object_get(ep, "subsets"), 0), "notReadyAddresses")) >= 1);
	sim_unlock(s);
	advance(s, 10000, NULL, NULL);
	sim_lock(s);
	ep = sim_store_get(s, K("", "endpoints"), "default", "web");
	json_t *sub = json_array_get(json_object_get(ep, "subsets"), 0);
	assert_int_equal(json_array_size(json_object_get(sub, "addresses")), 4);
	assert_null(json_object_get(sub, "notReadyAddresses"));
	assert_int_equal(ji(json_array_get(json_object_get(sub, "ports"), 0), "port"), 8080);
	assert_string_equal(jp(json_array_get(json_object_get(sub, "addresses"), 0),
			       "targetRef.kind"), "Pod");

	/* Graceful deletion: deletionTimestamp first, then gone; the
	 * ReplicaSet makes a replacement. */
	struct list pods;
	list(s, "", "pods", "web-", &pods);
	char victim[128];
	snprintf(victim, sizeof victim, "%s", jp(pods.v[0], "metadata.name"));
	struct sim_status st = { 0 };
	assert_int_equal(sim_store_delete(s, K("", "pods"), "default", victim, NULL,
					  NULL, &st), 0);
	assert_non_null(sim_store_get(s, K("", "pods"), "default", victim));
	sim_unlock(s);
	advance(s, 250, NULL, NULL);
	sim_lock(s);
	assert_non_null(sim_store_get(s, K("", "pods"), "default", victim));
	assert_int_equal(events(s, "Killing", "Stopping container nginx"), 1);
	sim_unlock(s);
	advance(s, 1000, NULL, NULL);
	sim_lock(s);
	assert_null(sim_store_get(s, K("", "pods"), "default", victim));
	list(s, "", "pods", "web-", &pods);
	assert_int_equal(pods.n, 4);
	sim_unlock(s);
	sim_free(s);
}

static void test_gc_orphans(void **state)
{
	(void)state;
	struct sim *s = new_sim();
	create(s, "apps", "replicasets", "default",
	       "{\"metadata\":{\"name\":\"orphan\",\"ownerReferences\":[{\"apiVersion\":"
	       "\"apps/v1\",\"kind\":\"Deployment\",\"name\":\"gone\",\"uid\":"
	       "\"00000000-0000-0000-0000-000000000001\",\"controller\":true}]},"
	       "\"spec\":{\"replicas\":1,\"selector\":{\"matchLabels\":{\"app\":\"o\"}},"
	       "\"template\":{\"metadata\":{\"labels\":{\"app\":\"o\"}},"
	       "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}}}}");
	advance(s, 3000, NULL, NULL);
	sim_lock(s);
	/* (found by the first, full pass) */
	assert_null(sim_store_get(s, K("apps", "replicasets"), "default", "orphan"));
	sim_unlock(s);
	/* One made later is found among the changes. */
	create(s, "", "pods", "default",
	       "{\"metadata\":{\"name\":\"stray\",\"ownerReferences\":[{\"apiVersion\":"
	       "\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":\"gone\",\"uid\":"
	       "\"00000000-0000-0000-0000-000000000002\",\"controller\":true}]},"
	       "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}}");
	create(s, "", "pods", "default",
	       "{\"metadata\":{\"name\":\"mine\"},"
	       "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}}");
	advance(s, 2000, NULL, NULL);
	sim_lock(s);
	assert_null(sim_store_get(s, K("", "pods"), "default", "stray"));
	assert_non_null(sim_store_get(s, K("", "pods"), "default", "mine"));
	sim_unlock(s);
	sim_free(s);
}

static void test_crash_loop_and_logs(void **state)
{
	(void)state;
	struct sim *s = new_sim();
	create(s, "", "pods", "default",
	       "{\"metadata\":{\"name\":\"crash\"},\"spec\":{\"containers\":"
	       "[{\"name\":\"c\",\"image\":\"busybox\",\"command\":"
	       "[\"sh\",\"-c\",\"echo starting; sleep 2; exit 1\"]}]}}");
	create(s, "", "pods", "default",
	       "{\"metadata\":{\"name\":\"web\"},\"spec\":{\"containers\":"
	       "[{\"name\":\"nginx\",\"image\":\"nginx:1.25\"}]}}");
	create(s, "", "pods", "default",
	       "{\"metadata\":{\"name\":\"ticker\"},\"spec\":{\"containers\":"
	       "[{\"name\":\"t\",\"image\":\"busybox\",\"command\":[\"sh\",\"-c\","
	       "\"echo begin; while true; do echo tick; sleep 5; done\"]}]}}");
	create(s, "", "pods", "default",
	       "{\"metadata\":{\"name\":\"steps\"},\"spec\":{\"restartPolicy\":\"Never\","
	       "\"containers\":[{\"name\":\"s\",\"image\":\"busybox\",\"command\":"
	       "[\"sh\",\"-c\",\"echo computing; sleep 3; echo 3.14159\"]}]}}");
	advance(s, 40000, NULL, NULL);
	sim_lock(s);
	json_t *p = sim_store_get(s, K("", "pods"), "default", "crash");
	json_t *cs = json_array_get(json_object_get(json_object_get(p, "status"),
						    "containerStatuses"), 0);
	assert_true(ji(cs, "restartCount") >= 2);
	assert_int_equal(ji(cs, "lastState.terminated.exitCode"), 1);
	assert_string_equal(jp(cs, "lastState.terminated.reason"), "Error");
	assert_true(events(s, "BackOff", "Back-off restarting failed container") >= 1);
	struct sim_status st = { 0 };
	char *prev = sim_pod_logs(s, "default", "crash", NULL, 1, &st);
	assert_non_null(prev);
	assert_string_equal(prev, "starting\n");
	free(prev);

	/* Shell statements in order; a loop repeats its body. */
	char *steps = sim_pod_logs(s, "default", "steps", NULL, 0, &st);
	assert_non_null(steps);
	assert_string_equal(steps, "computing\n3.14159\n");
	free(steps);
	p = sim_store_get(s, K("", "pods"), "default", "steps");
	assert_string_equal(jp(p, "status.phase"), "Succeeded");
	char *ticks = sim_pod_logs(s, "default", "ticker", NULL, 0, &st);
	assert_non_null(ticks);
	assert_true(!strncmp(ticks, "begin\ntick\ntick\n", 16));
	int nt = 0;
	for (const char *q = ticks; (q = strstr(q, "tick")); q++)
		nt++;
	assert_true(nt >= 6 && nt <= 9); /* every 5 s for ~38 s of running */
	free(ticks);
	p = sim_store_get(s, K("", "pods"), "default", "ticker");
	assert_string_equal(jp(p, "status.phase"), "Running");

	/* nginx: the entrypoint banner, then access lines over time. */
	char *log = sim_pod_logs(s, "default", "web", "nginx", 0, &st);
	assert_non_null(log);
	assert_non_null(strstr(log, "Configuration complete; ready for start up"));
	assert_non_null(strstr(log, "\"GET "));
	long long seq = sim_pod_log_seq(s, "default", "web", "nginx");
	assert_true(seq > 17);
	free(log);
	/* No previous instance: the real 400. */
	assert_null(sim_pod_logs(s, "default", "web", NULL, 1, &st));
	assert_int_equal(st.code, 400);
	assert_string_equal(st.message,
			    "previous terminated container \"nginx\" in pod \"web\" not found");
	sim_status_clear(&st);
	assert_null(sim_pod_logs(s, "default", "nope", NULL, 0, &st));
	assert_int_equal(st.code, 404);
	sim_status_clear(&st);
	assert_null(sim_pod_logs(s, "default", "web", "other", 0, &st));
	assert_int_equal(st.code, 400);
	sim_status_clear(&st);
	sim_unlock(s);
	advance(s, 60000, NULL, NULL);
	sim_lock(s);
	assert_true(sim_pod_log_seq(s, "default", "web", "nginx") > seq);
	sim_unlock(s);
	sim_free(s);
}

static void test_seed_settled(void **state)
{
	(void)state;
	struct sim_opts o = { .speed = TEST_SPEED, .seed = 7, .seed_pods = 1000 };
	struct perr e = { { 0 } };
	long long t0 = now_ms();
	struct sim *s = sim_new(&o, &e);
	assert_non_null(s);
	assert_true(now_ms() - t0 < 2000);
	sim_lock(s);
	assert_int_equal(sim_store_count(s, K("", "pods"), NULL), 1000);
	assert_int_equal(sim_store_count(s, K("apps", "deployments"), NULL), 100);
	assert_int_equal(sim_store_count(s, K("", "nodes"), NULL), 3);
	assert_non_null(sim_store_get(s, K("", "namespaces"), NULL, "kube-system"));
	/* Settled: a pass of the controllers finds nothing to change. */
	unsigned long long rv = sim_store_rv(s);
	sim_controllers_step(s);
	sim_controllers_step(s);
	assert_int_equal(sim_store_rv(s), rv);
	/* The kubelet took the seeded pods over as they are: a status it
	 * writes later keeps their container IDs. */
	struct list pods;
	memset(&pods, 0, sizeof pods);
	sim_store_each(s, K("", "pods"), "load-1", collect, &pods);
	char name[128], cid[128];
	snprintf(name, sizeof name, "%s", jp(pods.v[0], "metadata.name"));
	json_t *cs = json_array_get(jget_obj(pods.v[0], "status", "containerStatuses"), 0);
	snprintf(cid, sizeof cid, "%s", jp(cs, "containerID"));
	struct sim_status st = { 0 };
	assert_int_equal(sim_store_delete(s, K("", "pods"), "load-1", name, NULL, NULL,
					  &st), 0);
	sim_controllers_step(s);
	json_t *p = sim_store_get(s, K("", "pods"), "load-1", name);
	assert_non_null(p);
	assert_string_equal(cond_field(p, "Ready", "status"), "False");
	cs = json_array_get(jget_obj(p, "status", "containerStatuses"), 0);
	assert_string_equal(jp(cs, "containerID"), cid);
	sim_unlock(s);
	sim_free(s);
}

static void test_metrics(void **state)
{
	(void)state;
	struct sim *s = new_sim();
	create(s, "apps", "deployments", "default", web_doc);
	advance(s, 8000, NULL, NULL);
	sim_lock(s);
	json_t *pm = sim_metrics_pods(s, "default");
	assert_string_equal(jp(pm, "kind"), "PodMetricsList");
	assert_string_equal(jp(pm, "apiVersion"), "metrics.k8s.io/v1beta1");
	json_t *items = json_object_get(pm, "items");
	assert_int_equal(json_array_size(items), 4);
	json_t *it = json_array_get(items, 0);
	assert_string_equal(jp(it, "window"), "30s");
	assert_string_equal(jp(it, "metadata.namespace"), "default");
	json_t *c = json_array_get(json_object_get(it, "containers"), 0);
	assert_string_equal(jp(c, "name"), "nginx");
	const char *cpu = jp(c, "usage.cpu"), *mem = jp(c, "usage.memory");
	assert_true(strlen(cpu) > 1 && cpu[strlen(cpu) - 1] == 'n');
	assert_true(strlen(mem) > 2 && !strcmp(mem + strlen(mem) - 2, "Ki"));
	/* The same instant reads the same values. */
	json_t *again = sim_metrics_pods(s, "default");
	assert_true(json_equal(json_object_get(pm, "items"), json_object_get(again, "items")));
	json_decref(again);
	json_decref(pm);
	json_t *nm = sim_metrics_nodes(s);
	assert_string_equal(jp(nm, "kind"), "NodeMetricsList");
	assert_int_equal(json_array_size(json_object_get(nm, "items")), 3);
	assert_non_null(jp(json_array_get(json_object_get(nm, "items"), 0), "usage.cpu"));
	json_decref(nm);
	sim_unlock(s);
	sim_free(s);
}

static void patch_deploy(struct sim *s, const char *name, const char *key,
			 json_t *val)
{
	sim_lock(s);
	json_t *d = json_deep_copy(sim_store_get(s, K("apps", "deployments"),
						 "default", name));
	json_object_set_new(json_object_get(d, "spec"), key, val);
	struct sim_status st = { 0 };
	assert_int_equal(sim_store_update(s, K("apps", "deployments"), "default", d,
					  NULL, &st), 0);
	sim_unlock(s);
}

/* Recreate: no pod of the new template runs while an old one exists. */
static void recreate_bound(struct sim *s, void *ud)
{
	(void)ud;
	struct list pods;
	list(s, "", "pods", "rc-", &pods);
	int old = 0, new = 0;
	for (size_t i = 0; i < pods.n; i++) {
		const char *img = jp(json_array_get(jget_obj(pods.v[i], "spec", "containers"), 0),
				     "image");
		if (!strcmp(img, "nginx"))
			old++;
		else
			new++;
	}
	assert_false(old && new);
}

static void test_recreate_paused_history_minready(void **state)
{
	(void)state;
	struct sim *s = new_sim();
	create(s, "apps", "deployments", "default",
	       "{\"metadata\":{\"name\":\"rc\"},\"spec\":{\"replicas\":3,"
	       "\"strategy\":{\"type\":\"Recreate\"},\"revisionHistoryLimit\":1,"
	       "\"minReadySeconds\":10,"
	       "\"selector\":{\"matchLabels\":{\"app\":\"rc\"}},"
	       "\"template\":{\"metadata\":{\"labels\":{\"app\":\"rc\"}},"
	       "\"spec\":{\"containers\":[{\"name\":\"nginx\",\"image\":\"nginx\"}]}}}}");
	advance(s, 6000, NULL, NULL);
	sim_lock(s);
	json_t *d = sim_store_get(s, K("apps", "deployments"), "default", "rc");
	/* Ready, but not yet for minReadySeconds. */
	assert_int_equal(ji(d, "status.readyReplicas"), 3);
	assert_int_equal(ji(d, "status.availableReplicas"), 0);
	assert_string_equal(cond_field(d, "Available", "status"), "False");
	sim_unlock(s);
	advance(s, 10000, NULL, NULL);
	sim_lock(s);
	d = sim_store_get(s, K("apps", "deployments"), "default", "rc");
	assert_int_equal(ji(d, "status.availableReplicas"), 3);
	sim_unlock(s);

	/* Recreate: the old pods go before new ones come. */
	set_image(s, "rc", "nginx:1.25");
	advance(s, 30000, recreate_bound, NULL);
	set_image(s, "rc", "nginx:1.27");
	advance(s, 30000, NULL, NULL);
	sim_lock(s);
	struct list rs;
	list(s, "apps", "replicasets", "rc-", &rs);
	/* revisionHistoryLimit 1: the current ReplicaSet and one old one. */
	assert_int_equal(rs.n, 2);
	d = sim_store_get(s, K("apps", "deployments"), "default", "rc");
	assert_int_equal(ji(d, "status.updatedReplicas"), 3);
	assert_int_equal(ji(d, "status.availableReplicas"), 3);
	sim_unlock(s);

	/* Paused: a template change makes no ReplicaSet until resumed. */
	patch_deploy(s, "rc", "paused", json_true());
	advance(s, 1000, NULL, NULL);
	sim_lock(s);
	d = sim_store_get(s, K("apps", "deployments"), "default", "rc");
	assert_string_equal(cond_field(d, "Progressing", "reason"), "DeploymentPaused");
	assert_string_equal(cond_field(d, "Progressing", "status"), "Unknown");
	sim_unlock(s);
	set_image(s, "rc", "nginx:1.19");
	advance(s, 5000, NULL, NULL);
	sim_lock(s);
	/* No new ReplicaSet; and a paused deployment's history cleanup
	 * counts every ReplicaSet as old (as the real sync does), so only
	 * the running one is left. */
	list(s, "apps", "replicasets", "rc-", &rs);
	assert_int_equal(rs.n, 1);
	assert_int_equal(ji(rs.v[0], "spec.replicas"), 3);
	sim_unlock(s);
	patch_deploy(s, "rc", "paused", json_false());
	advance(s, 1000, NULL, NULL);
	sim_lock(s);
	d = sim_store_get(s, K("apps", "deployments"), "default", "rc");
	list(s, "apps", "replicasets", "rc-", &rs);
	assert_int_equal(rs.n, 2);
	sim_unlock(s);
	advance(s, 40000, NULL, NULL);
	sim_lock(s);
	d = sim_store_get(s, K("apps", "deployments"), "default", "rc");
	assert_string_equal(cond_field(d, "Progressing", "reason"), "NewReplicaSetAvailable");
	list(s, "apps", "replicasets", "rc-", &rs);
	assert_int_equal(rs.n, 2);
	sim_unlock(s);
	sim_free(s);
}

/* Scaling in the middle of a rollout spreads the change over both
 * ReplicaSets in proportion, as the real controller does. */
static void test_proportional_scaling(void **state)
{
	(void)state;
	struct sim *s = new_sim();
	create(s, "apps", "deployments", "default",
	       "{\"metadata\":{\"name\":\"ps\"},\"spec\":{\"replicas\":10,"
	       "\"selector\":{\"matchLabels\":{\"app\":\"ps\"}},"
	       "\"template\":{\"metadata\":{\"labels\":{\"app\":\"ps\"}},"
	       "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}}}}");
	advance(s, 10000, NULL, NULL);
	/* A new image that cannot be pulled: the rollout stalls part way. */
	set_image(s, "ps", "nginx:0.0-missing");
	advance(s, 5000, NULL, NULL);
	sim_lock(s);
	struct list rs;
	list(s, "apps", "replicasets", "ps-", &rs);
	assert_int_equal(rs.n, 2);
	int before = 0;
	for (size_t i = 0; i < rs.n; i++)
		before += ji(rs.v[i], "spec.replicas");
	assert_int_equal(before, 13); /* 10 + maxSurge 3 */
	sim_unlock(s);
	patch_deploy(s, "ps", "replicas", json_integer(20));
	advance(s, 500, NULL, NULL);
	sim_lock(s);
	list(s, "apps", "replicasets", "ps-", &rs);
	int after = 0, both = 1;
	for (size_t i = 0; i < rs.n; i++) {
		after += ji(rs.v[i], "spec.replicas");
		both &= ji(rs.v[i], "spec.replicas") > 0;
	}
	assert_int_equal(after, 25); /* 20 + maxSurge 5 */
	assert_true(both);
	sim_unlock(s);
	sim_free(s);
}

static void test_event_bound_and_aggregation(void **state)
{
	(void)state;
	struct sim *s = new_sim();
	sim_lock(s);
	sim_event_limit(s, 10);
	sim_unlock(s);
	create(s, "apps", "deployments", "default", web_doc);
	advance(s, 8000, NULL, NULL);
	sim_lock(s);
	/* 1 + 4 + 4 * 5 events were recorded; the newest 10 are kept. */
	assert_int_equal(sim_store_count(s, K("", "events"), "default"), 10);
	assert_int_equal(events(s, "ScalingReplicaSet", NULL), 0);
	assert_int_equal(events(s, "Started", NULL), 4);
	sim_unlock(s);
	sim_free(s);

	/* A repeat of the same event counts up on one object. */
	s = new_sim();
	create(s, "apps", "deployments", "default",
	       "{\"metadata\":{\"name\":\"bad\"},\"spec\":{\"replicas\":1,"
	       "\"selector\":{\"matchLabels\":{\"app\":\"bad\"}},"
	       "\"template\":{\"metadata\":{\"labels\":{\"app\":\"bad\"}},"
	       "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nope:1\"}]}}}}");
	advance(s, 60000, NULL, NULL);
	sim_lock(s);
	assert_int_equal(events(s, "BackOff", "Back-off pulling image \"nope:1\""), 1);
	struct list evs;
	memset(&evs, 0, sizeof evs);
	sim_store_each(s, K("", "events"), "default", collect, &evs);
	int counted = 0;
	for (size_t i = 0; i < evs.n; i++)
		if (!strcmp(jp(evs.v[i], "reason"), "BackOff")) {
			assert_true(ji(evs.v[i], "count") >= 2);
			assert_string_equal(jp(evs.v[i], "source.component"), "kubelet");
			assert_string_equal(jp(evs.v[i], "involvedObject.kind"), "Pod");
			assert_string_equal(jp(evs.v[i], "involvedObject.fieldPath"),
					    "spec.containers{c}");
			assert_non_null(jp(evs.v[i], "source.host"));
			counted = 1;
		}
	assert_true(counted);
	sim_unlock(s);
	sim_free(s);
}

static void test_job_backoff_limit(void **state)
{
	(void)state;
	struct sim *s = new_sim();
	create(s, "batch", "jobs", "default",
	       "{\"metadata\":{\"name\":\"fails\"},\"spec\":{\"backoffLimit\":1,"
	       "\"template\":{\"spec\":{\"restartPolicy\":\"Never\",\"containers\":"
	       "[{\"name\":\"c\",\"image\":\"busybox\",\"command\":"
	       "[\"sh\",\"-c\",\"echo no; exit 3\"]}]}}}}");
	advance(s, 20000, NULL, NULL);
	sim_lock(s);
	json_t *job = sim_store_get(s, K("batch", "jobs"), "default", "fails");
	assert_int_equal(ji(job, "status.failed"), 2);
	assert_string_equal(cond_field(job, "Failed", "reason"), "BackoffLimitExceeded");
	assert_string_equal(cond_field(job, "Failed", "message"),
			    "Job has reached the specified backoff limit");
	assert_null(cond_field(job, "Complete", "status"));
	assert_null(jp(job, "status.completionTime"));
	sim_unlock(s);
	sim_free(s);

	/* OnFailure: the restarts in place count against the limit. */
	s = new_sim();
	create(s, "batch", "jobs", "default",
	       "{\"metadata\":{\"name\":\"restarts\"},\"spec\":{\"backoffLimit\":2,"
	       "\"template\":{\"spec\":{\"restartPolicy\":\"OnFailure\",\"containers\":"
	       "[{\"name\":\"c\",\"image\":\"busybox\",\"command\":"
	       "[\"sh\",\"-c\",\"exit 1\"]}]}}}}");
	advance(s, 60000, NULL, NULL);
	sim_lock(s);
	job = sim_store_get(s, K("batch", "jobs"), "default", "restarts");
	assert_string_equal(cond_field(job, "Failed", "reason"), "BackoffLimitExceeded");
	sim_unlock(s);
	sim_free(s);
}

static void test_demo_and_churn(void **state)
{
	(void)state;
	struct sim_opts o = { .speed = TEST_SPEED, .seed = 3, .demo = 1 };
	struct perr e = { { 0 } };
	struct sim *s = sim_new(&o, &e);
	assert_non_null(s);
	advance(s, 20000, NULL, NULL);
	sim_lock(s);
	json_t *web = sim_store_get(s, K("apps", "deployments"), "default", "web");
	assert_int_equal(ji(web, "status.availableReplicas"), 3);
	json_t *broken = sim_store_get(s, K("apps", "deployments"), "default", "broken");
	assert_string_equal(cond_field(broken, "Available", "status"), "False");
	assert_non_null(sim_store_get(s, K("apps", "deployments"), "models",
				      "fashion-mnist"));
	json_t *ep = sim_store_get(s, K("", "endpoints"), "default", "web");
	assert_int_equal(json_array_size(json_object_get(json_array_get(
				 json_object_get(ep, "subsets"), 0), "addresses")), 3);
	int gen0 = 0;
	static const char *const names[] = { "web", "cache", "api" };
	for (int i = 0; i < 3; i++)
		gen0 += ji(sim_store_get(s, K("apps", "deployments"), "default", names[i]),
			   "metadata.generation");
	sim_unlock(s);
	/* Churn: now and then a demo deployment is scaled or restarted. */
	advance(s, 240000, NULL, NULL);
	sim_lock(s);
	int gen1 = 0;
	for (int i = 0; i < 3; i++)
		gen1 += ji(sim_store_get(s, K("apps", "deployments"), "default", names[i]),
			   "metadata.generation");
	assert_true(gen1 > gen0);
	sim_unlock(s);
	sim_free(s);
}

/* Deleting a namespace deletes what is in it: Terminating, then gone
 * once the kubelet has stopped its pods. */
static void test_namespace_deletion(void **state)
{
	(void)state;
	struct sim *s = new_sim();
	create(s, "", "namespaces", NULL, "{\"metadata\":{\"name\":\"team\"}}");
	create(s, "apps", "deployments", "team", web_doc);
	advance(s, 8000, NULL, NULL);
	sim_lock(s);
	assert_int_equal(sim_store_count(s, K("", "pods"), "team"), 4);
	struct sim_status st = { 0 };
	assert_int_equal(sim_store_delete(s, K("", "namespaces"), NULL, "team", NULL,
					  NULL, &st), 0);
	json_t *ns = sim_store_get(s, K("", "namespaces"), NULL, "team");
	assert_non_null(ns);
	assert_string_equal(jp(ns, "status.phase"), "Terminating");
	sim_unlock(s);
	advance(s, 3000, NULL, NULL);
	sim_lock(s);
	assert_int_equal(sim_store_count(s, K("", "pods"), "team"), 0);
	assert_int_equal(sim_store_count(s, K("apps", "replicasets"), "team"), 0);
	assert_null(sim_store_get(s, K("", "namespaces"), NULL, "team"));
	sim_unlock(s);
	sim_free(s);
}

/* The scheduler: node selectors and resource requests as the real one
 * words a pod that fits nowhere; retried when a node comes to fit. */
static void test_unschedulable(void **state)
{
	(void)state;
	struct sim *s = new_sim();
	create(s, "", "pods", "default",
	       "{\"metadata\":{\"name\":\"picky\"},\"spec\":{\"nodeSelector\":"
	       "{\"disk\":\"ssd\"},\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}}");
	create(s, "", "pods", "default",
	       "{\"metadata\":{\"name\":\"greedy\"},\"spec\":{\"containers\":"
	       "[{\"name\":\"c\",\"image\":\"nginx\",\"resources\":{\"requests\":"
	       "{\"cpu\":\"6\",\"memory\":\"1Gi\"}}}]}}");
	create(s, "", "pods", "default",
	       "{\"metadata\":{\"name\":\"modest\"},\"spec\":{\"containers\":"
	       "[{\"name\":\"c\",\"image\":\"nginx\",\"resources\":{\"limits\":"
	       "{\"cpu\":\"500m\",\"memory\":\"256Mi\"}}}]}}");
	advance(s, 3000, NULL, NULL);
	sim_lock(s);
	json_t *p = sim_store_get(s, K("", "pods"), "default", "picky");
	assert_null(jp(p, "spec.nodeName"));
	assert_string_equal(cond_field(p, "PodScheduled", "status"), "False");
	assert_string_equal(cond_field(p, "PodScheduled", "reason"), "Unschedulable");
	assert_string_equal(cond_field(p, "PodScheduled", "message"),
			    "0/3 nodes are available: 3 node(s) didn't match node selector.");
	p = sim_store_get(s, K("", "pods"), "default", "greedy");
	assert_string_equal(cond_field(p, "PodScheduled", "message"),
			    "0/3 nodes are available: 3 Insufficient cpu.");
	assert_true(events(s, "FailedScheduling", "0/3 nodes are available") >= 2);
	p = sim_store_get(s, K("", "pods"), "default", "modest");
	assert_non_null(jp(p, "spec.nodeName"));
	assert_string_equal(jp(p, "status.qosClass"), "Guaranteed");
	/* A node gains the label: the pod lands there at the next try. */
	json_t *n = json_deep_copy(sim_store_get(s, K("", "nodes"), NULL, "sim-node-2"));
	json_object_set_new(json_object_get(json_object_get(n, "metadata"), "labels"),
			    "disk", json_string("ssd"));
	struct sim_status st = { 0 };
	assert_int_equal(sim_store_update(s, K("", "nodes"), NULL, n, NULL, &st), 0);
	sim_unlock(s);
	advance(s, 8000, NULL, NULL);
	sim_lock(s);
	p = sim_store_get(s, K("", "pods"), "default", "picky");
	assert_string_equal(jp(p, "spec.nodeName"), "sim-node-2");
	assert_string_equal(jp(p, "status.phase"), "Running");
	sim_unlock(s);
	sim_free(s);
}

/* Init containers run one by one to success before the containers. */
static void test_init_containers(void **state)
{
	(void)state;
	struct sim *s = new_sim();
	create(s, "", "pods", "default",
	       "{\"metadata\":{\"name\":\"staged\"},\"spec\":{"
	       "\"initContainers\":[{\"name\":\"fetch\",\"image\":\"busybox\",\"command\":"
	       "[\"sh\",\"-c\",\"echo fetching; sleep 4\"]},{\"name\":\"unpack\","
	       "\"image\":\"busybox\",\"command\":[\"sh\",\"-c\",\"echo unpacked\"]}],"
	       "\"containers\":[{\"name\":\"app\",\"image\":\"nginx\"}]}}");
	create(s, "", "pods", "default",
	       "{\"metadata\":{\"name\":\"badinit\"},\"spec\":{\"restartPolicy\":\"Never\","
	       "\"initContainers\":[{\"name\":\"check\",\"image\":\"busybox\",\"command\":"
	       "[\"sh\",\"-c\",\"exit 2\"]}],"
	       "\"containers\":[{\"name\":\"app\",\"image\":\"nginx\"}]}}");
	advance(s, 3500, NULL, NULL);
	sim_lock(s);
	json_t *p = sim_store_get(s, K("", "pods"), "default", "staged");
	assert_string_equal(jp(p, "status.phase"), "Pending");
	assert_string_equal(cond_field(p, "Initialized", "status"), "False");
	assert_string_equal(cond_field(p, "Initialized", "reason"), "ContainersNotInitialized");
	assert_string_equal(cond_field(p, "Initialized", "message"),
			    "containers with incomplete status: [fetch unpack]");
	json_t *is = jget_obj(p, "status", "initContainerStatuses");
	assert_int_equal(json_array_size(is), 2);
	assert_non_null(jp(json_array_get(is, 0), "state.running.startedAt"));
	assert_string_equal(jp(json_array_get(is, 1), "state.waiting.reason"), "PodInitializing");
	json_t *cs = json_array_get(jget_obj(p, "status", "containerStatuses"), 0);
	assert_string_equal(jp(cs, "state.waiting.reason"), "PodInitializing");
	sim_unlock(s);
	advance(s, 10000, NULL, NULL);
	sim_lock(s);
	p = sim_store_get(s, K("", "pods"), "default", "staged");
	assert_string_equal(jp(p, "status.phase"), "Running");
	assert_string_equal(cond_field(p, "Initialized", "status"), "True");
	is = jget_obj(p, "status", "initContainerStatuses");
	assert_string_equal(jp(json_array_get(is, 0), "state.terminated.reason"), "Completed");
	assert_string_equal(jp(json_array_get(is, 1), "state.terminated.reason"), "Completed");
	struct sim_status st = { 0 };
	char *log = sim_pod_logs(s, "default", "staged", "unpack", 0, &st);
	assert_non_null(log);
	assert_string_equal(log, "unpacked\n");
	free(log);
	/* An init container that fails under Never fails the pod. */
	p = sim_store_get(s, K("", "pods"), "default", "badinit");
	assert_string_equal(jp(p, "status.phase"), "Failed");
	is = jget_obj(p, "status", "initContainerStatuses");
	assert_int_equal(ji(json_array_get(is, 0), "state.terminated.exitCode"), 2);
	cs = json_array_get(jget_obj(p, "status", "containerStatuses"), 0);
	assert_string_equal(jp(cs, "state.waiting.reason"), "PodInitializing");
	sim_unlock(s);
	sim_free(s);
}

static void test_node_heartbeat(void **state)
{
	(void)state;
	struct sim *s = new_sim();
	sim_lock(s);
	json_t *n = sim_store_get(s, K("", "nodes"), NULL, "sim-node-1");
	json_t *c = json_array_get(jget_obj(n, "status", "conditions"), 3);
	char hb[40], tr[40];
	snprintf(hb, sizeof hb, "%s", jp(c, "lastHeartbeatTime"));
	snprintf(tr, sizeof tr, "%s", jp(c, "lastTransitionTime"));
	sim_unlock(s);
	advance(s, 61000, NULL, NULL);
	sim_lock(s);
	n = sim_store_get(s, K("", "nodes"), NULL, "sim-node-1");
	c = json_array_get(jget_obj(n, "status", "conditions"), 3);
	assert_string_equal(jp(c, "type"), "Ready");
	assert_string_not_equal(jp(c, "lastHeartbeatTime"), hb);
	assert_string_equal(jp(c, "lastTransitionTime"), tr);
	sim_unlock(s);
	sim_free(s);
}

static json_t *fixture(const char *name)
{
	char path[256];
	snprintf(path, sizeof path, "tests/data/sim/%s", name);
	json_error_t err;
	json_t *j = json_load_file(path, 0, &err);
	if (!j)
		fprintf(stderr, "%s: %s\n", path, err.text);
	assert_non_null(j);
	return j;
}

/* The same keys (names, not values) in want and got. */
static void same_keys(const char *what, const json_t *want, const json_t *got)
{
	const char *k;
	json_t *v;
	int bad = 0;
	json_object_foreach((json_t *)want, k, v)
		if (!json_object_get(got, k)) {
			fprintf(stderr, "%s: missing %s\n", what, k);
			bad = 1;
		}
	json_object_foreach((json_t *)got, k, v)
		if (!json_object_get(want, k)) {
			fprintf(stderr, "%s: extra %s\n", what, k);
			bad = 1;
		}
	assert_false(bad);
}

static json_t *item(json_t *list, size_t i)
{
	return json_array_get(json_object_get(list, "items"), i);
}

/* Field by field against the real server's answers (names and shapes, not
 * values such as uids and times). */
static void test_shapes_match_fixtures(void **state)
{
	(void)state;
	struct sim *s = new_sim();
	create(s, "apps", "deployments", "default",
	       "{\"metadata\":{\"name\":\"demo\",\"labels\":{\"app\":\"demo\"}},"
	       "\"spec\":{\"replicas\":3,\"selector\":{\"matchLabels\":{\"app\":\"demo\"}},"
	       "\"template\":{\"metadata\":{\"labels\":{\"app\":\"demo\"}},"
	       "\"spec\":{\"containers\":[{\"name\":\"nginx\",\"image\":\"nginx\"}]}}}}");
	advance(s, 10000, NULL, NULL);
	sim_lock(s);
	json_t *fd = fixture("deployment.json");
	json_t *d = sim_store_get(s, K("apps", "deployments"), "default", "demo");
	same_keys("deployment.status", json_object_get(fd, "status"),
		  json_object_get(d, "status"));
	same_keys("deployment annotations",
		  json_object_get(json_object_get(fd, "metadata"), "annotations"),
		  json_object_get(json_object_get(d, "metadata"), "annotations"));
	for (size_t i = 0; i < 2; i++) {
		json_t *fc = json_array_get(json_object_get(json_object_get(fd, "status"),
							    "conditions"), i);
		json_t *c = json_array_get(json_object_get(json_object_get(d, "status"),
							   "conditions"), i);
		same_keys("deployment condition", fc, c);
	}
	/* A fresh deployment ends as the real controller leaves it: Available
	 * (re-set when it turned True), then Progressing (re-set when the
	 * rollout completed) - the order `kubectl describe` shows. */
	assert_string_equal(jp(json_array_get(json_object_get(json_object_get(d, "status"),
							   "conditions"), 0), "type"),
			    "Available");
	assert_true(!strncmp(cond_field(d, "Progressing", "message"),
			     "ReplicaSet \"demo-", 17));

	json_t *frsl = fixture("replicasets-demo.json");
	json_t *frs = item(frsl, 1);
	struct list rs;
	list(s, "apps", "replicasets", "demo-", &rs);
	assert_int_equal(rs.n, 1);
	same_keys("rs.metadata.labels", jget_obj(frs, "metadata", "labels"),
		  jget_obj(rs.v[0], "metadata", "labels"));
	/* (item 1 was reused by an undo and carries revision-history) */
	same_keys("rs.metadata.annotations",
		  jget_obj(item(frsl, 0), "metadata", "annotations"),
		  jget_obj(rs.v[0], "metadata", "annotations"));
	same_keys("rs.ownerReference",
		  json_array_get(jget_obj(frs, "metadata", "ownerReferences"), 0),
		  json_array_get(jget_obj(rs.v[0], "metadata", "ownerReferences"), 0));
	same_keys("rs.spec.selector.matchLabels",
		  json_object_get(jget_obj(frs, "spec", "selector"), "matchLabels"),
		  json_object_get(jget_obj(rs.v[0], "spec", "selector"), "matchLabels"));
	same_keys("rs.status", json_object_get(frs, "status"),
		  json_object_get(rs.v[0], "status"));

	json_t *fpl = fixture("pods-list.json");
	json_t *fp = item(fpl, 0);
	struct list pods;
	list(s, "", "pods", "demo-", &pods);
	assert_int_equal(pods.n, 3);
	json_t *p = pods.v[0];
	same_keys("pod.status", json_object_get(fp, "status"), json_object_get(p, "status"));
	same_keys("pod ownerReference",
		  json_array_get(jget_obj(fp, "metadata", "ownerReferences"), 0),
		  json_array_get(jget_obj(p, "metadata", "ownerReferences"), 0));
	static const char *const order[] = { "Initialized", "Ready", "ContainersReady",
					     "PodScheduled" };
	for (size_t i = 0; i < 4; i++) {
		json_t *fc = json_array_get(jget_obj(fp, "status", "conditions"), i);
		json_t *c = json_array_get(jget_obj(p, "status", "conditions"), i);
		assert_string_equal(jp(c, "type"), order[i]);
		same_keys("pod condition", fc, c);
	}
	json_t *fcs = json_array_get(jget_obj(fp, "status", "containerStatuses"), 0);
	json_t *cs = json_array_get(jget_obj(p, "status", "containerStatuses"), 0);
	same_keys("containerStatus", fcs, cs);
	same_keys("containerStatus.state", json_object_get(fcs, "state"),
		  json_object_get(cs, "state"));

	json_t *fnl = fixture("nodes-list.json");
	json_t *fn = item(fnl, 0);
	json_t *n = sim_store_get(s, K("", "nodes"), NULL, "sim-node-1");
	same_keys("node.status", json_object_get(fn, "status"), json_object_get(n, "status"));
	same_keys("node.status.nodeInfo", jget_obj(fn, "status", "nodeInfo"),
		  jget_obj(n, "status", "nodeInfo"));
	same_keys("node.metadata.labels", jget_obj(fn, "metadata", "labels"),
		  jget_obj(n, "metadata", "labels"));
	for (size_t i = 0; i < 4; i++)
		same_keys("node condition",
			  json_array_get(jget_obj(fn, "status", "conditions"), i),
			  json_array_get(jget_obj(n, "status", "conditions"), i));
	json_decref(fd);
	json_decref(frsl);
	json_decref(fpl);
	json_decref(fnl);
	sim_unlock(s);
	sim_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deployment_rollout),
		cmocka_unit_test(test_image_pull_failure_and_deadline),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_job_completes),
		cmocka_unit_test(test_endpoints_and_graceful_delete),
		cmocka_unit_test(test_gc_orphans),
		cmocka_unit_test(test_crash_loop_and_logs),
		cmocka_unit_test(test_seed_settled),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_shapes_match_fixtures),
		cmocka_unit_test(test_recreate_paused_history_minready),
		cmocka_unit_test(test_proportional_scaling),
		cmocka_unit_test(test_event_bound_and_aggregation),
		cmocka_unit_test(test_job_backoff_limit),
		cmocka_unit_test(test_demo_and_churn),
		cmocka_unit_test(test_namespace_deletion),
		cmocka_unit_test(test_unschedulable),
		cmocka_unit_test(test_node_heartbeat),
		cmocka_unit_test(test_init_containers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
