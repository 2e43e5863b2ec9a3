/* test_strmap.c - the hash map behind the conversation service's indexes:
 * lookups across growth, replacing, removal only of the value asked, and
 * random puts and removals checked against a plain array (removal shifts
 * entries back, across the table's end too). */
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

/* A small key space churned at random, so that runs of slots form, wrap
 * around the table's end and are broken by removals; after every step
 * each key's lookup must agree with the array. */
static void test_churn_against_array(void **state)
{
    (void)state;
    enum { KEYS = 48, STEPS = 100000 };
    static int64_t keys[KEYS];
    static int values[KEYS];
    int present[KEYS] = {0};
    size_t count = 0;
    strmap *m = strmap_new();
    assert_non_null(m);
    uint64_t x = 88172645463325252u; /* xorshift: the same steps every run */
    for (int step = 0; step < STEPS; step++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int k = (int)(x % KEYS);
        keys[k] = k * 7919;
        /* fill to about two thirds of the keys, then churn */
        if ((x >> 32) % 3 != 0) {
            count += !present[k];
            present[k] = 1;
            assert_int_equal(GW_OK, strmap_put(m, &keys[k], sizeof keys[k], &values[k]));
        } else {
            assert_int_equal(present[k], strmap_remove(m, &keys[k], sizeof keys[k], &values[k]));
            count -= present[k];
            present[k] = 0;
        }
        assert_int_equal(count, strmap_count(m));
        for (int j = 0; j < KEYS; j++) {
            int64_t key = j * 7919;
            if (present[j])
                assert_ptr_equal(&values[j], strmap_get(m, &key, sizeof key));
            else
                assert_null(strmap_get(m, &key, sizeof key));
        }
    }
    size_t seen = 0;
    assert_int_equal(0, strmap_each(m, count_cb, &seen));
    assert_int_equal(count, seen);
    assert_int_equal(GW_EINVAL, strmap_put(m, NULL, 0, &values[0]));
    strmap_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_across_growth),
        cmocka_unit_test(test_replace_and_remove),
        cmocka_unit_test(test_churn_against_array),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
