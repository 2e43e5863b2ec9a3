/* gateway.c - wiring the gateway together and running its loop; see
 * gateway.h for what it owns and runtime.h for the durability contract
 * the loop phases carry.
 *
 * Its own state (the loop's handles, the drain's deadline, the exit code)
 * is a struct gateway hung on rt->hooks.ctx: gateway_open installs it
 * there together with the check_drained hook, so the runtime main() holds
 * stays the one handle on the process. */
#include "daemon/gateway.h"


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "api/actions_nats.h"
#include "api/events_api.h"
#include "api/routes.h"
#include "base/clock.h"
#include "base/heap_pages.h"
#include "daemon/durable.h"
#include "engine/account.h"
#include "engine/dispatch.h"
#include "engine/outbox.h"
#include "http/http_server.h"
#include "http/redact.h"
#include "service/conv_service.h"
#include "store/datadir.h"
#include "store/store_checkpoint.h"
#include "triage/triage.h"

#define RETENTION_INTERVAL_MS (60 * 1000)
/* Pruning runs on the loop thread: slices of this many rows, back to back
 * while a backlog lasts, keep each pause of the loop short. */
#define RETENTION_SLICE_ROWS 5000
#define RETENTION_SLICE_GAP_MS 10
/* A failing store is probed this often when nothing else writes, so it
 * is seen to recover without traffic; it may fail this long, over at
 * least this many commits, before the gateway gives up on it. */
#define STORE_PROBE_MS 1000
#define STORE_GIVE_UP_MS (5 * 60 * 1000)
#define STORE_GIVE_UP_COMMITS 10

typedef struct gateway {
    gw_runtime *rt;              /* borrowed: main's */
    uint64_t shutdown_timeout_ms;
    int64_t retention_ms;
    int loop_open;               /* uv_loop_init succeeded */
    datadir_lock lock;           /* held from before the store opens to exit */
    actions_nats *nats_actions;  /* action requests over NATS, or NULL */
    uv_prepare_t commit_handle;  /* group commit before the loop blocks */
    heap_pages heap;             /* the loop's heap, advised as it grows ([gateway] huge_pages) */
    uv_check_t ready_handle;     /* runs immediate fetches after I/O */
    uv_timer_t retention_timer;
    uv_timer_t shutdown_timer;
    uv_idle_t close_handle; /* runs close_all once the drain ends */
    uv_timer_t probe_timer;      /* runs while the store is failing */
    uv_signal_t sig_int, sig_term, sig_hup;
    int store_failing;           /* logged as failing, not yet recovered */
    startup_events conversation_events; /* sla.breached */
    int store_unusable;          /* exiting because of the store */
    int exit_code;
    triage *triage;              /* owned: the accounts' items' enrichment */
    store_checkpointer *checkpointer; /* owned: WAL checkpoints off the loop */
    durable *durable;            /* owned with synchronous = "full": the
                                    commits' fdatasync on a worker */
    tick_meter tick;             /* where the last commit phase ended */
} gateway;

static gateway *gateway_of(gw_runtime *rt)
{
    return rt->hooks.ctx;
}

/* ---- loop phases ----------------------------------------------------- */

static void kick_sinks(gw_runtime *rt)
{
    for (size_t i = 0; i < rt->sink_count; i++)
        dispatch_kick(rt->sinks[i]);
}

static void close_all(gateway *gw);

/* Every commit of a tick: the log's, then the conversations' (their own
 * database, with the log's last seq as applied: a crash between the two
 * is made good by applying the log again at start). With gw->durable the
 * loop does not wait for the disk unless wait_for_disk (the drain):
 * answer_waiters hands the tick's waiters to the sync that will cover
 * it. */
static int commit_tick(gateway *gw, int wait_for_disk)
{
    gw_runtime *rt = gw->rt;
    int rc = gw->durable != NULL && !wait_for_disk ? store_commit_unsynced(rt->store)
                                                   : store_commit(rt->store);
    if (rt->conv != NULL && rc == GW_OK)
        conv_service_commit(rt->conv); /* a failure reloads it: the log has the events */
    else if (rt->conv != NULL)
        conv_service_reload(rt->conv); /* memory names events the rollback took */
    for (size_t i = 0; rc != GW_OK && i < rt->sink_count; i++)
        dispatch_recount_dead_letters(rt->sinks[i]); /* parked or dropped in the lost tick */
    return rc;
}

