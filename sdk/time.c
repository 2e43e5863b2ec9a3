/* sdk/time.c - RFC 3339 time stamps <-> Unix milliseconds.
 *
 * Networks hand out times in RFC 3339 with assorted offsets and fraction
 * lengths; the unified event wants UTC with milliseconds. This converts
 * both ways with integer arithmetic only: no libc time zone state, no
 * locale, nothing that depends on the TZ of the machine running the
 * gateway, and no 2038 limit.
 *
 * The calendar is proleptic Gregorian. Days are counted from 0000-01-01
 * (so every year of the supported range 0000-9999 is non-negative), then
 * shifted to the Unix epoch.
 */
#include <stdbool.h>
#include <stdint.h>

#include "gateway/sdk.h"

#define MS_PER_DAY INT64_C(86400000)
/* days_before_year(1970): the Unix epoch counted from 0000-01-01. */
#define EPOCH_DAYS_FROM_YEAR0 INT64_C(719528)
#define MIN_YEAR 0
#define MAX_YEAR 9999

static bool is_leap_year(int64_t year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(int64_t year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && is_leap_year(year))
        return 29;
    return days[month - 1];
}

/* Days from 0000-01-01 to January 1st of `year` (year >= 0): 365 per year
 * plus one per leap year in [0, year); year 0 is a leap year, so the
 * multiples of 4, 100 and 400 below `year` are counted with ceilings. */
static int64_t days_before_year(int64_t year)
{
    return 365 * year + (year + 3) / 4 - (year + 99) / 100 + (year + 399) / 400;
}

static int64_t days_before_month(int64_t year, int month)
{
    int64_t days = 0;
    for (int m = 1; m < month; m++)
        days += days_in_month(year, m);
    return days;
}

/* Days since 1970-01-01 of a valid calendar date. */
static int64_t days_from_date(int64_t year, int month, int day)
{
    return days_before_year(year) + days_before_month(year, month) + (day - 1) -
           EPOCH_DAYS_FROM_YEAR0;
}

/* The inverse of days_from_date; `days` must fall in years 0-9999. */
static void date_from_days(int64_t days, int64_t *year, int *month, int *day)
{
    int64_t since_year0 = days + EPOCH_DAYS_FROM_YEAR0;
    /* 146097 days per 400 years gives an estimate within a year or so;
     * the loops settle it exactly. */
    int64_t y = since_year0 * 400 / 146097;
    while (y > 0 && days_before_year(y) > since_year0)
        y--;
    while (days_before_year(y + 1) <= since_year0)
        y++;
    int64_t day_of_year = since_year0 - days_before_year(y);
    int m = 1;
    while (day_of_year >= days_in_month(y, m)) {
        day_of_year -= days_in_month(y, m);
        m++;
    }
    *year = y;
    *month = m;
    *day = (int)day_of_year + 1;
}

/* Floor division: C's / truncates toward zero, which would put instants
 * before 1970 on the wrong day. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

/* value (0 <= value < 10^width) as exactly width decimal digits at p;
 * returns the position after them. */
static char *put_digits(char *p, int value, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + value % 10);
        value /= 10;
    }
    return p + width;
}

int gw_sdk_time_format(int64_t unix_ms, char *buf, size_t buflen)
{
    if (buf == NULL || buflen < GW_SDK_RFC3339_SIZE) {
        if (buf != NULL && buflen > 0)
            buf[0] = '\0';
        return GW_ERANGE;
    }
    const int64_t min_ms = -EPOCH_DAYS_FROM_YEAR0 * MS_PER_DAY;
    const int64_t max_ms =
        (days_before_year(MAX_YEAR + 1) - EPOCH_DAYS_FROM_YEAR0) * MS_PER_DAY - 1;
    if (unix_ms < min_ms || unix_ms > max_ms) {
        buf[0] = '\0';
        return GW_ERANGE;
    }
    int64_t days = floor_div(unix_ms, MS_PER_DAY);
    int64_t ms_of_day = unix_ms - days * MS_PER_DAY;
    int64_t year;
    int month, day;
    date_from_days(days, &year, &month, &day);
    int hour = (int)(ms_of_day / 3600000);
    int minute = (int)(ms_of_day / 60000 % 60);
    int second = (int)(ms_of_day / 1000 % 60);
    int milli = (int)(ms_of_day % 1000);
    /* Digits written directly: every event gets a received_at, and
     * snprintf's format parsing cost more than the rest of this. */
    char *p = buf;
    p = put_digits(p, (int)year, 4);
    *p++ = '-';
    p = put_digits(p, month, 2);
    *p++ = '-';
    p = put_digits(p, day, 2);
    *p++ = 'T';
    p = put_digits(p, hour, 2);
    *p++ = ':';
    p = put_digits(p, minute, 2);
    *p++ = ':';
    p = put_digits(p, second, 2);
    *p++ = '.';
    p = put_digits(p, milli, 3);
    *p++ = 'Z';
    *p = '\0';
    return GW_SDK_RFC3339_LEN;
}

/* Reads exactly `digits` decimal digits at *p, advancing *p. */
static bool parse_digits(const char **p, int digits, int *out)
{
    int value = 0;
    for (int i = 0; i < digits; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        value = value * 10 + (c - '0');
    }
    *p += digits;
    *out = value;
    return true;
}

static bool parse_char(const char **p, char expected)
{
    if (**p != expected)
        return false;
    (*p)++;
    return true;
}

int gw_sdk_time_parse(const char *text, int64_t *unix_ms)
{
    if (text == NULL || unix_ms == NULL)
        return GW_EPARSE;
    const char *p = text;
    int year, month, day, hour, minute, second, millis = 0;
    if (!parse_digits(&p, 4, &year) || !parse_char(&p, '-') || !parse_digits(&p, 2, &month) ||
        !parse_char(&p, '-') || !parse_digits(&p, 2, &day))
        return GW_EPARSE;
    if (*p != 'T' && *p != 't' && *p != ' ')
        return GW_EPARSE;
    p++;
    if (!parse_digits(&p, 2, &hour) || !parse_char(&p, ':') || !parse_digits(&p, 2, &minute) ||
        !parse_char(&p, ':') || !parse_digits(&p, 2, &second))
        return GW_EPARSE;
    if (*p == '.') {
        p++;
        int ndigits = 0;
        while (*p >= '0' && *p <= '9') {
            if (ndigits < 3)
                millis = millis * 10 + (*p - '0');
            ndigits++;
            p++;
        }
        if (ndigits == 0)
            return GW_EPARSE;
        for (int i = ndigits; i < 3; i++)
            millis *= 10;
    }
    int offset_minutes = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1;
        int off_hour, off_minute;
        p++;
        if (!parse_digits(&p, 2, &off_hour) || !parse_char(&p, ':') ||
            !parse_digits(&p, 2, &off_minute))
            return GW_EPARSE;
        if (off_hour > 23 || off_minute > 59)
            return GW_EPARSE;
        offset_minutes = sign * (off_hour * 60 + off_minute);
    } else {
        return GW_EPARSE;
    }
    if (*p != '\0')
        return GW_EPARSE;

    if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month))
        return GW_EPARSE;
    if (hour > 23 || minute > 59 || second > 60)
        return GW_EPARSE;

    int64_t days = days_from_date(year, month, day);
    int64_t seconds = days * 86400 + (int64_t)hour * 3600 + (int64_t)minute * 60 + second;
    /* The local time minus its offset is UTC. */
    seconds -= (int64_t)offset_minutes * 60;
    *unix_ms = seconds * 1000 + millis;
    return 0;
}
