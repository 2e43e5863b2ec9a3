/* event_members.c - the conversation service's event members beside the
 * log, a row per tick; see event_members.h.
 */
#include "store/event_members.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "base/grow.h"
#include "gateway/error.h"
#include "store/conv_store.h"

static const char members_schema[] = "CREATE TABLE IF NOT EXISTS event_members ("
                                     " first_seq INTEGER PRIMARY KEY,"
                                     " last_seq INTEGER NOT NULL,"
                                     " body BLOB NOT NULL);";

/* ---- a body ----------------------------------------------------------- */

static void put_u32(char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (char)(v >> (8 * i));
}

static uint32_t get_u32(const char *p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)(unsigned char)p[i] << (8 * i);
    return v;
}

int members_body_add(char **body, size_t *len, size_t *cap, int64_t first, int64_t seq,
                     const char *text, size_t text_len)
{
    if (seq < first || seq - first > UINT32_MAX || text_len > UINT32_MAX)
        return GW_EINVAL;
    size_t need = *len + MEMBERS_RECORD_HEADER + text_len;
    char *grown = grow_array(*body, cap, need, 1, 4096);
    if (grown == NULL)
        return GW_ENOMEM;
    *body = grown;
    put_u32(grown + *len, (uint32_t)(seq - first));
    put_u32(grown + *len + 4, (uint32_t)text_len);
    memcpy(grown + *len + MEMBERS_RECORD_HEADER, text, text_len);
    *len = need;
    return GW_OK;
}

int members_walk_find(members_walk *w, int64_t seq, const char **text, size_t *text_len)
{
    if (seq < w->first)
        return 0;
    for (int pass = 0; pass < 2; pass++) {
        while (w->pos + MEMBERS_RECORD_HEADER <= w->len) {
            int64_t at = w->first + get_u32(w->body + w->pos);
            uint32_t n = get_u32(w->body + w->pos + 4);
            if (w->pos + MEMBERS_RECORD_HEADER + n > w->len)
                return 0; /* a truncated record: none past it */
            if (at > seq)
                break;
            if (at == seq) {
                *text = w->body + w->pos + MEMBERS_RECORD_HEADER;
                *text_len = n;
                return 1;
            }
            w->pos += MEMBERS_RECORD_HEADER + n;
        }
        if (w->pos == 0)
            return 0;
        w->pos = 0; /* asked for a seq before the last one: from the start */
    }
    return 0;
}

/* ---- the table -------------------------------------------------------- */

struct event_members {
    store *st;
    sqlite3_stmt *put, *prune;
};

int event_members_open(store *st, event_members **out, char *err, size_t errlen)
{
    *out = NULL;
    event_members *em = calloc(1, sizeof *em);
    if (em == NULL) {
        snprintf(err, errlen, "out of memory");
        return GW_ENOMEM;
    }
    em->st = st;
    int rc = store_write_begin_rebuildable(st);
    if (rc == GW_OK) {
        int src = sqlite3_exec(store_db(st), members_schema, NULL, NULL, NULL);
        if (src != SQLITE_OK)
            rc = store_write_failed(st, src, "event members: create the table");
    }
    if (rc == GW_OK)
        rc = conv_store_prepare(st,
                                "INSERT OR REPLACE INTO event_members (first_seq, last_seq, body)"
                                " VALUES (?1, ?2, ?3)",
                                &em->put, "event members: prepare");
    if (rc == GW_OK)
        rc = conv_store_prepare(st, "DELETE FROM event_members WHERE last_seq < ?1", &em->prune,
                                "event members: prepare");
    if (rc != GW_OK) {
        snprintf(err, errlen, "event members: %s", store_last_error(st));
        event_members_close(em);
        return rc;
    }
    *out = em;
    return GW_OK;
}

void event_members_close(event_members *em)
{
    if (em == NULL)
        return;
    sqlite3_finalize(em->put);
    sqlite3_finalize(em->prune);
    free(em);
}

int event_members_put(event_members *em, int64_t first, int64_t last, const char *body, size_t len)
{
    int rc = store_write_begin_rebuildable(em->st);
    if (rc != GW_OK)
        return rc;
    sqlite3_bind_int64(em->put, 1, first);
    sqlite3_bind_int64(em->put, 2, last);
    sqlite3_bind_blob64(em->put, 3, body, len, SQLITE_STATIC);
    int src = sqlite3_step(em->put);
    sqlite3_reset(em->put);
    sqlite3_clear_bindings(em->put);
    return src == SQLITE_DONE ? GW_OK : store_write_failed(em->st, src, "event members: a tick's");
}

