/* tzif.h - UTC offsets of an IANA time zone, read from its TZif file
 * (RFC 8536) under /usr/share/zoneinfo (Debian's tzdata).
 *
 * Why our own reader: localtime_r() depends on the process-wide TZ
 * variable, and changing it (setenv + tzset) is global mutable state the
 * loop and the sink workers share. A tzif is immutable once loaded, so
 * any thread may ask it.
 *
 * Scope: the transition table (the version 2+ 64-bit block when present).
 * Times after the last transition keep its offset: Debian installs "fat"
 * files whose transitions run to 2037, so the footer's POSIX TZ rule is
 * not interpreted.
 */
#ifndef GW_TZIF_H
#define GW_TZIF_H

#include <stddef.h>
#include <stdint.h>

typedef struct tzif tzif;

/* Load zone `name` (e.g. "Europe/Berlin"; "UTC" always works, file or
 * not) from directory dir (NULL: /usr/share/zoneinfo). Returns 0 and *out
 * (caller frees with tzif_free), GW_EINVAL for a name that is not a zone
 * name, GW_ENOENT when no such zone is installed, GW_EPARSE for a file
 * that is not TZif; err says which. */
int tzif_load(const char *dir, const char *name, tzif **out, char *err, size_t errlen);

void tzif_free(tzif *tz);

/* Seconds east of UTC in effect at utc_seconds (Unix time). */
int32_t tzif_offset(const tzif *tz, int64_t utc_seconds);

#endif /* GW_TZIF_H */
