/* store_health.c - the store's failure bookkeeping; see store_health.h. */
#include "store/store_health.h"

#include <stdio.h>

#include <sqlite3.h>

#include "base/clock.h"
#include "gateway/error.h"

int store_health_gw_code(int sqlite_rc)
{
    switch (sqlite_rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return 0;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return GW_EBUSY;
    case SQLITE_NOMEM:
        return GW_ENOMEM;
    case SQLITE_TOOBIG:
        return GW_ERANGE;
    default:
        return GW_EIO;
    }
}

void store_health_vset_error(store_health *h, const char *path, const char *fmt, va_list ap)
{
    int n = snprintf(h->error, sizeof h->error, "store %s: ", path);
    if (n < 0 || (size_t)n >= sizeof h->error)
        return;
    vsnprintf(h->error + n, sizeof h->error - (size_t)n, fmt, ap);
}

static void mark_failing(store_health *h)
{
    if (h->failing_since_ms == 0)
        h->failing_since_ms = clock_monotonic_ms() | 1; /* never 0 */
}

/* Full disk, I/O errors and locks can clear by themselves; a database
 * SQLite calls corrupt or cannot write to does not, and every retry
 * would fail the same way. */
void store_health_write_failed(store_health *h, int sqlite_rc)
{
    h->errors_total++;
    mark_failing(h);
    switch (sqlite_rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        h->unrecoverable = "the database file is corrupt";
        break;
    case SQLITE_READONLY:
        h->unrecoverable = "the database cannot be written (read-only)";
        break;
    default:
        break;
    }
}

void store_health_commit_failed(store_health *h, int state_lost)
{
    mark_failing(h);
    h->failed_commits++;
    if (state_lost && h->unrecoverable == NULL)
        h->unrecoverable = "plugin or outbox state of the lost writes cannot be restored "
                           "while running";
}

void store_health_committed(store_health *h)
{
    h->failed_commits = 0;
    h->failing_since_ms = 0;
}
