/* test_isolate_value.c - the binary value form of the plugin host's
 * frames: random trees come back equal and in order, the edges of every
 * scalar survive, and every malformed shape is refused with its reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/error.h"
#include "isolate/value.h"

/* Encode v, decode it again; asserts the round trip. Steals v. */
static void round_trip(json_t *v)
{
    size_t n = isolate_value_size(v);
    assert_true(n > 0);
    uint8_t *buf = malloc(n);
    assert_non_null(buf);
    assert_ptr_equal(buf + n, isolate_value_write(buf, v));
    json_t *back = NULL;
    char err[64] = "";
    assert_int_equal(0, isolate_value_decode(buf, n, &back, err, sizeof err));
    assert_true(json_equal(v, back));
    /* order kept: the stored event keeps the plugin's member order */
    char *a = json_dumps(v, JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    char *b = json_dumps(back, JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    assert_string_equal(a, b);
    free(a);
    free(b);
    json_decref(back);
    json_decref(v);
    free(buf);
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static json_t *random_value(uint64_t *s, int depth)
{
    static const char *const words[] = {"id", "text", "é", "日本", "a b", "", "x\"y", "tags"};
    switch (rng_next(s) % (depth > 4 ? 6 : 8)) {
    case 0: return json_null();
    case 1: return json_boolean(rng_next(s) & 1);
    case 2: return json_integer((json_int_t)rng_next(s) >> (rng_next(s) % 64));
    case 3: return json_real((double)(int64_t)rng_next(s) / 1024.0);
    case 4:
    case 5: return json_string(words[rng_next(s) % 8]);
    case 6: {
        json_t *a = json_array();
        for (uint64_t i = rng_next(s) % 5; i > 0; i--)
            json_array_append_new(a, random_value(s, depth + 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        for (uint64_t i = rng_next(s) % 6; i > 0; i--) {
            char key[16];
            snprintf(key, sizeof key, "k%llu", (unsigned long long)(rng_next(s) % 1000));
            json_object_set_new(o, key, random_value(s, depth + 1));
        }
        return o;
    }
    }
}

static void test_random_trees_round_trip(void **state)
{
    (void)state;
    uint64_t s = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < 5000; i++)
        round_trip(random_value(&s, 0));
}

static void test_scalar_edges_round_trip(void **state)
{
    (void)state;
    round_trip(json_integer(INT64_MAX));
    round_trip(json_integer(INT64_MIN));
    round_trip(json_integer(-1));
    round_trip(json_integer(0));
    round_trip(json_real(-0.0));
    round_trip(json_real(1e308));
    round_trip(json_real(5e-324));
    round_trip(json_string("a string that is longer than one hundred and twenty-seven bytes, so "
                           "its length takes two bytes of varint in the encoded form ......"));
    round_trip(json_pack("{s:s, s:[i, b, n], s:{}}", "zz", "first", "aa", 1, 1, "mm"));
}

/* The reason isolate_value_decode gives for len bytes, which it must
 * refuse with GW_EPARSE. */
static const char *refusal(const char *bytes, size_t len)
{
    static char err[64];
    json_t *v = (json_t *)1;
    err[0] = '\0';
    assert_int_equal(GW_EPARSE, isolate_value_decode((const uint8_t *)bytes, len, &v, err,
                                                     sizeof err));
    assert_null(v);
    return err;
}

static void test_malformed_values_are_refused(void **state)
{
    (void)state;
    assert_string_equal("truncated value", refusal("", 0));
    assert_string_equal("unknown tag", refusal("\x09", 1));
    assert_string_equal("trailing bytes", refusal("\x01\x01", 2));
    assert_string_equal("truncated varint", refusal("\x04\x80", 2));
    assert_string_equal("overlong varint", refusal("\x04\x80\x00", 3));
    assert_string_equal("varint over 64 bits",
                        refusal("\x04\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 11));
    assert_string_equal("truncated real", refusal("\x05\x00\x00", 3));
    assert_string_equal("real not finite", refusal("\x05\x00\x00\x00\x00\x00\x00\xf0\x7f", 9));
    assert_string_equal("length past the end", refusal("\x06\x05" "abc", 5));
    assert_string_equal("NUL in a string", refusal("\x06\x03" "a\0c", 5));
    assert_string_equal("string not valid UTF-8", refusal("\x06\x02\xc3\x28", 4));
    assert_string_equal("count past the end", refusal("\x07\x05\x01", 3));
    assert_string_equal("count past the end", refusal("\x08\x02\x01" "a\x01", 5));
    assert_string_equal("NUL in a key", refusal("\x08\x01\x02" "a\0\x01", 6));
    assert_string_equal("key not valid UTF-8", refusal("\x08\x01\x01\xff\x01", 5));
    assert_string_equal("duplicate key", refusal("\x08\x02\x01" "a\x01\x01" "a\x03", 8));
    /* nesting: ISOLATE_VALUE_DEPTH arrays deep is read, one more is not */
    char deep[2 * (ISOLATE_VALUE_DEPTH + 2) + 1];
    size_t n = 0;
    for (int i = 0; i <= ISOLATE_VALUE_DEPTH; i++) {
        deep[n++] = '\x07';
        deep[n++] = '\x01';
    }
    deep[n - 1] = '\x00'; /* the innermost array is empty */
    json_t *v = NULL;
    assert_int_equal(0, isolate_value_decode((const uint8_t *)deep, n, &v, NULL, 0));
    json_decref(v);
    deep[n - 1] = '\x01';
    deep[n++] = '\x07';
    deep[n++] = '\x00';
    assert_string_equal("nested too deep", refusal(deep, n));
}

static void test_encoder_refuses_a_cycle(void **state)
{
    (void)state;
    json_t *a = json_array();
    json_t *b = json_array();
    json_array_append(a, b);
    json_array_append(b, a); /* jansson allows it; the depth bound stops it */
    assert_int_equal(0, isolate_value_size(a));
    json_array_clear(b);
    assert_true(isolate_value_size(a) > 0);
    json_decref(a);
    json_decref(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_trees_round_trip),
        cmocka_unit_test(test_scalar_edges_round_trip),
        cmocka_unit_test(test_malformed_values_are_refused),
        cmocka_unit_test(test_encoder_refuses_a_cycle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
