/*
 * fault_client.c - the client side of `podium sim fault`: read the
 * kubeconfig the simulated cluster wrote (its current context's server,
 * CA, token or client certificate) and POST the fault spec to the
 * cluster's admin path /sim/v1/faults, authenticated like any API call.
 * Certificates go to libcurl as blobs; nothing is written to disk.
 */
#define _GNU_SOURCE
#include "kube/sim/server.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The named entry's inner map in a kubeconfig list (clusters, users). */
static json_t *named(json_t *cfg, const char *list, const char *name,
		     const char *inner)
{
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(cfg, list), i, e)
	{
		const char *n = json_string_value(json_object_get(e, "name"));
		if (n && name && strcmp(n, name) == 0)
			return json_object_get(e, inner);
	}
	return NULL;
}

/* base64 -> bytes (caller frees); NULL when not base64. */
static char *unbase64(const char *in, size_t *n)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t len = strlen(in);
	char *out = xmalloc(len * 3 / 4 + 4);
	unsigned v = 0;
	int bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		if (in[i] == '=' || in[i] == '\n' || in[i] == '\r')
			continue;
		const char *p = strchr(tbl, in[i]);
		if (!p || !in[i]) {
			free(out);
			return NULL;
		}
		v = (v << 6) | (unsigned)(p - tbl);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((v >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	*n = o;
	return out;
}

static size_t sink(char *p, size_t sz, size_t n, void *ud)
{
	dbuf_append(ud, p, sz * n);
	return sz * n;
}

/* Set a PEM blob option from base64 data in m[key]; 0 / -1. */
static int blob(CURL *c, CURLoption opt, json_t *m, const char *key,
		char **keep, struct perr *e)
{
	const char *b64 = json_string_value(json_object_get(m, key));
	if (!b64)
		return 0;
	size_t n;
	*keep = unbase64(b64, &n);
	if (!*keep) {
		perr_set(e, "kubeconfig: %s is not base64", key);
		return -1;
	}
	struct curl_blob bl = { *keep, n, CURL_BLOB_NOCOPY };
	curl_easy_setopt(c, opt, &bl);
	return 0;
}

/* POST spec to the kubeconfig's cluster's /sim/v1/faults. */
int sim_fault_remote(const char *kubeconfig, const char *spec, struct perr *e)
{
	int rc = -1;
	char *text = NULL, *ca = NULL, *cert = NULL, *key = NULL, *url = NULL,
	     *auth = NULL;
	size_t len;
	json_t *cfg = NULL;
	CURL *c = NULL;
	struct curl_slist *h = NULL;
	struct dbuf body;
	dbuf_init(&body, 64 * 1024);
	if (read_file(kubeconfig, 1 << 20, &text, &len, e) < 0)
		goto out;
	struct sim_status yst = { 0 };
	cfg = sim_yaml_to_json(text, len, &yst);
	if (!cfg) {
		perr_set(e, "%s: %s", kubeconfig, yst.message);
		sim_status_clear(&yst);
		goto out;
	}
	const char *cur = json_string_value(json_object_get(cfg, "current-context"));
	json_t *ctx = named(cfg, "contexts", cur, "context");
	json_t *cluster = named(cfg, "clusters",
				json_string_value(json_object_get(ctx, "cluster")),
				"cluster");
	json_t *user = named(cfg, "users", json_string_value(json_object_get(ctx, "user")),
			     "user");
	const char *server = json_string_value(json_object_get(cluster, "server"));
	if (!server) {
		perr_set(e, "%s: no server for the current context", kubeconfig);
		goto out;
	}
	c = curl_easy_init();
	if (!c) {
		perr_set(e, "cannot start libcurl");
		goto out;
	}
	url = xasprintf("%s/sim/v1/faults", server);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, spec);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(spec));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	h = curl_slist_append(h, "Content-Type: text/plain");
	const char *token = json_string_value(json_object_get(user, "token"));
	const char *token_file = json_string_value(json_object_get(user, "tokenFile"));
	char *file_token = NULL;
	size_t file_len = 0;
	if (!token && token_file) {
		/* podium sim --token-file: what the file holds now. */
		if (read_file(token_file, 4096, &file_token, &file_len, e) < 0)
			goto out;
		char *t = file_token + strspn(file_token, " \t\r\n");
		t[strcspn(t, " \t\r\n")] = '\0';
		token = t;
	}
	if (token) {
		auth = xasprintf("Authorization: Bearer %s", token);
		h = curl_slist_append(h, auth);
	}
	if (file_token) {
		memset(file_token, 0, file_len);
		free(file_token);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (blob(c, CURLOPT_CAINFO_BLOB, cluster, "certificate-authority-data", &ca, e) < 0 ||
	    blob(c, CURLOPT_SSLCERT_BLOB, user, "client-certificate-data", &cert, e) < 0 ||
	    blob(c, CURLOPT_SSLKEY_BLOB, user, "client-key-data", &key, e) < 0)
		goto out;
	CURLcode cr = curl_easy_perform(c);
	if (cr != CURLE_OK) {
		perr_set(e, "%s: %s", url, curl_easy_strerror(cr));
		goto out;
	}
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200) {
		json_t *st = json_loadb(body.p ? body.p : "", body.len, 0, NULL);
		const char *msg = json_string_value(json_object_get(st, "message"));
		char *clean = sanitize_text(msg ? msg : "", msg ? strlen(msg) : 0, 0);
		perr_set(e, "the cluster refused the fault (HTTP %ld): %s", code, clean);
		free(clean);
		json_decref(st);
		goto out;
	}
	rc = 0;
out:
	curl_slist_free_all(h);
	if (c)
		curl_easy_cleanup(c);
	json_decref(cfg);
	dbuf_free(&body);
	free(text);
	free(ca);
	free(cert);
	free(key);
	free(url);
	free(auth);
	return rc;
}
