/* conv_sla.c - first-response targets: each new conversation's deadline
 * ([service] target counted inside [service] hours), one timer at the
 * earliest deadline, sla.breached emitted once per conversation (the
 * conversation row records it in the same tick, so a restart does not
 * emit it again), and the first-response figures for /metrics.
 *
 * The clock starts when the gateway receives the first customer item,
 * not at the network's created_at: a backfill of old items on a first
 * start would otherwise breach at once, and the team cannot answer what
 * the gateway has not delivered yet.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/grow.h"
#include "gateway/error.h"
#include "gateway/sdk.h"
#include "service/conv_state.h"

const double conv_response_bounds[CONV_RESPONSE_BUCKETS] = {60,   300,   900,   1800,  3600,
                                                            7200, 14400, 28800, 86400, 259200};

static void sla_timer_cb(uv_timer_t *t);

static void sla_arm(conv_service *svc, int64_t deadline_ms)
{
    int64_t now = (int64_t)clock_wall_ms();
    uv_timer_start(&svc->sla_timer, sla_timer_cb,
                   deadline_ms > now ? (uint64_t)(deadline_ms - now) : 0, 0);
}

static int sla_push(conv_service *svc, int64_t id)
{
    if (svc->sla_head + svc->sla_len == svc->sla_cap) {
        if (svc->sla_head > 0) { /* reuse the popped front */
            memmove(svc->sla_ids, svc->sla_ids + svc->sla_head, svc->sla_len * sizeof(int64_t));
            svc->sla_head = 0;
        }
        int64_t *grown =
            grow_array(svc->sla_ids, &svc->sla_cap, svc->sla_len + 1, sizeof *grown, 256);
        if (grown == NULL)
            return GW_ENOMEM;
        svc->sla_ids = grown;
    }
    svc->sla_ids[svc->sla_head + svc->sla_len++] = id;
    return GW_OK;
}

/* A conversation still waiting for its first answer past its deadline? */
static int sla_pending(const conv *cv)
{
    return cv != NULL && cv->state != CONV_CLOSED && cv->answered_ms == 0 && !cv->breached &&
           cv->deadline_ms > 0;
}

void conv_sla_track(conv_service *svc, conv *cv)
{
    if (svc->opt.target_ms == 0)
        return;
    cv->deadline_ms =
        business_hours_add(&svc->opt.hours, svc->tz, cv->first_ms, (int64_t)svc->opt.target_ms);
    if (sla_push(svc, cv->id) != GW_OK) {
        char id[CONV_IDSTR_MAX];
        log_write(svc->log, GW_LOG_ERROR, "conversations",
                  "out of memory: conversation %s is not watched for its target",
                  conv_idstr(cv, id));
        return;
    }
    if (svc->sla_len == 1)
        sla_arm(svc, cv->deadline_ms);
}

static void sla_emit(conv_service *svc, conv *cv, int64_t now)
{
    char first[40], deadline[40], net[128], acct[256];
    gw_sdk_time_format(cv->first_ms, first, sizeof first);
    gw_sdk_time_format(cv->deadline_ms, deadline, sizeof deadline);
    snprintf(net, sizeof net, "%.*s", (int)cv->net_len, cv->key);
    snprintf(acct, sizeof acct, "%.*s", (int)cv->acct_len, cv->key + cv->net_len + 1);
    char native[48], id[CONV_IDSTR_MAX];
    snprintf(native, sizeof native, "sla:%s", conv_idstr(cv, id));
    cv->breached = 1;
    conv_mark(svc, cv);
    svc->breaches++;
    if (svc->opt.emit == NULL)
        return;
    json_t *ev =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:f, s:f}}", "type", "sla.breached",
                  "visibility", cv->is_public ? "public" : "private", "native_id", native,
                  "thread_id", cv->key + cv->net_len + cv->acct_len + 2, "conversation_id",
                  id, "detail", "conversation_id", id, "first_item_at", first,
                  "deadline", deadline, "target_seconds", (double)svc->opt.target_ms / 1000.0,
                  "waited_seconds", (double)(now - cv->first_ms) / 1000.0);
    if (ev != NULL)
        svc->opt.emit(svc->opt.emit_arg, net, acct, ev);
}

/* Emit for every conversation whose deadline passed, then wait for the
 * next one. */
static void sla_timer_cb(uv_timer_t *t)
{
    conv_service *svc = t->data;
    int64_t now = (int64_t)clock_wall_ms();
    while (svc->sla_len > 0) {
        int64_t id = svc->sla_ids[svc->sla_head];
        conv *cv = idmap_get(svc->by_id, id);
        if (sla_pending(cv) && cv->deadline_ms > now) {
            sla_arm(svc, cv->deadline_ms);
            return;
        }
        if (sla_pending(cv))
            sla_emit(svc, cv, now);
        svc->sla_head++;
        svc->sla_len--;
    }
    svc->sla_head = 0;
}

void conv_sla_answered(conv_service *svc, const conv *cv)
{
    double s = (double)(cv->answered_ms - cv->first_ms) / 1000.0;
    size_t b = 0;
    while (b < CONV_RESPONSE_BUCKETS && s > conv_response_bounds[b])
        b++;
    if (b < CONV_RESPONSE_BUCKETS)
        svc->response_buckets[b]++;
    svc->response_count++;
    svc->response_sum_s += s;
    if (cv->deadline_ms == 0 || cv->answered_ms <= cv->deadline_ms)
        svc->response_within++;
}

static int collect_waiting(void *arg, void *value)
{
    conv_service *svc = arg;
    conv *cv = value;
    if (sla_pending(cv))
        return sla_push(svc, cv->id);
    return 0;
}

int conv_sla_open(conv_service *svc, char *err, size_t errlen)
{
    int rc = tzif_load(NULL, svc->opt.timezone ? svc->opt.timezone : "UTC", &svc->tz, err, errlen);
    if (rc != GW_OK)
        return rc;
    uv_timer_init(svc->loop, &svc->sla_timer);
    svc->sla_timer.data = svc;
    return GW_OK;
}

int conv_sla_load(conv_service *svc)
{
    if (svc->opt.target_ms == 0)
        return GW_OK;
    /* the loaded conversations, oldest first: ids follow creation order,
     * and by_id is walked in id order */
    if (idmap_each(svc->by_id, collect_waiting, svc) != 0)
        return GW_ENOMEM;
    if (svc->sla_len > 0)
        sla_arm(svc, 0);
    return GW_OK;
}

void conv_sla_reset(conv_service *svc)
{
    uv_timer_stop(&svc->sla_timer);
    svc->sla_head = svc->sla_len = 0;
}

void conv_sla_close(conv_service *svc)
{
    if (!uv_is_closing((uv_handle_t *)&svc->sla_timer))
        uv_close((uv_handle_t *)&svc->sla_timer, NULL);
}

void conv_sla_free(conv_service *svc)
{
    tzif_free(svc->tz);
    free(svc->sla_ids);
}
