/* server_stream.h - streamed answers (http_stream in http_server.h): a
 * chunked body fed by the handler through a bounded buffer.
 *
 * Writes collect in the stream's buffer and go out together from the
 * loop's next idle phase (or as soon as the previous write is out), one
 * chunk per write. While a stream has nothing to send its connection is
 * only read, to notice the client leaving at once. The stream belongs to
 * its connection: it is freed right after on_close, when the connection
 * closes or once the ended body is out.
 */
#ifndef GW_HTTP_SERVER_STREAM_H
#define GW_HTTP_SERVER_STREAM_H

#include "http/http_server.h"
#include "http/server_state.h"

/* The stream's connection closed: tell the handler (on_close) and free
 * st. */
void server_stream_conn_gone(http_stream *st);

/* http_server_close: end every stream once its buffer is sent. */
void server_stream_end_all(http_server *s);

/* uv_idle callback of s->flush_idle: send what streams buffered. */
void server_stream_on_flush(uv_idle_t *idle);

#endif /* GW_HTTP_SERVER_STREAM_H */
