/*
 * arch.c - the architecture as data: the table of layer kinds, the rules a
 * layer list must follow (checked once, with the reason in one line), and
 * its JSON form for a model's __metadata__ (the form model.h documents).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

/* Bounds that keep a hostile model file from asking for absurd memory:
 * any real small CNN is far inside them. */
#define ARCH_MAX_DIM 4096
#define ARCH_MAX_UNITS (1 << 20)
#define ARCH_MAX_ACT ((size_t)1 << 26)    /* floats per image per layer */
#define ARCH_MAX_PARAMS ((size_t)1 << 28) /* floats */

/* What each layer type is called and which JSON keys it takes. */
static const struct layer_kind {
	const char *name;
	enum layer_type type;
	int has_params;
	const char *const keys[5]; /* besides "type"; NULL-terminated */
} kinds[] = {
	{ "conv2d", LAYER_CONV2D, 1, { "name", "filters", "kernel", "stride", NULL } },
	{ "maxpool2d", LAYER_MAXPOOL2D, 0, { "pool", "stride", NULL } },
	{ "flatten", LAYER_FLATTEN, 0, { NULL } },
	{ "dense", LAYER_DENSE, 1, { "name", "units", NULL } },
	{ "relu", LAYER_RELU, 0, { NULL } },
	{ "softmax", LAYER_SOFTMAX, 0, { NULL } },
};
#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

static const struct layer_kind *kind_of(enum layer_type t)
{
	for (size_t i = 0; i < N_KINDS; i++)
		if (kinds[i].type == t)
			return &kinds[i];
	return NULL;
}

/* "conv2d", ...; "?" for a value outside the enum. */
const char *layer_type_name(enum layer_type t)
{
	const struct layer_kind *k = kind_of(t);
	return k ? k->name : "?";
}

static void set_conv(struct layer_spec *l, const char *name, int filters,
		     int kh, int kw)
{
	memset(l, 0, sizeof(*l));
	l->type = LAYER_CONV2D;
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->filters = filters;
	l->kh = kh;
	l->kw = kw;
	l->stride = 1;
}

static void set_dense(struct layer_spec *l, const char *name, int units)
{
	memset(l, 0, sizeof(*l));
	l->type = LAYER_DENSE;
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->units = units;
}

static void set_plain(struct layer_spec *l, enum layer_type t)
{
	memset(l, 0, sizeof(*l));
	l->type = t;
}

/* The Keras MNIST example's network for [1,28,28] inputs, 10 classes. */
void net_arch_reference(struct net_arch *a)
{
	memset(a, 0, sizeof(*a));
	a->in_c = 1;
	a->in_h = 28;
	a->in_w = 28;
	struct layer_spec *l = a->layers;
	set_conv(&l[0], "conv1", 32, 3, 3);
	set_plain(&l[1], LAYER_RELU);
	set_plain(&l[2], LAYER_MAXPOOL2D);
	l[2].ph = l[2].pw = l[2].stride = 2;
	set_plain(&l[3], LAYER_FLATTEN);
	set_dense(&l[4], "fc1", 64);
	set_plain(&l[5], LAYER_RELU);
	set_dense(&l[6], "fc2", 10);
	set_plain(&l[7], LAYER_SOFTMAX);
	a->n_layers = 8;
}

static int name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= NET_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-'))
			return 0;
	return 1;
}

/* Walk the layers, tracking the shape: [c,h,w] until flatten, then [c]
 * (h = w = 0). Each rule broken gets its own message. */
