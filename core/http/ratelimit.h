/* ratelimit.h - rate-limit budgets read from response headers.
 *
 * Each network says in its own dialect when the next call may be made:
 *   X          x-rate-limit-limit / -remaining / -reset (Unix seconds), and
 *              x-user-limit-24hour-* / x-app-limit-24hour-* on writes;
 *   Yelp       RateLimit-DailyLimit / -Remaining / -ResourceRemaining /
 *              -ResetTime (ISO 8601);
 *   Facebook   X-App-Usage, X-Page-Usage, X-Business-Use-Case-Usage (JSON,
 *              percent; estimated_time_to_regain_access in minutes);
 *   Discourse, and anyone else: 429 (or 5xx) with Retry-After (seconds or
 *              an HTTP-date).
 * This module turns those into one number, "blocked until T" on the
 * monotonic clock, so the HTTP client can hold requests back and never
 * send one before the server allows it.
 *
 * Server times are converted with the response's Date header when present
 * (the server's own clock, so a skewed local clock cannot make us early),
 * else with the local wall clock. Malformed values are ignored: a broken
 * header never blocks an account and never crashes the host. Any single
 * block is capped at RATELIMIT_MAX_DELAY_MS so a bogus far-future reset
 * cannot stall an account forever.
 *
 * Scope. X's windows are per endpoint (mentions, search, DM reads, DM
 * writes and posts each have their own), while Facebook's usage, Yelp's
 * daily budget and a bare Retry-After bind the whole app, key or user. So
 * an account has one account-wide budget and may have class budgets
 * (ratelimit_class.h; a plugin names a request's class in
 * gw_http_request.rate_class). A class budget points at the account-wide
 * one: a request in a class waits on both; a response in a class blocks
 * the class for what names the endpoint's window (x-rate-limit-*, X's
 * 24-hour write limits, and a Retry-After that comes with them) and the
 * whole account for everything else. A budget without an account pointer
 * (the account-wide one, or a plain budget) takes everything, which is
 * the whole story for plugins that set no class.
 *
 * No allocation, no global state; a budget is a plain struct the owner
 * (the account) embeds and must keep alive while requests use it.
 */
#ifndef GW_RATELIMIT_H
#define GW_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "gateway/plugin.h" /* gw_http_header */

/* Longest single block a response can impose (48 h, beyond X's 24 h). */
#define RATELIMIT_MAX_DELAY_MS (48ull * 3600u * 1000u)
/* Facebook usage at >= 100 % without estimated_time_to_regain_access: the
 * usage window is a rolling hour, so probe again after this long. */
#define RATELIMIT_FB_DEFAULT_BLOCK_MS (5ull * 60u * 1000u)

/* One account's budget. Read the fields freely (metrics); change them only
 * through the functions below. */
typedef struct ratelimit_budget {
    uint64_t blocked_until_ms; /* monotonic ms before which nothing is sent;
                                  0 = never blocked */
    int64_t limit;             /* calls per window last reported, -1 unknown */
    int64_t remaining;         /* calls left last reported, -1 unknown */
    uint64_t reset_ms;         /* monotonic ms that window resets, 0 unknown */
    int usage_percent;         /* highest Facebook usage last reported, -1 unknown */
    uint64_t waits;            /* requests held back by this budget */
    uint64_t blocks;           /* responses that blocked (or extended) it */
    struct ratelimit_budget *account; /* borrowed: the account-wide budget
                                         this class budget also waits on and
                                         passes account-wide signals to;
                                         NULL = this is account-wide */
} ratelimit_budget;

/* Reset a budget to "nothing known, not blocked", account-wide (account
 * NULL). Ownership: b caller-owned. */
void ratelimit_init(ratelimit_budget *b);

/* How long, in ms from the response's arrival, the server asks us to wait
 * before the next call to the same endpoint, judging this response alone: Retry-After on 429 and
 * 5xx; x-rate-limit-reset on 429 or when x-rate-limit-remaining is 0; the
 * X 24-hour resets on a 429 whose 24-hour remaining is 0; Yelp's ResetTime
 * when a remaining count is 0; Facebook usage >= 100 % or a nonzero
 * estimated_time_to_regain_access. 0 when nothing asks us to wait.
 * headers (borrowed, n entries, names matched case-insensitively) may be
 * NULL when n is 0. now_wall_ms is the local Unix time in ms. */
uint64_t ratelimit_response_delay_ms(int status, const gw_http_header *headers, size_t n,
                                     uint64_t now_wall_ms);

/* Fold one response into the budget: extend blocked_until by
 * ratelimit_response_delay_ms (never shortening an existing block, since a
 * concurrent response from before the block may arrive late) and record
 * the reported limit/remaining/reset and Facebook usage. In a class budget
 * the account-wide part goes to b->account instead (see Scope above).
 * Ownership: b caller-owned; headers borrowed. */
void ratelimit_update(ratelimit_budget *b, int status, const gw_http_header *headers, size_t n,
                      uint64_t now_wall_ms, uint64_t now_mono_ms);

/* 0 when a request may be sent at now_mono_ms, else how many ms it must
 * wait: the later of b's block and its account budget's. Ownership: b
 * borrowed. */
uint64_t ratelimit_delay_ms(const ratelimit_budget *b, uint64_t now_mono_ms);

/* Count one request held back (the client calls it when it queues one). */
void ratelimit_note_wait(ratelimit_budget *b);

/* Parsers, exposed for the unit tests and for callers with the same needs.
 * Each returns 0 and sets *unix_ms, or GW_EPARSE (out untouched).
 * HTTP-date: IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", the obsolete
 * RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT" and asctime
 * "Sun Nov  6 08:49:37 1994" (RFC 9110 5.6.7).
 * ISO 8601: "2026-11-21T00:00:00+00:00", "...Z", "...+0100", fractional
 * seconds rounded up to the next ms (never early); no zone means UTC. */
int ratelimit_parse_http_date(const char *text, int64_t *unix_ms);
int ratelimit_parse_iso8601(const char *text, int64_t *unix_ms);

#endif /* GW_RATELIMIT_H */
