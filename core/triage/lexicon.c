/* lexicon.c - building the phrase table (see lexicon.h): what each
 * lexicon file means, the configured terms, and the first-word index
 * matching uses (lexicon_match.c; the layout is lexicon_internal.h).
 *
 * Owns every phrase, its words and the index. Built once when the
 * configuration is loaded; read-only afterwards, so matching needs no lock
 * and allocates nothing.
 */
#include "triage/lexicon.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/embed.h"
#include "base/grow.h"
#include "base/hash.h"
#include "gateway/error.h"
#include "triage/lexicon_file.h"
#include "triage/lexicon_internal.h"

#define PHRASE_WORDS_MAX 8
#define PHRASE_TEXT_MAX 512

const char *const triage_intent_names[TRIAGE_INTENT_COUNT] = {"purchase", "churn_risk", "question",
                                                              "complaint", "kudos"};

/* The files a lexicon directory may hold, and the list each fills. */
static const struct {
    const char *file;
    triage_list list;
} lexicon_files[] = {
    {"purchase.txt", TRIAGE_PURCHASE}, {"churn_risk.txt", TRIAGE_CHURN_RISK},
    {"question.txt", TRIAGE_QUESTION}, {"complaint.txt", TRIAGE_COMPLAINT},
    {"kudos.txt", TRIAGE_KUDOS},       {"sentiment.txt", TRIAGE_SENTIMENT},
    {"negators.txt", TRIAGE_NEGATOR},  {"intensifiers.txt", TRIAGE_INTENSIFIER},
};
#define LEXICON_FILE_COUNT (sizeof lexicon_files / sizeof lexicon_files[0])

/* What the line parser's callback needs. */
typedef struct load_ctx {
    triage_lexicon *lx;
    triage_list list;
    const char *path;
    cfg_errors *errs;
} load_ctx;

static int is_one_word_list(triage_list list)
{
    return list == TRIAGE_NEGATOR || list == TRIAGE_INTENSIFIER || list == TRIAGE_HANDLE;
}

/* Append the words of raw (len bytes) to the word table. Returns the
 * number of words, or a negative code after reporting. */
static int add_words(load_ctx *c, const char *raw, size_t len, int line, char *text,
                     size_t text_cap)
{
    triage_lexicon *lx = c->lx;
    size_t used = 0;
    int words = 0;
    const char *p = raw, *end = raw + len;
    text[0] = '\0';
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        const char *w = p;
        while (p < end && *p != ' ' && *p != '\t')
            p++;
        if (p == w)
            break;
        size_t wlen = (size_t)(p - w);
        uint8_t placeholder = 0;
        if (wlen == 12 && memcmp(w, "<competitor>", 12) == 0)
            placeholder = TRIAGE_COMPETITOR;
        else if (wlen == 7 && memcmp(w, "<brand>", 7) == 0)
            placeholder = TRIAGE_BRAND;
        if (placeholder && c->list > TRIAGE_SENTIMENT) {
            cfg_errors_add(c->errs, "%s:%d: %.*s belongs in intent and sentiment phrases only",
                           c->path, line, (int)wlen, w);
            return GW_EINVAL;
        }
        triage_text t = {0};
        if (!placeholder && triage_text_split(&t, w, wlen) != GW_OK)
            return GW_ENOMEM;
        size_t parts = placeholder ? 1 : t.count;
        int rc = GW_OK;
        for (size_t k = 0; k < parts && rc == GW_OK; k++) {
            const char *s = placeholder ? w : t.tokens[k].word;
            size_t slen = placeholder ? wlen : t.tokens[k].len;
            if (words >= PHRASE_WORDS_MAX || used + slen + 2 > text_cap) {
                cfg_errors_add(c->errs, "%s:%d: a phrase has at most %d words", c->path, line,
                               PHRASE_WORDS_MAX);
                rc = GW_EINVAL;
                break;
            }
            lex_word *grown =
                grow_array(lx->words, &lx->word_cap, lx->word_count + 1, sizeof *grown, 64);
            if (grown == NULL) {
                rc = GW_ENOMEM;
                break;
            }
            lx->words = grown;
            lex_word *lw = &lx->words[lx->word_count];
            /* zeros after it, as a token's buffer has slack after its
             * words, for lex_word_head */
            lw->word = calloc(1, slen + TRIAGE_TEXT_SLACK);
            if (lw->word == NULL) {
                rc = GW_ENOMEM;
                break;
            }
            memcpy(lw->word, s, slen);
            lw->len = (uint32_t)slen;
            lw->hash = hash_fnv1a(s, slen);
            lw->head = lex_word_head(lw->word, lw->len);
            lw->placeholder = placeholder;
            lw->question = slen == 1 && s[0] == '?';
            lx->word_count++;
            if (used > 0)
                text[used++] = ' ';
            memcpy(text + used, s, slen);
            used += slen;
            text[used] = '\0';
            words++;
        }
        triage_text_free(&t);
        if (rc != GW_OK)
            return rc;
    }
    return words;
}

