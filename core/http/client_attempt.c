/* client_attempt.c - a request's waits, attempts, retries and delivery;
 * see client_attempt.h and, for the states, client_state.h.
 */
#include "http/client_attempt.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/backoff.h"
#include "base/clock.h"
#include "gateway/error.h"
#include "http/redact.h"

/* ---- teardown ----------------------------------------------------------- */

static void on_req_timer_closed(uv_handle_t *h)
{
    http_req *r = h->data;
    http_client *c = r->client;
    free(r);
    curl_loop_handle_closed(&c->curl);
}

static void unlink_req(http_req *r)
{
    http_client *c = r->client;
    if (r->prev != NULL)
        r->prev->next = r->next;
    else
        c->reqs = r->next;
    if (r->next != NULL)
        r->next->prev = r->prev;
    r->prev = r->next = NULL;
    c->pending--;
}

/* Release everything; the struct itself goes in the timer's close callback.
 * The easy handle must already be out of the multi. */
static void req_free(http_req *r)
{
    if (r->easy != NULL)
        r->client->lib.easy_cleanup(r->easy);
    r->easy = NULL;
    r->client->lib.slist_free_all(r->req_headers);
    client_response_free(&r->resp);
    free(r->req_body);
    free(r->log_url);
    free(r->label);
    uv_timer_stop(&r->timer);
    uv_close((uv_handle_t *)&r->timer, on_req_timer_closed);
}

/* Hand the response to the user, then free the request. */
static void deliver(http_req *r, const gw_http_response *resp)
{
    http_client *c = r->client;
    unlink_req(r);
    r->state = REQ_DELIVERING;
    c->stats.completed++;
    r->cb(r->arg, resp);
    req_free(r);
}

void client_attempt_cancel(http_req *r)
{
    http_client *c = r->client;
    if (r->state == REQ_RUNNING)
        c->lib.multi_remove_handle(c->curl.multi, r->easy);
    unlink_req(r);
    c->stats.cancelled++;
    req_free(r);
}

static void fail_later(http_req *r, int error, uint64_t retry_after_ms, const char *message);

void client_attempt_release(http_req *r, const char *why)
{
    if (r->state != REQ_WAITING || r->local_error != 0)
        return;
    uv_timer_stop(&r->timer);
    fail_later(r, GW_EBUSY, 0, why);
}

/* ---- waiting -------------------------------------------------------------- */

static void on_req_timer(uv_timer_t *t);

static void arm_timer(http_req *r, uint64_t delay_ms)
{
    r->state = REQ_WAITING;
    /* The loop's cached time may be stale by the length of this iteration,
     * which would fire the timer early; refresh it first. */
    uv_update_time(r->client->loop);
    uv_timer_start(&r->timer, on_req_timer, delay_ms, 0);
}

/* Complete the request later with a failure and nothing sent: results are
 * never delivered from inside http_client_request or a curl callback. */
static void fail_later(http_req *r, int error, uint64_t retry_after_ms, const char *message)
{
    r->local_error = error;
    r->local_retry_after_ms = retry_after_ms;
    snprintf(r->errbuf, sizeof r->errbuf, "%s", message);
    arm_timer(r, 0);
}

static void deliver_local_failure(http_req *r)
{
    gw_http_response resp = {
        .struct_size = sizeof resp,
        .status = 0,
        .headers = NULL,
        .header_count = 0,
        .body = (const unsigned char *)"",
        .body_len = 0,
        .error = r->local_error,
        .error_message = r->errbuf,
        .suggested = GW_OUTCOME_RETRY,
        .retry_after_ms = r->local_retry_after_ms,
        .not_sent = !r->maybe_sent,
    };
    deliver(r, &resp);
}

static void start_attempt(http_req *r, uint64_t now_ms)
{
    http_client *c = r->client;
    client_response_reset(&r->resp);
    r->errbuf[0] = '\0';
    r->attempt++;
    r->budget_wait_counted = false;
    r->attempt_start_ms = now_ms;
    c->stats.attempts++;
    CURLMcode mc = c->lib.multi_add_handle(c->curl.multi, r->easy);
    if (mc != CURLM_OK) {
        char msg[160];
        snprintf(msg, sizeof msg, "cannot start transfer: %s", c->lib.multi_strerror(mc));
        log_warn(c->opts.log, r->label, "%s %s: %s", r->method, r->log_url, msg);
        fail_later(r, GW_EIO, 0, msg);
        return;
    }
    r->state = REQ_RUNNING;
}

/* Start the next attempt now, or wait for the retry backoff and the
 * budget, whichever ends later. Called again when the timer fires, so a
 * budget extended meanwhile by another response is honoured too. */
