/* toml_string.c - the TOML lexer's strings: the four string forms (basic,
 * literal, and their multi-line variants) with escapes decoded, and the
 * key parts of a key (bare, "basic" or 'literal').
 *
 * Built on the cursor (toml_lex.c). What it scans is returned as a heap
 * copy whose ownership passes to the caller.
 */
#include "config/toml_string.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/error.h"

typedef struct toml_buf {
    char *ptr;
    size_t len, cap;
} toml_buf;

static int buf_append(toml_buf *b, const char *s, size_t n)
{
    if (n >= b->cap - b->len || !b->ptr) {
        size_t cap = b->cap ? b->cap : 32;
        while (cap - b->len <= n) {
            if (cap > SIZE_MAX / 2)
                return -1;
            cap *= 2;
        }
        char *p = realloc(b->ptr, cap);
        if (!p)
            return -1;
        b->ptr = p;
        b->cap = cap;
    }
    memcpy(b->ptr + b->len, s, n);
    b->len += n;
    b->ptr[b->len] = '\0';
    return 0;
}

static void put_utf8(char *out, size_t *n, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        *n = 1;
    } else if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        *n = 2;
    } else if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        *n = 3;
    } else {
        out[0] = (char)(0xF0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char)(0x80 | (cp & 0x3F));
        *n = 4;
    }
}

/* At a backslash inside a basic string: decode one escape into b. In
 * multi-line strings a backslash ending a line swallows the line break and
 * all whitespace after it. */
static int scan_escape(toml_lexer *lx, toml_buf *b, int multiline)
{
    /* Pairs of escape letter and the byte it stands for. */
    static const char simple[] = "b\bt\tn\nf\fr\r\"\"\\\\";
    size_t at = lx->pos;
    char d[TOML_LEX_DESCRIBE_SIZE];

    if (at + 1 >= lx->len)
        return toml_lex_fail(lx, at, "incomplete escape sequence at end of file");
    int e = (unsigned char)lx->text[at + 1];
    for (const char *s = simple; *s; s += 2) {
        if (*s == e) {
            lx->pos = at + 2;
            return buf_append(b, s + 1, 1) ? toml_lex_nomem(lx) : 0;
        }
    }
    if (e == 'u' || e == 'U') {
        int digits = e == 'u' ? 4 : 8;
        uint32_t cp = 0;
        char out[4];
        size_t n;
        for (int i = 0; i < digits; i++) {
            size_t p = at + 2 + (size_t)i;
            if (p >= lx->len || !toml_is_hex_digit((unsigned char)lx->text[p]))
                return toml_lex_fail(lx, at,
                                     "invalid escape \\%c: expected %d hex digits, found %s", e,
                                     digits, toml_lex_describe(lx, p, d));
            cp = (cp << 4) | (uint32_t)toml_hex_value((unsigned char)lx->text[p]);
        }
        if (cp >= 0xD800 && cp <= 0xDFFF)
            return toml_lex_fail(lx, at,
                                 "invalid escape \\%c%.*s: surrogate code points are not "
                                 "characters",
                                 e, digits, lx->text + at + 2);
        if (cp > 0x10FFFF)
            return toml_lex_fail(lx, at, "invalid escape \\%c%.*s: beyond U+10FFFF", e, digits,
                                 lx->text + at + 2);
        put_utf8(out, &n, cp);
        lx->pos = at + 2 + (size_t)digits;
        return buf_append(b, out, n) ? toml_lex_nomem(lx) : 0;
    }
    if (multiline && (e == ' ' || e == '\t' || toml_lex_newline_at(lx, at + 1))) {
        size_t p = at + 1;
        while (p < lx->len && (lx->text[p] == ' ' || lx->text[p] == '\t'))
            p++;
        if (!toml_lex_newline_at(lx, p))
            return toml_lex_fail(lx, at,
                                 "invalid escape: a '\\' followed by whitespace must be the "
                                 "last thing on its line");
        for (;;) {
            size_t nl = (size_t)toml_lex_newline_at(lx, p);
            if (nl)
                p += nl;
            else if (p < lx->len && (lx->text[p] == ' ' || lx->text[p] == '\t'))
                p++;
            else
                break;
        }
        lx->pos = p;
        return 0;
    }
    return toml_lex_fail(lx, at,
                         "invalid escape sequence: '\\' followed by %s (valid: \\b \\t \\n "
                         "\\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX)",
                         toml_lex_describe(lx, at + 1, d));
}

