/* test_transport.c - the client against a small TLS server (libmicrohttpd):
 * what goes on the wire (User-Agent, Accept, credentials), certificate
 * checks, tls-server-name, tokenFile re-reading, exec credential caching and
 * its renewal after a 401, the error lines, the body cap, the timeout, and
 * the debug log with credentials redacted. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kube/kube.h"

static char data_dir[1024];

struct seen {
	pthread_mutex_t mu;
	char method[16];
	char url[256];
	char ua[128];
	char accept[256];
	char auth[8192];
	char ctype[128];
	char body[256];
	char want_token[256]; /* "" accepts anything */
	int requests;
};

static struct seen seen = { .mu = PTHREAD_MUTEX_INITIALIZER };
static struct MHD_Daemon *daemon_;
static int port;
static char *srv_key, *srv_cert, *ca_pem, *other_ca, *cli_cert, *cli_key;

static char *slurp(const char *rel)
{
	char path[1200], *s;
	snprintf(path, sizeof path, "%s/%s", data_dir, rel);
	assert_int_equal(read_file(path, 1 << 20, &s, NULL, NULL), 0);
	return s;
}

static void copy_header(struct MHD_Connection *c, const char *name, char *dst, size_t n)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
	snprintf(dst, n, "%s", v ? v : "");
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, const char *body, size_t n)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(n, (void *)body, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(r, "Content-Type", "application/json");
	enum MHD_Result ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *upload,
			       size_t *upload_size, void **con_cls)
{
	(void)cls;
	(void)version;
	struct dbuf *b = *con_cls;
	if (!b) {
		b = xcalloc(1, sizeof *b);
		dbuf_init(b, 1 << 16);
		*con_cls = b;
		return MHD_YES;
	}
	if (*upload_size) {
		dbuf_append(b, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&seen.mu);
	seen.requests++;
	snprintf(seen.method, sizeof seen.method, "%s", method);
	const char *q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit");
	snprintf(seen.url, sizeof seen.url, "%s%s%s", url, q ? "?limit=" : "", q ? q : "");
	copy_header(c, "User-Agent", seen.ua, sizeof seen.ua);
	copy_header(c, "Accept", seen.accept, sizeof seen.accept);
	copy_header(c, "Authorization", seen.auth, sizeof seen.auth);
	copy_header(c, "Content-Type", seen.ctype, sizeof seen.ctype);
	snprintf(seen.body, sizeof seen.body, "%s", b->p ? b->p : "");
	char want[300];
	snprintf(want, sizeof want, "Bearer %s", seen.want_token);
	int denied = seen.want_token[0] && strcmp(seen.auth, want) != 0;
	pthread_mutex_unlock(&seen.mu);

	static const char unauthorized[] = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
		"\"status\":\"Failure\",\"message\":\"Unauthorized\",\"reason\":\"Unauthorized\",\"code\":401}";
	if (denied)
		return reply(c, 401, unauthorized, strlen(unauthorized));
	if (strcmp(url, "/notfound") == 0) {
		char *s = slurp("fixtures/status-404-deployment-notfound.json");
		enum MHD_Result r = reply(c, 404, s, strlen(s));
		free(s);
		return r;
	}
	if (strcmp(url, "/big") == 0) {
		char *s = xmalloc(100000);
		memset(s, 'x', 100000);
		enum MHD_Result r = reply(c, 200, s, 100000);
		free(s);
		return r;
	}
	if (strcmp(url, "/slow") == 0)
		usleep(1200 * 1000);
	if (strcmp(url, "/api/v1/secrets") == 0)
		return reply(c, 200, "{\"data\":{\"password\":\"c2VjcmV0\"}}", 33);
	return reply(c, 200, "{\"kind\":\"Ok\"}", 13);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	struct dbuf *b = *con_cls;
	if (b) {
		dbuf_free(b);
		free(b);
	}
	*con_cls = NULL;
}

static int setup(void **state)
{
	(void)state;
	srv_key = slurp("tls/server.key");
	srv_cert = slurp("tls/server.crt");
	ca_pem = slurp("tls/ca.crt");
	other_ca = slurp("tls/other-ca.crt");
	cli_cert = slurp("tls/client.crt");
	cli_key = slurp("tls/client.key");
	daemon_ = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
					   MHD_USE_TLS,
				   0, NULL, NULL, handler, NULL, MHD_OPTION_HTTPS_MEM_KEY, srv_key,
				   MHD_OPTION_HTTPS_MEM_CERT, srv_cert, MHD_OPTION_NOTIFY_COMPLETED,
				   completed, NULL, MHD_OPTION_END);
	assert_non_null(daemon_);
	port = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT)->port;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	MHD_stop_daemon(daemon_);
	free(srv_key);
	free(srv_cert);
	free(ca_pem);
	free(other_ca);
	free(cli_cert);
	free(cli_key);
	return 0;
}

