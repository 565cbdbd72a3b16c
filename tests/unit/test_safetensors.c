/* test_safetensors.c - safetensors round trip, dtype conversion, every
 * validation fault with its message, a fixture written by Python, and
 * SHA-256 against FIPS 180-4 vectors. */
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

#include "model/model.h"

/* A file from a header string and data bytes; caller frees. */
static unsigned char *mkfile(const char *hdr, const void *data, size_t dlen,
			     size_t *len)
{
	size_t hl = strlen(hdr);
	unsigned char *b = malloc(8 + hl + dlen + 1);
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)((uint64_t)hl >> (8 * i));
	memcpy(b + 8, hdr, hl);
	if (dlen)
		memcpy(b + 8 + hl, data, dlen);
	*len = 8 + hl + dlen;
	return b;
}

static void expect_fault(const char *hdr, size_t dlen, const char *want)
{
	unsigned char data[256] = { 0 };
	size_t len;
	unsigned char *b = mkfile(hdr, data, dlen, &len);
	struct safetensors st = { 0 };
	struct perr e = { { 0 } };
	assert_int_equal(safetensors_parse(b, len, "m.st", &st, &e), -1);
	assert_null(st.t);
	if (!strstr(e.msg, want))
		fail_msg("for %s: message '%s' lacks '%s'", hdr, e.msg, want);
	assert_true(strncmp(e.msg, "m.st: ", 6) == 0);
	free(b);
}

static void test_round_trip(void **state)
{
	(void)state;
	struct safetensors st = { 0 };
	float w[6] = { 1.5f, -2.0f, 3.25f, 0.0f, -0.0f, 1e-30f };
	float bias[2] = { 0.5f, -0.5f };
	safetensors_add(&st, "fc.weight", 2, (long long[]){ 2, 3 }, w);
	safetensors_add(&st, "fc.bias", 1, (long long[]){ 2 }, bias);
	safetensors_set_meta(&st, "z", "last");
	safetensors_set_meta(&st, "a", "first");
	safetensors_set_meta(&st, "a", "replaced");
	char *buf = NULL;
	size_t len = 0;
	struct perr e = { { 0 } };
	assert_int_equal(safetensors_serialize(&st, &buf, &len, &e), 0);
	uint64_t hl = 0;
	for (int i = 7; i >= 0; i--)
		hl = hl << 8 | (unsigned char)buf[i];
	assert_int_equal(hl % 8, 0); /* the data starts 8-byte aligned */
	assert_int_equal(len, 8 + hl + 32);
	/* Metadata first, sorted; tensors in the order added. */
	const char *want = "{\"__metadata__\":{\"a\":\"replaced\",\"z\":\"last\"},"
			   "\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[2,3],"
			   "\"data_offsets\":[0,24]},";
	assert_memory_equal(buf + 8, want, strlen(want));
	struct safetensors back = { 0 };
	assert_int_equal(safetensors_parse(buf, len, "rt", &back, &e), 0);
	assert_int_equal(back.n, 2);
	const struct st_tensor *t = safetensors_find(&back, "fc.weight");
	assert_non_null(t);
	assert_int_equal(t->ndim, 2);
	assert_int_equal(t->shape[1], 3);
	assert_int_equal(t->count, 6);
	assert_memory_equal(t->data, w, sizeof w);
	assert_memory_equal(safetensors_find(&back, "fc.bias")->data, bias,
			    sizeof bias);
	assert_null(safetensors_find(&back, "nope"));
	assert_string_equal(safetensors_meta(&back, "a"), "replaced");
	assert_null(safetensors_meta(&back, "b"));

	/* Save and load through a file. */
	char path[] = "/tmp/podium-st-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(safetensors_save(path, &st, &e), 0);
	struct safetensors f = { 0 };
	assert_int_equal(safetensors_load(path, &f, &e), 0);
	assert_int_equal(f.n, 2);
	unlink(path);
	safetensors_free(&f);
	safetensors_free(&back);
	safetensors_free(&st);
	safetensors_free(NULL);
	free(buf);
}

static void test_dtypes(void **state)
{
	(void)state;
	/* F16: 1.0, -2.0, 65504, smallest subnormal; BF16: 1.0, -3.0; F64 0.1 */
	unsigned char d[26] = { 0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b, 0x01, 0x00,
				0x80, 0x3f, 0x40, 0xc0 };
	double tenth = 0.1;
	memcpy(d + 12, &tenth, 8);
	const char *hdr =
		"{\"h\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,8]},"
		"\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[8,12]},"
		"\"d\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[12,20]},"
		"\"e\":{\"dtype\":\"F32\",\"shape\":[0,5],\"data_offsets\":[20,20]}}";
	size_t len;
	unsigned char *b = mkfile(hdr, d, 20, &len);
	struct safetensors st = { 0 };
	struct perr e = { { 0 } };
	assert_int_equal(safetensors_parse(b, len, "x", &st, &e), 0);
	const float *h = safetensors_find(&st, "h")->data;
	assert_true(h[0] == 1.0f && h[1] == -2.0f && h[2] == 65504.0f);
	assert_true(h[3] == 5.9604644775390625e-8f);
	const float *bf = safetensors_find(&st, "b")->data;
	assert_true(bf[0] == 1.0f && bf[1] == -3.0f);
	assert_true(safetensors_find(&st, "d")->data[0] == 0.1f);
	assert_int_equal(safetensors_find(&st, "d")->ndim, 0);
	assert_int_equal(safetensors_find(&st, "e")->count, 0);
	/* File order is by offset, not by header order. */
	assert_string_equal(st.t[0].name, "h");
	safetensors_free(&st);
	free(b);
}

