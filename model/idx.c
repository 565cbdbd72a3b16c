/*
 * idx.c - IDX data sets (the MNIST format), plain or gzip, and PGM images
 * for `podium model predict --pgm`. Every header is checked against the
 * file it came from, and every fault gets one message naming the file, so
 * an operator with a bad download knows which file and what is wrong.
 */
#define _POSIX_C_SOURCE 200809L
#include "model/model.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

const char *const fashion_mnist_classes[10] = {
	"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot",
};

/* The most an IDX set may hold; 16M images is far beyond any MNIST-like
 * set and keeps n*rows*cols products inside 64 bits. */
#define IDX_MAX_COUNT (16 * 1024 * 1024)

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

int idx_decode(const void *buf, size_t len, const char *name, struct idx *out,
	       struct perr *e)
{
	const unsigned char *p = buf;
	if (len < 8) {
		perr_set(e, "%s: not an IDX file (%zu bytes, shorter than a header)",
			 name, len);
		return -1;
	}
	uint32_t magic = be32(p);
	int ndim;
	if (magic == 0x00000803)
		ndim = 3;
	else if (magic == 0x00000801)
		ndim = 1;
	else if ((magic >> 16) == 0 && (magic & 0xff) >= 1 && (magic & 0xff) <= 4) {
		perr_set(e,
			 "%s: IDX file of type 0x%02x with %u dimensions: "
			 "expected unsigned bytes as images (3 dims) or labels (1 dim)",
			 name, (magic >> 8) & 0xff, magic & 0xff);
		return -1;
	} else {
		perr_set(e,
			 "%s: bad magic number 0x%08x: not an IDX images (0x00000803) "
			 "or labels (0x00000801) file",
			 name, magic);
		return -1;
	}
	size_t hdr = 4 + 4 * (size_t)ndim;
	if (len < hdr) {
		perr_set(e, "%s: truncated IDX header (%zu of %zu bytes)", name,
			 len, hdr);
		return -1;
	}
	uint32_t n = be32(p + 4);
	uint32_t rows = ndim == 3 ? be32(p + 8) : 0;
	uint32_t cols = ndim == 3 ? be32(p + 12) : 0;
	if (n > IDX_MAX_COUNT) {
		perr_set(e, "%s: declares %u items, more than the %d allowed",
			 name, n, IDX_MAX_COUNT);
		return -1;
	}
	if (ndim == 3 && (rows == 0 || cols == 0 || rows > IDX_MAX_SIDE ||
			  cols > IDX_MAX_SIDE)) {
		perr_set(e, "%s: image size %ux%u is out of range (1..%d)", name,
			 rows, cols, IDX_MAX_SIDE);
		return -1;
	}
	uint64_t body = (uint64_t)n * (ndim == 3 ? (uint64_t)rows * cols : 1);
	if (body > IDX_MAX_BYTES) {
		perr_set(e, "%s: declares %llu bytes of data, more than %u allowed",
			 name, (unsigned long long)body, IDX_MAX_BYTES);
		return -1;
	}
	if (len - hdr < body) {
		perr_set(e, "%s: truncated: header declares %llu bytes of data, "
			 "file has %zu",
			 name, (unsigned long long)body, len - hdr);
		return -1;
	}
	if (len - hdr > body) {
		perr_set(e, "%s: %zu bytes of trailing data after the %u items "
			 "the header declares",
			 name, (size_t)(len - hdr - body), n);
		return -1;
	}
	out->kind = ndim == 3 ? IDX_IMAGES : IDX_LABELS;
	out->n = (int)n;
	out->rows = (int)rows;
	out->cols = (int)cols;
	out->data = xmalloc(body ? body : 1);
	memcpy(out->data, p + hdr, body);
	return 0;
}