int net_arch_check(const struct net_arch *a, struct perr *e)
{
	if (a->in_c <= 0 || a->in_h <= 0 || a->in_w <= 0 || a->in_c > ARCH_MAX_DIM ||
	    a->in_h > ARCH_MAX_DIM || a->in_w > ARCH_MAX_DIM) {
		perr_set(e, "input shape [%d,%d,%d]: each size must be 1..%d", a->in_c,
			 a->in_h, a->in_w, ARCH_MAX_DIM);
		return -1;
	}
	if (a->n_layers <= 0 || a->n_layers > NET_MAX_LAYERS) {
		perr_set(e, "architecture has %d layers: 1..%d allowed", a->n_layers,
			 NET_MAX_LAYERS);
		return -1;
	}
	int c = a->in_c, h = a->in_h, w = a->in_w, flat = 0;
	size_t params = 0;
	if ((size_t)c * h * w > ARCH_MAX_ACT) {
		perr_set(e, "input shape [%d,%d,%d] is too large", c, h, w);
		return -1;
	}
	for (int i = 0; i < a->n_layers; i++) {
		const struct layer_spec *l = &a->layers[i];
		const struct layer_kind *k = kind_of(l->type);
		if (!k) {
			perr_set(e, "layer %d: unknown layer type %d", i + 1, (int)l->type);
			return -1;
		}
		if (k->has_params) {
			if (!name_ok(l->name)) {
				perr_set(e, "layer %d (%s): name \"%s\" must be 1..%d characters of [A-Za-z0-9_.-]",
					 i + 1, k->name, l->name, NET_NAME_MAX - 1);
				return -1;
			}
			for (int j = 0; j < i; j++)
				if (kind_of(a->layers[j].type)->has_params &&
				    strcmp(a->layers[j].name, l->name) == 0) {
					perr_set(e, "layer %d (%s): name \"%s\" is already used by layer %d",
						 i + 1, k->name, l->name, j + 1);
					return -1;
				}
		}
		if ((l->type == LAYER_CONV2D || l->type == LAYER_MAXPOOL2D) && flat) {
			perr_set(e, "layer %d (%s): needs a [C,H,W] input, but a flatten comes before it",
				 i + 1, k->name);
			return -1;
		}
		if (l->type == LAYER_DENSE && !flat) {
			perr_set(e, "layer %d (dense): needs a flat input: add a flatten layer before it",
				 i + 1);
			return -1;
		}
		switch (l->type) {
		case LAYER_CONV2D: {
			struct conv_shape s = { .c = c, .h = h, .w = w, .k = l->filters,
						.kh = l->kh, .kw = l->kw, .stride = l->stride };
			if (l->filters <= 0 || l->kh <= 0 || l->kw <= 0 || l->stride <= 0 ||
			    l->filters > ARCH_MAX_UNITS || l->stride > ARCH_MAX_DIM) {
				perr_set(e, "layer %d (conv2d): filters, kernel and stride must be positive",
					 i + 1);
				return -1;
			}
			if (conv_shape_init(&s) < 0) {
				perr_set(e, "layer %d (conv2d): kernel %dx%d does not fit its input [%d,%d,%d]",
					 i + 1, l->kh, l->kw, c, h, w);
				return -1;
			}
			params += (size_t)l->filters * c * l->kh * l->kw + l->filters;
			c = s.k;
			h = s.oh;
			w = s.ow;
			break;
		}
		case LAYER_MAXPOOL2D: {
			struct pool_shape s = { .c = c, .h = h, .w = w, .ph = l->ph,
						.pw = l->pw, .stride = l->stride };
			if (l->ph <= 0 || l->pw <= 0 || l->stride <= 0 || l->stride > ARCH_MAX_DIM) {
				perr_set(e, "layer %d (maxpool2d): pool and stride must be positive", i + 1);
				return -1;
			}
			if (maxpool_shape_init(&s) < 0) {
				perr_set(e, "layer %d (maxpool2d): pool %dx%d does not fit its input [%d,%d,%d]",
					 i + 1, l->ph, l->pw, c, h, w);
				return -1;
			}
			h = s.oh;
			w = s.ow;
			break;
		}
		case LAYER_FLATTEN:
			c = c * h * w;
			h = w = 1;
			flat = 1;
			break;
		case LAYER_DENSE:
			if (l->units <= 0 || l->units > ARCH_MAX_UNITS) {
				perr_set(e, "layer %d (dense): units must be 1..%d", i + 1,
					 ARCH_MAX_UNITS);
				return -1;
			}
			params += (size_t)l->units * c + l->units;
			c = l->units;
			break;
		case LAYER_SOFTMAX:
			if (i != a->n_layers - 1) {
				perr_set(e, "layer %d (softmax): softmax must be the last layer", i + 1);
				return -1;
			}
			if (i == 0 || a->layers[i - 1].type != LAYER_DENSE) {
				perr_set(e, "layer %d (softmax): must follow a dense layer (its logits)",
					 i + 1);
				return -1;
			}
			break;
		case LAYER_RELU:
			break;
		}
		if ((size_t)c * h * w > ARCH_MAX_ACT || params > ARCH_MAX_PARAMS) {
			perr_set(e, "layer %d (%s): the network is too large", i + 1, k->name);
			return -1;
		}
	}
	if (a->layers[a->n_layers - 1].type != LAYER_SOFTMAX) {
		perr_set(e, "the last layer must be softmax (it is %s)",
			 layer_type_name(a->layers[a->n_layers - 1].type));
		return -1;
	}
	return 0;
}

