/* conv_db.c - the conversation service's own database (conversations.db
 * beside gateway.db): opening it, committing it after the log, and
 * applying again the events of the log it had not applied.
 *
 * Why a file of its own: its rows are derived from the log (every change
 * but a close or a link is an event's), so they need not commit with
 * the events. Committing them after the log's tick, with the last seq
 * they applied, lets a crash between the two commits lose nothing (the
 * next start applies the events after that seq), and lets the service
 * later move to a thread of its own without either database waiting for
 * the other's write lock (docs/design.md, "What remains"). It is
 * written with synchronous = NORMAL, whatever the log's setting: a power
 * loss may take its last commits, which the log then gives back.
 */
#include <stdio.h>

#include "gateway/error.h"
#include "service/conv_service.h"
#include "service/conv_state.h"
#include "store/store_checkpoint.h"

/* Events read from the log at a time while applying them again. */
#define REPLAY_BATCH 1024

int conv_db_open(conv_service *svc, const char *path, char *err, size_t errlen)
{
    /* the copy of an older data directory's tables takes the log's last
     * seq as applied: nothing of the log's may be left uncommitted */
    if (store_commit(svc->st) != GW_OK) {
        snprintf(err, errlen, "conversations: %s", store_last_error(svc->st));
        return GW_EIO;
    }
    store_options o = {.synchronous_full = 0, .bare = 1};
    int rc = store_open(path, &o, &svc->db, err, errlen);
    if (rc == GW_OK)
        rc = conv_store_open(svc->db, &svc->cs, err, errlen);
    if (rc == GW_OK)
        rc = contact_store_open(svc->cs, &svc->ks, err, errlen);
    int64_t applied = -1;
    if (rc == GW_OK &&
        (store_commit(svc->db) != GW_OK || conv_store_applied(svc->cs, &applied) != GW_OK)) {
        snprintf(err, errlen, "conversations: %s: %s", path, store_last_error(svc->db));
        rc = GW_EIO;
    }
    int64_t copied = 0;
    if (rc == GW_OK && applied < 0 &&
        (rc = conv_store_import(svc->cs, store_path(svc->st), store_last_seq(svc->st), &copied, err,
                                errlen)) == GW_OK &&
        copied > 0)
        log_write(svc->log, GW_LOG_INFO, "conversations",
                  "moved %lld conversations from %s into %s", (long long)copied,
                  store_path(svc->st), path);
    /* the log's copies go once this file has them (again after a crash
     * between the copy and the drop) */
    if (rc == GW_OK &&
        (conv_store_drop_from_log(svc->st) != GW_OK || store_commit(svc->st) != GW_OK)) {
        snprintf(err, errlen, "conversations: dropping the moved tables from %s: %s",
                 store_path(svc->st), store_last_error(svc->st));
        rc = GW_EIO;
    }
    /* checkpoints off the loop, as the log's: with synchronous = NORMAL
     * SQLite's automatic one would fsync on the loop thread */
    char cerr[256];
    if (rc == GW_OK && store_checkpoint_start(svc->db, path, 0, STORE_CHECKPOINT_PAGES,
                                              &svc->checkpointer, cerr, sizeof cerr) != GW_OK)
        log_write(svc->log, GW_LOG_WARN, "conversations", "checkpoints stay on the loop: %s", cerr);
    return rc;
}

void conv_db_close(conv_service *svc)
{
    contact_store_close(svc->ks);
    conv_store_close(svc->cs);
    svc->ks = NULL;
    svc->cs = NULL;
    if (svc->db != NULL) {
        store_checkpoint_stop(svc->checkpointer, svc->db);
        store_rollback(svc->db); /* what was not committed did not happen */
        store_close(svc->db);
    }
    svc->checkpointer = NULL;
    svc->db = NULL;
}

typedef struct replay_walk {
    conv_service *svc;
    int64_t last;
    size_t applied, unknown;
} replay_walk;

static int replay_one(void *arg, int64_t seq, const char *json, size_t len)
{
    replay_walk *w = arg;
    w->last = seq;
    json_t *ev = json_loadb(json, len, 0, NULL);
    int rc = ev != NULL ? conv_assign_replay(w->svc, ev, seq) : GW_EINVAL;
    json_decref(ev);
    if (rc == 1)
        w->applied++;
    else if (rc < 0 && w->unknown++ == 0) /* the first only: the rest would say the same */
        log_write(w->svc->log, GW_LOG_WARN, "conversations", "event seq %lld left out: %s",
                  (long long)seq,
                  rc == GW_ENOENT ? "it names a conversation this database does not hold"
                                  : "it is not readable");
    return 0;
}

int conv_db_replay(conv_service *svc)
{
    int64_t applied = -1;
    int rc = conv_store_applied(svc->cs, &applied);
    if (rc != GW_OK)
        return rc;
    int64_t upto = store_last_seq(svc->st);
    if (applied > upto) {
        /* the log lost its last commits (a power loss before they reached
         * the disk) and this file kept some: new events must not take
         * the seqs its conversations list */
        log_write(svc->log, GW_LOG_WARN, "conversations",
                  "%s has applied the log up to seq %lld, but the log ends at %lld: the log "
                  "lost its last commits to a power loss; seqs up to %lld are skipped, and "
                  "conversations may list events that are gone",
                  store_path(svc->db), (long long)applied, (long long)upto, (long long)applied);
        return store_skip_seqs(svc->st, applied) == GW_OK ? 0 : GW_EIO;
    }
    replay_walk w = {.svc = svc, .last = applied};
    for (int64_t from = -1; from != w.last;) {
        from = w.last;
        if ((rc = store_read_upto(svc->st, from, upto, REPLAY_BATCH, replay_one, &w)) < 0)
            return rc;
    }
    if (w.last > applied)
        log_write(svc->log, GW_LOG_INFO, "conversations",
                  "applied the log's events %lld to %lld again: %zu concerned conversations",
                  (long long)applied + 1, (long long)w.last, w.applied);
    return (int)(w.applied > INT32_MAX ? INT32_MAX : w.applied);
}

int conv_db_commit(conv_service *svc)
{
    int64_t seq = store_last_seq(svc->st);
    int rc = seq != svc->applied_seq ? conv_store_set_applied(svc->cs, seq) : GW_OK;
    if (rc == GW_OK)
        rc = store_commit(svc->db);
    if (rc == GW_OK)
        svc->applied_seq = seq;
    else
        log_write(svc->log, GW_LOG_ERROR, "conversations", "cannot commit %s: %s",
                  store_path(svc->db), store_last_error(svc->db));
    return rc;
}
