/*
 * model.c - a model file: the network's tensors and what is needed to use
 * them (architecture, input shape, class names, input scaling) in one
 * safetensors file, as man/podium-model.5 describes.
 *
 * Loading is strict: the architecture is checked by the engine, then every
 * parameter tensor it needs must be in the file under its name with its
 * shape, and nothing else may be. A file without podium metadata is taken
 * as a PyTorch state_dict of an nn.Sequential: layer i of the given
 * architecture is module i of the Sequential, so its tensors are
 * "<i>.weight" and "<i>.bias".
 */
#define _POSIX_C_SOURCE 200809L
#include "model/model.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MODEL_MAX_FILE ((size_t)1 << 31)
#define KEY_FORMAT "podium.format"
#define KEY_ARCH "podium.architecture"
#define KEY_SHAPE "podium.input_shape"
#define KEY_CLASSES "podium.classes"
#define KEY_SCALE "podium.input_scale"

/* Architectures known by name (--arch NAME). */
struct arch_name {
	const char *name;
	void (*fill)(struct net_arch *a);
};

static const struct arch_name arch_names[] = {
	{ "keras-mnist", net_arch_reference },
	{ NULL, NULL },
};

char *model_scaling_to_json(struct net_scaling sc)
{
	/* {"divide":255} when 1/scale is a whole number that gives back
	 * exactly this scale; otherwise the two numbers as they are. */
	if (sc.shift == 0.0f && sc.scale > 0.0f) {
		float d = roundf(1.0f / sc.scale);
		if (d >= 1.0f && d < 1e7f && 1.0f / d == sc.scale)
			return xasprintf("{\"divide\":%.0f}", (double)d);
	}
	return xasprintf("{\"scale\":%.9g,\"shift\":%.9g}", (double)sc.scale,
			 (double)sc.shift);
}

int model_scaling_from_json(const char *json, struct net_scaling *sc,
			    struct perr *e)
{
	json_error_t jerr;
	json_t *o = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
	int rc = -1;
	if (!json_is_object(o)) {
		perr_set(e, KEY_SCALE " is not a JSON object");
		goto out;
	}
	json_t *div = json_object_get(o, "divide");
	json_t *scale = json_object_get(o, "scale");
	json_t *shift = json_object_get(o, "shift");
	if (json_object_size(o) != (size_t)(!!div + !!scale + !!shift) ||
	    (div && scale) || (div && !json_is_number(div)) ||
	    (scale && !json_is_number(scale)) ||
	    (shift && !json_is_number(shift)) || (!div && !scale)) {
		perr_set(e, KEY_SCALE " must be {\"divide\":D} or "
			    "{\"scale\":S,\"shift\":T}");
		goto out;
	}
	if (div) {
		double d = json_number_value(div);
		if (!(d > 0) || !isfinite(d)) {
			perr_set(e, KEY_SCALE ": divide must be positive");
			goto out;
		}
		sc->scale = (float)(1.0 / d);
	} else {
		sc->scale = (float)json_number_value(scale);
	}
	sc->shift = shift ? (float)json_number_value(shift) : 0.0f;
	if (!isfinite(sc->scale) || !isfinite(sc->shift)) {
		perr_set(e, KEY_SCALE ": numbers must be finite");
		goto out;
	}
	rc = 0;
out:
	json_decref(o);
	return rc;
}

/* [C,H,W] from JSON; 0 / -1. */
static int parse_shape(json_t *v, int *c, int *h, int *w, struct perr *e)
{
	if (!json_is_array(v) || json_array_size(v) != 3) {
		perr_set(e, "input shape must be [C,H,W]");
		return -1;
	}
	int *out[3] = { c, h, w };
	for (int i = 0; i < 3; i++) {
		json_t *d = json_array_get(v, (size_t)i);
		if (!json_is_integer(d) || json_integer_value(d) < 1 ||
		    json_integer_value(d) > 4096) {
			perr_set(e, "input shape must be [C,H,W] with sizes 1..4096");
			return -1;
		}
		*out[i] = (int)json_integer_value(d);
	}
	return 0;
}

/* The layer list with an input shape; the text is either form. */
static int arch_from(const char *layers_json, const char *shape_json,
		     struct net_arch *a, struct perr *e)
{
	int c = 1, h = 28, w = 28;
	if (shape_json) {
		json_error_t jerr;
		json_t *s = json_loads(shape_json, 0, &jerr);
		int rc = parse_shape(s, &c, &h, &w, e);
		json_decref(s);
		if (rc < 0)
			return -1;
	}
	return net_arch_from_json(a, layers_json, c, h, w, e);
}

