/* tick_stats.c - the loop tick histogram (see tick_stats.h). */
#include "base/tick_stats.h"

#include <time.h>

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

static uint64_t thread_cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int tick_stats_end(tick_stats *t, tick_meter *m, uint64_t now_ns, uint64_t idle_ns,
                   tick_long *out)
{
    uint64_t cpu = thread_cpu_ns();
    int report = 0;
    if (m->end_ns != 0) {
        uint64_t span = now_ns - m->end_ns, blocked = idle_ns - m->idle_ns;
        uint64_t busy = span > blocked ? span - blocked : 0;
        tick_stats_record(t, busy);
        if (busy >= TICK_LONG_NS && now_ns - m->said_ns >= 1000000000ull) {
            m->said_ns = now_ns;
            *out = (tick_long){busy, cpu >= m->cpu_ns ? cpu - m->cpu_ns : 0};
            report = 1;
        }
    }
    m->end_ns = now_ns;
    m->idle_ns = idle_ns;
    m->cpu_ns = cpu;
    return report;
}
