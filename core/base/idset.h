/* idset.h - a set of positive 64-bit ids, as bits in pages of
 * IDSET_BITS ids held in an idmap (base/idmap.h) by page number.
 *
 * For the conversations in one state (open, answered), walked in id
 * order: a page of the API's list by state reads the ids in that state
 * after its cursor, not every conversation in memory (the walk of
 * 104,000 open ones to find no answered one took 4.7 ms on the loop). A
 * set costs a page of 512 bytes for each run of IDSET_BITS ids that
 * holds one of its ids, given back when empty.
 */
#ifndef GW_IDSET_H
#define GW_IDSET_H

#include <stddef.h>
#include <stdint.h>

#define IDSET_BITS 4096 /* ids per page */

typedef struct idset idset;

/* A new empty set (caller frees with idset_free), or NULL without memory. */
idset *idset_new(void);
void idset_free(idset *s); /* NULL is a no-op */

/* Add id (> 0): 0, GW_EINVAL for an id below 1, or GW_ENOMEM (the set
 * is then unchanged). Adding an id already there is a no-op. */
int idset_add(idset *s, int64_t id);

/* Remove id if there (pages left empty are freed). */
void idset_remove(idset *s, int64_t id);

int idset_has(const idset *s, int64_t id);
size_t idset_count(const idset *s);

/* The smallest id in the set greater than after (after 0: the first),
 * or 0 when there is none. */
int64_t idset_next(const idset *s, int64_t after);

#endif /* GW_IDSET_H */
