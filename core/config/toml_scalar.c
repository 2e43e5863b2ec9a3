/* toml_scalar.c - the TOML lexer's scalar values: which kind of value
 * starts at the cursor, and the scanners for integers (decimal, hex, octal,
 * binary), floats, booleans, dates, times and date-times; strings are
 * handed to toml_string.c.
 *
 * Built on the cursor (toml_lex.c); knows nothing about tables. Writes the
 * value into a toml_value the caller owns.
 */
#include "config/toml_scalar.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/error.h"
#include "config/toml_string.h"

/* Characters that can continue a number, date or keyword. Scanning the
 * whole run first lets "truex" or "1.2.3" be reported as one bad value. */
static int is_word_char(int c)
{
    return toml_is_bare_key_char(c) || c == '+' || c == '.' || c == ':';
}

static size_t word_end(const toml_lexer *lx, size_t pos)
{
    while (pos < lx->len && is_word_char((unsigned char)lx->text[pos]))
        pos++;
    return pos;
}

static int word_is(const toml_lexer *lx, size_t start, size_t end, const char *w)
{
    size_t n = strlen(w);
    return end - start == n && memcmp(lx->text + start, w, n) == 0;
}

static int fail_no_value(toml_lexer *lx, size_t start)
{
    char d[TOML_LEX_DESCRIBE_SIZE];
    size_t end = word_end(lx, start);
    int c = toml_lex_peek(lx);

    if (end > start && toml_is_alpha(c))
        return toml_lex_fail(
            lx, start, "expected a value, found '%.*s' (strings need quotes)",
            (int)(end - start > TOML_LEX_QUOTE_MAX ? TOML_LEX_QUOTE_MAX : end - start),
            lx->text + start);
    return toml_lex_fail(lx, start, "expected a value, found %s", toml_lex_describe(lx, start, d));
}

/* Read exactly `count` digits at *i (before end) as a date or time field. */
static int read_field(toml_lexer *lx, size_t *i, size_t end, int count, const char *what, int *out)
{
    char d[TOML_LEX_DESCRIBE_SIZE];
    int v = 0;

    for (int k = 0; k < count; k++) {
        if (*i >= end || !toml_is_digit((unsigned char)lx->text[*i]))
            return toml_lex_fail(lx, *i,
                                 "invalid date or time: expected %d digits for the %s, "
                                 "found %s",
                                 count, what, toml_lex_describe(lx, *i, d));
        v = v * 10 + (lx->text[*i] - '0');
        (*i)++;
    }
    *out = v;
    return 0;
}

static int expect_char(toml_lexer *lx, size_t *i, size_t end, char c, const char *after)
{
    char d[TOML_LEX_DESCRIBE_SIZE];

    if (*i >= end || lx->text[*i] != c)
        return toml_lex_fail(lx, *i, "invalid date or time: expected '%c' after the %s, found %s",
                             c, after, toml_lex_describe(lx, *i, d));
    (*i)++;
    return 0;
}

static int days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

/* A date, time or date-time starting at start, whose first word ends at
 * end. A date may be followed by a space and a time, which extends it. */
