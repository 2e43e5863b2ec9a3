/* conv_state.h - the conversation service's state, shared by its files
 * (conv_service.c: open, flush, close, timers; conv_assign.c: the
 * pipeline observer; conv_contacts.c: the contact cache; conv_state.c:
 * a conversation's own bookkeeping). Not for use outside core/service/.
 */
#ifndef GW_CONV_STATE_H
#define GW_CONV_STATE_H

#include <stdlib.h>

#include <jansson.h>
#include <uv.h>

#include "base/dlink.h"
#include "base/idmap.h"
#include "base/idset.h"
#include "base/json_write.h"
#include "base/log.h"
#include "base/strmap.h"
#include "service/conv_id.h"
#include "service/conv_options.h"
#include "service/conv_priority.h"
#include "store/contact_store.h"
#include "store/conv_store.h"
#include "store/event_members.h"

typedef struct conv_service conv_service;
struct conv_writer_hooks;

#define CONV_QUEUE_SCORES 101 /* priority scores 0-100 */

#define CONV_RESPONSE_BUCKETS 10
/* Upper bounds of the first-response histogram, seconds. */
extern const double conv_response_bounds[CONV_RESPONSE_BUCKETS];

typedef enum { CONV_OPEN, CONV_ANSWERED, CONV_CLOSED } conv_state;

/* One conversation in memory (open or answered; a closed one is freed at
 * the flush that writes it). A flood keeps 100,000s of them, and on a
 * virtual machine their pages' first touch costs the loop as much as
 * their bookkeeping (docs/design.md, stop 37), so the fields are ordered
 * and sized to pack: 216 bytes, a 224-byte allocation. */
typedef struct conv {
    int64_t id;
    char *key;   /* owned: network \x1f account \x1f thread */
    char *alias; /* owned: a private thread's key that joined it, or NULL */
    int64_t contact;
    uint32_t key_len, alias_len;
    uint32_t net_len, acct_len; /* the network's and the account's part of key */
    int priority_score;
    conv_state state;
    /* the set of svc->by_state it is in (conv_list.c); CONV_CLOSED: none */
    conv_state listed;
    int q_score; /* its work queue's list (conv_queue.c, below) */
    uint8_t is_public, breached;
    unsigned char priority_index; /* priority's in conv_priority_names (conv_set_priority) */
    /* what it adds to its account's counters (conv_tally.c, with group
     * and t_waiting below) */
    unsigned char t_open, t_unanswered, t_priority;
    char priority[8];
    int64_t items, first_ms, waiting_ms, last_ms, answered_ms, closed_ms, deadline_ms;
    int64_t q_waiting, t_waiting;
    jw_buf seqs;      /* owned: the events' seqs, "12,40,41", a NUL after len (conv_row.seqs) */
    dlink dirty_link; /* on svc->dirty_convs while its row waits for the flush */
    /* its place in the work queue (conv_queue.c): the list of q_score,
     * filed by (q_waiting, id); on no list when q_link is unlinked */
    dlink q_link;
    struct conv_tally_group *group; /* NULL until first counted */
} conv;
_Static_assert(sizeof(conv) <= 216 || sizeof(void *) != 8, "conv packs into 224-byte chunks");

/* cv's public id, "cv_<hex>", into buf (formatted when asked: kept in
 * every conversation it was 24 of its bytes). */
#define CONV_IDSTR_MAX 24
static inline const char *conv_idstr(const conv *cv, char buf[CONV_IDSTR_MAX])
{
    conv_id_format("cv_", cv->id, buf, CONV_IDSTR_MAX);
    return buf;
}

/* One contact in the cache. */
typedef struct contact {
    int64_t id;
    char *key; /* owned: network \x1f author id */
    size_t key_len, net_len;
    char *handle, *name; /* owned, NULL when unknown */
    int64_t followers, first_ms, last_ms, items, open, person;
    int64_t join_conv; /* its latest public conversation we answered, and when */
    int64_t join_ms;
    char idstr[24]; /* "ct_<hex>" and first_seen, formatted once */
    char first_seen[40];
    /* owned: the "contact" member's text from its start through
     * first_seen, made at its first use (conv_contact_text_of); emptied
     * (len 0) when the handle, name or followers change */
    jw_buf head;
    dlink dirty_link; /* on svc->dirty_contacts: new, written at this tick's flush */
    int stale;        /* counters or profile changed: written by the sweep */
    dlink lru_link;   /* on svc->lru */
} contact;

