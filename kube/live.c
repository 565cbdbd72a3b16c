/*
 * live.c - live predictions from model pods, for predict-and-compare: the
 * same images a local model sees are sent, in batches, to the pods through
 * the API server's proxy (a Service's, or each pod's own), several
 * requests in flight on one curl multi handle. Each answer's probabilities
 * are kept by input; each request's latency is kept; every failed request
 * is counted with its error (the proxy's Status or the model server's
 * {"error"}), so nothing the pods got wrong is hidden from the report.
 */
#define _POSIX_C_SOURCE 200809L
#include "kube/kube.h"

#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A batch's answer is about 200 bytes an image; anything far over is not
 * an answer to it. */
#define LIVE_MAX_ANSWER (8u << 20)

char *kube_live_body(const unsigned char *pix, int n, int h, int w)
{
	struct dbuf b;
	dbuf_init(&b, 0);
	dbuf_printf(&b,
		    "{\"inputs\":[{\"name\":\"input\",\"shape\":[%d,%d,%d],"
		    "\"datatype\":\"UINT8\",\"data\":[",
		    n, h, w);
	size_t total = (size_t)n * (size_t)h * (size_t)w;
	for (size_t i = 0; i < total; i++)
		dbuf_printf(&b, i ? ",%u" : "%u", pix[i]);
	dbuf_puts(&b, "]}],\"outputs\":[{\"name\":\"probabilities\"}]}");
	return dbuf_take(&b);
}

