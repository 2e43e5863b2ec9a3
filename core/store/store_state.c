/* store_state.c - the sink cursors, the plugins' key/value state,
 * retention pruning, on the store's connection and in the tick's
 * transaction (see store.h for the contract, store.c for the commit). */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "gateway/error.h"
#include "store/store.h"
#include "store/store_internal.h"

int store_cursor_get(store *s, const char *sink, int64_t *seq)
{
    sqlite3_stmt *stmt = s->cursor_get;
    int rc;

    *seq = 0;
    sqlite3_bind_text(stmt, 1, sink, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        *seq = sqlite3_column_int64(stmt, 0);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_fail(s, rc, "get cursor");
    return 0;
}

int store_cursor_set(store *s, const char *sink, int64_t seq)
{
    sqlite3_stmt *stmt = s->cursor_set;
    int rc;

    if (!sink || seq < 0) {
        store_set_error(s, "cursor: invalid sink or seq");
        return GW_EINVAL;
    }
    if ((rc = store_begin(s)) != 0)
        return rc;
    sqlite3_bind_text(stmt, 1, sink, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, seq);
    rc = store_exec_stmt(s, stmt, "set cursor");
    sqlite3_clear_bindings(stmt);
    return rc;
}

int store_kv_get(store *s, const char *scope, const char *key, char *buf, size_t buflen)
{
    sqlite3_stmt *stmt = s->kv_get;
    int rc;

    sqlite3_bind_text(stmt, 1, scope, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, key, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        const char *value = (const char *)sqlite3_column_text(stmt, 0);
        int len = sqlite3_column_bytes(stmt, 0);
        if (!value) {
            rc = GW_ENOMEM;
        } else if ((size_t)len >= buflen) {
            rc = GW_ERANGE;
        } else {
            memcpy(buf, value, (size_t)len);
            buf[len] = '\0';
            rc = len;
        }
    } else if (rc == SQLITE_DONE) {
        rc = GW_ENOENT;
    } else {
        rc = store_fail(s, rc, "get key");
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return rc;
}

int store_kv_set(store *s, const char *scope, const char *key, const char *value)
{
    sqlite3_stmt *stmt = s->kv_set;
    int rc;

    if (!scope || !key || !value) {
        store_set_error(s, "kv: scope, key and value are required");
        return GW_EINVAL;
    }
    if ((rc = store_begin(s)) != 0)
        return rc;
    s->tick_state = 1; /* a plugin's cursor: its in-memory copy moves on */
    sqlite3_bind_text(stmt, 1, scope, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, value, -1, SQLITE_STATIC);
    rc = store_exec_stmt(s, stmt, "set key");
    sqlite3_clear_bindings(stmt);
    return rc;
}

/* Deletes in the tick's transaction; durable at the next store_commit.
 * The bound never reaches last_seq (the newest event stays, keeping seq
 * monotonic across restarts) nor uncommitted events. The high-water mark
 * is recorded as well, in case a future change prunes the newest. */
int64_t store_prune(store *s, int64_t now_ms, int64_t min_cursor, int64_t max_rows)
{
    int64_t bound = min_cursor, deleted;
    int rc;

    if (s->retention_ms == 0)
        return 0;
    if (bound > s->committed_seq)
        bound = s->committed_seq;
    if (bound > s->last_seq - 1)
        bound = s->last_seq - 1;
    if (bound <= 0)
        return 0;
    if ((rc = store_begin(s)) != 0)
        return rc;

    sqlite3_bind_text(s->meta_set, 1, "high_seq", -1, SQLITE_STATIC);
    sqlite3_bind_int64(s->meta_set, 2, s->last_seq);
    rc = store_exec_stmt(s, s->meta_set, "prune");
    if (rc)
        return rc;

    sqlite3_bind_int64(s->prune, 1, now_ms - s->retention_ms);
    sqlite3_bind_int64(s->prune, 2, bound);
    sqlite3_bind_int64(s->prune, 3, max_rows > 0 ? max_rows : INT64_MAX);
    rc = store_exec_stmt(s, s->prune, "prune");
    if (rc)
        return rc;
    deleted = sqlite3_changes64(s->db);
    return deleted;
}

/* ---- seqs skipped, and the file ------------------------------------- */

int store_skip_seqs(store *s, int64_t seq)
{
    if (seq <= s->last_seq)
        return 0;
    int rc = store_begin(s);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(s->meta_set, 1, "high_seq", -1, SQLITE_STATIC);
    sqlite3_bind_int64(s->meta_set, 2, seq);
    if ((rc = store_exec_stmt(s, s->meta_set, "skip seqs")) != 0)
        return rc;
    s->last_seq = seq; /* the commit moves the written and committed seqs */
    return store_commit(s);
}

const char *store_path(const store *s)
{
    return s->path;
}
