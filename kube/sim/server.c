/*
 * server.c - the simulated cluster's HTTP(S) server on loopback, with
 * libmicrohttpd: one thread per connection (so that a watch may block on
 * its own thread), request bodies capped at 3 MiB, authentication (bearer
 * token; client certificates over TLS), the injected faults, and dispatch
 * to discovery, OpenAPI, the fault endpoint and the API proper.
 */
#define _GNU_SOURCE
#include "kube/sim/server.h"

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

struct sim_server {
	struct sim *s;
	struct MHD_Daemon *d;
	int port;
	int tls;
	char *token;
	char url[64];
	char addr[64];
	struct sim_tls certs;
};

/* Per request: the body as it arrives. */
struct conn_req {
	struct dbuf body;
	int too_large;
};

/* Set r to JSON j with code; takes ownership of j. */
void sim_resp_json(struct sim_resp *r, int code, json_t *j)
{
	r->code = code;
	r->body = json_dumps(j, r->pretty ? JSON_INDENT(2) : JSON_COMPACT);
	r->len = r->body ? strlen(r->body) : 0;
	r->ctype = "application/json";
	json_decref(j);
}

/* Set r to the Status in st. */
void sim_resp_status(struct sim_resp *r, const struct sim_status *st)
{
	sim_resp_json(r, st->code ? st->code : 500, sim_status_json(st));
}

