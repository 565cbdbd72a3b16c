/* fuzz_yaml.c - sim_yaml_to_json on arbitrary bytes: JSON or a 400, no
 * crash, no leak, bounded work on aliases. */
#include <stdint.h>
#include <stdlib.h>

#include "kube/sim/sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sim_status st = { 0 };
	json_t *j = sim_yaml_to_json((const char *)data, size, &st);
	json_decref(j);
	json_decref(st.details);
	return 0;
}
