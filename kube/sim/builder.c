/*
 * builder.c - image builds on the simulated cluster. When the kubelet
 * admits the pod of a `podium build` Job (a BuildKit or kaniko builder
 * container, the init container that reassembles the context), the build
 * is really done: the ConfigMaps of the pod's projected volume are read,
 * their model.safetensors.NNN chunks concatenated in name order (as the
 * init container's `cat /chunks/model.safetensors.*` does), checked
 * against the checksum in its command, and loaded with the engine. The
 * containers then log what the real programs log and exit as they would:
 * a lost chunk or a wrong checksum fails the init container (so the Job
 * fails as the Job controller fails it), a file that is no model fails
 * the builder, and a good one is pushed into the simulated registry when
 * the builder container exits 0.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube.h"
#include "kube/sim/world.h"
#include "model/model.h"

/* The builders recognised, by normalised repository. */
static const struct builder_kind {
	const char *repo;
	int kaniko;
} builder_kinds[] = {
	{"docker.io/moby/buildkit", 0},
	{"gcr.io/kaniko-project/executor", 1},
	{NULL, 0},
};

/* A build whose image is pushed when its builder exits 0: pod uid ->
 * struct pending. */
struct pending {
	char *ref;
	char *ctr; /* the builder container's name */
	void *model;
	size_t len;
};

struct sim_builds {
	struct smap pending;
};

static void pending_free(void *p)
{
	struct pending *b = p;
	if (!b)
		return;
	free(b->ref);
	free(b->ctr);
	free(b->model);
	free(b);
}

struct sim_builds *sim_builds_new(void)
{
	struct sim_builds *b = xcalloc(1, sizeof *b);
	smap_init(&b->pending, pending_free);
	return b;
}

void sim_builds_free(struct sim_builds *b)
{
	if (!b)
		return;
	smap_free(&b->pending);
	free(b);
}

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Which builder an image is: the table entry, or NULL. */
static const struct builder_kind *builder_of(const char *image)
{
	char *norm = sim_image_normalize(image);
	const struct builder_kind *found = NULL;
	for (const struct builder_kind *b = builder_kinds; norm && b->repo;
	     b++) {
		size_t n = strlen(b->repo);
		if (!strncmp(norm, b->repo, n) &&
		    (norm[n] == ':' || norm[n] == '@'))
			found = b;
	}
	free(norm);
	return found;
}

/* The reference the builder pushes: BuildKit's --output
 * type=image,name=REF,push=true, kaniko's --destination=REF (or
 * --destination REF, -d REF). Caller frees; NULL when none. */
char *sim_builder_ref(const json_t *ctr, int kaniko)
{
	json_t *args = json_object_get(ctr, "args");
	size_t n = json_array_size(args);
	for (size_t i = 0; i < n; i++) {
		const char *a = json_string_value(json_array_get(args, i));
		const char *next =
			i + 1 < n
				? json_string_value(json_array_get(args, i + 1))
				: NULL;
		if (!a)
			continue;
		if (kaniko) {
			if (!strncmp(a, "--destination=", 14))
				return xstrdup(a + 14);
			if ((!strcmp(a, "--destination") || !strcmp(a, "-d")) &&
			    next)
				return xstrdup(next);
			continue;
		}
		const char *out = !strncmp(a, "--output=", 9) ? a + 9
				  : !strcmp(a, "--output") || !strcmp(a, "-o")
					  ? next
					  : NULL;
		if (!out)
			continue;
		const char *name = strstr(out, "name=");
		if (!name || (name != out && name[-1] != ','))
			continue;
		name += 5;
		return xstrndup(name, strcspn(name, ","));
	}
	return NULL;
}

/* The 64 hex digits the init container's `echo 'SHA  FILE' | sha256sum
 * -c -` checks against, into out[65]; -1 when its command has none. */
