/*
 * store.c - the simulated cluster's object store: per kind, the objects
 * sorted by namespace and name (binary search, ordered iteration); one
 * global resourceVersion counter; a bounded history of watch events from
 * which watches resume; per-watcher bounded queues that drop a watcher
 * which falls behind instead of stalling the store.
 *
 * Stored objects are immutable once stored: a change replaces the object,
 * so the history, queued events and responses in flight share them by
 * reference without copies. Every function here runs with the sim lock
 * held.
 */
#define _POSIX_C_SOURCE 200809L
#include "kube/sim/sim_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WATCH_QUEUE_CAP 4096

/* Index of k in sim_kinds[] (k points into the table). */
size_t sim_kind_index(const struct sim_kind *k)
{
	return (size_t)(k - sim_kinds);
}

static struct sim_bucket *bucket(struct sim *s, const struct sim_kind *k)
{
	size_t i = sim_kind_index(k);
	return i < s->nkinds ? &s->buckets[i] : NULL;
}

static const char *str_or_empty(const char *p)
{
	return p ? p : "";
}

/* The namespace key under which kind k files an object. */
static const char *ns_key(const struct sim_kind *k, const char *ns)
{
	return k->namespaced ? str_or_empty(ns) : "";
}

static int entry_cmp(const char *ns, const char *name, const struct sim_entry *e)
{
	int c = strcmp(ns, e->ns);
	return c ? c : strcmp(name, e->name);
}

/* Position of ns/name in b: its index when found (*found = 1), else where
 * it would be inserted. */
