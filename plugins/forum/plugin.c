/* plugins/forum/plugin.c - the Discourse plugin's descriptor, instance
 * lifecycle and hook entry points.
 *
 * The hooks only route; fetch.c, actions.c and webhook.c do the work.
 * destroy() frees every job still waiting for an answer without
 * completing its op: the host cancels those requests without calling
 * back, and ops it had already timed out die with the instance.
 */
#include <stdlib.h>
#include <string.h>

#include "forum.h"

#ifndef GW_VERSION
#define GW_VERSION "0.0.0"
#endif

/* Discourse's default max_post_length site setting, in characters. */
#define FORUM_MAX_POST_LENGTH 32000

static void forum_destroy(gw_instance *inst)
{
    if (inst == NULL)
        return;
    forum_jobs_free_all(inst);
    forum_options_free(&inst->opt);
    free(inst);
}

static int forum_create(const gw_host *host, gw_account *acct, gw_instance **out, char *err,
                        size_t errlen)
{
    *out = NULL;
    gw_instance *inst = calloc(1, sizeof *inst);
    if (inst == NULL) {
        gw_sdk_str_copy(err, errlen, "forum: out of memory");
        return GW_ENOMEM;
    }
    inst->host = host;
    inst->acct = acct;
    int rc = forum_options_load(host->config(acct), &inst->opt, NULL, err, errlen);
    if (rc < 0) {
        forum_destroy(inst);
        return rc;
    }
    *out = inst;
    return 0;
}

/* Every rule create() applies to the options, without an instance: the
 * same reading, thrown away (no request is made until fetch). */
static int forum_validate(const json_t *options, const char **key, char *err, size_t errlen)
{
    forum_options opt;
    int rc = forum_options_load(options, &opt, key, err, errlen);
    forum_options_free(&opt);
    return rc;
}

static const gw_plugin forum_plugin = {
    .struct_size = sizeof(gw_plugin),
    .abi_major = GW_ABI_MAJOR,
    .abi_minor = GW_ABI_MINOR,
    .name = "forum",
    .version = GW_VERSION,
    .capabilities = GW_CAP_FETCH | GW_CAP_POST_PUBLIC | GW_CAP_SEND_PRIVATE | GW_CAP_WEBHOOK,
    .options = forum_option_table,
    .create = forum_create,
    .destroy = forum_destroy,
    .fetch = forum_fetch_start,
    .post_public = forum_post_public,
    .send_private = forum_send_private,
    .webhook = forum_webhook,
    .max_text_length = FORUM_MAX_POST_LENGTH,
    .validate = forum_validate,
};

/* The only symbol forum.so exports. -Wmissing-prototypes wants a previous
 * declaration; the ABI header declares only the function type. */
GW_PLUGIN_EXPORT const gw_plugin *gw_plugin_entry(void);

GW_PLUGIN_EXPORT const gw_plugin *gw_plugin_entry(void)
{
    return &forum_plugin;
}
