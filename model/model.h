/*
 * model.h - the local CNN engine (tensors, layers, training, inference),
 * IDX data sets, safetensors model files, and predict-and-compare. model/
 * never prints: progress reaches callers through callbacks.
 */
#ifndef PODIUM_MODEL_H
#define PODIUM_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "kube/base.h"

/* ---- engine: tensors, layers, network, training (model-engine) ---- */

/*
 * The architecture is data: an input shape [C,H,W] and a list of layers.
 * Its JSON form (the "architecture" entry of a model's __metadata__) is a
 * list of objects, one per layer, in order:
 *
 *   [{"type":"conv2d","name":"conv1","filters":32,"kernel":[3,3]},
 *    {"type":"relu"},
 *    {"type":"maxpool2d","pool":[2,2]},
 *    {"type":"flatten"},
 *    {"type":"dense","name":"fc1","units":64},
 *    {"type":"relu"},
 *    {"type":"dense","name":"fc2","units":10},
 *    {"type":"softmax"}]
 *
 * conv2d: "name", "filters", "kernel":[kh,kw], optional "stride" (default 1);
 *         valid padding; weight [filters,C,kh,kw], bias [filters].
 * maxpool2d: "pool":[ph,pw], optional "stride" (default: the pool size).
 * flatten: [C,H,W] -> [C*H*W] in C,H,W order (PyTorch's).
 * dense: "name", "units"; weight [units,in], bias [units].
 * relu, softmax: no parameters.
 * Layer names ([A-Za-z0-9_.-], 1..31 characters, unique) name the tensors
 * "<name>.weight" and "<name>.bias". Unknown keys are refused. Rules:
 * conv2d/maxpool2d need a [C,H,W] input (before flatten), dense needs a
 * flat input (after flatten), every size > 0 and every output at least
 * 1x1, and the last layer is softmax (the only one), right after a dense
 * layer whose units are the classes.
 */
#define NET_MAX_LAYERS 32
#define NET_NAME_MAX 32

enum layer_type {
	LAYER_CONV2D,
	LAYER_MAXPOOL2D,
	LAYER_FLATTEN,
	LAYER_DENSE,
	LAYER_RELU,
	LAYER_SOFTMAX,
};

struct layer_spec {
	enum layer_type type;
	char name[NET_NAME_MAX]; /* conv2d, dense: tensor name prefix */
	int filters, kh, kw;     /* conv2d */
	int stride;              /* conv2d (default 1), maxpool2d (default ph) */
	int ph, pw;              /* maxpool2d */
	int units;               /* dense */
};

struct net_arch {
	int in_c, in_h, in_w; /* input shape [C,H,W] */
	int n_layers;
	struct layer_spec layers[NET_MAX_LAYERS];
};

/* Name of a layer type ("conv2d"...). */
const char *layer_type_name(enum layer_type t);

/* Fill a with the reference network (Keras MNIST example) for input
 * [1,28,28] and 10 classes: conv1(32,3x3) relu pool(2x2) flatten
 * fc1(64) relu fc2(10) softmax. */
void net_arch_reference(struct net_arch *a);

/* Check an architecture (the rules above); 0 / -1 with the reason in e,
 * e.g. "layer 4 (dense): needs a flat input: add a flatten layer". */
int net_arch_check(const struct net_arch *a, struct perr *e);

/* Parse the JSON layer list (not NUL-bounded beyond json) for input shape
 * [c,h,w] into *a and check it; 0 / -1 with one line in e. */
int net_arch_from_json(struct net_arch *a, const char *json, int c, int h,
		       int w, struct perr *e);

/* The JSON layer list of a (compact, the form above). Caller frees. */
char *net_arch_to_json(const struct net_arch *a);

/* Number of output classes (units of the last dense layer); after check. */
int net_arch_classes(const struct net_arch *a);

/* Trainable parameters (weights + biases) of a checked architecture. */
size_t net_arch_param_count(const struct net_arch *a);

/* A network: parameters, Adam state and one workspace for batches of up to
 * max_batch images, all allocated in net_new. Opaque. One thread at a time
 * may call into a net (its buffers are shared by every call); give each
 * serving thread its own net. With more than one thread set (below), a net
 * runs a pool of that many threads, created on first use: a batch is split
 * into slices; a single image runs on the calling thread alone. */
struct net;

/* Build a network for a (checked here) and batches up to max_batch (>0).
 * Weights start at zero: call net_init_glorot or load tensors by name.
 * NULL with e set on a bad architecture. Caller frees with net_free. */
