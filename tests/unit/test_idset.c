/* test_idset.c - the sets of conversation ids by state: membership and
 * walks in id order across words and pages, removal giving pages back,
 * and random adds and removals checked against a plain array. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "base/idset.h"
#include "gateway/error.h"

#define SPAN 20000 /* ids 1..SPAN-1 in the random test: five pages */

static void test_walks_across_words_and_pages(void **state)
{
    (void)state;
    static const int64_t ids[] = {1, 63, 64, 65, 4095, 4096, 4097, 12345, 40000};
    const size_t n = sizeof ids / sizeof ids[0];
    idset *s = idset_new();
    assert_non_null(s);
    for (size_t i = n; i-- > 0;) /* backwards: pages made out of order */
        assert_int_equal(GW_OK, idset_add(s, ids[i]));
    assert_int_equal(GW_OK, idset_add(s, 64)); /* again: no change */
    assert_int_equal(n, idset_count(s));
    int64_t id = 0;
    for (size_t i = 0; i < n; i++) {
        id = idset_next(s, id);
        assert_int_equal(ids[i], id);
        assert_true(idset_has(s, id));
    }
    assert_int_equal(0, idset_next(s, id));
    assert_false(idset_has(s, 2));
    assert_false(idset_has(s, 0));
    /* from cursors inside a word, at a word's end, between pages */
    assert_int_equal(63, idset_next(s, 1));
    assert_int_equal(4095, idset_next(s, 65));
    assert_int_equal(12345, idset_next(s, 4097));
    assert_int_equal(40000, idset_next(s, 12345));
    assert_int_equal(1, idset_next(s, -5));
    assert_int_equal(0, idset_next(s, INT64_MAX));
    assert_int_equal(GW_EINVAL, idset_add(s, 0));
    assert_int_equal(GW_EINVAL, idset_add(s, -1));
    idset_remove(s, 0);
    idset_remove(s, 2); /* not there */
    assert_int_equal(n, idset_count(s));
    for (size_t i = 0; i < n; i++)
        idset_remove(s, ids[i]);
    assert_int_equal(0, idset_count(s));
    assert_int_equal(0, idset_next(s, 0));
    assert_int_equal(GW_OK, idset_add(s, 9));
    assert_int_equal(9, idset_next(s, 0));
    idset_free(s);
}

static void check_against(const idset *s, const unsigned char *model)
{
    size_t live = 0;
    int64_t expect = 0, id = 0;
    for (int64_t k = 1; k < SPAN; k++) {
        assert_int_equal(model[k], idset_has(s, k));
        live += model[k];
    }
    assert_int_equal(live, idset_count(s));
    for (;;) {
        do
            expect++;
        while (expect < SPAN && !model[expect]);
        id = idset_next(s, id);
        if (expect >= SPAN)
            break;
        assert_int_equal(expect, id);
    }
    assert_int_equal(0, id);
}

static void test_random_against_array(void **state)
{
    (void)state;
    static unsigned char model[SPAN];
    idset *s = idset_new();
    assert_non_null(s);
    srand(11);
    for (int step = 0; step < 80000; step++) {
        /* a window that moves up, as states change on new conversations
         * mostly, and some anywhere */
        int64_t base = 1 + (step / 8) % (SPAN - 3000);
        int64_t id = rand() % 5 == 0 ? 1 + rand() % (SPAN - 1) : base + rand() % 3000;
        if (rand() % 2) {
            assert_int_equal(GW_OK, idset_add(s, id));
            model[id] = 1;
        } else {
            idset_remove(s, id);
            model[id] = 0;
        }
        if (step % 4999 == 0)
            check_against(s, model);
    }
    check_against(s, model);
    idset_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walks_across_words_and_pages),
        cmocka_unit_test(test_random_against_array),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
