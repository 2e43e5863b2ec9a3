/* plugins/forum/mentions.c - the notifications phase of a fetch.
 *
 * GET /notifications.json lists the brand user's notifications, newest
 * first, 60 a page; the answer's load_more_notifications is the link to
 * the next page (the published API documents no parameter of its own, so
 * the link is followed as given). The walk goes down page by page until
 * it meets the stored cursor (notifications_max) or the end of the list,
 * at most max_notification_pages pages; then those above the cursor are
 * handled oldest first:
 *   1 mentioned, 2 replied: the post they name (data.original_post_id) is
 *     read and emitted, as a mention (1) or by its content (2), unless
 *     this fetch emitted it already or the posts.json walk has covered it
 *     (fetch_posts on, no category filter, id at or below posts_max);
 *   6 private message: the topic is added to pm_pending, which the
 *     private phase reads besides the first page of the inbox (the only
 *     one the API offers), so a burst of PMs larger than that page is
 *     still read.
 * A post is read through its topic (/t/{id}.json, which also says
 * whether the topic is a private message, so a mention inside a PM is
 * never published as public) and, when the topic view does not hold it,
 * through /posts/{id}.json. Posts in the same topic share one topic read.
 * The cursor moves past a notification only once its post is emitted; a
 * topic or post that is gone (403, 404) is skipped.
 *
 * A walk that reads max_notification_pages pages without meeting the
 * cursor C, or runs out of max_requests on the way, becomes a capped
 * walk, carried over fetches in notifications_walk = {top T, low L, next}. T is the highest id the
 * walk saw when it began; next is the link to list on from. The invariant: every notification with
 * id <= C, or with L <= id <= T, is handled (its post emitted, its PM topic in pm_pending); those
 * in (C, L) are not yet; C moves (to T) only when the walk has closed the gap. So a capped walk
 * handles its pages newest first, lowering L as it goes (a cut leaves L just above the first one
 * not handled, and next where this fetch began, which is read again); ids at or above L that show
 * up again are skipped: offset paging moves items deeper when new ones arrive on top, and those
 * above T are left to the walk after this one, which runs from the top down to C = T. Writes: the
 * walk state is one key; on closing, C is stored first and the walk cleared after, and a stored
 * walk with T <= C is stale and dropped, so a restart at any point loses nothing (an item emitted
 * twice is dropped by the store). Not covered: notifications deleted above the offset move the rest
 * up, so the page at next may start below items never read.
 *
 * This is what delivers mentions when fetch_posts is off or the post is
 * in a category the filter leaves out.
 */
#include <stdlib.h>
#include <string.h>

#include "forum.h"
#include "mentions.h"
#include "phase.h"

static int wanted_compare(const void *a, const void *b)
{
    const forum_wanted_post *x = a, *y = b;
    return (x->notif_id > y->notif_id) - (x->notif_id < y->notif_id);
}

static bool wanted_push(forum_fetch *f, forum_wanted_post w)
{
    if (f->wanted_len == f->wanted_cap) {
        size_t cap = f->wanted_cap ? f->wanted_cap * 2 : 16;
        forum_wanted_post *bigger = realloc(f->wanted, cap * sizeof *bigger);
        if (bigger == NULL)
            return false;
        f->wanted = bigger;
        f->wanted_cap = cap;
    }
    f->wanted[f->wanted_len++] = w;
    return true;
}

/* A PM topic for the private phase (once). */
static bool hint_push(forum_fetch *f, int64_t topic_id)
{
    for (size_t i = 0; i < f->hints_len; i++)
        if (f->hints[i] == topic_id)
            return true;
    if (f->hints_len == f->hints_cap) {
        size_t cap = f->hints_cap ? f->hints_cap * 2 : 16;
        int64_t *bigger = realloc(f->hints, cap * sizeof *bigger);
        if (bigger == NULL)
            return false;
        f->hints = bigger;
        f->hints_cap = cap;
    }
    f->hints[f->hints_len++] = topic_id;
    return true;
}

/* True when the posts phase has delivered (or will deliver) this post. */
static bool covered(const forum_fetch *f, int64_t post_id)
{
    const forum_options *opt = &f->job.inst->opt;
    if (forum_phase_emitted(f, post_id))
        return true;
    return opt->fetch_posts && opt->categories == NULL && f->posts_max > 0 &&
           post_id <= f->posts_max;
}

/* Store a capped walk's state (see the invariant at the top). */
static void walk_store(forum_fetch *f, const char *next)
{
    json_t *walk = json_pack("{s:I, s:I, s:s}", "top", (json_int_t)f->nwalk_top, "low",
                             (json_int_t)f->nwalk_low, "next", next);
    if (walk != NULL)
        forum_kv_set_json(f->job.inst, FORUM_KV_NOTIF_WALK, walk);
    json_decref(walk);
    f->more = true; /* the walk goes on at once */
}

