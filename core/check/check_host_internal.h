/* check_host_internal.h - the test host's state, shared by its two files:
 * check_host.c (the checker's side: the host's life, running a hook to
 * its completion, timing each call into the plugin) and
 * check_host_services.c (the gw_host table the plugin calls). The
 * handles the plugin is given (gw_account, gw_op, gw_timer) are these
 * structs behind the ABI's opaque names. check_host_services.c uses
 * check_host.c, never the other way. No other file includes this one.
 */
#ifndef GW_CHECK_HOST_INTERNAL_H
#define GW_CHECK_HOST_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "gateway/plugin.h"
#include "check/check_host_types.h"
#include "check/check_report.h"
#include "http/http_client.h"

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

/* Take c out of its host's list of requests in flight (c itself is not
 * freed). */
void check_call_unlink(check_call *c);

#endif /* GW_CHECK_HOST_INTERNAL_H */
