/* hash.h - the one string hash of the core: 64-bit FNV-1a, for in-memory
 * indexes only (the TOML tree's tables, base/strmap, triage's phrase
 * table). Never stored, so it may change; not for untrusted-key tables
 * that an attacker could flood (none of these is).
 */
#ifndef GW_BASE_HASH_H
#define GW_BASE_HASH_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t hash_fnv1a(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = UINT64_C(14695981039346656037); /* the FNV-1a 64-bit offset basis */
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= UINT64_C(1099511628211);
    }
    return h;
}

#endif /* GW_BASE_HASH_H */
