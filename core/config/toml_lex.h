/* toml_lex.h - internal to the TOML parser: the cursor over the document
 * text and what every scanner shares (positions, error messages, UTF-8
 * validation, whitespace, newlines and comments, character classes).
 *
 * The scanners for strings (toml_string.h) and for the other scalars
 * (toml_scalar.h) sit on top of it; the parser (toml.c) drives all three.
 * The lexer borrows the document text and the caller's toml_error; it owns
 * nothing else.
 */
#ifndef GW_TOML_LEX_H
#define GW_TOML_LEX_H

#include <stddef.h>

#include "gateway/plugin.h" /* GW_PRINTF */
#include "config/toml_tree.h"

typedef struct toml_pos {
    int line, column; /* 1-based; the column counts code points, not bytes */
} toml_pos;

typedef struct toml_lexer {
    const char *text; /* borrowed */
    size_t len;
    size_t pos;   /* next unread byte */
    size_t start; /* first byte after an optional BOM */
    /* Line and column of byte `mark`, advanced lazily: the parser asks for
     * positions in nearly increasing order, so each lookup only scans the
     * bytes since the previous one. */
    size_t mark;
    toml_pos mark_pos;
    toml_error *err; /* borrowed; filled by toml_lex_fail */
} toml_lexer;

/* The longest literal quoted back in an error message. */
#define TOML_LEX_QUOTE_MAX 40

/* ---- character classes ------------------------------------------------ */

static inline int toml_is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static inline int toml_is_hex_digit(int c)
{
    return toml_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* The value of a hex digit already checked with toml_is_hex_digit. */
static inline int toml_hex_value(int c)
{
    if (toml_is_digit(c))
        return c - '0';
    return (c | 0x20) - 'a' + 10;
}

static inline int toml_is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline int toml_is_bare_key_char(int c)
{
    return toml_is_alpha(c) || toml_is_digit(c) || c == '_' || c == '-';
}

/* Control characters TOML forbids outside escapes; tab is allowed. */
static inline int toml_is_control(int c)
{
    return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* ---- the cursor --------------------------------------------------------- */

/* Set up a lexer over text (not necessarily NUL-terminated) and skip a
 * UTF-8 byte order mark. err must stay valid while the lexer is used. */
void toml_lex_init(toml_lexer *lx, const char *text, size_t len, toml_error *err);

/* Line and column of a byte offset in the text. */
toml_pos toml_lex_pos_at(toml_lexer *lx, size_t offset);

/* Fill the error with the position of `offset` and a formatted message.
 * Returns GW_EPARSE so callers can `return toml_lex_fail(...)`. */
int toml_lex_fail(toml_lexer *lx, size_t offset, const char *fmt, ...) GW_PRINTF(3, 4);

/* A control character at pos where it is not allowed; `where` completes
 * "... is not allowed in ...". Returns GW_EPARSE. */
int toml_lex_fail_control(toml_lexer *lx, size_t pos, const char *where);

/* Record an allocation failure. Returns GW_ENOMEM. */
int toml_lex_nomem(toml_lexer *lx);

/* Describe what sits at `offset` for "found ..." in messages: "end of
 * file", "newline", "'x'", "control character U+0007". Returns buf, which
 * must hold at least TOML_LEX_DESCRIBE_SIZE bytes. */
#define TOML_LEX_DESCRIBE_SIZE 40
const char *toml_lex_describe(const toml_lexer *lx, size_t offset, char *buf);

/* Check that the whole document is UTF-8 without overlong forms,
 * surrogates or code points above U+10FFFF. Returns 0 or GW_EPARSE. */
int toml_lex_check_utf8(toml_lexer *lx);

int toml_lex_at_end(const toml_lexer *lx);
/* True at "\n" or "\r\n". */
int toml_lex_at_newline(const toml_lexer *lx);
/* The byte at the cursor, or -1 at the end. */
int toml_lex_peek(const toml_lexer *lx);
/* The length of the newline at pos: 1 for "\n", 2 for "\r\n", else 0. */
int toml_lex_newline_at(const toml_lexer *lx, size_t pos);
/* True when the text at pos starts with s. */
int toml_lex_starts_with(const toml_lexer *lx, size_t pos, const char *s);

/* Skip spaces and tabs. */
void toml_lex_skip_space(toml_lexer *lx);

/* Skip a newline ("\n" or "\r\n") if one is at the cursor; returns 1 if
 * it did. */
int toml_lex_skip_newline(toml_lexer *lx);

/* At '#': skip the comment up to (not including) the line end, rejecting
 * control characters. Elsewhere: do nothing. Returns 0 or GW_EPARSE. */
int toml_lex_skip_comment(toml_lexer *lx);

/* Skip any mix of whitespace, comments and newlines (inside arrays).
 * Returns 0 or GW_EPARSE. */
int toml_lex_skip_blank(toml_lexer *lx);

#endif /* GW_TOML_LEX_H */
