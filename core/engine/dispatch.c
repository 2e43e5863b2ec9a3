/* dispatch.c - moving committed events into sinks; see dispatch.h. */
#include "engine/dispatch.h"

#include <stdlib.h>
#include <string.h>

#define SINK_RETRY_BASE_MS 100

struct dispatcher {
    gw_runtime *rt;
    const sink_type *type;
    void *state;
    char *name;
    int64_t cursor;          /* highest seq the sink confirmed */
    size_t batch_size;
    uint64_t retry_max_ms;

    uv_work_t work;
    int busy;                /* a batch is on a worker thread */
    int reopen_pending;
    int closing;
    char *buf;               /* the pending batch, kept for retries */
    size_t len, cap;
    sink_batch batch;
    int pending;             /* buf holds a batch not yet confirmed */
    int write_rc;
    char write_err[256];

    uv_timer_t *retry_timer; /* owns the dispatcher: freed in its close cb */
    unsigned attempt;
    int failing;
    dispatch_stats stats;
};

static void dispatcher_free_cb(uv_handle_t *h)
{
    dispatcher *d = h->data;
    free(d->buf);
    free(d->name);
    free(d);
    free(h);
}

static int append_line(void *arg, int64_t seq, const char *json, size_t len)
{
    dispatcher *d = arg;
    if (d->len + len + 1 > d->cap) {
        size_t cap = d->cap ? d->cap : 64 * 1024;
        while (cap < d->len + len + 1)
            cap *= 2;
        char *grown = realloc(d->buf, cap);
        if (grown == NULL)
            return GW_ENOMEM;
        d->buf = grown;
        d->cap = cap;
    }
    memcpy(d->buf + d->len, json, len);
    d->len += len;
    d->buf[d->len++] = '\n';
    if (d->batch.count == 0)
        d->batch.first_seq = seq;
    d->batch.last_seq = seq;
    d->batch.count++;
    return 0;
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

static void really_close(dispatcher *d)
{
    if (d->state != NULL)
        d->type->close(d->state);
    d->state = NULL;
    uv_close((uv_handle_t *)d->retry_timer, dispatcher_free_cb);
}

static void after_work_cb(uv_work_t *w, int status)
{
    dispatcher *d = w->data;
    gw_runtime *rt = d->rt;
    d->busy = 0;
    if (status == UV_ECANCELED)
        d->write_rc = GW_EBUSY;
    if (d->write_rc == GW_OK && d->batch.count > 0) {
        d->stats.delivered += d->batch.count;
        d->cursor = d->batch.last_seq;
        int rc = store_cursor_set(rt->store, d->name, d->cursor);
        if (rc < 0)
            log_error(&rt->log, d->name, "could not record the sink cursor: %s",
                      store_last_error(rt->store));
    }
    if (d->closing) {
        really_close(d);
        return;
    }
    if (d->write_rc == GW_OK) {
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
    if (!d->failing || (d->attempt & (d->attempt - 1)) == 0)
        log_warn(&rt->log, d->name, "sink write failed (attempt %u), retrying in %llu ms: %s",
                 d->attempt + 1, (unsigned long long)delay,
                 d->write_err[0] ? d->write_err : gw_strerror(d->write_rc));
    d->failing = 1;
    d->stats.failing = 1;
    d->stats.write_failures++;
    d->attempt++;
    if (rt->stopping)
        runtime_check_drained(rt);
    uv_timer_start(d->retry_timer, retry_cb, delay, 0);
}

static void submit(dispatcher *d)
{
    if (d->busy || d->closing)
        return;
    if (!d->pending) {
        d->len = 0;
        memset(&d->batch, 0, sizeof d->batch);
        int64_t committed = store_committed_seq(d->rt->store);
        if (d->cursor < committed) {
            int rc = store_read(d->rt->store, d->cursor, d->batch_size, append_line, d);
            if (rc < 0) {
                log_error(&d->rt->log, d->name, "could not read the log: %s",
                          store_last_error(d->rt->store));
                d->len = 0;
                memset(&d->batch, 0, sizeof d->batch);
                return;
            }
        }
        if (d->batch.count == 0 && !d->reopen_pending)
            return;
        d->pending = d->batch.count > 0;
    }
    d->busy = 1;
    uv_queue_work(&d->rt->loop, &d->work, work_cb, after_work_cb);
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

    char why[256] = "";
    int rc = type->open(cfg->settings, &d->state, why, sizeof why);
    if (rc != GW_OK) {
        snprintf(err, errlen, "sink \"%s\" (%s): %s", cfg->name, type->name,
                 why[0] ? why : gw_strerror(rc));
        goto fail;
    }
    int64_t stored = 0;
    rc = store_cursor_get(rt->store, d->name, &stored);
    if (rc < 0) {
        snprintf(err, errlen, "sink \"%s\": cannot read its cursor: %s", cfg->name,
                 gw_strerror(rc));
        goto fail;
    }
    d->cursor = stored;
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
    if (!d->busy)
        really_close(d);
}
