/* test_listen_addr.c - the listen address parser the config layer and the
 * HTTP server share: what it accepts, what it refuses, and why it says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "base/listen_addr.h"
#include "gateway/error.h"

static void test_ipv4_and_port(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    socklen_t len = 0;
    char why[256];
    assert_int_equal(listen_addr_parse("127.0.0.1:8080", &ss, &len, why, sizeof why), GW_OK);
    const struct sockaddr_in *a4 = (const struct sockaddr_in *)&ss;
    assert_int_equal(a4->sin_family, AF_INET);
    assert_int_equal(ntohs(a4->sin_port), 8080);
    assert_int_equal(ntohl(a4->sin_addr.s_addr), 0x7f000001);
    assert_int_equal(len, sizeof(struct sockaddr_in));
    assert_int_equal(listen_addr_parse("0.0.0.0:0", &ss, &len, why, sizeof why), GW_OK);
    assert_int_equal(listen_addr_parse("10.0.0.1:65535", &ss, &len, why, sizeof why), GW_OK);
    assert_int_equal(ntohs(a4->sin_port), 65535);
}

static void test_ipv6_in_brackets(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    socklen_t len = 0;
    char why[256];
    assert_int_equal(listen_addr_parse("[::1]:9090", &ss, &len, why, sizeof why), GW_OK);
    const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&ss;
    assert_int_equal(a6->sin6_family, AF_INET6);
    assert_int_equal(ntohs(a6->sin6_port), 9090);
    assert_true(IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr));
    assert_int_equal(len, sizeof(struct sockaddr_in6));
    /* The check alone needs no output. */
    assert_int_equal(listen_addr_parse("[::]:0", NULL, NULL, why, sizeof why), GW_OK);
}

static void refused(const char *text, const char *reason)
{
    char why[256] = "untouched";
    struct sockaddr_storage ss;
    socklen_t len = 0;
    assert_int_equal(listen_addr_parse(text, &ss, &len, why, sizeof why), GW_EINVAL);
    if (strstr(why, reason) == NULL)
        fail_msg("\"%s\": expected a reason with \"%s\", got \"%s\"", text, reason, why);
}

static void test_refusals_say_why(void **state)
{
    (void)state;
    refused("garbage", "the port is missing");
    refused("", "the port is missing");
    refused("127.0.0.1", "the port is missing");
    refused("127.0.0.1:", "the port is missing");
    refused(":8080", "the address is missing");
    refused("127.0.0.1:99999", "between 0 and 65535");
    refused("127.0.0.1:123456", "between 0 and 65535");
    refused("127.0.0.1:80x", "the port must be a number");
    refused("127.0.0.1:-1", "the port must be a number");
    refused("localhost:8080", "host names such as \"localhost\" are not resolved");
    refused("example.com:80", "must be numeric");
    refused("256.0.0.1:80", "must be numeric");
    refused("::1:80", "an IPv6 address goes in brackets");
    refused("[::1]80", "expected a numeric address and port");
    refused("[::1", "expected a numeric address and port");
    refused("[]:80", "the address is missing");
    refused("[nope]:80", "not a numeric IPv6 address");
    refused("[127.0.0.1]:80", "not a numeric IPv6 address");
}

static void test_long_reason_buffer_is_cut_not_overrun(void **state)
{
    (void)state;
    char why[8];
    assert_int_equal(listen_addr_parse("localhost:1", NULL, NULL, why, sizeof why), GW_EINVAL);
    assert_int_equal(strlen(why), sizeof why - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv4_and_port),
        cmocka_unit_test(test_ipv6_in_brackets),
        cmocka_unit_test(test_refusals_say_why),
        cmocka_unit_test(test_long_reason_buffer_is_cut_not_overrun),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
