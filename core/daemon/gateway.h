/* gateway.h - the running gateway: opens everything in order, runs the
 * loop, drains on a signal and closes everything in reverse.
 *
 * The orchestrator sits on top of the core: it opens the store, loads the
 * plugins, opens the sinks, starts the accounts, opens the outbox and
 * installs the HTTP routes, all into the one gw_runtime the caller holds
 * (engine/runtime.h). It owns the loop and its phases: the group commit
 * before the loop blocks (prepare), the accounts' immediate fetches after
 * I/O (check), the retention timer, the signals and the bounded drain.
 * Lower modules reach it only through rt->hooks, which gateway_open
 * installs.
 */
#ifndef GW_GATEWAY_H
#define GW_GATEWAY_H

#include <stddef.h>

#include "base/log.h"
#include "config/config.h"
#include "engine/loader.h"
#include "engine/runtime.h"
#include "daemon/startup.h" /* STARTUP_EACCOUNT */

/* gateway_open's answer when an account's plugin refused to create it and
 * the account is not `optional = true`; outside the GW_E* codes so the
 * caller can tell it from a failure of the machine. */
#define GATEWAY_EACCOUNT STARTUP_EACCOUNT

/* Open the store, create account instances and sinks, open the outbox
 * and the HTTP server. plugins (steals its contents, leaving it empty) is
 * plugin_dir as the caller scanned it with loader_scan_dir, the same set
 * its account checks ran against, so start-up loads the plugins once.
 * Returns 0, or a negative GW_E* with err set (the gateway cannot start:
 * store unusable, a sink cannot open), or GATEWAY_EACCOUNT with err naming the account and
 * why its create() failed. An account with `optional = true` whose
 * create() fails is logged and skipped instead; so is one whose plugin is
 * missing or whose options are invalid (the caller checks those first,
 * see engine/account_check.h). cfg is borrowed until gateway_close. On
 * failure call gateway_close() anyway. */
int gateway_open(gw_runtime *rt, gw_config *cfg, plugin_set *plugins, gw_log_level level,
                 char *err, size_t errlen);

/* Run until SIGINT/SIGTERM (then drain) or until nothing is left to do.
 * Returns the process exit code. */
int gateway_run(gw_runtime *rt);

/* Begin an orderly drain: stop fetching, let in-flight operations finish
 * (bounded by shutdown_timeout), commit, let sinks catch up, close. */
void gateway_stop(gw_runtime *rt);

/* Free everything gateway_open acquired. Safe after a failed open. */
void gateway_close(gw_runtime *rt);

#endif /* GW_GATEWAY_H */
