/* check_host.c - the checker's side of its test host: the host's life
 * (new, destroying, free: what the instance left is released as the
 * gateway would), a hook run until it completes or its deadline passes,
 * the time each call into the plugin holds the loop, and what was
 * recorded; see check_host.h. The gw_host table the plugin calls is
 * check_host_services.c; the structs both use are in
 * check_host_internal.h.
 */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#include "check/check_host.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "check/check_host_internal.h"

#define CONTRACT_DEADLINE "hooks report their outcome later, exactly once, with host->complete()"
#define CONTRACT_BLOCK "never block the loop; use the host's HTTP client and timers"

gw_account *check_host_account(check_host *h)
{
    return (gw_account *)(void *)h;
}

static gw_op *op_handle(check_op *op)
{
    return (gw_op *)(void *)op;
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

/* Here, not beside host_http_request: check_host_free releases the
 * requests left, and check_host_services.c uses this file, never the
 * other way. */
void check_call_unlink(check_call *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        c->h->calls = c->next;
    if (c->next)
        c->next->prev = c->prev;
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
        check_call_unlink(c);
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
