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

/* ---- end model server ---- */

#endif
