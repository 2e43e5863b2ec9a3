/* plugins/facebook/actions.c - an agent's answers:
 *   - a public reply: POST /{object-id}/comments (form: message). Answering
 *     a comment threads under it; Facebook nests one level only, so a
 *     reply to a reply goes under the top-level comment it belongs to;
 *   - a private reply to a public comment: the Send API with
 *     recipient.comment_id;
 *   - a Messenger message: the Send API with recipient.id (the PSID) and
 *     messaging_type RESPONSE inside the 24-hour window, or MESSAGE_TAG
 *     HUMAN_AGENT up to 7 days when the account sets human_agent = true.
 *     Private replies are open for 7 days after the comment.
 *     Outside a window the action fails at once with the typed reason
 *     "outside_messaging_window", without spending a request; Graph's own
 *     refusal (error 10, subcode 2018278) reads the same.
 * Outcomes: RETRY only when Graph certainly did not take the answer
 * (throttling and the transient codes 1 and 2, or a request the host held
 * back for the account's budget and never sent); FATAL otherwise, with
 * Facebook's own words (error_user_msg for 368 and permission errors); a
 * refused token (190) also raises the account's credentials alert.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facebook.h"

#define WINDOW_MS (24ull * 3600u * 1000u)
#define HUMAN_AGENT_MS (7ull * 24u * 3600u * 1000u)
#define OUTSIDE_WINDOW "outside_messaging_window"

typedef struct action_ctx {
    gw_op *op;
    bool is_private;
} action_ctx;

static bool is_object_id(const char *s)
{
    if (s == NULL || s[0] == '\0' || strlen(s) >= FB_ID_MAX)
        return false;
    size_t n = strspn(s, "0123456789");
    if (n == 0)
        return false;
    if (s[n] == '\0')
        return true;
    return s[n] == '_' && strspn(s + n + 1, "0123456789") == strlen(s + n + 1) && s[n + 1] != '\0';
}

static void on_answer(gw_instance *inst, void *ctx, const gw_http_response *resp)
{
    action_ctx *a = ctx;
    gw_op *op = a->op;
    bool is_private = a->is_private;
    free(a);
    const gw_host *host = inst->host;
    const char *what = is_private ? "private message" : "reply";
    fb_error e;
    fb_error_read(resp, &e);
    if (e.outcome != GW_OUTCOME_OK) {
        char msg[520];
        if (e.credentials)
            fb_credentials_failed(inst, "Facebook refused the Page access token (error 190)");
        if (e.code == 10 && e.subcode == 2018278) {
            snprintf(msg, sizeof msg, OUTSIDE_WINDOW ": Facebook refused the %s: %s", what,
                     e.text);
            host->complete(op, GW_OUTCOME_FATAL, 0, msg, NULL);
            return;
        }
        if (resp->status == 0 && !gw_sdk_http_not_sent(resp)) {
            snprintf(msg, sizeof msg, "facebook: %s may or may not have been sent: %s", what,
                     e.text);
            host->complete(op, GW_OUTCOME_FATAL, 0, msg, NULL);
            return;
        }
        bool retry = e.outcome == GW_OUTCOME_RETRY && (e.code != 0 || gw_sdk_http_not_sent(resp));
        snprintf(msg, sizeof msg, "facebook: %s %s: %s", what, retry ? "not sent" : "refused",
                 e.text);
        host->complete(op, retry ? GW_OUTCOME_RETRY : GW_OUTCOME_FATAL, e.retry_after_ms, msg,
                       NULL);
        return;
    }
    json_t *doc = json_loadb((const char *)resp->body, resp->body_len, 0, NULL);
    const char *id = gw_sdk_json_string(doc, is_private ? "message_id" : "id", NULL);
    json_t *result = NULL;
    if (id != NULL && id[0] != '\0' && strlen(id) < FB_ID_MAX) {
        char url[128];
        snprintf(url, sizeof url, "https://www.facebook.com/%s", id);
        result = is_private ? json_pack("{s:s}", "native_id", id)
                            : json_pack("{s:s, s:s}", "native_id", id, "url", url);
    }
    json_decref(doc);
    if (result == NULL) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "facebook: Graph accepted the %s (HTTP %d) but its answer carries no id; check "
                 "the Page before sending it again",
                 what, resp->status);
        host->complete(op, GW_OUTCOME_FATAL, 0, msg, NULL);
        return;
    }
    host->complete(op, GW_OUTCOME_OK, 0, NULL, result);
}

static void send_action(gw_instance *inst, gw_op *op, const char *path, const char *content_type,
                        const char *body, bool is_private)
{
    fb_url u;
    fb_url_start(&u, &inst->opt, path);
    char *url = fb_url_take(&u, &inst->opt);
    action_ctx *a = calloc(1, sizeof *a);
    if (url == NULL || a == NULL) {
        free(url);
        free(a);
        inst->host->complete(op, GW_OUTCOME_RETRY, FB_RETRY_DELAY_MS, "facebook: out of memory",
                             NULL);
        return;
    }
    a->op = op;
    a->is_private = is_private;
    int rc = fb_request(inst, "POST", url, content_type, body, on_answer, free, a);
    memset(url, 0, strlen(url));
    free(url);
    if (rc < 0) {
        free(a);
        char msg[160];
        snprintf(msg, sizeof msg, "facebook: cannot send the request: %s", gw_strerror(rc));
        inst->host->complete(op, rc == GW_ENOMEM ? GW_OUTCOME_RETRY : GW_OUTCOME_FATAL,
                             FB_RETRY_DELAY_MS, msg, NULL);
    }
}

static bool text_ok(gw_instance *inst, gw_op *op, const gw_action *action)
{
    if (action->text != NULL && action->text[strspn(action->text, " \t\r\n")] != '\0')
        return true;
    inst->host->complete(op, GW_OUTCOME_FATAL, 0, "facebook: the text is empty", NULL);
    return false;
}

void fb_action_post_public(gw_instance *inst, gw_op *op, const gw_action *action)
{
    if (!text_ok(inst, op, action))
        return;
    const char *target = action->in_reply_to != NULL ? action->in_reply_to : action->thread_id;
    /* One level of nesting: answer a reply under its top-level comment. */
    const json_t *ev = action->in_reply_to_event;
    const char *parent = gw_sdk_json_string(ev, "in_reply_to", NULL);
    const char *thread = gw_sdk_json_string(ev, "thread_id", NULL);
    if (strcmp(gw_sdk_json_string(ev, "type", ""), "comment") == 0 && is_object_id(parent) &&
        (thread == NULL || strcmp(parent, thread) != 0))
        target = parent;
    if (!is_object_id(target)) {
        inst->host->complete(op, GW_OUTCOME_FATAL, 0,
                             target == NULL ? "facebook: a reply needs in_reply_to (the post or "
                                              "comment to answer)"
                                            : "facebook: in_reply_to is not a Facebook post or "
                                              "comment id",
                             NULL);
        return;
    }
    size_t n = gw_sdk_percent_encode(action->text, NULL, 0);
    char *body = malloc(n + sizeof "message=");
    if (body == NULL) {
        inst->host->complete(op, GW_OUTCOME_RETRY, FB_RETRY_DELAY_MS, "facebook: out of memory",
                             NULL);
        return;
    }
    memcpy(body, "message=", 8);
    gw_sdk_percent_encode(action->text, body + 8, n + 1);
    char path[FB_ID_MAX + 16];
    snprintf(path, sizeof path, "/%s/comments", target);
    send_action(inst, op, path, "application/x-www-form-urlencoded", body, false);
    free(body);
}

