/* test_sim_server.c - the simulated API server over HTTP on loopback:
 * discovery and Status answers compared with the real kube-apiserver's
 * recorded ones (tests/data/sim) field by field, list/get/create/delete,
 * paging, watch with the 410 ERROR event, bad input (malformed bodies,
 * wrong content types, unknown paths, oversized bodies) answered with the
 * right Status while the server keeps serving, authentication and faults. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "kube/sim/sim_impl.h"

#define TOKEN "podium-test-token"

struct fixture {
	struct sim *s;
	struct sim_server *srv;
	char base[64];
};

struct reply {
	long code;
	struct dbuf body;
	char ctype[128];
	char retry_after[32];
	char warning[256];
};

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
	struct reply *r = ud;
	dbuf_append(&r->body, p, sz * n);
	return sz * n;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
	struct reply *r = ud;
	size_t len = sz * n;
	if (len > 14 && strncasecmp(p, "Content-Type: ", 14) == 0)
		snprintf(r->ctype, sizeof r->ctype, "%.*s", (int)(len - 16), p + 14);
	if (len > 9 && strncasecmp(p, "Warning: ", 9) == 0)
		snprintf(r->warning, sizeof r->warning, "%.*s", (int)(len - 11), p + 9);
	if (len > 13 && strncasecmp(p, "Retry-After: ", 13) == 0)
		snprintf(r->retry_after, sizeof r->retry_after, "%.*s", (int)(len - 15),
			 p + 13);
	return len;
}

/* One request; auth: NULL none, else the bearer token. */
static void req(struct fixture *f, const char *method, const char *path,
		const char *auth, const char *ctype, const char *body, size_t blen,
		const char *accept, long timeout_ms, struct reply *r)
{
	memset(r, 0, sizeof *r);
	dbuf_init(&r->body, 0);
	CURL *c = curl_easy_init();
	char url[2048], hdr[256];
	snprintf(url, sizeof url, "%s%s", f->base, path);
	struct curl_slist *h = NULL;
	if (auth) {
		snprintf(hdr, sizeof hdr, "Authorization: Bearer %s", auth);
		h = curl_slist_append(h, hdr);
	}
	if (ctype) { /* "": no Content-Type at all */
		snprintf(hdr, sizeof hdr, *ctype ? "Content-Type: %s" : "Content-Type:%s", ctype);
		h = curl_slist_append(h, hdr);
	}
	if (accept) {
		snprintf(hdr, sizeof hdr, "Accept: %s", accept);
		h = curl_slist_append(h, hdr);
	}
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)blen);
	}
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms ? timeout_ms : 10000L);
	CURLcode rc = curl_easy_perform(c);
	if (rc != CURLE_OK && rc != CURLE_OPERATION_TIMEDOUT)
		fail_msg("%s %s: %s", method, path, curl_easy_strerror(rc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->code);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
}

static void get(struct fixture *f, const char *path, struct reply *r)
{
	req(f, "GET", path, TOKEN, NULL, NULL, 0, NULL, 0, r);
}

static json_t *reply_json(struct reply *r)
{
	json_error_t err;
	json_t *j = json_loadb(r->body.p ? r->body.p : "", r->body.len, 0, &err);
	if (!j)
		fail_msg("not JSON (%s): %.200s", err.text, r->body.p ? r->body.p : "");
	return j;
}

static char *fixture_text(const char *name)
{
	char path[256];
	snprintf(path, sizeof path, "tests/data/sim/%s", name);
	char *txt;
	size_t len;
	struct perr e = { { 0 } };
	if (read_file(path, 1 << 22, &txt, &len, &e) < 0)
		fail_msg("%s", e.msg);
	while (len && txt[len - 1] == '\n')
		txt[--len] = '\0';
	return txt;
}

static json_t *fixture_json(const char *name)
{
	char *t = fixture_text(name);
	json_t *j = json_loads(t, 0, NULL);
	free(t);
	assert_non_null(j);
	return j;
}

static void done(struct reply *r)
{
	dbuf_free(&r->body);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	struct sim_opts o = { .speed = 1, .seed = 7, .history = 64, .seed_pods = 2 };
	struct perr e = { { 0 } };
	f->s = sim_new(&o, &e);
	assert_non_null(f->s);
	sim_lock(f->s);
	/* sim_new seeds default and kube-system. */
	assert_non_null(sim_store_get(f->s, sim_kind_find("", "namespaces"), NULL, "default"));
	assert_non_null(sim_store_get(f->s, sim_kind_find("", "namespaces"), NULL,
				      "kube-system"));
	sim_unlock(f->s);
	assert_int_equal(sim_start_controllers(f->s, &e), 0);
	struct sim_server_opts so = { .listen = "127.0.0.1:0", .token = TOKEN };
	f->srv = sim_server_start(f->s, &so, &e);
	if (!f->srv)
		fail_msg("%s", e.msg);
	snprintf(f->base, sizeof f->base, "%s", sim_server_url(f->srv));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	sim_server_stop(f->srv);
	sim_free(f->s);
	free(f);
	return 0;
}

