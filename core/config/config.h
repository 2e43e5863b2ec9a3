/* config.h - gateway.toml: declared keys, validation, defaults, and the
 * generated configuration reference. The one header the rest of the
 * gateway includes for configuration.
 *
 * Every section and every plugin declares its keys as gw_option arrays
 * (name, type, required, default, allowed values, help). This module
 * checks a parsed document against those declarations and turns each
 * section into a jansson object holding normalized values with defaults
 * filled: durations as integer milliseconds, sizes as integer bytes,
 * strings with ${ENV_VAR} expanded. Every error names
 * file:line:column, the key path, what was expected and what was found,
 * and unknown keys get a did-you-mean suggestion. Errors are collected,
 * not stopped at the first, so a user fixes a file in one pass.
 *
 * Loading is config.c, and the walk over the sections config_document.c;
 * the pieces they build on have their own headers, and those that
 * callers use are included here: the error list (config_errors.h),
 * durations and sizes (config_types.h), ${ENV} (config_env.h) and the
 * reference (config_reference.h).
 */
#ifndef GW_CONFIG_H
#define GW_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "gateway/plugin.h"
#include "config/config_env.h"
#include "config/config_errors.h"
#include "config/config_reference.h"
#include "config/config_types.h"
#include "config/toml.h"
#include "config/config_sections.h" /* cfg_rule */

typedef struct cfg_account {
    const char *network;        /* borrowed from settings */
    const char *name;           /* borrowed from settings */
    json_t *settings;           /* owned: validated account keys (without
                                   "options"), e.g. poll_interval in ms */
    const toml_value *options;  /* borrowed from the doc: the raw
                                   [account.options] table, or NULL */
    int line, column;           /* where this [[account]] starts */
} cfg_account;

typedef struct cfg_sink {
    const char *name;           /* borrowed from settings */
    const char *type;           /* borrowed from settings */
    json_t *settings;           /* owned: common and type-specific keys;
                                   relative paths resolved against the
                                   config file's directory */
    int line, column;
} cfg_sink;


typedef struct gw_config {
    char *path;           /* owned: the file as given */
    char *dir;            /* owned: its directory; relative paths in the
                             file resolve against it */
    toml_value *doc;      /* owned: the parsed tree */
    json_t *gateway;      /* owned: validated [gateway]; data_dir and
                             plugin_dir already resolved to absolute */
    json_t *http;         /* owned: validated [http], defaults if absent */
    json_t *api;          /* owned: validated [api] (action API); "token"
                             is null when absent */
    json_t *service;      /* owned: validated [service] (conversations) */
    cfg_account *accounts;
    size_t account_count;
    cfg_sink *sinks;
    size_t sink_count;
    json_t *triage;       /* owned: validated [triage], defaults if absent */
    const toml_value *triage_table; /* borrowed: [triage] as written, or NULL */
    cfg_rule *rules;      /* owned: the [[rule]] tables, in file order */
    size_t rule_count;
} gw_config;

/* Load and validate a file (core sections only: account options need the
 * plugin's declaration, see config_validate_options). Returns 0 and sets
 * *out (caller frees with config_free), or GW_EPARSE/GW_EINVAL/GW_EIO with
 * errs filled (one line each, "file:line:col: key.path: ..."; a TOML
 * syntax error inside a value names the value's key too). */
int config_load(const char *path, gw_config **out, cfg_errors *errs);

/* The same from memory; display_name stands in for the path in messages
 * and base_dir resolves relative paths. */
int config_load_string(const char *text, size_t len, const char *display_name,
                       const char *base_dir, gw_config **out, cfg_errors *errs);

void config_free(gw_config *cfg);

/* An integer key of a validated section (durations in ms, sizes in bytes;
 * defaults filled), as unsigned; 0 when absent (a section a unit test left
 * out). section is borrowed. */
static inline uint64_t config_u64(const json_t *section, const char *key)
{
    return (uint64_t)json_integer_value(json_object_get(section, key));
}

/* Validate account i's [account.options] against a plugin's declared keys.
 * Returns 0 and sets *out (caller decrefs; {} when the table is absent and
 * nothing is required) or GW_EINVAL with errs filled. */
int config_validate_options(const gw_config *cfg, size_t account_index,
                            const gw_option *schema, json_t **out,
                            cfg_errors *errs);

/* Report a problem with account i's options found outside the
 * declaration (a plugin's validate hook, its create()): one line
 * "file:line:col: account[i].options.key: message" appended to errs.
 * key (may be NULL) names the option the message is about; the position
 * is that key's value when the file sets it, else the [account.options]
 * table, else the [[account]] itself. */
void config_account_error(const gw_config *cfg, size_t account_index, const char *key,
                          cfg_errors *errs, const char *fmt, ...) GW_PRINTF(5, 6);

/* Check a declaration itself: every key has a known type and a help line,
 * and every declared default passes its own key's rules (type, allowed
 * values, bounds), exactly as a user's value would. owner names the
 * declaration in messages (e.g. a plugin's file). Returns 0, or GW_EINVAL
 * with one line per problem appended to errs, or GW_ENOMEM. */
int config_check_declaration(const gw_option *opts, const char *owner, cfg_errors *errs);

#endif /* GW_CONFIG_H */
