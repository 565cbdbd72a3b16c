/* test_build.c - the build's ConfigMaps and Job: chunks under the object
 * limit that reassemble to the model, the builder's arguments for BuildKit
 * and kaniko, the push secret, and the size limit's message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube.h"

static struct kube_build_opts opts(void)
{
	struct kube_build_opts o = { .id = "fashion-x7k2p", .namespace = "models",
				     .image = "registry.local:5000/models/fashion:2",
				     .model_sha256 = "00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff" };
	return o;
}

static void test_chunks_reassemble(void **state)
{
	(void)state;
	size_t len = KUBE_BUILD_CHUNK * 2 + 12345;
	unsigned char *model = malloc(len);
	for (size_t i = 0; i < len; i++)
		model[i] = (unsigned char)(i * 7 + (i >> 11));
	struct kube_build_opts o = opts();
	int n = kube_build_chunks(len);
	assert_int_equal(n, 3);
	unsigned char *back = malloc(len);
	size_t got = 0;
	for (int i = 0; i < n; i++) {
		json_t *cm = kube_build_configmap(&o, i, model, len);
		char *dump = json_dumps(cm, JSON_COMPACT);
		assert_true(strlen(dump) < 1024 * 1024); /* the object limit */
		free(dump);
		char key[64];
		snprintf(key, sizeof key, "model.safetensors.%03d", i);
		const char *b64 = json_string_value(json_object_get(json_object_get(cm, "binaryData"), key));
		assert_non_null(b64);
		size_t dl;
		char *raw = kube_base64_decode(b64, strlen(b64), &dl);
		memcpy(back + got, raw, dl);
		got += dl;
		free(raw);
		json_t *df = json_object_get(json_object_get(cm, "data"), "Dockerfile");
		if (i == 0)
			assert_non_null(strstr(json_string_value(df), "FROM " KUBE_RUNTIME_IMAGE "\n"));
		else
			assert_null(df);
		json_decref(cm);
	}
	assert_int_equal(got, len);
	assert_memory_equal(back, model, len);
	free(back);
	free(model);
}

static const char *arg_with(json_t *args, const char *prefix)
{
	size_t i;
	json_t *a;
	json_array_foreach(args, i, a)
		if (strncmp(json_string_value(a), prefix, strlen(prefix)) == 0)
			return json_string_value(a);
	return NULL;
}

static void test_job(void **state)
{
	(void)state;
	struct kube_build_opts o = opts();
	json_t *j = kube_build_job(&o, KUBE_BUILD_CHUNK + 1);
	json_t *spec = json_object_get(json_object_get(json_object_get(j, "spec"), "template"), "spec");
	assert_string_equal(json_string_value(json_object_get(spec, "restartPolicy")), "Never");
	json_t *init = json_array_get(json_object_get(spec, "initContainers"), 0);
	const char *script = json_string_value(json_array_get(json_object_get(init, "command"), 2));
	assert_non_null(strstr(script, o.model_sha256));
	assert_non_null(strstr(script, "sha256sum -c"));
	json_t *vol = json_array_get(json_object_get(spec, "volumes"), 0);
	json_t *sources = json_object_get(json_object_get(vol, "projected"), "sources");
	assert_int_equal(json_array_size(sources), 2);
	json_t *b = json_array_get(json_object_get(spec, "containers"), 0);
	assert_non_null(strstr(json_string_value(json_object_get(b, "image")), "buildkit"));
	assert_string_equal(arg_with(json_object_get(b, "args"), "type=image"),
			    "type=image,name=registry.local:5000/models/fashion:2,push=true");
	assert_int_equal(json_array_size(json_object_get(spec, "volumes")), 2); /* no secret */
	json_decref(j);

	o.builder = "kaniko";
	o.push_secret = "regcred";
	j = kube_build_job(&o, 10);
	spec = json_object_get(json_object_get(json_object_get(j, "spec"), "template"), "spec");
	b = json_array_get(json_object_get(spec, "containers"), 0);
	assert_string_equal(arg_with(json_object_get(b, "args"), "--destination="),
			    "--destination=registry.local:5000/models/fashion:2");
	json_t *sec = json_array_get(json_object_get(spec, "volumes"), 2);
	assert_string_equal(json_string_value(json_object_get(json_object_get(sec, "secret"), "secretName")), "regcred");
	json_t *mount = json_array_get(json_object_get(b, "volumeMounts"), 1);
	assert_string_equal(json_string_value(json_object_get(mount, "mountPath")), "/kaniko/.docker");
	json_decref(j);
}

static void test_validation(void **state)
{
	(void)state;
	struct kube_build_opts o = opts();
	struct perr e = { { 0 } };
	assert_int_equal(kube_build_validate(&o, 1000, &e), 0);
	assert_int_equal(kube_build_validate(&o, KUBE_BUILD_MAX_MODEL + 1, &e), -1);
	assert_non_null(strstr(e.msg, "ConfigMap transport carries at most"));
	perr_clear(&e);
	o.builder = "docker";
	assert_int_equal(kube_build_validate(&o, 10, &e), -1);
	assert_non_null(strstr(e.msg, "--builder must be buildkit or kaniko"));
	perr_clear(&e);
	o = opts();
	o.image = "UPPER/case";
	assert_int_equal(kube_build_validate(&o, 10, &e), -1);
	perr_clear(&e);
	o = opts();
	o.push_secret = "bad_secret";
	assert_int_equal(kube_build_validate(&o, 10, &e), -1);
	assert_non_null(strstr(e.msg, "bad-secret"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chunks_reassemble),
		cmocka_unit_test(test_job),
		cmocka_unit_test(test_validation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
