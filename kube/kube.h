/*
 * kube.h - Podium's Kubernetes client: kubeconfig, transport, the table of
 * kinds and their slim projections, list/watch cache, operations as kubectl
 * does them, and validation before any request. kube/ never draws and never
 * prints: it returns plain structs and fills a struct perr.
 */
#ifndef PODIUM_KUBE_H
#define PODIUM_KUBE_H

#include <stddef.h>

#include "kube/base.h"

/* ---- validation (validate.c) ---- */
/* The checks the API server makes on names, label keys and values, and
 * resource quantities, in its own words (k8s.io/apimachinery
 * pkg/util/validation), shared by the client (kube_validate_*) and the
 * simulated server (sim_validate). One message per failed rule, as the real
 * functions return a []string. */
enum kube_name_rule {
	KUBE_NAME_DNS1123_SUBDOMAIN, /* most kinds: Deployment, Pod, ... */
	KUBE_NAME_DNS1123_LABEL,     /* Namespace; container names */
	KUBE_NAME_DNS1035_LABEL,     /* Service */
};

#define KUBE_VERRS_MAX 4
struct kube_verrs {
	int n;
	char msg[KUBE_VERRS_MAX][400];
};

/* The rule the real server applies to metadata.name of kind ("Service",
 * "Namespace", anything else: DNS-1123 subdomain). */
enum kube_name_rule kube_name_rule_for_kind(const char *kind);
/* IsDNS1123Subdomain / IsDNS1123Label / IsDNS1035Label; out->n 0: valid. */
void kube_check_name(enum kube_name_rule rule, const char *v,
		     struct kube_verrs *out);
/* IsQualifiedName: label and annotation keys ("prefix/name"). */
void kube_check_qualified_name(const char *k, struct kube_verrs *out);
/* IsValidLabelValue. */
void kube_check_label_value(const char *v, struct kube_verrs *out);

/* A resource quantity ("100m", "1.5Gi", "1e3", "128974848") in the
 * Kubernetes grammar; its value in base units in *value (may be NULL).
 * 0; -1 when it does not match the grammar (KUBE_QUANTITY_ERR); -2 when
 * the number is fine but the suffix is not one (KUBE_QUANTITY_SUFFIX_ERR). */
int kube_quantity_parse(const char *s, double *value);
/* The real parser's error for a malformed quantity. */
#define KUBE_QUANTITY_ERR \
	"quantities must match the regular expression " \
	"'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
#define KUBE_QUANTITY_SUFFIX_ERR "unable to parse quantity's suffix"

/* Client-side checks before a request: 0, or -1 with e saying what is
 * wrong and suggesting the fix (`ai_model` ... use `ai-model`). kind names
 * the object in the message ("Deployment"). */
int kube_validate_name(enum kube_name_rule rule, const char *kind,
		       const char *name, struct perr *e);
int kube_validate_label(const char *key, const char *value, struct perr *e);
/* Docker reference grammar: [host[:port]/]path[:tag][@algo:hex]. */
int kube_validate_image(const char *ref, struct perr *e);
int kube_validate_quantity(const char *q, struct perr *e);
/* A valid name close to name under rule (caller frees); "" cannot be
 * fixed, so NULL then. */
char *kube_name_suggest(enum kube_name_rule rule, const char *name);
/* ---- end validation ---- */

/* ---- kubeconfig and transport (kubeconfig.c, transport.c, ...) ---- */
/* ---- end kubeconfig and transport ---- */

/* ---- resources, requests, operations ---- */
/* ---- end resources, requests, operations ---- */

/* ---- list/watch cache (cache.c, watch.c) ---- */
/* ---- end list/watch cache ---- */

#endif
