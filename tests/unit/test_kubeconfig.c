/* test_kubeconfig.c - kubeconfig parsing, kubectl's merge rules, contexts,
 * in-cluster config, exec credential plugins, base64 and durations. */
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

static const char *data(const char *rel)
{
	static char buf[4][1600];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "%s/%s", data_dir, rel);
	return buf[i];
}

static struct kube_conn *load(const char *file, const char *ctx, const char *ns, struct perr *e)
{
	struct kube_config_opts o = { .kubeconfig = file ? data(file) : NULL, .context = ctx, .namespace = ns };
	return kube_conn_load(&o, e);
}

static void test_basic_context(void **state)
{
	(void)state;
	struct perr e = { { 0 } };
	struct kube_conn *c = load("kubeconfig/basic.yaml", NULL, NULL, &e);
	assert_non_null(c);
	assert_string_equal(c->context, "dev");
	assert_string_equal(c->cluster, "c1");
	assert_string_equal(c->user, "alice");
	assert_string_equal(c->namespace, "team-a");
	assert_string_equal(c->server, "https://127.0.0.1:6443");
	assert_string_equal(c->tls_server_name, "kube.test");
	assert_non_null(c->ca);
	assert_non_null(strstr(c->ca, "BEGIN CERTIFICATE"));
	assert_non_null(c->cert);
	assert_non_null(c->key);
	assert_non_null(strstr(c->key, "PRIVATE KEY"));
	assert_false(c->insecure);
	assert_null(c->token);
	kube_conn_free(c);

	c = load("kubeconfig/basic.yaml", "prod", "override", &e);
	assert_non_null(c);
	assert_string_equal(c->namespace, "override");
	assert_string_equal(c->token, "s3cr3t-bob-token");
	assert_true(c->insecure);
	assert_string_equal(c->proxy_url, "http://127.0.0.1:3128");
	assert_null(c->ca);
	kube_conn_free(c);

	/* no namespace in the context: default */
	c = load("kubeconfig/basic.yaml", "carol", NULL, &e);
	assert_non_null(c);
	assert_string_equal(c->namespace, "default");
	assert_non_null(strstr(c->token_file, "kubeconfig/carol.token"));
	assert_int_equal(c->token_file[0], '/' == data_dir[0] ? '/' : c->token_file[0]);
	kube_conn_free(c);

	c = load("kubeconfig/basic.yaml", "dave", NULL, &e);
	assert_string_equal(c->username, "dave");
	assert_string_equal(c->password, "hunter2");
	kube_conn_free(c);

	c = load("kubeconfig/basic.yaml", "erin", NULL, &e);
	assert_non_null(c->exec);
	assert_string_equal(c->exec->api_version, "client.authentication.k8s.io/v1");
	assert_non_null(strstr(c->exec->command, "kubeconfig/../exec-plugin.sh"));
	assert_string_equal(c->exec->args[0], "--flag");
	assert_string_equal(c->exec->args[1], "value");
	assert_null(c->exec->args[2]);
	assert_string_equal(c->exec->env[0], "PLUGIN_MODE=token");
	assert_true(c->exec->provide_cluster_info);
	assert_string_equal(c->exec->interactive_mode, "Never");
	kube_conn_free(c);
	assert_false(perr_isset(&e));
}

static void test_missing_context(void **state)
{
	(void)state;
	struct perr e = { { 0 } };
	assert_null(load("kubeconfig/basic.yaml", "nope", NULL, &e));
	assert_non_null(strstr(e.msg, "context \"nope\" not found in"));
	assert_non_null(strstr(e.msg, "(contexts: dev, prod, carol, dave, erin, ghost)"));

	perr_clear(&e);
	assert_null(load("kubeconfig/basic.yaml", "ghost", NULL, &e));
	assert_non_null(strstr(e.msg, "names cluster \"missing\", which is not in"));

	/* no message ever shows a credential */
	perr_clear(&e);
	assert_null(load("kubeconfig/basic.yaml", "x", NULL, &e));
	assert_null(strstr(e.msg, "s3cr3t"));
	assert_null(strstr(e.msg, "hunter2"));
}

