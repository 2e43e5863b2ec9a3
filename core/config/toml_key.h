/* toml_key.h - internal to the TOML parser: a possibly dotted key as
 * written on a key/value line or in a [header] (toml_key.c).
 */
#ifndef GW_TOML_KEY_H
#define GW_TOML_KEY_H

#include <stddef.h>

#include "config/toml_lex.h"

typedef struct toml_key_part {
    char *name;    /* NUL-terminated; may hold NULs, see len */
    size_t len;
    int owned;     /* 1 while the key owns name; 0 once it moved into a tree */
    size_t offset; /* byte offset in the document */
    toml_pos pos;
} toml_key_part;

typedef struct toml_key {
    toml_key_part *parts;
    size_t len, cap;
} toml_key;

/* Read a possibly dotted key at the cursor into key, which starts zeroed
 * and which the caller frees with toml_key_free, also on failure. Stops
 * after the key and the blanks that follow it. Returns 0, GW_EPARSE or
 * GW_ENOMEM. */
int toml_key_read(toml_lexer *lx, toml_key *key);

/* Free the parts the key still owns and reset it. */
void toml_key_free(toml_key *key);

/* Render parts [0, count) of a key for messages ('quoting' parts that are
 * not bare), cut to fit buf with "...". Returns buf. */
const char *toml_key_display(const toml_key *key, size_t count, char *buf, size_t size);

#endif /* GW_TOML_KEY_H */
