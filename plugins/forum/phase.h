/* plugins/forum/phase.h - the state of a fetch and what every phase of it
 * uses (phase.c).
 *
 * A fetch (fetch.c) runs its phases in order: posts.c, mentions.c,
 * private.c. A phase reads, emits through forum_phase_post, stores its
 * cursor, and then calls forum_phase_over, which returns control to the
 * driver through the callback the driver put in the fetch. So the driver
 * calls the phases and both call phase.c, and nothing calls back up by
 * name.
 */
#ifndef FORUM_PHASE_H
#define FORUM_PHASE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "forum.h"

/* The fetch job. Its phases run in order; each reads and emits, stores
 * its cursor, and hands over to the next. */
typedef enum forum_phase {
    FORUM_PHASE_POSTS = 0,
    FORUM_PHASE_MENTIONS,
    FORUM_PHASE_PRIVATE,
    FORUM_PHASE_DONE
} forum_phase;

/* A post the mentions phase must read: from notification notif_id. */
typedef struct forum_wanted_post {
    int64_t notif_id;
    int64_t topic_id;
    int64_t post_id;
    bool mentioned;
} forum_wanted_post;

/* A PM topic the private phase must read. */
typedef struct forum_wanted_topic {
    int64_t topic_id;
    int64_t highest_post_number; /* from the inbox listing; 0 when unknown */
} forum_wanted_topic;

/* Which answer a phase waits for. */
typedef enum forum_step {
    FORUM_STEP_LIST = 0, /* posts.json, notifications.json, the PM inbox */
    FORUM_STEP_TOPIC,    /* /t/{id}.json */
    FORUM_STEP_POST      /* /posts/{id}.json */
} forum_step;

typedef struct forum_fetch {
    forum_job job; /* first member */
    forum_phase phase;
    /* Set by the driver (fetch.c): the running phase is over, start the
     * next one or finish the fetch. The phases reach it through
     * forum_phase_over, never by name, so they need not know the driver. */
    void (*phase_over)(struct forum_fetch *f);
    forum_step step;
    uint64_t requests; /* sent by this fetch */
    bool more;         /* work was left for the next fetch */
    bool stopping;     /* emit said the account is stopping */

    int64_t *emitted; /* post ids emitted by this fetch */
    size_t emitted_len, emitted_cap;

    /* posts.json walk */
    int64_t posts_max;   /* the committed cursor, -1 when none yet */
    int64_t walk_floor;  /* stop at or below this id */
    int64_t walk_top;    /* highest id seen by the walk */
    int64_t walk_before; /* next before=, 0 for the first page */
    uint64_t walk_pages;
    uint64_t walk_page_limit;
    bool walk_first_run; /* no cursor yet: backfill_pages bounds it */

    /* notifications.json */
    forum_wanted_post *wanted;
    size_t wanted_len, wanted_cap, wanted_next;
    int64_t notif_stored; /* the committed cursor, -1 when none yet */
    int64_t notif_max;    /* highest notification id of the walk */
    uint64_t notif_pages; /* pages read by this walk */
    char *notif_next;     /* owned: load_more_notifications of the last page */
    char *notif_from;     /* owned: where this fetch's listing began */
    int64_t notif_low;    /* lowest notification id this fetch listed */
    bool notif_reached;   /* the listing met the cursor or the list's end */
    /* A capped walk (FORUM_KV_NOTIF_WALK), carried over fetches: ids in
     * [nwalk_low, nwalk_top] are handled, (notif_stored, nwalk_low) not yet. */
    bool nwalk;
    int64_t nwalk_top, nwalk_low;
    int64_t *hints; /* PM topic ids named by type 6 notifications */
    size_t hints_len, hints_cap;
    json_t *topic; /* owned: the last /t/{id}.json read, or NULL */

    /* the PM inbox */
    forum_wanted_topic *topics;
    size_t topics_len, topics_cap, topics_next;
    json_t *pm_state;    /* owned: FORUM_KV_PM_TOPICS being updated */
    json_t *pm_listed;   /* owned: topic ids (keys) of the latest listing */
    bool pm_first_run;   /* no FORUM_KV_PM_TOPICS yet */
    int64_t pm_number;   /* current topic: post numbers above are new... */
    int64_t pm_id;       /* ...or, when > 0, post ids above are new */
    bool pm_backwards;   /* pm_missing runs newest first (pm_id unknown) */
    bool pm_viewed;      /* the current topic's view has been handled */
    int64_t *pm_missing; /* stream ids of the current topic still to read */
    size_t pm_missing_len, pm_missing_next;
    int64_t pm_seen_max;   /* highest post id of the current topic */
    int64_t pm_number_max; /* highest post number read in it */
} forum_fetch;

/* Emit one normalised item (steals event) and remember its id. Returns
 * false when the account is stopping. */
bool forum_phase_emit(forum_fetch *f, json_t *event, int64_t post_id);
/* True when this fetch has emitted the post already. */
bool forum_phase_emitted(const forum_fetch *f, int64_t post_id);
/* Normalise and emit one post (borrowed) with ctx; false when stopping. */
bool forum_phase_post(forum_fetch *f, const forum_context *ctx, const json_t *post);

typedef enum forum_sent {
    FORUM_SENT = 0,   /* the request is on its way */
    FORUM_BUDGET = 1, /* max_requests reached: more is set, nothing sent */
    FORUM_GONE = 2    /* it could not be sent; the fetch finished (f is gone) */
} forum_sent;
/* Send a GET for the fetch (path borrowed), counting it against
 * max_requests. */
forum_sent forum_phase_get(forum_fetch *f, const char *path);
/* Finish the fetch after a failed answer (f is gone afterwards). */
void forum_phase_fail(forum_fetch *f, const forum_reply *reply);
/* Finish the fetch because the account is stopping (f is gone). */
void forum_phase_stopped(forum_fetch *f);
/* The current phase is over: back to the driver, which goes on with the
 * next one (f may be gone afterwards). */
void forum_phase_over(forum_fetch *f);

/* The context for posts of a /t/{id}.json document (borrowed). */
forum_context forum_topic_context(gw_instance *inst, const json_t *topic);
/* The post with this id among a topic document's loaded posts, or NULL. */
const json_t *forum_topic_post(const json_t *topic, int64_t post_id);
/* A JSON value from the key/value store (caller frees); NULL when absent
 * or unreadable (logged). */
json_t *forum_kv_get_json(gw_instance *inst, const char *key);
/* Store value (borrowed) as compact JSON under key; failures are logged. */
void forum_kv_set_json(gw_instance *inst, const char *key, const json_t *value);
/* Add PM topic ids (borrowed, n of them) to FORUM_KV_PM_PENDING, the
 * topics the private phase must read even when the inbox's first page no
 * longer lists them. */
void forum_pm_pending_add(gw_instance *inst, const int64_t *topic_ids, size_t n);
/* Integer cursors in the key/value store. */
void forum_kv_set_i64(gw_instance *inst, const char *key, int64_t value);
int64_t forum_kv_get_i64(gw_instance *inst, const char *key, int64_t def);

#endif /* FORUM_PHASE_H */
