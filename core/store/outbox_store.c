/* outbox_store.c - the outbox's table and statements on the store's
 * connection; see outbox_store.h. What an action's states mean, and when
 * each is written, is the outbox's (engine/outbox.c).
 */
#include "store/outbox_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "gateway/error.h"
#include "gateway/sdk.h"

/* Bump with a migration step in schema_check when the layout
 * changes; recorded in the store's meta table. 2 added outbox_keys and
 * outbox_finished (created by the same IF NOT EXISTS script, so a
 * version 1 database migrates by running it). */
#define OUTBOX_SCHEMA_VERSION 2

static const char outbox_schema[] =
    "CREATE TABLE IF NOT EXISTS outbox ("
    " id TEXT PRIMARY KEY,"
    " idempotency_key TEXT NOT NULL UNIQUE,"
    " network TEXT NOT NULL,"
    " account TEXT NOT NULL,"
    " kind TEXT NOT NULL," /* reply | private */
    " in_reply_to TEXT,"   /* the event id answered, as given */
    " reply_native TEXT,"  /* that event's native id */
    " thread TEXT,"        /* collision key (replies), DM thread */
    " recipient TEXT,"     /* private: who receives it */
    " to_given TEXT,"      /* the request's "to", for idempotency */
    " text TEXT NOT NULL,"
    " force INTEGER NOT NULL,"
    " state TEXT NOT NULL,"
    " attempts INTEGER NOT NULL,"
    " next_at_ms INTEGER NOT NULL," /* retrying: earliest next attempt */
    " created_ms INTEGER NOT NULL,"
    " updated_ms INTEGER NOT NULL,"
    " result_native_id TEXT,"
    " result_url TEXT,"
    " reason TEXT);"
    "CREATE INDEX IF NOT EXISTS outbox_thread ON outbox(network, account, thread)"
    " WHERE kind = 'reply';"
    "CREATE INDEX IF NOT EXISTS outbox_result ON outbox(network, account, result_native_id)"
    " WHERE result_native_id IS NOT NULL;"
    "CREATE INDEX IF NOT EXISTS outbox_open ON outbox(state)"
    " WHERE state IN ('queued', 'sending', 'retrying');"
    /* Finished rows by age, for pruning (outbox_store_prune). */
    "CREATE INDEX IF NOT EXISTS outbox_finished ON outbox(updated_ms)"
    " WHERE state IN ('succeeded', 'failed');"
    /* The idempotency keys of pruned actions: enough to answer a repeat
     * (and to tell it from a key reused for another request, by the
     * fingerprint), none of the answer's text. */
    "CREATE TABLE IF NOT EXISTS outbox_keys ("
    " idempotency_key TEXT PRIMARY KEY,"
    " action_id TEXT NOT NULL,"
    " network TEXT NOT NULL,"
    " account TEXT NOT NULL,"
    " kind TEXT NOT NULL,"
    " state TEXT NOT NULL," /* succeeded | failed */
    " fingerprint TEXT NOT NULL,"
    " result_native_id TEXT,"
    " result_url TEXT,"
    " created_ms INTEGER NOT NULL,"
    " finished_ms INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS outbox_keys_finished ON outbox_keys(finished_ms);";

/* Columns of every row read, in this order (the COL_ indices). */
#define OUTBOX_COLUMNS                                                                             \
    "id, idempotency_key, network, account, kind, in_reply_to, reply_native, thread,"              \
    " recipient, to_given, text, force, state, attempts, next_at_ms, created_ms,"                  \
    " updated_ms, result_native_id, result_url, reason"
enum {
    COL_ID,
    COL_KEY,
    COL_NETWORK,
    COL_ACCOUNT,
    COL_KIND,
    COL_IN_REPLY_TO,
    COL_REPLY_NATIVE,
    COL_THREAD,
    COL_RECIPIENT,
    COL_TO_GIVEN,
    COL_TEXT,
    COL_FORCE,
    COL_STATE,
    COL_ATTEMPTS,
    COL_NEXT_AT,
    COL_CREATED,
    COL_UPDATED,
    COL_RESULT_NATIVE,
    COL_RESULT_URL,
    COL_REASON
};

