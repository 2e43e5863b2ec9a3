/* plugins/yelp/yelp.h - internals shared by the files of the Yelp plugin.
 *
 * The plugin reads a business's review excerpts from the Places (Fusion)
 * API with the API key and, for advertising partners, the business's
 * Request-a-Quote leads from the Leads API with the business-user token;
 * answers reviews publicly through Respond-to-Reviews (R2R) and leads
 * privately through the Leads API; and takes partner webhook deliveries
 * (a new review or lead event starts an immediate read of that item).
 * Without partner_token the account narrows itself to reading
 * (gw_host.narrow_capabilities, ABI 1.3), so answers are refused before
 * they are queued; check_action (ABI 1.3) refuses what R2R would refuse
 * (emoji, the daily comment quota) the same way.
 *
 * Files: plugin.c (descriptor, lifecycle, check_action), options.c
 * (declared options), request.c (requests in flight, Yelp's errors),
 * normalise.c (Yelp JSON -> gateway.event/1, Pacific time, emoji; pure,
 * shared with the fuzz target), fetch.c (the queue of reads), actions.c
 * (R2R, lead messages, the comment quota), webhook.c (handshake, token,
 * deliveries).
 */
#ifndef YELP_YELP_H
#define YELP_YELP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "gateway/plugin.h"
#include "gateway/sdk.h"

#define YELP_ID_MAX 65           /* business, review, lead ids: 1-64 chars */
#define YELP_CURSOR_MAX 512      /* a lead event's cursor */
#define YELP_RETRY_DELAY_MS 1000 /* RETRY for per-second limits and our own failures */
#define YELP_TEXT_MAX 5000       /* R2R's limit on a response */
#define YELP_UPDATES_MAX 32      /* webhook updates read from one delivery */

/* ------------------------------------------------------------------------
 * Options (options.c)
 */
typedef struct yelp_options {
    char *base_url;           /* owned, no trailing '/' */
    char *partner_base_url;   /* owned, no trailing '/' */
    const char *business_id;  /* borrowed */
    const char *api_key;      /* borrowed secret */
    const char *partner_token; /* borrowed secret, NULL without partner access */
    const char *webhook_token; /* borrowed secret, NULL: webhooks refused */
    const char *locale;       /* borrowed, "en_US" */
    bool fetch_leads;
    unsigned max_leads;       /* leads read per fetch, newest first */
    unsigned comment_quota;   /* R2R comments per day */
} yelp_options;

extern const gw_option yelp_option_table[];

/* Read and check the host's config into opt; GW_EINVAL with one line in
 * err (never quoting a secret) and *key naming the option. No I/O. */
int yelp_options_load(const json_t *config, yelp_options *opt, const char **key, char *err,
                      size_t errlen);
void yelp_options_free(yelp_options *opt);

/* ------------------------------------------------------------------------
 * Normalisation (normalise.c): pure functions, no host.
 */

/* Receives each event (steals it). */
typedef int (*yelp_emit_fn)(void *arg, json_t *event);

/* Yelp's review time_created, "YYYY-MM-DD HH:MM:SS" in US Pacific civil
 * time (PST/PDT by the US rules since 2007), into Unix ms. GW_EPARSE for
 * anything else. */
int yelp_pacific_parse(const char *text, int64_t *unix_ms);

/* A review object into a "review" event (caller frees), or NULL when it
 * lacks an id, a rating in 1..5 or a time. A rating of 1 or 2 sets
 * tags.low_rating. business names the review's page for the URL. */
json_t *yelp_review_event(const char *business, const json_t *review);

/* The reviews answer {"reviews": [...]}: emits each valid review, oldest
 * first; returns how many were emitted, or GW_EPARSE without the array. */
int yelp_reviews_page(const char *business, const json_t *doc, yelp_emit_fn emit, void *arg);

/* A lead event into a private "message" (caller frees), or NULL for the
 * business's own, Yelp's, and events without text. */
