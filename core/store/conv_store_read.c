/* conv_store_read.c - the conversations read back from their tables
 * (see conv_store.h): one by id, the active ones at start-up, the API's
 * pages and a person's history, the open count of a contact, the
 * report's read-only pass, and a conversation's items. conv_store.c
 * creates the tables and writes them.
 */
#include "store/conv_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "base/grow.h"
#include "gateway/error.h"
#include "store/conv_store_internal.h"

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
    int rc = conv_store_prepare(cs->st,
                                "SELECT seqs FROM conversation_items"
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
    int rc = select_rows(cs,
                         "SELECT " CONV_COLUMNS " FROM conversations"
                         " WHERE state <> 'closed' ORDER BY id",
                         &q);
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
    conv_store_bind_text_or_null(q, 1, p->state);
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
    /* kept by hand: clang-format breaks the SQL around the macro */
    /* clang-format off */
    int rc = select_rows(cs, "SELECT " CONV_COLUMNS " FROM conversations WHERE id IN ("
                             CONTACT_CONVERSATIONS("SELECT id FROM contacts WHERE person = ?1")
                             ") ORDER BY first_ms DESC, id DESC LIMIT ?2", &q);
    /* clang-format on */
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
    /* clang-format off */
    if (sqlite3_prepare_v2(cs->db, "SELECT COUNT(*) FROM conversations WHERE id IN ("
                                   CONTACT_CONVERSATIONS("?1") ") AND state <> 'closed'",
                           -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, contact);
        sqlite3_bind_int64(q, 3, cs->linked_through);
        if (sqlite3_step(q) == SQLITE_ROW)
            n = sqlite3_column_int64(q, 0);
    }
    /* clang-format on */
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
        src = sqlite3_prepare_v2(cs.db,
                                 "SELECT " CONV_COLUMNS " FROM conversations"
                                 " WHERE first_ms >= ?1 ORDER BY id",
                                 -1, &q, NULL);
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
