/* toml_string.h - internal to the TOML parser: scanning strings and key
 * parts (toml_string.c), on top of the cursor in toml_lex.h.
 */
#ifndef GW_TOML_STRING_H
#define GW_TOML_STRING_H

#include <stddef.h>

#include "config/toml_lex.h"

/* Scan a string at the cursor: quote is '"' (basic, escapes decoded) or
 * '\'' (literal); multiline for the """ and ''' forms. Line breaks inside
 * a multi-line string come out as "\n" whatever the file used. Returns 0
 * with *out a NUL-terminated heap copy (caller frees) and *out_len its
 * length (it may hold NULs), or GW_EPARSE / GW_ENOMEM. */
int toml_string_scan(toml_lexer *lx, char quote, int multiline, char **out, size_t *out_len);

/* Scan one part of a key: bare (A-Za-z0-9_-), "basic" or 'literal'.
 * On success *name is a NUL-terminated copy the caller frees. */
int toml_string_key(toml_lexer *lx, char **name, size_t *len);

#endif /* GW_TOML_STRING_H */
