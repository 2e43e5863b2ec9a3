/* test_triage_text.c - triage's text normalisation and the lexicon files:
 * case and accents, words and punctuation tokens, handles, emoji; the
 * line format and its file:line errors; a deployment's lexicon_dir adding
 * to, re-weighting and removing shipped phrases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "gateway/error.h"
#include "triage/lexicon.h"
#include "triage/lexicon_file.h"
#include "base/hash.h"
#include "triage/triage_text.h"

static void expect_normalised(const char *in, const char *want, int words)
{
    char out[256];
    assert_int_equal(words, triage_text_normalise(in, strlen(in), out, sizeof out));
    assert_string_equal(want, out);
}

static void test_case_accents_and_words(void **state)
{
    (void)state;
    expect_normalised("Héllo WÖRLD", "hello world", 2);
    expect_normalised("Straße Œuvre Æther Łódź", "strasse oeuvre aether lodz", 4);
    expect_normalised("ÀÉÎÕÜ çñ ÿ", "aeiou cn y", 3);
    expect_normalised("don\xe2\x80\x99t stop, won't", "don't stop , won't", 4);
    expect_normalised("brands' 'quoted'", "brands quoted", 2);
    expect_normalised("#fail @acme_support x2", "fail acme_support x2", 3);
    expect_normalised("what?!? really...", "what ? really .", 4);
    expect_normalised("  ", "", 0);
    /* Letters outside Latin-1/Extended-A are kept as written. */
    expect_normalised("Привет мир", "Привет мир", 2);
    char small[4];
    assert_int_equal(GW_ERANGE, triage_text_normalise("hello", 5, small, sizeof small));
}

static void test_tokens_flags_and_offsets(void **state)
{
    (void)state;
    triage_text t = {0};
    const char *s = "Hi @Acme, love it \xf0\x9f\x98\x8d\xef\xb8\x8f?";
    assert_int_equal(GW_OK, triage_text_split(&t, s, strlen(s)));
    assert_int_equal(7, t.count);
    assert_string_equal("acme", t.tokens[1].word);
    assert_true(t.tokens[1].flags & TRIAGE_TOKEN_AT);
    assert_int_equal(4, t.tokens[1].start); /* "Acme" after the '@' */
    assert_int_equal(8, t.tokens[1].end);
    assert_true(t.tokens[2].flags & TRIAGE_TOKEN_PUNCT);
    assert_false(t.tokens[3].flags & TRIAGE_TOKEN_AT);
    assert_string_equal("\xf0\x9f\x98\x8d", t.tokens[5].word); /* the emoji, no selector */
    assert_true(t.tokens[6].flags & TRIAGE_TOKEN_QUESTION);
    assert_int_equal(hash_fnv1a("love", 4), t.tokens[3].hash);
    /* A space or a line break ends a word where the ASCII run stops
     * (the splitter's shortcut): the same offsets and flags as any other
     * separator, and an '@' followed by a space marks nothing. */
    s = "Caf\xc3\xa9 ok\nl'x  @a @ b";
    assert_int_equal(GW_OK, triage_text_split(&t, s, strlen(s)));
    assert_int_equal(5, t.count);
    static const char *const words[] = {"cafe", "ok", "l'x", "a", "b"};
    static const uint32_t starts[] = {0, 6, 9, 15, 19}, ends[] = {5, 8, 12, 16, 20};
    for (size_t k = 0; k < 5; k++) {
        assert_string_equal(words[k], t.tokens[k].word);
        assert_int_equal(starts[k], t.tokens[k].start);
        assert_int_equal(ends[k], t.tokens[k].end);
        assert_int_equal(k == 3 ? TRIAGE_TOKEN_AT : 0, t.tokens[k].flags);
    }
    /* Reused buffers, invalid UTF-8 separates words. */
    assert_int_equal(GW_OK, triage_text_split(&t, "a\xffz\xc3", 4));
    assert_int_equal(2, t.count);
    assert_string_equal("z", t.tokens[1].word);
    triage_text_free(&t);
}

/* Every token's hash is hash_fnv1a of its word, however the word was
 * written: the ASCII loop hashes as it copies, the other paths (accents
 * folded, expansions, kept apostrophes, non-Latin letters) are hashed
 * when the word closes, and stripped apostrophes make it start over. */
