/* config.c - loads gateway.toml and checks it against the declared keys.
 *
 * Owns the gw_config it returns (the path, the directory relative paths
 * resolve against, the parsed tree and the validated sections as jansson
 * objects) and the lines it appends to cfg_errors. The core sections are
 * declared in config_schema.c, sink types in core/sinks/, plugin options by
 * each plugin; this file only interprets declarations, so the rules for a
 * type (what a duration looks like, when a path is resolved) are the same
 * for every section.
 *
 * Every problem becomes one line, "file:line:col: key.path: message", and
 * validation goes on after an error so a user sees all of them at once.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config/config.h"
#include "config/config_schema.h"
#include "gateway/error.h"
#include "sinks/sink.h"

/* A file larger than this is surely not a configuration file. */
#define CONFIG_MAX_FILE_SIZE (16L * 1024 * 1024)
/* Longest part of a value echoed in a message. */
#define QUOTE_MAX_CHARS 60
/* Room for one quoted value: every byte may become a 4-byte escape. */
#define QUOTE_BUF (QUOTE_MAX_CHARS * 4 + 16)
#define PATH_BUF 512
/* Keys longer than this get no did-you-mean suggestion. */
#define SUGGEST_MAX_LEN 64

/* ---- error list ------------------------------------------------------- */

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

/* ---- a growable string ----------------------------------------------- */

typedef struct cfg_buf {
    char *ptr;
    size_t len, cap;
    int failed; /* an allocation failed; ptr holds what fitted */
} cfg_buf;

static void buf_add(cfg_buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        char *p;
        while (cap < b->len + n + 1)
            cap *= 2;
        p = realloc(b->ptr, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->ptr = p;
        b->cap = cap;
    }
    memcpy(b->ptr + b->len, s, n);
    b->len += n;
    b->ptr[b->len] = '\0';
}

/* ---- durations and sizes --------------------------------------------- */

typedef struct cfg_unit {
    const char *name;
    uint64_t factor;
} cfg_unit;

typedef struct cfg_quantity_syntax {
    const cfg_unit *units; /* NULL-name ended */
    int case_insensitive;
    int compound;          /* several terms add up: "1h30m" */
    uint64_t bare_factor;  /* what a number without a unit counts */
    const char *base_name; /* "milliseconds" */
    const char *unit_list; /* "ms, s, m, h or d" */
} cfg_quantity_syntax;

static const cfg_unit duration_units[] = {
    {"ms", 1}, {"s", 1000}, {"m", 60 * 1000}, {"h", 3600 * 1000}, {"d", 86400 * 1000}, {NULL, 0},
};

/* Powers of 1024 whatever the spelling: KiB is accepted because a user
 * who writes it means exactly what KB means here. */
static const cfg_unit size_units[] = {
    {"KiB", 1ull << 10}, {"MiB", 1ull << 20}, {"GiB", 1ull << 30},
    {"TiB", 1ull << 40}, {"KB", 1ull << 10},  {"MB", 1ull << 20},
    {"GB", 1ull << 30},  {"TB", 1ull << 40},  {"B", 1},
    {NULL, 0},
};

static const cfg_quantity_syntax duration_syntax = {
    duration_units, 0, 1, 1000, "milliseconds", "ms, s, m, h or d",
};

static const cfg_quantity_syntax size_syntax = {
    size_units, 1, 0, 1, "bytes", "B, KB, MB, GB or TB",
};

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static const cfg_unit *match_unit(const cfg_quantity_syntax *syn, const char *s, size_t n)
{
    const cfg_unit *u;

    for (u = syn->units; u->name; u++) {
        if (strlen(u->name) != n)
            continue;
        if (syn->case_insensitive ? strncasecmp(u->name, s, n) == 0 : strncmp(u->name, s, n) == 0)
            return u;
    }
    return NULL;
}

/* Parse "<number>[.<fraction>]<unit>" terms exactly, in integers, so that
 * "0.1s" is 100 ms and not 99. Returns 0, GW_EINVAL or GW_ERANGE; on error
 * why holds a reason for the user, or "" when the text is just not of
 * the expected shape. */
static int parse_quantity(const char *text, const cfg_quantity_syntax *syn, uint64_t *out,
                          char *why, size_t whylen)
{
    const char *p = text;
    uint64_t total = 0;

    why[0] = '\0';
    if (!text || !*text)
        return GW_EINVAL;
    if (*p == '-') {
        snprintf(why, whylen, "negative values are not allowed");
        return GW_EINVAL;
    }
    while (*p) {
        uint64_t whole = 0, frac = 0, scale = 1, factor, term;
        const char *name, *start = p;
        const cfg_unit *unit;
        int frac_digits = 0;

        if (!isdigit((unsigned char)*p))
            return GW_EINVAL;
        for (; isdigit((unsigned char)*p); p++) {
            unsigned d = (unsigned)(*p - '0');
            if (whole > (UINT64_MAX - d) / 10)
                goto too_large;
            whole = whole * 10 + d;
        }
        if (*p == '.') {
            p++;
            if (!isdigit((unsigned char)*p))
                return GW_EINVAL;
            for (; isdigit((unsigned char)*p); p++) {
                if (++frac_digits > 9) {
                    snprintf(why, whylen, "at most 9 decimal places");
                    return GW_EINVAL;
                }
                frac = frac * 10 + (uint64_t)(*p - '0');
                scale *= 10;
            }
        }
        for (name = p; isalpha((unsigned char)*p); p++)
            ;
        if (p == name) {
            /* A bare number is only allowed alone: in "1h30" the 30 is
             * more likely a forgotten unit than seconds. */
            if (*p)
                return GW_EINVAL;
            if (start != text) {
                snprintf(why, whylen, "every number needs a unit: %s", syn->unit_list);
                return GW_EINVAL;
            }
            factor = syn->bare_factor;
        } else {
            unit = match_unit(syn, name, (size_t)(p - name));
            if (!unit) {
                snprintf(why, whylen, "unknown unit \"%.*s\"; use %s", (int)(p - name), name,
                         syn->unit_list);
                return GW_EINVAL;
            }
            factor = unit->factor;
        }
        if (whole > (uint64_t)INT64_MAX / factor)
            goto too_large;
        term = whole * factor;
        if (frac) {
            /* frac/scale of a unit must be a whole number of base units;
             * dividing by the gcd first keeps every product in range. */
            uint64_t g = gcd_u64(factor, scale);
            if (frac % (scale / g) != 0) {
                snprintf(why, whylen, "not a whole number of %s", syn->base_name);
                return GW_EINVAL;
            }
            term += frac / (scale / g) * (factor / g);
        }
        if (term > (uint64_t)INT64_MAX - total)
            goto too_large;
        total += term;
        if (!syn->compound && *p)
            return GW_EINVAL;
    }
    *out = total;
    return 0;
too_large:
    snprintf(why, whylen, "too large");
    return GW_ERANGE;
}

/* Durations, as decided for gateway.toml:
 *  - units ms, s, m, h, d, lower case only ("5M" could be read as months);
 *  - terms add up: "1h30m"; each needs its unit, so "1h30" is an error;
 *  - a fraction is allowed ("1.5s", "0.25h") when the total is a whole
 *    number of milliseconds; "0.5ms" is an error, never silently rounded;
 *  - a bare number, "30" or "1.5", is seconds (a TOML integer or float for
 *    a DURATION key means the same);
 *  - no sign, no spaces; the total must fit in int64 milliseconds so it
 *    survives as a JSON integer (GW_ERANGE otherwise).
 * Returns 0, GW_EINVAL or GW_ERANGE. */
int cfg_parse_duration(const char *text, uint64_t *ms)
{
    char why[96];
    return parse_quantity(text, &duration_syntax, ms, why, sizeof why);
}

