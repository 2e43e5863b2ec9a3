/* check_fixture.c - plugins for the contract checker's tests (gateway
 * plugin-check), each with exactly one breach, selected at build time with
 * -DBREACH_<NAME> (CMakeLists.txt builds one .so per name). Without a
 * BREACH_ define it is a clean plugin: fetch emits two events with stable
 * ids and completes once, at once; post_public answers OK.
 *
 * Every breach is here on purpose; each is marked "BREACH:".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway/plugin.h"

struct gw_instance {
    const gw_host *host;
    gw_account *acct;
    gw_timer *timer;
    gw_op *pending;
};

static int fixture_create(const gw_host *host, gw_account *acct, gw_instance **out, char *err,
                          size_t errlen)
{
#ifdef BREACH_CREATE
    /* BREACH: refuses valid options, with no reason. */
    (void)host;
    (void)acct;
    (void)out;
    (void)err;
    (void)errlen;
    return GW_EINVAL;
#else
    gw_instance *inst = calloc(1, sizeof *inst);
    if (inst == NULL) {
        snprintf(err, errlen, "out of memory");
        return GW_ENOMEM;
    }
    inst->host = host;
    inst->acct = acct;
#ifdef BREACH_SECRETS
    const char *token = json_string_value(json_object_get(host->config(acct), "token"));
    /* BREACH: a secret in the log. */
    host->log(acct, GW_LOG_DEBUG, "signing in with token %s", token ? token : "(none)");
#endif
#ifdef BREACH_UNSUPPORTED_TYPED
    host->narrow_capabilities(acct, GW_CAP_FETCH, "this account has no write access");
#endif
    *out = inst;
    return GW_OK;
#endif
}

static void fixture_destroy(gw_instance *inst)
{
#ifdef BREACH_TIMER_HANDLE
    /* BREACH: the timer fired long ago; its handle is gone. */
    if (inst->timer != NULL)
        inst->host->timer_cancel(inst->timer);
#endif
#ifdef BREACH_LEAK
    /* BREACH: the instance is never freed. */
    (void)inst;
#else
    free(inst);
#endif
}

static void emit_item(gw_instance *inst, const char *native_id)
{
    inst->host->emit(inst->acct,
                     json_pack("{s:s, s:s, s:s, s:s}", "type", "mention", "visibility", "public",
                               "native_id", native_id, "text", "hello from the fixture"));
}

#ifdef BREACH_TIMER_HANDLE
static void timer_done(void *arg)
{
    gw_instance *inst = arg;
    inst->host->complete(inst->pending, GW_OUTCOME_OK, GW_DELAY_POLL_INTERVAL, NULL, NULL);
}
#endif

static void fixture_fetch(gw_instance *inst, gw_op *op)
{
#if defined(BREACH_IDS_STABLE)
    /* BREACH: the same items get new ids on every fetch. */
    static unsigned counter;
    char id[32];
    snprintf(id, sizeof id, "item-%u", ++counter);
    emit_item(inst, id);
#else
    emit_item(inst, "item-1");
    emit_item(inst, "item-2");
#endif
#ifdef BREACH_EVENT_VALID
    /* BREACH: "tweet" is no gateway.event/1 type. */
    inst->host->emit(inst->acct, json_pack("{s:s, s:s, s:s}", "type", "tweet", "visibility",
                                           "public", "native_id", "item-3"));
#endif
#ifdef BREACH_EVENT_SCHEMA
    /* BREACH: the pipeline takes it, but the schema has no null handle. */
    inst->host->emit(inst->acct,
                     json_pack("{s:s, s:s, s:s, s:{s:s, s:n}}", "type", "mention", "visibility",
                               "public", "native_id", "item-4", "author", "id", "u-1", "handle"));
#endif
#ifdef BREACH_KV_LIMITS
    /* BREACH: a cursor store used as a database. */
    for (int i = 0; i < 100; i++) {
        char key[32];
        snprintf(key, sizeof key, "seen.%d", i);
        inst->host->kv_set(inst->acct, key, "1");
    }
#else
    inst->host->kv_set(inst->acct, "cursor", "item-2");
#endif
#ifdef BREACH_BLOCK_LOOP
    /* BREACH: 50 ms of work on the loop thread, counted in this thread's
     * CPU time (what the checker measures), so a loaded machine that
     * schedules the fixture less still gives it 50 ms of work. */
    struct timespec t0, t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
    do
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 50000000L);
#endif
#ifdef BREACH_TIMER_HANDLE
    /* Completed from a timer; destroy() cancels the fired timer. */
    inst->pending = op;
    inst->timer = inst->host->timer_start(inst->acct, 1, timer_done, inst);
