/* nats.c - the "nats" sink: each event published to a NATS JetStream
 * stream, under a subject made from its network, account and type, with
 * Nats-Msg-Id = the event id.
 *
 * Owns: its settings (the token among them: never logged), its libnats
 * table (sinks/nats_lib.h: libnats is loaded when a nats sink opens, and
 * released when the sink is freed), one connection and JetStream context,
 * the batch in flight and what the server acknowledged of it.
 *
 * Asynchronous (sink.h write_async). Connecting, creating the stream and
 * publishing block, so they run on a libuv worker (uv_queue_work); the
 * messages go out pipelined (js_PublishMsgAsync) and each PubAck comes
 * back on a libnats thread, which marks its event (by the Gateway-Seq
 * header) under the sink's mutex and wakes the loop through the sink's
 * uv_async_t. The batch is done when every event of it was acknowledged
 * (a Duplicate ack counts: the stream holds it); a refusal, a lost
 * connection or no answer within `timeout` fail the whole batch, and the
 * dispatcher sends it again, unchanged: JetStream drops what it already
 * holds by Nats-Msg-Id (within the stream's duplicate window).
 *
 * Order: one batch in flight, on one connection (TCP keeps its order).
 * libnats never reconnects this connection by itself: a lost one is
 * closed, and the next attempt starts on a new connection from the
 * batch's first event, so nothing published on the old one can land
 * after what is published on the new one.
 *
 * Lifetime: libnats calls the ack handler with the sink as closure. Every
 * accepted publish is counted (inflight) until its handler has run or the
 * message was taken back (js_PublishAsyncGetPendingList); the sink is
 * freed only when none is left, so no handler runs on freed memory.
 *
 * This file is the loop's side: the settings, open and close, the batch
 * handed to the worker and settled by its acks. The worker's side (the
 * connection, the publishes, the ack handler) is nats_connection.c; the
 * state both use is in nats_internal.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nats/nats.h>

#include "gateway/error.h"
#include "sinks/nats_internal.h"
#include "sinks/nats_lib.h"
#include "sinks/nats_options.h"
#include "sinks/nats_subject.h"
#include "sinks/sink.h"

/* How often a batch waiting for its acks looks at the connection. */
#define NATS_TICK_MS 50

/* ---- the loop side ------------------------------------------------------ */

/* The shared part, once no libnats thread can reach it. */
static void free_shared(sink_nats *n)
{
    uv_mutex_lock(&n->mu); /* also waits for a handler still unlocking it */
    long left = n->inflight;
    uv_mutex_unlock(&n->mu);
    if (left > 0)
        return; /* an ack handler outlived the wait: keep what it may touch */
    uv_cond_destroy(&n->idle);
    uv_mutex_destroy(&n->mu);
    nats_lib_close(&n->lib); /* destroy() disconnected: nothing of libnats left */
    free(n->acked);
    free(n);
}

static void handle_closed(uv_handle_t *h)
{
    sink_nats *n = h->data;
    free(h);
    if (--n->handles_open == 0)
        free_shared(n);
}

/* Free everything; no work runs. */
static void destroy(sink_nats *n)
{
    uv_mutex_lock(&n->mu);
    n->closed = 1;
    uv_mutex_unlock(&n->mu);
    nats_connection_disconnect(n);
    json_decref(n->settings);
    free(n->stream);
    free(n->subject);
    free(n->buf);
    if (n->wake != NULL) {
        n->handles_open = 2;
        uv_close((uv_handle_t *)n->wake, handle_closed);
        uv_close((uv_handle_t *)n->timer, handle_closed);
        return;
    }
    free_shared(n);
}

static void sink_nats_close(void *state)
{
    sink_nats *n = state;
    if (n == NULL)
        return;
    n->done = NULL;
    if (n->working) {
        n->closing = 1; /* after_publish finishes it */
        return;
    }
    destroy(n);
}

/* Report the batch in flight, once. */
static void finish(sink_nats *n, int rc, const char *message)
{
    sink_done_fn done = n->done;
    if (done == NULL)
        return;
    n->done = NULL;
    uv_timer_stop(n->timer);
    uv_mutex_lock(&n->mu);
    n->expected = 0; /* late acks of this batch change nothing */
    uv_mutex_unlock(&n->mu);
    sink_result res = {.rc = rc, .status = rc == GW_OK ? 200 : 0};
    if (rc != GW_OK) {
        /* Late acks of this attempt would be ignored anyway; taking the
         * messages back also frees them now. */
        nats_connection_reclaim(n);
        snprintf(n->message, sizeof n->message, "%s", message ? message : gw_strerror(rc));
        res.message = n->message;
    }
    done(n->done_arg, &res);
}