static int scan_datetime(toml_lexer *lx, size_t start, size_t end, toml_value *out)
{
    toml_datetime *dt = &out->u.datetime;
    char d[TOML_LEX_DESCRIBE_SIZE];
    size_t i = start;
    int has_date = toml_is_digit((unsigned char)lx->text[start + 2]);
    int rc;

    memset(dt, 0, sizeof(*dt));
    if (has_date) {
        if ((rc = read_field(lx, &i, end, 4, "year", &dt->year)) ||
            (rc = expect_char(lx, &i, end, '-', "year")) ||
            (rc = read_field(lx, &i, end, 2, "month", &dt->month)) ||
            (rc = expect_char(lx, &i, end, '-', "month")) ||
            (rc = read_field(lx, &i, end, 2, "day", &dt->day)))
            return rc;
        if (dt->month < 1 || dt->month > 12)
            return toml_lex_fail(lx, start, "invalid date: month %02d is not in 01-12", dt->month);
        if (dt->day < 1 || dt->day > days_in_month(dt->year, dt->month))
            return toml_lex_fail(lx, start, "invalid date: %04d-%02d has no day %02d", dt->year,
                                 dt->month, dt->day);
        if (i == end) {
            /* "1979-05-27 07:32:00": the space separator only counts when a
             * time follows, otherwise the date stands alone. */
            const char *t = lx->text + i;
            if (lx->len - i >= 4 && t[0] == ' ' && toml_is_digit((unsigned char)t[1]) &&
                toml_is_digit((unsigned char)t[2]) && t[3] == ':') {
                i++;
                end = word_end(lx, i);
            } else {
                out->type = TOML_DATE_LOCAL;
                lx->pos = end;
                return 0;
            }
        } else if (lx->text[i] == 'T' || lx->text[i] == 't') {
            i++;
        } else {
            return toml_lex_fail(lx, i,
                                 "invalid date: expected 'T' or a space before the time, "
                                 "found %s",
                                 toml_lex_describe(lx, i, d));
        }
    }
    if ((rc = read_field(lx, &i, end, 2, "hour", &dt->hour)) ||
        (rc = expect_char(lx, &i, end, ':', "hour")) ||
        (rc = read_field(lx, &i, end, 2, "minute", &dt->minute)) ||
        (rc = expect_char(lx, &i, end, ':', "minute")) ||
        (rc = read_field(lx, &i, end, 2, "second", &dt->second)))
        return rc;
    if (dt->hour > 23 || dt->minute > 59 || dt->second > 60)
        return toml_lex_fail(lx, start, "invalid time: %02d:%02d:%02d is out of range", dt->hour,
                             dt->minute, dt->second);
    if (i < end && lx->text[i] == '.') {
        i++;
        size_t first = i;
        int scale = 100000000;
        while (i < end && toml_is_digit((unsigned char)lx->text[i])) {
            dt->nanosecond += (lx->text[i] - '0') * scale;
            scale /= 10;
            i++;
        }
        if (i == first)
            return toml_lex_fail(lx, i, "invalid time: expected digits after '.', found %s",
                                 toml_lex_describe(lx, i, d));
    }
    out->type = has_date ? TOML_DATETIME_LOCAL : TOML_TIME_LOCAL;
    if (has_date && i < end) {
        int c = (unsigned char)lx->text[i];
        if (c == 'Z' || c == 'z') {
            i++;
            out->type = TOML_DATETIME;
        } else if (c == '+' || c == '-') {
            int oh, om;
            size_t at = i++;
            if ((rc = read_field(lx, &i, end, 2, "offset hour", &oh)) ||
                (rc = expect_char(lx, &i, end, ':', "offset hour")) ||
                (rc = read_field(lx, &i, end, 2, "offset minute", &om)))
                return rc;
            if (oh > 23 || om > 59)
                return toml_lex_fail(lx, at, "invalid time offset %.6s: out of range",
                                     lx->text + at);
            dt->offset_minutes = (c == '-' ? -1 : 1) * (oh * 60 + om);
            out->type = TOML_DATETIME;
        }
    }
    if (i != end)
        return toml_lex_fail(lx, i, "invalid %s: unexpected %s", has_date ? "date-time" : "time",
                             toml_lex_describe(lx, i, d));
    lx->pos = end;
    return 0;
}

static int digit_in_base(int c, int base)
{
    switch (base) {
    case 2:
        return c == '0' || c == '1';
    case 8:
        return c >= '0' && c <= '7';
    case 16:
        return toml_is_hex_digit(c);
    default:
        return toml_is_digit(c);
    }
}

/* Skip digits of `base` with single underscores between them, starting at
 * *i and stopping before end. At least one digit is required; `what` names
 * the part for the message ("exponent", ...). */
static int scan_digits(toml_lexer *lx, size_t *i, size_t end, int base, const char *what)
{
    char d[TOML_LEX_DESCRIBE_SIZE];
    size_t first = *i;

    while (*i < end) {
        int c = (unsigned char)lx->text[*i];
        if (digit_in_base(c, base)) {
            (*i)++;
        } else if (c == '_') {
            if (*i == first || *i + 1 >= end ||
                !digit_in_base((unsigned char)lx->text[*i + 1], base))
                return toml_lex_fail(lx, *i, "invalid number: '_' must be between two digits");
            (*i)++;
        } else {
            break;
        }
    }
    if (*i == first)
        return toml_lex_fail(lx, *i, "invalid number: expected a digit%s, found %s", what,
                             toml_lex_describe(lx, *i, d));
    return 0;
}

static int fail_range(toml_lexer *lx, size_t start, size_t end, const char *kind)
{
    size_t n = end - start;
    return toml_lex_fail(lx, start, "%s %.*s%s is out of range", kind,
                         (int)(n > TOML_LEX_QUOTE_MAX ? TOML_LEX_QUOTE_MAX : n), lx->text + start,
                         n > TOML_LEX_QUOTE_MAX ? "..." : "");
}

/* Convert a float literal already checked against the TOML grammar. strtod
 * follows the C locale's decimal point, so '.' is swapped for whatever the
 * current locale uses instead of assuming the program never calls
 * setlocale. */
static int convert_float(toml_lexer *lx, size_t start, size_t end, double *out)
{
    const char *point = localeconv()->decimal_point;
    size_t point_len = point && *point ? strlen(point) : 1;
    char small[64];
    char *buf = small;
    size_t need = (end - start) * point_len + 1;
    size_t n = 0;
    int rc = 0;

    if (need > sizeof(small)) {
        buf = malloc(need);
        if (!buf)
            return toml_lex_nomem(lx);
    }
    for (size_t i = start; i < end; i++) {
        char c = lx->text[i];
        if (c == '_')
            continue;
        if (c == '.' && point && *point) {
            memcpy(buf + n, point, point_len);
            n += point_len;
        } else {
            buf[n++] = c;
        }
    }
    buf[n] = '\0';
    errno = 0;
    *out = strtod(buf, NULL);
    if (errno == ERANGE && isinf(*out))
        rc = fail_range(lx, start, end, "float");
    if (buf != small)
        free(buf);
    return rc;
}

