/* account.c - per-account plugin instances, the host services table,
 * fetch scheduling and the retry / circuit-breaker policy; see account.h.
 */
#define _GNU_SOURCE /* asprintf */
#include "engine/account.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "http/http_client.h"
#include "http/http_server.h"
#include "engine/outbox.h"
#include "http/ratelimit.h"

/* The jitter spreads the fetches of accounts configured with the same
 * interval, so they do not all hit their networks in the same second. */
#define POLL_JITTER 0.1

enum op_kind { OP_FETCH, OP_POST_PUBLIC, OP_SEND_PRIVATE, OP_WEBHOOK };

typedef void (*op_done_fn)(gw_op *op, gw_outcome outcome, uint64_t delay_ms, const char *message,
                           json_t *result, void *ctx);

struct gw_op {
    uv_timer_t timeout;   /* first member: the handle's data points back */
    gw_account *acct;
    enum op_kind kind;
    int reported;         /* the issuer has been told the outcome */
    op_done_fn on_done;
    void *ctx;
    gw_op *prev, *next;   /* the account's outstanding ops */
    /* Post ops (account_post, for the outbox): */
    int timed_out;        /* reported by the timeout, not the plugin */
    account_post_fn post_done;
    void *post_ctx;
};

struct gw_timer {
    uv_timer_t handle;
    gw_account *acct;
    gw_timer_cb cb;
    void *arg;
    int done;             /* fired or cancelled: the handle is closing */
    gw_timer *prev, *next;
};

enum account_state { ACCT_IDLE, ACCT_FETCHING, ACCT_STOPPED };

struct gw_account {
    gw_runtime *rt;
    const loaded_plugin *plugin;
    gw_instance *inst;
    char *network, *name, *label;
    json_t *options;
    uint64_t poll_interval_ms;
    int enabled;
    enum account_state state;
    int quiescing;
    int destroying;
    uv_timer_t *fetch_timer; /* owns the account: freed in its close cb */
    unsigned attempt;        /* consecutive non-OK outcomes, for backoff */
    unsigned fatal_streak;   /* consecutive FATAL outcomes */
    int in_ready;
    gw_account *ready_next;
    gw_timer *timers;
    gw_op *ops;
    struct http_call *calls; /* requests in flight for the plugin */
    ratelimit_budget budget; /* the network's rate limits for this account */
    account_stats stats;
};

/* One plugin request in flight: the host looks at the answer (401s) before
 * the plugin's callback sees it. Listed on the account so those the client
 * cancels at destroy (without a callback) are still freed. */
typedef struct http_call {
    gw_account *acct;
    gw_http_cb cb;
    void *arg;
    struct http_call *prev, *next;
} http_call;

static const gw_host host_table;

/* ---- helpers ---------------------------------------------------------- */

static void free_handle_cb(uv_handle_t *h)
{
    free(h);
}

static void account_free_cb(uv_handle_t *h)
{
    gw_account *acct = h->data;
    free(acct->network);
    free(acct->name);
    free(acct->label);
    json_decref(acct->options);
    free(acct);
    free(h);
}

const char *account_label(const gw_account *acct)
{
    return acct->label;
}

const char *account_network(const gw_account *acct)
{
    return acct->network;
}

const char *account_name(const gw_account *acct)
{
    return acct->name;
}

const account_stats *account_stats_get(const gw_account *acct)
{
    return &acct->stats;
}

const ratelimit_budget *account_budget(const gw_account *acct)
{
    return &acct->budget;
}

/* ---- ops ------------------------------------------------------------- */

static void op_unlink(gw_op *op)
{
    gw_account *acct = op->acct;
    if (op->prev)
        op->prev->next = op->next;
    else
        acct->ops = op->next;
    if (op->next)
        op->next->prev = op->prev;
    op->prev = op->next = NULL;
}

