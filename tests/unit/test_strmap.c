/* test_strmap.c - the hash map behind the conversation service's indexes:
 * lookups across growth, replacing, and removal only of the value asked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/strmap.h"
#include "gateway/error.h"

#define N 5000

static int count_cb(void *arg, void *value)
{
    (void)value;
    (*(size_t *)arg)++;
    return 0;
}

static void test_put_get_across_growth(void **state)
{
    (void)state;
    static char keys[N][16];
    static int values[N];
    strmap *m = strmap_new();
    assert_non_null(m);
    for (int i = 0; i < N; i++) {
        snprintf(keys[i], sizeof keys[i], "k%d", i);
        values[i] = i;
        assert_int_equal(GW_OK, strmap_put(m, keys[i], strlen(keys[i]), &values[i]));
    }
    assert_int_equal(N, strmap_count(m));
    for (int i = 0; i < N; i++)
        assert_ptr_equal(&values[i], strmap_get(m, keys[i], strlen(keys[i])));
    assert_null(strmap_get(m, "k5000", 5));
    assert_null(strmap_get(m, "k1", 1)); /* a prefix is another key */
    size_t seen = 0;
    assert_int_equal(0, strmap_each(m, count_cb, &seen));
    assert_int_equal(N, seen);
    strmap_free(m);
}

static void test_replace_and_remove(void **state)
{
    (void)state;
    strmap *m = strmap_new();
    int a = 1, b = 2;
    int64_t id = 42; /* binary keys work too */
    assert_int_equal(GW_OK, strmap_put(m, "x", 1, &a));
    assert_int_equal(GW_OK, strmap_put(m, "x", 1, &b)); /* taken over */
    assert_int_equal(1, strmap_count(m));
    assert_int_equal(0, strmap_remove(m, "x", 1, &a)); /* not a's any more */
    assert_ptr_equal(&b, strmap_get(m, "x", 1));
    assert_int_equal(1, strmap_remove(m, "x", 1, &b));
    assert_null(strmap_get(m, "x", 1));
    assert_int_equal(GW_OK, strmap_put(m, &id, sizeof id, &a));
    int64_t same = 42;
    assert_ptr_equal(&a, strmap_get(m, &same, sizeof same));
    assert_int_equal(1, strmap_count(m));
    strmap_free(m);
    strmap_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_across_growth),
        cmocka_unit_test(test_replace_and_remove),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
