/* plugins/twitter/twitter.h - internals shared by the files of the X
 * (Twitter) plugin.
 *
 * The plugin polls X API v2 for mentions of the brand account, for
 * recent tweets naming its keywords, and for its direct messages; takes
 * Account Activity webhook deliveries; and posts replies and direct
 * messages. It reaches X only through the host's HTTP client
 * (gw_host.http_request), so it never blocks and the host applies the
 * account's rate-limit budget. Nothing here is exported from twitter.so;
 * only gw_plugin_entry is.
 *
 * Files: plugin.c (descriptor, create/destroy, hooks), options.c (the
 * declared options and their validation), request.c (URLs, the bearer and
 * OAuth 1.0a Authorization headers, requests in flight, reading X's
 * answers), fetch.c (the fetch state machine and its durable cursors),
 * normalise.c, normalise_v1.c and normalise_build.c (X JSON ->
 * gateway.event/1: the v2 shapes, the webhooks' v1.1 shapes, what both
 * build items with; pure, shared with the fuzz target and unit tests),
 * actions.c (post_public and send_private),
 * webhook.c (CRC challenge, signature check, deliveries).
 */
#ifndef TWITTER_TWITTER_H
#define TWITTER_TWITTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "gateway/plugin.h"
#include "gateway/sdk.h"

/* Upper bounds of X's own formats, used to size buffers: ids are at most
 * 19 digits (TweetId, UserId), handles 15 characters. */
#define TW_ID_MAX 20           /* 19 digits + NUL */
#define TW_HANDLE_MAX 16       /* 15 characters + NUL */
#define TW_TOKEN_MAX 512       /* pagination tokens; X's are ~40-50 chars */
#define TW_QUERY_MAX 512       /* recent search query length on X's plans */
#define TW_RETRY_DELAY_MS 1000 /* RETRY for our own transient failures */

/* ------------------------------------------------------------------------
 * Options (options.c)
 */
typedef struct tw_options {
    char *base_url;             /* owned, no trailing '/' */
    const char *user_id;        /* borrowed from the host's config */
    char handle[TW_HANDLE_MAX]; /* without '@'; "" when not configured */
    const char *bearer_token;   /* borrowed; NULL when not configured */
    gw_sdk_oauth1_keys oauth;   /* borrowed strings; consumer_key NULL when
                                   user context is not configured */
    const char **terms;         /* owned array of borrowed strings */
    size_t term_count;
    char *search_query; /* owned; NULL when no keyword search */
    bool fetch_mentions, fetch_search, fetch_dms, include_raw;
    unsigned max_results; /* 10..100 */
    unsigned max_pages;   /* pages per stream per fetch */
} tw_options;

extern const gw_option tw_option_table[];

/* Read and check the host's config into opt. On failure returns GW_EINVAL
 * (or GW_ENOMEM) with a one-line reason in err that never quotes a
 * secret, and *key (when key is not NULL) set to the option it is about.
 * No I/O, so the validate hook runs it too. tw_options_free releases what
 * load allocated. */
int tw_options_load(const json_t *config, tw_options *opt, const char **key, char *err,
                    size_t errlen);
void tw_options_free(tw_options *opt);

/* True when all four OAuth 1.0a credentials are configured. */
bool tw_options_have_user_context(const tw_options *opt);

/* ------------------------------------------------------------------------
 * Normalisation (normalise*.c): X's JSON -> gateway.event/1 items. Pure
 * functions of their inputs: no host, no I/O, no allocation that
 * outlives the call except the events handed to `emit`.
 */

/* What normalisation needs to know about the brand. Borrowed. */
typedef struct tw_brand {
    const char *user_id;      /* the brand's own id: its items are echoes */
    const char *handle;       /* without '@', may be NULL or "" */
    const char *const *terms; /* keywords to tag, term_count of them */
    size_t term_count;
    bool include_raw; /* copy the network item into "raw" */
} tw_brand;

/* Receives each event (steals it). A negative return stops the page:
 * GW_ESTATE means the account is stopping. */
typedef int (*tw_emit_fn)(void *arg, json_t *event);

/* What one page or delivery contained. */
typedef struct tw_page_stats {
    size_t items;       /* items in the page */
    size_t emitted;     /* handed to emit and accepted */
    size_t echoes;      /* written by the brand itself (our replies) */
    size_t skipped;     /* retweets, other DM event types, other users */
    size_t invalid;     /* items without a usable id, or refused by emit */
    uint64_t max_id;    /* largest item id seen (0 when none) */
    bool reached_known; /* a DM page reached an id <= after_id */
    bool stopped;       /* emit returned GW_ESTATE */
} tw_page_stats;

/* A page of GET /2/users/{id}/mentions or /2/tweets/search/recent:
 * {"data":[Tweet], "includes":{"users":[User]}, "meta":{...}}. Emits one
 * "mention" per tweet, oldest first, except retweets and the brand's own
 * tweets. from_mentions: the page came from the mentions timeline (so
 * the brand is mentioned even when the text does not show it). Returns 0
 * or GW_EINVAL when doc is not an object. */
int tw_page_tweets(const tw_brand *b, const json_t *doc, bool from_mentions, tw_emit_fn emit,
                   void *arg, tw_page_stats *stats);