static void op_timeout_cb(uv_timer_t *t)
{
    gw_op *op = t->data;
    char msg[96];
    snprintf(msg, sizeof msg, "no completion within %llu ms",
             (unsigned long long)op->acct->rt->fetch_timeout_ms);
    op->reported = 1;
    op->timed_out = 1;
    op->acct->stats.op_timeouts++;
    /* The op stays allocated: the plugin still holds it and will complete
     * it later; that completion is then ignored. */
    op->on_done(op, GW_OUTCOME_RETRY, 0, msg, NULL, op->ctx);
}

/* Ownership: returns an op owned by the account's list (freed once the
 * plugin completes it, or at destroy); NULL on allocation failure. */
static gw_op *op_new(gw_account *acct, enum op_kind kind, op_done_fn on_done, void *ctx)
{
    gw_op *op = calloc(1, sizeof *op);
    if (op == NULL)
        return NULL;
    op->acct = acct;
    op->kind = kind;
    op->on_done = on_done;
    op->ctx = ctx;
    uv_timer_init(&acct->rt->loop, &op->timeout);
    op->timeout.data = op;
    uv_timer_start(&op->timeout, op_timeout_cb, acct->rt->fetch_timeout_ms, 0);
    op->next = acct->ops;
    if (acct->ops)
        acct->ops->prev = op;
    acct->ops = op;
    return op;
}

static void host_complete(gw_op *op, gw_outcome outcome, uint64_t delay_ms, const char *message,
                          json_t *result)
{
    gw_account *acct = op->acct;
    uv_timer_stop(&op->timeout);
    op_unlink(op);
    if (op->reported) {
        log_debug(&acct->rt->log, acct->label, "late completion ignored (op timed out)");
        json_decref(result);
    } else {
        op->reported = 1;
        op->on_done(op, outcome, delay_ms, message, result, op->ctx);
    }
    uv_close((uv_handle_t *)&op->timeout, free_handle_cb);
}

int account_idle(const gw_account *acct)
{
    for (const gw_op *op = acct->ops; op; op = op->next) {
        if (!op->reported)
            return 0;
    }
    return 1;
}

/* ---- scheduling ------------------------------------------------------ */

static void start_fetch(gw_account *acct);

static void fetch_timer_cb(uv_timer_t *t)
{
    start_fetch(t->data);
}

static void schedule_fetch(gw_account *acct, uint64_t delay_ms)
{
    if (acct->quiescing || acct->state == ACCT_STOPPED)
        return;
    uv_timer_start(acct->fetch_timer, fetch_timer_cb, delay_ms, 0);
}

/* Its only job is to be active: an active idle handle makes the poll
 * phase return at once, so the check phase runs the ready list. */
static void spin_cb(uv_idle_t *h)
{
    (void)h;
}

/* "Fetch again now" goes through the runtime's ready list rather than a
 * 0 ms timer: a timer armed from a timer callback can run again in the
 * same loop phase and starve I/O and the group commit. */
static void schedule_ready(gw_account *acct)
{
    gw_runtime *rt = acct->rt;
    if (acct->in_ready || acct->quiescing || acct->state == ACCT_STOPPED)
        return;
    acct->in_ready = 1;
    acct->ready_next = rt->ready_head;
    rt->ready_head = acct;
    uv_idle_start(&rt->spin_handle, spin_cb);
}

void account_run_ready(gw_runtime *rt)
{
    gw_account *list = rt->ready_head;
    rt->ready_head = NULL;
    while (list) {
        gw_account *acct = list;
        list = acct->ready_next;
        acct->ready_next = NULL;
        acct->in_ready = 0;
        start_fetch(acct);
    }
}

static void emit_host_event(gw_account *acct, const char *type, json_t *detail)
{
    gw_runtime *rt = acct->rt;
    uint64_t now = clock_wall_ms();
    char native[128];
    snprintf(native, sizeof native, "%s:%s:%llu", type, acct->name, (unsigned long long)now);
    json_t *ev = json_pack("{s:s, s:s, s:s, s:o}", "type", type, "visibility", "private",
                           "native_id", native, "detail", detail);
    if (ev == NULL)
        return;
    int rc = pipeline_ingest_host(rt->store, acct->network, acct->name, ev, now,
                                  &acct->stats.events);
    if (rc < 0)
        log_error(&rt->log, acct->label, "could not record %s event: %s", type,
                  gw_strerror(rc));
}

