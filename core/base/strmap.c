/* strmap.c - open-addressing hash map with linear probing; see strmap.h.
 *
 * Each slot holds the entry itself (32 bits of the key's hash, its
 * length, the borrowed key and the value), so a lookup reads one run of
 * slots, a line or two, and follows the key's pointer only when the hash
 * bits agree; an insert allocates nothing but the table's doubling. The
 * chained map before it read a bucket, an entry allocated apart and the
 * key for every step of a chain: in the flood benchmark with
 * conversations (130,000 in memory, so neither the buckets nor the
 * entries stay in the cache) its lookups were 7% of the event loop's
 * time. The table stays at most half full, so a probe for a missing key
 * stops within a couple of slots; a removal shifts the run after it back
 * (no tombstones, so probes never lengthen with churn).
 *
 * FNV-1a: the keys are short (thread and author ids), and the map is not
 * exposed to keys chosen to collide beyond what a network's ids allow.
 * Its low bits mix less than its high ones, so the slot is taken from
 * both halves folded together.
 */
#include "base/strmap.h"

#include "base/hash.h"

#include <stdlib.h>
#include <string.h>

#include "gateway/error.h"

#define STRMAP_MIN_SLOTS 64

typedef struct strmap_slot {
    uint32_t hash; /* the folded hash's low 32 bits; the table never has more slots */
    uint32_t len;
    const void *key; /* borrowed from the value; NULL: the slot is free */
    void *value;
} strmap_slot;

struct strmap {
    strmap_slot *slots;
    size_t mask; /* slots - 1; the count of slots is a power of two */
    size_t count;
};

static uint32_t fold(uint64_t h)
{
    return (uint32_t)(h ^ (h >> 32));
}

strmap *strmap_new(void)
{
    strmap *m = calloc(1, sizeof *m);
    if (m == NULL)
        return NULL;
    m->slots = calloc(STRMAP_MIN_SLOTS, sizeof *m->slots);
    if (m->slots == NULL) {
        free(m);
        return NULL;
    }
    m->mask = STRMAP_MIN_SLOTS - 1;
    return m;
}

void strmap_free(strmap *m)
{
    if (m == NULL)
        return;
    free(m->slots);
    free(m);
}

/* The slot holding key, or the free slot that ends its run. */
static size_t find(const strmap *m, const void *key, uint32_t len, uint32_t hash)
{
    size_t i = hash & m->mask;
    for (;;) {
        const strmap_slot *s = &m->slots[i];
        if (s->key == NULL || (s->hash == hash && s->len == len && memcmp(s->key, key, len) == 0))
            return i;
        i = (i + 1) & m->mask;
    }
}

void *strmap_get(const strmap *m, const void *key, size_t len)
{
    if (len > UINT32_MAX)
        return NULL;
    const strmap_slot *s = &m->slots[find(m, key, (uint32_t)len, fold(hash_fnv1a(key, len)))];
    return s->key != NULL ? s->value : NULL;
}

/* Double the slots; a failed allocation leaves the table as it was. */
static int grow(strmap *m)
{
    size_t n = (m->mask + 1) * 2;
    if (n - 1 > UINT32_MAX) /* the stored hash bits pick the slot */
        return GW_ENOMEM;
    strmap_slot *slots = calloc(n, sizeof *slots);
    if (slots == NULL)
        return GW_ENOMEM;
    for (size_t i = 0; i <= m->mask; i++) {
        const strmap_slot *s = &m->slots[i];
        if (s->key == NULL)
            continue;
        size_t j = s->hash & (n - 1);
        while (slots[j].key != NULL)
            j = (j + 1) & (n - 1);
        slots[j] = *s;
    }
    free(m->slots);
    m->slots = slots;
    m->mask = n - 1;
    return GW_OK;
}

int strmap_put(strmap *m, const void *key, size_t len, void *value)
{
    if (key == NULL || len > UINT32_MAX)
        return GW_EINVAL;
    uint32_t hash = fold(hash_fnv1a(key, len));
    size_t i = find(m, key, (uint32_t)len, hash);
    if (m->slots[i].key != NULL) {
        m->slots[i].key = key;
        m->slots[i].value = value;
        return GW_OK;
    }
    /* at most half full once this one is in */
    if ((m->count + 1) * 2 > m->mask + 1) {
        if (grow(m) != GW_OK)
            return GW_ENOMEM;
        i = find(m, key, (uint32_t)len, hash);
    }
    m->slots[i] = (strmap_slot){.hash = hash, .len = (uint32_t)len, .key = key, .value = value};
    m->count++;
    return GW_OK;
}

/* Whether home lies cyclically in (free, at]: the entry at `at` may not
 * move back to the free slot without leaving its own run. */
static int stays(size_t home, size_t free_slot, size_t at)
{
    return free_slot <= at ? (home > free_slot && home <= at) : (home > free_slot || home <= at);
}

int strmap_remove(strmap *m, const void *key, size_t len, const void *value)
{
    if (len > UINT32_MAX)
        return 0;
    size_t i = find(m, key, (uint32_t)len, fold(hash_fnv1a(key, len)));
    if (m->slots[i].key == NULL || m->slots[i].value != value)
        return 0;
    /* shift back each entry after the hole that may fill it */
    for (size_t j = (i + 1) & m->mask; m->slots[j].key != NULL; j = (j + 1) & m->mask) {
        if (stays(m->slots[j].hash & m->mask, i, j))
            continue;
        m->slots[i] = m->slots[j];
        i = j;
    }
    m->slots[i].key = NULL;
    m->count--;
    return 1;
}

size_t strmap_count(const strmap *m)
{
    return m->count;
}

int strmap_each(const strmap *m, int (*fn)(void *arg, void *value), void *arg)
{
    for (size_t i = 0; i <= m->mask; i++) {
        if (m->slots[i].key == NULL)
            continue;
        int rc = fn(arg, m->slots[i].value);
        if (rc != 0)
            return rc;
    }
    return 0;
}
