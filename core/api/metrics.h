/* metrics.h - the gateway's counters in Prometheus text exposition format
 * (version 0.0.4), rendered on demand for GET /metrics. Nothing is kept
 * here: every figure is read from the module that owns it. */
#ifndef GW_METRICS_H
#define GW_METRICS_H

#include <stddef.h>

#include "engine/runtime.h"

/* Render every metric. Returns 0 and sets *out (caller frees) and *len,
 * or GW_ENOMEM. */
int metrics_render(const gw_runtime *rt, char **out, size_t *len);

#endif /* GW_METRICS_H */
