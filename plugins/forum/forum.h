/* plugins/forum/forum.h - internals shared by the files of the Discourse
 * ("forum") plugin.
 *
 * The plugin reads a Discourse forum through its JSON API with an admin or
 * user API key acting as the brand's user (Api-Key + Api-Username headers),
 * turns forum posts into gateway.event/1 items, answers in topics and by
 * private message, and takes Discourse's signed webhooks. It reaches the
 * network only through host->http_request and never blocks: every
 * multi-request operation is a small state machine (a "job") advanced by
 * the host's HTTP callbacks. Nothing here is exported from forum.so; only
 * gw_plugin_entry is.
 *
 * Files: plugin.c (descriptor, create/destroy, hooks), options.c (declared
 * options), normalise.c (Discourse post JSON -> event, pure), cooked.c
 * (HTML to text, @mention detection, pure), refs.c (recently seen
 * post numbers, for in_reply_to), request.c (jobs, requests, reading
 * answers), fetch.c (the fetch job: runs the phases in order), phase.c
 * (what every phase uses: emitting, requests against the budget, cursors),
 * posts.c (posts.json), mentions.c (notifications.json), private.c (the
 * PM inbox), actions.c (post_public, send_private), webhook.c (signed
 * deliveries, HMAC-SHA256 from the SDK).
 */
#ifndef FORUM_FORUM_H
#define FORUM_FORUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "gateway/plugin.h"
#include "gateway/sdk.h"

/* Keys of the per-account key/value store (the cursors). */
#define FORUM_KV_POSTS_MAX "posts_max"           /* highest post id of a finished walk */
#define FORUM_KV_WALK_TOP "posts_walk_top"       /* an unfinished walk: its highest id */
#define FORUM_KV_WALK_BEFORE "posts_walk_before" /* ... and where it goes on (before=) */
#define FORUM_KV_NOTIF_MAX "notifications_max"   /* highest notification id handled */
#define FORUM_KV_NOTIF_WALK "notifications_walk" /* a capped walk: {top, low, next} */
#define FORUM_KV_PM_TOPICS "pm_topics"           /* per PM topic: [highest_post_number, max id] */
#define FORUM_KV_PM_PENDING "pm_pending" /* PM topic ids named by notifications, not yet read */

/* Discourse notification types the plugin acts on. */
#define FORUM_NOTIFY_MENTIONED 1
#define FORUM_NOTIFY_REPLIED 2
#define FORUM_NOTIFY_PRIVATE_MESSAGE 6

/* The longest text an event may carry (the host refuses more). */
#define FORUM_TEXT_MAX (64 * 1024)
/* Wait this long after a 429 that named no time, or when memory ran out.
 * Other failures leave the pacing to the host's backoff (delay 0). */
#define FORUM_RETRY_DEFAULT_MS 10000
/* PM topics remembered in FORUM_KV_PM_TOPICS. */
#define FORUM_PM_STATE_MAX 256
/* Topic ids kept in FORUM_KV_PM_PENDING. */
#define FORUM_PM_PENDING_MAX 1024
/* Recently seen (topic, post_number) -> post id pairs kept for in_reply_to. */
#define FORUM_REFS_MAX 1024

/* ---- options (options.c) ----------------------------------------------- */

/* The declared options, validated. Strings are borrowed from the host's
 * config (valid until destroy) except base, which create() owns. */
typedef struct forum_options {
    char *base;                 /* owned: base_url without trailing '/' */
    const char *api_key;        /* secret: never logged */
    const char *api_username;   /* the brand's forum user */
    const char *webhook_secret; /* secret; NULL = webhooks refused */
    bool fetch_posts;
    bool fetch_mentions;
    bool fetch_private;
    const json_t *categories;        /* borrowed array of id strings; NULL = all */
    uint64_t max_pages;              /* posts.json pages per fetch */
    uint64_t max_notification_pages; /* notifications.json pages per fetch */
    uint64_t max_requests;           /* requests per fetch, all sources */
    uint64_t backfill_pages;         /* first fetch: pages of history (0 = none) */
    uint64_t request_timeout_ms;
    const char *private_title; /* title of a new PM */
} forum_options;

extern const gw_option forum_option_table[];