int model_arch_parse(const char *json, struct net_arch *a, struct perr *e)
{
	json_error_t jerr;
	json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		perr_set(e, "architecture: bad JSON at line %d column %d: %s",
			 jerr.line, jerr.column, jerr.text);
		return -1;
	}
	int rc = -1;
	if (json_is_array(root)) {
		rc = net_arch_from_json(a, json, 1, 28, 28, e);
	} else if (json_is_object(root)) {
		json_t *layers = json_object_get(root, "layers");
		int c, h, w;
		if (!json_is_array(layers) || json_object_size(root) != 2 ||
		    parse_shape(json_object_get(root, "input_shape"), &c, &h, &w,
				e) < 0) {
			perr_set(e, "architecture: an object needs exactly "
				    "\"input_shape\":[C,H,W] and \"layers\":[...]");
		} else {
			char *l = json_dumps(layers, JSON_COMPACT);
			rc = net_arch_from_json(a, l, c, h, w, e);
			free(l);
		}
	} else {
		perr_set(e, "architecture: not a JSON list of layers");
	}
	json_decref(root);
	return rc;
}

static void set_classes(struct model *m, const char *const *names, int n)
{
	m->nclass = n;
	m->classes = xcalloc((size_t)n + 1, sizeof *m->classes);
	for (int i = 0; i < n; i++) {
		if (names)
			m->classes[i] = xstrdup(names[i]);
		else if (n == 10)
			m->classes[i] = xstrdup(fashion_mnist_classes[i]);
		else
			m->classes[i] = xasprintf("%d", i);
	}
}

static int parse_classes(const char *json, struct model *m, struct perr *e)
{
	json_error_t jerr;
	json_t *l = json_loads(json, 0, &jerr);
	int rc = -1;
	if (!json_is_array(l) || (int)json_array_size(l) != m->nclass) {
		perr_set(e, KEY_CLASSES " must be a list of %d names (one per "
			    "output)",
			 m->nclass);
		goto out;
	}
	const char **names = xcalloc((size_t)m->nclass + 1, sizeof *names);
	for (int i = 0; i < m->nclass; i++) {
		names[i] = json_string_value(json_array_get(l, (size_t)i));
		if (!names[i] || strlen(names[i]) > 64) {
			perr_set(e, KEY_CLASSES ": name %d is not a string of up to "
				    "64 bytes",
				 i);
			free(names);
			goto out;
		}
	}
	set_classes(m, names, m->nclass);
	free(names);
	rc = 0;
out:
	json_decref(l);
	return rc;
}

/* "[a,b,c]" for messages. */
static void shape_str(char *buf, size_t n, int ndim, const long long *d)
{
	size_t at = 0;
	at += (size_t)snprintf(buf + at, n - at, "[");
	for (int i = 0; i < ndim && at < n; i++)
		at += (size_t)snprintf(buf + at, n - at, "%s%lld", i ? "," : "",
				       d[i]);
	if (at < n)
		snprintf(buf + at, n - at, "]");
}

/* Copy the file's tensors into the net: by layer name, or for a PyTorch
 * file by layer index. Every file tensor must be used exactly once. */
