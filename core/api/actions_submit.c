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

#include "engine/outbox.h"
#include "engine/outbox_prune.h"
#include "engine/outbox_submit.h"

/* Longest network name, account name and event id accepted in a body;
 * longer ones cannot name anything that exists. */
#define NAME_MAX_BYTES 128
#define ID_MAX_BYTES 512

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

static const char *const request_members[] = {
    "network", "account", "kind", "in_reply_to", "to", "text", "idempotency_key", "force", NULL};

/* A string member of min to max bytes: absent or null -> *out NULL.
 * Returns 0 or 1 after writing a reason into why. */
static int member_text(const json_t *body, const char *key, size_t min, size_t max,
                       const char **out, char *why, size_t whylen)
{
    const json_t *v = json_object_get(body, key);
    *out = NULL;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v)) {
        snprintf(why, whylen, "\"%s\" must be a string", key);
        return 1;
    }
    if (json_string_length(v) < min || json_string_length(v) > max) {
        snprintf(why, whylen, "\"%s\" must hold %zu to %zu bytes", key, min, max);
        return 1;
    }
    if (strlen(json_string_value(v)) != json_string_length(v)) {
        snprintf(why, whylen, "\"%s\" must not contain NUL characters", key);
        return 1;
    }
    *out = json_string_value(v);
    return 0;
}

/* A string member of 1 to max bytes: absent or null -> *out NULL.
 * Returns 0 or 1 after writing a reason into why. */
static int member_string(const json_t *body, const char *key, size_t max, const char **out,
                         char *why, size_t whylen)
{
    return member_text(body, key, 1, max, out, why, whylen);
}

/* Check the body's shape and fill req (strings borrowed from body).
 * Returns 0, or 1 with a one-line reason in why. */
static int parse_request(const json_t *body, outbox_request *req, char *why, size_t whylen)
{
    memset(req, 0, sizeof *req);
    if (!json_is_object(body)) {
        snprintf(why, whylen, "the body must be a JSON object");
        return 1;
    }
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)body, key, v)
    {
        size_t i = 0;
        while (request_members[i] != NULL && strcmp(request_members[i], key) != 0)
            i++;
        if (request_members[i] == NULL) {
            snprintf(why, whylen,
                     "unknown member \"%.64s\"; expected network, account, kind, in_reply_to, "
                     "to, text, idempotency_key, force",
                     key);
            return 1;
        }
    }
    const char *kind = NULL;
    if (member_string(body, "network", NAME_MAX_BYTES, &req->network, why, whylen) ||
        member_string(body, "account", NAME_MAX_BYTES, &req->account, why, whylen) ||
        member_string(body, "kind", 16, &kind, why, whylen) ||
        member_string(body, "in_reply_to", ID_MAX_BYTES, &req->in_reply_to, why, whylen) ||
        member_string(body, "to", ID_MAX_BYTES, &req->to, why, whylen) ||
        /* The outbox judges the text: an empty or blank one, and its
         * length in characters against what the network takes. The body's
         * own limit ([http] max_body) bounds its bytes. */
        member_text(body, "text", 0, SIZE_MAX, &req->text, why, whylen) ||
        member_string(body, "idempotency_key", OUTBOX_KEY_MAX, &req->idempotency_key, why, whylen))
        return 1;
    const char *missing = req->network == NULL           ? "network"
                          : req->account == NULL         ? "account"
                          : kind == NULL                 ? "kind"
                          : req->text == NULL            ? "text"
                          : req->idempotency_key == NULL ? "idempotency_key"
                                                         : NULL;
    if (missing != NULL) {
        snprintf(why, whylen, "\"%s\" is required", missing);
        return 1;
    }
    if (strcmp(kind, "reply") == 0) {
        req->kind = OUTBOX_REPLY;
    } else if (strcmp(kind, "private") == 0) {
        req->kind = OUTBOX_PRIVATE;
    } else {
        snprintf(why, whylen, "\"kind\" must be \"reply\" or \"private\"");
        return 1;
    }
    const json_t *force = json_object_get(body, "force");
    if (force != NULL && !json_is_boolean(force) && !json_is_null(force)) {
        snprintf(why, whylen, "\"force\" must be true or false");
        return 1;
    }
    req->force = json_is_true(force);
    if (req->kind == OUTBOX_REPLY && req->in_reply_to == NULL) {
        snprintf(why, whylen, "a reply needs \"in_reply_to\" (the event id answered)");
        return 1;
    }
    if (req->kind == OUTBOX_REPLY && req->to != NULL) {
        snprintf(why, whylen, "\"to\" is only for kind \"private\"; a reply goes to the thread");
        return 1;
    }
    if (req->kind == OUTBOX_PRIVATE && req->in_reply_to == NULL && req->to == NULL) {
        snprintf(why, whylen,
                 "a private message needs \"to\" (the recipient) or "
                 "\"in_reply_to\" (an event whose author receives it)");
        return 1;
    }
    return 0;
}

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

/* A key given beside the body stands for its missing member; 0, or 1
 * with a reason in why. */
static int merge_key(json_t *body, const char *key, char *why, size_t whylen)
{
    if (key == NULL || !json_is_object(body))
        return 0;
    const json_t *member = json_object_get(body, "idempotency_key");
    if (member == NULL || json_is_null(member))
        return json_object_set_new(body, "idempotency_key", json_string(key)) != 0 ? 1 : 0;
    if (!json_is_string(member) || strcmp(json_string_value(member), key) != 0) {
        snprintf(why, whylen, "the Idempotency-Key header and \"idempotency_key\" differ");
        return 1;
    }
    return 0;
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
    json_error_t jerr;
    json_t *body = json_loadb((const char *)raw, len, JSON_REJECT_DUPLICATES, &jerr);
    char why[320];
    if (body == NULL) {
        snprintf(why, sizeof why, "the body is not JSON: line %d, column %d: %s", jerr.line,
                 jerr.column, jerr.text);
        actions_answer_error(400, "invalid_json", why, answer, arg);
        return;
    }
    outbox_request req;
    if (merge_key(body, idempotency_key, why, sizeof why) != 0 ||
        parse_request(body, &req, why, sizeof why) != 0) {
        json_decref(body);
        actions_answer_error(400, "invalid_request", why, answer, arg);
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
