/* test_actions_request.c - the action request reader (core/api/
 * actions_request.c): a valid body, the Idempotency-Key given beside it,
 * and the refusals, each with its code and a reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "api/actions_request.h"

#define REPLY                                                                                      \
    "{\"network\":\"twitter\",\"account\":\"acme\",\"kind\":\"reply\","                            \
    "\"in_reply_to\":\"twitter:1861\",\"text\":\"On it\""

typedef struct parsed {
    int rc;
    json_t *body;
    outbox_request req;
    const char *code;
    char why[320];
} parsed;

static void parse(parsed *p, const char *text, const char *key)
{
    memset(p, 0, sizeof *p);
    memset(p->why, 'x', sizeof p->why); /* as the stack would hold it */
    p->rc = actions_request_parse((const unsigned char *)text, strlen(text), key, &p->body, &p->req,
                                  &p->code, p->why, sizeof p->why);
}

static void expect_refused(const char *text, const char *key, const char *code, const char *part)
{
    parsed p;
    parse(&p, text, key);
    assert_int_equal(p.rc, 1);
    assert_null(p.body);
    assert_string_equal(p.code, code);
    assert_non_null(memchr(p.why, '\0', sizeof p.why));
    assert_non_null(strstr(p.why, part));
}

static void test_valid_reply(void **state)
{
    (void)state;
    parsed p;
    parse(&p, REPLY ",\"idempotency_key\":\"k1\",\"force\":true}", NULL);
    assert_int_equal(p.rc, 0);
    assert_string_equal(p.req.network, "twitter");
    assert_string_equal(p.req.in_reply_to, "twitter:1861");
    assert_string_equal(p.req.idempotency_key, "k1");
    assert_int_equal(p.req.kind, OUTBOX_REPLY);
    assert_int_equal(p.req.force, 1);
    json_decref(p.body);
}

static void test_key_beside_the_body(void **state)
{
    (void)state;
    parsed p;
    parse(&p, REPLY "}", "header-key");
    assert_int_equal(p.rc, 0);
    assert_string_equal(p.req.idempotency_key, "header-key");
    json_decref(p.body);
    parse(&p, REPLY ",\"idempotency_key\":\"header-key\"}", "header-key");
    assert_int_equal(p.rc, 0);
    json_decref(p.body);
    expect_refused(REPLY ",\"idempotency_key\":\"other\"}", "header-key", "invalid_request",
                   "differ");
}

/* Found by fuzz_actions_request: a header key that is not UTF-8 was
 * refused without a reason, so the answer's message was whatever the
 * caller's buffer held. */
static void test_key_not_utf8(void **state)
{
    (void)state;
    expect_refused(REPLY "}", "\xff\xfe", "invalid_request", "not valid UTF-8");
}

static void test_refusals(void **state)
{
    (void)state;
    expect_refused("{\"network\":", NULL, "invalid_json", "not JSON");
    expect_refused("{\"a\":1,\"a\":2}", NULL, "invalid_json", "not JSON");
    expect_refused("[]", NULL, "invalid_request", "JSON object");
    expect_refused(REPLY "}", NULL, "invalid_request", "\"idempotency_key\" is required");
    expect_refused(REPLY ",\"idempotency_key\":\"k\",\"to\":\"9\"}", NULL, "invalid_request",
                   "only for kind \"private\"");
    expect_refused(REPLY ",\"idempotency_key\":\"k\",\"extra\":1}", NULL, "invalid_request",
                   "unknown member");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_reply),
        cmocka_unit_test(test_key_beside_the_body),
        cmocka_unit_test(test_key_not_utf8),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
