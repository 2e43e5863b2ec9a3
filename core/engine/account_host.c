/* account_host.c - what a plugin may ask of the gateway: the gw_host
 * services table and the ops that track its hook calls; see
 * account_host.h. The other half of the account, what the gateway asks of
 * the plugin and the policy around it, is account.c.
 */
#include "engine/account_host.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "http/http_client.h"
#include "http/http_server.h"

/* One plugin request in flight: the host looks at the answer (401s) before
 * the plugin's callback sees it. Listed on the account so those the client
 * cancels at destroy (without a callback) are still freed. */
typedef struct http_call {
    gw_account *acct;
    gw_http_cb cb;
    void *arg;
    bool handles_401; /* the plugin refreshes its token on a 401 itself */
    struct http_call *prev, *next;
} http_call;

static void free_handle_cb(uv_handle_t *h)
{
    free(h);
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

gw_op *account_op_new(gw_account *acct, enum op_kind kind, op_done_fn on_done, void *ctx)
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

/* ---- host events -------------------------------------------------------- */

void account_host_event(gw_account *acct, const char *type, json_t *detail)
{
    gw_runtime *rt = acct->rt;
    uint64_t now = clock_wall_ms();
    char native[128];
    snprintf(native, sizeof native, "%s:%s:%llu", type, acct->name, (unsigned long long)now);
    json_t *ev = json_pack("{s:s, s:s, s:s, s:o}", "type", type, "visibility", "private",
                           "native_id", native, "detail", detail);
    if (ev == NULL)
        return;
    int rc = pipeline_ingest_host_observed(rt->store, acct->network, acct->name, ev, now,
                                           &acct->stats.events, &rt->observer);
    if (rc < 0)
        log_error(&rt->log, acct->label, "could not record %s event: %s", type,
                  gw_strerror(rc));
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
    /* actions: our own posts coming back from the network are dropped
     * (rt->echo is set once the outbox is open) */
    pipeline_hooks hooks = {.echo = rt->echo.is_echo ? &rt->echo : NULL,
                            .enrich = rt->enrich.enrich ? &rt->enrich : NULL,
                            .observer = &rt->observer};
    int rc = pipeline_ingest_hooked(rt->store, acct->network, acct->name, event, clock_wall_ms(),
                                    &acct->stats.events, &hooks, err, sizeof err);
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
    /* plugin.h's limits, so a plugin cannot grow the database without
     * bound through one key; a refusal is the plugin's to handle. */
    size_t klen = key != NULL ? strlen(key) : 0;
    if (klen == 0 || klen > GW_KV_KEY_MAX || value == NULL)
        return GW_EINVAL;
    if (strlen(value) > GW_KV_VALUE_MAX)
        return GW_ERANGE;
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
    account_host_event(acct, "account.credentials_failed", detail);
}

static void host_credentials_failed(gw_account *acct, const char *reason)
{
    const char *why = reason && *reason ? reason : "refused by the network";
    credentials_failing(acct, why, why, 0);
}

/* A plugin's own number for /metrics: kept in the account's stats, which
 * api/metrics.c renders as gateway_plugin_<name>. */
static int host_metric_set(gw_account *acct, const char *name, const char *help, double value)
{
    size_t n = name != NULL ? strlen(name) : 0;
    if (n == 0 || n >= ACCOUNT_METRIC_NAME_MAX ||
        strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != n)
        return GW_EINVAL;
    account_stats *s = &acct->stats;
    for (size_t i = 0; i < s->metric_count; i++) {
        if (strcmp(s->metrics[i].name, name) == 0) {
            s->metrics[i].value = value;
            return GW_OK;
        }
    }
    if (s->metric_count == ACCOUNT_METRICS_MAX)
        return GW_ERANGE;
    if (s->metrics == NULL && (s->metrics = calloc(ACCOUNT_METRICS_MAX, sizeof *s->metrics)) == NULL)
        return GW_ENOMEM;
    account_metric *m = &s->metrics[s->metric_count++];
    memcpy(m->name, name, n + 1);
    snprintf(m->help, sizeof m->help, "%s", help != NULL ? help : "A plugin's own number.");
    /* One line in the Prometheus text: no line breaks. */
    for (char *p = m->help; *p; p++) {
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    }
    m->value = value;
    return GW_OK;
}

static void watch_credentials(gw_account *acct, const gw_http_response *r, bool handles_401)
{
    if (r->status == 401 && !handles_401) {
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
    watch_credentials(c->acct, response, c->handles_401);
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
    c->handles_401 = request != NULL && GW_HAS_MEMBER(request, gw_http_request, handles_401) &&
                     request->handles_401 != 0;
    http_client *client = runtime_http_client(acct->rt);
    /* A 1.0-1.2 plugin's request ends before rate_class: the default. */
    const char *rate_class = request != NULL && GW_HAS_MEMBER(request, gw_http_request, rate_class)
                                 ? request->rate_class
                                 : NULL;
    const char *refused = NULL;
    ratelimit_budget *budget = ratelimit_table_get(&acct->budgets, rate_class, &refused);
    if (refused != NULL)
        log_warn(&acct->rt->log, acct->label, "%s", refused);
    int rc = client ? http_client_request(client, budget, acct, acct->label, request,
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

/* An account allowed less than its plugin (ABI 1.3): kept on the account,
 * read by account_capabilities() and the outbox's refusal. */
static int host_narrow_capabilities(gw_account *acct, uint32_t keep, const char *reason)
{
    uint32_t known = GW_CAP_FETCH | GW_CAP_POST_PUBLIC | GW_CAP_SEND_PRIVATE | GW_CAP_WEBHOOK;
    if (keep & ~known)
        return GW_EINVAL;
    acct->caps_keep = keep;
    snprintf(acct->caps_reason, sizeof acct->caps_reason, "%s",
             reason != NULL && reason[0] != '\0' ? reason : "not available to this account");
    for (char *p = acct->caps_reason; *p; p++) {
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    }
    uint32_t lost = acct->plugin->desc.capabilities & ~keep;
    if (lost != 0)
        log_info(&acct->rt->log, acct->label, "capabilities narrowed by the plugin: %s%s%s%s(%s)",
                lost & GW_CAP_FETCH ? "fetch " : "", lost & GW_CAP_POST_PUBLIC ? "post-public " : "",
                lost & GW_CAP_SEND_PRIVATE ? "send-private " : "",
                lost & GW_CAP_WEBHOOK ? "webhook " : "", acct->caps_reason);
    return GW_OK;
}

const gw_host account_host_table = {
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
    .metric_set = host_metric_set,
    .narrow_capabilities = host_narrow_capabilities,
};

/* ---- quiesce and release ----------------------------------------------- */

void account_host_quiesce(gw_account *acct)
{
    if (acct->rt->client == NULL)
        return;
    size_t n = http_client_release_owner(acct->rt->client, acct,
                                         "held back, and the gateway is stopping");
    if (n > 0)
        log_info(&acct->rt->log, acct->label,
                 "stopping: %zu request(s) waiting for the rate limit or a retry released", n);
}


void account_host_release(gw_account *acct)
{
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
}
