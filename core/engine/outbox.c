/* outbox.c - the durable outbox of actions; see outbox.h for the contract
 * and docs/design.md ("Actions and the outbox") for the reasoning.
 *
 * Owns: the outbox table and its prepared statements (on the store's
 * connection, inside the store's per-tick transaction), the in-memory list
 * of actions still to send (queued, sending, retrying) and one timer that
 * wakes the scheduler when the next retry is due.
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
#define _GNU_SOURCE /* getrandom */
#include "engine/outbox.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/types.h>

#include <sqlite3.h>

#include "engine/account.h"
#include "base/clock.h"
#include "gateway/sdk.h"

#define COMPONENT "outbox"

/* Bump with a migration step in outbox_schema_check when the layout
 * changes; recorded in the store's meta table. */
#define OUTBOX_SCHEMA_VERSION 1

/* After a database error while starting a send, try the scheduler again
 * this much later rather than spin. */
#define OUTBOX_STORE_RETRY_MS 1000

static const char outbox_schema[] =
    "CREATE TABLE IF NOT EXISTS outbox ("
    " id TEXT PRIMARY KEY,"
    " idempotency_key TEXT NOT NULL UNIQUE,"
    " network TEXT NOT NULL,"
    " account TEXT NOT NULL,"
    " kind TEXT NOT NULL," /* reply | private */
    " in_reply_to TEXT,"   /* the event id answered, as given */
    " reply_native TEXT,"  /* that event's native id */
    " thread TEXT,"        /* collision key (replies), DM thread */
    " recipient TEXT,"     /* private: who receives it */
    " to_given TEXT,"      /* the request's "to", for idempotency */
    " text TEXT NOT NULL,"
    " force INTEGER NOT NULL,"
    " state TEXT NOT NULL,"
    " attempts INTEGER NOT NULL,"
    " next_at_ms INTEGER NOT NULL," /* retrying: earliest next attempt */
    " created_ms INTEGER NOT NULL,"
    " updated_ms INTEGER NOT NULL,"
    " result_native_id TEXT,"
    " result_url TEXT,"
    " reason TEXT);"
    "CREATE INDEX IF NOT EXISTS outbox_thread ON outbox(network, account, thread)"
    " WHERE kind = 'reply';"
    "CREATE INDEX IF NOT EXISTS outbox_result ON outbox(network, account, result_native_id)"
    " WHERE result_native_id IS NOT NULL;"
    "CREATE INDEX IF NOT EXISTS outbox_open ON outbox(state)"
    " WHERE state IN ('queued', 'sending', 'retrying');";

/* Columns of every row read, in this order (the COL_ indices). */
#define OUTBOX_COLUMNS                                                                             \
    "id, idempotency_key, network, account, kind, in_reply_to, reply_native, thread,"              \
    " recipient, to_given, text, force, state, attempts, next_at_ms, created_ms,"                  \
    " updated_ms, result_native_id, result_url, reason"
enum {
    COL_ID,
    COL_KEY,
    COL_NETWORK,
    COL_ACCOUNT,
    COL_KIND,
    COL_IN_REPLY_TO,
    COL_REPLY_NATIVE,
    COL_THREAD,
    COL_RECIPIENT,
    COL_TO_GIVEN,
    COL_TEXT,
    COL_FORCE,
    COL_STATE,
    COL_ATTEMPTS,
    COL_NEXT_AT,
    COL_CREATED,
    COL_UPDATED,
    COL_RESULT_NATIVE,
    COL_RESULT_URL,
    COL_REASON
};

typedef enum action_state {
    ST_QUEUED,
    ST_SENDING,
    ST_RETRYING,
    ST_SUCCEEDED,
    ST_FAILED
} action_state;

static const char *const state_names[] = {"queued", "sending", "retrying", "succeeded", "failed"};
static const char *const kind_names[] = {"reply", "private"};

/* An action still to send. Strings are owned. */
typedef struct outbox_action {
    struct outbox_action *prev, *next;
    outbox *ob;
    char *id, *key, *network, *account, *in_reply_to, *reply_native, *thread, *recipient, *text;
    outbox_kind kind;
    action_state state;        /* queued, sending or retrying */
    action_state resume_state; /* what "sending" reverts to if never sent */
    unsigned attempts;
    uint64_t next_at_ms;
    int in_flight;      /* from step 1 until the plugin completes */
    int waiting_logged; /* "account not running" said once */
} outbox_action;

