/* server_stream.h - streamed answers (http_stream in http_server.h): a
 * chunked body fed by the handler through a bounded buffer, the connection
 * suspended while the buffer is empty.
 *
 * A stream has two holders: the MHD response (until MHD frees it, which
 * calls stream_free back) and the exchange (until MHD completes the
 * request, server_request.c). Whichever lets go first tells the handler
 * (on_close); the second frees the stream. MHD's order of the two differs
 * between paths, hence the count.
 */
#ifndef GW_HTTP_SERVER_STREAM_H
#define GW_HTTP_SERVER_STREAM_H

#include "http/http_server.h"
#include "http/server_state.h"

/* The exchange's request is over (MHD completed it, or the server was
 * freed): drop the exchange's hold on st. */
void server_stream_conn_gone(http_stream *st);

/* The server is being freed: drop every exchange's hold on its stream
 * (before server_exchange_detach_all). */
void server_stream_detach_all(http_server *s);

/* http_server_close: end every stream once its buffer is sent. */
void server_stream_end_all(http_server *s);

/* Before MHD_stop_daemon: no stream may stay suspended (MHD's rule). */
void server_stream_resume_all(http_server *s);

/* After each MHD run: tell handlers whose streams drained (on_drain). */
void server_stream_run_drained(http_server *s);

#endif /* GW_HTTP_SERVER_STREAM_H */