int kube_live_parse(const char *body, size_t len, int n, int nclass,
		    float *probs, struct perr *e)
{
	json_error_t je;
	json_t *j = json_loadb(body, len, 0, &je);
	int rc = -1;
	if (!j) {
		perr_set(e, "the answer is not JSON: %s", je.text);
		return -1;
	}
	json_t *outs = json_object_get(j, "outputs"), *o = NULL, *v;
	size_t i;
	json_array_foreach(outs, i, v)
	{
		const char *name =
			json_string_value(json_object_get(v, "name"));
		if (name && strcmp(name, "probabilities") == 0)
			o = v;
	}
	if (!o) {
		perr_set(e, "the answer has no \"probabilities\" output");
		goto out;
	}
	json_t *shape = json_object_get(o, "shape"),
	       *data = json_object_get(o, "data");
	if (json_array_size(shape) != 2 ||
	    json_integer_value(json_array_get(shape, 0)) != n ||
	    json_integer_value(json_array_get(shape, 1)) != nclass) {
		perr_set(e,
			 "the answer's probabilities are not of shape [%d,%d]",
			 n, nclass);
		goto out;
	}
	if (json_array_size(data) != (size_t)n * (size_t)nclass) {
		perr_set(e, "the answer holds %zu probabilities, not %d",
			 json_array_size(data), n * nclass);
		goto out;
	}
	json_array_foreach(data, i, v)
	{
		if (!json_is_number(v)) {
			perr_set(
				e,
				"probability %zu of the answer is not a number",
				i);
			goto out;
		}
		probs[i] = (float)json_number_value(v);
	}
	rc = 0;
out:
	json_decref(j);
	return rc;
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double kube_live_percentile(const double *v, int n, double p)
{
	if (n <= 0)
		return 0;
	double *s = xmalloc((size_t)n * sizeof *s);
	memcpy(s, v, (size_t)n * sizeof *s);
	qsort(s, (size_t)n, sizeof *s, dcmp);
	/* nearest rank */
	int k = (int)ceil(p / 100.0 * n);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	double r = s[k - 1];
	free(s);
	return r;
}

void kube_live_result_free(struct kube_live_result *r)
{
	if (!r)
		return;
	free(r->probs);
	free(r->answered);
	free(r->latency_ms);
	for (int i = 0; i < r->nerrors; i++)
		free(r->errors[i].msg);
	free(r->errors);
	memset(r, 0, sizeof *r);
}

/* Count one failed request under its message. */
static void add_error(struct kube_live_result *r, const char *msg, int images)
{
	r->failed++;
	r->failed_images += images;
	for (int i = 0; i < r->nerrors; i++)
		if (strcmp(r->errors[i].msg, msg) == 0) {
			r->errors[i].count++;
			return;
		}
	r->errors = xrealloc(r->errors,
			     (size_t)(r->nerrors + 1) * sizeof *r->errors);
	r->errors[r->nerrors].msg = xstrdup(msg);
	r->errors[r->nerrors++].count = 1;
}

struct xfer {
	struct kube_easy *x;
	struct dbuf answer;
	char *body;
	int first, count;
	long long t0;
};

static size_t collect(char *p, size_t sz, size_t n, void *ud)
{
	return dbuf_append(ud, p, sz * n) < 0 ? 0 : sz * n;
}

/* Start the request for images [first, first+count) on the next target. */
static struct xfer *start(struct kube_client *c, CURLM *m,
			  const struct kube_live_opts *o,
			  const unsigned char *pix, int first, int count,
			  int seq, struct perr *e)
{
	char *path = xasprintf("%s/v2/models/%s/infer",
			       o->targets[seq % o->ntargets], o->model);
	struct kube_easy *x =
		kube_easy_new(c, "POST", path, NULL, "application/json", e);
	free(path);
	if (!x)
		return NULL;
	struct xfer *t = xcalloc(1, sizeof *t);
	t->x = x;
	t->first = first;
	t->count = count;
	dbuf_init(&t->answer, LIVE_MAX_ANSWER);
	t->body = kube_live_body(pix + (size_t)first * (size_t)(o->h * o->w),
				 count, o->h, o->w);
	x->headers =
		curl_slist_append(x->headers, "Content-Type: application/json");
	curl_easy_setopt(x->curl, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(x->curl, CURLOPT_POSTFIELDSIZE_LARGE,
			 (curl_off_t)strlen(t->body));
	curl_easy_setopt(x->curl, CURLOPT_POSTFIELDS, t->body);
	curl_easy_setopt(x->curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(x->curl, CURLOPT_WRITEDATA, &t->answer);
	curl_easy_setopt(x->curl, CURLOPT_PRIVATE, t);
	t->t0 = now_ms();
	curl_multi_add_handle(m, x->curl);
	return t;
}

/* Take a finished request's answer into r. */
static void finish(struct xfer *t, CURLcode rc, const struct kube_live_opts *o,
		   struct kube_live_result *r)
{
	double ms = (double)(now_ms() - t->t0);
	struct perr e = {{0}};
	long status = 0;
	curl_easy_getinfo(t->x->curl, CURLINFO_RESPONSE_CODE, &status);
	r->requests++;
	if (kube_easy_check(t->x, rc, t->answer.p, t->answer.len, &e) < 0) {
		/* The model server's own {"error"} says more than its code. */
		json_t *j = t->answer.len ? json_loadb(t->answer.p,
						       t->answer.len, 0, NULL)
					  : NULL;
		const char *me = json_string_value(json_object_get(j, "error"));
		char msg[600];
		if (me)
			snprintf(msg, sizeof msg, "HTTP %ld: %s", status, me);
		else
			snprintf(msg, sizeof msg, "%s", e.msg);
		char *clean = sanitize_text(msg, strlen(msg), 0);
		add_error(r, clean, t->count);
		free(clean);
		json_decref(j);
		return;
	}
	float *p = r->probs + (size_t)t->first * (size_t)o->nclass;
	if (kube_live_parse(t->answer.p, t->answer.len, t->count, o->nclass, p,
			    &e) < 0) {
		char *clean = sanitize_text(e.msg, strlen(e.msg), 0);
		add_error(r, clean, t->count);
		free(clean);
		memset(p, 0, (size_t)t->count * (size_t)o->nclass * sizeof *p);
		return;
	}
	for (int i = 0; i < t->count; i++)
		r->answered[t->first + i] = 1;
	r->nanswered += t->count;
	r->latency_ms[r->nlat++] = ms;
}

static void xfer_free(CURLM *m, struct xfer *t)
{
	curl_multi_remove_handle(m, t->x->curl);
	kube_easy_free(t->x);
	dbuf_free(&t->answer);
	free(t->body);
	free(t);
}

int kube_live_infer(struct kube_client *c, const struct kube_live_opts *o,
		    const unsigned char *pix, int n, struct kube_live_result *r,
		    struct perr *e)
{
	memset(r, 0, sizeof *r);
	if (o->ntargets < 1 || n < 0 || o->nclass < 1) {
		perr_set(e, "nothing to send the images to");
		return -1;
	}
	int batch = o->batch > 0 ? o->batch : 64;
	int conc = o->concurrency > 0 ? o->concurrency : 4;
	int nreq = (n + batch - 1) / batch;
	r->n = n;
	r->nclass = o->nclass;
	r->probs = xcalloc((size_t)n * (size_t)o->nclass + 1, sizeof *r->probs);
	r->answered = xcalloc((size_t)n + 1, 1);
	r->latency_ms = xcalloc((size_t)nreq + 1, sizeof *r->latency_ms);
	CURLM *m = curl_multi_init();
	int next = 0, running = 0, seq = 0, rc = 0;
	while (next < n || running) {
		while (running < conc && next < n) {
			int k = n - next < batch ? n - next : batch;
			if (!start(c, m, o, pix, next, k, seq++, e)) {
				rc = -1;
				break;
			}
			next += k;
			running++;
		}
		if (rc < 0 && !running)
			break;
		int still = 0;
		curl_multi_perform(m, &still);
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(m, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			struct xfer *t = NULL;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
					  (char **)&t);
			finish(t, msg->data.result, o, r);
			xfer_free(m, t);
			running--;
			if (o->progress)
				o->progress(r->requests, nreq, o->ud);
		}
		if (rc < 0)
			next = n; /* no new requests; let those in flight end */
		if (running)
			curl_multi_poll(m, NULL, 0, 200, NULL);
	}
	curl_multi_cleanup(m);
	return rc;
}