static size_t bucket_find(const struct sim_bucket *b, const char *ns,
			  const char *name, int *found)
{
	size_t lo = 0, hi = b->n;
	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = entry_cmp(ns, name, &b->v[mid]);
		if (c == 0) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* First index whose namespace is >= ns. */
static size_t bucket_ns_start(const struct sim_bucket *b, const char *ns)
{
	size_t lo = 0, hi = b->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(b->v[mid].ns, ns) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Make the per-kind buckets and the watch history; sim_new calls it. */
void sim_store_init(struct sim *s)
{
	size_t n = 0;
	while (sim_kinds[n].kind)
		n++;
	s->nkinds = n;
	s->buckets = xcalloc(n, sizeof *s->buckets);
	if (!s->hist_cap)
		s->hist_cap = 4096;
	s->hist = xcalloc(s->hist_cap, sizeof *s->hist);
	s->watch_queue_cap = WATCH_QUEUE_CAP;
}

static void wev_unref(struct sim_wev *ev)
{
	if (!ev || --ev->refs > 0)
		return;
	json_decref(ev->obj);
	json_decref(ev->prev);
	free(ev->ns);
	free(ev->line);
	free(ev);
}

/* Free every object, event and watcher; lock held. */
void sim_store_fini(struct sim *s)
{
	while (s->watchers)
		sim_watch_close(s, s->watchers);
	for (size_t i = 0; i < s->hist_len; i++)
		wev_unref(s->hist[(s->hist_head + i) % s->hist_cap]);
	free(s->hist);
	for (size_t i = 0; i < s->nkinds; i++) {
		struct sim_bucket *b = &s->buckets[i];
		for (size_t j = 0; j < b->n; j++) {
			free(b->v[j].ns);
			free(b->v[j].name);
			json_decref(b->v[j].obj);
		}
		free(b->v);
	}
	free(s->buckets);
}

/* The stored object (borrowed, immutable) or NULL; lock held. */
json_t *sim_store_get(struct sim *s, const struct sim_kind *k, const char *ns,
		      const char *name)
{
	struct sim_bucket *b = bucket(s, k);
	int found;
	if (!b || !name)
		return NULL;
	size_t i = bucket_find(b, ns_key(k, ns), name, &found);
	return found ? b->v[i].obj : NULL;
}

/* Call fn on each object of k in ns (NULL: all), in namespace/name order. */
void sim_store_each(struct sim *s, const struct sim_kind *k, const char *ns,
		    int (*fn)(json_t *obj, void *ud), void *ud)
{
	struct sim_bucket *b = bucket(s, k);
	if (!b)
		return;
	const char *key = ns && k->namespaced ? ns : NULL;
	size_t i = key ? bucket_ns_start(b, key) : 0;
	for (; i < b->n; i++) {
		if (key && strcmp(b->v[i].ns, key) != 0)
			break;
		if (fn(b->v[i].obj, ud))
			break;
	}
}

/* How many objects of k in ns (NULL: all). */
size_t sim_store_count(struct sim *s, const struct sim_kind *k, const char *ns)
{
	struct sim_bucket *b = bucket(s, k);
	if (!b)
		return 0;
	if (!ns || !k->namespaced)
		return b->n;
	size_t i = bucket_ns_start(b, ns), n = 0;
	while (i + n < b->n && strcmp(b->v[i + n].ns, ns) == 0)
		n++;
	return n;
}

/* The current resourceVersion. */
unsigned long long sim_store_rv(struct sim *s)
{
	return s->rv;
}

/* ---- watch events ---------------------------------------------------- */

static void watcher_push(struct sim *s, struct sim_watcher *w,
			 struct sim_wev *ev, const char *type, int use_prev)
{
	if (w->closed)
		return;
	if (w->qlen == w->qcap) {
		/* Too far behind: close it as the real watch cache does; the
		 * client resumes from its last resourceVersion. */
		w->closed = 1;
		pthread_cond_signal(&w->cv);
		return;
	}
	ev->refs++;
	struct sim_wq *e = &w->q[(w->qhead + w->qlen++) % w->qcap];
	e->ev = ev;
	e->type = type;
	e->use_prev = use_prev;
	pthread_cond_signal(&w->cv);
	(void)s;
}

/* Whether w sees ev, and as what (the watch cache's convertToWatchEvent):
 * through a selector a change into it is ADDED, a change out of it is
 * DELETED carrying the previous content. */
static int watcher_wants(const struct sim_watcher *w, const struct sim_wev *ev,
			 const char **type, int *use_prev)
{
	*type = ev->type;
	*use_prev = 0;
	if (w->kind != ev->kind)
		return 0;
	if (w->ns && ev->kind->namespaced && strcmp(w->ns, ev->ns) != 0)
		return 0;
	if (!w->match)
		return 1;
	int cur = w->match(ev->obj, w->match_ud);
	if (!ev->prev)
		return cur;
	int old = w->match(ev->prev, w->match_ud);
	if (cur && !old)
		*type = "ADDED";
	else if (!cur && old) {
		*type = "DELETED";
		*use_prev = 1;
	}
	return cur || old;
}

/* Deliver ev to w if it wants it. */
static void offer(struct sim *s, struct sim_watcher *w, struct sim_wev *ev)
{
	const char *type;
	int use_prev;
	if (watcher_wants(w, ev, &type, &use_prev))
		watcher_push(s, w, ev, type, use_prev);
}

/* Record a change: into the history (evicting the oldest, which raises the
 * floor watches may resume from) and into every interested watcher. */
static void emit(struct sim *s, const struct sim_kind *k, const char *type,
		 const char *ns, json_t *obj, json_t *prev)
{
	struct sim_wev *ev = xcalloc(1, sizeof *ev);
	ev->refs = 1;
	ev->rv = s->rv;
	ev->kind = k;
	ev->type = type;
	ev->ns = xstrdup(ns);
	ev->obj = json_incref(obj);
	ev->prev = json_incref(prev);
	if (s->hist_len == s->hist_cap) {
		struct sim_wev *old = s->hist[s->hist_head];
		s->floor = old->rv;
		s->hist_head = (s->hist_head + 1) % s->hist_cap;
		s->hist_len--;
		wev_unref(old);
	}
	s->hist[(s->hist_head + s->hist_len++) % s->hist_cap] = ev;
	for (struct sim_watcher *w = s->watchers; w; w = w->next)
		offer(s, w, ev);
}

/* The line for a watcher that sees ev differently (caller frees): the
 * previous content with the event's resourceVersion when use_prev. */
static char *wq_line(const struct sim_wq *e, size_t *len)
{
	json_t *obj = e->ev->obj;
	if (e->use_prev) {
		char rv[32];
		snprintf(rv, sizeof rv, "%llu", e->ev->rv);
		obj = json_deep_copy(e->ev->prev);
		json_object_set_new(json_object_get(obj, "metadata"), "resourceVersion",
				    json_string(rv));
	} else {
		json_incref(obj);
	}
	json_t *o = json_object();
	json_object_set_new(o, "type", json_string(e->type));
	json_object_set_new(o, "object", obj);
	char *txt = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	size_t n = strlen(txt);
	char *line = xmalloc(n + 2);
	memcpy(line, txt, n);
	line[n] = '\n';
	line[n + 1] = '\0';
	free(txt);
	*len = n + 1;
	return line;
}

static const char *wev_line(struct sim_wev *ev, size_t *len)
{
	if (!ev->line) {
		json_t *e = json_object();
		json_object_set_new(e, "type", json_string(ev->type));
		json_object_set(e, "object", ev->obj);
		char *txt = json_dumps(e, JSON_COMPACT);
		json_decref(e);
		size_t n = strlen(txt);
		ev->line = xmalloc(n + 2);
		memcpy(ev->line, txt, n);
		ev->line[n] = '\n';
		ev->line[n + 1] = '\0';
		ev->line_len = n + 1;
		free(txt);
	}
	*len = ev->line_len;
	return ev->line;
}

/* Register a watcher, replaying history after from_rv (or the state for 0). */
struct sim_watcher *sim_watch_open(struct sim *s, const struct sim_kind *k,
				   const char *ns, unsigned long long from_rv,
				   sim_watch_match_fn match, void *ud,
				   struct sim_status *st)
{
	if (from_rv && from_rv < s->floor) {
		sim_status_expired(st, from_rv, s->floor);
		return NULL;
	}
	struct sim_watcher *w = xcalloc(1, sizeof *w);
	w->kind = k;
	w->ns = ns && k->namespaced ? xstrdup(ns) : NULL;
	w->match = match;
	w->match_ud = ud;
	w->qcap = s->watch_queue_cap;
	w->q = xcalloc(w->qcap, sizeof *w->q);
	pthread_cond_init(&w->cv, NULL);

	if (from_rv == 0) {
		/* "Get state and start at most recent": every current object
		 * as ADDED, then the changes. */
		struct sim_bucket *b = bucket(s, k);
		size_t i = w->ns ? bucket_ns_start(b, w->ns) : 0;
		for (; b && i < b->n; i++) {
			if (w->ns && strcmp(b->v[i].ns, w->ns) != 0)
				break;
			struct sim_wev *ev = xcalloc(1, sizeof *ev);
			ev->refs = 1;
			ev->kind = k;
			ev->type = "ADDED";
			ev->ns = xstrdup(b->v[i].ns);
			ev->obj = json_incref(b->v[i].obj);
			offer(s, w, ev);
			wev_unref(ev);
		}
	} else {
		for (size_t i = 0; i < s->hist_len; i++) {
			struct sim_wev *ev = s->hist[(s->hist_head + i) % s->hist_cap];
			if (ev->rv > from_rv)
				offer(s, w, ev);
		}
	}
	w->next = s->watchers;
	s->watchers = w;
	return w;
}

/* Wait for events and append their lines: 1 data, 0 timeout, -1 closed. */
int sim_watch_next(struct sim *s, struct sim_watcher *w, struct dbuf *out,
		   long long timeout_ms)
{
	if (!w->qlen && !w->closed && timeout_ms > 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += timeout_ms / 1000;
		ts.tv_nsec += (timeout_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		while (!w->qlen && !w->closed) {
			if (pthread_cond_timedwait(&w->cv, &s->mu, &ts) == ETIMEDOUT)
				break;
		}
	}
	if (!w->qlen)
		return w->closed ? -1 : 0;
	int any = 0;
	while (w->qlen) {
		struct sim_wq *e = &w->q[w->qhead];
		size_t len;
		char *own = NULL;
		const char *line;
		if (e->use_prev || e->type != e->ev->type)
			line = own = wq_line(e, &len);
		else
			line = wev_line(e->ev, &len);
		int stop = any && out->max && out->len + len > out->max;
		if (!stop && dbuf_append(out, line, len) < 0) {
			/* One event larger than the caller's cap: it cannot be
			 * sent, so the watch ends rather than skip it. */
			stop = 1;
			if (!any) {
				free(own);
				w->closed = 1;
				return -1;
			}
		}
		free(own);
		if (stop)
			break;
		any = 1;
		w->qhead = (w->qhead + 1) % w->qcap;
		w->qlen--;
		wev_unref(e->ev);
	}
	return 1;
}

/* Unregister w and free it with its queue; accepts NULL. */
void sim_watch_close(struct sim *s, struct sim_watcher *w)
{
	if (!w)
		return;
	for (struct sim_watcher **p = &s->watchers; *p; p = &(*p)->next) {
		if (*p == w) {
			*p = w->next;
			break;
		}
	}
	while (w->qlen) {
		wev_unref(w->q[w->qhead].ev);
		w->qhead = (w->qhead + 1) % w->qcap;
		w->qlen--;
	}
	pthread_cond_destroy(&w->cv);
	free(w->q);
	free(w->ns);
	free(w);
}

/* Close every watcher now (drop-watches). */
void sim_watch_drop_all(struct sim *s)
{
	for (struct sim_watcher *w = s->watchers; w; w = w->next) {
		w->closed = 1;
		pthread_cond_signal(&w->cv);
	}
}

/* Compact the history and close the watchers (expire-watches). */
void sim_watch_expire_all(struct sim *s)
{
	/* A compaction: the history goes, and the counter moves one past
	 * the floor so that a fresh list hands out a resumable version. */
	while (s->hist_len) {
		wev_unref(s->hist[s->hist_head]);
		s->hist_head = (s->hist_head + 1) % s->hist_cap;
		s->hist_len--;
	}
	s->rv++;
	s->floor = s->rv;
	sim_watch_drop_all(s);
}

/* ---- mutations ------------------------------------------------------- */

static const char *meta_str(const json_t *obj, const char *key)
{
	return json_string_value(
		json_object_get(json_object_get(obj, "metadata"), key));
}

static void set_rv(json_t *obj, unsigned long long rv)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%llu", rv);
	json_object_set_new(json_object_get(obj, "metadata"), "resourceVersion",
			    json_string(buf));
}

static void bucket_insert(struct sim_bucket *b, size_t at, const char *ns,
			  const char *name, json_t *obj)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		b->v = xrealloc(b->v, b->cap * sizeof *b->v);
	}
	memmove(&b->v[at + 1], &b->v[at], (b->n - at) * sizeof *b->v);
	b->v[at].ns = xstrdup(ns);
	b->v[at].name = xstrdup(name);
	b->v[at].obj = obj;
	b->n++;
}

