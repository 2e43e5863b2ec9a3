/* plugins/mock/webhook.c - pushed deliveries to the mock network.
 *
 * Lets a test push events through the host's webhook path instead of
 * waiting for a fetch. A delivery is a POST whose body is a JSON array of
 * event objects (a single object is taken as an array of one), in the
 * same shape as scenario lines (see scenario.c). Every item is emitted in
 * order; the answer is
 *   200 {"accepted": N, "rejected": M}   items the host took / refused,
 *   400 {"error": "invalid_json" or "invalid_delivery", "message": "..."},
 *   405 {"error": "method_not_allowed", "message": "..."} not a POST
 *                                        (with "allow": "POST" for the host's
 *                                        Allow header),
 *   503 {"error": "shutting_down", "message": "..."} the account is stopping.
 * There is no signature to verify: the mock network trusts everyone.
 */
#include <stdlib.h>
#include <string.h>

#include "mock.h"

/* The answer for complete(): {"status", "content_type", "body"} where
 * body is `payload` serialised. Steals payload. */
static json_t *webhook_answer(int status, json_t *payload)
{
    char *body = payload != NULL ? json_dumps(payload, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(payload);
    if (body == NULL)
        return NULL;
    json_t *answer = json_pack("{s:i, s:s, s:s, s:s}", "status", status, "content_type",
                               "application/json", "body", body, "allow", "POST");
    free(body);
    return answer;
}

/* Errors in the host's shape: a stable code and a line for a person. */
static json_t *webhook_error(int status, const char *code, const char *message)
{
    return webhook_answer(status, json_pack("{s:s, s:s}", "error", code, "message", message));
}

json_t *mock_webhook_handle(gw_instance *inst, const gw_webhook_request *req)
{
    const gw_host *host = inst->host;
    if (req->method == NULL || strcmp(req->method, "POST") != 0)
        return webhook_error(405, "method_not_allowed",
                             "the mock webhook takes a POST of a JSON event array");

    json_error_t jerr;
    json_t *doc = json_loadb((const char *)req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL) {
        char reason[256];
        snprintf(reason, sizeof reason, "body is not JSON: line %d column %d: %s", jerr.line,
                 jerr.column, jerr.text);
        return webhook_error(400, "invalid_json", reason);
    }
    if (json_is_object(doc)) {
        json_t *array = json_array();
        json_array_append_new(array, doc); /* steals doc, even on failure */
        doc = array;
    }
    if (!json_is_array(doc)) {
        json_decref(doc);
        return webhook_error(400, "invalid_delivery", "body must be a JSON array of event objects");
    }

    int64_t now = (int64_t)host->now_ms(inst->acct);
    size_t accepted = 0, rejected = 0;
    bool stopping = false;
    size_t index;
    json_t *item;
    json_array_foreach(doc, index, item)
    {
        char reason[128];
        if (mock_event_prepare(item, now, reason, sizeof reason) < 0) {
            host->log(inst->acct, GW_LOG_WARN, "mock: webhook item %zu refused: %s", index, reason);
            rejected++;
            continue;
        }
        int rc = host->emit(inst->acct, json_incref(item)); /* emit steals one reference */
        if (rc == GW_ESTATE) {
            stopping = true;
            break;
        }
        if (rc < 0)
            rejected++;
        else
            accepted++;
    }
    json_decref(doc);
    if (stopping)
        return webhook_error(503, "shutting_down", "the account is stopping; deliver again later");
    return webhook_answer(200, json_pack("{s:I, s:I}", "accepted", (json_int_t)accepted, "rejected",
                                         (json_int_t)rejected));
}
