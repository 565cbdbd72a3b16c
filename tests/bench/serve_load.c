/*
 * serve_load.c - the model server benchmark's client, and its in-process
 * baseline.
 *
 *   serve_load http PORT PATH BODY CONNS SECONDS IMAGES
 *       CONNS threads, each on one keep-alive loopback connection, POST
 *       BODY (-: GET without one) to PATH back to back for SECONDS after a
 *       warm-up (WARMUP requests or WARMUP_S, not counted); prints
 *       requests/s, images/s and the min/p50/p99 latency of a request.
 *   serve_load local MODEL BODY IMAGES SECONDS
 *       the same request handled in process, without HTTP: the engine's
 *       forward pass alone, the parse, the reply, then parse + forward +
 *       reply (what the server does per request besides HTTP); prints the
 *       min and median of each.
 *
 * Raw sockets rather than libcurl so the client adds as little as it can to
 * what is measured. Output is one "key value" per line.
 */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "model/model.h"

#define MAX_SAMPLES (1u << 22)
/* The warm-up per connection before timing starts: this many requests or
 * this long, whichever ends first. */
#define WARMUP 2000
#define WARMUP_S 0.3

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
	if (!n)
		return 0;
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i];
}

struct worker {
	int port;
	const char *path;
	const char *body;
	size_t blen;
	double deadline;
	double *lat; /* latencies, seconds */
	size_t n, cap;
	size_t errors;
	double start; /* after the warm-up */
};

/* Read one HTTP response on fd into buf (grows); 0 with the status, -1. */
static int read_response(int fd, char **buf, size_t *cap, int *status)
{
	size_t have = 0, need = 0, hdr = 0;
	for (;;) {
		if (have == *cap) {
			*cap *= 2;
			*buf = realloc(*buf, *cap);
		}
		ssize_t r = read(fd, *buf + have, *cap - have);
		if (r <= 0)
			return -1;
		have += (size_t)r;
		if (!hdr) {
			char *end = memmem(*buf, have, "\r\n\r\n", 4);
			if (!end)
				continue;
			hdr = (size_t)(end - *buf) + 4;
			*status = atoi(*buf + 9);
			char *cl = memmem(*buf, hdr, "Content-Length:", 15);
			if (!cl)
				cl = memmem(*buf, hdr, "content-length:", 15);
			if (!cl)
				return -1;
			need = hdr + strtoul(cl + 15, NULL, 10);
		}
		if (have >= need)
			return 0;
	}
}

/* Write head and body (may be empty) whole; 0, or -1. */
static int send_all(int fd, const char *head, size_t hl, const char *body,
		    size_t blen)
{
	struct iovec iov[2] = {{(void *)head, hl}, {(void *)body, blen}};
	size_t left = hl + blen;
	int idx = 0;
	while (left) {
		ssize_t r = writev(fd, iov + idx, 2 - idx);
		if (r <= 0)
			return -1;
		left -= (size_t)r;
		while (idx < 2 && (size_t)r >= iov[idx].iov_len) {
			r -= (ssize_t)iov[idx].iov_len;
			iov[idx].iov_len = 0;
			idx++;
		}
		if (idx < 2) {
			iov[idx].iov_base = (char *)iov[idx].iov_base + r;
			iov[idx].iov_len -= (size_t)r;
		}
	}
	return 0;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	struct sockaddr_in sa = {0};
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)w->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		w->errors++;
		return NULL;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	char head[512];
	int hl =
		w->body ? snprintf(head, sizeof head,
				   "POST %s HTTP/1.1\r\nHost: "
				   "127.0.0.1\r\nContent-Type: "
				   "application/json\r\n"
				   "Content-Length: %zu\r\n\r\n",
				   w->path, w->blen)
			: snprintf(head, sizeof head,
				   "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
				   w->path);
	size_t cap = 1 << 16;
	char *buf = malloc(cap);
	/* the warm-up: caches, the allocator, the scheduler's placement */
	double warm_end = now() + WARMUP_S;
	for (int i = 0; i < WARMUP && now() < warm_end; i++) {
		int status;
		if (send_all(fd, head, (size_t)hl, w->body, w->blen) < 0 ||
		    read_response(fd, &buf, &cap, &status) < 0)
			goto broken;
	}
	w->start = now();
	w->deadline += w->start;
	while (now() < w->deadline) {
		double t0 = now();
		if (send_all(fd, head, (size_t)hl, w->body, w->blen) < 0)
			goto broken;
		int status;
		if (read_response(fd, &buf, &cap, &status) < 0)
			goto broken;
		if (status != 200) {
			w->errors++;
			continue;
		}
		if (w->n < w->cap)
			w->lat[w->n++] = now() - t0;
	}
	free(buf);
	close(fd);
	return NULL;
broken:
	w->errors++;
	free(buf);
	close(fd);
	return NULL;
}

static char *slurp(const char *path, size_t *len)
{
	struct perr e = {{0}};
	char *s;
	if (read_file(path, 1u << 30, &s, len, &e) < 0) {
		fprintf(stderr, "serve_load: %s\n", e.msg);
		exit(1);
	}
	return s;
}

