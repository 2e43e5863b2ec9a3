/* outbox.c - the durable outbox of actions: the queue and its send path;
 * see outbox.h for the contract and docs/design.md ("Actions and the
 * outbox") for the reasoning.
 *
 * Owns: the in-memory list of actions still to send (queued, sending,
 * retrying), one timer that wakes the scheduler when the next retry is
 * due, and which state each attempt writes; writing it, and a final
 * state with the action.* event that commits with it, is outbox_write.c's.
 * Deciding on
 * a new request is outbox_submit.c's, what the API reads (an action's
 * document, echo recognition) outbox_read.c's; the table and its SQL are
 * store/outbox_store.c's.
 *
 * Scheduling. At most one action per account is in the plugin at a time,
 * so the answers of one account reach the network in the order they were
 * accepted; an action waiting for its retry does not hold the others up.
 * The list is in acceptance order and short (a help desk's backlog), so
 * each pass simply walks it.
 *
 * One send, step by step:
 *   1. the row becomes "sending" (attempts + 1) in the tick's transaction;
 *   2. after that commit, the plugin's hook is called (account_post);
 *   3. its completion writes the next state; a final one (succeeded,
 *      failed) and its action.* event go into one savepoint, so they
 *      commit together or not at all.
 * A stop between 1 and 2 writes the row back to its previous state: the
 * hook never ran, so the action may safely be sent after the restart.
 */
#include "engine/outbox.h"

#include "engine/outbox_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "engine/account.h"
#include "engine/outbox_prune.h"
#include "gateway/sdk.h"

#define COMPONENT "outbox"

/* After a database error while starting a send, try the scheduler again
 * this much later rather than spin. */
#define OUTBOX_STORE_RETRY_MS 1000

/* ---- small helpers ------------------------------------------------------ */

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

static int parse_state(const char *name, action_state *out)
{
    for (action_state st = ST_QUEUED; st <= ST_FAILED; st++) {
        if (name != NULL && strcmp(name, outbox_state_name(st)) == 0) {
            *out = st;
            return GW_OK;
        }
    }
    return GW_EINVAL;
}

/* ---- the in-memory list ------------------------------------------------- */

static void action_free(outbox_action *a)
{
    if (a == NULL)
        return;
    free(a->id);
    free(a->key);
    free(a->network);
    free(a->account);
    free(a->in_reply_to);
    free(a->reply_native);
    free(a->thread);
    free(a->recipient);
    free(a->text);
    free(a);
}

static void list_append(outbox *ob, outbox_action *a)
{
    a->prev = ob->tail;
    a->next = NULL;
    if (ob->tail != NULL)
        ob->tail->next = a;
    else
        ob->head = a;
    ob->tail = a;
}

static void list_remove(outbox *ob, outbox_action *a)
{
    if (a->prev != NULL)
        a->prev->next = a->next;
    else
        ob->head = a->next;
    if (a->next != NULL)
        a->next->prev = a->prev;
    else
        ob->tail = a->prev;
    a->prev = a->next = NULL;
}

/* A pending action from a row (queued or retrying). Ownership: returns a
 * new action (caller frees with action_free) or NULL when out of memory. */
static outbox_action *action_from_row(outbox *ob, const outbox_row *row, action_state state)
{
    outbox_action *a = calloc(1, sizeof *a);
    if (a == NULL)
        return NULL;
    a->ob = ob;
    a->id = dup_or_null(row->id);
    a->key = dup_or_null(row->key);
    a->network = dup_or_null(row->network);
    a->account = dup_or_null(row->account);
    a->in_reply_to = dup_or_null(row->in_reply_to);
    a->reply_native = dup_or_null(row->reply_native);
    a->thread = dup_or_null(row->thread);
    a->recipient = dup_or_null(row->recipient);
    a->text = dup_or_null(row->text);
    a->kind =
        row->kind != NULL && strcmp(row->kind, "private") == 0 ? OUTBOX_PRIVATE : OUTBOX_REPLY;
    a->state = a->resume_state = state;
    a->attempts = (unsigned)row->attempts;
    a->next_at_ms = (uint64_t)row->next_at_ms;
    if (a->id == NULL || a->key == NULL || a->network == NULL || a->account == NULL ||
        a->text == NULL) {
        action_free(a);
        return NULL;
    }
    return a;
}

/* ---- writing states and events ---------------------------------------- */

/* Why a write of the row failed, for the log: the store's error, or the
 * refusal of a move the row's current state does not allow (the row was
 * changed behind this gateway's back; it is left as it is). */
static const char *write_error(const outbox *ob, int rc)
{
    if (rc == GW_ESTATE)
        return "the row is no longer in the state this gateway left it in; left unchanged";
    return store_last_error(ob->rt->store);
}

/* ---- the send path ------------------------------------------------------- */

