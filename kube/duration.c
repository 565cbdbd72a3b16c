/*
 * duration.c - the times and durations kubectl reads and prints: Go-style
 * durations for --request-timeout, RFC 3339 timestamps from the API, and
 * apimachinery's HumanDuration for AGE columns.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include "kube/kube.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int kube_parse_duration(const char *s, long *ms, struct perr *e)
{
	static const struct {
		const char *unit;
		double ms;
	} units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { NULL, 0 } };
	if (!s || !*s)
		goto bad;
	/* A bare number is seconds (kubectl's --request-timeout). */
	char *end;
	double v = strtod(s, &end);
	if (*end == '\0' && end != s && isdigit((unsigned char)s[0])) {
		if (!(v <= 1e9)) /* "1e400": no long holds it */
			goto bad;
		*ms = (long)(v * 1000);
		return 0;
	}
	double total = 0;
	const char *p = s;
	while (*p) {
		if (!isdigit((unsigned char)*p) && *p != '.')
			goto bad;
		v = strtod(p, &end);
		if (end == p)
			goto bad;
		p = end;
		int found = 0;
		for (int i = 0; units[i].unit; i++) {
			size_t n = strlen(units[i].unit);
			/* "m" must not take the m of "ms" */
			if (strncmp(p, units[i].unit, n) == 0 && !(n == 1 && p[0] == 'm' && p[1] == 's')) {
				total += v * units[i].ms;
				p += n;
				found = 1;
				break;
			}
		}
		if (!found)
			goto bad;
	}
	if (total > 1e12)
		goto bad;
	*ms = (long)total;
	return 0;
bad:
	perr_set(e, "invalid duration \"%s\": use a number of seconds or units like 30s, 1m, 500ms",
		 s ? s : "");
	return -1;
}

int kube_parse_time(const char *s, long long *out)
{
	int y, mo, d, h, mi, sec, n = 0;
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6)
		return -1;
	const char *p = s + n;
	if (*p == '.') /* fractional seconds: ignored */
		for (p++; isdigit((unsigned char)*p); p++)
			;
	long off = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om;
		if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2)
			return -1;
		off = (oh * 3600L + om * 60L) * (*p == '+' ? 1 : -1);
		p += 6;
	} else {
		return -1;
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	struct tm tm = { 0 };
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*out = (long long)timegm(&tm) - off;
	return 0;
}

void kube_human_duration(long long secs, char *buf, size_t n)
{
	/* apimachinery/pkg/util/duration.HumanDuration, step for step. */
	if (secs < -1) {
		snprintf(buf, n, "<invalid>");
		return;
	}
	if (secs < 0) {
		snprintf(buf, n, "0s");
		return;
	}
	if (secs < 120) {
		snprintf(buf, n, "%llds", secs);
		return;
	}
	long long minutes = secs / 60;
	if (minutes < 10) {
		if (secs % 60 == 0)
			snprintf(buf, n, "%lldm", minutes);
		else
			snprintf(buf, n, "%lldm%llds", minutes, secs % 60);
		return;
	}
	if (minutes < 60 * 3) {
		snprintf(buf, n, "%lldm", minutes);
		return;
	}
	long long hours = secs / 3600;
	if (hours < 8) {
		if (minutes % 60 == 0)
			snprintf(buf, n, "%lldh", hours);
		else
			snprintf(buf, n, "%lldh%lldm", hours, minutes % 60);
	} else if (hours < 48) {
		snprintf(buf, n, "%lldh", hours);
	} else if (hours < 24 * 8) {
		if (hours % 24 == 0)
			snprintf(buf, n, "%lldd", hours / 24);
		else
			snprintf(buf, n, "%lldd%lldh", hours / 24, hours % 24);
	} else if (hours < 24 * 365 * 2) {
		snprintf(buf, n, "%lldd", hours / 24);
	} else if (hours < 24 * 365 * 8) {
		long long dy = (hours / 24) % 365;
		if (dy == 0)
			snprintf(buf, n, "%lldy", hours / 24 / 365);
		else
			snprintf(buf, n, "%lldy%lldd", hours / 24 / 365, dy);
	} else {
		snprintf(buf, n, "%lldy", hours / 24 / 365);
	}
}
