/* test_infer_req.c - the model server's request parser and replies: every
 * accepted layout gives the same NCHW floats; every bad request gets the
 * message that names its problem. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* cmocka needs the four above first */
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

static const struct infer_spec mnist = {1, 28, 28, 1.0f / 255, 0, 4};

/* Pixel i of image n as a UINT8 value. */
static int pix(int n, int i)
{
	return (i * 7 + n * 31) % 256;
}

/* Append n images' pixels as JSON numbers, flat, or nested as dims (the
 * per-image dims: 3 of them for [C,H,W]/[H,W,C], 2 for [H,W]). */
static void put_images(struct dbuf *b, int n, int nested, int u8)
{
	if (nested)
		dbuf_puts(b, "[");
	for (int k = 0; k < n; k++) {
		if (nested)
			dbuf_puts(b, k ? ",[" : "[");
		for (int i = 0; i < 784; i++) {
			const char *pre = i ? "," : "";
			if (nested && i % 28 == 0)
				pre = i ? "],[" : "[";
			else if (!nested && (i || k))
				pre = ",";
			else if (!nested)
				pre = "";
			if (u8)
				dbuf_printf(b, "%s%d", pre, pix(k, i));
			else
				dbuf_printf(b, "%s%.9g", pre,
					    (double)((float)pix(k, i) / 255));
		}
		if (nested)
			dbuf_puts(b, "]]");
	}
	if (nested)
		dbuf_puts(b, "]");
}

static char *v2_body(const char *shape, const char *dt, int n, int nested,
		     int u8)
{
	struct dbuf b;
	dbuf_init(&b, 0);
	dbuf_printf(&b,
		    "{\"id\":\"req-1\",\"inputs\":[{\"name\":\"input\","
		    "\"shape\":%s,"
		    "\"datatype\":\"%s\",\"data\":",
		    shape, dt);
	if (!nested)
		dbuf_puts(&b, "[");
	put_images(&b, n, nested, u8);
	if (!nested)
		dbuf_puts(&b, "]");
	dbuf_puts(&b, "}]}");
	return dbuf_take(&b);
}

static void check_images(const struct infer_req *r, int n)
{
	assert_int_equal(r->n, n);
	for (int k = 0; k < n; k++)
		for (int i = 0; i < 784; i++)
			assert_true(r->x[k * 784 + i] ==
					    (float)pix(k, i) / 255 ||
				    fabsf(r->x[k * 784 + i] -
					  (float)pix(k, i) / 255) < 1e-7f);
}

static void test_v2_layouts_agree(void **state)
{
	(void)state;
	static const struct {
		const char *shape;
		int nested; /* 1: nested data spelled as the shape */
	} cases[] = {
		{"[2,784]", 0},	  {"[2,1,28,28]", 0}, {"[2,28,28,1]", 0},
		{"[2,28,28]", 0}, {"[2,28,28]", 1},
	};
	for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
		for (int u8 = 0; u8 < 2; u8++) {
			struct infer_req r;
			struct perr e = {{0}};
			char *body =
				v2_body(cases[c].shape, u8 ? "UINT8" : "FP32",
					2, cases[c].nested, u8);
			int rc = infer_req_parse_v2(&mnist, body, strlen(body),
						    &r, &e);
			if (rc != 0)
				fail_msg("%s u8=%d: %s", cases[c].shape, u8,
					 e.msg);
			check_images(&r, 2);
			assert_string_equal(r.id, "req-1");
			assert_int_equal(r.outputs,
					 INFER_OUT_PROBS | INFER_OUT_LABEL);
			infer_req_free(&r);
			free(body);
		}
	}
}

