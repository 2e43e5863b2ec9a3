/* triage_analyse.c - one pass over a text's words against the lexicons
 * (see triage_analyse.h for the rules). Allocates nothing beyond the
 * scratch text's buffers.
 */
#include "triage/triage_analyse.h"

#include <math.h>
#include <string.h>

#include "gateway/error.h"

#define NEGATION_WINDOW 3
#define INTENT_NEGATION_WINDOW 2
#define NEGATION_FACTOR 0.8
#define SENTIMENT_ALPHA 4.0

/* The longest match of each list starting at one word: best[k] and len[k]
 * are set only where bit k of found is (most words match nothing, and
 * clearing the arrays for each was a third of the analysis' own cost). */
typedef struct word_matches {
    unsigned found;
    const triage_phrase *best[TRIAGE_LIST_COUNT];
    size_t len[TRIAGE_LIST_COUNT];
} word_matches;

static const triage_phrase *best_of(const word_matches *m, int list)
{
    return (m->found & (1u << list)) ? m->best[list] : NULL;
}

/* Conjunctions end a negation's reach: "not cheap but good",
 * "nothing works and nobody helps". */
static int is_conjunction(const triage_token *t)
{
    return (t->len == 3 && (memcmp(t->word, "but", 3) == 0 || memcmp(t->word, "and", 3) == 0)) ||
           (t->len == 2 && memcmp(t->word, "or", 2) == 0);
}

/* Every list's longest match at word i, in one walk of its chain; the
 * word is marked when it is a negator or an intensifier, so the words
 * after it look back at flags instead of searching again. Returns
 * m->found: 0 when nothing matched. */
static unsigned find_matches(const triage_lexicon *lx, triage_text *t, size_t i, word_matches *m)
{
    triage_lexicon_cursor cur;
    triage_token *tok = &t->tokens[i];
    m->found = 0;
    for (const triage_phrase *p = triage_lexicon_first(lx, t->tokens, t->count, i, &cur); p != NULL;
         p = triage_lexicon_next(lx, &cur)) {
        size_t n = triage_lexicon_match(lx, p, t->tokens, t->count, i);
        if (n == 0)
            continue;
        if (p->list == TRIAGE_NEGATOR)
            tok->flags |= TRIAGE_TOKEN_NEGATOR;
        else if (p->list == TRIAGE_INTENSIFIER) {
            tok->flags |= TRIAGE_TOKEN_BOOST;
            tok->boost = p->weight;
        }
        /* Longest first; at equal length the heavier phrase. */
        unsigned bit = 1u << p->list;
        if (!(m->found & bit) || n > m->len[p->list] ||
            (n == m->len[p->list] && fabsf(p->weight) > fabsf(m->best[p->list]->weight))) {
            m->found |= bit;
            m->best[p->list] = p;
            m->len[p->list] = n;
        }
    }
    return m->found;
}

/* A negator among the `window` words before i, within the clause. */
static int negated(const triage_text *t, size_t i, size_t window)
{
    for (size_t k = 1; k <= window && k <= i; k++) {
        const triage_token *w = &t->tokens[i - k];
        if ((w->flags & TRIAGE_TOKEN_PUNCT) || is_conjunction(w))
            return 0;
        if (w->flags & TRIAGE_TOKEN_NEGATOR)
            return 1;
    }
    return 0;
}

/* The product of the intensifiers right before i ("really very good"),
 * skipping negators ("not very good"). */
static double intensity(const triage_text *t, size_t i)
{
    double f = 1;
    for (size_t j = i; j-- > 0 && i - j <= NEGATION_WINDOW;) {
        const triage_token *w = &t->tokens[j];
        if (w->flags & TRIAGE_TOKEN_BOOST)
            f *= w->boost;
        else if (!(w->flags & TRIAGE_TOKEN_NEGATOR))
            break;
    }
    return f;
}

static triage_cue cue_of(const triage_text *t, const triage_phrase *p, size_t i, size_t n)
{
    return (triage_cue){p, t->tokens[i].start, t->tokens[i + n - 1].end};
}

static void add_keyword(triage_analysis *a, const triage_phrase *p)
{
    for (size_t k = 0; k < a->keyword_count; k++) {
        if (a->keywords[k] == p)
            return;
    }
    if (a->keyword_count < TRIAGE_KEYWORDS_MAX)
        a->keywords[a->keyword_count++] = p;
}

