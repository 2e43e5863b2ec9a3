/* server_conns.h - the HTTP server's TCP connections: the connection limit
 * and the receive deadline (a whole request must arrive within
 * limits.receive_timeout_ms), which libmicrohttpd 0.9.75 lacks.
 *
 * One http_conn per connection, as MHD's socket context. While a
 * connection owes a request it sits in server->reading, oldest first, so
 * the deadline sweep (server_deadlines.c) only looks at the head.
 */
#ifndef GW_HTTP_SERVER_CONNS_H
#define GW_HTTP_SERVER_CONNS_H

#include <stdint.h>

#include <microhttpd.h>

#include "http/dlink.h"
#include "http/server_state.h"

typedef struct http_conn {
    struct MHD_Connection *mhd;
    dlink reading;             /* in server->reading while a request is due */
    uint64_t reading_since_ms; /* loop time the current request became due */
} http_conn;

/* The http_conn of MHD connection c; NULL when none could be allocated. */
http_conn *server_conn_of(struct MHD_Connection *c);

/* The connection now owes a request (accepted, or its answer sent): its
 * receive deadline starts now. hc may be NULL (no-op). */
void server_conn_start_reading(http_server *s, http_conn *hc);

/* The request arrived: no deadline until the next one. hc may be NULL. */
void server_conn_stop_reading(http_conn *hc);

/* The deadline passed: shut the socket down so MHD's next run closes the
 * connection, without an answer. */
void server_conn_cut(http_server *s, http_conn *hc);

/* MHD_AcceptPolicyCallback (cls = the server): refuses over the limit or
 * while closing. */
enum MHD_Result server_conn_on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen);

/* MHD_NotifyConnectionCallback (cls = the server): creates and frees the
 * http_conn. */
void server_conn_on_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                           enum MHD_ConnectionNotificationCode toe);

#endif /* GW_HTTP_SERVER_CONNS_H */