static void test_token_hashes_match_their_words(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "Caf\xc3\xa9's na\xc3\xafve CAF\xc3\x89 \xc5\x92uvreX brands' don't",
        "l'\xc3\xa9t\xc3\xa9 Stra\xc3\x9f"
        "eABC abc\xc3\x9f"
        "def x''' 'y' z'\xc3\xa9'",
        "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82"
        "abc \xc3\xa6on \xc3\xbeorn @Acme_2 don\xe2\x80\x99t",
    };
    triage_text t = {0};
    size_t words = 0;
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        assert_int_equal(GW_OK, triage_text_split(&t, texts[i], strlen(texts[i])));
        for (size_t k = 0; k < t.count; k++) {
            assert_int_equal(strlen(t.tokens[k].word), t.tokens[k].len);
            assert_int_equal(hash_fnv1a(t.tokens[k].word, t.tokens[k].len), t.tokens[k].hash);
        }
        words += t.count;
    }
    assert_int_equal(17, words);
    triage_text_free(&t);
}

typedef struct seen {
    char phrase[64][64];
    double weight[64];
    int has_weight[64];
    int line[64];
    int n;
} seen;

static int collect(void *arg, const char *phrase, size_t len, int has_weight, double weight,
                   int line)
{
    seen *s = arg;
    snprintf(s->phrase[s->n], sizeof s->phrase[0], "%.*s", (int)len, phrase);
    s->weight[s->n] = weight;
    s->has_weight[s->n] = has_weight;
    s->line[s->n] = line;
    s->n++;
    return GW_OK;
}

static void test_line_format(void **state)
{
    (void)state;
    seen s = {0};
    cfg_errors errs = {0};
    const char *text = "# comment\n\nwhere can i buy, 2\n  love it  # inline\n"
                       "awful, -2.5\r\nhashtag#inside\nbad, x\n, 3\n";
    assert_int_equal(GW_EINVAL, lexicon_file_parse(text, "f.txt", collect, &s, &errs));
    assert_int_equal(4, s.n);
    assert_string_equal("where can i buy", s.phrase[0]);
    assert_int_equal(3, s.line[0]);
    assert_true(s.has_weight[0]);
    assert_true(s.weight[0] == 2);
    assert_string_equal("love it", s.phrase[1]);
    assert_false(s.has_weight[1]);
    assert_true(s.weight[2] == -2.5);
    assert_string_equal("hashtag#inside", s.phrase[3]);
    assert_int_equal(2, errs.count);
    assert_non_null(strstr(errs.lines[0], "f.txt:7: expected \"phrase\" or \"phrase, weight\""));
    assert_non_null(strstr(errs.lines[1], "f.txt:8: the phrase before the comma is empty"));
    cfg_errors_free(&errs);
}

