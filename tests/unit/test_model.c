/* test_model.c - model files: save and load round trip, metadata, the
 * PyTorch mapping (layer i's tensors are "<i>.weight"/"<i>.bias"), and
 * every refusal: missing, extra and misshapen tensors, bad metadata. */
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

/* A small network so the tests are fast: [1,6,6] → conv(2,3x3) → relu →
 * pool 2 → flatten → dense(3) → softmax. */
static const char *small_arch =
	"{\"input_shape\":[1,6,6],\"layers\":["
	"{\"type\":\"conv2d\",\"name\":\"c\",\"filters\":2,\"kernel\":[3,3]},"
	"{\"type\":\"relu\"},{\"type\":\"maxpool2d\",\"pool\":[2,2]},"
	"{\"type\":\"flatten\"},{\"type\":\"dense\",\"name\":\"d\",\"units\":3},"
	"{\"type\":\"softmax\"}]}";

static char path[] = "/tmp/podium-model-XXXXXX";

static struct model *small_model(void)
{
	struct net_arch a;
	struct perr e = { { 0 } };
	if (model_arch_parse(small_arch, &a, &e) < 0)
		fail_msg("%s", e.msg);
	const char *names[] = { "cat", "dog", "bird" };
	struct model *m = model_new(&a, 4, 42, names, 3,
				    (struct net_scaling){ 0.5f, -1.0f }, &e);
	assert_non_null(m);
	return m;
}

static void probs_of(struct model *m, float *p)
{
	unsigned char img[36];
	for (int i = 0; i < 36; i++)
		img[i] = (unsigned char)(i * 7);
	struct perr e = { { 0 } };
	assert_int_equal(net_predict(m->net, img, 1, m->scaling, p, NULL, NULL, &e), 0);
}

static void test_round_trip(void **state)
{
	(void)state;
	struct model *m = small_model();
	struct perr e = { { 0 } };
	model_set_meta(m, "note", "kept");
	assert_int_equal(model_save(m, path, &e), 0);
	char *raw = NULL;
	size_t len = 0;
	assert_int_equal(read_file(path, 1 << 20, &raw, &len, &e), 0);
	char hex[65];
	sha256_hex(raw, len, hex);
	assert_string_equal(m->sha256, hex);
	free(raw);

	struct model *b = NULL;
	if (model_load(path, NULL, &b, &e) < 0)
		fail_msg("%s", e.msg);
	assert_false(b->from_pytorch);
	assert_string_equal(b->sha256, hex);
	assert_int_equal(b->arch.in_h, 6);
	assert_int_equal(b->nclass, 3);
	assert_string_equal(b->classes[2], "bird");
	assert_true(b->scaling.scale == 0.5f && b->scaling.shift == -1.0f);
	int found = 0;
	for (int i = 0; i < b->nmeta; i++)
		found |= strcmp(b->meta[i].key, "note") == 0 &&
			 strcmp(b->meta[i].value, "kept") == 0;
	assert_true(found);
	float pa[3], pb[3];
	probs_of(m, pa);
	probs_of(b, pb);
	assert_memory_equal(pa, pb, sizeof pa);
	model_free(b);
	model_free(m);
	model_free(NULL);
}

/* Write the small model's tensors under other names, no metadata. */
static void save_renamed(struct model *m, const char *const *names, int n,
			 int bad_shape)
{
	struct safetensors st = { 0 };
	for (int i = 0; i < net_n_params(m->net) && i < n; i++) {
		struct net_param p;
		net_param(m->net, i, &p);
		long long shp[4];
		for (int d = 0; d < p.ndim; d++)
			shp[d] = p.shape[d];
		if (bad_shape && i == 2) {
			shp[0] = (long long)p.count; /* [3,8] → [24] */
			safetensors_add(&st, names[i], 1, shp, p.data);
			continue;
		}
		safetensors_add(&st, names[i], p.ndim, shp, p.data);
	}
	for (int i = net_n_params(m->net); i < n; i++)
		safetensors_add(&st, names[i], 1, (long long[]){ 1 }, (float[]){ 0 });
	struct perr e = { { 0 } };
	assert_int_equal(safetensors_save(path, &st, &e), 0);
	safetensors_free(&st);
}

