/*
 * net.c - a network built from an architecture: one allocation of every
 * buffer at net_new (parameters, gradients, Adam moments, activations and
 * their gradients for max_batch images, the im2col workspace), then
 * forward, backward and Adam steps that allocate nothing.
 *
 * Activations: relu and flatten work in place on the previous layer's
 * buffer (relu's backward needs only its output); a conv -> relu ->
 * maxpool block runs fused (fused.c) and keeps no conv output at all.
 * Other convs work on the whole batch (one im2col, one sgemm) in one
 * workspace sized for max_batch; each slice of a batch works in its own
 * images' part of it, the same part for every layer (slices run
 * concurrently, at different layers).
 *
 * Threads: a batch is cut into as many slices as threads, each slice's
 * forward and backward pass run as one task on the worker pool, with its
 * own gradient array; the arrays are then summed in slice order and the
 * Adam step split by parameter ranges. The cut depends only on the batch
 * size and thread count, so results are reproducible for a given count.
 * A single image runs on the caller's thread alone: handing it to another
 * costs more than its whole pass. Only the pool and the slices' buffers
 * grow after net_new, once, when a larger thread count is first seen.
 *
 * Inference takes a faster route through the conv block before flatten
 * and the dense layer after it (fused_infer), from a packed copy of their
 * weights made on first use after the weights change.
 */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

struct net_layer {
	struct layer_spec spec;
	struct conv_shape cs; /* conv2d */
	struct pool_shape ps; /* maxpool2d */
	size_t in_size, out_size; /* floats per image */
	float *out;   /* [max_batch, out_size]; aliases the input when in place */
	float *dout;  /* gradient of out, same aliasing */
	int32_t *arg; /* maxpool2d: [max_batch, out_size] */
	float *w, *b, *dw, *db; /* into the parameter and gradient arrays */
	int owns_out, owns_dout;
	int fused; /* conv2d: this, the relu and the maxpool after it run as one */
};

/* Slice i of a batch (task i of a run) and thread i's scratch. */
struct net_slice {
	float *scratch; /* thread i's im2col / fused conv scratch, one image */
	float *grads;   /* parameter gradients of slice i (slice 0: n->grads) */
	int first, count;
	double loss;
	int correct;
};

#define NET_MAX_THREADS 64

struct net {
	struct net_arch arch;
	int max_batch, classes;
	size_t in_size;
	struct net_layer layers[NET_MAX_LAYERS];
	size_t n_floats; /* parameters */
	float *params, *grads, *m, *v;
	int n_tensors;
	struct net_param tensors[2 * NET_MAX_LAYERS];
	char names[2 * NET_MAX_LAYERS][NET_NAME_MAX + 8];
	struct adam adam;
	long step;
	size_t scratch_size;     /* floats of one worker's scratch */
	/* unfused convs' batch workspace: per image, col_stride and
	 * out_stride floats (the largest such conv's) of each */
	float *conv_col, *conv_out;
	size_t col_stride, out_stride;
	float *xbuf;             /* [max_batch, in_size]: scaled input */
	unsigned char *ybuf;     /* [max_batch]: labels of a shuffled batch */
	struct workers *pool;    /* grown to the thread count on first use */
	int n_slices;            /* slices with buffers (>= 1) */
	struct net_slice slices[NET_MAX_THREADS];
	/* the batch being worked on */
	const float *x;
	const unsigned char *labels;
	int count, threads;
	int apply; /* take the Adam step after the gradients */
	float *probs; /* net_forward's destination */
	int infer;    /* this forward pass takes fused_infer's route */
	/* fused_infer's route: the conv layer of the block it covers (NULL:
	 * none), the packed weights (64-byte aligned, in infer_mem) and
	 * whether they predate the weights */
	struct net_layer *infer_layer;
	float *infer_w;
	void *infer_mem;
	int infer_stale;
};

/* Set tensor i's name and shape; data is bound after allocation. */
static void add_tensor(struct net *n, const char *layer, const char *what,
		       int ndim, const int *shape)
{
	int i = n->n_tensors++;
	struct net_param *t = &n->tensors[i];
	snprintf(n->names[i], sizeof(n->names[i]), "%s.%s", layer, what);
	t->name = n->names[i];
	t->ndim = ndim;
	t->count = 1;
	for (int d = 0; d < ndim; d++) {
		t->shape[d] = shape[d];
		t->count *= (size_t)shape[d];
	}
}

