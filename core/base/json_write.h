/* json_write.h - compact JSON text of a jansson value, written into a
 * reusable buffer: the stored form of every event.
 *
 * The output is byte for byte what json_dumpb() writes with JSON_COMPACT |
 * JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15) (the store's flags), so
 * the log, the sinks and the readers see no change; only faster. jansson
 * dumps through a callback per fragment and re-checks every string's UTF-8
 * with a per-codepoint decoder; for the ~1 KB of an event that was most of
 * the serialisation cost. Here the common bytes (ASCII that needs no
 * escape) are copied in runs.
 */
#ifndef GW_JSON_WRITE_H
#define GW_JSON_WRITE_H

#include <stddef.h>
#include <string.h>

#include <jansson.h>

#include "gateway/error.h"

/* A growable byte buffer; zero-initialise it. The owner frees data with
 * jw_buf_free(). */
typedef struct jw_buf {
    char *data;
    size_t len;
    size_t cap;
} jw_buf;

/* Replace b's contents with the compact JSON of v (not NUL-terminated;
 * b->len bytes). Returns 0, GW_EINVAL when jansson would refuse to dump v
 * too (a string that is not UTF-8, nesting deeper than 2048, a cycle), or
 * GW_ENOMEM. On failure b->len is 0. */
int jw_dump(jw_buf *b, const json_t *v);

/* Grow b for `more` bytes after len (jw_raw's slow path). Returns 0 or
 * GW_ENOMEM. */
int jw_grow(jw_buf *b, size_t more);

/* Append raw, already valid JSON text (a pre-serialised fragment).
 * Returns 0 or GW_ENOMEM. Inline: most calls append a literal or a few
 * bytes, and a call per fragment was a tenth of the cost of writing
 * triage's tags. */
static inline int jw_raw(jw_buf *b, const char *text, size_t len)
{
    if (b->cap - b->len < len && jw_grow(b, len) != 0)
        return GW_ENOMEM;
    if (len > 0)
        memcpy(b->data + b->len, text, len);
    b->len += len;
    return 0;
}

/* Append one JSON string (quoted, escaped as jansson does) or integer,
 * for members written without a json_t. jw_string returns GW_EINVAL when
 * str is not UTF-8. Both return 0 or GW_ENOMEM. */
int jw_string(jw_buf *b, const char *str, size_t len);
int jw_integer(jw_buf *b, json_int_t v);

/* Make room for cap bytes in all, allocating exactly that much when b has
 * less. For a buffer that stays small and is held by the thousand (a
 * conversation's seq list): the first growth otherwise allocates 1 KB, the
 * right size for a buffer reused per event. Returns 0 or GW_ENOMEM. */
int jw_buf_reserve(jw_buf *b, size_t cap);

void jw_buf_free(jw_buf *b);

#endif
