/* watch_ingest.c - watch ingestion speed: 100,000 pod watch events, made
 * from the pod events recorded from kube-apiserver 1.20 (each given its own
 * name among 5,000 pods and its own resourceVersion), fed in 64 KiB chunks
 * through the watch decoder into a list/watch cache that keeps a slim pod
 * projection. Prints events per second on one core.
 *
 * usage: watch_ingest FIXTURE [EVENTS] [slim|json|kobj|kobj-json]
 * slim (the default) keeps a few pod fields read from the tokens; json the
 * same through a jansson tree. kobj is the dashboard's real projection
 * (kube_obj_project_tok: every column kubectl prints, sanitised) from the
 * tokens, kobj-json the same through a jansson tree (kube_obj_project, as
 * the dashboard did before). */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kube/kube.h"

#define PODS 5000
#define CHUNK 65536

struct tmpl {
	char *line;
	size_t len;
	size_t name_at, name_end, rv_at, rv_end, type_at, type_end;
};

/* A slim pod, as a dashboard row needs it. */
struct pod {
	char *phase, *node, *ip;
	int ready, total, restarts;
};

static void pod_free(void *p)
{
	struct pod *pod = p;
	if (!pod)
		return;
	free(pod->phase);
	free(pod->node);
	free(pod->ip);
	free(pod);
}

static void *pod_project(void *ctx, const struct jtok_doc *d, int obj)
{
	(void)ctx;
	struct pod *p = xcalloc(1, sizeof *p);
	int status = jtok_get(d, obj, "status");
	p->phase = jtok_str(d, jtok_get(d, status, "phase"));
	p->ip = jtok_str(d, jtok_get(d, status, "podIP"));
	p->node = jtok_str(d, jtok_path(d, obj, (const char *const[]){ "spec", "nodeName", NULL }));
	int cs = jtok_get(d, status, "containerStatuses");
	for (int c = jtok_child(d, cs, -1); c >= 0; c = jtok_child(d, cs, c)) {
		long long r = 0;
		p->total++;
		int ready = jtok_get(d, c, "ready");
		if (ready >= 0 && d->t[ready].type == JTOK_TRUE)
			p->ready++;
		if (jtok_int(d, jtok_get(d, c, "restartCount"), &r) == 0)
			p->restarts += (int)r;
	}
	return p;
}

static char *jdup(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? xstrdup(s) : NULL;
}

static void *pod_project_json(void *ctx, json_t *obj)
{
	(void)ctx;
	struct pod *p = xcalloc(1, sizeof *p);
	json_t *st = json_object_get(obj, "status");
	p->phase = jdup(st, "phase");
	p->ip = jdup(st, "podIP");
	p->node = jdup(json_object_get(obj, "spec"), "nodeName");
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(st, "containerStatuses"), i, c) {
		p->total++;
		p->ready += json_is_true(json_object_get(c, "ready"));
		p->restarts += (int)json_integer_value(json_object_get(c, "restartCount"));
	}
	return p;
}

static void *kobj_project(void *ctx, const struct jtok_doc *d, int obj)
{
	struct kube_obj *o = xcalloc(1, sizeof *o);
	if (kube_obj_project_tok(ctx, d, obj, 1795000000, o) < 0) {
		free(o);
		return NULL;
	}
	return o;
}

static void *kobj_project_json(void *ctx, json_t *obj)
{
	struct kube_obj *o = xcalloc(1, sizeof *o);
	if (kube_obj_project(ctx, obj, 1795000000, o) < 0) {
		free(o);
		return NULL;
	}
	return o;
}

static void kobj_free(void *p)
{
	kube_obj_clear(p);
	free(p);
}

static size_t find_after(const char *s, size_t len, const char *pat)
{
	const char *p = strstr(s, pat);
	if (!p || (size_t)(p - s) >= len) {
		fprintf(stderr, "watch_ingest: template lacks %s\n", pat);
		exit(1);
	}
	return (size_t)(p - s) + strlen(pat);
}