/* Build: shapes first (sizes of everything), then one pass to allocate. */
struct net *net_new(const struct net_arch *a, int max_batch, struct perr *e)
{
	if (net_arch_check(a, e) < 0)
		return NULL;
	if (max_batch <= 0 || max_batch > 65536) {
		perr_set(e, "batch size %d: 1..65536 allowed", max_batch);
		return NULL;
	}
	struct net *n = xcalloc(1, sizeof(*n));
	n->arch = *a;
	n->max_batch = max_batch;
	n->classes = net_arch_classes(a);
	n->in_size = (size_t)a->in_c * a->in_h * a->in_w;
	net_set_adam(n, 1e-3f, 0.9f, 0.999f, 1e-7f);

	int c = a->in_c, h = a->in_h, w = a->in_w;
	size_t mb = (size_t)max_batch;
	for (int i = 0; i < a->n_layers; i++) {
		struct net_layer *l = &n->layers[i];
		l->spec = a->layers[i];
		l->in_size = (size_t)c * h * w;
		switch (l->spec.type) {
		case LAYER_CONV2D: {
			l->cs = (struct conv_shape){ .c = c, .h = h, .w = w,
						     .k = l->spec.filters, .kh = l->spec.kh,
						     .kw = l->spec.kw, .stride = l->spec.stride };
			conv_shape_init(&l->cs);
			int ws[4] = { l->cs.k, c, l->cs.kh, l->cs.kw };
			add_tensor(n, l->spec.name, "weight", 4, ws);
			add_tensor(n, l->spec.name, "bias", 1, &l->cs.k);
			c = l->cs.k;
			h = l->cs.oh;
			w = l->cs.ow;
			break;
		}
		case LAYER_MAXPOOL2D:
			l->ps = (struct pool_shape){ .c = c, .h = h, .w = w, .ph = l->spec.ph,
						     .pw = l->spec.pw, .stride = l->spec.stride };
			maxpool_shape_init(&l->ps);
			h = l->ps.oh;
			w = l->ps.ow;
			break;
		case LAYER_FLATTEN:
			c = c * h * w;
			h = w = 1;
			break;
		case LAYER_DENSE: {
			int ws[2] = { l->spec.units, c };
			add_tensor(n, l->spec.name, "weight", 2, ws);
			add_tensor(n, l->spec.name, "bias", 1, &l->spec.units);
			c = l->spec.units;
			break;
		}
		case LAYER_RELU:
		case LAYER_SOFTMAX:
			break;
		}
		l->out_size = (size_t)c * h * w;
	}

	for (int t = 0; t < n->n_tensors; t++)
		n->n_floats += n->tensors[t].count;
	n->params = xcalloc(n->n_floats, sizeof(float));
	n->grads = xcalloc(n->n_floats, sizeof(float));
	n->m = xcalloc(n->n_floats, sizeof(float));
	n->v = xcalloc(n->n_floats, sizeof(float));
	size_t off = 0;
	for (int t = 0; t < n->n_tensors; t++) {
		n->tensors[t].data = n->params + off;
		off += n->tensors[t].count;
	}
	n->n_slices = 1;
	n->slices[0].grads = n->grads;
	n->xbuf = xmalloc(mb * n->in_size * sizeof(float));
	n->ybuf = xmalloc(mb);

