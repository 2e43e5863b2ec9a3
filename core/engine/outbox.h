/* outbox.h - the durable outbox of agents' answers (actions).
 *
 * An action is a help desk's answer to a customer: a public reply in a
 * thread (the plugin's post_public) or a private message (send_private).
 * It is accepted only once it is a row of the outbox table, in the same
 * SQLite database and group commit as the event log, so it survives a
 * restart; it runs through the plugin with the host's retry policy, and
 * its final outcome becomes an action.succeeded or action.failed event,
 * written in the same transaction as the row's final state.
 *
 * States: queued -> sending -> succeeded | failed, with sending -> retrying
 * -> sending while the network answers RETRY. "sending" is committed
 * before the plugin is called, so after a crash a row still "sending" means
 * "the network may have taken it": such an action is failed with an
 * "outcome unknown" reason, never sent again (an answer posted twice is
 * worse than one the help desk is told to check). Rows "queued" or
 * "retrying" were never handed to the plugin for their current attempt
 * and are resumed.
 *
 * A stopped account (the circuit breaker, account.h): new actions for it
 * are refused (409 account_stopped); those already queued or retrying wait
 * in the outbox, unsent and without using attempts, and go out once the
 * account is restarted. One already handed to the plugin finishes as usual.
 *
 * Idempotency: every action carries the help desk's idempotency key,
 * unique across the outbox; the same key returns the same action, also
 * after a restart. Collisions: a reply to a thread that already has a
 * queued, sending, retrying or succeeded reply of the same account is
 * refused unless forced. Echo suppression: the network ids of our posted
 * items are kept, and outbox_is_echo() recognises them when a fetch
 * brings them back.
 *
 * Pruning: a finished action is deleted [gateway] action_retention after
 * it finished (unfinished ones never are); its idempotency key keeps
 * answering for [gateway] idempotency_window (outbox_prune.h).
 *
 * The module's files: outbox.c (the in-memory queue, the send path,
 * retries, outcome events, recovery), outbox_submit.c (deciding on a new
 * request), outbox_prune.c (retention and the kept keys),
 * store/outbox_store.c (the table and its SQL).
 *
 * See docs/design.md ("Actions and the outbox"). Single-threaded: every
 * function runs on the loop thread.
 */
#ifndef GW_OUTBOX_H
#define GW_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "engine/outbox_types.h"
#include "engine/runtime.h"

/* Create the outbox table if needed, fail the actions a crash left
 * "sending", and load those still to send. Commits what it wrote. Needs
 * rt->store and the accounts (rt->accounts) in place. Returns 0 and sets
 * *out (free with outbox_close), or a negative GW_E* code with err set. */
int outbox_open(gw_runtime *rt, outbox **out, char *err, size_t errlen);

/* Start sending what is due (once the loop runs). */
void outbox_start(outbox *ob);

/* Look again at what waits: an account came back (account_restart), so
 * its actions may go out now. No-op before outbox_start; NULL is a no-op. */
void outbox_wake(outbox *ob);

/* Stop starting sends (drain or close): actions already handed to a
 * plugin still record their outcome; those not handed over stay queued
 * for the next start. Closes the outbox's timer handle, so run the loop
 * before outbox_close. Idempotent; NULL is a no-op. */
void outbox_quiesce(outbox *ob);

/* Finalize the outbox's statements and free it; before store_close().
 * NULL is a no-op. */
void outbox_close(outbox *ob);

/* Submitting a new action (the action API's POST): outbox_submit.h. */

/* The client's view of action `id`: {"id", "state", "network", "account",
 * "kind", "in_reply_to", "to", "text", "idempotency_key", "force",
 * "attempts", "created_at", "updated_at", "next_attempt_at", "native_id",
 * "url", "reason"}. Returns 0 and sets *out (caller decrefs), GW_ENOENT,
 * or another negative GW_E* code. */
int outbox_action_get(outbox *ob, const char *id, json_t **out);

/* pipeline_echo predicate (arg is the outbox): 1 when event's native_id
 * is the network id of an item this account posted through the outbox. */
int outbox_is_echo(void *arg, const char *network, const char *account, const json_t *event);

/* Counters since start (outbox_types.h). Borrowed. */
const outbox_stats *outbox_stats_get(const outbox *ob);

#endif /* GW_OUTBOX_H */
