/* strmap.c - chained hash map with power-of-two buckets; see strmap.h.
 * FNV-1a: the keys are short (thread and author ids), and the map is not
 * exposed to keys chosen to collide beyond what a network's ids allow. */
#include "base/strmap.h"

#include "base/hash.h"

#include <stdlib.h>
#include <string.h>

#include "gateway/error.h"

#define STRMAP_MIN_BUCKETS 64

typedef struct strmap_entry {
    const void *key; /* borrowed from the value */
    size_t len;
    uint64_t hash;
    void *value;
    struct strmap_entry *next;
} strmap_entry;

struct strmap {
    strmap_entry **buckets;
    size_t nbuckets; /* a power of two */
    size_t count;
};

strmap *strmap_new(void)
{
    strmap *m = calloc(1, sizeof *m);
    if (m == NULL)
        return NULL;
    m->buckets = calloc(STRMAP_MIN_BUCKETS, sizeof *m->buckets);
    if (m->buckets == NULL) {
        free(m);
        return NULL;
    }
    m->nbuckets = STRMAP_MIN_BUCKETS;
    return m;
}

void strmap_free(strmap *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->nbuckets; i++) {
        strmap_entry *e = m->buckets[i];
        while (e != NULL) {
            strmap_entry *next = e->next;
            free(e);
            e = next;
        }
    }
    free(m->buckets);
    free(m);
}

static strmap_entry **strmap_slot(const strmap *m, const void *key, size_t len, uint64_t hash)
{
    strmap_entry **slot = &m->buckets[hash & (m->nbuckets - 1)];
    while (*slot != NULL && ((*slot)->hash != hash || (*slot)->len != len ||
                             memcmp((*slot)->key, key, len) != 0))
        slot = &(*slot)->next;
    return slot;
}

void *strmap_get(const strmap *m, const void *key, size_t len)
{
    strmap_entry *e = *strmap_slot(m, key, len, hash_fnv1a(key, len));
    return e != NULL ? e->value : NULL;
}

/* Double the buckets once the load passes 1; a failed allocation only
 * leaves the chains longer. */
static void strmap_grow(strmap *m)
{
    size_t n = m->nbuckets * 2;
    strmap_entry **b = calloc(n, sizeof *b);
    if (b == NULL)
        return;
    for (size_t i = 0; i < m->nbuckets; i++) {
        strmap_entry *e = m->buckets[i];
        while (e != NULL) {
            strmap_entry *next = e->next;
            e->next = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
            e = next;
        }
    }
    free(m->buckets);
    m->buckets = b;
    m->nbuckets = n;
}

int strmap_put(strmap *m, const void *key, size_t len, void *value)
{
    uint64_t hash = hash_fnv1a(key, len);
    strmap_entry **slot = strmap_slot(m, key, len, hash);
    if (*slot != NULL) {
        (*slot)->key = key;
        (*slot)->value = value;
        return GW_OK;
    }
    strmap_entry *e = malloc(sizeof *e);
    if (e == NULL)
        return GW_ENOMEM;
    *e = (strmap_entry){.key = key, .len = len, .hash = hash, .value = value};
    *slot = e;
    if (++m->count > m->nbuckets)
        strmap_grow(m);
    return GW_OK;
}

int strmap_remove(strmap *m, const void *key, size_t len, const void *value)
{
    strmap_entry **slot = strmap_slot(m, key, len, hash_fnv1a(key, len));
    strmap_entry *e = *slot;
    if (e == NULL || e->value != value)
        return 0;
    *slot = e->next;
    free(e);
    m->count--;
    return 1;
}

size_t strmap_count(const strmap *m)
{
    return m->count;
}

int strmap_each(const strmap *m, int (*fn)(void *arg, void *value), void *arg)
{
    for (size_t i = 0; i < m->nbuckets; i++) {
        for (strmap_entry *e = m->buckets[i]; e != NULL; e = e->next) {
            int rc = fn(arg, e->value);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}
