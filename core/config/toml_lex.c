/* toml_lex.c - the token-level half of the TOML parser: position tracking,
 * error messages, UTF-8 validation, whitespace and comments, key parts and
 * scalar values (strings, numbers, booleans, dates and times).
 *
 * It knows nothing about tables; core/toml.c drives it. Strings it scans
 * are returned as heap copies whose ownership passes to the caller.
 */
#include "config/toml_lex.h"

#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/error.h"

/* The longest literal quoted back in an error message. */
#define TOML_LEX_QUOTE_MAX 40

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

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int is_hex_digit(int c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int hex_value(int c)
{
    if (is_digit(c))
        return c - '0';
    return (c | 0x20) - 'a' + 10;
}

static int is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_bare_key_char(int c)
{
    return is_alpha(c) || is_digit(c) || c == '_' || c == '-';
}

/* Characters that can continue a number, date or keyword. Scanning the
 * whole run first lets "truex" or "1.2.3" be reported as one bad value. */
static int is_word_char(int c)
{
    return is_bare_key_char(c) || c == '+' || c == '.' || c == ':';
}

/* Control characters TOML forbids outside escapes; tab is allowed. */
static int is_control(int c)
{
    return (c < 0x20 && c != '\t') || c == 0x7f;
}

void toml_lex_init(toml_lexer *lx, const char *text, size_t len, toml_error *err)
{
    memset(lx, 0, sizeof(*lx));
    lx->text = text;
    lx->len = len;
    lx->err = err;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        lx->start = 3;
    lx->pos = lx->start;
    lx->mark = lx->start;
    lx->mark_pos.line = 1;
    lx->mark_pos.column = 1;
}

toml_pos toml_lex_pos_at(toml_lexer *lx, size_t offset)
{
    if (offset > lx->len)
        offset = lx->len;
    if (offset < lx->start)
        offset = lx->start;
    if (offset < lx->mark) {
        lx->mark = lx->start;
        lx->mark_pos.line = 1;
        lx->mark_pos.column = 1;
    }
    for (size_t i = lx->mark; i < offset; i++) {
        unsigned char c = (unsigned char)lx->text[i];
        if (c == '\n') {
            if (lx->mark_pos.line < INT_MAX)
                lx->mark_pos.line++;
            lx->mark_pos.column = 1;
        } else if ((c & 0xC0) != 0x80 && lx->mark_pos.column < INT_MAX) {
            lx->mark_pos.column++;
        }
    }
    lx->mark = offset;
    return lx->mark_pos;
}

int toml_lex_fail(toml_lexer *lx, size_t offset, const char *fmt, ...)
{
    toml_pos p = toml_lex_pos_at(lx, offset);
    va_list ap;

    lx->err->line = p.line;
    lx->err->column = p.column;
    va_start(ap, fmt);
    vsnprintf(lx->err->message, sizeof(lx->err->message), fmt, ap);
    va_end(ap);
    return GW_EPARSE;
}

int toml_lex_nomem(toml_lexer *lx)
{
    lx->err->line = 0;
    lx->err->column = 0;
    snprintf(lx->err->message, sizeof(lx->err->message), "out of memory");
    return GW_ENOMEM;
}

const char *toml_lex_describe(const toml_lexer *lx, size_t offset, char *buf)
{
    if (offset >= lx->len)
        return "end of file";
    unsigned char c = (unsigned char)lx->text[offset];
    if (c == '\n')
        return "newline";
    if (c == '\r') {
        if (offset + 1 < lx->len && lx->text[offset + 1] == '\n')
            return "newline";
        return "carriage return without a following newline";
    }
    if (c == ' ')
        return "space";
    if (c == '\t')
        return "tab";
    if (is_control(c)) {
        snprintf(buf, TOML_LEX_DESCRIBE_SIZE, "control character U+%04X", c);
        return buf;
    }
    size_t n = 1;
    while (n < 4 && offset + n < lx->len && ((unsigned char)lx->text[offset + n] & 0xC0) == 0x80)
        n++;
    snprintf(buf, TOML_LEX_DESCRIBE_SIZE, "'%.*s'", (int)n, lx->text + offset);
    return buf;
}

int toml_lex_check_utf8(toml_lexer *lx)
{
    const unsigned char *s = (const unsigned char *)lx->text;
    size_t i = lx->start;

    while (i < lx->len) {
        unsigned c = s[i];
        size_t need;
        uint32_t cp, min;

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1, cp = c & 0x1F, min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2, cp = c & 0x0F, min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return toml_lex_fail(lx, i, "invalid UTF-8: byte 0x%02X cannot start a character", c);
        }
        if (lx->len - i - 1 < need)
            return toml_lex_fail(lx, i, "invalid UTF-8: character cut off by the end of file");
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return toml_lex_fail(lx, i,
                                     "invalid UTF-8: byte 0x%02X after 0x%02X is not a "
                                     "continuation byte",
                                     s[i + k], c);
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min)
            return toml_lex_fail(lx, i, "invalid UTF-8: overlong encoding of U+%04X", cp);
        if (cp >= 0xD800 && cp <= 0xDFFF)
            return toml_lex_fail(lx, i, "invalid UTF-8: encoded surrogate U+%04X", cp);
        if (cp > 0x10FFFF)
            return toml_lex_fail(lx, i, "invalid UTF-8: code point beyond U+10FFFF");
        i += need + 1;
    }
    return 0;
}

