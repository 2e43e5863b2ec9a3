/* sdk/encode.c - base64, hex and RFC 3986 percent-encoding.
 *
 * The text forms signatures and signed requests take: X sends base64
 * HMACs, Discourse and Facebook hex ones, and OAuth 1.0a signs strings
 * percent-encoded exactly as RFC 3986 says (which differs from
 * form-encoding: a space is %20, never '+', and '~' stays).
 */
#include <limits.h>
#include <string.h>

#include "gateway/sdk.h"

int gw_sdk_base64_encode(const void *in, size_t len, char *out, size_t outlen)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = in;
    if (out == NULL || outlen == 0)
        return GW_ERANGE;
    /* The length is returned as an int. */
    if (len > (size_t)INT_MAX / 4 * 3 - 3 || outlen < GW_SDK_BASE64_SIZE(len)) {
        out[0] = '\0';
        return GW_ERANGE;
    }
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < len)
            v |= p[i + 2];
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? alphabet[v & 63] : '=';
    }
    out[o] = '\0';
    return (int)o;
}

int gw_sdk_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int gw_sdk_hex_encode(const void *in, size_t len, char *out, size_t outlen)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *p = in;
    if (out == NULL || outlen == 0)
        return GW_ERANGE;
    if (len > (size_t)INT_MAX / 2 - 1 || outlen < 2 * len + 1) {
        out[0] = '\0';
        return GW_ERANGE;
    }
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * len] = '\0';
    return (int)(2 * len);
}

static int is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

size_t gw_sdk_percent_encode(const char *in, char *out, size_t outlen)
{
    static const char digits[] = "0123456789ABCDEF";
    size_t n = 0, written = 0;
    int full = out == NULL || outlen == 0;
    if (in == NULL)
        in = "";
    for (const unsigned char *p = (const unsigned char *)in; *p != '\0'; p++) {
        char enc[3] = {(char)*p, 0, 0};
        size_t k = 1;
        if (!is_unreserved(*p)) {
            enc[0] = '%';
            enc[1] = digits[*p >> 4];
            enc[2] = digits[*p & 15];
            k = 3;
        }
        /* Only whole escapes are written, so a truncated result never
         * ends in half of one. */
        if (!full && written + k < outlen) {
            memcpy(out + written, enc, k);
            written += k;
        } else {
            full = 1;
        }
        n += k;
    }
    if (out != NULL && outlen > 0)
        out[written] = '\0';
    return n;
}
