/* test_triage_analyse.c - the analysis rules one by one (longest match,
 * negation and its limits, intensifiers, placeholders, negative weights,
 * the question mark, the sentiment leans), the [[rule]] tables (every
 * match key, points, levels, file:line errors) and triage_enrich (tags
 * merged with a plugin's, members left out when empty, host events
 * untouched). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/json_write.h"
#include "gateway/error.h"
#include "triage/lexicon.h"
#include "triage/triage.h"
#include "triage/triage_analyse.h"
#include "triage/triage_rules.h"

typedef struct fixture {
    triage_lexicon *lx;
    triage_text scratch;
    triage_analysis a;
} fixture;

static int setup(void **state)
{
    static fixture f;
    memset(&f, 0, sizeof f);
    json_t *brand = json_pack("[s]", "Acme");
    json_t *rivals = json_pack("[s]", "Globex Corp");
    json_t *handles = json_pack("[s]", "@acme_help");
    cfg_errors errs = {0};
    int rc = triage_lexicon_open(NULL, brand, rivals, handles, &f.lx, &errs);
    json_decref(brand);
    json_decref(rivals);
    json_decref(handles);
    *state = &f;
    return rc;
}

static int teardown(void **state)
{
    fixture *f = *state;
    triage_lexicon_free(f->lx);
    triage_text_free(&f->scratch);
    return 0;
}

static const triage_analysis *analyse(fixture *f, const char *text)
{
    assert_int_equal(GW_OK, triage_analyse(f->lx, &f->scratch, text, strlen(text), &f->a));
    return &f->a;
}

static void test_sentiment_words_negation_and_intensifiers(void **state)
{
    fixture *f = *state;
    double happy = analyse(f, "I am happy")->sentiment;
    assert_true(happy > 0.2);
    assert_true(analyse(f, "I am not happy")->sentiment < -0.2);
    assert_int_equal(1, f->a.sentiment_negated);
    assert_true(analyse(f, "I am really happy")->sentiment > happy);
    assert_true(analyse(f, "really love it")->sentiment > analyse(f, "love it")->sentiment);
    /* Negation reaches three words back, not four. */
    assert_true(analyse(f, "not at all happy")->sentiment < 0);
    assert_true(analyse(f, "not one of us were happy")->sentiment > 0);
    /* It stops at punctuation and at conjunctions. */
    assert_true(analyse(f, "not now. happy")->sentiment > 0);
    assert_true(analyse(f, "not cheap but great")->sentiment > 0);
    assert_true(analyse(f, "nothing works and nobody helps")->sentiment < 0);
    /* "not bad" and "no problem" are phrases of their own. */
    assert_true(analyse(f, "not bad")->sentiment > 0);
    assert_true(analyse(f, "no problem at all")->sentiment > 0);
    /* Emoji are never negated; an unknown word is neutral. */
    assert_true(analyse(f, "nothing here \xf0\x9f\x98\xa1")->sentiment < -0.2);
    assert_true(analyse(f, "the kettle")->sentiment == 0);
    /* Contractions with and without the apostrophe, curly or not. */
    assert_true(analyse(f, "it doesn\xe2\x80\x99t work")->sentiment < -0.2);
    assert_true(analyse(f, "dont like it, not happy")->sentiment < -0.2);
    /* The score stays within -1..1. */
    assert_true(analyse(f, "awful awful awful terrible horrible worst scam")->sentiment >= -1);
}

static int has(const triage_analysis *a, int intent)
{
    return triage_analysis_has_intent(a, intent);
}