int toml_lex_at_end(const toml_lexer *lx)
{
    return lx->pos >= lx->len;
}

int toml_lex_peek(const toml_lexer *lx)
{
    return lx->pos < lx->len ? (unsigned char)lx->text[lx->pos] : -1;
}

static int newline_at(const toml_lexer *lx, size_t pos)
{
    if (pos >= lx->len)
        return 0;
    if (lx->text[pos] == '\n')
        return 1;
    if (lx->text[pos] == '\r' && pos + 1 < lx->len && lx->text[pos + 1] == '\n')
        return 2;
    return 0;
}

int toml_lex_at_newline(const toml_lexer *lx)
{
    return newline_at(lx, lx->pos) != 0;
}

void toml_lex_skip_space(toml_lexer *lx)
{
    while (lx->pos < lx->len && (lx->text[lx->pos] == ' ' || lx->text[lx->pos] == '\t'))
        lx->pos++;
}

int toml_lex_skip_newline(toml_lexer *lx)
{
    size_t n = (size_t)newline_at(lx, lx->pos);
    lx->pos += n;
    return n != 0;
}

/* A control character where it is not allowed; `where` completes "in ...". */
static int fail_control(toml_lexer *lx, size_t pos, const char *where)
{
    unsigned char c = (unsigned char)lx->text[pos];
    if (c == '\r')
        return toml_lex_fail(lx, pos, "carriage return without a following newline in %s", where);
    return toml_lex_fail(lx, pos, "control character U+%04X is not allowed in %s", c, where);
}

int toml_lex_skip_comment(toml_lexer *lx)
{
    if (toml_lex_peek(lx) != '#')
        return 0;
    lx->pos++;
    while (lx->pos < lx->len && !newline_at(lx, lx->pos)) {
        if (is_control((unsigned char)lx->text[lx->pos]))
            return fail_control(lx, lx->pos, "a comment");
        lx->pos++;
    }
    return 0;
}

int toml_lex_skip_blank(toml_lexer *lx)
{
    for (;;) {
        toml_lex_skip_space(lx);
        int rc = toml_lex_skip_comment(lx);
        if (rc)
            return rc;
        if (!toml_lex_skip_newline(lx))
            return 0;
    }
}

