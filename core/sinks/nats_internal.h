/* nats_internal.h - the nats sink's state, shared by its two files:
 * nats.c, the loop's side (the sink_type, its settings, the batch handed
 * to the worker and settled by the acks), and nats_connection.c, the
 * worker's and libnats threads' side (the connection, the publishes,
 * the ack handler). nats.c calls into nats_connection.c, never the other
 * way. No other file includes this one.
 */
#ifndef GW_SINKS_NATS_INTERNAL_H
#define GW_SINKS_NATS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <nats/nats.h>
#include <uv.h>

#include "sinks/nats_lib.h"
#include "sinks/sink.h"

typedef struct sink_nats {
    nats_lib lib;     /* every libnats call, from any thread; open until
                         free_shared, once no libnats thread can reach us */
    json_t *settings; /* owned copy: url, token, TLS for each connection */
    char *stream;
    char *subject; /* the template */
    int create_stream;
    int64_t max_age_ms;
    int64_t duplicate_window_ms;
    uint64_t timeout_ms;

    natsConnection *nc; /* NULL or the current connection */
    jsCtx *js;
    int js_published; /* a publish on js was accepted: it has a pending list */
    int stream_ready; /* the stream was seen (or made) since the last
                         failed attempt */

    /* Loop side. */
    uv_loop_t *loop;
    uv_async_t *wake;    /* NULL until the first write */
    uv_timer_t *timer;   /* ticks while a batch waits for its acks */
    uint64_t wait_until; /* loop time the wait ends in failure */
    uv_work_t work;
    int working;       /* the worker holds the connection */
    int closing;       /* close came while working: finish there */
    int handles_open;  /* wake and timer not yet closed */
    sink_done_fn done; /* the batch in flight, or NULL */
    void *done_arg;
    sink_batch batch; /* the batch in flight, data in buf: the worker
                         reads it, and the dispatcher's copy goes away
                         if it closes while the worker runs */
    char *buf;
    size_t buf_cap;
    int work_rc;
    char work_msg[320];
    char message[320];

    /* Shared with libnats threads, under mu. */
    uv_mutex_t mu;
    uv_cond_t idle; /* inflight reached 0 */
    int closed;     /* handlers only count down */
    int64_t first_seq, last_seq;
    unsigned char *acked; /* one flag per seq of the batch */
    size_t acked_cap;
    size_t acked_count, expected;
    int failed;
    char fail_msg[256];
    long inflight;
} sink_nats;

/* Take back every message still waiting for its ack (their handlers will
 * not run) and wait, at most a bounded time, for the handlers running now.
 * Worker thread, or the loop while no work runs. */
void nats_connection_reclaim(sink_nats *n);

/* Reclaim, then destroy the JetStream context and the connection (both
 * NULL after). Worker thread, or the loop while no work runs. */
void nats_connection_disconnect(sink_nats *n);

/* uv_queue_work's work callback (w->data is the sink): connect if needed,
 * make sure of the stream after a failure, then publish n->batch, leaving
 * 0 or a negative GW_E* in n->work_rc with a reason in n->work_msg. */
void nats_connection_publish(uv_work_t *w);

#endif /* GW_SINKS_NATS_INTERNAL_H */