struct outbox_store {
    store *st;   /* borrowed */
    sqlite3 *db; /* borrowed from st */
    sqlite3_stmt *insert, *by_key, *by_id, *collision, *update, *echo, *open_rows;
    sqlite3_stmt *savepoint, *release, *rollback_to;
    sqlite3_stmt *keep_keys, *prune_rows, *prune_keys, *pruned_key;
};

static const char *column_text(sqlite3_stmt *st, int col)
{
    return (const char *)sqlite3_column_text(st, col);
}

/* Bind a string or NULL; the text stays the caller's until the step. */
static void bind_text(sqlite3_stmt *st, int index, const char *s)
{
    if (s != NULL)
        sqlite3_bind_text(st, index, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, index);
}

/* Run a statement that returns no rows and reset it; a failure is
 * reported to the store (which notices a rolled-back tick). */
static int exec_stmt(outbox_store *os, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE)
        return store_write_failed(os->st, rc, what);
    return GW_OK;
}

/* The current row of st (selected with OUTBOX_COLUMNS), its strings
 * borrowed from st until the next step or reset. */
static outbox_row row_of(sqlite3_stmt *st)
{
    return (outbox_row){
        .id = column_text(st, COL_ID),
        .key = column_text(st, COL_KEY),
        .network = column_text(st, COL_NETWORK),
        .account = column_text(st, COL_ACCOUNT),
        .kind = column_text(st, COL_KIND),
        .in_reply_to = column_text(st, COL_IN_REPLY_TO),
        .reply_native = column_text(st, COL_REPLY_NATIVE),
        .thread = column_text(st, COL_THREAD),
        .recipient = column_text(st, COL_RECIPIENT),
        .to_given = column_text(st, COL_TO_GIVEN),
        .text = column_text(st, COL_TEXT),
        .force = sqlite3_column_int(st, COL_FORCE) != 0,
        .state = column_text(st, COL_STATE),
        .attempts = sqlite3_column_int64(st, COL_ATTEMPTS),
        .next_at_ms = sqlite3_column_int64(st, COL_NEXT_AT),
        .created_ms = sqlite3_column_int64(st, COL_CREATED),
        .updated_ms = sqlite3_column_int64(st, COL_UPDATED),
        .result_native_id = column_text(st, COL_RESULT_NATIVE),
        .result_url = column_text(st, COL_RESULT_URL),
        .reason = column_text(st, COL_REASON),
    };
}

/* ---- reading -------------------------------------------------------------- */

/* One row by a unique key (bound as ?1) into fn: 1, 0 or GW_E*. */
static int get_one(outbox_store *os, sqlite3_stmt *st, const char *value, outbox_row_fn fn,
                   void *arg, const char *what)
{
    bind_text(st, 1, value);
    int rc = sqlite3_step(st), found = 0;
    if (rc == SQLITE_ROW) {
        outbox_row row = row_of(st);
        fn(arg, &row);
        found = 1;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_write_failed(os->st, rc, what);
    return found;
}

int outbox_store_get(outbox_store *os, const char *id, outbox_row_fn fn, void *arg)
{
    return get_one(os, os->by_id, id, fn, arg, "outbox: read an action");
}

int outbox_store_get_by_key(outbox_store *os, const char *key, outbox_row_fn fn, void *arg)
{
    return get_one(os, os->by_key, key, fn, arg, "outbox: look up an idempotency key");
}

int outbox_store_each_open(outbox_store *os, outbox_row_fn fn, void *arg, char *err, size_t errlen)
{
    sqlite3_stmt *st = os->open_rows;
    int rc, stop = GW_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        outbox_row row = row_of(st);
        if ((stop = fn(arg, &row)) < 0)
            break;
    }
    sqlite3_reset(st);
    if (stop < 0 || rc != SQLITE_DONE) {
        snprintf(err, errlen, "outbox: loading open actions: %s", sqlite3_errmsg(os->db));
        return stop < 0 ? stop : GW_EIO;
    }
    return GW_OK;
}

