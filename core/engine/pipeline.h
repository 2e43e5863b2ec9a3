/* pipeline.h - from a plugin's item to a stored gateway.event/1.
 *
 * validate -> fill host fields -> dedupe -> append to the log. The plugin
 * supplies the network's facts (type, native_id, author, text...); the
 * host owns identity and ordering (id, seq, network, account,
 * received_at), so no plugin can forge another network's events.
 */
#ifndef GW_PIPELINE_H
#define GW_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "store/store.h"

typedef struct pipeline_stats {
    uint64_t accepted;   /* stored as new events */
    uint64_t duplicates; /* dropped: id already in the log */
    uint64_t invalid;    /* refused by validation */
    uint64_t echoes;     /* dropped: the gateway's own post coming back
                            (see pipeline_echo) */
} pipeline_stats;

/* Echo suppression (actions): a fetch may bring back what the gateway
 * itself posted for an agent. is_echo(arg, network, account, event) is
 * asked after validation, with the plugin's item (borrowed), and answers
 * 1 when the item is one of ours, so it is dropped instead of reaching the
 * help desk as a new customer item. */
typedef struct pipeline_echo {
    int (*is_echo)(void *arg, const char *network, const char *account, const json_t *event);
    void *arg;
} pipeline_echo;

/* The members a plugin may set, in the order of the view below. */
enum pipeline_member {
    PIPELINE_TYPE,
    PIPELINE_VISIBILITY,
    PIPELINE_NATIVE_ID,
    PIPELINE_THREAD_ID,
    PIPELINE_IN_REPLY_TO,
    PIPELINE_URL,
    PIPELINE_AUTHOR,
    PIPELINE_TEXT,
    PIPELINE_LANG,
    PIPELINE_RATING,
    PIPELINE_CREATED_AT,
    PIPELINE_TAGS,
    PIPELINE_CONTACT,
    PIPELINE_RAW,
    PIPELINE_CONTEXT,
    PIPELINE_MEMBERS
};

/* A validated item's members as validation found them, so the steps after
 * it (enrichment) do not look each up again: m[PIPELINE_TYPE] is the
 * value of "type", NULL when absent; a JSON null is kept as such (it
 * means absent too). Borrowed from the event: valid while the event lives
 * and those members are not replaced. */
typedef struct pipeline_item {
    int validated; /* m[] and author_* were filled by validation; 0 for a
                      host event (nothing looked up: look in the event) */
    const json_t *m[PIPELINE_MEMBERS];
    const json_t *author_id, *author_handle, *author_name, *author_followers, *author_verified;
    size_t nulls; /* members given as null (dropped before the append) */
    /* the host members, set before the observer's annotate */
    const char *network, *account, *received_at;
} pipeline_item;

/* Enrichment (triage): enrich(arg, network, event, item) may add members
 * to a validated plugin item (event borrowed, modified in place; item its
 * members as validation found them) before it is normalised and
 * serialised, once. Returns 0, or a negative GW_E* code that drops
 * nothing: the item is stored as it is then. Host events are never
 * enriched. */
typedef struct pipeline_enriched pipeline_enriched;
typedef struct pipeline_enrich {
    int (*enrich)(void *arg, const char *network, json_t *event, const pipeline_item *item,
                  pipeline_enriched *out);
    void *arg;
} pipeline_enrich;

/* What enrichment decided beside the event object: members written as
 * JSON text (`"k":v,...`, no braces; stored after the event's own, before
 * the observer's; NULL for none) and the item's priority, which the
 * observer's stored() reads here since the tags may not be in the object.
 * The pipeline sets it to {NULL, 0, -1, NULL} before calling enrich. */
struct pipeline_enriched {
    const char *members; /* borrowed from the enricher until its next call */
    size_t len;
    int priority_score; /* 0-100, or -1: not enriched */
    const char *priority;
};

/* Observer (conversations, core/service/): sees every event on its way
 * into the log. annotate(arg, event, item, now_ms) runs after the host
 * members are set and before the append, and may edit the event as it is
 * stored (the conversation service removes a plugin's own "contact");
 * stored(arg, event, item, seq, enriched, now_ms) runs after the event
 * was appended as new, with the event as stored (borrowed), item as
 * annotate saw it, and what the enrichment decided beside it (never
 * NULL): there the conversation service decides the members it keeps
 * beside the log (engine/egress.h). item has the host members and, for a
 * plugin's item (item->validated), the members validation found (the
 * nulls among them are gone from the event by then, and a member
 * annotate removed must not be read). An event not stored (a duplicate,
 * an error) gets no stored() call. Either may be NULL. */
typedef struct pipeline_observer {
    void (*annotate)(void *arg, json_t *event, const pipeline_item *item, uint64_t now_ms);
    void (*stored)(void *arg, const json_t *event, const pipeline_item *item, int64_t seq,
                   const pipeline_enriched *enriched, uint64_t now_ms);
    void *arg;
} pipeline_observer;

/* Ingest one item from a plugin. Steals `event`. Returns 1 when stored,
 * 0 when it was a duplicate, GW_EINVAL when malformed (err says which
 * field and why), or another negative GW_E* code from the store. */
int pipeline_ingest(store *st, const char *network, const char *account, json_t *event,
                    uint64_t now_ms, pipeline_stats *stats, char *err, size_t errlen);

/* pipeline_ingest with echo suppression: an item echo (may be NULL)
 * recognises is dropped like a duplicate (returns 0, counted in
 * stats->echoes). */
int pipeline_ingest_echo(store *st, const char *network, const char *account, json_t *event,
                         uint64_t now_ms, pipeline_stats *stats, const pipeline_echo *echo,
                         char *err, size_t errlen);

/* What an account's item meets on its way in, each optional (NULL): echo
 * suppression, then enrichment (triage), then the observer
 * (conversations) right before the append. */
typedef struct pipeline_hooks {
    const pipeline_echo *echo;
    const pipeline_enrich *enrich;
    const pipeline_observer *observer;
} pipeline_hooks;

/* pipeline_ingest with the hooks (hooks may be NULL: none). */
int pipeline_ingest_hooked(store *st, const char *network, const char *account, json_t *event,
                           uint64_t now_ms, pipeline_stats *stats, const pipeline_hooks *hooks,
                           char *err, size_t errlen);

/* Ingest an event the host itself produces (account.stopped,
 * action.succeeded...): no plugin validation, same identity rules.
 * Steals `event`, which must hold "type" and "native_id". */
int pipeline_ingest_host(store *st, const char *network, const char *account, json_t *event,
                         uint64_t now_ms, pipeline_stats *stats);

/* pipeline_ingest_host with an observer (may be NULL). */
int pipeline_ingest_host_observed(store *st, const char *network, const char *account,
                                  json_t *event, uint64_t now_ms, pipeline_stats *stats,
                                  const pipeline_observer *obs);

/* Check a plugin event without storing it (used by tests and the SDK's
 * conformance checker). Borrowed event. Returns 0 or GW_EINVAL + err. */
int pipeline_validate(const json_t *event, char *err, size_t errlen);

/* pipeline_validate that also fills *item with the members it found (see
 * pipeline_item; on failure it is partial). */
int pipeline_validate_item(const json_t *event, pipeline_item *item, char *err, size_t errlen);

#endif /* GW_PIPELINE_H */