struct net *net_new(const struct net_arch *a, int max_batch, struct perr *e);
/* Accepts NULL. */
void net_free(struct net *n);

/* The architecture (borrowed, valid while n lives). */
const struct net_arch *net_get_arch(const struct net *n);
int net_max_batch(const struct net *n);

/* Glorot-uniform kernels (Keras fan-in/fan-out), zero biases, Adam state
 * reset. Same seed, same weights, bit for bit. */
void net_init_glorot(struct net *n, uint64_t seed);

/* One parameter tensor, PyTorch layout. data is borrowed from the net and
 * writable (load a tensor by copying into it); valid while n lives. The
 * net keeps a packed copy of some weights for inference: net_param and
 * net_param_find mark it stale, so writes right after them are seen; a
 * caller that writes through data it got before a later forward pass must
 * call net_params_changed before the next one. */
struct net_param {
	const char *name; /* "<layer>.weight" / "<layer>.bias" */
	int ndim;         /* 1, 2 or 4 */
	int shape[4];
	size_t count; /* product of shape */
	float *data;
};

/* The weights were written through a net_param's data: repack before the
 * next inference. */
void net_params_changed(struct net *n);

/* Number of parameter tensors (two per conv2d/dense layer, in layer order,
 * weight before bias). */
int net_n_params(const struct net *n);
/* Tensor i (0 <= i < net_n_params) into *p; -1 when out of range. */
int net_param(struct net *n, int i, struct net_param *p);
/* The tensor named name into *p; -1 when there is none. */
int net_param_find(struct net *n, const char *name, struct net_param *p);

/* Adam hyper-parameters; net_new sets Keras's defaults (lr 1e-3, beta1 0.9,
 * beta2 0.999, eps 1e-7). The update (Keras's form), per step t = 1, 2 ...:
 * lr_t = lr*sqrt(1-b2^t)/(1-b1^t); m = b1*m+(1-b1)*g; v = b2*v+(1-b2)*g*g;
 * w -= lr_t*m/(sqrt(v)+eps). */
void net_set_adam(struct net *n, float lr, float beta1, float beta2,
		  float eps);
/* Reset Adam's moments and step count (e.g. after loading weights). */
void net_reset_adam(struct net *n);

/* OpenBLAS threads for every network in the process (>= 1). The engine's
 * own pool uses the same count (and runs OpenBLAS single-threaded inside
 * each worker). Results are deterministic per thread count: the same seed
 * and count give the same weights bit for bit; another count sums the
 * batch's gradients in another order. */
void net_set_threads(int threads);
int net_get_threads(void);

/* Forward pass. x [count,C,H,W] float (already scaled), 1 <= count <=
 * max_batch; probs [count,classes] receives the softmax output. 0 / -1. */
int net_forward(struct net *n, const float *x, int count, float *probs);

/* One training step on a batch: forward, sparse categorical cross-entropy
 * fused with the softmax, backward, one Adam update. x [count,C,H,W],
 * labels [count] (each < classes), 1 <= count <= max_batch. *loss gets the
 * batch's mean loss, *correct the number of argmax hits (either may be
 * NULL). 0 / -1 (bad count or label, with e set). */
int net_train_batch(struct net *n, const float *x, const unsigned char *labels,
		    int count, double *loss, int *correct, struct perr *e);

/* Forward and backward on a batch without an update: the gradients of the
 * batch's mean loss, then readable with net_param_grad (finite-difference
 * checks, gradient inspection). 0 / -1 as net_train_batch. */
int net_gradients(struct net *n, const float *x, const unsigned char *labels,
		  int count, double *loss, struct perr *e);
/* Gradient of tensor i [count floats] from the last net_gradients or
 * net_train_batch; borrowed, valid until the next call. NULL when out of
 * range. */
const float *net_param_grad(const struct net *n, int i);

/* Input scaling from stored pixels: x = pixel * scale + shift. The
 * reference setup uses scale 1/255, shift 0. */
struct net_scaling {
	float scale, shift;
};

/* Progress of an epoch or a prediction run: done of total images; loss and
 * acc are running means over what is done (training; 0 for prediction).
 * Return non-zero to stop after the current batch. */
typedef int (*net_progress_fn)(size_t done, size_t total, double loss,
			       double acc, void *ud);

struct net_epoch_stats {
	size_t images; /* images trained on (fewer than n when stopped) */
	double loss;   /* mean loss over them */
	double acc;    /* share of argmax hits */
	double secs;   /* wall time */
};

