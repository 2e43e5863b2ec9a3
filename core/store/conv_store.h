/* conv_store.h - the conversation service's tables: conversations, the
 * items (event seqs) of each, contacts and their links across networks,
 * in a database of their own (conversations.db beside the log's
 * gateway.db), opened as a bare store (store_options.bare).
 *
 * The tables are derived from the event log: the service commits its
 * writes after the log's tick has committed, with the last seq they
 * applied (conv_store_set_applied), and at start applies the events
 * after that seq again (service/conv_db.c). So a crash between the two
 * commits loses nothing, and neither database waits for the other's
 * lock. The list of each contact's conversations is written in batches
 * (conv_store_link_contacts), and reads complete it from the
 * conversations table. The service (core/service/) keeps the open
 * conversations and recent contacts in memory and writes only what
 * changed, once per tick; reads here serve its start-up, a contact cache
 * miss, and the API. Failed statements are reported to the store they
 * ran on (store_write_failed). One thread at a time: the service's
 * writer thread writes, the loop reads once it has waited for the
 * writer (service/conv_writer.h); nothing here locks.
 */
#ifndef GW_CONV_STORE_H
#define GW_CONV_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

typedef struct conv_store conv_store;

/* One conversation row. Strings borrowed (as handed to a callback: valid
 * for the call; as given to conv_store_put_conversation: for the call). */
typedef struct conv_row {
    int64_t id;
    const char *network, *account;
    const char *thread; /* the thread key within the account */
    const char *alias;  /* a private thread that joined it, or NULL */
    int64_t contact;    /* the customer's contact id, 0: none */
    const char *visibility; /* public | private */
    const char *state;      /* open | answered | closed */
    int priority_score;     /* 0-100, from the triage tags */
    const char *priority;   /* urgent|high|normal|low, or NULL */
    int64_t items;          /* customer items */
    int64_t first_ms;       /* first customer item received (wall ms) */
    int64_t waiting_ms;     /* oldest customer item not answered yet; 0: none */
    int64_t last_ms;        /* last activity */
    int64_t answered_ms;    /* first answer; 0: none yet */
    int64_t closed_ms;      /* 0: not closed */
    int64_t deadline_ms;    /* first-response target deadline; 0: no target */
    int breached;           /* sla.breached was emitted */
    const char *seqs;       /* the latest items' and answers' event seqs, "12,40,41"
                               (the earlier ones: conv_store_items) */
} conv_row;

typedef int (*conv_row_fn)(void *arg, const conv_row *row);

/* Create the tables when missing and prepare the statements. Returns 0
 * and *out (caller closes with conv_store_close, before store_close), or
 * a GW_E* code with err set. */
int conv_store_open(store *st, conv_store **out, char *err, size_t errlen);
void conv_store_close(conv_store *cs);

/* The last event seq of the log that the tables have applied: *seq, or
 * -1 when none was ever written (a new file). 0 or GW_E*. */
int conv_store_applied(conv_store *cs, int64_t *seq);

/* Record seq as applied, in the open transaction (every commit of the
 * service's writes carries it). 0 or GW_E*. */
int conv_store_set_applied(conv_store *cs, int64_t seq);

/* Fill a new file: copy the tables of a data directory from before they
 * had a file of their own from the event log's database at log_path
 * (attached for the copy) when it has them, record applied as the seq
 * applied, and commit. Call with no transaction open on cs's store.
 * *copied: the conversations copied (0: none, or no such tables). 0 or
 * GW_E* with err set (nothing committed). conv_migrate.c. */
int conv_store_import(conv_store *cs, const char *log_path, int64_t applied, int64_t *copied,
                      char *err, size_t errlen);

/* Drop those tables from the event log's database (st, in its open
 * transaction), once the service's own file has them. 0 or GW_E*. */
int conv_store_drop_from_log(store *st);

/* The largest conversation and contact ids used so far (0: none). */
int conv_store_max_ids(conv_store *cs, int64_t *conversation, int64_t *contact);

/* Write (insert or update) n conversations, in the tick's transaction.
 * Rows go CONV_PUT_BATCH to a statement (one statement's fixed cost,
 * about a fifth of a row's, is then shared), the rest one by one. The
 * rows' strings need only last for the call. Returns 0 or GW_E*. */
