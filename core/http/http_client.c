/* http_client.c - curl multi-socket on the libuv loop; see http_client.h.
 *
 * Shape of the machinery:
 *   curl tells us which sockets to watch (on_curl_socket) and when to wake
 *   it (on_curl_timer); we only start/stop uv handles there. When a uv poll
 *   or the uv timer fires we call curl_multi_socket_action and then, after
 *   it has returned, drain curl_multi_info_read: finished transfers are
 *   removed from the multi and either retried (via the request's own timer)
 *   or delivered to the user. So curl is never re-entered from inside one
 *   of its callbacks, and user code never runs inside one.
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
#include "http/http_client.h"

#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "base/backoff.h"
#include "base/clock.h"
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
#define MAX_REDIRECTS 5L
/* Response headers kept per response; more are dropped, not fatal: a
 * server flooding headers should not make an otherwise good answer fail. */
#define MAX_RESPONSE_HEADERS 256u
#define MAX_RESPONSE_HEADER_BYTES (256u * 1024u)
#define LOG_URL_MAX 512u
#define LABEL_DEFAULT "http"

typedef struct sock_watch sock_watch;

/* One socket curl asked us to watch. In the client's active list while
 * curl uses the fd; unlinked on CURL_POLL_REMOVE (curl may hand out the
 * same fd number again at once) and freed in the poll's close callback. */
struct sock_watch {
    sock_watch *prev, *next;
    http_client *client;
    curl_socket_t fd;
    uv_poll_t poll;
};

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
    int local_error;          /* nonzero: deliver this failure on the timer */
    uint64_t local_retry_after_ms;

    /* The current attempt's response. */
    unsigned char *body;
    size_t body_len, body_cap;
    gw_http_header *headers; /* each name points at one malloc "name\0value\0" */
    size_t header_count, header_cap, header_bytes;
    bool too_large;
    bool out_of_memory;
    char errbuf[CURL_ERROR_SIZE];
};

struct http_client {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer; /* curl's single timeout */
    http_client_options opts;
    char *ca_file; /* owned copy of opts.ca_file */
    char user_agent[48];
    backoff_rng rng;
    http_req *reqs; /* outstanding (not DELIVERING) requests */
    size_t pending;
    sock_watch *socks;   /* active socket watches */
    size_t open_handles; /* uv handles not yet closed */
    bool closing;
    void (*done)(void *arg);
    void *done_arg;
    http_client_stats stats;
};

static void req_dispatch(http_req *r);
static void handle_closed(http_client *c);

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

/* ---- uv handle bookkeeping ---------------------------------------------- */

static void finish_close(http_client *c)
{
    void (*done)(void *) = c->done;
    void *arg = c->done_arg;
    free(c->ca_file);
    free(c);
    curl_global_cleanup();
    if (done != NULL)
        done(arg);
}

/* Every uv handle's close callback ends here; the last one after
 * http_client_close frees the client. */
static void handle_closed(http_client *c)
{
    c->open_handles--;
    if (c->closing && c->open_handles == 0)
        finish_close(c);
}

static void on_client_timer_closed(uv_handle_t *h)
{
    handle_closed(h->data);
}

static void on_watch_closed(uv_handle_t *h)
{
    sock_watch *w = h->data;
    http_client *c = w->client;
    free(w);
    handle_closed(c);
}

static void on_req_timer_closed(uv_handle_t *h)
{
    http_req *r = h->data;
    http_client *c = r->client;
    free(r);
    handle_closed(c);
}

/* ---- response buffers ----------------------------------------------------- */

static void clear_headers(http_req *r)
{
    for (size_t i = 0; i < r->header_count; i++)
        free((char *)r->headers[i].name); /* the value lives in the same block */
    r->header_count = 0;
    r->header_bytes = 0;
}

static void reset_response(http_req *r)
{
    clear_headers(r);
    r->body_len = 0;
    if (r->body != NULL)
        r->body[0] = '\0';
    r->too_large = false;
    r->out_of_memory = false;
    r->errbuf[0] = '\0';
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
    http_req *r = userp;
    size_t n = size * nmemb;
    size_t cap = r->client->opts.max_response_bytes;
    if (n > cap - r->body_len) {
        r->too_large = true;
        return 0; /* anything but n aborts the transfer */
    }
    if (r->body_len + n + 1 > r->body_cap) {
        size_t want = r->body_cap ? r->body_cap * 2 : 4096;
        if (want < r->body_len + n + 1)
            want = r->body_len + n + 1;
        if (want > cap + 1)
            want = cap + 1;
        unsigned char *grown = realloc(r->body, want);
        if (grown == NULL) {
            r->out_of_memory = true;
            return 0;
        }
        r->body = grown;
        r->body_cap = want;
    }
    memcpy(r->body + r->body_len, data, n);
    r->body_len += n;
    r->body[r->body_len] = '\0';
    return n;
}

