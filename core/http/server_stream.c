/* server_stream.c - streamed answers; see server_stream.h and the stream
 * part of http_server.h.
 *
 * At most one write per stream is in flight. What the handler writes
 * meanwhile waits in the stream's buffer and leaves as one chunk when the
 * write in flight completes, so a slow client makes the buffer, not the
 * number of writes, grow; the buffer is bounded by max_buffered. An empty
 * buffer larger than a few KiB is freed, so idle streams hold no body
 * memory.
 */
#include "http/server_stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/error.h"
#include "http/server_exchange.h"
#include "http/server_io.h"

/* Used when the handler passes max_buffered = 0. */
#define STREAM_DEFAULT_MAX ((size_t)256 << 10)
/* A drained buffer larger than this is freed rather than kept. */
#define STREAM_KEEP_CAP 4096u

static const char last_chunk[] = "0\r\n\r\n";

struct http_stream {
    http_server *server;
    http_conn *conn;     /* NULL once the stream is over */
    dlink all;           /* in server->streams */
    dlink flushing;      /* in server->flushing: bytes to hand to a write */
    char *buf;           /* written, not yet in a write */
    size_t len, cap;
    size_t inflight;     /* data bytes of the write in flight */
    bool writing;        /* a write is in flight */
    size_t max, low;
    bool ended, cut;     /* http_stream_end / http_stream_cut */
    bool final_sent;     /* the last chunk is in the write in flight */
    bool above_low;      /* a write took the buffer above low */
    http_stream_callbacks cb;
    void *arg;
};

static void stream_free(http_stream *st)
{
    dlink_remove(&st->all);
    dlink_remove(&st->flushing);
    free(st->buf);
    free(st);
}

/* Tell the handler and free; the connection no longer refers to st. */
static void stream_over(http_stream *st)
{
    if (st->conn) {
        st->conn->stream = NULL;
        st->conn = NULL;
    }
    st->cb.on_close(st->arg, st);
    stream_free(st);
}

void server_stream_conn_gone(http_stream *st)
{
    st->conn = NULL;
    stream_over(st);
}

static void stream_schedule(http_stream *st)
{
    http_server *s = st->server;
    if (st->conn == NULL || st->writing || st->flushing.next != &st->flushing)
        return;
    dlink_push_back(&s->flushing, &st->flushing);
    uv_idle_start(&s->flush_idle, server_stream_on_flush);
}

static void stream_flush(http_stream *st);

static void on_written(http_conn *c, int status, void *arg)
{
    http_stream *st = arg;
    st->writing = false;
    st->inflight = 0;
    if (status != 0) {
        server_io_close(c); /* the client is gone: on_close follows */
        return;
    }
    if (st->final_sent) {
        /* Ended and sent: the answer is complete. */
        c->close_after = true;
        http_server *s = st->server;
        stream_over(st);
        s->conn_next(c);
        return;
    }
    if (st->len > 0 || st->ended)
        stream_flush(st);
    if (st->above_low && st->len + st->inflight <= st->low && st->conn && !st->cut) {
        st->above_low = false;
        if (st->cb.on_drain)
            st->cb.on_drain(st->arg, st);
    }
}

/* Hand what is buffered (and the last chunk once ended) to one write. */
static void stream_flush(http_stream *st)
{
    dlink_remove(&st->flushing);
    if (st->conn == NULL || st->cut || st->writing || (st->len == 0 && !st->ended))
        return;
    char size_line[24];
    int n = st->len ? snprintf(size_line, sizeof size_line, "%zx\r\n", st->len) : 0;
    size_t total = (size_t)n + st->len + (st->len ? 2 : 0) + (st->ended ? sizeof last_chunk - 1 : 0);
    io_write *w = server_io_write_new(total);
    if (w == NULL) {
        http_stream_cut(st);
        return;
    }
    char *out = server_io_write_data(w);
    size_t at = 0;
    if (st->len) {
        memcpy(out, size_line, (size_t)n);
        memcpy(out + n, st->buf, st->len);
        at = (size_t)n + st->len;
        memcpy(out + at, "\r\n", 2);
        at += 2;
    }
    if (st->ended) {
        memcpy(out + at, last_chunk, sizeof last_chunk - 1);
        st->final_sent = true;
    }
    st->inflight = st->len;
    st->len = 0;
    if (st->cap > STREAM_KEEP_CAP) {
        free(st->buf);
        st->buf = NULL;
        st->cap = 0;
    }
    st->writing = true;
    if (server_io_send(st->conn, w, on_written, st) != 0) {
        st->writing = false;
        server_io_close(st->conn);
    }
}

