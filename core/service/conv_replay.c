/* conv_replay.c - the log's events after the service database's applied
 * seq, applied again (at start, and after a reload): what a crash between
 * the log's commit and the service's took, or a commit the service lost.
 * None of those events has left the gateway (egress waits for the
 * service's commit), so conv_assign_replay decides them again; an event
 * stored with its members inside (an older data directory) keeps its ids.
 */
#include <stdio.h>

#include "gateway/error.h"
#include "service/conv_state.h"

/* Events read from the log at a time while applying them again. */
#define REPLAY_BATCH 1024

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

int conv_replay_log(conv_service *svc)
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
