/* conv_load.c - what the service's database holds that lives in memory
 * (the conversations not closed, the most recent contacts, the SLA watch
 * list), loaded at start and again after a lost commit, then the log's
 * events after the database's applied seq applied again (conv_replay.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/error.h"
#include "service/conv_service.h"
#include "service/conv_state.h"
#include "service/conv_writer.h"

static int free_conv(void *arg, void *value)
{
    (void)arg;
    conv_free(value);
    return 0;
}

static int conv_from_row(void *arg, const conv_row *r)
{
    conv_service *svc = arg;
    size_t n = strlen(r->network), a = strlen(r->account), t = strlen(r->thread);
    conv *cv = conv_alloc();
    if (cv == NULL || (cv->key = malloc(n + a + t + 3)) == NULL) {
        free(cv);
        return GW_ENOMEM;
    }
    cv->key_len = (uint32_t)sprintf(cv->key, "%s\x1f%s\x1f%s", r->network, r->account, r->thread);
    cv->net_len = (uint32_t)n;
    cv->acct_len = (uint32_t)a;
    cv->id = r->id;
    if (r->seqs != NULL && *r->seqs != '\0') {
        size_t len = strlen(r->seqs);
        /* room for a few more seqs before it doubles */
        if (jw_buf_reserve(&cv->seqs, len + 1 + 32) != GW_OK ||
            jw_raw(&cv->seqs, r->seqs, len + 1) != GW_OK) {
            conv_free(cv);
            return GW_ENOMEM;
        }
        cv->seqs.len--; /* the NUL stays after the list (conv_add_seq) */
    }
    cv->contact = r->contact;
    cv->is_public = strcmp(r->visibility, "public") == 0;
    cv->state = strcmp(r->state, "answered") == 0 ? CONV_ANSWERED : CONV_OPEN;
    cv->priority_score = r->priority_score;
    conv_set_priority(cv, r->priority);
    cv->items = r->items;
    cv->first_ms = r->first_ms;
    cv->waiting_ms = r->waiting_ms;
    cv->last_ms = r->last_ms;
    cv->answered_ms = r->answered_ms;
    cv->deadline_ms = r->deadline_ms;
    cv->breached = r->breached;
    if (r->alias != NULL) {
        /* the alias is stored as the private thread's id only */
        size_t al = strlen(r->alias);
        if ((cv->alias = malloc(n + a + al + 3)) != NULL)
            cv->alias_len =
                (size_t)sprintf(cv->alias, "%s\x1f%s\x1f%s", r->network, r->account, r->alias);
    }
    if (strmap_put(svc->by_key, cv->key, cv->key_len, cv) != GW_OK ||
        idmap_put(svc->by_id, cv->id, cv) != GW_OK ||
        (cv->alias != NULL && strmap_put(svc->by_key, cv->alias, cv->alias_len, cv) != GW_OK)) {
        strmap_remove(svc->by_key, cv->key, cv->key_len, cv);
        idmap_remove(svc->by_id, cv->id, cv);
        conv_free(cv);
        return GW_ENOMEM;
    }
    conv_refile(svc, cv);
    return GW_OK;
}

static int count_open_of(void *arg, void *value)
{
    conv_service *svc = arg;
    const conv *cv = value;
    contact *ct = strmap_get(svc->contact_ids, &cv->contact, sizeof cv->contact);
    if (ct == NULL)
        return 0;
    ct->open++;
    if (cv->is_public && cv->answered_ms > ct->join_ms) {
        ct->join_conv = cv->id;
        ct->join_ms = cv->answered_ms;
    }
    return 0;
}

/* At start-up every conversation not closed is in memory: the cached
 * contacts' open counts are recounted from them (the column is lazy),
 * and the public conversation a private message would join is found
 * again (approximated by the first answer's time). */
static void recount_open(conv_service *svc)
{
    for (contact *ct = conv_lru_first(svc); ct != NULL; ct = conv_lru_next(svc, ct))
        ct->open = 0;
    idmap_each(svc->by_id, count_open_of, svc);
}

