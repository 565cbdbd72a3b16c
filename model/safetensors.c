/*
 * safetensors.c - the safetensors file format (Hugging Face's): an 8-byte
 * little-endian header length, a JSON header mapping tensor names to
 * {dtype, shape, data_offsets} plus an optional "__metadata__" map of
 * strings, then the tensor bytes, row-major little-endian.
 *
 * It is what PyTorch users save state_dicts with, so a model file here is
 * one of these. Reading trusts nothing: every length, offset, dtype and
 * shape is checked against the file before a byte is copied, and the first
 * fault is reported in one line naming the file. Tensors are converted to
 * float32 on the way in (F64, F16 and BF16 too); writing is F32.
 */
#define _POSIX_C_SOURCE 200809L
#include "model/model.h"

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ST_MAX_TENSORS 65536
#define ST_MAX_NAME 255
#define ST_MAX_FILE ((size_t)1 << 31)

/* Float formats we convert from; the others the format knows are named so
 * the message can say what the file holds. */
struct st_dtype {
	const char *name;
	int size;
	int supported;
};

static const struct st_dtype st_dtypes[] = {
	{ "F32", 4, 1 },     { "F64", 8, 1 },    { "F16", 2, 1 },
	{ "BF16", 2, 1 },    { "I64", 8, 0 },    { "I32", 4, 0 },
	{ "I16", 2, 0 },     { "I8", 1, 0 },     { "U64", 8, 0 },
	{ "U32", 4, 0 },     { "U16", 2, 0 },    { "U8", 1, 0 },
	{ "BOOL", 1, 0 },    { "F8_E4M3", 1, 0 }, { "F8_E5M2", 1, 0 },
	{ NULL, 0, 0 },
};

static const struct st_dtype *dtype_find(const char *name)
{
	for (const struct st_dtype *d = st_dtypes; d->name; d++)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

static float half_to_float(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000) << 16;
	uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
	if (exp == 0x1f) {
		bits = sign | 0x7f800000 | man << 13; /* inf, NaN */
	} else if (exp) {
		bits = sign | (exp + 112) << 23 | man << 13;
	} else if (man) {
		/* Subnormal: normalise the mantissa. */
		int e = -1;
		do {
			e++;
			man <<= 1;
		} while (!(man & 0x400));
		bits = sign | (uint32_t)(112 - e) << 23 | (man & 0x3ff) << 13;
	} else {
		bits = sign;
	}
	float f;
	memcpy(&f, &bits, 4);
	return f;
}

static uint64_t le64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void convert(const unsigned char *src, const struct st_dtype *d,
		    size_t count, float *dst)
{
	for (size_t i = 0; i < count; i++) {
		const unsigned char *p = src + i * (size_t)d->size;
		if (d->size == 4) {
			uint32_t b = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
				     (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
			memcpy(&dst[i], &b, 4);
		} else if (d->size == 8) {
			uint64_t b = le64(p);
			double v;
			memcpy(&v, &b, 8);
			dst[i] = (float)v;
		} else if (strcmp(d->name, "F16") == 0) {
			dst[i] = half_to_float((uint16_t)(p[0] | p[1] << 8));
		} else { /* BF16: the top half of a float32 */
			uint32_t b = (uint32_t)(p[0] | p[1] << 8) << 16;
			memcpy(&dst[i], &b, 4);
		}
	}
}

/* A name fit for a message and a terminal: printable ASCII, bounded. */
static int name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > ST_MAX_NAME)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* What the header says about one tensor, before any data is read. */
struct st_entry {
	const char *name; /* borrowed from the JSON */
	const struct st_dtype *dtype;
	int ndim;
	long long shape[SAFETENSORS_MAX_DIMS];
	size_t count;
	uint64_t begin, end;
};

