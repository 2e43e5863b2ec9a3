/* store.c - the durable event log, sink cursors and plugin key/value state
 * in one SQLite database (see store.h for the contract).
 *
 * Owns: the sqlite3 connection, its prepared statements, the tick's open
 * transaction, the seq counters and a reusable serialization buffer.
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

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "gateway/error.h"
#include "gateway/plugin.h" /* GW_PRINTF */

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

/* Fetch a single integer (column 0 of the first row) of a one-off query;
 * *value is left untouched when the query yields no row or NULL. */
static int store_query_int(store *s, const char *sql, int64_t *value)
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