int idx_gunzip(const void *buf, size_t len, size_t max, const char *name,
	       unsigned char **out, size_t *outlen, struct perr *e)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	/* 16 + MAX_WBITS: gzip framing, checked CRC and length. */
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
		perr_set(e, "%s: cannot start gzip decoding", name);
		return -1;
	}
	size_t cap = len * 4 < 65536 ? 65536 : len * 4;
	if (cap > max + 1)
		cap = max + 1;
	unsigned char *o = xmalloc(cap);
	size_t have = 0;
	int rc = -1;
	z.next_in = (unsigned char *)buf;
	z.avail_in = 0;
	size_t in_left = len;
	for (;;) {
		if (z.avail_in == 0 && in_left) {
			/* zlib counts in uInt: feed at most 1 GiB at a time. */
			size_t chunk = in_left > (1u << 30) ? (1u << 30) : in_left;
			z.avail_in = (uInt)chunk;
			in_left -= chunk;
		}
		if (have == cap) {
			if (cap > max) {
				perr_set(e, "%s: decompresses to more than %zu bytes",
					 name, max);
				goto out;
			}
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			o = xrealloc(o, cap);
		}
		size_t room = cap - have;
		if (room > (1u << 30))
			room = 1u << 30;
		z.next_out = o + have;
		z.avail_out = (uInt)room;
		int zr = inflate(&z, Z_NO_FLUSH);
		have += room - z.avail_out;
		if (zr == Z_STREAM_END) {
			/* Another gzip member may follow (gzip concatenates). */
			if (z.avail_in == 0 && in_left == 0)
				break;
			if (inflateReset(&z) != Z_OK) {
				perr_set(e, "%s: corrupt gzip data", name);
				goto out;
			}
			continue;
		}
		if (zr == Z_BUF_ERROR && z.avail_in == 0 && in_left == 0) {
			perr_set(e, "%s: truncated gzip data (the file ends mid-stream)",
				 name);
			goto out;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			perr_set(e, "%s: corrupt gzip data (%s)", name,
				 z.msg ? z.msg : "inflate failed");
			goto out;
		}
	}
	if (have > max) {
		perr_set(e, "%s: decompresses to more than %zu bytes", name, max);
		goto out;
	}
	*out = o;
	*outlen = have;
	o = NULL;
	rc = 0;
out:
	inflateEnd(&z);
	free(o);
	return rc;
}

int idx_load(const char *path, struct idx *out, struct perr *e)
{
	char *raw = NULL;
	size_t len = 0;
	/* A gzip file is never larger than what it decodes to (plus a little). */
	if (read_file(path, (size_t)IDX_MAX_BYTES + 65536, &raw, &len, e) < 0)
		return -1;
	int rc;
	if (len >= 2 && (unsigned char)raw[0] == 0x1f &&
	    (unsigned char)raw[1] == 0x8b) {
		unsigned char *plain = NULL;
		size_t plen = 0;
		rc = idx_gunzip(raw, len, (size_t)IDX_MAX_BYTES + 16, path, &plain,
				&plen, e);
		if (rc == 0)
			rc = idx_decode(plain, plen, path, out, e);
		free(plain);
	} else {
		rc = idx_decode(raw, len, path, out, e);
	}
	free(raw);
	return rc;
}

void idx_free(struct idx *x)
{
	if (!x)
		return;
	free(x->data);
	x->data = NULL;
	x->n = 0;
}

int idx_dataset_load(const char *images, const char *labels, int limit,
		     struct idx_dataset *out, struct perr *e)
{
	struct idx im = { 0 }, lb = { 0 };
	int rc = -1;
	if (idx_load(images, &im, e) < 0 || idx_load(labels, &lb, e) < 0)
		goto out;
	if (im.kind != IDX_IMAGES) {
		perr_set(e, "%s: holds labels, not images", images);
		goto out;
	}
	if (lb.kind != IDX_LABELS) {
		perr_set(e, "%s: holds images, not labels", labels);
		goto out;
	}
	if (im.n != lb.n) {
		perr_set(e, "%s has %d images but %s has %d labels", images, im.n,
			 labels, lb.n);
		goto out;
	}
	int n = im.n;
	if (limit > 0 && limit < n)
		n = limit;
	memset(out, 0, sizeof *out);
	out->n = n;
	out->h = im.rows;
	out->w = im.cols;
	/* Take the decoded buffers over rather than copy 47 MB. */
	out->pixels = im.data;
	out->labels = lb.data;
	im.data = NULL;
	lb.data = NULL;
	rc = 0;
out:
	idx_free(&im);
	idx_free(&lb);
	return rc;
}

/* dir/NAME if it exists, else dir/NAME.gz; caller frees. */
static char *find_idx(const char *dir, const char *prefix, const char *kind,
		      struct perr *e)
{
	struct stat st;
	char *plain = xasprintf("%s/%s-%s", dir, prefix, kind);
	if (stat(plain, &st) == 0)
		return plain;
	char *gz = xasprintf("%s.gz", plain);
	if (stat(gz, &st) == 0) {
		free(plain);
		return gz;
	}
	perr_set(e, "%s: no %s-%s (or .gz) in it", dir, prefix, kind);
	free(plain);
	free(gz);
	return NULL;
}

