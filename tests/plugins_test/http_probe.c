/* http_probe.c - a test-only network plugin whose fetch is one GET through
 * the host's HTTP client (host->http_request). Pointed at the fault server
 * (tests/fakes/http_fault_server.py) it lets integration tests drive the
 * real gateway through 200s, 429s, 503s, hangs, truncated, malformed and
 * oversized answers. Not shipped: it lands in build/tests/testplugins/.
 *
 * A 2xx JSON array answer is emitted item by item; any other 2xx JSON is
 * a quiet fetch; invalid JSON is FATAL (the network is broken, retrying
 * the same page will not help); everything else follows the host's
 * suggested outcome and delay.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/plugin.h"

struct gw_instance {
    const gw_host *host;
    gw_account *acct;
    const char *url;    /* borrowed from host->config */
    int immediate;      /* fetch again at once after an OK */
    gw_op *op;          /* the fetch waiting for its answer */
    int gauge;          /* publish the answers as the plugin gauge "answers" */
    unsigned answers;   /* answers received */
};

static const gw_option probe_options[] = {
    {"url", GW_OPT_STRING, GW_OPTF_REQUIRED, NULL, NULL, 0, 0, "URL fetched on every poll"},
    {"immediate", GW_OPT_BOOL, 0, "false", NULL, 0, 0,
     "after a good answer fetch again at once instead of waiting for the poll interval"},
    {"gauge", GW_OPT_BOOL, 0, "false", NULL, 0, 0,
     "publish the answers received as the plugin gauge \"answers\" (gw_host.metric_set)"},
    {NULL, 0, 0, NULL, NULL, 0, 0, NULL},
};

static int probe_create(const gw_host *host, gw_account *acct, gw_instance **out, char *err,
                        size_t errlen)
{
    gw_instance *p = calloc(1, sizeof *p);
    if (p == NULL) {
        snprintf(err, errlen, "out of memory");
        return GW_ENOMEM;
    }
    const json_t *cfg = host->config(acct);
    p->host = host;
    p->acct = acct;
    p->url = json_string_value(json_object_get(cfg, "url"));
    p->immediate = json_is_true(json_object_get(cfg, "immediate"));
    p->gauge = json_is_true(json_object_get(cfg, "gauge"));
    *out = p;
    return GW_OK;
}

static void probe_destroy(gw_instance *p)
{
    free(p);
}

static void probe_answer(void *arg, const gw_http_response *r)
{
    gw_instance *p = arg;
    gw_op *op = p->op;
    p->op = NULL;
    p->answers++;
    if (p->gauge && GW_HOST_HAS(p->host, metric_set))
        p->host->metric_set(p->acct, "answers", "HTTP answers the probe received.",
                            (double)p->answers);
    if (r->suggested != GW_OUTCOME_OK || r->status < 200 || r->status > 299) {
        char msg[160];
        snprintf(msg, sizeof msg, "HTTP %d%s%s", r->status, r->error_message ? ": " : "",
                 r->error_message ? r->error_message : "");
        gw_outcome o = r->suggested == GW_OUTCOME_OK ? GW_OUTCOME_FATAL : r->suggested;
        p->host->complete(op, o, r->retry_after_ms, msg, NULL);
        return;
    }
    json_error_t jerr;
    json_t *doc = json_loadb((const char *)r->body, r->body_len, 0, &jerr);
    if (doc == NULL) {
        char msg[200];
        snprintf(msg, sizeof msg, "malformed JSON from the network: %s", jerr.text);
        p->host->complete(op, GW_OUTCOME_FATAL, 0, msg, NULL);
        return;
    }
    size_t i;
    json_t *item;
    json_array_foreach(doc, i, item) p->host->emit(p->acct, json_incref(item));
    json_decref(doc);
    p->host->complete(op, GW_OUTCOME_OK, p->immediate ? 0 : GW_DELAY_POLL_INTERVAL, NULL, NULL);
}

static void probe_fetch(gw_instance *p, gw_op *op)
{
    gw_http_request req = {
        .struct_size = sizeof req,
        .method = "GET",
        .url = p->url,
    };
    p->op = op;
    int rc = p->host->http_request(p->acct, &req, probe_answer, p);
    if (rc != GW_OK) {
        p->op = NULL;
        p->host->complete(op, GW_OUTCOME_FATAL, 0, gw_strerror(rc), NULL);
    }
}

static const gw_plugin probe_descriptor = {
    .struct_size = sizeof(gw_plugin),
    .abi_major = GW_ABI_MAJOR,
    .abi_minor = GW_ABI_MINOR,
    .name = "probe",
    .version = "0.1.0",
    .capabilities = GW_CAP_FETCH,
    .options = probe_options,
    .create = probe_create,
    .destroy = probe_destroy,
    .fetch = probe_fetch,
};

GW_PLUGIN_EXPORT const gw_plugin *gw_plugin_entry(void);
GW_PLUGIN_EXPORT const gw_plugin *gw_plugin_entry(void)
{
    return &probe_descriptor;
}