static void sleep_ms(long long ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static enum MHD_Result query_arg(void *cls, enum MHD_ValueKind kind,
				 const char *key, const char *value)
{
	(void)kind;
	sim_query_set(cls, key, value);
	return MHD_YES;
}

/* ---- authentication ---------------------------------------------------- */

/* A client certificate that our CA signed. */
static int client_cert_ok(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return 0;
	gnutls_session_t sess = (gnutls_session_t)ci->tls_session;
	unsigned n = 0;
	if (!gnutls_certificate_get_peers(sess, &n) || n == 0)
		return 0;
	unsigned status = 0;
	return gnutls_certificate_verify_peers2(sess, &status) == 0 && status == 0;
}

/* Constant-time comparison: the token is a secret. */
static int token_eq(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	unsigned char d = na != nb;
	for (size_t i = 0; i < na && i < nb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/* NULL when the request may go on (user set), else the Status to answer:
 * 401 for a wrong token, 403 for anonymous, in the real server's words. */
static int authenticate(struct sim_server *srv, struct MHD_Connection *conn,
			struct sim_request *rq, struct sim_status *st)
{
	if (!srv->token && !srv->tls) {
		rq->user = "admin";
		return 0;
	}
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_AUTHORIZATION);
	if (auth && strncasecmp(auth, "Bearer ", 7) == 0) {
		if (srv->token && token_eq(auth + 7, srv->token)) {
			rq->user = "admin";
			return 0;
		}
		sim_status_set(st, 401, "Unauthorized", "Unauthorized");
		return -1;
	}
	if (auth) {
		sim_status_set(st, 401, "Unauthorized", "Unauthorized");
		return -1;
	}
	if (srv->tls && client_cert_ok(conn)) {
		rq->user = "admin";
		return 0;
	}
	/* Anonymous: forbidden, worded for what was asked. */
	const struct sim_route *rt = &rq->route;
	if (rt->kind) {
		const char *verb = strcmp(rq->method, "GET") == 0
					   ? (rt->type == SIM_ROUTE_COLLECTION
						      ? (sim_query_bool(rq->q.watch) ? "watch"
										     : "list")
						      : "get")
				   : strcmp(rq->method, "POST") == 0  ? "create"
				   : strcmp(rq->method, "PUT") == 0   ? "update"
				   : strcmp(rq->method, "PATCH") == 0 ? "patch"
								      : "delete";
		char res[128];
		char where[300] = "";
		if (rt->has_ns)
			snprintf(where, sizeof where, " in the namespace \"%s\"", rt->ns);
		sim_status_set(st, 403, "Forbidden",
			       "%s is forbidden: User \"system:anonymous\" cannot "
			       "%s resource \"%s\" in API group \"%s\"%s",
			       sim_kind_resource(rt->kind, res, sizeof res), verb,
			       rt->kind->plural, rt->kind->group, where);
		json_t *d = json_object();
		if (rt->kind->group[0])
			json_object_set_new(d, "group", json_string(rt->kind->group));
		json_object_set_new(d, "kind", json_string(rt->kind->plural));
		st->details = d;
	} else {
		sim_status_set(st, 403, "Forbidden",
			       "forbidden: User \"system:anonymous\" cannot %s path "
			       "\"%s\"",
			       strcmp(rq->method, "GET") == 0 ? "get" : "post",
			       rq->path);
		st->details = json_object();
	}
	return -1;
}

/* ---- faults ------------------------------------------------------------- */

/* Apply the injected faults to one request: 0 to go on, -1 with the
 * response set (429 or 500). Stall and latency only delay. */
static int faults(struct sim_server *srv, struct sim_resp *r)
{
	struct sim *s = srv->s;
	for (;;) {
		sim_lock(s);
		long long stall = s->faults.stall_until - now_ms();
		int stopping = s->stopping;
		sim_unlock(s);
		if (stall <= 0 || stopping)
			break;
		sleep_ms(stall < 100 ? stall : 100);
	}
	sim_lock(s);
	long long latency = s->faults.latency_ms;
	long long throttle = s->faults.throttle_until - now_ms();
	double rate = s->faults.error_rate;
	int fail = rate > 0 && (double)(sim_rand(s) % 1000000) / 1e6 < rate;
	sim_unlock(s);
	if (latency > 0)
		sleep_ms(latency);
	struct sim_status st = { 0 };
	if (throttle > 0) {
		long long secs = (throttle + 999) / 1000;
		sim_status_set(&st, 429, "TooManyRequests",
			       "Too many requests, please try again later.");
		st.details = json_pack("{s:I}", "retryAfterSeconds", (json_int_t)secs);
		sim_resp_status(r, &st);
		r->retry_after = secs;
		sim_status_clear(&st);
		return -1;
	}
	if (fail) {
		sim_status_set(&st, 500, "InternalError",
			       "Internal error occurred: injected fault");
		st.details = json_pack("{s:[{s:s}]}", "causes", "message",
				       "injected fault");
		sim_resp_status(r, &st);
		sim_status_clear(&st);
		return -1;
	}
	return 0;
}

static void handle_faults(struct sim_server *srv, struct sim_request *rq,
			  struct sim_resp *r)
{
	struct sim_status st = { 0 };
	if (strcmp(rq->method, "POST") != 0) {
		sim_status_set(&st, 405, "MethodNotAllowed",
			       "the server does not allow this method on the "
			       "requested resource");
		st.details = json_object();
		goto out;
	}
	/* The spec as text, or {"spec": "..."}. */
	char *spec = NULL;
	json_t *j = rq->body_len ? json_loadb(rq->body, rq->body_len, 0, NULL) : NULL;
	if (json_is_string(json_object_get(j, "spec")))
		spec = xstrdup(json_string_value(json_object_get(j, "spec")));
	else if (!j && rq->body_len)
		spec = xstrndup(rq->body, rq->body_len);
	json_decref(j);
	struct perr e = { { 0 } };
	if (!spec || sim_faults_apply(srv->s, spec, &e) < 0) {
		sim_status_bad_request(&st, "%s", spec ? e.msg : "no fault spec given");
		free(spec);
		goto out;
	}
	json_t *ok = sim_status_success_json(NULL);
	json_object_set_new(ok, "message", json_string(spec));
	free(spec);
	sim_resp_json(r, 200, ok);
	return;
out:
	sim_resp_status(r, &st);
	sim_status_clear(&st);
}

/* ---- dispatch ------------------------------------------------------------ */

static int public_route(int type)
{
	return type == SIM_ROUTE_VERSION || type == SIM_ROUTE_HEALTH;
}

static void dispatch(struct sim_server *srv, struct MHD_Connection *conn,
		     struct sim_request *rq, struct conn_req *cr, struct sim_resp *r)
{
	struct sim_status st = { 0 };
	if (sim_route_parse(rq->path, &rq->route, &st) < 0)
		goto status;
	if (!public_route(rq->route.type) && authenticate(srv, conn, rq, &st) < 0)
		goto status;
	if (cr->too_large) {
		sim_status_set(&st, 413, "RequestEntityTooLarge",
			       "Request entity too large: limit is %u", SIM_MAX_BODY);
		st.details = json_object();
		goto status;
	}
	if (rq->route.type == SIM_ROUTE_FAULTS) {
		handle_faults(srv, rq, r);
		return;
	}
	if (!public_route(rq->route.type) && faults(srv, r) < 0)
		return;
	switch (rq->route.type) {
	case SIM_ROUTE_COLLECTION:
	case SIM_ROUTE_OBJECT:
		/* A proxied body is the backend's business, not the API's. No
		 * Content-Type reads as JSON, the first serializer
		 * (NegotiateInputSerializer): kubectl 1.20's create
		 * configmap/secret sends none. */
		if (rq->body_len && strcmp(rq->route.sub, "proxy") != 0 &&
		    (strcmp(rq->method, "POST") == 0 ||
				     strcmp(rq->method, "PUT") == 0) &&
		    rq->ctype && *rq->ctype &&
		    !sim_media_is(rq->ctype, "application/json") &&
		    !sim_media_is(rq->ctype, "application/yaml") &&
		    !sim_media_is(rq->ctype, "application/vnd.kubernetes.protobuf")) {
			sim_status_set(&st, 415, "UnsupportedMediaType",
				       "the body of the request was in an unknown "
				       "format - accepted media types include: "
				       "application/json, application/yaml, "
				       "application/vnd.kubernetes.protobuf");
			st.details = json_object();
			goto status;
		}
		sim_api_handle(rq, r);
		return;
	default:
		if (strcmp(rq->method, "GET") != 0) {
			sim_status_set(&st, 405, "MethodNotAllowed",
				       "the server does not allow this method on "
				       "the requested resource");
			st.details = json_object();
			goto status;
		}
		sim_discovery_handle(rq, r);
		return;
	}
status:
	sim_resp_status(r, &st);
	sim_status_clear(&st);
}

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	struct sim_resp *r = cls;
	long n = r->next(r->stream, buf, max);
	if (n == SIM_STREAM_CUT)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	return n < 0 ? MHD_CONTENT_READER_END_OF_STREAM : (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct sim_resp *r = cls;
	r->done(r->stream);
	free(r);
}

static enum MHD_Result send_resp(struct MHD_Connection *conn, struct sim_resp *r)
{
	struct MHD_Response *resp;
	int code = r->code;
	char retry[32] = "";
	const char *ctype = r->ctype ? r->ctype : "application/json";
	if (r->retry_after)
		snprintf(retry, sizeof retry, "%lld", r->retry_after);
	if (r->stream) {
		struct sim_resp *heap = xmalloc(sizeof *heap);
		*heap = *r;
		heap->warnings = NULL;
		resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024,
							 stream_reader, heap,
							 stream_free);
	} else {
		resp = MHD_create_response_from_buffer(r->len, r->body,
						       MHD_RESPMEM_MUST_FREE);
		r->body = NULL;
	}
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
				"no-cache, private");
	if (retry[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, retry);
	size_t i;
	json_t *w;
	json_array_foreach(r->warnings, i, w)
	{
		/* RFC 7234 warn-text: a quoted string. */
		struct dbuf b;
		dbuf_init(&b, 4096);
		dbuf_puts(&b, "299 - \"");
		for (const char *p = json_string_value(w); p && *p; p++) {
			if (*p == '"' || *p == '\\')
				dbuf_puts(&b, "\\");
			if ((unsigned char)*p >= ' ')
				dbuf_append(&b, p, 1);
		}
		dbuf_puts(&b, "\"");
		if (b.p)
			MHD_add_response_header(resp, "Warning", b.p);
		dbuf_free(&b);
	}
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)code, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn,
			       const char *url, const char *method,
			       const char *version, const char *upload,
			       size_t *upload_size, void **con_cls)
{
	(void)version;
	struct sim_server *srv = cls;
	struct conn_req *cr = *con_cls;
	if (!cr) {
		cr = xcalloc(1, sizeof *cr);
		dbuf_init(&cr->body, SIM_MAX_BODY);
		*con_cls = cr;
		return MHD_YES;
	}
	if (*upload_size) {
		if (!cr->too_large &&
		    dbuf_append(&cr->body, upload, *upload_size) < 0) {
			cr->too_large = 1;
			dbuf_free(&cr->body);
			dbuf_init(&cr->body, SIM_MAX_BODY);
		}
		*upload_size = 0;
		return MHD_YES;
	}
	struct sim_request rq;
	memset(&rq, 0, sizeof rq);
	rq.sim = srv->s;
	rq.method = method;
	rq.path = url;
	rq.server_addr = srv->addr;
	rq.accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						MHD_HTTP_HEADER_ACCEPT);
	rq.ctype = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					       MHD_HTTP_HEADER_CONTENT_TYPE);
	rq.user_agent = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_USER_AGENT);
	rq.body = cr->body.p;
	rq.body_len = cr->body.len;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	rq.client_fd = ci ? ci->connect_fd : -1;
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, query_arg, &rq.q);

	struct sim_resp r;
	memset(&r, 0, sizeof r);
	/* The real server indents for people: curl, Wget, browsers, or
	 * ?pretty=true. */
	static const char *const people[] = { "curl/", "Wget/", "Mozilla/", NULL };
	for (const char *const *p = people; *p && rq.user_agent; p++)
		if (strncmp(rq.user_agent, *p, strlen(*p)) == 0)
			r.pretty = 1;
	if (rq.q.pretty)
		r.pretty = sim_query_bool(rq.q.pretty);
	dispatch(srv, conn, &rq, cr, &r);
	enum MHD_Result ret = send_resp(conn, &r);
	free(r.body);
	json_decref(r.warnings);
	return ret;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	struct conn_req *cr = *con_cls;
	if (!cr)
		return;
	dbuf_free(&cr->body);
	free(cr);
	*con_cls = NULL;
}

