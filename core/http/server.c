/* server.c - the embedded HTTP/1.1 server's start and close, and the rest
 * of http_server.h not about one exchange; see http_server.h for the
 * contract and docs/design.md ("HTTP server") for why it is built this way.
 *
 * libmicrohttpd (MHD) parses and frames; it runs in "external epoll" mode
 * driven from the loop (mhd_loop.c). The server is spread over the files
 * listed in server_state.h, bottom up; this one sits on top. It owns:
 *   - the listen socket (bound by server_listen.c so a bind error names
 *     the address), adopted by MHD;
 *   - the MHD daemon, wired to the callbacks of server_conns.c (one
 *     http_conn per TCP connection) and server_request.c (one
 *     http_exchange per request);
 *   - the handles, and the order of shutdown: refuse, answer the waiting
 *     exchanges 503, let answers drain, then stop MHD and free.
 * Memory reaches MHD only as copies (MHD_RESPMEM_MUST_COPY), so nothing
 * MHD holds points into our structures.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "gateway/error.h"
#include "http/http_server.h"
#include "http/mhd_loop.h"
#include "http/server_conns.h"
#include "http/server_deadlines.h"
#include "http/server_exchange.h"
#include "base/listen_addr.h"
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

/* Below this MHD cannot even hold a typical request line and the answer. */
#define MIN_HEADER_BYTES 1024u
/* Far above what one process can hold open anyway; keeps max + 1 safe. */
#define MAX_CONNECTIONS_CAP 100000u
/* MHD keeps the raw request header, one ~56-byte entry per header line
 * and the response header in one per-connection memory pool of fixed
 * size; a request filling it gets MHD's own 431 (or, within ~200 bytes
 * of full, no answer at all: no room left for one). So the pool is
 * max_header_bytes plus room for entries and the answer, and the limit
 * itself is checked here, with a JSON 431. */
#define POOL_SIZE(max_header) ((max_header) + (max_header) / 2 + 2048u)
/* After close, in-flight answers get this long to leave the socket. */
#define DRAIN_GRACE_MS 2000u

static void server_finalize(http_server *s);

/* mhd_loop's after_run hook: finish a close once drained, else arm MHD's
 * timer and the deadlines for what the run changed. */
static void server_after_run(void *arg)
{
    http_server *s = arg;
    if (s->finalizing)
        return;
    if (s->closing && server_exchange_all_drained(s)) {
        server_finalize(s);
        return;
    }
    server_stream_run_drained(s);
    mhd_loop_schedule(&s->mhd_loop);
    server_deadlines_arm(s);
}

GW_PRINTF(2, 0)
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    http_server *s = cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    if (s->start_err) {
        snprintf(s->start_err, s->start_errlen, "%s", msg);
        return;
    }
    /* Mostly client mistakes ("Error processing request ... 431"). */
    log_debug(s->log, SERVER_COMPONENT, "libmicrohttpd: %s", msg);
}

/* ------------------------------------------------------------------------
 * Close.
 */

/* One of the server's three handle groups (two timers, mhd_loop) closed;
 * the last one frees the server. */
static void server_part_closed(http_server *s)
{
    if (--s->handles_open > 0)
        return;
    void (*done)(void *) = s->done;
    void *arg = s->done_arg;
    server_routes_free(&s->routes);
    free(s);
    if (done)
        done(arg);
}

static void on_handle_closed(uv_handle_t *h)
{
    server_part_closed(h->data);
}

static void on_mhd_loop_closed(void *arg)
{
    server_part_closed(arg);
}

/* Stop MHD and close the handles; never called from inside MHD_run. */
static void server_finalize(http_server *s)
{
    if (s->finalizing)
        return;
    s->finalizing = true;
    /* Stop polling the epoll fd before MHD closes it. */
    mhd_loop_close(&s->mhd_loop, on_mhd_loop_closed);
    uv_close((uv_handle_t *)&s->sweep_timer, on_handle_closed);
    uv_close((uv_handle_t *)&s->drain_timer, on_handle_closed);
    server_stream_resume_all(s);
    /* Every request still open is completed (freeing what no handler
     * holds) and every connection closed, through our callbacks. */
    MHD_stop_daemon(s->mhd);
    s->mhd = NULL;
    server_stream_detach_all(s);
    server_exchange_detach_all(s);
    log_info(s->log, SERVER_COMPONENT, "HTTP server on port %d stopped", s->port);
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
    MHD_socket lfd = MHD_quiesce_daemon(s->mhd);
    if (lfd != MHD_INVALID_SOCKET)
        close(lfd);
    while (!dlink_empty(&s->waiting)) {
        http_exchange *ex = CONTAINER_OF(s->waiting.next, http_exchange, waiting);
        server_exchange_answer_for_handler(ex, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting_down",
                                           "the server is shutting down");
    }
    server_stream_end_all(s);
    uv_timer_start(&s->drain_timer, on_drain_timeout, DRAIN_GRACE_MS, 0);
    mhd_loop_kick(&s->mhd_loop);
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
    dlink_init(&s->reading);
    dlink_init(&s->exchanges);
    dlink_init(&s->waiting);
    dlink_init(&s->streams);
    dlink_init(&s->streams_drained);

    int fd = server_listen_open(&ss, sslen, &s->port);
    if (fd < 0) {
        snprintf(err, errlen, "cannot listen on %.100s: %s", listen, strerror(-fd));
        free(s);
        return GW_EIO;
    }

    char mhd_err[256] = "";
    s->start_err = mhd_err;
    s->start_errlen = sizeof mhd_err;
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->mhd = MHD_start_daemon(
        flags, 0, server_conn_on_accept, s, server_request_on_access, s, MHD_OPTION_LISTEN_SOCKET,
        (MHD_socket)fd, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)(lim.max_connections + 1),
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)lim.idle_timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)POOL_SIZE(lim.max_header_bytes),
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s, MHD_OPTION_URI_LOG_CALLBACK,
        server_request_on_uri, s, MHD_OPTION_NOTIFY_COMPLETED, server_request_on_completed, s,
        MHD_OPTION_NOTIFY_CONNECTION, server_conn_on_notify, s, MHD_OPTION_END);
    s->start_err = NULL;
    if (s->mhd == NULL) {
        snprintf(err, errlen, "cannot start the HTTP server on %.100s: %s", listen,
                 mhd_err[0] ? mhd_err : "libmicrohttpd refused its options");
        close(fd);
        free(s);
        return GW_EIO;
    }
    int rc = mhd_loop_init(&s->mhd_loop, loop, log, s->mhd, server_after_run, s);
    if (rc != 0) {
        snprintf(err, errlen, "cannot watch the HTTP server's epoll fd: %s", uv_strerror(rc));
        MHD_stop_daemon(s->mhd); /* closes the listen socket it adopted */
        free(s);
        return GW_EIO;
    }
    uv_timer_init(loop, &s->sweep_timer);
    uv_timer_init(loop, &s->drain_timer);
    s->sweep_timer.data = s->drain_timer.data = s;
    s->handles_open = 3; /* the two timers, and mhd_loop's handles as one */
    rc = mhd_loop_start(&s->mhd_loop);
    if (rc != 0) {
        snprintf(err, errlen, "cannot watch the HTTP server's epoll fd: %s", uv_strerror(rc));
        s->closing = true;
        server_finalize(s); /* s is freed once the loop has closed its handles */
        return GW_EIO;
    }
    server_after_run(s);
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