static int starts_with(const toml_lexer *lx, size_t pos, const char *s)
{
    size_t n = strlen(s);
    return lx->len - pos >= n && memcmp(lx->text + pos, s, n) == 0;
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
            if (p >= lx->len || !is_hex_digit((unsigned char)lx->text[p]))
                return toml_lex_fail(lx, at,
                                     "invalid escape \\%c: expected %d hex digits, found %s", e,
                                     digits, toml_lex_describe(lx, p, d));
            cp = (cp << 4) | (uint32_t)hex_value((unsigned char)lx->text[p]);
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
    if (multiline && (e == ' ' || e == '\t' || newline_at(lx, at + 1))) {
        size_t p = at + 1;
        while (p < lx->len && (lx->text[p] == ' ' || lx->text[p] == '\t'))
            p++;
        if (!newline_at(lx, p))
            return toml_lex_fail(lx, at,
                                 "invalid escape: a '\\' followed by whitespace must be the "
                                 "last thing on its line");
        for (;;) {
            size_t nl = (size_t)newline_at(lx, p);
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
static int scan_string(toml_lexer *lx, char quote, int multiline, char **out, size_t *out_len)
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
        size_t nl = (size_t)newline_at(lx, lx->pos);
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
        if (is_control(c)) {
            rc = fail_control(lx, lx->pos, kind);
            goto fail;
        }
        size_t run_start = lx->pos;
        while (lx->pos < lx->len) {
            c = (unsigned char)lx->text[lx->pos];
            if (c == (unsigned char)quote || (c == '\\' && quote == '"') || is_control(c))
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

int toml_lex_key_part(toml_lexer *lx, char **name, size_t *len)
{
    size_t start = lx->pos;
    int c = toml_lex_peek(lx);
    char d[TOML_LEX_DESCRIBE_SIZE];

    if (c == '"' || c == '\'') {
        char q3[4] = {(char)c, (char)c, (char)c, '\0'};
        if (starts_with(lx, start, q3))
            return toml_lex_fail(lx, start, "a multi-line string cannot be used as a key");
        return scan_string(lx, (char)c, 0, name, len);
    }
    while (lx->pos < lx->len && is_bare_key_char((unsigned char)lx->text[lx->pos]))
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

static size_t word_end(const toml_lexer *lx, size_t pos)
{
    while (pos < lx->len && is_word_char((unsigned char)lx->text[pos]))
        pos++;
    return pos;
}

static int word_is(const toml_lexer *lx, size_t start, size_t end, const char *w)
{
    size_t n = strlen(w);
    return end - start == n && memcmp(lx->text + start, w, n) == 0;
}

static int fail_no_value(toml_lexer *lx, size_t start)
{
    char d[TOML_LEX_DESCRIBE_SIZE];
    size_t end = word_end(lx, start);
    int c = toml_lex_peek(lx);

    if (end > start && is_alpha(c))
        return toml_lex_fail(
            lx, start, "expected a value, found '%.*s' (strings need quotes)",
            (int)(end - start > TOML_LEX_QUOTE_MAX ? TOML_LEX_QUOTE_MAX : end - start),
            lx->text + start);
    return toml_lex_fail(lx, start, "expected a value, found %s", toml_lex_describe(lx, start, d));
}

/* Read exactly `count` digits at *i (before end) as a date or time field. */
static int read_field(toml_lexer *lx, size_t *i, size_t end, int count, const char *what, int *out)
{
    char d[TOML_LEX_DESCRIBE_SIZE];
    int v = 0;

    for (int k = 0; k < count; k++) {
        if (*i >= end || !is_digit((unsigned char)lx->text[*i]))
            return toml_lex_fail(lx, *i,
                                 "invalid date or time: expected %d digits for the %s, "
                                 "found %s",
                                 count, what, toml_lex_describe(lx, *i, d));
        v = v * 10 + (lx->text[*i] - '0');
        (*i)++;
    }
    *out = v;
    return 0;
}

static int expect_char(toml_lexer *lx, size_t *i, size_t end, char c, const char *after)
{
    char d[TOML_LEX_DESCRIBE_SIZE];

    if (*i >= end || lx->text[*i] != c)
        return toml_lex_fail(lx, *i, "invalid date or time: expected '%c' after the %s, found %s",
                             c, after, toml_lex_describe(lx, *i, d));
    (*i)++;
    return 0;
}

static int days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

/* A date, time or date-time starting at start, whose first word ends at
 * end. A date may be followed by a space and a time, which extends it. */
static int scan_datetime(toml_lexer *lx, size_t start, size_t end, toml_value *out)
{
    toml_datetime *dt = &out->u.datetime;
    char d[TOML_LEX_DESCRIBE_SIZE];
    size_t i = start;
    int has_date = is_digit((unsigned char)lx->text[start + 2]);
    int rc;

    memset(dt, 0, sizeof(*dt));
    if (has_date) {
        if ((rc = read_field(lx, &i, end, 4, "year", &dt->year)) ||
            (rc = expect_char(lx, &i, end, '-', "year")) ||
            (rc = read_field(lx, &i, end, 2, "month", &dt->month)) ||
            (rc = expect_char(lx, &i, end, '-', "month")) ||
            (rc = read_field(lx, &i, end, 2, "day", &dt->day)))
            return rc;
        if (dt->month < 1 || dt->month > 12)
            return toml_lex_fail(lx, start, "invalid date: month %02d is not in 01-12", dt->month);
        if (dt->day < 1 || dt->day > days_in_month(dt->year, dt->month))
            return toml_lex_fail(lx, start, "invalid date: %04d-%02d has no day %02d", dt->year,
                                 dt->month, dt->day);
        if (i == end) {
            /* "1979-05-27 07:32:00": the space separator only counts when a
             * time follows, otherwise the date stands alone. */
            const char *t = lx->text + i;
            if (lx->len - i >= 4 && t[0] == ' ' && is_digit((unsigned char)t[1]) &&
                is_digit((unsigned char)t[2]) && t[3] == ':') {
                i++;
                end = word_end(lx, i);
            } else {
                out->type = TOML_DATE_LOCAL;
                lx->pos = end;
                return 0;
            }
        } else if (lx->text[i] == 'T' || lx->text[i] == 't') {
            i++;
        } else {
            return toml_lex_fail(lx, i,
                                 "invalid date: expected 'T' or a space before the time, "
                                 "found %s",
                                 toml_lex_describe(lx, i, d));
        }
    }
    if ((rc = read_field(lx, &i, end, 2, "hour", &dt->hour)) ||
        (rc = expect_char(lx, &i, end, ':', "hour")) ||
        (rc = read_field(lx, &i, end, 2, "minute", &dt->minute)) ||
        (rc = expect_char(lx, &i, end, ':', "minute")) ||
        (rc = read_field(lx, &i, end, 2, "second", &dt->second)))
        return rc;
    if (dt->hour > 23 || dt->minute > 59 || dt->second > 60)
        return toml_lex_fail(lx, start, "invalid time: %02d:%02d:%02d is out of range", dt->hour,
                             dt->minute, dt->second);
    if (i < end && lx->text[i] == '.') {
        i++;
        size_t first = i;
        int scale = 100000000;
        while (i < end && is_digit((unsigned char)lx->text[i])) {
            dt->nanosecond += (lx->text[i] - '0') * scale;
            scale /= 10;
            i++;
        }
        if (i == first)
            return toml_lex_fail(lx, i, "invalid time: expected digits after '.', found %s",
                                 toml_lex_describe(lx, i, d));
    }
    out->type = has_date ? TOML_DATETIME_LOCAL : TOML_TIME_LOCAL;
    if (has_date && i < end) {
        int c = (unsigned char)lx->text[i];
        if (c == 'Z' || c == 'z') {
            i++;
            out->type = TOML_DATETIME;
        } else if (c == '+' || c == '-') {
            int oh, om;
            size_t at = i++;
            if ((rc = read_field(lx, &i, end, 2, "offset hour", &oh)) ||
                (rc = expect_char(lx, &i, end, ':', "offset hour")) ||
                (rc = read_field(lx, &i, end, 2, "offset minute", &om)))
                return rc;
            if (oh > 23 || om > 59)
                return toml_lex_fail(lx, at, "invalid time offset %.6s: out of range",
                                     lx->text + at);
            dt->offset_minutes = (c == '-' ? -1 : 1) * (oh * 60 + om);
            out->type = TOML_DATETIME;
        }
    }
    if (i != end)
        return toml_lex_fail(lx, i, "invalid %s: unexpected %s", has_date ? "date-time" : "time",
                             toml_lex_describe(lx, i, d));
    lx->pos = end;
    return 0;
}

static int digit_in_base(int c, int base)
{
    switch (base) {
    case 2:
        return c == '0' || c == '1';
    case 8:
        return c >= '0' && c <= '7';
    case 16:
        return is_hex_digit(c);
    default:
        return is_digit(c);
    }
}

/* Skip digits of `base` with single underscores between them, starting at
 * *i and stopping before end. At least one digit is required; `what` names
 * the part for the message ("exponent", ...). */
static int scan_digits(toml_lexer *lx, size_t *i, size_t end, int base, const char *what)
{
    char d[TOML_LEX_DESCRIBE_SIZE];
    size_t first = *i;

    while (*i < end) {
        int c = (unsigned char)lx->text[*i];
        if (digit_in_base(c, base)) {
            (*i)++;
        } else if (c == '_') {
            if (*i == first || *i + 1 >= end ||
                !digit_in_base((unsigned char)lx->text[*i + 1], base))
                return toml_lex_fail(lx, *i, "invalid number: '_' must be between two digits");
            (*i)++;
        } else {
            break;
        }
    }
    if (*i == first)
        return toml_lex_fail(lx, *i, "invalid number: expected a digit%s, found %s", what,
                             toml_lex_describe(lx, *i, d));
    return 0;
}

static int fail_range(toml_lexer *lx, size_t start, size_t end, const char *kind)
{
    size_t n = end - start;
    return toml_lex_fail(lx, start, "%s %.*s%s is out of range", kind,
                         (int)(n > TOML_LEX_QUOTE_MAX ? TOML_LEX_QUOTE_MAX : n), lx->text + start,
                         n > TOML_LEX_QUOTE_MAX ? "..." : "");
}

/* Convert a float literal already checked against the TOML grammar. strtod
 * follows the C locale's decimal point, so '.' is swapped for whatever the
 * current locale uses instead of assuming the program never calls
 * setlocale. */
static int convert_float(toml_lexer *lx, size_t start, size_t end, double *out)
{
    const char *point = localeconv()->decimal_point;
    size_t point_len = point && *point ? strlen(point) : 1;
    char small[64];
    char *buf = small;
    size_t need = (end - start) * point_len + 1;
    size_t n = 0;
    int rc = 0;

    if (need > sizeof(small)) {
        buf = malloc(need);
        if (!buf)
            return toml_lex_nomem(lx);
    }
    for (size_t i = start; i < end; i++) {
        char c = lx->text[i];
        if (c == '_')
            continue;
        if (c == '.' && point && *point) {
            memcpy(buf + n, point, point_len);
            n += point_len;
        } else {
            buf[n++] = c;
        }
    }
    buf[n] = '\0';
    errno = 0;
    *out = strtod(buf, NULL);
    if (errno == ERANGE && isinf(*out))
        rc = fail_range(lx, start, end, "float");
    if (buf != small)
        free(buf);
    return rc;
}

static int scan_number(toml_lexer *lx, size_t start, size_t end, toml_value *out)
{
    char d[TOML_LEX_DESCRIBE_SIZE];
    const char *s = lx->text;
    size_t i = start;
    int negative = 0;
    int rc;

    if (s[i] == '+' || s[i] == '-') {
        negative = s[i] == '-';
        i++;
    }
    if (word_is(lx, i, end, "inf") || word_is(lx, i, end, "nan")) {
        out->type = TOML_FLOAT;
        out->u.floating = s[i] == 'i' ? (double)INFINITY : (double)NAN;
        if (negative)
            out->u.floating = -out->u.floating;
        lx->pos = end;
        return 0;
    }
    if (end - i >= 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'o' || s[i + 1] == 'b')) {
        int base = s[i + 1] == 'x' ? 16 : s[i + 1] == 'o' ? 8 : 2;
        uint64_t v = 0;
        if (i != start)
            return toml_lex_fail(lx, start,
                                 "hexadecimal, octal and binary integers cannot "
                                 "have a sign");
        i += 2;
        size_t first = i;
        if ((rc = scan_digits(lx, &i, end, base, " after the base prefix")))
            return rc;
        if (i != end)
            return toml_lex_fail(lx, i, "invalid integer: unexpected %s",
                                 toml_lex_describe(lx, i, d));
        for (size_t k = first; k < end; k++) {
            if (s[k] == '_')
                continue;
            unsigned digit = (unsigned)hex_value((unsigned char)s[k]);
            if (v > ((uint64_t)INT64_MAX - digit) / (unsigned)base)
                return fail_range(lx, start, end, "integer");
            v = v * (unsigned)base + digit;
        }
        out->type = TOML_INTEGER;
        out->u.integer = (int64_t)v;
        lx->pos = end;
        return 0;
    }

    size_t int_start = i;
    int is_float = 0;
    if ((rc = scan_digits(lx, &i, end, 10, "")))
        return rc;
    if (s[int_start] == '0' && i - int_start > 1)
        return toml_lex_fail(lx, start, "invalid number: leading zeros are not allowed");
    size_t int_end = i;
    if (i < end && s[i] == '.') {
        is_float = 1;
        i++;
        if ((rc = scan_digits(lx, &i, end, 10, " after '.'")))
            return rc;
    }
    if (i < end && (s[i] == 'e' || s[i] == 'E')) {
        is_float = 1;
        i++;
        if (i < end && (s[i] == '+' || s[i] == '-'))
            i++;
        if ((rc = scan_digits(lx, &i, end, 10, " in the exponent")))
            return rc;
    }
    if (i != end)
        return toml_lex_fail(lx, i, "invalid number: unexpected %s", toml_lex_describe(lx, i, d));
    lx->pos = end;
    if (is_float) {
        out->type = TOML_FLOAT;
        return convert_float(lx, start, end, &out->u.floating);
    }

    uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t v = 0;
    for (size_t k = int_start; k < int_end; k++) {
        if (s[k] == '_')
            continue;
        unsigned digit = (unsigned)(s[k] - '0');
        if (v > (limit - digit) / 10)
            return fail_range(lx, start, end, "integer");
        v = v * 10 + digit;
    }
    out->type = TOML_INTEGER;
    /* -2^63 has no positive counterpart, so negate in unsigned arithmetic. */
    out->u.integer = negative ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

int toml_lex_scalar(toml_lexer *lx, toml_value *out)
{
    size_t start = lx->pos;
    int c = toml_lex_peek(lx);

    if (c == '"' || c == '\'') {
        char q3[4] = {(char)c, (char)c, (char)c, '\0'};
        out->type = TOML_STRING;
        return scan_string(lx, (char)c, starts_with(lx, start, q3), &out->u.string.ptr,
                           &out->u.string.len);
    }
    size_t end = word_end(lx, start);
    if (c == 't' || c == 'f') {
        if (!word_is(lx, start, end, "true") && !word_is(lx, start, end, "false"))
            return fail_no_value(lx, start);
        out->type = TOML_BOOL;
        out->u.boolean = c == 't';
        lx->pos = end;
        return 0;
    }
    if (c == 'i' || c == 'n') {
        if (!word_is(lx, start, end, "inf") && !word_is(lx, start, end, "nan"))
            return fail_no_value(lx, start);
        return scan_number(lx, start, end, out);
    }
    if (c == '+' || c == '-')
        return scan_number(lx, start, end, out);
    if (!is_digit(c))
        return fail_no_value(lx, start);
    const char *s = lx->text + start;
    size_t n = end - start;
    if ((n >= 5 && is_digit((unsigned char)s[1]) && is_digit((unsigned char)s[2]) &&
         is_digit((unsigned char)s[3]) && s[4] == '-') ||
        (n >= 3 && is_digit((unsigned char)s[1]) && s[2] == ':'))
        return scan_datetime(lx, start, end, out);
    return scan_number(lx, start, end, out);
}
