/* isolate/value.c - the compact binary value form; see value.h. */
#include "isolate/value.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "gateway/error.h"

enum {
    TAG_NULL = 1,
    TAG_FALSE = 2,
    TAG_TRUE = 3,
    TAG_INTEGER = 4,
    TAG_REAL = 5,
    TAG_STRING = 6,
    TAG_ARRAY = 7,
    TAG_OBJECT = 8
};

static size_t varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static uint8_t *varint_write(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static uint64_t zigzag(json_int_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v < 0 ? -1 : 0);
}

/* 0 for a value that cannot be encoded: jansson values can form a cycle
 * through the API, which the depth bound catches. */
static size_t size_at(const json_t *v, int depth)
{
    if (depth > ISOLATE_VALUE_DEPTH)
        return 0;
    switch (json_typeof(v)) {
    case JSON_NULL:
    case JSON_TRUE:
    case JSON_FALSE: return 1;
    case JSON_INTEGER: return 1 + varint_size(zigzag(json_integer_value(v)));
    case JSON_REAL: return 9;
    case JSON_STRING: {
        size_t n = json_string_length(v);
        return 1 + varint_size(n) + n;
    }
    case JSON_ARRAY: {
        size_t total = 1 + varint_size(json_array_size(v)), i;
        const json_t *item;
        json_array_foreach(v, i, item) {
            size_t n = size_at(item, depth + 1);
            if (n == 0)
                return 0;
            total += n;
        }
        return total;
    }
    case JSON_OBJECT: {
        size_t total = 1 + varint_size(json_object_size(v));
        const char *key;
        const json_t *item;
        json_object_foreach((json_t *)v, key, item) {
            size_t klen = strlen(key), n = size_at(item, depth + 1);
            if (n == 0)
                return 0;
            total += varint_size(klen) + klen + n;
        }
        return total;
    }
    }
    return 0;
}

size_t isolate_value_size(const json_t *v)
{
    return v != NULL ? size_at(v, 0) : 0;
}

uint8_t *isolate_value_write(uint8_t *p, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_NULL: *p++ = TAG_NULL; break;
    case JSON_TRUE: *p++ = TAG_TRUE; break;
    case JSON_FALSE: *p++ = TAG_FALSE; break;
    case JSON_INTEGER:
        *p++ = TAG_INTEGER;
        p = varint_write(p, zigzag(json_integer_value(v)));
        break;
    case JSON_REAL: {
        double d = json_real_value(v);
        uint64_t bits;
        memcpy(&bits, &d, sizeof bits);
        *p++ = TAG_REAL;
        for (int i = 0; i < 8; i++)
            *p++ = (uint8_t)(bits >> (8 * i));
        break;
    }
    case JSON_STRING: {
        size_t n = json_string_length(v);
        *p++ = TAG_STRING;
        p = varint_write(p, n);
        memcpy(p, json_string_value(v), n);
        p += n;
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        const json_t *item;
        *p++ = TAG_ARRAY;
        p = varint_write(p, json_array_size(v));
        json_array_foreach(v, i, item)
            p = isolate_value_write(p, item);
        break;
    }
    case JSON_OBJECT: {
        const char *key;
        const json_t *item;
        *p++ = TAG_OBJECT;
        p = varint_write(p, json_object_size(v));
        json_object_foreach((json_t *)v, key, item) {
            size_t klen = strlen(key);
            p = varint_write(p, klen);
            memcpy(p, key, klen);
            p = isolate_value_write(p + klen, item);
        }
        break;
    }
    }
    return p;
}

typedef struct reader {
    const uint8_t *p, *end;
    const char *why; /* the first refusal, a literal */
    int nomem;
} reader;

static int refuse(reader *r, const char *why)
{
    if (r->why == NULL)
        r->why = why;
    return -1;
}

static int varint_read(reader *r, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p == r->end)
            return refuse(r, "truncated varint");
        uint8_t b = *r->p++;
        /* the tenth byte may only hold bit 63 */
        if (shift == 63 && b > 1)
            return refuse(r, "varint over 64 bits");
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            if (b == 0 && shift > 0)
                return refuse(r, "overlong varint");
            *out = v;
            return 0;
        }
    }
    return refuse(r, "varint over 64 bits");
}

/* A length of bytes that follow, checked against what is left. */
static int length_read(reader *r, size_t *out)
{
    uint64_t n;
    if (varint_read(r, &n) != 0)
        return -1;
    if (n > (uint64_t)(r->end - r->p))
        return refuse(r, "length past the end");
    *out = (size_t)n;
    return 0;
}

