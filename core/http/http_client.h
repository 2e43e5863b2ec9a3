/* http_client.h - the host's non-blocking HTTP client: curl's multi-socket
 * API driven by the libuv loop.
 *
 * This is what sits behind gw_host.http_request(). One client serves every
 * account; it owns one CURLM (so all requests share its connection cache,
 * DNS cache and per-host connection cap), one uv_timer_t for curl's timeout
 * and one uv_poll_t per socket curl asks us to watch. Everything runs on
 * the loop thread; no function here is thread-safe.
 *
 * Per request it adds what plugins should not each reinvent:
 *   - TLS verification always on (there is no option to turn it off);
 *   - http/https only, redirects only to http/https (https: https only);
 *   - a response size cap, a whole-attempt timeout, User-Agent
 *     "social-gateway/<version>";
 *   - the request's rate-limit budget (the account's, or one of its
 *     endpoint classes, which also waits on the account's): a request
 *     waits on a timer until the budget allows it, and every response
 *     updates the budget;
 *   - host-side retries of 429, 5xx and transient transport errors with
 *     full-jitter backoff that never fires before Retry-After or the
 *     rate-limit reset; non-idempotent POST/PATCH are retried only when the
 *     server cannot have acted on them (429, or no connection was made);
 *   - one debug line per attempt, warnings on retries and transport errors,
 *     with URLs passed through redact_url() so logs carry no credentials.
 *
 * Callbacks: the user callback runs exactly once per request that was
 * accepted (http_client_request returned 0) and not cancelled, never from
 * inside http_client_request and never from inside a curl callback, so it
 * may freely start new requests, cancel others, or close the client.
 *
 * libcurl: http_client_new() loads it (http/curl_lib.h: dlopen, then
 * curl_global_init) and the end of http_client_close() lets it go; both
 * are counted by the C library and libcurl, so main needs no curl calls of
 * its own, and a gateway that never makes a client never loads libcurl or
 * the TLS libraries it brings.
 */
#ifndef GW_HTTP_CLIENT_H
#define GW_HTTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "gateway/plugin.h"
#include "base/log.h"
#include "http/ratelimit.h"

typedef struct http_client http_client;
typedef struct http_req http_req; /* one accepted request, until its callback */

typedef struct http_client_options {
    const logger *log;           /* borrowed; must outlive the client; may be NULL */
    size_t max_response_bytes;   /* larger bodies fail with GW_ERANGE; 0 = 8 MiB */
    long max_host_connections;   /* per host, CURLMOPT_MAX_HOST_CONNECTIONS; 0 = 8 */
    uint64_t default_timeout_ms; /* per attempt when a request gives 0; 0 = 30000 */
    unsigned max_retries;        /* host-side retries after the first attempt
                                    (0 = none, taken literally) */
    uint64_t retry_base_ms;      /* full-jitter base; 0 = 500 */
    uint64_t retry_max_ms;       /* full-jitter cap, and the longest server-
                                    requested wait the host sits out itself:
                                    a longer Retry-After/reset goes back to the
                                    caller as RETRY at once; 0 = 30000 */
    uint64_t max_budget_wait_ms; /* longest a request is held for its budget;
                                    beyond that it completes (asynchronously,
                                    nothing sent) with status 0, GW_EBUSY,
                                    RETRY and retry_after_ms; 0 = 60000 */
    const char *ca_file;         /* CA bundle path (copied); NULL = system bundle */
} http_client_options;

/* Fill *opts with the defaults documented above (log NULL). */
void http_client_options_init(http_client_options *opts);

/* Counters for metrics; every field only grows. Read with
 * http_client_stats_get(). "Responses" count every attempt that got an
 * HTTP status, including ones the host then retried. */