/* Read and check the host's config into opt (opt->base allocated; free it
 * with forum_options_free). On failure returns GW_EINVAL or GW_ENOMEM with
 * a one-line reason in err that never contains a secret's value, and *key
 * (when key is not NULL) set to the option it is about. No I/O, so the
 * validate hook runs it too. */
int forum_options_load(const json_t *config, forum_options *opt, const char **key, char *err,
                       size_t errlen);
void forum_options_free(forum_options *opt);
/* True when the category id (decimal) passes the `categories` filter. */
bool forum_category_wanted(const forum_options *opt, int64_t category_id);

/* ---- text helpers (cooked.c, pure) -------------------------------------- */

/* Plain text of Discourse's "cooked" HTML: tags dropped, block ends as
 * line breaks, character references decoded, invalid UTF-8 replaced,
 * surrounding white space trimmed, at most max_bytes long (cut on a
 * character boundary). Returns a malloc'ed string (caller frees) or NULL
 * when memory is exhausted. html is borrowed and need not be terminated. */
char *forum_cooked_to_text(const char *html, size_t len, size_t max_bytes);

/* A copy of text (borrowed, len bytes) with invalid UTF-8 replaced by
 * U+FFFD and cut to max_bytes on a character boundary. Caller frees;
 * NULL when memory is exhausted. */
char *forum_text_clean(const char *text, size_t len, size_t max_bytes);

/* Percent-encode s (borrowed) as one URL path segment into buf (RFC 3986
 * unreserved characters stay). Returns false when it does not fit. */
bool forum_url_segment(const char *s, char *buf, size_t buflen);

/* True when text @-mentions `username` (case-insensitive, whole name). */
bool forum_text_mentions(const char *text, const char *username);

/* Case-insensitive equality of two forum usernames (ASCII folding, as
 * Discourse compares them). */
bool forum_username_equal(const char *a, const char *b);

/* An integer member that Discourse sends as a number or, in places, as a
 * decimal string (reply_to_post_number is typed "string" in its schema).
 * Returns true and sets *out for a value in 1..2^53; false otherwise. */
bool forum_json_id(const json_t *obj, const char *key, int64_t *out);

/* ---- normalisation (normalise.c, pure) ---------------------------------- */

/* What is known about the post beyond its own JSON. */
typedef struct forum_context {
    const char *base;        /* base URL without trailing '/' */
    const char *brand;       /* api_username: echo and @mention detection */
    int archetype;           /* FORUM_ARCHETYPE_* of the topic, when known */
    bool mentioned;          /* a notification said the brand was mentioned */
    const char *topic_slug;  /* fallback when the post has none; may be NULL */
    const char *topic_title; /* fallback when the post has none; may be NULL */
    /* Post id of post_number in topic_id, or 0 when unknown. May be NULL. */
    int64_t (*lookup)(void *arg, int64_t topic_id, int64_t post_number);
    void *lookup_arg;
} forum_context;

enum {
    FORUM_ARCHETYPE_UNKNOWN = 0, /* read the post's topic_archetype */
    FORUM_ARCHETYPE_REGULAR = 1,
    FORUM_ARCHETYPE_PRIVATE = 2
};

/* How forum_normalise_post ended. */
typedef enum forum_verdict {
    FORUM_EVENT = 0,   /* *event holds the item */
    FORUM_ECHO = 1,    /* written by the brand itself: not a customer item */
    FORUM_IGNORED = 2, /* not a customer item (small action, whisper, deleted) */
    FORUM_INVALID = 3  /* malformed: no id, topic or author */
} forum_verdict;

/* Turn one Discourse post object (borrowed; from posts.json, /t/{id}.json,
 * /posts/{id}.json or a webhook) into a gateway.event/1 item. On
 * FORUM_EVENT *event is a new reference (caller owns it; emit steals it);
 * otherwise *event is NULL and why holds a one-line reason. Never fails on
 * any input beyond memory exhaustion (FORUM_INVALID, "out of memory"). */
forum_verdict forum_normalise_post(const forum_context *ctx, const json_t *post, json_t **event,
                                   char *why, size_t whylen);

/* The post number a stored event of this plugin refers to: raw.post_number
 * or else the last segment of its url. 0 when neither is there. */
int64_t forum_event_post_number(const json_t *event);

/* ---- the instance (plugin.c) -------------------------------------------- */

