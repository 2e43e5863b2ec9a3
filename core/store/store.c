/* store.c - the durable event log, sink cursors and plugin key/value state
 * in one SQLite database (see store.h for the contract).
 *
 * Owns: the tick's open transaction, the seq counters and a reusable
 * serialization buffer; the connection and its prepared statements are
 * opened and closed by store_open.c.
 *
 * Durability model. One connection in WAL mode. The first write of a loop
 * tick runs BEGIN IMMEDIATE; store_commit() commits. Because the one
 * connection sees its own open transaction, store_read() filters on
 * seq <= committed_seq so a sink never receives an event that a crash could
 * still take back. With store_options.defer_sync the COMMIT does not wait
 * for the disk: written_seq covers what SQLite holds, committed_seq what a
 * fdatasync of the WAL (store_sync.c, on a worker) has covered since.
 *
 * Seq is assigned here (last_seq + 1), never by SQLite, so the gap-free,
 * monotonic numbering survives pruning: the newest event is never pruned,
 * and prune also records the high-water mark in the meta table, so
 * last_seq recovered at open (the larger of the two) never goes backwards.
 *
 * A tick commits all or nothing. A failed write can make SQLite roll the
 * whole transaction back (disk full, I/O error) and take appends that
 * already returned 1 with it; a write that failed alone (a statement
 * rolled back, BEGIN refused) would let the rest commit without it, a
 * plugin cursor ahead of the events it stands for. So any failed write
 * marks the tick failed, and the next store_commit() rolls back what is
 * left and fails instead of pretending anything was made durable. What a
 * failure means for the process is store_health.c's.
 */
#include "store/store.h"

#include "base/clock.h"
#include "base/json_write.h"
#include "store/store_health.h"
#include "store/store_internal.h"
#include "store/store_sync.h"
#include "gateway/sdk.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "gateway/error.h"
#include "gateway/plugin.h" /* GW_PRINTF */

void store_set_error(store *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    store_health_vset_error(&s->health, s->path, fmt, ap);
    va_end(ap);
}

/* Record a failed statement and notice when SQLite took the tick's
 * transaction with it. Returns the GW_E* code for rc. */
int store_fail(store *s, int rc, const char *what)
{
    store_set_error(s, "%s: %s", what, sqlite3_errmsg(s->db));
    if (s->in_txn && sqlite3_get_autocommit(s->db)) {
        s->in_txn = 0;
        s->tick_failed = 1;
        s->last_seq = s->written_seq;
    }
    return store_health_gw_code(rc);
}

/* A write failed: the tick cannot commit (see the top of the file). */
static int store_write_fail(store *s, int rc, const char *what)
{
    s->tick_failed = 1;
    store_health_write_failed(&s->health, rc);
    return store_fail(s, rc, what);
}

/* Run a statement that returns no rows (a write) and reset it. */
int store_exec_stmt(store *s, sqlite3_stmt *stmt, const char *what)
{
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE)
        return store_write_fail(s, rc, what);
    return 0;
}

/* Open the tick's transaction on the first write. IMMEDIATE takes the
 * write lock now, so the commit cannot fail on a lock upgrade. */
int store_begin(store *s)
{
    int rc;

    if (s->in_txn)
        return 0;
    rc = store_exec_stmt(s, s->begin, "begin transaction");
    if (rc == 0)
        s->in_txn = 1;
    return rc;
}

/* Serialize event into s->dump; sets *len. The buffer is the store's:
 * valid until the next call. base/json_write.c writes what json_dumpb
 * would with JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15)
 * (15 significant digits: a rounded score such as tags.sentiment_score
 * 0.51 is written "0.51", not "0.51000000000000001"), in a third of
 * jansson's time (docs/design.md, "The ingest path's cost"). */
static int store_serialize(store *s, const json_t *event, const store_members *parts, size_t n,
                           size_t *len)
{
    jw_buf *b = &s->dump;
    int rc = jw_dump(b, event);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (parts[i].text == NULL || parts[i].len == 0)
            continue;
        b->len--; /* the object's '}' */
        if ((b->len > 1 && (rc = jw_raw(b, ",", 1))) ||
            (rc = jw_raw(b, parts[i].text, parts[i].len)) || (rc = jw_raw(b, "}", 1)))
            b->len = 0;
    }
    *len = b->len;
    return rc;
}

int store_rollback(store *s)
{
    int rc = 0;
    if (s->in_txn) {
        rc = sqlite3_step(s->rollback) == SQLITE_DONE ? 0 : GW_EIO;
        sqlite3_reset(s->rollback);
        s->in_txn = 0;
    }
    s->tick_failed = s->tick_state = 0;
    s->last_seq = s->written_seq;
    return rc;
}

/* The tick's writes are gone, rolled back by SQLite or here: nothing of
 * it may be reported durable, and the next write opens a fresh one. */
static int store_tick_lost(store *s)
{
    int state = s->tick_state;
    size_t n = strlen(s->health.error);

    store_rollback(s);
    snprintf(s->health.error + n, sizeof s->health.error - n,
             " (writes since the last commit rolled back)");
    store_health_commit_failed(&s->health, state);
    return GW_EIO;
}

/* Commits all of the tick or nothing: a tick with a failed write, or a
 * COMMIT that fails (SQLITE_BUSY included), is rolled back, so the
 * caller's waiters learn at once that nothing of it is durable. */
static int commit_tick(store *s)
{
    if (s->tick_failed)
        return store_tick_lost(s);
    if (!s->in_txn)
        return 0;
    if (store_exec_stmt(s, s->commit, "commit") != 0)
        return store_tick_lost(s);
    s->in_txn = 0;
    s->tick_state = 0;
    s->written_seq = s->last_seq;
    s->commit_gen++;
    store_health_committed(&s->health);
    if (s->sync == NULL) /* SQLite's COMMIT waited for the disk itself */
        store_mark_durable(s, s->commit_gen, s->written_seq);
    return 0;
}

