/* main.c - the gateway command line: run, check-config, plugins,
 * config-docs, reply and dm (cli_actions.c). What each command takes and
 * its help are in commands.c, read by the parser in args.c; this file runs
 * the command parsed. The one process context (gw_runtime) lives here.
 *
 * Exit codes: 0 success, 1 runtime failure, 2 bad usage or bad config.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/cli_accounts.h"
#include "cli/cli_deadletter.h"
#include "cli/cli_plugin_new.h"
#include "cli/cli_report.h"
#include "cli/cli_actions.h"
#include "cli/cli_triage.h"
#include "cli/cli_plugin_check.h"
#include "cli/commands.h"
#include "config/config.h"
#include "engine/account_check.h"
#include "engine/loader.h"
#include "base/log.h"
#include "daemon/gateway.h"
#include "isolate/child.h"
#include "store/store.h"
#include "triage/triage.h"

static void print_errors(const cfg_errors *errs)
{
    for (size_t i = 0; i < errs->count; i++)
        fprintf(stderr, "%s\n", errs->lines[i]);
}

static int load_config(const char *path, gw_config **cfg)
{
    cfg_errors errs = {0};
    int rc = config_load(path, cfg, &errs);
    if (rc != GW_OK) {
        print_errors(&errs);
        if (errs.count == 0)
            fprintf(stderr, "%s: %s\n", path, gw_strerror(rc));
    }
    cfg_errors_free(&errs);
    return rc;
}

/* The checks that need the plugins: scan plugin_dir into *set and check
 * every account against it (engine/account_check.c). check-config and
 * run both call this, so run refuses nothing check-config passes for a
 * reason of the file. Returns the number of problems appended to errs;
 * refused plugins are warnings only when warn is set (run logs them once
 * it loads the plugins itself). */
static size_t check_with_plugins(const gw_config *cfg, plugin_set *set, cfg_errors *errs,
                                 int warn)
{
    size_t before = errs->count;
    char err[512];
    const char *plugin_dir = json_string_value(json_object_get(cfg->gateway, "plugin_dir"));
    if (loader_scan_dir(set, plugin_dir, err, sizeof err) != GW_OK) {
        cfg_errors_add(errs, "%s: gateway.plugin_dir: %s", cfg->path, err);
        return errs->count - before;
    }
    for (size_t i = 0; warn && i < set->count; i++) {
        if (set->items[i].refusal)
            fprintf(stderr, "warning: plugin refused: %s\n", set->items[i].refusal);
    }
    if (account_check_config(cfg, set, errs) == GW_ENOMEM && errs->count == before)
        cfg_errors_add(errs, "%s: out of memory while checking the accounts", cfg->path);
    /* [triage] and [[rule]]: lexicons and regular expressions compiled
     * once here, so check-config and run refuse the same files. */
    triage *t = NULL;
    if (triage_open(cfg, &t, errs) == GW_ENOMEM && errs->count == before)
        cfg_errors_add(errs, "%s: out of memory while compiling [triage]", cfg->path);
    triage_free(t);
    return errs->count - before;
}

static int cmd_check_config(const char *path)
{
    gw_config *cfg = NULL;
    if (load_config(path, &cfg) != GW_OK)
        return 2;
    cfg_errors errs = {0};
    plugin_set set = {0};
    int rc = 0;
    if (check_with_plugins(cfg, &set, &errs, 1) > 0) {
        print_errors(&errs);
        rc = 2;
    } else {
        printf("%s: OK (%zu account%s, %zu sink%s)\n", cfg->path, cfg->account_count,
               cfg->account_count == 1 ? "" : "s", cfg->sink_count,
               cfg->sink_count == 1 ? "" : "s");
    }
    cfg_errors_free(&errs);
    loader_unload(&set);
    config_free(cfg);
    return rc;
}

