/* deadletter_store.c - the dead-letter table; see deadletter_store.h. */
#include "store/deadletter_store.h"

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "gateway/error.h"

static const char deadletter_schema[] =
    "CREATE TABLE IF NOT EXISTS deadletters ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " sink TEXT NOT NULL,"
    " seq INTEGER NOT NULL,"
    " event TEXT NOT NULL,"
    " status INTEGER NOT NULL,"
    " reason TEXT NOT NULL,"
    " parked_ms INTEGER NOT NULL,"
    " replay INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS deadletters_replay ON deadletters(sink, id) WHERE replay = 1;"
    /* one sink's list: without it a page walked every other sink's rows
     * (dead letters are never pruned; 59 ms with 200,000) */
    "CREATE INDEX IF NOT EXISTS deadletters_sink ON deadletters(sink, id);";

#define COLUMNS "id, sink, seq, event, status, reason, parked_ms, replay"

/* The table exists (a gateway without sinks never made it): reads of a
 * missing table find nothing rather than fail. */
static int table_exists(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int found = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = "
                               "'deadletters'",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        found = 1;
    sqlite3_finalize(st);
    return found;
}

int deadletter_init(store *s)
{
    int rc = store_write_begin(s);
    if (rc != GW_OK)
        return rc;
    int src = sqlite3_exec(store_db(s), deadletter_schema, NULL, NULL, NULL);
    return src == SQLITE_OK ? GW_OK : store_write_failed(s, src, "deadletters: create the table");
}

static int prepare(store *s, const char *sql, sqlite3_stmt **st, const char *what)
{
    int src = sqlite3_prepare_v2(store_db(s), sql, -1, st, NULL);
    if (src != SQLITE_OK) {
        sqlite3_finalize(*st);
        *st = NULL;
        return store_write_failed(s, src, what);
    }
    return GW_OK;
}

/* Run a write statement and finalize it; returns the rows changed or GW_E*. */
static int run_write(store *s, sqlite3_stmt *st, const char *what)
{
    int src = sqlite3_step(st);
    sqlite3_finalize(st);
    if (src != SQLITE_DONE)
        return store_write_failed(s, src, what);
    return sqlite3_changes(store_db(s));
}

int deadletter_park(store *s, const char *sink, int64_t seq, const char *event, size_t event_len,
                    int status, const char *reason, int64_t now_ms)
{
    sqlite3_stmt *st = NULL;
    int rc = store_write_begin(s);
    if (rc == GW_OK)
        rc = prepare(s,
                     "INSERT INTO deadletters (sink, seq, event, status, reason, parked_ms)"
                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                     &st, "deadletters: park");
    if (rc != GW_OK)
        return rc;
    sqlite3_bind_text(st, 1, sink, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, seq);
    sqlite3_bind_text(st, 3, event, (int)event_len, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 4, status);
    sqlite3_bind_text(st, 5, reason ? reason : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 6, now_ms);
    rc = run_write(s, st, "deadletters: park");
    return rc < 0 ? rc : GW_OK;
}

/* Step st, passing each row to fn; returns the rows seen or GW_E*. */
static int each_row(store *s, sqlite3_stmt *st, deadletter_fn fn, void *arg, const char *what)
{
    int n = 0, src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        deadletter_row row = {
            .id = sqlite3_column_int64(st, 0),
            .sink = (const char *)sqlite3_column_text(st, 1),
            .seq = sqlite3_column_int64(st, 2),
            .event = (const char *)sqlite3_column_text(st, 3),
            .status = sqlite3_column_int(st, 4),
            .reason = (const char *)sqlite3_column_text(st, 5),
            .parked_ms = sqlite3_column_int64(st, 6),
            .replay = sqlite3_column_int(st, 7),
        };
        fn(arg, &row);
        n++;
    }
    sqlite3_finalize(st);
    if (src != SQLITE_DONE)
        return store_write_failed(s, src, what);
    return n;
}