static void schedule(outbox *ob);

/* The action is done: its final state is written (or could not be, then
 * the row keeps "sending" and the restart reports the outcome unknown). */
static void finish(outbox_action *a, int succeeded, const char *result_native, const char *url,
                   const char *reason, int outcome_unknown)
{
    outbox *ob = a->ob;
    gw_runtime *rt = ob->rt;
    char label[256];
    snprintf(label, sizeof label, "%s/%s", a->network, a->account);
    int rc = outbox_write_final(a, succeeded, result_native, url, reason, outcome_unknown);
    if (rc != GW_OK)
        log_error(&rt->log, label, "action %s: could not record its outcome (%s): %s", a->id,
                  succeeded ? "succeeded" : "failed", write_error(ob, rc));
    if (succeeded) {
        ob->stats.succeeded++;
        if (result_native != NULL)
            ob->echo_candidates++;
        log_info(&rt->log, label, "action %s (%s) succeeded: %s", a->id, outbox_kind_name(a->kind),
                 result_native ? result_native : "(the network gave no id)");
    } else {
        ob->stats.failed++;
        log_warn(&rt->log, label, "action %s (%s) failed after %u attempt%s: %s", a->id,
                 outbox_kind_name(a->kind), a->attempts, a->attempts == 1 ? "" : "s",
                 reason ? reason : "no reason given");
    }
    list_remove(ob, a);
    action_free(a);
}

/* Put an action whose hook never ran back where it was. */
static void unclaim(outbox_action *a)
{
    a->in_flight = 0;
    a->attempts--;
    a->state = a->resume_state;
    int rc = outbox_write_state(a, a->state);
    if (rc != GW_OK)
        log_error(&a->ob->rt->log, COMPONENT,
                  "action %s: could not put it back in the queue: %s (after a restart it is "
                  "reported with an unknown outcome)",
                  a->id, write_error(a->ob, rc));
}

static void post_done(void *ctx, gw_outcome outcome, uint64_t delay_ms, const char *message,
                      json_t *result, int timed_out)
{
    outbox_action *a = ctx;
    outbox *ob = a->ob;
    gw_runtime *rt = ob->rt;
    char reason[512];
    a->in_flight = 0;
    switch (outcome) {
    case GW_OUTCOME_OK: {
        const char *native = json_string_value(json_object_get(result, "native_id"));
        const char *url = json_string_value(json_object_get(result, "url"));
        if (native == NULL)
            log_warn(&rt->log, COMPONENT,
                     "action %s: the plugin reported success without a \"native_id\"; its echo "
                     "cannot be recognised",
                     a->id);
        finish(a, 1, native, url, NULL, 0);
        break;
    }
    case GW_OUTCOME_RETRY:
        if (timed_out) {
            /* The request may have reached the network: sending it again
             * could post the answer twice. */
            snprintf(reason, sizeof reason,
                     "outcome unknown: the network call did not complete in time (%s); check "
                     "the network before answering again",
                     message ? message : "timeout");
            finish(a, 0, NULL, NULL, reason, 1);
            break;
        }
        if (a->attempts >= ob->max_attempts) {
            snprintf(reason, sizeof reason, "gave up after %u attempts: %s", a->attempts,
                     message ? message : "the network asked to retry");
            finish(a, 0, NULL, NULL, reason, 0);
        } else {
            uint64_t wait =
                backoff_full_jitter(&rt->rng, rt->retry_base_ms, rt->retry_max_ms, a->attempts - 1);
            /* Never earlier than the network asked (a 429's reset). */
            if (delay_ms > wait)
                wait = delay_ms;
            a->state = a->resume_state = ST_RETRYING;
            a->next_at_ms = clock_wall_ms() + wait;
            ob->stats.retries++;
            log_info(&rt->log, COMPONENT,
                     "action %s will be retried in %llu ms (attempt %u of %u): %s", a->id,
                     (unsigned long long)wait, a->attempts, ob->max_attempts,
                     message ? message : "retry requested");
            int wrc = outbox_write_state(a, ST_RETRYING);
            if (wrc != GW_OK)
                log_error(&rt->log, COMPONENT, "action %s: could not record the retry: %s", a->id,
                          write_error(a->ob, wrc));
        }
        break;
    case GW_OUTCOME_FATAL:
        finish(a, 0, NULL, NULL, message ? message : "the network refused the action", 0);
        break;
    case GW_OUTCOME_UNSUPPORTED:
    default:
        snprintf(reason, sizeof reason, "unsupported: %s",
                 message ? message : "the network cannot perform this action");
        finish(a, 0, NULL, NULL, reason, 0);
        break;
    }
    json_decref(result);
    schedule(ob);
    /* A drain waits for accounts to go idle; this op was one of theirs. */
    if (rt->stopping)
        runtime_check_drained(rt);
}

