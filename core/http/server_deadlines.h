/* server_deadlines.h - the HTTP server's two deadlines on one timer: a
 * connection owing a request past limits.receive_timeout_ms is cut, and a
 * handler silent past limits.request_timeout_ms is answered 503 for.
 *
 * Both queues (server->reading, server->waiting) are in deadline order,
 * since entries join at the tail at "now" and the timeouts are fixed, so
 * only their heads are looked at.
 */
#ifndef GW_HTTP_SERVER_DEADLINES_H
#define GW_HTTP_SERVER_DEADLINES_H

#include "http/server_state.h"

/* (Re)arm server->sweep_timer for the earliest deadline, or stop it when
 * nothing is due. Called after every MHD run; no-op once finalizing. */
void server_deadlines_arm(http_server *s);

#endif /* GW_HTTP_SERVER_DEADLINES_H */