/* Every resource we list under path is the real server's entry for it. */
static void assert_resources_match(struct fixture *f, const char *path,
				   const char *fixture)
{
	struct reply r;
	get(f, path, &r);
	assert_int_equal(r.code, 200);
	json_t *got = reply_json(&r), *want = fixture_json(fixture);
	static const char *const top[] = { "kind", "apiVersion", "groupVersion" };
	for (int t = 0; t < 3; t++) {
		json_t *a = json_object_get(got, top[t]), *b = json_object_get(want, top[t]);
		assert_true((!a && !b) || json_equal(a, b));
	}
	size_t i, j, matched = 0;
	json_t *g, *w;
	json_array_foreach(json_object_get(got, "resources"), i, g)
	{
		const char *name = json_string_value(json_object_get(g, "name"));
		json_array_foreach(json_object_get(want, "resources"), j, w)
		{
			if (strcmp(name, json_string_value(json_object_get(w, "name"))))
				continue;
			char *a = json_dumps(g, JSON_COMPACT), *b = json_dumps(w, JSON_COMPACT);
			assert_string_equal(a, b);
			free(a);
			free(b);
			matched++;
		}
	}
	assert_int_equal(matched, json_array_size(json_object_get(got, "resources")));
	json_decref(got);
	json_decref(want);
	done(&r);
}