json_t *yelp_lead_event(const char *lead_id, const json_t *ev);

/* One update of a webhook delivery. */
typedef struct yelp_update {
    bool review;               /* NEW_REVIEW_EVENT (else a lead NEW_EVENT) */
    char id[YELP_ID_MAX];      /* review_id or lead_id */
    char user_id[YELP_ID_MAX]; /* NEW_REVIEW_EVENT: the reviewer, or "" */
    double rating;             /* NEW_REVIEW_EVENT: the rating, or 0 */
} yelp_update;

/* The updates of a delivery {"data": {"id", "updates": [...]}} about
 * business (others are skipped) into out (at most max); returns how
 * many, or GW_EPARSE when the document has no updates array. */
int yelp_webhook_updates(const json_t *doc, const char *business, yelp_update *out, size_t max);

/* The first emoji in UTF-8 text: 1 with its code point and its 1-based
 * position in characters, else 0. */
int yelp_first_emoji(const char *text, uint32_t *code_point, size_t *position);

/* ------------------------------------------------------------------------
 * Requests (request.c)
 */
typedef void (*yelp_response_fn)(gw_instance *inst, void *ctx, const gw_http_response *resp);
typedef struct yelp_call yelp_call;

/* Send a request with Authorization: Bearer token (borrowed); body
 * (borrowed, may be NULL) is JSON. Returns 0 and later calls fn once
 * (unless the instance is destroyed first: then free(ctx)), or a
 * negative GW_E* and never calls fn. */
int yelp_request(gw_instance *inst, const char *method, const char *url, const char *token,
                 const char *body, yelp_response_fn fn, void *ctx);
void yelp_request_forget_all(gw_instance *inst);

/* How a Yelp answer should end the hook. */
typedef struct yelp_error {
    gw_outcome outcome;      /* OK for a 2xx, else what to complete with */
    uint64_t retry_after_ms; /* with RETRY */
    bool credentials;        /* the key or token is refused */
    bool quota_spent;        /* R2R_COMMENT_QUOTA_EXCEEDED */
    char code[64];           /* Yelp's error code or id, "" when none */
    char text[400];          /* one line */
} yelp_error;

/* Read a response into e. now_ms: the wall clock, for the wait until
 * midnight UTC when a spent day's answer announces no reset time. */
void yelp_error_read(const gw_http_response *resp, uint64_t now_ms, yelp_error *e);

/* ms from now_ms to the next midnight UTC. */
uint64_t yelp_until_midnight_utc(uint64_t now_ms);

/* ------------------------------------------------------------------------
 * Fetch, actions, webhooks
 */
typedef struct yelp_task yelp_task;
void yelp_fetch_start(gw_instance *inst, gw_op *op);
/* Queue an immediate read of one review (with what the delivery said of
 * it) or one lead; runs after what is queued. */
void yelp_fetch_review_now(gw_instance *inst, const yelp_update *u);
void yelp_fetch_lead_now(gw_instance *inst, const char *lead_id);
void yelp_fetch_forget(gw_instance *inst);

void yelp_action_post_public(gw_instance *inst, gw_op *op, const gw_action *action);
void yelp_action_send_private(gw_instance *inst, gw_op *op, const gw_action *action);
int yelp_action_check(gw_instance *inst, int private_message, const gw_action *action,
                      char *reason, size_t reasonlen);
json_t *yelp_webhook_handle(gw_instance *inst, const gw_webhook_request *req);

/* Report failing credentials to the host. */
void yelp_credentials_failed(gw_instance *inst, const char *why);

struct gw_instance {
    const gw_host *host;
    gw_account *acct;
    yelp_options opt;
    yelp_call *calls;
    yelp_task *tasks, *tasks_tail; /* reads queued; the head runs */
    bool running;
    gw_op *fetch_op;      /* the fetch whose reads are queued, or NULL */
    gw_outcome fetch_outcome;
    uint64_t fetch_delay_ms;
    char fetch_error[400];
};

#endif /* YELP_YELP_H */
