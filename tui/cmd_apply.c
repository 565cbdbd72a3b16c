/*
 * cmd_apply.c - `podium apply -f FILE|-`: kubectl apply --server-side.
 * Every document of every file is read and checked (names, labels, images,
 * quantities) before the first request; then each object is applied with
 * fieldManager=podium. A conflict lists the fields and their managers; an
 * object that fails does not stop the others, as with kubectl.
 */
#define _POSIX_C_SOURCE 200809L
#include "tui/tui.h"
#include "kube/kube.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct command cmd_apply_entry;

#define MANIFEST_MAX (64u << 20)

static int apply_one(struct kube_client *c, const struct kube_manifest_doc *d, const char *ns,
		     int force)
{
	struct kube_response r;
	struct perr e = { { 0 } };
	int rc = kube_apply(c, d, ns, force, &r, &e);
	if (rc == 0) {
		char *n = cli_kube_obj_name(d->k, d->name);
		char *safe = sanitize_text(n, strlen(n), 0);
		printf("%s serverside-applied\n", safe);
		free(safe);
		free(n);
		kube_response_free(&r);
		return EXIT_OK;
	}
	struct kube_apierror a;
	char *conflicts = NULL;
	if (r.status == 409 && kube_apierror_parse(r.body, r.len, &a) == 0) {
		conflicts = kube_apierror_conflicts(&a);
		kube_apierror_clear(&a);
	}
	if (conflicts) {
		fprintf(stderr, "podium: %s \"%s\": %s\n", d->kind, d->name, conflicts);
		free(conflicts);
	} else {
		cli_kube_fail(&e, &r);
	}
	kube_response_free(&r);
	return EXIT_FAIL;
}

static int cmd_apply(struct app *app, int argc, char **argv)
{
	const char **files = xcalloc((size_t)argc + 1, sizeof *files);
	size_t nfiles = 0;
	int force = 0, rc = EXIT_FAIL;
	struct kube_manifest *ms = xcalloc((size_t)argc + 1, sizeof *ms);
	struct kube_client *c = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-f") == 0 || strcmp(a, "--filename") == 0) {
			if (i + 1 >= argc) {
				rc = cli_usage(&cmd_apply_entry, "%s needs a file name (or - for standard input)", a);
				goto out;
			}
			files[nfiles++] = argv[++i];
		} else if (strncmp(a, "--filename=", 11) == 0) {
			files[nfiles++] = a + 11;
		} else if (strncmp(a, "-f", 2) == 0 && a[2]) {
			files[nfiles++] = a + 2;
		} else if (strcmp(a, "--force-conflicts") == 0) {
			force = 1;
		} else if (strcmp(a, "--server-side") == 0) {
			/* always server-side; accepted for kubectl's muscle memory */
		} else {
			rc = cli_usage(&cmd_apply_entry, "unexpected argument '%s'", a);
			goto out;
		}
	}
	if (!nfiles) {
		rc = cli_usage(&cmd_apply_entry, "apply needs -f FILE (or -f - for standard input)");
		goto out;
	}
	if (cli_kube_readonly(app, "apply"))
		goto out;
	/* Read and check everything before the first request. */
	for (size_t f = 0; f < nfiles; f++) {
		struct perr e = { { 0 } };
		const char *path = strcmp(files[f], "-") == 0 ? "/dev/stdin" : files[f];
		const char *label = strcmp(files[f], "-") == 0 ? "standard input" : files[f];
		char *text;
		size_t len;
		if (read_file(path, MANIFEST_MAX, &text, &len, &e) < 0) {
			cli_error("%s", e.msg);
			goto out;
		}
		int ok = kube_manifest_parse(label, text, len, &ms[f], &e);
		free(text);
		if (ok < 0) {
			cli_error("%s", e.msg);
			goto out;
		}
		for (size_t i = 0; i < ms[f].n; i++) {
			const struct kube_manifest_doc *d = &ms[f].docs[i];
			if (!d->k) {
				cli_error("%s, line %zu: %s \"%s\": podium does not know kind %s of %s", label,
					  d->line, d->kind, d->name, d->kind, d->api_version);
				goto out;
			}
			if (kube_manifest_validate(d, &e) < 0) {
				cli_error("%s, line %zu: %s", label, d->line, e.msg);
				goto out;
			}
			if (app->g.namespace && d->namespace && d->k->namespaced &&
			    strcmp(app->g.namespace, d->namespace) != 0) {
				cli_error("the namespace from the provided object \"%s\" does not match the "
					  "namespace \"%s\". You must pass '--namespace=%s' to perform this operation.",
					  d->namespace, app->g.namespace, d->namespace);
				goto out;
			}
		}
	}
	c = cli_kube_connect(app);
	if (!c)
		goto out;
	rc = EXIT_OK;
	for (size_t f = 0; f < nfiles; f++)
		for (size_t i = 0; i < ms[f].n; i++)
			if (apply_one(c, &ms[f].docs[i], cli_kube_namespace(c), force) != EXIT_OK)
				rc = EXIT_FAIL;
out:
	kube_client_free(c);
	for (size_t f = 0; f < nfiles; f++)
		kube_manifest_clear(&ms[f]);
	free(ms);
	free(files);
	return rc;
}

const struct command cmd_apply_entry = {
	.name = "apply",
	.args = "-f FILE|- [-f FILE...] [--force-conflicts]",
	.summary = "server-side apply of YAML or JSON manifests",
	.help = "Apply every object of the files (several documents each; - reads standard\n"
		"input) with server-side apply as field manager \"podium\". Names, labels,\n"
		"images and quantities are checked before any request. When another manager\n"
		"owns a field the object sets, the conflict lists the fields and managers;\n"
		"--force-conflicts takes the fields over.",
	.kube_globals = 1,
	.fn = cmd_apply,
};