static void bucket_erase(struct sim_bucket *b, size_t at)
{
	free(b->v[at].ns);
	free(b->v[at].name);
	json_decref(b->v[at].obj);
	memmove(&b->v[at], &b->v[at + 1], (b->n - at - 1) * sizeof *b->v);
	b->n--;
}

static const struct sim_kind *kind_namespaces(void)
{
	return sim_kind_find("", "namespaces");
}

/* A random lowercase suffix from the alphabet the real server uses for
 * generateName (no vowels, no look-alike digits). */
static void random_suffix(struct sim *s, char *buf, size_t n)
{
	static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
	for (size_t i = 0; i + 1 < n; i++)
		buf[i] = alphabet[sim_rand(s) % (sizeof alphabet - 1)];
	buf[n - 1] = '\0';
}

static void new_uid(struct sim *s, char *buf, size_t n)
{
	unsigned long long a = sim_rand(s), b = sim_rand(s);
	snprintf(buf, n, "%08llx-%04llx-4%03llx-%04llx-%012llx",
		 a & 0xffffffffULL, (a >> 32) & 0xffffULL, (a >> 48) & 0xfffULL,
		 0x8000ULL | (b & 0x3fffULL), (b >> 16) & 0xffffffffffffULL);
}

static void invalid_name_required(struct sim_status *st,
				  const struct sim_kind *k)
{
	char msg[256];
	snprintf(msg, sizeof msg, "%s%s%s \"\" is invalid: metadata.name: "
		 "Required value: name or generateName is required", k->kind,
		 k->group[0] ? "." : "", k->group);
	sim_status_set(st, 422, "Invalid", "%s", msg);
	if (!st)
		return;
	json_t *d = json_object();
	json_object_set_new(d, "group", json_string(k->group));
	json_object_set_new(d, "kind", json_string(k->kind));
	if (!k->group[0])
		json_object_del(d, "group");
	json_t *cause = json_pack("{s:s,s:s,s:s}", "reason", "FieldValueRequired",
				  "message",
				  "Required value: name or generateName is required",
				  "field", "metadata.name");
	json_object_set_new(d, "causes", json_pack("[o]", cause));
	st->details = d;
}

