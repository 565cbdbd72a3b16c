/* test_apierror.c - every Status fixture recorded from kube-apiserver 1.20
 * through the decoder, into the lines kubectl prints. */
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

#include "kube/kube.h"

static char data_dir[1024];

static char *fixture(const char *name, size_t *len)
{
	char path[1200], *s;
	snprintf(path, sizeof path, "%s/fixtures/%s", data_dir, name);
	assert_int_equal(read_file(path, 1 << 20, &s, len, NULL), 0);
	return s;
}

static const struct {
	const char *file;
	int code;
	const char *reason;
	const char *line; /* kube_apierror_format, one line */
} cases[] = {
	{ "status-400-bad-labelselector.json", 400, "BadRequest",
	  "Error from server (BadRequest): unable to parse requirement: found '=', expected: identifier" },
	{ "status-400-log-previous.json", 400, "BadRequest",
	  "Error from server (BadRequest): previous terminated container \"nginx\" in pod \"demo-997c454df-jrshh\" not found" },
	{ "status-401-bad-token.json", 401, "Unauthorized",
	  "You must be logged in to the server (Unauthorized)" },
	{ "status-403-anonymous.json", 403, "Forbidden",
	  "Error from server (Forbidden): pods is forbidden: User \"system:anonymous\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"" },
	{ "status-403-forbidden-impersonated.json", 403, "Forbidden",
	  "Error from server (Forbidden): deployments.apps is forbidden: User \"jane\" cannot list resource \"deployments\" in API group \"apps\" in the namespace \"default\"" },
	{ "status-404-deployment-notfound.json", 404, "NotFound",
	  "Error from server (NotFound): deployments.apps \"does-not-exist\" not found" },
	{ "status-404-namespace-on-create.json", 404, "NotFound",
	  "Error from server (NotFound): namespaces \"no-such-ns\" not found" },
	{ "status-409-alreadyexists.json", 409, "AlreadyExists",
	  "Error from server (AlreadyExists): deployments.apps \"demo\" already exists" },
	{ "status-409-conflict-stale-rv.json", 409, "Conflict",
	  "Error from server (Conflict): Operation cannot be fulfilled on deployments.apps \"demo\": the object has been modified; please apply your changes to the latest version and try again" },
	{ "status-409-ssa-conflict.json", 409, "Conflict",
	  "Error from server (Conflict): Apply failed with 1 conflict: conflict with \"other-manager\": .spec.replicas" },
	{ "status-422-invalid-name.json", 422, "Invalid",
	  "The Deployment \"ai_model\" is invalid: metadata.name: Invalid value: \"ai_model\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')" },
	{ "status-422-ssa-same-manager-partial.json", 422, "Invalid",
	  "The Deployment \"ssa-demo\" is invalid: spec.selector: Required value; spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`; spec.template.spec.containers: Required value; spec.selector: Invalid value: \"null\": field is immutable" },
	{ NULL, 0, NULL, NULL },
};

static void test_every_status_fixture(void **state)
{
	(void)state;
	for (int i = 0; cases[i].file; i++) {
		size_t len;
		char *body = fixture(cases[i].file, &len);
		struct kube_apierror a;
		assert_int_equal(kube_apierror_parse(body, len, &a), 0);
		assert_int_equal(a.code, cases[i].code);
		assert_string_equal(a.reason, cases[i].reason);
		char *line = kube_apierror_format(&a, 0);
		if (strcmp(line, cases[i].line) != 0)
			fail_msg("%s:\n got  %s\n want %s", cases[i].file, line, cases[i].line);
		assert_null(strchr(line, '\n'));
		char *text = kube_apierror_text(cases[i].code, body, len, 0);
		assert_string_equal(text, line);
		free(text);
		free(line);
		kube_apierror_clear(&a);
		free(body);
	}
}

static void test_details_and_causes(void **state)
{
	(void)state;
	size_t len;
	char *body = fixture("status-404-deployment-notfound.json", &len);
	struct kube_apierror a;
	assert_int_equal(kube_apierror_parse(body, len, &a), 0);
	assert_string_equal(a.kind, "deployments");
	assert_string_equal(a.name, "does-not-exist");
	assert_string_equal(a.group, "apps");
	assert_int_equal(a.ncauses, 0);
	assert_null(kube_apierror_conflicts(&a));
	kube_apierror_clear(&a);
	free(body);

	/* several causes: kubectl's multi-line form */
	body = fixture("status-422-ssa-same-manager-partial.json", &len);
	assert_int_equal(kube_apierror_parse(body, len, &a), 0);
	assert_int_equal(a.ncauses, 4);
	assert_string_equal(a.causes[1].reason, "FieldValueInvalid");
	assert_string_equal(a.causes[1].field, "spec.template.metadata.labels");
	char *m = kube_apierror_format(&a, 1);
	assert_string_equal(m, "The Deployment \"ssa-demo\" is invalid: \n"
			       "* spec.selector: Required value\n"
			       "* spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`\n"
			       "* spec.template.spec.containers: Required value\n"
			       "* spec.selector: Invalid value: \"null\": field is immutable");
	free(m);
	kube_apierror_clear(&a);
	free(body);

	/* the server-side-apply conflict: fields and managers */
	body = fixture("status-409-ssa-conflict.json", &len);
	assert_int_equal(kube_apierror_parse(body, len, &a), 0);
	char *c = kube_apierror_conflicts(&a);
	assert_non_null(c);
	assert_non_null(strstr(c, "Apply failed with 1 conflict:\n  .spec.replicas: conflict with \"other-manager\"\n"));
	assert_non_null(strstr(c, "--force-conflicts"));
	free(c);
	kube_apierror_clear(&a);
	free(body);

	/* a 409 that is not about field managers is no apply conflict */
	body = fixture("status-409-alreadyexists.json", &len);
	assert_int_equal(kube_apierror_parse(body, len, &a), 0);
	assert_null(kube_apierror_conflicts(&a));
	kube_apierror_clear(&a);
	free(body);
}

static void test_not_a_status(void **state)
{
	(void)state;
	struct kube_apierror a;
	size_t len;
	char *body = fixture("deployment.json", &len);
	assert_int_equal(kube_apierror_parse(body, len, &a), -1);
	free(body);
	assert_int_equal(kube_apierror_parse("<html>", 6, &a), -1);
	assert_int_equal(kube_apierror_parse(NULL, 0, &a), -1);

	char *s = kube_apierror_text(404, "404 page not found", 18, 0);
	assert_string_equal(s, "Error from server (NotFound): the server could not find the requested resource");
	free(s);
	s = kube_apierror_text(429, "", 0, 0);
	assert_string_equal(s, "Error from server (TooManyRequests): the server has received too many requests and has asked us to try again later");
	free(s);
	/* a 500 quotes the body, made safe for a terminal */
	s = kube_apierror_text(500, "boom\x1b[2J", 8, 0);
	assert_string_equal(s, "Error from server (InternalError): an error on the server (\"boom\") has prevented the request from succeeding (HTTP 500)");
	free(s);
	/* escape sequences in a Status message are stripped too */
	const char *evil = "{\"kind\":\"Status\",\"status\":\"Failure\",\"message\":\"x\\u001b]0;pwned\\u0007y\",\"reason\":\"NotFound\",\"code\":404}";
	s = kube_apierror_text(404, evil, strlen(evil), 0);
	assert_string_equal(s, "Error from server (NotFound): xy");
	free(s);
}

int main(void)
{
	const char *top = getenv("TOP");
	char cwd[512];
	if (top && top[0] == '/')
		snprintf(data_dir, sizeof data_dir, "%s/tests/data/kube", top);
	else if (getcwd(cwd, sizeof cwd))
		snprintf(data_dir, sizeof data_dir, "%s/tests/data/kube", cwd);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_status_fixture),
		cmocka_unit_test(test_details_and_causes),
		cmocka_unit_test(test_not_a_status),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
