/*
 * status.c - API errors as meta/v1 Status objects, worded as the real
 * kube-apiserver 1.20 words them (tests/data/sim/status-*.json hold the
 * recorded originals): the same field order, reasons, codes and messages,
 * so that clients which match on them (kubectl does) behave as against a
 * real cluster.
 */
#include "kube/sim/sim.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* How messages name k: "deployments.apps", "pods". */
const char *sim_kind_resource(const struct sim_kind *k, char *buf, size_t n)
{
	if (k->group[0])
		snprintf(buf, n, "%s.%s", k->plural, k->group);
	else
		snprintf(buf, n, "%s", k->plural);
	return buf;
}

static void status_vset(struct sim_status *st, int code, const char *reason,
			const char *fmt, va_list ap)
{
	json_decref(st->details);
	st->details = NULL;
	st->code = code;
	snprintf(st->reason, sizeof st->reason, "%s", reason ? reason : "");
	vsnprintf(st->message, sizeof st->message, fmt, ap);
}

/* Set code, reason and message; any earlier details are dropped. */
void sim_status_set(struct sim_status *st, int code, const char *reason,
		    const char *fmt, ...)
{
	if (!st)
		return;
	va_list ap;
	va_start(ap, fmt);
	status_vset(st, code, reason, fmt, ap);
	va_end(ap);
}

/* Back to "no error"; frees the details. */
void sim_status_clear(struct sim_status *st)
{
	if (!st)
		return;
	json_decref(st->details);
	memset(st, 0, sizeof *st);
}

/* The Status object, fields in the real server's order. */
json_t *sim_status_json(const struct sim_status *st)
{
	json_t *o = json_object();
	json_object_set_new(o, "kind", json_string("Status"));
	json_object_set_new(o, "apiVersion", json_string("v1"));
	json_object_set_new(o, "metadata", json_object());
	json_object_set_new(o, "status", json_string("Failure"));
	json_object_set_new(o, "message", json_string(st->message));
	json_object_set_new(o, "reason", json_string(st->reason));
	if (st->details)
		json_object_set(o, "details", st->details);
	json_object_set_new(o, "code", json_integer(st->code));
	return o;
}

/* The Success Status of a delete; takes ownership of details. */
json_t *sim_status_success_json(json_t *details)
{
	json_t *o = json_object();
	json_object_set_new(o, "kind", json_string("Status"));
	json_object_set_new(o, "apiVersion", json_string("v1"));
	json_object_set_new(o, "metadata", json_object());
	json_object_set_new(o, "status", json_string("Success"));
	if (details)
		json_object_set_new(o, "details", details);
	return o;
}

/* {"name","group","kind": plural} about one object; new reference. */
json_t *sim_status_details(const struct sim_kind *k, const char *name)
{
	json_t *d = json_object();
	if (name)
		json_object_set_new(d, "name", json_string(name));
	if (k->group[0])
		json_object_set_new(d, "group", json_string(k->group));
	json_object_set_new(d, "kind", json_string(k->plural));
	return d;
}

/* 404 NotFound: `deployments.apps "x" not found`. */
void sim_status_not_found(struct sim_status *st, const struct sim_kind *k,
			  const char *name)
{
	char res[128];
	sim_status_set(st, 404, "NotFound", "%s \"%s\" not found",
		       sim_kind_resource(k, res, sizeof res), name);
	if (st)
		st->details = sim_status_details(k, name);
}

/* 409 AlreadyExists: `deployments.apps "x" already exists`. */
void sim_status_already_exists(struct sim_status *st, const struct sim_kind *k,
			       const char *name)
{
	char res[128];
	sim_status_set(st, 409, "AlreadyExists", "%s \"%s\" already exists",
		       sim_kind_resource(k, res, sizeof res), name);
	if (st)
		st->details = sim_status_details(k, name);
}

/* 409 Conflict on a stale resourceVersion. */
void sim_status_conflict(struct sim_status *st, const struct sim_kind *k,
			 const char *name)
{
	char res[128];
	sim_status_set(st, 409, "Conflict",
		       "Operation cannot be fulfilled on %s \"%s\": the object "
		       "has been modified; please apply your changes to the "
		       "latest version and try again",
		       sim_kind_resource(k, res, sizeof res), name);
	if (st)
		st->details = sim_status_details(k, name);
}

/* 410 Expired: `too old resource version: RV (OLDEST)`. */
void sim_status_expired(struct sim_status *st, unsigned long long rv,
			unsigned long long oldest)
{
	sim_status_set(st, 410, "Expired", "too old resource version: %llu (%llu)",
		       rv, oldest);
}

/* 400 BadRequest with the message as given; the first error set wins. */
void sim_status_bad_request(struct sim_status *st, const char *fmt, ...)
{
	if (!st || st->code)
		return;
	va_list ap;
	va_start(ap, fmt);
	status_vset(st, 400, "BadRequest", fmt, ap);
	va_end(ap);
}
