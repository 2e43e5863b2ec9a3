/* check_host.c - the checker's gw_host table and its records; see
 * check_host.h. Handles given to the plugin (gw_account, gw_op, gw_timer)
 * are this file's own structs behind the ABI's opaque names.
 */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#include "check/check_host.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "base/clock.h"
#include "check/check_schema.h"
#include "engine/pipeline.h"

#define CONTRACT_ONCE "complete() exactly once per op"
#define CONTRACT_DEADLINE "hooks report their outcome later, exactly once, with host->complete()"
#define CONTRACT_BLOCK "never block the loop; use the host's HTTP client and timers"
#define CONTRACT_EVENT "emit() takes a JSON object in the shape of gateway.event/1"
#define CONTRACT_SCHEMA "events in the shape of gateway.event/1 (docs/event.schema.json)"
#define CONTRACT_SECRET "options flagged GW_OPTF_SECRET are never logged or echoed back"
#define CONTRACT_KV "a per-account key/value store for cursors, within the checker's limits"
#define CONTRACT_TIMER "a timer handle is valid until its callback has run or timer_cancel()"

typedef struct check_op check_op;
typedef struct check_timer check_timer;
typedef struct check_call check_call;

struct check_op {
    uv_timer_t deadline; /* first member: the handle's data points back */
    check_host *h;
    char hook[32];
    int completions;
    check_outcome out;
    check_op *next;
};

struct check_timer {
    uv_timer_t handle;
    check_host *h;
    gw_timer_cb cb;
    void *arg;
    int fired, cancelled, in_cb;
    check_timer *next;
};

/* One request in flight, so the callback is timed and, when the request is
 * cancelled at release (no callback), the record is still freed. */
struct check_call {
    check_host *h;
    gw_http_cb cb;
    void *arg;
    check_call *prev, *next;
};

struct check_host {
    uv_loop_t *loop;
    http_client *client;
    const gw_plugin *desc;
    const json_t *options;
    check_report *rep;
    check_limits limits;
    uint64_t call_start_ns, call_start_cpu_ns; /* the call into the plugin under way */
    long call_start_nvcsw;
    int destroying;
    check_op *ops;       /* every op, until the host is freed */
    check_timer *timers; /* every timer, until the host is freed */
    check_call *calls;   /* requests in flight */
    size_t open_handles; /* closing uv handles not yet closed */
    json_t *events;      /* native_id -> event */
    size_t emitted;
    json_t *kv; /* key -> value string */
    uint32_t caps_keep;
    char caps_reason[200];
    size_t metric_count;
    char metrics[16][49];
};

static check_host *host_of(gw_account *acct)
{
    return (check_host *)(void *)acct;
}

gw_account *check_host_account(check_host *h)
{
    return (gw_account *)(void *)h;
}

static gw_op *op_handle(check_op *op)
{
    return (gw_op *)(void *)op;
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

/* ---- timing ------------------------------------------------------------ */

/* A call held the loop when it ran on the CPU past the limit (work that
 * belongs elsewhere), or when it took that long and slept in the kernel on
 * the way (a blocking read, connect or sleep: a voluntary context switch).
 * Wall time alone would also count the scheduler taking the CPU away, which
 * says nothing about the plugin on a busy machine. */
static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static long voluntary_switches(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_THREAD, &ru) == 0 ? ru.ru_nvcsw : 0;
}

void check_host_call_begin(check_host *h)
{
    h->call_start_ns = uv_hrtime();
    h->call_start_cpu_ns = thread_cpu_ns();
    h->call_start_nvcsw = voluntary_switches();
}

void check_host_call_end(check_host *h, const char *what)
{
    uint64_t limit_ns = h->limits.max_block_ms * 1000000u;
    uint64_t wall_ns = uv_hrtime() - h->call_start_ns;
    uint64_t cpu_ns = thread_cpu_ns() - h->call_start_cpu_ns;
    int slept = voluntary_switches() > h->call_start_nvcsw;
    if (cpu_ns > limit_ns || (slept && wall_ns > limit_ns))
        check_report_breach_once(h->rep, "block-loop", what, CONTRACT_BLOCK,
                                 "%s held the loop for %llu ms (%s, %llu ms on the CPU; the limit "
                                 "is %llu ms)",
                                 what, (unsigned long long)(wall_ns / 1000000u),
                                 cpu_ns > limit_ns ? "working" : "blocked in the kernel",
                                 (unsigned long long)(cpu_ns / 1000000u),
                                 (unsigned long long)h->limits.max_block_ms);
}

/* ---- handles ------------------------------------------------------------ */

static void handle_closed(uv_handle_t *handle)
{
    check_host *h = handle->data;
    h->open_handles--;
}

