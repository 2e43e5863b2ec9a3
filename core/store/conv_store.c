/* conv_store.c - the conversations' tables and statements on the store's
 * connection; see conv_store.h. What the states mean, and when a row is
 * written, is the conversation service's (core/service/).
 */
#include "store/conv_store.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "base/grow.h"
#include "gateway/error.h"

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

#define CONV_COLUMNS                                                                               \
    "id, network, account, thread, alias, contact, visibility, state, priority_score, priority,"   \
    " items, first_ms, waiting_ms, last_ms, answered_ms, closed_ms, deadline_ms, breached, seqs"

#define CONV_COLUMN_COUNT 19

struct conv_store {
    store *st;
    sqlite3 *db;
    sqlite3_stmt *put;       /* one row */
    sqlite3_stmt *put_batch; /* CONV_PUT_BATCH rows */
    sqlite3_stmt *link, *link_mark;
    sqlite3_stmt *put_items; /* a chunk into conversation_items */
    sqlite3_stmt *applied;   /* the applied seq's row */
    int64_t linked_through; /* conversations with ids up to this are linked */
};

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

static void bind_text_or_null(sqlite3_stmt *q, int col, const char *s)
{
    if (s != NULL)
        sqlite3_bind_text(q, col, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, col);
}

/* Bind r as the row starting at parameter base + 1 (strings as
 * SQLITE_STATIC: the caller's, for the step). Binds every column. */
static void bind_row(sqlite3_stmt *q, int base, const conv_row *r)
{
    sqlite3_bind_int64(q, base + 1, r->id);
    sqlite3_bind_text(q, base + 2, r->network, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, base + 3, r->account, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, base + 4, r->thread, -1, SQLITE_STATIC);
    bind_text_or_null(q, base + 5, r->alias);
    if (r->contact > 0)
        sqlite3_bind_int64(q, base + 6, r->contact);
    else
        sqlite3_bind_null(q, base + 6);
    sqlite3_bind_text(q, base + 7, r->visibility, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, base + 8, r->state, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, base + 9, r->priority_score);
    bind_text_or_null(q, base + 10, r->priority);
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

/* Append len bytes of s to the text of *buf (NUL kept after it). */
static int append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    char *grown = grow_array(*buf, cap, *len + n + 1, 1, 256);
    if (grown == NULL)
        return GW_ENOMEM;
    memcpy(grown + *len, s, n);
    *len += n;
    grown[*len] = '\0';
    *buf = grown;
    return GW_OK;
}

/* Commas in s, plus one: the seqs in a non-empty list. */
static size_t seqs_in(const char *s, size_t n)
{
    size_t k = n > 0;
    for (size_t i = 0; i < n; i++)
        k += s[i] == ',';
    return k;
}

