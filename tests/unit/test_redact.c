/* test_redact.c - credential masking of URLs and headers for log lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/error.h"
#include "http/redact.h"

static void expect_url(const char *in, const char *want)
{
    char out[512];
    assert_int_equal(GW_OK, redact_url(in, out, sizeof out));
    assert_string_equal(want, out);
}

static void test_url_masks_token_query_parameters(void **state)
{
    (void)state;
    expect_url("https://graph.facebook.com/v25.0/123/feed?fields=id,message&access_token="
               "EAABwzLixnjYBO1x&since=1763632800",
               "https://graph.facebook.com/v25.0/123/feed?fields=id,message&access_token=***"
               "&since=1763632800");
    expect_url("https://youtube.googleapis.com/youtube/v3/commentThreads?part=snippet&key="
               "AIzaSyD-abc123",
               "https://youtube.googleapis.com/youtube/v3/commentThreads?part=snippet&key=***");
    expect_url("https://x.test/hook?crc_token=abc&nonce=1",
               "https://x.test/hook?crc_token=***&nonce=1");
    expect_url("https://g.test/x?appsecret_proof=deadbeef&client_secret=s&api_key=k&apikey=k2"
               "&token=t&signature=sig&password=pw&secret=s2",
               "https://g.test/x?appsecret_proof=***&client_secret=***&api_key=***&apikey=***"
               "&token=***&signature=***&password=***&secret=***");
    expect_url("https://g.test/x?refresh_token=r&id_token=i&hub.verify_token=v&hub.challenge=9",
               "https://g.test/x?refresh_token=***&id_token=***&hub.verify_token=***"
               "&hub.challenge=9");
}

static void test_url_names_are_case_insensitive_and_decoded(void **state)
{
    (void)state;
    expect_url("http://h/p?ACCESS_TOKEN=a&Key=b&Api_Key=c",
               "http://h/p?ACCESS_TOKEN=***&Key=***&Api_Key=***");
    /* Percent-encoded names cannot slip past the list. */
    expect_url("http://h/p?access%5Ftoken=a&%6Bey=b", "http://h/p?access%5Ftoken=***&%6Bey=***");
    /* Any oauth_* parameter. */
    expect_url("https://api.x.com/oauth/request_token?oauth_consumer_key=ck&oauth_nonce=n"
               "&oauth_signature=s%3D&OAUTH_TOKEN=t&x=1",
               "https://api.x.com/oauth/request_token?oauth_consumer_key=***&oauth_nonce=***"
               "&oauth_signature=***&OAUTH_TOKEN=***&x=1");
}

static void test_url_keeps_cursors_and_other_values(void **state)
{
    (void)state;
    expect_url("https://api.x.com/2/users/1/mentions?since_id=186&pagination_token=7140dib"
               "&max_results=100",
               "https://api.x.com/2/users/1/mentions?since_id=186&pagination_token=7140dib"
               "&max_results=100");
    expect_url("https://y.test/v3/commentThreads?pageToken=QURT&keyword=x&monkey=1",
               "https://y.test/v3/commentThreads?pageToken=QURT&keyword=x&monkey=1");
    /* A parameter without '=' has no value to hide. */
    expect_url("http://h/p?token&x=1", "http://h/p?token&x=1");
    expect_url("http://h/p?", "http://h/p?");
    expect_url("http://h/p?&&token=&", "http://h/p?&&token=***&");
    expect_url("http://h/path/only", "http://h/path/only");
}

static void test_url_fragment_semicolons_and_userinfo(void **state)
{
    (void)state;
    /* OAuth implicit grant: the token arrives in the fragment. */
    expect_url("https://app.test/cb#access_token=abc&state=xyz",
               "https://app.test/cb#access_token=***&state=xyz");
    expect_url("https://h/p?a=1#token=z", "https://h/p?a=1#token=***");
    /* A '?' inside the fragment belongs to the fragment. */
    expect_url("https://h/p#x?token=z", "https://h/p#x?token=z");
    expect_url("http://h/p?x=1;token=s;y=2", "http://h/p?x=1;token=***;y=2");
    expect_url("https://user:hunter2@h.test:8443/p?x=1", "https://user:***@h.test:8443/p?x=1");
    expect_url("https://ghp_tokenvalue@h.test/p", "https://***@h.test/p");
    /* An '@' in the query is not userinfo. */
    expect_url("https://h.test/p?email=a@b.c", "https://h.test/p?email=a@b.c");
}

