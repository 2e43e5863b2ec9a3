/* account_internal.h - the account's record and the host's record of one
 * hook call (op), shared by the parts of the account: account.c (what
 * the gateway asks of the plugin: fetch, webhooks, posts, and the policy
 * around them), account_host.c (what the plugin asks of the gateway:
 * the gw_host services table) and account_index.c (the accounts by
 * network and name). No other file includes it; everyone else sees an
 * opaque gw_account through account.h.
 */
#ifndef GW_ACCOUNT_INTERNAL_H
#define GW_ACCOUNT_INTERNAL_H

#include <jansson.h>
#include <uv.h>

#include "engine/account_types.h"
#include "engine/runtime.h"
#include "http/ratelimit_class.h"

enum op_kind { OP_FETCH, OP_POST_PUBLIC, OP_SEND_PRIVATE, OP_WEBHOOK };

typedef void (*op_done_fn)(gw_op *op, gw_outcome outcome, uint64_t delay_ms, const char *message,
                           json_t *result, void *ctx);

struct gw_op {
    uv_timer_t timeout;   /* first member: the handle's data points back */
    gw_account *acct;
    enum op_kind kind;
    int reported;         /* the issuer has been told the outcome */
    op_done_fn on_done;
    void *ctx;
    gw_op *prev, *next;   /* the account's outstanding ops */
    /* Post ops (account_post, for the outbox): */
    int timed_out;        /* reported by the timeout, not the plugin */
    account_post_fn post_done;
    void *post_ctx;
};

struct gw_timer {
    uv_timer_t handle;
    gw_account *acct;
    gw_timer_cb cb;
    void *arg;
    int done;             /* fired or cancelled: the handle is closing */
    gw_timer *prev, *next;
};

enum account_state { ACCT_IDLE, ACCT_FETCHING, ACCT_STOPPED };

struct gw_account {
    gw_runtime *rt;
    const loaded_plugin *plugin;
    gw_instance *inst;
    char *network, *name, *label;
    char *index_key;         /* network, a NUL, name: rt->account_index's key */
    size_t index_key_len;
    json_t *options;
    uint64_t poll_interval_ms;
    int enabled;
    enum account_state state;
    int quiescing;
    int destroying;
    uv_timer_t *fetch_timer; /* owns the account: freed in its close cb */
    unsigned attempt;        /* consecutive non-OK outcomes, for backoff */
    unsigned fatal_streak;   /* consecutive FATAL outcomes */
    uint64_t next_retry_ms;  /* wall time of the fetch after a failure, or 0 */
    char last_error[256];    /* the last failed fetch's reason; "" after a success */
    int in_ready;
    gw_account *ready_next;
    gw_timer *timers;
    gw_op *ops;
    struct http_call *calls; /* requests in flight for the plugin */
    ratelimit_table budgets; /* the network's rate limits for this account,
                                per endpoint class; never moved (it points
                                into itself), the account is heap-allocated */
    account_stats stats;
    /* What the plugin narrowed the account to (gw_host.narrow_capabilities,
     * ABI 1.3): the bits kept (all of them unless narrowed) and why. */
    uint32_t caps_keep;
    char caps_reason[200];
    /* isolation = "process": the descriptor whose hooks reach the plugin
     * in its child (engine/isolated.h); plugin points at it. Owned. */
    loaded_plugin *isolated_plugin;
};

#endif /* GW_ACCOUNT_INTERNAL_H */
