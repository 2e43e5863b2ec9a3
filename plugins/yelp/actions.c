/* plugins/yelp/actions.c - an agent's answers, and the checks before
 * they are queued:
 *   - a public response to a review: Respond to Reviews, POST
 *     {partner}/reviews/v1/{review_id} {"response_text", "response_type":
 *     "public_comment"} with the business-user token;
 *   - a message inside a lead: POST {base}/v3/leads/{lead_id}/events
 *     {"request_content", "request_type": "TEXT"} -> 201.
 * Yelp has no private message to a reviewer: yelp_action_check answers
 * GW_EUNSUPPORTED for it, so the action API says 422 "unsupported" before
 * anything is queued. R2R's rules (no emoji, 5,000 characters, the
 * per-location daily comment quota) are checked there too, and again
 * before sending, since several answers may have been queued at once.
 *
 * The quota is counted in kv ("r2r.day" = the UTC day, "r2r.count") after
 * each response Yelp took; Yelp's own R2R_COMMENT_QUOTA_EXCEEDED marks
 * the day spent. The day is the UTC day (Yelp documents no zone for it;
 * its API limits reset at midnight UTC).
 *
 * Outcomes: RETRY only when Yelp certainly did not take the answer (the
 * per-second limit, the daily limit, or a request never sent); FATAL
 * otherwise, in Yelp's words.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yelp.h"

#define DAY_MS (86400ull * 1000u)
#define NO_PRIVATE_TO_REVIEW                                                                   \
    "Yelp has no private messages to a reviewer; answer the review publicly (kind \"reply\")"

typedef struct action_ctx {
    gw_op *op;
    bool is_private;
    char target[YELP_ID_MAX]; /* review or lead id */
} action_ctx;

/* ---- the daily comment quota ------------------------------------------------ */

static uint64_t today(const gw_instance *inst)
{
    return inst->host->now_ms(inst->acct) / DAY_MS;
}

static uint64_t comments_today(const gw_instance *inst)
{
    uint64_t day = 0, count = 0;
    if (gw_sdk_kv_get_u64(inst->host, inst->acct, "r2r.day", 0, &day) != 0 ||
        day != today(inst))
        return 0;
    gw_sdk_kv_get_u64(inst->host, inst->acct, "r2r.count", 0, &count);
    return count;
}

static void count_comment(gw_instance *inst, bool spent)
{
    uint64_t n = spent ? inst->opt.comment_quota : comments_today(inst) + 1;
    gw_sdk_kv_set_u64(inst->host, inst->acct, "r2r.day", today(inst));
    gw_sdk_kv_set_u64(inst->host, inst->acct, "r2r.count", n);
}

/* ---- checks ------------------------------------------------------------ */

static const char *event_string(const json_t *ev, const char *key)
{
    return ev != NULL ? gw_sdk_json_string(ev, key, NULL) : NULL;
}

static int check_response(gw_instance *inst, const char *text, char *reason, size_t reasonlen);

int yelp_action_check(gw_instance *inst, int private_message, const gw_action *action,
                      char *reason, size_t reasonlen)
{
    const json_t *ev = action->in_reply_to_event;
    const char *type = event_string(ev, "type");
    if (private_message) {
        if (type != NULL && strcmp(type, "review") == 0) {
            gw_sdk_str_copy(reason, reasonlen, NO_PRIVATE_TO_REVIEW);
            return GW_EUNSUPPORTED;
        }
        if (type == NULL || strcmp(type, "message") != 0 || action->thread_id == NULL) {
            gw_sdk_str_copy(reason, reasonlen,
                            "Yelp messages exist only inside a lead: answer a lead's message");
            return GW_EUNSUPPORTED;
        }
        return 0;
    }
    if (type == NULL || strcmp(type, "review") != 0 || action->in_reply_to == NULL) {
        gw_sdk_str_copy(reason, reasonlen, "on Yelp only a review can be answered publicly");
        return GW_EUNSUPPORTED;
    }
    return check_response(inst, action->text, reason, reasonlen);
}

/* R2R's rules for the text of a response, and the day's quota. */
static int check_response(gw_instance *inst, const char *text, char *reason, size_t reasonlen)
{
    uint32_t cp;
    size_t pos;
    if (yelp_first_emoji(text, &cp, &pos)) {
        snprintf(reason, reasonlen,
                 "Yelp refuses emoji in review responses: U+%04X at character %zu", (unsigned)cp,
                 pos);
        return GW_EINVAL;
    }
    size_t length = 0;
    for (const char *p = text; *p; p++)
        length += ((unsigned char)*p & 0xC0) != 0x80;
    if (length > YELP_TEXT_MAX) {
        snprintf(reason, reasonlen, "Yelp takes at most %d characters in a response; this has %zu",
                 YELP_TEXT_MAX, length);
        return GW_ERANGE;
    }
    if (comments_today(inst) >= inst->opt.comment_quota) {
        snprintf(reason, reasonlen,
                 "the daily quota of %u review responses for this location is spent for today "
                 "(it resets at midnight UTC)",
                 inst->opt.comment_quota);
        return GW_EBUSY;
    }
    return 0;
}

