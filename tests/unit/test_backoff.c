/* test_backoff.c - full-jitter backoff bounds and interval jitter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/backoff.h"

static void test_full_jitter_stays_within_the_exponential_cap(void **state)
{
    (void)state;
    backoff_rng rng;
    backoff_seed(&rng, 1);
    for (unsigned attempt = 0; attempt < 20; attempt++) {
        uint64_t cap = 100ull << (attempt > 10 ? 10 : attempt);
        if (cap > 5000)
            cap = 5000;
        uint64_t max_seen = 0;
        for (int i = 0; i < 2000; i++) {
            uint64_t d = backoff_full_jitter(&rng, 100, 5000, attempt);
            assert_true(d <= cap);
            if (d > max_seen)
                max_seen = d;
        }
        /* Full jitter spreads over the whole range, not just near 0. */
        assert_true(max_seen > cap / 2);
    }
}

static void test_full_jitter_is_spread_not_constant(void **state)
{
    (void)state;
    backoff_rng rng;
    backoff_seed(&rng, 99);
    uint64_t first = backoff_full_jitter(&rng, 1000, 60000, 5);
    int differs = 0;
    for (int i = 0; i < 50; i++)
        differs |= backoff_full_jitter(&rng, 1000, 60000, 5) != first;
    assert_true(differs);
}

static void test_interval_jitter_bounds(void **state)
{
    (void)state;
    backoff_rng rng;
    backoff_seed(&rng, 7);
    for (int i = 0; i < 5000; i++) {
        uint64_t v = backoff_jitter_interval(&rng, 5000, 0.1);
        assert_in_range(v, 4500, 5500);
    }
    assert_int_equal(1, backoff_jitter_interval(&rng, 0, 0.1));
    assert_int_equal(300, backoff_jitter_interval(&rng, 300, 0));
}

static void test_seed_determinism(void **state)
{
    (void)state;
    backoff_rng a, b;
    backoff_seed(&a, 42);
    backoff_seed(&b, 42);
    for (int i = 0; i < 100; i++)
        assert_int_equal(backoff_next(&a), backoff_next(&b));
    backoff_seed(&a, 0); /* a zero seed must not get stuck at zero */
    assert_true(backoff_next(&a) != 0 || backoff_next(&a) != 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_jitter_stays_within_the_exponential_cap),
        cmocka_unit_test(test_full_jitter_is_spread_not_constant),
        cmocka_unit_test(test_interval_jitter_bounds),
        cmocka_unit_test(test_seed_determinism),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