int outbox_store_collision(outbox_store *os, const char *network, const char *account,
                           const char *thread, char *other, size_t len)
{
    sqlite3_stmt *st = os->collision;
    bind_text(st, 1, network);
    bind_text(st, 2, account);
    bind_text(st, 3, thread);
    int rc = sqlite3_step(st), found = 0;
    if (rc == SQLITE_ROW) {
        const char *id = column_text(st, 0);
        snprintf(other, len, "%s", id ? id : "");
        found = 1;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_write_failed(os->st, rc, "outbox: look for a collision");
    return found;
}

int outbox_store_echo(outbox_store *os, const char *network, const char *account,
                      const char *native, char *action_id, size_t len)
{
    sqlite3_stmt *st = os->echo;
    bind_text(st, 1, network);
    bind_text(st, 2, account);
    bind_text(st, 3, native);
    int rc = sqlite3_step(st), found = 0;
    if (rc == SQLITE_ROW) {
        found = 1;
        snprintf(action_id, len, "%s", column_text(st, 0) ? column_text(st, 0) : "?");
    } else if (rc != SQLITE_DONE) {
        found = store_write_failed(os->st, rc, "outbox: echo lookup");
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return found;
}

uint64_t outbox_store_count_results(outbox_store *os)
{
    sqlite3_int64 candidates = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(os->db, "SELECT count(*) FROM outbox WHERE result_native_id IS NOT NULL",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        candidates = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return (uint64_t)candidates;
}

/* ---- writing ---------------------------------------------------------------- */

int outbox_store_insert(outbox_store *os, const outbox_new_row *row)
{
    int rc = store_write_begin(os->st);
    if (rc != GW_OK)
        return rc;
    sqlite3_stmt *st = os->insert;
    bind_text(st, 1, row->id);
    bind_text(st, 2, row->key);
    bind_text(st, 3, row->network);
    bind_text(st, 4, row->account);
    bind_text(st, 5, row->kind);
    bind_text(st, 6, row->in_reply_to);
    bind_text(st, 7, row->reply_native);
    bind_text(st, 8, row->thread);
    bind_text(st, 9, row->recipient);
    bind_text(st, 10, row->to_given);
    bind_text(st, 11, row->text);
    sqlite3_bind_int(st, 12, row->force != 0);
    sqlite3_bind_int64(st, 13, (sqlite3_int64)row->now_ms);
    return exec_stmt(os, st, "outbox: queue an action");
}

int outbox_store_update(outbox_store *os, const char *id, const char *state, int64_t attempts,
                        uint64_t next_at_ms, uint64_t now_ms, const char *result_native,
                        const char *url, const char *reason)
{
    int rc = store_write_begin(os->st);
    if (rc != GW_OK)
        return rc;
    sqlite3_stmt *st = os->update;
    bind_text(st, 1, id);
    bind_text(st, 2, state);
    sqlite3_bind_int64(st, 3, attempts);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)next_at_ms);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)now_ms);
    bind_text(st, 6, result_native);
    bind_text(st, 7, url);
    bind_text(st, 8, reason);
    rc = exec_stmt(os, st, "outbox: update an action");
    if (rc == GW_OK && sqlite3_changes(os->db) != 1)
        return GW_ESTATE;
    return rc;
}

int outbox_store_final_begin(outbox_store *os)
{
    int rc = store_write_begin(os->st);
    if (rc != GW_OK)
        return rc;
    return exec_stmt(os, os->savepoint, "outbox: savepoint");
}

void outbox_store_final_end(outbox_store *os, int ok)
{
    if (!ok) {
        /* Harmless when SQLite already rolled the whole tick back. */
        sqlite3_step(os->rollback_to);
        sqlite3_reset(os->rollback_to);
    }
    sqlite3_step(os->release);
    sqlite3_reset(os->release);
}