static void stop_account(gw_account *acct, const char *reason)
{
    gw_runtime *rt = acct->rt;
    acct->state = ACCT_STOPPED;
    acct->stats.stopped = 1;
    uv_timer_stop(acct->fetch_timer);
    log_error(&rt->log, acct->label,
              "account stopped after %u consecutive failures (last: %s); fix the cause and "
              "restart the gateway",
              acct->fatal_streak, reason ? reason : "no reason given");
    emit_host_event(acct, "account.stopped",
                    json_pack("{s:s, s:I}", "reason", reason ? reason : "",
                              "failures", (json_int_t)acct->fatal_streak));
}

static void fetch_done(gw_op *op, gw_outcome outcome, uint64_t delay_ms, const char *message,
                       json_t *result, void *ctx)
{
    (void)op;
    gw_account *acct = ctx;
    gw_runtime *rt = acct->rt;
    json_decref(result);
    if (acct->state == ACCT_FETCHING)
        acct->state = ACCT_IDLE;
    if (acct->quiescing) {
        runtime_check_drained(rt);
        return;
    }
    uint64_t backoff;
    switch (outcome) {
    case GW_OUTCOME_OK:
        acct->stats.fetch_ok++;
        acct->attempt = 0;
        acct->fatal_streak = 0;
        if (delay_ms == 0)
            schedule_ready(acct);
        else if (delay_ms == GW_DELAY_POLL_INTERVAL)
            schedule_fetch(acct, backoff_jitter_interval(&rt->rng, acct->poll_interval_ms,
                                                         POLL_JITTER));
        else
            schedule_fetch(acct, delay_ms);
        break;
    case GW_OUTCOME_RETRY:
        acct->stats.fetch_retry++;
        backoff = backoff_full_jitter(&rt->rng, rt->retry_base_ms, rt->retry_max_ms,
                                      acct->attempt++);
        /* Never earlier than the network asked (a 429's reset time). */
        if (delay_ms != GW_DELAY_POLL_INTERVAL && delay_ms > backoff)
            backoff = delay_ms;
        log_info(&rt->log, acct->label, "fetch will be retried in %llu ms: %s",
                 (unsigned long long)backoff, message ? message : "retry requested");
        schedule_fetch(acct, backoff);
        break;
    case GW_OUTCOME_FATAL:
        acct->stats.fetch_fatal++;
        acct->fatal_streak++;
        if (acct->fatal_streak >= rt->max_failures) {
            stop_account(acct, message);
            break;
        }
        backoff = backoff_full_jitter(&rt->rng, rt->retry_base_ms, rt->retry_max_ms,
                                      acct->attempt++);
        log_warn(&rt->log, acct->label, "fetch failed (%u of %u before the account stops): %s",
                 acct->fatal_streak, rt->max_failures, message ? message : "no reason given");
        schedule_fetch(acct, backoff);
        break;
    case GW_OUTCOME_UNSUPPORTED:
    default:
        acct->stats.fetch_unsupported++;
        log_warn(&rt->log, acct->label, "the plugin does not support fetch; polling stops");
        break;
    }
}

static void start_fetch(gw_account *acct)
{
    if (acct->quiescing || acct->state != ACCT_IDLE)
        return;
    gw_op *op = op_new(acct, OP_FETCH, fetch_done, acct);
    if (op == NULL) {
        log_error(&acct->rt->log, acct->label, "out of memory starting a fetch");
        schedule_fetch(acct, acct->rt->retry_base_ms);
        return;
    }
    acct->state = ACCT_FETCHING;
    /* The hook may complete synchronously, so op is not touched after. */
    acct->plugin->desc.fetch(acct->inst, op);
}

