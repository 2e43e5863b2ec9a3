/* client_state.h - the state of the HTTP client and of one request, shared
 * by the files that implement http_client.h. No functions.
 *
 * The client's files, bottom up (each calls only those above it):
 *   curl_loop.c        curl multi-socket on the libuv loop
 *   client_response.c  a response's body (under the cap) and headers
 *   client_setup.c     checking a gw_http_request, building its easy handle
 *   client_attempt.c   a request's life: budget and backoff waits,
 *                      attempts, retries, delivery, cancel; the metrics
 *   client.c           new, close, request and the rest of http_client.h
 *
 * Request lifecycle:
 *   WAITING    on its uv timer: rate-limit budget, retry backoff, or a
 *              local failure waiting to be delivered asynchronously;
 *   RUNNING    its easy handle is in the multi;
 *   DELIVERING its callback is running; it is no longer in the client's
 *              list, so cancel/close leave it alone, and it is freed when
 *              the callback returns.
 * A request's memory lives until its timer's close callback, which is also
 * how http_client_close knows when everything is gone.
 */
#ifndef GW_HTTP_CLIENT_STATE_H
#define GW_HTTP_CLIENT_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <uv.h>

#include "base/backoff.h"
#include "http/client_response.h"
#include "http/curl_loop.h"
#include "http/http_client.h"
#include "http/ratelimit.h"

typedef enum req_state { REQ_WAITING, REQ_RUNNING, REQ_DELIVERING } req_state;

struct http_req {
    http_req *prev, *next; /* the client's outstanding list */
    http_client *client;
    req_state state;
    const void *owner;
    ratelimit_budget *budget; /* borrowed */
    char *label;              /* owned: log component */
    gw_http_cb cb;
    void *arg;

    char method[8];
    char *log_url; /* owned: the redacted URL, the only form ever logged */
    bool idempotent;
    uint64_t timeout_ms;     /* per attempt */
    unsigned char *req_body; /* owned copy; curl reads it in place */
    struct curl_slist *req_headers;
    CURL *easy;
    uv_timer_t timer;

    unsigned attempt;       /* transfers started so far */
    uint64_t not_before_ms; /* monotonic: no transfer starts earlier */
    uint64_t attempt_start_ms;
    bool budget_wait_counted; /* this attempt already counted as a wait */
    bool maybe_sent;          /* an attempt got past connecting: the server
                                 may have seen the request */
    int local_error;          /* nonzero: deliver this failure on the timer */
    uint64_t local_retry_after_ms;

    client_response resp; /* the current attempt's response */
    char errbuf[CURL_ERROR_SIZE];
};

struct http_client {
    uv_loop_t *loop;
    curl_lib lib;   /* libcurl, loaded by http_client_new (curl_lib.h) */
    curl_loop curl; /* the multi handle, its sockets and timer */
    http_client_options opts;
    char *ca_file; /* owned copy of opts.ca_file */
    char user_agent[48];
    backoff_rng rng;
    http_req *reqs; /* outstanding (not DELIVERING) requests */
    size_t pending;
    bool closing;
    void (*done)(void *arg);
    void *done_arg;
    http_client_stats stats;
};

#endif /* GW_HTTP_CLIENT_STATE_H */