static double secs(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Append event i to b. */
static void gen_event(struct dbuf *b, const struct tmpl *t, long i)
{
	const char *type = i < PODS ? "ADDED" : (i % 50 == 0 ? "DELETED" : "MODIFIED");
	char name[32], rv[32];
	snprintf(name, sizeof name, "bench-pod-%05ld", i % PODS);
	snprintf(rv, sizeof rv, "%ld", 100000 + i);
	dbuf_append(b, t->line, t->type_at);
	dbuf_puts(b, type);
	dbuf_append(b, t->line + t->type_end, t->name_at - t->type_end);
	dbuf_puts(b, name);
	dbuf_append(b, t->line + t->name_end, t->rv_at - t->name_end);
	dbuf_puts(b, rv);
	dbuf_append(b, t->line + t->rv_end, t->len - t->rv_end);
	dbuf_append(b, "\n", 1);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: watch_ingest FIXTURE [EVENTS] [slim|json|kobj|kobj-json]\n");
		return 2;
	}
	long events = argc > 2 ? atol(argv[2]) : 100000;
	const char *mode = argc > 3 ? argv[3] : "slim";
	char *text;
	size_t tlen;
	struct perr e = { { 0 } };
	if (read_file(argv[1], 64 << 20, &text, &tlen, &e) < 0) {
		fprintf(stderr, "watch_ingest: %s\n", e.msg);
		return 1;
	}
	struct tmpl t[64];
	int nt = 0;
	for (char *line = text, *nl; nt < 64 && (nl = strchr(line, '\n')); line = nl + 1) {
		struct tmpl *m = &t[nt++];
		m->line = line;
		m->len = (size_t)(nl - line);
		m->type_at = find_after(line, m->len, "{\"type\":\"");
		m->type_end = m->type_at + strcspn(line + m->type_at, "\"");
		m->name_at = find_after(line, m->len, "\"metadata\":{\"name\":\"");
		m->name_end = m->name_at + strcspn(line + m->name_at, "\"");
		m->rv_at = find_after(line, m->len, "\"resourceVersion\":\"");
		m->rv_end = m->rv_at + strcspn(line + m->rv_at, "\"");
	}
	if (!nt) {
		fprintf(stderr, "watch_ingest: no events in %s\n", argv[1]);
		return 1;
	}

	/* Pass 1: the cost of making the stream alone, to subtract. */
	struct dbuf b;
	dbuf_init(&b, 0);
	double t0 = secs();
	size_t bytes = 0;
	for (long i = 0; i < events; i++) {
		gen_event(&b, &t[i % nt], i);
		if (b.len >= CHUNK) {
			bytes += b.len;
			dbuf_reset(&b);
		}
	}
	bytes += b.len;
	double gen_s = secs() - t0;
	dbuf_reset(&b);

	/* Pass 2: the same stream through the decoder into the cache. */
	struct kube_cache_spec spec = { .path = "/api/v1/pods", .project_free = pod_free };
	const char *what;
	if (strcmp(mode, "slim") == 0) {
		spec.project = pod_project;
		what = "slim pod, tokens";
	} else if (strcmp(mode, "json") == 0) {
		spec.project_json = pod_project_json;
		what = "slim pod, jansson";
	} else if (strcmp(mode, "kobj") == 0 || strcmp(mode, "kobj-json") == 0) {
		spec.project_free = kobj_free;
		spec.project_ctx = (void *)kube_kind_find("pods");
		if (strcmp(mode, "kobj") == 0) {
			spec.project = kobj_project;
			what = "dashboard kube_obj, tokens";
		} else {
			spec.project_json = kobj_project_json;
			what = "dashboard kube_obj, jansson";
		}
	} else {
		fprintf(stderr, "watch_ingest: unknown mode %s\n", mode);
		return 2;
	}
	struct kube_cache *c = kube_cache_new_spec(&spec);
	char *q;
	kube_cache_start(c, 0, &q);
	free(q);
	const char *empty = "{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":\"100000\"},\"items\":[]}";
	struct kube_result r = { .status = 200, .body = empty, .len = strlen(empty), .retry_after_ms = -1 };
	kube_cache_list_done(c, 0, &r);
	kube_cache_start(c, 0, &q);
	free(q);
	kube_cache_watch_open(c);
	t0 = secs();
	for (long i = 0; i < events; i++) {
		gen_event(&b, &t[i % nt], i);
		if (b.len >= CHUNK) {
			/* Feed in fixed chunks, so lines straddle chunk ends. */
			if (kube_cache_watch_data(c, b.p, CHUNK) < 0) {
				fprintf(stderr, "watch_ingest: %s\n", kube_cache_error(c));
				return 1;
			}
			memmove(b.p, b.p + CHUNK, b.len - CHUNK);
			b.len -= CHUNK;
		}
	}
	if (kube_cache_watch_data(c, b.p, b.len) < 0) {
		fprintf(stderr, "watch_ingest: %s\n", kube_cache_error(c));
		return 1;
	}
	double all_s = secs() - t0;
	double net = all_s - gen_s;
	if (net <= 0)
		net = all_s;
	char rv[32];
	snprintf(rv, sizeof rv, "%ld", 100000 + events - 1);
	if (strcmp(kube_cache_rv(c), rv) != 0 || kube_cache_count(c) == 0) {
		fprintf(stderr, "watch_ingest: cache did not take every event (rv %s)\n",
			kube_cache_rv(c));
		return 1;
	}
	printf("watch ingest (%s projection): %ld events, %.1f MB, %zu pods cached, "
	       "%.3f s decode+cache (%.3f s making the stream excluded): %.0f events/s, %.0f MB/s\n",
	       what, events, bytes / 1e6, kube_cache_count(c), net, gen_s,
	       events / net, bytes / 1e6 / net);
	kube_cache_free(c);
	dbuf_free(&b);
	free(text);
	return 0;
}
