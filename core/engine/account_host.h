/* account_host.h - what a plugin may ask of the gateway: the gw_host
 * services table handed to every instance (log, emit, timers, kv, clocks,
 * config, HTTP requests, credentials_failed, complete), and the ops that
 * track each hook call until the plugin completes it or the operation
 * timeout ([gateway] fetch_timeout) answers RETRY in its place.
 *
 * Used by account.c only; the plugin ABI is include/gateway/plugin.h.
 */
#ifndef GW_ACCOUNT_HOST_H
#define GW_ACCOUNT_HOST_H

#include "engine/account_internal.h"

/* The table every account's instance gets at create(). */
extern const gw_host account_host_table;

/* Record one hook call about to be made: on_done(op, ..., ctx) runs once,
 * with the plugin's outcome or RETRY when the operation timeout fires
 * first (the plugin's late completion is then ignored). Ownership: the op
 * belongs to the account's list and is freed once the plugin completes it
 * or at account_host_release; NULL when out of memory. */
gw_op *account_op_new(gw_account *acct, enum op_kind kind, op_done_fn on_done, void *ctx);

/* Append an event of the host's own about the account (account.stopped,
 * account.credentials_failed); detail is stolen. Failures are logged. */
void account_host_event(gw_account *acct, const char *type, json_t *detail);

/* After the plugin's destroy(): cancel the timers and HTTP requests it
 * left, and free the ops it never completed (a webhook delivery still owed
 * an answer gets a 503). Handles close asynchronously on the loop. */
void account_host_release(gw_account *acct);

/* The gateway is stopping: the account's requests that wait for a
 * rate-limit window or a retry complete now as RETRY failures (not_sent
 * when nothing left), so the drain never waits out a window; their ops
 * go back to the queue or the next fetch. Transfers on the wire finish. */
void account_host_quiesce(gw_account *acct);

#endif /* GW_ACCOUNT_HOST_H */
