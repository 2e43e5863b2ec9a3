/* account.h - one configured account: its plugin instance, its fetch
 * schedule and retry policy, and what else the gateway asks of the plugin
 * (webhook deliveries, posts). The host services table handed to the
 * plugin is account_host.c's (account_host.h).
 *
 * The host owns the policy: fetch at the poll interval with jitter; on
 * RETRY wait max(the plugin's delay, full-jitter backoff); on FATAL back
 * off too, and after max_failures consecutive FATALs stop the account with
 * a log line and an account.stopped event (account_restart, from
 * POST /v1/accounts/<network>/<name>/restart, starts it again); a hook that does not complete
 * within fetch_timeout counts as RETRY and its late completion is ignored.
 */
#ifndef GW_ACCOUNT_H
#define GW_ACCOUNT_H

#include <jansson.h>

#include "gateway/plugin.h"
#include "engine/account_index.h"
#include "engine/account_types.h"
#include "engine/runtime.h"

/* Create the account's instance. Returns 0 and sets *out, or a negative
 * GW_E* code with err naming the plugin file and the reason. options
 * (steals) is the validated [account.options]. */
int account_create(gw_runtime *rt, const cfg_account *cfg, const loaded_plugin *plugin,
                   json_t *options, gw_account **out, char *err, size_t errlen);

/* Counters for metrics (account_types.h). Borrowed. */
const account_stats *account_stats_get(const gw_account *acct);
/* The account's rate-limit budgets, the account-wide one and one per
 * endpoint class (for metrics). Borrowed, valid while the account is. */
const struct ratelimit_table *account_budgets(const gw_account *acct);
const char *account_network(const gw_account *acct);
const char *account_name(const gw_account *acct);

/* The account's state, failures and last error (account_types.h); the
 * strings are borrowed until the account's next fetch. */
void account_status_get(const gw_account *acct, account_status *out);

/* True when the circuit breaker stopped the account: it neither fetches,
 * nor takes webhooks (503), nor sends actions until account_restart. */
int account_stopped(const gw_account *acct);

/* Close the circuit breaker of a stopped account: reset its failure
 * counts and fetch again at once. Returns 1 when it was stopped and runs
 * again, 0 when it was not stopped (nothing changes). The caller wakes
 * the outbox, whose actions for the account waited (outbox_wake). */
int account_restart(gw_account *acct);

/* Hand one webhook delivery to the account's plugin. The exchange is
 * answered with the plugin's answer only after the events the delivery
 * produced are committed (a 2xx means "durable"), or with a JSON error:
 * 404 when the plugin takes no webhooks, 503 when it did not answer in
 * time or the commit failed, 503 "account_stopped" with Retry-After while
 * the circuit breaker has the account stopped. */
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

/* account_find(rt, network, name): the running account serving
 * network/name, or NULL; declared in account_index.h. */

/* ---- answering back (the action outbox, engine/outbox.c) ---------------- */

/* The account's gw_capability bits: the plugin's, less what the instance
 * narrowed (gw_host.narrow_capabilities); and the longest text it declared for
 * post_public/send_private in code points (0 = unknown). */
uint32_t account_capabilities(const gw_account *acct);
/* Why the instance narrowed its capabilities (borrowed), or NULL. */
const char *account_capability_reason(const gw_account *acct);
/* The plugin's check of an answer before it is queued (gw_plugin.
 * check_action, ABI 1.3): 0 when it accepts or has no check, else its
 * negative GW_E* (GW_EUNSUPPORTED: the network cannot do this at all) with
 * a one-line reason in reason. action is borrowed. */
int account_check_action(gw_account *acct, int private_message, const gw_action *action,
                         char *reason, size_t reasonlen);
size_t account_max_text_length(const gw_account *acct);

/* Run the plugin's post_public (private_message = 0) or send_private for
 * one action, as an op under the operation timeout; how it ended reaches
 * done (account_post_fn, account_types.h). action is borrowed for the
 * call. Returns 0 and calls done exactly once later (possibly
 * before account_post returns), except when the account is destroyed
 * first: then never, and the caller must treat the outcome as unknown.
 * Returns GW_EUNSUPPORTED when the plugin lacks the operation,
 * GW_ESTATE while the account is stopping or stopped, GW_ENOMEM; done is then not
 * called. */
int account_post(gw_account *acct, int private_message, const gw_action *action,
                 account_post_fn done, void *ctx);

#endif /* GW_ACCOUNT_H */
