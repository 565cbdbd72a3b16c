/* fuzz_project.c - the token projection against the jansson one under
 * libFuzzer: for any JSON text both parsers accept (jansson refusing
 * repeated member names, which the two readers resolve differently), the
 * root projected through every kind gives the same kube_obj both ways, or
 * fails both ways. A difference aborts. The text is also read as a LIST
 * page (kube_table_parse, from tokens). */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube.h"

static int str_differ(const char *a, const char *b)
{
	return strcmp(a, b) != 0;
}

static int obj_differ(const struct kube_obj *a, const struct kube_obj *b)
{
	if (str_differ(a->name, b->name) || str_differ(a->namespace, b->namespace) ||
	    str_differ(a->uid, b->uid) || str_differ(a->resource_version, b->resource_version) ||
	    a->created != b->created || a->time != b->time || a->deleting != b->deleting ||
	    a->nlabels != b->nlabels || a->ncols != b->ncols)
		return 1;
	for (size_t i = 0; i < a->nlabels; i++)
		if (str_differ(a->labels[i].key, b->labels[i].key) ||
		    str_differ(a->labels[i].value, b->labels[i].value))
			return 1;
	for (size_t i = 0; i < a->ncols; i++)
		if (str_differ(a->cols[i], b->cols[i]))
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	struct jtok_doc d = { 0 };
	struct perr e = { { 0 } };
	if (j && jtok_parse(&d, (const char *)data, size, &e) == 0) {
		for (const struct kube_kind *k = kube_kinds; k->kind; k++) {
			struct kube_obj a, b;
			int ra = kube_obj_project(k, j, 1795000000, &a);
			int rb = kube_obj_project_tok(k, &d, 0, 1795000000, &b);
			if (ra != rb || (ra == 0 && obj_differ(&a, &b)))
				abort();
			kube_obj_clear(&a);
			kube_obj_clear(&b);
		}
	}
	jtok_doc_free(&d);
	json_decref(j);
	/* the same text as a page of a LIST (a List or a Table), twice: the
	 * second page must fit the columns of the first */
	struct kube_table t;
	memset(&t, 0, sizeof t);
	size_t nkinds = 0;
	while (kube_kinds[nkinds].kind)
		nkinds++;
	const struct kube_kind *k = &kube_kinds[size % nkinds];
	if (kube_table_parse(k, (const char *)data, size, 1795000000, &t, &e) == 0)
		(void)kube_table_parse(k, (const char *)data, size, 1795000000, &t, &e);
	kube_table_clear(&t);
	return 0;
}
