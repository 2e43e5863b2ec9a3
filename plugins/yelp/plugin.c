/* plugins/yelp/plugin.c - the Yelp plugin's descriptor, instance
 * lifecycle and hook entry points. The hooks only route: fetch.c,
 * actions.c and webhook.c do the work. create() narrows an account
 * without partner_token to reading (ABI 1.3), so the action API refuses
 * its answers before queueing them.
 */
#include <stdlib.h>
#include <string.h>

#include "yelp.h"

#ifndef GW_VERSION
#define GW_VERSION "0.0.0"
#endif

#define NEEDS_PARTNER                                                                          \
    "needs Yelp partner access: set partner_token (the business-user token of the partner "    \
    "APIs)"

static void yelp_destroy(gw_instance *inst)
{
    if (inst == NULL)
        return;
    yelp_request_forget_all(inst);
    yelp_fetch_forget(inst);
    yelp_options_free(&inst->opt);
    free(inst);
}

static int yelp_create(const gw_host *host, gw_account *acct, gw_instance **out, char *err,
                       size_t errlen)
{
    *out = NULL;
    gw_instance *inst = calloc(1, sizeof *inst);
    if (inst == NULL) {
        gw_sdk_str_copy(err, errlen, "yelp: out of memory");
        return GW_ENOMEM;
    }
    inst->host = host;
    inst->acct = acct;
    int rc = yelp_options_load(host->config(acct), &inst->opt, NULL, err, errlen);
    if (rc < 0) {
        if (rc == GW_ENOMEM)
            gw_sdk_str_copy(err, errlen, "yelp: out of memory");
        yelp_destroy(inst);
        return rc;
    }
    if (inst->opt.partner_token == NULL) {
        if (GW_HOST_HAS(host, narrow_capabilities))
            host->narrow_capabilities(acct, GW_CAP_FETCH | GW_CAP_WEBHOOK, NEEDS_PARTNER);
        else
            host->log(acct, GW_LOG_INFO, "yelp: answers will fail: %s", NEEDS_PARTNER);
    }
    *out = inst;
    return 0;
}

static int yelp_validate(const json_t *options, const char **key, char *err, size_t errlen)
{
    yelp_options opt;
    int rc = yelp_options_load(options, &opt, key, err, errlen);
    if (rc == GW_ENOMEM)
        gw_sdk_str_copy(err, errlen, "yelp: out of memory");
    yelp_options_free(&opt);
    return rc;
}

static void yelp_hook_fetch(gw_instance *inst, gw_op *op)
{
    yelp_fetch_start(inst, op);
}

static void yelp_post_public(gw_instance *inst, gw_op *op, const gw_action *action)
{
    yelp_action_post_public(inst, op, action);
}

static void yelp_send_private(gw_instance *inst, gw_op *op, const gw_action *action)
{
    yelp_action_send_private(inst, op, action);
}

static void yelp_webhook(gw_instance *inst, gw_op *op, const gw_webhook_request *req)
{
    json_t *result = yelp_webhook_handle(inst, req);
    if (result == NULL) {
        inst->host->complete(op, GW_OUTCOME_RETRY, YELP_RETRY_DELAY_MS, "yelp: out of memory",
                             NULL);
        return;
    }
    inst->host->complete(op, GW_OUTCOME_OK, 0, NULL, result);
}

static int yelp_check_action(gw_instance *inst, int private_message, const gw_action *action,
                             char *reason, size_t reasonlen)
{
    return yelp_action_check(inst, private_message, action, reason, reasonlen);
}

static const gw_plugin yelp_plugin = {
    .struct_size = sizeof(gw_plugin),
    .abi_major = GW_ABI_MAJOR,
    .abi_minor = GW_ABI_MINOR,
    .name = "yelp",
    .version = GW_VERSION,
    .capabilities = GW_CAP_FETCH | GW_CAP_POST_PUBLIC | GW_CAP_SEND_PRIVATE | GW_CAP_WEBHOOK,
    .options = yelp_option_table,
    .create = yelp_create,
    .destroy = yelp_destroy,
    .fetch = yelp_hook_fetch,
    .post_public = yelp_post_public,
    .send_private = yelp_send_private,
    .webhook = yelp_webhook,
    .max_text_length = YELP_TEXT_MAX,
    .validate = yelp_validate,
    .check_action = yelp_check_action,
};

/* The only symbol yelp.so exports. */
GW_PLUGIN_EXPORT const gw_plugin *gw_plugin_entry(void);

GW_PLUGIN_EXPORT const gw_plugin *gw_plugin_entry(void)
{
    return &yelp_plugin;
}
