/* conv_assign.c - the pipeline observer: which conversation and contact
 * an event belongs to, decided once the event is stored, from memory
 * only (no SQL per event; an answer, an action.succeeded event, reads the
 * event it answers once).
 *
 * Thread key: the item's thread_id, or its own native_id when the
 * network gives none (so a reply through the action API, whose outbox
 * thread is the same, finds it). A private message without a
 * conversation of its own joins its author's public conversation on the
 * same account when we answered that one within dm_join_window: the
 * customer was asked to "DM us" and the DM continues the case.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/error.h"
#include "gateway/sdk.h"
#include "service/conv_facts.h"
#include "service/conv_service.h"
#include "service/conv_state.h"

#define KEY_MAX 1024

/* Forget what the last decide prepared and apply did not take. */
static void pending_drop(conv_service *svc)
{
    conv_pending *p = &svc->pending;
    if (p->valid && p->is_new)
        conv_free(p->cv);
    free(p->join_key);
    *p = (conv_pending){0};
}

static const char *member(const json_t *ev, const char *key)
{
    return json_string_value(json_object_get(ev, key));
}

/* network \x1f account \x1f thread into buf; its length, or 0 if too long. */
static size_t thread_key(char *buf, const char *network, const char *account, const char *thread)
{
    size_t n = strlen(network), a = strlen(account), t = strlen(thread);
    if (n + a + t + 3 > KEY_MAX)
        return 0;
    memcpy(buf, network, n);
    buf[n] = '\x1f';
    memcpy(buf + n + 1, account, a);
    buf[n + 1 + a] = '\x1f';
    memcpy(buf + n + a + 2, thread, t + 1);
    return n + a + t + 2;
}

static conv *conv_new(conv_service *svc, const char *key, size_t len, size_t net_len,
                      size_t acct_len, int is_public, const contact *ct, uint64_t now_ms)
{
    conv *cv = conv_alloc();
    if (cv == NULL || (cv->key = malloc(len + 1)) == NULL) {
        free(cv);
        return NULL;
    }
    memcpy(cv->key, key, len + 1);
    cv->key_len = len;
    cv->net_len = net_len;
    cv->acct_len = acct_len;
    cv->id = svc->next_conv_id++;
    cv->is_public = is_public;
    cv->contact = ct != NULL ? ct->id : 0;
    cv->state = CONV_OPEN;
    cv->first_ms = cv->last_ms = (int64_t)now_ms;
    return cv;
}

static conv *conv_by_id(conv_service *svc, int64_t id)
{
    return idmap_get(svc->by_id, id);
}

/* The author's public conversation a private item joins, or NULL. */
static conv *join_target(conv_service *svc, const contact *ct, const char *key, size_t prefix,
                         uint64_t now_ms)
{
    if (ct == NULL || ct->join_conv == 0 ||
        (uint64_t)(now_ms - (uint64_t)ct->join_ms) > svc->opt.dm_join_window_ms)
        return NULL;
    conv *cv = conv_by_id(svc, ct->join_conv);
    if (cv == NULL || cv->state == CONV_CLOSED || cv->net_len + 1 + cv->acct_len != prefix ||
        memcmp(cv->key, key, prefix) != 0)
        return NULL;
    return cv;
}

/* The event's conversation_id, as the first of the members written as
 * text (observe_members): setting it on the object cost a member
 * allocation, a hash insert and its share of the serialisation per item.
 * On failure the event is stored without it, not lost. */
static void set_conversation_id(conv_service *svc, const conv *cv)
{
    jw_buf *b = &svc->members_text;
    char id[CONV_IDSTR_MAX];
    conv_idstr(cv, id);
    b->len = 0;
    if (jw_raw(b, "\"conversation_id\":", 18) != GW_OK || jw_string(b, id, strlen(id)) != GW_OK)
        b->len = 0;
}

