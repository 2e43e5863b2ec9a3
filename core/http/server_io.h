/* server_io.h - one connection's socket for the HTTP server: the input
 * buffer, writes with their own buffers, shutdown and close, and the lists
 * the deadline sweep (server_deadlines.c) reads.
 *
 * Mechanism only: what the bytes mean is server_request.c's business.
 * Everything here runs on the loop thread.
 */
#ifndef GW_HTTP_SERVER_IO_H
#define GW_HTTP_SERVER_IO_H

#include <stddef.h>

#include "http/server_state.h"

typedef struct io_write io_write;

/* Runs once per sent write, from a loop callback: status 0 when every byte
 * was handed to the kernel, a negative libuv code otherwise (the peer is
 * gone, or the connection was closed first: UV_ECANCELED). */
typedef void (*io_write_cb)(http_conn *c, int status, void *arg);

/* A write of len bytes for the caller to fill (server_io_write_data);
 * NULL when out of memory. Owned by the caller until server_io_send. */
io_write *server_io_write_new(size_t len);
char *server_io_write_data(io_write *w);
void server_io_write_free(io_write *w);

/* Send w (taken, freed once sent) on c. done (may be NULL) follows from a
 * later loop callback, never from inside this call. Returns 0, or a
 * negative libuv code when the write could not start (w freed, done not
 * called). While writes are in flight the connection is on the idle list:
 * bytes must keep moving (limits.idle_timeout_s). */
int server_io_send(http_conn *c, io_write *w, io_write_cb done, void *arg);

/* Accept the listener's pending connection into a new conn (in
 * s->conns, counted in s->handles_open). NULL when out of memory or
 * accept failed (the socket is dropped). */
http_conn *server_io_accept(http_server *s);

/* Close the socket (idempotent). Pending writes end with UV_ECANCELED;
 * then s->conn_closed(c) runs and c is freed, from a loop callback. */
void server_io_close(http_conn *c);

/* Shut the write side once the writes in flight are out (the answer is
 * complete and the connection lingers). */
void server_io_shutdown(http_conn *c);

/* Read into c's input buffer; cb gets what libuv passes (nread < 0 at EOF
 * or on error); the bytes are already appended to c->in. */
void server_io_read_start(http_conn *c, void (*cb)(http_conn *c, ssize_t nread));
void server_io_read_stop(http_conn *c);

/* The first n unread input bytes are used. */
void server_io_consumed(http_conn *c, size_t n);

/* Free the input buffer when it holds nothing unread (an idle stream
 * should not hold it); the next read makes one again. */
void server_io_trim(http_conn *c);

/* Deadline lists: c owes a request from now on (receive deadline), is
 * lingering from now on, or neither. */
void server_io_deadline_reading(http_conn *c);
void server_io_deadline_lingering(http_conn *c);
void server_io_deadline_none(http_conn *c);

/* Make sure the sweep timer fires by loop time due_ms (a list that was
 * empty got an entry; later entries of a list are never due earlier). */
void server_io_arm(http_server *s, uint64_t due_ms);

/* Bytes moved now (or must move from now on): c goes to the back of the
 * idle list. server_io_idle_off takes it off (nothing expected). */
void server_io_touch(http_conn *c);
void server_io_idle_off(http_conn *c);

#endif /* GW_HTTP_SERVER_IO_H */
