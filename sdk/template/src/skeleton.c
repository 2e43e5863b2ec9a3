/* skeleton.c - a minimal complete network plugin for the gateway: a
 * starting point for a new network (`gateway plugin new NAME` copies this
 * folder with "skeleton" replaced by NAME).
 *
 * The network it talks to is the tiny one in test/fake_skeleton.py:
 *   GET  {api_base}/items?after=<cursor>   -> {"items": [...], "cursor": "..."}
 *   POST {api_base}/items/<id>/replies     {"text"} -> {"id", "url"}
 *   POST {api_base}/messages               {"to", "text"} -> {"id"}
 *   webhook deliveries {"items": [...]} signed with
 *   X-Skeleton-Signature: sha256=<hex HMAC-SHA256(webhook_secret, body)>
 * Replace those with your network's API; keep the shape of each hook.
 *
 * The rules every plugin keeps (include/gateway/plugin.h says them in
 * full; `gateway plugin-check` checks them):
 *   - never block the loop: all I/O goes through host->http_request and
 *     host->timer_start, never sockets, sleep() or files;
 *   - every hook call ends with exactly one host->complete(op, ...);
 *   - strings handed to a hook are borrowed for the call: copy what you
 *     keep; emit() steals the event;
 *   - secrets (token, webhook_secret) are never logged or put in a message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gateway/plugin.h>
#include <gateway/sdk.h>

#define URL_MAX 2048
#define CURSOR_KEY "cursor"

static const gw_option skeleton_options[] = {
    {.name = "api_base", .type = GW_OPT_STRING, .flags = GW_OPTF_REQUIRED,
     .help = "base URL of the network's API, e.g. https://api.example.com/v1"},
    {.name = "token", .type = GW_OPT_STRING, .flags = GW_OPTF_REQUIRED | GW_OPTF_SECRET,
     .help = "API token sent as a bearer token; write \"${ENV_VAR}\""},
    {.name = "webhook_secret", .type = GW_OPT_STRING, .flags = GW_OPTF_SECRET,
     .help = "secret of the webhook signature; webhooks are refused without it"},
    {.name = NULL},
};

struct gw_instance {
    const gw_host *host;
    gw_account *acct;
    char *api_base;
    char *auth;           /* "Bearer <token>": a secret */
    char *webhook_secret; /* a secret, may be NULL */
};

/* One call in flight: the op to complete and what its answer means. */
typedef struct call {
    gw_instance *inst;
    gw_op *op;
    int is_fetch;
} call;

static void skeleton_log(gw_instance *p, gw_log_level level, const char *msg)
{
    p->host->log(p->acct, level, "%s", msg);
}

static int skeleton_create(const gw_host *host, gw_account *acct, gw_instance **out,
                           char *err, size_t errlen)
{
    const json_t *cfg = host->config(acct);
    const char *base = gw_sdk_json_string(cfg, "api_base", NULL);
    const char *token = gw_sdk_json_string(cfg, "token", NULL);
    const char *secret = gw_sdk_json_string(cfg, "webhook_secret", NULL);
    if (base == NULL || strncmp(base, "http", 4) != 0) {
        snprintf(err, errlen, "api_base must be an http:// or https:// URL");
        return GW_EINVAL;
    }
    gw_instance *p = calloc(1, sizeof *p);
    size_t authlen = strlen(token != NULL ? token : "") + sizeof "Bearer ";
    if (p == NULL || (p->api_base = gw_sdk_str_dup(base)) == NULL ||
        (p->auth = malloc(authlen)) == NULL ||
        (secret != NULL && secret[0] != '\0' && (p->webhook_secret = gw_sdk_str_dup(secret)) == NULL)) {
        if (p != NULL) {
            free(p->api_base);
            free(p->auth);
            free(p);
        }
        snprintf(err, errlen, "out of memory");
        return GW_ENOMEM;
    }
    snprintf(p->auth, authlen, "Bearer %s", token != NULL ? token : "");
    p->host = host;
    p->acct = acct;
    *out = p;
    return GW_OK;
}

static void skeleton_destroy(gw_instance *p)
{
    free(p->api_base);
    free(p->auth);
    free(p->webhook_secret);
    free(p);
}

/* One network item as a gateway.event/1 item; NULL when it lacks an id.
 * Returns a new reference (emit() steals it). */
static json_t *skeleton_event(const json_t *item, const char *visibility)
{
    const char *id = gw_sdk_json_string(item, "id", NULL);
    if (id == NULL || id[0] == '\0')
        return NULL;
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s}", "type",
                           strcmp(visibility, "private") == 0 ? "message" : "mention",
                           "visibility", visibility, "native_id", id, "text",
                           gw_sdk_json_string(item, "text", ""));
    if (ev == NULL)
        return NULL;
    const char *author = gw_sdk_json_string(item, "author", NULL);
    if (author != NULL)
        json_object_set_new(ev, "author", json_pack("{s:s}", "id", author));
    const char *created = gw_sdk_json_string(item, "created_at", NULL);
    if (created != NULL)
        json_object_set_new(ev, "created_at", json_string(created));
    const char *thread = gw_sdk_json_string(item, "thread", NULL);
    if (thread != NULL)
        json_object_set_new(ev, "thread_id", json_string(thread));
    return ev;
}

