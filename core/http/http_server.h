/* http_server.h - the embedded HTTP/1.1 server: webhooks, health, metrics
 * and the action API, served from the gateway's single libuv loop thread.
 *
 * The server is our own, on libuv (docs/design.md, "HTTP server", says
 * why): it frames requests (server_parse.c), routes them to handlers,
 * buffers each request body under a size cap, and lets a handler answer
 * later than its own call: the connection waits for
 * http_exchange_respond(), what the client sends meanwhile kept for
 * after the answer.
 *
 * Implemented by core/http/server*.c (the map, bottom up, is in
 * server_state.h); this header is the only one callers include.
 *
 * Threading: every function here must be called on the loop thread.
 *
 * Signals: answers are written with libuv's uv_write (write(2)), so a
 * client that has gone raises SIGPIPE; the process must ignore it, as the
 * gateway's main does (the write then fails with EPIPE and the connection
 * is closed).
 *
 * Exchange contract (one request awaiting its answer):
 *   - A handler receives an http_exchange and MUST call
 *     http_exchange_respond*() on it exactly once, either inside the
 *     handler call or from any later loop callback (after a DB commit, a
 *     timer...). Until that call the handler owns one reference and the
 *     exchange and everything its accessors return stay valid, whatever
 *     happens on the network.
 *   - If the handler is too slow (limits.request_timeout_ms) or the server
 *     is closed first, the server itself answers 503; if the client went
 *     away, nobody is answered. In both cases the handler's later respond
 *     call is still required: it only releases the exchange.
 *     http_exchange_expired() tells a handler that its answer will be
 *     dropped, so it may skip optional work.
 *   - An exchange may outlive its server (respond after close): it is
 *     detached from the server when the server is freed.
 */
#ifndef GW_HTTP_SERVER_H
#define GW_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "gateway/plugin.h" /* gw_http_header */
#include "base/log.h"

typedef struct http_server http_server;
typedef struct http_exchange http_exchange;

/* Used when the caller passes NULL as the listen address. */
#define HTTP_SERVER_DEFAULT_LISTEN "127.0.0.1:8080"

/* Limits; a field left 0 takes the default in brackets. */
typedef struct http_server_limits {
    size_t max_body_bytes;       /* [1 MiB] larger bodies get 413; the
                                    handler is never called for them */
    size_t max_header_bytes;     /* [16 KiB] request line + headers: 431
                                    beyond (414 when the request line alone
                                    is), as soon as the limit is passed */
    unsigned max_connections;    /* [256] further connections are closed
                                    right after accept */
    unsigned idle_timeout_s;     /* [30] a connection without a byte moving
                                    this long while a request arrives or an
                                    answer (a stream's too) is written is
                                    closed, no answer */
    uint64_t receive_timeout_ms; /* [15000] a whole request (headers and
                                    body) must arrive within this time from
                                    when the connection became ready for it
                                    (accept, or the previous answer sent);
                                    else the connection is cut without an
                                    answer. Slow-loris defence; also bounds
                                    how long a kept-alive connection idles */
    uint64_t request_timeout_ms; /* [10000] a handler that has not answered
                                    by then: the server answers 503 */
} http_server_limits;

/* Counters for metrics. Only the loop thread writes them. */
typedef struct http_server_stats {
    uint64_t connections_accepted;
    uint64_t connections_refused;       /* over max_connections or closing */
    uint64_t requests;                  /* request lines received */
    uint64_t responses_by_status[600];  /* by status code, counted when the
                                           answer is out (a stream's when its
                                           head is queued), the server's own
                                           400/413/414/431 included */
    uint64_t rejected_body_too_large;   /* our 413s (limit exceeded) */
    uint64_t rejected_header_too_large; /* 414 and 431 */
    uint64_t receive_timeouts;          /* connections cut by receive_timeout_ms
                                           (slow or idle clients) */
    uint64_t idle_timeouts;             /* connections closed by idle_timeout_s */
    uint64_t handler_timeouts;          /* 503 for a handler too slow */
    uint64_t aborted;                   /* requests that ended without their
                                           response fully sent */
} http_server_stats;

