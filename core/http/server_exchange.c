/* server_exchange.c - the exchange handlers see (accessors and respond*
 * from http_server.h), its answer and its lifecycle; see
 * server_exchange.h.
 */
#include "http/server_exchange.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/server_io.h"
#include "http/server_response.h"

static void exchange_free(http_exchange *ex)
{
    free(ex->target);
    free(ex->method);
    free(ex->headers);
    free(ex->body);
    free(ex);
}

void server_exchange_release(http_exchange *ex)
{
    if (ex->handler_holds || ex->conn != NULL)
        return;
    dlink_remove(&ex->waiting);
    dlink_remove(&ex->all);
    exchange_free(ex);
}

static char *copy_span(const char *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

/* Headers as one block: the array, then each name (lower-cased) and
 * value, NUL-terminated. */
static bool copy_headers(http_exchange *ex, const char *buf, const parse_head *h)
{
    if (h->field_count == 0)
        return true;
    size_t bytes = h->field_count * sizeof(gw_http_header);
    for (size_t i = 0; i < h->field_count; i++)
        bytes += h->fields[i].name_len + h->fields[i].value_len + 2;
    ex->headers = malloc(bytes);
    if (ex->headers == NULL)
        return false;
    char *text = (char *)(ex->headers + h->field_count);
    for (size_t i = 0; i < h->field_count; i++) {
        const parse_field *f = &h->fields[i];
        ex->headers[i].name = text;
        for (size_t k = 0; k < f->name_len; k++) {
            char ch = buf[f->name_off + k];
            *text++ = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
        }
        *text++ = '\0';
        ex->headers[i].value = text;
        memcpy(text, buf + f->value_off, f->value_len);
        text += f->value_len;
        *text++ = '\0';
    }
    ex->header_count = h->field_count;
    return true;
}

http_exchange *server_exchange_new(http_conn *c, const char *buf, const parse_head *h)
{
    http_exchange *ex = calloc(1, sizeof *ex);
    if (ex == NULL)
        return NULL;
    ex->method = h ? copy_span(buf + h->method_off, h->method_len) : copy_span("", 0);
    ex->target = h ? copy_span(buf + h->target_off, h->target_len) : copy_span("", 0);
    if (ex->method == NULL || ex->target == NULL || (h && !copy_headers(ex, buf, h))) {
        exchange_free(ex);
        return NULL;
    }
    char *q = strchr(ex->target, '?');
    if (q) {
        *q = '\0';
        ex->query = q + 1;
    } else {
        ex->query = "";
    }
    ex->path = ex->target;
    ex->path_tail = "";
    ex->minor = h ? h->minor : 1;
    ex->head_only = strcmp(ex->method, "HEAD") == 0;
    memcpy(ex->remote, c->remote, sizeof ex->remote);
    ex->server = c->server;
    ex->conn = c;
    dlink_init(&ex->waiting);
    dlink_push_back(&c->server->exchanges, &ex->all);
    c->ex = ex;
    return ex;
}

bool server_exchange_body_room(http_exchange *ex, size_t more)
{
    if (ex->body_len + more + 1 <= ex->body_cap)
        return true;
    size_t cap = ex->body_cap < SERVER_BODY_INITIAL_CAP ? SERVER_BODY_INITIAL_CAP : ex->body_cap;
    while (cap < ex->body_len + more + 1)
        cap *= 2;
    unsigned char *grown = realloc(ex->body, cap);
    if (grown == NULL)
        return false;
    ex->body = grown;
    ex->body_cap = cap;
    return true;
}

/* ------------------------------------------------------------------------
 * Sending an answer.
 */

/* The answer left (or failed): count it, let the connection go on. */
static void on_answer_sent(http_conn *c, int status, void *arg)
{
    http_exchange *ex = arg;
    http_server *s = c->server;
    if (status == 0 && ex->status < 600)
        s->stats.responses_by_status[ex->status]++;
    else if (status != 0)
        s->stats.aborted++;
    c->ex = NULL;
    ex->conn = NULL;
    ex->expired = true;
    server_exchange_release(ex);
    if (status != 0)
        server_io_close(c);
    else
        s->conn_next(c);
}

static void on_stream_head_sent(http_conn *c, int status, void *arg)
{
    (void)arg;
    if (status != 0)
        server_io_close(c);
}

/* Head, then body unless HEAD, 204, 304 or a stream; what the client
 * sends meanwhile waits in its buffer until the answer is out. */
static void send_answer(http_exchange *ex, response_head *h, const void *body, size_t len)
{
    http_conn *c = ex->conn;
    http_server *s = c->server;
    ex->answered = true;
    ex->status = h->status;
    dlink_remove(&ex->waiting);
    h->close = h->chunked || c->close_after || s->closing;
    h->content_length = len;
    const char *date = server_response_date(s);
    size_t head = server_response_head(NULL, 0, h, date);
    /* HEAD, 204 and 304 answers have no body (RFC 9110 6.4.1). */
    bool bodiless = ex->head_only || h->chunked || h->status == 204 || h->status == 304;
    size_t body_out = bodiless ? 0 : len;
    io_write *w = server_io_write_new(head + body_out);
    if (w == NULL) {
        server_io_close(c); /* no memory for an answer: the client sees the close */
        return;
    }
    char *out = server_io_write_data(w);
    server_response_head(out, head, h, date);
    if (body_out)
        memcpy(out + head, body, body_out);
    server_io_deadline_none(c);
    if (h->chunked) {
        c->state = CONN_STREAM;
        s->stats.responses_by_status[h->status]++;
        if (server_io_send(c, w, on_stream_head_sent, NULL) != 0)
            server_io_close(c);
        return;
    }
    c->state = CONN_SENDING;
    if (server_io_send(c, w, on_answer_sent, ex) != 0) {
        server_io_close(c);
        return;
    }
}

void server_exchange_answer(http_exchange *ex, unsigned status, const char *code,
                            const char *message, unsigned allow)
{
    /* Used only when even the JSON cannot be built: the body stays valid. */
    static const char fallback[] = "{\"error\":\"internal_error\",\"message\":\"out of memory\"}";
    char *text = server_error_json(code, message);
    response_head h = {.status = status, .content_type = "application/json", .allow = allow};
    send_answer(ex, &h, text ? text : fallback, text ? strlen(text) : sizeof fallback - 1);
    free(text);
}

bool server_exchange_send_head(http_exchange *ex, unsigned status, const char *content_type,
                               const gw_http_header *extra, size_t n_extra, bool chunked,
                               const void *body, size_t len)
{
    http_server *s = ex->server;
    response_head h = {.status = status,
                       .content_type = content_type,
                       .extra = extra,
                       .n_extra = n_extra,
                       .chunked = chunked};
    const char *bad = server_response_refused(&h);
    if (bad) {
        log_warn(s->log, SERVER_COMPONENT,
                 "%s %.200s: refused response header \"%.64s\" (empty, CR/LF or another control "
                 "byte, or managed by the server such as Content-Length); answering 500",
                 ex->method, ex->path, bad);
        server_exchange_answer(ex, 500, "internal_error", "the handler's answer could not be sent",
                               0);
        return false;
    }
    send_answer(ex, &h, body, len);
    return true;
}

void server_exchange_wait(http_exchange *ex)
{
    http_server *s = ex->server;
    ex->waiting_since_ms = uv_now(s->loop);
    if (dlink_empty(&s->waiting))
        server_io_arm(s, ex->waiting_since_ms + s->limits.request_timeout_ms);
    dlink_push_back(&s->waiting, &ex->waiting);
}

void server_exchange_answer_for_handler(http_exchange *ex, unsigned status, const char *code,
                                        const char *message)
{
    ex->expired = true;
    dlink_remove(&ex->waiting);
    if (ex->conn == NULL || ex->answered)
        return;
    server_exchange_answer(ex, status, code, message, 0);
}

void server_exchange_detach(http_exchange *ex)
{
    if (ex->conn) {
        ex->conn->ex = NULL;
        ex->conn = NULL;
    }
    ex->expired = true;
    server_exchange_release(ex);
}

void server_exchange_conn_gone(http_exchange *ex)
{
    if (ex->conn && !ex->answered && ex->server)
        ex->server->stats.aborted++;
    dlink_remove(&ex->waiting);
    ex->conn = NULL;
    ex->expired = true;
    server_exchange_release(ex);
}

void server_exchange_detach_all(http_server *s)
{
    while (!dlink_empty(&s->exchanges)) {
        http_exchange *ex = CONTAINER_OF(s->exchanges.next, http_exchange, all);
        dlink_remove(&ex->all);
        dlink_remove(&ex->waiting);
        ex->server = NULL;
        ex->conn = NULL;
        ex->expired = true;
    }
}

/* ------------------------------------------------------------------------
 * Accessors and answers (http_server.h).
 */
const char *http_exchange_method(const http_exchange *ex)
{
    return ex->method;
}

const char *http_exchange_path(const http_exchange *ex)
{
    return ex->path;
}

const char *http_exchange_path_tail(const http_exchange *ex)
{
    return ex->path_tail;
}

const char *http_exchange_query(const http_exchange *ex)
{
    return ex->query;
}

const char *http_exchange_header(const http_exchange *ex, const char *name)
{
    for (size_t i = 0; i < ex->header_count; i++) {
        if (strcasecmp(ex->headers[i].name, name) == 0)
            return ex->headers[i].value;
    }
    return NULL;
}

const gw_http_header *http_exchange_headers(const http_exchange *ex, size_t *count)
{
    if (count)
        *count = ex->header_count;
    return ex->headers;
}

const unsigned char *http_exchange_body(const http_exchange *ex, size_t *len)
{
    if (len)
        *len = ex->body_len;
    return ex->body;
}

const char *http_exchange_remote_addr(const http_exchange *ex)
{
    return ex->remote;
}

int http_exchange_expired(const http_exchange *ex)
{
    return ex->expired || ex->conn == NULL;
}

void http_exchange_respond(http_exchange *ex, int status, const char *content_type,
                           const void *body, size_t len, const gw_http_header *extra_headers,
                           size_t n_extra)
{
    if (ex == NULL || !ex->handler_holds)
        return; /* a second respond: the contract says once; ignore it */
    ex->handler_holds = false;
    dlink_remove(&ex->waiting);
    if (ex->expired || ex->conn == NULL || ex->answered) {
        server_exchange_release(ex);
        return;
    }
    if (status < 200 || status > 599) {
        log_warn(ex->server->log, SERVER_COMPONENT,
                 "%s %.200s: handler answered status %d; answering 500", ex->method, ex->path,
                 status);
        server_exchange_answer(ex, 500, "internal_error", "the handler produced an invalid status",
                               0);
        return;
    }
    server_exchange_send_head(ex, (unsigned)status, content_type, extra_headers, n_extra, false,
                              body, len);
}

void http_exchange_respond_json(http_exchange *ex, int status, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (text == NULL) {
        http_exchange_respond_error(ex, 500, "internal_error",
                                    "the handler's answer could not be serialised");
        return;
    }
    http_exchange_respond(ex, status, "application/json", text, strlen(text), NULL, 0);
    free(text);
}

void http_exchange_respond_error_headers(http_exchange *ex, int status, const char *code,
                                         const char *message, const gw_http_header *headers,
                                         size_t n_headers)
{
    char *text = server_error_json(code ? code : "error", message ? message : "");
    if (text == NULL) {
        static const char fallback[] =
            "{\"error\":\"internal_error\",\"message\":\"out of memory\"}";
        http_exchange_respond(ex, 500, "application/json", fallback, sizeof fallback - 1, NULL, 0);
        return;
    }
    http_exchange_respond(ex, status, "application/json", text, strlen(text), headers,
                          n_headers);
    free(text);
}

void http_exchange_respond_error(http_exchange *ex, int status, const char *code,
                                 const char *message)
{
    http_exchange_respond_error_headers(ex, status, code, message, NULL, 0);
}
