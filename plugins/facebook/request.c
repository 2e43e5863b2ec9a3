/* plugins/facebook/request.c - requests to the Graph API through the
 * host's HTTP client: URLs, the records of requests in flight, and reading
 * Graph's errors into an outcome.
 *
 * Authorization. Every call carries access_token (the Page token) and,
 * when app_secret is configured, appsecret_proof = hex(HMAC-SHA256(
 * app_secret, token)), both as query parameters: Graph accepts them on
 * every method, and the host's redaction masks both in its logs. URLs
 * holding them are wiped before they are freed.
 *
 * Errors. Graph answers failures with {"error": {"code", "error_subcode",
 * "message", "error_user_msg"}} over a 4xx; rate limits are not 429s but
 * codes with usage headers (which the host reads into the account's
 * budget). The code decides: throttling (4, 17, 32, 613, 80001) waits for
 * estimated_time_to_regain_access; 190 is a refused token; 368 (policy
 * block) and 10 / 200-299 (permission) fail with Facebook's own
 * error_user_msg; 1 and 2 are transient.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facebook.h"

#define THROTTLE_DEFAULT_MS 60000u /* throttled without an estimate */
#define TRANSIENT_DELAY_MS 2000u

struct fb_call {
    fb_call *prev, *next;
    gw_instance *inst;
    fb_response_fn fn;
    fb_ctx_free_fn free_ctx;
    void *ctx;
};

/* ---- URLs ------------------------------------------------------------- */

void fb_url_start(fb_url *u, const fb_options *opt, const char *path)
{
    memset(u, 0, sizeof *u);
    gw_sdk_buf_adds(u, opt->base_url);
    gw_sdk_buf_adds(u, "/");
    gw_sdk_buf_adds(u, opt->graph_version);
    gw_sdk_buf_adds(u, path);
}

char *fb_url_take(fb_url *u, const fb_options *opt)
{
    gw_sdk_buf_url_param(u, "access_token", opt->token);
    if (opt->proof[0] != '\0')
        gw_sdk_buf_url_param(u, "appsecret_proof", opt->proof);
    return gw_sdk_buf_take(u); /* wipes what it frees on failure */
}

/* ---- in flight ---------------------------------------------------------- */

