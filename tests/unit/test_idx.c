/* test_idx.c - IDX data sets (plain and gzip, every header fault), the
 * data-set loader, and PGM images. Files are made here, in a temp dir. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "model/model.h"

static char tmpdir[] = "/tmp/podium-idx-XXXXXX";

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* An images file of n rows x cols images where pixel = (i*7 + j) & 255. */
static unsigned char *make_images(uint32_t n, uint32_t rows, uint32_t cols,
				  size_t *len)
{
	size_t body = (size_t)n * rows * cols;
	unsigned char *b = malloc(16 + body);
	put32(b, 0x803);
	put32(b + 4, n);
	put32(b + 8, rows);
	put32(b + 12, cols);
	for (size_t i = 0; i < body; i++)
		b[16 + i] = (unsigned char)((i / (rows * cols)) * 7 + i % (rows * cols));
	*len = 16 + body;
	return b;
}

static unsigned char *make_labels(uint32_t n, size_t *len)
{
	unsigned char *b = malloc(8 + n);
	put32(b, 0x801);
	put32(b + 4, n);
	for (uint32_t i = 0; i < n; i++)
		b[8 + i] = (unsigned char)(i % 10);
	*len = 8 + n;
	return b;
}

static char *write_tmp(const char *name, const void *data, size_t len)
{
	char *path = xasprintf("%s/%s", tmpdir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
	return path;
}

static char *write_gz(const char *name, const void *data, size_t len)
{
	char *path = xasprintf("%s/%s", tmpdir, name);
	gzFile g = gzopen(path, "wb");
	assert_non_null(g);
	assert_int_equal(gzwrite(g, data, (unsigned)len), (int)len);
	gzclose(g);
	return path;
}

static void expect_fault(const void *buf, size_t len, const char *want)
{
	struct idx x = { 0 };
	struct perr e = { { 0 } };
	assert_int_equal(idx_decode(buf, len, "f.idx", &x, &e), -1);
	assert_null(x.data);
	if (!strstr(e.msg, want))
		fail_msg("message '%s' lacks '%s'", e.msg, want);
	assert_true(strncmp(e.msg, "f.idx: ", 7) == 0);
}

static void test_decode_good(void **state)
{
	(void)state;
	size_t len;
	unsigned char *b = make_images(3, 4, 5, &len);
	struct idx x = { 0 };
	struct perr e = { { 0 } };
	assert_int_equal(idx_decode(b, len, "f", &x, &e), 0);
	assert_int_equal(x.kind, IDX_IMAGES);
	assert_int_equal(x.n, 3);
	assert_int_equal(x.rows, 4);
	assert_int_equal(x.cols, 5);
	assert_int_equal(x.data[2 * 20 + 3], 14 + 3);
	idx_free(&x);
	free(b);
	b = make_labels(12, &len);
	assert_int_equal(idx_decode(b, len, "f", &x, &e), 0);
	assert_int_equal(x.kind, IDX_LABELS);
	assert_int_equal(x.n, 12);
	assert_int_equal(x.data[11], 1);
	idx_free(&x);
	idx_free(NULL);
	free(b);
}

static void test_decode_faults(void **state)
{
	(void)state;
	size_t len;
	unsigned char *b = make_images(3, 4, 5, &len);
	expect_fault(b, 5, "shorter than a header");
	expect_fault(b, 12, "truncated IDX header");
	expect_fault(b, len - 1, "truncated: header declares 60 bytes of data, file has 59");
	unsigned char *longer = malloc(len + 3);
	memcpy(longer, b, len);
	expect_fault(longer, len + 3, "3 bytes of trailing data");
	free(longer);
	put32(b, 0x12345678);
	expect_fault(b, len, "bad magic number 0x12345678");
	put32(b, 0x0d03); /* floats */
	expect_fault(b, len, "type 0x0d with 3 dimensions");
	put32(b, 0x802);  /* bytes, 2 dims */
	expect_fault(b, len, "type 0x08 with 2 dimensions");
	put32(b, 0x803);
	put32(b + 8, 0);
	expect_fault(b, len, "image size 0x5 is out of range");
	put32(b + 8, 5000);
	expect_fault(b, len, "image size 5000x5 is out of range");
	put32(b + 8, 4096);
	put32(b + 12, 4096);
	put32(b + 4, 1000);
	expect_fault(b, len, "declares 16777216000 bytes of data");
	put32(b + 4, 0xffffffff);
	expect_fault(b, len, "declares 4294967295 items");
	free(b);
}

static void test_gzip_and_dataset(void **state)
{
	(void)state;
	size_t il, ll;
	unsigned char *im = make_images(20, 28, 28, &il);
	unsigned char *lb = make_labels(20, &ll);
	char *ip = write_gz("train-images-idx3-ubyte.gz", im, il);
	char *lp = write_tmp("train-labels-idx1-ubyte", lb, ll);
	struct idx_dataset d = { 0 };
	struct perr e = { { 0 } };
	assert_int_equal(idx_dataset_load_dir(tmpdir, "train", 0, &d, &e), 0);
	assert_int_equal(d.n, 20);
	assert_int_equal(d.h, 28);
	assert_int_equal(d.w, 28);
	assert_memory_equal(d.pixels, im + 16, 20 * 784);
	assert_int_equal(d.labels[13], 3);
	idx_dataset_free(&d);
	assert_int_equal(idx_dataset_load(ip, lp, 7, &d, &e), 0);
	assert_int_equal(d.n, 7);
	idx_dataset_free(&d);
	idx_dataset_free(NULL);

	/* Swapped files, mismatched counts, missing files. */
	assert_int_equal(idx_dataset_load(lp, ip, 0, &d, &e), -1);
	assert_non_null(strstr(e.msg, "holds labels, not images"));
	perr_clear(&e);
	unsigned char *lb2 = make_labels(19, &ll);
	char *lp2 = write_tmp("short-labels", lb2, ll);
	assert_int_equal(idx_dataset_load(ip, lp2, 0, &d, &e), -1);
	assert_non_null(strstr(e.msg, "has 20 images but"));
	assert_non_null(strstr(e.msg, "has 19 labels"));
	perr_clear(&e);
	assert_int_equal(idx_dataset_load_dir(tmpdir, "t10k", 0, &d, &e), -1);
	assert_non_null(strstr(e.msg, "no t10k-images-idx3-ubyte (or .gz)"));

	/* A gzip file cut short, and one that is corrupt. */
	char *raw = NULL;
	size_t rl = 0;
	assert_int_equal(read_file(ip, 1 << 24, &raw, &rl, &e), 0);
	char *cut = write_tmp("cut.gz", raw, rl / 2);
	struct idx x = { 0 };
	perr_clear(&e);
	assert_int_equal(idx_load(cut, &x, &e), -1);
	assert_non_null(strstr(e.msg, "truncated gzip data"));
	assert_non_null(strstr(e.msg, "cut.gz"));
	raw[rl / 2] ^= 0x55;
	raw[rl / 2 + 1] ^= 0x55;
	char *bad = write_tmp("bad.gz", raw, rl);
	perr_clear(&e);
	assert_int_equal(idx_load(bad, &x, &e), -1);
	assert_non_null(strstr(e.msg, "corrupt gzip data"));

	/* The output cap holds. */
	unsigned char *out = NULL;
	size_t ol = 0;
	perr_clear(&e);
	assert_int_equal(idx_gunzip(raw, rl / 2, 100, "x", &out, &ol, &e), -1);
	assert_non_null(strstr(e.msg, "more than 100 bytes"));
	assert_null(out);

	free(raw);
	free(im);
	free(lb);
	free(lb2);
	free(ip);
	free(lp);
	free(lp2);
	free(cut);
	free(bad);
}

static void test_pgm(void **state)
{
	(void)state;
	unsigned char *pix = NULL;
	struct perr e = { { 0 } };
	const char p2[] = "P2\n# a comment\n3 2\n# another\n15\n0 15 7\n1 2 3\n";
	assert_int_equal(pgm_decode(p2, strlen(p2), "a.pgm", 2, 3, &pix, &e), 0);
	assert_int_equal(pix[0], 0);
	assert_int_equal(pix[1], 255);
	assert_int_equal(pix[2], 119); /* 7*255/15 */
	free(pix);
	unsigned char p5[64] = "P5 2 2 255\n";
	size_t h = strlen((char *)p5);
	memcpy(p5 + h, "\x01\x02\x03\xff", 4);
	assert_int_equal(pgm_decode(p5, h + 4, "b.pgm", 2, 2, &pix, &e), 0);
	assert_int_equal(pix[3], 255);
	free(pix);
	pix = NULL;
	assert_int_equal(pgm_decode(p5, h + 3, "b.pgm", 2, 2, &pix, &e), -1);
	assert_string_equal(e.msg, "b.pgm: truncated PGM: 3 pixel bytes of 4");
	perr_clear(&e);
	assert_int_equal(pgm_decode(p5, h + 4, "b.pgm", 28, 28, &pix, &e), -1);
	assert_string_equal(e.msg, "b.pgm: image is 2x2; the model takes 28x28");
	perr_clear(&e);
	assert_int_equal(pgm_decode("P6 1 1 255\n", 11, "c", 1, 1, &pix, &e), -1);
	assert_non_null(strstr(e.msg, "not a PGM image"));
	perr_clear(&e);
	assert_int_equal(pgm_decode("P2 1 1 10 11", 12, "c", 1, 1, &pix, &e), -1);
	assert_non_null(strstr(e.msg, "above maxval 10"));
	perr_clear(&e);
	assert_int_equal(pgm_decode("P2 1 1 99999 1", 14, "c", 1, 1, &pix, &e), -1);
	assert_non_null(strstr(e.msg, "bad PGM header"));
	assert_null(pix);
	/* 16-bit P5. */
	unsigned char w[] = "P5 1 1 65535\n\xff\xff";
	assert_int_equal(pgm_decode(w, sizeof w - 1, "w", 1, 1, &pix, &e), 0);
	assert_int_equal(pix[0], 255);
	free(pix);
}

static void test_classes(void **state)
{
	(void)state;
	assert_string_equal(fashion_mnist_classes[0], "T-shirt/top");
	assert_string_equal(fashion_mnist_classes[9], "Ankle boot");
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);
	int rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_good),
		cmocka_unit_test(test_decode_faults),
		cmocka_unit_test(test_gzip_and_dataset),
		cmocka_unit_test(test_pgm),
		cmocka_unit_test(test_classes),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
