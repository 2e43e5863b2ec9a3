/* client.c - the HTTP client's creation, close and request intake, and the
 * rest of http_client.h; see http_client.h for the contract.
 *
 * curl's multi-socket API runs on the loop through curl_loop.c; the
 * client's files are listed bottom up in client_state.h and this one sits
 * on top. A request is checked and built (client_setup.c), then lives on
 * in client_attempt.c until its callback returns or it is cancelled.
 */
#include "http/http_client.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "base/backoff.h"
#include "base/clock.h"
#include "gateway/error.h"
#include "http/client_attempt.h"
#include "http/client_setup.h"
#include "http/client_state.h"
#include "http/curl_loop.h"
#include "http/redact.h"

#ifndef GW_VERSION
#define GW_VERSION "0"
#endif

#define DEFAULT_MAX_RESPONSE_BYTES (8u * 1024u * 1024u)
#define DEFAULT_MAX_HOST_CONNECTIONS 8
#define DEFAULT_TIMEOUT_MS 30000u
#define DEFAULT_MAX_RETRIES 2u
#define DEFAULT_RETRY_BASE_MS 500u
#define DEFAULT_RETRY_MAX_MS 30000u
#define DEFAULT_MAX_BUDGET_WAIT_MS 60000u
#define LOG_URL_MAX 512u
#define LABEL_DEFAULT "http"

/* ---- options ----------------------------------------------------------- */

void http_client_options_init(http_client_options *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->max_response_bytes = DEFAULT_MAX_RESPONSE_BYTES;
    opts->max_host_connections = DEFAULT_MAX_HOST_CONNECTIONS;
    opts->default_timeout_ms = DEFAULT_TIMEOUT_MS;
    opts->max_retries = DEFAULT_MAX_RETRIES;
    opts->retry_base_ms = DEFAULT_RETRY_BASE_MS;
    opts->retry_max_ms = DEFAULT_RETRY_MAX_MS;
    opts->max_budget_wait_ms = DEFAULT_MAX_BUDGET_WAIT_MS;
}

static void fill_defaults(http_client_options *o)
{
    if (o->max_response_bytes == 0)
        o->max_response_bytes = DEFAULT_MAX_RESPONSE_BYTES;
    if (o->max_host_connections <= 0)
        o->max_host_connections = DEFAULT_MAX_HOST_CONNECTIONS;
    if (o->default_timeout_ms == 0)
        o->default_timeout_ms = DEFAULT_TIMEOUT_MS;
    if (o->retry_base_ms == 0)
        o->retry_base_ms = DEFAULT_RETRY_BASE_MS;
    if (o->retry_max_ms == 0)
        o->retry_max_ms = DEFAULT_RETRY_MAX_MS;
    if (o->max_budget_wait_ms == 0)
        o->max_budget_wait_ms = DEFAULT_MAX_BUDGET_WAIT_MS;
}

/* ---- life of the client ------------------------------------------------- */

static void set_err(char *err, size_t errlen, const char *msg)
{
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "%s", msg);
}

/* curl_loop's on_closed: the last uv handle after http_client_close has
 * closed; free the client. */
static void finish_close(void *arg)
{
    http_client *c = arg;
    void (*done)(void *) = c->done;
    void *done_arg = c->done_arg;
    free(c->ca_file);
    curl_lib_close(&c->lib);
    free(c);
    if (done != NULL)
        done(done_arg);
}

int http_client_new(uv_loop_t *loop, const http_client_options *opts, http_client **out, char *err,
                    size_t errlen)
{
    if (loop == NULL || out == NULL) {
        set_err(err, errlen, "http client: no loop or output pointer");
        return GW_EINVAL;
    }
    http_client *c = calloc(1, sizeof *c);
    if (c == NULL) {
        set_err(err, errlen, "http client: out of memory");
        return GW_ENOMEM;
    }
    if (opts != NULL)
        c->opts = *opts;
    else
        http_client_options_init(&c->opts);
    fill_defaults(&c->opts);
    if (c->opts.ca_file != NULL) {
        c->ca_file = strdup(c->opts.ca_file);
        if (c->ca_file == NULL) {
            free(c);
            set_err(err, errlen, "http client: out of memory");
            return GW_ENOMEM;
        }
    }
    c->opts.ca_file = c->ca_file;
    char why[256];
    if (curl_lib_open(&c->lib, why, sizeof why) != GW_OK) {
        free(c->ca_file);
        free(c);
        set_err(err, errlen, why);
        return GW_EIO;
    }
    if (curl_loop_init(&c->curl, loop, &c->lib, client_attempt_on_done, finish_close, c) !=
        GW_OK) {
        curl_lib_close(&c->lib);
        free(c->ca_file);
        free(c);
        set_err(err, errlen, "http client: curl_multi_init failed");
        return GW_ENOMEM;
    }
    c->lib.multi_setopt(c->curl.multi, CURLMOPT_MAX_HOST_CONNECTIONS, c->opts.max_host_connections);

    c->loop = loop;
    snprintf(c->user_agent, sizeof c->user_agent, "social-gateway/%s", GW_VERSION);
    /* The jitter only needs to differ between processes and clients. */
    backoff_seed(&c->rng, clock_monotonic_ms() ^ ((uint64_t)(uintptr_t)c << 16));
    *out = c;
    return GW_OK;
}

