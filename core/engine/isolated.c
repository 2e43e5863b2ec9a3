/* isolated.c - the gw_plugin an isolated account calls, and the
 * supervision of its child (see isolated.h): create() starts the child
 * and waits for its READY, hooks become frames, and a child that dies or
 * stops answering pings is reported once and restarted with backoff.
 * Frames from the child are isolated_frames.c's; the process and socket,
 * isolated_io.c's.
 */
#define _GNU_SOURCE /* asprintf */
#include "engine/isolated.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/backoff.h"
#include "base/clock.h"
#include "engine/account_host.h"
#include "engine/isolated_internal.h"

/* How long a child that exits on its own after the socket closed (its
 * plugin's destroy) gets before SIGKILL, at shutdown. */
#define EXIT_GRACE_MS 2000

static iso_proxy *of(gw_instance *inst)
{
    return (iso_proxy *)inst;
}

static void free_handle_cb(uv_handle_t *h)
{
    free(h);
}

int isolated_chosen(const json_t *gateway, const json_t *account, const char *network)
{
    const char *own = json_string_value(json_object_get(account, "isolation"));
    if (own != NULL)
        return strcmp(own, "process") == 0;
    const json_t *nets = json_object_get(gateway, "isolate_networks");
    for (size_t i = 0; i < json_array_size(nets); i++) {
        const char *n = json_string_value(json_array_get(nets, i));
        if (n != NULL && network != NULL && strcmp(n, network) == 0)
            return 1;
    }
    return 0;
}

/* ---- hooks ---------------------------------------------------------------- */

static void start_child(iso_proxy *px);

static json_t *action_json(const gw_action *a)
{
    json_t *j = json_object();
    const struct {
        const char *key, *value;
    } fields[] = {{"action_id", a->action_id}, {"idempotency_key", a->idempotency_key},
                  {"text", a->text},           {"in_reply_to", a->in_reply_to},
                  {"thread_id", a->thread_id}, {"to", a->to}};
    for (size_t i = 0; j != NULL && i < sizeof fields / sizeof fields[0]; i++) {
        if (fields[i].value != NULL)
            json_object_set_new(j, fields[i].key, json_string(fields[i].value));
    }
    if (j != NULL && a->in_reply_to_event != NULL)
        json_object_set(j, "in_reply_to_event", (json_t *)a->in_reply_to_event);
    return j;
}

static json_t *webhook_json(const gw_webhook_request *r)
{
    json_t *h = isolate_headers_json(r->headers, r->header_count);
    return json_pack("{s:s,s:s,s:o}", "method", r->method ? r->method : "GET", "query",
                     r->query ? r->query : "", "headers", h);
}

/* Send one hook to the child, or end it at once while there is none. */
static void hook(iso_proxy *px, gw_op *op, isolate_type type, json_t *json, const void *blob,
                 size_t blob_len)
{
    if (px->state == ISO_DOWN && px->restart == NULL && !px->rt->stopping && !px->dying)
        start_child(px); /* after the breaker stopped the account: a restart */
    /* While a dead child's last frames are read, a completion may start
     * the next action: it must not go to that child. */
    iso_op *o = px->state != ISO_DOWN && !px->dying ? calloc(1, sizeof *o) : NULL;
    if (o != NULL) {
        o->id = ++px->next_id;
        o->op = op;
        o->hook = type;
        if (iso_send(px, type, o->id, json, blob, blob_len) == 0) {
            o->next = px->ops;
            px->ops = o;
            json_decref(json);
            return;
        }
        free(o);
    }
    json_decref(json);
    uint64_t now = clock_monotonic_ms();
    uint64_t wait = px->restart_at_ms > now ? px->restart_at_ms - now : 0;
    px->host->complete(op, GW_OUTCOME_RETRY, wait,
                       "the plugin's process is restarting after a crash", NULL);
}

static void px_fetch(gw_instance *inst, gw_op *op)
{
    hook(of(inst), op, ISOLATE_T_FETCH, NULL, NULL, 0);
}