/* After commit_tick: what waited for the tick learns the outcome, once
 * it is durable. */
static void answer_waiters(gateway *gw, int rc)
{
    if (rc == GW_OK && gw->durable != NULL)
        durable_committed(gw->durable);
    else
        runtime_run_waiters(gw->rt, rc == GW_OK);
}

static void probe_cb(uv_timer_t *t)
{
    gateway *gw = t->data;
    /* the commit of this loop iteration tells the answer */
    store_probe(gw->rt->store);
}

/* A commit was rolled back; its waiters have answered 503. Retry (the
 * next tick's writes, the probe) unless retrying cannot help: then exit
 * 1 at once, without a drain (it would only fail to commit again) and
 * without the normal "stopped", so a supervisor restarts the gateway and
 * the restart reads the database again. See docs/design.md, "When the
 * store fails". */
static void store_failed(gateway *gw)
{
    gw_runtime *rt = gw->rt;
    store_status st;
    store_status_get(rt->store, &st);
    const char *why = st.unrecoverable;
    if (why == NULL && st.failed_commits >= STORE_GIVE_UP_COMMITS &&
        clock_monotonic_ms() - st.failing_since_ms >= STORE_GIVE_UP_MS)
        why = "still failing after 5 minutes";
    if (why != NULL) {
        log_error(&rt->log, "store", "store unusable: %s: %s; exiting so that a restart "
                                     "recovers from the database",
                  why, store_last_error(rt->store));
        gw->exit_code = 1;
        gw->store_unusable = 1;
        close_all(gw);
        return;
    }
    if (!gw->store_failing) {
        gw->store_failing = 1;
        log_error(&rt->log, "store", "commit failed: %s; answering 503 to webhooks and actions "
                                     "until the store takes writes again",
                  store_last_error(rt->store));
        uv_timer_start(&gw->probe_timer, probe_cb, STORE_PROBE_MS, STORE_PROBE_MS);
    }
}

/* durable_hooks: a sync returned; and the conversation service's
 * database committed the members of more events (egress.h). */
static void durable_advanced(void *arg)
{
    gateway *gw = arg;
    kick_sinks(gw->rt);
    events_api_notify(gw->rt);
}

static void durable_failed(void *arg, const char *why)
{
    gateway *gw = arg;
    log_error(&gw->rt->log, "store", "store unusable: %s: the last commits may not be on disk; "
                                     "exiting so that a restart recovers from the database",
              why);
    gw->exit_code = 1;
    gw->store_unusable = 1;
    close_all(gw);
}

static void commit_phase(gateway *gw)
{
    gw_runtime *rt = gw->rt;
    int64_t before = store_committed_seq(rt->store);
    int rc = commit_tick(gw, 0);
    answer_waiters(gw, rc);
    if (rc < 0) {
        store_failed(gw);
        return;
    }
    store_status st;
    store_status_get(rt->store, &st);
    if (gw->store_failing && st.failing_since_ms == 0) {
        gw->store_failing = 0;
        uv_timer_stop(&gw->probe_timer);
        log_info(&rt->log, "store", "store recovered: commits succeed again");
    }
    if (store_committed_seq(rt->store) != before || rt->stopping)
        kick_sinks(rt);
    if (store_committed_seq(rt->store) != before)
        events_api_notify(rt);
}

/* The commit closes each iteration's work: the time since the last one
 * ended, less what the loop spent blocked in poll, is this tick's busy
 * time (the histogram of /metrics). A long one is logged, at most once a
 * second, with how much of it the thread spent on the CPU. */
