/*
 * request.c - synchronous requests for the headless commands: one easy
 * handle performed to the end, the answer collected into a capped buffer,
 * one retry after a 401 when the credential can be fetched afresh.
 */
#define _POSIX_C_SOURCE 200809L
#include "kube/kube.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct collect {
	struct dbuf body;
	struct kube_response *r;
};

static size_t collect_body(char *data, size_t size, size_t n, void *arg)
{
	struct collect *c = arg;
	if (dbuf_append(&c->body, data, size * n) < 0)
		return 0; /* over the cap: libcurl stops with a write error */
	return size * n;
}

static size_t collect_header(char *data, size_t size, size_t n, void *arg)
{
	struct collect *c = arg;
	size_t len = size * n;
	static const char ct[] = "content-type:", ra[] = "retry-after:";
	if (len > sizeof ct && strncasecmp(data, ct, sizeof ct - 1) == 0) {
		const char *v = data + sizeof ct - 1;
		size_t vl = len - (sizeof ct - 1);
		while (vl && (*v == ' ' || *v == '\t'))
			v++, vl--;
		while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
			vl--;
		if (vl >= sizeof c->r->content_type)
			vl = sizeof c->r->content_type - 1;
		memcpy(c->r->content_type, v, vl);
		c->r->content_type[vl] = '\0';
	} else if (len > sizeof ra && strncasecmp(data, ra, sizeof ra - 1) == 0) {
		char tmp[32];
		size_t vl = len - (sizeof ra - 1);
		if (vl >= sizeof tmp)
			vl = sizeof tmp - 1;
		memcpy(tmp, data + sizeof ra - 1, vl);
		tmp[vl] = '\0';
		c->r->retry_after = strtol(tmp, NULL, 10);
	}
	return len;
}

void kube_response_free(struct kube_response *r)
{
	if (!r)
		return;
	free(r->body);
	memset(r, 0, sizeof *r);
}

static int request_once(struct kube_client *c, const struct kube_req *rq,
			struct kube_response *r, long timeout_ms, struct perr *e)
{
	struct kube_easy *x = kube_easy_new(c, rq->method, rq->path, rq->query, rq->accept, e);
	if (!x)
		return -1;
	struct collect col = { .r = r };
	dbuf_init(&col.body, rq->max_body ? rq->max_body : KUBE_MAX_BODY);
	CURL *h = x->curl;
	kube_easy_share(x);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &col);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, collect_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &col);
	if (timeout_ms > 0)
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	if (rq->body) {
		char *ct = xasprintf("Content-Type: %s", rq->content_type ? rq->content_type : "application/json");
		x->headers = curl_slist_append(x->headers, ct);
		free(ct);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, x->headers);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body);
	}
	CURLcode rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	r->len = col.body.len;
	r->body = dbuf_take(&col.body);
	int ret = 0;
	if (rc == CURLE_WRITE_ERROR) {
		perr_set(e, "the answer from %s is larger than %zu bytes", x->url,
			 rq->max_body ? rq->max_body : (size_t)KUBE_MAX_BODY);
		ret = -1;
	} else {
		ret = kube_easy_check(x, rc, r->body, r->len, e);
	}
	kube_easy_free(x);
	return ret;
}

int kube_request_ex(struct kube_client *c, const struct kube_req *rq, struct kube_response *r,
		    struct perr *e)
{
	memset(r, 0, sizeof *r);
	struct perr first = { { 0 } };
	long timeout = kube_client_timeout(c);
	int rc = request_once(c, rq, r, timeout, &first);
	if (rc < 0 && r->status == 401 && kube_client_can_refresh(c)) {
		/* tokenFile may have rotated, the exec credential been revoked:
		 * kube_easy_check dropped the cache, so this fetches anew. */
		kube_response_free(r);
		struct perr second = { { 0 } };
		rc = request_once(c, rq, r, timeout, &second);
		if (rc < 0)
			perr_set(e, "%s", second.msg);
		return rc;
	}
	if (rc < 0)
		perr_set(e, "%s", first.msg);
	return rc;
}

int kube_request(struct kube_client *c, const char *method, const char *path, const char *query,
		 const char *content_type, const char *body, size_t body_len,
		 struct kube_response *r, struct perr *e)
{
	struct kube_req rq = {
		.method = method,
		.path = path,
		.query = query,
		.content_type = content_type,
		.body = body,
		.body_len = body_len,
	};
	return kube_request_ex(c, &rq, r, e);
}

char *kube_query_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = xmalloc(strlen(s) * 3 + 1);
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			out[o++] = (char)*p;
		} else {
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	out[o] = '\0';
	return out;
}