/* Store how far a capped walk got: it closed the gap to the cursor, or
 * went down a step (all it listed handled: on from the last page's link),
 * or was cut (handled down to the first one not: from where it began). */
static void walk_save(forum_fetch *f)
{
    gw_instance *inst = f->job.inst;
    bool done = f->wanted_next >= f->wanted_len;
    if (done && f->notif_reached) {
        forum_kv_set_i64(inst, FORUM_KV_NOTIF_MAX, f->nwalk_top);
        f->notif_stored = f->nwalk_top;
        forum_kv_set_json(inst, FORUM_KV_NOTIF_WALK, json_null());
        f->more = true; /* what arrived above the walk meanwhile */
        return;
    }
    if (done) {
        if (f->notif_low < f->nwalk_low)
            f->nwalk_low = f->notif_low;
        walk_store(f, f->notif_next);
        return;
    }
    int64_t low = f->wanted[f->wanted_next].notif_id + 1;
    if (low < f->nwalk_low)
        f->nwalk_low = low;
    walk_store(f, f->notif_from);
}

/* Store how far the handled notifications go: up to the first one not
 * yet handled, or the whole walk. Only a walk that reached the stored
 * cursor gets here, or a capped one (walk_save), so everything below that
 * point has been handled. The PM topics the walk named are put where the
 * private phase finds them first, so moving past their notifications
 * loses none. */
static void mentions_save(forum_fetch *f)
{
    gw_instance *inst = f->job.inst;
    forum_pm_pending_add(inst, f->hints, f->hints_len);
    if (f->nwalk) {
        walk_save(f);
        return;
    }
    bool done = f->wanted_next >= f->wanted_len;
    int64_t cursor = done ? f->notif_max : f->wanted[f->wanted_next].notif_id - 1;
    if (cursor > f->notif_stored) {
        forum_kv_set_i64(inst, FORUM_KV_NOTIF_MAX, cursor);
        f->notif_stored = cursor;
    }
}

static void mentions_next(forum_fetch *f)
{
    gw_instance *inst = f->job.inst;
    while (f->wanted_next < f->wanted_len) {
        const forum_wanted_post *w = &f->wanted[f->wanted_next];
        if (forum_phase_emitted(f, w->post_id)) {
            f->wanted_next++;
            continue;
        }
        char path[64];
        int64_t cached = 0;
        forum_json_id(f->topic, "id", &cached);
        if (f->topic != NULL && cached == w->topic_id) {
            const json_t *post = forum_topic_post(f->topic, w->post_id);
            if (post != NULL) {
                forum_context ctx = forum_topic_context(inst, f->topic);
                ctx.mentioned = w->mentioned;
                if (!forum_phase_post(f, &ctx, post)) {
                    mentions_save(f);
                    forum_phase_stopped(f);
                    return;
                }
                f->wanted_next++;
                continue;
            }
            snprintf(path, sizeof path, "/posts/%lld.json", (long long)w->post_id);
            f->step = FORUM_STEP_POST;
        } else {
            snprintf(path, sizeof path, "/t/%lld.json", (long long)w->topic_id);
            f->step = FORUM_STEP_TOPIC;
        }
        switch (forum_phase_get(f, path)) {
        case FORUM_SENT:
        case FORUM_GONE:
            return;
        case FORUM_BUDGET:
        default:
            mentions_save(f);
            forum_phase_over(f);
            return;
        }
    }
    mentions_save(f);
    forum_phase_over(f);
}

/* The path of a load_more_notifications link (borrowed; points into
 * link), or NULL when it is not a plain path on the forum: the walk
 * requests only what the forum itself named, and only from the forum. A
 * forum under a subfolder names its links with the subfolder, which
 * base_url holds already. */
static const char *link_path(const gw_instance *inst, const char *link)
{
    if (link == NULL || link[0] != '/' || link[1] == '/' || strlen(link) > 1024)
        return NULL;
    for (const char *p = link; *p != '\0'; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '\\' || *p == '#')
            return NULL;
    const char *host = strstr(inst->opt.base, "://");
    const char *prefix = host != NULL ? strchr(host + 3, '/') : NULL;
    size_t len = prefix != NULL ? strlen(prefix) : 0;
    if (len > 0 && strncmp(link, prefix, len) == 0 && link[len] == '/')
        link += len;
    return link;
}

static int newest_first(const void *a, const void *b)
{
    return wanted_compare(b, a);
}

/* Sort the wanted posts oldest first, or newest first for a capped walk
 * (which handles downwards); a notification listed twice (the list moved
 * down under the walk) is handled once. */
