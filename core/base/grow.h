/* grow.h - room for one more, or for `need`, in an array grown by
 * doubling: the shape every growable array here had written out.
 */
#ifndef GW_BASE_GROW_H
#define GW_BASE_GROW_H

#include <stdint.h>
#include <stdlib.h>

/* items (cap elements of size bytes each; NULL when cap is 0) grown to
 * hold at least need: cap doubles from first (or from itself) until it
 * does. Returns the array, moved or not, with *cap updated, or NULL when
 * out of memory (items and *cap are then unchanged and still the
 * caller's). The caller owns the result as it owned items. */
static inline void *grow_array(void *items, size_t *cap, size_t need, size_t size, size_t first)
{
    if (need <= *cap)
        return items;
    size_t n = *cap ? *cap : first;
    while (n < need) {
        if (n > SIZE_MAX / 2)
            return NULL;
        n *= 2;
    }
    if (n > SIZE_MAX / size)
        return NULL;
    void *grown = realloc(items, n * size);
    if (grown != NULL)
        *cap = n;
    return grown;
}

#endif /* GW_BASE_GROW_H */
