/* tests/unit/test_twitter_normalise.c - the X plugin's normaliser (X JSON
 * -> gateway.event/1), without a host.
 *
 * normalise*.c are compiled into this test (their functions are hidden in
 * twitter.so). Every event it produces is also run through the host's own
 * pipeline_validate, so "the plugin emits what the host accepts" is
 * checked here and not only end to end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../plugins/twitter/normalise.c"
#include "../../plugins/twitter/normalise_build.c"
#include "../../plugins/twitter/normalise_v1.c"
#include "engine/pipeline.h"

static const char *const TERMS[] = {"acme", "acme blender"};
static const tw_brand BRAND = {
    .user_id = "100", .handle = "acme", .terms = TERMS, .term_count = 2, .include_raw = false};

/* Collects what the normaliser emits; refuses with `refuse` when set. */
typedef struct sink {
    json_t *events;
    int refuse;         /* returned by emit when non-zero */
    size_t refuse_from; /* ... from this many accepted on */
} sink;

static int collect(void *arg, json_t *event)
{
    sink *s = arg;
    if (s->refuse != 0 && json_array_size(s->events) >= s->refuse_from) {
        json_decref(event);
        return s->refuse;
    }
    char err[256] = "";
    if (pipeline_validate(event, err, sizeof err) != 0)
        fail_msg("the host would refuse %s: %s", json_dumps(event, JSON_COMPACT), err);
    json_array_append_new(s->events, event);
    return 0;
}

static json_t *parse(const char *text)
{
    json_error_t jerr;
    json_t *doc = json_loads(text, 0, &jerr);
    if (doc == NULL)
        fail_msg("bad test JSON at %d:%d: %s", jerr.line, jerr.column, jerr.text);
    return doc;
}

static void assert_json(const json_t *got, const char *expected_text)
{
    json_t *expected = parse(expected_text);
    if (!json_equal(got, expected)) {
        char *g = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);
        char *e = json_dumps(expected, JSON_SORT_KEYS | JSON_COMPACT);
        fail_msg("got      %s\nexpected %s", g, e);
    }
    json_decref(expected);
}

static const char MENTIONS_PAGE[] =
    "{\"data\":["
    " {\"id\":\"1860000000000000004\",\"text\":\"RT @ann: @acme late\",\"author_id\":\"300\","
    "  \"referenced_tweets\":[{\"type\":\"retweeted\",\"id\":\"1860000000000000001\"}]},"
    " {\"id\":\"1860000000000000003\",\"text\":\"@ann sorry!\",\"author_id\":\"100\"},"
    " {\"id\":\"1860000000000000002\",\"text\":\"@ann @ACME same here\",\"author_id\":\"300\","
    "  \"conversation_id\":\"1860000000000000001\",\"created_at\":\"2026-11-20T10:05:00Z\","
    "  \"lang\":\"und\",\"referenced_tweets\":[{\"type\":\"quoted\",\"id\":\"5\"},"
    "  {\"type\":\"replied_to\",\"id\":\"1860000000000000001\"}]},"
    " {\"id\":\"1860000000000000001\",\"text\":\"@acme my order is late\",\"author_id\":\"200\","
    "  \"conversation_id\":\"1860000000000000001\",\"created_at\":\"2026-11-20T10:00:00.000Z\","
    "  \"lang\":\"en\",\"edit_history_tweet_ids\":[\"1860000000000000001\"]},"
    " {\"id\":\"not-an-id\",\"text\":\"x\"}],"
    "\"includes\":{\"users\":["
    " {\"id\":\"200\",\"name\":\"Ann\",\"username\":\"ann\",\"verified\":true,"
    "  \"public_metrics\":{\"followers_count\":1234,\"following_count\":1,\"tweet_count\":2,"
    "  \"listed_count\":0}},"
    " {\"id\":\"300\",\"name\":\"Bob\",\"username\":\"bob\"}]},"
    "\"meta\":{\"newest_id\":\"1860000000000000004\",\"oldest_id\":\"1860000000000000001\","
    "\"result_count\":5,\"next_token\":\"abc\"}}";