static void test_intents_and_their_cues(void **state)
{
    fixture *f = *state;
    const triage_analysis *a = analyse(f, "Where can I BUY the kettle");
    assert_true(has(a, TRIAGE_PURCHASE));
    assert_string_equal("where can i buy", a->intent_cue[TRIAGE_PURCHASE].phrase->text);
    assert_int_equal(0, a->intent_cue[TRIAGE_PURCHASE].start);
    assert_int_equal(15, a->intent_cue[TRIAGE_PURCHASE].end);
    /* The longer phrase is counted once, not with its "buy" again. */
    assert_true(a->intent[TRIAGE_PURCHASE] == 2);
    /* A negator right before a purchase, churn or kudos phrase cancels it. */
    assert_false(has(analyse(f, "I'm not buying"), TRIAGE_PURCHASE));
    assert_false(has(analyse(f, "I won't cancel"), TRIAGE_CHURN_RISK));
    /* ... but not a complaint. */
    assert_true(has(analyse(f, "I haven't received a refund"), TRIAGE_COMPLAINT));
    /* "never again" is churn itself. */
    assert_true(has(analyse(f, "never again"), TRIAGE_CHURN_RISK));
    /* A question mark is a question. */
    a = analyse(f, "open on sunday?");
    assert_true(has(a, TRIAGE_QUESTION));
    assert_string_equal("?", a->intent_cue[TRIAGE_QUESTION].phrase->text);
    /* ... wherever it stands in a run of marks: "!?" asks as "?!" does. */
    assert_true(has(analyse(f, "open on sunday!?"), TRIAGE_QUESTION));
    assert_true(has(analyse(f, "open on sunday?!"), TRIAGE_QUESTION));
    assert_false(has(analyse(f, "open on sunday!!"), TRIAGE_QUESTION));
    /* A negative weight counts against: politeness is no kudos. */
    assert_false(has(analyse(f, "thanks in advance"), TRIAGE_KUDOS));
    assert_true(has(analyse(f, "thanks"), TRIAGE_KUDOS));
    /* Leans: strong sentiment half-way to complaint or kudos. */
    assert_true(has(analyse(f, "food was cold and the service was slow"), TRIAGE_COMPLAINT));
    assert_true(has(analyse(f, "great grinder, works perfectly"), TRIAGE_KUDOS));
}

static void test_brand_terms_competitors_and_handles(void **state)
{
    fixture *f = *state;
    const triage_analysis *a = analyse(f, "switching to GLOBEX corp, bye acme");
    assert_true(has(a, TRIAGE_CHURN_RISK));
    assert_string_equal("Globex Corp", a->competitor.phrase->display);
    assert_string_equal("switching to <competitor>", a->intent_cue[TRIAGE_CHURN_RISK].phrase->text);
    assert_int_equal(1, a->keyword_count);
    assert_string_equal("Acme", a->keywords[0]->display);
    assert_int_equal(0, a->handle_mentioned);
    /* A phrase that opens with a two-word competitor: its second word is
     * not the token after the competitor's first (the lexicon's walk must
     * not pass it over). */
    a = analyse(f, "globex corp is cheaper");
    assert_true(has(a, TRIAGE_CHURN_RISK));
    assert_string_equal("<competitor> is cheaper", a->intent_cue[TRIAGE_CHURN_RISK].phrase->text);
    /* Naming a competitor alone is half of churn risk. */
    a = analyse(f, "globex corp has a sale");
    assert_true(a->intent[TRIAGE_CHURN_RISK] == TRIAGE_COMPETITOR_CHURN);
    /* Whole words only; a handle only after '@'. */
    assert_int_equal(0, analyse(f, "acmeville is nice")->keyword_count);
    assert_int_equal(1, analyse(f, "hey @ACME_help")->handle_mentioned);
    assert_int_equal(0, analyse(f, "hey acme_help")->handle_mentioned);
}

/* ---- rules and the whole enrichment ---------------------------------- */

static gw_config *load(const char *toml, cfg_errors *errs)
{
    gw_config *cfg = NULL;
    int rc = config_load_string(toml, strlen(toml), "t.toml", "/tmp", &cfg, errs);
    assert_int_equal(GW_OK, rc);
    return cfg;
}