/* One epoch over images [n,C,H,W] (uint8 pixels, scaled with sc) and
 * labels [n], in batches of batch (<= max_batch; the last batch may be
 * smaller), shuffled by a permutation drawn from (seed, epoch): the same
 * seed, epoch and thread count give the same weights bit for bit.
 * progress (may be NULL) is called after every batch. Returns 0 when the
 * epoch finished, 1 when progress stopped it (the weights then hold the
 * batches done so far), -1 on error (e set). */
int net_train_epoch(struct net *n, const unsigned char *images,
		    const unsigned char *labels, size_t count, int batch,
		    struct net_scaling sc, uint64_t seed, int epoch,
		    net_progress_fn progress, void *ud,
		    struct net_epoch_stats *st, struct perr *e);

/* Class probabilities for images [n,C,H,W] (uint8 pixels, scaled with sc)
 * into probs [n,classes] (caller's), in batches of max_batch. progress may
 * be NULL. 0, 1 when stopped by progress, -1 on error. */
int net_predict(struct net *n, const unsigned char *images, size_t count,
		struct net_scaling sc, float *probs, net_progress_fn progress,
		void *ud, struct perr *e);

/* Argmax of probs [classes]: the predicted class. */
int net_argmax(const float *probs, int classes);


/*
 * Kernels: the layers' forward and backward passes on raw buffers. The net
 * calls them; the tests check each against a naive reference and by finite
 * differences. All float32, NCHW, row-major; buffers are the caller's.
 */

/* splitmix64-seeded xoshiro256**: the engine's only randomness. */
struct rng {
	uint64_t s[4];
};
void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* Uniform float in [lo, hi). */
float rng_uniform(struct rng *r, float lo, float hi);
/* Fisher-Yates shuffle of idx [n]. */
void rng_shuffle(struct rng *r, uint32_t *idx, size_t n);

/* A valid (no padding) convolution: input [C,H,W], K filters kh x kw,
 * stride; output [K,OH,OW] with OH = (H-kh)/stride+1. */
struct conv_shape {
	int c, h, w;
	int k, kh, kw, stride;
	int oh, ow;
};
/* Fill oh, ow from the rest; -1 when the kernel does not fit. */
int conv_shape_init(struct conv_shape *s);
/* Floats of the im2col matrix of one image: C*kh*kw * OH*OW. */
size_t conv_col_size(const struct conv_shape *s);
/* x [C,H,W] -> col [C*kh*kw, OH*OW], rows ld (>= OH*OW) floats apart. */
void conv_im2col(const struct conv_shape *s, const float *x, float *col, size_t ld);
/* col [C*kh*kw, OH*OW] (rows ld apart) -> dx [C,H,W], accumulated
 * (dx += ...). */
void conv_col2im(const struct conv_shape *s, const float *col, size_t ld, float *dx);
/* A batch's workspace: col [C*kh*kw, ld] (the images' im2col matrices side
 * by side) and out [K, ld] (the sgemm's output), ld >= N*OH*OW. A slice of
 * a batch works in its images' columns of buffers sized for the batch:
 * col and out offset by first*OH*OW, the same ld. */
struct conv_work {
	float *col, *out;
	size_t ld;
};
/* x [N,C,H,W], w [K,C,kh,kw], b [K] -> y [N,K,OH,OW]: im2col of the batch,
 * one sgemm. */
void conv_forward(const struct conv_shape *s, int n, const float *x,
		  const float *w, const float *b, float *y, const struct conv_work *ws);
/* dy [N,K,OH,OW] -> dw [K,C,kh,kw], db [K] (overwritten) and, when dx is
 * not NULL, dx [N,C,H,W] (overwritten); one sgemm for dw, one for dx. */
void conv_backward(const struct conv_shape *s, int n, const float *x,
		   const float *w, const float *dy, float *dw, float *db,
		   float *dx, const struct conv_work *ws);

/* Max pooling [N,C,H,W] -> [N,C,OH,OW], OH = (H-ph)/stride+1; arg keeps
 * the index (in the H*W plane) of each window's maximum. */
struct pool_shape {
	int c, h, w;
	int ph, pw, stride;
	int oh, ow;
};
int maxpool_shape_init(struct pool_shape *s);
/* x [N,C,H,W] -> y [N,C,OH,OW], arg [N,C,OH,OW]. */
void maxpool_forward(const struct pool_shape *s, int n, const float *x,
		     float *y, int32_t *arg);
/* dy [N,C,OH,OW] -> dx [N,C,H,W] (overwritten). */
void maxpool_backward(const struct pool_shape *s, int n, const float *dy,
		      const int32_t *arg, float *dx);

