/*
 * cmd_model.c - `podium model train|eval|predict|compare|info`: the local
 * engine from the command line. The subcommands and their options are
 * tables; model/ computes (training, predictions, statistics) and this
 * file only parses arguments and prints.
 */
#define _POSIX_C_SOURCE 200809L
#include "tui/tui.h"
#include "model/model.h"

#include <errno.h>
#include <jansson.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern const struct command cmd_model_entry;

/* Set by SIGINT while training; the progress callback reads it. The one
 * piece of global state here, because a signal handler can reach no
 * other. */
static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
	/* A second Ctrl-C kills as usual. */
	signal(SIGINT, SIG_DFL);
}

/* ---- arguments ---- */

struct margs {
	const char *pos[2];
	int npos;
	const char *data, *train_images, *train_labels, *test_images,
		*test_labels, *images, *labels, *pgm, *range, *arch, *output;
	const char *live, *ns, *kubeconfig, *context; /* compare --live */
	struct app *app;
	long index, top, epochs, batch, seed, threads, limit, samples, concurrency;
	double lr, vsplit, min_agreement;
};

enum opt_kind { OPT_STR, OPT_LONG, OPT_DOUBLE, OPT_AGREEMENT };

struct mopt {
	const char *name;
	char shrt;
	enum opt_kind kind;
	size_t off;
};

#define S(f) OPT_STR, offsetof(struct margs, f)
#define L(f) OPT_LONG, offsetof(struct margs, f)
#define D(f) OPT_DOUBLE, offsetof(struct margs, f)

static const struct mopt train_opts[] = {
	{ "data", 0, S(data) },
	{ "train-images", 0, S(train_images) },
	{ "train-labels", 0, S(train_labels) },
	{ "epochs", 0, L(epochs) },
	{ "batch", 0, L(batch) },
	{ "lr", 0, D(lr) },
	{ "seed", 0, L(seed) },
	{ "threads", 0, L(threads) },
	{ "validation-split", 0, D(vsplit) },
	{ "limit", 0, L(limit) },
	{ "arch", 0, S(arch) },
	{ "output", 'o', S(output) },
	{ NULL, 0, 0, 0 },
};

static const struct mopt eval_opts[] = {
	{ "data", 0, S(data) },
	{ "test-images", 0, S(test_images) },
	{ "test-labels", 0, S(test_labels) },
	{ "limit", 0, L(limit) },
	{ "threads", 0, L(threads) },
	{ "arch", 0, S(arch) },
	{ "output", 'o', S(output) },
	{ NULL, 0, 0, 0 },
};

static const struct mopt predict_opts[] = {
	{ "images", 0, S(images) },
	{ "labels", 0, S(labels) },
	{ "index", 0, L(index) },
	{ "range", 0, S(range) },
	{ "pgm", 0, S(pgm) },
	{ "top", 0, L(top) },
	{ "threads", 0, L(threads) },
	{ "arch", 0, S(arch) },
	{ "output", 'o', S(output) },
	{ NULL, 0, 0, 0 },
};

static const struct mopt compare_opts[] = {
	{ "data", 0, S(data) },
	{ "test-images", 0, S(test_images) },
	{ "test-labels", 0, S(test_labels) },
	{ "limit", 0, L(limit) },
	{ "min-agreement", 0, OPT_AGREEMENT, offsetof(struct margs, min_agreement) },
	{ "top", 0, L(top) },
	{ "live", 0, S(live) },
	{ "samples", 0, L(samples) },
	{ "batch", 0, L(batch) },
	{ "concurrency", 0, L(concurrency) },
	{ "namespace", 'n', S(ns) },
	{ "kubeconfig", 0, S(kubeconfig) },
	{ "context", 0, S(context) },
	{ "threads", 0, L(threads) },
	{ "arch", 0, S(arch) },
	{ "output", 'o', S(output) },
	{ NULL, 0, 0, 0 },
};

static const struct mopt info_opts[] = {
	{ "arch", 0, S(arch) },
	{ NULL, 0, 0, 0 },
};

#undef S
#undef L
#undef D

/* Store one option's value; 0, or a usage error's exit status. */
static int set_opt(const struct mopt *o, struct margs *a, const char *val)
{
	void *dst = (char *)a + o->off;
	char *end = NULL;
	errno = 0;
	if (o->kind == OPT_STR) {
		*(const char **)dst = val;
		return 0;
	}
	if (o->kind == OPT_AGREEMENT) {
		if (cli_parse_agreement(val, (double *)dst) < 0)
			return cli_usage(&cmd_model_entry, CLI_AGREEMENT_USAGE, val);
		return 0;
	}
	if (o->kind == OPT_LONG) {
		long v = strtol(val, &end, 10);
		if (!*val || *end || errno)
			return cli_usage(&cmd_model_entry, "--%s needs a whole number, not '%s'",
					 o->name, val);
		*(long *)dst = v;
		return 0;
	}
	double v = strtod(val, &end);
	if (!*val || *end || errno || !isfinite(v))
		return cli_usage(&cmd_model_entry, "--%s needs a number, not '%s'", o->name,
				 val);
	*(double *)dst = v;
	return 0;
}

