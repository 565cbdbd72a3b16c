/* test_watchset.c - the list/watch caches over real HTTP: a tiny
 * libmicrohttpd server on 127.0.0.1 answers a scripted sequence (LIST, a
 * WATCH that drops mid-stream, a 429 with Retry-After, a 410 ERROR event, a
 * relist without one object, a clean end) and the cache, driven by
 * kube_watchset_poll/step, must follow it and end equal to the server. */
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

#include "kube/kube.h"

struct server {
	pthread_mutex_t mu;
	int lists, watches;
	char queries[16][256]; /* every WATCH query, in order */
};

struct stream {
	const char *text;
	size_t len, pos;
	int drop; /* end with an abrupt close instead of a clean end */
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	(void)pos;
	if (s->pos >= s->len)
		return s->drop ? MHD_CONTENT_READER_END_WITH_ERROR : MHD_CONTENT_READER_END_OF_STREAM;
	size_t n = s->len - s->pos < max ? s->len - s->pos : max;
	memcpy(buf, s->text + s->pos, n);
	s->pos += n;
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	free(cls);
}

static int add_query(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	struct dbuf *b = cls;
	dbuf_printf(b, "%s%s=%s", b->len ? "&" : "", key, value ? value : "");
	return MHD_YES;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned code, const char *body,
			     const char *retry_after)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body,
								 MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(r, "Content-Type", "application/json");
	if (retry_after)
		MHD_add_response_header(r, "Retry-After", retry_after);
	enum MHD_Result ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result stream_reply(struct MHD_Connection *conn, const char *text, int drop)
{
	struct stream *s = xcalloc(1, sizeof *s);
	s->text = text;
	s->len = strlen(text);
	s->drop = drop;
	struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096,
								   stream_read, s, stream_free);
	MHD_add_response_header(r, "Content-Type", "application/json");
	enum MHD_Result ret = MHD_queue_response(conn, 200, r);
	MHD_destroy_response(r);
	return ret;
}

#define POD(name, rv) "{\"metadata\":{\"name\":\"" name "\",\"namespace\":\"default\",\"resourceVersion\":\"" rv "\"}}"

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	(void)method, (void)version, (void)upload, (void)upload_size, (void)con_cls;
	struct server *sv = cls;
	if (strcmp(url, "/api/v1/namespaces/default/pods") != 0)
		return reply(conn, 404, "{\"kind\":\"Status\",\"code\":404}", NULL);
	int watch = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "watch") != NULL;
	pthread_mutex_lock(&sv->mu);
	int n = watch ? sv->watches++ : sv->lists++;
	if (watch && n < 16) {
		struct dbuf q;
		dbuf_init(&q, 250);
		MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, (MHD_KeyValueIterator)add_query, &q);
		snprintf(sv->queries[n], sizeof sv->queries[n], "%s", q.p ? q.p : "");
		dbuf_free(&q);
	}
	pthread_mutex_unlock(&sv->mu);
	if (!watch) {
		if (n == 0)
			return reply(conn, 200, "{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":\"10\"},\"items\":[" POD("a", "5") "," POD("b", "6") "]}", NULL);
		return reply(conn, 200, "{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":\"20\"},\"items\":[" POD("a", "5") "," POD("c", "11") "]}", NULL);
	}
	switch (n) {
	case 0: /* one event, then the connection drops inside the next */
		return stream_reply(conn, "{\"type\":\"ADDED\",\"object\":" POD("c", "11") "}\n{\"type\":\"MODIF", 1);
	case 1:
		return reply(conn, 429, "{\"kind\":\"Status\",\"code\":429,\"reason\":\"TooManyRequests\",\"message\":\"slow down\"}", "1");
	case 2:
		return stream_reply(conn, "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\",\"message\":\"too old resource version: 11 (15)\"}}\n", 0);
	case 3:
		return stream_reply(conn, "{\"type\":\"DELETED\",\"object\":" POD("a", "21") "}\n", 0);
	default:
		return stream_reply(conn, "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"22\"}}}\n", 0);
	}
}

static void test_watchset_follows_server(void **state)
{
	(void)state;
	struct server sv = { .mu = PTHREAD_MUTEX_INITIALIZER };
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
						0, NULL, NULL, (MHD_AccessHandlerCallback)handle, &sv,
						MHD_OPTION_END);
	assert_non_null(d);
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	unsigned port = info->port;

	struct kube_conn *conn = xcalloc(1, sizeof *conn);
	conn->context = xstrdup("test");
	conn->cluster = xstrdup("test");
	conn->namespace = xstrdup("default");
	conn->server = xasprintf("http://127.0.0.1:%u", port);
	struct perr e = { { 0 } };
	struct kube_client_opts o = { 0 };
	struct kube_client *client = kube_client_new(conn, &o, &e);
	assert_non_null(client);
	struct kube_watchset *ws = kube_watchset_new(client);
	struct kube_cache_spec spec = { .path = "/api/v1/namespaces/default/pods",
					.label_selector = "app=demo", .seed = 7,
					.backoff_initial_ms = 50, .backoff_max_ms = 200 };
	struct kube_cache *c = kube_watchset_add(ws, &spec);
	int saw_reconnecting = 0, saw_relisting = 0;
	long long start = now_ms();
	while (now_ms() - start < 15000) {
		kube_watchset_poll(ws, NULL, 0, 200);
		kube_watchset_step(ws, now_ms());
		enum kube_cache_state st = kube_cache_state(c);
		saw_reconnecting |= st == KUBE_CACHE_RECONNECTING;
		saw_relisting |= st == KUBE_CACHE_RELISTING;
		pthread_mutex_lock(&sv.mu);
		int w = sv.watches;
		pthread_mutex_unlock(&sv.mu);
		if (w >= 5 && kube_cache_rv(c) && strcmp(kube_cache_rv(c), "22") == 0)
			break;
	}
	assert_true(saw_reconnecting);
	assert_true(saw_relisting);
	assert_int_equal(sv.lists, 2);
	assert_true(sv.watches >= 5);
	/* The resumes asked for the right resourceVersions. */
	assert_non_null(strstr(sv.queries[0], "resourceVersion=10"));
	assert_non_null(strstr(sv.queries[0], "allowWatchBookmarks=true"));
	assert_non_null(strstr(sv.queries[0], "labelSelector=app=demo"));
	assert_non_null(strstr(sv.queries[1], "resourceVersion=11")); /* after the drop */
	assert_non_null(strstr(sv.queries[2], "resourceVersion=11")); /* after the 429 */
	assert_non_null(strstr(sv.queries[3], "resourceVersion=20")); /* after the relist */
	assert_non_null(strstr(sv.queries[4], "resourceVersion=21")); /* clean end */
	/* The server holds only c: b went in the relist, a was deleted. */
	assert_int_equal(kube_cache_count(c), 1);
	assert_non_null(kube_cache_get(c, "default", "c"));
	assert_string_equal(kube_cache_get(c, "default", "c")->rv, "11");
	assert_int_equal(kube_cache_state(c), KUBE_CACHE_LIVE);
	kube_watchset_free(ws);
	kube_client_free(client);
	MHD_stop_daemon(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_watchset_follows_server),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