static size_t on_header(char *data, size_t size, size_t nitems, void *userp)
{
    http_req *r = userp;
    size_t n = size * nitems;
    /* A new status line starts a new response (a redirect hop or a 1xx):
     * only the final response's headers are reported. */
    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        clear_headers(r);
        return n;
    }
    size_t len = n;
    while (len > 0 && (data[len - 1] == '\r' || data[len - 1] == '\n'))
        len--;
    /* Blank line, or an obsolete folded continuation: nothing to record. */
    if (len == 0 || data[0] == ' ' || data[0] == '\t')
        return n;
    const char *colon = memchr(data, ':', len);
    if (colon == NULL || colon == data)
        return n;
    if (r->header_count >= MAX_RESPONSE_HEADERS ||
        r->header_bytes + len > MAX_RESPONSE_HEADER_BYTES)
        return n;
    size_t name_len = (size_t)(colon - data);
    while (name_len > 0 && (data[name_len - 1] == ' ' || data[name_len - 1] == '\t'))
        name_len--;
    const char *value = colon + 1;
    const char *end = data + len;
    while (value < end && (*value == ' ' || *value == '\t'))
        value++;
    while (end > value && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t value_len = (size_t)(end - value);

    if (r->header_count == r->header_cap) {
        size_t want = r->header_cap ? r->header_cap * 2 : 16;
        gw_http_header *grown = realloc(r->headers, want * sizeof *grown);
        if (grown == NULL) {
            r->out_of_memory = true;
            return 0;
        }
        r->headers = grown;
        r->header_cap = want;
    }
    char *block = malloc(name_len + 1 + value_len + 1);
    if (block == NULL) {
        r->out_of_memory = true;
        return 0;
    }
    for (size_t i = 0; i < name_len; i++)
        block[i] = (char)tolower((unsigned char)data[i]);
    block[name_len] = '\0';
    memcpy(block + name_len + 1, value, value_len);
    block[name_len + 1 + value_len] = '\0';
    r->headers[r->header_count].name = block;
    r->headers[r->header_count].value = block + name_len + 1;
    r->header_count++;
    r->header_bytes += len;
    return n;
}

/* ---- request teardown --------------------------------------------------- */

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
        curl_easy_cleanup(r->easy);
    r->easy = NULL;
    curl_slist_free_all(r->req_headers);
    clear_headers(r);
    free(r->headers);
    free(r->body);
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
    };
    deliver(r, &resp);
}