static int parse_args(const struct mopt *opts, int maxpos, int argc, char **argv,
		      struct margs *a)
{
	for (int i = 0; i < argc; i++) {
		const char *s = argv[i];
		if (s[0] != '-' || s[1] == '\0') {
			if (a->npos >= maxpos)
				return cli_usage(&cmd_model_entry, "unexpected argument '%s'", s);
			a->pos[a->npos++] = s;
			continue;
		}
		const struct mopt *o = opts;
		const char *val = NULL;
		for (; o->name; o++) {
			size_t n = strlen(o->name);
			if (s[1] == '-' && strncmp(s + 2, o->name, n) == 0 &&
			    (s[2 + n] == '\0' || s[2 + n] == '=')) {
				if (s[2 + n] == '=')
					val = s + 3 + n;
				break;
			}
			if (o->shrt && s[1] == o->shrt) {
				if (s[2])
					val = s + 2;
				break;
			}
		}
		if (!o->name)
			return cli_usage(&cmd_model_entry, "unknown option '%s'", s);
		if (!val) {
			if (i + 1 >= argc)
				return cli_usage(&cmd_model_entry, "option %s needs a value", s);
			val = argv[++i];
		}
		int rc = set_opt(o, a, val);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- shared helpers ---- */

/* Threads for OpenBLAS and the engine: --threads, else every core. */
static int set_threads(const struct margs *a)
{
	long t = a->threads;
	if (t == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		t = n > 0 ? n : 1;
	}
	if (t < 1 || t > 256)
		return cli_usage(&cmd_model_entry, "--threads must be 1..256");
	net_set_threads((int)t);
	return 0;
}

/* Load a model, with --arch for files that carry no architecture. */
static struct model *load_model(const char *path, const struct margs *a, int max_batch)
{
	struct model_load_opts o = { .max_batch = max_batch };
	char *text = NULL;
	struct perr e = { { 0 } };
	if (a->arch) {
		if (access(a->arch, F_OK) == 0) {
			if (read_file(a->arch, 1 << 20, &text, NULL, &e) < 0) {
				cli_error("%s", e.msg);
				return NULL;
			}
			o.arch_json = text;
		} else {
			o.arch_name = a->arch;
		}
	}
	struct model *m = NULL;
	if (model_load(path, &o, &m, &e) < 0)
		cli_error("%s", e.msg);
	free(text);
	return m;
}

/* Class names fit for a terminal (they come from a file). Caller frees
 * with free_names. */
static char **safe_names(const struct model *m)
{
	char **n = xcalloc((size_t)m->nclass + 1, sizeof *n);
	for (int i = 0; i < m->nclass; i++)
		n[i] = sanitize_text(m->classes[i], strlen(m->classes[i]), 0);
	return n;
}

static void free_names(char **n)
{
	for (int i = 0; n && n[i]; i++)
		free(n[i]);
	free(n);
}

/* The labelled set to evaluate on: --test-images/--test-labels, else
 * --data DIR (default Debian's Fashion-MNIST) with prefix. Prints the error. */
static int load_data(const struct margs *a, const char *images, const char *labels,
		     const char *prefix, struct idx_dataset *ds)
{
	struct perr e = { { 0 } };
	int rc;
	if (images || labels) {
		if (!images || !labels || a->data) {
			cli_usage(&cmd_model_entry, "give both --%s-images and --%s-labels, "
						    "or --data DIR",
				  strcmp(prefix, "train") == 0 ? "train" : "test",
				  strcmp(prefix, "train") == 0 ? "train" : "test");
			return EXIT_USAGE;
		}
		rc = idx_dataset_load(images, labels, (int)a->limit, ds, &e);
	} else {
		rc = idx_dataset_load_dir(a->data ? a->data : FASHION_MNIST_DIR, prefix,
					  (int)a->limit, ds, &e);
	}
	if (rc < 0) {
		cli_error("%s", e.msg);
		return EXIT_FAIL;
	}
	return 0;
}

static int check_input(const struct model *m, int h, int w, const char *what)
{
	if (m->arch.in_c != 1 || m->arch.in_h != h || m->arch.in_w != w) {
		cli_error("the model takes [%d,%d,%d] inputs; %s holds %dx%d images",
			  m->arch.in_c, m->arch.in_h, m->arch.in_w, what, h, w);
		return -1;
	}
	return 0;
}

/* Probabilities [n, nclass] for n images; caller frees. NULL on error
 * (printed). */
static float *predict_all(struct model *m, const unsigned char *pix, size_t n)
{
	float *p = xmalloc(n * (size_t)m->nclass * sizeof *p + 1);
	struct perr e = { { 0 } };
	if (net_predict(m->net, pix, n, m->scaling, p, NULL, NULL, &e) != 0) {
		cli_error("prediction failed: %s", e.msg);
		free(p);
		return NULL;
	}
	return p;
}

static int want_json(const struct margs *a)
{
	if (!a->output || strcmp(a->output, "table") == 0)
		return 0;
	if (strcmp(a->output, "json") == 0)
		return 1;
	return -1;
}

static void print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(9));
	puts(s);
	free(s);
}

static void print_confusion(const int *c, int n, const char *rows, const char *cols)
{
	printf("confusion (rows: %s, columns: %s)\n      ", rows, cols);
	for (int j = 0; j < n; j++)
		printf(" %5d", j);
	putchar('\n');
	for (int i = 0; i < n; i++) {
		printf("  %3d ", i);
		for (int j = 0; j < n; j++)
			printf(" %5d", c[i * n + j]);
		putchar('\n');
	}
}

