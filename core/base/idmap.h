/* idmap.h - pointers by positive 64-bit id, for ids a table hands out in
 * increasing order (the conversations': INTEGER PRIMARY KEY).
 *
 * A directory of pages of IDMAP_PAGE slots, one page per run of ids: a
 * lookup is two indexed reads, and a walk meets the entries in id order.
 * Memory follows the ids that are live: a page is freed when its last
 * entry leaves, and the directory drops the empty pages at either end,
 * so the open conversations, which are mostly the newest, cost about
 * eight bytes each; at worst, when no two live ids share a page, a page
 * (520 bytes) each, and the directory a pointer per page between the
 * lowest and the highest. A hash map of the same entries (base/strmap.h)
 * kept them in a table two to four times their number, of 24-byte slots,
 * where every new id landed on a cache line of its own.
 */
#ifndef GW_IDMAP_H
#define GW_IDMAP_H

#include <stddef.h>
#include <stdint.h>

#define IDMAP_PAGE 64 /* ids per page */

typedef struct idmap idmap;

/* A new empty map (caller frees with idmap_free), or NULL without memory. */
idmap *idmap_new(void);

/* Frees the map, not the values. NULL is a no-op. */
void idmap_free(idmap *m);

/* The value stored under id, or NULL. */
void *idmap_get(const idmap *m, int64_t id);

/* Store value (not NULL) under id (> 0), replacing any value there.
 * Returns 0, GW_EINVAL for an id below 1 or a NULL value, or GW_ENOMEM.
 * Ids far below every id stored grow the directory at its front: a load
 * in any order works, in id order it costs least. */
int idmap_put(idmap *m, int64_t id, void *value);

/* Remove id's entry if its value is value (as strmap_remove); returns 1
 * when removed, else 0. */
int idmap_remove(idmap *m, int64_t id, const void *value);

/* Number of entries. */
size_t idmap_count(const idmap *m);

/* The entry with the smallest id greater than after (after 0: the
 * first), its id in *id; NULL when there is none. */
void *idmap_next(const idmap *m, int64_t after, int64_t *id);

/* Calls fn for every entry in id order (no puts or removals meanwhile);
 * a non-zero return stops the walk and is returned. */
int idmap_each(const idmap *m, int (*fn)(void *arg, void *value), void *arg);

#endif /* GW_IDMAP_H */