static char *make_dir(void)
{
    char tmpl[] = "/tmp/gwtest-lexicon-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void remove_dir(char *dir, const char *const *names)
{
    char path[512];
    for (; *names; names++) {
        snprintf(path, sizeof path, "%s/%s", dir, *names);
        unlink(path);
    }
    rmdir(dir);
    free(dir);
}

static const triage_phrase *lookup(const triage_lexicon *lx, triage_list list, const char *text)
{
    triage_text t = {0};
    size_t len;
    assert_int_equal(GW_OK, triage_text_split(&t, text, strlen(text)));
    const triage_phrase *p = triage_lexicon_longest(lx, list, t.tokens, t.count, 0, &len);
    if (p != NULL && len != t.count)
        p = NULL;
    triage_text_free(&t);
    return p;
}

static void test_shipped_lexicons_load(void **state)
{
    (void)state;
    triage_lexicon *lx = NULL;
    cfg_errors errs = {0};
    assert_int_equal(GW_OK, triage_lexicon_open(NULL, NULL, NULL, NULL, &lx, &errs));
    assert_int_equal(0, errs.count);
    for (int l = 0; l <= TRIAGE_INTENSIFIER; l++)
        assert_true(triage_lexicon_count(lx, (triage_list)l) > 5);
    assert_non_null(lookup(lx, TRIAGE_PURCHASE, "Where can I BUY"));
    assert_non_null(lookup(lx, TRIAGE_NEGATOR, "don't"));
    const triage_phrase *p = lookup(lx, TRIAGE_SENTIMENT, "terrible");
    assert_non_null(p);
    assert_true(p->weight < 0);
    triage_lexicon_free(lx);
}

static void test_lexicon_dir_extends_and_overrides(void **state)
{
    (void)state;
    char *dir = make_dir();
    write_file(dir, "purchase.txt", "quiero comprar, 2\nwhere can i buy, 0\nhow much, 3\n");
    write_file(dir, "notes.md", "ignored: not a .txt file\n");
    json_t *terms = json_pack("[s]", "Acme Café");
    json_t *rivals = json_pack("[s, s]", "Globex", "Initech Corp");
    json_t *handles = json_pack("[s]", "@AcmeHelp");
    triage_lexicon *lx = NULL;
    cfg_errors errs = {0};
    assert_int_equal(GW_OK, triage_lexicon_open(dir, terms, rivals, handles, &lx, &errs));
    assert_non_null(lookup(lx, TRIAGE_PURCHASE, "Quiero comprar"));
    assert_null(lookup(lx, TRIAGE_PURCHASE, "where can i buy")); /* weight 0: removed */
    assert_true(lookup(lx, TRIAGE_PURCHASE, "how much")->weight == 3);
    const triage_phrase *b = lookup(lx, TRIAGE_BRAND, "acme cafe");
    assert_non_null(b);
    assert_string_equal("Acme Café", b->display);
    assert_non_null(lookup(lx, TRIAGE_COMPETITOR, "initech corp"));
    assert_non_null(lookup(lx, TRIAGE_HANDLE, "acmehelp"));
    /* "switching to <competitor>" is found from the word "switching" and
     * covers the competitor's two words. */
    triage_text t = {0};
    const char *s = "switching to initech corp now";
    triage_text_split(&t, s, strlen(s));
    size_t len;
    const triage_phrase *churn =
        triage_lexicon_longest(lx, TRIAGE_CHURN_RISK, t.tokens, t.count, 0, &len);
    assert_non_null(churn);
    assert_int_equal(4, len);
    triage_text_free(&t);
    triage_lexicon_free(lx);
    json_decref(terms);
    json_decref(rivals);
    json_decref(handles);
    remove_dir(dir, (const char *const[]){"purchase.txt", "notes.md", NULL});
}

static void test_lexicon_errors_name_file_and_line(void **state)
{
    (void)state;
    char *dir = make_dir();
    write_file(dir, "sentiment.txt", "good, 1\nmeh\nsuper bad, -9\n");
    write_file(dir, "negators.txt", "not at all\n");
    write_file(dir, "intensifiers.txt", "<brand>, 2\n");
    write_file(dir, "moods.txt", "happy\n");
    triage_lexicon *lx = NULL;
    cfg_errors errs = {0};
    assert_int_equal(GW_EINVAL, triage_lexicon_open(dir, NULL, NULL, NULL, &lx, &errs));
    assert_null(lx);
    assert_int_equal(5, errs.count);
    assert_non_null(strstr(errs.lines[0], "/intensifiers.txt:1: <brand> belongs in intent"));
    assert_non_null(strstr(errs.lines[1], "/moods.txt: not a lexicon this gateway reads"));
    assert_non_null(strstr(errs.lines[2], "/negators.txt:1: \"not at all\": one word per line"));
    assert_non_null(strstr(errs.lines[3], "/sentiment.txt:2: a sentiment phrase needs a signed"));
    assert_non_null(strstr(errs.lines[4], "/sentiment.txt:3: weight -9 is outside -5 to 5"));
    cfg_errors_free(&errs);
    assert_int_equal(GW_EIO,
                     triage_lexicon_open("/nonexistent/lexicons", NULL, NULL, NULL, &lx, &errs));
    assert_non_null(strstr(errs.lines[0], "triage.lexicon_dir cannot be read"));
    cfg_errors_free(&errs);
    remove_dir(dir, (const char *const[]){"sentiment.txt", "negators.txt", "intensifiers.txt",
                                          "moods.txt", NULL});
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_case_accents_and_words),
        cmocka_unit_test(test_tokens_flags_and_offsets),
        cmocka_unit_test(test_token_hashes_match_their_words),
        cmocka_unit_test(test_line_format),
        cmocka_unit_test(test_shipped_lexicons_load),
        cmocka_unit_test(test_lexicon_dir_extends_and_overrides),
        cmocka_unit_test(test_lexicon_errors_name_file_and_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
