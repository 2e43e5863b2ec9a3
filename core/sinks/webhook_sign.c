/* webhook_sign.c - signature, delivery id and verdicts; see webhook_sign.h. */
#include "sinks/webhook_sign.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/error.h"
#include "gateway/sdk.h"

int webhook_signature(const char *secret, size_t secret_len, int64_t t, const void *body,
                      size_t body_len, char *out, size_t outlen)
{
    char prefix[32];
    int plen = snprintf(prefix, sizeof prefix, "%" PRId64 ".", t);
    if (outlen > 0)
        out[0] = '\0';
    /* The signed message is "<t>." followed by the exact bytes sent. */
    unsigned char *msg = malloc((size_t)plen + body_len + 1);
    if (msg == NULL)
        return GW_ENOMEM;
    memcpy(msg, prefix, (size_t)plen);
    if (body_len > 0)
        memcpy(msg + plen, body, body_len);
    unsigned char mac[GW_SDK_SHA256_SIZE];
    gw_sdk_hmac_sha256(secret, secret_len, msg, (size_t)plen + body_len, mac);
    free(msg);
    char hex[2 * GW_SDK_SHA256_SIZE + 1];
    gw_sdk_hex_encode(mac, sizeof mac, hex, sizeof hex);
    int n = snprintf(out, outlen, "t=%" PRId64 ",v1=%s", t, hex);
    if (n < 0 || (size_t)n >= outlen) {
        if (outlen > 0)
            out[0] = '\0';
        return GW_ERANGE;
    }
    return n;
}

webhook_verdict webhook_classify(int status, int transport_error)
{
    if (transport_error != 0 || status <= 0)
        return WEBHOOK_RETRY;
    if (status >= 200 && status < 300)
        return WEBHOOK_DELIVERED;
    if (status == 408 || status == 429 || status >= 500)
        return WEBHOOK_RETRY;
    return WEBHOOK_REFUSED;
}

int webhook_delivery_id(const char *sink, int64_t first_seq, int64_t last_seq, int as_array,
                        char *out, size_t outlen)
{
    size_t n = 0;
    for (const char *p = sink ? sink : ""; *p != '\0'; p++) {
        if (n + 1 >= outlen)
            goto too_small;
        char c = *p;
        int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '.' || c == '_' || c == '-';
        out[n++] = keep ? c : '_';
    }
    int m = as_array ? snprintf(out + n, outlen - n, ".%" PRId64 "-%" PRId64, first_seq, last_seq)
                     : snprintf(out + n, outlen - n, ".%" PRId64, first_seq);
    if (m < 0 || (size_t)m >= outlen - n)
        goto too_small;
    return (int)n + m;
too_small:
    if (outlen > 0)
        out[0] = '\0';
    return GW_ERANGE;
}
