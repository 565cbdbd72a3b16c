/*
 * modelpod.c - pods of model images serve their model for real, through
 * the API server's proxy: /api/v1/namespaces/NS/services/NAME[:PORT]/proxy/
 * PATH goes to a ready address of the Service's Endpoints (round robin),
 * /api/v1/namespaces/NS/pods/NAME[:PORT]/proxy/PATH to the pod itself.
 * A pod whose image holds a model (the simulated registry) answers with
 * `podium serve` itself: one model server per distinct model file and
 * served name, loaded the first time a request needs it, and one server
 * per pod over it (its own loopback port and /metrics, as a real pod's
 * counters are its own), kept until the cluster goes, so its requests,
 * error messages and /metrics are exactly the model server's. Anything else
 * behind a proxy refuses the connection, in the real API server's words.
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kube/kube.h"
#include "kube/sim/server.h"
#include "kube/sim/world.h"
#include "model/model.h"

/* A delay that never ends: a readiness probe that cannot succeed. */
#define SIM_NEVER_MS (1LL << 50)

/* Largest answer taken from a model server (a batch of 4096 is ~1 MB). */
#define PROXY_MAX_ANSWER (16u << 20)

/* A model loaded once for every pod serving it under one name. */
struct served_model {
	char sha[65];
	char *name;
	struct serve_model *m;
};

/* One pod's model server: its own port and /metrics, as a real pod has,
 * over the shared model's networks. */
struct served_pod {
	char *uid;
	struct serve_model *m; /* borrowed from sim_served's models */
	struct serve *srv;
	int port;
};

struct sim_served {
	pthread_mutex_t mu;
	struct served_model *models;
	size_t nmodels;
	struct served_pod *pods;
	size_t npods;
	/* Round robin over a Service's addresses; atomic, so picking one
	 * under the sim lock never waits for a model being loaded. */
	atomic_ullong rr;
};

struct sim_served *sim_served_new(void)
{
	struct sim_served *s = xcalloc(1, sizeof *s);
	pthread_mutex_init(&s->mu, NULL);
	return s;
}

