/* nats_connection.c - the nats sink's worker side: its one connection
 * and JetStream context, the batch's lines published on it pipelined,
 * and the ack handler libnats runs on its own threads (the loop's side
 * is nats.c; see there for the order and lifetime rules both keep).
 *
 * Everything here blocks or runs off the loop: the worker thread owns
 * the connection while a batch is being published, the loop only while
 * no work runs; the ack handler touches nothing but what sits under mu.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <nats/nats.h>
#include <uv.h>

#include "gateway/error.h"
#include "sinks/nats_internal.h"
#include "sinks/nats_options.h"
#include "sinks/nats_stream.h"
#include "sinks/nats_subject.h"
#include "sinks/sink.h"

/* How long close waits for ack handlers that are running right now. */
#define NATS_CLOSE_WAIT_MS 2000

/* Take back every message still waiting for its ack (their handlers will
 * not run) and wait for the handlers running now. */
void nats_connection_reclaim(sink_nats *n)
{
    natsMsgList pending = {0};
    /* (libnats 3.4 makes the list on the first publish and dereferences
     * it unchecked.) */
    if (n->js != NULL && n->js_published &&
        n->lib.js_PublishAsyncGetPendingList(&pending, n->js) == NATS_OK) {
        uv_mutex_lock(&n->mu);
        n->inflight -= pending.Count;
        uv_mutex_unlock(&n->mu);
        n->lib.natsMsgList_Destroy(&pending);
    }
    uint64_t deadline = uv_hrtime() + (uint64_t)NATS_CLOSE_WAIT_MS * 1000000u;
    uv_mutex_lock(&n->mu);
    while (n->inflight > 0 && uv_hrtime() < deadline)
        uv_cond_timedwait(&n->idle, &n->mu, 10 * 1000000u);
    uv_mutex_unlock(&n->mu);
}

void nats_connection_disconnect(sink_nats *n)
{
    nats_connection_reclaim(n);
    n->lib.jsCtx_Destroy(n->js);
    n->js = NULL;
    n->js_published = 0;
    n->lib.natsConnection_Destroy(n->nc);
    n->nc = NULL;
}

/* The seq a published message carries; 0 when it has none. */
static int64_t message_seq(const sink_nats *n, natsMsg *msg)
{
    const char *v = NULL;
    if (msg == NULL || n->lib.natsMsgHeader_Get(msg, "Gateway-Seq", &v) != NATS_OK || v == NULL)
        return 0;
    return strtoll(v, NULL, 10);
}

/* libnats thread: one PubAck (or its failure) for a message we published. */
static void on_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
    (void)js;
    sink_nats *n = closure;
    /* Taken now: once inflight is down below, the sink (and its table) may
     * be freed before this handler is done with the message. */
    void (*msg_destroy)(natsMsg *) = n->lib.natsMsg_Destroy;
    int64_t seq = message_seq(n, msg);
    uv_mutex_lock(&n->mu);
    if (!n->closed && seq >= n->first_seq && seq <= n->last_seq && n->expected > 0) {
        size_t i = (size_t)(seq - n->first_seq);
        if (pa != NULL && !n->acked[i]) {
            n->acked[i] = 1;
            n->acked_count++;
        } else if (pa == NULL && !n->acked[i] && !n->failed) {
            n->failed = 1;
            snprintf(n->fail_msg, sizeof n->fail_msg, "the server refused seq %" PRId64 ": %s", seq,
                     pae != NULL && pae->ErrText != NULL ? pae->ErrText
                     : pae != NULL                       ? n->lib.natsStatus_GetText(pae->Err)
                                                         : "no answer");
        }
        if (n->failed || n->acked_count == n->expected)
            uv_async_send(n->wake);
    }
    n->inflight--;
    if (n->inflight == 0)
        uv_cond_signal(&n->idle);
    uv_mutex_unlock(&n->mu);
    msg_destroy(msg);
}

/* Connect (and create the stream) when there is no usable connection. */
static int ensure_connected(sink_nats *n, const char *name, char *err, size_t errlen)
{
    if (n->nc != NULL && n->lib.natsConnection_Status(n->nc) == NATS_CONN_STATUS_CONNECTED)
        return GW_OK;
    nats_connection_disconnect(n);
    natsOptions *o = NULL;
    int rc = nats_options_new(&n->lib, n->settings, name, 0, &o, err, errlen);
    if (rc != GW_OK)
        return rc;
    char why[240];
    natsStatus s = n->lib.natsConnection_Connect(&n->nc, o);
    n->lib.natsOptions_Destroy(o);
    if (s != NATS_OK) {
        nats_options_describe(&n->lib, s, why, sizeof why);
        snprintf(err, errlen, "cannot connect: %s", why);
        n->nc = NULL;
        return GW_EIO;
    }
    jsOptions jo;
    n->lib.jsOptions_Init(&jo);
    jo.Wait = (int64_t)n->timeout_ms;
    jo.PublishAsync.AckHandler = on_ack;
    jo.PublishAsync.AckHandlerClosure = n;
    s = n->lib.natsConnection_JetStream(&n->js, n->nc, &jo);
    if (s != NATS_OK) {
        nats_options_describe(&n->lib, s, why, sizeof why);
        snprintf(err, errlen, "cannot use JetStream: %s", why);
        nats_connection_disconnect(n);
        return GW_EIO;
    }
    return GW_OK;
}

