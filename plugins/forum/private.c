/* plugins/forum/private.c - the private-message phase of a fetch.
 *
 * GET /topics/private-messages/<brand>.json lists the brand user's PM
 * topics, most recently active first, each with its highest_post_number.
 * The plugin remembers, per topic, [highest post number seen, highest
 * post id handled] in one key/value entry (pm_topics, a JSON object of at
 * most FORUM_PM_STATE_MAX topics). A topic is read (GET /t/{id}.json)
 * when it is new to that memory, when its highest_post_number grew, or
 * when a notification of type 6 named it. The topic view holds the first
 * posts and the ids of all ("stream"); new posts beyond the view are read
 * one by one (GET /posts/{id}.json). Each post above the remembered id is
 * emitted as a private message; the brand's own posts are not.
 *
 * The very first fetch without backfill (backfill_pages = 0) only notes
 * the listed topics' post numbers, reading nothing: later posts are those
 * with a higher number. Such a topic's new posts beyond the view are read
 * newest first, stopping at the first old one, because their ids are not
 * known yet.
 *
 * The memory is stored after each topic, in the same loop tick as that
 * topic's emits. A topic dropped from the memory (beyond the most recent
 * FORUM_PM_STATE_MAX) and later revived is read whole again; the host's
 * dedupe drops what it already holds.
 */
#include <stdlib.h>
#include <string.h>

#include "forum.h"
#include "phase.h"
#include "private.h"

#define PM_STATE_BYTES (64 * 1024)

/* ---- the per-topic memory --------------------------------------------------- */

static bool entry_get(const json_t *state, int64_t topic, int64_t *number, int64_t *id)
{
    char key[24];
    snprintf(key, sizeof key, "%lld", (long long)topic);
    const json_t *entry = json_object_get(state, key);
    if (!json_is_array(entry) || json_array_size(entry) != 2)
        return false;
    *number = json_integer_value(json_array_get(entry, 0));
    *id = json_integer_value(json_array_get(entry, 1));
    return true;
}

static void entry_set(json_t *state, int64_t topic, int64_t number, int64_t id)
{
    char key[24];
    snprintf(key, sizeof key, "%lld", (long long)topic);
    /* On allocation failure the topic is merely read again next time. */
    json_object_set_new(state, key, json_pack("[I,I]", (json_int_t)number, (json_int_t)id));
}

static void entry_drop(json_t *state, int64_t topic)
{
    char key[24];
    snprintf(key, sizeof key, "%lld", (long long)topic);
    json_object_del(state, key);
}

static json_t *state_load(gw_instance *inst, bool *absent)
{
    *absent = false;
    char *buf = malloc(PM_STATE_BYTES);
    if (buf == NULL)
        return NULL;
    int rc = inst->host->kv_get(inst->acct, FORUM_KV_PM_TOPICS, buf, PM_STATE_BYTES);
    json_t *state = NULL;
    if (rc == GW_ENOENT) {
        *absent = true;
    } else if (rc < 0) {
        inst->host->log(inst->acct, GW_LOG_WARN, "forum: '%s' unreadable (%s); starting afresh",
                        FORUM_KV_PM_TOPICS, gw_strerror(rc));
    } else {
        state = json_loads(buf, 0, NULL);
        if (!json_is_object(state)) {
            inst->host->log(inst->acct, GW_LOG_WARN,
                            "forum: '%s' is not a JSON object; "
                            "starting afresh",
                            FORUM_KV_PM_TOPICS);
            json_decref(state);
            state = NULL;
        }
    }
    free(buf);
    return state != NULL ? state : json_object();
}

typedef struct prune_item {
    const char *key;
    int64_t id;
} prune_item;

