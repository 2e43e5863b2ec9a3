/* md_block.h - internal to the SDK (sdk/sha1.c, sdk/sha256.c).
 *
 * SHA-1 and SHA-256 share their framing: 64-byte blocks, a 0x80 byte, zero
 * padding to 56 mod 64 and the big-endian bit length. Only the compression
 * function and the width of the state differ, so the framing lives here
 * once and each hash supplies its compress function.
 */
#ifndef GW_SDK_MD_BLOCK_H
#define GW_SDK_MD_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#define SDK_MD_BLOCK 64

/* Mix one 64-byte block into the state h. */
typedef void (*sdk_md_compress_fn)(uint32_t *h, const unsigned char *block);

uint32_t sdk_md_load_be32(const unsigned char *p);
void sdk_md_store_be32(unsigned char *p, uint32_t v);

/* Feed len bytes: whole blocks go through compress, a remainder waits in
 * block (used bytes of it). length counts every byte fed. */
void sdk_md_update(uint32_t *h, unsigned char block[SDK_MD_BLOCK], size_t *used,
                   uint64_t *length, sdk_md_compress_fn compress, const void *data, size_t len);

/* Pad and compress the last block(s), then write the words of h big-endian
 * into out (4 * words bytes). */
void sdk_md_final(uint32_t *h, size_t words, unsigned char block[SDK_MD_BLOCK], size_t used,
                  uint64_t length, sdk_md_compress_fn compress, unsigned char *out);

#endif /* GW_SDK_MD_BLOCK_H */