static void wanted_sort(forum_fetch *f)
{
    if (f->wanted_len < 2)
        return;
    qsort(f->wanted, f->wanted_len, sizeof *f->wanted, f->nwalk ? newest_first : wanted_compare);
    size_t kept = 1;
    for (size_t i = 1; i < f->wanted_len; i++)
        if (f->wanted[i].notif_id != f->wanted[kept - 1].notif_id)
            f->wanted[kept++] = f->wanted[i];
    f->wanted_len = kept;
}

/* This walk becomes a capped one, carried over the next fetches. */
static void walk_begin(forum_fetch *f)
{
    if (f->nwalk)
        return;
    f->nwalk = true;
    f->nwalk_top = f->notif_max;
    f->nwalk_low = f->notif_max + 1;
    gw_instance *inst = f->job.inst;
    inst->host->log(inst->acct, GW_LOG_INFO,
                    "forum: %llu notification pages read without reaching notification %lld; "
                    "the next fetch reads on",
                    (unsigned long long)f->notif_pages, (long long)f->notif_stored);
}

static void list_request(forum_fetch *f, const char *path)
{
    f->step = FORUM_STEP_LIST;
    if (forum_phase_get(f, path) != FORUM_BUDGET)
        return;
    if (f->notif_pages == 0) {
        forum_phase_over(f); /* nothing read, nothing to handle */
        return;
    }
    /* Out of requests half way down: what was read is kept as a capped
     * walk (handled as far as the budget goes, which may be nothing), so
     * a small max_requests still makes progress fetch by fetch. */
    walk_begin(f);
    wanted_sort(f);
    mentions_next(f);
}

static void list_response(forum_fetch *f, forum_reply *reply)
{
    gw_instance *inst = f->job.inst;
    const json_t *list = json_object_get(reply->doc, "notifications");
    if (!json_is_array(list)) {
        reply->outcome = GW_OUTCOME_RETRY;
        reply->delay_ms = 0;
        snprintf(reply->message, sizeof reply->message,
                 "GET /notifications.json: the answer has no \"notifications\" array");
        forum_phase_fail(f, reply);
        return;
    }
    f->notif_pages++;
    /* Without a cursor the first page is all there is to read; an empty
     * page is the end of the list. */
    bool reached = f->notif_stored < 0 || json_array_size(list) == 0;
    size_t i;
    const json_t *n;
    json_array_foreach(list, i, n)
    {
        int64_t id;
        if (!forum_json_id(n, "id", &id))
            continue;
        if (id > f->notif_max && !f->nwalk)
            f->notif_max = id;
        if (id < f->notif_low)
            f->notif_low = id;
    }
    if (f->notif_stored < 0 && inst->opt.backfill_pages == 0) {
        /* First fetch without backfill: what is listed is history. */
        forum_kv_set_i64(inst, FORUM_KV_NOTIF_MAX, f->notif_max > 0 ? f->notif_max : 0);
        forum_phase_over(f);
        return;
    }
    json_array_foreach(list, i, n)
    {
        int64_t id, topic, post;
        if (!forum_json_id(n, "id", &id))
            continue;
        if (id <= f->notif_stored) {
            reached = true;
            continue;
        }
        if (f->nwalk && id >= f->nwalk_low)
            continue; /* handled already, or above the walk: for the next one */
        if (!forum_json_id(n, "topic_id", &topic))
            continue;
        json_int_t type = gw_sdk_json_int(n, "notification_type", 0);
        bool ok = true;
        if ((type == FORUM_NOTIFY_MENTIONED || type == FORUM_NOTIFY_REPLIED) &&
            inst->opt.fetch_mentions) {
            if (forum_json_id(json_object_get(n, "data"), "original_post_id", &post) &&
                !covered(f, post))
                ok = wanted_push(
                    f, (forum_wanted_post){id, topic, post, type == FORUM_NOTIFY_MENTIONED});
        } else if (type == FORUM_NOTIFY_PRIVATE_MESSAGE && inst->opt.fetch_private) {
            ok = hint_push(f, topic);
        }
        if (!ok) {
            forum_job_finish(&f->job, GW_OUTCOME_RETRY, FORUM_RETRY_DEFAULT_MS,
                             "forum: out of memory", NULL);
            return;
        }
    }
    free(f->notif_next);
    f->notif_next = NULL;
    if (!reached) {
        const char *next =
            link_path(inst, gw_sdk_json_string(reply->doc, "load_more_notifications", NULL));
        if (next == NULL)
            reached = true; /* no way further down: the list ends here */
        else if ((f->notif_next = strdup(next)) == NULL) {
            forum_job_finish(&f->job, GW_OUTCOME_RETRY, FORUM_RETRY_DEFAULT_MS,
                             "forum: out of memory", NULL);
            return;
        }
    }
    f->notif_reached = reached;
    /* A capped walk handles a page with posts to read before it lists on,
     * so each fetch gets somewhere even with little left of max_requests. */
    if (!reached && f->notif_pages < inst->opt.max_notification_pages &&
        !(f->nwalk && f->wanted_len > 0)) {
        list_request(f, f->notif_next);
        return;
    }
    if (!reached)
        walk_begin(f); /* capped: it goes on at the next fetches */
    wanted_sort(f);
    mentions_next(f);
}