static void print_plugin(const loaded_plugin *lp)
{
    if (lp->refusal) {
        printf("refused  %s\n", lp->refusal);
        return;
    }
    char caps[96];
    printf("%-10s %-8s abi %u.%u  %-40s %s\n", lp->desc.name, lp->desc.version,
           lp->desc.abi_major, lp->desc.abi_minor,
           loader_capability_names(lp->desc.capabilities, caps, sizeof caps), lp->path);
}

static int cmd_plugins(const char *path, int config_given, int argc, char **argv)
{
    plugin_set set = {0};
    int rc = 0;
    if (argc > 0) {
        for (int i = 0; i < argc; i++) {
            if (loader_load_file(&set, argv[i]) == GW_ENOMEM) {
                fprintf(stderr, "out of memory\n");
                return 1;
            }
        }
    } else {
        gw_config *cfg = NULL;
        const char *dir = "build/plugins";
        /* Without -c, a missing gateway.toml just means the default dir. */
        FILE *probe = config_given ? NULL : fopen(path, "r");
        if (probe)
            fclose(probe);
        if (config_given || probe) {
            if (load_config(path, &cfg) != GW_OK)
                return 2;
            dir = json_string_value(json_object_get(cfg->gateway, "plugin_dir"));
        }
        char err[512];
        if (loader_scan_dir(&set, dir, err, sizeof err) != GW_OK) {
            fprintf(stderr, "%s\n", err);
            config_free(cfg);
            return 1;
        }
        config_free(cfg);
    }
    for (size_t i = 0; i < set.count; i++) {
        print_plugin(&set.items[i]);
        if (set.items[i].refusal)
            rc = 1;
    }
    if (set.count == 0)
        printf("no plugins found\n");
    loader_unload(&set);
    return rc;
}

/* out_path NULL: stdout. */
static int cmd_config_docs(const char *path, int config_given, const char *out_path)
{
    gw_config *cfg = NULL;
    const char *dir = "build/plugins";
    if (config_given) {
        if (load_config(path, &cfg) != GW_OK)
            return 2;
        dir = json_string_value(json_object_get(cfg->gateway, "plugin_dir"));
    }
    plugin_set set = {0};
    char err[512];
    int rc = 1;
    const gw_plugin **descs = NULL;
    size_t n = 0;
    if (loader_scan_dir(&set, dir, err, sizeof err) != GW_OK) {
        fprintf(stderr, "%s\n", err);
        goto done;
    }
    descs = calloc(set.count + 1, sizeof *descs);
    if (descs == NULL)
        goto done;
    for (size_t i = 0; i < set.count; i++) {
        if (set.items[i].refusal == NULL)
            descs[n++] = &set.items[i].desc;
    }
    FILE *out = out_path ? fopen(out_path, "w") : stdout;
    if (out == NULL) {
        perror(out_path);
        goto done;
    }
    rc = config_write_reference(out, descs, n) == GW_OK ? 0 : 1;
    if (out != stdout && fclose(out) != 0)
        rc = 1;
done:
    free(descs);
    loader_unload(&set);
    config_free(cfg);
    return rc;
}

/* loader_release_unused's predicate: does an [[account]] use network? */
static int network_used(void *arg, const char *network)
{
    const gw_config *cfg = arg;
    for (size_t i = 0; i < cfg->account_count; i++) {
        if (strcmp(cfg->accounts[i].network, network) == 0)
            return 1;
    }
    return 0;
}

