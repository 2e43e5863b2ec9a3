/* plugins/forum/webhook.c - Discourse webhook deliveries.
 *
 * A Discourse webhook POSTs JSON with X-Discourse-Event (post_created,
 * topic_created, ...), X-Discourse-Event-Type and X-Discourse-Event-Signature:
 * "sha256=" + hex(HMAC-SHA256(secret, raw body)). The signature is checked
 * first, over the exact bytes received and in constant time; without a
 * configured webhook_secret, or with a missing or wrong signature, the
 * answer is 401 and nothing is looked at further. Then:
 *   {"ping": "OK"}                   -> 200, nothing emitted (the forum's test);
 *   post_created / post_edited with {"post": {...}}
 *                                    -> the post normalised and emitted (an
 *                                       edit of a post the gateway holds is
 *                                       dropped by the host as a duplicate);
 *   anything else signed             -> 200, ignored (topic_created also
 *                                       sends post_created for its first post);
 *   signed but not JSON              -> 400.
 * The host sends the answer only after the emitted items are committed, so
 * a 200 means stored and Discourse's redelivery covers everything else.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "forum.h"

#define SIGNATURE_PREFIX "sha256="

/* The answer for complete(): {"status", "content_type", "body", "allow"}
 * with body = payload serialised (steals payload). "allow" is what a 405
 * names in its Allow header: Discourse only POSTs. */
static json_t *answer_json(int status, json_t *payload)
{
    char *body = payload != NULL ? json_dumps(payload, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(payload);
    if (body == NULL)
        return NULL;
    json_t *result = json_pack("{s:i, s:s, s:s, s:s}", "status", status, "content_type",
                               "application/json", "body", body, "allow", "POST");
    free(body);
    return result;
}

/* 200 {"status": what, "accepted": count}. */
static json_t *answer(const char *what, json_int_t count)
{
    return answer_json(200, json_pack("{s:s, s:I}", "status", what, "accepted", count));
}

/* An error in the host's shape: {"error": code, "message": text}. */
static json_t *answer_error(int status, const char *code, const char *message)
{
    return answer_json(status, json_pack("{s:s, s:s}", "error", code, "message", message));
}

static void finish(gw_instance *inst, gw_op *op, json_t *result)
{
    if (result == NULL)
        inst->host->complete(op, GW_OUTCOME_RETRY, 0, "forum: out of memory", NULL);
    else
        inst->host->complete(op, GW_OUTCOME_OK, 0, NULL, result);
}

static const char *header(const gw_webhook_request *req, const char *name)
{
    for (size_t i = 0; i < req->header_count; i++)
        if (req->headers[i].name != NULL && strcmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

/* True when the delivery carries the right signature for secret. */
static bool signature_valid(const char *secret, const gw_webhook_request *req)
{
    const char *given = header(req, "x-discourse-event-signature");
    if (secret == NULL || given == NULL)
        return false;
    size_t prefix = strlen(SIGNATURE_PREFIX);
    if (strncmp(given, SIGNATURE_PREFIX, prefix) != 0)
        return false;
    given += prefix;
    unsigned char mac[GW_SDK_SHA256_SIZE];
    char expected[2 * GW_SDK_SHA256_SIZE + 1], lower[2 * GW_SDK_SHA256_SIZE + 1];
    gw_sdk_hmac_sha256(secret, strlen(secret), req->body, req->body_len, mac);
    gw_sdk_hex_encode(mac, sizeof mac, expected, sizeof expected);
    /* Hex digits compare case-insensitively; the length is no secret. */
    if (strlen(given) != 2 * GW_SDK_SHA256_SIZE)
        return false;
    for (size_t i = 0; i < 2 * GW_SDK_SHA256_SIZE; i++)
        lower[i] = (char)tolower((unsigned char)given[i]);
    lower[2 * GW_SDK_SHA256_SIZE] = '\0';
    return gw_sdk_ct_equal(expected, lower, 2 * GW_SDK_SHA256_SIZE) == 1;
}

void forum_webhook(gw_instance *inst, gw_op *op, const gw_webhook_request *req)
{
    const gw_host *host = inst->host;
    if (req->method == NULL || strcmp(req->method, "POST") != 0) {
        finish(inst, op, answer_error(405, "method_not_allowed", "a Discourse webhook is a POST"));
        return;
    }
    if (inst->opt.webhook_secret == NULL) {
        host->log(inst->acct, GW_LOG_WARN,
                  "forum: webhook delivery refused: no webhook_secret is configured");
        finish(inst, op,
               answer_error(401, "not_configured", "webhooks are not configured for this account"));
        return;
    }
    if (!signature_valid(inst->opt.webhook_secret, req)) {
        host->log(inst->acct, GW_LOG_WARN,
                  "forum: webhook delivery refused: missing or wrong X-Discourse-Event-Signature");
        finish(
            inst, op,
            answer_error(401, "invalid_signature", "missing or wrong X-Discourse-Event-Signature"));
        return;
    }

    json_error_t jerr;
    json_t *doc = json_loadb((const char *)req->body, req->body_len, 0, &jerr);
    if (!json_is_object(doc)) {
        json_decref(doc);
        finish(inst, op, answer_error(400, "bad_json", "the body is not a JSON object"));
        return;
    }
    const char *event = header(req, "x-discourse-event");
    const json_t *post = json_object_get(doc, "post");
    if (json_object_get(doc, "ping") != NULL || !json_is_object(post) ||
        (event != NULL && strcmp(event, "post_created") != 0 &&
         strcmp(event, "post_edited") != 0)) {
        json_decref(doc);
        finish(inst, op, answer("ignored", 0));
        return;
    }

    forum_context ctx = forum_context_for(inst);
    json_t *item;
    char why[128];
    int64_t id = 0, topic, number;
    forum_json_id(post, "id", &id);
    if (forum_json_id(post, "topic_id", &topic) && forum_json_id(post, "post_number", &number))
        forum_refs_add(inst, topic, number, id);
    forum_verdict verdict = forum_normalise_post(&ctx, post, &item, why, sizeof why);
    json_decref(doc);
    if (verdict != FORUM_EVENT) {
        host->log(inst->acct, verdict == FORUM_INVALID ? GW_LOG_WARN : GW_LOG_DEBUG,
                  "forum: webhook post %lld not delivered: %s", (long long)id, why);
        finish(inst, op, answer("ignored", 0));
        return;
    }
    int rc = host->emit(inst->acct, item); /* steals item */
    if (rc == GW_ESTATE) {
        finish(inst, op,
               answer_error(503, "shutting_down", "the account is stopping; deliver again later"));
        return;
    }
    if (rc < 0) {
        host->log(inst->acct, GW_LOG_WARN, "forum: webhook post %lld refused by the host: %s",
                  (long long)id, gw_strerror(rc));
        finish(inst, op, answer("refused", 0));
        return;
    }
    finish(inst, op, answer("ok", 1));
}
