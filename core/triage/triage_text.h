/* triage_text.h - a text as triage reads it: lower case, accents of the
 * Latin-1 and Latin Extended-A letters stripped, split once into words,
 * emoji and the punctuation that ends a clause or asks a question.
 *
 * Every later step (lexicons, brand terms, competitors, handles) compares
 * word hashes from here, so a text is scanned once whatever the number of
 * phrases. The buffers are kept between texts and only grow: tokenising
 * allocates nothing once they fit the longest text seen.
 */
#ifndef GW_TRIAGE_TEXT_H
#define GW_TRIAGE_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* Token flags. */
enum {
    TRIAGE_TOKEN_AT = 1,       /* written right after '@' (a handle) */
    TRIAGE_TOKEN_PUNCT = 2,    /* . , ; : ! ? (a clause boundary) */
    TRIAGE_TOKEN_QUESTION = 4, /* the punctuation was '?' */
    TRIAGE_TOKEN_NEGATOR = 8,  /* set by the analyser: a negator */
    TRIAGE_TOKEN_BOOST = 16,   /* set by the analyser: an intensifier (factor in boost) */
    TRIAGE_TOKEN_EMOJI = 32    /* an emoji */
};

typedef struct triage_token {
    const char *word; /* normalised, NUL-terminated, in the text's buffer */
    uint64_t hash;    /* hash_fnv1a(word) (base/hash.h) */
    uint32_t len;     /* strlen(word) */
    uint32_t start;   /* byte range of the token in the original text */
    uint32_t end;
    uint32_t flags; /* TRIAGE_TOKEN_* */
    float boost;    /* an intensifier's factor (TRIAGE_TOKEN_BOOST) */
} triage_token;

/* Readable bytes after every token's word, its NUL included, in the
 * text's buffer: a reader may load a word 8 bytes at a time (the bytes
 * past its NUL are unspecified). */
#define TRIAGE_TEXT_SLACK 8

typedef struct triage_text {
    char *buf; /* owned: the normalised words, NUL-separated, with TRIAGE_TEXT_SLACK after */
    size_t buf_cap;
    triage_token *tokens; /* owned */
    size_t count;
    size_t token_cap;
} triage_text;

/* Split text (len bytes of UTF-8; invalid bytes separate words) into t,
 * replacing what t held. t starts zeroed; its buffers are reused.
 * Returns 0 or GW_ENOMEM (t is then empty but still freeable). */
int triage_text_split(triage_text *t, const char *text, size_t len);

/* Normalise one phrase word by word into out (cap bytes), words joined
 * by one space: what a lexicon line or a brand term is compared as.
 * Returns the number of words, 0 when there are none, or GW_ERANGE when
 * out is too small. */
int triage_text_normalise(const char *text, size_t len, char *out, size_t cap);

void triage_text_free(triage_text *t);

#endif /* GW_TRIAGE_TEXT_H */
