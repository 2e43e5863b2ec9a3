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
#include "runtime.h"

/* Create the account's instance. Returns 0 and sets *out, or a negative
 * GW_E* code with err naming the plugin file and the reason. options
 * (steals) is the validated [account.options]. */
int account_create(gw_runtime *rt, const cfg_account *cfg, const loaded_plugin *plugin,
                   json_t *options, gw_account **out, char *err, size_t errlen);

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

#endif /* GW_ACCOUNT_H */
