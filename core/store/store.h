/* store.h - the durable event log, sink cursors and plugin key/value state,
 * in one SQLite database in WAL mode.
 *
 * Why one module: the log, the cursors and the plugin cursors must commit
 * together, so a crash never leaves a plugin cursor ahead of the events it
 * produced or a sink cursor ahead of what the log holds. Everything is
 * written inside one transaction per loop tick (group commit): the first
 * write opens it, the loop calls store_commit() once before it blocks.
 *
 * Single-threaded: every function must be called from the loop thread
 * (store_sync_run, on store_syncer's object, is the one exception).
 */
#ifndef GW_STORE_H
#define GW_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

typedef struct store store;

typedef struct store_options {
    int synchronous_full;   /* 1: PRAGMA synchronous=FULL (power-loss safe);
                               0: NORMAL (crash safe, faster) */
    int64_t retention_ms;   /* events older than this, and delivered to
                               every sink, may be pruned; 0 keeps forever */
    int defer_sync;         /* with synchronous_full: the loop's ticks
                               commit with store_commit_unsynced and a
                               worker makes them durable (store_sync.h) */
    int bare;               /* no event log in this file: only the
                               transaction, health and connection of a
                               store, for a database of derived state
                               (the conversations') with tables of its
                               own; store_append, store_read, cursors and
                               kv must not be called on it */
    unsigned page_size;     /* bytes a page (a power of two from 512 to
                               65536) of a file this open creates; 0:
                               SQLite's 4096. A file that exists keeps
                               the size it was made with. */
} store_options;

typedef struct store_sync store_sync;

/* Process-wide SQLite settings, called once by main before any thread
 * starts and before any database is opened (sqlite3_config refuses
 * later calls; a program that skips it gets SQLite's defaults, which are
 * correct, only slower). Turns off SQLite's memory statistics, which take
 * a global mutex on every allocation and free: nothing reads them, and
 * they were ~7% of a conversation row's write. Returns 0 or GW_EIO. */
int store_library_init(void);

/* Open (creating if needed) the database at path. Returns 0 and sets *out
 * (caller closes with store_close) or a negative GW_E* code with err set. */
int store_open(const char *path, const store_options *opts, store **out,
               char *err, size_t errlen);

/* Commit any open transaction, then close. NULL is a no-op. */
void store_close(store *s);

/* Roll the open transaction back, if any, without counting a failure:
 * the caller gives up what it wrote since the last commit (a derived
 * database whose source lost its tick). 0 or GW_EIO. */
int store_rollback(store *s);

/* Never hand out a seq up to seq: record it as the high-water mark and
 * commit (a no-op when the log is past it already). For a database
 * derived from the log that has applied seqs the log lost (a power loss
 * took the log's last commits, not the derived file's): new events must
 * not take them. Call between ticks. 0 or GW_E*. */
int store_skip_seqs(store *s, int64_t seq);

/* The path the store was opened on (borrowed). */
const char *store_path(const store *s);

/* Commit the tick's transaction if one is open. After it returns 0, every
 * appended event, cursor and kv write so far is durable and
 * store_committed_seq() covers the appended events. All or nothing: when
 * any write of the tick failed, or the COMMIT itself does, the tick is
 * rolled back and GW_EIO returned (store_last_error says why); the next
 * write opens a fresh transaction. */
int store_commit(store *s);

/* ---- deferred sync (store_options.defer_sync; see store_sync.h) -------
 * store_commit() stays synchronous: it commits and, when commits are
 * waiting for the disk, runs the fdatasync itself before it returns. The
 * loop's ticks use store_commit_unsynced() instead, and a worker runs
 * store_sync_run(store_syncer(s)) after taking store_sync_point(); when
 * it succeeds, the loop calls store_mark_durable() with that point. */

/* store_commit without waiting for the disk: the tick is in SQLite (a
 * crash of the process loses nothing; a power loss may) but
 * store_committed_seq() does not move. Same errors as store_commit().
 * Without defer_sync it is store_commit(). */
int store_commit_unsynced(store *s);

/* What a sync started now covers: the number of COMMITs so far and the
 * highest seq they wrote. */
void store_sync_point(const store *s, uint64_t *gen, int64_t *seq);

/* The commits up to gen (and events up to seq) are durable. */
void store_mark_durable(store *s, uint64_t gen, int64_t seq);

/* How many COMMITs are known durable. */
uint64_t store_durable_generation(const store *s);

/* The WAL syncer, or NULL when COMMIT syncs by itself (no defer_sync, or
 * synchronous NORMAL, which never syncs at commit). Borrowed. */
store_sync *store_syncer(store *s);

/* Append one event. `event` (borrowed, modified) must hold a string "id";
 * the store assigns the next seq, sets "seq" in the object, serializes it
 * compactly and inserts it. Returns 1 when stored (and *seq_out set),
 * 0 when an event with the same id is already in the log (nothing
 * changed), or a negative GW_E* code. */
int store_append(store *s, json_t *event, int64_t *seq_out);

/* store_append with more members given as JSON text (`"k":v,...`, no
 * outer braces, borrowed; len 0 for none), stored after the event's own
 * members: members built per event without a json_t (the conversation
 * service's "contact"). The caller keeps their keys out of event. */