/* x [N,in], w [out,in], b [out] -> y [N,out]. */
void dense_forward(int n, int in, int out, const float *x, const float *w,
		   const float *b, float *y);
/* dy [N,out] -> dw [out,in], db [out] (overwritten), dx [N,in] when not
 * NULL (overwritten). */
void dense_backward(int n, int in, int out, const float *x, const float *w,
		    const float *dy, float *dw, float *db, float *dx);

/* y = max(x, 0) over count floats, in place. */
void relu_forward(float *x, size_t count);
/* dy *= (y > 0), in place: y is the relu's output. */
void relu_backward(const float *y, float *dy, size_t count);

/* Row-wise softmax: logits [N,K] -> probs [N,K] (may be the same). */
void loss_softmax(int n, int k, const float *logits, float *probs);
/* Softmax fused with sparse categorical cross-entropy: logits [N,K],
 * labels [N] -> probs [N,K], dlogits [N,K] = (probs - onehot) * gscale
 * (1/batch: n may be a slice of the batch). Returns the summed loss;
 * *correct gets the argmax hits. */
double loss_softmax_xent(int n, int k, const float *logits,
			 const unsigned char *labels, float gscale,
			 float *probs, float *dlogits, int *correct);

/* One Adam step (Keras's form) at step t (>= 1) over count parameters. */
struct adam {
	float lr, beta1, beta2, eps;
};
void adam_step(const struct adam *a, long t, float *w, const float *g,
	       float *m, float *v, size_t count);

/* A fixed pool of threads sharing out tasks (workers.c). */
struct workers;
/* Task task of a run, executed by thread self (0: the caller; use self
 * only to pick per-thread scratch: which thread runs a task varies). */
typedef void (*workers_fn)(void *arg, int task, int self);
/* size threads in all, the caller's included (size-1 spawned). Caller
 * frees with workers_free (accepts NULL). */
struct workers *workers_new(int size);
int workers_size(const struct workers *w);
/* Run fn for tasks 0..n-1, claimed by whichever thread is free (the
 * calling one included), and return when all are done. */
void workers_run(struct workers *w, int n, workers_fn fn, void *arg);
void workers_free(struct workers *w);

/* The conv2d -> relu -> maxpool2d pattern in one pass (fused.c), for
 * pools whose windows do not overlap (stride >= ph, pw): the conv output
 * of one image lives only in scratch, relu and pooling read it there, and
 * the backward pass visits only the pooled winners (a quarter of the conv
 * output for 2x2 pools) instead of materialising [N,K,OH,OW] gradients.
 * Same results as conv_forward + relu + maxpool_forward. */
int fused_applies(const struct conv_shape *cs, const struct pool_shape *ps);
/* Instruction sets of the stride-1 kernels, picked at run time. */
enum { FUSED_ISA_BEST = -1, FUSED_ISA_BASE = 0, FUSED_ISA_AVX2 = 1, FUSED_ISA_AVX512 = 2 };
/* FUSED_ISA_BEST: the best this CPU runs; another: itself when the CPU
 * runs it, else -1. */
int fused_isa(int isa);
/* Floats of scratch one image needs: im2col + one conv output. */
size_t fused_scratch_size(const struct conv_shape *cs);
/* x [N,C,H,W] -> y [N,K,PH,PW] = maxpool(relu(conv(x))), arg [N,K,PH,PW]
 * (index in the conv output plane); isa: FUSED_ISA_BEST but in tests. */
void fused_forward(const struct conv_shape *cs, const struct pool_shape *ps,
		   int n, const float *x, const float *w, const float *b,
		   float *y, int32_t *arg, float *scratch, int isa);
/* Whether the block is one the vectorised kernels cover whole (stride-1
 * conv, 2x2 pool of stride 2): fused_forward's fastest route, and the
 * only one of fused_infer. */
int fused_splits(const struct conv_shape *cs, const struct pool_shape *ps);
/* dy [N,K,PH,PW] -> dw [K,C,kh,kw], db [K] (overwritten), dx [N,C,H,W]
 * when not NULL (overwritten); y and arg from fused_forward; scratch of
 * fused_scratch_size floats. */
void fused_backward(const struct conv_shape *cs, const struct pool_shape *ps,
		    int n, const float *x, const float *w, const float *y,
		    const float *dy, const int32_t *arg, float *dw, float *db,
		    float *dx, float *scratch, int isa);

/* One image through such a block (where fused_splits) and the flatten and
 * dense (units) layers after it, for inference: filters across the vector
 * lanes, no argmax, and the dense layer reading only the weight rows of
 * its nonzero inputs, from a packed copy of the weights (see fused.c). */
