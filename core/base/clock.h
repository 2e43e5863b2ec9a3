/* clock.h - wall and monotonic clocks in milliseconds (RFC 3339 text is
 * the SDK's gw_sdk_time_format, shared with plugins). */
#ifndef GW_CLOCK_H
#define GW_CLOCK_H

#include <stddef.h>
#include <stdint.h>

uint64_t clock_wall_ms(void);
uint64_t clock_monotonic_ms(void);

#endif /* GW_CLOCK_H */