/* One tick's event members in memory (conv_members.c): a body as
 * store/event_members.h lays it out, for the seqs first..last. */
typedef struct conv_tick {
    int64_t first, last;
    char *body; /* owned, kept when the tick is emptied */
    size_t len, cap;
} conv_tick;

/* What decide found for the event just stored; apply applies it
 * (conv_assign.c). */
typedef struct conv_pending {
    int valid;
    int customer;   /* a customer item (else an answer) */
    conv *cv;       /* the conversation */
    int is_new;     /* cv is not indexed yet */
    int join;       /* a private item joining cv (alias = join_key) */
    char *join_key; /* owned until applied */
    size_t join_len;
    contact *ct; /* the author's contact, or NULL */
    uint64_t now_ms;
} conv_pending;

struct conv_service {
    uv_loop_t *loop;
    store *st;  /* the event log (borrowed) */
    store *db;  /* owned: the service's own database (conv_db.c) */
    struct store_checkpointer *checkpointer; /* owned: db's checkpoints, or NULL */
    int64_t applied_seq; /* the log's seq db's last commit recorded as applied */
    uv_timer_t retry_timer; /* after a failed commit of db (conv_service_commit) */
    uint64_t retry_ms;      /* its current delay; 0: db is not failing */
    /* owned: writes db's rows on its thread; the loop uses db, cs and ks
     * only after conv_db_ready */
    struct conv_writer *writer;
    int uncommitted;    /* the loop wrote to db (a link) or a batch left rows uncommitted */
    int64_t link_through; /* conversations up to this id are linked, or handed over to be */
    conv_store *cs;
    contact_store *ks;
    const logger *log;
    conv_options opt;
    strmap *by_key;                 /* conversations: thread keys (and aliases) */
    idmap *by_id;                   /* conversations: ids (walked in id order: conv_list.c) */
    /* the ids of the conversations open and answered (conv_list.c);
     * lists_whole is 0 once an insert failed for memory: the lists then
     * walk by_id */
    idset *by_state[CONV_CLOSED];
    int lists_whole;
    strmap *contacts, *contact_ids; /* contacts: network+author, ids */
    dlink lru;                      /* the contacts cached, the most recently used first */
    size_t contact_count;
    int contacts_all_loaded; /* every stored contact is in the cache: a miss is new */
    /* the conversations to write, in the order they were first marked:
     * new ones in id order, so their rows are appended to the table
     * (SQLite splits its last page; written newest first, each split was
     * a full rebalance, ~14,000 instructions, and left pages half full) */
    dlink dirty_convs;
    dlink dirty_contacts; /* in the order they were marked, like dirty_convs */
    int64_t next_conv_id, next_contact_id;
    conv_pending pending;
    /* the pending event's "conversation_id" and "contact" members as JSON
     * text (conv_contact_text_of), kept beside the log for where the event
     * leaves (conv_members_add): building a json_t of eight members per
     * event, to dump and free it, was a fifth of the service's cost per
     * event */
    jw_buf members_text;
    /* The events' members kept beside the log (conv_members.c): this
     * tick's, handed to the writer at the commit, and the last ticks'
     * in memory for where events leave; older ones are read back from
     * the database (reader, a connection of the loop's own). */
    event_members *em;
    members_reader *reader;
    conv_tick tick;
    conv_tick *recent; /* CONV_RECENT_TICKS, a ring in seq order */
    size_t recent_start, recent_count;
    int64_t durable_seq; /* the writer's highest committed applied seq */
    int64_t prune_below; /* the log's first seq: rows before it go at the next flush */
    uint64_t linked_at_ms; /* loop time of the last batch of contact links */
    uv_timer_t close_timer;
    uv_timer_t sweep_timer; /* writes stale contacts */
    /* SLA (conv_sla.c): conversations waiting for a first answer, in the
     * order their deadlines fall (creation order: a later first item
     * never has an earlier deadline), as ids: a conversation answered or
     * closed meanwhile is skipped when it reaches the head. */
    tzif *tz;
    int64_t *sla_ids;
    size_t sla_head, sla_len, sla_cap;
    uv_timer_t sla_timer;
    /* first responses since start (metrics): a histogram, and how many
     * met the target */
    uint64_t response_buckets[CONV_RESPONSE_BUCKETS];
    uint64_t response_count, response_within;
    double response_sum_s;
    uint64_t breaches;
    uint64_t closed_total;
    /* the work queue: open conversations, a list per priority score
     * (conv_queue.c) */
    dlink queue[CONV_QUEUE_SCORES];
    /* open conversations per network and account, and per priority,
     * for /metrics (conv_tally.c) */
    strmap *tally_index;                    /* network \x1f account -> its group */
    struct conv_tally_group **tally_groups; /* owned, in creation order */
    size_t tally_count, tally_cap;
    uint64_t tally_priority[CONV_PRIORITIES];
};

