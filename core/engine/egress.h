/* egress.h - events on their way out of the gateway (the sinks, the
 * events API, a conversation's items): the members the conversation
 * service keeps beside the log (store/event_members.h) are added to each
 * event's text, and no event leaves before they are on disk.
 *
 * Why here and not in the stored event: the members are decided by the
 * service, which commits them after the log's tick, on its own thread;
 * an event that left before them could not be given the same ones after
 * a crash (docs/design.md, "The conversation service's members").
 *
 * The engine and the API know the members only through this table, set
 * by the orchestrator when the service runs (rt->egress); without it
 * events leave as stored, up to the log's committed seq.
 */
#ifndef GW_EGRESS_H
#define GW_EGRESS_H

#include <stddef.h>
#include <stdint.h>

#include "base/json_write.h"

typedef struct egress_pass egress_pass;

typedef struct event_egress {
    /* The highest seq whose members are on disk: later events wait. */
    int64_t (*bound)(void *arg);
    /* A pass over events asked in rising seq order (pass_close after;
     * NULL when out of memory). pass_find: seq's members as JSON text
     * (`"k":v,...`, no braces), borrowed until the pass's next call: 1,
     * 0 when it has none, or GW_E*. */
    egress_pass *(*pass_open)(void *arg);
    int (*pass_find)(egress_pass *p, int64_t seq, const char **text, size_t *len);
    void (*pass_close)(egress_pass *p);
    void *arg;
} event_egress;

/* One reader's pass: egress_begin, egress_event for each event in seq
 * order, egress_end. eg may be NULL or empty (no members kept apart). */
typedef struct egress_reader {
    const event_egress *eg;
    egress_pass *pass;
    jw_buf text; /* an event's text with its members (owned) */
} egress_reader;

void egress_begin(egress_reader *r, const event_egress *eg);

/* The text event seq leaves as: json itself (len bytes, an object) when
 * it has no members kept apart, else json with them before its closing
 * brace, in r's buffer (valid until the next call). Returns 0 with *out
 * and *out_len set, or GW_E* (out of memory, the service's database
 * unreadable: the event must not leave without its members). */
int egress_event(egress_reader *r, int64_t seq, const char *json, size_t len, const char **out,
                 size_t *out_len);

void egress_end(egress_reader *r);

/* The same in two steps, for a reader that writes the text into a
 * buffer of its own (the dispatcher's batch): the members of event seq
 * (json, len bytes: *n = 0 when none; borrowed until the next call), then
 * the event written with them into out, which has room for
 * egress_spliced_len(len, n) bytes. egress_members returns 0 or GW_E* as
 * egress_event does. */
int egress_members(egress_reader *r, int64_t seq, const char *json, size_t len,
                   const char **members, size_t *n);
size_t egress_spliced_len(size_t len, size_t n);
void egress_splice(char *out, const char *json, size_t len, const char *members, size_t n);

/* The highest seq that may leave: committed, capped by eg's bound. */
int64_t egress_limit(const event_egress *eg, int64_t committed);

#endif /* GW_EGRESS_H */
