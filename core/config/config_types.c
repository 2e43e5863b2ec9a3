/* config_types.c - the option types' rules: parsing durations and sizes
 * exactly (in integers), writing bounds back in units, the type names and
 * the path rule. Knows nothing of TOML or of where a value came from; the
 * validator (config_value.c) and the reference (config_reference.c) both
 * build on it. No state: the unit tables are constant.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config/config_types.h"
#include "gateway/error.h"

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

int config_parse_quantity(gw_option_type type, const char *text, uint64_t *out, char *why,
                          size_t whylen)
{
    return parse_quantity(text, type == GW_OPT_DURATION ? &duration_syntax : &size_syntax, out, why,
                          whylen);
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
