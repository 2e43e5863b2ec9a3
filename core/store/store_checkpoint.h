/* store_checkpoint.h - WAL checkpoints off the loop thread.
 *
 * SQLite's automatic checkpoint runs inside the COMMIT that crosses
 * wal_autocheckpoint pages, on the committing thread: it copies the WAL
 * into the database and fsyncs both, and every connection of the gateway
 * waits through it (with synchronous = "normal", the only fsyncs a busy
 * log sees; the stall that made webhook p99 8-14x p50). Started, this
 * module turns the automatic checkpoint off on the store's connection
 * and runs PASSIVE checkpoints on a thread of its own with a connection
 * of its own (SQLite connections are per thread) whenever a commit left
 * the WAL at threshold_pages or more.
 *
 * PASSIVE never takes the write lock, so the loop's commits go on while
 * a checkpoint copies and syncs. Durability does not change: a commit is
 * durable in the WAL (synchronous as configured) before its 2xx, and a
 * checkpoint is crash-safe in SQLite whenever it runs or stops.
 *
 * SQLite starts the WAL over only at a commit that finds every frame
 * copied, which a PASSIVE run beside steady commits never leaves: the
 * WAL would grow for as long as the load lasts. So when a PASSIVE run
 * leaves threshold_pages * STORE_CHECKPOINT_RESTART_FACTOR pages or more,
 * a RESTART follows at once: it holds the write lock while it copies the
 * frames committed since the PASSIVE run and syncs, and the next commit
 * starts the WAL over. The loop's commit waits only that long; a reader
 * of another process pinning the WAL is waited for at most 100 ms, then
 * the RESTART gives up until the next run. The WAL file stays near that
 * size, and journal_size_limit (the truncation is the committing
 * thread's, an ftruncate that took 100-200 ms on a long WAL) has nothing
 * to cut.
 */
#ifndef GW_STORE_CHECKPOINT_H
#define GW_STORE_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

typedef struct store_checkpointer store_checkpointer;

/* SQLite's own default threshold for the automatic checkpoint. */
#define STORE_CHECKPOINT_PAGES 1000
/* The threshold in bytes when the caller gives none: SQLite's default
 * in its default 4096-byte pages, whatever the file's page size, so a
 * file of larger pages is not checkpointed less often. */
#define STORE_CHECKPOINT_BYTES (STORE_CHECKPOINT_PAGES * 4096u)
/* A WAL this many thresholds long after a PASSIVE run gets a RESTART. */
#define STORE_CHECKPOINT_RESTART_FACTOR 4

typedef struct store_checkpoint_stats {
    uint64_t runs;      /* checkpoints completed */
    uint64_t failures;  /* checkpoints that returned an error */
    /* PASSIVE runs that could not start: the committing connection held
     * the write lock while the WAL index's header was being rewritten
     * (about one run in two thousand under steady commits). Not an error:
     * the next commit past the threshold asks again. */
    uint64_t busy;
    uint64_t restarts;  /* of the runs, those that let the WAL start over */
    uint64_t max_pages; /* largest WAL (pages) a commit left behind */
    /* The WAL (pages) the last commit left behind: how far the commits
     * are ahead of the checkpoints now, where max_pages is the worst yet
     * (and the WAL file's size the longest the WAL ever was). */
    uint64_t last_pages;
} store_checkpoint_stats;

/* Start checkpointing s's database (at path, opened with the same
 * synchronous setting) on a thread. Call from the loop thread after
 * store_open; *out (owned; store_checkpoint_stop) is set on success.
 * threshold_pages 0: STORE_CHECKPOINT_BYTES in the file's pages.
 * Returns 0 or a GW_E* code with err set (the automatic checkpoint then
 * stays on). */
int store_checkpoint_start(store *s, const char *path, int synchronous_full,
                           unsigned threshold_pages, store_checkpointer **out, char *err,
                           size_t errlen);

/* Copy the counters (loop thread). */
void store_checkpoint_stats_get(store_checkpointer *c, store_checkpoint_stats *out);

/* Stop and join the thread (a checkpoint under way finishes first), close
 * its connection and give the automatic checkpoint back to s. Call before
 * store_close(s). NULL is a no-op. */
void store_checkpoint_stop(store_checkpointer *c, store *s);

#endif
