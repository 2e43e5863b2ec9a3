/* triage_rules.c - compiling and matching [[rule]] tables (see
 * triage_rules.h). Owns the compiled rules: their strings are borrowed
 * from the configuration's validated settings, which outlive them; the
 * regular expressions are compiled here, once.
 */
#include "triage/triage_rules.h"

#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/error.h"
#include "gateway/sdk.h"
#include "triage/lexicon.h"

const char *const triage_level_names[4] = {"low", "normal", "high", "urgent"};
const int triage_level_floor[4] = {0, 20, 45, 70};

static const char *const item_types = "mention|comment|review|message";

typedef struct rule {
    const char *name, *network, *type, *visibility, *sentiment, *tag, *influence, *reason;
    unsigned intents; /* 0: any */
    int has_text;
    regex_t text;
    int has_rating_min, has_rating_max, has_followers_min, has_points;
    double rating_min, rating_max;
    long long followers_min;
    int points;
    triage_level level;
} rule;

struct triage_rules {
    rule *items;
    size_t count;
};

static const char *string_of(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* value is one of the '|'-separated alternatives of alts. */
static int alt_match(const char *alts, const char *value)
{
    if (value == NULL)
        return 0;
    size_t vlen = strlen(value);
    for (const char *p = alts;;) {
        const char *bar = strchr(p, '|');
        size_t n = bar != NULL ? (size_t)(bar - p) : strlen(p);
        if (n == vlen && memcmp(p, value, n) == 0)
            return 1;
        if (bar == NULL)
            return 0;
        p = bar + 1;
    }
}

typedef struct where {
    const gw_config *cfg;
    const cfg_rule *r;
    size_t index;
    cfg_errors *errs;
} where;

static void rule_error(const where *w, const char *key, const char *fmt, ...) GW_PRINTF(3, 4);

static void rule_error(const where *w, const char *key, const char *fmt, ...)
{
    const toml_keyval *kv = key != NULL ? toml_table_find(w->r->table, key) : NULL;
    int line = kv != NULL ? kv->value->line : w->r->line;
    int col = kv != NULL ? kv->value->column : w->r->column;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cfg_errors_add(w->errs, "%s:%d:%d: rule[%zu]%s%s: %s", w->cfg->path, line, col, w->index,
                   key != NULL ? "." : "", key != NULL ? key : "", msg);
}

/* Each alternative of value must be one of allowed. */
static int check_alternatives(const where *w, const char *key, const char *value,
                              const char *allowed)
{
    if (value == NULL)
        return GW_OK;
    char one[64];
    for (const char *p = value;;) {
        const char *bar = strchr(p, '|');
        size_t n = bar != NULL ? (size_t)(bar - p) : strlen(p);
        snprintf(one, sizeof one, "%.*s", (int)(n < sizeof one - 1 ? n : sizeof one - 1), p);
        if (!alt_match(allowed, one)) {
            rule_error(w, key, "\"%s\" is not one of %s", one, allowed);
            return GW_EINVAL;
        }
        if (bar == NULL)
            return GW_OK;
        p = bar + 1;
    }
}

static unsigned intent_bits(const char *value)
{
    unsigned bits = 0;
    for (int i = 0; value != NULL && i < TRIAGE_INTENT_COUNT; i++) {
        if (alt_match(value, triage_intent_names[i]))
            bits |= 1u << i;
    }
    return bits;
}

static int compile_one(const where *w, rule *out)
{
    const json_t *s = w->r->settings;
    int rc = GW_OK;
    *out = (rule){.level = TRIAGE_LEVEL_NONE};
    out->name = string_of(s, "name");
    out->network = string_of(s, "network");
    out->type = string_of(s, "type");
    out->visibility = string_of(s, "visibility");
    out->sentiment = string_of(s, "sentiment");
    out->tag = string_of(s, "tag");
    out->influence = string_of(s, "influence");
    out->reason = string_of(s, "reason");
    const char *intent = string_of(s, "intent");
    if (check_alternatives(w, "type", out->type, item_types) != GW_OK ||
        check_alternatives(w, "intent", intent, "purchase|churn_risk|question|complaint|kudos"))
        rc = GW_EINVAL;
    out->intents = intent_bits(intent);
    const json_t *v;
    if ((v = json_object_get(s, "rating_min")) && json_is_number(v)) {
        out->has_rating_min = 1;
        out->rating_min = json_number_value(v);
    }
    if ((v = json_object_get(s, "rating_max")) && json_is_number(v)) {
        out->has_rating_max = 1;
        out->rating_max = json_number_value(v);
    }
    if ((v = json_object_get(s, "followers_min")) && json_is_integer(v)) {
        out->has_followers_min = 1;
        out->followers_min = json_integer_value(v);
    }
    if ((v = json_object_get(s, "points")) && json_is_integer(v)) {
        out->has_points = 1;
        out->points = (int)json_integer_value(v);
    }
    const char *level = string_of(s, "level");
    for (int l = 0; level != NULL && l < 4; l++) {
        if (strcmp(level, triage_level_names[l]) == 0)
            out->level = (triage_level)l;
    }
    if (!out->has_points && out->level == TRIAGE_LEVEL_NONE) {
        rule_error(w, NULL, "the rule does nothing; give it points = N, level = \"...\" or both");
        rc = GW_EINVAL;
    }
    const char *text = string_of(s, "text");
    if (text != NULL) {
        int rrc = regcomp(&out->text, text, REG_EXTENDED | REG_ICASE | REG_NOSUB);
        if (rrc != 0) {
            char why[256];
            regerror(rrc, &out->text, why, sizeof why);
            rule_error(w, "text",
                       "not a valid extended regular expression: %s; escape a literal "
                       "character with a backslash, written \"\\\\(\" in TOML",
                       why);
            rc = GW_EINVAL;
        } else {
            out->has_text = 1;
        }
    }
    return rc;
}

int triage_rules_compile(const gw_config *cfg, triage_rules **out, cfg_errors *errs)
{
    *out = NULL;
    triage_rules *r = calloc(1, sizeof *r);
    if (r == NULL)
        return GW_ENOMEM;
    r->items = calloc(cfg->rule_count ? cfg->rule_count : 1, sizeof *r->items);
    if (r->items == NULL) {
        free(r);
        return GW_ENOMEM;
    }
    int rc = GW_OK;
    for (size_t i = 0; i < cfg->rule_count; i++) {
        where w = {cfg, &cfg->rules[i], i, errs};
        if (compile_one(&w, &r->items[r->count]) != GW_OK) {
            rc = GW_EINVAL;
            if (r->items[r->count].has_text)
                regfree(&r->items[r->count].text);
            continue;
        }
        /* The name is what a person reads in the reasons: one rule each. */
        for (size_t j = 0; j < r->count; j++) {
            if (r->items[r->count].name != NULL && r->items[j].name != NULL &&
                strcmp(r->items[j].name, r->items[r->count].name) == 0) {
                rule_error(&w, "name", "another rule is already named \"%s\"; names must be unique",
                           r->items[j].name);
                rc = GW_EINVAL;
            }
        }
        r->count++;
    }
    if (rc != GW_OK) {
        triage_rules_free(r);
        return rc;
    }
    *out = r;
    return GW_OK;
}

void triage_rules_free(triage_rules *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->count; i++) {
        if (r->items[i].has_text)
            regfree(&r->items[i].text);
    }
    free(r->items);
    free(r);
}