static void test_discovery(void **state)
{
	struct fixture *f = *state;
	assert_resources_match(f, "/api/v1", "api-v1.json");
	assert_resources_match(f, "/apis/apps/v1", "apis-apps-v1.json");

	struct reply r;
	req(f, "GET", "/version", NULL, NULL, NULL, 0, NULL, 0, &r);
	assert_int_equal(r.code, 200);
	char *want = fixture_text("version.json");
	assert_string_equal(r.body.p, want);
	free(want);
	done(&r);

	get(f, "/api", &r);
	json_t *got = reply_json(&r), *wj = fixture_json("api.json");
	/* The same but for our address in place of 127.0.0.1:6443. */
	char addr[64];
	snprintf(addr, sizeof addr, "127.0.0.1:%d", sim_server_port(f->srv));
	json_object_set_new(json_array_get(json_object_get(wj, "serverAddressByClientCIDRs"), 0),
			    "serverAddress", json_string(addr));
	assert_true(json_equal(got, wj));
	assert_string_equal(json_string_value(json_object_get(got, "kind")), "APIVersions");
	json_decref(got);
	json_decref(wj);
	done(&r);

	/* /apis: each group we serve as the real server lists it. */
	get(f, "/apis", &r);
	got = reply_json(&r);
	wj = fixture_json("apis.json");
	size_t i, j, found = 0;
	json_t *g, *w;
	json_array_foreach(json_object_get(got, "groups"), i, g)
	{
		json_array_foreach(json_object_get(wj, "groups"), j, w)
		{
			if (json_equal(json_object_get(g, "name"), json_object_get(w, "name"))) {
				/* batch also has v1beta1 in 1.20; we serve v1. */
				assert_true(json_equal(json_object_get(g, "preferredVersion"),
						       json_object_get(w, "preferredVersion")));
				found++;
			}
		}
	}
	assert_int_equal(found, 2); /* apps, batch; metrics.k8s.io is ours */
	json_decref(got);
	json_decref(wj);
	done(&r);

	/* For people the real server indents. */
	get(f, "/api?pretty=true", &r);
	assert_non_null(strstr(r.body.p, "{\n  \"kind\": \"APIVersions\""));
	done(&r);

	req(f, "GET", "/healthz", NULL, NULL, NULL, 0, NULL, 0, &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(r.body.p, "ok");
	done(&r);
}

static void assert_reply_is(struct reply *r, long code, const char *fixture)
{
	assert_int_equal(r->code, code);
	char *want = fixture_text(fixture);
	assert_string_equal(r->body.p, want);
	free(want);
	assert_string_equal(r->ctype, "application/json");
}

static void test_status_words(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	get(f, "/apis/apps/v1/namespaces/default/deployments/does-not-exist", &r);
	assert_reply_is(&r, 404, "status-404-deployment-notfound.json");
	done(&r);

	req(f, "GET", "/api/v1/namespaces/default/pods", "not-a-valid-token", NULL, NULL,
	    0, NULL, 0, &r);
	assert_reply_is(&r, 401, "status-401-bad-token.json");
	done(&r);

	req(f, "GET", "/api/v1/namespaces/default/pods", NULL, NULL, NULL, 0, NULL, 0, &r);
	assert_reply_is(&r, 403, "status-403-anonymous.json");
	done(&r);

	get(f, "/api/v1/namespaces/default/pods?labelSelector=app%3D%3D%3Dx", &r);
	assert_reply_is(&r, 400, "status-400-bad-labelselector.json");
	done(&r);

	char *body = fixture_text("create-demo-duplicate.json");
	req(f, "POST", "/apis/apps/v1/namespaces/no-such-ns/deployments", TOKEN,
	    "application/json", body, strlen(body), NULL, 0, &r);
	assert_reply_is(&r, 404, "status-404-namespace-on-create.json");
	done(&r);
	req(f, "POST", "/apis/apps/v1/namespaces/default/deployments", TOKEN,
	    "application/json", body, strlen(body), NULL, 0, &r);
	assert_int_equal(r.code, 201);
	done(&r);
	req(f, "POST", "/apis/apps/v1/namespaces/default/deployments", TOKEN,
	    "application/json", body, strlen(body), NULL, 0, &r);
	assert_reply_is(&r, 409, "status-409-alreadyexists.json");
	done(&r);
	free(body);

	body = fixture_text("create-ai_model.json");
	req(f, "POST", "/apis/apps/v1/namespaces/default/deployments", TOKEN,
	    "application/json", body, strlen(body), NULL, 0, &r);
	assert_reply_is(&r, 422, "status-422-invalid-name.json");
	done(&r);
	free(body);

	/* What kubectl get asks for: the Table, with our rows. */
	req(f, "GET", "/apis/apps/v1/namespaces/default/deployments", TOKEN, NULL, NULL, 0,
	    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;"
	    "v=v1beta1;g=meta.k8s.io,application/json",
	    0, &r);
	assert_int_equal(r.code, 200);
	json_t *t = reply_json(&r);
	assert_string_equal(json_string_value(json_object_get(t, "kind")), "Table");
	assert_non_null(json_string_value(json_object_get(json_object_get(t, "metadata"),
							  "resourceVersion")));
	assert_int_equal(json_array_size(json_object_get(t, "rows")), 1);
	json_decref(t);
	done(&r);

	/* A stale PUT. */
	get(f, "/apis/apps/v1/namespaces/default/deployments/demo", &r);
	json_t *d = reply_json(&r);
	done(&r);
	json_object_set_new(json_object_get(d, "metadata"), "resourceVersion",
			    json_string("1"));
	char *put = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	req(f, "PUT", "/apis/apps/v1/namespaces/default/deployments/demo", TOKEN,
	    "application/json", put, strlen(put), NULL, 0, &r);
	assert_reply_is(&r, 409, "status-409-conflict-stale-rv.json");
	done(&r);
	free(put);
}

static void test_crud_and_paging(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	char *body = fixture_text("create-fixture-delete-me.json");
	req(f, "POST", "/apis/apps/v1/namespaces/default/deployments", TOKEN,
	    "application/json", body, strlen(body), NULL, 0, &r);
	free(body);
	assert_int_equal(r.code, 201);
	json_t *got = reply_json(&r), *want = fixture_json("deployment-create.json");
	assert_true(json_equal(json_object_get(got, "spec"), json_object_get(want, "spec")));
	assert_string_equal(json_string_value(json_object_get(got, "kind")), "Deployment");
	char *uid = xstrdup(json_string_value(
		json_object_get(json_object_get(got, "metadata"), "uid")));
	json_decref(got);
	json_decref(want);
	done(&r);

	/* Scale subresource, as recorded. */
	get(f, "/apis/apps/v1/namespaces/default/deployments/fixture-delete-me/scale", &r);
	assert_int_equal(r.code, 200);
	got = reply_json(&r);
	want = fixture_json("deployment-scale.json");
	assert_true(json_equal(json_object_get(got, "spec"), json_object_get(want, "spec")));
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(got, "status"), "selector")),
			    "app=demo");
	assert_string_equal(json_string_value(json_object_get(got, "apiVersion")),
			    "autoscaling/v1");
	json_decref(got);
	json_decref(want);
	done(&r);

	/* kubectl scale: a merge patch on the scale subresource -> Scale. */
	const char *sp = "{\"spec\":{\"replicas\":3}}";
	req(f, "PATCH", "/apis/apps/v1/namespaces/default/deployments/fixture-delete-me/scale",
	    TOKEN, "application/merge-patch+json", sp, strlen(sp), NULL, 0, &r);
	assert_int_equal(r.code, 200);
	got = reply_json(&r);
	want = fixture_json("deployment-scale-patch.json");
	assert_string_equal(json_string_value(json_object_get(got, "kind")), "Scale");
	assert_true(json_equal(json_object_get(got, "spec"), json_object_get(want, "spec")));
	json_decref(got);
	json_decref(want);
	done(&r);
	const char *jp = "[{\"op\":\"add\",\"path\":\"/metadata/labels/tier\","
			 "\"value\":\"web\"},{\"op\":\"replace\",\"path\":"
			 "\"/spec/replicas\",\"value\":4}]";
	req(f, "PATCH", "/apis/apps/v1/namespaces/default/deployments/fixture-delete-me",
	    TOKEN, "application/json-patch+json", jp, strlen(jp), NULL, 0, &r);
	assert_int_equal(r.code, 200);
	got = reply_json(&r);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(got, "spec"),
							    "replicas")),
			 4);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
				    json_object_get(got, "metadata"), "labels"), "tier")),
			    "web");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(got, "metadata"),
							    "generation")),
			 2); /* scaling 3 -> 3 changed nothing */
	json_decref(got);
	done(&r);
	req(f, "PATCH", "/apis/apps/v1/namespaces/default/deployments/fixture-delete-me",
	    TOKEN, "application/xml", "<x/>", 4, NULL, 0, &r);
	assert_int_equal(r.code, 415);
	done(&r);
	req(f, "PATCH", "/apis/apps/v1/namespaces/default/deployments/nope", TOKEN,
	    "application/merge-patch+json", "{}", 2, NULL, 0, &r);
	assert_int_equal(r.code, 404);
	done(&r);

	/* Several configmaps, listed two at a time. */
	for (int i = 0; i < 5; i++) {
		char cm[128];
		snprintf(cm, sizeof cm,
			 "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%d\n"
			 "  labels:\n    tier: \"%s\"\ndata:\n  n: \"%d\"\n",
			 i, i % 2 ? "odd" : "even", i);
		req(f, "POST", "/api/v1/namespaces/default/configmaps", TOKEN,
		    "application/yaml", cm, strlen(cm), NULL, 0, &r);
		assert_int_equal(r.code, 201);
		done(&r);
	}
	get(f, "/api/v1/namespaces/default/configmaps?limit=2", &r);
	got = reply_json(&r);
	done(&r);
	assert_string_equal(json_string_value(json_object_get(got, "kind")), "ConfigMapList");
	json_t *meta = json_object_get(got, "metadata");
	assert_int_equal(json_array_size(json_object_get(got, "items")), 2);
	assert_int_equal(json_integer_value(json_object_get(meta, "remainingItemCount")), 3);
	assert_null(json_object_get(json_array_get(json_object_get(got, "items"), 0), "kind"));
	char path[1024];
	snprintf(path, sizeof path, "/api/v1/namespaces/default/configmaps?limit=2&continue=%s",
		 json_string_value(json_object_get(meta, "continue")));
	json_decref(got);
	get(f, path, &r);
	got = reply_json(&r);
	done(&r);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
				    json_array_get(json_object_get(got, "items"), 0),
				    "metadata"), "name")),
			    "cm-2");
	json_decref(got);
	get(f, "/api/v1/configmaps?labelSelector=tier%3Dodd", &r);
	got = reply_json(&r);
	done(&r);
	assert_int_equal(json_array_size(json_object_get(got, "items")), 2);
	json_decref(got);
	get(f, "/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name%3Dcm-4", &r);
	got = reply_json(&r);
	done(&r);
	assert_int_equal(json_array_size(json_object_get(got, "items")), 1);
	json_decref(got);

	/* Delete: the recorded Success Status with our uid. */
	const char *opts = "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\","
			   "\"propagationPolicy\":\"Background\"}";
	req(f, "DELETE", "/apis/apps/v1/namespaces/default/deployments/fixture-delete-me",
	    TOKEN, "application/json", opts, strlen(opts), NULL, 0, &r);
	assert_int_equal(r.code, 200);
	got = reply_json(&r);
	want = fixture_json("deployment-delete.json");
	json_object_set_new(json_object_get(want, "details"), "uid", json_string(uid));
	assert_true(json_equal(got, want));
	json_decref(got);
	json_decref(want);
	free(uid);
	done(&r);
	req(f, "DELETE", "/api/v1/namespaces/default/configmaps?labelSelector=tier%3Deven",
	    TOKEN, NULL, NULL, 0, NULL, 0, &r);
	assert_int_equal(r.code, 200);
	done(&r);
	get(f, "/api/v1/namespaces/default/configmaps", &r);
	got = reply_json(&r);
	done(&r);
	assert_int_equal(json_array_size(json_object_get(got, "items")), 2);
	json_decref(got);
}