/* A topic or post that is gone or hidden from the brand: skip it. */
static bool gone(const forum_reply *reply)
{
    return reply->status == 403 || reply->status == 404 || reply->status == 410;
}

void forum_mentions_start(forum_fetch *f)
{
    gw_instance *inst = f->job.inst;
    f->notif_stored = forum_kv_get_i64(inst, FORUM_KV_NOTIF_MAX, -1);
    f->notif_max = f->notif_stored;
    f->notif_low = INT64_MAX;
    const char *from = "/notifications.json";
    json_t *walk = forum_kv_get_json(inst, FORUM_KV_NOTIF_WALK);
    json_int_t top = gw_sdk_json_int(walk, "top", 0), low = gw_sdk_json_int(walk, "low", 0);
    const char *next = link_path(inst, gw_sdk_json_string(walk, "next", NULL));
    if (f->notif_stored >= 0 && top > f->notif_stored && low > 0 && low <= top + 1 &&
        next != NULL) {
        f->nwalk = true;
        f->nwalk_top = top;
        f->nwalk_low = low;
        from = next;
    } else if (walk != NULL && !json_is_null(walk)) {
        /* Closed (the cursor is stored, the clearing was not) or unusable:
         * a walk from the top reads what it would have. */
        forum_kv_set_json(inst, FORUM_KV_NOTIF_WALK, json_null());
    }
    f->notif_from = strdup(from);
    json_decref(walk);
    if (f->notif_from == NULL) {
        forum_job_finish(&f->job, GW_OUTCOME_RETRY, FORUM_RETRY_DEFAULT_MS, "forum: out of memory",
                         NULL);
        return;
    }
    list_request(f, f->notif_from);
}

void forum_mentions_response(forum_fetch *f, const gw_http_response *response)
{
    gw_instance *inst = f->job.inst;
    forum_reply reply;
    const char *what = f->step == FORUM_STEP_LIST    ? "GET /notifications.json"
                       : f->step == FORUM_STEP_TOPIC ? "GET /t/{id}.json"
                                                     : "GET /posts/{id}.json";
    forum_reply_read(response, what, &reply);

    if (f->step == FORUM_STEP_LIST) {
        if (reply.outcome == GW_OUTCOME_OK)
            list_response(f, &reply);
        else
            forum_phase_fail(f, &reply);
        forum_reply_clear(&reply);
        return;
    }

    const forum_wanted_post *w = &f->wanted[f->wanted_next];
    if (reply.outcome != GW_OUTCOME_OK && gone(&reply)) {
        inst->host->log(inst->acct, GW_LOG_INFO, "forum: notification %lld: %s; skipped",
                        (long long)w->notif_id, reply.message);
        if (f->step == FORUM_STEP_TOPIC) {
            int64_t topic = w->topic_id;
            while (f->wanted_next < f->wanted_len && f->wanted[f->wanted_next].topic_id == topic)
                f->wanted_next++;
        } else {
            f->wanted_next++;
        }
        forum_reply_clear(&reply);
        mentions_next(f);
        return;
    }
    if (reply.outcome != GW_OUTCOME_OK) {
        mentions_save(f);
        forum_phase_fail(f, &reply);
        forum_reply_clear(&reply);
        return;
    }
    if (f->step == FORUM_STEP_TOPIC) {
        json_decref(f->topic);
        f->topic = json_incref(reply.doc);
        /* File the view under the id asked for, so mentions_next matches
         * it even when the forum moved or merged the topic meanwhile. */
        json_object_set_new(f->topic, "id", json_integer(w->topic_id));
        forum_refs_add_posts(inst,
                             json_object_get(json_object_get(f->topic, "post_stream"), "posts"));
        forum_reply_clear(&reply);
        /* The post is in the view, or mentions_next asks for it alone. */
        mentions_next(f);
        return;
    }
    forum_context ctx = forum_topic_context(inst, f->topic);
    ctx.mentioned = w->mentioned;
    bool go_on = forum_phase_post(f, &ctx, reply.doc);
    forum_reply_clear(&reply);
    f->wanted_next++;
    if (!go_on) {
        mentions_save(f);
        forum_phase_stopped(f);
        return;
    }
    mentions_next(f);
}