static void commit_cb(uv_prepare_t *h)
{
    gateway *gw = h->data;
    heap_pages_advise(&gw->heap); /* what the last iteration's work grew */
    commit_phase(gw);
    tick_long lt;
    /* the last iterations of a stop free everything: nobody waits on them */
    if (tick_stats_end(&gw->rt->ticks, &gw->tick, uv_hrtime(),
                       uv_metrics_idle_time(&gw->rt->loop), &lt) &&
        !gw->rt->stopping)
        log_warn(&gw->rt->log, "loop", "one loop iteration took %.1f ms, %.1f ms of it on the CPU; "
                 "meanwhile the thread blocked %llu times (a lock, I/O or a sleep) and was "
                 "preempted %llu times (another thread or the host)",
                 (double)lt.busy_ns / 1e6, (double)lt.cpu_ns / 1e6,
                 (unsigned long long)lt.blocked, (unsigned long long)lt.preempted);
}

static void ready_cb(uv_check_t *h)
{
    gateway *gw = h->data;
    gw_runtime *rt = gw->rt;
    account_run_ready(rt);
    if (rt->ready_head == NULL)
        uv_idle_stop(&rt->spin_handle);
}

static void retention_cb(uv_timer_t *t)
{
    gateway *gw = t->data;
    gw_runtime *rt = gw->rt;
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
    int64_t first = n > 0 && rt->conv != NULL ? store_first_seq(rt->store) : 0;
    if (first > 0)
        conv_service_prune(rt->conv, first); /* the pruned events' members */
    uint64_t next = n == RETENTION_SLICE_ROWS ? RETENTION_SLICE_GAP_MS : RETENTION_INTERVAL_MS;
    uv_timer_start(&gw->retention_timer, retention_cb, next, 0);
}

static void close_idle_cb(uv_idle_t *h)
{
    uv_idle_stop(h);
    close_all(h->data);
}

/* rt->hooks.check_drained: an account, sink or action settled. */
static void check_drained(void *ctx)
{
    gateway *gw = ctx;
    gw_runtime *rt = gw->rt;
    if (!rt->stopping)
        return;
    for (size_t i = 0; i < rt->account_count; i++) {
        if (!account_idle(rt->accounts[i]))
            return;
    }
    /* Accounts are quiet: make their last events durable before the sinks
     * are asked to catch up. The waiters learn the outcome now: a tick
     * rolled back here must not look committed to the next commit_cb. */
    answer_waiters(gw, commit_tick(gw, 1));
    for (size_t i = 0; i < rt->sink_count; i++) {
        dispatch_kick(rt->sinks[i]);
        if (!dispatch_settled(rt->sinks[i]))
            return;
    }
    /* Not here: this runs inside a plugin's complete(), and closing
     * destroys its instance under it. The next loop iteration instead. */
    uv_idle_start(&gw->close_handle, close_idle_cb);
}

static void shutdown_timeout_cb(uv_timer_t *t)
{
    gateway *gw = t->data;
    log_warn(&gw->rt->log, "core", "drain did not finish within %llu ms; closing anyway",
             (unsigned long long)gw->shutdown_timeout_ms);
    close_all(gw);
}

static void signal_cb(uv_signal_t *h, int signum)
{
    gateway *gw = h->data;
    gw_runtime *rt = gw->rt;
    if (signum == SIGHUP) {
        log_info(&rt->log, "core", "SIGHUP: reopening sinks");
        for (size_t i = 0; i < rt->sink_count; i++)
            dispatch_request_reopen(rt->sinks[i]);
        return;
    }
    if (rt->stopping) {
        log_warn(&rt->log, "core", "second signal: closing without waiting");
        close_all(gw);
        return;
    }
    log_info(&rt->log, "core", "%s: draining", signum == SIGINT ? "SIGINT" : "SIGTERM");
    gateway_stop(rt);
}

void gateway_stop(gw_runtime *rt)
{
    gateway *gw = gateway_of(rt);
    if (rt->stopping)
        return;
    rt->stopping = 1;
    outbox_quiesce(rt->outbox); /* actions: no new sends; queued ones wait for the restart */
    for (size_t i = 0; i < rt->account_count; i++)
        account_quiesce(rt->accounts[i]);
    rt->ready_head = NULL;
    uv_idle_stop(&rt->spin_handle);
    uv_timer_start(&gw->shutdown_timer, shutdown_timeout_cb, gw->shutdown_timeout_ms, 0);
    check_drained(gw);
}

