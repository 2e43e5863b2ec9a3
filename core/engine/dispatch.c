/* dispatch.c - moving committed events into sinks; see dispatch.h.
 *
 * A synchronous sink's write runs on a worker thread (uv_queue_work); an
 * asynchronous one's write_async on the loop, its HTTP requests going
 * through a client of the dispatcher's own (no host-side retries: the
 * backoff here is the one retry policy, so every attempt is counted and
 * ordered). Both end in finish(), which moves the cursor, parks refused
 * events as dead letters (dispatch_deadletters.c) or schedules the retry. A
 * replay asked through the API (dispatch_replay) goes before the next
 * batch of the log, as a batch of its one event, and moves no cursor.
 */
#include "engine/dispatch.h"
#include "engine/dispatch_internal.h"

#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "http/http_client.h"
#include "store/deadletter_store.h"

#define SINK_RETRY_BASE_MS 100
/* An asynchronous sink records its cursor at most this often while it
 * keeps sending, and always when it runs out of events, parks, or closes:
 * at one event per request a durable cursor per event would put a commit
 * (an fsync) on every request. A crash resends at most this much, under
 * the same delivery ids. */
#define SINK_CHECKPOINT_MS 200
/* The longest Retry-After a receiver may impose on one attempt. */
#define SINK_MAX_RETRY_AFTER_MS 3600000u


static void dispatcher_free_cb(uv_handle_t *h)
{
    dispatcher *d = h->data;
    free(d->buf);
    free(d->seqs);
    free(d->name);
    free(d->plan_key);
    free(d);
    free(h);
}

static void work_cb(uv_work_t *w)
{
    dispatcher *d = w->data;
    d->write_err[0] = '\0';
    if (d->reopen_pending && d->type->reopen != NULL) {
        d->reopen_pending = 0;
        d->write_rc = d->type->reopen(d->state, d->write_err, sizeof d->write_err);
        if (d->write_rc != GW_OK)
            return;
    }
    d->reopen_pending = 0;
    if (d->batch.count == 0) {
        d->write_rc = GW_OK;
        return;
    }
    d->batch.data = d->buf;
    d->batch.len = d->len;
    d->write_rc = d->type->write(d->state, &d->batch, d->write_err, sizeof d->write_err);
}

static void submit(dispatcher *d);

static void retry_cb(uv_timer_t *t)
{
    submit(t->data);
}

/* Write the cursor if it moved since it was last written (durable at the
 * next commit). */
static void cursor_store(dispatcher *d)
{
    if (d->cursor == d->cursor_stored)
        return;
    if (store_cursor_set(d->rt->store, d->name, d->cursor) < 0) {
        log_error(&d->rt->log, d->name, "could not record the sink cursor: %s",
                  store_last_error(d->rt->store));
        return;
    }
    d->cursor_stored = d->cursor;
    d->cursor_stored_ms = clock_monotonic_ms();
}

static void really_close(dispatcher *d)
{
    /* First the client: it cancels a request in flight without calling
     * back, so the sink's state can go. */
    if (d->client != NULL)
        http_client_close(d->client, NULL, NULL);
    d->client = NULL;
    if (d->state != NULL)
        d->type->close(d->state);
    d->state = NULL;
    uv_close((uv_handle_t *)d->retry_timer, dispatcher_free_cb);
}

/* A write ended (either kind of sink): rc as write returned; res is the
 * asynchronous sink's report, or NULL. */
