/* dispatch_deadletters.c - a sink's dead letters (see dispatch.h): the
 * refused batch parked, a replay asked taken as the next batch, and how
 * many the sink holds now. Split from dispatch.c, which moves the cursor
 * around them. */
#include <string.h>

#include "base/clock.h"
#include "engine/dispatch.h"
#include "engine/dispatch_internal.h"
#include "gateway/error.h"
#include "store/deadletter_store.h"

void dispatch_park(dispatcher *d, const sink_result *res)
{
    gw_runtime *rt = d->rt;
    const char *why = res->message ? res->message : "refused";
    int64_t now = (int64_t)clock_wall_ms();
    int rc = GW_OK;
    if (d->replay_id > 0) {
        rc = deadletter_replay_refused(rt->store, d->replay_id, res->status, why, now);
        log_warn(&rt->log, d->name, "replay of dead letter %lld refused again: %s",
                 (long long)d->replay_id, why);
    } else {
        const char *p = d->buf;
        for (size_t i = 0; i < d->batch.count && rc == GW_OK; i++) {
            const char *nl = memchr(p, '\n', (size_t)(d->buf + d->len - p));
            size_t len = (size_t)(nl - p);
            rc = deadletter_park(rt->store, d->io.sink_name, d->seqs[i], p, len, res->status, why,
                                 now);
            d->stats.dead_letters_held += rc == GW_OK;
            p = nl + 1;
        }
        log_warn(&rt->log, d->name,
                 "parked %zu event%s (seq %lld-%lld) as dead letters: %s (see gateway "
                 "deadletter list)",
                 d->batch.count, d->batch.count == 1 ? "" : "s", (long long)d->batch.first_seq,
                 (long long)d->batch.last_seq, why);
    }
    if (rc < 0)
        log_error(&rt->log, d->name, "could not park the refused events: %s",
                  store_last_error(rt->store));
    d->stats.dead_letters += d->replay_id > 0 ? 0 : d->batch.count;
}

static void on_replay_row(void *arg, const deadletter_row *row)
{
    dispatcher *d = arg;
    if (dispatch_append_line(d, row->seq, row->event, strlen(row->event)) == GW_OK)
        d->replay_id = row->id;
}

int dispatch_take_replay(dispatcher *d)
{
    if (!d->replay_check)
        return 0;
    int rc = deadletter_next_replay(d->rt->store, d->io.sink_name, on_replay_row, d);
    if (rc <= 0 || d->replay_id == 0) {
        d->replay_check = 0;
        d->len = 0;
        memset(&d->batch, 0, sizeof d->batch);
        return 0;
    }
    return 1;
}

void dispatch_dead_letter_dropped(dispatcher *d)
{
    if (d->stats.dead_letters_held > 0)
        d->stats.dead_letters_held--;
}

void dispatch_recount_dead_letters(dispatcher *d)
{
    int64_t n = deadletter_count(d->rt->store, d->io.sink_name);
    d->stats.dead_letters_held = n > 0 ? n : 0;
}

