/* plugins/yelp/fetch.c - the reads, as one queue run in order.
 *
 * A fetch queues the reviews read and, with fetch_leads, the list of the
 * business's leads, which queues a read of each lead's new events (newer
 * than the cursor kept per lead in kv, "lead.<id>"). A webhook delivery
 * queues the read of the one review or lead it names behind whatever is
 * queued. One read runs at a time, so a lead's cursor only moves forward
 * and the kv write lands in the tick of the events it covers.
 *
 * Reviews have no cursor and the standard plan shows only a few excerpts:
 * every read hands them all over and the host drops what it has by id. A
 * delivery's review that the excerpts do not show is emitted from what
 * the delivery says (id, rating, reviewer), without text.
 *
 * The fetch op completes when its last read is done; the first failed
 * read ends it with that read's outcome and drops the fetch's other reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yelp.h"

#define EVENTS_LIMIT 20
#define URL_MAX 1024

enum task_kind { T_REVIEWS, T_LEAD_IDS, T_LEAD_EVENTS };

struct yelp_task {
    yelp_task *next;
    enum task_kind kind;
    bool of_fetch;         /* part of inst->fetch_op */
    bool has_hint;         /* T_REVIEWS from a delivery */
    yelp_update hint;
    char lead[YELP_ID_MAX]; /* T_LEAD_EVENTS */
};

static void run_next(gw_instance *inst);

static yelp_task *task_new(enum task_kind kind, bool of_fetch)
{
    yelp_task *t = calloc(1, sizeof *t);
    if (t != NULL) {
        t->kind = kind;
        t->of_fetch = of_fetch;
    }
    return t;
}

static void push_back(gw_instance *inst, yelp_task *t)
{
    if (inst->tasks_tail != NULL)
        inst->tasks_tail->next = t;
    else
        inst->tasks = t;
    inst->tasks_tail = t;
}

/* Behind the running head, ahead of the rest. */
static void push_after_head(gw_instance *inst, yelp_task *t)
{
    yelp_task *head = inst->tasks;
    t->next = head->next;
    head->next = t;
    if (inst->tasks_tail == head)
        inst->tasks_tail = t;
}

static bool fetch_tasks_queued(const gw_instance *inst)
{
    for (const yelp_task *t = inst->tasks; t != NULL; t = t->next)
        if (t->of_fetch)
            return true;
    return false;
}

static void drop_fetch_tasks(gw_instance *inst)
{
    yelp_task **pp = &inst->tasks;
    inst->tasks_tail = NULL;
    while (*pp != NULL) {
        yelp_task *t = *pp;
        if (t->of_fetch) {
            *pp = t->next;
            free(t);
        } else {
            inst->tasks_tail = t;
            pp = &t->next;
        }
    }
}

/* The head read ended: outcome OK, or a failure with its reason. */
static void task_done(gw_instance *inst, gw_outcome outcome, uint64_t delay_ms, const char *why)
{
    yelp_task *t = inst->tasks;
    inst->tasks = t->next;
    if (inst->tasks == NULL)
        inst->tasks_tail = NULL;
    inst->running = false;
    bool of_fetch = t->of_fetch;
    free(t);
    if (outcome != GW_OUTCOME_OK) {
        if (of_fetch && inst->fetch_op != NULL) {
            inst->fetch_outcome = outcome;
            inst->fetch_delay_ms = delay_ms;
            snprintf(inst->fetch_error, sizeof inst->fetch_error, "yelp: %s", why);
            drop_fetch_tasks(inst);
        } else {
            inst->host->log(inst->acct, GW_LOG_WARN, "yelp: a webhook's read failed: %s", why);
        }
    }
    gw_op *op = NULL;
    gw_outcome fetch_outcome = inst->fetch_outcome;
    uint64_t fetch_delay = inst->fetch_delay_ms;
    char message[sizeof inst->fetch_error];
    if (of_fetch && inst->fetch_op != NULL && !fetch_tasks_queued(inst)) {
        op = inst->fetch_op;
        inst->fetch_op = NULL;
        memcpy(message, inst->fetch_error, sizeof message);
    }
    run_next(inst);
    /* Completing the fetch is the last thing done: while the gateway
     * stops, the host may destroy the instance inside complete(). */
    if (op == NULL)
        return;
    if (fetch_outcome == GW_OUTCOME_OK)
        inst->host->complete(op, GW_OUTCOME_OK, GW_DELAY_POLL_INTERVAL, NULL, NULL);
    else
        inst->host->complete(op, fetch_outcome, fetch_delay, message, NULL);
}

static int emit_one(void *arg, json_t *event)
{
    gw_instance *inst = arg;
    return inst->host->emit(inst->acct, event);
}