/* The namespace must exist and not be terminating to create in it. */
static int check_namespace(struct sim *s, const struct sim_kind *k,
			   const char *ns, struct sim_status *st)
{
	if (!k->namespaced)
		return 0;
	json_t *nso = sim_store_get(s, kind_namespaces(), NULL, ns);
	if (!nso) {
		sim_status_not_found(st, kind_namespaces(), ns);
		return -1;
	}
	if (meta_str(nso, "deletionTimestamp")) {
		sim_status_set(st, 403, "Forbidden",
			       "%s \"%s\" is forbidden: unable to create new content "
			       "in namespace %s because it is being terminated",
			       k->plural, "", ns);
		if (st) {
			json_t *d = json_pack("{s:s,s:[{s:s,s:s,s:s}]}", "kind",
					      k->plural, "causes", "reason",
					      "NamespaceTerminating", "message",
					      "namespace is being terminated",
					      "field", "metadata.namespace");
			st->details = d;
		}
		return -1;
	}
	return 0;
}

/* Create, or with dry only check and show it (then *out is the caller's). */
static int create_impl(struct sim *s, const struct sim_kind *k, const char *ns,
		       json_t *obj, json_t **out, struct sim_status *st, int dry)
{
	int rc = -1;
	char buf[64], av[64];
	if (out)
		*out = NULL;
	if (!json_is_object(obj)) {
		sim_status_bad_request(st, "the object provided is not a JSON object");
		goto out;
	}
	json_t *meta = json_object_get(obj, "metadata");
	if (!meta) {
		meta = json_object();
		json_object_set_new(obj, "metadata", meta);
	}
	if (!json_is_object(meta)) {
		sim_status_bad_request(st, "metadata must be an object");
		goto out;
	}
	if (k->namespaced) {
		if (!ns)
			ns = meta_str(obj, "namespace");
		if (!ns || !*ns)
			ns = "default";
	} else {
		ns = "";
	}
	char *nsdup = xstrdup(ns);
	ns = nsdup;
	json_object_set_new(obj, "kind", json_string(k->kind));
	json_object_set_new(obj, "apiVersion",
			    json_string(sim_kind_api_version(k, av, sizeof av)));
	if (k->namespaced)
		json_object_set_new(meta, "namespace", json_string(ns));
	else
		json_object_del(meta, "namespace");

	if (meta_str(obj, "resourceVersion") && *meta_str(obj, "resourceVersion")) {
		sim_status_bad_request(st, "resourceVersion should not be set on "
					   "objects to be created");
		goto out_ns;
	}
	const char *name = meta_str(obj, "name");
	const char *gen = meta_str(obj, "generateName");
	if ((!name || !*name) && gen && *gen) {
		char suffix[6];
		random_suffix(s, suffix, sizeof suffix);
		char *full = xasprintf("%.*s%s", 58, gen, suffix);
		json_object_set_new(meta, "name", json_string(full));
		free(full);
		name = meta_str(obj, "name");
	}
	if (!name || !*name) {
		invalid_name_required(st, k);
		goto out_ns;
	}
	if (check_namespace(s, k, ns, st) < 0)
		goto out_ns;
	new_uid(s, buf, sizeof buf);
	json_object_set_new(meta, "uid", json_string(buf));
	json_object_set_new(meta, "creationTimestamp",
			    json_string(sim_rfc3339(s, buf, sizeof buf)));
	json_object_del(meta, "deletionTimestamp");
	json_object_del(meta, "deletionGracePeriodSeconds");
	if (k->has_generation)
		json_object_set_new(meta, "generation", json_integer(1));
	else
		json_object_del(meta, "generation");
	/* As the real server: system fields, defaults, validation, then the
	 * write that finds a duplicate. */
	sim_defaults_apply(s, k, obj);
	if (sim_validate(k, obj, NULL, st) < 0)
		goto out_ns;
	if (sim_store_get(s, k, ns, meta_str(obj, "name"))) {
		sim_status_already_exists(st, k, meta_str(obj, "name"));
		goto out_ns;
	}

	if (dry) {
		sim_canonical_order(obj);
		if (out)
			*out = json_incref(obj);
		rc = 0;
		goto out_ns;
	}
	struct sim_bucket *b = bucket(s, k);
	int found;
	name = meta_str(obj, "name");
	size_t at = bucket_find(b, ns, name, &found);
	s->rv++;
	set_rv(obj, s->rv);
	sim_canonical_order(obj);
	bucket_insert(b, at, ns, name, obj);
	emit(s, k, "ADDED", ns, obj, NULL);
	if (out)
		*out = obj;
	obj = NULL;
	rc = 0;
out_ns:
	free(nsdup);
out:
	json_decref(obj);
	return rc;
}