/* Sizes: one term, units B, KB, MB, GB, TB in powers of 1024; KiB, MiB,
 * GiB, TiB are accepted as the same units, and case does not matter (all
 * of them count bytes). A bare number is bytes. A fraction is allowed when
 * the total is a whole number of bytes ("1.5KB" yes, "0.3KB" no). The
 * total must fit in int64. Returns 0, GW_EINVAL or GW_ERANGE. */
int cfg_parse_size(const char *text, uint64_t *bytes)
{
    char why[96];
    return parse_quantity(text, &size_syntax, bytes, why, sizeof why);
}

/* Write value in the largest unit that divides it: 86400000 ms -> "1d". */
static void format_in_units(double value, const cfg_unit *units, const char *base, char *buf,
                            size_t len)
{
    const cfg_unit *best = NULL, *u;
    uint64_t v;

    if (!(value >= 0 && value < 9.2e18) || value != floor(value)) {
        snprintf(buf, len, "%g%s", value, base);
        return;
    }
    v = (uint64_t)value;
    for (u = units; u->name; u++)
        if (v % u->factor == 0 && (!best || u->factor > best->factor))
            best = u;
    if (v == 0 || !best)
        snprintf(buf, len, "0%s", base);
    else
        snprintf(buf, len, "%llu%s", (unsigned long long)(v / best->factor), best->name);
}

/* Sizes are written back without the binary spellings. */
static const cfg_unit size_display_units[] = {
    {"B", 1},           {"KB", 1ull << 10}, {"MB", 1ull << 20},
    {"GB", 1ull << 30}, {"TB", 1ull << 40}, {NULL, 0},
};

void config_format_bound(const gw_option *opt, double value, char *buf, size_t len)
{
    switch (opt->type) {
    case GW_OPT_DURATION:
        format_in_units(value, duration_units, value == 0 ? "s" : "ms", buf, len);
        break;
    case GW_OPT_SIZE:
        format_in_units(value, size_display_units, "B", buf, len);
        break;
    case GW_OPT_INT:
        snprintf(buf, len, "%.0f", value);
        break;
    default:
        /* %g would write 1e6 as "1e+06" */
        snprintf(buf, len, "%.15g", value);
        break;
    }
}

const char *config_type_name(gw_option_type type)
{
    switch (type) {
    case GW_OPT_STRING:
        return "string";
    case GW_OPT_INT:
        return "integer";
    case GW_OPT_FLOAT:
        return "number";
    case GW_OPT_BOOL:
        return "boolean";
    case GW_OPT_DURATION:
        return "duration";
    case GW_OPT_SIZE:
        return "size";
    case GW_OPT_STRING_ARRAY:
        return "array of strings";
    }
    return "unknown type";
}

int config_option_is_path(const gw_option *opt)
{
    return opt->type == GW_OPT_STRING && (opt->flags & GW_OPTF_PATH) != 0;
}

/* ---- ${ENV} expansion -------------------------------------------------- */

/* The work of cfg_expand_env, also telling the validator why a reference
 * is malformed (*why, static) and where it starts (*at). */
static int expand_env(const char *in, char **out, char *missing, size_t missing_len,
                      const char **why, size_t *at)
{
    cfg_buf b = {0};
    const char *p = in;
    int rc;

    *out = NULL;
    if (missing && missing_len)
        missing[0] = '\0';
    buf_add(&b, "", 0);
    while (*p) {
        const char *name, *end, *value;
        char *var;

        if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
            buf_add(&b, "${", 2);
            p += 3;
            continue;
        }
        if (p[0] != '$' || p[1] != '{') {
            buf_add(&b, p, 1);
            p++;
            continue;
        }
        name = p + 2;
        for (end = name; isalnum((unsigned char)*end) || *end == '_'; end++)
            ;
        *at = (size_t)(p - in);
        if (*end != '}') {
            *why = *end ? "a variable name has only letters, digits and \"_\""
                        : "\"${\" without a closing \"}\"";
            rc = GW_EINVAL;
            goto fail;
        }
        if (end == name || isdigit((unsigned char)*name)) {
            *why = end == name ? "the variable name is empty"
                               : "a variable name cannot start with a digit";
            rc = GW_EINVAL;
            goto fail;
        }
        var = strndup(name, (size_t)(end - name));
        if (!var) {
            rc = GW_ENOMEM;
            goto fail;
        }
        value = getenv(var);
        if (!value) {
            if (missing && missing_len)
                snprintf(missing, missing_len, "%s", var);
            free(var);
            rc = GW_ENOENT;
            goto fail;
        }
        free(var);
        buf_add(&b, value, strlen(value));
        p = end + 1;
    }
    if (b.failed) {
        rc = GW_ENOMEM;
        goto fail;
    }
    *out = b.ptr;
    return 0;
fail:
    free(b.ptr);
    return rc;
}

/* ${NAME}: NAME is [A-Za-z_][A-Za-z0-9_]*; anything else after "${" is
 * GW_EINVAL (there is no ${NAME:-default}). A set but empty variable
 * expands to "". Values are inserted as they are, never expanded again.
 * Only "$${" is an escape; a lone "$" or "$$" stays as written.
 * Ownership: *out is malloc'd, caller frees; NULL on error. */
int cfg_expand_env(const char *in, char **out, char *missing, size_t missing_len)
{
    const char *why = NULL;
    size_t at = 0;

    if (!in || !out)
        return GW_EINVAL;
    return expand_env(in, out, missing, missing_len, &why, &at);
}

/* ---- pieces of messages ------------------------------------------------ */

/* Write s (n bytes) as a double-quoted, escaped, single-line string,
 * cut after QUOTE_MAX_CHARS bytes. buf must hold QUOTE_BUF bytes. */
static void quote(const char *s, size_t n, char *buf)
{
    size_t i, o = 0;

    buf[o++] = '"';
    for (i = 0; i < n && i < QUOTE_MAX_CHARS; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char)ch;
        } else if (ch == '\n') {
            buf[o++] = '\\';
            buf[o++] = 'n';
        } else if (ch == '\t') {
            buf[o++] = '\\';
            buf[o++] = 't';
        } else if (ch < 0x20 || ch == 0x7f) {
            o += (size_t)snprintf(buf + o, 5, "\\x%02x", ch);
        } else {
            buf[o++] = (char)ch;
        }
    }
    if (i < n) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o++] = '"';
    buf[o] = '\0';
}

/* "a" or "an" before a type name. */
static const char *article(const char *word)
{
    return strchr("aeiou", word[0]) ? "an" : "a";
}

/* The shortest text that reads back as the same double: 0.1, not
 * 0.10000000000000001; always with a '.', 'e', "nan" or "inf" so it reads
 * as a float. */
static void format_float(double v, char *buf, size_t len)
{
    int prec;

    if (isnan(v)) {
        snprintf(buf, len, "nan");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, len, v < 0 ? "-inf" : "inf");
        return;
    }
    for (prec = 1; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    if (!strpbrk(buf, ".e"))
        strncat(buf, ".0", len - strlen(buf) - 1);
}

/* Describe a TOML value after "found": scalars as written (strings
 * quoted), other values by kind; a secret key's value only by kind. */
static void describe_value(const toml_value *v, int secret, char *buf, size_t len)
{
    char tmp[QUOTE_BUF];
    const char *kind = toml_type_name(v->type);

    if (secret && v->type != TOML_ARRAY && v->type != TOML_TABLE) {
        snprintf(buf, len, "%s %s (value hidden)", article(kind), kind);
        return;
    }
    switch (v->type) {
    case TOML_STRING:
        quote(v->u.string.ptr, v->u.string.len, tmp);
        snprintf(buf, len, "%s", tmp);
        break;
    case TOML_INTEGER:
        snprintf(buf, len, "%lld", (long long)v->u.integer);
        break;
    case TOML_FLOAT:
        format_float(v->u.floating, buf, len);
        break;
    case TOML_BOOL:
        snprintf(buf, len, "%s", v->u.boolean ? "true" : "false");
        break;
    default:
        snprintf(buf, len, "%s %s", article(kind), kind);
        break;
    }
}

