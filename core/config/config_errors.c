/* config_errors.c - the error lines of the config layer: the list the
 * caller gets, the collector that sorts the validators' findings into file
 * order, and the line for a TOML syntax error (its key path, and a hint
 * when a bare value was meant as a duration or a size).
 *
 * Owns the lines it appends to a cfg_errors until cfg_errors_free, and a
 * cfg_ctx's pending errors until cfg_ctx_flush.
 */
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_errors.h"
#include "config/config_types.h"

/* Longest bare value considered for the "durations are strings" hint. */
#define HINT_WORD_MAX 64

void cfg_errors_free(cfg_errors *errs)
{
    size_t i;

    if (!errs)
        return;
    for (i = 0; i < errs->count; i++)
        free(errs->lines[i]);
    free(errs->lines);
    errs->lines = NULL;
    errs->count = 0;
}

void cfg_errors_add(cfg_errors *errs, const char *fmt, ...)
{
    va_list ap;
    char **lines;
    char *line, *p;
    int n;

    if (!errs)
        return;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    line = malloc((size_t)n + 1);
    if (!line)
        return;
    va_start(ap, fmt);
    vsnprintf(line, (size_t)n + 1, fmt, ap);
    va_end(ap);
    /* The promise is one line per error, whatever a caller passed in. */
    for (p = line; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    lines = realloc(errs->lines, (errs->count + 1) * sizeof *lines);
    if (!lines) {
        free(line);
        return;
    }
    errs->lines = lines;
    errs->lines[errs->count++] = line;
}

/* ---- TOML syntax errors --------------------------------------------- */

/* The bare word at offset: up to what ends a value on a line. Returns its
 * length, 0 when it is longer than HINT_WORD_MAX. */
static size_t bare_word(const char *text, size_t len, size_t offset, char *buf)
{
    size_t n = 0;

    while (offset + n < len && text[offset + n] && !strchr(" \t\r\n,]}#", text[offset + n])) {
        if (n == HINT_WORD_MAX)
            return 0;
        buf[n] = text[offset + n];
        n++;
    }
    buf[n] = '\0';
    return n;
}

/* What a bare value is when it is not TOML but reads as a duration or a
 * size once quoted ("5s", "1h30m", "64KB"): "durations" or "sizes";
 * NULL for anything else, plain numbers included. */
static const char *quantity_kind(const char *word)
{
    uint64_t v;

    if (!isdigit((unsigned char)word[0]) || !strpbrk(word, "abcdefghijklmnopqrstuvwxyz"
                                                           "ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
        return NULL;
    if (cfg_parse_duration(word, &v) == 0)
        return "durations";
    if (cfg_parse_size(word, &v) == 0)
        return "sizes";
    return NULL;
}

void cfg_errors_add_parse(cfg_errors *errs, const char *file, const char *text, size_t len,
                          const toml_error *err)
{
    char word[HINT_WORD_MAX + 1];
    const char *kind = NULL;

    if (err->key[0] && text && err->value_offset < len &&
        bare_word(text, len, err->value_offset, word) > 0)
        kind = quantity_kind(word);
    if (kind) {
        /* The lexer's "invalid number" is beside the point: the value was
         * never meant as a number. Point at its start, where the quote
         * goes. */
        const char *unit = word + strspn(word, "0123456789.");
        cfg_errors_add(errs,
                       "%s:%d:%d: %s: invalid value: unexpected '%c'; %s are strings: "
                       "write \"%s\"",
                       file, err->value_line, err->value_column, err->key, *unit, kind, word);
    } else if (err->line > 0) {
        cfg_errors_add(errs, "%s:%d:%d: %s%s%s", file, err->line, err->column, err->key,
                       err->key[0] ? ": " : "", err->message);
    } else {
        cfg_errors_add(errs, "%s: %s", file, err->message);
    }
}

/* ---- collecting in file order ------------------------------------------ */

/* An error waiting to be sorted into file order. */
struct cfg_pending {
    int line, column;
    size_t seq;
    char *text;
};

void cfg_ctx_error(cfg_ctx *c, int line, int col, const char *path, const char *fmt, ...)
{
    char msg[2048], where[64] = "";
    cfg_pending *grown;
    cfg_errors one = {0};
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line > 0)
        snprintf(where, sizeof where, ":%d:%d", line, col);
    cfg_errors_add(&one, "%s%s: %s%s%s%s", c->file, where, path, *path ? ": " : "",
                   c->in_default ? "the declared default is invalid: " : "", msg);
    if (one.count == 0)
        return;
    grown = realloc(c->pending, (c->pending_count + 1) * sizeof *grown);
    if (!grown) {
        cfg_errors_add(c->errs, "%s", one.lines[0]);
        cfg_errors_free(&one);
        return;
    }
    c->pending = grown;
    c->pending[c->pending_count] = (cfg_pending){line, col, c->pending_count, one.lines[0]};
    c->pending_count++;
    free(one.lines);
}

/* Positions first in file order; errors without one (a broken declared
 * default) last; the order of discovery breaks ties. */
static int pending_cmp(const void *a, const void *b)
{
    const cfg_pending *x = a, *y = b;
    long lx = x->line > 0 ? x->line : INT_MAX, ly = y->line > 0 ? y->line : INT_MAX;

    if (lx != ly)
        return lx < ly ? -1 : 1;
    if (x->column != y->column)
        return x->column < y->column ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void cfg_ctx_flush(cfg_ctx *c)
{
    size_t i;

    if (c->pending_count > 1)
        qsort(c->pending, c->pending_count, sizeof *c->pending, pending_cmp);
    for (i = 0; i < c->pending_count; i++) {
        cfg_errors_add(c->errs, "%s", c->pending[i].text);
        free(c->pending[i].text);
    }
    free(c->pending);
    c->pending = NULL;
    c->pending_count = 0;
}