static void test_malformed(void **state)
{
	(void)state;
	static const struct {
		const char *file;
		const char *want;
	} cases[] = {
		{ "bad/indent.yaml", "line 6, column" },
		{ "bad/clusters-not-list.yaml", "line 3, column 3: clusters must be a list" },
		{ "bad/base64.yaml", "line 6, column 33: certificate-authority-data is not valid base64" },
		{ "bad/bool.yaml", "line 6, column 31: insecure-skip-tls-verify must be true or false" },
		{ "bad/no-name.yaml", "line 3, column 3: an entry of contexts has no name" },
		{ "bad/exec-no-command.yaml", "line 6, column 7: exec needs a command" },
		{ "bad/token-list.yaml", "line 5, column 12: token must be a string" },
		{ "bad/not-mapping.yaml", "line 1, column 1: a kubeconfig is a mapping" },
		{ "bad/unterminated.yaml", "line 3, column 1: found unexpected end of stream while scanning a quoted scalar (which began at line 2, column 18)" },
		{ "bad/tab.yaml", "line 2, column 1:" },
		{ "bad/interactive.yaml", "line 8, column 24: interactiveMode must be" },
		{ NULL, NULL },
	};
	for (int i = 0; cases[i].file; i++) {
		char rel[200];
		snprintf(rel, sizeof rel, "kubeconfig/%s", cases[i].file);
		struct perr e = { { 0 } };
		struct kube_config_opts o = { .kubeconfig = data(rel) };
		struct kube_config *cfg = kube_config_load(&o, &e);
		if (cfg || !strstr(e.msg, cases[i].want) || !strstr(e.msg, cases[i].file))
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].file, e.msg, cases[i].want);
	}
	/* An explicit --kubeconfig that does not exist is an error. */
	struct perr e = { { 0 } };
	assert_null(load("kubeconfig/no-such-file.yaml", NULL, NULL, &e));
	assert_non_null(strstr(e.msg, "no-such-file.yaml: No such file"));
}

static void set_kubeconfig(const char *a, const char *b, const char *c)
{
	char v[4096];
	snprintf(v, sizeof v, "%s%s%s%s%s", data(a), b ? ":" : "", b ? data(b) : "",
		 c ? ":" : "", c ? data(c) : "");
	setenv("KUBECONFIG", v, 1);
}

static void test_merge(void **state)
{
	(void)state;
	struct perr e = { { 0 } };
	/* a, a file that is not there (skipped), then b: a wins every key */
	set_kubeconfig("kubeconfig/merge-a.yaml", "kubeconfig/absent.yaml", "kubeconfig/merge-b.yaml");
	struct kube_config *cfg = kube_config_load(&(struct kube_config_opts){ 0 }, &e);
	assert_non_null(cfg);
	assert_string_equal(kube_config_current(cfg), "first");
	size_t n;
	const char *const *names = kube_config_contexts(cfg, &n);
	assert_int_equal(n, 3);
	assert_string_equal(names[0], "first");
	assert_string_equal(names[1], "both");
	assert_string_equal(names[2], "second");
	struct kube_conn *c = kube_config_resolve(cfg, "both", NULL, &e);
	assert_non_null(c);
	assert_string_equal(c->namespace, "from-a");         /* whole entry from a */
	assert_string_equal(c->server, "https://first.example:6443");
	assert_string_equal(c->token, "from-a");
	kube_conn_free(c);
	c = kube_config_resolve(cfg, "second", NULL, &e);
	assert_string_equal(c->server, "https://only-b.example:6443");
	assert_string_equal(c->token, "from-a"); /* user u came from a */
	kube_conn_free(c);
	kube_config_free(cfg);

	/* the first file without current-context does not hide a later one */
	set_kubeconfig("kubeconfig/merge-c-nocurrent.yaml", "kubeconfig/merge-b.yaml", NULL);
	cfg = kube_config_load(&(struct kube_config_opts){ 0 }, &e);
	assert_string_equal(kube_config_current(cfg), "second");
	kube_config_free(cfg);

	/* --kubeconfig beats KUBECONFIG */
	c = load("kubeconfig/merge-b.yaml", NULL, NULL, &e);
	assert_string_equal(c->context, "second");
	kube_conn_free(c);

	/* a broken file in the list is an error naming it */
	set_kubeconfig("kubeconfig/merge-a.yaml", "kubeconfig/bad/bool.yaml", NULL);
	assert_null(kube_config_load(&(struct kube_config_opts){ 0 }, &e));
	assert_non_null(strstr(e.msg, "bad/bool.yaml, line 6"));
	unsetenv("KUBECONFIG");
	assert_false(perr_isset(&(struct perr){ { 0 } }));
}

