/* outbox_internal.h - the outbox's state, shared by its parts: outbox.c
 * (the queue and the send path), outbox_submit.c (deciding on new
 * requests), outbox_read.c (what the API reads) and outbox_write.c (the
 * row's states, a final one with its event). No other file includes it.
 */
#ifndef GW_OUTBOX_INTERNAL_H
#define GW_OUTBOX_INTERNAL_H

#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "engine/outbox_types.h"
#include "engine/runtime.h"
#include "store/outbox_store.h"

typedef enum action_state {
    ST_QUEUED,
    ST_SENDING,
    ST_RETRYING,
    ST_SUCCEEDED,
    ST_FAILED
} action_state;

/* The state as the table spells it. */
static inline const char *outbox_state_name(action_state st)
{
    static const char *const names[] = {"queued", "sending", "retrying", "succeeded", "failed"};
    return names[st];
}

/* An action still to send (outbox.c's list). Strings are owned. */
typedef struct outbox_action {
    struct outbox_action *prev, *next;
    struct outbox *ob;
    char *id, *key, *network, *account, *in_reply_to, *reply_native, *thread, *recipient, *text;
    outbox_kind kind;
    action_state state;        /* queued, sending or retrying */
    action_state resume_state; /* what "sending" reverts to if never sent */
    unsigned attempts;
    uint64_t next_at_ms;
    int in_flight;      /* from step 1 until the plugin completes */
    int waiting_logged; /* "account not running" said once */
} outbox_action;

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

/* Write a's state as it is now, attempts and next attempt included
 * (outbox_write.c). Returns as outbox_write_final. */
int outbox_write_state(const outbox_action *a, action_state state);

/* Write a's final state (succeeded or failed; result_native, url and a
 * failure's reason may be NULL) and its action.* event in one savepoint:
 * both commit with the tick, or neither does (outbox_write.c). Returns 0,
 * GW_ESTATE when the row is no longer in the state this gateway left it
 * in, or another negative code. */
int outbox_write_final(const outbox_action *a, int succeeded, const char *result_native,
                       const char *url, const char *reason, int outcome_unknown);

/* The pruning, and the kept keys of pruned actions: outbox_prune.h. */

/* Take a row just queued (outbox_submit) into the send queue; its first
 * attempt waits for the commit that makes the row durable. Returns 0, or
 * GW_ENOMEM (the row stays queued and is sent after the next restart). */
int outbox_enqueue(outbox *ob, const outbox_row *row);

#endif /* GW_OUTBOX_INTERNAL_H */
