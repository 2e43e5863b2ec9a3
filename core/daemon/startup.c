/* startup.c - the parts gateway_open starts that need nothing of the
 * orchestrator's own state: the accounts, the HTTP server with its routes,
 * triage and the conversation service; see startup.h. gateway.c keeps the order and the loop.
 */
#include "daemon/startup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "api/routes.h"
#include "base/business_hours.h"
#include "base/clock.h"
#include "config/config.h"
#include "service/conv_service.h"
#include "engine/account.h"
#include "http/http_server.h"
#include "triage/triage.h"

/* An account whose create() fails stops start-up unless it is optional:
 * a gateway that runs without an account nobody marked as expendable
 * would look healthy while it reads nothing. Returns 0, GW_ENOMEM or
 * GATEWAY_EACCOUNT with err set. */
int startup_accounts(gw_runtime *rt, char *errbuf, size_t errlen)
{
    const gw_config *cfg = rt->cfg;
    rt->accounts = calloc(cfg->account_count ? cfg->account_count : 1, sizeof *rt->accounts);
    if (rt->accounts == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        return GW_ENOMEM;
    }
    for (size_t i = 0; i < cfg->account_count; i++) {
        const cfg_account *ca = &cfg->accounts[i];
        if (!json_is_true(json_object_get(ca->settings, "enabled"))) {
            log_info(&rt->log, "core", "account %s/%s is disabled", ca->network, ca->name);
            continue;
        }
        const loaded_plugin *lp = loader_find(&rt->plugins, ca->network);
        if (lp == NULL) {
            log_error(&rt->log, "core",
                      "%s:%d:%d: account %s/%s not started: no usable plugin for network "
                      "\"%s\" (see `gateway plugins`)",
                      cfg->path, ca->line, ca->column, ca->network, ca->name, ca->network);
            continue;
        }
        cfg_errors errs = {0};
        json_t *options = NULL;
        if (config_validate_options(cfg, i, lp->desc.options, &options, &errs) != GW_OK) {
            for (size_t e = 0; e < errs.count; e++)
                log_error(&rt->log, "config", "%s", errs.lines[e]);
            log_error(&rt->log, "core", "account %s/%s not started: invalid options",
                      ca->network, ca->name);
            cfg_errors_free(&errs);
            continue;
        }
        char err[512];
        gw_account *acct = NULL;
        if (account_create(rt, ca, lp, options, &acct, err, sizeof err) != GW_OK) {
            if (!json_is_true(json_object_get(ca->settings, "optional"))) {
                snprintf(errbuf, errlen,
                         "%s:%d:%d: account[%zu]: %s (set optional = true in this [[account]] "
                         "to start without it)",
                         cfg->path, ca->line, ca->column, i, err);
                return STARTUP_EACCOUNT;
            }
            log_error(&rt->log, "core", "%s (optional: starting without it)", err);
            continue;
        }
        rt->accounts[rt->account_count++] = acct;
        log_info(&rt->log, account_label(acct), "started (plugin %s %s)", lp->desc.name,
                 lp->desc.version);
    }
    return GW_OK;
}

/* Each connection (an event stream stays open for hours) takes a file
 * descriptor; the usual soft limit of 1024 would refuse connections below
 * max_connections, so raise it toward the hard limit. */
static void fit_open_files(gw_runtime *rt, uint64_t connections)
{
    struct rlimit rl;
    const rlim_t want = (rlim_t)connections + 256; /* store, plugins, sinks, clients */
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        return;
    rlim_t cur = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
        log_warn(&rt->log, "core", "open-files limit %llu (hard %llu) is below [http] "
                                   "max_connections + 256 = %llu; raise it (ulimit -n, "
                                   "LimitNOFILE=) or connections beyond it fail",
                 (unsigned long long)(rl.rlim_cur > cur ? rl.rlim_cur : cur),
                 (unsigned long long)rl.rlim_max, (unsigned long long)want);
}

