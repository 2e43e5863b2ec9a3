/* triage_values.c - the shared JSON values of triage tags (see
 * triage_values.h). Owns one reference to each.
 */
#include "triage/triage_values.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json_write.h"
#include "gateway/error.h"

const int triage_intent_points[TRIAGE_INTENT_COUNT] = {30, 40, 15, 25, -10};
const char *const triage_intent_labels[TRIAGE_INTENT_COUNT] = {"purchase intent", "churn risk",
                                                               "question", "complaint", "kudos"};

static const char *const sentiment_names[3] = {"negative", "neutral", "positive"};
static const char *const level_names[4] = {"low", "normal", "high", "urgent"};
static const char *const influence_names[3] = {"top", "high", "normal"};
static const char *const fixed_reasons[TRIAGE_REASON_COUNT] = {"private message (+10)",
                                                               "verified author (+20)"};

#define SLOTS_PER_PHRASE (2 * (TRIAGE_SENTIMENT_POINTS_MAX + 1))

static int make_strings(json_t **out, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if ((out[i] = json_string(names[i])) == NULL)
            return GW_ENOMEM;
    }
    return GW_OK;
}

static int make_intent_arrays(triage_values *v)
{
    for (unsigned mask = 1; mask < (1u << TRIAGE_INTENT_COUNT); mask++) {
        json_t *arr = json_array();
        if (arr == NULL)
            return GW_ENOMEM;
        v->intents[mask] = arr;
        for (int i = 0; i < TRIAGE_INTENT_COUNT; i++) {
            if ((mask & (1u << i)) &&
                json_array_append_new(arr, json_string(triage_intent_names[i])) != 0)
                return GW_ENOMEM;
        }
    }
    return GW_OK;
}

static int make_phrase_values(triage_values *v, const triage_lexicon *lx)
{
    char line[600];
    for (size_t i = 0; i < v->phrases; i++) {
        const triage_phrase *p = triage_lexicon_phrase(lx, i);
        if (p->list < TRIAGE_INTENT_COUNT) {
            if (strcmp(p->text, "?") == 0)
                snprintf(line, sizeof line, "%s: asks with '?' (%+d)",
                         triage_intent_labels[p->list], triage_intent_points[p->list]);
            else
                snprintf(line, sizeof line, "%s: '%s' (%+d)", triage_intent_labels[p->list],
                         p->display, triage_intent_points[p->list]);
            if (triage_shared_reason_make(&v->intent_reason[i], line) != GW_OK)
                return GW_ENOMEM;
        } else if (p->list == TRIAGE_BRAND) {
            json_t *arr = json_array();
            if (arr == NULL || json_array_append_new(arr, json_string(p->display)) != 0) {
                json_decref(arr);
                return GW_ENOMEM;
            }
            v->keywords[i] = arr;
        }
    }
    return GW_OK;
}

/* out[i] = `,"key":` and the compact JSON of in[i] as the store would
 * write it (NULL stays empty). */
static int texts_of(triage_member_text *out, const char *key, json_t *const *in, size_t n)
{
    jw_buf b = {0};
    int rc = GW_OK;
    for (size_t i = 0; i < n && rc == GW_OK; i++) {
        if (in[i] == NULL)
            continue;
        b.len = 0;
        /* jw_dump replaces what its buffer holds: the value goes first */
        jw_buf value = {0};
        if ((rc = jw_dump(&value, in[i])) == GW_OK && (rc = jw_raw(&b, ",", 1)) == GW_OK &&
            (rc = jw_string(&b, key, strlen(key))) == GW_OK && (rc = jw_raw(&b, ":", 1)) == GW_OK)
            rc = jw_raw(&b, value.data, value.len);
        jw_buf_free(&value);
        if (rc == GW_OK && (out[i].text = malloc(b.len + 1)) == NULL)
            rc = GW_ENOMEM;
        if (rc == GW_OK) {
            memcpy(out[i].text, b.data, b.len);
            out[i].text[b.len] = '\0';
            out[i].len = b.len;
        }
    }
    jw_buf_free(&b);
    return rc;
}