/* Messenger's window runs from the customer's LAST message, not from the
 * one being answered: an agent answering an older message of a customer
 * who wrote again since is inside the window. The newest private message
 * seen from each PSID is kept in the kv store ("inbound.<psid>", Unix ms),
 * one key per customer who ever wrote, noted as fetch and webhooks emit. */
#define KV_INBOUND "inbound."

void fb_note_inbound(gw_instance *inst, const json_t *event)
{
    if (strcmp(gw_sdk_json_string(event, "visibility", ""), "private") != 0)
        return;
    const char *psid = gw_sdk_json_string(json_object_get(event, "author"), "id", NULL);
    int64_t written;
    if (psid == NULL || psid[0] == '\0' || strspn(psid, "0123456789") != strlen(psid) ||
        strlen(psid) >= FB_ID_MAX ||
        gw_sdk_time_parse(gw_sdk_json_string(event, "created_at", ""), &written) != 0 ||
        written <= 0)
        return;
    char key[sizeof KV_INBOUND + FB_ID_MAX];
    snprintf(key, sizeof key, KV_INBOUND "%s", psid);
    uint64_t known = 0;
    if (gw_sdk_kv_get_u64(inst->host, inst->acct, key, 0, &known) < 0 || known < (uint64_t)written)
        gw_sdk_kv_set_u64(inst->host, inst->acct, key, (uint64_t)written);
}

/* The newest of the answered message and the customer's last one known. */
static int64_t window_start(gw_instance *inst, const char *psid, int64_t answered)
{
    char key[sizeof KV_INBOUND + FB_ID_MAX];
    snprintf(key, sizeof key, KV_INBOUND "%s", psid);
    uint64_t last = 0;
    if (gw_sdk_kv_get_u64(inst->host, inst->acct, key, 0, &last) < 0 || last > INT64_MAX)
        return answered;
    return (int64_t)last > answered ? (int64_t)last : answered;
}

