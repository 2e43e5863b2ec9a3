/* sdk/buf.c - gw_sdk_buf, a growable string for URLs and request bodies;
 * see gateway/sdk.h. Appending never fails loudly: a failed allocation
 * marks the buffer, every later append is a no-op, and take() answers
 * NULL, so a caller checks once at the end instead of after every piece.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/sdk.h"

void gw_sdk_buf_add(gw_sdk_buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    /* Keeps len + n + 1 and the doubling below from wrapping round; no
     * real string comes near, but a wrapped sum would skip the growth. */
    if (n >= SIZE_MAX / 2 - b->len) {
        b->failed = 1;
        return;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void gw_sdk_buf_adds(gw_sdk_buf *b, const char *s)
{
    gw_sdk_buf_add(b, s, strlen(s));
}

void gw_sdk_buf_add_encoded(gw_sdk_buf *b, const char *s)
{
    char small[256];
    size_t n = gw_sdk_percent_encode(s, small, sizeof small);
    if (n < sizeof small) {
        gw_sdk_buf_add(b, small, n);
        memset(small, 0, n); /* it may have been a token */
        return;
    }
    char *big = malloc(n + 1);
    if (big == NULL) {
        b->failed = 1;
        return;
    }
    gw_sdk_percent_encode(s, big, n + 1);
    gw_sdk_buf_add(b, big, n);
    memset(big, 0, n);
    free(big);
}

void gw_sdk_buf_url_param(gw_sdk_buf *b, const char *name, const char *value)
{
    int has_query = b->p != NULL && memchr(b->p, '?', b->len) != NULL;
    gw_sdk_buf_add(b, has_query ? "&" : "?", 1);
    gw_sdk_buf_add_encoded(b, name);
    gw_sdk_buf_add(b, "=", 1);
    gw_sdk_buf_add_encoded(b, value);
}

char *gw_sdk_buf_take(gw_sdk_buf *b)
{
    char *p = b->p;
    if (b->failed || p == NULL) {
        gw_sdk_buf_free(b);
        return b->failed ? NULL : gw_sdk_str_dup("");
    }
    memset(b, 0, sizeof *b);
    return p;
}

void gw_sdk_buf_free(gw_sdk_buf *b)
{
    if (b->p != NULL)
        memset(b->p, 0, b->len);
    free(b->p);
    int failed = b->failed;
    memset(b, 0, sizeof *b);
    b->failed = failed;
}
