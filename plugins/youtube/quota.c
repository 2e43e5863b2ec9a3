/* plugins/youtube/quota.c - Google's daily quota as arithmetic: when the
 * day ends (midnight Pacific time), whether a call still fits, and how far
 * apart polls must be so the units last until the reset.
 *
 * Why by hand: the reset follows US Pacific civil time, daylight saving
 * included, and a daemon must not set TZ or call tzset() (process-wide
 * state another thread or plugin may rely on). The US rule has been fixed
 * since 2007: PDT (UTC-7) from the second Sunday of March at 02:00 PST
 * (10:00 UTC) to the first Sunday of November at 02:00 PDT (09:00 UTC),
 * PST (UTC-8) otherwise. Pure functions, shared with the unit tests.
 */
#include "youtube.h"

#define MS_PER_HOUR INT64_C(3600000)
#define MS_PER_DAY (24 * MS_PER_HOUR)

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* The year of the UTC date of unix_ms. */
static int64_t utc_year(int64_t unix_ms)
{
    int64_t z = floor_div(unix_ms, MS_PER_DAY) + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return (int64_t)yoe + era * 400 + (m <= 2);
}

/* The day number of the n-th Sunday (n >= 1) of month m in year y. */
static int64_t nth_sunday(int64_t y, unsigned m, unsigned n)
{
    int64_t first = days_from_civil(y, m, 1);
    /* 1970-01-01 was a Thursday: weekday 0 = Sunday is (days + 4) % 7. */
    int64_t wd = ((first + 4) % 7 + 7) % 7;
    int64_t to_sunday = (7 - wd) % 7;
    return first + to_sunday + 7 * (int64_t)(n - 1);
}

int64_t yt_pacific_offset_ms(int64_t unix_ms)
{
    /* Around New Year the UTC year and the Pacific year differ by hours,
     * far from either transition, so the UTC year is the right one. */
    int64_t y = utc_year(unix_ms);
    int64_t start = nth_sunday(y, 3, 2) * MS_PER_DAY + 10 * MS_PER_HOUR;
    int64_t end = nth_sunday(y, 11, 1) * MS_PER_DAY + 9 * MS_PER_HOUR;
    return unix_ms >= start && unix_ms < end ? -7 * MS_PER_HOUR : -8 * MS_PER_HOUR;
}

int64_t yt_quota_next_reset(int64_t now_ms)
{
    int64_t offset = yt_pacific_offset_ms(now_ms);
    int64_t local_midnight = (floor_div(now_ms + offset, MS_PER_DAY) + 1) * MS_PER_DAY;
    int64_t reset = local_midnight - offset;
    /* A transition (at 02:00) between now and that midnight changes the
     * offset midnight is reckoned in: the 23- and 25-hour days. */
    int64_t at_reset = yt_pacific_offset_ms(reset - 1);
    if (at_reset != offset)
        reset = local_midnight - at_reset;
    return reset;
}

bool yt_quota_roll(yt_quota *q, int64_t now_ms)
{
    if (q->reset_ms != 0 && now_ms < q->reset_ms)
        return false;
    q->used = 0;
    q->reset_ms = yt_quota_next_reset(now_ms);
    return true;
}

bool yt_quota_affords(const yt_quota *q, uint64_t cost, bool for_reply)
{
    uint64_t ceiling = for_reply || q->reserve >= q->limit ? q->limit : q->limit - q->reserve;
    if (!for_reply && q->reserve >= q->limit)
        return false;
    return q->used <= ceiling && cost <= ceiling - q->used;
}

uint64_t yt_quota_pace_ms(const yt_quota *q, int64_t now_ms)
{
    uint64_t to_reset = q->reset_ms > now_ms ? (uint64_t)(q->reset_ms - now_ms) : 0;
    uint64_t ceiling = q->reserve >= q->limit ? 0 : q->limit - q->reserve;
    uint64_t left = q->used < ceiling ? ceiling - q->used : 0;
    uint64_t per_poll = q->last_poll > 0 ? q->last_poll : 1;
    uint64_t polls = left / per_poll;
    if (polls == 0)
        return to_reset;
    return to_reset / polls;
}
