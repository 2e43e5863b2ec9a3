/* plugins/mock/ops.c - when and how an op of the mock completes.
 *
 * Every hook goes through mock_op_start(), which decides first whether the
 * op fails on purpose (fail_op / fail_with / fail_times, then error_rate),
 * and then runs the op at once or after `latency` with a host timer, never
 * by sleeping. An op waiting for its timer is a mock_pending on the
 * instance's list, so destroy can cancel the timer and free it.
 */
#include <stdlib.h>

#include "mock.h"

struct mock_pending {
    mock_pending *next; /* the instance's list of waiting ops */
    gw_instance *inst;  /* borrowed */
    gw_op *op;          /* borrowed until complete() */
    gw_timer *timer;    /* NULL once fired or when not started */
    mock_op_kind kind;
    gw_outcome fault;          /* GW_OUTCOME_OK when the op runs normally */
    const char *fault_message; /* static string */
    mock_action action;        /* owned copies, post/send only */
    json_t *webhook_result;    /* owned, webhook only */
};

static void pending_free(mock_pending *p)
{
    free(p->action.action_id);
    free(p->action.in_reply_to);
    free(p->action.thread_id);
    free(p->action.to);
    free(p->action.text);
    json_decref(p->webhook_result);
    free(p);
}

/* Copy the borrowed action's strings. An absent string stays NULL. */
static int copy_action(mock_action *dst, const gw_action *src)
{
    if (src == NULL)
        return 0;
    const char *from[5] = {src->action_id, src->in_reply_to, src->thread_id, src->to, src->text};
    char **to[5] = {&dst->action_id, &dst->in_reply_to, &dst->thread_id, &dst->to, &dst->text};
    for (int i = 0; i < 5; i++) {
        if (from[i] != NULL && (*to[i] = gw_sdk_str_dup(from[i])) == NULL)
            return GW_ENOMEM;
    }
    return 0;
}

/* Decide an injected fault for one op. fail_op comes first so a test can
 * count on "RETRY twice then OK" whatever error_rate says. */
static gw_outcome decide_fault(gw_instance *inst, mock_op_kind kind, const char **message)
{
    const mock_options *opt = &inst->opt;
    *message = NULL;
    if (kind == MOCK_OP_WEBHOOK)
        return GW_OUTCOME_OK; /* a delivery has already happened */
    if (kind == opt->fail_op) {
        if (opt->fail_times == 0 || inst->fail_left > 0) {
            if (opt->fail_times > 0)
                inst->fail_left--;
            *message = "mock: injected failure (fail_op)";
            return opt->fail_with;
        }
    }
    /* Draw only when error_rate is set, so that turning it on does not
     * change anything else about a run. */
    if (opt->error_rate > 0 && gw_sdk_rng_unit(&inst->fault_rng) < opt->error_rate) {
        *message = "mock: injected error (error_rate)";
        return GW_OUTCOME_RETRY;
    }
    return GW_OUTCOME_OK;
}

static void pending_unlink(gw_instance *inst, mock_pending *p)
{
    for (mock_pending **link = &inst->pending; *link != NULL; link = &(*link)->next) {
        if (*link == p) {
            *link = p->next;
            return;
        }
    }
}

/* Run an op whose time has come and free it. complete() is the last
 * thing each branch does with the instance, as the host may destroy the
 * instance once no op is outstanding. */
static void pending_run(mock_pending *p)
{
    gw_instance *inst = p->inst;
    const gw_host *host = inst->host;
    if (p->fault != GW_OUTCOME_OK) {
        uint64_t delay = p->fault == GW_OUTCOME_RETRY ? MOCK_RETRY_DELAY_MS : 0;
        host->complete(p->op, p->fault, delay, p->fault_message, NULL);
    } else {
        switch (p->kind) {
        case MOCK_OP_FETCH:
            mock_fetch_run(inst, p->op);
            break;
        case MOCK_OP_POST_PUBLIC:
        case MOCK_OP_SEND_PRIVATE:
            mock_action_run(inst, p->op, p->kind, &p->action);
            break;
        case MOCK_OP_WEBHOOK: {
            json_t *result = p->webhook_result;
            p->webhook_result = NULL;
            host->complete(p->op, GW_OUTCOME_OK, 0, NULL, result);
            break;
        }
        case MOCK_OP_NONE:
            break;
        }
    }
    pending_free(p);
}

static void pending_timer_fired(void *arg)
{
    mock_pending *p = arg;
    p->timer = NULL; /* the handle is dead once its callback runs */
    pending_unlink(p->inst, p);
    pending_run(p);
}

void mock_op_start(gw_instance *inst, gw_op *op, mock_op_kind kind, const gw_action *action,
                   json_t *webhook_result)
{
    const gw_host *host = inst->host;
    mock_pending *p = calloc(1, sizeof *p);
    if (p == NULL || copy_action(&p->action, action) < 0) {
        if (p != NULL)
            pending_free(p);
        json_decref(webhook_result);
        host->complete(op, GW_OUTCOME_RETRY, MOCK_RETRY_DELAY_MS, "mock: out of memory", NULL);
        return;
    }
    p->inst = inst;
    p->op = op;
    p->kind = kind;
    p->webhook_result = webhook_result;
    if (kind == MOCK_OP_WEBHOOK && webhook_result == NULL) {
        pending_free(p);
        host->complete(op, GW_OUTCOME_RETRY, MOCK_RETRY_DELAY_MS, "mock: out of memory", NULL);
        return;
    }
    p->fault = decide_fault(inst, kind, &p->fault_message);

    if (inst->opt.latency_ms > 0) {
        p->timer = host->timer_start(inst->acct, inst->opt.latency_ms, pending_timer_fired, p);
        if (p->timer != NULL) {
            p->next = inst->pending;
            inst->pending = p;
            return;
        }
        /* Without a timer the op still has to end: run it now rather
         * than leave the host waiting for its timeout. */
        host->log(inst->acct, GW_LOG_WARN, "mock: timer_start failed, ignoring latency");
    }
    pending_run(p);
}

void mock_op_cancel_all(gw_instance *inst)
{
    while (inst->pending != NULL) {
        mock_pending *p = inst->pending;
        inst->pending = p->next;
        if (p->timer != NULL)
            inst->host->timer_cancel(p->timer);
        pending_free(p);
    }
}
