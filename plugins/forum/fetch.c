/* plugins/forum/fetch.c - the fetch job and the posts.json walk.
 *
 * One fetch runs three phases in order, each optional: new posts
 * (posts.json), posts that mention or answer the brand (mentions.c), and
 * private messages (private.c). Each phase emits what it read and then
 * stores its own cursor with kv_set, after the emits, so the host's
 * commit never holds a cursor ahead of its events; a crash in between
 * replays items the host then drops as duplicates ("forum:<post id>").
 * A fetch sends at most max_requests requests; what is left is marked
 * `more` and the fetch completes with delay 0 so the next one follows at
 * once.
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
 *
 * A fetch still running when the host gave up on it (the operation
 * timeout) is superseded by the next one: its pending answer is dropped
 * unread and its op completed (the host ignores that completion).
 */
#include <stdlib.h>
#include <string.h>

#include "forum.h"

/* ---- shared helpers ------------------------------------------------------ */

int64_t forum_kv_get_i64(gw_instance *inst, const char *key, int64_t def)
{
    uint64_t value;
    int rc = gw_sdk_kv_get_u64(inst->host, inst->acct, key, UINT64_MAX, &value);
    if (rc < 0) {
        inst->host->log(inst->acct, GW_LOG_WARN, "forum: cursor '%s' unreadable (%s); ignoring it",
                        key, gw_strerror(rc));
        return def;
    }
    return value == UINT64_MAX || value > (uint64_t)INT64_MAX ? def : (int64_t)value;
}

void forum_kv_set_i64(gw_instance *inst, const char *key, int64_t value)
{
    int rc = gw_sdk_kv_set_u64(inst->host, inst->acct, key, value > 0 ? (uint64_t)value : 0);
    if (rc < 0)
        inst->host->log(inst->acct, GW_LOG_ERROR, "forum: cannot store cursor '%s': %s", key,
                        gw_strerror(rc));
}

bool forum_fetch_emitted(const forum_fetch *f, int64_t post_id)
{
    for (size_t i = 0; i < f->emitted_len; i++)
        if (f->emitted[i] == post_id)
            return true;
    return false;
}

bool forum_fetch_emit(forum_fetch *f, json_t *event, int64_t post_id)
{
    gw_instance *inst = f->job.inst;
    if (f->emitted_len == f->emitted_cap) {
        size_t cap = f->emitted_cap ? f->emitted_cap * 2 : 64;
        int64_t *bigger = realloc(f->emitted, cap * sizeof *bigger);
        if (bigger != NULL) {
            f->emitted = bigger;
            f->emitted_cap = cap;
        }
    }
    /* Without room the id is merely not remembered: the host's dedupe
     * still drops a second copy. */
    if (f->emitted_len < f->emitted_cap)
        f->emitted[f->emitted_len++] = post_id;
    int rc = inst->host->emit(inst->acct, event); /* steals event */
    if (rc == GW_ESTATE) {
        f->stopping = true;
        return false;
    }
    if (rc < 0)
        inst->host->log(inst->acct, GW_LOG_WARN, "forum: post %lld refused by the host: %s",
                        (long long)post_id, gw_strerror(rc));
    return true;
}

bool forum_fetch_post(forum_fetch *f, const forum_context *ctx, const json_t *post)
{
    gw_instance *inst = f->job.inst;
    json_t *event;
    char why[128];
    int64_t id = 0;
    forum_json_id(post, "id", &id);
    int64_t topic, number;
    if (forum_json_id(post, "topic_id", &topic) && forum_json_id(post, "post_number", &number))
        forum_refs_add(inst, topic, number, id);
    if (id > 0 && forum_fetch_emitted(f, id))
        return true;
    switch (forum_normalise_post(ctx, post, &event, why, sizeof why)) {
    case FORUM_EVENT:
        return forum_fetch_emit(f, event, id);
    case FORUM_ECHO:
    case FORUM_IGNORED:
        inst->host->log(inst->acct, GW_LOG_DEBUG, "forum: post %lld skipped: %s", (long long)id,
                        why);
        return true;
    case FORUM_INVALID:
    default:
        inst->host->log(inst->acct, GW_LOG_WARN, "forum: a post was skipped: %s", why);
        return true;
    }
}