/* conv_service.c: every change since the last flush given to the
 * writer (committed by conv_service_commit). 0 or GW_E* (GW_EIO while
 * the database is failing: nothing is given). */
int conv_flush_rows(conv_service *svc);

/* conv_members.c: the event members of the tick (seq's text, len
 * bytes); handed to the writer with the tick's rows (conv_members_flush,
 * from conv_flush_rows); forgotten past keep_upto after a reload (the
 * replay makes them again); and the memory's release. */
int conv_members_add(conv_service *svc, int64_t seq, const char *text, size_t len);
int conv_members_flush(conv_service *svc);
void conv_members_reset(conv_service *svc, int64_t keep_upto);
void conv_members_free(conv_service *svc);
/* The conversation id seq's members name: 1 and *id, 0 none, GW_E*. */
int conv_members_conversation(conv_service *svc, int64_t seq, int64_t *id);

/* conv_contacts.c */
contact *conv_contact_lookup(conv_service *svc, const char *network, size_t net_len,
                             const char *author, uint64_t now_ms);
contact *conv_contact_by_id(conv_service *svc, int64_t id);
void conv_contact_touch(conv_service *svc, contact *ct);
void conv_contact_mark(conv_service *svc, contact *ct);
int conv_contact_load(conv_service *svc);
int conv_contact_flush(conv_service *svc, int stale_too);
void conv_contact_count_open(conv_service *svc, contact *ct);
void conv_contact_free_all(conv_service *svc);
/* Append the event's "contact" member, `"contact":{...}`, to b: the
 * members json_object_set_new would give, in the same order, for shown, a
 * copy of ct as this item shows it. last_seen is the event's received_at
 * (borrowed). When shown's handle, name and followers are ct's, the text
 * through first_seen is ct->head (made and kept the first time): escaping
 * the same id, name, handle and first_seen again was half the member's
 * cost per event. Returns 0 or a GW_E* code. */
int conv_contact_text_of(jw_buf *b, contact *ct, const contact *shown, const char *last_seen);

/* conv_sla.c */
int conv_sla_open(conv_service *svc, char *err, size_t errlen);
int conv_sla_load(conv_service *svc);
void conv_sla_reset(conv_service *svc);
void conv_sla_track(conv_service *svc, conv *cv);
void conv_sla_answered(conv_service *svc, const conv *cv);
void conv_sla_close(conv_service *svc);
void conv_sla_free(conv_service *svc);

/* conv_tally.c: conv_tally_update counts cv as it is now (conv_mark
 * calls it after every change); open makes the index, free drops every
 * group (the conversations counted must be freed with them). */
int conv_tally_open(conv_service *svc);
void conv_tally_update(conv_service *svc, conv *cv);
void conv_tally_free(conv_service *svc);
/* The groups (out->groups, freed by conv_metrics_free) and the
 * per-priority counts into out. 0 or GW_ENOMEM. */
struct conv_metrics;
int conv_tally_groups(conv_service *svc, struct conv_metrics *out);

/* A zeroed conversation, on no list (conv_free frees it). NULL when out
 * of memory. */
static inline conv *conv_alloc(void)
{
    conv *cv = calloc(1, sizeof *cv);
    if (cv != NULL) {
        dlink_init(&cv->q_link);
        cv->listed = CONV_CLOSED;
        dlink_init(&cv->dirty_link);
    }
    return cv;
}

/* The cached contacts, the most recent first: for (ct = conv_lru_first(svc);
 * ct != NULL; ct = conv_lru_next(svc, ct)). */
static inline contact *conv_lru_first(conv_service *svc)
{
    return dlink_empty(&svc->lru) ? NULL : CONTAINER_OF(svc->lru.next, contact, lru_link);
}