static void px_webhook(gw_instance *inst, gw_op *op, const gw_webhook_request *req)
{
    hook(of(inst), op, ISOLATE_T_WEBHOOK, webhook_json(req), req->body, req->body_len);
}

static void px_post_public(gw_instance *inst, gw_op *op, const gw_action *action)
{
    hook(of(inst), op, ISOLATE_T_POST_PUBLIC, action_json(action), NULL, 0);
}

static void px_send_private(gw_instance *inst, gw_op *op, const gw_action *action)
{
    hook(of(inst), op, ISOLATE_T_SEND_PRIVATE, action_json(action), NULL, 0);
}

/* ---- supervision ------------------------------------------------------------ */

static void restart_cb(uv_timer_t *t)
{
    iso_proxy *px = t->data;
    uv_close((uv_handle_t *)t, free_handle_cb);
    px->restart = NULL;
    if (!px->closing && !px->rt->stopping)
        start_child(px);
}

/* The hook the child was most likely in: the oldest one it has not
 * completed (it reads hooks in order and runs one at a time; those sent
 * after it wait in the socket), else a timer or callback of its own. */
static const char *crash_hook(const iso_proxy *px)
{
    const iso_op *oldest = px->ops;
    while (oldest != NULL && oldest->next != NULL)
        oldest = oldest->next;
    return oldest != NULL ? isolate_type_name((int)oldest->hook) : "a timer or callback";
}

/* Every hook the dead child held ends now: fetches and webhooks as RETRY
 * (nothing of theirs was committed that the next try will not bring
 * again), actions with their outcome unknown, as after a gateway crash:
 * the request may have left, so the outbox never sends them again. */
static void fail_ops(iso_proxy *px, const char *why)
{
    iso_op *list = px->ops;
    px->ops = NULL;
    while (list != NULL) {
        iso_op *o = list;
        list = o->next;
        if (o->hook == ISOLATE_T_POST_PUBLIC || o->hook == ISOLATE_T_SEND_PRIVATE)
            o->op->timed_out = 1; /* account_post_fn's "outcome unknown" */
        px->host->complete(o->op, GW_OUTCOME_RETRY, 0, why, NULL);
        free(o);
    }
}

static void child_exited(iso_proxy *px, int64_t status, int term_signal)
{
    px->dying = 1;
    iso_drain(px); /* what it wrote before dying counts: completions, events */
    px->dying = 0;
    if (px->proc != NULL) {
        uv_close((uv_handle_t *)px->proc, free_handle_cb);
        px->proc = NULL;
    }
    px->gen++; /* answers to its requests go nowhere now */
    px->state = ISO_DOWN;
    if (px->closing)
        return;
    gw_runtime *rt = px->rt;
    gw_account *acct = px->acct;
    const char *hook_name = crash_hook(px);
    char why[320];
    const char *sig_name = iso_signal_name(term_signal);
    if (px->kill_reason[0] != '\0')
        snprintf(why, sizeof why, "%s", px->kill_reason);
    else if (term_signal != 0)
        snprintf(why, sizeof why, "signal %d (%s)", term_signal, sig_name ? sig_name : "?");
    else if (px->ready_rc != 0)
        snprintf(why, sizeof why, "create failed: %s",
                 px->ready_message[0] ? px->ready_message : gw_strerror(px->ready_rc));
    else
        snprintf(why, sizeof why, "exit status %lld", (long long)status);
    char message[480];
    snprintf(message, sizeof message, "the plugin's process died in %s: %s", hook_name, why);
    px->crashes++;
    acct->stats.plugin_crashes++;
    int stopping = rt->stopping;
    int give_up = !stopping && px->crashes >= rt->max_failures;
    uint64_t delay = backoff_full_jitter(&rt->rng, rt->retry_base_ms, rt->retry_max_ms,
                                         px->crashes - 1);
    if (stopping || give_up)
        delay = 0;
    log_error(&rt->log, acct->label, "plugin %s crashed in %s: %s%s", acct->label, hook_name, why,
              stopping ? " (the gateway is stopping: not restarted)"
              : give_up ? "; not restarted (too many crashes in a row)"
                        : "");
    if (!stopping && !give_up)
        log_info(&rt->log, acct->label, "restarting the plugin's process in %llu ms (crash %u of %u "
                 "before the account stops)", (unsigned long long)delay, px->crashes,
                 rt->max_failures);
    json_t *detail = json_pack("{s:s, s:s, s:i, s:I, s:I}", "hook", hook_name, "reason", why,
                               "signal", term_signal, "crashes", (json_int_t)px->crashes,
                               "restart_in_ms", (json_int_t)delay);
    if (detail != NULL && sig_name != NULL && px->kill_reason[0] == '\0')
        json_object_set_new(detail, "signal_name", json_string(sig_name));
    account_host_event(acct, "account.crashed", detail);
    px->acct->stats.plugin_restarting = !stopping && !give_up;
    px->restart_at_ms = clock_monotonic_ms() + delay;
    if (!stopping && !give_up) {
        px->restart = calloc(1, sizeof *px->restart);
        if (px->restart != NULL) {
            uv_timer_init(&rt->loop, px->restart);
            px->restart->data = px;
            uv_timer_start(px->restart, restart_cb, delay, 0);
        }
    }
    /* Stopped first, so nothing the failed ops' callbacks start (the
     * outbox's next action, a fetch) spawns a child again. */
    if (give_up) {
        acct->fatal_streak = px->crashes;
        px->crashes = 0; /* a restart from the API starts counting again */
        px->ip->stop(acct, message);
    }
    fail_ops(px, message);
}