static void test_rules_match_every_key(void **state)
{
    (void)state;
    cfg_errors errs = {0};
    gw_config *cfg =
        load("[[rule]]\nname = \"all\"\nnetwork = \"yelp|twitter\"\n"
             "type = \"review\"\nvisibility = \"public\"\nintent = \"complaint|kudos\"\n"
             "sentiment = \"negative\"\ntag = \"low_rating\"\ninfluence = \"high\"\n"
             "text = \"cold|slow\"\nrating_min = 1\nrating_max = 2\n"
             "followers_min = 500\npoints = 7\nlevel = \"high\"\n",
             &errs);
    triage_rules *r = NULL;
    assert_int_equal(GW_OK, triage_rules_compile(cfg, &r, &errs));
    json_t *tags = json_pack("{s:b}", "low_rating", 1);
    triage_facts f = {.network = "yelp",
                      .type = "review",
                      .visibility = "public",
                      .text = "Food was COLD",
                      .has_rating = 1,
                      .rating = 2,
                      .has_followers = 1,
                      .followers = 900,
                      .intents = 1u << TRIAGE_COMPLAINT,
                      .sentiment = "negative",
                      .influence = "high",
                      .tags = tags};
    triage_reasons reasons = {0};
    int score = 0;
    triage_level level = TRIAGE_LEVEL_NONE;
    assert_int_equal(GW_OK, triage_rules_apply(r, &f, &score, &level, &reasons));
    assert_int_equal(7, score);
    assert_int_equal(TRIAGE_LEVEL_HIGH, level);
    size_t len;
    const char *line = triage_reasons_text(&reasons, 0, &len);
    assert_int_equal(strlen("rule all (+7, level high)"), len);
    assert_memory_equal("rule all (+7, level high)", line, len);
    /* Each key, changed alone, stops the match. */
    triage_facts misses[] = {f, f, f, f, f, f, f, f, f, f, f};
    misses[0].network = "facebook";
    misses[1].type = "mention";
    misses[2].visibility = "private";
    misses[3].intents = 1u << TRIAGE_QUESTION;
    misses[4].sentiment = "neutral";
    misses[5].tags = NULL;
    misses[6].influence = NULL;
    misses[7].text = "fine";
    misses[8].rating = 3;
    misses[9].has_followers = 0;
    misses[10].has_rating = 0;
    for (size_t i = 0; i < sizeof misses / sizeof misses[0]; i++) {
        score = 0;
        assert_int_equal(GW_OK, triage_rules_apply(r, &misses[i], &score, &level, &reasons));
        assert_int_equal(0, score);
    }
    assert_int_equal(1, reasons.count);
    triage_reasons_free(&reasons);
    json_decref(tags);
    triage_rules_free(r);
    config_free(cfg);
}

static void test_rule_errors_name_line_and_key(void **state)
{
    (void)state;
    cfg_errors errs = {0};
    gw_config *cfg = load("[[rule]]\nname = \"a\"\ntext = \"[a-\"\npoints = 1\n"
                          "[[rule]]\nname = \"a\"\nintent = \"buy\"\npoints = 1\n"
                          "[[rule]]\nname = \"b\"\n",
                          &errs);
    triage_rules *r = NULL;
    assert_int_equal(GW_EINVAL, triage_rules_compile(cfg, &r, &errs));
    assert_null(r);
    assert_int_equal(3, errs.count);
    assert_non_null(strstr(errs.lines[0], "t.toml:3:8: rule[0].text: not a valid extended"));
    assert_non_null(strstr(errs.lines[1], "t.toml:7:10: rule[1].intent: \"buy\" is not one of"));
    assert_non_null(strstr(errs.lines[2], "t.toml:9:1: rule[2]: the rule does nothing"));
    cfg_errors_free(&errs);
    config_free(cfg);
}

static void test_enrich_merges_and_omits(void **state)
{
    (void)state;
    cfg_errors errs = {0};
    gw_config *cfg = load("[triage]\nbrand_terms = [\"Acme\", \"Kettle Pro\"]\n"
                          "influence_high = 100\ninfluence_top = 1000\n"
                          "[[rule]]\nname = \"low\"\ntag = \"unaddressed\"\nlevel = \"low\"\n",
                          &errs);
    triage *t = NULL;
    assert_int_equal(GW_OK, triage_open(cfg, &t, &errs));
    json_t *ev =
        json_pack("{s:s, s:s, s:s, s:{s:[s], s:s}, s:{s:s, s:i}}", "type", "mention", "visibility",
                  "public", "text", "my acme kettle pro is nice", "tags", "keywords", "ACME",
                  "source", "search", "author", "id", "a", "followers", 150);
    assert_int_equal(GW_OK, triage_enrich(t, "twitter", ev));
    json_t *tags = json_object_get(ev, "tags");
    assert_string_equal("search", json_string_value(json_object_get(tags, "source")));
    json_t *kw = json_object_get(tags, "keywords");
    assert_int_equal(2, json_array_size(kw)); /* ACME kept once, Kettle Pro added */
    assert_string_equal("Kettle Pro", json_string_value(json_array_get(kw, 1)));
    assert_true(json_is_false(json_object_get(tags, "mentioned")));
    assert_true(json_is_true(json_object_get(tags, "unaddressed")));
    assert_null(json_object_get(tags, "intent")); /* none: left out */
    assert_string_equal("high", json_string_value(json_object_get(tags, "influence")));
    assert_string_equal("low", json_string_value(json_object_get(tags, "priority")));
    assert_true(json_integer_value(json_object_get(tags, "priority_score")) < 20);
    json_decref(ev);
    /* A gateway event (dotted type) is left alone. */
    ev = json_pack("{s:s, s:s}", "type", "action.failed", "text", "refund");
    assert_int_equal(GW_OK, triage_enrich(t, "twitter", ev));
    assert_null(json_object_get(ev, "tags"));
    json_decref(ev);
    triage_free(t);
    config_free(cfg);
}

