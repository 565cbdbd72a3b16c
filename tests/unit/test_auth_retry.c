/* test_auth_retry.c - requests and watches on the watch set when the
 * cluster's token rotates mid-session: the simulated cluster takes the
 * token its --token-file holds, the client gets its token from an exec
 * plugin that prints another file and counts its runs. Proves that a
 * request sent with the old token is sent again once with a fresh one
 * (one plugin run for a burst of them), that a second 401 is still the
 * one-line Unauthorized error, that watches and relists go on across a
 * rotation without "reconnecting", and that no token reaches an error or
 * the debug log. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kube/kube.h"
#include "kube/sim/sim.h"

#define BURST 6

static char data_dir[1024];

struct fx {
	char dir[64];
	char server_tok[128], plugin_tok[128], count[128], log[128];
	struct sim *s;
	struct sim_server *srv;
	struct kube_client *c;
	struct kube_watchset *ws;
};

static void write_text(const char *path, const char *text)
{
	char tmp[160];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(rename(tmp, path), 0); /* never a half-written token */
}

/* What the cluster takes and what the plugin will print next. */
static void tokens(struct fx *f, const char *server, const char *plugin)
{
	write_text(f->server_tok, server);
	write_text(f->plugin_tok, plugin);
}

static int runs(const struct fx *f)
{
	char *s;
	if (read_file(f->count, 100, &s, NULL, NULL) < 0)
		return 0;
	int n = atoi(s);
	free(s);
	return n;
}

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "/tmp/podium-auth-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->server_tok, sizeof f->server_tok, "%s/server-token", f->dir);
	snprintf(f->plugin_tok, sizeof f->plugin_tok, "%s/plugin-token", f->dir);
	snprintf(f->count, sizeof f->count, "%s/count", f->dir);
	snprintf(f->log, sizeof f->log, "%s/log", f->dir);
	tokens(f, "first-secret-Aq7", "first-secret-Aq7");
	setenv("PLUGIN_MODE", "file", 1);
	setenv("EXEC_TOKEN_FILE", f->plugin_tok, 1);
	setenv("EXEC_COUNT_FILE", f->count, 1);
	unsetenv("EXEC_EXPIRY");

	struct perr e = { { 0 } };
	struct sim_opts so = { .speed = 1, .seed = 7 };
	f->s = sim_new(&so, &e);
	if (!f->s)
		fail_msg("%s", e.msg);
	struct sim_server_opts svo = { .listen = "127.0.0.1:0", .token_file = f->server_tok };
	f->srv = sim_server_start(f->s, &svo, &e);
	if (!f->srv)
		fail_msg("%s", e.msg);
	struct kube_conn *conn = xcalloc(1, sizeof *conn);
	conn->context = xstrdup("sim");
	conn->cluster = xstrdup("sim");
	conn->user = xstrdup("rotating-user");
	conn->namespace = xstrdup("default");
	conn->server = xstrdup(sim_server_url(f->srv));
	conn->exec = xcalloc(1, sizeof *conn->exec);
	conn->exec->api_version = xstrdup("client.authentication.k8s.io/v1beta1");
	conn->exec->command = xasprintf("%s/exec-plugin.sh", data_dir);
	conn->exec->args = xcalloc(1, sizeof(char *));
	conn->exec->env = xcalloc(1, sizeof(char *));
	struct kube_client_opts co = { .timeout_ms = 10000, .log_file = f->log };
	f->c = kube_client_new(conn, &co, &e);
	if (!f->c)
		fail_msg("%s", e.msg);
	f->ws = kube_watchset_new(f->c);
	assert_non_null(f->ws);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	kube_watchset_free(f->ws);
	kube_client_free(f->c);
	sim_server_stop(f->srv);
	sim_free(f->s);
	/* No token in the debug log, whatever was sent and refused. */
	char *log = NULL;
	assert_int_equal(read_file(f->log, 64 << 20, &log, NULL, NULL), 0);
	assert_non_null(strstr(log, "Authorization: <redacted>"));
	assert_null(strstr(log, "-secret-"));
	free(log);
	unlink(f->server_tok);
	unlink(f->plugin_tok);
	unlink(f->count);
	unlink(f->log);
	rmdir(f->dir);
	free(f);
	unsetenv("PLUGIN_MODE");
	unsetenv("EXEC_TOKEN_FILE");
	unsetenv("EXEC_COUNT_FILE");
	return 0;
}

static int cache_failed(struct fx *f, void *arg)
{
	(void)f;
	return kube_cache_error(arg) != NULL;
}

struct answer {
	int done, ok;
	long status;
	char error[512];
};

static void on_answer(void *ud, const struct kube_answer *a)
{
	struct answer *r = ud;
	r->done = 1;
	r->ok = a->ok;
	r->status = a->status;
	snprintf(r->error, sizeof r->error, "%s", a->error ? a->error : "");
}

static void drive(struct fx *f, long long ms, int (*until)(struct fx *, void *), void *arg)
{
	long long end = now_ms() + ms;
	while (now_ms() < end && !(until && until(f, arg))) {
		kube_watchset_poll(f->ws, NULL, 0, 20);
		kube_watchset_step(f->ws, now_ms());
	}
}

