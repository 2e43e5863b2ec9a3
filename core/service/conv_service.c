/* conv_service.c - the conversation service's life: loading what is
 * open, the flush into the tick's transaction, closing (by the API or
 * after inactivity), contact links, and the figures for /metrics. The
 * per-event work is conv_assign.c's, the contact cache conv_contacts.c's.
 */
#include "service/conv_service.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "gateway/error.h"
#include "service/conv_state.h"

/* The inactivity check runs at most this often (it walks the
 * conversations in memory), and at least four times per close_after. */
#define CLOSE_CHECK_MAX_MS 60000
#define CLOSE_CHECK_MIN_MS 100
/* Contacts' counters are written this often (see conv_contact_flush). */
#define CONTACT_SWEEP_MS 30000
/* Conversations are linked to their contacts (conv_store_link_contacts)
 * at most this many to a batch, at least this often, and once at the
 * close: a batch touches each page of the links once, where linking
 * every new conversation in its tick rewrote most of them every tick. */
#define LINK_BATCH 2048
#define LINK_EVERY_MS 1000

static int conv_from_row(void *arg, const conv_row *r)
{
    conv_service *svc = arg;
    size_t n = strlen(r->network), a = strlen(r->account), t = strlen(r->thread);
    conv *cv = conv_alloc();
    if (cv == NULL || (cv->key = malloc(n + a + t + 3)) == NULL) {
        free(cv);
        return GW_ENOMEM;
    }
    cv->key_len = (size_t)sprintf(cv->key, "%s\x1f%s\x1f%s", r->network, r->account, r->thread);
    cv->net_len = n;
    cv->acct_len = a;
    cv->id = r->id;
    conv_id_format("cv_", cv->id, cv->idstr, sizeof cv->idstr);
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
            cv->alias_len = (size_t)sprintf(cv->alias, "%s\x1f%s\x1f%s", r->network, r->account,
                                            r->alias);
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

static void close_timer_cb(uv_timer_t *t);

static void sweep_timer_cb(uv_timer_t *t)
{
    conv_service *svc = t->data;
    conv_contact_flush(svc, 1);
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
static int load_state(conv_service *svc, char *err, size_t errlen)
{
    int64_t max_conv = 0, max_contact = 0;
    int rc = conv_store_max_ids(svc->cs, &max_conv, &max_contact);
    if (rc == GW_OK)
        rc = conv_store_load_mark(svc->cs);
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
    if ((rc = conv_db_replay(svc)) < 0) {
        snprintf(err, errlen, "conversations: cannot apply the log's events again: %s",
                 store_last_error(svc->st));
        return rc;
    }
    return GW_OK;
}

static int free_conv(void *arg, void *value);

/* Forget everything in memory (conversations, contacts, what was to be
 * written); the maps are made anew. */
static int drop_state(conv_service *svc)
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
    store_rollback(svc->db);
    conv_sla_reset(svc);
    int rc = drop_state(svc);
    if (rc == GW_OK)
        rc = load_state(svc, err, sizeof err);
    else
        snprintf(err, sizeof err, "out of memory");
    if (rc < 0)
        log_write(svc->log, GW_LOG_ERROR, "conversations", "cannot reload after a lost commit: "
                  "%s", err);
    else
        log_write(svc->log, GW_LOG_INFO, "conversations", "reloaded after a lost commit: %zu "
                  "conversations open or answered", idmap_count(svc->by_id));
    svc->applied_seq = -1; /* written again at the next commit */
    return rc < 0 ? rc : GW_OK;
}

int conv_service_open(uv_loop_t *loop, store *st, const char *path, const logger *log,
                      const conv_options *opts, conv_service **out, char *err, size_t errlen)
{
    *out = NULL;
    conv_service *svc = calloc(1, sizeof *svc);
    if (svc == NULL) {
        snprintf(err, errlen, "out of memory");
        return GW_ENOMEM;
    }
    conv_queue_reset(svc);
    dlink_init(&svc->lru);
    dlink_init(&svc->dirty_convs);
    dlink_init(&svc->dirty_contacts);
    svc->loop = loop;
    svc->st = st;
    svc->log = log;
    svc->opt = *opts;
    svc->opt.timezone = NULL; /* borrowed for open only: read by conv_sla_open */
    if (svc->opt.contact_cache == 0)
        svc->opt.contact_cache = 1;
    svc->applied_seq = -1;
    int rc = conv_db_open(svc, path, err, errlen);
    if (rc == GW_OK && ((svc->by_key = strmap_new()) == NULL || (svc->by_id = idmap_new()) == NULL ||
                        (svc->contacts = strmap_new()) == NULL ||
                        (svc->contact_ids = strmap_new()) == NULL ||
                        conv_list_open(svc) != GW_OK || conv_tally_open(svc) != GW_OK)) {
        snprintf(err, errlen, "out of memory");
        rc = GW_ENOMEM;
    }
    svc->opt.timezone = opts->timezone;
    if (rc == GW_OK && (rc = conv_sla_open(svc, err, errlen)) == GW_OK)
        rc = load_state(svc, err, errlen);
    /* what the start applied again, written at once (no retry yet) */
    if (rc == GW_OK && ((rc = conv_service_flush(svc)) != GW_OK ||
                        (rc = conv_db_commit(svc)) != GW_OK))
        snprintf(err, errlen, "conversations: %s: %s", path, store_last_error(svc->db));
    if (rc < 0) {
        conv_service_free(svc);
        return rc;
    }
    uv_timer_init(loop, &svc->retry_timer);
    svc->retry_timer.data = svc;
    uv_timer_init(loop, &svc->close_timer);
    svc->close_timer.data = svc;
    uv_timer_init(loop, &svc->sweep_timer);
    svc->sweep_timer.data = svc;
    uv_timer_start(&svc->sweep_timer, sweep_timer_cb, CONTACT_SWEEP_MS, CONTACT_SWEEP_MS);
    if (svc->opt.close_after_ms > 0) {
        uint64_t every = svc->opt.close_after_ms / 4;
        every = every > CLOSE_CHECK_MAX_MS ? CLOSE_CHECK_MAX_MS
                : every < CLOSE_CHECK_MIN_MS ? CLOSE_CHECK_MIN_MS
                                             : every;
        uv_timer_start(&svc->close_timer, close_timer_cb, every, every);
    }
    log_write(log, GW_LOG_INFO, "conversations", "%zu conversations open or answered, %zu "
              "contacts cached", idmap_count(svc->by_id), svc->contact_count);
    *out = svc;
    return GW_OK;
}

/* A conversation written with a closed state leaves memory. */
static void forget_closed(conv_service *svc, conv *cv)
{
    strmap_remove(svc->by_key, cv->key, cv->key_len, cv);
    if (cv->alias != NULL)
        strmap_remove(svc->by_key, cv->alias, cv->alias_len, cv);
    idmap_remove(svc->by_id, cv->id, cv);
    if (svc->pending.cv == cv)
        svc->pending = (conv_pending){0};
    conv_free(cv);
}

/* Link a batch of the conversations written so far to their contacts
 * when it is full or due, or now (the stop); never more than a batch, so
 * a database from before the links (none linked) is caught up a batch a
 * tick, not in one long statement. */
static int link_contacts(conv_service *svc, int now_anyway)
{
    int64_t last = svc->next_conv_id - 1; /* every id handed out is written or dropped */
    int64_t through = conv_store_linked_through(svc->cs);
    uint64_t now = uv_now(svc->loop);
    if (last <= through || (!now_anyway && last - through < LINK_BATCH &&
                            now - svc->linked_at_ms < LINK_EVERY_MS))
        return GW_OK;
    svc->linked_at_ms = now;
    return conv_store_link_contacts(svc->cs,
                                    last - through <= LINK_BATCH ? last : through + LINK_BATCH);
}

/* A conversation whose list of seqs passed CONV_ITEMS_CHUNK bytes moves
 * it out of its row (conv_store_put_items) before the row is written;
 * kept when that fails, so the row still lists every item. */
static int move_items(conv_service *svc, conv *cv)
{
    if (cv->seqs.len <= CONV_ITEMS_CHUNK)
        return GW_OK;
    int rc = conv_store_put_items(svc->cs, cv->id, cv->seqs.data, cv->seqs.len);
    if (rc == GW_OK) {
        cv->seqs.len = 0;
        cv->seqs.data[0] = '\0';
    }
    return rc;
}

int conv_service_get(conv_service *svc, int64_t id, conv_row_fn fn, void *arg)
{
    const conv *cv = idmap_get(svc->by_id, id);
    if (cv == NULL)
        return conv_store_get_conversation(svc->cs, id, fn, arg);
    conv_row r;
    char net[256], acct[256];
    conv_row_fill(cv, &r, net, acct, sizeof acct);
    int rc = fn(arg, &r);
    return rc < 0 ? rc : 1;
}

int conv_service_flush(conv_service *svc)
{
    if (svc->retry_ms > 0)
        return GW_EIO; /* failing: nothing is written until the retry */
    int rc = GW_OK, wrc;
    /* stops at the first failed write: the next would wait for the same
     * lock or fail the same way, and the retry reloads anyway */
    while (rc == GW_OK && !dlink_empty(&svc->dirty_convs)) {
        /* a batch of rows per statement (conv_store_put_conversations);
         * the names are copied out of each key for its row */
        conv *batch[CONV_PUT_BATCH];
        conv_row rows[CONV_PUT_BATCH];
        char net[CONV_PUT_BATCH][256], acct[CONV_PUT_BATCH][256]; /* both len bytes */
        size_t n = 0;
        while (n < CONV_PUT_BATCH && !dlink_empty(&svc->dirty_convs)) {
            conv *cv = CONTAINER_OF(svc->dirty_convs.next, conv, dirty_link);
            dlink_remove(&cv->dirty_link);
            if ((wrc = move_items(svc, cv)) != GW_OK && rc == GW_OK)
                rc = wrc;
            conv_row_fill(cv, &rows[n], net[n], acct[n], sizeof acct[n]);
            batch[n++] = cv;
        }
        if ((wrc = conv_store_put_conversations(svc->cs, rows, n)) != GW_OK && rc == GW_OK)
            rc = wrc;
        for (size_t i = 0; i < n; i++) {
            if (batch[i]->state == CONV_CLOSED)
                forget_closed(svc, batch[i]);
        }
    }
    if (rc == GW_OK)
        rc = conv_contact_flush(svc, 0);
    if (rc == GW_OK)
        rc = link_contacts(svc, 0);
    return rc;
}

int conv_service_close_conversation(conv_service *svc, int64_t id, uint64_t now_ms)
{
    conv *cv = idmap_get(svc->by_id, id);
    if (cv == NULL || cv->state == CONV_CLOSED)
        return 0;
    conv_close_one(svc, cv, now_ms);
    return 1;
}

typedef struct idle_walk {
    conv_service *svc;
    uint64_t now_ms;
    conv **due;
    size_t count, cap;
} idle_walk;

static int collect_idle(void *arg, void *value)
{
    idle_walk *w = arg;
    conv *cv = value;
    if (cv->state == CONV_CLOSED ||
        w->now_ms - (uint64_t)cv->last_ms < w->svc->opt.close_after_ms)
        return 0;
    if (w->count == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        conv **grown = realloc(w->due, cap * sizeof *grown);
        if (grown == NULL)
            return 1; /* the rest waits for the next check */
        w->due = grown;
        w->cap = cap;
    }
    w->due[w->count++] = cv;
    return 0;
}

/* Close what was quiet for close_after; collected first, because closing
 * must not change the map being walked. */
static void close_timer_cb(uv_timer_t *t)
{
    conv_service *svc = t->data;
    idle_walk w = {.svc = svc, .now_ms = clock_wall_ms()};
    idmap_each(svc->by_id, collect_idle, &w);
    for (size_t i = 0; i < w.count; i++)
        conv_close_one(svc, w.due[i], w.now_ms);
    if (w.count > 0)
        log_write(svc->log, GW_LOG_DEBUG, "conversations", "closed %zu inactive conversations",
                  w.count);
    free(w.due);
}

int conv_service_link(conv_service *svc, int64_t a, int64_t b)
{
    contact *ca = conv_contact_by_id(svc, a);
    if (ca == NULL)
        return 0;
    int64_t to = ca->person;
    contact *cb = conv_contact_by_id(svc, b);
    if (cb == NULL)
        return 0;
    int64_t from = cb->person;
    if (from == to)
        return 1;
    /* the smaller id names the person, whichever side was linked */
    if (from < to) {
        int64_t tmp = from;
        from = to;
        to = tmp;
    }
    int rc = conv_contact_flush(svc, 1);
    if (rc == GW_OK)
        rc = contact_store_merge_person(svc->ks, from, to);
    if (rc != GW_OK)
        return rc;
    for (contact *ct = conv_lru_first(svc); ct != NULL; ct = conv_lru_next(svc, ct)) {
        if (ct->person == from)
            ct->person = to;
    }
    return 1;
}

int conv_service_list(conv_service *svc, const conv_page *page, conv_row_fn fn, void *arg)
{
    int active = page->state != NULL && strcmp(page->state, "closed") != 0;
    return active ? conv_service_list_active(svc, page, fn, arg)
                  : conv_store_list(svc->cs, page, fn, arg);
}

int conv_service_items(conv_service *svc, int64_t id, const char *tail, size_t max_items,
                       char **out)
{
    return conv_store_items(svc->cs, id, tail, max_items, out);
}

int conv_service_contact(conv_service *svc, int64_t id, contact_row_fn fn, void *arg)
{
    return contact_store_get(svc->ks, id, fn, arg);
}

int conv_service_person(conv_service *svc, int64_t person, contact_row_fn contact_fn,
                        void *contact_arg, size_t max_conversations, conv_row_fn conv_fn,
                        void *conv_arg)
{
    int rc = contact_store_each_of_person(svc->ks, person, contact_fn, contact_arg);
    return rc < 0 ? rc
                  : conv_store_each_of_person(svc->cs, person, max_conversations, conv_fn,
                                              conv_arg);
}

int conv_service_metrics(conv_service *svc, conv_metrics *out)
{
    *out = (conv_metrics){.bucket_bounds = conv_response_bounds,
                          .responses = svc->response_count,
                          .within_target = svc->response_within,
                          .response_sum_s = svc->response_sum_s,
                          .breaches = svc->breaches,
                          .closed = svc->closed_total,
                          .store_failing = svc->retry_ms > 0};
    memcpy(out->buckets, svc->response_buckets, sizeof out->buckets);
    return conv_tally_groups(svc, out);
}

void conv_metrics_free(conv_metrics *m)
{
    free(m->groups);
    m->groups = NULL;
    m->group_count = 0;
}

/* After a failed commit of its database the service goes on from memory
 * (right for every event the log holds) and writes nothing until a
 * retry, which rolls back, reloads the tables, applies the log's events
 * after their applied seq and commits. One reload per retry, backing off
 * from 1 s to 30 s: a reload at every tick of a lasting failure would
 * apply an ever longer stretch of the log at every tick. */
#define RETRY_FIRST_MS 1000
#define RETRY_MAX_MS 30000

static void retry_timer_cb(uv_timer_t *t)
{
    conv_service *svc = t->data;
    uint64_t delay = svc->retry_ms;
    svc->retry_ms = 0; /* writing again, for this attempt */
    int rc = conv_service_reload(svc);
    if (rc == GW_OK)
        rc = conv_service_flush(svc);
    if (rc == GW_OK)
        rc = conv_db_commit(svc);
    if (rc == GW_OK) {
        log_write(svc->log, GW_LOG_INFO, "conversations", "%s written again",
                  store_path(svc->db));
        return;
    }
    store_rollback(svc->db);
    svc->retry_ms = delay * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : delay * 2;
    uv_update_time(svc->loop);
    uv_timer_start(&svc->retry_timer, retry_timer_cb, svc->retry_ms, 0);
}

int conv_service_commit(conv_service *svc)
{
    if (svc->retry_ms > 0)
        return GW_EIO; /* failing: the retry writes */
    int rc = conv_service_flush(svc);
    if (rc == GW_OK)
        rc = conv_db_commit(svc);
    if (rc != GW_OK) {
        store_rollback(svc->db);
        svc->retry_ms = RETRY_FIRST_MS;
        uv_update_time(svc->loop); /* the failure may have waited (a busy lock) */
        uv_timer_start(&svc->retry_timer, retry_timer_cb, svc->retry_ms, 0);
        log_write(svc->log, GW_LOG_ERROR, "conversations", "nothing more is written to %s "
                  "until a retry (in %d s, then backing off to %d s) succeeds; the conversations "
                  "go on from memory and the log", store_path(svc->db), RETRY_FIRST_MS / 1000,
                  RETRY_MAX_MS / 1000);
    }
    return rc;
}

int conv_service_failing(const conv_service *svc)
{
    return svc->retry_ms > 0;
}

void conv_service_close(conv_service *svc, int log_committed)
{
    if (svc == NULL)
        return;
    if (log_committed) {
        conv_contact_flush(svc, 1);
        link_contacts(svc, 1);
        conv_service_commit(svc);
    }
    conv_sla_close(svc);
    uv_handle_t *timers[] = {(uv_handle_t *)&svc->close_timer, (uv_handle_t *)&svc->sweep_timer,
                             (uv_handle_t *)&svc->retry_timer};
    for (size_t i = 0; i < 3; i++) {
        if (!uv_is_closing(timers[i]))
            uv_close(timers[i], NULL);
    }
}

static int free_conv(void *arg, void *value)
{
    (void)arg;
    conv_free(value);
    return 0;
}

void conv_service_free(conv_service *svc)
{
    if (svc == NULL)
        return;
    drop_state(svc);
    conv_list_free(svc);
    idmap_free(svc->by_id);
    strmap_free(svc->by_key);
    strmap_free(svc->contacts);
    strmap_free(svc->contact_ids);
    conv_tally_free(svc);
    conv_sla_free(svc);
    jw_buf_free(&svc->members_text);
    conv_db_close(svc);
    free(svc);
}
