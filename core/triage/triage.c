/* triage.c - the enrichment entry point (see triage.h): reads the item's
 * facts, analyses its text once, and merges the tags into the item before
 * the pipeline serialises it (once).
 *
 * Owns the compiled lexicon, the compiled rules and the scratch buffers
 * of the text being read, so an item costs no allocation beyond the JSON
 * members it adds. Members with nothing to say are left out (no empty
 * intent array, no influence when the network gives no follower count).
 */
#include "triage/triage.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway/error.h"
#include "triage/lexicon.h"
#include "triage/triage_analyse.h"
#include "triage/triage_priority.h"
#include "triage/triage_rules.h"
#include "triage/triage_tags_text.h"
#include "triage/triage_values.h"

/* Sentiment labels: negative at or below -LABEL, positive at or above. */
#define SENTIMENT_LABEL 0.2

struct triage {
    int enabled;
    int default_rules;
    long long influence_high, influence_top;
    triage_lexicon *lexicon;
    triage_rules *rules;
    triage_values values; /* shared JSON values of the tags */
    triage_text scratch;
    jw_buf text;            /* the last item's tags as text (triage_enrich_text) */
    triage_reasons reasons; /* an item's reasons, emptied for each */
};

static int check_influence(const gw_config *cfg, long long high, long long top, cfg_errors *errs)
{
    if (top >= high)
        return GW_OK;
    const toml_keyval *kv =
        cfg->triage_table != NULL ? toml_table_find(cfg->triage_table, "influence_top") : NULL;
    if (kv == NULL && cfg->triage_table != NULL)
        kv = toml_table_find(cfg->triage_table, "influence_high");
    cfg_errors_add(errs,
                   "%s:%d:%d: triage.%s: influence_top (%lld) must be at least "
                   "influence_high (%lld)",
                   cfg->path, kv ? kv->value->line : 0, kv ? kv->value->column : 0,
                   kv ? kv->key : "influence_top", top, high);
    return GW_EINVAL;
}

int triage_open(const gw_config *cfg, triage **out, cfg_errors *errs)
{
    *out = NULL;
    triage *t = calloc(1, sizeof *t);
    if (t == NULL)
        return GW_ENOMEM;
    const json_t *s = cfg->triage;
    t->enabled = json_is_true(json_object_get(s, "enabled"));
    t->default_rules = json_is_true(json_object_get(s, "default_rules"));
    t->influence_high = json_integer_value(json_object_get(s, "influence_high"));
    t->influence_top = json_integer_value(json_object_get(s, "influence_top"));
    int rc = check_influence(cfg, t->influence_high, t->influence_top, errs);
    int lrc = triage_lexicon_open(
        json_string_value(json_object_get(s, "lexicon_dir")), json_object_get(s, "brand_terms"),
        json_object_get(s, "competitors"), json_object_get(s, "brand_handles"), &t->lexicon, errs);
    int rrc = lrc == GW_ENOMEM ? lrc : triage_rules_compile(cfg, &t->rules, errs);
    if (lrc == GW_OK && rrc == GW_OK && rc == GW_OK)
        rrc = triage_values_open(&t->values, t->lexicon);
    if (lrc == GW_ENOMEM || rrc == GW_ENOMEM)
        rc = GW_ENOMEM;
    else if (rc == GW_OK)
        rc = lrc != GW_OK ? lrc : rrc;
    if (rc != GW_OK) {
        triage_free(t);
        return rc;
    }
    *out = t;
    return GW_OK;
}

void triage_free(triage *t)
{
    if (t == NULL)
        return;
    triage_lexicon_free(t->lexicon);
    triage_rules_free(t->rules);
    triage_values_free(&t->values);
    triage_text_free(&t->scratch);
    jw_buf_free(&t->text);
    triage_reasons_free(&t->reasons);
    free(t);
}

int triage_enabled(const triage *t)
{
    return t != NULL && t->enabled;
}

/* 0 top, 1 high, 2 normal (triage_values' order), -1 unknown. */
static int influence_of(const triage *t, const triage_facts *f, int verified)
{
    if (f->has_followers && f->followers >= t->influence_top)
        return 0;
    if ((f->has_followers && f->followers >= t->influence_high) || verified)
        return 1;
    return f->has_followers ? 2 : -1;
}

/* A 1-2 star review is negative whatever its words; 4-5 stars lift a
 * text that is not negative. */
static double rated_sentiment(double score, const triage_facts *f)
{
    if (!f->has_rating)
        return score;
    if (f->rating <= 2) {
        double cap = -0.5 - (2 - f->rating) * 0.25;
        return score < cap ? score : cap;
    }
    if (f->rating >= 4 && score > -SENTIMENT_LABEL) {
        double lift = (f->rating - 3) * 0.25;
        return score > lift ? score : lift;
    }
    return score;
}

/* 0 negative, 1 neutral, 2 positive (triage_values' order). */
static int label_of(double score)
{
    return score <= -SENTIMENT_LABEL ? 0 : score >= SENTIMENT_LABEL ? 2 : 1;
}

