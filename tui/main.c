/*
 * main.c - podium's entry point: global options, then dispatch through the
 * command table to one subcommand (or the dashboard when there is none).
 */
#define _POSIX_C_SOURCE 200809L
#include "tui/tui.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

/* Global options: kubectl's flags, accepted before or after the command
 * name for commands that talk to a cluster. */
struct global_spec {
	const char *lng;
	char shrt;
	int has_arg;
	size_t off;
};

#define G(f) offsetof(struct global_opts, f)
static const struct global_spec global_specs[] = {
	{ "kubeconfig", 0, 1, G(kubeconfig) },
	{ "context", 0, 1, G(context) },
	{ "namespace", 'n', 1, G(namespace) },
	{ "all-namespaces", 'A', 0, G(all_namespaces) },
	{ "selector", 'l', 1, G(selector) },
	{ "output", 'o', 1, G(output) },
	{ "request-timeout", 0, 1, G(request_timeout) },
	{ "theme", 0, 1, G(theme) },
	{ "log-file", 'v', 1, G(log_file) },
	{ "readonly", 0, 0, G(readonly) },
	{ "sim", 0, 0, G(sim) },
	{ NULL, 0, 0, 0 },
};
#undef G

/* Match argv[*i] against the global options; on a match store the value,
 * advance *i past it and return 1; 0 if it is not a global option; -1 on a
 * missing value. */
static int take_global(struct global_opts *g, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	for (const struct global_spec *s = global_specs; s->lng; s++) {
		const char *val = NULL;
		int matched = 0;
		size_t ln = strlen(s->lng);
		if (a[0] == '-' && a[1] == '-' && strncmp(a + 2, s->lng, ln) == 0 &&
		    (a[2 + ln] == '\0' || a[2 + ln] == '=')) {
			matched = 1;
			if (a[2 + ln] == '=')
				val = a + 3 + ln;
		} else if (s->shrt && a[0] == '-' && a[1] == s->shrt) {
			matched = 1;
			if (a[2])
				val = a + 2;
		}
		if (!matched)
			continue;
		if (!s->has_arg) {
			if (val)
				return 0;
			*(int *)((char *)g + s->off) = 1;
			(*i)++;
			return 1;
		}
		if (!val) {
			if (*i + 1 >= argc)
				return -1;
			val = argv[++*i];
		}
		*(const char **)((char *)g + s->off) = val;
		(*i)++;
		return 1;
	}
	return 0;
}

static void print_main_help(void)
{
	printf("usage: podium [--sim] [global options]            the dashboard\n"
	       "       podium COMMAND [options] [global options]\n\n"
	       "Commands:\n");
	for (const struct command *const *c = commands; *c; c++)
		printf("  %-10s %s\n", (*c)->name, (*c)->summary);
	printf("\nGlobal options (cluster commands):\n"
	       "  --kubeconfig FILE  --context NAME  -n, --namespace NS\n"
	       "  -A, --all-namespaces  -l, --selector SEL  -o, --output FORMAT\n"
	       "  --request-timeout DURATION  --theme NAME  --readonly  --sim\n"
	       "  -v, --log-file FILE (debug log, credentials redacted)\n\n"
	       "`podium COMMAND --help` describes a command; man podium is the reference.\n");
}

static const struct command *find_command(const char *name)
{
	for (const struct command *const *c = commands; *c; c++)
		if (strcmp((*c)->name, name) == 0)
			return *c;
	return NULL;
}

/* Tokens, client keys and passwords live in this process's memory while it
 * talks to a cluster: as ssh-agent does, make the process non-dumpable (no
 * core file, and no other process of the same user may ptrace it or read
 * /proc/PID/mem) and set its core size limit to zero for kernels that dump
 * non-dumpable processes anyway (fs.suid_dumpable=2). */
static void protect_memory(void)
{
	struct rlimit no_core = { 0, 0 };
	setrlimit(RLIMIT_CORE, &no_core);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

int main(int argc, char **argv)
{
	protect_memory();
	struct app app;
	memset(&app, 0, sizeof app);
	app.argv0 = argv[0];

	/* Find the command: the first argument that is not a global option. */
	int i = 1;
	while (i < argc) {
		int r = take_global(&app.g, argc, argv, &i);
		if (r < 0)
			return cli_usage(NULL, "option %s needs a value", argv[i]);
		if (r == 0)
			break;
	}
	if (i < argc && (cli_is_help(argv[i]) || strcmp(argv[i], "help") == 0)) {
		if (strcmp(argv[i], "help") == 0 && i + 1 < argc) {
			const struct command *c = find_command(argv[i + 1]);
			if (!c)
				return cli_usage(NULL, "unknown command '%s'", argv[i + 1]);
			cli_print_help(c);
			return EXIT_OK;
		}
		print_main_help();
		return EXIT_OK;
	}
	if (i < argc && strcmp(argv[i], "--version") == 0)
		return find_command("version")->fn(&app, 1, (char *[]){ "version", NULL });
	if (i >= argc) {
		const struct command *dash = find_command("dashboard");
		if (!dash) {
			print_main_help();
			return EXIT_USAGE;
		}
		return dash->fn(&app, 1, (char *[]){ "dashboard", NULL });
	}
	/* `podium -c pods`: the dashboard's own option, as k9s takes it. */
	int implicit = !strcmp(argv[i], "-c") || !strcmp(argv[i], "--command");
	if (argv[i][0] == '-' && !implicit)
		return cli_usage(NULL, "unknown option '%s'", argv[i]);

	const struct command *cmd = find_command(implicit ? "dashboard" : argv[i]);
	if (!cmd)
		return cli_usage(NULL, "unknown command '%s'", argv[i]);

	/* The command's own argv; global options after the name are taken out
	 * only for cluster commands (model commands have their own -o). */
	char **cargv = xcalloc((size_t)argc + 1, sizeof *cargv);
	int cargc = 0;
	cargv[cargc++] = implicit ? (char *)cmd->name : argv[i++];
	while (i < argc) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < argc)
				cargv[cargc++] = argv[i++];
			break;
		}
		if (cli_is_help(argv[i])) {
			cli_print_help(cmd);
			free(cargv);
			return EXIT_OK;
		}
		if (cmd->kube_globals) {
			int r = take_global(&app.g, argc, argv, &i);
			if (r < 0) {
				free(cargv);
				return cli_usage(cmd, "option %s needs a value", argv[i]);
			}
			if (r > 0)
				continue;
		}
		cargv[cargc++] = argv[i++];
	}
	cargv[cargc] = NULL;
	int rc = cmd->fn(&app, cargc, cargv);
	free(cargv);
	return rc;
}
