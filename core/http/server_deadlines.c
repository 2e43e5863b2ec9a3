/* server_deadlines.c - the sweep timer; see server_deadlines.h. */
#include "http/server_deadlines.h"

#include <stdint.h>

#include "http/server_exchange.h"
#include "http/server_io.h"
#include "http/server_state.h"

#define CONN_OF(l, member) CONTAINER_OF(l, http_conn, member)

static uint64_t idle_ms(const http_server *s)
{
    return (uint64_t)s->limits.idle_timeout_s * 1000u;
}

/* Act on every entry due by `now`; returns when the next one is due
 * (UINT64_MAX: nothing waits). */
static uint64_t sweep(http_server *s, uint64_t now)
{
    while (!dlink_empty(&s->reading)) {
        http_conn *c = CONN_OF(s->reading.next, deadline);
        if (c->deadline_since_ms + s->limits.receive_timeout_ms > now)
            break;
        s->stats.receive_timeouts++;
        log_debug(s->log, SERVER_COMPONENT,
                  "cut a connection that did not deliver its request within %llu ms",
                  (unsigned long long)s->limits.receive_timeout_ms);
        server_io_close(c);
    }
    while (!dlink_empty(&s->lingering)) {
        http_conn *c = CONN_OF(s->lingering.next, deadline);
        if (c->deadline_since_ms + SERVER_LINGER_MS > now)
            break;
        server_io_close(c);
    }
    while (!dlink_empty(&s->active)) {
        http_conn *c = CONN_OF(s->active.next, active);
        if (c->active_since_ms + idle_ms(s) > now)
            break;
        /* A write still in flight that got smaller has moved bytes. */
        if (c->writes > 0 && c->tcp.write_queue_size < c->queue_mark) {
            server_io_touch(c);
            continue;
        }
        s->stats.idle_timeouts++;
        log_debug(s->log, SERVER_COMPONENT, "closing a connection idle for %u s",
                  s->limits.idle_timeout_s);
        server_io_close(c);
    }
    while (!dlink_empty(&s->waiting)) {
        http_exchange *ex = CONTAINER_OF(s->waiting.next, http_exchange, waiting);
        if (ex->waiting_since_ms + s->limits.request_timeout_ms > now)
            break;
        s->stats.handler_timeouts++;
        log_warn(s->log, SERVER_COMPONENT,
                 "%s %.200s: no answer from its handler within %llu ms; answered 503",
                 ex->method, ex->path, (unsigned long long)s->limits.request_timeout_ms);
        server_exchange_answer_for_handler(ex, 503, "handler_timeout",
                                           "the request was not answered in time; retry later");
    }

    uint64_t next = UINT64_MAX;
    if (!dlink_empty(&s->reading))
        next = CONN_OF(s->reading.next, deadline)->deadline_since_ms +
               s->limits.receive_timeout_ms;
    if (!dlink_empty(&s->lingering)) {
        uint64_t t = CONN_OF(s->lingering.next, deadline)->deadline_since_ms + SERVER_LINGER_MS;
        next = t < next ? t : next;
    }
    if (!dlink_empty(&s->active)) {
        uint64_t t = CONN_OF(s->active.next, active)->active_since_ms + idle_ms(s);
        next = t < next ? t : next;
    }
    if (!dlink_empty(&s->waiting)) {
        uint64_t t = CONTAINER_OF(s->waiting.next, http_exchange, waiting)->waiting_since_ms +
                     s->limits.request_timeout_ms;
        next = t < next ? t : next;
    }
    return next;
}

void server_deadlines_sweep(uv_timer_t *t)
{
    http_server *s = t->data;
    if (s->finalizing)
        return;
    uint64_t next = sweep(s, uv_now(s->loop));
    if (next != UINT64_MAX)
        server_io_arm(s, next);
}
