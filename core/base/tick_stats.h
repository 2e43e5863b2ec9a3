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

#endif