void account_start(gw_account *acct)
{
    if (!acct->enabled || !(acct->plugin->desc.capabilities & GW_CAP_FETCH))
        return;
    /* A small random offset staggers the first fetch of many accounts. */
    schedule_fetch(acct, backoff_next(&acct->rt->rng) % 250);
}

void account_quiesce(gw_account *acct)
{
    acct->quiescing = 1;
    uv_timer_stop(acct->fetch_timer);
}

/* ---- webhooks --------------------------------------------------------- */

typedef struct webhook_answer {
    http_exchange *ex;
    int status;
    char *content_type;
    char *body;
    size_t body_len;
} webhook_answer;

static void webhook_answer_free(webhook_answer *a)
{
    free(a->content_type);
    free(a->body);
    free(a);
}

/* Runs after the commit that follows the plugin's completion, so a 2xx
 * reaches the network only once what the delivery carried is durable. */
static void webhook_after_commit(void *arg, int committed)
{
    webhook_answer *a = arg;
    if (!committed)
        http_exchange_respond_error(a->ex, 503, "store_unavailable",
                                    "the events could not be stored; deliver again later");
    else
        http_exchange_respond(a->ex, a->status, a->content_type, a->body, a->body_len, NULL, 0);
    webhook_answer_free(a);
}

static void webhook_done(gw_op *op, gw_outcome outcome, uint64_t delay_ms, const char *message,
                         json_t *result, void *ctx)
{
    (void)delay_ms;
    gw_account *acct = op->acct;
    http_exchange *ex = ctx;
    const json_t *status = json_object_get(result, "status");
    if (outcome != GW_OUTCOME_OK || !json_is_integer(status) ||
        json_integer_value(status) < 100 || json_integer_value(status) > 599) {
        int code = outcome == GW_OUTCOME_RETRY ? 503 : 500;
        if (outcome == GW_OUTCOME_OK)
            log_warn(&acct->rt->log, acct->label,
                     "webhook answer without a valid \"status\"; answering 500");
        else
            log_warn(&acct->rt->log, acct->label, "webhook delivery failed: %s",
                     message ? message : "no reason given");
        http_exchange_respond_error(ex, code, code == 503 ? "retry_later" : "plugin_error",
                                    message ? message : "the delivery could not be handled");
        json_decref(result);
        return;
    }
    webhook_answer *a = calloc(1, sizeof *a);
    const char *ct = json_string_value(json_object_get(result, "content_type"));
    const json_t *body = json_object_get(result, "body");
    if (a != NULL) {
        a->ex = ex;
        a->status = (int)json_integer_value(status);
        a->content_type = strdup(ct ? ct : "application/json");
        a->body_len = json_is_string(body) ? json_string_length(body) : 0;
        a->body = malloc(a->body_len + 1);
        if (a->body != NULL && a->body_len > 0)
            memcpy(a->body, json_string_value(body), a->body_len);
    }
    json_decref(result);
    if (a == NULL || a->content_type == NULL || a->body == NULL ||
        runtime_after_commit(acct->rt, webhook_after_commit, a) != GW_OK) {
        if (a != NULL)
            webhook_answer_free(a);
        http_exchange_respond_error(ex, 503, "out_of_memory", "try again later");
    }
}

void account_webhook(gw_account *acct, http_exchange *ex)
{
    if (!(acct->plugin->desc.capabilities & GW_CAP_WEBHOOK)) {
        http_exchange_respond_error(ex, 404, "no_webhooks",
                                    "this network's plugin does not take webhooks");
        return;
    }
    if (acct->quiescing || acct->destroying) {
        http_exchange_respond_error(ex, 503, "shutting_down", "the gateway is stopping");
        return;
    }
    gw_op *op = op_new(acct, OP_WEBHOOK, webhook_done, ex);
    if (op == NULL) {
        http_exchange_respond_error(ex, 503, "out_of_memory", "try again later");
        return;
    }
    size_t header_count = 0, body_len = 0;
    const gw_http_header *headers = http_exchange_headers(ex, &header_count);
    const unsigned char *body = http_exchange_body(ex, &body_len);
    gw_webhook_request req = {
        .struct_size = sizeof req,
        .method = http_exchange_method(ex),
        .query = http_exchange_query(ex) ? http_exchange_query(ex) : "",
        .headers = headers,
        .header_count = header_count,
        .body = body,
        .body_len = body_len,
    };
    acct->stats.webhooks++;
    acct->plugin->desc.webhook(acct->inst, op, &req);
}