void sim_served_free(struct sim_served *s)
{
	if (!s)
		return;
	/* the servers first: they borrow the models */
	for (size_t i = 0; i < s->npods; i++) {
		serve_stop(s->pods[i].srv, 0);
		free(s->pods[i].uid);
	}
	for (size_t i = 0; i < s->nmodels; i++) {
		serve_model_free(s->models[i].m);
		free(s->models[i].name);
	}
	free(s->pods);
	free(s->models);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

int sim_model_from_bytes(const void *bytes, size_t len, struct model **out,
			 struct perr *e)
{
	*out = NULL;
	const char *dir = getenv("TMPDIR");
	char *path = xasprintf("%s/podium-sim-model-XXXXXX",
			       dir && *dir ? dir : "/tmp");
	int fd = mkstemp(path);
	int rc = -1;
	if (fd < 0) {
		perr_set(e, "cannot make a temporary file in %s",
			 dir && *dir ? dir : "/tmp");
		goto out;
	}
	size_t done = 0;
	while (done < len) {
		ssize_t w = write(fd, (const char *)bytes + done, len - done);
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	close(fd);
	if (done != len)
		perr_set(e, "cannot write the model to %s", path);
	else
		rc = model_load(path, NULL, out, e);
	unlink(path);
out:
	free(path);
	return rc;
}

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* The value after flag in a container's command and args, or NULL. */
static const char *arg_after(const json_t *ctr, const char *flag)
{
	const char *keys[] = {"command", "args"};
	const char *prev = NULL;
	for (int k = 0; k < 2; k++) {
		size_t i;
		json_t *v;
		json_array_foreach(json_object_get(ctr, keys[k]), i, v)
		{
			const char *s = json_string_value(v);
			if (!s)
				continue;
			size_t fl = strlen(flag);
			if (!strncmp(s, flag, fl) && s[fl] == '=')
				return s + fl + 1;
			if (prev && !strcmp(prev, flag))
				return s;
			prev = s;
		}
	}
	return NULL;
}

/* What one model container listens as: its port and served name. */
struct listener {
	int port;
	char name[128];
};

static void container_listener(const json_t *ctr, struct listener *l)
{
	const char *p = arg_after(ctr, "--port");
	l->port = p ? atoi(p) : 8080;
	const char *n = arg_after(ctr, "--name");
	if (n) {
		snprintf(l->name, sizeof l->name, "%s", n);
		return;
	}
	/* podium serve's default: the model file's base name without .ext */
	const char *path = KUBE_MODEL_PATH;
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	snprintf(l->name, sizeof l->name, "%.*s", (int)strcspn(base, "."),
		 base);
}

/* Would the model server at l answer 200 to a GET of path? The paths
 * serve.c answers without a body. */
static int answers_ok(const struct listener *l, const char *path)
{
	static const char *const fixed[] = {
		"/v2/health/ready", "/v2/health/live", "/v2", "/v2/",
		"/metrics",	    "/v1/models",      NULL};
	for (int i = 0; fixed[i]; i++)
		if (!strcmp(path, fixed[i]))
			return 1;
	char buf[300];
	const char *const per_model[] = {"/v2/models/%s", "/v2/models/%s/ready",
					 "/v1/models/%s", NULL};
	for (int i = 0; per_model[i]; i++) {
		snprintf(buf, sizeof buf, per_model[i], l->name);
		if (!strcmp(path, buf))
			return 1;
	}
	return 0;
}

/* Does an httpGet probe of container ctr reach its model server with a
 * path it answers? A probe that is absent or of another kind passes. */
int sim_modelpod_probe_ok(const json_t *ctr, const json_t *probe)
{
	json_t *get = json_object_get(probe, "httpGet");
	if (!get)
		return 1;
	struct listener l;
	container_listener(ctr, &l);
	json_t *port = json_object_get(get, "port");
	int pn = -1;
	if (json_is_integer(port)) {
		pn = (int)json_integer_value(port);
	} else if (json_is_string(port)) {
		size_t i;
		json_t *p;
		json_array_foreach(json_object_get(ctr, "ports"), i,
				   p) if (jstr(p, "name") &&
					  !strcmp(jstr(p, "name"),
						  json_string_value(port))) pn =
			(int)json_integer_value(
				json_object_get(p, "containerPort"));
	}
	const char *path = jstr(get, "path");
	return pn == l.port && answers_ok(&l, path && *path ? path : "/");
}

/* The hook pod_admit calls (lock held): a container of a model image runs
 * the model server, and is ready only when its readiness probe reaches
 * it (a probe on another port or path fails for ever). */
void sim_modelpod_admit(struct sim *s, const json_t *pod, struct pod_state *ps)
{
	json_t *ctrs =
		json_object_get(json_object_get(pod, "spec"), "containers");
	for (int i = ps->ninit; i < ps->nctr; i++) {
		struct ctr *c = &ps->c[i];
		size_t len = 0;
		if (!sim_registry_model(s, c->image, &len) || !len)
			continue;
		c->prog = PROG_SERVER;
		c->log_style = LOG_RUNTIME;
		json_t *cj = json_array_get(ctrs, (size_t)(i - ps->ninit));
		if (!sim_modelpod_probe_ok(
			    cj, json_object_get(cj, "readinessProbe")))
			c->ready_delay_ms = SIM_NEVER_MS;
	}
}

/* The model for (bytes, name), loaded on first use (sv->mu held); NULL
 * with e set. */
void sim_served_forget(struct sim_served *s, const char *uid)
{
	if (!s || !uid)
		return;
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->npods;) {
		if (strcmp(s->pods[i].uid, uid)) {
			i++;
			continue;
		}
		serve_stop(s->pods[i].srv, 0);
		free(s->pods[i].uid);
		s->pods[i] = s->pods[--s->npods];
	}
	pthread_mutex_unlock(&s->mu);
}

static struct serve_model *served_model(struct sim_served *sv,
					const void *bytes, size_t len,
					const char *name, struct perr *e)
{
	char sha[65];
	sha256_hex(bytes, len, sha);
	for (size_t i = 0; i < sv->nmodels; i++)
		if (!strcmp(sv->models[i].sha, sha) &&
		    !strcmp(sv->models[i].name, name))
			return sv->models[i].m;
	struct model *m = NULL;
	if (sim_model_from_bytes(bytes, len, &m, e) < 0)
		return NULL;
	struct serve_opts o = {
		.name = name,
		.threads = 2,
		.max_batch = 1024,
	};
	struct serve_model *sm = NULL;
	if (serve_model_new(m->net, m->scaling, m->sha256, &o, &sm, e) == 0) {
		sv->models = xrealloc(sv->models,
				      (sv->nmodels + 1) * sizeof *sv->models);
		struct served_model *d = &sv->models[sv->nmodels++];
		memcpy(d->sha, sha, sizeof d->sha);
		d->name = xstrdup(name);
		d->m = sm;
	}
	model_free(m);
	return sm;
}

/* The running model server of the pod with uid, serving (model bytes,
 * name): started on first use, stopped when the pod goes. Pods of one
 * model share its networks but each counts its own requests. Its port,
 * or -1 with e set. */
static int served_port(struct sim_served *sv, const char *uid,
		       const void *bytes, size_t len, const char *name,
		       struct perr *e)
{
	pthread_mutex_lock(&sv->mu);
	int port = -1;
	struct serve_model *m = served_model(sv, bytes, len, name, e);
	if (!m)
		goto out;
	for (size_t i = 0; i < sv->npods; i++)
		if (sv->pods[i].m == m && !strcmp(sv->pods[i].uid, uid)) {
			port = sv->pods[i].port;
			goto out;
		}
	struct serve_opts o = {
		.listen = "127.0.0.1",
		.port = 0,
		.threads = 2,
	};
	struct serve *srv = NULL;
	if (serve_start_model(m, &o, &srv, e) == 0) {
		sv->pods = xrealloc(sv->pods, (sv->npods + 1) * sizeof *sv->pods);
		struct served_pod *d = &sv->pods[sv->npods++];
		d->uid = xstrdup(uid);
		d->m = m;
		d->srv = srv;
		d->port = port = serve_port(srv);
	}
out:
	pthread_mutex_unlock(&sv->mu);
	return port;
}

/* "NAME", "NAME:PORT" or "SCHEME:NAME:PORT" as the proxy takes them. */
static void split_name(const char *id, char *name, size_t nn, char *port,
		       size_t np)
{
	const char *a = strchr(id, ':');
	const char *b = a ? strchr(a + 1, ':') : NULL;
	if (b) { /* scheme:name:port */
		snprintf(name, nn, "%.*s", (int)(b - a - 1), a + 1);
		snprintf(port, np, "%s", b + 1);
	} else if (a) {
		snprintf(name, nn, "%.*s", (int)(a - id), id);
		snprintf(port, np, "%s", a + 1);
	} else {
		snprintf(name, nn, "%s", id);
		*port = '\0';
	}
}

/* Where a proxied request goes: the pod, its address and port, and what
 * the pod runs there (model bytes copied, or none). */
struct target {
	char ip[64];
	char uid[64]; /* the pod's */
	int port;
	void *model; /* owned */
	size_t len;
	struct listener l;
	int running;
};

/* Fill t for pod (lock held): the container listening on port. */
static void target_pod(struct sim *s, const json_t *pod, int port,
		       struct target *t)
{
	json_t *spec = json_object_get(pod, "spec");
	json_t *status = json_object_get(pod, "status");
	const char *uid = jstr(json_object_get(pod, "metadata"), "uid");
	snprintf(t->ip, sizeof t->ip, "%s",
		 jstr(status, "podIP") ? jstr(status, "podIP") : "");
	snprintf(t->uid, sizeof t->uid, "%s", uid ? uid : "");
	t->port = port;
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(spec, "containers"), i, c)
	{
		size_t len = 0;
		const void *m = sim_registry_model(s, jstr(c, "image"), &len);
		if (!m || !len)
			continue;
		struct listener l;
		container_listener(c, &l);
		if (l.port != port)
			continue;
		/* Only a running container accepts connections. */
		json_t *cs = json_array_get(
			json_object_get(status, "containerStatuses"), i);
		t->running = json_object_get(json_object_get(cs, "state"),
					     "running") != NULL;
		if (!t->running)
			return;
		t->l = l;
		t->model = xmalloc(len);
		memcpy(t->model, m, len);
		t->len = len;
		return;
	}
}

