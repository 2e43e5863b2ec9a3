/* check_actions.c - the checker's calls of post_public, send_private and
 * webhook on a created instance; see check_actions.h.
 *
 * An action goes to the fake network built from a fetched event, after
 * the plugin's check_action (ABI 1.3) accepts it, as the outbox would
 * send it; any outcome is within the contract there, so long as it comes
 * exactly once in time. An action the instance narrowed away
 * (narrow_capabilities) is sent anyway: an action queued before the
 * account lost the capability reaches the hook, and it must say
 * UNSUPPORTED, the outcome the host turns into "unsupported", not a
 * generic failure. A webhook delivery with a forged signature must be
 * refused without emitting anything when the account has a secret to
 * verify it with.
 */
#include <stdio.h>
#include <string.h>

#include "check/check_actions.h"

#define CONTRACT_UNSUPPORTED                                                                       \
    "GW_OUTCOME_UNSUPPORTED when the network cannot do this at all, not a generic failure"
#define CONTRACT_WEBHOOK "webhook(): verify and parse one delivery, complete with the HTTP answer"
#define CHECK_TEXT "Thank you for writing to us. (gateway plugin-check)"

/* What a hook answered, for the notes (never a secret). */
static void note_outcome(const check_ctx *c, const char *hook, const check_outcome *o)
{
    const char *msg = o->message;
    if (check_report_find_secret(c->rep, msg) != NULL)
        msg = "(a message quoting a secret)";
    const json_t *status = json_object_get(o->result, "status");
    char answer[32] = "";
    if (json_is_integer(status))
        snprintf(answer, sizeof answer, " (answer %lld)", (long long)json_integer_value(status));
    fprintf(c->notes, "note: %s completed %s%s%s%s\n", hook, check_outcome_name(o->outcome), answer,
            msg[0] ? ": " : "", msg);
}

static void call_post(const gw_plugin *desc, gw_instance *inst, gw_op *op, const void *arg)
{
    desc->post_public(inst, op, arg);
}

static void call_send(const gw_plugin *desc, gw_instance *inst, gw_op *op, const void *arg)
{
    desc->send_private(inst, op, arg);
}

/* The event an action answers (borrowed from events, or NULL): for a
 * private one a message, for a public one a comment, else whatever item
 * comes first in that order of preference. */
static const json_t *pick_event(const json_t *events, int private_message)
{
    static const char *const public_order[] = {"comment", "mention", "review", "message", NULL};
    static const char *const private_order[] = {"message", "comment", "mention", "review", NULL};
    const char *const *order = private_message ? private_order : public_order;
    for (size_t i = 0; order[i]; i++) {
        const char *key;
        json_t *ev;
        json_object_foreach((json_t *)events, key, ev)
        {
            const char *type = json_string_value(json_object_get(ev, "type"));
            if (type != NULL && strcmp(type, order[i]) == 0)
                return ev;
        }
    }
    return NULL;
}

static void one_action(check_ctx *c, check_host *h, gw_instance *inst, int private_message,
                       const json_t *events)
{
    uint32_t cap = private_message ? GW_CAP_SEND_PRIVATE : GW_CAP_POST_PUBLIC;
    const char *hook = private_message ? "send_private" : "post_public";
    if (!(c->desc->capabilities & cap))
        return; /* the host never calls it */
    const json_t *ev = pick_event(events, private_message);
    const json_t *author = json_object_get(ev, "author");
    const char *thread = json_string_value(json_object_get(ev, "thread_id"));
    gw_action action = {
        .struct_size = sizeof action,
        .action_id = "check-action-1",
        .idempotency_key = "check-key-1",
        .text = CHECK_TEXT,
        .in_reply_to = json_string_value(json_object_get(ev, "native_id")),
        .thread_id = thread,
        .to = json_string_value(json_object_get(author, "id")),
        .in_reply_to_event = ev,
    };
    const char *reason = NULL;
    int narrowed = !(check_host_capabilities(h, &reason) & cap);
    if (!narrowed && c->desc->check_action != NULL) {
        char why[256] = "";
        action.action_id = "";
        check_host_call_begin(h);
        int rc = c->desc->check_action(inst, private_message, &action, why, sizeof why);
        check_host_call_end(h, "hook check_action");
        action.action_id = "check-action-1";
        if (rc != GW_OK) { /* refused before it is queued, as the action API would */
            fprintf(c->notes, "note: check_action refused the %s (%s)\n", hook,
                    check_report_find_secret(c->rep, why) ? "a reason quoting a secret" : why);
            return;
        }
    }
    const check_outcome *o =
        check_host_run(h, inst, hook, private_message ? call_send : call_post, &action);
    if (o != NULL && o->completed)
        note_outcome(c, hook, o);
    if (o == NULL || !o->completed || !narrowed || o->outcome == GW_OUTCOME_UNSUPPORTED)
        return;
    check_report_breach(c->rep, "unsupported-typed", CONTRACT_UNSUPPORTED,
                        "%s on an account narrowed without it (\"%s\") completed %s%s%s%s", hook,
                        reason, check_outcome_name(o->outcome), o->message[0] ? " (\"" : "",
                        o->message, o->message[0] ? "\")" : "");
}

