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
/* ---- end validation ---- */

/* ---- kubeconfig and transport (kubeconfig.c, transport.c, ...) ---- */
/* ---- end kubeconfig and transport ---- */

/* ---- resources, requests, operations ---- */
/* ---- end resources, requests, operations ---- */

/* ---- list/watch cache (cache.c, watch.c) ---- */
/* ---- end list/watch cache ---- */

#endif
