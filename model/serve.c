/*
 * serve.c - the model server that model images run (`podium serve`): the
 * Open Inference Protocol (KServe v2) and the v1 / TF-Serving REST form
 * over libmicrohttpd, plus /metrics for Prometheus.
 *
 * A server is two parts: the model (struct serve_model: the networks and
 * the request shape) and the HTTP front (daemon, port, /metrics). `podium
 * serve` makes one of each; the simulated cluster shares one model among
 * the servers of every pod running it, as each real pod counts its own.
 *
 * Threads: libmicrohttpd runs a pool of --threads threads over epoll,
 * each serving its share of the connections, and each inference worker
 * owns a network: the engine's networks are not thread-safe (each owns
 * its workspace), so the server copies the model's weights into one per
 * thread. A request borrows one for its forward pass and gives it back
 * (with as many networks as threads the borrow never waits). This was
 * measured against a thread per connection sharing the same networks:
 * on two cores the pool served 25% more single-image and 80% more
 * batch-64 requests per second with a p99 latency 5-8 times lower, since
 * runnable threads never outnumber the cores. The cost: a health probe
 * that lands on a busy thread waits for the forward pass in progress
 * (milliseconds even for a full batch).
 *
 * Shutdown (SIGTERM from Kubernetes, handled by the caller): readiness
 * turns 503 so the endpoint is taken out of the Service, the listening
 * socket is closed, requests already in flight are finished, then the
 * daemon stops.
 */
#define _POSIX_C_SOURCE 200809L
#include "model/model.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Images per forward pass: a bigger request is run in chunks, so each
 * worker's workspace stays a few megabytes whatever --max-batch is. */
#define NET_CHUNK 64
/* Bytes of JSON allowed per input value: "0.123456789," is 12; nested
 * arrays and white space add some. */
#define BODY_BYTES_PER_VALUE 24
#define BODY_MIN	     (64u * 1024u)

/* What a server answers with: the model's networks and request shape.
 * Shareable: several servers (the simulated cluster's pods of one model)
 * may borrow one, each with its own port and /metrics. */
struct serve_model {
	char *name, *version, *sha256;
	struct infer_spec spec;
	int classes;
	size_t max_body;

	/* the pool of networks: free[0..nfree) are idle */
	struct net **nets;
	int nnets;
	struct net **free;
	int nfree;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

struct serve {
	struct MHD_Daemon *d;
	struct serve_model *m;
	int owns_model; /* made by serve_start, freed with the server */
	int port;
	struct metrics *metrics;