static void finish(dispatcher *d, int rc, const sink_result *res)
{
    gw_runtime *rt = d->rt;
    d->busy = 0;
    if (res != NULL)
        d->stats.last_status = res->status;
    int parked = rc != GW_OK && res != NULL && res->park;
    if ((rc == GW_OK || parked) && d->batch.count > 0) {
        if (parked)
            dispatch_park(d, res);
        else
            d->stats.delivered += d->batch.count;
        if (d->replay_id > 0) {
            /* A replay moves no cursor: the event is behind it already. */
            int dropped = parked ? 0 : deadletter_drop(rt->store, d->replay_id);
            if (dropped < 0)
                log_error(&rt->log, d->name, "could not remove the replayed dead letter: %s",
                          store_last_error(rt->store));
            else if (dropped > 0)
                dispatch_dead_letter_dropped(d);
            if (!parked)
                log_info(&rt->log, d->name, "dead letter %lld replayed",
                         (long long)d->replay_id);
            d->replay_id = 0;
        } else {
            d->cursor = d->batch.last_seq;
            /* A planned range starts right after the stored cursor: store
             * it with every batch (one row write; the batches are big). */
            if (d->type->write_async == NULL || parked || d->names_batches ||
                clock_monotonic_ms() - d->cursor_stored_ms >= SINK_CHECKPOINT_MS)
                cursor_store(d);
        }
    }
    if (d->closing) {
        really_close(d);
        return;
    }
    if (rc == GW_OK || parked) {
        if (d->failing)
            log_info(&rt->log, d->name, "sink recovered after %u failed attempts", d->attempt);
        d->failing = 0;
        d->stats.failing = 0;
        d->attempt = 0;
        d->pending = 0;
        if (rt->stopping)
            runtime_check_drained(rt);
        dispatch_kick(d);
        return;
    }
    /* Keep the batch: the same events are retried, in the same order. */
    uint64_t delay = backoff_full_jitter(&rt->rng, SINK_RETRY_BASE_MS, d->retry_max_ms,
                                         d->attempt);
    if (res != NULL && res->retry_after_ms > delay)
        delay = res->retry_after_ms < SINK_MAX_RETRY_AFTER_MS ? res->retry_after_ms
                                                              : SINK_MAX_RETRY_AFTER_MS;
    if (!d->failing || (d->attempt & (d->attempt - 1)) == 0)
        log_warn(&rt->log, d->name, "sink write failed (attempt %u), retrying in %llu ms: %s",
                 d->attempt + 1, (unsigned long long)delay,
                 res != NULL && res->message ? res->message
                 : d->write_err[0]           ? d->write_err
                                             : gw_strerror(rc));
    d->failing = 1;
    d->stats.failing = 1;
    d->stats.write_failures++;
    d->attempt++;
    if (rt->stopping)
        runtime_check_drained(rt);
    uv_timer_start(d->retry_timer, retry_cb, delay, 0);
}

static void after_work_cb(uv_work_t *w, int status)
{
    dispatcher *d = w->data;
    if (status == UV_ECANCELED)
        d->write_rc = GW_EBUSY;
    finish(d, d->write_rc, NULL);
}

static void async_done(void *arg, const sink_result *res)
{
    dispatcher *d = arg;
    finish(d, res->rc, res);
}

/* sink_io.http_send: the dispatcher's own client, made on first use. */
static int io_http_send(void *ctx, const gw_http_request *req, gw_http_cb cb, void *arg)
{
    dispatcher *d = ctx;
    if (d->client == NULL) {
        http_client_options copts;
        http_client_options_init(&copts);
        copts.log = &d->rt->log;
        copts.max_retries = 0;
        copts.max_host_connections = 2; /* one request in flight, one spare */
        char err[256];
        if (http_client_new(&d->rt->loop, &copts, &d->client, err, sizeof err) != GW_OK) {
            log_error(&d->rt->log, d->name, "cannot create the HTTP client: %s", err);
            d->client = NULL;
            return GW_EIO;
        }
    }
    return http_client_request(d->client, NULL, d, d->name, req, cb, arg, NULL);
}

/* The loop must not sleep in poll while a plan waits for its commit: the
 * commit runs before poll (daemon/gateway.c), and a due timer makes poll
 * return at once. Nothing to do when it fires. */
static void wake_cb(uv_timer_t *t)
{
    (void)t;
}

static void send_batch(dispatcher *d);

static void plan_committed(void *arg, int committed)
{
    dispatcher *d = arg;
    d->plan_waiting = 0;
    if (d->closing) {
        really_close(d);
        return;
    }
    if (!committed) {
        /* Not durable: nothing may leave. The batch is retried, and
         * planned again, after the backoff. */
        snprintf(d->write_err, sizeof d->write_err, "could not record the batch's range: %s",
                 store_last_error(d->rt->store));
        finish(d, GW_EIO, NULL);
        return;
    }
    d->plan_last = d->batch.last_seq;
    send_batch(d);
}

/* Record the batch's range (its first seq is the stored cursor + 1) and
 * send it once that is committed. */
static void plan_batch(dispatcher *d)
{
    int rc = store_cursor_set(d->rt->store, d->plan_key, d->batch.last_seq);
    if (rc == GW_OK)
        rc = runtime_after_commit(d->rt, plan_committed, d);
    if (rc != GW_OK) {
        snprintf(d->write_err, sizeof d->write_err, "could not record the batch's range: %s",
                 store_last_error(d->rt->store));
        finish(d, rc, NULL);
        return;
    }
    d->plan_waiting = 1;
    uv_timer_start(d->retry_timer, wake_cb, 0, 0);
}

