/*
 * world.c - what the simulated cluster keeps beside its store: the
 * kubelet's per-pod container states (and through them the logs), the
 * image registry, the event recorder's aggregation, the random source for
 * names and churn, and the clock that turns simulated time into the
 * timestamps objects carry. sim_new makes one after the store; all of it is
 * touched only with the store's lock held.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kube/sim/sim_impl.h"
#include "kube/sim/world.h"

/* ---- a small string map ----------------------------------------------- */

#define TOMB ((char *)&smap_tomb)
static const char smap_tomb = 0;

static uint64_t strhash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

void smap_init(struct smap *m, void (*free_val)(void *))
{
	memset(m, 0, sizeof *m);
	m->free_val = free_val;
}

void smap_free(struct smap *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->v[i].key || m->v[i].key == TOMB)
			continue;
		free(m->v[i].key);
		if (m->free_val)
			m->free_val(m->v[i].val);
	}
	free(m->v);
	memset(m, 0, sizeof *m);
}

static size_t slot(const struct smap *m, const char *key, int for_insert)
{
	size_t mask = m->cap - 1, i = strhash(key) & mask, tomb = (size_t)-1;
	for (;;) {
		char *k = m->v[i].key;
		if (!k)
			return (for_insert && tomb != (size_t)-1) ? tomb : i;
		if (k == TOMB) {
			if (tomb == (size_t)-1)
				tomb = i;
		} else if (!strcmp(k, key)) {
			return i;
		}
		i = (i + 1) & mask;
	}
}

static void grow(struct smap *m)
{
	struct smap old = *m;
	m->cap = old.cap ? old.cap * 2 : 64;
	while (m->n * 2 >= m->cap)
		m->cap *= 2;
	m->v = xcalloc(m->cap, sizeof *m->v);
	m->used = m->n;
	for (size_t i = 0; i < old.cap; i++) {
		char *k = old.v[i].key;
		if (!k || k == TOMB)
			continue;
		m->v[slot(m, k, 1)] = old.v[i];
	}
	free(old.v);
}

void *smap_get(const struct smap *m, const char *key)
{
	if (!m->cap)
		return NULL;
	size_t i = slot(m, key, 0);
	return m->v[i].key ? m->v[i].val : NULL;
}

void smap_put(struct smap *m, const char *key, void *val)
{
	if ((m->used + 1) * 4 >= m->cap * 3)
		grow(m);
	size_t i = slot(m, key, 0);
	if (m->v[i].key) {
		if (m->free_val && m->v[i].val != val)
			m->free_val(m->v[i].val);
		m->v[i].val = val;
		return;
	}
	i = slot(m, key, 1);
	if (!m->v[i].key)
		m->used++;
	m->v[i].key = xstrdup(key);
	m->v[i].val = val;
	m->n++;
}

void smap_del(struct smap *m, const char *key)
{
	if (!m->cap)
		return;
	size_t i = slot(m, key, 0);
	if (!m->v[i].key)
		return;
	free(m->v[i].key);
	if (m->free_val)
		m->free_val(m->v[i].val);
	m->v[i].key = TOMB;
	m->v[i].val = NULL;
	m->n--;
}

size_t smap_next(const struct smap *m, size_t i, struct smap_ent **e)
{
	for (; i < m->cap; i++)
		if (m->v[i].key && m->v[i].key != TOMB) {
			*e = &m->v[i];
			return i + 1;
		}
	*e = NULL;
	return 0;
}

/* ---- the world -------------------------------------------------------- */

void sim_world_free_pod(void *p)
{
	struct pod_state *ps = p;
	if (!ps)
		return;
	for (int i = 0; i < ps->nctr; i++) {
		free(ps->c[i].name);
		free(ps->c[i].image);
		free(ps->c[i].image_id);
		for (int j = 0; j < ps->c[i].nsh; j++)
			free(ps->c[i].sh[j].text);
		free(ps->c[i].sh);
		free(ps->c[i].pull_msg);
	}
	free(ps->c);
	free(ps->ns);
	free(ps->name);
	free(ps->uid);
	free(ps->node);
	free(ps);
}

