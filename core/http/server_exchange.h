/* server_exchange.h - one request awaiting its answer (http_exchange): the
 * object handlers see through http_server.h, and its lifecycle.
 *
 * An exchange carries copies of everything a handler reads, so it can
 * outlive its MHD connection (and even the server) while the handler
 * holds it. It is freed once neither the handler (handler_holds) nor MHD
 * (conn) refers to it. server_request.c creates and fills it and hands it
 * to the handler; this file answers it, releases it, and lets the server
 * answer in the handler's place (timeout, shutdown).
 */
#ifndef GW_HTTP_SERVER_EXCHANGE_H
#define GW_HTTP_SERVER_EXCHANGE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "http/dlink.h"
#include "http/server_state.h"

typedef enum exchange_state {
    EX_NEW,        /* request line seen, headers not complete yet */
    EX_RECEIVING,  /* routed, collecting the body */
    EX_DISCARDING, /* body over the limit: dropping it, 413 follows */
    EX_REJECTING,  /* bodiless request already judged: answer at the last call */
    EX_HANDLING,   /* handed to the handler; suspended after its call */
    EX_ANSWERED    /* response queued to MHD */
} exchange_state;

struct http_exchange {
    http_server *server;         /* NULL once detached from a freed server */
    struct MHD_Connection *conn; /* NULL once MHD finished with the request */
    dlink all;                   /* in server->exchanges */
    dlink waiting;               /* in server->waiting while suspended */
    exchange_state state;
    bool handler_holds; /* the handler still owes its respond call */
    bool in_handler;    /* inside the handler call: respond must not resume */
    bool suspended;
    bool expired;              /* the server answered, or the client is gone */
    uint64_t waiting_since_ms; /* loop time of dispatch */

    char *target;            /* owned: the raw request target, split into: */
    const char *path;        /* ... the raw path (points into target) */
    const char *query;       /* ... and the raw query ("" when none) */
    uintptr_t uri_addr;      /* where MHD held the raw target (compared only) */
    size_t uri_len;          /* strlen of the raw target */
    char *method;            /* owned */
    gw_http_header *headers; /* owned: one block, array then strings */
    size_t header_count;
    unsigned char *body; /* owned, body_cap bytes, NUL after body_len */
    size_t body_len, body_cap;
    uint64_t body_seen; /* bytes received, including discarded ones */
    char remote[INET6_ADDRSTRLEN];

    http_handler handler; /* copied from the route: routes may grow */
    void *handler_arg;
    const char *path_tail;

    struct MHD_Response *response; /* owned until queued */
    struct http_stream *stream;    /* a streamed answer's stream, held until
                                      the request is over (server_stream.h) */
    unsigned status;

    /* A server-made answer decided at the headers, sent at the last call. */
    int reject_status;
    const char *reject_code, *reject_message; /* static strings */
    unsigned reject_allow;
};

/* Free ex once neither the handler nor MHD holds it; else nothing. */
void server_exchange_release(http_exchange *ex);

/* Resume a suspended exchange whose response is now set (or which must be
 * closed), and make sure MHD runs to act on it. No-op if not suspended. */
void server_exchange_resume(http_exchange *ex);

/* The server answers in the handler's place (timeout, shutdown) with a
 * JSON error; the handler keeps its reference and its later respond only
 * releases it. code and message are static strings. */
void server_exchange_answer_for_handler(http_exchange *ex, unsigned status, const char *code,
                                        const char *message);

/* Nonzero when no exchange of s still has a connection: close's drain is
 * over. */
bool server_exchange_all_drained(const http_server *s);

/* Detach every exchange from s (which is being freed); handlers holding
 * one still respond to it later, which only frees it. */
void server_exchange_detach_all(http_server *s);

#endif /* GW_HTTP_SERVER_EXCHANGE_H */