/* ---- actions (outbox) --------------------------------------------------- */

uint32_t account_capabilities(const gw_account *acct)
{
    return acct->plugin->desc.capabilities;
}

size_t account_max_text_length(const gw_account *acct)
{
    return acct->plugin->desc.max_text_length;
}

static void post_op_done(gw_op *op, gw_outcome outcome, uint64_t delay_ms, const char *message,
                         json_t *result, void *ctx)
{
    (void)ctx;
    op->post_done(op->post_ctx, outcome, delay_ms, message, result, op->timed_out);
}

int account_post(gw_account *acct, int private_message, const gw_action *action,
                 account_post_fn done, void *ctx)
{
    const gw_plugin *d = &acct->plugin->desc;
    uint32_t cap = private_message ? GW_CAP_SEND_PRIVATE : GW_CAP_POST_PUBLIC;
    if (!(d->capabilities & cap) ||
        (private_message ? d->send_private == NULL : d->post_public == NULL))
        return GW_EUNSUPPORTED;
    if (acct->quiescing || acct->destroying || acct->inst == NULL)
        return GW_ESTATE;
    gw_op *op =
        op_new(acct, private_message ? OP_SEND_PRIVATE : OP_POST_PUBLIC, post_op_done, NULL);
    if (op == NULL)
        return GW_ENOMEM;
    op->post_done = done;
    op->post_ctx = ctx;
    /* The hook may complete synchronously, so op is not touched after. */
    if (private_message)
        d->send_private(acct->inst, op, action);
    else
        d->post_public(acct->inst, op, action);
    return GW_OK;
}

/* ---- host services table --------------------------------------------- */

static void host_log(gw_account *acct, gw_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(&acct->rt->log, level, acct->label, fmt, ap);
    va_end(ap);
}

static int host_emit(gw_account *acct, json_t *event)
{
    gw_runtime *rt = acct->rt;
    if (acct->destroying) {
        json_decref(event);
        return GW_ESTATE;
    }
    char err[256];
    /* actions: our own posts coming back from the network are dropped */
    const pipeline_echo echo = {outbox_is_echo, rt->outbox};
    int rc = pipeline_ingest_echo(rt->store, acct->network, acct->name, event, clock_wall_ms(),
                                  &acct->stats.events, rt->outbox ? &echo : NULL, err, sizeof err);
    if (rc == GW_EINVAL) {
        log_warn(&rt->log, acct->label, "dropped an invalid event from the plugin: %s", err);
        return rc;
    }
    if (rc < 0) {
        log_error(&rt->log, acct->label, "could not store an event: %s", gw_strerror(rc));
        return rc;
    }
    return GW_OK;
}

static void timer_close_cb(uv_handle_t *h)
{
    free(h->data);
}

static void timer_unlink(gw_timer *t)
{
    if (t->prev)
        t->prev->next = t->next;
    else
        t->acct->timers = t->next;
    if (t->next)
        t->next->prev = t->prev;
    t->prev = t->next = NULL;
}

static void timer_fire_cb(uv_timer_t *h)
{
    gw_timer *t = h->data;
    t->done = 1;
    timer_unlink(t);
    t->cb(t->arg);
    uv_close((uv_handle_t *)&t->handle, timer_close_cb);
}

static gw_timer *host_timer_start(gw_account *acct, uint64_t delay_ms, gw_timer_cb cb, void *arg)
{
    if (cb == NULL || acct->destroying)
        return NULL;
    gw_timer *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    t->acct = acct;
    t->cb = cb;
    t->arg = arg;
    uv_timer_init(&acct->rt->loop, &t->handle);
    t->handle.data = t;
    uv_timer_start(&t->handle, timer_fire_cb, delay_ms, 0);
    t->next = acct->timers;
    if (acct->timers)
        acct->timers->prev = t;
    acct->timers = t;
    return t;
}

