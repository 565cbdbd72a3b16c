/*
 * deployment.c - the Deployment controller, as kubernetes'
 * pkg/controller/deployment does it: one ReplicaSet per pod template, named
 * <deployment>-<pod-template-hash>, with revision, desired-replicas and
 * max-replicas annotations; rolling updates within maxSurge and
 * maxUnavailable, Recreate, minReadySeconds, progress deadlines, pause,
 * rollback by template, revision history cleanup, and the status fields and
 * conditions `kubectl rollout status` reads, in the real reasons and words.
 *
 * The pure arithmetic (template hash, IntOrString scaling, fenceposts) is
 * at the top; the controller below works on the store with the lock held.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/sim/world.h"

/* ---- pure parts ------------------------------------------------------- */

static const char safe_alphanums[] = "bcdfghjklmnpqrstvwxz2456789";

void sim_safe_encode(const char *s, char *out)
{
	size_t n = sizeof safe_alphanums - 1, i;
	for (i = 0; s[i]; i++)
		out[i] = safe_alphanums[(unsigned char)s[i] % n];
	out[i] = '\0';
}

static uint32_t fnv32a(uint32_t h, const void *data, size_t n)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

/* The real controller hashes the Go struct as spew prints it; a JSON
 * document has no such printing, so its canonical form (sorted keys,
 * compact) stands in: equal templates give equal hashes, and the name has
 * the real shape. */
void sim_template_hash(const json_t *tmpl, int collision_count, char *out)
{
	char *doc = json_dumps(tmpl, JSON_SORT_KEYS | JSON_COMPACT);
	uint32_t h = fnv32a(2166136261u, doc ? doc : "", doc ? strlen(doc) : 0);
	free(doc);
	if (collision_count >= 0) {
		unsigned char b[8] = { 0 };
		uint32_t c = (uint32_t)collision_count;
		for (int i = 0; i < 4; i++)
			b[i] = (unsigned char)(c >> (8 * i));
		h = fnv32a(h, b, sizeof b);
	}
	char dec[16];
	snprintf(dec, sizeof dec, "%u", (unsigned)h);
	sim_safe_encode(dec, out);
}

int sim_intstr_scaled(const json_t *v, int total, int round_up, int def)
{
	if (!v || json_is_null(v))
		return def;
	if (json_is_integer(v))
		return (int)json_integer_value(v);
	if (!json_is_string(v))
		return def;
	const char *s = json_string_value(v);
	char *end;
	long n = strtol(s, &end, 10);
	if (end == s)
		return def;
	if (*end != '%')
		return (int)n;
	double x = (double)n * (double)total / 100.0;
	return (int)(round_up ? ceil(x) : floor(x));
}

void sim_fenceposts(const json_t *max_surge, const json_t *max_unavailable,
		    int desired, int *surge, int *unavailable)
{
	*surge = sim_intstr_scaled(max_surge, desired, 1, 0);
	*unavailable = sim_intstr_scaled(max_unavailable, desired, 0, 0);
	if (*surge == 0 && *unavailable == 0)
		*unavailable = 1;
}

/* ---- the controller ----------------------------------------------------- */

#define ANN_REVISION "deployment.kubernetes.io/revision"
#define ANN_DESIRED "deployment.kubernetes.io/desired-replicas"
#define ANN_MAX "deployment.kubernetes.io/max-replicas"
#define ANN_HISTORY "deployment.kubernetes.io/revision-history"

/* A deployment's ReplicaSets, as owned references sorted oldest first. */
struct rsl {
	json_t **v;
	size_t n, cap;
};

/* One deployment being synced: the working copy written at the end. */
struct dsync {
	struct sim *s;
	const struct sim_kind *dk, *rk;
	json_t *d;          /* working copy (owned) */
	const char *ns, *name;
	int replicas;
	long long now;
	char now_s[32];
	struct rsl all;     /* every owned RS (owned refs) */
	json_t *new_rs;     /* borrowed from all, or NULL */
};

static json_t *jget(const json_t *o, const char *path)
{
	/* "a.b.c" */
	char buf[128];
	snprintf(buf, sizeof buf, "%s", path);
	json_t *v = (json_t *)o;
	for (char *save, *p = strtok_r(buf, ".", &save); p && v;
	     p = strtok_r(NULL, ".", &save))
		v = json_object_get(v, p);
	return v;
}

static int jint(const json_t *o, const char *path, int def)
{
	json_t *v = jget(o, path);
	return json_is_integer(v) ? (int)json_integer_value(v) : def;
}

static const char *jstrp(const json_t *o, const char *path)
{
	return json_string_value(jget(o, path));
}

static int rs_spec(const json_t *rs)
{
	return jint(rs, "spec.replicas", 1);
}

static long rs_revision(const json_t *rs)
{
	const char *r = json_string_value(json_object_get(
		jget(rs, "metadata.annotations"), ANN_REVISION));
	return r ? strtol(r, NULL, 10) : 0;
}

static int rs_ann_int(const json_t *rs, const char *key, int *out)
{
	const char *r = json_string_value(json_object_get(
		jget(rs, "metadata.annotations"), key));
	if (!r)
		return 0;
	*out = atoi(r);
	return 1;
}

static int is_rolling(const json_t *d)
{
	const char *t = jstrp(d, "spec.strategy.type");
	return !t || strcmp(t, "Recreate") != 0;
}

static void resolve(const json_t *d, int *surge, int *unavail)
{
	json_t *ru = jget(d, "spec.strategy.rollingUpdate");
	sim_fenceposts(json_object_get(ru, "maxSurge"),
		       json_object_get(ru, "maxUnavailable"),
		       jint(d, "spec.replicas", 1), surge, unavail);
}