int idx_dataset_load_dir(const char *dir, const char *prefix, int limit,
			 struct idx_dataset *out, struct perr *e)
{
	char *im = find_idx(dir, prefix, "images-idx3-ubyte", e);
	char *lb = im ? find_idx(dir, prefix, "labels-idx1-ubyte", e) : NULL;
	int rc = -1;
	if (im && lb)
		rc = idx_dataset_load(im, lb, limit, out, e);
	free(im);
	free(lb);
	return rc;
}

void idx_dataset_free(struct idx_dataset *d)
{
	if (!d)
		return;
	free(d->pixels);
	free(d->labels);
	memset(d, 0, sizeof *d);
}

/* PGM: "P5" or "P2", whitespace and # comments, width, height, maxval,
 * then the pixels (binary bytes or 16-bit big-endian for P5, decimal for
 * P2). */
struct pgm_cursor {
	const unsigned char *p, *end;
};

static void pgm_skip(struct pgm_cursor *c)
{
	while (c->p < c->end) {
		if (*c->p == '#') {
			while (c->p < c->end && *c->p != '\n')
				c->p++;
		} else if (isspace(*c->p)) {
			c->p++;
		} else {
			break;
		}
	}
}

/* A decimal number up to 65535 after whitespace and comments; -1 if none. */
static long pgm_number(struct pgm_cursor *c)
{
	pgm_skip(c);
	long v = -1;
	while (c->p < c->end && isdigit(*c->p)) {
		v = (v < 0 ? 0 : v) * 10 + (*c->p - '0');
		if (v > 65535)
			return -2;
		c->p++;
	}
	return v;
}

int pgm_decode(const void *buf, size_t len, const char *name, int rows,
	       int cols, unsigned char **pix, struct perr *e)
{
	struct pgm_cursor c = { buf, (const unsigned char *)buf + len };
	if (len < 2 || c.p[0] != 'P' || (c.p[1] != '5' && c.p[1] != '2')) {
		perr_set(e, "%s: not a PGM image (expected P5 or P2)", name);
		return -1;
	}
	int binary = c.p[1] == '5';
	c.p += 2;
	long w = pgm_number(&c), h = pgm_number(&c), maxval = pgm_number(&c);
	if (w <= 0 || h <= 0 || maxval <= 0) {
		perr_set(e, "%s: bad PGM header (width, height, maxval 1..65535)",
			 name);
		return -1;
	}
	if (w != cols || h != rows) {
		perr_set(e, "%s: image is %ldx%ld; the model takes %dx%d", name, w,
			 h, cols, rows);
		return -1;
	}
	size_t count = (size_t)w * (size_t)h;
	unsigned char *out = xmalloc(count);
	int wide = maxval > 255;
	if (binary) {
		/* Exactly one whitespace byte separates maxval from the data. */
		if (c.p >= c.end || !isspace(*c.p)) {
			perr_set(e, "%s: bad PGM header (no space before the pixels)",
				 name);
			goto fail;
		}
		c.p++;
		size_t need = count * (wide ? 2 : 1);
		if ((size_t)(c.end - c.p) < need) {
			perr_set(e, "%s: truncated PGM: %zu pixel bytes of %zu", name,
				 (size_t)(c.end - c.p), need);
			goto fail;
		}
		for (size_t i = 0; i < count; i++) {
			long v = wide ? (c.p[2 * i] << 8 | c.p[2 * i + 1]) : c.p[i];
			if (v > maxval) {
				perr_set(e, "%s: pixel %zu is %ld, above maxval %ld",
					 name, i, v, maxval);
				goto fail;
			}
			out[i] = (unsigned char)((v * 255 + maxval / 2) / maxval);
		}
	} else {
		for (size_t i = 0; i < count; i++) {
			long v = pgm_number(&c);
			if (v < 0 || v > maxval) {
				perr_set(e, "%s: pixel %zu is missing or above maxval %ld",
					 name, i, maxval);
				goto fail;
			}
			out[i] = (unsigned char)((v * 255 + maxval / 2) / maxval);
		}
	}
	*pix = out;
	return 0;
fail:
	free(out);
	return -1;
}

int pgm_load(const char *path, int rows, int cols, unsigned char **pix,
	     struct perr *e)
{
	char *raw = NULL;
	size_t len = 0;
	if (read_file(path, 64u * 1024 * 1024, &raw, &len, e) < 0)
		return -1;
	int rc = pgm_decode(raw, len, path, rows, cols, pix, e);
	free(raw);
	return rc;
}
