/* triage_text.c - normalising and splitting a text once (see triage_text.h).
 *
 * Words are runs of letters, digits and '_' (handles keep theirs), with an
 * apostrophe kept between letters ("don't"); the curly apostrophe counts
 * as one. Letters of U+00C0-U+017F lose their accents ("é" -> "e",
 * "ß" -> "ss", "œ" -> "oe"); other letters outside ASCII are kept as they
 * are, which is enough to compare them to a lexicon written the same way.
 * Emoji are one token each, so a lexicon can weigh them. Clause
 * punctuation becomes a token too, because negation stops at it and a
 * question mark is evidence of a question.
 */
#include "triage/triage_text.h"

#include "base/hash.h"

#include <stdlib.h>
#include <string.h>

#include "gateway/error.h"

/* Base letters of U+00C0..U+00FF then U+0100..U+017F, lower case. Upper
 * case marks two-letter expansions (see expansion()); '.' is not a letter
 * (the multiplication and division signs). */
/* clang-format off */
static const char latin_base[] =
    /* C0 */ "aaaaaaAceeeeiiii" "dnooooo.ouuuuyTS"
    /* E0 */ "aaaaaaAceeeeiiii" "dnooooo.ouuuuyTy"
    /* 100 */ "aaaaaacccccccc" "dddd" "eeeeeeeeee" "gggggggg" "hhhh" "iiiiiiiiii" "II" "jj"
    "kkk" "llllllllll" "nnnnnnnnn" "oooooo" "OO" "rrrrrr" "ssssssss" "tttttt"
    "uuuuuuuuuuuu" "ww" "yyy" "zzzzzz" "s";
/* clang-format on */
_Static_assert(sizeof latin_base == 0x180 - 0xC0 + 1, "one base per code point of U+00C0-U+017F");

static const char *expansion(char c)
{
    switch (c) {
    case 'A':
        return "ae";
    case 'T':
        return "th";
    case 'S':
        return "ss";
    case 'I':
        return "ij";
    case 'O':
        return "oe";
    default:
        return NULL;
    }
}


/* One code point from s[0..left), its length in *n; -1 when the bytes are
 * not UTF-8 (*n is then 1). */
static int32_t decode(const unsigned char *s, size_t left, size_t *n)
{
    *n = 1;
    if (s[0] < 0x80)
        return s[0];
    size_t len = s[0] >= 0xF0 && s[0] < 0xF5 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    if (s[0] >= 0xF5 || len == 0 || len > left)
        return -1;
    int32_t cp = s[0] & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return -1;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    *n = len;
    return cp;
}

enum char_class { C_SEP, C_WORD, C_MAPPED, C_APOS, C_AT, C_PUNCT, C_EMOJI, C_IGNORE };

/* The class of each ASCII byte, as the digit of its enum char_class: the
 * splitter looks a byte up here instead of testing ranges and searching
 * the punctuation (a third of its cost per character). Words are letters,
 * digits and '_'; ". , ; : ! ?" end a clause; "'" and "@" are their own. */
/* clang-format off */
static const char ascii_classes[] =
    "0000000000000000" "0000000000000000" /* controls */
    "0500000300005050" "1111111111550005" /*  !"#$%&'()*+,-./ 0-9:;<=>? */
    "4111111111111111" "1111111111100001" /* @A-O P-Z[\]^_ */
    "0111111111111111" "1111111111100000"; /* `a-o p-z{|}~ DEL */
/* clang-format on */
_Static_assert(sizeof ascii_classes == 129, "one class per ASCII byte");

/* The lower case of each ASCII word byte ('.' for the others, and for
 * every byte from 0x80): the splitter's loop over a run of ASCII word
 * characters tests and folds each with one lookup. */
/* clang-format off */
#define NOT_ASCII_WORD "................................"
static const char ascii_lower[] =
    NOT_ASCII_WORD                         /* controls */
    "................" "0123456789......" /*  !"#$%&'()*+,-./ 0-9:;<=>? */
    ".abcdefghijklmno" "pqrstuvwxyz...._" /* @A-O P-Z[\]^_ */
    ".abcdefghijklmno" "pqrstuvwxyz....." /* `a-o p-z{|}~ DEL */
    NOT_ASCII_WORD NOT_ASCII_WORD NOT_ASCII_WORD NOT_ASCII_WORD;
#undef NOT_ASCII_WORD
/* clang-format on */
_Static_assert(sizeof ascii_lower == 257, "one entry per byte");