static int http(int argc, char **argv)
{
	if (argc != 8)
		return 2;
	int port = atoi(argv[2]), conns = atoi(argv[5]);
	double secs = atof(argv[6]);
	int images = atoi(argv[7]);
	size_t blen = 0;
	char *body = strcmp(argv[4], "-") ? slurp(argv[4], &blen)
					  : NULL; /* -: GET */
	struct worker *w = calloc((size_t)conns, sizeof *w);
	pthread_t *t = calloc((size_t)conns, sizeof *t);
	for (int i = 0; i < conns; i++) {
		w[i] = (struct worker){port,
				       argv[3],
				       body,
				       blen,
				       secs, /* from the end of its warm-up */
				       NULL,
				       0,
				       MAX_SAMPLES / (size_t)conns,
				       0,
				       0};
		w[i].lat = malloc(w[i].cap * sizeof *w[i].lat);
		pthread_create(&t[i], NULL, run, &w[i]);
	}
	size_t total = 0, errors = 0;
	for (int i = 0; i < conns; i++) {
		pthread_join(t[i], NULL);
		total += w[i].n;
		errors += w[i].errors;
	}
	double start = w[0].start;
	for (int i = 1; i < conns; i++)
		if (w[i].start > start)
			start = w[i].start;
	double wall = now() - start;
	double *all = malloc((total ? total : 1) * sizeof *all);
	size_t k = 0;
	for (int i = 0; i < conns; i++) {
		memcpy(all + k, w[i].lat, w[i].n * sizeof *all);
		k += w[i].n;
		free(w[i].lat);
	}
	qsort(all, total, sizeof *all, cmp_double);
	printf("requests %zu\nerrors %zu\nrps %.0f\nimages_per_s %.0f\nmin_us "
	       "%.1f\np50_us %.1f\np99_us %.1f\n",
	       total, errors, (double)total / wall,
	       (double)total * images / wall, pct(all, total, 0) * 1e6,
	       pct(all, total, 0.50) * 1e6, pct(all, total, 0.99) * 1e6);
	free(all);
	free(w);
	free(t);
	free(body);
	return errors ? 1 : 0;
}

/* Min and median of the time of stmt over repetitions for about secs,
 * after a warm-up of a tenth of that. */
#define TIMEIT(secs, out, stmt)                                                \
	do {                                                                   \
		size_t n_ = 0, cap_ = 1 << 18;                                 \
		double *v_ = malloc(cap_ * sizeof *v_);                        \
		double end_ = now() + (secs) / 10;                             \
		while (now() < end_) {                                         \
			stmt;                                                  \
		}                                                              \
		end_ = now() + (secs);                                         \
		while (now() < end_ && n_ < cap_) {                            \
			double t0_ = now();                                    \
			stmt;                                                  \
			v_[n_++] = now() - t0_;                                \
		}                                                              \
		qsort(v_, n_, sizeof *v_, cmp_double);                         \
		(out)[0] = pct(v_, n_, 0);                                     \
		(out)[1] = pct(v_, n_, 0.5);                                   \
		free(v_);                                                      \
	} while (0)

static int local(int argc, char **argv)
{
	if (argc != 6)
		return 2;
	struct perr e = {{0}};
	struct model *m = NULL;
	struct model_load_opts lo = {NULL, NULL, 64};
	int images = atoi(argv[4]);
	double secs = atof(argv[5]);
	size_t blen;
	char *body = slurp(argv[3], &blen);
	if (model_load(argv[2], &lo, &m, &e) < 0) {
		fprintf(stderr, "serve_load: %s\n", e.msg);
		return 1;
	}
	net_set_threads(1); /* as podium serve runs it */
	const struct net_arch *a = net_get_arch(m->net);
	struct infer_spec spec = {a->in_c,	    a->in_h,	      a->in_w,
				  m->scaling.scale, m->scaling.shift, 256};
	struct infer_req r;
	if (infer_req_parse_v2(&spec, body, blen, &r, &e) < 0 ||
	    (int)r.n != images) {
		fprintf(stderr, "serve_load: %s\n",
			e.msg[0] ? e.msg : "image count");
		return 1;
	}
	float *probs = malloc(r.n * 10 * sizeof *probs);
	double t_fwd[2], t_parse[2], t_reply[2], t_all[2];
	TIMEIT(secs, t_fwd, net_forward(m->net, r.x, (int)r.n, probs));
	struct infer_req r2;
	TIMEIT(secs / 2, t_parse,
	       (infer_req_parse_v2(&spec, body, blen, &r2, &e),
		infer_req_free(&r2)));
	char *s;
	TIMEIT(secs / 2, t_reply,
	       (s = infer_req_v2_reply(&r, probs, 10, "m", "1"), free(s)));
	TIMEIT(secs, t_all,
	       (infer_req_parse_v2(&spec, body, blen, &r2, &e),
		net_forward(m->net, r2.x, (int)r2.n, probs),
		s = infer_req_v2_reply(&r2, probs, 10, "m", "1"), free(s),
		infer_req_free(&r2)));
	printf("forward_min_us %.1f\nforward_us %.1f\nparse_us %.1f\nreply_us "
	       "%.1f\nin_process_min_us %.1f\nin_process_us %.1f\n",
	       t_fwd[0] * 1e6, t_fwd[1] * 1e6, t_parse[1] * 1e6,
	       t_reply[1] * 1e6, t_all[0] * 1e6, t_all[1] * 1e6);
	infer_req_free(&r);
	free(probs);
	free(body);
	model_free(m);
	return 0;
}

int main(int argc, char **argv)
{
	int rc = 2;
	if (argc > 1 && strcmp(argv[1], "http") == 0)
		rc = http(argc, argv);
	else if (argc > 1 && strcmp(argv[1], "local") == 0)
		rc = local(argc, argv);
	if (rc == 2)
		fprintf(stderr,
			"usage: serve_load http PORT PATH BODY CONNS SECONDS "
			"IMAGES\n"
			"       serve_load local MODEL BODY IMAGES SECONDS\n");
	return rc;
}
