/*
 * kubelet.c - the kubelet of the simulated Nodes (the scheduler, in
 * scheduler.c, has bound each pod to one; what a container logs is in
 * podlog.c).
 *
 * The kubelet runs a pod's containers as a state machine over simulated
 * time: init containers one by one to success, then the containers:
 * pulling (ContainerCreating) -> running -> ready after the readiness
 * delay; an image the registry lacks -> ErrImagePull, then
 * ImagePullBackOff with the real back-off (10 s doubling to 5 min); a
 * program that exits -> restarted with CrashLoopBackOff, or the pod
 * Succeeded/Failed as its restartPolicy says; a pod being deleted is
 * stopped (Killing) and removed once its containers are gone, at the latest
 * when its grace period ends. Every transition writes the pod status in the
 * real kubelet's shape and records the events the real components record.
 *
 * What a container does is read from its image and command (see
 * classify()). The kubelet acts on the store's changes and its own timers,
 * with a full pass over every pod only when it must.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kube/sim/world.h"

#define PULL_BACKOFF_MAX_MS 300000
#define CRASH_BACKOFF_MAX_MS 300000
#define BACKOFF_INIT_MS 10000

/* Images and how their default program behaves. */
static const struct image_prog {
	const char *repo; /* normalised repository, without tag */
	enum prog_kind prog;
	enum log_style log;
	int stop_fast;    /* exits on SIGTERM */
} image_progs[] = {
	{ "docker.io/library/nginx", PROG_SERVER, LOG_NGINX, 1 },
	{ "docker.io/library/redis", PROG_SERVER, LOG_REDIS, 1 },
	{ "docker.io/library/busybox", PROG_EXIT, LOG_NONE, 0 },
	{ "docker.io/library/python", PROG_EXIT, LOG_NONE, 1 },
	{ "registry.k8s.io/pause", PROG_SERVER, LOG_NONE, 1 },
	{ "k8s.gcr.io/pause", PROG_SERVER, LOG_NONE, 1 },
	{ "ghcr.io/podium/runtime", PROG_SERVER, LOG_RUNTIME, 1 },
	{ NULL, PROG_SERVER, LOG_NONE, 1 },
};


static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static const char *meta_str(const json_t *o, const char *k)
{
	return jstr(json_object_get(o, "metadata"), k);
}

static void fmt_time(struct sim *s, long long ms, char out[32])
{
	sim_world_time_str(s, ms, out);
}

/* ---- what a container runs --------------------------------------------- */

static void sh_add(struct ctr *c, char op, long long ms, int code, char *text)
{
	c->sh = xrealloc(c->sh, (size_t)(c->nsh + 1) * sizeof *c->sh);
	c->sh[c->nsh++] = (struct sh_step){ op, ms, code, text };
}

