/*
 * apierror.c - Status bodies from the API server turned into the error
 * lines kubectl prints (kubectl/pkg/cmd/util/helpers.go: checkErr and
 * StandardErrorMessage; apimachinery errors.NewGenericServerResponse for
 * answers without a Status). Everything from the server is sanitised.
 */
#include "kube/kube.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static char *ae_str(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? sanitize_text(v, strlen(v), 0) : xstrdup("");
}

int kube_apierror_parse(const char *body, size_t len, struct kube_apierror *a)
{
	memset(a, 0, sizeof *a);
	if (!body || !len)
		return -1;
	json_t *root = json_loadb(body, len, 0, NULL);
	if (!json_is_object(root)) {
		json_decref(root);
		return -1;
	}
	const char *kind = json_string_value(json_object_get(root, "kind"));
	const char *st = json_string_value(json_object_get(root, "status"));
	if (!(kind && strcmp(kind, "Status") == 0) && !(st && strcmp(st, "Failure") == 0)) {
		json_decref(root);
		return -1;
	}
	a->code = (int)json_integer_value(json_object_get(root, "code"));
	a->reason = ae_str(root, "reason");
	a->message = ae_str(root, "message");
	json_t *d = json_object_get(root, "details");
	a->kind = ae_str(d, "kind");
	a->name = ae_str(d, "name");
	a->group = ae_str(d, "group");
	json_t *causes = json_object_get(d, "causes");
	if (json_is_array(causes) && json_array_size(causes)) {
		a->causes = xcalloc(json_array_size(causes), sizeof *a->causes);
		size_t i;
		json_t *c;
		json_array_foreach(causes, i, c) {
			struct kube_status_cause *k = &a->causes[a->ncauses++];
			k->reason = ae_str(c, "reason");
			k->message = ae_str(c, "message");
			k->field = ae_str(c, "field");
		}
	}
	json_decref(root);
	return 0;
}

void kube_apierror_clear(struct kube_apierror *a)
{
	if (!a)
		return;
	free(a->reason);
	free(a->message);
	free(a->kind);
	free(a->name);
	free(a->group);
	for (size_t i = 0; i < a->ncauses; i++) {
		free(a->causes[i].reason);
		free(a->causes[i].message);
		free(a->causes[i].field);
	}
	free(a->causes);
	memset(a, 0, sizeof *a);
}

char *kube_apierror_format(const struct kube_apierror *a, int multiline)
{
	struct dbuf b;
	dbuf_init(&b, 0);
	if (strcmp(a->reason, "Invalid") == 0 && a->ncauses > 0) {
		/* checkErr: "The %s %q is invalid" then the causes, each
		 * "field: message", duplicates dropped. */
		if (a->kind[0] || a->name[0])
			dbuf_printf(&b, "The %s \"%s\" is invalid: ", a->kind, a->name);
		else
			dbuf_puts(&b, "The request is invalid: ");
		size_t shown = 0;
		for (size_t i = 0; i < a->ncauses; i++) {
			int dup = 0;
			for (size_t j = 0; j < i; j++)
				dup |= strcmp(a->causes[i].field, a->causes[j].field) == 0 &&
				       strcmp(a->causes[i].message, a->causes[j].message) == 0;
			if (dup)
				continue;
			shown++;
		}
		size_t k = 0;
		for (size_t i = 0; i < a->ncauses; i++) {
			int dup = 0;
			for (size_t j = 0; j < i; j++)
				dup |= strcmp(a->causes[i].field, a->causes[j].field) == 0 &&
				       strcmp(a->causes[i].message, a->causes[j].message) == 0;
			if (dup)
				continue;
			if (shown > 1 && multiline)
				dbuf_printf(&b, "\n* %s: %s", a->causes[i].field, a->causes[i].message);
			else
				dbuf_printf(&b, "%s%s: %s", k ? "; " : "", a->causes[i].field,
					    a->causes[i].message);
			k++;
		}
		return dbuf_take(&b);
	}
	if (a->reason[0])
		dbuf_printf(&b, "Error from server (%s): %s", a->reason, a->message);
	else
		dbuf_printf(&b, "Error from server: %s", a->message);
	return dbuf_take(&b);
}

/* client-go's words for an answer that is not a Status. */
static const struct {
	int code;
	const char *reason;
	const char *message;
} ae_generic[] = {
	{ 400, "BadRequest", "the server rejected our request for an unknown reason" },
	{ 401, "Unauthorized", "the server has asked for the client to provide credentials" },
	{ 403, "Forbidden", "the server does not allow access to the requested resource" },
	{ 404, "NotFound", "the server could not find the requested resource" },
	{ 405, "MethodNotAllowed", "the server does not allow this method on the requested resource" },
	{ 406, "NotAcceptable", "the server was unable to respond with a content type that the client supports" },
	{ 409, "Conflict", "the server reported a conflict" },
	{ 410, "Gone", "the server has asked us to try again later" },
	{ 413, "RequestEntityTooLarge", "the server has rejected the request due to its size" },
	{ 415, "UnsupportedMediaType", "the server was unable to respond with a content type that the client supports" },
	{ 422, "Invalid", "the server rejected our request due to an error in our request" },
	{ 429, "TooManyRequests", "the server has received too many requests and has asked us to try again later" },
	{ 503, "ServiceUnavailable", "the server is currently unable to handle the request" },
	{ 504, "Timeout", "the server was unable to return a response in the time allotted, but may still be processing the request" },
	{ 0, NULL, NULL },
};

char *kube_apierror_text(long http_status, const char *body, size_t len, int multiline)
{
	struct kube_apierror a;
	if (kube_apierror_parse(body, len, &a) == 0) {
		char *s = kube_apierror_format(&a, multiline);
		kube_apierror_clear(&a);
		return s;
	}
	for (int i = 0; ae_generic[i].code; i++)
		if (ae_generic[i].code == http_status)
			return xasprintf("Error from server (%s): %s", ae_generic[i].reason,
					 ae_generic[i].message);
	/* 500 and the rest: the server's own text, shortened and made safe. */
	size_t n = len > 200 ? 200 : len;
	char *safe = sanitize_text(body ? body : "", body ? n : 0, 0);
	char *s = xasprintf("Error from server (InternalError): an error on the server (\"%s\") "
			    "has prevented the request from succeeding (HTTP %ld)", safe, http_status);
	free(safe);
	return s;
}

char *kube_apierror_conflicts(const struct kube_apierror *a)
{
	if (a->code != 409 || strcmp(a->reason, "Conflict") != 0 || !a->ncauses)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < a->ncauses; i++)
		n += strcmp(a->causes[i].reason, "FieldManagerConflict") == 0;
	if (!n)
		return NULL;
	struct dbuf b;
	dbuf_init(&b, 0);
	/* The Status message already lists them as the server words it; one
	 * line per field with its manager reads better on a terminal. */
	dbuf_printf(&b, "Apply failed with %zu conflict%s:", n, n == 1 ? "" : "s");
	for (size_t i = 0; i < a->ncauses; i++)
		if (strcmp(a->causes[i].reason, "FieldManagerConflict") == 0)
			dbuf_printf(&b, "\n  %s: %s", a->causes[i].field, a->causes[i].message);
	dbuf_puts(&b, "\nThese fields have other managers. To take them over, run apply again "
		      "with --force-conflicts; to leave them, remove them from the manifest.");
	return dbuf_take(&b);
}
