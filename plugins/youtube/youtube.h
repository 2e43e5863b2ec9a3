/* plugins/youtube/youtube.h - internals shared by the files of the YouTube
 * plugin.
 *
 * The plugin polls the YouTube Data API v3 for the comments on a brand's
 * channel (commentThreads.list allThreadsRelatedToChannelId, and
 * comments.list for the replies a thread does not embed) and answers them
 * with comments.insert under the thread's top-level comment. YouTube has
 * no private messages and pushes no comment notifications, so the plugin
 * claims neither send_private nor webhooks.
 *
 * Google meters the API in quota units per day rather than by request
 * rate: quota.c counts every call's cost against daily_quota, knows when
 * the day ends (midnight Pacific time) and paces the polls so the day's
 * units last, keeping a reserve for replies.
 *
 * Files, top down (calls only go down; tests/structure refuses cycles):
 * plugin.c (descriptor, create/destroy, hooks); fetch.c (the walk over
 * threads and replies) and actions.c (post_public); request.c (API key or
 * OAuth 2.0 bearer, requests in flight); oauth.c (the access token:
 * refresh before expiry and once on a 401); ledger.c (the day's units:
 * stored, published in /metrics); options.c; util.c (URLs, Google's error
 * bodies); and the pure ones shared with the unit tests and the fuzz
 * target: quota.c (units, the Pacific day, pacing) and normalise.c
 * (YouTube JSON -> gateway.event/1).
 */
#ifndef YOUTUBE_YOUTUBE_H
#define YOUTUBE_YOUTUBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "gateway/plugin.h"
#include "gateway/sdk.h"

#define YT_ID_MAX 128          /* comment ids are ~26 chars, replies ~50 */
#define YT_TOKEN_MAX 1024      /* page tokens; Google's are a few hundred */
#define YT_RETRY_DELAY_MS 1000 /* RETRY for our own transient failures */
#define YT_COST_LIST 1         /* commentThreads.list, comments.list */
#define YT_COST_INSERT 50      /* comments.insert */

/* ------------------------------------------------------------------------
 * Options (options.c)
 */
typedef struct yt_options {
    char *base_url;         /* owned, no trailing '/' */
    char *token_url;        /* owned */
    const char *channel_id; /* borrowed from the host's config */
    const char *api_key;    /* borrowed; NULL when not configured */
    const char *client_id, *client_secret, *refresh_token; /* borrowed; all or none */
    bool include_held, include_raw;
    unsigned max_results;   /* threads per page, 1..100 */
    unsigned max_pages;     /* thread pages per fetch */
    unsigned max_reply_pages; /* comments.list pages per thread per fetch */
    uint64_t daily_quota;   /* units per Pacific day */
    uint64_t reply_reserve; /* units fetches leave for replies */
} yt_options;

extern const gw_option yt_option_table[];

/* Read and check the host's config into opt (no I/O, so validate runs it
 * too). On failure GW_EINVAL (or GW_ENOMEM) with one line in err that
 * never quotes a secret, and *key (when key is not NULL) the option. */
int yt_options_load(const json_t *config, yt_options *opt, const char **key, char *err,
                    size_t errlen);
void yt_options_free(yt_options *opt);

/* True when client_id, client_secret and refresh_token are configured. */
bool yt_options_have_oauth(const yt_options *opt);

/* ------------------------------------------------------------------------
 * Normalisation (normalise.c): pure functions of the JSON and the brand.
 */
typedef struct yt_brand {
    const char *channel_id; /* the brand's channel: its comments are echoes */
    bool include_raw;
} yt_brand;

/* Receives each event (steals it). A negative return stops: GW_ESTATE
 * means the account is stopping. */
typedef int (*yt_emit_fn)(void *arg, json_t *event);