/* A reason cut to its length ends on a whole character: a competitor's
 * name or a rule's reason of many two-byte letters, cut at 100 and 300
 * bytes, once left half a character and the item untagged. */
static void test_reasons_cut_on_a_character(void **state)
{
    (void)state;
    char rival[1 + 60 * 2 + 1] = "x", reason[200 * 2 + 1] = "";
    for (int i = 0; i < 60; i++)
        strcat(rival, "\xd0\xb6"); /* U+0436 */
    for (int i = 0; i < 200; i++)
        strcat(reason, "\xd0\xb6");
    char toml[1024];
    snprintf(toml, sizeof toml,
             "[triage]\ncompetitors = [\"%s\"]\n[[rule]]\nname = \"long\"\n"
             "network = \"twitter\"\npoints = 1\nreason = \"%s\"\n",
             rival, reason);
    cfg_errors errs = {0};
    gw_config *cfg = load(toml, &errs);
    triage *t = NULL;
    assert_int_equal(GW_OK, triage_open(cfg, &t, &errs));
    char text[256];
    snprintf(text, sizeof text, "switching to %s, bye", rival);
    json_t *ev =
        json_pack("{s:s, s:s, s:s}", "type", "mention", "visibility", "public", "text", text);
    assert_int_equal(GW_OK, triage_enrich(t, "twitter", ev));
    json_t *reasons = json_object_get(json_object_get(ev, "tags"), "priority_reasons");
    int churn = 0, rule = 0;
    size_t k;
    json_t *r;
    json_array_foreach(reasons, k, r)
    {
        const char *line = json_string_value(r);
        static const char want[] = "churn risk: 'switching to <competitor>', names x";
        churn |= strncmp(line, want, sizeof want - 1) == 0;
        rule |= strncmp(line, "\xd0\xb6", 2) == 0 && strlen(line) <= 299;
    }
    assert_true(churn);
    assert_true(rule);
    /* the pipeline's path writes the same as text */
    json_object_del(ev, "tags");
    triage_out out;
    assert_int_equal(GW_OK, triage_enrich_text(t, "twitter", ev, NULL, &out));
    assert_true(out.len > 0);
    json_decref(ev);
    triage_free(t);
    config_free(cfg);
}

/* The reasons that quote a number, formatted by hand (triage_priority.c):
 * followers as they are, in thousands and in millions, points of either
 * sign, a star rating. */
static void test_reasons_quote_their_numbers(void **state)
{
    (void)state;
    cfg_errors errs = {0};
    gw_config *cfg = load("[triage]\ninfluence_high = 100\ninfluence_top = 1000\n", &errs);
    triage *t = NULL;
    assert_int_equal(GW_OK, triage_open(cfg, &t, &errs));
    static const struct {
        long long followers;
        double rating;
        const char *text, *want;
    } cases[] = {
        {1500, 0, "hello", "author has 1500 followers (+30)"},
        {150, 0, "hello", "author has 150 followers (+20)"},
        {12345, 0, "hello", "author has 12k followers (+30)"},
        {2500000, 0, "hello", "author has 2.5M followers (+30)"},
        {0, 1.5, "hello", "1.5-star review (+15)"},
        {0, 2, "hello", "2-star review (+15)"},
        {0, 0, "this is awful and broken", "negative sentiment"},
        {0, 0, "you rock", "kudos: 'you rock' (-10)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *ev = json_pack("{s:s, s:s, s:s, s:{s:s, s:I}}", "type", "mention", "visibility",
                               "public", "text", cases[i].text, "author", "id", "a", "followers",
                               (json_int_t)cases[i].followers);
        if (cases[i].rating > 0)
            json_object_set_new(ev, "rating", json_real(cases[i].rating));
        assert_int_equal(GW_OK, triage_enrich(t, "twitter", ev));
        json_t *reasons = json_object_get(json_object_get(ev, "tags"), "priority_reasons");
        int found = 0;
        size_t k;
        json_t *r;
        json_array_foreach(reasons, k, r) found |=
            strncmp(json_string_value(r), cases[i].want, strlen(cases[i].want)) == 0;
        if (!found)
            fail_msg("case %zu: no reason starting \"%s\" in %s", i, cases[i].want,
                     json_dumps(reasons, 0));
        json_decref(ev);
    }
    triage_free(t);
    config_free(cfg);
}