/* A route handler. The request is complete: body fully received and
 * within limits. `arg` is the route's. The handler must eventually call
 * http_exchange_respond*() exactly once (see the contract above). */
typedef void (*http_handler)(void *arg, http_exchange *ex);

/* Start listening on `listen`: "IPv4:port" or "[IPv6]:port", numeric
 * hosts only; port 0 picks an ephemeral port (see http_server_port);
 * NULL means HTTP_SERVER_DEFAULT_LISTEN. `loop` and `log` are borrowed
 * and must outlive the server. `limits` is copied; NULL = all defaults.
 * Returns 0 and *out (free with http_server_close), or GW_EINVAL (bad
 * listen string or limits), GW_EIO (socket/bind/listen failure) or
 * GW_ENOMEM, with a one-line reason naming the address in err. */
int http_server_start(uv_loop_t *loop, const logger *log, const char *listen,
                      const http_server_limits *limits, http_server **out, char *err,
                      size_t errlen);

/* The bound TCP port (useful after port 0). */
int http_server_port(const http_server *s);

/* Register a handler. `methods` is a comma-separated list of
 * GET,HEAD,POST,PUT,DELETE,PATCH,OPTIONS (GET implies HEAD; the server
 * drops the body of a HEAD answer, keeping its Content-Length). `path` (copied) is matched against the raw,
 * still percent-encoded request path: exactly, or with `prefix` != 0 as a
 * prefix, which must end in '/' ("/webhooks/" matches "/webhooks/x/y").
 * An exact route wins over prefix routes; the longest prefix wins among
 * those. Unknown path: 404; known path, other method: 405 with Allow.
 * Returns 0, GW_EINVAL (bad methods or path), GW_EEXIST (same path, kind
 * and a shared method already routed), GW_ENOMEM. */
int http_server_route(http_server *s, const char *methods, const char *path, int prefix,
                      http_handler h, void *arg);

/* Counters; borrowed, valid until http_server_close. */
const http_server_stats *http_server_stats_get(const http_server *s);

/* Stop accepting at once (the listen socket is closed), answer every
 * exchange still waiting for its handler with 503, let in-flight answers
 * drain for up to 2 s, then close every connection and handle and free
 * the server. `done(arg)` (may be NULL) runs from a later loop callback
 * once every handle is closed; the loop may then be closed. Exchanges
 * still held by handlers stay valid until they respond (see above).
 * Safe to call from inside a handler; call it once. */
void http_server_close(http_server *s, void (*done)(void *arg), void *arg);

/* Request accessors. Every returned pointer is owned by the exchange and
 * valid until the handler's respond call. */
const char *http_exchange_method(const http_exchange *ex); /* "GET", "POST"... */
/* The raw request path, percent-encoding preserved ("/webhooks/a%20b"). */
const char *http_exchange_path(const http_exchange *ex);
/* For a prefix route, the raw path after the matched prefix; else "". */
const char *http_exchange_path_tail(const http_exchange *ex);
/* The raw query string without '?', or "" (gw_webhook_request.query). */
const char *http_exchange_query(const http_exchange *ex);
/* Value of the first header named `name` (case-insensitive), or NULL. */
const char *http_exchange_header(const http_exchange *ex, const char *name);
/* All request headers in arrival order, names lower-cased. */
const gw_http_header *http_exchange_headers(const http_exchange *ex, size_t *count);
/* The exact body bytes received (after de-chunking), never NULL, with a
 * NUL after the last byte for convenience; *len excludes it. */
const unsigned char *http_exchange_body(const http_exchange *ex, size_t *len);
/* The client's numeric address, "127.0.0.1" or "::1"; "unknown" when the
 * client had reset the connection before it was accepted. */
const char *http_exchange_remote_addr(const http_exchange *ex);
/* Nonzero once the answer can no longer reach the client: the server
 * already answered 503 (timeout, shutdown) or the connection is gone. */
int http_exchange_expired(const http_exchange *ex);

