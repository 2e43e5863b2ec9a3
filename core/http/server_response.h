/* server_response.h - building libmicrohttpd responses for the HTTP server:
 * a handler's answer, or one of the server's own JSON errors.
 *
 * Everything is copied into the response (MHD_RESPMEM_MUST_COPY), so
 * nothing MHD holds points into the server's structures.
 */
#ifndef GW_HTTP_SERVER_RESPONSE_H
#define GW_HTTP_SERVER_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>

#include <microhttpd.h>

#include "gateway/plugin.h" /* gw_http_header */
#include "base/log.h"

/* A response with copies of body and headers; `content_type` may be NULL;
 * `allow` (method bits, see server_routes.h) adds an Allow header when
 * nonzero; `closing` adds "Connection: close". Returns NULL when memory
 * runs out or MHD refuses a header (logged on `log`, borrowed); the caller
 * owns the response (MHD_destroy_response). */
struct MHD_Response *server_response_build(const logger *log, bool closing,
                                           const char *content_type, const void *body, size_t len,
                                           const gw_http_header *extra, size_t n_extra,
                                           unsigned allow);

/* Add Content-Type (when not NULL), extra, Allow (when `allow`) and, when
 * `closing`, "Connection: close" to resp (borrowed). Returns false, logged,
 * when MHD refuses one; resp is then the caller's to destroy. */
bool server_response_add_headers(const logger *log, bool closing, struct MHD_Response *resp,
                                 const char *content_type, const gw_http_header *extra,
                                 size_t n_extra, unsigned allow);

/* {"error": code, "message": message} as application/json, built as
 * above; falls back to a fixed out-of-memory body. Caller owns it. */
struct MHD_Response *server_response_error(const logger *log, bool closing, const char *code,
                                           const char *message, unsigned allow);

/* {"error": code, "message": message}, compact; caller frees; NULL when
 * out of memory. */
char *server_error_json(const char *code, const char *message);

#endif /* GW_HTTP_SERVER_RESPONSE_H */