static json_t *confusion_json(const int *c, int n)
{
	json_t *rows = json_array();
	for (int i = 0; i < n; i++) {
		json_t *r = json_array();
		for (int j = 0; j < n; j++)
			json_array_append_new(r, json_integer(c[i * n + j]));
		json_array_append_new(rows, r);
	}
	return rows;
}

/* ---- train ---- */

struct train_ctx {
	int tty;
	int epoch, epochs;
	size_t batch;
	long long t0, last;
};

static void fmt_secs(char *buf, size_t n, double s)
{
	long t = (long)(s + 0.5);
	if (t >= 3600)
		snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

/* After every batch: draw the bar (at most 10 times a second) and stop on
 * Ctrl-C. */
static int train_progress(size_t done, size_t total, double loss, double acc, void *ud)
{
	struct train_ctx *c = ud;
	if (interrupted)
		return 1;
	if (!c->tty)
		return 0;
	long long now = now_ms();
	if (now - c->last < 100 && done < total)
		return 0;
	c->last = now;
	double secs = (now - c->t0) / 1000.0;
	double rate = secs > 0 ? done / secs : 0;
	double left_imgs = (double)(total - done) + (double)(c->epochs - c->epoch) * total;
	char left[32] = "?";
	if (rate > 0)
		fmt_secs(left, sizeof left, left_imgs / rate);
	char bar[26];
	int fill = (int)(25 * done / total);
	for (int i = 0; i < 25; i++)
		bar[i] = i < fill ? '=' : i == fill ? '>' : ' ';
	bar[25] = '\0';
	fprintf(stderr,
		"\r\x1b[Kepoch %d/%d [%s] batch %zu/%zu loss %.4f acc %.2f%% %.0f img/s "
		"%s left",
		c->epoch, c->epochs, bar, (done + c->batch - 1) / c->batch,
		(total + c->batch - 1) / c->batch, loss, 100 * acc, rate, left);
	fflush(stderr);
	return 0;
}

static int cmd_train(struct margs *a)
{
	if (!a->output)
		return cli_usage(&cmd_model_entry, "train needs -o MODEL");
	if (a->epochs < 1 || a->epochs > 10000)
		return cli_usage(&cmd_model_entry, "--epochs must be 1..10000");
	if (a->batch < 1 || a->batch > 4096)
		return cli_usage(&cmd_model_entry, "--batch must be 1..4096");
	if (!(a->lr > 0))
		return cli_usage(&cmd_model_entry, "--lr must be positive");
	if (a->vsplit < 0 || a->vsplit >= 1)
		return cli_usage(&cmd_model_entry, "--validation-split must be in [0, 1)");
	if (a->limit < 0 || a->seed < 0)
		return cli_usage(&cmd_model_entry, "--limit and --seed must not be negative");
	int rc = set_threads(a);
	if (rc)
		return rc;

	struct net_arch arch;
	struct perr e = { { 0 } };
	if (a->arch && access(a->arch, F_OK) == 0) {
		char *text = NULL;
		if (read_file(a->arch, 1 << 20, &text, NULL, &e) < 0 ||
		    model_arch_parse(text, &arch, &e) < 0) {
			free(text);
			cli_error("%s: %s", a->arch, e.msg);
			return EXIT_FAIL;
		}
		free(text);
	} else if (!a->arch || strcmp(a->arch, "keras-mnist") == 0) {
		net_arch_reference(&arch);
	} else {
		cli_error("--arch %s: no such file, and not a known architecture "
			  "(keras-mnist)",
			  a->arch);
		return EXIT_FAIL;
	}

	struct idx_dataset ds = { 0 };
	struct model *m = NULL;
	rc = load_data(a, a->train_images, a->train_labels, "train", &ds);
	if (rc)
		return rc;
	rc = EXIT_FAIL;
	size_t nval = (size_t)floor(ds.n * a->vsplit);
	size_t ntrain = (size_t)ds.n - nval;
	if (ntrain == 0) {
		cli_error("no training images left after the validation split");
		goto out;
	}
	m = model_new(&arch, (int)a->batch, (uint64_t)a->seed, NULL, 0,
		      (struct net_scaling){ 1.0f / 255.0f, 0.0f }, &e);
	if (!m) {
		cli_error("%s", e.msg);
		goto out;
	}
	if (check_input(m, ds.h, ds.w, "the training set") < 0)
		goto out;
	for (size_t i = 0; i < (size_t)ds.n; i++)
		if (ds.labels[i] >= m->nclass) {
			cli_error("label %d of image %zu is outside the model's %d classes",
				  ds.labels[i], i, m->nclass);
			goto out;
		}
	net_set_adam(m->net, (float)a->lr, 0.9f, 0.999f, 1e-7f);

	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	interrupted = 0;
	sigaction(SIGINT, &sa, &old);

	struct train_ctx ctx = { .tty = isatty(2), .epochs = (int)a->epochs,
				.batch = (size_t)a->batch };
	size_t per = (size_t)ds.h * (size_t)ds.w;
	float *vprobs = nval ? xmalloc(nval * (size_t)m->nclass * sizeof *vprobs) : NULL;
	int done_epochs = 0;
	printf("training %zu images (%zu for validation), %ld epochs, batch %ld, "
	       "lr %g, seed %ld, %d threads\n",
	       ntrain, nval, a->epochs, a->batch, a->lr, a->seed, net_get_threads());
	fflush(stdout);
	for (int ep = 1; ep <= a->epochs; ep++) {
		ctx.epoch = ep;
		ctx.t0 = now_ms();
		ctx.last = 0;
		struct net_epoch_stats st;
		int r = net_train_epoch(m->net, ds.pixels, ds.labels, ntrain, (int)a->batch,
					m->scaling, (uint64_t)a->seed, ep - 1, train_progress,
					&ctx, &st, &e);
		if (ctx.tty)
			fputs("\r\x1b[K", stderr);
		if (r < 0) {
			cli_error("training failed: %s", e.msg);
			goto restore;
		}
		if (r == 1)
			break;
		double vacc = -1;
		if (nval) {
			if (net_predict(m->net, ds.pixels + ntrain * per, nval, m->scaling, vprobs,
					NULL, NULL, &e) != 0) {
				cli_error("validation failed: %s", e.msg);
				goto restore;
			}
			size_t hits = 0;
			for (size_t i = 0; i < nval; i++)
				hits += eval_argmax(vprobs + i * m->nclass, m->nclass) ==
					ds.labels[ntrain + i];
			vacc = (double)hits / nval;
		}
		done_epochs = ep;
		json_t *tj = json_pack("{s:i,s:i,s:f,s:i,s:i,s:i,s:f,s:f}", "epochs", ep,
				       "batch", (int)a->batch, "lr", a->lr, "seed",
				       (int)a->seed, "threads", net_get_threads(), "images",
				       (int)ntrain, "loss", st.loss, "accuracy", st.acc);
		if (vacc >= 0)
			json_object_set_new(tj, "val_accuracy", json_real(vacc));
		char *tr = json_dumps(tj, JSON_COMPACT | JSON_REAL_PRECISION(6));
		json_decref(tj);
		model_set_meta(m, "podium.training", tr);
		free(tr);
		/* Save after every epoch: Ctrl-C later keeps this one. */
		if (model_save(m, a->output, &e) < 0) {
			cli_error("%s", e.msg);
			goto restore;
		}
		printf("epoch %d/%ld: loss %.4f accuracy %.2f%%", ep, a->epochs, st.loss,
		       100 * st.acc);
		if (vacc >= 0)
			printf(" validation accuracy %.2f%%", 100 * vacc);
		printf(" %.0f images/s %.1fs\n", st.secs > 0 ? st.images / st.secs : 0.0,
		       st.secs);
		fflush(stdout);
		if (interrupted)
			break;
	}
	if (interrupted) {
		if (done_epochs)
			cli_error("interrupted in epoch %d: kept epoch %d in %s (sha256 %s)",
				  done_epochs + 1, done_epochs, a->output, m->sha256);
		else
			cli_error("interrupted in epoch 1: nothing saved");
		goto restore;
	}
	printf("saved %s (sha256 %s)\n", a->output, m->sha256);
	rc = EXIT_OK;
restore:
	sigaction(SIGINT, &old, NULL);
	free(vprobs);
out:
	model_free(m);
	idx_dataset_free(&ds);
	return rc;
}

/* ---- eval ---- */

static int cmd_eval(struct margs *a)
{
	int json = want_json(a);
	if (json < 0)
		return cli_usage(&cmd_model_entry, "-o must be table or json");
	if (a->limit < 0)
		return cli_usage(&cmd_model_entry, "--limit must not be negative");
	int rc = set_threads(a);
	if (rc)
		return rc;
	struct model *m = load_model(a->pos[0], a, 256);
	if (!m)
		return EXIT_FAIL;
	struct idx_dataset ds = { 0 };
	float *p = NULL;
	int *pred = NULL, *lab = NULL;
	char **names = NULL;
	struct eval_stats s = { 0 };
	struct perr e = { { 0 } };
	rc = load_data(a, a->test_images, a->test_labels, "t10k", &ds);
	if (rc)
		goto out;
	rc = EXIT_FAIL;
	if (check_input(m, ds.h, ds.w, "the test set") < 0)
		goto out;
	p = predict_all(m, ds.pixels, (size_t)ds.n);
	if (!p)
		goto out;
	pred = xmalloc(((size_t)ds.n + 1) * sizeof *pred);
	lab = xmalloc(((size_t)ds.n + 1) * sizeof *lab);
	for (int i = 0; i < ds.n; i++) {
		pred[i] = eval_argmax(p + (size_t)i * m->nclass, m->nclass);
		lab[i] = ds.labels[i];
	}
	if (eval_stats_compute(lab, pred, ds.n, m->nclass, &s, &e) < 0) {
		cli_error("%s", e.msg);
		goto out;
	}
	names = safe_names(m);
	if (json) {
		json_t *o = json_object();
		json_object_set_new(o, "model", json_string(a->pos[0]));
		json_object_set_new(o, "sha256", json_string(m->sha256));
		json_object_set_new(o, "images", json_integer(s.n));
		json_object_set_new(o, "correct", json_integer(s.correct));
		json_object_set_new(o, "accuracy", json_real(s.accuracy));
		json_t *cl = json_array();
		for (int c = 0; c < s.nclass; c++)
			json_array_append_new(cl, json_pack("{s:s,s:f,s:f,s:i}", "name",
							    names[c], "precision",
							    s.precision[c], "recall",
							    s.recall[c], "support",
							    s.support[c]));
		json_object_set_new(o, "classes", cl);
		json_object_set_new(o, "confusion", confusion_json(s.confusion, s.nclass));
		print_json(o);
		json_decref(o);
	} else {
		printf("model     %s (sha256 %.16s)\n", a->pos[0], m->sha256);
		printf("images    %d\n", s.n);
		printf("accuracy  %.2f%% (%d/%d)\n\n", 100 * s.accuracy, s.correct, s.n);
		printf("   class              precision  recall  support\n");
		for (int c = 0; c < s.nclass; c++)
			printf("  %2d %-18.18s %8.2f%% %6.2f%% %8d\n", c, names[c],
			       100 * s.precision[c], 100 * s.recall[c], s.support[c]);
		putchar('\n');
		print_confusion(s.confusion, s.nclass, "true class", "predicted");
	}
	rc = EXIT_OK;
out:
	free_names(names);
	eval_stats_free(&s);
	free(p);
	free(pred);
	free(lab);
	idx_dataset_free(&ds);
	model_free(m);
	return rc;
}

/* ---- predict ---- */

static int cmd_predict(struct margs *a)
{
	int json = want_json(a);
	if (json < 0)
		return cli_usage(&cmd_model_entry, "-o must be table or json");
	if (!!a->images + !!a->pgm != 1)
		return cli_usage(&cmd_model_entry, "predict needs --images FILE or --pgm FILE");
	if (a->pgm && (a->index >= 0 || a->range || a->labels))
		return cli_usage(&cmd_model_entry,
				 "--index, --range and --labels go with --images");
	if (a->index >= 0 && a->range)
		return cli_usage(&cmd_model_entry, "give --index or --range, not both");
	if (a->top < 1)
		return cli_usage(&cmd_model_entry, "--top must be at least 1");
	long from = 0, to = 1;
	if (a->range) {
		char *end;
		from = strtol(a->range, &end, 10);
		if (end == a->range || *end != ':' ||
		    (to = strtol(end + 1, &end, 10), *end) || from < 0 || to <= from)
			return cli_usage(&cmd_model_entry,
					 "--range must be A:B with 0 <= A < B (B excluded)");
	} else if (a->index >= 0) {
		from = a->index;
		to = a->index + 1;
	}
	int rc = set_threads(a);
	if (rc)
		return rc;
	struct model *m = load_model(a->pos[0], a, 256);
	if (!m)
		return EXIT_FAIL;
	struct idx im = { 0 }, lb = { 0 };
	unsigned char *pgm = NULL;
	float *p = NULL;
	char **names = NULL;
	int *top = NULL;
	struct perr e = { { 0 } };
	const unsigned char *pix;
	int h = m->arch.in_h, w = m->arch.in_w;
	rc = EXIT_FAIL;
	if (a->pgm) {
		if (m->arch.in_c != 1) {
			cli_error("the model takes %d channels; a PGM image has one",
				  m->arch.in_c);
			goto out;
		}
		if (pgm_load(a->pgm, h, w, &pgm, &e) < 0) {
			cli_error("%s", e.msg);
			goto out;
		}
		pix = pgm;
	} else {
		if (idx_load(a->images, &im, &e) < 0) {
			cli_error("%s", e.msg);
			goto out;
		}
		if (im.kind != IDX_IMAGES) {
			cli_error("%s: holds labels, not images", a->images);
			goto out;
		}
		if (check_input(m, im.rows, im.cols, a->images) < 0)
			goto out;
		if (to > im.n) {
			cli_error("%s holds %d images: %s %ld is out of range", a->images, im.n,
				  a->range ? "range end" : "index", a->range ? to : from);
			goto out;
		}
		if (a->labels) {
			if (idx_load(a->labels, &lb, &e) < 0) {
				cli_error("%s", e.msg);
				goto out;
			}
			if (lb.kind != IDX_LABELS || lb.n != im.n) {
				cli_error("%s: not %d labels for %s", a->labels, im.n,
					  a->images);
				goto out;
			}
		}
		pix = im.data + (size_t)from * h * w;
	}
	size_t n = (size_t)(to - from);
	p = predict_all(m, pix, n);
	if (!p)
		goto out;
	names = safe_names(m);
	int k = a->top < m->nclass ? (int)a->top : m->nclass;
	top = xmalloc((size_t)k * sizeof *top);
	if (json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < n; i++) {
			const float *pi = p + i * m->nclass;
			json_t *o = json_object();
			if (!a->pgm)
				json_object_set_new(o, "index", json_integer(from + (long)i));
			if (lb.data)
				json_object_set_new(o, "label", json_integer(lb.data[from + i]));
			json_t *probs = json_array();
			for (int c = 0; c < m->nclass; c++)
				json_array_append_new(probs, json_real(pi[c]));
			json_object_set_new(o, "probabilities", probs);
			eval_topk(pi, m->nclass, k, top);
			json_t *t = json_array();
			for (int j = 0; j < k; j++)
				json_array_append_new(t, json_pack("{s:i,s:s,s:f}", "class",
								   top[j], "name",
								   names[top[j]], "probability",
								   (double)pi[top[j]]));
			json_object_set_new(o, "top", t);
			json_array_append_new(arr, o);
		}
		print_json(arr);
		json_decref(arr);
		rc = EXIT_OK;
		goto out;
	}
	if (n == 1) {
		setlocale(LC_CTYPE, "");
		struct dbuf b;
		dbuf_init(&b, 0);
		imgdraw_render(pix, h, w, imgdraw_mode_for(1), "  ", &b);
		if (a->pgm)
			printf("%s\n", a->pgm);
		else
			printf("image %ld of %s", from, a->images);
		if (lb.data)
			printf(" (label %d: %s)", lb.data[from],
			       lb.data[from] < m->nclass ? names[lb.data[from]] : "?");
		if (!a->pgm)
			putchar('\n');
		fputs(b.p ? b.p : "", stdout);
		dbuf_free(&b);
		eval_topk(p, m->nclass, k, top);
		for (int j = 0; j < k; j++)
			printf("  %d. %-18s %7.3f%%\n", j + 1, names[top[j]],
			       100 * (double)p[top[j]]);
	} else {
		for (size_t i = 0; i < n; i++) {
			const float *pi = p + i * m->nclass;
			eval_topk(pi, m->nclass, k, top);
			printf("%6ld", from + (long)i);
			if (lb.data)
				printf("  label %-14s", names[lb.data[from + i]]);
			for (int j = 0; j < k; j++)
				printf("  %s %.1f%%", names[top[j]], 100 * (double)pi[top[j]]);
			putchar('\n');
		}
	}
	rc = EXIT_OK;
out:
	free(top);
	free_names(names);
	free(p);
	free(pgm);
	idx_free(&im);
	idx_free(&lb);
	model_free(m);
	return rc;
}