static void req_dispatch(http_req *r)
{
    http_client *c = r->client;
    uint64_t now = clock_monotonic_ms();
    uint64_t wait = r->not_before_ms > now ? r->not_before_ms - now : 0;
    if (r->budget != NULL) {
        uint64_t blocked = ratelimit_delay_ms(r->budget, now);
        if (blocked > c->opts.max_budget_wait_ms) {
            char msg[120];
            snprintf(msg, sizeof msg, "rate limit reached; the next request is allowed in %llu ms",
                     (unsigned long long)blocked);
            c->stats.budget_rejects++;
            log_warn(c->opts.log, r->label, "%s %s not sent: %s", r->method, r->log_url, msg);
            fail_later(r, GW_EBUSY, blocked, msg);
            return;
        }
        if (blocked > wait) {
            wait = blocked;
            if (!r->budget_wait_counted) {
                r->budget_wait_counted = true;
                ratelimit_note_wait(r->budget);
                c->stats.ratelimit_waits++;
                log_debug(c->opts.log, r->label, "%s %s waits %llu ms for the rate limit",
                          r->method, r->log_url, (unsigned long long)wait);
            }
        }
    }
    if (wait > 0) {
        arm_timer(r, wait);
        return;
    }
    start_attempt(r, now);
}

static void on_req_timer(uv_timer_t *t)
{
    http_req *r = t->data;
    if (r->local_error != 0)
        deliver_local_failure(r);
    else
        req_dispatch(r);
}

void client_attempt_submit(http_req *r)
{
    http_client *c = r->client;
    uv_timer_init(c->loop, &r->timer);
    r->timer.data = r;
    curl_loop_handle_opened(&c->curl);
    r->next = c->reqs;
    if (c->reqs != NULL)
        c->reqs->prev = r;
    c->reqs = r;
    c->pending++;
    c->stats.requests++;
    req_dispatch(r);
}

/* ---- completion ------------------------------------------------------------ */

/* Transport failures worth another try: the network or the server hiccuped.
 * Everything else (TLS verification, bad URL, redirect loop) will fail the
 * same way again. */
static bool curl_error_is_transient(CURLcode res)
{
    switch (res) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
    case CURLE_QUIC_CONNECT_ERROR:
        return true;
    default:
        return false;
    }
}

/* Errors after which the server cannot have seen the request, so even a
 * POST may be sent again without risking a duplicate post or message. */
static bool curl_error_before_send(CURLcode res)
{
    return res == CURLE_COULDNT_RESOLVE_HOST || res == CURLE_COULDNT_RESOLVE_PROXY ||
           res == CURLE_COULDNT_CONNECT;
}

/* Map a failed transfer to a GW_E* code and a one-line message in errbuf.
 * The message is built from curl's text, then redacted: curl's messages
 * rarely carry URLs, but a leak here would end up in every log. */
static int classify_failure(http_req *r, CURLcode res)
{
    http_client *c = r->client;
    char raw[CURL_ERROR_SIZE + 96];
    int error = GW_EIO;
    if (r->resp.too_large || res == CURLE_FILESIZE_EXCEEDED) {
        error = GW_ERANGE;
        snprintf(raw, sizeof raw, "response larger than %zu bytes", c->opts.max_response_bytes);
    } else if (r->resp.out_of_memory) {
        error = GW_ENOMEM;
        snprintf(raw, sizeof raw, "out of memory while receiving the response");
    } else if (res == CURLE_OPERATION_TIMEDOUT) {
        error = GW_EBUSY;
        snprintf(raw, sizeof raw, "timed out after %llu ms: %s", (unsigned long long)r->timeout_ms,
                 r->errbuf[0] ? r->errbuf : r->client->lib.easy_strerror(res));
    } else if (res == CURLE_PARTIAL_FILE) {
        snprintf(raw, sizeof raw, "truncated response: %s",
                 r->errbuf[0] ? r->errbuf : r->client->lib.easy_strerror(res));
    } else {
        snprintf(raw, sizeof raw, "%s%s%s", r->client->lib.easy_strerror(res), r->errbuf[0] ? ": " : "",
                 r->errbuf);
    }
    redact_url(raw, r->errbuf, sizeof r->errbuf);
    return error;
}

static const char *outcome_name(gw_outcome o)
{
    switch (o) {
    case GW_OUTCOME_OK:
        return "ok";
    case GW_OUTCOME_RETRY:
        return "retry";
    case GW_OUTCOME_FATAL:
        return "fatal";
    default:
        return "unsupported";
    }
}

static void count_status(http_client_stats *s, long status)
{
    if (status >= 100 && status <= 599)
        s->status_class[status / 100]++;
    if (status == 401)
        s->status_401++;
    else if (status == 403)
        s->status_403++;
    else if (status == 429)
        s->status_429++;
}

