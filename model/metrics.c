/*
 * metrics.c - the model server's Prometheus registry: requests by endpoint
 * and status code, an inference latency histogram, images inferred, and
 * an info metric carrying the model's name, version and checksum.
 *
 * Every series is known in advance (a fixed table of endpoints and status
 * codes), so the registry is plain arrays of atomic counters: request
 * threads never take a lock, and a scrape reads a consistent-enough view
 * (each counter is exact; counters are not snapshotted together, which
 * Prometheus does not require).
 */
#include "model/model.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const endpoint_names[METRICS_N_ENDPOINTS] = {
	[METRICS_LIVE] = "live",
	[METRICS_READY] = "ready",
	[METRICS_SERVER_META] = "server_metadata",
	[METRICS_MODEL_META] = "model_metadata",
	[METRICS_MODEL_READY] = "model_ready",
	[METRICS_INFER] = "infer",
	[METRICS_V1_STATUS] = "v1_status",
	[METRICS_V1_PREDICT] = "v1_predict",
	[METRICS_METRICS] = "metrics",
	[METRICS_OTHER] = "other",
};

/* The status codes the server answers with; anything else counts as the
 * last entry's "other". */
static const int codes[] = {200, 400, 404, 405, 413, 500, 503, 0};
#define N_CODES (sizeof codes / sizeof *codes)

/* Latency bucket bounds in seconds: a single image takes well under a
 * millisecond, a batch of 256 tens of milliseconds. */
static const double bounds[] = {0.00025, 0.0005, 0.001, 0.0025, 0.005,
				0.01,	 0.025,	 0.05,	0.1,	0.25,
				0.5,	 1,	 2.5};
#define N_BOUNDS (sizeof bounds / sizeof *bounds)

struct metrics {
	char *model, *version, *sha256;
	atomic_ullong requests[METRICS_N_ENDPOINTS][N_CODES];
	atomic_ullong buckets[N_BOUNDS + 1]; /* per bucket, not cumulative */
	atomic_ullong sum_ns;
	atomic_ullong count;
	atomic_ullong images;
};

struct metrics *metrics_new(const char *model, const char *version,
			    const char *sha256)
{
	struct metrics *m = xcalloc(1, sizeof *m);
	m->model = xstrdup(model ? model : "");
	m->version = xstrdup(version ? version : "");
	m->sha256 = xstrdup(sha256 ? sha256 : "");
	for (int e = 0; e < METRICS_N_ENDPOINTS; e++)
		for (size_t c = 0; c < N_CODES; c++)
			atomic_init(&m->requests[e][c], 0);
	for (size_t b = 0; b <= N_BOUNDS; b++)
		atomic_init(&m->buckets[b], 0);
	atomic_init(&m->sum_ns, 0);
	atomic_init(&m->count, 0);
	atomic_init(&m->images, 0);
	return m;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	free(m->model);
	free(m->version);
	free(m->sha256);
	free(m);
}

const char *metrics_endpoint_name(enum metrics_endpoint ep)
{
	return (unsigned)ep < METRICS_N_ENDPOINTS ? endpoint_names[ep]
						  : "other";
}

void metrics_request(struct metrics *m, enum metrics_endpoint ep, int status)
{
	if ((unsigned)ep >= METRICS_N_ENDPOINTS)
		ep = METRICS_OTHER;
	size_t c = 0;
	while (codes[c] && codes[c] != status)
		c++;
	atomic_fetch_add(&m->requests[ep][c], 1);
}

void metrics_infer(struct metrics *m, size_t images, double seconds)
{
	size_t b = 0;
	while (b < N_BOUNDS && seconds > bounds[b])
		b++;
	atomic_fetch_add(&m->buckets[b], 1);
	atomic_fetch_add(&m->sum_ns, (unsigned long long)(seconds * 1e9));
	atomic_fetch_add(&m->count, 1);
	atomic_fetch_add(&m->images, images);
}

/* A label value with Prometheus's escapes (backslash, quote, newline). */
static void label(struct dbuf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			dbuf_printf(b, "\\%c", *s);
		else if (*s == '\n')
			dbuf_puts(b, "\\n");
		else
			dbuf_append(b, s, 1);
	}
}

char *metrics_render(struct metrics *m)
{
	struct dbuf b;
	dbuf_init(&b, 0);
	dbuf_puts(&b, "# HELP podium_model_info The model being served.\n"
		      "# TYPE podium_model_info gauge\n"
		      "podium_model_info{model=\"");
	label(&b, m->model);
	dbuf_puts(&b, "\",version=\"");
	label(&b, m->version);
	dbuf_puts(&b, "\",sha256=\"");
	label(&b, m->sha256);
	dbuf_printf(&b, "\",podium_version=\"%s\"} 1\n", PODIUM_VERSION);

	dbuf_puts(&b, "# HELP podium_requests_total HTTP requests answered, by "
		      "endpoint and status code.\n"
		      "# TYPE podium_requests_total counter\n");
	for (int e = 0; e < METRICS_N_ENDPOINTS; e++)
		for (size_t c = 0; c < N_CODES; c++) {
			unsigned long long v = atomic_load(&m->requests[e][c]);
			if (!v)
				continue;
			char code[16];
			if (codes[c])
				snprintf(code, sizeof code, "%d", codes[c]);
			else
				snprintf(code, sizeof code, "other");
			dbuf_printf(&b,
				    "podium_requests_total{endpoint=\"%s\","
				    "code=\"%s\"} %llu\n",
				    endpoint_names[e], code, v);
		}

	dbuf_puts(&b, "# HELP podium_inference_duration_seconds Time to answer "
		      "an inference request (parse, forward pass, reply).\n"
		      "# TYPE podium_inference_duration_seconds histogram\n");
	unsigned long long cum = 0;
	for (size_t i = 0; i <= N_BOUNDS; i++) {
		cum += atomic_load(&m->buckets[i]);
		if (i < N_BOUNDS)
			dbuf_printf(&b,
				    "podium_inference_duration_seconds_bucket{"
				    "le=\"%g\"} %llu\n",
				    bounds[i], cum);
		else
			dbuf_printf(&b,
				    "podium_inference_duration_seconds_bucket{"
				    "le=\"+Inf\"} %llu\n",
				    cum);
	}
	/* _count is the +Inf bucket so the two always agree in one scrape */
	dbuf_printf(&b,
		    "podium_inference_duration_seconds_sum %.9f\n"
		    "podium_inference_duration_seconds_count %llu\n",
		    (double)atomic_load(&m->sum_ns) / 1e9, cum);

	dbuf_printf(&b,
		    "# HELP podium_images_inferred_total Images run through "
		    "the network.\n"
		    "# TYPE podium_images_inferred_total counter\n"
		    "podium_images_inferred_total %llu\n",
		    atomic_load(&m->images));
	return dbuf_take(&b);
}
