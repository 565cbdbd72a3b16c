/*
 * serve_mkmodel.c - a helper for model_serve.sh, built against
 * libpodium.a: trains the reference network for one short epoch on the
 * first images of Fashion-MNIST (so its answers are not uniform), saves
 * it, and writes what the engine predicts in process for the first test
 * images, with v2 and v1 request bodies holding those images.
 *
 *   serve_mkmodel MODEL.safetensors OUTDIR N
 *
 * OUTDIR gets v2_u8.json (UINT8 [N,28,28]), v2_fp32.json (FP32
 * [N,1,28,28], scaled), v1.json (instances [N][28][28], scaled) and
 * expected.txt (N lines of 10 probabilities).
 */
#include <stdio.h>
#include <stdlib.h>

#include "model/model.h"

static int write_bodies(const char *dir, const struct idx_dataset *d, int n,
			struct net_scaling sc)
{
	char path[4096];
	FILE *f[3];
	static const char *const names[] = { "v2_u8.json", "v2_fp32.json", "v1.json" };
	for (int k = 0; k < 3; k++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[k]);
		if (!(f[k] = fopen(path, "w")))
			return -1;
	}
	fprintf(f[0], "{\"id\":\"u8\",\"inputs\":[{\"name\":\"input\",\"shape\":[%d,28,28],"
		      "\"datatype\":\"UINT8\",\"data\":[", n);
	fprintf(f[1], "{\"id\":\"fp32\",\"inputs\":[{\"name\":\"input\",\"shape\":[%d,1,28,28],"
		      "\"datatype\":\"FP32\",\"data\":[", n);
	fprintf(f[2], "{\"instances\":[");
	for (int i = 0; i < n; i++) {
		fprintf(f[2], "%s[", i ? "," : "");
		for (int p = 0; p < 784; p++) {
			unsigned char v = d->pixels[(size_t)i * 784 + (size_t)p];
			float x = (float)v * sc.scale + sc.shift;
			const char *sep = i || p ? "," : "";
			fprintf(f[0], "%s%d", sep, v);
			fprintf(f[1], "%s%.9g", sep, (double)x);
			fprintf(f[2], "%s%s%.9g%s", p % 28 ? "," : p ? "],[" : "[", "",
				(double)x, p == 783 ? "]" : "");
		}
		fprintf(f[2], "]");
	}
	fprintf(f[0], "]}]}\n");
	fprintf(f[1], "]}]}\n");
	fprintf(f[2], "]}\n");
	int rc = 0;
	for (int k = 0; k < 3; k++)
		rc |= fclose(f[k]);
	return rc ? -1 : 0;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: serve_mkmodel MODEL OUTDIR N\n");
		return 2;
	}
	int n = atoi(argv[3]);
	struct perr e = { { 0 } };
	struct idx_dataset train, test;
	struct net_arch a;
	struct net_scaling sc = { 1.0f / 255, 0 };
	net_arch_reference(&a);
	if (idx_dataset_load_dir(FASHION_MNIST_DIR, "train", 2048, &train, &e) < 0 ||
	    idx_dataset_load_dir(FASHION_MNIST_DIR, "t10k", n, &test, &e) < 0) {
		fprintf(stderr, "serve_mkmodel: %s\n", e.msg);
		return 77;
	}
	struct model *m = model_new(&a, 64, 42, NULL, 10, sc, &e);
	struct net_epoch_stats st;
	if (!m ||
	    net_train_epoch(m->net, train.pixels, train.labels, (size_t)train.n, 64, sc,
			    42, 0, NULL, NULL, &st, &e) < 0 ||
	    model_save(m, argv[1], &e) < 0) {
		fprintf(stderr, "serve_mkmodel: %s\n", e.msg);
		return 1;
	}
	float *probs = malloc((size_t)test.n * 10 * sizeof *probs);
	if (net_predict(m->net, test.pixels, (size_t)test.n, sc, probs, NULL, NULL, &e) < 0) {
		fprintf(stderr, "serve_mkmodel: %s\n", e.msg);
		return 1;
	}
	char path[4096];
	snprintf(path, sizeof path, "%s/expected.txt", argv[2]);
	FILE *f = fopen(path, "w");
	for (int i = 0; f && i < test.n; i++)
		for (int c = 0; c < 10; c++)
			fprintf(f, "%.9g%c", (double)probs[i * 10 + c], c == 9 ? '\n' : ' ');
	if (!f || fclose(f) || write_bodies(argv[2], &test, test.n, sc) < 0) {
		fprintf(stderr, "serve_mkmodel: cannot write to %s\n", argv[2]);
		return 1;
	}
	free(probs);
	model_free(m);
	idx_dataset_free(&train);
	idx_dataset_free(&test);
	return 0;
}
