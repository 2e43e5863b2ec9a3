/* isolated.h - an account's plugin run in a child process (isolation =
 * "process", issue 17): the engine's side of core/isolate/.
 *
 * The account keeps calling a gw_plugin: isolated_wrap gives it one whose
 * hooks are frames to a plugin host child (`gateway __plugin-host`, see
 * isolate/child.h), and whose child's calls (emit, kv, HTTP, complete...)
 * become calls of the account's real gw_host functions, so events, the
 * rate-limit budget and the outbox work as inline. The proxy supervises
 * the child: one that dies or stops answering pings is logged once (with
 * its signal and the hook it was in), counted (gateway_plugin_crashes_
 * total), reported as an account.crashed event and restarted with
 * backoff; its hooks in flight end as RETRY, except actions, whose
 * outcome is unknown (never sent again); after [gateway] max_failures
 * crashes in a row the account stops like a circuit-broken one.
 */
#ifndef GW_ISOLATED_H
#define GW_ISOLATED_H

#include <jansson.h>

#include "engine/loader.h"
#include "gateway/plugin.h"

/* How the account stops when its child keeps crashing (account.c's
 * circuit breaker). */
typedef void (*isolated_stop_fn)(gw_account *acct, const char *reason);

/* isolated_chosen - 1 when an account runs isolated: its own isolation
 * key, else whether [gateway] isolate_networks names its network. Both
 * objects borrowed (validated settings). */
int isolated_chosen(const json_t *gateway, const json_t *account, const char *network);

/* isolated_wrap - a descriptor for real's accounts that runs each in its
 * own child, with [gateway]'s isolation settings (borrowed, read now).
 * Returns 0 and *out (caller frees with isolated_free after the
 * account's instance was destroyed), or GW_ENOMEM. */
int isolated_wrap(const loaded_plugin *real, const json_t *gateway, isolated_stop_fn stop,
                  loaded_plugin **out);

/* isolated_free - free what isolated_wrap returned (NULL is fine). */
void isolated_free(loaded_plugin *wrapped);

#endif /* GW_ISOLATED_H */
