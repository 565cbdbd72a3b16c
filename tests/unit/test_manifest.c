/* test_manifest.c - manifests for apply (several documents, List, errors
 * with line and column, validation with the fix in the message, bounded
 * alias expansion), YAML output as kubectl writes it, and the tabwriter
 * that aligns tables as kubectl's does. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube.h"
#include "tui/tui.h"

static const char two_docs[] =
	"# a comment\n"
	"apiVersion: apps/v1\n"
	"kind: Deployment\n"
	"metadata:\n"
	"  name: ai-model\n"
	"  namespace: models\n"
	"spec:\n"
	"  replicas: 2\n"
	"  paused: yes\n"
	"  template:\n"
	"    spec:\n"
	"      containers:\n"
	"      - {name: c, image: \"nginx:1.25\", ports: [{containerPort: 0x1F90}]}\n"
	"---\n"
	"apiVersion: v1\n"
	"kind: Service\n"
	"metadata: {name: ai-model}\n"
	"spec:\n"
	"  ports: [{port: 80, name: \"80\"}]\n"
	"---\n";

static void test_documents(void **state)
{
	(void)state;
	struct kube_manifest m;
	struct perr e = { { 0 } };
	assert_int_equal(kube_manifest_parse("m.yaml", two_docs, strlen(two_docs), &m, &e), 0);
	assert_int_equal(m.n, 2);
	assert_string_equal(m.docs[0].kind, "Deployment");
	assert_string_equal(m.docs[0].name, "ai-model");
	assert_string_equal(m.docs[0].namespace, "models");
	assert_int_equal(m.docs[0].line, 2);
	assert_ptr_equal(m.docs[0].k, kube_kind_find("deployments"));
	/* YAML 1.1 as go-yaml reads it: yes is true, 0x1F90 is 8080, "80" stays a string */
	assert_non_null(strstr(m.docs[0].json, "\"replicas\":2"));
	assert_non_null(strstr(m.docs[0].json, "\"paused\":true"));
	assert_non_null(strstr(m.docs[0].json, "\"containerPort\":8080"));
	assert_non_null(strstr(m.docs[0].json, "\"image\":\"nginx:1.25\""));
	assert_null(m.docs[1].namespace);
	assert_int_equal(m.docs[1].line, 15);
	assert_non_null(strstr(m.docs[1].json, "\"name\":\"80\""));
	for (size_t i = 0; i < m.n; i++)
		assert_int_equal(kube_manifest_validate(&m.docs[i], &e), 0);
	kube_manifest_clear(&m);

	/* JSON is YAML; a List is expanded */
	const char *list = "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":["
			   "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\"}},"
			   "{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"name\":\"b\"}}]}";
	assert_int_equal(kube_manifest_parse("l.json", list, strlen(list), &m, &e), 0);
	assert_int_equal(m.n, 2);
	assert_string_equal(m.docs[1].kind, "Job");
	assert_ptr_equal(m.docs[1].k, kube_kind_find("jobs"));
	kube_manifest_clear(&m);

	/* a kind Podium has under another group is not taken for it */
	const char *other = "apiVersion: example.com/v1\nkind: Deployment\nmetadata: {name: x}\n";
	assert_int_equal(kube_manifest_parse("o.yaml", other, strlen(other), &m, &e), 0);
	assert_null(m.docs[0].k);
	kube_manifest_clear(&m);
	assert_false(perr_isset(&e));
}

static void test_bad_manifests(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		const char *want;
	} bad[] = {
		{ "kind: Pod\nmetadata: {name: p}\n", "m.yaml, document 1 (line 1): apiVersion is not set" },
		{ "apiVersion: v1\nmetadata: {name: p}\n", "kind is not set" },
		{ "apiVersion: v1\nkind: Pod\nmetadata: {}\n", "Pod has no metadata.name (apply needs a name)" },
		{ "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\n- 1\n", "document 2 (line 5): not an object" },
		{ "apiVersion: v1\nkind: Pod\n  bad: indent\n", "m.yaml, line 3, column 6: mapping values are not allowed" },
		{ "a: [1, 2\n", "m.yaml, line 2, column 1:" },
		{ "", "m.yaml: no objects in the manifest" },
		{ "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: {x: .nan}\n", "line 4: an infinity or NaN cannot be represented in JSON" },
		{ "? [a]\n: b\n", "a mapping key must be a string" },
		{ NULL, NULL },
	};
	for (int i = 0; bad[i].text; i++) {
		struct kube_manifest m;
		struct perr e = { { 0 } };
		if (kube_manifest_parse("m.yaml", bad[i].text, strlen(bad[i].text), &m, &e) == 0 ||
		    !strstr(e.msg, bad[i].want))
			fail_msg("case %d: got \"%s\", want \"%s\"", i, e.msg, bad[i].want);
	}
	/* aliases that would expand without bound stop with an error */
	struct dbuf b;
	dbuf_init(&b, 0);
	dbuf_puts(&b, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
	for (int i = 1; i < 12; i++) {
		dbuf_printf(&b, "a%d: &a%d [", i, i);
		for (int j = 0; j < 10; j++)
			dbuf_printf(&b, "%s*a%d", j ? ", " : "", i - 1);
		dbuf_puts(&b, "]\n");
	}
	struct kube_manifest m;
	struct perr e = { { 0 } };
	assert_int_equal(kube_manifest_parse("bomb.yaml", b.p, b.len, &m, &e), -1);
	assert_non_null(strstr(e.msg, "too many values"));
	dbuf_free(&b);
}