/* ---- compare ---- */

/* compare MODEL --live deploy/NAME: the rest is in cmd_rollout_model.c. */
static int compare_live(struct margs *a)
{
	int json = want_json(a);
	if (json < 0)
		return cli_usage(&cmd_model_entry, "-o must be table or json");
	if (a->npos != 1)
		return cli_usage(&cmd_model_entry, "compare --live needs one model");
	if (a->samples < 0 || a->concurrency < 0 || a->batch < 1 || a->top < 0)
		return cli_usage(&cmd_model_entry,
				 "--samples, --concurrency, --batch and --top must be positive");
	if ((a->test_images || a->test_labels) && (!a->test_images || !a->test_labels || a->data))
		return cli_usage(&cmd_model_entry,
				 "give both --test-images and --test-labels, or --data DIR");
	if (a->ns)
		a->app->g.namespace = a->ns;
	if (a->kubeconfig)
		a->app->g.kubeconfig = a->kubeconfig;
	if (a->context)
		a->app->g.context = a->context;
	struct live_compare o = {
		.data = a->data, .test_images = a->test_images, .test_labels = a->test_labels,
		.samples = (int)(a->samples ? a->samples : 1000), .batch = (int)a->batch,
		.concurrency = (int)(a->concurrency ? a->concurrency : 4), .top = (int)a->top,
		.json = json,
	};
	return model_compare_live(a->app, a->pos[0], a->live, &o, a->min_agreement);
}