/* The Send API body for a Messenger answer, or NULL with the op completed. */
static json_t *messenger_body(gw_instance *inst, gw_op *op, const gw_action *action)
{
    const json_t *ev = action->in_reply_to_event;
    const char *to = action->to;
    if (to == NULL)
        to = gw_sdk_json_string(json_object_get(ev, "author"), "id", NULL);
    if (to == NULL || strspn(to, "0123456789") != strlen(to) || to[0] == '\0' ||
        strlen(to) >= FB_ID_MAX) {
        inst->host->complete(op, GW_OUTCOME_FATAL, 0,
                             "facebook: a private message needs a recipient PSID (to, or an "
                             "answered event with an author)",
                             NULL);
        return NULL;
    }
    const char *type = "RESPONSE", *tag = NULL;
    int64_t written;
    if (gw_sdk_time_parse(gw_sdk_json_string(ev, "created_at", ""), &written) == 0) {
        written = window_start(inst, to, written);
        uint64_t now = inst->host->now_ms(inst->acct);
        uint64_t age = now > (uint64_t)written ? now - (uint64_t)written : 0;
        if (age > WINDOW_MS) {
            if (!inst->opt.human_agent || age > HUMAN_AGENT_MS) {
                char msg[300];
                snprintf(msg, sizeof msg,
                         OUTSIDE_WINDOW ": the customer wrote %llu hours ago; Messenger allows "
                                        "answers within 24 hours%s",
                         (unsigned long long)(age / 3600000u),
                         inst->opt.human_agent ? " (7 days with the HUMAN_AGENT tag)"
                                               : " (set human_agent = true for 7 days)");
                inst->host->complete(op, GW_OUTCOME_FATAL, 0, msg, NULL);
                return NULL;
            }
            type = "MESSAGE_TAG";
            tag = "HUMAN_AGENT";
        }
    }
    json_t *body = json_pack("{s:{s:s}, s:s, s:{s:s}}", "recipient", "id", to, "messaging_type",
                             type, "message", "text", action->text);
    if (body == NULL) /* json_pack refuses text that is not UTF-8 */
        inst->host->complete(op, GW_OUTCOME_FATAL, 0, "facebook: the text is not valid UTF-8",
                             NULL);
    else if (tag != NULL)
        json_object_set_new(body, "tag", json_string(tag));
    return body;
}

void fb_action_send_private(gw_instance *inst, gw_op *op, const gw_action *action)
{
    if (!text_ok(inst, op, action))
        return;
    const json_t *ev = action->in_reply_to_event;
    bool public_comment = strcmp(gw_sdk_json_string(ev, "visibility", ""), "public") == 0 &&
                          strcmp(gw_sdk_json_string(ev, "type", ""), "comment") == 0;
    json_t *body;
    if (!public_comment && strcmp(gw_sdk_json_string(ev, "visibility", ""), "public") == 0) {
        inst->host->complete(op, GW_OUTCOME_FATAL, 0,
                             "facebook: a private answer goes to a comment (private reply) or a "
                             "Messenger message, not to a post",
                             NULL);
        return;
    }
    if (public_comment) {
        /* Private replies are open for 7 days after the comment. */
        int64_t written;
        uint64_t now = inst->host->now_ms(inst->acct);
        if (gw_sdk_time_parse(gw_sdk_json_string(ev, "created_at", ""), &written) == 0 &&
            written > 0 && now > (uint64_t)written && now - (uint64_t)written > HUMAN_AGENT_MS) {
            inst->host->complete(op, GW_OUTCOME_FATAL, 0,
                                 OUTSIDE_WINDOW ": a private reply must follow the comment "
                                                "within 7 days",
                                 NULL);
            return;
        }
        if (!is_object_id(action->in_reply_to)) {
            inst->host->complete(op, GW_OUTCOME_FATAL, 0,
                                 "facebook: in_reply_to is not a Facebook comment id", NULL);
            return;
        }
        body = json_pack("{s:{s:s}, s:{s:s}}", "recipient", "comment_id", action->in_reply_to,
                         "message", "text", action->text);
    } else {
        body = messenger_body(inst, op, action);
        if (body == NULL)
            return; /* completed there */
    }
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (text == NULL) {
        inst->host->complete(op, GW_OUTCOME_FATAL, 0, "facebook: the text is not valid UTF-8",
                             NULL);
        return;
    }
    char path[48];
    snprintf(path, sizeof path, "/%s/messages", inst->opt.page_id);
    send_action(inst, op, path, "application/json", text, true);
    free(text);
}
