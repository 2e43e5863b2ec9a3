/* test_idmap.c - the map of conversations by id: lookups and walks in id
 * order across pages, ids below the first page, removal only of the
 * value asked, pages given back, and random puts and removals checked
 * against a plain array. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "base/idmap.h"
#include "gateway/error.h"

#define SPAN 6000 /* ids 1..SPAN-1 in the random test: 23 pages and some */

static int collect(void *arg, void *value)
{
    int64_t **out = arg;
    *(*out)++ = *(int64_t *)value;
    return 0;
}

static int stop_at_third(void *arg, void *value)
{
    (void)value;
    return ++*(int *)arg == 3 ? 42 : 0;
}

static void test_walks_in_id_order_across_pages(void **state)
{
    (void)state;
    static int64_t ids[3000], seen[3000];
    idmap *m = idmap_new();
    assert_non_null(m);
    /* every third id, from the far end backwards: pages are made out of
     * order and the directory grows at both ends */
    size_t n = 0;
    for (int64_t id = 8999; id >= 1; id -= 3)
        ids[n++] = id;
    for (size_t i = 0; i < n; i++)
        assert_int_equal(GW_OK, idmap_put(m, ids[i], &ids[i]));
    assert_int_equal(n, idmap_count(m));
    for (size_t i = 0; i < n; i++)
        assert_ptr_equal(&ids[i], idmap_get(m, ids[i]));
    assert_null(idmap_get(m, 3));
    assert_null(idmap_get(m, 9000));
    int64_t id = 0, prev = 0;
    size_t walked = 0;
    for (int64_t *v = idmap_next(m, 0, &id); v != NULL; v = idmap_next(m, id, &id)) {
        assert_int_equal(*v, id);
        assert_true(id > prev);
        prev = id;
        walked++;
    }
    assert_int_equal(n, walked);
    /* each goes in the same order */
    int64_t *out = seen;
    assert_int_equal(0, idmap_each(m, collect, &out));
    assert_int_equal(n, (size_t)(out - seen));
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ids[n - 1 - i], seen[i]);
    int calls = 0;
    assert_int_equal(42, idmap_each(m, stop_at_third, &calls));
    /* from a cursor inside a page, between pages, and past the end */
    assert_int_equal(5, *(int64_t *)idmap_next(m, 2, &id));
    assert_int_equal(257, *(int64_t *)idmap_next(m, 255, &id));
    assert_null(idmap_next(m, 8999, &id));
    assert_null(idmap_next(m, INT64_MAX, &id));
    idmap_free(m);
}

static void test_refuses_bad_ids_and_removes_only_its_value(void **state)
{
    (void)state;
    int a = 1, b = 2;
    idmap *m = idmap_new();
    assert_non_null(m);
    assert_int_equal(GW_EINVAL, idmap_put(m, 0, &a));
    assert_int_equal(GW_EINVAL, idmap_put(m, -4, &a));
    assert_int_equal(GW_EINVAL, idmap_put(m, 4, NULL));
    assert_null(idmap_get(m, 0));
    assert_null(idmap_get(m, -1));
    assert_int_equal(GW_OK, idmap_put(m, 77, &a));
    assert_int_equal(GW_OK, idmap_put(m, 77, &b)); /* replaces */
    assert_int_equal(1, idmap_count(m));
    assert_int_equal(0, idmap_remove(m, 77, &a)); /* taken over by b */
    assert_ptr_equal(&b, idmap_get(m, 77));
    assert_int_equal(0, idmap_remove(m, 78, &b));
    assert_int_equal(0, idmap_remove(m, -1, &b));
    assert_int_equal(1, idmap_remove(m, 77, &b));
    assert_int_equal(0, idmap_count(m));
    idmap_free(m);
}

static void test_pages_given_back_and_taken_again(void **state)
{
    (void)state;
    static int64_t v[2000];
    idmap *m = idmap_new();
    assert_non_null(m);
    for (int64_t id = 1; id < 2000; id++) {
        v[id] = id;
        assert_int_equal(GW_OK, idmap_put(m, id, &v[id]));
    }
    /* the oldest leave first, as conversations close */
    for (int64_t id = 1; id < 1900; id++)
        assert_int_equal(1, idmap_remove(m, id, &v[id]));
    int64_t id = 0;
    assert_int_equal(1900, *(int64_t *)idmap_next(m, 0, &id));
    assert_int_equal(1900, id);
    for (int64_t i = 1900; i < 2000; i++)
        assert_int_equal(1, idmap_remove(m, i, &v[i]));
    assert_int_equal(0, idmap_count(m));
    assert_null(idmap_next(m, 0, &id));
    /* empty again: a new first page anywhere */
    assert_int_equal(GW_OK, idmap_put(m, 7, &v[7]));
    assert_int_equal(GW_OK, idmap_put(m, 1999, &v[1999]));
    assert_ptr_equal(&v[7], idmap_next(m, 0, &id));
    assert_ptr_equal(&v[1999], idmap_next(m, 7, &id));
    idmap_free(m);
}

static void check_against(const idmap *m, int64_t *const *model)
{
    size_t live = 0;
    for (int64_t id = 1; id < SPAN; id++) {
        assert_ptr_equal(model[id], idmap_get(m, id));
        live += model[id] != NULL;
    }
    assert_int_equal(live, idmap_count(m));
    int64_t id = 0, expect = 0;
    for (void *v = idmap_next(m, 0, &id); v != NULL; v = idmap_next(m, id, &id)) {
        do
            expect++;
        while (expect < SPAN && model[expect] == NULL);
        assert_int_equal(expect, id);
        assert_ptr_equal(model[id], v);
    }
    do
        expect++;
    while (expect < SPAN && model[expect] == NULL);
    assert_true(expect >= SPAN);
}

static void test_random_against_array(void **state)
{
    (void)state;
    static int64_t values[SPAN];
    static int64_t *model[SPAN];
    idmap *m = idmap_new();
    assert_non_null(m);
    srand(7);
    for (int step = 0; step < 60000; step++) {
        /* mostly a window that moves up, as ids are handed out, with
         * some anywhere below it */
        int64_t base = 1 + (step / 12) % (SPAN - 600);
        int64_t id = rand() % 4 == 0 ? 1 + rand() % (SPAN - 1) : base + rand() % 600;
        values[id] = id;
        if (rand() % 3 != 0) {
            assert_int_equal(GW_OK, idmap_put(m, id, &values[id]));
            model[id] = &values[id];
        } else {
            assert_int_equal(model[id] != NULL, idmap_remove(m, id, &values[id]));
            model[id] = NULL;
        }
        if (step % 997 == 0)
            check_against(m, model);
    }
    check_against(m, model);
    for (int64_t id = 1; id < SPAN; id++)
        if (model[id] != NULL)
            assert_int_equal(1, idmap_remove(m, id, model[id]));
    assert_int_equal(0, idmap_count(m));
    idmap_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walks_in_id_order_across_pages),
        cmocka_unit_test(test_refuses_bad_ids_and_removes_only_its_value),
        cmocka_unit_test(test_pages_given_back_and_taken_again),
        cmocka_unit_test(test_random_against_array),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
