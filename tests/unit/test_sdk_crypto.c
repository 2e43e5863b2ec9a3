/* tests/unit/test_sdk_crypto.c - the SDK's digests, HMAC, constant-time
 * comparison and encodings, against published vectors: FIPS 180-4
 * examples (SHA-1, SHA-256), RFC 2202 (HMAC-SHA1), RFC 4231 (HMAC-SHA256),
 * RFC 4648 section 10 (base64), RFC 3986 unreserved characters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/sdk.h"

#define MILLION 1000000

static const char MSG_448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
static const char MSG_896[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                              "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

static void hex(const unsigned char *d, size_t n, char *out)
{
    assert_int_equal(gw_sdk_hex_encode(d, n, out, 2 * n + 1), (int)(2 * n));
}

static void assert_sha1(const void *data, size_t len, const char *expected)
{
    unsigned char d[GW_SDK_SHA1_SIZE];
    char text[2 * GW_SDK_SHA1_SIZE + 1];
    gw_sdk_sha1(data, len, d);
    hex(d, sizeof d, text);
    assert_string_equal(text, expected);
}

static void assert_sha256(const void *data, size_t len, const char *expected)
{
    unsigned char d[GW_SDK_SHA256_SIZE];
    char text[2 * GW_SDK_SHA256_SIZE + 1];
    gw_sdk_sha256(data, len, d);
    hex(d, sizeof d, text);
    assert_string_equal(text, expected);
}

static void test_sha1_fips_vectors(void **state)
{
    (void)state;
    assert_sha1("", 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    assert_sha1("abc", 3, "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert_sha1(MSG_448, strlen(MSG_448), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    assert_sha1(MSG_896, strlen(MSG_896), "a49b2446a02c645bf419f995b67091253a04a259");
    char *a = malloc(MILLION);
    assert_non_null(a);
    memset(a, 'a', MILLION);
    assert_sha1(a, MILLION, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    free(a);
}

static void test_sha256_fips_vectors(void **state)
{
    (void)state;
    assert_sha256("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_sha256("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_sha256(MSG_448, strlen(MSG_448),
                  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    assert_sha256(MSG_896, strlen(MSG_896),
                  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    char *a = malloc(MILLION);
    assert_non_null(a);
    memset(a, 'a', MILLION);
    assert_sha256(a, MILLION, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(a);
}

/* Feeding the same bytes in pieces of every size up to two blocks gives
 * the one-shot digest: the block buffering has no off-by-one. */
static void test_streaming_matches_one_shot(void **state)
{
    (void)state;
    unsigned char msg[300];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (unsigned char)(i * 7 + 3);
    for (size_t len = 0; len <= sizeof msg; len += 13) {
        unsigned char want1[GW_SDK_SHA1_SIZE], want256[GW_SDK_SHA256_SIZE];
        gw_sdk_sha1(msg, len, want1);
        gw_sdk_sha256(msg, len, want256);
        for (size_t piece = 1; piece <= 129; piece += 16) {
            gw_sdk_sha1_ctx c1;
            gw_sdk_sha256_ctx c256;
            gw_sdk_sha1_init(&c1);
            gw_sdk_sha256_init(&c256);
            for (size_t off = 0; off < len; off += piece) {
                size_t n = len - off < piece ? len - off : piece;
                gw_sdk_sha1_update(&c1, msg + off, n);
                gw_sdk_sha256_update(&c256, msg + off, n);
            }
            unsigned char got1[GW_SDK_SHA1_SIZE], got256[GW_SDK_SHA256_SIZE];
            gw_sdk_sha1_final(&c1, got1);
            gw_sdk_sha256_final(&c256, got256);
            assert_memory_equal(got1, want1, sizeof got1);
            assert_memory_equal(got256, want256, sizeof got256);
        }
    }
}

typedef struct hmac_case {
    unsigned char key_byte; /* the key is key_len copies, or key_text */
    size_t key_len;
    const char *key_text;
    unsigned char data_byte; /* the data is data_len copies, or data_text */
    size_t data_len;
    const char *data_text;
    const char *expected;
} hmac_case;

