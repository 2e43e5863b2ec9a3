/* server_exchange.c - the exchange handlers see (accessors and respond*
 * from http_server.h) and its lifecycle; see server_exchange.h.
 */
#include "http/server_exchange.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/mhd_loop.h"
#include "http/server_response.h"

static void exchange_free(http_exchange *ex)
{
    if (ex->response)
        MHD_destroy_response(ex->response);
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

void server_exchange_resume(http_exchange *ex)
{
    if (!ex->suspended)
        return;
    dlink_remove(&ex->waiting);
    ex->suspended = false;
    MHD_resume_connection(ex->conn);
    if (ex->server)
        mhd_loop_kick(&ex->server->mhd_loop);
}

void server_exchange_answer_for_handler(http_exchange *ex, unsigned status, const char *code,
                                        const char *message)
{
    http_server *s = ex->server;
    ex->expired = true;
    if (ex->response)
        MHD_destroy_response(ex->response);
    ex->response = server_response_error(s->log, s->closing, code, message, 0);
    ex->status = status;
    server_exchange_resume(ex);
}

bool server_exchange_all_drained(const http_server *s)
{
    for (const dlink *l = s->exchanges.next; l != &s->exchanges; l = l->next) {
        if (CONTAINER_OF(l, http_exchange, all)->conn != NULL)
            return false;
    }
    return true;
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
    if (ex->expired || ex->conn == NULL) {
        server_exchange_release(ex);
        return;
    }
    http_server *s = ex->server;
    if (status < 200 || status > 599) {
        log_warn(s->log, SERVER_COMPONENT, "%s %.200s: handler answered status %d; answering 500",
                 ex->method, ex->path, status);
        ex->response = server_response_error(s->log, s->closing, "internal_error",
                                             "the handler produced an invalid "
                                             "status",
                                             0);
        ex->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
    } else {
        ex->response = server_response_build(s->log, s->closing, content_type, body, len,
                                             extra_headers, n_extra, 0);
        ex->status = (unsigned)status;
        if (ex->response == NULL) {
            ex->response = server_response_error(s->log, s->closing, "internal_error",
                                                 "the handler's answer could "
                                                 "not be sent",
                                                 0);
            ex->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    /* Inside the handler call, the dispatch (server_request.c) queues it
     * directly. A NULL response (no memory) resumes too: MHD then closes. */
    if (!ex->in_handler)
        server_exchange_resume(ex);
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
