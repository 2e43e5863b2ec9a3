/* plugins/youtube/request.c - requests to YouTube through the host's HTTP
 * client: URLs, credentials, the records of requests in flight, and
 * Google's error bodies.
 *
 * Credentials. Public reads carry the API key as ?key= when one is
 * configured; writes, held comments and reads without a key carry the
 * OAuth 2.0 access token (oauth.c) as a bearer. The key and the token are
 * added here, at the last moment, so no URL or record a caller sees holds
 * them, and both are wiped from the buffers they were copied to.
 *
 * A bearer request waits while a token is fetched; when Google answers
 * 401 it is sent once more after a forced refresh (an access token can be
 * revoked before its announced expiry). Quota units are charged as each
 * request leaves, as Google charges them whether the call succeeds or not.
 *
 * In flight. The host cancels outstanding requests without calling back
 * once destroy() has returned, so every record is on the instance's list
 * and destroy frees whatever is left, with the caller's context.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "youtube.h"

struct yt_call {
    yt_call *prev, *next;
    gw_instance *inst;
    char *method, *url, *body; /* owned; body may be NULL */
    bool bearer;               /* OAuth 2.0 rather than the API key */
    bool waiting;              /* for a token */
    bool batch;                /* picked by the token_ready pass */
    bool retried;              /* sent again after a 401 already */
    uint64_t cost;
    yt_response_fn fn;
    yt_ctx_free_fn free_ctx;
    void *ctx;
};

/* ---- records -------------------------------------------------------------- */