int conv_store_items(conv_store *cs, int64_t id, const char *tail, size_t max_items, char **out)
{
    *out = NULL;
    sqlite3_stmt *q = NULL;
    int rc = conv_store_prepare(cs->st, "SELECT seqs FROM conversation_items"
                                        " WHERE conversation = ?1 ORDER BY first_seq",
                                &q, "conversations: prepare a read of items");
    if (rc != GW_OK)
        return rc;
    sqlite3_bind_int64(q, 1, id);
    char *buf = NULL;
    size_t len = 0, cap = 0, items = 0;
    int src = SQLITE_DONE;
    rc = append(&buf, &len, &cap, "", 0);
    while (rc == GW_OK && items < max_items && (src = sqlite3_step(q)) == SQLITE_ROW) {
        const char *s = (const char *)sqlite3_column_text(q, 0);
        size_t n = (size_t)sqlite3_column_bytes(q, 0);
        if (s == NULL || n == 0)
            continue;
        if (len > 0)
            rc = append(&buf, &len, &cap, ",", 1);
        if (rc == GW_OK)
            rc = append(&buf, &len, &cap, s, n);
        items += seqs_in(s, n);
    }
    if (rc == GW_OK && src != SQLITE_DONE && src != SQLITE_ROW)
        rc = store_write_failed(cs->st, src, "conversations: read items");
    sqlite3_finalize(q);
    size_t tl = tail != NULL ? strlen(tail) : 0;
    if (rc == GW_OK && tl > 0 && items < max_items && len > 0)
        rc = append(&buf, &len, &cap, ",", 1);
    if (rc == GW_OK && tl > 0 && items < max_items)
        rc = append(&buf, &len, &cap, tail, tl);
    if (rc != GW_OK) {
        free(buf);
        return rc;
    }
    *out = buf;
    return GW_OK;
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

static const char *column_text(sqlite3_stmt *q, int col)
{
    return (const char *)sqlite3_column_text(q, col);
}

/* Step q (prepared by the caller, bound) to the end, handing each row to
 * fn; finalizes q. Returns the rows passed or GW_E*. */
static int walk_rows(conv_store *cs, sqlite3_stmt *q, conv_row_fn fn, void *arg)
{
    int n = 0, src, rc = GW_OK;
    while ((src = sqlite3_step(q)) == SQLITE_ROW) {
        conv_row r = {
            .id = sqlite3_column_int64(q, 0),
            .network = column_text(q, 1),
            .account = column_text(q, 2),
            .thread = column_text(q, 3),
            .alias = column_text(q, 4),
            .contact = sqlite3_column_int64(q, 5),
            .visibility = column_text(q, 6),
            .state = column_text(q, 7),
            .priority_score = sqlite3_column_int(q, 8),
            .priority = column_text(q, 9),
            .items = sqlite3_column_int64(q, 10),
            .first_ms = sqlite3_column_int64(q, 11),
            .waiting_ms = sqlite3_column_int64(q, 12),
            .last_ms = sqlite3_column_int64(q, 13),
            .answered_ms = sqlite3_column_int64(q, 14),
            .closed_ms = sqlite3_column_int64(q, 15),
            .deadline_ms = sqlite3_column_int64(q, 16),
            .breached = sqlite3_column_int(q, 17),
            .seqs = column_text(q, 18),
        };
        if (r.network == NULL || r.account == NULL || r.thread == NULL || r.state == NULL ||
            r.visibility == NULL) {
            rc = GW_ENOMEM;
            break;
        }
        n++;
        if ((rc = fn(arg, &r)) != 0)
            break;
    }
    if (rc == GW_OK && src != SQLITE_DONE && src != SQLITE_ROW)
        rc = cs->st ? store_write_failed(cs->st, src, "conversations: read") : GW_EIO;
    sqlite3_finalize(q);
    return rc < 0 ? rc : n;
}

int conv_store_prepare(store *st, const char *sql, sqlite3_stmt **q, const char *what)
{
    int src = sqlite3_prepare_v2(store_db(st), sql, -1, q, NULL);
    if (src != SQLITE_OK) {
        sqlite3_finalize(*q);
        *q = NULL;
        return store_write_failed(st, src, what);
    }
    return GW_OK;
}

static int select_rows(conv_store *cs, const char *sql, sqlite3_stmt **q)
{
    return conv_store_prepare(cs->st, sql, q, "conversations: prepare a read");
}

int conv_store_each_active(conv_store *cs, conv_row_fn fn, void *arg)
{
    sqlite3_stmt *q = NULL;
    int rc = select_rows(cs, "SELECT " CONV_COLUMNS " FROM conversations"
                             " WHERE state <> 'closed' ORDER BY id", &q);
    return rc != GW_OK ? rc : walk_rows(cs, q, fn, arg);
}

int conv_store_get_conversation(conv_store *cs, int64_t id, conv_row_fn fn, void *arg)
{
    sqlite3_stmt *q = NULL;
    int rc = select_rows(cs, "SELECT " CONV_COLUMNS " FROM conversations WHERE id = ?1", &q);
    if (rc != GW_OK)
        return rc;
    sqlite3_bind_int64(q, 1, id);
    return walk_rows(cs, q, fn, arg);
}

int conv_store_list(conv_store *cs, const conv_page *p, conv_row_fn fn, void *arg)
{
    /* Keyset pagination: a page starts strictly after the previous one's
     * last row in the same order, so rows that change meanwhile are
     * neither repeated nor skipped within one order. */
    static const char by_id[] = "SELECT " CONV_COLUMNS " FROM conversations"
                                " WHERE (?1 IS NULL OR state = ?1) AND id > ?2"
                                " ORDER BY id LIMIT ?3";
    static const char by_priority[] =
        "SELECT " CONV_COLUMNS " FROM conversations"
        " WHERE (?1 IS NULL OR state = ?1) AND (?4 = 0 OR priority_score < ?5"
        " OR (priority_score = ?5 AND (waiting_ms > ?6 OR (waiting_ms = ?6 AND id > ?2))))"
        " ORDER BY priority_score DESC, waiting_ms ASC, id ASC LIMIT ?3";
    sqlite3_stmt *q = NULL;
    int rc = select_rows(cs, p->by_priority ? by_priority : by_id, &q);
    if (rc != GW_OK)
        return rc;
    bind_text_or_null(q, 1, p->state);
    sqlite3_bind_int64(q, 2, p->after_id);
    sqlite3_bind_int64(q, 3, (int64_t)p->limit);
    if (p->by_priority) {
        sqlite3_bind_int(q, 4, p->has_cursor);
        sqlite3_bind_int(q, 5, p->after_score);
        sqlite3_bind_int64(q, 6, p->after_waiting);
    }
    return walk_rows(cs, q, fn, arg);
}

/* The ids of one contact's conversations, or of every contact of a
 * person: the links, and the conversations after the last batch of them
 * (a walk of the table's newest rows only). ?3 is the mark. */
#define CONTACT_CONVERSATIONS(contacts)                                                            \
    "SELECT conversation FROM contact_conversations WHERE contact IN (" contacts ")"               \
    " UNION ALL SELECT id FROM conversations WHERE id > ?3 AND contact IN (" contacts ")"

int conv_store_each_of_person(conv_store *cs, int64_t person, size_t limit, conv_row_fn fn,
                              void *arg)
{
    sqlite3_stmt *q = NULL;
    int rc = select_rows(cs, "SELECT " CONV_COLUMNS " FROM conversations WHERE id IN ("
                             CONTACT_CONVERSATIONS("SELECT id FROM contacts WHERE person = ?1")
                             ") ORDER BY first_ms DESC, id DESC LIMIT ?2", &q);
    if (rc != GW_OK)
        return rc;
    sqlite3_bind_int64(q, 1, person);
    sqlite3_bind_int64(q, 2, (int64_t)limit);
    sqlite3_bind_int64(q, 3, cs->linked_through);
    return walk_rows(cs, q, fn, arg);
}

int64_t conv_store_open_of_contact(conv_store *cs, int64_t contact)
{
    sqlite3_stmt *q = NULL;
    int64_t n = 0;
    if (sqlite3_prepare_v2(cs->db, "SELECT COUNT(*) FROM conversations WHERE id IN ("
                                   CONTACT_CONVERSATIONS("?1") ") AND state <> 'closed'",
                           -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, contact);
        sqlite3_bind_int64(q, 3, cs->linked_through);
        if (sqlite3_step(q) == SQLITE_ROW)
            n = sqlite3_column_int64(q, 0);
    }
    sqlite3_finalize(q);
    return n;
}

int conv_store_report(const char *db_path, int64_t since_ms, conv_row_fn fn, void *arg, char *err,
                      size_t errlen)
{
    conv_store cs = {0};
    sqlite3_stmt *q = NULL;
    int src = sqlite3_open_v2(db_path, &cs.db, SQLITE_OPEN_READONLY, NULL);
    if (src == SQLITE_OK) {
        sqlite3_busy_timeout(cs.db, 5000);
        src = sqlite3_prepare_v2(cs.db, "SELECT " CONV_COLUMNS " FROM conversations"
                                        " WHERE first_ms >= ?1 ORDER BY id", -1, &q, NULL);
    }
    if (src != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", db_path,
                 cs.db ? sqlite3_errmsg(cs.db) : "cannot open the database");
        sqlite3_close(cs.db);
        return GW_EIO;
    }
    sqlite3_bind_int64(q, 1, since_ms);
    int n = walk_rows(&cs, q, fn, arg);
    if (n < 0)
        snprintf(err, errlen, "%s: reading the conversations failed", db_path);
    sqlite3_close(cs.db);
    return n;
}
