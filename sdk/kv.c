/* sdk/kv.c - integer cursors in the host's per-account key/value store.
 *
 * The store holds strings; most cursors are counters or numeric ids. The
 * value is kept as plain decimal so an operator reading the store sees
 * the number, and a value that is not a number is reported rather than
 * silently read as 0 (which would restart a plugin from the beginning).
 */
#include <stdint.h>

#include "gateway/sdk.h"

/* Large enough for UINT64_MAX (20 digits) plus a margin to tell an
 * overlong value from a valid one. */
#define KV_U64_BUF 32

int gw_sdk_kv_get_u64(const gw_host *host, gw_account *acct, const char *key, uint64_t def,
                      uint64_t *out)
{
    if (host == NULL || key == NULL || out == NULL)
        return GW_EINVAL;
    char buf[KV_U64_BUF];
    int rc = host->kv_get(acct, key, buf, sizeof buf);
    if (rc == GW_ENOENT) {
        *out = def;
        return 0;
    }
    if (rc == GW_ERANGE)
        return GW_EPARSE; /* longer than any uint64 */
    if (rc < 0)
        return rc;
    if (buf[0] == '\0')
        return GW_EPARSE;
    uint64_t value = 0;
    for (const char *p = buf; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return GW_EPARSE;
        uint64_t digit = (uint64_t)(*p - '0');
        if (value > (UINT64_MAX - digit) / 10)
            return GW_EPARSE;
        value = value * 10 + digit;
    }
    *out = value;
    return 0;
}

int gw_sdk_kv_set_u64(const gw_host *host, gw_account *acct, const char *key, uint64_t value)
{
    if (host == NULL || key == NULL)
        return GW_EINVAL;
    char buf[KV_U64_BUF];
    /* Written by hand rather than with PRIu64 to keep the value format
     * visibly plain decimal, whatever the platform's uint64_t is. */
    char digits[KV_U64_BUF];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0);
    for (size_t i = 0; i < n; i++)
        buf[i] = digits[n - 1 - i];
    buf[n] = '\0';
    return host->kv_set(acct, key, buf);
}
