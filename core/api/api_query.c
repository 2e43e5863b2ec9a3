/* api_query.c - query string values; see api_query.h. */
#include "api/api_query.h"

#include <string.h>

#include "gateway/sdk.h"

const char *api_query_value(const char *query, const char *key, char *buf, size_t buflen)
{
    size_t klen = strlen(key);
    for (const char *p = query; p != NULL && *p != '\0';) {
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
            size_t n = 0;
            for (size_t i = klen + 1; i < len && n + 1 < buflen; i++) {
                int hi, lo;
                if (p[i] == '%' && i + 2 < len + 1 && (hi = gw_sdk_hex_value(p[i + 1])) >= 0 &&
                    (lo = gw_sdk_hex_value(p[i + 2])) >= 0) {
                    buf[n++] = (char)(hi * 16 + lo);
                    i += 2;
                } else {
                    buf[n++] = p[i] == '+' ? ' ' : p[i];
                }
            }
            buf[n] = '\0';
            return buf;
        }
        p = end ? end + 1 : NULL;
    }
    return NULL;
}

int64_t api_query_id(const char *s, size_t len)
{
    if (len == 0 || len > 18)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v > 0 ? v : -1;
}
