/* plugins/youtube/ledger.c - the account's quota bookkeeping: the day's
 * count of units (quota.c does the arithmetic), stored in the host's
 * key/value store so a restart does not forget what the day has spent,
 * and published in /metrics through gw_host.metric_set (ABI 1.3) as
 * gateway_plugin_quota_used_units, _remaining_units, _limit_units and
 * _reset_timestamp_seconds.
 */
#include <stdlib.h>
#include <string.h>

#include "youtube.h"

#define KV_QUOTA_USED "quota.used"
#define KV_QUOTA_RESET "quota.reset_ms"

/* ---- quota bookkeeping ------------------------------------------------- */

static void quota_publish(gw_instance *inst)
{
    const gw_host *host = inst->host;
    if (!GW_HOST_HAS(host, metric_set))
        return;
    const yt_quota *q = &inst->quota;
    uint64_t left = q->used < q->limit ? q->limit - q->used : 0;
    host->metric_set(inst->acct, "quota_used_units", "YouTube quota units spent since the "
                     "last reset (midnight Pacific time).", (double)q->used);
    host->metric_set(inst->acct, "quota_remaining_units",
                     "YouTube quota units left until the reset.", (double)left);
    host->metric_set(inst->acct, "quota_limit_units", "The configured daily_quota.",
                     (double)q->limit);
    host->metric_set(inst->acct, "quota_reset_timestamp_seconds",
                     "When the YouTube quota resets (Unix time).", (double)(q->reset_ms / 1000));
}

static void quota_store(gw_instance *inst)
{
    gw_sdk_kv_set_u64(inst->host, inst->acct, KV_QUOTA_USED, inst->quota.used);
    gw_sdk_kv_set_u64(inst->host, inst->acct, KV_QUOTA_RESET, (uint64_t)inst->quota.reset_ms);
}

void yt_quota_refresh(gw_instance *inst)
{
    int64_t now = (int64_t)inst->host->now_ms(inst->acct);
    if (!inst->quota_loaded) {
        uint64_t used = 0, reset = 0;
        gw_sdk_kv_get_u64(inst->host, inst->acct, KV_QUOTA_USED, 0, &used);
        gw_sdk_kv_get_u64(inst->host, inst->acct, KV_QUOTA_RESET, 0, &reset);
        inst->quota.used = used;
        inst->quota.reset_ms = (int64_t)reset;
        /* A stored reset further away than a day is not ours to trust. */
        if (inst->quota.reset_ms > now + 25 * INT64_C(3600000))
            inst->quota.reset_ms = 0;
        inst->quota_loaded = true;
    }
    if (yt_quota_roll(&inst->quota, now))
        quota_store(inst);
    quota_publish(inst);
}

void yt_quota_charge(gw_instance *inst, uint64_t cost)
{
    yt_quota_refresh(inst);
    inst->quota.used += cost;
    quota_store(inst);
    quota_publish(inst);
}

uint64_t yt_quota_spent(gw_instance *inst)
{
    yt_quota_refresh(inst);
    if (inst->quota.used < inst->quota.limit)
        inst->quota.used = inst->quota.limit;
    quota_store(inst);
    quota_publish(inst);
    int64_t now = (int64_t)inst->host->now_ms(inst->acct);
    /* A second past the reset, so the retry finds the new day. */
    return inst->quota.reset_ms > now ? (uint64_t)(inst->quota.reset_ms - now) + 1000 : 1000;
}