static void decide_customer(conv_service *svc, const conv_facts *f)
{
    char key[KEY_MAX];
    size_t len = f->thread != NULL ? thread_key(key, f->network, f->account, f->thread) : 0;
    if (len == 0)
        return;
    size_t net_len = strlen(f->network), acct_len = strlen(f->account);
    contact *ct = f->author_id != NULL
                      ? conv_contact_lookup(svc, f->network, net_len, f->author_id, f->now_ms)
                      : NULL;
    conv_pending *p = &svc->pending;
    conv *cv = strmap_get(svc->by_key, key, len);
    if (cv != NULL && cv->state == CONV_CLOSED) /* closed, not flushed yet */
        cv = NULL;
    if (cv == NULL && !f->is_public &&
        (cv = join_target(svc, ct, key, net_len + 1 + acct_len, f->now_ms)) != NULL) {
        if ((p->join_key = malloc(len + 1)) == NULL)
            return;
        memcpy(p->join_key, key, len + 1);
        p->join_len = len;
        p->join = 1;
    }
    if (cv == NULL) {
        cv = conv_new(svc, key, len, net_len, acct_len, f->is_public, ct, f->now_ms);
        if (cv == NULL)
            return;
        p->is_new = 1;
    }
    p->valid = 1;
    p->customer = 1;
    p->cv = cv;
    p->ct = ct;
    p->now_ms = f->now_ms;
    set_conversation_id(svc, cv);
    if (ct != NULL) {
        /* the member shows the contact as it is once this item counts */
        contact shown = *ct;
        shown.items++;
        shown.last_ms = (int64_t)f->now_ms;
        shown.open += p->is_new;
        shown.handle = (char *)(f->handle != NULL ? f->handle : ct->handle);
        shown.name = (char *)(f->name != NULL ? f->name : ct->name);
        if (f->followers >= 0)
            shown.followers = f->followers;
        /* as text, kept beside the log (a plugin's own "contact" was
         * removed before the event was stored: observe_annotate) */
        size_t before = svc->members_text.len;
        if ((before > 0 && jw_raw(&svc->members_text, ",", 1) != GW_OK) ||
            conv_contact_text_of(&svc->members_text, ct, &shown, f->received_at) != GW_OK)
            svc->members_text.len = before; /* stored without the member, not lost */
    }
}

/* An answer sent through the action API: the event it answers names the
 * conversation; without one (a private message to a thread), the thread. */
static void decide_answer(conv_service *svc, const conv_facts *f)
{
    int64_t id = f->answered_conv;
    if (id <= 0 && f->answered_seq >= 0 &&
        conv_members_conversation(svc, f->answered_seq, &id) != 1)
        id = 0;
    conv *cv = id > 0 ? conv_by_id(svc, id) : NULL;
    char key[KEY_MAX];
    size_t len;
    if (cv == NULL && f->thread != NULL &&
        (len = thread_key(key, f->network, f->account, f->thread)) != 0)
        cv = strmap_get(svc->by_key, key, len);
    if (cv == NULL || cv->state == CONV_CLOSED)
        return;
    svc->pending = (conv_pending){.valid = 1, .cv = cv, .now_ms = f->now_ms};
    set_conversation_id(svc, cv);
}

/* What the event's facts decide (svc->pending and svc->members_text),
 * for apply. */
static void decide(conv_service *svc, const conv_facts *f)
{
    pending_drop(svc);
    svc->members_text.len = 0;
    if (f->kind == CONV_FACT_CUSTOMER)
        decide_customer(svc, f);
    else if (f->kind == CONV_FACT_ANSWER)
        decide_answer(svc, f);
}

/* Before the append: a customer item's "contact" is the gateway's (kept
 * beside the log, added where the event leaves), so a plugin's own gives
 * way to it and is not stored. Everything else is decided once the event
 * is stored (observe_stored): a duplicate, never stored, changes nothing
 * (deciding here once made its author's contact before the store knew). */
static void observe_annotate(void *arg, json_t *ev, const pipeline_item *it, uint64_t now_ms)
{
    (void)arg;
    (void)now_ms;
    if (it->validated && it->m[PIPELINE_CONTACT] == NULL)
        return;
    const char *type =
        json_string_value(it->validated ? it->m[PIPELINE_TYPE] : json_object_get(ev, "type"));
    const json_t *author_id = it->validated
                                  ? it->author_id
                                  : json_object_get(json_object_get(ev, "author"), "id");
    if (type != NULL && strchr(type, '.') == NULL && json_is_string(author_id))
        json_object_del(ev, "contact");
}

/* Returns 1 when *dst changed. */
static int replace_string(char **dst, const char *src)
{
    if (src == NULL || (*dst != NULL && strcmp(*dst, src) == 0))
        return 0;
    char *copy = strdup(src);
    if (copy == NULL)
        return 0;
    free(*dst);
    *dst = copy;
    return 1;
}

static void apply_customer(conv_pending *p, const conv_facts *f)
{
    conv *cv = p->cv;
    int64_t now = (int64_t)p->now_ms;
    cv->items++;
    cv->last_ms = now;
    if (cv->state == CONV_ANSWERED)
        cv->state = CONV_OPEN;
    /* the highest priority since the conversation started waiting */
    int s = f->priority_score;
    const char *prio = f->priority;
    if (cv->waiting_ms == 0 || s > cv->priority_score) {
        cv->priority_score = s < 0 ? 0 : s > 100 ? 100 : s;
        conv_set_priority(cv, prio);
    }
    if (cv->waiting_ms == 0)
        cv->waiting_ms = now;
    contact *ct = p->ct;
    if (ct == NULL)
        return;
    ct->items++;
    ct->last_ms = now;
    ct->open += p->is_new;
    ct->stale = 1;
    int changed = replace_string(&ct->handle, f->handle);
    changed |= replace_string(&ct->name, f->name);
    if (f->followers >= 0 && f->followers != ct->followers) {
        ct->followers = f->followers;
        changed = 1;
    }
    if (changed)
        ct->head.len = 0; /* the member's head text is made again */
}

