/* server.c - the embedded HTTP/1.1 server's start, accept and close, and
 * the rest of http_server.h not about one exchange; see http_server.h for
 * the contract and docs/design.md ("HTTP server") for why it is built this
 * way.
 *
 * The server is the gateway's own, on the loop: libuv accepts and moves
 * the bytes, server_parse.c frames requests, and the files listed in
 * server_state.h, bottom up, do the rest; this one sits on top. It owns:
 *   - the listen socket (bound by server_listen.c so a bind error names
 *     the address), adopted by a uv_tcp_t;
 *   - every connection's handle, through server_io.c, and the two hooks
 *     by which lower files hand a connection back up;
 *   - the order of shutdown: refuse, answer the waiting exchanges 503,
 *     end the streams, let answers drain, then close every handle and free.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "base/listen_addr.h"
#include "gateway/error.h"
#include "http/http_server.h"
#include "http/server_deadlines.h"
#include "http/server_exchange.h"
#include "http/server_io.h"
#include "http/server_listen.h"
#include "http/server_request.h"
#include "http/server_routes.h"
#include "http/server_state.h"
#include "http/server_stream.h"

#define DEFAULT_MAX_BODY_BYTES ((size_t)1 << 20)
#define DEFAULT_MAX_HEADER_BYTES ((size_t)16 << 10)
#define DEFAULT_MAX_CONNECTIONS 256u
#define DEFAULT_IDLE_TIMEOUT_S 30u
#define DEFAULT_RECEIVE_TIMEOUT_MS 15000u
#define DEFAULT_REQUEST_TIMEOUT_MS 10000u

/* Below this not even a typical request line and its headers fit. */
#define MIN_HEADER_BYTES 1024u
/* Far above what one process can hold open anyway. */
#define MAX_CONNECTIONS_CAP 100000u
/* After close, in-flight answers get this long to leave the socket. */
#define DRAIN_GRACE_MS 2000u

/* ------------------------------------------------------------------------
 * Close.
 */

/* Every handle and connection is closed: free the server. */
static void server_free_if_closed(http_server *s)
{
    if (s->handles_open > 0)
        return;
    void (*done)(void *) = s->done;
    void *arg = s->done_arg;
    /* Handlers may still hold exchanges; they must not point at s. */
    server_exchange_detach_all(s);
    server_routes_free(&s->routes);
    free(s);
    if (done)
        done(arg);
}

static void on_handle_closed(uv_handle_t *h)
{
    http_server *s = h->data;
    s->handles_open--;
    server_free_if_closed(s);
}

/* Close every connection and handle; the last close frees the server. */
static void server_finalize(http_server *s)
{
    if (s->finalizing)
        return;
    s->finalizing = true;
    uv_close((uv_handle_t *)&s->sweep_timer, on_handle_closed);
    uv_close((uv_handle_t *)&s->drain_timer, on_handle_closed);
    uv_close((uv_handle_t *)&s->flush_idle, on_handle_closed);
    while (!dlink_empty(&s->conns))
        server_io_close(CONTAINER_OF(s->conns.next, http_conn, all));
    log_info(s->log, SERVER_COMPONENT, "HTTP server on port %d stopped", s->port);
}

/* Waiting for a request of which no byte has come: owes nothing. */
static bool conn_idle(const http_conn *c)
{
    return c->state == CONN_HEAD && !c->got_bytes;
}

/* Nothing left that a client waits for: no request being read or
 * handled, no answer or stream under way. Idle and lingering connections
 * do not count. */
static bool server_drained(const http_server *s)
{
    for (const dlink *l = s->conns.next; l != &s->conns; l = l->next) {
        const http_conn *c = CONTAINER_OF(l, http_conn, all);
        if (c->state != CONN_LINGER && !conn_idle(c))
            return false;
    }
    return true;
}

static void check_drained(http_server *s)
{
    if (s->closing && !s->finalizing && server_drained(s))
        server_finalize(s);
}

static void on_drain_timeout(uv_timer_t *t)
{
    http_server *s = t->data;
    log_warn(s->log, SERVER_COMPONENT, "closing with requests still in flight after %u ms",
             DRAIN_GRACE_MS);
    server_finalize(s);
}

