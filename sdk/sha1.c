/* sdk/sha1.c - SHA-1 (FIPS 180-4 section 6.1).
 *
 * Only for OAuth 1.0a HMAC-SHA1, which X still requires for user-context
 * requests; SHA-1 is broken for collision resistance, which HMAC does not
 * rely on. Written here so plugins need no crypto library (see the crypto
 * section of gateway/sdk.h); checked against the FIPS example vectors.
 */
#include <string.h>

#include "gateway/sdk.h"
#include "md_block.h"

static uint32_t rol32(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32 - n));
}

/* One 64-byte block into the state. */
static void sha1_compress(uint32_t *h, const unsigned char *block)
{
    uint32_t w[80];
    for (int t = 0; t < 16; t++)
        w[t] = sdk_md_load_be32(block + 4 * t);
    for (int t = 16; t < 80; t++)
        w[t] = rol32(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);

    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int t = 0; t < 80; t++) {
        uint32_t f, k;
        if (t < 20) {
            f = (b & c) | (~b & d);
            k = 0x5a827999u;
        } else if (t < 40) {
            f = b ^ c ^ d;
            k = 0x6ed9eba1u;
        } else if (t < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8f1bbcdcu;
        } else {
            f = b ^ c ^ d;
            k = 0xca62c1d6u;
        }
        uint32_t temp = rol32(a, 5) + f + e + k + w[t];
        e = d;
        d = c;
        c = rol32(b, 30);
        b = a;
        a = temp;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

void gw_sdk_sha1_init(gw_sdk_sha1_ctx *ctx)
{
    static const uint32_t initial[5] = {0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u,
                                        0xc3d2e1f0u};
    memcpy(ctx->h, initial, sizeof initial);
    ctx->length = 0;
    ctx->used = 0;
}

void gw_sdk_sha1_update(gw_sdk_sha1_ctx *ctx, const void *data, size_t len)
{
    sdk_md_update(ctx->h, ctx->block, &ctx->used, &ctx->length, sha1_compress, data, len);
}

void gw_sdk_sha1_final(gw_sdk_sha1_ctx *ctx, unsigned char out[GW_SDK_SHA1_SIZE])
{
    sdk_md_final(ctx->h, 5, ctx->block, ctx->used, ctx->length, sha1_compress, out);
    /* The state would let a caller extend the message; wipe it. */
    memset(ctx, 0, sizeof *ctx);
}

void gw_sdk_sha1(const void *data, size_t len, unsigned char out[GW_SDK_SHA1_SIZE])
{
    gw_sdk_sha1_ctx ctx;
    gw_sdk_sha1_init(&ctx);
    gw_sdk_sha1_update(&ctx, data, len);
    gw_sdk_sha1_final(&ctx, out);
}