static void quiet_log(void *cls, const char *fmt, va_list ap)
{
	/* A library never prints; MHD's messages are not for the user. */
	(void)cls;
	(void)fmt;
	(void)ap;
}

/* "127.0.0.1:PORT" (or "localhost:PORT", ":PORT"); only loopback. */
static int parse_listen(const char *listen, struct sockaddr_in *sa, struct perr *e)
{
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	const char *colon = strrchr(listen ? listen : "", ':');
	char host[64] = "127.0.0.1";
	const char *port = listen;
	if (colon) {
		size_t n = (size_t)(colon - listen);
		if (n >= sizeof host)
			goto bad;
		if (n) {
			memcpy(host, listen, n);
			host[n] = '\0';
		}
		port = colon + 1;
	}
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof host, "127.0.0.1");
	char *end;
	long p = strtol(port ? port : "", &end, 10);
	if (!port || !*port || *end || p < 0 || p > 65535)
		goto bad;
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1 ||
	    (ntohl(sa->sin_addr.s_addr) >> 24) != 127) {
		perr_set(e, "listen address must be on loopback (127.0.0.1): '%s'",
			 listen);
		return -1;
	}
	sa->sin_port = htons((unsigned short)p);
	return 0;
bad:
	perr_set(e, "bad listen address '%s' (want 127.0.0.1:PORT)",
		 listen ? listen : "");
	return -1;
}

