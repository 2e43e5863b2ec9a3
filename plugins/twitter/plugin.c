/* plugins/twitter/plugin.c - the X plugin's descriptor, instance
 * lifecycle and hook entry points. The hooks only route: fetch.c,
 * actions.c and webhook.c do the work.
 */
#include <stdlib.h>
#include <string.h>

#include "twitter.h"

#ifndef GW_VERSION
#define GW_VERSION "0.0.0"
#endif

static void tw_destroy(gw_instance *inst)
{
    if (inst == NULL)
        return;
    /* Requests still out die with the instance (the host cancels them
     * without calling back); their records and contexts go here. */
    tw_request_forget_all(inst);
    tw_fetch_forget(inst);
    tw_options_free(&inst->opt);
    free(inst);
}

static int tw_create(const gw_host *host, gw_account *acct, gw_instance **out, char *err,
                     size_t errlen)
{
    *out = NULL;
    gw_instance *inst = calloc(1, sizeof *inst);
    if (inst == NULL) {
        gw_sdk_str_copy(err, errlen, "twitter: out of memory");
        return GW_ENOMEM;
    }
    inst->host = host;
    inst->acct = acct;
    int rc = tw_options_load(host->config(acct), &inst->opt, NULL, err, errlen);
    if (rc < 0) {
        if (rc == GW_ENOMEM)
            gw_sdk_str_copy(err, errlen, "twitter: out of memory");
        tw_destroy(inst);
        return rc;
    }
    inst->brand.user_id = inst->opt.user_id;
    inst->brand.handle = inst->opt.handle;
    inst->brand.terms = inst->opt.terms;
    inst->brand.term_count = inst->opt.term_count;
    inst->brand.include_raw = inst->opt.include_raw;
    *out = inst;
    return 0;
}

/* Every rule create() applies to the options, without an instance: the
 * same reading, thrown away. */
static int tw_validate(const json_t *options, const char **key, char *err, size_t errlen)
{
    tw_options opt;
    int rc = tw_options_load(options, &opt, key, err, errlen);
    if (rc == GW_ENOMEM)
        gw_sdk_str_copy(err, errlen, "twitter: out of memory");
    tw_options_free(&opt);
    return rc;
}

static void tw_hook_fetch(gw_instance *inst, gw_op *op)
{
    tw_fetch_start(inst, op);
}

static void tw_post_public(gw_instance *inst, gw_op *op, const gw_action *action)
{
    tw_action_post_public(inst, op, action);
}

static void tw_send_private(gw_instance *inst, gw_op *op, const gw_action *action)
{
    tw_action_send_private(inst, op, action);
}

static void tw_webhook(gw_instance *inst, gw_op *op, const gw_webhook_request *req)
{
    /* The request is borrowed for this call only: verify, parse and emit
     * now; the host answers once the events are committed. */
    json_t *result = tw_webhook_handle(inst, req);
    if (result == NULL) {
        inst->host->complete(op, GW_OUTCOME_RETRY, TW_RETRY_DELAY_MS, "twitter: out of memory",
                             NULL);
        return;
    }
    inst->host->complete(op, GW_OUTCOME_OK, 0, NULL, result);
}

static const gw_plugin twitter_plugin = {
    .struct_size = sizeof(gw_plugin),
    .abi_major = GW_ABI_MAJOR,
    .abi_minor = GW_ABI_MINOR,
    .name = "twitter",
    .version = GW_VERSION,
    .capabilities = GW_CAP_FETCH | GW_CAP_POST_PUBLIC | GW_CAP_SEND_PRIVATE | GW_CAP_WEBHOOK,
    .options = tw_option_table,
    .create = tw_create,
    .destroy = tw_destroy,
    .fetch = tw_hook_fetch,
    .post_public = tw_post_public,
    .send_private = tw_send_private,
    .webhook = tw_webhook,
    .validate = tw_validate,
};

/* The only symbol twitter.so exports. -Wmissing-prototypes wants a
 * previous declaration; the ABI header declares only the function type. */
GW_PLUGIN_EXPORT const gw_plugin *gw_plugin_entry(void);

GW_PLUGIN_EXPORT const gw_plugin *gw_plugin_entry(void)
{
    return &twitter_plugin;
}
