/* account_check.c - what the accounts of a configuration need from the
 * plugins, checked without opening the store or touching a network; see
 * account_check.h. Owns no state.
 */
#include "engine/account_check.h"

#include <stdio.h>
#include <string.h>

/* Position of account[i].network for messages about the network. */
static void network_position(const gw_config *cfg, size_t i, int *line, int *col)
{
    const toml_keyval *arr = toml_table_find(cfg->doc, "account");
    *line = cfg->accounts[i].line;
    *col = cfg->accounts[i].column;
    if (arr == NULL || arr->value->type != TOML_ARRAY || i >= arr->value->u.array.len)
        return;
    const toml_keyval *kv = toml_table_find(arr->value->u.array.items[i], "network");
    if (kv != NULL) {
        *line = kv->line;
        *col = kv->column;
    }
}

static void available_networks(const plugin_set *set, char *buf, size_t buflen)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < set->count; i++) {
        if (set->items[i].refusal)
            continue;
        int n = snprintf(buf + used, buflen - used, "%s%s", used ? ", " : "",
                         set->items[i].desc.name);
        if (n < 0 || (size_t)n >= buflen - used)
            break;
        used += (size_t)n;
    }
    if (used == 0)
        snprintf(buf, buflen, "none");
}

/* The plugin's own rules over validated options (ABI 1.2 validate). */
static void plugin_validate(const gw_config *cfg, size_t i, const loaded_plugin *lp,
                            const json_t *opts, cfg_errors *errs)
{
    if (lp->desc.validate == NULL)
        return;
    const char *key = NULL;
    char why[512] = "";
    int rc = lp->desc.validate(opts, &key, why, sizeof why);
    if (rc == GW_OK)
        return;
    why[sizeof why - 1] = '\0';
    /* A key the plugin names must be one it declared, or the path would
     * point at nothing the user can find. */
    const gw_option *o = lp->desc.options;
    while (key != NULL && o != NULL && o->name != NULL && strcmp(o->name, key) != 0)
        o++;
    if (o == NULL || o->name == NULL)
        key = NULL;
    config_account_error(cfg, i, key, errs, "%s", why[0] ? why : gw_strerror(rc));
}

int account_check_config(const gw_config *cfg, const plugin_set *set, cfg_errors *errs)
{
    const char *plugin_dir = json_string_value(json_object_get(cfg->gateway, "plugin_dir"));
    size_t before = errs->count;

    for (size_t i = 0; i < cfg->account_count; i++) {
        const cfg_account *a = &cfg->accounts[i];
        const loaded_plugin *lp = loader_find(set, a->network);
        if (lp == NULL) {
            int line, col;
            char avail[256];
            network_position(cfg, i, &line, &col);
            available_networks(set, avail, sizeof avail);
            cfg_errors_add(errs,
                           "%s:%d:%d: account[%zu].network: expected a network with a plugin in "
                           "%s (%s), found \"%s\"",
                           cfg->path, line, col, i, plugin_dir, avail, a->network);
            continue;
        }
        json_t *opts = NULL;
        int rc = config_validate_options(cfg, i, lp->desc.options, &opts, errs);
        if (rc == GW_ENOMEM)
            return rc;
        if (rc == GW_OK)
            plugin_validate(cfg, i, lp, opts, errs);
        json_decref(opts);
    }
    return errs->count > before ? GW_EINVAL : GW_OK;
}
