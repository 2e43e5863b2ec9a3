/* backoff.h - full-jitter exponential backoff and a small PRNG.
 *
 * Why full jitter: when many accounts or sinks fail together (a network
 * outage), spreading their retries uniformly over [0, cap] avoids the
 * thundering herd that plain exponential backoff produces.
 */
#ifndef GW_BACKOFF_H
#define GW_BACKOFF_H

#include <stdint.h>

/* xorshift-style PRNG state; seed it with backoff_seed. Not for secrets. */
typedef struct backoff_rng {
    uint64_t state;
} backoff_rng;

void backoff_seed(backoff_rng *rng, uint64_t seed);
uint64_t backoff_next(backoff_rng *rng);

/* A uniform delay in [0, min(max_ms, base_ms * 2^attempt)], attempt >= 0. */
uint64_t backoff_full_jitter(backoff_rng *rng, uint64_t base_ms, uint64_t max_ms,
                             unsigned attempt);

/* interval_ms scattered by up to +-fraction (0..1), never below 1 ms. */
uint64_t backoff_jitter_interval(backoff_rng *rng, uint64_t interval_ms, double fraction);

#endif /* GW_BACKOFF_H */
