/* plugins/facebook/facebook.h - internals shared by the files of the
 * Facebook Pages plugin.
 *
 * The plugin polls the Graph API for a Page's visitor posts, the comments
 * under its posts (replies included), posts that tag the Page and its
 * Messenger conversations; takes Page webhook deliveries (feed changes and
 * messaging); and posts comments, private replies and Messenger messages.
 * It reaches Facebook only through the host's HTTP client, so it never
 * blocks and the host applies the account's budget, which it feeds from
 * Facebook's usage headers. Nothing here is exported; only
 * gw_plugin_entry is.
 *
 * Files: plugin.c (descriptor, lifecycle, hooks), options.c (declared
 * options), request.c (Graph URLs with access_token and appsecret_proof,
 * requests in flight, Graph errors), normalise.c (Graph JSON and webhook
 * payloads -> gateway.event/1; pure, shared with the fuzz target),
 * fetch.c (the polling walk and its cursors), actions.c (comments,
 * private replies, Messenger), webhook.c (handshake, signatures).
 */
#ifndef FACEBOOK_FACEBOOK_H
#define FACEBOOK_FACEBOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "gateway/plugin.h"
#include "gateway/sdk.h"

#define FB_ID_MAX 64           /* Graph ids: "<page>_<post>", "m_...", "t_..." */
#define FB_CURSOR_MAX 512      /* paging.cursors.after */
#define FB_RETRY_DELAY_MS 1000 /* RETRY for our own transient failures */
#define FB_WATCH_MAX 100       /* posts whose comments are polled */

/* ------------------------------------------------------------------------
 * Options (options.c)
 */
typedef struct fb_options {
    char *base_url;            /* owned, no trailing '/' */
    const char *graph_version; /* borrowed, "v25.0" */
    const char *page_id;       /* borrowed, digits */
    const char *token;         /* borrowed secret: the Page access token */
    const char *app_secret;    /* borrowed secret, NULL when not set */
    const char *verify_token;  /* borrowed secret, NULL when not set */
    char proof[2 * GW_SDK_SHA256_SIZE + 1]; /* appsecret_proof, "" without
                                               app_secret */
    bool fetch_comments, fetch_visitor_posts, fetch_tagged, fetch_messages;
    bool include_raw, human_agent;
    unsigned limit;     /* items per page */
    unsigned max_pages; /* pages per stream per fetch */
    unsigned watch_posts; /* newest posts whose comments are polled */
} fb_options;

extern const gw_option fb_option_table[];

/* Read and check the host's config into opt; GW_EINVAL with one line in
 * err (never quoting a secret) and *key naming the option. No I/O. */
int fb_options_load(const json_t *config, fb_options *opt, const char **key, char *err,
                    size_t errlen);
void fb_options_free(fb_options *opt);

/* ------------------------------------------------------------------------
 * Normalisation (normalise.c): pure functions, no host.
 */
typedef struct fb_brand {
    const char *page_id; /* the Page: its own items are echoes */
    bool include_raw;
} fb_brand;

/* Receives each event (steals it); GW_ESTATE stops the page. */
typedef int (*fb_emit_fn)(void *arg, json_t *event);

typedef struct fb_stats {
    size_t items, emitted, echoes, skipped, invalid;
    int64_t newest_ms; /* newest created_time seen, 0 when none */
    bool reached_known; /* conversations: reached what an earlier walk read */
    bool stopped;       /* emit returned GW_ESTATE */
} fb_stats;

/* Graph's "2026-11-20T10:00:00+0000" (or RFC 3339) into Unix ms. */
int fb_time_parse(const char *text, int64_t *unix_ms);

/* A page of /feed or /tagged: {"data":[Post], "paging":{...}}. Emits a
 * "mention" per post not written by the Page, oldest first. tagged: the
 * posts tag the Page. Posts not newer than after_ms are skipped. */