static json_t *read_value(reader *r, int depth);

static json_t *read_string(reader *r)
{
    size_t n;
    if (length_read(r, &n) != 0)
        return NULL;
    if (memchr(r->p, '\0', n) != NULL) {
        refuse(r, "NUL in a string");
        return NULL;
    }
    json_t *s = json_stringn((const char *)r->p, n);
    if (s == NULL)
        refuse(r, "string not valid UTF-8");
    r->p += n;
    return s;
}

static json_t *read_array(reader *r, int depth)
{
    uint64_t count;
    if (varint_read(r, &count) != 0)
        return NULL;
    if (count > (uint64_t)(r->end - r->p)) { /* a value is at least one byte */
        refuse(r, "count past the end");
        return NULL;
    }
    json_t *a = json_array();
    if (a == NULL) {
        r->nomem = 1;
        return NULL;
    }
    for (uint64_t i = 0; i < count; i++) {
        json_t *item = read_value(r, depth + 1);
        if (item == NULL || json_array_append_new(a, item) != 0) {
            r->nomem |= item != NULL;
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *read_object(reader *r, int depth)
{
    uint64_t count;
    if (varint_read(r, &count) != 0)
        return NULL;
    if (count > (uint64_t)(r->end - r->p) / 2) { /* key length and value */
        refuse(r, "count past the end");
        return NULL;
    }
    json_t *o = json_object();
    if (o == NULL) {
        r->nomem = 1;
        return NULL;
    }
    for (uint64_t i = 0; i < count; i++) {
        size_t klen;
        if (length_read(r, &klen) != 0)
            goto fail;
        const char *key = (const char *)r->p;
        if (memchr(key, '\0', klen) != NULL) {
            refuse(r, "NUL in a key");
            goto fail;
        }
        if (json_object_getn(o, key, klen) != NULL) {
            refuse(r, "duplicate key");
            goto fail;
        }
        r->p += klen;
        json_t *item = read_value(r, depth + 1);
        if (item == NULL)
            goto fail;
        if (json_object_setn_new(o, key, klen, item) != 0) {
            refuse(r, "key not valid UTF-8");
            goto fail;
        }
    }
    return o;
fail:
    json_decref(o);
    return NULL;
}

static json_t *read_value(reader *r, int depth)
{
    if (depth > ISOLATE_VALUE_DEPTH) {
        refuse(r, "nested too deep");
        return NULL;
    }
    if (r->p == r->end) {
        refuse(r, "truncated value");
        return NULL;
    }
    json_t *v = NULL;
    switch (*r->p++) {
    case TAG_NULL: return json_null();
    case TAG_FALSE: return json_false();
    case TAG_TRUE: return json_true();
    case TAG_INTEGER: {
        uint64_t z;
        if (varint_read(r, &z) != 0)
            return NULL;
        v = json_integer((json_int_t)((z >> 1) ^ (~(z & 1) + 1)));
        break;
    }
    case TAG_REAL: {
        if (r->end - r->p < 8) {
            refuse(r, "truncated real");
            return NULL;
        }
        uint64_t bits = 0;
        for (int i = 0; i < 8; i++)
            bits |= (uint64_t)r->p[i] << (8 * i);
        r->p += 8;
        double d;
        memcpy(&d, &bits, sizeof d);
        if (!isfinite(d)) {
            refuse(r, "real not finite");
            return NULL;
        }
        v = json_real(d);
        break;
    }
    case TAG_STRING: return read_string(r);
    case TAG_ARRAY: return read_array(r, depth);
    case TAG_OBJECT: return read_object(r, depth);
    default: refuse(r, "unknown tag"); return NULL;
    }
    if (v == NULL)
        r->nomem = 1;
    return v;
}

int isolate_value_decode(const uint8_t *p, size_t len, json_t **out, char *err, size_t errlen)
{
    reader r = {p, p + len, NULL, 0};
    json_t *v = read_value(&r, 0);
    if (v != NULL && r.p != r.end) {
        json_decref(v);
        v = NULL;
        refuse(&r, "trailing bytes");
    }
    *out = v;
    if (v != NULL)
        return 0;
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "%s", r.nomem && r.why == NULL ? "out of memory" : r.why);
    return r.nomem && r.why == NULL ? GW_ENOMEM : GW_EPARSE;
}
