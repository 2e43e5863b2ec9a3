/* conv_service.h - conversations and contacts: every customer item
 * belongs to a conversation (per network thread), every author has a
 * contact per network; the pipeline asks this service, from memory, for
 * the conversation_id and contact members of each event, which it keeps
 * beside the log and adds where the event leaves (conv_members.c).
 *
 * States: open (waiting for us) -> answered (an action's answer
 * succeeded) -> closed (POST .../close, or close_after of inactivity).
 * A customer item in an answered conversation makes it open again; the
 * first answer's time stays the first response.
 *
 * Memory: conversations not closed, and the contact_cache most recently
 * seen contacts (LRU; a miss reads SQLite). Durability: what changed is
 * handed once per loop tick, after the log's tick committed, to a thread
 * that writes it into the service's own database (conversations.db) and
 * commits it with the last seq applied (conv_service_commit,
 * conv_writer.c); a start, or a reload, applies the log's events after
 * it again (conv_db.c).
 *
 * Called on the loop thread only; the writer's thread is the service's
 * own (the loop waits for it before it reads the database itself).
 */
#ifndef GW_CONV_SERVICE_H
#define GW_CONV_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "base/log.h"
#include "service/conv_id.h"
#include "service/conv_options.h"
#include "service/conv_priority.h"
#include "engine/egress.h"
#include "engine/pipeline.h"
#include "store/contact_store.h"
#include "store/conv_store.h"

typedef struct conv_service conv_service;


/* Open the service's database at path (created when missing; an older
 * data directory's tables are moved into it from st's), load the
 * conversations not closed and the most recent contacts, apply the
 * log's events it had not, and start the inactivity timer on loop. st
 * (the event log), log borrowed for the service's life. Returns 0 and
 * *out (caller frees with conv_service_close then conv_service_free,
 * before store_close(st)), or GW_E* with err set. */
int conv_service_open(uv_loop_t *loop, store *st, const char *path, const logger *log,
                      const conv_options *opts, conv_service **out, char *err, size_t errlen);

/* Stop the timers and the writer's thread (their handles closed
 * asynchronously: run the loop afterwards, then conv_service_free).
 * log_committed: the log's last tick committed, so what changed is
 * written and committed (conv_service_commit); else it is given up, and
 * the next start applies the log again. Either way what was handed to
 * the writer before is written first. */
void conv_service_close(conv_service *svc, int log_committed);

/* After the log's tick committed: hand what changed to the writer's
 * thread, which writes it with the log's last seq as applied and
 * commits the service's database (conv_service_sync waits for it). When
 * that fails the service goes on from memory and writes nothing until a
 * retry on a timer (1 s, backing off to 30 s) rolls back, reloads its
 * tables, applies the log's events after their applied seq and commits:
 * nothing is lost while the log holds the events. Returns 0, or GW_E*
 * (logged) when it failed or is failing. */
int conv_service_commit(conv_service *svc);

/* 1 while the service's database is failing (a retry pending). */
int conv_service_failing(const conv_service *svc);

/* Wait until the writer's thread has written what conv_service_commit
 * handed it. Returns 0, or GW_EIO when the database is failing (a
 * failure the wait found is logged and starts the retries). */
int conv_service_sync(conv_service *svc);
void conv_service_free(conv_service *svc);

/* The pipeline observer that assigns conversations and contacts; valid
 * while svc is. The members it decides for an event are not stored in
 * it: they are kept beside the log (conv_members.c) and added where the
 * event leaves, through conv_service_egress's table (valid while svc
 * is), which holds events back until their members are committed. */
pipeline_observer conv_service_observer(conv_service *svc);
event_egress conv_service_egress(conv_service *svc);

/* The log pruned its events before seq below: their members go too, at
 * the next commit. */
void conv_service_prune(conv_service *svc, int64_t below);

/* The log's tick, or the service's own commit, failed: what memory
 * holds may name events that are gone. Roll the service's writes back,
 * load its database's state again and apply the log's events after its
 * applied seq (the networks deliver the lost items anew). Returns 0 or
 * GW_E* (logged). */
