/*
 * registry.c - the simulated image registry: the image references the
 * simulated kubelet can pull. It starts with a few common public images
 * (nginx, busybox, python, redis, the pause image) and Podium's runtime
 * image; later a build Job puts model-server images here, each holding the
 * bytes of its model file, which a Pod of that image then serves.
 *
 * References are normalised as Docker normalises them, so "nginx",
 * "nginx:latest", "docker.io/library/nginx" and
 * "docker.io/library/nginx:latest" are one image.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/sim/sim.h"

/* Images every simulated cluster starts with. SIM_RUNTIME_IMAGE (sim.h) is
 * Podium's runtime image: the image `podium build` bases model servers on. */
static const char *const default_images[] = {
	"nginx:latest", "nginx:1.25", "nginx:1.25.3", "nginx:1.27",
	"nginx:1.19", "nginx:1.14.2", "nginx:stable", "nginx:alpine",
	"busybox:latest", "busybox:1.36", "busybox:1.28",
	"python:latest", "python:3.12", "python:3.11", "python:3.12-slim",
	"redis:latest", "redis:7", "redis:7.2",
	"registry.k8s.io/pause:3.9", "k8s.gcr.io/pause:3.2",
	/* the builders `podium build` runs */
	"moby/buildkit:v0.16.0-rootless", "gcr.io/kaniko-project/executor:v1.23.2",
	SIM_RUNTIME_IMAGE,
	NULL,
};

struct image {
	char *ref;       /* normalised */
	char *id;        /* repo@sha256:<digest> as the runtime reports it */
	void *model;     /* owned; NULL for an ordinary image */
	size_t model_len;
};

struct sim_registry {
	struct image *v;
	size_t n, cap;
};

/* Docker's rule: the first path component is a registry host when it has
 * a '.' or a ':' or is "localhost". */
static int has_domain(const char *ref, size_t first_len)
{
	if (first_len == 9 && !strncmp(ref, "localhost", 9))
		return 1;
	for (size_t i = 0; i < first_len; i++)
		if (ref[i] == '.' || ref[i] == ':')
			return 1;
	return 0;
}

char *sim_image_normalize(const char *ref)
{
	if (!ref || !*ref)
		return NULL;
	for (const char *p = ref; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return NULL;
	const char *at = strchr(ref, '@');
	size_t name_len = at ? (size_t)(at - ref) : strlen(ref);
	if (name_len == 0)
		return NULL;
	char *name = xstrndup(ref, name_len);
	/* The tag is after the last ':' that follows the last '/'. */
	char *slash = strrchr(name, '/');
	char *colon = strrchr(slash ? slash : name, ':');
	char *tag = NULL;
	if (colon) {
		*colon = '\0';
		tag = colon + 1;
		if (!*tag) {
			free(name);
			return NULL;
		}
	}
	const char *first_slash = strchr(name, '/');
	const char *domain = "docker.io", *path = name;
	char *dom_buf = NULL;
	if (first_slash && has_domain(name, (size_t)(first_slash - name))) {
		dom_buf = xstrndup(name, (size_t)(first_slash - name));
		domain = dom_buf;
		path = first_slash + 1;
		if (!strcmp(domain, "index.docker.io"))
			domain = "docker.io";
	}
	if (!*path) {
		free(dom_buf);
		free(name);
		return NULL;
	}
	const char *lib = (!strcmp(domain, "docker.io") && !strchr(path, '/'))
				  ? "library/" : "";
	char *out;
	if (at)
		out = tag ? xasprintf("%s/%s%s:%s%s", domain, lib, path, tag, at)
			  : xasprintf("%s/%s%s%s", domain, lib, path, at);
	else
		out = xasprintf("%s/%s%s:%s", domain, lib, path,
				tag ? tag : "latest");
	free(dom_buf);
	free(name);
	return out;
}

/* A digest that stays the same for the same reference: the simulated
 * registry has no layers to hash, but clients show imageID as a digest. */
static char *image_id(const char *norm)
{
	char repo[512];
	snprintf(repo, sizeof repo, "%s", norm);
	char *slash = strrchr(repo, '/');
	char *c = strrchr(slash ? slash : repo, ':');
	if (c)
		*c = '\0';
	char hex[65];
	uint64_t h = 1469598103934665603ULL;
	for (const char *p = norm; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	for (int i = 0; i < 4; i++) {
		h ^= h >> 33;
		h *= 0xff51afd7ed558ccdULL;
		h ^= h >> 33;
		snprintf(hex + 16 * i, 17, "%016llx", (unsigned long long)h);
	}
	return xasprintf("%s@sha256:%s", repo, hex);
}

static struct image *find(struct sim_registry *r, const char *norm)
{
	for (size_t i = 0; r && i < r->n; i++)
		if (!strcmp(r->v[i].ref, norm))
			return &r->v[i];
	return NULL;
}

struct sim_registry *sim_registry_new(void)
{
	struct sim_registry *r = xcalloc(1, sizeof *r);
	for (size_t i = 0; default_images[i]; i++)
		sim_registry_add(r, default_images[i], NULL, 0);
	return r;
}

void sim_registry_free(struct sim_registry *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].ref);
		free(r->v[i].id);
		free(r->v[i].model);
	}
	free(r->v);
	free(r);
}

int sim_registry_add(struct sim_registry *r, const char *image,
		     const void *model, size_t model_len)
{
	char *norm = sim_image_normalize(image);
	if (!norm)
		return -1;
	struct image *im = find(r, norm);
	if (!im) {
		if (r->n == r->cap) {
			r->cap = r->cap ? 2 * r->cap : 32;
			r->v = xrealloc(r->v, r->cap * sizeof *r->v);
		}
		im = &r->v[r->n++];
		memset(im, 0, sizeof *im);
		im->ref = norm;
		im->id = image_id(norm);
	} else {
		free(norm);
	}
	/* A push of the same reference replaces its content. */
	free(im->model);
	im->model = NULL;
	im->model_len = 0;
	if (model && model_len) {
		im->model = xmalloc(model_len);
		memcpy(im->model, model, model_len);
		im->model_len = model_len;
	}
	return 0;
}

const char *sim_registry_lookup(struct sim_registry *r, const char *image,
				const void **model, size_t *model_len)
{
	char *norm = sim_image_normalize(image);
	struct image *im = norm ? find(r, norm) : NULL;
	free(norm);
	if (model)
		*model = im ? im->model : NULL;
	if (model_len)
		*model_len = im ? im->model_len : 0;
	return im ? im->id : NULL;
}
