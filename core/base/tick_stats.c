/* tick_stats.c - the loop tick histogram (see tick_stats.h). */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#include "base/tick_stats.h"

#include <sys/resource.h>

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

/* The calling thread's CPU time (microsecond resolution, plenty beside a
 * 50 ms threshold) and its context switches so far. */
typedef struct thread_use {
    uint64_t cpu_ns, blocks, preempts;
} thread_use;

static thread_use thread_use_now(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_THREAD, &ru) != 0)
        return (thread_use){0, 0, 0};
    uint64_t us = (uint64_t)ru.ru_utime.tv_sec * 1000000u + (uint64_t)ru.ru_utime.tv_usec +
                  (uint64_t)ru.ru_stime.tv_sec * 1000000u + (uint64_t)ru.ru_stime.tv_usec;
    return (thread_use){us * 1000u, (uint64_t)ru.ru_nvcsw, (uint64_t)ru.ru_nivcsw};
}

static uint64_t since(uint64_t now, uint64_t then)
{
    return now >= then ? now - then : 0;
}

int tick_stats_end(tick_stats *t, tick_meter *m, uint64_t now_ns, uint64_t idle_ns,
                   tick_long *out)
{
    thread_use use = thread_use_now();
    int report = 0;
    if (m->end_ns != 0) {
        uint64_t span = now_ns - m->end_ns, blocked = idle_ns - m->idle_ns;
        uint64_t busy = span > blocked ? span - blocked : 0;
        tick_stats_record(t, busy);
        if (busy >= TICK_LONG_NS && now_ns - m->said_ns >= 1000000000ull) {
            m->said_ns = now_ns;
            *out = (tick_long){busy, since(use.cpu_ns, m->cpu_ns), since(use.blocks, m->blocks),
                               since(use.preempts, m->preempts)};
            report = 1;
        }
    }
    m->end_ns = now_ns;
    m->idle_ns = idle_ns;
    m->cpu_ns = use.cpu_ns;
    m->blocks = use.blocks;
    m->preempts = use.preempts;
    return report;
}
