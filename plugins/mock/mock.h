/* plugins/mock/mock.h - internals shared by the files of the mock plugin.
 *
 * The mock network is the gateway's default network and the test double
 * for everything downstream of a plugin: it synthesises deterministic
 * customer-service items (or replays a scenario file), records the
 * actions it is asked to perform, and injects latency and faults on
 * demand. Nothing here is exported from mock.so; only gw_plugin_entry is.
 *
 * Files: plugin.c (descriptor, create/destroy, hooks), options.c (the
 * declared options and their reading), ops.c (when and how an op completes: latency and
 * injected faults), fetch.c (pacing and the durable cursor), synth.c
 * (synthetic items), scenario.c (replay of a JSONL file), event.c
 * (defaults for user-written items), actions.c (post_public and
 * send_private), webhook.c (pushed deliveries).
 */
#ifndef MOCK_MOCK_H
#define MOCK_MOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "gateway/plugin.h"
#include "gateway/sdk.h"

/* How long an injected RETRY asks the host to wait. Short, because the
 * point is to exercise the host's retry path, not to slow tests down. */
#define MOCK_RETRY_DELAY_MS 100

/* The longest text the mock network accepts in a reply or message, in
 * code points (gw_plugin.max_text_length), as short as a tweet so tests
 * reach it easily. */
#define MOCK_MAX_TEXT_LENGTH 280

/* Keys of the per-account key/value store. */
#define MOCK_KV_SYNTH_NEXT "synth_next"       /* synthetic events emitted */
#define MOCK_KV_SCENARIO_NEXT "scenario_next" /* scenario events emitted */
#define MOCK_KV_ACTION_NEXT "action_next"     /* actions performed */

typedef enum mock_op_kind {
    MOCK_OP_FETCH = 0,
    MOCK_OP_POST_PUBLIC = 1,
    MOCK_OP_SEND_PRIVATE = 2,
    MOCK_OP_WEBHOOK = 3,
    MOCK_OP_NONE = 4 /* fail_op = "none" */
} mock_op_kind;

/* The declared options, validated. Strings are borrowed from the host's
 * config (valid until destroy). */
typedef struct mock_options {
    uint64_t seed;
    double rate;             /* events per second; 0 = unpaced */
    uint64_t batch;          /* max events per fetch, >= 1 */
    uint64_t count;          /* stop after this many in total; 0 = never */
    const char *scenario;    /* JSONL path, or NULL for synthetic items */
    const char *actions_log; /* JSONL path, or NULL */
    double error_rate;       /* 0..1 */
    uint64_t latency_ms;
    mock_op_kind fail_op;
    gw_outcome fail_with; /* RETRY or FATAL */
    uint64_t fail_times;  /* 0 = always */
    bool echo_actions;    /* fetch returns the accepted actions as items */
} mock_options;

typedef struct mock_scenario mock_scenario;
typedef struct mock_pending mock_pending;

/* The per-account instance (the ABI's opaque gw_instance). All of the
 * plugin's mutable state lives here. */
struct gw_instance {
    const gw_host *host; /* borrowed until destroy */
    gw_account *acct;    /* borrowed until destroy */
    const char *brand;   /* the account name, borrowed until destroy */
    mock_options opt;

    mock_scenario *scenario; /* owned; NULL for synthetic items */
    const char *cursor_key;  /* MOCK_KV_SYNTH_NEXT or MOCK_KV_SCENARIO_NEXT */
    uint64_t next;           /* index of the next event = emitted so far */
    bool exhausted_logged;   /* "no more events" said once */

    double credit;         /* events due under `rate`, not yet emitted */
    uint64_t credit_at_ms; /* monotonic time credit was last topped up */

    uint64_t action_next; /* actions performed, persisted */
    FILE *actions_log;    /* owned; NULL when not configured */

    gw_sdk_rng fault_rng; /* draws for error_rate */
    uint64_t fail_left;   /* remaining fail_op failures when fail_times>0 */

    mock_pending *pending; /* owned: ops waiting for their latency timer */
    json_t *echoes;        /* owned array: accepted actions as items, for
                              the next fetch (echo_actions) */
};

/* An action's strings, copied out of the borrowed gw_action. */
typedef struct mock_action {
    char *action_id;
    char *in_reply_to;
    char *thread_id;
    char *to;
    char *text;
} mock_action;

/* options.c: the declared options (ended by a NULL name). */
extern const gw_option mock_option_table[];

/* options.c: read and validate the host's config. On failure returns
 * GW_EINVAL and writes a one-line reason into err. */
int mock_options_load(const json_t *config, mock_options *opt, char *err, size_t errlen);

/* ops.c: start an op: decide an injected fault, then run it now or after
 * opt.latency_ms. action (borrowed) is copied for post/send; webhook_result
 * (steals) is the answer of a webhook op. */
void mock_op_start(gw_instance *inst, gw_op *op, mock_op_kind kind, const gw_action *action,
                   json_t *webhook_result);
/* ops.c: cancel the timers of every op still waiting and free them. */
void mock_op_cancel_all(gw_instance *inst);

/* fetch.c: load the cursor at create time; emit what is due and complete
 * the op. */
int mock_fetch_init(gw_instance *inst, char *err, size_t errlen);
void mock_fetch_run(gw_instance *inst, gw_op *op);

/* synth.c: the synthetic item number n of `seed`, addressed to `brand`
 * (borrowed). Returns a new reference (caller decrefs) or NULL when
 * memory is exhausted. The same (seed, n, brand) always gives the same
 * item, except created_at which is taken from now_ms. */
json_t *mock_synth_event(uint64_t seed, uint64_t n, const char *brand, int64_t now_ms);

/* scenario.c: load a JSONL file of items (see scenario.c for the format).
 * On failure returns a GW_E* code and writes "path:line: reason" into
 * err. */
int mock_scenario_load(const char *path, mock_scenario **out, char *err, size_t errlen);
size_t mock_scenario_size(const mock_scenario *sc);
/* A deep copy of item `index` (caller decrefs), or NULL. */
json_t *mock_scenario_event(const mock_scenario *sc, size_t index);
void mock_scenario_free(mock_scenario *sc);

/* event.c: fill what a user-written item may leave out (visibility,
 * created_at). event is modified in place. Returns 0 or GW_EINVAL with a
 * reason in err when event is not an object with "type" and
 * "native_id". */
int mock_event_prepare(json_t *event, int64_t now_ms, char *err, size_t errlen);

/* actions.c: open the actions log (append), perform an action and
 * complete its op; emit (and forget) the echoes of accepted actions. */
int mock_actions_open(gw_instance *inst, char *err, size_t errlen);
void mock_actions_close(gw_instance *inst);
void mock_action_run(gw_instance *inst, gw_op *op, mock_op_kind kind, const mock_action *action);
void mock_actions_emit_echoes(gw_instance *inst);

/* webhook.c: parse one delivery, emit its items; returns the webhook
 * answer for complete() (caller owns it). */
json_t *mock_webhook_handle(gw_instance *inst, const gw_webhook_request *req);

#endif /* MOCK_MOCK_H */