static enum char_class classify(int32_t cp)
{
    if (cp < 0)
        return C_SEP;
    if (cp < 0x80)
        return (enum char_class)(ascii_classes[cp] - '0');
    if (cp >= 0xC0 && cp <= 0x17F)
        return latin_base[cp - 0xC0] == '.' ? C_SEP : C_MAPPED;
    if (cp == 0x2018 || cp == 0x2019)
        return C_APOS;
    if (cp == 0x200D || (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0x1F3FB && cp <= 0x1F3FF))
        return C_IGNORE; /* joiners, variation selectors, skin tones */
    if ((cp >= 0x2600 && cp <= 0x27BF) || (cp >= 0x1F000 && cp <= 0x1FAFF) || cp == 0x2B50)
        return C_EMOJI;
    if (cp < 0xC0 || (cp >= 0x2000 && cp <= 0x2BFF) || (cp >= 0x3000 && cp <= 0x303F))
        return C_SEP; /* Latin-1 symbols, general punctuation, arrows, CJK marks */
    return C_WORD;
}

static int reserve(triage_text *t, size_t len)
{
    /* Each input byte yields at most two output bytes (a one-byte '?'
     * becomes "?" and its NUL), and at most one token; 8 bytes of slack
     * after the last word let a match read any word 8 bytes at a time. */
    size_t need = 2 * len + 1 + TRIAGE_TEXT_SLACK;
    if (t->buf_cap < need) {
        char *b = realloc(t->buf, need);
        if (b == NULL)
            return GW_ENOMEM;
        t->buf = b;
        t->buf_cap = need;
    }
    if (t->token_cap < len + 1) {
        triage_token *k = realloc(t->tokens, (len + 1) * sizeof *k);
        if (k == NULL)
            return GW_ENOMEM;
        t->tokens = k;
        t->token_cap = len + 1;
    }
    return GW_OK;
}

typedef struct splitter {
    triage_text *t;
    char *out;        /* next free byte of t->buf */
    char *word;       /* start of the open word, NULL when none */
    char *hashed;     /* the open word's bytes before this are in hash */
    uint64_t hash;    /* hash_fnv1a of word..hashed */
    uint32_t start;   /* its start in the text */
    uint32_t flags;   /* its flags so far */
    uint32_t pending; /* flags for the next word (an '@' just seen) */
} splitter;

/* Bring the open word's hash up to what is written: the fast loop hashes
 * its bytes as it writes them; the others, written one at a time, are
 * hashed here. Stripped apostrophes that were hashed make it start over. */
static void hash_written(splitter *s)
{
    if (s->out < s->hashed) {
        s->hashed = s->word;
        s->hash = HASH_FNV1A_BASIS;
    }
    uint64_t h = s->hash;
    for (const char *p = s->hashed; p < s->out; p++)
        h = hash_fnv1a_step(h, (unsigned char)*p);
    s->hash = h;
    s->hashed = s->out;
}

/* The open word as a token ending at end: not empty, all of it hashed
 * (hash_written) and nothing to strip. */
static void emit_word(splitter *s, uint32_t end)
{
    triage_token *k = &s->t->tokens[s->t->count++];
    *k = (triage_token){.word = s->word,
                        .hash = s->hash,
                        .len = (uint32_t)(s->out - s->word),
                        .start = s->start,
                        .end = end,
                        .flags = s->flags};
    *s->out++ = '\0';
    s->word = NULL;
}

static void close_token(splitter *s, uint32_t end)
{
    if (s->word == NULL)
        return;
    /* An apostrophe only counts between letters: "brands'" -> "brands". */
    while (s->out > s->word && s->out[-1] == '\'')
        s->out--;
    if (s->out == s->word) {
        s->word = NULL;
        return;
    }
    hash_written(s);
    emit_word(s, end);
}

static void open_word(splitter *s, uint32_t at)
{
    if (s->word != NULL)
        return;
    s->word = s->hashed = s->out;
    s->hash = HASH_FNV1A_BASIS;
    s->start = at;
    s->flags = s->pending;
    s->pending = 0;
}

