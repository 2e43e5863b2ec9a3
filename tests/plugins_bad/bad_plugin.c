/* bad_plugin.c - purpose-built broken plugins for the loader's refusal
 * tests. One source, one defect per build, selected with -DBAD_<CASE>.
 */
#include <stdio.h>

#include "gateway/plugin.h"

struct gw_instance {
    int unused;
};

static int bad_create(const gw_host *host, gw_account *acct, gw_instance **out, char *err,
                      size_t errlen)
{
    (void)host;
    (void)acct;
#ifdef BAD_CREATE_FAILS
    (void)out;
    snprintf(err, errlen, "api_key is not set");
    return GW_EINVAL;
#else
    static gw_instance one;
    (void)err;
    (void)errlen;
    *out = &one;
    return GW_OK;
#endif
}

static void bad_destroy(gw_instance *inst)
{
    (void)inst;
}

static void bad_fetch(gw_instance *inst, gw_op *op)
{
    (void)inst;
    (void)op;
}

#ifdef BAD_BAD_DEFAULT
static const gw_option bad_options[] = {
    {"rate", GW_OPT_INT, GW_OPTF_BOUNDED, "500", NULL, 0, 100, "requests per minute"},
    {NULL, 0, 0, NULL, NULL, 0, 0, NULL},
};
#define BAD_OPTIONS bad_options
#else
#define BAD_OPTIONS NULL
#endif

#ifndef BAD_NAME
#define BAD_NAME "broken"
#endif
#ifndef BAD_MAJOR
#define BAD_MAJOR GW_ABI_MAJOR
#endif
#ifndef BAD_MINOR
#define BAD_MINOR GW_ABI_MINOR
#endif

static const gw_plugin descriptor = {
#ifdef BAD_TINY
    .struct_size = 4,
#else
    .struct_size = sizeof(gw_plugin),
#endif
    .abi_major = BAD_MAJOR,
    .abi_minor = BAD_MINOR,
    .name = BAD_NAME,
    .version = "0.0.1",
#ifdef BAD_MISSING_HOOK
    .capabilities = GW_CAP_FETCH | GW_CAP_POST_PUBLIC,
#else
    .capabilities = GW_CAP_FETCH,
#endif
    .options = BAD_OPTIONS,
    .create = bad_create,
    .destroy = bad_destroy,
    .fetch = bad_fetch,
};

#ifdef BAD_NO_ENTRY
GW_PLUGIN_EXPORT const gw_plugin *not_the_entry(void);
GW_PLUGIN_EXPORT const gw_plugin *not_the_entry(void)
#else
GW_PLUGIN_EXPORT const gw_plugin *gw_plugin_entry(void);
GW_PLUGIN_EXPORT const gw_plugin *gw_plugin_entry(void)
#endif
{
    return &descriptor;
}
