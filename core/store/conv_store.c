/* conv_store.c - the conversations' tables and statements on the store's
 * connection, and the writes with their marks (the applied seq, the
 * contacts' links); see conv_store.h. Reading the rows back is
 * conv_store_read.c's. What the states mean, and when a row is written,
 * is the conversation service's (core/service/).
 */
#include "store/conv_store.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "gateway/error.h"
#include "store/conv_store_internal.h"

/* The items of a conversation are the "seqs" column (the events' seqs,
 * comma-separated, in order), rewritten with the row: a separate items
 * table, one index insert per event at scattered places, cost a third of
 * the flood benchmark's throughput; the row is written anyway. The
 * column keeps the latest seqs only: past CONV_ITEMS_CHUNK bytes the
 * service moves them to conversation_items as one row (conv_store_put_items),
 * so a long conversation is not rewritten whole at every tick it changes
 * (the bytes written grew with the square of its items). */
static const char conv_schema[] =
    "CREATE TABLE IF NOT EXISTS conversations ("
    " id INTEGER PRIMARY KEY,"
    " network TEXT NOT NULL,"
    " account TEXT NOT NULL,"
    " thread TEXT NOT NULL,"
    " alias TEXT,"
    " contact INTEGER,"
    " visibility TEXT NOT NULL,"
    " state TEXT NOT NULL,"
    " priority_score INTEGER NOT NULL,"
    " priority TEXT,"
    " items INTEGER NOT NULL,"
    " first_ms INTEGER NOT NULL,"
    " waiting_ms INTEGER NOT NULL,"
    " last_ms INTEGER NOT NULL,"
    " answered_ms INTEGER NOT NULL,"
    " closed_ms INTEGER NOT NULL,"
    " deadline_ms INTEGER NOT NULL,"
    " breached INTEGER NOT NULL,"
    " seqs TEXT NOT NULL);"
    /* the items moved out of the row, a chunk of seqs per row */
    "CREATE TABLE IF NOT EXISTS conversation_items ("
    " conversation INTEGER NOT NULL,"
    " first_seq INTEGER NOT NULL,"
    " seqs TEXT NOT NULL,"
    " PRIMARY KEY (conversation, first_seq)) WITHOUT ROWID;"
    /* A contact's conversations, for its history and its open count.
     * Not an index on conversations(contact): contacts are few beside
     * conversations, so each new conversation's entry landed inside the
     * index and every tick rewrote most of its pages (4.7x the page
     * writes of the flood without conversations). The links are added in
     * batches (conv_store_link_contacts), each page written once per
     * batch; reads add the conversations after the last batch from the
     * table itself. */
    "DROP INDEX IF EXISTS conversations_contact;"
    "CREATE TABLE IF NOT EXISTS contact_conversations ("
    " contact INTEGER NOT NULL,"
    " conversation INTEGER NOT NULL,"
    " PRIMARY KEY (contact, conversation)) WITHOUT ROWID;"
    /* the last conversation id linked: one row */
    "CREATE TABLE IF NOT EXISTS contact_links ("
    " one INTEGER PRIMARY KEY CHECK (one = 1),"
    " through INTEGER NOT NULL);"
    /* Contacts (contact_store.c's statements): one per author and network;
     * person groups contacts linked across networks (its smallest id). */
    "CREATE TABLE IF NOT EXISTS contacts ("
    " id INTEGER PRIMARY KEY,"
    " network TEXT NOT NULL,"
    " author TEXT NOT NULL,"
    " handle TEXT,"
    " name TEXT,"
    " followers INTEGER NOT NULL,"
    " first_ms INTEGER NOT NULL,"
    " last_ms INTEGER NOT NULL,"
    " items INTEGER NOT NULL,"
    " open INTEGER NOT NULL,"
    " person INTEGER NOT NULL,"
    " UNIQUE (network, author));"
    "CREATE INDEX IF NOT EXISTS contacts_person ON contacts(person);"
    /* the last event seq of the log this database has applied: one row,
     * written in each of its commits (conv_store_set_applied) */
    "CREATE TABLE IF NOT EXISTS applied ("
    " one INTEGER PRIMARY KEY CHECK (one = 1),"
    " seq INTEGER NOT NULL);";