/* Tear down in reverse order of acquisition; the loop then ends once the
 * handles have closed. Idempotent. */
static void close_all(gateway *gw)
{
    gw_runtime *rt = gw->rt;
    if (rt->closed)
        return;
    rt->closed = 1;
    events_api_close(rt); /* ends the streams before the server drains */
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
    runtime_http_client_close(rt);
    rt->accounts = NULL;
    rt->account_count = 0;
    rt->ready_head = NULL;
    if (rt->store != NULL) {
        int ok = store_commit(rt->store) == GW_OK; /* waits for the disk */
        conv_service_close(rt->conv, ok); /* its timers; its last commit, after the log's */
        durable_close(gw->durable, ok); /* the older ticks' waiters first */
        gw->durable = NULL;
        runtime_run_waiters(rt, ok);
    }
    /* after the waiters: every request taken has been answered */
    actions_nats_close(gw->nats_actions);
    gw->nats_actions = NULL;
    /* A sink with a write in flight closes when that write returns. */
    for (size_t i = 0; i < rt->sink_count; i++)
        dispatch_close(rt->sinks[i]);
    free(rt->sinks);
    rt->sinks = NULL;
    rt->sink_count = 0;
    uv_handle_t *handles[] = {
        (uv_handle_t *)&gw->commit_handle,  (uv_handle_t *)&gw->ready_handle,
        (uv_handle_t *)&rt->spin_handle,    (uv_handle_t *)&gw->retention_timer,
        (uv_handle_t *)&gw->shutdown_timer, (uv_handle_t *)&gw->sig_int,
        (uv_handle_t *)&gw->sig_term,       (uv_handle_t *)&gw->sig_hup,
        (uv_handle_t *)&gw->probe_timer,    (uv_handle_t *)&gw->close_handle,
    };
    for (size_t i = 0; i < sizeof handles / sizeof handles[0]; i++) {
        if (handles[i]->loop != NULL && !uv_is_closing(handles[i]))
            uv_close(handles[i], NULL);
    }
}

/* ---- open / run / close ---------------------------------------------- */

/* The loop, its phase handles and the signals. */
static int start_loop(gateway *gw, char *err, size_t errlen)
{
    gw_runtime *rt = gw->rt;
    int rc = uv_loop_init(&rt->loop);
    rt->loop.data = rt;
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the event loop: %s", uv_strerror(rc));
        return GW_EIO;
    }
    gw->loop_open = 1;
    /* idle time lets commit_cb tell a tick's work from its wait in poll */
    uv_loop_configure(&rt->loop, UV_METRICS_IDLE_TIME);
    uv_prepare_init(&rt->loop, &gw->commit_handle);
    uv_check_init(&rt->loop, &gw->ready_handle);
    uv_idle_init(&rt->loop, &rt->spin_handle);
    uv_timer_init(&rt->loop, &gw->retention_timer);
    uv_timer_init(&rt->loop, &gw->shutdown_timer);
    uv_idle_init(&rt->loop, &gw->close_handle);
    gw->close_handle.data = gw;
    uv_timer_init(&rt->loop, &gw->probe_timer);
    uv_signal_init(&rt->loop, &gw->sig_int);
    uv_signal_init(&rt->loop, &gw->sig_term);
    uv_signal_init(&rt->loop, &gw->sig_hup);
    gw->commit_handle.data = gw->ready_handle.data = gw->retention_timer.data = gw;
    gw->probe_timer.data = gw->shutdown_timer.data = gw->sig_int.data = gw->sig_term.data = gw->sig_hup.data = gw;
    /* Handled from here on, so a SIGTERM during start-up (opening the log,
     * loading plugins) becomes a drain once the loop runs, not a kill. */
    uv_signal_start(&gw->sig_int, signal_cb, SIGINT);
    uv_signal_start(&gw->sig_term, signal_cb, SIGTERM);
    uv_signal_start(&gw->sig_hup, signal_cb, SIGHUP);
    return GW_OK;
}

