/* check_host_types.h - the test host's value types, held both by its
 * public face (check_host.h) and by its internal state
 * (check_host_internal.h). Apart, so neither of those headers has to
 * include the other.
 */
#ifndef GW_CHECK_HOST_TYPES_H
#define GW_CHECK_HOST_TYPES_H

#include <stdint.h>

#include <jansson.h>

#include "gateway/plugin.h" /* gw_outcome */

typedef struct check_limits {
    uint64_t max_block_ms; /* longest a call into the plugin may hold the loop */
    uint64_t deadline_ms;  /* longest a hook may take to complete */
} check_limits;

typedef struct check_host check_host;

/* How an op ended, as its first complete() said. */
typedef struct check_outcome {
    int completed;      /* complete() was called before the deadline */
    int timed_out;      /* the deadline passed first */
    gw_outcome outcome; /* when completed */
    uint64_t delay_ms;
    char message[256]; /* complete()'s message, "" when none */
    json_t *result;    /* owned by the op: complete()'s result, or NULL */
} check_outcome;

#endif /* GW_CHECK_HOST_TYPES_H */
