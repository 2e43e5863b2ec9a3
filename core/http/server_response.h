/* server_response.h - an answer's bytes: status line, headers, body; and
 * the server's JSON error bodies. Pure apart from the Date cache.
 *
 * The server adds Date, Content-Length (or Transfer-Encoding: chunked for
 * a stream) and, when the connection closes after the answer,
 * "Connection: close"; a handler may not set those itself.
 */
#ifndef GW_HTTP_SERVER_RESPONSE_H
#define GW_HTTP_SERVER_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>

#include "gateway/plugin.h" /* gw_http_header */
#include "http/server_state.h"

/* What the head says besides the status. */
typedef struct response_head {
    unsigned status;
    const char *content_type; /* may be NULL */
    const gw_http_header *extra;
    size_t n_extra;
    unsigned allow;      /* method bits for an Allow header; 0: none */
    bool close;          /* "Connection: close" */
    bool chunked;        /* a stream: chunked, no Content-Length */
    size_t content_length;
} response_head;

/* NULL when every header of h may be sent; else the name of the first one
 * that may not (empty, not a token, CR/LF/NUL or another control byte in
 * its value, or one the server manages: Content-Length,
 * Transfer-Encoding, Connection, Date). */
const char *server_response_refused(const response_head *h);

/* Write the head (status line to the empty line) into out[0..cap) and
 * return its length; with cap too small (0 to measure) nothing is written
 * past cap and the length needed is still returned. `date` is the Date
 * value. The headers must have passed server_response_refused. */
size_t server_response_head(char *out, size_t cap, const response_head *h, const char *date);

/* The current Date value, formatted once a second into s->date_text. */
const char *server_response_date(http_server *s);

/* {"error": code, "message": message}, compact; caller frees; NULL when
 * out of memory. */
char *server_error_json(const char *code, const char *message);

#endif /* GW_HTTP_SERVER_RESPONSE_H */