	for (int i = 0; i < a->n_layers; i++) {
		struct net_layer *l = &n->layers[i];
		if (l->spec.type != LAYER_CONV2D)
			continue;
		if (i + 2 < a->n_layers && l[1].spec.type == LAYER_RELU &&
		    l[2].spec.type == LAYER_MAXPOOL2D && fused_applies(&l->cs, &l[2].ps))
			l->fused = 1;
		if (l->fused) {
			if (fused_scratch_size(&l->cs) > n->scratch_size)
				n->scratch_size = fused_scratch_size(&l->cs);
		} else {
			if (conv_col_size(&l->cs) > n->col_stride)
				n->col_stride = conv_col_size(&l->cs);
			if (l->out_size > n->out_stride)
				n->out_stride = l->out_size;
		}
		/* the block right before flatten and a dense layer (there is
		 * one flatten, so one such block at most) */
		if (l->fused && fused_splits(&l->cs, &l[2].ps) && i + 4 < a->n_layers &&
		    l[3].spec.type == LAYER_FLATTEN && l[4].spec.type == LAYER_DENSE) {
			size_t sz = fused_infer_size(&l->cs, &l[2].ps, l[4].spec.units);
			n->infer_layer = l;
			n->infer_mem = xmalloc(sizeof(float) * sz + 64);
			n->infer_w = (float *)(((uintptr_t)n->infer_mem + 63) & ~(uintptr_t)63);
			n->infer_stale = 1;
			if (fused_infer_scratch_size(&l->cs, &l[2].ps) > n->scratch_size)
				n->scratch_size = fused_infer_scratch_size(&l->cs, &l[2].ps);
		}
	}
	n->slices[0].scratch = xcalloc(n->scratch_size + 1, sizeof(float));
	if (n->col_stride) {
		n->conv_col = xmalloc(sizeof(float) * n->col_stride * mb);
		n->conv_out = xmalloc(sizeof(float) * n->out_stride * mb);
	}
	int t = 0;
	for (int i = 0; i < a->n_layers; i++) {
		struct net_layer *l = &n->layers[i];
		/* a fused conv's own output and relu exist only in scratch */
		int skip = l->fused || (i > 0 && n->layers[i - 1].fused);
		int in_place = (l->spec.type == LAYER_RELU || l->spec.type == LAYER_FLATTEN) && i > 0;
		if (l->spec.type == LAYER_CONV2D || l->spec.type == LAYER_DENSE) {
			l->w = n->tensors[t].data;
			l->dw = n->grads + (l->w - n->params);
			l->b = n->tensors[t + 1].data;
			l->db = n->grads + (l->b - n->params);
			t += 2;
		}
		if (skip) {
			l->out = l->dout = NULL;
		} else if (in_place) {
			l->out = n->layers[i - 1].out;
			l->dout = n->layers[i - 1].dout;
		} else {
			l->out = xcalloc(mb * l->out_size, sizeof(float));
			l->owns_out = 1;
			if (i < a->n_layers - 1) {
				l->dout = xcalloc(mb * l->out_size, sizeof(float));
				l->owns_dout = 1;
			}
		}
		if (l->spec.type == LAYER_MAXPOOL2D)
			l->arg = xcalloc(mb * l->out_size, sizeof(int32_t));
	}
	/* The softmax has no dout of its own: the loss writes the logits'
	 * gradient straight into the dense layer's dout. */
	return n;
}

void net_free(struct net *n)
{
	if (!n)
		return;
	for (int i = 0; i < n->arch.n_layers; i++) {
		struct net_layer *l = &n->layers[i];
		if (l->owns_out)
			free(l->out);
		if (l->owns_dout)
			free(l->dout);
		free(l->arg);
	}
	workers_free(n->pool);
	free(n->infer_mem);
	free(n->conv_col);
	free(n->conv_out);
	for (int i = 0; i < n->n_slices; i++) {
		free(n->slices[i].scratch);
		if (i)
			free(n->slices[i].grads);
	}
	free(n->params);
	free(n->grads);
	free(n->m);
	free(n->v);
	free(n->xbuf);
	free(n->ybuf);
	free(n);
}

const struct net_arch *net_get_arch(const struct net *n)
{
	return &n->arch;
}

int net_max_batch(const struct net *n)
{
	return n->max_batch;
}

/* Keras's glorot_uniform: limit sqrt(6/(fan_in+fan_out)), where a conv's
 * fans are C*kh*kw and K*kh*kw. Weights drawn in tensor order. */
void net_init_glorot(struct net *n, uint64_t seed)
{
	struct rng r;
	rng_seed(&r, seed);
	memset(n->params, 0, n->n_floats * sizeof(float));
	for (int t = 0; t < n->n_tensors; t++) {
		struct net_param *p = &n->tensors[t];
		if (p->ndim == 1)
			continue;
		double fan_in, fan_out;
		if (p->ndim == 4) {
			double rf = (double)p->shape[2] * p->shape[3];
			fan_in = p->shape[1] * rf;
			fan_out = p->shape[0] * rf;
		} else {
			fan_in = p->shape[1];
			fan_out = p->shape[0];
		}
		float lim = (float)sqrt(6.0 / (fan_in + fan_out));
		for (size_t i = 0; i < p->count; i++)
			p->data[i] = rng_uniform(&r, -lim, lim);
	}
	net_reset_adam(n);
	n->infer_stale = 1;
}

