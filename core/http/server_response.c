/* server_response.c - MHD responses and the server's JSON error bodies;
 * see server_response.h.
 */
#include "http/server_response.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http/server_routes.h"

#define COMPONENT "http"

char *server_error_json(const char *code, const char *message)
{
    json_t *obj = json_pack("{s:s, s:s}", "error", code, "message", message);
    if (obj == NULL)
        return NULL;
    char *text = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    return text;
}

bool server_response_add_headers(const logger *log, bool closing, struct MHD_Response *resp,
                                 const char *content_type, const gw_http_header *extra,
                                 size_t n_extra, unsigned allow)
{
    const char *bad = NULL;
    if (content_type && MHD_add_response_header(resp, "Content-Type", content_type) != MHD_YES)
        bad = "Content-Type";
    for (size_t i = 0; bad == NULL && i < n_extra; i++) {
        const char *name = extra[i].name ? extra[i].name : "";
        if (MHD_add_response_header(resp, name, extra[i].value ? extra[i].value : "") != MHD_YES)
            bad = name;
    }
    if (bad == NULL && allow) {
        char list[64];
        server_methods_format(allow, list, sizeof list);
        if (MHD_add_response_header(resp, "Allow", list) != MHD_YES)
            bad = "Allow";
    }
    /* While closing, a kept-alive connection would only delay the drain. */
    if (bad == NULL && closing && MHD_add_response_header(resp, "Connection", "close") != MHD_YES)
        bad = "Connection";
    if (bad) {
        log_warn(log, COMPONENT,
                 "refused response header \"%.64s\" (empty, CR/LF, or "
                 "managed by the server such as Content-Length); answering 500",
                 bad);
        return false;
    }
    return true;
}

struct MHD_Response *server_response_build(const logger *log, bool closing,
                                           const char *content_type, const void *body, size_t len,
                                           const gw_http_header *extra, size_t n_extra,
                                           unsigned allow)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (resp == NULL)
        return NULL;
    if (!server_response_add_headers(log, closing, resp, content_type, extra, n_extra, allow)) {
        MHD_destroy_response(resp);
        return NULL;
    }
    return resp;
}

struct MHD_Response *server_response_error(const logger *log, bool closing, const char *code,
                                           const char *message, unsigned allow)
{
    /* Used only when even the JSON cannot be built: the body stays valid. */
    static const char fallback[] = "{\"error\":\"internal_error\",\"message\":\"out of memory\"}";
    char *text = server_error_json(code, message);
    struct MHD_Response *resp =
        server_response_build(log, closing, "application/json", text ? text : fallback,
                              text ? strlen(text) : sizeof fallback - 1, NULL, 0, allow);
    free(text);
    return resp;
}