/* A container port of pod by name or number; -1 when none. */
static int pod_port(const json_t *pod, const char *port)
{
	char *end;
	long n = strtol(port, &end, 10);
	if (*port && !*end)
		return n > 0 && n < 65536 ? (int)n : -1;
	size_t i, j;
	json_t *c, *p;
	json_array_foreach(
		json_object_get(json_object_get(pod, "spec"), "containers"), i,
		c)
		json_array_foreach(
			json_object_get(c, "ports"), j,
			p) if (!strcmp(jstr(p, "name") ? jstr(p, "name") : "",
				       port)) return (int)
			json_integer_value(json_object_get(p, "containerPort"));
	return -1;
}

static void unavailable(struct sim_status *st, const char *fmt, const char *arg)
{
	sim_status_set(st, 503, "ServiceUnavailable", fmt, arg);
}

/* Resolve a Service proxy to one ready endpoint (lock held). */
static int resolve_service(struct sim *s, struct sim_served *sv, const char *ns,
			   const char *id, struct target *t,
			   struct sim_status *st)
{
	char name[254], port[64];
	split_name(id, name, sizeof name, port, sizeof port);
	const struct sim_kind *svck = sim_kind_find("", "services");
	json_t *svc = sim_store_get(s, svck, ns, name);
	if (!svc) {
		sim_status_not_found(st, svck, name);
		return -1;
	}
	/* A port number names the Service port; the Endpoints go by name. */
	char *end;
	long num = strtol(port, &end, 10);
	if (*port && !*end) {
		size_t i;
		json_t *p;
		int found = 0;
		json_array_foreach(
			json_object_get(json_object_get(svc, "spec"), "ports"),
			i,
			p) if (json_integer_value(json_object_get(p, "port")) ==
			       num)
		{
			snprintf(port, sizeof port, "%s",
				 jstr(p, "name") ? jstr(p, "name") : "");
			found = 1;
			break;
		}
		if (!found) {
			sim_status_set(
				st, 503, "ServiceUnavailable",
				"no service port %ld found for service \"%s\"",
				num, name);
			return -1;
		}
	}
	json_t *eps =
		sim_store_get(s, sim_kind_find("", "endpoints"), ns, name);
	/* Every ready address with the named port, in order. */
	json_t *cand = json_array();
	size_t i, j, k;
	json_t *sub, *p, *a;
	json_array_foreach(json_object_get(eps, "subsets"), i, sub)
		json_array_foreach(json_object_get(sub, "ports"), j, p)
	{
		if (strcmp(jstr(p, "name") ? jstr(p, "name") : "", port))
			continue;
		json_array_foreach(json_object_get(sub, "addresses"), k, a)
			json_array_append_new(
				cand,
				json_pack("{s:O, s:I}", "a", a, "port",
					  json_integer_value(
						  json_object_get(p, "port"))));
	}
	size_t n = json_array_size(cand);
	if (!n) {
		json_decref(cand);
		unavailable(st, "no endpoints available for service \"%s\"",
			    id);
		return -1;
	}
	size_t pick = (size_t)(atomic_fetch_add(&sv->rr, 1) % n);
	json_t *c = json_array_get(cand, pick);
	json_t *addr = json_object_get(c, "a");
	int pport = (int)json_integer_value(json_object_get(c, "port"));
	const char *pod_name = jstr(json_object_get(addr, "targetRef"), "name");
	json_t *pod = pod_name ? sim_store_get(s, sim_kind_find("", "pods"), ns,
					       pod_name)
			       : NULL;
	if (pod)
		target_pod(s, pod, pport, t);
	snprintf(t->ip, sizeof t->ip, "%s",
		 jstr(addr, "ip") ? jstr(addr, "ip") : "");
	t->port = pport;
	json_decref(cand);
	return 0;
}