/* Create with system fields, defaults and validation; takes ownership. */
int sim_store_create(struct sim *s, const struct sim_kind *k, const char *ns,
		     json_t *obj, json_t **out, struct sim_status *st)
{
	return create_impl(s, k, ns, obj, out, st, 0);
}

/* The dry run of a create: checked and shown, not stored. */
int sim_store_create_dry(struct sim *s, const struct sim_kind *k, const char *ns,
			 json_t *obj, json_t **out, struct sim_status *st)
{
	return create_impl(s, k, ns, obj, out, st, 1);
}

/* The parts of an object that an update may not change. */
static void keep_immutable_meta(json_t *obj, const json_t *old)
{
	static const char *const keys[] = { "uid", "creationTimestamp",
					    "deletionTimestamp",
					    "deletionGracePeriodSeconds",
					    "generation", NULL };
	json_t *meta = json_object_get(obj, "metadata");
	const json_t *ometa = json_object_get(old, "metadata");
	for (const char *const *key = keys; *key; key++) {
		json_t *v = json_object_get(ometa, *key);
		if (v)
			json_object_set(meta, *key, v);
		else
			json_object_del(meta, *key);
	}
}

/* Equal apart from the resourceVersion (a no-op write is not a write). */
static int same_object(const json_t *a, const json_t *b)
{
	json_t *ac = json_deep_copy(a), *bc = json_deep_copy(b);
	json_object_del(json_object_get(ac, "metadata"), "resourceVersion");
	json_object_del(json_object_get(bc, "metadata"), "resourceVersion");
	int eq = json_equal(ac, bc);
	json_decref(ac);
	json_decref(bc);
	return eq;
}

/* Replace, or with dry only check and show it (then *out is the
 * caller's). */
