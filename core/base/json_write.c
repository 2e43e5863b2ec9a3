/* json_write.c - compact JSON writer (see json_write.h). */
#include "base/json_write.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/digits.h"
#include "gateway/error.h"

/* jansson's parser refuses deeper input; the bound also ends a cycle. */
#define JW_MAX_DEPTH 2048

int jw_buf_reserve(jw_buf *b, size_t cap)
{
    if (b->cap >= cap)
        return 0;
    char *grown = realloc(b->data, cap);
    if (grown == NULL)
        return GW_ENOMEM;
    b->data = grown;
    b->cap = cap;
    return 0;
}

static int jw_reserve(jw_buf *b, size_t more)
{
    if (b->cap - b->len >= more)
        return 0;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap - b->len < more) {
        if (cap > SIZE_MAX / 2)
            return GW_ENOMEM;
        cap *= 2;
    }
    return jw_buf_reserve(b, cap);
}

int jw_grow(jw_buf *b, size_t more)
{
    return jw_reserve(b, more);
}

static int jw_byte(jw_buf *b, char c)
{
    if (b->len == b->cap && jw_reserve(b, 1))
        return GW_ENOMEM;
    b->data[b->len++] = c;
    return 0;
}

/* Printable ASCII but the quote and the backslash: copied as is. The
 * rest is escaped, or (from 0x80) a UTF-8 sequence to check, since
 * jansson refuses to dump a malformed string. */
static inline int plain(unsigned char c)
{
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0: the
 * rules of jansson's utf8_check_full (no overlongs, no surrogates, nothing
 * past U+10FFFF). */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    size_t size;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
        size = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        size = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        size = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (size > n)
        return 0;
    for (size_t i = 1; i < size; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || (size == 3 && cp < 0x800) ||
        (size == 4 && cp < 0x10000))
        return 0;
    return size;
}

/* Whether all eight bytes of w are plain: none below 0x20 (the borrow of
 * w - 0x20 per byte reaches its top bit), none with the top bit set, no
 * '"' nor '\\' (a zero byte after the xor). Exact, as each test only
 * looks at bytes without the top bit. Eight bytes a step is what makes
 * the long texts cheap. */
static inline int word_plain(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull, tops = 0x8080808080808080ull;
    uint64_t q = w ^ (ones * '"'), bs = w ^ (ones * '\\');
    uint64_t special = ((w - ones * 0x20) | (q - ones) | (bs - ones)) & ~w;
    return ((special | w) & tops) == 0;
}

/* A JSON string: runs of plain bytes copied at once; the escapes jansson
 * writes (its short forms, else \u00XX in upper case). */
int jw_string(jw_buf *b, const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    /* worst case: every byte becomes \u00XX */
    if (len > (SIZE_MAX - 2) / 6 || jw_reserve(b, len * 6 + 2))
        return GW_ENOMEM;
    char *out = b->data + b->len;
    *out++ = '"';
    size_t i = 0;
    while (i < len) {
        size_t run = i;
        uint64_t w;
        while (run + 8 <= len && (memcpy(&w, s + run, 8), word_plain(w)))
            run += 8;
        while (run < len && plain(s[run]))
            run++;
        memcpy(out, s + i, run - i);
        out += run - i;
        i = run;
        if (i == len)
            break;
        unsigned char c = s[i];
        if (c >= 0x80) {
            size_t n = utf8_len(s + i, len - i);
            if (n == 0)
                return GW_EINVAL;
            memcpy(out, s + i, n);
            out += n;
            i += n;
            continue;
        }
        *out++ = '\\';
        switch (c) {
        case '"': *out++ = '"'; break;
        case '\\': *out++ = '\\'; break;
        case '\b': *out++ = 'b'; break;
        case '\f': *out++ = 'f'; break;
        case '\n': *out++ = 'n'; break;
        case '\r': *out++ = 'r'; break;
        case '\t': *out++ = 't'; break;
        default:
            *out++ = 'u';
            *out++ = '0';
            *out++ = '0';
            *out++ = "0123456789ABCDEF"[c >> 4];
            *out++ = "0123456789ABCDEF"[c & 15];
        }
        i++;
    }
    *out++ = '"';
    b->len = (size_t)(out - b->data);
    return 0;
}

