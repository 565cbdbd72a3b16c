/*
 * cmdline.c - the dashboard's `:` commands: a table of names and k9s's
 * aliases, looked up and tab-completed here, acted on by dash.c.
 */
#include "tui/tui.h"

#include <string.h>

const struct dash_cmd dash_cmds[] = {
	{ "models", "model mo", CMDK_VIEW, "model deployments (labelled podium.dev/model)" },
	{ "deployments", "deploy deployment dp", CMDK_VIEW, "deployments" },
	{ "pods", "po pod", CMDK_VIEW, "pods" },
	{ "replicasets", "rs replicaset", CMDK_VIEW, "replica sets and their revisions" },
	{ "services", "svc service", CMDK_VIEW, "services" },
	{ "jobs", "job", CMDK_VIEW, "jobs (image builds)" },
	{ "events", "ev event", CMDK_VIEW, "events" },
	{ "configmaps", "cm configmap", CMDK_VIEW, "config maps" },
	{ "secrets", "secret", CMDK_VIEW, "secrets (names only)" },
	{ "nodes", "no node", CMDK_VIEW, "nodes" },
	{ "namespaces", "ns namespace", CMDK_NS, "namespaces; `:ns NAME` switches to NAME, `:ns all` to every namespace" },
	{ "contexts", "ctx context", CMDK_CTX, "kubeconfig contexts; `:ctx NAME` switches" },
	{ "help", "h", CMDK_HELP, "the keys and commands" },
	{ "quit", "q q! exit", CMDK_QUIT, "quit" },
	{ NULL, NULL, 0, NULL },
};

/* Non-zero when word is one of the space-separated words of list. */
static int in_list(const char *list, const char *word, size_t wl)
{
	const char *p = list;
	while (*p) {
		size_t len = strcspn(p, " ");
		if (len == wl && strncmp(p, word, wl) == 0)
			return 1;
		p += len;
		while (*p == ' ')
			p++;
	}
	return 0;
}

const struct dash_cmd *dash_cmd_find(const char *word)
{
	size_t wl = strcspn(word, " ");
	for (const struct dash_cmd *c = dash_cmds; c->name; c++)
		if ((strlen(c->name) == wl && strncmp(c->name, word, wl) == 0) ||
		    in_list(c->aliases, word, wl))
			return c;
	return NULL;
}

/* Consider one candidate word for completing prefix. */
static void candidate(const char *cand, size_t cl, const char *prefix, size_t pl,
		      char *best, size_t bestn, int *count)
{
	if (cl < pl || strncmp(cand, prefix, pl) != 0)
		return;
	if ((*count)++ == 0) {
		size_t n = cl < bestn - 1 ? cl : bestn - 1;
		memcpy(best, cand, n);
		best[n] = '\0';
		return;
	}
	size_t i = 0;
	while (best[i] && i < cl && best[i] == cand[i])
		i++;
	best[i] = '\0';
}

int dash_cmd_complete(char *line, size_t n)
{
	size_t pl = strlen(line);
	if (strchr(line, ' '))
		return 0; /* only the command word completes */
	char best[64] = "";
	int count = 0;
	for (const struct dash_cmd *c = dash_cmds; c->name; c++) {
		candidate(c->name, strlen(c->name), line, pl, best, sizeof best, &count);
		const char *p = c->aliases;
		while (*p) {
			size_t len = strcspn(p, " ");
			candidate(p, len, line, pl, best, sizeof best, &count);
			p += len;
			while (*p == ' ')
				p++;
		}
	}
	if (count && strlen(best) > pl && strlen(best) < n) {
		strcpy(line, best);
		if (count == 1 && strlen(line) + 1 < n)
			strcat(line, " ");
	}
	return count;
}
