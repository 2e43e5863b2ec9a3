/* test_ratelimit_class.c - an account's rate-limit budgets per endpoint
 * class: a spent X window blocks only its class, signals that bind the
 * whole account block every class, and the table stays bounded whatever
 * names a plugin sends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http/ratelimit_class.h"

#define H(n, v) ((gw_http_header){(n), (v)})
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Fri, 20 Nov 2026 10:00:00 GMT */
#define WALL_MS 1795168800000ull
#define DATE_HDR "Fri, 20 Nov 2026 10:00:00 GMT"
#define MONO_MS 5000000ull

/* X's answer when the mentions window is spent: reset in 900 s. */
static const gw_http_header x_spent[] = {
    H("date", DATE_HDR), H("x-rate-limit-limit", "450"), H("x-rate-limit-remaining", "0"),
    H("x-rate-limit-reset", "1795169700")};

static void test_default_names_are_the_account_budget(void **state)
{
    (void)state;
    ratelimit_table t;
    ratelimit_table_init(&t);
    const char *refused = "unset";
    assert_ptr_equal(&t.account, ratelimit_table_get(&t, NULL, &refused));
    assert_null(refused);
    assert_ptr_equal(&t.account, ratelimit_table_get(&t, "", NULL));
    assert_ptr_equal(&t.account, ratelimit_table_get(&t, "default", NULL));
    assert_int_equal(0, t.count);
    assert_null(t.account.account);
}

static void test_a_class_is_created_once_and_found_again(void **state)
{
    (void)state;
    ratelimit_table t;
    ratelimit_table_init(&t);
    ratelimit_budget *m = ratelimit_table_get(&t, "mentions", NULL);
    ratelimit_budget *p = ratelimit_table_get(&t, "post", NULL);
    assert_ptr_not_equal(m, &t.account);
    assert_ptr_not_equal(m, p);
    assert_ptr_equal(m, ratelimit_table_get(&t, "mentions", NULL));
    assert_int_equal(2, t.count);
    assert_string_equal("mentions", t.classes[0].name);
    assert_ptr_equal(&t.account, m->account);
}

static void test_a_spent_window_blocks_only_its_class(void **state)
{
    (void)state;
    ratelimit_table t;
    ratelimit_table_init(&t);
    ratelimit_budget *m = ratelimit_table_get(&t, "mentions", NULL);
    ratelimit_budget *p = ratelimit_table_get(&t, "post", NULL);
    ratelimit_update(m, 200, x_spent, COUNT(x_spent), WALL_MS, MONO_MS);
    assert_int_equal(900000, ratelimit_delay_ms(m, MONO_MS));
    assert_int_equal(0, m->remaining);
    assert_int_equal(0, ratelimit_delay_ms(p, MONO_MS));
    assert_int_equal(0, ratelimit_delay_ms(&t.account, MONO_MS));
    assert_int_equal(0, t.account.blocks);

    /* X's 429 on one endpoint, with a Retry-After next to its window
     * headers: still that endpoint's. */
    gw_http_header limited[] = {H("date", DATE_HDR), H("x-rate-limit-remaining", "0"),
                                H("x-rate-limit-reset", "1795168860"), H("retry-after", "120")};
    ratelimit_update(p, 429, limited, COUNT(limited), WALL_MS, MONO_MS);
    assert_int_equal(120000, ratelimit_delay_ms(p, MONO_MS));
    assert_int_equal(0, ratelimit_delay_ms(&t.account, MONO_MS));
    assert_int_equal(900000, ratelimit_delay_ms(m, MONO_MS));
}

static void test_account_wide_signals_block_every_class(void **state)
{
    (void)state;
    ratelimit_table t;
    ratelimit_table_init(&t);
    ratelimit_budget *m = ratelimit_table_get(&t, "mentions", NULL);
    ratelimit_budget *p = ratelimit_table_get(&t, "post", NULL);

    /* A bare Retry-After names no window: the whole account waits. */
    gw_http_header bare[] = {H("retry-after", "30")};
    ratelimit_update(m, 429, bare, COUNT(bare), WALL_MS, MONO_MS);
    assert_int_equal(30000, ratelimit_delay_ms(p, MONO_MS));
    assert_int_equal(30000, ratelimit_delay_ms(m, MONO_MS));
    assert_int_equal(30000, ratelimit_delay_ms(&t.account, MONO_MS));
    assert_int_equal(0, m->blocks); /* the class itself was not blocked */

    /* Facebook's usage is the app's: recorded and blocking account-wide. */
    gw_http_header fb[] = {H("x-app-usage", "{\"call_count\":100}")};
    ratelimit_update(p, 200, fb, COUNT(fb), WALL_MS, MONO_MS);
    assert_int_equal(100, t.account.usage_percent);
    assert_int_equal(RATELIMIT_FB_DEFAULT_BLOCK_MS, ratelimit_delay_ms(m, MONO_MS));

    /* A request in the default class blocks everyone, as before classes. */
    ratelimit_table_init(&t);
    m = ratelimit_table_get(&t, "mentions", NULL);
    ratelimit_update(&t.account, 200, x_spent, COUNT(x_spent), WALL_MS, MONO_MS);
    assert_int_equal(900000, ratelimit_delay_ms(m, MONO_MS));
}

static void test_the_table_is_bounded_and_refusals_reported_once(void **state)
{
    (void)state;
    ratelimit_table t;
    ratelimit_table_init(&t);
    char name[16];
    for (int i = 0; i < RATELIMIT_MAX_CLASSES; i++) {
        snprintf(name, sizeof name, "c%d", i);
        assert_ptr_not_equal(&t.account, ratelimit_table_get(&t, name, NULL));
    }
    const char *refused = NULL;
    assert_ptr_equal(&t.account, ratelimit_table_get(&t, "one-too-many", &refused));
    assert_non_null(refused);
    assert_ptr_equal(&t.account, ratelimit_table_get(&t, "and-another", &refused));
    assert_null(refused);
    /* Known classes are still found. */
    assert_ptr_equal(&t.classes[3].budget, ratelimit_table_get(&t, "c3", &refused));
    assert_null(refused);
    assert_int_equal(RATELIMIT_MAX_CLASSES, t.count);

    /* Malformed names: their own once-only report, no slot used. */
    ratelimit_table_init(&t);
    static const char *const bad[] = {"Mentions", "with space", "new\nline", "quote\"",
                                      "abcdefghijklmnopqrstuvwxyz0123456"}; /* 33 */
    for (size_t i = 0; i < COUNT(bad); i++) {
        assert_ptr_equal(&t.account, ratelimit_table_get(&t, bad[i], &refused));
        if (i == 0)
            assert_non_null(refused);
        else
            assert_null(refused);
    }
    assert_int_equal(0, t.count);
    assert_true(ratelimit_class_name_ok("abcdefghijklmnopqrstuvwxyz012345")); /* 32 */
    assert_true(ratelimit_class_name_ok("dm_write.v2-x"));
    assert_false(ratelimit_class_name_ok(""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_names_are_the_account_budget),
        cmocka_unit_test(test_a_class_is_created_once_and_found_again),
        cmocka_unit_test(test_a_spent_window_blocks_only_its_class),
        cmocka_unit_test(test_account_wide_signals_block_every_class),
        cmocka_unit_test(test_the_table_is_bounded_and_refusals_reported_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
