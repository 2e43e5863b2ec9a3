/* server_request.h - reading requests on a connection: the head, the
 * checks and routing that need no body, the body under its limit, and the
 * dispatch to the handler; and what a connection does once answered
 * (read the next request, or linger and close).
 */
#ifndef GW_HTTP_SERVER_REQUEST_H
#define GW_HTTP_SERVER_REQUEST_H

#include "http/server_state.h"

/* A new connection: it owes its first request from now on. */
void server_request_start(http_conn *c);

/* An answer on c is out (s->conn_next): read the next request, or, when
 * the connection closes after this answer, shut its write side and
 * linger. */
void server_request_next(http_conn *c);

#endif /* GW_HTTP_SERVER_REQUEST_H */