/* What kubectl create deployment sends: protobuf (a Deployment pb with
 * replicas 2, selector and template app=pb, one container c/nginx). */
static const char pb_deployment[] =
	"\x6b\x38\x73\x00\x0a\x15\x0a\x07\x61\x70\x70\x73\x2f\x76\x31\x12\x0a\x44"
	"\x65\x70\x6c\x6f\x79\x6d\x65\x6e\x74\x12\x43\x0a\x0f\x0a\x02\x70\x62\x5a"
	"\x09\x0a\x03\x61\x70\x70\x12\x02\x70\x62\x12\x30\x08\x02\x12\x0b\x0a\x09"
	"\x0a\x03\x61\x70\x70\x12\x02\x70\x62\x1a\x1d\x0a\x0b\x5a\x09\x0a\x03\x61"
	"\x70\x70\x12\x02\x70\x62\x12\x0e\x12\x0c\x0a\x01\x63\x12\x05\x6e\x67\x69"
	"\x6e\x78\x42\x00\x22\x00\x22\x23\x61\x70\x70\x6c\x69\x63\x61\x74\x69\x6f"
	"\x6e\x2f\x76\x6e\x64\x2e\x6b\x75\x62\x65\x72\x6e\x65\x74\x65\x73\x2e\x70"
	"\x72\x6f\x74\x6f\x62\x75\x66";

static void test_protobuf_create(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	const char *ct = "application/vnd.kubernetes.protobuf";
	req(f, "POST", "/apis/apps/v1/namespaces/default/deployments", TOKEN, ct,
	    pb_deployment, sizeof pb_deployment - 1, NULL, 0, &r);
	assert_int_equal(r.code, 201);
	json_t *d = reply_json(&r);
	done(&r);
	json_t *spec = json_object_get(d, "spec");
	assert_string_equal(json_string_value(json_object_get(json_object_get(d, "metadata"),
							      "name")),
			    "pb");
	assert_int_equal(json_integer_value(json_object_get(spec, "replicas")), 2);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
				    json_object_get(spec, "selector"), "matchLabels"), "app")),
			    "pb");
	json_t *c = json_array_get(json_object_get(json_object_get(json_object_get(
					 spec, "template"), "spec"), "containers"), 0);
	assert_string_equal(json_string_value(json_object_get(c, "image")), "nginx");
	assert_true(json_is_object(json_object_get(c, "resources")));
	/* The strategy came as an empty message and got the defaults. */
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(spec, "strategy"), "type")),
			    "RollingUpdate");
	json_decref(d);
	/* Cut short, or not protobuf at all: 400, and the server goes on. */
	req(f, "POST", "/apis/apps/v1/namespaces/default/deployments", TOKEN, ct,
	    pb_deployment, 40, NULL, 0, &r);
	assert_int_equal(r.code, 400);
	done(&r);
	req(f, "POST", "/apis/apps/v1/namespaces/default/deployments", TOKEN, ct, "{}", 2,
	    NULL, 0, &r);
	assert_int_equal(r.code, 400);
	done(&r);
}

/* Server-side apply as recorded: create by apply, a second manager's
 * conflict in the real words, then force. */