int gateway_open(gw_runtime *rt, gw_config *cfg, plugin_set *plugins, gw_log_level level,
                 char *err, size_t errlen)
{
    runtime_init(rt, cfg, level);
    /* Taken over first, so every failure below releases them in
     * gateway_close. */
    rt->plugins = *plugins;
    *plugins = (plugin_set){0};
    gateway *gw = calloc(1, sizeof *gw);
    if (gw == NULL) {
        loader_unload(&rt->plugins);
        snprintf(err, errlen, "out of memory");
        return GW_ENOMEM;
    }
    gw->rt = rt;
    gw->lock.fd = -1;
    rt->hooks = (runtime_hooks){.check_drained = check_drained, .ctx = gw};
    const json_t *g = cfg->gateway;
    gw->shutdown_timeout_ms = config_u64(g, "shutdown_timeout");
    gw->retention_ms = (int64_t)config_u64(g, "retention");
    if (!json_is_true(json_object_get(g, "huge_pages")))
        log_debug(&rt->log, "core", "heap: not advised for huge pages ([gateway] huge_pages)");
    else if (heap_pages_start(&gw->heap) != GW_OK)
        log_debug(&rt->log, "core", "heap: not advised for huge pages (not glibc's heap)");
    else
        log_debug(&rt->log, "core", "heap: advised for transparent huge pages as it grows");

    int rc = start_loop(gw, err, errlen);
    if (rc != GW_OK)
        return rc;

    const char *data_dir = json_string_value(json_object_get(g, "data_dir"));
    /* Before anything in it is opened: a second gateway on this directory
     * must stop here, not after it has touched the log or the outbox. */
    if ((rc = datadir_lock_take(data_dir, &gw->lock, err, errlen)) != GW_OK)
        return rc;
    char db_path[4096];
    snprintf(db_path, sizeof db_path, "%s/gateway.db", data_dir);
    /* one of the sizes config_schema.c allows, so it parses. Why 16 KiB
     * by default, and what a smaller one is for: docs/design.md, "The
     * log's pages". */
    uint64_t page_size = 0;
    cfg_parse_size(json_string_value(json_object_get(g, "log_page_size")), &page_size);
    store_options so = {
        .synchronous_full =
            strcmp(json_string_value(json_object_get(g, "synchronous")), "full") == 0,
        .retention_ms = gw->retention_ms,
        .defer_sync = 1,
        .page_size = (unsigned)page_size,
    };
    if ((rc = store_open(db_path, &so, &rt->store, err, errlen)) != GW_OK)
        return rc;
    char cerr[256];
    if (store_checkpoint_start(rt->store, db_path, so.synchronous_full, 0,
                               &gw->checkpointer, cerr, sizeof cerr) != GW_OK)
        log_warn(&rt->log, "store", "checkpoints stay on the loop thread: %s", cerr);
    durable_hooks dh = {.advanced = durable_advanced, .failed = durable_failed, .arg = gw};
    if (store_syncer(rt->store) != NULL && durable_open(rt, &dh, &gw->durable) != GW_OK) {
        snprintf(err, errlen, "out of memory");
        return GW_ENOMEM;
    }

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
    if ((rc = startup_triage(gw->rt, &gw->triage, err, errlen)) != GW_OK)
        return rc;
    if ((rc = startup_accounts(rt, err, errlen)) != GW_OK)
        return rc;
    /* actions: after the accounts (it resumes their queued answers), before
     * the HTTP server that takes new ones; from here on the accounts'
     * pipelines drop our own posts coming back */
    if ((rc = outbox_open(rt, &rt->outbox, err, errlen)) != GW_OK)
        return rc;
    rt->echo = (pipeline_echo){.is_echo = outbox_is_echo, .arg = rt->outbox};
    gw->conversation_events.members_durable = durable_advanced;
    gw->conversation_events.members_durable_arg = gw;
    if ((rc = startup_conversations(rt, &gw->conversation_events, err, errlen)) != GW_OK)
        return rc;
    if ((rc = actions_nats_open(rt, &gw->nats_actions, err, errlen)) != GW_OK)
        return rc;
    return startup_http(rt, err, errlen);
}

/* One line saying where everything is, so a first run shows where to
 * look: the data directory and its event log, each sink's destination (a
 * path when it has one) and the HTTP server's address as it is bound. */