static void call_unlink(yt_call *c)
{
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        c->inst->calls = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

static void call_free(yt_call *c)
{
    free(c->method);
    free(c->url);
    free(c->body);
    free(c);
}

void yt_request_forget_all(gw_instance *inst)
{
    while (inst->calls != NULL) {
        yt_call *c = inst->calls;
        call_unlink(c);
        if (c->free_ctx != NULL)
            c->free_ctx(c->ctx);
        call_free(c);
    }
}

/* Hand an answer to the caller; the record is gone by then. */
static void call_finish(yt_call *c, const gw_http_response *resp)
{
    gw_instance *inst = c->inst;
    yt_response_fn fn = c->fn;
    void *ctx = c->ctx;
    call_unlink(c);
    call_free(c);
    fn(inst, ctx, resp);
}

static void call_fail(yt_call *c, int rc, const char *why)
{
    gw_http_response resp = {
        .struct_size = sizeof resp,
        .status = 0,
        .error = rc,
        .error_message = why,
        .suggested = rc == GW_EINVAL ? GW_OUTCOME_FATAL : GW_OUTCOME_RETRY,
        .retry_after_ms = rc == GW_EINVAL ? 0 : YT_RETRY_DELAY_MS,
        .not_sent = 1, /* it never reached the host's client */
    };
    call_finish(c, &resp);
}

static void call_done(void *arg, const gw_http_response *resp);

/* Send c now, with token when it is a bearer request. Returns the host's
 * code; on failure the record stays for the caller to dispose of. */
static int call_send(yt_call *c, const char *token)
{
    gw_instance *inst = c->inst;
    char *url = c->url;
    char *keyed = NULL;
    if (!c->bearer) {
        yt_url u;
        yt_url_start(&u, c->url, "");
        gw_sdk_buf_url_param(&u, "key", inst->opt.api_key);
        keyed = gw_sdk_buf_take(&u);
        if (keyed == NULL)
            return GW_ENOMEM;
        url = keyed;
    }
    char *auth = NULL;
    if (c->bearer) {
        size_t n = strlen(token) + sizeof "Bearer ";
        auth = malloc(n);
        if (auth == NULL)
            return GW_ENOMEM;
        snprintf(auth, n, "Bearer %s", token);
    }
    gw_http_header headers[3];
    size_t nh = 0;
    headers[nh++] = (gw_http_header){"accept", "application/json"};
    if (auth != NULL)
        headers[nh++] = (gw_http_header){"authorization", auth};
    if (c->body != NULL)
        headers[nh++] = (gw_http_header){"content-type", "application/json"};
    gw_http_request req = {
        .struct_size = sizeof req,
        .method = c->method,
        .url = url,
        .headers = headers,
        .header_count = nh,
        .body = (const unsigned char *)c->body,
        .body_len = c->body != NULL ? strlen(c->body) : 0,
        /* A first 401 is ours to heal (refresh, send once more); a second
         * one is the host's to report as failing credentials. */
        .handles_401 = auth != NULL && !c->retried,
    };
    int rc = inst->host->http_request(inst->acct, &req, call_done, c);
    if (auth != NULL) {
        memset(auth, 0, strlen(auth));
        free(auth);
    }
    if (keyed != NULL) {
        memset(keyed, 0, strlen(keyed));
        free(keyed);
    }
    if (rc == 0 && c->cost > 0)
        yt_quota_charge(inst, c->cost);
    return rc;
}

/* Send c, or park it until a token is there. Returns 0 or the error. */
static int call_go(yt_call *c, bool force_refresh)
{
    if (!c->bearer)
        return call_send(c, NULL);
    const char *token = yt_oauth_token(c->inst, force_refresh);
    if (token == NULL) {
        if (!c->inst->refreshing)
            return GW_EIO; /* the refresh could not even start */
        c->waiting = true;
        return 0;
    }
    return call_send(c, token);
}

static void call_done(void *arg, const gw_http_response *resp)
{
    yt_call *c = arg;
    gw_instance *inst = c->inst;
    if (resp->status == 401 && c->bearer && !c->retried) {
        c->retried = true;
        inst->host->log(inst->acct, GW_LOG_INFO,
                        "youtube: the access token was refused (401); refreshing it and "
                        "sending once more");
        int rc = call_go(c, true);
        if (rc == 0)
            return;
        call_finish(c, resp);
        return;
    }
    call_finish(c, resp);
}

int yt_request(gw_instance *inst, const char *method, const char *url, yt_auth auth,
               const char *json_body, uint64_t cost, yt_response_fn fn, yt_ctx_free_fn free_ctx,
               void *ctx)
{
    bool bearer = auth == YT_AUTH_USER || inst->opt.api_key == NULL;
    if (bearer && !yt_options_have_oauth(&inst->opt))
        return GW_EINVAL;
    yt_call *c = calloc(1, sizeof *c);
    if (c == NULL)
        return GW_ENOMEM;
    c->inst = inst;
    c->method = gw_sdk_str_dup(method);
    c->url = gw_sdk_str_dup(url);
    c->body = json_body != NULL ? gw_sdk_str_dup(json_body) : NULL;
    c->bearer = bearer;
    c->cost = cost;
    c->fn = fn;
    c->free_ctx = free_ctx;
    c->ctx = ctx;
    if (c->method == NULL || c->url == NULL || (json_body != NULL && c->body == NULL)) {
        call_free(c);
        return GW_ENOMEM;
    }
    c->next = inst->calls;
    if (inst->calls != NULL)
        inst->calls->prev = c;
    inst->calls = c;
    int rc = call_go(c, false);
    if (rc < 0) {
        call_unlink(c);
        call_free(c);
    }
    return rc;
}

void yt_request_token_ready(gw_instance *inst, int rc, const char *why)
{
    /* Only the calls waiting now: a caller answered below may start new
     * requests, which wait for a refresh of their own. */
    for (yt_call *c = inst->calls; c != NULL; c = c->next) {
        c->batch = c->waiting;
        c->waiting = false;
    }
    for (;;) {
        yt_call *c = inst->calls;
        while (c != NULL && !c->batch)
            c = c->next;
        if (c == NULL)
            break;
        c->batch = false;
        if (rc < 0) {
            call_fail(c, rc, why);
            continue;
        }
        int sent = call_send(c, inst->access_token);
        if (sent < 0)
            call_fail(c, sent == GW_ENOMEM ? GW_EBUSY : sent, "youtube: cannot send the request");
    }
}
