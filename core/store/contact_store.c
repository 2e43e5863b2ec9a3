/* contact_store.c - the contacts' statements; see contact_store.h. */
#include "store/contact_store.h"

#include <stdio.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "gateway/error.h"

#define CONTACT_COLUMNS                                                                            \
    "id, network, author, handle, name, followers, first_ms, last_ms, items, open, person"

struct contact_store {
    store *st;
    sqlite3 *db;
    sqlite3_stmt *put;  /* hot: once per tick per changed contact */
    sqlite3_stmt *find; /* a cache miss */
};

int contact_store_open(conv_store *cs, contact_store **out, char *err, size_t errlen)
{
    *out = NULL;
    contact_store *ks = calloc(1, sizeof *ks);
    if (ks == NULL) {
        snprintf(err, errlen, "out of memory");
        return GW_ENOMEM;
    }
    ks->st = conv_store_store(cs);
    ks->db = store_db(ks->st);
    static const char put[] =
        "INSERT INTO contacts (" CONTACT_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
        " ?10, ?11) ON CONFLICT (id) DO UPDATE SET handle = excluded.handle,"
        " name = excluded.name, followers = excluded.followers, last_ms = excluded.last_ms,"
        " items = excluded.items, open = excluded.open, person = excluded.person";
    static const char find[] = "SELECT " CONTACT_COLUMNS " FROM contacts"
                               " WHERE network = ?1 AND author = ?2";
    int src = sqlite3_prepare_v3(ks->db, put, -1, SQLITE_PREPARE_PERSISTENT, &ks->put, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_prepare_v3(ks->db, find, -1, SQLITE_PREPARE_PERSISTENT, &ks->find, NULL);
    if (src != SQLITE_OK) {
        snprintf(err, errlen, "contacts: prepare: %s", sqlite3_errmsg(ks->db));
        contact_store_close(ks);
        return GW_EIO;
    }
    *out = ks;
    return GW_OK;
}

void contact_store_close(contact_store *ks)
{
    if (ks == NULL)
        return;
    sqlite3_finalize(ks->put);
    sqlite3_finalize(ks->find);
    free(ks);
}

static void bind_text_or_null(sqlite3_stmt *q, int col, const char *s)
{
    if (s != NULL)
        sqlite3_bind_text(q, col, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, col);
}

int contact_store_put(contact_store *ks, const contact_row *r)
{
    int rc = store_write_begin_rebuildable(ks->st);
    if (rc != GW_OK)
        return rc;
    sqlite3_stmt *q = ks->put;
    sqlite3_bind_int64(q, 1, r->id);
    sqlite3_bind_text(q, 2, r->network, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, r->author, -1, SQLITE_STATIC);
    bind_text_or_null(q, 4, r->handle);
    bind_text_or_null(q, 5, r->name);
    sqlite3_bind_int64(q, 6, r->followers);
    sqlite3_bind_int64(q, 7, r->first_ms);
    sqlite3_bind_int64(q, 8, r->last_ms);
    sqlite3_bind_int64(q, 9, r->items);
    sqlite3_bind_int64(q, 10, r->open);
    sqlite3_bind_int64(q, 11, r->person);
    int src = sqlite3_step(q);
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return src == SQLITE_DONE ? GW_OK : store_write_failed(ks->st, src, "contacts: write");
}

/* Step q to the end handing rows to fn; resets (keep) or finalizes q. */
static int walk(contact_store *ks, sqlite3_stmt *q, int keep, contact_row_fn fn, void *arg)
{
    int n = 0, src, rc = GW_OK;
    while ((src = sqlite3_step(q)) == SQLITE_ROW) {
        contact_row r = {
            .id = sqlite3_column_int64(q, 0),
            .network = (const char *)sqlite3_column_text(q, 1),
            .author = (const char *)sqlite3_column_text(q, 2),
            .handle = (const char *)sqlite3_column_text(q, 3),
            .name = (const char *)sqlite3_column_text(q, 4),
            .followers = sqlite3_column_int64(q, 5),
            .first_ms = sqlite3_column_int64(q, 6),
            .last_ms = sqlite3_column_int64(q, 7),
            .items = sqlite3_column_int64(q, 8),
            .open = sqlite3_column_int64(q, 9),
            .person = sqlite3_column_int64(q, 10),
        };
        if (r.network == NULL || r.author == NULL) {
            rc = GW_ENOMEM;
            break;
        }
        n++;
        if ((rc = fn(arg, &r)) != 0)
            break;
    }
    if (rc == GW_OK && src != SQLITE_DONE && src != SQLITE_ROW)
        rc = store_write_failed(ks->st, src, "contacts: read");
    if (keep) {
        sqlite3_reset(q);
        sqlite3_clear_bindings(q);
    } else {
        sqlite3_finalize(q);
    }
    return rc < 0 ? rc : n;
}

static int prepare_read(contact_store *ks, const char *sql, sqlite3_stmt **q)
{
    return conv_store_prepare(ks->st, sql, q, "contacts: prepare a read");
}

int contact_store_find(contact_store *ks, const char *network, const char *author,
                       contact_row_fn fn, void *arg)
{
    sqlite3_bind_text(ks->find, 1, network, -1, SQLITE_STATIC);
    sqlite3_bind_text(ks->find, 2, author, -1, SQLITE_STATIC);
    return walk(ks, ks->find, 1, fn, arg);
}

int contact_store_get(contact_store *ks, int64_t id, contact_row_fn fn, void *arg)
{
    sqlite3_stmt *q = NULL;
    int rc = prepare_read(ks, "SELECT " CONTACT_COLUMNS " FROM contacts WHERE id = ?1", &q);
    if (rc != GW_OK)
        return rc;
    sqlite3_bind_int64(q, 1, id);
    return walk(ks, q, 0, fn, arg);
}

int contact_store_each_recent(contact_store *ks, size_t limit, contact_row_fn fn, void *arg)
{
    sqlite3_stmt *q = NULL;
    int rc = prepare_read(ks, "SELECT " CONTACT_COLUMNS " FROM contacts"
                              " ORDER BY last_ms DESC LIMIT ?1", &q);
    if (rc != GW_OK)
        return rc;
    sqlite3_bind_int64(q, 1, (int64_t)limit);
    return walk(ks, q, 0, fn, arg);
}

int contact_store_each_of_person(contact_store *ks, int64_t person, contact_row_fn fn, void *arg)
{
    sqlite3_stmt *q = NULL;
    int rc = prepare_read(ks, "SELECT " CONTACT_COLUMNS " FROM contacts WHERE person = ?1"
                              " ORDER BY id", &q);
    if (rc != GW_OK)
        return rc;
    sqlite3_bind_int64(q, 1, person);
    return walk(ks, q, 0, fn, arg);
}

int contact_store_merge_person(contact_store *ks, int64_t from, int64_t to)
{
    int rc = store_write_begin_rebuildable(ks->st);
    if (rc != GW_OK)
        return rc;
    sqlite3_stmt *q = NULL;
    int src = sqlite3_prepare_v2(ks->db, "UPDATE contacts SET person = ?2 WHERE person = ?1", -1,
                                 &q, NULL);
    if (src == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, from);
        sqlite3_bind_int64(q, 2, to);
        src = sqlite3_step(q);
    }
    sqlite3_finalize(q);
    return src == SQLITE_DONE ? GW_OK : store_write_failed(ks->st, src, "contacts: link");
}

int64_t contact_store_count(contact_store *ks)
{
    sqlite3_stmt *q = NULL;
    int64_t n = 0;
    if (sqlite3_prepare_v2(ks->db, "SELECT COUNT(*) FROM contacts", -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        n = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return n;
}
