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

/* One request in flight: which images it carries. */
struct slot {
	struct kube_live *l;
	unsigned long long id; /* 0: free */
	int first, count;
};

struct kube_live {
	struct kube_watchset *ws; /* borrowed */
	struct kube_live_opts o;  /* targets and model copied below */
	char **targets;
	char *model;
	const unsigned char *pix; /* borrowed */
	int n, batch, nreq, next, seq, running;
	struct slot *slots;       /* o.concurrency of them */
	struct kube_live_result r;
	char error[512];          /* a request could not be made */
};

static void on_answer(void *ud, const struct kube_answer *a);

/* Fill the free slots with the next batches. */
static void live_fill(struct kube_live *l)
{
	for (int i = 0; i < l->o.concurrency && l->next < l->n && !l->error[0]; i++) {
		struct slot *s = &l->slots[i];
		if (s->id)
			continue;
		int k = l->n - l->next < l->batch ? l->n - l->next : l->batch;
		char *path = xasprintf("%s/v2/models/%s/infer", l->targets[l->seq % l->o.ntargets],
				       l->model);
		struct perr e = { { 0 } };
		struct kube_easy *x = kube_easy_new(kube_watchset_client(l->ws), "POST", path, NULL,
						    "application/json", &e);
		free(path);
		if (!x) {
			snprintf(l->error, sizeof l->error, "%s", e.msg);
			return;
		}
		char *body = kube_live_body(l->pix + (size_t)l->next * (size_t)(l->o.h * l->o.w), k,
					    l->o.h, l->o.w);
		kube_easy_body(x, "application/json", body, strlen(body));
		free(body);
		s->first = l->next;
		s->count = k;
		l->next += k;
		l->seq++;
		l->running++;
		s->id = kube_watchset_send(l->ws, x, LIVE_MAX_ANSWER, on_answer, s);
	}
}

/* Take a finished request's answer into r. */
static void take_answer(struct kube_live *l, const struct slot *s, const struct kube_answer *a)
{
	struct kube_live_result *r = &l->r;
	r->requests++;
	if (!a->ok) {
		/* The model server's own {"error"} says more than its code. */
		json_t *j = a->len ? json_loadb(a->body, a->len, 0, NULL) : NULL;
		const char *me = json_string_value(json_object_get(j, "error"));
		char msg[600];
		if (me)
			snprintf(msg, sizeof msg, "HTTP %ld: %s", a->status, me);
		else
			snprintf(msg, sizeof msg, "%s", a->error ? a->error : "request failed");
		char *clean = sanitize_text(msg, strlen(msg), 0);
		add_error(r, clean, s->count);
		free(clean);
		json_decref(j);
		return;
	}
	struct perr e = { { 0 } };
	float *p = r->probs + (size_t)s->first * (size_t)l->o.nclass;
	if (kube_live_parse(a->body ? a->body : "", a->len, s->count, l->o.nclass, p, &e) < 0) {
		char *clean = sanitize_text(e.msg, strlen(e.msg), 0);
		add_error(r, clean, s->count);
		free(clean);
		memset(p, 0, (size_t)s->count * (size_t)l->o.nclass * sizeof *p);
		return;
	}
	for (int i = 0; i < s->count; i++)
		r->answered[s->first + i] = 1;
	r->nanswered += s->count;
	r->latency_ms[r->nlat++] = a->ms;
}

static void on_answer(void *ud, const struct kube_answer *a)
{
	struct slot *s = ud;
	struct kube_live *l = s->l;
	take_answer(l, s, a);
	s->id = 0;
	l->running--;
	if (l->o.progress)
		l->o.progress(l->r.requests, l->nreq, l->o.ud);
	live_fill(l);
}

struct kube_live *kube_live_start(struct kube_watchset *ws, const struct kube_live_opts *o,
				  const unsigned char *pix, int n, struct perr *e)
{
	if (o->ntargets < 1 || n < 0 || o->nclass < 1) {
		perr_set(e, "nothing to send the images to");
		return NULL;
	}
	struct kube_live *l = xcalloc(1, sizeof *l);
	l->ws = ws;
	l->o = *o;
	l->o.concurrency = o->concurrency > 0 ? o->concurrency : 4;
	l->batch = o->batch > 0 ? o->batch : 64;
	l->targets = xcalloc((size_t)o->ntargets, sizeof *l->targets);
	for (int i = 0; i < o->ntargets; i++)
		l->targets[i] = xstrdup(o->targets[i]);
	l->o.targets = (const char *const *)l->targets;
	l->model = xstrdup(o->model);
	l->o.model = l->model;
	l->pix = pix;
	l->n = n;
	l->nreq = (n + l->batch - 1) / l->batch;
	l->slots = xcalloc((size_t)l->o.concurrency, sizeof *l->slots);
	for (int i = 0; i < l->o.concurrency; i++)
		l->slots[i].l = l;
	struct kube_live_result *r = &l->r;
	r->n = n;
	r->nclass = o->nclass;
	r->probs = xcalloc((size_t)n * (size_t)o->nclass + 1, sizeof *r->probs);
	r->answered = xcalloc((size_t)n + 1, 1);
	r->latency_ms = xcalloc((size_t)l->nreq + 1, sizeof *r->latency_ms);
	live_fill(l);
	return l;
}

int kube_live_finished(const struct kube_live *l)
{
	return l->running == 0 && (l->next >= l->n || l->error[0]);
}

int kube_live_sent(const struct kube_live *l)
{
	return l->next;
}

const struct kube_live_result *kube_live_result_of(const struct kube_live *l)
{
	return &l->r;
}

const char *kube_live_error(const struct kube_live *l)
{
	return l->error[0] ? l->error : NULL;
}

void kube_live_take(struct kube_live *l, struct kube_live_result *r)
{
	*r = l->r;
	memset(&l->r, 0, sizeof l->r);
}

void kube_live_free(struct kube_live *l)
{
	if (!l)
		return;
	for (int i = 0; i < l->o.concurrency; i++)
		if (l->slots[i].id)
			kube_watchset_cancel(l->ws, l->slots[i].id);
	for (int i = 0; i < l->o.ntargets; i++)
		free(l->targets[i]);
	free(l->targets);
	free(l->model);
	free(l->slots);
	kube_live_result_free(&l->r);
	free(l);
}

int kube_live_infer(struct kube_client *c, const struct kube_live_opts *o,
		    const unsigned char *pix, int n, struct kube_live_result *r,
		    struct perr *e)
{
	memset(r, 0, sizeof *r);
	struct kube_watchset *ws = kube_watchset_new(c);
	if (!ws) {
		perr_set(e, "cannot start curl");
		return -1;
	}
	struct kube_live *l = kube_live_start(ws, o, pix, n, e);
	int rc = -1;
	if (l) {
		kube_watchset_drain(ws);
		kube_live_take(l, r);
		rc = kube_live_error(l) ? -1 : 0;
		if (rc < 0)
			perr_set(e, "%s", kube_live_error(l));
	}
	kube_live_free(l);
	kube_watchset_free(ws);
	return rc;
}
