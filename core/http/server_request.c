/* server_request.c - requests on a connection: head, checks, routing,
 * body, dispatch; see server_request.h.
 *
 * Input arrives in the connection's buffer (server_io.c); process() takes
 * from it what the connection's state wants: a head, then body bytes. A
 * request is judged on its head alone wherever possible, so a doomed
 * request is answered before its body is read. While the handler holds
 * the exchange and while the answer is written, input is still read
 * (on_input: a reset is noticed at once) but not processed: the client's
 * next (pipelined) request waits in the buffer, and past a head's worth
 * in the kernel.
 */
#include "http/server_request.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/error.h"
#include "http/server_exchange.h"
#include "http/server_io.h"
#include "http/server_parse.h"
#include "http/server_routes.h"

/* A chunk-size line (size and extensions) longer than this is refused. */
#define CHUNK_LINE_MAX 1024u

static const char continue_line[] = "HTTP/1.1 100 Continue\r\n\r\n";

static void on_input(http_conn *c, ssize_t nread);

/* Answer the request on c with the server's own error. With `close` the
 * connection closes after the answer: the request's end is in doubt or a
 * body is still on its way. */
static void reject(http_conn *c, unsigned status, const char *code, const char *message,
                   unsigned allow, bool close)
{
    http_server *s = c->server;
    if (status == 431 || status == 414)
        s->stats.rejected_header_too_large++;
    if (close)
        c->close_after = true;
    c->got_bytes = false;
    server_exchange_answer(c->ex, status, code, message, allow);
}

/* A header's value by lower-case name, and how many times it came. */
static const char *header_of(const http_exchange *ex, const char *name, unsigned *count)
{
    const char *v = NULL;
    *count = 0;
    for (size_t i = 0; i < ex->header_count; i++) {
        if (strcmp(ex->headers[i].name, name) == 0) {
            if ((*count)++ == 0)
                v = ex->headers[i].value;
        }
    }
    return v;
}

/* Whether a comma-separated header value lists `token` (any case). */
static bool lists_token(const char *value, const char *token)
{
    size_t n = strlen(token);
    for (const char *p = value; p && *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ',' && *e != ' ' && *e != '\t')
            e++;
        if ((size_t)(e - p) == n && strncasecmp(p, token, n) == 0)
            return true;
        p = e;
    }
    return false;
}

/* ------------------------------------------------------------------------
 * Dispatch.
 */
static void dispatch(http_conn *c)
{
    http_server *s = c->server;
    http_exchange *ex = c->ex;
    if (s->closing) {
        reject(c, 503, "shutting_down", "the server is shutting down", 0, true);
        return;
    }
    c->state = CONN_HANDLING;
    c->got_bytes = false;
    server_io_deadline_none(c);
    server_io_idle_off(c);
    ex->handler_holds = true;
    ex->handler(ex->handler_arg, ex);
    /* The handler may have answered (the connection is sending), started
     * a stream (ex is freed already) or let the connection close: only an
     * exchange still held by both is waited for. */
    if (c->closing || c->ex != ex || c->state != CONN_HANDLING)
        return;
    if (s->closing)
        server_exchange_answer_for_handler(ex, 503, "shutting_down", "the server is shutting down");
    else
        server_exchange_wait(ex);
}

/* ------------------------------------------------------------------------
 * The head.
 */

/* Judge a parsed head: every answer that needs no body. Returns true when
 * the request goes on to its body or handler, false when answered. */