int sim_builder_checksum(const json_t *init, char out[65])
{
	json_t *parts[2] = {json_object_get(init, "command"),
			    json_object_get(init, "args")};
	for (int p = 0; p < 2; p++) {
		size_t i;
		json_t *v;
		json_array_foreach(parts[p], i, v)
		{
			const char *s = json_string_value(v);
			const char *at = s ? strstr(s, "sha256sum") : NULL;
			if (!at)
				continue;
			/* The digest is the last run of 64 hex digits before
			 * it. */
			for (const char *q = at; q - s >= 64; q--) {
				const char *st = q - 64;
				if (strspn(st, "0123456789abcdef") >= 64 &&
				    (st == s ||
				     !strchr("0123456789abcdef", st[-1]))) {
					memcpy(out, st, 64);
					out[64] = '\0';
					return 0;
				}
			}
		}
	}
	return -1;
}

struct chunk {
	const char *key; /* borrowed from the ConfigMap */
	const char *b64;
};

static int chunk_cmp(const void *a, const void *b)
{
	return strcmp(((const struct chunk *)a)->key,
		      ((const struct chunk *)b)->key);
}

/* Steps of a container's simulated run: echo lines with pauses. */
static void step(struct ctr *c, char op, long long ms, int code,
		 const char *text)
{
	c->sh = xrealloc(c->sh, (size_t)(c->nsh + 1) * sizeof *c->sh);
	c->sh[c->nsh++] =
		(struct sh_step){op, ms, code, text ? xstrdup(text) : NULL};
}

