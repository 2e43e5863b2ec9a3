/* sdk/hmac.c - HMAC (RFC 2104) over SHA-1 and SHA-256, and constant-time
 * comparison for checking the signatures they produce.
 *
 * Both digests have 64-byte blocks, so one generic routine serves both
 * through a small table of the digest's functions.
 */
#include <string.h>

#include "gateway/sdk.h"

#define HMAC_BLOCK 64
#define HMAC_MAX_DIGEST GW_SDK_SHA256_SIZE

/* A digest seen through one interface; ctx points at the caller's
 * gw_sdk_sha1_ctx or gw_sdk_sha256_ctx. */
typedef struct digest_ops {
    size_t size;
    void (*init)(void *ctx);
    void (*update)(void *ctx, const void *data, size_t len);
    void (*final)(void *ctx, unsigned char *out);
} digest_ops;

static void sha1_init_any(void *ctx)
{
    gw_sdk_sha1_init(ctx);
}
static void sha1_update_any(void *ctx, const void *data, size_t len)
{
    gw_sdk_sha1_update(ctx, data, len);
}
static void sha1_final_any(void *ctx, unsigned char *out)
{
    gw_sdk_sha1_final(ctx, out);
}
static void sha256_init_any(void *ctx)
{
    gw_sdk_sha256_init(ctx);
}
static void sha256_update_any(void *ctx, const void *data, size_t len)
{
    gw_sdk_sha256_update(ctx, data, len);
}
static void sha256_final_any(void *ctx, unsigned char *out)
{
    gw_sdk_sha256_final(ctx, out);
}

static const digest_ops sha1_ops = {GW_SDK_SHA1_SIZE, sha1_init_any, sha1_update_any,
                                    sha1_final_any};
static const digest_ops sha256_ops = {GW_SDK_SHA256_SIZE, sha256_init_any, sha256_update_any,
                                      sha256_final_any};

/* Large enough for either context. */
typedef union digest_ctx {
    gw_sdk_sha1_ctx sha1;
    gw_sdk_sha256_ctx sha256;
} digest_ctx;

static void hmac(const digest_ops *ops, const void *key, size_t keylen, const void *msg,
                 size_t msglen, unsigned char *out)
{
    unsigned char k[HMAC_BLOCK] = {0};
    unsigned char pad[HMAC_BLOCK];
    unsigned char inner[HMAC_MAX_DIGEST];
    digest_ctx ctx;

    /* A key longer than the block is replaced by its digest. */
    if (keylen > HMAC_BLOCK) {
        ops->init(&ctx);
        ops->update(&ctx, key, keylen);
        ops->final(&ctx, k);
    } else if (keylen > 0) {
        memcpy(k, key, keylen);
    }

    for (size_t i = 0; i < HMAC_BLOCK; i++)
        pad[i] = k[i] ^ 0x36;
    ops->init(&ctx);
    ops->update(&ctx, pad, HMAC_BLOCK);
    if (msglen > 0)
        ops->update(&ctx, msg, msglen);
    ops->final(&ctx, inner);

    for (size_t i = 0; i < HMAC_BLOCK; i++)
        pad[i] = k[i] ^ 0x5c;
    ops->init(&ctx);
    ops->update(&ctx, pad, HMAC_BLOCK);
    ops->update(&ctx, inner, ops->size);
    ops->final(&ctx, out);

    /* The padded key is as good as the key. */
    memset(k, 0, sizeof k);
    memset(pad, 0, sizeof pad);
}

void gw_sdk_hmac_sha1(const void *key, size_t keylen, const void *msg, size_t msglen,
                      unsigned char out[GW_SDK_SHA1_SIZE])
{
    hmac(&sha1_ops, key, keylen, msg, msglen, out);
}

void gw_sdk_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
                        unsigned char out[GW_SDK_SHA256_SIZE])
{
    hmac(&sha256_ops, key, keylen, msg, msglen, out);
}

int gw_sdk_ct_equal(const void *a, const void *b, size_t len)
{
    /* volatile keeps the compiler from turning the loop into an early
     * exit once diff is nonzero. */
    const volatile unsigned char *x = a, *y = b;
    unsigned char diff = 0;
    for (size_t i = 0; i < len; i++)
        diff |= (unsigned char)(x[i] ^ y[i]);
    return diff == 0;
}

int gw_sdk_ct_streq(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return 0;
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb)
        return 0;
    return gw_sdk_ct_equal(a, b, la);
}
