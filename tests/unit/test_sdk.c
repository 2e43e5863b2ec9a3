/* tests/unit/test_sdk.c - the plugin SDK helpers (the sdk/ folder).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "gateway/sdk.h"


/* ---- time ---------------------------------------------------------- */

static void assert_format(int64_t ms, const char *expected)
{
    char buf[GW_SDK_RFC3339_SIZE];
    assert_int_equal(gw_sdk_time_format(ms, buf, sizeof buf), GW_SDK_RFC3339_LEN);
    assert_string_equal(buf, expected);
}

static void assert_parse(const char *text, int64_t expected)
{
    int64_t ms = 0;
    assert_int_equal(gw_sdk_time_parse(text, &ms), 0);
    assert_true(ms == expected);
}

static void assert_parse_fails(const char *text)
{
    int64_t ms = 12345;
    assert_int_equal(gw_sdk_time_parse(text, &ms), GW_EPARSE);
    assert_true(ms == 12345); /* untouched */
}

static void test_time_format_known(void **state)
{
    (void)state;
    assert_format(0, "1970-01-01T00:00:00.000Z");
    assert_format(INT64_C(1795168800000), "2026-11-20T10:00:00.000Z");
    assert_format(INT64_C(1795168800123), "2026-11-20T10:00:00.123Z");
    assert_format(-1, "1969-12-31T23:59:59.999Z");
    assert_format(INT64_C(-62135596800000), "0001-01-01T00:00:00.000Z");
    assert_format(INT64_C(951782400000), "2000-02-29T00:00:00.000Z");
    assert_format(INT64_C(4107542399999), "2100-02-28T23:59:59.999Z");
    assert_format(INT64_C(4107542400000), "2100-03-01T00:00:00.000Z");
}

static void test_time_format_limits(void **state)
{
    (void)state;
    char buf[GW_SDK_RFC3339_SIZE];
    int64_t first = 0, last = 0;
    assert_int_equal(gw_sdk_time_parse("0000-01-01T00:00:00Z", &first), 0);
    assert_int_equal(gw_sdk_time_parse("9999-12-31T23:59:59.999Z", &last), 0);
    assert_format(first, "0000-01-01T00:00:00.000Z");
    assert_format(last, "9999-12-31T23:59:59.999Z");
    assert_int_equal(gw_sdk_time_format(first - 1, buf, sizeof buf), GW_ERANGE);
    assert_string_equal(buf, "");
    assert_int_equal(gw_sdk_time_format(last + 1, buf, sizeof buf), GW_ERANGE);
    assert_int_equal(gw_sdk_time_format(0, buf, GW_SDK_RFC3339_LEN), GW_ERANGE);
    assert_int_equal(gw_sdk_time_format(0, NULL, 0), GW_ERANGE);
}

static void test_time_parse_offsets(void **state)
{
    (void)state;
    const int64_t t = INT64_C(1795168800000); /* 2026-11-20T10:00:00Z */
    assert_parse("2026-11-20T10:00:00Z", t);
    assert_parse("2026-11-20T10:00:00.000Z", t);
    assert_parse("2026-11-20t10:00:00z", t);
    assert_parse("2026-11-20 10:00:00Z", t);
    assert_parse("2026-11-20T11:30:00+01:30", t);
    assert_parse("2026-11-20T05:00:00-05:00", t);
    assert_parse("2026-11-20T10:00:00-00:00", t);
    assert_parse("2026-11-21T09:59:00+23:59", t);
    assert_parse("2026-11-20T10:00:00.5Z", t + 500);
    assert_parse("2026-11-20T10:00:00.12Z", t + 120);
    assert_parse("2026-11-20T10:00:00.123999Z", t + 123); /* truncated */
    assert_parse("2026-11-20T00:30:00+01:00", t - INT64_C(10) * 3600000 - 1800000);
    /* A leap second reads as the next minute's first second. */
    assert_parse("2016-12-31T23:59:60Z", INT64_C(1483228800000));
    assert_parse("1969-12-31T23:59:59.999Z", -1);
    assert_parse("2000-02-29T00:00:00Z", INT64_C(951782400000));
}