forum_sent forum_fetch_get(forum_fetch *f, const char *path)
{
    gw_instance *inst = f->job.inst;
    if (f->requests >= inst->opt.max_requests) {
        f->more = true;
        return FORUM_BUDGET;
    }
    int rc = forum_job_send(&f->job, "GET", path, NULL);
    if (rc < 0) {
        char msg[160];
        snprintf(msg, sizeof msg, "forum: cannot send GET %.80s: %s", path, gw_strerror(rc));
        forum_job_finish(&f->job, GW_OUTCOME_RETRY, 0, msg, NULL);
        return FORUM_GONE;
    }
    f->requests++;
    return FORUM_SENT;
}

void forum_fetch_fail(forum_fetch *f, const forum_reply *reply)
{
    forum_job_finish(&f->job, reply->outcome, reply->delay_ms, reply->message, NULL);
}

void forum_fetch_stopped(forum_fetch *f)
{
    forum_job_finish(&f->job, GW_OUTCOME_RETRY, 0, "forum: the account is stopping", NULL);
}

forum_context forum_topic_context(gw_instance *inst, const json_t *topic)
{
    forum_context ctx = forum_context_for(inst);
    const char *archetype = gw_sdk_json_string(topic, "archetype", NULL);
    if (archetype != NULL)
        ctx.archetype = strcmp(archetype, "private_message") == 0 ? FORUM_ARCHETYPE_PRIVATE
                                                                  : FORUM_ARCHETYPE_REGULAR;
    ctx.topic_slug = gw_sdk_json_string(topic, "slug", NULL);
    ctx.topic_title = gw_sdk_json_string(topic, "title", NULL);
    return ctx;
}

const json_t *forum_topic_post(const json_t *topic, int64_t post_id)
{
    const json_t *posts = json_object_get(json_object_get(topic, "post_stream"), "posts");
    size_t i;
    const json_t *post;
    json_array_foreach(posts, i, post)
    {
        int64_t id;
        if (forum_json_id(post, "id", &id) && id == post_id)
            return post;
    }
    return NULL;
}

/* ---- the posts.json walk --------------------------------------------------- */

static void posts_request(forum_fetch *f);

/* The walk ends: reached says whether it got down to its floor. */
static void posts_stop(forum_fetch *f, bool reached, int64_t low)
{
    gw_instance *inst = f->job.inst;
    if (f->walk_pages == 0) {
        /* No page was read (out of requests): nothing learnt, nothing to
         * store; an unfinished walk keeps its saved state. */
        forum_fetch_next_phase(f);
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
    forum_fetch_next_phase(f);
}

static void posts_start(forum_fetch *f)
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
    switch (forum_fetch_get(f, path)) {
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

static void posts_response(forum_fetch *f, const gw_http_response *response)
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
        forum_fetch_fail(f, &reply);
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
        if (!forum_fetch_post(f, &ctx, post)) {
            forum_reply_clear(&reply);
            forum_fetch_stopped(f);
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

/* ---- the job ---------------------------------------------------------------- */

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
        posts_response(f, response);
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
                posts_start(f);
                return;
            }
            break;
        case FORUM_PHASE_MENTIONS:
            if (opt->fetch_mentions) {
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

void forum_fetch_next_phase(forum_fetch *f)
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
    f->posts_max = forum_kv_get_i64(inst, FORUM_KV_POSTS_MAX, -1);
    f->notif_stored = -1;
    forum_job_attach(inst, &f->job);
    inst->fetch = &f->job;
    f->phase = FORUM_PHASE_POSTS;
    fetch_run_phase(f);
}