/* parent + "." + key, or parent + "[i]"; a key that is not bare in TOML
 * is quoted so the path can be read back. */
static void path_key(char *buf, const char *parent, const char *key, size_t key_len)
{
    char q[QUOTE_BUF];
    size_t i;
    int bare = key_len > 0;

    for (i = 0; i < key_len; i++)
        if (!isalnum((unsigned char)key[i]) && key[i] != '_' && key[i] != '-')
            bare = 0;
    if (!bare) {
        quote(key, key_len, q);
        key = q;
        key_len = strlen(q);
    }
    /* A path too long for the buffer is cut, and ends in "..." to say so. */
    if (snprintf(buf, PATH_BUF, "%s%s%.*s", parent, *parent ? "." : "", (int)key_len, key) >=
        PATH_BUF)
        memcpy(buf + PATH_BUF - 4, "...", 4);
}

static void path_index(char *buf, const char *parent, size_t index)
{
    snprintf(buf, PATH_BUF, "%s[%zu]", parent, index);
}

/* ---- did you mean ------------------------------------------------------ */

typedef struct cfg_word {
    const char *s;
    size_t len;
} cfg_word;

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

/* The candidate the user most likely meant, or NULL. A close spelling
 * (at most 2 edits, fewer than the shorter word's length) wins; failing
 * that, the longest shared prefix of at least 4 characters, or 3 when the
 * shorter word is all prefix ("max" for "max_failures"). Ties go to the
 * candidate declared first. */