static int load_params(struct model *m, const struct safetensors *st,
		       const char *path, struct perr *e)
{
	int used = 0;
	for (int l = 0; l < m->arch.n_layers; l++) {
		const struct layer_spec *ls = &m->arch.layers[l];
		if (ls->type != LAYER_CONV2D && ls->type != LAYER_DENSE)
			continue;
		static const char *const parts[] = { "weight", "bias" };
		for (int k = 0; k < 2; k++) {
			char pname[NET_NAME_MAX + 16], fname[NET_NAME_MAX + 16];
			snprintf(pname, sizeof pname, "%s.%s", ls->name, parts[k]);
			if (m->from_pytorch)
				snprintf(fname, sizeof fname, "%d.%s", l, parts[k]);
			else
				snprintf(fname, sizeof fname, "%s", pname);
			struct net_param p;
			if (net_param_find(m->net, pname, &p) < 0) {
				perr_set(e, "%s: the network has no tensor %s", path,
					 pname);
				return -1;
			}
			const struct st_tensor *t = safetensors_find(st, fname);
			if (!t) {
				perr_set(e, "%s: tensor '%s' (layer %d, %s) is missing",
					 path, fname, l, layer_type_name(ls->type));
				return -1;
			}
			int same = t->ndim == p.ndim;
			for (int d = 0; same && d < p.ndim; d++)
				same = t->shape[d] == p.shape[d];
			if (!same) {
				char got[128], want[128];
				long long ps[4];
				for (int d = 0; d < p.ndim; d++)
					ps[d] = p.shape[d];
				shape_str(got, sizeof got, t->ndim, t->shape);
				shape_str(want, sizeof want, p.ndim, ps);
				perr_set(e, "%s: tensor '%s' has shape %s; the "
					    "architecture needs %s",
					 path, fname, got, want);
				return -1;
			}
			memcpy(p.data, t->data, p.count * sizeof *p.data);
			used++;
		}
	}
	if (used != st->n) {
		/* Name the first tensor nothing asked for. */
		for (int i = 0; i < st->n; i++) {
			const char *n = st->t[i].name;
			int found = 0;
			for (int l = 0; l < m->arch.n_layers && !found; l++) {
				const struct layer_spec *ls = &m->arch.layers[l];
				if (ls->type != LAYER_CONV2D && ls->type != LAYER_DENSE)
					continue;
				char w[NET_NAME_MAX + 16], b[NET_NAME_MAX + 16];
				if (m->from_pytorch) {
					snprintf(w, sizeof w, "%d.weight", l);
					snprintf(b, sizeof b, "%d.bias", l);
				} else {
					snprintf(w, sizeof w, "%s.weight", ls->name);
					snprintf(b, sizeof b, "%s.bias", ls->name);
				}
				found = !strcmp(n, w) || !strcmp(n, b);
			}
			if (!found) {
				perr_set(e, "%s: tensor '%s' belongs to no layer of the "
					    "architecture",
					 path, n);
				return -1;
			}
		}
	}
	return 0;
}

static struct model *model_alloc(void)
{
	struct model *m = xcalloc(1, sizeof *m);
	m->scaling = (struct net_scaling){ 1.0f / 255.0f, 0.0f };
	return m;
}

int model_load(const char *path, const struct model_load_opts *o,
	       struct model **out, struct perr *e)
{
	struct model_load_opts none = { 0 };
	if (!o)
		o = &none;
	char *raw = NULL;
	size_t len = 0;
	struct safetensors st = { 0 };
	struct model *m = model_alloc();
	int rc = -1;
	if (read_file(path, MODEL_MAX_FILE, &raw, &len, e) < 0)
		goto out;
	sha256_hex(raw, len, m->sha256);
	if (safetensors_parse(raw, len, path, &st, e) < 0)
		goto out;
	free(raw);
	raw = NULL;

	const char *arch = safetensors_meta(&st, KEY_ARCH);
	const char *fmt = safetensors_meta(&st, KEY_FORMAT);
	struct perr ae = { { 0 } };
	if (arch) {
		if (fmt && strcmp(fmt, MODEL_FORMAT_VERSION) != 0) {
			perr_set(e, "%s: model format version %.16s; this podium "
				    "reads version " MODEL_FORMAT_VERSION,
				 path, fmt);
			goto out;
		}
		if (arch_from(arch, safetensors_meta(&st, KEY_SHAPE), &m->arch,
			      &ae) < 0) {
			perr_set(e, "%s: %s", path, ae.msg);
			goto out;
		}
	} else {
		m->from_pytorch = 1;
		if (o->arch_json) {
			if (model_arch_parse(o->arch_json, &m->arch, &ae) < 0) {
				perr_set(e, "%s", ae.msg);
				goto out;
			}
		} else {
			const char *name = o->arch_name ? o->arch_name : "keras-mnist";
			const struct arch_name *an = arch_names;
			while (an->name && strcmp(an->name, name) != 0)
				an++;
			if (!an->name) {
				perr_set(e, "unknown architecture '%s' (known: "
					    "keras-mnist)",
					 name);
				goto out;
			}
			an->fill(&m->arch);
		}
	}
	m->net = net_new(&m->arch, o->max_batch > 0 ? o->max_batch : 256, &ae);
	if (!m->net) {
		perr_set(e, "%s: %s", path, ae.msg);
		goto out;
	}
	m->nclass = net_arch_classes(&m->arch);
	const char *classes = safetensors_meta(&st, KEY_CLASSES);
	if (classes) {
		if (parse_classes(classes, m, &ae) < 0) {
			perr_set(e, "%s: %s", path, ae.msg);
			goto out;
		}
	} else {
		set_classes(m, NULL, m->nclass);
	}
	const char *scale = safetensors_meta(&st, KEY_SCALE);
	if (scale && model_scaling_from_json(scale, &m->scaling, &ae) < 0) {
		perr_set(e, "%s: %s", path, ae.msg);
		goto out;
	}
	if (load_params(m, &st, path, e) < 0)
		goto out;
	/* Keep every metadata entry for `model info`. */
	m->meta = st.meta;
	m->nmeta = st.nmeta;
	st.meta = NULL;
	st.nmeta = 0;
	*out = m;
	m = NULL;
	rc = 0;
out:
	free(raw);
	safetensors_free(&st);
	model_free(m);
	return rc;
}