static void submit(dispatcher *d)
{
    if (d->busy || d->closing)
        return;
    if (!d->pending) {
        d->len = 0;
        memset(&d->batch, 0, sizeof d->batch);
        d->replay_id = 0;
        /* no event leaves before the members kept beside it (egress.h) */
        int64_t committed = egress_limit(&d->rt->egress, store_committed_seq(d->rt->store));
        if (dispatch_take_replay(d)) {
            /* the batch holds the replayed dead letter */
        } else if (d->cursor < committed) {
            /* After a restart, a range planned before the crash goes first,
             * exactly as it may have gone then. */
            d->read_limit = d->names_batches && d->plan_last > d->cursor ? d->plan_last : 0;
            egress_begin(&d->egress, &d->rt->egress);
            int rc = store_read_upto(d->rt->store, d->cursor, committed, d->batch_size,
                                     dispatch_read_line, d);
            egress_end(&d->egress);
            d->read_limit = 0;
            if (rc < 0) {
                log_error(&d->rt->log, d->name, "could not read the log: %s",
                          store_last_error(d->rt->store));
                d->len = 0;
                memset(&d->batch, 0, sizeof d->batch);
                return;
            }
        }
        if (d->batch.count == 0 && !d->reopen_pending) {
            cursor_store(d); /* caught up: the checkpoint may lag no longer */
            return;
        }
        d->pending = d->batch.count > 0;
    }
    d->busy = 1;
    if (d->type->write_async == NULL) {
        uv_queue_work(&d->rt->loop, &d->work, work_cb, after_work_cb);
        return;
    }
    if (d->names_batches && d->replay_id == 0 && d->plan_last != d->batch.last_seq) {
        plan_batch(d);
        return;
    }
    send_batch(d);
}

static void send_batch(dispatcher *d)
{
    d->batch.data = d->buf;
    d->batch.len = d->len;
    d->write_err[0] = '\0';
    int rc = d->type->write_async(d->state, &d->batch, &d->io, async_done, d, d->write_err,
                                  sizeof d->write_err);
    if (rc != GW_OK)
        finish(d, rc, NULL);
}

void dispatch_replay(dispatcher *d)
{
    d->replay_check = 1;
    dispatch_kick(d);
}

void dispatch_kick(dispatcher *d)
{
    if (d->busy || d->closing || uv_is_active((uv_handle_t *)d->retry_timer))
        return;
    submit(d);
}

void dispatch_request_reopen(dispatcher *d)
{
    d->reopen_pending = 1;
    dispatch_kick(d);
}

int dispatch_busy(const dispatcher *d)
{
    return d->busy;
}

int dispatch_settled(const dispatcher *d)
{
    if (d->busy)
        return 0;
    /* every committed event, not only those whose members are committed:
     * a drain waits for the service's last commit too (its uv_async kicks
     * the sinks, whose next batch asks again) */
    return d->failing || d->cursor >= store_committed_seq(d->rt->store);
}

const dispatch_stats *dispatch_stats_get(const dispatcher *d)
{
    return &d->stats;
}

const char *dispatch_type(const dispatcher *d)
{
    return d->type->name;
}

int64_t dispatch_cursor(const dispatcher *d)
{
    return d->cursor;
}

const char *dispatch_name(const dispatcher *d)
{
    return d->name;
}