static const cfg_word *suggest(const char *word, size_t len, const cfg_word *cands, size_t n)
{
    const cfg_word *best = NULL;
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

/* Split "a|b|c" into words pointing into allowed. Returns the count. */
static size_t split_allowed(const char *allowed, cfg_word *words, size_t max)
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

/* ---- validation context ------------------------------------------------ */

/* An error waiting to be sorted into file order. */
typedef struct cfg_pending {
    int line, column;
    size_t seq;
    char *text;
} cfg_pending;

typedef struct cfg_ctx {
    const char *file; /* the name messages start with */
    const char *dir;  /* absolute; relative paths resolve against it */
    cfg_errors *errs;
    cfg_pending *pending; /* owned; moved into errs by ctx_flush */
    size_t pending_count;
    int in_default; /* checking a declared default, not the user's text */
} cfg_ctx;

static void ctx_error(cfg_ctx *c, int line, int col, const char *path, const char *fmt, ...)
    GW_PRINTF(5, 6);

static void ctx_error(cfg_ctx *c, int line, int col, const char *path, const char *fmt, ...)
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

/* Move the collected errors into the caller's list, sorted so the user
 * reads them top to bottom, whatever order the checks ran in. */
static void ctx_flush(cfg_ctx *c)
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

/* What a value of the option's type looks like, for "expected ...".
 * with_range adds the bounds or allowed values. */
static void expected_text(const gw_option *o, int with_range, char *buf, size_t len)
{
    char lo[48], hi[48];
    int bounded = with_range && (o->flags & GW_OPTF_BOUNDED);

    if (bounded) {
        config_format_bound(o, o->min, lo, sizeof lo);
        config_format_bound(o, o->max, hi, sizeof hi);
    }
    switch (o->type) {
    case GW_OPT_STRING:
        if (with_range && o->allowed) {
            cfg_word w[64];
            size_t i, n = split_allowed(o->allowed, w, 64), off;
            off = (size_t)snprintf(buf, len, "one of ");
            for (i = 0; i < n && off < len; i++)
                off += (size_t)snprintf(buf + off, len - off, "%s\"%.*s\"", i ? ", " : "",
                                        (int)w[i].len, w[i].s);
        } else {
            snprintf(buf, len, "a string");
        }
        break;
    case GW_OPT_INT:
        if (bounded)
            snprintf(buf, len, "an integer from %s to %s", lo, hi);
        else
            snprintf(buf, len, "an integer");
        break;
    case GW_OPT_FLOAT:
        if (bounded)
            snprintf(buf, len, "a number from %s to %s", lo, hi);
        else
            snprintf(buf, len, "a number");
        break;
    case GW_OPT_BOOL:
        snprintf(buf, len, "true or false");
        break;
    case GW_OPT_DURATION:
        if (bounded)
            snprintf(buf, len, "a duration from %s to %s", lo, hi);
        else
            snprintf(buf, len, "a duration like \"30s\" or \"5m\"");
        break;
    case GW_OPT_SIZE:
        if (bounded)
            snprintf(buf, len, "a size from %s to %s", lo, hi);
        else
            snprintf(buf, len, "a size like \"64KB\" or \"10MB\"");
        break;
    case GW_OPT_STRING_ARRAY:
        snprintf(buf, len, "an array of strings");
        break;
    }
}

static int type_error(cfg_ctx *c, const gw_option *o, const toml_value *v, const char *path)
{
    char exp[1024], found[QUOTE_BUF + 64];

    /* Durations and sizes: the shape matters more than the range here. */
    expected_text(o, o->type != GW_OPT_DURATION && o->type != GW_OPT_SIZE, exp, sizeof exp);
    describe_value(v, (o->flags & GW_OPTF_SECRET) != 0, found, sizeof found);
    ctx_error(c, v->line, v->column, path, "expected %s, found %s", exp, found);
    return GW_EINVAL;
}

/* "found" text for a string value: the expanded text, with the text as
 * written when ${ENV} changed it; nothing of a secret. */
static void describe_string(const gw_option *o, const char *raw, const char *value, char *buf,
                            size_t len)
{
    char q1[QUOTE_BUF], q2[QUOTE_BUF];

    if (o->flags & GW_OPTF_SECRET) {
        snprintf(buf, len, "a string (value hidden)");
        return;
    }
    quote(value, strlen(value), q1);
    if (strcmp(raw, value) == 0) {
        snprintf(buf, len, "%s", q1);
    } else {
        quote(raw, strlen(raw), q2);
        snprintf(buf, len, "%s (from %s)", q1, q2);
    }
}

/* Expand ${ENV} in a TOML string. Returns 0 and sets *out (caller frees),
 * GW_EINVAL after reporting, or GW_ENOMEM. */
static int expand_value(cfg_ctx *c, const gw_option *o, const toml_value *v, const char *path,
                        char **out)
{
    char missing[128], q[QUOTE_BUF];
    const char *why = "";
    size_t at = 0;
    int rc;

    if (strlen(v->u.string.ptr) != v->u.string.len) {
        ctx_error(c, v->line, v->column, path,
                  "expected a string without NUL characters, found a string with \"\\u0000\"");
        return GW_EINVAL;
    }
    rc = expand_env(v->u.string.ptr, out, missing, sizeof missing, &why, &at);
    if (rc == GW_ENOENT) {
        ctx_error(c, v->line, v->column, path, "environment variable \"%s\" is not set", missing);
        return GW_EINVAL;
    }
    if (rc == GW_EINVAL) {
        const char *ref = v->u.string.ptr + at;
        size_t n = strcspn(ref, "}");
        quote(ref, ref[n] ? n + 1 : n, q);
        ctx_error(c, v->line, v->column, path,
                  "expected \"${NAME}\" to insert an environment variable (or \"$${\" for a "
                  "literal \"${\"), found %s (%s)",
                  (o->flags & GW_OPTF_SECRET) ? "a malformed reference" : q, why);
        return GW_EINVAL;
    }
    return rc;
}

/* Check a string against the allowed values; for a STRING_ARRAY key each
 * item must be one of them. Returns 0 or GW_EINVAL. */
static int check_allowed(cfg_ctx *c, const gw_option *o, const toml_value *v, const char *path,
                         const char *value)
{
    cfg_word w[64];
    const cfg_word *guess;
    char exp[1024], found[2 * QUOTE_BUF + 16], q[QUOTE_BUF];
    gw_option item = *o;
    size_t i, n;

    if (!o->allowed)
        return 0;
    n = split_allowed(o->allowed, w, 64);
    for (i = 0; i < n; i++)
        if (strlen(value) == w[i].len && strncmp(value, w[i].s, w[i].len) == 0)
            return 0;
    /* An array's items are checked one by one: word it as for a string. */
    item.type = GW_OPT_STRING;
    expected_text(&item, 1, exp, sizeof exp);
    describe_string(o, v->u.string.ptr, value, found, sizeof found);
    guess = (o->flags & GW_OPTF_SECRET) ? NULL : suggest(value, strlen(value), w, n);
    if (guess) {
        quote(guess->s, guess->len, q);
        ctx_error(c, v->line, v->column, path, "expected %s, found %s; did you mean %s?", exp,
                  found, q);
    } else {
        ctx_error(c, v->line, v->column, path, "expected %s, found %s", exp, found);
    }
    return GW_EINVAL;
}

/* Resolve a relative path against the config file's directory.
 * Returns a new string (caller frees) or NULL when out of memory. */
static char *resolve_path(const char *dir, const char *p)
{
    size_t dl;
    char *out;

    /* "" stays "": for an optional path it means "none". */
    if (p[0] == '\0' || p[0] == '/')
        return strdup(p);
    while (p[0] == '.' && p[1] == '/') {
        p += 2;
        while (*p == '/')
            p++;
    }
    if (strcmp(p, ".") == 0 || *p == '\0')
        return strdup(dir);
    dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/')
        dl--;
    out = malloc(dl + 1 + strlen(p) + 1);
    if (!out)
        return NULL;
    memcpy(out, dir, dl);
    out[dl] = '\0';
    if (dl == 0 || dir[dl - 1] != '/')
        strcat(out, "/");
    strcat(out, p);
    return out;
}

static int check_string(cfg_ctx *c, const gw_option *o, const toml_value *v, const char *path,
                        json_t **out)
{
    char *value = NULL, *resolved = NULL;
    int rc;

    rc = expand_value(c, o, v, path, &value);
    if (rc < 0)
        return rc;
    rc = check_allowed(c, o, v, path, value);
    if (rc < 0)
        goto done;
    if (config_option_is_path(o)) {
        resolved = resolve_path(c->dir, value);
        if (!resolved) {
            rc = GW_ENOMEM;
            goto done;
        }
    }
    *out = json_string(resolved ? resolved : value);
    if (!*out)
        rc = GW_ENOMEM;
done:
    free(resolved);
    free(value);
    return rc;
}

/* Duration or size, from a string, an integer or a float (a bare number
 * counts in the syntax's bare unit: seconds, bytes). */
static int check_quantity(cfg_ctx *c, const gw_option *o, const toml_value *v, const char *path,
                          json_t **out)
{
    const cfg_quantity_syntax *syn = o->type == GW_OPT_DURATION ? &duration_syntax : &size_syntax;
    char *text = NULL, why[128] = "", exp[256], found[2 * QUOTE_BUF + 16], num[64];
    const char *raw, *input; /* as written; what is parsed (after ${ENV}) */
    uint64_t value = 0;
    int rc;

    switch (v->type) {
    case TOML_STRING:
        rc = expand_value(c, o, v, path, &text);
        if (rc < 0)
            return rc;
        raw = v->u.string.ptr;
        input = text;
        break;
    case TOML_INTEGER:
        snprintf(num, sizeof num, "%lld", (long long)v->u.integer);
        raw = input = num;
        break;
    case TOML_FLOAT:
        format_float(v->u.floating, num, sizeof num);
        raw = input = num;
        break;
    default:
        return type_error(c, o, v, path);
    }
    rc = parse_quantity(input, syn, &value, why, sizeof why);
    if (rc < 0) {
        if (o->flags & GW_OPTF_SECRET)
            why[0] = '\0'; /* "unknown unit" would quote part of the value */
        if (v->type == TOML_STRING)
            describe_string(o, raw, input, found, sizeof found);
        else
            describe_value(v, (o->flags & GW_OPTF_SECRET) != 0, found, sizeof found);
        expected_text(o, 0, exp, sizeof exp);
        ctx_error(c, v->line, v->column, path, "expected %s, found %s%s%s%s", exp, found,
                  why[0] ? " (" : "", why, why[0] ? ")" : "");
        rc = GW_EINVAL;
        goto done;
    }
    if ((o->flags & GW_OPTF_BOUNDED) && ((double)value < o->min || (double)value > o->max)) {
        if (v->type == TOML_STRING)
            describe_string(o, raw, input, found, sizeof found);
        else
            describe_value(v, (o->flags & GW_OPTF_SECRET) != 0, found, sizeof found);
        expected_text(o, 1, exp, sizeof exp);
        ctx_error(c, v->line, v->column, path, "expected %s, found %s", exp, found);
        rc = GW_EINVAL;
        goto done;
    }
    *out = json_integer((json_int_t)value);
    rc = *out ? 0 : GW_ENOMEM;
done:
    free(text);
    return rc;
}

static int check_number(cfg_ctx *c, const gw_option *o, const toml_value *v, const char *path,
                        json_t **out)
{
    char exp[256], found[QUOTE_BUF + 64];
    double d;

    if (o->type == GW_OPT_INT && v->type != TOML_INTEGER)
        return type_error(c, o, v, path);
    if (o->type == GW_OPT_FLOAT && v->type != TOML_INTEGER && v->type != TOML_FLOAT)
        return type_error(c, o, v, path);
    d = v->type == TOML_INTEGER ? (double)v->u.integer : v->u.floating;
    if (!isfinite(d)) {
        describe_value(v, (o->flags & GW_OPTF_SECRET) != 0, found, sizeof found);
        ctx_error(c, v->line, v->column, path, "expected a finite number, found %s", found);
        return GW_EINVAL;
    }
    if ((o->flags & GW_OPTF_BOUNDED) && (d < o->min || d > o->max)) {
        expected_text(o, 1, exp, sizeof exp);
        describe_value(v, (o->flags & GW_OPTF_SECRET) != 0, found, sizeof found);
        ctx_error(c, v->line, v->column, path, "expected %s, found %s", exp, found);
        return GW_EINVAL;
    }
    *out = o->type == GW_OPT_INT ? json_integer((json_int_t)v->u.integer) : json_real(d);
    return *out ? 0 : GW_ENOMEM;
}

static int check_string_array(cfg_ctx *c, const gw_option *o, const toml_value *v, const char *path,
                              json_t **out)
{
    json_t *arr;
    size_t i;
    int rc = 0;

    if (v->type != TOML_ARRAY)
        return type_error(c, o, v, path);
    arr = json_array();
    if (!arr)
        return GW_ENOMEM;
    for (i = 0; i < v->u.array.len; i++) {
        const toml_value *item = v->u.array.items[i];
        char ipath[PATH_BUF], found[QUOTE_BUF + 64], *s = NULL;
        int irc;

        path_index(ipath, path, i);
        if (item->type != TOML_STRING) {
            describe_value(item, (o->flags & GW_OPTF_SECRET) != 0, found, sizeof found);
            ctx_error(c, item->line, item->column, ipath, "expected a string, found %s", found);
            rc = GW_EINVAL;
            continue;
        }
        irc = expand_value(c, o, item, ipath, &s);
        if (irc == 0)
            irc = check_allowed(c, o, item, ipath, s);
        if (irc == 0 && json_array_append_new(arr, json_string(s)) < 0)
            irc = GW_ENOMEM;
        free(s);
        if (irc == GW_ENOMEM) {
            json_decref(arr);
            return irc;
        }
        if (irc < 0)
            rc = irc;
    }
    if (rc < 0) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return 0;
}

/* Check one present value against its declaration. Returns 0 and sets
 * *out (a new reference), GW_EINVAL after reporting, or GW_ENOMEM. */
static int check_value(cfg_ctx *c, const gw_option *o, const toml_value *v, const char *path,
                       json_t **out)
{
    *out = NULL;
    switch (o->type) {
    case GW_OPT_STRING:
        if (v->type != TOML_STRING)
            return type_error(c, o, v, path);
        return check_string(c, o, v, path, out);
    case GW_OPT_INT:
    case GW_OPT_FLOAT:
        return check_number(c, o, v, path, out);
    case GW_OPT_BOOL:
        if (v->type != TOML_BOOL)
            return type_error(c, o, v, path);
        *out = json_boolean(v->u.boolean);
        return *out ? 0 : GW_ENOMEM;
    case GW_OPT_DURATION:
    case GW_OPT_SIZE:
        return check_quantity(c, o, v, path, out);
    case GW_OPT_STRING_ARRAY:
        return check_string_array(c, o, v, path, out);
    }
    ctx_error(c, v->line, v->column, path, "the key is declared with an unknown type %d",
              (int)o->type);
    return GW_EINVAL;
}

/* Check a declared default exactly as if the user had written it, so a
 * default follows the same rules (units, ${ENV}, path resolution). The
 * text becomes a TOML value of the type a user would have used; it has no
 * position in the file, so a broken default (a bug in a declaration) is
 * reported without one. */
static int check_default(cfg_ctx *c, const gw_option *o, const char *path, json_t **out)
{
    const char *d = o->default_value;
    toml_value v, *items = NULL, **ptrs = NULL;
    char *end = NULL;
    size_t i, n = 0;
    int rc;

    memset(&v, 0, sizeof v);
    c->in_default = 1;
    switch (o->type) {
    case GW_OPT_INT:
    case GW_OPT_FLOAT:
        errno = 0;
        if (o->type == GW_OPT_INT) {
            v.type = TOML_INTEGER;
            v.u.integer = strtoll(d, &end, 10);
        } else {
            v.type = TOML_FLOAT;
            v.u.floating = strtod(d, &end);
        }
        if (!*d || *end || errno) {
            v.type = TOML_STRING;
            v.u.string.ptr = (char *)d;
            v.u.string.len = strlen(d);
            rc = type_error(c, o, &v, path);
            goto done;
        }
        break;
    case GW_OPT_BOOL:
        v.type = TOML_BOOL;
        v.u.boolean = strcmp(d, "true") == 0;
        if (!v.u.boolean && strcmp(d, "false") != 0) {
            v.type = TOML_STRING;
            v.u.string.ptr = (char *)d;
            v.u.string.len = strlen(d);
        }
        break;
    case GW_OPT_STRING_ARRAY:
        /* "a,b,c": the items, split at commas; "" is the empty array. */
        if (*d)
            for (n = 1, i = 0; d[i]; i++)
                n += d[i] == ',';
        items = calloc(n ? n : 1, sizeof *items);
        ptrs = calloc(n ? n : 1, sizeof *ptrs);
        if (!items || !ptrs) {
            rc = GW_ENOMEM;
            goto done;
        }
        for (i = 0; i < n; i++) {
            size_t len = strcspn(d, ",");
            items[i].type = TOML_STRING;
            items[i].u.string.ptr = strndup(d, len);
            if (!items[i].u.string.ptr) {
                rc = GW_ENOMEM;
                goto done;
            }
            items[i].u.string.len = len;
            ptrs[i] = &items[i];
            d += len + (d[len] == ',');
        }
        v.type = TOML_ARRAY;
        v.u.array.items = ptrs;
        v.u.array.len = n;
        break;
    default:
        v.type = TOML_STRING;
        v.u.string.ptr = (char *)d;
        v.u.string.len = strlen(d);
        break;
    }
    rc = check_value(c, o, &v, path, out);
done:
    c->in_default = 0;
    if (items)
        for (i = 0; i < n; i++)
            free(items[i].u.string.ptr);
    free(items);
    free(ptrs);
    return rc;
}

int config_check_declaration(const gw_option *opts, const char *owner, cfg_errors *errs)
{
    cfg_ctx c = {.file = owner, .dir = "/", .errs = errs};
    size_t before = errs->count;
    int rc = GW_OK;

    for (size_t i = 0; opts != NULL && opts[i].name != NULL; i++) {
        const gw_option *o = &opts[i];
        json_t *value = NULL;
        if (i >= 1024) {
            cfg_errors_add(errs, "%s: the option list is not ended by a NULL name", owner);
            return GW_EINVAL;
        }
        if (o->type < GW_OPT_STRING || o->type > GW_OPT_STRING_ARRAY) {
            ctx_error(&c, 0, 0, o->name, "unknown option type %d", (int)o->type);
            continue;
        }
        if (o->help == NULL || o->help[0] == '\0') {
            ctx_error(&c, 0, 0, o->name, "the declaration has no help line");
            continue;
        }
        if (o->default_value == NULL)
            continue;
        rc = check_default(&c, o, o->name, &value);
        json_decref(value);
        if (rc == GW_ENOMEM)
            break;
    }
    ctx_flush(&c);
    if (rc == GW_ENOMEM)
        return rc;
    return errs->count > before ? GW_EINVAL : GW_OK;
}

/* ---- tables -------------------------------------------------------------- */

/* The keys a table may hold: up to two declaration arrays (common keys,
 * then a sink type's own) and one key kept raw for later validation. */
typedef struct cfg_schema {
    const gw_option *parts[2];
    const char *raw_key;
    int report_unknown; /* 0 when the declared keys are not known for sure */
} cfg_schema;

static const gw_option *schema_find(const cfg_schema *s, const char *name, size_t len)
{
    size_t p, i;

    if (strlen(name) != len)
        return NULL;
    for (p = 0; p < 2; p++)
        for (i = 0; s->parts[p] && s->parts[p][i].name; i++)
            if (strcmp(s->parts[p][i].name, name) == 0)
                return &s->parts[p][i];
    return NULL;
}

/* The position of a table for "missing key" messages: where its header
 * is, or where the enclosing thing is when the table is absent. */
static void table_pos(const toml_value *table, int line, int col, int *tl, int *tc)
{
    *tl = table && table->line > 0 ? table->line : line;
    *tc = table && table->line > 0 ? table->column : col;
}

static void report_unknown_key(cfg_ctx *c, const cfg_schema *s, const toml_keyval *kv,
                               const char *path)
{
    cfg_word words[128];
    const cfg_word *guess;
    char kpath[PATH_BUF], list[1024], q[QUOTE_BUF];
    size_t p, i, n = 0, off = 0;

    for (p = 0; p < 2; p++)
        for (i = 0; s->parts[p] && s->parts[p][i].name && n < 127; i++) {
            words[n].s = s->parts[p][i].name;
            words[n++].len = strlen(s->parts[p][i].name);
        }
    if (s->raw_key) {
        words[n].s = s->raw_key;
        words[n++].len = strlen(s->raw_key);
    }
    path_key(kpath, path, kv->key, kv->key_len);
    guess = suggest(kv->key, kv->key_len, words, n);
    if (guess) {
        quote(guess->s, guess->len, q);
        ctx_error(c, kv->line, kv->column, kpath, "unknown key; did you mean %s?", q);
        return;
    }
    if (n == 0) {
        ctx_error(c, kv->line, kv->column, kpath, "unknown key; this table takes no keys");
        return;
    }
    list[0] = '\0';
    for (i = 0; i < n && off < sizeof list; i++)
        off += (size_t)snprintf(list + off, sizeof list - off, "%s%.*s", i ? ", " : "",
                                (int)words[i].len, words[i].s);
    ctx_error(c, kv->line, kv->column, kpath, "unknown key; expected one of %s", list);
}

/* Validate `table` (NULL: absent, so every key takes its default) against
 * s. line/col locate the table when it is absent. Returns 0 and sets *out
 * (caller decrefs) to an object holding every declared key (JSON null for
 * an optional key without default); or GW_EINVAL after reporting, with
 * *out still set (caller decrefs) to the keys that passed, so later checks
 * such as duplicate names still run; or GW_ENOMEM with *out NULL. */
static int validate_table(cfg_ctx *c, const cfg_schema *s, const toml_value *table, int line,
                          int col, const char *path, json_t **out)
{
    json_t *obj = json_object();
    size_t p, i, j;
    int tl, tc, rc = 0;

    *out = NULL;
    if (!obj)
        return GW_ENOMEM;
    table_pos(table, line, col, &tl, &tc);
    for (p = 0; p < 2; p++) {
        for (i = 0; s->parts[p] && s->parts[p][i].name; i++) {
            const gw_option *o = &s->parts[p][i];
            const toml_keyval *kv;
            char kpath[PATH_BUF];
            json_t *val = NULL;
            int vrc;

            /* The first declaration of a name wins (common sink keys
             * over a type's); skip a later duplicate. */
            if (schema_find(s, o->name, strlen(o->name)) != o)
                continue;
            path_key(kpath, path, o->name, strlen(o->name));
            kv = table ? toml_table_find(table, o->name) : NULL;
            if (kv) {
                vrc = check_value(c, o, kv->value, kpath, &val);
            } else if (o->flags & GW_OPTF_REQUIRED) {
                ctx_error(c, tl, tc, path, "missing required key \"%s\"%s%s%s", o->name,
                          o->help ? " (" : "", o->help ? o->help : "", o->help ? ")" : "");
                vrc = GW_EINVAL;
            } else if (o->default_value) {
                vrc = check_default(c, o, kpath, &val);
            } else {
                val = json_null();
                vrc = 0;
            }
            if (vrc == GW_ENOMEM || (vrc == 0 && json_object_set_new(obj, o->name, val) < 0)) {
                rc = GW_ENOMEM;
                goto fail;
            }
            if (vrc < 0)
                rc = vrc;
        }
    }
    for (j = 0; table && s->report_unknown && j < table->u.table.len; j++) {
        const toml_keyval *kv = &table->u.table.items[j];
        if (schema_find(s, kv->key, kv->key_len))
            continue;
        if (s->raw_key && strlen(kv->key) == kv->key_len && strcmp(kv->key, s->raw_key) == 0)
            continue;
        report_unknown_key(c, s, kv, path);
        rc = GW_EINVAL;
    }
    *out = obj;
    return rc;
fail:
    json_decref(obj);
    return rc;
}

/* "expected a table ([gateway]), found ..." for a section of the wrong
 * kind; `what` names the right kind the way the user would write it. */
static void section_kind_error(cfg_ctx *c, const toml_keyval *kv, const char *path,
                               const char *what)
{
    char found[QUOTE_BUF + 64];

    describe_value(kv->value, 0, found, sizeof found);
    ctx_error(c, kv->value->line ? kv->value->line : kv->line,
              kv->value->line ? kv->value->column : kv->column, path, "expected %s, found %s", what,
              found);
}

/* ---- sections ------------------------------------------------------------ */

static const gw_option *find_option(const gw_option *opts, const char *name)
{
    for (; opts && opts->name; opts++)
        if (strcmp(opts->name, name) == 0)
            return opts;
    return NULL;
}

/* retry_base above retry_max would make the backoff shrink; say which of
 * the two the user wrote so the message points at a line they own. */
static int check_retry_order(cfg_ctx *c, const toml_value *table, json_t *gw)
{
    json_int_t base = json_integer_value(json_object_get(gw, "retry_base"));
    json_int_t max = json_integer_value(json_object_get(gw, "retry_max"));
    const toml_keyval *kmax = toml_table_find(table, "retry_max");
    const toml_keyval *kbase = toml_table_find(table, "retry_base");
    const toml_keyval *at = kmax ? kmax : kbase;
    char bound[48], found[2 * QUOTE_BUF];
    const gw_option *o = find_option(config_gateway_options, "retry_base");

    if (base <= max || !at)
        return 0;
    config_format_bound(o, (double)(kmax ? base : max), bound, sizeof bound);
    describe_value(at->value, 0, found, sizeof found);
    ctx_error(c, at->value->line, at->value->column,
              kmax ? "gateway.retry_max" : "gateway.retry_base",
              "expected a duration %s retry_%s (%s), found %s", kmax ? "at least" : "at most",
              kmax ? "base" : "max", bound, found);
    return GW_EINVAL;
}

static int load_http(cfg_ctx *c, const toml_keyval *kv, gw_config *cfg)
{
    const cfg_schema s = {{config_http_options, NULL}, NULL, 1};
    const toml_value *table = kv ? kv->value : NULL;

    if (table && table->type != TOML_TABLE) {
        section_kind_error(c, kv, "http", "a table ([http])");
        return GW_EINVAL;
    }
    return validate_table(c, &s, table, 0, 0, "http", &cfg->http);
}

/* [api] (action API). A token shorter than CONFIG_API_TOKEN_MIN is refused
 * rather than accepted as a guessable secret; the message gives its length
 * only, never the value. */
static int load_api(cfg_ctx *c, const toml_keyval *kv, gw_config *cfg)
{
    const cfg_schema s = {{config_api_options, NULL}, NULL, 1};
    const toml_value *table = kv ? kv->value : NULL;
    int rc;

    if (table && table->type != TOML_TABLE) {
        section_kind_error(c, kv, "api", "a table ([api])");
        return GW_EINVAL;
    }
    rc = validate_table(c, &s, table, 0, 0, "api", &cfg->api);
    const char *token = json_string_value(json_object_get(cfg->api, "token"));
    const toml_keyval *at = table ? toml_table_find(table, "token") : NULL;
    if (rc == 0 && token != NULL && at != NULL && strlen(token) < CONFIG_API_TOKEN_MIN) {
        ctx_error(c, at->value->line, at->value->column, "api.token",
                  "expected a secret of at least %d characters, found one of %zu",
                  CONFIG_API_TOKEN_MIN, strlen(token));
        rc = GW_EINVAL;
    }
    return rc;
}

static int load_gateway(cfg_ctx *c, const toml_keyval *kv, gw_config *cfg)
{
    const cfg_schema s = {{config_gateway_options, NULL}, NULL, 1};
    const toml_value *table = kv ? kv->value : NULL;
    int rc;

    if (table && table->type != TOML_TABLE) {
        section_kind_error(c, kv, "gateway", "a table ([gateway])");
        return GW_EINVAL;
    }
    rc = validate_table(c, &s, table, 0, 0, "gateway", &cfg->gateway);
    if (rc == 0 && table)
        rc = check_retry_order(c, table, cfg->gateway);
    return rc;
}

/* The array of tables under a top-level key, or NULL after reporting. */
static const toml_value *section_array(cfg_ctx *c, const toml_keyval *kv, const char *name,
                                       const char *what)
{
    const toml_value *arr = kv->value;
    size_t i;
    int ok = 1;

    if (arr->type != TOML_ARRAY) {
        section_kind_error(c, kv, name, what);
        return NULL;
    }
    for (i = 0; i < arr->u.array.len; i++) {
        const toml_value *item = arr->u.array.items[i];
        char ipath[PATH_BUF], found[QUOTE_BUF + 64];
        if (item->type == TOML_TABLE)
            continue;
        path_index(ipath, name, i);
        describe_value(item, 0, found, sizeof found);
        ctx_error(c, item->line, item->column, ipath, "expected a table, found %s", found);
        ok = 0;
    }
    return ok ? arr : NULL;
}

static int load_accounts(cfg_ctx *c, const toml_keyval *kv, gw_config *cfg)
{
    const cfg_schema s = {{config_account_options, NULL}, CONFIG_ACCOUNT_OPTIONS_KEY, 1};
    const toml_value *arr = section_array(c, kv, "account", "an array of tables ([[account]])");
    size_t i, j;
    int rc = 0;

    if (!arr)
        return GW_EINVAL;
    if (arr->u.array.len == 0)
        return 0;
    cfg->accounts = calloc(arr->u.array.len, sizeof *cfg->accounts);
    if (!cfg->accounts)
        return GW_ENOMEM;
    for (i = 0; i < arr->u.array.len; i++) {
        const toml_value *t = arr->u.array.items[i];
        const toml_keyval *opts = toml_table_find(t, CONFIG_ACCOUNT_OPTIONS_KEY);
        cfg_account *a = &cfg->accounts[cfg->account_count++];
        char path[PATH_BUF];
        int trc;

        path_index(path, "account", i);
        a->line = t->line;
        a->column = t->column;
        trc = validate_table(c, &s, t, 0, 0, path, &a->settings);
        if (trc == GW_ENOMEM)
            return trc;
        if (trc < 0)
            rc = trc;
        if (opts && opts->value->type != TOML_TABLE) {
            char opath[PATH_BUF];
            path_key(opath, path, CONFIG_ACCOUNT_OPTIONS_KEY, strlen(CONFIG_ACCOUNT_OPTIONS_KEY));
            section_kind_error(c, opts, opath, "a table ([account.options])");
            rc = GW_EINVAL;
        } else if (opts) {
            a->options = opts->value;
        }
        if (a->settings) {
            a->network = json_string_value(json_object_get(a->settings, "network"));
            a->name = json_string_value(json_object_get(a->settings, "name"));
        }
    }
    /* A second account with the same network and name would share the
     * first one's cursors and state; report it where the second starts. */
    for (i = 1; i < cfg->account_count; i++) {
        const cfg_account *a = &cfg->accounts[i];
        for (j = 0; a->network && a->name && j < i; j++) {
            const cfg_account *b = &cfg->accounts[j];
            char path[PATH_BUF], qn[QUOTE_BUF], qa[QUOTE_BUF];
            if (!b->network || !b->name || strcmp(a->network, b->network) != 0 ||
                strcmp(a->name, b->name) != 0)
                continue;
            path_index(path, "account", i);
            quote(a->network, strlen(a->network), qn);
            quote(a->name, strlen(a->name), qa);
            ctx_error(c, a->line, a->column, path,
                      "duplicate account: network %s with name %s is already defined at line "
                      "%d (account[%zu])",
                      qn, qa, b->line, j);
            rc = GW_EINVAL;
            break;
        }
    }
    return rc;
}

/* The sink's declared keys: the common ones plus its type's, known only
 * once "type" names a built-in type. */
static int load_one_sink(cfg_ctx *c, const gw_option *common, const toml_value *t, size_t i,
                         cfg_sink *sk)
{
    const toml_keyval *tkv = toml_table_find(t, "type");
    const sink_type *type = NULL;
    cfg_schema s = {{common, NULL}, NULL, 0};
    char path[PATH_BUF];

    if (tkv && tkv->value->type == TOML_STRING &&
        strlen(tkv->value->u.string.ptr) == tkv->value->u.string.len) {
        char *name = NULL;
        /* Errors in the value are reported when "type" itself is checked;
         * here only the lookup matters. */
        if (cfg_expand_env(tkv->value->u.string.ptr, &name, NULL, 0) == 0)
            type = sink_type_find(name);
        free(name);
    }
    if (type) {
        s.parts[1] = type->options;
        s.report_unknown = 1;
    }
    path_index(path, "sink", i);
    sk->line = t->line;
    sk->column = t->column;
    return validate_table(c, &s, t, 0, 0, path, &sk->settings);
}

static int load_sinks(cfg_ctx *c, const toml_keyval *kv, gw_config *cfg)
{
    gw_option common[CONFIG_SINK_COMMON_MAX];
    const toml_value *arr = section_array(c, kv, "sink", "an array of tables ([[sink]])");
    char *type_names = NULL;
    size_t i, j;
    int rc;

    if (!arr)
        return GW_EINVAL;
    if (arr->u.array.len == 0)
        return 0;
    rc = config_sink_common_options(common, &type_names);
    if (rc < 0)
        return rc;
    cfg->sinks = calloc(arr->u.array.len, sizeof *cfg->sinks);
    if (!cfg->sinks) {
        rc = GW_ENOMEM;
        goto done;
    }
    for (i = 0; i < arr->u.array.len; i++) {
        cfg_sink *sk = &cfg->sinks[cfg->sink_count++];
        int trc = load_one_sink(c, common, arr->u.array.items[i], i, sk);
        if (trc == GW_ENOMEM) {
            rc = trc;
            goto done;
        }
        if (trc < 0)
            rc = trc;
        if (sk->settings) {
            sk->name = json_string_value(json_object_get(sk->settings, "name"));
            sk->type = json_string_value(json_object_get(sk->settings, "type"));
        }
    }
    /* The sink's name keys its durable cursor, so it must be unique. */
    for (i = 1; i < cfg->sink_count; i++) {
        const cfg_sink *a = &cfg->sinks[i];
        for (j = 0; a->name && j < i; j++) {
            const cfg_sink *b = &cfg->sinks[j];
            const toml_keyval *nkv = toml_table_find(arr->u.array.items[i], "name");
            char path[PATH_BUF], q[QUOTE_BUF];
            if (!b->name || strcmp(a->name, b->name) != 0)
                continue;
            path_index(path, "sink", i);
            strncat(path, ".name", sizeof path - strlen(path) - 1);
            quote(a->name, strlen(a->name), q);
            ctx_error(c, nkv->value->line, nkv->value->column, path,
                      "duplicate sink name %s: already used at line %d (sink[%zu])", q, b->line, j);
            rc = GW_EINVAL;
            break;
        }
    }
done:
    free(type_names);
    return rc;
}

static int validate_document(cfg_ctx *c, gw_config *cfg)
{
    static const cfg_word top[] = {{"gateway", 7}, {"http", 4}, {"api", 3}, {"account", 7},
                                   {"sink", 4}};
    const size_t ntop = sizeof top / sizeof top[0];
    const toml_value *root = cfg->doc;
    int rc, result = 0;
    size_t i;

    for (i = 0; i < root->u.table.len; i++) {
        const toml_keyval *kv = &root->u.table.items[i];
        const cfg_word *guess;
        char kpath[PATH_BUF], q[QUOTE_BUF];
        size_t t;

        for (t = 0; t < ntop; t++)
            if (kv->key_len == top[t].len && memcmp(kv->key, top[t].s, top[t].len) == 0)
                break;
        if (t < ntop)
            continue;
        path_key(kpath, "", kv->key, kv->key_len);
        guess = suggest(kv->key, kv->key_len, top, ntop);
        if (guess) {
            quote(guess->s, guess->len, q);
            ctx_error(c, kv->line, kv->column, kpath, "unknown key; did you mean %s?", q);
        } else {
            ctx_error(c, kv->line, kv->column, kpath,
                      "unknown key; expected one of gateway, http, api, account, sink");
        }
        result = GW_EINVAL;
    }
    rc = load_gateway(c, toml_table_find(root, "gateway"), cfg);
    if (rc == GW_ENOMEM)
        return rc;
    if (rc < 0)
        result = rc;
    rc = load_http(c, toml_table_find(root, "http"), cfg);
    if (rc == GW_ENOMEM)
        return rc;
    if (rc < 0)
        result = rc;
    rc = load_api(c, toml_table_find(root, "api"), cfg);
    if (rc == GW_ENOMEM)
        return rc;
    if (rc < 0)
        result = rc;
    if (toml_table_find(root, "account")) {
        rc = load_accounts(c, toml_table_find(root, "account"), cfg);
        if (rc == GW_ENOMEM)
            return rc;
        if (rc < 0)
            result = rc;
    }
    if (toml_table_find(root, "sink")) {
        rc = load_sinks(c, toml_table_find(root, "sink"), cfg);
        if (rc == GW_ENOMEM)
            return rc;
        if (rc < 0)
            result = rc;
    }
    return result;
}

/* ---- loading ------------------------------------------------------------- */

/* An absolute form of dir (the working directory when NULL or empty).
 * Returns a new string (caller frees) or NULL when out of memory. */
static char *absolute_dir(const char *dir)
{
    char *real, *cwd = NULL, *out = NULL;

    if (!dir || !*dir)
        dir = ".";
    real = realpath(dir, NULL);
    if (real)
        return real;
    /* The directory may not exist (config_load_string in tests); make
     * it absolute without touching the file system. */
    if (dir[0] == '/')
        return strdup(dir);
    cwd = getcwd(NULL, 0);
    if (cwd)
        out = resolve_path(cwd, dir);
    free(cwd);
    return out;
}

void config_free(gw_config *cfg)
{
    size_t i;

    if (!cfg)
        return;
    for (i = 0; i < cfg->sink_count; i++)
        json_decref(cfg->sinks[i].settings);
    free(cfg->sinks);
    for (i = 0; i < cfg->account_count; i++)
        json_decref(cfg->accounts[i].settings);
    free(cfg->accounts);
    json_decref(cfg->gateway);
    json_decref(cfg->http);
    json_decref(cfg->api);
    toml_free(cfg->doc);
    free(cfg->dir);
    free(cfg->path);
    free(cfg);
}

int config_load_string(const char *text, size_t len, const char *display_name, const char *base_dir,
                       gw_config **out, cfg_errors *errs)
{
    cfg_errors scratch = {0};
    gw_config *cfg;
    toml_error terr;
    size_t errs_before;
    cfg_ctx c;
    int rc;

    *out = NULL;
    if (!errs)
        errs = &scratch;
    errs_before = errs->count;
    if (!display_name)
        display_name = "<string>";
    cfg = calloc(1, sizeof *cfg);
    if (!cfg)
        goto oom;
    cfg->path = strdup(display_name);
    cfg->dir = absolute_dir(base_dir);
    if (!cfg->path || !cfg->dir)
        goto oom;
    memset(&terr, 0, sizeof terr);
    rc = toml_parse(text ? text : "", text ? len : 0, &cfg->doc, &terr);
    if (rc == GW_ENOMEM)
        goto oom;
    if (rc < 0) {
        if (terr.line > 0)
            cfg_errors_add(errs, "%s:%d:%d: %s", display_name, terr.line, terr.column,
                           terr.message);
        else
            cfg_errors_add(errs, "%s: %s", display_name, terr.message);
        rc = GW_EPARSE;
        goto fail;
    }
    c = (cfg_ctx){display_name, cfg->dir, errs, NULL, 0, 0};
    rc = validate_document(&c, cfg);
    ctx_flush(&c);
    if (rc == GW_ENOMEM)
        goto oom;
    /* Belt and braces: a reported error must never yield a config. */
    if (rc == 0 && errs->count > errs_before)
        rc = GW_EINVAL;
    if (rc < 0)
        goto fail;
    *out = cfg;
    return 0;
oom:
    cfg_errors_add(errs, "%s: out of memory while reading the configuration", display_name);
    rc = GW_ENOMEM;
fail:
    config_free(cfg);
    cfg_errors_free(&scratch);
    return rc;
}

/* Read a whole file. Returns 0 and sets *text (caller frees) or GW_EIO /
 * GW_ENOMEM after adding a line to errs. */
static int read_file(const char *path, char **text, size_t *len, cfg_errors *errs)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long size;
    int rc = GW_EIO;

    if (!f) {
        cfg_errors_add(errs, "%s: cannot open the configuration file: %s", path, strerror(errno));
        return GW_EIO;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        cfg_errors_add(errs, "%s: cannot read the configuration file: %s", path, strerror(errno));
        goto fail;
    }
    if (size > CONFIG_MAX_FILE_SIZE) {
        cfg_errors_add(errs, "%s: expected a configuration file of at most 16MB, found %ld bytes",
                       path, size);
        goto fail;
    }
    buf = malloc((size_t)size + 1);
    if (!buf) {
        cfg_errors_add(errs, "%s: out of memory while reading the configuration", path);
        rc = GW_ENOMEM;
        goto fail;
    }
    if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
        cfg_errors_add(errs, "%s: cannot read the configuration file: %s", path,
                       ferror(f) ? strerror(errno) : "it changed while being read");
        goto fail;
    }
    buf[size] = '\0';
    fclose(f);
    *text = buf;
    *len = (size_t)size;
    return 0;