static int resolve_pod(struct sim *s, const char *ns, const char *id,
		       struct target *t, struct sim_status *st)
{
	char name[254], port[64];
	split_name(id, name, sizeof name, port, sizeof port);
	const struct sim_kind *pk = sim_kind_find("", "pods");
	json_t *pod = sim_store_get(s, pk, ns, name);
	if (!pod) {
		sim_status_not_found(st, pk, name);
		return -1;
	}
	/* Without a port the proxy dials the pod's address as it is: :80. */
	int pn = *port ? pod_port(pod, port) : 80;
	if (pn < 0) {
		sim_status_bad_request(st, "invalid port \"%s\"", port);
		return -1;
	}
	if (!jstr(json_object_get(pod, "status"), "podIP")) {
		sim_status_bad_request(st, "address not allowed");
		return -1;
	}
	target_pod(s, pod, pn, t);
	return 0;
}

static size_t collect(char *p, size_t sz, size_t n, void *ud)
{
	return dbuf_append(ud, p, sz * n) < 0 ? 0 : sz * n;
}

/* Content types the model server answers with, kept static for the
 * response. */
static const char *const answer_types[] = {
	"application/json",
	"text/plain; version=0.0.4; charset=utf-8",
	NULL,
};

/* Send the request on to the model server at port; fill r. */
static void forward(struct sim_request *rq, int port, struct sim_resp *r,
		    struct sim_status *st)
{
	CURL *cu = curl_easy_init();
	struct dbuf b;
	dbuf_init(&b, PROXY_MAX_ANSWER);
	const char *rest = *rq->route.rest ? rq->route.rest : "/";
	char *url = xasprintf("http://127.0.0.1:%d%s", port, rest);
	struct curl_slist *h = NULL;
	char *ct = rq->ctype ? xasprintf("Content-Type: %s", rq->ctype) : NULL;
	if (ct)
		h = curl_slist_append(h, ct);
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(cu, CURLOPT_URL, url);
	curl_easy_setopt(cu, CURLOPT_CUSTOMREQUEST, rq->method);
	curl_easy_setopt(cu, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(cu, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(cu, CURLOPT_WRITEDATA, &b);
	if (rq->body_len || !strcmp(rq->method, "POST") ||
	    !strcmp(rq->method, "PUT")) {
		curl_easy_setopt(cu, CURLOPT_POSTFIELDS,
				 rq->body ? rq->body : "");
		curl_easy_setopt(cu, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)rq->body_len);
	}
	CURLcode rc = curl_easy_perform(cu);
	if (rc != CURLE_OK) {
		sim_status_set(st, 503, "ServiceUnavailable",
			       "error trying to reach service: %s",
			       curl_easy_strerror(rc));
		goto out;
	}
	long code = 0;
	char *ctype = NULL;
	curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(cu, CURLINFO_CONTENT_TYPE, &ctype);
	r->code = (int)code;
	r->ctype = answer_types[0];
	for (int i = 0; ctype && answer_types[i]; i++)
		if (!strncmp(ctype, answer_types[i],
			     strcspn(answer_types[i], ";")))
			r->ctype = answer_types[i];
	r->len = b.len;
	r->body = dbuf_take(&b);
out:
	dbuf_free(&b);
	curl_slist_free_all(h);
	free(ct);
	free(url);
	curl_easy_cleanup(cu);
}

void sim_api_proxy(struct sim_request *rq, struct sim_resp *r)
{
	struct sim *s = rq->sim;
	struct sim_served *sv = sim_world(s)->served;
	struct sim_status st = {0};
	struct target t;
	memset(&t, 0, sizeof t);
	int svc = !strcmp(rq->route.kind->plural, "services");
	sim_lock(s);
	int rc = svc ? resolve_service(s, sv, rq->route.ns, rq->route.name, &t,
				       &st)
		     : resolve_pod(s, rq->route.ns, rq->route.name, &t, &st);
	sim_unlock(s);
	if (rc < 0)
		goto status;
	struct perr e = {{0}};
	int port = t.model ? served_port(sv, t.uid, t.model, t.len, t.l.name,
					 &e)
			   : -1;
	if (port < 0) {
		/* Nothing listens there: the dial is refused. */
		sim_status_set(&st, 503, "ServiceUnavailable",
			       "error trying to reach service: dial tcp %s:%d: "
			       "connect: "
			       "connection refused",
			       t.ip, t.port);
		goto status;
	}
	forward(rq, port, r, &st);
	if (!st.code)
		goto out;
status:
	sim_resp_status(r, &st);
	sim_status_clear(&st);
out:
	free(t.model);
}
