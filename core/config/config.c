/* config.c - loads gateway.toml: reads and parses the file and hands the
 * tree to the walk over its sections (config_document.c); later validates
 * each account's plugin options, and checks a plugin's declaration itself.
 * What config.h declares is defined here.
 *
 * Owns the gw_config it returns (the path, the directory relative paths
 * resolve against, the parsed tree and the validated sections as jansson
 * objects). The core sections are declared in config_schema.c, sink types
 * in core/sinks/, plugin options by each plugin; tables and values are
 * checked by config_table.c and config_value.c, so the rules for a type
 * (what a duration looks like, when a path is resolved) are the same for
 * every section.
 *
 * Every problem becomes one line, "file:line:col: key.path: message", and
 * validation goes on after an error so a user sees all of them at once.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/config_file.h"
#include "config/config_internal.h"
#include "config/config_schema.h"
#include "config/config_table.h"
#include "config/config_text.h"
#include "config/config_value.h"
#include "gateway/error.h"

void config_free(gw_config *cfg)
{
    size_t i;

    if (!cfg)
        return;
    for (i = 0; i < cfg->rule_count; i++)
        json_decref(cfg->rules[i].settings);
    free(cfg->rules);
    json_decref(cfg->triage);
    for (i = 0; i < cfg->sink_count; i++)
        json_decref(cfg->sinks[i].settings);
    free(cfg->sinks);
    for (i = 0; i < cfg->account_count; i++)
        json_decref(cfg->accounts[i].settings);
    free(cfg->accounts);
    json_decref(cfg->gateway);
    json_decref(cfg->http);
    json_decref(cfg->api);
    json_decref(cfg->service);
    toml_free(cfg->doc);
    free(cfg->dir);
    free(cfg->path);
    free(cfg);
}

int config_load_string(const char *text, size_t len, const char *display_name, const char *base_dir,
                       gw_config **out, cfg_errors *errs)
{
    cfg_errors scratch = {0};
    gw_config *cfg;
    toml_error terr;
    size_t errs_before;
    cfg_ctx c;
    int rc;

    *out = NULL;
    if (!errs)
        errs = &scratch;
    errs_before = errs->count;
    if (!display_name)
        display_name = "<string>";
    cfg = calloc(1, sizeof *cfg);
    if (!cfg)
        goto oom;
    cfg->path = strdup(display_name);
    cfg->dir = config_file_absolute_dir(base_dir);
    if (!cfg->path || !cfg->dir)
        goto oom;
    memset(&terr, 0, sizeof terr);
    rc = toml_parse(text ? text : "", text ? len : 0, &cfg->doc, &terr);
    if (rc == GW_ENOMEM)
        goto oom;
    if (rc < 0) {
        cfg_errors_add_parse(errs, display_name, text, text ? len : 0, &terr);
        rc = GW_EPARSE;
        goto fail;
    }
    c = (cfg_ctx){display_name, cfg->dir, errs, NULL, 0, 0};
    rc = config_document_validate(&c, cfg);
    cfg_ctx_flush(&c);
    if (rc == GW_ENOMEM)
        goto oom;
    /* Belt and braces: a reported error must never yield a config. */
    if (rc == 0 && errs->count > errs_before)
        rc = GW_EINVAL;
    if (rc < 0)
        goto fail;
    *out = cfg;
    return 0;
oom:
    cfg_errors_add(errs, "%s: out of memory while reading the configuration", display_name);
    rc = GW_ENOMEM;
fail:
    config_free(cfg);
    cfg_errors_free(&scratch);
    return rc;
}

int config_load(const char *path, gw_config **out, cfg_errors *errs)
{
    cfg_errors scratch = {0};
    const char *slash = strrchr(path, '/');
    char *text = NULL, *dir = NULL;
    size_t len = 0;
    int rc;

    *out = NULL;
    if (!errs)
        errs = &scratch;
    rc = config_file_read(path, &text, &len, errs);
    if (rc < 0)
        goto done;
    /* Relative paths in the file resolve against its own directory, so
     * the gateway behaves the same from any working directory. */
    if (!slash)
        dir = strdup(".");
    else if (slash == path)
        dir = strdup("/");
    else
        dir = strndup(path, (size_t)(slash - path));
    if (!dir) {
        cfg_errors_add(errs, "%s: out of memory while reading the configuration", path);
        rc = GW_ENOMEM;
        goto done;
    }
    rc = config_load_string(text, len, path, dir, out, errs);
done:
    free(dir);
    free(text);
    cfg_errors_free(&scratch);
    return rc;
}