/* A page of GET /2/dm_events. Emits one "message" per MessageCreate
 * event with an id above after_id (0: all), oldest first, except those
 * the brand sent. */
int tw_page_dms(const tw_brand *b, const json_t *doc, uint64_t after_id, tw_emit_fn emit, void *arg,
                tw_page_stats *stats);

/* An Account Activity delivery: {"for_user_id", "tweet_create_events":
 * [v1.1 Tweet], "direct_message_events": [...], "users": {...}}. Other
 * event kinds are counted as skipped. A delivery for another user than
 * the brand emits nothing. */
int tw_webhook_payload(const tw_brand *b, const json_t *doc, tw_emit_fn emit, void *arg,
                       tw_page_stats *stats);

/* Parse a TweetId/UserId (1-19 decimal digits) into *out. */
bool tw_id_parse(const char *text, uint64_t *out);

/* Parse X's v1.1 time stamp "Wed Oct 10 20:19:24 +0000 2018" into Unix
 * ms. Returns 0 or GW_EPARSE. */
int tw_time_parse_v1(const char *text, int64_t *unix_ms);

/* ------------------------------------------------------------------------
 * Requests (request.c)
 */
typedef enum tw_auth {
    TW_AUTH_APP, /* app bearer when configured, else OAuth 1.0a */
    TW_AUTH_USER /* OAuth 1.0a user context */
} tw_auth;

/* Called once with X's answer (borrowed for the call). ctx is the
 * caller's; the call's own record is already gone. */
typedef void (*tw_response_fn)(gw_instance *inst, void *ctx, const gw_http_response *resp);
/* Frees ctx when the instance is destroyed with the request in flight. */
typedef void (*tw_ctx_free_fn)(void *ctx);

typedef struct tw_call tw_call;

/* X's separate rate-limit windows, one per endpoint the plugin calls. */
#define TW_CLASS_MENTIONS "mentions" /* GET /2/users/{id}/mentions */
#define TW_CLASS_SEARCH "search"     /* GET /2/tweets/search/recent */
#define TW_CLASS_DM_READ "dm_read"   /* GET /2/dm_events */
#define TW_CLASS_DM_WRITE "dm_write" /* POST /2/dm_conversations/with/{id}/messages */
#define TW_CLASS_POST "post"         /* POST /2/tweets */

/* Send method url with the given auth and an optional JSON body
 * (borrowed, NULL for none), counted against the host's rate class
 * rate_class (static storage): X keeps one window per endpoint, so each
 * endpoint the plugin calls has its own class (TW_CLASS_*). Returns 0 and later calls fn exactly once,
 * unless the instance is destroyed first (then free_ctx(ctx) runs from
 * destroy); or a negative GW_E* code and never calls fn. */
int tw_request(gw_instance *inst, const char *method, const char *url, tw_auth auth,
               const char *rate_class, const char *json_body, tw_response_fn fn, tw_ctx_free_fn free_ctx, void *ctx);

/* Free the records of every request still in flight (destroy only). */
void tw_request_forget_all(gw_instance *inst);

/* A URL: base + path, then query parameters appended with RFC 3986
 * encoding (gw_sdk_buf_url_param) and taken with gw_sdk_buf_take (caller
 * frees; NULL when memory ran out). */
typedef gw_sdk_buf tw_url;

void tw_url_start(tw_url *u, const char *base, const char *path);

/* The value of response header `name` (lower case), or NULL. */
const char *tw_header(const gw_http_response *resp, const char *name);

/* One line saying why X refused a request, from an RFC 7807 problem
 * ("detail", "title") or a v1.1 error list, into buf. Never fails: falls
 * back to "HTTP <status>". */
void tw_error_text(const gw_http_response *resp, char *buf, size_t buflen);

/* ------------------------------------------------------------------------
 * Fetch (fetch.c), actions (actions.c), webhooks (webhook.c)
 */
typedef struct tw_fetch tw_fetch;

void tw_fetch_start(gw_instance *inst, gw_op *op);
/* destroy: drop the fetch in progress without completing it. */
void tw_fetch_forget(gw_instance *inst);

void tw_action_post_public(gw_instance *inst, gw_op *op, const gw_action *action);
void tw_action_send_private(gw_instance *inst, gw_op *op, const gw_action *action);

/* Answer one delivery: returns the webhook result for complete() (caller
 * owns it), never NULL except when memory ran out. */
json_t *tw_webhook_handle(gw_instance *inst, const gw_webhook_request *req);

/* ------------------------------------------------------------------------
 * The per-account instance (the ABI's opaque gw_instance). All of the
 * plugin's mutable state lives here.
 */
struct gw_instance {
    const gw_host *host; /* borrowed until destroy */
    gw_account *acct;    /* borrowed until destroy */
    tw_options opt;
    tw_brand brand;            /* views into opt */
    tw_call *calls;            /* owned: requests in flight */
    tw_fetch *fetch;           /* owned: the fetch walking its streams, or NULL */
    uint64_t fetch_generation; /* bumped per fetch, to spot superseded ones */
};

#endif /* TWITTER_TWITTER_H */