static int update_impl(struct sim *s, const struct sim_kind *k, const char *ns,
		       json_t *obj, json_t **out, struct sim_status *st, int dry)
{
	int rc = -1;
	char av[64];
	if (out)
		*out = NULL;
	if (!json_is_object(obj) || !json_is_object(json_object_get(obj, "metadata"))) {
		sim_status_bad_request(st, "the object provided is not a JSON object");
		goto out;
	}
	if (!k->namespaced)
		ns = "";
	else if (!ns)
		ns = str_or_empty(meta_str(obj, "namespace"));
	const char *name = meta_str(obj, "name");
	if (!name || !*name) {
		invalid_name_required(st, k);
		goto out;
	}
	struct sim_bucket *b = bucket(s, k);
	int found;
	size_t at = bucket_find(b, ns, name, &found);
	if (!found) {
		sim_status_not_found(st, k, name);
		goto out;
	}
	json_t *old = b->v[at].obj;
	if (obj == old) {
		/* The caller changed the stored object in place; history
		 * shares it, so store a copy. */
		json_t *c = json_deep_copy(obj);
		json_decref(obj);
		obj = c;
	}
	const char *rv = meta_str(obj, "resourceVersion");
	if (rv && *rv && strcmp(rv, meta_str(old, "resourceVersion")) != 0) {
		sim_status_conflict(st, k, name);
		goto out;
	}
	json_t *meta = json_object_get(obj, "metadata");
	json_object_set_new(obj, "kind", json_string(k->kind));
	json_object_set_new(obj, "apiVersion",
			    json_string(sim_kind_api_version(k, av, sizeof av)));
	if (k->namespaced)
		json_object_set_new(meta, "namespace", json_string(ns));
	else
		json_object_del(meta, "namespace");
	keep_immutable_meta(obj, old);
	if (sim_validate(k, obj, old, st) < 0)
		goto out;
	if (k->has_generation &&
	    !json_equal(json_object_get(obj, "spec"), json_object_get(old, "spec"))) {
		json_int_t g = json_integer_value(
			json_object_get(json_object_get(old, "metadata"), "generation"));
		json_object_set_new(meta, "generation", json_integer(g + 1));
	}
	json_object_set(meta, "resourceVersion",
			json_object_get(json_object_get(old, "metadata"),
					"resourceVersion"));
	sim_canonical_order(obj);
	if (dry) {
		if (out)
			*out = json_incref(obj);
		rc = 0;
		goto out;
	}
	if (same_object(obj, old)) {
		if (out)
			*out = old;
		rc = 0;
		goto out;
	}
	s->rv++;
	set_rv(obj, s->rv);
	b->v[at].obj = obj;
	emit(s, k, "MODIFIED", ns, obj, old);
	json_decref(old);
	if (out)
		*out = obj;
	obj = NULL;
	rc = 0;
out:
	json_decref(obj);
	return rc;
}

/* Replace, with the stale-resourceVersion 409; takes ownership. */
int sim_store_update(struct sim *s, const struct sim_kind *k, const char *ns,
		     json_t *obj, json_t **out, struct sim_status *st)
{
	return update_impl(s, k, ns, obj, out, st, 0);
}

/* The dry run of an update: checked and shown, not stored. */
int sim_store_update_dry(struct sim *s, const struct sim_kind *k, const char *ns,
			 json_t *obj, json_t **out, struct sim_status *st)
{
	return update_impl(s, k, ns, obj, out, st, 1);
}

static void namespace_finish(struct sim *s, const char *ns);

/* Remove now and emit DELETED; finishes a terminating namespace. */
int sim_store_remove(struct sim *s, const struct sim_kind *k, const char *ns,
		     const char *name, struct sim_status *st)
{
	struct sim_bucket *b = bucket(s, k);
	int found;
	ns = ns_key(k, ns);
	size_t at = b && name ? bucket_find(b, ns, name, &found) : 0;
	if (!b || !name || !found) {
		sim_status_not_found(st, k, name ? name : "");
		return -1;
	}
	/* The DELETED event carries the object at the deletion's version. */
	json_t *gone = json_deep_copy(b->v[at].obj);
	s->rv++;
	set_rv(gone, s->rv);
	char *nsdup = xstrdup(ns);
	bucket_erase(b, at);
	emit(s, k, "DELETED", nsdup, gone, NULL);
	json_decref(gone);
	if (k->namespaced)
		namespace_finish(s, nsdup);
	free(nsdup);
	return 0;
}

/* Replace a stored object by a copy changed by fn (lock held). */
static json_t *modify(struct sim *s, const struct sim_kind *k, const char *ns,
		      json_t *obj, void (*fn)(struct sim *, json_t *, void *),
		      void *ud)
{
	json_t *c = json_deep_copy(obj), *out = NULL;
	fn(s, c, ud);
	if (sim_store_update(s, k, ns, c, &out, NULL) < 0)
		return NULL;
	return out;
}

struct dep_scan {
	const char *uid;
	json_t **found;
	size_t n, cap;
};

static int scan_dependent(json_t *obj, void *ud)
{
	struct dep_scan *d = ud;
	json_t *refs = json_object_get(json_object_get(obj, "metadata"),
				       "ownerReferences");
	size_t i;
	json_t *r;
	json_array_foreach(refs, i, r)
	{
		const char *u = json_string_value(json_object_get(r, "uid"));
		if (u && strcmp(u, d->uid) == 0) {
			if (d->n == d->cap) {
				d->cap = d->cap ? d->cap * 2 : 8;
				d->found = xrealloc(d->found, d->cap * sizeof *d->found);
			}
			d->found[d->n++] = json_incref(obj);
			break;
		}
	}
	return 0;
}