typedef struct http_client_stats {
    uint64_t requests;        /* accepted by http_client_request */
    uint64_t attempts;        /* transfers started (first tries + retries) */
    uint64_t retries;         /* host-side retries scheduled */
    uint64_t completed;       /* callbacks delivered */
    uint64_t cancelled;       /* requests cancelled (incl. by close) */
    uint64_t status_class[6]; /* [1]..[5]: 1xx..5xx responses; [0] unused */
    uint64_t status_401;
    uint64_t status_403;
    uint64_t status_429;
    uint64_t transport_errors; /* attempts without a (whole) response */
    uint64_t timeouts;         /* ... of which timed out */
    uint64_t too_large;        /* responses over max_response_bytes */
    uint64_t ratelimit_waits;  /* times a request was held back by a budget */
    uint64_t budget_rejects;   /* requests answered RETRY without sending, the
                                  budget being blocked beyond max_budget_wait_ms */
} http_client_stats;

/* Create a client on `loop` (borrowed; must outlive the client until
 * http_client_close's done callback). opts is copied (ca_file too); NULL
 * means all defaults. Returns 0 and sets *out (caller owns it; release with
 * http_client_close), or GW_ENOMEM / GW_EIO / GW_EINVAL with err filled
 * (errlen bytes, always NUL-terminated). */
int http_client_new(uv_loop_t *loop, const http_client_options *opts, http_client **out, char *err,
                    size_t errlen);

/* Orderly shutdown. Cancels every request without calling its callback,
 * removes every easy handle, cleans up the multi handle and closes every
 * uv handle. `done(arg)` (may be NULL) runs from the loop once the last
 * handle has closed and the client is freed; only then may the loop be
 * closed. c is invalid as soon as this returns. May be called from inside a
 * request callback (that request is freed when its callback returns). */
void http_client_close(http_client *c, void (*done)(void *arg), void *arg);

/* Send a request. Copies everything in req (method, url, headers, body);
 * log_label (borrowed, may be NULL: "http") is copied and names the log
 * component, e.g. "x/acme". owner (opaque, may be NULL) tags the request
 * for http_client_cancel_owner. budget (borrowed, may be NULL) is the
 * request's rate-limit budget (ratelimit.h): it must stay valid until the request has
 * completed or been cancelled. cb(arg, response) runs exactly once, later,
 * from the loop; the response is borrowed for the duration of the call.
 *
 * On transport errors the response has status 0, error != 0 (GW_EBUSY: the
 * attempt timed out, the budget is blocked, or the request was released
 * by http_client_release_owner; GW_ERANGE: body over the cap;
 * GW_EIO: connection, TLS, DNS, truncated body and the rest) and an empty
 * body; headers received before the failure are still given.
 *
 * Returns 0 and, when out is not NULL, sets *out to a handle valid until
 * the callback returns or the request is cancelled. Returns GW_EINVAL for a
 * malformed request (method not GET/POST/PUT/PATCH/DELETE/HEAD, URL not
 * http(s), CR/LF in a header), GW_ESTATE when closing, GW_ENOMEM; then cb is
 * never called. */
int http_client_request(http_client *c, ratelimit_budget *budget, void *owner,
                        const char *log_label, const gw_http_request *req, gw_http_cb cb, void *arg,
                        http_req **out);

/* Cancel one request: its callback will not run, nothing more is sent for
 * it, and r is freed. r must be a handle whose callback has not yet
 * returned; calling it from inside r's own callback is a no-op (r is freed
 * when the callback returns). */
void http_client_cancel(http_req *r);

/* Cancel every outstanding request whose owner is `owner` (an account being
 * destroyed). Safe from inside any request callback, including one of the
 * owner's own (that one is simply left to finish). Returns how many were
 * cancelled. */
size_t http_client_cancel_owner(http_client *c, const void *owner);

/* Complete owner's requests that wait (for the rate-limit budget or a
 * retry backoff) instead of holding them: each one's callback runs soon,
 * from the loop, with a RETRY failure carrying why (borrowed, copied) and,
 * when no earlier attempt can have reached the server, not_sent. Transfers
 * on the wire are left to finish. Used when the gateway stops, so a drain
 * never waits out a rate-limit window. Returns how many were released. */
size_t http_client_release_owner(http_client *c, const void *owner, const char *why);

/* Requests accepted and not yet completed or cancelled. */
size_t http_client_pending(const http_client *c);

/* Ownership: returns a pointer into c, valid until http_client_close. */
const http_client_stats *http_client_stats_get(const http_client *c);

#endif /* GW_HTTP_CLIENT_H */
