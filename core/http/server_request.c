/* server_request.c - MHD's request callbacks: intake, checks, routing,
 * the body under its limit, and dispatch to the handler; see
 * server_request.h.
 */
#include "http/server_request.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "gateway/error.h"
#include "http/server_conns.h"
#include "http/server_exchange.h"
#include "http/server_head.h"
#include "http/server_response.h"
#include "http/server_routes.h"
#include "http/server_state.h"
#include "http/server_stream.h"

/* The request line is complete: MHD hands over the raw target before it
 * splits and percent-decodes it, so this is where the raw path and query
 * are kept. The return value becomes the request context. */
void *server_request_on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    http_server *s = cls;
    s->stats.requests++;
    http_exchange *ex = calloc(1, sizeof *ex);
    if (ex == NULL)
        return NULL;
    ex->target = strdup(uri ? uri : "");
    if (ex->target == NULL) {
        free(ex);
        return NULL;
    }
    /* Where MHD keeps the target, to find a NUL hidden in it once the
     * whole head has arrived (server_head.h). */
    ex->uri_addr = (uintptr_t)uri;
    ex->uri_len = strlen(ex->target);
    char *q = strchr(ex->target, '?');
    if (q) {
        *q = '\0';
        ex->query = q + 1;
    } else {
        ex->query = "";
    }
    ex->path = ex->target;
    ex->path_tail = "";
    ex->server = s;
    ex->conn = c;
    ex->state = EX_NEW;
    dlink_init(&ex->waiting);
    dlink_push_back(&s->exchanges, &ex->all);
    return ex;
}

/* ------------------------------------------------------------------------
 * Intake: copies out of MHD's per-connection pool.
 */
typedef struct header_copy {
    size_t count, bytes; /* first pass: sizes */
    gw_http_header *out; /* second pass: fill */
    char *text;
    size_t i;
} header_copy;

static enum MHD_Result header_measure(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    (void)kind;
    header_copy *hc = cls;
    hc->count++;
    hc->bytes += strlen(key) + 1 + strlen(value ? value : "") + 1;
    return MHD_YES;
}

static enum MHD_Result header_fill(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    header_copy *hc = cls;
    if (hc->i >= hc->count)
        return MHD_NO;
    gw_http_header *h = &hc->out[hc->i++];
    size_t klen = strlen(key);
    for (size_t k = 0; k <= klen; k++)
        hc->text[k] = (char)((key[k] >= 'A' && key[k] <= 'Z') ? key[k] - 'A' + 'a' : key[k]);
    h->name = hc->text;
    hc->text += klen + 1;
    size_t vlen = strlen(value ? value : "");
    memcpy(hc->text, value ? value : "", vlen + 1);
    h->value = hc->text;
    hc->text += vlen + 1;
    return MHD_YES;
}

/* Copy method, headers and peer address out of MHD's per-connection pool,
 * which may be gone by the time a suspended handler answers. */
static int exchange_capture(http_exchange *ex, struct MHD_Connection *c, const char *method)
{
    ex->method = strdup(method);
    if (ex->method == NULL)
        return GW_ENOMEM;
    header_copy hc = {0};
    MHD_get_connection_values(c, MHD_HEADER_KIND, header_measure, &hc);
    if (hc.count > 0) {
        ex->headers = malloc(hc.count * sizeof(gw_http_header) + hc.bytes);
        if (ex->headers == NULL)
            return GW_ENOMEM;
        hc.out = ex->headers;
        hc.text = (char *)(ex->headers + hc.count);
        MHD_get_connection_values(c, MHD_HEADER_KIND, header_fill, &hc);
        ex->header_count = hc.i;
    }
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = info ? info->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, ex->remote,
                  sizeof ex->remote);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, ex->remote,
                  sizeof ex->remote);
    return GW_OK;
}

/* ------------------------------------------------------------------------
 * Checks.
 */
static bool is_token(const char *name)
{
    if (*name == '\0')
        return false;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr("!#$%&'*+-.^_`|~", *p) != NULL))
            return false;
    }
    return true;
}

/* Checks left to us: MHD 0.9.75's strict mode would do the Host check but
 * garbles its own 400 (headers sent twice), and it accepts header names
 * with spaces. One unambiguous body framing keeps a proxy in front and
 * this server agreed on where a request ends. NULL when fine, else the
 * reason for a 400. */