/* Whether the batch is settled: acknowledged, or failed. */
static void check_batch(sink_nats *n)
{
    if (n->done == NULL || n->working)
        return;
    char why[256] = "";
    uv_mutex_lock(&n->mu);
    int failed = n->failed, complete = n->acked_count == n->expected;
    if (failed)
        snprintf(why, sizeof why, "%s", n->fail_msg);
    uv_mutex_unlock(&n->mu);
    if (failed)
        finish(n, GW_EIO, why);
    else if (complete)
        finish(n, GW_OK, NULL);
}

static void on_wake(uv_async_t *a)
{
    check_batch(a->data);
}

/* While a batch waits for its acks: a connection that closed (the server
 * went away; libnats does not reconnect it) fails the batch at once, no
 * answer within `timeout` fails it then. */
static void on_tick(uv_timer_t *t)
{
    sink_nats *n = t->data;
    char why[160];
    if (n->nc != NULL && n->lib.natsConnection_Status(n->nc) == NATS_CONN_STATUS_CONNECTED &&
        uv_now(n->loop) < n->wait_until)
        return;
    uv_mutex_lock(&n->mu);
    snprintf(why, sizeof why, "%zu of %zu events not acknowledged %s", n->expected - n->acked_count,
             n->expected,
             uv_now(n->loop) < n->wait_until ? "before the connection was lost"
                                             : "within the timeout");
    uv_mutex_unlock(&n->mu);
    finish(n, GW_EIO, why);
}

static void after_publish(uv_work_t *w, int status)
{
    sink_nats *n = w->data;
    n->working = 0;
    if (n->closing) {
        destroy(n);
        return;
    }
    if (status != 0 || n->work_rc != GW_OK) {
        finish(n, n->work_rc != GW_OK ? n->work_rc : GW_EIO,
               n->work_msg[0] ? n->work_msg : "the publish was cancelled");
        return;
    }
    n->wait_until = uv_now(n->loop) + n->timeout_ms;
    uv_timer_start(n->timer, on_tick, NATS_TICK_MS, NATS_TICK_MS);
    check_batch(n);
}

/* The loop's handles, made on the first write (open has no loop). */
static int make_handles(sink_nats *n, uv_loop_t *loop)
{
    n->wake = calloc(1, sizeof *n->wake);
    n->timer = calloc(1, sizeof *n->timer);
    if (n->wake == NULL || n->timer == NULL || uv_async_init(loop, n->wake, on_wake) != 0) {
        free(n->wake);
        free(n->timer);
        n->wake = NULL;
        n->timer = NULL;
        return GW_ENOMEM;
    }
    uv_timer_init(loop, n->timer);
    n->wake->data = n->timer->data = n;
    n->loop = loop;
    return GW_OK;
}

static int sink_nats_write_async(void *state, const sink_batch *batch, const sink_io *io,
                                 sink_done_fn done, void *arg, char *err, size_t errlen)
{
    sink_nats *n = state;
    if (n->wake == NULL && make_handles(n, io->loop) != GW_OK) {
        snprintf(err, errlen, "out of memory");
        return GW_ENOMEM;
    }
    if (batch->len > n->buf_cap) {
        char *grown = realloc(n->buf, batch->len);
        if (grown == NULL) {
            snprintf(err, errlen, "out of memory");
            return GW_ENOMEM;
        }
        n->buf = grown;
        n->buf_cap = batch->len;
    }
    memcpy(n->buf, batch->data, batch->len);
    n->batch = *batch;
    n->batch.data = n->buf;
    /* Only the batch's lines are awaited (by count): a seq without an
     * event (a retention gap) is never acknowledged, nor needed. Under the
     * mutex: a late handler of the last batch may be looking at the flags. */
    size_t span = (size_t)(batch->last_seq - batch->first_seq + 1);
    uv_mutex_lock(&n->mu);
    if (span > n->acked_cap) {
        unsigned char *grown = realloc(n->acked, span);
        if (grown == NULL) {
            uv_mutex_unlock(&n->mu);
            snprintf(err, errlen, "out of memory");
            return GW_ENOMEM;
        }
        n->acked = grown;
        n->acked_cap = span;
    }
    memset(n->acked, 0, span);
    n->first_seq = batch->first_seq;
    n->last_seq = batch->last_seq;
    n->acked_count = 0;
    n->expected = batch->count;
    n->failed = 0;
    uv_mutex_unlock(&n->mu);
    n->done = done;
    n->done_arg = arg;
    n->work.data = n;
    n->working = 1;
    int rc = uv_queue_work(io->loop, &n->work, nats_connection_publish, after_publish);
    if (rc != 0) {
        n->working = 0;
        n->done = NULL;
        snprintf(err, errlen, "cannot start the publish: %s", uv_strerror(rc));
        return GW_EIO;
    }
    return GW_OK;
}