static triage_phrase *find_phrase(triage_lexicon *lx, triage_list list, const char *text)
{
    for (size_t i = 0; i < lx->phrase_count; i++) {
        triage_phrase *p = &lx->phrases[i];
        if (p->list == list && strcmp(p->text, text) == 0)
            return p;
    }
    return NULL;
}

static int check_weight(load_ctx *c, int has_weight, double *weight, int line)
{
    double lo = 0, hi = 5;
    switch (c->list) {
    case TRIAGE_SENTIMENT:
        lo = -5;
        if (!has_weight) {
            cfg_errors_add(c->errs,
                           "%s:%d: a sentiment phrase needs a signed weight, e.g. \"love, 2\" "
                           "or \"awful, -2\"",
                           c->path, line);
            return GW_EINVAL;
        }
        break;
    case TRIAGE_INTENSIFIER:
        if (!has_weight)
            *weight = 1.5;
        hi = 4;
        break;
    case TRIAGE_NEGATOR:
    case TRIAGE_BRAND:
    case TRIAGE_COMPETITOR:
    case TRIAGE_HANDLE:
        if (!has_weight)
            *weight = 1;
        break;
    default: /* intents: a negative weight counts against */
        lo = -5;
        if (!has_weight)
            *weight = 1;
        break;
    }
    if (*weight < lo || *weight > hi) {
        cfg_errors_add(c->errs, "%s:%d: weight %g is outside %g to %g", c->path, line, *weight, lo,
                       hi);
        return GW_EINVAL;
    }
    return GW_OK;
}

static int add_entry(void *arg, const char *raw, size_t len, int has_weight, double weight,
                     int line)
{
    load_ctx *c = arg;
    triage_lexicon *lx = c->lx;
    char text[PHRASE_TEXT_MAX];
    size_t words_before = lx->word_count;
    int rc = check_weight(c, has_weight, &weight, line);
    if (rc != GW_OK)
        return rc;
    int n = add_words(c, raw, len, line, text, sizeof text);
    if (n == 0) {
        cfg_errors_add(c->errs, "%s:%d: \"%.*s\" has no word to match", c->path, line, (int)len,
                       raw);
        return GW_EINVAL;
    }
    if (n > 1 && is_one_word_list(c->list)) {
        cfg_errors_add(c->errs, "%s:%d: \"%.*s\": one word per line in this file", c->path, line,
                       (int)len, raw);
        n = GW_EINVAL;
    }
    if (n < 0) {
        while (lx->word_count > words_before)
            free(lx->words[--lx->word_count].word);
        return n;
    }
    triage_phrase *old = find_phrase(lx, c->list, text);
    if (old != NULL) {
        /* Listed again (a deployment's file over the shipped one): the new
         * weight wins; weight 0 takes the phrase out. */
        while (lx->word_count > words_before)
            free(lx->words[--lx->word_count].word);
        old->weight = (float)weight;
        return GW_OK;
    }
    triage_phrase *phrases =
        grow_array(lx->phrases, &lx->phrase_cap, lx->phrase_count + 1, sizeof *phrases, 64);
    if (phrases == NULL)
        return GW_ENOMEM;
    lx->phrases = phrases;
    triage_phrase *p = &lx->phrases[lx->phrase_count];
    *p = (triage_phrase){.first = (uint32_t)words_before,
                         .nwords = (uint32_t)n,
                         .weight = (float)weight,
                         .list = (uint8_t)c->list};
    p->text = strdup(text);
    p->display = strndup(raw, len);
    if (p->text == NULL || p->display == NULL) {
        free(p->text);
        free(p->display);
        return GW_ENOMEM;
    }
    lx->phrase_count++;
    return GW_OK;
}

