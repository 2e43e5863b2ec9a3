/* config_sections.c - the sections that feed the services above the
 * engine: [triage], the [[rule]] array and [service]; and the check every
 * [[array]] section shares (config_section_array). config.c walks the
 * document and calls these; see config_sections.h.
 */
#include "config/config_sections.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/business_hours.h"
#include "base/tzif.h"
#include "config/config_schema.h"
#include "config/config_table.h"
#include "config/config_text.h"
#include "config/config_value.h"
#include "gateway/error.h"

const toml_value *config_section_array(cfg_ctx *c, const toml_keyval *kv, const char *name,
                                              const char *what)
{
    const toml_value *arr = kv->value;
    size_t i;
    int ok = 1;

    if (arr->type != TOML_ARRAY) {
        config_table_kind_error(c, kv, name, what);
        return NULL;
    }
    for (i = 0; i < arr->u.array.len; i++) {
        const toml_value *item = arr->u.array.items[i];
        char ipath[CONFIG_PATH_BUF], found[CONFIG_QUOTE_BUF + 64];
        if (item->type == TOML_TABLE)
            continue;
        config_path_index(ipath, name, i);
        config_describe_value(item, 0, found, sizeof found);
        cfg_ctx_error(c, item->line, item->column, ipath, "expected a table, found %s", found);
        ok = 0;
    }
    return ok ? arr : NULL;
}

/* [triage]; what its values mean (lexicons, rules) is checked by
 * core/triage/ when it compiles them. */
int config_load_triage(cfg_ctx *c, const toml_keyval *kv, const toml_value **table_out,
                       json_t **settings)
{
    const cfg_schema s = {{config_triage_options, NULL}, NULL, 1};
    const toml_value *table = kv ? kv->value : NULL;

    if (table && table->type != TOML_TABLE) {
        config_table_kind_error(c, kv, "triage", "a table ([triage])");
        return GW_EINVAL;
    }
    *table_out = table;
    return config_table_validate(c, &s, table, 0, 0, "triage", settings);
}

int config_load_rules(cfg_ctx *c, const toml_keyval *kv, cfg_rule **rules, size_t *count)
{
    const cfg_schema s = {{config_rule_options, NULL}, NULL, 1};
    const toml_value *arr = config_section_array(c, kv, "rule", "an array of tables ([[rule]])");
    int rc = 0;

    if (!arr)
        return GW_EINVAL;
    if (arr->u.array.len == 0)
        return 0;
    *rules = calloc(arr->u.array.len, sizeof **rules);
    if (!*rules)
        return GW_ENOMEM;
    for (size_t i = 0; i < arr->u.array.len; i++) {
        cfg_rule *r = &(*rules)[(*count)++];
        char path[CONFIG_PATH_BUF];
        config_path_index(path, "rule", i);
        r->table = arr->u.array.items[i];
        r->line = r->table->line;
        r->column = r->table->column;
        int trc = config_table_validate(c, &s, r->table, 0, 0, path, &r->settings);
        if (trc == GW_ENOMEM)
            return trc;
        if (trc < 0)
            rc = trc;
    }
    return rc;
}

/* [service] (conversations): the declared keys, and hours and timezone
 * read the way the service will, so a typo stops start-up naming the
 * line. */
int config_load_service(cfg_ctx *c, const toml_keyval *kv, json_t **settings)
{
    const cfg_schema s = {{config_service_options, NULL}, NULL, 1};
    const toml_value *table = kv ? kv->value : NULL;
    if (table && table->type != TOML_TABLE) {
        config_table_kind_error(c, kv, "service", "a table ([service])");
        return GW_EINVAL;
    }
    int rc = config_table_validate(c, &s, table, 0, 0, "service", settings);
    char why[256];
    business_hours bh;
    const toml_keyval *at = table ? toml_table_find(table, "hours") : NULL;
    if (rc == 0 && at != NULL &&
        business_hours_parse(json_string_value(json_object_get(*settings, "hours")), &bh, why,
                             sizeof why) != GW_OK) {
        cfg_ctx_error(c, at->value->line, at->value->column, "service.hours", "%s", why);
        rc = GW_EINVAL;
    }
    at = table ? toml_table_find(table, "timezone") : NULL;
    tzif *tz = NULL;
    if (rc == 0 && at != NULL &&
        tzif_load(NULL, json_string_value(json_object_get(*settings, "timezone")), &tz, why,
                  sizeof why) != GW_OK) {
        cfg_ctx_error(c, at->value->line, at->value->column, "service.timezone", "%s", why);
        rc = GW_EINVAL;
    }
    tzif_free(tz);
    return rc;
}

