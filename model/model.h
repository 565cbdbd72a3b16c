/*
 * model.h - the local CNN engine (tensors, layers, training, inference),
 * IDX data sets, safetensors model files, and predict-and-compare. model/
 * never prints: progress reaches callers through callbacks.
 */
#ifndef PODIUM_MODEL_H
#define PODIUM_MODEL_H

#include <stddef.h>

#include "kube/base.h"

/* ---- engine: tensors, layers, network, training (model-engine) ---- */
/* ---- end engine ---- */

/* ---- files: IDX data sets, safetensors (model-files) ---- */
/* ---- end files ---- */

#endif
