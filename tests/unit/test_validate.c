/* test_validate.c - the client's checks before a request: names, labels,
 * images, quantities; and the shared rule functions the simulated server
 * builds its messages from. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube.h"

static void test_names(void **state)
{
	(void)state;
	struct perr e = { { 0 } };
	assert_int_equal(kube_validate_name(KUBE_NAME_DNS1123_SUBDOMAIN, "Deployment", "ai-model", &e), 0);
	assert_int_equal(kube_validate_name(KUBE_NAME_DNS1123_SUBDOMAIN, "Deployment", "a.b-c.d", &e), 0);
	assert_int_equal(kube_validate_name(KUBE_NAME_DNS1123_SUBDOMAIN, "Deployment", "ai_model", &e), -1);
	assert_string_equal(e.msg, "`ai_model` is not a valid Deployment name: it must be lower case letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters; use `ai-model`");
	perr_clear(&e);
	assert_int_equal(kube_validate_name(KUBE_NAME_DNS1035_LABEL, "Service", "1st.Model", &e), -1);
	assert_string_equal(e.msg, "`1st.Model` is not a valid Service name: it must be lower case letters, digits and '-', starting with a letter and ending with a letter or digit, at most 63 characters; use `svc-1st-model`");
	perr_clear(&e);
	assert_int_equal(kube_validate_name(KUBE_NAME_DNS1123_LABEL, "Namespace", "-Team_A-", &e), -1);
	assert_non_null(strstr(e.msg, "use `team-a`"));
	perr_clear(&e);
	assert_int_equal(kube_validate_name(KUBE_NAME_DNS1123_LABEL, "Namespace", "___", &e), -1);
	assert_null(strstr(e.msg, "use `"));
	perr_clear(&e);
	char longname[80];
	memset(longname, 'a', 70);
	longname[70] = '\0';
	assert_int_equal(kube_validate_name(KUBE_NAME_DNS1123_LABEL, "Namespace", longname, &e), -1);
	char *fix = kube_name_suggest(KUBE_NAME_DNS1123_LABEL, longname);
	assert_int_equal(strlen(fix), 63);
	free(fix);
	fix = kube_name_suggest(KUBE_NAME_DNS1123_SUBDOMAIN, "My..App_.v2");
	assert_string_equal(fix, "my.app.v2");
	free(fix);
	assert_int_equal(kube_name_rule_for_kind("Service"), KUBE_NAME_DNS1035_LABEL);
	assert_int_equal(kube_name_rule_for_kind("Namespace"), KUBE_NAME_DNS1123_LABEL);
	assert_int_equal(kube_name_rule_for_kind("Deployment"), KUBE_NAME_DNS1123_SUBDOMAIN);
}

/* The server's own words, as pkg/util/validation returns them. */
static void test_server_messages(void **state)
{
	(void)state;
	struct kube_verrs v;
	kube_check_name(KUBE_NAME_DNS1123_SUBDOMAIN, "ai_model", &v);
	assert_int_equal(v.n, 1);
	assert_string_equal(v.msg[0], "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
	char big[300];
	memset(big, 'A', 299);
	big[299] = '\0';
	kube_check_name(KUBE_NAME_DNS1123_SUBDOMAIN, big, &v);
	assert_int_equal(v.n, 2);
	assert_string_equal(v.msg[0], "must be no more than 253 characters");
	kube_check_name(KUBE_NAME_DNS1035_LABEL, "9abc", &v);
	assert_int_equal(v.n, 1);
	assert_non_null(strstr(v.msg[0], "a DNS-1035 label must consist"));
	kube_check_name(KUBE_NAME_DNS1035_LABEL, "abc-9", &v);
	assert_int_equal(v.n, 0);
	kube_check_name(KUBE_NAME_DNS1123_LABEL, "a.b", &v);
	assert_int_equal(v.n, 1);
	kube_check_qualified_name("example.com/MyName", &v);
	assert_int_equal(v.n, 0);
	kube_check_qualified_name("/x", &v);
	assert_int_equal(v.n, 1);
	assert_string_equal(v.msg[0], "prefix part must be non-empty");
	kube_check_qualified_name("Ex.com/x", &v);
	assert_int_equal(v.n, 1);
	assert_true(strncmp(v.msg[0], "prefix part a lowercase RFC 1123 subdomain", 42) == 0);
	kube_check_qualified_name("a/b/c", &v);
	assert_int_equal(v.n, 1);
	assert_true(strncmp(v.msg[0], "a qualified name must consist", 29) == 0);
	kube_check_label_value("", &v);
	assert_int_equal(v.n, 0);
	kube_check_label_value("-x", &v);
	assert_int_equal(v.n, 1);
}

static void test_labels(void **state)
{
	(void)state;
	struct perr e = { { 0 } };
	assert_int_equal(kube_validate_label("app.kubernetes.io/name", "web_1.x", &e), 0);
	assert_int_equal(kube_validate_label("app", "", &e), 0);
	assert_int_equal(kube_validate_label("my app", "x", &e), -1);
	assert_non_null(strstr(e.msg, "label key `my app` is not valid"));
	assert_non_null(strstr(e.msg, "use `my-app`"));
	perr_clear(&e);
	assert_int_equal(kube_validate_label("app", "hello world!", &e), -1);
	assert_string_equal(e.msg, "label value `hello world!` (key `app`) is not valid: empty, or at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit; use `hello-world`");
}

static void test_images(void **state)
{
	(void)state;
	struct perr e = { { 0 } };
	const char *good[] = {
		"nginx", "nginx:1.25", "library/nginx:latest",
		"registry.example.com:5000/team/model-server:v1.2_rc-3",
		"localhost/x", "localhost:5000/a__b/c-d--e",
		"ghcr.io/Org/x", /* the host may have capitals? no: see below */
		"busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		"python:3.11-slim@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		int rc = kube_validate_image(good[i], &e);
		if (i == 6) { /* "Org" is in the path: must be lowercase */
			assert_int_equal(rc, -1);
			assert_string_equal(e.msg, "image `ghcr.io/Org/x` is not a valid reference: repository name must be lowercase; use `ghcr.io/org/x`");
			perr_clear(&e);
			continue;
		}
		if (rc)
			fail_msg("%s: %s", good[i], e.msg);
	}
	const char *bad[] = { "", "nginx:", "nginx:-x", "a//b", "-a", "nginx@sha256:abc",
			      "exa_mple.com:5000/x", "a/b.", "host:port/x" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		perr_clear(&e);
		if (kube_validate_image(bad[i], &e) != -1)
			fail_msg("accepted %s", bad[i]);
		assert_true(perr_isset(&e));
	}
	perr_clear(&e);
	kube_validate_image("nginx@sha256:abc", &e);
	assert_string_equal(e.msg, "image `nginx@sha256:abc` is not a valid reference: the digest after '@' must be sha256: and 64 hex digits");
}

static void test_quantities(void **state)
{
	(void)state;
	struct perr e = { { 0 } };
	double v;
	assert_int_equal(kube_quantity_parse("100m", &v), 0);
	assert_true(v > 0.0999 && v < 0.1001);
	assert_int_equal(kube_quantity_parse("1.5Gi", &v), 0);
	assert_true(v == 1610612736.0);
	assert_int_equal(kube_quantity_parse("1e3", &v), 0);
	assert_true(v == 1000.0);
	assert_int_equal(kube_quantity_parse("128974848", &v), 0);
	assert_true(v == 128974848.0);
	assert_int_equal(kube_quantity_parse("-.5", &v), 0);
	assert_int_equal(kube_quantity_parse("5.", &v), 0);
	assert_int_equal(kube_quantity_parse("2E-2", &v), 0);
	assert_int_equal(kube_quantity_parse("", NULL), -1);
	assert_int_equal(kube_quantity_parse("Gi", NULL), -1);
	assert_int_equal(kube_quantity_parse("1 Gi", NULL), -1);
	assert_int_equal(kube_quantity_parse("1GB", NULL), -1);
	assert_int_equal(kube_quantity_parse("1Kb", NULL), -1);
	assert_int_equal(kube_quantity_parse("1mi", NULL), -2);
	assert_int_equal(kube_quantity_parse("1iK", NULL), -2);
	assert_int_equal(kube_validate_quantity("512Mi", &e), 0);
	assert_int_equal(kube_validate_quantity("512MB", &e), -1);
	assert_string_equal(e.msg, "`512MB` is not a valid quantity: unknown suffix `MB`; use `512M` (powers of 1000) or `512Mi` (powers of 1024)");
	perr_clear(&e);
	assert_int_equal(kube_validate_quantity("1gi", &e), -1);
	assert_non_null(strstr(e.msg, "use `1G` (powers of 1000) or `1Gi`"));
	perr_clear(&e);
	assert_int_equal(kube_validate_quantity("lots", &e), -1);
	assert_non_null(strstr(e.msg, "`lots` is not a valid quantity"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_server_messages),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_images),
		cmocka_unit_test(test_quantities),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