static void host_timer_cancel(gw_timer *t)
{
    /* Cancelling from inside its own callback is harmless: it already fired. */
    if (t == NULL || t->done)
        return;
    t->done = 1;
    timer_unlink(t);
    uv_timer_stop(&t->handle);
    uv_close((uv_handle_t *)&t->handle, timer_close_cb);
}

static int host_kv_get(gw_account *acct, const char *key, char *buf, size_t buflen)
{
    return store_kv_get(acct->rt->store, acct->label, key, buf, buflen);
}

static int host_kv_set(gw_account *acct, const char *key, const char *value)
{
    return store_kv_set(acct->rt->store, acct->label, key, value);
}

static uint64_t host_now_ms(gw_account *acct)
{
    (void)acct;
    return clock_wall_ms();
}

static uint64_t host_monotonic_ms(gw_account *acct)
{
    (void)acct;
    return clock_monotonic_ms();
}

static const json_t *host_config(gw_account *acct)
{
    return acct->options;
}

static const char *host_account_name(gw_account *acct)
{
    return acct->name;
}

static void call_unlink(http_call *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        c->acct->calls = c->next;
    if (c->next)
        c->next->prev = c->prev;
}

/* A 401 means the account's credentials stopped working: say so once, in
 * the log and as an event a help desk can alert on, and clear it when a
 * request succeeds again. */
/* Mark the credentials failing once: a log line (what: a short cause) and
 * one event a help desk can alert on (reason: the full sentence); status is
 * the HTTP status behind it, 0 when the plugin judged from the body. */
static void credentials_failing(gw_account *acct, const char *what, const char *reason,
                                int status)
{
    if (acct->stats.credentials_failing || acct->destroying)
        return;
    acct->stats.credentials_failing = 1;
    log_error(&acct->rt->log, acct->label,
              "the network refused the account's credentials (%s); check its token", what);
    json_t *detail = json_pack("{s:s}", "reason", reason);
    if (detail != NULL && status != 0)
        json_object_set_new(detail, "status", json_integer(status));
    emit_host_event(acct, "account.credentials_failed", detail);
}

static void host_credentials_failed(gw_account *acct, const char *reason)
{
    const char *why = reason && *reason ? reason : "refused by the network";
    credentials_failing(acct, why, why, 0);
}

static void watch_credentials(gw_account *acct, const gw_http_response *r)
{
    if (r->status == 401) {
        credentials_failing(acct, "401", "the network answered 401 Unauthorized", 401);
    } else if (r->status >= 200 && r->status < 300 && acct->stats.credentials_failing) {
        acct->stats.credentials_failing = 0;
        log_info(&acct->rt->log, acct->label, "the account's credentials work again");
    }
}

static void http_call_done(void *arg, const gw_http_response *response)
{
    http_call *c = arg;
    call_unlink(c);
    watch_credentials(c->acct, response);
    c->cb(c->arg, response);
    free(c);
}

static int host_http_request(gw_account *acct, const gw_http_request *request, gw_http_cb cb,
                             void *arg)
{
    if (acct->destroying || cb == NULL)
        return acct->destroying ? GW_ESTATE : GW_EINVAL;
    http_call *c = calloc(1, sizeof *c);
    if (c == NULL)
        return GW_ENOMEM;
    c->acct = acct;
    c->cb = cb;
    c->arg = arg;
    http_client *client = runtime_http_client(acct->rt);
    int rc = client ? http_client_request(client, &acct->budget, acct, acct->label, request,
                                          http_call_done, c, NULL)
                    : GW_EIO;
    if (rc != GW_OK) {
        free(c);
        return rc;
    }
    c->next = acct->calls;
    if (acct->calls)
        acct->calls->prev = c;
    acct->calls = c;
    return GW_OK;
}

