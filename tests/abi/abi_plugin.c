/* abi_plugin.c - a plugin compiled against a kept copy of an older ABI's
 * headers (tests/abi/v1.0/, tests/abi/v1.1/: plugin.h and error.h exactly
 * as they were released), to prove the promise in include/gateway/plugin.h
 * that a plugin built against any 1.x keeps loading and working, unchanged,
 * in every later 1.y gateway.
 *
 * It uses only what its ABI had: fetch emits two public mentions once
 * ("<name>-1", "<name>-2") and one saying what kv_set did at and past the
 * host's limits ("<name>-kv"), post_public and send_private succeed with an id
 * derived from their target, and the webhook emits the items of a JSON
 * array body. Built as abi10.so and abi11.so into build/tests/abiplugins/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/plugin.h"

#ifndef ABI_NAME
#error "ABI_NAME must be defined"
#endif

struct gw_instance {
    const gw_host *host;
    gw_account *acct;
    int fetched;
};

static int abi_create(const gw_host *host, gw_account *acct, gw_instance **out, char *err,
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

static void abi_destroy(gw_instance *p)
{
    free(p);
}

static void abi_emit(gw_instance *p, const char *id, const char *text)
{
    p->host->emit(p->acct, json_pack("{s:s, s:s, s:s, s:s, s:{s:s}}", "type", "mention",
                                     "visibility", "public", "native_id", id, "text", text,
                                     "author", "id", "u1"));
}

/* The host's kv limits hold for plugins older than their constants:
 * a 129-byte key and a 64 KiB + 1 value are refused, a small pair stored.
 * The outcome travels as an event's text for the test to read. */
static void abi_kv_probe(gw_instance *p)
{
    static char key[130], value[65538];
    memset(key, 'k', 129);
    memset(value, 'v', 65537);
    int long_key = p->host->kv_set(p->acct, key, "1");
    int big_value = p->host->kv_set(p->acct, "big", value);
    int small = p->host->kv_set(p->acct, "small", "1");
    char text[96];
    snprintf(text, sizeof text, "kv key=%s value=%s small=%s", long_key < 0 ? "refused" : "stored",
             big_value < 0 ? "refused" : "stored", small < 0 ? "refused" : "stored");
    abi_emit(p, ABI_NAME "-kv", text);
}

static void abi_fetch(gw_instance *p, gw_op *op)
{
    if (!p->fetched) {
        p->fetched = 1;
        abi_emit(p, ABI_NAME "-1", "@acme built against an old ABI");
        abi_emit(p, ABI_NAME "-2", "@acme and still loading");
        abi_kv_probe(p);
    }
    p->host->complete(op, GW_OUTCOME_OK, GW_DELAY_POLL_INTERVAL, NULL, NULL);
}

static void abi_answer(gw_instance *p, gw_op *op, const char *prefix, const char *target)
{
    char id[256];
    snprintf(id, sizeof id, "%s-%s", prefix, target != NULL ? target : "none");
    p->host->complete(op, GW_OUTCOME_OK, 0, NULL, json_pack("{s:s}", "native_id", id));
}

static void abi_post_public(gw_instance *p, gw_op *op, const gw_action *a)
{
    abi_answer(p, op, "reply", a->in_reply_to);
}

static void abi_send_private(gw_instance *p, gw_op *op, const gw_action *a)
{
    abi_answer(p, op, "dm", a->to);
}

static void abi_webhook(gw_instance *p, gw_op *op, const gw_webhook_request *req)
{
    json_t *items = json_loadb((const char *)req->body, req->body_len, 0, NULL);
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item)
    {
        abi_emit(p, json_string_value(json_object_get(item, "id")),
                 json_string_value(json_object_get(item, "text")));
    }
    int ok = json_is_array(items);
    json_decref(items);
    p->host->complete(op, GW_OUTCOME_OK, 0, NULL,
                      json_pack("{s:i, s:s, s:s}", "status", ok ? 200 : 400, "content_type",
                                "application/json", "body", ok ? "{}" : "{\"error\":\"bad\"}"));
}

static const gw_plugin abi_plugin = {
    .struct_size = sizeof(gw_plugin),
    .abi_major = GW_ABI_MAJOR,
    .abi_minor = GW_ABI_MINOR,
    .name = ABI_NAME,
    .version = "1.0.0",
    .capabilities = GW_CAP_FETCH | GW_CAP_POST_PUBLIC | GW_CAP_SEND_PRIVATE | GW_CAP_WEBHOOK,
    .options = NULL,
    .create = abi_create,
    .destroy = abi_destroy,
    .fetch = abi_fetch,
    .post_public = abi_post_public,
    .send_private = abi_send_private,
    .webhook = abi_webhook,
};

GW_PLUGIN_EXPORT const gw_plugin *gw_plugin_entry(void);

GW_PLUGIN_EXPORT const gw_plugin *gw_plugin_entry(void)
{
    return &abi_plugin;
}
