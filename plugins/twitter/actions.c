/* plugins/twitter/actions.c - an agent's answers: a public reply
 * (POST /2/tweets with reply.in_reply_to_tweet_id) and a direct message
 * (POST /2/dm_conversations/with/{participant_id}/messages).
 *
 * Both are signed with OAuth 1.0a in the brand's user context; the JSON
 * body is not part of the signature (only query and form parameters
 * are). What X answers decides the outcome:
 *   - 201: OK with the new id and a link;
 *   - RETRY only when X certainly did not take the post, because the host
 *     then sends it again: 429 (X refuses before acting), 503 (X was
 *     unavailable), or a request the host held back on the account's
 *     rate limit and never sent; the delay is the host's reading of X's
 *     rate-limit headers;
 *   - FATAL otherwise, with X's own words (e.g. 403 "You are not allowed
 *     to create a Tweet with duplicate content."): a 4xx would be refused
 *     again, and after a broken connection, a timeout or another 5xx X may
 *     have posted it, and an answer must never go out twice.
 *
 * Checks that need no network (no credentials, empty text, nothing to
 * answer, an id that is not an X id) fail at once with FATAL, before any
 * request, so a bad action never spends the account's rate limit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twitter.h"

typedef struct action_ctx {
    gw_op *op;       /* borrowed until complete() */
    bool is_private; /* a DM rather than a reply */
} action_ctx;

static bool is_x_id(const char *s)
{
    uint64_t ignored;
    return tw_id_parse(s, &ignored);
}

/* The reply's or message's link, from the brand's handle when known. */
static json_t *result_new(const gw_instance *inst, const char *native_id, const char *conversation)
{
    char url[256];
    if (conversation != NULL)
        snprintf(url, sizeof url, "https://x.com/messages/%s", conversation);
    else if (inst->opt.handle[0] != '\0')
        snprintf(url, sizeof url, "https://x.com/%s/status/%s", inst->opt.handle, native_id);
    else
        snprintf(url, sizeof url, "https://x.com/i/web/status/%s", native_id);
    return json_pack("{s:s, s:s}", "native_id", native_id, "url", url);
}

static void on_answer(gw_instance *inst, void *ctx, const gw_http_response *resp)
{
    action_ctx *a = ctx;
    gw_op *op = a->op;
    bool is_private = a->is_private;
    free(a);
    const gw_host *host = inst->host;
    const char *what = is_private ? "direct message" : "reply";

    if (resp->status != 200 && resp->status != 201) {
        char why[320], msg[400];
        tw_error_text(resp, why, sizeof why);
        bool not_taken = resp->status == 429 || resp->status == 503 || gw_sdk_http_not_sent(resp);
        snprintf(msg, sizeof msg, "twitter: %s %s: %s", what,
                 not_taken                                  ? "not sent"
                 : resp->status == 0 || resp->status >= 500 ? "may or may not have been sent"
                                                            : "refused",
                 why);
        if (not_taken)
            host->complete(op, GW_OUTCOME_RETRY, resp->retry_after_ms, msg, NULL);
        else
            host->complete(op, GW_OUTCOME_FATAL, 0, msg, NULL);
        return;
    }

    json_t *doc = json_loadb((const char *)resp->body, resp->body_len, 0, NULL);
    const json_t *data = json_object_get(doc, "data");
    const char *id = gw_sdk_json_string(data, is_private ? "dm_event_id" : "id", NULL);
    const char *conversation =
        is_private ? gw_sdk_json_string(data, "dm_conversation_id", NULL) : NULL;
    if (conversation != NULL && (conversation[0] == '\0' || strlen(conversation) > 2 * TW_ID_MAX ||
                                 strspn(conversation, "0123456789-") != strlen(conversation)))
        conversation = NULL;
    json_t *result = is_x_id(id) ? result_new(inst, id, conversation) : NULL;
    json_decref(doc);
    if (result == NULL) {
        /* X took it (2xx), so sending again could post it twice: say so
         * instead of retrying. */
        char msg[200];
        snprintf(msg, sizeof msg,
                 "twitter: X accepted the %s (HTTP %d) but its answer carries no id; check the "
                 "account before sending it again",
                 what, resp->status);
        host->complete(op, GW_OUTCOME_FATAL, 0, msg, NULL);
        return;
    }
    host->complete(op, GW_OUTCOME_OK, 0, NULL, result);
}