/* A connection to the test server with the test CA. */
static struct kube_conn *conn(const char *host)
{
	struct kube_conn *c = xcalloc(1, sizeof *c);
	c->context = xstrdup("test-ctx");
	c->cluster = xstrdup("test-cluster");
	c->user = xstrdup("test-user");
	c->namespace = xstrdup("default");
	c->server = xasprintf("https://%s:%d", host, port);
	c->ca = xstrdup(ca_pem);
	c->ca_len = strlen(ca_pem);
	c->source = xstrdup("test");
	return c;
}

static struct kube_client *client(struct kube_conn *c, long timeout_ms, const char *log)
{
	struct perr e = { { 0 } };
	struct kube_client_opts o = { .timeout_ms = timeout_ms, .log_file = log };
	struct kube_client *k = kube_client_new(c, &o, &e);
	assert_non_null(k);
	return k;
}

static void want_token(const char *t)
{
	pthread_mutex_lock(&seen.mu);
	snprintf(seen.want_token, sizeof seen.want_token, "%s", t ? t : "");
	pthread_mutex_unlock(&seen.mu);
}

static void test_token_and_headers(void **state)
{
	(void)state;
	struct kube_conn *c = conn("127.0.0.1");
	c->token = xstrdup("tok-123");
	struct kube_client *k = client(c, 5000, NULL);
	want_token("tok-123");
	struct kube_response r;
	struct perr e = { { 0 } };
	assert_int_equal(kube_request(k, "GET", "/api/v1/pods", "limit=500", NULL, NULL, 0, &r, &e), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{\"kind\":\"Ok\"}");
	assert_string_equal(r.content_type, "application/json");
	assert_string_equal(seen.url, "/api/v1/pods?limit=500");
	assert_string_equal(seen.ua, "podium/" PODIUM_VERSION);
	assert_string_equal(seen.accept, "application/json");
	assert_string_equal(seen.auth, "Bearer tok-123");
	assert_null(kube_client_warning(k));
	kube_response_free(&r);

	/* a body goes with its content type and method */
	const char *body = "{\"spec\":{\"replicas\":3}}";
	assert_int_equal(kube_request(k, "PATCH", "/x/scale", NULL, "application/merge-patch+json",
				      body, strlen(body), &r, &e),
			 0);
	assert_string_equal(seen.method, "PATCH");
	assert_string_equal(seen.ctype, "application/merge-patch+json");
	assert_string_equal(seen.body, body);
	kube_response_free(&r);

	/* another Accept, as get asks for the Table form */
	struct kube_req rq = { .method = "GET", .path = "/t", .accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json" };
	assert_int_equal(kube_request_ex(k, &rq, &r, &e), 0);
	assert_string_equal(seen.accept, rq.accept);
	kube_response_free(&r);
	assert_false(perr_isset(&e));

	/* a 401 names the user and context, never the token */
	want_token("another");
	assert_int_equal(kube_request(k, "GET", "/api/v1/pods", NULL, NULL, NULL, 0, &r, &e), -1);
	assert_int_equal(r.status, 401);
	assert_string_equal(e.msg, "Unauthorized: the server rejected the credentials of user \"test-user\" in context \"test-ctx\"");
	kube_response_free(&r);
	want_token(NULL);
	kube_client_free(k);
}

static void test_status_errors(void **state)
{
	(void)state;
	struct kube_client *k = client(conn("127.0.0.1"), 5000, NULL);
	struct kube_response r;
	struct perr e = { { 0 } };
	assert_int_equal(kube_request(k, "GET", "/notfound", NULL, NULL, NULL, 0, &r, &e), -1);
	assert_int_equal(r.status, 404);
	assert_string_equal(e.msg, "Error from server (NotFound): deployments.apps \"does-not-exist\" not found");
	assert_non_null(strstr(r.body, "\"reason\":\"NotFound\""));
	kube_response_free(&r);

	/* the cap on what the server may send */
	perr_clear(&e);
	struct kube_req rq = { .method = "GET", .path = "/big", .max_body = 1000 };
	assert_int_equal(kube_request_ex(k, &rq, &r, &e), -1);
	assert_non_null(strstr(e.msg, "is larger than 1000 bytes"));
	assert_true(r.len <= 1000);
	kube_response_free(&r);
	kube_client_free(k);

	/* the timeout */
	k = client(conn("127.0.0.1"), 300, NULL);
	perr_clear(&e);
	long long t0 = now_ms();
	assert_int_equal(kube_request(k, "GET", "/slow", NULL, NULL, NULL, 0, &r, &e), -1);
	assert_true(now_ms() - t0 < 1100);
	assert_non_null(strstr(e.msg, "timed out waiting for https://127.0.0.1:"));
	kube_response_free(&r);
	kube_client_free(k);
}

static void test_tls(void **state)
{
	(void)state;
	struct kube_response r;
	struct perr e = { { 0 } };

	/* tls-server-name: the certificate is for kube.test as well */
	struct kube_conn *c = conn("127.0.0.1");
	c->tls_server_name = xstrdup("kube.test");
	struct kube_client *k = client(c, 5000, NULL);
	assert_int_equal(kube_request(k, "GET", "/ok", NULL, NULL, NULL, 0, &r, &e), 0);
	kube_response_free(&r);
	kube_client_free(k);
	assert_false(perr_isset(&e));

	/* ... but not for another name */
	c = conn("127.0.0.1");
	c->tls_server_name = xstrdup("other.test");
	k = client(c, 5000, NULL);
	assert_int_equal(kube_request(k, "GET", "/ok", NULL, NULL, NULL, 0, &r, &e), -1);
	assert_non_null(strstr(e.msg, "is not for other.test"));
	assert_non_null(strstr(e.msg, "check server and tls-server-name of cluster \"test-cluster\""));
	kube_response_free(&r);
	kube_client_free(k);

	/* another CA: does not verify, and the message says what to check */
	c = conn("127.0.0.1");
	free(c->ca);
	c->ca = xstrdup(other_ca);
	c->ca_len = strlen(other_ca);
	k = client(c, 5000, NULL);
	perr_clear(&e);
	assert_int_equal(kube_request(k, "GET", "/ok", NULL, NULL, NULL, 0, &r, &e), -1);
	assert_non_null(strstr(e.msg, "the certificate of server https://127.0.0.1:"));
	assert_non_null(strstr(e.msg, "does not verify against the cluster's certificate-authority"));
	assert_non_null(strstr(e.msg, "check certificate-authority of cluster \"test-cluster\""));
	kube_response_free(&r);
	kube_client_free(k);

	/* insecure-skip-tls-verify: works, with a warning */
	c = conn("127.0.0.1");
	free(c->ca);
	c->ca = NULL;
	c->insecure = 1;
	k = client(c, 5000, NULL);
	perr_clear(&e);
	assert_int_equal(kube_request(k, "GET", "/ok", NULL, NULL, NULL, 0, &r, &e), 0);
	assert_non_null(strstr(kube_client_warning(k), "insecure-skip-tls-verify is set for cluster \"test-cluster\""));
	kube_response_free(&r);
	kube_client_free(k);

	/* a client certificate from memory */
	c = conn("127.0.0.1");
	c->cert = xstrdup(cli_cert);
	c->cert_len = strlen(cli_cert);
	c->key = xstrdup(cli_key);
	c->key_len = strlen(cli_key);
	k = client(c, 5000, NULL);
	assert_int_equal(kube_request(k, "GET", "/ok", NULL, NULL, NULL, 0, &r, &e), 0);
	assert_string_equal(seen.auth, "");
	kube_response_free(&r);
	kube_client_free(k);

	/* nothing listening */
	c = conn("127.0.0.1");
	free(c->server);
	c->server = xstrdup("https://127.0.0.1:1");
	k = client(c, 5000, NULL);
	perr_clear(&e);
	assert_int_equal(kube_request(k, "GET", "/ok", NULL, NULL, NULL, 0, &r, &e), -1);
	assert_non_null(strstr(e.msg, "cannot reach the server https://127.0.0.1:1 (context \"test-ctx\")"));
	assert_non_null(strstr(e.msg, "is the cluster running?"));
	kube_response_free(&r);
	kube_client_free(k);
}

static void write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(s, f);
	fclose(f);
}

static void test_token_file_and_basic(void **state)
{
	(void)state;
	char path[] = "/tmp/podium-token-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	write_file(path, "  first-token\n");
	struct kube_conn *c = conn("127.0.0.1");
	c->token_file = xstrdup(path);
	struct kube_client *k = client(c, 5000, NULL);
	struct kube_response r;
	struct perr e = { { 0 } };
	want_token("first-token");
	assert_int_equal(kube_request(k, "GET", "/ok", NULL, NULL, NULL, 0, &r, &e), 0);
	kube_response_free(&r);
	/* rotated: read again on the next request */
	write_file(path, "second-token");
	want_token("second-token");
	assert_int_equal(kube_request(k, "GET", "/ok", NULL, NULL, NULL, 0, &r, &e), 0);
	kube_response_free(&r);
	unlink(path);
	assert_int_equal(kube_request(k, "GET", "/ok", NULL, NULL, NULL, 0, &r, &e), -1);
	assert_non_null(strstr(e.msg, "cannot read the tokenFile of user \"test-user\""));
	kube_response_free(&r);
	kube_client_free(k);
	want_token(NULL);

	c = conn("127.0.0.1");
	c->username = xstrdup("dave");
	c->password = xstrdup("hunter2");
	k = client(c, 5000, NULL);
	assert_int_equal(kube_request(k, "GET", "/ok", NULL, NULL, NULL, 0, &r, &e), 0);
	assert_string_equal(seen.auth, "Basic ZGF2ZTpodW50ZXIy");
	kube_response_free(&r);
	kube_client_free(k);
}

static int read_count(const char *path)
{
	char *s;
	if (read_file(path, 100, &s, NULL, NULL) < 0)
		return 0;
	int n = atoi(s);
	free(s);
	return n;
}

/* A client whose credential comes from the test exec plugin (tokens
 * exec-token-N, N counting its runs in the file count, a mkstemp template). */
static struct kube_client *exec_client(char *count)
{
	int fd = mkstemp(count);
	assert_true(fd >= 0);
	close(fd);
	unlink(count);
	setenv("EXEC_COUNT_FILE", count, 1);
	unsetenv("EXEC_EXPIRY");
	struct kube_conn *c = conn("127.0.0.1");
	c->exec = xcalloc(1, sizeof *c->exec);
	c->exec->api_version = xstrdup("client.authentication.k8s.io/v1beta1");
	c->exec->command = xasprintf("%s/exec-plugin.sh", data_dir);
	c->exec->args = xcalloc(1, sizeof(char *));
	c->exec->env = xcalloc(2, sizeof(char *));
	c->exec->env[0] = xstrdup("PLUGIN_MODE=token");
	return client(c, 5000, NULL);
}

static void test_exec_cache(void **state)
{
	(void)state;
	char count[] = "/tmp/podium-count-XXXXXX";
	struct kube_client *k = exec_client(count);
	struct kube_response r;
	struct perr e = { { 0 } };
	want_token("exec-token-1");
	for (int i = 0; i < 3; i++) {
		assert_int_equal(kube_request(k, "GET", "/ok", NULL, NULL, NULL, 0, &r, &e), 0);
		kube_response_free(&r);
	}
	assert_int_equal(read_count(count), 1); /* cached */
	/* the server stops accepting it: a 401, the plugin runs again, retried */
	want_token("exec-token-2");
	assert_int_equal(kube_request(k, "GET", "/ok", NULL, NULL, NULL, 0, &r, &e), 0);
	kube_response_free(&r);
	assert_int_equal(read_count(count), 2);
	kube_client_free(k);

	/* an expired credential is not used again */
	unlink(count);
	setenv("EXEC_EXPIRY", "2001-01-01T00:00:00Z", 1);
	struct kube_conn *c = conn("127.0.0.1");
	c->exec = xcalloc(1, sizeof *c->exec);
	c->exec->api_version = xstrdup("client.authentication.k8s.io/v1beta1");
	c->exec->command = xasprintf("%s/exec-plugin.sh", data_dir);
	c->exec->env = xcalloc(2, sizeof(char *));
	c->exec->env[0] = xstrdup("PLUGIN_MODE=token");
	k = client(c, 5000, NULL);
	want_token(NULL);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(kube_request(k, "GET", "/ok", NULL, NULL, NULL, 0, &r, &e), 0);
		kube_response_free(&r);
	}
	assert_int_equal(read_count(count), 2);
	kube_client_free(k);
	unlink(count);
	unsetenv("EXEC_COUNT_FILE");
	unsetenv("EXEC_EXPIRY");
	assert_false(perr_isset(&e));
}