static void test_time_parse_rejects(void **state)
{
    (void)state;
    const char *bad[] = {
        "",
        "2026-11-20",
        "2026-11-20T10:00:00",   /* no offset */
        "2026-11-20T10:00Z",     /* no seconds */
        "2026-11-20T10:00:00.Z", /* empty fraction */
        "2026-11-20T10:00:00Zjunk",
        "2026-11-20T10:00:00+0100", /* offset needs the colon */
        "2026-11-20T10:00:00+24:00",
        "2026-11-20T10:00:00+01:60",
        "2026-13-01T10:00:00Z",
        "2026-00-01T10:00:00Z",
        "2026-02-29T10:00:00Z", /* not a leap year */
        "1900-02-29T10:00:00Z", /* nor is 1900 */
        "2026-04-31T10:00:00Z",
        "2026-11-20T24:00:00Z",
        "2026-11-20T10:60:00Z",
        "2026-11-20T10:00:61Z",
        "26-11-20T10:00:00Z",
        "2026-11-20X10:00:00Z",
        "+2026-11-20T10:00:00Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_parse_fails(bad[i]);
    int64_t ms;
    assert_int_equal(gw_sdk_time_parse(NULL, &ms), GW_EPARSE);
    assert_int_equal(gw_sdk_time_parse("2026-11-20T10:00:00Z", NULL), GW_EPARSE);
}

/* Random instants across the supported range survive format -> parse,
 * and agree with the C library's gmtime_r where time_t reaches. */
static void test_time_round_trip(void **state)
{
    (void)state;
    int64_t first = 0, last = 0;
    assert_int_equal(gw_sdk_time_parse("0000-01-01T00:00:00Z", &first), 0);
    assert_int_equal(gw_sdk_time_parse("9999-12-31T23:59:59.999Z", &last), 0);
    gw_sdk_rng rng;
    gw_sdk_rng_seed(&rng, 2026);
    for (int i = 0; i < 20000; i++) {
        int64_t ms = first + (int64_t)gw_sdk_rng_below(&rng, (uint64_t)(last - first) + 1);
        char buf[GW_SDK_RFC3339_SIZE];
        assert_int_equal(gw_sdk_time_format(ms, buf, sizeof buf), GW_SDK_RFC3339_LEN);
        int64_t back = 0;
        assert_int_equal(gw_sdk_time_parse(buf, &back), 0);
        assert_true(back == ms);

        /* gmtime_r as an independent reference, on 1900-2200. */
        if (ms >= INT64_C(-2208988800000) && ms < INT64_C(7258118400000)) {
            time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
            struct tm tm;
            assert_non_null(gmtime_r(&secs, &tm));
            char ref[32];
            strftime(ref, sizeof ref, "%Y-%m-%dT%H:%M:%S", &tm);
            assert_memory_equal(buf, ref, 19);
        }
    }
}

/* ---- rng ----------------------------------------------------------- */

static void test_rng_known_answers(void **state)
{
    (void)state;
    /* Values computed with an independent Python implementation of
     * splitmix64 and xoshiro256**: the stream of a seed must never
     * change, or every mock run would change with it. */
    uint64_t sm = 0;
    assert_true(gw_sdk_splitmix64(&sm) == UINT64_C(0xe220a8397b1dcdaf));
    const struct {
        uint64_t seed;
        uint64_t out[3];
    } cases[] = {
        {0,
         {UINT64_C(0x99ec5f36cb75f2b4), UINT64_C(0xbf6e1f784956452a),
          UINT64_C(0x1a5f849d4933e6e0)}},
        {1,
         {UINT64_C(0xb3f2af6d0fc710c5), UINT64_C(0x853b559647364cea),
          UINT64_C(0x92f89756082a4514)}},
        {42,
         {UINT64_C(0x15780b2e0c2ec716), UINT64_C(0x6104d9866d113a7e),
          UINT64_C(0xae17533239e499a1)}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        gw_sdk_rng rng;
        gw_sdk_rng_seed(&rng, cases[c].seed);
        for (int i = 0; i < 3; i++)
            assert_true(gw_sdk_rng_next(&rng) == cases[c].out[i]);
    }
}

static void test_rng_determinism(void **state)
{
    (void)state;
    gw_sdk_rng a, b, c;
    gw_sdk_rng_seed(&a, 7);
    gw_sdk_rng_seed(&b, 7);
    gw_sdk_rng_seed(&c, 8);
    int differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = gw_sdk_rng_next(&a);
        assert_true(x == gw_sdk_rng_next(&b));
        differ += x != gw_sdk_rng_next(&c);
    }
    assert_true(differ > 990);
    assert_true(gw_sdk_mix64(1) == gw_sdk_mix64(1));
    assert_true(gw_sdk_mix64(1) != gw_sdk_mix64(2));
}

static void test_rng_ranges(void **state)
{
    (void)state;
    gw_sdk_rng rng;
    gw_sdk_rng_seed(&rng, 99);
    assert_true(gw_sdk_rng_below(&rng, 0) == 0);
    assert_true(gw_sdk_rng_below(&rng, 1) == 0);
    unsigned hist[10] = {0};
    for (int i = 0; i < 100000; i++) {
        uint64_t v = gw_sdk_rng_below(&rng, 10);
        assert_true(v < 10);
        hist[v]++;
        double u = gw_sdk_rng_unit(&rng);
        assert_true(u >= 0.0 && u < 1.0);
    }
    for (int i = 0; i < 10; i++)
        assert_true(hist[i] > 9500 && hist[i] < 10500); /* ~10000 each */
    /* A bound just above half the range exercises the rejection loop. */
    uint64_t big = UINT64_MAX / 2 + 2;
    for (int i = 0; i < 1000; i++)
        assert_true(gw_sdk_rng_below(&rng, big) < big);
}

/* ---- json ---------------------------------------------------------- */

static void test_json_accessors(void **state)
{
    (void)state;
    json_t *obj = json_pack("{s:s, s:i, s:f, s:b, s:n}", "name", "acme", "n", 42, "ratio", 0.5,
                            "on", 1, "nothing");
    assert_non_null(obj);
    assert_string_equal(gw_sdk_json_string(obj, "name", "x"), "acme");
    assert_string_equal(gw_sdk_json_string(obj, "n", "x"), "x");
    assert_string_equal(gw_sdk_json_string(obj, "absent", "x"), "x");
    assert_null(gw_sdk_json_string(obj, "nothing", NULL));
    assert_true(gw_sdk_json_int(obj, "n", -1) == 42);
    assert_true(gw_sdk_json_int(obj, "ratio", -1) == -1);
    assert_true(gw_sdk_json_number(obj, "ratio", -1) == 0.5);
    assert_true(gw_sdk_json_number(obj, "n", -1) == 42.0);
    assert_int_equal(gw_sdk_json_bool(obj, "on", 0), 1);
    assert_int_equal(gw_sdk_json_bool(obj, "n", 7), 7);
    /* Not an object at all. */
    assert_string_equal(gw_sdk_json_string(NULL, "name", "d"), "d");
    json_t *arr = json_array();
    assert_true(gw_sdk_json_int(arr, "n", 5) == 5);

    assert_int_equal(gw_sdk_json_set_string(obj, "name", "globex"), 0);
    assert_string_equal(gw_sdk_json_string(obj, "name", NULL), "globex");
    assert_int_equal(gw_sdk_json_set_string(obj, "name", NULL), 0);
    assert_true(json_is_null(json_object_get(obj, "name")));
    assert_int_equal(gw_sdk_json_set_string(obj, "bad", "\xff\xfe"), GW_EINVAL);
    assert_int_equal(gw_sdk_json_set_string(arr, "x", "y"), GW_EINVAL);
    json_decref(arr);
    json_decref(obj);
}

/* ---- strings ------------------------------------------------------- */

static void test_str_copy(void **state)
{
    (void)state;
    char buf[8];
    assert_int_equal(gw_sdk_str_copy(buf, sizeof buf, "hello"), 5);
    assert_string_equal(buf, "hello");
    assert_int_equal(gw_sdk_str_copy(buf, sizeof buf, "hello world"), 11);
    assert_string_equal(buf, "hello w");
    assert_int_equal(gw_sdk_str_copy(buf, sizeof buf, NULL), 0);
    assert_string_equal(buf, "");
    /* Room for 5 bytes: the cut would fall inside the 2-byte e-acute. */
    char small[6];
    assert_int_equal(gw_sdk_str_copy(small, sizeof small, "abcd\xc3\xa9xyz"), 9);
    assert_string_equal(small, "abcd");
    /* A 4-byte sequence at the edge. */
    char four[5];
    gw_sdk_str_copy(four, sizeof four, "a\xf0\x9f\x98\x80");
    assert_string_equal(four, "a");
    assert_int_equal(gw_sdk_str_copy(NULL, 0, "abc"), 3);

    char *dup = gw_sdk_str_dup("acme");
    assert_non_null(dup);
    assert_string_equal(dup, "acme");
    free(dup);
    assert_null(gw_sdk_str_dup(NULL));
}

/* ---- kv ------------------------------------------------------------ */

/* A host with only the key/value store, one key. */
typedef struct kv_fake {
    char key[32];
    char value[64];
    int present;
} kv_fake;

static int kv_fake_get(gw_account *acct, const char *key, char *buf, size_t buflen)
{
    kv_fake *kv = (kv_fake *)acct;
    if (!kv->present || strcmp(kv->key, key) != 0)
        return GW_ENOENT;
    size_t len = strlen(kv->value);
    if (len + 1 > buflen)
        return GW_ERANGE;
    memcpy(buf, kv->value, len + 1);
    return (int)len;
}

static int kv_fake_set(gw_account *acct, const char *key, const char *value)
{
    kv_fake *kv = (kv_fake *)acct;
    snprintf(kv->key, sizeof kv->key, "%s", key);
    snprintf(kv->value, sizeof kv->value, "%s", value);
    kv->present = 1;
    return 0;
}

static void test_kv_u64(void **state)
{
    (void)state;
    gw_host host;
    memset(&host, 0, sizeof host);
    host.struct_size = sizeof host;
    host.kv_get = kv_fake_get;
    host.kv_set = kv_fake_set;
    kv_fake kv;
    memset(&kv, 0, sizeof kv);
    gw_account *acct = (gw_account *)&kv;

    uint64_t v = 1;
    assert_int_equal(gw_sdk_kv_get_u64(&host, acct, "n", 17, &v), 0);
    assert_true(v == 17);
    assert_int_equal(gw_sdk_kv_set_u64(&host, acct, "n", 0), 0);
    assert_string_equal(kv.value, "0");
    assert_int_equal(gw_sdk_kv_set_u64(&host, acct, "n", UINT64_MAX), 0);
    assert_string_equal(kv.value, "18446744073709551615");
    assert_int_equal(gw_sdk_kv_get_u64(&host, acct, "n", 0, &v), 0);
    assert_true(v == UINT64_MAX);

    const char *bad[] = {
        "", "12a", "-1", "18446744073709551616", "1 ", "123456789012345678901234567890123456789"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(kv.value, sizeof kv.value, "%s", bad[i]);
        v = 5;
        assert_int_equal(gw_sdk_kv_get_u64(&host, acct, "n", 0, &v), GW_EPARSE);
        assert_true(v == 5);
    }
}

/* gw_sdk_buf: pieces appended in order, URL parameters encoded with '?'
 * then '&', a long value past the small stack buffer, take() emptying the
 * buffer, "" from an empty one, and a failed buffer answering NULL. */
static void test_buf(void **state)
{
    (void)state;
    gw_sdk_buf b = GW_SDK_BUF_INIT;
    gw_sdk_buf_adds(&b, "https://api.example/v1");
    gw_sdk_buf_add(&b, "/itemsXYZ", 6);
    gw_sdk_buf_url_param(&b, "q", "a b&c=d");
    gw_sdk_buf_url_param(&b, "caf\xc3\xa9", "~ok-._");
    char *url = gw_sdk_buf_take(&b);
    assert_string_equal("https://api.example/v1/items?q=a%20b%26c%3Dd&caf%C3%A9=~ok-._", url);
    free(url);
    assert_null(b.p);
    assert_int_equal(0, b.len);

    char big[1000];
    memset(big, '/', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    gw_sdk_buf_add_encoded(&b, big);
    assert_int_equal(3 * (sizeof big - 1), b.len);
    assert_memory_equal("%2F%2F", b.p, 6);
    gw_sdk_buf_free(&b);
    assert_null(b.p);

    char *empty = gw_sdk_buf_take(&b);
    assert_string_equal("", empty);
    free(empty);

    gw_sdk_buf failed = GW_SDK_BUF_INIT;
    gw_sdk_buf_adds(&failed, "kept?");
    failed.failed = 1; /* as after a failed realloc */
    gw_sdk_buf_adds(&failed, "ignored");
    assert_string_equal("kept?", failed.p);
    assert_null(gw_sdk_buf_take(&failed));
    assert_null(failed.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_format_known),
        cmocka_unit_test(test_time_format_limits),
        cmocka_unit_test(test_time_parse_offsets),
        cmocka_unit_test(test_time_parse_rejects),
        cmocka_unit_test(test_time_round_trip),
        cmocka_unit_test(test_rng_known_answers),
        cmocka_unit_test(test_rng_determinism),
        cmocka_unit_test(test_rng_ranges),
        cmocka_unit_test(test_json_accessors),
        cmocka_unit_test(test_str_copy),
        cmocka_unit_test(test_kv_u64),
        cmocka_unit_test(test_buf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