static void log_ready(gw_runtime *rt)
{
    const gw_config *cfg = rt->cfg;
    const char *data_dir = json_string_value(json_object_get(cfg->gateway, "data_dir"));
    char sinks[1024] = "", http[300] = "HTTP server off";
    size_t used = 0;

    for (size_t i = 0; i < cfg->sink_count && used < sizeof sinks; i++) {
        const char *path = json_string_value(json_object_get(cfg->sinks[i].settings, "path"));
        const char *url = json_string_value(json_object_get(cfg->sinks[i].settings, "url"));
        char where[300];
        /* A receiver's URL may carry a token: the log gets it redacted. */
        if (path == NULL && url != NULL && redact_url(url, where, sizeof where) >= 0)
            path = where;
        int n = snprintf(sinks + used, sizeof sinks - used, "%s%s -> %s", i ? ", " : "",
                         cfg->sinks[i].name, path != NULL ? path : cfg->sinks[i].type);
        used += n > 0 ? (size_t)n : 0;
    }
    if (rt->server != NULL) {
        const char *listen = json_string_value(json_object_get(cfg->http, "listen"));
        const char *colon = listen != NULL ? strrchr(listen, ':') : NULL;
        int host_len = colon != NULL ? (int)(colon - listen) : 0;
        snprintf(http, sizeof http, "HTTP on http://%.*s:%d", host_len, listen != NULL ? listen : "",
                 http_server_port(rt->server));
    }
    log_info(&rt->log, "core", "ready: data_dir %s (event log %s/gateway.db); sinks: %s; %s",
             data_dir, data_dir, cfg->sink_count ? sinks : "none", http);
}

int gateway_run(gw_runtime *rt)
{
    gateway *gw = gateway_of(rt);
    uv_prepare_start(&gw->commit_handle, commit_cb);
    uv_check_start(&gw->ready_handle, ready_cb);
    if (gw->retention_ms > 0)
        uv_timer_start(&gw->retention_timer, retention_cb, RETENTION_INTERVAL_MS, 0);
    for (size_t i = 0; i < rt->account_count; i++)
        account_start(rt->accounts[i]);
    outbox_start(rt->outbox);
    log_info(&rt->log, "core", "gateway %s running: %zu accounts, %zu sinks, log at seq %lld",
             GW_VERSION, rt->account_count, rt->sink_count,
             (long long)store_committed_seq(rt->store));
    log_ready(rt);
    kick_sinks(rt);
    uv_run(&rt->loop, UV_RUN_DEFAULT);
    if (!gw->store_unusable) /* that exit was logged as what it is */
        log_info(&rt->log, "core", "stopped");
    return gw->exit_code;
}

void gateway_close(gw_runtime *rt)
{
    gateway *gw = gateway_of(rt);
    if (gw == NULL) /* gateway_open failed before acquiring anything */
        return;
    close_all(gw);
    /* Let closing handles and in-flight sink writes finish. */
    if (gw->loop_open)
        uv_run(&rt->loop, UV_RUN_DEFAULT);
    /* actions: its statements must be finalized before the store closes */
    rt->echo = (pipeline_echo){0};
    rt->enrich = (pipeline_enrich){0};
    triage_free(gw->triage);
    gw->triage = NULL;
    rt->observer = (pipeline_observer){0};
    rt->egress = (event_egress){0};
    conv_service_free(rt->conv);
    rt->conv = NULL;
    outbox_close(rt->outbox);
    rt->outbox = NULL;
    if (rt->store != NULL) {
        store_commit(rt->store);
        store_checkpoint_stop(gw->checkpointer, rt->store);
        gw->checkpointer = NULL;
        store_close(rt->store);
        rt->store = NULL;
    }
    loader_unload(&rt->plugins);
    if (gw->loop_open && uv_loop_close(&rt->loop) != 0)
        log_warn(&rt->log, "core", "event loop closed with handles still open");
    datadir_lock_release(&gw->lock); /* last: everything in the directory is closed */
    rt->hooks = (runtime_hooks){0};
    free(gw);
}