static void test_server_side_apply(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	const char *ct = "application/apply-patch+yaml";
	const char *full = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ssa-demo\n"
			   "spec:\n  replicas: 2\n  selector:\n    matchLabels: {app: ssa}\n"
			   "  template:\n    metadata:\n      labels: {app: ssa}\n    spec:\n"
			   "      containers:\n      - name: c\n        image: nginx\n";
	const char *path = "/apis/apps/v1/namespaces/default/deployments/ssa-demo";
	char url[256];
	snprintf(url, sizeof url, "%s?fieldManager=kubectl", path);
	req(f, "PATCH", url, TOKEN, ct, full, strlen(full), NULL, 0, &r);
	assert_int_equal(r.code, 201);
	done(&r);
	char *other = fixture_text("ssa-setup-other-manager.yaml");
	snprintf(url, sizeof url, "%s?fieldManager=other-manager&force=true", path);
	req(f, "PATCH", url, TOKEN, ct, other, strlen(other), NULL, 0, &r);
	free(other);
	assert_int_equal(r.code, 200);
	done(&r);
	char *conflict = fixture_text("ssa-conflict-apply.yaml");
	snprintf(url, sizeof url, "%s?fieldManager=fixture-manager", path);
	req(f, "PATCH", url, TOKEN, ct, conflict, strlen(conflict), NULL, 0, &r);
	assert_reply_is(&r, 409, "status-409-ssa-conflict.json");
	done(&r);
	snprintf(url, sizeof url, "%s?fieldManager=fixture-manager&force=true", path);
	req(f, "PATCH", url, TOKEN, ct, conflict, strlen(conflict), NULL, 0, &r);
	free(conflict);
	assert_int_equal(r.code, 200);
	json_t *d = reply_json(&r);
	done(&r);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "spec"),
							    "replicas")),
			 4);
	assert_true(json_array_size(json_object_get(json_object_get(d, "metadata"),
						    "managedFields")) >= 2);
	json_decref(d);
	/* No fieldManager: refused. */
	req(f, "PATCH", path, TOKEN, ct, full, strlen(full), NULL, 0, &r);
	assert_int_equal(r.code, 400);
	done(&r);
	req(f, "DELETE", path, TOKEN, NULL, NULL, 0, NULL, 0, &r);
	done(&r);
}

/* Pod logs: text/plain lines; tailLines; previous without one is the
 * recorded 400; a missing pod is 404. */
static void test_logs(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	get(f, "/api/v1/pods?limit=1", &r);
	json_t *l = reply_json(&r);
	done(&r);
	json_t *pod = json_array_get(json_object_get(l, "items"), 0);
	assert_non_null(pod);
	char base[512];
	snprintf(base, sizeof base, "/api/v1/namespaces/%s/pods/%s/log",
		 json_string_value(json_object_get(json_object_get(pod, "metadata"), "namespace")),
		 json_string_value(json_object_get(json_object_get(pod, "metadata"), "name")));
	char cname[128];
	snprintf(cname, sizeof cname, "%s", json_string_value(json_object_get(
		json_array_get(json_object_get(json_object_get(pod, "spec"), "containers"), 0),
		"name")));
	char pname[256];
	snprintf(pname, sizeof pname, "%s",
		 json_string_value(json_object_get(json_object_get(pod, "metadata"), "name")));
	json_decref(l);
	char path[700];
	snprintf(path, sizeof path, "%s?tailLines=1", base);
	/* The kubelet takes the seeded pod over on its first pass. */
	for (int i = 0; i < 50; i++) {
		get(f, path, &r);
		if (r.code == 200)
			break;
		done(&r);
		usleep(50000);
	}
	assert_int_equal(r.code, 200);
	assert_string_equal(r.ctype, "text/plain");
	assert_true(r.body.len > 0);
	/* One line at most. */
	assert_true(!strchr(r.body.p, '\n') || strchr(r.body.p, '\n') == r.body.p + r.body.len - 1);
	done(&r);
	snprintf(path, sizeof path, "%s?previous=true", base);
	get(f, path, &r);
	assert_int_equal(r.code, 400);
	json_t *st = reply_json(&r), *want = fixture_json("status-400-log-previous.json");
	char msg[512];
	snprintf(msg, sizeof msg, "previous terminated container \"%s\" in pod \"%s\" not found",
		 cname, pname);
	json_object_set_new(want, "message", json_string(msg));
	assert_true(json_equal(st, want));
	json_decref(st);
	json_decref(want);
	done(&r);
	get(f, "/api/v1/namespaces/default/pods/nope/log", &r);
	assert_int_equal(r.code, 404);
	done(&r);
	snprintf(path, sizeof path, "%s?tailLines=x", base);
	get(f, path, &r);
	assert_int_equal(r.code, 400);
	done(&r);
}

/* dryRun=All: every check and default, the answer, and nothing stored. */
static void test_dry_run(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	const char *cm = "{\"metadata\":{\"name\":\"dry\"},\"data\":{\"a\":\"1\"}}";
	const char *col = "/api/v1/namespaces/default/configmaps";
	char path[256];
	snprintf(path, sizeof path, "%s?dryRun=All", col);
	req(f, "POST", path, TOKEN, "application/json", cm, strlen(cm), NULL, 0, &r);
	assert_int_equal(r.code, 201);
	json_t *j = reply_json(&r);
	assert_int_equal(strlen(json_string_value(json_object_get(json_object_get(j, "metadata"),
								  "uid"))),
			 36);
	json_decref(j);
	done(&r);
	get(f, "/api/v1/namespaces/default/configmaps/dry", &r);
	assert_int_equal(r.code, 404);
	done(&r);
	req(f, "POST", col, TOKEN, "application/json", cm, strlen(cm), NULL, 0, &r);
	assert_int_equal(r.code, 201);
	done(&r);
	const char *mp = "{\"data\":{\"a\":\"2\"}}";
	req(f, "PATCH", "/api/v1/namespaces/default/configmaps/dry?dryRun=All", TOKEN,
	    "application/merge-patch+json", mp, strlen(mp), NULL, 0, &r);
	assert_int_equal(r.code, 200);
	j = reply_json(&r);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "data"), "a")), "2");
	json_decref(j);
	done(&r);
	req(f, "DELETE", "/api/v1/namespaces/default/configmaps/dry?dryRun=All", TOKEN, NULL,
	    NULL, 0, NULL, 0, &r);
	assert_int_equal(r.code, 200);
	done(&r);
	get(f, "/api/v1/namespaces/default/configmaps/dry", &r);
	j = reply_json(&r);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "data"), "a")), "1");
	json_decref(j);
	done(&r);
	req(f, "DELETE", "/api/v1/namespaces/default/configmaps/dry?dryRun=Maybe", TOKEN, NULL,
	    NULL, 0, NULL, 0, &r);
	assert_int_equal(r.code, 400);
	done(&r);
	req(f, "DELETE", "/api/v1/namespaces/default/configmaps/dry", TOKEN, NULL, NULL, 0,
	    NULL, 0, &r);
	assert_int_equal(r.code, 200);
	done(&r);
}

