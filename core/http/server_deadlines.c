/* server_deadlines.c - the receive and handler deadlines; see
 * server_deadlines.h.
 */
#include "http/server_deadlines.h"

#include <stdint.h>

#include "http/server_conns.h"
#include "http/server_exchange.h"

static void on_sweep(uv_timer_t *t)
{
    http_server *s = t->data;
    uint64_t now = uv_now(s->loop);
    while (!dlink_empty(&s->reading)) {
        http_conn *hc = CONTAINER_OF(s->reading.next, http_conn, reading);
        if (hc->reading_since_ms + s->limits.receive_timeout_ms > now)
            break;
        server_conn_cut(s, hc);
    }
    while (!dlink_empty(&s->waiting)) {
        http_exchange *ex = CONTAINER_OF(s->waiting.next, http_exchange, waiting);
        if (ex->waiting_since_ms + s->limits.request_timeout_ms > now)
            break;
        s->stats.handler_timeouts++;
        log_warn(s->log, SERVER_COMPONENT,
                 "%s %.200s: no answer from its handler within %llu ms; "
                 "answered 503",
                 ex->method, ex->path, (unsigned long long)s->limits.request_timeout_ms);
        server_exchange_answer_for_handler(ex, MHD_HTTP_SERVICE_UNAVAILABLE, "handler_timeout",
                                           "the request was not answered in time; retry later");
    }
    server_deadlines_arm(s);
}

void server_deadlines_arm(http_server *s)
{
    if (s->finalizing)
        return;
    uint64_t next = UINT64_MAX;
    if (!dlink_empty(&s->reading))
        next = CONTAINER_OF(s->reading.next, http_conn, reading)->reading_since_ms +
               s->limits.receive_timeout_ms;
    if (!dlink_empty(&s->waiting)) {
        uint64_t w = CONTAINER_OF(s->waiting.next, http_exchange, waiting)->waiting_since_ms +
                     s->limits.request_timeout_ms;
        if (w < next)
            next = w;
    }
    if (next == UINT64_MAX) {
        uv_timer_stop(&s->sweep_timer);
        return;
    }
    uint64_t now = uv_now(s->loop);
    uv_timer_start(&s->sweep_timer, on_sweep, next > now ? next - now : 0, 0);
}