int net_n_params(const struct net *n)
{
	return n->n_tensors;
}

/* Handing out writable data may change the weights. */
int net_param(struct net *n, int i, struct net_param *p)
{
	if (i < 0 || i >= n->n_tensors)
		return -1;
	*p = n->tensors[i];
	n->infer_stale = 1;
	return 0;
}

int net_param_find(struct net *n, const char *name, struct net_param *p)
{
	for (int i = 0; i < n->n_tensors; i++)
		if (strcmp(n->tensors[i].name, name) == 0) {
			*p = n->tensors[i];
			n->infer_stale = 1;
			return 0;
		}
	return -1;
}

void net_params_changed(struct net *n)
{
	n->infer_stale = 1;
}

void net_set_adam(struct net *n, float lr, float beta1, float beta2, float eps)
{
	n->adam = (struct adam){ .lr = lr, .beta1 = beta1, .beta2 = beta2, .eps = eps };
}

void net_reset_adam(struct net *n)
{
	memset(n->m, 0, n->n_floats * sizeof(float));
	memset(n->v, 0, n->n_floats * sizeof(float));
	n->step = 0;
}

/* OpenBLAS keeps the count process-wide; so does the engine. */
void net_set_threads(int threads)
{
	openblas_set_num_threads(threads < 1 ? 1 : threads);
}

int net_get_threads(void)
{
	return openblas_get_num_threads();
}

/* An unfused conv's workspace for the slice of count images from image
 * first: its images' part of the batch's buffers. */
static struct conv_work conv_work(const struct net *n, const struct net_layer *l,
				  int first, int count)
{
	return (struct conv_work){ n->conv_col + first * n->col_stride,
				   n->conv_out + first * n->out_stride,
				   (size_t)count * l->cs.oh * l->cs.ow };
}

/* Every layer but the last (softmax) on images first..first+count-1 of
 * the batch x, leaving the logits in the last dense layer's out. Each
 * image's forward pass is independent of the others': workers run slices.
 * With n->infer, the block fused_infer covers runs that way, image by
 * image. */
static void forward_layers(struct net *n, const float *x, int first, int count,
			   float *scratch)
{
	for (int i = 0; i < n->arch.n_layers - 1; i++) {
		struct net_layer *l = &n->layers[i];
		const float *in = i ? n->layers[i - 1].out + first * l->in_size
				    : x + first * l->in_size;
		float *out = l->out ? l->out + first * l->out_size : NULL;
		size_t cnt = (size_t)count * l->out_size;
		switch (l->spec.type) {
		case LAYER_CONV2D:
			if (n->infer && l == n->infer_layer) {
				struct net_layer *d = l + 4;
				for (int j = 0; j < count; j++)
					fused_infer(&l->cs, &l[2].ps, d->spec.units, n->infer_w,
						    in + j * l->in_size,
						    d->out + (size_t)(first + j) * d->out_size,
						    scratch, FUSED_ISA_BEST);
				i += 4;
			} else if (l->fused) {
				struct net_layer *p = l + 2;
				fused_forward(&l->cs, &p->ps, count, in, l->w, l->b,
					      p->out + first * p->out_size,
					      p->arg + first * p->out_size, scratch, FUSED_ISA_BEST);
				i += 2;
			} else {
				struct conv_work ws = conv_work(n, l, first, count);
				conv_forward(&l->cs, count, in, l->w, l->b, out, &ws);
			}
			break;
		case LAYER_MAXPOOL2D:
			maxpool_forward(&l->ps, count, in, out, l->arg + first * l->out_size);
			break;
		case LAYER_DENSE:
			dense_forward(count, (int)l->in_size, l->spec.units, in, l->w,
				      l->b, out);
			break;
		case LAYER_RELU:
		case LAYER_FLATTEN:
			if (out != in)
				memcpy(out, in, sizeof(float) * cnt);
			if (l->spec.type == LAYER_RELU)
				relu_forward(out, cnt);
			break;
		case LAYER_SOFTMAX:
			break;
		}
	}
}