static void test_bad_input(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	const char *path = "/api/v1/namespaces/default/configmaps";
	req(f, "POST", path, TOKEN, "application/json", "{\"metadata\":", 12, NULL, 0, &r);
	assert_int_equal(r.code, 400);
	json_t *j = reply_json(&r);
	assert_string_equal(json_string_value(json_object_get(j, "reason")), "BadRequest");
	json_decref(j);
	done(&r);
	const char *yaml = "metadata: [unclosed\n  name: x\n";
	req(f, "POST", path, TOKEN, "application/yaml", yaml, strlen(yaml), NULL, 0, &r);
	assert_int_equal(r.code, 400);
	done(&r);
	/* no Content-Type is JSON, as kubectl 1.20's create configmap sends */
	const char *bare = "{\"metadata\":{\"name\":\"no-ctype\"},\"data\":{\"a\":\"b\"}}";
	req(f, "POST", "/api/v1/namespaces/default/configmaps", TOKEN, "", bare,
	    strlen(bare), NULL, 0, &r);
	assert_int_equal(r.code, 201);
	done(&r);
	/* /openapi/v2 in protobuf when asked for, JSON otherwise */
	req(f, "GET", "/openapi/v2", TOKEN, NULL, NULL, 0, SIM_OPENAPI_V2_PB, 0, &r);
	assert_int_equal(r.code, 200);
	assert_string_equal(r.ctype, "application/octet-stream");
	assert_true(r.body.len > 10000 && !memcmp(r.body.p, "\x0a\x03" "2.0", 5));
	done(&r);
	req(f, "GET", "/openapi/v2", TOKEN, NULL, NULL, 0, "application/json", 0, &r);
	assert_string_equal(r.ctype, "application/json");
	done(&r);
	req(f, "POST", path, TOKEN, "text/plain", "hello", 5, NULL, 0, &r);
	assert_int_equal(r.code, 415);
	j = reply_json(&r);
	assert_string_equal(json_string_value(json_object_get(j, "reason")),
			    "UnsupportedMediaType");
	json_decref(j);
	done(&r);
	/* Unknown fields: 400 when Strict, a Warning header when Warn. */
	const char *typo = "{\"metadata\":{\"name\":\"typo\"},\"dta\":{}}";
	req(f, "POST", "/api/v1/namespaces/default/configmaps?fieldValidation=Strict", TOKEN,
	    "application/json", typo, strlen(typo), NULL, 0, &r);
	assert_int_equal(r.code, 400);
	j = reply_json(&r);
	assert_string_equal(json_string_value(json_object_get(j, "message")),
			    "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: "
			    "strict decoding error: unknown field \"dta\"");
	json_decref(j);
	done(&r);
	req(f, "POST", "/api/v1/namespaces/default/configmaps?fieldValidation=Warn", TOKEN,
	    "application/json", typo, strlen(typo), NULL, 0, &r);
	assert_int_equal(r.code, 201);
	assert_string_equal(r.warning, "299 - \"unknown field \\\"dta\\\"\"");
	done(&r);
	const char *wrongkind = "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"p\"}}";
	req(f, "POST", path, TOKEN, "application/json", wrongkind, strlen(wrongkind), NULL,
	    0, &r);
	assert_int_equal(r.code, 400);
	done(&r);
	get(f, "/api/v1/widgets", &r);
	assert_int_equal(r.code, 404);
	j = reply_json(&r);
	assert_string_equal(json_string_value(json_object_get(j, "message")),
			    "the server could not find the requested resource");
	json_decref(j);
	done(&r);
	get(f, "/apis/nothing.example.com/v1/things", &r);
	assert_int_equal(r.code, 404);
	done(&r);
	req(f, "PATCH", "/api/v1/namespaces", TOKEN, "application/merge-patch+json", "{}",
	    2, NULL, 0, &r);
	assert_int_equal(r.code, 405);
	done(&r);
	/* 4 MiB: refused, and the server goes on. */
	size_t big = 4u << 20;
	char *huge = xmalloc(big);
	memset(huge, ' ', big);
	huge[0] = '{';
	huge[big - 1] = '}';
	req(f, "POST", path, TOKEN, "application/json", huge, big, NULL, 0, &r);
	free(huge);
	assert_int_equal(r.code, 413);
	j = reply_json(&r);
	assert_string_equal(json_string_value(json_object_get(j, "reason")),
			    "RequestEntityTooLarge");
	json_decref(j);
	done(&r);
	get(f, "/api/v1/namespaces/default/configmaps?limit=abc", &r);
	assert_int_equal(r.code, 400);
	done(&r);
	get(f, "/api/v1/namespaces/default/configmaps?limit=1&continue=bm9wZQ", &r);
	assert_int_equal(r.code, 400);
	done(&r);
	get(f, "/api/v1/namespaces/default", &r);
	assert_int_equal(r.code, 200);
	done(&r);
}