/* Floats of the packed copy, and of fused_infer's scratch. */
size_t fused_infer_size(const struct conv_shape *cs, const struct pool_shape *ps,
			int units);
size_t fused_infer_scratch_size(const struct conv_shape *cs,
				const struct pool_shape *ps);
/* conv weight [K,C,kh,kw], bias [K], dense weight [units,K*PH*PW], bias
 * [units] -> packed [fused_infer_size] (64-byte aligned pays: rows then
 * start on cache lines). Redo whenever a weight changes. */
void fused_infer_pack(const struct conv_shape *cs, const struct pool_shape *ps,
		      int units, const float *cw, const float *cb, const float *dw,
		      const float *db, float *packed);
/* x [C,H,W] -> y [units] = dense(flatten(maxpool(relu(conv(x))))), the
 * dense layer's output before any activation. The same as the layer path
 * up to the order of the dense layer's sums. */
void fused_infer(const struct conv_shape *cs, const struct pool_shape *ps, int units,
		 const float *packed, const float *x, float *y, float *scratch, int isa);

/* ---- end engine ---- */

/* ---- files: IDX data sets, safetensors (model-files) ---- */

/* SHA-256 of len bytes (sha256.c). */
void sha256(const void *data, size_t len, unsigned char out[32]);
/* The same as 64 lowercase hex digits and a NUL. */
void sha256_hex(const void *data, size_t len, char hex[65]);

/* IDX files (idx.c): MNIST's format, plain or gzip. Images are
 * [n, rows, cols] uint8 (magic 0x00000803), labels [n] uint8 (0x00000801).
 * Declared sizes are bounded so a header cannot make us allocate without
 * limit. */
#define IDX_MAX_BYTES (1024u * 1024u * 1024u) /* decoded file, 1 GiB */
#define IDX_MAX_SIDE 4096                     /* rows, cols */

enum idx_kind { IDX_IMAGES = 3, IDX_LABELS = 1 };

struct idx {
	enum idx_kind kind;
	int n;          /* images or labels */
	int rows, cols; /* 0 for labels */
	unsigned char *data; /* n*rows*cols (or n) bytes; owned */
};

/* Decode an IDX file already in memory (gzip is not undone here); name is
 * used in messages. out is filled only on success; caller idx_free()s. */
int idx_decode(const void *buf, size_t len, const char *name, struct idx *out,
	       struct perr *e);
/* Read path (gunzipping when it starts with 1f 8b) and decode it. */
int idx_load(const char *path, struct idx *out, struct perr *e);
/* Undo gzip with an output cap; 0 / -1 (truncated, corrupt, too large).
 * *out is caller-freed. */
int idx_gunzip(const void *buf, size_t len, size_t max, const char *name,
	       unsigned char **out, size_t *outlen, struct perr *e);
void idx_free(struct idx *x);

/* A labelled data set as the engine takes it: pixels [n, h, w] uint8 (one
 * channel) and labels [n]. */
struct idx_dataset {
	int n, h, w;
	unsigned char *pixels;
	unsigned char *labels;
};

/* Load images and labels (either may be .gz), check they agree and keep at
 * most limit (0: all). Caller idx_dataset_free()s. */
int idx_dataset_load(const char *images, const char *labels, int limit,
		     struct idx_dataset *out, struct perr *e);
/* The same from a directory holding PREFIX-images-idx3-ubyte[.gz] and
 * PREFIX-labels-idx1-ubyte[.gz]; prefix "train" or "t10k". */
int idx_dataset_load_dir(const char *dir, const char *prefix, int limit,
			 struct idx_dataset *out, struct perr *e);
void idx_dataset_free(struct idx_dataset *d);

/* Where Debian's dataset-fashion-mnist puts the set, and its classes. */
#define FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"
extern const char *const fashion_mnist_classes[10];

/* Read a PGM image (P2 or P5, maxval up to 65535, scaled to 0..255) that
 * must be exactly rows x cols. *pix [rows*cols] is caller-freed. */
int pgm_load(const char *path, int rows, int cols, unsigned char **pix,
	     struct perr *e);
/* The same from memory. */
int pgm_decode(const void *buf, size_t len, const char *name, int rows,
	       int cols, unsigned char **pix, struct perr *e);

/* safetensors (safetensors.c): 8-byte little-endian header length, a JSON
 * header {name: {dtype, shape, data_offsets}, "__metadata__": {..}}, then
 * the data. Reading converts F32, F64, F16 and BF16 to float. */