static void apply_answer(conv_service *svc, conv_pending *p)
{
    conv *cv = p->cv;
    int64_t now = (int64_t)p->now_ms;
    cv->last_ms = now;
    if (cv->answered_ms == 0) {
        cv->answered_ms = now;
        conv_sla_answered(svc, cv);
    }
    cv->state = CONV_ANSWERED;
    cv->waiting_ms = 0; /* the priority stays: the report groups by it */
    contact *ct = cv->is_public && cv->contact > 0 ? conv_contact_by_id(svc, cv->contact) : NULL;
    if (ct != NULL) {
        ct->join_conv = cv->id;
        ct->join_ms = now;
    }
}

/* What decide found, applied: f's event is stored as f->seq. */
static void apply(conv_service *svc, const conv_facts *f)
{
    int64_t seq = f->seq;
    /* the members decide wrote, kept beside the log (conv_members.c) */
    if (svc->members_text.len > 0 &&
        conv_members_add(svc, seq, svc->members_text.data, svc->members_text.len) != GW_OK)
        log_write(svc->log, GW_LOG_ERROR, "conversations", "out of memory: event seq %lld "
                  "leaves without its conversation and contact", (long long)seq);
    conv_pending *p = &svc->pending;
    if (!p->valid)
        return;
    conv *cv = p->cv;
    if (p->is_new) {
        if (strmap_put(svc->by_key, cv->key, cv->key_len, cv) != GW_OK ||
            idmap_put(svc->by_id, cv->id, cv) != GW_OK) {
            strmap_remove(svc->by_key, cv->key, cv->key_len, cv);
            log_write(svc->log, GW_LOG_ERROR, "conversations", "out of memory: event seq %lld "
                      "keeps conversation %lld unrecorded", (long long)seq, (long long)cv->id);
            pending_drop(svc);
            return;
        }
        conv_sla_track(svc, cv);
    }
    if (p->join) {
        free(cv->alias);
        cv->alias = p->join_key;
        cv->alias_len = p->join_len;
        p->join_key = NULL;
        strmap_put(svc->by_key, cv->alias, cv->alias_len, cv);
    }
    if (p->customer)
        apply_customer(p, f);
    else
        apply_answer(svc, p);
    if (conv_add_seq(cv, seq) != GW_OK)
        log_write(svc->log, GW_LOG_ERROR, "conversations", "out of memory: event seq %lld not "
                  "listed in conversation %lld", (long long)seq, (long long)cv->id);
    conv_mark(svc, cv);
    *p = (conv_pending){0};
}

static void observe_stored(void *arg, const json_t *ev, const pipeline_item *it, int64_t seq,
                           const pipeline_enriched *en, uint64_t now_ms)
{
    conv_service *svc = arg;
    conv_facts f;
    conv_facts_of(svc->st, ev, it, seq, en, now_ms, &f);
    decide(svc, &f);
    apply(svc, &f);
}

pipeline_observer conv_service_observer(conv_service *svc)
{
    return (pipeline_observer){.annotate = observe_annotate,
                               .stored = observe_stored,
                               .arg = svc};
}

void conv_close_one(conv_service *svc, conv *cv, uint64_t now_ms)
{
    cv->state = CONV_CLOSED;
    cv->closed_ms = (int64_t)now_ms;
    cv->waiting_ms = 0;
    svc->closed_total++;
    contact *ct = cv->contact > 0 ? conv_contact_by_id(svc, cv->contact) : NULL;
    if (ct != NULL && ct->open > 0) {
        ct->open--;
        conv_contact_mark(svc, ct);
    }
    conv_mark(svc, cv);
}

/* ---- replay: an event of the log the service's database had not applied
 * (see conv_db.c). The decisions are made again from the same state and
 * the event's own time (received_at, the time the live path used). Such
 * an event has not left the gateway (its members were never committed),
 * so what is decided now is what anyone will see. An event stored before
 * the members were kept beside the log carries them, and may have been
 * seen with them: for it the ids it carries win, even where something
 * that is not an event changed the state in between and was lost with
 * the service's tick (a close, by inactivity or the API, that made the
 * thread's next item open a conversation of its own). */

/* The conversation holding the thread of f (a customer item), as
 * decide_customer finds it, or NULL. */
