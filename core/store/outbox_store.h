/* outbox_store.h - the outbox's table in the event log's database: its
 * layout and schema version, its prepared statements, and the reads and
 * writes the outbox (engine/outbox.c) makes.
 *
 * Every write joins the store's per-tick transaction (store_write_begin),
 * so an action's row commits in the same group commit as the events; a
 * final state and its action.* event are bracketed by
 * outbox_store_final_begin/_end, one savepoint. Nothing here decides
 * anything: states and kinds are the strings the outbox hands over
 * ("queued", "sending", "retrying", "succeeded", "failed"; "reply",
 * "private"). Failed statements are reported to the store
 * (store_write_failed), which notices a rolled-back tick.
 *
 * Single-threaded, on the loop thread, like the store.
 */
#ifndef GW_OUTBOX_STORE_H
#define GW_OUTBOX_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

typedef struct outbox_store outbox_store;

/* One row as read. Every string (may be NULL where the column may be) is
 * borrowed: valid only during the callback it is handed to. */
typedef struct outbox_row {
    const char *id, *key, *network, *account, *kind;
    const char *in_reply_to;  /* the event id answered, as given */
    const char *reply_native; /* that event's native id */
    const char *thread;       /* collision key (replies), DM thread */
    const char *recipient;    /* private: who receives it */
    const char *to_given;     /* the request's "to", for idempotency */
    const char *text;
    int force;
    const char *state;
    int64_t attempts;
    int64_t next_at_ms; /* retrying: earliest next attempt */
    int64_t created_ms, updated_ms;
    const char *result_native_id, *result_url, *reason;
} outbox_row;

/* Called once per row read; returns 0 to go on or a negative GW_E* code
 * to stop (outbox_store_each_open returns it). */
typedef int (*outbox_row_fn)(void *arg, const outbox_row *row);

/* A new row, queued with no attempts yet. Strings borrowed for the call. */
typedef struct outbox_new_row {
    const char *id, *key, *network, *account, *kind, *in_reply_to, *reply_native, *thread,
        *recipient, *to_given, *text;
    int force;
    uint64_t now_ms;
} outbox_new_row;

/* Create the table if needed (refusing a layout written by a newer
 * gateway) and prepare the statements, on st's connection inside its
 * tick's transaction. Returns 0 and sets *out (free with
 * outbox_store_close, before store_close), or a negative GW_E* code with
 * err set. */
int outbox_store_open(store *st, outbox_store **out, char *err, size_t errlen);

/* Finalize the statements and free. NULL is a no-op. */
void outbox_store_close(outbox_store *os);

/* Rows that hold a network id of a posted item (the echo candidates). */
uint64_t outbox_store_count_results(outbox_store *os);

/* The row with this id / idempotency key, handed to fn. Returns 1 when
 * found (fn's result is ignored), 0 when there is none, or a negative
 * GW_E* code. */
int outbox_store_get(outbox_store *os, const char *id, outbox_row_fn fn, void *arg);
int outbox_store_get_by_key(outbox_store *os, const char *key, outbox_row_fn fn, void *arg);

/* Every row still queued, sending or retrying, in insertion order.
 * Returns 0, fn's negative code, or GW_EIO; either failure with err set. */
int outbox_store_each_open(outbox_store *os, outbox_row_fn fn, void *arg, char *err, size_t errlen);

/* The first reply of this account in the thread that has not failed: its
 * id into other. Returns 1 when there is one, 0 when not, or GW_E*. */
int outbox_store_collision(outbox_store *os, const char *network, const char *account,
                           const char *thread, char *other, size_t len);

/* Whether native is the network id of an item this account posted: 1 and
 * the action's id into action_id ("?" if unreadable), 0, or GW_E*. */
int outbox_store_echo(outbox_store *os, const char *network, const char *account,
                      const char *native, char *action_id, size_t len);

/* Queue a new row. Returns 0 or a negative GW_E* code. */
int outbox_store_insert(outbox_store *os, const outbox_new_row *row);

/* Move a row to state; result_native, url and reason (may be NULL) only
 * fill what they give, a NULL keeps the column (a success clears the
 * reason). Only the state machine's moves are written: queued|retrying ->
 * sending; sending -> queued|retrying|succeeded; queued|sending|retrying
 * -> failed. Returns 0; GW_ESTATE when the row is not in a state it may
 * leave that way (nothing written: a final row stays final, whoever
 * asks); or another negative GW_E* code. */
int outbox_store_update(outbox_store *os, const char *id, const char *state, int64_t attempts,
                        uint64_t next_at_ms, uint64_t now_ms, const char *result_native,
                        const char *url, const char *reason);

/* ---- pruning (docs/design.md, "Pruning finished actions") ----
 *
 * A finished row (succeeded or failed) whose updated_ms is before
 * now - retention is deleted; unfinished rows never are, whatever their
 * age. When it finished within the idempotency window, its key is kept
 * first as a key record (outbox_keys: id, state, network ids and a
 * fingerprint of the request, not its text), so a repeat of the key still
 * finds the action; key records finished before now - window are deleted. */

/* Hex SHA-256 of a request's fields, with its NUL. */
#define OUTBOX_FINGERPRINT_SIZE 65

/* The fingerprint of an action's request: what an idempotent repeat must
 * match (the fields check_repeat compares). Any field may be NULL. */
void outbox_store_fingerprint(const char *network, const char *account, const char *kind,
                              const char *in_reply_to, const char *to_given, const char *text,
                              char out[OUTBOX_FINGERPRINT_SIZE]);

typedef struct outbox_prune_limits {
    int64_t now_ms;
    int64_t retention_ms; /* 0: rows are never pruned */
    int64_t window_ms;    /* 0: no key records are kept */
    int64_t max_rows;     /* rows (and key records) at most per call; 0: all */
} outbox_prune_limits;

typedef struct outbox_pruned {
    int64_t actions; /* rows deleted */
    int64_t keys;    /* key records past their window deleted */
} outbox_pruned;

/* One slice of pruning, the oldest first, in the tick's transaction
 * (durable at the next commit). Returns 0 with *out filled (a slice that
 * came back full means more is due), or a negative GW_E* code. */
int outbox_store_prune(outbox_store *os, const outbox_prune_limits *lim, outbox_pruned *out);

/* A key record as read; strings borrowed for the callback. */
typedef struct outbox_key_row {
    const char *key, *action_id, *network, *account, *kind, *state, *fingerprint;
    const char *result_native_id, *result_url; /* may be NULL */
    int64_t created_ms, finished_ms;
} outbox_key_row;

typedef int (*outbox_key_fn)(void *arg, const outbox_key_row *row);

/* The key record of a pruned action with this key that finished at or
 * after since_ms (now - window: an older one is past its window even if
 * not deleted yet), handed to fn. Returns 1, 0 or a negative GW_E*. */
int outbox_store_get_pruned_key(outbox_store *os, const char *key, int64_t since_ms,
                                outbox_key_fn fn, void *arg);

/* Open the savepoint a final state and its event are written in; end it
 * with outbox_store_final_end(os, ok): ok = 0 rolls back to it (harmless
 * when SQLite already rolled the whole tick back). Returns 0 or GW_E*. */
int outbox_store_final_begin(outbox_store *os);
void outbox_store_final_end(outbox_store *os, int ok);

#endif /* GW_OUTBOX_STORE_H */
