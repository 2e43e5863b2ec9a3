/* conv_facts.c - an event's facts for the conversation service; see
 * conv_facts.h. */
#include "service/conv_facts.h"

#include <stdio.h>
#include <string.h>

#include "gateway/error.h"
#include "service/conv_id.h"

static const char *member(const json_t *ev, const char *key)
{
    return json_string_value(json_object_get(ev, key));
}

/* A member of the event: from the pipeline's view when validation filled
 * it (a plugin's item), else looked up (a host event, or one read back
 * from the log). */
static const json_t *field(const pipeline_item *it, const json_t *ev, int m, const char *key)
{
    return it->validated ? it->m[m] : json_object_get(ev, key);
}

static const char *field_str(const pipeline_item *it, const json_t *ev, int m, const char *key)
{
    return json_string_value(field(it, ev, m, key));
}

static void customer(const json_t *ev, const pipeline_item *it, const pipeline_enriched *en,
                     conv_facts *f)
{
    f->thread = field_str(it, ev, PIPELINE_THREAD_ID, "thread_id");
    if (f->thread == NULL || *f->thread == '\0')
        f->thread = field_str(it, ev, PIPELINE_NATIVE_ID, "native_id");
    const char *visibility = field_str(it, ev, PIPELINE_VISIBILITY, "visibility");
    f->is_public = visibility != NULL && strcmp(visibility, "public") == 0;
    const json_t *author = field(it, ev, PIPELINE_AUTHOR, "author");
    const json_t *followers =
        it->validated ? it->author_followers : json_object_get(author, "followers");
    f->author_id = json_string_value(it->validated ? it->author_id : json_object_get(author, "id"));
    f->handle =
        json_string_value(it->validated ? it->author_handle : json_object_get(author, "handle"));
    f->name = json_string_value(it->validated ? it->author_name : json_object_get(author, "name"));
    f->followers = json_is_integer(followers) ? json_integer_value(followers) : -1;
    /* priority from triage (core/triage/, written beside the object as
     * text), else from the event's own tags (a plugin's, or triage's
     * read back from the log) */
    f->priority_score = en->priority_score;
    f->priority = en->priority;
    if (f->priority_score < 0) {
        const json_t *tags = json_object_get(ev, "tags");
        const json_t *score = json_object_get(tags, "priority_score");
        f->priority_score = json_is_integer(score) ? (int)json_integer_value(score) : 0;
        f->priority = member(tags, "priority");
    }
}

/* The answered event, read from the log once: the conversation it
 * carries, else its seq (its members are kept beside the log). */
static void answer(store *log, const json_t *ev, conv_facts *f)
{
    f->thread = member(ev, "thread_id");
    f->answered_seq = -1;
    const char *answered = member(ev, "in_reply_to");
    char id[1024];
    int n = answered != NULL ? snprintf(id, sizeof id, "%s:%s", f->network, answered) : -1;
    json_t *orig = NULL;
    if (n > 0 && (size_t)n < sizeof id && store_event_get(log, id, &orig) == GW_OK) {
        const json_t *seq = json_object_get(orig, "seq");
        f->answered_conv = conv_id_parse("cv_", member(orig, "conversation_id"));
        if (f->answered_conv < 0)
            f->answered_conv = 0;
        if (json_is_integer(seq))
            f->answered_seq = json_integer_value(seq);
    }
    json_decref(orig);
}

conv_fact_kind conv_facts_of(store *log, const json_t *ev, const pipeline_item *it, int64_t seq,
                             const pipeline_enriched *en, uint64_t now_ms, conv_facts *out)
{
    *out = (conv_facts){.seq = seq,
                        .now_ms = now_ms,
                        .network = it->network,
                        .account = it->account,
                        .received_at = it->received_at,
                        .followers = -1,
                        .priority_score = -1};
    const char *type = field_str(it, ev, PIPELINE_TYPE, "type");
    if (type == NULL || it->network == NULL || it->account == NULL)
        return CONV_FACT_NONE;
    if (strchr(type, '.') == NULL) {
        out->kind = CONV_FACT_CUSTOMER;
        customer(ev, it, en, out);
    } else if (strcmp(type, "action.succeeded") == 0) {
        out->kind = CONV_FACT_ANSWER;
        answer(log, ev, out);
    }
    return out->kind;
}
