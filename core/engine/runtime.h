/* runtime.h - the running gateway: one process context that owns the
 * loop, the log store, the plugins, the accounts and the sink dispatchers.
 *
 * main() creates exactly one runtime; every module that needs shared
 * state receives it explicitly. The loop phases carry the durability
 * contract: items emitted anywhere in an iteration are committed in the
 * prepare phase, before the loop blocks, and only committed events are
 * handed to sinks.
 */
#ifndef GW_RUNTIME_H
#define GW_RUNTIME_H

#include <stdint.h>

#include <uv.h>

#include "base/backoff.h"
#include "config/config.h"
#include "engine/loader.h"
#include "base/log.h"
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

typedef struct gw_runtime {
    uv_loop_t loop;
    logger log;
    gw_config *cfg;          /* borrowed from main */
    store *store;
    plugin_set plugins;
    backoff_rng rng;
    http_server *server;     /* NULL when [http] enabled = false */
    http_client *client;     /* the plugins' HTTP client */
    outbox *outbox;          /* agents' answers (actions); see outbox.h */
    commit_waiter *waiters;  /* FIFO of work for after the next commit */
    commit_waiter **waiters_tail;

    gw_account **accounts;   /* owned, one per [[account]] that started */
    size_t account_count;
    gw_account *ready_head;  /* accounts due for an immediate fetch */

    dispatcher **sinks;      /* owned, one per [[sink]] */
    size_t sink_count;

    /* [gateway] settings, read once. */
    uint64_t fetch_timeout_ms, retry_base_ms, retry_max_ms, shutdown_timeout_ms;
    unsigned max_failures;
    int64_t retention_ms;

    uv_prepare_t commit_handle; /* group commit before the loop blocks */
    uv_check_t ready_handle;    /* runs immediate fetches after I/O */
    uv_idle_t spin_handle;      /* keeps poll from blocking while ready */
    uv_timer_t retention_timer;
    uv_timer_t shutdown_timer;
    uv_signal_t sig_int, sig_term, sig_hup;

    int stopping;       /* a drain is under way */
    int closed;         /* close_all ran: handles are closing */
    int exit_code;
} gw_runtime;

/* Open the store, load plugins, create account instances and sinks.
 * Returns 0, or a negative GW_E* with err set (the gateway cannot start:
 * store unusable, plugin dir unreadable, a sink cannot open). Accounts
 * whose plugin is refused or whose create() fails are logged and skipped,
 * not fatal. On failure call runtime_close() anyway. */
int runtime_open(gw_runtime *rt, gw_config *cfg, gw_log_level level, char *err, size_t errlen);

/* Run until SIGINT/SIGTERM (then drain) or until nothing is left to do.
 * Returns the process exit code. */
int runtime_run(gw_runtime *rt);

/* Begin an orderly drain: stop fetching, let in-flight operations finish
 * (bounded by shutdown_timeout), commit, let sinks catch up, close. */
void runtime_stop(gw_runtime *rt);

/* Free everything runtime_open acquired. Safe after a failed open. */
void runtime_close(gw_runtime *rt);

/* Called by accounts and dispatchers when they have work after the next
 * commit; cheap and idempotent. */
void runtime_kick_sinks(gw_runtime *rt);

/* Run fn(arg, committed) right after the next commit (committed = 0 when
 * it failed). Returns 0 or GW_ENOMEM (fn is then never called). */
int runtime_after_commit(gw_runtime *rt, runtime_commit_fn fn, void *arg);

/* The plugins' HTTP client, created on first use; NULL when it cannot be
 * made (logged) or the runtime is closing. Borrowed. */
http_client *runtime_http_client(gw_runtime *rt);

/* The account serving network/name, or NULL. */
gw_account *runtime_find_account(const gw_runtime *rt, const char *network, const char *name);

/* True once the store is open and every enabled account has started. */
int runtime_ready(const gw_runtime *rt);

/* Called when an account or sink settles during a drain. */
void runtime_check_drained(gw_runtime *rt);

#endif /* GW_RUNTIME_H */