/* A failed answer ends the read; true when it did. */
static bool failed(gw_instance *inst, const gw_http_response *resp)
{
    yelp_error e;
    yelp_error_read(resp, inst->host->now_ms(inst->acct), &e);
    if (e.outcome == GW_OUTCOME_OK)
        return false;
    if (e.credentials)
        yelp_credentials_failed(inst, inst->tasks->kind == T_REVIEWS
                                          ? "Yelp refused the API key"
                                          : "Yelp refused the partner (business-user) token");
    task_done(inst, e.outcome, e.retry_after_ms, e.text);
    return true;
}

static json_t *parse(gw_instance *inst, const gw_http_response *resp)
{
    json_t *doc = json_loadb((const char *)resp->body, resp->body_len, 0, NULL);
    if (doc == NULL)
        task_done(inst, GW_OUTCOME_RETRY, YELP_RETRY_DELAY_MS, "Yelp's answer is not JSON");
    return doc;
}

/* ---- reviews ------------------------------------------------------------ */

static bool lists(const json_t *doc, const char *id)
{
    size_t i;
    const json_t *r;
    json_array_foreach(json_object_get(doc, "reviews"), i, r)
    {
        const char *rid = gw_sdk_json_string(r, "id", "");
        if (strcmp(rid, id) == 0)
            return true;
    }
    return false;
}

/* A delivery's review without its excerpt: what the delivery says. */
static void emit_hint(gw_instance *inst, const yelp_update *u)
{
    char url[256];
    snprintf(url, sizeof url, "https://www.yelp.com/biz/%s?hrid=%s", inst->opt.business_id,
             u->id);
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s}, s:{s:s, s:s}}", "type", "review",
                           "visibility", "public", "native_id", u->id, "thread_id", u->id, "url",
                           url, "author", "id", u->user_id[0] ? u->user_id : "unknown",
                           "context", "kind", "business", "id", inst->opt.business_id);
    if (ev == NULL)
        return;
    if (u->rating > 0) {
        json_object_set_new(ev, "rating", json_real(u->rating));
        if (u->rating <= 2)
            json_object_set_new(ev, "tags", json_pack("{s:b}", "low_rating", 1));
    }
    emit_one(inst, ev);
}

static void on_reviews(gw_instance *inst, void *ctx, const gw_http_response *resp)
{
    (void)ctx;
    if (failed(inst, resp))
        return;
    json_t *doc = parse(inst, resp);
    if (doc == NULL)
        return;
    int n = yelp_reviews_page(inst->opt.business_id, doc, emit_one, inst);
    const yelp_task *t = inst->tasks;
    if (n >= 0 && t->has_hint && !lists(doc, t->hint.id))
        emit_hint(inst, &t->hint);
    json_decref(doc);
    if (n < 0)
        task_done(inst, GW_OUTCOME_FATAL, 0, "Yelp's reviews answer has no reviews array");
    else
        task_done(inst, GW_OUTCOME_OK, 0, NULL);
}

/* ---- leads ------------------------------------------------------------ */

static bool lead_id_ok(const char *s)
{
    size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");
    return n > 0 && n < YELP_ID_MAX && s[n] == '\0';
}

static void on_lead_ids(gw_instance *inst, void *ctx, const gw_http_response *resp)
{
    (void)ctx;
    if (failed(inst, resp))
        return;
    json_t *doc = parse(inst, resp);
    if (doc == NULL)
        return;
    const json_t *ids = json_object_get(doc, "lead_ids");
    /* Newest first: queue them so the newest is read first. */
    for (size_t i = json_array_size(ids); i-- > 0;) {
        const char *id = json_string_value(json_array_get(ids, i));
        yelp_task *t = id != NULL && lead_id_ok(id) ? task_new(T_LEAD_EVENTS, true) : NULL;
        if (t == NULL)
            continue;
        gw_sdk_str_copy(t->lead, sizeof t->lead, id);
        push_after_head(inst, t);
    }
    json_decref(doc);
    task_done(inst, GW_OUTCOME_OK, 0, NULL);
}

static void on_lead_events(gw_instance *inst, void *ctx, const gw_http_response *resp)
{
    (void)ctx;
    if (failed(inst, resp))
        return;
    json_t *doc = parse(inst, resp);
    if (doc == NULL)
        return;
    const yelp_task *t = inst->tasks;
    const json_t *events = json_object_get(doc, "events");
    const char *last = NULL;
    size_t i;
    const json_t *ev;
    json_array_foreach(events, i, ev)
    {
        json_t *out = yelp_lead_event(t->lead, ev);
        if (out != NULL)
            emit_one(inst, out);
        const char *c = gw_sdk_json_string(ev, "cursor", NULL);
        if (c != NULL && c[0] != '\0' && strlen(c) < YELP_CURSOR_MAX)
            last = c;
    }
    if (last != NULL) {
        char key[YELP_ID_MAX + 8];
        snprintf(key, sizeof key, "lead.%s", t->lead);
        inst->host->kv_set(inst->acct, key, last);
    }
    /* A full page may have more behind it: read on from the new cursor. */
    if (last != NULL && json_array_size(events) >= EVENTS_LIMIT) {
        yelp_task *more = task_new(T_LEAD_EVENTS, t->of_fetch);
        if (more != NULL) {
            gw_sdk_str_copy(more->lead, sizeof more->lead, t->lead);
            push_after_head(inst, more);
        }
    }
    json_decref(doc);
    task_done(inst, GW_OUTCOME_OK, 0, NULL);
}