/* Step 2: the "sending" row is durable; hand the action to the plugin. */
static void send_after_commit(void *arg, int committed)
{
    outbox_action *a = arg;
    outbox *ob = a->ob;
    gw_runtime *rt = ob->rt;
    gw_account *acct = account_find(rt, a->network, a->account);
    if (!committed || ob->quiesced || acct == NULL) {
        unclaim(a);
        return;
    }
    json_t *answered = NULL;
    if (a->in_reply_to != NULL && store_event_get(rt->store, a->in_reply_to, &answered) != GW_OK)
        answered = NULL; /* pruned by retention: the plugin gets the ids only */
    gw_action action = {
        .struct_size = sizeof action,
        .action_id = a->id,
        .idempotency_key = a->key,
        .text = a->text,
        .in_reply_to = a->reply_native,
        .thread_id = a->thread,
        .to = a->recipient,
        .in_reply_to_event = answered,
    };
    ob->stats.attempts++;
    log_debug(&rt->log, account_label(acct), "action %s: attempt %u (%s)", a->id, a->attempts,
              outbox_kind_name(a->kind));
    /* post_done may run inside this call and free a. */
    int rc = account_post(acct, a->kind == OUTBOX_PRIVATE, &action, post_done, a);
    json_decref(answered);
    if (rc == GW_EUNSUPPORTED) {
        a->in_flight = 0;
        finish(a, 0, NULL, NULL, "unsupported: the plugin no longer offers this operation", 0);
    } else if (rc != GW_OK) {
        unclaim(a);
        schedule(ob);
    }
}

/* Step 1: claim the action for an attempt. */
static void start_send(outbox_action *a)
{
    outbox *ob = a->ob;
    a->resume_state = a->state;
    a->attempts++;
    a->in_flight = 1;
    a->state = ST_SENDING;
    int rc = outbox_write_state(a, ST_SENDING);
    if (rc == GW_OK && runtime_after_commit(ob->rt, send_after_commit, a) == GW_OK)
        return;
    log_error(&ob->rt->log, COMPONENT, "action %s: cannot start an attempt: %s", a->id,
              rc != GW_OK ? write_error(ob, rc) : "out of memory");
    if (rc == GW_OK) {
        unclaim(a);
    } else {
        a->in_flight = 0;
        a->attempts--;
        a->state = a->resume_state;
    }
    a->next_at_ms = clock_wall_ms() + OUTBOX_STORE_RETRY_MS;
}

static void timer_cb(uv_timer_t *t)
{
    schedule(t->data);
}

/* Start every action that is due and whose account has nothing in the
 * plugin; arm the timer for the earliest one still waiting. */
static void schedule(outbox *ob)
{
    gw_runtime *rt = ob->rt;
    if (!ob->started || ob->quiesced)
        return;
    size_t nbusy = 0;
    for (outbox_action *a = ob->head; a != NULL; a = a->next) {
        if (!a->in_flight)
            continue;
        gw_account *acct = account_find(rt, a->network, a->account);
        if (acct != NULL && nbusy < rt->account_count)
            ob->busy[nbusy++] = acct;
    }
    uint64_t now = clock_wall_ms(), next = UINT64_MAX;
    for (outbox_action *a = ob->head, *following; a != NULL; a = following) {
        following = a->next;
        if (a->in_flight)
            continue;
        gw_account *acct = account_find(rt, a->network, a->account);
        if (acct == NULL) {
            if (!a->waiting_logged)
                log_warn(&rt->log, COMPONENT,
                         "action %s waits: account %s/%s is not running (it is sent once the "
                         "account runs again)",
                         a->id, a->network, a->account);
            a->waiting_logged = 1;
            continue;
        }
        /* The breaker stopped the account: its actions wait in the outbox
         * and go out once it is restarted (outbox_wake). */
        if (account_stopped(acct)) {
            if (!a->waiting_logged)
                log_warn(&rt->log, COMPONENT,
                         "action %s waits: account %s was stopped by the circuit breaker (it "
                         "is sent once the account is restarted)",
                         a->id, account_label(acct));
            a->waiting_logged = 1;
            continue;
        }
        a->waiting_logged = 0;
        size_t i = 0;
        while (i < nbusy && ob->busy[i] != acct)
            i++;
        if (i < nbusy)
            continue; /* the account's current action will call us again */
        if (a->next_at_ms > now) {
            if (a->next_at_ms < next)
                next = a->next_at_ms;
            continue;
        }
        start_send(a);
        if (a->in_flight && nbusy < rt->account_count)
            ob->busy[nbusy++] = acct;
        else if (a->next_at_ms < next)
            next = a->next_at_ms;
    }
    if (next != UINT64_MAX)
        uv_timer_start(&ob->timer, timer_cb, next > now ? next - now : 0, 0);
    else
        uv_timer_stop(&ob->timer);
}

