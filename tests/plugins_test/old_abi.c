/* old_abi.c - a test-only plugin built as if against an older ABI minor
 * (OLD_MINOR=1 or 2): its descriptor's struct_size ends where that minor's
 * gw_plugin ended, so the hooks added later (1.2 validate, 1.3
 * check_action) lie past what it declares. It still fills them in, with
 * hooks that refuse everything (the 1.2 build's validate is its own and
 * accepts): a host that read past struct_size would
 * refuse its config (validate) or its answers (check_action), so the
 * loader tests can tell that the host treats them as absent. Being of an
 * older minor it never calls gw_host.narrow_capabilities either: its
 * accounts keep every capability it declares.
 *
 * fetch emits one public comment ("c1") once; post_public and
 * send_private complete OK at once. Not shipped: it lands in
 * build/tests/testplugins/ as old11.so / old12.so.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/plugin.h"

#ifndef OLD_MINOR
#define OLD_MINOR 2
#endif
#if OLD_MINOR == 1
#define OLD_NAME "old11"
#define OLD_SIZE offsetof(gw_plugin, validate) /* 1.1 ended with max_text_length */
#else
#define OLD_NAME "old12"
#define OLD_SIZE offsetof(gw_plugin, check_action) /* 1.2 ended with validate */
#endif

struct gw_instance {
    const gw_host *host;
    gw_account *acct;
    int fetched;
    unsigned answers;
};

static int old_create(const gw_host *host, gw_account *acct, gw_instance **out, char *err,
                      size_t errlen)
{
    gw_instance *p = calloc(1, sizeof *p);
    if (p == NULL) {
        snprintf(err, errlen, "out of memory");
        return GW_ENOMEM;
    }
    p->host = host;
    p->acct = acct;
    *out = p;
    return GW_OK;
}

static void old_destroy(gw_instance *p)
{
    free(p);
}

static void old_fetch(gw_instance *p, gw_op *op)
{
    if (!p->fetched) {
        p->fetched = 1;
        p->host->emit(p->acct, json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s}}", "type", "comment",
                                         "visibility", "public", "native_id", "c1", "thread_id",
                                         "c1", "text", "hello from an older plugin", "author",
                                         "id", "u1"));
    }
    p->host->complete(op, GW_OUTCOME_OK, GW_DELAY_POLL_INTERVAL, NULL, NULL);
}

static void old_answer(gw_instance *p, gw_op *op, const gw_action *action)
{
    (void)action;
    char id[32];
    snprintf(id, sizeof id, "a%u", ++p->answers);
    p->host->complete(op, GW_OUTCOME_OK, 0, NULL, json_pack("{s:s}", "native_id", id));
}

/* In the 1.2 build validate is inside the descriptor and accepts; in the
 * 1.1 build it lies past struct_size and refuses (the host must not call
 * it). */
static int old_validate(const json_t *options, const char **key, char *err, size_t errlen)
{
    (void)options;
    *key = NULL;
    if (OLD_MINOR >= 2)
        return GW_OK;
    snprintf(err, errlen, "trap: the host read validate past the descriptor's size");
    return GW_EINVAL;
}

/* Past struct_size in both builds: the host must never call it. */
static int trap_check_action(gw_instance *inst, int private_message, const gw_action *action,
                             char *reason, size_t reasonlen)
{
    (void)inst;
    (void)private_message;
    (void)action;
    snprintf(reason, reasonlen, "trap: the host read check_action past the descriptor's size");
    return GW_EINVAL;
}

static const gw_plugin old_descriptor = {
    .struct_size = OLD_SIZE,
    .abi_major = GW_ABI_MAJOR,
    .abi_minor = OLD_MINOR,
    .name = OLD_NAME,
    .version = "0.1.0",
    .capabilities = GW_CAP_FETCH | GW_CAP_POST_PUBLIC | GW_CAP_SEND_PRIVATE,
    .create = old_create,
    .destroy = old_destroy,
    .fetch = old_fetch,
    .post_public = old_answer,
    .send_private = old_answer,
    .validate = old_validate,
    .check_action = trap_check_action,
};

GW_PLUGIN_EXPORT const gw_plugin *gw_plugin_entry(void);
GW_PLUGIN_EXPORT const gw_plugin *gw_plugin_entry(void)
{
    return &old_descriptor;
}
