/* plugins/mock/fetch.c - the mock's fetch: pacing and the durable cursor.
 *
 * The source of events (synthetic or scenario) is addressed by index, and
 * event n is a pure function of (seed, n) or (file, n). So the only state
 * that must survive a restart is n, the number emitted so far: it goes to
 * the host's key/value store with kv_set in the same call as the emits,
 * and the host commits both together. A gateway killed at any point
 * restarts at the n that matches the events it kept, never re-emitting
 * an index with different content and never skipping one; that also
 * makes `count` exact across a kill -9.
 *
 * Pacing with `rate` > 0 is a credit of events due: it grows with the
 * monotonic clock at `rate` per second, each fetch emits what is due (at
 * most `batch`) and spends it. The first event is due at once so a fresh
 * gateway shows something immediately. The backlog that builds up while
 * the host does not fetch is capped at one minute of events (or one
 * batch, whichever is larger), as a network would keep only so much.
 */
#include <stdint.h>

#include "mock.h"

#define BACKLOG_SECONDS 60.0

int mock_fetch_init(gw_instance *inst, char *err, size_t errlen)
{
    const gw_host *host = inst->host;
    inst->cursor_key = inst->scenario != NULL ? MOCK_KV_SCENARIO_NEXT : MOCK_KV_SYNTH_NEXT;
    int rc = gw_sdk_kv_get_u64(host, inst->acct, inst->cursor_key, 0, &inst->next);
    if (rc < 0) {
        char msg[160];
        snprintf(msg, sizeof msg, "mock: cannot read '%s' from the key/value store: %s",
                 inst->cursor_key, gw_strerror(rc));
        gw_sdk_str_copy(err, errlen, msg);
        return rc;
    }
    inst->credit = 1;
    inst->credit_at_ms = host->monotonic_ms(inst->acct);
    return 0;
}

/* One past the last index this instance may emit. */
static uint64_t fetch_limit(const gw_instance *inst)
{
    uint64_t limit = inst->scenario != NULL ? mock_scenario_size(inst->scenario) : UINT64_MAX;
    if (inst->opt.count > 0 && inst->opt.count < limit)
        limit = inst->opt.count;
    return limit;
}

/* How many events this fetch may emit, before the limit. */
static uint64_t fetch_due(gw_instance *inst)
{
    const mock_options *opt = &inst->opt;
    if (opt->rate <= 0)
        return opt->batch;
    uint64_t now = inst->host->monotonic_ms(inst->acct);
    if (now > inst->credit_at_ms) {
        inst->credit += (double)(now - inst->credit_at_ms) * opt->rate / 1000.0;
        inst->credit_at_ms = now;
    }
    double cap = opt->rate * BACKLOG_SECONDS;
    if (cap < (double)opt->batch)
        cap = (double)opt->batch;
    if (inst->credit > cap)
        inst->credit = cap;
    uint64_t due = (uint64_t)inst->credit;
    return due < opt->batch ? due : opt->batch;
}

/* A new reference to event `index` of the configured source, or NULL. */
static json_t *fetch_make_event(gw_instance *inst, uint64_t index)
{
    int64_t now = (int64_t)inst->host->now_ms(inst->acct);
    if (inst->scenario == NULL)
        return mock_synth_event(inst->opt.seed, index, inst->brand, now);
    json_t *event = mock_scenario_event(inst->scenario, (size_t)index);
    char reason[128];
    if (event != NULL && mock_event_prepare(event, now, reason, sizeof reason) < 0) {
        /* scenario.c checked every line at load time */
        json_decref(event);
        return NULL;
    }
    return event;
}

void mock_fetch_run(gw_instance *inst, gw_op *op)
{
    const gw_host *host = inst->host;
    gw_account *acct = inst->acct;
    const uint64_t limit = fetch_limit(inst);

    /* Our own posts first, as a network lists them among new items; they
     * are not counted against `count` (they are not customer items). */
    mock_actions_emit_echoes(inst);

    if (inst->next >= limit) {
        if (!inst->exhausted_logged) {
            host->log(acct, GW_LOG_INFO, "mock: all %llu events emitted (%s); idle",
                      (unsigned long long)inst->next,
                      inst->scenario != NULL && limit == mock_scenario_size(inst->scenario)
                          ? "end of scenario"
                          : "count reached");
            inst->exhausted_logged = true;
        }
        host->complete(op, GW_OUTCOME_OK, GW_DELAY_POLL_INTERVAL, NULL, NULL);
        return;
    }

    uint64_t due = fetch_due(inst);
    if (due > limit - inst->next)
        due = limit - inst->next;

    const uint64_t first = inst->next;
    bool out_of_memory = false, stopping = false;
    for (uint64_t i = 0; i < due; i++) {
        json_t *event = fetch_make_event(inst, inst->next);
        if (event == NULL) {
            out_of_memory = true;
            break;
        }
        int rc = host->emit(acct, event); /* steals event */
        if (rc == GW_ESTATE) {
            stopping = true;
            break;
        }
        if (rc < 0) {
            /* The same index would be rejected again: count it and go on
             * rather than stall the account on it forever. */
            host->log(acct, GW_LOG_WARN, "mock: event %llu rejected by the host: %s",
                      (unsigned long long)inst->next, gw_strerror(rc));
        }
        inst->next++;
    }

    const uint64_t emitted = inst->next - first;
    if (inst->opt.rate > 0)
        inst->credit = inst->credit > (double)emitted ? inst->credit - (double)emitted : 0;
    if (emitted > 0) {
        int rc = gw_sdk_kv_set_u64(host, acct, inst->cursor_key, inst->next);
        if (rc < 0)
            host->log(acct, GW_LOG_ERROR, "mock: cannot store '%s': %s", inst->cursor_key,
                      gw_strerror(rc));
    }

    if (out_of_memory) {
        host->complete(op, GW_OUTCOME_RETRY, MOCK_RETRY_DELAY_MS, "mock: out of memory", NULL);
        return;
    }
    bool more = !stopping && inst->next < limit && (inst->opt.rate <= 0 || inst->credit >= 1);
    host->complete(op, GW_OUTCOME_OK, more ? 0 : GW_DELAY_POLL_INTERVAL, NULL, NULL);
}
