/* triage_priority.h - the built-in priority points, each with the line
 * priority_reasons shows (docs/triage.md lists them):
 *
 *   base 20 for an item addressed to the brand, 10 for one that only
 *   names it (the base is no reason of its own); churn risk +40;
 *   purchase +30; complaint +25; question +15; kudos -10; negative
 *   sentiment +15 x |score|; a 1-2 star review +15; influence high +20,
 *   top +30; private +10.
 *
 * The score is then clamped to 0-100 and read against the levels' floors
 * (urgent >= 70, high >= 45, normal >= 20, else low).
 */
#ifndef GW_TRIAGE_PRIORITY_H
#define GW_TRIAGE_PRIORITY_H

#include <jansson.h>

#include "triage/triage_analyse.h"
#include "triage/triage_reasons.h"
#include "triage/triage_rules.h"
#include "triage/triage_values.h"

#define TRIAGE_PRIORITY_BASE 10
#define TRIAGE_PRIORITY_ADDRESSED 10

/* x to the nearest integer, halves away from zero: lround(x) for
 * |x| < 2^52, without libm's call. The hook rounds each item's sentiment
 * three times, and lround with round was ~2% of its instructions. */
static inline long triage_round(double x)
{
    long r = (long)x;           /* toward zero, exact */
    double frac = x - (double)r; /* exact too, |x| being small */
    if (frac >= 0.5)
        r++;
    else if (frac <= -0.5)
        r--;
    return r;
}

/* What the built-in points look at. */
typedef struct triage_priority_input {
    triage_values *values; /* the shared reasons */
    const triage_lexicon *lexicon;
    const triage_analysis *analysis;
    const triage_facts *facts;
    int addressed;    /* tags.mentioned */
    int verified;     /* the author is verified */
    double sentiment; /* the final score, after the rating */
} triage_priority_input;

/* Add the built-in points to *score with a reason each (the base
 * included). Returns 0 or GW_ENOMEM. */
int triage_priority_builtin(const triage_priority_input *in, int *score, triage_reasons *reasons);

/* The level of a clamped score. */
triage_level triage_priority_level(int score);

/* A level forced by a rule moves the score into that level's range, so
 * score and label never disagree. */
int triage_priority_fit(int score, triage_level level);

#endif /* GW_TRIAGE_PRIORITY_H */