	atomic_int inflight; /* requests between first call and completion */
	atomic_int stopping;
};

/* One request's state, from its first call to its completion. */
struct conn {
	struct dbuf body;
	int too_big;
	int answered; /* a response was queued before the body was read */
	double t0;    /* seconds, monotonic */
};

enum route_kind {
	R_LIVE,
	R_READY,
	R_SERVER_META,
	R_MODEL_META,
	R_MODEL_READY,
	R_INFER,
	R_V1_LIST,
	R_V1_STATUS,
	R_V1_PREDICT,
	R_METRICS,
	R_NONE,
};

/* Fixed paths; model paths are matched in route(). */
static const struct route_entry {
	const char *path;
	enum route_kind kind;
} fixed_routes[] = {
	{"/v2/health/live", R_LIVE},
	{"/v2/health/ready", R_READY},
	{"/v2", R_SERVER_META},
	{"/v2/", R_SERVER_META},
	{"/v1/models", R_V1_LIST},
	{"/metrics", R_METRICS},
	{NULL, R_NONE},
};

/* Per route: the method it takes and its metrics endpoint. */
static const struct route_info {
	const char *method;
	enum metrics_endpoint ep;
} route_info[] = {
	[R_LIVE] = {"GET", METRICS_LIVE},
	[R_READY] = {"GET", METRICS_READY},
	[R_SERVER_META] = {"GET", METRICS_SERVER_META},
	[R_MODEL_META] = {"GET", METRICS_MODEL_META},
	[R_MODEL_READY] = {"GET", METRICS_MODEL_READY},
	[R_INFER] = {"POST", METRICS_INFER},
	[R_V1_LIST] = {"GET", METRICS_V1_STATUS},
	[R_V1_STATUS] = {"GET", METRICS_V1_STATUS},
	[R_V1_PREDICT] = {"POST", METRICS_V1_PREDICT},
	[R_METRICS] = {"GET", METRICS_METRICS},
	[R_NONE] = {NULL, METRICS_OTHER},
};

/* A request's path, decided: the route, or why there is none. */
struct routed {
	enum route_kind kind;
	int status;  /* 404 when kind is R_NONE */
	char *error; /* the message for that 404; caller frees */
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Does s[0..n) equal the NUL-terminated t? */
static int span_eq(const char *s, size_t n, const char *t)
{
	return strlen(t) == n && memcmp(s, t, n) == 0;
}

static char *not_found_model(const struct serve *s, const char *name, size_t n)
{
	char *clean = sanitize_text(name, n, 0);
	char *m =
		xasprintf("model \"%.100s\" not found: this server has \"%s\"",
			  clean, s->m->name);
	free(clean);
	return m;
}

/*
 * /v2/models/NAME[/versions/V][/ready|/infer], /v1/models/NAME[:predict]
 * and the fixed paths.
 */
static struct routed route(const struct serve *s, const char *url)
{
	struct routed r = {R_NONE, 404, NULL};
	for (const struct route_entry *f = fixed_routes; f->path; f++)
		if (strcmp(url, f->path) == 0) {
			r.kind = f->kind;
			return r;
		}
	if (strncmp(url, "/v2/models/", 11) == 0) {
		const char *name = url + 11, *slash = strchr(name, '/');
		size_t n = slash ? (size_t)(slash - name) : strlen(name);
		const char *rest = slash ? slash : "";
		if (!span_eq(name, n, s->m->name)) {
			r.error = not_found_model(s, name, n);
			return r;
		}
		if (strncmp(rest, "/versions/", 10) == 0) {
			const char *v = rest + 10, *vs = strchr(v, '/');
			size_t vn = vs ? (size_t)(vs - v) : strlen(v);
			if (!span_eq(v, vn, s->m->version)) {
				char *clean = sanitize_text(v, vn, 0);
				r.error =
					xasprintf("model \"%s\" has no version "
						  "\"%.64s\": it is \"%s\"",
						  s->m->name, clean, s->m->version);
				free(clean);
				return r;
			}
			rest = vs ? vs : "";
		}
		if (!*rest)
			r.kind = R_MODEL_META;
		else if (strcmp(rest, "/ready") == 0)
			r.kind = R_MODEL_READY;
		else if (strcmp(rest, "/infer") == 0)
			r.kind = R_INFER;
		return r;
	}
	if (strncmp(url, "/v1/models/", 11) == 0) {
		const char *name = url + 11, *colon = strchr(name, ':');
		size_t n = colon ? (size_t)(colon - name) : strlen(name);
		if (memchr(name, '/', n))
			return r;
		if (!span_eq(name, n, s->m->name)) {
			r.error = not_found_model(s, name, n);
			return r;
		}
		if (!colon)
			r.kind = R_V1_STATUS;
		else if (strcmp(colon, ":predict") == 0)
			r.kind = R_V1_PREDICT;
		return r;
	}
	return r;
}

/* Queue a response that takes ownership of body (malloc'd) and count it. */
static enum MHD_Result respond(struct serve *s, struct MHD_Connection *c,
			       enum metrics_endpoint ep, int status, char *body,
			       const char *ctype, const char *allow)
{
	struct MHD_Response *res = MHD_create_response_from_buffer(
		strlen(body), body, MHD_RESPMEM_MUST_FREE);
	if (!res) {
		free(body);
		return MHD_NO; /* closes the connection */
	}
	MHD_add_response_header(res, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (allow)
		MHD_add_response_header(res, MHD_HTTP_HEADER_ALLOW, allow);
	if (atomic_load(&s->stopping))
		MHD_add_response_header(res, MHD_HTTP_HEADER_CONNECTION,
					"close");
	enum MHD_Result r = MHD_queue_response(c, (unsigned)status, res);
	MHD_destroy_response(res);
	metrics_request(s->metrics, ep, status);
	return r;
}

static enum MHD_Result respond_json(struct serve *s, struct MHD_Connection *c,
				    enum metrics_endpoint ep, int status,
				    char *body)
{
	return respond(s, c, ep, status, body, "application/json", NULL);
}

static enum MHD_Result respond_error(struct serve *s, struct MHD_Connection *c,
				     enum metrics_endpoint ep, int status,
				     const char *msg)
{
	return respond_json(s, c, ep, status, infer_req_error_json(msg));
}

static struct net *net_acquire(struct serve_model *m)
{
	pthread_mutex_lock(&m->lock);
	while (m->nfree == 0)
		pthread_cond_wait(&m->cond, &m->lock);
	struct net *n = m->free[--m->nfree];
	pthread_mutex_unlock(&m->lock);
	return n;
}

static void net_release(struct serve_model *m, struct net *n)
{
	pthread_mutex_lock(&m->lock);
	m->free[m->nfree++] = n;
	pthread_cond_signal(&m->cond);
	pthread_mutex_unlock(&m->lock);
}

/* Run r's images through a pooled network into probs [n,classes]. */
static int forward(struct serve *s, const struct infer_req *r, float *probs)
{
	struct net *n = net_acquire(s->m);
	size_t chw = (size_t)(s->m->spec.c * s->m->spec.h * s->m->spec.w);
	int rc = 0;
	for (size_t done = 0; done < r->n && rc == 0;) {
		size_t k = r->n - done < NET_CHUNK ? r->n - done : NET_CHUNK;
		rc = net_forward(n, r->x + done * chw, (int)k,
				 probs + done * (size_t)s->m->classes);
		done += k;
	}
	net_release(s->m, n);
	return rc;
}

static enum MHD_Result do_infer(struct serve *s, struct MHD_Connection *c,
				struct conn *cs, int v1)
{
	enum metrics_endpoint ep = v1 ? METRICS_V1_PREDICT : METRICS_INFER;
	struct infer_req r;
	struct perr e = {{0}};
	if (cs->too_big) {
		char msg[128];
		snprintf(msg, sizeof msg,
			 "request body is over the limit of %zu bytes",
			 s->m->max_body);
		return respond_error(s, c, ep, 400, msg);
	}
	int rc = v1 ? infer_req_parse_v1(&s->m->spec, cs->body.p, cs->body.len, &r,
					 &e)
		    : infer_req_parse_v2(&s->m->spec, cs->body.p, cs->body.len, &r,
					 &e);
	if (rc < 0)
		return respond_error(s, c, ep, 400, e.msg);
	float *probs = xmalloc(r.n * (size_t)s->m->classes * sizeof *probs);
	if (forward(s, &r, probs) < 0) {
		free(probs);
		infer_req_free(&r);
		return respond_error(s, c, ep, 500, "the forward pass failed");
	}
	char *body = v1 ? infer_req_v1_reply(&r, probs, s->m->classes)
			: infer_req_v2_reply(&r, probs, s->m->classes, s->m->name,
					     s->m->version);
	metrics_infer(s->metrics, r.n, now_s() - cs->t0);
	free(probs);
	infer_req_free(&r);
	return respond_json(s, c, ep, 200, body);
}

static char *model_metadata(const struct serve *s)
{
	struct dbuf b;
	dbuf_init(&b, 0);
	dbuf_puts(&b, "{\"name\":");
	infer_req_json_string(&b, s->m->name);
	dbuf_puts(&b, ",\"versions\":[");
	infer_req_json_string(&b, s->m->version);
	dbuf_printf(
		&b,
		"],\"platform\":\"podium\",\"inputs\":[{\"name\":\"input\","
		"\"datatype\":\"FP32\",\"shape\":[-1,%d,%d,%d]}],"
		"\"outputs\":[{\"name\":\"probabilities\",\"datatype\":"
		"\"FP32\","
		"\"shape\":[-1,%d]},{\"name\":\"label\",\"datatype\":\"INT64\","
		"\"shape\":[-1]}],\"parameters\":{\"sha256\":",
		s->m->spec.c, s->m->spec.h, s->m->spec.w, s->m->classes);
	infer_req_json_string(&b, s->m->sha256);
	dbuf_printf(&b,
		    ",\"input_scale\":%.9g,\"input_shift\":%.9g,\"max_batch\":%"
		    "zu}}",
		    (double)s->m->spec.u8_scale, (double)s->m->spec.u8_shift,
		    s->m->spec.max_batch);
	return dbuf_take(&b);
}

static enum MHD_Result dispatch(struct serve *s, struct MHD_Connection *c,
				struct conn *cs, const struct routed *rt)
{
	enum metrics_endpoint ep = route_info[rt->kind].ep;
	int ready = !atomic_load(&s->stopping);
	struct dbuf b;
	switch (rt->kind) {
	case R_LIVE:
		return respond_json(s, c, ep, 200, xstrdup("{\"live\":true}"));
	case R_READY:
	case R_MODEL_READY:
		if (rt->kind == R_MODEL_READY) {
			dbuf_init(&b, 0);
			dbuf_puts(&b, "{\"name\":");
			infer_req_json_string(&b, s->m->name);
			dbuf_printf(&b, ",\"ready\":%s}",
				    ready ? "true" : "false");
			return respond_json(s, c, ep, ready ? 200 : 503,
					    dbuf_take(&b));
		}
		return respond_json(
			s, c, ep, ready ? 200 : 503,
			xasprintf("{\"ready\":%s}", ready ? "true" : "false"));
	case R_SERVER_META:
		return respond_json(s, c, ep, 200,
				    xstrdup("{\"name\":\"podium\",\"version\":"
					    "\"" PODIUM_VERSION
					    "\",\"extensions\":[]}"));
	case R_MODEL_META:
		return respond_json(s, c, ep, 200, model_metadata(s));
	case R_V1_LIST:
		dbuf_init(&b, 0);
		dbuf_puts(&b, "{\"models\":[");
		infer_req_json_string(&b, s->m->name);
		dbuf_puts(&b, "]}");
		return respond_json(s, c, ep, 200, dbuf_take(&b));
	case R_V1_STATUS:
		/* KServe v1's {"name","ready"} and TF-Serving's version status
		 */
		dbuf_init(&b, 0);
		dbuf_puts(&b, "{\"name\":");
		infer_req_json_string(&b, s->m->name);
		dbuf_printf(
			&b,
			",\"ready\":%s,\"model_version_status\":[{\"version\":",
			ready ? "true" : "false");
		infer_req_json_string(&b, s->m->version);
		dbuf_printf(
			&b,
			",\"state\":\"%s\",\"status\":{\"error_code\":\"OK\","
			"\"error_message\":\"\"}}]}",
			ready ? "AVAILABLE" : "UNLOADING");
		return respond_json(s, c, ep, 200, dbuf_take(&b));
	case R_METRICS:
		return respond(s, c, ep, 200, metrics_render(s->metrics),
			       "text/plain; version=0.0.4; charset=utf-8",
			       NULL);
	case R_INFER:
		return do_infer(s, c, cs, 0);
	case R_V1_PREDICT:
		return do_infer(s, c, cs, 1);
	case R_NONE:
		break;
	}
	return respond_error(s, c, ep, 404, "not found");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct serve *s = cls;
	struct conn *cs = *con_cls;
	(void)version;

	if (!cs) {
		cs = xcalloc(1, sizeof *cs);
		cs->t0 = now_s();
		dbuf_init(&cs->body, s->m->max_body);
		*con_cls = cs;
		atomic_fetch_add(&s->inflight, 1);
		/* A declared length over the limit is refused before reading
		 * any of it (the connection is then closed). */
		const char *cl = MHD_lookup_connection_value(
			c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		unsigned long long declared = cl ? strtoull(cl, NULL, 10) : 0;
		if (declared > s->m->max_body) {
			struct routed rt = route(s, url);
			free(rt.error);
			cs->too_big = 1;
			cs->answered = 1;
			char msg[128];
			snprintf(msg, sizeof msg,
				 "request body is over the limit of %zu bytes",
				 s->m->max_body);
			return respond_error(s, c, route_info[rt.kind].ep, 400,
					     msg);
		}
		/* the body in one allocation rather than doubling up to it */
		if (declared)
			dbuf_reserve(&cs->body, (size_t)declared);
		return MHD_YES;
	}
	if (cs->answered) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (*upload_size) {
		if (!cs->too_big &&
		    dbuf_append(&cs->body, upload, *upload_size) < 0) {
			cs->too_big = 1;
			dbuf_free(&cs->body);
		}
		*upload_size = 0;
		return MHD_YES;
	}

	struct routed rt = route(s, url);
	enum metrics_endpoint ep = route_info[rt.kind].ep;
	enum MHD_Result res;
	if (rt.kind == R_NONE) {
		char *clean = sanitize_text(url, strlen(url), 0);
		char *msg =
			rt.error ? NULL
				 : xasprintf("no such endpoint: %.200s", clean);
		res = respond_error(s, c, ep, 404, rt.error ? rt.error : msg);
		free(msg);
		free(clean);
		free(rt.error);
		return res;
	}
	const char *want = route_info[rt.kind].method;
	int ok = strcmp(method, want) == 0 ||
		 (strcmp(want, "GET") == 0 && strcmp(method, "HEAD") == 0);
	if (!ok) {
		char msg[128];
		const char *allow =
			strcmp(want, "GET") == 0 ? "GET, HEAD" : want;
		char *m = sanitize_text(method, strlen(method), 0);
		snprintf(msg, sizeof msg, "method %.20s not allowed: use %s", m,
			 want);
		free(m);
		return respond(s, c, ep, 405, infer_req_error_json(msg),
			       "application/json", allow);
	}
	return dispatch(s, c, cs, &rt);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct serve *s = cls;
	struct conn *cs = *con_cls;
	(void)c;
	(void)toe;
	if (!cs)
		return;
	dbuf_free(&cs->body);
	free(cs);
	*con_cls = NULL;
	atomic_fetch_sub(&s->inflight, 1);
}

/* A copy of proto's architecture and weights with its own workspace. */
static struct net *net_copy(struct net *proto, struct perr *e)
{
	struct net *n = net_new(net_get_arch(proto), NET_CHUNK, e);
	if (!n)
		return NULL;
	for (int i = 0; i < net_n_params(proto); i++) {
		struct net_param a, b;
		net_param(proto, i, &a);
		net_param(n, i, &b);
		memcpy(b.data, a.data, a.count * sizeof *a.data);
	}
	return n;
}

void serve_model_free(struct serve_model *m)
{
	if (!m)
		return;
	for (int i = 0; i < m->nnets; i++)
		net_free(m->nets[i]);
	free(m->nets);
	free(m->free);
	pthread_mutex_destroy(&m->lock);
	pthread_cond_destroy(&m->cond);
	free(m->name);
	free(m->version);
	free(m->sha256);
	free(m);
}

static void serve_free(struct serve *s)
{
	if (!s)
		return;
	metrics_free(s->metrics);
	if (s->owns_model)
		serve_model_free(s->m);
	free(s);
}

int serve_model_new(struct net *net, struct net_scaling sc, const char *sha256,
		    const struct serve_opts *o, struct serve_model **out,
		    struct perr *e)
{
	const struct net_arch *a = net_get_arch(net);

	*out = NULL;
	if (!o->name || !*o->name || strchr(o->name, '/') ||
	    strchr(o->name, ':')) {
		perr_set(e,
			 "model name \"%s\" must be non-empty without '/' or "
			 "':'",
			 o->name ? o->name : "");
		return -1;
	}
	if (o->threads < 1 || o->threads > 256) {
		perr_set(e, "--threads must be 1..256, not %d", o->threads);
		return -1;
	}
	if (o->max_batch < 1 || o->max_batch > 65536) {
		perr_set(e, "--max-batch must be 1..65536, not %zu",
			 o->max_batch);
		return -1;
	}
	struct serve_model *m = xcalloc(1, sizeof *m);
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->cond, NULL);
	m->name = xstrdup(o->name);
	m->sha256 = xstrdup(sha256 ? sha256 : "");
	m->version = sha256 && strlen(sha256) >= 12 ? xstrndup(sha256, 12)
						    : xstrdup("1");
	m->spec.c = a->in_c;
	m->spec.h = a->in_h;
	m->spec.w = a->in_w;
	m->spec.u8_scale = sc.scale;
	m->spec.u8_shift = sc.shift;
	m->spec.max_batch = o->max_batch;
	m->classes = net_arch_classes(a);
	size_t values = o->max_batch * (size_t)(a->in_c * a->in_h * a->in_w);
	m->max_body = o->max_body ? o->max_body
				  : values * BODY_BYTES_PER_VALUE + BODY_MIN;
	m->nnets = o->threads;
	m->nets = xcalloc((size_t)m->nnets, sizeof *m->nets);
	m->free = xcalloc((size_t)m->nnets, sizeof *m->free);
	for (int i = 0; i < m->nnets; i++) {
		if (!(m->nets[i] = net_copy(net, e))) {
			serve_model_free(m);
			return -1;
		}
		m->free[m->nfree++] = m->nets[i];
	}
	*out = m;
	return 0;
}

int serve_start_model(struct serve_model *m, const struct serve_opts *o,
		      struct serve **out, struct perr *e)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr *sa;
	unsigned flags =
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ITC;

	*out = NULL;
	if (o->threads < 1 || o->threads > 256) {
		perr_set(e, "--threads must be 1..256, not %d", o->threads);
		return -1;
	}
	if (o->port < 0 || o->port > 65535) {
		perr_set(e, "--port must be 0..65535, not %d", o->port);
		return -1;
	}
	const char *addr = o->listen ? o->listen : "0.0.0.0";
	memset(&sin, 0, sizeof sin);
	memset(&sin6, 0, sizeof sin6);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)o->port);
		sa = (struct sockaddr *)&sin;
	} else if (inet_pton(AF_INET6, addr, &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons((uint16_t)o->port);
		sa = (struct sockaddr *)&sin6;
		flags |= MHD_USE_IPv6;
	} else {
		perr_set(e, "--listen %s is not a numeric IPv4 or IPv6 address",
			 addr);
		return -1;
	}

	struct serve *s = xcalloc(1, sizeof *s);
	atomic_init(&s->inflight, 0);
	atomic_init(&s->stopping, 0);
	s->m = m;
	s->metrics = metrics_new(m->name, m->version, m->sha256);
	s->d = MHD_start_daemon(
		flags, (uint16_t)o->port, NULL, NULL, on_request, s,
		MHD_OPTION_SOCK_ADDR, sa, MHD_OPTION_NOTIFY_COMPLETED,
		on_completed, s, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)(o->max_conns > 0 ? o->max_conns : 256),
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
		/* libmicrohttpd zeroes the whole pool between two
		 * requests on a connection: 256 KiB (a batch body in
		 * fewer reads) cost 3 us of a 45 us single-image
		 * request and saved 1.5% of a batch of 64 */
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)o->threads,
		MHD_OPTION_END);
	if (!s->d) {
		perr_set(e, "cannot listen on %s port %d: %s", addr, o->port,
			 errno ? strerror(errno)
			       : "libmicrohttpd failed to start");
		serve_free(s);
		return -1;
	}
	const union MHD_DaemonInfo *info =
		MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : o->port;
	*out = s;
	return 0;
}

int serve_start(struct net *net, struct net_scaling sc, const char *sha256,
		const struct serve_opts *o, struct serve **out, struct perr *e)
{
	struct serve_model *m;
	*out = NULL;
	if (serve_model_new(net, sc, sha256, o, &m, e) < 0)
		return -1;
	if (serve_start_model(m, o, out, e) < 0) {
		serve_model_free(m);
		return -1;
	}
	(*out)->owns_model = 1;
	return 0;
}

int serve_port(const struct serve *s)
{
	return s->port;
}

const char *serve_version(const struct serve *s)
{
	return s->m->version;
}

size_t serve_max_body(const struct serve *s)
{
	return s->m->max_body;
}

int serve_stop(struct serve *s, int grace_ms)
{
	if (!s)
		return 0;
	atomic_store(&s->stopping, 1);
	MHD_socket ls = MHD_quiesce_daemon(s->d);
	if (ls != MHD_INVALID_SOCKET)
		close(ls);
	long long deadline = now_ms() + grace_ms;
	int left;
	while ((left = atomic_load(&s->inflight)) > 0 && now_ms() < deadline) {
		struct timespec ts = {0, 5 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	MHD_stop_daemon(s->d);
	serve_free(s);
	return left;
}
