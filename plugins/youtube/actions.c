/* plugins/youtube/actions.c - an agent's public answer: comments.insert
 * under the thread's top-level comment.
 *
 * YouTube has one level of replies: a reply to a reply is posted under
 * the same top-level comment, so the target is the answered event's
 * thread_id (the top-level comment), else the action's thread_id, else
 * in_reply_to cut at its '.' (a reply's id is "<top-level id>.<suffix>").
 * Writes need OAuth 2.0 and cost 50 quota units, which may dip into the
 * reply reserve that polling leaves.
 *
 * Outcomes: RETRY only when the comment was certainly not taken (the day's
 * quota is spent, by our count or Google's quotaExceeded: wait for the
 * reset; 429 and 503; a request the host held back; no access token yet);
 * FATAL otherwise, with Google's reason in words (commentsDisabled,
 * forbidden, processingFailure...), because after an ambiguous failure a
 * second attempt could post the answer twice.
 *
 * There is no send_private: YouTube has no private messages, and the
 * plugin does not claim the capability, so the host refuses a private
 * action before it is queued.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "youtube.h"

typedef struct action_ctx {
    gw_op *op;
    char video[YT_ID_MAX]; /* "" when unknown */
} action_ctx;

static const char *reason_words(const char *reason)
{
    if (strcmp(reason, "commentsDisabled") == 0)
        return "comments are disabled on this video";
    if (strcmp(reason, "forbidden") == 0)
        return "the channel may not comment here (forbidden)";
    if (strcmp(reason, "processingFailure") == 0)
        return "YouTube could not process the comment (processingFailure)";
    if (strcmp(reason, "commentNotFound") == 0 || strcmp(reason, "invalidCommentMetadata") == 0 ||
        strcmp(reason, "parentIdMissing") == 0)
        return "the comment answered no longer exists or is not a top-level comment";
    return NULL;
}

static void on_answer(gw_instance *inst, void *ctx, const gw_http_response *resp)
{
    action_ctx *a = ctx;
    gw_op *op = a->op;
    char video[YT_ID_MAX];
    gw_sdk_str_copy(video, sizeof video, a->video);
    free(a);
    const gw_host *host = inst->host;
    if (resp->status != 200) {
        char reason[64], line[400], msg[600];
        yt_error_read(resp, reason, sizeof reason, line, sizeof line);
        if (strcmp(reason, "quotaExceeded") == 0) {
            uint64_t wait = yt_quota_spent(inst);
            snprintf(msg, sizeof msg,
                     "youtube: reply not sent: the day's quota is spent (quotaExceeded); it is "
                     "sent again after the reset");
            host->complete(op, GW_OUTCOME_RETRY, wait, msg, NULL);
            return;
        }
        bool not_taken = resp->status == 429 || resp->status == 503 || gw_sdk_http_not_sent(resp);
        const char *words = reason_words(reason);
        if (words != NULL)
            snprintf(msg, sizeof msg, "youtube: reply refused: %s (%s)", words, line);
        else
            snprintf(msg, sizeof msg, "youtube: reply %s: %s",
                     not_taken                                  ? "not sent"
                     : resp->status == 0 || resp->status >= 500 ? "may or may not have been sent"
                                                                : "refused",
                     line);
        host->complete(op, not_taken ? GW_OUTCOME_RETRY : GW_OUTCOME_FATAL,
                       not_taken ? resp->retry_after_ms : 0, msg, NULL);
        return;
    }
    json_t *doc = json_loadb((const char *)resp->body, resp->body_len, 0, NULL);
    const char *id = gw_sdk_json_string(doc, "id", NULL);
    const char *v = gw_sdk_json_string(json_object_get(doc, "snippet"), "videoId", NULL);
    if (video[0] == '\0' && yt_id_ok(v))
        gw_sdk_str_copy(video, sizeof video, v);
    json_t *result = NULL;
    if (yt_id_ok(id)) {
        char url[512];
        if (video[0] != '\0')
            snprintf(url, sizeof url, "https://www.youtube.com/watch?v=%s&lc=%s", video, id);
        else
            snprintf(url, sizeof url, "https://www.youtube.com/channel/%s", inst->opt.channel_id);
        result = json_pack("{s:s, s:s}", "native_id", id, "url", url);
    }
    json_decref(doc);
    if (result == NULL) {
        host->complete(op, GW_OUTCOME_FATAL, 0,
                       "youtube: YouTube accepted the reply (HTTP 200) but its answer carries no "
                       "id; check the thread before sending it again",
                       NULL);
        return;
    }
    host->complete(op, GW_OUTCOME_OK, 0, NULL, result);
}