struct outbox {
    gw_runtime *rt; /* borrowed */
    sqlite3 *db;    /* borrowed from rt->store */
    unsigned max_attempts;
    int started, quiesced;
    uv_timer_t timer; /* wakes the scheduler for the next retry */
    int timer_open;
    outbox_action *head, *tail; /* still to send, in acceptance order */
    gw_account **busy;          /* scratch for the scheduler: one per account */
    uint64_t echo_candidates;   /* rows with a result id; 0 skips the query */
    pipeline_stats events;      /* the action.* events appended */
    outbox_stats stats;

    sqlite3_stmt *insert, *by_key, *by_id, *collision, *update, *echo, *open_rows;
    sqlite3_stmt *savepoint, *release, *rollback_to;
};

/* ---- small helpers ------------------------------------------------------ */

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

static const char *column_text(sqlite3_stmt *st, int col)
{
    return (const char *)sqlite3_column_text(st, col);
}

static json_t *json_string_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

/* Bind a string or NULL; the text stays the caller's until the step. */
static void bind_text(sqlite3_stmt *st, int index, const char *s)
{
    if (s != NULL)
        sqlite3_bind_text(st, index, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, index);
}

static int parse_state(const char *name, action_state *out)
{
    for (size_t i = 0; i < sizeof state_names / sizeof state_names[0]; i++) {
        if (name != NULL && strcmp(name, state_names[i]) == 0) {
            *out = (action_state)i;
            return GW_OK;
        }
    }
    return GW_EINVAL;
}

/* Unicode code points in a valid UTF-8 string (jansson only hands out
 * valid UTF-8): every byte that does not continue a sequence starts one. */
static size_t utf8_length(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* "act_" and 20 hex digits from the kernel's random source; ids must not
 * be guessable from one another, since GET /v1/actions/<id> shows the
 * text. Falls back to the runtime's PRNG mixed with the clock. */
static void make_action_id(outbox *ob, char *buf, size_t len)
{
    unsigned char r[10];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
        uint64_t a = backoff_next(&ob->rt->rng) ^ clock_wall_ms();
        uint64_t b = backoff_next(&ob->rt->rng);
        memcpy(r, &a, 8);
        memcpy(r + 8, &b, 2);
    }
    int n = snprintf(buf, len, "act_");
    for (size_t i = 0; i < sizeof r && n > 0 && (size_t)n + 2 < len; i++)
        n += snprintf(buf + n, len - (size_t)n, "%02x", r[i]);
}

static void format_time(uint64_t ms, char *buf, size_t len)
{
    if (gw_sdk_time_format((int64_t)ms, buf, len) < 0)
        snprintf(buf, len, "1970-01-01T00:00:00Z");
}

/* Run a statement that returns no rows and reset it; a failure is
 * reported to the store (which notices a rolled-back tick). */
static int exec_stmt(outbox *ob, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE)
        return store_write_failed(ob->rt->store, rc, what);
    return GW_OK;
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
static outbox_action *action_from_row(outbox *ob, sqlite3_stmt *st, action_state state)
{
    outbox_action *a = calloc(1, sizeof *a);
    if (a == NULL)
        return NULL;
    a->ob = ob;
    a->id = dup_or_null(column_text(st, COL_ID));
    a->key = dup_or_null(column_text(st, COL_KEY));
    a->network = dup_or_null(column_text(st, COL_NETWORK));
    a->account = dup_or_null(column_text(st, COL_ACCOUNT));
    a->in_reply_to = dup_or_null(column_text(st, COL_IN_REPLY_TO));
    a->reply_native = dup_or_null(column_text(st, COL_REPLY_NATIVE));
    a->thread = dup_or_null(column_text(st, COL_THREAD));
    a->recipient = dup_or_null(column_text(st, COL_RECIPIENT));
    a->text = dup_or_null(column_text(st, COL_TEXT));
    const char *kind = column_text(st, COL_KIND);
    a->kind = kind != NULL && strcmp(kind, "private") == 0 ? OUTBOX_PRIVATE : OUTBOX_REPLY;
    a->state = a->resume_state = state;
    a->attempts = (unsigned)sqlite3_column_int64(st, COL_ATTEMPTS);
    a->next_at_ms = (uint64_t)sqlite3_column_int64(st, COL_NEXT_AT);
    if (a->id == NULL || a->key == NULL || a->network == NULL || a->account == NULL ||
        a->text == NULL) {
        action_free(a);
        return NULL;
    }
    return a;
}

/* ---- writing states and events ---------------------------------------- */

