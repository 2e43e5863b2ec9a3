/* server_stream.c - streamed answers; see server_stream.h and the stream
 * part of http_server.h.
 *
 * MHD pulls the body through stream_read whenever the socket can take
 * more. With nothing buffered the reader suspends the connection (MHD
 * stops polling it; an idle stream costs nothing) and a write resumes it.
 * The buffer never grows past max_buffered, and an empty buffer is freed,
 * so a thousand idle streams hold no body memory at all.
 */
#include "http/server_stream.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "gateway/error.h"
#include "http/mhd_loop.h"
#include "http/server_exchange.h"
#include "http/server_response.h"

/* What MHD asks the reader for at most per call. */
#define STREAM_BLOCK 16384u
/* Used when the handler passes max_buffered = 0. */
#define STREAM_DEFAULT_MAX ((size_t)256 << 10)
/* A drained buffer larger than this is freed rather than kept. */
#define STREAM_KEEP_CAP 4096u

struct http_stream {
    http_server *server;         /* NULL once the request is over */
    struct MHD_Connection *conn; /* NULL once the request is over */
    dlink all;                   /* in server->streams */
    dlink drained;               /* in server->streams_drained */
    char *buf;
    size_t off, len, cap, max, low;
    int holders;      /* the response and the exchange, see server_stream.h */
    bool suspended;   /* by stream_read, buffer empty */
    bool ended, cut;  /* http_stream_end / http_stream_cut */
    bool above_low;   /* a write took the buffer above low */
    bool told_closed; /* on_close ran */
    http_stream_callbacks cb;
    void *arg;
};

static void stream_tell_closed(http_stream *st)
{
    dlink_remove(&st->all);
    dlink_remove(&st->drained);
    if (st->told_closed)
        return;
    st->told_closed = true;
    st->cb.on_close(st->arg, st);
}

static void stream_unhold(http_stream *st)
{
    stream_tell_closed(st);
    if (--st->holders > 0)
        return;
    free(st->buf);
    free(st);
}

static void stream_wake(http_stream *st)
{
    if (st->conn == NULL || st->server == NULL)
        return;
    if (st->suspended) {
        st->suspended = false;
        MHD_resume_connection(st->conn);
    }
    mhd_loop_kick(&st->server->mhd_loop);
}

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    http_stream *st = cls;
    if (st->cut || st->conn == NULL)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    if (st->len == 0) {
        if (st->ended)
            return MHD_CONTENT_READER_END_OF_STREAM;
        /* Nothing to send: stop polling until a write (stream_wake). */
        MHD_suspend_connection(st->conn);
        st->suspended = true;
        return 0;
    }
    size_t n = st->len < max ? st->len : max;
    memcpy(out, st->buf + st->off, n);
    st->off += n;
    st->len -= n;
    if (st->len == 0) {
        st->off = 0;
        if (st->cap > STREAM_KEEP_CAP) {
            free(st->buf);
            st->buf = NULL;
            st->cap = 0;
        }
    }
    if (st->above_low && st->len <= st->low && st->server) {
        st->above_low = false;
        dlink_remove(&st->drained);
        dlink_push_back(&st->server->streams_drained, &st->drained);
    }
    return (ssize_t)n;
}

/* MHD frees the response: it will not read again. */
static void stream_free(void *cls)
{
    stream_unhold(cls);
}

void server_stream_conn_gone(http_stream *st)
{
    st->conn = NULL;
    st->server = NULL;
    st->suspended = false;
    stream_unhold(st);
}