static int load_text(triage_lexicon *lx, const char *name, const char *path, const char *text,
                     cfg_errors *errs)
{
    for (size_t i = 0; i < LEXICON_FILE_COUNT; i++) {
        if (strcmp(name, lexicon_files[i].file) == 0) {
            load_ctx c = {lx, lexicon_files[i].list, path, errs};
            return lexicon_file_parse(text, path, add_entry, &c, errs);
        }
    }
    cfg_errors_add(errs,
                   "%s: not a lexicon this gateway reads; name it purchase.txt, "
                   "churn_risk.txt, question.txt, complaint.txt, kudos.txt, sentiment.txt, "
                   "negators.txt or intensifiers.txt",
                   path);
    return GW_EINVAL;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.txt files of dir, in name order so errors come out the same way
 * on every machine. */
static int load_dir(triage_lexicon *lx, const char *dir, cfg_errors *errs)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        cfg_errors_add(errs, "%s: triage.lexicon_dir cannot be read; create it or fix the path",
                       dir);
        return GW_EIO;
    }
    char **names = NULL;
    size_t count = 0, cap = 0;
    int rc = GW_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".txt") != 0 || e->d_name[0] == '.')
            continue;
        char **grown = grow_array(names, &cap, count + 1, sizeof *names, 64);
        if (grown == NULL || (grown[count] = strdup(e->d_name)) == NULL) {
            names = grown != NULL ? grown : names;
            rc = GW_ENOMEM;
            break;
        }
        names = grown;
        count++;
    }
    closedir(d);
    if (count > 0)
        qsort(names, count, sizeof *names, name_cmp);
    for (size_t i = 0; i < count && rc != GW_ENOMEM; i++) {
        char path[4096];
        char *text = NULL;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        int frc = lexicon_file_read(path, &text, errs);
        if (frc == GW_OK)
            frc = load_text(lx, names[i], path, text, errs);
        free(text);
        if (frc < 0 && rc != GW_ENOMEM)
            rc = frc == GW_ENOMEM ? GW_ENOMEM : GW_EINVAL;
    }
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
    return rc;
}

/* brand_terms, competitors or brand_handles (a handle may start with '@'). */
static int load_terms(triage_lexicon *lx, triage_list list, const char *key, const json_t *arr,
                      cfg_errors *errs)
{
    char path[64];
    snprintf(path, sizeof path, "triage.%s", key);
    load_ctx c = {lx, list, path, errs};
    size_t i;
    json_t *v;
    int rc = GW_OK;
    json_array_foreach(arr, i, v)
    {
        const char *s = json_string_value(v);
        if (s == NULL)
            continue;
        if (list == TRIAGE_HANDLE && s[0] == '@')
            s++;
        /* The line number is the term's place in the array, from 1. */
        int erc = add_entry(&c, s, strlen(s), 0, 0, (int)i + 1);
        if (erc == GW_ENOMEM)
            return erc;
        if (erc < 0)
            rc = GW_EINVAL;
    }
    return rc;
}

static int link_node(triage_lexicon *lx, uint64_t key, int32_t phrase)
{
    lex_node *nodes = grow_array(lx->nodes, &lx->node_cap, lx->node_count + 1, sizeof *nodes, 64);
    if (nodes == NULL)
        return GW_ENOMEM;
    lx->nodes = nodes;
    lex_slot *s = lex_slot_for(lx, key);
    if (s->head < 0)
        s->key = key;
    size_t bit = triage_lexicon_first_bit(key);
    lx->first_bits[bit / 64] |= 1ull << (bit % 64);
    const triage_phrase *p = &lx->phrases[phrase];
    /* after a placeholder, which may be several words, the second word
     * is not necessarily the next token */
    const lex_word *w2 =
        p->nwords > 1 && !lx->words[p->first].placeholder ? &lx->words[p->first + 1] : NULL;
    uint64_t second = 0;
    if (w2 != NULL && !w2->placeholder && !w2->question)
        second = w2->hash;
    lx->nodes[lx->node_count] = (lex_node){phrase, s->head, second};
    s->head = (int32_t)lx->node_count++;
    return GW_OK;
}

/* Lay each chain's nodes side by side, in the chain's order (which
 * decides between equal matches), so a walk reads consecutive bytes
 * instead of following links across the whole array: the nodes were
 * appended phrase by phrase, and a common first word's chain ("i",
 * "not") jumped between cache lines at every step. */