struct sim_world *sim_world_new(struct sim *s, const struct sim_opts *o)
{
	struct sim_world *w = xcalloc(1, sizeof *w);
	w->s = s;
	w->reg = sim_registry_new();
	w->seed = o ? o->seed : 0;
	w->demo = o ? o->demo : 0;
	w->rng = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)w->seed * 0xbf58476d1ce4e5b9ULL);
	if (!w->rng)
		w->rng = 1;
	smap_init(&w->pods, sim_world_free_pod);
	smap_init(&w->ev_keys, free);
	smap_init(&w->sigs, free);
	smap_init(&w->rs_timed, free);
	smap_init(&w->dep_timed, free);
	smap_init(&w->unsched, free);
	smap_init(&w->node_images, NULL);
	w->ev_max = 2000;
	w->ev_ring = xcalloc(w->ev_max, sizeof *w->ev_ring);
	w->builds = sim_builds_new();
	w->served = sim_served_new();
	return w;
}

void sim_world_free(struct sim_world *w)
{
	if (!w)
		return;
	sim_served_free(w->served);
	sim_builds_free(w->builds);
	sim_registry_free(w->reg);
	smap_free(&w->pods);
	smap_free(&w->ev_keys);
	smap_free(&w->sigs);
	smap_free(&w->rs_timed);
	smap_free(&w->dep_timed);
	smap_free(&w->unsched);
	smap_free(&w->node_images);
	for (size_t i = 0; i < w->ev_max; i++)
		free(w->ev_ring[i]);
	free(w->ev_ring);
	free(w);
}

struct sim_registry *sim_world_registry(struct sim_world *w)
{
	return w ? w->reg : NULL;
}

struct sig {
	uint64_t sig;
	unsigned long step;
};

uint64_t sim_sig(uint64_t h, const char *s)
{
	if (!h)
		h = 1469598103934665603ULL;
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (h ^ 0x1f) * 1099511628211ULL; /* separates "1","23" from "12","3" */
}

int sim_world_unchanged(struct sim_world *w, const char *key, uint64_t sig)
{
	struct sig *e = smap_get(&w->sigs, key);
	if (e && e->sig == sig) {
		e->step = w->steps;
		return 1;
	}
	if (!e) {
		e = xmalloc(sizeof *e);
		smap_put(&w->sigs, key, e);
	}
	e->sig = sig;
	e->step = w->steps;
	return 0;
}

void sim_world_sweep_sigs(struct sim_world *w)
{
	struct smap_ent *e;
	char **old = NULL;
	size_t n = 0;
	for (size_t i = 0; (i = smap_next(&w->sigs, i, &e));) {
		struct sig *g = e->val;
		if (g->step + 100 < w->steps) {
			old = xrealloc(old, (n + 1) * sizeof *old);
			old[n++] = xstrdup(e->key);
		}
	}
	for (size_t i = 0; i < n; i++) {
		smap_del(&w->sigs, old[i]);
		free(old[i]);
	}
	free(old);
}