static conv *thread_holder(conv_service *svc, const conv_facts *f)
{
    char key[KEY_MAX];
    size_t len = f->thread != NULL ? thread_key(key, f->network, f->account, f->thread) : 0;
    return len > 0 ? strmap_get(svc->by_key, key, len) : NULL;
}

/* A customer item whose conversation is not in memory opened it: the id
 * it carries is taken whatever the next id is (ids handed out to items
 * that were not stored leave gaps; a reload keeps the next id of before,
 * past the ids of the events it applies again). What holds its thread
 * now was closed in between, by a close lost with the service's tick.
 * The same for contact ct first seen with this item. saved (the next
 * ids, to give back with replay_ids_restore) is set here. */
static void replay_ids_force(conv_service *svc, const conv_facts *f, int64_t id, int64_t ct,
                             int64_t saved[2])
{
    saved[0] = saved[1] = -1;
    if (ct > 0 && conv_contact_by_id(svc, ct) == NULL) {
        saved[1] = svc->next_contact_id;
        svc->next_contact_id = ct;
    }
    if (conv_by_id(svc, id) != NULL)
        return;
    saved[0] = svc->next_conv_id;
    svc->next_conv_id = id;
    conv *held = thread_holder(svc, f);
    int64_t now = (int64_t)f->now_ms;
    if (held != NULL && held->state != CONV_CLOSED) {
        int64_t quiet = held->last_ms + (int64_t)svc->opt.close_after_ms;
        conv_close_one(svc, held,
                       (uint64_t)(svc->opt.close_after_ms > 0 && quiet < now ? quiet : now));
    }
}

/* The next ids after replay_ids_force: past the forced ones when they
 * were taken, as they were otherwise. */
static void replay_ids_restore(conv_service *svc, int64_t id, int64_t ct, const int64_t saved[2])
{
    if (saved[0] >= 0)
        svc->next_conv_id = svc->next_conv_id == id ? saved[0]
                            : saved[0] > id + 1 ? saved[0]
                                                : id + 1;
    if (saved[1] >= 0)
        svc->next_contact_id = svc->next_contact_id == ct ? saved[1]
                               : saved[1] > ct + 1   ? saved[1]
                                                     : ct + 1;
}

int conv_assign_replay(conv_service *svc, json_t *ev, int64_t seq)
{
    const char *type = member(ev, "type");
    int64_t id = conv_id_parse("cv_", member(ev, "conversation_id"));
    if (type == NULL)
        return 0;
    if (strcmp(type, "sla.breached") == 0) {
        conv *cv = conv_by_id(svc, id);
        if (cv != NULL && !cv->breached) {
            cv->breached = 1;
            conv_mark(svc, cv);
        }
        return 0;
    }
    int customer = strchr(type, '.') == NULL;
    if (!customer && strcmp(type, "action.succeeded") != 0)
        return 0;
    pipeline_item it = {.network = member(ev, "network"),
                        .account = member(ev, "account"),
                        .received_at = member(ev, "received_at")};
    int64_t now = 0;
    if (it.network == NULL || it.account == NULL || it.received_at == NULL ||
        gw_sdk_time_parse(it.received_at, &now) != 0 || now < 0)
        return GW_EINVAL;
    pipeline_enriched none = {.priority_score = -1};
    conv_facts f;
    conv_facts_of(svc->st, ev, &it, seq, &none, (uint64_t)now, &f);
    if (id <= 0) {
        /* Its members were decided but not committed (a crash between
         * the two commits: it has not left the gateway), or it was
         * stored while the service was off: decided now, as live. */
        decide(svc, &f);
        if (!svc->pending.valid)
            return 0;
        apply(svc, &f);
        return 1;
    }
    /* An event stored with its members inside, before they were kept
     * beside the log: they are what the help desk has seen. */
    int64_t saved[2] = {-1, -1};
    int64_t ct = conv_id_parse("ct_", member(json_object_get(ev, "contact"), "id"));
    if (customer)
        replay_ids_force(svc, &f, id, ct, saved);
    decide(svc, &f);
    replay_ids_restore(svc, id, ct, saved);
    conv_pending *p = &svc->pending;
    if (p->valid && p->cv->id != id) {
        conv *recorded = conv_by_id(svc, id);
        if (recorded == NULL) {
            pending_drop(svc);
            return GW_ENOENT;
        }
        if (p->is_new)
            conv_free(p->cv);
        free(p->join_key);
        p->join_key = NULL;
        p->is_new = p->join = 0;
        p->cv = recorded;
    }
    if (!p->valid)
        return GW_ENOENT;
    svc->members_text.len = 0; /* the event carries them */
    apply(svc, &f);
    return 1;
}