static int relay_chains(triage_lexicon *lx)
{
    lex_node *laid = malloc((lx->node_count ? lx->node_count : 1) * sizeof *laid);
    if (laid == NULL)
        return GW_ENOMEM;
    int32_t at = 0;
    for (size_t i = 0; i <= lx->slot_mask; i++) {
        lex_slot *s = &lx->slots[i];
        if (s->head < 0)
            continue;
        int32_t n = s->head;
        s->head = at;
        for (; n >= 0; n = lx->nodes[n].next, at++)
            laid[at] = (lex_node){lx->nodes[n].phrase, lx->nodes[n].next >= 0 ? at + 1 : -1,
                                  lx->nodes[n].second};
    }
    free(lx->nodes);
    lx->nodes = laid;
    lx->node_cap = lx->node_count;
    return GW_OK;
}

/* The first-word index. A phrase opening with a placeholder is linked
 * under the first word of every phrase the placeholder stands for. */
static int build_index(triage_lexicon *lx)
{
    size_t keys = lx->phrase_count * 2 + 16, cap = 16;
    for (size_t i = 0; i < lx->phrase_count; i++) {
        const lex_word *w = &lx->words[lx->phrases[i].first];
        if (w->placeholder)
            keys += triage_lexicon_count(lx, w->placeholder);
    }
    while (cap < keys * 2)
        cap *= 2;
    lx->slots = malloc(cap * sizeof *lx->slots);
    if (lx->slots == NULL)
        return GW_ENOMEM;
    for (size_t i = 0; i < cap; i++)
        lx->slots[i].head = -1;
    lx->slot_mask = cap - 1;
    for (size_t i = lx->phrase_count; i-- > 0;) {
        const triage_phrase *p = &lx->phrases[i];
        const lex_word *w = &lx->words[p->first];
        if (p->weight == 0)
            continue; /* removed by a deployment's lexicon */
        if (!w->placeholder) {
            if (link_node(lx, w->hash, (int32_t)i) != GW_OK)
                return GW_ENOMEM;
            continue;
        }
        for (size_t j = 0; j < lx->phrase_count; j++) {
            const triage_phrase *q = &lx->phrases[j];
            if (q->list == w->placeholder &&
                link_node(lx, lx->words[q->first].hash, (int32_t)i) != GW_OK)
                return GW_ENOMEM;
        }
    }
    return relay_chains(lx);
}

int triage_lexicon_open(const char *lexicon_dir, const json_t *brand_terms,
                        const json_t *competitors, const json_t *brand_handles,
                        triage_lexicon **out, cfg_errors *errs)
{
    *out = NULL;
    triage_lexicon *lx = calloc(1, sizeof *lx);
    if (lx == NULL)
        return GW_ENOMEM;
    lx->question_hash = hash_fnv1a("?", 1);
    int rc = GW_OK;
    for (const embed_file *f = embed_triage_lexicons; f->path != NULL; f++) {
        char where[96];
        snprintf(where, sizeof where, "data/triage/en/%s", f->path);
        int frc = load_text(lx, f->path, where, (const char *)f->data, errs);
        if (frc < 0)
            rc = frc == GW_ENOMEM || rc == GW_ENOMEM ? GW_ENOMEM : frc;
    }
    const json_t *terms[3] = {brand_terms, competitors, brand_handles};
    const triage_list lists[3] = {TRIAGE_BRAND, TRIAGE_COMPETITOR, TRIAGE_HANDLE};
    const char *keys[3] = {"brand_terms", "competitors", "brand_handles"};
    for (int k = 0; k < 3 && rc != GW_ENOMEM; k++) {
        int trc = load_terms(lx, lists[k], keys[k], terms[k], errs);
        if (trc < 0)
            rc = trc;
    }
    if (lexicon_dir != NULL && rc != GW_ENOMEM) {
        int drc = load_dir(lx, lexicon_dir, errs);
        if (drc < 0)
            rc = drc;
    }
    if (rc == GW_OK)
        rc = build_index(lx);
    if (rc != GW_OK) {
        triage_lexicon_free(lx);
        return rc;
    }
    *out = lx;
    return GW_OK;
}

void triage_lexicon_free(triage_lexicon *lx)
{
    if (lx == NULL)
        return;
    for (size_t i = 0; i < lx->phrase_count; i++) {
        free(lx->phrases[i].text);
        free(lx->phrases[i].display);
    }
    for (size_t i = 0; i < lx->word_count; i++)
        free(lx->words[i].word);
    free(lx->phrases);
    free(lx->words);
    free(lx->nodes);
    free(lx->slots);
    free(lx);
}
