/*
 * model_bench.c - the engine's figures for tests/bench/model_train.sh:
 * training images/s over epochs of Fashion-MNIST, test accuracy,
 * single-image latency and batch-256 throughput, OpenBLAS's own sgemm
 * peak, and peak memory. One "key value" line per figure, so the script
 * can put them beside PyTorch's.
 *
 *   model_bench train THREADS EPOCHS [LIMIT]   train, then test accuracy
 *   model_bench infer THREADS                  latency and throughput
 *   model_bench sgemm THREADS                  large square sgemm GFLOP/s
 *   model_bench fused REPS                     per-ISA fused conv kernels
 */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "model/model.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void die(const struct perr *e)
{
	fprintf(stderr, "model_bench: %s\n", e->msg);
	exit(1);
}

/* Floating-point operations one image costs in training, counted as the
 * usual GEMM work: forward, weight gradient and input gradient (2 per
 * multiply-add) for every conv and dense layer, the first layer's input
 * gradient excepted (nobody computes it). */
static double train_flops_per_image(const struct net_arch *a)
{
	double f = 0;
	int c = a->in_c, h = a->in_h, w = a->in_w;
	for (int i = 0; i < a->n_layers; i++) {
		const struct layer_spec *l = &a->layers[i];
		double mul = i == 0 ? 2 : 3, fwd = 0;
		if (l->type == LAYER_CONV2D) {
			int oh = (h - l->kh) / l->stride + 1, ow = (w - l->kw) / l->stride + 1;
			fwd = 2.0 * oh * ow * l->filters * c * l->kh * l->kw;
			c = l->filters, h = oh, w = ow;
		} else if (l->type == LAYER_MAXPOOL2D) {
			h = (h - l->ph) / l->stride + 1, w = (w - l->pw) / l->stride + 1;
		} else if (l->type == LAYER_FLATTEN) {
			c = c * h * w, h = w = 1;
		} else if (l->type == LAYER_DENSE) {
			fwd = 2.0 * c * l->units;
			c = l->units;
		}
		f += mul * fwd;
	}
	return f;
}

static int train(int threads, int epochs, int limit)
{
	struct perr e = { { 0 } };
	struct idx_dataset tr, te;
	if (idx_dataset_load_dir(FASHION_MNIST_DIR, "train", limit, &tr, &e) < 0 ||
	    idx_dataset_load_dir(FASHION_MNIST_DIR, "t10k", 0, &te, &e) < 0)
		die(&e);
	net_set_threads(threads);
	struct net_arch a;
	net_arch_reference(&a);
	struct net *n = net_new(&a, 64, &e);
	if (!n)
		die(&e);
	net_init_glorot(n, 42);
	struct net_scaling sc = { 1.0f / 255.0f, 0 };
	double total_secs = 0;
	for (int ep = 0; ep < epochs; ep++) {
		struct net_epoch_stats st;
		double t0 = now_s();
		if (net_train_epoch(n, tr.pixels, tr.labels, tr.n, 64, sc, 42, ep, NULL,
				    NULL, &st, &e) < 0)
			die(&e);
		double secs = now_s() - t0, ips = tr.n / secs;
		total_secs += secs;
		printf("epoch %d loss %.4f acc %.4f secs %.2f images/s %.0f\n", ep + 1, st.loss,
		       st.acc, secs, ips);
	}
	printf("train_ips %.0f\n", tr.n * (double)epochs / total_secs);
	printf("train_gflops %.2f\n", train_flops_per_image(&a) * tr.n * epochs / total_secs / 1e9);
	float *probs = malloc(sizeof(float) * 10 * te.n);
	if (net_predict(n, te.pixels, te.n, sc, probs, NULL, NULL, &e) < 0)
		die(&e);
	int hits = 0;
	for (int i = 0; i < te.n; i++)
		hits += net_argmax(probs + 10 * i, 10) == te.labels[i];
	printf("test_acc %.2f\n", 100.0 * hits / te.n);
	free(probs);
	net_free(n);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("train_maxrss_mb %.1f\n", ru.ru_maxrss / 1024.0);
	idx_dataset_free(&tr);
	idx_dataset_free(&te);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Median latency of one image through a max_batch-1 net, and images/s of
 * batch-256 forward passes for about two seconds. */
static int infer(int threads)
{
	struct perr e = { { 0 } };
	struct idx_dataset te;
	if (idx_dataset_load_dir(FASHION_MNIST_DIR, "t10k", 0, &te, &e) < 0)
		die(&e);
	net_set_threads(threads);
	struct net_arch a;
	net_arch_reference(&a);
	struct net *one = net_new(&a, 1, &e), *big = net_new(&a, 256, &e);
	if (!one || !big)
		die(&e);
	net_init_glorot(one, 42);
	net_init_glorot(big, 42);
	float *x = malloc(sizeof(float) * 784 * te.n), probs[256 * 10];
	for (size_t i = 0; i < (size_t)784 * te.n; i++)
		x[i] = te.pixels[i] / 255.0f;
	for (int i = 0; i < 200; i++)
		net_forward(one, x + 784 * i, 1, probs);
	enum { REPS = 2000 };
	static double lat[REPS];
	for (int i = 0; i < REPS; i++) {
		double t0 = now_s();
		net_forward(one, x + 784 * i, 1, probs);
		lat[i] = now_s() - t0;
	}
	qsort(lat, REPS, sizeof(double), cmp_double);
	printf("latency_us %.1f\n", lat[REPS / 2] * 1e6);
	for (int i = 0; i < 5; i++)
		net_forward(big, x, 256, probs);
	double t0 = now_s();
	long imgs = 0;
	while (now_s() - t0 < 2.0)
		for (int i = 0; i + 256 <= te.n; i += 256) {
			net_forward(big, x + (size_t)784 * i, 256, probs);
			imgs += 256;
		}
	printf("batch256_ips %.0f\n", imgs / (now_s() - t0));
	free(x);
	net_free(one);
	net_free(big);
	idx_dataset_free(&te);
	return 0;
}

/* OpenBLAS's own sgemm on 2048x2048 matrices: the machine's practical
 * peak for this library and thread count. */
static int sgemm_peak(int threads)
{
	enum { N = 2048 };
	openblas_set_num_threads(threads);
	float *a = malloc(sizeof(float) * N * N), *b = malloc(sizeof(float) * N * N),
	      *c = malloc(sizeof(float) * N * N);
	for (size_t i = 0; i < (size_t)N * N; i++) {
		a[i] = (float)(i % 7) * 0.1f;
		b[i] = (float)(i % 5) * 0.1f;
	}
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1, a, N, b, N, 0, c, N);
	double t0 = now_s();
	int reps = 0;
	while (now_s() - t0 < 2.0 || reps < 3) {
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1, a, N, b, N, 0, c, N);
		reps++;
	}
	printf("sgemm_gflops %.2f\n", 2.0 * N * N * N * reps / (now_s() - t0) / 1e9);
	free(a);
	free(b);
	free(c);
	return 0;
}