/* The upsert of rows rows: the columns that never change after the
 * insert (network, account, thread, contact, visibility, first_ms) are
 * left alone on conflict. Returns the text (caller frees) or NULL. */
static char *put_sql(size_t rows)
{
    static const char head[] = "INSERT INTO conversations (" CONV_COLUMNS ") VALUES ";
    static const char tail[] =
        " ON CONFLICT (id) DO UPDATE SET alias = excluded.alias,"
        " state = excluded.state, priority_score = excluded.priority_score,"
        " priority = excluded.priority, items = excluded.items,"
        " waiting_ms = excluded.waiting_ms, last_ms = excluded.last_ms,"
        " answered_ms = excluded.answered_ms, closed_ms = excluded.closed_ms,"
        " deadline_ms = excluded.deadline_ms, breached = excluded.breached,"
        " seqs = excluded.seqs";
    /* "(?,?,...,?)," per row: two bytes per column, one more for the comma */
    size_t row_len = 2 * CONV_COLUMN_COUNT + 2;
    size_t len = sizeof head - 1 + rows * row_len + sizeof tail;
    char *sql = malloc(len);
    if (sql == NULL)
        return NULL;
    char *o = sql;
    memcpy(o, head, sizeof head - 1);
    o += sizeof head - 1;
    for (size_t r = 0; r < rows; r++) {
        if (r > 0)
            *o++ = ',';
        *o++ = '(';
        for (int c = 0; c < CONV_COLUMN_COUNT; c++) {
            if (c > 0)
                *o++ = ',';
            *o++ = '?';
        }
        *o++ = ')';
    }
    memcpy(o, tail, sizeof tail);
    return sql;
}

static int prepare(conv_store *cs, const char *sql, sqlite3_stmt **out)
{
    int src = sqlite3_prepare_v3(cs->db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL);
    if (src != SQLITE_OK) {
        sqlite3_finalize(*out);
        *out = NULL;
        return store_write_failed(cs->st, src, "conversations: prepare");
    }
    return GW_OK;
}

static int query_max(sqlite3 *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *q = NULL;
    int src = sqlite3_prepare_v2(db, sql, -1, &q, NULL);
    if (src == SQLITE_OK && (src = sqlite3_step(q)) == SQLITE_ROW)
        *out = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return src == SQLITE_ROW || src == SQLITE_DONE ? GW_OK : GW_EIO;
}

static int prepare_puts(conv_store *cs)
{
    char *one = put_sql(1), *batch = put_sql(CONV_PUT_BATCH);
    int rc = one && batch ? prepare(cs, one, &cs->put) : GW_ENOMEM;
    if (rc == GW_OK)
        rc = prepare(cs, batch, &cs->put_batch);
    free(one);
    free(batch);
    return rc;
}

