/*
 * deployment.c - the Deployment controller, as kubernetes'
 * pkg/controller/deployment does it: one ReplicaSet per pod template, named
 * <deployment>-<pod-template-hash>, with revision, desired-replicas and
 * max-replicas annotations; rolling updates within maxSurge and
 * maxUnavailable, Recreate, minReadySeconds, progress deadlines, pause,
 * rollback by template, revision history cleanup, and the status fields and
 * conditions `kubectl rollout status` reads, in the real reasons and words.
 *
 * The pure arithmetic (template hash, IntOrString scaling, fenceposts) is
 * at the top; the controller below works on the store with the lock held.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/sim/sim.h"

/* ---- pure parts ------------------------------------------------------- */

static const char safe_alphanums[] = "bcdfghjklmnpqrstvwxz2456789";

void sim_safe_encode(const char *s, char *out)
{
	size_t n = sizeof safe_alphanums - 1, i;
	for (i = 0; s[i]; i++)
		out[i] = safe_alphanums[(unsigned char)s[i] % n];
	out[i] = '\0';
}

static uint32_t fnv32a(uint32_t h, const void *data, size_t n)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

/* The real controller hashes the Go struct as spew prints it; a JSON
 * document has no such printing, so its canonical form (sorted keys,
 * compact) stands in: equal templates give equal hashes, and the name has
 * the real shape. */
void sim_template_hash(const json_t *tmpl, int collision_count, char *out)
{
	char *doc = json_dumps(tmpl, JSON_SORT_KEYS | JSON_COMPACT);
	uint32_t h = fnv32a(2166136261u, doc ? doc : "", doc ? strlen(doc) : 0);
	free(doc);
	if (collision_count >= 0) {
		unsigned char b[8] = { 0 };
		uint32_t c = (uint32_t)collision_count;
		for (int i = 0; i < 4; i++)
			b[i] = (unsigned char)(c >> (8 * i));
		h = fnv32a(h, b, sizeof b);
	}
	char dec[16];
	snprintf(dec, sizeof dec, "%u", (unsigned)h);
	sim_safe_encode(dec, out);
}

int sim_intstr_scaled(const json_t *v, int total, int round_up, int def)
{
	if (!v || json_is_null(v))
		return def;
	if (json_is_integer(v))
		return (int)json_integer_value(v);
	if (!json_is_string(v))
		return def;
	const char *s = json_string_value(v);
	char *end;
	long n = strtol(s, &end, 10);
	if (end == s)
		return def;
	if (*end != '%')
		return (int)n;
	double x = (double)n * (double)total / 100.0;
	return (int)(round_up ? ceil(x) : floor(x));
}

void sim_fenceposts(const json_t *max_surge, const json_t *max_unavailable,
		    int desired, int *surge, int *unavailable)
{
	*surge = sim_intstr_scaled(max_surge, desired, 1, 0);
	*unavailable = sim_intstr_scaled(max_unavailable, desired, 0, 0);
	if (*surge == 0 && *unavailable == 0)
		*unavailable = 1;
}
