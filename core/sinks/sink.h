/* sink.h - the one small interface every event sink implements.
 *
 * A sink receives batches of JSONL (one event per line, each ending in
 * '\n') in seq order, at most one batch in flight per sink, and a sink
 * writes in one of two ways:
 *
 *   - synchronously (write): on a libuv worker thread, so an
 *     implementation needs no locking and may block (fsync) without
 *     stalling the loop or other sinks (stdout, file);
 *   - asynchronously (write_async): on the loop thread, starting network
 *     I/O through the host services in sink_io and reporting through a
 *     callback, with no thread per request (webhook; a broker client).
 *
 * Either way the dispatcher (engine/dispatch.c) moves the sink's durable
 * cursor only after the sink confirmed the batch, and retries a failed
 * batch, unchanged, with full-jitter backoff: the next batch waits, so
 * events arrive in order. An asynchronous sink may also refuse a batch for
 * good (sink_result.park): the dispatcher then parks its events in the
 * dead-letter table and moves on. All other calls run on the loop thread
 * while no write is in flight.
 */
#ifndef GW_SINK_H
#define GW_SINK_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "gateway/plugin.h" /* gw_option */

typedef struct sink_batch {
    const char *data;   /* JSONL bytes, borrowed for the call */
    size_t len;
    size_t count;       /* number of lines/events */
    int64_t first_seq;  /* seq of the first and last event in the batch */
    int64_t last_seq;
} sink_batch;

/* What an asynchronous write reports, borrowed for the done call. */
typedef struct sink_result {
    int rc;                  /* GW_OK: the batch is delivered; negative
                                GW_E*: it failed, retry it (or park it) */
    int park;                /* with rc < 0: the receiver refused it for good;
                                park its events as dead letters, move on */
    int status;              /* the receiver's last answer (HTTP status), 0
                                for none (transport error), for metrics */
    uint64_t retry_after_ms; /* with rc < 0: wait at least this long before
                                the next attempt (Retry-After); 0 = none */
    const char *message;     /* one line when rc < 0, never a secret; may be
                                NULL */
} sink_result;

/* Runs once per accepted write_async, later, on the loop thread. */
typedef void (*sink_done_fn)(void *arg, const sink_result *result);

/* Host services for asynchronous sinks, borrowed for the write_async call
 * (copy the pointers, not the struct: they stay valid while the sink is
 * open). */
typedef struct sink_io {
    /* Send one HTTP request through the host's client (curl multi on the
     * loop; TLS always verified; no host-side retries: the dispatcher's
     * backoff is the one retry policy). Everything in req is copied.
     * cb(arg, response) runs exactly once, later, from the loop, unless
     * this returns a negative GW_E* (then never) or the sink is closed
     * first (then never either: close frees what cb would have used). */
    int (*http_send)(void *ctx, const gw_http_request *req, gw_http_cb cb, void *arg);
    void *ctx;
    const char *sink_name; /* the configured name, for ids and messages */
    /* The gateway's loop, for a sink whose client is not HTTP (a broker
     * library with threads of its own comes back to the loop through a
     * uv_async_t of the sink's). A sink that makes handles on it closes
     * them in close() with uv_close and frees their memory in the close
     * callback: the loop runs on after close until they are closed. */
    uv_loop_t *loop;
} sink_io;

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

    /* Instead of write (a type sets exactly one): start writing a batch on
     * the loop thread and return at once. The batch (data included) stays
     * valid and unchanged until done runs; a retry hands the same batch
     * again. Returns 0 when accepted: done(arg, result) then runs exactly
     * once, never from inside this call, unless the sink is closed first.
     * A negative GW_E* (err set) counts as a failed attempt; done does not
     * run. */
    int (*write_async)(void *state, const sink_batch *batch, const sink_io *io,
                       sink_done_fn done, void *arg, char *err, size_t errlen);

    /* Most events the sink takes in one batch (webhook: its `batch`); NULL
     * or 0 leaves the common batch_size alone. */
    size_t (*max_batch)(void *state);

    /* 1 when the sink names a batch by its range of seqs (webhook with
     * batch > 1: one delivery id for the array), so the range must be the
     * same when a crash makes the batch go again: the dispatcher then
     * records each batch's last seq durably before handing it over, and
     * after a restart resends exactly that range first. NULL or 0: batches
     * may be cut anew after a restart (per-event ids, or no ids). */
    int (*names_batches)(void *state);

    /* Reopen the destination (log rotation by SIGHUP). Worker thread,
     * between writes. NULL when meaningless. */
    int (*reopen)(void *state, char *err, size_t errlen);

    /* Optional (NULL: nothing to check): check validated settings
     * (borrowed, as open gets them) for what the declarations cannot say,
     * with no side effect, so check-config and run refuse the same file.
     * Returns 0, or GW_EINVAL with *key the offending key (a static
     * string) and a reason in err, which the config reports at that
     * key's file:line. */
    int (*check)(const json_t *settings, const char **key, char *err, size_t errlen);

    /* Flush and free. NULL state is a no-op. For an asynchronous sink this
     * may come with a write in flight (shutdown): its done never runs, and
     * the host has already cancelled the requests it sent through sink_io. */
    void (*close)(void *state);
} sink_type;

/* Look up a built-in sink type by name; NULL when unknown. */
const sink_type *sink_type_find(const char *name);

/* All built-in sink types, NULL-ended (for docs and did-you-mean). */
const sink_type *const *sink_types(void);

#endif /* GW_SINK_H */