#define CONV_PUT_BATCH 16
int conv_store_put_conversations(conv_store *cs, const conv_row *rows, size_t n);

/* Move a conversation's seqs out of its row, in the tick's transaction:
 * seqs (len bytes, "12,40,41", NUL-terminated or not, borrowed for the
 * call) become one row of conversation_items, filed under its first
 * seq; the caller then writes the row without them. The service
 * does so once the row's list passes CONV_ITEMS_CHUNK bytes. Returns 0,
 * GW_EINVAL when seqs does not start with a seq, or GW_E*. */
#define CONV_ITEMS_CHUNK 512
int conv_store_put_items(conv_store *cs, int64_t id, const char *seqs, size_t len);

/* Conversation id's items in log order as one list, "12,40,41": the
 * chunks moved out of its row, then tail (the row's own seqs, borrowed;
 * NULL for none). Reading stops once max_items are listed, so the list
 * holds at least max_items when there are as many (may hold a few more).
 * *out is the caller's (free), "" when none. Returns 0 or a GW_E* code. */
int conv_store_items(conv_store *cs, int64_t id, const char *tail, size_t max_items, char **out);

/* List the conversations with ids after the last linked one, up to
 * upto, under their contacts (the table a contact's history and open
 * count read), in the tick's transaction: one statement, so each page
 * of the links is written once per batch, not once per tick. Reads do not
 * wait for it: they add the conversations after the mark from the
 * table itself, so a batch may be late, or lost with a tick, without a
 * read missing anything. Returns 0 or GW_E*. */
int conv_store_link_contacts(conv_store *cs, int64_t upto);

/* The last conversation id linked (0: none), and reading it again from
 * the table (at open, and after a lost tick). 0 or GW_E*. */
int64_t conv_store_linked_through(const conv_store *cs);
int conv_store_load_mark(conv_store *cs);

/* Every conversation not closed, by id (start-up). */
int conv_store_each_active(conv_store *cs, conv_row_fn fn, void *arg);

/* One conversation by id: 1 and fn called, 0 when none, or GW_E*. */
int conv_store_get_conversation(conv_store *cs, int64_t id, conv_row_fn fn, void *arg);

/* A page of conversations in one of two orders, after a cursor:
 * by id ascending (after_id), or the work queue (priority_score
 * descending, then waiting_ms ascending, then id). state may be NULL (all).
 * Returns how many were passed to fn, or GW_E*. */
typedef struct conv_page {
    const char *state;   /* NULL: any */
    int by_priority;     /* 1: work-queue order */
    int64_t after_id;    /* the cursor: the last row of the previous page */
    int after_score;     /* by_priority: its score and waiting_ms */
    int64_t after_waiting;
    int has_cursor;
    size_t limit;
} conv_page;
int conv_store_list(conv_store *cs, const conv_page *page, conv_row_fn fn, void *arg);

/* Conversations of the contacts of one person (contacts linked to each
 * other), newest first, at most limit. Returns the count or GW_E*. */
int conv_store_each_of_person(conv_store *cs, int64_t person, size_t limit, conv_row_fn fn,
                              void *arg);


/* How many conversations of one contact are not closed (0 on error). */
int64_t conv_store_open_of_contact(conv_store *cs, int64_t contact);

/* The report's read: opens the database at db_path read-only (WAL lets
 * it read while the gateway writes; the data directory's lock is the
 * writers'), and calls fn for every conversation whose first item arrived
 * at or after since_ms. Returns the count, or GW_E* with err set. */
int conv_store_report(const char *db_path, int64_t since_ms, conv_row_fn fn, void *arg, char *err,
                      size_t errlen);

/* Prepare a one-off read on st's connection (caller finalizes *q); a
 * failure is reported to the store as what. 0 or GW_E*. Shared with
 * contact_store.c. */
struct sqlite3_stmt;
int conv_store_prepare(store *st, const char *sql, struct sqlite3_stmt **q, const char *what);

/* The store this was opened on (borrowed). */
store *conv_store_store(conv_store *cs);

#endif /* GW_CONV_STORE_H */
