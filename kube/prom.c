/*
 * prom.c - what the dashboard reads from a model server's /metrics
 * (Prometheus text exposition format 0.0.4, as `podium serve` writes it):
 * the inference requests answered (podium_requests_total of the infer and
 * v1_predict endpoints) and the podium_inference_duration_seconds
 * histogram, and Prometheus' histogram_quantile over the difference of two
 * scrapes. The text comes from pods through the API server's proxy, so it
 * is outside input: lines are bounded, labels parsed strictly, and what is
 * not understood is skipped rather than trusted.
 */
#define _POSIX_C_SOURCE 200809L
#include "kube/kube.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_BYTES 4096 /* a sample line longer than this is skipped */

/* The value of label key in the {…} text lab (n bytes), unescaped into out
 * (size outn). 1 found, 0 absent, -1 malformed. */
static int label_value(const char *lab, size_t n, const char *key, char *out, size_t outn)
{
	size_t i = 0, klen = strlen(key);
	int found = 0;
	while (i < n) {
		while (i < n && (lab[i] == ' ' || lab[i] == ','))
			i++;
		if (i >= n)
			break;
		size_t ks = i;
		while (i < n && lab[i] != '=')
			i++;
		if (i + 1 >= n || lab[i + 1] != '"')
			return -1;
		int match = i - ks == klen && memcmp(lab + ks, key, klen) == 0;
		i += 2;
		size_t o = 0;
		while (i < n && lab[i] != '"') {
			char ch = lab[i++];
			if (ch == '\\') {
				if (i >= n)
					return -1;
				ch = lab[i] == 'n' ? '\n' : lab[i];
				i++;
			}
			if (match && o + 1 < outn)
				out[o++] = ch;
		}
		if (i >= n)
			return -1;
		i++; /* the closing quote */
		if (match) {
			out[o] = '\0';
			found = 1;
		}
	}
	return found;
}

/* A sample value: Go's ParseFloat forms, +Inf, -Inf, NaN. 0 / -1. */
static int sample_value(const char *s, size_t n, double *v)
{
	char buf[64];
	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (!strcmp(buf, "+Inf") || !strcmp(buf, "Inf")) {
		*v = INFINITY;
		return 0;
	}
	if (!strcmp(buf, "-Inf")) {
		*v = -INFINITY;
		return 0;
	}
	if (!strcmp(buf, "NaN")) {
		*v = NAN;
		return 0;
	}
	char *end;
	*v = strtod(buf, &end);
	return *end ? -1 : 0;
}

static void add_bucket(struct kube_prom_scrape *s, double le, double count)
{
	for (int i = 0; i < s->nbuckets; i++)
		if (s->le[i] == le) {
			s->count[i] += count; /* the same bound twice: summed */
			return;
		}
	if (s->nbuckets == KUBE_PROM_MAX_BUCKETS)
		return;
	int i = s->nbuckets++;
	/* keep the bounds ascending */
	while (i > 0 && s->le[i - 1] > le) {
		s->le[i] = s->le[i - 1];
		s->count[i] = s->count[i - 1];
		i--;
	}
	s->le[i] = le;
	s->count[i] = count;
}

/* One sample line: name, the label text, the value. */
static void sample_line(struct kube_prom_scrape *s, const char *line, size_t n)
{
	size_t i = 0;
	while (i < n && line[i] != '{' && line[i] != ' ' && line[i] != '\t')
		i++;
	size_t name_len = i;
	const char *lab = "";
	size_t lab_len = 0;
	if (i < n && line[i] == '{') {
		size_t ls = ++i;
		int inq = 0;
		while (i < n && (inq || line[i] != '}')) {
			if (line[i] == '\\' && inq)
				i++;
			else if (line[i] == '"')
				inq = !inq;
			i++;
		}
		if (i >= n)
			return;
		lab = line + ls;
		lab_len = i - ls;
		i++;
	}
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	size_t vs = i;
	while (i < n && line[i] != ' ' && line[i] != '\t')
		i++;
	double v;
	if (sample_value(line + vs, i - vs, &v) < 0 || isnan(v))
		return;
	char val[64];
#define IS(str) (name_len == strlen(str) && memcmp(line, str, name_len) == 0)
	if (IS("podium_requests_total")) {
		if (label_value(lab, lab_len, "endpoint", val, sizeof val) != 1)
			return;
		if (strcmp(val, "infer") && strcmp(val, "v1_predict"))
			return;
		s->requests += v;
		s->found |= KUBE_PROM_HAS_REQUESTS;
		char code[16];
		if (label_value(lab, lab_len, "code", code, sizeof code) == 1 && code[0] != '2')
			s->errors += v;
	} else if (IS("podium_inference_duration_seconds_bucket")) {
		double le;
		if (label_value(lab, lab_len, "le", val, sizeof val) != 1 ||
		    sample_value(val, strlen(val), &le) < 0 || isnan(le))
			return;
		add_bucket(s, le, v);
		s->found |= KUBE_PROM_HAS_HISTOGRAM;
	} else if (IS("podium_inference_duration_seconds_count")) {
		s->hist_count += v;
	} else if (IS("podium_inference_duration_seconds_sum")) {
		s->hist_sum += v;
	}
#undef IS
}

