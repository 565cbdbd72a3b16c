/*
 * model.h - the local CNN engine (tensors, layers, training, inference),
 * IDX data sets, safetensors model files, and predict-and-compare. model/
 * never prints: progress reaches callers through callbacks.
 */
#ifndef PODIUM_MODEL_H
#define PODIUM_MODEL_H

#include <stddef.h>

#include "kube/base.h"

/* ---- engine: tensors, layers, network, training (model-engine) ---- */
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

/* ---- end files ---- */

#endif
