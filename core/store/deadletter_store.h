/* deadletter_store.h - the dead-letter table: events a sink's receiver
 * refused for good (the webhook sink after max_attempts 4xx answers),
 * parked so the sink can move on, until an operator replays or drops them
 * (`gateway deadletter`, /v1/deadletters).
 *
 * On the store's connection and inside the tick's transaction, like the
 * outbox's table: parking an event commits together with the sink cursor
 * that steps over it, so a crash can neither lose it nor park it twice.
 * Statements are prepared per call: dead letters are rare.
 */
#ifndef GW_DEADLETTER_STORE_H
#define GW_DEADLETTER_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* One parked event; strings borrowed for the callback. */
typedef struct deadletter_row {
    int64_t id;          /* the dead letter's own id (1, 2, ...) */
    const char *sink;    /* the configured sink name */
    int64_t seq;         /* the event's seq in the log */
    const char *event;   /* the event's stored JSON */
    int status;          /* the receiver's last answer (HTTP status) */
    const char *reason;  /* one line: what the receiver said */
    int64_t parked_ms;   /* wall-clock ms of the last refusal */
    int replay;          /* 1: a replay was asked and has not run yet */
} deadletter_row;

typedef void (*deadletter_fn)(void *arg, const deadletter_row *row);

/* Create the table when missing, in the tick's transaction. 0 or GW_E*. */
int deadletter_init(store *s);

/* Park one event. All borrowed. 0 or GW_E*. */
int deadletter_park(store *s, const char *sink, int64_t seq, const char *event, size_t event_len,
                    int status, const char *reason, int64_t now_ms);

/* Rows by id ascending with id > after_id, at most limit of them, of one
 * sink or all (sink NULL). Returns how many were passed to fn, or GW_E*. */
int deadletter_list(store *s, const char *sink, int64_t after_id, size_t limit, deadletter_fn fn,
                    void *arg);

/* One row: 1 and fn called when found, 0 when not, or GW_E*. */
int deadletter_get(store *s, int64_t id, deadletter_fn fn, void *arg);

/* The oldest row of sink waiting for its replay: as deadletter_get. */
int deadletter_next_replay(store *s, const char *sink, deadletter_fn fn, void *arg);

/* Ask for a replay (1 when the row exists, 0 when not, or GW_E*). */
int deadletter_request_replay(store *s, int64_t id);

/* A replay was refused for good again: the row waits for the operator once
 * more, with the new answer. 0 or GW_E*. */
int deadletter_replay_refused(store *s, int64_t id, int status, const char *reason,
                              int64_t now_ms);

/* Remove a row (dropped, or delivered by its replay): 1, 0 when none, or
 * GW_E*. */
int deadletter_drop(store *s, int64_t id);

/* Rows of a sink (NULL: all); negative GW_E* on failure. */
int64_t deadletter_count(store *s, const char *sink);

#endif /* GW_DEADLETTER_STORE_H */
