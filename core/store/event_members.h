/* event_members.h - the members the conversation service gives each
 * event ("conversation_id", "contact"), kept beside the log in the
 * service's database (conversations.db) instead of inside the stored
 * event, and added where events leave the gateway.
 *
 * Why: the members depend on the service's state (the conversation an
 * item joins, the contact's counters as the item counts), and deciding
 * them is what ties the service to the event loop. Kept apart from the
 * event, they can be written by the service's writer thread after the
 * log's commit (and, next, decided on the service's thread).
 *
 * One row per loop tick, not per event: (first_seq, last_seq, body), the
 * body the tick's members in seq order, each record a header of two
 * little-endian 32-bit words (seq - first_seq, the text's length) and
 * the text, `"conversation_id":"cv_..","contact":{...}` (no braces). An
 * event without members (a host event) has no record. A row per event
 * cost the writer an insert each; a tick's row is one.
 *
 * The writer's half (event_members_*) runs on the thread that writes the
 * service's store; the reader (members_reader_*) has a read-only
 * connection of its own, for the loop, and sees committed rows only.
 */
#ifndef GW_EVENT_MEMBERS_H
#define GW_EVENT_MEMBERS_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* The size of a record's header in a body. */
#define MEMBERS_RECORD_HEADER 8

/* ---- a body ----------------------------------------------------------- */

/* Append the record of seq (first: the body's first seq) with text (len
 * bytes, no NUL) to body (*len bytes of *cap, grown; caller frees).
 * Returns 0 or GW_ENOMEM (body unchanged). */
int members_body_add(char **body, size_t *len, size_t *cap, int64_t first, int64_t seq,
                     const char *text, size_t text_len);

/* A walk over a body, for seqs asked in rising order (each find goes on
 * from the last one; a lower seq starts over). */
typedef struct members_walk {
    const char *body;
    size_t len, pos;
    int64_t first, last; /* the seqs the body covers */
} members_walk;

/* The text of seq in w's body: 1 with *text and *text_len set (borrowed from the
 * body), or 0 when it has no record (an event without members). */
int members_walk_find(members_walk *w, int64_t seq, const char **text, size_t *text_len);

/* ---- the table, on the service store (its writer thread) -------------- */

typedef struct event_members event_members;

/* Create the table when missing and prepare the statements on st.
 * Returns 0 and *out (event_members_close before store_close), or GW_E*
 * with err set. */
int event_members_open(store *st, event_members **out, char *err, size_t errlen);
void event_members_close(event_members *em);

/* One tick's row. Returns 0 or GW_E* (reported to the store). */
int event_members_put(event_members *em, int64_t first, int64_t last, const char *body, size_t len);

/* Delete the rows whose events all precede seq below (the log pruned
 * them). Returns 0 or GW_E*. */
int event_members_prune(event_members *em, int64_t below);

/* ---- the reader, on a connection of its own (the loop) ------------- */

typedef struct members_reader members_reader;

/* Open path (the service's database) read-only. Returns 0 and *out
 * (members_reader_close), or GW_E* with err set. */
int members_reader_open(const char *path, members_reader **out, char *err, size_t errlen);
void members_reader_close(members_reader *r);

/* The committed row holding seq into *w (its body borrowed until the next
 * call on r): 1; 0 when no row holds it (no members: an event from before
 * the service kept them apart, or one without), w then covering the seqs
 * from seq to the next row's first (w->last; INT64_MAX when none) with
 * no body, so a reader walking an old log asks once for the whole gap;
 * or GW_EIO. */
int members_reader_find(members_reader *r, int64_t seq, members_walk *w);

#endif /* GW_EVENT_MEMBERS_H */