struct answered {
	int n, ok;
	long status;
	char body[64], error[300];
};

static void on_answer(void *ud, const struct kube_answer *a)
{
	struct answered *w = ud;
	w->n++;
	w->ok = a->ok;
	w->status = a->status;
	snprintf(w->body, sizeof w->body, "%s", a->body ? a->body : "");
	snprintf(w->error, sizeof w->error, "%s", a->error ? a->error : "");
}

/* The dashboard's requests (sent on a watch set) renew an expired exec
 * credential as kube_request does: one 401, the plugin runs again, the
 * request (with its body) goes again once; a second 401 is the error. */
static void test_watchset_401_renews(void **state)
{
	(void)state;
	char count[] = "/tmp/podium-count-XXXXXX";
	struct kube_client *k = exec_client(count);
	struct kube_watchset *ws = kube_watchset_new(k);
	struct perr e = { { 0 } };
	struct answered w = { 0 };
	want_token("exec-token-1");
	assert_int_equal(kube_watchset_request(ws, NULL, "GET", "/ok", NULL, NULL, NULL, 0, on_answer, &w,
					       NULL, &e), 0);
	kube_watchset_drain(ws);
	assert_int_equal(w.n, 1);
	assert_true(w.ok);
	assert_int_equal(read_count(count), 1);
	/* the server stops taking it: the PATCH answers once, after a renewal */
	want_token("exec-token-2");
	int before = seen.requests;
	const char *body = "{\"spec\":{\"replicas\":2}}";
	assert_int_equal(kube_watchset_request(ws, NULL, "PATCH", "/x/scale", NULL,
					       "application/merge-patch+json", body, strlen(body),
					       on_answer, &w, NULL, &e), 0);
	kube_watchset_drain(ws);
	assert_int_equal(w.n, 2);
	assert_true(w.ok);
	assert_int_equal(w.status, 200);
	assert_int_equal(seen.requests - before, 2);
	assert_int_equal(read_count(count), 2);
	assert_string_equal(seen.method, "PATCH");
	assert_string_equal(seen.body, body);
	assert_string_equal(seen.ctype, "application/merge-patch+json");
	/* refused again after the renewal: the one-line error, no token in it */
	want_token("not-what-the-plugin-gives");
	before = seen.requests;
	assert_int_equal(kube_watchset_request(ws, NULL, "GET", "/ok", NULL, NULL, NULL, 0, on_answer, &w,
					       NULL, &e), 0);
	kube_watchset_drain(ws);
	assert_int_equal(w.n, 3);
	assert_false(w.ok);
	assert_int_equal(w.status, 401);
	assert_int_equal(seen.requests - before, 2); /* tried twice, not more */
	assert_string_equal(w.error, "Unauthorized: the server rejected the credentials of user \"test-user\" in context \"test-ctx\"");
	assert_null(strstr(w.error, "exec-token"));
	want_token(NULL);
	kube_watchset_free(ws);
	kube_client_free(k);
	unlink(count);
	unsetenv("EXEC_COUNT_FILE");
}