/* One line of the batch, published as a message; 0 or a negative GW_E*. */
static int publish_line(sink_nats *n, const sink_batch *b, const char *line, size_t len, char *err,
                        size_t errlen)
{
    json_t *ev = json_loadb(line, len, 0, NULL);
    const char *id = json_string_value(json_object_get(ev, "id"));
    int64_t seq = (int64_t)json_integer_value(json_object_get(ev, "seq"));
    if (id == NULL || seq < b->first_seq || seq > b->last_seq) {
        json_decref(ev);
        snprintf(err, errlen,
                 "a line of the batch (seq %" PRId64 "-%" PRId64
                 ") is not an event with its id and seq",
                 b->first_seq, b->last_seq);
        return GW_EPARSE;
    }
    char subject[NATS_SUBJECT_MAX], seqtext[24];
    int rc =
        nats_subject_fill(n->subject, json_string_value(json_object_get(ev, "network")),
                          json_string_value(json_object_get(ev, "account")),
                          json_string_value(json_object_get(ev, "type")), subject, sizeof subject);
    if (rc < 0) {
        json_decref(ev);
        snprintf(err, errlen, "seq %" PRId64 ": the subject is longer than %d bytes", seq,
                 NATS_SUBJECT_MAX);
        return rc;
    }
    /* The ack handler finds the event by this header (the retention may
     * leave gaps, so the line's place in the batch is not its seq). */
    snprintf(seqtext, sizeof seqtext, "%" PRId64, seq);
    natsMsg *msg = NULL;
    natsStatus s = n->lib.natsMsg_Create(&msg, subject, NULL, line, (int)len);
    if (s == NATS_OK)
        s = n->lib.natsMsgHeader_Set(msg, "Gateway-Seq", seqtext);
    jsPubOptions po;
    n->lib.jsPubOptions_Init(&po);
    po.MsgId = id;
    po.ExpectStream = n->stream;
    if (s == NATS_OK) {
        uv_mutex_lock(&n->mu);
        n->inflight++;
        uv_mutex_unlock(&n->mu);
        s = n->lib.js_PublishMsgAsync(n->js, &msg, &po);
        n->js_published |= s == NATS_OK;
        if (s != NATS_OK) { /* its handler never runs */
            uv_mutex_lock(&n->mu);
            n->inflight--;
            uv_mutex_unlock(&n->mu);
        }
    }
    n->lib.natsMsg_Destroy(msg); /* NULL once libnats took it */
    json_decref(ev);
    if (s != NATS_OK) {
        char why[240];
        nats_options_describe(&n->lib, s, why, sizeof why);
        snprintf(err, errlen, "cannot publish seq %" PRId64 ": %s", seq, why);
        return GW_EIO;
    }
    return GW_OK;
}

/* Worker thread: connect if needed, then publish the whole batch. */
void nats_connection_publish(uv_work_t *w)
{
    sink_nats *n = w->data;
    const sink_batch *b = &n->batch;
    n->work_msg[0] = '\0';
    n->work_rc = ensure_connected(n, "social-gateway", n->work_msg, sizeof n->work_msg);
    /* After a failure, look the stream up before publishing anything: a
     * batch published pipelined while the stream is missing could have its
     * later messages stored if the stream appeared halfway, and the retry
     * would then put the earlier ones after them. */
    if (n->work_rc == GW_OK && !n->stream_ready) {
        n->work_rc = nats_stream_ensure(&n->lib, n->js, n->stream, n->subject, n->create_stream,
                                        n->max_age_ms, n->duplicate_window_ms, n->work_msg,
                                        sizeof n->work_msg);
        n->stream_ready = n->work_rc == GW_OK;
    }
    const char *p = b->data, *end = b->data + b->len;
    while (n->work_rc == GW_OK && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        n->work_rc = publish_line(n, b, p, len, n->work_msg, sizeof n->work_msg);
        p += len + 1;
    }
    if (n->work_rc != GW_OK)
        n->stream_ready = 0;
    if (n->work_rc != GW_OK && n->nc != NULL &&
        n->lib.natsConnection_Status(n->nc) != NATS_CONN_STATUS_CONNECTED)
        nats_connection_disconnect(n);
}
