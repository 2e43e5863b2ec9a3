/* server_state.h - the state of one HTTP server and of its connections,
 * shared by the files that implement http_server.h (server*.c). No
 * functions: each field's comment names the file that writes it; the
 * others only read it.
 *
 * The server's files, bottom up (each calls only those above it; the two
 * hooks below are how a lower file hands control back up):
 *   server_routes.c    route table, method bits, target validation
 *   server_parse.c     request heads and chunked bodies (pure)
 *   server_response.c  an answer's status line and headers (pure)
 *   server_listen.c    the listen socket
 *   server_io.c        a connection's socket: input buffer, writes, close,
 *                      the deadline lists
 *   server_exchange.c  the exchange handlers see, its answer, its lifecycle
 *   server_stream.c    streamed answers (http_stream): chunked, bounded
 *   server_request.c   reading requests: head, checks, routing, body,
 *                      dispatch; what a connection does after an answer
 *   server_deadlines.c the sweep timer: receive, idle, linger, handler
 *   server.c           start, accept, close and the rest of http_server.h
 */
#ifndef GW_HTTP_SERVER_STATE_H
#define GW_HTTP_SERVER_STATE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "base/dlink.h"
#include "http/http_server.h"
#include "http/server_parse.h"
#include "http/server_routes.h"

/* Log component of every server line. */
#define SERVER_COMPONENT "http"
/* First allocation for a body of unknown length (chunked). */
#define SERVER_BODY_INITIAL_CAP 4096u
/* A connection answered with "Connection: close" is read (and what
 * arrives dropped) for up to this long after its write side is shut, so
 * the client reads the answer instead of a reset. */
#define SERVER_LINGER_MS 2000u

typedef struct http_conn http_conn;

typedef enum conn_state {
    CONN_HEAD,     /* owes a request head */
    CONN_BODY,     /* reading the body into the exchange */
    CONN_DISCARD,  /* reading a chunked body past the limit, to answer 413 */
    CONN_HANDLING, /* the handler holds the exchange; input waits */
    CONN_SENDING,  /* an answer is being written */
    CONN_STREAM,   /* a streamed answer; input read only to notice EOF */
    CONN_LINGER    /* answered, write side shut; input dropped until EOF */
} conn_state;

struct http_conn {
    uv_tcp_t tcp;          /* server_io.c; tcp.data = the conn */
    struct http_server *server;
    conn_state state;      /* server_request.c, server_exchange.c, server_stream.c */
    dlink all;             /* server_io.c: in server->conns */
    dlink deadline;        /* server_io.c: in server->reading or server->lingering */
    uint64_t deadline_since_ms;
    dlink active;          /* server_io.c: in server->active while bytes should move */
    uint64_t active_since_ms;
    size_t queue_mark;     /* server_io.c: write queue size at active_since_ms */
    unsigned writes;       /* server_io.c: writes in flight */

    void (*on_input)(http_conn *c, ssize_t nread); /* server_request.c, via
                                                      server_io_read_start */
    char *in;              /* server_io.c: input; bytes [in_off, in_off + in_len) unread */
    size_t in_off, in_len, in_cap;
    size_t head_scan;      /* server_request.c: parse_head_end's memory */

    struct http_exchange *ex; /* server_request.c: the request being read or answered */
    struct http_stream *stream; /* server_stream.c: a streamed answer */
    parse_chunked chunked;   /* server_request.c: a chunked body's decoder */
    bool chunked_body;
    uint64_t body_left;      /* server_request.c: Content-Length bytes still to come */
    uint64_t body_seen;      /* server_request.c: body bytes read, dropped ones too */

    bool close_after;  /* server_request.c, server_exchange.c: close once answered */
    bool closing;      /* server_io.c: uv_close called */
    bool reading;      /* server_io.c: uv_read_start is on */
    bool counted;      /* server.c: in conn_count (not refused) */
    bool peer_eof;     /* server_request.c: the client shut its side */
    bool got_bytes;    /* server_request.c: bytes of the current request arrived */
    char remote[INET6_ADDRSTRLEN]; /* server.c, at accept */
};

struct http_server {
    uv_loop_t *loop;           /* borrowed */
    const logger *log;         /* borrowed */
    http_server_limits limits; /* server.c, at start */
    int port;

    uv_tcp_t listener;      /* server.c */
    uv_timer_t sweep_timer; /* server_io.c (arm), server_deadlines.c (sweep) */
    uv_timer_cb sweep_cb;   /* server.c: server_deadlines.c's sweep */
    uv_timer_t drain_timer; /* server.c: close's grace period */
    uv_idle_t flush_idle;   /* server_stream.c: streams with bytes to send */
    int handles_open;       /* server.c, server_io.c: handles and connections not closed */

    server_routes routes; /* server.c (http_server_route) */

    dlink conns;           /* server_io.c: every http_conn not yet closed */
    dlink reading;         /* server_io.c: conns owing a request, oldest first */
    dlink lingering;       /* server_io.c: conns lingering, oldest first */
    dlink active;          /* server_io.c: conns whose bytes should move, least recent first */
    dlink exchanges;       /* server_exchange.c: every http_exchange attached to the server */
    dlink waiting;         /* server_exchange.c: those awaiting a handler, oldest first */
    dlink streams;         /* server_stream.c: every http_stream still answering */
    dlink flushing;        /* server_stream.c: streams with bytes to hand to the socket */
    unsigned conn_count;   /* server_io.c */
    http_server_stats stats; /* each counter by the file that sees the event */

    /* The upward hooks, set by server.c at start. */
    void (*conn_next)(http_conn *c);   /* an answer is sent: read the next request
                                          (server_request.c) */
    void (*conn_closed)(http_conn *c); /* the socket is closed: detach what used it
                                          (server.c); the conn is freed after */

    bool closing;    /* server.c: http_server_close was called */
    bool finalizing; /* server.c: every connection and handle is closing */
    void (*done)(void *);
    void *done_arg;
    int64_t date_sec;  /* server_response.c: the second date_text is for */
    char date_text[40]; /* "Date" value, "Thu, 03 Dec 2026 07:30:00 GMT" */
};

#endif /* GW_HTTP_SERVER_STATE_H */