/* ---- sending ------------------------------------------------------------ */

static void on_answer(gw_instance *inst, void *ctx, const gw_http_response *resp)
{
    action_ctx *a = ctx;
    const gw_host *host = inst->host;
    yelp_error e;
    yelp_error_read(resp, host->now_ms(inst->acct), &e);
    if (e.outcome == GW_OUTCOME_OK) {
        json_t *result;
        if (a->is_private) {
            result = json_pack("{s:s}", "native_id", a->target);
        } else {
            count_comment(inst, false);
            char url[256];
            snprintf(url, sizeof url, "https://www.yelp.com/biz/%s?hrid=%s",
                     inst->opt.business_id, a->target);
            result = json_pack("{s:s, s:s}", "native_id", a->target, "url", url);
        }
        host->complete(a->op, GW_OUTCOME_OK, 0, NULL, result);
        free(a);
        return;
    }
    if (e.credentials)
        yelp_credentials_failed(inst, "Yelp refused the partner (business-user) token");
    if (e.quota_spent)
        count_comment(inst, true);
    gw_outcome outcome = e.outcome;
    /* Only what certainly never reached Yelp is sent again. */
    if (outcome == GW_OUTCOME_RETRY && !gw_sdk_http_not_sent(resp) &&
        strcmp(e.code, "TOO_MANY_REQUESTS_PER_SECOND") != 0 &&
        strcmp(e.code, "ACCESS_LIMIT_REACHED") != 0)
        outcome = GW_OUTCOME_FATAL;
    char msg[520];
    snprintf(msg, sizeof msg, "yelp: the %s failed: %s%s",
             a->is_private ? "lead message" : "review response", e.text,
             outcome == GW_OUTCOME_FATAL && e.code[0] == '\0' && resp->status == 0
                 ? " (it may have been taken; not sent again)"
                 : "");
    host->complete(a->op, outcome, e.retry_after_ms, msg, NULL);
    free(a);
}

static void send(gw_instance *inst, gw_op *op, bool is_private, const char *target,
                 const char *url, json_t *body)
{
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    action_ctx *a = text != NULL ? calloc(1, sizeof *a) : NULL;
    if (a == NULL) {
        free(text);
        inst->host->complete(op, GW_OUTCOME_RETRY, YELP_RETRY_DELAY_MS, "yelp: out of memory",
                             NULL);
        return;
    }
    a->op = op;
    a->is_private = is_private;
    gw_sdk_str_copy(a->target, sizeof a->target, target);
    int rc = yelp_request(inst, "POST", url, inst->opt.partner_token, text, on_answer, a);
    free(text);
    if (rc < 0) {
        free(a);
        inst->host->complete(op, GW_OUTCOME_RETRY, YELP_RETRY_DELAY_MS, gw_strerror(rc), NULL);
    }
}

static bool id_ok(const char *s)
{
    size_t n = s != NULL ? strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "0123456789_-")
                         : 0;
    return n > 0 && n < YELP_ID_MAX && s[n] == '\0';
}

void yelp_action_post_public(gw_instance *inst, gw_op *op, const gw_action *action)
{
    char why[300];
    if (inst->opt.partner_token == NULL) {
        inst->host->complete(op, GW_OUTCOME_UNSUPPORTED, 0,
                             "yelp: needs Yelp partner access (partner_token)", NULL);
        return;
    }
    if (check_response(inst, action->text, why, sizeof why) < 0 || !id_ok(action->in_reply_to)) {
        char msg[360];
        snprintf(msg, sizeof msg, "yelp: %s", id_ok(action->in_reply_to) ? why : "no review id");
        inst->host->complete(op, GW_OUTCOME_FATAL, 0, msg, NULL);
        return;
    }
    char url[1024];
    snprintf(url, sizeof url, "%s/reviews/v1/%s", inst->opt.partner_base_url,
             action->in_reply_to);
    send(inst, op, false, action->in_reply_to, url,
         json_pack("{s:s, s:s}", "response_text", action->text, "response_type",
                   "public_comment"));
}

void yelp_action_send_private(gw_instance *inst, gw_op *op, const gw_action *action)
{
    if (inst->opt.partner_token == NULL) {
        inst->host->complete(op, GW_OUTCOME_UNSUPPORTED, 0,
                             "yelp: needs Yelp partner access (partner_token)", NULL);
        return;
    }
    const char *lead = action->thread_id;
    if (!id_ok(lead)) {
        inst->host->complete(op, GW_OUTCOME_UNSUPPORTED, 0,
                             "yelp: a Yelp message goes only inside a lead; this names none",
                             NULL);
        return;
    }
    char url[1024];
    snprintf(url, sizeof url, "%s/v3/leads/%s/events", inst->opt.base_url, lead);
    send(inst, op, true, lead, url,
         json_pack("{s:s, s:s}", "request_content", action->text, "request_type", "TEXT"));
}