/* xorshift64*: names and churn need only be varied and repeatable. */
uint64_t sim_world_rand(struct sim_world *w)
{
	uint64_t x = w->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	w->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

void sim_world_rand_suffix(struct sim_world *w, char *out, int n)
{
	static const char alpha[] = "bcdfghjklmnpqrstvwxz2456789";
	for (int i = 0; i < n; i++)
		out[i] = alpha[sim_world_rand(w) % (sizeof alpha - 1)];
	out[n] = '\0';
}

long long sim_world_wall_ms(struct sim *s)
{
	return sim_wall_ms(s);
}

void sim_world_time_str(struct sim *s, long long wall_ms, char out[32])
{
	(void)s;
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

long long sim_world_parse_time(const char *s)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	if (!s)
		return 0;
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		return 0;
	return (long long)timegm(&tm) * 1000;
}

/* ---- changes since a version ------------------------------------------ */

int sim_world_changes(struct sim *s, unsigned long long since,
		      void (*fn)(const struct sim_kind *k, const char *type,
				 json_t *obj, void *ud),
		      void *ud)
{
	if (since >= s->rv)
		return 0;
	if (!s->hist_len || s->hist[s->hist_head]->rv > since + 1)
		return -1; /* some changes are no longer held */
	for (size_t i = 0; i < s->hist_len; i++) {
		struct sim_wev *ev = s->hist[(s->hist_head + i) % s->hist_cap];
		if (ev->rv > since)
			fn(ev->kind, ev->type, ev->obj, ud);
	}
	return 0;
}

/* ---- what an incremental pass looks at ---------------------------------- */

void sim_dirty_init(struct sim_dirty *d, size_t max)
{
	smap_init(&d->m, free);
	d->max = max;
	d->overflow = 0;
}

void sim_dirty_mark(struct sim_dirty *d, const char *uid, const char *ns,
		    const char *name)
{
	if (!uid || !ns || !name || smap_get(&d->m, uid))
		return;
	if (d->m.n >= d->max) {
		d->overflow = 1;
		return;
	}
	smap_put(&d->m, uid, xasprintf("%s\x1f%s", ns, name));
}

void sim_dirty_mark_all(struct sim_dirty *d, const struct smap *timed)
{
	struct smap_ent *e;
	for (size_t i = 0; (i = smap_next(timed, i, &e));) {
		const char *v = e->val, *sep = strchr(v, '\x1f');
		char *ns = xstrndup(v, (size_t)(sep - v));
		sim_dirty_mark(d, e->key, ns, sep + 1);
		free(ns);
	}
}

json_t *sim_dirty_get(struct sim *s, const struct sim_kind *k,
		      const struct smap_ent *e, char **ns)
{
	const char *v = e->val, *sep = strchr(v, '\x1f');
	*ns = xstrndup(v, (size_t)(sep - v));
	json_t *obj = sim_store_get(s, k, *ns, sep + 1);
	const char *uid = json_string_value(json_object_get(
		json_object_get(obj, "metadata"), "uid"));
	return uid && !strcmp(uid, e->key) ? obj : NULL;
}

void sim_dirty_free(struct sim_dirty *d)
{
	smap_free(&d->m);
}

/* ---- mixing ---------------------------------------------------------------- */

uint64_t sim_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

uint64_t sim_hash_str(uint64_t h, const char *s)
{
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* ---- pod addresses ------------------------------------------------------- */

void sim_world_pod_ip(struct sim_world *w, int idx, char out[20])
{
	if (idx < 1 || idx >= 64)
		idx = 1;
	unsigned c = w->node_ips[idx]++;
	unsigned third = ((unsigned)idx - 1 + 3 * (c / 253)) % 256;
	snprintf(out, 20, "10.244.%u.%u", third, c % 253 + 2);
}

/* ---- images on nodes ------------------------------------------------------ */

static char *node_image_key(const char *node, const char *image)
{
	char *norm = sim_image_normalize(image);
	char *k = xasprintf("%s\x1f%s", node ? node : "", norm ? norm : image);
	free(norm);
	return k;
}

int sim_node_has_image(struct sim_world *w, const char *node, const char *image)
{
	char *k = node_image_key(node, image);
	int has = smap_get(&w->node_images, k) != NULL;
	free(k);
	return has;
}

void sim_node_add_image(struct sim_world *w, const char *node, const char *image)
{
	char *k = node_image_key(node, image);
	smap_put(&w->node_images, k, (void *)1);
	free(k);
}

/* ---- the registry through the world ------------------------------------ */

int sim_registry_has(struct sim *s, const char *image)
{
	return sim_registry_lookup(sim_world(s)->reg, image, NULL, NULL) != NULL;
}

int sim_registry_put(struct sim *s, const char *image, const void *model,
		     size_t model_len)
{
	return sim_registry_add(sim_world(s)->reg, image, model, model_len);
}

const void *sim_registry_model(struct sim *s, const char *image, size_t *len)
{
	const void *m = NULL;
	sim_registry_lookup(sim_world(s)->reg, image, &m, len);
	return m;
}

void sim_sync_changed(struct sim *s, unsigned long long *since_rv, struct smap *timed,
		      size_t max,
		      void (*fn)(const struct sim_kind *k, const char *type, json_t *obj,
				 void *ud),
		      void (*full_pass)(struct sim *s), const struct sim_kind *owner,
		      const struct sim_kind *child,
		      void (*sync)(struct sim *s, json_t *obj, struct pod_group *g))
{
	unsigned long long since = *since_rv;
	*since_rv = sim_store_rv(s);
	struct sim_dirty d;
	sim_dirty_init(&d, max);
	if (since && sim_world_changes(s, since, fn, &d) == 0)
		sim_dirty_mark_all(&d, timed);
	else
		d.overflow = 1;
	if (d.overflow) {
		sim_dirty_free(&d);
		full_pass(s);
		return;
	}
	struct smap_ent *e;
	for (size_t i = 0; (i = smap_next(&d.m, i, &e));) {
		char *ns;
		json_t *obj = sim_dirty_get(s, owner, e, &ns);
		if (obj) {
			struct pod_group g;
			sim_collect_owned(s, child, ns, e->key, &g);
			json_incref(obj);
			sync(s, obj, &g);
			json_decref(obj);
			for (size_t j = 0; j < g.n; j++)
				json_decref(g.v[j]);
			free(g.v);
		} else {
			smap_del(timed, e->key);
		}
		free(ns);
	}
	sim_dirty_free(&d);
}
