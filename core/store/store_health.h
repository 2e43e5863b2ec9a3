/* store_health.h - the store's failure bookkeeping: the last error as one
 * line, how many writes and commits failed, since when the store is
 * failing, and whether a failure is one that retrying cannot fix.
 *
 * Why apart from store.c: store.c says what is written and when; this
 * file decides what a failure means for the process (store.h's
 * store_status), which GET /readyz, GET /metrics and the daemon's
 * decision to exit read. Internal to core/store/.
 */
#ifndef GW_STORE_HEALTH_H
#define GW_STORE_HEALTH_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef struct store_health {
    char error[512];           /* last failure, one line; "" when none */
    uint64_t errors_total;     /* failed write statements and commits */
    unsigned failed_commits;   /* commits in a row that did not commit */
    uint64_t failing_since_ms; /* monotonic; 0 while healthy */
    const char *unrecoverable; /* static reason, or NULL */
} store_health;

/* Map an SQLite result code to the gateway's GW_E* codes (0 for OK,
 * DONE and ROW). */
int store_health_gw_code(int sqlite_rc);

/* Format "store <path>: <fmt...>" as the last error. */
void store_health_vset_error(store_health *h, const char *path, const char *fmt, va_list ap);

/* A write statement (or BEGIN/COMMIT) failed with sqlite_rc: counts it,
 * marks the store failing, and notes a database that cannot be written
 * at all (corrupt, not a database, read-only) as unrecoverable. */
void store_health_write_failed(store_health *h, int sqlite_rc);

/* The tick's writes were rolled back. state_lost: they carried plugin
 * key/value state or outbox rows, whose in-memory copies are now ahead
 * of the database, so only a restart (which reads the database) can
 * bring them back in line: unrecoverable. */
void store_health_commit_failed(store_health *h, int state_lost);

/* A transaction committed: the store is healthy again. */
void store_health_committed(store_health *h);

#endif /* GW_STORE_HEALTH_H */
