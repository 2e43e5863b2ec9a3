/* outbox_types.h - the outbox's value types held both by its public face
 * (outbox.h) and by its internal state (outbox_internal.h): the kind of
 * an answer and the counters. Apart, so neither of those headers has to
 * include the other.
 */
#ifndef GW_OUTBOX_TYPES_H
#define GW_OUTBOX_TYPES_H

#include <stdint.h>

typedef struct outbox outbox;

typedef enum outbox_kind { OUTBOX_REPLY = 0, OUTBOX_PRIVATE = 1 } outbox_kind;

/* Counters since start, for logs and metrics. */
typedef struct outbox_stats {
    uint64_t accepted; /* new actions queued */
    uint64_t replayed; /* idempotent repeats answered */
    uint64_t attempts; /* plugin calls started */
    uint64_t retries;  /* RETRY answers that led to another attempt */
    uint64_t succeeded, failed;
    uint64_t echoes; /* our own posts dropped from fetches */
    uint64_t pruned; /* finished actions deleted after action_retention */
} outbox_stats;

#endif /* GW_OUTBOX_TYPES_H */