static void call_unlink(fb_call *c)
{
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        c->inst->calls = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

static void call_done(void *arg, const gw_http_response *resp)
{
    fb_call *c = arg;
    gw_instance *inst = c->inst;
    fb_response_fn fn = c->fn;
    void *ctx = c->ctx;
    call_unlink(c);
    free(c);
    fn(inst, ctx, resp);
}

void fb_request_forget_all(gw_instance *inst)
{
    while (inst->calls != NULL) {
        fb_call *c = inst->calls;
        call_unlink(c);
        if (c->free_ctx != NULL)
            c->free_ctx(c->ctx);
        free(c);
    }
}

int fb_request(gw_instance *inst, const char *method, char *url, const char *content_type,
               const char *body, fb_response_fn fn, fb_ctx_free_fn free_ctx, void *ctx)
{
    fb_call *c = calloc(1, sizeof *c);
    if (c == NULL)
        return GW_ENOMEM;
    c->inst = inst;
    c->fn = fn;
    c->free_ctx = free_ctx;
    c->ctx = ctx;
    gw_http_header headers[2] = {
        {"accept", "application/json"},
        {"content-type", content_type != NULL ? content_type : "application/json"},
    };
    gw_http_request req = {
        .struct_size = sizeof req,
        .method = method,
        .url = url,
        .headers = headers,
        .header_count = body != NULL ? 2 : 1,
        .body = (const unsigned char *)body,
        .body_len = body != NULL ? strlen(body) : 0,
        .timeout_ms = 0,
    };
    c->next = inst->calls;
    if (inst->calls != NULL)
        inst->calls->prev = c;
    inst->calls = c;
    int rc = inst->host->http_request(inst->acct, &req, call_done, c);
    if (rc < 0) {
        call_unlink(c);
        free(c);
    }
    return rc;
}

/* ---- answers ------------------------------------------------------------ */

static const char *header(const gw_http_response *resp, const char *name)
{
    for (size_t i = 0; i < resp->header_count; i++) {
        if (resp->headers[i].name != NULL && strcmp(resp->headers[i].name, name) == 0)
            return resp->headers[i].value;
    }
    return NULL;
}

/* The largest estimated_time_to_regain_access (minutes) in
 * X-Business-Use-Case-Usage: {"<id>": [{"type", ..., "estimated_..."}]}. */
static double regain_minutes(const gw_http_response *resp)
{
    const char *value = header(resp, "x-business-use-case-usage");
    json_t *doc = value != NULL ? json_loads(value, 0, NULL) : NULL;
    double most = 0;
    const char *k;
    json_t *list;
    json_object_foreach(doc, k, list)
    {
        size_t i;
        const json_t *entry;
        json_array_foreach(list, i, entry)
        {
            double m = gw_sdk_json_number(entry, "estimated_time_to_regain_access", 0);
            if (m > most)
                most = m;
        }
    }
    json_decref(doc);
    return most > 48 * 60 ? 48 * 60 : most;
}

static bool is_throttling(int code)
{
    return code == 4 || code == 17 || code == 32 || code == 613 || code == 80001;
}

void fb_error_read(const gw_http_response *resp, fb_error *e)
{
    memset(e, 0, sizeof *e);
    if (resp->status == 0) {
        snprintf(e->text, sizeof e->text, "no answer from Facebook: %s",
                 resp->error_message != NULL ? resp->error_message : gw_strerror(resp->error));
        e->outcome = resp->suggested == GW_OUTCOME_OK ? GW_OUTCOME_RETRY : resp->suggested;
        e->retry_after_ms = resp->retry_after_ms;
        return;
    }
    json_t *doc = json_loadb((const char *)resp->body, resp->body_len, 0, NULL);
    const json_t *err = json_object_get(doc, "error");
    if (resp->status / 100 == 2 && err == NULL) {
        e->outcome = GW_OUTCOME_OK;
        json_decref(doc);
        return;
    }
    e->code = (int)gw_sdk_json_int(err, "code", 0);
    e->subcode = (int)gw_sdk_json_int(err, "error_subcode", 0);
    const char *msg = gw_sdk_json_string(err, "message", NULL);
    const char *user_msg = gw_sdk_json_string(err, "error_user_msg", NULL);
    char words[300];
    gw_sdk_str_copy(words, sizeof words,
                    user_msg != NULL ? user_msg : msg != NULL ? msg : "no error message");
    if (e->code != 0)
        snprintf(e->text, sizeof e->text, "HTTP %d, Graph error %d%s%.0d: %s", resp->status,
                 e->code, e->subcode != 0 ? "/" : "", e->subcode, words);
    else
        snprintf(e->text, sizeof e->text, "HTTP %d", resp->status);
    json_decref(doc);

    if (is_throttling(e->code)) {
        double minutes = regain_minutes(resp);
        uint64_t ms = minutes > 0 ? (uint64_t)(minutes * 60000.0) : THROTTLE_DEFAULT_MS;
        e->outcome = GW_OUTCOME_RETRY;
        e->retry_after_ms = ms > resp->retry_after_ms ? ms : resp->retry_after_ms;
    } else if (e->code == 190) {
        e->outcome = GW_OUTCOME_FATAL;
        e->credentials = true;
    } else if (e->code == 1 || e->code == 2) {
        e->outcome = GW_OUTCOME_RETRY;
        e->retry_after_ms =
            resp->retry_after_ms > TRANSIENT_DELAY_MS ? resp->retry_after_ms : TRANSIENT_DELAY_MS;
    } else if (e->code == 0 && resp->suggested == GW_OUTCOME_RETRY) {
        e->outcome = GW_OUTCOME_RETRY; /* a 5xx without a Graph error */
        e->retry_after_ms = resp->retry_after_ms;
    } else {
        /* 368, 10, 200-299, 100 and the rest: asking again will not help. */
        e->outcome = GW_OUTCOME_FATAL;
    }
}

void fb_credentials_failed(gw_instance *inst, const char *why)
{
    if (GW_HOST_HAS(inst->host, credentials_failed))
        inst->host->credentials_failed(inst->acct, why);
}