static void test_validation(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
		{ "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ai_model}\n", "ai-model" },
		{ "apiVersion: v1\nkind: Service\nmetadata: {name: 1web}\n", "1web" },
		{ "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {app: \"bad value!\"}}\n", "bad value!" },
		{ "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n"
		  "      containers: [{name: c, image: \"Nginx:Latest\"}]\n", "Nginx:Latest" },
		{ "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n"
		  "    image: nginx\n    resources: {limits: {memory: 12XB}}\n", "12XB" },
		{ NULL, NULL },
	};
	for (int i = 0; cases[i].text; i++) {
		struct kube_manifest m;
		struct perr e = { { 0 } };
		assert_int_equal(kube_manifest_parse("v.yaml", cases[i].text, strlen(cases[i].text), &m, &e), 0);
		if (kube_manifest_validate(&m.docs[0], &e) == 0 || !strstr(e.msg, cases[i].want))
			fail_msg("case %d: got \"%s\", want it to mention \"%s\"", i, e.msg, cases[i].want);
		kube_manifest_clear(&m);
	}
	/* a refused name is shown without its escape sequences */
	const char *esc = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
			  "\"metadata\":{\"name\":\"x\\u001b]0;pwned\\u0007\\u001b[2J\"}}";
	struct kube_manifest m;
	struct perr e = { { 0 } };
	assert_int_equal(kube_manifest_parse("e.json", esc, strlen(esc), &m, &e), 0);
	assert_int_equal(kube_manifest_validate(&m.docs[0], &e), -1);
	assert_null(strchr(e.msg, 0x1b));
	assert_null(strchr(e.msg, 0x07));
	kube_manifest_clear(&m);
}

static void test_yaml_out(void **state)
{
	(void)state;
	const char *json = "{\"b\":{\"s\":\"2026-11-28T11:32:03Z\",\"t\":\"true\",\"n\":\"123\","
			   "\"e\":\"\",\"x\":\"plain\",\"m\":\"a\\nb\",\"clock\":\"1:20\"},"
			   "\"a\":[1,2.5,true,null],\"c\":{},\"d\":[]}";
	struct perr e = { { 0 } };
	char *y = kube_yaml_from_json(json, strlen(json), &e);
	assert_non_null(y);
	assert_string_equal(y, "a:\n"
			       "- 1\n"
			       "- 2.5\n"
			       "- true\n"
			       "- null\n"
			       "b:\n"
			       "  clock: \"1:20\"\n"
			       "  e: \"\"\n"
			       "  m: |-\n"
			       "    a\n"
			       "    b\n"
			       "  \"n\": \"123\"\n" /* go-yaml reads a bare n as false */
			       "  s: \"2026-11-28T11:32:03Z\"\n"
			       "  t: \"true\"\n"
			       "  x: plain\n"
			       "c: {}\n"
			       "d: []\n");
	free(y);
	assert_null(kube_yaml_from_json("{oops", 5, &e));
	assert_non_null(strstr(e.msg, "not JSON"));
}

static void test_tabwriter(void **state)
{
	(void)state;
	/* kubectl get: minwidth 6, padding 3; the last cell is not padded */
	char *s = tabwriter_format("NAME\tREADY\tAGE\nweb-1\t1/1\t4m9s\nx\t0/1\t2d\n", 6, 3);
	assert_string_equal(s, "NAME    READY   AGE\nweb-1   1/1     4m9s\nx       0/1     2d\n");
	free(s);
	/* describe: a block is the run of lines with a cell in the column */
	s = tabwriter_format("Name:\tweb\nLabels:\tapp=web\n\tx=y\nPod Template:\n  Labels:\tapp=web\n", 0, 2);
	assert_string_equal(s, "Name:    web\nLabels:  app=web\n         x=y\nPod Template:\n  Labels:  app=web\n");
	free(s);
	/* a form feed flushes: the part after it is aligned on its own */
	s = tabwriter_format("Long name here:\ta\n\fB:\tb\n", 0, 2);
	assert_string_equal(s, "Long name here:  a\nB:  b\n");
	free(s);
	/* widths count characters, not bytes */
	s = tabwriter_format("caf\xc3\xa9\tx\nab\ty\n", 0, 1);
	assert_string_equal(s, "caf\xc3\xa9 x\nab   y\n");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_documents),
		cmocka_unit_test(test_bad_manifests),
		cmocka_unit_test(test_validation),
		cmocka_unit_test(test_yaml_out),
		cmocka_unit_test(test_tabwriter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
