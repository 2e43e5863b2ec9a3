/* triage_rules.h - the [[rule]] tables of gateway.toml, compiled once
 * (regular expressions included) and matched against an item's facts.
 *
 * A rule matches when every match key it gives holds (network, type,
 * visibility, intent, sentiment, tag, influence, text, rating_min/max,
 * followers_min); it then adds its points and/or sets its level, and
 * says so in priority_reasons. Rules apply in file order; the last
 * matching rule with a level wins.
 */
#ifndef GW_TRIAGE_RULES_H
#define GW_TRIAGE_RULES_H

#include <jansson.h>

#include "config/config.h"
#include "triage/triage_reasons.h"

/* Priority levels, lowest first. */
typedef enum triage_level {
    TRIAGE_LEVEL_NONE = -1,
    TRIAGE_LEVEL_LOW = 0,
    TRIAGE_LEVEL_NORMAL,
    TRIAGE_LEVEL_HIGH,
    TRIAGE_LEVEL_URGENT
} triage_level;

/* "low", "normal", "high", "urgent"; the lowest score of each level. */
extern const char *const triage_level_names[4];
extern const int triage_level_floor[4];

/* The tags triage set itself when they are not in an object yet (written
 * as text, triage_tags_text.h); intent, sentiment and influence are the
 * facts' own members. */
typedef struct triage_own_tags {
    int mentioned;
    int unaddressed;
    size_t keywords;
    double sentiment_score;
} triage_own_tags;

/* The facts of one item a rule can look at. Strings may be NULL. */
typedef struct triage_facts {
    const char *network, *type, *visibility, *text;
    int has_rating;
    double rating;
    int has_followers;
    long long followers;
    unsigned intents;           /* bit i: triage_intent_names[i] */
    const char *sentiment;      /* negative, neutral, positive */
    const char *influence;      /* top, high, normal, or NULL when unknown */
    const json_t *tags;         /* the item's tags as built so far (borrowed), or */
    const triage_own_tags *own; /* when not NULL, triage's own (there is no object) */
} triage_facts;

typedef struct triage_rules triage_rules;

/* Compile cfg's [[rule]] tables. Returns 0 and *out (caller frees with
 * triage_rules_free; an empty set when there are none), or GW_EINVAL with
 * one "file:line:col: rule[i].key: ..." line per problem in errs, or
 * GW_ENOMEM. */
int triage_rules_compile(const gw_config *cfg, triage_rules **out, cfg_errors *errs);

void triage_rules_free(triage_rules *r);

/* Apply every matching rule in order: points added to *score, a level
 * written to *level, one readable reason each appended to reasons.
 * Returns 0 or GW_ENOMEM. */
int triage_rules_apply(const triage_rules *r, const triage_facts *f, int *score,
                       triage_level *level, triage_reasons *reasons);

#endif /* GW_TRIAGE_RULES_H */
