/* tests/unit/test_youtube_pure.c - the YouTube plugin's pure parts, called
 * directly: the Pacific-time quota reset (both daylight-saving
 * transitions, checked against hand-computed instants), the quota
 * arithmetic, a whole simulated day of paced polls on a fast clock, and
 * the normaliser (fields, echoes, malformed input; every event passes the
 * host's pipeline_validate).
 *
 * Linked with the youtube_pure library (wired in plugins/youtube/
 * CMakeLists.txt).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "youtube.h"
#include "engine/pipeline.h"

#define HOUR INT64_C(3600000)
#define DAY (24 * HOUR)

static int64_t at(const char *rfc3339)
{
    int64_t ms;
    assert_int_equal(0, gw_sdk_time_parse(rfc3339, &ms));
    return ms;
}

/* ---- the Pacific day ------------------------------------------------- */

static void test_offset_follows_us_dst(void **state)
{
    (void)state;
    /* 2026: PDT from 2026-03-08 10:00Z to 2026-11-01 09:00Z. */
    assert_int_equal(-8 * HOUR, yt_pacific_offset_ms(at("2026-01-15T12:00:00Z")));
    assert_int_equal(-8 * HOUR, yt_pacific_offset_ms(at("2026-03-08T09:59:59Z")));
    assert_int_equal(-7 * HOUR, yt_pacific_offset_ms(at("2026-03-08T10:00:00Z")));
    assert_int_equal(-7 * HOUR, yt_pacific_offset_ms(at("2026-07-04T00:00:00Z")));
    assert_int_equal(-7 * HOUR, yt_pacific_offset_ms(at("2026-11-01T08:59:59Z")));
    assert_int_equal(-8 * HOUR, yt_pacific_offset_ms(at("2026-11-01T09:00:00Z")));
    /* 2027: second Sunday of March is the 14th, first of November the 7th. */
    assert_int_equal(-8 * HOUR, yt_pacific_offset_ms(at("2027-03-14T09:59:59Z")));
    assert_int_equal(-7 * HOUR, yt_pacific_offset_ms(at("2027-03-14T10:00:00Z")));
    assert_int_equal(-7 * HOUR, yt_pacific_offset_ms(at("2027-11-07T08:59:59Z")));
    assert_int_equal(-8 * HOUR, yt_pacific_offset_ms(at("2027-11-07T09:00:00Z")));
}

static void test_reset_is_the_next_pacific_midnight(void **state)
{
    (void)state;
    /* Winter: midnight PST is 08:00Z; summer: midnight PDT is 07:00Z. */
    assert_int_equal(at("2026-01-16T08:00:00Z"), yt_quota_next_reset(at("2026-01-15T12:00:00Z")));
    assert_int_equal(at("2026-01-16T08:00:00Z"), yt_quota_next_reset(at("2026-01-16T07:59:59Z")));
    assert_int_equal(at("2026-01-17T08:00:00Z"), yt_quota_next_reset(at("2026-01-16T08:00:00Z")));
    assert_int_equal(at("2026-07-05T07:00:00Z"), yt_quota_next_reset(at("2026-07-04T12:00:00Z")));
    /* Across New Year (UTC already in the next year). */
    assert_int_equal(at("2027-01-01T08:00:00Z"), yt_quota_next_reset(at("2027-01-01T03:00:00Z")));
}

static void test_reset_across_the_spring_transition(void **state)
{
    (void)state;
    /* 2026-03-08 has 23 hours in Los Angeles: it starts at 08:00Z (PST)
     * and the next day starts at 07:00Z (PDT). */
    assert_int_equal(at("2026-03-08T08:00:00Z"), yt_quota_next_reset(at("2026-03-07T20:00:00Z")));
    int64_t day_start = at("2026-03-08T08:00:00Z");
    /* Before the 02:00 switch, at it and after it: the same reset. */
    for (int64_t t = day_start; t < day_start + 23 * HOUR; t += HOUR / 2)
        assert_int_equal(at("2026-03-09T07:00:00Z"), yt_quota_next_reset(t));
    assert_int_equal(at("2026-03-10T07:00:00Z"), yt_quota_next_reset(at("2026-03-09T07:00:00Z")));
}

static void test_reset_across_the_autumn_transition(void **state)
{
    (void)state;
    /* 2026-11-01 has 25 hours: it starts at 07:00Z (PDT) and the next
     * day starts at 08:00Z (PST). */
    int64_t day_start = at("2026-11-01T07:00:00Z");
    assert_int_equal(day_start, yt_quota_next_reset(at("2026-10-31T23:00:00Z")));
    for (int64_t t = day_start; t < day_start + 25 * HOUR; t += HOUR / 2)
        assert_int_equal(at("2026-11-02T08:00:00Z"), yt_quota_next_reset(t));
    assert_int_equal(at("2026-11-03T08:00:00Z"), yt_quota_next_reset(at("2026-11-02T08:00:00Z")));
}

