/* strmap.h - a hash map from byte-string keys to pointers (open
 * addressing: the entries live in the table, see strmap.c).
 *
 * For the in-memory indexes of the conversation service (conversations by
 * thread key and by id, contacts by network and author), which the
 * pipeline consults for every event: a lookup must cost a hash and a
 * compare, never a database read. The map owns its entries, not the keys:
 * a key is borrowed from the value it indexes and must stay valid, and
 * unchanged, until strmap_remove() or strmap_free().
 */
#ifndef GW_STRMAP_H
#define GW_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct strmap strmap;

/* A new empty map (caller frees with strmap_free), or NULL without memory. */
strmap *strmap_new(void);

/* Frees the entries, not the keys or values. NULL is a no-op. */
void strmap_free(strmap *m);

/* The value stored under key, or NULL. */
void *strmap_get(const strmap *m, const void *key, size_t len);

/* Store value under key (borrowed, see above; never NULL), replacing any
 * value there. Returns 0, GW_ENOMEM, or GW_EINVAL for a NULL key or one
 * of 4 GiB or more. */
int strmap_put(strmap *m, const void *key, size_t len, void *value);

/* Remove key's entry if its value is value (so that a key since taken
 * over by another value stays); returns 1 when removed, else 0. */
int strmap_remove(strmap *m, const void *key, size_t len, const void *value);

/* Number of entries. */
size_t strmap_count(const strmap *m);

/* Calls fn for every entry (no insertions or removals meanwhile); a
 * non-zero return stops the walk and is returned. */
int strmap_each(const strmap *m, int (*fn)(void *arg, void *value), void *arg);

#endif /* GW_STRMAP_H */