/* Answer and release the handler's reference; ex must not be used after.
 * `body` (len bytes, may contain NULs) and every string are copied.
 * `content_type` may be NULL (no Content-Type). `extra_headers` are added
 * as given; an invalid one (CR/LF or another control byte, or one the
 * server sets: Content-Length, Transfer-Encoding, Connection, Date) turns
 * the answer into a 500 and is logged. */
void http_exchange_respond(http_exchange *ex, int status, const char *content_type,
                           const void *body, size_t len, const gw_http_header *extra_headers,
                           size_t n_extra);
/* Answer with `body` (steals the reference) as compact application/json;
 * NULL or an unserialisable body answers 500. */
void http_exchange_respond_json(http_exchange *ex, int status, json_t *body);
/* Answer {"error": code, "message": message} as application/json. */
void http_exchange_respond_error(http_exchange *ex, int status, const char *code,
                                 const char *message);
/* The same with extra headers (e.g. WWW-Authenticate, Retry-After), which
 * are copied as http_exchange_respond copies them. */
void http_exchange_respond_error_headers(http_exchange *ex, int status, const char *code,
                                         const char *message, const gw_http_header *headers,
                                         size_t n_headers);

/* ------------------------------------------------------------------------
 * Streamed answers (Server-Sent Events and the like).
 *
 * A stream is an answer whose body has no length known up front: it is
 * sent chunked, as the handler writes it, for as long as both sides want.
 * Writes made in one loop iteration leave together as one chunk. While
 * nothing is buffered the stream costs no CPU and no buffer memory; its
 * connection is still read, so a client leaving is noticed at once.
 * Memory is bounded by the stream's own max_buffered: a write that would
 * pass it is refused and the caller decides (typically http_stream_cut:
 * the client reconnects).
 */
typedef struct http_stream http_stream;

typedef struct http_stream_callbacks {
    /* The buffer fell to low_water bytes or below after a write had taken
     * it above: room for more. Runs from a loop callback, never inside an
     * http_stream_* call. May be NULL. */
    void (*on_drain)(void *arg, http_stream *st);
    /* The stream is over: client gone, cut, ended and flushed, or the
     * server closed. Called exactly once; st must not be used after it
     * returns. Required. */
    void (*on_close)(void *arg, http_stream *st);
} http_stream_callbacks;

/* Answer ex with status and headers now and a body written later with
 * http_stream_write; releases the handler's reference like respond does.
 * `content_type` and `extra_headers` are copied (invalid ones: NULL is
 * returned after answering 500). `max_buffered` bounds the bytes waiting
 * to be sent; low_water (for on_drain) is a quarter of it. `cb` is copied,
 * `arg` borrowed until on_close. Returns the stream, or NULL when the
 * exchange had already expired or memory ran out (then nothing more
 * happens: no callback). During a close the stream starts ended. */
http_stream *http_exchange_respond_stream(http_exchange *ex, int status,
                                          const char *content_type,
                                          const gw_http_header *extra_headers, size_t n_extra,
                                          size_t max_buffered, const http_stream_callbacks *cb,
                                          void *arg);

/* Queue len bytes (copied) for sending. Returns 0, GW_ERANGE when the
 * buffer already holds bytes and these would take it past max_buffered
 * (nothing queued; an empty buffer takes any one write, so the bound is
 * max_buffered or one write, whichever is larger), GW_ESTATE when the
 * stream was ended or cut, or GW_ENOMEM. */
int http_stream_write(http_stream *st, const void *data, size_t len);

/* Bytes written and not yet handed to the kernel (buffered, or in the
 * write in flight). */
size_t http_stream_buffered(const http_stream *st);

/* Finish the answer once what is buffered has been sent (the chunked
 * body ends properly); on_close follows. Idempotent. */
void http_stream_end(http_stream *st);

/* Close the connection now, dropping what is buffered (a slow client);
 * on_close follows from a later loop callback. Idempotent. */
void http_stream_cut(http_stream *st);

#endif /* GW_HTTP_SERVER_H */
