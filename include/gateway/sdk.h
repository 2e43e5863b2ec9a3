/* gateway/sdk.h - helpers for plugin authors (the gwsdk static library).
 *
 * What a plugin needs beyond the ABI of gateway/plugin.h: RFC 3339 time
 * stamps, a deterministic pseudo-random generator for reproducible plugins
 * and tests, small jansson accessors with defaults, integer cursors in the
 * host's key/value store, and bounded string copies.
 *
 * Why this header lives under include/ and not sdk/: a plugin author
 * compiles against include/gateway/ only, and the unit tests of the core
 * see include/ too. The implementation lives in the sdk/ folder, one file
 * per group below.
 *
 * Linking. gwsdk is a static library built position-independent with
 * hidden visibility: every plugin gets its own private copy, and none of
 * these symbols is exported from a plugin's .so (only gw_plugin_entry is),
 * so two plugins built against different SDK versions never clash.
 *
 * Conventions. Every function is reentrant: none keeps global state, the
 * caller owns every state struct. Functions that can fail return 0 or a
 * negative GW_E* code from gateway/error.h. Each declaration says who owns
 * what crosses it ("borrowed", "caller frees").
 */
#ifndef GATEWAY_SDK_H
#define GATEWAY_SDK_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "gateway/error.h"
#include "gateway/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Time (sdk/time.c). Proleptic Gregorian calendar, years 0000 to 9999,
 * Unix milliseconds as int64_t so instants before 1970 round-trip too.
 */

/* Length of "2026-11-20T10:00:00.000Z", and the buffer size it needs. */
#define GW_SDK_RFC3339_LEN 24
#define GW_SDK_RFC3339_SIZE (GW_SDK_RFC3339_LEN + 1)

/* gw_sdk_time_format - write unix_ms as RFC 3339 UTC with milliseconds,
 * "YYYY-MM-DDTHH:MM:SS.mmmZ", NUL-terminated, into buf (caller-owned,
 * at least GW_SDK_RFC3339_SIZE bytes). Returns GW_SDK_RFC3339_LEN, or
 * GW_ERANGE when buf is too small or the year falls outside 0000-9999
 * (buf then holds ""). */
int gw_sdk_time_format(int64_t unix_ms, char *buf, size_t buflen);

/* gw_sdk_time_parse - parse an RFC 3339 date-time (text borrowed) into
 * Unix milliseconds. Accepts 'T', 't' or ' ' between date and time, any
 * number of fraction digits (truncated to milliseconds), and "Z", "z" or
 * a numeric offset "+hh:mm" / "-hh:mm" ("-00:00" is UTC). A leap second
 * (:60) reads as the first millisecond of the next minute, as POSIX does.
 * The whole string must match. Returns 0 and sets *unix_ms, or GW_EPARSE
 * (*unix_ms untouched). */
int gw_sdk_time_parse(const char *text, int64_t *unix_ms);

/* ------------------------------------------------------------------------
 * Deterministic pseudo-random numbers (sdk/rng.c): xoshiro256** seeded
 * through splitmix64. Not for secrets. The same seed gives the same
 * sequence on every platform and in every build of the SDK: changing the
 * output of a given seed is a breaking change of the SDK.
 */
typedef struct gw_sdk_rng {
    uint64_t s[4]; /* caller-owned; never all zero after gw_sdk_rng_seed */
} gw_sdk_rng;

/* gw_sdk_mix64 - a stateless 64-bit mixer (the splitmix64 finalizer):
 * equal inputs give equal outputs, nearby inputs unrelated outputs. Use it
 * to derive a seed from several integers, e.g. mix64(seed ^ mix64(n)). */
uint64_t gw_sdk_mix64(uint64_t x);

/* gw_sdk_splitmix64 - advance *state (caller-owned) and return the next
 * splitmix64 output. */
uint64_t gw_sdk_splitmix64(uint64_t *state);

/* gw_sdk_rng_seed - initialise rng from one 64-bit seed (any value). */
void gw_sdk_rng_seed(gw_sdk_rng *rng, uint64_t seed);

/* gw_sdk_rng_next - the next 64 uniformly distributed bits. */
uint64_t gw_sdk_rng_next(gw_sdk_rng *rng);

/* gw_sdk_rng_below - a uniform integer in [0, bound), without modulo
 * bias; 0 when bound is 0. */
uint64_t gw_sdk_rng_below(gw_sdk_rng *rng, uint64_t bound);

/* gw_sdk_rng_unit - a uniform double in [0, 1) with 53 random bits. */
double gw_sdk_rng_unit(gw_sdk_rng *rng);

/* ------------------------------------------------------------------------
 * JSON accessors (sdk/json.c). obj may be NULL or not an object; a member
 * that is absent or of the wrong type yields the default.
 */

/* The string member `key`, or def. Borrowed: valid while obj holds it. */
const char *gw_sdk_json_string(const json_t *obj, const char *key, const char *def);

/* The integer member `key`, or def. A real is not an integer here. */
json_int_t gw_sdk_json_int(const json_t *obj, const char *key, json_int_t def);

/* The number member `key` (integer or real) as a double, or def. */
double gw_sdk_json_number(const json_t *obj, const char *key, double def);

/* The boolean member `key` as 0 or 1, or def. */
int gw_sdk_json_bool(const json_t *obj, const char *key, int def);

/* gw_sdk_json_set_string - set obj[key] to a copy of value (borrowed);
 * when value is NULL, set JSON null. Returns 0, GW_EINVAL when obj is not
 * an object or value is not valid UTF-8, or GW_ENOMEM. */
int gw_sdk_json_set_string(json_t *obj, const char *key, const char *value);

/* ------------------------------------------------------------------------
 * Integer cursors in the host's per-account key/value store (sdk/kv.c).
 * Stored as decimal strings, so they read well in the store.
 */

/* gw_sdk_kv_get_u64 - read `key`; an absent key yields def. Returns 0, or
 * GW_EPARSE when the stored value is not a decimal uint64, or the error of
 * host->kv_get. *out is set only on success. */
int gw_sdk_kv_get_u64(const gw_host *host, gw_account *acct, const char *key, uint64_t def,
                      uint64_t *out);

/* gw_sdk_kv_set_u64 - store `value` under `key`. Returns host->kv_set's
 * result. Durable with the events emitted in the same loop tick. */
int gw_sdk_kv_set_u64(const gw_host *host, gw_account *acct, const char *key, uint64_t value);

/* ------------------------------------------------------------------------
 * Strings (sdk/str.c).
 */

/* gw_sdk_str_copy - copy src (borrowed; NULL reads as "") into dst
 * (dstlen bytes, caller-owned), always NUL-terminated when dstlen > 0.
 * Truncation never splits a UTF-8 sequence. Returns strlen(src), so a
 * result >= dstlen means the copy was truncated (as strlcpy). */
size_t gw_sdk_str_copy(char *dst, size_t dstlen, const char *src);

/* gw_sdk_str_dup - a malloc'ed copy of s (caller frees with free()), or
 * NULL when s is NULL or memory is exhausted. */
char *gw_sdk_str_dup(const char *s);

#ifdef __cplusplus
}
#endif

#endif /* GATEWAY_SDK_H */
