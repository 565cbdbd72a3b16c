/*
 * kubelet.c - the scheduler and the kubelet of the simulated Nodes.
 *
 * The scheduler binds each Pending pod without a node to the least loaded
 * Node. The kubelet then runs the pod's containers as a state machine over
 * simulated time: pulling (ContainerCreating) -> running -> ready after the
 * readiness delay; an image the registry lacks -> ErrImagePull, then
 * ImagePullBackOff with the real back-off (10 s doubling to 5 min); a
 * program that exits -> restarted with CrashLoopBackOff, or the pod
 * Succeeded/Failed as its restartPolicy says; a pod being deleted is
 * stopped (Killing) and removed once its containers are gone, at the latest
 * when its grace period ends. Every transition writes the pod status in the
 * real kubelet's shape and records the events the real components record.
 *
 * What a container does is read from its image and command (see
 * classify()); what it logs is a pure function of the pod, the container
 * instance and time, so 10,000 pods cost no log memory until read.
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
#define LOG_MAX_LINES 5000 /* the ring a container's log is kept in */

enum log_style { LOG_NONE, LOG_NGINX, LOG_REDIS, LOG_RUNTIME, LOG_PYHTTP };

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

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t hash_str(uint64_t h, const char *s)
{
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

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
	dbuf_init(&b, 4096);
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

/* ---- logs ---------------------------------------------------------------- */

static const char *const nginx_banner[] = {
	"/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration",
	"/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/",
	"/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh",
	"10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf",
	"10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf",
	"/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh",
	"/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh",
	"/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh",
	"/docker-entrypoint.sh: Configuration complete; ready for start up",
	"%s [notice] 1#1: using the \"epoll\" event method",
	"%s [notice] 1#1: nginx/1.25.3",
	"%s [notice] 1#1: built by gcc 12.2.0 (Debian 12.2.0-14) ",
	"%s [notice] 1#1: OS: Linux 6.1.0-18-amd64",
	"%s [notice] 1#1: getrlimit(RLIMIT_NOFILE): 1048576:1048576",
	"%s [notice] 1#1: start worker processes",
	"%s [notice] 1#1: start worker process 29",
	"%s [notice] 1#1: start worker process 30",
	NULL,
};

static const char *const redis_banner[] = {
	"1:C %s # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo",
	"1:C %s # Redis version=7.2.4, bits=64, commit=00000000, modified=0, pid=1, just started",
	"1:C %s # Warning: no config file specified, using the default config. In order to specify a config file use redis-server /path/to/redis.conf",
	"1:M %s * monotonic clock: POSIX clock_gettime",
	"1:M %s * Running mode=standalone, port=6379.",
	"1:M %s * Server initialized",
	"1:M %s * Ready to accept connections tcp",
	NULL,
};

static const char *const runtime_banner[] = {
	"podium serve " PODIUM_VERSION ": starting",
	"podium serve: listening on 0.0.0.0:8080 (v2 inference protocol, v1 predict, /metrics)",
	NULL,
};

static const char *const pyhttp_banner[] = {
	"Serving HTTP on 0.0.0.0 port 8000 (http://0.0.0.0:8000/) ...",
	NULL,
};

static const char *const *banners[] = {
	[LOG_NONE] = NULL, [LOG_NGINX] = nginx_banner,
	[LOG_REDIS] = redis_banner, [LOG_RUNTIME] = runtime_banner,
	[LOG_PYHTTP] = pyhttp_banner,
};

static const struct access {
	const char *req;
	int status, bytes;
	const char *agent;
} nginx_access[] = {
	{ "GET / HTTP/1.1", 200, 615, "kube-probe/1.20" },
	{ "GET / HTTP/1.1", 200, 615, "curl/8.5.0" },
	{ "GET /favicon.ico HTTP/1.1", 404, 153, "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0" },
	{ "GET /index.html HTTP/1.1", 200, 615, "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0" },
	{ "HEAD / HTTP/1.1", 200, 0, "curl/8.5.0" },
	{ "GET /healthz HTTP/1.1", 404, 153, "kube-probe/1.20" },
	{ "POST /api/v1/items HTTP/1.1", 405, 157, "python-requests/2.31.0" },
};

/* Emits line k of an instance when the callback is set; returns its time,
 * or -1 when the instance writes no line k. */
struct logctx {
	const struct pod_state *ps;
	const struct ctr *c;
	const struct ctr_inst *in;
	long long upto;   /* lines up to this wall ms */
	long long skip;   /* lines to pass over (the ring's overwritten ones) */
	long long n;      /* lines seen */
	void (*fn)(long long, const char *, void *);
	void *ud;
};

static void emit(struct logctx *x, long long ts, const char *line)
{
	if (x->fn && x->n >= x->skip)
		x->fn(ts, line, x->ud);
	x->n++;
}

static void run_log(struct logctx *x)
{
	const struct ctr *c = x->c;
	const struct ctr_inst *in = x->in;
	long long t = in->start_ms, upto = x->upto;
	if (in->end_ms && in->end_ms < upto)
		upto = in->end_ms;
	if (!t || t > upto)
		return;
	char line[512], ts[64];
	uint64_t seed = x->ps->seed ^ hash_str(0, c->name) ^
			(uint64_t)in->start_ms;
	const char *const *b = banners[c->log_style];
	for (int i = 0; b && b[i]; i++) {
		long long lt = t + 5 * i;
		if (lt > upto)
			return;
		time_t tt = (time_t)(lt / 1000);
		struct tm tm;
		gmtime_r(&tt, &tm);
		if (c->log_style == LOG_REDIS) {
			strftime(ts, sizeof ts, "%d %b %Y %H:%M:%S", &tm);
			snprintf(ts + strlen(ts), sizeof ts - strlen(ts), ".%03lld",
				 lt % 1000);
		} else {
			strftime(ts, sizeof ts, "%Y/%m/%d %H:%M:%S", &tm);
		}
		snprintf(line, sizeof line, b[i], ts);
		emit(x, lt, line);
	}
	/* The shell statements, in order; a loop body until stopped. */
	long long lt = t + 10;
	for (int i = 0; i < c->nsh && lt <= upto; i++) {
		const struct sh_step *st = &c->sh[i];
		if (st->op == 'e') {
			emit(x, lt, st->text);
		} else if (st->op == 'd') {
			time_t tt = (time_t)(lt / 1000);
			struct tm tm;
			gmtime_r(&tt, &tm);
			strftime(line, sizeof line, "%a %b %e %H:%M:%S UTC %Y", &tm);
			emit(x, lt, line);
		} else if (st->op == 's') {
			if (st->ms < 0)
				break;
			lt += st->ms;
		} else if (st->op == 'x') {
			break;
		}
		if (i == c->nsh - 1 && c->loop_at >= 0) {
			/* A body without sleeps still takes its time. */
			long long period = 0;
			for (int j = c->loop_at; j < c->nsh; j++)
				if (c->sh[j].op == 's' && c->sh[j].ms > 0)
					period += c->sh[j].ms;
			if (!period)
				lt += 1000;
			i = c->loop_at - 1;
			if (c->loop_at >= c->nsh)
				break;
		}
	}
	/* Web servers log the requests they answer, a few a minute. */
	if (c->log_style == LOG_NGINX || c->log_style == LOG_PYHTTP) {
		long long lt = t + 2000;
		for (uint64_t k = 0;; k++) {
			uint64_t r = mix(seed + k);
			lt += 1500 + (long long)(r % 12000);
			if (lt > upto)
				break;
			const struct access *a =
				&nginx_access[(r >> 20) % (sizeof nginx_access /
							   sizeof *nginx_access)];
			time_t tt = (time_t)(lt / 1000);
			struct tm tm;
			gmtime_r(&tt, &tm);
			unsigned o3 = (unsigned)((r >> 32) % 3), o4 = (unsigned)(1 + (r >> 40) % 250);
			if (c->log_style == LOG_NGINX) {
				strftime(ts, sizeof ts, "%d/%b/%Y:%H:%M:%S +0000", &tm);
				snprintf(line, sizeof line,
					 "10.244.%u.%u - - [%s] \"%s\" %d %d \"-\" \"%s\" \"-\"",
					 o3, o4, ts, a->req, a->status, a->bytes, a->agent);
			} else {
				/* http.server: BaseHTTPRequestHandler.log_message */
				strftime(ts, sizeof ts, "%d/%b/%Y %H:%M:%S", &tm);
				snprintf(line, sizeof line, "10.244.%u.%u - - [%s] \"%s\" %d -",
					 o3, o4, ts, a->req, a->status == 405 ? 501 : a->status);
			}
			emit(x, lt, line);
		}
	}
}

/* ---- container and pod state machine ----------------------------------- */

uint64_t sim_pod_seed(const struct sim_world *w, const char *ns, const char *pod)
{
	return mix(hash_str(w->seed, ns) ^ hash_str(7, pod));
}

static const char *id_of(uint64_t pod_seed, const char *ctr, int run, char buf[80])
{
	uint64_t h = hash_str(pod_seed, ctr) ^ (uint64_t)run;
	snprintf(buf, 80, "containerd://");
	for (int i = 0; i < 4; i++) {
		h = mix(h + (uint64_t)i);
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

static void terminate(struct sim *s, struct pod_state *ps, struct ctr *c,
		      long long t, int code)
{
	c->cur.end_ms = t;
	c->cur.exit_code = code;
	c->ready = 0;
	c->t_state = t;
	ps->dirty = 1;
	int again = ps->restart_policy == 'A' ||
		    (ps->restart_policy == 'O' && code != 0);
	if (!again || ps->t_delete_seen) {
		c->st = CS_TERMINATED;
		c->t_next = 0;
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
				long long took = 300 + (long long)(mix(ps->seed +
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
	for (int i = 0; i < ps->nctr; i++) {
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
	const char *phase = terminated_all ? (failed ? "Failed" : "Succeeded")
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
	json_array_append_new(conds, cond("Initialized", 1, ti,
					  done ? "PodCompleted" : NULL, NULL));
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

	json_t *cstat = json_array();
	for (int i = 0; i < ps->nctr; i++)
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
	json_t *out = json_pack("{s:s,s:o,s:s,s:s,s:[{s:s}],s:s,s:o,s:s}",
				"phase", phase, "conditions", conds, "hostIP",
				hostip, "podIP", ps->ip, "podIPs", "ip", ps->ip,
				"startTime", st, "containerStatuses", cstat,
				"qosClass",
				qos ? qos : qos_class(json_object_get(pod, "spec")));
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

/* ---- resources ------------------------------------------------------------ */

/* A Kubernetes quantity: "500m", "2", "128Mi", "1Gi", "1e3". milli: the
 * value in thousandths (cpu), else in units (bytes). */
static double quantity(const char *q, int milli)
{
	static const struct {
		const char *sfx;
		double mul;
	} sfx[] = {
		{ "Ki", 1024.0 }, { "Mi", 1048576.0 }, { "Gi", 1073741824.0 },
		{ "Ti", 1099511627776.0 }, { "k", 1e3 }, { "K", 1e3 }, { "M", 1e6 },
		{ "G", 1e9 }, { "T", 1e12 }, { "m", 1e-3 }, { NULL, 1 },
	};
	if (!q)
		return 0;
	char *end;
	double v = strtod(q, &end);
	for (size_t i = 0; sfx[i].sfx; i++)
		if (!strcmp(end, sfx[i].sfx)) {
			v *= sfx[i].mul;
			break;
		}
	return milli ? v * 1000.0 : v;
}

/* What a pod asks of a node: the sum of its containers' requests (a limit
 * without a request stands for it, as the API defaults it). */
static void pod_requests(const json_t *spec, double *cpu_m, double *mem)
{
	*cpu_m = *mem = 0;
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(spec, "containers"), i, c)
	{
		json_t *r = json_object_get(c, "resources");
		json_t *req = json_object_get(r, "requests");
		json_t *lim = json_object_get(r, "limits");
		const char *cpu = jstr(req, "cpu") ? jstr(req, "cpu") : jstr(lim, "cpu");
		const char *m = jstr(req, "memory") ? jstr(req, "memory") : jstr(lim, "memory");
		*cpu_m += quantity(cpu, 1);
		*mem += quantity(m, 0);
	}
}

/* The kubelet's first sight of a pod bound to its node. Pods seeded as
 * Running are adopted as they are. */
static struct pod_state *pod_admit(struct sim *s, json_t *pod, long long now)
{
	struct sim_world *w = sim_world(s);
	json_t *spec = json_object_get(pod, "spec");
	json_t *status = json_object_get(pod, "status");
	json_t *ctrs = json_object_get(spec, "containers");
	struct pod_state *ps = xcalloc(1, sizeof *ps);
	ps->ns = xstrdup(meta_str(pod, "namespace"));
	ps->name = xstrdup(meta_str(pod, "name"));
	ps->uid = xstrdup(meta_str(pod, "uid"));
	ps->node = xstrdup(jstr(spec, "nodeName"));
	pod_requests(spec, &ps->req_cpu_m, &ps->req_mem);
	unsigned nidx;
	ps->node_idx = ps->node && sscanf(ps->node, "sim-node-%u", &nidx) == 1 ? (int)nidx
										: -1;
	ps->seed = sim_pod_seed(w, ps->ns, ps->name);
	const char *rp = jstr(spec, "restartPolicy");
	ps->restart_policy = rp ? rp[0] : 'A';
	ps->nctr = (int)json_array_size(ctrs);
	ps->c = xcalloc(ps->nctr ? (size_t)ps->nctr : 1, sizeof *ps->c);
	const char *pip = jstr(status, "podIP");
	if (pip) {
		snprintf(ps->ip, sizeof ps->ip, "%s", pip);
	} else {
		unsigned n = w->ip_next++;
		snprintf(ps->ip, sizeof ps->ip, "10.244.%u.%u", (n / 250) % 256,
			 n % 250 + 2);
	}
	long long started = sim_world_parse_time(jstr(status, "startTime"));
	int adopt = started && !strcmp(jstr(status, "phase") ? jstr(status, "phase") : "",
				       "Running");
	ps->t_start = adopt ? started : now;
	ps->t_sched = ps->t_init = ps->t_ready_change = ps->t_start;
	for (int i = 0; i < ps->nctr; i++) {
		json_t *cj = json_array_get(ctrs, (size_t)i);
		struct ctr *c = &ps->c[i];
		c->name = xstrdup(jstr(cj, "name") ? jstr(cj, "name") : "");
		c->image = xstrdup(jstr(cj, "image") ? jstr(cj, "image") : "");
		classify(c, cj);
		const char *pol = jstr(cj, "imagePullPolicy");
		c->policy = pol ? pol[0] : 'A';
		c->t_state = now;
		if (adopt) {
			json_t *cs = json_array_get(json_object_get(status,
					"containerStatuses"), (size_t)i);
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
			if (c->policy != 'A' && sim_node_has_image(w, ps->node, c->image)) {
				c->present = 1;
				c->t_next = now + 200;
			} else if (c->policy == 'N') {
				c->never = 1;
				c->st = CS_PULL_ERR;
				c->pull_msg = xasprintf("Container image \"%s\" is not present "
							"with pull policy of Never", c->image);
				c->t_next = 0;
			} else {
				c->t_next = now + 800 + (long long)(mix(ps->seed + (uint64_t)i) % 1500);
			}
		}
	}
	if (adopt) {
		int r = 1;
		for (int i = 0; i < ps->nctr; i++)
			r &= ps->c[i].ready;
		ps->ready = r;
		return ps;
	}
	for (int i = 0; i < ps->nctr; i++) {
		struct ctr *c = &ps->c[i];
		if (c->never)
			kev(s, ps, c, "Warning", "ErrImageNeverPull", "%s", c->pull_msg);
		else if (!c->present)
			kev(s, ps, c, "Normal", "Pulling", "Pulling image \"%s\"", c->image);
	}
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
	size_t nodes_load[64];
	double node_cpu[64], node_mem[64]; /* requested on each node */
};

static void load_add(struct scan *sc, int idx, double cpu, double mem)
{
	if (idx < 0 || idx >= 64)
		return;
	sc->nodes_load[idx]++;
	sc->node_cpu[idx] += cpu;
	sc->node_mem[idx] += mem;
}

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
		load_add(sc, ps->node_idx, ps->req_cpu_m, ps->req_mem);
	} else if (node && sscanf(node, "sim-node-%u", &idx) == 1) {
		double cpu, mem;
		pod_requests(spec, &cpu, &mem);
		load_add(sc, (int)idx, cpu, mem);
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

/* Why nodes did not fit, counted as the scheduler reports them. */
enum misfit { MF_SELECTOR, MF_UNSCHEDULABLE, MF_PODS, MF_CPU, MF_MEMORY, MF_N };
static const char *const misfit_words[MF_N] = {
	[MF_SELECTOR] = "node(s) didn't match node selector",
	[MF_UNSCHEDULABLE] = "node(s) were unschedulable",
	[MF_PODS] = "Too many pods",
	[MF_CPU] = "Insufficient cpu",
	[MF_MEMORY] = "Insufficient memory",
};

struct node_pick {
	const struct scan *sc;
	const json_t *selector;
	double cpu, mem;
	char best[128];
	size_t best_load;
	int nodes;
	int misfits[MF_N];
};

static int pick_node(json_t *node, void *ud)
{
	struct node_pick *np = ud;
	const char *name = meta_str(node, "name");
	if (!name)
		return 0;
	np->nodes++;
	unsigned idx = 0;
	int i = sscanf(name, "sim-node-%u", &idx) == 1 && idx < 64 ? (int)idx : -1;
	json_t *labels = json_object_get(json_object_get(node, "metadata"), "labels");
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)np->selector, k, v)
		if (!json_equal(v, json_object_get(labels, k))) {
			np->misfits[MF_SELECTOR]++;
			return 0;
		}
	if (json_is_true(json_object_get(json_object_get(node, "spec"), "unschedulable"))) {
		np->misfits[MF_UNSCHEDULABLE]++;
		return 0;
	}
	json_t *alloc = json_object_get(json_object_get(node, "status"), "allocatable");
	size_t load = i >= 0 ? np->sc->nodes_load[i] : 0;
	double used_cpu = i >= 0 ? np->sc->node_cpu[i] : 0;
	double used_mem = i >= 0 ? np->sc->node_mem[i] : 0;
	if (jstr(alloc, "pods") && (double)load + 1 > quantity(jstr(alloc, "pods"), 0)) {
		np->misfits[MF_PODS]++;
		return 0;
	}
	int cpu_short = jstr(alloc, "cpu") && used_cpu + np->cpu > quantity(jstr(alloc, "cpu"), 1);
	int mem_short = jstr(alloc, "memory") &&
			used_mem + np->mem > quantity(jstr(alloc, "memory"), 0);
	if (cpu_short || mem_short) {
		if (cpu_short)
			np->misfits[MF_CPU]++;
		if (mem_short)
			np->misfits[MF_MEMORY]++;
		return 0;
	}
	if (!np->best[0] || load < np->best_load) {
		snprintf(np->best, sizeof np->best, "%s", name);
		np->best_load = load;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match
 * node selector." - the reasons sorted as the scheduler sorts them. */
static char *unschedulable_message(const struct node_pick *np)
{
	char *parts[MF_N];
	int n = 0;
	for (int i = 0; i < MF_N; i++)
		if (np->misfits[i])
			parts[n++] = xasprintf("%d %s", np->misfits[i], misfit_words[i]);
	qsort(parts, (size_t)n, sizeof *parts, cmp_str);
	struct dbuf b;
	dbuf_init(&b, 4096);
	dbuf_printf(&b, "0/%d nodes are available", np->nodes);
	for (int i = 0; i < n; i++) {
		dbuf_printf(&b, "%s%s", i ? ", " : ": ", parts[i]);
		free(parts[i]);
	}
	dbuf_puts(&b, ".");
	return dbuf_take(&b);
}

/* The scheduler retries a pod that fits nowhere, as nodes and pods change. */
#define RESCHEDULE_MS 5000

static void unschedulable(struct sim *s, struct scan *sc, json_t *pod,
			  const struct node_pick *np)
{
	char *msg = unschedulable_message(np);
	char key[600];
	snprintf(key, sizeof key, "%s\x1f%s", meta_str(pod, "namespace"),
		 meta_str(pod, "name"));
	long long *next = xmalloc(sizeof *next);
	*next = sc->now + RESCHEDULE_MS;
	smap_put(&sc->w->unsched, key, next);
	sim_event(s, pod, "Warning", "FailedScheduling", "default-scheduler", "%s", msg);
	json_t *c = json_array_get(json_object_get(json_object_get(pod, "status"),
						   "conditions"), 0);
	if (c && !strcmp(jstr(c, "reason") ? jstr(c, "reason") : "", "Unschedulable") &&
	    !strcmp(jstr(c, "message") ? jstr(c, "message") : "", msg)) {
		free(msg);
		return;
	}
	char t[32];
	fmt_time(s, sc->now, t);
	json_t *copy = json_deep_copy(pod);
	json_t *status = json_object_get(copy, "status");
	if (!json_is_object(status)) {
		status = json_object();
		json_object_set_new(copy, "status", status);
	}
	json_object_set_new(status, "phase", json_string("Pending"));
	json_object_set_new(status, "conditions",
			    json_pack("[o]", cond("PodScheduled", 0, t, "Unschedulable", msg)));
	struct sim_status st = { 0 };
	sim_store_update(s, sim_kind_find("", "pods"), meta_str(pod, "namespace"), copy,
			 NULL, &st);
	sim_status_clear(&st);
	free(msg);
}

/* Bind pod to the least loaded node that fits it (node selector,
 * unschedulable, pod count, cpu and memory requests): nodeName,
 * PodScheduled, Scheduled. */
static void schedule(struct sim *s, struct scan *sc, json_t *pod)
{
	json_t *spec = json_object_get(pod, "spec");
	struct node_pick np = { .sc = sc, .selector = json_object_get(spec, "nodeSelector") };
	pod_requests(spec, &np.cpu, &np.mem);
	sim_store_each(s, sim_kind_find("", "nodes"), NULL, pick_node, &np);
	if (!np.best[0]) {
		if (np.nodes)
			unschedulable(s, sc, pod, &np);
		return;
	}
	char key[600];
	snprintf(key, sizeof key, "%s\x1f%s", meta_str(pod, "namespace"),
		 meta_str(pod, "name"));
	smap_del(&sc->w->unsched, key);
	const struct sim_kind *pk = sim_kind_find("", "pods");
	json_t *copy = json_deep_copy(pod);
	json_object_set_new(json_object_get(copy, "spec"), "nodeName",
			    json_string(np.best));
	char t[32];
	fmt_time(s, sc->now, t);
	json_t *status = json_object_get(copy, "status");
	if (!status) {
		status = json_object();
		json_object_set_new(copy, "status", status);
	}
	json_object_set_new(status, "phase", json_string("Pending"));
	json_object_set_new(status, "conditions",
			    json_pack("[o]", cond("PodScheduled", 1, t, NULL, NULL)));
	struct sim_status st = { 0 };
	json_t *out = NULL;
	if (sim_store_update(s, pk, meta_str(pod, "namespace"), copy, &out, &st) == 0) {
		unsigned idx;
		if (sscanf(np.best, "sim-node-%u", &idx) == 1)
			load_add(sc, (int)idx, np.cpu, np.mem);
		sim_event(s, out, "Normal", "Scheduled", "default-scheduler",
			  "Successfully assigned %s/%s to %s",
			  meta_str(out, "namespace"), meta_str(out, "name"), np.best);
	}
	sim_status_clear(&st);
}

static void act(struct sim *s, struct scan *sc, const char *ns,
		const char *name)
{
	const struct sim_kind *pk = sim_kind_find("", "pods");
	json_t *pod = sim_store_get(s, pk, ns, name);
	struct sim_world *w = sc->w;
	if (!pod) {
		char key[600];
		snprintf(key, sizeof key, "%s\x1f%s", ns, name);
		smap_del(&w->unsched, key);
		return;
	}
	json_t *meta = json_object_get(pod, "metadata");
	int deleting = json_object_get(meta, "deletionTimestamp") != NULL;
	const char *uid = meta_str(pod, "uid");
	struct pod_state *ps = smap_get(&w->pods, uid);
	if (!ps) {
		if (!jstr(json_object_get(pod, "spec"), "nodeName")) {
			struct sim_status st = { 0 };
			if (deleting)
				sim_store_remove(s, pk, ns, name, &st);
			else
				schedule(s, sc, pod);
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
		smap_del(&w->pods, uid);
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
	long long n = 0;
	struct smap_ent *e;
	for (size_t i = 0; (i = smap_next(&w->unsched, i, &e));) {
		long long t = *(long long *)e->val;
		if (!n || t < n)
			n = t;
	}
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
		smap_del(&sc->w->pods, uid);
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
		char key[600];
		snprintf(key, sizeof key, "%s\x1f%s", meta_str(pod, "namespace"),
			 meta_str(pod, "name"));
		long long *next = smap_get(&sc->w->unsched, key);
		if (next && *next > sc->now &&
		    !json_object_get(json_object_get(pod, "metadata"), "deletionTimestamp"))
			return;
	}
	todo_add(sc, meta_str(pod, "namespace"), meta_str(pod, "name"));
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
		smap_del(&w->pods, gone[i]);
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
			load_add(&sc, ps->node_idx, ps->req_cpu_m, ps->req_mem);
			if (ps->dirty || (next && next <= sc.now))
				todo_add(&sc, ps->ns, ps->name);
		}
	}
	/* Pods that fit nowhere are tried again from time to time. */
	struct smap_ent *ue;
	for (size_t i = 0; (i = smap_next(&w->unsched, i, &ue));) {
		if (*(long long *)ue->val > sc.now)
			continue;
		const char *sep = strchr(ue->key, '\x1f');
		char *ns = xstrndup(ue->key, (size_t)(sep - ue->key));
		todo_add(&sc, ns, sep + 1);
		free(ns);
	}
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

/* ---- logs through the API ------------------------------------------------ */

static struct ctr *find_ctr(struct sim *s, const char *ns, const char *pod,
			    const char *container, struct pod_state **psp,
			    struct sim_status *st)
{
	const struct sim_kind *pk = sim_kind_find("", "pods");
	json_t *obj = sim_store_get(s, pk, ns, pod);
	if (!obj) {
		if (st)
			sim_status_not_found(st, pk, pod);
		return NULL;
	}
	json_t *ctrs = json_object_get(json_object_get(obj, "spec"), "containers");
	if (!container) {
		if (json_array_size(ctrs) > 1) {
			struct dbuf b;
			dbuf_init(&b, 4096);
			size_t i;
			json_t *c;
			json_array_foreach(ctrs, i, c)
				dbuf_printf(&b, "%s%s", i ? " " : "", jstr(c, "name"));
			if (st)
				sim_status_set(st, 400, "BadRequest",
					       "a container name must be specified for pod %s, choose one of: [%s]",
					       pod, b.p ? b.p : "");
			dbuf_free(&b);
			return NULL;
		}
		container = jstr(json_array_get(ctrs, 0), "name");
	}
	struct pod_state *ps = smap_get(&sim_world(s)->pods, meta_str(obj, "uid"));
	for (int i = 0; ps && container && i < ps->nctr; i++)
		if (!strcmp(ps->c[i].name, container)) {
			*psp = ps;
			return &ps->c[i];
		}
	size_t i;
	json_t *c;
	json_array_foreach(ctrs, i, c)
		if (container && !strcmp(jstr(c, "name") ? jstr(c, "name") : "", container)) {
			if (st)
				sim_status_set(st, 400, "BadRequest",
					       "container \"%s\" in pod \"%s\" is waiting to start: ContainerCreating",
					       container, pod);
			return NULL;
		}
	if (st)
		sim_status_set(st, 400, "BadRequest",
			       "container %s is not valid for pod %s",
			       container ? container : "", pod);
	return NULL;
}

int sim_pod_log_lines(struct sim *s, const char *ns, const char *pod,
		      const char *container, int previous,
		      void (*fn)(long long ts_ms, const char *line, void *ud),
		      void *ud, struct sim_status *st)
{
	struct pod_state *ps = NULL;
	struct ctr *c = find_ctr(s, ns, pod, container, &ps, st);
	if (!c)
		return -1;
	const struct ctr_inst *in = previous ? &c->prev : &c->cur;
	if (previous && !in->start_ms) {
		sim_status_set(st, 400, "BadRequest",
			       "previous terminated container \"%s\" in pod \"%s\" not found",
			       c->name, pod);
		return -1;
	}
	if (!in->start_ms) {
		const char *why = c->st == CS_PULL_ERR ? "trying and failing to pull image"
				  : c->st == CS_PULL_BACKOFF ? "image can't be pulled"
							     : "ContainerCreating";
		sim_status_set(st, 400, "BadRequest",
			       "container \"%s\" in pod \"%s\" is waiting to start: %s",
			       c->name, pod, why);
		return -1;
	}
	struct logctx x = { .ps = ps, .c = c, .in = in,
			    .upto = sim_world_wall_ms(s) };
	run_log(&x);
	x.skip = x.n > LOG_MAX_LINES ? x.n - LOG_MAX_LINES : 0;
	x.n = 0;
	x.fn = fn;
	x.ud = ud;
	run_log(&x);
	return 0;
}

long long sim_pod_log_seq(struct sim *s, const char *ns, const char *pod,
			  const char *container)
{
	struct pod_state *ps = NULL;
	struct ctr *c = find_ctr(s, ns, pod, container, &ps, NULL);
	if (!c || !c->cur.start_ms)
		return -1;
	struct logctx x = { .ps = ps, .c = c, .in = &c->cur,
			    .upto = sim_world_wall_ms(s) };
	run_log(&x);
	return ((long long)c->restarts << 32) | x.n;
}

static void cat_line(long long ts, const char *line, void *ud)
{
	(void)ts;
	struct dbuf *b = ud;
	dbuf_puts(b, line);
	dbuf_puts(b, "\n");
}

char *sim_pod_logs(struct sim *s, const char *ns, const char *pod,
		   const char *container, int previous, struct sim_status *st)
{
	struct dbuf b;
	dbuf_init(&b, 0);
	if (sim_pod_log_lines(s, ns, pod, container, previous, cat_line, &b, st) < 0) {
		dbuf_free(&b);
		return NULL;
	}
	if (!b.p)
		return xstrdup("");
	return dbuf_take(&b);
}
