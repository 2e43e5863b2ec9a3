/* sdk/rng.c - deterministic pseudo-random numbers for plugins and tests.
 *
 * Reproducibility is the point: a mock network with seed 7 must produce
 * the same items on every machine and after every restart, so the
 * generator is specified here (xoshiro256**, seeded through splitmix64)
 * rather than borrowed from libc, whose rand() differs between platforms
 * and keeps hidden global state.
 */
#include <stdint.h>

#include "gateway/sdk.h"

static uint64_t rotate_left(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t gw_sdk_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return x;
}

uint64_t gw_sdk_splitmix64(uint64_t *state)
{
    *state += UINT64_C(0x9e3779b97f4a7c15);
    return gw_sdk_mix64(*state);
}

void gw_sdk_rng_seed(gw_sdk_rng *rng, uint64_t seed)
{
    /* splitmix64 spreads any seed, including 0, over the 256-bit state;
     * it never yields four zero words in a row from one seed. */
    uint64_t state = seed;
    for (int i = 0; i < 4; i++)
        rng->s[i] = gw_sdk_splitmix64(&state);
}

uint64_t gw_sdk_rng_next(gw_sdk_rng *rng)
{
    uint64_t *s = rng->s;
    const uint64_t result = rotate_left(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotate_left(s[3], 45);
    return result;
}

uint64_t gw_sdk_rng_below(gw_sdk_rng *rng, uint64_t bound)
{
    if (bound == 0)
        return 0;
    /* Reject the top sliver of the 64-bit range that would make the
     * smaller residues more likely than the others. */
    const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t x;
    do {
        x = gw_sdk_rng_next(rng);
    } while (x >= limit);
    return x % bound;
}

double gw_sdk_rng_unit(gw_sdk_rng *rng)
{
    /* The top 53 bits fill a double's mantissa exactly. */
    return (double)(gw_sdk_rng_next(rng) >> 11) * 0x1.0p-53;
}