static int max_surge(const json_t *d)
{
	if (!is_rolling(d))
		return 0;
	int s, u;
	resolve(d, &s, &u);
	return s;
}

static int max_unavailable(const json_t *d)
{
	int replicas = jint(d, "spec.replicas", 1);
	if (!is_rolling(d) || replicas == 0)
		return 0;
	int s, u;
	resolve(d, &s, &u);
	return u > replicas ? replicas : u;
}

static int sum_spec(json_t **v, size_t n)
{
	int t = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i])
			t += rs_spec(v[i]);
	return t;
}

static int sum_status(json_t **v, size_t n, const char *field)
{
	int t = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i])
			t += jint(json_object_get(v[i], "status"), field, 0);
	return t;
}

/* Oldest first: creationTimestamp, then name (as the real controller). */
static int by_creation(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	const char *tx = jstrp(x, "metadata.creationTimestamp");
	const char *ty = jstrp(y, "metadata.creationTimestamp");
	int c = strcmp(tx ? tx : "", ty ? ty : "");
	if (c)
		return c;
	return strcmp(jstrp(x, "metadata.name"), jstrp(y, "metadata.name"));
}

/* The template without the pod-template-hash label, for comparison. */
static json_t *template_sans_hash(const json_t *tmpl)
{
	json_t *t = json_deep_copy(tmpl);
	json_t *labels = jget(t, "metadata.labels");
	json_object_del(labels, "pod-template-hash");
	return t;
}

static int same_template(const json_t *rs, const json_t *d)
{
	json_t *a = template_sans_hash(jget(rs, "spec.template"));
	json_t *b = template_sans_hash(jget(d, "spec.template"));
	int eq = json_equal(a, b);
	json_decref(a);
	json_decref(b);
	return eq;
}

/* ---- conditions --------------------------------------------------------- */

static json_t *status_of(json_t *d)
{
	json_t *st = json_object_get(d, "status");
	if (!json_is_object(st)) {
		st = json_object();
		json_object_set_new(d, "status", st);
	}
	return st;
}

static json_t *cond_get(json_t *status, const char *type)
{
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(status, "conditions"), i, c)
		if (!strcmp(jstrp(c, "type") ? jstrp(c, "type") : "", type))
			return c;
	return NULL;
}

static void cond_remove(json_t *status, const char *type)
{
	json_t *arr = json_object_get(status, "conditions");
	for (size_t i = 0; i < json_array_size(arr); i++) {
		const char *t = jstrp(json_array_get(arr, i), "type");
		if (t && !strcmp(t, type)) {
			json_array_remove(arr, i);
			return;
		}
	}
}

/* deploymentutil.SetDeploymentCondition: nothing when status and reason
 * are the same; keep the transition time when only the reason changed. */
static void cond_set(json_t *status, const char *now, const char *type,
		     const char *st, const char *reason, const char *msg,
		     const char *keep_transition)
{
	json_t *cur = cond_get(status, type);
	const char *cst = cur ? jstrp(cur, "status") : NULL;
	const char *creason = cur ? jstrp(cur, "reason") : NULL;
	if (cur && cst && creason && !strcmp(cst, st) && !strcmp(creason, reason))
		return;
	char trans[32];
	snprintf(trans, sizeof trans, "%s", keep_transition ? keep_transition : now);
	if (cur && cst && !strcmp(cst, st) && jstrp(cur, "lastTransitionTime"))
		snprintf(trans, sizeof trans, "%s", jstrp(cur, "lastTransitionTime"));
	json_t *c = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "type", type, "status",
			      st, "lastUpdateTime", now, "lastTransitionTime",
			      trans, "reason", reason, "message", msg);
	cond_remove(status, type);
	json_t *arr = json_object_get(status, "conditions");
	if (!json_is_array(arr)) {
		arr = json_array();
		json_object_set_new(status, "conditions", arr);
	}
	json_array_append_new(arr, c);
}

/* ---- ReplicaSet writes -------------------------------------------------- */

static void rsl_push(struct rsl *l, json_t *rs)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = xrealloc(l->v, l->cap * sizeof *l->v);
	}
	l->v[l->n++] = json_incref(rs);
}

