/* store_open.c - opening and closing the store (see store.h): the
 * connection and its settings (WAL, the page size of a new file, the
 * busy handler), the schema created or refused by version, the prepared
 * statements, and the seq counters recovered from what is on disk. The
 * log and its ticks are store.c's, which this file calls and which never
 * calls back.
 */
#include "store/store.h"

#include "base/json_write.h"
#include "store/store_health.h"
#include "store/store_internal.h"
#include "store/store_sync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "gateway/error.h"

/* Schema version stored in PRAGMA user_version. Bump it and add a step to
 * schema_migrate() when the layout changes. */
#define STORE_SCHEMA_VERSION 1

/* How long a statement waits for another connection's lock (the sqlite3
 * shell, a backup, the checkpoint thread's RESTART) before giving up with
 * GW_EBUSY. */
#define STORE_BUSY_TIMEOUT_MS 5000

/* The busy handler: 0.1 ms waits for the first 10 ms, then 1 ms ones up
 * to STORE_BUSY_TIMEOUT_MS. A RESTART checkpoint holds the write lock for
 * a few ms; SQLite's own handler sleeps 1, 2, 5, 10 ms... and would hold
 * the loop up to twice as long as the lock. */
static int store_busy(void *arg, int count)
{
    (void)arg;
    long step_us = count < 100 ? 100 : 1000;
    if (count >= 100 + (STORE_BUSY_TIMEOUT_MS - 10))
        return 0;
    nanosleep(&(struct timespec){.tv_nsec = step_us * 1000}, NULL);
    return 1;
}

/* The layout of schema version 1. events.seq is the rowid; the index on
 * received_at_ms keeps prune from scanning the whole retained log. */
static const char schema_v1[] = "CREATE TABLE events ("
                                " seq INTEGER PRIMARY KEY,"
                                " id TEXT UNIQUE NOT NULL,"
                                " received_at_ms INTEGER NOT NULL,"
                                " body TEXT NOT NULL);"
                                "CREATE INDEX events_received_at ON events(received_at_ms);"
                                "CREATE TABLE sink_cursors ("
                                " sink TEXT PRIMARY KEY,"
                                " seq INTEGER NOT NULL) WITHOUT ROWID;"
                                "CREATE TABLE kv ("
                                " scope TEXT NOT NULL,"
                                " key TEXT NOT NULL,"
                                " value TEXT NOT NULL,"
                                " PRIMARY KEY (scope, key)) WITHOUT ROWID;"
                                "CREATE TABLE meta ("
                                " key TEXT PRIMARY KEY,"
                                " value INTEGER NOT NULL) WITHOUT ROWID;"
                                "PRAGMA user_version = 1;";

int store_query_int(store *s, const char *sql, int64_t *value)
{
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &stmt, NULL);

    if (rc != SQLITE_OK)
        return store_fail(s, rc, "prepare");
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW && sqlite3_column_type(stmt, 0) != SQLITE_NULL)
        *value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_fail(s, rc, sql);
    return 0;
}

/* Bring the schema to STORE_SCHEMA_VERSION. A database written by a newer
 * gateway is refused rather than misread. */
static int schema_migrate(store *s)
{
    int64_t version = 0;
    char *msg = NULL;
    int rc = store_query_int(s, "PRAGMA user_version", &version);

    if (rc)
        return rc;
    if (version > STORE_SCHEMA_VERSION) {
        store_set_error(s,
                        "schema version %lld is newer than this gateway knows (%d); "
                        "run the newer gateway or restore a backup",
                        (long long)version, STORE_SCHEMA_VERSION);
        return GW_EUNSUPPORTED;
    }
    if (version == STORE_SCHEMA_VERSION)
        return 0;
    /* version 0: a new file. One transaction, so a crash mid-way leaves
     * an empty database that the next start creates again. */
    rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(s->db, schema_v1, NULL, NULL, &msg);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        store_set_error(s, "creating the schema: %s", msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return store_health_gw_code(rc);
    }
    return 0;
}

/* Apply the connection settings. journal_mode answers with the mode it
 * actually got: anything but "wal" (a filesystem without shared memory)
 * would silently lose the concurrency and durability we rely on. */
