/* plugins/forum/fetch.c - the fetch job: its phases, in order.
 *
 * One fetch runs three phases in order, each optional: new posts
 * (posts.c), posts that mention or answer the brand (mentions.c), and
 * private messages (private.c). Each phase emits what it read and then
 * stores its own cursor with kv_set, after the emits, so the host's
 * commit never holds a cursor ahead of its events; a crash in between
 * replays items the host then drops as duplicates ("forum:<post id>").
 * A fetch sends at most max_requests requests; what is left is marked
 * `more` and the fetch completes with delay 0 so the next one follows at
 * once.
 *
 * This file is the driver: it owns the fetch job, starts each phase in
 * turn and routes every answer to the phase that asked. The phases call
 * nothing here; they end by calling forum_phase_over (phase.c), which
 * comes back through the phase_over callback set below.
 *
 * A fetch still running when the host gave up on it (the operation
 * timeout) is superseded by the next one: its pending answer is dropped
 * unread and its op completed (the host ignores that completion).
 */
#include <stdlib.h>

#include "forum.h"
#include "mentions.h"
#include "phase.h"
#include "posts.h"
#include "private.h"

static void fetch_free(forum_job *job)
{
    forum_fetch *f = (forum_fetch *)job;
    free(f->emitted);
    free(f->wanted);
    free(f->topics);
    free(f->pm_missing);
    json_decref(f->topic);
    json_decref(f->pm_state);
    json_decref(f->pm_listed);
    free(f->notif_next);
    free(f->notif_from);
    free(f->hints);
    free(f);
}

static void fetch_on_response(forum_job *job, const gw_http_response *response)
{
    forum_fetch *f = (forum_fetch *)job;
    if (job->superseded) {
        forum_job_finish(job, GW_OUTCOME_RETRY, 0, "forum: superseded by a newer fetch", NULL);
        return;
    }
    switch (f->phase) {
    case FORUM_PHASE_POSTS:
        forum_posts_response(f, response);
        break;
    case FORUM_PHASE_MENTIONS:
        forum_mentions_response(f, response);
        break;
    case FORUM_PHASE_PRIVATE:
        forum_private_response(f, response);
        break;
    case FORUM_PHASE_DONE:
    default:
        forum_job_finish(job, GW_OUTCOME_RETRY, 0, "forum: an answer after the fetch ended", NULL);
        break;
    }
}

/* Run phase f->phase, or skip it when its option is off. */
static void fetch_run_phase(forum_fetch *f)
{
    const forum_options *opt = &f->job.inst->opt;
    for (;;) {
        switch (f->phase) {
        case FORUM_PHASE_POSTS:
            if (opt->fetch_posts) {
                forum_posts_start(f);
                return;
            }
            break;
        case FORUM_PHASE_MENTIONS:
            /* Type 6 notifications name the PM topics beyond the inbox's
             * one page, so the walk runs for fetch_private alone too. */
            if (opt->fetch_mentions || opt->fetch_private) {
                forum_mentions_start(f);
                return;
            }
            break;
        case FORUM_PHASE_PRIVATE:
            if (opt->fetch_private) {
                forum_private_start(f);
                return;
            }
            break;
        case FORUM_PHASE_DONE:
        default:
            forum_job_finish(&f->job, GW_OUTCOME_OK, f->more ? 0 : GW_DELAY_POLL_INTERVAL, NULL,
                             NULL);
            return;
        }
        f->phase++;
    }
}

/* The fetch's phase_over callback: the phase that ran is done. */
static void fetch_phase_over(forum_fetch *f)
{
    if (f->phase < FORUM_PHASE_DONE)
        f->phase++;
    fetch_run_phase(f);
}

void forum_fetch_start(gw_instance *inst, gw_op *op)
{
    if (inst->fetch != NULL) {
        inst->host->log(inst->acct, GW_LOG_WARN,
                        "forum: a fetch is still waiting for the forum after the host gave up on "
                        "it; starting over");
        inst->fetch->superseded = true;
        inst->fetch = NULL;
    }
    forum_fetch *f = calloc(1, sizeof *f);
    if (f == NULL) {
        inst->host->complete(op, GW_OUTCOME_RETRY, FORUM_RETRY_DEFAULT_MS, "forum: out of memory",
                             NULL);
        return;
    }
    f->job.op = op;
    f->job.what = "fetch";
    f->job.on_response = fetch_on_response;
    f->job.free_job = fetch_free;
    f->phase_over = fetch_phase_over;
    f->posts_max = forum_kv_get_i64(inst, FORUM_KV_POSTS_MAX, -1);
    f->notif_stored = -1;
    forum_job_attach(inst, &f->job);
    inst->fetch = &f->job;
    f->phase = FORUM_PHASE_POSTS;
    fetch_run_phase(f);
}