static int cmd_compare(struct margs *a)
{
	int json = want_json(a);
	if (json < 0)
		return cli_usage(&cmd_model_entry, "-o must be table or json");
	if (a->live)
		return compare_live(a);
	if (a->npos != 2)
		return cli_usage(&cmd_model_entry, "compare needs two models");
	if (a->top < 0 || a->limit < 0)
		return cli_usage(&cmd_model_entry, "--top and --limit must not be negative");
	int rc = set_threads(a);
	if (rc)
		return rc;
	struct model *ma = load_model(a->pos[0], a, 256), *mb = NULL;
	struct idx_dataset ds = { 0 };
	float *pa = NULL, *pb = NULL;
	char **names = NULL;
	struct compare_stats s = { 0 };
	struct perr e = { { 0 } };
	rc = EXIT_FAIL;
	if (!ma || !(mb = load_model(a->pos[1], a, 256)))
		goto out;
	if (ma->nclass != mb->nclass) {
		cli_error("%s has %d classes and %s %d: they cannot be compared", a->pos[0],
			  ma->nclass, a->pos[1], mb->nclass);
		goto out;
	}
	rc = load_data(a, a->test_images, a->test_labels, "t10k", &ds);
	if (rc)
		goto out;
	rc = EXIT_FAIL;
	if (check_input(ma, ds.h, ds.w, "the test set") < 0 ||
	    check_input(mb, ds.h, ds.w, "the test set") < 0)
		goto out;
	long long t0 = now_ms();
	if (!(pa = predict_all(ma, ds.pixels, (size_t)ds.n)))
		goto out;
	long long t1 = now_ms();
	if (!(pb = predict_all(mb, ds.pixels, (size_t)ds.n)))
		goto out;
	double secs_a = (t1 - t0) / 1000.0, secs_b = (now_ms() - t1) / 1000.0;
	int *lab = xmalloc(((size_t)ds.n + 1) * sizeof *lab);
	for (int i = 0; i < ds.n; i++)
		lab[i] = ds.labels[i] < ma->nclass ? ds.labels[i] : -1;
	int bad = 0;
	for (int i = 0; i < ds.n; i++)
		bad |= lab[i] < 0;
	int r = compare_compute(pa, pb, bad ? NULL : lab, ds.n, ma->nclass, (int)a->top,
				&s, &e);
	free(lab);
	if (r < 0) {
		cli_error("%s", e.msg);
		goto out;
	}
	names = safe_names(ma);
	if (json) {
		json_t *o = json_object();
		json_object_set_new(o, "a", json_pack("{s:s,s:s}", "model", a->pos[0],
						      "sha256", ma->sha256));
		json_object_set_new(o, "b", json_pack("{s:s,s:s}", "model", a->pos[1],
						      "sha256", mb->sha256));
		json_object_set_new(json_object_get(o, "a"), "seconds", json_real(secs_a));
		json_object_set_new(json_object_get(o, "b"), "seconds", json_real(secs_b));
		if (s.has_labels) {
			json_object_set_new(json_object_get(o, "a"), "accuracy",
					    json_real(s.acc_a));
			json_object_set_new(json_object_get(o, "b"), "accuracy",
					    json_real(s.acc_b));
		}
		json_object_set_new(o, "images", json_integer(s.n));
		json_object_set_new(o, "agree", json_integer(s.agree));
		json_object_set_new(o, "agreement", json_real(s.agreement));
		json_object_set_new(o, "max_abs_diff", json_real(s.max_abs_diff));
		json_object_set_new(o, "mean_abs_diff", json_real(s.mean_abs_diff));
		json_object_set_new(o, "confusion", confusion_json(s.confusion, s.nclass));
		json_t *t = json_array();
		for (int i = 0; i < s.ntop; i++)
			json_array_append_new(t, json_pack("{s:i,s:i,s:f,s:f}", "index",
							   s.top[i].index, "class",
							   s.top[i].cls, "a",
							   (double)s.top[i].pa, "b",
							   (double)s.top[i].pb));
		json_object_set_new(o, "largest_differences", t);
		json_t *d = json_array();
		for (int i = 0; i < s.ndisagree; i++)
			json_array_append_new(d, json_integer(s.disagree[i]));
		json_object_set_new(o, "disagree", d);
		print_json(o);
		json_decref(o);
	} else {
		printf("A  %s (sha256 %.16s)", a->pos[0], ma->sha256);
		if (s.has_labels)
			printf("  accuracy %.2f%%", 100 * s.acc_a);
		printf("  %.2fs\nB  %s (sha256 %.16s)", secs_a, a->pos[1], mb->sha256);
		if (s.has_labels)
			printf("  accuracy %.2f%%", 100 * s.acc_b);
		printf("  %.2fs\nimages     %d\n", secs_b, s.n);
		printf("agreement  %.2f%% (%d/%d)\n", 100 * s.agreement, s.agree, s.n);
		printf("probability difference: max %.6f, mean %.6f\n\n", s.max_abs_diff,
		       s.mean_abs_diff);
		print_confusion(s.confusion, s.nclass, "A's class", "B's class");
		if (s.ntop) {
			printf("\nlargest probability differences\n"
			       "   index  class               A         B\n");
			for (int i = 0; i < s.ntop; i++)
				printf("  %6d  %-14.14s %8.4f  %8.4f\n", s.top[i].index,
				       names[s.top[i].cls], (double)s.top[i].pa,
				       (double)s.top[i].pb);
		}
		printf("\ndisagree on %d input%s", s.ndisagree, s.ndisagree == 1 ? "" : "s");
		int shown = s.ndisagree < 50 ? s.ndisagree : 50;
		for (int i = 0; i < shown; i++)
			printf("%s%d", i ? " " : ": ", s.disagree[i]);
		if (shown < s.ndisagree)
			printf(" ... (-o json lists all)");
		putchar('\n');
	}
	rc = EXIT_OK;
	if (a->min_agreement >= 0 && s.agreement < a->min_agreement) {
		cli_error("agreement %.2f%% is below --min-agreement %.2f%%", 100 * s.agreement,
			  100 * a->min_agreement);
		rc = EXIT_FAIL;
	}
out:
	free_names(names);
	compare_stats_free(&s);
	free(pa);
	free(pb);
	idx_dataset_free(&ds);
	model_free(ma);
	model_free(mb);
	return rc;
}

