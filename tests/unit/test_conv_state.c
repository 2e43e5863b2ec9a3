/* test_conv_state.c - a conversation's ids and its list of events, both
 * written without snprintf (core/service/conv_id.c by hand, conv_state.c
 * through base/json_write): the digits, the separators, growth, and a
 * buffer too small cut as snprintf would cut it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/error.h"
#include "service/conv_id.h"
#include "service/conv_service.h"
#include "service/conv_state.h"

static void test_id_format_matches_printf(void **state)
{
    (void)state;
    const int64_t ids[] = {1, 9, 10, 15, 16, 255, 4096, 0x7fffffff, INT64_C(0x123456789abcde),
                           INT64_MAX};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        char got[24], want[24];
        conv_id_format("cv_", ids[i], got, sizeof got);
        snprintf(want, sizeof want, "cv_%llx", (unsigned long long)ids[i]);
        assert_string_equal(got, want);
        if (strlen(want) - 3 <= 15)
            assert_int_equal(conv_id_parse("cv_", got), ids[i]);
    }
    char small[6];
    conv_id_format("ct_", 0xabcdef, small, sizeof small);
    assert_string_equal(small, "ct_ab"); /* cut, NUL kept */
}

static void test_add_seq_lists_in_order(void **state)
{
    (void)state;
    conv *cv = calloc(1, sizeof *cv);
    assert_non_null(cv);
    char want[4096] = "";
    size_t len = 0;
    for (int64_t seq = 0; seq < 400; seq++) {
        if (seq == 1) {
            /* Every open conversation holds its list in memory (130,000
             * of them in a flood of 200,000 items): a one-item list must
             * not take the writer's default 1 KB (it did: 159 MB peak). */
            assert_in_range(cv->seqs.cap, 2, 64);
        }
        int64_t v = seq * 7919 + (seq == 399 ? INT64_C(9000000000000000000) : 0);
        assert_int_equal(GW_OK, conv_add_seq(cv, v));
        len += (size_t)snprintf(want + len, sizeof want - len, "%s%lld", seq ? "," : "",
                                (long long)v);
        assert_int_equal(cv->seqs.len, len);
        assert_string_equal(cv->seqs.data, want);
    }
    assert_true(cv->seqs.cap > cv->seqs.len);
    conv_free(cv);
}

/* The metrics count open conversations by this index instead of comparing
 * labels for each of them at every scrape. */
static void test_set_priority_index(void **state)
{
    (void)state;
    conv cv = {0};
    for (size_t i = 0; i + 1 < CONV_PRIORITIES; i++) {
        conv_set_priority(&cv, conv_priority_names[i]);
        assert_int_equal(cv.priority_index, i);
        assert_string_equal(cv.priority, conv_priority_names[i]);
    }
    conv_set_priority(&cv, NULL);
    assert_int_equal(cv.priority_index, CONV_PRIORITIES - 1);
    assert_string_equal(cv.priority, "");
    conv_set_priority(&cv, "bogus");
    assert_int_equal(cv.priority_index, CONV_PRIORITIES - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_format_matches_printf),
        cmocka_unit_test(test_add_seq_lists_in_order),
        cmocka_unit_test(test_set_priority_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
