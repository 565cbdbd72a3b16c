/*
 * events.c - the event recorder the simulated components share: core/v1
 * Events as the real components write them (involvedObject, reason,
 * message, source, first/last timestamps, count), created through the
 * store so that watches and `kubectl get events` see them. A repeat of the
 * same event (same object, reason, message, source) bumps count and
 * lastTimestamp as the real recorder's correlator does. Their number is
 * bounded: past ev_max the oldest is removed, as the real TTL would.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/sim/world.h"

static const char *str_at(const json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);
	if (b)
		v = json_object_get(v, b);
	return json_string_value(v);
}

static json_t *involved_ref(const json_t *obj, const char *field_path)
{
	json_t *r = json_object();
	const char *kind = str_at(obj, "kind", NULL);
	const char *av = str_at(obj, "apiVersion", NULL);
	const char *ns = str_at(obj, "metadata", "namespace");
	const char *name = str_at(obj, "metadata", "name");
	const char *uid = str_at(obj, "metadata", "uid");
	const char *rv = str_at(obj, "metadata", "resourceVersion");
	if (kind)
		json_object_set_new(r, "kind", json_string(kind));
	if (ns)
		json_object_set_new(r, "namespace", json_string(ns));
	if (name)
		json_object_set_new(r, "name", json_string(name));
	if (uid)
		json_object_set_new(r, "uid", json_string(uid));
	if (av)
		json_object_set_new(r, "apiVersion", json_string(av));
	if (rv)
		json_object_set_new(r, "resourceVersion", json_string(rv));
	if (field_path)
		json_object_set_new(r, "fieldPath", json_string(field_path));
	return r;
}

/* Remove the oldest recorded event when the ring is full. */
static void evict_oldest(struct sim_world *w, const struct sim_kind *ek)
{
	size_t i = w->ev_head;
	char *key = w->ev_ring[i];
	w->ev_ring[i] = NULL;
	w->ev_head = (w->ev_head + 1) % w->ev_max;
	w->ev_len--;
	if (!key)
		return;
	const char *where = smap_get(&w->ev_keys, key);
	if (where) {
		const char *slash = strchr(where, '/');
		char *ns = xstrndup(where, (size_t)(slash - where));
		struct sim_status st = { 0 };
		if (sim_store_get(w->s, ek, ns, slash + 1))
			sim_store_remove(w->s, ek, ns, slash + 1, &st);
		sim_status_clear(&st);
		free(ns);
		smap_del(&w->ev_keys, key);
	}
	free(key);
}

void sim_event_limit(struct sim *s, size_t max)
{
	struct sim_world *w = sim_world(s);
	const struct sim_kind *ek = sim_kind_find("", "events");
	if (!w || !ek || max == 0)
		return;
	while (w->ev_len > max)
		evict_oldest(w, ek);
	char **ring = xcalloc(max, sizeof *ring);
	for (size_t i = 0; i < w->ev_len; i++)
		ring[i] = w->ev_ring[(w->ev_head + i) % w->ev_max];
	free(w->ev_ring);
	w->ev_ring = ring;
	w->ev_head = 0;
	w->ev_max = max;
}

static void record(struct sim *s, json_t *involved, const char *field_path,
		   const char *host, const char *type, const char *reason,
		   const char *component, const char *msg)
{
	struct sim_world *w = sim_world(s);
	const struct sim_kind *ek = sim_kind_find("", "events");
	if (!w || !ek || !involved)
		return;
	const char *name = str_at(involved, "metadata", "name");
	const char *ns = str_at(involved, "metadata", "namespace");
	if (!name)
		return;
	if (!ns || !*ns)
		ns = "default";
	char now[32];
	long long wall = sim_world_wall_ms(s);
	sim_world_time_str(s, wall, now);

	char *key = xasprintf("%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s",
			      component, host ? host : "",
			      str_at(involved, "kind", NULL) ? str_at(involved, "kind", NULL) : "",
			      ns, name, field_path ? field_path : "", reason,
			      msg, type);
	const char *where = smap_get(&w->ev_keys, key);
	if (where) {
		const char *slash = strchr(where, '/');
		json_t *old = sim_store_get(s, ek, ns, slash + 1);
		if (old) {
			json_t *ev = json_deep_copy(old);
			json_int_t count = json_integer_value(json_object_get(ev, "count"));
			json_object_set_new(ev, "count", json_integer(count + 1));
			json_object_set_new(ev, "lastTimestamp", json_string(now));
			struct sim_status st = { 0 };
			sim_store_update(s, ek, ns, ev, NULL, &st);
			sim_status_clear(&st);
			free(key);
			return;
		}
	}

	/* The real recorder names an event <object>.<unix nanos in hex>. */
	char evname[320];
	unsigned long long nanos = (unsigned long long)wall * 1000000ULL +
				   (w->ev_seq++ % 1000000u);
	snprintf(evname, sizeof evname, "%.240s.%llx", name, nanos);
	json_t *src = json_object();
	json_object_set_new(src, "component", json_string(component));
	if (host)
		json_object_set_new(src, "host", json_string(host));
	json_t *ev = json_pack("{s:s,s:s,s:{s:s,s:s},s:o,s:s,s:s,s:o,s:s,s:s,s:i,"
			       "s:s,s:n,s:s,s:s}",
			       "kind", "Event", "apiVersion", "v1",
			       "metadata", "name", evname, "namespace", ns,
			       "involvedObject", involved_ref(involved, field_path),
			       "reason", reason, "message", msg,
			       "source", src,
			       "firstTimestamp", now, "lastTimestamp", now,
			       "count", 1, "type", type, "eventTime",
			       "reportingComponent", "", "reportingInstance", "");
	if (!ev) {
		free(key);
		return;
	}
	struct sim_status st = { 0 };
	if (sim_store_create(s, ek, ns, ev, NULL, &st) != 0) {
		sim_status_clear(&st);
		free(key);
		return;
	}
	sim_status_clear(&st);
	if (w->ev_len == w->ev_max)
		evict_oldest(w, ek);
	smap_put(&w->ev_keys, key, xasprintf("%s/%s", ns, evname));
	w->ev_ring[(w->ev_head + w->ev_len) % w->ev_max] = key;
	w->ev_len++;
}

void sim_event_at(struct sim *s, json_t *involved, const char *field_path,
		  const char *host, const char *type, const char *reason,
		  const char *component, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	record(s, involved, field_path, host, type, reason, component, msg);
	free(msg);
}

void sim_event(struct sim *s, json_t *involved, const char *type,
	       const char *reason, const char *component, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	record(s, involved, NULL, NULL, type, reason, component, msg);
	free(msg);
}