static void test_v2_page_every_field_oldest_first(void **state)
{
    (void)state;
    json_t *doc = parse(MENTIONS_PAGE);
    sink s = {.events = json_array()};
    tw_page_stats st;
    assert_int_equal(tw_page_tweets(&BRAND, doc, true, collect, &s, &st), 0);
    assert_int_equal(st.items, 5);
    assert_int_equal(st.emitted, 2);
    assert_int_equal(st.echoes, 1);  /* the brand's own reply */
    assert_int_equal(st.skipped, 1); /* the retweet */
    assert_int_equal(st.invalid, 1); /* "not-an-id" */
    assert_true(st.max_id == UINT64_C(1860000000000000004));
    assert_int_equal(json_array_size(s.events), 2);
    assert_json(json_array_get(s.events, 0),
                "{\"type\":\"mention\",\"visibility\":\"public\","
                "\"native_id\":\"1860000000000000001\",\"thread_id\":\"1860000000000000001\","
                "\"url\":\"https://x.com/ann/status/1860000000000000001\","
                "\"text\":\"@acme my order is late\",\"lang\":\"en\","
                "\"created_at\":\"2026-11-20T10:00:00.000Z\","
                "\"tags\":{\"keywords\":[\"acme\"],\"mentioned\":true},"
                "\"author\":{\"id\":\"200\",\"handle\":\"ann\",\"name\":\"Ann\","
                "\"followers\":1234,\"verified\":true}}");
    assert_json(json_array_get(s.events, 1),
                "{\"type\":\"mention\",\"visibility\":\"public\","
                "\"native_id\":\"1860000000000000002\",\"thread_id\":\"1860000000000000001\","
                "\"in_reply_to\":\"1860000000000000001\","
                "\"url\":\"https://x.com/bob/status/1860000000000000002\","
                "\"text\":\"@ann @ACME same here\","
                "\"created_at\":\"2026-11-20T10:05:00.000Z\","
                "\"tags\":{\"keywords\":[\"acme\"],\"mentioned\":true},"
                "\"author\":{\"id\":\"300\",\"handle\":\"bob\",\"name\":\"Bob\"}}");
    json_decref(s.events);
    json_decref(doc);
}

static void test_v2_search_tags_and_fallbacks(void **state)
{
    (void)state;
    /* No includes: the author is an id only and the link has no handle.
     * note_tweet holds a long post's whole text. A bad created_at is left
     * to the host. */
    json_t *doc = parse("{\"data\":["
                        "{\"id\":\"7\",\"text\":\"cut\u2026\",\"author_id\":\"400\","
                        " \"created_at\":\"yesterday\",\"lang\":\"qme\","
                        " \"note_tweet\":{\"text\":\"My ACME blender broke. acmeville rocks\"}},"
                        "{\"id\":\"8\",\"text\":\"#acme's fault, email support@acme.com\"},"
                        "{\"id\":\"9\",\"text\":\"hey @acme_fans\",\"lang\":\"pt-BR\","
                        " \"entities\":{\"mentions\":[{\"username\":\"AcMe\",\"start\":0}]}}]}");
    sink s = {.events = json_array()};
    tw_page_stats st;
    assert_int_equal(tw_page_tweets(&BRAND, doc, false, collect, &s, &st), 0);
    assert_int_equal(st.emitted, 3);
    assert_json(json_array_get(s.events, 0),
                "{\"type\":\"mention\",\"visibility\":\"public\",\"native_id\":\"9\","
                "\"url\":\"https://x.com/i/web/status/9\",\"text\":\"hey @acme_fans\","
                "\"lang\":\"pt-BR\",\"tags\":{\"keywords\":[],\"mentioned\":true}}");
    const json_t *second = json_array_get(s.events, 1);
    /* "#acme's" names the brand; "support@acme.com" is no @-mention. */
    assert_json(json_object_get(second, "tags"), "{\"keywords\":[\"acme\"],\"mentioned\":false}");
    const json_t *third = json_array_get(s.events, 2);
    assert_json(third, "{\"type\":\"mention\",\"visibility\":\"public\",\"native_id\":\"7\","
                       "\"url\":\"https://x.com/i/web/status/7\","
                       "\"text\":\"My ACME blender broke. acmeville rocks\","
                       "\"tags\":{\"keywords\":[\"acme\",\"acme blender\"],\"mentioned\":false},"
                       "\"author\":{\"id\":\"400\"}}");
    json_decref(s.events);
    json_decref(doc);
}

