/* conv_service.c - the conversation service's life: opening it,
 * closing conversations (by the API or after inactivity), contact links,
 * the API's reads, the figures for /metrics, and the stop. The per-event
 * work is conv_assign.c's, the contact cache conv_contacts.c's, loading
 * conv_load.c's, the flush conv_flush.c's, the commit and its retries
 * conv_retry.c's, the writes conv_writer.c's thread's.
 */
#include "service/conv_service.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "gateway/error.h"
#include "service/conv_state.h"
#include "service/conv_writer.h"

/* The inactivity check runs at most this often (it walks the
 * conversations in memory), and at least four times per close_after. */
#define CLOSE_CHECK_MAX_MS 60000
#define CLOSE_CHECK_MIN_MS 100
/* Contacts' counters are written this often (see conv_contact_flush). */
#define CONTACT_SWEEP_MS 30000
static void close_timer_cb(uv_timer_t *t);

static void sweep_timer_cb(uv_timer_t *t)
{
    conv_service *svc = t->data;
    conv_contact_flush(svc, 1);
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
    svc->durable_seq = -1;
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
        rc = conv_load_state(svc, err, errlen);
    if (rc == GW_OK)
        rc = conv_retry_start_writer(svc, err, errlen);
    /* what the start applied again, written at once (no retry yet) */
    char werr[256] = "out of memory";
    if (rc == GW_OK &&
        ((rc = conv_flush_rows(svc)) != GW_OK || (rc = conv_db_commit(svc)) != GW_OK ||
         (rc = conv_writer_take_failure(svc->writer, werr, sizeof werr)) != GW_OK))
        snprintf(err, errlen, "conversations: %s: %s", path, werr);
    if (rc == GW_OK) /* committed: the take waited for the writer */
        svc->durable_seq = conv_writer_durable(svc->writer);
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

int conv_service_get(conv_service *svc, int64_t id, conv_row_fn fn, void *arg)
{
    const conv *cv = idmap_get(svc->by_id, id);
    if (cv == NULL) {
        conv_db_ready(svc);
        return conv_store_get_conversation(svc->cs, id, fn, arg);
    }
    conv_row r;
    char net[256], acct[256];
    conv_row_fill(cv, &r, net, acct, sizeof acct);
    int rc = fn(arg, &r);
    return rc < 0 ? rc : 1;
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
        rc = conv_db_sync(svc); /* the rows the merge updates, written */
    if (rc == GW_OK)
        rc = contact_store_merge_person(svc->ks, from, to);
    if (rc != GW_OK)
        return rc;
    svc->uncommitted = 1; /* committed with the next tick */
    for (contact *ct = conv_lru_first(svc); ct != NULL; ct = conv_lru_next(svc, ct)) {
        if (ct->person == from)
            ct->person = to;
    }
    return 1;
}

int conv_service_list(conv_service *svc, const conv_page *page, conv_row_fn fn, void *arg)
{
    int active = page->state != NULL && strcmp(page->state, "closed") != 0;
    if (active)
        return conv_service_list_active(svc, page, fn, arg);
    /* the table, with this tick's changes too (a conversation closed
     * since the last tick is still in memory): flushed, handed over
     * without a commit, and written; failing, as it stands */
    if (conv_flush_rows(svc) != GW_OK || conv_db_sync(svc) != GW_OK)
        conv_db_ready(svc);
    return conv_store_list(svc->cs, page, fn, arg);
}

int conv_service_items(conv_service *svc, int64_t id, const char *tail, size_t max_items,
                       char **out)
{
    conv_db_ready(svc);
    return conv_store_items(svc->cs, id, tail, max_items, out);
}

int conv_service_contact(conv_service *svc, int64_t id, contact_row_fn fn, void *arg)
{
    conv_db_ready(svc);
    return contact_store_get(svc->ks, id, fn, arg);
}

int conv_service_person(conv_service *svc, int64_t person, contact_row_fn contact_fn,
                        void *contact_arg, size_t max_conversations, conv_row_fn conv_fn,
                        void *conv_arg)
{
    conv_db_ready(svc);
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
    if (svc->writer != NULL) {
        conv_writer_stats ws;
        conv_writer_stats_get(svc->writer, &ws);
        out->writer_waits = ws.full_waits;
    }
    memcpy(out->buckets, svc->response_buckets, sizeof out->buckets);
    return conv_tally_groups(svc, out);
}

void conv_metrics_free(conv_metrics *m)
{
    free(m->groups);
    m->groups = NULL;
    m->group_count = 0;
}

void conv_service_close(conv_service *svc, int log_committed)
{
    if (svc == NULL)
        return;
    if (log_committed) {
        conv_contact_flush(svc, 1);
        conv_link_contacts(svc, 1);
        conv_service_commit(svc);
        conv_service_sync(svc); /* its outcome, logged */
    }
    conv_writer_close(svc->writer); /* after every batch handed over */
    svc->writer = NULL;
    conv_sla_close(svc);
    uv_handle_t *timers[] = {(uv_handle_t *)&svc->close_timer, (uv_handle_t *)&svc->sweep_timer,
                             (uv_handle_t *)&svc->retry_timer};
    for (size_t i = 0; i < 3; i++) {
        if (!uv_is_closing(timers[i]))
            uv_close(timers[i], NULL);
    }
}

void conv_service_free(conv_service *svc)
{
    if (svc == NULL)
        return;
    conv_drop_state(svc);
    conv_list_free(svc);
    idmap_free(svc->by_id);
    strmap_free(svc->by_key);
    strmap_free(svc->contacts);
    strmap_free(svc->contact_ids);
    conv_tally_free(svc);
    conv_sla_free(svc);
    jw_buf_free(&svc->members_text);
    conv_members_free(svc);
    conv_db_close(svc);
    free(svc);
}