int conv_service_reload(conv_service *svc);

/* Close conversation id now. Returns 1 when closed, 0 when it is not
 * open or answered (unknown or closed already), or GW_E*. */
int conv_service_close_conversation(conv_service *svc, int64_t id, uint64_t now_ms);

/* Link contact b to contact a's person (both must exist). Returns 1,
 * 0 when one of them is unknown, or GW_E*. */
int conv_service_link(conv_service *svc, int64_t a, int64_t b);

/* The work queue from memory: open conversations by priority score
 * (descending), then waiting since, then id, after page's cursor (its
 * state and by_priority are taken as "open" and set), at most
 * page->limit, to fn. Returns how many, or GW_E* (fn's error). */
int conv_service_queue(conv_service *svc, const conv_page *page, conv_row_fn fn, void *arg);

/* A page of the conversations in page->state, which must be "open" or
 * "answered", from memory, in the page's order (by_priority: as the work
 * queue; else by id) after its cursor, at most page->limit, to fn (the
 * open ones by priority are conv_service_queue's). Returns how many,
 * GW_EINVAL for another state, or GW_E* (fn's error, out of memory). */
int conv_service_list_active(conv_service *svc, const conv_page *page, conv_row_fn fn,
                             void *arg);

/* Conversation id, from memory when it is there (open, answered, or
 * closed and not written yet), else from the table: 1 and fn called
 * with its row (the row's seqs are the latest; conv_store_items has the
 * rest), 0 when unknown, or GW_E*. */
int conv_service_get(conv_service *svc, int64_t id, conv_row_fn fn, void *arg);

/* The API's reads, so that what serves them (memory, the tables) is the
 * service's to choose; a read of the tables waits for the writer first:
 * conv_service_list: a page in page->state's order (open and answered
 * from memory, as conv_service_list_active; closed or any from the
 * table, by id, this tick's changes handed over first), to fn; how
 * many, or GW_E*.
 * conv_service_items: conversation id's items' seqs (conv_store_items).
 * conv_service_contact: contact id to fn; 1, 0 when unknown, or GW_E*.
 * conv_service_person: a person's contacts to contact_fn, then their
 * conversations (newest first, at most max_conversations) to conv_fn;
 * the conversations' count or GW_E*. */
int conv_service_list(conv_service *svc, const conv_page *page, conv_row_fn fn, void *arg);
int conv_service_items(conv_service *svc, int64_t id, const char *tail, size_t max_items,
                       char **out);
int conv_service_contact(conv_service *svc, int64_t id, contact_row_fn fn, void *arg);
int conv_service_person(conv_service *svc, int64_t person, contact_row_fn contact_fn,
                        void *contact_arg, size_t max_conversations, conv_row_fn conv_fn,
                        void *conv_arg);

/* Figures for /metrics (conv_tally.c), from counters kept per network
 * and account: O(accounts), not O(conversations). A group stays listed,
 * with zeros, once it had an open conversation. */
#define CONV_BUCKETS 10
typedef struct conv_group {
    char network[64], account[128];
    size_t net_len, acct_len;
    uint64_t open;       /* waiting for an answer */
    uint64_t unanswered; /* never answered yet */
    int64_t oldest_waiting_ms; /* 0: none waiting */
} conv_group;
typedef struct conv_metrics {
    conv_group *groups; /* owned (conv_metrics_free), one per network and account */
    size_t group_count;
    uint64_t priority[CONV_PRIORITIES]; /* open conversations per priority */
    const double *bucket_bounds;        /* CONV_BUCKETS upper bounds, seconds */
    uint64_t buckets[CONV_BUCKETS];     /* first responses since start, not cumulative */
    uint64_t responses, within_target;
    double response_sum_s;
    uint64_t breaches, closed;
    int store_failing; /* the service's database: a commit failed, a retry pending */
    uint64_t writer_waits; /* hand-overs that waited for the writer's full queue */
} conv_metrics;
int conv_service_metrics(conv_service *svc, conv_metrics *out);
void conv_metrics_free(conv_metrics *m);

#endif /* GW_CONV_SERVICE_H */