/* The fused conv -> relu -> maxpool block of the reference network
 * (fused_forward, fused_backward) at batch 64, built for each instruction
 * set this CPU runs: the best of reps passes, per image. Single thread,
 * no OpenBLAS (the 2x2 route); the best of many, as the machine is shared. */
static int fused_kernels(int reps)
{
	static const char *const names[] = { "base", "avx2", "avx512" };
	enum { N = 64 };
	struct conv_shape cs = { .c = 1, .h = 28, .w = 28, .k = 32, .kh = 3, .kw = 3, .stride = 1 };
	struct pool_shape ps = { .c = 32, .h = 26, .w = 26, .ph = 2, .pw = 2, .stride = 2 };
	if (conv_shape_init(&cs) < 0 || maxpool_shape_init(&ps) < 0)
		return 1;
	size_t nx = (size_t)N * 784, nw = 32 * 9, ny = (size_t)N * 32 * ps.oh * ps.ow;
	float *x = malloc(sizeof(float) * nx), *w = malloc(sizeof(float) * nw);
	float *y = malloc(sizeof(float) * ny), *dy = malloc(sizeof(float) * ny);
	float *dw = malloc(sizeof(float) * nw), b[32], db[32];
	float *scratch = malloc(sizeof(float) * fused_scratch_size(&cs));
	int32_t *arg = malloc(sizeof(int32_t) * ny);
	struct rng r;
	rng_seed(&r, 7);
	for (size_t i = 0; i < nx; i++)
		x[i] = rng_uniform(&r, 0, 1);
	for (size_t i = 0; i < nw; i++)
		w[i] = rng_uniform(&r, -0.5f, 0.5f);
	for (int i = 0; i < 32; i++)
		b[i] = rng_uniform(&r, -0.1f, 0.1f);
	for (size_t i = 0; i < ny; i++)
		dy[i] = rng_uniform(&r, -1, 1);
	for (int isa = FUSED_ISA_BASE; isa <= FUSED_ISA_AVX512; isa++) {
		if (fused_isa(isa) != isa)
			continue;
		double fwd = 1e30, bwd = 1e30;
		for (int i = 0; i < reps; i++) {
			double t0 = now_s();
			fused_forward(&cs, &ps, N, x, w, b, y, arg, scratch, isa);
			double t1 = now_s();
			fused_backward(&cs, &ps, N, x, w, y, dy, arg, dw, db, NULL, scratch, isa);
			double t2 = now_s();
			fwd = t1 - t0 < fwd ? t1 - t0 : fwd;
			bwd = t2 - t1 < bwd ? t2 - t1 : bwd;
		}
		printf("fused_%s_fwd_us %.2f\nfused_%s_bwd_us %.2f\n", names[isa], fwd * 1e6 / N,
		       names[isa], bwd * 1e6 / N);
	}
	free(x), free(w), free(y), free(dy), free(dw), free(scratch), free(arg);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: model_bench train|infer|sgemm THREADS ... | fused REPS\n");
		return 2;
	}
	int threads = atoi(argv[2]);
	if (strcmp(argv[1], "train") == 0)
		return train(threads, argc > 3 ? atoi(argv[3]) : 1, argc > 4 ? atoi(argv[4]) : 0);
	if (strcmp(argv[1], "infer") == 0)
		return infer(threads);
	if (strcmp(argv[1], "sgemm") == 0)
		return sgemm_peak(threads);
	if (strcmp(argv[1], "fused") == 0)
		return fused_kernels(threads > 0 ? threads : 1); /* argv[2]: REPS */
	return 2;
}
