/* sink.h - the one small interface every event sink implements.
 *
 * A sink receives batches of JSONL (one event per line, each ending in
 * '\n') in seq order. write() runs on a libuv worker thread with at most one
 * batch in flight per sink, so an implementation needs no locking and may
 * block (fsync, network) without stalling the loop or other sinks. The
 * dispatcher moves the sink's durable cursor only after write() returned 0.
 * All other calls run on the loop thread while no write is in flight.
 */
#ifndef GW_SINK_H
#define GW_SINK_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "gateway/plugin.h" /* gw_option */

typedef struct sink_batch {
    const char *data;   /* JSONL bytes, borrowed for the call */
    size_t len;
    size_t count;       /* number of lines/events */
    int64_t first_seq;  /* seq of the first and last event in the batch */
    int64_t last_seq;
} sink_batch;

typedef struct sink_type {
    const char *name;          /* the [[sink]] type value: "stdout", "file" */
    const char *help;          /* one line for the generated docs */
    const gw_option *options;  /* type-specific keys, NULL-name ended */

    /* Create a sink from its validated settings (borrowed json object with
     * defaults filled; durations in ms, sizes in bytes; relative paths
     * already resolved). Sets *state (freed by close). */
    int (*open)(const json_t *settings, void **state, char *err, size_t errlen);

    /* Before the first write: report in *last_seq the highest seq the
     * destination already holds (0 when none or unknowable), repairing a
     * torn last record if there is one. NULL when the sink cannot know
     * (stdout): delivery is then at-least-once. */
    int (*reconcile)(void *state, int64_t *last_seq, char *err, size_t errlen);

    /* Write a batch. Worker thread. Return 0 once the batch is as durable
     * as the sink's policy promises, else a negative GW_E* with err set;
     * the dispatcher retries the same batch with backoff. */
    int (*write)(void *state, const sink_batch *batch, char *err, size_t errlen);

    /* Reopen the destination (log rotation by SIGHUP). Worker thread,
     * between writes. NULL when meaningless. */
    int (*reopen)(void *state, char *err, size_t errlen);

    /* Flush and free. NULL state is a no-op. */
    void (*close)(void *state);
} sink_type;

/* Look up a built-in sink type by name; NULL when unknown. */
const sink_type *sink_type_find(const char *name);

/* All built-in sink types, NULL-ended (for docs and did-you-mean). */
const sink_type *const *sink_types(void);

#endif /* GW_SINK_H */
