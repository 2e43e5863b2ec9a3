/* startup.h - starting the accounts, the HTTP server, triage and the
 * conversation service for
 * gateway_open (daemon/gateway.c), which calls them in its order.
 */
#ifndef GW_DAEMON_STARTUP_H
#define GW_DAEMON_STARTUP_H

#include <stddef.h>

#include "engine/runtime.h"

typedef struct triage triage;

/* Where the conversation service's own events (sla.breached) are counted
 * (the orchestrator owns it for the runtime's life). */
typedef struct startup_events {
    gw_runtime *rt;
    pipeline_stats stats;
    /* the caller's: the events' members reached the disk further, so
     * events waiting for them may leave (conv_options.durable) */
    void (*members_durable)(void *arg);
    void *members_durable_arg;
} startup_events;

/* startup_accounts' answer when an account's plugin refused to create it
 * and the account is not `optional = true` (gateway.h's GATEWAY_EACCOUNT):
 * outside the GW_E* codes so the caller can tell it from a failure of the
 * machine. */
#define STARTUP_EACCOUNT (-100)

/* Create an account for every enabled [[account]] whose plugin loaded.
 * One that is not `optional` and whose create() fails stops start-up.
 * Returns 0, GW_ENOMEM or STARTUP_EACCOUNT with err set. */
int startup_accounts(gw_runtime *rt, char *err, size_t errlen);

/* Start the HTTP server on [http] listen and install the routes; nothing
 * when [http] enabled = false. Returns 0 or a negative GW_E* with err set. */
int startup_http(gw_runtime *rt, char *err, size_t errlen);

/* Compile [triage] and [[rule]] into *out (caller frees with
 * triage_free) and, when enabled, install it as the pipelines' enrich
 * hook. Returns 0 or a negative GW_E* with err set. */
int startup_triage(gw_runtime *rt, triage **out, char *err, size_t errlen);

/* Open the conversation service when [service] conversations = true and
 * install its pipeline observer; its events enter the log through the
 * pipeline, counted in events (filled here). Before the accounts start
 * fetching. Returns 0 or a negative GW_E* with err set. */
int startup_conversations(gw_runtime *rt, startup_events *events, char *err, size_t errlen);

#endif /* GW_DAEMON_STARTUP_H */