int store_append_text(store *s, json_t *event, const char *members, size_t members_len,
                      int64_t *seq_out);

/* One fragment of members given as JSON text (as store_append_text's). */
typedef struct store_members {
    const char *text; /* borrowed; NULL or len 0: none */
    size_t len;
} store_members;

/* store_append_text with n fragments, stored in order after the event's
 * own members (triage's tags, then the conversation service's members),
 * joined by the store as it writes them rather than copied together by
 * the caller. */
int store_append_parts(store *s, json_t *event, const store_members *parts, size_t n,
                       int64_t *seq_out);

/* Highest seq appended (committed or not) and highest committed. */
int64_t store_last_seq(const store *s);
int64_t store_committed_seq(const store *s);
/* The lowest seq the log still holds (0 when empty), or a GW_E* code. */
int64_t store_first_seq(store *s);

/* Calls cb for committed events with seq > after_seq in seq order, at most
 * max_count of them. json is the stored compact text (borrowed for the
 * call, not NUL-terminated necessarily: use len). A non-zero return from
 * cb stops the walk and is returned. Returns 0 or a negative GW_E* code. */
typedef int (*store_read_cb)(void *arg, int64_t seq, const char *json, size_t len);
int store_read(store *s, int64_t after_seq, size_t max_count, store_read_cb cb,
               void *arg);

/* store_read of the events after after_seq up to upto_seq that SQLite
 * has committed, durable or not yet (store_commit_unsynced): for a
 * database derived from the log, which commits after the log and so
 * applies what the log holds, not only what the sinks may see. */
int store_read_upto(store *s, int64_t after_seq, int64_t upto_seq, size_t max_count,
                    store_read_cb cb, void *arg);

/* Fetch one event by id. Returns 0 and sets *out (caller decrefs),
 * GW_ENOENT, or a negative GW_E* code. */
int store_event_get(store *s, const char *id, json_t **out);

/* Durable per-sink cursor: the highest seq the sink confirmed. A sink that
 * never confirmed anything reads 0. */
int store_cursor_get(store *s, const char *sink, int64_t *seq);
int store_cursor_set(store *s, const char *sink, int64_t seq);

/* Durable key/value pairs under a scope (an account's "network/name").
 * kv_get copies the NUL-terminated value into buf and returns its length,
 * GW_ENOENT when absent, GW_ERANGE when buf is too small. */
int store_kv_get(store *s, const char *scope, const char *key, char *buf,
                 size_t buflen);
int store_kv_set(store *s, const char *scope, const char *key, const char *value);

/* Retention: delete events received before now_ms - retention_ms whose seq
 * every sink has passed (seq <= min_cursor), oldest received first, at
 * most max_rows of them (<= 0: no limit) so a large backlog is pruned in
 * slices that do not stall the loop. It reads the old events only (the
 * index on received_at_ms), never the rest of the log. Returns the number
 * deleted or a negative GW_E* code. */
int64_t store_prune(store *s, int64_t now_ms, int64_t min_cursor, int64_t max_rows);

/* ---- tables of other modules in the same database (added for the
 * outbox, core/outbox.c) ------------------------------------------------
 * A module whose rows must commit atomically with the log (the outbox:
 * an action's final state and its action.* event) keeps its own tables
 * and prepared statements on this connection, and joins the tick's
 * transaction through these three calls. It finalizes its statements
 * before store_close(). */

/* The connection. Borrowed: valid until store_close(). */
struct sqlite3 *store_db(store *s);

/* Open the tick's transaction if it is not open yet (BEGIN IMMEDIATE);
 * call before the first write of a tick. Returns 0 or a GW_E* code. */
int store_write_begin(store *s);

/* store_write_begin for a module that rebuilds its in-memory state from
 * the database after a lost tick (the conversations): the tick's loss is
 * then no reason to give up on the store. */
int store_write_begin_rebuildable(store *s);

/* Report a statement of such a module that failed with SQLite result
 * sqlite_rc: records "what: sqlite message" as the last error and notices
 * when SQLite rolled the tick's transaction back (the next store_commit
 * then fails, as for the store's own writes). Returns the GW_E* code. */
int store_write_failed(store *s, int sqlite_rc, const char *what);

/* A one-line description of the last failure (naming the database file),
 * for the log; "" when nothing failed yet. Borrowed: owned by the store,
 * valid until the next store call. */
const char *store_last_error(const store *s);

/* The store's health, for readiness, metrics and the daemon's decision
 * to keep going (see docs/design.md, "When the store fails"). */
typedef struct store_status {
    uint64_t errors_total;     /* failed writes and commits since open */
    unsigned failed_commits;   /* commits in a row that were rolled back */
    uint64_t failing_since_ms; /* monotonic ms of the first failure since
                                  the last good commit; 0: not failing */
    const char *unrecoverable; /* NULL, or why retrying cannot help (a
                                  corrupt or read-only database, or state
                                  lost that only a restart restores);
                                  static */
} store_status;
void store_status_get(const store *s, store_status *out);

/* Write a probe row in the tick's transaction, so that the next
 * store_commit() tells whether the store takes writes again when nothing
 * else writes. Returns 0 or a GW_E* code (the tick then fails). */
int store_probe(store *s);

#endif /* GW_STORE_H */