static void write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(s, f);
	fclose(f);
}

static void test_in_cluster(void **state)
{
	(void)state;
	char dir[] = "/tmp/podium-sa-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char p[512], home[600];
	snprintf(p, sizeof p, "%s/token", dir);
	write_file(p, "sa-token\n");
	snprintf(p, sizeof p, "%s/namespace", dir);
	write_file(p, "models\n");
	snprintf(p, sizeof p, "%s/ca.crt", dir);
	char *ca;
	size_t calen;
	assert_int_equal(read_file(data("tls/ca.crt"), 1 << 20, &ca, &calen, NULL), 0);
	write_file(p, ca);
	free(ca);
	snprintf(home, sizeof home, "%s/home", dir); /* no ~/.kube/config there */
	char *old_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
	setenv("HOME", home, 1);
	unsetenv("KUBECONFIG");
	setenv("PODIUM_SERVICEACCOUNT_DIR", dir, 1);
	setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);

	struct perr e = { { 0 } };
	struct kube_conn *c = kube_conn_load(&(struct kube_config_opts){ 0 }, &e);
	assert_non_null(c);
	assert_string_equal(c->context, "in-cluster");
	assert_string_equal(c->server, "https://10.0.0.1:443");
	assert_string_equal(c->namespace, "models");
	assert_non_null(strstr(c->token_file, "/token"));
	assert_non_null(strstr(c->ca, "BEGIN CERTIFICATE"));
	kube_conn_free(c);

	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	c = kube_conn_load(&(struct kube_config_opts){ .namespace = "x" }, &e);
	assert_string_equal(c->server, "https://[fd00::1]:443");
	assert_string_equal(c->namespace, "x");
	kube_conn_free(c);

	/* an explicit --kubeconfig never falls back to in-cluster */
	struct kube_config_opts o = { .kubeconfig = data("kubeconfig/merge-c-nocurrent.yaml") };
	assert_null(kube_conn_load(&o, &e));
	assert_non_null(strstr(e.msg, "current-context is not set"));
	assert_non_null(strstr(e.msg, "contexts: third"));

	/* without the variables: nothing to use, and the message says where it looked */
	unsetenv("KUBERNETES_SERVICE_HOST");
	perr_clear(&e);
	assert_null(kube_conn_load(&(struct kube_config_opts){ 0 }, &e));
	assert_non_null(strstr(e.msg, "no configuration"));

	unsetenv("KUBERNETES_SERVICE_PORT");
	unsetenv("PODIUM_SERVICEACCOUNT_DIR");
	if (old_home)
		setenv("HOME", old_home, 1);
	free(old_home);
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static struct kube_conn *erin(void)
{
	struct perr e = { { 0 } };
	struct kube_conn *c = load("kubeconfig/basic.yaml", "erin", NULL, &e);
	assert_non_null(c);
	return c;
}

static void set_mode(struct kube_conn *c, const char *mode)
{
	free(c->exec->env[0]);
	c->exec->env[0] = xasprintf("PLUGIN_MODE=%s", mode);
}