static int scan_number(toml_lexer *lx, size_t start, size_t end, toml_value *out)
{
    char d[TOML_LEX_DESCRIBE_SIZE];
    const char *s = lx->text;
    size_t i = start;
    int negative = 0;
    int rc;

    if (s[i] == '+' || s[i] == '-') {
        negative = s[i] == '-';
        i++;
    }
    if (word_is(lx, i, end, "inf") || word_is(lx, i, end, "nan")) {
        out->type = TOML_FLOAT;
        out->u.floating = s[i] == 'i' ? (double)INFINITY : (double)NAN;
        if (negative)
            out->u.floating = -out->u.floating;
        lx->pos = end;
        return 0;
    }
    if (end - i >= 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'o' || s[i + 1] == 'b')) {
        int base = s[i + 1] == 'x' ? 16 : s[i + 1] == 'o' ? 8 : 2;
        uint64_t v = 0;
        if (i != start)
            return toml_lex_fail(lx, start,
                                 "hexadecimal, octal and binary integers cannot "
                                 "have a sign");
        i += 2;
        size_t first = i;
        if ((rc = scan_digits(lx, &i, end, base, " after the base prefix")))
            return rc;
        if (i != end)
            return toml_lex_fail(lx, i, "invalid integer: unexpected %s",
                                 toml_lex_describe(lx, i, d));
        for (size_t k = first; k < end; k++) {
            if (s[k] == '_')
                continue;
            unsigned digit = (unsigned)toml_hex_value((unsigned char)s[k]);
            if (v > ((uint64_t)INT64_MAX - digit) / (unsigned)base)
                return fail_range(lx, start, end, "integer");
            v = v * (unsigned)base + digit;
        }
        out->type = TOML_INTEGER;
        out->u.integer = (int64_t)v;
        lx->pos = end;
        return 0;
    }

    size_t int_start = i;
    int is_float = 0;
    if ((rc = scan_digits(lx, &i, end, 10, "")))
        return rc;
    if (s[int_start] == '0' && i - int_start > 1)
        return toml_lex_fail(lx, start, "invalid number: leading zeros are not allowed");
    size_t int_end = i;
    if (i < end && s[i] == '.') {
        is_float = 1;
        i++;
        if ((rc = scan_digits(lx, &i, end, 10, " after '.'")))
            return rc;
    }
    if (i < end && (s[i] == 'e' || s[i] == 'E')) {
        is_float = 1;
        i++;
        if (i < end && (s[i] == '+' || s[i] == '-'))
            i++;
        if ((rc = scan_digits(lx, &i, end, 10, " in the exponent")))
            return rc;
    }
    if (i != end)
        return toml_lex_fail(lx, i, "invalid number: unexpected %s", toml_lex_describe(lx, i, d));
    lx->pos = end;
    if (is_float) {
        out->type = TOML_FLOAT;
        return convert_float(lx, start, end, &out->u.floating);
    }

    uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t v = 0;
    for (size_t k = int_start; k < int_end; k++) {
        if (s[k] == '_')
            continue;
        unsigned digit = (unsigned)(s[k] - '0');
        if (v > (limit - digit) / 10)
            return fail_range(lx, start, end, "integer");
        v = v * 10 + digit;
    }
    out->type = TOML_INTEGER;
    /* -2^63 has no positive counterpart, so negate in unsigned arithmetic. */
    out->u.integer = negative ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

int toml_scalar_scan(toml_lexer *lx, toml_value *out)
{
    size_t start = lx->pos;
    int c = toml_lex_peek(lx);

    if (c == '"' || c == '\'') {
        char q3[4] = {(char)c, (char)c, (char)c, '\0'};
        out->type = TOML_STRING;
        return toml_string_scan(lx, (char)c, toml_lex_starts_with(lx, start, q3),
                                &out->u.string.ptr, &out->u.string.len);
    }
    size_t end = word_end(lx, start);
    if (c == 't' || c == 'f') {
        if (!word_is(lx, start, end, "true") && !word_is(lx, start, end, "false"))
            return fail_no_value(lx, start);
        out->type = TOML_BOOL;
        out->u.boolean = c == 't';
        lx->pos = end;
        return 0;
    }
    if (c == 'i' || c == 'n') {
        if (!word_is(lx, start, end, "inf") && !word_is(lx, start, end, "nan"))
            return fail_no_value(lx, start);
        return scan_number(lx, start, end, out);
    }
    if (c == '+' || c == '-')
        return scan_number(lx, start, end, out);
    if (!toml_is_digit(c))
        return fail_no_value(lx, start);
    const char *s = lx->text + start;
    size_t n = end - start;
    if ((n >= 5 && toml_is_digit((unsigned char)s[1]) && toml_is_digit((unsigned char)s[2]) &&
         toml_is_digit((unsigned char)s[3]) && s[4] == '-') ||
        (n >= 3 && toml_is_digit((unsigned char)s[1]) && s[2] == ':'))
        return scan_datetime(lx, start, end, out);
    return scan_number(lx, start, end, out);
}
