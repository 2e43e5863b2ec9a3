/* isolate/child_host.c - the gw_host table an isolated plugin is given:
 * each function becomes a frame to the core, except clocks and timers,
 * which the child serves itself (see child.h). gw_account is the child;
 * gw_op is a child_op; gw_timer is a child_timer. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "isolate/child_internal.h"
#include "isolate/child_io.h"

static child *of(gw_account *acct)
{
    return (child *)acct;
}

uint64_t child_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Sends json (steals) and releases it. */
static void send_json(child *c, isolate_type type, uint64_t id, json_t *json)
{
    child_send(c, type, id, json, NULL, 0);
    json_decref(json);
}

static void host_log(gw_account *acct, gw_log_level level, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    send_json(of(acct), ISOLATE_T_LOG, 0, json_pack("{s:i,s:s}", "level", (int)level, "message", line));
}

/* The core validates the event when the frame arrives and logs a
 * refusal; answering here would cost a round trip per item. */
static int host_emit(gw_account *acct, json_t *event)
{
    if (!json_is_object(event)) {
        json_decref(event);
        return GW_EINVAL;
    }
    send_json(of(acct), ISOLATE_T_EMIT, 0, event);
    return 0;
}

static gw_timer *host_timer_start(gw_account *acct, uint64_t delay_ms, gw_timer_cb cb, void *arg)
{
    child *c = of(acct);
    child_timer *t = calloc(1, sizeof(*t));
    if (t == NULL || cb == NULL) {
        free(t);
        return NULL;
    }
    uint64_t now = child_monotonic_ms();
    t->due_ms = delay_ms > UINT64_MAX - now ? UINT64_MAX : now + delay_ms;
    t->cb = cb;
    t->arg = arg;
    t->next = c->timers;
    c->timers = t;
    return (gw_timer *)t;
}

/* The handle carries no back pointer to the child; the loop finds it by
 * address in its own list, so a stale handle is a no-op, as inline. */
static void host_timer_cancel(gw_timer *timer)
{
    if (timer != NULL)
        ((child_timer *)timer)->cb = NULL;
}

static int host_kv_get(gw_account *acct, const char *key, char *buf, size_t buflen)
{
    child *c = of(acct);
    uint64_t id = ++c->next_id;
    send_json(c, ISOLATE_T_KV_GET, id, json_pack("{s:s}", "key", key ? key : ""));
    for (;;) {
        isolate_msg m;
        if (child_read_frame(c, &m, 0) != 0)
            exit(0); /* the core is gone */
        if (m.type == ISOLATE_T_KV_VALUE && m.id == id) {
            int rc = (int)json_integer_value(json_object_get(m.json, "rc"));
            const char *value = json_string_value(json_object_get(m.json, "value"));
            if (rc == 0) {
                size_t n = value ? strlen(value) : 0;
                if (n + 1 > buflen)
                    rc = GW_ERANGE;
                else {
                    memcpy(buf, value ? value : "", n + 1);
                    rc = (int)n;
                }
            }
            isolate_msg_clear(&m);
            return rc;
        }
        /* Not ours: kept, in order, for the loop. */
        isolate_encode(&c->later, m.type, m.id, m.json, m.blob, m.blob_len);
        isolate_msg_clear(&m);
    }
}

static int host_kv_set(gw_account *acct, const char *key, const char *value)
{
    if (key == NULL || value == NULL)
        return GW_EINVAL;
    send_json(of(acct), ISOLATE_T_KV_SET, 0, json_pack("{s:s,s:s}", "key", key, "value", value));
    return 0;
}

static uint64_t host_now_ms(gw_account *acct)
{
    (void)acct;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t host_monotonic_ms(gw_account *acct)
{
    (void)acct;
    return child_monotonic_ms();
}

static const json_t *host_config(gw_account *acct)
{
    return of(acct)->config;
}

static const char *host_account_name(gw_account *acct)
{
    return of(acct)->account;
}

child_op *child_op_new(child *c, uint64_t id)
{
    child_op *op = c->free_ops;
    if (op != NULL)
        c->free_ops = op->next_free;
    else if ((op = calloc(1, sizeof(*op))) == NULL)
        return NULL;
    op->owner = c;
    op->id = id;
    op->live = 1;
    return op;
}

static void host_complete(gw_op *handle, gw_outcome outcome, uint64_t delay_ms,
                          const char *message, json_t *result)
{
    child_op *op = (child_op *)handle;
    if (op == NULL || !op->live) {
        json_decref(result);
        return;
    }
    child *c = op->owner;
    uint64_t id = op->id;
    op->live = 0;
    op->next_free = c->free_ops;
    c->free_ops = op;
    json_t *j = json_pack("{s:i,s:I}", "outcome", (int)outcome, "delay_ms", (json_int_t)delay_ms);
    if (message != NULL)
        json_object_set_new(j, "message", json_string(message));
    if (result != NULL)
        json_object_set_new(j, "result", result);
    send_json(c, ISOLATE_T_COMPLETE, id, j);
}

static int host_http_request(gw_account *acct, const gw_http_request *req, gw_http_cb cb, void *arg)
{
    child *c = of(acct);
    if (req == NULL || req->method == NULL || req->url == NULL || cb == NULL)
        return GW_EINVAL;
    child_request *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return GW_ENOMEM;
    r->id = ++c->next_id;
    r->cb = cb;
    r->arg = arg;
    json_t *j = json_pack("{s:s,s:s,s:o,s:I}", "method", req->method, "url", req->url, "headers",
                          isolate_headers_json(req->headers, req->header_count), "timeout_ms",
                          (json_int_t)req->timeout_ms);
    if (GW_HAS_MEMBER(req, gw_http_request, rate_class) && req->rate_class != NULL)
        json_object_set_new(j, "rate_class", json_string(req->rate_class));
    if (GW_HAS_MEMBER(req, gw_http_request, handles_401))
        json_object_set_new(j, "handles_401", json_integer(req->handles_401));
    child_send(c, ISOLATE_T_HTTP_REQUEST, r->id, j, req->body, req->body ? req->body_len : 0);
    json_decref(j);
    r->next = c->requests;
    c->requests = r;
    return 0;
}

static void host_credentials_failed(gw_account *acct, const char *reason)
{
    send_json(of(acct), ISOLATE_T_CREDENTIALS_FAILED, 0,
              json_pack("{s:s}", "reason", reason ? reason : ""));
}

static int host_metric_set(gw_account *acct, const char *name, const char *help, double value)
{
    if (name == NULL)
        return GW_EINVAL;
    json_t *j = json_pack("{s:s,s:f}", "name", name, "value", value);
    if (help != NULL)
        json_object_set_new(j, "help", json_string(help));
    send_json(of(acct), ISOLATE_T_METRIC_SET, 0, j);
    return 0;
}

/* Valid from create() only (as documented); sent with READY. */
static int host_narrow_capabilities(gw_account *acct, uint32_t keep, const char *reason)
{
    child *c = of(acct);
    if (keep & ~(uint32_t)(GW_CAP_FETCH | GW_CAP_POST_PUBLIC | GW_CAP_SEND_PRIVATE | GW_CAP_WEBHOOK))
        return GW_EINVAL;
    c->keep = keep;
    free(c->keep_reason);
    c->keep_reason = reason ? strdup(reason) : NULL;
    return 0;
}


void child_host_init(child *c)
{
    c->host = (gw_host){
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
}
