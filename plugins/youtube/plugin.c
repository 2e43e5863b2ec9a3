/* plugins/youtube/plugin.c - the YouTube plugin's descriptor, instance
 * lifecycle and hook entry points.
 *
 * Capabilities: fetch and post_public only. YouTube has no private
 * messages (so no send_private: the host refuses a private action with
 * 422 unsupported before queueing it) and no push notifications for
 * comments (so no webhook: polling is the design).
 */
#include <stdlib.h>
#include <string.h>

#include "youtube.h"

#ifndef GW_VERSION
#define GW_VERSION "0.0.0"
#endif

/* ---- lifecycle ----------------------------------------------------------- */

static void yt_destroy(gw_instance *inst)
{
    if (inst == NULL)
        return;
    yt_request_forget_all(inst);
    yt_fetch_forget(inst);
    yt_oauth_forget(inst);
    yt_options_free(&inst->opt);
    free(inst);
}

static int yt_create(const gw_host *host, gw_account *acct, gw_instance **out, char *err,
                     size_t errlen)
{
    *out = NULL;
    gw_instance *inst = calloc(1, sizeof *inst);
    if (inst == NULL) {
        gw_sdk_str_copy(err, errlen, "youtube: out of memory");
        return GW_ENOMEM;
    }
    inst->host = host;
    inst->acct = acct;
    int rc = yt_options_load(host->config(acct), &inst->opt, NULL, err, errlen);
    if (rc < 0) {
        if (rc == GW_ENOMEM)
            gw_sdk_str_copy(err, errlen, "youtube: out of memory");
        yt_destroy(inst);
        return rc;
    }
    inst->brand.channel_id = inst->opt.channel_id;
    inst->brand.include_raw = inst->opt.include_raw;
    inst->quota.limit = inst->opt.daily_quota;
    inst->quota.reserve = inst->opt.reply_reserve;
    inst->quota.last_poll = 1;
    inst->token_ready = yt_request_token_ready;
    *out = inst;
    return 0;
}

static int yt_validate(const json_t *options, const char **key, char *err, size_t errlen)
{
    yt_options opt;
    int rc = yt_options_load(options, &opt, key, err, errlen);
    if (rc == GW_ENOMEM)
        gw_sdk_str_copy(err, errlen, "youtube: out of memory");
    yt_options_free(&opt);
    return rc;
}

static void yt_hook_fetch(gw_instance *inst, gw_op *op)
{
    yt_fetch_start(inst, op);
}

static void yt_post_public(gw_instance *inst, gw_op *op, const gw_action *action)
{
    yt_action_post_public(inst, op, action);
}

static const gw_plugin youtube_plugin = {
    .struct_size = sizeof(gw_plugin),
    .abi_major = GW_ABI_MAJOR,
    .abi_minor = GW_ABI_MINOR,
    .name = "youtube",
    .version = GW_VERSION,
    .capabilities = GW_CAP_FETCH | GW_CAP_POST_PUBLIC,
    .options = yt_option_table,
    .create = yt_create,
    .destroy = yt_destroy,
    .fetch = yt_hook_fetch,
    .post_public = yt_post_public,
    /* YouTube's limit for a comment's text. */
    .max_text_length = 10000,
    .validate = yt_validate,
};

GW_PLUGIN_EXPORT const gw_plugin *gw_plugin_entry(void);

GW_PLUGIN_EXPORT const gw_plugin *gw_plugin_entry(void)
{
    return &youtube_plugin;
}
