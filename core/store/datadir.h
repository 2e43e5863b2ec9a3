/* datadir.h - one owner per data directory.
 *
 * Two gateways writing one SQLite log, one outbox and one set of sink
 * files corrupt each other (answers posted twice, events lost), so the
 * daemon takes an exclusive lock on the data directory before it opens
 * anything in it, and keeps it until it exits. The lock is flock(2) on
 * DATADIR_LOCK_NAME inside the directory: the kernel drops it when the
 * process dies, so a crash (kill -9) never leaves a stale lock to clean
 * up by hand. The holder's pid is written into the file for the message
 * the next one prints.
 */
#ifndef GW_DATADIR_H
#define GW_DATADIR_H

#include <stddef.h>

#define DATADIR_LOCK_NAME "gateway.lock"

typedef struct datadir_lock {
    int fd; /* -1 when not held */
} datadir_lock;

/* Create dir (and its parents, mode 0750) when missing, then take its
 * lock without waiting. Returns 0 with *lock held; GW_EBUSY when another
 * process holds it (err: "data_dir D is in use by pid N"); GW_EIO when
 * the directory cannot be made or the lock file opened (err says why).
 * *lock is { -1 } on failure. */
int datadir_lock_take(const char *dir, datadir_lock *lock, char *err, size_t errlen);

/* Release the lock (the file stays; its content is only a hint). Safe on
 * a lock never taken or already released. */
void datadir_lock_release(datadir_lock *lock);

#endif /* GW_DATADIR_H */
