/* lexicon_match.c - reading the phrase table (see lexicon.h): the
 * phrases that may start at a token, whether one matches there, the
 * longest of a list, and the phrases' numbering. lexicon.c builds the
 * table; from then on it is read-only, so nothing here locks or
 * allocates: it runs for every token of every item.
 */
#include "triage/lexicon.h"

#include <string.h>

#include "triage/lexicon_internal.h"
#include "triage/triage_text.h"

const uint64_t *triage_lexicon_first_bits(const triage_lexicon *lx)
{
    return lx->first_bits;
}

/* The node at c->node or the first after it whose second word may be
 * the next token; its phrase, or NULL at the chain's end. */
static const triage_phrase *candidate(const triage_lexicon *lx, triage_lexicon_cursor *c)
{
    int32_t n = c->node;
    while (n >= 0 && lx->nodes[n].second != 0 && lx->nodes[n].second != c->next_hash)
        n = lx->nodes[n].next;
    c->node = n;
    return n >= 0 ? &lx->phrases[lx->nodes[n].phrase] : NULL;
}

const triage_phrase *triage_lexicon_first(const triage_lexicon *lx, const triage_token *tokens,
                                          size_t count, size_t i, triage_lexicon_cursor *c)
{
    const triage_token *tok = &tokens[i];
    /* "!?" is one token whose word is "!": it asks as "?" does */
    uint64_t hash = (tok->flags & TRIAGE_TOKEN_QUESTION) ? lx->question_hash : tok->hash;
    if (!triage_lexicon_may_start(lx->first_bits, hash)) {
        c->node = -1;
        return NULL;
    }
    c->node = lex_slot_for(lx, hash)->head;
    c->next_hash = i + 1 < count ? tokens[i + 1].hash : 0;
    return candidate(lx, c);
}

const triage_phrase *triage_lexicon_next(const triage_lexicon *lx, triage_lexicon_cursor *c)
{
    if (c->node < 0)
        return NULL;
    c->node = lx->nodes[c->node].next;
    return candidate(lx, c);
}

static int word_matches(const lex_word *w, const triage_token *t)
{
    if (w->question)
        return (t->flags & TRIAGE_TOKEN_QUESTION) != 0;
    /* the hash and the head first; only a word longer than 8 bytes reads
     * the rest of its own bytes */
    return w->hash == t->hash && w->len == t->len && w->head == lex_word_head(t->word, t->len) &&
           (w->len <= 8 || memcmp(w->word + 8, t->word + 8, w->len - 8) == 0);
}

size_t triage_lexicon_match(const triage_lexicon *lx, const triage_phrase *p,
                            const triage_token *tokens, size_t count, size_t i)
{
    size_t at = i;
    for (uint32_t k = 0; k < p->nwords; k++) {
        const lex_word *w = &lx->words[p->first + k];
        if (at >= count)
            return 0;
        if (w->placeholder) {
            size_t len;
            if (triage_lexicon_longest(lx, w->placeholder, tokens, count, at, &len) == NULL)
                return 0;
            at += len;
        } else {
            if (!word_matches(w, &tokens[at]))
                return 0;
            at++;
        }
    }
    return at - i;
}

const triage_phrase *triage_lexicon_longest(const triage_lexicon *lx, triage_list list,
                                            const triage_token *tokens, size_t count, size_t i,
                                            size_t *len)
{
    const triage_phrase *best = NULL;
    triage_lexicon_cursor cur;
    *len = 0;
    if (i >= count)
        return NULL;
    for (const triage_phrase *p = triage_lexicon_first(lx, tokens, count, i, &cur); p != NULL;
         p = triage_lexicon_next(lx, &cur)) {
        if (p->list != list || lx->words[p->first].placeholder)
            continue;
        size_t n = triage_lexicon_match(lx, p, tokens, count, i);
        if (n > *len) {
            *len = n;
            best = p;
        }
    }
    return best;
}

size_t triage_lexicon_count(const triage_lexicon *lx, triage_list list)
{
    size_t n = 0;
    for (size_t i = 0; i < lx->phrase_count; i++)
        n += lx->phrases[i].list == list;
    return n;
}

size_t triage_lexicon_size(const triage_lexicon *lx)
{
    return lx->phrase_count;
}

size_t triage_lexicon_index(const triage_lexicon *lx, const triage_phrase *p)
{
    return (size_t)(p - lx->phrases);
}

const triage_phrase *triage_lexicon_phrase(const triage_lexicon *lx, size_t index)
{
    return &lx->phrases[index];
}
