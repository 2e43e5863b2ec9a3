/* test_tick_stats.c - the loop tick histogram and the long-tick report. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <time.h>

#include "base/tick_stats.h"

#define MS 1000000ull

static void test_record_buckets(void **state)
{
    (void)state;
    tick_stats t = {0};
    tick_stats_record(&t, 40 * 1000);   /* 40 us: the first bucket */
    tick_stats_record(&t, 3 * MS);      /* (2.5 ms, 5 ms] */
    tick_stats_record(&t, 2000 * MS);   /* past every bound: +Inf only */
    assert_int_equal(t.buckets[0], 1);
    assert_int_equal(t.buckets[6], 1);
    assert_int_equal(t.count, 3);
    assert_int_equal(t.max_ns, 2000 * MS);
    assert_int_equal(t.sum_ns, 40 * 1000 + 3 * MS + 2000 * MS);
}

/* A tick is the time between two ends less the loop's time in poll; one
 * of 50 ms or more is reported, at most once a second. */
static void test_end_reports_long_ticks_once_a_second(void **state)
{
    (void)state;
    tick_stats t = {0};
    tick_meter m = {0};
    tick_long lt = {0};
    uint64_t now = 5000 * MS, idle = 0;
    assert_int_equal(0, tick_stats_end(&t, &m, now, idle, &lt)); /* the first end starts */
    assert_int_equal(t.count, 0);
    now += 200 * MS;
    idle += 190 * MS; /* 10 ms busy: recorded, not reported */
    assert_int_equal(0, tick_stats_end(&t, &m, now, idle, &lt));
    assert_int_equal(t.count, 1);
    assert_int_equal(t.max_ns, 10 * MS);
    now += 80 * MS; /* 80 ms busy, none of it in poll */
    assert_int_equal(1, tick_stats_end(&t, &m, now, idle, &lt));
    assert_int_equal(lt.busy_ns, 80 * MS);
    assert_true(lt.cpu_ns < 80 * MS); /* the test thread slept through it, in effect */
    now += 60 * MS; /* long again within the second: counted, not reported */
    assert_int_equal(0, tick_stats_end(&t, &m, now, idle, &lt));
    assert_int_equal(t.count, 3);
    now += 1000 * MS;
    idle += 940 * MS; /* 60 ms busy, a second after the last report */
    assert_int_equal(1, tick_stats_end(&t, &m, now, idle, &lt));
    assert_int_equal(lt.busy_ns, 60 * MS);
}

/* A long tick says how often the thread gave the CPU up meanwhile: here
 * it sleeps three times, each a voluntary switch. */
static void test_a_long_tick_counts_the_threads_blocking(void **state)
{
    (void)state;
    tick_stats t = {0};
    tick_meter m = {0};
    tick_long lt = {0};
    uint64_t now = 5000 * MS;
    assert_int_equal(0, tick_stats_end(&t, &m, now, 0, &lt));
    for (int i = 0; i < 3; i++) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    now += 80 * MS;
    assert_int_equal(1, tick_stats_end(&t, &m, now, 0, &lt));
    assert_true(lt.blocked >= 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_buckets),
        cmocka_unit_test(test_end_reports_long_ticks_once_a_second),
        cmocka_unit_test(test_a_long_tick_counts_the_threads_blocking),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