struct model *model_new(const struct net_arch *a, int max_batch, uint64_t seed,
			const char *const *classes, int nclass,
			struct net_scaling sc, struct perr *e)
{
	struct model *m = model_alloc();
	m->net = net_new(a, max_batch, e);
	if (!m->net) {
		model_free(m);
		return NULL;
	}
	m->arch = *net_get_arch(m->net);
	int n = net_arch_classes(&m->arch);
	if (classes && nclass != n) {
		perr_set(e, "%d class names for a network with %d outputs", nclass,
			 n);
		model_free(m);
		return NULL;
	}
	set_classes(m, classes, n);
	m->scaling = sc;
	net_init_glorot(m->net, seed);
	return m;
}

void model_set_meta(struct model *m, const char *key, const char *value)
{
	for (int i = 0; i < m->nmeta; i++)
		if (strcmp(m->meta[i].key, key) == 0) {
			free(m->meta[i].value);
			m->meta[i].value = xstrdup(value);
			return;
		}
	m->meta = xrealloc(m->meta, ((size_t)m->nmeta + 1) * sizeof *m->meta);
	m->meta[m->nmeta].key = xstrdup(key);
	m->meta[m->nmeta].value = xstrdup(value);
	m->nmeta++;
}

static int write_atomic(const char *path, const char *buf, size_t len,
			struct perr *e)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	int rc = -1;
	FILE *f = fopen(tmp, "wb");
	if (!f) {
		perr_set(e, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	size_t w = fwrite(buf, 1, len, f);
	int err = ferror(f);
	if (fclose(f) != 0 || w != len || err) {
		perr_set(e, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) < 0) {
		perr_set(e, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	return rc;
}

int model_save(struct model *m, const char *path, struct perr *e)
{
	struct safetensors st = { 0 };
	/* Extra entries first, so the podium keys below always win. */
	for (int i = 0; i < m->nmeta; i++)
		safetensors_set_meta(&st, m->meta[i].key, m->meta[i].value);
	char *arch = net_arch_to_json(&m->arch);
	char *shape = xasprintf("[%d,%d,%d]", m->arch.in_c, m->arch.in_h,
				m->arch.in_w);
	char *scale = model_scaling_to_json(m->scaling);
	json_t *cl = json_array();
	for (int i = 0; i < m->nclass; i++)
		json_array_append_new(cl, json_string(m->classes[i]));
	char *classes = json_dumps(cl, JSON_COMPACT);
	json_decref(cl);
	safetensors_set_meta(&st, KEY_FORMAT, MODEL_FORMAT_VERSION);
	safetensors_set_meta(&st, KEY_ARCH, arch);
	safetensors_set_meta(&st, KEY_SHAPE, shape);
	safetensors_set_meta(&st, KEY_SCALE, scale);
	safetensors_set_meta(&st, KEY_CLASSES, classes ? classes : "[]");
	for (int i = 0; i < net_n_params(m->net); i++) {
		struct net_param p;
		net_param(m->net, i, &p);
		long long shp[4];
		for (int d = 0; d < p.ndim; d++)
			shp[d] = p.shape[d];
		safetensors_add(&st, p.name, p.ndim, shp, p.data);
	}
	char *buf = NULL;
	size_t len = 0;
	int rc = -1;
	if (safetensors_serialize(&st, &buf, &len, e) < 0 ||
	    write_atomic(path, buf, len, e) < 0)
		goto out;
	sha256_hex(buf, len, m->sha256);
	rc = 0;
out:
	free(buf);
	free(arch);
	free(shape);
	free(scale);
	free(classes);
	safetensors_free(&st);
	return rc;
}

void model_free(struct model *m)
{
	if (!m)
		return;
	net_free(m->net);
	for (int i = 0; i < m->nclass && m->classes; i++)
		free(m->classes[i]);
	free(m->classes);
	for (int i = 0; i < m->nmeta; i++) {
		free(m->meta[i].key);
		free(m->meta[i].value);
	}
	free(m->meta);
	free(m);
}