typedef struct forum_job forum_job;

/* One remembered (topic, post_number) -> post id pair. */
typedef struct forum_ref {
    int64_t topic_id;
    int64_t post_number;
    int64_t post_id;
} forum_ref;

/* The per-account instance (the ABI's opaque gw_instance). All of the
 * plugin's mutable state lives here. */
struct gw_instance {
    const gw_host *host; /* borrowed until destroy */
    gw_account *acct;    /* borrowed until destroy */
    forum_options opt;

    forum_job *jobs;  /* owned: every job with a request in flight */
    forum_job *fetch; /* the current fetch job (also on jobs), or NULL */

    forum_ref refs[FORUM_REFS_MAX]; /* ring of recently seen posts */
    size_t refs_next;
    size_t refs_used;
};

/* refs.c: remember a post's number, look one up (0 when unknown). */
void forum_refs_add(gw_instance *inst, int64_t topic_id, int64_t post_number, int64_t post_id);
int64_t forum_refs_lookup(void *inst, int64_t topic_id, int64_t post_number);
/* Remember every post of a JSON array of Discourse posts (borrowed). */
void forum_refs_add_posts(gw_instance *inst, const json_t *posts);

/* A forum_context for this instance: base, brand and the refs lookup. */
forum_context forum_context_for(gw_instance *inst);

/* ---- jobs and requests (request.c) --------------------------------------- */

/* What an answer amounts to. */
typedef struct forum_reply {
    gw_outcome outcome; /* OK: a 2xx with a JSON body in doc */
    uint64_t delay_ms;  /* with RETRY: the earliest retry */
    int status;         /* HTTP status, 0 when none arrived */
    json_t *doc;        /* owned: the parsed body (also for JSON errors), or NULL */
    char message[256];  /* one line for the log and complete() */
} forum_reply;

/* A multi-request operation. Embedded as the first member of the fetch
 * and action jobs; on_response is called with each answer, free_job frees
 * the containing struct. A job has at most one request in flight. */
struct forum_job {
    forum_job *next, *prev; /* inst->jobs */
    gw_instance *inst;      /* borrowed */
    gw_op *op;              /* borrowed until complete() */
    const char *what;       /* static: "fetch", "post_public", ... for logs */
    void (*on_response)(forum_job *job, const gw_http_response *response);
    void (*free_job)(forum_job *job);
    bool superseded; /* a newer fetch replaced it: finish without effects */
};

/* Put job on the instance's list (it must be fully initialised). */
void forum_job_attach(gw_instance *inst, forum_job *job);

/* Unlink and free job, then complete its op: the last thing a job does,
 * because the host may destroy the instance inside complete(). result
 * (steals) and message (borrowed) as in gw_host.complete. */
void forum_job_finish(forum_job *job, gw_outcome outcome, uint64_t delay_ms, const char *message,
                      json_t *result);

/* Free every job without completing its op (destroy). */
void forum_jobs_free_all(gw_instance *inst);

/* Send one request for the job: method, a path with query relative to
 * base_url (borrowed), and an optional JSON body (borrowed). Adds the auth
 * headers. Returns 0, or a negative GW_E* code (then no callback comes). */
int forum_job_send(forum_job *job, const char *method, const char *path, const json_t *body);

/* Read an answer: classify it and parse its JSON. Always fills out; call
 * forum_reply_clear afterwards. what (borrowed) names the request in
 * messages, e.g. "GET /posts.json". */
void forum_reply_read(const gw_http_response *response, const char *what, forum_reply *out);
void forum_reply_clear(forum_reply *reply);

/* ---- fetch (fetch.c; the phases: phase.h, posts.h, mentions.h, private.h) */

/* Start a fetch for op (superseding one still running after a timeout). */
void forum_fetch_start(gw_instance *inst, gw_op *op);

/* ---- actions (actions.c) -------------------------------------------------- */

void forum_post_public(gw_instance *inst, gw_op *op, const gw_action *action);
void forum_send_private(gw_instance *inst, gw_op *op, const gw_action *action);

/* ---- webhooks (webhook.c) ------------------------------------------------- */

/* Verify, parse and emit one delivery; completes op with the answer. */
void forum_webhook(gw_instance *inst, gw_op *op, const gw_webhook_request *req);

#endif /* FORUM_FORUM_H */