/* Emit every item of {"items": [...]}; returns how many were refused. */
static int skeleton_emit_items(gw_instance *p, const json_t *doc)
{
    int refused = 0;
    size_t i;
    const json_t *item;
    json_array_foreach(json_object_get(doc, "items"), i, item)
    {
        const char *vis = gw_sdk_json_bool(item, "private", 0) ? "private" : "public";
        json_t *ev = skeleton_event(item, vis);
        if (ev == NULL || p->host->emit(p->acct, ev) < 0)
            refused++;
    }
    return refused;
}

/* The host's reading of an answer, turned into this op's completion. */
static void skeleton_done(void *arg, const gw_http_response *r)
{
    call *c = arg;
    gw_instance *p = c->inst;
    json_t *doc = NULL;
    if (r->status >= 200 && r->status < 300)
        doc = json_loadb((const char *)r->body, r->body_len, 0, NULL);
    if (doc == NULL) {
        /* A write that may have reached the network must not be resent:
         * FATAL unless the host says nothing left (not_sent). */
        gw_outcome o = r->suggested == GW_OUTCOME_RETRY && (c->is_fetch || gw_sdk_http_not_sent(r))
                           ? GW_OUTCOME_RETRY
                           : GW_OUTCOME_FATAL;
        if (r->status >= 200 && r->status < 300)
            o = GW_OUTCOME_FATAL; /* a 2xx we cannot read: taken, id unknown */
        char msg[160];
        snprintf(msg, sizeof msg, "network answered %d%s%s", r->status,
                 r->error_message ? ": " : "", r->error_message ? r->error_message : "");
        p->host->complete(c->op, o, r->retry_after_ms, msg, NULL);
        free(c);
        return;
    }
    if (c->is_fetch) {
        int refused = skeleton_emit_items(p, doc);
        const char *cursor = gw_sdk_json_string(doc, "cursor", NULL);
        /* The cursor moves only with the events: the host commits both in
         * one transaction. */
        if (cursor != NULL)
            p->host->kv_set(p->acct, CURSOR_KEY, cursor);
        if (refused > 0)
            skeleton_log(p, GW_LOG_WARN, "some items were refused (see the host's log)");
        p->host->complete(c->op, GW_OUTCOME_OK, GW_DELAY_POLL_INTERVAL, NULL, NULL);
    } else {
        const char *id = gw_sdk_json_string(doc, "id", NULL);
        json_t *result = id != NULL ? json_pack("{s:s}", "native_id", id) : NULL;
        const char *url = gw_sdk_json_string(doc, "url", NULL);
        if (result != NULL && url != NULL)
            json_object_set_new(result, "url", json_string(url));
        p->host->complete(c->op, result != NULL ? GW_OUTCOME_OK : GW_OUTCOME_FATAL, 0,
                          result != NULL ? NULL : "the answer carries no id", result);
    }
    json_decref(doc);
    free(c);
}

/* Send method url [body] for op; completes op on every path. */
static void skeleton_send(gw_instance *p, gw_op *op, int is_fetch, const char *method,
                          const char *url, const char *body)
{
    call *c = calloc(1, sizeof *c);
    if (c == NULL) {
        p->host->complete(op, GW_OUTCOME_RETRY, 1000, "out of memory", NULL);
        return;
    }
    c->inst = p;
    c->op = op;
    c->is_fetch = is_fetch;
    gw_http_header headers[] = {{"authorization", p->auth},
                                {"content-type", "application/json"}};
    gw_http_request req = {.struct_size = sizeof req, .method = method, .url = url,
                           .headers = headers, .header_count = body != NULL ? 2 : 1,
                           .body = (const unsigned char *)body,
                           .body_len = body != NULL ? strlen(body) : 0};
    int rc = p->host->http_request(p->acct, &req, skeleton_done, c);
    if (rc < 0) {
        free(c);
        p->host->complete(op, GW_OUTCOME_RETRY, 1000, "the request could not be sent", NULL);
    }
}

static void skeleton_fetch(gw_instance *p, gw_op *op)
{
    char cursor[256] = "", enc[768], url[URL_MAX];
    if (p->host->kv_get(p->acct, CURSOR_KEY, cursor, sizeof cursor) < 0)
        cursor[0] = '\0';
    gw_sdk_percent_encode(cursor, enc, sizeof enc);
    snprintf(url, sizeof url, "%s/items?after=%s", p->api_base, enc);
    skeleton_send(p, op, 1, "GET", url, NULL);
}