int fb_page_posts(const fb_brand *b, const json_t *doc, bool tagged, int64_t after_ms,
                  fb_emit_fn emit, void *arg, fb_stats *st);

/* A page of /{post}/comments?filter=stream: a "comment" per comment not
 * by the Page, thread = post_id, in_reply_to = parent or the post. */
int fb_page_comments(const fb_brand *b, const json_t *doc, const char *post_id, fb_emit_fn emit,
                     void *arg, fb_stats *st);

/* A page of /{page}/conversations with messages{...}: a "message" per
 * customer message newer than after_ms, oldest first. */
int fb_page_conversations(const fb_brand *b, const json_t *doc, int64_t after_ms,
                          fb_emit_fn emit, void *arg, fb_stats *st);

/* A webhook delivery {"object":"page","entry":[{changes, messaging}]}:
 * one event per feed change (add -> item, edited -> item.edited,
 * remove -> item.removed) and per messaging message. */
int fb_webhook_payload(const fb_brand *b, const json_t *doc, fb_emit_fn emit, void *arg,
                       fb_stats *st);

/* ------------------------------------------------------------------------
 * Requests (request.c)
 */
typedef void (*fb_response_fn)(gw_instance *inst, void *ctx, const gw_http_response *resp);
typedef void (*fb_ctx_free_fn)(void *ctx);
typedef struct fb_call fb_call;

/* A URL: base/version/path, then encoded query parameters
 * (gw_sdk_buf_url_param). */
typedef gw_sdk_buf fb_url;

void fb_url_start(fb_url *u, const fb_options *opt, const char *path);
/* Appends access_token and appsecret_proof; the URL (caller frees, wipe
 * it: it holds the token) or NULL when memory ran out. */
char *fb_url_take(fb_url *u, const fb_options *opt);

/* Send the request; body (borrowed, may be NULL) with its content type.
 * Returns 0 and later calls fn once (unless the instance is destroyed
 * first: then free_ctx(ctx)), or a negative GW_E* and never calls fn. */
int fb_request(gw_instance *inst, const char *method, char *url, const char *content_type,
               const char *body, fb_response_fn fn, fb_ctx_free_fn free_ctx, void *ctx);
void fb_request_forget_all(gw_instance *inst);

/* How a Graph answer should end the hook. */
typedef struct fb_error {
    int code, subcode;       /* Graph's error.code / error_subcode; 0 when none */
    gw_outcome outcome;      /* OK for a 2xx, else what to complete with */
    uint64_t retry_after_ms; /* with RETRY */
    bool credentials;        /* 190: the token is refused */
    char text[400];          /* one line: error_user_msg or message */
} fb_error;

/* Read a response into e (a failed request or a Graph error object). */
void fb_error_read(const gw_http_response *resp, fb_error *e);

/* ------------------------------------------------------------------------
 * Fetch, actions, webhooks
 */
typedef struct fb_fetch fb_fetch;
void fb_fetch_start(gw_instance *inst, gw_op *op);
void fb_fetch_forget(gw_instance *inst);
void fb_action_post_public(gw_instance *inst, gw_op *op, const gw_action *action);
void fb_action_send_private(gw_instance *inst, gw_op *op, const gw_action *action);
json_t *fb_webhook_handle(gw_instance *inst, const gw_webhook_request *req);

/* Note a private message's time against its author's PSID, so an answer's
 * Messenger window runs from the customer's newest message. event
 * borrowed; anything but a private message with a PSID is ignored. */
void fb_note_inbound(gw_instance *inst, const json_t *event);

/* Report failing credentials to the host once per failure. */
void fb_credentials_failed(gw_instance *inst, const char *why);

struct gw_instance {
    const gw_host *host;
    gw_account *acct;
    fb_options opt;
    fb_brand brand;
    fb_call *calls;
    fb_fetch *fetch;
};

#endif /* FACEBOOK_FACEBOOK_H */