/* What a thread (or a page of replies) held. */
typedef struct yt_thread_info {
    const char *id;         /* the thread's (= top-level comment's) id;
                               borrowed from the JSON, NULL when unusable */
    const char *video_id;   /* borrowed, may be NULL */
    int64_t published_ms;   /* the top-level comment's time, 0 unknown */
    uint64_t total_replies; /* snippet.totalReplyCount */
    size_t embedded;        /* replies the thread carried */
} yt_thread_info;

typedef struct yt_stats {
    size_t emitted, echoes, invalid;
    bool stopped; /* emit returned GW_ESTATE */
} yt_stats;

/* One CommentThread: emits its top-level comment and the replies it
 * embeds (comment events), except the brand's own. held: the moderation
 * status when not "published" (kept in the event's context), else NULL.
 * Fills *info; returns 0, or GW_EINVAL when the thread has no usable id
 * (nothing emitted). */
int yt_thread(const yt_brand *b, const json_t *thread, const char *held, yt_emit_fn emit,
              void *arg, yt_thread_info *info, yt_stats *stats);

/* One Comment that answers thread `thread_id` on `video_id` (may be
 * NULL), e.g. from comments.list?parentId=. Returns 0, or GW_EINVAL. */
int yt_reply(const yt_brand *b, const json_t *comment, const char *thread_id,
             const char *video_id, const char *held, yt_emit_fn emit, void *arg,
             yt_stats *stats);

/* A YouTube id as the plugin accepts it: 1..YT_ID_MAX-1 characters of
 * [A-Za-z0-9_.-]. */
bool yt_id_ok(const char *id);

/* ------------------------------------------------------------------------
 * Quota (quota.c): pure arithmetic over Unix milliseconds.
 */

/* The Unix ms of the next midnight in America/Los_Angeles after now_ms
 * (US rules since 2007: PDT, UTC-7, from the second Sunday of March 02:00
 * PST to the first Sunday of November 02:00 PDT; PST, UTC-8, otherwise).
 * Computed by hand so the process time zone is never touched. */
int64_t yt_quota_next_reset(int64_t now_ms);

/* The UTC offset of US Pacific time at instant unix_ms, in ms (-7 h or
 * -8 h). */
int64_t yt_pacific_offset_ms(int64_t unix_ms);

typedef struct yt_quota {
    uint64_t limit;     /* daily_quota */
    uint64_t reserve;   /* units only replies may spend */
    uint64_t used;      /* spent since the last reset */
    int64_t reset_ms;   /* when `used` goes back to 0 */
    uint64_t last_poll; /* units the last complete fetch cost (>= 1) */
} yt_quota;

/* Move to a new day when now_ms reached reset_ms (used = 0). True when
 * it did. */
bool yt_quota_roll(yt_quota *q, int64_t now_ms);

/* True when a call of `cost` units fits: a fetch call (for_reply false)
 * must leave the reserve untouched, a reply may spend it. */
bool yt_quota_affords(const yt_quota *q, uint64_t cost, bool for_reply);

/* The pause before the next fetch so the units left for fetching last
 * until the reset at last_poll units per poll: (ms to reset) / (polls
 * affordable). Returns the reset's distance when not one more poll fits. */
uint64_t yt_quota_pace_ms(const yt_quota *q, int64_t now_ms);

/* ------------------------------------------------------------------------
 * Requests (request.c) and the access token (oauth.c)
 */
typedef enum yt_auth {
    YT_AUTH_READ, /* ?key= when an API key is configured, else bearer */
    YT_AUTH_USER  /* OAuth 2.0 bearer */
} yt_auth;

/* Called once with Google's answer (borrowed for the call), or with a
 * synthetic one (status 0, error set) when no token could be had. */
typedef void (*yt_response_fn)(gw_instance *inst, void *ctx, const gw_http_response *resp);
typedef void (*yt_ctx_free_fn)(void *ctx);

typedef struct yt_call yt_call;