/* ---- pruning and the kept keys ------------------------------------------- */

void outbox_store_fingerprint(const char *network, const char *account, const char *kind,
                              const char *in_reply_to, const char *to_given, const char *text,
                              char out[OUTBOX_FINGERPRINT_SIZE])
{
    /* Each field with a presence byte and its length, so no two different
     * requests hash the same input ("ab"+"c" vs "a"+"bc", NULL vs ""). */
    const char *fields[] = {network, account, kind, in_reply_to, to_given, text};
    gw_sdk_sha256_ctx ctx;
    gw_sdk_sha256_init(&ctx);
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        unsigned char head[9] = {fields[i] != NULL};
        uint64_t n = fields[i] != NULL ? strlen(fields[i]) : 0;
        for (int b = 0; b < 8; b++)
            head[1 + b] = (unsigned char)(n >> (8 * b));
        gw_sdk_sha256_update(&ctx, head, sizeof head);
        gw_sdk_sha256_update(&ctx, fields[i] != NULL ? fields[i] : "", (size_t)n);
    }
    unsigned char digest[GW_SDK_SHA256_SIZE];
    gw_sdk_sha256_final(&ctx, digest);
    for (size_t i = 0; i < sizeof digest; i++)
        snprintf(out + 2 * i, 3, "%02x", digest[i]);
}

/* gw_outbox_fingerprint(network, account, kind, in_reply_to, to_given,
 * text) in SQL: the same digest, for the rows a prune turns into keys. */
static void sql_fingerprint(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const char *f[6] = {NULL};
    for (int i = 0; i < argc && i < 6; i++)
        f[i] = (const char *)sqlite3_value_text(argv[i]);
    char out[OUTBOX_FINGERPRINT_SIZE];
    outbox_store_fingerprint(f[0], f[1], f[2], f[3], f[4], f[5], out);
    sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
}

int outbox_store_prune(outbox_store *os, const outbox_prune_limits *lim, outbox_pruned *out)
{
    *out = (outbox_pruned){0};
    int rc = store_write_begin(os->st);
    if (rc != GW_OK)
        return rc;
    int64_t slice = lim->max_rows > 0 ? lim->max_rows : INT64_MAX;
    if (lim->retention_ms > 0) {
        int64_t cutoff = lim->now_ms - lim->retention_ms;
        int64_t keep_from = lim->window_ms > 0 ? lim->now_ms - lim->window_ms : INT64_MAX;
        sqlite3_stmt *steps[] = {os->keep_keys, os->prune_rows};
        for (size_t i = 0; i < 2; i++) {
            sqlite3_bind_int64(steps[i], 1, cutoff);
            if (i == 0)
                sqlite3_bind_int64(steps[i], 2, keep_from);
            sqlite3_bind_int64(steps[i], 3, slice);
            if ((rc = exec_stmt(os, steps[i], "outbox: prune finished actions")) != GW_OK)
                return rc;
        }
        out->actions = sqlite3_changes64(os->db);
    }
    /* Keys past their window go whatever the retention (also those kept
     * under a longer window before a restart with a shorter one). */
    sqlite3_bind_int64(os->prune_keys, 1, lim->now_ms - lim->window_ms);
    sqlite3_bind_int64(os->prune_keys, 2, slice);
    if ((rc = exec_stmt(os, os->prune_keys, "outbox: prune idempotency keys")) != GW_OK)
        return rc;
    out->keys = sqlite3_changes64(os->db);
    return GW_OK;
}