static void test_url_free_text(void **state)
{
    (void)state;
    expect_url("Failed to connect to 127.0.0.1 port 1: Connection refused",
               "Failed to connect to 127.0.0.1 port 1: Connection refused");
    expect_url("", "");
}

/* Every possible truncation still hides the secret and ends the string. */
static void test_url_truncation_never_leaks(void **state)
{
    (void)state;
    const char *url = "https://u:SECRETPW@h/p?access_token=SECRETTOKEN&x=1#token=SECRETFRAG";
    char out[200];
    for (size_t len = 1; len < 120; len++) {
        memset(out, 'Z', sizeof out);
        int rc = redact_url(url, out, len);
        assert_true(rc == GW_OK || rc == GW_ERANGE);
        assert_true(strlen(out) < len);
        assert_null(strstr(out, "SECRET"));
        if (rc == GW_OK)
            assert_string_equal("https://u:***@h/p?access_token=***&x=1#token=***", out);
    }
    assert_int_equal(GW_ERANGE, redact_url(url, out, 10));
    assert_int_equal(9, (int)strlen(out));
}

static void test_url_bad_arguments(void **state)
{
    (void)state;
    char out[8] = "junk";
    assert_int_equal(GW_EINVAL, redact_url(NULL, out, sizeof out));
    assert_string_equal("", out);
    assert_int_equal(GW_EINVAL, redact_url("http://h", NULL, 10));
    assert_int_equal(GW_EINVAL, redact_url("http://h", out, 0));
}

static void expect_header(const char *name, const char *value, const char *want)
{
    char out[256];
    assert_int_equal(GW_OK, redact_header(name, value, out, sizeof out));
    assert_string_equal(want, out);
}

static void test_header_masks_credentials(void **state)
{
    (void)state;
    expect_header("Authorization", "Bearer AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid",
                  "Bearer ***");
    expect_header("authorization",
                  "OAuth oauth_consumer_key=\"xvz1evFS4wEEPTGEFPHBog\", oauth_signature=\"tnn\"",
                  "OAuth ***");
    expect_header("Authorization", "Basic dXNlcjpwYXNz", "Basic ***");
    expect_header("Authorization", "rawtokenwithoutscheme", "***");
    expect_header("Proxy-Authorization", "Basic Zm9vOmJhcg==", "Basic ***");
    expect_header("Api-Key", "714b3c0e5f", "***");
    expect_header("User-Api-Key", "714b3c0e5f", "***");
    expect_header("X-API-KEY", "k", "***");
    expect_header("Cookie", "session=abc; csrftoken=def", "***");
    expect_header("Set-Cookie", "sid=1; HttpOnly", "***");
    expect_header("X-Auth-Token", "t", "***");
    expect_header("x-client-secret", "s", "***");
    expect_header("X-Csrf-Token", "t", "***");
    /* Not credentials: left readable. */
    expect_header("Content-Type", "application/json", "application/json");
    expect_header("Api-Username", "acme_support", "acme_support");
    expect_header("x-rate-limit-remaining", "0", "0");
    assert_true(redact_header_is_secret("set-cookie"));
    assert_false(redact_header_is_secret("accept"));
    assert_false(redact_header_is_secret(NULL));
}

static void test_header_truncation_and_arguments(void **state)
{
    (void)state;
    char out[6];
    assert_int_equal(GW_ERANGE, redact_header("Authorization", "Bearer SECRET", out, sizeof out));
    assert_null(strstr(out, "SECRET"));
    assert_int_equal(GW_ERANGE, redact_header("Accept", "text/plain", out, sizeof out));
    assert_string_equal("text/", out);
    assert_int_equal(GW_EINVAL, redact_header(NULL, "v", out, sizeof out));
    assert_int_equal(GW_EINVAL, redact_header("a", NULL, out, sizeof out));
    assert_int_equal(GW_EINVAL, redact_header("a", "v", out, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_masks_token_query_parameters),
        cmocka_unit_test(test_url_names_are_case_insensitive_and_decoded),
        cmocka_unit_test(test_url_keeps_cursors_and_other_values),
        cmocka_unit_test(test_url_fragment_semicolons_and_userinfo),
        cmocka_unit_test(test_url_free_text),
        cmocka_unit_test(test_url_truncation_never_leaks),
        cmocka_unit_test(test_url_bad_arguments),
        cmocka_unit_test(test_header_masks_credentials),
        cmocka_unit_test(test_header_truncation_and_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