#elif defined(BREACH_COMPLETE_DEADLINE)
    /* BREACH: the op is never completed. */
    (void)op;
#else
    inst->host->complete(op, GW_OUTCOME_OK, GW_DELAY_POLL_INTERVAL, NULL, NULL);
#endif
#ifdef BREACH_COMPLETE_ONCE
    /* BREACH: a second completion of the same op. */
    inst->host->complete(op, GW_OUTCOME_OK, GW_DELAY_POLL_INTERVAL, NULL, NULL);
#endif
}

static void fixture_post_public(gw_instance *inst, gw_op *op, const gw_action *action)
{
    (void)action;
#ifdef BREACH_UNSUPPORTED_TYPED
    /* BREACH: the account cannot post at all, said as a generic failure. */
    inst->host->complete(op, GW_OUTCOME_FATAL, 0, "posting is not supported", NULL);
#else
    inst->host->complete(op, GW_OUTCOME_OK, 0, NULL, json_pack("{s:s}", "native_id", "reply-1"));
#endif
}

static void fixture_webhook(gw_instance *inst, gw_op *op, const gw_webhook_request *req)
{
    (void)req;
#ifdef BREACH_WEBHOOK
    /* BREACH: takes the delivery without verifying its signature. */
    emit_item(inst, "pushed-1");
#endif
    inst->host->complete(op, GW_OUTCOME_OK, 0, NULL,
                         json_pack("{s:i, s:s, s:s}", "status",
#ifdef BREACH_WEBHOOK
                                   200,
#else
                                   401,
#endif
                                   "content_type", "application/json", "body",
                                   "{\"error\":\"bad_signature\",\"message\":\"no\"}"));
}

static const gw_option fixture_options[] = {
    {"token", GW_OPT_STRING, GW_OPTF_SECRET, NULL, NULL, 0, 0,
     "the fixture network's token (secret)"},
#ifdef BREACH_DESCRIPTOR
    /* BREACH: an option without a help line. */
    {"region", GW_OPT_STRING, 0, "eu", NULL, 0, 0, NULL},
#endif
#ifdef BREACH_DESCRIPTOR_SECRET
    /* BREACH: a credential not flagged GW_OPTF_SECRET. */
    {"api_password", GW_OPT_STRING, 0, NULL, NULL, 0, 0, "the password of the fixture's API"},
#endif
    {NULL, 0, 0, NULL, NULL, 0, 0, NULL},
};

static const gw_plugin descriptor = {
    .struct_size = sizeof(gw_plugin),
    .abi_major = GW_ABI_MAJOR,
    .abi_minor = GW_ABI_MINOR,
    .name = "fixture",
    .version = "0.0.1",
    .capabilities = GW_CAP_FETCH | GW_CAP_POST_PUBLIC | GW_CAP_WEBHOOK,
    .options = fixture_options,
    .create = fixture_create,
    .destroy = fixture_destroy,
    .fetch = fixture_fetch,
    .post_public = fixture_post_public,
    .webhook = fixture_webhook,
};

GW_PLUGIN_EXPORT const gw_plugin *gw_plugin_entry(void);
GW_PLUGIN_EXPORT const gw_plugin *gw_plugin_entry(void)
{
    return &descriptor;
}
