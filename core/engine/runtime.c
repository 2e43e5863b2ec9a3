/* runtime.c - wiring the gateway together and running its loop; see
 * runtime.h for the durability contract the loop phases carry. */
#include "engine/runtime.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/account.h"
#include "base/clock.h"
#include "engine/dispatch.h"
#include "http/http_client.h"
#include "http/http_server.h"
#include "engine/outbox.h"
#include "api/routes.h"

#define RETENTION_INTERVAL_MS (60 * 1000)
/* Pruning runs on the loop thread: slices of this many rows, back to back
 * while a backlog lasts, keep each pause of the loop short. */
#define RETENTION_SLICE_ROWS 5000
#define RETENTION_SLICE_GAP_MS 10

static uint64_t setting_u64(const json_t *section, const char *key)
{
    return (uint64_t)json_integer_value(json_object_get(section, key));
}

static int make_dir(const char *path, char *err, size_t errlen)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0750) != 0 && errno != EEXIST)
            goto fail;
        *p = '/';
    }
    if (mkdir(buf, 0750) != 0 && errno != EEXIST)
        goto fail;
    return GW_OK;
fail:
    snprintf(err, errlen, "%s: cannot create the data directory: %s", buf, strerror(errno));
    return GW_EIO;
}

/* ---- loop phases ----------------------------------------------------- */

static void run_waiters(gw_runtime *rt, int committed)
{
    commit_waiter *w = rt->waiters;
    rt->waiters = NULL;
    rt->waiters_tail = &rt->waiters;
    while (w != NULL) {
        commit_waiter *next = w->next;
        w->fn(w->arg, committed);
        free(w);
        w = next;
    }
}

/* The client is made on a plugin's first request: curl's TLS set-up
 * touches megabytes of libcrypto, which a gateway whose plugins never
 * make HTTP requests (the mock) should not carry. */
http_client *runtime_http_client(gw_runtime *rt)
{
    if (rt->client != NULL || rt->closed)
        return rt->client;
    http_client_options copts;
    http_client_options_init(&copts);
    copts.log = &rt->log;
    /* Keep a request's own retries inside the operation timeout, so a
     * plugin hears RETRY before the host abandons its operation. */
    copts.default_timeout_ms = 15000;
    copts.retry_max_ms = 5000;
    char err[256];
    if (http_client_new(&rt->loop, &copts, &rt->client, err, sizeof err) != GW_OK) {
        log_error(&rt->log, "http", "cannot create the HTTP client: %s", err);
        rt->client = NULL;
    }
    return rt->client;
}

int runtime_after_commit(gw_runtime *rt, runtime_commit_fn fn, void *arg)
{
    commit_waiter *w = calloc(1, sizeof *w);
    if (w == NULL)
        return GW_ENOMEM;
    w->fn = fn;
    w->arg = arg;
    *rt->waiters_tail = w;
    rt->waiters_tail = &w->next;
    return GW_OK;
}

gw_account *runtime_find_account(const gw_runtime *rt, const char *network, const char *name)
{
    for (size_t i = 0; i < rt->account_count; i++) {
        gw_account *a = rt->accounts[i];
        if (strcmp(account_network(a), network) == 0 && strcmp(account_name(a), name) == 0)
            return a;
    }
    return NULL;
}

int runtime_ready(const gw_runtime *rt)
{
    if (rt->store == NULL || rt->stopping)
        return 0;
    size_t enabled = 0;
    for (size_t i = 0; i < rt->cfg->account_count; i++)
        enabled += json_is_true(json_object_get(rt->cfg->accounts[i].settings, "enabled"));
    if (rt->account_count != enabled)
        return 0;
    for (size_t i = 0; i < rt->account_count; i++) {
        if (account_stats_get(rt->accounts[i])->stopped)
            return 0;
    }
    return 1;
}

