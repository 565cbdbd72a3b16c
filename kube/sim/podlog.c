/*
 * podlog.c - what containers write to their logs, and the pod log as the
 * API serves it. A container's log is a pure function of the pod, the
 * container's run and simulated time - nginx's entrypoint banner and
 * access lines, redis's and the runtime's banners, a shell command's
 * echoes in order - so 10,000 pods cost no log memory until one is read;
 * the last LOG_MAX_LINES lines are kept, as the kubelet's ring would keep
 * them, and the previous run's log stays readable after a restart.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kube/sim/world.h"

#define LOG_MAX_LINES 5000 /* the ring a container's log is kept in */

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static const char *meta_str(const json_t *o, const char *k)
{
	return jstr(json_object_get(o, "metadata"), k);
}

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
	uint64_t seed = x->ps->seed ^ sim_hash_str(0, c->name) ^
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
			uint64_t r = sim_mix(seed + k);
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