static void test_v2_empty_and_malformed_pages(void **state)
{
    (void)state;
    const char *const docs[] = {
        "{\"meta\":{\"result_count\":0}}",
        "{\"data\":{}}",
        "{\"data\":[1,\"x\",null,[],{}]}",
        "{\"data\":[{\"id\":1.5}]}",
        "{\"data\":[{\"id\":\"12345678901234567890\"}]}", /* 20 digits */
        "{\"data\":[{\"id\":\"1\",\"author_id\":7,\"text\":5,\"referenced_tweets\":{}}],"
        "\"includes\":{\"users\":{\"id\":\"7\"}}}",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        json_t *doc = parse(docs[i]);
        sink s = {.events = json_array()};
        tw_page_stats st;
        assert_int_equal(tw_page_tweets(&BRAND, doc, true, collect, &s, &st), 0);
        assert_int_equal(st.emitted + st.invalid, st.items);
        json_decref(s.events);
        json_decref(doc);
    }
    json_t *array = parse("[]");
    tw_page_stats st;
    sink s = {.events = json_array()};
    assert_int_equal(tw_page_tweets(&BRAND, array, true, collect, &s, &st), GW_EINVAL);
    assert_int_equal(tw_page_dms(&BRAND, array, 0, collect, &s, &st), GW_EINVAL);
    assert_int_equal(tw_webhook_payload(&BRAND, array, collect, &s, &st), GW_EINVAL);
    json_decref(array);
    json_decref(s.events);
}

static void test_emit_refusals_are_counted_and_stopping_stops(void **state)
{
    (void)state;
    json_t *doc = parse(MENTIONS_PAGE);
    sink s = {.events = json_array(), .refuse = GW_EINVAL, .refuse_from = 1};
    tw_page_stats st;
    tw_page_tweets(&BRAND, doc, true, collect, &s, &st);
    assert_int_equal(st.emitted, 1);
    assert_int_equal(st.invalid, 2); /* "not-an-id", then the refused one */
    json_decref(s.events);

    s.events = json_array();
    s.refuse = GW_ESTATE;
    s.refuse_from = 0;
    tw_page_tweets(&BRAND, doc, true, collect, &s, &st);
    assert_true(st.stopped);
    assert_int_equal(st.emitted, 0);
    assert_true(st.items < 5); /* nothing after the refusal was looked at */
    json_decref(s.events);
    json_decref(doc);
}

static const char DM_PAGE[] =
    "{\"data\":["
    " {\"id\":\"1860000000000000030\",\"event_type\":\"MessageCreate\",\"text\":\"on it\","
    "  \"sender_id\":\"100\",\"dm_conversation_id\":\"100-200\"},"
    " {\"id\":\"1860000000000000020\",\"event_type\":\"ParticipantsJoin\"},"
    " {\"id\":\"1860000000000000010\",\"event_type\":\"MessageCreate\",\"text\":\"where is acme?\","
    "  \"sender_id\":\"200\",\"dm_conversation_id\":\"100-200\","
    "  \"created_at\":\"2026-11-20T11:00:00.000Z\"},"
    " {\"id\":\"1860000000000000005\",\"text\":\"older\",\"sender_id\":\"200\","
    "  \"dm_conversation_id\":\"bad conversation/../\"}],"
    "\"includes\":{\"users\":[{\"id\":\"200\",\"name\":\"Ann\",\"username\":\"ann\"}]},"
    "\"meta\":{\"result_count\":4,\"next_token\":\"ABCDEFGHIJKLMNOPQR\"}}";

static void test_dm_page_stops_at_known_ids(void **state)
{
    (void)state;
    json_t *doc = parse(DM_PAGE);
    sink s = {.events = json_array()};
    tw_page_stats st;
    assert_int_equal(tw_page_dms(&BRAND, doc, 0, collect, &s, &st), 0);
    assert_int_equal(st.emitted, 2);
    assert_int_equal(st.echoes, 1);
    assert_int_equal(st.skipped, 1);
    assert_false(st.reached_known);
    assert_json(json_array_get(s.events, 0),
                "{\"type\":\"message\",\"visibility\":\"private\","
                "\"native_id\":\"1860000000000000005\",\"text\":\"older\","
                "\"tags\":{\"keywords\":[],\"mentioned\":false},"
                "\"author\":{\"id\":\"200\",\"handle\":\"ann\",\"name\":\"Ann\"}}");
    assert_json(json_array_get(s.events, 1),
                "{\"type\":\"message\",\"visibility\":\"private\","
                "\"native_id\":\"1860000000000000010\",\"thread_id\":\"100-200\","
                "\"url\":\"https://x.com/messages/100-200\",\"text\":\"where is acme?\","
                "\"created_at\":\"2026-11-20T11:00:00.000Z\","
                "\"tags\":{\"keywords\":[\"acme\"],\"mentioned\":false},"
                "\"author\":{\"id\":\"200\",\"handle\":\"ann\",\"name\":\"Ann\"}}");
    json_decref(s.events);

    /* With the newest known id at ...10, only the newer event is new. */
    s.events = json_array();
    tw_page_dms(&BRAND, doc, UINT64_C(1860000000000000010), collect, &s, &st);
    assert_true(st.reached_known);
    assert_int_equal(st.emitted, 0);
    assert_int_equal(st.echoes, 1);
    assert_true(st.max_id == UINT64_C(1860000000000000030));
    json_decref(s.events);
    json_decref(doc);
}