void check_actions_run(check_ctx *c, check_host *h, gw_instance *inst, const json_t *events)
{
    one_action(c, h, inst, 0, events);
    one_action(c, h, inst, 1, events);
}

static void call_webhook(const gw_plugin *desc, gw_instance *inst, gw_op *op, const void *arg)
{
    desc->webhook(inst, op, arg);
}

/* True when the account has a secret option set: then a delivery can be
 * verified, and a forged one must be refused. */
static int has_secret(const check_ctx *c)
{
    for (const gw_option *o = c->desc->options; o != NULL && o->name != NULL; o++) {
        if ((o->flags & GW_OPTF_SECRET) && json_is_string(json_object_get(c->options, o->name)))
            return 1;
    }
    return 0;
}

void check_webhook_run(check_ctx *c, check_host *h, gw_instance *inst)
{
    if (!(c->desc->capabilities & GW_CAP_WEBHOOK))
        return;
    /* The signature headers of the networks in tree, each wrong. */
    static const gw_http_header headers[] = {
        {"content-type", "application/json"},
        {"x-hub-signature-256", "sha256=00000000000000000000000000000000000000000000000000"
                                "00000000000000"},
        {"x-twitter-webhooks-signature", "sha256=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="},
        {"x-discourse-event-signature", "sha256=00000000000000000000000000000000000000000000000"
                                        "00000000000000000"},
        {"x-discourse-event", "post_created"},
    };
    static const char body[] = "{\"object\":\"page\",\"entry\":[],\"post\":{\"id\":1}}";
    gw_webhook_request req = {
        .struct_size = sizeof req,
        .method = "POST",
        .query = "",
        .headers = headers,
        .header_count = sizeof headers / sizeof headers[0],
        .body = (const unsigned char *)body,
        .body_len = sizeof body - 1,
    };
    size_t emitted = check_host_emit_count(h);
    const check_outcome *o = check_host_run(h, inst, "webhook", call_webhook, &req);
    if (o == NULL || !o->completed)
        return;
    note_outcome(c, "webhook", o);
    const json_t *status = json_object_get(o->result, "status");
    if (o->outcome == GW_OUTCOME_OK && !json_is_integer(status)) {
        check_report_breach(c->rep, "webhook", CONTRACT_WEBHOOK,
                            "webhook completed OK without a result {\"status\": N, ...}");
        return;
    }
    if (!has_secret(c))
        return;
    if (check_host_emit_count(h) > emitted)
        check_report_breach(c->rep, "webhook", CONTRACT_WEBHOOK,
                            "a delivery with a forged signature emitted %zu event(s)",
                            check_host_emit_count(h) - emitted);
    else if (o->outcome == GW_OUTCOME_OK && json_integer_value(status) < 400)
        check_report_breach(c->rep, "webhook", CONTRACT_WEBHOOK,
                            "a delivery with a forged signature was answered %lld, not refused",
                            (long long)json_integer_value(status));
}