int config_validate_options(const gw_config *cfg, size_t account_index, const gw_option *schema,
                            json_t **out, cfg_errors *errs)
{
    const cfg_schema s = {{schema, NULL}, NULL, 1};
    cfg_errors scratch = {0};
    const cfg_account *a;
    char path[CONFIG_PATH_BUF];
    cfg_ctx c;
    int rc;

    *out = NULL;
    if (!errs)
        errs = &scratch;
    if (!cfg || account_index >= cfg->account_count) {
        cfg_errors_add(errs, "%s: account[%zu]: no such account", cfg ? cfg->path : "config",
                       account_index);
        cfg_errors_free(&scratch);
        return GW_EINVAL;
    }
    a = &cfg->accounts[account_index];
    c = (cfg_ctx){cfg->path, cfg->dir, errs, NULL, 0, 0};
    snprintf(path, sizeof path, "account[%zu]." CONFIG_ACCOUNT_OPTIONS_KEY, account_index);
    rc = config_table_validate(&c, &s, a->options, a->line, a->column, path, out);
    cfg_ctx_flush(&c);
    if (rc < 0) {
        json_decref(*out);
        *out = NULL;
    }
    if (rc == GW_ENOMEM)
        cfg_errors_add(errs, "%s: out of memory while reading the configuration", cfg->path);
    cfg_errors_free(&scratch);
    return rc;
}

void config_account_error(const gw_config *cfg, size_t account_index, const char *key,
                          cfg_errors *errs, const char *fmt, ...)
{
    const cfg_account *a = &cfg->accounts[account_index];
    const toml_keyval *kv = a->options && key ? toml_table_find(a->options, key) : NULL;
    char base[CONFIG_PATH_BUF], path[CONFIG_PATH_BUF], msg[1024];
    int line = a->line, col = a->column;
    va_list ap;

    if (kv) {
        line = kv->value->line;
        col = kv->value->column;
    } else if (a->options) {
        line = a->options->line;
        col = a->options->column;
    }
    snprintf(base, sizeof base, "account[%zu]." CONFIG_ACCOUNT_OPTIONS_KEY, account_index);
    if (key)
        config_path_key(path, base, key, strlen(key));
    else
        snprintf(path, sizeof path, "%s", base);
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cfg_errors_add(errs, "%s:%d:%d: %s: %s", cfg->path, line, col, path, msg);
}

int config_check_declaration(const gw_option *opts, const char *owner, cfg_errors *errs)
{
    cfg_ctx c = {.file = owner, .dir = "/", .errs = errs};
    size_t before = errs->count;
    int rc = GW_OK;

    for (size_t i = 0; opts != NULL && opts[i].name != NULL; i++) {
        const gw_option *o = &opts[i];
        json_t *value = NULL;
        if (i >= 1024) {
            cfg_errors_add(errs, "%s: the option list is not ended by a NULL name", owner);
            return GW_EINVAL;
        }
        if (o->type < GW_OPT_STRING || o->type > GW_OPT_STRING_ARRAY) {
            cfg_ctx_error(&c, 0, 0, o->name, "unknown option type %d", (int)o->type);
            continue;
        }
        if (o->help == NULL || o->help[0] == '\0') {
            cfg_ctx_error(&c, 0, 0, o->name, "the declaration has no help line");
            continue;
        }
        if (o->default_value == NULL)
            continue;
        rc = config_value_default(&c, o, o->name, &value);
        json_decref(value);
        if (rc == GW_ENOMEM)
            break;
    }
    cfg_ctx_flush(&c);
    if (rc == GW_ENOMEM)
        return rc;
    return errs->count > before ? GW_EINVAL : GW_OK;
}