static void commit_cb(uv_prepare_t *h)
{
    gw_runtime *rt = h->data;
    int64_t before = store_committed_seq(rt->store);
    int rc = store_commit(rt->store);
    run_waiters(rt, rc == GW_OK);
    if (rc < 0) {
        /* Nothing was acknowledged yet, so stopping loses nothing. */
        log_error(&rt->log, "store", "commit failed (%s); stopping", store_last_error(rt->store));
        rt->exit_code = 1;
        runtime_stop(rt);
        return;
    }
    if (store_committed_seq(rt->store) != before || rt->stopping)
        runtime_kick_sinks(rt);
}

static void ready_cb(uv_check_t *h)
{
    gw_runtime *rt = h->data;
    account_run_ready(rt);
    if (rt->ready_head == NULL)
        uv_idle_stop(&rt->spin_handle);
}

static void retention_cb(uv_timer_t *t)
{
    gw_runtime *rt = t->data;
    int64_t min_cursor = store_last_seq(rt->store);
    for (size_t i = 0; i < rt->sink_count; i++) {
        int64_t c = dispatch_cursor(rt->sinks[i]);
        if (c < min_cursor)
            min_cursor = c;
    }
    int64_t n = store_prune(rt->store, (int64_t)clock_wall_ms(), min_cursor,
                            RETENTION_SLICE_ROWS);
    if (n > 0)
        log_debug(&rt->log, "store", "retention pruned %lld events", (long long)n);
    else if (n < 0)
        log_warn(&rt->log, "store", "retention pruning failed: %s",
                 store_last_error(rt->store));
    uint64_t next = n == RETENTION_SLICE_ROWS ? RETENTION_SLICE_GAP_MS : RETENTION_INTERVAL_MS;
    uv_timer_start(&rt->retention_timer, retention_cb, next, 0);
}

void runtime_kick_sinks(gw_runtime *rt)
{
    for (size_t i = 0; i < rt->sink_count; i++)
        dispatch_kick(rt->sinks[i]);
}

static void close_all(gw_runtime *rt);

void runtime_check_drained(gw_runtime *rt)
{
    if (!rt->stopping)
        return;
    for (size_t i = 0; i < rt->account_count; i++) {
        if (!account_idle(rt->accounts[i]))
            return;
    }
    /* Accounts are quiet: make their last events durable before the sinks
     * are asked to catch up. */
    store_commit(rt->store);
    for (size_t i = 0; i < rt->sink_count; i++) {
        dispatch_kick(rt->sinks[i]);
        if (!dispatch_settled(rt->sinks[i]))
            return;
    }
    close_all(rt);
}

static void shutdown_timeout_cb(uv_timer_t *t)
{
    gw_runtime *rt = t->data;
    log_warn(&rt->log, "core", "drain did not finish within %llu ms; closing anyway",
             (unsigned long long)rt->shutdown_timeout_ms);
    close_all(rt);
}

static void signal_cb(uv_signal_t *h, int signum)
{
    gw_runtime *rt = h->data;
    if (signum == SIGHUP) {
        log_info(&rt->log, "core", "SIGHUP: reopening sinks");
        for (size_t i = 0; i < rt->sink_count; i++)
            dispatch_request_reopen(rt->sinks[i]);
        return;
    }
    if (rt->stopping) {
        log_warn(&rt->log, "core", "second signal: closing without waiting");
        close_all(rt);
        return;
    }
    log_info(&rt->log, "core", "%s: draining", signum == SIGINT ? "SIGINT" : "SIGTERM");
    runtime_stop(rt);
}

void runtime_stop(gw_runtime *rt)
{
    if (rt->stopping)
        return;
    rt->stopping = 1;
    outbox_quiesce(rt->outbox); /* actions: no new sends; queued ones wait for the restart */
    for (size_t i = 0; i < rt->account_count; i++)
        account_quiesce(rt->accounts[i]);
    rt->ready_head = NULL;
    uv_idle_stop(&rt->spin_handle);
    uv_timer_start(&rt->shutdown_timer, shutdown_timeout_cb, rt->shutdown_timeout_ms, 0);
    runtime_check_drained(rt);
}

