/* conv_db.c - the conversation service's own database (conversations.db
 * beside gateway.db): opening it (and moving an older data directory's
 * tables into it), starting its writer's thread, handing the writer each
 * tick's batch after the log's commit, and the waits before the loop
 * uses the database itself. The events it had not applied are applied
 * again by conv_replay.c.
 *
 * Why a file of its own: its rows are derived from the log (every change
 * but a close or a link is an event's), so they need not commit with
 * the events. Committing them after the log's tick, with the last seq
 * they applied, lets a crash between the two commits lose nothing (the
 * next start applies the events after that seq), and lets its writes run
 * on a thread of their own (conv_writer.c) without either database
 * waiting for the other's write lock (docs/design.md). It is written
 * with the log's synchronous setting: it holds the members of the events
 * (conv_members.c), which leave the gateway once it committed them.
 */
#include <stdio.h>

#include "gateway/error.h"
#include "service/conv_service.h"
#include "service/conv_state.h"
#include "service/conv_writer.h"
#include "store/store_checkpoint.h"

int conv_db_open(conv_service *svc, const char *path, char *err, size_t errlen)
{
    /* the copy of an older data directory's tables takes the log's last
     * seq as applied: nothing of the log's may be left uncommitted */
    if (store_commit(svc->st) != GW_OK) {
        snprintf(err, errlen, "conversations: %s", store_last_error(svc->st));
        return GW_EIO;
    }
    /* As durable as the log: the events' members are here, and no event
     * leaves before the commit that holds them (conv_members.c). */
    store_options o = {.synchronous_full = svc->opt.synchronous_full, .bare = 1};
    int rc = store_open(path, &o, &svc->db, err, errlen);
    if (rc == GW_OK)
        rc = conv_store_open(svc->db, &svc->cs, err, errlen);
    if (rc == GW_OK)
        rc = contact_store_open(svc->cs, &svc->ks, err, errlen);
    if (rc == GW_OK)
        rc = event_members_open(svc->db, &svc->em, err, errlen);
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
    /* the events' members read back where they leave, on a connection
     * of the loop's own: it never waits for the writer's (their table was
     * committed above, with the others) */
    if (rc == GW_OK)
        rc = members_reader_open(path, &svc->reader, err, errlen);
    /* checkpoints on a thread of their own, as the log's (SQLite's
     * automatic one would fsync on the committing thread), with the
     * setting the file was opened with */
    char cerr[256];
    if (rc == GW_OK && store_checkpoint_start(svc->db, path, svc->opt.synchronous_full, 0,
                                              &svc->checkpointer, cerr, sizeof cerr) != GW_OK)
        log_write(svc->log, GW_LOG_WARN, "conversations", "checkpoints stay on the loop: %s", cerr);
    return rc;
}

void conv_db_close(conv_service *svc)
{
    conv_writer_close(svc->writer); /* when conv_service_close did not */
    svc->writer = NULL;
    contact_store_close(svc->ks);
    conv_store_close(svc->cs);
    event_members_close(svc->em);
    members_reader_close(svc->reader);
    svc->reader = NULL;
    svc->ks = NULL;
    svc->cs = NULL;
    svc->em = NULL;
    if (svc->db != NULL) {
        store_checkpoint_stop(svc->checkpointer, svc->db);
        store_rollback(svc->db); /* what was not committed did not happen */
        store_close(svc->db);
    }
    svc->checkpointer = NULL;
    svc->db = NULL;
}

int conv_db_commit(conv_service *svc)
{
    int64_t seq = store_last_seq(svc->st);
    if (seq == svc->applied_seq && !svc->uncommitted && !conv_writer_pending(svc->writer))
        return GW_OK; /* an idle tick: nothing to hand over */
    int rc = conv_writer_submit(svc->writer, seq != svc->applied_seq ? seq : -1, 1);
    if (rc == GW_OK) {
        svc->applied_seq = seq;
        svc->uncommitted = 0;
    }
    return rc;
}

void conv_db_ready(conv_service *svc)
{
    /* a failure stays for the writer's uv_async (conv_retry.c) to take */
    if (svc->writer != NULL)
        conv_writer_wait(svc->writer);
}

int conv_db_sync(conv_service *svc)
{
    if (svc->retry_ms > 0)
        return GW_EIO;
    int rc = conv_writer_submit(svc->writer, -1, 0);
    if (rc != GW_OK)
        return rc; /* rows were lost: the tick's commit fails and the retry mends it */
    svc->uncommitted = 1;
    return conv_writer_wait(svc->writer);
}

int conv_db_start_writer(conv_service *svc, const conv_writer_hooks *hooks, char *err,
                         size_t errlen)
{
    int rc = conv_writer_start(svc->loop, svc->db, svc->cs, svc->ks, svc->em, hooks, &svc->writer);
    if (rc != GW_OK)
        snprintf(err, errlen, "conversations: cannot start the writer's thread");
    return rc;
}