int outbox_store_get_pruned_key(outbox_store *os, const char *key, int64_t since_ms,
                                outbox_key_fn fn, void *arg)
{
    sqlite3_stmt *st = os->pruned_key;
    bind_text(st, 1, key);
    sqlite3_bind_int64(st, 2, since_ms);
    int rc = sqlite3_step(st), found = 0;
    if (rc == SQLITE_ROW) {
        outbox_key_row row = {
            .key = column_text(st, 0),
            .action_id = column_text(st, 1),
            .network = column_text(st, 2),
            .account = column_text(st, 3),
            .kind = column_text(st, 4),
            .state = column_text(st, 5),
            .fingerprint = column_text(st, 6),
            .result_native_id = column_text(st, 7),
            .result_url = column_text(st, 8),
            .created_ms = sqlite3_column_int64(st, 9),
            .finished_ms = sqlite3_column_int64(st, 10),
        };
        fn(arg, &row);
        found = 1;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_write_failed(os->st, rc, "outbox: look up a kept idempotency key");
    return found;
}

/* ---- open / close ---------------------------------------------------------- */

/* The oldest finished rows before the cutoff ?1, at most ?3 of them. */
#define PRUNE_SLICE                                                                                \
    "SELECT rowid FROM outbox WHERE state IN ('succeeded', 'failed') AND updated_ms < ?1"          \
    " ORDER BY updated_ms LIMIT ?3"

static int prepare_all(outbox_store *os)
{
    const struct {
        sqlite3_stmt **slot;
        const char *sql;
    } stmts[] = {
        {&os->insert,
         "INSERT INTO outbox (id, idempotency_key, network, account, kind, in_reply_to,"
         " reply_native, thread, recipient, to_given, text, force, state, attempts, next_at_ms,"
         " created_ms, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
         " 'queued', 0, 0, ?13, ?13)"},
        {&os->by_key, "SELECT " OUTBOX_COLUMNS " FROM outbox WHERE idempotency_key = ?1"},
        {&os->by_id, "SELECT " OUTBOX_COLUMNS " FROM outbox WHERE id = ?1"},
        {&os->collision,
         "SELECT id FROM outbox WHERE network = ?1 AND account = ?2 AND thread = ?3 AND"
         " kind = 'reply' AND state <> 'failed' ORDER BY rowid LIMIT 1"},
        {&os->update,
         /* Only the state machine's own moves (outbox.h): a final row
          * never changes again, and a success carries no failure reason.
          * A row someone else moved is left alone (no change: GW_ESTATE). */
         "UPDATE outbox SET state = ?2, attempts = ?3, next_at_ms = ?4, updated_ms = ?5,"
         " result_native_id = coalesce(?6, result_native_id),"
         " result_url = coalesce(?7, result_url),"
         " reason = CASE WHEN ?2 = 'succeeded' THEN NULL ELSE coalesce(?8, reason) END"
         " WHERE id = ?1 AND ("
         "  (?2 = 'sending' AND state IN ('queued', 'retrying')) OR"
         "  (?2 IN ('queued', 'retrying', 'succeeded') AND state = 'sending') OR"
         "  (?2 = 'failed' AND state IN ('queued', 'sending', 'retrying')))"},
        {&os->echo,
         "SELECT id FROM outbox WHERE network = ?1 AND account = ?2 AND result_native_id = ?3"
         " LIMIT 1"},
        {&os->open_rows, "SELECT " OUTBOX_COLUMNS " FROM outbox WHERE state IN ('queued',"
                         " 'sending', 'retrying') ORDER BY rowid"},
        /* One slice of pruning: the same oldest finished rows (?1 the
         * cutoff, ?3 the slice) are first copied as key records, those
         * finished since ?2 only (older keys are past their window
         * already), then deleted. Both run in the tick's transaction, so
         * they see the same rows. */
        {&os->keep_keys,
         "INSERT OR REPLACE INTO outbox_keys (idempotency_key, action_id, network, account,"
         " kind, state, fingerprint, result_native_id, result_url, created_ms, finished_ms)"
         " SELECT idempotency_key, id, network, account, kind, state,"
         " gw_outbox_fingerprint(network, account, kind, in_reply_to, to_given, text),"
         " result_native_id, result_url, created_ms, updated_ms FROM outbox"
         " WHERE rowid IN (" PRUNE_SLICE ") AND updated_ms >= ?2"},
        {&os->prune_rows, "DELETE FROM outbox WHERE rowid IN (" PRUNE_SLICE ")"},
        {&os->prune_keys,
         "DELETE FROM outbox_keys WHERE rowid IN (SELECT rowid FROM outbox_keys"
         " WHERE finished_ms < ?1 ORDER BY finished_ms LIMIT ?2)"},
        {&os->pruned_key,
         "SELECT idempotency_key, action_id, network, account, kind, state, fingerprint,"
         " result_native_id, result_url, created_ms, finished_ms FROM outbox_keys"
         " WHERE idempotency_key = ?1 AND finished_ms >= ?2"},
        {&os->savepoint, "SAVEPOINT outbox_final"},
        {&os->release, "RELEASE outbox_final"},
        {&os->rollback_to, "ROLLBACK TO outbox_final"},
    };
    for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++) {
        int rc = sqlite3_prepare_v3(os->db, stmts[i].sql, -1, SQLITE_PREPARE_PERSISTENT,
                                    stmts[i].slot, NULL);
        if (rc != SQLITE_OK)
            return store_write_failed(os->st, rc, "outbox: preparing statements");
    }
    return GW_OK;
}

