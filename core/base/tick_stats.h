/* tick_stats.h - how long the loop thread was busy per iteration.
 *
 * One loop iteration's work (timers, I/O callbacks, the commit in the
 * prepare phase) is a "tick"; while it runs, every other connection
 * waits. The orchestrator records each tick's busy time here and
 * /metrics renders the histogram as gateway_loop_tick_seconds, so a
 * stall (a checkpoint, a large write) shows as a long tick, not only as
 * a webhook p99.
 */
#ifndef GW_TICK_STATS_H
#define GW_TICK_STATS_H

#include <stdint.h>

#define TICK_BUCKETS 12

typedef struct tick_stats {
    uint64_t buckets[TICK_BUCKETS]; /* not cumulative: ticks in (bound[i-1], bound[i]] */
    uint64_t count;                 /* every tick recorded, +Inf included */
    uint64_t sum_ns;
    uint64_t max_ns;                /* longest tick since start */
} tick_stats;

/* Upper bounds of the buckets in seconds, ascending (static storage). */
extern const double tick_bucket_bounds[TICK_BUCKETS];

/* Count one tick of busy_ns nanoseconds. */
void tick_stats_record(tick_stats *t, uint64_t busy_ns);

/* Where the last tick ended: the clock, the loop's idle time, the
 * thread's CPU time and its context switches then. Zero-initialise it. */
typedef struct tick_meter {
    uint64_t end_ns, idle_ns, cpu_ns;
    uint64_t blocks, preempts; /* voluntary and involuntary switches */
    uint64_t said_ns;          /* when a long tick was last reported */
} tick_meter;

/* A tick worth a log line: at least TICK_LONG_NS busy. cpu_ns: how much
 * of the tick the calling thread spent on the CPU; the rest it waited.
 * Why it waited, the thread's context switches during the tick tell:
 * `blocked` times it gave the CPU up (a blocking call: a lock, I/O, a
 * sleep), `preempted` times it was taken from it (another thread or the
 * hypervisor). Both come with the CPU time from one getrusage call. */
#define TICK_LONG_NS (50 * 1000 * 1000ull)
typedef struct tick_long {
    uint64_t busy_ns, cpu_ns;
    uint64_t blocked, preempted;
} tick_long;

/* End a tick on the loop's thread: now_ns (uv_hrtime) and idle_ns
 * (uv_metrics_idle_time, the time blocked in poll so far) give its busy
 * time, which is recorded. Returns 1 with *out when it was long and none
 * was reported in the last second, else 0. */
int tick_stats_end(tick_stats *t, tick_meter *m, uint64_t now_ns, uint64_t idle_ns,
                   tick_long *out);

#endif