static void finish_attempt(http_req *r, CURLcode res)
{
    http_client *c = r->client;
    uint64_t now = clock_monotonic_ms();
    uint64_t wall = clock_wall_ms();
    uint64_t elapsed = now - r->attempt_start_ms;
    long http_code = 0;
    r->client->lib.easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &http_code);

    int error = 0;
    bool transient = false;
    if (res == CURLE_OK || !curl_error_before_send(res))
        r->maybe_sent = true;
    if (res != CURLE_OK) {
        error = classify_failure(r, res);
        transient = error != GW_ERANGE && error != GW_ENOMEM && curl_error_is_transient(res);
        c->stats.transport_errors++;
        if (res == CURLE_OPERATION_TIMEDOUT)
            c->stats.timeouts++;
        if (error == GW_ERANGE)
            c->stats.too_large++;
        log_warn(c->opts.log, r->label, "%s %s failed after %llu ms (attempt %u): %s", r->method,
                 r->log_url, (unsigned long long)elapsed, r->attempt, r->errbuf);
    } else {
        count_status(&c->stats, http_code);
        log_debug(c->opts.log, r->label, "%s %s -> %ld in %llu ms (attempt %u)", r->method,
                  r->log_url, http_code, (unsigned long long)elapsed, r->attempt);
    }

    /* Whatever headers arrived tell us about the budget, even on failure. */
    const client_response *rb = &r->resp;
    uint64_t hint = 0;
    if (rb->header_count > 0) {
        hint = ratelimit_response_delay_ms((int)http_code, rb->headers, rb->header_count, wall);
        if (r->budget != NULL)
            ratelimit_update(r->budget, (int)http_code, rb->headers, rb->header_count, wall, now);
    }

    bool server_retry = error == 0 && (http_code == 429 || http_code >= 500);
    bool retryable = server_retry || transient;
    bool safe_to_resend = r->idempotent || (error == 0 && http_code == 429) ||
                          (error != 0 && curl_error_before_send(res));
    if (retryable && safe_to_resend && r->attempt <= c->opts.max_retries &&
        hint <= c->opts.retry_max_ms) {
        uint64_t backoff = backoff_full_jitter(&c->rng, c->opts.retry_base_ms, c->opts.retry_max_ms,
                                               r->attempt - 1);
        uint64_t delay = backoff > hint ? backoff : hint;
        r->not_before_ms = now + delay;
        c->stats.retries++;
        if (error == 0)
            log_warn(c->opts.log, r->label, "%s %s -> %ld; retry %u/%u in %llu ms", r->method,
                     r->log_url, http_code, r->attempt, c->opts.max_retries,
                     (unsigned long long)delay);
        else
            log_warn(c->opts.log, r->label, "%s %s: retry %u/%u in %llu ms", r->method, r->log_url,
                     r->attempt, c->opts.max_retries, (unsigned long long)delay);
        req_dispatch(r);
        return;
    }

    gw_outcome suggested;
    if (error != 0)
        suggested = transient ? GW_OUTCOME_RETRY : GW_OUTCOME_FATAL;
    else if (http_code == 401 || http_code == 403)
        suggested = GW_OUTCOME_FATAL;
    else if (server_retry)
        suggested = GW_OUTCOME_RETRY;
    else
        suggested = GW_OUTCOME_OK;

    uint64_t retry_after = 0;
    if (suggested == GW_OUTCOME_RETRY) {
        retry_after = hint;
        if (r->budget != NULL) {
            uint64_t blocked = ratelimit_delay_ms(r->budget, now);
            if (blocked > retry_after)
                retry_after = blocked;
        }
    }
    if (suggested != GW_OUTCOME_OK && error == 0)
        log_warn(c->opts.log, r->label, "%s %s -> %ld after %u attempt%s: %s%s", r->method,
                 r->log_url, http_code, r->attempt, r->attempt == 1 ? "" : "s",
                 outcome_name(suggested), suggested == GW_OUTCOME_RETRY ? " later" : "");

    gw_http_response resp = {
        .struct_size = sizeof resp,
        .status = error != 0 ? 0 : (int)http_code,
        .headers = rb->header_count > 0 ? rb->headers : NULL,
        .header_count = rb->header_count,
        /* A failed transfer's partial body would only tempt a parser. */
        .body = error == 0 && rb->body != NULL ? rb->body : (const unsigned char *)"",
        .body_len = error == 0 ? rb->body_len : 0,
        .error = error,
        .error_message = error != 0 ? r->errbuf : NULL,
        .suggested = suggested,
        .retry_after_ms = retry_after,
        .not_sent = !r->maybe_sent,
    };
    deliver(r, &resp);
}

void client_attempt_on_done(void *arg, CURL *easy, CURLcode result)
{
    http_client *c = arg;
    char *priv = NULL;
    c->lib.easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
    http_req *r = (http_req *)priv;
    r->state = REQ_WAITING;
    finish_attempt(r, result);
}