static void heartbeat_cb(uv_timer_t *t)
{
    iso_proxy *px = t->data;
    if (px->state == ISO_DOWN || px->pid <= 0)
        return;
    if (px->state == ISO_STARTING) {
        /* Starting (exec, dlopen, create) gets what create() gets at
         * start-up, not a heartbeat: a slow machine is not a hang. */
        if (clock_monotonic_ms() - px->spawned_ms > px->rt->fetch_timeout_ms) {
            snprintf(px->kill_reason, sizeof px->kill_reason,
                     "stopped answering (create did not return within %llu ms)",
                     (unsigned long long)px->rt->fetch_timeout_ms);
            kill(px->pid, SIGKILL);
        }
        return;
    }
    if (px->pong_seen < px->ping_sent) {
        snprintf(px->kill_reason, sizeof px->kill_reason,
                 "stopped answering (no heartbeat answer within %llu ms)",
                 (unsigned long long)px->ip->heartbeat_ms);
        kill(px->pid, SIGKILL); /* its exit is handled as a crash */
        return;
    }
    iso_send(px, ISOLATE_T_PING, ++px->ping_sent, NULL, NULL, 0);
}

static void send_init(iso_proxy *px)
{
    json_t *init = json_pack("{s:s, s:O}", "account", px->host->account_name(px->acct), "config",
                             px->host->config(px->acct));
    iso_send(px, ISOLATE_T_INIT, 0, init, NULL, 0);
    json_decref(init);
}

/* A restart: asynchronous, so other accounts never wait for it. Hooks
 * sent before READY are queued in the socket behind INIT. */
static void start_child(iso_proxy *px)
{
    char err[256];
    px->ready_rc = 0;
    px->ready_message[0] = '\0';
    if (iso_spawn(px, 0, err, sizeof err) != 0) {
        log_error(&px->rt->log, px->acct->label, "%s", err);
        child_exited(px, 1, 0);
        return;
    }
    px->state = ISO_STARTING;
    px->spawned_ms = clock_monotonic_ms();
    send_init(px);
}

/* ---- lifecycle -------------------------------------------------------------- */

static int ready_seen(const iso_proxy *px)
{
    return px->state == ISO_UP || px->ready_rc != 0;
}

