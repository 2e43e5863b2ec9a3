/* durable.c - waiters kept until a worker's fdatasync covers their
 * commit; see durable.h. One sync runs at a time: it covers every commit
 * made before it started, so under load each fdatasync answers several
 * ticks at once (group commit across ticks). */
#include "daemon/durable.h"

#include <stdlib.h>
#include <string.h>

#include "gateway/error.h"
#include "store/store_sync.h"

/* The waiters of the commits up to gen. */
typedef struct durable_group {
    uint64_t gen;
    commit_waiter *waiters;
    struct durable_group *next;
} durable_group;

struct durable {
    gw_runtime *rt;
    durable_hooks hooks;
    durable_group *head, **tail;
    uv_work_t work;
    int running;      /* work is queued or running */
    int closing;      /* durable_close was called while it ran */
    uint64_t target_gen; /* what the running sync covers */
    int64_t target_seq;
    int rc;           /* the worker's result, read after it returned */
    char err[256];
};

int durable_open(gw_runtime *rt, const durable_hooks *hooks, durable **out)
{
    durable *d = calloc(1, sizeof *d);
    if (d == NULL)
        return GW_ENOMEM;
    d->rt = rt;
    d->hooks = *hooks;
    d->tail = &d->head;
    d->work.data = d;
    *out = d;
    return GW_OK;
}

/* Run, in order, the groups whose commits are durable (every group when
 * `all`), telling them `committed`. */
static void settle(durable *d, uint64_t durable_gen, int all, int committed)
{
    while (d->head != NULL && (all || d->head->gen <= durable_gen)) {
        durable_group *g = d->head;
        d->head = g->next;
        if (d->head == NULL)
            d->tail = &d->head;
        runtime_run_waiter_list(g->waiters, committed);
        free(g);
    }
}

static void sync_work(uv_work_t *req)
{
    durable *d = req->data;
    d->rc = store_sync_run(store_syncer(d->rt->store), d->err, sizeof d->err);
}

static void start_sync(durable *d);

static void sync_done(uv_work_t *req, int status)
{
    durable *d = req->data;
    d->running = 0;
    if (d->closing) {
        free(d);
        return;
    }
    store *st = d->rt->store;
    if (status != 0 || d->rc != GW_OK) {
        settle(d, 0, 1, 0);
        d->hooks.failed(d->hooks.arg, status != 0 ? "the sync was cancelled" : d->err);
        return;
    }
    int64_t before = store_committed_seq(st);
    store_mark_durable(st, d->target_gen, d->target_seq);
    settle(d, store_durable_generation(st), 0, 1);
    if (store_committed_seq(st) != before)
        d->hooks.advanced(d->hooks.arg);
    start_sync(d);
}

/* Start a sync when commits are waiting for one and none runs. */
static void start_sync(durable *d)
{
    store *st = d->rt->store;
    uint64_t gen;
    int64_t seq;
    store_sync_point(st, &gen, &seq);
    if (d->running || gen <= store_durable_generation(st))
        return;
    d->target_gen = gen;
    d->target_seq = seq;
    if (uv_queue_work(&d->rt->loop, &d->work, sync_work, sync_done) != 0) {
        /* no worker: sync here rather than acknowledge nothing */
        d->running = 1;
        sync_work(&d->work);
        sync_done(&d->work, 0);
        return;
    }
    d->running = 1;
}

void durable_committed(durable *d)
{
    gw_runtime *rt = d->rt;
    commit_waiter *w = runtime_take_waiters(rt);
    uint64_t gen;
    int64_t seq;
    /* a synchronous store_commit (the drain) may have made older ticks
     * durable without a sync of ours */
    settle(d, store_durable_generation(rt->store), 0, 1);
    store_sync_point(rt->store, &gen, &seq);
    /* Waiters of a tick that wrote nothing may still stand for a write
     * not yet durable (a duplicate of an event from a tick whose sync
     * runs): they wait for everything committed so far. */
    if (w != NULL) {
        if (gen <= store_durable_generation(rt->store) && d->head == NULL) {
            runtime_run_waiter_list(w, 1);
        } else {
            durable_group *g = calloc(1, sizeof *g);
            if (g == NULL) {
                runtime_run_waiter_list(w, 0); /* answered "not committed": the sender retries */
            } else {
                g->gen = gen;
                g->waiters = w;
                *d->tail = g;
                d->tail = &g->next;
            }
        }
    }
    start_sync(d);
}

void durable_close(durable *d, int ok)
{
    if (d == NULL)
        return;
    settle(d, 0, 1, ok);
    if (d->running)
        d->closing = 1;
    else
        free(d);
}