static const gw_host host_table = {
    .struct_size = sizeof(gw_host),
    .abi_major = GW_ABI_MAJOR,
    .abi_minor = GW_ABI_MINOR,
    .log = host_log,
    .emit = host_emit,
    .timer_start = host_timer_start,
    .timer_cancel = host_timer_cancel,
    .kv_get = host_kv_get,
    .kv_set = host_kv_set,
    .now_ms = host_now_ms,
    .monotonic_ms = host_monotonic_ms,
    .config = host_config,
    .account_name = host_account_name,
    .complete = host_complete,
    .http_request = host_http_request,
    .credentials_failed = host_credentials_failed,
};

/* ---- lifecycle ------------------------------------------------------- */

int account_create(gw_runtime *rt, const cfg_account *cfg, const loaded_plugin *plugin,
                   json_t *options, gw_account **out, char *err, size_t errlen)
{
    int rc = GW_ENOMEM;
    gw_account *acct = calloc(1, sizeof *acct);
    uv_timer_t *timer = calloc(1, sizeof *timer);
    if (acct == NULL || timer == NULL) {
        free(acct);
        free(timer);
        json_decref(options);
        snprintf(err, errlen, "out of memory");
        return GW_ENOMEM;
    }
    acct->rt = rt;
    acct->plugin = plugin;
    acct->options = options;
    acct->network = strdup(cfg->network);
    acct->name = strdup(cfg->name);
    if (acct->network == NULL || acct->name == NULL ||
        asprintf(&acct->label, "%s/%s", cfg->network, cfg->name) < 0) {
        acct->label = NULL;
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    ratelimit_init(&acct->budget);
    acct->poll_interval_ms =
        (uint64_t)json_integer_value(json_object_get(cfg->settings, "poll_interval"));
    acct->enabled = json_is_true(json_object_get(cfg->settings, "enabled"));
    uv_timer_init(&rt->loop, timer);
    timer->data = acct;
    acct->fetch_timer = timer;

    char why[256] = "";
    rc = plugin->desc.create(&host_table, acct, &acct->inst, why, sizeof why);
    if (rc != GW_OK || acct->inst == NULL) {
        snprintf(err, errlen, "%s: account \"%s\": create failed: %s", plugin->path, cfg->name,
                 why[0] ? why : gw_strerror(rc));
        rc = rc != GW_OK ? rc : GW_EINVAL;
        acct->inst = NULL;
        account_destroy(acct);
        return rc;
    }
    *out = acct;
    return GW_OK;
fail:
    free(acct->network);
    free(acct->name);
    free(acct->label);
    json_decref(acct->options);
    free(acct);
    free(timer);
    return rc;
}

void account_destroy(gw_account *acct)
{
    if (acct == NULL)
        return;
    acct->destroying = 1;
    account_quiesce(acct);
    /* destroy() may cancel its own timers, so they stay valid until it
     * returns; whatever it left pending dies without running. */
    if (acct->inst != NULL)
        acct->plugin->desc.destroy(acct->inst);
    acct->inst = NULL;
    while (acct->timers)
        host_timer_cancel(acct->timers);
    if (acct->rt->client != NULL)
        http_client_cancel_owner(acct->rt->client, acct);
    while (acct->calls) {
        http_call *c = acct->calls;
        call_unlink(c);
        free(c);
    }
    /* The plugin is gone, so ops it never completed can be freed now. */
    while (acct->ops) {
        gw_op *op = acct->ops;
        /* A delivery the plugin never answered still owes its client one. */
        if (op->kind == OP_WEBHOOK && !op->reported)
            http_exchange_respond_error(op->ctx, 503, "shutting_down",
                                        "the gateway stopped; deliver again later");
        op_unlink(op);
        uv_timer_stop(&op->timeout);
        uv_close((uv_handle_t *)&op->timeout, free_handle_cb);
    }
    uv_close((uv_handle_t *)acct->fetch_timer, account_free_cb);
}