static void px_destroy(gw_instance *inst)
{
    iso_proxy *px = of(inst);
    px->closing = 1;
    iso_close_child(px, EXIT_GRACE_MS);
    if (px->heartbeat != NULL)
        uv_close((uv_handle_t *)px->heartbeat, free_handle_cb);
    if (px->restart != NULL)
        uv_close((uv_handle_t *)px->restart, free_handle_cb);
    while (px->ops != NULL) {
        iso_op *o = px->ops;
        px->ops = o->next;
        free(o); /* their gw_ops die with the account (account_host_release) */
    }
    while (px->calls != NULL) {
        iso_call *c = px->calls;
        px->calls = c->next;
        free(c); /* the client cancels them without a callback */
    }
    isolate_buf_free(&px->in);
    free(px);
}

static int px_create(const gw_host *host, gw_account *acct, gw_instance **out, char *err,
                     size_t errlen)
{
    iso_proxy *px = calloc(1, sizeof *px);
    uv_timer_t *hb = calloc(1, sizeof *hb);
    if (px == NULL || hb == NULL) {
        free(px);
        free(hb);
        snprintf(err, errlen, "out of memory");
        return GW_ENOMEM;
    }
    px->acct = acct;
    px->host = host;
    px->rt = acct->rt;
    px->ip = (const iso_plugin *)acct->plugin;
    px->sync_fd = -1;
    px->on_frame = iso_on_frame;
    px->on_exit = child_exited;
    px->heartbeat = hb;
    uv_timer_init(&px->rt->loop, hb);
    hb->data = px;
    int rc = iso_spawn(px, 1, err, errlen);
    if (rc == 0) {
        px->state = ISO_STARTING;
        send_init(px);
        /* Start-up waits for create() as inline, so a refusal stops it
         * the same way; its emits, logs and kv reads are served meanwhile. */
        rc = iso_read_sync(px, ready_seen, px->rt->fetch_timeout_ms);
        if (rc == 0 && px->ready_rc != 0) {
            snprintf(err, errlen, "%s", px->ready_message[0] ? px->ready_message
                                                             : gw_strerror(px->ready_rc));
            rc = px->ready_rc;
        } else if (rc != 0) {
            snprintf(err, errlen, "the plugin's process %s before create() returned",
                     rc == GW_EBUSY ? "did not answer" : "died");
        } else {
            rc = iso_go_async(px, err, errlen);
        }
    }
    if (rc != 0) {
        px_destroy((gw_instance *)px);
        return rc;
    }
    uv_timer_start(hb, heartbeat_cb, px->ip->heartbeat_ms, px->ip->heartbeat_ms);
    *out = (gw_instance *)px;
    return GW_OK;
}

/* ---- the wrapped descriptor --------------------------------------------------- */

int isolated_wrap(const loaded_plugin *real, const json_t *gateway, isolated_stop_fn stop,
                  loaded_plugin **out)
{
    iso_plugin *ip = calloc(1, sizeof *ip);
    if (ip == NULL)
        return GW_ENOMEM;
    ip->real = real;
    ip->stop = stop;
    ip->heartbeat_ms = (uint64_t)json_integer_value(json_object_get(gateway, "isolation_heartbeat"));
    if (ip->heartbeat_ms == 0)
        ip->heartbeat_ms = 5000;
    ip->memory_limit =
        (uint64_t)json_integer_value(json_object_get(gateway, "isolation_memory_limit"));
    ip->lp = *real; /* path and handle borrowed: the real plugin owns them */
    gw_plugin *d = &ip->lp.desc;
    d->create = px_create;
    d->destroy = px_destroy;
    d->fetch = real->desc.fetch ? px_fetch : NULL;
    d->webhook = real->desc.webhook ? px_webhook : NULL;
    d->post_public = real->desc.post_public ? px_post_public : NULL;
    d->send_private = real->desc.send_private ? px_send_private : NULL;
    /* Synchronous checks would need a round trip per answer queued; the
     * network's refusal arrives with the send instead. */
    d->check_action = NULL;
    *out = &ip->lp;
    return GW_OK;
}

void isolated_free(loaded_plugin *wrapped)
{
    free((iso_plugin *)wrapped);
}
