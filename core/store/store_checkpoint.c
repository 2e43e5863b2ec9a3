/* store_checkpoint.c - WAL checkpoints on a thread (see store_checkpoint.h).
 *
 * The loop thread only sees the WAL hook (a comparison and, past the
 * threshold, a signal); the thread waits on a condition variable and
 * checkpoints with its own connection. */
#include "store/store_checkpoint.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <sqlite3.h>

#include <gateway/error.h>

struct store_checkpointer {
    sqlite3 *db; /* owned, used by the thread only once started */
    unsigned threshold;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* under mu */
    int pending; /* a commit asked for a checkpoint */
    int stop;
    store_checkpoint_stats stats;
};

static void *checkpoint_main(void *arg)
{
    store_checkpointer *c = arg;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (!c->pending && !c->stop)
            pthread_cond_wait(&c->cv, &c->mu);
        if (c->stop)
            break;
        c->pending = 0;
        pthread_mutex_unlock(&c->mu);
        int log = 0, done = 0, restarted = 0;
        int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
        /* Under steady commits a PASSIVE run never finds the WAL copied
         * whole when the loop begins its next transaction, and only then
         * does SQLite start the WAL over: it grew ~30 MiB/s under webhook
         * load, and the commit that finally restarted it truncated it to
         * journal_size_limit on the loop thread (ftruncate of 365 MiB:
         * a 219 ms loop iteration). So a long WAL gets a RESTART right
         * after the PASSIVE run: it takes the write lock, copies the few
         * frames committed since, syncs, and lets the next commit start
         * the WAL over. The loop waits for it only that long. */
        if (rc == SQLITE_OK &&
            (unsigned)log >= c->threshold * STORE_CHECKPOINT_RESTART_FACTOR) {
            rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_RESTART, &log, &done);
            restarted = rc == SQLITE_OK;
            if (rc == SQLITE_BUSY) /* gave up waiting: it ran as a PASSIVE one */
                rc = SQLITE_OK;
        }
        pthread_mutex_lock(&c->mu);
        if (rc == SQLITE_OK)
            c->stats.runs++;
        else if (rc == SQLITE_BUSY)
            c->stats.busy++;
        else
            c->stats.failures++;
        c->stats.restarts += (uint64_t)restarted;
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* sqlite3_wal_hook: after each commit on the store's connection (loop
 * thread), with the WAL's size in pages. */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
    (void)db;
    (void)name;
    store_checkpointer *c = arg;
    pthread_mutex_lock(&c->mu);
    c->stats.last_pages = (uint64_t)pages;
    if ((uint64_t)pages > c->stats.max_pages)
        c->stats.max_pages = (uint64_t)pages;
    if ((unsigned)pages >= c->threshold && !c->pending) {
        c->pending = 1;
        pthread_cond_signal(&c->cv);
    }
    pthread_mutex_unlock(&c->mu);
    return SQLITE_OK;
}

/* The checkpoint connection's busy handler. Waiting for the write lock
 * costs the loop nothing, but once a RESTART holds it, waiting for a
 * reader (another process' long read) holds the loop's next commit too:
 * 400 waits of 0.25 ms, 100 ms in all, then the RESTART gives up and
 * counts as a PASSIVE run. */
static int checkpoint_busy(void *arg, int count)
{
    (void)arg;
    if (count >= 400)
        return 0;
    nanosleep(&(struct timespec){.tv_nsec = 250 * 1000}, NULL);
    return 1;
}

/* STORE_CHECKPOINT_BYTES in pages of the file c's connection opened. */
static int file_threshold(store_checkpointer *c)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(c->db, "PRAGMA page_size", -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int size = sqlite3_column_int(st, 0);
        c->threshold = STORE_CHECKPOINT_BYTES / (unsigned)(size >= 512 ? size : 4096);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

static void checkpointer_free(store_checkpointer *c)
{
    sqlite3_close(c->db);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

int store_checkpoint_start(store *s, const char *path, int synchronous_full,
                           unsigned threshold_pages, store_checkpointer **out, char *err,
                           size_t errlen)
{
    *out = NULL;
    store_checkpointer *c = calloc(1, sizeof *c);
    if (c == NULL) {
        snprintf(err, errlen, "out of memory");
        return GW_ENOMEM;
    }
    c->threshold = threshold_pages;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    int rc = sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK)
        /* the checkpoint syncs the database file as the store's commits do */
        rc = sqlite3_exec(c->db,
                          synchronous_full ? "PRAGMA synchronous = FULL"
                                           : "PRAGMA synchronous = NORMAL",
                          NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_busy_handler(c->db, checkpoint_busy, NULL);
    if (rc == SQLITE_OK && c->threshold == 0)
        rc = file_threshold(c);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "checkpoint connection to %s: %s", path,
                 c->db ? sqlite3_errmsg(c->db) : "out of memory");
        checkpointer_free(c);
        return GW_EIO;
    }
    if (pthread_create(&c->thread, NULL, checkpoint_main, c) != 0) {
        snprintf(err, errlen, "cannot start the checkpoint thread");
        checkpointer_free(c);
        return GW_EIO;
    }
    /* replaces (and so turns off) SQLite's automatic checkpoint */
    sqlite3_wal_hook(store_db(s), wal_hook, c);
    *out = c;
    return GW_OK;
}

void store_checkpoint_stats_get(store_checkpointer *c, store_checkpoint_stats *out)
{
    pthread_mutex_lock(&c->mu);
    *out = c->stats;
    pthread_mutex_unlock(&c->mu);
}

void store_checkpoint_stop(store_checkpointer *c, store *s)
{
    if (c == NULL)
        return;
    sqlite3_wal_autocheckpoint(store_db(s), STORE_CHECKPOINT_PAGES);
    pthread_mutex_lock(&c->mu);
    c->stop = 1;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    checkpointer_free(c);
}