static void count_intents(const triage_text *t, size_t i, const word_matches *m, size_t *covered,
                          triage_analysis *a)
{
    /* the intents matched here, in list order, lowest bit first */
    for (unsigned bits = m->found & ((1u << TRIAGE_INTENT_COUNT) - 1); bits != 0;
         bits &= bits - 1) {
        int k = __builtin_ctz(bits);
        const triage_phrase *p = m->best[k];
        if (i < covered[k])
            continue;
        covered[k] = i + m->len[k];
        if ((k == TRIAGE_PURCHASE || k == TRIAGE_CHURN_RISK || k == TRIAGE_KUDOS) &&
            negated(t, i, INTENT_NEGATION_WINDOW))
            continue;
        a->intent[k] += p->weight;
        if (a->intent_cue[k].phrase == NULL || p->weight > a->intent_cue[k].phrase->weight)
            a->intent_cue[k] = cue_of(t, p, i, m->len[k]);
    }
}

static void count_sentiment(const triage_text *t, size_t i, const word_matches *m, size_t *covered,
                            triage_analysis *a)
{
    const triage_phrase *p = best_of(m, TRIAGE_SENTIMENT);
    if (p == NULL || i < *covered)
        return;
    *covered = i + m->len[TRIAGE_SENTIMENT];
    double w = p->weight * intensity(t, i);
    /* An emoji says what it says: "nothing here 😡" is not a negated 😡. */
    if (!(t->tokens[i].flags & (TRIAGE_TOKEN_EMOJI | TRIAGE_TOKEN_NEGATOR)) &&
        negated(t, i, NEGATION_WINDOW)) {
        w = -w * NEGATION_FACTOR;
        a->sentiment_negated = fabs(w) > fabs(a->sentiment_cue_weight) ? 1 : a->sentiment_negated;
    } else if (fabs(w) > fabs(a->sentiment_cue_weight)) {
        a->sentiment_negated = 0;
    }
    a->sentiment_sum += w;
    if (fabs(w) > fabs(a->sentiment_cue_weight)) {
        a->sentiment_cue_weight = w;
        a->sentiment_cue = cue_of(t, p, i, m->len[TRIAGE_SENTIMENT]);
    }
}

int triage_analyse(const triage_lexicon *lx, triage_text *scratch, const char *text, size_t len,
                   triage_analysis *out)
{
    memset(out, 0, sizeof *out);
    if (triage_text_split(scratch, text, len) != GW_OK)
        return GW_ENOMEM;
    triage_text *t = scratch;
    size_t intent_covered[TRIAGE_INTENT_COUNT] = {0};
    size_t sentiment_covered = 0;
    const uint64_t *first_bits = triage_lexicon_first_bits(lx);
    for (size_t i = 0; i < t->count; i++) {
        word_matches m;
        /* Most words begin no phrase; a question mark's phrases are
         * found under "?" whatever the token, so it always asks. */
        if (!(t->tokens[i].flags & TRIAGE_TOKEN_QUESTION) &&
            !triage_lexicon_may_start(first_bits, t->tokens[i].hash))
            continue;
        if (find_matches(lx, t, i, &m) == 0)
            continue;
        count_intents(t, i, &m, intent_covered, out);
        count_sentiment(t, i, &m, &sentiment_covered, out);
        if (best_of(&m, TRIAGE_BRAND) != NULL)
            add_keyword(out, m.best[TRIAGE_BRAND]);
        if (best_of(&m, TRIAGE_COMPETITOR) != NULL && out->competitor.phrase == NULL) {
            out->competitor = cue_of(t, m.best[TRIAGE_COMPETITOR], i, m.len[TRIAGE_COMPETITOR]);
            out->intent[TRIAGE_CHURN_RISK] += TRIAGE_COMPETITOR_CHURN;
        }
        if (best_of(&m, TRIAGE_HANDLE) != NULL && (t->tokens[i].flags & TRIAGE_TOKEN_AT))
            out->handle_mentioned = 1;
    }
    double s = out->sentiment_sum;
    out->sentiment = s / sqrt(s * s + SENTIMENT_ALPHA);
    /* A strongly negative text leans to a complaint, a strongly positive
     * one to kudos: half of what they need, so one more cue decides. */
    if (out->sentiment <= TRIAGE_LEAN_NEGATIVE)
        out->intent[TRIAGE_COMPLAINT] += TRIAGE_LEAN_WEIGHT;
    if (out->sentiment >= TRIAGE_LEAN_POSITIVE)
        out->intent[TRIAGE_KUDOS] += TRIAGE_LEAN_WEIGHT;
    return GW_OK;
}

int triage_analysis_has_intent(const triage_analysis *a, int i)
{
    return a->intent[i] >= TRIAGE_INTENT_THRESHOLD - 1e-9;
}
