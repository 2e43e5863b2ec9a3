/* fuzz_triage.c - libFuzzer target for triage's reading of a text
 * (core/triage: triage_text.c's splitter, the lexicon's walk and matches,
 * triage_analyse.c), which runs on every item a network delivers, so on
 * bytes anyone can post.
 *
 * Beyond "does not crash" (nor read past a buffer, which the sanitizers
 * see: a match reads a word 8 bytes at a time), every input checks the
 * promises the tags rely on:
 * every token is a non-empty NUL-terminated word whose byte range lies
 * inside the text, in order, with the hash of its word; every cue quoted
 * in a reason lies inside the text; the sentiment is a number from -1 to
 * 1; the intents are finite; the same text read again gives the same
 * analysis; and triage_text_normalise either fits its buffer or says it
 * did not. A broken promise aborts.
 *
 * The lexicon is the shipped one (embedded by tests/fuzz/CMakeLists.txt
 * as the gateway embeds it) with brand terms, competitors of one and two
 * words and a handle, so the placeholders' paths run too.
 *
 * Built with -DGW_FUZZ_REPLAY (no libFuzzer, any compiler) it gets a main
 * that replays every file named or found under the directories given
 * (tests/fuzz/corpus/fuzz_triage/: posts of the labelled sample, and
 * texts made to reach the accents, apostrophes, emoji and punctuation).
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/hash.h"
#include "gateway/error.h"
#include "triage/lexicon.h"
#include "triage/triage_analyse.h"
#include "triage/triage_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

/* Built on the first input and kept: building it per input would be
 * most of the time, and it is read-only once built. */
static const triage_lexicon *lexicon(void)
{
    static triage_lexicon *lx;
    if (lx == NULL) {
        json_t *brand = json_pack("[s, s]", "acme", "smart kettle");
        json_t *rivals = json_pack("[s, s]", "Globex", "Initech Pro");
        json_t *handles = json_pack("[s]", "@acme");
        cfg_errors errs = {0};
        check(triage_lexicon_open(NULL, brand, rivals, handles, &lx, &errs) == GW_OK);
        cfg_errors_free(&errs);
        json_decref(brand);
        json_decref(rivals);
        json_decref(handles);
    }
    return lx;
}

static void check_tokens(const triage_text *t, size_t size)
{
    uint32_t last_start = 0;
    for (size_t i = 0; i < t->count; i++) {
        const triage_token *k = &t->tokens[i];
        check(k->len > 0 && strlen(k->word) == k->len);
        check(k->start < k->end && k->end <= size && k->start >= last_start);
        last_start = k->start;
        check(hash_fnv1a(k->word, k->len) == k->hash);
    }
}

static void check_cue(const triage_cue *c, size_t size)
{
    check(c->phrase == NULL || (c->start <= c->end && c->end <= size));
}

static void check_analysis(const triage_analysis *a, size_t size)
{
    check(isfinite(a->sentiment) && a->sentiment >= -1 && a->sentiment <= 1);
    check(isfinite(a->sentiment_sum));
    for (int i = 0; i < TRIAGE_INTENT_COUNT; i++) {
        check(isfinite(a->intent[i]));
        check_cue(&a->intent_cue[i], size);
    }
    check_cue(&a->sentiment_cue, size);
    check_cue(&a->competitor, size);
    check(a->keyword_count <= TRIAGE_KEYWORDS_MAX);
    for (size_t i = 0; i < a->keyword_count; i++)
        check(a->keywords[i] != NULL && a->keywords[i]->list == TRIAGE_BRAND);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const triage_lexicon *lx = lexicon();
    /* an exact-size copy, so reading past the text is caught */
    char *text = malloc(size ? size : 1);
    check(text != NULL);
    if (size > 0)
        memcpy(text, data, size);
    triage_text scratch = {0};
    triage_analysis a, again;
    check(triage_analyse(lx, &scratch, text, size, &a) == GW_OK);
    check_tokens(&scratch, size);
    check_analysis(&a, size);
    check(triage_analyse(lx, &scratch, text, size, &again) == GW_OK);
    check(memcmp(&a, &again, sizeof a) == 0);
    char out[48];
    int n = triage_text_normalise(text, size, out, sizeof out);
    check(n == GW_ERANGE || (n >= 0 && (size_t)n == scratch.count));
    check(memchr(out, '\0', sizeof out) != NULL);
    triage_text_free(&scratch);
    free(text);
    return 0;
}

#ifdef GW_FUZZ_REPLAY
#include "replay.h"

int main(int argc, char **argv)
{
    return fuzz_replay_main(argc, argv);
}
#endif
