/*
 * faults.c - fault injection for the simulated cluster (`podium sim fault`,
 * `--faults`, POST /sim/v1/faults): close every watch, expire every
 * resumable resourceVersion, fail a share of requests with 500, answer 429
 * with Retry-After, add latency, stop answering for a while. Later tests
 * prove Podium recovers from each.
 *
 * A spec is a comma-separated list of the items in the table below.
 */
#include "kube/sim/sim_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Parse a non-negative number; 0 / -1. */
static int parse_num(const char *v, double max, double *out)
{
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (errno || end == v)
		return -1;
	if (*end == '%') {
		d /= 100.0;
		end++;
	}
	if (*end || d < 0 || d > max)
		return -1;
	*out = d;
	return 0;
}

static int f_drop(struct sim *s, double v)
{
	(void)v;
	sim_watch_drop_all(s);
	return 0;
}

/* Cut every followed log stream (a proxy or a server going away). */
static int f_drop_logs(struct sim *s, double v)
{
	(void)v;
	s->log_cuts++;
	return 0;
}

static int f_expire(struct sim *s, double v)
{
	(void)v;
	sim_watch_expire_all(s);
	return 0;
}

static int f_errors(struct sim *s, double v)
{
	if (v > 1)
		return -1;
	s->faults.error_rate = v;
	return 0;
}

static int f_throttle(struct sim *s, double v)
{
	s->faults.throttle_until = now_ms() + (long long)(v * 1000);
	return 0;
}

static int f_latency(struct sim *s, double v)
{
	s->faults.latency_ms = (long long)v;
	return 0;
}

static int f_stall(struct sim *s, double v)
{
	s->faults.stall_until = now_ms() + (long long)(v * 1000);
	return 0;
}

static int f_clear(struct sim *s, double v)
{
	(void)v;
	memset(&s->faults, 0, sizeof s->faults);
	return 0;
}

static const struct {
	const char *name;
	int takes_value;
	double max;
	int (*fn)(struct sim *s, double v);
} fault_table[] = {
	{ "drop-watches", 0, 0, f_drop },
	{ "expire-watches", 0, 0, f_expire },
	{ "drop-logs", 0, 0, f_drop_logs },
	{ "errors", 1, 1, f_errors },
	{ "throttle", 1, 86400, f_throttle },
	{ "latency", 1, 600000, f_latency },
	{ "stall", 1, 86400, f_stall },
	{ "clear", 0, 0, f_clear },
	{ NULL, 0, 0, NULL },
};

/* Apply every item of spec, or none when one is wrong. */
int sim_faults_apply(struct sim *s, const char *spec, struct perr *e)
{
	if (!spec || !*spec) {
		perr_set(e, "empty fault spec");
		return -1;
	}
	/* Check the whole spec first so that a typo applies nothing. */
	for (int pass = 0; pass < 2; pass++) {
		const char *p = spec;
		while (*p) {
			size_t n = strcspn(p, ",");
			char item[128];
			if (n == 0 || n >= sizeof item) {
				perr_set(e, "bad fault spec '%s'", spec);
				return -1;
			}
			memcpy(item, p, n);
			item[n] = '\0';
			p += n + (p[n] == ',');
			char *eq = strchr(item, '=');
			if (eq)
				*eq++ = '\0';
			size_t i;
			for (i = 0; fault_table[i].name; i++)
				if (strcmp(fault_table[i].name, item) == 0)
					break;
			if (!fault_table[i].name) {
				perr_set(e, "unknown fault '%s' (drop-watches, "
					 "expire-watches, drop-logs, errors=RATE, "
					 "throttle=SECONDS, latency=MS, "
					 "stall=SECONDS, clear)", item);
				return -1;
			}
			double v = 0;
			if (fault_table[i].takes_value != (eq != NULL) ||
			    (eq && parse_num(eq, fault_table[i].max, &v) < 0)) {
				perr_set(e, "fault '%s' %s", item,
					 fault_table[i].takes_value
						 ? "needs a value in range, as NAME=NUMBER"
						 : "takes no value");
				return -1;
			}
			if (pass == 1) {
				sim_lock(s);
				fault_table[i].fn(s, v);
				sim_unlock(s);
			}
		}
	}
	return 0;
}
