/* triage_priority.c - the built-in priority points and their reasons
 * (see triage_priority.h). Reasons that depend only on a lexicon phrase
 * are shared values (triage_values.h); the few that quote a number or a
 * competitor are made per item.
 */
#include "triage/triage_priority.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/digits.h"
#include "gateway/error.h"
#include "gateway/sdk.h"

/* A shared reason (triage_values'). */
static int add_shared(triage_reasons *reasons, int *score, int points,
                      const triage_shared_reason *reason)
{
    *score += points;
    return triage_reasons_share(reasons, reason);
}

/* "text (+points)" (the text cut at 300 bytes, as before, on a character
 * boundary: half a UTF-8 sequence would make the reasons fail to write,
 * and the item go untagged). */
static int add_line(triage_reasons *reasons, int *score, int points, const char *text)
{
    char line[340];
    gw_sdk_str_copy(line, 301, text);
    size_t n = strlen(line);
    *score += points;
    line[n++] = ' ';
    line[n++] = '(';
    line[n++] = points < 0 ? '-' : '+';
    n += digits_put(line + n, points < 0 ? 0ull - (unsigned)points : (unsigned)points);
    line[n++] = ')';
    return triage_reasons_line(reasons, line, n);
}

/* n in millions to one decimal, as "%.1f" of n / 1e6 prints it: rounded
 * from the hundred thousands' remainder, which decides exactly unless it
 * is a tie (then 0 and printf's own rounding of the double is used). */
static size_t put_millions(char *out, long long n)
{
    long long tenths = n / 100000, rest = n % 100000;
    if (rest == 50000)
        return 0;
    tenths += rest > 50000;
    size_t len = digits_put(out, (unsigned long long)(tenths / 10));
    out[len++] = '.';
    out[len++] = (char)('0' + tenths % 10);
    return len;
}

static void describe_followers(char *out, size_t cap, long long n)
{
    static const char lead[] = "author has ", tail[] = " followers";
    if (n < 0 || cap < sizeof lead + sizeof tail + 2 * DIGITS_MAX) {
        snprintf(out, cap, "author has %lld followers", n);
        return;
    }
    size_t len = sizeof lead - 1, m;
    memcpy(out, lead, len);
    if (n >= 1000000) {
        if ((m = put_millions(out + len, n)) == 0) {
            snprintf(out, cap, "author has %.1fM followers", (double)n / 1e6);
            return;
        }
        len += m;
        out[len++] = 'M';
    } else {
        len += digits_put(out + len, (unsigned long long)(n >= 10000 ? n / 1000 : n));
        if (n >= 10000)
            out[len++] = 'k';
    }
    memcpy(out + len, tail, sizeof tail);
}

/* "<rating>-star review" as "%g" writes the rating: a whole number of
 * stars (every network's ratings) by its digits. */
static void describe_rating(char *out, size_t cap, double rating)
{
    static const char tail[] = "-star review";
    if (!(rating >= 1 && rating <= 100 && rating == (double)(int)rating) ||
        cap < DIGITS_MAX + sizeof tail) {
        snprintf(out, cap, "%g-star review", rating);
        return;
    }
    size_t len = digits_put(out, (unsigned long long)rating);
    memcpy(out + len, tail, sizeof tail);
}

static int add_intents(const triage_priority_input *in, int *score, triage_reasons *reasons)
{
    const triage_analysis *a = in->analysis;
    int rc = GW_OK;
    for (int i = 0; i < TRIAGE_INTENT_COUNT && rc == GW_OK; i++) {
        if (!(in->facts->intents & (1u << i)))
            continue;
        const triage_phrase *cue = a->intent_cue[i].phrase;
        int points = triage_intent_points[i];
        if (i == TRIAGE_CHURN_RISK && a->competitor.phrase != NULL) {
            /* each part cut on a character boundary (add_line) */
            char cue_text[101], rival[101], line[300];
            gw_sdk_str_copy(cue_text, sizeof cue_text, cue != NULL ? cue->display : "");
            gw_sdk_str_copy(rival, sizeof rival, a->competitor.phrase->display);
            snprintf(line, sizeof line, "%s: '%s', names %s", triage_intent_labels[i], cue_text,
                     rival);
            rc = add_line(reasons, score, points, line);
        } else if (cue != NULL) {
            rc = add_shared(reasons, score, points,
                            &in->values->intent_reason[triage_lexicon_index(in->lexicon, cue)]);
        } else {
            rc = add_line(reasons, score, points, triage_intent_labels[i]);
        }
    }
    return rc;
}

int triage_priority_builtin(const triage_priority_input *in, int *score, triage_reasons *reasons)
{
    const triage_analysis *a = in->analysis;
    const triage_facts *f = in->facts;
    char line[200];
    int rc = GW_OK;
    if (in->addressed)
        *score += TRIAGE_PRIORITY_ADDRESSED;
    rc |= add_intents(in, score, reasons);
    if (f->sentiment != NULL && f->sentiment[0] == 'n' && f->sentiment[2] == 'g') {
        int points = (int)triage_round(15 * fabs(in->sentiment));
        if (points > 0 && a->sentiment_cue.phrase != NULL && a->sentiment_cue_weight < 0)
            rc |= add_shared(reasons, score, points,
                             triage_values_sentiment_reason(in->values, in->lexicon,
                                                            a->sentiment_cue.phrase,
                                                            a->sentiment_negated, points));
        else if (points > 0)
            rc |= add_line(reasons, score, points, "negative sentiment");
    }
    if (f->has_rating && f->rating <= 2) {
        describe_rating(line, sizeof line, f->rating);
        rc |= add_line(reasons, score, 15, line);
    }
    if (f->influence != NULL && f->influence[0] == 't') { /* top */
        describe_followers(line, sizeof line, f->followers);
        rc |= add_line(reasons, score, 30, line);
    } else if (f->influence != NULL && f->influence[0] == 'h') { /* high */
        if (in->verified) {
            rc |= add_shared(reasons, score, 20, &in->values->fixed[TRIAGE_REASON_VERIFIED]);
        } else {
            describe_followers(line, sizeof line, f->followers);
            rc |= add_line(reasons, score, 20, line);
        }
    }
    if (f->visibility != NULL && strcmp(f->visibility, "private") == 0)
        rc |= add_shared(reasons, score, 10, &in->values->fixed[TRIAGE_REASON_PRIVATE]);
    return rc == GW_OK ? GW_OK : GW_ENOMEM;
}

triage_level triage_priority_level(int score)
{
    for (int l = TRIAGE_LEVEL_URGENT; l > TRIAGE_LEVEL_LOW; l--) {
        if (score >= triage_level_floor[l])
            return (triage_level)l;
    }
    return TRIAGE_LEVEL_LOW;
}

int triage_priority_fit(int score, triage_level level)
{
    if (level == TRIAGE_LEVEL_NONE)
        return score;
    int floor = triage_level_floor[level];
    int ceiling = level == TRIAGE_LEVEL_URGENT ? 100 : triage_level_floor[level + 1] - 1;
    return score < floor ? floor : score > ceiling ? ceiling : score;
}