/* ---- info ---- */

static int cmd_info(struct margs *a)
{
	struct model *m = load_model(a->pos[0], a, 1);
	if (!m)
		return EXIT_FAIL;
	char **names = safe_names(m);
	char *scale = model_scaling_to_json(m->scaling);
	printf("file        %s\n", a->pos[0]);
	printf("sha256      %s\n", m->sha256);
	printf("format      %s\n", m->from_pytorch ? "PyTorch state_dict (no podium metadata)"
						   : "podium model " MODEL_FORMAT_VERSION);
	printf("input       [%d,%d,%d], scaling %s\n", m->arch.in_c, m->arch.in_h,
	       m->arch.in_w, scale);
	printf("classes     %d:", m->nclass);
	for (int i = 0; i < m->nclass; i++)
		printf("%s %s", i ? "," : "", names[i]);
	printf("\nparameters  %zu\n\nlayers\n", net_arch_param_count(&m->arch));
	printf("   #  type       name      output           parameters\n");
	int c = m->arch.in_c, h = m->arch.in_h, w = m->arch.in_w, flat = 0;
	for (int i = 0; i < m->arch.n_layers; i++) {
		const struct layer_spec *l = &m->arch.layers[i];
		char out[48], params[160] = "";
		switch (l->type) {
		case LAYER_CONV2D:
			c = l->filters;
			h = (h - l->kh) / l->stride + 1;
			w = (w - l->kw) / l->stride + 1;
			break;
		case LAYER_MAXPOOL2D:
			h = (h - l->ph) / l->stride + 1;
			w = (w - l->pw) / l->stride + 1;
			break;
		case LAYER_FLATTEN:
			flat = c * h * w;
			break;
		case LAYER_DENSE:
			flat = l->units;
			break;
		default:
			break;
		}
		if (l->type == LAYER_FLATTEN || l->type == LAYER_DENSE ||
		    (flat && (l->type == LAYER_RELU || l->type == LAYER_SOFTMAX)))
			snprintf(out, sizeof out, "[%d]", flat);
		else
			snprintf(out, sizeof out, "[%d,%d,%d]", c, h, w);
		if (l->type == LAYER_CONV2D || l->type == LAYER_DENSE) {
			size_t at = 0, total = 0;
			static const char *const parts[] = { "weight", "bias" };
			for (int k = 0; k < 2; k++) {
				char pn[NET_NAME_MAX + 16];
				struct net_param p;
				snprintf(pn, sizeof pn, "%s.%s", l->name, parts[k]);
				if (net_param_find(m->net, pn, &p) < 0)
					continue;
				total += p.count;
				at += (size_t)snprintf(params + at, sizeof params - at,
						       "%s%s [", k ? ", " : "", parts[k]);
				for (int d = 0; d < p.ndim && at < sizeof params; d++)
					at += (size_t)snprintf(params + at, sizeof params - at,
							       "%s%d", d ? "," : "", p.shape[d]);
				if (at < sizeof params)
					at += (size_t)snprintf(params + at, sizeof params - at,
							       "]");
			}
			printf("  %2d  %-10s %-9s %-16s %zu (%s)", i, layer_type_name(l->type),
			       l->name, out, total, params);
			if (m->from_pytorch)
				printf(" from %d.weight, %d.bias", i, i);
			putchar('\n');
		} else {
			printf("  %2d  %-10s %-9s %s\n", i, layer_type_name(l->type), "-", out);
		}
	}
	if (m->nmeta) {
		printf("\nmetadata\n");
		for (int i = 0; i < m->nmeta; i++) {
			char *k = sanitize_text(m->meta[i].key, strlen(m->meta[i].key), 0);
			char *v = sanitize_text(m->meta[i].value, strlen(m->meta[i].value), 0);
			printf("  %s: %s\n", k, v);
			free(k);
			free(v);
		}
	}
	free(scale);
	free_names(names);
	model_free(m);
	return EXIT_OK;
}

