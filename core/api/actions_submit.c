/* actions_submit.c - one action request, whatever carried it; see
 * actions_submit.h.
 *
 * The shape of request bodies (400), the mapping of the outbox's verdicts
 * to statuses, and answers held until the commit that makes them true.
 * The outbox (outbox.c) decides everything about the action itself.
 */
#include "api/actions_submit.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/actions_request.h"
#include "engine/outbox.h"
#include "engine/outbox_prune.h"
#include "engine/outbox_submit.h"

/* ---- answers ------------------------------------------------------------- */

/* Answer body (steals) as compact JSON. */
static void answer_json(int status, json_t *body, const char *location, actions_answer_fn answer,
                        void *arg)
{
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (text == NULL) {
        actions_answer_error(500, "internal_error", "the answer could not be built", answer, arg);
        return;
    }
    answer(arg, status, text, strlen(text), location);
    free(text);
}

/* {"error", "message"} plus the members of extra (steals; may be NULL). */
static void answer_error_with(int status, const char *code, const char *message, json_t *extra,
                              actions_answer_fn answer, void *arg)
{
    json_t *body = json_pack("{s:s, s:s}", "error", code, "message", message);
    if (body != NULL && extra != NULL)
        json_object_update(body, extra);
    json_decref(extra);
    if (body == NULL) {
        static const char fallback[] =
            "{\"error\":\"internal_error\",\"message\":\"out of memory\"}";
        answer(arg, 500, fallback, sizeof fallback - 1, NULL);
        return;
    }
    answer_json(status, body, NULL, answer, arg);
}

void actions_answer_error(int status, const char *code, const char *message,
                          actions_answer_fn answer, void *arg)
{
    answer_error_with(status, code, message, NULL, answer, arg);
}

typedef struct deferred_answer {
    actions_answer_fn answer;
    void *arg;
    int status;
    json_t *body;      /* owned */
    char location[96]; /* "" or the Location header's value */
} deferred_answer;

/* The body was built from the state of this tick; it goes out once that
 * state is durable, so the client is never told more than a crash would
 * leave behind. */
static void answer_committed(void *arg, int committed)
{
    deferred_answer *d = arg;
    if (!committed) {
        json_decref(d->body);
        actions_answer_error(503, "store_unavailable",
                             "the outbox could not be stored; send the request again", d->answer,
                             d->arg);
    } else {
        answer_json(d->status, d->body, d->location[0] != '\0' ? d->location : NULL, d->answer,
                    d->arg);
    }
    free(d);
}

void actions_answer_after_commit(gw_runtime *rt, int status, json_t *body, const char *action_id,
                                 actions_answer_fn answer, void *arg)
{
    deferred_answer *d = calloc(1, sizeof *d);
    if (d == NULL || body == NULL) {
        free(d);
        json_decref(body);
        actions_answer_error(503, "out_of_memory", "try again later", answer, arg);
        return;
    }
    d->answer = answer;
    d->arg = arg;
    d->status = status;
    d->body = body;
    if (action_id != NULL)
        snprintf(d->location, sizeof d->location, "/v1/actions/%s", action_id);
    if (runtime_after_commit(rt, answer_committed, d) != GW_OK) {
        json_decref(body);
        free(d);
        actions_answer_error(503, "out_of_memory", "try again later", answer, arg);
    }
}

/* ---- POST /v1/actions ---------------------------------------------------- */

/* The refusals: status and error code of each verdict. */
static void answer_refusal(const outbox_result *res, actions_answer_fn answer, void *arg)
{
    int status = 500;
    const char *code = "internal_error";
    json_t *extra = NULL;
    switch (res->verdict) {
    case OUTBOX_EMPTY_TEXT:
        status = 400;
        code = "empty_text";
        extra = json_pack("{s:I}", "limit", (json_int_t)res->limit);
        break;
    case OUTBOX_KEY_REUSED:
        status = 422;
        code = "idempotency_key_reused";
        extra = json_pack("{s:s}", "action_id", res->action_id);
        break;
    case OUTBOX_UNKNOWN_ACCOUNT:
        status = 404;
        code = "unknown_account";
        break;
    case OUTBOX_ACCOUNT_STOPPED:
        status = 409;
        code = "account_stopped";
        break;
    case OUTBOX_UNKNOWN_EVENT:
        status = 404;
        code = "unknown_event";
        break;
    case OUTBOX_NOT_ANSWERABLE:
        status = 422;
        code = "not_answerable";
        break;
    case OUTBOX_UNSUPPORTED:
        status = 422;
        code = "unsupported";
        break;
    case OUTBOX_REFUSED:
        status = 422;
        code = "refused_by_network";
        break;
    case OUTBOX_NO_RECIPIENT:
        status = 422;
        code = "no_recipient";
        break;
    case OUTBOX_TEXT_TOO_LONG:
        status = 422;
        code = "text_too_long";
        extra = json_pack("{s:I, s:I}", "limit", (json_int_t)res->limit, "length",
                          (json_int_t)res->length);
        break;
    case OUTBOX_COLLISION:
        status = 409;
        code = "collision";
        extra = json_pack("{s:s}", "action_id", res->action_id);
        break;
    case OUTBOX_STOPPING:
        status = 503;
        code = "shutting_down";
        break;
    case OUTBOX_STORE_ERROR:
        status = 503;
        code = "store_unavailable";
        break;
    case OUTBOX_CREATED:
    case OUTBOX_EXISTING:
        break;
    }
    answer_error_with(status, code, res->message, extra, answer, arg);
}

void actions_submit(gw_runtime *rt, const unsigned char *raw, size_t len,
                    const char *idempotency_key, actions_answer_fn answer, void *arg)
{
    store_status health;
    store_status_get(rt->store, &health);
    if (health.failing_since_ms != 0) { /* it could not be stored: say so before trying */
        actions_answer_error(503, "store_unavailable",
                             "the store is failing (see GET /readyz); send it again later", answer,
                             arg);
        return;
    }
    json_t *body = NULL;
    outbox_request req;
    const char *code = NULL;
    char why[320];
    if (actions_request_parse(raw, len, idempotency_key, &body, &req, &code, why, sizeof why) !=
        0) {
        actions_answer_error(400, code, why, answer, arg);
        return;
    }
    outbox_result res;
    int rc = outbox_submit(rt->outbox, &req, &res);
    if (rc != GW_OK) {
        json_decref(body);
        actions_answer_error(500, "internal_error", gw_strerror(rc), answer, arg);
        return;
    }
    if (res.verdict != OUTBOX_CREATED && res.verdict != OUTBOX_EXISTING) {
        json_decref(body);
        answer_refusal(&res, answer, arg);
        return;
    }
    json_t *doc = NULL;
    rc = outbox_action_get(rt->outbox, res.action_id, &doc);
    if (rc == GW_ENOENT && res.verdict == OUTBOX_EXISTING) /* pruned: what its kept key says */
        rc = outbox_action_get_pruned(rt->outbox, req.idempotency_key, &doc);
    json_decref(body); /* req's strings were borrowed from it */
    if (rc != GW_OK) {
        actions_answer_error(503, "store_unavailable", "the action could not be read", answer, arg);
        return;
    }
    /* 202: accepted now, done later; 200: an idempotent repeat, answered
     * with the action as it stands. */
    int created = res.verdict == OUTBOX_CREATED;
    actions_answer_after_commit(rt, created ? 202 : 200, doc, res.action_id, answer, arg);
}