static void start_attempt(http_req *r, uint64_t now_ms)
{
    http_client *c = r->client;
    reset_response(r);
    r->attempt++;
    r->budget_wait_counted = false;
    r->attempt_start_ms = now_ms;
    c->stats.attempts++;
    CURLMcode mc = curl_multi_add_handle(c->multi, r->easy);
    if (mc != CURLM_OK) {
        char msg[160];
        snprintf(msg, sizeof msg, "cannot start transfer: %s", curl_multi_strerror(mc));
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
    if (r->too_large || res == CURLE_FILESIZE_EXCEEDED) {
        error = GW_ERANGE;
        snprintf(raw, sizeof raw, "response larger than %zu bytes", c->opts.max_response_bytes);
    } else if (r->out_of_memory) {
        error = GW_ENOMEM;
        snprintf(raw, sizeof raw, "out of memory while receiving the response");
    } else if (res == CURLE_OPERATION_TIMEDOUT) {
        error = GW_EBUSY;
        snprintf(raw, sizeof raw, "timed out after %llu ms: %s", (unsigned long long)r->timeout_ms,
                 r->errbuf[0] ? r->errbuf : curl_easy_strerror(res));
    } else if (res == CURLE_PARTIAL_FILE) {
        snprintf(raw, sizeof raw, "truncated response: %s",
                 r->errbuf[0] ? r->errbuf : curl_easy_strerror(res));
    } else {
        snprintf(raw, sizeof raw, "%s%s%s", curl_easy_strerror(res), r->errbuf[0] ? ": " : "",
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
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &http_code);

    int error = 0;
    bool transient = false;
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
    uint64_t hint = 0;
    if (r->header_count > 0) {
        hint = ratelimit_response_delay_ms((int)http_code, r->headers, r->header_count, wall);
        if (r->budget != NULL)
            ratelimit_update(r->budget, (int)http_code, r->headers, r->header_count, wall, now);
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
        .headers = r->header_count > 0 ? r->headers : NULL,
        .header_count = r->header_count,
        /* A failed transfer's partial body would only tempt a parser. */
        .body = error == 0 && r->body != NULL ? r->body : (const unsigned char *)"",
        .body_len = error == 0 ? r->body_len : 0,
        .error = error,
        .error_message = error != 0 ? r->errbuf : NULL,
        .suggested = suggested,
        .retry_after_ms = retry_after,
    };
    deliver(r, &resp);
}

/* Collect finished transfers. Runs only after curl_multi_socket_action has
 * returned; a callback may close the client, which ends the loop. */
static void drain(http_client *c)
{
    CURLMsg *msg;
    int left;
    while (!c->closing && (msg = curl_multi_info_read(c->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *easy = msg->easy_handle;
        CURLcode res = msg->data.result; /* msg dies with remove_handle */
        char *priv = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
        http_req *r = (http_req *)priv;
        curl_multi_remove_handle(c->multi, easy);
        r->state = REQ_WAITING;
        finish_attempt(r, res);
    }
}

/* ---- curl <-> libuv glue -------------------------------------------------- */

static void on_poll(uv_poll_t *h, int status, int events)
{
    sock_watch *w = h->data;
    http_client *c = w->client;
    curl_socket_t fd = w->fd; /* w may be closed by curl below */
    int flags = 0;
    if (status < 0) {
        /* libuv has stopped this handle (POLLERR). curl learns of the error
         * here, fails the transfer and REMOVEs the socket; should it keep
         * the socket instead, its next socket callback restarts the poll
         * and the transfer timeout bounds any stall. */
        flags = CURL_CSELECT_ERR;
    } else {
        if (events & UV_READABLE)
            flags |= CURL_CSELECT_IN;
        if (events & UV_WRITABLE)
            flags |= CURL_CSELECT_OUT;
    }
    int running;
    curl_multi_socket_action(c->multi, fd, flags, &running);
    drain(c);
}

static void on_client_timer(uv_timer_t *t)
{
    http_client *c = t->data;
    int running;
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    drain(c);
}

static sock_watch *find_watch(http_client *c, curl_socket_t fd)
{
    for (sock_watch *w = c->socks; w != NULL; w = w->next) {
        if (w->fd == fd)
            return w;
    }
    return NULL;
}

static void close_watch(http_client *c, sock_watch *w)
{
    if (w->prev != NULL)
        w->prev->next = w->next;
    else
        c->socks = w->next;
    if (w->next != NULL)
        w->next->prev = w->prev;
    w->prev = w->next = NULL;
    uv_poll_stop(&w->poll);
    uv_close((uv_handle_t *)&w->poll, on_watch_closed);
}

/* CURLMOPT_SOCKETFUNCTION. Only uv calls here, never curl_multi_* (we keep
 * our own fd -> watch list instead of curl_multi_assign for that reason). */
static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    (void)easy;
    (void)socketp;
    http_client *c = userp;
    if (c->closing)
        return 0; /* every watch was already closed by http_client_close */
    sock_watch *w = find_watch(c, fd);
    if (what == CURL_POLL_REMOVE) {
        if (w != NULL)
            close_watch(c, w);
        return 0;
    }
    if (w == NULL) {
        w = calloc(1, sizeof *w);
        if (w == NULL)
            return -1;
        if (uv_poll_init_socket(c->loop, &w->poll, fd) != 0) {
            free(w);
            return -1;
        }
        w->client = c;
        w->fd = fd;
        w->poll.data = w;
        c->open_handles++;
        w->next = c->socks;
        if (c->socks != NULL)
            c->socks->prev = w;
        c->socks = w;
    }
    int events = 0;
    if (what & CURL_POLL_IN)
        events |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        events |= UV_WRITABLE;
    if (events == 0) {
        uv_poll_stop(&w->poll);
        return 0;
    }
    return uv_poll_start(&w->poll, events, on_poll) == 0 ? 0 : -1;
}

/* CURLMOPT_TIMERFUNCTION: only (re)arm the uv timer; curl is called when
 * it fires, from the loop, never from here. */
static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    http_client *c = userp;
    if (c->closing)
        return 0;
    if (timeout_ms < 0)
        uv_timer_stop(&c->timer);
    else
        uv_timer_start(&c->timer, on_client_timer, (uint64_t)timeout_ms, 0);
    return 0;
}

/* ---- public API ------------------------------------------------------------- */

static void set_err(char *err, size_t errlen, const char *msg)
{
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "%s", msg);
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
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        free(c->ca_file);
        free(c);
        set_err(err, errlen, "http client: curl_global_init failed");
        return GW_EIO;
    }
    c->multi = curl_multi_init();
    if (c->multi == NULL) {
        curl_global_cleanup();
        free(c->ca_file);
        free(c);
        set_err(err, errlen, "http client: curl_multi_init failed");
        return GW_ENOMEM;
    }
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, c->opts.max_host_connections);

    c->loop = loop;
    snprintf(c->user_agent, sizeof c->user_agent, "social-gateway/%s", GW_VERSION);
    /* The jitter only needs to differ between processes and clients. */
    backoff_seed(&c->rng, clock_monotonic_ms() ^ ((uint64_t)(uintptr_t)c << 16));
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    c->open_handles = 1;
    *out = c;
    return GW_OK;
}