/* Write the row's state. result_native, url and reason may be NULL. */
static int write_state(outbox_action *a, action_state state, const char *result_native,
                       const char *url, const char *reason)
{
    outbox *ob = a->ob;
    int rc = store_write_begin(ob->rt->store);
    if (rc != GW_OK)
        return rc;
    sqlite3_stmt *st = ob->update;
    bind_text(st, 1, a->id);
    bind_text(st, 2, state_names[state]);
    sqlite3_bind_int64(st, 3, a->attempts);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)a->next_at_ms);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)clock_wall_ms());
    bind_text(st, 6, result_native);
    bind_text(st, 7, url);
    bind_text(st, 8, reason);
    return exec_stmt(ob, st, "outbox: update an action");
}

/* Only an http(s) URL without spaces may become the event's "url" (the
 * schema's format); anything else stays in detail only. */
static int url_is_linkable(const char *url)
{
    if (url == NULL || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
        return 0;
    return strpbrk(url, " \t\r\n") == NULL;
}

/* The action.succeeded / action.failed event of a final state. Ownership:
 * returns a new object (caller passes it on or decrefs), NULL on ENOMEM. */
static json_t *outcome_event(const outbox_action *a, int succeeded, const char *result_native,
                             const char *url, const char *reason, int outcome_unknown)
{
    char native[96];
    snprintf(native, sizeof native, "action:%s", a->id);
    json_t *detail = json_pack(
        "{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:I}", "action_id", a->id, "kind", kind_names[a->kind],
        "idempotency_key", a->key, "in_reply_to", json_string_or_null(a->reply_native), "native_id",
        json_string_or_null(result_native), "url", json_string_or_null(url), "to",
        json_string_or_null(a->recipient), "attempts", (json_int_t)(a->attempts ? a->attempts : 1));
    if (detail == NULL)
        return NULL;
    if (!succeeded &&
        (json_object_set_new(detail, "reason", json_string(reason ? reason : "")) ||
         json_object_set_new(detail, "outcome_unknown", json_boolean(outcome_unknown)))) {
        json_decref(detail);
        return NULL;
    }
    /* The event mirrors the answer: a public reply is public, a private
     * message private, so a consumer can tell what the customer saw. */
    json_t *ev = json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:o}", "type",
                           succeeded ? "action.succeeded" : "action.failed", "visibility",
                           a->kind == OUTBOX_REPLY ? "public" : "private", "native_id", native,
                           "thread_id", json_string_or_null(a->thread), "in_reply_to",
                           json_string_or_null(a->reply_native), "text", a->text, "detail", detail);
    if (ev != NULL && succeeded && url_is_linkable(url) &&
        json_object_set_new(ev, "url", json_string(url)) != 0) {
        json_decref(ev);
        return NULL;
    }
    return ev;
}

/* Write a final state and its event in one savepoint: both commit with
 * the tick, or neither does. The row goes first so that a failure of the
 * append (last) leaves the store's seq counter untouched by the rollback. */
