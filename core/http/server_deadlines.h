/* server_deadlines.h - the HTTP server's one sweep timer: the receive
 * deadline of connections owing a request, the idle timeout of
 * connections whose bytes should be moving, the linger of closing ones,
 * and the handler deadline of exchanges awaiting an answer. Each list is
 * oldest first, so a sweep looks only at the heads; server_io_arm sets the
 * timer as lists fill.
 */
#ifndef GW_HTTP_SERVER_DEADLINES_H
#define GW_HTTP_SERVER_DEADLINES_H

#include <uv.h>

/* The sweep (s->sweep_cb): act on what is due, then arm for the next. */
void server_deadlines_sweep(uv_timer_t *t);

#endif /* GW_HTTP_SERVER_DEADLINES_H */