/* Gradients of the slice's images, from the logits' gradient (already in
 * the dense layer's dout) back to the first layer, into grads (a
 * parameter-sized array). The input's gradient is never needed, so the
 * first layer skips it. */
static void backward_layers(struct net *n, const float *x, int first, int count,
			    float *grads, float *scratch)
{
	for (int i = n->arch.n_layers - 2; i >= 0; i--) {
		struct net_layer *l = &n->layers[i];
		if (i >= 2 && n->layers[i - 2].fused) {
			/* maxpool of a fused triple: do the conv's part here */
			struct net_layer *cv = l - 2;
			const float *in = i > 2 ? n->layers[i - 3].out + first * cv->in_size
						: x + first * cv->in_size;
			float *din = i > 2 ? n->layers[i - 3].dout + first * cv->in_size : NULL;
			fused_backward(&cv->cs, &l->ps, count, in, cv->w,
				       l->out + first * l->out_size,
				       l->dout + first * l->out_size,
				       l->arg + first * l->out_size,
				       grads + (cv->w - n->params), grads + (cv->b - n->params),
				       din, scratch, FUSED_ISA_BEST);
			i -= 2;
			continue;
		}
		const float *in = i ? n->layers[i - 1].out + first * l->in_size
				    : x + first * l->in_size;
		float *din = i ? n->layers[i - 1].dout + first * l->in_size : NULL;
		float *out = l->out + first * l->out_size;
		float *dout = l->dout + first * l->out_size;
		size_t cnt = (size_t)count * l->out_size;
		float *dw = l->w ? grads + (l->w - n->params) : NULL;
		float *db = l->b ? grads + (l->b - n->params) : NULL;
		switch (l->spec.type) {
		case LAYER_CONV2D: {
			struct conv_work ws = conv_work(n, l, first, count);
			conv_backward(&l->cs, count, in, l->w, dout, dw, db, din, &ws);
			break;
		}
		case LAYER_MAXPOOL2D:
			if (din)
				maxpool_backward(&l->ps, count, dout,
						 l->arg + first * l->out_size, din);
			break;
		case LAYER_DENSE:
			dense_backward(count, (int)l->in_size, l->spec.units, in, l->w,
				       dout, dw, db, din);
			break;
		case LAYER_RELU:
			relu_backward(out, dout, cnt);
			if (din && din != dout)
				memcpy(din, dout, sizeof(float) * cnt);
			break;
		case LAYER_FLATTEN:
			if (din && din != dout)
				memcpy(din, dout, sizeof(float) * cnt);
			break;
		case LAYER_SOFTMAX:
			break;
		}
	}
}

/* Make room for t workers: the pool and each slice's scratch and gradient
 * buffer. Grows only, so a steady thread count allocates once. */
static int net_prepare(struct net *n, int count)
{
	int t = openblas_get_num_threads();
	if (t < 1)
		t = 1;
	if (t > NET_MAX_THREADS)
		t = NET_MAX_THREADS;
	if (t > workers_size(n->pool)) {
		workers_free(n->pool);
		n->pool = workers_new(t);
	}
	if (t > workers_size(n->pool))
		t = workers_size(n->pool);
	for (; n->n_slices < t; n->n_slices++) {
		struct net_slice *s = &n->slices[n->n_slices];
		s->scratch = xcalloc(n->scratch_size + 1, sizeof(float));
		s->grads = xcalloc(n->n_floats, sizeof(float));
	}
	n->threads = t < count ? t : count;
	/* Slices split the batch as evenly as can be; the split depends only
	 * on count and the thread count, so results are reproducible. */
	for (int i = 0; i < n->threads; i++) {
		n->slices[i].first = (int)((long)count * i / n->threads);
		n->slices[i].count = (int)((long)count * (i + 1) / n->threads) -
				     n->slices[i].first;
	}
	return t;
}

/* Inside the engine's parallel parts each worker calls OpenBLAS on its own
 * slice, so OpenBLAS itself must not fan out again: its count is lowered
 * for the duration and put back after. */
static void blas_enter(int t)
{
	if (t > 1)
		openblas_set_num_threads(1);
}

static void blas_leave(int t)
{
	if (t > 1)
		openblas_set_num_threads(t);
}

