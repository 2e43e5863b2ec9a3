/* tests/unit/test_oauth1.c - OAuth 1.0a HMAC-SHA1 signing (sdk/oauth1.c)
 * against the published examples:
 *   - RFC 5849 section 1.2 (photos.example.net, signature
 *     MdpQcU8iPSUjWoN/UDMsK2sui9I=, signed without oauth_version);
 *   - RFC 5849 section 3.4.1.1 (the base string of a request mixing query,
 *     form body and protocol parameters with awkward encodings);
 *   - X's "Creating a signature" page (POST statuses/update.json, signature
 *     hCtSmYh+iHYCEqBWrE7C7hYmtUk=, and its base string).
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

/* X's documented example. */
static const gw_sdk_oauth1_keys X_KEYS = {
    .consumer_key = "xvz1evFS4wEEPTGEFPHBog",
    .consumer_secret = "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
    .token = "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
    .token_secret = "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
};
#define X_URL "https://api.twitter.com/1.1/statuses/update.json?include_entities=true"
#define X_NONCE "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"
#define X_TIMESTAMP 1318622958
static const gw_sdk_param X_FORM[] = {
    {"status", "Hello Ladies + Gentlemen, a signed OAuth request!"},
};
static const char X_BASE[] =
    "POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%"
    "26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2p"
    "TgmZeNu2VS4cg%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958%26oauth_"
    "token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0%26status%"
    "3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521";

static void test_x_example_base_string(void **state)
{
    (void)state;
    const gw_sdk_param params[] = {
        {"status", "Hello Ladies + Gentlemen, a signed OAuth request!"},
        {"oauth_consumer_key", "xvz1evFS4wEEPTGEFPHBog"},
        {"oauth_nonce", X_NONCE},
        {"oauth_signature_method", "HMAC-SHA1"},
        {"oauth_timestamp", "1318622958"},
        {"oauth_token", "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"},
        {"oauth_version", "1.0"},
    };
    char *base = NULL;
    assert_int_equal(gw_sdk_oauth1_base_string("POST", X_URL, params, 7, &base), 0);
    assert_string_equal(base, X_BASE);
    free(base);
}

static void test_x_example_signature(void **state)
{
    (void)state;
    char sig[GW_SDK_BASE64_SIZE(GW_SDK_SHA1_SIZE)];
    assert_int_equal(gw_sdk_oauth1_sign(&X_KEYS, "POST", X_URL, X_FORM, 1, X_NONCE, X_TIMESTAMP,
                                        sig, sizeof sig),
                     0);
    assert_string_equal(sig, "hCtSmYh+iHYCEqBWrE7C7hYmtUk=");
    /* The method is case-insensitive in, upper case in the base string. */
    assert_int_equal(gw_sdk_oauth1_sign(&X_KEYS, "post", X_URL, X_FORM, 1, X_NONCE, X_TIMESTAMP,
                                        sig, sizeof sig),
                     0);
    assert_string_equal(sig, "hCtSmYh+iHYCEqBWrE7C7hYmtUk=");
}

static void test_x_example_header(void **state)
{
    (void)state;
    char *header = NULL;
    assert_int_equal(
        gw_sdk_oauth1_header(&X_KEYS, "POST", X_URL, X_FORM, 1, X_NONCE, X_TIMESTAMP, &header), 0);
    assert_string_equal(header,
                        "OAuth oauth_consumer_key=\"xvz1evFS4wEEPTGEFPHBog\", "
                        "oauth_nonce=\"kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg\", "
                        "oauth_signature=\"hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D\", "
                        "oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"1318622958\", "
                        "oauth_token=\"370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb\", "
                        "oauth_version=\"1.0\"");
    free(header);
}

/* RFC 5849 1.2: the example predates oauth_version being sent, so the
 * base string is built from explicit parameters and signed with the
 * SDK's HMAC, as a server verifying such a request would. */
