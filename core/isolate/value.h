/* isolate/value.h - the compact binary form of the structured part of a
 * frame (an event, a request's fields, an answer).
 *
 * JSON text made every emitted event cost a dump in the plugin host and
 * a parse in the core, more than the gateway spends on the event inline.
 * This form keeps JSON's data model (so both ends still hand jansson
 * values around) without text: a tag byte per value, lengths and counts
 * as LEB128 varints, integers zigzag-encoded, reals as their 8 IEEE-754
 * bytes, little-endian:
 *
 *   0x01 null   0x02 false   0x03 true
 *   0x04 integer  varint(zigzag(value))
 *   0x05 real     8 bytes
 *   0x06 string   varint(length) bytes      (UTF-8, no NUL)
 *   0x07 array    varint(count) value...
 *   0x08 object   varint(count) (varint(length) key value)...
 *
 * The decoder is as strict as the JSON reader it replaces: invalid UTF-8,
 * a NUL in a string or key, a duplicate key, a NaN or infinite real, an
 * overlong varint, nesting past ISOLATE_VALUE_DEPTH, a count larger than
 * the bytes left could hold, or a trailing byte is refused.
 */
#ifndef GW_ISOLATE_VALUE_H
#define GW_ISOLATE_VALUE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Nesting the encoder writes and the decoder reads at most. */
#define ISOLATE_VALUE_DEPTH 256

/* isolate_value_size - the encoded size of v, or 0 when v cannot be
 * encoded (nested deeper than ISOLATE_VALUE_DEPTH, or a cycle). */
size_t isolate_value_size(const json_t *v);

/* isolate_value_write - write v at p, which has room for
 * isolate_value_size(v) bytes (non-zero); returns the end. */
uint8_t *isolate_value_write(uint8_t *p, const json_t *v);

/* isolate_value_decode - read exactly one value from p[0..len). Returns 0
 * with *out set (owned by the caller), or GW_EPARSE with err saying why
 * and *out NULL (GW_ENOMEM when jansson could not allocate). */
int isolate_value_decode(const uint8_t *p, size_t len, json_t **out, char *err, size_t errlen);

#endif /* GW_ISOLATE_VALUE_H */