/* Units of the last dense layer: the number of classes. */
int net_arch_classes(const struct net_arch *a)
{
	for (int i = a->n_layers - 1; i >= 0; i--)
		if (a->layers[i].type == LAYER_DENSE)
			return a->layers[i].units;
	return 0;
}

/* Sum of weight and bias sizes, following the shapes as check does. */
size_t net_arch_param_count(const struct net_arch *a)
{
	int c = a->in_c, h = a->in_h, w = a->in_w;
	size_t params = 0;
	for (int i = 0; i < a->n_layers; i++) {
		const struct layer_spec *l = &a->layers[i];
		if (l->type == LAYER_CONV2D) {
			params += (size_t)l->filters * c * l->kh * l->kw + l->filters;
			c = l->filters;
			h = (h - l->kh) / l->stride + 1;
			w = (w - l->kw) / l->stride + 1;
		} else if (l->type == LAYER_MAXPOOL2D) {
			h = (h - l->ph) / l->stride + 1;
			w = (w - l->pw) / l->stride + 1;
		} else if (l->type == LAYER_FLATTEN) {
			c = c * h * w;
			h = w = 1;
		} else if (l->type == LAYER_DENSE) {
			params += (size_t)l->units * c + l->units;
			c = l->units;
		}
	}
	return params;
}

/* A positive integer member; 0 when absent (the caller decides), -1 when
 * present and not an integer in 1..ARCH_MAX_UNITS. */
static int get_int(json_t *o, const char *key, int *out)
{
	json_t *v = json_object_get(o, key);
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) <= 0 ||
	    json_integer_value(v) > ARCH_MAX_UNITS)
		return -1;
	*out = (int)json_integer_value(v);
	return 0;
}

/* [a,b] of positive integers. */
static int get_pair(json_t *o, const char *key, int *a, int *b)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_array(v) || json_array_size(v) != 2)
		return -1;
	json_t *x = json_array_get(v, 0), *y = json_array_get(v, 1);
	if (!json_is_integer(x) || !json_is_integer(y) || json_integer_value(x) <= 0 ||
	    json_integer_value(y) <= 0 || json_integer_value(x) > ARCH_MAX_DIM ||
	    json_integer_value(y) > ARCH_MAX_DIM)
		return -1;
	*a = (int)json_integer_value(x);
	*b = (int)json_integer_value(y);
	return 0;
}

