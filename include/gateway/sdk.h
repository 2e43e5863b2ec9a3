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
 * HTTP responses.
 */

/* gw_sdk_http_not_sent - nonzero when the host says no byte of the request
 * reached the server (gw_http_response.not_sent), so a write may be sent
 * again without risking a duplicate; 0 from a host older than ABI 1.3,
 * which cannot say, so the caller stays on the safe side. r borrowed. */
static inline int gw_sdk_http_not_sent(const gw_http_response *r)
{
    return GW_HAS_MEMBER(r, gw_http_response, not_sent) && r->not_sent != 0;
}

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

/* gw_sdk_buf - a growable string for URLs and request bodies
 * (sdk/buf.c). Start from GW_SDK_BUF_INIT (or zeroed memory), append, then
 * take the result. A failed allocation marks the buffer and later appends
 * do nothing, so one check at take() covers them all. */
typedef struct gw_sdk_buf {
    char *p;       /* NUL-terminated once anything was added */
    size_t len, cap;
    int failed;    /* an allocation failed: take() answers NULL */
} gw_sdk_buf;
#define GW_SDK_BUF_INIT {NULL, 0, 0, 0}

/* Append n bytes of s, or the NUL-terminated s. */
void gw_sdk_buf_add(gw_sdk_buf *b, const char *s, size_t n);
void gw_sdk_buf_adds(gw_sdk_buf *b, const char *s);
/* Append s percent-encoded (RFC 3986 unreserved characters kept); the
 * temporary copy is wiped, as s may be a token. */
void gw_sdk_buf_add_encoded(gw_sdk_buf *b, const char *s);
/* Append a URL query parameter: '?' (or '&' when the buffer already holds
 * a '?'), then name=value, both encoded. */
void gw_sdk_buf_url_param(gw_sdk_buf *b, const char *name, const char *value);
/* The string (caller frees; "" when nothing was added), the buffer
 * emptied; or NULL, everything freed, when an append had failed. */
char *gw_sdk_buf_take(gw_sdk_buf *b);
/* Wipe and free what the buffer holds (secrets in URLs), emptying it. */
void gw_sdk_buf_free(gw_sdk_buf *b);

/* ========================================================================
 * Crypto and encodings for request signing and webhook verification
 * (sdk/sha1.c, sdk/sha256.c, sdk/hmac.c, sdk/encode.c, sdk/oauth1.c).
 *
 * Written for the SDK rather than taken from OpenSSL or nettle so that a
 * plugin links libc, jansson and the SDK only, as the ABI promises; the
 * digests are checked against the FIPS 180 and RFC 2202 / RFC 4231
 * vectors (tests/unit/test_sdk_crypto.c) and OAuth 1.0a against the
 * RFC 5849 and X examples (tests/unit/test_oauth1.c). SHA-1 is here only
 * because OAuth 1.0a HMAC-SHA1 requires it.
 *
 * Everything is reentrant and allocation-free except the OAuth 1.0a
 * builders, which return malloc'ed strings (caller frees).
 */

#define GW_SDK_SHA1_SIZE 20
#define GW_SDK_SHA256_SIZE 32
/* Base64 of a SHA-256 digest (44 chars) or SHA-1 (28), plus the NUL. */
#define GW_SDK_BASE64_SIZE(n) ((((n) + 2) / 3) * 4 + 1)

/* Streaming digests. The context is caller-owned; init, update any
 * number of times (data borrowed), final writes the digest and leaves the
 * context unusable until the next init. */
typedef struct gw_sdk_sha1_ctx {
    uint32_t h[5];
    uint64_t length; /* bytes hashed so far */
    unsigned char block[64];
    size_t used; /* bytes waiting in block */
} gw_sdk_sha1_ctx;

typedef struct gw_sdk_sha256_ctx {
    uint32_t h[8];
    uint64_t length;
    unsigned char block[64];
    size_t used;
} gw_sdk_sha256_ctx;

void gw_sdk_sha1_init(gw_sdk_sha1_ctx *ctx);
void gw_sdk_sha1_update(gw_sdk_sha1_ctx *ctx, const void *data, size_t len);
void gw_sdk_sha1_final(gw_sdk_sha1_ctx *ctx, unsigned char out[GW_SDK_SHA1_SIZE]);
/* One call: out = SHA-1(data). */
void gw_sdk_sha1(const void *data, size_t len, unsigned char out[GW_SDK_SHA1_SIZE]);

void gw_sdk_sha256_init(gw_sdk_sha256_ctx *ctx);
void gw_sdk_sha256_update(gw_sdk_sha256_ctx *ctx, const void *data, size_t len);
void gw_sdk_sha256_final(gw_sdk_sha256_ctx *ctx, unsigned char out[GW_SDK_SHA256_SIZE]);
void gw_sdk_sha256(const void *data, size_t len, unsigned char out[GW_SDK_SHA256_SIZE]);

/* HMAC (RFC 2104) over SHA-1 and SHA-256. Any key length (a key longer
 * than the block is hashed first, as the RFC says). All inputs borrowed;
 * key and msg may be NULL when their length is 0. */
void gw_sdk_hmac_sha1(const void *key, size_t keylen, const void *msg, size_t msglen,
                      unsigned char out[GW_SDK_SHA1_SIZE]);
void gw_sdk_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
                        unsigned char out[GW_SDK_SHA256_SIZE]);

/* gw_sdk_ct_equal - 1 when the len bytes at a and b are equal, else 0,
 * in time that depends on len only (for comparing signatures: an early
 * exit would tell an attacker how many leading bytes were right). */
