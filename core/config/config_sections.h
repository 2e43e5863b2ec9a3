/* config_sections.h - loading [triage], [[rule]] and [service] into a
 * gw_config, and the shape check of an [[array]] section; called by
 * config.c's walk of the document (config_sections.c).
 */
#ifndef GW_CONFIG_SECTIONS_H
#define GW_CONFIG_SECTIONS_H

#include <stddef.h>

#include <jansson.h>

#include "config/config_errors.h"
#include "config/toml.h"

/* One [[rule]] table (triage priority rules, core/triage/triage_rules.c). */
typedef struct cfg_rule {
    json_t *settings;           /* owned: its validated keys */
    const toml_value *table;    /* borrowed from the doc: for the position of each key */
    int line, column;           /* where this [[rule]] starts */
} cfg_rule;

/* kv's value when it is an array of tables; else NULL, with an error for
 * it (what: "an array of tables ([[name]])") or for each item that is not
 * a table. Borrowed from kv. */
const toml_value *config_section_array(cfg_ctx *c, const toml_keyval *kv, const char *name,
                                       const char *what);

/* Each validates its section (kv may be NULL: absent, defaults filled),
 * errors going to c, and returns 0, GW_EINVAL after an error, or
 * GW_ENOMEM. What they fill is the caller's (gw_config's) to free:
 *   triage: *settings (owned json) and *table (borrowed: [triage] as
 *           written, or NULL);
 *   rules:  *rules (owned array of *count, each settings owned; set even
 *           when a rule had errors, so the caller frees what was made);
 *   service: *settings (owned json). */
int config_load_triage(cfg_ctx *c, const toml_keyval *kv, const toml_value **table,
                       json_t **settings);
int config_load_rules(cfg_ctx *c, const toml_keyval *kv, cfg_rule **rules, size_t *count);
int config_load_service(cfg_ctx *c, const toml_keyval *kv, json_t **settings);

#endif /* GW_CONFIG_SECTIONS_H */
