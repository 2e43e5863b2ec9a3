/* server_state.h - the state of one HTTP server, shared by the files that
 * implement http_server.h (server*.c). No functions: each field's comment
 * names the file that writes it; the others only read it.
 *
 * The server's files, bottom up (each calls only those above it):
 *   server_routes.c    route table, method bits, target validation
 *   server_response.c  MHD responses, JSON error bodies
 *   server_listen.c    listen address parsing, the listen socket
 *   mhd_loop.c         MHD run from the loop (epoll fd poll, timer)
 *   server_conns.c     connection limit, per-connection receive deadline
 *   server_exchange.c  the exchange handlers see, and its lifecycle
 *   server_request.c   MHD's request callbacks: checks, routing, body
 *                      limits, dispatch to the handler
 *   server_stream.c    streamed answers (http_stream): chunked, bounded
 *   server_deadlines.c the sweep timer: receive and handler deadlines
 *   server.c           start, close and the rest of http_server.h
 */
#ifndef GW_HTTP_SERVER_STATE_H
#define GW_HTTP_SERVER_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>
#include <uv.h>

#include "http/dlink.h"
#include "http/http_server.h"
#include "http/mhd_loop.h"
#include "http/server_routes.h"

/* Log component of every server line. */
#define SERVER_COMPONENT "http"
/* First allocation for a body of unknown length (chunked). */
#define SERVER_BODY_INITIAL_CAP 4096u

struct http_server {
    uv_loop_t *loop;           /* borrowed */
    const logger *log;         /* borrowed */
    http_server_limits limits; /* server.c, at start */
    struct MHD_Daemon *mhd;    /* server.c; owned; NULL once stopped */
    int port;

    mhd_loop mhd_loop;      /* server.c: MHD's epoll fd and timeouts */
    uv_timer_t sweep_timer; /* server_deadlines.c: receive and handler deadlines */
    uv_timer_t drain_timer; /* server.c: close's grace period */
    int handles_open;       /* server.c: the two timers and mhd_loop */

    server_routes routes; /* server.c (http_server_route) */

    dlink reading;           /* server_conns.c: http_conn owing a request, oldest first */
    dlink exchanges;         /* server_request.c, server_exchange.c: every http_exchange
                                attached to the server */
    dlink waiting;           /* server_request.c, server_exchange.c: suspended ones
                                awaiting a handler, oldest first */
    dlink streams;           /* server_stream.c: every http_stream still answering */
    dlink streams_drained;   /* server_stream.c: streams owed an on_drain call */
    unsigned conn_count;     /* server_conns.c */
    http_server_stats stats; /* each counter by the file that sees the event */

    bool closing;    /* server.c: http_server_close was called */
    bool finalizing; /* server.c: handles are closing; MHD is stopped */
    void (*done)(void *);
    void *done_arg;

    char *start_err; /* server.c, during start only: MHD's messages land here */
    size_t start_errlen;
};

#endif /* GW_HTTP_SERVER_STATE_H */
