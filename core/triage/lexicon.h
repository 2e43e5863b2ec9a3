/* lexicon.h - the phrase table triage matches texts against: the shipped
 * lexicons (compiled into the binary), a deployment's lexicon_dir on top,
 * and the configured brand terms, competitors and handles.
 *
 * A lexicon file holds one phrase per line, "phrase" or "phrase, weight";
 * '#' starts a comment; blank lines are skipped. Phrases are normalised
 * like the texts (triage_text.h), so case and accents never matter. In
 * intent and sentiment files a word may be <competitor> or <brand>, which
 * stands for any configured competitor or brand term ("switching to
 * <competitor>"). A file in lexicon_dir with a shipped file's name adds to
 * that list: a phrase listed again takes the new weight, weight 0 removes
 * it. docs/triage.md describes each file.
 *
 * Lookup is by the hash of a phrase's first word, so matching a text costs
 * one probe per token whatever the size of the lexicons.
 */
#ifndef GW_TRIAGE_LEXICON_H
#define GW_TRIAGE_LEXICON_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "triage/triage_text.h"

/* Which list a phrase belongs to; the five intents come first, in the
 * order of triage_intent_names. */
typedef enum triage_list {
    TRIAGE_PURCHASE,
    TRIAGE_CHURN_RISK,
    TRIAGE_QUESTION,
    TRIAGE_COMPLAINT,
    TRIAGE_KUDOS,
    TRIAGE_SENTIMENT,   /* signed weight */
    TRIAGE_NEGATOR,     /* one word; flips the sentiment that follows */
    TRIAGE_INTENSIFIER, /* one word; weight multiplies the sentiment that follows */
    TRIAGE_BRAND,       /* [triage] brand_terms */
    TRIAGE_COMPETITOR,  /* [triage] competitors */
    TRIAGE_HANDLE,      /* [triage] brand_handles, matched after '@' only */
    TRIAGE_LIST_COUNT
} triage_list;

#define TRIAGE_INTENT_COUNT 5

/* Intent names as tags.intent carries them, indexed by triage_list. */
extern const char *const triage_intent_names[TRIAGE_INTENT_COUNT];

typedef struct triage_phrase {
    char *text;     /* owned: normalised words joined by spaces */
    char *display;  /* owned: as written (brand terms, competitors) */
    uint32_t first; /* index of its first word in the word table */
    uint32_t nwords;
    float weight;
    uint8_t list; /* triage_list */
} triage_phrase;

typedef struct triage_lexicon triage_lexicon;

/* Build the table: the shipped lexicons, then the *.txt files of
 * lexicon_dir (NULL: none), then the terms of brand_terms, competitors
 * and brand_handles (string arrays, any may be NULL). Returns 0 and sets
 * *out (caller frees with triage_lexicon_free), or GW_EINVAL with one
 * "file:line: message" per problem appended to errs, GW_EIO when
 * lexicon_dir cannot be read, GW_ENOMEM. */
int triage_lexicon_open(const char *lexicon_dir, const json_t *brand_terms,
                        const json_t *competitors, const json_t *brand_handles,
                        triage_lexicon **out, cfg_errors *errs);

void triage_lexicon_free(triage_lexicon *lx);

/* Where a walk of the phrases that may start at a token is. */
typedef struct triage_lexicon_cursor {
    int32_t node;
    uint64_t next_hash; /* the following token's hash; 0 when there is none */
} triage_lexicon_cursor;

/* The first-word filter, for a caller that walks every token: bit
 * triage_lexicon_first_bit(hash) of it is set for the first word of every
 * phrase, so triage_lexicon_may_start() answers 0 for most tokens without
 * a call. Borrowed; valid as long as lx. */
#define TRIAGE_LEXICON_FIRST_BITS 4096
const uint64_t *triage_lexicon_first_bits(const triage_lexicon *lx);

/* The bit a first word's hash sets in the filter. */
static inline size_t triage_lexicon_first_bit(uint64_t hash)
{
    return (size_t)(hash >> 40) & (TRIAGE_LEXICON_FIRST_BITS - 1);
}

/* 0 when no phrase begins with a word of this hash. */
static inline int triage_lexicon_may_start(const uint64_t *bits, uint64_t hash)
{
    size_t bit = triage_lexicon_first_bit(hash);
    return (bits[bit / 64] >> (bit % 64)) & 1;
}

/* The phrases that may start at tokens[i] (i < count): the first one
 * (NULL when none), then triage_lexicon_next with the same cursor until
 * NULL. A phrase starting with <competitor> is found under each
 * competitor's first word; a question mark's phrases ("?") under any
 * token that asks ("?", "?!", "!?"). A phrase whose second word is not
 * the next token's is passed over without reading the phrase: most
 * candidates of a common first word ("where can i buy" for "where") fail
 * there. The others are candidates only: triage_lexicon_match decides.
 * Borrowed. */
const triage_phrase *triage_lexicon_first(const triage_lexicon *lx, const triage_token *tokens,
                                          size_t count, size_t i, triage_lexicon_cursor *c);
const triage_phrase *triage_lexicon_next(const triage_lexicon *lx, triage_lexicon_cursor *c);

/* How many tokens p covers from tokens[i] (0: it does not match there).
 * Punctuation tokens only match punctuation words ("?"). Here and in the
 * walk, tokens are triage_text_split's: a word is compared 8 bytes at a
 * time, which its buffer's TRIAGE_TEXT_SLACK allows. */
size_t triage_lexicon_match(const triage_lexicon *lx, const triage_phrase *p,
                            const triage_token *tokens, size_t count, size_t i);

/* The longest phrase of list matched at tokens[i], its length in *len
 * (0 and NULL when none). Borrowed. */
const triage_phrase *triage_lexicon_longest(const triage_lexicon *lx, triage_list list,
                                            const triage_token *tokens, size_t count, size_t i,
                                            size_t *len);

/* Phrases are numbered 0..triage_lexicon_size()-1, so a caller can keep
 * its own table beside them. */
size_t triage_lexicon_size(const triage_lexicon *lx);
size_t triage_lexicon_index(const triage_lexicon *lx, const triage_phrase *p);
const triage_phrase *triage_lexicon_phrase(const triage_lexicon *lx, size_t index);

/* Number of phrases of a list (tests, the CLI's summary). */
size_t triage_lexicon_count(const triage_lexicon *lx, triage_list list);

#endif /* GW_TRIAGE_LEXICON_H */