/* Millions of followers are written by hand as "%.1f" of n / 1e6 would
 * write them: rounded from the remainder, and printf's own rounding of
 * the double for a tie (1.25M is "1.2M", 1.75M "1.8M"). Compared with
 * snprintf over the edges and a spread of counts. */
static void test_millions_read_as_printf_writes_them(void **state)
{
    (void)state;
    cfg_errors errs = {0};
    gw_config *cfg = load("[triage]\ninfluence_high = 100\ninfluence_top = 1000\n", &errs);
    triage *t = NULL;
    assert_int_equal(GW_OK, triage_open(cfg, &t, &errs));
    long long counts[64] = {1000000, 1049999, 1050000, 1050001, 1150000, 1250000,
                            1750000, 1949999, 1950000, 1999999, 9950000, 9960000,
                            99950000, 123456789012LL};
    size_t n = 14;
    for (unsigned long long x = 88172645463325252ULL; n < sizeof counts / sizeof *counts; n++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        counts[n] = 1000000 + (long long)(x % 50000000);
    }
    for (size_t i = 0; i < n; i++) {
        json_t *ev = json_pack("{s:s, s:s, s:s, s:{s:s, s:I}}", "type", "mention", "visibility",
                               "public", "text", "hello", "author", "id", "a", "followers",
                               (json_int_t)counts[i]);
        assert_int_equal(GW_OK, triage_enrich(t, "twitter", ev));
        json_t *reasons = json_object_get(json_object_get(ev, "tags"), "priority_reasons");
        char want[80];
        snprintf(want, sizeof want, "author has %.1fM followers (+30)", (double)counts[i] / 1e6);
        const char *got = json_string_value(json_array_get(reasons, 0));
        if (got == NULL || strcmp(got, want) != 0)
            fail_msg("%lld followers: \"%s\", want \"%s\"", counts[i], got ? got : "(none)",
                     want);
        json_decref(ev);
    }
    triage_free(t);
    config_free(cfg);
}

/* The pipeline's path (triage_enrich_text: the tags written as text, no
 * object built) stores the same bytes and the same priority as the object
 * path, over every labelled sample post with authors of every tier,
 * ratings, private messages and rules that read tags. */