void outbox_start(outbox *ob)
{
    if (ob == NULL || ob->quiesced)
        return;
    ob->started = 1;
    outbox_prune_start(ob);
    schedule(ob);
}

void outbox_wake(outbox *ob)
{
    if (ob != NULL && ob->started)
        schedule(ob);
}

void outbox_quiesce(outbox *ob)
{
    if (ob == NULL || ob->quiesced)
        return;
    ob->quiesced = 1;
    outbox_prune_stop(ob);
    if (ob->timer_open) {
        uv_timer_stop(&ob->timer);
        uv_close((uv_handle_t *)&ob->timer, NULL);
        ob->timer_open = 0;
    }
}

/* ---- taking new actions in ------------------------------------------------ */

int outbox_enqueue(outbox *ob, const outbox_row *row)
{
    outbox_action *a = action_from_row(ob, row, ST_QUEUED);
    if (a == NULL)
        return GW_ENOMEM;
    list_append(ob, a);
    /* Not now: the first attempt waits for the commit that makes the
     * row durable, and a timer runs after this tick's commit. */
    if (ob->timer_open)
        uv_timer_start(&ob->timer, timer_cb, 0, 0);
    return GW_OK;
}

/* ---- open / close ---------------------------------------------------------- */

typedef struct recovery {
    outbox *ob;
    outbox_action *interrupted; /* rows left "sending", handled after the walk */
} recovery;

static int recover_row(void *arg, const outbox_row *row)
{
    recovery *r = arg;
    action_state state = ST_QUEUED;
    if (parse_state(row->state, &state) != GW_OK)
        return GW_OK;
    outbox_action *a = action_from_row(r->ob, row, state);
    if (a == NULL)
        return GW_ENOMEM;
    if (state == ST_SENDING) {
        a->next = r->interrupted;
        r->interrupted = a;
    } else {
        list_append(r->ob, a);
    }
    return GW_OK;
}

/* Load the actions still open. A row left "sending" had its hook called
 * (or about to be) when the gateway stopped: fail it as unknown rather
 * than risk a second post. */
static int recover(outbox *ob, char *err, size_t errlen)
{
    gw_runtime *rt = ob->rt;
    recovery r = {.ob = ob};
    int result = outbox_store_each_open(ob->db, recover_row, &r, err, errlen);
    outbox_action *interrupted = r.interrupted;
    while (interrupted != NULL) {
        outbox_action *a = interrupted;
        interrupted = a->next;
        a->next = NULL;
        if (result == GW_OK) {
            list_append(ob, a);
            finish(a, 0, NULL, NULL,
                   "outcome unknown: the gateway stopped while the network call was in flight; "
                   "check the network before answering again",
                   1);
        } else {
            action_free(a);
        }
    }
    size_t pending = 0;
    for (outbox_action *a = ob->head; a != NULL; a = a->next)
        pending++;
    if (result == GW_OK && pending > 0)
        log_info(&rt->log, COMPONENT, "%zu action%s to send from before the restart", pending,
                 pending == 1 ? "" : "s");
    return result;
}

int outbox_open(gw_runtime *rt, outbox **out, char *err, size_t errlen)
{
    *out = NULL;
    outbox *ob = calloc(1, sizeof *ob);
    if (ob == NULL || (ob->busy = calloc(rt->account_count + 1, sizeof *ob->busy)) == NULL) {
        free(ob);
        snprintf(err, errlen, "outbox: out of memory");
        return GW_ENOMEM;
    }
    ob->rt = rt;
    ob->max_attempts = (unsigned)json_integer_value(json_object_get(rt->cfg->api, "max_attempts"));
    if (ob->max_attempts == 0) /* no [api] section (unit tests): the declared default */
        ob->max_attempts = 5;
    int rc = outbox_store_open(rt->store, &ob->db, err, errlen);
    if (rc == GW_OK) {
        ob->echo_candidates = outbox_store_count_results(ob->db);
        rc = recover(ob, err, errlen);
    }
    if (rc == GW_OK && (rc = store_commit(rt->store)) != GW_OK)
        snprintf(err, errlen, "outbox: %s", store_last_error(rt->store));
    if (rc != GW_OK) {
        outbox_close(ob);
        return rc;
    }
    uv_timer_init(&rt->loop, &ob->timer);
    ob->timer.data = ob;
    ob->timer_open = 1;
    outbox_prune_init(ob);
    *out = ob;
    return GW_OK;
}

void outbox_close(outbox *ob)
{
    if (ob == NULL)
        return;
    /* The timer must have been closed (outbox_quiesce) and the loop run. */
    while (ob->head != NULL) {
        outbox_action *a = ob->head;
        list_remove(ob, a);
        action_free(a);
    }
    outbox_store_close(ob->db);
    free(ob->busy);
    free(ob);
}
