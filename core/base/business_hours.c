/* business_hours.c - parsing opening hours and adding business time; see
 * business_hours.h. */
#include "base/business_hours.h"

#include <stdio.h>
#include <string.h>

#include "gateway/error.h"

#define DAY_MS INT64_C(86400000)
#define MINUTE_MS INT64_C(60000)
/* A week of ranges at most per step, and a deadline years ahead at most:
 * the walk below ends well before this. */
#define MAX_STEPS 100000

static const char *const day_names[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

static const char *skip_spaces(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

static int parse_day(const char **s)
{
    for (int d = 0; d < 7; d++) {
        if (strncmp(*s, day_names[d], 3) == 0) {
            *s += 3;
            return d;
        }
    }
    return -1;
}

/* "HH:MM" -> minutes, or -1. */
static int parse_time(const char **s)
{
    const char *p = *s;
    if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9' || p[2] != ':' || p[3] < '0' ||
        p[3] > '5' || p[4] < '0' || p[4] > '9')
        return -1;
    int h = (p[0] - '0') * 10 + (p[1] - '0'), m = (p[3] - '0') * 10 + (p[4] - '0');
    if (h > 24 || (h == 24 && m != 0))
        return -1;
    *s = p + 5;
    return h * 60 + m;
}

int business_hours_parse(const char *spec, business_hours *out, char *err, size_t errlen)
{
    *out = (business_hours){0};
    const char *s = skip_spaces(spec ? spec : "");
    if (*s == '\0' || strcmp(s, "always") == 0)
        return GW_OK;
    for (;;) {
        const char *item = s;
        int first = parse_day(&s), last = first;
        if (first >= 0 && *s == '-') {
            s++;
            last = parse_day(&s);
        }
        s = skip_spaces(s);
        int start = first >= 0 && last >= 0 ? parse_time(&s) : -1;
        int end = start >= 0 && *s == '-' ? (s++, parse_time(&s)) : -1;
        if (end <= start) {
            snprintf(err, errlen, "cannot read \"%.*s\": expected days and hours like "
                                  "\"Mon-Fri 09:00-18:00, Sat 10:00-14:00\" (days Mon..Sun, "
                                  "times HH:MM, the end after the start)",
                     (int)strcspn(item, ","), item);
            return GW_EINVAL;
        }
        /* a range like Fri-Mon wraps around the week */
        for (int d = first;; d = (d + 1) % 7) {
            if (out->count == BUSINESS_HOURS_MAX) {
                snprintf(err, errlen, "more than %d day ranges", BUSINESS_HOURS_MAX);
                return GW_EINVAL;
            }
            out->ranges[out->count++] = (business_range){.day = d, .start = start, .end = end};
            if (d == last)
                break;
        }
        s = skip_spaces(s);
        if (*s == '\0')
            return GW_OK;
        if (*s != ',') {
            snprintf(err, errlen, "unexpected \"%s\": separate ranges with commas", s);
            return GW_EINVAL;
        }
        s = skip_spaces(s + 1);
    }
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t business_hours_add(const business_hours *bh, const tzif *tz, int64_t start_ms,
                           int64_t duration_ms)
{
    if (bh->count == 0)
        return start_ms + duration_ms;
    int64_t t = start_ms, remaining = duration_ms;
    for (int step = 0; step < MAX_STEPS; step++) {
        /* the offset is asked again for every local day, so a DST change
         * between two opening periods moves the next one by its hour */
        int64_t off = tz ? (int64_t)tzif_offset(tz, floor_div(t, 1000)) * 1000 : 0;
        int64_t local = t + off, day = floor_div(local, DAY_MS);
        int64_t into = local - day * DAY_MS;
        int weekday = (int)(((day + 3) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
        int64_t open = -1, close = -1;
        for (size_t i = 0; i < bh->count; i++) {
            const business_range *r = &bh->ranges[i];
            int64_t s = r->start * MINUTE_MS, e = r->end * MINUTE_MS;
            if (r->day != weekday || e <= into)
                continue;
            if (s < into)
                s = into;
            if (open < 0 || s < open) {
                open = s;
                close = e;
            }
        }
        if (open < 0) { /* closed for the rest of this local day */
            t = (day + 1) * DAY_MS - off;
            continue;
        }
        int64_t open_utc = day * DAY_MS + open - off, close_utc = day * DAY_MS + close - off;
        if (open_utc < t)
            open_utc = t;
        if (remaining <= close_utc - open_utc)
            return open_utc + remaining;
        remaining -= close_utc - open_utc;
        t = close_utc;
    }
    return INT64_MAX;
}