int startup_http(gw_runtime *rt, char *err, size_t errlen)
{
    const json_t *h = rt->cfg->http;
    if (!json_is_true(json_object_get(h, "enabled")))
        return GW_OK;
    http_server_limits limits = {
        .max_body_bytes = (size_t)config_u64(h, "max_body"),
        .max_header_bytes = (size_t)config_u64(h, "max_header"),
        .max_connections = (unsigned)config_u64(h, "max_connections"),
        .idle_timeout_s = (unsigned)(config_u64(h, "idle_timeout") / 1000),
        .receive_timeout_ms = config_u64(h, "receive_timeout"),
        .request_timeout_ms = config_u64(h, "request_timeout"),
    };
    const char *listen = json_string_value(json_object_get(h, "listen"));
    fit_open_files(rt, limits.max_connections);
    char why[256] = "";
    int rc = http_server_start(&rt->loop, &rt->log, listen, &limits, &rt->server, why, sizeof why);
    if (rc != GW_OK) {
        snprintf(err, errlen, "[http] listen = \"%s\": %s", listen, why);
        return rc;
    }
    if ((rc = routes_install(rt)) != GW_OK) {
        snprintf(err, errlen, "cannot install the HTTP routes: %s", gw_strerror(rc));
        return rc;
    }
    return GW_OK;
}

/* pipeline_enrich's signature over triage_enrich_text (engine/ and
 * triage/ know nothing of each other). */
static int triage_item_hook(void *arg, const char *network, json_t *event,
                            const pipeline_item *item, pipeline_enriched *out)
{
    triage_item in = {.type = item->m[PIPELINE_TYPE],
                      .visibility = item->m[PIPELINE_VISIBILITY],
                      .text = item->m[PIPELINE_TEXT],
                      .rating = item->m[PIPELINE_RATING],
                      .tags = item->m[PIPELINE_TAGS],
                      .followers = item->author_followers,
                      .verified = item->author_verified};
    triage_out t;
    int rc = triage_enrich_text(arg, network, event, &in, &t);
    if (rc == GW_OK)
        *out = (pipeline_enriched){t.members, t.len, t.priority_score, t.priority};
    return rc;
}

/* Compiled before the accounts start, so their first items are tagged.
 * main() has checked the configuration with the same call, so a failure
 * here is the machine's (memory, a lexicon file removed since). */
int startup_triage(gw_runtime *rt, triage **out, char *err, size_t errlen)
{
    cfg_errors errs = {0};
    int rc = triage_open(rt->cfg, out, &errs);
    if (rc != GW_OK)
        snprintf(err, errlen, "triage: %s", errs.count ? errs.lines[0] : gw_strerror(rc));
    else if (triage_enabled(*out))
        rt->enrich = (pipeline_enrich){.enrich = triage_item_hook, .arg = *out};
    cfg_errors_free(&errs);
    return rc;
}

/* The conversation service's own events (sla.breached) enter the log
 * like the outbox's: through the pipeline, observed. */
static void conversation_event(void *arg, const char *network, const char *account, json_t *ev)
{
    startup_events *events = arg;
    gw_runtime *rt = events->rt;
    int rc = pipeline_ingest_host_observed(rt->store, network, account, ev, clock_wall_ms(),
                                           &events->stats, &rt->observer);
    if (rc < 0)
        log_error(&rt->log, "conversations", "could not record an event: %s", gw_strerror(rc));
}

/* Conversations and contacts ([service]); from here on the pipelines
 * assign them. Before the accounts start fetching (gateway_run). */
int startup_conversations(gw_runtime *rt, startup_events *events, char *err, size_t errlen)
{
    events->rt = rt;
    const json_t *s = rt->cfg->service;
    if (!json_is_true(json_object_get(s, "conversations")))
        return GW_OK;
    conv_options o = {
        .dm_join_window_ms = config_u64(s, "dm_join_window"),
        .close_after_ms = config_u64(s, "close_after"),
        .contact_cache = (size_t)config_u64(s, "contact_cache"),
        .target_ms = config_u64(s, "target"),
        .timezone = json_string_value(json_object_get(s, "timezone")),
        .emit = conversation_event,
        .emit_arg = events,
        .durable = events->members_durable,
        .durable_arg = events->members_durable_arg,
        .synchronous_full = strcmp(json_string_value(json_object_get(rt->cfg->gateway,
                                                                     "synchronous")),
                                   "full") == 0,
    };
    if (business_hours_parse(json_string_value(json_object_get(s, "hours")), &o.hours, err,
                             errlen) != GW_OK)
        return GW_EINVAL; /* checked with the configuration already */
    char path[4096];
    snprintf(path, sizeof path, "%s/conversations.db",
             json_string_value(json_object_get(rt->cfg->gateway, "data_dir")));
    int rc = conv_service_open(&rt->loop, rt->store, path, &rt->log, &o, &rt->conv, err, errlen);
    if (rc != GW_OK)
        return rc;
    rt->observer = conv_service_observer(rt->conv);
    rt->egress = conv_service_egress(rt->conv);
    return store_commit(rt->store) == GW_OK ? GW_OK : GW_EIO;
}