/* [1,28,28,1] nested as such, and [1,1,28,28] nested. */
static void test_v2_nested_4d(void **state)
{
	(void)state;
	struct dbuf b;
	struct infer_req r;
	struct perr e = {{0}};
	dbuf_init(&b, 0);
	dbuf_puts(&b, "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"UINT8\","
		      "\"data\":[[");
	for (int y = 0; y < 28; y++) {
		dbuf_puts(&b, y ? ",[" : "[");
		for (int x = 0; x < 28; x++)
			dbuf_printf(&b, "%s[%d]", x ? "," : "",
				    pix(0, y * 28 + x));
		dbuf_puts(&b, "]");
	}
	dbuf_puts(&b, "]],\"shape\":[1,28,28,1]}]}");
	assert_int_equal(infer_req_parse_v2(&mnist, b.p, b.len, &r, &e), 0);
	check_images(&r, 1);
	assert_null(r.id);
	infer_req_free(&r);
	dbuf_free(&b);

	char *body = v2_body("[1,1,28,28]", "UINT8", 1, 1, 1);
	/* v2_body nests [N,28,28]; wrap each image once more for [N,1,28,28] */
	char *p = strstr(body, "\"data\":[[") + 8;
	struct dbuf w;
	dbuf_init(&w, 0);
	dbuf_append(&w, body, (size_t)(p - body));
	dbuf_puts(&w, "[");
	dbuf_append(&w, p, strlen(p) - 3);
	dbuf_puts(&w, "]}]}");
	memset(&e, 0, sizeof e);
	assert_int_equal(infer_req_parse_v2(&mnist, w.p, w.len, &r, &e), 0);
	check_images(&r, 1);
	infer_req_free(&r);
	dbuf_free(&w);
	free(body);
}

/* A 3-channel model: [N,H,W,C] is transposed to [N,C,H,W]. */
static void test_v2_nhwc_transpose(void **state)
{
	(void)state;
	const struct infer_spec rgb = {3, 2, 2, 1, 0, 8};
	const char *nhwc = "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\","
			   "\"shape\":[1,2,2,3],"
			   "\"data\":[0,10,20, 1,11,21, 2,12,22, 3,13,23]}]}";
	struct infer_req r;
	struct perr e = {{0}};
	assert_int_equal(infer_req_parse_v2(&rgb, nhwc, strlen(nhwc), &r, &e),
			 0);
	static const float want[] = {0,	 1,  2,	 3,  10, 11,
				     12, 13, 20, 21, 22, 23};
	assert_int_equal(r.n, 1);
	assert_memory_equal(r.x, want, sizeof want);
	infer_req_free(&r);
	/* [N,H,W] is only for one channel */
	const char *nhw = "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\","
			  "\"shape\":[1,2,2],"
			  "\"data\":[0,1,2,3]}]}";
	assert_int_equal(infer_req_parse_v2(&rgb, nhw, strlen(nhw), &r, &e),
			 -1);
	assert_non_null(
		strstr(e.msg, "does not fit the model's input [3,2,2]"));
}

static void test_v1_layouts_agree(void **state)
{
	(void)state;
	const char *forms[] = {"flat", "hw", "chw", "hwc"};
	for (int f = 0; f < 4; f++) {
		struct dbuf b;
		struct infer_req r;
		struct perr e = {{0}};
		dbuf_init(&b, 0);
		dbuf_puts(&b, "{\"signature_name\":\"serving_default\","
			      "\"instances\":[");
		for (int k = 0; k < 3; k++) {
			dbuf_puts(&b, k ? "," : "");
			if (f == 2)
				dbuf_puts(&b, "[");
			dbuf_puts(&b, "[");
			for (int i = 0; i < 784; i++) {
				const char *pre = i ? "," : "";
				if (f > 0 && i % 28 == 0)
					pre = i ? "],[" : "[";
				dbuf_puts(&b, pre);
				if (f == 3)
					dbuf_puts(&b, "[");
				dbuf_printf(&b, "%.9g",
					    (double)((float)pix(k, i) / 255));
				if (f == 3)
					dbuf_puts(&b, "]");
			}
			dbuf_puts(&b, f > 0 ? "]]" : "]");
			if (f == 2)
				dbuf_puts(&b, "]");
		}
		dbuf_puts(&b, "]}");
		int rc = infer_req_parse_v1(&mnist, b.p, b.len, &r, &e);
		if (rc)
			fail_msg("%s: %s", forms[f], e.msg);
		check_images(&r, 3);
		assert_int_equal(r.outputs, INFER_OUT_PROBS);
		infer_req_free(&r);
		dbuf_free(&b);
	}
}

/* Numbers: the parser reads back what %.9g wrote, bit for bit, and the
 * JSON number forms. */