int dispatch_open(gw_runtime *rt, const cfg_sink *cfg, dispatcher **out, char *err,
                  size_t errlen)
{
    const sink_type *type = sink_type_find(cfg->type);
    if (type == NULL) {
        snprintf(err, errlen, "sink \"%s\": unknown type \"%s\"", cfg->name, cfg->type);
        return GW_EINVAL;
    }
    dispatcher *d = calloc(1, sizeof *d);
    uv_timer_t *timer = calloc(1, sizeof *timer);
    char label[160];
    snprintf(label, sizeof label, "sink/%s", cfg->name);
    if (d == NULL || timer == NULL || (d->name = strdup(label)) == NULL) {
        free(d);
        free(timer);
        snprintf(err, errlen, "sink \"%s\": out of memory", cfg->name);
        return GW_ENOMEM;
    }
    d->rt = rt;
    d->type = type;
    d->work.data = d;
    d->batch_size = (size_t)json_integer_value(json_object_get(cfg->settings, "batch_size"));
    d->retry_max_ms = (uint64_t)json_integer_value(json_object_get(cfg->settings, "retry_max"));
    if (d->batch_size == 0)
        d->batch_size = 1024;
    if (d->retry_max_ms == 0)
        d->retry_max_ms = 30000;
    uv_timer_init(&rt->loop, timer);
    timer->data = d;
    d->retry_timer = timer;

    d->io.http_send = io_http_send;
    d->io.ctx = d;
    d->io.sink_name = d->name + 5; /* after "sink/" */
    d->io.loop = &rt->loop;
    d->replay_check = 1;           /* replays asked before a restart */

    char why[256] = "";
    int rc = type->open(cfg->settings, &d->state, why, sizeof why);
    if (rc != GW_OK) {
        snprintf(err, errlen, "sink \"%s\" (%s): %s", cfg->name, type->name,
                 why[0] ? why : gw_strerror(rc));
        goto fail;
    }
    size_t most = type->max_batch != NULL ? type->max_batch(d->state) : 0;
    if (most > 0 && most < d->batch_size)
        d->batch_size = most;
    if (type->write_async != NULL && type->names_batches != NULL &&
        type->names_batches(d->state)) {
        d->names_batches = 1;
        char key[176];
        snprintf(key, sizeof key, "batch/%s", cfg->name);
        if ((d->plan_key = strdup(key)) == NULL) {
            snprintf(err, errlen, "sink \"%s\": out of memory", cfg->name);
            rc = GW_ENOMEM;
            goto fail;
        }
    }
    if ((rc = deadletter_init(rt->store)) != GW_OK) {
        snprintf(err, errlen, "sink \"%s\": cannot create the dead-letter table: %s", cfg->name,
                 store_last_error(rt->store));
        goto fail;
    }
    dispatch_recount_dead_letters(d);
    int64_t stored = 0;
    rc = store_cursor_get(rt->store, d->name, &stored);
    if (rc < 0) {
        snprintf(err, errlen, "sink \"%s\": cannot read its cursor: %s", cfg->name,
                 gw_strerror(rc));
        goto fail;
    }
    d->cursor = stored;
    if (d->names_batches && (rc = store_cursor_get(rt->store, d->plan_key, &d->plan_last)) < 0) {
        snprintf(err, errlen, "sink \"%s\": cannot read its planned batch: %s", cfg->name,
                 gw_strerror(rc));
        goto fail;
    }
    if (type->reconcile != NULL) {
        int64_t held = 0;
        rc = type->reconcile(d->state, &held, why, sizeof why);
        if (rc != GW_OK) {
            snprintf(err, errlen, "sink \"%s\" (%s): cannot reconcile: %s", cfg->name,
                     type->name, why[0] ? why : gw_strerror(rc));
            goto fail;
        }
        if (held > store_committed_seq(rt->store)) {
            /* Only possible when the log lost commits the sink saw (power
             * loss with synchronous = "normal"): say so loudly. */
            log_error(&rt->log, d->name,
                      "the sink holds seq %lld but the log ends at %lld; events may be "
                      "missing from the log",
                      (long long)held, (long long)store_committed_seq(rt->store));
        }
        if (held > d->cursor) {
            log_info(&rt->log, d->name,
                     "resuming after seq %lld found in the sink (stored cursor %lld)",
                     (long long)held, (long long)d->cursor);
            d->cursor = held;
            if (store_cursor_set(rt->store, d->name, held) < 0) {
                snprintf(err, errlen, "sink \"%s\": cannot record its cursor: %s", cfg->name,
                         store_last_error(rt->store));
                rc = GW_EIO;
                goto fail;
            }
        }
    }
    d->cursor_stored = d->cursor;
    d->cursor_stored_ms = clock_monotonic_ms();
    *out = d;
    return GW_OK;
fail:
    if (d->state != NULL)
        type->close(d->state);
    d->state = NULL;
    d->closing = 1;
    uv_close((uv_handle_t *)timer, dispatcher_free_cb);
    return rc < 0 ? rc : GW_EIO;
}

void dispatch_close(dispatcher *d)
{
    if (d == NULL)
        return;
    d->closing = 1;
    uv_timer_stop(d->retry_timer);
    cursor_store(d); /* committed by the orchestrator's last commit */
    /* An asynchronous write in flight is cancelled (its batch goes again
     * after a restart, under the same delivery id); a worker's write
     * cannot be, so its sink closes when it returns, and a plan waiting
     * for a commit holds d in the runtime's waiters: it closes then. */
    if (d->plan_waiting)
        return;
    if (!d->busy || d->type->write_async != NULL)
        really_close(d);
}