static int store_configure(store *s, const store_options *opts)
{
    sqlite3_stmt *stmt = NULL;
    int rc = SQLITE_OK;
    int wal = 0;

    /* Only a file without pages takes a page size, and in WAL mode only
     * before the first write: so before journal_mode, which writes. */
    if (opts->page_size != 0) {
        char sql[48];
        snprintf(sql, sizeof sql, "PRAGMA page_size = %u", opts->page_size);
        if ((rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL)) != SQLITE_OK)
            return store_fail(s, rc, "setting the page size");
    }
    rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &stmt, NULL);

    if (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const char *mode = (const char *)sqlite3_column_text(stmt, 0);
        wal = mode && strcmp(mode, "wal") == 0;
        rc = SQLITE_OK;
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_OK)
        return store_fail(s, rc, "enabling WAL");
    if (!wal) {
        store_set_error(s, "cannot use WAL journal mode here; put the database on a local "
                           "filesystem");
        return GW_EUNSUPPORTED;
    }
    /* journal_size_limit: truncate the WAL back to 64 MiB after a burst.
     * cache_size: 16 MiB of pages instead of SQLite's 2 MiB, filled only
     * as pages are used. The random inserts into the event ids' index,
     * the conversations updated in older pages and the contacts' links
     * outgrow 2 MiB within a flood: with conversations, 50,000 events
     * read 31,249 pages back (16,490 with 16 MiB) and 200,000 took ~6.3 s
     * of CPU (~5.2 s); at most 14 MiB more resident under load, none at
     * idle. */
    rc = sqlite3_exec(s->db,
                      opts->synchronous_full && !opts->defer_sync
                          ? "PRAGMA synchronous = FULL; PRAGMA journal_size_limit = 67108864; PRAGMA cache_size = -16384"
                          : "PRAGMA synchronous = NORMAL; PRAGMA journal_size_limit = 67108864; PRAGMA cache_size = -16384",
                      NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return store_fail(s, rc, "configuring");
    return 0;
}

static int store_prepare_all(store *s, int bare)
{
    const struct {
        sqlite3_stmt **slot;
        const char *sql;
    } stmts[] = {
        {&s->begin, "BEGIN IMMEDIATE"},
        {&s->commit, "COMMIT"},
        {&s->rollback, "ROLLBACK"},
        /* ON CONFLICT(id) only: a clash on seq means our counter is wrong
         * (another writer) and must fail loudly, not look like a dup. */
        {&s->event_insert,
         "INSERT INTO events (seq, id, received_at_ms, body) VALUES (?1, ?2, ?3, ?4) "
         "ON CONFLICT (id) DO NOTHING"},
        {&s->event_read,
         "SELECT seq, body FROM events WHERE seq > ?1 AND seq <= ?2 ORDER BY seq LIMIT ?3"},
        {&s->event_get, "SELECT body FROM events WHERE id = ?1"},
        {&s->cursor_get, "SELECT seq FROM sink_cursors WHERE sink = ?1"},
        {&s->cursor_set, "INSERT INTO sink_cursors (sink, seq) VALUES (?1, ?2) "
                         "ON CONFLICT (sink) DO UPDATE SET seq = excluded.seq"},
        {&s->kv_get, "SELECT value FROM kv WHERE scope = ?1 AND key = ?2"},
        {&s->kv_set, "INSERT INTO kv (scope, key, value) VALUES (?1, ?2, ?3) "
                     "ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value"},
        /* INDEXED BY: with ORDER BY seq SQLite walked the rowids up to
         * ?2, every event every sink had passed, to find the few old
         * enough: the whole retained log, on the loop, every minute. The
         * oldest event's seq, in the LIMIT so that it is tested before
         * the walk starts (a WHERE term was tested at every step), spares
         * the walk when a sink stuck for longer than the retention holds
         * every old event back: they all have seqs past ?2. */
        {&s->prune, "DELETE FROM events WHERE seq IN (SELECT seq FROM events"
                    " INDEXED BY events_received_at WHERE received_at_ms < ?1 AND seq <= ?2"
                    " ORDER BY received_at_ms"
                    " LIMIT CASE WHEN (SELECT min(seq) FROM events) <= ?2 THEN ?3 ELSE 0 END)"},
        {&s->meta_set, "INSERT INTO meta (key, value) VALUES (?1, ?2) "
                       "ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)"},
    };

    /* a bare store has the transaction's three only */
    size_t n = bare ? 3 : sizeof stmts / sizeof stmts[0];
    for (size_t i = 0; i < n; i++) {
        int rc = sqlite3_prepare_v3(s->db, stmts[i].sql, -1, SQLITE_PREPARE_PERSISTENT,
                                    stmts[i].slot, NULL);
        if (rc != SQLITE_OK)
            return store_fail(s, rc, "preparing statements");
    }
    return 0;
}