static void drop_owner_ref(struct sim *s, json_t *obj, void *ud)
{
	(void)s;
	json_t *meta = json_object_get(obj, "metadata");
	json_t *refs = json_object_get(meta, "ownerReferences");
	for (size_t i = json_array_size(refs); i-- > 0;) {
		const char *u = json_string_value(
			json_object_get(json_array_get(refs, i), "uid"));
		if (u && strcmp(u, ud) == 0)
			json_array_remove(refs, i);
	}
	if (json_array_size(refs) == 0)
		json_object_del(meta, "ownerReferences");
}

/* Every object in ns that names uid among its owners (new references). */
static void find_dependents(struct sim *s, const char *ns, const char *uid,
			    struct dep_scan *d, const struct sim_kind **kinds,
			    size_t *nk)
{
	memset(d, 0, sizeof *d);
	d->uid = uid;
	*nk = 0;
	for (const struct sim_kind *k = sim_kinds; k->kind; k++) {
		if (!k->namespaced)
			continue;
		size_t before = d->n;
		sim_store_each(s, k, ns, scan_dependent, d);
		for (size_t i = before; i < d->n; i++)
			kinds[(*nk)++] = k;
	}
}

static int delete_impl(struct sim *s, const struct sim_kind *k, const char *ns,
		       const char *name, const char *propagation,
		       long long grace, json_t **out, struct sim_status *st,
		       int depth);

static void set_deleting(struct sim *s, json_t *obj, void *ud)
{
	long long grace = *(long long *)ud;
	char buf[40];
	long long when = sim_wall_ms(s) + grace * 1000;
	time_t t = (time_t)(when / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_t *meta = json_object_get(obj, "metadata");
	json_object_set_new(meta, "deletionTimestamp", json_string(buf));
	json_object_set_new(meta, "deletionGracePeriodSeconds", json_integer(grace));
}

/* Set deletionTimestamp through update, which otherwise keeps it. */
static json_t *mark_deleting(struct sim *s, const struct sim_kind *k,
			     const char *ns, json_t *obj, long long grace)
{
	json_t *c = json_deep_copy(obj);
	set_deleting(s, c, &grace);
	json_t *meta = json_object_get(c, "metadata");
	json_t *dts = json_incref(json_object_get(meta, "deletionTimestamp"));
	json_t *dgp = json_incref(json_object_get(meta, "deletionGracePeriodSeconds"));
	/* Store directly: keep_immutable_meta would undo the timestamp. */
	struct sim_bucket *b = bucket(s, k);
	int found;
	size_t at = bucket_find(b, ns_key(k, ns), meta_str(obj, "name"), &found);
	json_t *old = b->v[at].obj;
	json_object_set_new(meta, "deletionTimestamp", dts);
	json_object_set_new(meta, "deletionGracePeriodSeconds", dgp);
	sim_canonical_order(c);
	s->rv++;
	set_rv(c, s->rv);
	b->v[at].obj = c;
	emit(s, k, "MODIFIED", ns_key(k, ns), c, old);
	json_decref(old);
	return c;
}

/* A terminating namespace goes once nothing is left in it. */
static void namespace_finish(struct sim *s, const char *ns)
{
	const struct sim_kind *nk = kind_namespaces();
	json_t *nso = sim_store_get(s, nk, NULL, ns);
	if (!nso || !meta_str(nso, "deletionTimestamp"))
		return;
	for (const struct sim_kind *k = sim_kinds; k->kind; k++)
		if (k->namespaced && sim_store_count(s, k, ns))
			return;
	sim_store_remove(s, nk, NULL, ns, NULL);
}

static int collect_all(json_t *obj, void *ud)
{
	struct dep_scan *d = ud;
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 8;
		d->found = xrealloc(d->found, d->cap * sizeof *d->found);
	}
	d->found[d->n++] = json_incref(obj);
	return 0;
}

static void set_terminating(struct sim *s, json_t *obj, void *ud)
{
	(void)s;
	(void)ud;
	json_t *status = json_object_get(obj, "status");
	if (!json_is_object(status)) {
		status = json_object();
		json_object_set_new(obj, "status", status);
	}
	json_object_set_new(status, "phase", json_string("Terminating"));
}

static int delete_namespace(struct sim *s, const struct sim_kind *k,
			    json_t *nso, json_t **out)
{
	char *ns = xstrdup(meta_str(nso, "name"));
	json_t *cur = modify(s, k, NULL, nso, set_terminating, NULL);
	if (cur)
		cur = mark_deleting(s, k, NULL, cur, 0);
	json_t *ret = json_incref(cur);
	for (const struct sim_kind *ik = sim_kinds; ik->kind; ik++) {
		if (!ik->namespaced)
			continue;
		struct dep_scan d;
		memset(&d, 0, sizeof d);
		sim_store_each(s, ik, ns, collect_all, &d);
		for (size_t i = 0; i < d.n; i++) {
			delete_impl(s, ik, ns, meta_str(d.found[i], "name"),
				    "Background", -1, NULL, NULL, 1);
			json_decref(d.found[i]);
		}
		free(d.found);
	}
	namespace_finish(s, ns);
	free(ns);
	if (out)
		*out = ret;
	else
		json_decref(ret);
	return 0;
}