static const char *request_malformed(const http_exchange *ex, struct MHD_Connection *c,
                                     const char *method, const char *version)
{
    if (!server_head_is_clean(c, method, ex->uri_addr, ex->uri_len, version))
        return "the request line or a header holds a NUL byte (or a header is folded over "
               "lines)";
    bool http11_or_later =
        strncmp(version, "HTTP/1.", 7) == 0 && strcmp(version, MHD_HTTP_VERSION_1_0) != 0;
    if (http11_or_later && http_exchange_header(ex, "host") == NULL)
        return "HTTP/1.1 requests must carry a Host header";
    size_t lengths = 0, encodings = 0;
    for (size_t i = 0; i < ex->header_count; i++) {
        const char *name = ex->headers[i].name;
        if (!is_token(name))
            return "a header name is not a valid token";
        lengths += strcmp(name, "content-length") == 0;
        encodings += strcmp(name, "transfer-encoding") == 0;
    }
    if (lengths > 1 || encodings > 1 || (lengths && encodings))
        return "the body length is ambiguous: repeated or combined Content-Length and "
               "Transfer-Encoding headers";
    return NULL;
}

/* Content-Length as a number; -1 when absent or not a plain number (MHD
 * has already answered 400 to a malformed one). */
static long long content_length(struct MHD_Connection *c)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (v == NULL || *v < '0' || *v > '9')
        return -1;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || *end != '\0' || n > LLONG_MAX)
        return LLONG_MAX;
    return (long long)n;
}

static bool request_has_body(struct MHD_Connection *c)
{
    long long len = content_length(c);
    return len > 0 || MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                  MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL;
}

/* ------------------------------------------------------------------------
 * Answering through MHD.
 */

