/* plugins/mock/plugin.c - the mock network's descriptor, instance
 * lifecycle and hook entry points.
 *
 * The hooks only route: ops.c decides when an op completes and whether a
 * fault is injected, fetch.c / actions.c / webhook.c do the work.
 */
#include <stdlib.h>
#include <string.h>

#include "mock.h"

#ifndef GW_VERSION
#define GW_VERSION "0.0.0"
#endif

static void mock_destroy(gw_instance *inst)
{
    if (inst == NULL)
        return;
    mock_op_cancel_all(inst);
    mock_actions_close(inst);
    json_decref(inst->echoes);
    mock_scenario_free(inst->scenario);
    free(inst);
}

static int mock_create(const gw_host *host, gw_account *acct, gw_instance **out, char *err,
                       size_t errlen)
{
    *out = NULL;
    gw_instance *inst = calloc(1, sizeof *inst);
    if (inst == NULL) {
        gw_sdk_str_copy(err, errlen, "mock: out of memory");
        return GW_ENOMEM;
    }
    inst->host = host;
    inst->acct = acct;
    inst->brand = host->account_name(acct);
    if (inst->brand == NULL || inst->brand[0] == '\0')
        inst->brand = "acme";

    int rc = mock_options_load(host->config(acct), &inst->opt, err, errlen);
    if (rc < 0)
        goto fail;
    if (inst->opt.scenario != NULL) {
        rc = mock_scenario_load(inst->opt.scenario, &inst->scenario, err, errlen);
        if (rc < 0)
            goto fail;
    }
    rc = mock_fetch_init(inst, err, errlen);
    if (rc < 0)
        goto fail;
    rc = mock_actions_open(inst, err, errlen);
    if (rc < 0)
        goto fail;

    /* A stream of its own, so injected faults do not shift with the
     * events synthesised from the same seed. */
    gw_sdk_rng_seed(&inst->fault_rng, gw_sdk_mix64(inst->opt.seed ^ UINT64_C(0xfa017)));
    inst->fail_left = inst->opt.fail_times;

    *out = inst;
    return 0;

fail:
    mock_destroy(inst);
    return rc;
}

static void mock_fetch(gw_instance *inst, gw_op *op)
{
    mock_op_start(inst, op, MOCK_OP_FETCH, NULL, NULL);
}

static void mock_post_public(gw_instance *inst, gw_op *op, const gw_action *action)
{
    mock_op_start(inst, op, MOCK_OP_POST_PUBLIC, action, NULL);
}

#ifndef MOCK_PUBLIC_ONLY
static void mock_send_private(gw_instance *inst, gw_op *op, const gw_action *action)
{
    mock_op_start(inst, op, MOCK_OP_SEND_PRIVATE, action, NULL);
}
#endif

static void mock_webhook(gw_instance *inst, gw_op *op, const gw_webhook_request *req)
{
    /* The body is borrowed for this call only, so the delivery is parsed
     * and emitted now; only the answer waits for the latency. */
    mock_op_start(inst, op, MOCK_OP_WEBHOOK, NULL, mock_webhook_handle(inst, req));
}

/* MOCK_PUBLIC_ONLY builds the test-only "mock_public" network: the same
 * mock without private messages (see CMakeLists.txt). */
#ifdef MOCK_PUBLIC_ONLY
#define MOCK_NETWORK "mock_public"
#define MOCK_CAPABILITIES (GW_CAP_FETCH | GW_CAP_POST_PUBLIC | GW_CAP_WEBHOOK)
#define MOCK_SEND_PRIVATE NULL
#else
#define MOCK_NETWORK "mock"
#define MOCK_CAPABILITIES (GW_CAP_FETCH | GW_CAP_POST_PUBLIC | GW_CAP_SEND_PRIVATE | GW_CAP_WEBHOOK)
#define MOCK_SEND_PRIVATE mock_send_private
#endif

static const gw_plugin mock_plugin = {
    .struct_size = sizeof(gw_plugin),
    .abi_major = GW_ABI_MAJOR,
    .abi_minor = GW_ABI_MINOR,
    .name = MOCK_NETWORK,
    .version = GW_VERSION,
    .capabilities = MOCK_CAPABILITIES,
    .options = mock_option_table,
    .create = mock_create,
    .destroy = mock_destroy,
    .fetch = mock_fetch,
    .post_public = mock_post_public,
    .send_private = MOCK_SEND_PRIVATE,
    .webhook = mock_webhook,
    .max_text_length = MOCK_MAX_TEXT_LENGTH,
};

/* The only symbol mock.so exports. -Wmissing-prototypes wants a previous
 * declaration; the ABI header declares only the function type. */
GW_PLUGIN_EXPORT const gw_plugin *gw_plugin_entry(void);

GW_PLUGIN_EXPORT const gw_plugin *gw_plugin_entry(void)
{
    return &mock_plugin;
}