static int write_final(outbox_action *a, int succeeded, const char *result_native, const char *url,
                       const char *reason, int outcome_unknown)
{
    outbox *ob = a->ob;
    store *st = ob->rt->store;
    int rc = store_write_begin(st);
    if (rc != GW_OK)
        return rc;
    if ((rc = exec_stmt(ob, ob->savepoint, "outbox: savepoint")) != GW_OK)
        return rc;
    rc = write_state(a, succeeded ? ST_SUCCEEDED : ST_FAILED, result_native, url, reason);
    if (rc == GW_OK) {
        json_t *ev = outcome_event(a, succeeded, result_native, url, reason, outcome_unknown);
        rc = ev == NULL ? GW_ENOMEM
                        : pipeline_ingest_host(st, a->network, a->account, ev, clock_wall_ms(),
                                               &ob->events);
        rc = rc < 0 ? rc : GW_OK;
    }
    if (rc != GW_OK) {
        /* Harmless when SQLite already rolled the whole tick back. */
        sqlite3_step(ob->rollback_to);
        sqlite3_reset(ob->rollback_to);
    }
    sqlite3_step(ob->release);
    sqlite3_reset(ob->release);
    return rc;
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
    int rc = write_final(a, succeeded, result_native, url, reason, outcome_unknown);
    if (rc != GW_OK)
        log_error(&rt->log, label, "action %s: could not record its outcome (%s): %s", a->id,
                  succeeded ? "succeeded" : "failed", store_last_error(rt->store));
    if (succeeded) {
        ob->stats.succeeded++;
        if (result_native != NULL)
            ob->echo_candidates++;
        log_info(&rt->log, label, "action %s (%s) succeeded: %s", a->id, kind_names[a->kind],
                 result_native ? result_native : "(the network gave no id)");
    } else {
        ob->stats.failed++;
        log_warn(&rt->log, label, "action %s (%s) failed after %u attempt%s: %s", a->id,
                 kind_names[a->kind], a->attempts, a->attempts == 1 ? "" : "s",
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
    if (write_state(a, a->state, NULL, NULL, NULL) != GW_OK)
        log_error(&a->ob->rt->log, COMPONENT,
                  "action %s: could not put it back in the queue: %s (after a restart it is "
                  "reported with an unknown outcome)",
                  a->id, store_last_error(a->ob->rt->store));
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
            if (write_state(a, ST_RETRYING, NULL, NULL, NULL) != GW_OK)
                log_error(&rt->log, COMPONENT, "action %s: could not record the retry: %s", a->id,
                          store_last_error(rt->store));
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
    gw_account *acct = runtime_find_account(rt, a->network, a->account);
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
              kind_names[a->kind]);
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
    int rc = write_state(a, ST_SENDING, NULL, NULL, NULL);
    if (rc == GW_OK && runtime_after_commit(ob->rt, send_after_commit, a) == GW_OK)
        return;
    log_error(&ob->rt->log, COMPONENT, "action %s: cannot start an attempt: %s", a->id,
              rc != GW_OK ? store_last_error(ob->rt->store) : "out of memory");
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
        gw_account *acct = runtime_find_account(rt, a->network, a->account);
        if (acct != NULL && nbusy < rt->account_count)
            ob->busy[nbusy++] = acct;
    }
    uint64_t now = clock_wall_ms(), next = UINT64_MAX;
    for (outbox_action *a = ob->head, *following; a != NULL; a = following) {
        following = a->next;
        if (a->in_flight)
            continue;
        gw_account *acct = runtime_find_account(rt, a->network, a->account);
        if (acct == NULL) {
            if (!a->waiting_logged)
                log_warn(&rt->log, COMPONENT,
                         "action %s waits: account %s/%s is not running (it is sent once the "
                         "account runs again)",
                         a->id, a->network, a->account);
            a->waiting_logged = 1;
            continue;
        }
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
    schedule(ob);
}

void outbox_quiesce(outbox *ob)
{
    if (ob == NULL || ob->quiesced)
        return;
    ob->quiesced = 1;
    if (ob->timer_open) {
        uv_timer_stop(&ob->timer);
        uv_close((uv_handle_t *)&ob->timer, NULL);
        ob->timer_open = 0;
    }
}

/* ---- submitting ------------------------------------------------------------ */

static void verdict(outbox_result *res, outbox_verdict v, const char *fmt, ...) GW_PRINTF(3, 4);

static void verdict(outbox_result *res, outbox_verdict v, const char *fmt, ...)
{
    va_list ap;
    res->verdict = v;
    va_start(ap, fmt);
    vsnprintf(res->message, sizeof res->message, fmt, ap);
    va_end(ap);
}

static int same_text(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* The key is known: the same request gets its action back, a different
 * one is refused (a key reused by mistake must not hide a new answer). */
static void check_repeat(sqlite3_stmt *st, const outbox_request *req, outbox_result *res)
{
    const char *id = column_text(st, COL_ID);
    snprintf(res->action_id, sizeof res->action_id, "%s", id ? id : "");
    if (same_text(column_text(st, COL_NETWORK), req->network) &&
        same_text(column_text(st, COL_ACCOUNT), req->account) &&
        same_text(column_text(st, COL_KIND), kind_names[req->kind]) &&
        same_text(column_text(st, COL_IN_REPLY_TO), req->in_reply_to) &&
        same_text(column_text(st, COL_TO_GIVEN), req->to) &&
        same_text(column_text(st, COL_TEXT), req->text)) {
        verdict(res, OUTBOX_EXISTING, "the idempotency key names action %s", res->action_id);
        return;
    }
    verdict(res, OUTBOX_KEY_REUSED,
            "the idempotency key was already used for a different request (action %s); use a "
            "new key for a new answer",
            id ? id : "?");
}

/* Look the key up; 1 when found (res filled), 0 when new, or GW_E*. */
static int lookup_key(outbox *ob, const outbox_request *req, outbox_result *res)
{
    sqlite3_stmt *st = ob->by_key;
    bind_text(st, 1, req->idempotency_key);
    int rc = sqlite3_step(st), found = 0;
    if (rc == SQLITE_ROW) {
        check_repeat(st, req, res);
        found = 1;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_write_failed(ob->rt->store, rc, "outbox: look up an idempotency key");
    return found;
}

/* The reply of this account already in the thread (not failed): its id
 * into other. Returns 1 when there is one, 0 when not, or GW_E*. */
static int lookup_collision(outbox *ob, const char *network, const char *account,
                            const char *thread, char *other, size_t len)
{
    sqlite3_stmt *st = ob->collision;
    bind_text(st, 1, network);
    bind_text(st, 2, account);
    bind_text(st, 3, thread);
    int rc = sqlite3_step(st), found = 0;
    if (rc == SQLITE_ROW) {
        const char *id = column_text(st, 0);
        snprintf(other, len, "%s", id ? id : "");
        found = 1;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_write_failed(ob->rt->store, rc, "outbox: look for a collision");
    return found;
}

/* What the answered event tells: its native id, the thread, the author.
 * The strings point into ev (borrowed with it). */
typedef struct answered_item {
    json_t *ev;         /* owned */
    const char *native; /* native_id */
    const char *thread; /* thread_id, or NULL */
    const char *author; /* author.id, or NULL */
    int is_private;
} answered_item;

/* Find the event answered and check it belongs to the account. Returns 0
 * and fills item, or sets a refusal verdict and returns 1, or GW_E*. */
static int load_answered(outbox *ob, const outbox_request *req, answered_item *item,
                         outbox_result *res)
{
    int rc = store_event_get(ob->rt->store, req->in_reply_to, &item->ev);
    if (rc == GW_ENOENT) {
        verdict(res, OUTBOX_UNKNOWN_EVENT,
                "no event \"%s\" in the log (in_reply_to takes an "
                "event id such as \"mock:123\")",
                req->in_reply_to);
        return 1;
    }
    if (rc != GW_OK)
        return rc;
    const json_t *ev = item->ev;
    const char *network = json_string_value(json_object_get(ev, "network"));
    const char *account = json_string_value(json_object_get(ev, "account"));
    if (!same_text(network, req->network) || !same_text(account, req->account)) {
        verdict(res, OUTBOX_UNKNOWN_EVENT, "event \"%s\" belongs to %s/%s, not to %s/%s",
                req->in_reply_to, network ? network : "?", account ? account : "?", req->network,
                req->account);
        return 1;
    }
    const char *type = json_string_value(json_object_get(ev, "type"));
    if (type == NULL || strchr(type, '.') != NULL) {
        verdict(res, OUTBOX_NOT_ANSWERABLE,
                "event \"%s\" is a gateway event (%s), not an item a customer wrote",
                req->in_reply_to, type ? type : "no type");
        return 1;
    }
    item->native = json_string_value(json_object_get(ev, "native_id"));
    item->thread = json_string_value(json_object_get(ev, "thread_id"));
    if (item->thread != NULL && item->thread[0] == '\0')
        item->thread = NULL;
    item->author = json_string_value(json_object_get(json_object_get(ev, "author"), "id"));
    const char *vis = json_string_value(json_object_get(ev, "visibility"));
    item->is_private = vis != NULL && strcmp(vis, "private") == 0;
    return 0;
}

static int insert_row(outbox *ob, const char *id, const outbox_request *req,
                      const answered_item *item, const char *thread, const char *recipient)
{
    int rc = store_write_begin(ob->rt->store);
    if (rc != GW_OK)
        return rc;
    uint64_t now = clock_wall_ms();
    sqlite3_stmt *st = ob->insert;
    bind_text(st, 1, id);
    bind_text(st, 2, req->idempotency_key);
    bind_text(st, 3, req->network);
    bind_text(st, 4, req->account);
    bind_text(st, 5, kind_names[req->kind]);
    bind_text(st, 6, req->in_reply_to);
    bind_text(st, 7, item->native);
    bind_text(st, 8, thread);
    bind_text(st, 9, recipient);
    bind_text(st, 10, req->to);
    bind_text(st, 11, req->text);
    sqlite3_bind_int(st, 12, req->force != 0);
    sqlite3_bind_int64(st, 13, (sqlite3_int64)now);
    return exec_stmt(ob, st, "outbox: queue an action");
}

/* Everything after the idempotency check; res says the verdict. */
static int submit_new(outbox *ob, const outbox_request *req, outbox_result *res,
                      answered_item *item)
{
    gw_runtime *rt = ob->rt;
    gw_account *acct = runtime_find_account(rt, req->network, req->account);
    if (acct == NULL) {
        verdict(res, OUTBOX_UNKNOWN_ACCOUNT, "no running account %s/%s", req->network,
                req->account);
        return GW_OK;
    }
    uint32_t need = req->kind == OUTBOX_PRIVATE ? GW_CAP_SEND_PRIVATE : GW_CAP_POST_PUBLIC;
    if (!(account_capabilities(acct) & need)) {
        verdict(res, OUTBOX_UNSUPPORTED, "the %s network cannot %s", req->network,
                req->kind == OUTBOX_PRIVATE ? "send private messages" : "post public replies");
        return GW_OK;
    }
    if (req->in_reply_to != NULL) {
        int rc = load_answered(ob, req, item, res);
        if (rc != 0)
            return rc < 0 ? rc : GW_OK;
        /* A private message has no public thread to reply in. */
        if (req->kind == OUTBOX_REPLY && item->is_private) {
            verdict(res, OUTBOX_NOT_ANSWERABLE,
                    "event \"%s\" is a private message; answer it with kind \"private\"",
                    req->in_reply_to);
            return GW_OK;
        }
    }
    /* Replies collide on the thread; a private answer to a public item
     * goes to its author, and a private answer to a message stays in
     * that conversation. */
    const char *thread = NULL, *recipient = req->to;
    if (req->kind == OUTBOX_REPLY)
        thread = item->thread != NULL ? item->thread : item->native;
    else if (item->is_private)
        thread = item->thread;
    if (req->kind == OUTBOX_PRIVATE && recipient == NULL) {
        recipient = item->author;
        if (recipient == NULL) {
            verdict(res, OUTBOX_NO_RECIPIENT,
                    "event \"%s\" names no author to write to; give \"to\"", req->in_reply_to);
            return GW_OK;
        }
    }
    size_t limit = account_max_text_length(acct);
    if (limit == 0 || limit > OUTBOX_TEXT_MAX)
        limit = OUTBOX_TEXT_MAX;
    size_t length = utf8_length(req->text);
    if (length > limit) {
        res->limit = limit;
        res->length = length;
        verdict(res, OUTBOX_TEXT_TOO_LONG, "the text has %zu characters; %s takes at most %zu",
                length, req->network, limit);
        return GW_OK;
    }
    if (req->kind == OUTBOX_REPLY && !req->force) {
        int rc = lookup_collision(ob, req->network, req->account, thread, res->action_id,
                                  sizeof res->action_id);
        if (rc < 0)
            return rc;
        if (rc == 1) {
            verdict(res, OUTBOX_COLLISION,
                    "thread %s already has reply %s; send \"force\": true to reply anyway", thread,
                    res->action_id);
            return GW_OK;
        }
    }
    if (ob->quiesced || rt->stopping) {
        verdict(res, OUTBOX_STOPPING,
                "the gateway is shutting down; send the action again "
                "after it restarts");
        return GW_OK;
    }

    char id[48];
    make_action_id(ob, id, sizeof id);
    int rc = insert_row(ob, id, req, item, thread, recipient);
    if (rc != GW_OK)
        return rc;
    sqlite3_stmt *st = ob->by_id;
    bind_text(st, 1, id);
    outbox_action *a = sqlite3_step(st) == SQLITE_ROW ? action_from_row(ob, st, ST_QUEUED) : NULL;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (a == NULL) {
        /* The row stays queued and is sent after the next restart. */
        log_error(&rt->log, COMPONENT, "action %s queued but not scheduled: out of memory", id);
    } else {
        list_append(ob, a);
        /* Not now: the first attempt waits for the commit that makes the
         * row durable, and a timer runs after this tick's commit. */
        if (ob->timer_open)
            uv_timer_start(&ob->timer, timer_cb, 0, 0);
    }
    ob->stats.accepted++;
    snprintf(res->action_id, sizeof res->action_id, "%s", id);
    verdict(res, OUTBOX_CREATED, "queued");
    log_info(&rt->log, account_label(acct), "action %s (%s%s) queued%s%s", id,
             kind_names[req->kind], req->force ? ", forced" : "",
             req->in_reply_to ? " in reply to " : "", req->in_reply_to ? req->in_reply_to : "");
    return GW_OK;
}

int outbox_submit(outbox *ob, const outbox_request *req, outbox_result *res)
{
    memset(res, 0, sizeof *res);
    if (ob == NULL || req == NULL || req->network == NULL || req->account == NULL ||
        req->text == NULL || req->idempotency_key == NULL ||
        (req->kind == OUTBOX_REPLY && req->in_reply_to == NULL) ||
        (req->kind == OUTBOX_PRIVATE && req->in_reply_to == NULL && req->to == NULL))
        return GW_EINVAL;
    int rc = lookup_key(ob, req, res);
    if (rc == 1) {
        if (res->verdict == OUTBOX_EXISTING)
            ob->stats.replayed++;
        return GW_OK;
    }
    answered_item item = {0};
    if (rc == 0)
        rc = submit_new(ob, req, res, &item);
    json_decref(item.ev);
    if (rc < 0) {
        res->action_id[0] = '\0';
        verdict(res, OUTBOX_STORE_ERROR, "the outbox could not be read or written; try again");
        log_error(&ob->rt->log, COMPONENT, "submitting an action: %s",
                  store_last_error(ob->rt->store));
    }
    return GW_OK;
}

/* ---- reading --------------------------------------------------------------- */

static json_t *time_or_null(sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return json_null();
    char buf[GW_SDK_RFC3339_SIZE];
    format_time((uint64_t)sqlite3_column_int64(st, col), buf, sizeof buf);
    return json_string(buf);
}

static json_t *column_or_null(sqlite3_stmt *st, int col)
{
    return json_string_or_null(column_text(st, col));
}

/* Ownership: returns a new object (caller decrefs) or NULL on ENOMEM. */
static json_t *row_document(sqlite3_stmt *st)
{
    const char *state = column_text(st, COL_STATE);
    json_t *next_at = state != NULL && strcmp(state, "retrying") == 0
                          ? time_or_null(st, COL_NEXT_AT)
                          : json_null();
    return json_pack(
        "{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:I, s:o, s:o, s:o, "
        "s:o, s:o, s:o}",
        "id", column_or_null(st, COL_ID), "state", column_or_null(st, COL_STATE), "network",
        column_or_null(st, COL_NETWORK), "account", column_or_null(st, COL_ACCOUNT), "kind",
        column_or_null(st, COL_KIND), "in_reply_to", column_or_null(st, COL_IN_REPLY_TO), "to",
        column_or_null(st, COL_RECIPIENT), "text", column_or_null(st, COL_TEXT), "idempotency_key",
        column_or_null(st, COL_KEY), "force", sqlite3_column_int(st, COL_FORCE) != 0, "attempts",
        (json_int_t)sqlite3_column_int64(st, COL_ATTEMPTS), "created_at",
        time_or_null(st, COL_CREATED), "updated_at", time_or_null(st, COL_UPDATED),
        "next_attempt_at", next_at, "native_id", column_or_null(st, COL_RESULT_NATIVE), "url",
        column_or_null(st, COL_RESULT_URL), "reason", column_or_null(st, COL_REASON));
}

int outbox_action_get(outbox *ob, const char *id, json_t **out)
{
    *out = NULL;
    sqlite3_stmt *st = ob->by_id;
    bind_text(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = row_document(st);
        rc = *out != NULL ? GW_OK : GW_ENOMEM;
    } else if (rc == SQLITE_DONE) {
        rc = GW_ENOENT;
    } else {
        rc = store_write_failed(ob->rt->store, rc, "outbox: read an action");
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

int outbox_is_echo(void *arg, const char *network, const char *account, const json_t *event)
{
    outbox *ob = arg;
    const char *native = json_string_value(json_object_get(event, "native_id"));
    if (ob == NULL || ob->echo_candidates == 0 || native == NULL)
        return 0;
    sqlite3_stmt *st = ob->echo;
    bind_text(st, 1, network);
    bind_text(st, 2, account);
    bind_text(st, 3, native);
    int rc = sqlite3_step(st), echo = 0;
    if (rc == SQLITE_ROW) {
        echo = 1;
        ob->stats.echoes++;
        char label[256];
        snprintf(label, sizeof label, "%s/%s", network, account);
        log_debug(&ob->rt->log, label, "dropped item %s: our own post (action %s) coming back",
                  native, column_text(st, 0) ? column_text(st, 0) : "?");
    } else if (rc != SQLITE_DONE) {
        store_write_failed(ob->rt->store, rc, "outbox: echo lookup");
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return echo;
}

const outbox_stats *outbox_stats_get(const outbox *ob)
{
    return &ob->stats;
}

/* ---- open / close ---------------------------------------------------------- */

static int prepare_all(outbox *ob)
{
    const struct {
        sqlite3_stmt **slot;
        const char *sql;
    } stmts[] = {
        {&ob->insert,
         "INSERT INTO outbox (id, idempotency_key, network, account, kind, in_reply_to,"
         " reply_native, thread, recipient, to_given, text, force, state, attempts, next_at_ms,"
         " created_ms, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
         " 'queued', 0, 0, ?13, ?13)"},
        {&ob->by_key, "SELECT " OUTBOX_COLUMNS " FROM outbox WHERE idempotency_key = ?1"},
        {&ob->by_id, "SELECT " OUTBOX_COLUMNS " FROM outbox WHERE id = ?1"},
        {&ob->collision,
         "SELECT id FROM outbox WHERE network = ?1 AND account = ?2 AND thread = ?3 AND"
         " kind = 'reply' AND state <> 'failed' ORDER BY rowid LIMIT 1"},
        {&ob->update,
         "UPDATE outbox SET state = ?2, attempts = ?3, next_at_ms = ?4, updated_ms = ?5,"
         " result_native_id = coalesce(?6, result_native_id),"
         " result_url = coalesce(?7, result_url), reason = coalesce(?8, reason) WHERE id = ?1"},
        {&ob->echo,
         "SELECT id FROM outbox WHERE network = ?1 AND account = ?2 AND result_native_id = ?3"
         " LIMIT 1"},
        {&ob->open_rows, "SELECT " OUTBOX_COLUMNS " FROM outbox WHERE state IN ('queued',"
                         " 'sending', 'retrying') ORDER BY rowid"},
        {&ob->savepoint, "SAVEPOINT outbox_final"},
        {&ob->release, "RELEASE outbox_final"},
        {&ob->rollback_to, "ROLLBACK TO outbox_final"},
    };
    for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++) {
        int rc = sqlite3_prepare_v3(ob->db, stmts[i].sql, -1, SQLITE_PREPARE_PERSISTENT,
                                    stmts[i].slot, NULL);
        if (rc != SQLITE_OK)
            return store_write_failed(ob->rt->store, rc, "outbox: preparing statements");
    }
    return GW_OK;
}

/* Create the table, or refuse a layout written by a newer gateway. */
static int schema_check(outbox *ob, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    sqlite3_int64 version = 0;
    int rc = sqlite3_prepare_v2(ob->db, "SELECT value FROM meta WHERE key = 'outbox_schema'", -1,
                                &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
        version = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        snprintf(err, errlen, "outbox: reading its schema version: %s", sqlite3_errmsg(ob->db));
        return GW_EIO;
    }
    if (version > OUTBOX_SCHEMA_VERSION) {
        snprintf(err, errlen,
                 "outbox: schema version %lld is newer than this gateway knows (%d); run the "
                 "newer gateway or restore a backup",
                 (long long)version, OUTBOX_SCHEMA_VERSION);
        return GW_EUNSUPPORTED;
    }
    char *msg = NULL;
    if ((rc = store_write_begin(ob->rt->store)) != GW_OK ||
        sqlite3_exec(ob->db, outbox_schema, NULL, NULL, &msg) != SQLITE_OK ||
        sqlite3_exec(ob->db,
                     "INSERT INTO meta (key, value) VALUES ('outbox_schema', 1)"
                     " ON CONFLICT (key) DO NOTHING",
                     NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "outbox: creating its table: %s",
                 msg ? msg : store_last_error(ob->rt->store));
        sqlite3_free(msg);
        return rc != GW_OK ? rc : GW_EIO;
    }
    return GW_OK;
}

/* Load the actions still open. A row left "sending" had its hook called
 * (or about to be) when the gateway stopped: fail it as unknown rather
 * than risk a second post. */
static int recover(outbox *ob, char *err, size_t errlen)
{
    gw_runtime *rt = ob->rt;
    sqlite3_stmt *st = ob->open_rows;
    outbox_action *interrupted = NULL;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        action_state state = ST_QUEUED;
        if (parse_state(column_text(st, COL_STATE), &state) != GW_OK)
            continue;
        outbox_action *a = action_from_row(ob, st, state);
        if (a == NULL) {
            rc = SQLITE_NOMEM;
            break;
        }
        if (state == ST_SENDING) {
            a->next = interrupted; /* handled after the walk ends */
            interrupted = a;
        } else {
            list_append(ob, a);
        }
    }
    sqlite3_reset(st);
    int result = GW_OK;
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "outbox: loading open actions: %s", sqlite3_errmsg(ob->db));
        result = rc == SQLITE_NOMEM ? GW_ENOMEM : GW_EIO;
    }
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
    ob->db = store_db(rt->store);
    ob->max_attempts = (unsigned)json_integer_value(json_object_get(rt->cfg->api, "max_attempts"));
    if (ob->max_attempts == 0) /* no [api] section (unit tests): the declared default */
        ob->max_attempts = 5;
    int rc = schema_check(ob, err, errlen);
    if (rc == GW_OK && (rc = prepare_all(ob)) != GW_OK)
        snprintf(err, errlen, "%s", store_last_error(rt->store));
    if (rc == GW_OK) {
        sqlite3_int64 candidates = 0;
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(ob->db,
                               "SELECT count(*) FROM outbox WHERE result_native_id IS NOT NULL", -1,
                               &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            candidates = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        ob->echo_candidates = (uint64_t)candidates;
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
    sqlite3_stmt **all[] = {&ob->insert,  &ob->by_key,     &ob->by_id,     &ob->collision,
                            &ob->update,  &ob->echo,       &ob->open_rows, &ob->savepoint,
                            &ob->release, &ob->rollback_to};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        sqlite3_finalize(*all[i]);
        *all[i] = NULL;
    }
    free(ob->busy);
    free(ob);
}
