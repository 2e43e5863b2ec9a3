/* routes.c - handlers of the gateway's HTTP endpoints; see routes.h. */
#include "api/routes.h"

#include <stdlib.h>
#include <string.h>

#include "engine/account.h"
#include "api/accounts_api.h"
#include "api/deadletters_api.h"
#include "api/contacts_api.h"
#include "api/conversations_api.h"
#include "api/actions_api.h"
#include "api/events_api.h"
#include "http/http_server.h"
#include "api/metrics.h"

static void healthz(void *arg, http_exchange *ex)
{
    (void)arg;
    http_exchange_respond_json(ex, 200, json_pack("{s:s}", "status", "ok"));
}

/* The store's last error while its writes fail (store_status), else NULL.
 * Borrowed from the store. */
static const char *store_failing(const gw_runtime *rt)
{
    store_status st;
    store_status_get(rt->store, &st);
    return st.failing_since_ms != 0 ? store_last_error(rt->store) : NULL;
}

/* Ready: the store is open and takes writes, no drain is under way, and
 * every enabled account has started and is not stopped. */
static int ready(const gw_runtime *rt)
{
    if (rt->store == NULL || rt->stopping || store_failing(rt) != NULL)
        return 0;
    size_t enabled = 0;
    for (size_t i = 0; i < rt->cfg->account_count; i++)
        enabled += json_is_true(json_object_get(rt->cfg->accounts[i].settings, "enabled"));
    if (rt->account_count != enabled)
        return 0;
    for (size_t i = 0; i < rt->account_count; i++) {
        if (account_stats_get(rt->accounts[i])->stopped ||
            account_stats_get(rt->accounts[i])->plugin_restarting)
            return 0;
    }
    return 1;
}

/* 503 lists what is wrong, so an operator sees it without reading logs. */
static void readyz(void *arg, http_exchange *ex)
{
    gw_runtime *rt = arg;
    if (ready(rt)) {
        http_exchange_respond_json(ex, 200, json_pack("{s:s}", "status", "ready"));
        return;
    }
    json_t *problems = json_array();
    if (rt->stopping)
        json_array_append_new(problems, json_string("the gateway is shutting down"));
    const char *store_error = rt->store != NULL ? store_failing(rt) : NULL;
    if (store_error != NULL)
        json_array_append_new(problems, json_string(store_error));
    for (size_t i = 0; i < rt->cfg->account_count; i++) {
        const cfg_account *ca = &rt->cfg->accounts[i];
        if (!json_is_true(json_object_get(ca->settings, "enabled")))
            continue;
        gw_account *a = account_find(rt, ca->network, ca->name);
        if (a == NULL)
            json_array_append_new(problems, json_pack("{s:s, s:s, s:s}", "network", ca->network,
                                                      "account", ca->name, "problem",
                                                      "not started (see the log)"));
        else if (account_stats_get(a)->stopped)
            json_array_append_new(problems,
                                  json_pack("{s:s, s:s, s:s}", "network", ca->network,
                                            "account", ca->name, "problem",
                                            "stopped after repeated failures"));
        else if (account_stats_get(a)->plugin_restarting)
            json_array_append_new(problems,
                                  json_pack("{s:s, s:s, s:s}", "network", ca->network,
                                            "account", ca->name, "problem",
                                            "plugin process restarting after a crash"));
    }
    http_exchange_respond_json(ex, 503,
                               json_pack("{s:s, s:o}", "status", "not_ready", "problems",
                                         problems));
}

static void metrics(void *arg, http_exchange *ex)
{
    char *text = NULL;
    size_t len = 0;
    if (metrics_render(arg, &text, &len) != GW_OK) {
        http_exchange_respond_error(ex, 500, "out_of_memory", "metrics could not be rendered");
        return;
    }
    http_exchange_respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8", text, len, NULL,
                          0);
    free(text);
}

/* /webhooks/<network>/<account>: exactly two non-empty segments. */
static void webhook(void *arg, http_exchange *ex)
{
    gw_runtime *rt = arg;
    const char *tail = http_exchange_path_tail(ex);
    const char *slash = strchr(tail, '/');
    char network[64], name[128];
    size_t nlen = slash ? (size_t)(slash - tail) : 0;
    size_t alen = slash ? strlen(slash + 1) : 0;
    if (slash == NULL || nlen == 0 || nlen >= sizeof network || alen == 0 ||
        alen >= sizeof name || strchr(slash + 1, '/') != NULL) {
        http_exchange_respond_error(ex, 404, "not_found",
                                    "webhook paths are /webhooks/<network>/<account>");
        return;
    }
    memcpy(network, tail, nlen);
    network[nlen] = '\0';
    memcpy(name, slash + 1, alen + 1);
    gw_account *a = account_find(rt, network, name);
    if (a == NULL) {
        http_exchange_respond_error(ex, 404, "unknown_account",
                                    "no running account with that network and name");
        return;
    }
    /* never a 2xx for items that cannot be stored; the sender retries */
    if (store_failing(rt) != NULL) {
        http_exchange_respond_error(ex, 503, "store_unavailable",
                                    "the store is failing (see GET /readyz); deliver again later");
        return;
    }
    account_webhook(a, ex);
}

int routes_install(gw_runtime *rt)
{
    int rc;
    if ((rc = http_server_route(rt->server, "GET", "/healthz", 0, healthz, rt)) ||
        (rc = http_server_route(rt->server, "GET", "/readyz", 0, readyz, rt)) ||
        (rc = http_server_route(rt->server, "GET", "/metrics", 0, metrics, rt)) ||
        (rc = http_server_route(rt->server, "GET,POST", "/webhooks/", 1, webhook, rt)) ||
        (rc = actions_api_install(rt)) || /* /v1/actions, see actions_api.h */
        (rc = accounts_api_install(rt)) || /* /v1/accounts, see accounts_api.h */
        (rc = deadletters_api_install(rt)) || /* /v1/deadletters, deadletters_api.h */
        (rc = conversations_api_install(rt)) || /* /v1/conversations */
        (rc = contacts_api_install(rt)) ||      /* /v1/contacts */
        (rc = events_api_install(rt)))     /* /v1/events, see events_api.h */
        return rc;
    return GW_OK;
}
