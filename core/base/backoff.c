/* backoff.c - retry delays; see backoff.h. */
#include "base/backoff.h"

void backoff_seed(backoff_rng *rng, uint64_t seed)
{
    /* splitmix64 finaliser spreads a poor seed (a pid, a time) over all bits;
     * a zero state would make xorshift stick at zero. */
    uint64_t z = seed + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    rng->state = z ? z : 0x2545F4914F6CDD1Dull;
}

uint64_t backoff_next(backoff_rng *rng)
{
    uint64_t x = rng->state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    rng->state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

uint64_t backoff_full_jitter(backoff_rng *rng, uint64_t base_ms, uint64_t max_ms,
                             unsigned attempt)
{
    uint64_t cap = base_ms ? base_ms : 1;
    for (unsigned i = 0; i < attempt && cap < max_ms; i++)
        cap *= 2;
    if (cap > max_ms)
        cap = max_ms;
    return backoff_next(rng) % (cap + 1);
}

uint64_t backoff_jitter_interval(backoff_rng *rng, uint64_t interval_ms, double fraction)
{
    if (fraction <= 0 || interval_ms == 0)
        return interval_ms ? interval_ms : 1;
    uint64_t spread = (uint64_t)((double)interval_ms * fraction);
    if (spread == 0)
        return interval_ms;
    uint64_t r = backoff_next(rng) % (2 * spread + 1);
    uint64_t v = interval_ms - spread + r;
    return v ? v : 1;
}
