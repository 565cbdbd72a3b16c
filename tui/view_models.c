/*
 * view_models.c - what the models view shows beyond the Deployment itself:
 * a sparkline of ready replicas over the last two minutes (sampled as the
 * cache changes, one bucket per SPARK_MS), the live request rate and p99
 * latency scraped every few seconds from each ready pod's /metrics through
 * the API server's pod proxy, and CPU and memory from metrics.k8s.io where
 * the cluster serves it.
 *
 * Nothing here blocks the loop: the scrapes are transfers on a curl multi
 * handle of our own, moved on a little at every loop iteration (the loop
 * looks again within 100 ms while one runs, as it does for a followed
 * log). The pods come from a list/watch cache of pods labelled
 * podium.dev/model in the dashboard's watch set; a pod belongs to the
 * Deployment whose selector its labels match. Decoding is kube/'s
 * (kube_prom_parse, kube_podmetrics_parse); this file only aggregates and
 * formats.
 */
#define _POSIX_C_SOURCE 200809L
#include "tui/tui.h"
#include "kube/kube.h"

#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPARK_N 12          /* samples shown */
#define SPARK_MS 10000      /* one sample per 10 s: two minutes */
#define SCRAPE_MS 3000      /* a scrape round every 3 s */
#define SCRAPE_TIMEOUT_MS 2500
#define MAX_BODY (1u << 20) /* a /metrics or PodMetricsList bigger is cut */
#define MAX_TARGETS 64      /* pods scraped per round */
#define USAGE_RETRY_MS 60000 /* metrics.k8s.io missing: ask again later */
#define SERVE_PORT 8080     /* podium serve's port in model images */

struct mdep {
	char ns[64], name[256];
	char sel[512];          /* the Deployment's selector, "k=v,k2=v2" */
	int hist[SPARK_N];      /* oldest first */
	int nhist;
	long long bucket;       /* the bucket of hist[nhist-1] */
	int desired;
	double rps, p99;        /* NaN: nothing measured */
	double cpu, mem;        /* cores, bytes; NaN: unknown */
	int round_pods;         /* pods answered in the last round */
	int alive;              /* seen since the last prune */
	/* this round's sums */
	struct kube_prom_scrape acc;
	double acc_rps, acc_cpu, acc_mem;
	int acc_usage, acc_pods;
};

struct mpod {
	char ns[64], name[256];
	struct kube_prom_scrape last;
	long long last_ms;
	int have;
	long long round; /* the round that last saw it */
};

enum xfer_kind { X_POD, X_USAGE };

struct xfer {
	struct kube_easy *x;
	struct dbuf body;
	enum xfer_kind kind;
	int pod; /* index into pods */
	int overflow;
};

struct view_models {
	struct kube_client *client; /* borrowed */
	struct kube_watchset *ws;   /* borrowed */
	struct kube_cache *pods;    /* in ws */
	char *pods_ns;              /* the cache's namespace; NULL: all */
	CURLM *multi;
	struct mdep *deps;
	int ndeps, capdeps;
	struct mpod *mpods;
	int npods, cappods;
	struct xfer *xf[MAX_TARGETS + 1];
	int nxf;
	long long round, next_round, usage_after;
	int changed;
};

/* ---- the sparkline (pure) ----------------------------------------------- */

void view_models_spark(const int *v, int n, int max, int utf8, char *buf, size_t size)
{
	static const char *const blocks[] = { "\u2581", "\u2582", "\u2583", "\u2584",
					      "\u2585", "\u2586", "\u2587", "\u2588" };
	static const char ascii[] = "_.-=#";
	size_t o = 0;
	if (size == 0)
		return;
	buf[0] = '\0';
	for (int i = 0; i < n; i++)
		if (v[i] > max)
			max = v[i];
	if (max < 1)
		max = 1;
	for (int i = 0; i < n; i++) {
		int x = v[i] < 0 ? 0 : v[i];
		const char *g;
		char a[2] = { 0, 0 };
		if (utf8) {
			g = blocks[(x * 7 + max / 2) / max];
		} else {
			a[0] = ascii[(x * 4 + max / 2) / max];
			g = a;
		}
		size_t gl = strlen(g);
		if (o + gl + 1 > size)
			break;
		memcpy(buf + o, g, gl);
		o += gl;
	}
	buf[o] = '\0';
}

