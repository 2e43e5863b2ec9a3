/* client_response.c - response body and headers as curl hands them over;
 * see client_response.h.
 */
#include "http/client_response.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* Response headers kept per response. */
#define MAX_RESPONSE_HEADERS 256u
#define MAX_RESPONSE_HEADER_BYTES (256u * 1024u)

static void clear_headers(client_response *rb)
{
    for (size_t i = 0; i < rb->header_count; i++)
        free((char *)rb->headers[i].name); /* the value lives in the same block */
    rb->header_count = 0;
    rb->header_bytes = 0;
}

void client_response_reset(client_response *rb)
{
    clear_headers(rb);
    rb->body_len = 0;
    if (rb->body != NULL)
        rb->body[0] = '\0';
    rb->too_large = false;
    rb->out_of_memory = false;
}

void client_response_free(client_response *rb)
{
    clear_headers(rb);
    free(rb->headers);
    free(rb->body);
    rb->headers = NULL;
    rb->body = NULL;
    rb->header_cap = rb->body_cap = rb->body_len = 0;
}

size_t client_response_on_body(char *data, size_t size, size_t nmemb, void *userp)
{
    client_response *rb = userp;
    size_t n = size * nmemb;
    size_t cap = rb->max_bytes;
    if (n > cap - rb->body_len) {
        rb->too_large = true;
        return 0; /* anything but n aborts the transfer */
    }
    if (rb->body_len + n + 1 > rb->body_cap) {
        size_t want = rb->body_cap ? rb->body_cap * 2 : 4096;
        if (want < rb->body_len + n + 1)
            want = rb->body_len + n + 1;
        if (want > cap + 1)
            want = cap + 1;
        unsigned char *grown = realloc(rb->body, want);
        if (grown == NULL) {
            rb->out_of_memory = true;
            return 0;
        }
        rb->body = grown;
        rb->body_cap = want;
    }
    memcpy(rb->body + rb->body_len, data, n);
    rb->body_len += n;
    rb->body[rb->body_len] = '\0';
    return n;
}

size_t client_response_on_header(char *data, size_t size, size_t nitems, void *userp)
{
    client_response *rb = userp;
    size_t n = size * nitems;
    /* A new status line starts a new response (a redirect hop or a 1xx):
     * only the final response's headers are reported. */
    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        clear_headers(rb);
        return n;
    }
    size_t len = n;
    while (len > 0 && (data[len - 1] == '\r' || data[len - 1] == '\n'))
        len--;
    /* Blank line, or an obsolete folded continuation: nothing to record. */
    if (len == 0 || data[0] == ' ' || data[0] == '\t')
        return n;
    const char *colon = memchr(data, ':', len);
    if (colon == NULL || colon == data)
        return n;
    if (rb->header_count >= MAX_RESPONSE_HEADERS ||
        rb->header_bytes + len > MAX_RESPONSE_HEADER_BYTES)
        return n;
    size_t name_len = (size_t)(colon - data);
    while (name_len > 0 && (data[name_len - 1] == ' ' || data[name_len - 1] == '\t'))
        name_len--;
    const char *value = colon + 1;
    const char *end = data + len;
    while (value < end && (*value == ' ' || *value == '\t'))
        value++;
    while (end > value && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t value_len = (size_t)(end - value);

    if (rb->header_count == rb->header_cap) {
        size_t want = rb->header_cap ? rb->header_cap * 2 : 16;
        gw_http_header *grown = realloc(rb->headers, want * sizeof *grown);
        if (grown == NULL) {
            rb->out_of_memory = true;
            return 0;
        }
        rb->headers = grown;
        rb->header_cap = want;
    }
    char *block = malloc(name_len + 1 + value_len + 1);
    if (block == NULL) {
        rb->out_of_memory = true;
        return 0;
    }
    for (size_t i = 0; i < name_len; i++)
        block[i] = (char)tolower((unsigned char)data[i]);
    block[name_len] = '\0';
    memcpy(block + name_len + 1, value, value_len);
    block[name_len + 1 + value_len] = '\0';
    rb->headers[rb->header_count].name = block;
    rb->headers[rb->header_count].value = block + name_len + 1;
    rb->header_count++;
    rb->header_bytes += len;
    return n;
}
