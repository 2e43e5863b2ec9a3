/* outbox_submit.h - deciding on a help desk's request to answer: an
 * idempotent repeat, a refusal with its reason, or a new action queued in
 * the outbox (outbox.h has the contract: states, idempotency, collisions).
 *
 * Checks, in order: the text is not blank; the idempotency key; the
 * account runs and is not stopped by the circuit breaker, and its plugin
 * has the operation; the answered event is an item of that account a
 * customer wrote; who receives a private answer; the text's length; the
 * plugin's own rules (gw_plugin.check_action); a reply already in the thread; the gateway is not stopping. Single-
 * threaded: on the loop thread.
 */
#ifndef GW_OUTBOX_SUBMIT_H
#define GW_OUTBOX_SUBMIT_H

#include <stddef.h>

#include "engine/outbox.h"

/* Host cap on an action's text in Unicode code points, whatever the
 * plugin declares. */
#define OUTBOX_TEXT_MAX 16384
/* Longest idempotency key accepted, in bytes. */
#define OUTBOX_KEY_MAX 200

/* A request to answer, already checked for shape (types, required
 * members). Every string is borrowed for the call. */
typedef struct outbox_request {
    const char *network;
    const char *account;
    outbox_kind kind;
    const char *in_reply_to;     /* an event id ("network:native_id"), or NULL */
    const char *to;              /* recipient's native id (private), or NULL */
    const char *text;            /* valid UTF-8 without NULs; a blank one is refused */
    const char *idempotency_key; /* 1..OUTBOX_KEY_MAX bytes */
    int force;                   /* reply even if the thread has a reply */
} outbox_request;

typedef enum outbox_verdict {
    OUTBOX_CREATED = 0,     /* a new action, queued */
    OUTBOX_EXISTING,        /* the key's action, unchanged (idempotent repeat) */
    OUTBOX_EMPTY_TEXT,      /* the text is empty or whitespace only */
    OUTBOX_KEY_REUSED,      /* the key belongs to a different request */
    OUTBOX_UNKNOWN_ACCOUNT, /* no running account network/account */
    OUTBOX_ACCOUNT_STOPPED, /* the circuit breaker stopped the account */
    OUTBOX_UNKNOWN_EVENT,   /* in_reply_to is not an event of that account */
    OUTBOX_NOT_ANSWERABLE,  /* in_reply_to is a gateway event (action.*...),
                               or a private message answered with a reply */
    OUTBOX_UNSUPPORTED,     /* the plugin lacks the operation, the account
                               was narrowed, or the plugin's check_action
                               says the network cannot do this */
    OUTBOX_REFUSED,         /* the plugin's check_action: the network would
                               refuse this answer (its rules, a quota) */
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
    size_t limit;       /* TEXT_TOO_LONG, EMPTY_TEXT: the limit, in code points */
    size_t length;      /* TEXT_TOO_LONG, EMPTY_TEXT: the text's length */
    char message[320];  /* one line for the client saying why */
} outbox_result;

/* Decide on a request and, when it is new and acceptable, queue it: the
 * row is written in the tick's transaction, so answer the client only
 * after the next commit (runtime_after_commit). Returns 0 with res filled
 * (any verdict), or a negative GW_E* code for a broken call. */
int outbox_submit(outbox *ob, const outbox_request *req, outbox_result *res);

#endif /* GW_OUTBOX_SUBMIT_H */
