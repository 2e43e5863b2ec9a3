/* outbox_internal.h - the outbox's state, shared by its parts: outbox.c
 * (the queue and the send path), outbox_submit.c (deciding on new
 * requests), outbox_read.c (what the API reads) and outbox_final.c (a
 * final state and its event). No other file includes it.
 */
#ifndef GW_OUTBOX_INTERNAL_H
#define GW_OUTBOX_INTERNAL_H

#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "engine/outbox_types.h"
#include "engine/runtime.h"
#include "store/outbox_store.h"

struct outbox_action;

struct outbox {
    gw_runtime *rt;   /* borrowed */
    outbox_store *db; /* owned: the table's statements */
    unsigned max_attempts;
    int started, quiesced;
    uv_timer_t timer; /* wakes the scheduler for the next retry */
    int timer_open;
    struct outbox_action *head, *tail; /* still to send, in acceptance order */
    gw_account **busy;                 /* scratch for the scheduler: one per account */
    uint64_t echo_candidates;          /* rows with a result id; 0 skips the query */
    int64_t retention_ms, window_ms;   /* [gateway] action_retention, idempotency_window */
    uv_timer_t prune_timer;            /* outbox_prune.c */
    int prune_timer_open;
    pipeline_stats events;             /* the action.* events appended */
    outbox_stats stats;
};

/* A JSON string, or null for NULL. Ownership: a new reference. */
static inline json_t *outbox_string_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

/* "reply" or "private": the kind as the table and the events spell it. */
static inline const char *outbox_kind_name(outbox_kind kind)
{
    return kind == OUTBOX_PRIVATE ? "private" : "reply";
}

/* An action's outcome: the action as the row has it, and how it ended.
 * Strings borrowed; a NULL one is null in the event. */
typedef struct outbox_outcome {
    const char *id, *key, *network, *account, *reply_native, *recipient, *thread, *text;
    outbox_kind kind;
    unsigned attempts;
    uint64_t next_at_ms;
    int succeeded;
    const char *result_native, *url, *reason; /* reason: a failure's */
    int outcome_unknown;
} outbox_outcome;

/* Write the final state (succeeded or failed) and its action.* event in
 * one savepoint: both commit with the tick, or neither does
 * (outbox_final.c). Returns 0, GW_ESTATE when the row is no longer in the
 * state this gateway left it in, or another negative code. */
int outbox_write_final(outbox *ob, const outbox_outcome *o);

/* The pruning, and the kept keys of pruned actions: outbox_prune.h. */

/* Take a row just queued (outbox_submit) into the send queue; its first
 * attempt waits for the commit that makes the row durable. Returns 0, or
 * GW_ENOMEM (the row stays queued and is sent after the next restart). */
int outbox_enqueue(outbox *ob, const outbox_row *row);

#endif /* GW_OUTBOX_INTERNAL_H */
