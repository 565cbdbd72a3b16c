/*
 * cli.c - what the headless commands share for talking to the user: error
 * lines on stderr, usage errors, help.
 */
#include "tui/tui.h"
#include "kube/kube.h"

#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* fmt and ap formatted, then stripped of whatever a terminal acts on: the
 * arguments are often names and messages from the cluster (or from a
 * script that took them from one). Errors may span lines. */
static void put_clean(const char *fmt, va_list ap)
{
	char *raw = xvasprintf(fmt, ap);
	char *clean = sanitize_text(raw, strlen(raw), 1);
	fputs(clean, stderr);
	free(clean);
	free(raw);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("podium: ", stderr);
	put_clean(fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int cli_usage(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("podium: ", stderr);
	put_clean(fmt, ap);
	va_end(ap);
	if (cmd)
		fprintf(stderr, " (see `podium %s --help`)\n", cmd->name);
	else
		fputs(" (see `podium --help`)\n", stderr);
	return EXIT_USAGE;
}

int cli_is_help(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

void cli_print_help(const struct command *cmd)
{
	printf("usage: podium %s %s\n\n%s\n", cmd->name, cmd->args, cmd->help);
}

struct kube_client *cli_connect(struct app *app, struct perr *e)
{
	struct kube_config_opts o = {
		.kubeconfig = app->g.kubeconfig,
		.context = app->g.context,
		.namespace = app->g.namespace,
	};
	struct kube_conn *conn = kube_conn_load(&o, e);
	if (!conn)
		return NULL;
	struct kube_client_opts co = { .timeout_ms = 0, .log_file = app->g.log_file };
	struct perr de = { { 0 } };
	if (app->g.request_timeout && kube_parse_duration(app->g.request_timeout, &co.timeout_ms, &de) < 0) {
		perr_set(e, "--request-timeout: %s", de.msg);
		kube_conn_free(conn);
		return NULL;
	}
	struct kube_client *c = kube_client_new(conn, &co, e);
	if (c && kube_client_warning(c))
		cli_error("warning: %s", kube_client_warning(c));
	return c;
}


char *cli_model_label(const char *path)
{
	char *copy = xstrdup(path);
	char *base = xstrdup(basename(copy));
	free(copy);
	char *dot = strrchr(base, '.');
	if (dot && dot != base)
		*dot = '\0';
	for (char *p = base; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			*p = '-';
	if (strlen(base) > 63)
		base[63] = '\0';
	return base;
}

int cli_parse_agreement(const char *s, double *fraction)
{
	/* Digits with one optional point, read as m / 10^k exactly (strtod
	 * would take "inf", hex and spaces, and round 99.9 before the
	 * division by 100): one division by an exact power of ten gives the
	 * double nearest the share, as an agreement count / n is, so the two
	 * compare as the exact values do. */
	static const double p10[] = {1e0, 1e1,	1e2,  1e3,  1e4,  1e5,
				     1e6, 1e7,	1e8,  1e9,  1e10, 1e11,
				     1e12, 1e13, 1e14, 1e15, 1e16, 1e17};
	size_t n = strlen(s);
	int pct = n > 0 && s[n - 1] == '%', point = 0, digits = 0, k = 0;
	unsigned long long m = 0;
	if (pct)
		n--;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.' && !point) {
			point = 1;
			continue;
		}
		if (s[i] < '0' || s[i] > '9' || ++digits > 15)
			return -1;
		m = m * 10 + (unsigned long long)(s[i] - '0');
		k += point;
	}
	if (!digits)
		return -1;
	/* over 1 (m > 10^k) is a percentage even without the sign */
	if (!pct && (double)m > p10[k])
		pct = 1;
	if (pct && (double)m > 100 * p10[k])
		return -1;
	*fraction = (double)m / p10[k + 2 * pct];
	return 0;
}
