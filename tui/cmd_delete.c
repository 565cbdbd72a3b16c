/*
 * cmd_delete.c - `podium delete KIND NAME...`: kubectl delete with
 * --cascade background (the default), foreground or orphan.
 */
#define _POSIX_C_SOURCE 200809L
#include "tui/tui.h"
#include "kube/kube.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct command cmd_delete_entry;

static int cmd_delete(struct app *app, int argc, char **argv)
{
	enum kube_propagation prop = KUBE_PROP_BACKGROUND;
	char **pos = xcalloc((size_t)argc + 1, sizeof *pos);
	size_t npos = 0;
	int rc = EXIT_FAIL;
	struct kube_client *c = NULL;
	char *kind_arg = NULL;
	for (int i = 1; i < argc; i++) {
		const char *v = NULL;
		if (strcmp(argv[i], "--cascade") == 0) {
			if (i + 1 >= argc) {
				rc = cli_usage(&cmd_delete_entry, "--cascade needs background, foreground or orphan");
				goto out;
			}
			v = argv[++i];
		} else if (strncmp(argv[i], "--cascade=", 10) == 0) {
			v = argv[i] + 10;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			rc = cli_usage(&cmd_delete_entry, "unknown option '%s'", argv[i]);
			goto out;
		} else {
			pos[npos++] = argv[i];
		}
		if (v && kube_propagation_parse(v, &prop) < 0) {
			rc = cli_usage(&cmd_delete_entry, "--cascade must be background, foreground or orphan, not '%s'", v);
			goto out;
		}
	}
	if (npos < 1) {
		rc = cli_usage(&cmd_delete_entry, "delete needs a resource type and a name");
		goto out;
	}
	kind_arg = xstrdup(pos[0]);
	char **names = pos + 1;
	size_t n = npos - 1;
	char *slash = strchr(kind_arg, '/');
	if (slash) { /* KIND/NAME */
		*slash = '\0';
		pos[0] = slash + 1;
		names = pos;
		n = npos;
	}
	if (!n) {
		rc = cli_usage(&cmd_delete_entry, "delete needs the name of the %s to delete", kind_arg);
		goto out;
	}
	const struct kube_kind *k = kube_kind_find(kind_arg);
	if (!k) {
		cli_error("the server doesn't have a resource type \"%s\"", kind_arg);
		goto out;
	}
	if (cli_kube_readonly(app, "delete"))
		goto out;
	c = cli_kube_connect(app);
	if (!c)
		goto out;
	rc = EXIT_OK;
	char res[128];
	kube_kind_resource(k, res, sizeof res);
	for (size_t i = 0; i < n; i++) {
		struct kube_response r;
		struct perr e = { { 0 } };
		if (kube_delete(c, k, cli_kube_namespace(c), names[i], prop, &r, &e) == 0) {
			char *safe = sanitize_text(names[i], strlen(names[i]), 0);
			printf("%s \"%s\" deleted\n", res, safe);
			free(safe);
		} else {
			rc = cli_kube_fail(&e, &r);
		}
		kube_response_free(&r);
	}
out:
	kube_client_free(c);
	free(kind_arg);
	free(pos);
	return rc;
}

const struct command cmd_delete_entry = {
	.name = "delete",
	.args = "KIND NAME... | KIND/NAME [--cascade background|foreground|orphan]",
	.summary = "delete objects, as kubectl delete",
	.help = "Delete the named objects. --cascade says what happens to what they own:\n"
		"background (the default: the garbage collector deletes it after),\n"
		"foreground (the object goes once its dependents are gone) or orphan (they\n"
		"are left).",
	.kube_globals = 1,
	.fn = cmd_delete,
};
