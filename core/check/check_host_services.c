/* check_host_services.c - the gw_host table the checker hands the
 * plugin (check_host_services), each function behaving as the gateway's
 * where the plugin can tell, and recording what the gateway would
 * forgive or never see: a second complete(), an invalid event, kv use
 * beyond the limits, a stale timer handle, a secret in any text the
 * plugin hands over. Timers' and HTTP callbacks are timed through
 * check_host_call_begin/end. See check_host.h; the structs are in
 * check_host_internal.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "check/check_host.h"
#include "check/check_host_internal.h"
#include "check/check_report.h"
#include "check/check_schema.h"
#include "engine/pipeline.h"
#include "http/http_client.h"

#define CONTRACT_ONCE "complete() exactly once per op"
#define CONTRACT_EVENT "emit() takes a JSON object in the shape of gateway.event/1"
#define CONTRACT_SCHEMA "events in the shape of gateway.event/1 (docs/event.schema.json)"
#define CONTRACT_SECRET "options flagged GW_OPTF_SECRET are never logged or echoed back"
#define CONTRACT_KV "a per-account key/value store for cursors, within the checker's limits"
#define CONTRACT_TIMER "a timer handle is valid until its callback has run or timer_cancel()"

static check_host *host_of(gw_account *acct)
{
    return (check_host *)(void *)acct;
}

/* Every string the plugin hands over that a person may read: a secret in
 * it is a breach. */
static void watch_secret(check_host *h, const char *where, const char *text)
{
    const char *name = check_report_find_secret(h->rep, text);
    if (name != NULL)
        check_report_breach(h->rep, "secrets", CONTRACT_SECRET,
                            "%s contains the value of the secret option %s", where, name);
}

static void watch_secret_json(check_host *h, const char *where, const json_t *v)
{
    char *text = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    watch_secret(h, where, text);
    free(text);
}

/* ---- complete ------------------------------------------------------------ */

static void host_complete(gw_op *handle, gw_outcome outcome, uint64_t delay_ms, const char *message,
                          json_t *result)
{
    check_op *op = (check_op *)(void *)handle;
    check_host *h = op->h;
    watch_secret(h, "a completion message", message);
    watch_secret_json(h, "a completion result", result);
    op->completions++;
    if (op->completions > 1) {
        check_report_breach(h->rep, "complete-once", CONTRACT_ONCE,
                            "hook %s completed its op %d times (first %s, then %s)", op->hook,
                            op->completions, check_outcome_name(op->out.outcome),
                            check_outcome_name(outcome));
        json_decref(result);
        return;
    }
    uv_timer_stop(&op->deadline);
    if (op->out.timed_out) { /* late: the gateway ignores it, and so do we */
        json_decref(result);
        return;
    }
    op->out.completed = 1;
    op->out.outcome = outcome;
    op->out.delay_ms = delay_ms;
    snprintf(op->out.message, sizeof op->out.message, "%s", message ? message : "");
    op->out.result = result;
}

/* ---- log, emit ------------------------------------------------------------ */

static void host_log(gw_account *acct, gw_log_level level, const char *fmt, ...)
{
    (void)level;
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    watch_secret(host_of(acct), "a log line", line);
}

static int host_emit(gw_account *acct, json_t *event)
{
    check_host *h = host_of(acct);
    if (h->destroying) {
        json_decref(event);
        return GW_ESTATE;
    }
    h->emitted++;
    char err[256];
    if (pipeline_validate(event, err, sizeof err) != GW_OK) {
        const char *nid = json_string_value(json_object_get(event, "native_id"));
        check_report_breach(h->rep, "event-valid", CONTRACT_EVENT,
                            "emitted an invalid event%s%s%s: %s", nid ? " (native_id \"" : "",
                            nid ? nid : "", nid ? "\")" : "", err);
        json_decref(event);
        return GW_EINVAL;
    }
    if (check_schema_event(event, err, sizeof err) != GW_OK) {
        const char *nid = json_string_value(json_object_get(event, "native_id"));
        check_report_breach(h->rep, "event-schema", CONTRACT_SCHEMA,
                            "emitted an event (native_id \"%s\") the gateway stores but "
                            "docs/event.schema.json refuses: %s",
                            nid, err);
    }
    watch_secret_json(h, "an emitted event", event);
    const char *nid = json_string_value(json_object_get(event, "native_id"));
    json_object_set(h->events, nid, event);
    json_decref(event);
    return GW_OK;
}

/* ---- timers ---------------------------------------------------------------- */

static void timer_fire_cb(uv_timer_t *t)
{
    check_timer *ct = t->data;
    ct->fired = 1;
    ct->in_cb = 1;
    check_host_call_begin(ct->h);
    ct->cb(ct->arg);
    check_host_call_end(ct->h, "a timer callback");
    ct->in_cb = 0;
}

static gw_timer *host_timer_start(gw_account *acct, uint64_t delay_ms, gw_timer_cb cb, void *arg)
{
    check_host *h = host_of(acct);
    if (cb == NULL || h->destroying)
        return NULL;
    check_timer *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    t->h = h;
    t->cb = cb;
    t->arg = arg;
    uv_timer_init(h->loop, &t->handle);
    t->handle.data = t;
    uv_timer_start(&t->handle, timer_fire_cb, delay_ms, 0);
    t->next = h->timers;
    h->timers = t;
    return (gw_timer *)(void *)t;
}