int conv_store_open(store *st, conv_store **out, char *err, size_t errlen)
{
    *out = NULL;
    conv_store *cs = calloc(1, sizeof *cs);
    if (cs == NULL) {
        snprintf(err, errlen, "out of memory");
        return GW_ENOMEM;
    }
    cs->st = st;
    cs->db = store_db(st);
    int rc = store_write_begin_rebuildable(st);
    if (rc == GW_OK) {
        int src = sqlite3_exec(cs->db, conv_schema, NULL, NULL, NULL);
        if (src != SQLITE_OK)
            rc = store_write_failed(st, src, "conversations: create the tables");
    }
    if (rc == GW_OK)
        rc = prepare_puts(cs);
    if (rc == GW_OK)
        rc = prepare(cs, "INSERT OR IGNORE INTO contact_conversations (contact, conversation)"
                         " SELECT contact, id FROM conversations WHERE id > ?1 AND id <= ?2"
                         " AND contact IS NOT NULL",
                     &cs->link);
    if (rc == GW_OK)
        rc = prepare(cs, "INSERT INTO contact_links (one, through) VALUES (1, ?1)"
                         " ON CONFLICT (one) DO UPDATE SET through = excluded.through",
                     &cs->link_mark);
    if (rc == GW_OK)
        rc = prepare(cs, "INSERT OR REPLACE INTO conversation_items (conversation, first_seq, seqs)"
                         " VALUES (?1, ?2, ?3)",
                     &cs->put_items);
    if (rc == GW_OK)
        rc = prepare(cs, "INSERT INTO applied (one, seq) VALUES (1, ?1)"
                         " ON CONFLICT (one) DO UPDATE SET seq = excluded.seq",
                     &cs->applied);
    if (rc == GW_OK)
        rc = conv_store_load_mark(cs);
    if (rc != GW_OK) {
        snprintf(err, errlen, "conversations: %s", store_last_error(st));
        conv_store_close(cs);
        return rc;
    }
    *out = cs;
    return GW_OK;
}

void conv_store_close(conv_store *cs)
{
    if (cs == NULL)
        return;
    sqlite3_finalize(cs->put);
    sqlite3_finalize(cs->put_batch);
    sqlite3_finalize(cs->link);
    sqlite3_finalize(cs->link_mark);
    sqlite3_finalize(cs->put_items);
    sqlite3_finalize(cs->applied);
    free(cs);
}

store *conv_store_store(conv_store *cs)
{
    return cs->st;
}


int conv_store_applied(conv_store *cs, int64_t *seq)
{
    *seq = -1;
    return query_max(cs->db, "SELECT COALESCE(MAX(seq), -1) FROM applied", seq) == GW_OK
               ? GW_OK
               : store_write_failed(cs->st, SQLITE_ERROR, "conversations: read the applied seq");
}

int conv_store_set_applied(conv_store *cs, int64_t seq)
{
    int rc = store_write_begin_rebuildable(cs->st);
    if (rc != GW_OK)
        return rc;
    sqlite3_bind_int64(cs->applied, 1, seq);
    int src = sqlite3_step(cs->applied);
    sqlite3_reset(cs->applied);
    return src == SQLITE_DONE ? GW_OK
                              : store_write_failed(cs->st, src, "conversations: the applied seq");
}

int conv_store_max_ids(conv_store *cs, int64_t *conversation, int64_t *contact)
{
    *conversation = *contact = 0;
    int rc = query_max(cs->db, "SELECT COALESCE(MAX(id), 0) FROM conversations", conversation);
    return rc != GW_OK ? rc
                       : query_max(cs->db, "SELECT COALESCE(MAX(id), 0) FROM contacts", contact);
}

/* Bind r as the row starting at parameter base + 1 (strings as
 * SQLITE_STATIC: the caller's, for the step). Binds every column. */
static void bind_row(sqlite3_stmt *q, int base, const conv_row *r)
{
    sqlite3_bind_int64(q, base + 1, r->id);
    sqlite3_bind_text(q, base + 2, r->network, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, base + 3, r->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, base + 4, r->thread, -1, SQLITE_STATIC);
    conv_store_bind_text_or_null(q, base + 5, r->alias);
    if (r->contact > 0)
        sqlite3_bind_int64(q, base + 6, r->contact);
    else
        sqlite3_bind_null(q, base + 6);
    sqlite3_bind_text(q, base + 7, r->visibility, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, base + 8, r->state, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, base + 9, r->priority_score);
    conv_store_bind_text_or_null(q, base + 10, r->priority);
    sqlite3_bind_int64(q, base + 11, r->items);
    sqlite3_bind_int64(q, base + 12, r->first_ms);
    sqlite3_bind_int64(q, base + 13, r->waiting_ms);
    sqlite3_bind_int64(q, base + 14, r->last_ms);
    sqlite3_bind_int64(q, base + 15, r->answered_ms);
    sqlite3_bind_int64(q, base + 16, r->closed_ms);
    sqlite3_bind_int64(q, base + 17, r->deadline_ms);
    sqlite3_bind_int(q, base + 18, r->breached);
    sqlite3_bind_text(q, base + 19, r->seqs != NULL ? r->seqs : "", -1, SQLITE_STATIC);
}