static void cancel_req(http_req *r)
{
    http_client *c = r->client;
    if (r->state == REQ_RUNNING)
        curl_multi_remove_handle(c->multi, r->easy);
    unlink_req(r);
    c->stats.cancelled++;
    req_free(r);
}

void http_client_cancel(http_req *r)
{
    if (r == NULL || r->state == REQ_DELIVERING)
        return;
    cancel_req(r);
}

size_t http_client_cancel_owner(http_client *c, const void *owner)
{
    size_t n = 0;
    http_req *next;
    for (http_req *r = c->reqs; r != NULL; r = next) {
        next = r->next;
        if (r->owner == owner) {
            cancel_req(r);
            n++;
        }
    }
    return n;
}

void http_client_close(http_client *c, void (*done)(void *arg), void *arg)
{
    if (c == NULL || c->closing)
        return;
    c->done = done;
    c->done_arg = arg;
    while (c->reqs != NULL)
        cancel_req(c->reqs);
    /* Stop watching before curl closes the sockets; from here on the
     * socket and timer callbacks ignore curl. */
    c->closing = true;
    while (c->socks != NULL)
        close_watch(c, c->socks);
    curl_multi_cleanup(c->multi);
    c->multi = NULL;
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, on_client_timer_closed);
}

size_t http_client_pending(const http_client *c)
{
    return c->pending;
}

const http_client_stats *http_client_stats_get(const http_client *c)
{
    return &c->stats;
}

/* ---- building a request ------------------------------------------------------ */

static bool header_name_ok(const char *name)
{
    if (name == NULL || *name == '\0')
        return false;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        /* RFC 9110 token characters. */
        if (!isalnum(*p) && strchr("!#$%&'*+-.^_`|~", *p) == NULL)
            return false;
    }
    return true;
}

static bool header_value_ok(const char *value)
{
    /* CR or LF would let a value smuggle extra headers. */
    return value != NULL && strpbrk(value, "\r\n") == NULL;
}

static bool url_scheme_ok(const char *url, bool *https)
{
    if (strncasecmp(url, "https://", 8) == 0) {
        *https = true;
        return true;
    }
    *https = false;
    return strncasecmp(url, "http://", 7) == 0;
}

static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"};

static int build_headers(http_req *r, const gw_http_request *req)
{
    bool has_expect = false;
    for (size_t i = 0; i < req->header_count; i++) {
        const gw_http_header *h = &req->headers[i];
        if (!header_name_ok(h->name) || !header_value_ok(h->value))
            return GW_EINVAL;
        if (strcasecmp(h->name, "expect") == 0)
            has_expect = true;
        size_t len = strlen(h->name) + strlen(h->value) + 3;
        char *line = malloc(len);
        if (line == NULL)
            return GW_ENOMEM;
        /* curl drops "Name:" with an empty value; "Name;" sends it empty. */
        if (h->value[0] == '\0')
            snprintf(line, len, "%s;", h->name);
        else
            snprintf(line, len, "%s: %s", h->name, h->value);
        struct curl_slist *grown = curl_slist_append(r->req_headers, line);
        free(line);
        if (grown == NULL)
            return GW_ENOMEM;
        r->req_headers = grown;
    }
    /* "Expect: 100-continue" on large bodies costs a round trip (or a 1 s
     * stall against servers that ignore it); API bodies are small. */
    if (req->body_len > 0 && !has_expect) {
        struct curl_slist *grown = curl_slist_append(r->req_headers, "Expect:");
        if (grown == NULL)
            return GW_ENOMEM;
        r->req_headers = grown;
    }
    return GW_OK;
}

