/* account.c - per-account plugin instances and what the gateway asks of
 * them: the fetch schedule with its retry / circuit-breaker policy,
 * webhook deliveries and posts (for the outbox); see account.h. What the
 * plugin asks of the gateway, the gw_host table, is account_host.c.
 */
#define _GNU_SOURCE /* asprintf */
#include "engine/account.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "engine/account_host.h"
#include "engine/account_index.h"
#include "engine/isolated.h"
#include "http/http_server.h"

/* The jitter spreads the fetches of accounts configured with the same
 * interval, so they do not all hit their networks in the same second. */
#define POLL_JITTER 0.1

/* ---- helpers ---------------------------------------------------------- */

static void account_free_cb(uv_handle_t *h)
{
    gw_account *acct = h->data;
    free(acct->network);
    free(acct->name);
    free(acct->label);
    free(acct->index_key);
    json_decref(acct->options);
    free(acct->stats.metrics);
    isolated_free(acct->isolated_plugin);
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

const ratelimit_table *account_budgets(const gw_account *acct)
{
    return &acct->budgets;
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

static void stop_account(gw_account *acct, const char *reason)
{
    gw_runtime *rt = acct->rt;
    acct->state = ACCT_STOPPED;
    acct->stats.stopped = 1;
    uv_timer_stop(acct->fetch_timer);
    acct->next_retry_ms = 0;
    log_error(&rt->log, acct->label,
              "account stopped after %u consecutive failures (last: %s); fix the cause, then "
              "`gateway accounts restart %s` (or POST /v1/accounts/%s/restart)",
              acct->fatal_streak, reason ? reason : "no reason given", acct->label, acct->label);
    account_host_event(acct, "account.stopped",
                    json_pack("{s:s, s:I}", "reason", reason ? reason : "",
                              "failures", (json_int_t)acct->fatal_streak));
}

/* Remember why the fetch failed, and when the next one is due (0: not
 * known yet), for GET /v1/accounts and the refusals of a stopped account. */
static void note_failure(gw_account *acct, const char *why, uint64_t retry_in_ms)
{
    snprintf(acct->last_error, sizeof acct->last_error, "%s", why);
    acct->next_retry_ms = retry_in_ms != 0 ? clock_wall_ms() + retry_in_ms : 0;
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
        acct->next_retry_ms = 0;
        acct->last_error[0] = '\0';
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
        note_failure(acct, message ? message : "retry requested", backoff);
        schedule_fetch(acct, backoff);
        break;
    case GW_OUTCOME_FATAL:
        acct->stats.fetch_fatal++;
        acct->fatal_streak++;
        note_failure(acct, message ? message : "no reason given", 0);
        if (acct->fatal_streak >= rt->max_failures) {
            stop_account(acct, message);
            break;
        }
        backoff = backoff_full_jitter(&rt->rng, rt->retry_base_ms, rt->retry_max_ms,
                                      acct->attempt++);
        log_warn(&rt->log, acct->label, "fetch failed (%u of %u before the account stops): %s",
                 acct->fatal_streak, rt->max_failures, message ? message : "no reason given");
        acct->next_retry_ms = clock_wall_ms() + backoff;
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
    gw_op *op = account_op_new(acct, OP_FETCH, fetch_done, acct);
    if (op == NULL) {
        log_error(&acct->rt->log, acct->label, "out of memory starting a fetch");
        schedule_fetch(acct, acct->rt->retry_base_ms);
        return;
    }
    acct->state = ACCT_FETCHING;
    /* The hook may complete synchronously, so op is not touched after. */
    acct->plugin->desc.fetch(acct->inst, op);
}

/* The first fetch of each account comes after a random delay in [0, w),
 * w = the account count / START_FETCH_RATE seconds, at least
 * START_SPREAD_MIN_MS and at most the account's interval: a few accounts
 * start at once, 10,000 do not all open a request in the first second
 * (each transfer held in flight costs its buffers, and malloc keeps the
 * peak). Later fetches keep the spread (the interval has its jitter). */
#define START_FETCH_RATE 200 /* first fetches per second, on average */
#define START_SPREAD_MIN_MS 250

static uint64_t first_fetch_window(const gw_account *acct)
{
    uint64_t window = (uint64_t)acct->rt->account_count * 1000 / START_FETCH_RATE;
    if (window > acct->poll_interval_ms)
        window = acct->poll_interval_ms;
    return window > START_SPREAD_MIN_MS ? window : START_SPREAD_MIN_MS;
}

void account_start(gw_account *acct)
{
    if (!acct->enabled || !(account_capabilities(acct) & GW_CAP_FETCH))
        return;
    uint64_t window = first_fetch_window(acct);
    uint64_t delay = backoff_next(&acct->rt->rng) % window;
    log_debug(&acct->rt->log, acct->label, "first fetch in %llu ms (spread over %llu ms)",
              (unsigned long long)delay, (unsigned long long)window);
    schedule_fetch(acct, delay);
}

int account_stopped(const gw_account *acct)
{
    return acct->state == ACCT_STOPPED;
}

void account_status_get(const gw_account *acct, account_status *out)
{
    out->state = acct->state == ACCT_STOPPED       ? ACCOUNT_STOPPED
                 : acct->stats.credentials_failing ? ACCOUNT_CREDENTIALS_FAILING
                                                   : ACCOUNT_RUNNING;
    out->failures = acct->fatal_streak;
    out->max_failures = acct->rt->max_failures;
    out->next_retry_ms = acct->next_retry_ms;
    out->last_error = acct->last_error;
}

int account_restart(gw_account *acct)
{
    if (acct->quiescing || acct->destroying)
        return GW_ESTATE;
    if (acct->state != ACCT_STOPPED)
        return 0;
    /* The last error stays until a fetch succeeds: it says what to watch. */
    acct->state = ACCT_IDLE;
    acct->stats.stopped = 0;
    acct->fatal_streak = 0;
    acct->attempt = 0;
    log_info(&acct->rt->log, acct->label, "account restarted; fetching again");
    if (acct->enabled && (account_capabilities(acct) & GW_CAP_FETCH))
        schedule_ready(acct);
    return 1;
}

void account_quiesce(gw_account *acct)
{
    acct->quiescing = 1;
    uv_timer_stop(acct->fetch_timer);
    account_host_quiesce(acct);
}

/* ---- webhooks --------------------------------------------------------- */

typedef struct webhook_answer {
    http_exchange *ex;
    int status;
    char *content_type;
    char *body;
    size_t body_len;
    char allow[64]; /* a 405's Allow header */
} webhook_answer;

/* The methods a plugin's 405 names in Allow: its result's "allow" when it
 * is a list of method names, else the methods the host routes to
 * webhooks. RFC 9110 requires the header; a plugin only returns JSON. */
static void webhook_allow(const json_t *result, char *buf, size_t len)
{
    const char *allow = json_string_value(json_object_get(result, "allow"));
    size_t n = allow != NULL ? strlen(allow) : 0;
    int valid = n > 0 && n < len && allow[0] >= 'A' && allow[0] <= 'Z';
    for (size_t i = 0; valid && i < n; i++)
        valid = (allow[i] >= 'A' && allow[i] <= 'Z') || allow[i] == ',' || allow[i] == ' ';
    snprintf(buf, len, "%s", valid ? allow : "GET, POST");
}

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
    if (!committed) {
        http_exchange_respond_error(a->ex, 503, "store_unavailable",
                                    "the events could not be stored; deliver again later");
    } else {
        gw_http_header allow = {"Allow", a->allow};
        http_exchange_respond(a->ex, a->status, a->content_type, a->body, a->body_len, &allow,
                              a->status == 405);
    }
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
        webhook_allow(result, a->allow, sizeof a->allow);
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

/* A stopped account takes no deliveries: its plugin is what failed. 503
 * with Retry-After, so the network keeps the delivery and sends it again
 * (a restart may have happened by then) rather than dropping it. */
static void webhook_refuse_stopped(gw_account *acct, http_exchange *ex)
{
    char message[512], retry_after[24];
    snprintf(message, sizeof message,
             "account %s was stopped by the circuit breaker after %u consecutive failures "
             "(last error: %s); restart it with `gateway accounts restart %s` or POST "
             "/v1/accounts/%s/restart",
             acct->label, acct->fatal_streak, acct->last_error[0] ? acct->last_error : "none",
             acct->label, acct->label);
    uint64_t seconds = acct->rt->retry_max_ms / 1000;
    snprintf(retry_after, sizeof retry_after, "%llu",
             (unsigned long long)(seconds > 0 ? seconds : 1));
    gw_http_header header = {"Retry-After", retry_after};
    http_exchange_respond_error_headers(ex, 503, "account_stopped", message, &header, 1);
}

void account_webhook(gw_account *acct, http_exchange *ex)
{
    if (!(account_capabilities(acct) & GW_CAP_WEBHOOK)) {
        http_exchange_respond_error(ex, 404, "no_webhooks",
                                    "this network's plugin does not take webhooks");
        return;
    }
    if (acct->quiescing || acct->destroying) {
        http_exchange_respond_error(ex, 503, "shutting_down", "the gateway is stopping");
        return;
    }
    if (acct->state == ACCT_STOPPED) {
        webhook_refuse_stopped(acct, ex);
        return;
    }
    gw_op *op = account_op_new(acct, OP_WEBHOOK, webhook_done, ex);
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
    return acct->plugin->desc.capabilities & acct->caps_keep;
}

const char *account_capability_reason(const gw_account *acct)
{
    return acct->caps_reason[0] != '\0' ? acct->caps_reason : NULL;
}

int account_check_action(gw_account *acct, int private_message, const gw_action *action,
                         char *reason, size_t reasonlen)
{
    const gw_plugin *d = &acct->plugin->desc;
    if (reasonlen > 0)
        reason[0] = '\0';
    /* The loader zero-fills what an older descriptor does not reach. */
    if (d->check_action == NULL || acct->inst == NULL)
        return GW_OK;
    int rc = d->check_action(acct->inst, private_message, action, reason, reasonlen);
    if (reasonlen > 0) {
        reason[reasonlen - 1] = '\0';
        if (rc < 0 && reason[0] == '\0')
            snprintf(reason, reasonlen, "the %s plugin refused the answer", acct->network);
    }
    return rc < 0 ? rc : GW_OK;
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
    if (!(account_capabilities(acct) & cap) ||
        (private_message ? d->send_private == NULL : d->post_public == NULL))
        return GW_EUNSUPPORTED;
    if (acct->quiescing || acct->destroying || acct->inst == NULL ||
        acct->state == ACCT_STOPPED)
        return GW_ESTATE;
    gw_op *op =
        account_op_new(acct, private_message ? OP_SEND_PRIVATE : OP_POST_PUBLIC, post_op_done, NULL);
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

/* ---- lifecycle ------------------------------------------------------- */

int account_create(gw_runtime *rt, const cfg_account *cfg, const loaded_plugin *plugin,
                   json_t *options, gw_account **out, char *err, size_t errlen)
{
    int rc = GW_ENOMEM;
    gw_account *acct = calloc(1, sizeof *acct);
    uv_timer_t *timer = calloc(1, sizeof *timer);
    if (acct != NULL)
        acct->caps_keep = UINT32_MAX; /* until the plugin narrows them */
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
    ratelimit_table_init(&acct->budgets);
    acct->poll_interval_ms =
        (uint64_t)json_integer_value(json_object_get(cfg->settings, "poll_interval"));
    acct->enabled = json_is_true(json_object_get(cfg->settings, "enabled"));
    uv_timer_init(&rt->loop, timer);
    timer->data = acct;
    acct->fetch_timer = timer;

    if (isolated_chosen(rt->cfg ? rt->cfg->gateway : NULL, cfg->settings, cfg->network)) {
        rc = isolated_wrap(plugin, rt->cfg ? rt->cfg->gateway : NULL, stop_account,
                           &acct->isolated_plugin);
        if (rc != GW_OK) {
            snprintf(err, errlen, "out of memory");
            account_destroy(acct);
            return rc;
        }
        acct->plugin = acct->isolated_plugin;
        plugin = acct->plugin;
        log_info(&rt->log, acct->label, "the plugin runs in its own process (isolation = process)");
    }
    char why[256] = "";
    rc = plugin->desc.create(&account_host_table, acct, &acct->inst, why, sizeof why);
    if (rc != GW_OK || acct->inst == NULL) {
        snprintf(err, errlen, "%s: account \"%s\": create failed: %s", plugin->path, cfg->name,
                 why[0] ? why : gw_strerror(rc));
        rc = rc != GW_OK ? rc : GW_EINVAL;
        acct->inst = NULL;
        account_destroy(acct);
        return rc;
    }
    if (account_index_add(acct) != GW_OK) {
        snprintf(err, errlen, "out of memory");
        account_destroy(acct);
        return GW_ENOMEM;
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
    account_index_remove(acct);
    account_quiesce(acct);
    /* destroy() may cancel its own timers, so they stay valid until it
     * returns; whatever it left pending dies without running. */
    if (acct->inst != NULL)
        acct->plugin->desc.destroy(acct->inst);
    acct->inst = NULL;
    account_host_release(acct);
    uv_close((uv_handle_t *)acct->fetch_timer, account_free_cb);
}