int conv_store_put_conversations(conv_store *cs, const conv_row *rows, size_t n)
{
    int rc = n > 0 ? store_write_begin_rebuildable(cs->st) : GW_OK;
    for (size_t i = 0; rc == GW_OK && i < n;) {
        size_t take = n - i >= CONV_PUT_BATCH ? CONV_PUT_BATCH : 1;
        sqlite3_stmt *q = take > 1 ? cs->put_batch : cs->put;
        for (size_t k = 0; k < take; k++)
            bind_row(q, (int)k * CONV_COLUMN_COUNT, &rows[i + k]);
        int src = sqlite3_step(q);
        sqlite3_reset(q);
        /* The strings need only last for the call (conv_store.h): the
         * pointers left bound are never read, since every parameter is
         * bound again before the next step. Clearing them cost more than
         * a tenth of the binding. */
        if (src != SQLITE_DONE)
            rc = store_write_failed(cs->st, src, "conversations: write");
        i += take;
    }
    return rc;
}

int conv_store_put_items(conv_store *cs, int64_t id, const char *seqs, size_t len)
{
    /* the first seq, read within len bytes */
    int64_t first = 0;
    size_t digits = 0;
    for (; digits < len && digits < 18 && seqs[digits] >= '0' && seqs[digits] <= '9'; digits++)
        first = first * 10 + (seqs[digits] - '0');
    if (digits == 0 || first < 1 || len > INT_MAX)
        return GW_EINVAL;
    int rc = store_write_begin_rebuildable(cs->st);
    if (rc != GW_OK)
        return rc;
    sqlite3_bind_int64(cs->put_items, 1, id);
    sqlite3_bind_int64(cs->put_items, 2, first);
    sqlite3_bind_text(cs->put_items, 3, seqs, (int)len, SQLITE_STATIC); /* as in put_conversations */
    int src = sqlite3_step(cs->put_items);
    sqlite3_reset(cs->put_items);
    return src == SQLITE_DONE ? GW_OK
                              : store_write_failed(cs->st, src, "conversations: move items out");
}

int conv_store_link_contacts(conv_store *cs, int64_t upto)
{
    if (upto <= cs->linked_through)
        return GW_OK;
    int rc = store_write_begin_rebuildable(cs->st);
    if (rc != GW_OK)
        return rc;
    sqlite3_bind_int64(cs->link, 1, cs->linked_through);
    sqlite3_bind_int64(cs->link, 2, upto);
    int src = sqlite3_step(cs->link);
    sqlite3_reset(cs->link);
    if (src == SQLITE_DONE) {
        sqlite3_bind_int64(cs->link_mark, 1, upto);
        src = sqlite3_step(cs->link_mark);
        sqlite3_reset(cs->link_mark);
    }
    if (src != SQLITE_DONE)
        return store_write_failed(cs->st, src, "conversations: link them to their contacts");
    /* ahead of the table until the commit: a lost tick rereads it
     * (conv_store_load_mark, from the service's reload) */
    cs->linked_through = upto;
    return GW_OK;
}

int conv_store_load_mark(conv_store *cs)
{
    int rc = query_max(cs->db, "SELECT COALESCE(MAX(through), 0) FROM contact_links",
                       &cs->linked_through);
    return rc == GW_OK ? GW_OK : store_write_failed(cs->st, SQLITE_ERROR,
                                                    "conversations: read the links' mark");
}

int64_t conv_store_linked_through(const conv_store *cs)
{
    return cs->linked_through;
}
