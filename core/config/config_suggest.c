/* config_suggest.c - did-you-mean for unknown keys and disallowed values:
 * an edit distance that forgives typos and transpositions, and a shared
 * prefix for words cut short. No state; works on borrowed words.
 */
#include <ctype.h>
#include <string.h>

#include "config/config_suggest.h"

/* Keys longer than this get no did-you-mean suggestion. */
#define SUGGEST_MAX_LEN 64

/* Optimal-string-alignment Damerau-Levenshtein distance, ignoring case:
 * a transposition ("tpye") counts as one edit, like a typo does. */
static size_t edit_distance(const char *a, size_t n, const char *b, size_t m)
{
    enum { W = SUGGEST_MAX_LEN + 1 };
    unsigned char d[W * W]; /* distances never exceed 2 * SUGGEST_MAX_LEN */
    size_t i, j;

    for (i = 0; i <= n; i++)
        d[i * W] = (unsigned char)i;
    for (j = 0; j <= m; j++)
        d[j] = (unsigned char)j;
    for (i = 1; i <= n; i++) {
        for (j = 1; j <= m; j++) {
            int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
            unsigned best = d[(i - 1) * W + j] + 1u;
            if (d[i * W + j - 1] + 1u < best)
                best = d[i * W + j - 1] + 1u;
            if (d[(i - 1) * W + j - 1] + (unsigned)(ca != cb) < best)
                best = d[(i - 1) * W + j - 1] + (unsigned)(ca != cb);
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && d[(i - 2) * W + j - 2] + 1u < best)
                best = d[(i - 2) * W + j - 2] + 1u;
            d[i * W + j] = (unsigned char)best;
        }
    }
    return d[n * W + m];
}

static size_t common_prefix(const char *a, size_t n, const char *b, size_t m)
{
    size_t i = 0;

    while (i < n && i < m && tolower((unsigned char)a[i]) == tolower((unsigned char)b[i]))
        i++;
    return i;
}

const config_word *config_suggest(const char *word, size_t len, const config_word *cands, size_t n)
{
    const config_word *best = NULL;
    size_t i, best_d = 3, best_p = 0;

    if (len > SUGGEST_MAX_LEN)
        return NULL;
    for (i = 0; i < n; i++) {
        size_t d, shorter = len < cands[i].len ? len : cands[i].len;
        if (cands[i].len > SUGGEST_MAX_LEN)
            continue;
        d = edit_distance(word, len, cands[i].s, cands[i].len);
        if (d <= 2 && d < shorter && d < best_d) {
            best = &cands[i];
            best_d = d;
        }
    }
    if (best)
        return best;
    for (i = 0; i < n; i++) {
        size_t shorter = len < cands[i].len ? len : cands[i].len;
        size_t p = common_prefix(word, len, cands[i].s, cands[i].len);
        if ((p >= 4 || (p >= 3 && p == shorter)) && p > best_p) {
            best = &cands[i];
            best_p = p;
        }
    }
    return best;
}

size_t config_split_allowed(const char *allowed, config_word *words, size_t max)
{
    size_t n = 0;
    const char *p = allowed;

    while (n < max) {
        size_t len = strcspn(p, "|");
        words[n].s = p;
        words[n].len = len;
        n++;
        if (!p[len])
            break;
        p += len + 1;
    }
    return n;
}