/* ---- deployments ------------------------------------------------------ */

static struct mdep *dep_find(struct view_models *m, const char *ns, const char *name)
{
	for (int i = 0; i < m->ndeps; i++)
		if (!strcmp(m->deps[i].ns, ns) && !strcmp(m->deps[i].name, name))
			return &m->deps[i];
	return NULL;
}

void view_models_sample(struct view_models *m, const char *ns, const char *name,
			const char *selector, int ready, int desired, long long now)
{
	if (!m)
		return;
	struct mdep *d = dep_find(m, ns, name);
	if (!d) {
		if (m->ndeps == m->capdeps) {
			m->capdeps = m->capdeps ? m->capdeps * 2 : 8;
			m->deps = xrealloc(m->deps, (size_t)m->capdeps * sizeof *m->deps);
		}
		d = &m->deps[m->ndeps++];
		memset(d, 0, sizeof *d);
		snprintf(d->ns, sizeof d->ns, "%s", ns);
		snprintf(d->name, sizeof d->name, "%s", name);
		d->rps = d->p99 = d->cpu = d->mem = NAN;
	}
	snprintf(d->sel, sizeof d->sel, "%s", selector ? selector : "");
	d->desired = desired;
	d->alive = 1;
	long long b = now / SPARK_MS;
	if (d->nhist == 0) {
		d->hist[d->nhist++] = ready;
		d->bucket = b;
		return;
	}
	/* Buckets with no change carry the last value on. */
	while (d->bucket < b) {
		int last = d->hist[d->nhist - 1];
		if (d->nhist == SPARK_N)
			memmove(d->hist, d->hist + 1, sizeof d->hist[0] * (SPARK_N - 1));
		else
			d->nhist++;
		d->hist[d->nhist - 1] = last;
		d->bucket++;
		if (b - d->bucket > SPARK_N) /* a long gap: skip ahead */
			d->bucket = b - SPARK_N;
	}
	d->hist[d->nhist - 1] = ready;
}

/* "k=v,k2=v2" against labels; requirements that are not equalities are
 * not checked (set-based selectors are rare on model Deployments). */
static int selector_matches(const char *sel, const struct kube_obj *o)
{
	if (!sel || !*sel || !strcmp(sel, "<none>"))
		return 0;
	const char *p = sel;
	while (*p) {
		size_t len = strcspn(p, ",");
		const char *eq = memchr(p, '=', len);
		if (eq && eq > p && eq[-1] != '!') {
			size_t kl = (size_t)(eq - p);
			const char *v = eq + 1 + (eq[1] == '=');
			size_t vl = (size_t)(p + len - v);
			int ok = 0;
			for (size_t i = 0; i < o->nlabels; i++)
				if (strlen(o->labels[i].key) == kl && !strncmp(o->labels[i].key, p, kl) &&
				    strlen(o->labels[i].value) == vl && !strncmp(o->labels[i].value, v, vl))
					ok = 1;
			if (!ok)
				return 0;
		}
		p += len + (p[len] == ',');
	}
	return 1;
}

static struct mdep *dep_of_pod(struct view_models *m, const char *ns, const struct kube_obj *o)
{
	for (int i = 0; i < m->ndeps; i++)
		if (m->deps[i].alive && !strcmp(m->deps[i].ns, ns) && selector_matches(m->deps[i].sel, o))
			return &m->deps[i];
	return NULL;
}

/* ---- scraping ----------------------------------------------------------- */

static size_t on_body(char *p, size_t sz, size_t nm, void *ud)
{
	struct xfer *x = ud;
	if (dbuf_append(&x->body, p, sz * nm) < 0) {
		x->overflow = 1;
		return 0;
	}
	return sz * nm;
}