static int make_texts(triage_values *v)
{
    if (texts_of(v->sentiment_text, "sentiment", v->sentiment, 3) != GW_OK ||
        texts_of(v->level_text, "priority", v->level, 4) != GW_OK ||
        texts_of(v->influence_text, "influence", v->influence, 3) != GW_OK ||
        texts_of(v->intents_text, "intent", v->intents, 1u << TRIAGE_INTENT_COUNT) != GW_OK ||
        texts_of(v->score_text, "priority_score", v->score, 101) != GW_OK ||
        texts_of(v->sentiment_score_text, "sentiment_score", v->sentiment_score, 201) != GW_OK)
        return GW_ENOMEM;
    return GW_OK;
}

int triage_values_open(triage_values *v, const triage_lexicon *lx)
{
    v->phrases = triage_lexicon_size(lx);
    size_t n = v->phrases ? v->phrases : 1;
    v->intent_reason = calloc(n, sizeof *v->intent_reason);
    v->keywords = calloc(n, sizeof *v->keywords);
    v->sentiment_reason = calloc(n * SLOTS_PER_PHRASE, sizeof *v->sentiment_reason);
    if (v->intent_reason == NULL || v->keywords == NULL || v->sentiment_reason == NULL)
        return GW_ENOMEM;
    if (make_strings(v->sentiment, sentiment_names, 3) != GW_OK ||
        make_strings(v->level, level_names, 4) != GW_OK ||
        make_strings(v->influence, influence_names, 3) != GW_OK)
        return GW_ENOMEM;
    for (int i = 0; i < TRIAGE_REASON_COUNT; i++) {
        if (triage_shared_reason_make(&v->fixed[i], fixed_reasons[i]) != GW_OK)
            return GW_ENOMEM;
    }
    for (int i = 0; i <= 100; i++) {
        if ((v->score[i] = json_integer(i)) == NULL)
            return GW_ENOMEM;
    }
    for (int i = 0; i <= 200; i++) {
        if ((v->sentiment_score[i] = json_real((i - 100) / 100.0)) == NULL)
            return GW_ENOMEM;
    }
    if (make_intent_arrays(v) != GW_OK || make_texts(v) != GW_OK)
        return GW_ENOMEM;
    return make_phrase_values(v, lx);
}

static void decref_all(json_t **arr, size_t n)
{
    for (size_t i = 0; arr != NULL && i < n; i++)
        json_decref(arr[i]);
}

static void free_reasons(triage_shared_reason *arr, size_t n)
{
    for (size_t i = 0; arr != NULL && i < n; i++)
        triage_shared_reason_free(&arr[i]);
}

void triage_values_free(triage_values *v)
{
    decref_all(v->sentiment, 3);
    decref_all(v->level, 4);
    decref_all(v->influence, 3);
    decref_all(v->intents, 1u << TRIAGE_INTENT_COUNT);
    decref_all(v->score, 101);
    decref_all(v->sentiment_score, 201);
    free_reasons(v->fixed, TRIAGE_REASON_COUNT);
    free_reasons(v->intent_reason, v->phrases);
    decref_all(v->keywords, v->phrases);
    free_reasons(v->sentiment_reason, v->phrases * SLOTS_PER_PHRASE);
    triage_member_text *texts[] = {v->sentiment_text, v->level_text, v->influence_text,
                                   v->intents_text,   v->score_text, v->sentiment_score_text};
    size_t counts[] = {3, 4, 3, 1u << TRIAGE_INTENT_COUNT, 101, 201};
    for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++) {
        for (size_t i = 0; i < counts[k]; i++)
            free(texts[k][i].text);
    }
    free(v->intent_reason);
    free(v->keywords);
    free(v->sentiment_reason);
    *v = (triage_values){0};
}

const triage_shared_reason *triage_values_sentiment_reason(triage_values *v,
                                                           const triage_lexicon *lx,
                                                           const triage_phrase *p, int negated,
                                                           int points)
{
    if (points < 1)
        points = 1;
    if (points > TRIAGE_SENTIMENT_POINTS_MAX)
        points = TRIAGE_SENTIMENT_POINTS_MAX;
    size_t slot = triage_lexicon_index(lx, p) * SLOTS_PER_PHRASE +
                  (size_t)(negated ? TRIAGE_SENTIMENT_POINTS_MAX + 1 : 0) + (size_t)points;
    triage_shared_reason *s = &v->sentiment_reason[slot];
    if (s->value == NULL) {
        char line[600];
        snprintf(line, sizeof line, "negative sentiment: '%s'%s (+%d)", p->display,
                 negated ? " negated" : "", points);
        if (triage_shared_reason_make(s, line) != GW_OK) {
            triage_shared_reason_free(s);
            return NULL;
        }
    }
    return s;
}