/* Send body (steals it) to path for the op; completes the op on any
 * failure to send. */
static void send_action(gw_instance *inst, gw_op *op, const char *path, json_t *body,
                        bool is_private)
{
    const gw_host *host = inst->host;
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    tw_url u;
    tw_url_start(&u, inst->opt.base_url, path);
    char *url = gw_sdk_buf_take(&u);
    action_ctx *a = calloc(1, sizeof *a);
    if (text == NULL || url == NULL || a == NULL) {
        free(text);
        free(url);
        free(a);
        host->complete(op, GW_OUTCOME_RETRY, TW_RETRY_DELAY_MS, "twitter: out of memory", NULL);
        return;
    }
    a->op = op;
    a->is_private = is_private;
    int rc = tw_request(inst, "POST", url, TW_AUTH_USER,
                        is_private ? TW_CLASS_DM_WRITE : TW_CLASS_POST, text, on_answer, free, a);
    free(text);
    free(url);
    if (rc < 0) {
        free(a);
        char msg[160];
        snprintf(msg, sizeof msg, "twitter: cannot send the request: %s", gw_strerror(rc));
        host->complete(op, rc == GW_ENOMEM ? GW_OUTCOME_RETRY : GW_OUTCOME_FATAL, TW_RETRY_DELAY_MS,
                       msg, NULL);
    }
}

/* Checks shared by both actions; completes the op and returns false when
 * one fails. */
static bool action_ok(gw_instance *inst, gw_op *op, const gw_action *action)
{
    const char *problem = NULL;
    if (!tw_options_have_user_context(&inst->opt))
        problem = "twitter: sending needs consumer_key, consumer_secret, access_token and "
                  "access_token_secret";
    else if (action->text == NULL || action->text[strspn(action->text, " \t\r\n")] == '\0')
        problem = "twitter: the text is empty";
    if (problem == NULL)
        return true;
    inst->host->complete(op, GW_OUTCOME_FATAL, 0, problem, NULL);
    return false;
}

void tw_action_post_public(gw_instance *inst, gw_op *op, const gw_action *action)
{
    if (!action_ok(inst, op, action))
        return;
    /* Answer the item itself; without one, the conversation's root. */
    const char *target = action->in_reply_to != NULL ? action->in_reply_to : action->thread_id;
    if (!is_x_id(target)) {
        inst->host->complete(op, GW_OUTCOME_FATAL, 0,
                             target == NULL ? "twitter: a reply needs in_reply_to (the tweet to "
                                              "answer)"
                                            : "twitter: in_reply_to is not an X tweet id",
                             NULL);
        return;
    }
    json_t *body =
        json_pack("{s:s, s:{s:s}}", "text", action->text, "reply", "in_reply_to_tweet_id", target);
    if (body == NULL) {
        /* json_pack refuses text that is not UTF-8. */
        inst->host->complete(op, GW_OUTCOME_FATAL, 0, "twitter: the text is not valid UTF-8", NULL);
        return;
    }
    send_action(inst, op, "/2/tweets", body, false);
}

void tw_action_send_private(gw_instance *inst, gw_op *op, const gw_action *action)
{
    if (!action_ok(inst, op, action))
        return;
    /* The recipient is named, or is the author of the message answered. */
    const char *to = action->to;
    if (to == NULL && action->in_reply_to_event != NULL)
        to = gw_sdk_json_string(json_object_get(action->in_reply_to_event, "author"), "id", NULL);
    if (!is_x_id(to)) {
        inst->host->complete(op, GW_OUTCOME_FATAL, 0,
                             to == NULL ? "twitter: a direct message needs a recipient (to, or "
                                          "an answered event with an author)"
                                        : "twitter: the recipient is not an X user id",
                             NULL);
        return;
    }
    json_t *body = json_pack("{s:s}", "text", action->text);
    if (body == NULL) {
        inst->host->complete(op, GW_OUTCOME_FATAL, 0, "twitter: the text is not valid UTF-8", NULL);
        return;
    }
    char path[96];
    snprintf(path, sizeof path, "/2/dm_conversations/with/%s/messages", to);
    send_action(inst, op, path, body, true);
}
