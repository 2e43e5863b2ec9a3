/* triage_analyse.h - what one text says, against the lexicons: intent
 * scores, the sentiment score, brand terms, competitors and @handles, each
 * with the words that gave it (so every tag can say why).
 *
 * Rules (docs/triage.md):
 * - phrases are matched longest first at each word; a phrase starting
 *   inside a longer match of the same list is not counted again;
 * - a sentiment phrase is scaled by the intensifiers right before it and
 *   flipped (times 0.8) by a negator among the three words before it,
 *   unless punctuation, "but", "and" or "or" comes between; an emoji or
 *   a word that is itself a negator ("nobody") is never flipped;
 * - a purchase, churn-risk or kudos phrase with a negator among the two
 *   words before it is not counted ("not buying", "won't cancel");
 * - naming a competitor adds 0.5 to churn risk;
 * - sentiment <= -0.5 adds 0.5 to complaint, >= 0.6 adds 0.5 to kudos;
 * - sentiment = sum / sqrt(sum^2 + 4), from -1 to 1.
 */
#ifndef GW_TRIAGE_ANALYSE_H
#define GW_TRIAGE_ANALYSE_H

#include <stddef.h>

#include "triage/lexicon.h"
#include "triage/triage_text.h"

#define TRIAGE_KEYWORDS_MAX 16
#define TRIAGE_INTENT_THRESHOLD 1.0
#define TRIAGE_COMPETITOR_CHURN 0.5
/* Sentiment at or below LEAN_NEGATIVE adds LEAN_WEIGHT to complaint, at
 * or above LEAN_POSITIVE to kudos. */
#define TRIAGE_LEAN_NEGATIVE (-0.5)
#define TRIAGE_LEAN_POSITIVE 0.6
#define TRIAGE_LEAN_WEIGHT 0.5

/* Where a cue sits in the original text (byte range) and what matched it. */
typedef struct triage_cue {
    const triage_phrase *phrase; /* NULL: none */
    uint32_t start, end;
} triage_cue;

typedef struct triage_analysis {
    double intent[TRIAGE_INTENT_COUNT];         /* summed weights */
    triage_cue intent_cue[TRIAGE_INTENT_COUNT]; /* the heaviest phrase counted */
    double sentiment_sum;
    double sentiment;         /* -1 .. 1 */
    triage_cue sentiment_cue; /* the strongest phrase, sign as counted */
    double sentiment_cue_weight;
    int sentiment_negated;                              /* the cue was flipped by a negator */
    const triage_phrase *keywords[TRIAGE_KEYWORDS_MAX]; /* brand terms, each once */
    size_t keyword_count;
    triage_cue competitor; /* the first competitor named */
    int handle_mentioned;  /* one of brand_handles after '@' */
} triage_analysis;

/* Analyse text (len bytes of UTF-8) into *out, using scratch (kept between
 * calls, freed by the caller with triage_text_free). Returns 0 or
 * GW_ENOMEM. Borrows lx; the phrases in *out are lx's. */
int triage_analyse(const triage_lexicon *lx, triage_text *scratch, const char *text, size_t len,
                   triage_analysis *out);

/* 1 when intent i reached TRIAGE_INTENT_THRESHOLD. */
int triage_analysis_has_intent(const triage_analysis *a, int i);

#endif /* GW_TRIAGE_ANALYSE_H */
