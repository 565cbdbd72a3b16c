/*
 * demo_model.c - the model the `--sim` demo serves: a small Fashion-MNIST
 * network trained by Podium on first run (a progress bar on the terminal,
 * a few seconds), then kept in $XDG_CACHE_HOME/podium so later runs start
 * at once.
 */
#define _POSIX_C_SOURCE 200809L
#include "tui/tui.h"
#include "model/model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Enough images for a model that is clearly right most of the time, few
 * enough to train in seconds on a jump host. */
#define DEMO_IMAGES 12000
#define DEMO_EPOCHS 2

struct bar_state {
	int epoch;
	long long drawn; /* when the bar was last drawn */
};

static int bar(size_t done, size_t total, double loss, double acc, void *ud)
{
	struct bar_state *b = ud;
	/* Over SSH every byte counts: at most ten bars a second. */
	if (done < total && now_ms() - b->drawn < 100)
		return 0;
	b->drawn = now_ms();
	int width = 30, fill = total ? (int)(done * (size_t)width / total) : 0;
	fprintf(stderr, "\rtraining the demo model, epoch %d/%d [%.*s%*s] loss %.3f acc %.1f%%",
		b->epoch + 1, DEMO_EPOCHS, fill, "##############################", width - fill, "",
		loss, acc * 100);
	return 0;
}

static char *cache_dir(void)
{
	const char *x = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	if (x && *x)
		return xasprintf("%s/podium", x);
	return xasprintf("%s/.cache/podium", home && *home ? home : "/tmp");
}

/* mkdir -p for the two levels a cache path has. */
static int make_dirs(const char *dir, struct perr *e)
{
	char *parent = xstrdup(dir);
	char *slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		mkdir(parent, 0700);
	}
	free(parent);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		perr_set(e, "cannot make %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

char *demo_model_path(int quiet, struct perr *e)
{
	char *dir = cache_dir();
	char *path = xasprintf("%s/demo-fashion-mnist.safetensors", dir);
	struct stat st;
	struct model *m = NULL;
	if (stat(path, &st) == 0 && model_load(path, NULL, &m, e) == 0) {
		model_free(m);
		free(dir);
		return path;
	}
	perr_clear(e);
	struct idx_dataset ds = { 0 };
	if (make_dirs(dir, e) < 0 ||
	    idx_dataset_load_dir(FASHION_MNIST_DIR, "train", DEMO_IMAGES, &ds, e) < 0)
		goto fail;
	struct net_arch a;
	net_arch_reference(&a);
	struct net_scaling sc = { 1.0f / 255.0f, 0.0f };
	m = model_new(&a, 64, 1, NULL, 0, sc, e);
	if (!m)
		goto fail;
	struct bar_state b = { 0, 0 };
	for (b.epoch = 0; b.epoch < DEMO_EPOCHS; b.epoch++) {
		struct net_epoch_stats es;
		if (net_train_epoch(m->net, ds.pixels, ds.labels, (size_t)ds.n, 64, sc, 1, b.epoch,
				    quiet ? NULL : bar, &b, &es, e) < 0)
			goto fail;
	}
	if (!quiet)
		fputc('\n', stderr);
	if (model_save(m, path, e) < 0)
		goto fail;
	model_free(m);
	idx_dataset_free(&ds);
	free(dir);
	return path;
fail:
	model_free(m);
	idx_dataset_free(&ds);
	free(dir);
	free(path);
	return NULL;
}