static void rsl_free(struct rsl *l)
{
	for (size_t i = 0; i < l->n; i++)
		json_decref(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

/* Replace ds->all[i] (and new_rs) by what the store now holds. */
static void rs_replace(struct dsync *ds, json_t *old, json_t *now)
{
	for (size_t i = 0; i < ds->all.n; i++)
		if (ds->all.v[i] == old) {
			ds->all.v[i] = json_incref(now);
			if (ds->new_rs == old)
				ds->new_rs = now;
			json_decref(old);
			return;
		}
}

static json_t *rs_write(struct dsync *ds, json_t *rs, json_t *copy)
{
	struct sim_status st = { 0 };
	json_t *out = NULL;
	if (sim_store_update(ds->s, ds->rk, ds->ns, copy, &out, &st) != 0) {
		sim_status_clear(&st);
		return NULL;
	}
	rs_replace(ds, rs, out);
	return out;
}

static void set_ann(json_t *obj, const char *key, const char *val)
{
	json_t *meta = json_object_get(obj, "metadata");
	json_t *ann = json_object_get(meta, "annotations");
	if (!json_is_object(ann)) {
		ann = json_object();
		json_object_set_new(meta, "annotations", ann);
	}
	json_object_set_new(ann, key, json_string(val));
}

static void set_replica_anns(json_t *rs, int desired, int max)
{
	char b[24];
	snprintf(b, sizeof b, "%d", desired);
	set_ann(rs, ANN_DESIRED, b);
	snprintf(b, sizeof b, "%d", max);
	set_ann(rs, ANN_MAX, b);
}

/* scaleReplicaSet: size and replica annotations; the event when the size
 * changed. Returns 1 when it scaled. */
static int scale_rs(struct dsync *ds, json_t *rs, int scale, const char *op)
{
	int desired = ds->replicas, max = ds->replicas + max_surge(ds->d);
	int cur_d = -1, cur_m = -1;
	int size_changed = rs_spec(rs) != scale;
	int ann_changed = !rs_ann_int(rs, ANN_DESIRED, &cur_d) ||
			  !rs_ann_int(rs, ANN_MAX, &cur_m) || cur_d != desired ||
			  cur_m != max;
	if (!size_changed && !ann_changed)
		return 0;
	json_t *copy = json_deep_copy(rs);
	json_object_set_new(json_object_get(copy, "spec"), "replicas",
			    json_integer(scale));
	set_replica_anns(copy, desired, max);
	char *name = xstrdup(jstrp(rs, "metadata.name"));
	json_t *out = rs_write(ds, rs, copy);
	if (out && size_changed)
		sim_event(ds->s, ds->d, "Normal", "ScalingReplicaSet",
			  "deployment-controller", "Scaled %s replica set %s to %d",
			  op, name, scale);
	free(name);
	return out && size_changed;
}

static int scale_rs_event(struct dsync *ds, json_t *rs, int scale)
{
	if (rs_spec(rs) == scale)
		return 0;
	return scale_rs(ds, rs, scale, rs_spec(rs) < scale ? "up" : "down");
}

/* ---- new and old ReplicaSets -------------------------------------------- */

static void old_list(struct dsync *ds, struct rsl *old)
{
	memset(old, 0, sizeof *old);
	for (size_t i = 0; i < ds->all.n; i++)
		if (ds->all.v[i] != ds->new_rs)
			rsl_push(old, ds->all.v[i]);
}

/* NewRSNewReplicas: how big the new ReplicaSet may be now. */
static int new_rs_new_replicas(struct dsync *ds, int new_spec)
{
	if (!is_rolling(ds->d))
		return ds->replicas;
	int surge = max_surge(ds->d);
	int current = sum_spec(ds->all.v, ds->all.n);
	if (!ds->new_rs)
		current += new_spec;
	int max_total = ds->replicas + surge;
	if (current >= max_total)
		return new_spec;
	int up = max_total - current;
	if (up > ds->replicas - new_spec)
		up = ds->replicas - new_spec;
	return new_spec + up;
}

/* SetNewReplicaSetAnnotations: a reused ReplicaSet remembers the
 * revisions it had in revision-history, at most 2000 characters (the
 * controller's default), dropping the oldest. */
static void add_history(json_t *rs, long old)
{
	const char *h = json_string_value(json_object_get(
		jget(rs, "metadata.annotations"), ANN_HISTORY));
	char buf[2100];
	if (!h || !*h) {
		snprintf(buf, sizeof buf, "%ld", old);
	} else {
		snprintf(buf, sizeof buf, "%s,%ld", h, old);
		const char *p = buf;
		while (strlen(p) > 2000 && strchr(p, ','))
			p = strchr(p, ',') + 1;
		memmove(buf, p, strlen(p) + 1);
	}
	set_ann(rs, ANN_HISTORY, buf);
}

/* copyDeploymentAnnotationsToReplicaSet: the Deployment's annotations
 * (change-cause among them) go to its new ReplicaSet, but for the ones the
 * controller keeps per ReplicaSet and the last applied configuration.
 * 1 when rs changed. */
static int copy_deploy_annotations(const json_t *d, json_t *rs)
{
	static const char *const skip[] = {
		"kubectl.kubernetes.io/last-applied-configuration", ANN_REVISION, ANN_HISTORY,
		ANN_DESIRED, ANN_MAX, "deprecated.deployment.rollback.to", NULL,
	};
	int changed = 0;
	const char *k;
	json_t *v;
	json_object_foreach(jget(d, "metadata.annotations"), k, v) {
		int skipped = 0;
		for (int i = 0; skip[i]; i++)
			skipped |= !strcmp(k, skip[i]);
		const json_t *have = json_object_get(jget(rs, "metadata.annotations"), k);
		if (skipped || !json_is_string(v) || (have && json_equal(have, v)))
			continue;
		set_ann(rs, k, json_string_value(v));
		changed = 1;
	}
	return changed;
}

static long max_old_revision(struct dsync *ds)
{
	long m = 0;
	for (size_t i = 0; i < ds->all.n; i++)
		if (ds->all.v[i] != ds->new_rs && rs_revision(ds->all.v[i]) > m)
			m = rs_revision(ds->all.v[i]);
	return m;
}

static void set_deploy_revision(struct dsync *ds, long rev)
{
	char b[24];
	snprintf(b, sizeof b, "%ld", rev);
	set_ann(ds->d, ANN_REVISION, b);
}

/* getAllReplicaSetsAndSyncRevision / getNewReplicaSet. */
static void sync_new_rs(struct dsync *ds, int create)
{
	ds->new_rs = NULL;
	for (size_t i = 0; i < ds->all.n; i++)
		if (same_template(ds->all.v[i], ds->d)) {
			ds->new_rs = ds->all.v[i];
			break;
		}
	long new_rev = max_old_revision(ds) + 1;
	json_t *status = status_of(ds->d);
	char msg[512];
	if (ds->new_rs) {
		json_t *rs = ds->new_rs;
		int min_ready = jint(ds->d, "spec.minReadySeconds", 0);
		json_t *copy = json_deep_copy(rs);
		int need = copy_deploy_annotations(ds->d, copy) || rs_revision(rs) < new_rev ||
			   jint(rs, "spec.minReadySeconds", 0) != min_ready;
		long rev = rs_revision(rs) < new_rev ? new_rev : rs_revision(rs);
		if (need) {
			char b[24];
			snprintf(b, sizeof b, "%ld", rev);
			if (rs_revision(rs) > 0 && rs_revision(rs) < rev)
				add_history(copy, rs_revision(rs));
			set_ann(copy, ANN_REVISION, b);
			json_object_set_new(json_object_get(copy, "spec"),
					    "minReadySeconds", json_integer(min_ready));
			if (!min_ready)
				json_object_del(json_object_get(copy, "spec"),
						"minReadySeconds");
			rs_write(ds, rs, copy);
		} else {
			json_decref(copy);
		}
		set_deploy_revision(ds, rev);
		if (!cond_get(status, "Progressing") &&
		    json_is_integer(jget(ds->d, "spec.progressDeadlineSeconds"))) {
			snprintf(msg, sizeof msg, "Found new replica set \"%s\"",
				 jstrp(ds->new_rs, "metadata.name"));
			cond_set(status, ds->now_s, "Progressing", "True",
				 "FoundNewReplicaSet", msg, NULL);
		}
		return;
	}
	if (!create)
		return;
	json_t *collisions = json_object_get(status, "collisionCount");
	int cc = json_is_integer(collisions) ? (int)json_integer_value(collisions) : -1;
	for (int attempt = 0; attempt < 5; attempt++) {
		char hash[16];
		json_t *tmpl = json_deep_copy(jget(ds->d, "spec.template"));
		sim_template_hash(tmpl, cc, hash);
		json_t *tmeta = json_object_get(tmpl, "metadata");
		if (!json_is_object(tmeta)) {
			tmeta = json_object();
			json_object_set_new(tmpl, "metadata", tmeta);
		}
		json_t *tl = json_object_get(tmeta, "labels");
		if (!json_is_object(tl)) {
			tl = json_object();
			json_object_set_new(tmeta, "labels", tl);
		}
		json_object_set_new(tl, "pod-template-hash", json_string(hash));
		json_t *sel = json_deep_copy(jget(ds->d, "spec.selector"));
		if (!json_is_object(sel))
			sel = json_object();
		json_t *ml = json_object_get(sel, "matchLabels");
		if (!json_is_object(ml)) {
			ml = json_object();
			json_object_set_new(sel, "matchLabels", ml);
		}
		json_object_set_new(ml, "pod-template-hash", json_string(hash));
		char name[320];
		snprintf(name, sizeof name, "%s-%s", ds->name, hash);
		int count = new_rs_new_replicas(ds, 0);
		json_t *rs = json_pack("{s:{s:s,s:s,s:o,s:[{s:s,s:s,s:s,s:s,s:b,s:b}]},"
				       "s:{s:i,s:o,s:o}}",
				       "metadata", "name", name, "namespace", ds->ns,
				       "labels", json_deep_copy(tl), "ownerReferences",
				       "apiVersion", "apps/v1", "kind", "Deployment",
				       "name", ds->name, "uid",
				       jstrp(ds->d, "metadata.uid"), "controller", 1,
				       "blockOwnerDeletion", 1,
				       "spec", "replicas", count, "selector", sel,
				       "template", tmpl);
		int min_ready = jint(ds->d, "spec.minReadySeconds", 0);
		if (min_ready)
			json_object_set_new(json_object_get(rs, "spec"),
					    "minReadySeconds", json_integer(min_ready));
		char b[24];
		snprintf(b, sizeof b, "%ld", new_rev);
		copy_deploy_annotations(ds->d, rs);
		set_ann(rs, ANN_REVISION, b);
		set_replica_anns(rs, ds->replicas, ds->replicas + max_surge(ds->d));
		struct sim_status st = { 0 };
		json_t *out = NULL;
		if (sim_store_create(ds->s, ds->rk, ds->ns, rs, &out, &st) == 0) {
			sim_status_clear(&st);
			rsl_push(&ds->all, out);
			ds->new_rs = out;
			if (count > 0)
				sim_event(ds->s, ds->d, "Normal", "ScalingReplicaSet",
					  "deployment-controller",
					  "Scaled up replica set %s to %d", name, count);
			set_deploy_revision(ds, new_rev);
			snprintf(msg, sizeof msg, "Created new replica set \"%s\"", name);
			cond_set(status, ds->now_s, "Progressing", "True",
				 "NewReplicaSetCreated", msg, NULL);
			return;
		}
		int exists = st.code == 409;
		sim_status_clear(&st);
		if (!exists)
			return;
		/* A hash collision with an RS of another template: count it
		 * and try the next name, as the real controller does. */
		cc = cc < 0 ? 1 : cc + 1;
		json_object_set_new(status, "collisionCount", json_integer(cc));
	}
}

/* ---- status ------------------------------------------------------------ */

static void set_or_del(json_t *o, const char *k, int v)
{
	if (v)
		json_object_set_new(o, k, json_integer(v));
	else
		json_object_del(o, k);
}

/* calculateStatus: counts from the ReplicaSets; Available from the
 * minimum availability. Fields in the real order; zeros omitted. */
static json_t *calc_status(struct dsync *ds)
{
	json_t *old = status_of(ds->d);
	json_t *st = json_object();
	int avail = sum_status(ds->all.v, ds->all.n, "availableReplicas");
	int total = sum_spec(ds->all.v, ds->all.n);
	int unavail = total - avail;
	if (unavail < 0)
		unavail = 0;
	set_or_del(st, "observedGeneration", jint(ds->d, "metadata.generation", 0));
	set_or_del(st, "replicas", sum_status(ds->all.v, ds->all.n, "replicas"));
	set_or_del(st, "updatedReplicas",
		   ds->new_rs ? jint(ds->new_rs, "status.replicas", 0) : 0);
	set_or_del(st, "readyReplicas", sum_status(ds->all.v, ds->all.n, "readyReplicas"));
	set_or_del(st, "availableReplicas", avail);
	set_or_del(st, "unavailableReplicas", unavail);
	json_t *conds = json_object_get(old, "conditions");
	json_object_set_new(st, "conditions",
			    conds ? json_deep_copy(conds) : json_array());
	json_t *cc = json_object_get(old, "collisionCount");
	if (cc)
		json_object_set(st, "collisionCount", cc);
	if (avail >= ds->replicas - max_unavailable(ds->d))
		cond_set(st, ds->now_s, "Available", "True", "MinimumReplicasAvailable",
			 "Deployment has minimum availability.", NULL);
	else
		cond_set(st, ds->now_s, "Available", "False",
			 "MinimumReplicasUnavailable",
			 "Deployment does not have minimum availability.", NULL);
	return st;
}

static int has_deadline(const json_t *d)
{
	json_t *p = jget(d, "spec.progressDeadlineSeconds");
	return json_is_integer(p) && json_integer_value(p) != 2147483647;
}

static int st_int(const json_t *st, const char *k)
{
	return jint(st, k, 0);
}

static int complete(const struct dsync *ds, const json_t *st)
{
	return st_int(st, "updatedReplicas") == ds->replicas &&
	       st_int(st, "replicas") == ds->replicas &&
	       st_int(st, "availableReplicas") == ds->replicas &&
	       st_int(st, "observedGeneration") >= jint(ds->d, "metadata.generation", 0);
}

static int progressing(const json_t *old, const json_t *st)
{
	int old_old = st_int(old, "replicas") - st_int(old, "updatedReplicas");
	int new_old = st_int(st, "replicas") - st_int(st, "updatedReplicas");
	return st_int(st, "updatedReplicas") > st_int(old, "updatedReplicas") ||
	       new_old < old_old ||
	       st_int(st, "readyReplicas") > st_int(old, "readyReplicas") ||
	       st_int(st, "availableReplicas") > st_int(old, "availableReplicas");
}

static int timed_out(const struct dsync *ds, json_t *st)
{
	if (!has_deadline(ds->d))
		return 0;
	json_t *c = cond_get(st, "Progressing");
	if (!c)
		return 0;
	const char *reason = jstrp(c, "reason");
	if (reason && !strcmp(reason, "NewReplicaSetAvailable"))
		return 0;
	if (reason && !strcmp(reason, "ProgressDeadlineExceeded"))
		return 1;
	long long from = sim_world_parse_time(jstrp(c, "lastUpdateTime"));
	long long deadline = 1000LL * jint(ds->d, "spec.progressDeadlineSeconds", 600);
	return from + deadline < ds->now;
}

/* syncRolloutStatus: the Progressing condition as the real controller
 * moves it (progress, completion, deadline). */
static void rollout_status(struct dsync *ds)
{
	json_t *old = status_of(ds->d);
	json_t *st = calc_status(ds);
	if (!has_deadline(ds->d))
		cond_remove(st, "Progressing");
	json_t *cur = cond_get(old, "Progressing");
	const char *cur_reason = cur ? jstrp(cur, "reason") : NULL;
	int is_complete = st_int(st, "replicas") == st_int(st, "updatedReplicas") &&
			  cur_reason && !strcmp(cur_reason, "NewReplicaSetAvailable");
	char msg[512];
	const char *rsn = ds->new_rs ? jstrp(ds->new_rs, "metadata.name") : NULL;
	if (has_deadline(ds->d) && !is_complete) {
		if (complete(ds, st)) {
			if (rsn)
				snprintf(msg, sizeof msg,
					 "ReplicaSet \"%s\" has successfully progressed.", rsn);
			else
				snprintf(msg, sizeof msg,
					 "Deployment \"%s\" has successfully progressed.", ds->name);
			cond_set(st, ds->now_s, "Progressing", "True",
				 "NewReplicaSetAvailable", msg, NULL);
		} else if (progressing(old, st)) {
			if (rsn)
				snprintf(msg, sizeof msg, "ReplicaSet \"%s\" is progressing.", rsn);
			else
				snprintf(msg, sizeof msg, "Deployment \"%s\" is progressing.",
					 ds->name);
			/* Progress moves lastUpdateTime even with the same reason. */
			char keep[32] = "";
			const char *cs = cur ? jstrp(cur, "status") : NULL;
			if (cs && !strcmp(cs, "True") && jstrp(cur, "lastTransitionTime"))
				snprintf(keep, sizeof keep, "%s", jstrp(cur, "lastTransitionTime"));
			cond_remove(st, "Progressing");
			cond_set(st, ds->now_s, "Progressing", "True", "ReplicaSetUpdated",
				 msg, keep[0] ? keep : NULL);
		} else if (timed_out(ds, st)) {
			if (rsn)
				snprintf(msg, sizeof msg,
					 "ReplicaSet \"%s\" has timed out progressing.", rsn);
			else
				snprintf(msg, sizeof msg,
					 "Deployment \"%s\" has timed out progressing.", ds->name);
			cond_set(st, ds->now_s, "Progressing", "False",
				 "ProgressDeadlineExceeded", msg, NULL);
		}
	}
	json_object_set_new(ds->d, "status", st);
}

/* syncDeploymentStatus: counts only (scaling and paused deployments). */
static void plain_status(struct dsync *ds)
{
	json_object_set_new(ds->d, "status", calc_status(ds));
}

/* ---- cleanup ------------------------------------------------------------ */

static int by_revision(const void *a, const void *b)
{
	long x = rs_revision(*(json_t *const *)a), y = rs_revision(*(json_t *const *)b);
	return x < y ? -1 : x > y;
}

/* cleanupDeployment: delete the oldest idle ReplicaSets beyond
 * revisionHistoryLimit. */
static void cleanup(struct dsync *ds)
{
	json_t *lim = jget(ds->d, "spec.revisionHistoryLimit");
	if (!json_is_integer(lim))
		return;
	struct rsl old;
	old_list(ds, &old);
	long diff = (long)old.n - (long)json_integer_value(lim);
	if (diff > 0 && old.n) {
		qsort(old.v, old.n, sizeof *old.v, by_revision);
		for (long i = 0; i < diff; i++) {
			json_t *rs = old.v[i];
			if (jint(rs, "status.replicas", 0) || rs_spec(rs) ||
			    jint(rs, "metadata.generation", 0) >
				    jint(rs, "status.observedGeneration", 0) ||
			    jget(rs, "metadata.deletionTimestamp"))
				continue;
			struct sim_status st = { 0 };
			sim_store_delete(ds->s, ds->rk, ds->ns,
					 jstrp(rs, "metadata.name"), "Background",
					 NULL, &st);
			sim_status_clear(&st);
			for (size_t j = 0; j < ds->all.n; j++)
				if (ds->all.v[j] == rs) {
					json_decref(rs);
					memmove(&ds->all.v[j], &ds->all.v[j + 1],
						(ds->all.n - j - 1) * sizeof *ds->all.v);
					ds->all.n--;
					break;
				}
		}
	}
	rsl_free(&old);
}

/* ---- strategies --------------------------------------------------------- */

static int active(const json_t *rs)
{
	return rs && rs_spec(rs) > 0;
}

/* deploymentutil.FindActiveOrLatest. */
static json_t *active_or_latest(struct dsync *ds)
{
	json_t *only = NULL, *latest = NULL;
	int nactive = 0;
	for (size_t i = 0; i < ds->all.n; i++) {
		json_t *rs = ds->all.v[i];
		if (active(rs)) {
			nactive++;
			only = rs;
		}
		if (rs != ds->new_rs)
			latest = rs; /* sorted oldest first: the last is newest */
	}
	if (nactive == 1)
		return only;
	if (nactive == 0)
		return ds->new_rs ? ds->new_rs : latest;
	return NULL;
}

struct sized {
	json_t *rs;
	int size;
};

/* ReplicaSetsBySizeNewer (up) / BySizeOlder (down): largest first, then
 * by age. */
static int by_size_newer(const void *a, const void *b)
{
	const struct sized *x = a, *y = b;
	if (rs_spec(x->rs) != rs_spec(y->rs))
		return rs_spec(y->rs) - rs_spec(x->rs);
	return -by_creation(&x->rs, &y->rs);
}

static int by_size_older(const void *a, const void *b)
{
	const struct sized *x = a, *y = b;
	if (rs_spec(x->rs) != rs_spec(y->rs))
		return rs_spec(y->rs) - rs_spec(x->rs);
	return by_creation(&x->rs, &y->rs);
}

/* getReplicaSetFraction / GetProportion. */
static int proportion(struct dsync *ds, json_t *rs, int to_add, int added)
{
	if (!rs || rs_spec(rs) == 0 || to_add == 0 || to_add == added)
		return 0;
	int frac;
	if (ds->replicas == 0) {
		frac = -rs_spec(rs);
	} else {
		int dep = ds->replicas + max_surge(ds->d), ann;
		if (!rs_ann_int(rs, ANN_MAX, &ann))
			ann = jint(ds->d, "status.replicas", 0);
		double sz = ann ? (double)rs_spec(rs) * dep / ann : 0;
		frac = (int)lround(sz) - rs_spec(rs);
	}
	int allowed = to_add - added;
	if (to_add > 0)
		return frac < allowed ? frac : allowed;
	return frac > allowed ? frac : allowed;
}

/* DeploymentController.scale: proportional scaling across ReplicaSets. */
static void scale(struct dsync *ds)
{
	json_t *aol = active_or_latest(ds);
	if (aol || (!ds->new_rs && !ds->all.n)) {
		if (aol && rs_spec(aol) != ds->replicas)
			scale_rs_event(ds, aol, ds->replicas);
		return;
	}
	int desired;
	if (ds->new_rs && rs_spec(ds->new_rs) == ds->replicas &&
	    rs_ann_int(ds->new_rs, ANN_DESIRED, &desired) &&
	    desired == ds->replicas &&
	    jint(ds->new_rs, "status.availableReplicas", 0) == ds->replicas) {
		struct rsl old;
		old_list(ds, &old);
		for (size_t i = 0; i < old.n; i++)
			if (active(old.v[i]))
				scale_rs_event(ds, old.v[i], 0);
		rsl_free(&old);
		return;
	}
	if (!is_rolling(ds->d))
		return;
	size_t n = 0;
	struct sized *v = xcalloc(ds->all.n + 1, sizeof *v);
	for (size_t i = 0; i < ds->all.n; i++)
		if (active(ds->all.v[i]))
			v[n++].rs = json_incref(ds->all.v[i]);
	int total = 0;
	for (size_t i = 0; i < n; i++)
		total += rs_spec(v[i].rs);
	int allowed = ds->replicas > 0 ? ds->replicas + max_surge(ds->d) : 0;
	int to_add = allowed - total;
	const char *op = to_add > 0 ? "up" : "down";
	if (to_add > 0 && n > 1)
		qsort(v, n, sizeof *v, by_size_newer);
	else if (to_add < 0 && n > 1)
		qsort(v, n, sizeof *v, by_size_older);
	int added = 0;
	for (size_t i = 0; i < n; i++) {
		int p = to_add ? proportion(ds, v[i].rs, to_add, added) : 0;
		v[i].size = rs_spec(v[i].rs) + p;
		added += p;
	}
	for (size_t i = 0; i < n; i++) {
		if (i == 0 && to_add) {
			v[i].size += to_add - added;
			if (v[i].size < 0)
				v[i].size = 0;
		}
		scale_rs(ds, v[i].rs, v[i].size, op);
		json_decref(v[i].rs);
	}
	free(v);
}

/* reconcileNewReplicaSet. */
static int reconcile_new(struct dsync *ds)
{
	json_t *rs = ds->new_rs;
	if (!rs || rs_spec(rs) == ds->replicas)
		return 0;
	if (rs_spec(rs) > ds->replicas)
		return scale_rs_event(ds, rs, ds->replicas);
	return scale_rs_event(ds, rs, new_rs_new_replicas(ds, rs_spec(rs)));
}

/* reconcileOldReplicaSets: clean up unhealthy old replicas first, then
 * scale old ones down as far as maxUnavailable allows. */
static int reconcile_old(struct dsync *ds)
{
	struct rsl old;
	old_list(ds, &old);
	int old_pods = sum_spec(old.v, old.n);
	if (old_pods == 0) {
		rsl_free(&old);
		return 0;
	}
	if (old.n > 1)
		qsort(old.v, old.n, sizeof *old.v, by_creation);
	int all_pods = sum_spec(ds->all.v, ds->all.n);
	int min_avail = ds->replicas - max_unavailable(ds->d);
	int new_unavail = ds->new_rs ? rs_spec(ds->new_rs) -
					       jint(ds->new_rs, "status.availableReplicas", 0)
				     : 0;
	int max_down = all_pods - min_avail - new_unavail;
	if (max_down <= 0) {
		rsl_free(&old);
		return 0;
	}
	/* cleanupUnhealthyReplicas */
	int cleaned = 0;
	for (size_t i = 0; i < old.n && cleaned < max_down; i++) {
		json_t *rs = old.v[i];
		if (!rs_spec(rs))
			continue;
		int unhealthy = rs_spec(rs) - jint(rs, "status.availableReplicas", 0);
		if (unhealthy <= 0)
			continue;
		int down = max_down - cleaned < unhealthy ? max_down - cleaned : unhealthy;
		int to = rs_spec(rs) - down;
		if (to > rs_spec(rs))
			continue;
		json_incref(rs);
		scale_rs_event(ds, rs, to);
		json_decref(rs);
		cleaned += down;
	}
	rsl_free(&old);
	/* scaleDownOldReplicaSetsForRollingUpdate, on the refreshed list */
	old_list(ds, &old);
	if (old.n > 1)
		qsort(old.v, old.n, sizeof *old.v, by_creation);
	int avail = sum_status(ds->all.v, ds->all.n, "availableReplicas");
	int scaled = 0;
	if (avail > min_avail) {
		int total_down = avail - min_avail;
		for (size_t i = 0; i < old.n && scaled < total_down; i++) {
			json_t *rs = old.v[i];
			if (!rs_spec(rs))
				continue;
			int down = rs_spec(rs) < total_down - scaled ? rs_spec(rs)
								     : total_down - scaled;
			json_incref(rs);
			scale_rs_event(ds, rs, rs_spec(rs) - down);
			json_decref(rs);
			scaled += down;
		}
	}
	rsl_free(&old);
	return cleaned + scaled > 0;
}

static void rollout_rolling(struct dsync *ds)
{
	sync_new_rs(ds, 1);
	if (reconcile_new(ds) || reconcile_old(ds)) {
		rollout_status(ds);
		return;
	}
	if (complete(ds, status_of(ds->d)))
		cleanup(ds);
	rollout_status(ds);
}

static void rollout_recreate(struct dsync *ds)
{
	sync_new_rs(ds, 0);
	int down = 0;
	struct rsl old;
	old_list(ds, &old);
	for (size_t i = 0; i < old.n; i++)
		if (active(old.v[i]))
			down |= scale_rs_event(ds, old.v[i], 0);
	rsl_free(&old);
	if (down) {
		rollout_status(ds);
		return;
	}
	old_list(ds, &old);
	int running = sum_status(old.v, old.n, "replicas");
	rsl_free(&old);
	if (running) {
		rollout_status(ds);
		return;
	}
	if (!ds->new_rs)
		sync_new_rs(ds, 1);
	if (ds->new_rs)
		scale_rs_event(ds, ds->new_rs, ds->replicas);
	if (complete(ds, status_of(ds->d)))
		cleanup(ds);
	rollout_status(ds);
}

/* isScalingEvent: an active ReplicaSet was sized for another count. */
static int scaling_event(struct dsync *ds)
{
	for (size_t i = 0; i < ds->all.n; i++) {
		int desired;
		if (active(ds->all.v[i]) &&
		    rs_ann_int(ds->all.v[i], ANN_DESIRED, &desired) &&
		    desired != ds->replicas)
			return 1;
	}
	return 0;
}

/* checkPausedConditions. */
static void paused_conditions(struct dsync *ds)
{
	if (!has_deadline(ds->d))
		return;
	json_t *status = status_of(ds->d);
	json_t *c = cond_get(status, "Progressing");
	const char *reason = c ? jstrp(c, "reason") : NULL;
	if (reason && !strcmp(reason, "ProgressDeadlineExceeded"))
		return;
	int paused_cond = reason && !strcmp(reason, "DeploymentPaused");
	int paused = json_is_true(jget(ds->d, "spec.paused"));
	if (paused && !paused_cond)
		cond_set(status, ds->now_s, "Progressing", "Unknown",
			 "DeploymentPaused", "Deployment is paused", NULL);
	else if (!paused && paused_cond)
		cond_set(status, ds->now_s, "Progressing", "Unknown",
			 "DeploymentResumed", "Deployment is resumed", NULL);
}

/* Nothing to do when neither the deployment nor its ReplicaSets changed
 * since its last sync and no progress deadline is running. */
static int settled(struct sim *s, const json_t *d, const struct pod_group *g)
{
	json_t *c = cond_get(json_object_get(d, "status"), "Progressing");
	const char *reason = c ? jstrp(c, "reason") : NULL;
	struct sim_world *w = sim_world(s);
	if (has_deadline(d) && !json_is_true(jget(d, "spec.paused")) &&
	    !(reason && (!strcmp(reason, "NewReplicaSetAvailable") ||
			 !strcmp(reason, "ProgressDeadlineExceeded")))) {
		w->time_pending = 1;
		smap_put(&w->dep_timed, jstrp(d, "metadata.uid"),
			 xasprintf("%s\x1f%s", jstrp(d, "metadata.namespace"),
				   jstrp(d, "metadata.name")));
		return 0;
	}
	smap_del(&w->dep_timed, jstrp(d, "metadata.uid"));
	uint64_t h = sim_sig(0, jstrp(d, "metadata.resourceVersion"));
	for (size_t i = 0; g && i < g->n; i++)
		h = sim_sig(h, jstrp(g->v[i], "metadata.resourceVersion"));
	return sim_world_unchanged(sim_world(s), jstrp(d, "metadata.uid"), h);
}

static void sync_one(struct sim *s, json_t *stored, struct pod_group *g)
{
	if (settled(s, stored, g))
		return;
	struct dsync ds = { .s = s };
	ds.dk = sim_kind_find("apps", "deployments");
	ds.rk = sim_kind_find("apps", "replicasets");
	ds.d = json_deep_copy(stored);
	ds.ns = jstrp(ds.d, "metadata.namespace");
	ds.name = jstrp(ds.d, "metadata.name");
	ds.replicas = jint(ds.d, "spec.replicas", 1);
	ds.now = sim_wall_ms(s);
	sim_rfc3339(s, ds.now_s, sizeof ds.now_s);
	for (size_t i = 0; g && i < g->n; i++)
		if (!jget(g->v[i], "metadata.deletionTimestamp"))
			rsl_push(&ds.all, g->v[i]);
	if (ds.all.n > 1)
		qsort(ds.all.v, ds.all.n, sizeof *ds.all.v, by_creation);

	paused_conditions(&ds);
	if (jget(ds.d, "metadata.deletionTimestamp")) {
		sync_new_rs(&ds, 0);
		plain_status(&ds);
	} else if (json_is_true(jget(ds.d, "spec.paused")) || scaling_event(&ds)) {
		sync_new_rs(&ds, 0);
		scale(&ds);
		if (json_is_true(jget(ds.d, "spec.paused")))
			cleanup(&ds);
		plain_status(&ds);
	} else if (!is_rolling(ds.d)) {
		rollout_recreate(&ds);
	} else {
		rollout_rolling(&ds);
	}
	/* One write of what changed: revision annotation and status. */
	json_t *now = sim_store_get(s, ds.dk, ds.ns, ds.name);
	if (now && !json_equal(now, ds.d)) {
		json_t *copy = json_deep_copy(now);
		json_object_set(copy, "status", json_object_get(ds.d, "status"));
		json_t *ann = jget(ds.d, "metadata.annotations");
		if (ann)
			json_object_set(json_object_get(copy, "metadata"),
					"annotations", ann);
		if (!json_equal(copy, now)) {
			struct sim_status st = { 0 };
			sim_store_update(s, ds.dk, ds.ns, copy, NULL, &st);
			sim_status_clear(&st);
		} else {
			json_decref(copy);
		}
	}
	rsl_free(&ds.all);
	json_decref(ds.d);
}

static int collect_all(json_t *obj, void *ud)
{
	rsl_push(ud, obj);
	return 0;
}

static void full_pass(struct sim *s)
{
	struct rsl ds = { 0 };
	sim_store_each(s, sim_kind_find("apps", "deployments"), NULL,
		       collect_all, &ds);
	if (!ds.n)
		return;
	struct smap idx;
	sim_owner_index_build(s, sim_kind_find("apps", "replicasets"), &idx);
	for (size_t i = 0; i < ds.n; i++)
		sync_one(s, ds.v[i], smap_get(&idx, jstrp(ds.v[i], "metadata.uid")));
	rsl_free(&ds);
	smap_free(&idx);
}

/* More than this many changed deployments: one full pass is cheaper. */
#define DIRTY_MAX 32

static void on_change(const struct sim_kind *k, const char *type, json_t *obj,
		      void *ud)
{
	struct sim_dirty *d = ud;
	if (k == sim_kind_find("apps", "deployments")) {
		if (strcmp(type, "DELETED"))
			sim_dirty_mark(d, jstrp(obj, "metadata.uid"),
				       jstrp(obj, "metadata.namespace"),
				       jstrp(obj, "metadata.name"));
		return;
	}
	if (k != sim_kind_find("apps", "replicasets"))
		return;
	size_t i;
	json_t *ref;
	json_array_foreach(jget(obj, "metadata.ownerReferences"), i, ref)
	{
		const char *kind = jstrp(ref, "kind");
		if (json_is_true(json_object_get(ref, "controller")) && kind &&
		    !strcmp(kind, "Deployment"))
			sim_dirty_mark(d, jstrp(ref, "uid"),
				       jstrp(obj, "metadata.namespace"), jstrp(ref, "name"));
	}
}

void sim_deployment_sync(struct sim *s)
{
	struct sim_world *w = sim_world(s);
	sim_sync_changed(s, &w->dep_rv, &w->dep_timed, DIRTY_MAX, on_change, full_pass,
			 sim_kind_find("apps", "deployments"), sim_kind_find("apps", "replicasets"), sync_one);
}
