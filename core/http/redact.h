/* redact.h - mask credentials before a URL or header reaches a log line.
 *
 * Plugins put tokens in query strings (Facebook access_token, YouTube key,
 * X crc_token) and in headers (Authorization, Api-Key). Anything the host
 * logs about an HTTP exchange goes through these functions first, so a log
 * file can be shared in a bug report without leaking an account.
 *
 * The functions are pure: no allocation, no state. Output is always
 * NUL-terminated when outlen > 0; a truncated result is still a prefix of
 * the fully redacted text, so truncation never exposes a secret.
 */
#ifndef GW_REDACT_H
#define GW_REDACT_H

#include <stddef.h>

/* The mask written in place of a secret. */
#define REDACT_MASK "***"

/* Copy `url` into out (outlen bytes) with the values of token-like query
 * and fragment parameters replaced by "***" and the password of any
 * "user:password@" userinfo replaced too. Parameter names are matched
 * case-insensitively after percent-decoding: access_token, token, key,
 * api_key, apikey, client_secret, appsecret_proof, oauth_* (any),
 * signature, password, secret, crc_token, and also refresh_token,
 * id_token and hub.verify_token. Cursors such as pagination_token or
 * pageToken are left readable. Text without a '?' or '#' is
 * copied unchanged, so free text (a curl error message) may be passed too.
 * Ownership: url borrowed; out owned by the caller.
 * Returns 0, GW_EINVAL when url or out is NULL or outlen is 0, or GW_ERANGE
 * when out was too small (out then holds a truncated, still redacted
 * prefix). */
int redact_url(const char *url, char *out, size_t outlen);

/* True when a header of this name carries a credential: Authorization,
 * Proxy-Authorization, Api-Key, User-Api-Key, X-Api-Key, Cookie, Set-Cookie
 * (case-insensitive), or any name containing "token", "secret", "api-key"
 * or "password". Ownership: name borrowed. */
int redact_header_is_secret(const char *name);

/* Copy the header value into out, masked when redact_header_is_secret(name).
 * For Authorization and Proxy-Authorization the scheme word is kept
 * ("Bearer ***", "OAuth ***") because it helps debugging and is not secret.
 * Ownership: name and value borrowed; out owned by the caller.
 * Returns 0, GW_EINVAL on NULL arguments or outlen 0, or GW_ERANGE when
 * out was too small (out holds a truncated, still redacted prefix). */
int redact_header(const char *name, const char *value, char *out, size_t outlen);

#endif /* GW_REDACT_H */
