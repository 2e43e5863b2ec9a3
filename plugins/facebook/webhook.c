/* plugins/facebook/webhook.c - Page webhook deliveries.
 *
 * Facebook proves it is Facebook in two steps:
 *   - the subscription handshake: GET ?hub.mode=subscribe&hub.verify_token=
 *     <ours>&hub.challenge=<n>, answered 200 with the bare challenge when
 *     the mode and the token (compared in constant time) are right, else
 *     403;
 *   - every POST carries X-Hub-Signature-256: "sha256=" + hex(HMAC-SHA256(
 *     app_secret, raw body)), compared in constant time over the exact
 *     bytes received. A missing or wrong signature gets 401 and nothing is
 *     emitted. The legacy SHA-1 X-Hub-Signature is not accepted alone.
 * A verified delivery's entries are normalised (normalise.c); the host
 * answers only after the events are committed, so Facebook redelivers
 * anything we might have lost, and the host drops repeats by id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facebook.h"

#define SIGNATURE_HEADER "x-hub-signature-256"
#define PARAM_MAX 512

static json_t *answer_raw(int status, const char *content_type, const char *body)
{
    return json_pack("{s:i, s:s, s:s, s:s}", "status", status, "content_type", content_type,
                     "body", body, "allow", "GET, POST");
}

/* Steals payload. */
static json_t *answer(int status, json_t *payload)
{
    char *body = payload != NULL ? json_dumps(payload, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(payload);
    if (body == NULL)
        return NULL;
    json_t *result = answer_raw(status, "application/json", body);
    free(body);
    return result;
}

static json_t *answer_error(int status, const char *code, const char *message)
{
    return answer(status, json_pack("{s:s, s:s}", "error", code, "message", message));
}

/* The decoded value of query parameter `name` into buf; false when
 * absent, empty, malformed or too long. */
static bool query_param(const char *query, const char *name, char *buf, size_t buflen)
{
    size_t nlen = strlen(name);
    for (const char *p = query; p != NULL && *p != '\0';) {
        const char *end = strchr(p, '&');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        if (len > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
            size_t o = 0;
            for (size_t i = nlen + 1; i < len; i++) {
                int c = (unsigned char)p[i];
                if (c == '%') {
                    if (i + 2 >= len)
                        return false;
                    int h = gw_sdk_hex_value(p[i + 1]), l = gw_sdk_hex_value(p[i + 2]);
                    if (h < 0 || l < 0 || (h == 0 && l == 0))
                        return false;
                    c = h * 16 + l;
                    i += 2;
                } else if (c == '+') {
                    c = ' ';
                }
                if (o + 1 >= buflen)
                    return false;
                buf[o++] = (char)c;
            }
            buf[o] = '\0';
            return o > 0;
        }
        p = end != NULL ? end + 1 : NULL;
    }
    return false;
}

static const char *request_header(const gw_webhook_request *req, const char *name)
{
    for (size_t i = 0; i < req->header_count; i++) {
        if (req->headers[i].name != NULL && strcmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    }
    return NULL;
}

static json_t *handshake(gw_instance *inst, const gw_webhook_request *req)
{
    char mode[32], token[PARAM_MAX], challenge[PARAM_MAX];
    if (!query_param(req->query, "hub.mode", mode, sizeof mode) ||
        !query_param(req->query, "hub.challenge", challenge, sizeof challenge))
        return answer_error(400, "bad_handshake",
                            "a GET to a Facebook webhook is the subscription handshake and needs "
                            "hub.mode, hub.verify_token and hub.challenge");
    if (inst->opt.verify_token == NULL) {
        inst->host->log(inst->acct, GW_LOG_ERROR,
                        "facebook: webhook handshake refused: verify_token is not configured");
        return answer_error(403, "not_configured", "this account has no verify_token");
    }
    bool token_ok = query_param(req->query, "hub.verify_token", token, sizeof token) &&
                    gw_sdk_ct_streq(token, inst->opt.verify_token);
    memset(token, 0, sizeof token);
    if (strcmp(mode, "subscribe") != 0 || !token_ok) {
        inst->host->log(inst->acct, GW_LOG_WARN, "facebook: webhook handshake refused: %s",
                        token_ok ? "hub.mode is not subscribe" : "wrong hub.verify_token");
        return answer_error(403, "forbidden", "hub.mode or hub.verify_token is wrong");
    }
    /* Facebook's challenge is a number; echo nothing but visible ASCII (a
     * byte that is not UTF-8 cannot even go into the answer). */
    for (const char *c = challenge; *c != '\0'; c++)
        if (*c < 0x21 || *c > 0x7e)
            return answer_error(400, "bad_handshake", "hub.challenge must be visible ASCII");
    inst->host->log(inst->acct, GW_LOG_INFO, "facebook: answered the webhook handshake");
    return answer_raw(200, "text/plain", challenge);
}

static int emit_event(void *arg, json_t *event)
{
    gw_instance *inst = arg;
    fb_note_inbound(inst, event); /* before emit() takes the event */
    return inst->host->emit(inst->acct, event);
}

static json_t *delivery(gw_instance *inst, const gw_webhook_request *req)
{
    const gw_host *host = inst->host;
    if (inst->opt.app_secret == NULL) {
        host->log(inst->acct, GW_LOG_ERROR,
                  "facebook: a webhook delivery arrived but app_secret is not configured, so it "
                  "cannot be verified");
        return answer_error(401, "not_configured",
                            "this account has no app_secret to verify deliveries with");
    }
    const char *given = request_header(req, SIGNATURE_HEADER);
    unsigned char mac[GW_SDK_SHA256_SIZE];
    char expected[8 + 2 * GW_SDK_SHA256_SIZE + 1] = "sha256=";
    gw_sdk_hmac_sha256(inst->opt.app_secret, strlen(inst->opt.app_secret), req->body,
                       req->body_len, mac);
    gw_sdk_hex_encode(mac, sizeof mac, expected + 7, sizeof expected - 7);
    if (given == NULL || !gw_sdk_ct_streq(given, expected)) {
        host->log(inst->acct, GW_LOG_WARN,
                  "facebook: webhook delivery refused: %s X-Hub-Signature-256",
                  given == NULL ? "no" : "a wrong");
        return answer_error(401, "invalid_signature",
                            "X-Hub-Signature-256 is missing or does not match the body");
    }
    json_t *doc = json_loadb((const char *)req->body, req->body_len, 0, NULL);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return answer_error(400, "bad_json", "the delivery is not a JSON object");
    }
    fb_stats st;
    fb_webhook_payload(&inst->brand, doc, emit_event, inst, &st);
    json_decref(doc);
    if (st.stopped)
        return answer_error(503, "shutting_down", "the account is stopping; deliver again later");
    if (st.invalid > 0)
        host->log(inst->acct, GW_LOG_WARN,
                  "facebook: webhook delivery: %zu item%s without a usable id or refused",
                  st.invalid, st.invalid == 1 ? "" : "s");
    return answer(200, json_pack("{s:I, s:I}", "accepted", (json_int_t)st.emitted, "ignored",
                                 (json_int_t)(st.items - st.emitted)));
}

json_t *fb_webhook_handle(gw_instance *inst, const gw_webhook_request *req)
{
    if (req->method != NULL && strcmp(req->method, "GET") == 0)
        return handshake(inst, req);
    if (req->method != NULL && strcmp(req->method, "POST") == 0)
        return delivery(inst, req);
    return answer_error(405, "method_not_allowed",
                        "Facebook webhooks are GET (handshake) or POST");
}