static void run_hmac(const hmac_case *c, int sha256)
{
    unsigned char key[200], data[200];
    const void *k = key, *d = data;
    size_t klen = c->key_len, dlen = c->data_len;
    if (c->key_text != NULL) {
        k = c->key_text;
        klen = strlen(c->key_text);
    } else {
        memset(key, c->key_byte, klen);
    }
    if (c->data_text != NULL) {
        d = c->data_text;
        dlen = strlen(c->data_text);
    } else {
        memset(data, c->data_byte, dlen);
    }
    unsigned char mac[GW_SDK_SHA256_SIZE];
    char text[2 * GW_SDK_SHA256_SIZE + 1];
    if (sha256) {
        gw_sdk_hmac_sha256(k, klen, d, dlen, mac);
        hex(mac, GW_SDK_SHA256_SIZE, text);
    } else {
        gw_sdk_hmac_sha1(k, klen, d, dlen, mac);
        hex(mac, GW_SDK_SHA1_SIZE, text);
    }
    assert_string_equal(text, c->expected);
}

static void test_hmac_sha1_rfc2202(void **state)
{
    (void)state;
    static const hmac_case cases[] = {
        {0x0b, 20, NULL, 0, 0, "Hi There", "b617318655057264e28bc0b6fb378c8ef146be00"},
        {0, 0, "Jefe", 0, 0, "what do ya want for nothing?",
         "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
        {0xaa, 20, NULL, 0xdd, 50, NULL, "125d7342b9ac11cd91a39af48aa17b4f63f175d3"},
        {0xaa, 80, NULL, 0, 0, "Test Using Larger Than Block-Size Key - Hash Key First",
         "aa4ae5e15272d00e95705637ce8a3b55ed402112"},
        {0xaa, 80, NULL, 0, 0,
         "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
         "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_hmac(&cases[i], 0);
}

static void test_hmac_sha256_rfc4231(void **state)
{
    (void)state;
    static const hmac_case cases[] = {
        {0x0b, 20, NULL, 0, 0, "Hi There",
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
        {0, 0, "Jefe", 0, 0, "what do ya want for nothing?",
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
        {0xaa, 20, NULL, 0xdd, 50, NULL,
         "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
        {0xaa, 131, NULL, 0, 0, "Test Using Larger Than Block-Size Key - Hash Key First",
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
        {0xaa, 131, NULL, 0, 0,
         "This is a test using a larger than block-size key and a larger than block-size "
         "data. The key needs to be hashed before being used by the HMAC algorithm.",
         "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_hmac(&cases[i], 1);
}

/* X's CRC answer, computed independently with Python's hmac module:
 * base64(HMAC-SHA256("consumer-secret", "challenge-123")). */
static void test_hmac_sha256_base64_crc_shape(void **state)
{
    (void)state;
    unsigned char mac[GW_SDK_SHA256_SIZE];
    char b64[GW_SDK_BASE64_SIZE(GW_SDK_SHA256_SIZE)];
    gw_sdk_hmac_sha256("consumer-secret", 15, "challenge-123", 13, mac);
    assert_int_equal(gw_sdk_base64_encode(mac, sizeof mac, b64, sizeof b64), 44);
    assert_string_equal(b64, "+JKD3xCx1so7H9dYGqEd8qLRIIR3uCpi/4gsvLxmFd4=");
}

static void test_ct_equal(void **state)
{
    (void)state;
    assert_true(gw_sdk_ct_equal("abc", "abc", 3));
    assert_false(gw_sdk_ct_equal("abc", "abd", 3));
    assert_false(gw_sdk_ct_equal("xbc", "abc", 3));
    assert_true(gw_sdk_ct_equal("", "", 0));
    assert_true(gw_sdk_ct_streq("sha256=x", "sha256=x"));
    assert_false(gw_sdk_ct_streq("sha256=x", "sha256=xy"));
    assert_false(gw_sdk_ct_streq("", "a"));
    assert_true(gw_sdk_ct_streq("", ""));
    assert_false(gw_sdk_ct_streq(NULL, ""));
    assert_false(gw_sdk_ct_streq("", NULL));
}

static void assert_b64(const char *in, const char *expected)
{
    char out[64];
    assert_int_equal(gw_sdk_base64_encode(in, strlen(in), out, sizeof out), (int)strlen(expected));
    assert_string_equal(out, expected);
}

static void test_base64_rfc4648(void **state)
{
    (void)state;
    assert_b64("", "");
    assert_b64("f", "Zg==");
    assert_b64("fo", "Zm8=");
    assert_b64("foo", "Zm9v");
    assert_b64("foob", "Zm9vYg==");
    assert_b64("fooba", "Zm9vYmE=");
    assert_b64("foobar", "Zm9vYmFy");
    unsigned char bytes[] = {0xfb, 0xff, 0xbf};
    char out[8];
    assert_int_equal(gw_sdk_base64_encode(bytes, 3, out, sizeof out), 4);
    assert_string_equal(out, "+/+/");
    /* Too small: refused, and the buffer holds "". */
    char small[9] = "junk";
    assert_int_equal(gw_sdk_base64_encode("foobar", 6, small, 9), 8); /* exactly enough */
    assert_int_equal(gw_sdk_base64_encode("foobar", 6, small, 8), GW_ERANGE);
    assert_string_equal(small, "");
}

static void test_hex(void **state)
{
    (void)state;
    unsigned char bytes[] = {0x00, 0x7f, 0x80, 0xff, 0x0a};
    char out[11];
    assert_int_equal(gw_sdk_hex_encode(bytes, 5, out, sizeof out), 10);
    assert_string_equal(out, "007f80ff0a");
    assert_int_equal(gw_sdk_hex_encode(bytes, 5, out, 10), GW_ERANGE);
    assert_string_equal(out, "");
}

static void test_percent_encode_rfc3986(void **state)
{
    (void)state;
    char out[128];
    /* Unreserved characters stay, everything else is %XX upper case. */
    assert_int_equal(gw_sdk_percent_encode("AZaz09-._~", out, sizeof out), 10);
    assert_string_equal(out, "AZaz09-._~");
    gw_sdk_percent_encode("Ladies + Gentlemen", out, sizeof out);
    assert_string_equal(out, "Ladies%20%2B%20Gentlemen");
    gw_sdk_percent_encode("a signed OAuth request!", out, sizeof out);
    assert_string_equal(out, "a%20signed%20OAuth%20request%21");
    gw_sdk_percent_encode("=%3D", out, sizeof out);
    assert_string_equal(out, "%3D%253D");
    gw_sdk_percent_encode("caf\xc3\xa9 \xe2\x98\x83", out, sizeof out);
    assert_string_equal(out, "caf%C3%A9%20%E2%98%83");
    gw_sdk_percent_encode("*'()!:/?#[]@$&+,;=", out, sizeof out);
    assert_string_equal(out, "%2A%27%28%29%21%3A%2F%3F%23%5B%5D%40%24%26%2B%2C%3B%3D");
    /* Measuring, and a cut that never splits an escape. */
    assert_int_equal(gw_sdk_percent_encode("a b", NULL, 0), 5);
    char small[4];
    assert_int_equal(gw_sdk_percent_encode("a b", small, sizeof small), 5);
    assert_string_equal(small, "a");
    assert_int_equal(gw_sdk_percent_encode(NULL, out, sizeof out), 0);
    assert_string_equal(out, "");
}

static void test_hex_value(void **state)
{
    (void)state;
    assert_int_equal(0, gw_sdk_hex_value('0'));
    assert_int_equal(9, gw_sdk_hex_value('9'));
    assert_int_equal(10, gw_sdk_hex_value('a'));
    assert_int_equal(15, gw_sdk_hex_value('F'));
    assert_int_equal(-1, gw_sdk_hex_value('g'));
    assert_int_equal(-1, gw_sdk_hex_value('%'));
    assert_int_equal(-1, gw_sdk_hex_value('\0'));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hex_value),
        cmocka_unit_test(test_sha1_fips_vectors),
        cmocka_unit_test(test_sha256_fips_vectors),
        cmocka_unit_test(test_streaming_matches_one_shot),
        cmocka_unit_test(test_hmac_sha1_rfc2202),
        cmocka_unit_test(test_hmac_sha256_rfc4231),
        cmocka_unit_test(test_hmac_sha256_base64_crc_shape),
        cmocka_unit_test(test_ct_equal),
        cmocka_unit_test(test_base64_rfc4648),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_percent_encode_rfc3986),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
