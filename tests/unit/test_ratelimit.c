/* test_ratelimit.c - rate-limit headers of each network, with real example
 * values, folded into per-account budgets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/error.h"
#include "http/ratelimit.h"

#define H(n, v) ((gw_http_header){(n), (v)})
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Fri, 20 Nov 2026 10:00:00 GMT */
#define WALL_MS 1795168800000ull
#define DATE_HDR "Fri, 20 Nov 2026 10:00:00 GMT"
/* An arbitrary monotonic origin: budgets never mix it with wall time. */
#define MONO_MS 5000000ull

static void test_http_date_formats(void **state)
{
    (void)state;
    int64_t t = 0;
    assert_int_equal(GW_OK, ratelimit_parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", &t));
    assert_int_equal(784111777000ll, t);
    t = 0;
    assert_int_equal(GW_OK, ratelimit_parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", &t));
    assert_int_equal(784111777000ll, t);
    t = 0;
    assert_int_equal(GW_OK, ratelimit_parse_http_date("Sun Nov  6 08:49:37 1994", &t));
    assert_int_equal(784111777000ll, t);
    assert_int_equal(GW_OK, ratelimit_parse_http_date(DATE_HDR, &t));
    assert_int_equal((int64_t)WALL_MS, t);

    const char *bad[] = {"",
                         "120",
                         "soon",
                         "Sun, 06 Nov 1994 08:49:37",
                         "Sun, 06 Foo 1994 08:49:37 GMT",
                         "Sun, 31 Feb 1994 08:49:37 GMT",
                         "Sun, 06 Nov 1994 25:49:37 GMT",
                         "Sun, 6 Nov 1994 08:49:37 GMT x",
                         "Sun, 06 Nov 94 08:49:37 GMT",
                         "Sun Nov  6 08:49:37"};
    for (size_t i = 0; i < COUNT(bad); i++) {
        t = 42;
        assert_int_equal(GW_EPARSE, ratelimit_parse_http_date(bad[i], &t));
        assert_int_equal(42, t);
    }
    assert_int_equal(GW_EPARSE, ratelimit_parse_http_date(NULL, &t));
}

static void test_iso8601_formats(void **state)
{
    (void)state;
    int64_t t = 0;
    /* Yelp's RateLimit-ResetTime. */
    assert_int_equal(GW_OK, ratelimit_parse_iso8601("2026-11-21T00:00:00+00:00", &t));
    assert_int_equal(1795219200000ll, t);
    assert_int_equal(GW_OK, ratelimit_parse_iso8601("2026-11-21T00:00:00Z", &t));
    assert_int_equal(1795219200000ll, t);
    assert_int_equal(GW_OK, ratelimit_parse_iso8601("2026-11-21T01:00:00+01:00", &t));
    assert_int_equal(1795219200000ll, t);
    assert_int_equal(GW_OK, ratelimit_parse_iso8601("2026-11-20T16:00:00-0800", &t));
    assert_int_equal(1795219200000ll, t);
    assert_int_equal(GW_OK, ratelimit_parse_iso8601("2026-11-21 00:00:00", &t));
    assert_int_equal(1795219200000ll, t);
    assert_int_equal(GW_OK, ratelimit_parse_iso8601("2024-02-29T12:00:00.250Z", &t));
    assert_int_equal(1709208000250ll, t);
    /* Sub-millisecond digits round up: a reset is never read as earlier. */
    assert_int_equal(GW_OK, ratelimit_parse_iso8601("2026-11-21T00:00:00.0001Z", &t));
    assert_int_equal(1795219200001ll, t);
    assert_int_equal(GW_OK, ratelimit_parse_iso8601("2026-11-21T00:00:00.000000Z", &t));
    assert_int_equal(1795219200000ll, t);

    const char *bad[] = {"",
                         "2026-13-01T00:00:00Z",
                         "2026-02-30T00:00:00Z",
                         "2026-11-21",
                         "2026-11-21T00:00Z",
                         "2026-11-21T00:00:00+25:00",
                         "2026-11-21T00:00:00Zjunk",
                         "tomorrow",
                         "2026-11-21T00:00:00."};
    for (size_t i = 0; i < COUNT(bad); i++) {
        t = 42;
        assert_int_equal(GW_EPARSE, ratelimit_parse_iso8601(bad[i], &t));
        assert_int_equal(42, t);
    }
}

static void test_fresh_budget_allows_everything(void **state)
{
    (void)state;
    ratelimit_budget b;
    ratelimit_init(&b);
    assert_int_equal(0, ratelimit_delay_ms(&b, MONO_MS));
    assert_int_equal(-1, b.remaining);
    assert_int_equal(-1, b.limit);
    assert_int_equal(-1, b.usage_percent);
    ratelimit_update(&b, 200, NULL, 0, WALL_MS, MONO_MS);
    assert_int_equal(0, ratelimit_delay_ms(&b, MONO_MS));
    assert_int_equal(0, b.blocks);
}

static void test_x_remaining_recorded_without_blocking(void **state)
{
    (void)state;
    ratelimit_budget b;
    ratelimit_init(&b);
    gw_http_header h[] = {H("date", DATE_HDR), H("x-rate-limit-limit", "450"),
                          H("x-rate-limit-remaining", "449"),
                          H("x-rate-limit-reset", "1795169700")}; /* +900 s */
    ratelimit_update(&b, 200, h, COUNT(h), WALL_MS, MONO_MS);
    assert_int_equal(0, ratelimit_delay_ms(&b, MONO_MS));
    assert_int_equal(450, b.limit);
    assert_int_equal(449, b.remaining);
    assert_int_equal(MONO_MS + 900000, b.reset_ms);
}

static void test_x_remaining_zero_blocks_until_reset(void **state)
{
    (void)state;
    ratelimit_budget b;
    ratelimit_init(&b);
    gw_http_header h[] = {H("date", DATE_HDR), H("x-rate-limit-limit", "450"),
                          H("x-rate-limit-remaining", "0"), H("x-rate-limit-reset", "1795169700")};
    ratelimit_update(&b, 200, h, COUNT(h), WALL_MS, MONO_MS);
    assert_int_equal(900000, ratelimit_delay_ms(&b, MONO_MS));
    assert_int_equal(1, ratelimit_delay_ms(&b, MONO_MS + 899999));
    assert_int_equal(0, ratelimit_delay_ms(&b, MONO_MS + 900000));
    assert_int_equal(1, b.blocks);
    assert_int_equal(0, b.remaining);
}

static void test_x_429_blocks_until_reset_even_with_remaining(void **state)
{
    (void)state;
    gw_http_header h[] = {H("Date", DATE_HDR), H("X-Rate-Limit-Remaining", "3"),
                          H("X-Rate-Limit-Reset", "1795168860")}; /* +60 s */
    assert_int_equal(60000, ratelimit_response_delay_ms(429, h, COUNT(h), WALL_MS));
    /* The same headers on a 200 with calls left: no wait. */
    assert_int_equal(0, ratelimit_response_delay_ms(200, h, COUNT(h), WALL_MS));
}

/* The server's Date, not our clock, anchors Unix-time resets: a local clock
 * running 10 s fast must not make us send 10 s early. */
static void test_reset_measured_from_server_date(void **state)
{
    (void)state;
    gw_http_header with_date[] = {H("date", DATE_HDR), H("x-rate-limit-remaining", "0"),
                                  H("x-rate-limit-reset", "1795168830")}; /* +30 s */
    assert_int_equal(
        30000, ratelimit_response_delay_ms(200, with_date, COUNT(with_date), WALL_MS + 10000));
    /* Without Date the local wall clock is all we have. */
    gw_http_header no_date[] = {H("x-rate-limit-remaining", "0"),
                                H("x-rate-limit-reset", "1795168830")};
    assert_int_equal(20000,
                     ratelimit_response_delay_ms(200, no_date, COUNT(no_date), WALL_MS + 10000));
    /* A Date days away from our clock is not trusted. */
    gw_http_header bad_date[] = {H("date", "Thu, 01 Jan 1970 00:00:00 GMT"),
                                 H("x-rate-limit-remaining", "0"),
                                 H("x-rate-limit-reset", "1795168830")};
    assert_int_equal(30000, ratelimit_response_delay_ms(200, bad_date, COUNT(bad_date), WALL_MS));
    /* A reset already past asks for no wait. */
    gw_http_header past[] = {H("date", DATE_HDR), H("x-rate-limit-remaining", "0"),
                             H("x-rate-limit-reset", "1795168700")};
    assert_int_equal(0, ratelimit_response_delay_ms(200, past, COUNT(past), WALL_MS));
}

static void test_x_24_hour_limits_only_on_429(void **state)
{
    (void)state;
    gw_http_header h[] = {H("date", DATE_HDR),
                          H("x-rate-limit-remaining", "10"),
                          H("x-rate-limit-reset", "1795169700"),
                          H("x-user-limit-24hour-limit", "17"),
                          H("x-user-limit-24hour-remaining", "0"),
                          H("x-user-limit-24hour-reset", "1795212000")}; /* +12 h */
    assert_int_equal(0, ratelimit_response_delay_ms(201, h, COUNT(h), WALL_MS));
    /* On a 429 the later reset wins: sleep until the 24-hour window. */
    assert_int_equal(43200000ull, ratelimit_response_delay_ms(429, h, COUNT(h), WALL_MS));
}

static void test_retry_after_seconds_and_dates(void **state)
{
    (void)state;
    /* Discourse: 429 + Retry-After seconds. */
    gw_http_header secs[] = {H("retry-after", "10"),
                             H("discourse-rate-limit-error-code", "create_post")};
    assert_int_equal(10000, ratelimit_response_delay_ms(429, secs, COUNT(secs), WALL_MS));
    assert_int_equal(10000, ratelimit_response_delay_ms(503, secs, COUNT(secs), WALL_MS));
    /* Retry-After on a success or a redirect is not a rate limit. */
    assert_int_equal(0, ratelimit_response_delay_ms(200, secs, COUNT(secs), WALL_MS));
    assert_int_equal(0, ratelimit_response_delay_ms(301, secs, COUNT(secs), WALL_MS));

    gw_http_header date[] = {H("date", DATE_HDR),
                             H("retry-after", "Fri, 20 Nov 2026 10:02:00 GMT")};
    assert_int_equal(120000, ratelimit_response_delay_ms(503, date, COUNT(date), WALL_MS));
    gw_http_header rfc850[] = {H("date", DATE_HDR),
                               H("retry-after", "Friday, 20-Nov-26 10:02:00 GMT")};
    assert_int_equal(120000, ratelimit_response_delay_ms(429, rfc850, COUNT(rfc850), WALL_MS));
    gw_http_header asctime_fmt[] = {H("date", DATE_HDR),
                                    H("retry-after", "Fri Nov 20 10:02:00 2026")};
    assert_int_equal(120000,
                     ratelimit_response_delay_ms(429, asctime_fmt, COUNT(asctime_fmt), WALL_MS));
    /* No Date header: measured from the local clock. */
    gw_http_header date_only[] = {H("retry-after", "Fri, 20 Nov 2026 10:02:00 GMT")};
    assert_int_equal(119000,
                     ratelimit_response_delay_ms(429, date_only, COUNT(date_only), WALL_MS + 1000));
    /* Two Retry-After headers: the first is used. */
    gw_http_header twice[] = {H("retry-after", "5"), H("retry-after", "7")};
    assert_int_equal(5000, ratelimit_response_delay_ms(429, twice, COUNT(twice), WALL_MS));
}

static void test_malformed_values_are_ignored(void **state)
{
    (void)state;
    const char *bad[] = {"",
                         "soon",
                         "-5",
                         "12abc",
                         "1e3",
                         "0x10",
                         " ",
                         "9999999999999999999999999",
                         "Fri, 20 Nov 2026 10:02:00"};
    for (size_t i = 0; i < COUNT(bad); i++) {
        gw_http_header h[] = {H("retry-after", bad[i]),
                              H("x-rate-limit-remaining", bad[i]),
                              H("x-rate-limit-reset", bad[i]),
                              H("ratelimit-remaining", bad[i]),
                              H("ratelimit-resettime", bad[i]),
                              H("x-app-usage", bad[i]),
                              H("x-business-use-case-usage", bad[i]),
                              H("date", bad[i])};
        assert_int_equal(0, ratelimit_response_delay_ms(429, h, COUNT(h), WALL_MS));
        ratelimit_budget b;
        ratelimit_init(&b);
        ratelimit_update(&b, 429, h, COUNT(h), WALL_MS, MONO_MS);
        assert_int_equal(0, ratelimit_delay_ms(&b, MONO_MS));
        assert_int_equal(-1, b.remaining);
    }
    /* Remaining 0 with an unreadable reset: nothing to wait for. */
    gw_http_header no_reset[] = {H("x-rate-limit-remaining", "0"),
                                 H("x-rate-limit-reset", "tomorrow")};
    assert_int_equal(0, ratelimit_response_delay_ms(200, no_reset, COUNT(no_reset), WALL_MS));
    /* Entries with NULL members are skipped. */
    gw_http_header nulls[] = {H(NULL, "1"), H("retry-after", NULL), H("retry-after", "3")};
    assert_int_equal(3000, ratelimit_response_delay_ms(429, nulls, COUNT(nulls), WALL_MS));
}

static void test_far_future_reset_is_capped(void **state)
{
    (void)state;
    gw_http_header h[] = {H("x-rate-limit-remaining", "0"),
                          H("x-rate-limit-reset", "4102444800")}; /* 2100-01-01 */
    assert_int_equal(RATELIMIT_MAX_DELAY_MS,
                     ratelimit_response_delay_ms(200, h, COUNT(h), WALL_MS));
    gw_http_header ra[] = {H("retry-after", "999999999999")};
    assert_int_equal(RATELIMIT_MAX_DELAY_MS,
                     ratelimit_response_delay_ms(429, ra, COUNT(ra), WALL_MS));
}

static void test_yelp_daily_budget(void **state)
{
    (void)state;
    ratelimit_budget b;
    ratelimit_init(&b);
    gw_http_header ok[] = {H("date", DATE_HDR), H("ratelimit-dailylimit", "300"),
                           H("ratelimit-remaining", "299"),
                           H("ratelimit-resettime", "2026-11-21T00:00:00+00:00")};
    ratelimit_update(&b, 200, ok, COUNT(ok), WALL_MS, MONO_MS);
    assert_int_equal(0, ratelimit_delay_ms(&b, MONO_MS));
    assert_int_equal(300, b.limit);
    assert_int_equal(299, b.remaining);
    assert_int_equal(MONO_MS + 14 * 3600000ull, b.reset_ms);

    /* Exhausted: wait for midnight UTC, 14 h away. */
    gw_http_header out[] = {H("date", DATE_HDR), H("ratelimit-dailylimit", "300"),
                            H("ratelimit-remaining", "0"),
                            H("ratelimit-resettime", "2026-11-21T00:00:00+00:00")};
    ratelimit_update(&b, 200, out, COUNT(out), WALL_MS, MONO_MS);
    assert_int_equal(14 * 3600000ull, ratelimit_delay_ms(&b, MONO_MS));

    /* A per-resource budget running out blocks too. */
    gw_http_header resource[] = {H("date", DATE_HDR), H("ratelimit-remaining", "120"),
                                 H("ratelimit-resourcedailylimit", "50"),
                                 H("ratelimit-resourceremaining", "0"),
                                 H("ratelimit-resettime", "2026-11-21T00:00:00Z")};
    assert_int_equal(14 * 3600000ull,
                     ratelimit_response_delay_ms(200, resource, COUNT(resource), WALL_MS));

    /* TOO_MANY_REQUESTS_PER_SECOND: a 429 with calls left does not block
     * until midnight. */
    gw_http_header per_second[] = {H("date", DATE_HDR), H("ratelimit-remaining", "120"),
                                   H("ratelimit-resettime", "2026-11-21T00:00:00Z")};
    assert_int_equal(0, ratelimit_response_delay_ms(429, per_second, COUNT(per_second), WALL_MS));
}

static void test_facebook_usage_headers(void **state)
{
    (void)state;
    ratelimit_budget b;
    ratelimit_init(&b);
    gw_http_header low[] = {
        H("x-app-usage", "{\"call_count\":28,\"total_cputime\":25,\"total_time\":25}"),
        H("x-page-usage", "{\"call_count\":3,\"total_cputime\":1,\"total_time\":2}")};
    ratelimit_update(&b, 200, low, COUNT(low), WALL_MS, MONO_MS);
    assert_int_equal(0, ratelimit_delay_ms(&b, MONO_MS));
    assert_int_equal(28, b.usage_percent);

    /* At 100 % without an estimate: the default probe interval. */
    gw_http_header full[] = {
        H("X-Page-Usage", "{\"call_count\":100,\"total_cputime\":40,\"total_time\":55}")};
    ratelimit_update(&b, 400, full, COUNT(full), WALL_MS, MONO_MS);
    assert_int_equal(RATELIMIT_FB_DEFAULT_BLOCK_MS, ratelimit_delay_ms(&b, MONO_MS));
    assert_int_equal(100, b.usage_percent);

    /* Business use case: estimated_time_to_regain_access is in minutes. */
    gw_http_header buc[] = {H("x-business-use-case-usage",
                              "{\"112233445566\":[{\"type\":\"pages\",\"call_count\":100,"
                              "\"total_cputime\":12,\"total_time\":30,"
                              "\"estimated_time_to_regain_access\":17}]}")};
    assert_int_equal(17 * 60000ull, ratelimit_response_delay_ms(400, buc, COUNT(buc), WALL_MS));
    /* The estimate counts even below 100 %. */
    gw_http_header regain[] = {
        H("x-business-use-case-usage",
          "{\"1\":[{\"type\":\"pages\",\"call_count\":80,\"total_cputime\":10,"
          "\"total_time\":10,\"estimated_time_to_regain_access\":2}],"
          "\"2\":[{\"type\":\"messenger\",\"call_count\":5,"
          "\"estimated_time_to_regain_access\":0}]}")};
    assert_int_equal(2 * 60000ull,
                     ratelimit_response_delay_ms(200, regain, COUNT(regain), WALL_MS));
    /* Below 100 % and no estimate: fine. */
    gw_http_header fine[] = {H("x-business-use-case-usage",
                               "{\"1\":[{\"type\":\"pages\",\"call_count\":45,\"total_cputime\":9,"
                               "\"total_time\":12,\"estimated_time_to_regain_access\":0}]}")};
    assert_int_equal(0, ratelimit_response_delay_ms(200, fine, COUNT(fine), WALL_MS));
    /* A decimal percentage over 100 counts. */
    gw_http_header frac[] = {H("x-app-usage", "{\"call_count\":100.5}")};
    assert_int_equal(RATELIMIT_FB_DEFAULT_BLOCK_MS,
                     ratelimit_response_delay_ms(200, frac, COUNT(frac), WALL_MS));
    /* Absurd estimates are capped. */
    gw_http_header huge[] = {
        H("x-business-use-case-usage", "{\"1\":[{\"estimated_time_to_regain_access\":1e12}]}")};
    assert_int_equal(RATELIMIT_MAX_DELAY_MS,
                     ratelimit_response_delay_ms(200, huge, COUNT(huge), WALL_MS));
    /* Malformed JSON and wrong shapes are ignored. */
    const char *bad[] = {"{",    "[100]",         "{\"call_count\":\"100\"}",
                         "null", "{\"a\":[1,2]}", "{\"call_count\":100,\"call_count\":100}"};
    for (size_t i = 0; i < COUNT(bad); i++) {
        gw_http_header h[] = {H("x-app-usage", bad[i]), H("x-business-use-case-usage", bad[i])};
        assert_int_equal(0, ratelimit_response_delay_ms(200, h, COUNT(h), WALL_MS));
    }
}

/* A late answer to a request sent before the block must not lift it. */
static void test_block_is_never_shortened(void **state)
{
    (void)state;
    ratelimit_budget b;
    ratelimit_init(&b);
    gw_http_header block[] = {H("retry-after", "60")};
    ratelimit_update(&b, 429, block, COUNT(block), WALL_MS, MONO_MS);
    assert_int_equal(60000, ratelimit_delay_ms(&b, MONO_MS));
    gw_http_header fine[] = {H("x-rate-limit-remaining", "100"),
                             H("x-rate-limit-reset", "1795169700")};
    ratelimit_update(&b, 200, fine, COUNT(fine), WALL_MS + 1000, MONO_MS + 1000);
    assert_int_equal(59000, ratelimit_delay_ms(&b, MONO_MS + 1000));
    assert_int_equal(100, b.remaining);
    /* A shorter Retry-After does not count as a new block either. */
    gw_http_header shorter[] = {H("retry-after", "5")};
    ratelimit_update(&b, 429, shorter, COUNT(shorter), WALL_MS + 2000, MONO_MS + 2000);
    assert_int_equal(58000, ratelimit_delay_ms(&b, MONO_MS + 2000));
    assert_int_equal(1, b.blocks);
    /* A longer one extends it. */
    gw_http_header longer[] = {H("retry-after", "120")};
    ratelimit_update(&b, 429, longer, COUNT(longer), WALL_MS + 2000, MONO_MS + 2000);
    assert_int_equal(120000, ratelimit_delay_ms(&b, MONO_MS + 2000));
    assert_int_equal(2, b.blocks);
    ratelimit_note_wait(&b);
    assert_int_equal(1, b.waits);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_date_formats),
        cmocka_unit_test(test_iso8601_formats),
        cmocka_unit_test(test_fresh_budget_allows_everything),
        cmocka_unit_test(test_x_remaining_recorded_without_blocking),
        cmocka_unit_test(test_x_remaining_zero_blocks_until_reset),
        cmocka_unit_test(test_x_429_blocks_until_reset_even_with_remaining),
        cmocka_unit_test(test_reset_measured_from_server_date),
        cmocka_unit_test(test_x_24_hour_limits_only_on_429),
        cmocka_unit_test(test_retry_after_seconds_and_dates),
        cmocka_unit_test(test_malformed_values_are_ignored),
        cmocka_unit_test(test_far_future_reset_is_capped),
        cmocka_unit_test(test_yelp_daily_budget),
        cmocka_unit_test(test_facebook_usage_headers),
        cmocka_unit_test(test_block_is_never_shortened),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
