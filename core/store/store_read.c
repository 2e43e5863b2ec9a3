/* store_read.c - reading the log: committed events in seq order for the
 * sinks and the events API (store_read), one event by id for the actions
 * (store_event_get). Appending and committing are store.c's.
 */
#include "store/store.h"

#include "store/store_internal.h"

#include <stdint.h>

#include "gateway/error.h"

int64_t store_last_seq(const store *s)
{
    return s->last_seq;
}

int64_t store_committed_seq(const store *s)
{
    return s->committed_seq;
}

int64_t store_first_seq(store *s)
{
    int64_t first = 0; /* an empty log: MIN is NULL */
    int rc = store_query_int(s, "SELECT MIN(seq) FROM events", &first);
    return rc == GW_OK ? first : rc;
}

/* The callback must not call store_read on the same store: the walk holds
 * the read statement (reported as GW_ESTATE). Other store calls are fine. */
int store_read(store *s, int64_t after_seq, size_t max_count, store_read_cb cb, void *arg)
{
    return store_read_upto(s, after_seq, s->committed_seq, max_count, cb, arg);
}

int store_read_upto(store *s, int64_t after_seq, int64_t upto_seq, size_t max_count,
                    store_read_cb cb, void *arg)
{
    sqlite3_stmt *stmt = s->event_read;
    int rc, result = 0;

    if (s->reading) {
        store_set_error(s, "store_read called from its own callback");
        return GW_ESTATE;
    }
    if (upto_seq > s->written_seq)
        upto_seq = s->written_seq; /* never the open tick's */
    if (max_count == 0 || after_seq >= upto_seq)
        return 0;
    sqlite3_bind_int64(stmt, 1, after_seq);
    sqlite3_bind_int64(stmt, 2, upto_seq);
    sqlite3_bind_int64(stmt, 3, max_count > INT64_MAX ? INT64_MAX : (int64_t)max_count);
    s->reading = 1;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64(stmt, 0);
        const char *json = (const char *)sqlite3_column_text(stmt, 1);
        size_t len = (size_t)sqlite3_column_bytes(stmt, 1);
        if (!json) {
            rc = SQLITE_NOMEM;
            break;
        }
        result = cb(arg, seq, json, len);
        if (result != 0)
            break;
    }
    s->reading = 0;
    sqlite3_reset(stmt); /* never keep a read snapshot open across ticks */
    if (result != 0)
        return result;
    if (rc != SQLITE_DONE)
        return store_fail(s, rc, "read");
    return 0;
}

/* Returns events appended in the current, uncommitted tick too: the caller
 * is in-process and sees the same state the log will have after commit. */
int store_event_get(store *s, const char *id, json_t **out)
{
    sqlite3_stmt *stmt = s->event_get;
    json_error_t jerr;
    int rc;

    *out = NULL;
    sqlite3_bind_text(stmt, 1, id, -1, SQLITE_STATIC);
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        const char *body = (const char *)sqlite3_column_text(stmt, 0);
        size_t len = (size_t)sqlite3_column_bytes(stmt, 0);
        *out = body ? json_loadb(body, len, 0, &jerr) : NULL;
        if (!*out)
            store_set_error(s, "event %s: stored body unreadable: %s", id,
                            body ? jerr.text : "out of memory");
        rc = *out ? 0 : GW_EIO;
    } else if (rc == SQLITE_DONE) {
        rc = GW_ENOENT;
    } else {
        rc = store_fail(s, rc, "get event");
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return rc;
}