static void test_numbers(void **state)
{
	(void)state;
	const struct infer_spec one = {1, 1, 1, 1, 0, 1};
	uint32_t seed = 12345;
	for (int i = 0; i < 20000; i++) {
		seed = seed * 1103515245u + 12345u;
		float f;
		uint32_t bits = seed;
		memcpy(&f, &bits, sizeof f);
		if (!isfinite(f))
			continue;
		char body[128];
		snprintf(body, sizeof body,
			 "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\","
			 "\"shape\":[1,1],\"data\":[%.9g]}]}",
			 (double)f);
		struct infer_req r;
		struct perr e = {{0}};
		assert_int_equal(
			infer_req_parse_v2(&one, body, strlen(body), &r, &e),
			0);
		if (memcmp(r.x, &f, sizeof f) != 0)
			fail_msg("%.9g read back as %.9g", (double)f,
				 (double)r.x[0]);
		infer_req_free(&r);
	}
	static const struct {
		const char *text;
		float want;
	} forms[] = {
		{"0", 0},
		{"-0", -0.0f},
		{"1e2", 100},
		{"1E+2", 100},
		{"2.5e-1", 0.25f},
		{"-12.75", -12.75f},
		{"123456789012345678901234", 1.23456789e23f},
		{"0.000000000000000000000000000001", 1e-30f},
		{"1e-50", 0},
		{"3.4028234e38", 3.4028234e38f},
	};
	for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
		char body[200];
		snprintf(body, sizeof body,
			 "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\","
			 "\"shape\":[1,1],\"data\":[%s]}]}",
			 forms[i].text);
		struct infer_req r;
		struct perr e = {{0}};
		if (infer_req_parse_v2(&one, body, strlen(body), &r, &e))
			fail_msg("%s: %s", forms[i].text, e.msg);
		if (r.x[0] != forms[i].want)
			fail_msg("%s read as %.9g", forms[i].text,
				 (double)r.x[0]);
		infer_req_free(&r);
	}
}

