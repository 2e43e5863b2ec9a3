/* plugins/twitter/request.c - requests to X through the host's HTTP
 * client: URLs, Authorization, the records of requests in flight, and
 * reading X's answers.
 *
 * Authorization. Reads of public data (mentions, search) use the app's
 * bearer token when one is configured; everything else, and reads when
 * there is no bearer token, is signed with OAuth 1.0a (sdk/oauth1.c) in
 * the brand's user context. Every signature gets a fresh nonce and the
 * host's wall clock, so a retried request is signed again rather than
 * replayed (X refuses a reused nonce).
 *
 * In flight. The host cancels outstanding requests without calling back
 * once destroy() has returned, so each request's record is on the
 * instance's list and destroy frees whatever is left, with the caller's
 * context through its free function.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twitter.h"

struct tw_call {
    tw_call *prev, *next;
    gw_instance *inst;
    tw_response_fn fn;
    tw_ctx_free_fn free_ctx;
    void *ctx;
};

/* ---- URLs --------------------------------------------------------------- */

void tw_url_start(tw_url *u, const char *base, const char *path)
{
    memset(u, 0, sizeof *u);
    gw_sdk_buf_adds(u, base);
    gw_sdk_buf_adds(u, path);
}

/* ---- in flight ---------------------------------------------------------- */

static void call_unlink(tw_call *c)
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
    tw_call *c = arg;
    gw_instance *inst = c->inst;
    tw_response_fn fn = c->fn;
    void *ctx = c->ctx;
    call_unlink(c);
    free(c);
    fn(inst, ctx, resp);
}

void tw_request_forget_all(gw_instance *inst)
{
    while (inst->calls != NULL) {
        tw_call *c = inst->calls;
        call_unlink(c);
        if (c->free_ctx != NULL)
            c->free_ctx(c->ctx);
        free(c);
    }
}

/* The Authorization header value (caller frees) or NULL. */
static char *authorization(gw_instance *inst, const char *method, const char *url, tw_auth auth)
{
    const tw_options *opt = &inst->opt;
    if (auth == TW_AUTH_APP && opt->bearer_token != NULL) {
        size_t n = strlen(opt->bearer_token) + sizeof "Bearer ";
        char *value = malloc(n);
        if (value != NULL)
            snprintf(value, n, "Bearer %s", opt->bearer_token);
        return value;
    }
    if (!tw_options_have_user_context(opt))
        return NULL;
    char nonce[33];
    if (gw_sdk_oauth1_nonce(nonce, sizeof nonce) < 0) {
        inst->host->log(inst->acct, GW_LOG_ERROR, "twitter: no randomness for an OAuth nonce");
        return NULL;
    }
    char *value = NULL;
    uint64_t now_s = inst->host->now_ms(inst->acct) / 1000;
    int rc = gw_sdk_oauth1_header(&opt->oauth, method, url, NULL, 0, nonce, now_s, &value);
    if (rc < 0)
        inst->host->log(inst->acct, GW_LOG_ERROR, "twitter: cannot sign a request: %s",
                        gw_strerror(rc));
    return value;
}

int tw_request(gw_instance *inst, const char *method, const char *url, tw_auth auth,
               const char *rate_class, const char *json_body, tw_response_fn fn, tw_ctx_free_fn free_ctx, void *ctx)
{
    char *auth_value = authorization(inst, method, url, auth);
    if (auth_value == NULL)
        return GW_EINVAL;
    tw_call *c = calloc(1, sizeof *c);
    if (c == NULL) {
        free(auth_value);
        return GW_ENOMEM;
    }
    c->inst = inst;
    c->fn = fn;
    c->free_ctx = free_ctx;
    c->ctx = ctx;

    gw_http_header headers[3] = {
        {"authorization", auth_value},
        {"accept", "application/json"},
        {"content-type", "application/json"},
    };
    gw_http_request req = {
        .struct_size = sizeof req,
        .method = method,
        .url = url,
        .headers = headers,
        .header_count = json_body != NULL ? 3 : 2,
        .body = (const unsigned char *)json_body,
        .body_len = json_body != NULL ? strlen(json_body) : 0,
        .timeout_ms = 0,
        .rate_class = rate_class,
    };
    /* Listed first: the host never calls back from inside http_request,
     * but keeping the list consistent before the call costs nothing. */
    c->next = inst->calls;
    if (inst->calls != NULL)
        inst->calls->prev = c;
    inst->calls = c;
    int rc = inst->host->http_request(inst->acct, &req, call_done, c);
    /* The header holds a bearer token or a signature: wipe before free. */
    memset(auth_value, 0, strlen(auth_value));
    free(auth_value);
    if (rc < 0) {
        call_unlink(c);
        free(c);
    }
    return rc;
}

/* ---- answers ------------------------------------------------------------ */

const char *tw_header(const gw_http_response *resp, const char *name)
{
    for (size_t i = 0; i < resp->header_count; i++) {
        if (resp->headers[i].name != NULL && strcmp(resp->headers[i].name, name) == 0)
            return resp->headers[i].value;
    }
    return NULL;
}

void tw_error_text(const gw_http_response *resp, char *buf, size_t buflen)
{
    char line[400];
    if (resp->status == 0) {
        snprintf(line, sizeof line, "no answer from X: %s",
                 resp->error_message != NULL ? resp->error_message : gw_strerror(resp->error));
        gw_sdk_str_copy(buf, buflen, line);
        return;
    }
    json_t *doc = json_loadb((const char *)resp->body, resp->body_len, 0, NULL);
    const char *detail = gw_sdk_json_string(doc, "detail", NULL);
    const char *title = gw_sdk_json_string(doc, "title", NULL);
    if (detail == NULL) {
        /* v1.1 {"errors":[{"code":88,"message":"..."}]} or v2
         * {"errors":[{"detail":"...","title":"..."}]} */
        const json_t *first = json_array_get(json_object_get(doc, "errors"), 0);
        detail = gw_sdk_json_string(first, "detail", NULL);
        if (detail == NULL)
            detail = gw_sdk_json_string(first, "message", NULL);
        if (title == NULL)
            title = gw_sdk_json_string(first, "title", NULL);
    }
    /* Cut on character boundaries: the line may end up in an event. */
    char d[201], t[81];
    gw_sdk_str_copy(d, sizeof d, detail);
    gw_sdk_str_copy(t, sizeof t, title);
    /* X answers some refusals with 200 and an errors list. */
    char status[40];
    snprintf(status, sizeof status, resp->status / 100 == 2 ? "HTTP %d with errors" : "HTTP %d",
             resp->status);
    if (detail != NULL && title != NULL && strcmp(detail, title) != 0)
        snprintf(line, sizeof line, "%s: %s: %s", status, t, d);
    else if (detail != NULL || title != NULL)
        snprintf(line, sizeof line, "%s: %s", status, detail != NULL ? d : t);
    else
        snprintf(line, sizeof line, "%s", status);
    json_decref(doc);
    gw_sdk_str_copy(buf, buflen, line);
}
