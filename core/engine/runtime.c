/* runtime.c - the shared state's low-level services: the after-commit
 * queue, the plugins' lazily made HTTP client and the hook that carries
 * "settled" up to the orchestrator; see runtime.h. Nothing here calls a
 * module above it. */
#include "engine/runtime.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "http/http_client.h"

void runtime_init(gw_runtime *rt, gw_config *cfg, gw_log_level level)
{
    memset(rt, 0, sizeof *rt);
    rt->waiters_tail = &rt->waiters;
    rt->cfg = cfg;
    rt->log.level = level;
    rt->log.out = stderr;
    backoff_seed(&rt->rng, clock_monotonic_ms() ^ ((uint64_t)getpid() << 32));
    const json_t *gw = cfg->gateway;
    rt->fetch_timeout_ms = config_u64(gw, "fetch_timeout");
    rt->retry_base_ms = config_u64(gw, "retry_base");
    rt->retry_max_ms = config_u64(gw, "retry_max");
    rt->max_failures = (unsigned)config_u64(gw, "max_failures");
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

commit_waiter *runtime_take_waiters(gw_runtime *rt)
{
    commit_waiter *w = rt->waiters;
    rt->waiters = NULL;
    rt->waiters_tail = &rt->waiters;
    return w;
}

void runtime_run_waiter_list(commit_waiter *w, int committed)
{
    while (w != NULL) {
        commit_waiter *next = w->next;
        w->fn(w->arg, committed);
        free(w);
        w = next;
    }
}

void runtime_run_waiters(gw_runtime *rt, int committed)
{
    runtime_run_waiter_list(runtime_take_waiters(rt), committed);
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

void runtime_http_client_close(gw_runtime *rt)
{
    if (rt->client != NULL) {
        http_client_close(rt->client, NULL, NULL);
        rt->client = NULL;
    }
}

void runtime_check_drained(gw_runtime *rt)
{
    if (rt->hooks.check_drained != NULL)
        rt->hooks.check_drained(rt->hooks.ctx);
}
