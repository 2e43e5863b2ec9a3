/* actions_request.c - the body of one action request read and checked; see
 * actions_request.h.
 *
 * Pure: no runtime, no outbox, no I/O, so the fuzzer
 * (tests/fuzz/fuzz_actions_request.c) reaches every branch of it.
 */
#include "api/actions_request.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Longest network name, account name and event id accepted in a body;
 * longer ones cannot name anything that exists. */
#define NAME_MAX_BYTES 128
#define ID_MAX_BYTES 512

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

/* A key given beside the body stands for its missing member; 0, or 1
 * with a reason in why. */
static int merge_key(json_t *body, const char *key, char *why, size_t whylen)
{
    if (key == NULL || !json_is_object(body))
        return 0;
    const json_t *member = json_object_get(body, "idempotency_key");
    if (member == NULL || json_is_null(member)) {
        /* A header is bytes: one that is not UTF-8 cannot be a JSON string. */
        json_t *value = json_string(key);
        if (value == NULL) {
            snprintf(why, whylen, "the Idempotency-Key header is not valid UTF-8");
            return 1;
        }
        if (json_object_set_new(body, "idempotency_key", value) != 0) {
            snprintf(why, whylen, "out of memory reading the Idempotency-Key header");
            return 1;
        }
        return 0;
    }
    if (!json_is_string(member) || strcmp(json_string_value(member), key) != 0) {
        snprintf(why, whylen, "the Idempotency-Key header and \"idempotency_key\" differ");
        return 1;
    }
    return 0;
}

int actions_request_parse(const unsigned char *raw, size_t len, const char *idempotency_key,
                          json_t **body_out, outbox_request *req, const char **code, char *why,
                          size_t whylen)
{
    json_error_t jerr;
    *body_out = NULL;
    memset(req, 0, sizeof *req);
    json_t *body = json_loadb((const char *)raw, len, JSON_REJECT_DUPLICATES, &jerr);
    if (body == NULL) {
        snprintf(why, whylen, "the body is not JSON: line %d, column %d: %s", jerr.line,
                 jerr.column, jerr.text);
        *code = "invalid_json";
        return 1;
    }
    if (merge_key(body, idempotency_key, why, whylen) != 0 ||
        parse_request(body, req, why, whylen) != 0) {
        json_decref(body);
        memset(req, 0, sizeof *req);
        *code = "invalid_request";
        return 1;
    }
    *body_out = body;
    return 0;
}
