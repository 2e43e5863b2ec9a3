/* test_events_query.c - GET /v1/events query parsing, filter match and
 * the SSE frame (core/api/events_query.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/events_query.h"
#include "gateway/error.h"

static void test_parse_after_limit_and_repeated_filters(void **state)
{
    (void)state;
    events_query q;
    char err[160] = "";
    assert_int_equal(GW_OK, events_query_parse("after=42&limit=7&type=act&type=men%74ion"
                                               "&account=a+b&network=mock&&",
                                               &q, err, sizeof err));
    assert_int_equal(42, q.after);
    assert_int_equal(7, q.limit);
    assert_int_equal(2, q.type.count);
    assert_string_equal("act", q.type.values[0]);
    assert_string_equal("mention", q.type.values[1]);
    assert_string_equal("a b", q.account.values[0]);
    assert_string_equal("mock", q.network.values[0]);
    events_query_free(&q);

    assert_int_equal(GW_OK, events_query_parse("", &q, err, sizeof err));
    assert_int_equal(-1, q.after);
    assert_int_equal(0, q.limit);
    assert_int_equal(0, q.type.count);
    events_query_free(&q);
    assert_int_equal(GW_OK, events_query_parse("after=0", &q, err, sizeof err));
    assert_int_equal(0, q.after);
    events_query_free(&q);
}

static void expect_bad(const char *query, const char *in_message)
{
    events_query q;
    char err[160] = "";
    assert_int_equal(GW_EINVAL, events_query_parse(query, &q, err, sizeof err));
    assert_non_null(strstr(err, in_message));
    events_query_free(&q);
}

static void test_parse_rejects_what_is_not_understood(void **state)
{
    (void)state;
    expect_bad("after=-1", "after must be");
    expect_bad("after=1x", "after must be");
    expect_bad("after=1234567890123456789", "after must be");
    expect_bad("after=1&after=2", "twice");
    expect_bad("limit=0", "limit must be");
    expect_bad("limit=1001", "limit must be");
    expect_bad("limit=5&limit=5", "twice");
    expect_bad("since=3", "unknown query parameter \"since\"");
    expect_bad("type=", "empty value");
    expect_bad("type", "name=value");
    expect_bad("type=%zz", "percent-encoding");
    expect_bad("type=%4", "percent-encoding");
    expect_bad("account=a%00b", "percent-encoding");
    char many[1024] = "";
    for (int i = 0; i < EVENTS_QUERY_MAX_VALUES + 1; i++)
        strcat(many, i ? "&type=x" : "type=x");
    expect_bad(many, "at most");
}

static void test_match_or_within_and_across_prefix_for_type(void **state)
{
    (void)state;
    events_query q;
    char err[160];
    assert_int_equal(GW_OK,
                     events_query_parse("account=acme&account=beta&type=action.&type=mention",
                                        &q, err, sizeof err));
    assert_true(events_query_match(&q, "mock", "acme", "mention"));
    assert_true(events_query_match(&q, "x", "beta", "action.succeeded"));
    assert_false(events_query_match(&q, "mock", "gamma", "mention"));   /* account */
    assert_false(events_query_match(&q, "mock", "acme", "comment"));    /* type */
    assert_false(events_query_match(&q, "mock", "acme", "actio"));      /* shorter */
    assert_false(events_query_match(&q, "mock", NULL, "mention"));
    assert_false(events_query_match(&q, "mock", "acm", "mention"));     /* account is exact */
    events_query_free(&q);
    assert_int_equal(GW_OK, events_query_parse("", &q, err, sizeof err));
    assert_true(events_query_match(&q, NULL, NULL, NULL)); /* no filter */
    events_query_free(&q);
}

static void test_parse_seq(void **state)
{
    (void)state;
    int64_t v = -1;
    assert_int_equal(GW_OK, events_parse_seq("0", &v));
    assert_int_equal(0, v);
    assert_int_equal(GW_OK, events_parse_seq("999999999999999999", &v));
    assert_int_equal(999999999999999999LL, v);
    assert_int_equal(GW_EINVAL, events_parse_seq("", &v));
    assert_int_equal(GW_EINVAL, events_parse_seq(" 1", &v));
    assert_int_equal(GW_EINVAL, events_parse_seq("+1", &v));
    assert_int_equal(GW_EINVAL, events_parse_seq(NULL, &v));
}

static void test_sse_frame(void **state)
{
    (void)state;
    size_t len = 0;
    const char json[] = "{\"seq\":12,\"type\":\"mention\"}";
    char *f = events_sse_frame(12, "mention", json, sizeof json - 1, &len);
    const char want[] = "id: 12\nevent: mention\ndata: {\"seq\":12,\"type\":\"mention\"}\n\n";
    assert_int_equal(sizeof want - 1, len);
    assert_memory_equal(want, f, len);
    free(f);
    /* A type that would break the framing is left out; data stays one line. */
    f = events_sse_frame(3, "bad\ntype", "{\"a\":\n1}", 8, &len);
    const char want2[] = "id: 3\ndata: {\"a\": 1}\n\n";
    assert_int_equal(sizeof want2 - 1, len);
    assert_memory_equal(want2, f, len);
    free(f);
    f = events_sse_frame(4, NULL, "{}", 2, &len);
    assert_int_equal(strlen("id: 4\ndata: {}\n\n"), len);
    assert_memory_equal("id: 4\ndata: {}\n\n", f, len);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_after_limit_and_repeated_filters),
        cmocka_unit_test(test_parse_rejects_what_is_not_understood),
        cmocka_unit_test(test_match_or_within_and_across_prefix_for_type),
        cmocka_unit_test(test_parse_seq),
        cmocka_unit_test(test_sse_frame),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