void http_client_close(http_client *c, void (*done)(void *arg), void *arg)
{
    if (c == NULL || c->closing)
        return;
    c->done = done;
    c->done_arg = arg;
    while (c->reqs != NULL)
        client_attempt_cancel(c->reqs);
    c->closing = true;
    curl_loop_close(&c->curl);
}

/* ---- requests ------------------------------------------------------------- */

void http_client_cancel(http_req *r)
{
    if (r == NULL || r->state == REQ_DELIVERING)
        return;
    client_attempt_cancel(r);
}

size_t http_client_cancel_owner(http_client *c, const void *owner)
{
    size_t n = 0;
    http_req *next;
    for (http_req *r = c->reqs; r != NULL; r = next) {
        next = r->next;
        if (r->owner == owner) {
            client_attempt_cancel(r);
            n++;
        }
    }
    return n;
}

size_t http_client_release_owner(http_client *c, const void *owner, const char *why)
{
    size_t n = 0;
    for (http_req *r = c->reqs; r != NULL; r = r->next) {
        if (r->owner == owner && r->state == REQ_WAITING && r->local_error == 0) {
            client_attempt_release(r, why);
            n++;
        }
    }
    return n;
}

size_t http_client_pending(const http_client *c)
{
    return c->pending;
}

const http_client_stats *http_client_stats_get(const http_client *c)
{
    return &c->stats;
}

int http_client_request(http_client *c, ratelimit_budget *budget, void *owner,
                        const char *log_label, const gw_http_request *req, gw_http_cb cb, void *arg,
                        http_req **out)
{
    if (c == NULL || req == NULL || cb == NULL)
        return GW_EINVAL;
    if (c->closing)
        return GW_ESTATE;
    const char *method;
    bool https;
    uint64_t timeout_ms;
    if (client_setup_check(c, req, &method, &https, &timeout_ms) != GW_OK)
        return GW_EINVAL;

    http_req *r = calloc(1, sizeof *r);
    if (r == NULL)
        return GW_ENOMEM;
    r->client = c;
    r->owner = owner;
    r->budget = budget;
    r->cb = cb;
    r->arg = arg;
    snprintf(r->method, sizeof r->method, "%s", method);
    r->idempotent = strcmp(method, "POST") != 0 && strcmp(method, "PATCH") != 0;
    r->timeout_ms = timeout_ms;
    r->resp.max_bytes = c->opts.max_response_bytes;
    int rc = GW_ENOMEM;
    char redacted[LOG_URL_MAX];
    redact_url(req->url, redacted, sizeof redacted); /* a truncated result is still safe */
    r->log_url = strdup(redacted);
    r->label = strdup(log_label != NULL ? log_label : LABEL_DEFAULT);
    if (r->log_url == NULL || r->label == NULL)
        goto fail;
    if (req->body_len > 0) {
        r->req_body = malloc(req->body_len);
        if (r->req_body == NULL)
            goto fail;
        memcpy(r->req_body, req->body, req->body_len);
    }
    if ((rc = client_setup_transfer(c, r, req, https)) != GW_OK)
        goto fail;

    if (out != NULL)
        *out = r;
    client_attempt_submit(r);
    return GW_OK;

fail:
    if (r->easy != NULL)
        c->lib.easy_cleanup(r->easy);
    c->lib.slist_free_all(r->req_headers);
    free(r->req_body);
    free(r->log_url);
    free(r->label);
    free(r);
    return rc;
}