static int setup_easy(http_client *c, http_req *r, const gw_http_request *req, bool https,
                      uint64_t timeout_ms)
{
    CURL *e = r->easy;
    bool ok = true;
#define SET(opt, val) ok = ok && curl_easy_setopt(e, opt, val) == CURLE_OK
    SET(CURLOPT_URL, req->url);
    SET(CURLOPT_PRIVATE, (char *)r);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    /* Follow redirects, but never from https down to http. */
    SET(CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http,https");
    SET(CURLOPT_FOLLOWLOCATION, 1L);
    SET(CURLOPT_MAXREDIRS, MAX_REDIRECTS);
    SET(CURLOPT_USERAGENT, c->user_agent);
    SET(CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    SET(CURLOPT_ACCEPT_ENCODING, ""); /* the cap counts decoded bytes */
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->opts.max_response_bytes);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, r);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, r);
    SET(CURLOPT_ERRORBUFFER, r->errbuf);
    if (r->req_headers != NULL)
        SET(CURLOPT_HTTPHEADER, r->req_headers);
    if (c->ca_file != NULL)
        SET(CURLOPT_CAINFO, c->ca_file);

    const char *m = r->method;
    if (strcmp(m, "GET") == 0) {
        SET(CURLOPT_HTTPGET, 1L);
    } else if (strcmp(m, "HEAD") == 0) {
        SET(CURLOPT_NOBODY, 1L);
    } else if (strcmp(m, "POST") == 0 || req->body_len > 0) {
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        SET(CURLOPT_POSTFIELDS, r->req_body != NULL ? (char *)r->req_body : "");
        if (strcmp(m, "POST") != 0)
            SET(CURLOPT_CUSTOMREQUEST, m);
    } else {
        SET(CURLOPT_CUSTOMREQUEST, m); /* PUT/PATCH/DELETE without a body */
    }
#undef SET
    return ok ? GW_OK : GW_EINVAL;
}

int http_client_request(http_client *c, ratelimit_budget *budget, void *owner,
                        const char *log_label, const gw_http_request *req, gw_http_cb cb, void *arg,
                        http_req **out)
{
    if (c == NULL || req == NULL || cb == NULL)
        return GW_EINVAL;
    if (c->closing)
        return GW_ESTATE;
    if (req->struct_size < offsetof(gw_http_request, body_len) + sizeof req->body_len ||
        req->method == NULL || req->url == NULL ||
        (req->header_count > 0 && req->headers == NULL) || (req->body_len > 0 && req->body == NULL))
        return GW_EINVAL;
    bool https;
    if (!url_scheme_ok(req->url, &https) || strpbrk(req->url, " \r\n") != NULL)
        return GW_EINVAL;
    const char *method = NULL;
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        if (strcmp(req->method, methods[i]) == 0)
            method = methods[i];
    }
    if (method == NULL || (req->body_len > 0 && strcmp(method, "GET") == 0) ||
        (req->body_len > 0 && strcmp(method, "HEAD") == 0))
        return GW_EINVAL;
    uint64_t timeout_ms = GW_HAS_MEMBER(req, gw_http_request, timeout_ms) ? req->timeout_ms : 0;
    if (timeout_ms == 0)
        timeout_ms = c->opts.default_timeout_ms;
    if (timeout_ms > (uint64_t)LONG_MAX)
        timeout_ms = (uint64_t)LONG_MAX;

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
    if ((rc = build_headers(r, req)) != GW_OK)
        goto fail;
    rc = GW_ENOMEM;
    if ((r->easy = curl_easy_init()) == NULL)
        goto fail;
    if ((rc = setup_easy(c, r, req, https, timeout_ms)) != GW_OK)
        goto fail;

    uv_timer_init(c->loop, &r->timer);
    r->timer.data = r;
    c->open_handles++;
    r->next = c->reqs;
    if (c->reqs != NULL)
        c->reqs->prev = r;
    c->reqs = r;
    c->pending++;
    c->stats.requests++;
    if (out != NULL)
        *out = r;
    req_dispatch(r);
    return GW_OK;

fail:
    if (r->easy != NULL)
        curl_easy_cleanup(r->easy);
    curl_slist_free_all(r->req_headers);
    free(r->req_body);
    free(r->log_url);
    free(r->label);
    free(r);
    return rc;
}
