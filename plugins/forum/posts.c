/* plugins/forum/posts.c - the posts.json phase of a fetch: the walk.
 *
 * posts.json lists the forum's latest public posts, newest first, and
 * takes before=<id> to page down. The walk reads pages until it reaches
 * the stored cursor (posts_max), emitting every post above it, then moves
 * the cursor to the highest id it saw. A walk longer than max_pages is
 * saved half way (posts_walk_top, posts_walk_before) and continued by the
 * next fetch before anything newer is read, so a backlog is never
 * skipped. The very first fetch of an account has no cursor; it delivers
 * at most backfill_pages pages of history (0: none) and starts from the
 * newest post.
 */
#include <stdio.h>
#include <string.h>

#include "forum.h"
#include "phase.h"
#include "posts.h"

static void posts_request(forum_fetch *f);

/* The walk ends: reached says whether it got down to its floor. */
static void posts_stop(forum_fetch *f, bool reached, int64_t low)
{
    gw_instance *inst = f->job.inst;
    if (f->walk_pages == 0) {
        /* No page was read (out of requests): nothing learnt, nothing to
         * store; an unfinished walk keeps its saved state. */
        forum_phase_over(f);
        return;
    }
    if (reached || f->walk_first_run) {
        /* A first run that ran out of backfill pages leaves the older
         * history unread on purpose. */
        int64_t top = f->walk_top > f->walk_floor ? f->walk_top : f->walk_floor;
        forum_kv_set_i64(inst, FORUM_KV_POSTS_MAX, top);
        forum_kv_set_i64(inst, FORUM_KV_WALK_TOP, 0);
        forum_kv_set_i64(inst, FORUM_KV_WALK_BEFORE, 0);
        f->posts_max = top;
    } else if (f->walk_top > 0 && low > 0) {
        forum_kv_set_i64(inst, FORUM_KV_WALK_TOP, f->walk_top);
        forum_kv_set_i64(inst, FORUM_KV_WALK_BEFORE, low);
        f->more = true;
    }
    forum_phase_over(f);
}

void forum_posts_start(forum_fetch *f)
{
    gw_instance *inst = f->job.inst;
    const forum_options *opt = &inst->opt;
    int64_t top = forum_kv_get_i64(inst, FORUM_KV_WALK_TOP, 0);
    int64_t before = forum_kv_get_i64(inst, FORUM_KV_WALK_BEFORE, 0);
    f->walk_floor = f->posts_max > 0 ? f->posts_max : 0;
    f->walk_first_run = f->posts_max < 0;
    if (top > 0 && before > 0 && top > f->walk_floor) {
        /* An unfinished walk goes on where it stopped. */
        f->walk_top = top;
        f->walk_before = before;
        f->walk_first_run = false;
    }
    f->walk_page_limit = opt->max_pages;
    if (f->walk_first_run && opt->backfill_pages < f->walk_page_limit)
        f->walk_page_limit = opt->backfill_pages > 0 ? opt->backfill_pages : 1;
    posts_request(f);
}

static void posts_request(forum_fetch *f)
{
    char path[64];
    if (f->walk_before > 0)
        snprintf(path, sizeof path, "/posts.json?before=%lld", (long long)f->walk_before);
    else
        snprintf(path, sizeof path, "/posts.json");
    f->step = FORUM_STEP_LIST;
    switch (forum_phase_get(f, path)) {
    case FORUM_SENT:
    case FORUM_GONE:
        return;
    case FORUM_BUDGET:
    default:
        /* Out of requests: an unstarted walk has nothing to save. */
        posts_stop(f, false, f->walk_before);
        return;
    }
}

void forum_posts_response(forum_fetch *f, const gw_http_response *response)
{
    gw_instance *inst = f->job.inst;
    forum_reply reply;
    forum_reply_read(response, "GET /posts.json", &reply);
    const json_t *latest = json_object_get(reply.doc, "latest_posts");
    if (reply.outcome == GW_OUTCOME_OK && !json_is_array(latest)) {
        reply.outcome = GW_OUTCOME_RETRY;
        reply.delay_ms = 0;
        snprintf(reply.message, sizeof reply.message,
                 "GET /posts.json: the answer has no \"latest_posts\" array");
    }
    if (reply.outcome != GW_OUTCOME_OK) {
        /* The brand user can always read the latest posts, so a refusal here
         * is the key itself: Discourse says 403 invalid_access, not 401. */
        if (reply.status == 403 &&
            strcmp(gw_sdk_json_string(reply.doc, "error_type", ""), "invalid_access") == 0 &&
            GW_HOST_HAS(inst->host, credentials_failed))
            inst->host->credentials_failed(inst->acct,
                                           "Discourse answered 403 invalid_access to "
                                           "GET /posts.json: the API key or username is invalid");
        forum_phase_fail(f, &reply);
        forum_reply_clear(&reply);
        return;
    }
    f->walk_pages++;
    forum_refs_add_posts(inst, latest);
    forum_context ctx = forum_context_for(inst);
    ctx.archetype = FORUM_ARCHETYPE_REGULAR; /* posts.json lists public posts only */
    const bool deliver = !(f->walk_first_run && inst->opt.backfill_pages == 0);

    int64_t low = 0, high = 0;
    bool reached = false;
    /* Oldest first, so the sinks see a page in the order it was written. */
    for (size_t i = json_array_size(latest); i-- > 0;) {
        const json_t *post = json_array_get(latest, i);
        int64_t id, category;
        if (!forum_json_id(post, "id", &id))
            continue;
        if (id <= f->walk_floor) {
            reached = true;
            continue;
        }
        if (f->walk_before > 0 && id >= f->walk_before)
            continue; /* not what before= asked for; read earlier anyway */
        if (low == 0 || id < low)
            low = id;
        if (id > high)
            high = id;
        if (!deliver)
            continue;
        if (forum_json_id(post, "category_id", &category) &&
            !forum_category_wanted(&inst->opt, category))
            continue;
        if (!forum_phase_post(f, &ctx, post)) {
            forum_reply_clear(&reply);
            forum_phase_stopped(f);
            return;
        }
    }
    forum_reply_clear(&reply);
    if (high > f->walk_top)
        f->walk_top = high;
    /* An empty page is the bottom of the forum; ids one apart leave no
     * room for a post in between. */
    if (low == 0 || low <= f->walk_floor + 1)
        reached = true;
    if (reached) {
        posts_stop(f, true, 0);
    } else if (f->walk_pages >= f->walk_page_limit || !deliver) {
        if (f->walk_pages >= f->walk_page_limit && !f->walk_first_run)
            inst->host->log(inst->acct, GW_LOG_INFO,
                            "forum: %llu pages read, the rest of the backlog (below post %lld) "
                            "follows in the next fetch",
                            (unsigned long long)f->walk_pages, (long long)low);
        posts_stop(f, false, low);
    } else {
        f->walk_before = low;
        posts_request(f);
    }
}
