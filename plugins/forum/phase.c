/* plugins/forum/phase.c - what every phase of a fetch uses: emitting
 * (with the per-fetch memory of what was emitted), GETs counted against
 * max_requests, finishing the fetch on failure, handing back to the driver
 * when a phase is over, topic documents, and the integer cursors.
 *
 * It sits below both the driver (fetch.c) and the phases (posts.c,
 * mentions.c, private.c) and calls neither: the way back to the driver is
 * the fetch's phase_over callback.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forum.h"
#include "phase.h"

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

#define KV_JSON_BYTES (64 * 1024)

json_t *forum_kv_get_json(gw_instance *inst, const char *key)
{
    char *buf = malloc(KV_JSON_BYTES);
    if (buf == NULL)
        return NULL;
    json_t *value = NULL;
    int rc = inst->host->kv_get(inst->acct, key, buf, KV_JSON_BYTES);
    if (rc >= 0) {
        value = json_loads(buf, 0, NULL);
        if (value == NULL)
            inst->host->log(inst->acct, GW_LOG_WARN, "forum: '%s' is not JSON; ignoring it", key);
    } else if (rc != GW_ENOENT) {
        inst->host->log(inst->acct, GW_LOG_WARN, "forum: '%s' unreadable (%s); ignoring it", key,
                        gw_strerror(rc));
    }
    free(buf);
    return value;
}

void forum_kv_set_json(gw_instance *inst, const char *key, const json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    int rc = text != NULL ? inst->host->kv_set(inst->acct, key, text) : GW_ENOMEM;
    if (rc < 0)
        inst->host->log(inst->acct, GW_LOG_ERROR, "forum: cannot store '%s': %s", key,
                        gw_strerror(rc));
    free(text);
}

void forum_pm_pending_add(gw_instance *inst, const int64_t *topic_ids, size_t n)
{
    if (n == 0)
        return;
    json_t *pending = forum_kv_get_json(inst, FORUM_KV_PM_PENDING);
    if (!json_is_array(pending)) {
        json_decref(pending);
        pending = json_array();
    }
    for (size_t i = 0; pending != NULL && i < n; i++) {
        bool known = false;
        size_t j;
        const json_t *item;
        json_array_foreach(pending, j, item)
        {
            if (json_integer_value(item) == topic_ids[i])
                known = true;
        }
        /* Past the bound the oldest names go: such a topic is read again
         * only when the inbox lists it. */
        if (!known && json_array_size(pending) >= FORUM_PM_PENDING_MAX)
            json_array_remove(pending, 0);
        if (!known)
            json_array_append_new(pending, json_integer(topic_ids[i]));
    }
    if (pending != NULL)
        forum_kv_set_json(inst, FORUM_KV_PM_PENDING, pending);
    json_decref(pending);
}

bool forum_phase_emitted(const forum_fetch *f, int64_t post_id)
{
    for (size_t i = 0; i < f->emitted_len; i++)
        if (f->emitted[i] == post_id)
            return true;
    return false;
}

bool forum_phase_emit(forum_fetch *f, json_t *event, int64_t post_id)
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

bool forum_phase_post(forum_fetch *f, const forum_context *ctx, const json_t *post)
{
    gw_instance *inst = f->job.inst;
    json_t *event;
    char why[128];
    int64_t id = 0;
    forum_json_id(post, "id", &id);
    int64_t topic, number;
    if (forum_json_id(post, "topic_id", &topic) && forum_json_id(post, "post_number", &number))
        forum_refs_add(inst, topic, number, id);
    if (id > 0 && forum_phase_emitted(f, id))
        return true;
    switch (forum_normalise_post(ctx, post, &event, why, sizeof why)) {
    case FORUM_EVENT:
        return forum_phase_emit(f, event, id);
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

forum_sent forum_phase_get(forum_fetch *f, const char *path)
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

void forum_phase_fail(forum_fetch *f, const forum_reply *reply)
{
    forum_job_finish(&f->job, reply->outcome, reply->delay_ms, reply->message, NULL);
}

void forum_phase_stopped(forum_fetch *f)
{
    forum_job_finish(&f->job, GW_OUTCOME_RETRY, 0, "forum: the account is stopping", NULL);
}

void forum_phase_over(forum_fetch *f)
{
    f->phase_over(f);
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
