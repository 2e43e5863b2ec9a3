/* outbox.h - the durable outbox of agents' answers (actions).
 *
 * An action is a help desk's answer to a customer: a public reply in a
 * thread (the plugin's post_public) or a private message (send_private).
 * It is accepted only once it is a row of the outbox table, in the same
 * SQLite database and group commit as the event log, so it survives a
 * restart; it runs through the plugin with the host's retry policy, and
 * its final outcome becomes an action.succeeded or action.failed event,
 * written in the same transaction as the row's final state.
 *
 * States: queued -> sending -> succeeded | failed, with sending -> retrying
 * -> sending while the network answers RETRY. "sending" is committed
 * before the plugin is called, so after a crash a row still "sending" means
 * "the network may have taken it": such an action is failed with an
 * "outcome unknown" reason, never sent again (an answer posted twice is
 * worse than one the help desk is told to check). Rows "queued" or
 * "retrying" were never handed to the plugin for their current attempt
 * and are resumed.
 *
 * Idempotency: every action carries the help desk's idempotency key,
 * unique across the outbox; the same key returns the same action, also
 * after a restart. Collisions: a reply to a thread that already has a
 * queued, sending, retrying or succeeded reply of the same account is
 * refused unless forced. Echo suppression: the network ids of our posted
 * items are kept, and outbox_is_echo() recognises them when a fetch
 * brings them back.
 *
 * See docs/design.md ("Actions and the outbox"). Single-threaded: every
 * function runs on the loop thread.
 */
#ifndef GW_OUTBOX_H
#define GW_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "engine/runtime.h"

typedef struct outbox outbox;

/* Host cap on an action's text in Unicode code points, whatever the
 * plugin declares. */
#define OUTBOX_TEXT_MAX 16384
/* Longest idempotency key accepted, in bytes. */
#define OUTBOX_KEY_MAX 200

/* Create the outbox table if needed, fail the actions a crash left
 * "sending", and load those still to send. Commits what it wrote. Needs
 * rt->store and the accounts (rt->accounts) in place. Returns 0 and sets
 * *out (free with outbox_close), or a negative GW_E* code with err set. */
int outbox_open(gw_runtime *rt, outbox **out, char *err, size_t errlen);

/* Start sending what is due (once the loop runs). */
void outbox_start(outbox *ob);

/* Stop starting sends (drain or close): actions already handed to a
 * plugin still record their outcome; those not handed over stay queued
 * for the next start. Closes the outbox's timer handle, so run the loop
 * before outbox_close. Idempotent; NULL is a no-op. */
void outbox_quiesce(outbox *ob);

/* Finalize the outbox's statements and free it; before store_close().
 * NULL is a no-op. */
void outbox_close(outbox *ob);

typedef enum outbox_kind { OUTBOX_REPLY = 0, OUTBOX_PRIVATE = 1 } outbox_kind;

/* A request to answer, already checked for shape (types, required
 * members). Every string is borrowed for the call. */
typedef struct outbox_request {
    const char *network;
    const char *account;
    outbox_kind kind;
    const char *in_reply_to;     /* an event id ("network:native_id"), or NULL */
    const char *to;              /* recipient's native id (private), or NULL */
    const char *text;            /* non-empty UTF-8 */
    const char *idempotency_key; /* 1..OUTBOX_KEY_MAX bytes */
    int force;                   /* reply even if the thread has a reply */
} outbox_request;

typedef enum outbox_verdict {
    OUTBOX_CREATED = 0,     /* a new action, queued */
    OUTBOX_EXISTING,        /* the key's action, unchanged (idempotent repeat) */
    OUTBOX_KEY_REUSED,      /* the key belongs to a different request */
    OUTBOX_UNKNOWN_ACCOUNT, /* no running account network/account */
    OUTBOX_UNKNOWN_EVENT,   /* in_reply_to is not an event of that account */
    OUTBOX_NOT_ANSWERABLE,  /* in_reply_to is a gateway event (action.*...),
                               or a private message answered with a reply */
    OUTBOX_UNSUPPORTED,     /* the plugin lacks the operation */
    OUTBOX_NO_RECIPIENT,    /* private without "to" and no author to answer */
    OUTBOX_TEXT_TOO_LONG,   /* longer than the network (or the host) takes */
    OUTBOX_COLLISION,       /* the thread already has a reply */
    OUTBOX_STOPPING,        /* the gateway is shutting down */
    OUTBOX_STORE_ERROR      /* the database failed */
} outbox_verdict;

typedef struct outbox_result {
    outbox_verdict verdict;
    char action_id[48]; /* CREATED, EXISTING: the action; COLLISION,
                           KEY_REUSED: the other one; else "" */
    size_t limit;       /* TEXT_TOO_LONG: the limit, in code points */
    size_t length;      /* TEXT_TOO_LONG: the text's length */
    char message[320];  /* one line for the client saying why */
} outbox_result;

/* Decide on a request and, when it is new and acceptable, queue it: the
 * row is written in the tick's transaction, so answer the client only
 * after the next commit (runtime_after_commit). Returns 0 with res filled
 * (any verdict), or a negative GW_E* code for a broken call. */
int outbox_submit(outbox *ob, const outbox_request *req, outbox_result *res);

/* The client's view of action `id`: {"id", "state", "network", "account",
 * "kind", "in_reply_to", "to", "text", "idempotency_key", "force",
 * "attempts", "created_at", "updated_at", "next_attempt_at", "native_id",
 * "url", "reason"}. Returns 0 and sets *out (caller decrefs), GW_ENOENT,
 * or another negative GW_E* code. */
int outbox_action_get(outbox *ob, const char *id, json_t **out);

/* pipeline_echo predicate (arg is the outbox): 1 when event's native_id
 * is the network id of an item this account posted through the outbox. */
int outbox_is_echo(void *arg, const char *network, const char *account, const json_t *event);

/* Counters since start, for logs and metrics. */
typedef struct outbox_stats {
    uint64_t accepted; /* new actions queued */
    uint64_t replayed; /* idempotent repeats answered */
    uint64_t attempts; /* plugin calls started */
    uint64_t retries;  /* RETRY answers that led to another attempt */
    uint64_t succeeded, failed;
    uint64_t echoes; /* our own posts dropped from fetches */
} outbox_stats;

const outbox_stats *outbox_stats_get(const outbox *ob);

#endif /* GW_OUTBOX_H */
