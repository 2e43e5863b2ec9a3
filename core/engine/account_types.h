/* account_types.h - the account's value types held both by its public
 * face (account.h) and by its internal record (account_internal.h): the
 * counters and the post callback. Apart, so neither of those headers has
 * to include the other.
 */
#ifndef GW_ACCOUNT_TYPES_H
#define GW_ACCOUNT_TYPES_H

#include <stdint.h>

#include <jansson.h>

#include "engine/pipeline.h"
#include "gateway/plugin.h"

/* Counters for metrics; only the loop thread writes them. */
/* A number a plugin publishes in /metrics (gw_host.metric_set, ABI 1.3). */
#define ACCOUNT_METRICS_MAX 16
#define ACCOUNT_METRIC_NAME_MAX 49
typedef struct account_metric {
    char name[ACCOUNT_METRIC_NAME_MAX]; /* [a-z0-9_]+ */
    char help[160];
    double value;
} account_metric;

typedef struct account_stats {
    pipeline_stats events;      /* items the plugin emitted */
    uint64_t fetch_ok, fetch_retry, fetch_fatal, fetch_unsupported;
    uint64_t op_timeouts;       /* hooks that did not complete in time */
    uint64_t webhooks;          /* deliveries handed to the plugin */
    int stopped;                /* the circuit breaker opened */
    int credentials_failing;    /* the last answer was a 401 */
    uint64_t plugin_crashes;    /* isolated plugin's child deaths (isolated.c) */
    int plugin_restarting;      /* its child died and is not back yet */
    /* The plugin's own numbers: ACCOUNT_METRICS_MAX of them, allocated at
     * the first metric_set (most plugins set none, and 3.5 KB per account
     * counts with thousands of accounts); NULL until then. */
    account_metric *metrics;
    size_t metric_count;
} account_stats;

/* What an account is doing, for GET /v1/accounts and the refusals of a
 * stopped account (account_status_get). */
typedef enum account_run_state {
    ACCOUNT_RUNNING,             /* fetching (or taking webhooks) as configured */
    ACCOUNT_CREDENTIALS_FAILING, /* running, but the network answers 401 */
    ACCOUNT_STOPPED              /* the circuit breaker opened; needs a restart */
} account_run_state;

typedef struct account_status {
    account_run_state state;
    unsigned failures;      /* consecutive FATAL fetches (the breaker's count) */
    unsigned max_failures;  /* [gateway] max_failures: the breaker opens there */
    uint64_t next_retry_ms; /* wall time of the next fetch after a failure, or 0 */
    const char *last_error; /* the last failed fetch's reason, or "" (borrowed) */
} account_status;

/* How a post ended, as the plugin completed it. timed_out: the hook did
 * not complete within [gateway] fetch_timeout; outcome is then RETRY, but
 * whether the network took the post is unknown, and the plugin's late
 * completion will be ignored. result (steals; may be NULL) is
 * {"native_id", "url"} on OK. */
typedef void (*account_post_fn)(void *ctx, gw_outcome outcome, uint64_t delay_ms,
                                const char *message, json_t *result, int timed_out);

#endif /* GW_ACCOUNT_TYPES_H */
