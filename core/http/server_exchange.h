/* server_exchange.h - one request awaiting its answer (http_exchange): the
 * object handlers see through http_server.h, its answer, and its
 * lifecycle.
 *
 * An exchange carries copies of everything a handler reads, so it can
 * outlive its connection (and even the server) while the handler holds
 * it. It is freed once neither the handler (handler_holds) nor the
 * connection (conn) refers to it. server_request.c creates it from a
 * parsed head and hands it to the handler; this file answers it (the
 * handler's answer, or the server's own: a rejection, a timeout, the
 * shutdown) and releases it.
 */
#ifndef GW_HTTP_SERVER_EXCHANGE_H
#define GW_HTTP_SERVER_EXCHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/dlink.h"
#include "http/server_parse.h"
#include "http/server_state.h"

struct http_exchange {
    http_server *server; /* NULL once detached from a freed server */
    http_conn *conn;     /* NULL once the connection is done with it */
    dlink all;           /* in server->exchanges */
    dlink waiting;       /* in server->waiting while the handler owes its answer */
    bool handler_holds;  /* the handler still owes its respond call */
    bool answered;       /* an answer went to the connection */
    bool expired;        /* the server answered, or the client is gone */
    bool head_only;      /* HEAD: the answer goes without its body */
    uint64_t waiting_since_ms; /* loop time of dispatch */

    char *target;            /* owned: the raw request target, split into: */
    const char *path;        /* ... the raw path (points into target) */
    const char *query;       /* ... and the raw query ("" when none) */
    char *method;            /* owned */
    gw_http_header *headers; /* owned: one block, array then strings */
    size_t header_count;
    unsigned char *body;     /* owned, body_cap bytes, NUL after body_len */
    size_t body_len, body_cap;
    int minor;               /* HTTP/1.<minor> */
    char remote[INET6_ADDRSTRLEN];

    http_handler handler; /* copied from the route: routes may grow */
    void *handler_arg;
    const char *path_tail;
    unsigned status;      /* of the answer sent */
};

/* A new exchange on c (c->ex), with copies of the method, target and
 * headers of the head in buf (h from parse_head_read; NULL for a head too
 * malformed to read: method and path are then ""). Header names are
 * lower-cased. NULL when out of memory. */
http_exchange *server_exchange_new(http_conn *c, const char *buf, const parse_head *h);

/* Grow the body buffer to hold `more` bytes after body_len (and the NUL).
 * false when out of memory. */
bool server_exchange_body_room(http_exchange *ex, size_t more);

/* Send the server's own answer, {"error": code, "message": message}, with
 * an Allow header for `allow` (method bits) when nonzero. code and message
 * are static strings. */
void server_exchange_answer(http_exchange *ex, unsigned status, const char *code,
                            const char *message, unsigned allow);

/* The handler now owes its answer: the handler deadline starts. */
void server_exchange_wait(http_exchange *ex);

/* The server answers in the handler's place (timeout, shutdown) with a
 * JSON error; the handler keeps its reference and its later respond only
 * releases it. */
void server_exchange_answer_for_handler(http_exchange *ex, unsigned status, const char *code,
                                        const char *message);

/* Free ex once neither the handler nor a connection holds it; else
 * nothing (an answer on its way releases it when sent). */
void server_exchange_release(http_exchange *ex);

/* The handler has let go (after http_exchange_respond*): detach ex from
 * its connection, which the caller has answered some other way (a
 * stream), and free it if nothing holds it. */
void server_exchange_detach(http_exchange *ex);

/* The connection closed before ex was answered (or while its answer was
 * on the way): ex expires; freed if the handler does not hold it. */
void server_exchange_conn_gone(http_exchange *ex);

/* Detach every exchange from s (which is being freed); handlers holding
 * one still respond to it later, which only frees it. */
void server_exchange_detach_all(http_server *s);

/* Validate and send an answer a handler built; `chunked` heads a stream
 * (no body here). Used by respond and by server_stream.c. Returns false
 * (after answering 500 instead, logged) when a header was refused. */
bool server_exchange_send_head(http_exchange *ex, unsigned status, const char *content_type,
                               const gw_http_header *extra, size_t n_extra, bool chunked,
                               const void *body, size_t len);

#endif /* GW_HTTP_SERVER_EXCHANGE_H */