static void test_faults(void **state)
{
	(void)state;
	struct safetensors st = { 0 };
	struct perr e = { { 0 } };
	unsigned char tiny[4] = { 0 };
	assert_int_equal(safetensors_parse(tiny, 4, "m.st", &st, &e), -1);
	assert_string_equal(e.msg,
			    "m.st: not a safetensors file (4 bytes, no header length)");
	/* Header length larger than the file. */
	unsigned char big[16] = { 0xff, 0xff, 0, 0, 0, 0, 0, 0, '{', '}' };
	perr_clear(&e);
	assert_int_equal(safetensors_parse(big, 16, "m.st", &st, &e), -1);
	assert_string_equal(e.msg, "m.st: not a safetensors file (header length "
				   "65535 for a file of 16 bytes)");
	expect_fault("[1,2]", 0, "header does not start with '{'");
	expect_fault("{\"a\":", 0, "bad JSON header");
	expect_fault("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
		     "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
		     8, "duplicate");
	expect_fault("{\"a\":1}", 0, "tensor 'a': header entry is not an object");
	expect_fault("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4,
		     "tensor 'a': needs dtype (string), shape and data_offsets");
	expect_fault("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],"
		     "\"x\":1}}",
		     4, "tensor 'a': unknown header key");
	expect_fault("{\"a\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,4]}}",
		     4, "tensor 'a': unknown dtype 'Q4'");
	expect_fault("{\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}",
		     8, "tensor 'a' has dtype I64: model tensors must be F32, "
			"F64, F16 or BF16");
	expect_fault("{\"a\":{\"dtype\":\"F32\",\"shape\":[1,-2],\"data_offsets\":[0,4]}}",
		     4, "shape holds something other than sizes");
	expect_fault("{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],"
		     "\"data_offsets\":[0,4]}}",
		     4, "has 9 dimensions (at most 8)");
	expect_fault("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,"
		     "4294967296],\"data_offsets\":[0,4]}}",
		     4, "shape is larger than the file");
	expect_fault("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}",
		     4, "shape needs 8 bytes of F32 but data_offsets span 4");
	expect_fault("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
		     4, "data_offsets [0, 8] are outside the 4 data bytes");
	expect_fault("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}",
		     4, "are outside");
	expect_fault("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}",
		     4, "data_offsets must be [begin, end]");
	expect_fault("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
		     "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
		     12, "tensors 'a' and 'b' overlap");
	expect_fault("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
		     8, "4 data bytes before tensor 'a' belong to no tensor");
	expect_fault("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
		     12, "8 bytes after the last tensor belong to no tensor");
	expect_fault("{\"__metadata__\":{\"k\":1}}", 0,
		     "__metadata__ value of 'k' is not a string");
	expect_fault("{\"__metadata__\":[]}", 0, "__metadata__ is not an object");
	expect_fault("{\"\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
		     4, "a tensor name is empty");
	expect_fault("{\"a\\u001b[2J\":{\"dtype\":\"F32\",\"shape\":[1],"
		     "\"data_offsets\":[0,4]}}",
		     4, "not printable ASCII");
}

/* Written by tests/data/model/make_fixtures.py with Python's struct and
 * json: the format as another implementation writes it. */
static void test_python_fixture(void **state)
{
	(void)state;
	struct safetensors st = { 0 };
	struct perr e = { { 0 } };
	if (safetensors_load("tests/data/model/tiny.safetensors", &st, &e) < 0)
		fail_msg("%s", e.msg);
	assert_int_equal(st.n, 2);
	const struct st_tensor *w = safetensors_find(&st, "0.weight");
	assert_non_null(w);
	assert_int_equal(w->ndim, 4);
	assert_int_equal(w->shape[0], 2);
	assert_int_equal(w->shape[1], 1);
	assert_int_equal(w->shape[2], 3);
	for (size_t i = 0; i < w->count; i++)
		assert_true(w->data[i] == (float)i * 0.25f - 1.0f);
	const struct st_tensor *b = safetensors_find(&st, "0.bias");
	assert_true(b->data[0] == 0.5f && b->data[1] == -0.5f);
	assert_string_equal(safetensors_meta(&st, "format"), "pt");
	safetensors_free(&st);
}

static void check_sha(const char *in, size_t len, const char *want)
{
	char hex[65];
	sha256_hex(in, len, hex);
	assert_string_equal(hex, want);
}

static void test_sha256(void **state)
{
	(void)state;
	check_sha("", 0,
		  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check_sha("abc", 3,
		  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	check_sha(two, strlen(two),
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	/* One million 'a': many blocks. */
	char *m = malloc(1000000);
	memset(m, 'a', 1000000);
	check_sha(m, 1000000,
		  "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(m);
	/* 55 and 56 bytes: the padding fits in one block or needs two. */
	char a[64];
	memset(a, 'a', sizeof a);
	check_sha(a, 55,
		  "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
	check_sha(a, 56,
		  "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_dtypes),
		cmocka_unit_test(test_faults),
		cmocka_unit_test(test_python_fixture),
		cmocka_unit_test(test_sha256),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