/* Create the table, or refuse a layout written by a newer gateway. */
static int schema_check(outbox_store *os, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    sqlite3_int64 version = 0;
    int rc = sqlite3_prepare_v2(os->db, "SELECT value FROM meta WHERE key = 'outbox_schema'", -1,
                                &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
        version = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        snprintf(err, errlen, "outbox: reading its schema version: %s", sqlite3_errmsg(os->db));
        return GW_EIO;
    }
    if (version > OUTBOX_SCHEMA_VERSION) {
        snprintf(err, errlen,
                 "outbox: schema version %lld is newer than this gateway knows (%d); run the "
                 "newer gateway or restore a backup",
                 (long long)version, OUTBOX_SCHEMA_VERSION);
        return GW_EUNSUPPORTED;
    }
    char *msg = NULL;
    if ((rc = store_write_begin(os->st)) != GW_OK ||
        sqlite3_exec(os->db, outbox_schema, NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(os->db,
                     "INSERT INTO meta (key, value) VALUES ('outbox_schema', 2)"
                     " ON CONFLICT (key) DO UPDATE SET value = 2",
                     NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "outbox: creating its table: %s",
                 msg ? msg : store_last_error(os->st));
        sqlite3_free(msg);
        return rc != GW_OK ? rc : GW_EIO;
    }
    return GW_OK;
}

int outbox_store_open(store *st, outbox_store **out, char *err, size_t errlen)
{
    *out = NULL;
    outbox_store *os = calloc(1, sizeof *os);
    if (os == NULL) {
        snprintf(err, errlen, "outbox: out of memory");
        return GW_ENOMEM;
    }
    os->st = st;
    os->db = store_db(st);
    int rc = sqlite3_create_function_v2(os->db, "gw_outbox_fingerprint", 6,
                                        SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_fingerprint,
                                        NULL, NULL, NULL) == SQLITE_OK
                 ? GW_OK
                 : GW_ENOMEM;
    if (rc != GW_OK)
        snprintf(err, errlen, "outbox: registering a function: %s", sqlite3_errmsg(os->db));
    if (rc == GW_OK)
        rc = schema_check(os, err, errlen);
    if (rc == GW_OK && (rc = prepare_all(os)) != GW_OK)
        snprintf(err, errlen, "%s", store_last_error(st));
    if (rc != GW_OK) {
        outbox_store_close(os);
        return rc;
    }
    *out = os;
    return GW_OK;
}

void outbox_store_close(outbox_store *os)
{
    if (os == NULL)
        return;
    sqlite3_stmt **all[] = {&os->insert,     &os->by_key,     &os->by_id,      &os->collision,
                            &os->update,     &os->echo,       &os->open_rows,  &os->savepoint,
                            &os->release,    &os->rollback_to, &os->keep_keys, &os->prune_rows,
                            &os->prune_keys, &os->pruned_key};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        sqlite3_finalize(*all[i]);
    free(os);
}
