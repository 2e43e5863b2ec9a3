/* account.h - one configured account: its plugin instance, the host
 * services table handed to it, its fetch schedule and retry policy.
 *
 * The host owns the policy: fetch at the poll interval with jitter; on
 * RETRY wait max(the plugin's delay, full-jitter backoff); on FATAL back
 * off too, and after max_failures consecutive FATALs stop the account with
 * a log line and an account.stopped event; a hook that does not complete
 * within fetch_timeout counts as RETRY and its late completion is ignored.
 */
#ifndef GW_ACCOUNT_H
#define GW_ACCOUNT_H

#include <jansson.h>

#include "gateway/plugin.h"
#include "engine/runtime.h"

/* Create the account's instance. Returns 0 and sets *out, or a negative
 * GW_E* code with err naming the plugin file and the reason. options
 * (steals) is the validated [account.options]. */
int account_create(gw_runtime *rt, const cfg_account *cfg, const loaded_plugin *plugin,
                   json_t *options, gw_account **out, char *err, size_t errlen);

/* Counters for metrics; only the loop thread writes them. */
typedef struct account_stats {
    pipeline_stats events;      /* items the plugin emitted */
    uint64_t fetch_ok, fetch_retry, fetch_fatal, fetch_unsupported;
    uint64_t op_timeouts;       /* hooks that did not complete in time */
    uint64_t webhooks;          /* deliveries handed to the plugin */
    int stopped;                /* the circuit breaker opened */
    int credentials_failing;    /* the last answer was a 401 */
} account_stats;

const account_stats *account_stats_get(const gw_account *acct);
/* The account's rate-limit budget (for metrics). */
const struct ratelimit_budget *account_budget(const gw_account *acct);
const char *account_network(const gw_account *acct);
const char *account_name(const gw_account *acct);

/* Hand one webhook delivery to the account's plugin. The exchange is
 * answered with the plugin's answer only after the events the delivery
 * produced are committed (a 2xx means "durable"), or with a JSON error:
 * 404 when the plugin takes no webhooks, 503 when it did not answer in
 * time or the commit failed. */
struct http_exchange;
void account_webhook(gw_account *acct, struct http_exchange *ex);

/* Start fetching (no-op without the fetch capability or when disabled). */
void account_start(gw_account *acct);

/* Stop scheduling work; in-flight ops may still complete. */
void account_quiesce(gw_account *acct);

/* True when no hook call is outstanding (or all outstanding timed out). */
int account_idle(const gw_account *acct);

/* Run the immediate fetches queued on the runtime's ready list. */
void account_run_ready(gw_runtime *rt);

/* Destroy the instance and free the account; handles close asynchronously
 * on the loop, so run the loop after this to release them. */
void account_destroy(gw_account *acct);

const char *account_label(const gw_account *acct); /* "network/name" */

/* ---- answering back (the action outbox, core/outbox.c) ---------------- */

/* The plugin's gw_capability bits, and the longest text it declared for
 * post_public/send_private in code points (0 = unknown). */
uint32_t account_capabilities(const gw_account *acct);
size_t account_max_text_length(const gw_account *acct);

/* How a post ended, as the plugin completed it. timed_out: the hook did
 * not complete within [gateway] fetch_timeout; outcome is then RETRY, but
 * whether the network took the post is unknown, and the plugin's late
 * completion will be ignored. result (steals; may be NULL) is
 * {"native_id", "url"} on OK. */
typedef void (*account_post_fn)(void *ctx, gw_outcome outcome, uint64_t delay_ms,
                                const char *message, json_t *result, int timed_out);

/* Run the plugin's post_public (private_message = 0) or send_private for
 * one action, as an op under the operation timeout. action is borrowed
 * for the call. Returns 0 and calls done exactly once later (possibly
 * before account_post returns), except when the account is destroyed
 * first: then never, and the caller must treat the outcome as unknown.
 * Returns GW_EUNSUPPORTED when the plugin lacks the operation,
 * GW_ESTATE while the account is stopping, GW_ENOMEM; done is then not
 * called. */
int account_post(gw_account *acct, int private_message, const gw_action *action,
                 account_post_fn done, void *ctx);

#endif /* GW_ACCOUNT_H */