static int parse_layer(json_t *o, int i, struct layer_spec *l, struct perr *e)
{
	memset(l, 0, sizeof(*l));
	if (!json_is_object(o)) {
		perr_set(e, "architecture layer %d: not a JSON object", i + 1);
		return -1;
	}
	const char *type = json_string_value(json_object_get(o, "type"));
	if (!type) {
		perr_set(e, "architecture layer %d: no \"type\" string", i + 1);
		return -1;
	}
	const struct layer_kind *k = NULL;
	for (size_t j = 0; j < N_KINDS; j++)
		if (strcmp(kinds[j].name, type) == 0)
			k = &kinds[j];
	if (!k) {
		char *t = sanitize_text(type, strlen(type) > 40 ? 40 : strlen(type), 0);
		perr_set(e, "architecture layer %d: unknown layer type \"%s\" (conv2d, maxpool2d, flatten, dense, relu, softmax)",
			 i + 1, t);
		free(t);
		return -1;
	}
	l->type = k->type;
	const char *key;
	json_t *val;
	json_object_foreach(o, key, val) {
		int known = strcmp(key, "type") == 0;
		for (int j = 0; k->keys[j] && !known; j++)
			known = strcmp(k->keys[j], key) == 0;
		if (!known) {
			char *t = sanitize_text(key, strlen(key) > 40 ? 40 : strlen(key), 0);
			perr_set(e, "architecture layer %d (%s): unknown key \"%s\"", i + 1,
				 k->name, t);
			free(t);
			return -1;
		}
	}
	if (k->has_params) {
		const char *name = json_string_value(json_object_get(o, "name"));
		if (!name || !name_ok(name)) {
			perr_set(e, "architecture layer %d (%s): \"name\" must be 1..%d characters of [A-Za-z0-9_.-]",
				 i + 1, k->name, NET_NAME_MAX - 1);
			return -1;
		}
		snprintf(l->name, sizeof(l->name), "%s", name);
	}
	switch (k->type) {
	case LAYER_CONV2D:
		l->stride = 1;
		if (get_int(o, "filters", &l->filters) < 0 || l->filters == 0 ||
		    get_pair(o, "kernel", &l->kh, &l->kw) < 0 ||
		    get_int(o, "stride", &l->stride) < 0) {
			perr_set(e, "architecture layer %d (conv2d): needs \"filters\" > 0, \"kernel\": [h,w] > 0 and an optional \"stride\" > 0",
				 i + 1);
			return -1;
		}
		break;
	case LAYER_MAXPOOL2D:
		if (get_pair(o, "pool", &l->ph, &l->pw) < 0 ||
		    get_int(o, "stride", &l->stride) < 0) {
			perr_set(e, "architecture layer %d (maxpool2d): needs \"pool\": [h,w] > 0 and an optional \"stride\" > 0",
				 i + 1);
			return -1;
		}
		if (!l->stride)
			l->stride = l->ph;
		break;
	case LAYER_DENSE:
		if (get_int(o, "units", &l->units) < 0 || l->units == 0) {
			perr_set(e, "architecture layer %d (dense): needs \"units\" > 0", i + 1);
			return -1;
		}
		break;
	default:
		break;
	}
	return 0;
}

/* Parse and check: the one entry point for architectures from files. */
int net_arch_from_json(struct net_arch *a, const char *json, int c, int h,
		       int w, struct perr *e)
{
	json_error_t jerr;
	json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
	int rc = -1;
	memset(a, 0, sizeof(*a));
	if (!root) {
		perr_set(e, "architecture: bad JSON at line %d column %d: %s", jerr.line,
			 jerr.column, jerr.text);
		return -1;
	}
	if (!json_is_array(root)) {
		perr_set(e, "architecture: not a JSON list of layers");
		goto out;
	}
	size_t n = json_array_size(root);
	if (n == 0 || n > NET_MAX_LAYERS) {
		perr_set(e, "architecture has %zu layers: 1..%d allowed", n, NET_MAX_LAYERS);
		goto out;
	}
	a->in_c = c;
	a->in_h = h;
	a->in_w = w;
	a->n_layers = (int)n;
	for (size_t i = 0; i < n; i++)
		if (parse_layer(json_array_get(root, i), (int)i, &a->layers[i], e) < 0)
			goto out;
	if (net_arch_check(a, e) < 0)
		goto out;
	rc = 0;
out:
	json_decref(root);
	return rc;
}

static json_t *pair(int a, int b)
{
	return json_pack("[ii]", a, b);
}

/* The compact JSON list, keys in the documented order. */
char *net_arch_to_json(const struct net_arch *a)
{
	json_t *root = json_array();
	for (int i = 0; i < a->n_layers; i++) {
		const struct layer_spec *l = &a->layers[i];
		json_t *o = json_object();
		json_object_set_new(o, "type", json_string(layer_type_name(l->type)));
		switch (l->type) {
		case LAYER_CONV2D:
			json_object_set_new(o, "name", json_string(l->name));
			json_object_set_new(o, "filters", json_integer(l->filters));
			json_object_set_new(o, "kernel", pair(l->kh, l->kw));
			if (l->stride != 1)
				json_object_set_new(o, "stride", json_integer(l->stride));
			break;
		case LAYER_MAXPOOL2D:
			json_object_set_new(o, "pool", pair(l->ph, l->pw));
			if (l->stride != l->ph)
				json_object_set_new(o, "stride", json_integer(l->stride));
			break;
		case LAYER_DENSE:
			json_object_set_new(o, "name", json_string(l->name));
			json_object_set_new(o, "units", json_integer(l->units));
			break;
		default:
			break;
		}
		json_array_append_new(root, o);
	}
	char *s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
	return s ? s : xstrdup("[]");
}