static inline contact *conv_lru_next(conv_service *svc, const contact *ct)
{
    return ct->lru_link.next == &svc->lru ? NULL
                                          : CONTAINER_OF(ct->lru_link.next, contact, lru_link);
}

/* conv_list.c: update files cv's id in the set of its state (conv_mark
 * calls it after every change); open makes the sets empty (0 or
 * GW_ENOMEM), free drops them. */
void conv_list_update(conv_service *svc, conv *cv);
int conv_list_open(conv_service *svc);
void conv_list_free(conv_service *svc);

/* conv_queue.c: conv_queue_update files cv as it is now (conv_mark
 * calls it after every change); reset empties the lists (the
 * conversations in them must be freed with them). */
void conv_queue_update(conv_service *svc, conv *cv);
void conv_queue_reset(conv_service *svc);

/* conv_assign.c: close cv at now_ms (memory; written at the flush). */
void conv_close_one(conv_service *svc, conv *cv, uint64_t now_ms);

/* conv_assign.c: apply an event of the log (ev owned by the caller, may
 * be changed) that the database had not applied, with the ids it
 * carries. Returns 1 when applied, 0 when it concerns no conversation,
 * or GW_E* (GW_ENOENT: its conversation is unknown; GW_EINVAL: it lacks
 * its host members): the caller logs it and goes on. */
int conv_assign_replay(conv_service *svc, json_t *ev, int64_t seq);

/* conv_db.c: the service's database. Open it at path (creating it, and
 * moving the tables out of the log's database when a data directory
 * from before has them there): svc->db, svc->cs, svc->ks. 0 or GW_E*
 * with err set. */
int conv_db_open(conv_service *svc, const char *path, char *err, size_t errlen);
/* conv_replay.c: apply the log's events after the database's applied
 * seq (at start, after a reload). Returns how many were applied, or
 * GW_E*. */
int conv_replay_log(conv_service *svc);
/* Hand the writer what the flush gave it, with the log's last seq as
 * applied (when it moved), to be committed; nothing when there is
 * nothing new. 0 or GW_ENOMEM. */
int conv_db_commit(conv_service *svc);
/* Start the writer's thread (after the start's own reads), its hooks
 * called on the loop (conv_writer.h). 0 or GW_E*. */
int conv_db_start_writer(conv_service *svc, const struct conv_writer_hooks *hooks, char *err,
                         size_t errlen);
/* Before the loop reads or writes db itself: wait for the writer. A
 * failure is left for the writer's callback (conv_retry.c). */
void conv_db_ready(conv_service *svc);
/* Hand over the rows given to the writer without a commit and wait for
 * them, so the loop reads its own writes (the API, a link). 0, or GW_E*
 * when they could not be written (the tick's commit then fails too, and
 * the retry mends it). */
int conv_db_sync(conv_service *svc);

/* conv_retry.c: start the writer with the callback that takes its
 * failures (the service then writes nothing until a retry). 0 or GW_E*. */
int conv_retry_start_writer(conv_service *svc, char *err, size_t errlen);

/* conv_load.c: load what db holds that lives in memory, then apply the
 * log's events after its applied seq (0 or GW_E* with err set); forget
 * everything in memory, the maps made anew (0 or GW_ENOMEM). */
int conv_load_state(conv_service *svc, char *err, size_t errlen);
int conv_drop_state(conv_service *svc);

/* conv_flush.c: link a batch of the conversations written so far to
 * their contacts when it is full or due, or now_anyway (the stop). */
void conv_link_contacts(conv_service *svc, int now_anyway);
void conv_db_close(conv_service *svc);

/* conv_row.c: cv as its table row; the network and account are copied
 * into net and acct (len bytes each), the other strings borrowed from cv. */
void conv_row_fill(const conv *cv, conv_row *r, char *net, char *acct, size_t len);

/* conv_state.c */
/* Bring what is derived from cv up to date (its account's counters, its
 * place in the work queue): after a load, and from conv_mark. */
void conv_refile(conv_service *svc, conv *cv);
/* Queue cv for the flush, and refile it (call after changing it). */
void conv_mark(conv_service *svc, conv *cv);
void conv_free(conv *cv);
int conv_add_seq(conv *cv, int64_t seq);
/* Set cv's priority label (NULL or unknown: none) and its index. */
void conv_set_priority(conv *cv, const char *priority);

#endif /* GW_CONV_STATE_H */