static int entry_cmp(const void *a, const void *b)
{
	const struct st_entry *x = a, *y = b;
	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

/* Check one tensor's header entry against the data size. */
static int parse_entry(const char *file, const char *name, json_t *v,
		       uint64_t datalen, struct st_entry *out, struct perr *e)
{
	if (!json_is_object(v)) {
		perr_set(e, "%s: tensor '%s': header entry is not an object", file,
			 name);
		return -1;
	}
	const char *key;
	json_t *val;
	json_object_foreach(v, key, val)
	{
		if (strcmp(key, "dtype") && strcmp(key, "shape") &&
		    strcmp(key, "data_offsets")) {
			perr_set(e, "%s: tensor '%s': unknown header key", file, name);
			return -1;
		}
	}
	json_t *dt = json_object_get(v, "dtype");
	json_t *sh = json_object_get(v, "shape");
	json_t *off = json_object_get(v, "data_offsets");
	if (!json_is_string(dt) || !json_is_array(sh) || !json_is_array(off)) {
		perr_set(e, "%s: tensor '%s': needs dtype (string), shape and "
			 "data_offsets (arrays)",
			 file, name);
		return -1;
	}
	const char *dname = json_string_value(dt);
	out->dtype = dtype_find(dname);
	if (!out->dtype) {
		perr_set(e, "%s: tensor '%s': unknown dtype '%.16s'", file, name,
			 name_ok(dname) ? dname : "?");
		return -1;
	}
	if (!out->dtype->supported) {
		perr_set(e, "%s: tensor '%s' has dtype %s: model tensors must be "
			 "F32, F64, F16 or BF16",
			 file, name, out->dtype->name);
		return -1;
	}
	size_t nd = json_array_size(sh);
	if (nd > SAFETENSORS_MAX_DIMS) {
		perr_set(e, "%s: tensor '%s' has %zu dimensions (at most %d)", file,
			 name, nd, SAFETENSORS_MAX_DIMS);
		return -1;
	}
	uint64_t count = 1;
	for (size_t i = 0; i < nd; i++) {
		json_t *d = json_array_get(sh, i);
		if (!json_is_integer(d) || json_integer_value(d) < 0) {
			perr_set(e, "%s: tensor '%s': shape holds something other "
				 "than sizes",
				 file, name);
			return -1;
		}
		uint64_t dim = (uint64_t)json_integer_value(d);
		/* Bound by the file before multiplying, so nothing overflows. */
		if (dim > datalen && count) {
			perr_set(e, "%s: tensor '%s': shape is larger than the file",
				 file, name);
			return -1;
		}
		count *= dim;
		if (count > datalen) {
			perr_set(e, "%s: tensor '%s': shape is larger than the file",
				 file, name);
			return -1;
		}
		out->shape[i] = (long long)dim;
	}
	out->ndim = (int)nd;
	out->count = (size_t)count;
	if (json_array_size(off) != 2 ||
	    !json_is_integer(json_array_get(off, 0)) ||
	    !json_is_integer(json_array_get(off, 1)) ||
	    json_integer_value(json_array_get(off, 0)) < 0 ||
	    json_integer_value(json_array_get(off, 1)) < 0) {
		perr_set(e, "%s: tensor '%s': data_offsets must be [begin, end]",
			 file, name);
		return -1;
	}
	out->begin = (uint64_t)json_integer_value(json_array_get(off, 0));
	out->end = (uint64_t)json_integer_value(json_array_get(off, 1));
	if (out->begin > out->end || out->end > datalen) {
		perr_set(e, "%s: tensor '%s': data_offsets [%llu, %llu] are outside "
			 "the %llu data bytes",
			 file, name, (unsigned long long)out->begin,
			 (unsigned long long)out->end, (unsigned long long)datalen);
		return -1;
	}
	if (count * (uint64_t)out->dtype->size != out->end - out->begin) {
		perr_set(e, "%s: tensor '%s': shape needs %llu bytes of %s but "
			 "data_offsets span %llu",
			 file, name,
			 (unsigned long long)(count * (uint64_t)out->dtype->size),
			 out->dtype->name,
			 (unsigned long long)(out->end - out->begin));
		return -1;
	}
	out->name = name;
	return 0;
}

static int parse_meta(const char *file, json_t *m, struct safetensors *st,
		      struct perr *e)
{
	if (!json_is_object(m)) {
		perr_set(e, "%s: __metadata__ is not an object", file);
		return -1;
	}
	const char *key;
	json_t *val;
	json_object_foreach(m, key, val)
	{
		if (!json_is_string(val)) {
			perr_set(e, "%s: __metadata__ value of '%.64s' is not a string",
				 file, name_ok(key) ? key : "?");
			return -1;
		}
		safetensors_set_meta(st, key, json_string_value(val));
	}
	return 0;
}

int safetensors_parse(const void *buf, size_t len, const char *name,
		      struct safetensors *out, struct perr *e)
{
	const unsigned char *p = buf;
	struct safetensors st = { 0 };
	struct st_entry *ent = NULL;
	json_t *root = NULL;
	int rc = -1;
	if (len < 8) {
		perr_set(e, "%s: not a safetensors file (%zu bytes, no header length)",
			 name, len);
		return -1;
	}
	uint64_t hlen = le64(p);
	if (hlen < 2 || hlen > SAFETENSORS_MAX_HEADER || hlen > len - 8) {
		perr_set(e, "%s: not a safetensors file (header length %llu for a "
			 "file of %zu bytes)",
			 name, (unsigned long long)hlen, len);
		return -1;
	}
	if (p[8] != '{') {
		perr_set(e, "%s: not a safetensors file (header does not start "
			 "with '{')",
			 name);
		return -1;
	}
	json_error_t jerr;
	root = json_loadb((const char *)p + 8, (size_t)hlen,
			  JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		perr_set(e, "%s: bad JSON header at byte %d: %s", name,
			 jerr.position, jerr.text);
		goto out;
	}
	if (!json_is_object(root)) {
		perr_set(e, "%s: header is not a JSON object", name);
		goto out;
	}
	uint64_t datalen = len - 8 - hlen;
	size_t n = json_object_size(root);
	if (n > ST_MAX_TENSORS) {
		perr_set(e, "%s: header lists %zu tensors (at most %d)", name, n,
			 ST_MAX_TENSORS);
		goto out;
	}
	ent = xcalloc(n + 1, sizeof *ent);
	size_t ne = 0;
	const char *key;
	json_t *val;
	json_object_foreach(root, key, val)
	{
		if (strcmp(key, "__metadata__") == 0) {
			if (parse_meta(name, val, &st, e) < 0)
				goto out;
			continue;
		}
		if (!name_ok(key)) {
			perr_set(e, "%s: a tensor name is empty, longer than %d or "
				 "not printable ASCII",
				 name, ST_MAX_NAME);
			goto out;
		}
		if (parse_entry(name, key, val, datalen, &ent[ne], e) < 0)
			goto out;
		ne++;
	}
	/* The data must be covered exactly: no overlap, no hole, nothing
	 * after the last tensor (the format forbids polyglot files). */
	qsort(ent, ne, sizeof *ent, entry_cmp);
	uint64_t at = 0;
	for (size_t i = 0; i < ne; i++) {
		if (ent[i].begin < at) {
			perr_set(e, "%s: tensors '%s' and '%s' overlap", name,
				 ent[i - 1].name, ent[i].name);
			goto out;
		}
		if (ent[i].begin > at) {
			perr_set(e, "%s: %llu data bytes before tensor '%s' belong to "
				 "no tensor",
				 name, (unsigned long long)(ent[i].begin - at),
				 ent[i].name);
			goto out;
		}
		at = ent[i].end;
	}
	if (at != datalen) {
		perr_set(e, "%s: %llu bytes after the last tensor belong to no "
			 "tensor",
			 name, (unsigned long long)(datalen - at));
		goto out;
	}
	st.t = xcalloc(ne + 1, sizeof *st.t);
	for (size_t i = 0; i < ne; i++) {
		struct st_tensor *t = &st.t[st.n++];
		t->name = xstrdup(ent[i].name);
		t->ndim = ent[i].ndim;
		memcpy(t->shape, ent[i].shape, sizeof t->shape);
		t->count = ent[i].count;
		t->data = xmalloc(t->count * sizeof *t->data + 1);
		convert(p + 8 + hlen + ent[i].begin, ent[i].dtype, t->count,
			t->data);
	}
	*out = st;
	memset(&st, 0, sizeof st);
	rc = 0;
out:
	safetensors_free(&st);
	free(ent);
	json_decref(root);
	return rc;
}

int safetensors_load(const char *path, struct safetensors *out,
		     struct perr *e)
{
	char *raw = NULL;
	size_t len = 0;
	if (read_file(path, ST_MAX_FILE, &raw, &len, e) < 0)
		return -1;
	int rc = safetensors_parse(raw, len, path, out, e);
	free(raw);
	return rc;
}

static int meta_cmp(const void *a, const void *b)
{
	return strcmp(((const struct st_meta *)a)->key,
		      ((const struct st_meta *)b)->key);
}

int safetensors_serialize(const struct safetensors *st, char **out,
			  size_t *len, struct perr *e)
{
	json_t *root = json_object();
	char *hdr = NULL;
	int rc = -1;
	if (st->nmeta) {
		struct st_meta *m = xmalloc((size_t)st->nmeta * sizeof *m);
		memcpy(m, st->meta, (size_t)st->nmeta * sizeof *m);
		qsort(m, (size_t)st->nmeta, sizeof *m, meta_cmp);
		json_t *mo = json_object();
		int bad = 0;
		for (int i = 0; i < st->nmeta && !bad; i++) {
			json_t *v = json_string(m[i].value);
			if (!v || json_object_set_new(mo, m[i].key, v) < 0) {
				perr_set(e, "metadata '%.64s' is not UTF-8",
					 name_ok(m[i].key) ? m[i].key : "?");
				bad = 1;
			}
		}
		json_object_set_new(root, "__metadata__", mo);
		free(m);
		if (bad)
			goto out;
	}
	uint64_t at = 0;
	for (int i = 0; i < st->n; i++) {
		const struct st_tensor *t = &st->t[i];
		if (!name_ok(t->name) || strcmp(t->name, "__metadata__") == 0) {
			perr_set(e, "tensor name '%.64s' cannot be written",
				 t->name);
			goto out;
		}
		json_t *shape = json_array();
		for (int d = 0; d < t->ndim; d++)
			json_array_append_new(shape, json_integer(t->shape[d]));
		json_t *o = json_object();
		json_object_set_new(o, "dtype", json_string("F32"));
		json_object_set_new(o, "shape", shape);
		json_object_set_new(o, "data_offsets",
				    json_pack("[II]", (json_int_t)at,
					      (json_int_t)(at + 4 * t->count)));
		if (json_object_set_new(root, t->name, o) < 0) {
			perr_set(e, "tensor name '%s' cannot be written", t->name);
			goto out;
		}
		at += 4 * (uint64_t)t->count;
	}
	if (json_object_size(root) != (size_t)st->n + (st->nmeta ? 1 : 0)) {
		perr_set(e, "two tensors share a name");
		goto out;
	}
	hdr = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	size_t hl = strlen(hdr);
	/* Pad the header with spaces so the data starts 8-byte aligned, as
	 * the reference writer does. */
	size_t padded = (hl + 7) & ~(size_t)7;
	size_t total = 8 + padded + (size_t)at;
	unsigned char *buf = xmalloc(total);
	for (int i = 0; i < 8; i++)
		buf[i] = (unsigned char)((uint64_t)padded >> (8 * i));
	memcpy(buf + 8, hdr, hl);
	memset(buf + 8 + hl, ' ', padded - hl);
	unsigned char *d = buf + 8 + padded;
	for (int i = 0; i < st->n; i++)
		for (size_t j = 0; j < st->t[i].count; j++) {
			uint32_t b;
			memcpy(&b, &st->t[i].data[j], 4);
			*d++ = (unsigned char)b;
			*d++ = (unsigned char)(b >> 8);
			*d++ = (unsigned char)(b >> 16);
			*d++ = (unsigned char)(b >> 24);
		}
	*out = (char *)buf;
	*len = total;
	rc = 0;
out:
	free(hdr);
	json_decref(root);
	return rc;
}

int safetensors_save(const char *path, const struct safetensors *st,
		     struct perr *e)
{
	char *buf = NULL;
	size_t len = 0;
	if (safetensors_serialize(st, &buf, &len, e) < 0)
		return -1;
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	int rc = -1;
	FILE *f = fopen(tmp, "wb");
	if (!f) {
		perr_set(e, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	size_t w = fwrite(buf, 1, len, f);
	int err = ferror(f);
	if (fclose(f) != 0 || w != len || err) {
		perr_set(e, "cannot write %s: %s", tmp, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) < 0) {
		perr_set(e, "cannot rename %s to %s: %s", tmp, path,
			 strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	free(buf);
	return rc;
}

void safetensors_add(struct safetensors *st, const char *name, int ndim,
		     const long long *shape, const float *data)
{
	st->t = xrealloc(st->t, ((size_t)st->n + 1) * sizeof *st->t);
	struct st_tensor *t = &st->t[st->n++];
	memset(t, 0, sizeof *t);
	t->name = xstrdup(name);
	t->ndim = ndim;
	t->count = 1;
	for (int i = 0; i < ndim; i++) {
		t->shape[i] = shape[i];
		t->count *= (size_t)shape[i];
	}
	t->data = xmalloc(t->count * sizeof *t->data + 1);
	memcpy(t->data, data, t->count * sizeof *t->data);
}

void safetensors_set_meta(struct safetensors *st, const char *key,
			  const char *value)
{
	for (int i = 0; i < st->nmeta; i++)
		if (strcmp(st->meta[i].key, key) == 0) {
			free(st->meta[i].value);
			st->meta[i].value = xstrdup(value);
			return;
		}
	st->meta = xrealloc(st->meta, ((size_t)st->nmeta + 1) * sizeof *st->meta);
	st->meta[st->nmeta].key = xstrdup(key);
	st->meta[st->nmeta].value = xstrdup(value);
	st->nmeta++;
}

const struct st_tensor *safetensors_find(const struct safetensors *st,
					 const char *name)
{
	for (int i = 0; i < st->n; i++)
		if (strcmp(st->t[i].name, name) == 0)
			return &st->t[i];
	return NULL;
}

const char *safetensors_meta(const struct safetensors *st, const char *key)
{
	for (int i = 0; i < st->nmeta; i++)
		if (strcmp(st->meta[i].key, key) == 0)
			return st->meta[i].value;
	return NULL;
}

void safetensors_free(struct safetensors *st)
{
	if (!st)
		return;
	for (int i = 0; i < st->n; i++) {
		free(st->t[i].name);
		free(st->t[i].data);
	}
	for (int i = 0; i < st->nmeta; i++) {
		free(st->meta[i].key);
		free(st->meta[i].value);
	}
	free(st->t);
	free(st->meta);
	memset(st, 0, sizeof *st);
}