static void test_rfc5849_photos_example(void **state)
{
    (void)state;
    const gw_sdk_param params[] = {
        {"oauth_consumer_key", "dpf43f3p2l4k3l03"},
        {"oauth_token", "nnch734d00sl2jdk"},
        {"oauth_signature_method", "HMAC-SHA1"},
        {"oauth_timestamp", "137131202"},
        {"oauth_nonce", "chapoH"},
    };
    char *base = NULL;
    assert_int_equal(gw_sdk_oauth1_base_string(
                         "GET", "http://photos.example.net/photos?file=vacation.jpg&size=original",
                         params, 5, &base),
                     0);
    assert_string_equal(base, "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%"
                              "26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3DchapoH%26"
                              "oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131202%"
                              "26oauth_token%3Dnnch734d00sl2jdk%26size%3Doriginal");
    unsigned char mac[GW_SDK_SHA1_SIZE];
    char sig[GW_SDK_BASE64_SIZE(GW_SDK_SHA1_SIZE)];
    const char key[] = "kd94hf93k423kf44&pfkkdhi9sl3r4s00";
    gw_sdk_hmac_sha1(key, strlen(key), base, strlen(base), mac);
    gw_sdk_base64_encode(mac, sizeof mac, sig, sizeof sig);
    assert_string_equal(sig, "MdpQcU8iPSUjWoN/UDMsK2sui9I=");
    free(base);
}

/* RFC 5849 3.4.1.1: query with encoded '=', '@' and space, a form body
 * "c2&a3=2+q" (a name without value, '+' as space), a repeated name. */
static void test_rfc5849_base_string_example(void **state)
{
    (void)state;
    const gw_sdk_param params[] = {
        {"c2", ""},
        {"a3", "2 q"},
        {"oauth_consumer_key", "9djdj82h48djs9d2"},
        {"oauth_token", "kkk9d7dh3k39sjv7"},
        {"oauth_signature_method", "HMAC-SHA1"},
        {"oauth_timestamp", "137131201"},
        {"oauth_nonce", "7d8f3e4a"},
    };
    char *base = NULL;
    assert_int_equal(gw_sdk_oauth1_base_string("POST",
                                               "http://example.com/request?b5=%3D%253D&a3=a&c%40=&"
                                               "a2=r%20b",
                                               params, 7, &base),
                     0);
    assert_string_equal(
        base, "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%"
              "3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_"
              "nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%"
              "26oauth_token%3Dkkk9d7dh3k39sjv7");
    free(base);
}

static void assert_base_uri(const char *url, const char *expected_prefix)
{
    char *base = NULL;
    assert_int_equal(gw_sdk_oauth1_base_string("GET", url, NULL, 0, &base), 0);
    assert_true(strncmp(base, expected_prefix, strlen(expected_prefix)) == 0);
    free(base);
}

/* RFC 5849 3.4.1.2: scheme and host lower case, default port dropped,
 * other ports kept, empty path is "/", query and fragment not in it. */
static void test_base_uri_normalisation(void **state)
{
    (void)state;
    assert_base_uri("HTTP://EXAMPLE.COM:80/r%20v/X?id=123",
                    "GET&http%3A%2F%2Fexample.com%2Fr%2520v%2FX&id%3D123");
    assert_base_uri("https://www.example.net:8080/?q=1",
                    "GET&https%3A%2F%2Fwww.example.net%3A8080%2F&q%3D1");
    assert_base_uri("https://api.x.com:443", "GET&https%3A%2F%2Fapi.x.com%2F&");
    assert_base_uri("http://127.0.0.1:41234/2/tweets#frag",
                    "GET&http%3A%2F%2F127.0.0.1%3A41234%2F2%2Ftweets&");
    assert_base_uri("http://[::1]:8080/x", "GET&http%3A%2F%2F%5B%3A%3A1%5D%3A8080%2Fx&");
    /* '+' in a query is a space; a list value's comma is encoded. */
    assert_base_uri("https://api.x.com/2/dm_events?dm_event.fields=id,text&q=a+b",
                    "GET&https%3A%2F%2Fapi.x.com%2F2%2Fdm_events&dm_event.fields%3Did%252Ctext%"
                    "26q%3Da%2520b");
}

