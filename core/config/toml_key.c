/* toml_key.c - keys as the TOML parser reads them: a dotted key split into
 * its parts, each with its position for messages, and the rendering of a
 * key in a parse error.
 *
 * Built on the string scanner (toml_string.c) for the parts. A key owns its
 * parts' names until the parser moves them into the tree.
 */
#include "config/toml_key.h"

#include <stdlib.h>
#include <string.h>

#include "config/toml_string.h"

void toml_key_free(toml_key *key)
{
    for (size_t i = 0; i < key->len; i++)
        if (key->parts[i].owned)
            free(key->parts[i].name);
    free(key->parts);
    memset(key, 0, sizeof(*key));
}

const char *toml_key_display(const toml_key *key, size_t count, char *buf, size_t size)
{
    size_t n = 0;
    int truncated = 0;

#define PUT(c)                                                                                     \
    do {                                                                                           \
        if (n + 1 < size)                                                                          \
            buf[n++] = (c);                                                                        \
        else                                                                                       \
            truncated = 1;                                                                         \
    } while (0)
    for (size_t i = 0; i < count; i++) {
        const toml_key_part *part = &key->parts[i];
        int bare = part->len > 0;
        for (size_t k = 0; k < part->len; k++) {
            char c = part->name[k];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-'))
                bare = 0;
        }
        if (i > 0)
            PUT('.');
        if (!bare)
            PUT('\'');
        for (size_t k = 0; k < part->len; k++) {
            unsigned char c = (unsigned char)part->name[k];
            PUT(c < 0x20 || c == 0x7f ? '?' : (char)c);
        }
        if (!bare)
            PUT('\'');
    }
#undef PUT
    if (truncated && size > 4) {
        /* Cut on a character boundary so the message stays valid UTF-8. */
        n = size - 4;
        while (n > 0 && ((unsigned char)buf[n] & 0xC0) == 0x80)
            n--;
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
    return buf;
}

static int key_push(toml_lexer *lx, toml_key *key, toml_key_part part)
{
    if (key->len == key->cap) {
        size_t cap = key->cap ? key->cap * 2 : 4;
        toml_key_part *parts = realloc(key->parts, cap * sizeof(*parts));
        if (!parts)
            return toml_lex_nomem(lx);
        key->parts = parts;
        key->cap = cap;
    }
    key->parts[key->len++] = part;
    return 0;
}

int toml_key_read(toml_lexer *lx, toml_key *key)
{
    for (;;) {
        toml_key_part part = {0};
        part.offset = lx->pos;
        part.pos = toml_lex_pos_at(lx, lx->pos);
        part.owned = 1;
        int rc = toml_string_key(lx, &part.name, &part.len);
        if (rc)
            return rc;
        rc = key_push(lx, key, part);
        if (rc) {
            free(part.name);
            return rc;
        }
        toml_lex_skip_space(lx);
        if (toml_lex_peek(lx) != '.')
            return 0;
        lx->pos++;
        toml_lex_skip_space(lx);
    }
}
