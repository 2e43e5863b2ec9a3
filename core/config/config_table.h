/* config_table.h - checking one table of gateway.toml against the keys
 * declared for it: every declared key checked or defaulted, unknown keys
 * reported with did-you-mean.
 */
#ifndef GW_CONFIG_TABLE_H
#define GW_CONFIG_TABLE_H

#include <jansson.h>

#include "gateway/plugin.h"
#include "config/config_errors.h"
#include "config/toml.h"

/* The keys a table may hold: up to two declaration arrays (common keys,
 * then a sink type's own) and one key kept raw for later validation. */
typedef struct cfg_schema {
    const gw_option *parts[2];
    const char *raw_key;
    int report_unknown; /* 0 when the declared keys are not known for sure */
} cfg_schema;

/* Validate `table` (NULL: absent, so every key takes its default) against
 * s; path names the table in messages, line/col locate it when it is
 * absent. Returns 0 and sets *out (caller decrefs) to an object holding
 * every declared key (JSON null for an optional key without default); or
 * GW_EINVAL after reporting, with *out still set (caller decrefs) to the
 * keys that passed, so later checks such as duplicate names still run; or
 * GW_ENOMEM with *out NULL. */
int config_table_validate(cfg_ctx *c, const cfg_schema *s, const toml_value *table, int line,
                          int col, const char *path, json_t **out);

/* Report "expected <what>, found ..." for a section of the wrong kind;
 * what names the right kind the way the user would write it ("a table
 * ([gateway])"). */
void config_table_kind_error(cfg_ctx *c, const toml_keyval *kv, const char *path, const char *what);

#endif /* GW_CONFIG_TABLE_H */