/* One statement; returns 1 when it is one the runtime follows. */
static int sh_statement(struct ctr *c, char *st)
{
	while (*st == ' ' || *st == '\t')
		st++;
	char *end = st + strlen(st);
	while (end > st && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	if (!strncmp(st, "echo", 4) && (st[4] == ' ' || !st[4])) {
		char *t = xstrdup(st[4] ? st + 5 : ""), *o = t;
		for (char *i = t; *i; i++)
			if (*i != '"' && *i != '\'')
				*o++ = *i;
		*o = '\0';
		sh_add(c, 'e', 0, 0, t);
		return 1;
	}
	if (!strncmp(st, "sleep ", 6)) {
		char *e;
		double v = strtod(st + 6, &e);
		sh_add(c, 's', !strncmp(st + 6, "infinity", 8) ? -1
			       : e == st + 6 ? 0 : (long long)(v * 1000), 0, NULL);
		return 1;
	}
	if (!strncmp(st, "exit", 4) && (st[4] == ' ' || !st[4])) {
		sh_add(c, 'x', 0, st[4] ? atoi(st + 5) : 0, NULL);
		return 1;
	}
	if (!strcmp(st, "false") || !strcmp(st, "/bin/false")) {
		sh_add(c, 'x', 0, 1, NULL);
		return 1;
	}
	if (!strcmp(st, "date")) {
		sh_add(c, 'd', 0, 0, NULL);
		return 1;
	}
	return !strcmp(st, "true") || !strcmp(st, ":");
}

/* Split a script part into statements at ';', newlines and '&&'. */
static int sh_part(struct ctr *c, char *part)
{
	int known = 0;
	for (char *p = part; p && *p;) {
		size_t n = strcspn(p, ";\n&");
		char save = p[n];
		p[n] = '\0';
		known += sh_statement(c, p);
		if (!save)
			break;
		p += n + 1;
		while (*p == '&')
			p++;
	}
	return known;
}

/* Follow a shell command: `sh -c "echo a; sleep 3; exit 1"`, or a
 * `while true; do ...; done` loop. 1 when it has statements followed. */
static int sh_parse(struct ctr *c, const char *cmd)
{
	static const char *const shells[] = { "sh -c ", "/bin/sh -c ", "bash -c ",
					      "/bin/bash -c ", "ash -c ", NULL };
	for (int i = 0; shells[i]; i++)
		if (!strncmp(cmd, shells[i], strlen(shells[i]))) {
			cmd += strlen(shells[i]);
			break;
		}
	char *s = xstrdup(cmd);
	c->loop_at = -1;
	char *w = strstr(s, "while true");
	if (!w)
		w = strstr(s, "while :");
	int known;
	if (w) {
		*w = '\0';
		known = sh_part(c, s);
		char *body = strstr(w + 1, "do ");
		char *done = body ? strstr(body, "done") : NULL;
		if (done)
			*done = '\0';
		c->loop_at = c->nsh;
		known += body ? sh_part(c, body + 3) : 0;
	} else {
		known = sh_part(c, s);
	}
	free(s);
	return known > 0;
}

static char *join_cmd(const json_t *c)
{
	struct dbuf b;
	/* No cap of its own: the spec came in a request body, capped there; a
	 * cut command would lose its last statements (sleep, exit). */
	dbuf_init(&b, 0);
	const char *keys[] = { "command", "args" };
	for (int k = 0; k < 2; k++) {
		size_t i;
		json_t *v;
		json_array_foreach(json_object_get(c, keys[k]), i, v)
		{
			if (!json_is_string(v))
				continue;
			if (b.len)
				dbuf_puts(&b, " ");
			dbuf_puts(&b, json_string_value(v));
		}
	}
	return dbuf_take(&b);
}

/* Decide what container c (its spec) does: from its command when it has
 * one, else from its image's default program. */
static void classify(struct ctr *c, const json_t *spec)
{
	char *norm = sim_image_normalize(c->image);
	const struct image_prog *ip = image_progs;
	for (; ip->repo; ip++) {
		size_t n = strlen(ip->repo);
		if (norm && !strncmp(norm, ip->repo, n) &&
		    (norm[n] == ':' || norm[n] == '@'))
			break;
	}
	free(norm);
	c->prog = ip->prog;
	c->log_style = ip->log;
	c->stop_fast = ip->stop_fast;
	c->run_ms = 200;
	c->exit_code = 0;
	char *cmd = join_cmd(spec);
	if (cmd && *cmd) {
		c->log_style = LOG_NONE;
		if (strstr(cmd, "http.server")) {
			c->prog = PROG_SERVER;
			c->log_style = LOG_PYHTTP;
		} else if (strstr(cmd, "podium serve")) {
			c->prog = PROG_SERVER;
			c->log_style = LOG_RUNTIME;
		} else if (strstr(cmd, "nginx")) {
			c->prog = PROG_SERVER;
			c->log_style = LOG_NGINX;
		} else if (strstr(cmd, "redis-server")) {
			c->prog = PROG_SERVER;
			c->log_style = LOG_REDIS;
		} else if (strstr(cmd, "tail -f")) {
			c->prog = PROG_SERVER;
		} else if (sh_parse(c, cmd)) {
			long long t = 0;
			int forever = c->loop_at >= 0;
			c->exit_code = 0;
			for (int i = 0; i < c->nsh && !forever; i++) {
				if (c->sh[i].op == 's' && c->sh[i].ms < 0)
					forever = 1;
				else if (c->sh[i].op == 's')
					t += c->sh[i].ms;
				else if (c->sh[i].op == 'x') {
					c->exit_code = c->sh[i].code;
					break;
				}
			}
			c->prog = c->loop_at >= 0 ? PROG_LOOP
				  : forever ? PROG_SERVER : PROG_EXIT;
			c->run_ms = t + 100;
		} else if (ip->prog == PROG_EXIT) {
			/* A one-shot script this runtime does not follow. */
			c->prog = PROG_EXIT;
			c->run_ms = 300;
		}
	}
	free(cmd);
	/* A readiness probe answers after its initial delay; without one the
	 * kubelet reports ready at its next status sync. */
	json_t *rp = json_object_get(spec, "readinessProbe");
	c->ready_delay_ms = 1000;
	if (rp)
		c->ready_delay_ms += 1000 * json_integer_value(
				json_object_get(rp, "initialDelaySeconds"));
}

/* ---- container and pod state machine ----------------------------------- */

uint64_t sim_pod_seed(const struct sim_world *w, const char *ns, const char *pod)
{
	return sim_mix(sim_hash_str(w->seed, ns) ^ sim_hash_str(7, pod));
}

static const char *id_of(uint64_t pod_seed, const char *ctr, int run, char buf[80])
{
	uint64_t h = sim_hash_str(pod_seed, ctr) ^ (uint64_t)run;
	snprintf(buf, 80, "containerd://");
	for (int i = 0; i < 4; i++) {
		h = sim_mix(h + (uint64_t)i);
		snprintf(buf + strlen(buf), 17, "%016llx", (unsigned long long)h);
	}
	return buf;
}

const char *sim_container_id(const struct sim_world *w, const char *ns,
			     const char *pod, const char *ctr, int run, char buf[80])
{
	return id_of(sim_pod_seed(w, ns, pod), ctr, run, buf);
}

/* The runtime's ID of one run of a container, derived rather than kept:
 * 10,000 pods need not hold 10,000 IDs. */
static const char *inst_id(const struct pod_state *ps, const struct ctr *c,
			   const struct ctr_inst *in, char buf[80])
{
	return id_of(ps->seed, c->name, in->run, buf);
}

static json_t *pod_obj(struct sim *s, const struct pod_state *ps)
{
	return sim_store_get(s, sim_kind_find("", "pods"), ps->ns, ps->name);
}

static void kev(struct sim *s, struct pod_state *ps, const struct ctr *c,
		const char *type, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* A kubelet event about pod ps (container c, or the pod when NULL). */
static void kev(struct sim *s, struct pod_state *ps, const struct ctr *c,
		const char *type, const char *reason, const char *fmt, ...)
{
	json_t *pod = pod_obj(s, ps);
	if (!pod)
		return;
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	char fp[320];
	if (c)
		snprintf(fp, sizeof fp, "spec.containers{%s}", c->name);
	sim_event_at(s, pod, c ? fp : NULL, ps->node, type, reason, "kubelet",
		     "%s", msg);
	free(msg);
}

static void start_instance(struct sim *s, struct pod_state *ps, struct ctr *c,
			   long long t)
{
	if (c->cur.start_ms)
		c->prev = c->cur;
	memset(&c->cur, 0, sizeof c->cur);
	c->cur.start_ms = t;
	c->cur.run = c->restarts;
	c->st = CS_RUNNING;
	c->t_state = t;
	c->started = 1;
	c->ready = 0;
	long long next = t + c->ready_delay_ms;
	if (c->prog == PROG_EXIT && t + c->run_ms < next)
		next = t + c->run_ms;
	c->t_next = next;
	kev(s, ps, c, "Normal", "Created", "Created container %s", c->name);
	kev(s, ps, c, "Normal", "Started", "Started container %s", c->name);
	ps->dirty = 1;
}

static void pull(struct sim *s, struct pod_state *ps, struct ctr *c,
		 long long t)
{
	struct sim_world *w = sim_world(s);
	const char *id = sim_registry_lookup(w->reg, c->image, NULL, NULL);
	if (id && c->present) {
		free(c->image_id);
		c->image_id = xstrdup(id);
		kev(s, ps, c, "Normal", "Pulled",
		    "Container image \"%s\" already present on machine", c->image);
		start_instance(s, ps, c, t);
		return;
	}
	if (id) {
		sim_node_add_image(w, ps->node, c->image);
		free(c->image_id);
		c->image_id = xstrdup(id);
		long long took = t - c->t_state;
		kev(s, ps, c, "Normal", "Pulled",
		    "Successfully pulled image \"%s\" in %lld.%03llds", c->image,
		    took / 1000, took % 1000);
		c->backoff_ms = 0;
		start_instance(s, ps, c, t);
		return;
	}
	char *norm = sim_image_normalize(c->image);
	const char *ref = norm ? norm : c->image;
	free(c->pull_msg);
	c->pull_msg = xasprintf(
		 "rpc error: code = NotFound desc = failed to pull and unpack image \"%s\": failed to resolve reference \"%s\": %s: not found",
		 ref, ref, ref);
	free(norm);
	kev(s, ps, c, "Warning", "Failed", "Failed to pull image \"%s\": %s",
	    c->image, c->pull_msg);
	kev(s, ps, c, "Warning", "Failed", "Error: ErrImagePull");
	c->backoff_ms = c->backoff_ms ? c->backoff_ms * 2 : BACKOFF_INIT_MS;
	if (c->backoff_ms > PULL_BACKOFF_MAX_MS)
		c->backoff_ms = PULL_BACKOFF_MAX_MS;
	c->pull_attempts++;
	c->st = CS_PULL_ERR;
	c->t_state = t;
	c->t_next = t + 1000;
	ps->dirty = 1;
}

static void init_next(struct sim *s, struct pod_state *ps, long long now);

static void terminate(struct sim *s, struct pod_state *ps, struct ctr *c,
		      long long t, int code)
{
	sim_builder_exited(s, ps, c, code);
	c->cur.end_ms = t;
	c->cur.exit_code = code;
	c->ready = 0;
	c->t_state = t;
	ps->dirty = 1;
	int again = ps->restart_policy == 'A' ||
		    (ps->restart_policy == 'O' && code != 0);
	if (c->init) /* an init container that succeeded is done */
		again = code != 0 && ps->restart_policy != 'N';
	if (!again || ps->t_delete_seen) {
		c->st = CS_TERMINATED;
		c->t_next = 0;
		if (c->init && !code && !ps->t_delete_seen)
			init_next(s, ps, t);
		return;
	}
	/* The first restart is immediate; later ones back off, and a run
	 * that lasted 10 minutes resets the back-off. */
	if (t - c->cur.start_ms > 600000)
		c->backoff_ms = 0;
	if (!c->restarts && !c->backoff_ms) {
		c->st = CS_CRASH_BACKOFF;
		c->t_next = t + 1000;
		c->backoff_ms = BACKOFF_INIT_MS / 2;
		return;
	}
	c->backoff_ms = c->backoff_ms * 2;
	if (c->backoff_ms < BACKOFF_INIT_MS)
		c->backoff_ms = BACKOFF_INIT_MS;
	if (c->backoff_ms > CRASH_BACKOFF_MAX_MS)
		c->backoff_ms = CRASH_BACKOFF_MAX_MS;
	c->st = CS_CRASH_BACKOFF;
	c->t_next = t + c->backoff_ms;
	kev(s, ps, c, "Warning", "BackOff", "Back-off restarting failed container");
}

/* Advance container c to time now, through every transition due. */
static void ctr_advance(struct sim *s, struct pod_state *ps, struct ctr *c,
			long long now)
{
	for (int guard = 0; c->t_next && c->t_next <= now && guard < 64; guard++) {
		long long t = c->t_next;
		switch (c->st) {
		case CS_CREATING:
			pull(s, ps, c, t);
			break;
		case CS_PULL_ERR:
			c->st = CS_PULL_BACKOFF;
			c->t_state = t;
			c->t_next = t + c->backoff_ms;
			kev(s, ps, c, "Normal", "BackOff",
			    "Back-off pulling image \"%s\"", c->image);
			kev(s, ps, c, "Warning", "Failed", "Error: ImagePullBackOff");
			ps->dirty = 1;
			break;
		case CS_PULL_BACKOFF:
			c->st = CS_CREATING;
			c->t_state = t;
			c->t_next = t + 1000;
			kev(s, ps, c, "Normal", "Pulling", "Pulling image \"%s\"",
			    c->image);
			break;
		case CS_RUNNING: {
			long long ready_at = c->cur.start_ms + c->ready_delay_ms;
			long long exit_at = c->prog == PROG_EXIT
						    ? c->cur.start_ms + c->run_ms : 0;
			if (exit_at && exit_at <= t) {
				terminate(s, ps, c, exit_at, c->exit_code);
				break;
			}
			if (!c->ready && ready_at <= t) {
				c->ready = 1;
				ps->dirty = 1;
			}
			c->t_next = exit_at ? exit_at : 0;
			break;
		}
		case CS_CRASH_BACKOFF:
			c->restarts++;
			if (c->policy == 'A') {
				/* Always pulls again; the layers are local. */
				kev(s, ps, c, "Normal", "Pulling", "Pulling image \"%s\"",
				    c->image);
				long long took = 300 + (long long)(sim_mix(ps->seed +
						(uint64_t)c->restarts) % 900);
				kev(s, ps, c, "Normal", "Pulled",
				    "Successfully pulled image \"%s\" in %lld.%03llds",
				    c->image, took / 1000, took % 1000);
			} else {
				kev(s, ps, c, "Normal", "Pulled",
				    "Container image \"%s\" already present on machine",
				    c->image);
			}
			start_instance(s, ps, c, t);
			break;
		case CS_TERMINATED:
			c->t_next = 0;
			break;
		}
	}
}

static const char *ctr_waiting_reason(const struct ctr *c)
{
	if (c->gated)
		return "PodInitializing";
	switch (c->st) {
	case CS_CREATING:
		return c->pull_attempts ? "ImagePullBackOff" : "ContainerCreating";
	case CS_PULL_ERR:
		return c->never ? "ErrImageNeverPull" : "ErrImagePull";
	case CS_PULL_BACKOFF:
		return "ImagePullBackOff";
	case CS_CRASH_BACKOFF:
		return c->backoff_ms >= BACKOFF_INIT_MS ? "CrashLoopBackOff" : NULL;
	default:
		return NULL;
	}
}

static json_t *terminated_json(struct sim *s, const struct pod_state *ps,
			       const struct ctr *c, const struct ctr_inst *in)
{
	char a[32], b[32], id[80];
	fmt_time(s, in->start_ms, a);
	fmt_time(s, in->end_ms, b);
	return json_pack("{s:{s:i,s:s,s:s,s:s,s:s}}", "terminated", "exitCode",
			 in->exit_code, "reason",
			 in->exit_code ? "Error" : "Completed", "startedAt", a,
			 "finishedAt", b, "containerID", inst_id(ps, c, in, id));
}

static json_t *ctr_status(struct sim *s, const struct pod_state *ps,
			  const struct ctr *c)
{
	json_t *state;
	const char *wr = ctr_waiting_reason(c);
	char t[32];
	if (c->st == CS_RUNNING) {
		fmt_time(s, c->cur.start_ms, t);
		state = json_pack("{s:{s:s}}", "running", "startedAt", t);
	} else if (wr) {
		json_t *wt = json_pack("{s:s}", "reason", wr);
		if (c->st == CS_PULL_ERR)
			json_object_set_new(wt, "message", json_string(c->pull_msg ? c->pull_msg : ""));
		else if (!strcmp(wr, "ImagePullBackOff"))
			json_object_set_new(wt, "message", json_sprintf(
					"Back-off pulling image \"%s\"", c->image));
		else if (c->st == CS_CRASH_BACKOFF)
			json_object_set_new(wt, "message", json_sprintf(
					"back-off %llds restarting failed container=%s pod=%s_%s(%s)",
					c->backoff_ms / 1000, c->name, ps->name,
					ps->ns, ps->uid));
		state = json_pack("{s:o}", "waiting", wt);
	} else {
		/* Terminated, or between a crash and its first restart. */
		state = terminated_json(s, ps, c, &c->cur);
	}
	json_t *last = json_object();
	if (c->st == CS_CRASH_BACKOFF && wr) {
		json_decref(last);
		last = terminated_json(s, ps, c, &c->cur);
	} else if (c->prev.start_ms && c->prev.end_ms) {
		json_decref(last);
		last = terminated_json(s, ps, c, &c->prev);
	}
	char *norm = sim_image_normalize(c->image);
	json_t *cs = json_pack("{s:s,s:o,s:o,s:b,s:i,s:s,s:s}", "name", c->name,
			       "state", state, "lastState", last, "ready",
			       c->ready, "restartCount", c->restarts, "image",
			       c->image_id && norm ? norm : c->image, "imageID",
			       c->image_id ? c->image_id : "");
	free(norm);
	char id[80];
	if (c->cur.start_ms)
		json_object_set_new(cs, "containerID",
				    json_string(inst_id(ps, c, &c->cur, id)));
	json_object_set_new(cs, "started",
			    json_boolean(c->st == CS_RUNNING));
	return cs;
}

static json_t *cond(const char *type, int ok, const char *t,
		    const char *reason, const char *msg)
{
	json_t *c = json_pack("{s:s,s:s,s:n,s:s}", "type", type, "status",
			      ok ? "True" : "False", "lastProbeTime",
			      "lastTransitionTime", t);
	if (reason)
		json_object_set_new(c, "reason", json_string(reason));
	if (msg)
		json_object_set_new(c, "message", json_string(msg));
	return c;
}

static const char *qos_class(const json_t *spec)
{
	int any = 0, guaranteed = 1;
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(spec, "containers"), i, c)
	{
		json_t *r = json_object_get(c, "resources");
		json_t *lim = json_object_get(r, "limits");
		json_t *req = json_object_get(r, "requests");
		if (json_object_size(lim) || json_object_size(req))
			any = 1;
		if (!json_object_get(lim, "cpu") || !json_object_get(lim, "memory"))
			guaranteed = 0;
		const char *k;
		json_t *v;
		json_object_foreach(req, k, v)
			if (!json_equal(v, json_object_get(lim, k)))
				guaranteed = 0;
	}
	return !any ? "BestEffort" : guaranteed ? "Guaranteed" : "Burstable";
}

/* The pod's status from the kubelet's state, in the real field order. */
static json_t *pod_status(struct sim *s, struct pod_state *ps,
			  const json_t *pod)
{
	int all_ready = 1, running = 0, started_all = 1, terminated_all = 1,
	    failed = 0;
	struct dbuf unready;
	dbuf_init(&unready, 4096);
	/* Init containers: all must have succeeded; one that failed for good
	 * fails the pod. */
	struct dbuf incomplete;
	dbuf_init(&incomplete, 4096);
	int init_failed = 0;
	for (int i = 0; i < ps->ninit; i++) {
		struct ctr *c = &ps->c[i];
		if (c->st == CS_TERMINATED && !c->cur.exit_code)
			continue;
		dbuf_printf(&incomplete, "%s%s", incomplete.len ? " " : "", c->name);
		if (c->st == CS_TERMINATED)
			init_failed = 1;
	}
	for (int i = ps->ninit; i < ps->nctr; i++) {
		struct ctr *c = &ps->c[i];
		if (!c->ready) {
			all_ready = 0;
			dbuf_printf(&unready, "%s%s", unready.len ? " " : "", c->name);
		}
		if (c->st == CS_RUNNING || c->st == CS_CRASH_BACKOFF)
			running = 1;
		if (!c->cur.start_ms)
			started_all = 0;
		if (c->st != CS_TERMINATED)
			terminated_all = 0;
		else if (c->cur.exit_code)
			failed = 1;
	}
	if (ps->t_delete_seen)
		all_ready = 0;
	const char *phase = init_failed ? "Failed"
			    : terminated_all ? (failed ? "Failed" : "Succeeded")
			    : (running && started_all) ? "Running" : "Pending";
	if (all_ready != ps->ready) {
		ps->ready = all_ready;
		ps->t_ready_change = sim_world_wall_ms(s);
	}
	char ts[32], ti[32], tr[32];
	fmt_time(s, ps->t_sched, ts);
	fmt_time(s, ps->t_init, ti);
	fmt_time(s, ps->t_ready_change, tr);
	json_t *conds = json_array();
	int done = !strcmp(phase, "Succeeded") || !strcmp(phase, "Failed");
	if (incomplete.len) {
		char *im = xasprintf("containers with incomplete status: [%s]", incomplete.p);
		fmt_time(s, ps->t_start, ti);
		json_array_append_new(conds, cond("Initialized", 0, ti,
						  "ContainersNotInitialized", im));
		free(im);
	} else {
		json_array_append_new(conds, cond("Initialized", 1, ti,
						  done ? "PodCompleted" : NULL, NULL));
	}
	dbuf_free(&incomplete);
	char *msg = unready.len ? xasprintf("containers with unready status: [%s]",
					    unready.p) : NULL;
	const char *why = done ? "PodCompleted" : all_ready ? NULL : "ContainersNotReady";
	json_array_append_new(conds, cond("Ready", all_ready, tr, why,
					  done ? NULL : msg));
	json_array_append_new(conds, cond("ContainersReady", all_ready, tr, why,
					  done ? NULL : msg));
	json_array_append_new(conds, cond("PodScheduled", 1, ts, NULL, NULL));
	free(msg);
	dbuf_free(&unready);

	json_t *istat = ps->ninit ? json_array() : NULL;
	for (int i = 0; i < ps->ninit; i++)
		json_array_append_new(istat, ctr_status(s, ps, &ps->c[i]));
	json_t *cstat = json_array();
	for (int i = ps->ninit; i < ps->nctr; i++)
		json_array_append_new(cstat, ctr_status(s, ps, &ps->c[i]));
	char st[32];
	fmt_time(s, ps->t_start, st);
	json_t *old = json_object_get(pod, "status");
	const char *qos = jstr(old, "qosClass");
	char hostip[20];
	unsigned nodeidx = 0;
	if (ps->node)
		sscanf(ps->node, "sim-node-%u", &nodeidx);
	snprintf(hostip, sizeof hostip, "10.0.0.%u", 10 + nodeidx);
	json_t *out = json_pack("{s:s,s:o,s:s,s:s,s:[{s:s}],s:s}",
				"phase", phase, "conditions", conds, "hostIP",
				hostip, "podIP", ps->ip, "podIPs", "ip", ps->ip,
				"startTime", st);
	if (istat)
		json_object_set_new(out, "initContainerStatuses", istat);
	json_object_set_new(out, "containerStatuses", cstat);
	json_object_set_new(out, "qosClass", json_string(
		qos ? qos : qos_class(json_object_get(pod, "spec"))));
	return out;
}

/* Write the pod's status when it differs from the stored one. */
static void write_status(struct sim *s, struct pod_state *ps)
{
	const struct sim_kind *pk = sim_kind_find("", "pods");
	json_t *pod = sim_store_get(s, pk, ps->ns, ps->name);
	ps->dirty = 0;
	if (!pod)
		return;
	json_t *st = pod_status(s, ps, pod);
	if (json_equal(st, json_object_get(pod, "status"))) {
		json_decref(st);
		return;
	}
	json_t *copy = json_deep_copy(pod);
	json_object_set_new(copy, "status", st);
	struct sim_status err = { 0 };
	sim_store_update(s, pk, ps->ns, copy, NULL, &err);
	sim_status_clear(&err);
}

static long long pod_next(const struct pod_state *ps)
{
	long long n = 0;
	for (int i = 0; i < ps->nctr; i++)
		if (ps->c[i].t_next && (!n || ps->c[i].t_next < n))
			n = ps->c[i].t_next;
	if (ps->t_remove && (!n || ps->t_remove < n))
		n = ps->t_remove;
	return n;
}

/* ---- starting containers in order ---------------------------------------- */

/* Start getting container c's image: no pull when the node holds it and
 * the policy allows, ErrImageNeverPull under Never without it, else a
 * pull that takes a moment. */
static void begin_pull(struct sim *s, struct pod_state *ps, struct ctr *c,
		       long long now)
{
	struct sim_world *w = sim_world(s);
	c->gated = 0;
	c->st = CS_CREATING;
	c->t_state = now;
	if (c->policy != 'A' && sim_node_has_image(w, ps->node, c->image)) {
		c->present = 1;
		c->t_next = now + 200;
	} else if (c->policy == 'N') {
		c->never = 1;
		c->st = CS_PULL_ERR;
		free(c->pull_msg);
		c->pull_msg = xasprintf("Container image \"%s\" is not present "
					"with pull policy of Never", c->image);
		c->t_next = 0;
		kev(s, ps, c, "Warning", "ErrImageNeverPull", "%s", c->pull_msg);
	} else {
		c->t_next = now + 800 +
			    (long long)(sim_mix(ps->seed + sim_hash_str(0, c->name)) % 1500);
		kev(s, ps, c, "Normal", "Pulling", "Pulling image \"%s\"", c->image);
	}
	ps->dirty = 1;
}

/* Init containers run one after another, each to success; then the
 * containers all start. */
static void init_next(struct sim *s, struct pod_state *ps, long long now)
{
	for (int i = 0; i < ps->ninit; i++) {
		struct ctr *c = &ps->c[i];
		if (c->st == CS_TERMINATED && !c->cur.exit_code)
			continue;
		if (c->gated)
			begin_pull(s, ps, c, now);
		return;
	}
	if (ps->ninit)
		ps->t_init = now;
	for (int i = ps->ninit; i < ps->nctr; i++)
		if (ps->c[i].gated)
			begin_pull(s, ps, &ps->c[i], now);
}

/* The kubelet's first sight of a pod bound to its node. Pods seeded as
 * Running are adopted as they are. */
static struct pod_state *pod_admit(struct sim *s, json_t *pod, long long now)
{
	struct sim_world *w = sim_world(s);
	json_t *spec = json_object_get(pod, "spec");
	json_t *status = json_object_get(pod, "status");
	json_t *ctrs = json_object_get(spec, "containers");
	json_t *inits = json_object_get(spec, "initContainers");
	struct pod_state *ps = xcalloc(1, sizeof *ps);
	ps->ns = xstrdup(meta_str(pod, "namespace"));
	ps->name = xstrdup(meta_str(pod, "name"));
	ps->uid = xstrdup(meta_str(pod, "uid"));
	ps->node = xstrdup(jstr(spec, "nodeName"));
	sim_pod_requests(spec, &ps->req_cpu_m, &ps->req_mem);
	unsigned nidx;
	ps->node_idx = ps->node && sscanf(ps->node, "sim-node-%u", &nidx) == 1 ? (int)nidx
										: -1;
	ps->seed = sim_pod_seed(w, ps->ns, ps->name);
	const char *rp = jstr(spec, "restartPolicy");
	ps->restart_policy = rp ? rp[0] : 'A';
	ps->ninit = (int)json_array_size(inits);
	ps->nctr = ps->ninit + (int)json_array_size(ctrs);
	ps->c = xcalloc(ps->nctr ? (size_t)ps->nctr : 1, sizeof *ps->c);
	const char *pip = jstr(status, "podIP");
	if (pip) {
		snprintf(ps->ip, sizeof ps->ip, "%s", pip);
	} else {
		sim_world_pod_ip(w, ps->node_idx, ps->ip);
	}
	long long started = sim_world_parse_time(jstr(status, "startTime"));
	int adopt = started && !strcmp(jstr(status, "phase") ? jstr(status, "phase") : "",
				       "Running");
	ps->t_start = adopt ? started : now;
	ps->t_sched = ps->t_init = ps->t_ready_change = ps->t_start;
	for (int i = 0; i < ps->nctr; i++) {
		int init = i < ps->ninit;
		json_t *cj = init ? json_array_get(inits, (size_t)i)
				  : json_array_get(ctrs, (size_t)(i - ps->ninit));
		struct ctr *c = &ps->c[i];
		c->init = init;
		c->name = xstrdup(jstr(cj, "name") ? jstr(cj, "name") : "");
		c->image = xstrdup(jstr(cj, "image") ? jstr(cj, "image") : "");
		classify(c, cj);
		const char *pol = jstr(cj, "imagePullPolicy");
		c->policy = pol ? pol[0] : 'A';
		c->t_state = now;
		if (adopt && init) {
			/* A running pod's init containers have completed. */
			c->cur.start_ms = c->cur.end_ms = started;
			c->st = CS_TERMINATED;
		} else if (adopt) {
			json_t *cs = json_array_get(json_object_get(status,
					"containerStatuses"), (size_t)(i - ps->ninit));
			const char *sa = jstr(json_object_get(json_object_get(cs,
					"state"), "running"), "startedAt");
			long long t0 = sa ? sim_world_parse_time(sa) : started;
			const char *id = sim_registry_lookup(w->reg, c->image, NULL, NULL);
			c->image_id = xstrdup(id ? id : jstr(cs, "imageID"));
			sim_node_add_image(w, ps->node, c->image);
			c->restarts = (int)json_integer_value(json_object_get(cs, "restartCount"));
			c->cur.start_ms = t0;
			c->cur.run = c->restarts;
			c->st = CS_RUNNING;
			c->started = 1;
			c->ready = json_is_true(json_object_get(cs, "ready"));
			c->t_next = c->prog == PROG_EXIT ? t0 + c->run_ms
					    : c->ready ? 0 : t0 + c->ready_delay_ms;
		} else {
			c->st = CS_CREATING;
			c->gated = 1;
		}
	}
	if (adopt) {
		int r = 1;
		for (int i = ps->ninit; i < ps->nctr; i++)
			r &= ps->c[i].ready;
		ps->ready = r;
		return ps;
	}
	sim_modelpod_admit(s, pod, ps);
	sim_builder_admit(s, pod, ps);
	init_next(s, ps, now);
	ps->dirty = 1;
	return ps;
}

/* The deletion of a pod: containers are stopped (Killing); programs that
 * exit on SIGTERM are gone in half a second, others take the grace
 * period; then the pod object goes. */
static void pod_deleting(struct sim *s, struct pod_state *ps, json_t *pod,
			 long long now)
{
	json_t *meta = json_object_get(pod, "metadata");
	json_t *g = json_object_get(meta, "deletionGracePeriodSeconds");
	long long grace = g ? json_integer_value(g) * 1000 : 30000;
	long long stop = 0;
	ps->t_delete_seen = now;
	for (int i = 0; i < ps->nctr; i++) {
		struct ctr *c = &ps->c[i];
		if (c->st != CS_RUNNING) {
			c->t_next = 0;
			continue;
		}
		kev(s, ps, c, "Normal", "Killing", "Stopping container %s", c->name);
		long long need = c->stop_fast ? 500 : grace;
		if (need > grace)
			need = grace;
		if (need > stop)
			stop = need;
		c->ready = 0;
		c->t_next = 0;
	}
	ps->t_remove = now + stop;
	ps->dirty = 1;
}

/* ---- the sync loop ------------------------------------------------------ */

struct scan {
	struct sim_world *w;
	long long now;
	struct smap *seen;    /* incremental passes: pods already queued */
	char **todo;          /* "ns\x1fname" of pods to act on */
	size_t ntodo, cap;
	struct sim_node_load load; /* what the pods ask of each node */
};

static void todo_add(struct scan *sc, const char *ns, const char *name)
{
	if (sc->seen) {
		char key[600];
		snprintf(key, sizeof key, "%s\x1f%s", ns, name);
		if (smap_get(sc->seen, key))
			return;
		smap_put(sc->seen, key, (void *)1);
	}
	if (sc->ntodo == sc->cap) {
		sc->cap = sc->cap ? sc->cap * 2 : 64;
		sc->todo = xrealloc(sc->todo, sc->cap * sizeof *sc->todo);
	}
	sc->todo[sc->ntodo++] = xasprintf("%s\x1f%s", ns, name);
}

static int scan_pod(json_t *pod, void *ud)
{
	struct scan *sc = ud;
	json_t *spec = json_object_get(pod, "spec");
	const char *node = jstr(spec, "nodeName");
	const char *uid = meta_str(pod, "uid");
	if (!uid)
		return 0;
	struct pod_state *ps = smap_get(&sc->w->pods, uid);
	unsigned idx;
	if (ps) {
		sim_node_load_add(&sc->load, ps->node_idx, ps->req_cpu_m, ps->req_mem);
	} else if (node && sscanf(node, "sim-node-%u", &idx) == 1) {
		double cpu, mem;
		sim_pod_requests(spec, &cpu, &mem);
		sim_node_load_add(&sc->load, (int)idx, cpu, mem);
	}
	if (ps) {
		ps->gen = sc->w->gen;
		int deleting = json_object_get(json_object_get(pod, "metadata"),
					       "deletionTimestamp") != NULL;
		long long next = pod_next(ps);
		if (ps->dirty || (deleting && !ps->t_delete_seen) ||
		    (next && next <= sc->now))
			todo_add(sc, meta_str(pod, "namespace"), meta_str(pod, "name"));
		return 0;
	}
	const char *phase = jstr(json_object_get(pod, "status"), "phase");
	if (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed")))
		return 0; /* finished before this kubelet knew it */
	todo_add(sc, meta_str(pod, "namespace"), meta_str(pod, "name"));
	return 0;
}

/* A pod this kubelet ran is gone: its state, and its model server if it
 * served one. */
static void pod_gone(struct sim_world *w, const char *uid)
{
	sim_served_forget(w->served, uid);
	smap_del(&w->pods, uid);
}

static void act(struct sim *s, struct scan *sc, const char *ns,
		const char *name)
{
	const struct sim_kind *pk = sim_kind_find("", "pods");
	json_t *pod = sim_store_get(s, pk, ns, name);
	struct sim_world *w = sc->w;
	if (!pod) {
		sim_schedule_forget(w, ns, name);
		return;
	}
	json_t *meta = json_object_get(pod, "metadata");
	int deleting = json_object_get(meta, "deletionTimestamp") != NULL;
	/* A copy: admitting or removing the pod replaces or frees its object,
	 * and the uid string with it. */
	char uid[128];
	snprintf(uid, sizeof uid, "%s", meta_str(pod, "uid") ? meta_str(pod, "uid") : "");
	struct pod_state *ps = smap_get(&w->pods, uid);
	if (!ps) {
		if (!jstr(json_object_get(pod, "spec"), "nodeName")) {
			struct sim_status st = { 0 };
			if (deleting)
				sim_store_remove(s, pk, ns, name, &st);
			else
				sim_schedule(s, &sc->load, pod, sc->now);
			sim_status_clear(&st);
			return;
		}
		ps = pod_admit(s, pod, sc->now);
		ps->gen = w->gen;
		smap_put(&w->pods, uid, ps);
		pod = sim_store_get(s, pk, ns, name);
	}
	if (deleting && !ps->t_delete_seen)
		pod_deleting(s, ps, pod, sc->now);
	if (ps->t_delete_seen && ps->t_remove <= sc->now) {
		struct sim_status st = { 0 };
		sim_store_remove(s, pk, ns, name, &st);
		sim_status_clear(&st);
		pod_gone(w, uid);
		return;
	}
	for (int i = 0; i < ps->nctr; i++)
		ctr_advance(s, ps, &ps->c[i], sc->now);
	if (ps->dirty)
		write_status(s, ps);
}

/* Earliest timer of all pods (wall ms), 0 for none. */
static long long next_timer(struct sim_world *w)
{
	long long n = sim_schedule_next(w);
	struct smap_ent *e;
	for (size_t i = 0; (i = smap_next(&w->pods, i, &e));) {
		long long t = pod_next(e->val);
		if (t && (!n || t < n))
			n = t;
	}
	return n;
}

/* An incremental pass: a pod the store changed since the last pass. */
static void on_change(const struct sim_kind *k, const char *type, json_t *pod,
		      void *ud)
{
	struct scan *sc = ud;
	if (k != sim_kind_find("", "pods"))
		return;
	const char *uid = meta_str(pod, "uid");
	if (!uid)
		return;
	if (!strcmp(type, "DELETED")) {
		pod_gone(sc->w, uid);
		return;
	}
	struct pod_state *ps = smap_get(&sc->w->pods, uid);
	if (ps) {
		int deleting = json_object_get(json_object_get(pod, "metadata"),
					       "deletionTimestamp") != NULL;
		if (!ps->dirty && !(deleting && !ps->t_delete_seen))
			return;
	} else {
		const char *phase = jstr(json_object_get(pod, "status"), "phase");
		if (phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed")))
			return;
		/* Waiting for its next scheduling attempt. */
		if (sim_schedule_waiting(sc->w, meta_str(pod, "namespace"),
					 meta_str(pod, "name"), sc->now) &&
		    !json_object_get(json_object_get(pod, "metadata"), "deletionTimestamp"))
			return;
	}
	todo_add(sc, meta_str(pod, "namespace"), meta_str(pod, "name"));
}

static void todo_due(const char *ns, const char *name, void *ud)
{
	todo_add(ud, ns, name);
}

/* Every pod the store holds, with the kubelet's states swept of pods
 * that are gone: the first pass, and whenever the changes since the last
 * pass are no longer all in the store's history. */
static void full_scan(struct sim *s, struct scan *sc)
{
	struct sim_world *w = sc->w;
	w->gen++;
	sim_store_each(s, sim_kind_find("", "pods"), NULL, scan_pod, sc);
	struct smap_ent *e;
	char **gone = NULL;
	size_t ngone = 0;
	for (size_t i = 0; (i = smap_next(&w->pods, i, &e));) {
		struct pod_state *ps = e->val;
		if (ps->gen != w->gen) {
			gone = xrealloc(gone, (ngone + 1) * sizeof *gone);
			gone[ngone++] = xstrdup(e->key);
		}
	}
	for (size_t i = 0; i < ngone; i++) {
		pod_gone(w, gone[i]);
		free(gone[i]);
	}
	free(gone);
}

void sim_kubelet_sync(struct sim *s)
{
	struct sim_world *w = sim_world(s);
	struct scan sc = { .w = w, .now = sim_world_wall_ms(s) };
	/* Nothing changed in the store and no container timer is due. */
	if (w->store_idle && (!w->kubelet_next || sc.now < w->kubelet_next))
		return;
	/* Like a real kubelet, act on what changed (the store's history, as a
	 * watch delivers it) and on timers, not on every pod every time. */
	unsigned long long since = w->kubelet_rv;
	w->kubelet_rv = sim_store_rv(s);
	struct smap seen;
	smap_init(&seen, NULL);
	sc.seen = &seen;
	if (!since || sim_world_changes(s, since, on_change, &sc) < 0) {
		sc.ntodo = 0;
		sc.seen = NULL;
		full_scan(s, &sc);
	} else {
		struct smap_ent *e;
		for (size_t i = 0; (i = smap_next(&w->pods, i, &e));) {
			struct pod_state *ps = e->val;
			long long next = pod_next(ps);
			sim_node_load_add(&sc.load, ps->node_idx, ps->req_cpu_m, ps->req_mem);
			if (ps->dirty || (next && next <= sc.now))
				todo_add(&sc, ps->ns, ps->name);
		}
	}
	/* Pods that fit nowhere are tried again from time to time. */
	sim_schedule_due(w, sc.now, todo_due, &sc);
	smap_free(&seen);
	sc.seen = NULL;
	for (size_t i = 0; i < sc.ntodo; i++) {
		char *sep = strchr(sc.todo[i], '\x1f');
		*sep = '\0';
		act(s, &sc, sc.todo[i], sep + 1);
		free(sc.todo[i]);
	}
	free(sc.todo);
	w->kubelet_next = next_timer(w);
}

