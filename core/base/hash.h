/* hash.h - the one string hash of the core: 64-bit FNV-1a, for in-memory
 * indexes only (the TOML tree's tables, base/strmap, triage's phrase
 * table). Never stored, so it may change; not for untrusted-key tables
 * that an attacker could flood (none of these is).
 */
#ifndef GW_BASE_HASH_H
#define GW_BASE_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_FNV1A_BASIS UINT64_C(14695981039346656037) /* the FNV-1a 64-bit offset basis */

/* One byte more of a hash begun at HASH_FNV1A_BASIS: for a caller that
 * hashes bytes as it writes them, instead of reading them again. */
static inline uint64_t hash_fnv1a_step(uint64_t h, unsigned char c)
{
    return (h ^ c) * UINT64_C(1099511628211);
}

static inline uint64_t hash_fnv1a(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = HASH_FNV1A_BASIS;
    for (size_t i = 0; i < len; i++)
        h = hash_fnv1a_step(h, p[i]);
    return h;
}

#endif /* GW_BASE_HASH_H */
