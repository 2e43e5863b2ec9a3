/* idset.c - ids as bits in pages (see idset.h). */
#include "base/idset.h"

#include <stdlib.h>

#include "base/idmap.h"
#include "gateway/error.h"

#define WORDS (IDSET_BITS / 64)

typedef struct idset_page {
    size_t count; /* bits set */
    uint64_t w[WORDS];
} idset_page;

struct idset {
    idmap *pages; /* owned: page number + 1 (idmap's keys start at 1) -> its bits */
    size_t count;
};

idset *idset_new(void)
{
    idset *s = calloc(1, sizeof *s);
    if (s != NULL && (s->pages = idmap_new()) == NULL) {
        free(s);
        return NULL;
    }
    return s;
}

static int free_page(void *arg, void *page)
{
    (void)arg;
    free(page);
    return 0;
}

void idset_free(idset *s)
{
    if (s == NULL)
        return;
    idmap_each(s->pages, free_page, NULL);
    idmap_free(s->pages);
    free(s);
}

static int64_t key_of(int64_t id)
{
    return id / IDSET_BITS + 1;
}

int idset_add(idset *s, int64_t id)
{
    if (id < 1)
        return GW_EINVAL;
    idset_page *p = idmap_get(s->pages, key_of(id));
    if (p == NULL) {
        if ((p = calloc(1, sizeof *p)) == NULL)
            return GW_ENOMEM;
        if (idmap_put(s->pages, key_of(id), p) != GW_OK) {
            free(p);
            return GW_ENOMEM;
        }
    }
    size_t bit = (size_t)(id % IDSET_BITS);
    uint64_t mask = UINT64_C(1) << (bit % 64);
    if ((p->w[bit / 64] & mask) == 0) {
        p->w[bit / 64] |= mask;
        p->count++;
        s->count++;
    }
    return GW_OK;
}

void idset_remove(idset *s, int64_t id)
{
    idset_page *p = id >= 1 ? idmap_get(s->pages, key_of(id)) : NULL;
    if (p == NULL)
        return;
    size_t bit = (size_t)(id % IDSET_BITS);
    uint64_t mask = UINT64_C(1) << (bit % 64);
    if ((p->w[bit / 64] & mask) == 0)
        return;
    p->w[bit / 64] &= ~mask;
    s->count--;
    if (--p->count == 0) {
        idmap_remove(s->pages, key_of(id), p);
        free(p);
    }
}

int idset_has(const idset *s, int64_t id)
{
    const idset_page *p = id >= 1 ? idmap_get(s->pages, key_of(id)) : NULL;
    size_t bit = (size_t)(id % IDSET_BITS);
    return p != NULL && (p->w[bit / 64] >> (bit % 64) & 1) != 0;
}

size_t idset_count(const idset *s)
{
    return s->count;
}

int64_t idset_next(const idset *s, int64_t after)
{
    if (after < 0)
        after = 0;
    if (after == INT64_MAX)
        return 0;
    int64_t from = after + 1, key;
    /* the first page at or after from's */
    const idset_page *p = idmap_next(s->pages, key_of(from) - 1, &key);
    size_t bit = p != NULL && key == key_of(from) ? (size_t)(from % IDSET_BITS) : 0;
    for (; p != NULL; p = idmap_next(s->pages, key, &key), bit = 0) {
        for (size_t i = bit / 64; i < WORDS; i++) {
            uint64_t w = p->w[i];
            if (i == bit / 64)
                w &= ~UINT64_C(0) << (bit % 64);
            if (w != 0)
                return (key - 1) * IDSET_BITS + (int64_t)(i * 64) + __builtin_ctzll(w);
        }
    }
    return 0;
}
