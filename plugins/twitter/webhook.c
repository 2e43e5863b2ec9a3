/* plugins/twitter/webhook.c - Account Activity API deliveries.
 *
 * X proves it is X in two ways, both keyed with the app's consumer
 * secret:
 *   - the CRC: GET ?crc_token=T, answered 200 with
 *     {"response_token": "sha256=" + base64(HMAC-SHA256(secret, T))}
 *     when the webhook is registered and then periodically; a webhook
 *     that stops answering is disabled by X;
 *   - every POST carries x-twitter-webhooks-signature:
 *     "sha256=" + base64(HMAC-SHA256(secret, raw body)), compared here in
 *     constant time over the exact bytes received. A missing or wrong
 *     signature gets 401 and nothing is emitted.
 * A valid delivery's tweets and DMs are normalised (normalise.c) and
 * emitted; the host sends our 200 only after they are committed, so X
 * redelivers anything we might have lost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twitter.h"

#define SIGNATURE_HEADER "x-twitter-webhooks-signature"
#define CRC_TOKEN_MAX 1024

/* {"status", "content_type", "body", "allow"} with body = payload
 * serialised; "allow" is what a 405 names in its Allow header. Steals
 * payload. */
static json_t *answer(int status, json_t *payload)
{
    char *body = payload != NULL ? json_dumps(payload, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(payload);
    if (body == NULL)
        return NULL;
    json_t *result = json_pack("{s:i, s:s, s:s, s:s}", "status", status, "content_type",
                               "application/json", "body", body, "allow", "GET, POST");
    free(body);
    return result;
}

static json_t *answer_error(int status, const char *code, const char *message)
{
    return answer(status, json_pack("{s:s, s:s}", "error", code, "message", message));
}

/* The decoded value of query parameter `name` into buf; false when
 * absent, malformed or too long. */
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
                    if (i + 2 >= len) /* two hex digits must follow */
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

/* "sha256=" + base64(HMAC-SHA256(secret, data)) into out. */
static void signature(const char *secret, const void *data, size_t len, char *out, size_t outlen)
{
    unsigned char mac[GW_SDK_SHA256_SIZE];
    char b64[GW_SDK_BASE64_SIZE(GW_SDK_SHA256_SIZE)];
    gw_sdk_hmac_sha256(secret, strlen(secret), data, len, mac);
    gw_sdk_base64_encode(mac, sizeof mac, b64, sizeof b64);
    snprintf(out, outlen, "sha256=%s", b64);
}

static const char *request_header(const gw_webhook_request *req, const char *name)
{
    for (size_t i = 0; i < req->header_count; i++) {
        if (req->headers[i].name != NULL && strcmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    }
    return NULL;
}

static json_t *crc_answer(gw_instance *inst, const gw_webhook_request *req)
{
    char token[CRC_TOKEN_MAX];
    if (!query_param(req->query, "crc_token", token, sizeof token))
        return answer_error(400, "missing_crc_token",
                            "a GET to an X webhook is a CRC check and needs ?crc_token=");
    char response[64];
    signature(inst->opt.oauth.consumer_secret, token, strlen(token), response, sizeof response);
    inst->host->log(inst->acct, GW_LOG_INFO, "twitter: answered X's webhook CRC check");
    return answer(200, json_pack("{s:s}", "response_token", response));
}

static int emit_event(void *arg, json_t *event)
{
    gw_instance *inst = arg;
    return inst->host->emit(inst->acct, event);
}

static json_t *delivery(gw_instance *inst, const gw_webhook_request *req)
{
    const gw_host *host = inst->host;
    const char *given = request_header(req, SIGNATURE_HEADER);
    char expected[64];
    signature(inst->opt.oauth.consumer_secret, req->body, req->body_len, expected, sizeof expected);
    if (given == NULL || !gw_sdk_ct_streq(given, expected)) {
        host->log(inst->acct, GW_LOG_WARN,
                  "twitter: webhook delivery refused: %s x-twitter-webhooks-signature",
                  given == NULL ? "no" : "a wrong");
        return answer_error(401, "invalid_signature",
                            "x-twitter-webhooks-signature is missing or does not match the body");
    }

    json_error_t jerr;
    json_t *doc = json_loadb((const char *)req->body, req->body_len, 0, &jerr);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return answer_error(400, "bad_json", "the delivery is not a JSON object");
    }
    tw_page_stats st;
    tw_webhook_payload(&inst->brand, doc, emit_event, inst, &st);
    json_decref(doc);
    if (st.stopped)
        return answer_error(503, "shutting_down", "the account is stopping; deliver again later");
    if (st.invalid > 0)
        host->log(inst->acct, GW_LOG_WARN,
                  "twitter: webhook delivery: %zu item%s without a usable id or refused",
                  st.invalid, st.invalid == 1 ? "" : "s");
    return answer(200, json_pack("{s:I, s:I}", "accepted", (json_int_t)st.emitted, "ignored",
                                 (json_int_t)(st.items - st.emitted)));
}

json_t *tw_webhook_handle(gw_instance *inst, const gw_webhook_request *req)
{
    if (inst->opt.oauth.consumer_secret == NULL) {
        inst->host->log(inst->acct, GW_LOG_ERROR,
                        "twitter: a webhook request arrived but consumer_secret is not "
                        "configured, so it cannot be verified");
        return answer_error(500, "not_configured",
                            "this account has no consumer_secret to verify X's webhooks with");
    }
    if (req->method != NULL && strcmp(req->method, "GET") == 0)
        return crc_answer(inst, req);
    if (req->method != NULL && strcmp(req->method, "POST") == 0)
        return delivery(inst, req);
    return answer_error(405, "method_not_allowed", "X webhooks are GET (CRC) or POST");
}
