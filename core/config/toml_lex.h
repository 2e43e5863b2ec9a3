/* toml_lex.h - internal to the TOML parser: the cursor over the document
 * text and the scanners for everything whose syntax does not depend on the
 * tree being built (whitespace, comments, key parts, strings, numbers,
 * booleans, dates and times).
 *
 * Not a public header: only core/toml.c includes it. The lexer borrows the
 * document text and the caller's toml_error; it owns nothing else.
 */
#ifndef GW_TOML_LEX_H
#define GW_TOML_LEX_H

#include <stddef.h>

#include "gateway/plugin.h" /* GW_PRINTF */
#include "config/toml.h"

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

/* Set up a lexer over text (not necessarily NUL-terminated) and skip a
 * UTF-8 byte order mark. err must stay valid while the lexer is used. */
void toml_lex_init(toml_lexer *lx, const char *text, size_t len, toml_error *err);

/* Line and column of a byte offset in the text. */
toml_pos toml_lex_pos_at(toml_lexer *lx, size_t offset);

/* Fill the error with the position of `offset` and a formatted message.
 * Returns GW_EPARSE so callers can `return toml_lex_fail(...)`. */
int toml_lex_fail(toml_lexer *lx, size_t offset, const char *fmt, ...) GW_PRINTF(3, 4);

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

/* Scan one part of a key: bare (A-Za-z0-9_-), "basic" or 'literal'.
 * On success *name is a NUL-terminated copy the caller frees. */
int toml_lex_key_part(toml_lexer *lx, char **name, size_t *len);

/* Scan a scalar value at the cursor (string of any kind, integer, float,
 * boolean, date-time, date or time) into out->type and out->u. For
 * strings out->u.string.ptr is allocated and owned by out afterwards.
 * Line and column are left for the caller to set. Returns 0, GW_EPARSE or
 * GW_ENOMEM. */
int toml_lex_scalar(toml_lexer *lx, toml_value *out);

#endif /* GW_TOML_LEX_H */
