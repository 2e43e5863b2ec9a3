/* store_internal.h - the store's state and helpers shared by its own
 * files (store.c: the log and the commit; store_open.c: opening and
 * closing; store_read.c: reading it back; store_state.c: cursors, plugin
 * kv and pruning). Not for other modules: they use store.h. */
#ifndef GW_STORE_INTERNAL_H
#define GW_STORE_INTERNAL_H

#include <stdint.h>

#include <sqlite3.h>

#include "base/json_write.h"
#include "gateway/plugin.h" /* GW_PRINTF */
#include "store/store_health.h"
#include "store/store_sync.h"

/* store.h's type (not included: store.c includes this file) */
typedef struct store store;

struct store {
    sqlite3 *db;
    char *path; /* owned: for error messages */
    int64_t retention_ms;
    int64_t last_seq;      /* highest seq appended, committed or not */
    int64_t written_seq;   /* highest seq committed to SQLite, durable or not */
    int64_t committed_seq; /* highest seq known durable */
    uint64_t commit_gen;   /* COMMITs that succeeded (each wrote something) */
    uint64_t durable_gen;  /* of those, the ones known durable */
    store_sync *sync;      /* owned with defer_sync: the WAL's fdatasync */
    int in_txn;            /* the tick's transaction is open */
    int tick_failed;       /* a write of this tick failed: it cannot commit */
    int tick_state;        /* this tick wrote plugin kv or outbox rows */
    int reading;           /* inside store_read's callback */

    /* Prepared once: the hot paths run them thousands of times a second. */
    sqlite3_stmt *begin;
    sqlite3_stmt *commit;
    sqlite3_stmt *rollback;
    sqlite3_stmt *event_insert;
    sqlite3_stmt *event_read;
    sqlite3_stmt *event_get;
    sqlite3_stmt *cursor_get;
    sqlite3_stmt *cursor_set;
    sqlite3_stmt *kv_get;
    sqlite3_stmt *kv_set;
    sqlite3_stmt *prune;
    sqlite3_stmt *meta_set;

    jw_buf dump; /* owned: reusable serialization buffer */
    store_health health; /* last error, counters, failing since */
};

/* Record "fmt..." as the last error. */
void store_set_error(store *s, const char *fmt, ...) GW_PRINTF(2, 3);

/* Record a failed statement and notice when SQLite took the tick's
 * transaction with it. Returns the GW_E* code for rc. */
int store_fail(store *s, int rc, const char *what);

/* Step a prepared write statement to completion and reset it. Returns 0
 * or the GW_E* code (the tick then cannot commit). */
int store_exec_stmt(store *s, sqlite3_stmt *stmt, const char *what);

/* Open the tick's transaction if needed. Returns 0 or a GW_E* code. */
int store_begin(store *s);

/* Fetch a single integer (column 0 of the first row) of a one-off query;
 * *value is left untouched when the query yields no row or NULL. Returns
 * 0 or a GW_E* code (store_fail). */
int store_query_int(store *s, const char *sql, int64_t *value);

#endif /* GW_STORE_INTERNAL_H */
