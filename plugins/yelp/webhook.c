/* plugins/yelp/webhook.c - partner webhook deliveries.
 *
 * Yelp documents no signature over its deliveries, so the webhook URL
 * carries a secret instead: /webhooks/yelp/<account>?token=<webhook_token>,
 * compared in constant time. Without webhook_token configured every
 * request is refused (403); a missing or wrong token gets 401 and nothing
 * happens.
 *   - the handshake: GET ?verification=<value> is answered 200 with
 *     {"verification": "<value>"} (Yelp echoes the value; the body shape
 *     is not documented beyond that);
 *   - a POST delivery {"time", "object": "business", "data": {"id",
 *     "updates": [...]}}: each NEW_REVIEW_EVENT (review_id, rating,
 *     user_id) queues an immediate read of the reviews, each lead
 *     NEW_EVENT (lead_id) an immediate read of that lead's new events
 *     (fetch.c). The delivery is answered at once; the events follow when
 *     the reads come back, and the host drops repeats by id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yelp.h"

#define PARAM_MAX 256

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

static bool alnum(const char *s)
{
    size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
    return n > 0 && s[n] == '\0';
}

json_t *yelp_webhook_handle(gw_instance *inst, const gw_webhook_request *req)
{
    if (inst->opt.webhook_token == NULL)
        return answer_error(403, "webhooks_disabled",
                            "this account takes no webhooks: set webhook_token");
    char token[PARAM_MAX];
    if (!query_param(req->query, "token", token, sizeof token) ||
        !gw_sdk_ct_streq(token, inst->opt.webhook_token))
        return answer_error(401, "bad_token",
                            "the webhook URL's token is missing or wrong");
    char value[PARAM_MAX];
    if (strcmp(req->method, "GET") == 0) {
        if (!query_param(req->query, "verification", value, sizeof value) || !alnum(value))
            return answer_error(400, "bad_request",
                                "a GET is Yelp's handshake and needs ?verification=<value>");
        return answer(200, json_pack("{s:s}", "verification", value));
    }
    json_t *doc = json_loadb((const char *)req->body, req->body_len, 0, NULL);
    yelp_update updates[YELP_UPDATES_MAX];
    int n = doc != NULL ? yelp_webhook_updates(doc, inst->opt.business_id, updates,
                                               YELP_UPDATES_MAX)
                        : GW_EPARSE;
    json_decref(doc);
    if (n < 0)
        return answer_error(400, "bad_payload", "not a Yelp delivery: no data.updates array");
    int reviews = 0, leads = 0;
    for (int i = 0; i < n; i++) {
        if (updates[i].review) {
            yelp_fetch_review_now(inst, &updates[i]);
            reviews++;
        } else if (inst->opt.partner_token != NULL) {
            yelp_fetch_lead_now(inst, updates[i].id);
            leads++;
        }
    }
    return answer(200, json_pack("{s:b, s:i, s:i}", "ok", 1, "reviews", reviews, "leads", leads));
}