static void get(struct fx *f, struct answer *a)
{
	struct perr e = { { 0 } };
	assert_int_equal(kube_watchset_request(f->ws, NULL, "GET", "/api/v1/namespaces/default",
					       NULL, NULL, NULL, 0, on_answer, a, NULL, &e), 0);
}

/* (a) A request sent with the old token gets the fresh one after one plugin
 * run; a burst of them too: the first 401 renews, the rest reuse it. */
static void test_request_after_rotation(void **state)
{
	struct fx *f = *state;
	struct answer a = { 0 };
	get(f, &a);
	kube_watchset_drain(f->ws);
	assert_true(a.ok);
	assert_int_equal(runs(f), 1);

	tokens(f, "second-secret-Bz3", "second-secret-Bz3");
	memset(&a, 0, sizeof a);
	get(f, &a);
	kube_watchset_drain(f->ws);
	assert_true(a.done);
	assert_true(a.ok);
	assert_int_equal(a.status, 200);
	assert_int_equal(runs(f), 2);

	/* A burst, all sent with the second token before any answer. */
	tokens(f, "third-secret-Cx9", "third-secret-Cx9");
	struct answer b[BURST] = { { 0 } };
	for (int i = 0; i < BURST; i++)
		get(f, &b[i]);
	kube_watchset_drain(f->ws);
	for (int i = 0; i < BURST; i++) {
		assert_true(b[i].done);
		assert_true(b[i].ok);
	}
	assert_int_equal(runs(f), 3);

	/* A body goes again as it went: a POST after a rotation. */
	tokens(f, "fourth-secret-Dw2", "fourth-secret-Dw2");
	static const char cm[] = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
				 "\"metadata\":{\"name\":\"posted-twice\"},\"data\":{\"k\":\"v\"}}";
	struct perr e = { { 0 } };
	memset(&a, 0, sizeof a);
	assert_int_equal(kube_watchset_request(f->ws, NULL, "POST",
					       "/api/v1/namespaces/default/configmaps", NULL,
					       "application/json", cm, strlen(cm), on_answer, &a,
					       NULL, &e), 0);
	kube_watchset_drain(f->ws);
	assert_true(a.ok);
	assert_int_equal(a.status, 201);
	assert_int_equal(runs(f), 4);
	struct kube_response r;
	assert_int_equal(kube_request(f->c, "GET", "/api/v1/namespaces/default/configmaps/posted-twice",
				      NULL, NULL, NULL, 0, &r, &e), 0);
	assert_non_null(strstr(r.body, "\"k\":\"v\""));
	kube_response_free(&r);
	assert_int_equal(runs(f), 4);
}

/* (b) A fresh credential the cluster refuses too: the 401 is reported,
 * in the one line kubectl users know, after one plugin run, not two. */
static void test_second_401_reported(void **state)
{
	struct fx *f = *state;
	struct answer a = { 0 };
	get(f, &a);
	kube_watchset_drain(f->ws);
	assert_true(a.ok);
	int before = runs(f);
	tokens(f, "server-secret-Ev5", "stale-secret-Fu6");
	memset(&a, 0, sizeof a);
	get(f, &a);
	kube_watchset_drain(f->ws);
	assert_true(a.done);
	assert_false(a.ok);
	assert_int_equal(a.status, 401);
	assert_string_equal(a.error, "Unauthorized: the server rejected the credentials of user "
				     "\"rotating-user\" in context \"sim\"");
	assert_int_equal(runs(f), before + 1);
	/* The blocking path says the same. */
	struct kube_response r;
	struct perr e = { { 0 } };
	assert_int_equal(kube_request(f->c, "GET", "/api/v1/namespaces/default", NULL, NULL, NULL,
				      0, &r, &e), -1);
	kube_response_free(&r);
	assert_string_equal(e.msg, a.error);
	/* The plugin fixed: the next request recovers. */
	tokens(f, "server-secret-Ev5", "server-secret-Ev5");
	memset(&a, 0, sizeof a);
	get(f, &a);
	kube_watchset_drain(f->ws);
	assert_true(a.ok);
}

/* The plugin fails when a 401 has it run again: its own words are the
 * error, for a one-shot request and for a cache's LIST alike. */
static void test_renewal_fails(void **state)
{
	struct fx *f = *state;
	struct answer a = { 0 };
	get(f, &a);
	kube_watchset_drain(f->ws);
	assert_true(a.ok);
	tokens(f, "eighth-secret-Jq0", "eighth-secret-Jq0");
	setenv("PLUGIN_MODE", "fail", 1);
	memset(&a, 0, sizeof a);
	get(f, &a);
	kube_watchset_drain(f->ws);
	assert_true(a.done);
	assert_false(a.ok);
	assert_int_equal(a.status, 401);
	assert_non_null(strstr(a.error, "login required: run podium-login first"));
	assert_null(strstr(a.error, "-secret-"));

	struct kube_cache_spec spec = { .path = "/api/v1/namespaces/default/configmaps", .seed = 5,
					.backoff_initial_ms = 60000 };
	struct kube_cache *c = kube_watchset_add(f->ws, &spec);
	drive(f, 3000, cache_failed, c);
	assert_false(kube_cache_synced(c));
	assert_non_null(kube_cache_error(c));
	assert_non_null(strstr(kube_cache_error(c), "login required: run podium-login first"));
	setenv("PLUGIN_MODE", "file", 1);
	kube_watchset_remove(f->ws, c);
}