static void host_timer_cancel(gw_timer *timer)
{
    check_timer *t = (check_timer *)(void *)timer;
    if (t == NULL || t->in_cb)
        return;
    if (t->fired || t->cancelled) {
        check_report_breach(t->h->rep, "timer-handle", CONTRACT_TIMER,
                            "timer_cancel() on a timer that had already %s",
                            t->fired ? "fired" : "been cancelled");
        return;
    }
    t->cancelled = 1;
    uv_timer_stop(&t->handle);
}

/* ---- kv ---------------------------------------------------------------------- */

static int host_kv_get(gw_account *acct, const char *key, char *buf, size_t buflen)
{
    check_host *h = host_of(acct);
    const char *v = key ? json_string_value(json_object_get(h->kv, key)) : NULL;
    if (v == NULL)
        return GW_ENOENT;
    size_t n = strlen(v);
    if (buf == NULL || n + 1 > buflen)
        return GW_ERANGE;
    memcpy(buf, v, n + 1);
    return (int)n;
}

static int host_kv_set(gw_account *acct, const char *key, const char *value)
{
    check_host *h = host_of(acct);
    if (key == NULL || *key == '\0' || value == NULL)
        return GW_EINVAL;
    size_t klen = strlen(key), vlen = strlen(value);
    if (klen > CHECK_KV_MAX_KEY_BYTES)
        check_report_breach_once(h->rep, "kv-limits", "key bytes", CONTRACT_KV,
                                 "kv key \"%.40s...\" is %zu bytes, at most %d", key, klen,
                                 CHECK_KV_MAX_KEY_BYTES);
    if (vlen > CHECK_KV_MAX_VALUE_BYTES)
        check_report_breach_once(h->rep, "kv-limits", "value bytes", CONTRACT_KV,
                                 "kv value of \"%.40s\" is %zu bytes, at most %d", key, vlen,
                                 CHECK_KV_MAX_VALUE_BYTES);
    if (json_object_get(h->kv, key) == NULL && json_object_size(h->kv) == CHECK_KV_MAX_KEYS)
        check_report_breach(h->rep, "kv-limits", CONTRACT_KV,
                            "more than %d kv keys (a cursor store, not a database)",
                            CHECK_KV_MAX_KEYS);
    watch_secret(h, "a kv value", value);
    return json_object_set_new(h->kv, key, json_string(value)) == 0 ? GW_OK : GW_ENOMEM;
}

/* ---- the rest of the table ------------------------------------------------- */

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
    return host_of(acct)->options;
}

static const char *host_account_name(gw_account *acct)
{
    (void)acct;
    return "check";
}

static void http_done(void *arg, const gw_http_response *response)
{
    check_call *c = arg;
    check_host *h = c->h;
    check_call_unlink(c);
    check_host_call_begin(h);
    c->cb(c->arg, response);
    check_host_call_end(h, "an HTTP callback");
    free(c);
}

static int host_http_request(gw_account *acct, const gw_http_request *request, gw_http_cb cb,
                             void *arg)
{
    check_host *h = host_of(acct);
    if (h->destroying || cb == NULL || request == NULL)
        return h->destroying ? GW_ESTATE : GW_EINVAL;
    check_call *c = calloc(1, sizeof *c);
    if (c == NULL)
        return GW_ENOMEM;
    c->h = h;
    c->cb = cb;
    c->arg = arg;
    int rc = http_client_request(h->client, NULL, h, "check", request, http_done, c, NULL);
    if (rc != GW_OK) {
        free(c);
        return rc;
    }
    c->next = h->calls;
    if (h->calls)
        h->calls->prev = c;
    h->calls = c;
    return GW_OK;
}

static void host_credentials_failed(gw_account *acct, const char *reason)
{
    watch_secret(host_of(acct), "a credentials_failed reason", reason);
}

static int host_metric_set(gw_account *acct, const char *name, const char *help, double value)
{
    check_host *h = host_of(acct);
    (void)value;
    size_t n = name != NULL ? strlen(name) : 0;
    if (n == 0 || n > 48 || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != n)
        return GW_EINVAL;
    watch_secret(h, "a metric's help", help);
    for (size_t i = 0; i < h->metric_count; i++) {
        if (strcmp(h->metrics[i], name) == 0)
            return GW_OK;
    }
    if (h->metric_count == sizeof h->metrics / sizeof h->metrics[0])
        return GW_ERANGE;
    memcpy(h->metrics[h->metric_count++], name, n + 1);
    return GW_OK;
}

static int host_narrow_capabilities(gw_account *acct, uint32_t keep, const char *reason)
{
    check_host *h = host_of(acct);
    uint32_t known = GW_CAP_FETCH | GW_CAP_POST_PUBLIC | GW_CAP_SEND_PRIVATE | GW_CAP_WEBHOOK;
    if (keep & ~known)
        return GW_EINVAL;
    watch_secret(h, "a narrow_capabilities reason", reason);
    h->caps_keep = keep;
    snprintf(h->caps_reason, sizeof h->caps_reason, "%s",
             reason != NULL && reason[0] != '\0' ? reason : "not available to this account");
    return GW_OK;
}

static const gw_host services = {
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

const gw_host *check_host_services(void)
{
    return &services;
}