void server_stream_on_flush(uv_idle_t *idle)
{
    http_server *s = idle->data;
    while (!dlink_empty(&s->flushing))
        stream_flush(CONTAINER_OF(s->flushing.next, http_stream, flushing));
    uv_idle_stop(idle);
}

void server_stream_end_all(http_server *s)
{
    for (dlink *l = s->streams.next; l != &s->streams; l = l->next)
        http_stream_end(CONTAINER_OF(l, http_stream, all));
}

/* ------------------------------------------------------------------------
 * The stream API (http_server.h).
 */
http_stream *http_exchange_respond_stream(http_exchange *ex, int status, const char *content_type,
                                          const gw_http_header *extra_headers, size_t n_extra,
                                          size_t max_buffered, const http_stream_callbacks *cb,
                                          void *arg)
{
    if (ex == NULL || !ex->handler_holds || cb == NULL || cb->on_close == NULL)
        return NULL;
    ex->handler_holds = false;
    http_conn *c = ex->conn;
    if (ex->expired || c == NULL || ex->answered) {
        server_exchange_release(ex); /* freed now, or once its answer is out */
        return NULL;
    }
    if (status < 200 || status > 599) {
        server_exchange_answer(ex, 500, "internal_error", "the handler produced an invalid status",
                               0);
        return NULL;
    }
    http_stream *st = calloc(1, sizeof *st);
    if (st == NULL) {
        server_exchange_answer(ex, 500, "internal_error", "out of memory", 0);
        return NULL;
    }
    if (!server_exchange_send_head(ex, (unsigned)status, content_type, extra_headers, n_extra, true,
                                   NULL, 0)) {
        free(st); /* a 500 went instead */
        return NULL;
    }
    http_server *s = ex->server;
    st->server = s;
    st->conn = c;
    st->max = max_buffered ? max_buffered : STREAM_DEFAULT_MAX;
    st->low = st->max / 4;
    st->cb = *cb;
    st->arg = arg;
    dlink_init(&st->flushing);
    dlink_push_back(&s->streams, &st->all);
    c->stream = st;
    server_exchange_detach(ex);
    /* Read on, only to see the client leave (server_request.c drops what
     * arrives on a stream). */
    server_io_trim(c);
    server_io_read_start(c, c->on_input);
    if (s->closing)
        http_stream_end(st);
    return st;
}

int http_stream_write(http_stream *st, const void *data, size_t len)
{
    if (st->ended || st->cut || st->conn == NULL)
        return GW_ESTATE;
    size_t held = st->len + st->inflight;
    if (held > 0 && (len > st->max || held > st->max - len))
        return GW_ERANGE;
    if (len == 0)
        return GW_OK;
    if (st->len + len > st->cap) {
        size_t cap = st->cap ? st->cap : 1024;
        while (cap < st->len + len)
            cap *= 2;
        char *grown = realloc(st->buf, cap);
        if (grown == NULL)
            return GW_ENOMEM;
        st->buf = grown;
        st->cap = cap;
    }
    memcpy(st->buf + st->len, data, len);
    st->len += len;
    if (st->len + st->inflight > st->low)
        st->above_low = true;
    stream_schedule(st);
    return GW_OK;
}

size_t http_stream_buffered(const http_stream *st)
{
    return st->len + st->inflight;
}

void http_stream_end(http_stream *st)
{
    if (st->ended || st->cut)
        return;
    st->ended = true;
    stream_schedule(st);
}

void http_stream_cut(http_stream *st)
{
    if (st->cut)
        return;
    st->cut = true;
    dlink_remove(&st->flushing);
    if (st->conn)
        server_io_close(st->conn); /* on_close follows from its close callback */
}
