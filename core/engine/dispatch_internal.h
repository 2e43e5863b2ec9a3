/* dispatch_internal.h - the dispatcher's state, shared by dispatch.c
 * (the cursor, retries), dispatch_batch.c (the batch's lines) and
 * dispatch_deadletters.c (parking, replays, the count held). Not for use
 * outside core/engine/.
 */
#ifndef GW_DISPATCH_INTERNAL_H
#define GW_DISPATCH_INTERNAL_H

#include <stdint.h>

#include "engine/dispatch_types.h"
#include "engine/runtime.h"
#include "http/http_client.h"
#include "sinks/sink.h"

struct dispatcher {
    gw_runtime *rt;
    const sink_type *type;
    void *state;
    char *name;
    int64_t cursor;          /* highest seq the sink confirmed */
    int64_t cursor_stored;   /* the cursor as last written to the store */
    uint64_t cursor_stored_ms;
    size_t batch_size;
    uint64_t retry_max_ms;

    uv_work_t work;
    int busy;                /* a batch is being written */
    int reopen_pending;
    int closing;
    char *buf;               /* the pending batch, kept for retries */
    size_t len, cap;
    sink_batch batch;
    int pending;             /* buf holds a batch not yet confirmed */
    int write_rc;
    char write_err[320];
    int64_t *seqs;           /* seq of each line of buf, for dead letters */
    size_t seqs_cap;

    /* A sink that names batches by their range (type->names_batches):
     * each batch's last seq is recorded, and committed, before the batch
     * is handed over, so after a crash the same range goes first. */
    int names_batches;
    char *plan_key;          /* "batch/<name>" in the cursor table */
    int64_t plan_last;       /* the range planned durably ends here */
    int64_t read_limit;      /* store_read stops past this seq; 0: none */
    egress_reader egress;    /* the read's pass over the events' members */
    int plan_waiting;        /* a plan waits for its commit */

    /* Asynchronous sinks (type->write_async). */
    http_client *client;     /* owned; NULL for synchronous sinks */
    sink_io io;
    int replay_check;        /* dead letters may wait for a replay */
    int64_t replay_id;       /* the pending batch replays this dead letter */

    uv_timer_t *retry_timer; /* owns the dispatcher: freed in its close cb */
    unsigned attempt;
    int failing;
    dispatch_stats stats;
};

/* One event's line into the batch (arg is the dispatcher), as it is to
 * leave: 0, 1 to stop the walk (past a planned range), or GW_ENOMEM.
 * dispatch_read_line is store_read's callback: the stored event with its
 * members added (d->egress); a dead letter's line has them already. */
int dispatch_append_line(void *arg, int64_t seq, const char *json, size_t len);
int dispatch_read_line(void *arg, int64_t seq, const char *json, size_t len);

/* Park every event of the refused batch (or mark the replayed dead letter
 * refused again) and step over it. */
void dispatch_park(dispatcher *d, const sink_result *res);

/* Fill the batch with a dead letter waiting for its replay; 1 when one
 * was found. */
int dispatch_take_replay(dispatcher *d);

#endif /* GW_DISPATCH_INTERNAL_H */
