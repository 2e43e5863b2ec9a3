/* outbox_prune.c - deleting finished actions after [gateway]
 * action_retention, and answering for their idempotency keys for
 * [gateway] idempotency_window; see outbox.h ("Pruning") and
 * docs/design.md ("Pruning finished actions").
 *
 * Owns the prune timer. Each tick deletes one bounded slice (the oldest
 * first) in the tick's transaction, so a large backlog is worked off a
 * slice at a time with the loop free in between, never in one long
 * statement. What a row and a key record hold is store/outbox_store.c's.
 */
#include "engine/outbox_prune.h"

#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "engine/outbox_internal.h"
#include "gateway/sdk.h"

#define COMPONENT "outbox"

/* Rows (and key records) per slice: small enough that one slice never
 * holds the loop noticeably. */
#define PRUNE_SLICE_ROWS 256
/* After a full slice, the next one soon; otherwise look again after a
 * part of the shortest period, at most a minute and at least this. */
#define PRUNE_SLICE_GAP_MS 10
#define PRUNE_MAX_INTERVAL_MS (60 * 1000)
#define PRUNE_MIN_INTERVAL_MS 200

static uint64_t prune_interval(const outbox *ob)
{
    int64_t shortest = ob->retention_ms;
    if (ob->window_ms > 0 && (shortest == 0 || ob->window_ms < shortest))
        shortest = ob->window_ms;
    uint64_t every = (uint64_t)shortest / 4;
    if (every < PRUNE_MIN_INTERVAL_MS)
        every = PRUNE_MIN_INTERVAL_MS;
    return every > PRUNE_MAX_INTERVAL_MS ? PRUNE_MAX_INTERVAL_MS : every;
}

static void prune_cb(uv_timer_t *t)
{
    outbox *ob = t->data;
    if (ob->quiesced)
        return;
    outbox_prune_limits lim = {
        .now_ms = (int64_t)clock_wall_ms(),
        .retention_ms = ob->retention_ms,
        .window_ms = ob->window_ms,
        .max_rows = PRUNE_SLICE_ROWS,
    };
    outbox_pruned done;
    int rc = outbox_store_prune(ob->db, &lim, &done);
    if (rc != GW_OK) {
        log_warn(&ob->rt->log, COMPONENT, "pruning finished actions failed: %s",
                 store_last_error(ob->rt->store));
        done = (outbox_pruned){0};
    } else if (done.actions > 0 || done.keys > 0) {
        ob->stats.pruned += (uint64_t)done.actions;
        log_debug(&ob->rt->log, COMPONENT,
                  "pruned %lld finished actions and %lld idempotency keys past their window",
                  (long long)done.actions, (long long)done.keys);
    }
    int more = done.actions == PRUNE_SLICE_ROWS || done.keys == PRUNE_SLICE_ROWS;
    uv_timer_start(&ob->prune_timer, prune_cb, more ? PRUNE_SLICE_GAP_MS : prune_interval(ob),
                   0);
}

void outbox_prune_init(outbox *ob)
{
    const json_t *g = ob->rt->cfg != NULL ? ob->rt->cfg->gateway : NULL;
    /* No [gateway] section (unit tests): nothing is pruned. */
    ob->retention_ms = (int64_t)json_integer_value(json_object_get(g, "action_retention"));
    ob->window_ms = (int64_t)json_integer_value(json_object_get(g, "idempotency_window"));
    uv_timer_init(&ob->rt->loop, &ob->prune_timer);
    ob->prune_timer.data = ob;
    ob->prune_timer_open = 1;
}

void outbox_prune_start(outbox *ob)
{
    /* Key records outlive a retention turned off, until their window. */
    if (ob->prune_timer_open && (ob->retention_ms > 0 || ob->window_ms > 0))
        uv_timer_start(&ob->prune_timer, prune_cb, prune_interval(ob), 0);
}

void outbox_prune_stop(outbox *ob)
{
    if (!ob->prune_timer_open)
        return;
    uv_timer_stop(&ob->prune_timer);
    uv_close((uv_handle_t *)&ob->prune_timer, NULL);
    ob->prune_timer_open = 0;
}

/* ---- what is left of a pruned action ------------------------------------ */

static json_t *time_or_null(int64_t ms)
{
    char buf[GW_SDK_RFC3339_SIZE];
    return gw_sdk_time_format(ms, buf, sizeof buf) < 0 ? json_null() : json_string(buf);
}

static json_t *string_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

/* What is left of a pruned action: who, what became of it, where it is,
 * and "pruned": true; its text and request are gone. */
static int key_document(void *arg, const outbox_key_row *r)
{
    json_t **out = arg;
    *out = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b}", "id",
                     string_or_null(r->action_id), "state", string_or_null(r->state), "network",
                     string_or_null(r->network), "account", string_or_null(r->account), "kind",
                     string_or_null(r->kind), "idempotency_key", string_or_null(r->key),
                     "created_at", time_or_null(r->created_ms), "updated_at",
                     time_or_null(r->finished_ms), "native_id",
                     string_or_null(r->result_native_id), "url", string_or_null(r->result_url),
                     "pruned", 1);
    return GW_OK;
}

int outbox_action_get_pruned(outbox *ob, const char *key, json_t **out)
{
    *out = NULL;
    if (ob->window_ms <= 0)
        return GW_ENOENT;
    int rc = outbox_store_get_pruned_key(ob->db, key, (int64_t)clock_wall_ms() - ob->window_ms,
                                         key_document, out);
    if (rc == 1)
        return *out != NULL ? GW_OK : GW_ENOMEM;
    return rc == 0 ? GW_ENOENT : rc;
}