int event_members_prune(event_members *em, int64_t below)
{
    int rc = store_write_begin_rebuildable(em->st);
    if (rc != GW_OK)
        return rc;
    sqlite3_bind_int64(em->prune, 1, below);
    int src = sqlite3_step(em->prune);
    sqlite3_reset(em->prune);
    return src == SQLITE_DONE ? GW_OK : store_write_failed(em->st, src, "event members: prune");
}

/* ---- the reader --------------------------------------------------------- */

struct members_reader {
    sqlite3 *db;
    sqlite3_stmt *find, *next;
    char *body; /* the last row's body, copied: the statement is reset at
                   once, so it holds no read snapshot (which would keep
                   the writer's checkpoints from ending the WAL) */
    size_t cap;
};

int members_reader_open(const char *path, members_reader **out, char *err, size_t errlen)
{
    *out = NULL;
    members_reader *r = calloc(1, sizeof *r);
    if (r == NULL) {
        snprintf(err, errlen, "out of memory");
        return GW_ENOMEM;
    }
    /* Read-write as SQLite opens a WAL database's shared memory, but
     * query_only: this connection never writes. */
    int src = sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_exec(r->db, "PRAGMA query_only = 1", NULL, NULL, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_busy_timeout(r->db, 5000);
    if (src == SQLITE_OK)
        src = sqlite3_prepare_v3(r->db,
                                 "SELECT first_seq, last_seq, body FROM event_members"
                                 " WHERE first_seq <= ?1 ORDER BY first_seq DESC LIMIT 1",
                                 -1, SQLITE_PREPARE_PERSISTENT, &r->find, NULL);
    if (src == SQLITE_OK)
        src = sqlite3_prepare_v3(r->db,
                                 "SELECT first_seq FROM event_members WHERE first_seq > ?1"
                                 " ORDER BY first_seq LIMIT 1",
                                 -1, SQLITE_PREPARE_PERSISTENT, &r->next, NULL);
    if (src != SQLITE_OK) {
        snprintf(err, errlen, "event members: %s: %s", path,
                 r->db != NULL ? sqlite3_errmsg(r->db) : sqlite3_errstr(src));
        members_reader_close(r);
        return GW_EIO;
    }
    *out = r;
    return GW_OK;
}

void members_reader_close(members_reader *r)
{
    if (r == NULL)
        return;
    sqlite3_finalize(r->find);
    sqlite3_finalize(r->next);
    sqlite3_close(r->db);
    free(r->body);
    free(r);
}

int members_reader_find(members_reader *r, int64_t seq, members_walk *w)
{
    *w = (members_walk){0};
    sqlite3_bind_int64(r->find, 1, seq);
    int src = sqlite3_step(r->find);
    int rc = src == SQLITE_DONE ? 0 : src == SQLITE_ROW ? 1 : GW_EIO;
    if (rc == 1 && sqlite3_column_int64(r->find, 1) < seq)
        rc = 0;
    if (rc == 1) {
        size_t len = (size_t)sqlite3_column_bytes(r->find, 2);
        const void *body = sqlite3_column_blob(r->find, 2);
        char *grown = grow_array(r->body, &r->cap, len + 1, 1, 4096);
        if (grown == NULL) {
            rc = GW_ENOMEM;
        } else {
            r->body = grown;
            if (len > 0)
                memcpy(grown, body, len);
            *w = (members_walk){.body = grown,
                                .len = len,
                                .first = sqlite3_column_int64(r->find, 0),
                                .last = sqlite3_column_int64(r->find, 1)};
        }
    }
    sqlite3_reset(r->find);
    if (rc != 0)
        return rc;
    /* the gap up to the next row */
    sqlite3_bind_int64(r->next, 1, seq);
    src = sqlite3_step(r->next);
    if (src == SQLITE_ROW || src == SQLITE_DONE)
        *w = (members_walk){.first = seq,
                            .last = src == SQLITE_ROW ? sqlite3_column_int64(r->next, 0) - 1
                                                      : INT64_MAX};
    sqlite3_reset(r->next);
    return src == SQLITE_ROW || src == SQLITE_DONE ? 0 : GW_EIO;
}