/* ---- the units ------------------------------------------------------------ */

static void test_affords_keeps_the_reserve_for_replies(void **state)
{
    (void)state;
    yt_quota q = {.limit = 100, .reserve = 60, .used = 39, .reset_ms = DAY, .last_poll = 1};
    assert_true(yt_quota_affords(&q, 1, false));
    q.used = 40;
    assert_false(yt_quota_affords(&q, 1, false)); /* polling stops at 40 */
    assert_true(yt_quota_affords(&q, 50, true));  /* a reply may dip in */
    q.used = 51;
    assert_false(yt_quota_affords(&q, 50, true));
    q.used = 200; /* Google said quotaExceeded */
    assert_false(yt_quota_affords(&q, 1, true));
}

static void test_roll_starts_a_new_day_at_the_reset(void **state)
{
    (void)state;
    int64_t now = at("2026-11-20T12:00:00Z");
    yt_quota q = {.limit = 100, .used = 0};
    assert_true(yt_quota_roll(&q, now)); /* first use: learn the reset */
    assert_int_equal(at("2026-11-21T08:00:00Z"), q.reset_ms);
    q.used = 77;
    assert_false(yt_quota_roll(&q, now + HOUR));
    assert_int_equal(77, q.used);
    assert_true(yt_quota_roll(&q, at("2026-11-21T08:00:00Z")));
    assert_int_equal(0, q.used);
    assert_int_equal(at("2026-11-22T08:00:00Z"), q.reset_ms);
}

/* A day on a fast clock: poll, pay, wait as the pacer says (never less
 * than the host's 30 s interval), with replies spending 50 units every
 * two hours. The polls must fit the day's budget with the reserve
 * untouched by polling, be spread until the reset, and continue the next
 * day. */
static void test_a_simulated_day_lasts_until_the_reset(void **state)
{
    (void)state;
    const uint64_t host_interval = 30000;
    yt_quota q = {.limit = 2000, .reserve = 500, .last_poll = 3};
    int64_t now = at("2026-03-07T16:00:00Z"); /* 08:00 PST, the day before spring */
    yt_quota_roll(&q, now);
    int64_t reset = q.reset_ms;
    int64_t next_reply = now + 2 * HOUR;
    uint64_t polls = 0, replies = 0, poll_units = 0, last_poll_at = 0;
    while (now < reset) {
        if (now >= next_reply) {
            if (yt_quota_affords(&q, YT_COST_INSERT, true)) {
                q.used += YT_COST_INSERT;
                replies++;
            }
            next_reply += 2 * HOUR;
        }
        if (yt_quota_affords(&q, q.last_poll, false)) {
            q.used += q.last_poll;
            poll_units += q.last_poll;
            polls++;
            last_poll_at = (uint64_t)now;
        }
        uint64_t pace = yt_quota_pace_ms(&q, now);
        now += (int64_t)(pace > host_interval ? pace : host_interval);
    }
    assert_true(polls > 100);
    assert_true(q.used <= q.limit);
    /* Polling never ate into the reserve beyond what replies left. */
    assert_true(poll_units <= q.limit - q.reserve);
    assert_true(replies >= 7); /* 16 hours, one every two */
    /* The last poll came within the last hour: the budget lasted all day. */
    assert_true((uint64_t)reset - last_poll_at < (uint64_t)HOUR);
    assert_true(yt_quota_roll(&q, now));
    assert_int_equal(0, q.used);
    assert_true(yt_quota_affords(&q, q.last_poll, false));
}

static void test_pace_waits_for_the_reset_when_nothing_is_left(void **state)
{
    (void)state;
    int64_t now = at("2026-11-20T12:00:00Z");
    yt_quota q = {.limit = 100, .reserve = 10, .used = 90, .last_poll = 1};
    q.reset_ms = at("2026-11-21T08:00:00Z");
    assert_int_equal((uint64_t)(q.reset_ms - now), yt_quota_pace_ms(&q, now));
    q.used = 80; /* ten polls left for 20 hours: two hours apart */
    assert_int_equal(2 * HOUR, (int64_t)yt_quota_pace_ms(&q, now));
}

/* ---- normaliser -------------------------------------------------------------- */

typedef struct sink {
    json_t *events[16];
    size_t n;
} sink;

static int collect(void *arg, json_t *ev)
{
    sink *s = arg;
    char err[256];
    if (pipeline_validate(ev, err, sizeof err) != 0)
        fail_msg("event refused by the host: %s", err);
    assert_true(s->n < 16);
    s->events[s->n++] = ev;
    return 0;
}

