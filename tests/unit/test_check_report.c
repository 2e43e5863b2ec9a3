/* test_check_report.c - the contract checker's breach list: secrets never
 * printed, one line per repeated breach, the cap per check, the exit-code
 * count, the JSON report. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "check/check_report.h"

/* Ownership: returns what print wrote (caller frees). */
static char *printed(const check_report *r, int json)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    check_report_print(r, f, json, "x.so");
    fclose(f);
    return buf;
}

static void test_clean_report_says_ok(void **state)
{
    (void)state;
    check_report *r = check_report_new();
    char *text = printed(r, 0);
    assert_string_equal("x.so: OK, no breach of the plugin contract\n", text);
    assert_int_equal(0, check_report_count(r));
    free(text);
    check_report_free(r);
}

static void test_breach_line_and_summary(void **state)
{
    (void)state;
    check_report *r = check_report_new();
    check_report_breach(r, "complete-once", "exactly once", "hook %s twice", "fetch");
    char *text = printed(r, 0);
    assert_string_equal("BREACH complete-once: hook fetch twice (contract: exactly once)\n"
                        "x.so: 1 breach of the plugin contract\n",
                        text);
    free(text);
    check_report_free(r);
}

static void test_secret_values_are_found_and_never_printed(void **state)
{
    (void)state;
    check_report *r = check_report_new();
    assert_int_equal(0, check_report_add_secret(r, "api_key", "sk-12345"));
    assert_int_equal(0, check_report_add_secret(r, "pin", "123")); /* too short to judge */
    assert_string_equal("api_key", check_report_find_secret(r, "GET /x?key=sk-12345&y=1"));
    assert_null(check_report_find_secret(r, "nothing to see, pin 123"));
    check_report_breach(r, "create", "c", "refused: bad key sk-12345 (and sk-12345)");
    char *text = printed(r, 0);
    assert_null(strstr(text, "sk-12345"));
    assert_non_null(strstr(text, "bad key [secret] (and [secret])"));
    free(text);
    text = printed(r, 1);
    assert_null(strstr(text, "sk-12345"));
    free(text);
    check_report_free(r);
}

static void test_same_breach_once_and_a_cap_per_check(void **state)
{
    (void)state;
    check_report *r = check_report_new();
    check_report_breach(r, "kv-limits", "c", "same");
    check_report_breach(r, "kv-limits", "c", "same");
    check_report_breach_once(r, "block-loop", "hook fetch", "c", "held %d ms", 49);
    check_report_breach_once(r, "block-loop", "hook fetch", "c", "held %d ms", 75);
    assert_int_equal(2, check_report_count(r));
    for (int i = 0; i < CHECK_REPORT_MAX_PER_CHECK + 3; i++)
        check_report_breach(r, "event-valid", "c", "event %d", i);
    /* Lines past the cap are counted, so the exit code still says breach. */
    assert_int_equal(2 + CHECK_REPORT_MAX_PER_CHECK + 3, check_report_count(r));
    assert_int_equal(CHECK_REPORT_MAX_PER_CHECK, check_report_count_check(r, "event-valid"));
    char *text = printed(r, 0);
    assert_non_null(strstr(text, "held 49 ms"));
    assert_null(strstr(text, "held 75 ms"));
    assert_non_null(strstr(text, "(and 3 more breach lines not shown)"));
    free(text);
    check_report_free(r);
}

static void test_json_report(void **state)
{
    (void)state;
    check_report *r = check_report_new();
    check_report_breach(r, "leak", "destroy frees", "%d bytes", 32);
    char *text = printed(r, 1);
    json_error_t jerr;
    json_t *doc = json_loads(text, 0, &jerr);
    assert_non_null(doc);
    assert_string_equal("x.so", json_string_value(json_object_get(doc, "plugin")));
    assert_int_equal(1, json_integer_value(json_object_get(doc, "count")));
    json_t *b = json_array_get(json_object_get(doc, "breaches"), 0);
    assert_string_equal("leak", json_string_value(json_object_get(b, "check")));
    assert_string_equal("32 bytes", json_string_value(json_object_get(b, "what")));
    assert_string_equal("destroy frees", json_string_value(json_object_get(b, "contract")));
    json_decref(doc);
    free(text);
    check_report_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_report_says_ok),
        cmocka_unit_test(test_breach_line_and_summary),
        cmocka_unit_test(test_secret_values_are_found_and_never_printed),
        cmocka_unit_test(test_same_breach_once_and_a_cap_per_check),
        cmocka_unit_test(test_json_report),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
