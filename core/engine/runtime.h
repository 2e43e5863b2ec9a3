/* runtime.h - the state every core module shares, and the few low-level
 * services they use from one another without calling upward.
 *
 * One process holds exactly one gw_runtime (main() keeps it); the
 * orchestrator (core/daemon/gateway.c) fills it at start-up and runs the
 * loop, and every module that needs shared state receives it explicitly.
 * The services here call nothing above them: work that waits for the next
 * commit, the plugins' HTTP client, and the one notification lower modules
 * send up (check_drained), which goes through a hook the orchestrator
 * installs rather than a call into it.
 *
 * The loop phases (core/daemon/gateway.c) carry the durability contract:
 * items emitted anywhere in an iteration are committed in the prepare
 * phase, before the loop blocks, and only committed events are handed to
 * sinks.
 */
#ifndef GW_RUNTIME_H
#define GW_RUNTIME_H

#include <stdint.h>

#include <uv.h>

#include "base/backoff.h"
#include "config/config.h"
#include "engine/egress.h"
#include "engine/loader.h"
#include "base/log.h"
#include "base/tick_stats.h"
#include "engine/pipeline.h"
#include "store/store.h"

typedef struct gw_account gw_account;
typedef struct dispatcher dispatcher;
typedef struct http_server http_server;
typedef struct http_client http_client;
typedef struct outbox outbox;

/* Work that must wait for the next commit (e.g. a webhook's 200). */
typedef void (*runtime_commit_fn)(void *arg, int committed);
typedef struct commit_waiter {
    runtime_commit_fn fn;
    void *arg;
    struct commit_waiter *next;
} commit_waiter;

/* What lower modules tell the orchestrator, installed by it at start-up:
 * a function pointer, so engine/ never calls up into daemon/. */
typedef struct runtime_hooks {
    /* An account, a sink or an action settled; during a drain the
     * orchestrator checks whether everything is quiet. */
    void (*check_drained)(void *ctx);
    void *ctx; /* the orchestrator's own state */
} runtime_hooks;

typedef struct gw_runtime {
    uv_loop_t loop;          /* initialised, run and closed by the orchestrator */
    logger log;
    gw_config *cfg;          /* borrowed from main */
    store *store;
    plugin_set plugins;
    backoff_rng rng;
    http_server *server;     /* NULL when [http] enabled = false */
    http_client *client;     /* the plugins' HTTP client (runtime_http_client) */
    outbox *outbox;          /* agents' answers (actions); see outbox.h */
    commit_waiter *waiters;  /* FIFO of work for after the next commit */
    commit_waiter **waiters_tail;
    runtime_hooks hooks;
    /* Echo suppression for the accounts' pipelines (actions): set by the
     * orchestrator once the outbox is open (outbox_is_echo); is_echo is
     * NULL before, and then nothing is suppressed. */
    pipeline_echo echo;
    /* Triage enrichment of the accounts' items: set by the orchestrator
     * when [triage] enabled (core/triage/); enrich is NULL otherwise. */
    pipeline_enrich enrich;

    /* Conversations (core/service/): assigns conversation_id and contact
     * to every event; annotate/stored NULL when the service is off. */
    pipeline_observer observer;
    struct conv_service *conv;
    /* Where events leave (engine/egress.h): the members the service keeps
     * beside the log, and how far events may leave; empty without it. */
    event_egress egress; /* NULL when [service] conversations = false */

    gw_account **accounts;   /* owned, one per [[account]] that started */
    size_t account_count;
    struct strmap *account_index; /* the live accounts by network and name
                                     (account_find); kept by account.c */
    gw_account *ready_head;  /* accounts due for an immediate fetch */
    uv_idle_t spin_handle;   /* keeps poll from blocking while ready_head is set */

    struct events_hub *events; /* GET /v1/events streams (api/events_api.c);
                                  NULL without the HTTP server */
    dispatcher **sinks;      /* owned, one per [[sink]] */
    size_t sink_count;

    /* [gateway] settings the modules share, read once. */
    uint64_t fetch_timeout_ms, retry_base_ms, retry_max_ms;
    unsigned max_failures;

    /* Busy time of each loop iteration (gateway_loop_tick_seconds),
     * recorded by the orchestrator. */
    tick_stats ticks;

    int stopping;       /* a drain is under way */
    int closed;         /* teardown began: handles are closing */
} gw_runtime;

/* Reset rt and fill what needs no resource: the logger, the RNG seed and
 * the shared [gateway] settings. cfg is borrowed for rt's life. The loop
 * and everything else are the orchestrator's to set up. */
void runtime_init(gw_runtime *rt, gw_config *cfg, gw_log_level level);

/* Run fn(arg, committed) right after the next commit (committed = 0 when
 * it failed). Returns 0 or GW_ENOMEM (fn is then never called). */
int runtime_after_commit(gw_runtime *rt, runtime_commit_fn fn, void *arg);

/* Run and free every waiting runtime_after_commit entry, in order; the
 * orchestrator calls it right after each commit. */
void runtime_run_waiters(gw_runtime *rt, int committed);

/* The waiting entries, in order, removed from rt (the caller owns them
 * and must run them: daemon/durable.c keeps them until their commit is
 * on disk). */
commit_waiter *runtime_take_waiters(gw_runtime *rt);

/* Run and free a list runtime_take_waiters returned, in order. */
void runtime_run_waiter_list(commit_waiter *w, int committed);

/* The plugins' HTTP client, created on first use; NULL when it cannot be
 * made (logged) or the runtime is closing. Borrowed. */
http_client *runtime_http_client(gw_runtime *rt);

/* Close the plugins' HTTP client if one was made (asynchronously: run the
 * loop afterwards). */
void runtime_http_client_close(gw_runtime *rt);

/* Called by accounts, sinks and the outbox when they settle during a
 * drain; passes it to the orchestrator's hook (none: nothing happens). */
void runtime_check_drained(gw_runtime *rt);

#endif /* GW_RUNTIME_H */