int store_commit(store *s)
{
    int rc = commit_tick(s);
    if (rc != 0 || s->durable_gen == s->commit_gen)
        return rc;
    if (store_sync_run(s->sync, s->health.error, sizeof s->health.error) != 0) {
        s->health.unrecoverable = "the WAL could not be synced";
        return GW_EIO;
    }
    store_mark_durable(s, s->commit_gen, s->written_seq);
    return 0;
}

int store_commit_unsynced(store *s)
{
    return commit_tick(s);
}

void store_sync_point(const store *s, uint64_t *gen, int64_t *seq)
{
    *gen = s->commit_gen;
    *seq = s->written_seq;
}

void store_mark_durable(store *s, uint64_t gen, int64_t seq)
{
    if (gen > s->durable_gen)
        s->durable_gen = gen;
    if (seq > s->committed_seq)
        s->committed_seq = seq;
}

uint64_t store_durable_generation(const store *s)
{
    return s->durable_gen;
}

store_sync *store_syncer(store *s)
{
    return s->sync;
}

/* The "seq" the caller's object held before the append; restored when the
 * event turns out to be a duplicate or the insert fails. Steals old. */
static void event_restore_seq(json_t *event, json_t *old)
{
    if (old)
        json_object_set_new(event, "seq", old);
    else
        json_object_del(event, "seq");
}

/* received_at_ms (what retention compares) comes from the event's
 * "received_at" when it is a valid RFC 3339 string, else from the wall
 * clock now. The body is serialized once with the new "seq" in place; on a
 * duplicate or an error the caller's object gets its old "seq" back. */
int store_append(store *s, json_t *event, int64_t *seq_out)
{
    return store_append_text(s, event, NULL, 0, seq_out);
}

int store_append_text(store *s, json_t *event, const char *members, size_t members_len,
                      int64_t *seq_out)
{
    store_members part = {members, members_len};
    return store_append_parts(s, event, &part, 1, seq_out);
}

int store_append_parts(store *s, json_t *event, const store_members *parts, size_t n,
                       int64_t *seq_out)
{
    const json_t *id = json_object_get(event, "id");
    const char *received = json_string_value(json_object_get(event, "received_at"));
    json_t *old_seq = NULL;
    int64_t seq = s->last_seq + 1, received_ms;
    size_t len = 0;
    int rc;

    if (!json_is_object(event) || !json_is_string(id) || json_string_length(id) == 0) {
        store_set_error(s, "append: the event has no string \"id\"");
        return GW_EINVAL;
    }
    /* A missing or malformed received_at only affects retention, so it
     * falls back to now rather than rejecting the event. */
    if (!received || gw_sdk_time_parse(received, &received_ms) != 0)
        received_ms = (int64_t)clock_wall_ms();

    old_seq = json_incref(json_object_get(event, "seq"));
    if (json_object_set_new(event, "seq", json_integer(seq)) != 0) {
        json_decref(old_seq);
        return GW_ENOMEM;
    }
    rc = store_serialize(s, event, parts, n, &len);
    if (rc) {
        store_set_error(s, "append %s: cannot serialize the event", json_string_value(id));
        goto fail;
    }
    if ((rc = store_begin(s)) != 0)
        goto fail;

    sqlite3_bind_int64(s->event_insert, 1, seq);
    sqlite3_bind_text(s->event_insert, 2, json_string_value(id), (int)json_string_length(id),
                      SQLITE_STATIC);
    sqlite3_bind_int64(s->event_insert, 3, received_ms);
    sqlite3_bind_text64(s->event_insert, 4, s->dump.data, len, SQLITE_STATIC, SQLITE_UTF8);
    rc = store_exec_stmt(s, s->event_insert, "append");
    sqlite3_clear_bindings(s->event_insert); /* drop the borrowed pointers */
    if (rc)
        goto fail;
    if (sqlite3_changes(s->db) == 0) {
        event_restore_seq(event, old_seq);
        return 0;
    }
    json_decref(old_seq);
    s->last_seq = seq;
    if (seq_out)
        *seq_out = seq;
    return 1;

fail:
    event_restore_seq(event, old_seq);
    return rc;
}

struct sqlite3 *store_db(store *s)
{
    return s->db;
}

int store_write_begin(store *s)
{
    s->tick_state = 1; /* outbox rows: the outbox keeps them in memory too */
    return store_begin(s);
}

int store_write_begin_rebuildable(store *s)
{
    return store_begin(s);
}

int store_write_failed(store *s, int sqlite_rc, const char *what)
{
    return store_write_fail(s, sqlite_rc, what);
}

const char *store_last_error(const store *s)
{
    return s->health.error;
}

void store_status_get(const store *s, store_status *out)
{
    *out = (store_status){
        .errors_total = s->health.errors_total,
        .failed_commits = s->health.failed_commits,
        .failing_since_ms = s->health.failing_since_ms,
        .unrecoverable = s->health.unrecoverable,
    };
}

/* meta's "probe" row, in the tick's transaction: the commit that follows
 * tells whether the disk takes writes again. */
int store_probe(store *s)
{
    int rc = store_begin(s);

    if (rc != 0)
        return rc;
    sqlite3_bind_text(s->meta_set, 1, "probe", -1, SQLITE_STATIC);
    sqlite3_bind_int64(s->meta_set, 2, (int64_t)clock_wall_ms());
    return store_exec_stmt(s, s->meta_set, "probe");
}
