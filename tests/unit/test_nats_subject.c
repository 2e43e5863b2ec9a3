/* test_nats_subject.c - the nats sink's subject template (nats_subject.c):
 * which templates pass, how values fill exactly one token each (no value
 * can add or widen a subject level), and the wildcard a created stream
 * listens on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/error.h"
#include "sinks/nats_subject.h"

static void test_templates_are_checked(void **state)
{
    (void)state;
    char err[256];
    assert_int_equal(GW_OK,
                     nats_subject_check("social.{network}.{account}.{type}", err, sizeof err));
    assert_int_equal(GW_OK, nats_subject_check("acme.{type}.from-x_y", err, sizeof err));
    assert_int_equal(GW_OK, nats_subject_check("events", err, sizeof err));
    const char *bad[] = {"", "a..b", ".a", "a.", "a.*", "a.>", "a b", "a.{network}x", "a.{nope}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(GW_EINVAL, nats_subject_check(bad[i], err, sizeof err));
        assert_true(err[0] != '\0');
    }
}

static void test_values_fill_one_token_each(void **state)
{
    (void)state;
    char out[NATS_SUBJECT_MAX];
    const char *t = "social.{network}.{account}.{type}";
    assert_int_equal(strlen("social.mock.acme.mention"),
                     nats_subject_fill(t, "mock", "acme", "mention", out, sizeof out));
    assert_string_equal("social.mock.acme.mention", out);
    nats_subject_fill(t, "mock", "acme.eu", "action.succeeded", out, sizeof out);
    assert_string_equal("social.mock.acme_eu.action_succeeded", out);
    nats_subject_fill(t, "x", "a *>b\tc", NULL, out, sizeof out);
    assert_string_equal("social.x.a___b_c._", out);
    nats_subject_fill(t, "", "acme", "review", out, sizeof out);
    assert_string_equal("social._.acme.review", out);
    char small[12];
    assert_int_equal(GW_ERANGE,
                     nats_subject_fill(t, "mock", "acme", "mention", small, sizeof small));
}

static void test_wildcard_covers_the_template(void **state)
{
    (void)state;
    char out[NATS_SUBJECT_MAX];
    nats_subject_wildcard("social.{network}.{account}.{type}", out, sizeof out);
    assert_string_equal("social.*.*.*", out);
    nats_subject_wildcard("acme.{type}.from.{network}", out, sizeof out);
    assert_string_equal("acme.*.from.*", out);
    nats_subject_wildcard("events", out, sizeof out);
    assert_string_equal("events", out);
}

static void test_overlap_of_filters(void **state)
{
    (void)state;
    assert_true(nats_subject_overlap("social.*.*.*", "social.actions.*.*"));
    assert_false(nats_subject_overlap("social.*.*.*", "gateway.actions.*.*"));
    assert_false(nats_subject_overlap("social.*.*.*", "social.actions.*"));
    assert_true(nats_subject_overlap("a.b", "a.b"));
    assert_false(nats_subject_overlap("a.b", "a.c"));
    assert_true(nats_subject_overlap("*", "x"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_templates_are_checked),
        cmocka_unit_test(test_values_fill_one_token_each),
        cmocka_unit_test(test_wildcard_covers_the_template),
        cmocka_unit_test(test_overlap_of_filters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
