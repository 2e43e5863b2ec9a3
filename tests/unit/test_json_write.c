/* test_json_write.c - the stored events' writer (base/json_write.c) must
 * write exactly what json_dumpb() writes with the store's flags: fixed
 * shapes (escapes, unicode, reals, integers at the limits, nesting), then
 * many random values, and the values jansson refuses to dump. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/json_write.h"
#include "gateway/error.h"

#define STORE_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))

/* Both writers on v: equal bytes, or both refuse. */
static void check_same(const json_t *v)
{
    jw_buf b = {0};
    char *want = json_dumps(v, STORE_FLAGS | JSON_ENCODE_ANY);
    int rc = jw_dump(&b, v);
    if (want == NULL) {
        assert_int_equal(rc, GW_EINVAL);
    } else {
        assert_int_equal(rc, 0);
        if (b.len != strlen(want) || memcmp(b.data, want, b.len) != 0)
            fail_msg("want %s\n got %.*s", want, (int)b.len, b.data);
    }
    free(want);
    jw_buf_free(&b);
}

static void check_text(const char *json)
{
    json_error_t e;
    json_t *v = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    if (v == NULL)
        fail_msg("fixture %s: %s", json, e.text);
    check_same(v);
    json_decref(v);
}

static void test_fixed_shapes(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "{}", "[]", "null", "true", "false", "0", "-0", "1", "-1",
        "9223372036854775807", "-9223372036854775808", "\"\"",
        "\"a\\\"b\\\\c\\/d\"", "\"\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f\"",
        "\"caf\\u00e9 \\u20ac \\ud83d\\ude00 \\u0800 \\uffff\"", "\"\\u0000x\"",
        "0.5", "0.1", "0.51", "1.0", "-2.5", "1e20", "1e21", "1.5e-7", "1e-5", "123456789012345.0",
        "1234567890123456789.0", "3.141592653589793", "1e308", "5e-324", "2.2250738585072014e-308",
        "100.0", "1e15", "1e16", "-0.0",
        "{\"id\":\"mock:1\",\"seq\":1,\"tags\":{\"sentiment_score\":0.51,\"intent\":[\"question\"]},"
        "\"author\":{\"id\":\"u\",\"followers\":0,\"verified\":false,\"name\":null}}",
        "[[[[[]]]],{\"a\":{\"b\":{}}},[1,2.0,\"3\",null]]",
        "{\"k\\u00e9y\":1,\"\\n\":2,\"\":3}",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        check_text(texts[i]);

    json_t *reals = json_array();
    const double ds[] = {0.0, 1.0 / 3, 2.0 / 3, 1e-300, 1e300, DBL_MAX, DBL_MIN, DBL_EPSILON,
                         123.456, 1e100, 4.35, 0.30000000000000004, 1e-7, 12345678.9};
    for (size_t i = 0; i < sizeof ds / sizeof ds[0]; i++) {
        json_array_append_new(reals, json_real(ds[i]));
        json_array_append_new(reals, json_real(-ds[i]));
    }
    check_same(reals);
    json_decref(reals);
}

/* xorshift: the same values on every run */
static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* A random UTF-8 string, including controls, quotes, backslashes and
 * code points of every length. */