static int sentiment_index(double sentiment);

/* keywords: the plugin's, then the brand terms found that it lacks. One
 * term and no plugin's list (the common case) is a shared array. */
static int merge_keywords(triage *t, json_t *tags, const triage_analysis *a)
{
    json_t *kw = json_object_get(tags, "keywords");
    if (a->keyword_count == 0)
        return GW_OK;
    if (a->keyword_count == 1 && json_array_size(kw) == 0) {
        json_t *one = t->values.keywords[triage_lexicon_index(t->lexicon, a->keywords[0])];
        return json_object_set(tags, "keywords", one) == 0 ? GW_OK : GW_ENOMEM;
    }
    if (!json_is_array(kw)) {
        kw = json_array();
        if (kw == NULL || json_object_set_new(tags, "keywords", kw) != 0)
            return GW_ENOMEM;
    }
    for (size_t i = 0; i < a->keyword_count; i++) {
        const char *term = a->keywords[i]->display;
        size_t j;
        json_t *v;
        int known = 0;
        json_array_foreach(kw, j, v)
        {
            const char *s = json_string_value(v);
            if (s != NULL && strcasecmp(s, term) == 0)
                known = 1;
        }
        if (!known && json_array_append_new(kw, json_string(term)) != 0)
            return GW_ENOMEM;
    }
    return GW_OK;
}

/* The brand was addressed: the plugin said so, a handle after '@', or an
 * item on the brand's own page or inbox (comment, review, message). */
static int addressed(const json_t *tags, const triage_analysis *a, const char *type)
{
    if (json_is_true(json_object_get(tags, "mentioned")) || a->handle_mentioned)
        return 1;
    return type != NULL && strcmp(type, "mention") != 0;
}

/* Set a shared value: the object takes a new reference. */
static int set_shared(json_t *o, const char *key, json_t *v)
{
    return json_object_set(o, key, v) == 0 ? GW_OK : GW_ENOMEM;
}

/* The tags after the analysis: listening, intent, sentiment, influence. */
static int put_facts(triage *t, json_t *tags, const triage_analysis *a, const triage_facts *f,
                     int mentioned, double sentiment, int influence)
{
    int rc = merge_keywords(t, tags, a);
    rc |= set_shared(tags, "mentioned", mentioned ? json_true() : json_false());
    if (!mentioned && json_array_size(json_object_get(tags, "keywords")) > 0)
        rc |= set_shared(tags, "unaddressed", json_true());
    if (f->intents != 0)
        rc |= set_shared(tags, "intent", t->values.intents[f->intents]);
    rc |= set_shared(tags, "sentiment", t->values.sentiment[label_of(sentiment)]);
    rc |=
        set_shared(tags, "sentiment_score", t->values.sentiment_score[sentiment_index(sentiment)]);
    if (influence >= 0)
        rc |= set_shared(tags, "influence", t->values.influence[influence]);
    return rc == GW_OK ? GW_OK : GW_ENOMEM;
}

/* What one item was judged to be, before its tags are written either
 * way. */
typedef struct verdict {
    triage_analysis a;
    triage_facts f;
    const char *type;
    double sentiment; /* rounded to hundredths, the rating applied */
    int influence;
    int verified;
} verdict;

void triage_item_of(const json_t *event, triage_item *in)
{
    const json_t *author = json_object_get(event, "author");
    *in = (triage_item){.type = json_object_get(event, "type"),
                        .visibility = json_object_get(event, "visibility"),
                        .text = json_object_get(event, "text"),
                        .rating = json_object_get(event, "rating"),
                        .tags = json_object_get(event, "tags"),
                        .followers = json_object_get(author, "followers"),
                        .verified = json_object_get(author, "verified")};
}

/* 1 with *v for a plugin item, 0 for a gateway event (never triaged), or
 * GW_ENOMEM. */
static int judge(triage *t, const char *network, const triage_item *in, verdict *v)
{
    const char *type = json_string_value(in->type);
    if (type == NULL || strchr(type, '.') != NULL)
        return 0;
    const json_t *text_v = in->text;
    const char *text = json_string_value(text_v);
    const json_t *rating = in->rating;
    const json_t *followers = in->followers;
    v->type = type;
    v->verified = json_is_true(in->verified);
    v->f = (triage_facts){.network = network,
                          .type = type,
                          .visibility = json_string_value(in->visibility),
                          .text = text,
                          .has_rating = json_is_number(rating),
                          .rating = json_number_value(rating),
                          .has_followers = json_is_integer(followers),
                          .followers = (long long)json_integer_value(followers)};
    if (triage_analyse(t->lexicon, &t->scratch, text != NULL ? text : "",
                       text != NULL ? json_string_length(text_v) : 0, &v->a) != GW_OK)
        return GW_ENOMEM;
    for (int i = 0; i < TRIAGE_INTENT_COUNT; i++) {
        if (triage_analysis_has_intent(&v->a, i))
            v->f.intents |= 1u << i;
    }
    static const char *const labels[3] = {"negative", "neutral", "positive"};
    static const char *const tiers[3] = {"top", "high", "normal"};
    v->sentiment = (double)triage_round(rated_sentiment(v->a.sentiment, &v->f) * 100) / 100;
    v->influence = influence_of(t, &v->f, v->verified);
    v->f.sentiment = labels[label_of(v->sentiment)];
    v->f.influence = v->influence >= 0 ? tiers[v->influence] : NULL;
    return 1;
}