static void test_watch(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	/* Beyond the kept window (64 events): one ERROR event, then the end. */
	for (int i = 0; i < 70; i++) {
		char cm[128];
		snprintf(cm, sizeof cm, "{\"metadata\":{\"name\":\"w-%d\"}}", i);
		req(f, "POST", "/api/v1/namespaces/kube-system/configmaps", TOKEN,
		    "application/json", cm, strlen(cm), NULL, 0, &r);
		assert_int_equal(r.code, 201);
		done(&r);
	}
	req(f, "GET", "/api/v1/namespaces/default/pods?watch=1&resourceVersion=1", TOKEN,
	    NULL, NULL, 0, NULL, 3000, &r);
	assert_int_equal(r.code, 200);
	json_t *ev = reply_json(&r);
	json_t *want = fixture_json("watch-410-expired.json");
	/* Same event but for the versions in the message. */
	json_object_del(json_object_get(ev, "object"), "message");
	json_object_del(json_object_get(want, "object"), "message");
	assert_true(json_equal(ev, want));
	json_decref(ev);
	json_decref(want);
	done(&r);

	/* From just before w-69 was made, with a selector: exactly its
	 * ADDED, then the end at timeoutSeconds. */
	get(f, "/api/v1/namespaces/kube-system/configmaps/w-69", &r);
	json_t *l = reply_json(&r);
	done(&r);
	unsigned long long rv = strtoull(json_string_value(json_object_get(
		json_object_get(l, "metadata"), "resourceVersion")), NULL, 10) - 1;
	json_decref(l);
	char path[256];
	snprintf(path, sizeof path,
		 "/api/v1/namespaces/kube-system/configmaps?watch=true&resourceVersion=%llu"
		 "&fieldSelector=metadata.name%%3Dw-69&timeoutSeconds=1&allowWatchBookmarks=true",
		 rv);
	long long t0 = now_ms();
	req(f, "GET", path, TOKEN, NULL, NULL, 0, NULL, 5000, &r);
	assert_true(now_ms() - t0 < 4000);
	assert_int_equal(r.code, 200);
	int added = 0, other = 0;
	for (char *line = r.body.p; line && *line;) {
		char *nl = strchr(line, '\n');
		assert_non_null(nl);
		*nl = '\0';
		json_t *e = json_loads(line, 0, NULL);
		assert_non_null(e);
		const char *type = json_string_value(json_object_get(e, "type"));
		if (strcmp(type, "ADDED") == 0)
			added++;
		else if (strcmp(type, "BOOKMARK") != 0)
			other++;
		json_decref(e);
		line = nl + 1;
	}
	assert_int_equal(added, 1);
	assert_int_equal(other, 0);
	done(&r);
}

/* A watcher that never reads: the server goes on answering, and drops it
 * once its queue is full, as the real watch cache drops a slow watcher. */
static void test_slow_watcher(void **state)
{
	struct fixture *f = *state;
	sim_lock(f->s);
	size_t cap = f->s->watch_queue_cap;
	f->s->watch_queue_cap = 16;
	sim_unlock(f->s);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	/* A small receive buffer, so that the server's sends block soon. */
	int small = 4096;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((unsigned short)sim_server_port(f->srv)) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	const char *rq = "GET /api/v1/namespaces/default/configmaps?watch=1 HTTP/1.1\r\n"
			 "Host: x\r\nAuthorization: Bearer " TOKEN "\r\n\r\n";
	assert_true(write(fd, rq, strlen(rq)) == (ssize_t)strlen(rq));
	/* Wait for the watcher to be registered. */
	int registered = 0;
	for (int i = 0; i < 100 && !registered; i++) {
		sim_lock(f->s);
		registered = f->s->watchers != NULL;
		sim_unlock(f->s);
		if (!registered)
			usleep(10000);
	}
	assert_true(registered);
	char *big = xmalloc(60000);
	memset(big, 'x', 59999);
	big[59999] = '\0';
	long long t0 = now_ms();
	struct reply r;
	for (int i = 0; i < 80; i++) {
		json_t *cm = json_pack("{s:{s:s},s:{s:s}}", "metadata", "name", "slow",
				       "data", "big", big);
		char name[32];
		snprintf(name, sizeof name, "slow-%d", i);
		json_object_set_new(json_object_get(cm, "metadata"), "name", json_string(name));
		char *body = json_dumps(cm, JSON_COMPACT);
		json_decref(cm);
		req(f, "POST", "/api/v1/namespaces/default/configmaps", TOKEN,
		    "application/json", body, strlen(body), NULL, 0, &r);
		free(body);
		assert_int_equal(r.code, 201);
		done(&r);
	}
	free(big);
	/* 80 writes with a stuck reader took no longer than without one. */
	assert_true(now_ms() - t0 < 8000);
	int dropped = 0;
	for (int i = 0; i < 100 && !dropped; i++) {
		sim_lock(f->s);
		dropped = !f->s->watchers || f->s->watchers->closed;
		sim_unlock(f->s);
		if (!dropped)
			usleep(10000);
	}
	assert_true(dropped);
	close(fd);
	get(f, "/api/v1/namespaces/default/configmaps?limit=1", &r);
	assert_int_equal(r.code, 200);
	done(&r);
	req(f, "DELETE", "/api/v1/namespaces/default/configmaps", TOKEN, NULL, NULL, 0,
	    NULL, 0, &r);
	done(&r);
	sim_lock(f->s);
	f->s->watch_queue_cap = cap;
	sim_unlock(f->s);
}

