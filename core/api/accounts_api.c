/* accounts_api.c - handlers of /v1/accounts; see accounts_api.h.
 *
 * The HTTP edge only: the account's engine (engine/account.c) owns the
 * circuit breaker and its restart; the outbox is woken after a restart so
 * the actions that waited for the account go out.
 */
#include "api/accounts_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_auth.h"
#include "engine/account.h"
#include "engine/outbox.h"
#include "gateway/sdk.h"
#include "http/http_server.h"

#define COMPONENT "api"
#define RESTART_SUFFIX "/restart"

static const char *const state_names[] = {
    [ACCOUNT_RUNNING] = "running",
    [ACCOUNT_CREDENTIALS_FAILING] = "credentials_failing",
    [ACCOUNT_STOPPED] = "stopped",
};

/* An RFC 3339 time, or null for 0 (none). */
static json_t *time_or_null(uint64_t ms)
{
    char buf[40];
    if (ms == 0 || gw_sdk_time_format((int64_t)ms, buf, sizeof buf) < 0)
        return json_null();
    return json_string(buf);
}

/* One account's document. acct is the running account, or NULL for one
 * configured but not running (disabled, or its start failed). */
static json_t *account_document(const gw_runtime *rt, const cfg_account *ca,
                                const gw_account *acct)
{
    account_status st = {.max_failures = rt->max_failures, .last_error = ""};
    const char *state = "disabled";
    if (acct != NULL) {
        account_status_get(acct, &st);
        state = state_names[st.state];
    } else if (json_is_true(json_object_get(ca->settings, "enabled"))) {
        state = "not_started"; /* create failed: the log says why */
    }
    return json_pack("{s:s, s:s, s:s, s:o, s:I, s:I, s:o}", "network", ca->network, "name",
                     ca->name, "state", state, "last_error",
                     st.last_error[0] ? json_string(st.last_error) : json_null(),
                     "consecutive_failures", (json_int_t)st.failures, "max_failures",
                     (json_int_t)st.max_failures, "next_retry_at", time_or_null(st.next_retry_ms));
}

static void list_accounts(void *arg, http_exchange *ex)
{
    gw_runtime *rt = arg;
    if (!api_authorize(rt, ex))
        return;
    json_t *list = json_array();
    for (size_t i = 0; list != NULL && i < rt->cfg->account_count; i++) {
        const cfg_account *ca = &rt->cfg->accounts[i];
        if (json_array_append_new(list, account_document(rt, ca, account_find(rt, ca->network,
                                                                              ca->name))) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    if (list == NULL) {
        http_exchange_respond_error(ex, 500, "out_of_memory", "the list could not be built");
        return;
    }
    http_exchange_respond_json(ex, 200, json_pack("{s:o}", "accounts", list));
}

/* The configured account named by "<network>/<name>" followed by
 * RESTART_SUFFIX, or NULL. */
static const cfg_account *restart_target(const gw_runtime *rt, const char *tail)
{
    size_t len = strlen(tail), suffix = strlen(RESTART_SUFFIX);
    if (len <= suffix || strcmp(tail + len - suffix, RESTART_SUFFIX) != 0)
        return NULL;
    len -= suffix;
    const char *slash = memchr(tail, '/', len);
    if (slash == NULL || slash == tail)
        return NULL;
    size_t nlen = (size_t)(slash - tail), alen = len - nlen - 1;
    for (size_t i = 0; i < rt->cfg->account_count; i++) {
        const cfg_account *ca = &rt->cfg->accounts[i];
        if (strlen(ca->network) == nlen && strncmp(ca->network, tail, nlen) == 0 &&
            strlen(ca->name) == alen && strncmp(ca->name, slash + 1, alen) == 0)
            return ca;
    }
    return NULL;
}

/* Restarting an account that runs is not an error: the answer says it
 * was not stopped ("restarted": false), so a script may call it blindly. */
static void restart_account(void *arg, http_exchange *ex)
{
    gw_runtime *rt = arg;
    if (!api_authorize(rt, ex))
        return;
    const cfg_account *ca = restart_target(rt, http_exchange_path_tail(ex));
    if (ca == NULL) {
        http_exchange_respond_error(ex, 404, "unknown_account",
                                    "no configured account with that network and name (the "
                                    "path is /v1/accounts/<network>/<name>/restart)");
        return;
    }
    gw_account *acct = account_find(rt, ca->network, ca->name);
    if (acct == NULL) {
        int enabled = json_is_true(json_object_get(ca->settings, "enabled"));
        http_exchange_respond_error(
            ex, 409, enabled ? "account_not_started" : "account_disabled",
            enabled ? "the account did not start (see the log); fix its configuration and "
                      "restart the gateway"
                    : "the account is disabled in the configuration; set enabled = true and "
                      "restart the gateway");
        return;
    }
    int rc = rt->stopping ? GW_ESTATE : account_restart(acct);
    if (rc < 0) {
        http_exchange_respond_error(ex, 503, "shutting_down", "the gateway is stopping");
        return;
    }
    if (rc == 1) {
        log_info(&rt->log, COMPONENT, "account %s restarted through the API",
                 account_label(acct));
        outbox_wake(rt->outbox); /* its actions waited while it was stopped */
    }
    json_t *doc = account_document(rt, ca, acct);
    if (doc != NULL)
        json_object_set_new(doc, "restarted", json_boolean(rc == 1));
    http_exchange_respond_json(ex, 200, doc);
}

int accounts_api_install(gw_runtime *rt)
{
    int rc;
    if ((rc = http_server_route(rt->server, "GET", "/v1/accounts", 0, list_accounts, rt)) ||
        (rc = http_server_route(rt->server, "POST", "/v1/accounts/", 1, restart_account, rt)))
        return rc;
    return GW_OK;
}