/* Listen on loopback and serve s; writes the kubeconfig; NULL with e. */
struct sim_server *sim_server_start(struct sim *s, const struct sim_server_opts *o,
				    struct perr *e)
{
	struct sockaddr_in sa;
	if (parse_listen(o->listen ? o->listen : "127.0.0.1:0", &sa, e) < 0)
		return NULL;
	struct sim_server *srv = xcalloc(1, sizeof *srv);
	srv->s = s;
	srv->tls = o->tls;
	srv->token = xstrdup(o->token && *o->token ? o->token : NULL);
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_ERROR_LOG;
	if (o->tls) {
		if (sim_tls_make(&srv->certs, e) < 0)
			goto fail;
		flags |= MHD_USE_TLS;
		srv->d = MHD_start_daemon(
			flags, 0, NULL, NULL, handler, srv, MHD_OPTION_SOCK_ADDR, &sa,
			MHD_OPTION_NOTIFY_COMPLETED, completed, srv,
			MHD_OPTION_EXTERNAL_LOGGER, quiet_log, srv,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)300,
			MHD_OPTION_HTTPS_MEM_KEY, srv->certs.server_key,
			MHD_OPTION_HTTPS_MEM_CERT, srv->certs.server_cert,
			MHD_OPTION_HTTPS_MEM_TRUST, srv->certs.ca_cert, MHD_OPTION_END);
	} else {
		srv->d = MHD_start_daemon(flags, 0, NULL, NULL, handler, srv,
					  MHD_OPTION_SOCK_ADDR, &sa,
					  MHD_OPTION_NOTIFY_COMPLETED, completed, srv,
					  MHD_OPTION_EXTERNAL_LOGGER, quiet_log, srv,
					  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)300,
					  MHD_OPTION_END);
	}
	if (!srv->d) {
		perr_set(e, "cannot listen on %s (in use?)",
			 o->listen ? o->listen : "127.0.0.1:0");
		goto fail;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = di ? di->port : ntohs(sa.sin_port);
	char host[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &sa.sin_addr, host, sizeof host);
	snprintf(srv->addr, sizeof srv->addr, "%s:%d", host, srv->port);
	snprintf(srv->url, sizeof srv->url, "%s://%s:%d", o->tls ? "https" : "http",
		 host, srv->port);
	if (o->kubeconfig_out &&
	    sim_kubeconfig_write(o->kubeconfig_out, srv->url, o->tls ? &srv->certs : NULL,
				 srv->token, o->client_cert || (o->tls && !srv->token),
				 e) < 0) {
		sim_server_stop(srv);
		return NULL;
	}
	return srv;
fail:
	sim_tls_free(&srv->certs);
	free(srv->token);
	free(srv);
	return NULL;
}

/* The port listened on. */
int sim_server_port(const struct sim_server *srv)
{
	return srv->port;
}

/* The URL clients use (borrowed). */
const char *sim_server_url(const struct sim_server *srv)
{
	return srv->url;
}

/* End every watch, stop serving and free; accepts NULL. */
void sim_server_stop(struct sim_server *srv)
{
	if (!srv)
		return;
	/* End every watch so that their connection threads return. */
	sim_lock(srv->s);
	srv->s->stopping = 1;
	sim_watch_drop_all(srv->s);
	sim_unlock(srv->s);
	MHD_stop_daemon(srv->d);
	sim_lock(srv->s);
	srv->s->stopping = 0;
	sim_unlock(srv->s);
	sim_tls_free(&srv->certs);
	free(srv->token);
	free(srv);
}
