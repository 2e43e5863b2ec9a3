/* conv_facts.h - what the conversation service decides an event from:
 * the few members it reads, taken once the event is stored, so that
 * deciding reads neither the event object nor the log (the first half of
 * deciding on the service's own thread, docs/design.md, "Conversations
 * and contacts"). Not for use outside core/service/.
 */
#ifndef GW_CONV_FACTS_H
#define GW_CONV_FACTS_H

#include <stdint.h>

#include <jansson.h>

#include "engine/pipeline.h"
#include "store/store.h"

typedef enum {
    CONV_FACT_NONE,     /* nothing to decide (another gateway event) */
    CONV_FACT_CUSTOMER, /* a customer's item: its thread's conversation */
    CONV_FACT_ANSWER    /* action.succeeded: the conversation it answers */
} conv_fact_kind;

/* The strings are borrowed from the event and the item they were taken
 * from: valid while those live. */
typedef struct conv_facts {
    conv_fact_kind kind;
    int64_t seq;
    uint64_t now_ms; /* the time the item counts at */
    const char *network, *account;
    /* a customer item's thread_id, else its native_id; an answer's
     * thread_id; NULL: none */
    const char *thread;
    const char *received_at; /* the contact's last_seen */
    int is_public;
    /* a customer item's author; author_id NULL: none */
    const char *author_id, *handle, *name;
    int64_t followers;  /* -1: not given */
    int priority_score; /* 0-100, or -1: none */
    const char *priority;
    /* an answer's answered event, as the log holds it: the conversation
     * id it carries (stored before its members were kept beside the
     * log), else 0; its seq, else -1 (not in the log) */
    int64_t answered_conv, answered_seq;
} conv_facts;

/* The facts of ev, stored as seq: from the members validation found
 * (it->validated) or the event itself, with what enrichment decided
 * (en->priority_score < 0: the event's tags). An answer's answered event
 * is read from log. Returns out->kind. */
conv_fact_kind conv_facts_of(store *log, const json_t *ev, const pipeline_item *it, int64_t seq,
                             const pipeline_enriched *en, uint64_t now_ms, conv_facts *out);

#endif /* GW_CONV_FACTS_H */
