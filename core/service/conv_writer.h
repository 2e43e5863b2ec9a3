/* conv_writer.h - the thread that writes the conversation service's rows
 * into its database (conversations.db), so the SQL and the WAL's writes
 * of the service cost the event loop nothing but copying the rows.
 *
 * The loop fills a batch (rows copied, strings and all), and hands it
 * over once a tick, after the log's commit (conv_writer_submit); the
 * thread writes it and, for a tick's batch, records the applied seq and
 * commits. Batches run in the order handed over.
 *
 * The database's connection is the thread's while batches are pending,
 * and the loop's once conv_writer_wait returned, until the loop's next
 * submit: only the loop submits, so a waited-for writer stays idle. Every
 * other use of the service's database (reads for the API and for a
 * contact cache miss, links, reloads, the start) runs on the loop after
 * a wait. A failed batch is rolled back; later batches are dropped
 * unread until the failure is taken (conv_writer_take_failure), and the
 * failed callback runs on the loop (through a uv_async) to say one is
 * waiting. What was dropped is in the log: the service reloads and
 * applies it again.
 */
#ifndef GW_CONV_WRITER_H
#define GW_CONV_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "store/contact_store.h"
#include "store/conv_store.h"
#include "store/event_members.h"

typedef struct conv_writer conv_writer;

/* Batches handed over and not yet run, at most: past it a hand-over
 * waits for the thread, so a slow disk slows the loop instead of growing
 * the queue. */
#define CONV_WRITER_QUEUED_MAX 16

typedef struct conv_writer_stats {
    size_t queued;       /* handed over, not yet taken by the thread */
    uint64_t full_waits; /* hand-overs that waited for room in the queue */
} conv_writer_stats;

/* Called on the loop thread (arg as given): failed after a batch
 * failed; durable after a commit recorded a higher applied seq
 * (conv_writer_durable). */
typedef void (*conv_writer_failed_fn)(void *arg);
typedef struct conv_writer_hooks {
    conv_writer_failed_fn failed, durable;
    void *arg;
} conv_writer_hooks;

/* Start the thread for db, whose statements are cs's, ks's and em's (all
 * borrowed; the caller closes them after conv_writer_close). Returns 0
 * and *out, or GW_E* (nothing started). */
int conv_writer_start(uv_loop_t *loop, store *db, conv_store *cs, contact_store *ks,
                      event_members *em, const conv_writer_hooks *hooks, conv_writer **out);

/* The highest applied seq a commit recorded (-1 before the first), for
 * the loop: what the events up to it carry is on disk as much as the
 * database's synchronous setting makes it. */
int64_t conv_writer_durable(conv_writer *w);

/* Add to the batch being filled (its strings are copied): a
 * conversation's row, a conversation's seqs moved out of its row
 * (written before the rows), a contact's row (after them), and linking
 * the conversations up to upto to their contacts (last). 0 or
 * GW_ENOMEM, after which nothing is handed over until a discard (the
 * batch would lack the row). */
int conv_writer_conversation(conv_writer *w, const conv_row *r);
int conv_writer_items(conv_writer *w, int64_t id, const char *seqs, size_t len);
int conv_writer_contact(conv_writer *w, const contact_row *r);
void conv_writer_link(conv_writer *w, int64_t upto);
/* A tick's event members (event_members.h: body len bytes, copied), and
 * the rows of events before below to delete (written after the rows). */
int conv_writer_members(conv_writer *w, int64_t first, int64_t last, const char *body, size_t len);
void conv_writer_prune(conv_writer *w, int64_t below);

/* 1 when the batch being filled holds something. */
int conv_writer_pending(const conv_writer *w);

/* Drop what the batch being filled holds (a reload makes it again). */
void conv_writer_discard(conv_writer *w);

/* Hand the batch over. commit: record applied (when >= 0) and commit;
 * else the rows stay in the open transaction, for a read on the loop
 * after a wait (a later batch commits them), and an empty batch is not
 * handed over. With 16 batches queued already it waits for the thread
 * to run one. 0, or GW_ENOMEM (a row was lost since the last discard,
 * or no memory for an empty batch to commit). */
int conv_writer_submit(conv_writer *w, int64_t applied, int commit);

/* The queue's figures (any thread). */
void conv_writer_stats_get(conv_writer *w, conv_writer_stats *out);

/* Wait until every batch handed over has run. Returns 0, or GW_EIO
 * while a failure was not taken (the connection rolled back; later
 * batches are dropped until it is). */
int conv_writer_wait(conv_writer *w);

/* Take the failure, if any, once every batch handed over is done (so
 * dropped): GW_EIO with err set to the store's message, and batches run
 * again from the next handed over; else 0. */
int conv_writer_take_failure(conv_writer *w, char *err, size_t errlen);

/* Stop the thread once every batch handed over has run, and close the
 * uv_async: w is freed by its close callback, when the loop runs next.
 * NULL is ignored. */
void conv_writer_close(conv_writer *w);

#endif /* GW_CONV_WRITER_H */