/* Hand the pending response to MHD; it takes its own reference. */
static enum MHD_Result exchange_queue(http_exchange *ex, struct MHD_Connection *c)
{
    struct MHD_Response *resp = ex->response;
    ex->response = NULL;
    ex->state = EX_ANSWERED;
    server_conn_stop_reading(server_conn_of(c));
    if (resp == NULL)
        return MHD_NO; /* no memory for an answer: MHD closes the connection */
    enum MHD_Result ret = MHD_queue_response(c, ex->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result exchange_answer_now(http_exchange *ex, struct MHD_Connection *c,
                                           unsigned status, const char *code, const char *message,
                                           unsigned allow)
{
    http_server *s = ex->server;
    if (ex->response)
        MHD_destroy_response(ex->response);
    ex->response = server_response_error(s->log, s->closing, code, message, allow);
    ex->status = status;
    return exchange_queue(ex, c);
}

static enum MHD_Result exchange_dispatch(http_exchange *ex, struct MHD_Connection *c)
{
    http_server *s = ex->server;
    server_conn_stop_reading(server_conn_of(c));
    ex->state = EX_HANDLING;
    ex->handler_holds = true;
    ex->in_handler = true;
    ex->handler(ex->handler_arg, ex);
    ex->in_handler = false;
    if (ex->response)
        return exchange_queue(ex, c);
    if (!ex->handler_holds)
        return MHD_NO; /* it answered, but no response could be built */
    if (s->closing) {
        ex->expired = true;
        return exchange_answer_now(ex, c, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting_down",
                                   "the server is shutting down", 0);
    }
    /* Answer later: MHD stops watching the socket until resumed. */
    MHD_suspend_connection(c);
    ex->suspended = true;
    ex->waiting_since_ms = uv_now(s->loop);
    dlink_push_back(&s->waiting, &ex->waiting);
    return MHD_YES;
}

/* ------------------------------------------------------------------------
 * The request's stages.
 */

/* First call, headers complete: decide everything that does not need the
 * body, so a doomed request is answered before its body is read. */
static enum MHD_Result exchange_begin(http_exchange *ex, struct MHD_Connection *c,
                                      const char *method, const char *version)
{
    http_server *s = ex->server;
    if (exchange_capture(ex, c, method) != GW_OK)
        return MHD_NO;

    unsigned allowed = 0;
    const server_route *r = NULL;
    const char *malformed = request_malformed(ex, c, method, version);
    const char *te = http_exchange_header(ex, "transfer-encoding");
    const union MHD_ConnectionInfo *head =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    if (s->closing) {
        ex->reject_status = MHD_HTTP_SERVICE_UNAVAILABLE;
        ex->reject_code = "shutting_down";
        ex->reject_message = "the server is shutting down";
    } else if (head && head->header_size > s->limits.max_header_bytes) {
        ex->reject_status = MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE;
        ex->reject_code = "headers_too_large";
        ex->reject_message = "the request line and headers exceed the server's limit";
    } else if (malformed) {
        ex->reject_status = MHD_HTTP_BAD_REQUEST;
        ex->reject_code = "bad_request";
        ex->reject_message = malformed;
    } else if (te && strcasecmp(te, "chunked") != 0) {
        /* MHD would read such a body until the connection ends. */
        ex->reject_status = MHD_HTTP_NOT_IMPLEMENTED;
        ex->reject_code = "unsupported_transfer_encoding";
        ex->reject_message = "only Transfer-Encoding: chunked is supported";
    } else if (!server_target_is_valid(ex->target) || !server_query_is_valid(ex->query)) {
        ex->reject_status = MHD_HTTP_BAD_REQUEST;
        ex->reject_code = "bad_request";
        ex->reject_message = "the request target must be a path starting with '/', "
                             "without spaces, control characters or %00";
    } else if ((r = server_routes_find(&s->routes, ex->path,
                                       server_method_bit(method, strlen(method)), &allowed)) ==
               NULL) {
        if (allowed) {
            ex->reject_status = MHD_HTTP_METHOD_NOT_ALLOWED;
            ex->reject_code = "method_not_allowed";
            ex->reject_message = "this path does not accept this method; see the Allow header";
            ex->reject_allow = allowed;
        } else {
            ex->reject_status = MHD_HTTP_NOT_FOUND;
            ex->reject_code = "not_found";
            ex->reject_message = "no such path";
        }
    } else if (content_length(c) > 0 &&
               (unsigned long long)content_length(c) > s->limits.max_body_bytes) {
        ex->reject_status = MHD_HTTP_CONTENT_TOO_LARGE;
        ex->reject_code = "body_too_large";
        ex->reject_message = "the request body exceeds the server's limit";
        s->stats.rejected_body_too_large++;
    }

    if (ex->reject_status) {
        /* With a body, or when where the request ends is in doubt, answer
         * now: MHD then skips the body and closes the connection. Else
         * answer at the next call (same MHD run), keeping it alive. */
        if (request_has_body(c) || ex->reject_status == MHD_HTTP_BAD_REQUEST ||
            ex->reject_status == MHD_HTTP_NOT_IMPLEMENTED ||
            ex->reject_status == MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE)
            return exchange_answer_now(ex, c, (unsigned)ex->reject_status, ex->reject_code,
                                       ex->reject_message, ex->reject_allow);
        ex->state = EX_REJECTING;
        return MHD_YES;
    }

    ex->handler = r->handler;
    ex->handler_arg = r->arg;
    ex->path_tail = r->prefix ? ex->path + r->path_len : "";
    /* Content-Length (already checked against the limit) sizes the buffer
     * exactly; a chunked body grows it; no body needs only the NUL. */
    long long len = content_length(c);
    size_t cap = 0;
    if (len > 0)
        cap = (size_t)len;
    else if (te)
        cap = SERVER_BODY_INITIAL_CAP < s->limits.max_body_bytes ? SERVER_BODY_INITIAL_CAP
                                                                 : s->limits.max_body_bytes;
    ex->body_cap = cap + 1;
    ex->body = malloc(ex->body_cap);
    if (ex->body == NULL)
        return MHD_NO;
    ex->body[0] = '\0';
    ex->state = EX_RECEIVING;
    return MHD_YES;
}

/* A body chunk. Bytes are always consumed so MHD keeps reading. */
static enum MHD_Result exchange_take(http_exchange *ex, const char *data, size_t size)
{
    http_server *s = ex->server;
    ex->body_seen += size;
    if (ex->state == EX_DISCARDING) {
        /* Only a chunked body gets here; answering needs its end, but a
         * client still sending after twice the limit is not waited for. */
        if (ex->body_seen > 2 * (uint64_t)s->limits.max_body_bytes + SERVER_BODY_INITIAL_CAP) {
            log_debug(s->log, SERVER_COMPONENT,
                      "closing a connection whose oversized body goes on");
            return MHD_NO;
        }
        return MHD_YES;
    }
    if (ex->body_len + size > s->limits.max_body_bytes) {
        ex->state = EX_DISCARDING;
        s->stats.rejected_body_too_large++;
        free(ex->body);
        ex->body = NULL;
        ex->body_len = ex->body_cap = 0;
        return MHD_YES;
    }
    if (ex->body_len + size + 1 > ex->body_cap) {
        size_t cap =
            ex->body_cap < SERVER_BODY_INITIAL_CAP ? SERVER_BODY_INITIAL_CAP : ex->body_cap;
        while (cap < ex->body_len + size + 1)
            cap *= 2;
        if (cap > s->limits.max_body_bytes + 1)
            cap = s->limits.max_body_bytes + 1;
        unsigned char *grown = realloc(ex->body, cap);
        if (grown == NULL)
            return MHD_NO;
        ex->body = grown;
        ex->body_cap = cap;
    }
    memcpy(ex->body + ex->body_len, data, size);
    ex->body_len += size;
    ex->body[ex->body_len] = '\0';
    return MHD_YES;
}

enum MHD_Result server_request_on_access(void *cls, struct MHD_Connection *c, const char *url,
                                         const char *method, const char *version,
                                         const char *upload_data, size_t *upload_data_size,
                                         void **con_cls)
{
    (void)cls;
    (void)url; /* already percent-decoded by MHD; the raw one came to on_uri */
    http_exchange *ex = *con_cls;
    if (ex == NULL)
        return MHD_NO; /* on_uri ran out of memory */

    switch (ex->state) {
    case EX_NEW:
        return exchange_begin(ex, c, method, version);
    case EX_RECEIVING:
    case EX_DISCARDING:
        if (*upload_data_size > 0) {
            size_t size = *upload_data_size;
            *upload_data_size = 0;
            return exchange_take(ex, upload_data, size);
        }
        if (ex->state == EX_DISCARDING)
            return exchange_answer_now(ex, c, MHD_HTTP_CONTENT_TOO_LARGE, "body_too_large",
                                       "the request body exceeds the server's limit", 0);
        if (ex->server->closing)
            return exchange_answer_now(ex, c, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting_down",
                                       "the server is shutting down", 0);
        return exchange_dispatch(ex, c);
    case EX_REJECTING:
        *upload_data_size = 0;
        return exchange_answer_now(ex, c, (unsigned)ex->reject_status, ex->reject_code,
                                   ex->reject_message, ex->reject_allow);
    case EX_HANDLING:
        /* Resumed: the handler (or the server for it) set the answer. */
        return exchange_queue(ex, c);
    case EX_ANSWERED:
        break;
    }
    return MHD_YES;
}

void server_request_on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                                 enum MHD_RequestTerminationCode toe)
{
    http_server *s = cls;
    http_exchange *ex = *con_cls;
    *con_cls = NULL;

    /* MHD still holds the response here, including its own 4xx. */
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_HTTP_STATUS);
    unsigned status = info ? info->http_status : 0;
    if (status > 0 && status < 600)
        s->stats.responses_by_status[status]++;
    if (status == MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE || status == MHD_HTTP_URI_TOO_LONG)
        s->stats.rejected_header_too_large++;
    if (toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED)
        s->stats.idle_timeouts++;
    else if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK &&
             !(toe == MHD_REQUEST_TERMINATED_WITH_ERROR && status != 0))
        s->stats.aborted++;

    /* A kept-alive connection now owes its next request. */
    if (!s->finalizing)
        server_conn_start_reading(s, server_conn_of(c));

    if (ex == NULL)
        return;
    if (ex->suspended) {
        /* Only MHD_stop_daemon ends a suspended request. */
        dlink_remove(&ex->waiting);
        ex->suspended = false;
    }
    if (ex->response) {
        MHD_destroy_response(ex->response);
        ex->response = NULL;
    }
    ex->conn = NULL;
    ex->expired = true;
    if (ex->stream) {
        http_stream *st = ex->stream;
        ex->stream = NULL;
        server_stream_conn_gone(st);
    }
    server_exchange_release(ex);
}
