/* config_suggest.h - "did you mean": the declared word a misspelled key
 * or value most likely stands for.
 */
#ifndef GW_CONFIG_SUGGEST_H
#define GW_CONFIG_SUGGEST_H

#include <stddef.h>

/* A candidate word: borrowed text, len bytes, not necessarily
 * NUL-terminated. */
typedef struct config_word {
    const char *s;
    size_t len;
} config_word;

/* The candidate the user most likely meant by word (len bytes), or NULL.
 * A close spelling (at most 2 edits, case ignored, a transposition
 * counting as one, fewer edits than the shorter word's length) wins;
 * failing that, the longest shared prefix of at least 4 characters, or 3
 * when the shorter word is all prefix ("max" for "max_failures"). Ties go
 * to the candidate listed first. Words over 64 bytes get no suggestion. */
const config_word *config_suggest(const char *word, size_t len, const config_word *cands, size_t n);

/* Split "a|b|c" into at most max words pointing into allowed. Returns the
 * count. */
size_t config_split_allowed(const char *allowed, config_word *words, size_t max);

#endif /* GW_CONFIG_SUGGEST_H */
