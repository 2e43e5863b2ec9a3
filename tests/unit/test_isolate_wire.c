/* test_isolate_wire.c - the plugin host's frames: round trips, partial
 * reads, and every malformed shape refused with the right code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/error.h"
#include "isolate/wire.h"

static void test_round_trip_with_json_and_blob(void **state)
{
    (void)state;
    isolate_buf b = {0};
    json_t *j = json_pack("{s:s,s:i}", "method", "POST", "n", 7);
    assert_int_equal(0, isolate_encode(&b, ISOLATE_T_WEBHOOK, 0x1122334455667788ull, j,
                                       "a\0b", 3));
    assert_int_equal(0, isolate_encode(&b, ISOLATE_T_FETCH, 9, NULL, NULL, 0));
    json_decref(j);

    isolate_msg m;
    size_t used;
    char err[128];
    assert_int_equal(0, isolate_decode(b.data, b.len, &m, &used, err, sizeof(err)));
    assert_int_equal(ISOLATE_T_WEBHOOK, m.type);
    assert_true(m.id == 0x1122334455667788ull);
    assert_string_equal("POST", json_string_value(json_object_get(m.json, "method")));
    assert_int_equal(3, m.blob_len);
    assert_memory_equal("a\0b", m.blob, 3);
    isolate_msg_clear(&m);
    isolate_buf_consume(&b, used);

    assert_int_equal(0, isolate_decode(b.data, b.len, &m, &used, err, sizeof(err)));
    assert_int_equal(ISOLATE_T_FETCH, m.type);
    assert_int_equal(9, m.id);
    assert_null(m.json);
    assert_null(m.blob);
    assert_int_equal(b.len, used);
    isolate_buf_free(&b);
}

static void test_every_prefix_is_incomplete(void **state)
{
    (void)state;
    isolate_buf b = {0};
    json_t *j = json_pack("{s:s}", "key", "cursor");
    assert_int_equal(0, isolate_encode(&b, ISOLATE_T_KV_GET, 1, j, NULL, 0));
    json_decref(j);
    for (size_t n = 0; n < b.len; n++) {
        isolate_msg m;
        size_t used = 99;
        assert_int_equal(GW_EBUSY, isolate_decode(b.data, n, &m, &used, NULL, 0));
        assert_int_equal(0, used);
        assert_null(m.json);
    }
    isolate_buf_free(&b);
}

/* A frame built by hand: length, type, id, json_len, then `tail`. */
static size_t frame(uint8_t *out, uint32_t length, uint8_t type, uint32_t json_len,
                    const char *tail, size_t tail_len)
{
    memset(out, 0, 17);
    for (int i = 0; i < 4; i++) {
        out[i] = (uint8_t)(length >> (8 * i));
        out[13 + i] = (uint8_t)(json_len >> (8 * i));
    }
    out[4] = type;
    memcpy(out + 17, tail, tail_len);
    return 17 + tail_len;
}

static int decode_rc(const uint8_t *buf, size_t len)
{
    isolate_msg m;
    size_t used;
    char err[128] = "";
    int rc = isolate_decode(buf, len, &m, &used, err, sizeof(err));
    if (rc < 0 && rc != GW_EBUSY) {
        assert_non_null(strstr(err, "isolate frame: "));
        assert_null(m.json);
    }
    isolate_msg_clear(&m);
    return rc;
}

static void test_malformed_frames_are_refused(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t n;
    /* zero and oversized lengths, before the body arrives */
    n = frame(buf, 0, ISOLATE_T_FETCH, 0, "", 0);
    assert_int_equal(GW_ERANGE, decode_rc(buf, n));
    n = frame(buf, ISOLATE_FRAME_MAX + 1, ISOLATE_T_FETCH, 0, "", 0);
    assert_int_equal(GW_ERANGE, decode_rc(buf, 4));
    /* unknown type */
    n = frame(buf, 13, 200, 0, "", 0);
    assert_int_equal(GW_EINVAL, decode_rc(buf, n));
    /* shorter than id + json_len */
    n = frame(buf, 5, ISOLATE_T_FETCH, 0, "", 0);
    assert_int_equal(GW_EINVAL, decode_rc(buf, 9));
    /* json_len past the frame */
    /* (values in value.h's form: "\x08\x00" is {}, "\x07\x00" is []) */
    n = frame(buf, 13 + 2, ISOLATE_T_LOG, 3, "\x08\x00", 2);
    assert_int_equal(GW_EINVAL, decode_rc(buf, n));
    /* a blob on a type that carries none */
    n = frame(buf, 13 + 3, ISOLATE_T_LOG, 2, "\x08\x00x", 3);
    assert_int_equal(GW_EINVAL, decode_rc(buf, n));
    /* a value that is not exactly one object */
    n = frame(buf, 13 + 2, ISOLATE_T_LOG, 2, "\x07\x00", 2);
    assert_int_equal(GW_EPARSE, decode_rc(buf, n));
    n = frame(buf, 13 + 3, ISOLATE_T_LOG, 3, "\x08\x00\x08", 3);
    assert_int_equal(GW_EPARSE, decode_rc(buf, n));
    /* {"a": "<NUL>"} and {"a": 1, "a": 2} */
    n = frame(buf, 13 + 7, ISOLATE_T_LOG, 7, "\x08\x01\x01" "a\x06\x01\x00", 7);
    assert_int_equal(GW_EPARSE, decode_rc(buf, n));
    n = frame(buf, 13 + 10, ISOLATE_T_LOG, 10, "\x08\x02\x01" "a\x04\x02\x01" "a\x04\x04", 10);
    assert_int_equal(GW_EPARSE, decode_rc(buf, n));
    /* the well-formed neighbour of the cases above */
    n = frame(buf, 13 + 3, ISOLATE_T_HTTP_RESPONSE, 2, "\x08\x00x", 3);
    assert_int_equal(0, decode_rc(buf, n));
}

static void test_encode_refuses_what_decode_would(void **state)
{
    (void)state;
    isolate_buf b = {0};
    json_t *arr = json_array();
    assert_int_equal(GW_EINVAL, isolate_encode(&b, (isolate_type)99, 1, NULL, NULL, 0));
    assert_int_equal(GW_EINVAL, isolate_encode(&b, ISOLATE_T_LOG, 1, arr, NULL, 0));
    assert_int_equal(GW_EINVAL, isolate_encode(&b, ISOLATE_T_EMIT, 1, NULL, "x", 1));
    assert_int_equal(0, b.len);
    json_decref(arr);
    assert_string_equal("emit", isolate_type_name(ISOLATE_T_EMIT));
    assert_null(isolate_type_name(0));
    isolate_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_with_json_and_blob),
        cmocka_unit_test(test_every_prefix_is_incomplete),
        cmocka_unit_test(test_malformed_frames_are_refused),
        cmocka_unit_test(test_encode_refuses_what_decode_would),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
