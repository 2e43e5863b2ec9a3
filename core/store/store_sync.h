/* store_sync.h - making the log's commits durable off the loop thread.
 *
 * With synchronous = "full" SQLite fsyncs the WAL inside every COMMIT,
 * and the loop, which commits, sat idle for that fsync on every tick:
 * about a fifth of the flood benchmark's time. Instead the store commits
 * with SQLite's NORMAL (no fsync in COMMIT) and a libuv worker runs
 * fdatasync on the WAL through a descriptor of its own; only when it
 * returns are the tick's events counted durable (store_committed_seq),
 * sinks fed, webhooks and actions answered. The guarantee is FULL's: in
 * WAL mode the two settings differ only in that fsync of the WAL at
 * commit, and nothing is acknowledged before the fsync covering it. The
 * loop meanwhile builds and commits the next tick; one fdatasync covers
 * every commit written before it started.
 *
 * store_sync_run is the one function that may run on another thread: it
 * touches only the descriptor, never SQLite or the store.
 */
#ifndef GW_STORE_SYNC_H
#define GW_STORE_SYNC_H

#include <stddef.h>

typedef struct store_sync store_sync;

/* Open the WAL of the database at db_path ("<db_path>-wal", which the
 * store's connection has created) for syncing, and sync its directory
 * once so the file's own entry is durable. Returns 0 and sets *out
 * (release with store_sync_close), or a negative GW_E* code with err
 * naming the file. */
int store_sync_open(const char *db_path, store_sync **out, char *err, size_t errlen);

/* fdatasync the WAL. Thread-safe; blocks. Returns 0, or GW_EIO with err
 * set (an I/O error, or the WAL was removed and replaced behind us: the
 * commits it held may not be on disk). */
int store_sync_run(store_sync *ss, char *err, size_t errlen);

/* Close the descriptor and free. NULL is a no-op. */
void store_sync_close(store_sync *ss);

#endif /* GW_STORE_SYNC_H */
