/* server_io.c - a connection's socket; see server_io.h. */
#include "http/server_io.h"

#include <stdlib.h>
#include <string.h>

/* Room the input buffer offers each read; grows by doubling. */
#define IO_READ_ROOM 4096u

struct io_write {
    uv_write_t req;
    io_write_cb done;
    void *arg;
    size_t len;
    char data[];
};

io_write *server_io_write_new(size_t len)
{
    io_write *w = malloc(sizeof *w + len);
    if (w)
        w->len = len;
    return w;
}

char *server_io_write_data(io_write *w)
{
    return w->data;
}

void server_io_write_free(io_write *w)
{
    free(w);
}

/* The states in which the idle timeout watches reads: the connection is
 * reading a request, or lingering. In the others only a pending write
 * keeps it on the idle list. */
static bool watches_reads(const http_conn *c)
{
    return c->state == CONN_HEAD || c->state == CONN_BODY || c->state == CONN_DISCARD ||
           c->state == CONN_LINGER;
}

static void on_written(uv_write_t *req, int status)
{
    io_write *w = (io_write *)(void *)req;
    http_conn *c = req->handle->data;
    io_write_cb done = w->done;
    void *arg = w->arg;
    free(w);
    c->writes--;
    if (status == 0)
        server_io_touch(c);
    if (c->writes == 0 && !watches_reads(c))
        server_io_idle_off(c);
    if (done)
        done(c, status, arg);
}

int server_io_send(http_conn *c, io_write *w, io_write_cb done, void *arg)
{
    if (c->closing) {
        free(w);
        return UV_ECANCELED;
    }
    w->done = done;
    w->arg = arg;
    uv_buf_t b = uv_buf_init(w->data, (unsigned)w->len);
    int rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_written);
    if (rc != 0) {
        free(w);
        return rc;
    }
    if (c->writes++ == 0)
        server_io_touch(c);
    return 0;
}

http_conn *server_io_accept(http_server *s)
{
    http_conn *c = calloc(1, sizeof *c);
    if (c == NULL || uv_tcp_init(s->loop, &c->tcp) != 0) {
        /* Accept into a throwaway handle so the kernel's queue moves on. */
        free(c);
        return NULL;
    }
    c->server = s;
    c->tcp.data = c;
    dlink_init(&c->deadline);
    dlink_init(&c->active);
    dlink_push_back(&s->conns, &c->all);
    s->handles_open++;
    if (uv_accept((uv_stream_t *)&s->listener, (uv_stream_t *)&c->tcp) != 0) {
        server_io_close(c);
        return NULL;
    }
    return c;
}

static void on_closed(uv_handle_t *h)
{
    http_conn *c = h->data;
    c->server->conn_closed(c); /* may free the server: c is all that is left */
    free(c->in);
    free(c);
}

void server_io_close(http_conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    c->reading = false;
    dlink_remove(&c->all);
    dlink_remove(&c->deadline);
    dlink_remove(&c->active);
    uv_close((uv_handle_t *)&c->tcp, on_closed);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    (void)status;
    free(req);
}

void server_io_shutdown(http_conn *c)
{
    if (c->closing)
        return;
    uv_shutdown_t *req = malloc(sizeof *req);
    if (req == NULL || uv_shutdown(req, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
        free(req);
        server_io_close(c);
    }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    http_conn *c = h->data;
    if (c->in_len == 0)
        c->in_off = 0;
    if (c->in_cap - c->in_off - c->in_len < IO_READ_ROOM && c->in_off > 0) {
        memmove(c->in, c->in + c->in_off, c->in_len);
        c->in_off = 0;
    }
    if (c->in_cap - c->in_len < IO_READ_ROOM) {
        size_t cap = c->in_cap ? c->in_cap * 2 : IO_READ_ROOM;
        while (cap - c->in_len < IO_READ_ROOM)
            cap *= 2;
        char *grown = realloc(c->in, cap);
        if (grown == NULL) {
            *buf = uv_buf_init(NULL, 0); /* libuv reports UV_ENOBUFS */
            return;
        }
        c->in = grown;
        c->in_cap = cap;
    }
    size_t end = c->in_off + c->in_len;
    *buf = uv_buf_init(c->in + end, (unsigned)(c->in_cap - end));
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    http_conn *c = stream->data;
    if (nread == 0)
        return; /* EAGAIN: nothing this time */
    if (nread > 0) {
        c->in_len += (size_t)nread;
        /* Bytes count as moving only where the idle timeout watches reads;
         * a pipelined request arriving meanwhile is not progress. */
        if (watches_reads(c))
            server_io_touch(c);
    }
    c->on_input(c, nread);
}

void server_io_read_start(http_conn *c, void (*cb)(http_conn *c, ssize_t nread))
{
    c->on_input = cb;
    if (c->reading || c->closing)
        return;
    if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0)
        c->reading = true;
    else
        server_io_close(c);
}

void server_io_read_stop(http_conn *c)
{
    if (!c->reading)
        return;
    uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = false;
}

void server_io_consumed(http_conn *c, size_t n)
{
    c->in_off += n;
    c->in_len -= n;
    if (c->in_len == 0)
        c->in_off = 0;
}

void server_io_trim(http_conn *c)
{
    /* libuv asks on_alloc for a buffer before every read, so a buffer
     * freed between reads is simply made again when bytes come. */
    if (c->in_len == 0 && c->in != NULL) {
        free(c->in);
        c->in = NULL;
        c->in_cap = c->in_off = 0;
    }
}

void server_io_arm(http_server *s, uint64_t due_ms)
{
    if (s->finalizing)
        return;
    uint64_t now = uv_now(s->loop);
    uint64_t in = due_ms > now ? due_ms - now : 0;
    if (uv_is_active((uv_handle_t *)&s->sweep_timer) && uv_timer_get_due_in(&s->sweep_timer) <= in)
        return;
    uv_timer_start(&s->sweep_timer, s->sweep_cb, in, 0);
}

static void deadline_enter(http_conn *c, dlink *list, uint64_t after_ms)
{
    dlink_remove(&c->deadline);
    if (c->closing)
        return;
    c->deadline_since_ms = uv_now(c->server->loop);
    if (dlink_empty(list))
        server_io_arm(c->server, c->deadline_since_ms + after_ms);
    dlink_push_back(list, &c->deadline);
}

void server_io_deadline_reading(http_conn *c)
{
    deadline_enter(c, &c->server->reading, c->server->limits.receive_timeout_ms);
}

void server_io_deadline_lingering(http_conn *c)
{
    deadline_enter(c, &c->server->lingering, SERVER_LINGER_MS);
}

void server_io_deadline_none(http_conn *c)
{
    dlink_remove(&c->deadline);
}

void server_io_touch(http_conn *c)
{
    dlink_remove(&c->active);
    if (c->closing)
        return;
    http_server *s = c->server;
    c->active_since_ms = uv_now(s->loop);
    c->queue_mark = c->tcp.write_queue_size;
    if (dlink_empty(&s->active))
        server_io_arm(s, c->active_since_ms + (uint64_t)s->limits.idle_timeout_s * 1000u);
    dlink_push_back(&s->active, &c->active);
}

void server_io_idle_off(http_conn *c)
{
    dlink_remove(&c->active);
}