#define SAFETENSORS_MAX_HEADER (100u * 1024u * 1024u)
#define SAFETENSORS_MAX_DIMS 8

struct st_tensor {
	char *name;
	int ndim;
	long long shape[SAFETENSORS_MAX_DIMS];
	size_t count; /* product of shape */
	float *data;  /* count floats; owned */
};

struct st_meta {
	char *key, *value;
};

struct safetensors {
	struct st_tensor *t; /* in file order (by offset) */
	int n;
	struct st_meta *meta;
	int nmeta;
};

/* Parse and validate a whole file in memory; name is used in messages.
 * out is filled only on success; caller safetensors_free()s. */
int safetensors_parse(const void *buf, size_t len, const char *name,
		      struct safetensors *out, struct perr *e);
/* Read and parse a file (at most 2 GiB). */
int safetensors_load(const char *path, struct safetensors *out,
		     struct perr *e);
/* Serialise as F32 with the header padded to 8 bytes; metadata in key
 * order. *out is caller-freed. */
int safetensors_serialize(const struct safetensors *st, char **out,
			  size_t *len, struct perr *e);
/* Write to path atomically (a temporary file renamed into place). */
int safetensors_save(const char *path, const struct safetensors *st,
		     struct perr *e);
/* Append a tensor (copies name, shape and data). */
void safetensors_add(struct safetensors *st, const char *name, int ndim,
		     const long long *shape, const float *data);
/* Set a metadata key (copies; replaces an existing value). */
void safetensors_set_meta(struct safetensors *st, const char *key,
			  const char *value);
/* Borrowed lookups; NULL when absent. */
const struct st_tensor *safetensors_find(const struct safetensors *st,
					 const char *name);
const char *safetensors_meta(const struct safetensors *st, const char *key);
void safetensors_free(struct safetensors *st);

/* Evaluation statistics (eval.c), from predicted classes and labels. */
struct eval_stats {
	int n, nclass;
	int correct;
	double accuracy;
	int *confusion;    /* [nclass][nclass]: row true class, column predicted */
	double *precision; /* [nclass]; 0 when nothing was predicted as it */
	double *recall;    /* [nclass]; 0 when the class has no samples */
	int *support;      /* [nclass] samples per true class */
};

/* Fill out from n predictions; labels outside 0..nclass-1 are an error.
 * Caller eval_stats_free()s. */
int eval_stats_compute(const int *labels, const int *pred, int n, int nclass,
		       struct eval_stats *out, struct perr *e);
void eval_stats_free(struct eval_stats *s);
/* The index of the largest of p[0..n-1] (the first on ties). */
int eval_argmax(const float *p, int n);
/* The k largest of p[0..n-1], indices into idx[0..k-1], descending (ties
 * by lower index first); k is clamped to n. Returns k. */
int eval_topk(const float *p, int n, int k, int *idx);

/* Two models on the same inputs (compare.c). */
struct compare_diff {
	int index;   /* input index */
	int cls;     /* class where the probabilities differ most */
	float pa, pb; /* the two probabilities of that class */
};

struct compare_stats {
	int n, nclass;
	int agree;        /* inputs where both predict the same class */
	double agreement; /* agree / n */
	int has_labels;
	double acc_a, acc_b;
	int *confusion;   /* [nclass][nclass]: row A's class, column B's */
	int *disagree;    /* indices where they differ, ascending */
	int ndisagree;
	struct compare_diff *top; /* largest |pa - pb|, descending */
	int ntop;
	double max_abs_diff;     /* over every probability */
	double mean_abs_diff;
};

/* Compare probabilities pa, pb [n][nclass]; labels may be NULL. Keeps the
 * top_k largest differences. Caller compare_stats_free()s. */
int compare_compute(const float *pa, const float *pb, const int *labels,
		    int n, int nclass, int top_k, struct compare_stats *out,
		    struct perr *e);
void compare_stats_free(struct compare_stats *s);

/* A model file (model.c): a network with its metadata, as one safetensors
 * file. man/podium-model.5 is the format's reference. */
#define MODEL_FORMAT_VERSION "1"
#define MODEL_MAX_CLASSES 1000

struct model {
	struct net *net;       /* owned */
	struct net_arch arch;  /* a copy of the net's */
	struct net_scaling scaling;
	int nclass;
	char **classes;        /* [nclass] names; owned */
	char sha256[65];       /* of the file as loaded or last saved */
	int from_pytorch;      /* loaded without podium metadata */
	struct st_meta *meta;  /* every __metadata__ entry, as in the file */
	int nmeta;
};

