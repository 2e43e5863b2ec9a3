/* client_response.h - one HTTP client attempt's response as it arrives:
 * the body under the response size cap, and the final response's headers.
 *
 * Fed by curl's write and header callbacks (registered with the
 * client_response as their data). Headers are kept with lower-cased
 * names, trimmed values and bounded in number and size: more are dropped,
 * not fatal, since a server flooding headers should not make an otherwise
 * good answer fail.
 */
#ifndef GW_HTTP_CLIENT_RESPONSE_H
#define GW_HTTP_CLIENT_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>

#include "gateway/plugin.h" /* gw_http_header */

typedef struct client_response {
    size_t max_bytes;    /* the body cap; set once by the owner */
    unsigned char *body; /* owned; NUL after body_len */
    size_t body_len, body_cap;
    gw_http_header *headers; /* owned; each name points at one malloc "name\0value\0" */
    size_t header_count, header_cap, header_bytes;
    bool too_large;     /* the body went over max_bytes: transfer aborted */
    bool out_of_memory; /* a buffer could not grow: transfer aborted */
} client_response;

/* Empty it for a new attempt, keeping the buffers. */
void client_response_reset(client_response *rb);

/* Free the buffers. */
void client_response_free(client_response *rb);

/* CURLOPT_WRITEFUNCTION, data = the client_response. */
size_t client_response_on_body(char *data, size_t size, size_t nmemb, void *userp);

/* CURLOPT_HEADERFUNCTION, data = the client_response. A status line
 * starts over (a redirect hop or a 1xx): only the final response's
 * headers are kept. */
size_t client_response_on_header(char *data, size_t size, size_t nitems, void *userp);

#endif /* GW_HTTP_CLIENT_RESPONSE_H */
