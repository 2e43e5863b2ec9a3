/* tick_stats.c - the loop tick histogram (see tick_stats.h). */
#include "base/tick_stats.h"

/* From 50 us (a webhook's commit with synchronous = normal) to 1 s (a
 * stall nobody should see). */
const double tick_bucket_bounds[TICK_BUCKETS] = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                 0.005,   0.01,   0.025,   0.05,   0.1,   1.0};

void tick_stats_record(tick_stats *t, uint64_t busy_ns)
{
    double s = (double)busy_ns / 1e9;
    for (int i = 0; i < TICK_BUCKETS; i++) {
        if (s <= tick_bucket_bounds[i]) {
            t->buckets[i]++;
            break;
        }
    }
    t->count++;
    t->sum_ns += busy_ns;
    if (busy_ns > t->max_ns)
        t->max_ns = busy_ns;
}
