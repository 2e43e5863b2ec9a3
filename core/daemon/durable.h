/* durable.h - the loop's commits made durable by a worker (store_sync.h):
 * what waited for a tick's commit (webhook answers, action replies, a
 * sink's recorded batch) waits until an fdatasync covering that commit
 * has returned, while the loop goes on with the next ticks.
 *
 * Used only with synchronous = "full" (store_syncer() non-NULL): with
 * "normal" SQLite never syncs at commit and the daemon runs the waiters
 * right after it, as before.
 */
#ifndef GW_DURABLE_H
#define GW_DURABLE_H

#include "engine/runtime.h"

typedef struct durable durable;

typedef struct durable_hooks {
    /* More events are durable: feed the sinks and the live streams. */
    void (*advanced)(void *arg);
    /* The fdatasync failed (why: a message naming the file): the
     * commits it was to cover may not be on disk; their waiters have
     * been told "not committed". The daemon stops on it. */
    void (*failed)(void *arg, const char *why);
    void *arg;
} durable_hooks;

/* Start deferring for rt's store (whose store_syncer() is non-NULL).
 * Returns 0 and sets *out, or GW_ENOMEM. */
int durable_open(gw_runtime *rt, const durable_hooks *hooks, durable **out);

/* Right after a successful store_commit_unsynced(): the waiters queued
 * for this tick wait for the sync that covers it, which starts now
 * unless one is running (then the next one starts when it returns). */
void durable_committed(durable *d);

/* Shutting down, after a synchronous store_commit(): run every waiter
 * still queued, with committed = ok, and free d once no sync is running
 * (a running one's result is then ignored). NULL is a no-op. */
void durable_close(durable *d, int ok);

#endif /* GW_DURABLE_H */
