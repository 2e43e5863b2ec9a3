/* pipeline.h - from a plugin's item to a stored gateway.event/1.
 *
 * validate -> fill host fields -> dedupe -> append to the log. The plugin
 * supplies the network's facts (type, native_id, author, text...); the
 * host owns identity and ordering (id, seq, network, account,
 * received_at), so no plugin can forge another network's events.
 */
#ifndef GW_PIPELINE_H
#define GW_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "store.h"

typedef struct pipeline_stats {
    uint64_t accepted;   /* stored as new events */
    uint64_t duplicates; /* dropped: id already in the log */
    uint64_t invalid;    /* refused by validation */
} pipeline_stats;

/* Ingest one item from a plugin. Steals `event`. Returns 1 when stored,
 * 0 when it was a duplicate, GW_EINVAL when malformed (err says which
 * field and why), or another negative GW_E* code from the store. */
int pipeline_ingest(store *st, const char *network, const char *account, json_t *event,
                    uint64_t now_ms, pipeline_stats *stats, char *err, size_t errlen);

/* Ingest an event the host itself produces (account.stopped,
 * action.succeeded...): no plugin validation, same identity rules.
 * Steals `event`, which must hold "type" and "native_id". */
int pipeline_ingest_host(store *st, const char *network, const char *account, json_t *event,
                         uint64_t now_ms, pipeline_stats *stats);

/* Check a plugin event without storing it (used by tests and the SDK's
 * conformance checker). Borrowed event. Returns 0 or GW_EINVAL + err. */
int pipeline_validate(const json_t *event, char *err, size_t errlen);

#endif /* GW_PIPELINE_H */