static void test_pytorch_mapping(void **state)
{
	(void)state;
	struct model *m = small_model();
	/* nn.Sequential numbers every module: conv 0, dense 4. */
	const char *torch_names[] = { "0.weight", "0.bias", "4.weight", "4.bias" };
	save_renamed(m, torch_names, 4, 0);
	struct model_load_opts o = { .arch_json = small_arch };
	struct model *b = NULL;
	struct perr e = { { 0 } };
	if (model_load(path, &o, &b, &e) < 0)
		fail_msg("%s", e.msg);
	assert_true(b->from_pytorch);
	assert_string_equal(b->classes[1], "1"); /* no names: the numbers */
	assert_true(b->scaling.scale == 1.0f / 255.0f);
	b->scaling = m->scaling;
	float pa[3], pb[3];
	probs_of(m, pa);
	probs_of(b, pb);
	assert_memory_equal(pa, pb, sizeof pa);
	model_free(b);
	b = NULL;

	/* The reference architecture is the default: shapes do not fit. */
	perr_clear(&e);
	assert_int_equal(model_load(path, NULL, &b, &e), -1);
	assert_non_null(strstr(e.msg, "tensor '0.weight' has shape [2,1,3,3]; the "
				      "architecture needs [32,1,3,3]"));
	perr_clear(&e);
	o = (struct model_load_opts){ .arch_name = "resnet" };
	assert_int_equal(model_load(path, &o, &b, &e), -1);
	assert_string_equal(e.msg, "unknown architecture 'resnet' (known: keras-mnist)");

	/* Missing, extra and misshapen tensors. */
	o = (struct model_load_opts){ .arch_json = small_arch };
	const char *missing[] = { "0.weight", "0.bias", "4.weight" };
	save_renamed(m, missing, 3, 0);
	perr_clear(&e);
	assert_int_equal(model_load(path, &o, &b, &e), -1);
	assert_non_null(strstr(e.msg, "tensor '4.bias' (layer 4, dense) is missing"));
	const char *extra[] = { "0.weight", "0.bias", "4.weight", "4.bias", "9.weight" };
	save_renamed(m, extra, 5, 0);
	perr_clear(&e);
	assert_int_equal(model_load(path, &o, &b, &e), -1);
	assert_non_null(strstr(e.msg, "tensor '9.weight' belongs to no layer"));
	save_renamed(m, torch_names, 4, 1);
	perr_clear(&e);
	assert_int_equal(model_load(path, &o, &b, &e), -1);
	assert_non_null(strstr(e.msg, "tensor '4.weight' has shape [24]; the "
				      "architecture needs [3,8]"));
	assert_null(b);
	model_free(m);
}

/* A saved model with one metadata entry changed. */
static void expect_meta_fault(const char *key, const char *value, const char *want)
{
	struct model *m = small_model();
	struct perr e = { { 0 } };
	assert_int_equal(model_save(m, path, &e), 0);
	struct safetensors st = { 0 };
	assert_int_equal(safetensors_load(path, &st, &e), 0);
	safetensors_set_meta(&st, key, value);
	assert_int_equal(safetensors_save(path, &st, &e), 0);
	safetensors_free(&st);
	struct model *b = NULL;
	assert_int_equal(model_load(path, NULL, &b, &e), -1);
	if (!strstr(e.msg, want))
		fail_msg("for %s=%s: '%s' lacks '%s'", key, value, e.msg, want);
	model_free(m);
}

static void test_metadata_faults(void **state)
{
	(void)state;
	expect_meta_fault("podium.format", "2", "model format version 2");
	expect_meta_fault("podium.classes", "[\"a\",\"b\"]",
			  "podium.classes must be a list of 3 names");
	expect_meta_fault("podium.input_scale", "{\"divide\":0}",
			  "divide must be positive");
	expect_meta_fault("podium.input_scale", "{\"times\":2}",
			  "must be {\"divide\":D}");
	expect_meta_fault("podium.input_shape", "[1,28]", "input shape must be [C,H,W]");
	expect_meta_fault("podium.architecture", "[{\"type\":\"conv3d\"}]",
			  "architecture");
}

static void test_scaling_json(void **state)
{
	(void)state;
	char *s = model_scaling_to_json((struct net_scaling){ 1.0f / 255.0f, 0 });
	assert_string_equal(s, "{\"divide\":255}");
	free(s);
	s = model_scaling_to_json((struct net_scaling){ 0.3f, 0.5f });
	struct net_scaling back;
	struct perr e = { { 0 } };
	assert_int_equal(model_scaling_from_json(s, &back, &e), 0);
	assert_true(back.scale == 0.3f && back.shift == 0.5f);
	free(s);
}

static int setup(void **state)
{
	(void)state;
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_pytorch_mapping),
		cmocka_unit_test(test_metadata_faults),
		cmocka_unit_test(test_scaling_json),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
