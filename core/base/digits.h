/* digits.h - an unsigned integer's decimal digits, without printf's format
 * parsing: snprintf cost about a thousand instructions a number where many
 * are written (triage's reasons, the metrics page, the JSON writer).
 * Header-only: nothing here is worth a call.
 */
#ifndef GW_BASE_DIGITS_H
#define GW_BASE_DIGITS_H

#include <stddef.h>
#include <string.h>

/* The most digits an unsigned long long has (2^64 - 1). */
#define DIGITS_MAX 20

/* Write n's digits at out, which has room for DIGITS_MAX (no NUL);
 * returns their count. */
static inline size_t digits_put(char *out, unsigned long long n)
{
    char tmp[DIGITS_MAX];
    size_t at = DIGITS_MAX;
    do {
        tmp[--at] = (char)('0' + n % 10);
        n /= 10;
    } while (n > 0);
    memcpy(out, tmp + at, DIGITS_MAX - at);
    return DIGITS_MAX - at;
}

#endif /* GW_BASE_DIGITS_H */