/* Scan any of the four string forms at the cursor; quote is '"' or '\''.
 * Line breaks inside multi-line strings come out as "\n" whatever the file
 * used, so a config edited on Windows means the same thing.
 * On success *out is a NUL-terminated heap string the caller frees. */
int toml_string_scan(toml_lexer *lx, char quote, int multiline, char **out, size_t *out_len)
{
    const char *kind = quote == '"'
                           ? (multiline ? "a multi-line string" : "a string")
                           : (multiline ? "a multi-line literal string" : "a literal string");
    const char *closing =
        quote == '"' ? (multiline ? "\"\"\"" : "'\"'") : (multiline ? "'''" : "\"'\"");
    size_t open = lx->pos;
    toml_buf b = {0};
    int rc;

    if (buf_append(&b, "", 0))
        goto nomem;
    lx->pos += multiline ? 3 : 1;
    if (multiline)
        toml_lex_skip_newline(lx);
    for (;;) {
        if (lx->pos >= lx->len) {
            rc = toml_lex_fail(
                lx, open, "unterminated string: expected closing %s, found end of file", closing);
            goto fail;
        }
        unsigned char c = (unsigned char)lx->text[lx->pos];
        if (c == (unsigned char)quote) {
            if (!multiline) {
                lx->pos++;
                break;
            }
            size_t run = 0;
            while (lx->pos + run < lx->len && lx->text[lx->pos + run] == quote)
                run++;
            if (run < 3) {
                if (buf_append(&b, lx->text + lx->pos, run))
                    goto nomem;
                lx->pos += run;
                continue;
            }
            if (run > 5) {
                rc = toml_lex_fail(lx, lx->pos + 5,
                                   "too many quotes: at most two %c may come right before the "
                                   "closing %c%c%c",
                                   quote, quote, quote, quote);
                goto fail;
            }
            if (buf_append(&b, lx->text + lx->pos, run - 3))
                goto nomem;
            lx->pos += run;
            break;
        }
        if (c == '\\' && quote == '"') {
            rc = scan_escape(lx, &b, multiline);
            if (rc)
                goto fail;
            continue;
        }
        size_t nl = (size_t)toml_lex_newline_at(lx, lx->pos);
        if (nl) {
            if (!multiline) {
                rc = toml_lex_fail(lx, open,
                                   "unterminated string: expected closing %s before the end of "
                                   "the line, found newline",
                                   closing);
                goto fail;
            }
            if (buf_append(&b, "\n", 1))
                goto nomem;
            lx->pos += nl;
            continue;
        }
        if (toml_is_control(c)) {
            rc = toml_lex_fail_control(lx, lx->pos, kind);
            goto fail;
        }
        size_t run_start = lx->pos;
        while (lx->pos < lx->len) {
            c = (unsigned char)lx->text[lx->pos];
            if (c == (unsigned char)quote || (c == '\\' && quote == '"') || toml_is_control(c))
                break;
            lx->pos++;
        }
        if (buf_append(&b, lx->text + run_start, lx->pos - run_start))
            goto nomem;
    }
    *out = b.ptr;
    *out_len = b.len;
    return 0;

nomem:
    rc = toml_lex_nomem(lx);
fail:
    free(b.ptr);
    return rc;
}

int toml_string_key(toml_lexer *lx, char **name, size_t *len)
{
    size_t start = lx->pos;
    int c = toml_lex_peek(lx);
    char d[TOML_LEX_DESCRIBE_SIZE];

    if (c == '"' || c == '\'') {
        char q3[4] = {(char)c, (char)c, (char)c, '\0'};
        if (toml_lex_starts_with(lx, start, q3))
            return toml_lex_fail(lx, start, "a multi-line string cannot be used as a key");
        return toml_string_scan(lx, (char)c, 0, name, len);
    }
    while (lx->pos < lx->len && toml_is_bare_key_char((unsigned char)lx->text[lx->pos]))
        lx->pos++;
    if (lx->pos == start)
        return toml_lex_fail(lx, start, "expected a key, found %s",
                             toml_lex_describe(lx, start, d));
    *len = lx->pos - start;
    *name = malloc(*len + 1);
    if (!*name)
        return toml_lex_nomem(lx);
    memcpy(*name, lx->text + start, *len);
    (*name)[*len] = '\0';
    return 0;
}