static void forward_job(void *arg, int id, int self)
{
	struct net *n = arg;
	struct net_slice *s = &n->slices[id];
	forward_layers(n, n->x, s->first, s->count, n->slices[self].scratch);
	const struct net_layer *lg = &n->layers[n->arch.n_layers - 2];
	loss_softmax(s->count, n->classes, lg->out + (size_t)s->first * n->classes,
		     n->probs + (size_t)s->first * n->classes);
}

int net_forward(struct net *n, const float *x, int count, float *probs)
{
	if (count < 1 || count > n->max_batch)
		return -1;
	/* fused_infer's route for any batch: its conv is faster than the
	 * training one (no argmax kept), and skipping the dense weights of
	 * zero inputs saves more than one sgemm over the batch would (the
	 * reference net, batch 256: 4 against 7 us an image on two threads) */
	n->infer = n->infer_layer != NULL;
	if (n->infer && n->infer_stale) {
		struct net_layer *l = n->infer_layer, *d = l + 4;
		fused_infer_pack(&l->cs, &l[2].ps, d->spec.units, l->w, l->b, d->w, d->b,
				 n->infer_w);
		n->infer_stale = 0;
	}
	n->x = x;
	n->probs = probs;
	if (count == 1) {
		/* latency: no hand-off to a worker, no OpenBLAS threads */
		int t = openblas_get_num_threads();
		blas_enter(t);
		forward_layers(n, x, 0, 1, n->slices[0].scratch);
		loss_softmax(1, n->classes, n->layers[n->arch.n_layers - 2].out, probs);
		blas_leave(t);
	} else {
		int t = net_prepare(n, count);
		blas_enter(t);
		workers_run(n->pool, n->threads, forward_job, n);
		blas_leave(t);
	}
	n->infer = 0;
	return 0;
}

/* Slice id's forward, loss and backward. Its gradients go to the
 * slice's own array (summed later in slice order), its temporaries to the
 * running thread's scratch. */
static void train_job(void *arg, int id, int self)
{
	struct net *n = arg;
	struct net_slice *s = &n->slices[id];
	struct net_layer *lg = &n->layers[n->arch.n_layers - 2];
	struct net_layer *sm = &n->layers[n->arch.n_layers - 1];
	size_t off = (size_t)s->first * n->classes;
	float *scratch = n->slices[self].scratch;
	forward_layers(n, n->x, s->first, s->count, scratch);
	s->loss = loss_softmax_xent(s->count, n->classes, lg->out + off,
				    n->labels + s->first, 1.0f / n->count,
				    sm->out + off, lg->dout + off, &s->correct);
	backward_layers(n, n->x, s->first, s->count, s->grads, scratch);
}

/* Sum the slices' gradients (in slice order: reproducible) into worker
 * 0's array and, when training, take the Adam step; each worker on its own
 * range of parameters. */
static void update_job(void *arg, int id, int self)
{
	(void)self;
	struct net *n = arg;
	size_t lo = n->n_floats * id / n->threads;
	size_t hi = n->n_floats * (id + 1) / n->threads;
	float *g = n->grads;
	for (int s = 1; s < n->threads; s++) {
		const float *gs = n->slices[s].grads;
		for (size_t i = lo; i < hi; i++)
			g[i] += gs[i];
	}
	if (n->apply)
		adam_step(&n->adam, n->step, n->params + lo, g + lo, n->m + lo,
			  n->v + lo, hi - lo);
}

/* Forward, loss, backward and the reduction of the slices' gradients;
 * then the Adam step when apply. */
static int batch_step(struct net *n, const float *x, const unsigned char *labels,
		      int count, int apply, double *loss, int *correct,
		      struct perr *e)
{
	if (count < 1 || count > n->max_batch) {
		perr_set(e, "batch of %d images: 1..%d allowed", count, n->max_batch);
		return -1;
	}
	for (int i = 0; i < count; i++)
		if (labels[i] >= n->classes) {
			perr_set(e, "label %d is not a class of this network (0..%d)",
				 labels[i], n->classes - 1);
			return -1;
		}
	int t = net_prepare(n, count);
	n->x = x;
	n->labels = labels;
	n->count = count;
	n->apply = apply;
	if (apply) {
		n->step++;
		n->infer_stale = 1;
	}
	blas_enter(t);
	workers_run(n->pool, n->threads, train_job, n);
	workers_run(n->pool, n->threads, update_job, n);
	blas_leave(t);
	double sum = 0;
	int hits = 0;
	for (int i = 0; i < n->threads; i++) {
		sum += n->slices[i].loss;
		hits += n->slices[i].correct;
	}
	if (loss)
		*loss = sum / count;
	if (correct)
		*correct = hits;
	return 0;
}