static int prune_compare(const void *a, const void *b)
{
    const prune_item *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

/* Keep at most FORUM_PM_STATE_MAX topics: drop the least recent of those
 * the latest listing did not show. */
static void state_prune(forum_fetch *f)
{
    size_t size = json_object_size(f->pm_state);
    if (size <= FORUM_PM_STATE_MAX)
        return;
    prune_item *items = calloc(size, sizeof *items);
    if (items == NULL)
        return;
    size_t n = 0;
    const char *key;
    json_t *entry;
    json_object_foreach(f->pm_state, key, entry)
    {
        if (json_object_get(f->pm_listed, key) == NULL)
            items[n++] = (prune_item){key, json_integer_value(json_array_get(entry, 1))};
    }
    qsort(items, n, sizeof *items, prune_compare);
    size_t drop = size - FORUM_PM_STATE_MAX < n ? size - FORUM_PM_STATE_MAX : n;
    /* Copy the keys first: deleting frees them. */
    char(*keys)[24] = drop > 0 ? calloc(drop, sizeof *keys) : NULL;
    for (size_t i = 0; keys != NULL && i < drop; i++)
        gw_sdk_str_copy(keys[i], sizeof keys[i], items[i].key);
    for (size_t i = 0; keys != NULL && i < drop; i++)
        json_object_del(f->pm_state, keys[i]);
    free(keys);
    free(items);
}

static void state_save(forum_fetch *f)
{
    gw_instance *inst = f->job.inst;
    char *text = json_dumps(f->pm_state, JSON_COMPACT | JSON_SORT_KEYS);
    int rc = text != NULL ? inst->host->kv_set(inst->acct, FORUM_KV_PM_TOPICS, text) : GW_ENOMEM;
    if (rc < 0)
        inst->host->log(inst->acct, GW_LOG_ERROR, "forum: cannot store '%s': %s",
                        FORUM_KV_PM_TOPICS, gw_strerror(rc));
    free(text);
}

/* Topics still to read when the phase stops, for the next fetch: the
 * inbox lists only its first page, so a topic it no longer shows would
 * otherwise not be read again. What this fetch read through drops out. */
static void pending_save(forum_fetch *f)
{
    json_t *pending = json_array();
    for (size_t i = f->topics_next; pending != NULL && i < f->topics_len; i++)
        json_array_append_new(pending, json_integer(f->topics[i].topic_id));
    if (pending != NULL)
        forum_kv_set_json(f->job.inst, FORUM_KV_PM_PENDING, pending);
    json_decref(pending);
}

/* ---- the work list ------------------------------------------------------------ */

/* Add a topic to read, or update the listed number of one already there. */
static bool topic_want(forum_fetch *f, int64_t topic, int64_t highest)
{
    for (size_t i = 0; i < f->topics_len; i++)
        if (f->topics[i].topic_id == topic) {
            f->topics[i].highest_post_number = highest;
            return true;
        }
    if (f->topics_len == f->topics_cap) {
        size_t cap = f->topics_cap ? f->topics_cap * 2 : 16;
        forum_wanted_topic *bigger = realloc(f->topics, cap * sizeof *bigger);
        if (bigger == NULL)
            return false;
        f->topics = bigger;
        f->topics_cap = cap;
    }
    f->topics[f->topics_len++] = (forum_wanted_topic){topic, highest};
    return true;
}

static int id_ascending(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int id_descending(const void *a, const void *b)
{
    return id_ascending(b, a);
}

static bool is_new(const forum_fetch *f, int64_t id, int64_t number)
{
    if (f->pm_id > 0)
        return id > f->pm_id;
    return number > f->pm_number;
}

/* The current topic is read through: remember it. */
static void topic_done(forum_fetch *f)
{
    const forum_wanted_topic *t = &f->topics[f->topics_next];
    int64_t number =
        t->highest_post_number > f->pm_number_max ? t->highest_post_number : f->pm_number_max;
    if (f->pm_number > number)
        number = f->pm_number;
    entry_set(f->pm_state, t->topic_id, number,
              f->pm_seen_max > f->pm_id ? f->pm_seen_max : f->pm_id);
    state_save(f);
    f->topics_next++;
    f->pm_missing_len = f->pm_missing_next = 0;
    f->pm_viewed = false;
}

/* The fetch leaves the current topic half read (out of requests, or an
 * error) after its view: remember how far an ascending walk got, i.e.
 * everything below the first post id still unread, so the next fetch
 * goes on from there instead of starting the topic over. A backwards walk
 * (ids not known yet) cannot say and starts over; the host drops what it
 * delivers twice. */
static void topic_cut(forum_fetch *f)
{
    if (!f->pm_viewed || f->pm_backwards || f->topics_next >= f->topics_len)
        return;
    const forum_wanted_topic *t = &f->topics[f->topics_next];
    int64_t handled = f->pm_missing_next < f->pm_missing_len ? f->pm_missing[f->pm_missing_next] - 1
                                                             : f->pm_seen_max;
    if (handled > f->pm_id) {
        entry_set(f->pm_state, t->topic_id, f->pm_number, handled);
        state_save(f);
    }
}

static void private_next(forum_fetch *f)
{
    char path[64];
    if (f->pm_missing_next < f->pm_missing_len) {
        snprintf(path, sizeof path, "/posts/%lld.json",
                 (long long)f->pm_missing[f->pm_missing_next]);
        f->step = FORUM_STEP_POST;
    } else if (f->topics_next < f->topics_len) {
        snprintf(path, sizeof path, "/t/%lld.json", (long long)f->topics[f->topics_next].topic_id);
        f->step = FORUM_STEP_TOPIC;
    } else {
        state_prune(f);
        state_save(f);
        pending_save(f);
        forum_phase_over(f);
        return;
    }
    if (forum_phase_get(f, path) == FORUM_BUDGET) {
        topic_cut(f);
        state_prune(f);
        state_save(f);
        pending_save(f);
        forum_phase_over(f);
    }
}

/* ---- answers ------------------------------------------------------------------- */

static void list_response(forum_fetch *f, forum_reply *reply)
{
    gw_instance *inst = f->job.inst;
    const json_t *topics = json_object_get(json_object_get(reply->doc, "topic_list"), "topics");
    if (!json_is_array(topics)) {
        reply->outcome = GW_OUTCOME_RETRY;
        reply->delay_ms = 0;
        snprintf(reply->message, sizeof reply->message,
                 "GET /topics/private-messages: the answer has no \"topic_list.topics\" array");
        forum_phase_fail(f, reply);
        return;
    }
    const bool baseline = f->pm_first_run && inst->opt.backfill_pages == 0;
    size_t i;
    const json_t *t;
    json_array_foreach(topics, i, t)
    {
        int64_t id, highest = 0, number, handled;
        if (!forum_json_id(t, "id", &id))
            continue;
        forum_json_id(t, "highest_post_number", &highest);
        char key[24];
        snprintf(key, sizeof key, "%lld", (long long)id);
        json_object_set_new(f->pm_listed, key, json_true());
        bool known = entry_get(f->pm_state, id, &number, &handled);
        bool ok = true;
        if (!known && baseline)
            entry_set(f->pm_state, id, highest, 0);
        else if (!known || highest == 0 || highest > number)
            ok = topic_want(f, id, highest);
        if (!ok) {
            forum_job_finish(&f->job, GW_OUTCOME_RETRY, FORUM_RETRY_DEFAULT_MS,
                             "forum: out of memory", NULL);
            return;
        }
    }
    private_next(f);
}

static void topic_response(forum_fetch *f, forum_reply *reply)
{
    gw_instance *inst = f->job.inst;
    const forum_wanted_topic *t = &f->topics[f->topics_next];
    const char *archetype = gw_sdk_json_string(reply->doc, "archetype", "private_message");
    if (strcmp(archetype, "private_message") != 0) {
        /* Made public meanwhile: posts.json covers it now. */
        entry_drop(f->pm_state, t->topic_id);
        f->topics_next++;
        private_next(f);
        return;
    }
    json_decref(f->topic);
    f->topic = json_incref(reply->doc);
    if (!entry_get(f->pm_state, t->topic_id, &f->pm_number, &f->pm_id))
        f->pm_number = f->pm_id = 0;
    f->pm_seen_max = f->pm_id;
    f->pm_number_max = 0;

    forum_context ctx = forum_topic_context(inst, f->topic);
    ctx.archetype = FORUM_ARCHETYPE_PRIVATE;
    const json_t *stream_obj = json_object_get(f->topic, "post_stream");
    const json_t *posts = json_object_get(stream_obj, "posts");
    const json_t *stream = json_object_get(stream_obj, "stream");
    size_t i;
    const json_t *post;
    json_array_foreach(posts, i, post)
    {
        int64_t id, number = 0;
        if (!forum_json_id(post, "id", &id))
            continue;
        forum_json_id(post, "post_number", &number);
        if (is_new(f, id, number) && !forum_phase_post(f, &ctx, post)) {
            pending_save(f);
            forum_phase_stopped(f);
            return;
        }
        if (id > f->pm_seen_max)
            f->pm_seen_max = id;
        if (number > f->pm_number_max)
            f->pm_number_max = number;
    }

    /* Stream ids the view did not carry, and that may be new. */
    free(f->pm_missing);
    f->pm_missing = NULL;
    f->pm_missing_len = f->pm_missing_next = 0;
    size_t count = json_array_size(stream);
    if (count > 0 && (f->pm_missing = calloc(count, sizeof *f->pm_missing)) == NULL) {
        forum_job_finish(&f->job, GW_OUTCOME_RETRY, FORUM_RETRY_DEFAULT_MS, "forum: out of memory",
                         NULL);
        return;
    }
    const json_t *item;
    json_array_foreach(stream, i, item)
    {
        int64_t id = json_is_integer(item) ? (int64_t)json_integer_value(item) : 0;
        if (id <= 0 || forum_topic_post(f->topic, id) != NULL)
            continue;
        if (f->pm_id > 0 && id <= f->pm_id)
            continue;
        f->pm_missing[f->pm_missing_len++] = id;
    }
    /* Ids above the remembered one come in order; without one (a noted
     * topic) the new posts are the last of the stream: read backwards and
     * stop at the first old one. */
    f->pm_backwards = f->pm_id == 0 && f->pm_number > 0;
    f->pm_viewed = true;
    qsort(f->pm_missing, f->pm_missing_len, sizeof *f->pm_missing,
          f->pm_backwards ? id_descending : id_ascending);
    if (f->pm_missing_len == 0)
        topic_done(f);
    private_next(f);
}

static void post_response(forum_fetch *f, forum_reply *reply)
{
    gw_instance *inst = f->job.inst;
    int64_t id = 0, number = 0;
    forum_json_id(reply->doc, "id", &id);
    forum_json_id(reply->doc, "post_number", &number);
    if (f->pm_backwards && number > 0 && number <= f->pm_number) {
        f->pm_missing_next = f->pm_missing_len; /* the rest is older still */
    } else {
        forum_context ctx = forum_topic_context(inst, f->topic);
        ctx.archetype = FORUM_ARCHETYPE_PRIVATE;
        if (is_new(f, id, number) && !forum_phase_post(f, &ctx, reply->doc)) {
            pending_save(f);
            forum_phase_stopped(f);
            return;
        }
        if (number > f->pm_number_max)
            f->pm_number_max = number;
        f->pm_missing_next++;
    }
    if (id > f->pm_seen_max)
        f->pm_seen_max = id;
    if (f->pm_missing_next >= f->pm_missing_len)
        topic_done(f);
    private_next(f);
}

/* A topic or post that is gone or hidden from the brand. */
static bool gone(const forum_reply *reply)
{
    return reply->status == 403 || reply->status == 404 || reply->status == 410;
}

void forum_private_start(forum_fetch *f)
{
    gw_instance *inst = f->job.inst;
    json_decref(f->pm_state);
    json_decref(f->pm_listed);
    f->pm_state = state_load(inst, &f->pm_first_run);
    f->pm_listed = json_object();
    if (f->pm_state == NULL || f->pm_listed == NULL) {
        forum_job_finish(&f->job, GW_OUTCOME_RETRY, FORUM_RETRY_DEFAULT_MS, "forum: out of memory",
                         NULL);
        return;
    }
    char user[256], path[320];
    if (!forum_url_segment(inst->opt.api_username, user, sizeof user)) {
        forum_job_finish(&f->job, GW_OUTCOME_FATAL, 0, "forum: api_username is too long", NULL);
        return;
    }
    /* Topics the notifications named, or an earlier fetch left unread. */
    json_t *pending = forum_kv_get_json(inst, FORUM_KV_PM_PENDING);
    size_t i;
    const json_t *item;
    json_array_foreach(pending, i, item)
    {
        if (json_is_integer(item) && json_integer_value(item) > 0 &&
            !topic_want(f, (int64_t)json_integer_value(item), 0)) {
            json_decref(pending);
            forum_job_finish(&f->job, GW_OUTCOME_RETRY, FORUM_RETRY_DEFAULT_MS,
                             "forum: out of memory", NULL);
            return;
        }
    }
    json_decref(pending);
    snprintf(path, sizeof path, "/topics/private-messages/%s.json", user);
    f->step = FORUM_STEP_LIST;
    if (forum_phase_get(f, path) == FORUM_BUDGET)
        forum_phase_over(f);
}

void forum_private_response(forum_fetch *f, const gw_http_response *response)
{
    gw_instance *inst = f->job.inst;
    forum_reply reply;
    const char *what = f->step == FORUM_STEP_LIST    ? "GET /topics/private-messages/{user}.json"
                       : f->step == FORUM_STEP_TOPIC ? "GET /t/{id}.json"
                                                     : "GET /posts/{id}.json";
    forum_reply_read(response, what, &reply);
    if (reply.outcome != GW_OUTCOME_OK && f->step != FORUM_STEP_LIST && gone(&reply)) {
        inst->host->log(inst->acct, GW_LOG_INFO, "forum: private message: %s; skipped",
                        reply.message);
        if (f->step == FORUM_STEP_TOPIC) {
            entry_drop(f->pm_state, f->topics[f->topics_next].topic_id);
            f->topics_next++;
        } else if (++f->pm_missing_next >= f->pm_missing_len) {
            topic_done(f);
        }
        forum_reply_clear(&reply);
        private_next(f);
        return;
    }
    if (reply.outcome != GW_OUTCOME_OK) {
        topic_cut(f);
        if (f->step != FORUM_STEP_LIST)
            pending_save(f);
        forum_phase_fail(f, &reply);
        forum_reply_clear(&reply);
        return;
    }
    switch (f->step) {
    case FORUM_STEP_LIST:
        list_response(f, &reply);
        break;
    case FORUM_STEP_TOPIC:
        topic_response(f, &reply);
        break;
    case FORUM_STEP_POST:
    default:
        post_response(f, &reply);
        break;
    }
    forum_reply_clear(&reply);
}