/* Tear down in reverse order of acquisition; the loop then ends once the
 * handles have closed. Idempotent. */
static void close_all(gw_runtime *rt)
{
    if (rt->closed)
        return;
    rt->closed = 1;
    if (rt->server != NULL) {
        http_server_close(rt->server, NULL, NULL);
        rt->server = NULL;
    }
    pipeline_stats total = {0};
    for (size_t i = 0; i < rt->account_count; i++) {
        const pipeline_stats *s = &account_stats_get(rt->accounts[i])->events;
        total.accepted += s->accepted;
        total.duplicates += s->duplicates;
        total.invalid += s->invalid;
    }
    if (rt->account_count > 0)
        log_info(&rt->log, "core", "closing: %llu events stored, %llu duplicates dropped, %llu "
                                   "invalid",
                 (unsigned long long)total.accepted, (unsigned long long)total.duplicates,
                 (unsigned long long)total.invalid);
    /* actions: before the accounts go, so no send starts on a dead one */
    outbox_quiesce(rt->outbox);
    for (size_t i = 0; i < rt->account_count; i++)
        account_destroy(rt->accounts[i]);
    free(rt->accounts);
    if (rt->client != NULL) {
        http_client_close(rt->client, NULL, NULL);
        rt->client = NULL;
    }
    rt->accounts = NULL;
    rt->account_count = 0;
    rt->ready_head = NULL;
    if (rt->store != NULL)
        run_waiters(rt, store_commit(rt->store) == GW_OK);
    /* A sink with a write in flight closes when that write returns. */
    for (size_t i = 0; i < rt->sink_count; i++)
        dispatch_close(rt->sinks[i]);
    free(rt->sinks);
    rt->sinks = NULL;
    rt->sink_count = 0;
    uv_handle_t *handles[] = {
        (uv_handle_t *)&rt->commit_handle,  (uv_handle_t *)&rt->ready_handle,
        (uv_handle_t *)&rt->spin_handle,    (uv_handle_t *)&rt->retention_timer,
        (uv_handle_t *)&rt->shutdown_timer, (uv_handle_t *)&rt->sig_int,
        (uv_handle_t *)&rt->sig_term,       (uv_handle_t *)&rt->sig_hup,
    };
    for (size_t i = 0; i < sizeof handles / sizeof handles[0]; i++) {
        if (handles[i]->loop != NULL && !uv_is_closing(handles[i]))
            uv_close(handles[i], NULL);
    }
}

/* ---- open / run / close ---------------------------------------------- */

static void start_accounts(gw_runtime *rt)
{
    const gw_config *cfg = rt->cfg;
    rt->accounts = calloc(cfg->account_count ? cfg->account_count : 1, sizeof *rt->accounts);
    if (rt->accounts == NULL)
        return;
    for (size_t i = 0; i < cfg->account_count; i++) {
        const cfg_account *ca = &cfg->accounts[i];
        if (!json_is_true(json_object_get(ca->settings, "enabled"))) {
            log_info(&rt->log, "core", "account %s/%s is disabled", ca->network, ca->name);
            continue;
        }
        const loaded_plugin *lp = loader_find(&rt->plugins, ca->network);
        if (lp == NULL) {
            log_error(&rt->log, "core",
                      "%s:%d:%d: account %s/%s not started: no usable plugin for network "
                      "\"%s\" (see `gateway plugins`)",
                      cfg->path, ca->line, ca->column, ca->network, ca->name, ca->network);
            continue;
        }
        cfg_errors errs = {0};
        json_t *options = NULL;
        if (config_validate_options(cfg, i, lp->desc.options, &options, &errs) != GW_OK) {
            for (size_t e = 0; e < errs.count; e++)
                log_error(&rt->log, "config", "%s", errs.lines[e]);
            log_error(&rt->log, "core", "account %s/%s not started: invalid options",
                      ca->network, ca->name);
            cfg_errors_free(&errs);
            continue;
        }
        char err[512];
        gw_account *acct = NULL;
        if (account_create(rt, ca, lp, options, &acct, err, sizeof err) != GW_OK) {
            log_error(&rt->log, "core", "%s", err);
            continue;
        }
        rt->accounts[rt->account_count++] = acct;
        log_info(&rt->log, account_label(acct), "started (plugin %s %s)", lp->desc.name,
                 lp->desc.version);
    }
}