/* ---- dispatch ---- */

struct model_sub {
	const char *name;
	const struct mopt *opts;
	int minpos, maxpos;
	int (*fn)(struct margs *a);
};

static const struct model_sub model_subs[] = {
	{ "train", train_opts, 0, 0, cmd_train },
	{ "eval", eval_opts, 1, 1, cmd_eval },
	{ "predict", predict_opts, 1, 1, cmd_predict },
	{ "compare", compare_opts, 1, 2, cmd_compare },
	{ "info", info_opts, 1, 1, cmd_info },
	{ NULL, NULL, 0, 0, NULL },
};

static int cmd_model(struct app *app, int argc, char **argv)
{
	if (argc < 2)
		return cli_usage(&cmd_model_entry, "model needs a subcommand");
	const struct model_sub *s = model_subs;
	while (s->name && strcmp(s->name, argv[1]) != 0)
		s++;
	if (!s->name)
		return cli_usage(&cmd_model_entry, "unknown model subcommand '%s'", argv[1]);
	struct margs a = {
		.index = -1, .top = 3, .epochs = 5, .batch = 64, .seed = 1,
		.lr = 1e-3, .min_agreement = -1, .app = app,
	};
	if (strcmp(s->name, "compare") == 0)
		a.top = 10;
	int rc = parse_args(s->opts, s->maxpos, argc - 2, argv + 2, &a);
	if (rc)
		return rc;
	if (a.npos < s->minpos)
		return cli_usage(&cmd_model_entry, "model %s needs %s", s->name,
				 s->minpos == 2 ? "two model files" : "a model file");
	return s->fn(&a);
}