static void test_faults(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	req(f, "POST", "/sim/v1/faults", NULL, "text/plain", "clear", 5, NULL, 0, &r);
	assert_int_equal(r.code, 403);
	done(&r);
	req(f, "POST", "/sim/v1/faults", TOKEN, "text/plain", "nonsense", 8, NULL, 0, &r);
	assert_int_equal(r.code, 400);
	done(&r);
	req(f, "POST", "/sim/v1/faults", TOKEN, "text/plain", "throttle=3", 10, NULL, 0, &r);
	assert_int_equal(r.code, 200);
	done(&r);
	get(f, "/api/v1/namespaces", &r);
	assert_int_equal(r.code, 429);
	assert_string_equal(r.retry_after, "3");
	json_t *j = reply_json(&r);
	assert_string_equal(json_string_value(json_object_get(j, "reason")), "TooManyRequests");
	json_decref(j);
	done(&r);
	req(f, "POST", "/sim/v1/faults", TOKEN, "application/json",
	    "{\"spec\":\"clear,errors=1\"}", 25, NULL, 0, &r);
	assert_int_equal(r.code, 200);
	done(&r);
	get(f, "/api/v1/namespaces", &r);
	assert_int_equal(r.code, 500);
	done(&r);
	req(f, "POST", "/sim/v1/faults", TOKEN, "text/plain", "clear", 5, NULL, 0, &r);
	assert_int_equal(r.code, 200);
	done(&r);
	get(f, "/api/v1/namespaces", &r);
	assert_int_equal(r.code, 200);
	done(&r);
}

struct client_run {
	struct fixture *f;
	int id;
	int ok;
};

static void *client_run(void *arg)
{
	struct client_run *c = arg;
	for (int i = 0; i < 10; i++) {
		char body[128];
		struct reply r;
		snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"c-%d-%d\",\"labels\":"
			 "{\"conc\":\"yes\"}}}", c->id, i);
		req(c->f, "POST", "/api/v1/namespaces/kube-system/configmaps", TOKEN,
		    "application/json", body, strlen(body), NULL, 0, &r);
		c->ok += r.code == 201;
		done(&r);
		get(c->f, "/api/v1/namespaces/kube-system/configmaps?labelSelector=conc%3Dyes", &r);
		c->ok += r.code == 200;
		done(&r);
	}
	return NULL;
}

/* Many clients at once: every request answered, every write kept. */
static void test_concurrent_clients(void **state)
{
	struct fixture *f = *state;
	struct client_run c[16];
	pthread_t t[16];
	for (int i = 0; i < 16; i++) {
		c[i] = (struct client_run){ .f = f, .id = i };
		pthread_create(&t[i], NULL, client_run, &c[i]);
	}
	for (int i = 0; i < 16; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(c[i].ok, 20);
	}
	struct reply r;
	get(f, "/api/v1/namespaces/kube-system/configmaps?labelSelector=conc%3Dyes", &r);
	json_t *l = reply_json(&r);
	done(&r);
	assert_int_equal(json_array_size(json_object_get(l, "items")), 160);
	json_decref(l);
}

struct bg_watch {
	struct fixture *f;
	char path[256];
	struct reply r;
	long long ms;
};

static void *bg_watch_run(void *arg)
{
	struct bg_watch *w = arg;
	long long t0 = now_ms();
	req(w->f, "GET", w->path, TOKEN, NULL, NULL, 0, NULL, 8000, &w->r);
	w->ms = now_ms() - t0;
	return NULL;
}

static void fault(struct fixture *f, const char *spec)
{
	struct reply r;
	req(f, "POST", "/sim/v1/faults", TOKEN, "text/plain", spec, strlen(spec), NULL, 0, &r);
	assert_int_equal(r.code, 200);
	done(&r);
}

/* drop-watches ends open watches now; expire-watches makes resuming from
 * an earlier version a 410; latency and stall delay answers. */
static void test_watch_faults(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	get(f, "/api/v1/namespaces/default/configmaps", &r);
	json_t *l = reply_json(&r);
	done(&r);
	char rv[32];
	snprintf(rv, sizeof rv, "%s", json_string_value(json_object_get(
					      json_object_get(l, "metadata"), "resourceVersion")));
	json_decref(l);
	struct bg_watch w = { .f = f };
	snprintf(w.path, sizeof w.path,
		 "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=%s&timeoutSeconds=8",
		 rv);
	pthread_t t;
	pthread_create(&t, NULL, bg_watch_run, &w);
	usleep(300000);
	fault(f, "drop-watches");
	pthread_join(t, NULL);
	assert_int_equal(w.r.code, 200);
	assert_true(w.ms < 3000);
	done(&w.r);

	fault(f, "expire-watches");
	req(f, "GET", w.path, TOKEN, NULL, NULL, 0, NULL, 3000, &r);
	json_t *ev = reply_json(&r);
	done(&r);
	assert_string_equal(json_string_value(json_object_get(ev, "type")), "ERROR");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(ev, "object"),
							    "code")),
			 410);
	json_decref(ev);

	fault(f, "latency=300");
	long long t0 = now_ms();
	get(f, "/api/v1/namespaces", &r);
	assert_int_equal(r.code, 200);
	assert_true(now_ms() - t0 >= 290);
	done(&r);
	fault(f, "clear,stall=1");
	t0 = now_ms();
	get(f, "/api/v1/namespaces", &r);
	assert_int_equal(r.code, 200);
	assert_true(now_ms() - t0 >= 800);
	done(&r);
	fault(f, "clear");
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discovery),
		cmocka_unit_test(test_status_words),
		cmocka_unit_test(test_crud_and_paging),
		cmocka_unit_test(test_protobuf_create),
		cmocka_unit_test(test_server_side_apply),
		cmocka_unit_test(test_logs),
		cmocka_unit_test(test_dry_run),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_watch),
		cmocka_unit_test(test_slow_watcher),
		cmocka_unit_test(test_faults),
		cmocka_unit_test(test_watch_faults),
		cmocka_unit_test(test_concurrent_clients),
	};
	int rc = cmocka_run_group_tests(tests, setup, teardown);
	curl_global_cleanup();
	return rc;
}