/* The same answer from triage's own tags, before they are written: the
 * members put_facts (triage.c) would have set by the time rules run. */
static int own_tag_on(const triage_facts *f, const char *name)
{
    const triage_own_tags *o = f->own;
    if (strcmp(name, "mentioned") == 0)
        return o->mentioned;
    if (strcmp(name, "unaddressed") == 0)
        return o->unaddressed;
    if (strcmp(name, "keywords") == 0)
        return o->keywords > 0;
    if (strcmp(name, "intent") == 0)
        return f->intents != 0;
    if (strcmp(name, "sentiment") == 0)
        return f->sentiment != NULL && f->sentiment[0] != '\0';
    if (strcmp(name, "sentiment_score") == 0)
        return o->sentiment_score != 0;
    if (strcmp(name, "influence") == 0)
        return f->influence != NULL;
    return 0;
}

/* A tag is "on" when true, a non-empty string or array, or non-zero. */
static int tag_on(const triage_facts *f, const char *name)
{
    if (f->own != NULL)
        return own_tag_on(f, name);
    const json_t *v = json_object_get(f->tags, name);
    if (v == NULL)
        return 0;
    if (json_is_boolean(v))
        return json_is_true(v);
    if (json_is_string(v))
        return json_string_length(v) > 0;
    if (json_is_array(v))
        return json_array_size(v) > 0;
    if (json_is_object(v))
        return json_object_size(v) > 0;
    return json_is_number(v) && json_number_value(v) != 0;
}

static int matches(const rule *r, const triage_facts *f)
{
    if ((r->network && !alt_match(r->network, f->network)) ||
        (r->type && !alt_match(r->type, f->type)) ||
        (r->visibility && !alt_match(r->visibility, f->visibility)) ||
        (r->sentiment && !alt_match(r->sentiment, f->sentiment)) ||
        (r->influence && !alt_match(r->influence, f->influence)) ||
        (r->intents && !(r->intents & f->intents)) || (r->tag && !tag_on(f, r->tag)))
        return 0;
    if ((r->has_rating_min || r->has_rating_max) && !f->has_rating)
        return 0;
    if ((r->has_rating_min && f->rating < r->rating_min) ||
        (r->has_rating_max && f->rating > r->rating_max))
        return 0;
    if (r->has_followers_min && (!f->has_followers || f->followers < r->followers_min))
        return 0;
    if (r->has_text && (f->text == NULL || regexec(&r->text, f->text, 0, NULL, 0) != 0))
        return 0;
    return 1;
}

int triage_rules_apply(const triage_rules *r, const triage_facts *f, int *score,
                       triage_level *level, triage_reasons *reasons)
{
    for (size_t i = 0; r != NULL && i < r->count; i++) {
        const rule *ru = &r->items[i];
        if (!matches(ru, f))
            continue;
        char full[700], line[300], effect[64] = "";
        if (ru->has_points)
            *score += ru->points;
        if (ru->level != TRIAGE_LEVEL_NONE)
            *level = ru->level;
        if (ru->has_points && ru->level != TRIAGE_LEVEL_NONE)
            snprintf(effect, sizeof effect, "%+d, level %s", ru->points,
                     triage_level_names[ru->level]);
        else if (ru->has_points)
            snprintf(effect, sizeof effect, "%+d", ru->points);
        else
            snprintf(effect, sizeof effect, "level %s", triage_level_names[ru->level]);
        if (ru->reason != NULL)
            snprintf(full, sizeof full, "%s (%s)", ru->reason, effect);
        else
            snprintf(full, sizeof full, "rule %s (%s)", ru->name, effect);
        /* cut on a character boundary: half a UTF-8 sequence would make
         * the reasons fail to write, and the item go untagged */
        gw_sdk_str_copy(line, sizeof line, full);
        if (triage_reasons_line(reasons, line, strnlen(line, sizeof line)) != GW_OK)
            return GW_ENOMEM;
    }
    return GW_OK;
}