const struct command cmd_model_entry = {
	.name = "model",
	.args = "train|eval|predict|compare|info ...",
	.summary = "train, evaluate, predict with and compare models locally",
	.help = "  podium model train [--data DIR | --train-images F --train-labels F]\n"
		"        [--epochs N] [--batch N] [--lr X] [--seed N] [--threads N]\n"
		"        [--validation-split X] [--limit N] [--arch FILE|NAME] -o MODEL\n"
		"  podium model eval MODEL [--data DIR | --test-images F --test-labels F]\n"
		"        [--limit N] [--threads N] [--arch FILE|NAME] [-o table|json]\n"
		"  podium model predict MODEL (--images F [--labels F] [--index I | --range A:B]\n"
		"        | --pgm FILE) [--top K] [--threads N] [--arch FILE|NAME] [-o table|json]\n"
		"  podium model compare A B [--data DIR | --test-images F --test-labels F]\n"
		"        [--limit N] [--min-agreement X] [--top K] [--threads N]\n"
		"        [--arch FILE|NAME] [-o table|json]\n"
		"  podium model compare MODEL --live deploy/NAME [-n NS] [--data DIR |\n"
		"        --test-images F --test-labels F] [--samples N] [--batch N]\n"
		"        [--concurrency C] [--min-agreement X] [--top K] [-o table|json]\n"
		"  podium model info MODEL [--arch FILE|NAME]\n\n"
		"The data directory defaults to " FASHION_MNIST_DIR ".\n"
		"A model is a safetensors file (man podium-model); a PyTorch state_dict\n"
		"without podium metadata loads with --arch (default keras-mnist).\n"
		"compare exits 1 when agreement is below --min-agreement (99.5 or 99.5% is a\n"
		"percentage, 0.995 a fraction).\n"
		"compare --live sends the test images to the Deployment's pods through the\n"
		"API server's service proxy and compares their answers with MODEL's.",
	.kube_globals = 0,
	.fn = cmd_model,
};