static bool judge(http_conn *c)
{
    http_server *s = c->server;
    http_exchange *ex = c->ex;
    unsigned n_len, n_te, n_host, n;
    const char *cl = header_of(ex, "content-length", &n_len);
    const char *te = header_of(ex, "transfer-encoding", &n_te);
    header_of(ex, "host", &n_host);
    const char *conn_hdr = header_of(ex, "connection", &n);
    if (ex->minor == 0 || (conn_hdr && lists_token(conn_hdr, "close")))
        c->close_after = true;

    unsigned long long length = 0;
    bool length_ok = true, too_long = false;
    if (cl) {
        length_ok = *cl != '\0';
        for (const char *p = cl; *p && length_ok; p++) {
            if (*p < '0' || *p > '9')
                length_ok = false;
            else if (length > (~0ULL - 9) / 10)
                too_long = true;
            else
                length = length * 10 + (unsigned long long)(*p - '0');
        }
    }
    bool has_body = (cl && (length > 0 || too_long)) || te != NULL;

    if (s->closing) {
        reject(c, 503, "shutting_down", "the server is shutting down", 0, has_body);
        return false;
    }
    if (n_len > 1 || n_te > 1 || (n_len && n_te)) {
        reject(c, 400, "bad_request",
               "the body length is ambiguous: repeated or combined Content-Length and "
               "Transfer-Encoding headers",
               0, true);
        return false;
    }
    if (!length_ok) {
        reject(c, 400, "bad_request", "Content-Length must be a number of bytes", 0, true);
        return false;
    }
    if (ex->minor == 1 && n_host == 0) {
        reject(c, 400, "bad_request", "HTTP/1.1 requests must carry a Host header", 0, true);
        return false;
    }
    if (te && strcasecmp(te, "chunked") != 0) {
        reject(c, 501, "unsupported_transfer_encoding",
               "only Transfer-Encoding: chunked is supported", 0, true);
        return false;
    }
    if (!server_target_is_valid(ex->target) || !server_query_is_valid(ex->query)) {
        reject(c, 400, "bad_request",
               "the request target must be a path starting with '/', without spaces, control "
               "characters or %00",
               0, true);
        return false;
    }
    unsigned allowed = 0;
    const server_route *r = server_routes_find(
        &s->routes, ex->path, server_method_bit(ex->method, strlen(ex->method)), &allowed);
    if (r == NULL && allowed) {
        reject(c, 405, "method_not_allowed",
               "this path does not accept this method; see the Allow header", allowed, has_body);
        return false;
    }
    if (r == NULL) {
        reject(c, 404, "not_found", "no such path", 0, has_body);
        return false;
    }
    if (too_long || length > s->limits.max_body_bytes) {
        s->stats.rejected_body_too_large++;
        reject(c, 413, "body_too_large", "the request body exceeds the server's limit", 0, true);
        return false;
    }
    ex->handler = r->handler;
    ex->handler_arg = r->arg;
    ex->path_tail = r->prefix ? ex->path + r->path_len : "";

    /* Content-Length sizes the buffer exactly; chunked grows it. */
    c->chunked_body = te != NULL;
    c->body_left = length;
    c->body_seen = 0;
    if (!server_exchange_body_room(ex, (size_t)length)) {
        server_io_close(c);
        return false;
    }
    ex->body[0] = '\0';
    if (c->chunked_body)
        parse_chunked_init(&c->chunked, CHUNK_LINE_MAX, s->limits.max_header_bytes);
    const char *expect = header_of(ex, "expect", &n);
    if (has_body && ex->minor == 1 && c->in_len == 0 && expect &&
        strcasecmp(expect, "100-continue") == 0) {
        io_write *w = server_io_write_new(sizeof continue_line - 1);
        if (w) {
            memcpy(server_io_write_data(w), continue_line, sizeof continue_line - 1);
            if (server_io_send(c, w, NULL, NULL) != 0)
                server_io_close(c);
        }
    }
    c->state = CONN_BODY;
    return true;
}

/* Read a head from the input. Returns true when the connection's state
 * moved on (process goes on), false when it needs more input or is done. */
static bool read_head(http_conn *c)
{
    http_server *s = c->server;
    if (!c->got_bytes)
        server_io_consumed(c, parse_skip_empty_lines(c->in + c->in_off, c->in_len));
    if (c->in_len == 0) {
        if (s->closing && !c->got_bytes)
            server_io_close(c); /* idle during a close: nothing owed */
        return false;
    }
    c->got_bytes = true;
    const char *buf = c->in + c->in_off;
    size_t end = parse_head_end(buf, c->in_len, &c->head_scan);
    size_t limit = s->limits.max_header_bytes;
    if (end == 0 && c->in_len <= limit)
        return false;
    c->head_scan = 0;
    s->stats.requests++;
    if (end == 0 || end > limit) {
        bool line_too_long = parse_request_line_end(buf, c->in_len < limit ? c->in_len : limit) == 0;
        if (server_exchange_new(c, buf, NULL) == NULL) {
            server_io_close(c);
            return false;
        }
        server_io_consumed(c, c->in_len);
        if (line_too_long)
            reject(c, 414, "uri_too_long", "the request line exceeds the server's limit", 0, true);
        else
            reject(c, 431, "headers_too_large",
                   "the request line and headers exceed the server's limit", 0, true);
        return false;
    }
    parse_head h;
    const char *why = NULL;
    int rc = parse_head_read(buf, end, &h, &why);
    http_exchange *ex = server_exchange_new(c, buf, rc == 0 ? &h : NULL);
    free(h.fields);
    server_io_consumed(c, end);
    if (rc < 0 || ex == NULL) {
        server_io_close(c);
        return false;
    }
    if (rc != 0) {
        reject(c, (unsigned)rc, rc == 505 ? "http_version_not_supported" : "bad_request", why, 0,
               true);
        return false;
    }
    return judge(c);
}

/* ------------------------------------------------------------------------
 * The body.
 */

/* Take n body bytes; past the limit the body is dropped (chunked only:
 * a Content-Length over the limit was refused from the head). */