static int delete_impl(struct sim *s, const struct sim_kind *k, const char *ns,
		       const char *name, const char *propagation,
		       long long grace, json_t **out, struct sim_status *st,
		       int depth)
{
	if (out)
		*out = NULL;
	json_t *obj = sim_store_get(s, k, ns, name);
	if (!obj) {
		sim_status_not_found(st, k, name);
		return -1;
	}
	if (!propagation || !*propagation)
		propagation = "Background";
	if (strcmp(propagation, "Background") != 0 &&
	    strcmp(propagation, "Foreground") != 0 &&
	    strcmp(propagation, "Orphan") != 0) {
		sim_status_set(st, 422, "Invalid",
			       "DeleteOptions.meta.k8s.io \"\" is invalid: "
			       "propagationPolicy: Unsupported value: \"%s\": "
			       "supported values: \"Foreground\", \"Background\", "
			       "\"Orphan\", \"nil\"",
			       propagation);
		return -1;
	}
	if (k == kind_namespaces()) {
		if (meta_str(obj, "deletionTimestamp")) {
			if (out)
				*out = json_incref(obj);
			return 0;
		}
		return delete_namespace(s, k, obj, out);
	}
	json_incref(obj);
	int pod = strcmp(k->kind, "Pod") == 0 && !k->group[0];
	const char *uid = meta_str(obj, "uid");

	struct dep_scan d;
	const struct sim_kind **dkinds = NULL;
	size_t nk = 0;
	if (depth < 8 && uid) {
		size_t total = 0;
		for (const struct sim_kind *ik = sim_kinds; ik->kind; ik++)
			if (ik->namespaced)
				total += sim_store_count(s, ik, ns);
		dkinds = xcalloc(total + 1, sizeof *dkinds);
		find_dependents(s, ns, uid, &d, dkinds, &nk);
	} else {
		memset(&d, 0, sizeof d);
	}
	for (size_t i = 0; i < d.n; i++) {
		const char *dn = meta_str(d.found[i], "name");
		if (strcmp(propagation, "Orphan") == 0)
			modify(s, dkinds[i], ns, d.found[i], drop_owner_ref,
			       (void *)uid);
		else
			delete_impl(s, dkinds[i], ns, dn, "Background", -1, NULL,
				    NULL, depth + 1);
	}
	for (size_t i = 0; i < d.n; i++)
		json_decref(d.found[i]);
	free(d.found);
	free(dkinds);

	int rc = 0;
	if (pod) {
		/* Graceful: a scheduled pod gets deletionTimestamp and the
		 * kubelet removes it when its containers have stopped. */
		if (grace < 0) {
			json_t *g = json_object_get(json_object_get(obj, "spec"),
						    "terminationGracePeriodSeconds");
			grace = json_is_integer(g) ? json_integer_value(g) : 30;
		}
		const char *node = json_string_value(json_object_get(
			json_object_get(obj, "spec"), "nodeName"));
		if (grace > 0 && node && *node) {
			json_t *cur = obj;
			if (!meta_str(obj, "deletionTimestamp"))
				cur = mark_deleting(s, k, ns, obj, grace);
			if (out)
				*out = json_incref(cur);
			json_decref(obj);
			return 0;
		}
		rc = sim_store_remove(s, k, ns, name, st);
		if (rc == 0 && out)
			*out = json_incref(obj);
	} else {
		if (strcmp(propagation, "Foreground") == 0) {
			json_t *cur = mark_deleting(s, k, ns, obj, 0);
			if (out)
				*out = json_incref(cur);
			rc = sim_store_remove(s, k, ns, name, st);
		} else {
			rc = sim_store_remove(s, k, ns, name, st);
			if (rc == 0 && out) {
				json_t *det = sim_status_details(k, name);
				json_object_set_new(det, "uid", json_string(uid));
				*out = sim_status_success_json(det);
			}
		}
	}
	json_decref(obj);
	return rc;
}

/* The API delete with a pod grace period (-1: the pod's own). */
int sim_store_delete_grace(struct sim *s, const struct sim_kind *k,
			   const char *ns, const char *name,
			   const char *propagation, long long grace,
			   json_t **out, struct sim_status *st)
{
	return delete_impl(s, k, ns_key(k, ns), name, propagation, grace, out, st,
			   0);
}

/* The API delete: graceful for pods, propagation through owners. */
int sim_store_delete(struct sim *s, const struct sim_kind *k, const char *ns,
		     const char *name, const char *propagation, json_t **out,
		     struct sim_status *st)
{
	return sim_store_delete_grace(s, k, ns, name, propagation, -1, out, st);
}