static int cache_has(struct fx *f, void *arg)
{
	(void)f;
	struct kube_cache *c = arg;
	return kube_cache_get(c, "default", "after-rotation") != NULL;
}

static int runs_at_least(struct fx *f, void *arg)
{
	return runs(f) >= *(int *)arg;
}

static int cache_live(struct fx *f, void *arg)
{
	(void)f;
	return kube_cache_state(arg) == KUBE_CACHE_LIVE;
}

struct relist_wait {
	struct kube_cache *c;
	unsigned long long before;
};

static int relisted_live(struct fx *f, void *arg)
{
	(void)f;
	struct relist_wait *w = arg;
	unsigned long long relists;
	kube_cache_stats(w->c, &relists, NULL);
	return relists > w->before && kube_cache_state(w->c) == KUBE_CACHE_LIVE;
}

/* (c) A watch whose rewatch (and a cache whose relist) meets the rotated
 * token goes on with a fresh one: no reconnect, no error, no backoff. */
static void test_watch_across_rotation(void **state)
{
	struct fx *f = *state;
	struct kube_cache_spec spec = { .path = "/api/v1/namespaces/default/configmaps", .seed = 5 };
	struct kube_cache *c = kube_watchset_add(f->ws, &spec);
	drive(f, 10000, cache_live, c);
	assert_int_equal(kube_cache_state(c), KUBE_CACHE_LIVE);
	/* Past the first second, so a clean end of the stream is resumed at
	 * once rather than after a backoff (cache.c). */
	drive(f, 1100, NULL, NULL);
	int start = runs(f);

	/* The cluster closes the watch; the rewatch carries the old token. */
	tokens(f, "fifth-secret-Gt8", "fifth-secret-Gt8");
	struct perr e = { { 0 } };
	assert_int_equal(sim_faults_apply(f->s, "drop-watches", &e), 0);
	int want = start + 1;
	drive(f, 10000, runs_at_least, &want);
	drive(f, 300, NULL, NULL);
	assert_int_equal(runs(f), start + 1);
	assert_int_equal(kube_cache_state(c), KUBE_CACHE_LIVE);
	assert_null(kube_cache_error(c));
	unsigned long long relists, reconnects;
	kube_cache_stats(c, &relists, &reconnects);
	assert_int_equal(reconnects, 0);

	/* The watch it reopened delivers. */
	static const char cm[] = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
				 "\"metadata\":{\"name\":\"after-rotation\"}}";
	struct kube_response r;
	assert_int_equal(kube_request(f->c, "POST", "/api/v1/namespaces/default/configmaps", NULL,
				      "application/json", cm, strlen(cm), &r, &e), 0);
	kube_response_free(&r);
	drive(f, 10000, cache_has, c);
	assert_non_null(kube_cache_get(c, "default", "after-rotation"));
	assert_int_equal(runs(f), start + 1);

	/* Expired history: the rewatch meets the next rotation, then the
	 * 410 that has the cache relist. */
	drive(f, 1100, NULL, NULL);
	tokens(f, "sixth-secret-Hs4", "sixth-secret-Hs4");
	assert_int_equal(sim_faults_apply(f->s, "expire-watches", &e), 0);
	struct relist_wait rw = { c, relists };
	drive(f, 10000, relisted_live, &rw);
	unsigned long long relists2, reconnects2;
	kube_cache_stats(c, &relists2, &reconnects2);
	assert_int_equal(runs(f), start + 2);
	assert_int_equal(kube_cache_state(c), KUBE_CACHE_LIVE);
	assert_true(relists2 > relists);
	assert_int_equal(reconnects2, 0);
	assert_non_null(kube_cache_get(c, "default", "after-rotation"));
	kube_watchset_remove(f->ws, c);

	/* A cache opened after a rotation: its first LIST meets the 401. */
	tokens(f, "seventh-secret-Ir1", "seventh-secret-Ir1");
	c = kube_watchset_add(f->ws, &spec);
	drive(f, 10000, cache_live, c);
	assert_int_equal(kube_cache_state(c), KUBE_CACHE_LIVE);
	assert_true(kube_cache_synced(c));
	assert_null(kube_cache_error(c));
	kube_cache_stats(c, NULL, &reconnects);
	assert_int_equal(reconnects, 0);
	assert_int_equal(runs(f), start + 3);
	assert_non_null(kube_cache_get(c, "default", "after-rotation"));
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
		cmocka_unit_test_setup_teardown(test_request_after_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_401_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_across_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_renewal_fails, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