static int start_http(gw_runtime *rt, char *err, size_t errlen)
{
    const json_t *h = rt->cfg->http;
    if (!json_is_true(json_object_get(h, "enabled")))
        return GW_OK;
    http_server_limits limits = {
        .max_body_bytes = (size_t)setting_u64(h, "max_body"),
        .max_header_bytes = (size_t)setting_u64(h, "max_header"),
        .max_connections = (unsigned)setting_u64(h, "max_connections"),
        .idle_timeout_s = (unsigned)(setting_u64(h, "idle_timeout") / 1000),
        .receive_timeout_ms = setting_u64(h, "receive_timeout"),
        .request_timeout_ms = setting_u64(h, "request_timeout"),
    };
    const char *listen = json_string_value(json_object_get(h, "listen"));
    char why[256] = "";
    int rc = http_server_start(&rt->loop, &rt->log, listen, &limits, &rt->server, why, sizeof why);
    if (rc != GW_OK) {
        snprintf(err, errlen, "[http] listen = \"%s\": %s", listen, why);
        return rc;
    }
    if ((rc = routes_install(rt)) != GW_OK) {
        snprintf(err, errlen, "cannot install the HTTP routes: %s", gw_strerror(rc));
        return rc;
    }
    return GW_OK;
}

int runtime_open(gw_runtime *rt, gw_config *cfg, gw_log_level level, char *err, size_t errlen)
{
    memset(rt, 0, sizeof *rt);
    rt->waiters_tail = &rt->waiters;
    rt->cfg = cfg;
    rt->log.level = level;
    rt->log.out = stderr;
    backoff_seed(&rt->rng, clock_monotonic_ms() ^ ((uint64_t)getpid() << 32));
    const json_t *gw = cfg->gateway;
    rt->fetch_timeout_ms = setting_u64(gw, "fetch_timeout");
    rt->retry_base_ms = setting_u64(gw, "retry_base");
    rt->retry_max_ms = setting_u64(gw, "retry_max");
    rt->shutdown_timeout_ms = setting_u64(gw, "shutdown_timeout");
    rt->max_failures = (unsigned)setting_u64(gw, "max_failures");
    rt->retention_ms = (int64_t)setting_u64(gw, "retention");

    int rc = uv_loop_init(&rt->loop);
    rt->loop.data = rt;
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the event loop: %s", uv_strerror(rc));
        return GW_EIO;
    }
    uv_prepare_init(&rt->loop, &rt->commit_handle);
    uv_check_init(&rt->loop, &rt->ready_handle);
    uv_idle_init(&rt->loop, &rt->spin_handle);
    uv_timer_init(&rt->loop, &rt->retention_timer);
    uv_timer_init(&rt->loop, &rt->shutdown_timer);
    uv_signal_init(&rt->loop, &rt->sig_int);
    uv_signal_init(&rt->loop, &rt->sig_term);
    uv_signal_init(&rt->loop, &rt->sig_hup);
    rt->commit_handle.data = rt->ready_handle.data = rt->retention_timer.data = rt;
    rt->shutdown_timer.data = rt->sig_int.data = rt->sig_term.data = rt->sig_hup.data = rt;
    /* Handled from here on, so a SIGTERM during start-up (opening the log,
     * loading plugins) becomes a drain once the loop runs, not a kill. */
    uv_signal_start(&rt->sig_int, signal_cb, SIGINT);
    uv_signal_start(&rt->sig_term, signal_cb, SIGTERM);
    uv_signal_start(&rt->sig_hup, signal_cb, SIGHUP);

    const char *data_dir = json_string_value(json_object_get(gw, "data_dir"));
    if ((rc = make_dir(data_dir, err, errlen)) != GW_OK)
        return rc;
    char db_path[4096];
    snprintf(db_path, sizeof db_path, "%s/gateway.db", data_dir);
    store_options so = {
        .synchronous_full =
            strcmp(json_string_value(json_object_get(gw, "synchronous")), "full") == 0,
        .retention_ms = rt->retention_ms,
    };
    if ((rc = store_open(db_path, &so, &rt->store, err, errlen)) != GW_OK)
        return rc;

    const char *plugin_dir = json_string_value(json_object_get(gw, "plugin_dir"));
    if ((rc = loader_scan_dir(&rt->plugins, plugin_dir, err, errlen)) != GW_OK)
        return rc;
    for (size_t i = 0; i < rt->plugins.count; i++) {
        if (rt->plugins.items[i].refusal)
            log_error(&rt->log, "loader", "refused %s", rt->plugins.items[i].refusal);
    }

    rt->sinks = calloc(cfg->sink_count ? cfg->sink_count : 1, sizeof *rt->sinks);
    if (rt->sinks == NULL) {
        snprintf(err, errlen, "out of memory");
        return GW_ENOMEM;
    }
    for (size_t i = 0; i < cfg->sink_count; i++) {
        rc = dispatch_open(rt, &cfg->sinks[i], &rt->sinks[rt->sink_count], err, errlen);
        if (rc != GW_OK)
            return rc;
        rt->sink_count++;
    }
    if ((rc = store_commit(rt->store)) != GW_OK) {
        snprintf(err, errlen, "cannot commit the sink cursors: %s", gw_strerror(rc));
        return rc;
    }
    start_accounts(rt);
    /* actions: after the accounts (it resumes their queued answers), before
     * the HTTP server that takes new ones */
    if ((rc = outbox_open(rt, &rt->outbox, err, errlen)) != GW_OK)
        return rc;
    return start_http(rt, err, errlen);
}