/* The top-level comment to answer under, into out; false when none. */
static bool target_of(const gw_action *action, char *out, size_t n)
{
    const char *t = gw_sdk_json_string(action->in_reply_to_event, "thread_id", NULL);
    if (!yt_id_ok(t))
        t = action->thread_id;
    if (!yt_id_ok(t))
        t = action->in_reply_to;
    if (!yt_id_ok(t))
        return false;
    gw_sdk_str_copy(out, n, t);
    char *dot = strchr(out, '.');
    if (dot != NULL)
        *dot = '\0';
    return out[0] != '\0';
}

void yt_action_post_public(gw_instance *inst, gw_op *op, const gw_action *action)
{
    const gw_host *host = inst->host;
    char parent[YT_ID_MAX];
    const char *problem = NULL;
    if (!yt_options_have_oauth(&inst->opt))
        problem = "youtube: replying needs client_id, client_secret and refresh_token (OAuth "
                  "2.0); an API key only reads";
    else if (action->text == NULL || action->text[strspn(action->text, " \t\r\n")] == '\0')
        problem = "youtube: the text is empty";
    else if (!target_of(action, parent, sizeof parent))
        problem = "youtube: a reply needs the comment it answers (in_reply_to)";
    if (problem != NULL) {
        host->complete(op, GW_OUTCOME_FATAL, 0, problem, NULL);
        return;
    }
    yt_quota_refresh(inst);
    if (!yt_quota_affords(&inst->quota, YT_COST_INSERT, true)) {
        int64_t now = (int64_t)host->now_ms(inst->acct);
        uint64_t wait = inst->quota.reset_ms > now ? (uint64_t)(inst->quota.reset_ms - now) : 0;
        host->complete(op, GW_OUTCOME_RETRY, wait + 1000,
                       "youtube: reply not sent: the day's quota cannot pay for it (50 units); "
                       "it is sent after midnight Pacific time",
                       NULL);
        return;
    }
    json_t *body = json_pack("{s:{s:s, s:s}}", "snippet", "parentId", parent, "textOriginal",
                             action->text);
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (text == NULL) {
        host->complete(op, GW_OUTCOME_FATAL, 0, "youtube: the text is not valid UTF-8", NULL);
        return;
    }
    action_ctx *a = calloc(1, sizeof *a);
    yt_url u;
    yt_url_start(&u, inst->opt.base_url, "/comments");
    gw_sdk_buf_url_param(&u, "part", "snippet");
    char *url = gw_sdk_buf_take(&u);
    if (a == NULL || url == NULL) {
        free(a);
        free(url);
        free(text);
        host->complete(op, GW_OUTCOME_RETRY, YT_RETRY_DELAY_MS, "youtube: out of memory", NULL);
        return;
    }
    a->op = op;
    const char *video = gw_sdk_json_string(json_object_get(action->in_reply_to_event, "context"),
                                           "id", NULL);
    gw_sdk_str_copy(a->video, sizeof a->video, yt_id_ok(video) ? video : "");
    int rc = yt_request(inst, "POST", url, YT_AUTH_USER, text, YT_COST_INSERT, on_answer, free, a);
    free(url);
    free(text);
    if (rc < 0) {
        free(a);
        char msg[160];
        snprintf(msg, sizeof msg, "youtube: cannot send the reply: %s", gw_strerror(rc));
        host->complete(op, rc == GW_ENOMEM ? GW_OUTCOME_RETRY : GW_OUTCOME_FATAL,
                       YT_RETRY_DELAY_MS, msg, NULL);
    }
}
