/* idmap.c - pointers by id in pages (see idmap.h). */
#include "base/idmap.h"

#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "gateway/error.h"

typedef struct idmap_page {
    size_t used; /* slots not NULL */
    void *slot[IDMAP_PAGE];
} idmap_page;

struct idmap {
    idmap_page **dir; /* owned: dir[i] holds the ids of page first + i; NULL when empty */
    size_t len, cap;  /* pages in dir, and room for */
    int64_t first;    /* the page number (id / IDMAP_PAGE) of dir[0] */
    size_t count;
};

idmap *idmap_new(void)
{
    return calloc(1, sizeof(idmap));
}

void idmap_free(idmap *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->len; i++)
        free(m->dir[i]);
    free(m->dir);
    free(m);
}

/* The page holding id, or NULL. */
static idmap_page *page_of(const idmap *m, int64_t id)
{
    if (id < 1 || m->len == 0)
        return NULL;
    int64_t pn = id / IDMAP_PAGE;
    if (pn < m->first || (uint64_t)(pn - m->first) >= m->len)
        return NULL;
    return m->dir[pn - m->first];
}

void *idmap_get(const idmap *m, int64_t id)
{
    const idmap_page *p = page_of(m, id);
    return p != NULL ? p->slot[id % IDMAP_PAGE] : NULL;
}

/* Room in the directory for page number pn: GW_OK or GW_ENOMEM. */
static int cover(idmap *m, int64_t pn)
{
    if (m->len == 0)
        m->first = pn;
    if (pn < m->first) {
        uint64_t shift = (uint64_t)(m->first - pn);
        if (shift > SIZE_MAX - m->len)
            return GW_ENOMEM;
        size_t need = m->len + (size_t)shift;
        idmap_page **dir = grow_array(m->dir, &m->cap, need, sizeof *dir, 16);
        if (dir == NULL)
            return GW_ENOMEM;
        memmove(dir + shift, dir, m->len * sizeof *dir);
        memset(dir, 0, (size_t)shift * sizeof *dir);
        m->dir = dir;
        m->len = need;
        m->first = pn;
    } else if ((uint64_t)(pn - m->first) >= m->len) {
        uint64_t need = (uint64_t)(pn - m->first) + 1;
        if (need > SIZE_MAX)
            return GW_ENOMEM;
        idmap_page **dir = grow_array(m->dir, &m->cap, (size_t)need, sizeof *dir, 16);
        if (dir == NULL)
            return GW_ENOMEM;
        memset(dir + m->len, 0, ((size_t)need - m->len) * sizeof *dir);
        m->dir = dir;
        m->len = (size_t)need;
    }
    return GW_OK;
}

/* Drop the empty pages at both ends of the directory. */
static void trim(idmap *m)
{
    while (m->len > 0 && m->dir[m->len - 1] == NULL)
        m->len--;
    size_t lead = 0;
    while (lead < m->len && m->dir[lead] == NULL)
        lead++;
    if (lead > 0) {
        memmove(m->dir, m->dir + lead, (m->len - lead) * sizeof *m->dir);
        m->len -= lead;
        m->first += (int64_t)lead;
    }
}

int idmap_put(idmap *m, int64_t id, void *value)
{
    if (id < 1 || value == NULL)
        return GW_EINVAL;
    int64_t pn = id / IDMAP_PAGE;
    if (cover(m, pn) != GW_OK)
        return GW_ENOMEM;
    idmap_page **at = &m->dir[pn - m->first];
    if (*at == NULL && (*at = calloc(1, sizeof **at)) == NULL) {
        trim(m); /* the directory grown for it holds no page */
        return GW_ENOMEM;
    }
    void **slot = &(*at)->slot[id % IDMAP_PAGE];
    if (*slot == NULL) {
        (*at)->used++;
        m->count++;
    }
    *slot = value;
    return GW_OK;
}

int idmap_remove(idmap *m, int64_t id, const void *value)
{
    idmap_page *p = page_of(m, id);
    if (p == NULL || p->slot[id % IDMAP_PAGE] != value || value == NULL)
        return 0;
    p->slot[id % IDMAP_PAGE] = NULL;
    m->count--;
    if (--p->used == 0) {
        m->dir[id / IDMAP_PAGE - m->first] = NULL;
        free(p);
        trim(m);
    }
    return 1;
}

size_t idmap_count(const idmap *m)
{
    return m->count;
}

void *idmap_next(const idmap *m, int64_t after, int64_t *id)
{
    if (after < 0)
        after = 0;
    if (after == INT64_MAX || m->len == 0)
        return NULL;
    int64_t from = after + 1;
    size_t i = 0, s = 0;
    if (from / IDMAP_PAGE >= m->first) {
        if ((uint64_t)(from / IDMAP_PAGE - m->first) >= m->len)
            return NULL;
        i = (size_t)(from / IDMAP_PAGE - m->first);
        s = (size_t)(from % IDMAP_PAGE);
    }
    for (; i < m->len; i++, s = 0) {
        const idmap_page *p = m->dir[i];
        for (; p != NULL && s < IDMAP_PAGE; s++) {
            if (p->slot[s] != NULL) {
                *id = (m->first + (int64_t)i) * IDMAP_PAGE + (int64_t)s;
                return p->slot[s];
            }
        }
    }
    return NULL;
}

int idmap_each(const idmap *m, int (*fn)(void *arg, void *value), void *arg)
{
    for (size_t i = 0; i < m->len; i++) {
        const idmap_page *p = m->dir[i];
        for (size_t s = 0; p != NULL && s < IDMAP_PAGE; s++) {
            int rc = p->slot[s] != NULL ? fn(arg, p->slot[s]) : 0;
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}