int runtime_run(gw_runtime *rt)
{
    uv_prepare_start(&rt->commit_handle, commit_cb);
    uv_check_start(&rt->ready_handle, ready_cb);
    if (rt->retention_ms > 0)
        uv_timer_start(&rt->retention_timer, retention_cb, RETENTION_INTERVAL_MS, 0);
    for (size_t i = 0; i < rt->account_count; i++)
        account_start(rt->accounts[i]);
    outbox_start(rt->outbox);
    log_info(&rt->log, "core", "gateway %s running: %zu accounts, %zu sinks, log at seq %lld",
             GW_VERSION, rt->account_count, rt->sink_count,
             (long long)store_committed_seq(rt->store));
    runtime_kick_sinks(rt);
    uv_run(&rt->loop, UV_RUN_DEFAULT);
    log_info(&rt->log, "core", "stopped");
    return rt->exit_code;
}

void runtime_close(gw_runtime *rt)
{
    if (rt->loop.data == NULL && rt->store == NULL && rt->plugins.count == 0)
        return;
    close_all(rt);
    /* Let closing handles and in-flight sink writes finish. */
    uv_run(&rt->loop, UV_RUN_DEFAULT);
    /* actions: its statements must be finalized before the store closes */
    outbox_close(rt->outbox);
    rt->outbox = NULL;
    if (rt->store != NULL) {
        store_commit(rt->store);
        store_close(rt->store);
        rt->store = NULL;
    }
    loader_unload(&rt->plugins);
    if (uv_loop_close(&rt->loop) != 0)
        log_warn(&rt->log, "core", "event loop closed with handles still open");
}
