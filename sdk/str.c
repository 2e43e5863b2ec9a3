/* sdk/str.c - bounded string copies.
 *
 * Plugins copy network-supplied text (names, ids, error messages) into
 * fixed buffers, e.g. create()'s err. A plain byte cut can leave half a
 * UTF-8 sequence at the end, which then poisons every JSON document the
 * string lands in; these copies cut on a character boundary.
 */
#include <stdlib.h>
#include <string.h>

#include "gateway/sdk.h"

/* True for the bytes 10xxxxxx that continue a UTF-8 sequence. */
static int is_utf8_continuation(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

size_t gw_sdk_str_copy(char *dst, size_t dstlen, const char *src)
{
    if (src == NULL)
        src = "";
    size_t srclen = strlen(src);
    if (dst == NULL || dstlen == 0)
        return srclen;
    size_t n = srclen < dstlen - 1 ? srclen : dstlen - 1;
    if (n < srclen) {
        /* Back up to the start of the character that does not fit. */
        while (n > 0 && is_utf8_continuation((unsigned char)src[n]))
            n--;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
    return srclen;
}

char *gw_sdk_str_dup(const char *s)
{
    if (s == NULL)
        return NULL;
    size_t len = strlen(s);
    char *copy = malloc(len + 1);
    if (copy != NULL)
        memcpy(copy, s, len + 1);
    return copy;
}