static int cmd_run(const char *path)
{
    gw_config *cfg = NULL;
    if (load_config(path, &cfg) != GW_OK)
        return 2;
    /* Before anything is opened: what check-config refuses, run refuses
     * with the same lines. The plugins the check loaded are the ones the
     * gateway runs (gateway_open takes the set over). */
    cfg_errors errs = {0};
    plugin_set set = {0};
    size_t problems = check_with_plugins(cfg, &set, &errs, 0);
    print_errors(&errs);
    cfg_errors_free(&errs);
    if (problems > 0) {
        loader_unload(&set);
        config_free(cfg);
        return 2;
    }
    /* every descriptor served the check above; only the used ones run */
    loader_release_unused(&set, network_used, cfg);
    gw_log_level level = GW_LOG_INFO;
    log_level_parse(json_string_value(json_object_get(cfg->gateway, "log_level")), &level);
    gw_runtime rt;
    char err[512] = "";
    int rc = gateway_open(&rt, cfg, &set, level, err, sizeof err);
    if (rc != GW_OK) {
        log_error(&rt.log, "core", "cannot start: %s", err);
        gateway_close(&rt);
        config_free(cfg);
        /* Busy: the data directory (or its database) belongs to another
         * process; refused: an account that is not optional could not be
         * created. Like a bad configuration, restarting will not help
         * until someone changes something: exit 2, not 1. */
        return rc == GW_EBUSY || rc == GATEWAY_EACCOUNT ? 2 : 1;
    }
    int code = gateway_run(&rt);
    gateway_close(&rt);
    config_free(cfg);
    return code;
}

int main(int argc, char **argv)
{
    /* A sink reader or an HTTP client that goes away must surface as a
     * write error (EPIPE: the dispatcher retries, the HTTP server closes
     * the connection), not kill the gateway. */
    signal(SIGPIPE, SIG_IGN);
    /* Before any thread or database (store.h); a failure only costs speed. */
    (void)store_library_init();
    /* Hidden: the plugin host an isolated account runs in (isolate/child.h),
     * the same binary so an install carries one file. */
    if (argc == 4 && strcmp(argv[1], "__plugin-host") == 0)
        return isolate_child_main(atoi(argv[2]), argv[3]);
    cli_parsed p;
    int rc = cli_parse(&cli_gateway, argc, argv, &p);
    if (rc != CLI_PARSED)
        return rc; /* help, version or a usage error, already printed */
    const char *cmd = p.command->name;
    if (strcmp(cmd, "run") == 0)
        return cmd_run(p.config_path);
    if (strcmp(cmd, "check-config") == 0)
        return cmd_check_config(p.config_path);
    if (strcmp(cmd, "plugins") == 0)
        return cmd_plugins(p.config_path, p.config_given, p.argc, p.argv);
    if (strcmp(cmd, "config-docs") == 0)
        return cmd_config_docs(p.config_path, p.config_given, cli_value(&p, "output"));
    if (strcmp(cmd, "reply") == 0 || strcmp(cmd, "dm") == 0) /* see cli_actions.h */
        return cli_actions_main(&p);
    if (strcmp(cmd, "accounts") == 0) /* see cli_accounts.h */
        return cli_accounts_main(&p);
    if (strcmp(cmd, "deadletter") == 0) /* see cli_deadletter.h */
        return cli_deadletter_main(&p);
    if (strcmp(cmd, "plugin") == 0) { /* see cli_plugin_new.h */
        if (p.argc < 2 || strcmp(p.argv[0], "new") != 0) {
            fprintf(stderr, "gateway plugin: expected `plugin new NAME [DIR]` (see gateway "
                            "plugin --help)\n");
            return 2;
        }
        return cli_plugin_new(p.argv[1], p.argc > 2 ? p.argv[2] : NULL);
    }
    if (strcmp(cmd, "triage") == 0) /* see cli_triage.h */
        return cli_triage_main(&p);
    if (strcmp(cmd, "plugin-check") == 0) /* see cli_plugin_check.h */
        return cli_plugin_check_main(&p);
    if (strcmp(cmd, "report") == 0) /* see cli_report.h */
        return cli_report_main(&p);
    if (strcmp(cmd, "help") == 0)
        return cli_help(&cli_gateway, p.argc > 0 ? p.argv[0] : NULL);
    /* A command in commands.c's table that nothing here runs. */
    fprintf(stderr, "gateway: command \"%s\" is not implemented\n", cmd);
    return 1;
}