int kube_prom_parse(const char *text, size_t len, struct kube_prom_scrape *out, struct perr *e)
{
	memset(out, 0, sizeof *out);
	size_t i = 0;
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - text) : len;
		size_t n = end - i;
		const char *line = text + i;
		while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
			n--;
		while (n && (*line == ' ' || *line == '\t')) {
			line++;
			n--;
		}
		if (n && n <= LINE_MAX_BYTES && line[0] != '#')
			sample_line(out, line, n);
		i = end + 1;
	}
	if (!out->found) {
		perr_set(e, "no podium_requests_total or podium_inference_duration_seconds in the metrics");
		return -1;
	}
	return 0;
}

double kube_prom_quantile(double q, const double *le, const double *count, int n)
{
	/* Prometheus' histogram_quantile: find the bucket holding rank
	 * q * total and interpolate linearly inside it; the +Inf bucket
	 * answers the highest finite bound. */
	if (n < 1 || !isinf(le[n - 1]) || q < 0 || q > 1)
		return NAN;
	double total = count[n - 1];
	if (!(total > 0))
		return NAN;
	double rank = q * total;
	int b = 0;
	while (b < n - 1 && count[b] < rank)
		b++;
	if (b == n - 1)
		return n >= 2 ? le[n - 2] : NAN;
	double lower = b == 0 ? 0 : le[b - 1];
	double below = b == 0 ? 0 : count[b - 1];
	double in = count[b] - below;
	if (b == 0 && le[0] <= 0)
		return le[0];
	if (!(in > 0))
		return le[b];
	return lower + (le[b] - lower) * (rank - below) / in;
}

int kube_prom_delta(const struct kube_prom_scrape *prev, const struct kube_prom_scrape *cur,
		    struct kube_prom_scrape *out)
{
	memset(out, 0, sizeof *out);
	/* A counter that went down means the server restarted: the new
	 * values are all that happened since. */
	int reset = cur->requests < prev->requests || cur->hist_count < prev->hist_count;
	const struct kube_prom_scrape *base = reset ? NULL : prev;
	out->found = cur->found;
	out->requests = cur->requests - (base ? base->requests : 0);
	out->errors = cur->errors - (base ? base->errors : 0);
	out->hist_count = cur->hist_count - (base ? base->hist_count : 0);
	out->hist_sum = cur->hist_sum - (base ? base->hist_sum : 0);
	for (int i = 0; i < cur->nbuckets; i++) {
		double before = 0;
		for (int j = 0; base && j < base->nbuckets; j++)
			if (base->le[j] == cur->le[i])
				before = base->count[j];
		add_bucket(out, cur->le[i], cur->count[i] - before > 0 ? cur->count[i] - before : 0);
	}
	return reset;
}

void kube_prom_add(struct kube_prom_scrape *sum, const struct kube_prom_scrape *s)
{
	sum->found |= s->found;
	sum->requests += s->requests;
	sum->errors += s->errors;
	sum->hist_count += s->hist_count;
	sum->hist_sum += s->hist_sum;
	for (int i = 0; i < s->nbuckets; i++)
		add_bucket(sum, s->le[i], s->count[i]);
}