int jw_integer(jw_buf *b, json_int_t v)
{
    char tmp[1 + DIGITS_MAX];
    tmp[0] = '-';
    /* through unsigned: the negation of the smallest value is defined */
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    size_t n = digits_put(tmp + 1, u);
    return v < 0 ? jw_raw(b, tmp, n + 1) : jw_raw(b, tmp + 1, n);
}

/* jansson's jsonp_dtostr at precision 15: "%.15g", a '.' whatever the
 * locale, no '+' nor leading zeros in the exponent, ".0" when the text
 * would read as an integer. */
static int jw_real(jw_buf *b, double v)
{
    char tmp[40];
    int n = snprintf(tmp, sizeof tmp, "%.15g", v);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return GW_EINVAL;
    size_t len = (size_t)n;
    int has_dot_or_e = 0;
    for (size_t i = 0; i < len; i++) {
        if (tmp[i] == ',')
            tmp[i] = '.';
        if (tmp[i] == '.' || tmp[i] == 'e')
            has_dot_or_e = 1;
        if (tmp[i] == 'n' || tmp[i] == 'N')
            return GW_EINVAL; /* inf, nan: jansson does not hold them either */
    }
    char *e = memchr(tmp, 'e', len);
    if (e != NULL) {
        char *start = e + 1, *end = e + 2;
        if (*start == '-')
            start++;
        while (*end == '0')
            end++;
        if (end != start) {
            memmove(start, end, (size_t)(tmp + len + 1 - end));
            len -= (size_t)(end - start);
        }
    }
    if (!has_dot_or_e) {
        tmp[len++] = '.';
        tmp[len++] = '0';
    }
    return jw_raw(b, tmp, len);
}

static int jw_value(jw_buf *b, const json_t *v, int depth)
{
    int rc;
    if (depth > JW_MAX_DEPTH)
        return GW_EINVAL;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        size_t key_len;
        json_t *m;
        int first = 1;
        if (jw_byte(b, '{'))
            return GW_ENOMEM;
        json_object_keylen_foreach((json_t *)v, key, key_len, m) {
            if (!first && jw_byte(b, ','))
                return GW_ENOMEM;
            first = 0;
            if ((rc = jw_string(b, key, key_len)) || (rc = jw_byte(b, ':')) ||
                (rc = jw_value(b, m, depth + 1)))
                return rc;
        }
        return jw_byte(b, '}');
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        if (jw_byte(b, '['))
            return GW_ENOMEM;
        for (size_t i = 0; i < n; i++) {
            if (i > 0 && jw_byte(b, ','))
                return GW_ENOMEM;
            if ((rc = jw_value(b, json_array_get(v, i), depth + 1)))
                return rc;
        }
        return jw_byte(b, ']');
    }
    case JSON_STRING:
        return jw_string(b, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return jw_integer(b, json_integer_value(v));
    case JSON_REAL:
        return jw_real(b, json_real_value(v));
    case JSON_TRUE:
        return jw_raw(b, "true", 4);
    case JSON_FALSE:
        return jw_raw(b, "false", 5);
    case JSON_NULL:
        return jw_raw(b, "null", 4);
    }
    return GW_EINVAL;
}

int jw_dump(jw_buf *b, const json_t *v)
{
    b->len = 0;
    if (v == NULL)
        return GW_EINVAL;
    int rc = jw_value(b, v, 0);
    if (rc)
        b->len = 0;
    return rc;
}

void jw_buf_free(jw_buf *b)
{
    free(b->data);
    *b = (jw_buf){0};
}
