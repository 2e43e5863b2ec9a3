/* outbox_read.c - what the action API reads of the outbox: an action's
 * document (GET /v1/actions/{id}), echo recognition for the pipeline (an
 * item that is our own post coming back) and the counters. The queue and
 * the send path are outbox.c's.
 */
#include "engine/outbox.h"

#include "engine/outbox_internal.h"

#include <stdio.h>
#include <string.h>

#include "gateway/sdk.h"

static void format_time(uint64_t ms, char *buf, size_t len)
{
    if (gw_sdk_time_format((int64_t)ms, buf, len) < 0)
        snprintf(buf, len, "1970-01-01T00:00:00Z");
}

static json_t *time_json(int64_t ms)
{
    char buf[GW_SDK_RFC3339_SIZE];
    format_time((uint64_t)ms, buf, sizeof buf);
    return json_string(buf);
}

/* Ownership: returns a new object (caller decrefs) or NULL on ENOMEM. */
static json_t *row_document(const outbox_row *r)
{
    json_t *next_at = r->state != NULL && strcmp(r->state, "retrying") == 0
                          ? time_json(r->next_at_ms)
                          : json_null();
    return json_pack(
        "{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:I, s:o, s:o, s:o, "
        "s:o, s:o, s:o}",
        "id", outbox_string_or_null(r->id), "state", outbox_string_or_null(r->state), "network",
        outbox_string_or_null(r->network), "account", outbox_string_or_null(r->account), "kind",
        outbox_string_or_null(r->kind), "in_reply_to", outbox_string_or_null(r->in_reply_to), "to",
        outbox_string_or_null(r->recipient), "text", outbox_string_or_null(r->text), "idempotency_key",
        outbox_string_or_null(r->key), "force", r->force, "attempts", (json_int_t)r->attempts,
        "created_at", time_json(r->created_ms), "updated_at", time_json(r->updated_ms),
        "next_attempt_at", next_at, "native_id", outbox_string_or_null(r->result_native_id), "url",
        outbox_string_or_null(r->result_url), "reason", outbox_string_or_null(r->reason));
}

static int document_row(void *arg, const outbox_row *row)
{
    json_t **out = arg;
    *out = row_document(row);
    return GW_OK;
}

int outbox_action_get(outbox *ob, const char *id, json_t **out)
{
    *out = NULL;
    int rc = outbox_store_get(ob->db, id, document_row, out);
    if (rc == 1)
        return *out != NULL ? GW_OK : GW_ENOMEM;
    return rc == 0 ? GW_ENOENT : rc;
}

int outbox_is_echo(void *arg, const char *network, const char *account, const json_t *event)
{
    outbox *ob = arg;
    const char *native = json_string_value(json_object_get(event, "native_id"));
    if (ob == NULL || ob->echo_candidates == 0 || native == NULL)
        return 0;
    char action_id[64];
    if (outbox_store_echo(ob->db, network, account, native, action_id, sizeof action_id) != 1)
        return 0;
    ob->stats.echoes++;
    char label[256];
    snprintf(label, sizeof label, "%s/%s", network, account);
    log_debug(&ob->rt->log, label, "dropped item %s: our own post (action %s) coming back", native,
              action_id);
    return 1;
}

const outbox_stats *outbox_stats_get(const outbox *ob)
{
    return &ob->stats;
}
