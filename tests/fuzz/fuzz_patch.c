/* fuzz_patch.c - the patch functions on fuzzed documents. The input is a
 * JSON array [target, patch]; each patch type is applied to it, and the
 * patch is server-side applied onto the target. */
#include <stdint.h>
#include <stdlib.h>

#include "kube/sim/sim.h"

static const struct sim_kind deploy_kind = { "apps", "v1", "Deployment",
	"deployments", "deployment", "deploy", 1, "", "all", 1, 1 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t je;
	json_t *in = json_loadb((const char *)data, size, JSON_DECODE_ANY, &je);
	if (!in)
		return 0;
	json_t *target = json_array_get(in, 0);
	json_t *patch = json_array_get(in, 1);
	if (target && patch) {
		struct sim_status st = { 0 };
		json_decref(sim_merge_patch(target, patch));
		json_decref(sim_json_patch(target, patch, &st));
		json_decref(st.details);
		struct sim_status st2 = { 0 };
		json_decref(sim_strategic_merge_patch(&deploy_kind, target, patch, &st2));
		json_decref(st2.details);
		/* the patch as an applied configuration, the target as live */
		struct sim_status st3 = { 0 };
		json_t *applied = sim_apply(&deploy_kind, target, patch, "fuzz", 0,
					    "2026-11-28T11:36:20Z", &st3);
		json_decref(st3.details);
		if (applied) {
			json_t *next = json_deep_copy(applied);
			json_object_set_new(next, "spec", json_deep_copy(target));
			sim_managed_update(&deploy_kind, applied, next, "other",
					   "2026-11-28T11:36:21Z");
			json_decref(next);
		}
		json_decref(applied);
	}
	json_decref(in);
	return 0;
}