/* ---- the queue ------------------------------------------------------------ */

static void start(gw_instance *inst)
{
    const yelp_options *o = &inst->opt;
    yelp_task *t = inst->tasks;
    char url[URL_MAX];
    const char *token = o->partner_token;
    yelp_response_fn fn;
    if (t->kind == T_REVIEWS) {
        snprintf(url, sizeof url, "%s/v3/businesses/%s/reviews?limit=20&sort_by=newest&locale=%s",
                 o->base_url, o->business_id, o->locale);
        token = o->api_key;
        fn = on_reviews;
    } else if (t->kind == T_LEAD_IDS) {
        snprintf(url, sizeof url, "%s/v3/businesses/%s/lead_ids?limit=%u", o->base_url,
                 o->business_id, o->max_leads);
        fn = on_lead_ids;
    } else {
        char key[YELP_ID_MAX + 8], cursor[YELP_CURSOR_MAX], enc[3 * YELP_CURSOR_MAX + 1];
        snprintf(key, sizeof key, "lead.%s", t->lead);
        int n = snprintf(url, sizeof url, "%s/v3/leads/%s/events?limit=%d", o->base_url, t->lead,
                         EVENTS_LIMIT);
        if (inst->host->kv_get(inst->acct, key, cursor, sizeof cursor) > 0 &&
            gw_sdk_percent_encode(cursor, enc, sizeof enc) < sizeof enc && n > 0)
            snprintf(url + n, sizeof url - (size_t)n, "&newer_than_cursor=%s", enc);
        fn = on_lead_events;
    }
    if (token == NULL) {
        task_done(inst, GW_OUTCOME_UNSUPPORTED, 0, "needs Yelp partner access (partner_token)");
        return;
    }
    int rc = yelp_request(inst, "GET", url, token, NULL, fn, NULL);
    if (rc < 0)
        task_done(inst, GW_OUTCOME_RETRY, YELP_RETRY_DELAY_MS, gw_strerror(rc));
}

static void run_next(gw_instance *inst)
{
    /* start() may end the head at once (task_done runs the next), so
     * running guards against starting a second read meanwhile. */
    if (inst->running || inst->tasks == NULL)
        return;
    inst->running = true;
    start(inst);
}

void yelp_fetch_start(gw_instance *inst, gw_op *op)
{
    if (inst->fetch_op != NULL) {
        inst->host->complete(op, GW_OUTCOME_RETRY, YELP_RETRY_DELAY_MS,
                             "yelp: the previous fetch is still running", NULL);
        return;
    }
    yelp_task *reviews = task_new(T_REVIEWS, true);
    yelp_task *leads = inst->opt.fetch_leads ? task_new(T_LEAD_IDS, true) : NULL;
    if (reviews == NULL || (inst->opt.fetch_leads && leads == NULL)) {
        free(reviews);
        free(leads);
        inst->host->complete(op, GW_OUTCOME_RETRY, YELP_RETRY_DELAY_MS, "yelp: out of memory",
                             NULL);
        return;
    }
    inst->fetch_op = op;
    inst->fetch_outcome = GW_OUTCOME_OK;
    inst->fetch_delay_ms = 0;
    inst->fetch_error[0] = '\0';
    push_back(inst, reviews);
    if (leads != NULL)
        push_back(inst, leads);
    run_next(inst);
}

void yelp_fetch_review_now(gw_instance *inst, const yelp_update *u)
{
    yelp_task *t = task_new(T_REVIEWS, false);
    if (t == NULL)
        return;
    t->has_hint = true;
    t->hint = *u;
    push_back(inst, t);
    run_next(inst);
}

void yelp_fetch_lead_now(gw_instance *inst, const char *lead_id)
{
    yelp_task *t = lead_id_ok(lead_id) ? task_new(T_LEAD_EVENTS, false) : NULL;
    if (t == NULL)
        return;
    gw_sdk_str_copy(t->lead, sizeof t->lead, lead_id);
    push_back(inst, t);
    run_next(inst);
}

void yelp_fetch_forget(gw_instance *inst)
{
    while (inst->tasks != NULL) {
        yelp_task *t = inst->tasks;
        inst->tasks = t->next;
        free(t);
    }
    inst->tasks_tail = NULL;
    inst->running = false;
}