/* Everything the database holds that lives in memory: the conversations
 * not closed, the most recent contacts, the SLA watch list. */
int conv_load_state(conv_service *svc, char *err, size_t errlen)
{
    int64_t max_conv = 0, max_contact = 0;
    int rc = conv_store_max_ids(svc->cs, &max_conv, &max_contact);
    if (rc == GW_OK)
        rc = conv_store_load_mark(svc->cs);
    svc->link_through = conv_store_linked_through(svc->cs);
    if (rc != GW_OK) {
        snprintf(err, errlen, "conversations: cannot read the tables");
        return rc;
    }
    if ((rc = conv_store_each_active(svc->cs, conv_from_row, svc)) < 0) {
        snprintf(err, errlen, "conversations: cannot load the open ones: %s",
                 store_last_error(svc->db));
        return rc;
    }
    if ((rc = conv_contact_load(svc)) < 0) {
        snprintf(err, errlen, "contacts: cannot load: %s", store_last_error(svc->db));
        return rc;
    }
    recount_open(svc);
    /* never reuse an id, even one only a lost tick had handed out */
    if (svc->next_conv_id < max_conv + 1)
        svc->next_conv_id = max_conv + 1;
    if (svc->next_contact_id < max_contact + 1)
        svc->next_contact_id = max_contact + 1;
    if ((rc = conv_sla_load(svc)) != GW_OK) {
        snprintf(err, errlen, "out of memory");
        return rc;
    }
    /* then what the log holds beyond the database */
    if ((rc = conv_replay_log(svc)) < 0) {
        snprintf(err, errlen, "conversations: cannot apply the log's events again: %s",
                 store_last_error(svc->st));
        return rc;
    }
    return GW_OK;
}

/* Forget everything in memory (conversations, contacts, what was to be
 * written); the maps are made anew. */
int conv_drop_state(conv_service *svc)
{
    if (svc->pending.valid && svc->pending.is_new)
        conv_free(svc->pending.cv);
    free(svc->pending.join_key);
    svc->pending = (conv_pending){0};
    if (svc->by_id != NULL)
        idmap_each(svc->by_id, free_conv, NULL);
    conv_tally_free(svc);
    conv_queue_reset(svc);
    conv_list_free(svc);
    idmap_free(svc->by_id);
    strmap_free(svc->by_key);
    conv_contact_free_all(svc);
    strmap_free(svc->contacts);
    strmap_free(svc->contact_ids);
    dlink_init(&svc->dirty_convs);
    dlink_init(&svc->dirty_contacts);
    svc->by_id = idmap_new();
    svc->by_key = strmap_new();
    svc->contacts = strmap_new();
    svc->contact_ids = strmap_new();
    return svc->by_id && svc->by_key && svc->contacts && svc->contact_ids &&
                   conv_list_open(svc) == GW_OK && conv_tally_open(svc) == GW_OK
               ? GW_OK
               : GW_ENOMEM;
}

int conv_service_reload(conv_service *svc)
{
    char err[256];
    /* the writer's batches first (its failure, if any, is what this
     * mends), then what the loop had not handed over is dropped */
    if (svc->writer != NULL) {
        conv_writer_take_failure(svc->writer, err, sizeof err);
        conv_writer_discard(svc->writer);
    }
    svc->uncommitted = 0;
    store_rollback(svc->db);
    /* the members not committed are decided again by the replay */
    conv_members_reset(svc, svc->durable_seq);
    conv_sla_reset(svc);
    int rc = conv_drop_state(svc);
    if (rc == GW_OK)
        rc = conv_load_state(svc, err, sizeof err);
    else
        snprintf(err, sizeof err, "out of memory");
    if (rc < 0)
        log_write(svc->log, GW_LOG_ERROR, "conversations",
                  "cannot reload after a lost commit: "
                  "%s",
                  err);
    else
        log_write(svc->log, GW_LOG_INFO, "conversations",
                  "reloaded after a lost commit: %zu "
                  "conversations open or answered",
                  idmap_count(svc->by_id));
    svc->applied_seq = -1; /* written again at the next commit */
    return rc < 0 ? rc : GW_OK;
}
