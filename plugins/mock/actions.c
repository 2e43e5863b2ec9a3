/* plugins/mock/actions.c - the mock's post_public and send_private.
 *
 * The mock network accepts any non-empty text. Each accepted action gets
 * a native id "reply-<n>", n counting the account's actions from 1 and
 * kept in the key/value store ("action_next") so ids stay unique across
 * restarts, and is appended to the `actions_log` file as one JSON line:
 *   {"ts","kind":"reply|private","action_id","in_reply_to","to","text",
 *    "native_id"}
 * Rejected and failed attempts are not written: the log is what the
 * network would show, which is what tests compare against.
 *
 * A text longer than MOCK_MAX_TEXT_LENGTH code points is refused FATAL,
 * as a network refuses it (the host checks the declared limit first, so
 * this is reached only by hosts that do not).
 *
 * With `echo_actions`, every accepted action is also kept as the item the
 * network would now list (a comment in the thread, or a message in the
 * conversation, written by the brand), and the next fetch emits it: what
 * the gateway must recognise as its own and not hand to the help desk. Each line is
 * flushed at once so a test reading the file sees it immediately; a
 * write error is logged and does not fail the action (the log is a test
 * aid, not the network).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"

int mock_actions_open(gw_instance *inst, char *err, size_t errlen)
{
    int rc = gw_sdk_kv_get_u64(inst->host, inst->acct, MOCK_KV_ACTION_NEXT, 0, &inst->action_next);
    if (rc < 0) {
        char msg[160];
        snprintf(msg, sizeof msg, "mock: cannot read '%s' from the key/value store: %s",
                 MOCK_KV_ACTION_NEXT, gw_strerror(rc));
        gw_sdk_str_copy(err, errlen, msg);
        return rc;
    }
    if (inst->opt.actions_log == NULL)
        return 0;
    inst->actions_log = fopen(inst->opt.actions_log, "a");
    if (inst->actions_log == NULL) {
        char msg[512];
        snprintf(msg, sizeof msg, "mock: cannot open actions_log '%s': %s", inst->opt.actions_log,
                 strerror(errno));
        gw_sdk_str_copy(err, errlen, msg);
        return GW_EIO;
    }
    return 0;
}

void mock_actions_close(gw_instance *inst)
{
    if (inst->actions_log != NULL)
        fclose(inst->actions_log);
    inst->actions_log = NULL;
}

static json_t *string_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

static void actions_log_append(gw_instance *inst, mock_op_kind kind, const mock_action *action,
                               const char *native_id)
{
    if (inst->actions_log == NULL)
        return;
    char ts[GW_SDK_RFC3339_SIZE];
    gw_sdk_time_format((int64_t)inst->host->now_ms(inst->acct), ts, sizeof ts);
    json_t *line = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:s}", "ts", ts, "kind",
                             kind == MOCK_OP_POST_PUBLIC ? "reply" : "private", "action_id",
                             string_or_null(action->action_id), "in_reply_to",
                             string_or_null(action->in_reply_to), "to", string_or_null(action->to),
                             "text", string_or_null(action->text), "native_id", native_id);
    char *text = line != NULL ? json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(line);
    if (text == NULL || fprintf(inst->actions_log, "%s\n", text) < 0 ||
        fflush(inst->actions_log) != 0)
        inst->host->log(inst->acct, GW_LOG_WARN, "mock: cannot write to actions_log '%s'",
                        inst->opt.actions_log);
    free(text);
}

/* Code points of valid UTF-8 (the host hands over valid UTF-8). */
static size_t utf8_length(const char *s)
{
    size_t n = 0;
    for (; *s != '\0'; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* Keep the item the network now shows for an accepted action. */
static void echo_remember(gw_instance *inst, mock_op_kind kind, const mock_action *action,
                          const char *native_id, const char *url)
{
    if (!inst->opt.echo_actions)
        return;
    if (inst->echoes == NULL && (inst->echoes = json_array()) == NULL)
        return;
    char thread[300];
    if (kind == MOCK_OP_POST_PUBLIC)
        snprintf(thread, sizeof thread, "%s",
                 action->thread_id     ? action->thread_id
                 : action->in_reply_to ? action->in_reply_to
                                       : native_id);
    else
        snprintf(thread, sizeof thread, "dm-%s", action->to ? action->to : "unknown");
    char author_id[160];
    snprintf(author_id, sizeof author_id, "brand-%s", inst->brand);
    json_t *item =
        json_pack("{s:s, s:s, s:s, s:s, s:o, s:{s:s, s:s}, s:s}", "type",
                  kind == MOCK_OP_POST_PUBLIC ? "comment" : "message", "native_id", native_id,
                  "visibility", kind == MOCK_OP_POST_PUBLIC ? "public" : "private", "thread_id",
                  thread, "in_reply_to", string_or_null(action->in_reply_to), "author", "id",
                  author_id, "handle", inst->brand, "text", action->text);
    if (item != NULL && kind == MOCK_OP_POST_PUBLIC)
        json_object_set_new(item, "url", json_string(url));
    if (item == NULL || json_array_append_new(inst->echoes, item) != 0)
        inst->host->log(inst->acct, GW_LOG_WARN, "mock: cannot keep the echo of %s", native_id);
}

void mock_actions_emit_echoes(gw_instance *inst)
{
    if (inst->echoes == NULL || json_array_size(inst->echoes) == 0)
        return;
    json_t *echoes = inst->echoes;
    inst->echoes = NULL;
    size_t index;
    json_t *item;
    json_array_foreach(echoes, index, item)
    {
        char stamp[GW_SDK_RFC3339_SIZE];
        gw_sdk_time_format((int64_t)inst->host->now_ms(inst->acct), stamp, sizeof stamp);
        gw_sdk_json_set_string(item, "created_at", stamp);
        inst->host->emit(inst->acct, json_incref(item)); /* steals one reference */
    }
    json_decref(echoes);
}

void mock_action_run(gw_instance *inst, gw_op *op, mock_op_kind kind, const mock_action *action)
{
    const gw_host *host = inst->host;
    if (action->text == NULL || action->text[0] == '\0') {
        host->complete(op, GW_OUTCOME_FATAL, 0, "empty text", NULL);
        return;
    }
    if (utf8_length(action->text) > MOCK_MAX_TEXT_LENGTH) {
        char msg[80];
        snprintf(msg, sizeof msg, "mock: the text is longer than %d characters",
                 MOCK_MAX_TEXT_LENGTH);
        host->complete(op, GW_OUTCOME_FATAL, 0, msg, NULL);
        return;
    }
    inst->action_next++;
    char native_id[48];
    snprintf(native_id, sizeof native_id, "reply-%llu", (unsigned long long)inst->action_next);
    int rc = gw_sdk_kv_set_u64(host, inst->acct, MOCK_KV_ACTION_NEXT, inst->action_next);
    if (rc < 0)
        host->log(inst->acct, GW_LOG_ERROR, "mock: cannot store '%s': %s", MOCK_KV_ACTION_NEXT,
                  gw_strerror(rc));

    actions_log_append(inst, kind, action, native_id);

    char url[512];
    if (kind == MOCK_OP_POST_PUBLIC)
        snprintf(url, sizeof url, "https://mock.example/%s/%s", inst->brand, native_id);
    else
        snprintf(url, sizeof url, "https://mock.example/%s/messages/%s", inst->brand, native_id);
    echo_remember(inst, kind, action, native_id, url);
    json_t *result = json_pack("{s:s, s:s}", "native_id", native_id, "url", url);
    if (result == NULL) {
        host->complete(op, GW_OUTCOME_RETRY, MOCK_RETRY_DELAY_MS, "mock: out of memory", NULL);
        return;
    }
    host->complete(op, GW_OUTCOME_OK, 0, NULL, result);
}