static json_t *random_string(uint64_t *s)
{
    char buf[256];
    size_t len = 0, n = next(s) % 40;
    for (size_t i = 0; i < n; i++) {
        uint32_t cp;
        switch (next(s) % 6) {
        case 0: cp = (uint32_t)(next(s) % 0x20); break;
        case 1: cp = "\"\\/ az"[next(s) % 6]; break;
        case 2: cp = 0x80 + (uint32_t)(next(s) % 0x780); break;
        case 3: cp = 0x800 + (uint32_t)(next(s) % 0xd000); break;
        case 4: cp = 0x10000 + (uint32_t)(next(s) % 0x100000); break;
        default: cp = 0x20 + (uint32_t)(next(s) % 0x60); break;
        }
        if (cp == 0)
            cp = 1; /* json_string takes a NUL-terminated C string */
        if (cp < 0x80) {
            buf[len++] = (char)cp;
        } else if (cp < 0x800) {
            buf[len++] = (char)(0xc0 | cp >> 6);
            buf[len++] = (char)(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
            buf[len++] = (char)(0xe0 | cp >> 12);
            buf[len++] = (char)(0x80 | ((cp >> 6) & 0x3f));
            buf[len++] = (char)(0x80 | (cp & 0x3f));
        } else {
            buf[len++] = (char)(0xf0 | cp >> 18);
            buf[len++] = (char)(0x80 | ((cp >> 12) & 0x3f));
            buf[len++] = (char)(0x80 | ((cp >> 6) & 0x3f));
            buf[len++] = (char)(0x80 | (cp & 0x3f));
        }
    }
    buf[len] = '\0';
    json_t *v = json_string(buf);
    assert_non_null(v); /* surrogates were skipped: valid UTF-8 */
    return v;
}

static json_t *random_value(uint64_t *s, int depth)
{
    unsigned kind = (unsigned)(next(s) % (depth > 4 ? 6 : 8));
    switch (kind) {
    case 0: return json_null();
    case 1: return json_boolean(next(s) & 1);
    case 2: return json_integer((json_int_t)next(s) >> (next(s) % 64));
    case 3: {
        uint64_t bits = next(s);
        double d;
        if (next(s) & 1) {
            memcpy(&d, &bits, sizeof d); /* any double, nan and inf excepted */
            if (isnan(d) || isinf(d))
                d = 1.5;
        } else {
            d = (double)(int64_t)(bits % 2000001) / 1000.0 - 1000.0; /* short decimals */
        }
        return json_real(d);
    }
    case 4:
    case 5: return random_string(s);
    case 6: {
        json_t *a = json_array();
        size_t n = next(s) % 6;
        for (size_t i = 0; i < n; i++)
            json_array_append_new(a, random_value(s, depth + 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        size_t n = next(s) % 6;
        for (size_t i = 0; i < n; i++) {
            json_t *k = random_string(s);
            json_object_set_new(o, json_string_value(k), random_value(s, depth + 1));
            json_decref(k);
        }
        return o;
    }
    }
}

static void test_random_values(void **state)
{
    (void)state;
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 20000; i++) {
        json_t *v = random_value(&seed, 0);
        check_same(v);
        json_decref(v);
    }
}

static void test_refused_like_jansson(void **state)
{
    (void)state;
    /* not UTF-8: overlong, surrogate, truncated, stray continuation */
    static const char *const bad[] = {"\xc0\x80", "\xed\xa0\x80", "\xe2\x82", "\x80", "a\xff"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *v = json_stringn_nocheck(bad[i], strlen(bad[i]));
        check_same(v);
        json_decref(v);
    }
    /* a cycle */
    json_t *a = json_array();
    json_t *b = json_array();
    json_array_append(a, b);
    json_array_append(b, a);
    jw_buf buf = {0};
    assert_int_equal(jw_dump(&buf, a), GW_EINVAL);
    assert_int_equal(buf.len, 0);
    json_array_clear(b);
    json_decref(a);
    json_decref(b);
    jw_buf_free(&buf);
}

static void test_buffer_reused(void **state)
{
    (void)state;
    jw_buf b = {0};
    json_t *big = json_object();
    char text[5000];
    memset(text, 'x', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    json_object_set_new(big, "text", json_string(text));
    assert_int_equal(jw_dump(&b, big), 0);
    assert_int_equal(b.len, sizeof text - 1 + 11); /* {"text":"...."} */
    json_t *small = json_pack("{s:i}", "a", 1);
    assert_int_equal(jw_dump(&b, small), 0);
    assert_int_equal(b.len, 7);
    assert_memory_equal(b.data, "{\"a\":1}", 7);
    assert_int_equal(jw_raw(&b, ",2", 2), 0);
    assert_int_equal(b.len, 9);
    json_decref(big);
    json_decref(small);
    jw_buf_free(&b);
}

static void test_reserve_exact(void **state)
{
    (void)state;
    jw_buf b = {0};
    assert_int_equal(0, jw_buf_reserve(&b, 24));
    assert_int_equal(b.cap, 24);
    assert_int_equal(0, jw_raw(&b, "0123456789", 10));
    assert_int_equal(0, jw_buf_reserve(&b, 8)); /* never shrinks */
    assert_int_equal(b.cap, 24);
    assert_int_equal(0, jw_raw(&b, "0123456789abcdefghij", 20)); /* grows past it */
    assert_int_equal(b.len, 30);
    assert_true(b.cap >= 30);
    assert_memory_equal(b.data, "01234567890123456789abcdefghij", 30);
    jw_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_shapes),
        cmocka_unit_test(test_reserve_exact),
        cmocka_unit_test(test_random_values),
        cmocka_unit_test(test_refused_like_jansson),
        cmocka_unit_test(test_buffer_reused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