void http_server_close(http_server *s, void (*done)(void *arg), void *arg)
{
    if (s == NULL || s->closing)
        return;
    s->closing = true;
    s->done = done;
    s->done_arg = arg;
    /* New connections are refused by the kernel from here on. */
    uv_close((uv_handle_t *)&s->listener, on_handle_closed);
    while (!dlink_empty(&s->waiting)) {
        http_exchange *ex = CONTAINER_OF(s->waiting.next, http_exchange, waiting);
        server_exchange_answer_for_handler(ex, 503, "shutting_down",
                                           "the server is shutting down");
    }
    server_stream_end_all(s);
    /* Connections owing nothing are closed now; the rest as they finish. */
    for (dlink *l = s->conns.next, *next; l != &s->conns; l = next) {
        next = l->next;
        http_conn *c = CONTAINER_OF(l, http_conn, all);
        if (conn_idle(c))
            server_io_close(c);
    }
    uv_timer_start(&s->drain_timer, on_drain_timeout, DRAIN_GRACE_MS, 0);
    check_drained(s);
}

/* ------------------------------------------------------------------------
 * The hooks and accept.
 */
static void on_conn_next(http_conn *c)
{
    server_request_next(c);
    check_drained(c->server);
}

/* Runs from the connection's close callback; c is freed after it
 * returns, and s too when c was the last handle of a closed server. */
static void on_conn_closed(http_conn *c)
{
    http_server *s = c->server;
    if (c->ex)
        server_exchange_conn_gone(c->ex);
    c->ex = NULL;
    if (c->stream)
        server_stream_conn_gone(c->stream);
    if (c->counted)
        s->conn_count--;
    s->handles_open--;
    if (s->finalizing)
        server_free_if_closed(s);
    else
        check_drained(s);
}

static void on_connection(uv_stream_t *listener, int status)
{
    http_server *s = listener->data;
    if (status != 0 || s->closing)
        return;
    http_conn *c = server_io_accept(s);
    if (c == NULL)
        return;
    if (s->conn_count >= s->limits.max_connections) {
        /* Closed at once: left in the kernel's backlog instead, a client
         * would hang until its own timeout. */
        s->stats.connections_refused++;
        log_debug(s->log, SERVER_COMPONENT, "refused a connection: %u open, limit %u",
                  s->conn_count, s->limits.max_connections);
        server_io_close(c);
        return;
    }
    c->counted = true;
    s->conn_count++;
    s->stats.connections_accepted++;
    struct sockaddr_storage peer;
    int len = sizeof peer;
    /* libuv's accept does not keep the address; a client that reset the
     * connection before this callback has none left to ask for (its
     * request, already queued, is still served). */
    snprintf(c->remote, sizeof c->remote, "unknown");
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&peer, &len) == 0) {
        if (peer.ss_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)&peer)->sin_addr,
                      c->remote, sizeof c->remote);
        else if (peer.ss_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)&peer)->sin6_addr,
                      c->remote, sizeof c->remote);
    }
    uv_tcp_nodelay(&c->tcp, 1);
    server_request_start(c);
}

/* ------------------------------------------------------------------------
 * Start.
 */
static void limits_fill(const http_server_limits *in, http_server_limits *out)
{
    if (in)
        *out = *in;
    else
        memset(out, 0, sizeof *out);
    if (out->max_body_bytes == 0)
        out->max_body_bytes = DEFAULT_MAX_BODY_BYTES;
    if (out->max_header_bytes == 0)
        out->max_header_bytes = DEFAULT_MAX_HEADER_BYTES;
    if (out->max_connections == 0)
        out->max_connections = DEFAULT_MAX_CONNECTIONS;
    if (out->idle_timeout_s == 0)
        out->idle_timeout_s = DEFAULT_IDLE_TIMEOUT_S;
    if (out->receive_timeout_ms == 0)
        out->receive_timeout_ms = DEFAULT_RECEIVE_TIMEOUT_MS;
    if (out->request_timeout_ms == 0)
        out->request_timeout_ms = DEFAULT_REQUEST_TIMEOUT_MS;
}

