/* store_checkpoint.c - WAL checkpoints on a thread (see store_checkpoint.h).
 *
 * The loop thread only sees the WAL hook (a comparison and, past the
 * threshold, a signal); the thread waits on a condition variable and
 * checkpoints with its own connection. */
#include "store/store_checkpoint.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

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
        int log = 0, done = 0;
        int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
        pthread_mutex_lock(&c->mu);
        if (rc == SQLITE_OK)
            c->stats.runs++;
        else
            c->stats.failures++;
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
    if ((uint64_t)pages > c->stats.max_pages)
        c->stats.max_pages = (uint64_t)pages;
    if ((unsigned)pages >= c->threshold && !c->pending) {
        c->pending = 1;
        pthread_cond_signal(&c->cv);
    }
    pthread_mutex_unlock(&c->mu);
    return SQLITE_OK;
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
    c->threshold = threshold_pages ? threshold_pages : STORE_CHECKPOINT_PAGES;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    int rc = sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK)
        /* the checkpoint syncs the database file as the store's commits do */
        rc = sqlite3_exec(c->db,
                          synchronous_full ? "PRAGMA synchronous = FULL"
                                           : "PRAGMA synchronous = NORMAL",
                          NULL, NULL, NULL);
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