/* Bad bodies and the words their message must hold. */
static void test_bad_requests(void **state)
{
	(void)state;
	const struct infer_spec tiny = {1, 2, 2, 1.0f / 255, 0, 2};
	static const struct {
		const char *body;
		const char *msg;
	} bad[] = {
		{"", "empty body"},
		{"not json", "not JSON"},
		{"[1,2]", "not JSON: body must be an object"},
		{"{\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":"
		 "\"FP32\",\"data\":[1,2,3,4]}]",
		 "not JSON"},
		{"{\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":"
		 "\"FP32\",\"data\":[1,2,3,4]}]} x",
		 "trailing characters"},
		{"{\"id\":\"a\"}", "no \"inputs\""},
		{"{\"inputs\":[]}", "\"inputs\" is empty"},
		{"{\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"data\":[1,2,3,"
		 "4]}]}",
		 "no \"datatype\""},
		{"{\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":"
		 "\"INT32\",\"data\":[1,2,3,4]}]}",
		 "datatype \"INT32\" is not supported: use FP32 or UINT8"},
		{"{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"data\":["
		 "1,2,3,4]}]}",
		 "no \"shape\""},
		{"{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":"
		 "[1,4]}]}",
		 "no \"data\""},
		{"{\"inputs\":[{\"name\":\"x\",\"shape\":[1,5],\"datatype\":"
		 "\"FP32\",\"data\":[1,2,3,4,5]}]}",
		 "shape [1,5] does not fit the model's input [1,2,2]: use "
		 "[N,1,2,2], [N,2,2,1], [N,2,2] or [N,4]"},
		{"{\"inputs\":[{\"name\":\"x\",\"shape\":[3,4],\"datatype\":"
		 "\"FP32\",\"data\":[1,2,3,4,5,6,7,8,9,10,11,12]}]}",
		 "over --max-batch 2"},
		{"{\"inputs\":[{\"name\":\"x\",\"shape\":[3,4],\"datatype\":"
		 "\"FP32\",\"data\":[1,2,3,4,5,6,7,8]}]}",
		 "batch of 3 images is over --max-batch 2"},
		{"{\"inputs\":[{\"name\":\"x\",\"shape\":[0,4],\"datatype\":"
		 "\"FP32\",\"data\":[]}]}",
		 "has no images"},
		{"{\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":"
		 "\"FP32\",\"data\":[1,2,3]}]}",
		 "data has 3 values but shape [1,4] needs 4"},
		{"{\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":"
		 "\"FP32\",\"data\":[1,NaN,3,4]}]}",
		 "NaN at element 1"},
		{"{\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":"
		 "\"FP32\",\"data\":[1,2,-Infinity,4]}]}",
		 "-Infinity at element 2"},
		{"{\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":"
		 "\"FP32\",\"data\":[1,2,3,1e39]}]}",
		 "out of FP32 range"},
		{"{\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":"
		 "\"UINT8\",\"data\":[1,2,256,4]}]}",
		 "UINT8 data must be integers 0..255: element 2 is 256"},
		{"{\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":"
		 "\"UINT8\",\"data\":[1,2.5,3,4]}]}",
		 "element 1 is 2.5"},
		{"{\"inputs\":[{\"name\":\"x\",\"shape\":[1,2,2],\"datatype\":"
		 "\"FP32\",\"data\":[[1,2],[3]]}]}",
		 "ragged"},
		{"{\"inputs\":[{\"name\":\"x\",\"shape\":[1,2,2],\"datatype\":"
		 "\"FP32\",\"data\":[[1,2],3]}]}",
		 "mixes numbers and arrays"},
		{"{\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":"
		 "\"FP32\",\"data\":[[1,2],[3,4]]}]}",
		 "data nested as [2,2] does not match shape [1,4]"},
		{"{\"inputs\":[{\"name\":\"x\",\"shape\":[1,2,2],\"datatype\":"
		 "\"FP32\",\"data\":[[[1,2,3,4]]]}]}",
		 "data nested as [1,1,4] does not match shape [1,2,2]"},
		{"{\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":"
		 "\"FP32\",\"data\":[1,2,3,4,5,6,7,8,9]}]}",
		 "data holds more than 8 values: a batch over --max-batch 2"},
		{"{\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":"
		 "\"FP32\",\"data\":[1,\"a\",3,4]}]}",
		 "element 1 is not one"},
		{"{\"inputs\":[{\"name\":\"x\",\"shape\":[1,-4],\"datatype\":"
		 "\"FP32\",\"data\":[1]}]}",
		 "non-negative integers"},
		{"{\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":"
		 "\"FP32\",\"data\":[1,2,3,4]},{\"name\":\"y\"}]}",
		 "takes 1 input"},
		{"{\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":"
		 "\"FP32\",\"data\":[1,2,3,4],\"data\":[1,2,3,4]}]}",
		 "\"data\" twice"},
		{"{\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":"
		 "\"FP32\",\"data\":[1,2,3,4]}],\"outputs\":[{\"name\":"
		 "\"logits\"}]}",
		 "unknown output \"logits\""},
		{"{\"id\":7,\"inputs\":[]}", "\"id\" must be a string"},
		{"{\"id\":\"\\u0000\",\"inputs\":[]}", "NUL"},
		{"{\"id\":\"\xff\",\"inputs\":[]}", "invalid UTF-8"},
		{"{\"id\":\"\\ud800\",\"inputs\":[]}", "unpaired surrogate"},
		{"{\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":"
		 "\"FP32\",\"data\":[1,2,3,4]}],\"parameters\":{\"a\":[[[[[[[[["
		 "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
		 "[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
		 "]]]]]]]]]]]]]]}}",
		 "nested deeper"},
		{"{\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":"
		 "\"FP32\",\"data\":[1,2,3,01]}]}",
		 "not JSON"},
		{"{\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":"
		 "\"FP32\",\"data\":[1,2,3,1.]}]}",
		 "bad number"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct infer_req r;
		struct perr e = {{0}};
		int rc = infer_req_parse_v2(&tiny, bad[i].body,
					    strlen(bad[i].body), &r, &e);
		if (rc != -1 || !strstr(e.msg, bad[i].msg))
			fail_msg("case %zu: rc %d, message \"%s\", wanted "
				 "\"%s\"",
				 i, rc, e.msg, bad[i].msg);
		assert_null(r.x);
	}
	static const struct {
		const char *body;
		const char *msg;
	} bad1[] = {
		{"{}", "no \"instances\""},
		{"{\"instances\":[]}", "\"instances\" is empty"},
		{"{\"instances\":[1,2,3,4]}", "each instance must be an array"},
		{"{\"instances\":{\"a\":1}}", "must be an array of images"},
		{"{\"instances\":[[1,2,3]]}",
		 "instance shape [3] does not fit the model's input [1,2,2]: "
		 "use [1,2,2], [2,2,1], [2,2] or [4]"},
		{"{\"instances\":[[1,2,3,4],[1,2,3,4],[1,2,3,4]]}",
		 "data holds more than 8 values: a batch over --max-batch 2"},
		{"{\"instances\":[[1,2,3,4],[1,2,3]]}", "ragged"},
		{"{\"instances\":[[1,2,3,Infinity]]}", "Infinity at element 3"},
		{"{\"instances\":[[1,2,3,4]],\"instances\":[[1,2,3,4]]}",
		 "twice"},
	};
	for (size_t i = 0; i < sizeof bad1 / sizeof *bad1; i++) {
		struct infer_req r;
		struct perr e = {{0}};
		int rc = infer_req_parse_v1(&tiny, bad1[i].body,
					    strlen(bad1[i].body), &r, &e);
		if (rc != -1 || !strstr(e.msg, bad1[i].msg))
			fail_msg("v1 case %zu: rc %d, message \"%s\", wanted "
				 "\"%s\"",
				 i, rc, e.msg, bad1[i].msg);
	}
}

/* Unknown keys are skipped; requested outputs are honoured. */
static void test_v2_extras(void **state)
{
	(void)state;
	const struct infer_spec tiny = {1, 2, 2, 1.0f / 255, 0, 2};
	const char *body = " {\"model\":\"m\",\"parameters\":{\"x\":[true,"
			   "false,null,\"s\\n\\u00e9\",1.5e3]},"
			   "\"inputs\":[{\"parameters\":{},\"data\":[0,255,51,"
			   "102],\"datatype\":\"UINT8\","
			   "\"name\":\"in\\u00e9\",\"shape\":[1,4]}],"
			   "\"outputs\":[{\"name\":\"label\"}],"
			   "\"id\":\"a\\\"b\\u00e9\"}\n";
	struct infer_req r;
	struct perr e = {{0}};
	assert_int_equal(infer_req_parse_v2(&tiny, body, strlen(body), &r, &e),
			 0);
	assert_int_equal(r.outputs, INFER_OUT_LABEL);
	assert_string_equal(r.id, "a\"b\xc3\xa9");
	assert_true(r.x[0] == 0 && fabsf(r.x[1] - 1) < 1e-6f &&
		    fabsf(r.x[2] - 0.2f) < 1e-6f &&
		    fabsf(r.x[3] - 0.4f) < 1e-6f);
	infer_req_free(&r);
	infer_req_free(NULL);
}

/* The run of small integers (no spaces) is read as the general path reads
 * the same values with a space after each comma: same floats, same
 * refusals with the same messages. */
static void test_integer_runs(void **state)
{
	(void)state;
	const struct infer_spec sp = {1, 2, 3, 1, 0, 2};
	static const char *const data[] = {
		"0,0,12,255,7,1",     "0,01,2,3,4,5",	 "1,2.5,3,1e2,4,5",
		"1,256,3,99999,4,5",  "1,100000,3,4,5,6", "1,-1,3,4,5,6",
		"1,2,3,4,5,6,7",      "1,2,3,4,5",	 "1,2,3,4,5,",
		"1,2,3,4,5,6e",	      "9,8,7,6,5,0.5",	 "1,2,3,4,5,00",
	};
	static const char *const types[] = {"UINT8", "FP32"};
	for (size_t t = 0; t < 2; t++)
		for (size_t i = 0; i < sizeof data / sizeof *data; i++) {
			char *spaced = xmalloc(2 * strlen(data[i]) + 1), *o = spaced;
			for (const char *c = data[i]; *c; c++) {
				*o++ = *c;
				if (*c == ',')
					*o++ = ' ';
			}
			*o = '\0';
			char *a = xasprintf("{\"inputs\":[{\"name\":\"x\",\"shape\":"
					    "[1,6],\"datatype\":\"%s\",\"data\":[%s]}]}",
					    types[t], data[i]);
			char *b = xasprintf("{\"inputs\":[{\"name\":\"x\",\"shape\":"
					    "[1,6],\"datatype\":\"%s\",\"data\":[%s]}]}",
					    types[t], spaced);
			struct infer_req ra, rb;
			struct perr ea = {{0}}, eb = {{0}};
			int rca = infer_req_parse_v2(&sp, a, strlen(a), &ra, &ea);
			int rcb = infer_req_parse_v2(&sp, b, strlen(b), &rb, &eb);
			if (rca != rcb)
				fail_msg("%s %s: %d, spaced %d", types[t], data[i], rca,
					 rcb);
			if (rca == 0) {
				assert_int_equal(ra.n, 1);
				assert_memory_equal(ra.x, rb.x, 6 * sizeof *ra.x);
			} else if (strncmp(ea.msg, "not JSON", 8) != 0 &&
				   strcmp(ea.msg, eb.msg) != 0) {
				/* syntax messages give byte offsets, which
				 * the spaces move */
				fail_msg("%s: \"%s\" vs \"%s\"", data[i], ea.msg,
					 eb.msg);
			}
			infer_req_free(&ra);
			infer_req_free(&rb);
			free(a);
			free(b);
			free(spaced);
		}
	/* and a value past 255 is named by its element in a UINT8 run */
	const char *body = "{\"inputs\":[{\"name\":\"x\",\"shape\":[1,6],"
			   "\"datatype\":\"UINT8\",\"data\":[0,0,0,0,300,0]}]}";
	struct infer_req r;
	struct perr e = {{0}};
	assert_int_equal(infer_req_parse_v2(&sp, body, strlen(body), &r, &e), -1);
	assert_string_equal(e.msg,
			    "UINT8 data must be integers 0..255: element 4 is 300");
}

static void test_replies(void **state)
{
	(void)state;
	struct infer_req r = {2, NULL, xstrdup("id\"1\n"),
			      INFER_OUT_PROBS | INFER_OUT_LABEL};
	const float probs[] = {0.1f, 0.7f, 0.2f, 0.6f, 0.3f, 0.1f};
	char *s = infer_req_v2_reply(&r, probs, 3, "mnist", "1");
	json_error_t je;
	json_t *j = json_loads(s, 0, &je);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "model_name")),
			    "mnist");
	assert_string_equal(
		json_string_value(json_object_get(j, "model_version")), "1");
	assert_string_equal(json_string_value(json_object_get(j, "id")),
			    "id\"1\n");
	json_t *outs = json_object_get(j, "outputs");
	assert_int_equal(json_array_size(outs), 2);
	json_t *p = json_array_get(outs, 0), *l = json_array_get(outs, 1);
	assert_string_equal(json_string_value(json_object_get(p, "name")),
			    "probabilities");
	assert_string_equal(json_string_value(json_object_get(p, "datatype")),
			    "FP32");
	assert_int_equal(json_integer_value(json_array_get(
				 json_object_get(p, "shape"), 0)),
			 2);
	assert_int_equal(json_integer_value(json_array_get(
				 json_object_get(p, "shape"), 1)),
			 3);
	for (int i = 0; i < 6; i++)
		assert_true((float)json_number_value(json_array_get(
				    json_object_get(p, "data"), (size_t)i)) ==
			    probs[i]);
	assert_string_equal(json_string_value(json_object_get(l, "datatype")),
			    "INT64");
	assert_int_equal(json_integer_value(
				 json_array_get(json_object_get(l, "data"), 0)),
			 1);
	assert_int_equal(json_integer_value(
				 json_array_get(json_object_get(l, "data"), 1)),
			 0);
	json_decref(j);
	free(s);

	r.outputs = INFER_OUT_LABEL;
	s = infer_req_v2_reply(&r, probs, 3, "m", "1");
	assert_non_null(strstr(s, "\"outputs\":[{\"name\":\"label\""));
	assert_null(strstr(s, "probabilities"));
	free(s);

	s = infer_req_v1_reply(&r, probs, 3);
	j = json_loads(s, 0, &je);
	assert_non_null(j);
	json_t *pr = json_object_get(j, "predictions");
	assert_int_equal(json_array_size(pr), 2);
	assert_true((float)json_number_value(
			    json_array_get(json_array_get(pr, 1), 0)) == 0.6f);
	json_decref(j);
	free(s);
	free(r.id);

	s = infer_req_error_json("bad \"x\"\x01");
	assert_string_equal(s, "{\"error\":\"bad \\\"x\\\"\\u0001\"}");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v2_layouts_agree),
		cmocka_unit_test(test_v2_nested_4d),
		cmocka_unit_test(test_v2_nhwc_transpose),
		cmocka_unit_test(test_v1_layouts_agree),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_integer_runs),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_v2_extras),
		cmocka_unit_test(test_replies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