/* POST a JSON body built from the action; completes op on every path. */
static void skeleton_post(gw_instance *p, gw_op *op, const char *url, json_t *body)
{
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (text == NULL) {
        p->host->complete(op, GW_OUTCOME_FATAL, 0, "could not build the request", NULL);
        return;
    }
    skeleton_send(p, op, 0, "POST", url, text);
    free(text);
}

static void skeleton_post_public(gw_instance *p, gw_op *op, const gw_action *a)
{
    char enc[768], url[URL_MAX];
    if (a->in_reply_to == NULL) {
        p->host->complete(op, GW_OUTCOME_FATAL, 0, "a public reply needs in_reply_to", NULL);
        return;
    }
    gw_sdk_percent_encode(a->in_reply_to, enc, sizeof enc);
    snprintf(url, sizeof url, "%s/items/%s/replies", p->api_base, enc);
    skeleton_post(p, op, url, json_pack("{s:s}", "text", a->text));
}

static void skeleton_send_private(gw_instance *p, gw_op *op, const gw_action *a)
{
    char url[URL_MAX];
    if (a->to == NULL) {
        p->host->complete(op, GW_OUTCOME_FATAL, 0, "a private message needs a recipient", NULL);
        return;
    }
    snprintf(url, sizeof url, "%s/messages", p->api_base);
    skeleton_post(p, op, url, json_pack("{s:s, s:s}", "to", a->to, "text", a->text));
}

/* The webhook's HTTP answer as complete() takes it. */
static json_t *skeleton_answer(int status, const char *error, const char *message)
{
    char body[256];
    if (error != NULL)
        snprintf(body, sizeof body, "{\"error\":\"%s\",\"message\":\"%s\"}", error, message);
    else
        snprintf(body, sizeof body, "{\"accepted\":true}");
    return json_pack("{s:i, s:s, s:s, s:s}", "status", status, "content_type",
                     "application/json", "body", body, "allow", "POST");
}

/* The signature header checked in constant time over the exact body. */
static int skeleton_signed(const gw_instance *p, const gw_webhook_request *req)
{
    const char *given = NULL;
    for (size_t i = 0; i < req->header_count; i++) {
        if (strcmp(req->headers[i].name, "x-skeleton-signature") == 0)
            given = req->headers[i].value;
    }
    if (given == NULL || strncmp(given, "sha256=", 7) != 0)
        return 0;
    unsigned char mac[GW_SDK_SHA256_SIZE];
    char hex[2 * GW_SDK_SHA256_SIZE + 1];
    gw_sdk_hmac_sha256(p->webhook_secret, strlen(p->webhook_secret), req->body, req->body_len,
                       mac);
    gw_sdk_hex_encode(mac, sizeof mac, hex, sizeof hex);
    return gw_sdk_ct_streq(hex, given + 7);
}

static void skeleton_webhook(gw_instance *p, gw_op *op, const gw_webhook_request *req)
{
    if (strcmp(req->method, "POST") != 0) {
        p->host->complete(op, GW_OUTCOME_OK, 0, NULL,
                          skeleton_answer(405, "method_not_allowed", "POST only"));
        return;
    }
    if (p->webhook_secret == NULL) {
        p->host->complete(op, GW_OUTCOME_OK, 0, "webhook_secret is not set",
                          skeleton_answer(403, "forbidden", "webhooks are not configured"));
        return;
    }
    if (!skeleton_signed(p, req)) {
        p->host->complete(op, GW_OUTCOME_OK, 0, "bad webhook signature",
                          skeleton_answer(401, "bad_signature", "signature does not match"));
        return;
    }
    json_t *doc = json_loadb((const char *)req->body, req->body_len, 0, NULL);
    if (!json_is_array(json_object_get(doc, "items"))) {
        json_decref(doc);
        p->host->complete(op, GW_OUTCOME_OK, 0, "malformed delivery",
                          skeleton_answer(400, "bad_request", "expected an object with an items array"));
        return;
    }
    int refused = skeleton_emit_items(p, doc);
    json_decref(doc);
    p->host->complete(op, GW_OUTCOME_OK, 0, refused ? "some items were refused" : NULL,
                      skeleton_answer(200, NULL, NULL));
}

static const gw_plugin skeleton_plugin = {
    .struct_size = sizeof(gw_plugin),
    .abi_major = GW_ABI_MAJOR,
    .abi_minor = GW_ABI_MINOR,
    .name = "skeleton",
    .version = "0.1.0",
    .capabilities = GW_CAP_FETCH | GW_CAP_POST_PUBLIC | GW_CAP_SEND_PRIVATE | GW_CAP_WEBHOOK,
    .options = skeleton_options,
    .create = skeleton_create,
    .destroy = skeleton_destroy,
    .fetch = skeleton_fetch,
    .post_public = skeleton_post_public,
    .send_private = skeleton_send_private,
    .webhook = skeleton_webhook,
    .max_text_length = 2000,
};

GW_PLUGIN_EXPORT const gw_plugin *gw_plugin_entry(void);

GW_PLUGIN_EXPORT const gw_plugin *gw_plugin_entry(void)
{
    return &skeleton_plugin;
}
