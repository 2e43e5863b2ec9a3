/* lexicon_internal.h - the phrase table's layout, shared by its two
 * files: lexicon.c fills it (the lexicon files, the configured terms, the
 * first-word index) and lexicon_match.c reads it (the candidates of a
 * token, matching, the numbering). No other file includes it; everyone
 * else sees an opaque triage_lexicon through lexicon.h.
 *
 * Include it after triage/lexicon.h, which it does not include itself:
 * lexicon.c includes this file, so including lexicon.h here would make
 * the two modules an include cycle (tests/structure/check_layout.py).
 */
#ifndef GW_TRIAGE_LEXICON_INTERNAL_H
#define GW_TRIAGE_LEXICON_INTERNAL_H

#ifndef GW_TRIAGE_LEXICON_H
#error "include triage/lexicon.h before triage/lexicon_internal.h"
#endif

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct lex_word {
    char *word; /* owned, normalised */
    uint64_t hash;
    /* its first 8 bytes (fewer when shorter, the rest zero) as
     * lex_word_head() reads a token's: a match compares them here,
     * beside the hash, instead of reading word, a line elsewhere */
    uint64_t head;
    uint32_t len;
    uint8_t placeholder; /* TRIAGE_COMPETITOR or TRIAGE_BRAND for <competitor> and
                            <brand>, else 0 */
    uint8_t question;    /* the word is "?" */
} lex_word;

/* The first min(len, 8) bytes at word as a number, the rest zero. word
 * must have 8 readable bytes (a token's buffer has the slack, see
 * triage_text.h; lexicon.c pads its own copy). */
static inline uint64_t lex_word_head(const char *word, uint32_t len)
{
    uint64_t x;
    memcpy(&x, word, sizeof x);
    if (len >= 8)
        return x;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return x & ~(~0ull >> (8 * len));
#else
    return x & ((1ull << (8 * len)) - 1);
#endif
}

/* One entry of a first-word chain; a phrase may be on several chains.
 * second is the hash of the phrase's second word, or 0 when any token
 * may follow as far as the walk can tell (one word, a placeholder first
 * or second, "?"). */
typedef struct lex_node {
    int32_t phrase;
    int32_t next;
    uint64_t second;
} lex_node;

typedef struct lex_slot {
    uint64_t key;
    int32_t head; /* -1: the slot is free */
} lex_slot;

struct triage_lexicon {
    triage_phrase *phrases;
    size_t phrase_count, phrase_cap;
    lex_word *words;
    size_t word_count, word_cap;
    lex_node *nodes;
    size_t node_count, node_cap;
    lex_slot *slots;
    size_t slot_mask;
    /* A bit per first word's hash, folded to 4,096 bits: most of a text's
     * words begin no phrase, and this answers for them from 512 bytes
     * that stay in the cache, without probing the slots. */
    uint64_t first_bits[TRIAGE_LEXICON_FIRST_BITS / 64];
    uint64_t question_hash; /* of "?": where a question mark's phrases are */
};

/* The slot of key's chain, or the free slot where it would go. Inline:
 * building the index and the walk of every token both probe here. */
static inline lex_slot *lex_slot_for(const triage_lexicon *lx, uint64_t key)
{
    size_t i = (size_t)(key ^ (key >> 29)) & lx->slot_mask;
    while (lx->slots[i].head >= 0 && lx->slots[i].key != key)
        i = (i + 1) & lx->slot_mask;
    return &lx->slots[i];
}

#endif /* GW_TRIAGE_LEXICON_INTERNAL_H */
