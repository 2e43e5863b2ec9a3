/* triage_values.h - the JSON values items' tags share, made once: the
 * labels, levels and tiers, the intent arrays (one per combination), the
 * scores, and the reasons that depend only on a lexicon phrase.
 *
 * An item's tags take a reference (json_incref) to these instead of new
 * values, so tagging an item allocates a handful of values rather than
 * dozens: the flood benchmark's budget for triage is a tenth of the
 * ingest time. Shared values are never modified; nothing may change a
 * tags member in place (replace it instead).
 */
#ifndef GW_TRIAGE_VALUES_H
#define GW_TRIAGE_VALUES_H

#include <jansson.h>

#include "triage/lexicon.h"
#include "triage/triage_reasons.h"

#define TRIAGE_SENTIMENT_POINTS_MAX 15

typedef enum triage_fixed_reason {
    TRIAGE_REASON_PRIVATE,  /* "private message (+10)" */
    TRIAGE_REASON_VERIFIED, /* "verified author (+20)" */
    TRIAGE_REASON_COUNT
} triage_fixed_reason;

/* One member as JSON text (owned by the values; text NULL when none). */
typedef struct triage_member_text {
    char *text;
    size_t len;
} triage_member_text;

typedef struct triage_values {
    json_t *sentiment[3];                       /* "negative", "neutral", "positive" */
    json_t *level[4];                           /* triage_level_names */
    json_t *influence[3];                       /* "top", "high", "normal" */
    json_t *intents[1u << TRIAGE_INTENT_COUNT]; /* arrays by bit mask; [0] is NULL */
    json_t *score[101];                         /* 0..100 */
    json_t *sentiment_score[201];               /* -1.00..1.00 by hundredths */
    triage_shared_reason fixed[TRIAGE_REASON_COUNT];
    triage_shared_reason *intent_reason;    /* per phrase: an intent phrase's, else empty */
    json_t **keywords;                      /* per phrase: a brand term alone in an array */
    triage_shared_reason *sentiment_reason; /* per phrase x negated x points, made on use */
    size_t phrases;
    /* The values above that have no per-phrase part as whole members,
     * `,"key":<compact JSON>`, for tags written straight as text
     * (triage_tags_text.c: one copy per member). */
    triage_member_text sentiment_text[3];
    triage_member_text level_text[4];
    triage_member_text influence_text[3];
    triage_member_text intents_text[1u << TRIAGE_INTENT_COUNT]; /* [0] is empty */
    triage_member_text score_text[101];
    triage_member_text sentiment_score_text[201];
} triage_values;

/* Make every value for lx's phrases. Returns 0 or GW_ENOMEM (v is then
 * freeable). v starts zeroed. */
int triage_values_open(triage_values *v, const triage_lexicon *lx);

void triage_values_free(triage_values *v);

/* The points the built-in rules give each intent, and its label. */
extern const int triage_intent_points[TRIAGE_INTENT_COUNT];
extern const char *const triage_intent_labels[TRIAGE_INTENT_COUNT];

/* "negative sentiment: 'awful' (+N)" for a cue phrase (negated: "'happy'
 * negated"), made the first time it is needed. Borrowed; NULL when out
 * of memory. points is 1..TRIAGE_SENTIMENT_POINTS_MAX. */
const triage_shared_reason *triage_values_sentiment_reason(triage_values *v,
                                                           const triage_lexicon *lx,
                                                           const triage_phrase *p, int negated,
                                                           int points);

#endif /* GW_TRIAGE_VALUES_H */
