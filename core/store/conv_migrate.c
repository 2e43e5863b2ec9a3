/* conv_migrate.c - moving the conversation service's tables out of the
 * event log's database into their own (see conv_store.h): a data
 * directory written before they had a file of their own has them in
 * gateway.db. The copy commits in the new file first, with the seq the
 * old tables had applied (they committed with the events, so every event
 * in the log); the old tables are dropped after, so a crash in between
 * leaves the copy made and the drop to do again.
 */
#include "store/conv_store.h"

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "gateway/error.h"

/* In the order a reader would need them; SELECT * works because every
 * version created them with one statement each, never altered. */
static const char *const tables[] = {"conversations", "conversation_items", "contact_conversations",
                                     "contact_links", "contacts"};

static int has_table(sqlite3 *db, const char *schema, const char *name)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT 1 FROM %s.sqlite_master WHERE type = 'table' AND name = ?1",
             schema);
    sqlite3_stmt *q = NULL;
    int found = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
        int src = sqlite3_step(q);
        found = src == SQLITE_ROW ? 1 : src == SQLITE_DONE ? 0 : -1;
    }
    sqlite3_finalize(q);
    return found;
}

static int copy_tables(conv_store *cs, sqlite3 *db, int64_t *copied, char *err, size_t errlen)
{
    int rc = store_write_begin_rebuildable(conv_store_store(cs));
    for (size_t i = 0; rc == GW_OK && i < sizeof tables / sizeof tables[0]; i++) {
        int has = has_table(db, "old", tables[i]);
        if (has == 0)
            continue;
        char sql[200];
        snprintf(sql, sizeof sql, "INSERT OR IGNORE INTO main.%s SELECT * FROM old.%s", tables[i],
                 tables[i]);
        if (has < 0 || sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
            snprintf(err, errlen, "conversations: copying %s from the log's database: %s",
                     tables[i], sqlite3_errmsg(db));
            rc = GW_EIO;
        } else if (i == 0) {
            *copied = sqlite3_changes64(db);
        }
    }
    return rc;
}

int conv_store_import(conv_store *cs, const char *log_path, int64_t applied, int64_t *copied,
                      char *err, size_t errlen)
{
    *copied = 0;
    sqlite3 *db = store_db(conv_store_store(cs));
    /* ATTACH and DETACH are refused inside a transaction: the caller's
     * is not open yet, and the copy's own is committed by the caller */
    sqlite3_stmt *q = NULL;
    int src = sqlite3_prepare_v2(db, "ATTACH DATABASE ?1 AS old", -1, &q, NULL);
    if (src == SQLITE_OK) {
        sqlite3_bind_text(q, 1, log_path, -1, SQLITE_STATIC);
        src = sqlite3_step(q);
    }
    sqlite3_finalize(q);
    if (src != SQLITE_DONE) {
        snprintf(err, errlen, "conversations: cannot read %s: %s", log_path, sqlite3_errmsg(db));
        return GW_EIO;
    }
    int rc = copy_tables(cs, db, copied, err, errlen);
    if (rc == GW_OK && (rc = conv_store_set_applied(cs, applied)) != GW_OK)
        snprintf(err, errlen, "conversations: %s", store_last_error(conv_store_store(cs)));
    if (rc == GW_OK && store_commit(conv_store_store(cs)) != GW_OK) {
        snprintf(err, errlen, "conversations: committing the copy: %s",
                 store_last_error(conv_store_store(cs)));
        rc = GW_EIO;
    }
    if (rc != GW_OK)
        store_rollback(conv_store_store(cs));
    sqlite3_exec(db, "DETACH DATABASE old", NULL, NULL, NULL);
    return rc;
}

int conv_store_drop_from_log(store *st)
{
    sqlite3 *db = store_db(st);
    int rc = GW_OK;
    for (size_t i = 0; rc == GW_OK && i < sizeof tables / sizeof tables[0]; i++) {
        int has = has_table(db, "main", tables[i]);
        if (has == 0)
            continue;
        char sql[120];
        snprintf(sql, sizeof sql, "DROP TABLE %s", tables[i]);
        rc = store_write_begin(st);
        if (rc == GW_OK && (has < 0 || sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK))
            rc = store_write_failed(st, sqlite3_errcode(db), "conversations: drop the old tables");
    }
    return rc;
}