int http_server_start(uv_loop_t *loop, const logger *log, const char *listen,
                      const http_server_limits *limits, http_server **out, char *err, size_t errlen)
{
    char scratch[8];
    if (err == NULL || errlen == 0) {
        err = scratch;
        errlen = sizeof scratch;
    }
    err[0] = '\0';
    if (loop == NULL || out == NULL) {
        snprintf(err, errlen, "http_server_start: loop and out are required");
        return GW_EINVAL;
    }
    *out = NULL;
    if (listen == NULL)
        listen = HTTP_SERVER_DEFAULT_LISTEN;

    http_server_limits lim;
    limits_fill(limits, &lim);
    if (lim.max_header_bytes < MIN_HEADER_BYTES || lim.max_header_bytes > SIZE_MAX / 2 ||
        lim.max_body_bytes > SIZE_MAX / 4 || lim.max_connections > MAX_CONNECTIONS_CAP ||
        lim.receive_timeout_ms > UINT64_MAX / 4 || lim.request_timeout_ms > UINT64_MAX / 4) {
        snprintf(err, errlen,
                 "HTTP server limits out of range: max_header_bytes must be at least %u and "
                 "max_connections at most %u",
                 MIN_HEADER_BYTES, MAX_CONNECTIONS_CAP);
        return GW_EINVAL;
    }

    struct sockaddr_storage ss;
    socklen_t sslen = 0;
    char why[256];
    if (listen_addr_parse(listen, &ss, &sslen, why, sizeof why) != GW_OK) {
        snprintf(err, errlen, "HTTP listen address \"%.100s\" is invalid: %s", listen, why);
        return GW_EINVAL;
    }

    http_server *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(err, errlen, "HTTP server: out of memory");
        return GW_ENOMEM;
    }
    s->loop = loop;
    s->log = log;
    s->limits = lim;
    dlink_init(&s->conns);
    dlink_init(&s->reading);
    dlink_init(&s->lingering);
    dlink_init(&s->active);
    dlink_init(&s->exchanges);
    dlink_init(&s->waiting);
    dlink_init(&s->streams);
    dlink_init(&s->flushing);
    s->conn_next = on_conn_next;
    s->conn_closed = on_conn_closed;
    s->sweep_cb = server_deadlines_sweep;

    int fd = server_listen_open(&ss, sslen, &s->port);
    if (fd < 0) {
        snprintf(err, errlen, "cannot listen on %.100s: %s", listen, strerror(-fd));
        free(s);
        return GW_EIO;
    }
    int rc = uv_tcp_init(loop, &s->listener);
    if (rc == 0) {
        rc = uv_tcp_open(&s->listener, fd);
        if (rc != 0)
            close(fd);
    } else {
        close(fd);
        free(s);
        snprintf(err, errlen, "cannot start the HTTP server on %.100s: %s", listen,
                 uv_strerror(rc));
        return GW_EIO;
    }
    s->listener.data = s;
    uv_timer_init(loop, &s->sweep_timer);
    uv_timer_init(loop, &s->drain_timer);
    uv_idle_init(loop, &s->flush_idle);
    s->sweep_timer.data = s->drain_timer.data = s->flush_idle.data = s;
    s->handles_open = 4; /* the listener, two timers and the flush idle */
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&s->listener, SOMAXCONN, on_connection);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the HTTP server on %.100s: %s", listen,
                 uv_strerror(rc));
        s->closing = true;
        uv_close((uv_handle_t *)&s->listener, on_handle_closed);
        server_finalize(s); /* s is freed once the loop has closed its handles */
        return GW_EIO;
    }
    log_info(log, SERVER_COMPONENT, "HTTP server listening on %s (port %d)", listen, s->port);
    *out = s;
    return GW_OK;
}

/* ------------------------------------------------------------------------
 * The rest of the server's API.
 */
int http_server_port(const http_server *s)
{
    return s ? s->port : -1;
}

const http_server_stats *http_server_stats_get(const http_server *s)
{
    return &s->stats;
}

int http_server_route(http_server *s, const char *methods, const char *path, int prefix,
                      http_handler h, void *arg)
{
    if (s == NULL)
        return GW_EINVAL;
    return server_routes_add(&s->routes, methods, path, prefix, h, arg);
}
