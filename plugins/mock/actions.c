/* plugins/mock/actions.c - the mock's post_public and send_private.
 *
 * The mock network accepts any non-empty text. Each accepted action gets
 * a native id "reply-<n>", n counting the account's actions from 1 and
 * kept in the key/value store ("action_next") so ids stay unique across
 * restarts, and is appended to the `actions_log` file as one JSON line:
 *   {"ts","kind":"reply|private","action_id","in_reply_to","to","text",
 *    "native_id"}
 * Rejected and failed attempts are not written: the log is what the
 * network would show, which is what tests compare against. Each line is
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

void mock_action_run(gw_instance *inst, gw_op *op, mock_op_kind kind, const mock_action *action)
{
    const gw_host *host = inst->host;
    if (action->text == NULL || action->text[0] == '\0') {
        host->complete(op, GW_OUTCOME_FATAL, 0, "empty text", NULL);
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
    json_t *result = json_pack("{s:s, s:s}", "native_id", native_id, "url", url);
    if (result == NULL) {
        host->complete(op, GW_OUTCOME_RETRY, MOCK_RETRY_DELAY_MS, "mock: out of memory", NULL);
        return;
    }
    host->complete(op, GW_OUTCOME_OK, 0, NULL, result);
}
