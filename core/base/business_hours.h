/* business_hours.h - weekly opening hours in a time zone, and the
 * arithmetic response-time targets need: a deadline is the start plus
 * the target counted only inside the hours ([service] hours, timezone).
 *
 * Syntax: comma-separated "<days> <HH:MM>-<HH:MM>", days a day or a range
 * of Mon Tue Wed Thu Fri Sat Sun, e.g. "Mon-Fri 09:00-18:00, Sat
 * 10:00-14:00"; "24:00" ends a range at midnight. "" or "always": around
 * the clock. Times are local to the zone, DST included (base/tzif.h).
 */
#ifndef GW_BUSINESS_HOURS_H
#define GW_BUSINESS_HOURS_H

#include <stddef.h>
#include <stdint.h>

#include "base/tzif.h"

#define BUSINESS_HOURS_MAX 32

typedef struct business_range {
    int day;          /* 0 Monday .. 6 Sunday */
    int start, end;   /* minutes after local midnight, start < end <= 1440 */
} business_range;

typedef struct business_hours {
    business_range ranges[BUSINESS_HOURS_MAX];
    size_t count;     /* 0: around the clock */
} business_hours;

/* Parse spec into *out. Returns 0, or GW_EINVAL with err saying what is
 * wrong and what was expected. */
int business_hours_parse(const char *spec, business_hours *out, char *err, size_t errlen);

/* The instant (Unix ms) at which duration_ms of business time have passed
 * since start_ms, in zone tz (NULL: UTC). Around the clock: start +
 * duration. Returns INT64_MAX when the hours never open (cannot happen
 * for a parsed, non-empty spec). */
int64_t business_hours_add(const business_hours *bh, const tzif *tz, int64_t start_ms,
                           int64_t duration_ms);

#endif /* GW_BUSINESS_HOURS_H */