static int sentiment_index(double sentiment)
{
    return (int)triage_round(sentiment * 100) + 100;
}

/* The built-in points, then the rules (which see v->f's tags): the score
 * clamped and fitted to a forced level, its level, and the reasons
 * appended to the empty list the caller gives. Returns 0 or GW_ENOMEM. */
static int rank(triage *t, verdict *v, int mentioned, int *score_out, int *level_out,
                triage_reasons *reasons)
{
    int score = TRIAGE_PRIORITY_BASE, rc = GW_OK;
    triage_level level = TRIAGE_LEVEL_NONE;
    triage_priority_input in = {&t->values, t->lexicon,  &v->a,       &v->f,
                                mentioned,  v->verified, v->sentiment};
    if (t->default_rules)
        rc = triage_priority_builtin(&in, &score, reasons);
    if (rc == GW_OK)
        rc = triage_rules_apply(t->rules, &v->f, &score, &level, reasons);
    if (rc != GW_OK)
        return GW_ENOMEM;
    score = score < 0 ? 0 : score > 100 ? 100 : score;
    score = triage_priority_fit(score, level);
    *score_out = score;
    *level_out = (int)triage_priority_level(score);
    return GW_OK;
}

static void out_priority(triage_out *out, int score, int level)
{
    if (out != NULL) {
        out->priority_score = score;
        out->priority = triage_level_names[level];
    }
}

/* The tags merged into the item's "tags" object (the plugin's, or a new
 * one). */
static int enrich_object(triage *t, const char *network, json_t *event, const triage_item *in,
                         triage_out *out)
{
    verdict v;
    int judged = judge(t, network, in, &v);
    if (judged <= 0)
        return judged;
    json_t *tags = json_object_get(event, "tags");
    if (!json_is_object(tags)) {
        tags = json_object();
        if (tags == NULL || json_object_set_new(event, "tags", tags) != 0)
            return GW_ENOMEM;
    }
    int mentioned = addressed(tags, &v.a, v.type);
    if (put_facts(t, tags, &v.a, &v.f, mentioned, v.sentiment, v.influence) != GW_OK)
        return GW_ENOMEM;
    v.f.tags = tags;
    int score, level;
    triage_reasons_clear(&t->reasons);
    if (rank(t, &v, mentioned, &score, &level, &t->reasons) != GW_OK)
        return GW_ENOMEM;
    int rc = set_shared(tags, "priority", t->values.level[level]);
    rc |= set_shared(tags, "priority_score", t->values.score[score]);
    if (rc == GW_OK && t->reasons.count > 0)
        rc = json_object_set_new(tags, "priority_reasons", triage_reasons_array(&t->reasons)) == 0
                 ? GW_OK
                 : GW_ENOMEM;
    if (rc != GW_OK)
        return GW_ENOMEM;
    out_priority(out, score, level);
    return GW_OK;
}

int triage_enrich(triage *t, const char *network, json_t *event)
{
    triage_item in;
    triage_item_of(event, &in);
    return enrich_object(t, network, event, &in, NULL);
}

int triage_enrich_text(triage *t, const char *network, json_t *event, const triage_item *in,
                       triage_out *out)
{
    *out = (triage_out){.priority_score = -1};
    triage_item looked;
    if (in == NULL) {
        triage_item_of(event, &looked);
        in = &looked;
    }
    if (in->tags != NULL)
        return enrich_object(t, network, event, in, out);
    verdict v;
    int judged = judge(t, network, in, &v);
    if (judged <= 0)
        return judged;
    int mentioned = addressed(NULL, &v.a, v.type);
    triage_own_tags own = {.mentioned = mentioned,
                           .unaddressed = !mentioned && v.a.keyword_count > 0,
                           .keywords = v.a.keyword_count,
                           .sentiment_score = (sentiment_index(v.sentiment) - 100) / 100.0};
    v.f.own = &own;
    triage_tag_set set = {.keywords = v.a.keywords,
                          .keyword_count = v.a.keyword_count,
                          .mentioned = mentioned,
                          .unaddressed = own.unaddressed,
                          .intents = v.f.intents,
                          .sentiment = label_of(v.sentiment),
                          .sentiment_score = sentiment_index(v.sentiment),
                          .influence = v.influence};
    triage_reasons_clear(&t->reasons);
    if (rank(t, &v, mentioned, &set.score, &set.level, &t->reasons) != GW_OK)
        return GW_ENOMEM;
    set.reasons = &t->reasons;
    int rc = triage_tags_text(&t->text, &t->values, &set);
    if (rc != GW_OK)
        return rc;
    out->members = t->text.data;
    out->len = t->text.len;
    out_priority(out, set.score, set.level);
    return GW_OK;
}
