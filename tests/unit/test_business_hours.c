/* test_business_hours.c - opening hours: parsing, business-time deadlines
 * across nights and weekends, in a time zone, across both DST changes;
 * and the TZif reader's offsets (base/tzif.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "base/business_hours.h"
#include "base/tzif.h"
#include "gateway/error.h"

#define HOUR_MS INT64_C(3600000)
#define MINUTE_MS INT64_C(60000)

/* Unix ms of a UTC calendar time. */
static int64_t utc(int y, int mo, int d, int h, int mi)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
                    .tm_min = mi};
    return (int64_t)timegm(&tm) * 1000;
}

static void parse_ok(const char *spec, business_hours *bh)
{
    char err[256] = "";
    assert_int_equal(GW_OK, business_hours_parse(spec, bh, err, sizeof err));
}

static void test_parse(void **state)
{
    (void)state;
    business_hours bh;
    char err[256];
    parse_ok("Mon-Fri 09:00-18:00, Sat 10:00-14:00", &bh);
    assert_int_equal(6, bh.count);
    assert_int_equal(5, bh.ranges[5].day);
    assert_int_equal(10 * 60, bh.ranges[5].start);
    parse_ok("", &bh);
    assert_int_equal(0, bh.count);
    parse_ok("always", &bh);
    assert_int_equal(0, bh.count);
    parse_ok("Fri-Mon 00:00-24:00", &bh); /* wraps around the week */
    assert_int_equal(4, bh.count);
    const char *bad[] = {"Mon-Fri", "Mon-Fri 18:00-09:00", "Mon 9:00-18:00", "Mond 09:00-10:00",
                         "Mon 09:00-25:00", "Mon 09:00-10:00; Tue 09:00-10:00", NULL};
    for (size_t i = 0; bad[i]; i++)
        assert_int_equal(GW_EINVAL, business_hours_parse(bad[i], &bh, err, sizeof err));
}

static void test_around_the_clock(void **state)
{
    (void)state;
    business_hours bh;
    parse_ok("", &bh);
    int64_t sat = utc(2026, 1, 3, 23, 0);
    assert_int_equal(sat + HOUR_MS, business_hours_add(&bh, NULL, sat, HOUR_MS));
}

static void test_nights_and_weekends_in_utc(void **state)
{
    (void)state;
    business_hours bh;
    parse_ok("Mon-Fri 09:00-18:00", &bh);
    /* 2026-01-02 is a Friday: 30 minutes on Friday, 30 on Monday */
    assert_int_equal(utc(2026, 1, 5, 9, 30),
                     business_hours_add(&bh, NULL, utc(2026, 1, 2, 17, 30), HOUR_MS));
    /* Saturday: the clock starts on Monday */
    assert_int_equal(utc(2026, 1, 5, 10, 0),
                     business_hours_add(&bh, NULL, utc(2026, 1, 3, 12, 0), HOUR_MS));
    /* before opening */
    assert_int_equal(utc(2026, 1, 6, 9, 30),
                     business_hours_add(&bh, NULL, utc(2026, 1, 6, 7, 0), 30 * MINUTE_MS));
    /* inside: plain addition; ten hours span two days */
    assert_int_equal(utc(2026, 1, 6, 11, 0),
                     business_hours_add(&bh, NULL, utc(2026, 1, 6, 10, 0), HOUR_MS));
    assert_int_equal(utc(2026, 1, 7, 10, 0),
                     business_hours_add(&bh, NULL, utc(2026, 1, 6, 9, 0), 10 * HOUR_MS));
    parse_ok("Mon-Fri 09:00-18:00, Sat 10:00-14:00", &bh);
    assert_int_equal(utc(2026, 1, 3, 10, 30),
                     business_hours_add(&bh, NULL, utc(2026, 1, 2, 17, 30), HOUR_MS));
}

static tzif *zone(const char *name)
{
    tzif *tz = NULL;
    char err[256] = "";
    int rc = tzif_load(NULL, name, &tz, err, sizeof err);
    if (rc != GW_OK)
        fail_msg("%s", err);
    return tz;
}

static void test_time_zone_and_dst(void **state)
{
    (void)state;
    tzif *berlin = zone("Europe/Berlin");
    business_hours bh;
    parse_ok("Mon-Fri 09:00-18:00", &bh);
    /* winter (UTC+1): Monday 09:30 local is 08:30 UTC */
    assert_int_equal(utc(2026, 1, 5, 9, 30),
                     business_hours_add(&bh, berlin, utc(2026, 1, 5, 8, 30), HOUR_MS));
    /* spring forward on Sunday 2026-03-29: Friday 17:30 CET (16:30 UTC)
     * + 1h ends Monday 09:30 CEST, 07:30 UTC (08:30 without the change) */
    assert_int_equal(utc(2026, 3, 30, 7, 30),
                     business_hours_add(&bh, berlin, utc(2026, 3, 27, 16, 30), HOUR_MS));
    /* fall back on Sunday 2026-10-25: Friday 17:30 CEST (15:30 UTC) + 1h
     * ends Monday 09:30 CET, 08:30 UTC */
    assert_int_equal(utc(2026, 10, 26, 8, 30),
                     business_hours_add(&bh, berlin, utc(2026, 10, 23, 15, 30), HOUR_MS));
    tzif_free(berlin);
}

static void test_tzif_offsets(void **state)
{
    (void)state;
    tzif *ny = zone("America/New_York"), *utc_zone = zone("UTC");
    assert_int_equal(-5 * 3600, tzif_offset(ny, utc(2026, 1, 15, 12, 0) / 1000));
    assert_int_equal(-4 * 3600, tzif_offset(ny, utc(2026, 7, 15, 12, 0) / 1000));
    /* the change itself: 2026-03-08 07:00 UTC (02:00 EST) */
    assert_int_equal(-5 * 3600, tzif_offset(ny, utc(2026, 3, 8, 7, 0) / 1000 - 1));
    assert_int_equal(-4 * 3600, tzif_offset(ny, utc(2026, 3, 8, 7, 0) / 1000));
    assert_int_equal(0, tzif_offset(utc_zone, utc(2026, 7, 15, 12, 0) / 1000));
    tzif_free(ny);
    tzif_free(utc_zone);
    tzif *tz = NULL;
    char err[256];
    assert_int_equal(GW_EINVAL, tzif_load(NULL, "../etc/passwd", &tz, err, sizeof err));
    assert_int_equal(GW_ENOENT, tzif_load(NULL, "Mars/Olympus", &tz, err, sizeof err));
    assert_null(tz);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_around_the_clock),
        cmocka_unit_test(test_nights_and_weekends_in_utc),
        cmocka_unit_test(test_time_zone_and_dst),
        cmocka_unit_test(test_tzif_offsets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