/* How to read a file without podium metadata (a PyTorch state_dict). */
struct model_load_opts {
	const char *arch_json; /* a layer list, or {"input_shape":[C,H,W],
				* "layers":[...]}; NULL: arch_name */
	const char *arch_name; /* "keras-mnist" (the reference); NULL: same */
	int max_batch;         /* images per forward pass; 0: 256 */
};

/* Read, validate and build the model in path. Tensors are matched by name
 * ("<layer>.weight"/".bias"), or for a file without podium metadata by the
 * layer's index ("<i>.weight", nn.Sequential's numbering); every tensor of
 * the architecture must be there with its shape, and no other. Caller
 * model_free()s *out. o may be NULL. */
int model_load(const char *path, const struct model_load_opts *o,
	       struct model **out, struct perr *e);
/* A new model for a checked architecture, Glorot-initialised from seed.
 * classes (nclass names, copied) may be NULL: Fashion-MNIST's when the
 * network has 10 outputs, else the class numbers. NULL with e set. */
struct model *model_new(const struct net_arch *a, int max_batch, uint64_t seed,
			const char *const *classes, int nclass,
			struct net_scaling sc, struct perr *e);
/* Write the model to path atomically, with the podium metadata and any
 * extra entries set with model_set_meta; updates m->sha256. */
int model_save(struct model *m, const char *path, struct perr *e);
/* Set an extra metadata entry (copied) written by model_save. */
void model_set_meta(struct model *m, const char *key, const char *value);
/* The input scaling as metadata JSON ({"divide":255} when exact). Caller
 * frees. */
char *model_scaling_to_json(struct net_scaling sc);
/* Parse the "podium.input_scale" JSON. 0 / -1. */
int model_scaling_from_json(const char *json, struct net_scaling *sc,
			    struct perr *e);
/* Parse an architecture file's text (either form of arch_json). */
int model_arch_parse(const char *json, struct net_arch *a, struct perr *e);
void model_free(struct model *m);

/* ---- end files ---- */

/* ---- model server: requests, metrics, HTTP (model-serve) ---- */

/* What an inference request is checked against: the model's input
 * geometry, how UINT8 data is scaled, and the batch limit. */
struct infer_spec {
	int c, h, w;       /* model input [C,H,W] */
	float u8_scale;    /* UINT8 value v becomes v * u8_scale + u8_shift */
	float u8_shift;
	size_t max_batch;  /* more images than this are refused */
};

/* Outputs a v2 request may ask for (all when it names none). */
enum { INFER_OUT_PROBS = 1, INFER_OUT_LABEL = 2 };

/* A parsed request: n images as NCHW floats, ready for the network. */
struct infer_req {
	size_t n;
	float *x;         /* [n,C,H,W]; owned */
	char *id;         /* the v2 request's "id" (to echo), or NULL; owned */
	unsigned outputs; /* INFER_OUT_* bits */
};

/*
 * Parse a KServe v2 infer body (len bytes, need not be NUL-terminated):
 * {"id"?, "inputs":[{"name","shape","datatype":"FP32"|"UINT8","data"}],
 *  "outputs"?:[{"name"}], "parameters"?}. Shapes [N,C,H,W], [N,H,W,C],
 * [N,H,W] (C = 1) and [N,C*H*W]; data flat or nested as the shape.
 * 0, or -1 with e naming the problem (for a 400). r is filled only on
 * success; infer_req_free() it.
 */
int infer_req_parse_v2(const struct infer_spec *s, const char *body,
		       size_t len, struct infer_req *r, struct perr *e);
/* Parse a v1 / TF-Serving predict body {"instances":[image, ...]}, each
 * image nested as [C,H,W], [H,W,C], [H,W] or flat; FP32 taken as given. */
int infer_req_parse_v1(const struct infer_spec *s, const char *body,
		       size_t len, struct infer_req *r, struct perr *e);
/* Accepts NULL; leaves r zeroed. */
void infer_req_free(struct infer_req *r);

/* The v2 response for r and probs [n,classes]: {"model_name",
 * "model_version","id"?,"outputs":[probabilities FP32 [n,classes],
 * label INT64 [n]]}. Caller frees. */
char *infer_req_v2_reply(const struct infer_req *r, const float *probs,
			 int classes, const char *model, const char *version);
/* The v1 response {"predictions":[[p0..],...]}. Caller frees. */
char *infer_req_v1_reply(const struct infer_req *r, const float *probs,
			 int classes);