static void say(struct ctr *c, long long pause_ms, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(struct ctr *c, long long pause_ms, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *t = xvasprintf(fmt, ap);
	va_end(ap);
	if (pause_ms)
		step(c, 's', pause_ms, 0, NULL);
	step(c, 'e', 0, 0, t);
	free(t);
}

/* Forget what the kubelet read from the command; the build decides. */
static void script_reset(struct ctr *c)
{
	for (int i = 0; i < c->nsh; i++)
		free(c->sh[i].text);
	free(c->sh);
	c->sh = NULL;
	c->nsh = 0;
	c->loop_at = -1;
}

/* End the script with exit code; the run lasts as long as its pauses. */
static void script_exit(struct ctr *c, int code)
{
	step(c, 'x', 0, code, NULL);
	long long t = 0;
	for (int i = 0; i < c->nsh; i++)
		if (c->sh[i].op == 's')
			t += c->sh[i].ms;
	c->prog = PROG_EXIT;
	c->exit_code = code;
	c->run_ms = t + 100;
	c->log_style = LOG_NONE;
}

/* The builder's log: BuildKit's progress or kaniko's, ending in the push. */
static void builder_log(struct ctr *c, int kaniko, const char *ref,
			const char *base, size_t len, const char *sha,
			const char *fail)
{
	if (kaniko) {
		say(c, 0, "INFO[0000] Retrieving image manifest %s", base);
		say(c, 200, "INFO[0000] Retrieving image %s from registry",
		    base);
		say(c, 300, "INFO[0001] Built cross stage deps: map[]");
		say(c, 0, "INFO[0001] Executing 0 build triggers");
		say(c, 0,
		    "INFO[0001] Building stage '%s' [idx: '0', base-idx: '-1']",
		    base);
		say(c, 100,
		    "INFO[0001] COPY model.safetensors " KUBE_MODEL_PATH);
		if (fail) {
			say(c, 200, "error building image: %s", fail);
			return;
		}
		say(c, 200, "INFO[0002] Taking snapshot of files...");
		say(c, 100, "INFO[0002] USER 10001");
		say(c, 0, "INFO[0002] EXPOSE 8080");
		say(c, 0, "INFO[0002] ENTRYPOINT [\"podium\", \"serve\"]");
		say(c, 100, "INFO[0002] Pushing image to %s", ref);
		say(c, 400, "INFO[0003] Pushed %s@sha256:%.64s", ref, sha);
		return;
	}
	say(c, 0, "#1 [internal] load build definition from Dockerfile");
	say(c, 100, "#1 transferring dockerfile: 243B done");
	say(c, 0, "#1 DONE 0.0s");
	say(c, 100, "#2 [internal] load metadata for %s", base);
	say(c, 300, "#2 DONE 0.3s");
	say(c, 0, "#3 [internal] load .dockerignore");
	say(c, 0, "#3 DONE 0.0s");
	say(c, 100, "#4 [internal] load build context");
	say(c, 100, "#4 transferring context: %.1fMB done", (double)len / 1e6);
	say(c, 0, "#4 DONE 0.1s");
	say(c, 0, "#5 [1/2] FROM %s", base);
	say(c, 200, "#5 DONE 0.2s");
	say(c, 0, "#6 [2/2] COPY model.safetensors " KUBE_MODEL_PATH);
	if (fail) {
		say(c, 100, "#6 ERROR: %s", fail);
		say(c, 0, "error: failed to solve: %s", fail);
		return;
	}
	say(c, 100, "#6 DONE 0.1s");
	say(c, 0, "#7 exporting to image");
	say(c, 100, "#7 exporting layers 0.1s done");
	say(c, 0, "#7 exporting manifest sha256:%.64s done", sha);
	say(c, 0, "#7 naming to %s done", ref);
	say(c, 200, "#7 pushing layers 0.4s done");
	say(c, 100, "#7 pushing manifest for %s@sha256:%.64s", ref, sha);
	say(c, 100, "#7 pushing manifest for %s@sha256:%.64s 0.1s done", ref,
	    sha);
	say(c, 0, "#7 DONE 0.9s");
}

/* Read the chunks of the projected volume into one buffer (caller frees),
 * the Dockerfile's FROM into base. *missing names the first chunk not
 * there (a gap in the numbering, or 000 when there is none). */
static char *gather(struct sim *s, const char *ns, const json_t *spec,
		    size_t *len, char *base, size_t nbase, char *missing,
		    size_t nmissing)
{
	const struct sim_kind *cmk = sim_kind_find("", "configmaps");
	struct chunk *ch = NULL;
	size_t n = 0;
	size_t i;
	json_t *vol;
	*missing = '\0';
	json_array_foreach(json_object_get(spec, "volumes"), i, vol)
	{
		size_t j;
		json_t *src;
		json_array_foreach(
			json_object_get(json_object_get(vol, "projected"),
					"sources"),
			j, src)
		{
			const char *name =
				jstr(json_object_get(src, "configMap"), "name");
			json_t *cm =
				name ? sim_store_get(s, cmk, ns, name) : NULL;
			if (!cm)
				continue;
			const char *key;
			json_t *v;
			json_object_foreach(json_object_get(cm, "binaryData"),
					    key, v)
			{
				if (strncmp(key, "model.safetensors.", 18) ||
				    !json_is_string(v))
					continue;
				ch = xrealloc(ch, (n + 1) * sizeof *ch);
				ch[n++] = (struct chunk){key,
							 json_string_value(v)};
			}
			const char *df =
				jstr(json_object_get(cm, "data"), "Dockerfile");
			const char *from = df ? strstr(df, "FROM ") : NULL;
			if (from)
				snprintf(base, nbase, "%.*s",
					 (int)strcspn(from + 5, "\n "),
					 from + 5);
		}
	}
	qsort(ch, n, sizeof *ch, chunk_cmp);
	struct dbuf b;
	dbuf_init(&b, 0);
	for (size_t k = 0; k < n; k++) {
		/* Chunks are numbered from 000 without gaps. */
		char want[48];
		snprintf(want, sizeof want, "model.safetensors.%03u",
			 (unsigned)(k % 1000));
		if (strcmp(ch[k].key, want) && !*missing)
			snprintf(missing, nmissing, "%s", want);
		size_t dl = 0;
		char *d = kube_base64_decode(ch[k].b64, strlen(ch[k].b64), &dl);
		if (d)
			dbuf_append(&b, d, dl);
		free(d);
	}
	if (n == 0)
		snprintf(missing, nmissing, "model.safetensors.000");
	free(ch);
	*len = b.len;
	return dbuf_take(&b);
}

/* The hook pod_admit calls for every pod it admits (lock held): for a
 * build pod, decide its containers' runs from the real context. */
void sim_builder_admit(struct sim *s, const json_t *pod, struct pod_state *ps)
{
	json_t *spec = json_object_get(pod, "spec");
	json_t *ctrs = json_object_get(spec, "containers");
	const struct builder_kind *bk = NULL;
	json_t *bj = NULL;
	struct ctr *bc = NULL;
	for (int i = ps->ninit; i < ps->nctr && !bk; i++) {
		bk = builder_of(ps->c[i].image);
		if (bk) {
			bc = &ps->c[i];
			bj = json_array_get(ctrs, (size_t)(i - ps->ninit));
		}
	}
	if (!bk)
		return;
	char *ref = sim_builder_ref(bj, bk->kaniko);
	if (!ref)
		return;
	json_t *inits = json_object_get(spec, "initContainers");
	struct ctr *ic = NULL;
	char want[65] = "";
	for (int i = 0; i < ps->ninit; i++)
		if (sim_builder_checksum(json_array_get(inits, (size_t)i),
					 want) == 0) {
			ic = &ps->c[i];
			break;
		}
	char base[256] = SIM_RUNTIME_IMAGE, missing[64];
	size_t len = 0;
	char *bytes = gather(s, ps->ns, spec, &len, base, sizeof base, missing,
			     sizeof missing);
	char got[65];
	sha256_hex(bytes, len, got);
	int sum_ok = !ic || strcmp(got, want) == 0;
	if (ic) {
		/* As the script runs: with no chunk at all the glob stays as
		 * written and cat fails (set -e); a lost chunk is simply not
		 * in the glob, and the checksum catches it. */
		script_reset(ic);
		if (!len && *missing) {
			say(ic, 100,
			    "cat: can't open '/chunks/model.safetensors.*': No "
			    "such "
			    "file or directory");
			sum_ok = 0;
		} else {
			say(ic, 300, "/workspace/model.safetensors: %s",
			    sum_ok ? "OK" : "FAILED");
			if (!sum_ok)
				say(ic, 0,
				    "sha256sum: WARNING: 1 of 1 computed "
				    "checksums did NOT "
				    "match");
		}
		script_exit(ic, sum_ok ? 0 : 1);
	}
	struct perr e = {{0}};
	struct model *m = NULL;
	char fail[600] = "";
	if (sim_model_from_bytes(bytes, len, &m, &e) < 0)
		snprintf(fail, sizeof fail,
			 "model.safetensors is not a model podium serves: %s",
			 e.msg);
	model_free(m);
	script_reset(bc);
	builder_log(bc, bk->kaniko, ref, base, len, got, *fail ? fail : NULL);
	script_exit(bc, *fail ? 1 : 0);
	if (!*fail && sum_ok) {
		struct pending *p = xcalloc(1, sizeof *p);
		p->ref = ref;
		p->ctr = xstrdup(bc->name);
		p->model = bytes;
		p->len = len;
		smap_put(&sim_world(s)->builds->pending, ps->uid, p);
		return;
	}
	free(ref);
	free(bytes);
}

/* The hook terminate() calls when a container exits (lock held): a
 * builder that exits 0 has pushed its image. */
void sim_builder_exited(struct sim *s, struct pod_state *ps,
			const struct ctr *c, int code)
{
	struct smap *pm = &sim_world(s)->builds->pending;
	struct pending *p = smap_get(pm, ps->uid);
	if (!p || strcmp(p->ctr, c->name))
		return;
	if (code == 0)
		sim_registry_put(s, p->ref, p->model, p->len);
	smap_del(pm, ps->uid);
}