static void test_debug_log(void **state)
{
	(void)state;
	char path[] = "/tmp/podium-log-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path); /* the client creates it, 0600 whatever the umask */
	mode_t old_mask = umask(022);
	struct kube_conn *c = conn("127.0.0.1");
	c->token = xstrdup("very-secret-token");
	struct kube_client *k = client(c, 5000, path);
	struct kube_response r;
	struct perr e = { { 0 } };
	assert_int_equal(kube_request(k, "GET", "/ok", NULL, NULL, NULL, 0, &r, &e), 0);
	kube_response_free(&r);
	assert_int_equal(kube_request(k, "GET", "/api/v1/secrets", NULL, NULL, NULL, 0, &r, &e), 0);
	kube_response_free(&r);
	kube_client_free(k);
	umask(old_mask);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	char *log;
	assert_int_equal(read_file(path, 1 << 20, &log, NULL, NULL), 0);
	assert_non_null(strstr(log, "GET /ok"));
	assert_non_null(strstr(log, "Authorization: <redacted>"));
	assert_non_null(strstr(log, "{\"kind\":\"Ok\"}"));
	assert_non_null(strstr(log, "not logged: secret"));
	assert_null(strstr(log, "very-secret-token"));
	assert_null(strstr(log, "c2VjcmV0"));
	free(log);
	unlink(path);
}

int main(void)
{
	const char *top = getenv("TOP");
	char cwd[512];
	if (top && top[0] == '/')
		snprintf(data_dir, sizeof data_dir, "%s/tests/data/kube", top);
	else if (getcwd(cwd, sizeof cwd))
		snprintf(data_dir, sizeof data_dir, "%s/tests/data/kube", cwd);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_and_headers),
		cmocka_unit_test(test_status_errors),
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_token_file_and_basic),
		cmocka_unit_test(test_exec_cache),
		cmocka_unit_test(test_watchset_401_renews),
		cmocka_unit_test(test_debug_log),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