static int start(struct view_models *m, const char *path, const char *query, enum xfer_kind kind,
		 int pod)
{
	struct perr e = { { 0 } };
	struct kube_easy *x = kube_easy_new(m->client, "GET", path, query,
					    kind == X_POD ? "text/plain" : NULL, &e);
	if (!x)
		return -1;
	struct xfer *t = xcalloc(1, sizeof *t);
	t->x = x;
	t->kind = kind;
	t->pod = pod;
	dbuf_init(&t->body, MAX_BODY);
	curl_easy_setopt(x->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(x->curl, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(x->curl, CURLOPT_PRIVATE, t);
	curl_easy_setopt(x->curl, CURLOPT_TIMEOUT_MS, (long)SCRAPE_TIMEOUT_MS);
	curl_multi_add_handle(m->multi, x->curl);
	m->xf[m->nxf++] = t;
	return 0;
}

static void xfer_free(struct view_models *m, struct xfer *t)
{
	curl_multi_remove_handle(m->multi, t->x->curl);
	kube_easy_free(t->x);
	dbuf_free(&t->body);
	free(t);
}

static struct mpod *pod_slot(struct view_models *m, const char *ns, const char *name)
{
	for (int i = 0; i < m->npods; i++)
		if (!strcmp(m->mpods[i].ns, ns) && !strcmp(m->mpods[i].name, name))
			return &m->mpods[i];
	if (m->npods == m->cappods) {
		m->cappods = m->cappods ? m->cappods * 2 : 8;
		m->mpods = xrealloc(m->mpods, (size_t)m->cappods * sizeof *m->mpods);
	}
	struct mpod *p = &m->mpods[m->npods++];
	memset(p, 0, sizeof *p);
	snprintf(p->ns, sizeof p->ns, "%s", ns);
	snprintf(p->name, sizeof p->name, "%s", name);
	return p;
}

/* A pod that answers: Running with every container ready ("2/2"). */
static int pod_ready(const struct kube_obj *o)
{
	if (o->deleting || o->ncols < 3 || !o->cols[1] || !o->cols[2])
		return 0;
	const char *slash = strchr(o->cols[1], '/');
	return slash && atol(o->cols[1]) == atol(slash + 1) && atol(o->cols[1]) > 0 &&
	       !strcmp(o->cols[2], "Running");
}

static void start_round(struct view_models *m, long long now)
{
	m->round++;
	for (int i = 0; i < m->ndeps; i++) {
		struct mdep *d = &m->deps[i];
		memset(&d->acc, 0, sizeof d->acc);
		d->acc_rps = d->acc_cpu = d->acc_mem = 0;
		d->acc_usage = d->acc_pods = 0;
	}
	const struct kube_item **items = NULL;
	size_t n = m->pods ? kube_cache_items(m->pods, &items) : 0;
	int targets = 0;
	for (size_t i = 0; i < n && targets < MAX_TARGETS; i++) {
		const struct kube_obj *o = items[i]->proj;
		if (!o || !pod_ready(o) || !dep_of_pod(m, o->namespace, o))
			continue;
		pod_slot(m, o->namespace, o->name)->round = m->round;
		targets++;
	}
	free(items);
	/* Pods gone since the last round are forgotten; the rest are this
	 * round's targets. */
	int k = 0;
	for (int i = 0; i < m->npods; i++)
		if (m->mpods[i].round == m->round)
			m->mpods[k++] = m->mpods[i];
	m->npods = k;
	for (int i = 0; i < m->npods; i++) {
		char *path = xasprintf("/api/v1/namespaces/%s/pods/%s:%d/proxy/metrics", m->mpods[i].ns,
				       m->mpods[i].name, SERVE_PORT);
		start(m, path, NULL, X_POD, i);
		free(path);
	}
	if (now >= m->usage_after) {
		char *path = m->pods_ns ? xasprintf("/apis/metrics.k8s.io/v1beta1/namespaces/%s/pods", m->pods_ns)
					: xstrdup("/apis/metrics.k8s.io/v1beta1/pods");
		start(m, path, "labelSelector=podium.dev%2Fmodel", X_USAGE, -1);
		free(path);
	}
	m->next_round = now + SCRAPE_MS;
}

static void pod_done(struct view_models *m, struct xfer *t, long long now)
{
	if (t->pod < 0 || t->pod >= m->npods)
		return;
	struct mpod *p = &m->mpods[t->pod];
	struct kube_prom_scrape cur;
	struct perr e = { { 0 } };
	if (kube_prom_parse(t->body.p ? t->body.p : "", t->body.len, &cur, &e) < 0)
		return;
	const struct kube_item *it = kube_cache_get(m->pods, p->ns, p->name);
	struct mdep *d = it && it->proj ? dep_of_pod(m, p->ns, it->proj) : NULL;
	if (d && p->have && now > p->last_ms) {
		struct kube_prom_scrape delta;
		kube_prom_delta(&p->last, &cur, &delta);
		kube_prom_add(&d->acc, &delta);
		d->acc_rps += delta.requests * 1000.0 / (double)(now - p->last_ms);
		d->acc_pods++;
	}
	p->last = cur;
	p->last_ms = now;
	p->have = 1;
}

static void usage_done(struct view_models *m, struct xfer *t, int ok, long long now)
{
	struct kube_pod_usage *u = NULL;
	size_t n = 0;
	struct perr e = { { 0 } };
	if (!ok || kube_podmetrics_parse(t->body.p ? t->body.p : "", t->body.len, &u, &n, &e) < 0) {
		m->usage_after = now + USAGE_RETRY_MS; /* not served here */
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct kube_item *it = m->pods ? kube_cache_get(m->pods, u[i].ns, u[i].name) : NULL;
		struct mdep *d = it && it->proj ? dep_of_pod(m, u[i].ns, it->proj) : NULL;
		if (!d)
			continue;
		d->acc_cpu += u[i].cpu_cores;
		d->acc_mem += u[i].mem_bytes;
		d->acc_usage = 1;
	}
	free(u);
}

static void end_round(struct view_models *m, int usage_asked)
{
	for (int i = 0; i < m->ndeps; i++) {
		struct mdep *d = &m->deps[i];
		double rps = d->acc_pods ? d->acc_rps : NAN;
		double p99 = d->acc_pods && d->acc.nbuckets
				     ? kube_prom_quantile(0.99, d->acc.le, d->acc.count, d->acc.nbuckets)
				     : NAN;
		double cpu = d->acc_usage ? d->acc_cpu : NAN, mem = d->acc_usage ? d->acc_mem : NAN;
		if (!usage_asked) { /* keep the last known usage */
			cpu = d->cpu;
			mem = d->mem;
		}
#define SAME(a, b) ((isnan(a) && isnan(b)) || (a) == (b))
		if (!SAME(rps, d->rps) || !SAME(p99, d->p99) || !SAME(cpu, d->cpu) || !SAME(mem, d->mem))
			m->changed = 1;
#undef SAME
		d->rps = rps;
		d->p99 = p99;
		d->cpu = cpu;
		d->mem = mem;
		d->round_pods = d->acc_pods;
	}
}

int view_models_step(struct view_models *m, const char *ns, long long now)
{
	if (!m)
		return 0;
	/* The pods to scrape: one cache in the dashboard's watch set, in the
	 * models view's namespace (all when it spans them). */
	if (!m->pods || (ns ? !m->pods_ns || strcmp(ns, m->pods_ns) : m->pods_ns != NULL)) {
		if (m->pods)
			kube_watchset_remove(m->ws, m->pods);
		free(m->pods_ns);
		m->pods_ns = ns ? xstrdup(ns) : NULL;
		m->pods = kube_cache_new(m->ws, kube_kind_find("pods"), ns, "podium.dev/model");
	}
	if (m->nxf) {
		int running = 0;
		curl_multi_perform(m->multi, &running);
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(m->multi, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			struct xfer *t = NULL;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
			if (!t)
				continue;
			struct perr e = { { 0 } };
			int ok = !t->overflow && kube_easy_check(t->x, msg->data.result, t->body.p,
								 t->body.len, &e) == 0;
			if (t->kind == X_POD && ok)
				pod_done(m, t, now);
			else if (t->kind == X_USAGE)
				usage_done(m, t, ok, now);
			for (int i = 0; i < m->nxf; i++)
				if (m->xf[i] == t) {
					m->xf[i] = m->xf[--m->nxf];
					break;
				}
			xfer_free(m, t);
		}
		if (m->nxf == 0)
			end_round(m, 1);
	} else if (now >= m->next_round) {
		/* Deployments no longer listed are dropped before the round. */
		int k = 0;
		for (int i = 0; i < m->ndeps; i++)
			if (m->deps[i].alive)
				m->deps[k++] = m->deps[i];
		m->ndeps = k;
		start_round(m, now);
		if (m->nxf)
			curl_multi_perform(m->multi, &(int){ 0 });
		else
			end_round(m, 0);
	}
	int c = m->changed;
	m->changed = 0;
	return c;
}

int view_models_busy(const struct view_models *m)
{
	return m && m->nxf > 0;
}

void view_models_mark(struct view_models *m)
{
	for (int i = 0; m && i < m->ndeps; i++)
		m->deps[i].alive = 0;
}

static void human_bytes(double b, char *buf, size_t n)
{
	static const char *const units[] = { "B", "Ki", "Mi", "Gi", "Ti" };
	int u = 0;
	while (b >= 1024 && u < 4) {
		b /= 1024;
		u++;
	}
	snprintf(buf, n, u ? "%.0f%s" : "%.0f%s", b, units[u]);
}

void view_models_cell(const struct view_models *m, const char *ns, const char *name,
		      enum view_models_col col, int utf8, char *buf, size_t n)
{
	buf[0] = '\0';
	const struct mdep *d = NULL;
	for (int i = 0; m && i < m->ndeps; i++)
		if (!strcmp(m->deps[i].ns, ns) && !strcmp(m->deps[i].name, name))
			d = &m->deps[i];
	if (!d) {
		snprintf(buf, n, "-");
		return;
	}
	switch (col) {
	case VM_SPARK:
		view_models_spark(d->hist, d->nhist, d->desired, utf8, buf, n);
		break;
	case VM_RPS:
		if (isnan(d->rps))
			snprintf(buf, n, "-");
		else
			snprintf(buf, n, d->rps < 10 ? "%.1f" : "%.0f", d->rps);
		break;
	case VM_P99:
		if (isnan(d->p99))
			snprintf(buf, n, "-");
		else if (d->p99 < 1)
			snprintf(buf, n, "%.1fms", d->p99 * 1000);
		else
			snprintf(buf, n, "%.2fs", d->p99);
		break;
	case VM_CPU:
		if (isnan(d->cpu))
			snprintf(buf, n, "-");
		else
			snprintf(buf, n, "%.0fm", d->cpu * 1000);
		break;
	case VM_MEM:
		if (isnan(d->mem))
			snprintf(buf, n, "-");
		else
			human_bytes(d->mem, buf, n);
		break;
	}
}

struct view_models *view_models_new(struct kube_client *c, struct kube_watchset *ws)
{
	struct view_models *m = xcalloc(1, sizeof *m);
	m->client = c;
	m->ws = ws;
	m->multi = curl_multi_init();
	if (!m->multi) {
		free(m);
		return NULL;
	}
	return m;
}

void view_models_free(struct view_models *m)
{
	if (!m)
		return;
	for (int i = 0; i < m->nxf; i++)
		xfer_free(m, m->xf[i]);
	if (m->pods && m->ws)
		kube_watchset_remove(m->ws, m->pods);
	curl_multi_cleanup(m->multi);
	free(m->pods_ns);
	free(m->deps);
	free(m->mpods);
	free(m);
}
