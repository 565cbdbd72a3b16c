/* fuzz_selector.c - label and field selector parsing and matching on
 * arbitrary text: no crash, no leak, an error or a selector. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/sim/sim.h"

#define pod_kind (*sim_kind_find("", "pods"))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	json_t *obj = json_pack("{s:{s:s,s:{s:s,s:s}},s:{s:s}}", "metadata",
				"name", "web-1", "labels", "app", "demo", "n",
				"5", "status", "phase", "Running");
	struct sim_status st = { 0 };
	struct sim_selector *l = sim_label_selector_parse(s, &st);
	if (l)
		sim_selector_match(l, obj);
	sim_selector_free(l);
	memset(&st, 0, sizeof st);
	struct sim_selector *f = sim_field_selector_parse(&pod_kind, s, &st);
	if (f)
		sim_selector_match(f, obj);
	sim_selector_free(f);
	json_decref(obj);
	free(s);
	return 0;
}