/* Everything on disk at open was committed, so both counters start at the
 * high-water mark: the larger of the newest row and the recorded mark. */
static int store_recover_seq(store *s)
{
    int64_t max_row = 0, mark = 0;
    int rc = store_query_int(s, "SELECT MAX(seq) FROM events", &max_row);

    if (rc == 0)
        rc = store_query_int(s, "SELECT value FROM meta WHERE key = 'high_seq'", &mark);
    if (rc)
        return rc;
    s->last_seq = s->written_seq = s->committed_seq = max_row > mark ? max_row : mark;
    return 0;
}

static void store_finalize_all(store *s)
{
    sqlite3_stmt **all[] = {&s->begin,      &s->commit,    &s->rollback,   &s->event_insert,
                            &s->event_read, &s->event_get, &s->cursor_get, &s->cursor_set,
                            &s->kv_get,     &s->kv_set,    &s->prune,      &s->meta_set};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        sqlite3_finalize(*all[i]);
        *all[i] = NULL;
    }
}

/* Frees everything without committing: for open failures. */
static void store_free(store *s)
{
    store_finalize_all(s);
    sqlite3_close(s->db);
    store_sync_close(s->sync);
    jw_buf_free(&s->dump);
    free(s->path);
    free(s);
}

int store_library_init(void)
{
    if (sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK)
        return GW_EIO; /* initialised already: the defaults stand */
    return sqlite3_initialize() == SQLITE_OK ? GW_OK : GW_EIO;
}

int store_open(const char *path, const store_options *opts, store **out, char *err, size_t errlen)
{
    static const store_options defaults = {.synchronous_full = 1, .retention_ms = 0};
    store *s = NULL;
    int rc;

    *out = NULL;
    if (!opts)
        opts = &defaults;
    if (!path || !*path || opts->retention_ms < 0) {
        snprintf(err, errlen, "store: invalid arguments (path %s)", path ? path : "(null)");
        return GW_EINVAL;
    }
    s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        free(s);
        snprintf(err, errlen, "store %s: out of memory", path);
        return GW_ENOMEM;
    }
    s->retention_ms = opts->retention_ms;

    rc = sqlite3_open_v2(path, &s->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
                             SQLITE_OPEN_EXRESCODE,
                         NULL);
    if (rc != SQLITE_OK) {
        if (s->db)
            store_set_error(s, "%s (check that the directory exists and is writable)",
                            sqlite3_errmsg(s->db));
        else
            store_set_error(s, "out of memory");
        rc = store_health_gw_code(rc);
        goto fail;
    }
    sqlite3_busy_handler(s->db, store_busy, NULL);
    /* configure first: journal_mode is the first statement to read the
     * file, so "file is not a database" surfaces here, named. */
    if ((rc = store_configure(s, opts)) || (!opts->bare && (rc = schema_migrate(s))) ||
        (rc = store_prepare_all(s, opts->bare)) || (!opts->bare && (rc = store_recover_seq(s))))
        goto fail;
    /* after the first read: SQLite has created the WAL by then */
    if (opts->defer_sync && opts->synchronous_full &&
        (rc = store_sync_open(path, &s->sync, s->health.error, sizeof s->health.error)) != 0)
        goto fail;
    *out = s;
    return 0;

fail:
    snprintf(err, errlen, "%s", s->health.error);
    store_free(s);
    return rc;
}

void store_close(store *s)
{
    if (!s)
        return;
    /* a commit that fails here rolls back: nobody can retry it */
    store_commit(s);
    store_free(s);
}
