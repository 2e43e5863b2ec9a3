/* md_block.c - block buffering and length padding shared by SHA-1 and
 * SHA-256; see md_block.h. */
#include "md_block.h"

#include <string.h>

uint32_t sdk_md_load_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

void sdk_md_store_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

void sdk_md_update(uint32_t *h, unsigned char block[SDK_MD_BLOCK], size_t *used,
                   uint64_t *length, sdk_md_compress_fn compress, const void *data, size_t len)
{
    const unsigned char *p = data;
    *length += len;
    while (len > 0) {
        size_t n = SDK_MD_BLOCK - *used;
        if (n > len)
            n = len;
        memcpy(block + *used, p, n);
        *used += n;
        p += n;
        len -= n;
        if (*used == SDK_MD_BLOCK) {
            compress(h, block);
            *used = 0;
        }
    }
}

void sdk_md_final(uint32_t *h, size_t words, unsigned char block[SDK_MD_BLOCK], size_t used,
                  uint64_t length, sdk_md_compress_fn compress, unsigned char *out)
{
    uint64_t bits = length * 8;
    /* Padding: 0x80, zeros up to 56 mod 64, then the length in bits. */
    block[used++] = 0x80;
    if (used > 56) {
        memset(block + used, 0, SDK_MD_BLOCK - used);
        compress(h, block);
        used = 0;
    }
    memset(block + used, 0, 56 - used);
    sdk_md_store_be32(block + 56, (uint32_t)(bits >> 32));
    sdk_md_store_be32(block + 60, (uint32_t)bits);
    compress(h, block);
    for (size_t i = 0; i < words; i++)
        sdk_md_store_be32(out + 4 * i, h[i]);
}