static void test_refusals(void **state)
{
    (void)state;
    char *base = (char *)"untouched";
    assert_int_equal(gw_sdk_oauth1_base_string("GET", "ftp://x/y", NULL, 0, &base), GW_EINVAL);
    assert_null(base);
    assert_int_equal(gw_sdk_oauth1_base_string("GET", "http:///nohost", NULL, 0, &base), GW_EINVAL);
    assert_int_equal(gw_sdk_oauth1_base_string("GET", "http://u:p@host/", NULL, 0, &base),
                     GW_EINVAL);
    assert_int_equal(gw_sdk_oauth1_base_string("GET", "http://h/?a=%4", NULL, 0, &base), GW_EINVAL);
    assert_int_equal(gw_sdk_oauth1_base_string("GET", "http://h/?a=%zz", NULL, 0, &base),
                     GW_EINVAL);

    char sig[GW_SDK_BASE64_SIZE(GW_SDK_SHA1_SIZE)];
    gw_sdk_oauth1_keys no_key = X_KEYS;
    no_key.consumer_key = "";
    assert_int_equal(gw_sdk_oauth1_sign(&no_key, "POST", X_URL, NULL, 0, "n", 1, sig, sizeof sig),
                     GW_EINVAL);
    assert_int_equal(gw_sdk_oauth1_sign(&X_KEYS, "POST", X_URL, NULL, 0, "", 1, sig, sizeof sig),
                     GW_EINVAL);
    assert_int_equal(gw_sdk_oauth1_sign(&X_KEYS, "POST", X_URL, NULL, 0, "n", 1, sig, 28),
                     GW_ERANGE);
    char *header = (char *)"untouched";
    assert_int_equal(gw_sdk_oauth1_header(&X_KEYS, "POST", "nope", NULL, 0, "n", 1, &header),
                     GW_EINVAL);
    assert_null(header);
}

/* Without a token: no oauth_token parameter and the key "secret&". */
static void test_without_token(void **state)
{
    (void)state;
    gw_sdk_oauth1_keys keys = {.consumer_key = "ck", .consumer_secret = "cs"};
    char *header = NULL;
    assert_int_equal(
        gw_sdk_oauth1_header(&keys, "GET", "https://api.x.com/2/x", NULL, 0, "abc", 5, &header), 0);
    assert_null(strstr(header, "oauth_token"));
    free(header);

    const gw_sdk_param params[] = {
        {"oauth_consumer_key", "ck"},
        {"oauth_nonce", "abc"},
        {"oauth_signature_method", "HMAC-SHA1"},
        {"oauth_timestamp", "5"},
        {"oauth_version", "1.0"},
    };
    char *base = NULL;
    assert_int_equal(gw_sdk_oauth1_base_string("GET", "https://api.x.com/2/x", params, 5, &base),
                     0);
    unsigned char mac[GW_SDK_SHA1_SIZE];
    char want[GW_SDK_BASE64_SIZE(GW_SDK_SHA1_SIZE)], got[sizeof want];
    gw_sdk_hmac_sha1("cs&", 3, base, strlen(base), mac);
    gw_sdk_base64_encode(mac, sizeof mac, want, sizeof want);
    assert_int_equal(gw_sdk_oauth1_sign(&keys, "GET", "https://api.x.com/2/x", NULL, 0, "abc", 5,
                                        got, sizeof got),
                     0);
    assert_string_equal(got, want);
    free(base);
}

static void test_nonce(void **state)
{
    (void)state;
    char a[33], b[33];
    assert_int_equal(gw_sdk_oauth1_nonce(a, sizeof a), 0);
    assert_int_equal(gw_sdk_oauth1_nonce(b, sizeof b), 0);
    assert_int_equal(strlen(a), 32);
    assert_int_equal(strspn(a, "0123456789abcdef"), 32);
    assert_string_not_equal(a, b);
    assert_int_equal(gw_sdk_oauth1_nonce(a, 32), GW_ERANGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_x_example_base_string),
        cmocka_unit_test(test_x_example_signature),
        cmocka_unit_test(test_x_example_header),
        cmocka_unit_test(test_rfc5849_photos_example),
        cmocka_unit_test(test_rfc5849_base_string_example),
        cmocka_unit_test(test_base_uri_normalisation),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_without_token),
        cmocka_unit_test(test_nonce),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
