/* toml_lex.c - the cursor of the TOML lexer: position tracking, error
 * messages, UTF-8 validation, whitespace, newlines and comments.
 *
 * It knows nothing about values or tables: the string and scalar scanners
 * (toml_string.c, toml_scalar.c) build on it and core/config/toml.c drives
 * them. Owns nothing; the text and the error are borrowed.
 */
#include "config/toml_lex.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gateway/error.h"

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
    if (toml_is_control(c)) {
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

int toml_lex_newline_at(const toml_lexer *lx, size_t pos)
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
    return toml_lex_newline_at(lx, lx->pos) != 0;
}

void toml_lex_skip_space(toml_lexer *lx)
{
    while (lx->pos < lx->len && (lx->text[lx->pos] == ' ' || lx->text[lx->pos] == '\t'))
        lx->pos++;
}

int toml_lex_skip_newline(toml_lexer *lx)
{
    size_t n = (size_t)toml_lex_newline_at(lx, lx->pos);
    lx->pos += n;
    return n != 0;
}

int toml_lex_fail_control(toml_lexer *lx, size_t pos, const char *where)
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
    while (lx->pos < lx->len && !toml_lex_newline_at(lx, lx->pos)) {
        if (toml_is_control((unsigned char)lx->text[lx->pos]))
            return toml_lex_fail_control(lx, lx->pos, "a comment");
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

int toml_lex_starts_with(const toml_lexer *lx, size_t pos, const char *s)
{
    size_t n = strlen(s);
    return lx->len - pos >= n && memcmp(lx->text + pos, s, n) == 0;
}