static const char WEBHOOK[] =
    "{\"for_user_id\":\"100\",\"tweet_create_events\":["
    " {\"created_at\":\"Wed Oct 10 20:19:24 +0000 2018\",\"id_str\":\"1050118621198921728\","
    "  \"text\":\"@acme cut\",\"truncated\":true,\"in_reply_to_status_id_str\":null,"
    "  \"extended_tweet\":{\"full_text\":\"@acme the whole long text\",\"entities\":"
    "  {\"user_mentions\":[{\"id_str\":\"100\",\"screen_name\":\"acme\"}]}},\"lang\":\"en\","
    "  \"user\":{\"id_str\":\"200\",\"name\":\"Ann\",\"screen_name\":\"ann\","
    "  \"followers_count\":10,\"verified\":false}},"
    " {\"created_at\":\"Wed Oct 10 20:20:00 -0130 2018\",\"id_str\":\"1050118621198921729\","
    "  \"text\":\"acme blender again\",\"in_reply_to_status_id_str\":\"1050118621198921728\","
    "  \"user\":{\"id_str\":\"300\",\"screen_name\":\"bob\"}},"
    " {\"id_str\":\"1050118621198921730\",\"text\":\"RT\",\"retweeted_status\":{},"
    "  \"user\":{\"id_str\":\"300\"}},"
    " {\"id_str\":\"1050118621198921731\",\"text\":\"@ann thanks\",\"user\":{\"id_str\":\"100\"}}],"
    "\"direct_message_events\":["
    " {\"type\":\"message_create\",\"id\":\"1050118621198921740\","
    "  \"created_timestamp\":\"1539203964469\",\"message_create\":{\"target\":"
    "  {\"recipient_id\":\"100\"},\"sender_id\":\"3000\",\"message_data\":{\"text\":\"hi\"}}},"
    " {\"type\":\"message_create\",\"id\":\"1050118621198921741\",\"message_create\":"
    "  {\"target\":{\"recipient_id\":\"3000\"},\"sender_id\":\"100\","
    "  \"message_data\":{\"text\":\"hello\"}}},"
    " {\"type\":\"typing\",\"id\":\"1050118621198921742\"}],"
    "\"users\":{\"3000\":{\"id\":\"3000\",\"name\":\"Cy\",\"screen_name\":\"cy\","
    " \"followers_count\":3,\"verified\":true}}}";

static void test_webhook_payload_v1_shapes(void **state)
{
    (void)state;
    json_t *doc = parse(WEBHOOK);
    sink s = {.events = json_array()};
    tw_page_stats st;
    assert_int_equal(tw_webhook_payload(&BRAND, doc, collect, &s, &st), 0);
    assert_int_equal(st.items, 7);
    assert_int_equal(st.emitted, 3);
    assert_int_equal(st.echoes, 2);
    assert_int_equal(st.skipped, 2);
    assert_json(json_array_get(s.events, 0),
                "{\"type\":\"mention\",\"visibility\":\"public\","
                "\"native_id\":\"1050118621198921728\",\"thread_id\":\"1050118621198921728\","
                "\"url\":\"https://x.com/ann/status/1050118621198921728\","
                "\"text\":\"@acme the whole long text\",\"lang\":\"en\","
                "\"created_at\":\"2018-10-10T20:19:24.000Z\","
                "\"tags\":{\"keywords\":[\"acme\"],\"mentioned\":true},"
                "\"author\":{\"id\":\"200\",\"handle\":\"ann\",\"name\":\"Ann\","
                "\"followers\":10,\"verified\":false}}");
    assert_json(json_array_get(s.events, 1),
                "{\"type\":\"mention\",\"visibility\":\"public\","
                "\"native_id\":\"1050118621198921729\","
                "\"in_reply_to\":\"1050118621198921728\","
                "\"url\":\"https://x.com/bob/status/1050118621198921729\","
                "\"text\":\"acme blender again\",\"created_at\":\"2018-10-10T21:50:00.000Z\","
                "\"tags\":{\"keywords\":[\"acme\",\"acme blender\"],\"mentioned\":false},"
                "\"author\":{\"id\":\"300\",\"handle\":\"bob\"}}");
    assert_json(json_array_get(s.events, 2),
                "{\"type\":\"message\",\"visibility\":\"private\","
                "\"native_id\":\"1050118621198921740\",\"thread_id\":\"100-3000\","
                "\"url\":\"https://x.com/messages/100-3000\",\"text\":\"hi\","
                "\"created_at\":\"2018-10-10T20:39:24.469Z\","
                "\"tags\":{\"keywords\":[],\"mentioned\":false},"
                "\"author\":{\"id\":\"3000\",\"handle\":\"cy\",\"name\":\"Cy\","
                "\"followers\":3,\"verified\":true}}");
    json_decref(s.events);

    /* The same delivery for another subscribed user: nothing is ours. */
    json_object_set_new(doc, "for_user_id", json_string("999"));
    s.events = json_array();
    tw_webhook_payload(&BRAND, doc, collect, &s, &st);
    assert_int_equal(st.emitted, 0);
    assert_int_equal(st.skipped, 7);
    json_decref(s.events);
    json_decref(doc);
}