fail:
    free(buf);
    fclose(f);
    return rc;
}

int config_load(const char *path, gw_config **out, cfg_errors *errs)
{
    cfg_errors scratch = {0};
    const char *slash = strrchr(path, '/');
    char *text = NULL, *dir = NULL;
    size_t len = 0;
    int rc;

    *out = NULL;
    if (!errs)
        errs = &scratch;
    rc = read_file(path, &text, &len, errs);
    if (rc < 0)
        goto done;
    /* Relative paths in the file resolve against its own directory, so
     * the gateway behaves the same from any working directory. */
    if (!slash)
        dir = strdup(".");
    else if (slash == path)
        dir = strdup("/");
    else
        dir = strndup(path, (size_t)(slash - path));
    if (!dir) {
        cfg_errors_add(errs, "%s: out of memory while reading the configuration", path);
        rc = GW_ENOMEM;
        goto done;
    }
    rc = config_load_string(text, len, path, dir, out, errs);
done:
    free(dir);
    free(text);
    cfg_errors_free(&scratch);
    return rc;
}

int config_validate_options(const gw_config *cfg, size_t account_index, const gw_option *schema,
                            json_t **out, cfg_errors *errs)
{
    const cfg_schema s = {{schema, NULL}, NULL, 1};
    cfg_errors scratch = {0};
    const cfg_account *a;
    char path[PATH_BUF];
    cfg_ctx c;
    int rc;

    *out = NULL;
    if (!errs)
        errs = &scratch;
    if (!cfg || account_index >= cfg->account_count) {
        cfg_errors_add(errs, "%s: account[%zu]: no such account", cfg ? cfg->path : "config",
                       account_index);
        cfg_errors_free(&scratch);
        return GW_EINVAL;
    }
    a = &cfg->accounts[account_index];
    c = (cfg_ctx){cfg->path, cfg->dir, errs, NULL, 0, 0};
    snprintf(path, sizeof path, "account[%zu]." CONFIG_ACCOUNT_OPTIONS_KEY, account_index);
    rc = validate_table(&c, &s, a->options, a->line, a->column, path, out);
    ctx_flush(&c);
    if (rc < 0) {
        json_decref(*out);
        *out = NULL;
    }
    if (rc == GW_ENOMEM)
        cfg_errors_add(errs, "%s: out of memory while reading the configuration", cfg->path);
    cfg_errors_free(&scratch);
    return rc;
}