static void test_text_path_matches_object_path(void **state)
{
    (void)state;
    cfg_errors errs = {0};
    gw_config *cfg = load("[triage]\nbrand_terms = [\"acme\", \"Acme\", \"smart kettle\"]\n"
                          "brand_handles = [\"@acme\"]\ncompetitors = [\"Globex\"]\n"
                          "influence_high = 1000\ninfluence_top = 100000\n"
                          "[[rule]]\nname = \"quiet\"\ntag = \"unaddressed\"\npoints = -5\n"
                          "[[rule]]\nname = \"intent\"\ntag = \"intent\"\npoints = 3\n"
                          "[[rule]]\nname = \"scored\"\ntag = \"sentiment_score\"\npoints = 1\n"
                          "[[rule]]\nname = \"known\"\ntag = \"influence\"\npoints = 2\n"
                          "[[rule]]\nname = \"said\"\ntag = \"mentioned\"\npoints = 1\n"
                          "[[rule]]\nname = \"named\"\ntag = \"keywords\"\npoints = 1\n"
                          "[[rule]]\nname = \"refund\"\ntext = \"refund\"\nlevel = \"urgent\"\n",
                          &errs);
    triage *t = NULL;
    assert_int_equal(GW_OK, triage_open(cfg, &t, &errs));
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/data/triage_sample.jsonl", GW_SOURCE_DIR);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[8192];
    int n = 0, unaddressed = 0, reasons = 0;
    jw_buf obj = {0};
    while (fgets(line, sizeof line, f) != NULL) {
        json_t *s = json_loads(line, 0, NULL);
        assert_non_null(s);
        long long id = json_integer_value(json_object_get(s, "id"));
        const char *type = json_string_value(json_object_get(s, "type"));
        const char *network = json_string_value(json_object_get(s, "network"));
        json_t *ev = json_pack("{s:s, s:s, s:O, s:{s:s, s:I, s:b}}", "type", type, "visibility",
                               strcmp(type, "message") == 0 ? "private" : "public", "text",
                               json_object_get(s, "text"), "author", "id", "a", "followers",
                               (json_int_t)(id * 7919 % 250000), "verified", id % 9 == 0);
        if (json_object_get(s, "rating") != NULL)
            json_object_set(ev, "rating", json_object_get(s, "rating"));
        json_t *copy = json_deep_copy(ev);
        assert_int_equal(GW_OK, triage_enrich(t, network, copy));
        json_t *tags = json_object_get(copy, "tags");
        assert_int_equal(GW_OK, jw_dump(&obj, tags));
        triage_out out;
        assert_int_equal(GW_OK, triage_enrich_text(t, network, ev, NULL, &out));
        assert_null(json_object_get(ev, "tags")); /* not in the object */
        assert_non_null(out.members);
        assert_int_equal(out.len, strlen("\"tags\":") + obj.len);
        assert_memory_equal(out.members, "\"tags\":", strlen("\"tags\":"));
        assert_memory_equal(out.members + strlen("\"tags\":"), obj.data, obj.len);
        assert_int_equal(out.priority_score,
                         json_integer_value(json_object_get(tags, "priority_score")));
        assert_string_equal(out.priority, json_string_value(json_object_get(tags, "priority")));
        unaddressed += json_is_true(json_object_get(tags, "unaddressed"));
        reasons += json_array_size(json_object_get(tags, "priority_reasons")) > 1;
        json_decref(copy);
        json_decref(ev);
        json_decref(s);
        n++;
    }
    fclose(f);
    assert_true(n >= 200);
    assert_true(unaddressed > 0 && reasons > n / 2); /* the rules and tags were exercised */

    /* An item with tags of its plugin's: merged into its object, no text. */
    json_t *ev = json_pack("{s:s, s:s, s:s, s:{s:s}}", "type", "mention", "visibility", "public",
                           "text", "@acme I want a refund", "tags", "source", "search");
    triage_out out;
    assert_int_equal(GW_OK, triage_enrich_text(t, "twitter", ev, NULL, &out));
    assert_null(out.members);
    assert_string_equal("urgent", out.priority);
    json_t *tags = json_object_get(ev, "tags");
    assert_string_equal("search", json_string_value(json_object_get(tags, "source")));
    assert_string_equal("urgent", json_string_value(json_object_get(tags, "priority")));
    json_decref(ev);
    /* A gateway event: nothing, and no priority. */
    ev = json_pack("{s:s, s:s}", "type", "action.failed", "text", "refund");
    assert_int_equal(GW_OK, triage_enrich_text(t, "twitter", ev, NULL, &out));
    assert_null(out.members);
    assert_int_equal(-1, out.priority_score);
    json_decref(ev);
    jw_buf_free(&obj);
    triage_free(t);
    config_free(cfg);
}

static void test_influence_bounds_are_checked(void **state)
{
    (void)state;
    cfg_errors errs = {0};
    gw_config *cfg = load("[triage]\ninfluence_high = 500\ninfluence_top = 100\n", &errs);
    triage *t = NULL;
    assert_int_equal(GW_EINVAL, triage_open(cfg, &t, &errs));
    assert_non_null(strstr(errs.lines[0], "t.toml:3:17: triage.influence_top: influence_top "
                                          "(100) must be at least influence_high (500)"));
    cfg_errors_free(&errs);
    config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sentiment_words_negation_and_intensifiers, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_intents_and_their_cues, setup, teardown),
        cmocka_unit_test_setup_teardown(test_brand_terms_competitors_and_handles, setup, teardown),
        cmocka_unit_test(test_rules_match_every_key),
        cmocka_unit_test(test_rule_errors_name_line_and_key),
        cmocka_unit_test(test_enrich_merges_and_omits),
        cmocka_unit_test(test_reasons_quote_their_numbers),
        cmocka_unit_test(test_millions_read_as_printf_writes_them),
        cmocka_unit_test(test_reasons_cut_on_a_character),
        cmocka_unit_test(test_text_path_matches_object_path),
        cmocka_unit_test(test_influence_bounds_are_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
