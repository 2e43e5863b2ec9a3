/* conv_id.c - "cv_<hex>" / "ct_<hex>"; see conv_id.h. */
#include "service/conv_id.h"

#include <stdio.h>
#include <string.h>

void conv_id_format(const char *prefix, int64_t id, char *buf, size_t len)
{
    /* by hand: snprintf was most of a new conversation's bookkeeping */
    char hex[17];
    size_t n = sizeof hex - 1, plen = strlen(prefix);
    uint64_t v = (uint64_t)id;
    hex[n] = '\0';
    do {
        hex[--n] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v != 0);
    size_t hlen = sizeof hex - 1 - n;
    if (len == 0)
        return;
    if (plen + hlen + 1 > len) { /* cut, as snprintf would */
        snprintf(buf, len, "%s%s", prefix, hex + n);
        return;
    }
    memcpy(buf, prefix, plen);
    memcpy(buf + plen, hex + n, hlen + 1);
}

int64_t conv_id_parse(const char *prefix, const char *s)
{
    size_t plen = strlen(prefix);
    if (s == NULL || strncmp(s, prefix, plen) != 0)
        return -1;
    s += plen;
    size_t n = strlen(s);
    if (n == 0 || n > 15)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        int d = s[i] >= '0' && s[i] <= '9'   ? s[i] - '0'
                : s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10
                                             : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v > 0 ? v : -1;
}