int net_train_batch(struct net *n, const float *x, const unsigned char *labels,
		    int count, double *loss, int *correct, struct perr *e)
{
	return batch_step(n, x, labels, count, 1, loss, correct, e);
}

int net_gradients(struct net *n, const float *x, const unsigned char *labels,
		  int count, double *loss, struct perr *e)
{
	return batch_step(n, x, labels, count, 0, loss, NULL, e);
}

const float *net_param_grad(const struct net *n, int i)
{
	if (i < 0 || i >= n->n_tensors)
		return NULL;
	return n->grads + (n->tensors[i].data - n->params);
}

/* images [count] (by index idx, or in order when idx is NULL) -> xbuf. */
static void scale_batch(struct net *n, const unsigned char *images,
			const uint32_t *idx, size_t first, int count,
			struct net_scaling sc)
{
	for (int i = 0; i < count; i++) {
		size_t img = idx ? idx[first + i] : first + i;
		const unsigned char *src = images + img * n->in_size;
		float *dst = n->xbuf + (size_t)i * n->in_size;
		for (size_t j = 0; j < n->in_size; j++)
			dst[j] = src[j] * sc.scale + sc.shift;
	}
}

int net_train_epoch(struct net *n, const unsigned char *images,
		    const unsigned char *labels, size_t count, int batch,
		    struct net_scaling sc, uint64_t seed, int epoch,
		    net_progress_fn progress, void *ud,
		    struct net_epoch_stats *st, struct perr *e)
{
	struct net_epoch_stats s = { 0 };
	long long t0 = now_ms();
	if (batch < 1 || batch > n->max_batch) {
		perr_set(e, "batch size %d: 1..%d allowed", batch, n->max_batch);
		return -1;
	}
	if (count == 0 || count > UINT32_MAX) {
		perr_set(e, "%zu training images: 1..%u allowed", count, UINT32_MAX);
		return -1;
	}
	uint32_t *idx = xmalloc(count * sizeof(*idx));
	for (size_t i = 0; i < count; i++)
		idx[i] = (uint32_t)i;
	struct rng r;
	/* epoch's permutation from (seed, epoch) alone: reproducible, and a
	 * resumed run shuffles as an uninterrupted one would */
	rng_seed(&r, seed ^ (0x5851f42d4c957f2dULL * (uint64_t)(epoch + 1)));
	rng_shuffle(&r, idx, count);
	double loss_sum = 0;
	size_t hits = 0;
	int rc = 0;
	for (size_t done = 0; done < count;) {
		int nb = (int)(count - done < (size_t)batch ? count - done : (size_t)batch);
		scale_batch(n, images, idx, done, nb, sc);
		for (int i = 0; i < nb; i++)
			n->ybuf[i] = labels[idx[done + i]];
		double loss;
		int correct;
		if (net_train_batch(n, n->xbuf, n->ybuf, nb, &loss, &correct, e) < 0) {
			rc = -1;
			break;
		}
		done += nb;
		loss_sum += loss * nb;
		hits += correct;
		s.images = done;
		if (progress && progress(done, count, loss_sum / done,
					 (double)hits / done, ud)) {
			rc = done < count ? 1 : 0;
			break;
		}
	}
	free(idx);
	if (s.images) {
		s.loss = loss_sum / s.images;
		s.acc = (double)hits / s.images;
	}
	s.secs = (now_ms() - t0) / 1000.0;
	if (st)
		*st = s;
	return rc;
}

int net_predict(struct net *n, const unsigned char *images, size_t count,
		struct net_scaling sc, float *probs, net_progress_fn progress,
		void *ud, struct perr *e)
{
	(void)e;
	for (size_t done = 0; done < count;) {
		int nb = (int)(count - done < (size_t)n->max_batch ? count - done
								   : (size_t)n->max_batch);
		scale_batch(n, images, NULL, done, nb, sc);
		net_forward(n, n->xbuf, nb, probs + done * n->classes);
		done += nb;
		if (progress && progress(done, count, 0, 0, ud) && done < count)
			return 1;
	}
	return 0;
}