int gw_sdk_ct_equal(const void *a, const void *b, size_t len);

/* gw_sdk_ct_streq - 1 when the NUL-terminated strings are equal. The
 * time depends on the lengths only: the length of a signature is not a
 * secret, its bytes are. NULL equals nothing. */
int gw_sdk_ct_streq(const char *a, const char *b);

/* gw_sdk_base64_encode - standard base64 with padding (RFC 4648 section
 * 4) of len bytes into out (caller-owned, outlen >= GW_SDK_BASE64_SIZE(len)),
 * NUL-terminated. Returns the encoded length, or GW_ERANGE when out is
 * too small (out then holds ""). */
int gw_sdk_base64_encode(const void *in, size_t len, char *out, size_t outlen);

/* gw_sdk_hex_encode - lower-case hex of len bytes into out (outlen >=
 * 2 * len + 1), NUL-terminated. Returns 2 * len or GW_ERANGE. */
int gw_sdk_hex_encode(const void *in, size_t len, char *out, size_t outlen);

/* gw_sdk_hex_value - the value 0..15 of one hex digit (either case), or -1
 * when c is not one; for decoding %XX and hex signatures. */
int gw_sdk_hex_value(char c);

/* gw_sdk_percent_encode - RFC 3986 percent-encoding of the bytes of
 * `in` (borrowed, NUL-terminated): A-Z a-z 0-9 - . _ ~ stay, every other
 * byte becomes %XX with upper-case hex. This is the encoding OAuth 1.0a
 * signs and what a query string value needs. Writes into out (outlen
 * bytes, NUL-terminated) and returns the encoded length; when that is
 * >= outlen the output was truncated (as snprintf). Pass out = NULL,
 * outlen = 0 to measure. */
size_t gw_sdk_percent_encode(const char *in, char *out, size_t outlen);

/* ------------------------------------------------------------------------
 * OAuth 1.0a request signing, HMAC-SHA1 (RFC 5849 section 3).
 */

/* The four secrets of user-context OAuth 1.0a. Borrowed strings.
 * token/token_secret may be NULL or "" for a request without a token
 * (the key is then "consumer_secret&"). */
typedef struct gw_sdk_oauth1_keys {
    const char *consumer_key;
    const char *consumer_secret;
    const char *token;
    const char *token_secret;
} gw_sdk_oauth1_keys;

/* One request parameter, not encoded (the signer encodes). Borrowed. */
typedef struct gw_sdk_param {
    const char *name;
    const char *value; /* NULL reads as "" */
} gw_sdk_param;

/* gw_sdk_oauth1_base_string - the signature base string of RFC 5849
 * 3.4.1: METHOD&enc(base URI)&enc(normalised parameters). `url` is the
 * request URL as sent, its query included (the query's parameters are
 * signed; '+' in the query reads as a space, %XX is decoded then
 * re-encoded). `params` (n of them, may be NULL when n is 0) are the
 * other parameters to sign: the oauth_* protocol parameters and the
 * fields of an application/x-www-form-urlencoded body. A JSON body is not
 * signed, so it is not passed. The base URI is lower-cased in scheme and
 * host, without a default port, query or fragment.
 * Returns 0 and sets *out (malloc'ed, caller frees), GW_EINVAL for a URL
 * that is not absolute http(s) or a malformed %XX, or GW_ENOMEM. */
int gw_sdk_oauth1_base_string(const char *method, const char *url, const gw_sdk_param *params,
                              size_t n, char **out);

/* gw_sdk_oauth1_sign - the HMAC-SHA1 signature, base64, of a request:
 * builds the oauth_* protocol parameters from keys, nonce and timestamp
 * (oauth_version 1.0), adds `form` (n fields of a form body, may be NULL),
 * signs with enc(consumer_secret)&enc(token_secret). Writes the base64
 * (28 chars) into sig (siglen >= GW_SDK_BASE64_SIZE(GW_SDK_SHA1_SIZE)).
 * Returns 0, GW_EINVAL (bad URL, missing consumer key/secret, empty
 * nonce), GW_ERANGE (sig too small) or GW_ENOMEM. */
int gw_sdk_oauth1_sign(const gw_sdk_oauth1_keys *keys, const char *method, const char *url,
                       const gw_sdk_param *form, size_t n, const char *nonce, uint64_t timestamp,
                       char *sig, size_t siglen);

/* gw_sdk_oauth1_header - the whole Authorization header value,
 *   OAuth oauth_consumer_key="...", oauth_nonce="...",
 *   oauth_signature="...", oauth_signature_method="HMAC-SHA1",
 *   oauth_timestamp="...", oauth_token="...", oauth_version="1.0"
 * (values percent-encoded, as RFC 5849 3.5.1 requires), for the same
 * inputs as gw_sdk_oauth1_sign. Returns 0 and sets *out (malloc'ed,
 * caller frees), or the errors of gw_sdk_oauth1_sign. */
int gw_sdk_oauth1_header(const gw_sdk_oauth1_keys *keys, const char *method, const char *url,
                         const gw_sdk_param *form, size_t n, const char *nonce, uint64_t timestamp,
                         char **out);

/* gw_sdk_oauth1_nonce - a fresh nonce: 32 lower-case hex characters from
 * the kernel's random source (getrandom, never blocking), into buf
 * (buflen >= 33). Returns 0, GW_ERANGE, or GW_EIO when no randomness is
 * available. */
int gw_sdk_oauth1_nonce(char *buf, size_t buflen);

#ifdef __cplusplus
}
#endif

#endif /* GATEWAY_SDK_H */