static bool take(http_conn *c, const char *data, size_t n)
{
    http_server *s = c->server;
    http_exchange *ex = c->ex;
    c->body_seen += n;
    if (c->state == CONN_DISCARD)
        return true;
    if (ex->body_len + n > s->limits.max_body_bytes) {
        c->state = CONN_DISCARD;
        s->stats.rejected_body_too_large++;
        free(ex->body);
        ex->body = NULL;
        ex->body_len = ex->body_cap = 0;
        return true;
    }
    if (!server_exchange_body_room(ex, n))
        return false;
    memcpy(ex->body + ex->body_len, data, n);
    ex->body_len += n;
    ex->body[ex->body_len] = '\0';
    return true;
}

static bool read_body(http_conn *c)
{
    http_server *s = c->server;
    if (!c->chunked_body) {
        size_t n = c->in_len < c->body_left ? c->in_len : (size_t)c->body_left;
        if (n > 0 && !take(c, c->in + c->in_off, n)) {
            server_io_close(c);
            return false;
        }
        server_io_consumed(c, n);
        c->body_left -= n;
        if (c->body_left > 0)
            return false;
        dispatch(c);
        return true;
    }
    while (c->in_len > 0 && c->chunked.state != CHUNK_DONE && c->chunked.state != CHUNK_ERROR) {
        const char *data;
        size_t n;
        size_t used = parse_chunked_step(&c->chunked, c->in + c->in_off, c->in_len, &data, &n);
        if (n > 0 && !take(c, data, n)) {
            server_io_close(c);
            return false;
        }
        server_io_consumed(c, used);
        /* An oversized body is read to its end to answer 413, but not
         * without bound. */
        if (c->state == CONN_DISCARD &&
            c->body_seen > 2 * (uint64_t)s->limits.max_body_bytes + SERVER_BODY_INITIAL_CAP) {
            log_debug(s->log, SERVER_COMPONENT, "closing a connection whose oversized body goes on");
            server_io_close(c);
            return false;
        }
    }
    if (c->chunked.state == CHUNK_ERROR) {
        reject(c, 400, "bad_request", c->chunked.why, 0, true);
        return false;
    }
    if (c->chunked.state != CHUNK_DONE)
        return false;
    if (c->state == CONN_DISCARD) {
        reject(c, 413, "body_too_large", "the request body exceeds the server's limit", 0, true);
        return false;
    }
    dispatch(c);
    return true;
}

/* ------------------------------------------------------------------------
 * The connection's input.
 */
static void process(http_conn *c)
{
    while (!c->closing) {
        bool more;
        if (c->state == CONN_HEAD)
            more = read_head(c);
        else if (c->state == CONN_BODY || c->state == CONN_DISCARD)
            more = read_body(c);
        else
            return;
        if (!more)
            return;
    }
}

/* Input arrives in every state: the connection stays read while a
 * handler works and its answer is written (stopping and restarting would
 * cost two epoll_ctl calls a request), and only what is read then waits. */
static void on_input(http_conn *c, ssize_t nread)
{
    bool answering = c->state == CONN_HANDLING || c->state == CONN_SENDING;
    if (nread == UV_EOF && answering) {
        /* The client shut its side after its request (a half-close):
         * answer, then close. A reset, below, means it is gone. */
        c->peer_eof = true;
        c->close_after = true;
        server_io_read_stop(c);
        return;
    }
    if (nread < 0) {
        /* EOF or an error: the client is gone (a stream's too). */
        server_io_close(c);
        return;
    }
    if (c->state == CONN_STREAM || c->state == CONN_LINGER) {
        server_io_consumed(c, c->in_len); /* nothing more is read as a request */
        server_io_trim(c);
        return;
    }
    if (answering) {
        /* A pipelined request waits; past a head's worth, so does the
         * client (the kernel's buffers fill). */
        if (c->in_len > c->server->limits.max_header_bytes)
            server_io_read_stop(c);
        return;
    }
    process(c);
}

void server_request_start(http_conn *c)
{
    c->state = CONN_HEAD;
    server_io_deadline_reading(c);
    server_io_touch(c);
    server_io_read_start(c, on_input);
}

void server_request_next(http_conn *c)
{
    http_server *s = c->server;
    if (c->closing)
        return;
    if (c->peer_eof) {
        server_io_close(c); /* everything it sent was read: a clean close */
        return;
    }
    if (c->close_after || s->closing) {
        c->state = CONN_LINGER;
        server_io_shutdown(c);
        server_io_consumed(c, c->in_len);
        server_io_deadline_lingering(c);
        server_io_touch(c);
        server_io_read_start(c, on_input);
        return;
    }
    c->state = CONN_HEAD;
    server_io_deadline_reading(c);
    server_io_touch(c);
    server_io_read_start(c, on_input);
    process(c); /* a pipelined request may be waiting already */
}