static void test_exec_plugin(void **state)
{
	(void)state;
	char dir[] = "/tmp/podium-exec-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char count[600], info[600], args[600];
	snprintf(count, sizeof count, "%s/count", dir);
	snprintf(info, sizeof info, "%s/info", dir);
	snprintf(args, sizeof args, "%s/args", dir);
	setenv("EXEC_COUNT_FILE", count, 1);
	setenv("EXEC_INFO_FILE", info, 1);
	setenv("EXEC_ARGS_FILE", args, 1);
	setenv("EXEC_EXPIRY", "2031-01-02T03:04:05Z", 1);

	struct kube_conn *c = erin();
	struct kube_exec_cred cred;
	struct perr e = { { 0 } };
	assert_int_equal(kube_exec_run(c, &cred, &e), 0);
	assert_string_equal(cred.token, "exec-token-1");
	assert_int_equal(cred.expires, 1925089445LL);
	kube_exec_cred_clear(&cred);
	char *s;
	assert_int_equal(read_file(info, 1 << 16, &s, NULL, NULL), 0);
	assert_non_null(strstr(s, "\"apiVersion\": \"client.authentication.k8s.io/v1\"") ?
				strstr(s, "\"apiVersion\": \"client.authentication.k8s.io/v1\"") :
				strstr(s, "\"apiVersion\":\"client.authentication.k8s.io/v1\""));
	assert_non_null(strstr(s, "\"interactive\":false"));
	assert_non_null(strstr(s, "\"server\":\"https://127.0.0.1:6443\""));
	assert_non_null(strstr(s, "\"certificate-authority-data\":\"LS0t"));
	assert_non_null(strstr(s, "\"tls-server-name\":\"kube.test\""));
	free(s);
	assert_int_equal(read_file(args, 1 << 16, &s, NULL, NULL), 0);
	assert_string_equal(s, "--flag value\n");
	free(s);

	/* without provideClusterInfo the cluster is not handed over */
	c->exec->provide_cluster_info = 0;
	assert_int_equal(kube_exec_run(c, &cred, &e), 0);
	kube_exec_cred_clear(&cred);
	assert_int_equal(read_file(info, 1 << 16, &s, NULL, NULL), 0);
	assert_null(strstr(s, "cluster"));
	free(s);

	/* a client certificate instead of a token */
	setenv("EXEC_CERT", data("tls/client.crt"), 1);
	setenv("EXEC_KEY", data("tls/client.key"), 1);
	set_mode(c, "cert");
	assert_int_equal(kube_exec_run(c, &cred, &e), 0);
	assert_null(cred.token);
	assert_non_null(strstr(cred.cert, "-----BEGIN CERTIFICATE-----\n"));
	assert_non_null(strstr(cred.key, "PRIVATE KEY-----\n"));
	kube_exec_cred_clear(&cred);
	assert_false(perr_isset(&e));

	static const struct {
		const char *mode;
		const char *want;
	} bad[] = {
		{ "fail", "failed with exit code 3: login required: run podium-login first" },
		{ "garbage", "did not write an ExecCredential" },
		{ "wrongversion", "is configured to use API version client.authentication.k8s.io/v1, plugin returned version client.authentication.k8s.io/v1alpha1" },
		{ "nostatus", "didn't return a status field" },
		{ NULL, NULL },
	};
	for (int i = 0; bad[i].mode; i++) {
		set_mode(c, bad[i].mode);
		perr_clear(&e);
		assert_int_equal(kube_exec_run(c, &cred, &e), -1);
		if (!strstr(e.msg, bad[i].want))
			fail_msg("%s: %s", bad[i].mode, e.msg);
	}

	/* a missing command says how to install it */
	free(c->exec->command);
	c->exec->command = xstrdup("podium-no-such-plugin");
	perr_clear(&e);
	assert_int_equal(kube_exec_run(c, &cred, &e), -1);
	assert_string_equal(e.msg, "exec plugin: executable podium-no-such-plugin not found: install the test plugin");

	/* v1 needs interactiveMode; v1beta1 defaults it */
	free(c->exec->interactive_mode);
	c->exec->interactive_mode = NULL;
	perr_clear(&e);
	assert_int_equal(kube_exec_run(c, &cred, &e), -1);
	assert_non_null(strstr(e.msg, "interactiveMode must be specified"));
	kube_conn_free(c);

	unsetenv("EXEC_COUNT_FILE");
	unsetenv("EXEC_INFO_FILE");
	unsetenv("EXEC_ARGS_FILE");
	unsetenv("EXEC_EXPIRY");
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_base64(void **state)
{
	(void)state;
	static const char *const plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar", NULL };
	static const char *const enc[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy", NULL };
	for (int i = 0; plain[i]; i++) {
		char *s = kube_base64_encode(plain[i], strlen(plain[i]));
		assert_string_equal(s, enc[i]);
		free(s);
		size_t n;
		s = kube_base64_decode(enc[i], strlen(enc[i]), &n);
		assert_non_null(s);
		assert_int_equal(n, strlen(plain[i]));
		assert_memory_equal(s, plain[i], n);
		free(s);
	}
	size_t n;
	char *s = kube_base64_decode("Zm9v\nYmFy\n", 10, &n);
	assert_string_equal(s, "foobar");
	free(s);
	assert_null(kube_base64_decode("Zm9v!", 5, &n));
	assert_null(kube_base64_decode("Z", 1, &n));
	assert_null(kube_base64_decode("Zm=9", 4, &n));
}

static void test_durations(void **state)
{
	(void)state;
	long ms;
	assert_int_equal(kube_parse_duration("30s", &ms, NULL), 0);
	assert_int_equal(ms, 30000);
	assert_int_equal(kube_parse_duration("1m30s", &ms, NULL), 0);
	assert_int_equal(ms, 90000);
	assert_int_equal(kube_parse_duration("500ms", &ms, NULL), 0);
	assert_int_equal(ms, 500);
	assert_int_equal(kube_parse_duration("2", &ms, NULL), 0);
	assert_int_equal(ms, 2000);
	assert_int_equal(kube_parse_duration("0", &ms, NULL), 0);
	assert_int_equal(ms, 0);
	struct perr e = { { 0 } };
	assert_int_equal(kube_parse_duration("soon", &ms, &e), -1);
	assert_non_null(strstr(e.msg, "invalid duration \"soon\""));
	assert_int_equal(kube_parse_duration("5x", &ms, NULL), -1);

	long long t;
	assert_int_equal(kube_parse_time("2026-11-28T11:32:09Z", &t), 0);
	assert_int_equal(t, 1795865529LL);
	assert_int_equal(kube_parse_time("2026-11-28T12:32:09.123+01:00", &t), 0);
	assert_int_equal(t, 1795865529LL);
	assert_int_equal(kube_parse_time("yesterday", &t), -1);

	/* apimachinery HumanDuration, boundaries from its own tests */
	static const struct {
		long long s;
		const char *want;
	} h[] = {
		{ -2, "<invalid>" }, { -1, "0s" }, { 0, "0s" }, { 59, "59s" }, { 119, "119s" },
		{ 120, "2m" }, { 249, "4m9s" }, { 600, "10m" }, { 3 * 3600 - 1, "179m" },
		{ 3 * 3600, "3h" }, { 3 * 3600 + 60, "3h1m" }, { 8 * 3600, "8h" },
		{ 47 * 3600 + 59, "47h" }, { 48 * 3600, "2d" }, { 49 * 3600, "2d1h" },
		{ 8 * 86400, "8d" }, { 730 * 86400, "2y" }, { 731 * 86400, "2y1d" },
		{ 8 * 365 * 86400LL, "8y" }, { 0, NULL },
	};
	for (int i = 0; h[i].want; i++) {
		char buf[32];
		kube_human_duration(h[i].s, buf, sizeof buf);
		if (strcmp(buf, h[i].want) != 0)
			fail_msg("%lld: got %s want %s", h[i].s, buf, h[i].want);
	}
}

int main(void)
{
	const char *top = getenv("TOP");
	snprintf(data_dir, sizeof data_dir, "%s/tests/data/kube", top ? top : ".");
	if (data_dir[0] != '/') {
		char cwd[512];
		if (getcwd(cwd, sizeof cwd))
			snprintf(data_dir, sizeof data_dir, "%s/tests/data/kube", cwd);
	}
	unsetenv("KUBECONFIG");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_context),
		cmocka_unit_test(test_missing_context),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_in_cluster),
		cmocka_unit_test(test_exec_plugin),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_durations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