static int sink_nats_check(const json_t *settings, const char **key, char *err, size_t errlen)
{
    int rc = nats_options_check(settings, key, err, errlen);
    if (rc != GW_OK)
        return rc;
    *key = "subject";
    if ((rc = nats_subject_check(json_string_value(json_object_get(settings, "subject")), err,
                                 errlen)) != GW_OK)
        return rc;
    *key = "stream";
    const char *stream = json_string_value(json_object_get(settings, "stream"));
    if (stream == NULL || stream[0] == '\0' || strpbrk(stream, ".*> \t") != NULL) {
        snprintf(err, errlen, "stream must be a name without '.', '*', '>' or spaces");
        return GW_EINVAL;
    }
    *key = "actions_subject";
    const char *actions = json_string_value(json_object_get(settings, "actions_subject"));
    if (actions != NULL && actions[0] != '\0' &&
        (strchr(actions, '{') != NULL || nats_subject_check(actions, err, errlen) != GW_OK)) {
        snprintf(err, errlen,
                 "actions_subject must be dot-separated literal tokens "
                 "([A-Za-z0-9_-]), e.g. \"gateway.actions\"");
        return GW_EINVAL;
    }
    char events[NATS_SUBJECT_MAX], requests[NATS_SUBJECT_MAX];
    if (actions != NULL && actions[0] != '\0' &&
        nats_subject_wildcard(json_string_value(json_object_get(settings, "subject")), events,
                              sizeof events) > 0 &&
        snprintf(requests, sizeof requests, "%s.*.*", actions) < (int)sizeof requests &&
        nats_subject_overlap(events, requests)) {
        /* JetStream would store the requests and its PubAck would answer
         * them before the gateway does. */
        snprintf(err, errlen,
                 "requests on %.100s.<network>.<account> would also match the events' subjects "
                 "(%.100s) and be stored in the stream, whose acknowledgement answers them "
                 "first; choose a prefix outside them, e.g. \"gateway.actions\"",
                 actions, events);
        return GW_EINVAL;
    }
    *key = "duplicate_window";
    json_int_t max_age = json_integer_value(json_object_get(settings, "max_age"));
    json_int_t window = json_integer_value(json_object_get(settings, "duplicate_window"));
    if (max_age > 0 && window > max_age) {
        snprintf(err, errlen, "duplicate_window must not be longer than max_age");
        return GW_EINVAL;
    }
    *key = NULL;
    return GW_OK;
}

static int sink_nats_open(const json_t *settings, void **state, char *err, size_t errlen)
{
    const char *key = NULL;
    int rc = sink_nats_check(settings, &key, err, errlen);
    if (rc != GW_OK)
        return rc;
    const char *subject = json_string_value(json_object_get(settings, "subject"));
    const char *stream = json_string_value(json_object_get(settings, "stream"));
    int64_t max_age = (int64_t)json_integer_value(json_object_get(settings, "max_age"));
    int64_t window = (int64_t)json_integer_value(json_object_get(settings, "duplicate_window"));
    sink_nats *n = calloc(1, sizeof *n);
    if (n == NULL || (n->settings = json_deep_copy(settings)) == NULL ||
        (n->stream = strdup(stream)) == NULL || (n->subject = strdup(subject)) == NULL) {
        if (n != NULL) {
            json_decref(n->settings);
            free(n->stream);
        }
        free(n);
        snprintf(err, errlen, "out of memory");
        return GW_ENOMEM;
    }
    /* Here and not in check: check-config must not need libnats. */
    if ((rc = nats_lib_open(&n->lib, err, errlen)) != GW_OK) {
        json_decref(n->settings);
        free(n->stream);
        free(n->subject);
        free(n);
        return rc;
    }
    uv_mutex_init(&n->mu);
    uv_cond_init(&n->idle);
    n->create_stream = json_is_true(json_object_get(settings, "create_stream"));
    n->max_age_ms = max_age;
    n->duplicate_window_ms = window;
    json_int_t timeout = json_integer_value(json_object_get(settings, "timeout"));
    n->timeout_ms = timeout > 0 ? (uint64_t)timeout : 5000;
    *state = n;
    return GW_OK;
}

const sink_type sink_nats_type = {
    .name = "nats",
    .help = "publish events to a NATS JetStream stream, in order, each with Nats-Msg-Id = its "
            "id, the cursor moving only on the server's acknowledgement (a resent event is "
            "dropped by the stream's duplicate window)",
    .options = nats_options_keys,
    .open = sink_nats_open,
    .reconcile = NULL,
    .write = NULL,
    .write_async = sink_nats_write_async,
    .max_batch = NULL,
    .reopen = NULL,
    .check = sink_nats_check,
    .close = sink_nats_close,
};