static void sink_free(sink *s)
{
    for (size_t i = 0; i < s->n; i++)
        json_decref(s->events[i]);
}

static const char *str(const json_t *ev, const char *key)
{
    return json_string_value(json_object_get(ev, key));
}

static void test_thread_fields_and_echo(void **state)
{
    (void)state;
    const char *doc =
        "{\"id\":\"Ugz1\",\"snippet\":{\"videoId\":\"dQw4w9WgXcQ\",\"totalReplyCount\":4,"
        "\"topLevelComment\":{\"id\":\"Ugz1\",\"snippet\":{\"textOriginal\":\"broke\","
        "\"authorDisplayName\":\"@ann\",\"authorChannelId\":{\"value\":\"UCann\"},"
        "\"publishedAt\":\"2026-11-20T10:00:00Z\"}}},"
        "\"replies\":{\"comments\":[{\"id\":\"Ugz1.a\",\"snippet\":{\"parentId\":\"Ugz1\","
        "\"textOriginal\":\"sorry!\",\"authorChannelId\":{\"value\":\"UCbrand\"}}},"
        "{\"id\":\"Ugz1.b\",\"snippet\":{\"parentId\":\"Ugz1\",\"textOriginal\":\"thanks\","
        "\"authorChannelId\":{\"value\":\"UCann\"}}},"
        "{\"id\":\"Other.c\",\"snippet\":{\"parentId\":\"Other\",\"textOriginal\":\"x\"}}]}}";
    json_t *thread = json_loads(doc, 0, NULL);
    assert_non_null(thread);
    yt_brand b = {.channel_id = "UCbrand"};
    sink s = {0};
    yt_thread_info info;
    yt_stats st = {0};
    assert_int_equal(0, yt_thread(&b, thread, NULL, collect, &s, &info, &st));
    assert_string_equal("Ugz1", info.id);
    assert_string_equal("dQw4w9WgXcQ", info.video_id);
    assert_int_equal(4, info.total_replies);
    assert_int_equal(3, info.embedded);
    assert_int_equal(at("2026-11-20T10:00:00Z"), info.published_ms);
    assert_int_equal(2, s.n);
    assert_int_equal(1, st.echoes);  /* the brand's reply */
    assert_int_equal(1, st.invalid); /* a reply of another thread */
    assert_string_equal("https://www.youtube.com/watch?v=dQw4w9WgXcQ&lc=Ugz1", str(s.events[0], "url"));
    assert_string_equal("ann", str(json_object_get(s.events[0], "author"), "handle"));
    assert_null(json_object_get(s.events[0], "in_reply_to"));
    assert_string_equal("Ugz1", str(s.events[1], "in_reply_to"));
    assert_string_equal("Ugz1", str(s.events[1], "thread_id"));
    assert_string_equal("dQw4w9WgXcQ", str(json_object_get(s.events[1], "context"), "id"));
    sink_free(&s);
    json_decref(thread);
}

static void test_malformed_threads_emit_nothing(void **state)
{
    (void)state;
    static const char *const docs[] = {
        "{}", "[]", "{\"id\":\"Ugz1\"}", "{\"id\":\"Ugz1\",\"snippet\":{\"topLevelComment\":{\"id\":\"X\"}}}",
        "{\"id\":\"bad id\",\"snippet\":{\"topLevelComment\":{\"id\":\"bad id\",\"snippet\":{}}}}",
        "{\"id\":5,\"snippet\":[]}"};
    yt_brand b = {.channel_id = "UCbrand"};
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        json_t *doc = json_loads(docs[i], 0, NULL);
        sink s = {0};
        yt_thread_info info;
        yt_stats st = {0};
        assert_int_equal(GW_EINVAL, yt_thread(&b, doc, NULL, collect, &s, &info, &st));
        assert_int_equal(0, s.n);
        json_decref(doc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offset_follows_us_dst),
        cmocka_unit_test(test_reset_is_the_next_pacific_midnight),
        cmocka_unit_test(test_reset_across_the_spring_transition),
        cmocka_unit_test(test_reset_across_the_autumn_transition),
        cmocka_unit_test(test_affords_keeps_the_reserve_for_replies),
        cmocka_unit_test(test_roll_starts_a_new_day_at_the_reset),
        cmocka_unit_test(test_a_simulated_day_lasts_until_the_reset),
        cmocka_unit_test(test_pace_waits_for_the_reset_when_nothing_is_left),
        cmocka_unit_test(test_thread_fields_and_echo),
        cmocka_unit_test(test_malformed_threads_emit_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
