/* check_host.h - the contract checker's host: a gw_host services table of
 * its own that behaves as the gateway's (engine/account_host.c) where the
 * plugin can tell, and records what the gateway would forgive or never
 * see: a second complete(), an op never completed, an invalid event, a
 * call into the plugin that holds the loop, kv use beyond the limits, a
 * secret in a log line.
 *
 * Why not the engine's own table: account_create() hands every plugin the
 * one static account_host_table, bound to a gw_account that needs the
 * whole runtime (store, outbox, sinks), and the real host keeps no record
 * of what it forgives (a late completion is dropped at debug level, a
 * second one is undefined). So this host is separate, but reuses the
 * production pieces that give the semantics: the real HTTP client
 * (http/http_client.h) on a real libuv loop, and the pipeline's event
 * validation (pipeline_validate). The kv store is in memory: the checker
 * judges how a plugin uses it, not SQLite.
 *
 * One check_host serves one plugin instance, from create() to destroy().
 */
#ifndef GW_CHECK_HOST_H
#define GW_CHECK_HOST_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "gateway/plugin.h"
#include "check/check_host_types.h"
#include "check/check_report.h"
#include "http/http_client.h"

/* The checker's kv limits. plugin.h states none in numbers ("a per-account
 * durable key/value store for cursors"); these are the sizes a cursor
 * store needs with a wide margin. */
#define CHECK_KV_MAX_KEYS 64
#define CHECK_KV_MAX_KEY_BYTES GW_KV_KEY_MAX
#define CHECK_KV_MAX_VALUE_BYTES GW_KV_VALUE_MAX

/* A host for one instance of the plugin desc (borrowed), with the validated
 * options (borrowed; must outlive the host), on loop with client (both
 * borrowed; must outlive the host), reporting to rep (borrowed). Returns 0
 * and sets *out (free with check_host_free), or GW_ENOMEM. */
int check_host_new(uv_loop_t *loop, http_client *client, const gw_plugin *desc,
                   const json_t *options, check_report *rep, const check_limits *limits,
                   check_host **out);

/* Release what the instance left (timers, HTTP requests), close the
 * host's handles, run the loop until they are closed, and free it. Call
 * after the plugin's destroy(). */
void check_host_free(check_host *h);

/* The services table every instance is handed. */
const gw_host *check_host_services(void);

/* The handle the plugin knows this host by. */
gw_account *check_host_account(check_host *h);

/* Bracket every call into the plugin: the time between them is the time
 * the plugin held the loop, and over the limit it is a "block-loop"
 * breach naming what (e.g. "hook fetch"). */
void check_host_call_begin(check_host *h);
void check_host_call_end(check_host *h, const char *what);

/* "OK", "RETRY", "FATAL", "UNSUPPORTED" (static text). */
const char *check_outcome_name(gw_outcome o);

/* Call a hook of the instance through fn(desc, inst, op, arg) (desc is the
 * host's plugin; arg is borrowed for the call), timed as "hook <name>",
 * and run the loop until it completes or its deadline passes. Returns the
 * outcome (borrowed from h) or NULL when out of memory. */
typedef void (*check_hook_call)(const gw_plugin *desc, gw_instance *inst, gw_op *op,
                                const void *arg);
const check_outcome *check_host_run(check_host *h, gw_instance *inst, const char *name,
                                    check_hook_call fn, const void *arg);

/* Mark the instance being destroyed: emit answers GW_ESTATE, timers and
 * requests are refused, as in the gateway. */
void check_host_destroying(check_host *h);

/* The valid events emitted so far, by native_id (borrowed object). */
const json_t *check_host_events(const check_host *h);

/* How many events were emitted (valid or not) since the host was made. */
size_t check_host_emit_count(const check_host *h);

/* The capability bits the instance kept (narrow_capabilities), and its
 * reason (borrowed, "" when it did not narrow). */
uint32_t check_host_capabilities(const check_host *h, const char **reason);

#endif /* GW_CHECK_HOST_H */