static void test_raw_is_kept_when_asked(void **state)
{
    (void)state;
    tw_brand b = BRAND;
    b.include_raw = true;
    json_t *doc = parse("{\"data\":[{\"id\":\"1\",\"text\":\"acme\",\"x_extra\":[1,2]}]}");
    sink s = {.events = json_array()};
    tw_page_stats st;
    tw_page_tweets(&b, doc, false, collect, &s, &st);
    assert_json(json_object_get(json_array_get(s.events, 0), "raw"),
                "{\"id\":\"1\",\"text\":\"acme\",\"x_extra\":[1,2]}");
    json_decref(s.events);
    json_decref(doc);
}

static void test_ids_and_v1_times(void **state)
{
    (void)state;
    uint64_t v = 0;
    assert_true(tw_id_parse("1", &v) && v == 1);
    assert_true(tw_id_parse("9999999999999999999", &v) && v == UINT64_C(9999999999999999999));
    assert_false(tw_id_parse("10000000000000000000", &v));
    assert_false(tw_id_parse("", &v));
    assert_false(tw_id_parse("12a", &v));
    assert_false(tw_id_parse("-1", &v));
    assert_false(tw_id_parse(" 1", &v));
    assert_false(tw_id_parse(NULL, &v));

    int64_t ms = 0;
    assert_int_equal(tw_time_parse_v1("Wed Oct 10 20:19:24 +0000 2018", &ms), 0);
    assert_true(ms == INT64_C(1539202764000));
    assert_int_equal(tw_time_parse_v1("Wed Oct 10 20:19:24 +0200 2018", &ms), 0);
    assert_true(ms == INT64_C(1539202764000) - 7200000);
    const char *const bad[] = {"Wed Oct 10 20:19:24 +0000 18",
                               "Wed Foo 10 20:19:24 +0000 2018",
                               "Wed Oct 10 20:19:24 0000 2018",
                               "Wed Oct 1a 20:19:24 +0000 2018",
                               "Wed Oct 10 25:19:24 +0000 2018",
                               "",
                               NULL};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(tw_time_parse_v1(bad[i], &ms), GW_EPARSE);
}

static void test_word_matching(void **state)
{
    (void)state;
    assert_true(contains_word("Acme's order", "acme"));
    assert_true(contains_word("love acme", "acme"));
    assert_true(contains_word("(acme)", "acme"));
    assert_false(contains_word("acmeville", "acme"));
    assert_false(contains_word("my_acme", "acme"));
    assert_false(contains_word("acm", "acme"));
    assert_true(contains_word("@ACME hi", "@acme"));
    assert_false(contains_word("x@acme", "@acme"));
    assert_false(contains_word("@acme_fans", "@acme"));
    assert_true(contains_word("the acme  blender, acme blender!", "acme blender"));
    assert_false(contains_word("anything", ""));
    assert_true(tw_useful_lang("en") != NULL);
    assert_true(tw_useful_lang("pt-BR") != NULL);
    assert_null(tw_useful_lang("und"));
    assert_null(tw_useful_lang("qht"));
    assert_null(tw_useful_lang("e"));
    assert_null(tw_useful_lang("en-"));
    assert_null(tw_useful_lang("en_US"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v2_page_every_field_oldest_first),
        cmocka_unit_test(test_v2_search_tags_and_fallbacks),
        cmocka_unit_test(test_v2_empty_and_malformed_pages),
        cmocka_unit_test(test_emit_refusals_are_counted_and_stopping_stops),
        cmocka_unit_test(test_dm_page_stops_at_known_ids),
        cmocka_unit_test(test_webhook_payload_v1_shapes),
        cmocka_unit_test(test_raw_is_kept_when_asked),
        cmocka_unit_test(test_ids_and_v1_times),
        cmocka_unit_test(test_word_matching),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
