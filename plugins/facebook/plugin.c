/* plugins/facebook/plugin.c - the Facebook plugin's descriptor, instance
 * lifecycle and hook entry points. The hooks only route: fetch.c,
 * actions.c and webhook.c do the work.
 */
#include <stdlib.h>
#include <string.h>

#include "facebook.h"

#ifndef GW_VERSION
#define GW_VERSION "0.0.0"
#endif

static void fb_destroy(gw_instance *inst)
{
    if (inst == NULL)
        return;
    fb_request_forget_all(inst);
    fb_fetch_forget(inst);
    fb_options_free(&inst->opt);
    free(inst);
}

static int fb_create(const gw_host *host, gw_account *acct, gw_instance **out, char *err,
                     size_t errlen)
{
    *out = NULL;
    gw_instance *inst = calloc(1, sizeof *inst);
    if (inst == NULL) {
        gw_sdk_str_copy(err, errlen, "facebook: out of memory");
        return GW_ENOMEM;
    }
    inst->host = host;
    inst->acct = acct;
    int rc = fb_options_load(host->config(acct), &inst->opt, NULL, err, errlen);
    if (rc < 0) {
        if (rc == GW_ENOMEM)
            gw_sdk_str_copy(err, errlen, "facebook: out of memory");
        fb_destroy(inst);
        return rc;
    }
    inst->brand.page_id = inst->opt.page_id;
    inst->brand.include_raw = inst->opt.include_raw;
    *out = inst;
    return 0;
}

static int fb_validate(const json_t *options, const char **key, char *err, size_t errlen)
{
    fb_options opt;
    int rc = fb_options_load(options, &opt, key, err, errlen);
    if (rc == GW_ENOMEM)
        gw_sdk_str_copy(err, errlen, "facebook: out of memory");
    fb_options_free(&opt);
    return rc;
}

static void fb_hook_fetch(gw_instance *inst, gw_op *op)
{
    fb_fetch_start(inst, op);
}

static void fb_post_public(gw_instance *inst, gw_op *op, const gw_action *action)
{
    fb_action_post_public(inst, op, action);
}

static void fb_send_private(gw_instance *inst, gw_op *op, const gw_action *action)
{
    fb_action_send_private(inst, op, action);
}

static void fb_webhook(gw_instance *inst, gw_op *op, const gw_webhook_request *req)
{
    /* The request is borrowed for this call only: verify, parse and emit
     * now; the host answers once the events are committed. */
    json_t *result = fb_webhook_handle(inst, req);
    if (result == NULL) {
        inst->host->complete(op, GW_OUTCOME_RETRY, FB_RETRY_DELAY_MS, "facebook: out of memory",
                             NULL);
        return;
    }
    inst->host->complete(op, GW_OUTCOME_OK, 0, NULL, result);
}

static const gw_plugin facebook_plugin = {
    .struct_size = sizeof(gw_plugin),
    .abi_major = GW_ABI_MAJOR,
    .abi_minor = GW_ABI_MINOR,
    .name = "facebook",
    .version = GW_VERSION,
    .capabilities = GW_CAP_FETCH | GW_CAP_POST_PUBLIC | GW_CAP_SEND_PRIVATE | GW_CAP_WEBHOOK,
    .options = fb_option_table,
    .create = fb_create,
    .destroy = fb_destroy,
    .fetch = fb_hook_fetch,
    .post_public = fb_post_public,
    .send_private = fb_send_private,
    .webhook = fb_webhook,
    .validate = fb_validate,
};

/* The only symbol facebook.so exports. */
GW_PLUGIN_EXPORT const gw_plugin *gw_plugin_entry(void);

GW_PLUGIN_EXPORT const gw_plugin *gw_plugin_entry(void)
{
    return &facebook_plugin;
}