int deadletter_list(store *s, const char *sink, int64_t after_id, size_t limit, deadletter_fn fn,
                    void *arg)
{
    if (!table_exists(store_db(s)))
        return 0;
    sqlite3_stmt *st = NULL;
    /* two statements: "?2 IS NULL OR sink = ?2" would keep SQLite from
     * the index on (sink, id) */
    int rc = prepare(s,
                     sink != NULL ? "SELECT " COLUMNS " FROM deadletters WHERE sink = ?2"
                                    " AND id > ?1 ORDER BY id LIMIT ?3"
                                  : "SELECT " COLUMNS " FROM deadletters WHERE id > ?1"
                                    " ORDER BY id LIMIT ?3",
                     &st, "deadletters: list");
    if (rc != GW_OK)
        return rc;
    sqlite3_bind_int64(st, 1, after_id);
    if (sink != NULL)
        sqlite3_bind_text(st, 2, sink, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
    return each_row(s, st, fn, arg, "deadletters: list");
}

int deadletter_get(store *s, int64_t id, deadletter_fn fn, void *arg)
{
    if (!table_exists(store_db(s)))
        return 0;
    sqlite3_stmt *st = NULL;
    int rc = prepare(s, "SELECT " COLUMNS " FROM deadletters WHERE id = ?1", &st,
                     "deadletters: read");
    if (rc != GW_OK)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    return each_row(s, st, fn, arg, "deadletters: read");
}

int deadletter_next_replay(store *s, const char *sink, deadletter_fn fn, void *arg)
{
    if (!table_exists(store_db(s)))
        return 0;
    sqlite3_stmt *st = NULL;
    int rc = prepare(s,
                     /* INDEXED BY: the index on (sink, id) looks as good to
                      * SQLite, and walks the sink's rows to find one asked */
                     "SELECT " COLUMNS " FROM deadletters INDEXED BY deadletters_replay"
                     " WHERE sink = ?1 AND replay = 1 ORDER BY id LIMIT 1",
                     &st, "deadletters: next replay");
    if (rc != GW_OK)
        return rc;
    sqlite3_bind_text(st, 1, sink, -1, SQLITE_TRANSIENT);
    return each_row(s, st, fn, arg, "deadletters: next replay");
}

/* One UPDATE/DELETE on a row by id: 1 when it changed a row, 0, or GW_E*. */
static int write_by_id(store *s, const char *sql, int64_t id, const char *what)
{
    if (!table_exists(store_db(s)))
        return 0;
    sqlite3_stmt *st = NULL;
    int rc = store_write_begin(s);
    if (rc == GW_OK)
        rc = prepare(s, sql, &st, what);
    if (rc != GW_OK)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    rc = run_write(s, st, what);
    return rc < 0 ? rc : rc > 0;
}

int deadletter_request_replay(store *s, int64_t id)
{
    return write_by_id(s, "UPDATE deadletters SET replay = 1 WHERE id = ?1", id,
                       "deadletters: ask for a replay");
}

int deadletter_drop(store *s, int64_t id)
{
    return write_by_id(s, "DELETE FROM deadletters WHERE id = ?1", id, "deadletters: drop");
}

int deadletter_replay_refused(store *s, int64_t id, int status, const char *reason,
                              int64_t now_ms)
{
    sqlite3_stmt *st = NULL;
    int rc = store_write_begin(s);
    if (rc == GW_OK)
        rc = prepare(s,
                     "UPDATE deadletters SET replay = 0, status = ?2, reason = ?3,"
                     " parked_ms = ?4 WHERE id = ?1",
                     &st, "deadletters: refused again");
    if (rc != GW_OK)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, status);
    sqlite3_bind_text(st, 3, reason ? reason : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, now_ms);
    rc = run_write(s, st, "deadletters: refused again");
    return rc < 0 ? rc : GW_OK;
}

int64_t deadletter_count(store *s, const char *sink)
{
    if (!table_exists(store_db(s)))
        return 0;
    sqlite3_stmt *st = NULL;
    int rc = prepare(s, "SELECT count(*) FROM deadletters WHERE ?1 IS NULL OR sink = ?1", &st,
                     "deadletters: count");
    if (rc != GW_OK)
        return rc;
    if (sink != NULL)
        sqlite3_bind_text(st, 1, sink, -1, SQLITE_TRANSIENT);
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return n;
}
