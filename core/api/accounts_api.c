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
#include "base/json_write.h"
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

/* Append text, a literal (a key with what leads it, ",\"name\":"). */
static int literal(jw_buf *b, const char *text)
{
    return jw_raw(b, text, strlen(text));
}

/* The key (as literal() takes it), then value as a JSON string, or null
 * for NULL. */
static int string_member(jw_buf *b, const char *key, const char *value)
{
    int rc = literal(b, key);
    if (rc == 0)
        rc = value != NULL ? jw_string(b, value, strlen(value)) : literal(b, "null");
    return rc;
}

static int integer_member(jw_buf *b, const char *key, json_int_t value)
{
    int rc = literal(b, key);
    return rc == 0 ? jw_integer(b, value) : rc;
}

/* Append one account's document to b. acct is the running account, or
 * NULL for one configured but not running (disabled, or its start
 * failed). restarted < 0 leaves the "restarted" member out. Written as
 * text, not built as a json_t and dumped: listing 10,000 accounts that
 * way held the loop 71 ms, this way ~10 ms. Returns 0, GW_EINVAL (a
 * string that is not UTF-8) or GW_ENOMEM. */
static int account_document(jw_buf *b, const gw_runtime *rt, const cfg_account *ca,
                            const gw_account *acct, int restarted)
{
    account_status st = {.max_failures = rt->max_failures, .last_error = ""};
    const char *state = "disabled";
    if (acct != NULL) {
        account_status_get(acct, &st);
        state = state_names[st.state];
    } else if (json_is_true(json_object_get(ca->settings, "enabled"))) {
        state = "not_started"; /* create failed: the log says why */
    }
    char next[40];
    const char *next_retry = NULL;
    if (st.next_retry_ms != 0 && gw_sdk_time_format((int64_t)st.next_retry_ms, next,
                                                    sizeof next) >= 0)
        next_retry = next;
    int rc = string_member(b, "{\"network\":", ca->network);
    if (rc == 0)
        rc = string_member(b, ",\"name\":", ca->name);
    if (rc == 0)
        rc = string_member(b, ",\"state\":", state);
    if (rc == 0)
        rc = string_member(b, ",\"last_error\":", st.last_error[0] ? st.last_error : NULL);
    if (rc == 0)
        rc = integer_member(b, ",\"consecutive_failures\":", (json_int_t)st.failures);
    if (rc == 0)
        rc = integer_member(b, ",\"max_failures\":", (json_int_t)st.max_failures);
    if (rc == 0)
        rc = string_member(b, ",\"next_retry_at\":", next_retry);
    if (rc == 0 && restarted >= 0)
        rc = literal(b, restarted ? ",\"restarted\":true" : ",\"restarted\":false");
    if (rc == 0)
        rc = literal(b, "}");
    return rc;
}

/* Answer 200 with b's JSON text, or 500 when writing it failed (rc). */
static void respond_text(http_exchange *ex, jw_buf *b, int rc)
{
    if (rc == 0)
        http_exchange_respond(ex, 200, "application/json", b->data, b->len, NULL, 0);
    else
        http_exchange_respond_error(ex, 500, rc == GW_ENOMEM ? "out_of_memory" : "internal_error",
                                    "the answer could not be built");
    jw_buf_free(b);
}

static void list_accounts(void *arg, http_exchange *ex)
{
    gw_runtime *rt = arg;
    if (!api_authorize(rt, ex))
        return;
    jw_buf b = {0};
    int rc = literal(&b, "{\"accounts\":[");
    for (size_t i = 0; rc == 0 && i < rt->cfg->account_count; i++) {
        const cfg_account *ca = &rt->cfg->accounts[i];
        if (i > 0)
            rc = literal(&b, ",");
        if (rc == 0)
            rc = account_document(&b, rt, ca, account_find(rt, ca->network, ca->name), -1);
    }
    if (rc == 0)
        rc = literal(&b, "]}");
    respond_text(ex, &b, rc);
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
    jw_buf b = {0};
    respond_text(ex, &b, account_document(&b, rt, ca, acct, rc == 1));
}

int accounts_api_install(gw_runtime *rt)
{
    int rc;
    if ((rc = http_server_route(rt->server, "GET", "/v1/accounts", 0, list_accounts, rt)) ||
        (rc = http_server_route(rt->server, "POST", "/v1/accounts/", 1, restart_account, rt)))
        return rc;
    return GW_OK;
}