/* Send method url (no credentials in it) with auth and an optional JSON
 * body (borrowed), charging `cost` quota units when it leaves. A bearer
 * request waits for a fresh token first and, on a 401, is sent once more
 * after a refresh. Returns 0 and later calls fn exactly once (never from
 * inside this call) unless the instance is destroyed first (then
 * free_ctx(ctx) runs from destroy); or a negative GW_E* code and never
 * calls fn. */
int yt_request(gw_instance *inst, const char *method, const char *url, yt_auth auth,
               const char *json_body, uint64_t cost, yt_response_fn fn, yt_ctx_free_fn free_ctx,
               void *ctx);

/* destroy: free every call record (the host cancels their requests). */
void yt_request_forget_all(gw_instance *inst);

/* Called (through inst->token_ready) when a token is there (rc 0) or
 * cannot be had (rc < 0: GW_EINVAL for a refused grant, GW_EBUSY for
 * transient), with a one-line reason: sends or fails the waiting calls. */
void yt_request_token_ready(gw_instance *inst, int rc, const char *why);

/* oauth.c: the current access token if it is valid for a while more,
 * else NULL (and a refresh is started unless one is running; its end
 * calls yt_request_token_ready). force: drop the current token first
 * (after a 401). */
const char *yt_oauth_token(gw_instance *inst, bool force);

/* destroy: wipe and free the access token. */
void yt_oauth_forget(gw_instance *inst);

/* A growable URL with RFC 3986 encoded query parameters. */
/* A URL: base + path, then encoded query parameters
 * (gw_sdk_buf_url_param), taken with gw_sdk_buf_take (caller frees; NULL
 * when memory ran out). */
typedef gw_sdk_buf yt_url;
void yt_url_start(yt_url *u, const char *base, const char *path);

/* Google's error: the first error.errors[].reason (or "" when none) into
 * reason, and one line for people into line. Never fails. */
void yt_error_read(const gw_http_response *resp, char *reason, size_t reasonlen, char *line,
                   size_t linelen);

/* Charge cost units now (and store the count). */
void yt_quota_charge(gw_instance *inst, uint64_t cost);
/* Google said quotaExceeded: the day is spent. Returns ms to the reset. */
uint64_t yt_quota_spent(gw_instance *inst);
/* Load the stored count, roll the day, publish the numbers. */
void yt_quota_refresh(gw_instance *inst);

/* ------------------------------------------------------------------------
 * Fetch (fetch.c), actions (actions.c)
 */
typedef struct yt_fetch yt_fetch;
void yt_fetch_start(gw_instance *inst, gw_op *op);
void yt_fetch_forget(gw_instance *inst);
void yt_action_post_public(gw_instance *inst, gw_op *op, const gw_action *action);

/* ------------------------------------------------------------------------
 * The per-account instance. All of the plugin's mutable state lives here.
 */
struct gw_instance {
    const gw_host *host; /* borrowed until destroy */
    gw_account *acct;    /* borrowed until destroy */
    yt_options opt;
    yt_brand brand;
    yt_call *calls;      /* owned: requests in flight or waiting for a token */
    yt_fetch *fetch;     /* the fetch in progress (owned by its call), or NULL */
    yt_quota quota;
    bool quota_loaded;
    /* OAuth 2.0 */
    char *access_token;       /* owned, wiped before free; NULL when none */
    uint64_t token_expiry_ms; /* monotonic */
    bool refreshing;          /* a token request is out */
    /* yt_request_token_ready, called by oauth.c through this pointer. */
    void (*token_ready)(gw_instance *inst, int rc, const char *why);
    /* Pacing: the host's own interval, measured while not stretching. */
    uint64_t last_fetch_mono; /* when the last fetch began, 0 never */
    uint64_t host_pace_ms;    /* the interval the host ran us at, 0 unknown */
    bool paced;               /* the last fetch asked for a stretched delay */
};

#endif /* YOUTUBE_YOUTUBE_H */