/* {"error":"msg"} with msg JSON-escaped. Caller frees. */
char *infer_req_error_json(const char *msg);
/* Append s to b as a JSON string literal (quotes included); -1 over cap. */
int infer_req_json_string(struct dbuf *b, const char *s);

/* The model server's Prometheus registry (metrics.c): counters and a
 * histogram updated from any thread without a lock. */
enum metrics_endpoint {
	METRICS_LIVE,
	METRICS_READY,
	METRICS_SERVER_META,
	METRICS_MODEL_META,
	METRICS_MODEL_READY,
	METRICS_INFER,
	METRICS_V1_STATUS,
	METRICS_V1_PREDICT,
	METRICS_METRICS,
	METRICS_OTHER,
	METRICS_N_ENDPOINTS
};

struct metrics;

/* A registry for one model; the strings are copied. Caller metrics_free()s. */
struct metrics *metrics_new(const char *model, const char *version,
			    const char *sha256);
/* Accepts NULL. */
void metrics_free(struct metrics *m);
/* Count one answered request. */
void metrics_request(struct metrics *m, enum metrics_endpoint ep, int status);
/* Record one inference request of images taking seconds (parse, forward
 * and reply). */
void metrics_infer(struct metrics *m, size_t images, double seconds);
/* The Prometheus text exposition (format 0.0.4). Caller frees. */
char *metrics_render(struct metrics *m);
/* The label value of an endpoint ("infer", "live" ...). */
const char *metrics_endpoint_name(enum metrics_endpoint ep);

/* Floats as JSON text (jfloat.c). */
#define JFLOAT_MAX 24 /* bytes jfloat_format may write, with the NUL */
/* f as the shortest decimal of at most 9 significant digits that reads
 * back as f, in %g's layout ("0.000123", "1.5e-05"); "null" for NaN and
 * infinities, which JSON cannot hold. Writes at most JFLOAT_MAX bytes to
 * out, NUL-terminated; returns the length. */
int jfloat_format(char *out, float f);

/* The HTTP model server (serve.c): KServe v2, v1 / TF-Serving REST and
 * /metrics on libmicrohttpd: a pool of threads, each with its own copy of
 * the model's network. */
struct serve_opts {
	const char *listen;  /* numeric IPv4 or IPv6 address; NULL: 0.0.0.0 */
	int port;            /* 0: any free port (serve_port says which) */
	const char *name;    /* the model's name in URLs */
	int threads;         /* server threads, one network each; >= 1 */
	size_t max_batch;    /* images per request; >= 1 */
	size_t max_body;     /* request body bytes; 0: from max_batch */
	int max_conns;       /* open connections; 0: 256 */
};

struct serve;

/* Start serving net (borrowed: copied into the workers' networks before
 * this returns) with its input scaling; sha256 (may be NULL) names the
 * model file and its first 12 digits are the model version. 0, or -1
 * with e set (bad options, address in use). Stop with serve_stop(). */
int serve_start(struct net *net, struct net_scaling sc, const char *sha256,
		const struct serve_opts *o, struct serve **out,
		struct perr *e);

struct serve_model;

/* The part of a server that can be shared: net's weights copied into
 * o->threads networks, the model's name, version (from sha256, may be
 * NULL), input shape and limits (o->name, max_batch, max_body; the address
 * options are not looked at). 0 with *out (free with serve_model_free
 * after every server using it has stopped), or -1 with e set. */
int serve_model_new(struct net *net, struct net_scaling sc, const char *sha256,
		    const struct serve_opts *o, struct serve_model **out,
		    struct perr *e);
/* Free a model made by serve_model_new; NULL is fine. */
void serve_model_free(struct serve_model *m);
/* Start a server answering with m (borrowed: it must outlive the server)
 * on o's address, port and threads, with its own /metrics; several may
 * share one m (a forward pass borrows one of m's networks, waiting when
 * all are busy). 0, or -1 with e set. Stop with serve_stop(). */
int serve_start_model(struct serve_model *m, const struct serve_opts *o,
		      struct serve **out, struct perr *e);
/* The port being listened on (useful with port 0). */
int serve_port(const struct serve *s);
/* The version the server reports ("1" when no checksum was given). */
const char *serve_version(const struct serve *s);
/* The body limit in effect. */
size_t serve_max_body(const struct serve *s);
/* Stop gracefully: readiness turns 503, no new connections are accepted,
 * requests in flight finish (waiting at most grace_ms), then everything
 * is freed. Returns the number of requests still in flight when the grace
 * ran out (0 normally). Accepts NULL. */
int serve_stop(struct serve *s, int grace_ms);

/* ---- end model server ---- */

#endif