static void close_handle(check_host *h, uv_handle_t *handle)
{
    handle->data = h;
    h->open_handles++;
    uv_close(handle, handle_closed);
}

/* ---- ops ----------------------------------------------------------------- */

static void op_deadline_cb(uv_timer_t *t)
{
    check_op *op = t->data;
    op->out.timed_out = 1;
    check_report_breach(op->h->rep, "complete-deadline", CONTRACT_DEADLINE,
                        "hook %s did not complete within %llu ms", op->hook,
                        (unsigned long long)op->h->limits.deadline_ms);
}

/* The op lives as long as the host, so a second or late complete() is
 * recorded, never a use after free. */
static check_op *op_new(check_host *h, const char *hook)
{
    check_op *op = calloc(1, sizeof *op);
    if (op == NULL)
        return NULL;
    op->h = h;
    snprintf(op->hook, sizeof op->hook, "%s", hook);
    uv_timer_init(h->loop, &op->deadline);
    op->deadline.data = op;
    uv_timer_start(&op->deadline, op_deadline_cb, h->limits.deadline_ms, 0);
    op->next = h->ops;
    h->ops = op;
    return op;
}

/* Run the loop until op completes or its deadline passes. */
static const check_outcome *op_wait(check_host *h, check_op *op)
{
    while (!op->out.completed && !op->out.timed_out)
        uv_run(h->loop, UV_RUN_ONCE);
    return &op->out;
}

const check_outcome *check_host_run(check_host *h, gw_instance *inst, const char *name,
                                    check_hook_call fn, const void *arg)
{
    check_op *op = op_new(h, name);
    if (op == NULL)
        return NULL;
    char what[48];
    snprintf(what, sizeof what, "hook %s", name);
    check_host_call_begin(h);
    fn(h->desc, inst, op_handle(op), arg);
    check_host_call_end(h, what);
    return op_wait(h, op);
}

const char *check_outcome_name(gw_outcome o)
{
    switch (o) {
    case GW_OUTCOME_OK:
        return "OK";
    case GW_OUTCOME_RETRY:
        return "RETRY";
    case GW_OUTCOME_FATAL:
        return "FATAL";
    case GW_OUTCOME_UNSUPPORTED:
        return "UNSUPPORTED";
    }
    return "an unknown outcome";
}

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

static void call_unlink(check_call *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        c->h->calls = c->next;
    if (c->next)
        c->next->prev = c->prev;
}

static void http_done(void *arg, const gw_http_response *response)
{
    check_call *c = arg;
    check_host *h = c->h;
    call_unlink(c);
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

/* ---- life cycle -------------------------------------------------------------- */

int check_host_new(uv_loop_t *loop, http_client *client, const gw_plugin *desc,
                   const json_t *options, check_report *rep, const check_limits *limits,
                   check_host **out)
{
    check_host *h = calloc(1, sizeof *h);
    if (h == NULL)
        return GW_ENOMEM;
    h->events = json_object();
    h->kv = json_object();
    if (h->events == NULL || h->kv == NULL) {
        json_decref(h->events);
        json_decref(h->kv);
        free(h);
        return GW_ENOMEM;
    }
    h->loop = loop;
    h->client = client;
    h->desc = desc;
    h->options = options;
    h->rep = rep;
    h->limits = *limits;
    h->caps_keep = desc->capabilities;
    *out = h;
    return GW_OK;
}

void check_host_destroying(check_host *h)
{
    h->destroying = 1;
}

void check_host_free(check_host *h)
{
    if (h == NULL)
        return;
    /* What the gateway does after destroy(): leftover requests and timers
     * go without their callbacks. */
    http_client_cancel_owner(h->client, h);
    while (h->calls) {
        check_call *c = h->calls;
        call_unlink(c);
        free(c);
    }
    for (check_timer *t = h->timers; t; t = t->next)
        close_handle(h, (uv_handle_t *)&t->handle);
    for (check_op *op = h->ops; op; op = op->next)
        close_handle(h, (uv_handle_t *)&op->deadline);
    while (h->open_handles > 0)
        uv_run(h->loop, UV_RUN_ONCE);
    while (h->timers) {
        check_timer *t = h->timers;
        h->timers = t->next;
        free(t);
    }
    while (h->ops) {
        check_op *op = h->ops;
        h->ops = op->next;
        json_decref(op->out.result);
        free(op);
    }
    json_decref(h->events);
    json_decref(h->kv);
    free(h);
}

const json_t *check_host_events(const check_host *h)
{
    return h->events;
}

size_t check_host_emit_count(const check_host *h)
{
    return h->emitted;
}

uint32_t check_host_capabilities(const check_host *h, const char **reason)
{
    if (reason != NULL)
        *reason = h->caps_keep != h->desc->capabilities ? h->caps_reason : "";
    return h->caps_keep;
}