/* A one-token word of its own: punctuation or an emoji. */
static void add_single(splitter *s, const char *bytes, size_t n, uint32_t at, uint32_t flags)
{
    triage_token *prev = s->t->count ? &s->t->tokens[s->t->count - 1] : NULL;
    /* "!!!" or "?!" is one clause boundary; keep the question mark. */
    if ((flags & TRIAGE_TOKEN_PUNCT) && prev && (prev->flags & TRIAGE_TOKEN_PUNCT) &&
        prev->end == at) {
        prev->end = at + (uint32_t)n;
        prev->flags |= flags;
        return;
    }
    s->word = s->hashed = s->out;
    s->hash = HASH_FNV1A_BASIS;
    s->start = at;
    s->flags = flags;
    memcpy(s->out, bytes, n);
    s->out += n;
    close_token(s, at + (uint32_t)n);
}

int triage_text_split(triage_text *t, const char *text, size_t len)
{
    t->count = 0;
    if (len > UINT32_MAX / 2)
        return GW_ENOMEM;
    if (reserve(t, len) != GW_OK)
        return GW_ENOMEM;
    splitter s = {.t = t, .out = t->buf};
    const unsigned char *u = (const unsigned char *)text;
    size_t i = 0;
    while (i < len) {
        /* A run of ASCII word characters, the bulk of most texts, copied
         * lower-cased and hashed in a tight loop. */
        char lower = ascii_lower[u[i]];
        if (lower != '.') {
            open_word(&s, (uint32_t)i);
            hash_written(&s);
            uint64_t h = s.hash;
            char *o = s.out;
            do {
                *o++ = lower;
                h = hash_fnv1a_step(h, (unsigned char)lower);
            } while (++i < len && (lower = ascii_lower[u[i]]) != '.');
            s.out = s.hashed = o;
            s.hash = h;
            /* A space or a line break after the run, the common case,
             * ends the word here: its last byte is a letter (no
             * apostrophe to strip) and it is hashed, so the token is
             * written without close_token's checks or a decode. The
             * open word took any pending '@', so none is left to clear. */
            if (i < len && (u[i] == ' ' || u[i] == '\n')) {
                emit_word(&s, (uint32_t)i);
                i++;
            }
            continue;
        }
        size_t n;
        int32_t cp = decode(u + i, len - i, &n);
        uint32_t at = (uint32_t)i;
        switch (classify(cp)) {
        case C_WORD:
            open_word(&s, at);
            if (cp < 0x80)
                *s.out++ = (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
            else {
                memcpy(s.out, u + i, n);
                s.out += n;
            }
            break;
        case C_MAPPED: {
            char c = latin_base[cp - 0xC0];
            const char *two = expansion(c);
            open_word(&s, at);
            if (two != NULL) {
                *s.out++ = two[0];
                *s.out++ = two[1];
            } else {
                *s.out++ = c;
            }
            break;
        }
        case C_APOS:
            if (s.word != NULL && s.out > s.word && s.out[-1] != '\'')
                *s.out++ = '\'';
            else
                close_token(&s, at);
            break;
        case C_AT:
            close_token(&s, at);
            s.pending = TRIAGE_TOKEN_AT;
            break;
        case C_PUNCT:
            close_token(&s, at);
            add_single(&s, (const char *)u + i, 1, at,
                       TRIAGE_TOKEN_PUNCT | (cp == '?' ? TRIAGE_TOKEN_QUESTION : 0));
            break;
        case C_EMOJI:
            close_token(&s, at);
            add_single(&s, (const char *)u + i, n, at, TRIAGE_TOKEN_EMOJI);
            break;
        case C_IGNORE:
            break;
        case C_SEP:
            close_token(&s, at);
            s.pending = 0;
            break;
        }
        i += n;
    }
    close_token(&s, (uint32_t)len);
    return GW_OK;
}

int triage_text_normalise(const char *text, size_t len, char *out, size_t cap)
{
    triage_text t = {0};
    int rc = triage_text_split(&t, text, len);
    size_t used = 0;
    if (rc == GW_OK) {
        for (size_t i = 0; i < t.count; i++) {
            size_t need = t.tokens[i].len + (i > 0);
            if (used + need + 1 > cap) {
                rc = GW_ERANGE;
                break;
            }
            if (i > 0)
                out[used++] = ' ';
            memcpy(out + used, t.tokens[i].word, t.tokens[i].len);
            used += t.tokens[i].len;
        }
    }
    if (cap > 0)
        out[rc == GW_OK ? used : 0] = '\0';
    if (rc == GW_OK)
        rc = (int)t.count;
    triage_text_free(&t);
    return rc;
}

void triage_text_free(triage_text *t)
{
    free(t->buf);
    free(t->tokens);
    *t = (triage_text){0};
}