http_stream *http_exchange_respond_stream(http_exchange *ex, int status,
                                          const char *content_type,
                                          const gw_http_header *extra_headers, size_t n_extra,
                                          size_t max_buffered, const http_stream_callbacks *cb,
                                          void *arg)
{
    if (ex == NULL || !ex->handler_holds || cb == NULL || cb->on_close == NULL)
        return NULL;
    if (ex->expired || ex->conn == NULL || status < 200 || status > 599) {
        if (!(ex->expired || ex->conn == NULL)) {
            http_exchange_respond_error(ex, 500, "internal_error",
                                        "the handler produced an invalid status");
            return NULL;
        }
        ex->handler_holds = false;
        server_exchange_release(ex);
        return NULL;
    }
    http_server *s = ex->server;
    http_stream *st = calloc(1, sizeof *st);
    if (st == NULL) {
        http_exchange_respond_error(ex, 500, "out_of_memory", "the stream could not be set up");
        return NULL;
    }
    st->server = s;
    st->conn = ex->conn;
    st->max = max_buffered ? max_buffered : STREAM_DEFAULT_MAX;
    st->low = st->max / 4;
    st->cb = *cb;
    st->arg = arg;
    st->ended = s->closing;
    dlink_init(&st->all);
    dlink_init(&st->drained);
    struct MHD_Response *resp = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, STREAM_BLOCK, stream_read, st, stream_free);
    if (resp == NULL ||
        !server_response_add_headers(s->log, s->closing, resp, content_type, extra_headers,
                                     n_extra, 0)) {
        st->told_closed = true; /* the handler gets NULL: no callback */
        st->holders = 1;
        if (resp)
            MHD_destroy_response(resp); /* frees st through stream_free */
        else
            free(st);
        http_exchange_respond_error(ex, 500, "internal_error",
                                    "the handler's answer could not be sent");
        return NULL;
    }
    st->holders = 2;
    dlink_push_back(&s->streams, &st->all);
    ex->handler_holds = false;
    ex->response = resp;
    ex->status = (unsigned)status;
    ex->stream = st;
    if (!ex->in_handler)
        server_exchange_resume(ex);
    return st;
}

int http_stream_write(http_stream *st, const void *data, size_t len)
{
    if (st->ended || st->cut || st->conn == NULL)
        return GW_ESTATE;
    /* An empty buffer takes any write, so one frame larger than the bound
     * still goes through (once) instead of cutting its stream forever. */
    if (st->len > 0 && (st->len >= st->max || len > st->max - st->len))
        return GW_ERANGE;
    if (st->off + st->len + len > st->cap) {
        if (st->off > 0) {
            memmove(st->buf, st->buf + st->off, st->len);
            st->off = 0;
        }
        if (st->len + len > st->cap) {
            size_t cap = st->cap ? st->cap : STREAM_KEEP_CAP;
            while (cap < st->len + len)
                cap *= 2;
            if (cap > st->max && st->max >= st->len + len)
                cap = st->max;
            char *grown = realloc(st->buf, cap);
            if (grown == NULL)
                return GW_ENOMEM;
            st->buf = grown;
            st->cap = cap;
        }
    }
    memcpy(st->buf + st->off + st->len, data, len);
    st->len += len;
    if (st->len > st->low)
        st->above_low = true;
    stream_wake(st);
    return GW_OK;
}

size_t http_stream_buffered(const http_stream *st)
{
    return st->len;
}

void http_stream_end(http_stream *st)
{
    if (st->ended || st->cut)
        return;
    st->ended = true;
    stream_wake(st);
}

void http_stream_cut(http_stream *st)
{
    if (st->cut)
        return;
    st->cut = true;
    free(st->buf);
    st->buf = NULL;
    st->off = st->len = st->cap = 0;
    dlink_remove(&st->drained);
    if (st->conn == NULL)
        return;
    /* A client that reads nothing never makes MHD call the reader again;
     * shutdown() (MHD still owns the fd) makes its next run close it. */
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(st->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (info && info->connect_fd != MHD_INVALID_SOCKET)
        (void)shutdown(info->connect_fd, SHUT_RDWR);
    stream_wake(st);
}

void server_stream_detach_all(http_server *s)
{
    for (dlink *l = s->exchanges.next; l != &s->exchanges; l = l->next) {
        http_exchange *ex = CONTAINER_OF(l, http_exchange, all);
        if (ex->stream) {
            http_stream *st = ex->stream;
            ex->stream = NULL;
            server_stream_conn_gone(st);
        }
    }
}

void server_stream_end_all(http_server *s)
{
    for (dlink *l = s->streams.next; l != &s->streams; l = l->next)
        http_stream_end(CONTAINER_OF(l, http_stream, all));
}

void server_stream_resume_all(http_server *s)
{
    for (dlink *l = s->streams.next; l != &s->streams; l = l->next) {
        http_stream *st = CONTAINER_OF(l, http_stream, all);
        st->cut = true;
        if (st->suspended) {
            st->suspended = false;
            MHD_resume_connection(st->conn);
        }
    }
}

void server_stream_run_drained(http_server *s)
{
    while (!dlink_empty(&s->streams_drained)) {
        http_stream *st = CONTAINER_OF(s->streams_drained.next, http_stream, drained);
        dlink_remove(&st->drained);
        if (st->cb.on_drain && !st->told_closed && !st->cut && !st->ended)
            st->cb.on_drain(st->arg, st);
    }
}
