/* plugins/yelp/request.c - requests to Yelp through the host's HTTP
 * client (the records of requests in flight) and reading Yelp's errors
 * into an outcome.
 *
 * Authorization is a Bearer header: the API key for the Places read, the
 * business-user token for the Leads and R2R calls. The host redacts the
 * Authorization header from its logs.
 *
 * Errors come in two shapes: Places and Leads answer {"error": {"code",
 * "description"}}, R2R {"error": {"id", "description", "http_code"}}.
 *   - TOO_MANY_REQUESTS_PER_SECOND: retry after a second;
 *   - ACCESS_LIMIT_REACHED: the API key's day is spent, wait for the reset
 *     RateLimit-ResetTime announces (midnight UTC when none is given; the
 *     host's budget, fed by the RateLimit-* headers, holds the account's
 *     other requests back the same way);
 *   - TOKEN_INVALID, UNAUTHORIZED_API_KEY, INVALID_TOKEN: credentials;
 *   - R2R_REVIEW_DOES_NOT_EXIST, R2R_PERMISSION_DENIED,
 *     R2R_COMMENT_QUOTA_EXCEEDED and the rest: fail in words;
 *   - no Yelp error and the host says RETRY (5xx, transport): retry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yelp.h"

#define DAY_MS (86400ull * 1000u)

struct yelp_call {
    yelp_call *prev, *next;
    gw_instance *inst;
    yelp_response_fn fn;
    void *ctx;
};

static void call_unlink(yelp_call *c)
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
    yelp_call *c = arg;
    gw_instance *inst = c->inst;
    yelp_response_fn fn = c->fn;
    void *ctx = c->ctx;
    call_unlink(c);
    free(c);
    fn(inst, ctx, resp);
}

void yelp_request_forget_all(gw_instance *inst)
{
    while (inst->calls != NULL) {
        yelp_call *c = inst->calls;
        call_unlink(c);
        free(c->ctx);
        free(c);
    }
}

int yelp_request(gw_instance *inst, const char *method, const char *url, const char *token,
                 const char *body, yelp_response_fn fn, void *ctx)
{
    yelp_call *c = calloc(1, sizeof *c);
    size_t alen = strlen(token) + 8;
    char *auth = malloc(alen);
    if (c == NULL || auth == NULL) {
        free(c);
        free(auth);
        return GW_ENOMEM;
    }
    snprintf(auth, alen, "Bearer %s", token);
    c->inst = inst;
    c->fn = fn;
    c->ctx = ctx;
    gw_http_header headers[3] = {
        {"authorization", auth},
        {"accept", "application/json"},
        {"content-type", "application/json"},
    };
    gw_http_request req = {
        .struct_size = sizeof req,
        .method = method,
        .url = url,
        .headers = headers,
        .header_count = body != NULL ? 3 : 2,
        .body = (const unsigned char *)body,
        .body_len = body != NULL ? strlen(body) : 0,
        .timeout_ms = 0,
    };
    c->next = inst->calls;
    if (inst->calls != NULL)
        inst->calls->prev = c;
    inst->calls = c;
    int rc = inst->host->http_request(inst->acct, &req, call_done, c);
    memset(auth, 0, alen);
    free(auth);
    if (rc < 0) {
        call_unlink(c);
        free(c);
    }
    return rc;
}

uint64_t yelp_until_midnight_utc(uint64_t now_ms)
{
    return DAY_MS - now_ms % DAY_MS;
}

static bool is_code(const char *code, const char *name)
{
    return strcmp(code, name) == 0;
}

void yelp_error_read(const gw_http_response *resp, uint64_t now_ms, yelp_error *e)
{
    memset(e, 0, sizeof *e);
    if (resp->status == 0) {
        snprintf(e->text, sizeof e->text, "no answer from Yelp: %s",
                 resp->error_message != NULL ? resp->error_message : gw_strerror(resp->error));
        e->outcome = resp->suggested == GW_OUTCOME_OK ? GW_OUTCOME_RETRY : resp->suggested;
        e->retry_after_ms = resp->retry_after_ms;
        return;
    }
    json_t *doc = json_loadb((const char *)resp->body, resp->body_len, 0, NULL);
    const json_t *err = json_object_get(doc, "error");
    if (resp->status / 100 == 2) {
        e->outcome = GW_OUTCOME_OK;
        json_decref(doc);
        return;
    }
    const char *code = gw_sdk_json_string(err, "code", NULL);
    if (code == NULL)
        code = gw_sdk_json_string(err, "id", "");
    gw_sdk_str_copy(e->code, sizeof e->code, code);
    const char *desc = gw_sdk_json_string(err, "description", NULL);
    if (e->code[0] != '\0')
        snprintf(e->text, sizeof e->text, "HTTP %d, Yelp %s: %.300s", resp->status, e->code,
                 desc != NULL ? desc : "no description");
    else
        snprintf(e->text, sizeof e->text, "HTTP %d from Yelp", resp->status);
    json_decref(doc);

    if (is_code(e->code, "TOO_MANY_REQUESTS_PER_SECOND")) {
        e->outcome = GW_OUTCOME_RETRY;
        e->retry_after_ms = resp->retry_after_ms > YELP_RETRY_DELAY_MS ? resp->retry_after_ms
                                                                       : YELP_RETRY_DELAY_MS;
    } else if (is_code(e->code, "ACCESS_LIMIT_REACHED")) {
        /* The reset Yelp announced (RateLimit-ResetTime, which the host's
         * budget read into retry_after_ms); midnight UTC, Yelp's day, when
         * it announced none. */
        e->outcome = GW_OUTCOME_RETRY;
        e->retry_after_ms = resp->retry_after_ms > 0 ? resp->retry_after_ms
                                                     : yelp_until_midnight_utc(now_ms);
    } else if (is_code(e->code, "TOKEN_INVALID") || is_code(e->code, "UNAUTHORIZED_API_KEY") ||
               is_code(e->code, "INVALID_TOKEN")) {
        e->outcome = GW_OUTCOME_FATAL;
        e->credentials = true;
    } else if (e->code[0] == '\0' && resp->suggested == GW_OUTCOME_RETRY) {
        e->outcome = GW_OUTCOME_RETRY;
        e->retry_after_ms = resp->retry_after_ms;
    } else {
        e->quota_spent = is_code(e->code, "R2R_COMMENT_QUOTA_EXCEEDED");
        e->outcome = GW_OUTCOME_FATAL;
    }
}

void yelp_credentials_failed(gw_instance *inst, const char *why)
{
    if (GW_HOST_HAS(inst->host, credentials_failed))
        inst->host->credentials_failed(inst->acct, why);
}
