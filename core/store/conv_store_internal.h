/* conv_store_internal.h - the conversations' store state, shared by its
 * two files: conv_store.c (the tables, the statements prepared at open,
 * and the writes with their marks) and conv_store_read.c (the rows read
 * back: one, the active ones, a page, a person's, the report's, and a
 * conversation's items). Not for other modules: they use conv_store.h.
 */
#ifndef GW_CONV_STORE_INTERNAL_H
#define GW_CONV_STORE_INTERNAL_H

#include <stdint.h>

#include <sqlite3.h>

#include "store/store.h"

/* The columns in the order every write binds and every read reads them. */
#define CONV_COLUMNS                                                                               \
    "id, network, account, thread, alias, contact, visibility, state, priority_score, priority,"   \
    " items, first_ms, waiting_ms, last_ms, answered_ms, closed_ms, deadline_ms, breached, seqs"

#define CONV_COLUMN_COUNT 19

/* From conv_store_open; conv_store_report's read-only pass makes one with
 * db only (st NULL, nothing prepared). */
struct conv_store {
    store *st;
    sqlite3 *db;
    sqlite3_stmt *put;       /* one row */
    sqlite3_stmt *put_batch; /* CONV_PUT_BATCH rows */
    sqlite3_stmt *link, *link_mark;
    sqlite3_stmt *put_items; /* a chunk into conversation_items */
    sqlite3_stmt *applied;   /* the applied seq's row */
    int64_t linked_through;  /* conversations with ids up to this are linked */
};

/* Bind s, or NULL when there is none: the optional columns, written by
 * conv_store.c and filtered on by conv_store_read.c. */
static inline void conv_store_bind_text_or_null(sqlite3_stmt *q, int col, const char *s)
{
    if (s != NULL)
        sqlite3_bind_text(q, col, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, col);
}

#endif /* GW_CONV_STORE_INTERNAL_H */
